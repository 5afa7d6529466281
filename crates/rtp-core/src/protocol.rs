//! The SDP `m=` line transport protocol, as pyVoIP's `RTPProtocol`.

use crate::Error;
use std::fmt;
use std::str::FromStr;

/// The media transport protocol. `Display`/`FromStr` use pyVoIP's strings
/// (`udp`, `RTP/AVP`, `RTP/SAVP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RtpProtocol {
    /// Plain UDP (`udp`).
    Udp,
    /// RTP audio/video profile, RFC 3551 (`RTP/AVP`).
    #[default]
    Avp,
    /// Secure RTP profile, RFC 3711 (`RTP/SAVP`).
    Savp,
}

impl RtpProtocol {
    /// The protocol token.
    pub const fn as_str(self) -> &'static str {
        match self {
            RtpProtocol::Udp => "udp",
            RtpProtocol::Avp => "RTP/AVP",
            RtpProtocol::Savp => "RTP/SAVP",
        }
    }
}

impl fmt::Display for RtpProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RtpProtocol {
    type Err = Error;

    /// Parses the token, ASCII case-insensitively.
    fn from_str(s: &str) -> Result<Self, Error> {
        [RtpProtocol::Udp, RtpProtocol::Avp, RtpProtocol::Savp]
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
            .ok_or(Error::UnknownName {
                kind: "RTP protocol",
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip() {
        for (p, s) in [
            (RtpProtocol::Udp, "udp"),
            (RtpProtocol::Avp, "RTP/AVP"),
            (RtpProtocol::Savp, "RTP/SAVP"),
        ] {
            assert_eq!(p.to_string(), s);
            assert_eq!(s.parse::<RtpProtocol>(), Ok(p));
        }
        assert_eq!("rtp/avp".parse::<RtpProtocol>(), Ok(RtpProtocol::Avp));
        assert_eq!(
            "RTP/SAVPF".parse::<RtpProtocol>(),
            Err(Error::UnknownName {
                kind: "RTP protocol"
            })
        );
    }
}
