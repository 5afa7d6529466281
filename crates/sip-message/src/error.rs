//! The crate's one error type.

/// Everything that can go wrong while framing, parsing or building a SIP message or SDP body.
///
/// Every parse error carries the byte offset (from the start of the input given to the
/// parser) where the problem was found and a short description of what was expected there,
/// so a UA can log it and answer `400 Bad Request` with a useful reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input does not match the grammar.
    #[error("invalid {context} at byte {offset}: expected {expected}")]
    Syntax {
        /// Which element was being parsed (for example `"Via header"`).
        context: &'static str,
        /// Byte offset of the offending byte.
        offset: usize,
        /// What the grammar allows at that position.
        expected: &'static str,
    },
    /// The start line names a SIP version other than 2.0 (a UAS answers 505).
    #[error("unsupported SIP version at byte {offset}: expected SIP/2.0")]
    UnsupportedVersion {
        /// Byte offset of the version.
        offset: usize,
    },
    /// A mandatory header is absent.
    #[error("missing {name} header (headers end at byte {offset})")]
    MissingHeader {
        /// Canonical header name.
        name: &'static str,
        /// Byte offset of the end of the header section.
        offset: usize,
    },
    /// The body is shorter than its Content-Length says.
    #[error(
        "body shorter than Content-Length at byte {offset}: {declared} bytes declared, {available} present"
    )]
    BodyTooShort {
        /// Byte offset where the body starts.
        offset: usize,
        /// The Content-Length value.
        declared: usize,
        /// Bytes actually present.
        available: usize,
    },
    /// The message is larger than [`ParseLimits::max_message_size`](crate::ParseLimits).
    #[error("message too large at byte {offset}: limit is {limit} bytes")]
    TooLarge {
        /// First byte over the limit.
        offset: usize,
        /// The configured limit.
        limit: usize,
    },
    /// More header fields than [`ParseLimits::max_headers`](crate::ParseLimits).
    #[error("too many header fields at byte {offset}: limit is {limit}")]
    TooManyHeaders {
        /// Start of the first header over the limit.
        offset: usize,
        /// The configured limit.
        limit: usize,
    },
    /// A header field longer than [`ParseLimits::max_header_len`](crate::ParseLimits).
    #[error("header field at byte {offset} is longer than {limit} bytes")]
    HeaderTooLong {
        /// Start of the header field.
        offset: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The request's CSeq method differs from its Request-Line method (RFC 3261 §8.1.1.5).
    #[error("CSeq method at byte {offset} does not match the request method")]
    MethodMismatch {
        /// Byte offset of the CSeq header value.
        offset: usize,
    },
    /// A builder was given a value that cannot be serialized (for example a CR or LF in a
    /// header value, which would inject a header).
    #[error("cannot build message: {0}")]
    Build(&'static str),
}

impl Error {
    /// The byte offset the error refers to, if it has one.
    pub fn offset(&self) -> Option<usize> {
        match *self {
            Error::Syntax { offset, .. }
            | Error::UnsupportedVersion { offset }
            | Error::MissingHeader { offset, .. }
            | Error::BodyTooShort { offset, .. }
            | Error::TooLarge { offset, .. }
            | Error::TooManyHeaders { offset, .. }
            | Error::HeaderTooLong { offset, .. }
            | Error::MethodMismatch { offset } => Some(offset),
            Error::Build(_) => None,
        }
    }

    pub(crate) fn syntax(context: &'static str, offset: usize, expected: &'static str) -> Self {
        Error::Syntax {
            context,
            offset,
            expected,
        }
    }
}

/// Result alias with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
