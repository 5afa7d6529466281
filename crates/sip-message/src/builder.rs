//! Builders that serialize requests and responses from typed parts.
//!
//! A builder writes the wire form as it goes (one buffer, no intermediate tree) and
//! [`build`](RequestBuilder::build) adds `Content-Length`, then parses the result, so a
//! built message is a [`SipMessage`] like any received one.

use crate::error::{Error, Result};
use crate::header_name::HeaderName;
use crate::headers::{Contact, NameAddr, Via};
use crate::message::SipMessage;
use crate::method::Method;
use crate::status::SipStatus;
use crate::uri::Uri;
use bytes::{BufMut, Bytes, BytesMut};
use std::fmt::{Display, Write};

/// Shared writer for the start line and header fields.
#[derive(Debug)]
struct Head {
    buf: BytesMut,
    body: Bytes,
    err: Option<Error>,
}

impl Head {
    fn new(cap: usize) -> Self {
        Head {
            buf: BytesMut::with_capacity(cap),
            body: Bytes::new(),
            err: None,
        }
    }

    /// Writes `name: value\r\n`, refusing CR/LF in the value (header injection).
    fn header(&mut self, name: &str, value: &dyn Display) {
        let start = self.buf.len();
        let _ = write!(self.buf, "{name}: ");
        let vstart = self.buf.len();
        let _ = write!(self.buf, "{value}");
        if self.buf[vstart..].iter().any(|&b| b == b'\r' || b == b'\n') {
            self.buf.truncate(start);
            self.err
                .get_or_insert(Error::Build("header value contains CR or LF"));
            return;
        }
        self.buf.put_slice(b"\r\n");
    }

    /// Copies a header value from a parsed message (already valid, may be folded).
    fn raw_header(&mut self, name: &str, value: &[u8]) {
        self.buf.put_slice(name.as_bytes());
        self.buf.put_slice(b": ");
        self.buf.put_slice(value);
        self.buf.put_slice(b"\r\n");
    }

    fn body(&mut self, content_type: &str, body: Bytes) {
        self.header("Content-Type", &content_type);
        self.body = body;
    }

    fn finish(mut self) -> Result<SipMessage> {
        if let Some(e) = self.err {
            return Err(e);
        }
        let _ = write!(self.buf, "Content-Length: {}\r\n\r\n", self.body.len());
        self.buf.put_slice(&self.body);
        let limits = crate::ParseLimits {
            max_message_size: usize::MAX / 2,
            max_headers: usize::MAX / 2,
            max_header_len: usize::from(u16::MAX),
        };
        SipMessage::parse_with(self.buf.freeze(), &limits, crate::Framing::Stream)
    }
}

/// Builds a request.
///
/// ```
/// use sip_message::{Host, Method, NameAddr, RequestBuilder, SipUri, Transport, Uri, Via};
/// let uri: Uri = SipUri::new(Host::parse("127.0.0.1").unwrap()).with_user("bob").into();
/// let msg = RequestBuilder::new(Method::Options, &uri)
///     .via(&Via::new(Transport::Udp, Host::parse("127.0.0.1").unwrap(), Some(5060), "z9hG4bK1").unwrap())
///     .from(&NameAddr::new(uri.clone()).with_param("tag", Some("a1")).unwrap())
///     .to(&NameAddr::new(uri.clone()))
///     .call_id("c1@127.0.0.1")
///     .cseq(1)
///     .max_forwards(70)
///     .build()
///     .unwrap();
/// assert_eq!(msg.method(), Some(Method::Options));
/// assert_eq!(msg.from_tag(), Some("a1"));
/// assert_eq!(msg.content_length(), Some(0));
/// msg.validate().unwrap();
/// ```
#[derive(Debug)]
pub struct RequestBuilder {
    head: Head,
    method: Method,
}

impl RequestBuilder {
    /// Starts `METHOD uri SIP/2.0`.
    pub fn new(method: Method, uri: &Uri<'_>) -> Self {
        let mut head = Head::new(512);
        let _ = write!(head.buf, "{method} {uri} SIP/2.0\r\n");
        RequestBuilder { head, method }
    }

    /// Adds a Via (call in order: the top Via first).
    pub fn via(mut self, via: &Via<'_>) -> Self {
        self.head.header("Via", via);
        self
    }

    /// Adds From.
    pub fn from(mut self, from: &NameAddr<'_>) -> Self {
        self.head.header("From", from);
        self
    }

    /// Adds To.
    pub fn to(mut self, to: &NameAddr<'_>) -> Self {
        self.head.header("To", to);
        self
    }

    /// Adds Call-ID (`word[@word]`).
    pub fn call_id(mut self, id: &str) -> Self {
        if check_call_id(id) {
            self.head.header("Call-ID", &id);
        } else {
            self.head
                .err
                .get_or_insert(Error::Build("Call-ID must be word[@word]"));
        }
        self
    }

    /// Adds CSeq with the request's method.
    pub fn cseq(mut self, seq: u32) -> Self {
        let v = format!("{seq} {}", self.method);
        self.head.header("CSeq", &v);
        self
    }

    /// Adds a Contact.
    pub fn contact(mut self, contact: &Contact<'_>) -> Self {
        self.head.header("Contact", contact);
        self
    }

    /// Adds Max-Forwards.
    pub fn max_forwards(mut self, n: u8) -> Self {
        self.head.header("Max-Forwards", &n);
        self
    }

    /// Adds any header (the value is written with `Display`; CR/LF are refused).
    pub fn header(mut self, name: &HeaderName, value: impl Display) -> Self {
        if matches!(name, HeaderName::ContentLength) {
            self.head
                .err
                .get_or_insert(Error::Build("Content-Length is computed by build()"));
        }
        self.head.header(name.as_str(), &value);
        self
    }

    /// Sets the body and its Content-Type.
    pub fn body(mut self, content_type: &str, body: impl Into<Bytes>) -> Self {
        self.head.body(content_type, body.into());
        self
    }

    /// Adds Content-Length, serializes and parses the result.
    pub fn build(self) -> Result<SipMessage> {
        self.head.finish()
    }
}

fn check_call_id(id: &str) -> bool {
    let mut parts = id.splitn(2, '@');
    parts.all(|p| !p.is_empty() && p.bytes().all(|b| crate::scan::is(b, crate::scan::WORD)))
}

/// Builds a response to a request, copying Via, From, To, Call-ID and CSeq (RFC 3261 §8.2.6),
/// Timestamp for 100 Trying (§8.2.6.1), and Record-Route for the 101-299 responses to requests
/// that create dialogs (INVITE, SUBSCRIBE, REFER, NOTIFY: §12.1.1, the step pyVoIP misses).
///
/// ```
/// use bytes::Bytes;
/// use sip_message::{SipMessage, SipStatus};
/// let req = SipMessage::parse(Bytes::from_static(
///     b"INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1\r\n\
///       From: <sip:a@127.0.0.1>;tag=f\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: x\r\n\
///       CSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")).unwrap();
/// let resp = req.response(SipStatus::RINGING).to_tag("t1").build().unwrap();
/// assert_eq!(resp.status(), Some(SipStatus::RINGING));
/// assert_eq!(resp.to_tag(), Some("t1"));
/// assert_eq!(resp.via().unwrap().branch(), Some("z9hG4bK1"));
/// assert_eq!(resp.cseq().unwrap(), req.cseq().unwrap());
/// ```
#[derive(Debug)]
pub struct ResponseBuilder {
    head: Head,
    to_value: Vec<u8>,
    to_has_tag: bool,
    to_pos: usize,
    reason_end: usize,
}

impl SipMessage {
    /// Starts a response to this request (see [`ResponseBuilder`]).
    pub fn response(&self, status: SipStatus) -> ResponseBuilder {
        let mut head = Head::new(self.as_bytes().len().min(2048) + 128);
        let _ = write!(
            head.buf,
            "SIP/2.0 {} {}\r\n",
            status.code(),
            status.phrase()
        );
        let reason_end = head.buf.len();
        let mut to_value = Vec::new();
        let mut to_has_tag = false;
        let mut to_pos = 0;
        let creates_dialog = (101..300).contains(&status.code())
            && matches!(
                self.method(),
                Some(Method::Invite | Method::Subscribe | Method::Refer | Method::Notify)
            );
        for h in self.headers() {
            let name = h.name();
            match name {
                HeaderName::Via | HeaderName::From | HeaderName::CallId | HeaderName::CSeq => {
                    head.raw_header(name.as_str(), h.value());
                }
                HeaderName::Timestamp if status.code() == 100 => {
                    head.raw_header(name.as_str(), h.value());
                }
                HeaderName::RecordRoute if creates_dialog => {
                    head.raw_header(name.as_str(), h.value());
                }
                HeaderName::To if to_pos == 0 => {
                    to_pos = head.buf.len();
                    to_value = h.value().to_vec();
                    to_has_tag = self.to_tag().is_some();
                }
                _ => {}
            }
        }
        ResponseBuilder {
            head,
            to_value,
            to_has_tag,
            to_pos,
            reason_end,
        }
    }
}

impl ResponseBuilder {
    /// Replaces the reason phrase (default: the registered phrase).
    pub fn reason(mut self, reason: &str) -> Self {
        if reason.bytes().any(|b| b < b' ' && b != b'\t') {
            self.head
                .err
                .get_or_insert(Error::Build("reason phrase contains control characters"));
            return self;
        }
        let line = &self.head.buf[..self.reason_end];
        let code_end = 12; // "SIP/2.0 NNN "
        let mut new = BytesMut::with_capacity(self.head.buf.len() + reason.len());
        new.put_slice(&line[..code_end]);
        new.put_slice(reason.as_bytes());
        new.put_slice(b"\r\n");
        let shift = new.len() as isize - self.reason_end as isize;
        new.put_slice(&self.head.buf[self.reason_end..]);
        self.head.buf = new;
        self.reason_end = (self.reason_end as isize + shift) as usize;
        if self.to_pos != 0 {
            self.to_pos = (self.to_pos as isize + shift) as usize;
        }
        self
    }

    /// Adds `;tag=` to To unless the request's To already has a tag (a dialog's tag stays).
    pub fn to_tag(mut self, tag: &str) -> Self {
        if tag.is_empty() || !tag.bytes().all(crate::scan::is_token) {
            self.head
                .err
                .get_or_insert(Error::Build("To tag must be a token"));
            return self;
        }
        if !self.to_has_tag {
            self.to_value.extend_from_slice(b";tag=");
            self.to_value.extend_from_slice(tag.as_bytes());
            self.to_has_tag = true;
        }
        self
    }

    /// Adds a Contact.
    pub fn contact(mut self, contact: &Contact<'_>) -> Self {
        self.head.header("Contact", contact);
        self
    }

    /// Adds any header (the value is written with `Display`; CR/LF are refused).
    pub fn header(mut self, name: &HeaderName, value: impl Display) -> Self {
        if matches!(name, HeaderName::ContentLength) {
            self.head
                .err
                .get_or_insert(Error::Build("Content-Length is computed by build()"));
        }
        self.head.header(name.as_str(), &value);
        self
    }

    /// Sets the body and its Content-Type.
    pub fn body(mut self, content_type: &str, body: impl Into<Bytes>) -> Self {
        self.head.body(content_type, body.into());
        self
    }

    /// Adds To and Content-Length, serializes and parses the result.
    pub fn build(mut self) -> Result<SipMessage> {
        if self.to_pos != 0 {
            let tail = self.head.buf.split_off(self.to_pos);
            self.head.raw_header("To", &self.to_value);
            self.head.buf.unsplit(tail);
        }
        self.head.finish()
    }
}
