//! [`TransactionConfig`]: timer values and limits of a [`TransactionLayer`](super::TransactionLayer).

use crate::timer::TimerConfig;
use std::time::Duration;

/// Settings of a [`TransactionLayer`](super::TransactionLayer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransactionConfig {
    /// T1, T2 and T4 (defaults 500 ms, 4 s, 5 s).
    pub timers: TimerConfig,
    /// Most transactions alive at once (client and server, including those lingering in
    /// Completed/Confirmed/Accepted). Beyond it a new incoming request is answered
    /// `503 Service Unavailable` statelessly and
    /// [`send_request`](super::TransactionLayer::send_request) fails with
    /// [`TooManyTransactions`](super::TransactionError::TooManyTransactions).
    /// Default 131072: over UDP every call leaves its INVITE server transaction in
    /// Accepted (Timer L) and its BYE's in Completed (Timer J) for 64*T1 = 32 s, so 1000
    /// calls per second keep about 64000 transactions alive, most of them lingering.
    pub max_transactions: usize,
    /// How long a server INVITE transaction waits for the TU's first response before it
    /// sends `100 Trying` itself (RFC 3261 §17.2.1: within 200 ms). `Duration::ZERO` sends
    /// it at once, inside [`receive`](super::TransactionLayer::receive). Default 200 ms:
    /// a TU that answers at once (486, or 180 Ringing) saves a message.
    pub trying_delay: Duration,
    /// Most datagrams and most events queued for the driver. The driver should drain
    /// [`poll_transmit`](super::TransactionLayer::poll_transmit) and
    /// [`poll_event`](super::TransactionLayer::poll_event) after every call; when a queue
    /// is full, new entries are dropped (a dropped datagram is like a lost UDP packet, the
    /// timers recover) and counted in
    /// [`dropped`](super::TransactionLayer::dropped). Default 65536.
    pub max_queued: usize,
}

impl Default for TransactionConfig {
    fn default() -> Self {
        TransactionConfig {
            timers: TimerConfig::default(),
            max_transactions: 131_072,
            trying_delay: Duration::from_millis(200),
            max_queued: 65536,
        }
    }
}
