//! Lexical helpers shared by the challenge parser and the header writers: the RFC 9110 §5.6
//! `token`, `quoted-string` and `token68` character classes and their serialization.

use std::fmt::{self, Write};

/// `tchar` (RFC 9110 §5.6.2): the characters of a `token`.
pub(crate) const fn is_tchar(b: u8) -> bool {
    matches!(b,
        b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`'
        | b'|' | b'~' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
}

/// The characters of a `token68` (RFC 9110 §11.2) before its trailing `=` padding.
pub(crate) const fn is_token68_char(b: u8) -> bool {
    matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
}

/// Whether `s` is a non-empty `token`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// Whether a byte may appear inside a `quoted-string`, escaped or not: HTAB, SP, VCHAR and
/// obs-text. Everything else (CR, LF, NUL, other controls, DEL) would let a value break out
/// of its header line, so writers refuse it instead of escaping it.
pub(crate) const fn is_quotable(b: u8) -> bool {
    b == b'\t' || (b >= 0x20 && b != 0x7f)
}

/// Whether `s` can be written as a `quoted-string` (see [`is_quotable`]).
pub(crate) fn is_quotable_str(s: &str) -> bool {
    s.bytes().all(is_quotable)
}

/// Writes `s` as a `quoted-string`, escaping `"` and `\`. The caller has checked
/// [`is_quotable_str`]; the parser only ever produces such values.
pub(crate) fn write_quoted(out: &mut impl Write, s: &str) -> fmt::Result {
    out.write_char('"')?;
    let mut rest = s;
    while let Some(i) = rest.find(['"', '\\']) {
        out.write_str(&rest[..i])?;
        out.write_char('\\')?;
        out.write_str(&rest[i..=i])?;
        rest = &rest[i + 1..];
    }
    out.write_str(rest)?;
    out.write_char('"')
}

/// Writes `s` bare when it is a token, otherwise as a quoted-string. Used for parameters
/// whose canonical form is a token (algorithm, charset, stale, unknown ones).
pub(crate) fn write_token_or_quoted(out: &mut impl Write, s: &str) -> fmt::Result {
    if is_token(s) {
        out.write_str(s)
    } else {
        write_quoted(out, s)
    }
}

/// A hash rendered as lower-case hex on the stack (up to 256 bits), so the intermediate
/// digests (HA1, HA2, H(body)) cost no allocation.
#[derive(Clone, Copy)]
pub(crate) struct Hex {
    buf: [u8; 64],
    len: usize,
}

impl Hex {
    /// Hex of `bytes`; at most 32 bytes are rendered (every digest here is 128 or 256 bits).
    pub(crate) fn new(bytes: &[u8]) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut buf = [0u8; 64];
        let bytes = &bytes[..bytes.len().min(32)];
        for (i, &b) in bytes.iter().enumerate() {
            buf[2 * i] = HEX[usize::from(b >> 4)];
            buf[2 * i + 1] = HEX[usize::from(b & 0x0f)];
        }
        Self {
            buf,
            len: bytes.len() * 2,
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII hex digits were written.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

/// Lower-case hexadecimal (RFC 7616 `LHEX`).
pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 0x0f)] as char);
    }
    s
}

/// RFC 8187 `ext-value` for UTF-8: `UTF-8''` followed by the percent-encoded value, keeping
/// only `attr-char` bare. Used for `username*` (RFC 7616 §3.4.4).
pub(crate) fn write_ext_value(out: &mut impl Write, s: &str) -> fmt::Result {
    out.write_str("UTF-8''")?;
    for &b in s.as_bytes() {
        let attr_char = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            );
        if attr_char {
            out.write_char(b as char)?;
        } else {
            write!(out, "%{b:02X}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_escapes_quote_and_backslash_only() {
        let mut s = String::new();
        write_quoted(&mut s, r#"a"b\c d"#).unwrap();
        assert_eq!(s, r#""a\"b\\c d""#);
    }

    #[test]
    fn ext_value_matches_rfc_7616_example() {
        let mut s = String::new();
        write_ext_value(&mut s, "J\u{e4}s\u{f8}n Doe").unwrap();
        assert_eq!(s, "UTF-8''J%C3%A4s%C3%B8n%20Doe");
    }

    #[test]
    fn token_classes() {
        assert!(is_token("SHA-512-256-sess"));
        assert!(!is_token(""));
        assert!(!is_token("a b"));
        assert!(!is_token("a=b"));
        assert!(is_token68_char(b'/') && !is_tchar(b'/'));
        assert!(!is_quotable(b'\r') && !is_quotable(b'\n') && is_quotable(b'\t'));
        assert_eq!(hex_lower(&[0x00, 0xab, 0xff]), "00abff");
        assert_eq!(Hex::new(&[0x00, 0xab, 0xff]).as_str(), "00abff");
        assert_eq!(Hex::new(&[0x5a; 40]).as_str().len(), 64);
    }
}
