//! [`Inbox`]: how a new stream reaches one of the media threads (pacing, receiving).

use super::stream::StreamShared;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

/// New streams for one engine thread, and the signal that the engine was dropped.
#[derive(Debug, Default)]
pub(crate) struct Inbox {
    pending: Mutex<Vec<Arc<StreamShared>>>,
    /// Wakes the idle thread (a stream arrived or the engine was dropped).
    wake: Condvar,
    closed: AtomicBool,
}

impl Inbox {
    pub(crate) fn add(&self, stream: Arc<StreamShared>) {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(stream);
        self.wake.notify_one();
    }

    /// The engine is gone: the thread ends once its streams are done.
    pub(crate) fn close(&self) {
        // Under the lock, so the thread cannot check `closed` and then miss the
        // notification while going to sleep.
        let _pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        self.closed.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    /// Hands the streams that arrived to `take`. With `idle` (the thread has no stream),
    /// waits for one first; `false` when there is none and the engine was dropped, which
    /// ends the thread.
    pub(crate) fn collect(&self, idle: bool, mut take: impl FnMut(Arc<StreamShared>)) -> bool {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        while idle && pending.is_empty() {
            if self.closed.load(Ordering::Acquire) {
                return false;
            }
            pending = self
                .wake
                .wait(pending)
                .unwrap_or_else(PoisonError::into_inner);
        }
        for stream in pending.drain(..) {
            take(stream);
        }
        true
    }
}
