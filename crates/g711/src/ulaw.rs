//! mu-law (PCMU, RTP payload type 0), bit-exact with ITU-T G.191 `ulaw_compress` /
//! `ulaw_expand`.
//!
//! A code's bits are `S EEE MMMM`, all inverted on the wire: sign (1 = positive), segment
//! (exponent) and mantissa. Each of the 8 segments holds 16 steps; the step doubles from one
//! segment to the next (8, 16, ... 1024 in 16-bit units). `0xFF` is +0 and `0x7F` is -0; both
//! decode to 0.
//!
//! These functions differ from Python's `audioop.lin2ulaw` (what pyVoIP uses) for 508
//! negative inputs; see the [crate documentation](crate#pythons-audioop-and-the-itu).
//!
//! ```
//! assert_eq!(g711::ulaw::encode(0), 0xFF);
//! assert_eq!(g711::ulaw::encode(-1), 0x7F);
//! assert_eq!(g711::ulaw::decode(0x00), -32124);
//! assert_eq!(g711::ulaw::decode(0x80), 32124);
//! ```

use crate::kernels;

/// The mu-law bias (G.191's 33, in 14-bit units): adding it makes the segment boundaries
/// fall on powers of two.
const BIAS: i16 = 33;

/// Encodes one 16-bit linear sample to a mu-law code.
///
/// Same result as G.191 `ulaw_compress` for every input. That algorithm keeps the 14 most
/// significant bits of the one's-complement magnitude, adds the bias 33, clamps to 13 bits
/// and then searches the segment bit by bit. Here the segment and mantissa come out of an
/// exact integer-to-`f32` conversion instead: a float's exponent field is the position of the
/// leading one (the segment) and its top 4 fraction bits are the 4 bits after it (the
/// mantissa), so `bits >> 19` is `segment << 4 | mantissa` plus a constant. That is
/// branch-free and vectorizes; the tests compare it with a line-by-line transcription of
/// the G.191 C code for all 65,536 inputs.
#[inline]
#[must_use]
pub const fn encode(sample: i16) -> u8 {
    // Kept in 16 bits until the float conversion: narrower lanes, faster vector code.
    // 0 for sample >= 0, -1 for sample < 0: `sample ^ sign` is G.191's one's complement
    // `~x` for negatives.
    let sign = sample >> 15;
    let magnitude = (sample ^ sign) >> 2; // 0 ..= 8191: 14-bit magnitude
    let mut biased = magnitude + BIAS; // 33 ..= 8224
    if biased > 0x1FFF {
        biased = 0x1FFF; // G.191's limit to 13 bits
    }
    // biased is in 2^5 ..= 2^13 - 1, so its float exponent is 5 ..= 12 (segment 0 ..= 7).
    let bits = (biased as f32).to_bits();
    let segment_mantissa = ((bits >> 19) as u16).wrapping_sub((127 + 5) << 4); // 0 ..= 0x7F
    // mu-law sends every bit inverted; positive samples get the sign bit (1 after inversion).
    (0x7F - segment_mantissa) as u8 | (!sign as u8 & 0x80)
}

/// Decodes one mu-law code to a 16-bit linear sample.
///
/// Same result as G.191 `ulaw_expand` for every code: the value is the middle of the
/// code's step, `(((mantissa << 3) + 132) << segment) - 132`, negated when the sign bit is 0.
/// The shift by a per-sample amount is done by building the float
/// `(1 + mantissa/16 + 1/32) * 2^(segment + 7)` from bits, which vectorizes everywhere.
#[inline]
#[must_use]
pub const fn decode(code: u8) -> i16 {
    let segment_mantissa = (!code & 0x7F) as u32;
    // Exponent field 134 + segment, fraction mantissa/16 plus the half step 1/32.
    let bits = ((segment_mantissa << 19) + (134 << 23)) | (1 << 18);
    let value = f32::from_bits(bits); // (132 + 8 * mantissa) << segment, exactly
    // Adding 2^23 puts the (integral, < 2^15) value into the low fraction bits, which avoids
    // the saturating `as i32` conversion that vectorizes poorly.
    let magnitude = ((value + 8_388_608.0).to_bits() as i32 - 0x4B00_0000 - 4 * BIAS as i32) as i16;
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
/// When `output.len() != input.len()`, like [`slice::copy_from_slice`]: a mismatch is a
/// bug in the caller, and silently converting a prefix would drop audio. For input whose
/// length is only known at run time, use [`encode_vec`] or size the output first:
///
/// ```
/// let pcm = [0i16, 1000, -1000];
/// let mut payload = Vec::new();
/// payload.resize(pcm.len(), 0);
/// g711::ulaw::encode_slice(&pcm, &mut payload);
/// assert_eq!(payload, [0xFF, 0xCE, 0x4E]);
/// ```
#[track_caller]
pub fn encode_slice(input: &[i16], output: &mut [u8]) {
    assert!(
        input.len() == output.len(),
        "g711::ulaw::encode_slice: input has {} samples but output has {} bytes",
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
/// When `output.len() != input.len()` (see [`encode_slice`] for why).
#[track_caller]
pub fn decode_slice(input: &[u8], output: &mut [i16]) {
    assert!(
        input.len() == output.len(),
        "g711::ulaw::decode_slice: input has {} bytes but output has {} samples",
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
