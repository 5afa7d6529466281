//! RTP packet parse and serialize: `rtp-core` against `rtp` (webrtc-rs) and `rtp-types`,
//! side by side in the same run, for a 172-byte PCMU packet (12-byte header, 160-byte
//! payload: 20 ms of G.711).
//!
//! Each crate is used through its natural zero-copy API:
//! - parse: `rtp_core::RtpPacket::parse(&[u8])`, `rtp_types::RtpPacket::parse(&[u8])`,
//!   `rtp::packet::Packet::unmarshal(&mut Bytes)` (a `Bytes` clone per run, which shares the
//!   buffer; its payload is a `Bytes` slice, not a copy);
//! - serialize: a ready packet written into a reused `[u8; 1500]`: `RtpPacket::marshal_to`,
//!   `RtpPacketBuilder::write_into`, `Packet::marshal_to`.
//!
//! `cargo bench -p voip-benches --bench rtp_packet`; results in `docs/benchmarks.md`.

use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use webrtc_util::{Marshal, Unmarshal};

fn pcmu_packet() -> Vec<u8> {
    let mut p = vec![
        0x80, 0x00, 0x5e, 0x21, 0x00, 0x01, 0xe2, 0x40, 0x12, 0x34, 0x56, 0x78,
    ];
    p.extend((0..160u32).map(|i| (i * 7 + 3) as u8));
    p
}

fn parse(c: &mut Criterion) {
    let raw = pcmu_packet();
    let raw_bytes = Bytes::from(raw.clone());
    let mut group = c.benchmark_group("rtp_parse_172B");
    group.throughput(Throughput::Bytes(raw.len() as u64));
    group.bench_function("rtp-core", |b| {
        b.iter(|| {
            let p = rtp_core::RtpPacket::parse(black_box(&raw)).unwrap();
            black_box(p);
        })
    });
    group.bench_function("rtp-types", |b| {
        b.iter(|| {
            let p = rtp_types::RtpPacket::parse(black_box(&raw[..])).unwrap();
            black_box(p);
        })
    });
    group.bench_function("rtp (webrtc-rs)", |b| {
        b.iter(|| {
            let mut buf = black_box(&raw_bytes).clone();
            let p = rtp::packet::Packet::unmarshal(&mut buf).unwrap();
            black_box(p);
        })
    });
    group.finish();
}

fn serialize(c: &mut Criterion) {
    let raw = pcmu_packet();
    let payload = raw[12..].to_vec();
    let mut out = [0u8; 1500];
    let mut group = c.benchmark_group("rtp_serialize_172B");
    group.throughput(Throughput::Bytes(raw.len() as u64));

    let ours = rtp_core::RtpPacket::new(0, 0x5e21, 0x0001_e240, 0x1234_5678, &payload);
    assert_eq!(ours.to_vec().unwrap(), raw);
    group.bench_function("rtp-core", |b| {
        b.iter(|| {
            let n = black_box(&ours).marshal_to(&mut out).unwrap();
            black_box(&out[..n]);
        })
    });

    let builder = rtp_types::RtpPacketBuilder::<&[u8], &[u8]>::new()
        .payload_type(0)
        .sequence_number(0x5e21)
        .timestamp(0x0001_e240)
        .ssrc(0x1234_5678)
        .payload(&payload[..]);
    assert_eq!(builder.write_vec().unwrap(), raw);
    group.bench_function("rtp-types", |b| {
        b.iter(|| {
            let n = black_box(&builder).write_into(&mut out).unwrap();
            black_box(&out[..n]);
        })
    });

    // Not a competitor: the cost of copying the 172 bytes alone, the floor for any
    // serializer that writes the whole packet.
    group.bench_function("memcpy 172 B (floor)", |b| {
        b.iter(|| {
            let src = black_box(&raw[..]);
            out[..src.len()].copy_from_slice(src);
            black_box(&out[..src.len()]);
        })
    });

    let theirs = rtp::packet::Packet::unmarshal(&mut Bytes::from(raw.clone())).unwrap();
    assert_eq!(theirs.marshal().unwrap().as_ref(), &raw[..]);
    group.bench_function("rtp (webrtc-rs)", |b| {
        b.iter(|| {
            let n = black_box(&theirs).marshal_to(&mut out).unwrap();
            black_box(&out[..n]);
        })
    });
    group.finish();
}

/// Per-packet cost of the streaming state (no competitor has a sans-IO equivalent): one
/// 20 ms PCMU packet through `RtpReceiver` (parse, sequence/jitter statistics, G.711 decode,
/// jitter buffer) and read back out, and one packet out of `RtpSender` (pacing, encode,
/// header). For capacity planning: a call is 50 of each per second.
fn stream(c: &mut Criterion) {
    use rtp_core::{AudioCodec, RtpPacket, RtpReceiver, RtpSender, RtpSenderConfig};
    use std::time::{Duration, Instant};

    let mut group = c.benchmark_group("rtp_core_stream_20ms");
    group.throughput(Throughput::Elements(1));
    let payload: Vec<u8> = (0..160u32).map(|i| (i * 7 + 3) as u8).collect();
    let mut receiver = RtpReceiver::default();
    let t0 = Instant::now();
    let mut k: u32 = 0;
    let mut wire = vec![0u8; 172];
    let mut pcm = [0i16; 160];
    group.bench_function("receive + read 160 samples", |b| {
        b.iter(|| {
            let p = RtpPacket::new(0, k as u16, k.wrapping_mul(160), 0x1234, &payload);
            p.marshal_to(&mut wire).unwrap();
            let now = t0 + Duration::from_millis(20 * u64::from(k));
            black_box(receiver.receive(now, &wire).unwrap());
            receiver.read_i16_into(&mut pcm);
            black_box(&pcm);
            k = k.wrapping_add(1);
        })
    });

    let mut sender = RtpSender::new(RtpSenderConfig::new(AudioCodec::Pcmu));
    let audio: Vec<i16> = (0..160).map(|i| (i * 200 - 16_000) as i16).collect();
    let mut buf = [0u8; 1500];
    let mut media = Duration::ZERO;
    group.bench_function("write 160 samples + send", |b| {
        b.iter(|| {
            sender.write_i16(black_box(&audio));
            let sent = sender.poll_transmit_media(media, &mut buf).unwrap();
            black_box(sent);
            media += Duration::from_millis(20);
        })
    });
    group.finish();
}

criterion_group!(benches, parse, serialize, stream);
criterion_main!(benches);
