//! pyVoIP's audio format: 8 kHz mono, 8-bit **unsigned** linear samples (silence is `0x80`).
//!
//! pyVoIP 2.0 hands this format to and from the user and converts it with Python's `audioop`:
//!
//! | pyVoIP (`RTP.py`)                                      | here                     |
//! |--------------------------------------------------------|--------------------------|
//! | `audioop.lin2ulaw(audioop.bias(data, 1, -128), 1)`     | [`encode_ulaw_slice`]    |
//! | `audioop.lin2alaw(audioop.bias(data, 1, -128), 1)`     | [`encode_alaw_slice`]    |
//! | `audioop.bias(audioop.ulaw2lin(data, 1), 1, 128)`      | [`decode_ulaw_slice`]    |
//! | `audioop.bias(audioop.alaw2lin(data, 1), 1, 128)`      | [`decode_alaw_slice`]    |
//! | `audioop.lin2lin(audioop.bias(data, 1, -128), 1, 2)`   | [`to_i16_slice`]         |
//! | `audioop.bias(audioop.lin2lin(data, 2, 1), 1, 128)`    | [`from_i16_slice`]       |
//!
//! Every function here gives the same bytes as that `audioop` pipeline for every input (the
//! tests compare all 256 or 65,536 of them). There is no deliberate difference: the mu-law
//! inputs on which `audioop` departs from the ITU (see the
//! [crate documentation](crate#pythons-audioop-and-the-itu)) are never produced by 8-bit
//! audio, whose 16-bit value is always a multiple of 256.
//!
//! Going down from 16 to 8 bits keeps the high byte, as `audioop` does: the value is
//! truncated toward minus infinity, not rounded, so for example `-8` becomes `0x7F` and
//! `+8` becomes `0x80`.
//!
//! ```
//! use g711::linear8;
//!
//! let silence = [linear8::SILENCE; 160]; // one 20 ms frame, as pyVoIP's read_audio gives it
//! let mut pcmu = [0u8; 160];
//! linear8::encode_ulaw_slice(&silence, &mut pcmu);
//! assert!(pcmu.iter().all(|&c| c == 0xFF)); // mu-law +0
//!
//! let mut back = [0u8; 160];
//! linear8::decode_ulaw_slice(&pcmu, &mut back);
//! assert_eq!(back, silence);
//! ```

use crate::{alaw, kernels, ulaw};

/// The 8-bit unsigned value of silence.
pub const SILENCE: u8 = 0x80;

/// Converts one 8-bit unsigned sample to 16-bit signed: `(sample - 128) << 8`.
#[inline]
#[must_use]
pub const fn to_i16(sample: u8) -> i16 {
    ((sample ^ 0x80) as i8 as i16) << 8
}

/// Converts one 16-bit signed sample to 8-bit unsigned by keeping the high byte (truncation
/// toward minus infinity, as `audioop.lin2lin(.., 2, 1)`), then adding 128.
#[inline]
#[must_use]
pub const fn from_i16(sample: i16) -> u8 {
    ((sample >> 8) as u8) ^ 0x80
}

/// Encodes one 8-bit unsigned sample to mu-law (pyVoIP's `encode_pcmu` for one byte).
#[inline]
#[must_use]
pub const fn encode_ulaw(sample: u8) -> u8 {
    ulaw::encode(to_i16(sample))
}

/// Decodes one mu-law code to an 8-bit unsigned sample (pyVoIP's `decode_pcmu` for one byte).
#[inline]
#[must_use]
pub const fn decode_ulaw(code: u8) -> u8 {
    from_i16(ulaw::decode(code))
}

/// Encodes one 8-bit unsigned sample to A-law (pyVoIP's `encode_pcma` for one byte).
#[inline]
#[must_use]
pub const fn encode_alaw(sample: u8) -> u8 {
    alaw::encode(to_i16(sample))
}

/// Decodes one A-law code to an 8-bit unsigned sample (pyVoIP's `decode_pcma` for one byte).
#[inline]
#[must_use]
pub const fn decode_alaw(code: u8) -> u8 {
    from_i16(alaw::decode(code))
}

/// Generates the slice and `Vec` forms of a per-sample conversion.
macro_rules! slice_forms {
    ($(($one:ident, $slice:ident, $vec:ident, $in:ty, $out:ty, $what:literal)),* $(,)?) => {$(
        #[doc = concat!("Converts ", $what, " for a whole buffer (see [`", stringify!($one), "`]).")]
        ///
        /// # Panics
        /// When `output.len() != input.len()` (see [`crate::ulaw::encode_slice`] for why).
        #[track_caller]
        pub fn $slice(input: &[$in], output: &mut [$out]) {
            assert!(
                input.len() == output.len(),
                concat!("g711::linear8::", stringify!($slice), ": input length {} != output length {}"),
                input.len(),
                output.len()
            );
            kernels::map(input, output, $one);
        }

        #[doc = concat!("Converts ", $what, " into a new `Vec` of the same length (see [`", stringify!($one), "`]).")]
        #[must_use]
        pub fn $vec(input: &[$in]) -> Vec<$out> {
            let mut output = vec![0; input.len()];
            kernels::map(input, &mut output, $one);
            output
        }
    )*};
}

slice_forms! {
    (to_i16, to_i16_slice, to_i16_vec, u8, i16, "8-bit unsigned samples to 16-bit signed"),
    (from_i16, from_i16_slice, from_i16_vec, i16, u8, "16-bit signed samples to 8-bit unsigned"),
    (encode_ulaw, encode_ulaw_slice, encode_ulaw_vec, u8, u8, "8-bit unsigned samples to mu-law"),
    (decode_ulaw, decode_ulaw_slice, decode_ulaw_vec, u8, u8, "mu-law codes to 8-bit unsigned samples"),
    (encode_alaw, encode_alaw_slice, encode_alaw_vec, u8, u8, "8-bit unsigned samples to A-law"),
    (decode_alaw, decode_alaw_slice, decode_alaw_vec, u8, u8, "A-law codes to 8-bit unsigned samples"),
}
