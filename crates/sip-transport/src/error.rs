//! The crate's error type.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::mode::TransportMode;
use crate::nat::NatError;

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A socket operation failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),

    /// Binding the listening socket failed.
    #[error("cannot bind {mode} on {addr}: {source}")]
    Bind {
        /// The transport being bound.
        mode: TransportMode,
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },

    /// Connecting to a peer failed or timed out.
    #[error("cannot connect to {addr} over {mode}: {reason}")]
    Connect {
        /// The peer.
        addr: SocketAddr,
        /// The transport.
        mode: TransportMode,
        /// What went wrong.
        reason: String,
    },

    /// The TLS handshake with a peer failed (bad certificate, host-name mismatch, ...).
    #[error("TLS handshake with {addr} failed: {source}")]
    TlsHandshake {
        /// The peer.
        addr: SocketAddr,
        /// The rustls or I/O error.
        source: std::io::Error,
    },

    /// The TLS configuration is unusable.
    #[error("TLS configuration: {0}")]
    TlsConfig(String),

    /// A certificate, key or CA file could not be read or holds nothing usable.
    #[error("cannot load {what} from {path}: {reason}")]
    Pem {
        /// What was being loaded ("certificate chain", "private key", "CA certificates").
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why it failed.
        reason: String,
    },

    /// The private key is encrypted. No well-kept pure-Rust crate that unifies with this
    /// workspace's dependencies decrypts PEM keys, so decrypt it first, e.g.
    /// `openssl pkey -in key.pem -out plain.pem`.
    #[error(
        "the private key in {path} is encrypted; decrypt it first (e.g. `openssl pkey -in {path} -out key-plain.pem`) and keep the plain key readable only by this process"
    )]
    EncryptedKey {
        /// The key file.
        path: PathBuf,
    },

    /// A TLS transport was asked for without the configuration it needs.
    #[error("TLS transport needs a {0} configuration")]
    MissingTlsConfig(&'static str),

    /// NAT host selection failed (pyVoIP's `NATError`).
    #[error(transparent)]
    Nat(#[from] NatError),

    /// The bytes handed to a send function are not a SIP message this crate can route.
    #[error("cannot send: {0}")]
    InvalidMessage(String),

    /// Parsing a received or outgoing message failed.
    #[error("SIP parse error: {0}")]
    Parse(#[from] sip_message::Error),

    /// The destination cannot be resolved to an address.
    #[error("cannot resolve {host}: {reason}")]
    Resolve {
        /// The host name.
        host: String,
        /// Why.
        reason: String,
    },

    /// The connection limit is reached; the policy is to refuse new connections rather
    /// than evict open ones.
    #[error("connection limit ({0}) reached")]
    TooManyConnections(usize),

    /// The dialog table is full.
    #[error("dialog limit ({0}) reached")]
    TooManyDialogs(usize),

    /// The connection or socket is closed.
    #[error("connection closed")]
    Closed,

    /// The connection's outgoing queue is full (the peer does not read).
    #[error("send queue to {0} is full")]
    Backpressure(SocketAddr),

    /// Nothing arrived in time.
    #[error("timed out")]
    Timeout,

    /// Two transports of the same mode in one [`TransportSet`](crate::TransportSet).
    #[error("more than one {0} transport")]
    DuplicateMode(TransportMode),

    /// The operation does not exist for this transport mode, or no transport of this mode
    /// is bound.
    #[error("not supported over {0}")]
    Unsupported(TransportMode),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
