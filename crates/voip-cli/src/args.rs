//! The phone flags every phone subcommand takes (`--server --user --password --transport
//! --bind --rtp-ports`), turned into [`VoipPhoneParameter`]s, and the one error type the
//! phone subcommands return (an exit code plus a one-line reason).

use clap::Args;
use sip_transport::TransportMode;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use voip::{VoipPhoneParameter, VoipPhoneParameterBuilder};

/// The SIP port used when `--server` has none.
const DEFAULT_SIP_PORT: u16 = 5060;

/// Why a subcommand failed: the process exit code and a one-line reason for stderr.
#[derive(Debug)]
pub(crate) struct Failure {
    /// 1: the operation failed (not answered, a check failed, registration refused);
    /// 2: bad usage or input (a flag, a WAV file).
    pub(crate) code: u8,
    pub(crate) message: String,
}

impl Failure {
    /// The operation itself failed (exit code 1).
    pub(crate) fn failed(message: impl fmt::Display) -> Self {
        Failure {
            code: 1,
            message: message.to_string(),
        }
    }

    /// Bad flags or input files (exit code 2, like clap's usage errors).
    pub(crate) fn usage(message: impl fmt::Display) -> Self {
        Failure {
            code: 2,
            message: message.to_string(),
        }
    }
}

impl From<voip::Error> for Failure {
    fn from(e: voip::Error) -> Self {
        Failure::failed(e)
    }
}

/// Flags shared by `register`, `call`, `answer` and `message`.
#[derive(Debug, Clone, Args)]
pub(crate) struct PhoneArgs {
    /// PBX / registrar as HOST or HOST:PORT; without it the phone works peer to peer.
    #[arg(long, value_name = "HOST[:PORT]")]
    pub(crate) server: Option<String>,
    /// SIP user (also the authentication user).
    #[arg(long, default_value = "voip")]
    pub(crate) user: String,
    /// Password for the server.
    #[arg(long)]
    pub(crate) password: Option<String>,
    /// SIP transport.
    #[arg(long, default_value = "udp", value_parser = ["udp", "tcp", "tls"])]
    pub(crate) transport: String,
    /// Address to bind SIP to, IP or IP:PORT (default port: 5060 for `answer` and `register`,
    /// any free port for `call` and `message`).
    #[arg(long, value_name = "IP[:PORT]", default_value = "0.0.0.0")]
    pub(crate) bind: String,
    /// RTP port range.
    #[arg(long, value_name = "LOW-HIGH", default_value = "10000-20000")]
    pub(crate) rtp_ports: String,
    /// Failed REGISTER attempts (5 s apart, then doubling) before giving up
    /// (pyVoIP's REGISTER_FAILURE_THRESHOLD).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub(crate) register_attempts: u32,
    /// With --transport tls: our certificate chain (PEM), to accept TLS connections
    /// (pyVoIP's cert_file). Needs --tls-key.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// With --transport tls: the private key of --tls-cert (PEM, unencrypted; pyVoIP's
    /// key_file).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,
    /// With --transport tls: trust these CA certificates (PEM) instead of the system's.
    #[arg(long, value_name = "PEM")]
    pub(crate) tls_ca: Option<PathBuf>,
    /// With --transport tls: do not verify the peer's certificate nor its name
    /// (pyVoIP's set_tls_security(CERT_NONE)). For tests only.
    #[arg(long, conflicts_with = "tls_ca")]
    pub(crate) tls_insecure: bool,
}

impl PhoneArgs {
    /// The phone parameters these flags describe; `default_port` is the SIP port bound when
    /// `--bind` names none.
    pub(crate) fn builder(&self, default_port: u16) -> Result<VoipPhoneParameterBuilder, Failure> {
        let mut b = VoipPhoneParameter::builder(self.user.clone());
        if let Some(s) = &self.server {
            let (host, port) = split_host_port(s, DEFAULT_SIP_PORT)
                .map_err(|e| Failure::usage(format!("--server: {e}")))?;
            if host.is_empty() {
                return Err(Failure::usage("--server: empty host"));
            }
            b = b.server(host, port);
        }
        if let Some(p) = &self.password {
            b = b.password(self.user.clone(), p.clone());
        }
        b = b.bind(parse_bind(&self.bind, default_port).map_err(Failure::usage)?);
        let transport = parse_transport(&self.transport).map_err(Failure::usage)?;
        b = b.transport(transport);
        let tls_flags = self.tls_cert.is_some() || self.tls_ca.is_some() || self.tls_insecure;
        if tls_flags && transport != TransportMode::Tls {
            return Err(Failure::usage(
                "--tls-cert, --tls-key, --tls-ca and --tls-insecure need --transport tls",
            ));
        }
        if let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) {
            b = b.tls_identity(cert, key);
        }
        if let Some(ca) = &self.tls_ca {
            b = b.tls_ca_file(ca);
        }
        if self.tls_insecure {
            b = b.tls_verify(false);
        }
        let (low, high) = parse_port_range(&self.rtp_ports).map_err(Failure::usage)?;
        if self.register_attempts == 0 {
            return Err(Failure::usage("--register-attempts: must be at least 1"));
        }
        Ok(b.rtp_ports(low, high)
            .register_failure_threshold(self.register_attempts))
    }

    /// [`builder`](Self::builder) built.
    pub(crate) fn params(&self, default_port: u16) -> Result<VoipPhoneParameter, Failure> {
        self.builder(default_port)?
            .build()
            .map_err(|e| Failure::usage(e.to_string()))
    }
}

/// `udp`, `tcp` or `tls` (any case).
pub(crate) fn parse_transport(s: &str) -> Result<TransportMode, String> {
    match s.to_ascii_lowercase().as_str() {
        "udp" => Ok(TransportMode::Udp),
        "tcp" => Ok(TransportMode::Tcp),
        "tls" => Ok(TransportMode::Tls),
        other => Err(format!(
            "--transport: unknown transport {other:?} (udp, tcp, tls)"
        )),
    }
}

/// `IP`, `IP:PORT`, `[IPv6]` or `[IPv6]:PORT`; a bare IPv6 address is an IP without port.
pub(crate) fn parse_bind(s: &str, default_port: u16) -> Result<SocketAddr, String> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, default_port));
    }
    let (ip, port) = split_host_port(s, default_port).map_err(|e| format!("--bind: {e}"))?;
    let ip: IpAddr = ip
        .parse()
        .map_err(|_| format!("--bind: {ip:?} is not an IP address"))?;
    Ok(SocketAddr::new(ip, port))
}

/// `LOW-HIGH` with LOW <= HIGH.
pub(crate) fn parse_port_range(s: &str) -> Result<(u16, u16), String> {
    let (low, high) = s
        .split_once('-')
        .and_then(|(l, h)| Some((l.trim().parse().ok()?, h.trim().parse().ok()?)))
        .ok_or_else(|| format!("--rtp-ports: expected LOW-HIGH, got {s:?}"))?;
    if low > high {
        return Err(format!("--rtp-ports: {low} is above {high}"));
    }
    Ok((low, high))
}

/// Splits `host[:port]` (IPv6 in brackets); `default` when no port is given.
fn split_host_port(s: &str, default: u16) -> Result<(String, u16), String> {
    let port = |p: &str| {
        p.parse::<u16>()
            .map_err(|_| format!("bad port {p:?} in {s:?}"))
    };
    if let Some(rest) = s.strip_prefix('[') {
        let (host, tail) = rest
            .split_once(']')
            .ok_or_else(|| format!("unclosed [ in {s:?}"))?;
        return match tail {
            "" => Ok((host.to_owned(), default)),
            t => match t.strip_prefix(':') {
                Some(p) => Ok((host.to_owned(), port(p)?)),
                None => Err(format!("unexpected {t:?} after ] in {s:?}")),
            },
        };
    }
    match s.rsplit_once(':') {
        // More than one colon and no brackets: a bare IPv6 address.
        Some((h, _)) if h.contains(':') => Ok((s.to_owned(), default)),
        Some((h, p)) => Ok((h.to_owned(), port(p)?)),
        None => Ok((s.to_owned(), default)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_forms() {
        assert_eq!(
            split_host_port("pbx.example.com", 5060).unwrap(),
            ("pbx.example.com".into(), 5060)
        );
        assert_eq!(
            split_host_port("pbx:5080", 5060).unwrap(),
            ("pbx".into(), 5080)
        );
        assert_eq!(
            split_host_port("[::1]:5070", 5060).unwrap(),
            ("::1".into(), 5070)
        );
        assert_eq!(
            split_host_port("[::1]", 5060).unwrap(),
            ("::1".into(), 5060)
        );
        assert_eq!(split_host_port("::1", 5060).unwrap(), ("::1".into(), 5060));
        assert!(split_host_port("pbx:70000", 5060).is_err());
        assert!(split_host_port("[::1", 5060).is_err());
        assert!(split_host_port("[::1]x", 5060).is_err());
    }

    #[test]
    fn bind_forms() {
        assert_eq!(
            parse_bind("127.0.0.1", 0).unwrap(),
            "127.0.0.1:0".parse().unwrap()
        );
        assert_eq!(
            parse_bind("127.0.0.1:5062", 0).unwrap(),
            "127.0.0.1:5062".parse().unwrap()
        );
        assert_eq!(
            parse_bind("::1", 5060).unwrap(),
            "[::1]:5060".parse().unwrap()
        );
        assert_eq!(
            parse_bind("[::1]:7", 5060).unwrap(),
            "[::1]:7".parse().unwrap()
        );
        assert!(parse_bind("localhost:5060", 0).is_err());
    }

    #[test]
    fn port_ranges() {
        assert_eq!(parse_port_range("10000-20000").unwrap(), (10000, 20000));
        assert_eq!(parse_port_range("5-5").unwrap(), (5, 5));
        assert!(parse_port_range("20000-10000").is_err());
        assert!(parse_port_range("10000").is_err());
        assert!(parse_port_range("a-b").is_err());
    }

    #[test]
    fn transports() {
        assert_eq!(parse_transport("TCP").unwrap(), TransportMode::Tcp);
        assert!(parse_transport("sctp").is_err());
    }
}
