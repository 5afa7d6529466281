//! Shared by the integration tests: a line-by-line transcription of the ITU-T G.191 STL
//! `g711.c` routines, the `audioop` vectors, and the set of inputs on which the crate
//! documentation says `audioop` differs.
//!
//! The transcription deliberately follows the C code's structure (buffers of `short`,
//! loops, C integer promotion to `int`) rather than the crate's formulas, so the two are
//! independent.

#![allow(dead_code, unreachable_pub)]

/// G.191 `alaw_compress(lseg, linbuf, logbuf)`.
pub fn alaw_compress(linbuf: &[i16], logbuf: &mut [i16]) {
    for n in 0..linbuf.len() {
        let lin = linbuf[n] as i32;
        // ix = linbuf[n] < 0 ? (~linbuf[n]) >> 4 : (linbuf[n]) >> 4;
        let mut ix: i32 = if lin < 0 { (!lin) >> 4 } else { lin >> 4 };
        if ix > 15 {
            let mut iexp: i32 = 1;
            while ix > 16 + 15 {
                ix >>= 1;
                iexp += 1;
            }
            ix -= 16;
            ix += iexp << 4;
        }
        if lin >= 0 {
            ix |= 0x0080;
        }
        logbuf[n] = (ix ^ 0x0055) as i16;
    }
}

/// G.191 `alaw_expand(lseg, logbuf, linbuf)`.
pub fn alaw_expand(logbuf: &[i16], linbuf: &mut [i16]) {
    for n in 0..logbuf.len() {
        let log = logbuf[n] as i32;
        let mut ix: i32 = log ^ 0x0055;
        ix &= 0x007F;
        let iexp: i32 = ix >> 4;
        let mut mant: i32 = ix & 0x000F;
        if iexp > 0 {
            mant += 16;
        }
        mant = (mant << 4) + 0x0008;
        if iexp > 1 {
            mant <<= iexp - 1;
        }
        linbuf[n] = if log > 127 { mant } else { -mant } as i16;
    }
}

/// G.191 `ulaw_compress(lseg, linbuf, logbuf)`.
pub fn ulaw_compress(linbuf: &[i16], logbuf: &mut [i16]) {
    for n in 0..linbuf.len() {
        let lin = linbuf[n] as i32;
        let mut absno: i32 = if lin < 0 {
            ((!lin) >> 2) + 33
        } else {
            (lin >> 2) + 33
        };
        if absno > 0x1FFF {
            absno = 0x1FFF;
        }
        let mut i: i32 = absno >> 6;
        let mut segno: i32 = 1;
        while i != 0 {
            segno += 1;
            i >>= 1;
        }
        let high_nibble: i32 = 0x0008 - segno;
        let mut low_nibble: i32 = (absno >> segno) & 0x000F;
        low_nibble = 0x000F - low_nibble;
        logbuf[n] = ((high_nibble << 4) | low_nibble) as i16;
        if lin >= 0 {
            logbuf[n] |= 0x0080;
        }
    }
}

/// G.191 `ulaw_expand(lseg, logbuf, linbuf)`.
pub fn ulaw_expand(logbuf: &[i16], linbuf: &mut [i16]) {
    for n in 0..logbuf.len() {
        let log = logbuf[n] as i32;
        let sign: i32 = if log < 0x0080 { -1 } else { 1 };
        let mut mantissa: i32 = !log;
        let exponent: i32 = (mantissa >> 4) & 0x0007;
        let segment: i32 = exponent + 1;
        mantissa &= 0x000F;
        let step: i32 = 4 << segment;
        linbuf[n] = (sign * ((0x0080 << exponent) + step * mantissa + step / 2 - 4 * 33)) as i16;
    }
}

/// Every i16, in order.
pub fn all_samples() -> Vec<i16> {
    (i16::MIN..=i16::MAX).collect()
}

/// Every code, in order.
pub fn all_codes() -> Vec<u8> {
    (0..=255).collect()
}

/// Runs a G.191 compress routine on every i16 and returns the codes as bytes.
pub fn g191_encode_all(compress: fn(&[i16], &mut [i16])) -> Vec<u8> {
    let lin = all_samples();
    let mut log = vec![0i16; lin.len()];
    compress(&lin, &mut log);
    log.iter()
        .map(|&c| u8::try_from(c).expect("G.191 codes are 8-bit"))
        .collect()
}

/// Runs a G.191 expand routine on every code.
pub fn g191_decode_all(expand: fn(&[i16], &mut [i16])) -> Vec<i16> {
    let log: Vec<i16> = all_codes().iter().map(|&c| i16::from(c)).collect();
    let mut lin = vec![0i16; log.len()];
    expand(&log, &mut lin);
    lin
}

/// Reads a file of little-endian i16 values.
pub fn le_i16(bytes: &[u8]) -> Vec<i16> {
    bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// Index of sample `x` in the 65,536-entry vector files (which start at -32768).
pub fn index(x: i16) -> usize {
    usize::from(x as u16 ^ 0x8000)
}

/// The inputs on which, per the crate documentation, `audioop.lin2ulaw` differs from G.191:
/// for each mu-law decision value `t = (16 + j) * 2^s - 33` (s in 1..=8, j in 0..=15, except
/// s = 1, j = 0), the four samples `-4t ..= -4t + 3`. Sorted ascending.
pub fn documented_audioop_ulaw_differences() -> Vec<i16> {
    let mut set = Vec::new();
    for s in 1..=8 {
        for j in 0..=15 {
            if s == 1 && j == 0 {
                continue;
            }
            let t: i32 = (16 + j) * (1 << s) - 33;
            for x in -4 * t..=-4 * t + 3 {
                set.push(i16::try_from(x).unwrap());
            }
        }
    }
    set.sort_unstable();
    set
}
