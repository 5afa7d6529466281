//! The RFC 4733 §2.3 telephone-event payload and the DTMF keys of §3.2.

use crate::Error;
use std::fmt;

/// Length of one telephone-event payload.
pub const TELEPHONE_EVENT_LEN: usize = 4;

/// One telephone-event payload (RFC 4733 §2.3):
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |     event     |E|R| volume    |          duration             |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TelephoneEvent {
    /// The event code (0-15 DTMF, 16 flash, others per RFC 4734).
    pub event: u8,
    /// The E bit: this packet ends the event.
    pub end: bool,
    /// Power level in -dBm0, 0-63 (6 bits).
    pub volume: u8,
    /// Duration so far in timestamp units, counted from the event's RTP timestamp.
    pub duration: u16,
}

impl TelephoneEvent {
    /// Parses the first 4 bytes of a payload. The reserved R bit is ignored, as §2.3 asks
    /// of receivers. Longer payloads are accepted (their tail is ignored): the
    /// RTP layer has already removed padding, and RFC 2198 redundancy uses its own type.
    pub fn parse(payload: &[u8]) -> Result<Self, Error> {
        let Some(b) = payload.first_chunk::<TELEPHONE_EVENT_LEN>() else {
            return Err(Error::InvalidTelephoneEvent {
                offset: payload.len(),
                expected: "a 4-byte telephone-event payload",
            });
        };
        Ok(TelephoneEvent {
            event: b[0],
            end: b[1] & 0x80 != 0,
            volume: b[1] & 0x3F,
            duration: u16::from_be_bytes([b[2], b[3]]),
        })
    }

    /// The 4 payload bytes (R bit zero). Volumes above 63 are clamped to 63.
    pub fn to_bytes(&self) -> [u8; TELEPHONE_EVENT_LEN] {
        let d = self.duration.to_be_bytes();
        [
            self.event,
            (u8::from(self.end) << 7) | self.volume.min(63),
            d[0],
            d[1],
        ]
    }

    /// The DTMF key this event code stands for, if any.
    pub fn key(&self) -> Option<DtmfKey> {
        DtmfKey::from_code(self.event)
    }
}

/// A DTMF key (RFC 4733 §3.2 events 0-15) or hook flash (event 16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DtmfKey {
    /// `0`.
    D0,
    /// `1`.
    D1,
    /// `2`.
    D2,
    /// `3`.
    D3,
    /// `4`.
    D4,
    /// `5`.
    D5,
    /// `6`.
    D6,
    /// `7`.
    D7,
    /// `8`.
    D8,
    /// `9`.
    D9,
    /// `*` (event 10).
    Star,
    /// `#` (event 11).
    Pound,
    /// `A` (event 12).
    A,
    /// `B` (event 13).
    B,
    /// `C` (event 14).
    C,
    /// `D` (event 15).
    D,
    /// Hook flash (event 16); written `R` as in pjsip's digit map.
    Flash,
}

const KEYS: [DtmfKey; 17] = [
    DtmfKey::D0,
    DtmfKey::D1,
    DtmfKey::D2,
    DtmfKey::D3,
    DtmfKey::D4,
    DtmfKey::D5,
    DtmfKey::D6,
    DtmfKey::D7,
    DtmfKey::D8,
    DtmfKey::D9,
    DtmfKey::Star,
    DtmfKey::Pound,
    DtmfKey::A,
    DtmfKey::B,
    DtmfKey::C,
    DtmfKey::D,
    DtmfKey::Flash,
];
const CHARS: &[u8; 17] = b"0123456789*#ABCDR";

impl DtmfKey {
    /// The key for an event code 0-16.
    pub fn from_code(code: u8) -> Option<Self> {
        KEYS.get(code as usize).copied()
    }

    /// The RFC 4733 event code.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The key as a character: `0`-`9`, `*`, `#`, `A`-`D`, and `R` for flash.
    pub const fn as_char(self) -> char {
        CHARS[self as usize] as char
    }

    /// The key for a character; letters are case-insensitive and `!` is also accepted for
    /// flash (the SIP INFO `dtmf-relay` spelling).
    pub fn from_char(c: char) -> Option<Self> {
        let c = match c.to_ascii_uppercase() {
            '!' => 'R',
            c => c,
        };
        CHARS.iter().position(|&k| k as char == c).map(|i| KEYS[i])
    }
}

impl fmt::Display for DtmfKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_char())
    }
}

impl TryFrom<char> for DtmfKey {
    type Error = Error;

    fn try_from(c: char) -> Result<Self, Error> {
        DtmfKey::from_char(c).ok_or(Error::UnknownName { kind: "DTMF key" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc4733_fields() {
        // Event 5, E bit, R bit set (must be ignored), volume 10, duration 800.
        let ev = TelephoneEvent::parse(&[5, 0x80 | 0x40 | 10, 0x03, 0x20]).unwrap();
        assert_eq!(
            ev,
            TelephoneEvent {
                event: 5,
                end: true,
                volume: 10,
                duration: 800
            }
        );
        assert_eq!(ev.key(), Some(DtmfKey::D5));
        assert_eq!(ev.to_bytes(), [5, 0x80 | 10, 0x03, 0x20]);
    }

    #[test]
    fn short_payload_is_an_error() {
        for len in 0..4 {
            assert_eq!(
                TelephoneEvent::parse(&[1, 2, 3][..len.min(3)]),
                Err(Error::InvalidTelephoneEvent {
                    offset: len.min(3),
                    expected: "a 4-byte telephone-event payload"
                })
            );
        }
    }

    #[test]
    fn keys_and_chars() {
        let all: String = (0..=16)
            .map(|c| DtmfKey::from_code(c).unwrap().as_char())
            .collect();
        assert_eq!(all, "0123456789*#ABCDR");
        for code in 0..=16u8 {
            let k = DtmfKey::from_code(code).unwrap();
            assert_eq!(k.code(), code);
            assert_eq!(DtmfKey::from_char(k.as_char()), Some(k));
        }
        assert_eq!(DtmfKey::from_code(17), None);
        assert_eq!(DtmfKey::from_char('a'), Some(DtmfKey::A));
        assert_eq!(DtmfKey::try_from('!'), Ok(DtmfKey::Flash));
        assert!(DtmfKey::try_from('x').is_err());
    }
}
