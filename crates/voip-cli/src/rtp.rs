//! `voip rtp ...`: RTP packet tools.

use clap::Subcommand;
use rtp_core::{ExtensionForm, PayloadType, RtpPacket, TelephoneEvent};
use serde_json::{Value, json};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// RTP subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum RtpCommand {
    /// Parse RTP packets (one raw packet per file, `-` for stdin) and print each as one
    /// line of JSON: every header field, the CSRCs, the header extension (with RFC 8285
    /// elements), the payload, and for telephone-events the RFC 4733 event fields.
    /// A malformed packet prints an error on stderr; the exit status is then 1.
    Parse {
        /// Files to parse (`-` reads stdin).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The payload type number negotiated for telephone-event (it is dynamic, so
        /// it cannot be known from the packet alone).
        #[arg(long, value_name = "N", default_value_t = 101, value_parser = clap::value_parser!(u8).range(0..=127))]
        dtmf_pt: u8,
        /// Pretty-print the JSON (several lines per packet).
        #[arg(long)]
        pretty: bool,
    },
}

pub(crate) fn run(command: RtpCommand) -> ExitCode {
    match command {
        RtpCommand::Parse {
            files,
            dtmf_pt,
            pretty,
        } => {
            let mut failed = false;
            for file in &files {
                match read_input(file).and_then(|bytes| packet_json(&bytes, dtmf_pt)) {
                    Ok(mut value) => {
                        value["file"] = json!(file.display().to_string());
                        let text = if pretty {
                            serde_json::to_string_pretty(&value)
                        } else {
                            serde_json::to_string(&value)
                        };
                        println!("{}", text.expect("JSON values always serialize"));
                    }
                    Err(message) => {
                        eprintln!("voip rtp parse: {}: {message}", file.display());
                        failed = true;
                    }
                }
            }
            if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
    }
}

/// An RTP packet travels in one UDP datagram, so no input can be longer than this.
const MAX_PACKET: u64 = 65_535;

fn read_input(path: &Path) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    let read = if path == Path::new("-") {
        std::io::stdin()
            .take(MAX_PACKET + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read stdin: {e}"))?
    } else {
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_PACKET + 1).read_to_end(&mut bytes))
            .map_err(|e| format!("cannot read file: {e}"))?
    };
    if read as u64 > MAX_PACKET {
        return Err(format!(
            "input longer than {MAX_PACKET} bytes: not one RTP packet (one packet per file)"
        ));
    }
    Ok(bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The JSON description of one packet.
fn packet_json(bytes: &[u8], dtmf_pt: u8) -> Result<Value, String> {
    if rtp_core::is_rtcp(bytes) {
        return Err(format!(
            "an RTCP packet (packet type {}), not RTP (RFC 5761 §4)",
            bytes[1]
        ));
    }
    let p = RtpPacket::parse(bytes).map_err(|e| e.to_string())?;
    let payload_type = if p.payload_type == dtmf_pt {
        Some(PayloadType::TelephoneEvent)
    } else {
        p.static_payload_type()
    };
    let extension = p.extension.map(|ext| {
        let (form, elements) = match ext.form() {
            ExtensionForm::OneByte => ("one-byte", true),
            ExtensionForm::TwoByte(_) => ("two-byte", true),
            ExtensionForm::Opaque => ("opaque", false),
        };
        let mut value = json!({
            "profile": ext.profile(),
            "form": form,
            "length": ext.data().len(),
            "data_hex": hex(ext.data()),
        });
        if elements {
            let list: Vec<Value> = ext
                .elements()
                .map(|e| match e {
                    Ok(e) => json!({ "id": e.id, "data_hex": hex(e.data) }),
                    Err(err) => json!({ "error": err.to_string() }),
                })
                .collect();
            value["elements"] = Value::Array(list);
        }
        value
    });
    let mut value = json!({
        "version": 2,
        "padding": p.padding != 0,
        "padding_length": p.padding,
        "extension": extension,
        "csrc_count": p.csrc.len(),
        "csrc": p.csrc.iter().collect::<Vec<_>>(),
        "marker": p.marker,
        "payload_type": p.payload_type,
        "encoding_name": payload_type.map(|pt| pt.encoding_name()),
        "clock_rate": payload_type.and_then(|pt| pt.clock_rate()),
        "sequence_number": p.sequence_number,
        "timestamp": p.timestamp,
        "ssrc": p.ssrc,
        "header_length": p.header_len(),
        "payload_length": p.payload.len(),
        "payload_hex": hex(p.payload),
    });
    if p.payload_type == dtmf_pt {
        let ev = TelephoneEvent::parse(p.payload)
            .map_err(|e| format!("{e} (payload type {dtmf_pt} is telephone-event)"))?;
        value["telephone_event"] = json!({
            "event": ev.event,
            "key": ev.key().map(|k| k.as_char().to_string()),
            "end": ev.end,
            "volume": ev.volume,
            "duration": ev.duration,
        });
    }
    Ok(value)
}
