//! The crate's error type.

/// Everything that can go wrong in this crate.
///
/// Parse errors carry the byte offset into the header value that was parsed and what the
/// parser expected there. Nothing in this crate panics on bad input; it returns one of these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A `WWW-Authenticate` / `Proxy-Authenticate` value is malformed.
    #[error("malformed authentication challenge at byte {offset}: expected {expected}")]
    Parse {
        /// Byte offset into the header value.
        offset: usize,
        /// What the parser expected at `offset`.
        expected: &'static str,
    },
    /// A challenge repeats a parameter that must occur at most once (RFC 9110 §11.2).
    #[error("authentication challenge repeats the `{name}` parameter at byte {offset}")]
    DuplicateParam {
        /// Parameter name (lower case).
        name: &'static str,
        /// Byte offset of the repeated parameter.
        offset: usize,
    },
    /// A challenge lacks a mandatory parameter.
    #[error("{scheme} challenge at byte {offset} has no `{name}` parameter")]
    MissingParam {
        /// Authentication scheme (`Digest`).
        scheme: &'static str,
        /// Parameter name.
        name: &'static str,
        /// Byte offset of the challenge's scheme token.
        offset: usize,
    },
    /// A header value holds more challenges or parameters than this crate accepts.
    #[error("authentication header too large: more than {limit} {what}")]
    TooLarge {
        /// What overflowed (`challenges`, `parameters`).
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// The challenge names a digest algorithm this crate does not implement. The crate never
    /// falls back to MD5 for an unknown name.
    #[error(
        "unsupported digest algorithm `{0}` (supported: MD5, MD5-sess, SHA-256, SHA-256-sess, \
         SHA-512-256, SHA-512-256-sess)"
    )]
    UnknownAlgorithm(String),
    /// The challenge's `qop` list names no protection this crate implements.
    #[error("unsupported qop `{0}` (supported: auth, auth-int)")]
    UnsupportedQop(String),
    /// A `-sess` algorithm was offered without `qop`: the session key needs a client nonce,
    /// which only the qop forms carry (RFC 7616 §3.4.2).
    #[error("digest algorithm {0} needs qop, but the challenge offers none")]
    SessionAlgorithmWithoutQop(&'static str),
    /// The policy refuses Basic authentication (pyVoIP's `ALLOW_BASIC_AUTH = False`).
    #[error("Basic authentication is not allowed by the auth policy (allow_basic is false)")]
    BasicNotAllowed,
    /// The policy refuses MD5 digests (pyVoIP's `ALLOW_MD5_AUTH = False`).
    #[error("MD5 digest authentication is not allowed by the auth policy (allow_md5 is false)")]
    Md5NotAllowed,
    /// A challenge uses a scheme this crate does not implement (`Bearer`, `Negotiate`, ...).
    #[error("unsupported authentication scheme `{0}` (supported: Digest, Basic)")]
    UnsupportedScheme(String),
    /// The response offered no challenge at all, or only schemes this crate does not speak.
    #[error("no Digest or Basic challenge to answer")]
    NoChallenge,
    /// A value cannot be put into a header without changing its meaning: it holds CR, LF or
    /// another control character, or a Basic user-id holds `:`.
    #[error("{what} cannot be sent in an authorization header: {why}")]
    InvalidValue {
        /// Which value (`username`, `uri`, `method`, ...).
        what: &'static str,
        /// Why it is refused.
        why: &'static str,
    },
    /// A credentials store reached its entry limit.
    #[error("credentials store is full ({limit} entries)")]
    StoreFull {
        /// The store's limit.
        limit: usize,
    },
    /// The nonce count for one nonce reached 2^32 - 1; a further request would replay it.
    #[error("nonce count exhausted for this nonce")]
    NonceCountExhausted,
    /// The operating system's random source failed while making a client nonce.
    #[error("random source failed: {0}")]
    Random(String),
}
