//! The challenge parser: `WWW-Authenticate` / `Proxy-Authenticate` field values (RFC 9110
//! §11.6.1, RFC 7616 §3.3, RFC 7617 §2), several challenges per value.
//!
//! ```text
//! challenges = *( "," OWS ) challenge *( OWS "," [ OWS challenge ] )
//! challenge  = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//! auth-param = token BWS "=" BWS ( token / quoted-string )
//! ```
//!
//! A comma separates both parameters and challenges; after a comma, `token BWS "="` starts a
//! parameter and anything else starts the next challenge. Whitespace is SP / HTAB, and a
//! line fold (CRLF or LF followed by SP / HTAB) counts as whitespace too, as SIP allows.
//! Quoted strings refuse control characters (CR and LF included) so that a value echoed back
//! in an `Authorization` header can never end the header line.

use std::borrow::Cow;

use crate::Error;
use crate::challenge::{AuthParam, BasicChallenge, Challenge, DigestChallenge, OtherChallenge};
use crate::wire::{is_tchar, is_token68_char};

/// Most challenges accepted from one call (a 401 normally carries one to three).
pub const MAX_CHALLENGES: usize = 32;
/// Most parameters accepted in one challenge (RFC 7616 defines ten).
pub const MAX_PARAMS: usize = 64;

/// Parses every challenge in one `WWW-Authenticate` / `Proxy-Authenticate` value.
///
/// Scheme and parameter names are case-insensitive; `Digest` and `Basic` become typed
/// challenges, other schemes are kept as [`OtherChallenge`]. Empty list elements and
/// surrounding whitespace are skipped. Values borrow from `value` unless they contain
/// escapes.
///
/// # Errors
/// [`Error::Parse`] with the byte offset into `value` and what was expected there;
/// [`Error::DuplicateParam`] when a Digest or Basic parameter this crate interprets occurs
/// twice; [`Error::MissingParam`] for a Digest challenge without `realm` or `nonce`;
/// [`Error::TooLarge`] beyond [`MAX_CHALLENGES`] challenges or [`MAX_PARAMS`] parameters.
///
/// ```
/// use credentials::{parse_challenges, Challenge};
///
/// let v = r#"Digest realm="voip.test", nonce="a\"b", qop="auth,auth-int", algorithm=SHA-256, Basic realm="x""#;
/// let cs = parse_challenges(v)?;
/// let Challenge::Digest(d) = &cs[0] else { panic!() };
/// assert_eq!((&*d.realm, &*d.nonce), ("voip.test", "a\"b"));
/// assert_eq!(cs[1].scheme(), "Basic");
///
/// let err = parse_challenges(r#"Digest realm="unterminated"#).unwrap_err();
/// assert_eq!(err.to_string(), "malformed authentication challenge at byte 26: expected closing '\"' of a quoted-string");
/// # Ok::<(), credentials::Error>(())
/// ```
pub fn parse_challenges(value: &str) -> Result<Vec<Challenge<'_>>, Error> {
    let mut out = Vec::with_capacity(2);
    parse_into(value, &mut out)?;
    Ok(out)
}

/// Parses several header values (one per `WWW-Authenticate` line) into one list, in order.
/// Error offsets are relative to the value that failed.
///
/// # Errors
/// As [`parse_challenges`]; the [`MAX_CHALLENGES`] limit applies to the total.
pub fn parse_challenge_headers<'a, I>(values: I) -> Result<Vec<Challenge<'a>>, Error>
where
    I: IntoIterator<Item = &'a str>,
{
    let mut out = Vec::new();
    for v in values {
        parse_into(v, &mut out)?;
    }
    Ok(out)
}

/// Builds a typed challenge from a scheme and parameters that another parser already split
/// (for example `sip_message::Auth`), applying the same rules as [`parse_challenges`]:
/// case-insensitive names, repeated known parameters refused, `realm` and `nonce` required
/// for Digest. Error offsets are parameter indexes here, there being no text to point into.
///
/// # Errors
/// [`Error::DuplicateParam`], [`Error::MissingParam`], [`Error::TooLarge`] beyond
/// [`MAX_PARAMS`], or [`Error::Parse`] for a Digest / Basic challenge given a token68.
///
/// ```
/// use credentials::{challenge_from_parts, Challenge};
///
/// let params = [("realm", "voip.test"), ("nonce", "abc"), ("algorithm", "SHA-256")];
/// let c = challenge_from_parts("Digest", None, params.map(|(n, v)| (n, v.into())))?;
/// let Challenge::Digest(d) = c else { unreachable!() };
/// assert_eq!(d.algorithm()?, credentials::Algorithm::Sha256);
/// # Ok::<(), credentials::Error>(())
/// ```
pub fn challenge_from_parts<'a, I>(
    scheme: &'a str,
    token68: Option<&'a str>,
    params: I,
) -> Result<Challenge<'a>, Error>
where
    I: IntoIterator<Item = (&'a str, Cow<'a, str>)>,
{
    let mut raw = RawChallenge {
        scheme,
        at: 0,
        token68: token68.map(|t| (t, 0)),
        params: Vec::new(),
    };
    for (i, (name, value)) in params.into_iter().enumerate() {
        if i >= MAX_PARAMS {
            return Err(Error::TooLarge {
                what: "parameters",
                limit: MAX_PARAMS,
            });
        }
        raw.params.push(RawParam { name, at: i, value });
    }
    raw.into_typed()
}

fn parse_into<'a>(value: &'a str, out: &mut Vec<Challenge<'a>>) -> Result<(), Error> {
    let mut c = Cursor { s: value, pos: 0 };
    c.skip_separators();
    while !c.at_end() {
        if out.len() >= MAX_CHALLENGES {
            return Err(Error::TooLarge {
                what: "challenges",
                limit: MAX_CHALLENGES,
            });
        }
        let raw = c.challenge()?;
        out.push(raw.into_typed()?);
        c.skip_separators();
    }
    Ok(())
}

struct RawParam<'a> {
    name: &'a str,
    at: usize,
    value: Cow<'a, str>,
}

struct RawChallenge<'a> {
    scheme: &'a str,
    at: usize,
    /// The token68 and its offset.
    token68: Option<(&'a str, usize)>,
    params: Vec<RawParam<'a>>,
}

struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    fn err<T>(&self, expected: &'static str) -> Result<T, Error> {
        Err(Error::Parse {
            offset: self.pos,
            expected,
        })
    }

    /// OWS, including SIP line folding.
    fn skip_ows(&mut self) {
        let b = self.s.as_bytes();
        let ws = |i: usize| matches!(b.get(i), Some(b' ' | b'\t'));
        loop {
            if ws(self.pos) {
                self.pos += 1;
            } else if b.get(self.pos) == Some(&b'\r')
                && b.get(self.pos + 1) == Some(&b'\n')
                && ws(self.pos + 2)
            {
                self.pos += 3;
            } else if b.get(self.pos) == Some(&b'\n') && ws(self.pos + 1) {
                self.pos += 2;
            } else {
                break;
            }
        }
    }

    /// Whitespace and empty list elements between challenges / parameters.
    fn skip_separators(&mut self) {
        loop {
            self.skip_ows();
            if self.peek() == Some(b',') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn token(&mut self) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        &self.s[start..self.pos]
    }

    fn challenge(&mut self) -> Result<RawChallenge<'a>, Error> {
        let at = self.pos;
        let scheme = self.token();
        if scheme.is_empty() {
            return self.err("an auth-scheme token");
        }
        // A Digest challenge has up to ten parameters: one allocation covers them.
        let mut ch = RawChallenge {
            scheme,
            at,
            token68: None,
            params: Vec::with_capacity(10),
        };
        let before_ws = self.pos;
        self.skip_ows();
        if self.at_end() || self.peek() == Some(b',') {
            return Ok(ch);
        }
        if self.pos == before_ws {
            return self.err("a space after the auth-scheme");
        }
        match self.param(true)? {
            Some(p) => ch.params.push(p),
            None => {
                let at = self.pos;
                ch.token68 = Some((self.token68()?, at));
                self.skip_ows();
                if !(self.at_end() || self.peek() == Some(b',')) {
                    return self.err("',' or the end after a token68");
                }
                return Ok(ch);
            }
        }
        loop {
            self.skip_ows();
            if self.at_end() {
                return Ok(ch);
            }
            if self.peek() != Some(b',') {
                return self.err("',' between auth-params");
            }
            self.skip_separators();
            if self.at_end() {
                return Ok(ch);
            }
            match self.param(false)? {
                Some(p) => {
                    if ch.params.len() >= MAX_PARAMS {
                        return Err(Error::TooLarge {
                            what: "parameters",
                            limit: MAX_PARAMS,
                        });
                    }
                    ch.params.push(p);
                }
                // The next challenge starts here.
                None => return Ok(ch),
            }
        }
    }

    /// `token BWS "=" BWS ( token / quoted-string )`, or `None` (position unchanged) when
    /// the input here is not a parameter. With `first`, an `=` followed by no value is also
    /// `None`, so that `token68` padding (`abc==`) can be tried instead.
    fn param(&mut self, first: bool) -> Result<Option<RawParam<'a>>, Error> {
        let save = self.pos;
        let name = self.token();
        if name.is_empty() {
            return if first {
                Ok(None)
            } else {
                self.err("an auth-param name or auth-scheme token")
            };
        }
        self.skip_ows();
        if self.peek() != Some(b'=') {
            self.pos = save;
            return Ok(None);
        }
        self.pos += 1;
        self.skip_ows();
        let value = if self.peek() == Some(b'"') {
            self.quoted()?
        } else {
            let t = self.token();
            if t.is_empty() {
                if first {
                    self.pos = save;
                    return Ok(None);
                }
                return self.err("a token or quoted-string parameter value");
            }
            Cow::Borrowed(t)
        };
        Ok(Some(RawParam {
            name,
            at: save,
            value,
        }))
    }

    fn token68(&mut self) -> Result<&'a str, Error> {
        let start = self.pos;
        while self.peek().is_some_and(is_token68_char) {
            self.pos += 1;
        }
        if self.pos == start {
            return self.err("an auth-param or token68");
        }
        while self.peek() == Some(b'=') {
            self.pos += 1;
        }
        Ok(&self.s[start..self.pos])
    }

    /// A quoted-string starting at the opening quote; unescaped.
    fn quoted(&mut self) -> Result<Cow<'a, str>, Error> {
        let b = self.s.as_bytes();
        self.pos += 1;
        let start = self.pos;
        let mut escaped = false;
        loop {
            match b.get(self.pos) {
                None => return self.err("closing '\"' of a quoted-string"),
                Some(b'"') => break,
                Some(b'\\') => {
                    match b.get(self.pos + 1) {
                        Some(&n) if n == b'\t' || (n >= 0x20 && n != 0x7f) => {}
                        None => {
                            self.pos += 1;
                            return self.err("closing '\"' of a quoted-string");
                        }
                        Some(_) => {
                            self.pos += 1;
                            return self
                                .err("an escapable character (no control characters) after '\\'");
                        }
                    }
                    escaped = true;
                    self.pos += 2;
                }
                Some(&c) if c == b'\t' || (c >= 0x20 && c != 0x7f) => self.pos += 1,
                Some(_) => return self.err("a quoted-string character (no control characters)"),
            }
        }
        // `start..pos` lies between ASCII quotes, so both are char boundaries. An escape
        // may precede a multi-byte character; skipping its first byte above left `pos` on
        // a continuation byte, which the loop then walked over as obs-text.
        let inner = &self.s[start..self.pos];
        self.pos += 1;
        if !escaped {
            return Ok(Cow::Borrowed(inner));
        }
        let mut s = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(ch) = chars.next() {
            if ch == '\\' {
                if let Some(next) = chars.next() {
                    s.push(next);
                }
            } else {
                s.push(ch);
            }
        }
        Ok(Cow::Owned(s))
    }
}

/// Stores a known parameter, refusing repeats.
fn set_once<'a>(
    slot: &mut Option<Cow<'a, str>>,
    p: RawParam<'a>,
    name: &'static str,
) -> Result<(), Error> {
    if slot.is_some() {
        return Err(Error::DuplicateParam { name, offset: p.at });
    }
    *slot = Some(p.value);
    Ok(())
}

impl<'a> RawChallenge<'a> {
    fn into_typed(self) -> Result<Challenge<'a>, Error> {
        if self.scheme.eq_ignore_ascii_case("Digest") {
            self.into_digest().map(Challenge::Digest)
        } else if self.scheme.eq_ignore_ascii_case("Basic") {
            self.into_basic().map(Challenge::Basic)
        } else {
            Ok(Challenge::Other(OtherChallenge {
                scheme: Cow::Borrowed(self.scheme),
                token68: self.token68.map(|(t, _)| Cow::Borrowed(t)),
                params: self
                    .params
                    .into_iter()
                    .map(|p| AuthParam {
                        name: Cow::Borrowed(p.name),
                        value: p.value,
                    })
                    .collect(),
            }))
        }
    }

    fn token68_error(&self) -> Result<(), Error> {
        match self.token68 {
            Some((_, offset)) => Err(Error::Parse {
                offset,
                expected: "auth-params (name=value), not a token68",
            }),
            None => Ok(()),
        }
    }

    fn into_digest(self) -> Result<DigestChallenge<'a>, Error> {
        self.token68_error()?;
        let (mut realm, mut nonce) = (None, None);
        let mut d = DigestChallenge::default();
        let (mut stale, mut userhash) = (None, None);
        for p in self.params {
            let n = p.name;
            let is = |k: &str| n.eq_ignore_ascii_case(k);
            if is("realm") {
                set_once(&mut realm, p, "realm")?;
            } else if is("nonce") {
                set_once(&mut nonce, p, "nonce")?;
            } else if is("domain") {
                set_once(&mut d.domain, p, "domain")?;
            } else if is("opaque") {
                set_once(&mut d.opaque, p, "opaque")?;
            } else if is("algorithm") {
                set_once(&mut d.algorithm, p, "algorithm")?;
            } else if is("qop") {
                set_once(&mut d.qop, p, "qop")?;
            } else if is("charset") {
                set_once(&mut d.charset, p, "charset")?;
            } else if is("stale") {
                set_once(&mut stale, p, "stale")?;
            } else if is("userhash") {
                set_once(&mut userhash, p, "userhash")?;
            } else {
                d.other.push(AuthParam {
                    name: Cow::Borrowed(n),
                    value: p.value,
                });
            }
        }
        let missing = |name| Error::MissingParam {
            scheme: "Digest",
            name,
            offset: self.at,
        };
        d.realm = realm.ok_or_else(|| missing("realm"))?;
        d.nonce = nonce.ok_or_else(|| missing("nonce"))?;
        // RFC 7616 §3.3: "true" case-insensitively; any other value means false.
        d.stale = stale.is_some_and(|v| v.eq_ignore_ascii_case("true"));
        d.userhash = userhash.is_some_and(|v| v.eq_ignore_ascii_case("true"));
        Ok(d)
    }

    fn into_basic(self) -> Result<BasicChallenge<'a>, Error> {
        self.token68_error()?;
        let mut b = BasicChallenge::default();
        for p in self.params {
            if p.name.eq_ignore_ascii_case("realm") {
                set_once(&mut b.realm, p, "realm")?;
            } else if p.name.eq_ignore_ascii_case("charset") {
                set_once(&mut b.charset, p, "charset")?;
            } else {
                b.other.push(AuthParam {
                    name: Cow::Borrowed(p.name),
                    value: p.value,
                });
            }
        }
        Ok(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(v: &str) -> DigestChallenge<'_> {
        match parse_challenges(v).unwrap().remove(0) {
            Challenge::Digest(d) => d,
            other => panic!("not digest: {other:?}"),
        }
    }

    fn parse_err(v: &str) -> (usize, &'static str) {
        match parse_challenges(v) {
            Err(Error::Parse { offset, expected }) => (offset, expected),
            other => panic!("{v:?}: expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn rfc_7616_challenge() {
        let d = digest(
            "Digest\r\n    realm=\"http-auth@example.org\",\r\n    qop=\"auth, auth-int\",\r\n    algorithm=SHA-256,\r\n    nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n    opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
        );
        assert_eq!(d.realm, "http-auth@example.org");
        assert_eq!(d.qop_options().collect::<Vec<_>>(), ["auth", "auth-int"]);
        assert_eq!(d.algorithm(), Ok(crate::Algorithm::Sha256));
        assert_eq!(d.nonce, "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
        assert_eq!(
            d.opaque.as_deref(),
            Some("FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")
        );
        assert!(matches!(d.realm, Cow::Borrowed(_)), "no escapes: borrowed");
        assert!(!d.stale && !d.userhash);
    }

    #[test]
    fn every_digest_parameter() {
        let d = digest(
            r#"dIgEsT REALM="r", Domain="/a sip:b", NONCE="n", opaque=o, stale=TRUE, algorithm="sha-256-sess", qop=auth, charset=UTF-8, userhash=True, x-ext=1, y="q\"uo\\te""#,
        );
        assert_eq!(d.domain_uris().collect::<Vec<_>>(), ["/a", "sip:b"]);
        assert_eq!(d.opaque.as_deref(), Some("o"));
        assert!(d.stale && d.userhash);
        assert_eq!(d.algorithm(), Ok(crate::Algorithm::Sha256Sess));
        assert_eq!(d.charset.as_deref(), Some("UTF-8"));
        assert_eq!(d.param("X-EXT"), Some("1"));
        assert_eq!(d.param("y"), Some("q\"uo\\te"));
        assert!(matches!(d.other[1].value, Cow::Owned(_)));
        assert!(!digest(r#"Digest realm="r", nonce="n", stale=false, userhash=yes"#).stale);
        assert!(!digest(r#"Digest realm="r", nonce="n", userhash=yes"#).userhash);
    }

    #[test]
    fn several_challenges_and_schemes() {
        let v = r#" , Digest realm="a", nonce="1", algorithm=SHA-512-256,,Digest realm="a",nonce="2" , Basic realm="b", charset="UTF-8", Negotiate YIIB/w==, Bearer, NTLM"#;
        let cs = parse_challenges(v).unwrap();
        let schemes: Vec<_> = cs.iter().map(Challenge::scheme).collect();
        assert_eq!(
            schemes,
            ["Digest", "Digest", "Basic", "Negotiate", "Bearer", "NTLM"]
        );
        assert_eq!(cs[2].realm(), Some("b"));
        let Challenge::Other(neg) = &cs[3] else {
            panic!()
        };
        assert_eq!(neg.token68.as_deref(), Some("YIIB/w=="));
        let all =
            parse_challenge_headers([r#"Digest realm="a", nonce="1""#, "Basic realm=b"]).unwrap();
        assert_eq!(all.len(), 2);
        assert!(parse_challenges("").unwrap().is_empty());
        assert!(parse_challenges(" ,, ").unwrap().is_empty());
    }

    #[test]
    fn errors_say_where_and_what() {
        // A bare token after a comma starts the next challenge, so this Digest lacks nonce.
        assert_eq!(
            parse_challenges(r#"Digest realm="x", nonce"#),
            Err(Error::MissingParam {
                scheme: "Digest",
                name: "nonce",
                offset: 0
            })
        );
        assert_eq!(
            parse_err(r#"Digest realm="x" nonce="y""#),
            (17, "',' between auth-params")
        );
        assert_eq!(
            parse_err(r#"Digest realm="x", nonce="#),
            (24, "a token or quoted-string parameter value")
        );
        assert_eq!(
            parse_err("Digest realm=\"a\nb\""),
            (15, "a quoted-string character (no control characters)")
        );
        assert_eq!(
            parse_err(r#"Digest realm="ab\"#),
            (17, "closing '\"' of a quoted-string")
        );
        assert_eq!(parse_err("=x"), (0, "an auth-scheme token"));
        assert_eq!(parse_err("Digest=x"), (6, "a space after the auth-scheme"));
        assert_eq!(
            parse_err("Digest abc=="),
            (7, "auth-params (name=value), not a token68")
        );
        assert_eq!(
            parse_err("Negotiate abc== x"),
            (16, "',' or the end after a token68")
        );
        assert_eq!(parse_err("Digest @"), (7, "an auth-param or token68"));
        assert_eq!(
            parse_challenges(r#"Digest realm="a", nonce="b", Realm="c""#),
            Err(Error::DuplicateParam {
                name: "realm",
                offset: 29
            })
        );
        assert_eq!(
            parse_challenges(r#"Basic x=1, Digest nonce="b""#),
            Err(Error::MissingParam {
                scheme: "Digest",
                name: "realm",
                offset: 11
            })
        );
    }

    #[test]
    fn limits() {
        let many = "Basic, ".repeat(MAX_CHALLENGES + 1);
        assert_eq!(
            parse_challenges(&many),
            Err(Error::TooLarge {
                what: "challenges",
                limit: MAX_CHALLENGES
            })
        );
        let mut v = String::from("Digest realm=r, nonce=n");
        for i in 0..MAX_PARAMS {
            v.push_str(&format!(", p{i}=v"));
        }
        assert_eq!(
            parse_challenges(&v),
            Err(Error::TooLarge {
                what: "parameters",
                limit: MAX_PARAMS
            })
        );
    }

    #[test]
    fn from_parts_applies_the_same_rules() {
        let p = |n: &'static str, v: &'static str| (n, Cow::Borrowed(v));
        let c = challenge_from_parts(
            "digest",
            None,
            [
                p("Realm", "r"),
                p("nonce", "n"),
                p("stale", "true"),
                p("x", "1"),
            ],
        )
        .unwrap();
        let text = c.to_string();
        assert_eq!(parse_challenges(&text).unwrap(), [c]);
        assert_eq!(
            challenge_from_parts(
                "Digest",
                None,
                [p("realm", "r"), p("nonce", "n"), p("realm", "s")]
            ),
            Err(Error::DuplicateParam {
                name: "realm",
                offset: 2
            })
        );
        assert!(matches!(
            challenge_from_parts("Digest", None, [p("nonce", "n")]),
            Err(Error::MissingParam { name: "realm", .. })
        ));
        assert!(matches!(
            challenge_from_parts("Basic", Some("abc"), []),
            Err(Error::Parse { .. })
        ));
        assert!(matches!(
            challenge_from_parts("Negotiate", Some("abc"), []),
            Ok(Challenge::Other(_))
        ));
    }

    #[test]
    fn escape_before_multibyte_character() {
        let d = digest("Digest realm=\"\\\u{e4}x\", nonce=\"\u{f8}\"");
        assert_eq!(d.realm, "\u{e4}x");
        assert_eq!(d.nonce, "\u{f8}");
    }
}
