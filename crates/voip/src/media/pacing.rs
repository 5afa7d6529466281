//! [`PacingStats`]: how far from the 20 ms schedule packets actually left.
//!
//! The pacing thread records, for every packet it hands to the kernel, the time between the
//! stream's absolute deadline (`start + n * 20 ms + phase`, the earliest one not yet
//! served) and the moment it calls `send`. A late wake-up (an overloaded machine, a long
//! tick) therefore shows in full, including for every packet sent in the catch-up.
//!
//! The figures go into a fixed histogram of microsecond buckets (1 µs wide below 128 µs,
//! then 64 buckets per power of two: under 1.6 % error), written by its pacing thread
//! with plain relaxed loads and stores (a single writer per pacing thread; no lock, no
//! allocation, no read-modify-write per packet) and read at any time by
//! [`MediaEngine::pacing_stats`](super::MediaEngine::pacing_stats) or, summed over every
//! pacing thread of the process, [`pacing_stats`](super::pacing_stats).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

/// Values below this many microseconds get a bucket each.
const LINEAR: u64 = 128;
/// Buckets per power of two above [`LINEAR`].
const SUB: u64 = 64;
/// Largest recorded value (µs); larger ones are clamped (about 35 minutes).
const MAX_US: u64 = (1 << 31) - 1;
/// Bucket count: 128 linear + 64 for each octave from 2^7 to 2^30.
const BUCKETS: usize = (LINEAR + (31 - 7) * SUB) as usize;

fn bucket_of(us: u64) -> usize {
    let v = us.min(MAX_US);
    if v < LINEAR {
        return v as usize;
    }
    let e = 63 - u64::from(v.leading_zeros()); // 7..=30
    (LINEAR + (e - 7) * SUB + ((v >> (e - 6)) - SUB)) as usize
}

/// The largest value (µs) that falls into bucket `i`.
fn bucket_high(i: usize) -> u64 {
    let i = i as u64;
    if i < LINEAR {
        return i;
    }
    let e = (i - LINEAR) / SUB + 7;
    let sub = (i - LINEAR) % SUB + SUB;
    ((sub + 1) << (e - 6)) - 1
}

/// The recording side: one per pacing thread, written only by it.
#[derive(Debug)]
pub(crate) struct DeviationHistogram {
    buckets: Box<[AtomicU64]>,
    count: AtomicU64,
    sum_us: AtomicU64,
    max_us: AtomicU64,
    ticks: AtomicU64,
    late_ticks: AtomicU64,
    /// The pacing thread got real-time scheduling.
    realtime: AtomicBool,
}

/// Engines whose histograms [`pacing_stats`](super::pacing_stats) sums.
static LIVE: Mutex<Vec<Weak<DeviationHistogram>>> = Mutex::new(Vec::new());

impl DeviationHistogram {
    /// A new histogram, counted in the process-wide sum while it lives.
    pub(crate) fn registered() -> Arc<Self> {
        let h = Arc::new(DeviationHistogram {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum_us: AtomicU64::new(0),
            max_us: AtomicU64::new(0),
            ticks: AtomicU64::new(0),
            late_ticks: AtomicU64::new(0),
            realtime: AtomicBool::new(false),
        });
        let mut live = LIVE.lock().unwrap_or_else(PoisonError::into_inner);
        live.retain(|w| w.strong_count() > 0);
        live.push(Arc::downgrade(&h));
        h
    }

    /// Single-writer increment: a relaxed load and store, no locked instruction.
    fn bump(cell: &AtomicU64, by: u64) {
        cell.store(
            cell.load(Ordering::Relaxed).wrapping_add(by),
            Ordering::Relaxed,
        );
    }

    /// One packet sent `late` after its deadline. Only the owning pacing thread calls it.
    pub(crate) fn record(&self, late: Duration) {
        let us = u64::try_from(late.as_micros()).unwrap_or(MAX_US);
        Self::bump(&self.buckets[bucket_of(us)], 1);
        Self::bump(&self.count, 1);
        Self::bump(&self.sum_us, us);
        if us > self.max_us.load(Ordering::Relaxed) {
            self.max_us.store(us, Ordering::Relaxed);
        }
    }

    /// One wake-up; `skipped` is how many whole slots it came too late for.
    pub(crate) fn tick(&self, skipped: u64) {
        Self::bump(&self.ticks, 1);
        if skipped > 0 {
            Self::bump(&self.late_ticks, 1);
        }
    }

    /// The pacing thread runs with real-time scheduling.
    pub(crate) fn set_realtime(&self, on: bool) {
        self.realtime.store(on, Ordering::Relaxed);
    }

    #[cfg(test)]
    pub(crate) fn snapshot(&self) -> PacingStats {
        let mut s = PacingStats::default();
        self.add_to(&mut s);
        s
    }

    pub(crate) fn add_to(&self, s: &mut PacingStats) {
        if s.buckets.is_empty() {
            s.buckets = vec![0; BUCKETS];
        }
        for (t, b) in s.buckets.iter_mut().zip(self.buckets.iter()) {
            *t += b.load(Ordering::Relaxed);
        }
        s.packets += self.count.load(Ordering::Relaxed);
        s.sum_us += self.sum_us.load(Ordering::Relaxed);
        s.max_us = s.max_us.max(self.max_us.load(Ordering::Relaxed));
        s.ticks += self.ticks.load(Ordering::Relaxed);
        s.late_ticks += self.late_ticks.load(Ordering::Relaxed);
        s.pacing_threads += 1;
        s.realtime_pacing_threads += u64::from(self.realtime.load(Ordering::Relaxed));
    }
}

/// Send-time deviation from the 20 ms schedule: how long after its tick's deadline each
/// packet was handed to the kernel. A snapshot; [`since`](Self::since) gives the figures
/// of an interval.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PacingStats {
    /// Packets measured.
    pub packets: u64,
    /// Wake-ups of the pacing thread (one per 1 ms slot of the 20 ms clock).
    pub ticks: u64,
    /// Wake-ups that came a whole slot (1 ms) or more after their deadline.
    pub late_ticks: u64,
    /// Pacing threads counted (engines share them: see [`MediaEngine`](super::MediaEngine)).
    pub pacing_threads: u64,
    /// Of those, the threads that got real-time scheduling
    /// ([`MediaConfig::realtime_pacing`](super::MediaConfig::realtime_pacing)).
    pub realtime_pacing_threads: u64,
    sum_us: u64,
    /// Largest deviation seen (exact; over the whole life of the threads when the
    /// snapshot came from [`since`](Self::since), as a maximum cannot be subtracted).
    max_us: u64,
    buckets: Vec<u64>,
}

impl PacingStats {
    /// Deviation at quantile `q` (0.0 ..= 1.0), to the bucket's upper bound (under 1.6 %
    /// above the true value, never above [`max`](Self::max)); zero without packets.
    pub fn quantile(&self, q: f64) -> Duration {
        if self.packets == 0 {
            return Duration::ZERO;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.packets as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Duration::from_micros(bucket_high(i).min(self.max_us));
            }
        }
        self.max()
    }

    /// The largest deviation.
    pub fn max(&self) -> Duration {
        Duration::from_micros(self.max_us)
    }

    /// The mean deviation.
    pub fn mean(&self) -> Duration {
        Duration::from_micros(self.sum_us.checked_div(self.packets).unwrap_or(0))
    }

    /// Packets sent more than `limit` after their deadline (to the bucket resolution).
    pub fn count_above(&self, limit: Duration) -> u64 {
        let us = u64::try_from(limit.as_micros()).unwrap_or(MAX_US);
        let first = bucket_of(us) + 1;
        self.buckets.iter().skip(first).sum()
    }

    /// The figures of the interval from `earlier` to `self` (two snapshots of the same
    /// threads). The maximum stays that of `self`.
    pub fn since(&self, earlier: &PacingStats) -> PacingStats {
        let mut buckets = self.buckets.clone();
        for (b, e) in buckets.iter_mut().zip(&earlier.buckets) {
            *b = b.saturating_sub(*e);
        }
        PacingStats {
            packets: self.packets.saturating_sub(earlier.packets),
            ticks: self.ticks.saturating_sub(earlier.ticks),
            late_ticks: self.late_ticks.saturating_sub(earlier.late_ticks),
            pacing_threads: self.pacing_threads,
            realtime_pacing_threads: self.realtime_pacing_threads,
            sum_us: self.sum_us.saturating_sub(earlier.sum_us),
            max_us: self.max_us,
            buckets,
        }
    }
}

/// The sum over every pacing thread alive in the process.
pub(crate) fn all_threads() -> PacingStats {
    let live: Vec<Arc<DeviationHistogram>> = LIVE
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .filter_map(Weak::upgrade)
        .collect();
    let mut s = PacingStats {
        buckets: vec![0; BUCKETS],
        ..PacingStats::default()
    };
    for h in live {
        h.add_to(&mut s);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_values_in_order() {
        let mut last = 0;
        for us in [
            0,
            1,
            127,
            128,
            129,
            200,
            1000,
            1999,
            2000,
            20_000,
            1 << 30,
            MAX_US,
        ] {
            let b = bucket_of(us);
            assert!(b < BUCKETS, "{us}");
            assert!(b >= last, "{us}");
            last = b;
            assert!(
                bucket_high(b) >= us,
                "{us} in bucket {b} up to {}",
                bucket_high(b)
            );
            // Resolution: the bucket's upper bound is within 1.6 % (or 1 µs) of the value.
            assert!(bucket_high(b) - us <= (us / 64).max(1), "{us}");
        }
        for b in 0..BUCKETS - 1 {
            assert_eq!(bucket_of(bucket_high(b)), b);
            assert_eq!(bucket_of(bucket_high(b) + 1), b + 1);
        }
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn quantiles_and_intervals() {
        let h = DeviationHistogram::registered();
        for us in 0..100u64 {
            h.record(Duration::from_micros(us * 10));
        }
        h.tick(0);
        h.tick(2);
        let a = h.snapshot();
        assert_eq!(a.packets, 100);
        assert_eq!((a.ticks, a.late_ticks), (2, 1));
        assert_eq!(a.max(), Duration::from_micros(990));
        let p50 = a.quantile(0.5).as_micros();
        assert!((490..=500).contains(&p50), "{p50}");
        let p99 = a.quantile(0.99).as_micros();
        assert!((980..=990).contains(&p99), "{p99}");
        assert_eq!(a.mean(), Duration::from_micros(495));
        // 895 µs ends a bucket (8 µs wide there), so exactly the ten values from 900 µs count.
        assert_eq!(a.count_above(Duration::from_micros(895)), 10);
        for _ in 0..100 {
            h.record(Duration::from_millis(3));
        }
        let b = h.snapshot().since(&a);
        assert_eq!(b.packets, 100);
        assert_eq!(b.quantile(0.5), Duration::from_millis(3));
        assert_eq!(b.count_above(Duration::from_millis(2)), 100);
        // The process-wide sum includes this live pacing thread.
        assert!(all_threads().packets >= 200);
        assert_eq!(PacingStats::default().quantile(0.99), Duration::ZERO);
    }
}
