//! The RTP port allocator: even ports of `[rtp_port_low, rtp_port_high]`.
//!
//! RTP uses even ports, the odd port above being RTCP's (RFC 3550 §11), so only even
//! ports are handed out and the odd one is never given to another stream. Allocation
//! rotates through the range (a port just released is the last to be reused, so late
//! packets of an ended call do not reach the next one) and skips ports another program
//! holds. Memory is one bit per even port of the range, allocated once.

use super::MediaError;
use std::io;
use std::sync::{Arc, Mutex, PoisonError};

/// Hands out even RTP ports from a range; see the module documentation.
#[derive(Debug)]
pub struct PortAllocator {
    /// First even port of the range.
    first: u16,
    low: u16,
    high: u16,
    used: Vec<bool>,
    in_use: usize,
    next: usize,
}

impl PortAllocator {
    /// An allocator over `[low, high]`. Errors with [`MediaError::InvalidRange`] when
    /// `low > high` or the range holds no even port other than 0 (pyVoIP's
    /// `InvalidRangeError`).
    pub fn new(low: u16, high: u16) -> Result<Self, MediaError> {
        let invalid = MediaError::InvalidRange { low, high };
        if low > high {
            return Err(invalid);
        }
        let first = match low.max(2) {
            p if p % 2 == 1 => p.checked_add(1).ok_or(invalid.clone())?,
            p => p,
        };
        if first > high {
            return Err(invalid);
        }
        let count = usize::from((high - first) / 2) + 1;
        Ok(PortAllocator {
            first,
            low,
            high,
            used: vec![false; count],
            in_use: 0,
            next: 0,
        })
    }

    /// The configured range.
    pub fn range(&self) -> (u16, u16) {
        (self.low, self.high)
    }

    /// How many even ports the range has.
    pub fn capacity(&self) -> usize {
        self.used.len()
    }

    /// How many ports are allocated now.
    pub fn in_use(&self) -> usize {
        self.in_use
    }

    fn port_at(&self, index: usize) -> u16 {
        self.first + 2 * index as u16
    }

    /// Finds a free port that `bind` succeeds on and marks it used. Ports where `bind`
    /// fails with "address in use" or "permission denied" are skipped; any other bind
    /// error (e.g. an address that is not ours) is returned at once. When every port is
    /// taken: [`MediaError::NoPortsAvailable`] (pyVoIP's `NoPortsAvailableError`).
    pub fn allocate<T>(
        &mut self,
        mut bind: impl FnMut(u16) -> io::Result<T>,
    ) -> Result<(u16, T), MediaError> {
        let n = self.used.len();
        for step in 0..n {
            let index = (self.next + step) % n;
            if self.used[index] {
                continue;
            }
            let port = self.port_at(index);
            match bind(port) {
                Ok(t) => {
                    self.used[index] = true;
                    self.in_use += 1;
                    self.next = (index + 1) % n;
                    return Ok((port, t));
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::AddrInUse | io::ErrorKind::PermissionDenied
                    ) => {}
                Err(e) => return Err(MediaError::Bind(Arc::new(e))),
            }
        }
        Err(MediaError::NoPortsAvailable {
            low: self.low,
            high: self.high,
        })
    }

    /// Returns a port to the pool (ports outside the range or not allocated are ignored).
    pub fn release(&mut self, port: u16) {
        if port < self.first || port > self.high || !(port - self.first).is_multiple_of(2) {
            return;
        }
        let index = usize::from((port - self.first) / 2);
        if std::mem::replace(&mut self.used[index], false) {
            self.in_use -= 1;
        }
    }
}

/// A port taken from a shared allocator, given back when dropped.
#[derive(Debug)]
pub(crate) struct PortLease {
    pub(crate) port: u16,
    pool: Arc<Mutex<PortAllocator>>,
}

impl PortLease {
    pub(crate) fn new(port: u16, pool: Arc<Mutex<PortAllocator>>) -> Self {
        PortLease { port, pool }
    }
}

impl Drop for PortLease {
    fn drop(&mut self) {
        self.pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .release(self.port);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_even_ports_and_rotation() {
        let mut a = PortAllocator::new(10001, 10006).unwrap();
        assert_eq!(a.capacity(), 3);
        let p: Vec<u16> = (0..3).map(|_| a.allocate(Ok).unwrap().0).collect();
        assert_eq!(p, [10002, 10004, 10006]);
        assert!(matches!(
            a.allocate(Ok),
            Err(MediaError::NoPortsAvailable {
                low: 10001,
                high: 10006
            })
        ));
        a.release(10004);
        a.release(10004);
        a.release(9);
        assert_eq!(a.in_use(), 2);
        assert_eq!(a.allocate(Ok).unwrap().0, 10004);
        a.release(10002);
        a.release(10006);
        // Rotation: the port after the last allocated one comes first.
        assert_eq!(a.allocate(Ok).unwrap().0, 10006);
    }

    #[test]
    fn invalid_ranges() {
        for (low, high) in [(20000, 10000), (10001, 10001), (0, 1), (65535, 65535)] {
            assert!(matches!(
                PortAllocator::new(low, high),
                Err(MediaError::InvalidRange { .. })
            ));
        }
        assert_eq!(PortAllocator::new(0, 2).unwrap().capacity(), 1);
        assert_eq!(PortAllocator::new(65534, 65535).unwrap().capacity(), 1);
    }

    #[test]
    fn busy_ports_are_skipped_other_errors_returned() {
        let mut a = PortAllocator::new(10000, 10004).unwrap();
        let got = a.allocate(|p| {
            if p == 10000 {
                Err(io::Error::from(io::ErrorKind::AddrInUse))
            } else {
                Ok(p)
            }
        });
        assert_eq!(got.unwrap(), (10002, 10002));
        let e = a.allocate(|_| Err::<(), _>(io::Error::from(io::ErrorKind::AddrNotAvailable)));
        assert!(matches!(e, Err(MediaError::Bind(_))));
        assert_eq!(a.in_use(), 1);
    }
}
