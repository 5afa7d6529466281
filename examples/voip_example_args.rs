//! Command-line flags shared by the `voip` examples (`--server --user --password --bind`
//! ...), turned into a `VoipPhoneParameterBuilder`.

use clap::Parser;
use sip_transport::TransportMode;
use voip::VoipPhoneParameter;

/// Flags every example takes.
#[derive(Debug, Parser)]
pub(crate) struct PhoneArgs {
    /// PBX / registrar as HOST[:PORT]; without it the phone works peer to peer.
    #[arg(long)]
    pub(crate) server: Option<String>,
    /// SIP user (also the authentication user).
    #[arg(long, default_value = "voip")]
    pub(crate) user: String,
    /// Password for the server.
    #[arg(long)]
    pub(crate) password: Option<String>,
    /// Address to bind SIP to, IP[:PORT] (default 0.0.0.0:5060).
    #[arg(long, default_value = "0.0.0.0:5060")]
    pub(crate) bind: String,
    /// udp, tcp or tls.
    #[arg(long, default_value = "udp")]
    pub(crate) transport: String,
    /// RTP port range LOW-HIGH.
    #[arg(long, default_value = "10000-20000")]
    pub(crate) rtp_ports: String,
    /// Stop after this many seconds instead of waiting for Enter.
    #[arg(long = "for")]
    pub(crate) run_for: Option<u64>,
}

impl PhoneArgs {
    /// The phone parameters these flags describe (plus `handler` when given).
    pub(crate) fn builder(&self) -> Result<voip::VoipPhoneParameterBuilder, String> {
        let mut b = VoipPhoneParameter::builder(self.user.clone());
        if let Some(s) = &self.server {
            let (host, port) = split_host_port(s, 5060)?;
            b = b.server(host, port);
        }
        if let Some(p) = &self.password {
            b = b.password(self.user.clone(), p.clone());
        }
        let (ip, port) = split_host_port(&self.bind, 5060)?;
        let ip: std::net::IpAddr = ip.parse().map_err(|_| format!("--bind: bad IP {ip}"))?;
        b = b.bind(std::net::SocketAddr::new(ip, port));
        let mode = match self.transport.to_ascii_lowercase().as_str() {
            "udp" => TransportMode::Udp,
            "tcp" => TransportMode::Tcp,
            "tls" => TransportMode::Tls,
            other => return Err(format!("--transport: unknown {other}")),
        };
        b = b.transport(mode);
        let (low, high) = self
            .rtp_ports
            .split_once('-')
            .and_then(|(l, h)| Some((l.parse().ok()?, h.parse().ok()?)))
            .ok_or("--rtp-ports: expected LOW-HIGH")?;
        Ok(b.rtp_ports(low, high))
    }

    /// Waits for Enter on stdin, or `--for` seconds (pyVoIP's `input('Press enter to
    /// disable the phone')`).
    #[allow(dead_code)] // voip_call_state ends with its call instead
    pub(crate) async fn wait(&self) {
        match self.run_for {
            Some(s) => tokio::time::sleep(std::time::Duration::from_secs(s)).await,
            None => {
                println!("Press enter to disable the phone");
                let _ = tokio::task::spawn_blocking(|| {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)
                })
                .await;
            }
        }
    }
}

fn split_host_port(s: &str, default: u16) -> Result<(String, u16), String> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, tail) = rest.split_once(']').ok_or("unclosed [")?;
        let port = match tail.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| format!("bad port in {s}"))?,
            None => default,
        };
        return Ok((host.to_owned(), port));
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => Ok((
            h.to_owned(),
            p.parse().map_err(|_| format!("bad port in {s}"))?,
        )),
        _ => Ok((s.to_owned(), default)),
    }
}

/// Reads a WAV (mono 8 kHz, 8-bit unsigned or 16-bit signed PCM) into pyVoIP's format:
/// 8-bit unsigned, 8 kHz, mono.
#[allow(dead_code)] // Not every example plays a file.
pub(crate) fn read_wav(path: &std::path::Path) -> Result<Vec<u8>, String> {
    let mut reader =
        hound::WavReader::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let spec = reader.spec();
    if spec.channels != 1 || spec.sample_rate != 8000 {
        return Err(format!(
            "{}: need mono 8000 Hz, got {} channel(s) at {} Hz",
            path.display(),
            spec.channels,
            spec.sample_rate
        ));
    }
    match (spec.sample_format, spec.bits_per_sample) {
        // hound gives 8-bit samples as signed (-128..127): pyVoIP's unsigned is +128.
        (hound::SampleFormat::Int, 8) => reader
            .samples::<i8>()
            .map(|s| {
                s.map(|v| (i16::from(v) + 128) as u8)
                    .map_err(|e| e.to_string())
            })
            .collect(),
        (hound::SampleFormat::Int, 16) => reader
            .samples::<i16>()
            .map(|s| s.map(g711::linear8::from_i16).map_err(|e| e.to_string()))
            .collect(),
        (f, b) => Err(format!(
            "{}: unsupported {b}-bit {f:?} samples",
            path.display()
        )),
    }
}
