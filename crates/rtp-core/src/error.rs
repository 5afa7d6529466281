//! The crate's one error type.

use crate::PayloadType;

/// Everything that can go wrong in this crate.
///
/// Parse errors carry the byte offset where the problem was found and what was expected
/// there. The type is `Copy` and allocation-free, so returning it costs nothing on hot paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input ended before a complete structure.
    #[error("truncated input at byte {offset}: expected {expected}")]
    Truncated {
        /// Byte offset where the missing structure starts.
        offset: usize,
        /// What should have been there.
        expected: &'static str,
    },
    /// The RTP version field is not 2 (RFC 3550 §5.1).
    #[error("unsupported RTP version {version} at byte 0: expected 2")]
    UnsupportedVersion {
        /// The version found.
        version: u8,
    },
    /// The P bit is set but the pad count (last byte) is zero or larger than the room
    /// left after the header.
    #[error(
        "invalid RTP padding count {count} at byte {offset}: expected 1..={max} (the count includes itself and must fit after the header)"
    )]
    InvalidPadding {
        /// Offset of the pad count byte (the last byte of the packet).
        offset: usize,
        /// The pad count found.
        count: u8,
        /// The largest count that would have been valid.
        max: usize,
    },
    /// A header-extension element (RFC 8285) is malformed.
    #[error(
        "invalid header-extension element at byte {offset} of the extension data: expected {expected}"
    )]
    InvalidExtensionElement {
        /// Offset inside the extension data.
        offset: usize,
        /// What was expected there.
        expected: &'static str,
    },
    /// A telephone-event payload (RFC 4733 §2.3) is malformed.
    #[error("invalid telephone-event payload at byte {offset}: expected {expected}")]
    InvalidTelephoneEvent {
        /// Offset inside the payload.
        offset: usize,
        /// What was expected there.
        expected: &'static str,
    },
    /// A dynamic payload type has no static number: its number comes from SDP negotiation
    /// (pyVoIP's `DynamicPayloadType`).
    #[error("payload type {0} is dynamic: its number is negotiated in SDP, not fixed by RFC 3551")]
    DynamicPayloadType(PayloadType),
    /// The output buffer cannot hold what must be written.
    #[error("buffer too small: need {needed} bytes, have {available}")]
    BufferTooSmall {
        /// Bytes required.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// A value handed to a serializer or builder is out of range.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        /// The field name.
        field: &'static str,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// A string does not name a known value of the given kind.
    #[error("unknown {kind} name")]
    UnknownName {
        /// What kind of name was expected (e.g. "transmit type").
        kind: &'static str,
    },
}
