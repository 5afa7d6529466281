//! The packet manager and receiver under 10% loss, 10% reordering and duplicates:
//! audio comes out in order, with silence exactly where packets were lost.

use rtp_core::{
    AudioCodec, PacketManager, PacketManagerConfig, RtpPacket, RtpReceiver, RtpReceiverConfig,
};
use std::time::{Duration, Instant};

/// Small deterministic PRNG (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const FRAME: usize = 160;

/// PCMU payload of packet `k`: distinct, non-silent codes, so any misplacement shows.
fn payload(k: usize) -> Vec<u8> {
    (0..FRAME)
        .map(|i| {
            let c = ((k * 31 + i * 7) % 250) as u8;
            // Avoid 0x7F/0xFF (the two zero codes) so silence is unambiguous.
            if c & 0x7F == 0x7F { c ^ 1 } else { c }
        })
        .collect()
}

struct Arrival {
    at_us: u64,
    k: usize,
}

/// Runs one simulated call of `packets` packets; returns nothing, asserts everything.
fn simulate(seed: u64, packets: usize) {
    let mut rng = Rng(seed);
    let ssrc = 0x5151_0000 | seed as u32;
    // Start near the wrap-around of both sequence number and timestamp.
    let seq0 = u16::MAX - 40;
    let ts0 = u32::MAX - 20 * FRAME as u32;
    let delay_ms = 100;

    let mut lost = vec![false; packets];
    let mut arrivals = Vec::new();
    let mut duplicates = 0u64;
    let mut reordered_sent = 0u64;
    for (k, is_lost) in lost.iter_mut().enumerate() {
        // The first and last packets always arrive: the first anchors the timeline and
        // loss at the very end is invisible to sequence-based counting (RFC 3550 A.3).
        if k != 0 && k != packets - 1 && rng.chance(10) {
            *is_lost = true;
            continue;
        }
        let sent_us = k as u64 * 20_000;
        let mut delay_us = 5_000 + rng.below(30_000);
        if k != 0 && rng.chance(10) {
            // Held back behind the next one or two packets.
            delay_us += 25_000 + rng.below(20_000);
            reordered_sent += 1;
        }
        arrivals.push(Arrival {
            at_us: sent_us + delay_us,
            k,
        });
        if rng.chance(5) {
            duplicates += 1;
            arrivals.push(Arrival {
                at_us: sent_us + delay_us + rng.below(15_000),
                k,
            });
        }
    }
    arrivals.sort_by_key(|a| (a.at_us, a.k));
    // Every arrival is at most 5 + 30 + 45 + 15 = 95 ms after its send time: within the delay.
    assert!(
        arrivals
            .iter()
            .all(|a| a.at_us - a.k as u64 * 20_000 < delay_ms * 1000)
    );
    assert!(reordered_sent > 0 && duplicates > 0 && lost.iter().any(|&l| l));

    let mut rx = RtpReceiver::new(RtpReceiverConfig {
        manager: PacketManagerConfig {
            capacity: 8000,
            playout_delay: delay_ms as u32 * 8,
            ..PacketManagerConfig::default()
        },
        ..RtpReceiverConfig::default()
    });
    let start = Instant::now();
    let mut out: Vec<i16> = Vec::new();
    let mut first_cursor = None;
    let mut next = 0;
    // The application reads 20 ms every 20 ms, offset 1 ms from the sender's grid.
    let reads = packets + 10;
    for r in 0..reads {
        let now_us = r as u64 * 20_000 + 1_000;
        while next < arrivals.len() && arrivals[next].at_us <= now_us {
            let a = &arrivals[next];
            let body = payload(a.k);
            let mut p = RtpPacket::new(
                0,
                seq0.wrapping_add(a.k as u16),
                ts0.wrapping_add((a.k * FRAME) as u32),
                ssrc,
                &body,
            );
            p.marker = a.k == 0;
            let wire = p.to_vec().unwrap();
            rx.receive(start + Duration::from_micros(a.at_us), &wire)
                .unwrap();
            next += 1;
        }
        if first_cursor.is_none() {
            first_cursor = rx.manager().cursor();
        }
        out.extend(rx.read_i16(FRAME));
    }
    assert_eq!(next, arrivals.len());

    // Build the expected output on the receiver's timeline: silence before the cursor was
    // set, then for each sample position the packet covering it, or silence if it was lost.
    let cursor0 = first_cursor.expect("audio arrived");
    // Samples read before the cursor was first known (all silence).
    let reads_before = out.len() - rx.manager().cursor().unwrap().wrapping_sub(cursor0) as usize;
    let decoded: Vec<Vec<i16>> = (0..packets)
        .map(|k| payload(k).iter().map(|&c| g711::ulaw::decode(c)).collect())
        .collect();
    let mut expected = vec![0i16; reads_before];
    for i in 0..out.len() - reads_before {
        let ts = cursor0.wrapping_add(i as u32);
        let rel = ts.wrapping_sub(ts0) as i32;
        let sample = if rel >= 0 && (rel as usize) < packets * FRAME {
            let k = rel as usize / FRAME;
            if lost[k] {
                0
            } else {
                decoded[k][rel as usize % FRAME]
            }
        } else {
            0
        };
        expected.push(sample);
    }
    assert_eq!(out.len(), expected.len());
    for (i, (got, want)) in out.iter().zip(&expected).enumerate() {
        assert_eq!(got, want, "seed {seed}: sample {i} differs");
    }

    let stats = rx.stats();
    let lost_count = lost.iter().filter(|&&l| l).count() as u64;
    assert_eq!(stats.lost, lost_count, "seed {seed}");
    assert_eq!(stats.expected, packets as u64);
    assert_eq!(stats.received, packets as u64 - lost_count);
    assert_eq!(stats.duplicates, duplicates);
    assert_eq!(stats.late, 0);
    assert!(stats.reordered > 0);
    assert!(
        stats.jitter > 0.0 && stats.jitter < 800.0,
        "jitter {}",
        stats.jitter
    );
    let m = rx.manager().stats();
    assert_eq!(m.late_samples, 0);
    assert_eq!(
        m.stored_samples,
        (packets as u64 - lost_count) * FRAME as u64
    );
}

#[test]
fn ten_percent_loss_reordering_and_duplicates_exact_output() {
    for seed in 1..=20u64 {
        simulate(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15), 500);
    }
}

#[test]
fn manager_alone_bulk_shuffled_writes_read_back_exactly() {
    let mut rng = Rng(42);
    let packets = 400;
    let mut m = PacketManager::new(PacketManagerConfig {
        capacity: packets * FRAME,
        playout_delay: 0,
        max_latency: packets * FRAME,
    });
    let ts0 = u32::MAX - 1000;
    let mut order: Vec<usize> = (0..packets)
        .filter(|&k| k == 0 || !rng.chance(10))
        .collect();
    let kept = order.clone();
    // Packet 0 first (it anchors the timeline), then a shuffle, then duplicates.
    for i in (2..order.len()).rev() {
        let j = 1 + rng.below(i as u64) as usize;
        order.swap(i, j);
    }
    let dups: Vec<usize> = order.iter().copied().filter(|_| rng.chance(10)).collect();
    order.extend(dups);
    for &k in &order {
        let pcm: Vec<i16> = payload(k).iter().map(|&c| g711::ulaw::decode(c)).collect();
        m.write(ts0.wrapping_add((k * FRAME) as u32), &pcm);
    }
    let out = m.read(packets * FRAME);
    for k in 0..packets {
        let got = &out[k * FRAME..(k + 1) * FRAME];
        if kept.contains(&k) {
            let want: Vec<i16> = payload(k).iter().map(|&c| g711::ulaw::decode(c)).collect();
            assert_eq!(got, &want[..], "packet {k}");
        } else {
            assert!(got.iter().all(|&s| s == 0), "packet {k} was lost: silence");
        }
    }
    // The pyVoIP view of the same kind of stream: 8-bit, silence 0x80.
    let mut m8 = PacketManager::new(PacketManagerConfig {
        capacity: 1000,
        playout_delay: 0,
        max_latency: 1000,
    });
    m8.write(0, &[1000; 160]);
    m8.write(320, &[-1000; 160]);
    let bytes = m8.read_linear8(480);
    assert!(
        bytes[..160]
            .iter()
            .all(|&b| b == g711::linear8::from_i16(1000))
    );
    assert!(bytes[160..320].iter().all(|&b| b == 0x80));
    assert!(
        bytes[320..]
            .iter()
            .all(|&b| b == g711::linear8::from_i16(-1000))
    );
}

#[test]
fn pcma_is_decoded_too() {
    let mut rx = RtpReceiver::default();
    let body = vec![AudioCodec::Pcma.encode_sample(4000); 160];
    let now = Instant::now();
    rx.manager_mut().reset();
    let wire = RtpPacket::new(8, 1, 0, 9, &body).to_vec().unwrap();
    rx.receive(now, &wire).unwrap();
    let out = rx.read_i16(480 + 160);
    assert!(out[..480].iter().all(|&s| s == 0));
    assert!(out[480..].iter().all(|&s| s == g711::alaw::decode(body[0])));
}

/// Sender and reader clocks that disagree by `drift_ppm`: packets are sent every
/// 20 ms × (1 - drift), the reader reads 20 ms every 20 ms, for 60 s.
fn drift(drift_ppm: i64) -> (rtp_core::ManagerStats, usize, usize) {
    let mut m = PacketManager::new(PacketManagerConfig::default());
    let period_ns = 20_000_000 - 20_000_000 * drift_ppm / 1_000_000;
    let mut next_packet = 0u64;
    let mut k = 0u32;
    let mut max_buffered = 0;
    let mut audio_read = 0;
    for r in 0..3000u64 {
        let now = r * 20_000_000;
        while next_packet <= now {
            m.write(k.wrapping_mul(160), &[1000; 160]);
            max_buffered = max_buffered.max(m.buffered());
            k += 1;
            next_packet = u64::from(k) * period_ns as u64;
        }
        audio_read += m.read(160).iter().filter(|&&s| s != 0).count();
    }
    let written = k as usize * 160;
    assert!(max_buffered <= m.max_latency(), "latency stays bounded");
    (m.stats(), audio_read + m.buffered(), written)
}

#[test]
fn clock_drift_in_either_direction_stays_bounded() {
    // Sender 2% fast: latency grows until it hits 500 ms, then drops back to the 60 ms
    // playout delay in one glitch; a few glitches in a minute, the rest plays.
    let (stats, played, written) = drift(20_000);
    assert_eq!(stats.late_samples, 0);
    assert!(stats.overflow_samples > 0);
    assert_eq!(played as u64 + stats.overflow_samples, written as u64);
    assert!(stats.overflow_samples < written as u64 / 40, "{stats:?}");

    // Reader 2% fast: the buffer runs dry every few seconds; each time the timeline
    // restarts behind the newest packet, so no audio at all is dropped.
    let (stats, played, written) = drift(-20_000);
    assert_eq!(stats.late_samples, 0, "{stats:?}");
    assert_eq!(stats.overflow_samples, 0);
    assert!(stats.resets > 0);
    assert_eq!(played, written);
}
