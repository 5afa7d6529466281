//! Media direction (RFC 8866 §6.7 attributes), as pyVoIP's `TransmitType`.

use crate::Error;
use std::fmt;
use std::str::FromStr;

/// Whether a stream sends, receives, both or neither. `Display`/`FromStr` use the SDP
/// attribute names, as pyVoIP's `str(TransmitType.X)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TransmitType {
    /// `sendrecv`: send and receive (the SDP default).
    #[default]
    SendRecv,
    /// `sendonly`: only send.
    SendOnly,
    /// `recvonly`: only receive.
    RecvOnly,
    /// `inactive`: neither.
    Inactive,
}

impl TransmitType {
    /// The SDP attribute name.
    pub const fn as_str(self) -> &'static str {
        match self {
            TransmitType::SendRecv => "sendrecv",
            TransmitType::SendOnly => "sendonly",
            TransmitType::RecvOnly => "recvonly",
            TransmitType::Inactive => "inactive",
        }
    }

    /// True if media is sent in this direction.
    pub const fn sends(self) -> bool {
        matches!(self, TransmitType::SendRecv | TransmitType::SendOnly)
    }

    /// True if media is received in this direction.
    pub const fn receives(self) -> bool {
        matches!(self, TransmitType::SendRecv | TransmitType::RecvOnly)
    }

    /// The direction as seen from the other side: what an SDP answer to this offer must at
    /// most allow (RFC 3264 §6.1): `sendonly` becomes `recvonly` and vice versa.
    pub const fn reversed(self) -> Self {
        match self {
            TransmitType::SendOnly => TransmitType::RecvOnly,
            TransmitType::RecvOnly => TransmitType::SendOnly,
            other => other,
        }
    }
}

impl fmt::Display for TransmitType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TransmitType {
    type Err = Error;

    /// Parses the SDP attribute name (ASCII case-insensitive).
    fn from_str(s: &str) -> Result<Self, Error> {
        [
            TransmitType::SendRecv,
            TransmitType::SendOnly,
            TransmitType::RecvOnly,
            TransmitType::Inactive,
        ]
        .into_iter()
        .find(|t| t.as_str().eq_ignore_ascii_case(s))
        .ok_or(Error::UnknownName {
            kind: "transmit type",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip() {
        for (t, s) in [
            (TransmitType::SendRecv, "sendrecv"),
            (TransmitType::SendOnly, "sendonly"),
            (TransmitType::RecvOnly, "recvonly"),
            (TransmitType::Inactive, "inactive"),
        ] {
            assert_eq!(t.to_string(), s);
            assert_eq!(s.parse::<TransmitType>(), Ok(t));
            assert_eq!(s.to_uppercase().parse::<TransmitType>(), Ok(t));
        }
        assert!("sendrcv".parse::<TransmitType>().is_err());
    }

    #[test]
    fn direction_helpers() {
        assert_eq!(TransmitType::SendOnly.reversed(), TransmitType::RecvOnly);
        assert_eq!(TransmitType::Inactive.reversed(), TransmitType::Inactive);
        assert!(TransmitType::SendOnly.sends() && !TransmitType::SendOnly.receives());
        assert!(!TransmitType::Inactive.sends() && !TransmitType::Inactive.receives());
    }
}
