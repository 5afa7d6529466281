//! The crate's error type: pyVoIP's exceptions plus what a networked phone can hit
//! (transport, timeouts, authentication).
//!
//! | pyVoIP 2.0 | here |
//! |---|---|
//! | `InvalidStateError` | [`Error::InvalidState`] |
//! | `InvalidRangeError` | [`Error::InvalidRange`] |
//! | `NoPortsAvailableError` | [`Error::NoPortsAvailable`] |
//! | `InvalidAccountInfoError` | [`Error::InvalidAccountInfo`] |
//! | `NATError` | [`Error::Nat`] |
//! | `SIPParseError` | [`Error::SipParse`] |
//! | `RTPParseError`, `DynamicPayloadType` | [`Error::Rtp`] (and [`Error::DynamicPayloadType`]) |

use crate::core::CallState;
use crate::media::MediaError;
use rtp_core::PayloadType;

/// Everything that can go wrong in the phone.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The call is not in a state that allows the operation (pyVoIP's `InvalidStateError`),
    /// e.g. `answer()` on an answered call or `hangup()` on a ringing one.
    #[error("cannot {action} a call in state {state:?}")]
    InvalidState {
        /// The call's state.
        state: CallState,
        /// What was attempted.
        action: &'static str,
    },
    /// The RTP port range is empty: `rtp_port_low > rtp_port_high` or no even port in it
    /// (pyVoIP's `InvalidRangeError`).
    #[error("invalid RTP port range {low}-{high}")]
    InvalidRange {
        /// Lowest port.
        low: u16,
        /// Highest port.
        high: u16,
    },
    /// Every RTP port of the range is taken (pyVoIP's `NoPortsAvailableError`).
    #[error("no RTP port available in {low}-{high}")]
    NoPortsAvailable {
        /// Lowest port.
        low: u16,
        /// Highest port.
        high: u16,
    },
    /// Registration failed `REGISTER_FAILURE_THRESHOLD` times or cannot succeed (wrong user
    /// or password, no credentials): pyVoIP's `InvalidAccountInfoError`.
    #[error("registration failed: {0}")]
    InvalidAccountInfo(String),
    /// The phone cannot tell which address to advertise to a peer (pyVoIP's `NATError`).
    #[error(transparent)]
    Nat(#[from] sip_transport::NatError),
    /// A SIP message, URI or header could not be parsed or built (pyVoIP's
    /// `SIPParseError`).
    #[error("SIP: {0}")]
    SipParse(#[from] sip_message::Error),
    /// An RTP-level error (pyVoIP's `RTPParseError`).
    #[error("RTP: {0}")]
    Rtp(#[from] rtp_core::Error),
    /// A payload type without a static number was used where one is needed (pyVoIP's
    /// `DynamicPayloadType`).
    #[error("{0:?} has no static payload type number")]
    DynamicPayloadType(PayloadType),
    /// The SIP transport failed (bind, connect, TLS, send).
    #[error("transport: {0}")]
    Transport(String),
    /// No answer in time: a transaction timed out (RFC 3261 Timer B/F) or a wait expired.
    #[error("timed out: {0}")]
    Timeout(&'static str),
    /// A challenge could not be answered, or our credentials were rejected.
    #[error("authentication: {0}")]
    Auth(#[from] crate::auth::AuthError),
    /// SDP offer/answer failed (no common codec: the peer gets 488).
    #[error("SDP negotiation: {0}")]
    Negotiation(#[from] crate::sdp_negotiation::NegotiationError),
    /// The media engine failed (bind, DTMF not negotiated, ...).
    #[error("media: {0}")]
    Media(MediaError),
    /// A dialog operation failed.
    #[error("dialog: {0}")]
    Dialog(#[from] crate::dialog::DialogError),
    /// The transaction layer refused a request.
    #[error("transaction: {0}")]
    Transaction(#[from] crate::transaction::TransactionError),
    /// The peer refused a request in the call with this final status (e.g. a re-INVITE
    /// answered `488` or `491`); the call goes on as before.
    #[error("the peer refused with {status}")]
    Refused {
        /// The status code.
        status: u16,
    },
    /// A target (number or URI) that cannot be called or resolved.
    #[error("invalid target `{0}`")]
    InvalidTarget(String),
    /// A configuration value is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The phone is not started, or was stopped.
    #[error("the phone is not running")]
    NotRunning,
    /// The call no longer exists in the phone (ended and forgotten).
    #[error("unknown call")]
    UnknownCall,
}

impl From<MediaError> for Error {
    fn from(e: MediaError) -> Self {
        match e {
            MediaError::InvalidRange { low, high } => Error::InvalidRange { low, high },
            MediaError::NoPortsAvailable { low, high } => Error::NoPortsAvailable { low, high },
            other => Error::Media(other),
        }
    }
}

impl From<sip_transport::Error> for Error {
    fn from(e: sip_transport::Error) -> Self {
        Error::Transport(e.to_string())
    }
}

/// `Result` with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
