//! Messages the layer writes itself: the ACK of a non-2xx final response (RFC 3261
//! §17.1.1.3), CANCEL (§9.1), `100 Trying` (§17.2.1) and the stateless `503` of a full
//! layer.

use bytes::{BufMut, BytesMut};
use sip_message::{HeaderName, SipMessage, SipStatus};
use std::fmt::Write;

/// Writes `method` built from `invite`: the same Request-URI, one Via (the INVITE's top
/// Via, so the same branch), Max-Forwards, Route, From and Call-ID copied, `to` as the To
/// value, CSeq with the INVITE's number and `method`, no body. This is the shape of both
/// the ACK of a non-2xx (§17.1.1.3, `to` from the response) and CANCEL (§9.1, `to` from
/// the INVITE).
fn from_invite(
    invite: &SipMessage,
    method: &str,
    to: &[u8],
) -> Result<SipMessage, sip_message::Error> {
    let ruri = invite
        .request_uri_str()
        .ok_or(sip_message::Error::Build("the INVITE has no Request-URI"))?;
    let via = invite.via()?;
    let seq = invite.cseq()?.seq;
    let mut buf = BytesMut::with_capacity(invite.as_bytes().len().min(4096) + 64);
    let _ = write!(buf, "{method} {ruri} SIP/2.0\r\nVia: {via}\r\n");
    let mut has_max_forwards = false;
    let mut wrote_to = false;
    for h in invite.headers() {
        let name = h.name();
        match name {
            HeaderName::MaxForwards | HeaderName::Route | HeaderName::From | HeaderName::CallId => {
                has_max_forwards |= name == HeaderName::MaxForwards;
                put_header(&mut buf, name.as_str(), h.value());
            }
            HeaderName::To if !wrote_to => {
                put_header(&mut buf, "To", to);
                wrote_to = true;
            }
            _ => {}
        }
    }
    if !wrote_to {
        put_header(&mut buf, "To", to);
    }
    if !has_max_forwards {
        buf.put_slice(b"Max-Forwards: 70\r\n");
    }
    let _ = write!(buf, "CSeq: {seq} {method}\r\nContent-Length: 0\r\n\r\n");
    SipMessage::parse(buf.freeze())
}

fn put_header(buf: &mut BytesMut, name: &str, value: &[u8]) {
    buf.put_slice(name.as_bytes());
    buf.put_slice(b": ");
    buf.put_slice(value);
    buf.put_slice(b"\r\n");
}

/// The ACK for a non-2xx final `response` to `invite` (RFC 3261 §17.1.1.3).
pub(crate) fn ack_for_non_2xx(
    invite: &SipMessage,
    response: &SipMessage,
) -> Result<SipMessage, sip_message::Error> {
    let to = response
        .header(&HeaderName::To)
        .ok_or(sip_message::Error::Build("the response has no To"))?;
    from_invite(invite, "ACK", to)
}

/// The CANCEL of `invite` (RFC 3261 §9.1).
pub(crate) fn cancel_for(invite: &SipMessage) -> Result<SipMessage, sip_message::Error> {
    let to = invite
        .header(&HeaderName::To)
        .ok_or(sip_message::Error::Build("the INVITE has no To"))?;
    from_invite(invite, "CANCEL", to)
}

/// `100 Trying` for `request` (Timestamp copied by the builder, no To tag).
pub(crate) fn trying(request: &SipMessage) -> Result<SipMessage, sip_message::Error> {
    request.response(SipStatus::TRYING).build()
}

/// The stateless `503 Service Unavailable` sent when the layer is full.
pub(crate) fn service_unavailable(
    request: &SipMessage,
    to_tag: &str,
) -> Result<SipMessage, sip_message::Error> {
    request
        .response(SipStatus::SERVICE_UNAVAILABLE)
        .reason("Too Many Transactions")
        .to_tag(to_tag)
        .build()
}
