//! Helpers shared by the sans-IO UA-core tests: a scripted peer "alice" at
//! 127.0.0.1:5062 talking to the core under test, "bob" at 127.0.0.1:5064; message
//! factories; drains of what the core sent and reported. Time is an `Instant` the tests
//! advance; nothing sleeps and no socket is opened.
#![allow(dead_code, unreachable_pub)]

use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

use bytes::Bytes;
use sip_message::SipMessage;
use voip::core::{CallKey, CallState, CoreConfig, CoreEvent, UaCore};
use voip::transaction::Target;

/// Where the scripted peer sends from.
pub const ALICE: &str = "127.0.0.1:5062";

/// The scripted peer's address, over UDP.
pub fn alice() -> Target {
    Target::udp(ALICE.parse().unwrap())
}

/// The core under test: user `bob`, peer to peer on 127.0.0.1:5064.
pub fn bob() -> UaCore {
    UaCore::new(CoreConfig::peer_to_peer(
        "bob",
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        5064,
    ))
}

/// Parses `text` written with `\n` line ends (they become `\r\n`).
pub fn msg(text: &str) -> SipMessage {
    SipMessage::parse(Bytes::from(text.replace('\n', "\r\n"))).unwrap()
}

/// Everything the core has to send, parsed.
pub fn sent(core: &mut UaCore) -> Vec<SipMessage> {
    let mut v = Vec::new();
    while let Some(t) = core.poll_transmit() {
        v.push(SipMessage::parse(t.bytes).unwrap());
    }
    v
}

/// Every event the core queued.
pub fn events(core: &mut UaCore) -> Vec<CoreEvent> {
    let mut v = Vec::new();
    while let Some(e) = core.poll_event() {
        v.push(e);
    }
    v
}

/// A response's status code.
pub fn code(m: &SipMessage) -> u16 {
    m.status().unwrap().code()
}

/// The text of a message (start line, headers and body).
pub fn text(m: &SipMessage) -> String {
    String::from_utf8_lossy(m.as_bytes()).into_owned()
}

/// Alice's usual offer: PCMU, PCMA, telephone-event 101, sendrecv.
pub const OFFER: &str = "v=0
o=alice 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 40000 RTP/AVP 0 8 101
a=rtpmap:101 telephone-event/8000
a=sendrecv
";

/// A request from alice to bob in call `call_id` (`to_tag`: in a dialog), with `body`
/// (`\n` or `\r\n` line ends; SDP unless `extra` has a `Content-Type`) and `extra` headers
/// (`\n`-terminated lines). The
/// branch is unique per call, method and CSeq; an INVITE outside a dialog gets
/// `z9hG4bK-{call_id}` (a CANCEL for it reuses that).
pub fn request(
    method: &str,
    call_id: &str,
    to_tag: Option<&str>,
    cseq: u32,
    body: &str,
    extra: &str,
) -> SipMessage {
    let tag = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
    let body = body.replace("\r\n", "\n").replace('\n', "\r\n");
    // SDP unless `extra` names another Content-Type.
    let ct = if body.is_empty() || extra.to_ascii_lowercase().contains("content-type:") {
        ""
    } else {
        "Content-Type: application/sdp\n"
    };
    let branch = if method == "INVITE" && to_tag.is_none() {
        call_id.to_owned()
    } else {
        format!("{call_id}-{method}-{cseq}")
    };
    let mut m = format!(
        "{method} sip:bob@127.0.0.1:5064 SIP/2.0
Via: SIP/2.0/UDP {ALICE};branch=z9hG4bK-{branch};rport
Max-Forwards: 70
From: <sip:alice@{ALICE}>;tag=at
To: <sip:bob@127.0.0.1:5064>{tag}
Call-ID: {call_id}
CSeq: {cseq} {method}
Contact: <sip:alice@{ALICE}>
{extra}{ct}Content-Length: {}

",
        body.len()
    )
    .replace('\n', "\r\n");
    m.push_str(&body);
    SipMessage::parse(Bytes::from(m)).unwrap()
}

/// A new INVITE (CSeq 10) from alice, `body` its offer or empty (delayed offer).
pub fn invite(call_id: &str, body: &str) -> SipMessage {
    request("INVITE", call_id, None, 10, body, "")
}

/// A request in the dialog with bob's tag `to_tag`.
pub fn in_dialog(
    method: &str,
    call_id: &str,
    to_tag: &str,
    cseq: u32,
    body: &str,
    extra: &str,
) -> SipMessage {
    request(method, call_id, Some(to_tag), cseq, body, extra)
}

/// Bob rings for `inv` (100, then 180 with his tag and Contact): the call and the 180.
pub fn ring(core: &mut UaCore, now: Instant, inv: SipMessage) -> (CallKey, SipMessage) {
    core.handle_incoming(now, inv, alice());
    let out = sent(core);
    assert_eq!(out.iter().map(code).collect::<Vec<_>>(), [100, 180]);
    let ringing = out[1].clone();
    assert!(ringing.to_tag().is_some());
    let ev = events(core);
    let Some(CoreEvent::IncomingCall { call, .. }) = ev.first() else {
        panic!("{ev:?}")
    };
    assert_eq!(core.call_state(*call), Some(CallState::Ringing));
    (*call, ringing)
}

/// Alice's response with `status` ("200 OK") to `req` (bob's request), her To tag
/// `to_tag`, `extra` headers and `body` as SDP.
pub fn respond(
    req: &SipMessage,
    status: &str,
    to_tag: Option<&str>,
    extra: &str,
    body: &str,
) -> SipMessage {
    let mut s = format!("SIP/2.0 {status}\n");
    for v in req.vias() {
        s.push_str(&format!("Via: {}\n", v.unwrap()));
    }
    let to = req.to().unwrap().to_string();
    let to = match to_tag {
        Some(t) => format!("{to};tag={t}"),
        None => to,
    };
    s.push_str(&format!(
        "From: {}\nTo: {to}\nCall-ID: {}\nCSeq: {}\n{extra}",
        req.from().unwrap(),
        req.call_id().unwrap(),
        req.cseq().unwrap()
    ));
    if !body.is_empty() {
        s.push_str("Content-Type: application/sdp\n");
    }
    s.push_str(&format!(
        "Content-Length: {}\n\n{body}",
        body.replace('\n', "\r\n").len()
    ));
    msg(&s)
}

/// The call of the `IncomingCall` among `events`.
pub fn incoming_call(events: Vec<CoreEvent>) -> CallKey {
    events
        .into_iter()
        .find_map(|e| match e {
            CoreEvent::IncomingCall { call, .. } => Some(call),
            _ => None,
        })
        .expect("an IncomingCall event")
}

/// The host of a message's Contact URI.
pub fn contact_host(m: &SipMessage) -> String {
    m.contact()
        .unwrap()
        .unwrap()
        .uri()
        .unwrap()
        .as_sip()
        .unwrap()
        .host
        .to_string()
}
