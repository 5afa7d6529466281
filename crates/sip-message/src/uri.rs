//! URIs: `sip:`/`sips:` (RFC 3261 §19.1, §25), `tel:` (RFC 3966) and any other absolute URI.
//!
//! Escapes (`%HH`) are kept as received so a URI serializes byte for byte as it came (the
//! digest `uri=` must match the Request-URI exactly); [`percent_decode`](crate::percent_decode)
//! decodes when comparing.

use crate::error::{Error, Result};
use crate::params::{ParamKind, Params, parse_params};
use crate::scan::{self, Cursor};
use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A URI as found in a Request-URI, name-addr or addr-spec.
///
/// ```
/// use sip_message::{Host, Uri};
/// let uri = Uri::parse("sip:bob-0x12.ab@[::1]:5070;transport=tcp").unwrap();
/// let Uri::Sip(sip) = &uri else { panic!() };
/// assert_eq!(sip.user.as_deref(), Some("bob-0x12.ab"));
/// assert_eq!(sip.host, Host::Ipv6("::1".parse().unwrap()));
/// assert_eq!(sip.port, Some(5070));
/// assert_eq!(sip.params.value("transport"), Some("tcp"));
/// assert_eq!(uri.to_string(), "sip:bob-0x12.ab@[::1]:5070;transport=tcp");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Uri<'a> {
    /// `sip:` or `sips:`
    Sip(SipUri<'a>),
    /// `tel:`
    Tel(TelUri<'a>),
    /// Any other scheme, kept opaque (RFC 3261 `absoluteURI`).
    Other(AbsoluteUri<'a>),
}

/// A `sip:` or `sips:` URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SipUri<'a> {
    /// `sips:` rather than `sip:`.
    pub secure: bool,
    /// User part, escapes kept.
    pub user: Option<Cow<'a, str>>,
    /// Password (deprecated by RFC 3261 but part of the grammar), escapes kept.
    pub password: Option<Cow<'a, str>>,
    /// Host.
    pub host: Host<'a>,
    /// Port.
    pub port: Option<u16>,
    /// URI parameters (`;transport=tcp;lr`).
    pub params: Params<'a>,
    /// URI headers after `?` (`Subject=x&Priority=urgent`), as received.
    pub headers: Option<Cow<'a, str>>,
}

/// A `tel:` URI (RFC 3966).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TelUri<'a> {
    /// The number with visual separators as received (`+1-201-555-0123`).
    pub number: Cow<'a, str>,
    /// Parameters (`;phone-context=example.com`).
    pub params: Params<'a>,
}

/// A URI of another scheme (`mailto:`, `http:`, `urn:` ...), kept opaque.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AbsoluteUri<'a> {
    /// Scheme, as received.
    pub scheme: Cow<'a, str>,
    /// Everything after the `:`.
    pub rest: Cow<'a, str>,
}

/// A host: domain name, IPv4 address or IPv6 reference.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Host<'a> {
    /// A domain name as received.
    Domain(Cow<'a, str>),
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address (written `[...]` in SIP).
    Ipv6(Ipv6Addr),
}

impl Host<'_> {
    /// The IP address, if the host is one.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Host::Ipv4(a) => Some(IpAddr::V4(*a)),
            Host::Ipv6(a) => Some(IpAddr::V6(*a)),
            Host::Domain(_) => None,
        }
    }

    /// Copies borrowed text.
    pub fn into_owned(self) -> Host<'static> {
        match self {
            Host::Domain(d) => Host::Domain(Cow::Owned(d.into_owned())),
            Host::Ipv4(a) => Host::Ipv4(a),
            Host::Ipv6(a) => Host::Ipv6(a),
        }
    }

    /// Parses a host (`example.com`, `192.0.2.1`, `[2001:db8::1]`).
    pub fn parse(s: &str) -> Result<Host<'_>> {
        let mut c = Cursor::new(s, 0, "host");
        let h = parse_host(&mut c)?;
        if !c.at_end() {
            return Err(c.err("end of host"));
        }
        Ok(h)
    }
}

impl From<IpAddr> for Host<'static> {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(a) => Host::Ipv4(a),
            IpAddr::V6(a) => Host::Ipv6(a),
        }
    }
}

impl fmt::Display for Host<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => f.write_str(d),
            Host::Ipv4(a) => write!(f, "{a}"),
            Host::Ipv6(a) => write!(f, "[{a}]"),
        }
    }
}

/// Parses a host at the cursor: `[IPv6]`, IPv4 or a hostname (labels of letters, digits,
/// `-` and `_`, separated by dots).
pub(crate) fn parse_host<'a>(c: &mut Cursor<'a>) -> Result<Host<'a>> {
    let start = c.pos;
    if c.eat(b'[') {
        let is = c.pos;
        c.take_while(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        let inner = c.str(is, c.pos);
        if !c.eat(b']') {
            return Err(c.err("']' closing the IPv6 reference"));
        }
        let ip = inner
            .parse::<Ipv6Addr>()
            .map_err(|_| c.err_at(start, "an IPv6 address"))?;
        return Ok(Host::Ipv6(ip));
    }
    if let Some((host, end)) = simple_host(c.rest_str(), 0) {
        c.pos += end;
        return Ok(host);
    }
    let name = c.take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    if name.is_empty() {
        return Err(c.err("a host name or address"));
    }
    if name.iter().all(|b| b.is_ascii_digit() || *b == b'.') {
        return Err(c.err_at(start, "an IPv4 address"));
    }
    Err(c.err_at(start, "a host name"))
}

/// A host name or IPv4 address at `t[i..]` and where it ends; `None` if there is none or it
/// is malformed (or an IPv6 reference, which [`parse_host`] handles).
#[inline]
pub(crate) fn simple_host(t: &str, i: usize) -> Option<(Host<'_>, usize)> {
    let b = t.as_bytes();
    let n = scan::run(b, i, scan::HOSTNAME);
    if n == 0 {
        return None;
    }
    let end = i + n;
    let name = &b[i..end];
    // An IPv4 address is read in one pass; only when that fails does the all-digits test
    // tell a malformed address from a host name.
    if name[0].is_ascii_digit()
        && let Some(ip) = scan::parse_ipv4(name, b'/')
    {
        return Some((Host::Ipv4(ip), end));
    }
    if name.iter().all(|&x| scan::is(x, scan::DIGIT_DOT)) {
        // `name` holds only digits and dots, so the quad must end at its end.
        return Some((Host::Ipv4(scan::parse_ipv4(name, b'/')?), end));
    }
    // Labels must be non-empty (a single trailing dot is allowed: `example.com.`).
    let trimmed = name.strip_suffix(b".").unwrap_or(name);
    if trimmed.is_empty()
        || matches!(trimmed[0], b'-' | b'.')
        || trimmed[trimmed.len() - 1] == b'.'
        || trimmed.windows(2).any(|w| w == b"..")
    {
        return None;
    }
    Some((Host::Domain(Cow::Borrowed(t.get(i..end)?)), end))
}

/// Parses `:port` if present.
pub(crate) fn parse_port(c: &mut Cursor<'_>) -> Result<Option<u16>> {
    if !c.eat(b':') {
        return Ok(None);
    }
    let at = c.pos;
    let n = c.number("a port number")?;
    u16::try_from(n)
        .map(Some)
        .map_err(|_| c.err_at(at, "a port number below 65536"))
}

/// Where a URI sits decides where it ends (RFC 3261 §20: an addr-spec in From/To/Contact
/// ends at `;`, `,` or whitespace, its parameters are the header's).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum UriEnd {
    /// The whole slice is the URI (Request-URI, inside `<>`).
    Whole,
    /// addr-spec in a header: stops before `;`, `,`, `>` or LWS.
    AddrSpec,
}

impl<'a> Uri<'a> {
    /// Parses a complete URI.
    pub fn parse(s: &'a str) -> Result<Uri<'a>> {
        parse_uri_bytes(s, 0, "URI", UriEnd::Whole)
    }

    /// The SIP URI, if this is one.
    pub fn as_sip(&self) -> Option<&SipUri<'a>> {
        match self {
            Uri::Sip(s) => Some(s),
            _ => None,
        }
    }

    /// The scheme (`sip`, `sips`, `tel` or another).
    pub fn scheme(&self) -> &str {
        match self {
            Uri::Sip(s) if s.secure => "sips",
            Uri::Sip(_) => "sip",
            Uri::Tel(_) => "tel",
            Uri::Other(o) => &o.scheme,
        }
    }

    /// The user part (SIP) or number (tel).
    #[inline]
    pub fn user(&self) -> Option<&str> {
        match self {
            Uri::Sip(s) => s.user.as_deref(),
            Uri::Tel(t) => Some(&t.number),
            Uri::Other(_) => None,
        }
    }

    /// Copies borrowed text.
    pub fn into_owned(self) -> Uri<'static> {
        match self {
            Uri::Sip(s) => Uri::Sip(s.into_owned()),
            Uri::Tel(t) => Uri::Tel(TelUri {
                number: Cow::Owned(t.number.into_owned()),
                params: t.params.into_owned(),
            }),
            Uri::Other(o) => Uri::Other(AbsoluteUri {
                scheme: Cow::Owned(o.scheme.into_owned()),
                rest: Cow::Owned(o.rest.into_owned()),
            }),
        }
    }
}

impl<'a> SipUri<'a> {
    /// `sip:host` with nothing else.
    pub fn new(host: Host<'a>) -> Self {
        SipUri {
            secure: false,
            user: None,
            password: None,
            host,
            port: None,
            params: Params::new(),
            headers: None,
        }
    }

    /// Sets the user part (escape reserved characters yourself; they are checked).
    pub fn with_user(mut self, user: impl Into<Cow<'a, str>>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// Sets the port.
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Appends a URI parameter (escape it yourself: see [`Params::push_uri_param`]).
    pub fn with_param(mut self, name: &str, value: Option<&str>) -> Result<Self> {
        self.params.push_uri_param(name, value)?;
        Ok(self)
    }

    /// Copies borrowed text.
    pub fn into_owned(self) -> SipUri<'static> {
        SipUri {
            secure: self.secure,
            user: self.user.map(|u| Cow::Owned(u.into_owned())),
            password: self.password.map(|u| Cow::Owned(u.into_owned())),
            host: self.host.into_owned(),
            port: self.port,
            params: self.params.into_owned(),
            headers: self.headers.map(|u| Cow::Owned(u.into_owned())),
        }
    }
}

impl<'a> From<SipUri<'a>> for Uri<'a> {
    fn from(s: SipUri<'a>) -> Self {
        Uri::Sip(s)
    }
}

/// Parses a URI from `s` (offset `base` in the message), which must be consumed entirely
/// for [`UriEnd::Whole`].
#[inline]
pub(crate) fn parse_uri_bytes<'a>(
    s: &'a str,
    base: usize,
    context: &'static str,
    end: UriEnd,
) -> Result<Uri<'a>> {
    if end == UriEnd::Whole
        && let Some(sip) = simple_sip_uri(s)
    {
        return Ok(Uri::Sip(sip));
    }
    let mut c = Cursor::new(s, base, context);
    let uri = parse_uri(&mut c, end)?;
    if end == UriEnd::Whole && !c.at_end() {
        return Err(c.err("end of URI"));
    }
    Ok(uri)
}

/// Parses a URI at the cursor.
pub(crate) fn parse_uri<'a>(c: &mut Cursor<'a>, end: UriEnd) -> Result<Uri<'a>> {
    let start = c.pos;
    let scheme = c.take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if scheme.is_empty() || !scheme[0].is_ascii_alphabetic() {
        return Err(c.err_at(start, "a URI scheme"));
    }
    if !c.eat(b':') {
        return Err(c.err("':' after the URI scheme"));
    }
    if scheme.eq_ignore_ascii_case(b"sip") || scheme.eq_ignore_ascii_case(b"sips") {
        let secure = scheme.len() == 4;
        parse_sip_rest(c, secure, end).map(Uri::Sip)
    } else if scheme.eq_ignore_ascii_case(b"tel") {
        parse_tel_rest(c, end).map(Uri::Tel)
    } else {
        let rs = c.pos;
        let stop = |b: u8| match end {
            UriEnd::Whole => b <= b' ' || b == 0x7f || b == b'>',
            UriEnd::AddrSpec => b <= b' ' || b == 0x7f || matches!(b, b';' | b',' | b'>'),
        };
        c.take_while(|b| !stop(b) && b < 0x80);
        let rest = c.str(rs, c.pos);
        if rest.is_empty() {
            return Err(c.err_at(rs, "the rest of the URI after the scheme"));
        }
        Ok(Uri::Other(AbsoluteUri {
            scheme: Cow::Borrowed(c.str(start, start + scheme.len())),
            rest: Cow::Borrowed(rest),
        }))
    }
}

/// Fast path for a whole `sip:`/`sips:` URI in the usual form: `[user@]host[:port]` and
/// `;name[=value]` parameters, without escapes, password or headers. The URI
/// [`parse_sip_rest`] would give for all of `t`, or `None` to run it.
fn simple_sip_uri(t: &str) -> Option<SipUri<'_>> {
    let b = t.as_bytes();
    let secure = match b.get(..5) {
        Some(p) if p[..4].eq_ignore_ascii_case(b"sip:") => false,
        Some(p) if p.eq_ignore_ascii_case(b"sips:") => true,
        _ => return None,
    };
    let mut i = if secure { 5 } else { 4 };
    let mut user = None;
    if let Some(at) = scan::find_byte(&b[i..], b'@') {
        if at == 0 || scan::run(b, i, scan::UNRESERVED | scan::USER) != at {
            return None;
        }
        user = Some(Cow::Borrowed(t.get(i..i + at)?));
        i += at + 1;
    }
    let (host, mut i2) = simple_host(t, i)?;
    i = i2;
    let mut port = None;
    if b.get(i) == Some(&b':') {
        let n = scan::run(b, i + 1, scan::DIGIT);
        if n == 0 || n > 5 {
            return None;
        }
        let v = b[i + 1..i + 1 + n]
            .iter()
            .fold(0u32, |v, d| v * 10 + u32::from(d - b'0'));
        port = Some(u16::try_from(v).ok()?);
        i += 1 + n;
    }
    i2 = i;
    while b.get(i) == Some(&b';') {
        let n = scan::run(b, i + 1, scan::UNRESERVED | scan::PARAM);
        if n == 0 {
            return None;
        }
        i += 1 + n;
        if b.get(i) == Some(&b'=') {
            let n = scan::run(b, i + 1, scan::UNRESERVED | scan::PARAM);
            if n == 0 {
                return None;
            }
            i += 1 + n;
        }
    }
    if i != b.len() {
        return None;
    }
    Some(SipUri {
        secure,
        user,
        password: None,
        host,
        port,
        params: Params::from_raw(t.get(i2..)?),
        headers: None,
    })
}

fn parse_sip_rest<'a>(c: &mut Cursor<'a>, secure: bool, end: UriEnd) -> Result<SipUri<'a>> {
    // The user part may contain ';', '?', '/' etc.; an '@' (never valid unescaped elsewhere
    // before the headers) tells whether there is one. In an addr-spec the URI cannot contain
    // ';' or ',' (RFC 3261 §20), so the search stops there.
    let rest = c.rest();
    let limit = match end {
        UriEnd::Whole => rest
            .iter()
            .position(|&b| b == b'>' || b <= b' ')
            .unwrap_or(rest.len()),
        UriEnd::AddrSpec => rest
            .iter()
            .position(|&b| matches!(b, b';' | b',' | b'>') || b <= b' ')
            .unwrap_or(rest.len()),
    };
    let mut user = None;
    let mut password = None;
    if let Some(at) = scan::find_byte(&rest[..limit], b'@') {
        let ustart = c.pos;
        let u = c.take_class(scan::UNRESERVED | scan::USER, true, "a URI user part")?;
        user = Some(Cow::Borrowed(u));
        if c.eat(b':') {
            let p = c.pos;
            let pw = if c.peek() == Some(b'@') {
                ""
            } else {
                c.take_class(scan::UNRESERVED | scan::PASSWORD, true, "a URI password")?
            };
            let _ = p;
            password = Some(Cow::Borrowed(pw));
        }
        if c.pos != ustart + at {
            return Err(c.err("'@' after the URI user part"));
        }
        c.pos += 1;
    }
    let host = parse_host(c)?;
    let port = parse_port(c)?;
    let params = if end == UriEnd::Whole {
        parse_params(c, ParamKind::Uri)?
    } else {
        Params::new()
    };
    let mut headers = None;
    if c.peek() == Some(b'?') {
        if end == UriEnd::AddrSpec {
            return Err(c.err("a URI without headers (a URI with '?' must be enclosed in <>)"));
        }
        c.pos += 1;
        let hs = c.pos;
        loop {
            c.take_class(scan::UNRESERVED | scan::HNV, true, "a URI header name")?;
            c.expect(b'=', "'=' in a URI header")?;
            if matches!(c.peek(), Some(b) if scan::is(b, scan::UNRESERVED | scan::HNV) || b == b'%')
            {
                c.take_class(scan::UNRESERVED | scan::HNV, true, "a URI header value")?;
            }
            if !c.eat(b'&') {
                break;
            }
        }
        headers = Some(Cow::Borrowed(c.str(hs, c.pos)));
    }
    Ok(SipUri {
        secure,
        user,
        password,
        host,
        port,
        params,
        headers,
    })
}

fn parse_tel_rest<'a>(c: &mut Cursor<'a>, end: UriEnd) -> Result<TelUri<'a>> {
    let ns = c.pos;
    let number = c.take_while(|b| {
        b.is_ascii_hexdigit() || matches!(b, b'+' | b'*' | b'#' | b'-' | b'.' | b'(' | b')')
    });
    if number.is_empty() || number == b"+" {
        return Err(c.err("a telephone number"));
    }
    let number = c.str(ns, c.pos);
    let params = if end == UriEnd::Whole {
        parse_params(c, ParamKind::Uri)?
    } else {
        Params::new()
    };
    Ok(TelUri {
        number: Cow::Borrowed(number),
        params,
    })
}

impl fmt::Display for Uri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Uri::Sip(s) => s.fmt(f),
            Uri::Tel(t) => write!(f, "tel:{}{}", t.number, t.params),
            Uri::Other(o) => write!(f, "{}:{}", o.scheme, o.rest),
        }
    }
}

impl fmt::Display for SipUri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.secure { "sips:" } else { "sip:" })?;
        if let Some(u) = &self.user {
            f.write_str(u)?;
            if let Some(p) = &self.password {
                write!(f, ":{p}")?;
            }
            f.write_str("@")?;
        }
        write!(f, "{}", self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        write!(f, "{}", self.params)?;
        if let Some(h) = &self.headers {
            write!(f, "?{h}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Uri<'static> {
    type Err = Error;
    fn from_str(s: &str) -> Result<Uri<'static>> {
        Uri::parse(s).map(Uri::into_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The fast path reads exactly what the general path reads, wherever it applies.
        #[test]
        fn fast_sip_uri_agrees_with_general_path(
            scheme in "(sip|SIPS|sips|tel)",
            user in "([a-z0-9;=?/&%.:-]{0,6}@)?",
            host in "([0-9]{1,4}\\.){0,4}[0-9]{0,3}|[a-z0-9._-]{0,8}|\\[::1\\]",
            port in "(:[0-9]{0,6})?",
            rest in "[a-zA-Z0-9.:;=_@%&?/\\-\\[\\] >]{0,20}",
        ) {
            let s = format!("{scheme}:{user}{host}{port}{rest}");
            if let Some(fast) = simple_sip_uri(&s) {
                let general = parse_uri_bytes_general(&s);
                prop_assert_eq!(Ok(Uri::Sip(fast)), general);
            }
        }
    }

    fn parse_uri_bytes_general(s: &str) -> Result<Uri<'_>> {
        let mut c = Cursor::new(s, 0, "URI");
        let uri = parse_uri(&mut c, UriEnd::Whole)?;
        if !c.at_end() {
            return Err(c.err("end of URI"));
        }
        Ok(uri)
    }

    fn sip(s: &str) -> SipUri<'_> {
        match Uri::parse(s).unwrap() {
            Uri::Sip(u) => u,
            other => panic!("not sip: {other:?}"),
        }
    }

    #[test]
    fn users_with_dashes_and_dots_parse() {
        let u = sip("sip:bob-0x12@voip-server.example.com");
        assert_eq!(u.user.as_deref(), Some("bob-0x12"));
        assert_eq!(u.host, Host::Domain("voip-server.example.com".into()));
        assert_eq!(
            sip("sip:first.last@127.0.0.1:5060").host,
            Host::Ipv4(Ipv4Addr::LOCALHOST)
        );
    }

    #[test]
    fn rfc4475_unusual_user_and_password() {
        let u = sip(
            "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
        );
        assert_eq!(
            u.user.as_deref(),
            Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
        );
        assert_eq!(
            u.password.as_deref(),
            Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
        );
    }

    #[test]
    fn semicolon_in_user_part() {
        let u = sip("sip:user;par=u%40example.net@example.com");
        assert_eq!(u.user.as_deref(), Some("user;par=u%40example.net"));
        assert!(u.params.is_empty());
    }

    #[test]
    fn escapes_are_kept_and_decodable() {
        let u = sip("sip:sips%3Auser%40example.com@example.net");
        assert_eq!(u.user.as_deref(), Some("sips%3Auser%40example.com"));
        assert_eq!(
            &*crate::percent_decode(u.user.as_deref().unwrap()),
            b"sips:user@example.com"
        );
        assert!(Uri::parse("sip:a%4@example.com").is_err());
    }

    #[test]
    fn headers_and_params() {
        let u = sip(
            "sips:alice@atlanta.com;maddr=239.255.255.1;ttl=15?subject=project%20x&priority=urgent",
        );
        assert!(u.secure);
        assert_eq!(u.params.value("ttl"), Some("15"));
        assert_eq!(
            u.headers.as_deref(),
            Some("subject=project%20x&priority=urgent")
        );
    }

    #[test]
    fn tel_and_other_schemes() {
        let t = Uri::parse("tel:+1-201-555-0123;phone-context=example.com").unwrap();
        assert_eq!(t.user(), Some("+1-201-555-0123"));
        assert_eq!(
            t.to_string(),
            "tel:+1-201-555-0123;phone-context=example.com"
        );
        let o = Uri::parse("nobodyKnowsThisScheme:totallyopaquecontent").unwrap();
        assert_eq!(o.scheme(), "nobodyKnowsThisScheme");
        assert!(Uri::parse("soap.beep://192.0.2.103:3002").is_ok());
    }

    #[test]
    fn bad_uris_are_rejected_with_offsets() {
        for bad in [
            "sip:",
            "sip:@host",
            "sip:host:99999",
            "sip:[::1",
            "sip:999.1.1.1",
            "<sip:a@b>",
            "sip:a b",
            ":x",
        ] {
            let e = Uri::parse(bad).unwrap_err();
            assert!(e.offset().is_some(), "{bad}: {e}");
        }
    }
}
