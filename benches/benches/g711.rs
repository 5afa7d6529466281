//! G.711 encode / decode throughput: `g711` against `audio-codec-algorithms` and
//! `audio-codec`, side by side in the same run, for one 20 ms frame (160 samples), 1 s
//! (8,000) and 60 s (480,000) at 8 kHz.
//!
//! `cargo bench -p voip-benches --bench g711`; results in `docs/benchmarks.md`.

use std::hint::black_box;

use audio_codec::{Decoder as _, Encoder as _};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// 20 ms, 1 s and 60 s at 8 kHz.
const SIZES: [(usize, &str); 3] = [(160, "20ms"), (8_000, "1s"), (480_000, "60s")];

/// Deterministic speech-like test signal: a tone under a slow envelope plus noise, spread
/// over most of the 16-bit range (so every segment is exercised).
fn signal(len: usize) -> Vec<i16> {
    let mut seed = 0x1234_5678_u32;
    (0..len)
        .map(|n| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = f64::from((seed >> 16) as i32 - 32_768) / 16.0;
            let envelope = 0.55 + 0.45 * (n as f64 * 0.001).sin();
            ((n as f64 * 0.37).sin() * 26_000.0 * envelope + noise) as i16
        })
        .collect()
}

type EncodeFn = fn(&[i16], &mut [u8]);
type DecodeFn = fn(&[u8], &mut [i16]);

struct Law {
    name: &'static str,
    encoders: [(&'static str, EncodeFn); 3],
    decoders: [(&'static str, DecodeFn); 3],
}

fn ulaw() -> Law {
    Law {
        name: "ulaw",
        encoders: [
            ("g711", g711::ulaw::encode_slice),
            ("audio-codec-algorithms", |input, output| {
                for (o, &i) in output.iter_mut().zip(input) {
                    *o = audio_codec_algorithms::encode_ulaw(i);
                }
            }),
            ("audio-codec", |input, output| {
                audio_codec::pcmu::PcmuEncoder::new()
                    .encode_into(input, output)
                    .unwrap();
            }),
        ],
        decoders: [
            ("g711", g711::ulaw::decode_slice),
            ("audio-codec-algorithms", |input, output| {
                for (o, &i) in output.iter_mut().zip(input) {
                    *o = audio_codec_algorithms::decode_ulaw(i);
                }
            }),
            ("audio-codec", |input, output| {
                audio_codec::pcmu::PcmuDecoder::new()
                    .decode_into(input, output)
                    .unwrap();
            }),
        ],
    }
}

fn alaw() -> Law {
    Law {
        name: "alaw",
        encoders: [
            ("g711", g711::alaw::encode_slice),
            ("audio-codec-algorithms", |input, output| {
                for (o, &i) in output.iter_mut().zip(input) {
                    *o = audio_codec_algorithms::encode_alaw(i);
                }
            }),
            ("audio-codec", |input, output| {
                audio_codec::pcma::PcmaEncoder::new()
                    .encode_into(input, output)
                    .unwrap();
            }),
        ],
        decoders: [
            ("g711", g711::alaw::decode_slice),
            ("audio-codec-algorithms", |input, output| {
                for (o, &i) in output.iter_mut().zip(input) {
                    *o = audio_codec_algorithms::decode_alaw(i);
                }
            }),
            ("audio-codec", |input, output| {
                audio_codec::pcma::PcmaDecoder::new()
                    .decode_into(input, output)
                    .unwrap();
            }),
        ],
    }
}

/// Prints, once, how many of the 65,536 inputs / 256 codes each contestant maps differently
/// from `g711` (which the g711 tests prove bit-exact with ITU-T G.191).
fn report_exactness(law: &Law) {
    let samples: Vec<i16> = (i16::MIN..=i16::MAX).collect();
    let codes: Vec<u8> = (0..=255).collect();
    let mut reference = vec![0u8; samples.len()];
    (law.encoders[0].1)(&samples, &mut reference);
    let mut reference_decoded = vec![0i16; 256];
    (law.decoders[0].1)(&codes, &mut reference_decoded);
    for ((name, encode), (_, decode)) in law.encoders.iter().zip(&law.decoders).skip(1) {
        let mut out = vec![0u8; samples.len()];
        encode(&samples, &mut out);
        let mut decoded = vec![0i16; 256];
        decode(&codes, &mut decoded);
        let enc_diff = out.iter().zip(&reference).filter(|(a, b)| a != b).count();
        let dec_diff = decoded
            .iter()
            .zip(&reference_decoded)
            .filter(|(a, b)| a != b)
            .count();
        eprintln!(
            "{} {name}: {enc_diff} of 65536 encodings and {dec_diff} of 256 decodings differ from G.191",
            law.name
        );
    }
}

fn bench_law(c: &mut Criterion, law: &Law) {
    report_exactness(law);
    let mut group = c.benchmark_group(format!("g711/{}_encode", law.name));
    for (len, label) in SIZES {
        let input = signal(len);
        let mut output = vec![0u8; len];
        group.throughput(Throughput::Elements(len as u64));
        for (name, encode) in law.encoders {
            group.bench_with_input(BenchmarkId::new(name, label), &input, |b, input| {
                b.iter(|| encode(black_box(input), black_box(&mut output)));
            });
        }
    }
    group.finish();

    let mut group = c.benchmark_group(format!("g711/{}_decode", law.name));
    for (len, label) in SIZES {
        let pcm = signal(len);
        let mut input = vec![0u8; len];
        (law.encoders[0].1)(&pcm, &mut input);
        let mut output = vec![0i16; len];
        group.throughput(Throughput::Elements(len as u64));
        for (name, decode) in law.decoders {
            group.bench_with_input(BenchmarkId::new(name, label), &input, |b, input| {
                b.iter(|| decode(black_box(input), black_box(&mut output)));
            });
        }
    }
    group.finish();
}

fn g711_benches(c: &mut Criterion) {
    bench_law(c, &ulaw());
    bench_law(c, &alaw());
}

criterion_group!(benches, g711_benches);
criterion_main!(benches);
