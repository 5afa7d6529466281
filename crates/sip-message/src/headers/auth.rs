//! WWW-Authenticate, Proxy-Authenticate, Authorization, Proxy-Authorization
//! (RFC 3261 §20.7, §20.27, §20.28, §20.44; RFC 7616; RFC 7617).

use crate::error::{Error, Result};
use crate::scan::{self, Cursor};
use std::borrow::Cow;
use std::fmt;

/// A challenge (`WWW-Authenticate`, `Proxy-Authenticate`) or credentials (`Authorization`,
/// `Proxy-Authorization`): a scheme followed by comma-separated `name=value` parameters, or
/// by a single token68 (`Basic dXNlcjpwYXNz`).
///
/// ```
/// use sip_message::Auth;
/// let a = Auth::parse(r#"Digest realm="atlanta.com", qop="auth,auth-int", nonce="84a4cc6f", algorithm=MD5, stale=FALSE"#).unwrap();
/// assert_eq!(a.scheme, "Digest");
/// assert_eq!(a.realm().as_deref(), Some("atlanta.com"));
/// assert_eq!(a.param("QOP").as_deref(), Some("auth,auth-int"));
/// assert!(!a.stale());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Auth<'a> {
    /// The scheme (`Digest`, `Basic`, ...), as received.
    pub scheme: Cow<'a, str>,
    raw: Cow<'a, str>,
    token68: bool,
}

/// One authentication parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthParam<'p> {
    /// Name, as received.
    pub name: &'p str,
    /// Value with quotes removed and `\` escapes resolved.
    pub value: Cow<'p, str>,
    /// Whether the value was a quoted-string.
    pub quoted: bool,
}

impl<'a> Auth<'a> {
    /// A scheme with no parameters yet.
    pub fn new(scheme: impl Into<Cow<'a, str>>) -> Self {
        Auth {
            scheme: scheme.into(),
            raw: Cow::Borrowed(""),
            token68: false,
        }
    }

    /// `Basic`-style credentials: scheme and a token68.
    pub fn with_token68(scheme: impl Into<Cow<'a, str>>, token: &str) -> Result<Self> {
        if token.is_empty()
            || !token.bytes().all(|b| {
                b.is_ascii_alphanumeric()
                    || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
            })
        {
            return Err(Error::Build("token68 has an invalid character"));
        }
        Ok(Auth {
            scheme: scheme.into(),
            raw: Cow::Owned(token.to_owned()),
            token68: true,
        })
    }

    /// Appends `name="value"` (quoted-string, escaped as needed).
    pub fn push_quoted(&mut self, name: &str, value: &str) -> Result<()> {
        self.push(name, value, true)
    }

    /// Appends `name=value` (value must be a token, e.g. `algorithm=MD5`, `nc=00000001`).
    pub fn push_token(&mut self, name: &str, value: &str) -> Result<()> {
        self.push(name, value, false)
    }

    fn push(&mut self, name: &str, value: &str, quoted: bool) -> Result<()> {
        if self.token68 {
            return Err(Error::Build("token68 credentials take no parameters"));
        }
        if name.is_empty() || !name.bytes().all(scan::is_token) {
            return Err(Error::Build("auth parameter name must be a token"));
        }
        if !quoted && (value.is_empty() || !value.bytes().all(scan::is_token)) {
            return Err(Error::Build(
                "unquoted auth parameter value must be a token",
            ));
        }
        if value.bytes().any(|b| b == b'\r' || b == b'\n') {
            return Err(Error::Build("auth parameter value contains CR or LF"));
        }
        let raw = self.raw.to_mut();
        if !raw.is_empty() {
            raw.push_str(", ");
        }
        raw.push_str(name);
        raw.push('=');
        if quoted {
            let _ = scan::write_quoted(raw, value);
        } else {
            raw.push_str(value);
        }
        Ok(())
    }

    /// Parses one challenge or credentials value.
    pub fn parse(s: &'a str) -> Result<Auth<'a>> {
        let mut c = Cursor::new(s, 0, "authentication header");
        let a = parse_auth(&mut c)?;
        c.skip_lws();
        if !c.at_end() {
            return Err(c.err("end of the authentication value"));
        }
        Ok(a)
    }

    /// The token68 (`Basic` credentials), if the value is one.
    pub fn token68(&self) -> Option<&str> {
        self.token68.then_some(&*self.raw)
    }

    /// The parameters in order.
    pub fn params(&self) -> AuthParams<'_> {
        AuthParams {
            c: Cursor::new(if self.token68 { "" } else { &self.raw }, 0, "auth-param"),
        }
    }

    /// The value of the first parameter called `name` (case-insensitive).
    pub fn param(&self, name: &str) -> Option<Cow<'_, str>> {
        self.params()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| p.value)
    }

    /// `realm`
    pub fn realm(&self) -> Option<Cow<'_, str>> {
        self.param("realm")
    }
    /// `nonce`
    pub fn nonce(&self) -> Option<Cow<'_, str>> {
        self.param("nonce")
    }
    /// `opaque`
    pub fn opaque(&self) -> Option<Cow<'_, str>> {
        self.param("opaque")
    }
    /// `algorithm`
    pub fn algorithm(&self) -> Option<Cow<'_, str>> {
        self.param("algorithm")
    }
    /// `qop` (a challenge lists options separated by commas: `auth,auth-int`).
    pub fn qop(&self) -> Option<Cow<'_, str>> {
        self.param("qop")
    }
    /// `stale=true` (case-insensitive).
    pub fn stale(&self) -> bool {
        self.param("stale")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
    /// `username`
    pub fn username(&self) -> Option<Cow<'_, str>> {
        self.param("username")
    }
    /// `uri` (the digest-uri)
    pub fn uri(&self) -> Option<Cow<'_, str>> {
        self.param("uri")
    }
    /// `response`
    pub fn response(&self) -> Option<Cow<'_, str>> {
        self.param("response")
    }
    /// `cnonce`
    pub fn cnonce(&self) -> Option<Cow<'_, str>> {
        self.param("cnonce")
    }
    /// `nc`
    pub fn nc(&self) -> Option<Cow<'_, str>> {
        self.param("nc")
    }

    /// Copies borrowed text.
    pub fn into_owned(self) -> Auth<'static> {
        Auth {
            scheme: Cow::Owned(self.scheme.into_owned()),
            raw: Cow::Owned(self.raw.into_owned()),
            token68: self.token68,
        }
    }
}

impl fmt::Display for Auth<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.scheme)?;
        if self.token68 {
            return write!(f, " {}", self.raw);
        }
        let mut first = true;
        for p in self.params() {
            f.write_str(if first { " " } else { ", " })?;
            first = false;
            f.write_str(p.name)?;
            f.write_str("=")?;
            if p.quoted {
                scan::write_quoted(f, &p.value)?;
            } else {
                f.write_str(&p.value)?;
            }
        }
        Ok(())
    }
}

/// Iterator over the parameters of an [`Auth`] value.
#[derive(Debug, Clone)]
pub struct AuthParams<'p> {
    c: Cursor<'p>,
}

impl<'p> Iterator for AuthParams<'p> {
    type Item = AuthParam<'p>;

    fn next(&mut self) -> Option<AuthParam<'p>> {
        let c = &mut self.c;
        loop {
            c.skip_lws();
            if !c.eat(b',') {
                break;
            }
        }
        let name = c.token("").ok()?;
        if !c.eat_sep(b'=') {
            return None;
        }
        let (value, quoted) = if c.peek() == Some(b'"') {
            (c.quoted_string().ok()?, true)
        } else {
            (Cow::Borrowed(c.token("").ok()?), false)
        };
        Some(AuthParam {
            name,
            value,
            quoted,
        })
    }
}

/// Parses one challenge/credentials at the cursor, stopping before a `,` that starts the
/// next challenge (`, Basic realm=...`).
pub(crate) fn parse_auth<'a>(c: &mut Cursor<'a>) -> Result<Auth<'a>> {
    if let Some((auth, len)) = simple_auth(c.rest_str()) {
        c.pos += len;
        return Ok(auth);
    }
    parse_auth_general(c)
}

/// Fast path for the usual form, `scheme name=value, name="value", ...` filling the rest of
/// the value (single spaces, no escapes, no second challenge): the value and its length
/// as [`parse_auth_general`] would read them, or `None` to run it.
fn simple_auth(t: &str) -> Option<(Auth<'_>, usize)> {
    let b = t.as_bytes();
    let se = scan::token_len(b);
    if se == 0 || b.get(se) != Some(&b' ') {
        return None;
    }
    let start = se + 1;
    let mut i = start;
    loop {
        let n = scan::run(b, i, scan::TOKEN);
        if n == 0 || b.get(i + n) != Some(&b'=') {
            return None;
        }
        i += n + 1;
        if b.get(i) == Some(&b'"') {
            let q = scan::find_quote_end(&b[i + 1..])?;
            if b[i + 1 + q] != b'"' {
                return None;
            }
            i += q + 2;
        } else {
            let n = scan::run(b, i, scan::TOKEN);
            if n == 0 {
                return None;
            }
            i += n;
        }
        if i == b.len() {
            break;
        }
        if b[i] != b',' {
            return None;
        }
        i += 1;
        while b.get(i) == Some(&b' ') {
            i += 1;
        }
        // Another parameter must follow (`, token=`); anything else is for the general path.
    }
    Some((
        Auth {
            scheme: Cow::Borrowed(t.get(..se)?),
            raw: Cow::Borrowed(t.get(start..)?),
            token68: false,
        },
        b.len(),
    ))
}

/// [`parse_auth`] without the fast path.
fn parse_auth_general<'a>(c: &mut Cursor<'a>) -> Result<Auth<'a>> {
    c.skip_lws();
    let scheme = c.token("an authentication scheme")?;
    let ws = c.pos;
    c.skip_lws();
    if c.at_end() || c.peek() == Some(b',') {
        c.pos = ws;
        return Ok(Auth::new(scheme));
    }
    if c.pos == ws {
        return Err(c.err("whitespace after the authentication scheme"));
    }
    let start = c.pos;
    // token68 (RFC 7235): a single run of token68 characters not followed by '=' value.
    let t68 = c.take_while(|b| {
        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
    });
    let eqs = c.take_while(|b| b == b'=');
    let after = c.pos;
    c.skip_lws();
    // `Basic dXNlcg==`. `Digest realm=` is a broken auth-param, not a token68.
    if !t68.is_empty()
        && (c.at_end() || c.peek() == Some(b','))
        && (eqs.is_empty() || !scheme.eq_ignore_ascii_case("Digest"))
    {
        c.pos = after;
        return Ok(Auth {
            scheme: Cow::Borrowed(scheme),
            raw: Cow::Borrowed(c.str(start, after)),
            token68: true,
        });
    }
    c.pos = start;
    let mut end;
    loop {
        c.token("an auth-param name")?;
        if !c.eat_sep(b'=') {
            return Err(c.err("'=' after the auth-param name"));
        }
        if c.peek() == Some(b'"') {
            c.quoted_string()?;
        } else {
            c.token("an auth-param value (token or quoted-string)")?;
        }
        end = c.pos;
        // Another parameter follows if `, token =`; a new challenge if `, token token`.
        c.skip_lws();
        if !c.eat(b',') {
            c.pos = end;
            break;
        }
        c.skip_lws();
        while c.eat(b',') {
            c.skip_lws();
        }
        let look = c.pos;
        let is_param = c.token("").is_ok() && c.eat_sep(b'=');
        c.pos = look;
        if !is_param {
            c.pos = end;
            break;
        }
    }
    let raw = c.str(start, end);
    Ok(Auth {
        scheme: Cow::Borrowed(scheme),
        raw: Cow::Borrowed(raw),
        token68: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The fast path reads exactly what the general path reads, wherever it applies.
        #[test]
        fn fast_path_agrees_with_general_path(
            scheme in "(Digest|Basic|x)",
            params in proptest::collection::vec(
                "[a-z]{0,3}(=|==| =)(\"[a-z ,=\\\\]{0,5}\"?|[a-zA-Z0-9=]{0,4})(, |,|  ,| |,,)?",
                0..4,
            ),
        ) {
            let s = format!("{scheme} {}", params.concat());
            if let Some((fast, len)) = simple_auth(&s) {
                let mut c = Cursor::new(&s, 0, "auth");
                let general = parse_auth_general(&mut c).unwrap();
                prop_assert_eq!(fast, general);
                prop_assert_eq!(len, c.pos);
            }
        }
    }

    #[test]
    fn digest_credentials() {
        let a = Auth::parse(
            "Digest username=\"bob\",\r\n realm=\"biloxi.com\", nonce=\"dcd98b\", uri=\"sip:bob@biloxi.com\", qop=auth, nc=00000001, cnonce=\"0a4f113b\", response=\"6629fae4\", opaque=\"5ccc069c\", algorithm=SHA-256",
        )
        .unwrap();
        assert_eq!(a.username().as_deref(), Some("bob"));
        assert_eq!(a.uri().as_deref(), Some("sip:bob@biloxi.com"));
        assert_eq!(a.nc().as_deref(), Some("00000001"));
        assert_eq!(a.algorithm().as_deref(), Some("SHA-256"));
        assert_eq!(a.params().count(), 10);
        let s = a.to_string();
        assert_eq!(Auth::parse(&s).unwrap().to_string(), s);
    }

    #[test]
    fn escapes_in_quoted_values() {
        let a = Auth::parse(r#"Digest realm="a \"b\" c", nonce="n""#).unwrap();
        assert_eq!(a.realm().as_deref(), Some("a \"b\" c"));
        assert_eq!(a.to_string(), r#"Digest realm="a \"b\" c", nonce="n""#);
    }

    #[test]
    fn basic_token68() {
        let a = Auth::parse("Basic dXNlcjpwYXNz").unwrap();
        assert_eq!(a.token68(), Some("dXNlcjpwYXNz"));
        let a = Auth::parse("Basic dXNlcjpwYXM=").unwrap();
        assert_eq!(a.token68(), Some("dXNlcjpwYXM="));
    }

    #[test]
    fn builder() {
        let mut a = Auth::new("Digest");
        a.push_quoted("username", "alice").unwrap();
        a.push_token("algorithm", "MD5").unwrap();
        assert_eq!(a.to_string(), "Digest username=\"alice\", algorithm=MD5");
        assert!(a.push_token("x", "a b").is_err());
    }

    #[test]
    fn malformed() {
        assert!(Auth::parse("Digest realm=").is_err());
        assert!(Auth::parse("Digest realm=\"x").is_err());
        assert!(Auth::parse("Digest realm \"x\"").is_err());
    }
}
