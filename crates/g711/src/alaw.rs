//! A-law (PCMA, RTP payload type 8), bit-exact with ITU-T G.191 `alaw_compress` /
//! `alaw_expand`.
//!
//! A code's bits are `S EEE MMMM` with the even bits inverted on the wire (XOR `0x55`):
//! sign (1 = positive), segment and mantissa. Segments 0 and 1 share the smallest step (16 in
//! 16-bit units); from there the step doubles per segment up to 1024. A-law has no code for
//! zero: `0xD5` and `0x55` decode to +8 and -8, and every 16-bit input maps to a code whose
//! decoding is the middle of its step.
//!
//! Python's `audioop.lin2alaw` / `alaw2lin` (what pyVoIP uses) agree with these functions for
//! every input.
//!
//! ```
//! assert_eq!(g711::alaw::encode(0), 0xD5);
//! assert_eq!(g711::alaw::encode(-1), 0x55);
//! assert_eq!(g711::alaw::decode(0xD5), 8);
//! assert_eq!(g711::alaw::decode(0x2A), -32256);
//! ```

use crate::kernels;

/// Encodes one 16-bit linear sample to an A-law code.
///
/// Same result as G.191 `alaw_compress` for every input. That algorithm keeps the 12 most
/// significant bits of the one's-complement magnitude and finds the segment by shifting in a
/// loop. Here segment and mantissa come from the bits of the exact `f32` of that magnitude
/// (exponent = position of the leading one, top 4 fraction bits = the next 4 bits), which
/// is branch-free and vectorizes; magnitudes below 16 (segment 0) are their own code.
#[inline]
#[must_use]
pub const fn encode(sample: i16) -> u8 {
    let x = sample as i32;
    // 0 for x >= 0, -1 for x < 0: `x ^ sign` is G.191's one's complement `~x` for negatives.
    let sign = x >> 31;
    let magnitude = (x ^ sign) >> 4; // 0 ..= 2047: 12-bit magnitude
    let bits = (magnitude as f32).to_bits() as i32;
    // For magnitude >= 16 the float exponent is 4 ..= 10, segment 1 ..= 7.
    let segment_mantissa = (bits >> 19) - ((127 + 3) << 4);
    let code = if magnitude < 16 {
        magnitude
    } else {
        segment_mantissa
    };
    // Positive samples get the sign bit; A-law inverts the even bits.
    ((code | (!sign & 0x80)) ^ 0x55) as u8
}

/// Decodes one A-law code to a 16-bit linear sample.
///
/// Same result as G.191 `alaw_expand` for every code: the middle of the code's step,
/// `((16 + mantissa) << 4 | 8) << (segment - 1)` for segments 1 to 7 and
/// `mantissa << 4 | 8` for segment 0, negated when the sign bit is 0. The per-sample shift
/// is done by building the value as a float from bits (see [`crate::ulaw::decode`]).
#[inline]
#[must_use]
pub const fn decode(code: u8) -> i16 {
    let segment_mantissa = (code ^ 0x55) & 0x7F;
    // Segment 0 has the same step as segment 1 but no leading one (worth 256): decode it as
    // segment 1 and subtract 256. Done with masks on narrow types, which vectorizes better
    // than a select on 32-bit values.
    let segment0 = (segment_mantissa < 16) as u8;
    let segment_mantissa = (segment_mantissa | (segment0 << 4)) as u32;
    // (1 + mantissa/16 + 1/32) * 2^(segment + 7) = ((16 + mantissa) << 4 | 8) << (segment - 1).
    let bits = ((segment_mantissa << 19) + (134 << 23)) | (1 << 18);
    let value = f32::from_bits(bits);
    // Adding 2^23 moves the integral value (< 2^15) into the low fraction bits exactly.
    let magnitude =
        ((value + 8_388_608.0).to_bits() as i32 - 0x4B00_0000) as i16 - ((segment0 as i16) << 8);
    if code & 0x80 != 0 {
        magnitude
    } else {
        -magnitude
    }
}

/// Encodes `input` into `output`, one code per sample.
///
/// Vectorized; on x86 it uses AVX2 when the CPU has it (same results, checked exhaustively).
///
/// # Panics
/// When `output.len() != input.len()` (see [`crate::ulaw::encode_slice`] for why).
#[track_caller]
pub fn encode_slice(input: &[i16], output: &mut [u8]) {
    assert!(
        input.len() == output.len(),
        "g711::alaw::encode_slice: input has {} samples but output has {} bytes",
        input.len(),
        output.len()
    );
    kernels::map(input, output, encode);
}

/// Decodes `input` into `output`, one sample per code.
///
/// Vectorized; on x86 it uses AVX2 when the CPU has it (same results, checked exhaustively).
///
/// # Panics
/// When `output.len() != input.len()` (see [`crate::ulaw::encode_slice`] for why).
#[track_caller]
pub fn decode_slice(input: &[u8], output: &mut [i16]) {
    assert!(
        input.len() == output.len(),
        "g711::alaw::decode_slice: input has {} bytes but output has {} samples",
        input.len(),
        output.len()
    );
    kernels::map(input, output, decode);
}

/// Encodes `input` into a new `Vec` of the same length.
#[must_use]
pub fn encode_vec(input: &[i16]) -> Vec<u8> {
    let mut output = vec![0; input.len()];
    kernels::map(input, &mut output, encode);
    output
}

/// Decodes `input` into a new `Vec` of the same length.
#[must_use]
pub fn decode_vec(input: &[u8]) -> Vec<i16> {
    let mut output = vec![0; input.len()];
    kernels::map(input, &mut output, decode);
    output
}
