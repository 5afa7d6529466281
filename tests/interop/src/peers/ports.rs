//! Free loopback ports for phones and peers.
//!
//! Ports come from 21000-32000 (below Linux's ephemeral range, so peers' own outgoing
//! sockets do not take them), handed out in increasing order and never twice in a run;
//! each one is checked free for UDP and TCP on 127.0.0.1 before it is handed out.

use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};

use anyhow::{Result, bail};

const FIRST: u16 = 21000;
const LAST: u16 = 32000;

/// The run's port allocator (cheap to clone; clones share the counter).
#[derive(Debug, Clone)]
pub(crate) struct Ports {
    next: Arc<AtomicU16>,
}

fn free(port: u16) -> bool {
    let addr = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);
    UdpSocket::bind(addr).is_ok() && TcpListener::bind(addr).is_ok()
}

impl Ports {
    /// A fresh allocator.
    pub(crate) fn new() -> Self {
        Ports {
            next: Arc::new(AtomicU16::new(FIRST)),
        }
    }

    /// `count` consecutive free ports (UDP and TCP), starting at an even port; returns
    /// the first.
    pub(crate) fn block(&self, count: u16) -> Result<u16> {
        let count = count.max(1);
        loop {
            let mut start = self.next.fetch_add(count + 1, Ordering::Relaxed);
            if start % 2 == 1 {
                start += 1;
            }
            if start.checked_add(count).is_none_or(|end| end > LAST) {
                bail!("no free port block of {count} left in {FIRST}-{LAST}");
            }
            if (start..start + count).all(free) {
                return Ok(start);
            }
        }
    }

    /// One free port.
    pub(crate) fn port(&self) -> Result<u16> {
        self.block(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_do_not_overlap_and_start_even() {
        let p = Ports::new();
        let a = p.block(10).unwrap();
        let b = p.block(4).unwrap();
        assert_eq!(a % 2, 0);
        assert_eq!(b % 2, 0);
        assert!(b >= a + 10);
    }
}
