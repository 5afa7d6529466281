//! Helpers shared by the transaction-layer tests: message factories and a fake clock
//! driver (the time is an `Instant` the test advances; nothing sleeps).
#![allow(dead_code, unreachable_pub)]

use bytes::Bytes;
use sip_message::{SipMessage, SipStatus};
use std::time::{Duration, Instant};
use voip::transaction::{Target, TransactionEvent, TransactionLayer, Transmit};

pub fn peer() -> Target {
    Target::udp("127.0.0.1:5070".parse().unwrap())
}

pub fn peer_tcp() -> Target {
    Target::tcp("127.0.0.1:5070".parse().unwrap())
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub fn parse(s: &str) -> SipMessage {
    SipMessage::parse(Bytes::from(s.to_owned())).unwrap()
}

/// A request as a UAC at 127.0.0.1:5060 sends it, with two Route headers.
pub fn request(method: &str, branch: &str, seq: u32) -> SipMessage {
    parse(&format!(
        "{method} sip:bob@127.0.0.1:5070 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:5060;branch={branch};rport\r\n\
         Max-Forwards: 70\r\n\
         Route: <sip:p1.example.com;lr>\r\n\
         Route: <sip:p2.example.com;lr>\r\n\
         From: \"Alice\" <sip:alice@127.0.0.1>;tag=from1\r\n\
         To: <sip:bob@127.0.0.1>\r\n\
         Call-ID: call-{branch}@127.0.0.1\r\n\
         CSeq: {seq} {method}\r\n\
         Contact: <sip:alice@127.0.0.1:5060>\r\n\
         Content-Length: 0\r\n\r\n"
    ))
}

pub fn invite(branch: &str) -> SipMessage {
    request("INVITE", branch, 1)
}

/// A response to `req` with a To tag.
pub fn response(req: &SipMessage, code: u16, to_tag: &str) -> SipMessage {
    req.response(SipStatus::new(code).unwrap())
        .to_tag(to_tag)
        .build()
        .unwrap()
}

/// An ACK for a 2xx as the UAC's dialog would send it: a new branch, the dialog's tags.
pub fn ack_for_2xx(invite: &SipMessage, branch: &str, to_tag: &str) -> SipMessage {
    parse(&format!(
        "ACK sip:bob@127.0.0.1:5070 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:5060;branch={branch}\r\n\
         Max-Forwards: 70\r\n\
         From: \"Alice\" <sip:alice@127.0.0.1>;tag=from1\r\n\
         To: <sip:bob@127.0.0.1>;tag={to_tag}\r\n\
         Call-ID: {}\r\n\
         CSeq: {} ACK\r\n\
         Content-Length: 0\r\n\r\n",
        invite.call_id().unwrap(),
        invite.cseq().unwrap().seq
    ))
}

pub fn drain(layer: &mut TransactionLayer) -> Vec<Transmit> {
    std::iter::from_fn(|| layer.poll_transmit()).collect()
}

pub fn events(layer: &mut TransactionLayer) -> Vec<TransactionEvent> {
    std::iter::from_fn(|| layer.poll_event()).collect()
}

/// Transmissions with their time offsets.
pub type Sent = Vec<(Duration, Transmit)>;
/// Events with their time offsets.
pub type Events = Vec<(Duration, TransactionEvent)>;

/// Runs the timers until `end` inclusive, jumping from deadline to deadline as
/// a driver would; returns every transmission with its time offset from `t0`, and the
/// events with theirs.
pub fn run_until(layer: &mut TransactionLayer, t0: Instant, end: Instant) -> (Sent, Events) {
    let mut sent = Vec::new();
    let mut evs = Vec::new();
    while let Some(at) = layer.poll_timeout() {
        if at > end {
            break;
        }
        layer.handle_timeout(at);
        assert!(
            layer.poll_timeout().is_none_or(|next| next > at),
            "a timer is still due after handle_timeout"
        );
        sent.extend(drain(layer).into_iter().map(|t| (at - t0, t)));
        evs.extend(events(layer).into_iter().map(|e| (at - t0, e)));
    }
    (sent, evs)
}

/// Offsets in milliseconds.
pub fn offsets_ms(sent: &[(Duration, Transmit)]) -> Vec<u128> {
    sent.iter().map(|(d, _)| d.as_millis()).collect()
}

pub fn text(t: &Transmit) -> String {
    String::from_utf8_lossy(&t.bytes).into_owned()
}
