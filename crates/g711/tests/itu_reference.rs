//! Every input and every code against the transcription of the ITU-T G.191 C code, through
//! every public entry point (one sample, slice, `Vec`).

mod common;

use common::{
    alaw_compress, alaw_expand, all_codes, all_samples, g191_decode_all, g191_encode_all,
    ulaw_compress, ulaw_expand,
};

fn check_encode(
    law: &str,
    reference: &[u8],
    one: fn(i16) -> u8,
    slice: fn(&[i16], &mut [u8]),
    to_vec: fn(&[i16]) -> Vec<u8>,
) {
    let samples = all_samples();
    assert_eq!(reference.len(), 65_536);
    for (&x, &want) in samples.iter().zip(reference) {
        assert_eq!(one(x), want, "{law} encode({x})");
    }
    let mut out = vec![0u8; samples.len()];
    slice(&samples, &mut out);
    assert!(out == reference, "{law} encode_slice differs from G.191");
    assert!(
        to_vec(&samples) == reference,
        "{law} encode_vec differs from G.191"
    );
    // Odd offsets and lengths, so vector loops run their tails on every kind of input.
    for (start, len) in [(1, 13), (3, 160), (7, 8000), (5, 65_531)] {
        let mut out = vec![0u8; len];
        slice(&samples[start..start + len], &mut out);
        assert_eq!(
            out,
            reference[start..start + len],
            "{law} start {start} len {len}"
        );
    }
}

fn check_decode(
    law: &str,
    reference: &[i16],
    one: fn(u8) -> i16,
    slice: fn(&[u8], &mut [i16]),
    to_vec: fn(&[u8]) -> Vec<i16>,
) {
    let codes = all_codes();
    assert_eq!(reference.len(), 256);
    for (&c, &want) in codes.iter().zip(reference) {
        assert_eq!(one(c), want, "{law} decode({c:#04x})");
    }
    let mut out = vec![0i16; 256];
    slice(&codes, &mut out);
    assert_eq!(out, reference, "{law} decode_slice");
    assert_eq!(to_vec(&codes), reference, "{law} decode_vec");
    for (start, len) in [(1, 13), (3, 200), (9, 247)] {
        let mut out = vec![0i16; len];
        slice(&codes[start..start + len], &mut out);
        assert_eq!(
            out,
            reference[start..start + len],
            "{law} start {start} len {len}"
        );
    }
}

#[test]
fn ulaw_encode_matches_g191_for_every_input() {
    let reference = g191_encode_all(ulaw_compress);
    check_encode(
        "ulaw",
        &reference,
        g711::ulaw::encode,
        g711::ulaw::encode_slice,
        g711::ulaw::encode_vec,
    );
}

#[test]
fn alaw_encode_matches_g191_for_every_input() {
    let reference = g191_encode_all(alaw_compress);
    check_encode(
        "alaw",
        &reference,
        g711::alaw::encode,
        g711::alaw::encode_slice,
        g711::alaw::encode_vec,
    );
}

#[test]
fn ulaw_decode_matches_g191_for_every_code() {
    let reference = g191_decode_all(ulaw_expand);
    check_decode(
        "ulaw",
        &reference,
        g711::ulaw::decode,
        g711::ulaw::decode_slice,
        g711::ulaw::decode_vec,
    );
}

#[test]
fn alaw_decode_matches_g191_for_every_code() {
    let reference = g191_decode_all(alaw_expand);
    check_decode(
        "alaw",
        &reference,
        g711::alaw::decode,
        g711::alaw::decode_slice,
        g711::alaw::decode_vec,
    );
}

/// Known values from G.711 itself (Tables 1a/2a), so the transcription is anchored too.
#[test]
fn g711_table_anchors() {
    // mu-law: +0 / -0, the outermost codes, and one mid-range code.
    assert_eq!(g711::ulaw::decode(0xFF), 0);
    assert_eq!(g711::ulaw::decode(0x7F), 0);
    assert_eq!(g711::ulaw::decode(0x80), 32124);
    assert_eq!(g711::ulaw::decode(0x00), -32124);
    assert_eq!(g711::ulaw::encode(i16::MAX), 0x80);
    assert_eq!(g711::ulaw::encode(i16::MIN), 0x00);
    // A-law: the smallest values are ±8 (half of the first step of 16), the largest ±32256.
    assert_eq!(g711::alaw::decode(0xD5), 8);
    assert_eq!(g711::alaw::decode(0x55), -8);
    assert_eq!(g711::alaw::decode(0xAA), 32256);
    assert_eq!(g711::alaw::decode(0x2A), -32256);
    assert_eq!(g711::alaw::encode(i16::MAX), 0xAA);
    assert_eq!(g711::alaw::encode(i16::MIN), 0x2A);
    // The decoders are odd functions apart from the sign bit.
    for c in 0..128u8 {
        assert_eq!(g711::ulaw::decode(c), -g711::ulaw::decode(c | 0x80));
        assert_eq!(g711::alaw::decode(c), -g711::alaw::decode(c | 0x80));
    }
}

/// G.191's one's complement makes the encoders symmetric: `x` and `!x` differ in sign only.
#[test]
fn encoders_are_symmetric_about_minus_one_half() {
    for x in 0..=i16::MAX {
        assert_eq!(
            g711::ulaw::encode(x),
            g711::ulaw::encode(!x) | 0x80,
            "ulaw {x}"
        );
        assert_eq!(
            g711::alaw::encode(x),
            g711::alaw::encode(!x) | 0x80,
            "alaw {x}"
        );
    }
}

#[test]
fn the_encoders_and_decoders_are_const() {
    const SILENCE_U: u8 = g711::ulaw::encode(0);
    const SILENCE_A: u8 = g711::alaw::encode(0);
    const PEAK: i16 = g711::ulaw::decode(0x80);
    assert_eq!([SILENCE_U, SILENCE_A], [0xFF, 0xD5]);
    assert_eq!(PEAK, 32124);
}
