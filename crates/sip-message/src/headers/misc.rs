//! Small typed headers: CSeq, Call-ID, numbers, Content-Type, Event, Subscription-State,
//! option-tag / method lists.

use crate::error::Result;
use crate::method::Method;
use crate::params::{ParamKind, Params, parse_params};
use crate::scan::{self, Cursor};
use bytes::Bytes;
use std::borrow::Cow;
use std::fmt;

/// CSeq: sequence number and method (RFC 3261 §20.16).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CSeq {
    /// Sequence number (32-bit; RFC 3261 §8.1.1.5).
    pub seq: u32,
    /// Method.
    pub method: Method,
}

impl fmt::Display for CSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

pub(crate) fn parse_cseq(c: &mut Cursor<'_>, raw: &Bytes) -> Result<CSeq> {
    c.skip_lws();
    let at = c.pos;
    let n = c
        .number("a sequence number")
        .map_err(|_| c.err_at(at, "a sequence number below 2**32"))?;
    let seq = u32::try_from(n).map_err(|_| c.err_at(at, "a sequence number below 2**32"))?;
    let before = c.pos;
    c.skip_lws();
    if c.pos == before {
        return Err(c.err("whitespace before the CSeq method"));
    }
    let m = c.token("a method")?;
    let method = Method::from_token(m.as_bytes(), || sub_bytes(raw, m.as_bytes()));
    Ok(CSeq { seq, method })
}

/// Fast path for the usual CSeq form, `digits SP method` with nothing else: the value
/// [`parse_cseq`] would give, or `None` to run it.
#[inline]
pub(crate) fn simple_cseq(v: &[u8], raw: &Bytes) -> Option<CSeq> {
    let n = scan::run(v, 0, scan::DIGIT);
    if n == 0 || n > 10 || v.get(n) != Some(&b' ') {
        return None;
    }
    let seq = v[..n]
        .iter()
        .fold(0u64, |s, d| s * 10 + u64::from(d - b'0'));
    let seq = u32::try_from(seq).ok()?;
    let m = &v[n + 1..];
    if m.is_empty() || scan::token_len(m) != m.len() {
        return None;
    }
    Some(CSeq {
        seq,
        method: Method::from_token(m, || sub_bytes(raw, m)),
    })
}

/// Fast path for a Call-ID that is `word ["@" word]` and nothing else: the value
/// [`parse_call_id`] would give, or `None` to run it.
#[inline]
pub(crate) fn simple_call_id(v: &[u8]) -> Option<&str> {
    let mut e = scan::run(v, 0, scan::WORD);
    if e == 0 {
        return None;
    }
    if v.get(e) == Some(&b'@') {
        let m = scan::run(v, e + 1, scan::WORD);
        if m == 0 {
            return None;
        }
        e += 1 + m;
    }
    if e != v.len() {
        return None;
    }
    // Word bytes are ASCII.
    scan::utf8(v).ok()
}

/// A zero-copy `Bytes` for `part` when it lies inside `whole`, a copy otherwise.
pub(crate) fn sub_bytes(whole: &Bytes, part: &[u8]) -> Bytes {
    let (w, p) = (whole.as_ptr() as usize, part.as_ptr() as usize);
    if p >= w && p + part.len() <= w + whole.len() {
        whole.slice_ref(part)
    } else {
        Bytes::copy_from_slice(part)
    }
}

/// Validates a Call-ID (`word ["@" word]`) and returns it.
pub(crate) fn parse_call_id<'a>(c: &mut Cursor<'a>) -> Result<&'a str> {
    c.skip_lws();
    let start = c.pos;
    c.take_class(scan::WORD, false, "a Call-ID word")?;
    if c.eat(b'@') {
        c.take_class(scan::WORD, false, "a word after '@' in the Call-ID")?;
    }
    let id = c.str(start, c.pos);
    c.skip_lws();
    if !c.at_end() {
        return Err(c.err("end of the Call-ID"));
    }
    Ok(id)
}

/// A decimal header value (Max-Forwards, Expires, Content-Length, Min-Expires, ...) that must
/// fit in `max`.
pub(crate) fn parse_number(c: &mut Cursor<'_>, max: u64, expected: &'static str) -> Result<u64> {
    c.skip_lws();
    let at = c.pos;
    let n = c.number(expected)?;
    if n > max {
        return Err(c.err_at(at, expected));
    }
    c.skip_lws();
    if !c.at_end() {
        return Err(c.err("end of the number"));
    }
    Ok(n)
}

/// A media type with parameters: `application/sdp`, `multipart/mixed;boundary=x`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaType<'a> {
    /// Type (`application`).
    pub kind: Cow<'a, str>,
    /// Subtype (`sdp`).
    pub subtype: Cow<'a, str>,
    /// Parameters.
    pub params: Params<'a>,
}

impl<'a> MediaType<'a> {
    /// Parses `type/subtype;params`.
    pub fn parse(s: &'a str) -> Result<MediaType<'a>> {
        let mut c = Cursor::new(s, 0, "media type");
        let m = parse_media_type(&mut c)?;
        c.skip_lws();
        if !c.at_end() {
            return Err(c.err("end of the media type"));
        }
        Ok(m)
    }

    /// Case-insensitive comparison of type and subtype.
    pub fn is(&self, kind: &str, subtype: &str) -> bool {
        self.kind.eq_ignore_ascii_case(kind) && self.subtype.eq_ignore_ascii_case(subtype)
    }

    /// Copies borrowed text.
    pub fn into_owned(self) -> MediaType<'static> {
        MediaType {
            kind: Cow::Owned(self.kind.into_owned()),
            subtype: Cow::Owned(self.subtype.into_owned()),
            params: self.params.into_owned(),
        }
    }
}

impl fmt::Display for MediaType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}{}", self.kind, self.subtype, self.params)
    }
}

pub(crate) fn parse_media_type<'a>(c: &mut Cursor<'a>) -> Result<MediaType<'a>> {
    c.skip_lws();
    let kind = c.token("a media type")?;
    if !c.eat_sep(b'/') {
        return Err(c.err("'/' in the media type"));
    }
    let subtype = c.token("a media subtype")?;
    let params = parse_params(c, ParamKind::Header)?;
    Ok(MediaType {
        kind: Cow::Borrowed(kind),
        subtype: Cow::Borrowed(subtype),
        params,
    })
}

/// A token with parameters: Event (`presence;id=1`), Subscription-State
/// (`active;expires=60`), Content-Disposition, ...
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenParams<'a> {
    /// The token (event package, subscription state, disposition type).
    pub value: Cow<'a, str>,
    /// Parameters.
    pub params: Params<'a>,
}

impl TokenParams<'_> {
    /// `expires` parameter (Subscription-State).
    pub fn expires(&self) -> Option<u32> {
        self.params.value("expires")?.parse().ok()
    }

    /// `reason` parameter (Subscription-State).
    pub fn reason(&self) -> Option<&str> {
        self.params.value("reason")
    }

    /// `id` parameter (Event).
    pub fn id(&self) -> Option<&str> {
        self.params.value("id")
    }

    /// Copies borrowed text.
    pub fn into_owned(self) -> TokenParams<'static> {
        TokenParams {
            value: Cow::Owned(self.value.into_owned()),
            params: self.params.into_owned(),
        }
    }
}

impl fmt::Display for TokenParams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.value, self.params)
    }
}

pub(crate) fn parse_token_params<'a>(c: &mut Cursor<'a>) -> Result<TokenParams<'a>> {
    c.skip_lws();
    let value = c.token("a token")?;
    let params = parse_params(c, ParamKind::Header)?;
    Ok(TokenParams {
        value: Cow::Borrowed(value),
        params,
    })
}

pub(crate) fn parse_token<'a>(c: &mut Cursor<'a>) -> Result<&'a str> {
    c.skip_lws();
    c.token("a token")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cseq() {
        let raw = Bytes::from_static(b"0009\r\n  INVITE");
        let mut c = Cursor::new("0009\r\n  INVITE", 0, "CSeq");
        let v = parse_cseq(&mut c, &raw).unwrap();
        assert_eq!(
            v,
            CSeq {
                seq: 9,
                method: Method::Invite
            }
        );
        let raw = Bytes::from_static(b"36893488147419103232 REGISTER");
        // A method outside `raw` is copied, not sliced (fuzz regression).
        let mut c = Cursor::new("1 FOO", 0, "CSeq");
        assert_eq!(parse_cseq(&mut c, &raw).unwrap().method.as_str(), "FOO");
        assert!(
            parse_cseq(
                &mut Cursor::new("36893488147419103232 REGISTER", 0, "CSeq"),
                &raw
            )
            .is_err()
        );
        assert!(parse_cseq(&mut Cursor::new("4294967296 REGISTER", 0, "CSeq"), &raw).is_err());
    }

    #[test]
    fn call_id_words() {
        let s = "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{";
        assert!(parse_call_id(&mut Cursor::new(s, 0, "Call-ID")).is_ok());
        assert!(parse_call_id(&mut Cursor::new("a b", 0, "Call-ID")).is_err());
        assert!(parse_call_id(&mut Cursor::new("a@b@c", 0, "Call-ID")).is_err());
    }

    #[test]
    fn media_type() {
        let m = MediaType::parse("multipart/mixed;boundary=7a9cbec02ceef655").unwrap();
        assert!(m.is("Multipart", "MIXED"));
        assert_eq!(m.params.value("boundary"), Some("7a9cbec02ceef655"));
    }
}
