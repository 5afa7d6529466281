//! The SIP transaction layer of RFC 3261 §17, sans-IO.
//!
//! [`TransactionLayer`] owns every client and server transaction. It never reads a clock
//! or touches a socket: the driver passes the time (`now`) into every call, feeds it the
//! messages it receives, sends what [`poll_transmit`](TransactionLayer::poll_transmit)
//! returns, calls [`handle_timeout`](TransactionLayer::handle_timeout) at
//! [`poll_timeout`](TransactionLayer::poll_timeout) and hands
//! [`poll_event`](TransactionLayer::poll_event)s to the TU, like `quinn-proto`.
//!
//! What it does:
//! - The four state machines (client/server, INVITE/non-INVITE) with timers A-M
//!   ([`Timer`]); retransmission timers (A, E, G) only over UDP,
//!   lingering timers (D, I, J, K) zero over TCP/TLS.
//! - The client INVITE transaction ACKs non-2xx final responses itself (§17.1.1.3). A 2xx
//!   moves it to RFC 6026's Accepted state for 64*T1 (Timer M): further 2xx responses go
//!   to the TU (which ACKs them), or are answered here when the TU sent their ACK through
//!   [`send_ack`](TransactionLayer::send_ack).
//! - The server INVITE transaction sends `100 Trying` when the TU has not answered within
//!   [`trying_delay`](TransactionConfig::trying_delay) (200 ms, §17.2.1), retransmits a
//!   non-2xx final response on Timer G until the ACK, and **retransmits a 2xx itself** in
//!   RFC 6026's Accepted state: T1 doubling up to T2, on every transport as §13.3.1.4
//!   requires, until the ACK of the 2xx arrives (it has a new branch and is matched by
//!   Call-ID, CSeq number, From tag and the 2xx's To tag) or 64*T1 pass (Timer L, then
//!   [`TransactionEvent::NoAck`]: the TU should send BYE). The dialog layer therefore
//!   does not retransmit 2xx responses.
//! - Matching by top Via branch + CSeq method (responses), branch + sent-by + method with
//!   ACK counted as INVITE (requests), and the RFC 2543 fallback for branches without the
//!   `z9hG4bK` cookie (Request-URI, Call-ID, From tag, CSeq number, top Via, and the To
//!   tag: the original request's, or for an ACK our final response's). CANCEL is its own
//!   transaction;
//!   [`find_invite_for_cancel`](TransactionLayer::find_invite_for_cancel) finds the INVITE
//!   it cancels; [`cancel`](TransactionLayer::cancel) sends one (waiting for a
//!   provisional response first, §9.1) and
//!   [`cancel_request`](TransactionLayer::cancel_request) only builds it.
//! - Bounded: at most [`max_transactions`](TransactionConfig::max_transactions) live
//!   transactions (new requests beyond it get a stateless `503`); terminated transactions
//!   are removed at once; output queues are bounded too.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use bytes::Bytes;
//! use sip_message::{SipMessage, SipStatus};
//! use voip::transaction::{Received, Target, TransactionConfig, TransactionEvent, TransactionLayer};
//!
//! let peer = Target::udp("127.0.0.1:5070".parse().unwrap());
//! let mut layer = TransactionLayer::new(TransactionConfig::default());
//! let t0 = Instant::now();
//!
//! // Send an OPTIONS over UDP: it goes out at once and Timer E retransmits it at T1.
//! let options = SipMessage::parse(Bytes::from_static(
//!     b"OPTIONS sip:bob@127.0.0.1:5070 SIP/2.0\r\n\
//!       Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKdoc1\r\n\
//!       From: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:bob@127.0.0.1>\r\n\
//!       Call-ID: doc1@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n\
//!       Content-Length: 0\r\n\r\n",
//! )).unwrap();
//! let key = layer.send_request(t0, options.clone(), peer).unwrap();
//! let first = layer.poll_transmit().unwrap();
//! assert_eq!(first.target, peer);
//! assert_eq!(layer.poll_timeout(), Some(t0 + Duration::from_millis(500)));
//! layer.handle_timeout(t0 + Duration::from_millis(500));
//! assert_eq!(layer.poll_transmit().unwrap().bytes, first.bytes); // retransmission
//!
//! // The 200 OK arrives: the TU gets it, Timer K (T4 = 5 s) absorbs retransmissions.
//! let ok = options.response(SipStatus::OK).to_tag("b1").build().unwrap();
//! let now = t0 + Duration::from_millis(700);
//! match layer.receive(now, ok.clone(), peer) {
//!     Received::Response { key: k, msg } => {
//!         assert_eq!(k, key);
//!         assert_eq!(msg.status(), Some(SipStatus::OK));
//!     }
//!     other => panic!("{other:?}"),
//! }
//! assert!(matches!(layer.receive(now, ok, peer), Received::Absorbed));
//! layer.handle_timeout(now + Duration::from_secs(5));
//! assert_eq!(layer.poll_event(), Some(TransactionEvent::Terminated { key }));
//! assert!(layer.is_empty());
//! ```
//!
//! The server side: an INVITE arrives, the TU answers 200 OK, the layer retransmits the
//! 2xx (T1, 2*T1, ... up to T2) until the ACK comes (with its own branch), and hands that
//! ACK to the TU.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use bytes::Bytes;
//! use sip_message::{SipMessage, SipStatus};
//! use voip::transaction::{Received, Target, TransactionConfig, TransactionLayer};
//!
//! let caller = Target::udp("127.0.0.1:5062".parse().unwrap());
//! let mut layer = TransactionLayer::new(TransactionConfig::default());
//! let t0 = Instant::now();
//! let invite = SipMessage::parse(Bytes::from_static(
//!     b"INVITE sip:bob@127.0.0.1 SIP/2.0\r\n\
//!       Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKdoc2;rport\r\n\
//!       From: <sip:alice@127.0.0.1>;tag=a2\r\nTo: <sip:bob@127.0.0.1>\r\n\
//!       Call-ID: doc2@127.0.0.1\r\nCSeq: 7 INVITE\r\nMax-Forwards: 70\r\n\
//!       Content-Length: 0\r\n\r\n",
//! )).unwrap();
//! let Received::NewRequest { key, msg } = layer.receive(t0, invite, caller) else {
//!     panic!("a new INVITE")
//! };
//! let ok = msg.response(SipStatus::OK).to_tag("b2").build().unwrap();
//! layer.respond(t0 + Duration::from_millis(50), key, ok.clone()).unwrap();
//! assert_eq!(layer.poll_transmit().unwrap().bytes, ok.to_bytes());
//!
//! // Nothing acknowledged it: at T1 the 2xx goes out again.
//! layer.handle_timeout(t0 + Duration::from_millis(550));
//! assert_eq!(layer.poll_transmit().unwrap().bytes, ok.to_bytes());
//!
//! let ack = SipMessage::parse(Bytes::from_static(
//!     b"ACK sip:bob@127.0.0.1 SIP/2.0\r\n\
//!       Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKdoc3\r\n\
//!       From: <sip:alice@127.0.0.1>;tag=a2\r\nTo: <sip:bob@127.0.0.1>;tag=b2\r\n\
//!       Call-ID: doc2@127.0.0.1\r\nCSeq: 7 ACK\r\nMax-Forwards: 70\r\n\
//!       Content-Length: 0\r\n\r\n",
//! )).unwrap();
//! let got = layer.receive(t0 + Duration::from_millis(600), ack, caller);
//! assert!(matches!(got, Received::Ack { invite: Some(k), .. } if k == key));
//! // No more retransmissions; only Timer L (64*T1) is left, absorbing INVITE copies.
//! layer.handle_timeout(t0 + Duration::from_secs(10));
//! assert!(layer.poll_transmit().is_none());
//! ```
//!
//! A driver loop (tokio or otherwise) does, in order: feed what arrived
//! ([`receive`](TransactionLayer::receive)) and what the TU decided
//! ([`send_request`](TransactionLayer::send_request),
//! [`respond`](TransactionLayer::respond), [`send_ack`](TransactionLayer::send_ack)); call
//! [`handle_timeout`](TransactionLayer::handle_timeout) when the deadline of
//! [`poll_timeout`](TransactionLayer::poll_timeout) passed; then drain
//! [`poll_transmit`](TransactionLayer::poll_transmit) to the sockets and
//! [`poll_event`](TransactionLayer::poll_event) to the TU; sleep until the next
//! [`poll_timeout`](TransactionLayer::poll_timeout) or the next input.

mod build;
mod client;
mod config;
mod error;
mod events;
mod key;
mod server;
mod state;
mod target;

pub use config::TransactionConfig;
pub use error::TransactionError;
pub use events::{Received, TransactionEvent};
pub use key::TransactionKey;
pub use state::{TransactionKind, TransactionState};
pub use target::{Target, Transmit};

use crate::timer::Timer;
use key::MatchKey;
use server::Responded;
use sip_message::{Method, SipMessage};
use state::{Ctx, Output, Transaction};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;
use std::time::Instant;

/// All transactions of one SIP endpoint (see the [module docs](self)).
#[derive(Debug)]
pub struct TransactionLayer {
    config: TransactionConfig,
    /// Boxed: a transaction holds its request inline, and finished ones are kept for
    /// Timers D/J/K (up to 32 s), so the map's doubling capacity would multiply that.
    txs: HashMap<TransactionKey, Box<Transaction>>,
    index: HashMap<MatchKey, TransactionKey>,
    /// (deadline, transaction); entries whose deadline is no longer the transaction's
    /// `scheduled` one are stale and skipped.
    heap: BinaryHeap<Reverse<(Instant, TransactionKey)>>,
    out: Output,
    next_id: u64,
    /// Seeds the To tags of stateless 503 responses.
    tag_seed: std::collections::hash_map::RandomState,
}

impl TransactionLayer {
    /// An empty layer.
    pub fn new(config: TransactionConfig) -> Self {
        TransactionLayer {
            config,
            txs: HashMap::new(),
            index: HashMap::new(),
            heap: BinaryHeap::new(),
            out: Output {
                max: config.max_queued.max(1),
                ..Output::default()
            },
            next_id: 1,
            tag_seed: Default::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &TransactionConfig {
        &self.config
    }

    /// Number of live transactions.
    pub fn len(&self) -> usize {
        self.txs.len()
    }

    /// Whether no transaction is live.
    pub fn is_empty(&self) -> bool {
        self.txs.is_empty()
    }

    /// Datagrams and events dropped because the driver let a queue fill up.
    pub fn dropped(&self) -> u64 {
        self.out.dropped
    }

    /// The state of a live transaction.
    pub fn state(&self, key: TransactionKey) -> Option<TransactionState> {
        self.txs.get(&key).map(|t| t.state)
    }

    /// The kind of a live transaction.
    pub fn kind(&self, key: TransactionKey) -> Option<TransactionKind> {
        self.txs.get(&key).map(|t| t.kind)
    }

    /// The request that created a live transaction.
    pub fn request(&self, key: TransactionKey) -> Option<&SipMessage> {
        self.txs.get(&key).map(|t| &t.request)
    }

    /// Where a live transaction sends: the request's target (client) or the responses'
    /// target (server).
    pub fn target(&self, key: TransactionKey) -> Option<Target> {
        self.txs.get(&key).map(|t| t.target)
    }

    /// Every live transaction with its kind and state, in no particular order (for state
    /// dumps and shutdown).
    pub fn transactions(
        &self,
    ) -> impl Iterator<Item = (TransactionKey, TransactionKind, TransactionState)> + '_ {
        self.txs.iter().map(|(k, t)| (*k, t.kind, t.state))
    }

    /// When `timer` of a live transaction fires next, if it runs (for tests and state
    /// dumps).
    pub fn timer_deadline(&self, key: TransactionKey, timer: Timer) -> Option<Instant> {
        self.txs.get(&key)?.timers.get(timer)
    }

    /// Starts a client transaction for `request` (any method but ACK) towards `target`
    /// and queues its first transmission. The request's top Via must carry a unique branch
    /// starting with `z9hG4bK`.
    pub fn send_request(
        &mut self,
        now: Instant,
        request: SipMessage,
        target: Target,
    ) -> Result<TransactionKey, TransactionError> {
        let method = request.method().ok_or(TransactionError::NotARequest)?;
        if method == Method::Ack {
            return Err(TransactionError::AckNotAllowed);
        }
        let cseq = request.cseq()?;
        if cseq.method != method {
            return Err(TransactionError::Malformed(
                sip_message::Error::MethodMismatch { offset: 0 },
            ));
        }
        let via = request.via()?;
        let branch = via
            .branch()
            .filter(|b| key::has_cookie(b))
            .ok_or(TransactionError::MissingBranch)?;
        let mkey = MatchKey::Client {
            branch: branch.into(),
            method: method.clone(),
        };
        if self.index.contains_key(&mkey) {
            return Err(TransactionError::DuplicateBranch);
        }
        self.check_capacity()?;
        let kind = if method == Method::Invite {
            TransactionKind::ClientInvite
        } else {
            TransactionKind::ClientNonInvite
        };
        let key = self.insert(kind, request, target, mkey);
        self.step(key, now, |tx, ctx| tx.start_client(ctx));
        Ok(key)
    }

    /// Sends the ACK of a 2xx (built by the dialog, RFC 3261 §13.2.2.4) for the client
    /// INVITE transaction `invite`. The ACK is queued whatever the transaction's state;
    /// while it is in Accepted, the layer also remembers it and re-sends it for every
    /// retransmission of the 2xx with the ACK's To tag (those are then
    /// [`Absorbed`](Received::Absorbed) instead of reaching the TU again).
    pub fn send_ack(
        &mut self,
        now: Instant,
        invite: TransactionKey,
        ack: SipMessage,
        target: Target,
    ) -> Result<(), TransactionError> {
        let _ = now;
        if ack.method() != Some(Method::Ack) {
            return Err(TransactionError::NotARequest);
        }
        let bytes = ack.to_bytes();
        if let (Some(tx), Some(tag)) = (self.txs.get_mut(&invite), ack.to_tag()) {
            tx.remember_ack(tag, bytes.clone(), target);
        }
        self.out.transmit(Some(invite), target, bytes);
        Ok(())
    }

    /// Builds the CANCEL of the client INVITE transaction `invite` (RFC 3261 §9.1: same
    /// Request-URI, Call-ID, From, To, CSeq number and top Via as the INVITE, Route
    /// copied). Send it with [`send_request`](Self::send_request) to
    /// [`target(invite)`](Self::target); it is a transaction of its own. Fails once the
    /// INVITE has a final response. RFC 3261 §9.1 forbids sending it before a provisional
    /// response arrived; [`cancel`](Self::cancel) takes care of that.
    pub fn cancel_request(&self, invite: TransactionKey) -> Result<SipMessage, TransactionError> {
        let tx = self
            .txs
            .get(&invite)
            .ok_or(TransactionError::UnknownTransaction(invite))?;
        if tx.kind != TransactionKind::ClientInvite
            || !matches!(
                tx.state,
                TransactionState::Calling | TransactionState::Proceeding
            )
        {
            return Err(TransactionError::InvalidState {
                key: invite,
                state: tx.state,
                action: "cancel (not a client INVITE without a final response)",
            });
        }
        Ok(build::cancel_for(&tx.request)?)
    }

    /// Cancels the client INVITE transaction `invite` (RFC 3261 §9.1): with a provisional
    /// response received, builds the CANCEL ([`cancel_request`](Self::cancel_request)),
    /// starts its client transaction towards the INVITE's target and returns its key.
    /// Before any provisional response (Calling) the CANCEL must not be sent yet: the
    /// request is remembered, `Ok(None)` returned, and the CANCEL goes out when the first
    /// provisional response arrives ([`TransactionEvent::CancelSent`]); if a final
    /// response comes first there is nothing left to cancel. Fails once the INVITE has a
    /// final response.
    pub fn cancel(
        &mut self,
        now: Instant,
        invite: TransactionKey,
    ) -> Result<Option<TransactionKey>, TransactionError> {
        let cancel = self.cancel_request(invite)?;
        let Some(tx) = self.txs.get_mut(&invite) else {
            return Err(TransactionError::UnknownTransaction(invite));
        };
        if tx.state == TransactionState::Calling {
            tx.cancel_pending = true;
            return Ok(None);
        }
        let target = tx.target;
        let sent = self.send_request(now, cancel, target)?;
        self.guard_cancelled(now, invite);
        Ok(Some(sent))
    }

    /// A CANCEL for `invite` went out: if no final response comes within 64*T1, the
    /// INVITE transaction times out (RFC 3261 §9.1: "the client transaction is
    /// destroyed"), instead of waiting in Proceeding forever.
    fn guard_cancelled(&mut self, now: Instant, invite: TransactionKey) {
        self.step(invite, now, |tx, ctx| {
            if tx.state == TransactionState::Proceeding && !tx.cancel_sent {
                tx.cancel_sent = true;
                tx.start_timer(Timer::B, ctx);
            }
        });
    }

    /// Sends the CANCEL remembered by [`cancel`](Self::cancel) once `invite` got its first
    /// provisional response.
    fn send_pending_cancel(&mut self, now: Instant, invite: TransactionKey) {
        let Some(tx) = self.txs.get_mut(&invite) else {
            return;
        };
        if !tx.cancel_pending || tx.state == TransactionState::Calling {
            return;
        }
        tx.cancel_pending = false;
        if tx.state != TransactionState::Proceeding {
            return; // a final response came first: nothing to cancel
        }
        let target = tx.target;
        let sent = self
            .cancel_request(invite)
            .and_then(|c| self.send_request(now, c, target));
        match sent {
            Ok(cancel) => {
                self.out
                    .event(TransactionEvent::CancelSent { invite, cancel });
                self.guard_cancelled(now, invite);
            }
            Err(e) => tracing::warn!(%invite, error = %e, "cannot send the pending CANCEL"),
        }
    }

    /// Feeds a message received from `source` (over `source.transport`).
    pub fn receive(&mut self, now: Instant, msg: SipMessage, source: Target) -> Received {
        if msg.is_response() {
            self.receive_response(now, msg)
        } else {
            self.receive_request(now, msg, source)
        }
    }

    fn receive_response(&mut self, now: Instant, msg: SipMessage) -> Received {
        let mkey = match key::response_key(&msg) {
            Ok(k) => k,
            Err(reason) => return Received::Dropped { msg, reason },
        };
        match self.index.get(&mkey).copied() {
            Some(key) => {
                let r = self
                    .step(key, now, |tx, ctx| tx.client_response(msg, ctx))
                    .unwrap_or(Received::Absorbed);
                self.send_pending_cancel(now, key);
                r
            }
            None => Received::Stray { msg },
        }
    }

    fn receive_request(&mut self, now: Instant, msg: SipMessage, source: Target) -> Received {
        let Some(method) = msg.method() else {
            return Received::Dropped {
                msg,
                reason: "not a request",
            };
        };
        match msg.cseq() {
            Ok(c) if c.method == method => {}
            Ok(_) => {
                return Received::Dropped {
                    msg,
                    reason: "CSeq method differs from the request method",
                };
            }
            Err(_) => {
                return Received::Dropped {
                    msg,
                    reason: "missing or malformed CSeq",
                };
            }
        }
        let (mkey, response_target) = match msg.via() {
            Ok(via) => match key::request_key(&msg, &via, method.clone()) {
                Ok(k) => (k, response_target(source, via.rport().is_some(), via.port)),
                Err(reason) => return Received::Dropped { msg, reason },
            },
            Err(_) => {
                return Received::Dropped {
                    msg,
                    reason: "missing or malformed top Via",
                };
            }
        };
        let found = self.index.get(&mkey).copied().filter(|key| {
            // RFC 2543 matching also compares To tags (§17.2.3): a request's with the
            // original request's, an ACK's with our final response's.
            if !matches!(mkey, MatchKey::Legacy { .. }) {
                return true;
            }
            self.txs.get(key).is_some_and(|tx| {
                let expected = if method == Method::Ack {
                    tx.final_to_tag.as_deref()
                } else {
                    tx.request.to_tag()
                };
                expected == msg.to_tag()
            })
        });
        if let Some(key) = found {
            return self
                .step(key, now, |tx, ctx| tx.server_request(msg, ctx))
                .unwrap_or(Received::Absorbed);
        }
        if method == Method::Ack {
            // The ACK of a 2xx: its own branch, matched to the INVITE by dialog fields.
            let accepted = key::accepted_key(&msg).and_then(|k| self.index.get(&k).copied());
            if let Some(key) = accepted {
                let tag_matches = self.txs.get(&key).is_some_and(|tx| {
                    tx.final_to_tag.as_deref() == msg.to_tag()
                        && tx.kind == TransactionKind::ServerInvite
                });
                if tag_matches {
                    return self
                        .step(key, now, |tx, ctx| tx.ack_2xx(msg, ctx))
                        .unwrap_or(Received::Absorbed);
                }
            }
            return Received::Ack { invite: None, msg };
        }
        if self.check_capacity().is_err() {
            let tag = self.random_tag();
            match build::service_unavailable(&msg, &tag) {
                Ok(r) => self.out.transmit(None, response_target, r.to_bytes()),
                Err(e) => tracing::warn!(error = %e, "cannot build 503"),
            }
            tracing::warn!(
                limit = self.config.max_transactions,
                "transaction limit reached, request rejected with 503"
            );
            return Received::Rejected { msg };
        }
        let kind = if method == Method::Invite {
            TransactionKind::ServerInvite
        } else {
            TransactionKind::ServerNonInvite
        };
        let key = self.insert(kind, msg.clone(), response_target, mkey);
        self.step(key, now, |tx, ctx| tx.start_server(ctx));
        Received::NewRequest { key, msg }
    }

    /// Sends `response` on server transaction `key` (the TU's answer to a
    /// [`NewRequest`](Received::NewRequest)). Its top Via branch and CSeq must be the
    /// request's (build it with [`SipMessage::response`]).
    pub fn respond(
        &mut self,
        now: Instant,
        key: TransactionKey,
        response: SipMessage,
    ) -> Result<(), TransactionError> {
        let tx = self
            .txs
            .get(&key)
            .ok_or(TransactionError::UnknownTransaction(key))?;
        if tx.kind.is_client() {
            return Err(TransactionError::InvalidState {
                key,
                state: tx.state,
                action: "respond on a client transaction",
            });
        }
        if !response.is_response() {
            return Err(TransactionError::NotAResponse);
        }
        let same_branch = match (response.via(), tx.request.via()) {
            (Ok(a), Ok(b)) => a.branch() == b.branch(),
            _ => false,
        };
        let same_cseq = response.cseq().ok() == tx.request.cseq().ok();
        if !same_branch || !same_cseq {
            return Err(TransactionError::ResponseMismatch(key));
        }
        let r = self
            .step(key, now, |tx, ctx| tx.server_respond(&response, ctx))
            .ok_or(TransactionError::UnknownTransaction(key))??;
        if r == Responded::Accepted
            && let Some(tx) = self.txs.get_mut(&key)
            && let Some(mk) = key::accepted_key(&tx.request)
        {
            tx.keys.push(mk.clone());
            self.index.insert(mk, key);
        }
        Ok(())
    }

    /// The server INVITE transaction that a received CANCEL cancels (RFC 3261 §9.2: same
    /// branch and sent-by, or the RFC 2543 fields), if it is still alive. The TU answers
    /// the CANCEL with 200 (or 481 when this is `None`) and the INVITE with 487 if it has
    /// not sent a final response yet.
    pub fn find_invite_for_cancel(&self, cancel: &SipMessage) -> Option<TransactionKey> {
        let via = cancel.via().ok()?;
        let mkey = key::request_key(cancel, &via, Method::Invite).ok()?;
        let key = *self.index.get(&mkey)?;
        let tx = self.txs.get(&key)?;
        let legacy_tag_ok =
            !matches!(mkey, MatchKey::Legacy { .. }) || tx.request.to_tag() == cancel.to_tag();
        (tx.kind == TransactionKind::ServerInvite && legacy_tag_ok).then_some(key)
    }

    /// The driver could not send a message of transaction `key` (connection refused,
    /// ICMP error): the transaction terminates with [`TransactionEvent::TransportError`].
    pub fn transport_error(&mut self, key: TransactionKey) {
        if let Some(tx) = self.txs.get_mut(&key) {
            tx.terminate();
            self.out.event(TransactionEvent::TransportError { key });
            self.after(key);
        }
    }

    /// Runs every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(&Reverse((at, key))) = self.heap.peek() {
            if at > now {
                break;
            }
            self.heap.pop();
            match self.txs.get_mut(&key) {
                Some(tx) if tx.scheduled == Some(at) => tx.scheduled = None,
                _ => continue,
            }
            self.step(key, now, |tx, ctx| {
                while !tx.is_terminated()
                    && let Some((timer, fired)) = tx.timers.pop_expired(now)
                {
                    if tx.kind.is_client() {
                        tx.client_timer(timer, fired, ctx);
                    } else {
                        tx.server_timer(timer, fired, ctx);
                    }
                }
            });
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called (the earliest
    /// running timer of any transaction), or `None` if no timer runs.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        while let Some(&Reverse((at, key))) = self.heap.peek() {
            if self.txs.get(&key).is_some_and(|t| t.scheduled == Some(at)) {
                return Some(at);
            }
            self.heap.pop();
        }
        None
    }

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.transmits.pop_front()
    }

    /// The next event for the TU.
    pub fn poll_event(&mut self) -> Option<TransactionEvent> {
        self.out.events.pop_front()
    }

    // ----- internals -----

    fn check_capacity(&self) -> Result<(), TransactionError> {
        if self.txs.len() >= self.config.max_transactions {
            Err(TransactionError::TooManyTransactions {
                limit: self.config.max_transactions,
            })
        } else {
            Ok(())
        }
    }

    fn insert(
        &mut self,
        kind: TransactionKind,
        request: SipMessage,
        target: Target,
        mkey: MatchKey,
    ) -> TransactionKey {
        let key = TransactionKey(self.next_id);
        self.next_id += 1;
        let mut tx = Transaction::new(kind, request, target);
        tx.keys.push(mkey.clone());
        self.index.insert(mkey, key);
        self.txs.insert(key, Box::new(tx));
        key
    }

    /// Runs one state-machine step on `key`, then removes or reschedules it.
    fn step<R>(
        &mut self,
        key: TransactionKey,
        now: Instant,
        f: impl FnOnce(&mut Transaction, &mut Ctx<'_>) -> R,
    ) -> Option<R> {
        let tx = self.txs.get_mut(&key)?;
        let mut ctx = Ctx {
            key,
            cfg: &self.config,
            out: &mut self.out,
            now,
        };
        let r = f(tx, &mut ctx);
        self.after(key);
        Some(r)
    }

    /// Removes a terminated transaction, or queues its earliest timer.
    fn after(&mut self, key: TransactionKey) {
        let Some(tx) = self.txs.get_mut(&key) else {
            return;
        };
        if tx.is_terminated() {
            if let Some(tx) = self.txs.remove(&key) {
                for k in tx.keys {
                    if self.index.get(&k) == Some(&key) {
                        self.index.remove(&k);
                    }
                }
            }
            self.out.event(TransactionEvent::Terminated { key });
            return;
        }
        let earliest = tx.timers.earliest();
        if earliest != tx.scheduled {
            tx.scheduled = earliest;
            if let Some(at) = earliest {
                self.heap.push(Reverse((at, key)));
            }
        }
        // Stale entries leave the heap when they reach the top; rebuild if they pile up.
        if self.heap.len() > 2 * self.txs.len() + 1024 {
            self.heap = self
                .txs
                .iter()
                .filter_map(|(k, t)| t.scheduled.map(|at| Reverse((at, *k))))
                .collect();
        }
    }

    fn random_tag(&mut self) -> String {
        let mut h = self.tag_seed.build_hasher();
        h.write_u64(self.next_id);
        self.next_id += 1;
        format!("{:x}", h.finish())
    }
}

/// Where the responses of a server transaction go (RFC 3261 §18.2.2, RFC 3581): back over
/// the connection for TCP/TLS; to the source address with `rport`; otherwise to the
/// source IP and the Via's sent-by port (default 5060, or 5061 for TLS). `maddr`
/// (multicast) is not supported.
fn response_target(source: Target, rport: bool, via_port: Option<u16>) -> Target {
    if source.is_reliable() || rport {
        return source;
    }
    let port = via_port.unwrap_or_else(|| source.transport.default_port());
    Target::new(SocketAddr::new(source.addr.ip(), port), source.transport)
}
