//! G.711 mu-law (PCMU) and A-law (PCMA), bit-exact with the ITU-T G.191 reference
//! implementation (the Software Tool Library's `g711.c`), plus converters for pyVoIP's
//! 8-bit unsigned linear audio.
//!
//! - [`ulaw`] and [`alaw`]: one sample ([`ulaw::encode`], [`ulaw::decode`], both `const fn`),
//!   whole buffers ([`ulaw::encode_slice`], [`ulaw::decode_slice`]) and `Vec`-returning
//!   conveniences ([`ulaw::encode_vec`], [`ulaw::decode_vec`]); the same names in [`alaw`].
//! - [`linear8`]: pyVoIP's format (8-bit unsigned, silence `0x80`) to and from `i16`, mu-law
//!   and A-law, byte for byte what pyVoIP's `audioop` calls give.
//!
//! No allocation except in the `_vec` functions, no I/O, no dependencies.
//!
//! ```
//! // One 20 ms RTP frame (160 samples at 8 kHz) of a 1 kHz tone.
//! let pcm: Vec<i16> = (0..160)
//!     .map(|n| (8000.0 * (n as f64 * std::f64::consts::PI / 4.0).sin()) as i16)
//!     .collect();
//!
//! let mut payload = [0u8; 160];
//! g711::ulaw::encode_slice(&pcm, &mut payload);
//!
//! let mut decoded = [0i16; 160];
//! g711::ulaw::decode_slice(&payload, &mut decoded);
//!
//! // mu-law keeps every sample within half a step of its segment (at most 128 here).
//! for (a, b) in pcm.iter().zip(&decoded) {
//!     assert!((a - b).abs() <= 128, "{a} -> {b}");
//! }
//! // Decoding then encoding again gives back the same payload.
//! assert_eq!(g711::ulaw::encode_vec(&decoded), payload);
//! ```
//!
//! # Buffer lengths
//!
//! G.711 maps one sample to one byte, so the `_slice` functions require `output` to be exactly
//! as long as `input` and panic otherwise, like [`slice::copy_from_slice`]: a mismatch is a
//! bug in the caller, and quietly converting only a prefix would drop or leave stale audio.
//! Where the length comes from the network (an RTP payload), size the output from the input
//! (`buf.resize(payload.len(), 0)`) or use the `_vec` functions.
//!
//! # Python's `audioop` and the ITU
//!
//! pyVoIP encodes with Python's `audioop` (CPython's copy of Sun's public-domain `g711.c`).
//! Its A-law encoder and both decoders agree with G.191 for every input. Its mu-law encoder
//! does not: for 508 negative inputs it returns a code **one lower** than G.191 (one step
//! larger in magnitude). This crate follows G.191.
//!
//! **Which inputs.** Let `t` run over the 127 mu-law decision values of G.711 in 14-bit
//! units, `t = (16 + j) * 2^s - 33` for segment `s` in 1..=8 and `j` in 0..=15, except
//! `s = 1, j = 0`: `t = 1, 3, 5, ..., 29, 31, 35, ..., 91, 95, ..., 7647, 7903`. The inputs
//! are the four 16-bit samples `x` with `x >> 2 == -t`, i.e. `-4t ..= -4t + 3`: `-4 ..= -1`,
//! `-12 ..= -9`, ..., `-31612 ..= -31609`. On those, `audioop.lin2ulaw` gives `c - 1` where
//! G.191 gives `c`; for example `-1` becomes `0x7E` (decoding to -8) instead of `0x7F` (-0).
//!
//! **Why.** G.191 (`ulaw_compress`) takes the magnitude of a negative sample as its one's
//! complement, `~x = -x - 1`, then drops the two low bits: `(~x) >> 2`. `audioop`
//! (`st_14linear2ulaw(x >> 2)`) drops the two bits first, rounding toward minus infinity, then
//! negates: `-(x >> 2)`. For negative `x` the second is always exactly one more than the
//! first (`-4 ..= -1` get magnitude 1 from `audioop`, 0 from G.191). After adding the bias
//! 33, the two magnitudes fall in the same quantization step unless `audioop`'s lands exactly
//! on a decision value `t`; then `audioop` picks the next step outward, and negative codes
//! count down as the magnitude grows. G.191's one's complement makes the quantizer exactly
//! symmetric about -1/2, the middle of the two's-complement range: `x` and `!x` always get
//! codes that differ only in the sign bit, and the smallest negative inputs encode to -0 as
//! the smallest positive ones encode to +0. `audioop` lacks that symmetry. (`audioop`'s A-law
//! encoder computes `-x - 1`, G.191's one's complement, which is why A-law agrees.)
//!
//! The tests check all 65,536 inputs against vectors generated with `audioop` (script and
//! files in `testdata/`): equal everywhere except on exactly this set, where this crate's
//! code is `audioop`'s plus one and equals a transcription of the G.191 C code.
//! [`linear8`] never meets the set (8-bit audio is a multiple of 256 in 16 bits, and every
//! `t` is odd), so it matches pyVoIP byte for byte.
//!
//! # Round trips
//!
//! `decode(encode(x))` is the middle of the quantization step that contains `x`, so it is
//! within half a step of `x` (mu-law steps are 8 to 1024 in 16-bit units, A-law 16 to
//! 1024). The one exception is mu-law's overload range: its outermost step ends at ±32635,
//! and louder samples saturate to ±32124 (error up to 644 at -32768). `encode(decode(c)) == c` for all 256 A-law codes and
//! all mu-law codes except `0x7F` (-0), which decodes to 0 and so encodes back to `0xFF` (+0).
//!
//! # Speed
//!
//! Every conversion is a branch-free formula (the segment comes from an exact integer-to-float
//! conversion instead of a loop or a 64 KiB table), so the buffer loops auto-vectorize. On
//! x86 the loop is also compiled with AVX2 and chosen at run time when the CPU has it; that is
//! this crate's only `unsafe` (the call after the feature check). Measured against the other
//! crates in `docs/benchmarks.md`.
#![deny(unsafe_code)]

pub mod alaw;
mod kernels;
pub mod linear8;
pub mod ulaw;

/// Compiles and runs the example in `README.md`.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
