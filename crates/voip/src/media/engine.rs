//! [`MediaEngine`]: the port range, stream creation, and the pacing thread's loop.

use super::MediaError;
use super::inbox::Inbox;
use super::pacing::{DeviationHistogram, PacingStats};
use super::ports::{PortAllocator, PortLease};
use super::stream::{MediaStream, StreamShared};
use super::threads::MediaThreads;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
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
    /// Ask for real-time scheduling (`SCHED_FIFO`, lowest priority) for the pacing thread,
    /// as pjmedia does for its clock thread (default on). Best effort: without the right
    /// (root, `CAP_SYS_NICE` or an `RLIMIT_RTPRIO` above zero) the thread stays a normal
    /// one, which is logged at debug level. Above 80 % of a core the thread is throttled
    /// (see the [module](super) documentation), so it cannot starve the rest.
    pub realtime_pacing: bool,
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
            realtime_pacing: true,
        }
    }
}

impl Default for MediaConfig {
    /// pyVoIP's range, 10000-20000.
    fn default() -> Self {
        MediaConfig::new(10000, 20000)
    }
}

#[derive(Debug)]
struct EngineInner {
    config: Arc<MediaConfig>,
    ports: Arc<Mutex<PortAllocator>>,
    /// The pacing and receive threads, shared with the process's other engines.
    threads: Arc<MediaThreads>,
}

/// The media engine; cheap to clone (all clones share the port range; every engine of the
/// process with the same [`MediaConfig::realtime_pacing`] shares the media threads).
/// See the [module](super) documentation.
#[derive(Debug, Clone)]
pub struct MediaEngine {
    inner: Arc<EngineInner>,
}

impl MediaEngine {
    /// Validates the port range and joins the process's media threads (pacing and
    /// receiving), starting them if no engine with the same
    /// [`realtime_pacing`](MediaConfig::realtime_pacing) runs. Must be called within a
    /// tokio runtime: the streams' reads and playbacks are async and wait on its timers.
    ///
    /// Errors: [`MediaError::InvalidRange`], [`MediaError::NoRuntime`],
    /// [`MediaError::Thread`].
    pub fn new(config: MediaConfig) -> Result<Self, MediaError> {
        let ports = PortAllocator::new(config.rtp_port_low, config.rtp_port_high)?;
        tokio::runtime::Handle::try_current().map_err(|_| MediaError::NoRuntime)?;
        let threads = MediaThreads::shared(config.realtime_pacing)?;
        Ok(MediaEngine {
            inner: Arc::new(EngineInner {
                config: Arc::new(config),
                ports: Arc::new(Mutex::new(ports)),
                threads,
            }),
        })
    }

    /// Send-time deviation from the 20 ms schedule of the packets of the pacing threads
    /// this engine shares (with every engine of the process that has the same
    /// [`realtime_pacing`](MediaConfig::realtime_pacing)), since they started (see
    /// [`PacingStats`]).
    pub fn pacing_stats(&self) -> PacingStats {
        self.inner.threads.pacing_stats()
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
    /// `bind_ip` and that port (non-blocking), and hands it to a pacing thread, which
    /// sends for it on every tick, and to the receive thread. The stream sends and accepts
    /// nothing until [`MediaStream::apply`]. Advertise `stream.local_addr().port()` in SDP
    /// (with the NAT-selected address when `bind_ip` is a wildcard).
    ///
    /// Errors: [`MediaError::NoPortsAvailable`], [`MediaError::Bind`],
    /// [`MediaError::NoRuntime`], [`MediaError::Thread`] (another pacing thread was needed
    /// and could not be started).
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
        self.inner.threads.add(stream.shared())?;
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

/// Real-time scheduling for the calling thread: `SCHED_FIFO` at the lowest real-time
/// priority, above every normal thread and below anything the system set higher (best
/// effort); whether it was granted.
pub(super) fn raise_priority() -> bool {
    #[cfg(target_os = "linux")]
    {
        use thread_priority::{
            RealtimeThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
            set_thread_priority_and_policy, thread_native_id,
        };
        let fifo = ThreadSchedulePolicy::Realtime(RealtimeThreadSchedulePolicy::Fifo);
        match set_thread_priority_and_policy(thread_native_id(), ThreadPriority::Min, fifo) {
            Ok(()) => {
                tracing::debug!("RTP pacing thread runs SCHED_FIFO");
                true
            }
            Err(e) => {
                tracing::debug!(error = %e, "RTP pacing thread stays a normal thread");
                false
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    false
}

/// A pacing thread: an absolute 20 ms clock polling the sender of each of its streams.
/// `count` is how many streams it serves: [`MediaThreads`] adds the streams it hands over,
/// the thread subtracts those that stop.
///
/// It is an OS thread, not a tokio task: a task's timer fires on tokio's 1 ms wheel
/// (rounded up, so every deadline was up to a millisecond late before the task even ran)
/// and shares its worker with SIP and application tasks. The thread sleeps to the
/// microsecond (`nanosleep` with a 1 µs timer slack) and does only non-blocking socket
/// calls and short locks; what it wakes (readers of audio and DTMF) are tokio `Notify`s,
/// which any thread may signal. It asks for real-time scheduling
/// ([`MediaConfig::realtime_pacing`]): a woken normal thread may wait a millisecond or more
/// for a core when the machine is busy, which is the whole of the deviation budget.
///
/// When it has used more than 80 % of a core over the last 100 ms it rests as long as it worked
/// after each wake-up ([`Duty`]): an engine with more streams than a core can send for
/// falls behind (its senders skip what is too old, counted) instead of taking a whole core
/// from SIP, the receive thread and the application, which real-time priority would
/// otherwise let it do.
///
/// It only sends: receiving is the receive thread's, so a slot's work is a few dozen
/// `sendto`s and the next slot is never late because a flood arrived.
///
/// The streams are spread over [`SLOTS`] phases of the clock (each new stream joins the
/// least used one): stream deadlines are `start + n * 20 ms + slot * 1 ms`, and the thread
/// wakes every millisecond to serve one slot, sending what is due on each of its streams. A
/// thousand streams are fifty per slot instead of a thousand at one instant: the last
/// packet of a slot leaves a fraction of a millisecond after its deadline instead of the
/// several milliseconds a thousand sends in a row take, and the kernel sees a steady flow
/// instead of a burst every 20 ms.
pub(super) fn pacing_thread(inbox: &Inbox, pacing: &DeviationHistogram, count: &AtomicUsize) {
    tighten_timer_slack();
    let slot_len = TICK / SLOTS as u32;
    let mut slots: Vec<Vec<Arc<StreamShared>>> = (0..SLOTS).map(|_| Vec::new()).collect();
    // One packet buffer for all streams (12-byte header + up to 60 ms of G.711).
    let mut buf = vec![0u8; 1500];
    let mut epoch: Option<Instant> = None;
    let mut next: u64 = 0;
    let mut duty = Duty::new(Instant::now());
    loop {
        let idle = slots.iter().all(Vec::is_empty);
        if idle {
            // No ticks while there is no stream.
            epoch = None;
        }
        let running = inbox.collect(idle, |stream| {
            if let Some(least) = slots.iter_mut().min_by_key(|v| v.len()) {
                least.push(stream);
            }
        });
        if !running {
            return;
        }
        if slots.iter().all(Vec::is_empty) {
            continue;
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
        sleep_until(at(next).max(duty.rest_until));
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
            let tick_time = at(m);
            let before = streams.len();
            streams.retain(|stream| stream.on_tick(tick_time, &mut out));
            count.fetch_sub(before - streams.len(), Ordering::Relaxed);
        }
        next = due + 1;
        duty.worked(now, Instant::now(), thread_cpu_time);
    }
}

/// CPU time used by the calling thread, where the system tells.
fn thread_cpu_time() -> Option<Duration> {
    #[cfg(target_os = "linux")]
    {
        use nix::time::{ClockId, clock_gettime};
        let t = clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID).ok()?;
        Some(Duration::new(
            u64::try_from(t.tv_sec()).ok()?,
            u32::try_from(t.tv_nsec()).ok()?,
        ))
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// The pacing thread's duty-cycle guard: after a window in which it used more than
/// [`MAX_DUTY`] of a core (its CPU time where the system tells, else the wall time of its
/// wake-ups), it rests after each wake-up at least as long as that wake-up's work took,
/// until a window comes in under the bound.
#[derive(Debug)]
struct Duty {
    window_start: Instant,
    busy: Duration,
    /// The thread's CPU time when the window started.
    cpu_start: Option<Duration>,
    throttled: bool,
    /// The earliest the thread may wake next.
    rest_until: Instant,
}

/// The guard's window.
const DUTY_WINDOW: Duration = Duration::from_millis(100);
/// Busy fraction of a window above which the thread is throttled (in percent). A thousand
/// calls keep it near 45 %.
const MAX_DUTY: u32 = 80;

impl Duty {
    fn new(now: Instant) -> Self {
        Duty {
            window_start: now,
            busy: Duration::ZERO,
            cpu_start: None,
            throttled: false,
            rest_until: now,
        }
    }

    /// A wake-up that started at `woke` has done its work at `now`; `cpu` reads the
    /// thread's CPU time (once per window).
    fn worked(&mut self, woke: Instant, now: Instant, cpu: impl FnOnce() -> Option<Duration>) {
        let work = now - woke;
        self.busy += work;
        let window = now - self.window_start;
        if window >= DUTY_WINDOW {
            let cpu_now = cpu();
            let used = match (cpu_now, self.cpu_start) {
                (Some(now), Some(start)) => now.saturating_sub(start),
                _ => self.busy,
            };
            self.cpu_start = cpu_now;
            let over = used * 100 > window * MAX_DUTY;
            if over != self.throttled {
                tracing::debug!(
                    busy_ms = used.as_millis() as u64,
                    window_ms = window.as_millis() as u64,
                    throttled = over,
                    "RTP pacing thread duty cycle"
                );
            }
            self.throttled = over;
            self.window_start = now;
            self.busy = Duration::ZERO;
        }
        self.rest_until = if self.throttled { now + work } else { now };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duty_guard_throttles_only_after_a_busy_window() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut duty = Duty::new(t0);
        let no_cpu_clock = || None;
        // 40 % busy: 0.4 ms of work per 1 ms slot for 100 ms. No rest beyond the work.
        for i in 0..100u32 {
            let woke = t0 + ms(1) * i;
            duty.worked(woke, woke + Duration::from_micros(400), no_cpu_clock);
            assert_eq!(duty.rest_until, woke + Duration::from_micros(400));
        }
        assert!(!duty.throttled);
        // 90 % busy for the next window: throttled from the window's end on.
        let t1 = t0 + ms(100);
        for i in 0..100u32 {
            let woke = t1 + ms(1) * i;
            duty.worked(woke, woke + Duration::from_micros(900), no_cpu_clock);
            assert!(!duty.throttled, "not before the window closes");
        }
        let woke = t1 + ms(100);
        duty.worked(woke, woke + ms(2), no_cpu_clock);
        assert!(duty.throttled);
        assert_eq!(duty.rest_until, woke + ms(4), "rests as long as it worked");
        // A quiet window lifts it.
        let t2 = woke + ms(2);
        for i in 1..=100u32 {
            let woke = t2 + ms(1) * i;
            duty.worked(woke, woke + Duration::from_micros(100), no_cpu_clock);
        }
        assert!(!duty.throttled);
    }

    #[test]
    fn duty_guard_counts_cpu_time_where_known() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut duty = Duty::new(t0);
        // The first window only starts the CPU clock (wall time decides: 50 %, fine).
        duty.worked(t0 + ms(99), t0 + ms(150), || Some(ms(1000)));
        assert!(!duty.throttled);
        // Long wake-ups (95 % of the wall time) that used 20 ms of CPU in 100 ms: a thread
        // waiting for a lock or preempted by an interrupt is not working.
        let t1 = t0 + ms(150);
        duty.worked(t1, t1 + ms(100), || Some(ms(1020)));
        assert!(!duty.throttled);
        // 90 ms of CPU in 100 ms: throttled.
        let t2 = t1 + ms(100);
        duty.worked(t2, t2 + ms(100), || Some(ms(1110)));
        assert!(duty.throttled);
    }

    #[test]
    fn sleep_until_is_absolute() {
        let start = Instant::now();
        let deadline = start + Duration::from_millis(3);
        sleep_until(deadline);
        assert!(Instant::now() >= deadline);
        // A deadline in the past returns at once.
        sleep_until(start);
    }
}
