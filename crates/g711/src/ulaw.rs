//! mu-law (PCMU), as ITU-T G.191 `ulaw_compress` / `ulaw_expand`.

/// Encodes one 16-bit linear sample to a mu-law code.
#[inline]
pub fn encode(sample: i16) -> u8 {
    // One's complement for negatives, as G.191 does, then a bias of 33 on the 14-bit magnitude.
    let magnitude = if sample < 0 { !sample } else { sample } as i32;
    let absno = ((magnitude >> 2) + 33).min(0x1FFF);
    let segno = 32 - ((absno >> 6) as u32).leading_zeros() as i32 + 1;
    let high = 8 - segno;
    let low = 0x0F - ((absno >> segno) & 0x0F);
    let code = ((high << 4) | low) as u8;
    if sample >= 0 { code | 0x80 } else { code }
}

/// Decodes one mu-law code to a 16-bit linear sample.
#[inline]
pub fn decode(code: u8) -> i16 {
    let m = !code;
    let exponent = ((m >> 4) & 0x07) as i32;
    let mantissa = (m & 0x0F) as i32;
    let step = 4 << (exponent + 1);
    let magnitude = (0x80 << exponent) + step * mantissa + step / 2 - 4 * 33;
    (if code < 0x80 { -magnitude } else { magnitude }) as i16
}

/// Encodes `input` into `output`; both must have the same length.
///
/// # Panics
/// When the lengths differ.
pub fn encode_slice(input: &[i16], output: &mut [u8]) {
    assert_eq!(input.len(), output.len(), "encode_slice: length mismatch");
    for (o, &i) in output.iter_mut().zip(input) {
        *o = encode(i);
    }
}

/// Decodes `input` into `output`; both must have the same length.
///
/// # Panics
/// When the lengths differ.
pub fn decode_slice(input: &[u8], output: &mut [i16]) {
    assert_eq!(input.len(), output.len(), "decode_slice: length mismatch");
    for (o, &i) in output.iter_mut().zip(input) {
        *o = decode(i);
    }
}

/// Encodes a buffer into a new `Vec`.
pub fn encode_vec(input: &[i16]) -> Vec<u8> {
    input.iter().map(|&s| encode(s)).collect()
}

/// Decodes a buffer into a new `Vec`.
pub fn decode_vec(input: &[u8]) -> Vec<i16> {
    input.iter().map(|&c| decode(c)).collect()
}
