//! pyVoIP's audio format: 8-bit unsigned linear samples (silence is `0x80`).

/// The 8-bit unsigned value of silence.
pub const SILENCE: u8 = 0x80;

/// Converts one 8-bit unsigned sample to 16-bit signed (as `audioop.lin2lin(.., 1, 2)` after `bias`).
#[inline]
pub fn to_i16(sample: u8) -> i16 {
    ((sample as i16) - 128) << 8
}

/// Converts one 16-bit signed sample to 8-bit unsigned, keeping the high byte (truncation, as audioop).
#[inline]
pub fn from_i16(sample: i16) -> u8 {
    ((sample >> 8) as i8 as u8) ^ 0x80
}

/// Converts 8-bit unsigned audio to mu-law codes.
pub fn to_ulaw(input: &[u8]) -> Vec<u8> {
    input
        .iter()
        .map(|&s| crate::ulaw::encode(to_i16(s)))
        .collect()
}

/// Converts mu-law codes to 8-bit unsigned audio.
pub fn from_ulaw(input: &[u8]) -> Vec<u8> {
    input
        .iter()
        .map(|&c| from_i16(crate::ulaw::decode(c)))
        .collect()
}

/// Converts 8-bit unsigned audio to A-law codes.
pub fn to_alaw(input: &[u8]) -> Vec<u8> {
    input
        .iter()
        .map(|&s| crate::alaw::encode(to_i16(s)))
        .collect()
}

/// Converts A-law codes to 8-bit unsigned audio.
pub fn from_alaw(input: &[u8]) -> Vec<u8> {
    input
        .iter()
        .map(|&c| from_i16(crate::alaw::decode(c)))
        .collect()
}
