//! Where messages go: [`Target`] and the [`Transmit`] the driver sends.

use super::TransactionKey;
use bytes::Bytes;
use sip_transport::TransportMode;
use std::net::SocketAddr;

/// A peer address and the transport to reach it (or that a message came over).
///
/// Reliability ([`TransportMode::is_reliable`]) decides the timers: no retransmission
/// timers A, E, G and zero-length D, I, J, K over TCP/TLS (RFC 3261 §17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Target {
    /// The socket address.
    pub addr: SocketAddr,
    /// UDP, TCP or TLS.
    pub transport: TransportMode,
}

impl Target {
    /// A target.
    pub fn new(addr: SocketAddr, transport: TransportMode) -> Self {
        Target { addr, transport }
    }

    /// A UDP target.
    pub fn udp(addr: SocketAddr) -> Self {
        Target::new(addr, TransportMode::Udp)
    }

    /// A TCP target.
    pub fn tcp(addr: SocketAddr) -> Self {
        Target::new(addr, TransportMode::Tcp)
    }

    /// Whether the transport is reliable (TCP, TLS).
    pub fn is_reliable(&self) -> bool {
        self.transport.is_reliable()
    }
}

/// A message the driver must send, from
/// [`poll_transmit`](super::TransactionLayer::poll_transmit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The transaction that sent it (`None` for a stateless `503`). If sending fails,
    /// report it with [`transport_error`](super::TransactionLayer::transport_error).
    pub key: Option<TransactionKey>,
    /// Where to send it. Responses of server transactions go where RFC 3261 §18.2.2 and
    /// RFC 3581 say: back over the connection on TCP/TLS, to the source address when the
    /// Via has `rport`, otherwise to the source IP and the Via's sent-by port.
    pub target: Target,
    /// The wire bytes (a cheap clone of the stored message).
    pub bytes: Bytes,
}
