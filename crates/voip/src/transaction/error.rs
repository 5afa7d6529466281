//! The transaction layer's error type.

use super::{TransactionKey, TransactionState};

/// Why a transaction-layer call was refused. Nothing was sent and no state changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransactionError {
    /// The layer already holds [`max_transactions`](super::TransactionConfig) live
    /// transactions.
    #[error("too many live transactions (limit {limit})")]
    TooManyTransactions {
        /// The configured limit.
        limit: usize,
    },
    /// The key names no live transaction (it never existed or has terminated).
    #[error("unknown or terminated transaction {0}")]
    UnknownTransaction(TransactionKey),
    /// A request was expected.
    #[error("expected a request, got a response")]
    NotARequest,
    /// A response was expected.
    #[error("expected a response, got a request")]
    NotAResponse,
    /// ACK has no client transaction (RFC 3261 §17.1.1.3: the transaction builds the ACK
    /// for a non-2xx itself; the ACK for a 2xx goes through
    /// [`send_ack`](super::TransactionLayer::send_ack)).
    #[error("ACK is not sent through send_request (use send_ack for the ACK of a 2xx)")]
    AckNotAllowed,
    /// The request's top Via has no branch starting with `z9hG4bK` (RFC 3261 §8.1.1.7
    /// requires one on every request we originate).
    #[error("the top Via of the request has no branch starting with z9hG4bK")]
    MissingBranch,
    /// A client transaction with this branch and method is already live.
    #[error("a transaction with this branch and method is already live")]
    DuplicateBranch,
    /// A header the layer relies on (Via, CSeq, Call-ID, Request-URI, status) is missing or
    /// malformed.
    #[error("malformed message: {0}")]
    Malformed(sip_message::Error),
    /// The response does not answer this transaction's request (its top Via branch or its
    /// CSeq differs).
    #[error("the response does not belong to transaction {0}")]
    ResponseMismatch(TransactionKey),
    /// The operation is not allowed in the transaction's kind or current state (e.g. a
    /// second final response, or CANCEL after a final response).
    #[error("transaction {key} is {state:?}: cannot {action}")]
    InvalidState {
        /// The transaction.
        key: TransactionKey,
        /// Its state.
        state: TransactionState,
        /// What was attempted.
        action: &'static str,
    },
}

impl From<sip_message::Error> for TransactionError {
    fn from(e: sip_message::Error) -> Self {
        TransactionError::Malformed(e)
    }
}
