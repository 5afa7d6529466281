//! [`MediaThreads`]: the pacing and receive threads, shared by every engine of the process
//! that asks for the same scheduling.
//!
//! A program with several phones (a load generator, a PBX test rig, the `voip load` tool)
//! has several engines. Giving each its own threads put four busy threads on a two-core
//! machine for two phones, each pacing thread waking every millisecond for its share of
//! the work. Now one receive thread serves every stream, and pacing threads are added only
//! as streams need them: a new stream joins the pacing thread with the fewest streams, and
//! a new pacing thread starts when every one has [`STREAMS_PER_PACER`] (up to one per
//! core). Engines keep their own port ranges and configuration; only the threads are
//! shared. Measured in `docs/benchmarks.md` (`## voip (scale)`).

use super::MediaError;
use super::inbox::Inbox;
use super::pacing::{DeviationHistogram, PacingStats};
use super::receive;
use super::stream::StreamShared;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

/// Streams a pacing thread takes before another one is started. A send on loopback costs
/// this machine about 7 µs (the receiver's kernel work runs in the sender's context), so a
/// thousand streams, fifty per 1 ms slot, keep a slot's last packet within half a
/// millisecond of its deadline.
const STREAMS_PER_PACER: usize = 1_000;

/// The threads of the engines alive now: one set for engines that ask for real-time
/// pacing, one for those that do not (index: `realtime as usize`). Weak, so that the
/// threads end once the last engine using them and its streams are gone.
static SHARED: Mutex<[Weak<MediaThreads>; 2]> = Mutex::new([Weak::new(), Weak::new()]);

/// One pacing thread: its inbox, how many streams it serves, its deviation histogram.
#[derive(Debug)]
struct Pacer {
    inbox: Arc<Inbox>,
    streams: Arc<AtomicUsize>,
    histogram: Arc<DeviationHistogram>,
}

/// The receive thread and the pacing threads, and the inboxes that hand them new streams.
#[derive(Debug)]
pub(crate) struct MediaThreads {
    realtime: bool,
    pacers: Mutex<Vec<Pacer>>,
    max_pacers: usize,
    to_receive: Arc<Inbox>,
}

impl Drop for MediaThreads {
    fn drop(&mut self) {
        // Streams still running keep the threads alive; they end once those are done.
        for pacer in self
            .pacers
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
        {
            pacer.inbox.close();
        }
        self.to_receive.close();
    }
}

impl MediaThreads {
    /// The threads serving engines with this `realtime` setting, started if none run.
    pub(crate) fn shared(realtime: bool) -> Result<Arc<Self>, MediaError> {
        let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = &mut shared[usize::from(realtime)];
        if let Some(threads) = slot.upgrade() {
            return Ok(threads);
        }
        let threads = Arc::new(Self::start(realtime)?);
        *slot = Arc::downgrade(&threads);
        Ok(threads)
    }

    /// Starts the receive thread and the first pacing thread.
    fn start(realtime: bool) -> Result<Self, MediaError> {
        let first = Self::start_pacer(realtime)?;
        let to_receive = Arc::new(Inbox::default());
        let inbox = to_receive.clone();
        let receiver = receive::Receiver::new();
        let spawned = std::thread::Builder::new()
            .name("voip-rtp-receive".into())
            .spawn(move || receiver.run(&inbox));
        if let Err(e) = spawned {
            first.inbox.close();
            return Err(MediaError::Thread(Arc::new(e)));
        }
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Ok(MediaThreads {
            realtime,
            pacers: Mutex::new(vec![first]),
            max_pacers: cores.clamp(1, 8),
            to_receive,
        })
    }

    fn start_pacer(realtime: bool) -> Result<Pacer, MediaError> {
        let pacer = Pacer {
            inbox: Arc::new(Inbox::default()),
            streams: Arc::new(AtomicUsize::new(0)),
            histogram: DeviationHistogram::registered(),
        };
        let (inbox, count, histogram) = (
            pacer.inbox.clone(),
            pacer.streams.clone(),
            pacer.histogram.clone(),
        );
        std::thread::Builder::new()
            .name("voip-rtp-pacing".into())
            .spawn(move || {
                if realtime {
                    histogram.set_realtime(super::engine::raise_priority());
                }
                super::engine::pacing_thread(&inbox, &histogram, &count);
            })
            .map_err(|e| MediaError::Thread(Arc::new(e)))?;
        Ok(pacer)
    }

    /// Hands a new stream to the receive thread and to a pacing thread.
    pub(crate) fn add(&self, stream: &Arc<StreamShared>) -> Result<(), MediaError> {
        let mut pacers = self.pacers.lock().unwrap_or_else(PoisonError::into_inner);
        // Counted here (the thread subtracts the streams that stop), so that a burst of new
        // streams spreads before the thread has taken them.
        let counts: Vec<usize> = pacers
            .iter()
            .map(|p| p.streams.load(Ordering::Relaxed))
            .collect();
        let index = match choose_pacer(&counts, STREAMS_PER_PACER, self.max_pacers) {
            Some(i) => i,
            None => {
                pacers.push(Self::start_pacer(self.realtime)?);
                pacers.len() - 1
            }
        };
        let pacer = &pacers[index];
        pacer.streams.fetch_add(1, Ordering::Relaxed);
        pacer.inbox.add(stream.clone());
        self.to_receive.add(stream.clone());
        Ok(())
    }

    /// Send-time deviation of every pacing thread of this set.
    pub(crate) fn pacing_stats(&self) -> PacingStats {
        let pacers = self.pacers.lock().unwrap_or_else(PoisonError::into_inner);
        let mut total = PacingStats::default();
        for pacer in pacers.iter() {
            pacer.histogram.add_to(&mut total);
        }
        total
    }
}

/// Which pacing thread a new stream joins, given how many streams each serves: the least
/// loaded, unless every one has `per_pacer` or more and fewer than `max` run, in which
/// case `None`: start another.
fn choose_pacer(counts: &[usize], per_pacer: usize, max: usize) -> Option<usize> {
    let (index, &least) = counts.iter().enumerate().min_by_key(|&(_, n)| *n)?;
    (least < per_pacer || counts.len() >= max).then_some(index)
}

#[cfg(test)]
mod tests {
    use super::choose_pacer;

    #[test]
    fn a_new_stream_joins_the_least_loaded_pacer() {
        assert_eq!(choose_pacer(&[3, 1, 2], 10, 4), Some(1));
        assert_eq!(choose_pacer(&[9], 10, 4), Some(0));
    }

    #[test]
    fn another_pacer_starts_when_every_one_is_full() {
        assert_eq!(choose_pacer(&[], 10, 4), None);
        assert_eq!(choose_pacer(&[10], 10, 4), None);
        assert_eq!(choose_pacer(&[10, 12], 10, 4), None);
        // Streams that stopped make room again before a new thread is needed.
        assert_eq!(choose_pacer(&[10, 7], 10, 4), Some(1));
    }

    #[test]
    fn no_more_pacers_than_the_limit() {
        assert_eq!(choose_pacer(&[10, 11], 10, 2), Some(0));
        assert_eq!(choose_pacer(&[50], 10, 1), Some(0));
    }
}
