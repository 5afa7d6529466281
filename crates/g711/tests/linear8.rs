//! `g711::linear8` against the exact `audioop` calls pyVoIP makes, for every input.

mod common;

use common::{all_samples, index, le_i16};
use g711::linear8;

static TO_I16: &[u8] = include_bytes!("../testdata/linear8_to_i16.bin");
static FROM_I16: &[u8] = include_bytes!("../testdata/linear8_from_i16.bin");
static TO_ULAW: &[u8] = include_bytes!("../testdata/linear8_to_ulaw.bin");
static TO_ALAW: &[u8] = include_bytes!("../testdata/linear8_to_alaw.bin");
static FROM_ULAW: &[u8] = include_bytes!("../testdata/linear8_from_ulaw.bin");
static FROM_ALAW: &[u8] = include_bytes!("../testdata/linear8_from_alaw.bin");

fn all_bytes() -> Vec<u8> {
    (0..=255).collect()
}

type ByteFns = (fn(u8) -> u8, fn(&[u8], &mut [u8]), fn(&[u8]) -> Vec<u8>);

fn check_bytes(name: &str, want: &[u8], (one, slice, to_vec): ByteFns) {
    assert_eq!(want.len(), 256, "{name}");
    let input = all_bytes();
    for (&i, &w) in input.iter().zip(want) {
        assert_eq!(one(i), w, "{name}({i:#04x})");
    }
    let mut out = vec![0u8; 256];
    slice(&input, &mut out);
    assert_eq!(out, want, "{name} slice");
    assert_eq!(to_vec(&input), want, "{name} vec");
}

#[test]
fn encode_and_decode_match_pyvoip_byte_for_byte() {
    use linear8::*;
    check_bytes(
        "encode_ulaw",
        TO_ULAW,
        (encode_ulaw, encode_ulaw_slice, encode_ulaw_vec),
    );
    check_bytes(
        "encode_alaw",
        TO_ALAW,
        (encode_alaw, encode_alaw_slice, encode_alaw_vec),
    );
    check_bytes(
        "decode_ulaw",
        FROM_ULAW,
        (decode_ulaw, decode_ulaw_slice, decode_ulaw_vec),
    );
    check_bytes(
        "decode_alaw",
        FROM_ALAW,
        (decode_alaw, decode_alaw_slice, decode_alaw_vec),
    );
}

#[test]
fn to_i16_matches_audioop_for_every_byte() {
    let want = le_i16(TO_I16);
    let input = all_bytes();
    for (&u, &w) in input.iter().zip(&want) {
        assert_eq!(linear8::to_i16(u), w, "{u:#04x}");
    }
    let mut out = vec![0i16; 256];
    linear8::to_i16_slice(&input, &mut out);
    assert_eq!(out, want);
    assert_eq!(linear8::to_i16_vec(&input), want);
    assert_eq!(linear8::to_i16(linear8::SILENCE), 0);
}

#[test]
fn from_i16_matches_audioop_for_every_sample() {
    assert_eq!(FROM_I16.len(), 65_536);
    let samples = all_samples();
    for &x in &samples {
        assert_eq!(linear8::from_i16(x), FROM_I16[index(x)], "{x}");
    }
    let mut out = vec![0u8; samples.len()];
    linear8::from_i16_slice(&samples, &mut out);
    assert!(out == FROM_I16);
    assert!(linear8::from_i16_vec(&samples) == FROM_I16);
    // Truncation toward minus infinity, as documented.
    assert_eq!(linear8::from_i16(-8), 0x7F);
    assert_eq!(linear8::from_i16(8), 0x80);
}

#[test]
fn direct_conversions_equal_going_through_i16() {
    for u in 0..=255u8 {
        let x = linear8::to_i16(u);
        assert_eq!(linear8::from_i16(x), u, "8 -> 16 -> 8 bits is lossless");
        assert_eq!(linear8::encode_ulaw(u), g711::ulaw::encode(x));
        assert_eq!(linear8::encode_alaw(u), g711::alaw::encode(x));
        assert_eq!(
            linear8::decode_ulaw(u),
            linear8::from_i16(g711::ulaw::decode(u))
        );
        assert_eq!(
            linear8::decode_alaw(u),
            linear8::from_i16(g711::alaw::decode(u))
        );
    }
}
