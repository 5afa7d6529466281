//! name-addr / addr-spec values: From, To, Contact, Route, Record-Route, Refer-To, ...

use crate::error::Result;
use crate::params::{ParamKind, Params, parse_params};
use crate::scan::{self, Cursor};
use crate::uri::{Uri, UriEnd, parse_uri, parse_uri_bytes};
use std::borrow::Cow;
use std::fmt;

/// An address with optional display name and header parameters:
/// `"Alice" <sip:alice@atlanta.com>;tag=1928301774`.
///
/// Used for From, To, Route, Record-Route, Refer-To, Referred-By, Reply-To and as the body of
/// a [`Contact`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameAddr<'a> {
    /// Display name, unquoted and unescaped.
    pub display_name: Option<Cow<'a, str>>,
    /// The URI.
    pub uri: Uri<'a>,
    /// Header parameters after the URI (`;tag=...`, `;expires=...`).
    pub params: Params<'a>,
}

impl<'a> NameAddr<'a> {
    /// An address with no display name and no parameters.
    pub fn new(uri: Uri<'a>) -> Self {
        NameAddr {
            display_name: None,
            uri,
            params: Params::new(),
        }
    }

    /// Sets the display name.
    pub fn with_display_name(mut self, name: impl Into<Cow<'a, str>>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    /// Appends a header parameter.
    pub fn with_param(mut self, name: &str, value: Option<&str>) -> Result<Self> {
        self.params.push(name, value)?;
        Ok(self)
    }

    /// The `tag` parameter (From/To dialog identifier).
    #[inline]
    pub fn tag(&self) -> Option<&str> {
        self.params.value("tag")
    }

    /// Parses a complete name-addr or addr-spec value.
    pub fn parse(s: &'a str) -> Result<NameAddr<'a>> {
        let mut c = Cursor::new(s, 0, "address");
        let v = parse_name_addr(&mut c, true)?;
        c.skip_lws();
        if !c.at_end() {
            return Err(c.err("end of the address"));
        }
        Ok(v)
    }

    /// Copies borrowed text.
    pub fn into_owned(self) -> NameAddr<'static> {
        NameAddr {
            display_name: self.display_name.map(|d| Cow::Owned(d.into_owned())),
            uri: self.uri.into_owned(),
            params: self.params.into_owned(),
        }
    }
}

impl fmt::Display for NameAddr<'_> {
    /// Always writes the `<>` form, which is unambiguous.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = &self.display_name {
            if !d.is_empty() && d.bytes().all(scan::is_token) {
                write!(f, "{d} ")?;
            } else {
                scan::write_quoted(f, d)?;
                f.write_str(" ")?;
            }
        }
        write!(f, "<{}>{}", self.uri, self.params)
    }
}

/// A Contact value: an address, or `*` (REGISTER removing every binding).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Contact<'a> {
    /// `*`
    Wildcard,
    /// An address with parameters (`expires`, `q`, ...).
    Address(NameAddr<'a>),
}

impl<'a> Contact<'a> {
    /// The address, unless this is `*`.
    pub fn address(&self) -> Option<&NameAddr<'a>> {
        match self {
            Contact::Address(a) => Some(a),
            Contact::Wildcard => None,
        }
    }

    /// The URI, unless this is `*`.
    #[inline]
    pub fn uri(&self) -> Option<&Uri<'a>> {
        self.address().map(|a| &a.uri)
    }

    /// The `expires` parameter. `None` if absent or not a 32-bit number (RFC 4475 §3.1.2.4:
    /// an overlarge value is treated as absent, i.e. the default applies).
    pub fn expires(&self) -> Option<u32> {
        self.address()?.params.value("expires")?.parse().ok()
    }

    /// The `q` parameter in thousandths (`q=0.33` gives 330), if present and valid.
    pub fn q(&self) -> Option<u16> {
        parse_qvalue(self.address()?.params.value("q")?)
    }

    /// Copies borrowed text.
    pub fn into_owned(self) -> Contact<'static> {
        match self {
            Contact::Wildcard => Contact::Wildcard,
            Contact::Address(a) => Contact::Address(a.into_owned()),
        }
    }
}

impl fmt::Display for Contact<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Contact::Wildcard => f.write_str("*"),
            Contact::Address(a) => a.fmt(f),
        }
    }
}

/// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths.
pub(crate) fn parse_qvalue(s: &str) -> Option<u16> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut f: u16 = 0;
    for i in 0..3 {
        f = f * 10 + frac.as_bytes().get(i).map_or(0, |d| u16::from(d - b'0'));
    }
    match int {
        "0" => Some(f),
        "1" if f == 0 => Some(1000),
        _ => None,
    }
}

/// Parses a name-addr (or, if `addr_spec_ok`, an addr-spec) with header parameters.
pub(crate) fn parse_name_addr<'a>(c: &mut Cursor<'a>, addr_spec_ok: bool) -> Result<NameAddr<'a>> {
    c.skip_lws();
    let mut display_name = None;
    match c.peek() {
        Some(b'"') => {
            display_name = Some(c.quoted_string()?);
            c.skip_lws();
            if c.peek() != Some(b'<') {
                return Err(c.err("'<' after the display name"));
            }
        }
        Some(b'<') => {}
        _ => {
            // Either `token *(LWS token) <uri>` or an addr-spec (which starts `scheme:`).
            let save = c.pos;
            let mut end = c.pos;
            let mut first_end = None;
            loop {
                if c.token("").is_err() {
                    break;
                }
                end = c.pos;
                first_end.get_or_insert(end);
                c.skip_lws();
            }
            let scheme_follows = first_end.is_some_and(|e| c.s.get(e) == Some(&b':'));
            if c.peek() == Some(b'<') && end > save {
                display_name = Some(Cow::Borrowed(c.str(save, end)));
            } else if end > save && !scheme_follows {
                // Tokens that are neither a display name nor a URI scheme: typically a
                // display name with a non-token character (RFC 4475 baddn).
                return Err(c.err_at(end, "'<' after the display name (quote non-token names)"));
            } else {
                c.pos = save;
                if !addr_spec_ok {
                    return Err(c.err("'<' starting a name-addr"));
                }
                let uri = parse_uri(c, UriEnd::AddrSpec)?;
                let params = parse_params(c, ParamKind::Header)?;
                return Ok(NameAddr {
                    display_name: None,
                    uri,
                    params,
                });
            }
        }
    }
    // At '<'.
    c.pos += 1;
    let inner_start = c.pos;
    let close = scan::find_byte(c.rest(), b'>').ok_or_else(|| c.err("'>' closing the URI"))?;
    let inner = c.str(inner_start, inner_start + close);
    let uri = parse_uri_bytes(inner, c.offset(), "URI", UriEnd::Whole)?;
    c.pos = inner_start + close + 1;
    let params = parse_params(c, ParamKind::Header)?;
    Ok(NameAddr {
        display_name,
        uri,
        params,
    })
}

/// Parses one Contact value.
pub(crate) fn parse_contact<'a>(c: &mut Cursor<'a>) -> Result<Contact<'a>> {
    c.skip_lws();
    if c.peek() == Some(b'*') {
        c.pos += 1;
        return Ok(Contact::Wildcard);
    }
    parse_name_addr(c, true).map(Contact::Address)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let a = NameAddr::parse("\"Alice \\\"A\\\"\" <sip:alice@atlanta.com>;tag=19").unwrap();
        assert_eq!(a.display_name.as_deref(), Some("Alice \"A\""));
        assert_eq!(a.tag(), Some("19"));
        let b = NameAddr::parse("caller<sip:caller@example.com>;tag=323").unwrap();
        assert_eq!(b.display_name.as_deref(), Some("caller"));
        let c = NameAddr::parse("sip:bob@biloxi.com;tag=a6c85cf").unwrap();
        assert_eq!(c.display_name, None);
        assert_eq!(c.tag(), Some("a6c85cf"));
        assert!(c.uri.as_sip().unwrap().params.is_empty());
        let d = NameAddr::parse("token1~` token2'+_ <sip:m@example.com>").unwrap();
        assert_eq!(d.display_name.as_deref(), Some("token1~` token2'+_"));
    }

    #[test]
    fn invalid_forms() {
        assert!(NameAddr::parse("Bell, Alexander <sip:a@example.com>").is_err());
        assert!(NameAddr::parse("\"unterminated <sip:a@example.com>").is_err());
        assert!(NameAddr::parse("sip:user@example.com?Route=x").is_err());
        assert!(NameAddr::parse("<sip:a@example.com").is_err());
    }

    #[test]
    fn qvalues() {
        assert_eq!(parse_qvalue("0.33"), Some(330));
        assert_eq!(parse_qvalue("1"), Some(1000));
        assert_eq!(parse_qvalue("1.000"), Some(1000));
        assert_eq!(parse_qvalue("1.5"), None);
        assert_eq!(parse_qvalue("0.1234"), None);
    }

    #[test]
    fn display_round_trips() {
        let a = NameAddr::parse("\"A B\" <sip:a@b.c;lr>;tag=x").unwrap();
        let s = a.to_string();
        assert_eq!(s, "\"A B\" <sip:a@b.c;lr>;tag=x");
        assert_eq!(NameAddr::parse(&s).unwrap(), a);
    }
}
