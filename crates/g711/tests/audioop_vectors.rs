//! Every input and every code against Python's `audioop` (vectors made by
//! `testdata/gen_vectors.py`), with the documented mu-law encoding difference encoded
//! explicitly: equal everywhere except on exactly the documented set of 508 negative
//! inputs, where `audioop` is one lower and this crate equals the ITU transcription.

mod common;

use common::{
    all_samples, documented_audioop_ulaw_differences, g191_encode_all, index, le_i16, ulaw_compress,
};

static ULAW_ENCODE: &[u8] = include_bytes!("../testdata/ulaw_encode.bin");
static ALAW_ENCODE: &[u8] = include_bytes!("../testdata/alaw_encode.bin");
static ULAW_DECODE: &[u8] = include_bytes!("../testdata/ulaw_decode.bin");
static ALAW_DECODE: &[u8] = include_bytes!("../testdata/alaw_decode.bin");

#[test]
fn documented_set_has_the_documented_shape() {
    let set = documented_audioop_ulaw_differences();
    assert_eq!(set.len(), 508);
    // As the crate docs list them: -31612 ..= -31609 first, -4 ..= -1 last.
    assert_eq!(&set[..4], &[-31612, -31611, -31610, -31609]);
    assert_eq!(&set[set.len() - 8..], &[-12, -11, -10, -9, -4, -3, -2, -1]);
    assert!(set.windows(2).all(|w| w[0] < w[1]), "no duplicates");
}

#[test]
fn ulaw_encode_equals_audioop_except_on_the_documented_set() {
    assert_eq!(ULAW_ENCODE.len(), 65_536);
    let itu = g191_encode_all(ulaw_compress);
    let documented = documented_audioop_ulaw_differences();

    let mut differing = Vec::new();
    for x in all_samples() {
        let ours = g711::ulaw::encode(x);
        let audioop = ULAW_ENCODE[index(x)];
        if ours != audioop {
            differing.push(x);
            // audioop picks the next step outward: one code lower, for negatives only.
            assert!(x < 0, "differs on non-negative input {x}");
            assert_eq!(audioop + 1, ours, "input {x}");
        }
        // Wherever it differs or not, the crate follows the ITU.
        assert_eq!(ours, itu[index(x)], "input {x}");
    }
    assert_eq!(
        differing, documented,
        "the set of differences is what the docs say"
    );

    // The crate docs' worked example.
    assert_eq!(ULAW_ENCODE[index(-1)], 0x7E);
    assert_eq!(g711::ulaw::encode(-1), 0x7F);
}

#[test]
fn ulaw_encode_slice_equals_audioop_outside_the_documented_set() {
    let samples = all_samples();
    let ours = g711::ulaw::encode_vec(&samples);
    let documented = documented_audioop_ulaw_differences();
    let mut corrected = ULAW_ENCODE.to_vec();
    for &x in &documented {
        corrected[index(x)] += 1; // the ITU correction, applied explicitly
    }
    assert!(
        ours == corrected,
        "audioop vectors plus the ITU corrections"
    );
}

#[test]
fn alaw_encode_equals_audioop_for_every_input() {
    assert_eq!(ALAW_ENCODE.len(), 65_536);
    let samples = all_samples();
    for &x in &samples {
        assert_eq!(g711::alaw::encode(x), ALAW_ENCODE[index(x)], "input {x}");
    }
    assert!(g711::alaw::encode_vec(&samples) == ALAW_ENCODE);
}

#[test]
fn decoders_equal_audioop_for_every_code() {
    let ulaw = le_i16(ULAW_DECODE);
    let alaw = le_i16(ALAW_DECODE);
    assert_eq!((ulaw.len(), alaw.len()), (256, 256));
    for c in 0..=255u8 {
        assert_eq!(g711::ulaw::decode(c), ulaw[usize::from(c)], "ulaw {c:#04x}");
        assert_eq!(g711::alaw::decode(c), alaw[usize::from(c)], "alaw {c:#04x}");
    }
    let codes: Vec<u8> = (0..=255).collect();
    assert_eq!(g711::ulaw::decode_vec(&codes), ulaw);
    assert_eq!(g711::alaw::decode_vec(&codes), alaw);
}
