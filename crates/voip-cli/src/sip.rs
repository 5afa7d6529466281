//! `voip sip ...`: SIP message tools.
//!
//! `voip sip parse FILE...` prints one JSON object per message (start line, every header in
//! order with its typed value where `sip-message` knows the grammar, the body and its parsed
//! SDP). A malformed message prints the error with its byte offset to stderr and makes the
//! command exit 1.

use bytes::{Bytes, BytesMut};
use clap::Subcommand;
use serde_json::{Map, Value, json};
use sip_message::sdp::SessionDescription;
use sip_message::{
    Auth, Contact, Framing, Host, NameAddr, ParseLimits, SipMessage, TypedHeader, Uri, Via,
};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

/// SIP subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum SipCommand {
    /// Parse SIP messages (one UDP datagram per file, `-` for stdin) and print them as JSON.
    Parse {
        /// Files to parse.
        files: Vec<PathBuf>,
        /// Treat the input as a TCP stream (Content-Length required; several messages may
        /// follow each other).
        #[arg(long)]
        stream: bool,
        /// Pretty-print the JSON.
        #[arg(long)]
        pretty: bool,
    },
}

pub(crate) fn run(command: SipCommand) -> ExitCode {
    match command {
        SipCommand::Parse {
            files,
            stream,
            pretty,
        } => parse_files(&files, stream, pretty),
    }
}

fn read(path: &PathBuf) -> std::io::Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        Ok(buf)
    } else {
        std::fs::read(path)
    }
}

fn parse_files(files: &[PathBuf], stream: bool, pretty: bool) -> ExitCode {
    if files.is_empty() {
        eprintln!("voip sip parse: no input files (use - for stdin)");
        return ExitCode::from(2);
    }
    let limits = ParseLimits::default();
    let mut failed = false;
    for path in files {
        let name = path.display().to_string();
        let data = match read(path) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("{name}: {e}");
                failed = true;
                continue;
            }
        };
        let mut messages = Vec::new();
        let result = if stream {
            parse_stream(data, &limits, &mut messages)
        } else {
            SipMessage::parse_with(Bytes::from(data), &limits, Framing::Datagram)
                .and_then(|m| m.validate().map(|()| messages.push(m)))
        };
        for m in &messages {
            let mut v = message_json(m);
            v["file"] = json!(name);
            print(&v, pretty);
        }
        if let Err(e) = result {
            // Every parse error's text names its byte offset.
            eprintln!("{name}: {e}");
            failed = true;
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Frames messages one after the other, as a TCP receiver would.
fn parse_stream(
    data: Vec<u8>,
    limits: &ParseLimits,
    out: &mut Vec<SipMessage>,
) -> sip_message::Result<()> {
    let total = data.len();
    let mut buf = BytesMut::from(&data[..]);
    loop {
        let consumed = total - buf.len();
        // Trailing keep-alive CRLFs are not a message.
        if sip_message::keepalive_len(&buf) == buf.len() {
            return Ok(());
        }
        match SipMessage::parse_stream(&mut buf, limits).map_err(|e| shift(e, consumed))? {
            Some(m) => {
                m.validate().map_err(|e| shift(e, consumed))?;
                out.push(m)
            }
            None => {
                return Err(sip_message::Error::Syntax {
                    context: "stream",
                    offset: total,
                    expected: "the rest of the message (input ends inside it)",
                });
            }
        }
    }
}

/// Makes an offset relative to the whole input rather than to the message.
fn shift(e: sip_message::Error, by: usize) -> sip_message::Error {
    use sip_message::Error as E;
    match e {
        E::Syntax {
            context,
            offset,
            expected,
        } => E::Syntax {
            context,
            offset: offset + by,
            expected,
        },
        E::UnsupportedVersion { offset } => E::UnsupportedVersion {
            offset: offset + by,
        },
        E::MissingHeader { name, offset } => E::MissingHeader {
            name,
            offset: offset + by,
        },
        E::BodyTooShort {
            offset,
            declared,
            available,
        } => E::BodyTooShort {
            offset: offset + by,
            declared,
            available,
        },
        E::TooLarge { offset, limit } => E::TooLarge {
            offset: offset + by,
            limit,
        },
        E::TooManyHeaders { offset, limit } => E::TooManyHeaders {
            offset: offset + by,
            limit,
        },
        E::HeaderTooLong { offset, limit } => E::HeaderTooLong {
            offset: offset + by,
            limit,
        },
        E::MethodMismatch { offset } => E::MethodMismatch {
            offset: offset + by,
        },
        other => other,
    }
}

fn print(v: &Value, pretty: bool) {
    let s = if pretty {
        serde_json::to_string_pretty(v)
    } else {
        serde_json::to_string(v)
    };
    println!("{}", s.unwrap_or_default());
}

fn message_json(m: &SipMessage) -> Value {
    let mut o = Map::new();
    o.insert("start_line".into(), json!(m.start_line()));
    if let Some(method) = m.method() {
        o.insert("type".into(), json!("request"));
        o.insert("method".into(), json!(method.as_str()));
        o.insert("request_uri".into(), json!(m.request_uri_str()));
        if let Some(Ok(u)) = m.request_uri() {
            o.insert("uri".into(), uri_json(&u));
        }
    } else if let Some(status) = m.status() {
        o.insert("type".into(), json!("response"));
        o.insert("status".into(), json!(status.code()));
        o.insert("reason".into(), json!(m.reason()));
        o.insert("registered_phrase".into(), json!(status.phrase()));
    }
    let headers: Vec<Value> = m
        .headers()
        .map(|h| {
            let mut e = Map::new();
            e.insert("name".into(), json!(h.name().as_str()));
            e.insert("raw_name".into(), json!(h.raw_name()));
            e.insert("value".into(), json!(h.value_unfolded()));
            match h.parse() {
                Some(Ok(t)) => {
                    e.insert("parsed".into(), typed_json(&t));
                }
                Some(Err(err)) => {
                    e.insert("error".into(), json!(err.to_string()));
                }
                None => {}
            }
            Value::Object(e)
        })
        .collect();
    o.insert("headers".into(), Value::Array(headers));
    let body = m.body();
    let mut b = Map::new();
    b.insert("length".into(), json!(body.len()));
    if let Some(Ok(ct)) = m.content_type() {
        b.insert("content_type".into(), json!(ct.to_string()));
    }
    match m.sdp() {
        Some(Ok(sdp)) => {
            b.insert("sdp".into(), sdp_json(&sdp));
        }
        Some(Err(e)) => {
            b.insert("sdp_error".into(), json!(e.to_string()));
        }
        None => match std::str::from_utf8(body) {
            Ok(t) if !body.is_empty() => {
                b.insert("text".into(), json!(t));
            }
            _ if !body.is_empty() => {
                b.insert("hex".into(), json!(hex(body)));
            }
            _ => {}
        },
    }
    o.insert("body".into(), Value::Object(b));
    Value::Object(o)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn params_json(p: &sip_message::Params<'_>) -> Value {
    let mut o = Map::new();
    for (n, v) in p.iter() {
        o.insert(n.to_owned(), v.map_or(Value::Bool(true), |v| json!(v)));
    }
    Value::Object(o)
}

fn host_json(h: &Host<'_>) -> Value {
    json!(h.to_string())
}

fn uri_json(u: &Uri<'_>) -> Value {
    match u {
        Uri::Sip(s) => json!({
            "scheme": if s.secure { "sips" } else { "sip" },
            "user": s.user,
            "password": s.password,
            "host": host_json(&s.host),
            "port": s.port,
            "params": params_json(&s.params),
            "headers": s.headers,
            "text": u.to_string(),
        }),
        Uri::Tel(t) => json!({
            "scheme": "tel",
            "number": t.number,
            "params": params_json(&t.params),
            "text": u.to_string(),
        }),
        Uri::Other(o) => json!({ "scheme": o.scheme, "rest": o.rest, "text": u.to_string() }),
    }
}

fn name_addr_json(a: &NameAddr<'_>) -> Value {
    json!({
        "display_name": a.display_name,
        "uri": uri_json(&a.uri),
        "params": params_json(&a.params),
    })
}

fn via_json(v: &Via<'_>) -> Value {
    json!({
        "transport": v.transport.as_str(),
        "host": host_json(&v.host),
        "port": v.port,
        "branch": v.branch(),
        "received": v.received().map(|r| r.to_string()),
        "rport": v.rport().map(|p| p.map_or(json!(true), |p| json!(p))),
        "maddr": v.maddr(),
        "ttl": v.ttl(),
        "params": params_json(&v.params),
    })
}

fn auth_json(a: &Auth<'_>) -> Value {
    let mut params = Map::new();
    for p in a.params() {
        params.insert(p.name.to_owned(), json!(p.value));
    }
    json!({ "scheme": a.scheme, "token68": a.token68(), "params": params })
}

fn typed_json(t: &TypedHeader<'_>) -> Value {
    match t {
        TypedHeader::Via(v) => Value::Array(v.iter().map(via_json).collect()),
        TypedHeader::Address(a) => Value::Array(a.iter().map(name_addr_json).collect()),
        TypedHeader::Contact(c) => Value::Array(
            c.iter()
                .map(|c| match c {
                    Contact::Wildcard => json!("*"),
                    Contact::Address(a) => {
                        let mut v = name_addr_json(a);
                        v["expires"] = json!(c.expires());
                        v["q"] = json!(c.q().map(|q| f64::from(q) / 1000.0));
                        v
                    }
                })
                .collect(),
        ),
        TypedHeader::CSeq(c) => json!({ "seq": c.seq, "method": c.method.as_str() }),
        TypedHeader::CallId(id) => json!(id),
        TypedHeader::Number(n) => json!(n),
        TypedHeader::MediaType(m) => json!({
            "type": m.kind, "subtype": m.subtype, "params": params_json(&m.params),
        }),
        TypedHeader::Auth(a) => Value::Array(a.iter().map(auth_json).collect()),
        TypedHeader::Tokens(t) => json!(t),
        TypedHeader::TokenParams(t) => {
            json!({ "value": t.value, "params": params_json(&t.params) })
        }
        _ => Value::Null,
    }
}

fn sdp_json(s: &SessionDescription<'_>) -> Value {
    let attrs = |a: &[sip_message::sdp::Attribute<'_>]| -> Value {
        Value::Array(
            a.iter()
                .map(|a| json!({ "name": a.name, "value": a.value }))
                .collect(),
        )
    };
    let media: Vec<Value> = s
        .media
        .iter()
        .map(|m| {
            json!({
                "type": m.kind,
                "port": m.port,
                "port_count": m.port_count,
                "protocol": m.protocol,
                "formats": m.formats,
                "connection": s.connection_for(m).map(|c| c.to_string()),
                "direction": s.direction_of(m).as_str(),
                "ptime": m.ptime(),
                "maxptime": m.maxptime(),
                "rtpmap": m.payload_types().filter_map(|pt| m.rtpmap(pt)).map(|r| json!({
                    "payload_type": r.payload_type,
                    "encoding": r.encoding,
                    "clock_rate": r.clock_rate,
                    "channels": r.channels,
                    "fmtp": m.fmtp(r.payload_type),
                })).collect::<Vec<_>>(),
                "attributes": attrs(&m.attributes),
            })
        })
        .collect();
    json!({
        "origin": {
            "username": s.origin.username,
            "session_id": s.origin.session_id,
            "session_version": s.origin.session_version,
            "address": format!("{} {} {}", s.origin.net_type, s.origin.addr_type, s.origin.address),
        },
        "session_name": s.session_name,
        "connection": s.connection.as_ref().map(|c| c.to_string()),
        "times": s.times.iter().map(|t| json!([t.start, t.stop])).collect::<Vec<_>>(),
        "attributes": attrs(&s.attributes),
        "media": media,
    })
}
