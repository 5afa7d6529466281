//! Quantization properties from G.711, exhaustively and with proptest, and the slice
//! length contract.

use proptest::prelude::*;

/// mu-law step (in 16-bit units) of the segment of `code`: 8 << segment.
fn ulaw_step(code: u8) -> i32 {
    8 << ((!code >> 4) & 7)
}

/// A-law step of the segment of `code`: 16 for segments 0 and 1, then doubling.
fn alaw_step(code: u8) -> i32 {
    let segment = ((code ^ 0x55) >> 4) & 7;
    16 << segment.saturating_sub(1)
}

/// Largest magnitude that mu-law represents without overload (end of its last step).
const ULAW_OVERLOAD: i32 = 32124 + 512 - 1;

fn ulaw_error_ok(x: i16) -> Result<(), String> {
    let code = g711::ulaw::encode(x);
    let back = i32::from(g711::ulaw::decode(code));
    let x = i32::from(x);
    let error = (back - x).abs();
    let ok = if x.abs() <= ULAW_OVERLOAD || x == -ULAW_OVERLOAD - 1 {
        error <= ulaw_step(code) / 2
    } else {
        back == 32124 * x.signum() // saturation
    };
    if ok {
        Ok(())
    } else {
        Err(format!("ulaw {x} -> {code:#04x} -> {back}, error {error}"))
    }
}

fn alaw_error_ok(x: i16) -> Result<(), String> {
    let code = g711::alaw::encode(x);
    let back = i32::from(g711::alaw::decode(code));
    let error = (back - i32::from(x)).abs();
    if error <= alaw_step(code) / 2 {
        Ok(())
    } else {
        Err(format!("alaw {x} -> {code:#04x} -> {back}, error {error}"))
    }
}

#[test]
fn decode_encode_is_within_half_a_step_for_every_input() {
    for x in i16::MIN..=i16::MAX {
        ulaw_error_ok(x).unwrap();
        alaw_error_ok(x).unwrap();
    }
    // The overload region really is where mu-law saturates.
    assert_eq!(g711::ulaw::decode(g711::ulaw::encode(32767)), 32124);
    assert_eq!(g711::ulaw::decode(g711::ulaw::encode(-32768)), -32124);
}

#[test]
fn encode_decode_is_identity_except_minus_zero() {
    let mut ulaw_exceptions = Vec::new();
    for c in 0..=255u8 {
        if g711::ulaw::encode(g711::ulaw::decode(c)) != c {
            ulaw_exceptions.push(c);
        }
        assert_eq!(
            g711::alaw::encode(g711::alaw::decode(c)),
            c,
            "alaw {c:#04x}"
        );
    }
    // mu-law -0 (0x7F) decodes to 0, which is +0 (0xFF): the only code that does not
    // survive, as the crate docs say.
    assert_eq!(ulaw_exceptions, [0x7F]);
    assert_eq!(g711::ulaw::encode(g711::ulaw::decode(0x7F)), 0xFF);
}

#[test]
fn decoded_values_are_monotonic_in_the_code() {
    // Positive mu-law codes count down from 0xFF (0) to 0x80 (max); A-law after XOR 0x55
    // counts up. Strictly monotonic means 128 distinct levels per sign.
    let ulaw: Vec<i16> = (0x80..=0xFFu8).rev().map(g711::ulaw::decode).collect();
    assert!(ulaw.windows(2).all(|w| w[0] < w[1]));
    let alaw: Vec<i16> = (0x80..=0xFFu8)
        .map(|c| g711::alaw::decode(c ^ 0x55))
        .collect();
    assert!(alaw.windows(2).all(|w| w[0] < w[1]));
}

proptest! {
    #[test]
    fn prop_ulaw_quantization_error(x in any::<i16>()) {
        ulaw_error_ok(x).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn prop_alaw_quantization_error(x in any::<i16>()) {
        alaw_error_ok(x).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn prop_code_round_trip(c in any::<u8>()) {
        prop_assert_eq!(g711::alaw::encode(g711::alaw::decode(c)), c);
        if c != 0x7F {
            prop_assert_eq!(g711::ulaw::encode(g711::ulaw::decode(c)), c);
        }
    }

    #[test]
    fn prop_buffers_round_trip(pcm in proptest::collection::vec(any::<i16>(), 0..2000)) {
        // The slice path equals the sample path, and re-encoding decoded audio gives the
        // same codes (mu-law -0 comes back as +0).
        let coded = g711::ulaw::encode_vec(&pcm);
        let one_by_one: Vec<u8> = pcm.iter().map(|&x| g711::ulaw::encode(x)).collect();
        prop_assert_eq!(&coded, &one_by_one);
        let again = g711::ulaw::encode_vec(&g711::ulaw::decode_vec(&coded));
        let expected: Vec<u8> = coded.iter().map(|&c| if c == 0x7F { 0xFF } else { c }).collect();
        prop_assert_eq!(again, expected);

        let coded = g711::alaw::encode_vec(&pcm);
        let one_by_one: Vec<u8> = pcm.iter().map(|&x| g711::alaw::encode(x)).collect();
        prop_assert_eq!(&coded, &one_by_one);
        prop_assert_eq!(g711::alaw::encode_vec(&g711::alaw::decode_vec(&coded)), coded);
    }
}

#[test]
#[should_panic(expected = "g711::ulaw::encode_slice: input has 3 samples but output has 2 bytes")]
fn ulaw_encode_slice_panics_on_length_mismatch() {
    g711::ulaw::encode_slice(&[0, 0, 0], &mut [0, 0]);
}

#[test]
#[should_panic(expected = "g711::ulaw::decode_slice: input has 2 bytes but output has 3 samples")]
fn ulaw_decode_slice_panics_on_length_mismatch() {
    g711::ulaw::decode_slice(&[0, 0], &mut [0, 0, 0]);
}

#[test]
#[should_panic(expected = "g711::alaw::encode_slice: input has 1 samples but output has 0 bytes")]
fn alaw_encode_slice_panics_on_length_mismatch() {
    g711::alaw::encode_slice(&[0], &mut []);
}

#[test]
#[should_panic(expected = "g711::alaw::decode_slice: input has 0 bytes but output has 1 samples")]
fn alaw_decode_slice_panics_on_length_mismatch() {
    g711::alaw::decode_slice(&[], &mut [0]);
}

#[test]
#[should_panic(expected = "g711::linear8::encode_ulaw_slice: input length 2 != output length 1")]
fn linear8_slice_panics_on_length_mismatch() {
    g711::linear8::encode_ulaw_slice(&[0x80, 0x80], &mut [0]);
}

#[test]
fn empty_buffers_are_fine() {
    g711::ulaw::encode_slice(&[], &mut []);
    g711::alaw::decode_slice(&[], &mut []);
    assert!(g711::ulaw::encode_vec(&[]).is_empty());
    assert!(g711::linear8::decode_alaw_vec(&[]).is_empty());
}
