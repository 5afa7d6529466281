//! A-law (PCMA), as ITU-T G.191 `alaw_compress` / `alaw_expand`.

/// Encodes one 16-bit linear sample to an A-law code.
#[inline]
pub fn encode(sample: i16) -> u8 {
    // G.191 keeps the 12 most significant bits, one's complement for negatives.
    let mut ix = (if sample < 0 { !sample } else { sample } >> 4) as i32;
    if ix > 15 {
        let mut exp = 1;
        while ix > 16 + 15 {
            ix >>= 1;
            exp += 1;
        }
        ix -= 16;
        ix += exp << 4;
    }
    if sample >= 0 {
        ix |= 0x80;
    }
    (ix ^ 0x55) as u8
}

/// Decodes one A-law code to a 16-bit linear sample.
#[inline]
pub fn decode(code: u8) -> i16 {
    let ix = (code ^ 0x55) as i32;
    let exp = (ix & 0x7F) >> 4;
    let mut mant = ix & 0x0F;
    if exp > 0 {
        mant += 16;
    }
    mant = (mant << 4) + 0x08;
    if exp > 1 {
        mant <<= exp - 1;
    }
    (if ix > 127 { mant } else { -mant }) as i16
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
