//! The media engines' shared threads, and their end. A test binary of its own: it counts the
//! process's media threads, which engines of concurrent tests would disturb.
#![cfg(target_os = "linux")]

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;
use voip::media::{MediaConfig, MediaEngine};

const LO: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// Engines with the same scheduling share one pacing and one receive thread; the threads
/// end with the last engine and its last stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engines_share_their_threads_which_end_with_them() {
    fn media_threads() -> usize {
        std::fs::read_dir("/proc/self/task")
            .unwrap()
            .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
            .filter(|name| name.starts_with("voip-rtp-"))
            .count()
    }
    /// Waits until `want` media threads are seen (or 3 s pass) and returns the last count.
    /// std names a thread from inside the new thread, so the name shows a moment after
    /// `spawn` returns; a loaded machine can stretch that moment.
    async fn settle(want: usize) -> usize {
        let mut seen = media_threads();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
        while seen != want && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
            seen = media_threads();
        }
        seen
    }
    let engine = MediaEngine::new(MediaConfig::new(41910, 41919)).unwrap();
    let s = engine.open_stream(LO).unwrap();
    assert_eq!(settle(2).await, 2, "a pacing and a receive thread");

    // Another engine with the same scheduling shares them (its own ports).
    let other = MediaEngine::new(MediaConfig::new(41920, 41929)).unwrap();
    let t = other.open_stream(LO).unwrap();
    assert_ne!(s.local_addr().port(), t.local_addr().port());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(media_threads(), 2, "a second engine starts no threads");
    assert_eq!(engine.pacing_stats().pacing_threads, 1);
    assert_eq!(other.pacing_stats().pacing_threads, 1);

    // One that does not ask for real-time pacing gets threads of its own.
    let mut plain = MediaConfig::new(41930, 41939);
    plain.realtime_pacing = !engine.config().realtime_pacing;
    let plain = MediaEngine::new(plain).unwrap();
    let u = plain.open_stream(LO).unwrap();
    assert_eq!(settle(4).await, 4, "a set per scheduling");

    drop((engine, other, plain));
    // The streams keep them alive until they stop.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(media_threads(), 4, "alive while a stream runs");
    s.stop();
    drop((s, t));
    assert_eq!(
        settle(2).await,
        2,
        "the set whose streams all stopped ended, the other runs on"
    );
    u.stop();
    drop(u);
    assert_eq!(
        settle(0).await,
        0,
        "every thread of the dropped engines ended"
    );
}
