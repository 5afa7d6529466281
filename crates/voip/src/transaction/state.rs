//! One transaction's data, its kind and state, and the output queues the state machines
//! write to.

use super::{MatchKey, Target, TransactionConfig, TransactionEvent, TransactionKey, Transmit};
use crate::timer::{Timer, TimerTable};
use bytes::Bytes;
use sip_message::SipMessage;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The four state machines of RFC 3261 §17.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionKind {
    /// We sent an INVITE (§17.1.1).
    ClientInvite,
    /// We sent any other request but ACK (§17.1.2).
    ClientNonInvite,
    /// We received an INVITE (§17.2.1).
    ServerInvite,
    /// We received any other request but ACK (§17.2.2).
    ServerNonInvite,
}

impl TransactionKind {
    /// Whether this is a client transaction.
    pub fn is_client(self) -> bool {
        matches!(
            self,
            TransactionKind::ClientInvite | TransactionKind::ClientNonInvite
        )
    }
}

/// Transaction states (RFC 3261 §17 figures 5-8, plus Accepted from RFC 6026).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionState {
    /// Client INVITE: INVITE sent, nothing received.
    Calling,
    /// Non-INVITE: request sent (client) or received (server), no response yet.
    Trying,
    /// A provisional response was received (client) or sent (server).
    Proceeding,
    /// A non-2xx final (INVITE) or any final (non-INVITE) response was received or sent;
    /// retransmissions are absorbed until a timer ends the transaction.
    Completed,
    /// Server INVITE: the ACK of our non-2xx arrived; absorbing ACK retransmissions.
    Confirmed,
    /// INVITE (RFC 6026): a 2xx was received (client) or sent (server).
    Accepted,
    /// Finished; the transaction is removed right after reaching this state.
    Terminated,
}

/// The queues the state machines write to, bounded by `max`.
#[derive(Debug, Default)]
pub(crate) struct Output {
    pub(crate) transmits: VecDeque<Transmit>,
    pub(crate) events: VecDeque<TransactionEvent>,
    pub(crate) max: usize,
    pub(crate) dropped: u64,
}

impl Output {
    pub(crate) fn transmit(&mut self, key: Option<TransactionKey>, target: Target, bytes: Bytes) {
        if self.transmits.len() >= self.max {
            self.dropped += 1;
            tracing::warn!("transaction layer: transmit queue full, datagram dropped");
            return;
        }
        self.transmits.push_back(Transmit { key, target, bytes });
    }

    pub(crate) fn event(&mut self, e: TransactionEvent) {
        if self.events.len() >= self.max {
            self.dropped += 1;
            tracing::warn!(?e, "transaction layer: event queue full, event dropped");
            return;
        }
        self.events.push_back(e);
    }
}

/// Context for one state-machine step.
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    pub(crate) key: TransactionKey,
    pub(crate) cfg: &'a TransactionConfig,
    pub(crate) out: &'a mut Output,
    pub(crate) now: Instant,
}

/// An ACK we sent for a 2xx, re-sent when that 2xx is retransmitted (client INVITE,
/// Accepted).
#[derive(Debug, Clone)]
pub(crate) struct SentAck {
    pub(crate) to_tag: Box<str>,
    pub(crate) bytes: Bytes,
    pub(crate) target: Target,
}

/// Most 2xx ACKs remembered per client INVITE transaction (one per forked answer).
pub(crate) const MAX_SENT_ACKS: usize = 8;

/// One transaction.
#[derive(Debug)]
pub(crate) struct Transaction {
    pub(crate) kind: TransactionKind,
    pub(crate) state: TransactionState,
    /// The request that created the transaction.
    pub(crate) request: SipMessage,
    /// Client: where the request goes. Server: where responses go.
    pub(crate) target: Target,
    pub(crate) timers: TimerTable,
    /// The current interval of the retransmission timer (A, E, G or 2xx).
    pub(crate) interval: Duration,
    /// Server: the last response sent (re-sent on request retransmissions and by G/2xx).
    pub(crate) last_response: Option<Bytes>,
    /// Client INVITE: the ACK of the non-2xx final response.
    pub(crate) ack: Option<Bytes>,
    /// Client INVITE in Accepted: ACKs the TU sent for 2xx responses.
    pub(crate) sent_acks: Vec<SentAck>,
    /// Server: the To tag of our final response (matches the ACK of a 2xx, and the ACK
    /// of an RFC 2543 client); server INVITE in Accepted: whether the 2xx's ACK came.
    pub(crate) final_to_tag: Option<Box<str>>,
    pub(crate) got_ack: bool,
    /// Client INVITE in Calling: the TU asked to cancel; CANCEL goes out with the first
    /// provisional response (RFC 3261 §9.1).
    pub(crate) cancel_pending: bool,
    /// Client INVITE: a CANCEL for it was sent; Timer B (64*T1) then runs in Proceeding
    /// too, so an INVITE whose final response never comes is given up (RFC 3261 §9.1).
    pub(crate) cancel_sent: bool,
    /// The index keys to remove when the transaction ends.
    pub(crate) keys: Vec<MatchKey>,
    /// The deadline this transaction is queued under in the layer's timer heap.
    pub(crate) scheduled: Option<Instant>,
}

impl Transaction {
    pub(crate) fn new(kind: TransactionKind, request: SipMessage, target: Target) -> Self {
        Transaction {
            kind,
            state: match kind {
                TransactionKind::ClientInvite => TransactionState::Calling,
                TransactionKind::ServerInvite => TransactionState::Proceeding,
                _ => TransactionState::Trying,
            },
            request,
            target,
            timers: TimerTable::default(),
            interval: Duration::ZERO,
            last_response: None,
            ack: None,
            sent_acks: Vec::new(),
            final_to_tag: None,
            got_ack: false,
            cancel_pending: false,
            cancel_sent: false,
            keys: Vec::with_capacity(2),
            scheduled: None,
        }
    }

    pub(crate) fn reliable(&self) -> bool {
        self.target.is_reliable()
    }

    /// Starts `timer` with its RFC duration on this transport, if it is used there; a
    /// zero-length timer ends the transaction at once.
    pub(crate) fn start_timer(&mut self, timer: Timer, ctx: &Ctx<'_>) {
        match timer.initial(&ctx.cfg.timers, self.reliable()) {
            Some(d) if d.is_zero() => self.terminate(),
            Some(d) => self.timers.set(timer, ctx.now + d),
            None => {}
        }
    }

    /// Starts a retransmission timer at its first interval (T1), if used on this transport.
    pub(crate) fn start_retransmit(&mut self, timer: Timer, ctx: &Ctx<'_>) {
        if let Some(d) = timer.initial(&ctx.cfg.timers, self.reliable()) {
            self.interval = d;
            self.timers.set(timer, ctx.now + d);
        }
    }

    /// Re-arms a retransmission timer that fired at `fired` with the current interval,
    /// anchored to the deadline (no drift when the driver is late; no burst either).
    pub(crate) fn rearm(&mut self, timer: Timer, fired: Instant, ctx: &Ctx<'_>) {
        let mut next = fired + self.interval;
        if next <= ctx.now {
            next = ctx.now + self.interval;
        }
        self.timers.set(timer, next);
    }

    pub(crate) fn terminate(&mut self) {
        self.state = TransactionState::Terminated;
        self.timers.clear_all();
    }

    pub(crate) fn is_terminated(&self) -> bool {
        self.state == TransactionState::Terminated
    }
}
