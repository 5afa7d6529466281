//! Zero-copy SIP and SDP parsing and serialization (RFC 3261, RFC 8866).
//!
//! Two layers, like `httparse` + `http`:
//!
//! 1. [`SipMessage::parse`] (datagrams) and [`message_length`] / [`SipMessage::parse_stream`]
//!    (TCP/TLS streams) make one pass over the input [`Bytes`]: start line, an index of every
//!    header field (name canonicalised through one table of long and compact names into
//!    [`HeaderName`], value as a range of the input, folded lines joined), and the body by
//!    Content-Length. Nothing is copied, and typical messages need no allocation.
//! 2. Typed accessors ([`SipMessage::via`], [`SipMessage::cseq`], [`SipMessage::contacts`],
//!    [`SipMessage::www_authenticate`], [`SipMessage::sdp`], ...) parse a header when asked
//!    and borrow from the message. A malformed optional header fails only its accessor;
//!    [`SipMessage::validate`] checks the whole message.
//!
//! Builders ([`RequestBuilder`], [`SipMessage::response`]) write the wire form directly.
//!
//! Design notes:
//! - **Hand-written byte loops, not nom.** The grammar pieces are short (tokens, params,
//!   hosts); a cursor over `&str` with a 256-entry class table is faster than combinators
//!   here and makes exact error offsets trivial. Every header value is checked to be UTF-8
//!   once, when its accessor runs.
//! - **Fast paths that fall back.** The forms nearly every peer sends (a registered header
//!   name right before its `:`, `SIP/2.0/UDP host:port;params`, `sip:user@host:port;params`,
//!   `Digest name="value", ...`, parameters without whitespace) are read by straight-line
//!   code that scans eight bytes at a time where it can; anything else returns `None` and
//!   the general parser reads the input and reports errors. Proptests check that each fast
//!   path agrees with its general path.
//! - **Strict where RFC 3261 is, tolerant where RFC 4475 allows.** The start line must be
//!   exact (single spaces, `SIP/2.0`, a 3-digit code); LWS and folding are accepted wherever
//!   the grammar has LWS; bare-LF line ends are accepted. The RFC 4475 §3.1 corpus is in
//!   `tests/torture/` with one test per message.
//! - **Bounded.** [`ParseLimits`] caps message size, header count and header length; over a
//!   limit is an error. Parsing never recurses and every loop advances.
//! - **Errors.** One [`Error`] enum; parse errors carry the byte offset (into the input
//!   given to the parser) and what was expected there.
//!
//! ```
//! use bytes::Bytes;
//! use sip_message::{HeaderName, Method, SipMessage, SipStatus};
//!
//! let wire = Bytes::from_static(
//!     b"INVITE sip:bob@127.0.0.1 SIP/2.0\r\n\
//!       v: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK776asdhds;rport\r\n\
//!       Max-Forwards: 70\r\n\
//!       f: \"Alice\" <sip:alice@127.0.0.1>;tag=1928301774\r\n\
//!       t: <sip:bob@127.0.0.1>\r\n\
//!       i: a84b4c76e66710@127.0.0.1\r\n\
//!       CSeq: 314159 INVITE\r\n\
//!       m: <sip:alice@127.0.0.1:5062>\r\n\
//!       c: application/sdp\r\n\
//!       l: 92\r\n\r\n\
//!       v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
//!       m=audio 49170 RTP/AVP 0\r\n",
//! );
//! let msg = SipMessage::parse(wire).unwrap();
//! assert_eq!(msg.method(), Some(Method::Invite));
//! assert_eq!(msg.via().unwrap().branch(), Some("z9hG4bK776asdhds"));
//! assert_eq!(msg.from_tag(), Some("1928301774"));
//! assert_eq!(msg.call_id().unwrap(), "a84b4c76e66710@127.0.0.1");
//! assert_eq!(msg.cseq().unwrap().seq, 314159);
//! assert_eq!(msg.header_str(&HeaderName::MaxForwards), Some("70"));
//! let sdp = msg.sdp().unwrap().unwrap();
//! assert_eq!(sdp.media[0].port, 49170);
//!
//! // Answer it: Via, From, To, Call-ID and CSeq are copied (RFC 3261 §8.2.6).
//! let ringing = msg.response(SipStatus::RINGING).to_tag("a6c85cf").build().unwrap();
//! assert_eq!(ringing.to_tag(), Some("a6c85cf"));
//! assert!(ringing.to_string().starts_with("SIP/2.0 180 Ringing\r\n"));
//! ```
// One audited `unsafe` block in the crate: `scan::utf8`, which skips the second UTF-8 pass
// over bytes it has just checked to be ASCII.
#![deny(unsafe_code)]

mod builder;
mod error;
mod framing;
mod header_name;
pub mod headers;
mod limits;
mod message;
mod method;
mod params;
mod scan;
pub mod sdp;
mod status;
mod uri;

pub use builder::{RequestBuilder, ResponseBuilder};
pub use bytes::Bytes;
pub use error::{Error, Result};
pub use framing::{keepalive_len, message_length};
pub use header_name::{HeaderName, OtherHeaderName};
pub use headers::{
    Auth, AuthParam, AuthParams, BRANCH_MAGIC_COOKIE, CSeq, Contact, MediaType, NameAddr,
    TokenParams, Transport, Via,
};
pub use limits::ParseLimits;
pub use message::{Framing, HeaderField, SipMessage, TypedHeader, Values};
pub use method::{ExtensionMethod, Method};
pub use params::{Param, Params, ParamsIter};
pub use scan::percent_decode;
pub use status::SipStatus;
pub use uri::{AbsoluteUri, Host, SipUri, TelUri, Uri};
