//! Byte classes of RFC 3261 §25 and a small cursor used by every typed parser.
//!
//! The typed parsers are hand-written byte loops over a [`Cursor`]: they are faster than
//! combinators for these short fields and make it easy to report the exact byte offset.

use crate::error::{Error, Result};
use std::borrow::Cow;

pub(crate) const TOKEN: u16 = 1;
pub(crate) const WORD: u16 = 2;
pub(crate) const UNRESERVED: u16 = 4;
/// user-unreserved: `& = + $ , ; ? /`
pub(crate) const USER: u16 = 8;
/// password extras: `& = + $ ,`
pub(crate) const PASSWORD: u16 = 16;
/// param-unreserved: `[ ] / : & + $`
pub(crate) const PARAM: u16 = 32;
/// hnv-unreserved: `[ ] / ? : + $`
pub(crate) const HNV: u16 = 64;
/// Characters of a hostname, IPv4 address or IPv6 reference.
pub(crate) const HOST: u16 = 128;
/// Decimal digits.
pub(crate) const DIGIT: u16 = 256;
/// Host name characters outside an IPv6 reference: letters, digits, `-`, `.`, `_`.
pub(crate) const HOSTNAME: u16 = 512;
/// Digits and `.` (an IPv4 address, when a host name has only these).
pub(crate) const DIGIT_DOT: u16 = 1024;

const fn build_table() -> [u16; 256] {
    let mut t = [0u16; 256];
    let mut c = 0usize;
    while c < 256 {
        let b = c as u8;
        let alnum = b.is_ascii_alphanumeric();
        let mut v = 0u16;
        if alnum
            || matches!(
                b,
                b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
            )
        {
            v |= TOKEN | WORD;
        }
        if matches!(
            b,
            b'(' | b')'
                | b'<'
                | b'>'
                | b':'
                | b'\\'
                | b'"'
                | b'/'
                | b'['
                | b']'
                | b'?'
                | b'{'
                | b'}'
        ) {
            v |= WORD;
        }
        if alnum
            || matches!(
                b,
                b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
            )
        {
            v |= UNRESERVED;
        }
        if matches!(b, b'&' | b'=' | b'+' | b'$' | b',' | b';' | b'?' | b'/') {
            v |= USER;
        }
        if matches!(b, b'&' | b'=' | b'+' | b'$' | b',') {
            v |= PASSWORD;
        }
        if matches!(b, b'[' | b']' | b'/' | b':' | b'&' | b'+' | b'$') {
            v |= PARAM;
        }
        if matches!(b, b'[' | b']' | b'/' | b'?' | b':' | b'+' | b'$') {
            v |= HNV;
        }
        if alnum || matches!(b, b'-' | b'.' | b'_' | b'[' | b']' | b':') {
            v |= HOST;
        }
        if b.is_ascii_digit() {
            v |= DIGIT | DIGIT_DOT;
        }
        if b == b'.' {
            v |= DIGIT_DOT;
        }
        if alnum || matches!(b, b'-' | b'.' | b'_') {
            v |= HOSTNAME;
        }
        t[c] = v;
        c += 1;
    }
    t
}

pub(crate) static CLASS: [u16; 256] = build_table();

#[inline]
pub(crate) fn is(b: u8, class: u16) -> bool {
    CLASS[b as usize] & class != 0
}

#[inline]
pub(crate) fn is_token(b: u8) -> bool {
    is(b, TOKEN)
}

/// Length of the run of token bytes at the start of `s`.
#[inline]
pub(crate) fn token_len(s: &[u8]) -> usize {
    s.iter().position(|&b| !is_token(b)).unwrap_or(s.len())
}

/// Length of the run of bytes of `class` at `b[i..]` (0 past the end).
#[inline]
pub(crate) fn run(b: &[u8], i: usize, class: u16) -> usize {
    b.get(i..).map_or(0, |r| {
        r.iter().position(|&x| !is(x, class)).unwrap_or(r.len())
    })
}

/// Fast path for a header parameter list (`generic-param`s) without whitespace or quoted
/// values, which is how nearly every peer writes them: validates `*(";" token ["=" value])`
/// from `b[i]` and returns where the list ends (where the general parser would stop too).
/// `None` means "not this simple form": the caller runs the general parser, which accepts
/// LWS and quoted strings and reports errors.
#[inline]
pub(crate) fn simple_header_params(b: &[u8], mut i: usize) -> Option<usize> {
    let mut end = i;
    loop {
        match b.get(i) {
            Some(b';') => {}
            Some(&c) if is_lws(c) => return None,
            _ => return Some(end),
        }
        i += 1;
        let n = run(b, i, TOKEN);
        if n == 0 {
            return None;
        }
        i += n;
        if b.get(i) == Some(&b'=') {
            i += 1;
            let n = run(b, i, TOKEN | HOST);
            if n == 0 {
                return None;
            }
            i += n;
        }
        end = i;
    }
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Marks (high bit of the byte) the first byte of `w` equal to `b`; bytes after it may be
/// marked wrongly, so only the lowest mark is meaningful.
#[inline]
pub(crate) fn first_eq(w: u64, b: u8) -> u64 {
    let x = w ^ (LO * u64::from(b));
    x.wrapping_sub(LO) & !x & HI
}

/// Marks the first byte of `w` below `n` (`n` at most 0x80); as with [`first_eq`], only
/// the lowest mark is meaningful.
#[inline]
pub(crate) fn first_below(w: u64, n: u8) -> u64 {
    w.wrapping_sub(LO * u64::from(n)) & !w & HI
}

/// The eight bytes at `b[i..]` as a little-endian word, if there are eight.
#[inline]
pub(crate) fn word_at(b: &[u8], i: usize) -> Option<u64> {
    let c = b.get(i..i.checked_add(8)?)?;
    Some(u64::from_le_bytes([
        c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
    ]))
}

/// Offset of the first `b` in `s`, eight bytes at a time: for the short fields searched
/// here (a URI up to its `>` or `@`, an SDP line) this costs less than a SIMD search's setup.
#[inline]
pub(crate) fn find_byte(s: &[u8], b: u8) -> Option<usize> {
    let mut chunks = s.chunks_exact(8);
    let mut at = 0;
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        let m = first_eq(w, b);
        if m != 0 {
            return Some(at + (m.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&x| x == b)
        .map(|i| at + i)
}

/// Offset of the first LF at or after `from`. Sixteen bytes per step, eight at a time
/// (SWAR): header lines are 20-100 bytes, too short for a SIMD search's setup to pay off.
#[inline]
pub(crate) fn find_newline(buf: &[u8], from: usize) -> Option<usize> {
    let rest = buf.get(from..)?;
    let mut chunks = rest.chunks_exact(16);
    let mut at = from;
    for c in &mut chunks {
        let a = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        let b = u64::from_le_bytes([c[8], c[9], c[10], c[11], c[12], c[13], c[14], c[15]]);
        let (ma, mb) = (first_eq(a, b'\n'), first_eq(b, b'\n'));
        if ma | mb != 0 {
            let i = if ma != 0 {
                ma.trailing_zeros() / 8
            } else {
                8 + mb.trailing_zeros() / 8
            };
            return Some(at + i as usize);
        }
        at += 16;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == b'\n')
        .map(|i| at + i)
}

/// Length of the prefix of `s` without a control byte, space or DEL (a Request-URI), eight
/// bytes at a time.
pub(crate) fn uri_len(s: &[u8]) -> usize {
    let mut chunks = s.chunks_exact(8);
    let mut at = 0;
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        let (ctl, del) = (first_below(w, 0x21), first_eq(w, 0x7f));
        if ctl | del != 0 {
            return at + (ctl.trailing_zeros().min(del.trailing_zeros()) / 8) as usize;
        }
        at += 8;
    }
    at + chunks
        .remainder()
        .iter()
        .position(|&b| b <= b' ' || b == 0x7f)
        .unwrap_or(chunks.remainder().len())
}

/// Offset of the first `"` or `\\` in `s`, eight bytes at a time: quoted values (nonces,
/// realms, display names) are 10-40 bytes, where a SIMD search's setup costs more than it
/// saves.
#[inline]
pub(crate) fn find_quote_end(s: &[u8]) -> Option<usize> {
    let mut chunks = s.chunks_exact(8);
    let mut at = 0;
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        let (q, b) = (first_eq(w, b'"'), first_eq(w, b'\\'));
        if q | b != 0 {
            // Each mark's lowest bit is exact; the lower of the two is the first hit.
            let i = q.trailing_zeros().min(b.trailing_zeros()) / 8;
            return Some(at + i as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == b'"' || b == b'\\')
        .map(|i| at + i)
}

/// Linear whitespace inside a header value: folding has left CR LF followed by SP/HT there.
#[inline]
pub(crate) fn is_lws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// A position in a byte slice, with the slice's offset in the whole input for errors.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    pub(crate) s: &'a [u8],
    t: &'a str,
    pub(crate) pos: usize,
    base: usize,
    context: &'static str,
}

impl<'a> Cursor<'a> {
    /// Header values are checked to be UTF-8 once, when the cursor is made, so every slice
    /// handed out later is a `&str` without another check.
    #[inline]
    pub(crate) fn new(t: &'a str, base: usize, context: &'static str) -> Self {
        Cursor {
            s: t.as_bytes(),
            t,
            pos: 0,
            base,
            context,
        }
    }

    #[inline]
    pub(crate) fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    #[inline]
    pub(crate) fn peek_at(&self, n: usize) -> Option<u8> {
        self.s.get(self.pos + n).copied()
    }

    #[inline]
    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    pub(crate) fn rest(&self) -> &'a [u8] {
        &self.s[self.pos.min(self.s.len())..]
    }

    /// The text from the current position to the end.
    #[inline]
    pub(crate) fn rest_str(&self) -> &'a str {
        self.t.get(self.pos..).unwrap_or("")
    }

    /// The text between two positions (both at ASCII bytes, so on char boundaries).
    #[inline]
    pub(crate) fn str(&self, a: usize, b: usize) -> &'a str {
        self.t.get(a..b).unwrap_or("")
    }

    /// Absolute offset of the current position.
    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }

    pub(crate) fn err(&self, expected: &'static str) -> Error {
        Error::syntax(self.context, self.offset(), expected)
    }

    pub(crate) fn err_at(&self, pos: usize, expected: &'static str) -> Error {
        Error::syntax(self.context, self.base + pos, expected)
    }

    #[inline]
    pub(crate) fn skip_lws(&mut self) {
        // Slice iterators instead of indexed loops: no per-byte bounds checks.
        self.pos += self.s[self.pos.min(self.s.len())..]
            .iter()
            .take_while(|&&b| is_lws(b))
            .count();
    }

    #[inline]
    pub(crate) fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Skips LWS, then consumes `c` (and the LWS after it) if present.
    #[inline]
    pub(crate) fn eat_sep(&mut self, c: u8) -> bool {
        let save = self.pos;
        self.skip_lws();
        if self.eat(c) {
            self.skip_lws();
            true
        } else {
            self.pos = save;
            false
        }
    }

    pub(crate) fn expect(&mut self, c: u8, expected: &'static str) -> Result<()> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.err(expected))
        }
    }

    #[inline]
    pub(crate) fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.pos.min(self.s.len());
        let n = self.s[start..].iter().take_while(|&&b| f(b)).count();
        self.pos = start + n;
        &self.s[start..self.pos]
    }

    /// Consumes a non-empty run of bytes of `class`, accepting `%HH` escapes when `escapes`.
    pub(crate) fn take_class(
        &mut self,
        class: u16,
        escapes: bool,
        expected: &'static str,
    ) -> Result<&'a str> {
        let start = self.pos;
        loop {
            let rest = &self.s[self.pos.min(self.s.len())..];
            self.pos += rest.iter().take_while(|&&b| is(b, class)).count();
            if !(escapes && self.peek() == Some(b'%')) {
                break;
            }
            match (self.peek_at(1), self.peek_at(2)) {
                (Some(h), Some(l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                    self.pos += 3
                }
                _ => return Err(self.err("two hex digits after '%'")),
            }
        }
        if self.pos == start {
            return Err(self.err(expected));
        }
        // Only ASCII bytes were accepted.
        Ok(self.str(start, self.pos))
    }

    pub(crate) fn token(&mut self, expected: &'static str) -> Result<&'a str> {
        self.take_class(TOKEN, false, expected)
    }

    /// A decimal number of at most `u64` range (leading zeros allowed).
    pub(crate) fn number(&mut self, expected: &'static str) -> Result<u64> {
        let start = self.pos;
        let digits = self.take_while(|b| b.is_ascii_digit());
        if digits.is_empty() {
            return Err(self.err(expected));
        }
        let mut v: u64 = 0;
        for &d in digits {
            v = v
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(d - b'0')))
                .ok_or_else(|| self.err_at(start, "a number that fits in 64 bits"))?;
        }
        Ok(v)
    }

    /// A quoted-string (the cursor is on the opening quote); returns the unescaped content.
    pub(crate) fn quoted_string(&mut self) -> Result<Cow<'a, str>> {
        let open = self.pos;
        self.expect(b'"', "'\"'")?;
        let start = self.pos;
        let mut escaped = false;
        // Jump from one `"` or `\` to the next: quoted values (digest nonces, display names)
        // are long runs of plain text.
        loop {
            let Some(i) = find_quote_end(&self.s[self.pos..]) else {
                self.pos = self.s.len();
                return Err(self.err_at(open, "a closing '\"' for this quoted string"));
            };
            self.pos += i;
            if self.s[self.pos] == b'"' {
                break;
            }
            escaped = true;
            match self.peek_at(1) {
                Some(c) if c <= 0x7f && c != b'\r' && c != b'\n' => self.pos += 2,
                _ => return Err(self.err("an ASCII character after '\\'")),
            }
        }
        let text = self.str(start, self.pos);
        self.pos += 1;
        if !escaped {
            return Ok(Cow::Borrowed(text));
        }
        let mut out = String::with_capacity(text.len());
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else {
                out.push(c);
            }
        }
        Ok(Cow::Owned(out))
    }
}

/// `std::str::from_utf8`, with a fast path for ASCII (nearly every header value and SDP
/// body): `is_ascii` checks a word at a time, where the std validator walks short unaligned
/// inputs a byte at a time. Typed accessors call this on every value they read.
#[inline]
pub(crate) fn utf8(b: &[u8]) -> std::result::Result<&str, std::str::Utf8Error> {
    if b.is_ascii() {
        #[allow(unsafe_code)]
        // SAFETY: every byte was just checked to be ASCII, and ASCII is valid UTF-8.
        return Ok(unsafe { std::str::from_utf8_unchecked(b) });
    }
    std::str::from_utf8(b)
}

/// Converts bytes known to be ASCII (checked by a class table) into `&str`.
pub(crate) fn ascii(b: &[u8]) -> &str {
    // The class tables only admit ASCII, so this cannot fail; fall back to "" defensively.
    utf8(b).unwrap_or("")
}

/// Writes `s` as a quoted-string, escaping `"` and `\`.
pub(crate) fn write_quoted(f: &mut impl std::fmt::Write, s: &str) -> std::fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        if c == '"' || c == '\\' {
            f.write_char('\\')?;
        }
        f.write_char(c)?;
    }
    f.write_char('"')
}

/// Decodes `%HH` escapes (RFC 3261 §19.1.2 `escaped`); invalid escapes are kept verbatim.
pub fn percent_decode(s: &str) -> Cow<'_, [u8]> {
    if !s.contains('%') {
        return Cow::Borrowed(s.as_bytes());
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && b[i + 1].is_ascii_hexdigit()
            && b[i + 2].is_ascii_hexdigit()
        {
            out.push(hex(b[i + 1]) << 4 | hex(b[i + 2]));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Cow::Owned(out)
}

fn hex(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b - b'A' + 10,
    }
}

/// Trims SP/HT/CR/LF on both ends.
pub(crate) fn trim_lws(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if is_lws(*first) {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if is_lws(*last) {
            s = rest;
        } else {
            break;
        }
    }
    s
}

/// A dotted-quad IPv4 address at the start of `b`, ending at the end of `b` or at a `stop`
/// byte, read exactly as `Ipv4Addr::from_str` reads it (four 1-3 digit octets up to 255, no
/// leading zeros). `None` for anything else. The std parser is generic over address kinds
/// and costs several times more on the addresses every SIP and SDP message carries.
#[inline]
pub(crate) fn parse_ipv4(b: &[u8], stop: u8) -> Option<std::net::Ipv4Addr> {
    let digit = |i: usize| {
        b.get(i)
            .filter(|d| d.is_ascii_digit())
            .map(|d| u32::from(d - b'0'))
    };
    let mut octets = [0u8; 4];
    let mut i = 0;
    for (n, o) in octets.iter_mut().enumerate() {
        let first = digit(i)?;
        let mut v = first;
        i += 1;
        if let Some(d) = digit(i) {
            if first == 0 {
                return None; // a leading zero
            }
            v = v * 10 + d;
            i += 1;
            if let Some(d) = digit(i) {
                v = v * 10 + d;
                i += 1;
            }
        }
        if v > 255 {
            return None;
        }
        *o = v as u8;
        let sep = b.get(i).copied();
        if n < 3 {
            if sep != Some(b'.') {
                return None;
            }
            i += 1;
        } else if sep.is_some_and(|c| c != stop) {
            return None;
        }
    }
    Some(std::net::Ipv4Addr::from(octets))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn ipv4_matches_std(s in "[0-9.]{0,17}|([0-9]{1,4}\\.){3}[0-9]{1,4}") {
            prop_assert_eq!(parse_ipv4(s.as_bytes(), b'/'), s.parse().ok());
        }

        #[test]
        fn newline_and_quote_search_match_a_byte_loop(s in "[a\"\\\\\n]{0,40}", from in 0usize..45) {
            let b = s.as_bytes();
            let expected = b.get(from..).and_then(|r| r.iter().position(|&c| c == b'\n')).map(|i| from + i);
            prop_assert_eq!(find_newline(b, from), expected);
            prop_assert_eq!(find_quote_end(b), b.iter().position(|&c| c == b'"' || c == b'\\'));
            prop_assert_eq!(find_byte(b, b'"'), b.iter().position(|&c| c == b'"'));
        }

        #[test]
        fn uri_len_matches_a_byte_loop(s in proptest::collection::vec(any::<u8>(), 0..40)) {
            let expected = s.iter().position(|&b| b <= b' ' || b == 0x7f).unwrap_or(s.len());
            prop_assert_eq!(uri_len(&s), expected);
        }
    }
}
