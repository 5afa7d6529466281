//! The media engine's threads end with it. A test binary of its own: it counts the
//! process's media threads, which engines of concurrent tests would disturb.
#![cfg(target_os = "linux")]

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;
use tokio::time::timeout;
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
    let engine = MediaEngine::new(MediaConfig::new(41910, 41919)).unwrap();
    let s = engine.open_stream(LO).unwrap();
    let with = media_threads();
    assert_eq!(with, 2, "a pacing and a receive thread");
    drop(engine);
    // The stream keeps them alive until it stops.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(media_threads(), 2, "alive while a stream runs");
    s.stop();
    drop(s);
    timeout(Duration::from_secs(3), async {
        while media_threads() > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("both threads of the dropped engine ended");
}
