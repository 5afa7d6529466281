//! The media engine's threads end with it. A test binary of its own: it counts the
//! process's media threads, which engines of concurrent tests would disturb.
#![cfg(target_os = "linux")]

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;
use voip::media::{MediaConfig, MediaEngine};

const LO: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// The engine's pacing and receive threads end with the engine and its last stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_threads_end_with_the_engine() {
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
    drop(engine);
    // The stream keeps them alive until it stops.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(media_threads(), 2, "alive while a stream runs");
    s.stop();
    drop(s);
    assert_eq!(
        settle(0).await,
        0,
        "both threads of the dropped engine ended"
    );
}
