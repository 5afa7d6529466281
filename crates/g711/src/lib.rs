//! G.711 mu-law and A-law (ITU-T G.711), bit-exact with the ITU-T G.191 reference
//! implementation, plus helpers for pyVoIP's 8-bit unsigned linear audio.
//!
//! ```
//! let pcm: Vec<i16> = (0..160).map(|n| ((n as f32 * 0.3).sin() * 8000.0) as i16).collect();
//! let coded = g711::ulaw::encode_vec(&pcm);
//! let back = g711::ulaw::decode_vec(&coded);
//! assert_eq!(back.len(), pcm.len());
//! assert!(pcm.iter().zip(&back).all(|(a, b)| (a - b).abs() < 300));
//! ```
#![forbid(unsafe_code)]

pub mod alaw;
pub mod linear8;
pub mod ulaw;
