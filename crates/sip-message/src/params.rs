//! `;name=value` parameter lists (URI parameters and header parameters).
//!
//! Parameters are validated once when their owner is parsed and then kept as the raw text,
//! so parsing allocates nothing; lookups re-scan the (short) text.

use crate::error::Result;
use crate::scan::{self, Cursor};
use std::borrow::Cow;
use std::fmt;

/// A parameter list such as `;branch=z9hG4bK776;rport` or `;tag=1928301774`.
///
/// Names compare case-insensitively. A parameter without `=` (a flag such as `lr` or an
/// empty `rport`) has the value `None`.
///
/// ```
/// use sip_message::Params;
/// let mut p = Params::new();
/// p.push("transport", Some("tcp")).unwrap();
/// p.push("lr", None).unwrap();
/// assert_eq!(p.get("TRANSPORT"), Some(Some("tcp")));
/// assert_eq!(p.get("lr"), Some(None));
/// assert_eq!(p.to_string(), ";transport=tcp;lr");
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Params<'a> {
    raw: Cow<'a, str>,
}

/// One parameter: name and optional value (quotes removed from a quoted value).
pub type Param<'p> = (&'p str, Option<&'p str>);

impl<'a> Params<'a> {
    /// An empty list.
    pub fn new() -> Self {
        Params {
            raw: Cow::Borrowed(""),
        }
    }

    #[inline]
    pub(crate) fn from_raw(raw: &'a str) -> Self {
        Params {
            raw: Cow::Borrowed(raw),
        }
    }

    /// Appends a parameter. The name must be a token; the value is written as a token when
    /// it is one (or an IPv6 reference / host), otherwise as a quoted string.
    pub fn push(&mut self, name: &str, value: Option<&str>) -> Result<()> {
        if name.is_empty() || !name.bytes().all(scan::is_token) {
            return Err(crate::Error::Build("parameter name must be a token"));
        }
        let raw = self.raw.to_mut();
        raw.push(';');
        raw.push_str(name);
        if let Some(v) = value {
            raw.push('=');
            if !v.is_empty() && v.bytes().all(|b| scan::is(b, scan::TOKEN | scan::HOST)) {
                raw.push_str(v);
            } else {
                if v.bytes().any(|b| b == b'\r' || b == b'\n') {
                    return Err(crate::Error::Build("parameter value contains CR or LF"));
                }
                // Infallible: writing into a String.
                let _ = scan::write_quoted(raw, v);
            }
        }
        Ok(())
    }

    /// Appends a URI parameter (RFC 3261 `uri-parameter`): name and value must already be
    /// in URI syntax (unreserved, `[]/:&+$` and `%HH` escapes); nothing is quoted.
    pub fn push_uri_param(&mut self, name: &str, value: Option<&str>) -> Result<()> {
        let ok = |s: &str| {
            let mut c = Cursor::new(s, 0, "URI parameter");
            c.take_class(scan::UNRESERVED | scan::PARAM, true, "")
                .is_ok()
                && c.at_end()
        };
        if !ok(name) || value.is_some_and(|v| !ok(v)) {
            return Err(crate::Error::Build(
                "URI parameter names and values must be escaped URI text",
            ));
        }
        let raw = self.raw.to_mut();
        raw.push(';');
        raw.push_str(name);
        if let Some(v) = value {
            raw.push('=');
            raw.push_str(v);
        }
        Ok(())
    }

    /// Removes every parameter called `name`.
    pub fn remove(&mut self, name: &str) {
        if !self.contains(name) {
            return;
        }
        let mut out = String::with_capacity(self.raw.len());
        let mut it = self.iter();
        while let Some((n, v, quoted)) = it.next_full() {
            if n.eq_ignore_ascii_case(name) {
                continue;
            }
            out.push(';');
            out.push_str(n);
            if let Some(v) = v {
                out.push('=');
                if quoted {
                    out.push('"');
                    out.push_str(v);
                    out.push('"');
                } else {
                    out.push_str(v);
                }
            }
        }
        self.raw = Cow::Owned(out);
    }

    /// Sets `name` to `value`, replacing earlier occurrences.
    pub fn set(&mut self, name: &str, value: Option<&str>) -> Result<()> {
        self.remove(name);
        self.push(name, value)
    }

    /// Iterates over the parameters in order.
    pub fn iter(&self) -> ParamsIter<'_> {
        ParamsIter {
            t: &self.raw,
            pos: 0,
        }
    }

    /// The value of the first parameter called `name`: `None` if absent, `Some(None)` for a
    /// flag, `Some(Some(v))` otherwise.
    #[inline]
    pub fn get(&self, name: &str) -> Option<Option<&str>> {
        find(&self.raw, name)
    }

    /// The value of `name`, treating a flag as absent.
    #[inline]
    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).flatten()
    }

    /// Whether `name` is present (with or without a value).
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Copies borrowed text so the value outlives the message it came from.
    pub fn into_owned(self) -> Params<'static> {
        Params {
            raw: Cow::Owned(self.raw.into_owned()),
        }
    }
}

impl fmt::Display for Params<'_> {
    /// Writes `;name=value` for each parameter: as received when there is no whitespace to
    /// normalise (URI parameters never have any), otherwise with the whitespace removed and
    /// quoted values kept quoted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.raw.bytes().any(scan::is_lws) {
            return f.write_str(&self.raw);
        }
        let mut it = self.iter();
        while let Some((n, v, quoted)) = it.next_full() {
            f.write_str(";")?;
            f.write_str(n)?;
            if let Some(v) = v {
                f.write_str("=")?;
                if quoted {
                    // `v` is the text between the quotes, escapes included.
                    write!(f, "\"{v}\"")?;
                } else {
                    f.write_str(v)?;
                }
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Params<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Iterator over a [`Params`] list.
#[derive(Debug, Clone)]
pub struct ParamsIter<'p> {
    t: &'p str,
    pos: usize,
}

impl<'p> Iterator for ParamsIter<'p> {
    type Item = Param<'p>;

    fn next(&mut self) -> Option<Param<'p>> {
        self.next_full().map(|(n, v, _)| (n, v))
    }
}

impl<'p> ParamsIter<'p> {
    /// The next parameter and whether its value was quoted.
    fn next_full(&mut self) -> Option<(&'p str, Option<&'p str>, bool)> {
        let t = self.t;
        let s = t.as_bytes();
        // Every cut below is next to an ASCII delimiter, so on a char boundary.
        let cut = |a: usize, b: usize| t.get(a..b).unwrap_or("");
        let ws = |p: &mut usize| {
            while *p < s.len() && scan::is_lws(s[*p]) {
                *p += 1;
            }
        };
        let mut p = self.pos;
        ws(&mut p);
        if p >= s.len() || s[p] != b';' {
            self.pos = s.len();
            return None;
        }
        p += 1;
        ws(&mut p);
        let ns = p;
        p += stop_at(&s[p..], NAME_END);
        let name = cut(ns, p);
        let mut q = p;
        ws(&mut q);
        let mut value = None;
        let mut quoted = false;
        if q < s.len() && s[q] == b'=' {
            q += 1;
            ws(&mut q);
            if q < s.len() && s[q] == b'"' {
                quoted = true;
                let vs = q + 1;
                let mut e = vs;
                while e < s.len() && s[e] != b'"' {
                    e += if s[e] == b'\\' { 2 } else { 1 };
                }
                let e = e.min(s.len());
                value = Some(cut(vs, e));
                p = (e + 1).min(s.len());
            } else {
                let vs = q;
                q += stop_at(&s[q..], VALUE_END);
                value = Some(cut(vs, q));
                p = q;
            }
        }
        self.pos = p;
        Some((name, value, quoted))
    }
}

const NAME_END: u8 = 1;
const VALUE_END: u8 = 2;

/// Bytes that end a parameter name (`NAME_END`) or an unquoted value (`VALUE_END`).
static ENDS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        if matches!(b, b';' | b',' | b' ' | b'\t' | b'\r' | b'\n') {
            t[i] = NAME_END | VALUE_END;
        }
        if b == b'=' {
            t[i] = NAME_END;
        }
        i += 1;
    }
    t
};

/// Length of the prefix of `s` with no byte of class `end`.
#[inline]
fn stop_at(s: &[u8], end: u8) -> usize {
    s.iter()
        .position(|&b| ENDS[usize::from(b)] & end != 0)
        .unwrap_or(s.len())
}

/// The value of `name` in a raw parameter list, borrowed from the list's text.
#[inline]
pub(crate) fn find<'r>(raw: &'r str, name: &str) -> Option<Option<&'r str>> {
    // Fast path for `;name[=value]...` without whitespace or quotes (nearly every list);
    // anything else goes to the iterator, which reads it from the start.
    let b = raw.as_bytes();
    let cut = |a: usize, e: usize| raw.get(a..e).unwrap_or("");
    let mut i = 0;
    while i < b.len() {
        if b[i] != b';' {
            return find_general(raw, name);
        }
        let ns = i + 1;
        let ne = ns + stop_at(&b[ns..], NAME_END);
        let hit = b[ns..ne].eq_ignore_ascii_case(name.as_bytes());
        match b.get(ne) {
            Some(b'=') => {
                let vs = ne + 1;
                if b.get(vs).is_some_and(|&c| c == b'"' || scan::is_lws(c)) {
                    return find_general(raw, name);
                }
                let ve = vs + stop_at(&b[vs..], VALUE_END);
                if hit {
                    return Some(Some(cut(vs, ve)));
                }
                i = ve;
            }
            Some(b';') | None => {
                if hit {
                    return Some(None);
                }
                i = ne;
            }
            _ => return find_general(raw, name),
        }
    }
    None
}

fn find_general<'r>(raw: &'r str, name: &str) -> Option<Option<&'r str>> {
    ParamsIter { t: raw, pos: 0 }
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// Where the header parameters of a name-addr / addr-spec value start, without parsing the
/// URI: after the `>` of a name-addr, or at the first `;` of an addr-spec (RFC 3261 §20).
/// `None`: there are none.
#[inline]
pub(crate) fn trailing_params_at(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                // A quoted display name: jump to its closing quote (`\` escapes one byte).
                i += 1;
                loop {
                    i += scan::find_quote_end(b.get(i..)?)?;
                    if b[i] == b'"' {
                        break;
                    }
                    i += 2;
                }
            }
            b'<' => return scan::find_byte(&b[i..], b'>').map(|j| i + j + 1),
            b';' => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
fn trailing_params_at_bytewise(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    let mut in_quotes = false;
    while i < b.len() {
        match b[i] {
            b'\\' if in_quotes => i += 1,
            b'"' => in_quotes = !in_quotes,
            b'<' if !in_quotes => {
                return b[i..].iter().position(|&c| c == b'>').map(|j| i + j + 1);
            }
            b';' if !in_quotes => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Which characters a parameter may use.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ParamKind {
    /// URI parameters (RFC 3261 §19.1.1 `uri-parameter`): paramchar with escapes.
    Uri,
    /// Header parameters (`generic-param`): token [ = token / host / quoted-string ].
    Header,
}

/// Validates a parameter list at the cursor (which is on `;` or past the end of the list)
/// and returns its raw text.
#[inline]
pub(crate) fn parse_params<'a>(c: &mut Cursor<'a>, kind: ParamKind) -> Result<Params<'a>> {
    let start = c.pos;
    if kind == ParamKind::Header
        && let Some(end) = scan::simple_header_params(c.s, start)
    {
        c.pos = end;
        return Ok(Params::from_raw(c.str(start, end)));
    }
    let mut end = c.pos;
    loop {
        let save = c.pos;
        if kind == ParamKind::Header {
            c.skip_lws();
        }
        if !c.eat(b';') {
            c.pos = save;
            break;
        }
        match kind {
            ParamKind::Uri => {
                c.take_class(scan::UNRESERVED | scan::PARAM, true, "a URI parameter name")?;
                if c.eat(b'=') {
                    c.take_class(
                        scan::UNRESERVED | scan::PARAM,
                        true,
                        "a URI parameter value",
                    )?;
                }
            }
            ParamKind::Header => {
                c.skip_lws();
                c.token("a parameter name")?;
                if c.eat_sep(b'=') {
                    if c.peek() == Some(b'"') {
                        c.quoted_string()?;
                    } else {
                        c.take_class(scan::TOKEN | scan::HOST, false, "a parameter value")?;
                    }
                }
            }
        }
        end = c.pos;
    }
    Ok(Params::from_raw(c.str(start, end)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str, kind: ParamKind) -> Result<Params<'_>> {
        let mut c = Cursor::new(s, 0, "test");
        let p = parse_params(&mut c, kind)?;
        if !c.at_end() {
            return Err(c.err("end"));
        }
        Ok(p)
    }

    #[test]
    fn header_params_with_lws_and_quotes() {
        let p = parse(" ;  tag = 98asjd8 ; q=0.5;x=\"a;b\";lr", ParamKind::Header).unwrap();
        let v: Vec<_> = p.iter().collect();
        assert_eq!(
            v,
            vec![
                ("tag", Some("98asjd8")),
                ("q", Some("0.5")),
                ("x", Some("a;b")),
                ("lr", None)
            ]
        );
        assert_eq!(p.to_string(), ";tag=98asjd8;q=0.5;x=\"a;b\";lr");
    }

    proptest::proptest! {
        /// The fast lookup finds what the iterator finds.
        #[test]
        fn trailing_params_agree_with_a_byte_loop(v in "[a\"\\\\<>;]{0,16}") {
            proptest::prop_assert_eq!(
                trailing_params_at(v.as_bytes()),
                trailing_params_at_bytewise(v.as_bytes())
            );
        }

        #[test]
        fn find_agrees_with_the_iterator(
            raw in "[;=a-c \",]{0,16}",
            name in "[a-cA-C]{0,2}",
        ) {
            proptest::prop_assert_eq!(find(&raw, &name), find_general(&raw, &name));
        }
    }

    #[test]
    fn empty_names_are_rejected() {
        assert!(parse(";;", ParamKind::Header).is_err());
        assert!(parse(";a=", ParamKind::Header).is_err());
        assert!(parse(";%zz", ParamKind::Uri).is_err());
    }

    #[test]
    fn set_and_remove() {
        let mut p = parse(";a=1;b;A=2", ParamKind::Header).unwrap();
        p.set("a", Some("3")).unwrap();
        assert_eq!(p.to_string(), ";b;a=3");
        p.remove("b");
        assert_eq!(p.len(), 1);
        assert!(p.push("bad name", None).is_err());
    }
}
