//! The receive thread: takes what arrives on every stream's socket, apart from the pacing
//! thread so that sending stays on time whatever arrives.
//!
//! On Linux it waits on one epoll set (level-triggered) holding every stream's socket and
//! reads one datagram from each socket that is ready, then sleeps [`BATCH`] so that a
//! thousand streams' packets are taken about a hundred at a time rather than with a
//! wake-up each. A socket with more waiting is reported again on the next pass, and a
//! socket with nothing waiting costs nothing: there is no `recv` that ends in `EAGAIN`.
//! Elsewhere it sweeps every socket each [`BATCH`]. Either way a packet is taken at
//! most a few milliseconds after it arrived, stamped with the kernel's receive time
//! (`SO_TIMESTAMPNS`), well inside the jitter buffer's playout delay.

use super::inbox::Inbox;
use super::stream::StreamShared;
use std::sync::Arc;
use std::time::Duration;

/// The pause after a pass that took packets, so that they are taken in batches.
const BATCH: Duration = Duration::from_millis(2);

/// Most datagrams taken from one socket in a pass when sweeping (a flood beyond that waits,
/// or is dropped by the kernel, instead of stalling every other stream).
const MAX_PER_PASS: usize = 64;

/// What the receive thread waits on, made before the thread starts so that the media
/// threads' file descriptors are all open once [`MediaEngine::new`](super::MediaEngine::new)
/// returns (a leak check that counts them sees a steady number).
#[derive(Debug)]
pub(crate) struct Receiver {
    #[cfg(target_os = "linux")]
    epoll: Option<nix::sys::epoll::Epoll>,
}

impl Receiver {
    pub(crate) fn new() -> Self {
        #[cfg(target_os = "linux")]
        {
            use nix::sys::epoll::{Epoll, EpollCreateFlags};
            let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)
                .inspect_err(|e| {
                    // Without epoll (an exhausted fd table), sweeping still receives.
                    tracing::warn!(error = %e, "RTP receive: no epoll; sweeping every socket");
                })
                .ok();
            Receiver { epoll }
        }
        #[cfg(not(target_os = "linux"))]
        Receiver {}
    }

    /// Runs until the engine is dropped and its last stream stopped.
    pub(crate) fn run(self, inbox: &Inbox) {
        let mut buf = vec![0u8; 1500];
        let mut control = Vec::with_capacity(64);
        #[cfg(target_os = "linux")]
        if let Some(epoll) = self.epoll {
            match readiness::run(&epoll, inbox, &mut buf, &mut control) {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "RTP receive: epoll failed; sweeping every socket")
                }
            }
        }
        sweep(inbox, &mut buf, &mut control, Vec::new());
    }
}

/// Every socket every [`BATCH`], each drained until it is empty (or a bounded number).
fn sweep(
    inbox: &Inbox,
    buf: &mut [u8],
    control: &mut Vec<u8>,
    mut streams: Vec<Arc<StreamShared>>,
) {
    loop {
        streams.retain(|s| !s.is_stopped());
        if !inbox.collect(streams.is_empty(), |s| streams.push(s)) {
            return;
        }
        for stream in &streams {
            stream.drain(buf, control, MAX_PER_PASS);
        }
        std::thread::sleep(BATCH);
    }
}

#[cfg(target_os = "linux")]
mod readiness {
    use super::{BATCH, Inbox, StreamShared};
    use nix::errno::Errno;
    use nix::sys::epoll::{Epoll, EpollEvent, EpollFlags};
    use std::collections::HashMap;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    /// How often streams that stopped without a last packet are forgotten (their sockets
    /// are closed when they stop, which takes them out of the epoll set; this frees the
    /// map entry).
    const FORGET_STOPPED: Duration = Duration::from_secs(1);

    pub(super) fn run(
        epoll: &Epoll,
        inbox: &Inbox,
        buf: &mut [u8],
        control: &mut Vec<u8>,
    ) -> Result<(), Errno> {
        // Keys are never reused, so an event of a socket that was closed and whose fd
        // number now belongs to another stream cannot reach the wrong stream.
        let mut streams: HashMap<u64, Arc<StreamShared>> = HashMap::new();
        let mut next_key = 0u64;
        let mut events = vec![EpollEvent::empty(); 1024];
        let mut forgot = Instant::now();
        loop {
            let running = inbox.collect(streams.is_empty(), |stream| {
                let Some(socket) = stream.socket() else {
                    return; // stopped before it got here
                };
                match epoll.add(
                    &socket.socket,
                    EpollEvent::new(EpollFlags::EPOLLIN, next_key),
                ) {
                    Ok(()) => {
                        streams.insert(next_key, stream);
                        next_key += 1;
                    }
                    Err(e) => tracing::warn!(error = %e, "RTP socket not added to epoll"),
                }
            });
            if !running {
                return Ok(());
            }
            if forgot.elapsed() >= FORGET_STOPPED {
                streams.retain(|_, s| !s.is_stopped());
                forgot = Instant::now();
            }
            if streams.is_empty() {
                continue;
            }
            // The timeout bounds how long a new stream or the engine's end waits.
            let n = match epoll.wait(&mut events, 20u16) {
                Ok(n) => n,
                Err(Errno::EINTR) => 0,
                Err(e) => return Err(e),
            };
            for event in &events[..n] {
                if let Some(stream) = streams.get(&event.data()) {
                    stream.drain(buf, control, 1);
                }
            }
            if n > 0 {
                std::thread::sleep(BATCH);
            }
        }
    }
}

#[cfg(test)]
impl Receiver {
    /// A receiver that sweeps, as it does off Linux or without epoll.
    fn sweeping() -> Self {
        #[cfg(target_os = "linux")]
        {
            Receiver { epoll: None }
        }
        #[cfg(not(target_os = "linux"))]
        Receiver {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::ports::PortLease;
    use crate::media::{MediaConfig, MediaStream, PortAllocator};
    use std::net::UdpSocket;
    use std::sync::Mutex;
    use std::time::Instant;

    /// A stream on a loopback port of its own (no media applied: what it receives is
    /// counted as `dropped_not_receiving`, which shows that it was read).
    fn stream() -> MediaStream {
        let pool = Arc::new(Mutex::new(PortAllocator::new(42100, 42199).unwrap()));
        let (port, socket) = pool
            .lock()
            .unwrap()
            .allocate(|port| {
                let s = UdpSocket::bind(("127.0.0.1", port))?;
                s.set_nonblocking(true)?;
                Ok(s)
            })
            .unwrap();
        let lease = PortLease::new(port, pool.clone());
        MediaStream::spawn(socket, lease, Arc::new(MediaConfig::default())).unwrap()
    }

    /// Both ways of receiving take every datagram of every stream, including streams
    /// that arrive while the thread runs, and the thread ends once its inbox is closed and
    /// its streams have stopped.
    fn receives_and_ends(receiver: Receiver) {
        let inbox = Arc::new(Inbox::default());
        let first = stream();
        inbox.add(first.shared().clone());
        let thread = {
            let inbox = inbox.clone();
            std::thread::spawn(move || receiver.run(&inbox))
        };
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let taken = |s: &MediaStream, want: u64| {
            let deadline = Instant::now() + Duration::from_secs(3);
            while s.stats().dropped_not_receiving < want && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            s.stats().dropped_not_receiving
        };
        for _ in 0..3 {
            tx.send_to(b"not yet negotiated", first.local_addr())
                .unwrap();
        }
        assert_eq!(taken(&first, 3), 3);
        let second = stream();
        inbox.add(second.shared().clone());
        for _ in 0..5 {
            tx.send_to(b"x", second.local_addr()).unwrap();
        }
        assert_eq!(taken(&second, 5), 5);
        assert_eq!(first.stats().dropped_not_receiving, 3);

        inbox.close();
        first.stop();
        assert!(!thread.is_finished(), "a stream still runs");
        second.stop();
        let deadline = Instant::now() + Duration::from_secs(3);
        while !thread.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(
            thread.is_finished(),
            "the thread ended with its last stream"
        );
        thread.join().unwrap();
    }

    #[test]
    fn sweeping_receives_and_ends() {
        receives_and_ends(Receiver::sweeping());
    }

    #[test]
    fn readiness_receives_and_ends() {
        receives_and_ends(Receiver::new());
    }
}
