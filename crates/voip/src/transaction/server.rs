//! Server transactions: INVITE (RFC 3261 §17.2.1, figure 7, with RFC 6026's Accepted
//! state and the 2xx retransmission of §13.3.1.4) and non-INVITE (§17.2.2, figure 8).

use super::state::{Ctx, Transaction, TransactionKind, TransactionState};
use super::{Received, TransactionError, TransactionEvent, build};
use crate::timer::Timer;
use sip_message::{Method, SipMessage};
use std::time::Instant;

/// What a response from the TU did to a server transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Responded {
    /// Sent; nothing for the layer to do.
    Sent,
    /// A 2xx moved a server INVITE transaction to Accepted: index it for the 2xx's ACK.
    Accepted,
}

impl Transaction {
    /// A new server transaction: `100 Trying` now or armed for later (INVITE).
    pub(crate) fn start_server(&mut self, ctx: &mut Ctx<'_>) {
        if self.kind != TransactionKind::ServerInvite {
            return;
        }
        if ctx.cfg.trying_delay.is_zero() {
            self.send_trying(ctx);
        } else {
            self.timers
                .set(Timer::Trying, ctx.now + ctx.cfg.trying_delay);
        }
    }

    fn send_trying(&mut self, ctx: &mut Ctx<'_>) {
        self.timers.clear(Timer::Trying);
        match build::trying(&self.request) {
            Ok(t) => {
                let bytes = t.to_bytes();
                ctx.out.transmit(Some(ctx.key), self.target, bytes.clone());
                self.last_response = Some(bytes);
            }
            Err(e) => tracing::warn!(key = %ctx.key, error = %e, "cannot build 100 Trying"),
        }
    }

    fn resend_last(&mut self, ctx: &mut Ctx<'_>) {
        if let Some(b) = &self.last_response {
            ctx.out.transmit(Some(ctx.key), self.target, b.clone());
        }
    }

    /// A request matched this server transaction: a retransmission, or the ACK of the
    /// INVITE's final response.
    pub(crate) fn server_request(&mut self, msg: SipMessage, ctx: &mut Ctx<'_>) -> Received {
        use TransactionState as S;
        let is_ack = msg.method() == Some(Method::Ack);
        match (self.kind, self.state, is_ack) {
            (TransactionKind::ServerInvite, S::Proceeding, false) => {
                // The client retransmits, so it waited at least T1: answer with the latest
                // provisional response, or 100 Trying if the TU has sent none yet.
                if self.last_response.is_some() {
                    self.resend_last(ctx);
                } else {
                    self.send_trying(ctx);
                }
                Received::Absorbed
            }
            (TransactionKind::ServerInvite, S::Completed, false) => {
                self.resend_last(ctx);
                Received::Absorbed
            }
            (TransactionKind::ServerInvite, S::Completed, true) => {
                self.state = S::Confirmed;
                self.timers.clear_all();
                self.start_timer(Timer::I, ctx);
                Received::Absorbed
            }
            (TransactionKind::ServerInvite, S::Accepted, true) => self.ack_2xx(msg, ctx),
            (TransactionKind::ServerNonInvite, S::Proceeding | S::Completed, false) => {
                self.resend_last(ctx);
                Received::Absorbed
            }
            // ServerInvite Accepted/Confirmed retransmissions (RFC 6026: not passed up),
            // ACK before any final response, non-INVITE retransmissions in Trying.
            _ => Received::Absorbed,
        }
    }

    /// The ACK of our 2xx arrived (server INVITE, Accepted): stop retransmitting the 2xx,
    /// pass the first ACK up.
    pub(crate) fn ack_2xx(&mut self, msg: SipMessage, ctx: &mut Ctx<'_>) -> Received {
        if self.got_ack {
            return Received::Absorbed;
        }
        self.got_ack = true;
        self.timers.clear(Timer::Retransmit2xx);
        Received::Ack {
            invite: Some(ctx.key),
            msg,
        }
    }

    /// The TU sends `response` on this server transaction.
    pub(crate) fn server_respond(
        &mut self,
        response: &SipMessage,
        ctx: &mut Ctx<'_>,
    ) -> Result<Responded, TransactionError> {
        use TransactionState as S;
        let key = ctx.key;
        let status = response.status().ok_or(TransactionError::NotAResponse)?;
        let invalid = |state| TransactionError::InvalidState {
            key,
            state,
            action: "send a response after the final response",
        };
        let bytes = response.to_bytes();
        match self.kind {
            TransactionKind::ServerInvite => {
                if self.state != S::Proceeding {
                    return Err(invalid(self.state));
                }
                self.timers.clear(Timer::Trying);
                ctx.out.transmit(Some(key), self.target, bytes.clone());
                self.last_response = Some(bytes);
                if !status.is_provisional() {
                    self.final_to_tag = response.to_tag().map(Into::into);
                }
                if status.is_provisional() {
                    Ok(Responded::Sent)
                } else if status.is_success() {
                    self.state = S::Accepted;
                    self.timers.clear_all();
                    self.start_retransmit(Timer::Retransmit2xx, ctx);
                    self.start_timer(Timer::L, ctx);
                    Ok(Responded::Accepted)
                } else {
                    self.state = S::Completed;
                    self.timers.clear_all();
                    self.start_retransmit(Timer::G, ctx);
                    self.start_timer(Timer::H, ctx);
                    Ok(Responded::Sent)
                }
            }
            _ => {
                if !matches!(self.state, S::Trying | S::Proceeding) {
                    return Err(invalid(self.state));
                }
                ctx.out.transmit(Some(key), self.target, bytes.clone());
                self.last_response = Some(bytes);
                if status.is_provisional() {
                    self.state = S::Proceeding;
                } else {
                    self.state = S::Completed;
                    self.start_timer(Timer::J, ctx);
                }
                Ok(Responded::Sent)
            }
        }
    }

    /// A server timer fired at `at`.
    pub(crate) fn server_timer(&mut self, timer: Timer, at: Instant, ctx: &mut Ctx<'_>) {
        let key = ctx.key;
        match timer {
            Timer::Trying => {
                if self.state == TransactionState::Proceeding && self.last_response.is_none() {
                    self.send_trying(ctx);
                }
            }
            Timer::G | Timer::Retransmit2xx => {
                self.resend_last(ctx);
                self.interval = ctx.cfg.timers.next_capped(self.interval);
                tracing::trace!(%key, %timer, interval = ?self.interval, "retransmitting response");
                self.rearm(timer, at, ctx);
            }
            Timer::H => {
                tracing::debug!(%key, "no ACK for the non-2xx final response (Timer H)");
                ctx.out.event(TransactionEvent::Timeout { key, timer });
                self.terminate();
            }
            Timer::L => {
                if !self.got_ack {
                    tracing::debug!(%key, "no ACK for the 2xx within 64*T1");
                    ctx.out.event(TransactionEvent::NoAck { key });
                }
                self.terminate();
            }
            _ => self.terminate(),
        }
    }
}
