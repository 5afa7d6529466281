//! Dialog state (RFC 3261 §12): identity, sequence numbers, route set, remote target, and
//! the in-dialog requests built from them.
//!
//! A [`Dialog`] is created on either side of a dialog-forming exchange:
//!
//! * as **UAC** from the request we sent and a 101-199 (with a To tag) or 2xx response
//!   ([`Dialog::new_uac`]): route set = Record-Route **reversed**, remote target = the
//!   response's Contact;
//! * as **UAS** from the request we received and the response we send
//!   ([`Dialog::new_uas`]): route set = Record-Route **in order**, remote target = the
//!   request's Contact. [`uas_response`] builds that response: To tag added (RFC 3261
//!   §8.2.6.2) and Record-Route copied into 101-299 responses (§12.1.1).
//!
//! It then builds every request inside the dialog ([`Dialog::request`] for BYE, re-INVITE,
//! UPDATE, REFER, INFO, NOTIFY, MESSAGE, OPTIONS...; [`Dialog::ack`] for the ACK of a 2xx)
//! with the dialog's From/To tags, the next local CSeq, a fresh Via branch, Max-Forwards 70,
//! our Contact where the method needs one, and the route set applied per §12.2.1.1 (loose
//! routing: Request-URI = remote target, Route = route set; strict routing: Request-URI =
//! first route, remote target appended as the last Route). [`Dialog::next_hop`] tells the
//! driver where to send it. Incoming in-dialog requests go through
//! [`Dialog::receive_request`], which enforces the remote CSeq order (§12.2.2: an older
//! request gets 500) and applies target refreshes.
//!
//! Sans-IO: nothing here reads a clock or touches a socket. Branches, tags and Call-IDs come
//! from a keyed PRF seeded by the operating system's random source ([`new_branch`], [`new_tag`], [`new_call_id`]).
//!
//! ```
//! use sip_message::{Bytes, Method, SipMessage, SipStatus};
//! use voip::dialog::{Dialog, DialogState};
//!
//! // The INVITE we sent and the 200 OK that came back through a proxy.
//! let invite = SipMessage::parse(Bytes::from_static(
//!     b"INVITE sip:bob@127.0.0.1 SIP/2.0\r\n\
//!       Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1;rport\r\n\
//!       Max-Forwards: 70\r\n\
//!       From: <sip:alice@127.0.0.1>;tag=a1\r\n\
//!       To: <sip:bob@127.0.0.1>\r\n\
//!       Call-ID: c1@127.0.0.1\r\n\
//!       CSeq: 7 INVITE\r\n\
//!       Contact: <sip:alice@127.0.0.1:5062>\r\n\
//!       Content-Length: 0\r\n\r\n",
//! ))?;
//! let ok = SipMessage::parse(Bytes::from_static(
//!     b"SIP/2.0 200 OK\r\n\
//!       Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1;rport=5062\r\n\
//!       Record-Route: <sip:127.0.0.1:5070;lr>\r\n\
//!       From: <sip:alice@127.0.0.1>;tag=a1\r\n\
//!       To: <sip:bob@127.0.0.1>;tag=b2\r\n\
//!       Call-ID: c1@127.0.0.1\r\n\
//!       CSeq: 7 INVITE\r\n\
//!       Contact: <sip:bob@127.0.0.1:5064>\r\n\
//!       Content-Length: 0\r\n\r\n",
//! ))?;
//! let mut dialog = Dialog::new_uac(&invite, &ok)?;
//! assert_eq!(dialog.state(), DialogState::Confirmed);
//! assert_eq!(dialog.id().remote_tag, "b2");
//!
//! // ACK the 2xx (CSeq of the INVITE), then hang up (next CSeq, To tag, Route).
//! let ack = dialog.ack(&invite)?.build()?;
//! assert_eq!(ack.cseq()?.seq, 7);
//! let bye = dialog.request(Method::Bye)?.build()?;
//! assert_eq!(bye.request_uri_str(), Some("sip:bob@127.0.0.1:5064"));
//! assert_eq!(bye.cseq()?.seq, 8);
//! assert_eq!(bye.to_tag(), Some("b2"));
//! assert_eq!(bye.routes().next().unwrap()?.to_string(), "<sip:127.0.0.1:5070;lr>");
//! assert_eq!(dialog.next_hop().uri.to_string(), "sip:127.0.0.1:5070;lr");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::hash::{BuildHasher, RandomState};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use sip_message::{
    BRANCH_MAGIC_COOKIE, Contact, HeaderName, Host, Method, NameAddr, RequestBuilder,
    ResponseBuilder, SipMessage, SipStatus, Transport, Uri, Via,
};

/// Max-Forwards of every request we originate (RFC 3261 §8.1.1.6).
pub const MAX_FORWARDS: u8 = 70;

/// Why a dialog operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DialogError {
    /// A message lacks a header or has a malformed one the dialog needs.
    #[error("malformed message: {0}")]
    Message(#[from] sip_message::Error),
    /// The response cannot create a dialog (only 101-299 responses to a request can).
    #[error("a {0} response does not create a dialog")]
    NotDialogForming(u16),
    /// A provisional response without a To tag cannot create an early dialog, and the
    /// response we send as UAS must carry our tag.
    #[error("the response has no To tag")]
    MissingToTag,
    /// The request (UAS) or our response (UAS, local target) has no Contact with a URI;
    /// RFC 3261 §12.1 needs it for the remote target. Answer such a request with 400.
    #[error("no Contact URI to use as the dialog's target")]
    MissingContact,
    /// The message's Call-ID or tags do not belong to this dialog (answer 481).
    #[error("the message does not belong to this dialog")]
    Mismatch,
    /// The remote CSeq went backwards (RFC 3261 §12.2.2): answer the request with 500.
    #[error("CSeq {received} is not above the last remote CSeq {last}: answer 500")]
    CSeqOutOfOrder {
        /// The request's CSeq number.
        received: u32,
        /// The highest CSeq number seen from the remote side.
        last: u32,
    },
    /// ACK and CANCEL reuse the CSeq of the INVITE; build them with [`Dialog::ack`] (ACK for
    /// a 2xx) or from the INVITE (CANCEL, RFC 3261 §9.1).
    #[error("{0} cannot be built as a new in-dialog request")]
    InvalidMethod(Method),
    /// The local CSeq reached 2^32 - 1.
    #[error("local CSeq exhausted")]
    CSeqExhausted,
    /// The dialog is terminated; no further requests can be sent in it.
    #[error("the dialog is terminated")]
    Terminated,
}

impl DialogError {
    /// The status a UAS answers an in-dialog request with when
    /// [`Dialog::receive_request`] fails: 500 for an out-of-order CSeq (§12.2.2), 481 for a
    /// mismatch, 400 for a malformed request.
    pub fn response_status(&self) -> SipStatus {
        match self {
            DialogError::CSeqOutOfOrder { .. } => SipStatus::SERVER_INTERNAL_ERROR,
            DialogError::Mismatch | DialogError::Terminated => {
                SipStatus::CALL_TRANSACTION_DOES_NOT_EXIST
            }
            _ => SipStatus::BAD_REQUEST,
        }
    }
}

/// The dialog identifier (RFC 3261 §12): Call-ID, local tag, remote tag.
///
/// A remote tag may be empty: RFC 2543 peers send no tag, which counts as a null tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DialogId {
    /// Call-ID.
    pub call_id: String,
    /// Our tag (From of our requests, To of theirs).
    pub local_tag: String,
    /// The peer's tag (empty for a null tag).
    pub remote_tag: String,
}

impl DialogId {
    /// The id of the dialog an incoming **request** belongs to: (Call-ID, To tag, From
    /// tag). `None` when the request has no To tag (it is not inside a dialog) or no
    /// Call-ID.
    pub fn for_incoming_request(request: &SipMessage) -> Option<DialogId> {
        Some(DialogId {
            call_id: request.call_id().ok()?.to_owned(),
            local_tag: request.to_tag()?.to_owned(),
            remote_tag: request.from_tag().unwrap_or("").to_owned(),
        })
    }

    /// The id of the dialog an incoming **response** (to our request) belongs to:
    /// (Call-ID, From tag, To tag). `None` without Call-ID or From tag; a missing To tag is
    /// a null remote tag.
    pub fn for_incoming_response(response: &SipMessage) -> Option<DialogId> {
        Some(DialogId {
            call_id: response.call_id().ok()?.to_owned(),
            local_tag: response.from_tag()?.to_owned(),
            remote_tag: response.to_tag().unwrap_or("").to_owned(),
        })
    }
}

/// Early (created by a 1xx) or confirmed (by a 2xx), RFC 3261 §12; terminated by a final
/// non-2xx on an early dialog or by [`Dialog::terminate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DialogState {
    /// Created by a provisional response.
    Early,
    /// Created or confirmed by a 2xx.
    Confirmed,
    /// Over: no more requests.
    Terminated,
}

/// Which side created the dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DialogRole {
    /// We sent the dialog-forming request.
    Uac,
    /// We received it.
    Uas,
}

/// The transport and sent-by address written into the Via of our requests (the
/// NAT-selected host, never a wildcard address), with `;rport` (RFC 3581) on request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentBy {
    /// Transport of the Via (and default transport to the next hop).
    pub transport: Transport<'static>,
    /// Host advertised in the Via.
    pub host: Host<'static>,
    /// Port advertised in the Via (`None`: the transport's default).
    pub port: Option<u16>,
    /// Add an empty `rport` parameter, asking the server to answer to the source port.
    pub rport: bool,
}

impl SentBy {
    /// A sent-by with `rport` requested.
    pub fn new(transport: Transport<'static>, host: Host<'static>, port: Option<u16>) -> Self {
        SentBy {
            transport,
            host,
            port,
            rport: true,
        }
    }

    /// The sent-by of a Via header (e.g. the top Via of a request we sent).
    pub fn from_via(via: &Via<'_>) -> Self {
        SentBy {
            transport: via.transport.clone().into_owned(),
            host: via.host.clone().into_owned(),
            port: via.port,
            rport: via.rport().is_some(),
        }
    }

    /// A Via with this sent-by and `branch`.
    ///
    /// # Errors
    /// When `branch` is not a token.
    pub fn via(&self, branch: &str) -> Result<Via<'static>, sip_message::Error> {
        let mut via = Via::new(self.transport.clone(), self.host.clone(), self.port, branch)?;
        if self.rport {
            via.params.push("rport", None)?;
        }
        Ok(via)
    }
}

/// Where to send a request: the URI to resolve (RFC 3263) and the transport to use. Turning
/// it into a socket address is the driver's job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextHop {
    /// The first Route URI, or the remote target when there is no route set.
    pub uri: Uri<'static>,
    /// The URI's `transport` parameter; TLS for a `sips:` URI or a secure dialog; else the
    /// transport of our Via.
    pub transport: Transport<'static>,
}

impl NextHop {
    /// A next hop for `uri`, with `default` as transport unless the URI says otherwise.
    pub fn for_uri(uri: Uri<'static>, default: Transport<'static>, secure: bool) -> Self {
        let transport = transport_of(&uri, default, secure);
        NextHop { uri, transport }
    }

    /// The host to resolve: the `maddr` parameter if present, else the URI's host. `None`
    /// for a non-SIP URI.
    pub fn host(&self) -> Option<Host<'_>> {
        let sip = self.uri.as_sip()?;
        if let Some(m) = sip.params.value("maddr")
            && let Ok(h) = Host::parse(m)
        {
            return Some(h);
        }
        Some(sip.host.clone())
    }

    /// The explicit port, or the transport's default (5060, 5061 for TLS).
    pub fn port(&self) -> u16 {
        self.uri.as_sip().and_then(|s| s.port).unwrap_or(
            if matches!(self.transport, Transport::Tls | Transport::Wss) {
                5061
            } else {
                5060
            },
        )
    }
}

fn transport_of(uri: &Uri<'_>, default: Transport<'static>, secure: bool) -> Transport<'static> {
    let sip = uri.as_sip();
    let sips = sip.is_some_and(|s| s.secure) || secure;
    let named = sip.and_then(|s| s.params.value("transport")).map(|t| {
        match t.to_ascii_lowercase().as_str() {
            "udp" => Transport::Udp,
            "tcp" => Transport::Tcp,
            "tls" => Transport::Tls,
            "sctp" => Transport::Sctp,
            "ws" => Transport::Ws,
            "wss" => Transport::Wss,
            other => Transport::Other(other.to_ascii_uppercase().into()),
        }
    });
    match (named, sips) {
        // sips over TCP means TLS (RFC 3261 §26.2.2: sips with transport=tcp is TLS).
        (Some(Transport::Ws | Transport::Wss), true) => Transport::Wss,
        (Some(_), true) | (None, true) => Transport::Tls,
        (Some(t), false) => t,
        (None, false) => default,
    }
}

/// The state of one dialog (RFC 3261 §12) and the builder of its requests.
///
/// See the [module documentation](self) for an example.
#[derive(Debug, Clone)]
pub struct Dialog {
    id: DialogId,
    state: DialogState,
    role: DialogRole,
    local_uri: NameAddr<'static>,
    remote_uri: NameAddr<'static>,
    local_seq: Option<u32>,
    remote_seq: Option<u32>,
    remote_target: Uri<'static>,
    route_set: Vec<NameAddr<'static>>,
    secure: bool,
    local_contact: NameAddr<'static>,
    sent_by: SentBy,
    /// Header values derived from the fields above, rendered once per change rather than
    /// per request (building a request is then mostly copying).
    rendered: Rendered,
}

/// Pre-rendered parts of every request of the dialog.
#[derive(Debug, Clone, Default)]
struct Rendered {
    request_uri: Option<Uri<'static>>,
    routes: Vec<String>,
    from: String,
    to: String,
    contact: String,
    via: String,
}

fn without_tag(mut a: NameAddr<'_>) -> NameAddr<'static> {
    a.params.remove("tag");
    a.into_owned()
}

fn contact_uri(msg: &SipMessage) -> Result<Option<Uri<'static>>, DialogError> {
    match msg.contact() {
        None => Ok(None),
        Some(c) => Ok(c?.uri().cloned().map(Uri::into_owned)),
    }
}

fn contact_address(msg: &SipMessage) -> Result<Option<NameAddr<'static>>, DialogError> {
    match msg.contact() {
        None => Ok(None),
        Some(c) => Ok(c?.address().cloned().map(NameAddr::into_owned)),
    }
}

fn record_routes(msg: &SipMessage) -> Result<Vec<NameAddr<'static>>, DialogError> {
    msg.record_routes()
        .map(|r| r.map(NameAddr::into_owned).map_err(DialogError::from))
        .collect()
}

fn is_secure(request: &SipMessage) -> Result<bool, DialogError> {
    let sips = match request.request_uri() {
        Some(uri) => matches!(uri?, Uri::Sip(s) if s.secure),
        None => false,
    };
    let tls = matches!(request.via()?.transport, Transport::Tls | Transport::Wss);
    Ok(sips && tls)
}

/// Request-URI form of a URI: drops what §19.1.1 forbids in a Request-URI (the `method`
/// parameter and `?headers`).
fn request_uri_form(uri: &Uri<'static>) -> Uri<'static> {
    match uri {
        Uri::Sip(s) => {
            let mut s = s.clone();
            s.headers = None;
            s.params.remove("method");
            Uri::Sip(s)
        }
        other => other.clone(),
    }
}

/// Methods whose requests carry our Contact (target refresh requests and REFER, which
/// RFC 3515 §2.4.1 requires it in; OPTIONS may).
fn needs_contact(method: &Method) -> bool {
    matches!(
        method,
        Method::Invite
            | Method::Update
            | Method::Refer
            | Method::Subscribe
            | Method::Notify
            | Method::Options
    )
}

/// Target refresh requests (RFC 3261 §12.2, RFC 3311, RFC 6665 §4.3): their Contact
/// replaces the remote target.
fn is_target_refresh(method: &Method) -> bool {
    matches!(
        method,
        Method::Invite | Method::Update | Method::Subscribe | Method::Notify
    )
}

impl Dialog {
    /// The UAC side (RFC 3261 §12.1.2): `request` is the dialog-forming request as we sent
    /// it (its top Via gives our sent-by, its Contact our local target) and `response` a
    /// 101-199 with a To tag (early dialog) or a 2xx (confirmed).
    ///
    /// The route set is the response's Record-Route in reverse order; the remote target is
    /// the response's Contact (the Request-URI if a response lacks one, as some peers'
    /// 18x do; a later response updates it). The local CSeq is the request's, the remote
    /// CSeq empty. The secure flag is set for a `sips:` Request-URI sent over TLS.
    ///
    /// # Errors
    /// [`DialogError::NotDialogForming`], [`DialogError::MissingToTag`] (a 1xx without
    /// tag), [`DialogError::MissingContact`] (our request has no Contact),
    /// [`DialogError::Mismatch`] (the response is for another request), or a malformed
    /// header.
    pub fn new_uac(request: &SipMessage, response: &SipMessage) -> Result<Dialog, DialogError> {
        let status = response.status().map_or(0, |s| s.code());
        if !(101..=299).contains(&status) {
            return Err(DialogError::NotDialogForming(status));
        }
        let call_id = request.call_id()?;
        let cseq = request.cseq()?;
        if response.call_id()? != call_id
            || response.from_tag() != request.from_tag()
            || response.cseq()?.seq != cseq.seq
        {
            return Err(DialogError::Mismatch);
        }
        let remote_tag = match response.to_tag() {
            Some(t) => t.to_owned(),
            None if status >= 200 => String::new(),
            None => return Err(DialogError::MissingToTag),
        };
        let from = request.from()?;
        let local_tag = from.tag().ok_or(DialogError::MissingToTag)?.to_owned();
        let mut route_set = record_routes(response)?;
        route_set.reverse();
        let remote_target = match contact_uri(response)? {
            Some(u) => u,
            None => request
                .request_uri()
                .ok_or(DialogError::MissingContact)??
                .into_owned(),
        };
        let local_contact = contact_address(request)?.ok_or(DialogError::MissingContact)?;
        Dialog {
            id: DialogId {
                call_id: call_id.to_owned(),
                local_tag,
                remote_tag,
            },
            state: if status >= 200 {
                DialogState::Confirmed
            } else {
                DialogState::Early
            },
            role: DialogRole::Uac,
            local_uri: without_tag(from),
            remote_uri: without_tag(response.to()?),
            local_seq: Some(cseq.seq),
            remote_seq: None,
            remote_target,
            route_set,
            secure: is_secure(request)?,
            local_contact,
            sent_by: SentBy::from_via(&request.via()?),
            rendered: Rendered::default(),
        }
        .rendered_now()
    }

    /// The UAS side (RFC 3261 §12.1.1): `request` is the dialog-forming request we
    /// received and `response` the 101-299 we send for it (built with [`uas_response`], so
    /// it carries our To tag and Contact). `sent_by` is what our requests' Via will say.
    ///
    /// The route set is the request's Record-Route in order; the remote target is the
    /// request's Contact; the remote CSeq is the request's, the local CSeq empty (the first
    /// request we send picks a random one, §12.2.1.1). A missing From tag is a null remote
    /// tag (RFC 2543 peers).
    ///
    /// # Errors
    /// [`DialogError::NotDialogForming`], [`DialogError::MissingToTag`] (our response has
    /// no tag), [`DialogError::MissingContact`] (no Contact in the request, which
    /// deserves a 400, or in our response), or a malformed header.
    pub fn new_uas(
        request: &SipMessage,
        response: &SipMessage,
        sent_by: SentBy,
    ) -> Result<Dialog, DialogError> {
        let status = response.status().map_or(0, |s| s.code());
        if !(101..=299).contains(&status) {
            return Err(DialogError::NotDialogForming(status));
        }
        let local_tag = response
            .to_tag()
            .ok_or(DialogError::MissingToTag)?
            .to_owned();
        let remote_target = contact_uri(request)?.ok_or(DialogError::MissingContact)?;
        let local_contact = contact_address(response)?.ok_or(DialogError::MissingContact)?;
        Dialog {
            id: DialogId {
                call_id: request.call_id()?.to_owned(),
                local_tag,
                remote_tag: request.from_tag().unwrap_or("").to_owned(),
            },
            state: if status >= 200 {
                DialogState::Confirmed
            } else {
                DialogState::Early
            },
            role: DialogRole::Uas,
            local_uri: without_tag(request.to()?),
            remote_uri: without_tag(request.from()?),
            local_seq: None,
            remote_seq: Some(request.cseq()?.seq),
            remote_target,
            route_set: record_routes(request)?,
            secure: is_secure(request)?,
            local_contact,
            sent_by,
            rendered: Rendered::default(),
        }
        .rendered_now()
    }

    /// The dialog id.
    pub fn id(&self) -> &DialogId {
        &self.id
    }

    /// Early, confirmed or terminated.
    pub fn state(&self) -> DialogState {
        self.state
    }

    /// Which side created the dialog.
    pub fn role(&self) -> DialogRole {
        self.role
    }

    /// Our URI (From of our requests), without tag.
    pub fn local_uri(&self) -> &NameAddr<'static> {
        &self.local_uri
    }

    /// The peer's URI (To of our requests), without tag.
    pub fn remote_uri(&self) -> &NameAddr<'static> {
        &self.remote_uri
    }

    /// The CSeq number of the last request we sent in the dialog (`None`: none yet).
    pub fn local_seq(&self) -> Option<u32> {
        self.local_seq
    }

    /// The highest CSeq number received from the peer (`None`: none yet).
    pub fn remote_seq(&self) -> Option<u32> {
        self.remote_seq
    }

    /// Where our requests go (the peer's Contact).
    pub fn remote_target(&self) -> &Uri<'static> {
        &self.remote_target
    }

    /// The route set, in the order our requests visit it.
    pub fn route_set(&self) -> &[NameAddr<'static>] {
        &self.route_set
    }

    /// Whether the first route is a strict router (its URI lacks `;lr`).
    pub fn is_strict_routing(&self) -> bool {
        self.route_set
            .first()
            .is_some_and(|r| r.uri.as_sip().is_some_and(|s| !s.params.contains("lr")))
    }

    /// The secure flag (`sips:` over TLS): every request must then go over TLS.
    pub fn secure(&self) -> bool {
        self.secure
    }

    /// Our Contact (local target).
    pub fn local_contact(&self) -> &NameAddr<'static> {
        &self.local_contact
    }

    /// Replaces our Contact, e.g. after the NAT address changed; the next target refresh
    /// request (re-INVITE, UPDATE) tells the peer.
    pub fn set_local_contact(&mut self, contact: NameAddr<'static>) {
        self.local_contact = contact;
        self.render();
    }

    /// Our Via sent-by.
    pub fn sent_by(&self) -> &SentBy {
        &self.sent_by
    }

    /// Replaces our Via sent-by.
    pub fn set_sent_by(&mut self, sent_by: SentBy) {
        self.sent_by = sent_by;
        self.render();
    }

    /// Marks an early UAS dialog confirmed once we send the 2xx.
    pub fn confirm(&mut self) {
        if self.state == DialogState::Early {
            self.state = DialogState::Confirmed;
        }
    }

    /// Ends the dialog (BYE sent or received, 481/408 to an in-dialog request, RFC 3261
    /// §12.2.1.2).
    pub fn terminate(&mut self) {
        self.state = DialogState::Terminated;
    }

    /// Makes sure the next request's CSeq is above `seq`: call it with the CSeq of a
    /// request re-sent with credentials ([`crate::auth`] increments the CSeq of a
    /// challenged in-dialog request).
    pub fn advance_local_seq(&mut self, seq: u32) {
        if self.local_seq.is_none_or(|s| s < seq) {
            self.local_seq = Some(seq);
        }
    }

    /// Where to send the next request: the first Route URI, or the remote target without a
    /// route set; the transport per [`NextHop::transport`].
    pub fn next_hop(&self) -> NextHop {
        let uri = match self.route_set.first() {
            Some(r) => r.uri.clone(),
            None => self.remote_target.clone(),
        };
        NextHop::for_uri(uri, self.sent_by.transport.clone(), self.secure)
    }

    fn rendered_now(mut self) -> Result<Dialog, DialogError> {
        self.render();
        Ok(self)
    }

    /// Renders the Request-URI and Route values (RFC 3261 §12.2.1.1), From, To, Contact and
    /// the Via sent-by; called whenever one of their inputs changes.
    fn render(&mut self) {
        let (request_uri, routes) = if self.is_strict_routing() {
            let mut routes: Vec<String> = self.route_set[1..]
                .iter()
                .map(ToString::to_string)
                .collect();
            routes.push(NameAddr::new(self.remote_target.clone()).to_string());
            (request_uri_form(&self.route_set[0].uri), routes)
        } else {
            (
                request_uri_form(&self.remote_target),
                self.route_set.iter().map(ToString::to_string).collect(),
            )
        };
        let mut from = self.local_uri.clone();
        // Tags are tokens from parsed headers or our generator: pushing cannot fail.
        let _ = from.params.push("tag", Some(&self.id.local_tag));
        let mut to = self.remote_uri.clone();
        if !self.id.remote_tag.is_empty() {
            let _ = to.params.push("tag", Some(&self.id.remote_tag));
        }
        let sb = &self.sent_by;
        let mut via = format!("SIP/2.0/{} {}", sb.transport, sb.host);
        if let Some(p) = sb.port {
            via.push_str(&format!(":{p}"));
        }
        self.rendered = Rendered {
            request_uri: Some(request_uri),
            routes,
            from: from.to_string(),
            to: to.to_string(),
            contact: self.local_contact.to_string(),
            via,
        };
    }

    fn start(&self, method: Method, seq: u32) -> Result<RequestBuilder, DialogError> {
        let r = &self.rendered;
        let target = r.request_uri.as_ref().unwrap_or(&self.remote_target);
        let rport = if self.sent_by.rport { ";rport" } else { "" };
        let mut b = RequestBuilder::new(method, target)
            .header(
                &HeaderName::Via,
                format_args!("{};branch={}{rport}", r.via, new_branch()),
            )
            .max_forwards(MAX_FORWARDS);
        for route in &r.routes {
            b = b.header(&HeaderName::Route, route);
        }
        Ok(b.header(&HeaderName::From, &r.from)
            .header(&HeaderName::To, &r.to)
            .call_id(&self.id.call_id)
            .cseq(seq))
    }

    /// Starts a new request in the dialog: Request-URI and Route per the route set, a new
    /// Via branch, Max-Forwards 70, From/To with the dialog tags, Call-ID, the next local
    /// CSeq (a random one below 2^31 for the first request of a UAS dialog), and our
    /// Contact for INVITE, UPDATE, REFER, SUBSCRIBE, NOTIFY and OPTIONS. Add a body or
    /// more headers to the returned builder, then `build()`.
    ///
    /// # Errors
    /// [`DialogError::InvalidMethod`] for ACK and CANCEL, [`DialogError::Terminated`],
    /// [`DialogError::CSeqExhausted`], or a value that cannot be serialized.
    pub fn request(&mut self, method: Method) -> Result<RequestBuilder, DialogError> {
        if matches!(method, Method::Ack | Method::Cancel) {
            return Err(DialogError::InvalidMethod(method));
        }
        if self.state == DialogState::Terminated {
            return Err(DialogError::Terminated);
        }
        let seq = match self.local_seq {
            Some(s) => s.checked_add(1).ok_or(DialogError::CSeqExhausted)?,
            None => random_cseq(),
        };
        let contact = needs_contact(&method);
        let mut b = self.start(method, seq)?;
        if contact {
            b = b.header(&HeaderName::Contact, &self.rendered.contact);
        }
        self.local_seq = Some(seq);
        Ok(b)
    }

    /// The ACK for a 2xx to `invite` (the INVITE or re-INVITE as we sent it, after any
    /// authentication retry): built like any in-dialog request but with the INVITE's CSeq
    /// number and its Authorization / Proxy-Authorization copied (RFC 3261 §13.2.2.4). The
    /// local CSeq does not move. Add the SDP answer for a delayed offer to the builder.
    ///
    /// # Errors
    /// [`DialogError::Mismatch`] when `invite` is not an INVITE of this dialog, or a
    /// malformed header.
    pub fn ack(&self, invite: &SipMessage) -> Result<RequestBuilder, DialogError> {
        let cseq = invite.cseq()?;
        if cseq.method != Method::Invite
            || invite.call_id()? != self.id.call_id
            || invite.from_tag() != Some(self.id.local_tag.as_str())
        {
            return Err(DialogError::Mismatch);
        }
        let mut b = self.start(Method::Ack, cseq.seq)?;
        for name in [HeaderName::Authorization, HeaderName::ProxyAuthorization] {
            for h in invite.headers_named(&name) {
                b = b.header(&name, h.value_unfolded());
            }
        }
        Ok(b)
    }

    fn check_response(&self, response: &SipMessage) -> Result<(), DialogError> {
        if response.call_id()? != self.id.call_id
            || response.from_tag() != Some(self.id.local_tag.as_str())
            || response.to_tag().unwrap_or("") != self.id.remote_tag
        {
            return Err(DialogError::Mismatch);
        }
        Ok(())
    }

    /// Applies a response to a request we sent in (or to create) this dialog:
    ///
    /// * a 1xx to the INVITE of an early dialog updates the remote target from Contact;
    /// * a 2xx to that INVITE confirms the dialog and recomputes the route set and remote
    ///   target from it (RFC 3261 §13.2.2.4); a final non-2xx terminates the early dialog;
    /// * a 2xx to a target refresh request (re-INVITE, UPDATE, SUBSCRIBE, NOTIFY) replaces
    ///   the remote target with its Contact (§12.2.1.2);
    /// * a 481 or 408 to any request terminates the dialog (§12.2.1.2).
    ///
    /// # Errors
    /// [`DialogError::Mismatch`] for a response of another dialog, or a malformed header.
    pub fn handle_response(&mut self, response: &SipMessage) -> Result<(), DialogError> {
        self.check_response(response)?;
        let status = response.status().map_or(0, |s| s.code());
        let method = response.cseq()?.method;
        if matches!(status, 408 | 481) {
            self.terminate();
            return Ok(());
        }
        let early = self.state == DialogState::Early;
        match status {
            101..=199 if early && method == Method::Invite => {
                if let Some(t) = contact_uri(response)? {
                    self.remote_target = t;
                }
            }
            200..=299 if early && method == Method::Invite => {
                if self.role == DialogRole::Uac {
                    let mut routes = record_routes(response)?;
                    routes.reverse();
                    self.route_set = routes;
                }
                if let Some(t) = contact_uri(response)? {
                    self.remote_target = t;
                }
                self.state = DialogState::Confirmed;
            }
            200..=299 if is_target_refresh(&method) => {
                if let Some(t) = contact_uri(response)? {
                    self.remote_target = t;
                }
            }
            300..=699 if early && method == Method::Invite && self.role == DialogRole::Uac => {
                self.terminate();
            }
            _ => return Ok(()),
        }
        self.render();
        Ok(())
    }

    /// Checks and applies a request the peer sent in this dialog (RFC 3261 §12.2.2):
    ///
    /// * the Call-ID and tags must be this dialog's ([`DialogError::Mismatch`]: 481);
    /// * except for ACK and CANCEL (which reuse the INVITE's number), the CSeq must be above
    ///   the last one received ([`DialogError::CSeqOutOfOrder`]: answer 500); it becomes the
    ///   remote CSeq. An equal number is refused too: the transaction layer has absorbed
    ///   retransmissions already, so a new request reusing a number is out of order;
    /// * a target refresh request (re-INVITE, UPDATE, SUBSCRIBE, NOTIFY) with a Contact
    ///   replaces the remote target.
    ///
    /// [`DialogError::response_status`] gives the status to answer a refused request with.
    ///
    /// # Errors
    /// As listed above, or a malformed header (400).
    pub fn receive_request(&mut self, request: &SipMessage) -> Result<(), DialogError> {
        if request.call_id()? != self.id.call_id
            || request.to_tag() != Some(self.id.local_tag.as_str())
            || request.from_tag().unwrap_or("") != self.id.remote_tag
        {
            return Err(DialogError::Mismatch);
        }
        let cseq = request.cseq()?;
        if matches!(cseq.method, Method::Ack | Method::Cancel) {
            return Ok(());
        }
        if let Some(last) = self.remote_seq
            && cseq.seq <= last
        {
            return Err(DialogError::CSeqOutOfOrder {
                received: cseq.seq,
                last,
            });
        }
        if self.state == DialogState::Terminated {
            return Err(DialogError::Terminated);
        }
        self.remote_seq = Some(cseq.seq);
        if is_target_refresh(&cseq.method)
            && let Some(t) = contact_uri(request)?
        {
            self.remote_target = t;
            self.render();
        }
        Ok(())
    }
}

/// The parts of a request sent **outside** a dialog (RFC 3261 §8.1.1): an initial INVITE,
/// an out-of-dialog MESSAGE or OPTIONS. [`RequestTemplate::new`] picks a fresh Call-ID,
/// From tag and initial CSeq; [`request`](RequestTemplate::request) starts each request
/// (a new Via branch every time, the next CSeq). Send the INVITE, answer a 401/407 with
/// [`crate::auth`], then create the [`Dialog`] from the INVITE as finally sent and its
/// 1xx/2xx ([`Dialog::new_uac`]; each forked 2xx with its own To tag is its own dialog).
///
/// ```
/// use sip_message::{Host, Method, NameAddr, Transport, Uri};
/// use voip::dialog::{RequestTemplate, SentBy};
///
/// let me = Uri::parse("sip:alice@127.0.0.1")?.into_owned();
/// let bob = Uri::parse("sip:bob@127.0.0.1:5064")?.into_owned();
/// let sent_by = SentBy::new(Transport::Udp, Host::parse("127.0.0.1")?.into_owned(), Some(5062));
/// let mut call = RequestTemplate::new(bob.clone(), NameAddr::new(me), NameAddr::new(bob), sent_by);
/// call.contact = Some(NameAddr::new(Uri::parse("sip:alice@127.0.0.1:5062")?.into_owned()));
/// let invite = call.request(Method::Invite)?.build()?;
/// assert_eq!(invite.to_tag(), None);
/// assert_eq!(invite.from_tag(), Some(call.from_tag.as_str()));
/// assert!(invite.contact().is_some());
/// let options = call.request(Method::Options)?.build()?;
/// assert_eq!(options.cseq()?.seq, invite.cseq()?.seq + 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestTemplate {
    /// Request-URI (and To URI, usually).
    pub request_uri: Uri<'static>,
    /// From, without tag (the tag is [`from_tag`](Self::from_tag)).
    pub from: NameAddr<'static>,
    /// To (no tag outside a dialog).
    pub to: NameAddr<'static>,
    /// Call-ID.
    pub call_id: String,
    /// From tag.
    pub from_tag: String,
    /// CSeq of the last request started (the next one gets this plus one).
    pub cseq: u32,
    /// Our Via sent-by.
    pub sent_by: SentBy,
    /// Our Contact, added to INVITE, UPDATE, REFER, SUBSCRIBE, NOTIFY and OPTIONS.
    pub contact: Option<NameAddr<'static>>,
    /// A pre-existing route set (RFC 3261 §8.1.2), e.g. an outbound proxy
    /// `<sip:proxy;lr>`; applied like a dialog's (loose or strict routing).
    pub route_set: Vec<NameAddr<'static>>,
}

impl RequestTemplate {
    /// A template with a fresh Call-ID (`@` our sent-by host), From tag and random
    /// initial CSeq below 2^31.
    pub fn new(
        request_uri: Uri<'static>,
        from: NameAddr<'static>,
        to: NameAddr<'static>,
        sent_by: SentBy,
    ) -> Self {
        let host = match &sent_by.host {
            Host::Domain(d) => d.to_string(),
            other => other.to_string(),
        };
        RequestTemplate {
            request_uri,
            from: without_tag(from),
            to,
            call_id: new_call_id(&host),
            from_tag: new_tag(),
            cseq: random_cseq() - 1,
            sent_by,
            contact: None,
            route_set: Vec::new(),
        }
    }

    /// Where to send: the first route, else the Request-URI.
    pub fn next_hop(&self) -> NextHop {
        let uri = self
            .route_set
            .first()
            .map_or_else(|| self.request_uri.clone(), |r| r.uri.clone());
        NextHop::for_uri(uri, self.sent_by.transport.clone(), false)
    }

    /// Starts the next request: Via with a new branch, Max-Forwards 70, Route, From with
    /// tag, To, Call-ID, the next CSeq, Contact where the method needs one. ACK and CANCEL
    /// are refused (the transaction layer builds them from the INVITE).
    ///
    /// # Errors
    /// [`DialogError::InvalidMethod`], [`DialogError::CSeqExhausted`], or a value that
    /// cannot be serialized.
    pub fn request(&mut self, method: Method) -> Result<RequestBuilder, DialogError> {
        if matches!(method, Method::Ack | Method::Cancel) {
            return Err(DialogError::InvalidMethod(method));
        }
        let seq = self.cseq.checked_add(1).ok_or(DialogError::CSeqExhausted)?;
        let strict = self
            .route_set
            .first()
            .is_some_and(|r| r.uri.as_sip().is_some_and(|s| !s.params.contains("lr")));
        let (ruri, routes) = if strict {
            let mut routes = self.route_set[1..].to_vec();
            routes.push(NameAddr::new(self.request_uri.clone()));
            (request_uri_form(&self.route_set[0].uri), routes)
        } else {
            (request_uri_form(&self.request_uri), self.route_set.clone())
        };
        let contact = needs_contact(&method);
        let mut b = RequestBuilder::new(method, &ruri)
            .via(&self.sent_by.via(&new_branch())?)
            .max_forwards(MAX_FORWARDS);
        for r in &routes {
            b = b.header(&HeaderName::Route, r);
        }
        let from = self.from.clone().with_param("tag", Some(&self.from_tag))?;
        b = b.from(&from).to(&self.to).call_id(&self.call_id).cseq(seq);
        if contact && let Some(c) = &self.contact {
            b = b.header(&HeaderName::Contact, c);
        }
        self.cseq = seq;
        Ok(b)
    }
}

/// Whether a response to this method can create a dialog (RFC 3261 §12.1, RFC 6665, RFC
/// 3515): INVITE, SUBSCRIBE, REFER, and NOTIFY (which may arrive before the SUBSCRIBE's 2xx).
pub fn creates_dialog(method: &Method) -> bool {
    matches!(
        method,
        Method::Invite | Method::Subscribe | Method::Refer | Method::Notify
    )
}

/// Starts our response to a received request (RFC 3261 §8.2.6): Via, From, To, Call-ID and
/// CSeq copied; `local_tag` added to To unless the request's To has a tag already, or the
/// status is 100 (§8.2.6.2); for 101-299 responses to a dialog-forming request
/// ([`creates_dialog`]) every Record-Route value copied in order (§12.1.1, done by
/// [`SipMessage::response`]); `contact`
/// added when given (mandatory in 18x/2xx to INVITE). Add a body or headers, then `build()`.
///
/// ```
/// use sip_message::{Bytes, Contact, NameAddr, SipMessage, SipStatus, Uri};
/// use voip::dialog::uas_response;
///
/// let invite = SipMessage::parse(Bytes::from_static(
///     b"INVITE sip:bob@127.0.0.1 SIP/2.0\r\n\
///       Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKp1\r\n\
///       Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1\r\n\
///       Record-Route: <sip:127.0.0.1:5070;lr>\r\n\
///       From: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:bob@127.0.0.1>\r\n\
///       Call-ID: c1\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@127.0.0.1:5062>\r\n\
///       Content-Length: 0\r\n\r\n",
/// ))?;
/// let me = Contact::Address(NameAddr::new(Uri::parse("sip:bob@127.0.0.1:5064")?));
/// let ringing = uas_response(&invite, SipStatus::RINGING, "b2", Some(&me)).build()?;
/// assert_eq!(ringing.to_tag(), Some("b2"));
/// assert_eq!(ringing.record_routes().count(), 1);
/// assert_eq!(ringing.vias().count(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn uas_response(
    request: &SipMessage,
    status: SipStatus,
    local_tag: &str,
    contact: Option<&Contact<'_>>,
) -> ResponseBuilder {
    let mut b = request.response(status);
    let code = status.code();
    if code != 100 {
        b = b.to_tag(local_tag);
    }
    // Record-Route is copied by `SipMessage::response` itself for exactly these responses
    // (101-299 to a request that `creates_dialog`), in order, byte for byte.
    if let Some(c) = contact {
        b = b.contact(c);
    }
    b
}

// ----- identifiers -----

/// 64 unpredictable bits: SipHash (a keyed pseudo-random function) of a counter under a
/// key the standard library draws from the operating system's random source once per
/// process. As unguessable as the OS source for anyone without the key, and ~50 times
/// cheaper than a `getrandom` system call per branch.
fn random_u64() -> u64 {
    static KEY: OnceLock<RandomState> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    KEY.get_or_init(RandomState::new)
        .hash_one(COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// A new Via branch: the RFC 3261 magic cookie `z9hG4bK` followed by 64 random bits in hex.
pub fn new_branch() -> String {
    format!("{BRANCH_MAGIC_COOKIE}{:016x}", random_u64())
}

/// A new From/To tag: 64 random bits in hex (RFC 3261 §19.3 asks for at least 32).
pub fn new_tag() -> String {
    format!("{:016x}", random_u64())
}

/// A new Call-ID: 128 random bits in hex, `@host` appended when `host` is not empty (the
/// host must be Call-ID `word` characters, as IP addresses and host names are).
pub fn new_call_id(host: &str) -> String {
    let id = format!("{:016x}{:016x}", random_u64(), random_u64());
    if host.is_empty() {
        id
    } else {
        format!("{id}@{host}")
    }
}

/// A random initial CSeq number in 1..2^31 (RFC 3261 §8.1.1.5).
pub fn random_cseq() -> u32 {
    (random_u64() % 0x7fff_ffff) as u32 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_have_the_right_shape_and_differ() {
        let a = new_branch();
        assert!(a.starts_with("z9hG4bK") && a.len() == 23);
        assert_ne!(a, new_branch());
        assert_ne!(new_tag(), new_tag());
        let c = new_call_id("127.0.0.1");
        assert!(c.ends_with("@127.0.0.1") && c.len() == 32 + 10);
        assert!(!new_call_id("").contains('@'));
        for _ in 0..100 {
            let s = random_cseq();
            assert!((1..1 << 31).contains(&s));
        }
    }

    #[test]
    fn transport_selection() {
        let t = |u: &str, secure| {
            transport_of(&Uri::parse(u).unwrap().into_owned(), Transport::Udp, secure)
        };
        assert_eq!(t("sip:a@127.0.0.1", false), Transport::Udp);
        assert_eq!(t("sip:a@127.0.0.1;transport=TCP", false), Transport::Tcp);
        assert_eq!(t("sips:a@127.0.0.1", false), Transport::Tls);
        assert_eq!(t("sips:a@127.0.0.1;transport=tcp", false), Transport::Tls);
        assert_eq!(t("sip:a@127.0.0.1", true), Transport::Tls);
    }
}
