//! [`SipMessage`]: a parsed request or response over the received bytes.

use crate::error::{Error, Result};
use crate::framing::{self, HeaderEntry, HeaderIndex, HotIndex, Line};
use crate::header_name::{HOT, HOT_SLOTS, HeaderName, NO_SLOT, NameId, OtherHeaderName};
use crate::headers::auth::parse_auth;
use crate::headers::misc::{
    parse_call_id, parse_cseq, parse_media_type, parse_number, parse_token, parse_token_params,
    simple_call_id, simple_cseq,
};
use crate::headers::name_addr::{parse_contact, parse_name_addr};
use crate::headers::via::parse_via;
use crate::headers::{Auth, CSeq, Contact, MediaType, NameAddr, TokenParams, Via};
use crate::limits::ParseLimits;
use crate::method::Method;
use crate::scan::{self, Cursor};
use crate::status::SipStatus;
use crate::uri::{Uri, UriEnd, parse_uri_bytes};
use bytes::{Bytes, BytesMut};
use std::fmt;

/// A SIP request or response.
///
/// Parsing ([`parse`](Self::parse)) checks the start line, indexes every header field and
/// finds the body; it copies nothing and allocates nothing for typical messages (up to 24
/// header fields). Typed values are parsed when asked for and borrow from the message, so a
/// malformed optional header only fails its own accessor. [`validate`](Self::validate)
/// checks everything a UA relies on at once.
#[derive(Clone)]
pub struct SipMessage {
    buf: Bytes,
    start: u32,
    line: Line,
    headers: HeaderIndex,
    hot: HotIndex,
    headers_end: u32,
    body_start: u32,
    content_length: Option<u32>,
}

/// Whether a message came over a datagram or a stream transport; decides what a missing
/// Content-Length means (RFC 3261 §18.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// UDP: the body runs to the end of the datagram when Content-Length is absent; extra
    /// bytes after Content-Length are ignored.
    Datagram,
    /// TCP/TLS/SCTP: Content-Length is mandatory.
    Stream,
}

/// A header field of a message as received.
#[derive(Debug, Clone, Copy)]
pub struct HeaderField<'m> {
    id: NameId,
    raw_name: &'m [u8],
    value: &'m [u8],
    offset: usize,
}

impl<'m> HeaderField<'m> {
    /// The canonical name (compact forms are mapped to their long name).
    pub fn name(&self) -> HeaderName {
        HeaderName::from_id(self.id).unwrap_or_else(|| {
            HeaderName::Other(OtherHeaderName::new(Bytes::copy_from_slice(self.raw_name)))
        })
    }

    /// Whether the field has this name.
    pub fn is(&self, name: &HeaderName) -> bool {
        match name {
            HeaderName::Other(o) => o.as_str().as_bytes().eq_ignore_ascii_case(self.raw_name),
            n => n.id() == self.id,
        }
    }

    /// The name as it appeared on the wire (e.g. `v` or `VIA`).
    pub fn raw_name(&self) -> &'m str {
        scan::ascii(self.raw_name)
    }

    /// The value bytes (folded lines kept, with their CRLF and leading whitespace).
    pub fn value(&self) -> &'m [u8] {
        self.value
    }

    /// The value as text, if it is UTF-8.
    pub fn value_str(&self) -> Option<&'m str> {
        scan::utf8(self.value).ok()
    }

    /// The value with each fold (CRLF + whitespace) replaced by one space.
    pub fn value_unfolded(&self) -> std::borrow::Cow<'m, str> {
        let s = String::from_utf8_lossy(self.value);
        if !s.contains(['\r', '\n']) {
            return s;
        }
        let mut out = String::with_capacity(s.len());
        let mut in_fold = false;
        for ch in s.chars() {
            if matches!(ch, '\r' | '\n') || (in_fold && matches!(ch, ' ' | '\t')) {
                if !in_fold {
                    out.push(' ');
                }
                in_fold = true;
            } else {
                in_fold = false;
                out.push(ch);
            }
        }
        std::borrow::Cow::Owned(out)
    }

    /// Byte offset of the value in the input.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The typed value of this one field, for every header this crate has a grammar for
    /// (`None` for others). Lists (`Via: a, b`) give every element.
    pub fn parse(&self) -> Option<Result<TypedHeader<'m>>> {
        use HeaderName as H;
        let name = HeaderName::from_id(self.id)?;
        let context = "header";
        let text = match text(self.value, self.offset, context) {
            Ok(t) => t,
            Err(e) => return Some(Err(e)),
        };
        let mut c = Cursor::new(text, self.offset, context);
        let c = &mut c;
        let number = |c: &mut Cursor<'m>, max: u64| -> Result<TypedHeader<'m>> {
            parse_number(c, max, "a number in range").map(TypedHeader::Number)
        };
        Some(match name {
            H::Via => list(c, parse_via).map(TypedHeader::Via),
            H::From | H::To | H::ReferTo | H::ReferredBy | H::ReplyTo => {
                whole(c, |c| parse_name_addr(c, true)).map(|a| TypedHeader::Address(vec![a]))
            }
            H::Route
            | H::RecordRoute
            | H::Path
            | H::ServiceRoute
            | H::PAssertedIdentity
            | H::PPreferredIdentity => {
                list(c, |c| parse_name_addr(c, false)).map(TypedHeader::Address)
            }
            H::Contact => list(c, parse_contact).map(TypedHeader::Contact),
            H::CSeq => {
                let raw = Bytes::copy_from_slice(self.value);
                whole(c, |c| parse_cseq(c, &raw)).map(TypedHeader::CSeq)
            }
            H::CallId => parse_call_id(c).map(TypedHeader::CallId),
            H::MaxForwards => number(c, 255),
            H::Expires | H::MinExpires | H::ContentLength => number(c, u64::from(u32::MAX)),
            H::ContentType => whole(c, parse_media_type).map(TypedHeader::MediaType),
            H::WwwAuthenticate
            | H::ProxyAuthenticate
            | H::Authorization
            | H::ProxyAuthorization => list(c, parse_auth).map(TypedHeader::Auth),
            H::Allow
            | H::Supported
            | H::Require
            | H::ProxyRequire
            | H::Unsupported
            | H::AllowEvents => list(c, parse_token).map(TypedHeader::Tokens),
            H::Event | H::SubscriptionState | H::ContentDisposition => {
                whole(c, parse_token_params).map(TypedHeader::TokenParams)
            }
            _ => return None,
        })
    }
}

/// The typed value of one header field (see [`HeaderField::parse`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TypedHeader<'a> {
    /// Via values.
    Via(Vec<Via<'a>>),
    /// From, To, Route, Record-Route, Refer-To, Referred-By, Reply-To, Path, ...
    Address(Vec<NameAddr<'a>>),
    /// Contact values.
    Contact(Vec<Contact<'a>>),
    /// CSeq.
    CSeq(CSeq),
    /// Call-ID.
    CallId(&'a str),
    /// Max-Forwards, Expires, Min-Expires, Content-Length.
    Number(u64),
    /// Content-Type.
    MediaType(MediaType<'a>),
    /// WWW-Authenticate, Proxy-Authenticate, Authorization, Proxy-Authorization.
    Auth(Vec<Auth<'a>>),
    /// Allow, Supported, Require, Proxy-Require, Unsupported, Allow-Events.
    Tokens(Vec<&'a str>),
    /// Event, Subscription-State, Content-Disposition.
    TokenParams(TokenParams<'a>),
}

/// Parses a comma-separated list that fills the cursor.
fn list<'a, T>(
    c: &mut Cursor<'a>,
    mut parse: impl FnMut(&mut Cursor<'a>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    loop {
        c.skip_lws();
        out.push(parse(c)?);
        c.skip_lws();
        if c.at_end() {
            return Ok(out);
        }
        if !c.eat(b',') {
            return Err(c.err("',' or the end of the header value"));
        }
    }
}

/// Parses one value that must fill the cursor.
fn whole<'a, T>(c: &mut Cursor<'a>, parse: impl FnOnce(&mut Cursor<'a>) -> Result<T>) -> Result<T> {
    let v = parse(c)?;
    c.skip_lws();
    if c.at_end() {
        Ok(v)
    } else {
        Err(c.err("the end of the header value"))
    }
}

/// Iterator over the comma-separated values of every header field with a given name, in
/// order. Each item is parsed on demand; a malformed value yields an error and the iterator
/// goes on with the next header field.
pub struct Values<'m, T> {
    msg: &'m SipMessage,
    id: NameId,
    idx: usize,
    cur: Option<Cursor<'m>>,
    context: &'static str,
    parse: fn(&mut Cursor<'m>, &'m Bytes) -> Result<T>,
}

impl<T> fmt::Debug for Values<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Values")
            .field("context", &self.context)
            .field("idx", &self.idx)
            .finish()
    }
}

impl<'m, T> Iterator for Values<'m, T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        loop {
            if let Some(c) = &mut self.cur {
                let item = match (self.parse)(c, &self.msg.buf) {
                    Ok(v) => {
                        c.skip_lws();
                        if c.at_end() {
                            self.cur = None;
                            Ok(v)
                        } else if c.eat(b',') {
                            c.skip_lws();
                            if c.at_end() {
                                Err(c.err("a value after ','"))
                            } else {
                                Ok(v)
                            }
                        } else {
                            Err(c.err("',' or the end of the header value"))
                        }
                    }
                    Err(e) => Err(e),
                };
                if item.is_err() {
                    self.cur = None;
                }
                return Some(item);
            }
            let h = self.msg.headers[self.idx..]
                .iter()
                .position(|h| h.id == self.id)?;
            let e = self.msg.headers[self.idx + h];
            self.idx += h + 1;
            let (s, end) = (e.value_start as usize, e.value_end as usize);
            let text = match text(&self.msg.buf[s..end], s, self.context) {
                Ok(t) => t,
                Err(e) => return Some(Err(e)),
            };
            let mut c = Cursor::new(text, s, self.context);
            c.skip_lws();
            if c.at_end() {
                return Some(Err(c.err("a value")));
            }
            self.cur = Some(c);
        }
    }
}

/// Header values must be UTF-8 (RFC 3261 §25: TEXT-UTF8) for typed access.
fn text<'m>(v: &'m [u8], off: usize, context: &'static str) -> Result<&'m str> {
    scan::utf8(v).map_err(|e| Error::syntax(context, off + e.valid_up_to(), "UTF-8 text"))
}

impl SipMessage {
    /// Parses one message from a UDP datagram with default [`ParseLimits`].
    ///
    /// Leading CR/LF bytes are skipped; bytes after the Content-Length body are ignored; a
    /// missing Content-Length means the body runs to the end of the datagram.
    pub fn parse(datagram: Bytes) -> Result<SipMessage> {
        Self::parse_with(datagram, &ParseLimits::default(), Framing::Datagram)
    }

    /// Parses one message with explicit limits and framing. With [`Framing::Stream`] the
    /// input must hold exactly one message up to the end of its body (or more bytes, which
    /// are ignored) and Content-Length is required; see
    /// [`parse_stream`](Self::parse_stream) for framing a receive buffer.
    pub fn parse_with(
        mut input: Bytes,
        limits: &ParseLimits,
        framing: Framing,
    ) -> Result<SipMessage> {
        if input.len() > limits.max_message_size + framing::keepalive_len(&input) {
            let start = framing::keepalive_len(&input);
            if input.len() - start > limits.max_message_size {
                return Err(Error::TooLarge {
                    offset: start + limits.max_message_size,
                    limit: limits.max_message_size,
                });
            }
        }
        if input.len() > u32::MAX as usize {
            return Err(Error::TooLarge {
                offset: u32::MAX as usize,
                limit: u32::MAX as usize,
            });
        }
        let mut headers = HeaderIndex::new();
        let mut hot = [NO_SLOT; HOT_SLOTS];
        let Some(head) = framing::scan_head(&input, limits, &mut headers, &mut hot)? else {
            return Err(Error::syntax(
                "message",
                input.len(),
                "an empty line ending the header section",
            ));
        };
        let end = match (head.content_length, framing) {
            (Some(len), _) => {
                let available = input.len() - head.body_start;
                if available < len {
                    return Err(Error::BodyTooShort {
                        offset: head.body_start,
                        declared: len,
                        available,
                    });
                }
                head.body_start + len
            }
            (None, Framing::Datagram) => input.len(),
            (None, Framing::Stream) => {
                return Err(Error::MissingHeader {
                    name: "Content-Length",
                    offset: head.headers_end,
                });
            }
        };
        input.truncate(end);
        Ok(SipMessage {
            buf: input,
            start: head.start as u32,
            line: head.line,
            headers,
            hot,
            headers_end: head.headers_end as u32,
            body_start: head.body_start as u32,
            content_length: head.content_length.map(|l| l as u32),
        })
    }

    /// Takes one complete message off the front of a stream receive buffer: `Ok(None)` if
    /// more bytes are needed (the buffer is left alone), otherwise the message's bytes
    /// (with any leading keep-alive CRLFs) are split off the buffer.
    ///
    /// Errors: a framing error (no Content-Length, over a limit, broken start line) leaves
    /// the buffer alone; the stream cannot be resynchronised, so close the connection
    /// (after a 400/513 if you like). Answer `CRLFCRLF` pings (RFC 5626) by checking
    /// [`keepalive_len`](crate::keepalive_len) before calling this.
    pub fn parse_stream(buf: &mut BytesMut, limits: &ParseLimits) -> Result<Option<SipMessage>> {
        let Some(len) = framing::message_length(buf, limits)? else {
            return Ok(None);
        };
        let bytes = buf.split_to(len).freeze();
        Self::parse_with(bytes, limits, Framing::Stream).map(Some)
    }

    // ----- start line -----

    /// Whether this is a request.
    pub fn is_request(&self) -> bool {
        matches!(self.line, Line::Request { .. })
    }

    /// Whether this is a response.
    pub fn is_response(&self) -> bool {
        !self.is_request()
    }

    /// The request method (`None` for a response).
    pub fn method(&self) -> Option<Method> {
        match self.line {
            Line::Request { method_end, .. } => {
                let m = &self.buf[self.start as usize..method_end as usize];
                Some(Method::from_token(m, || self.buf.slice_ref(m)))
            }
            Line::Response { .. } => None,
        }
    }

    /// The Request-URI as received (`None` for a response).
    pub fn request_uri_str(&self) -> Option<&str> {
        match self.line {
            Line::Request {
                uri_start, uri_end, ..
            } => scan::utf8(&self.buf[uri_start as usize..uri_end as usize]).ok(),
            Line::Response { .. } => None,
        }
    }

    /// The parsed Request-URI (`None` for a response). Headers (`?...`) are not allowed in
    /// a Request-URI (RFC 3261 §19.1.1) and give an error.
    pub fn request_uri(&self) -> Option<Result<Uri<'_>>> {
        match self.line {
            Line::Request {
                uri_start, uri_end, ..
            } => {
                let s = uri_start as usize;
                let r = text(&self.buf[s..uri_end as usize], s, "Request-URI")
                    .and_then(|t| parse_uri_bytes(t, s, "Request-URI", UriEnd::Whole))
                    .and_then(|u| match &u {
                        Uri::Sip(sip) if sip.headers.is_some() => Err(Error::syntax(
                            "Request-URI",
                            s + self.buf[s..uri_end as usize]
                                .iter()
                                .position(|&b| b == b'?')
                                .unwrap_or(0),
                            "no URI headers in a Request-URI",
                        )),
                        _ => Ok(u),
                    });
                Some(r)
            }
            Line::Response { .. } => None,
        }
    }

    /// The response status (`None` for a request).
    pub fn status(&self) -> Option<SipStatus> {
        match self.line {
            Line::Response { code, .. } => SipStatus::new(code).ok(),
            Line::Request { .. } => None,
        }
    }

    /// The reason phrase as received (`None` for a request). Not UTF-8 gives lossy text.
    pub fn reason(&self) -> Option<std::borrow::Cow<'_, str>> {
        match self.line {
            Line::Response {
                reason_start,
                reason_end,
                ..
            } => Some(String::from_utf8_lossy(
                &self.buf[reason_start as usize..reason_end as usize],
            )),
            Line::Request { .. } => None,
        }
    }

    /// The start line as received, without CRLF (pyVoIP's `heading`).
    pub fn start_line(&self) -> std::borrow::Cow<'_, str> {
        let end = match self.headers.first() {
            Some(h) => h.name_start as usize,
            None => self.headers_end as usize,
        };
        let line = &self.buf[self.start as usize..end];
        String::from_utf8_lossy(scan::trim_lws(line))
    }

    // ----- raw headers -----

    fn field(&self, e: &HeaderEntry) -> HeaderField<'_> {
        HeaderField {
            id: e.id,
            raw_name: &self.buf[e.name_start as usize..e.name_start as usize + e.name_len as usize],
            value: &self.buf[e.value_start as usize..e.value_end as usize],
            offset: e.value_start as usize,
        }
    }

    /// Every header field in order.
    pub fn headers(&self) -> impl Iterator<Item = HeaderField<'_>> + '_ {
        self.headers.iter().map(|e| self.field(e))
    }

    /// Header fields with this name, in order.
    pub fn headers_named<'s>(
        &'s self,
        name: &'s HeaderName,
    ) -> impl Iterator<Item = HeaderField<'s>> + 's {
        self.headers().filter(move |f| f.is(name))
    }

    /// The first value of a header, as bytes.
    pub fn header(&self, name: &HeaderName) -> Option<&[u8]> {
        self.headers
            .iter()
            .map(|e| self.field(e))
            .find(|f| f.is(name))
            .map(|f| f.value)
    }

    /// The first value of a header, as text (if UTF-8).
    pub fn header_str(&self, name: &HeaderName) -> Option<&str> {
        self.header(name).and_then(|v| scan::utf8(v).ok())
    }

    /// Number of header fields.
    pub fn header_count(&self) -> usize {
        self.headers.len()
    }

    /// Index of the first field called `id`, at or after which [`Values`] starts looking.
    #[inline]
    fn first_index(&self, id: NameId) -> Option<usize> {
        if let Some(&i) = self.hot.get(usize::from(HOT[usize::from(id)])) {
            if i != NO_SLOT {
                return Some(usize::from(i));
            }
            if self.headers.len() <= usize::from(NO_SLOT) {
                return None;
            }
        }
        self.headers.iter().position(|h| h.id == id)
    }

    fn first(&self, name: HeaderName) -> Option<(&[u8], usize)> {
        let h = self.headers.get(self.first_index(name.id())?)?;
        Some((
            &self.buf[h.value_start as usize..h.value_end as usize],
            h.value_start as usize,
        ))
    }

    fn missing(&self, name: &'static str) -> Error {
        Error::MissingHeader {
            name,
            offset: self.headers_end as usize,
        }
    }

    fn values<'m, T>(
        &'m self,
        name: HeaderName,
        context: &'static str,
        parse: fn(&mut Cursor<'m>, &'m Bytes) -> Result<T>,
    ) -> Values<'m, T> {
        let id = name.id();
        Values {
            msg: self,
            id,
            idx: self.first_index(id).unwrap_or(self.headers.len()),
            cur: None,
            context,
            parse,
        }
    }

    /// Parses the single value of a header that must appear at most once.
    fn single<'m, T>(
        &'m self,
        name: HeaderName,
        context: &'static str,
        parse: impl FnOnce(&mut Cursor<'m>) -> Result<T>,
    ) -> Option<Result<T>> {
        let (v, off) = self.first(name)?;
        let v = match text(v, off, context) {
            Ok(v) => v,
            Err(e) => return Some(Err(e)),
        };
        let mut c = Cursor::new(v, off, context);
        Some(parse(&mut c).and_then(|t| {
            c.skip_lws();
            if c.at_end() {
                Ok(t)
            } else {
                Err(c.err("the end of the header value"))
            }
        }))
    }

    // ----- typed headers -----

    /// Every Via value (all Via fields, comma-separated values split), top first.
    pub fn vias(&self) -> Values<'_, Via<'_>> {
        self.values(HeaderName::Via, "Via header", |c, _| parse_via(c))
    }

    /// The top Via (mandatory).
    pub fn via(&self) -> Result<Via<'_>> {
        let (v, off) = self
            .first(HeaderName::Via)
            .ok_or_else(|| self.missing("Via"))?;
        parse_via(&mut Cursor::new(
            text(v, off, "Via header")?,
            off,
            "Via header",
        ))
    }

    /// From (mandatory).
    pub fn from(&self) -> Result<NameAddr<'_>> {
        self.single(HeaderName::From, "From header", |c| {
            parse_name_addr(c, true)
        })
        .unwrap_or_else(|| Err(self.missing("From")))
    }

    /// To (mandatory).
    pub fn to(&self) -> Result<NameAddr<'_>> {
        self.single(HeaderName::To, "To header", |c| parse_name_addr(c, true))
            .unwrap_or_else(|| Err(self.missing("To")))
    }

    /// The From tag, if From parses and has one.
    pub fn from_tag(&self) -> Option<&str> {
        self.param_of(HeaderName::From, "tag")
    }

    /// The To tag, if To parses and has one.
    pub fn to_tag(&self) -> Option<&str> {
        self.param_of(HeaderName::To, "tag")
    }

    fn param_of(&self, name: HeaderName, param: &str) -> Option<&str> {
        // Fast path: only the header parameters are looked at (the URI is not parsed);
        // `from()`/`to()` and `validate()` check the whole value.
        let (v, _) = self.first(name)?;
        let v = scan::utf8(v).ok()?;
        let params = v.get(crate::params::trailing_params_at(v.as_bytes())?..)?;
        crate::params::find(params, param).flatten()
    }

    /// Call-ID (mandatory).
    pub fn call_id(&self) -> Result<&str> {
        let (v, off) = self
            .first(HeaderName::CallId)
            .ok_or_else(|| self.missing("Call-ID"))?;
        if let Some(id) = simple_call_id(v) {
            return Ok(id);
        }
        parse_call_id(&mut Cursor::new(
            text(v, off, "Call-ID header")?,
            off,
            "Call-ID header",
        ))
    }

    /// CSeq (mandatory).
    pub fn cseq(&self) -> Result<CSeq> {
        let buf = &self.buf;
        if let Some(c) = self
            .first(HeaderName::CSeq)
            .and_then(|(v, _)| simple_cseq(v, buf))
        {
            return Ok(c);
        }
        self.single(HeaderName::CSeq, "CSeq header", |c| parse_cseq(c, buf))
            .unwrap_or_else(|| Err(self.missing("CSeq")))
    }

    /// Contact values (`*` or addresses), in order.
    pub fn contacts(&self) -> Values<'_, Contact<'_>> {
        self.values(HeaderName::Contact, "Contact header", |c, _| {
            parse_contact(c)
        })
    }

    /// The first Contact, if any.
    pub fn contact(&self) -> Option<Result<Contact<'_>>> {
        self.contacts().next()
    }

    /// Route values, in order.
    pub fn routes(&self) -> Values<'_, NameAddr<'_>> {
        self.values(HeaderName::Route, "Route header", |c, _| {
            parse_name_addr(c, false)
        })
    }

    /// Record-Route values, in order.
    pub fn record_routes(&self) -> Values<'_, NameAddr<'_>> {
        self.values(HeaderName::RecordRoute, "Record-Route header", |c, _| {
            parse_name_addr(c, false)
        })
    }

    /// Max-Forwards (0-255).
    pub fn max_forwards(&self) -> Option<Result<u8>> {
        self.single(HeaderName::MaxForwards, "Max-Forwards header", |c| {
            parse_number(c, 255, "a number from 0 to 255").map(|n| n as u8)
        })
    }

    /// Expires (seconds, 32-bit).
    pub fn expires(&self) -> Option<Result<u32>> {
        self.single(HeaderName::Expires, "Expires header", |c| {
            parse_number(c, u64::from(u32::MAX), "a number of seconds below 2**32")
                .map(|n| n as u32)
        })
    }

    /// Min-Expires (seconds, 32-bit).
    pub fn min_expires(&self) -> Option<Result<u32>> {
        self.single(HeaderName::MinExpires, "Min-Expires header", |c| {
            parse_number(c, u64::from(u32::MAX), "a number of seconds below 2**32")
                .map(|n| n as u32)
        })
    }

    /// Content-Length as declared (`None` if absent). Validated while framing.
    pub fn content_length(&self) -> Option<usize> {
        self.content_length.map(|l| l as usize)
    }

    /// Content-Type.
    pub fn content_type(&self) -> Option<Result<MediaType<'_>>> {
        self.single(
            HeaderName::ContentType,
            "Content-Type header",
            parse_media_type,
        )
    }

    /// Allow: method names.
    pub fn allow(&self) -> Values<'_, &str> {
        self.values(HeaderName::Allow, "Allow header", |c, _| parse_token(c))
    }

    /// Supported: option tags.
    pub fn supported(&self) -> Values<'_, &str> {
        self.values(HeaderName::Supported, "Supported header", |c, _| {
            parse_token(c)
        })
    }

    /// Require: option tags.
    pub fn require(&self) -> Values<'_, &str> {
        self.values(HeaderName::Require, "Require header", |c, _| parse_token(c))
    }

    /// Proxy-Require: option tags.
    pub fn proxy_require(&self) -> Values<'_, &str> {
        self.values(HeaderName::ProxyRequire, "Proxy-Require header", |c, _| {
            parse_token(c)
        })
    }

    /// Unsupported: option tags.
    pub fn unsupported(&self) -> Values<'_, &str> {
        self.values(HeaderName::Unsupported, "Unsupported header", |c, _| {
            parse_token(c)
        })
    }

    /// User-Agent, as text.
    pub fn user_agent(&self) -> Option<&str> {
        self.header_str(&HeaderName::UserAgent)
    }

    /// Server, as text.
    pub fn server(&self) -> Option<&str> {
        self.header_str(&HeaderName::Server)
    }

    /// Event (`package;id=...`).
    pub fn event(&self) -> Option<Result<TokenParams<'_>>> {
        self.single(HeaderName::Event, "Event header", parse_token_params)
    }

    /// Subscription-State (`active;expires=60`).
    pub fn subscription_state(&self) -> Option<Result<TokenParams<'_>>> {
        self.single(
            HeaderName::SubscriptionState,
            "Subscription-State header",
            parse_token_params,
        )
    }

    /// Refer-To.
    pub fn refer_to(&self) -> Option<Result<NameAddr<'_>>> {
        self.single(HeaderName::ReferTo, "Refer-To header", |c| {
            parse_name_addr(c, true)
        })
    }

    /// Referred-By.
    pub fn referred_by(&self) -> Option<Result<NameAddr<'_>>> {
        self.single(HeaderName::ReferredBy, "Referred-By header", |c| {
            parse_name_addr(c, true)
        })
    }

    /// WWW-Authenticate challenges, in order.
    pub fn www_authenticate(&self) -> Values<'_, Auth<'_>> {
        self.values(
            HeaderName::WwwAuthenticate,
            "WWW-Authenticate header",
            |c, _| parse_auth(c),
        )
    }

    /// Proxy-Authenticate challenges, in order.
    pub fn proxy_authenticate(&self) -> Values<'_, Auth<'_>> {
        self.values(
            HeaderName::ProxyAuthenticate,
            "Proxy-Authenticate header",
            |c, _| parse_auth(c),
        )
    }

    /// Authorization credentials, in order.
    pub fn authorization(&self) -> Values<'_, Auth<'_>> {
        self.values(HeaderName::Authorization, "Authorization header", |c, _| {
            parse_auth(c)
        })
    }

    /// Proxy-Authorization credentials, in order.
    pub fn proxy_authorization(&self) -> Values<'_, Auth<'_>> {
        self.values(
            HeaderName::ProxyAuthorization,
            "Proxy-Authorization header",
            |c, _| parse_auth(c),
        )
    }

    // ----- body -----

    /// The body bytes.
    pub fn body(&self) -> &[u8] {
        &self.buf[self.body_start as usize..]
    }

    /// The body as a `Bytes` slice of the input (no copy).
    pub fn body_bytes(&self) -> Bytes {
        self.buf.slice(self.body_start as usize..)
    }

    /// Byte offset of the body in the input.
    pub fn body_offset(&self) -> usize {
        self.body_start as usize
    }

    /// Whether Content-Type is `application/sdp`.
    pub fn has_sdp(&self) -> bool {
        let Some((v, _)) = self.first(HeaderName::ContentType) else {
            return false;
        };
        // Fast path for the usual spelling; anything else goes through the parser.
        let v = scan::trim_lws(v);
        if v.len() >= 15
            && (v[..15] == *b"application/sdp" || v[..15].eq_ignore_ascii_case(b"application/sdp"))
        {
            let rest = scan::trim_lws(&v[15..]);
            if rest.is_empty() || rest[0] == b';' {
                return true;
            }
        }
        matches!(self.content_type(), Some(Ok(t)) if t.is("application", "sdp"))
    }

    /// Parses the body as SDP when Content-Type is `application/sdp` (`None` otherwise, or
    /// when the body is empty). Errors carry offsets into the whole message.
    pub fn sdp(&self) -> Option<Result<crate::sdp::SessionDescription<'_>>> {
        if self.body().is_empty() || !self.has_sdp() {
            return None;
        }
        Some(crate::sdp::parse_at(self.body(), self.body_start as usize))
    }

    /// Like [`SipMessage::sdp`], but only checks and indexes the body: a
    /// [`crate::sdp::SdpView`] allocates nothing and parses fields when they are read.
    pub fn sdp_view(&self) -> Option<Result<crate::sdp::SdpView<'_>>> {
        if self.body().is_empty() || !self.has_sdp() {
            return None;
        }
        Some(crate::sdp::view_at(self.body(), self.body_start as usize))
    }

    /// The whole message as received (from the start line to the end of the body).
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[self.start as usize..]
    }

    /// The message bytes (a cheap `Bytes` clone).
    pub fn to_bytes(&self) -> Bytes {
        self.buf.slice(self.start as usize..)
    }

    // ----- whole-message checks -----

    /// Checks what a UA relies on: the Request-URI, the mandatory headers of RFC 3261 §8.1.1
    /// (To, From, CSeq, Call-ID, Via; Max-Forwards on requests is checked when present), the
    /// CSeq method against the request method, and every present header this crate has a
    /// typed parser for. The first problem is returned.
    pub fn validate(&self) -> Result<()> {
        if let Some(uri) = self.request_uri() {
            uri?;
        }
        self.to()?;
        self.from()?;
        self.call_id()?;
        let cseq = self.cseq()?;
        if let Some(m) = self.method() {
            // ACK and CANCEL carry the INVITE's number but their own method.
            if cseq.method != m {
                let off = self.first(HeaderName::CSeq).map_or(0, |(_, o)| o);
                return Err(Error::MethodMismatch { offset: off });
            }
        }
        self.via()?;
        let via_off = self.first(HeaderName::Via).map_or(0, |(_, o)| o);
        for v in self.vias() {
            v?.check_params()
                .map_err(|e| Error::syntax("Via header", via_off, e))?;
        }
        for c in self.contacts() {
            c?;
        }
        let wildcard_misuse = self.contacts().count() > 1
            && self.contacts().any(|c| matches!(c, Ok(Contact::Wildcard)));
        if wildcard_misuse {
            let off = self.first(HeaderName::Contact).map_or(0, |(_, o)| o);
            return Err(Error::syntax(
                "Contact header",
                off,
                "'*' as the only Contact value",
            ));
        }
        for r in self.routes().chain(self.record_routes()) {
            r?;
        }
        if let Some(m) = self.max_forwards() {
            m?;
        }
        if let Some(e) = self.expires() {
            e?;
        }
        if let Some(t) = self.content_type() {
            t?;
        }
        for a in self
            .www_authenticate()
            .chain(self.proxy_authenticate())
            .chain(self.authorization())
            .chain(self.proxy_authorization())
        {
            a?;
        }
        for t in self
            .allow()
            .chain(self.supported())
            .chain(self.require())
            .chain(self.proxy_require())
            .chain(self.unsupported())
        {
            t?;
        }
        if let Some(e) = self.event() {
            e?;
        }
        if let Some(s) = self.subscription_state() {
            s?;
        }
        if let Some(r) = self.refer_to() {
            r?;
        }
        if let Some(r) = self.referred_by() {
            r?;
        }
        Ok(())
    }

    /// A human-readable multi-line summary, like pyVoIP's `SIPMessage.summary()`: status or
    /// method, the headers, the body.
    pub fn summary(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        match (self.status(), self.method()) {
            (Some(st), _) => {
                let _ = writeln!(
                    s,
                    "Status: {} {}\n",
                    st.code(),
                    self.reason().unwrap_or_default()
                );
            }
            (None, Some(m)) => {
                let _ = writeln!(s, "Method: {m}\n");
            }
            (None, None) => {}
        }
        s.push_str("Headers:\n");
        for h in self.headers() {
            let _ = writeln!(s, "{}: {}", h.name(), h.value_unfolded());
        }
        s.push_str("\nBody:\n");
        s.push_str(&String::from_utf8_lossy(self.body()));
        s.push('\n');
        s
    }
}

impl fmt::Display for SipMessage {
    /// The wire form, exactly as received or built (a non-UTF-8 body is shown lossily: use
    /// [`as_bytes`](SipMessage::as_bytes) to send).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(self.as_bytes()))
    }
}

impl fmt::Debug for SipMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SipMessage")
            .field("start_line", &self.start_line())
            .field("headers", &self.headers.len())
            .field("body_len", &self.body().len())
            .finish()
    }
}

impl PartialEq for SipMessage {
    /// Byte equality of the wire form.
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The framing pass remembers where the first Via, Call-ID, ... are only among the first
    /// 255 fields; past that the accessors walk the index.
    #[test]
    fn headers_after_the_first_255_fields_are_found() {
        for filler in [0usize, 10, 254, 255, 300] {
            let mut m = String::from("OPTIONS sip:a@127.0.0.1 SIP/2.0\r\n");
            for i in 0..filler {
                m.push_str(&format!("X-F{i}: {i}\r\n"));
            }
            m.push_str(
                "Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP 127.0.0.2\r\n\
                 Call-ID: c1\r\nCSeq: 1 OPTIONS\r\nFrom: <sip:a@127.0.0.1>;tag=f\r\n\
                 To: <sip:b@127.0.0.1>\r\nContact: <sip:a@127.0.0.1>, <sip:b@127.0.0.1>\r\n\r\n",
            );
            let limits = ParseLimits {
                max_headers: 1000,
                ..ParseLimits::default()
            };
            let msg = SipMessage::parse_with(Bytes::from(m), &limits, Framing::Datagram).unwrap();
            assert_eq!(msg.via().unwrap().branch(), Some("z9hG4bK1"), "{filler}");
            assert_eq!(msg.vias().count(), 2);
            assert_eq!(msg.call_id().unwrap(), "c1");
            assert_eq!(msg.cseq().unwrap().seq, 1);
            assert_eq!(msg.from_tag(), Some("f"));
            assert_eq!(msg.to_tag(), None);
            assert_eq!(msg.contacts().count(), 2);
            assert!(msg.content_type().is_none());
            assert_eq!(msg.www_authenticate().count(), 0);
        }
    }
}
