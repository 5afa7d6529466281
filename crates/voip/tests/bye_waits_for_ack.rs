//! RFC 3261 §15 / §13.3.1.4: the callee must not send BYE on a confirmed dialog until the
//! caller ACKed its 2xx, or the 2xx's retransmissions gave up. Found against SIPp's `uac`
//! scenario: our BYE left 0.2 ms after our 200, before the ACK.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use bytes::Bytes;
use sip_message::{Method, SipMessage};
use voip::core::{CallKey, CallState, CoreConfig, CoreEvent, EndReason, UaCore};
use voip::transaction::Target;

fn alice() -> Target {
    Target::udp("127.0.0.1:5062".parse().unwrap())
}

fn bob() -> UaCore {
    UaCore::new(CoreConfig::peer_to_peer(
        "bob",
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        5064,
    ))
}

fn sent(core: &mut UaCore) -> Vec<SipMessage> {
    let mut v = Vec::new();
    while let Some(t) = core.poll_transmit() {
        v.push(SipMessage::parse(t.bytes).unwrap());
    }
    v
}

fn events(core: &mut UaCore) -> Vec<CoreEvent> {
    let mut v = Vec::new();
    while let Some(e) = core.poll_event() {
        v.push(e);
    }
    v
}

fn byes(out: &[SipMessage]) -> usize {
    out.iter()
        .filter(|m| m.method() == Some(Method::Bye))
        .count()
}

const OFFER: &str = "v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=sendrecv\r\n";

fn request(method: &str, call_id: &str, to_tag: Option<&str>, cseq: u32, body: &str) -> SipMessage {
    let tag = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
    let ct = if body.is_empty() {
        ""
    } else {
        "Content-Type: application/sdp\n"
    };
    let branch = if method == "ACK" {
        format!("ack-{cseq}")
    } else {
        format!("{method}-{cseq}")
    };
    let mut m = format!(
        "{method} sip:bob@127.0.0.1:5064 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-{call_id}-{branch};rport
Max-Forwards: 70
From: <sip:alice@127.0.0.1:5062>;tag=at
To: <sip:bob@127.0.0.1:5064>{tag}
Call-ID: {call_id}
CSeq: {cseq} {method}
Contact: <sip:alice@127.0.0.1:5062>
{ct}Content-Length: {}

",
        body.len()
    )
    .replace('\n', "\r\n");
    m.push_str(body);
    SipMessage::parse(Bytes::from(m)).unwrap()
}

/// Bob answers an INVITE (with `body` as offer): the call key and our To tag.
fn answered(core: &mut UaCore, now: Instant, call_id: &str, body: &str) -> (CallKey, String) {
    core.handle_incoming(now, request("INVITE", call_id, None, 10, body), alice());
    let ringing = sent(core).pop().unwrap();
    let tag = ringing.to_tag().unwrap().to_owned();
    let call = events(core)
        .into_iter()
        .find_map(|e| match e {
            CoreEvent::IncomingCall { call, .. } => Some(call),
            _ => None,
        })
        .unwrap();
    core.answer(now, call, 30000).unwrap();
    let out = sent(core);
    assert_eq!(out.last().unwrap().status().unwrap().code(), 200);
    events(core);
    (call, tag)
}

#[test]
fn hangup_before_the_ack_holds_the_bye_until_the_ack() {
    let mut core = bob();
    let t0 = Instant::now();
    let (call, tag) = answered(&mut core, t0, "h1", OFFER);

    core.hangup(t0, call).unwrap();
    assert_eq!(byes(&sent(&mut core)), 0, "no BYE before the ACK");
    assert_eq!(core.call_state(call), Some(CallState::Ended));
    assert!(events(&mut core).iter().any(|e| matches!(
        e,
        CoreEvent::StateChanged {
            state: CallState::Ended,
            reason: Some(EndReason::LocalHangup),
            ..
        }
    )));
    assert_eq!(core.pending_requests(), 1, "a stopping phone waits for it");

    // The 2xx is still retransmitted meanwhile (the caller has not got it).
    core.handle_timeout(t0 + Duration::from_millis(500));
    let out = sent(&mut core);
    assert_eq!(byes(&out), 0);
    assert!(out.iter().any(|m| m.is_response()), "2xx retransmitted");

    let t1 = t0 + Duration::from_millis(700);
    core.handle_incoming(t1, request("ACK", "h1", Some(&tag), 10, ""), alice());
    let out = sent(&mut core);
    assert_eq!(byes(&out), 1, "BYE right after the ACK: {out:?}");
    let bye = out
        .iter()
        .find(|m| m.method() == Some(Method::Bye))
        .unwrap();
    assert_eq!(bye.call_id().unwrap(), "h1");
    assert_eq!(bye.from_tag(), Some(tag.as_str()));
    assert!(
        !events(&mut core)
            .iter()
            .any(|e| matches!(e, CoreEvent::MediaNegotiated { .. })),
        "nothing more happens to the ended call"
    );

    // A retransmitted ACK does not send another BYE.
    core.handle_incoming(t1, request("ACK", "h1", Some(&tag), 10, ""), alice());
    assert_eq!(byes(&sent(&mut core)), 0);
}

#[test]
fn hangup_after_the_ack_sends_the_bye_at_once() {
    let mut core = bob();
    let t0 = Instant::now();
    let (call, tag) = answered(&mut core, t0, "h2", OFFER);
    core.handle_incoming(t0, request("ACK", "h2", Some(&tag), 10, ""), alice());
    sent(&mut core);
    core.hangup(t0, call).unwrap();
    assert_eq!(byes(&sent(&mut core)), 1);
}

#[test]
fn a_held_bye_goes_out_when_the_2xx_is_never_acked() {
    let mut core = bob();
    let t0 = Instant::now();
    let (call, _) = answered(&mut core, t0, "h3", OFFER);
    core.hangup(t0, call).unwrap();
    let mut seen = std::collections::HashSet::new();
    let mut t = t0;
    // Step through the 2xx retransmissions up to 64*T1 (32 s).
    while t < t0 + Duration::from_secs(33) {
        t += Duration::from_millis(250);
        core.handle_timeout(t);
        let out = sent(&mut core);
        if byes(&out) > 0 {
            assert!(
                t >= t0 + Duration::from_secs(32),
                "BYE at {:?}, before the 2xx gave up",
                t - t0
            );
        }
        // Retransmissions of the BYE are byte-identical: count distinct BYEs.
        seen.extend(
            out.iter()
                .filter(|m| m.method() == Some(Method::Bye))
                .map(|m| m.as_bytes().to_vec()),
        );
    }
    assert_eq!(seen.len(), 1, "exactly one BYE after NoAck");
    // The call ended once, with our hang-up as the reason.
    let ends = events(&mut core)
        .into_iter()
        .filter(|e| {
            matches!(
                e,
                CoreEvent::StateChanged {
                    state: CallState::Ended,
                    ..
                }
            )
        })
        .count();
    assert_eq!(ends, 1);
}

#[test]
fn an_unacked_2xx_without_hangup_still_ends_with_bye_on_timeout() {
    let mut core = bob();
    let t0 = Instant::now();
    let (call, _) = answered(&mut core, t0, "h4", OFFER);
    let t = t0 + Duration::from_secs(40);
    let mut step = t0;
    let mut bye = std::collections::HashSet::new();
    while step < t {
        step += Duration::from_millis(500);
        core.handle_timeout(step);
        bye.extend(
            sent(&mut core)
                .iter()
                .filter(|m| m.method() == Some(Method::Bye))
                .map(|m| m.as_bytes().to_vec()),
        );
    }
    assert_eq!(bye.len(), 1);
    assert!(events(&mut core).iter().any(|e| matches!(
        e,
        CoreEvent::StateChanged {
            call: c,
            state: CallState::Ended,
            reason: Some(EndReason::Timeout),
            ..
        } if *c == call
    )));
}

#[test]
fn shutdown_before_the_ack_also_waits_for_it() {
    let mut core = bob();
    let t0 = Instant::now();
    let (call, tag) = answered(&mut core, t0, "h5", OFFER);
    core.shutdown_calls(t0);
    assert_eq!(byes(&sent(&mut core)), 0);
    assert_eq!(core.call_state(call), Some(CallState::Ended));
    assert_eq!(core.pending_requests(), 1);
    core.handle_incoming(t0, request("ACK", "h5", Some(&tag), 10, ""), alice());
    assert_eq!(byes(&sent(&mut core)), 1);
}
