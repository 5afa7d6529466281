//! What the layer tells the TU: [`Received`] (the result of
//! [`receive`](super::TransactionLayer::receive)) and [`TransactionEvent`]s.

use super::TransactionKey;
use crate::timer::Timer;
use sip_message::SipMessage;

/// What became of a received message.
#[derive(Debug, Clone)]
pub enum Received {
    /// A request that matched no transaction: a server transaction `key` was created. The
    /// TU must answer it with [`respond`](super::TransactionLayer::respond). For CANCEL,
    /// [`find_invite_for_cancel`](super::TransactionLayer::find_invite_for_cancel) finds the
    /// INVITE it cancels.
    NewRequest {
        /// The new server transaction.
        key: TransactionKey,
        /// The request.
        msg: SipMessage,
    },
    /// A response for client transaction `key`: provisional responses, the first final
    /// response, and (RFC 6026 Accepted state) every further 2xx (retransmissions and
    /// forked answers) unless an ACK registered with
    /// [`send_ack`](super::TransactionLayer::send_ack) for that To tag answered it.
    Response {
        /// The client transaction.
        key: TransactionKey,
        /// The response.
        msg: SipMessage,
    },
    /// An ACK that is not part of a non-2xx INVITE transaction, i.e. the ACK of a 2xx (it
    /// may carry the SDP answer). `invite` is the server INVITE transaction whose 2xx it
    /// acknowledges (matched by Call-ID, CSeq number, From tag and the 2xx's To tag); its
    /// 2xx retransmissions have stopped. `None`: no live transaction (the dialog matches
    /// it). Repeated ACKs for the same 2xx are [`Absorbed`](Received::Absorbed).
    Ack {
        /// The server INVITE transaction, if still alive.
        invite: Option<TransactionKey>,
        /// The ACK.
        msg: SipMessage,
    },
    /// A retransmission handled inside the layer (a request retransmission answered with
    /// the last response, a response retransmission answered with the ACK, or discarded).
    Absorbed,
    /// A response that matches no client transaction (e.g. a 2xx retransmission after
    /// Timer M, or a 2xx after a non-2xx final). RFC 3261 §18.1.2 passes it to the core;
    /// the dialog layer decides (ACK and BYE a stray 2xx, drop the rest).
    Stray {
        /// The response.
        msg: SipMessage,
    },
    /// A new request over the transaction limit: `503 Service Unavailable` was queued.
    Rejected {
        /// The request.
        msg: SipMessage,
    },
    /// The message lacks what matching needs (top Via, CSeq, a CSeq method equal to the
    /// request method, a status code). Nothing was sent.
    Dropped {
        /// The message.
        msg: SipMessage,
        /// What was wrong.
        reason: &'static str,
    },
}

/// Something the TU must learn about that did not come with a received message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionEvent {
    /// A transaction failed by timeout: Timer B or F (no final response: the TU acts as if
    /// it got `408 Request Timeout`), or Timer H (our non-2xx final response was never
    /// ACKed). The transaction terminates.
    Timeout {
        /// The transaction.
        key: TransactionKey,
        /// Which timer fired.
        timer: Timer,
    },
    /// A server INVITE transaction sent a 2xx for 64*T1 without receiving its ACK (RFC 3261
    /// §13.3.1.4): the dialog is confirmed but the TU should end the session with BYE.
    NoAck {
        /// The server INVITE transaction.
        key: TransactionKey,
    },
    /// The driver reported that sending failed
    /// ([`transport_error`](super::TransactionLayer::transport_error)); the transaction
    /// terminates (RFC 3261 §17.1.4, §17.2.4).
    TransportError {
        /// The transaction.
        key: TransactionKey,
    },
    /// A CANCEL asked for with [`cancel`](super::TransactionLayer::cancel) while the INVITE
    /// had no provisional response was sent now that one arrived; `cancel` is its client
    /// transaction (its 200 arrives as a [`Received::Response`] for that key).
    CancelSent {
        /// The client INVITE transaction.
        invite: TransactionKey,
        /// The CANCEL's client transaction.
        cancel: TransactionKey,
    },
    /// The transaction reached Terminated and was removed; its key is now unknown.
    Terminated {
        /// The transaction.
        key: TransactionKey,
    },
}
