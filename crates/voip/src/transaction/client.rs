//! Client transactions: INVITE (RFC 3261 §17.1.1, figure 5, with RFC 6026's Accepted
//! state) and non-INVITE (§17.1.2, figure 6).

use super::state::{Ctx, MAX_SENT_ACKS, SentAck, Transaction, TransactionKind, TransactionState};
use super::{Received, Target, TransactionEvent, build};
use crate::timer::Timer;
use bytes::Bytes;
use sip_message::SipMessage;
use std::time::Instant;

impl Transaction {
    /// Sends the request and starts the timers of the initial state.
    pub(crate) fn start_client(&mut self, ctx: &mut Ctx<'_>) {
        let bytes = self.request.to_bytes();
        ctx.out.transmit(Some(ctx.key), self.target, bytes);
        if self.kind == TransactionKind::ClientInvite {
            self.start_retransmit(Timer::A, ctx);
            self.start_timer(Timer::B, ctx);
        } else {
            self.start_retransmit(Timer::E, ctx);
            self.start_timer(Timer::F, ctx);
        }
    }

    /// A response matched this client transaction.
    pub(crate) fn client_response(&mut self, msg: SipMessage, ctx: &mut Ctx<'_>) -> Received {
        let Some(status) = msg.status() else {
            return Received::Dropped {
                msg,
                reason: "invalid status code",
            };
        };
        let key = ctx.key;
        use TransactionState as S;
        match (self.kind, self.state) {
            (TransactionKind::ClientInvite, S::Calling | S::Proceeding) => {
                if status.is_provisional() {
                    // Proceeding: no more retransmissions, and Timer B only guards Calling
                    // (and a cancelled INVITE, RFC 3261 §9.1).
                    self.state = S::Proceeding;
                    self.timers.clear(Timer::A);
                    if !self.cancel_sent {
                        self.timers.clear(Timer::B);
                    }
                } else if status.is_success() {
                    self.state = S::Accepted;
                    self.timers.clear_all();
                    self.start_timer(Timer::M, ctx);
                } else {
                    match build::ack_for_non_2xx(&self.request, &msg) {
                        Ok(ack) => {
                            let bytes = ack.to_bytes();
                            ctx.out.transmit(Some(key), self.target, bytes.clone());
                            self.ack = Some(bytes);
                        }
                        Err(e) => {
                            tracing::warn!(%key, error = %e, "cannot build the ACK of a non-2xx")
                        }
                    }
                    self.state = S::Completed;
                    self.timers.clear_all();
                    self.start_timer(Timer::D, ctx);
                }
                Received::Response { key, msg }
            }
            (TransactionKind::ClientInvite, S::Completed) => {
                if status.is_success() {
                    Received::Stray { msg }
                } else {
                    if !status.is_provisional()
                        && let Some(ack) = &self.ack
                    {
                        ctx.out.transmit(Some(key), self.target, ack.clone());
                    }
                    Received::Absorbed
                }
            }
            (TransactionKind::ClientInvite, S::Accepted) => {
                if !status.is_success() {
                    return Received::Absorbed;
                }
                let sent = msg
                    .to_tag()
                    .and_then(|tag| self.sent_acks.iter().find(|a| &*a.to_tag == tag));
                match sent {
                    Some(a) => {
                        ctx.out.transmit(Some(key), a.target, a.bytes.clone());
                        Received::Absorbed
                    }
                    None => Received::Response { key, msg },
                }
            }
            (TransactionKind::ClientNonInvite, S::Trying | S::Proceeding) => {
                if status.is_provisional() {
                    self.state = S::Proceeding;
                } else {
                    self.state = S::Completed;
                    self.timers.clear_all();
                    self.start_timer(Timer::K, ctx);
                }
                Received::Response { key, msg }
            }
            _ => Received::Absorbed,
        }
    }

    /// Remembers the ACK the TU sent for the 2xx with this To tag (client INVITE in
    /// Accepted), so that retransmissions of that 2xx are answered here.
    pub(crate) fn remember_ack(&mut self, to_tag: &str, bytes: Bytes, target: Target) {
        if self.kind != TransactionKind::ClientInvite || self.state != TransactionState::Accepted {
            return;
        }
        if let Some(a) = self.sent_acks.iter_mut().find(|a| &*a.to_tag == to_tag) {
            a.bytes = bytes;
            a.target = target;
        } else if self.sent_acks.len() < MAX_SENT_ACKS {
            self.sent_acks.push(SentAck {
                to_tag: to_tag.into(),
                bytes,
                target,
            });
        }
    }

    /// A client timer fired at `at`.
    pub(crate) fn client_timer(&mut self, timer: Timer, at: Instant, ctx: &mut Ctx<'_>) {
        let key = ctx.key;
        match timer {
            Timer::A | Timer::E => {
                ctx.out
                    .transmit(Some(key), self.target, self.request.to_bytes());
                let t = &ctx.cfg.timers;
                self.interval = if timer == Timer::A {
                    self.interval.saturating_mul(2)
                } else if self.state == TransactionState::Proceeding {
                    t.t2
                } else {
                    t.next_capped(self.interval)
                };
                tracing::trace!(%key, %timer, interval = ?self.interval, "retransmitting request");
                self.rearm(timer, at, ctx);
            }
            Timer::B | Timer::F => {
                tracing::debug!(%key, %timer, "client transaction timed out");
                ctx.out.event(TransactionEvent::Timeout { key, timer });
                self.terminate();
            }
            _ => self.terminate(),
        }
    }
}
