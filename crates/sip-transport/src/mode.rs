//! [`TransportMode`]: UDP, TCP or TLS, with pyVoIP's string forms and socket kinds.

use std::fmt;
use std::str::FromStr;

/// The kind of socket a transport uses (pyVoIP's `TransportMode.socket_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SocketKind {
    /// `SOCK_DGRAM`: one message per datagram.
    Datagram,
    /// `SOCK_STREAM`: a byte stream framed by Content-Length.
    Stream,
}

/// Which protocol carries SIP (pyVoIP's `TransportMode`).
///
/// | variant | [`as_str`](Self::as_str) | [`socket_kind`](Self::socket_kind) | [`is_tls`](Self::is_tls) |
/// |---|---|---|---|
/// | `Udp` | `"UDP"` | `Datagram` | false |
/// | `Tcp` | `"TCP"` | `Stream` | false |
/// | `Tls` | `"TLS"` | `Stream` | true |
///
/// ```
/// use sip_transport::{SocketKind, TransportMode};
/// let m: TransportMode = "tls".parse().unwrap();
/// assert_eq!(m, TransportMode::Tls);
/// assert_eq!(m.to_string(), "TLS");
/// assert_eq!(m.socket_kind(), SocketKind::Stream);
/// assert_eq!(m.default_port(), 5061);
/// ```
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum TransportMode {
    /// UDP (the default, as in pyVoIP).
    #[default]
    #[serde(rename = "UDP")]
    Udp,
    /// TCP.
    #[serde(rename = "TCP")]
    Tcp,
    /// TLS over TCP.
    #[serde(rename = "TLS")]
    Tls,
}

impl TransportMode {
    /// The string value pyVoIP uses, also the Via transport token: `UDP`, `TCP`, `TLS`.
    pub fn as_str(self) -> &'static str {
        match self {
            TransportMode::Udp => "UDP",
            TransportMode::Tcp => "TCP",
            TransportMode::Tls => "TLS",
        }
    }

    /// The socket kind (pyVoIP's `socket_type`).
    pub fn socket_kind(self) -> SocketKind {
        match self {
            TransportMode::Udp => SocketKind::Datagram,
            TransportMode::Tcp | TransportMode::Tls => SocketKind::Stream,
        }
    }

    /// Whether TLS is used (pyVoIP's `tls_mode` is not `None`).
    pub fn is_tls(self) -> bool {
        self == TransportMode::Tls
    }

    /// Whether the transport is reliable (RFC 3261 §17: no retransmission timers A/E/G).
    pub fn is_reliable(self) -> bool {
        self.socket_kind() == SocketKind::Stream
    }

    /// The default port: 5060, or 5061 for TLS (RFC 3261 §19.1.2).
    pub fn default_port(self) -> u16 {
        if self.is_tls() { 5061 } else { 5060 }
    }
}

impl fmt::Display for TransportMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing a [`TransportMode`] from a string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown transport {0:?} (expected UDP, TCP or TLS)")]
pub struct UnknownTransport(pub String);

impl FromStr for TransportMode {
    type Err = UnknownTransport;

    /// Case-insensitive, as Via transport tokens are (RFC 3261 §7.3.1).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("UDP") {
            Ok(TransportMode::Udp)
        } else if s.eq_ignore_ascii_case("TCP") {
            Ok(TransportMode::Tcp)
        } else if s.eq_ignore_ascii_case("TLS") {
            Ok(TransportMode::Tls)
        } else {
            Err(UnknownTransport(s.to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pyvoip_string_forms_and_kinds() {
        for (m, s, kind, tls) in [
            (TransportMode::Udp, "UDP", SocketKind::Datagram, false),
            (TransportMode::Tcp, "TCP", SocketKind::Stream, false),
            (TransportMode::Tls, "TLS", SocketKind::Stream, true),
        ] {
            assert_eq!(m.as_str(), s);
            assert_eq!(s.parse::<TransportMode>().unwrap(), m);
            assert_eq!(s.to_lowercase().parse::<TransportMode>().unwrap(), m);
            assert_eq!(m.socket_kind(), kind);
            assert_eq!(m.is_tls(), tls);
            assert_eq!(serde_json::to_string(&m).unwrap(), format!("\"{s}\""));
        }
        assert!("SCTP".parse::<TransportMode>().is_err());
        assert_eq!(TransportMode::default(), TransportMode::Udp);
    }
}
