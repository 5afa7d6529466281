//! Scale check of the media engine: many streams on one engine, CPU measured.
//!
//! Ignored by default (it runs for ~15 s and wants a release build):
//! `cargo test --release -p voip --test media_scale -- --ignored --nocapture`
//! Set `MEDIA_SCALE_STREAMS` to change the stream count (default 1000 = 500 pairs; each
//! stream sends 50 packets/s and receives 50, as a call to an outside peer would), and
//! `MEDIA_SCALE_READERS=0` to run without a task reading each stream's audio.
//!
//! Measured on the shared 2-core machine (release, run with `nice -n -10` because other
//! builds were saturating both cores): 1000 streams with readers, 0.84 cores, 50,059
//! packets/s sent, 0 lost, 0 skipped ticks, max jitter 10.7 ms (one receive task per
//! stream). After the pacing task took over the receiving (no task or wake-up per
//! stream) and spread the streams over 20 phases: 0.69 cores, 49,724 packets/s, 0 lost,
//! 0 skipped ticks (CPU pressure 80-90 % from other work at the time). The max jitter,
//! 19.4 ms, is now mostly the 20 ms granularity at which a stream's socket is read.
//! (Since then receiving moved to a receive thread of its own, which reads every ready
//! socket each 2 ms; the figures above are of the earlier design. `voip load` measures
//! the current one: `docs/benchmarks.md`, `## voip (scale)`.)

use rtp_core::{AudioCodec, TransmitType};
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};
use voip::media::{MediaConfig, MediaEngine};
use voip::sdp_negotiation::NegotiatedMedia;

/// User + system CPU time of this process, from /proc/self/stat (Linux).
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on Linux.
    Some(Duration::from_millis(ticks * 10))
}

#[test]
#[ignore = "scale measurement: run explicitly, preferably with --release"]
fn many_streams_cpu() {
    let streams: usize = std::env::var("MEDIA_SCALE_STREAMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let lo = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let engine = MediaEngine::new(MediaConfig::new(42000, 42000 + 4 * streams as u16)).unwrap();
        let mut all = Vec::new();
        for _ in 0..streams / 2 {
            let a = engine.open_stream(lo).unwrap();
            let b = engine.open_stream(lo).unwrap();
            let m = |to| NegotiatedMedia {
                remote: to,
                codec: AudioCodec::Pcmu,
                payload_type: 0,
                dtmf_payload_type: Some(101),
                direction: TransmitType::SendRecv,
                ptime: 20,
                receive_audio: vec![(0, AudioCodec::Pcmu)],
                receive_dtmf_payload_type: Some(101),
            };
            a.apply(&m(b.local_addr()));
            b.apply(&m(a.local_addr()));
            // 20 s of audio queued, so every packet carries encoded audio.
            let audio: Vec<i16> = (0..160_000)
                .map(|i| ((i * 37) % 8000) as i16 - 4000)
                .collect();
            a.write_i16(&audio);
            b.write_i16(&audio);
            all.push(a);
            all.push(b);
        }
        // Readers drain the jitter buffers as a recording application would
        // (MEDIA_SCALE_READERS=0 leaves them out).
        let readers = std::env::var("MEDIA_SCALE_READERS").map_or(true, |v| v != "0");
        for s in all.iter().filter(|_| readers) {
            let s = s.clone();
            tokio::spawn(async move {
                while !s.is_stopped() {
                    s.read_i16(160, true).await;
                }
            });
        }
        tokio::time::sleep(Duration::from_secs(2)).await; // warm-up
        let (cpu0, wall0) = (cpu_time().unwrap(), Instant::now());
        let sent0: u64 = all.iter().map(|s| s.stats().sender.packets).sum();
        tokio::time::sleep(Duration::from_secs(10)).await;
        let (cpu1, wall1) = (cpu_time().unwrap(), Instant::now());
        let stats: Vec<_> = all.iter().map(|s| s.stats()).collect();
        let sent1: u64 = stats.iter().map(|s| s.sender.packets).sum();
        let wall = wall1 - wall0;
        let cores = (cpu1 - cpu0).as_secs_f64() / wall.as_secs_f64();
        let pps = (sent1 - sent0) as f64 / wall.as_secs_f64();
        let lost: u64 = stats.iter().map(|s| s.receiver.lost).sum();
        let received: u64 = stats.iter().map(|s| s.receiver.received).sum();
        let send_errors: u64 = stats.iter().map(|s| s.send_errors).sum();
        let skipped: u64 = stats.iter().map(|s| s.sender.skipped_packets).sum();
        let max_jitter = stats.iter().map(|s| s.jitter_ms()).fold(0.0, f64::max);
        let pacing = engine.pacing_stats();
        println!(
            "send-time deviation: p50 {:?}, p99 {:?}, max {:?} over {} packets",
            pacing.quantile(0.5),
            pacing.quantile(0.99),
            pacing.max(),
            pacing.packets
        );
        println!(
            "{streams} streams: {cores:.2} cores, {pps:.0} packets/s sent \
             (expected {}), received {received}, lost {lost}, send errors {send_errors}, \
             skipped ticks {skipped}, max jitter {max_jitter:.2} ms",
            streams * 50
        );
        assert!(
            pps > streams as f64 * 50.0 * 0.95,
            "every stream kept its 50 packets/s"
        );
        for s in &all {
            s.stop();
        }
    });
}
