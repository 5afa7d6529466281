//! SIP transaction timers (RFC 3261 §17 and Table 4 of its appendix A, RFC 6026 §8.4).
//!
//! [`TimerConfig`] holds the three base values (T1, T2, T4); every other timer is derived
//! from them, and [`Timer::initial`] says how long a timer runs when it is first started
//! on a reliable or an unreliable transport (`None`: the timer is not used there).
//!
//! ```
//! use std::time::Duration;
//! use voip::timer::{Timer, TimerConfig};
//!
//! let cfg = TimerConfig::default();
//! assert_eq!(cfg.t1, Duration::from_millis(500));
//! // Timer B (INVITE transaction timeout) is 64*T1 on every transport.
//! assert_eq!(Timer::B.initial(&cfg, false), Some(Duration::from_secs(32)));
//! // Timer A (INVITE retransmission) only runs on unreliable transports.
//! assert_eq!(Timer::A.initial(&cfg, true), None);
//! // Timer D is at least 32 s over UDP and zero over TCP/TLS.
//! assert_eq!(Timer::D.initial(&cfg, false), Some(Duration::from_secs(32)));
//! assert_eq!(Timer::D.initial(&cfg, true), Some(Duration::ZERO));
//! ```

use std::fmt;
use std::time::{Duration, Instant};

/// The base timer values of RFC 3261 §17 (Table 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    /// T1, the round-trip time estimate (default 500 ms). Retransmission intervals start
    /// here and transaction timeouts are 64*T1.
    pub t1: Duration,
    /// T2, the longest interval between retransmissions of non-INVITE requests and INVITE
    /// responses (default 4 s).
    pub t2: Duration,
    /// T4, the longest time a message stays in the network (default 5 s).
    pub t4: Duration,
}

impl Default for TimerConfig {
    fn default() -> Self {
        TimerConfig {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
        }
    }
}

impl TimerConfig {
    /// 64*T1: timers B, F, H, J (unreliable), L and M (32 s with the defaults).
    pub fn t1_x64(&self) -> Duration {
        self.t1.saturating_mul(64)
    }

    /// The next retransmission interval after `current` for timers E, G and the 2xx
    /// retransmission: doubled, but at most T2.
    pub fn next_capped(&self, current: Duration) -> Duration {
        current.saturating_mul(2).min(self.t2)
    }
}

/// The named timers of the transaction state machines.
///
/// Timers A-K are RFC 3261's, L and M are RFC 6026's. Two more are not named by an RFC:
/// [`Timer::Trying`] (the server INVITE transaction's automatic `100 Trying`, RFC 3261
/// §17.2.1) and [`Timer::Retransmit2xx`] (the 2xx retransmission of RFC 3261 §13.3.1.4,
/// done here by the server INVITE transaction in its Accepted state).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timer {
    /// Client INVITE: retransmit the INVITE (T1, doubling without limit; UDP only).
    A,
    /// Client INVITE: give up waiting for any response (64*T1).
    B,
    /// Client INVITE: linger in Completed to absorb final response retransmissions
    /// (32 s on UDP, 0 on TCP/TLS).
    D,
    /// Client non-INVITE: retransmit the request (T1, doubling up to T2; T2 once a
    /// provisional response arrived; UDP only).
    E,
    /// Client non-INVITE: give up waiting for a final response (64*T1).
    F,
    /// Server INVITE: retransmit the non-2xx final response (T1, doubling up to T2; UDP
    /// only).
    G,
    /// Server INVITE: give up waiting for the ACK of a non-2xx final response (64*T1).
    H,
    /// Server INVITE: linger in Confirmed to absorb ACK retransmissions (T4 on UDP, 0 on
    /// TCP/TLS).
    I,
    /// Server non-INVITE: linger in Completed to absorb request retransmissions (64*T1 on
    /// UDP, 0 on TCP/TLS).
    J,
    /// Client non-INVITE: linger in Completed to absorb response retransmissions (T4 on
    /// UDP, 0 on TCP/TLS).
    K,
    /// Server INVITE (RFC 6026): stay in Accepted to absorb INVITE retransmissions and
    /// wait for the ACK of the 2xx (64*T1).
    L,
    /// Client INVITE (RFC 6026): stay in Accepted to pass 2xx retransmissions and forked
    /// 2xx responses up (64*T1).
    M,
    /// Server INVITE: send `100 Trying` if the TU has not responded yet
    /// ([`TransactionConfig::trying_delay`](crate::transaction::TransactionConfig),
    /// 200 ms by default).
    Trying,
    /// Server INVITE in Accepted: retransmit the 2xx until the ACK arrives (T1, doubling
    /// up to T2, on every transport as RFC 3261 §13.3.1.4 requires).
    Retransmit2xx,
}

impl Timer {
    /// How long the timer runs when first started, on a reliable (`true`) or unreliable
    /// transport; `None` if the timer is not used on that kind of transport.
    /// [`Timer::Trying`] is configured elsewhere and gives `None`.
    pub fn initial(self, cfg: &TimerConfig, reliable: bool) -> Option<Duration> {
        let unreliable_only = |d: Duration| if reliable { None } else { Some(d) };
        let zero_if_reliable = |d: Duration| Some(if reliable { Duration::ZERO } else { d });
        match self {
            Timer::A | Timer::E | Timer::G => unreliable_only(cfg.t1),
            Timer::B | Timer::F | Timer::H | Timer::L | Timer::M => Some(cfg.t1_x64()),
            // RFC 3261 §17.1.1.2: "at least 32 seconds"; more if 64*T1 is larger.
            Timer::D => zero_if_reliable(cfg.t1_x64().max(Duration::from_secs(32))),
            Timer::I | Timer::K => zero_if_reliable(cfg.t4),
            Timer::J => zero_if_reliable(cfg.t1_x64()),
            Timer::Retransmit2xx => Some(cfg.t1),
            Timer::Trying => None,
        }
    }
}

impl fmt::Display for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Timer::A => "A",
            Timer::B => "B",
            Timer::D => "D",
            Timer::E => "E",
            Timer::F => "F",
            Timer::G => "G",
            Timer::H => "H",
            Timer::I => "I",
            Timer::J => "J",
            Timer::K => "K",
            Timer::L => "L",
            Timer::M => "M",
            Timer::Trying => "100 Trying",
            Timer::Retransmit2xx => "2xx retransmission",
        };
        write!(f, "Timer {s}")
    }
}

/// The running timers of one transaction: a fixed table, no allocation.
///
/// No state of any transaction runs more than two timers at once (a retransmission timer
/// and a timeout); one spare slot keeps a transition that starts a timer before stopping
/// another from overflowing.
#[derive(Debug, Clone, Default)]
pub(crate) struct TimerTable {
    slots: [Option<(Timer, Instant)>; 3],
}

impl TimerTable {
    /// Starts (or restarts) `timer` to fire at `at`.
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        if let Some(slot) = self.slots.iter_mut().flatten().find(|(t, _)| *t == timer) {
            slot.1 = at;
            return;
        }
        if let Some(slot) = self.slots.iter_mut().find(|s| s.is_none()) {
            *slot = Some((timer, at));
        } else {
            // Unreachable by construction (see the type's docs); keep the earliest ones
            // rather than panic.
            debug_assert!(false, "timer table full");
            if let Some(last) = self.slots.iter_mut().max_by_key(|s| s.map(|(_, i)| i)) {
                *last = Some((timer, at));
            }
        }
    }

    /// Stops `timer` if it runs.
    pub(crate) fn clear(&mut self, timer: Timer) {
        for s in &mut self.slots {
            if matches!(s, Some((t, _)) if *t == timer) {
                *s = None;
            }
        }
    }

    /// Stops every timer.
    pub(crate) fn clear_all(&mut self) {
        self.slots = [None; 3];
    }

    /// When `timer` fires, if it runs.
    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        self.slots
            .iter()
            .flatten()
            .find(|(t, _)| *t == timer)
            .map(|(_, at)| *at)
    }

    /// The earliest deadline of all running timers.
    pub(crate) fn earliest(&self) -> Option<Instant> {
        self.slots.iter().flatten().map(|(_, at)| *at).min()
    }

    /// Removes and returns the earliest timer due at `now` with its deadline, if any.
    pub(crate) fn pop_expired(&mut self, now: Instant) -> Option<(Timer, Instant)> {
        let slot = self
            .slots
            .iter_mut()
            .filter(|s| matches!(s, Some((_, at)) if *at <= now))
            .min_by_key(|s| s.map(|(_, at)| at))?;
        slot.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_orders_and_replaces() {
        let t0 = Instant::now();
        let mut t = TimerTable::default();
        assert_eq!(t.earliest(), None);
        t.set(Timer::B, t0 + Duration::from_secs(32));
        t.set(Timer::A, t0 + Duration::from_millis(500));
        assert_eq!(t.earliest(), Some(t0 + Duration::from_millis(500)));
        t.set(Timer::A, t0 + Duration::from_secs(1));
        assert_eq!(t.get(Timer::A), Some(t0 + Duration::from_secs(1)));
        assert_eq!(t.pop_expired(t0), None);
        assert_eq!(
            t.pop_expired(t0 + Duration::from_secs(40)),
            Some((Timer::A, t0 + Duration::from_secs(1)))
        );
        assert_eq!(
            t.pop_expired(t0 + Duration::from_secs(40)).map(|(t, _)| t),
            Some(Timer::B)
        );
        assert_eq!(t.pop_expired(t0 + Duration::from_secs(40)), None);
        t.set(Timer::G, t0);
        t.clear(Timer::G);
        assert_eq!(t.earliest(), None);
    }

    #[test]
    fn derived_values_follow_t1() {
        let cfg = TimerConfig {
            t1: Duration::from_millis(100),
            t2: Duration::from_millis(400),
            t4: Duration::from_secs(1),
        };
        assert_eq!(
            Timer::F.initial(&cfg, true),
            Some(Duration::from_millis(6400))
        );
        assert_eq!(
            Timer::J.initial(&cfg, false),
            Some(Duration::from_millis(6400))
        );
        assert_eq!(Timer::J.initial(&cfg, true), Some(Duration::ZERO));
        // D never drops below 32 s on UDP.
        assert_eq!(Timer::D.initial(&cfg, false), Some(Duration::from_secs(32)));
        assert_eq!(Timer::K.initial(&cfg, false), Some(Duration::from_secs(1)));
        assert_eq!(
            cfg.next_capped(Duration::from_millis(300)),
            Duration::from_millis(400)
        );
    }
}
