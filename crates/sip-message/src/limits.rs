//! Configurable bounds applied while framing a message.

/// Bounds on what the parser accepts. Anything over a limit is an error, so a hostile peer
/// cannot make the parser use unbounded memory or time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseLimits {
    /// Largest message (start line, headers and body) in bytes. Default 65 535, the largest
    /// UDP payload.
    pub max_message_size: usize,
    /// Most header fields (lines, after unfolding) in one message. Default 256.
    pub max_headers: usize,
    /// Longest header field (name, value and folded continuation lines) in bytes.
    /// Default 16 384.
    pub max_header_len: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            max_message_size: 65_535,
            max_headers: 256,
            max_header_len: 16_384,
        }
    }
}
