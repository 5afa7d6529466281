//! [`MediaEngine`]: the port range, the shared pacing thread, and stream creation.

use super::MediaError;
use super::pacing::{DeviationHistogram, PacingStats};
use super::ports::{PortAllocator, PortLease};
use super::stream::{MediaStream, StreamShared};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The pacing clock's period: one tick every 20 ms.
pub const TICK: Duration = Duration::from_millis(20);

/// Which source addresses a stream accepts RTP from; see the [module](super) documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LatchPolicy {
    /// Only the address of the peer's SDP.
    Never,
    /// The SDP address, and the SDP's host from any other port (accepted, but we keep
    /// sending to the SDP's port: pyVoIP 2.0 sends from an ephemeral socket); when the SDP
    /// address is private, the first source on another host is latched (accepted and sent
    /// to) instead.
    #[default]
    WhenPrivate,
    /// The SDP address until a packet arrives from elsewhere, then that source (latched
    /// once per negotiation). Only for peers known to be behind NAT without fixing their SDP.
    Always,
}

/// The jitter buffer of every stream unless configured otherwise: rtp-core's 60 ms playout
/// delay and 500 ms latency bound in a 600 ms ring (14 KiB per stream) instead of its
/// 2 s default (47 KiB): a thousand calls are two thousand streams, and the ring is touched
/// end to end within seconds of a call's start.
const JITTER_BUFFER: rtp_core::PacketManagerConfig = rtp_core::PacketManagerConfig {
    capacity: 4_800,
    playout_delay: 480,
    max_latency: 4_000,
};

/// Settings of a [`MediaEngine`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaConfig {
    /// Lowest RTP port (pyVoIP default 10000).
    pub rtp_port_low: u16,
    /// Highest RTP port (pyVoIP default 20000).
    pub rtp_port_high: u16,
    /// Source latching policy.
    pub latch: LatchPolicy,
    /// Most outgoing audio a stream queues, in samples (default 120 s at 8 kHz).
    pub max_queued_audio: usize,
    /// Most received DTMF digits kept until read (default 256; oldest dropped when full).
    pub max_dtmf_digits: usize,
    /// Most DTMF digits waiting to be sent (default 64).
    pub max_pending_dtmf: usize,
    /// Length of each DTMF key press we send (default 100 ms).
    pub dtmf_duration: Duration,
    /// The jitter buffer (capacity and playout delay, in samples; default 600 ms of
    /// capacity, 60 ms playout delay, 500 ms latency bound).
    pub jitter_buffer: rtp_core::PacketManagerConfig,
}

impl MediaConfig {
    /// Defaults with the given port range.
    pub fn new(rtp_port_low: u16, rtp_port_high: u16) -> Self {
        MediaConfig {
            rtp_port_low,
            rtp_port_high,
            latch: LatchPolicy::default(),
            max_queued_audio: 120 * 8000,
            max_dtmf_digits: 256,
            max_pending_dtmf: 64,
            dtmf_duration: Duration::from_millis(100),
            jitter_buffer: JITTER_BUFFER,
        }
    }
}

impl Default for MediaConfig {
    /// pyVoIP's range, 10000-20000.
    fn default() -> Self {
        MediaConfig::new(10000, 20000)
    }
}

/// What the pacing thread shares with stream creation.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    pending: Mutex<Vec<Arc<StreamShared>>>,
    /// Wakes the idle pacing thread (a stream arrived or the engine was dropped).
    wake: Condvar,
    closed: AtomicBool,
}

impl Registry {
    fn add(&self, stream: Arc<StreamShared>) {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(stream);
        self.wake.notify_one();
    }

    fn close(&self) {
        // Under the lock, so the pacing thread cannot check `closed` and then miss the
        // notification while going to sleep.
        let _pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        self.closed.store(true, Ordering::Release);
        self.wake.notify_one();
    }
}

#[derive(Debug)]
struct EngineInner {
    config: Arc<MediaConfig>,
    ports: Arc<Mutex<PortAllocator>>,
    registry: Arc<Registry>,
    pacing: Arc<DeviationHistogram>,
}

impl Drop for EngineInner {
    fn drop(&mut self) {
        // Streams still running keep the pacing thread alive; it ends once they are done.
        self.registry.close();
    }
}

/// The media engine; cheap to clone (all clones share the port range and pacing thread).
/// See the [module](super) documentation.
#[derive(Debug, Clone)]
pub struct MediaEngine {
    inner: Arc<EngineInner>,
}

impl MediaEngine {
    /// Validates the port range and starts the pacing thread. Must be called within a
    /// tokio runtime: the streams' reads and playbacks are async and wait on its timers.
    ///
    /// Errors: [`MediaError::InvalidRange`], [`MediaError::NoRuntime`],
    /// [`MediaError::Thread`].
    pub fn new(config: MediaConfig) -> Result<Self, MediaError> {
        let ports = PortAllocator::new(config.rtp_port_low, config.rtp_port_high)?;
        tokio::runtime::Handle::try_current().map_err(|_| MediaError::NoRuntime)?;
        let registry = Arc::new(Registry::default());
        let pacing = DeviationHistogram::registered();
        let (r, p) = (registry.clone(), pacing.clone());
        std::thread::Builder::new()
            .name("voip-rtp-pacing".into())
            .spawn(move || pacing_thread(&r, &p))
            .map_err(|e| MediaError::Thread(Arc::new(e)))?;
        Ok(MediaEngine {
            inner: Arc::new(EngineInner {
                config: Arc::new(config),
                ports: Arc::new(Mutex::new(ports)),
                registry,
                pacing,
            }),
        })
    }

    /// Send-time deviation of this engine's packets from the 20 ms schedule since it
    /// started (see [`PacingStats`]).
    pub fn pacing_stats(&self) -> PacingStats {
        self.inner.pacing.snapshot()
    }

    /// The configuration.
    pub fn config(&self) -> &MediaConfig {
        &self.inner.config
    }

    /// How many RTP ports are in use (streams not yet fully closed included).
    pub fn ports_in_use(&self) -> usize {
        self.inner
            .ports
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .in_use()
    }

    /// Opens a stream: takes an even port of the range, binds a UDP socket on
    /// `bind_ip` and that port (non-blocking), and hands it to the pacing thread, which sends
    /// and receives for it on every tick. The stream sends and accepts
    /// nothing until [`MediaStream::apply`]. Advertise `stream.local_addr().port()` in SDP
    /// (with the NAT-selected address when `bind_ip` is a wildcard).
    ///
    /// Errors: [`MediaError::NoPortsAvailable`], [`MediaError::Bind`],
    /// [`MediaError::NoRuntime`].
    pub fn open_stream(&self, bind_ip: IpAddr) -> Result<MediaStream, MediaError> {
        // The stream's reads wait on tokio timers; without a runtime they cannot.
        tokio::runtime::Handle::try_current().map_err(|_| MediaError::NoRuntime)?;
        let (port, socket) = self
            .inner
            .ports
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .allocate(|port| {
                let s = std::net::UdpSocket::bind((bind_ip, port))?;
                s.set_nonblocking(true)?;
                Ok(s)
            })?;
        let lease = PortLease::new(port, self.inner.ports.clone());
        let stream = MediaStream::spawn(socket, lease, self.inner.config.clone())?;
        self.inner.registry.add(stream.shared().clone());
        Ok(stream)
    }
}

/// What a tick writes with: the shared packet buffer and the deviation recorder.
#[derive(Debug)]
pub(crate) struct TickOutput<'a> {
    pub(crate) buf: &'a mut [u8],
    /// The absolute deadline of the tick being served.
    pub(crate) deadline: Instant,
    pub(crate) pacing: &'a DeviationHistogram,
}

/// Phases of the 20 ms clock: streams are spread over this many slots, 1 ms apart.
const SLOTS: u64 = 20;

/// Sleeps until `deadline` (an absolute time: a late or early return does not shift the
/// next deadline).
fn sleep_until(deadline: Instant) {
    loop {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        std::thread::sleep(deadline - now);
    }
}

/// Asks the kernel to wake this thread within a microsecond of its deadline instead of
/// the default 50 µs timer slack (best effort).
fn tighten_timer_slack() {
    #[cfg(target_os = "linux")]
    if let Err(e) = nix::sys::prctl::set_timerslack(1_000) {
        tracing::debug!(error = %e, "could not set the pacing thread's timer slack");
    }
}

/// The one pacing thread: an absolute 20 ms clock polling every stream's sender.
///
/// It is an OS thread, not a tokio task: a task's timer fires on tokio's 1 ms wheel
/// (rounded up, so every deadline was up to a millisecond late before the task even ran)
/// and shares its worker with SIP and application tasks. The thread sleeps to the
/// microsecond (`nanosleep` with a 1 µs timer slack) and does only non-blocking socket
/// calls and short locks; what it wakes (readers of audio and DTMF) are tokio `Notify`s,
/// which any thread may signal.
///
/// The streams are spread over [`SLOTS`] phases of the clock (each new stream joins the
/// least used one): stream deadlines are `start + n * 20 ms + slot * 1 ms`, and the thread
/// wakes every millisecond to serve one slot, sending what is due on each of its streams
/// and then reading their sockets. A thousand streams are fifty per slot instead of a
/// thousand at one instant: the last packet of a slot leaves a fraction of a millisecond
/// after its deadline instead of the several milliseconds a thousand sends in a row take,
/// and the kernel sees a steady flow instead of a burst every 20 ms.
fn pacing_thread(registry: &Registry, pacing: &DeviationHistogram) {
    tighten_timer_slack();
    let slot_len = TICK / SLOTS as u32;
    let mut slots: Vec<Vec<Arc<StreamShared>>> = (0..SLOTS).map(|_| Vec::new()).collect();
    // One packet buffer for all streams (12-byte header + up to 60 ms of G.711).
    let mut buf = vec![0u8; 1500];
    let mut control = Vec::with_capacity(64);
    let mut epoch: Option<Instant> = None;
    let mut next: u64 = 0;
    loop {
        {
            let mut pending = registry
                .pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            for stream in pending.drain(..) {
                if let Some(least) = slots.iter_mut().min_by_key(|v| v.len()) {
                    least.push(stream);
                }
            }
            if slots.iter().all(Vec::is_empty) {
                if registry.closed.load(Ordering::Acquire) {
                    return;
                }
                // Idle: no ticks until a stream arrives or the engine is dropped (both
                // signal under this lock, so the wake-up cannot be missed).
                epoch = None;
                drop(
                    registry
                        .wake
                        .wait(pending)
                        .unwrap_or_else(PoisonError::into_inner),
                );
                continue;
            }
        }
        let start = *epoch.get_or_insert_with(|| {
            next = 0;
            Instant::now()
        });
        let at = |n: u64| start + slot_len.saturating_mul(u32::try_from(n).unwrap_or(u32::MAX));
        // Sleep through empty slots: one call wakes the thread 50 times a second, not 1000.
        // (A stream that joins meanwhile waits for its slot, under 20 ms.)
        while slots[(next % SLOTS) as usize].is_empty() {
            next += 1;
        }
        sleep_until(at(next));
        let now = Instant::now();
        // The latest slot due by now; after a late wake-up every slot missed is served
        // (each at most once: its streams' senders send everything due since).
        let due = (now.duration_since(start).as_nanos() / slot_len.as_nanos()) as u64;
        pacing.tick(due.saturating_sub(next));
        let first = next.max((due + 1).saturating_sub(SLOTS));
        for m in first..=due {
            // Deviation counts from the earliest deadline of this slot that was missed,
            // so a late wake-up counts in full.
            let missed = next + (m - next) % SLOTS;
            let mut out = TickOutput {
                buf: &mut buf,
                deadline: at(missed),
                pacing,
            };
            let streams = &mut slots[(m % SLOTS) as usize];
            streams.retain(|s| !s.is_stopped());
            let tick_time = at(m);
            for stream in streams.iter() {
                stream.on_tick(tick_time, &mut out);
            }
            // Then what arrived since this slot's last turn, socket by socket without
            // blocking: no task, no readiness event and no wake-up per packet.
            for stream in streams.iter() {
                stream.drain(out.buf, &mut control);
            }
        }
        next = due + 1;
    }
}
