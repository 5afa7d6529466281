//! The sans-IO UA core against a scripted peer, with a fake clock: every message it sends
//! is checked on the wire.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use bytes::Bytes;
use credentials::CredentialsManager;
use rtp_core::TransmitType;
use sip_message::{HeaderName, Method, SipMessage};
use voip::core::{CallState, CoreConfig, CoreEvent, EndReason, UaCore};
use voip::transaction::Target;

mod core_support;
use core_support::*;

#[test]
fn options_unknown_methods_and_unknown_dialogs() {
    let mut core = bob();
    let now = Instant::now();
    core.handle_incoming(
        now,
        msg("OPTIONS sip:bob@127.0.0.1:5064 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKo1
From: <sip:pbx@127.0.0.1>;tag=p
To: <sip:bob@127.0.0.1:5064>
Call-ID: o1
CSeq: 1 OPTIONS
Content-Length: 0

"),
        alice(),
    );
    let r = sent(&mut core);
    assert_eq!(code(&r[0]), 200);
    let allow: Vec<&str> = r[0].allow().map(|a| a.unwrap()).collect();
    for m in [
        "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "MESSAGE", "REFER", "NOTIFY", "UPDATE",
    ] {
        assert!(allow.contains(&m), "{m} in {allow:?}");
    }
    assert!(
        r[0].header_str(&HeaderName::Accept)
            .unwrap()
            .contains("application/sdp")
    );
    assert!(r[0].header(&HeaderName::Supported).is_some());

    core.handle_incoming(
        now,
        msg("SUBSCRIBE sip:bob@127.0.0.1:5064 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKs1
From: <sip:pbx@127.0.0.1>;tag=p
To: <sip:bob@127.0.0.1:5064>
Call-ID: s1
CSeq: 1 SUBSCRIBE
Event: presence
Content-Length: 0

"),
        alice(),
    );
    let r = sent(&mut core);
    assert_eq!(code(&r[0]), 405);
    assert!(r[0].allow().count() >= 9);

    // BYE for a dialog we do not have.
    core.handle_incoming(now, in_dialog("BYE", "nope", "zz", 2, "", ""), alice());
    assert_eq!(code(&sent(&mut core)[0]), 481);
    assert!(events(&mut core).is_empty());
}

#[test]
fn ringing_then_cancel_gives_200_and_487() {
    let mut core = bob();
    let now = Instant::now();
    let inv = invite("c1", OFFER);
    let (call, _) = ring(&mut core, now, inv.clone());
    let cancel = msg("CANCEL sip:bob@127.0.0.1:5064 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-c1;rport
Max-Forwards: 70
From: <sip:alice@127.0.0.1:5062>;tag=at
To: <sip:bob@127.0.0.1:5064>
Call-ID: c1
CSeq: 10 CANCEL
Content-Length: 0

");
    core.handle_incoming(now, cancel, alice());
    let out = sent(&mut core);
    let codes: Vec<(u16, Method)> = out
        .iter()
        .map(|m| (code(m), m.cseq().unwrap().method))
        .collect();
    assert!(codes.contains(&(200, Method::Cancel)), "{codes:?}");
    assert!(codes.contains(&(487, Method::Invite)), "{codes:?}");
    assert_eq!(core.call_state(call), Some(CallState::Ended));
    assert!(events(&mut core).iter().any(|e| matches!(
        e,
        CoreEvent::StateChanged {
            state: CallState::Ended,
            reason: Some(EndReason::RemoteCanceled),
            ..
        }
    )));
    assert!(core.answer(now, call, 30000).is_err());
}

#[test]
fn unusable_offer_is_refused_with_488_before_ringing() {
    let mut core = bob();
    let g729 = OFFER
        .replace("RTP/AVP 0 8 101", "RTP/AVP 18")
        .replace("a=rtpmap:101 telephone-event/8000\n", "");
    core.handle_incoming(Instant::now(), invite("c2", &g729), alice());
    let out = sent(&mut core);
    assert_eq!(out.iter().map(code).collect::<Vec<_>>(), [488]);
    assert!(events(&mut core).is_empty());
}

#[test]
fn answer_retransmits_200_until_ack_and_bye_ends_the_call() {
    let mut core = bob();
    let t0 = Instant::now();
    let (call, ringing) = ring(&mut core, t0, invite("c3", OFFER));
    let contact = ringing.contact().unwrap().unwrap();
    assert_eq!(contact.uri().unwrap().to_string(), "sip:bob@127.0.0.1:5064");
    core.answer(t0, call, 30000).unwrap();
    let ok = sent(&mut core).pop().unwrap();
    assert_eq!(code(&ok), 200);
    let sdp = String::from_utf8_lossy(ok.body()).into_owned();
    assert!(sdp.contains("c=IN IP4 127.0.0.1"), "{sdp}");
    assert!(sdp.contains("m=audio 30000 RTP/AVP 0 101"), "{sdp}");
    let ev = events(&mut core);
    assert!(ev.iter().any(
        |e| matches!(e, CoreEvent::MediaNegotiated { media, .. } if media.remote.port() == 40000)
    ));
    // No ACK: the 2xx goes out again at T1, then 2*T1.
    core.handle_timeout(t0 + Duration::from_millis(500));
    assert_eq!(sent(&mut core).iter().map(code).collect::<Vec<_>>(), [200]);
    let tag = ringing.to_tag().unwrap().to_owned();
    core.handle_incoming(
        t0 + Duration::from_millis(600),
        in_dialog("ACK", "c3", &tag, 10, "", ""),
        alice(),
    );
    core.handle_timeout(t0 + Duration::from_millis(1600));
    assert!(
        sent(&mut core).is_empty(),
        "no retransmission after the ACK"
    );

    // Out-of-order CSeq gets 500; then the BYE ends the call.
    core.handle_incoming(
        t0 + Duration::from_secs(2),
        in_dialog("INFO", "c3", &tag, 5, "", ""),
        alice(),
    );
    assert_eq!(code(&sent(&mut core)[0]), 500);
    core.handle_incoming(
        t0 + Duration::from_secs(2),
        in_dialog("BYE", "c3", &tag, 11, "", ""),
        alice(),
    );
    assert_eq!(code(&sent(&mut core)[0]), 200);
    assert_eq!(core.call_state(call), Some(CallState::Ended));
    assert!(events(&mut core).iter().any(|e| matches!(
        e,
        CoreEvent::StateChanged {
            state: CallState::Ended,
            reason: Some(EndReason::RemoteHangup),
            ..
        }
    )));
}

#[test]
fn delayed_offer_gets_our_offer_in_the_200_and_the_answer_in_the_ack() {
    let mut core = bob();
    let now = Instant::now();
    let (call, ringing) = ring(&mut core, now, invite("c4", ""));
    core.answer(now, call, 30002).unwrap();
    let ok = sent(&mut core).pop().unwrap();
    let offer = String::from_utf8_lossy(ok.body()).into_owned();
    assert!(offer.contains("m=audio 30002 RTP/AVP 0 8 101"), "{offer}");
    assert!(!offer.contains("0.0.0.0"));
    assert!(
        !events(&mut core)
            .iter()
            .any(|e| matches!(e, CoreEvent::MediaNegotiated { .. }))
    );
    let answer = "v=0
o=alice 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 40002 RTP/AVP 8 101
a=rtpmap:101 telephone-event/8000
a=sendrecv
";
    let tag = ringing.to_tag().unwrap().to_owned();
    core.handle_incoming(now, in_dialog("ACK", "c4", &tag, 10, answer, ""), alice());
    let ev = events(&mut core);
    assert!(
        ev.iter()
            .any(|e| matches!(e, CoreEvent::MediaNegotiated { media, .. }
        if media.remote.port() == 40002 && media.codec == rtp_core::AudioCodec::Pcma)),
        "{ev:?}"
    );
}

#[test]
fn reinvite_hold_and_update_are_answered_and_applied() {
    let mut core = bob();
    let now = Instant::now();
    let (call, ringing) = ring(&mut core, now, invite("c5", OFFER));
    core.answer(now, call, 30004).unwrap();
    let tag = ringing.to_tag().unwrap().to_owned();
    core.handle_incoming(now, in_dialog("ACK", "c5", &tag, 10, "", ""), alice());
    sent(&mut core);
    events(&mut core);

    let hold = OFFER
        .replace("o=alice 1 1", "o=alice 1 2")
        .replace("a=sendrecv", "a=sendonly");
    core.handle_incoming(now, in_dialog("INVITE", "c5", &tag, 11, &hold, ""), alice());
    let ok = sent(&mut core).pop().unwrap();
    assert_eq!(code(&ok), 200);
    assert!(String::from_utf8_lossy(ok.body()).contains("a=recvonly"));
    assert!(
        events(&mut core)
            .iter()
            .any(|e| matches!(e, CoreEvent::MediaNegotiated { media, .. }
        if media.direction == TransmitType::RecvOnly))
    );
    core.handle_incoming(now, in_dialog("ACK", "c5", &tag, 11, "", ""), alice());

    let moved = OFFER
        .replace("o=alice 1 1", "o=alice 1 3")
        .replace("40000", "40010");
    core.handle_incoming(
        now,
        in_dialog("UPDATE", "c5", &tag, 12, &moved, ""),
        alice(),
    );
    let ok = sent(&mut core).pop().unwrap();
    assert_eq!(code(&ok), 200);
    assert!(String::from_utf8_lossy(ok.body()).contains("a=sendrecv"));
    assert!(
        events(&mut core)
            .iter()
            .any(|e| matches!(e, CoreEvent::MediaNegotiated { media, .. }
        if media.remote.port() == 40010 && media.direction == TransmitType::SendRecv))
    );
    assert_eq!(core.call_state(call), Some(CallState::Answered));

    // Our own hold: a re-INVITE with sendonly, answered recvonly by the peer.
    core.reinvite(now, call, TransmitType::SendOnly).unwrap();
    let re = sent(&mut core).pop().unwrap();
    assert_eq!(re.method(), Some(Method::Invite));
    assert!(String::from_utf8_lossy(re.body()).contains("a=sendonly"));
    assert_eq!(re.to_tag(), Some("at"));
}

#[test]
fn outgoing_call_with_proxy_auth_record_route_and_hangup() {
    let mut cm = CredentialsManager::new();
    cm.add("bob", "secret", None, None, None).unwrap();
    let mut cfg = CoreConfig::peer_to_peer("bob", IpAddr::V4(Ipv4Addr::LOCALHOST), 5064);
    cfg.credentials = cm;
    let mut core = UaCore::new(cfg);
    let now = Instant::now();
    let call = core
        .call(now, "sip:alice@127.0.0.1:5062", 30006, &[])
        .unwrap();
    assert_eq!(core.call_state(call), Some(CallState::Dialing));
    let inv = sent(&mut core).pop().unwrap();
    assert_eq!(inv.method(), Some(Method::Invite));
    assert!(inv.via().unwrap().rport().is_some());
    assert!(String::from_utf8_lossy(inv.body()).contains("m=audio 30006 RTP/AVP 0 8 101"));

    core.handle_incoming(
        now,
        respond(
            &inv,
            "407 Proxy Authentication Required",
            Some("px"),
            "Proxy-Authenticate: Digest realm=\"test\", nonce=\"n1\", qop=\"auth\"\n",
            "",
        ),
        alice(),
    );
    let out = sent(&mut core);
    let ack = out
        .iter()
        .find(|m| m.method() == Some(Method::Ack))
        .expect("407 ACKed");
    assert_eq!(ack.cseq().unwrap().seq, inv.cseq().unwrap().seq);
    let inv2 = out
        .iter()
        .find(|m| m.method() == Some(Method::Invite))
        .expect("retried")
        .clone();
    assert_eq!(inv2.cseq().unwrap().seq, inv.cseq().unwrap().seq + 1);
    assert_eq!(inv2.call_id().unwrap(), inv.call_id().unwrap());
    assert!(inv2.proxy_authorization().next().is_some());

    let answer = OFFER.replace("40000", "40020");
    core.handle_incoming(
        now,
        respond(
            &inv2,
            "183 Session Progress",
            Some("a1"),
            "Contact: <sip:alice@127.0.0.1:5062>\n",
            &answer,
        ),
        alice(),
    );
    let ev = events(&mut core);
    assert!(ev.iter().any(|e| matches!(e, CoreEvent::MediaNegotiated { media, .. } if media.remote.port() == 40020)), "early media: {ev:?}");
    assert_eq!(core.call_state(call), Some(CallState::Progress));

    core.handle_incoming(
        now,
        respond(
            &inv2,
            "200 OK",
            Some("a1"),
            "Record-Route: <sip:127.0.0.1:5090;lr>\nContact: <sip:alice@127.0.0.1:5062>\n",
            &answer,
        ),
        alice(),
    );
    let ack = sent(&mut core).pop().unwrap();
    assert_eq!(ack.method(), Some(Method::Ack));
    assert_eq!(ack.cseq().unwrap().seq, inv2.cseq().unwrap().seq);
    assert_eq!(ack.routes().count(), 1);
    assert_eq!(core.call_state(call), Some(CallState::Answered));

    core.hangup(now, call).unwrap();
    let bye = sent(&mut core).pop().unwrap();
    assert_eq!(bye.method(), Some(Method::Bye));
    assert_eq!(bye.to_tag(), Some("a1"));
    assert!(bye.cseq().unwrap().seq > inv2.cseq().unwrap().seq);
    assert_eq!(
        bye.routes().next().unwrap().unwrap().to_string(),
        "<sip:127.0.0.1:5090;lr>"
    );
    assert_eq!(core.call_state(call), Some(CallState::Ended));
    assert!(core.hangup(now, call).is_err());
}

#[test]
fn busy_decline_and_timeout_end_outgoing_calls_with_reasons() {
    let mut core = bob();
    let t0 = Instant::now();
    for (status, want) in [
        ("603 Decline", EndReason::Busy { status: 603 }),
        (
            "404 Not Found",
            EndReason::Rejected {
                status: 404,
                reason: "Not Found".into(),
            },
        ),
    ] {
        let call = core
            .call(t0, "sip:alice@127.0.0.1:5062", 30008, &[])
            .unwrap();
        let inv = sent(&mut core).pop().unwrap();
        core.handle_incoming(t0, respond(&inv, status, Some("x"), "", ""), alice());
        assert_eq!(core.call_state(call), Some(CallState::Ended));
        let ev = events(&mut core);
        assert!(
            ev.iter().any(
                |e| matches!(e, CoreEvent::StateChanged { reason: Some(r), .. } if *r == want)
            ),
            "{ev:?}"
        );
    }
    // No answer at all: Timer B (64*T1) ends the call.
    let call = core
        .call(t0, "sip:alice@127.0.0.1:5062", 30008, &[])
        .unwrap();
    let mut now = t0;
    while core.call_state(call) != Some(CallState::Ended) && now < t0 + Duration::from_secs(40) {
        now = core.poll_timeout().unwrap();
        core.handle_timeout(now);
    }
    assert!(now >= t0 + Duration::from_secs(32));
    assert!(events(&mut core).iter().any(|e| matches!(
        e,
        CoreEvent::StateChanged {
            reason: Some(EndReason::Timeout),
            ..
        }
    )));
}

#[test]
fn message_retried_with_credentials_and_incoming_message_delivered() {
    let mut cm = CredentialsManager::new();
    cm.add("bob", "pw", None, None, None).unwrap();
    let mut cfg = CoreConfig::peer_to_peer("bob", IpAddr::V4(Ipv4Addr::LOCALHOST), 5064);
    cfg.credentials = cm;
    let mut core = UaCore::new(cfg);
    let now = Instant::now();
    let id = core
        .message(now, "sip:alice@127.0.0.1:5062", "hi", "text/plain")
        .unwrap();
    let m = sent(&mut core).pop().unwrap();
    core.handle_incoming(
        now,
        respond(
            &m,
            "401 Unauthorized",
            Some("s"),
            "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\"\n",
            "",
        ),
        alice(),
    );
    let m2 = sent(&mut core).pop().unwrap();
    assert_eq!(m2.method(), Some(Method::Message));
    assert!(m2.authorization().next().is_some());
    assert_eq!(m2.body(), b"hi");
    core.handle_incoming(
        now,
        respond(&m2, "202 Accepted", Some("s"), "", ""),
        alice(),
    );
    assert!(
        events(&mut core)
            .iter()
            .any(|e| matches!(e, CoreEvent::MessageResult { id: i, status: 202 } if *i == id))
    );

    core.handle_incoming(
        now,
        msg("MESSAGE sip:bob@127.0.0.1:5064 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKm9
From: <sip:alice@127.0.0.1:5062>;tag=q
To: <sip:bob@127.0.0.1:5064>
Call-ID: m9
CSeq: 1 MESSAGE
Content-Type: text/plain
Content-Length: 5

howdy"),
        alice(),
    );
    assert_eq!(code(&sent(&mut core)[0]), 200);
    let ev = events(&mut core);
    assert!(
        ev.iter()
            .any(|e| matches!(e, CoreEvent::MessageReceived(m) if m.text() == "howdy"))
    );
}

#[test]
fn wildcard_bind_advertises_the_learned_address_never_0_0_0_0() {
    let mut core = UaCore::new(CoreConfig::peer_to_peer(
        "bob",
        IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        5064,
    ));
    let peer: IpAddr = "192.0.2.7".parse().unwrap();
    // Unknown route to a remote peer: a clear error rather than 0.0.0.0.
    assert!(
        core.call(Instant::now(), "sip:alice@192.0.2.7", 30010, &[])
            .is_err()
    );
    core.learn_local_ip(peer, "198.51.100.4".parse().unwrap());
    core.call(Instant::now(), "sip:alice@192.0.2.7", 30010, &[])
        .unwrap();
    let inv = sent(&mut core).pop().unwrap();
    let text = String::from_utf8_lossy(inv.as_bytes()).into_owned();
    assert!(!text.contains("0.0.0.0"), "{text}");
    assert!(text.contains("c=IN IP4 198.51.100.4"));
    assert_eq!(inv.via().unwrap().host.to_string(), "198.51.100.4");
    assert!(
        inv.contact()
            .unwrap()
            .unwrap()
            .uri()
            .unwrap()
            .to_string()
            .contains("198.51.100.4:5064")
    );
}

#[test]
fn refer_in_a_call_is_accepted_and_reported_by_notify() {
    let mut core = bob();
    let now = Instant::now();
    let (call, ringing) = ring(&mut core, now, invite("c6", OFFER));
    core.answer(now, call, 30012).unwrap();
    let tag = ringing.to_tag().unwrap().to_owned();
    core.handle_incoming(now, in_dialog("ACK", "c6", &tag, 10, "", ""), alice());
    sent(&mut core);
    events(&mut core);
    core.handle_incoming(
        now,
        in_dialog(
            "REFER",
            "c6",
            &tag,
            11,
            "",
            "Refer-To: <sip:carol@127.0.0.1:5066>\n",
        ),
        alice(),
    );
    let out = sent(&mut core);
    assert_eq!(code(&out[0]), 202);
    let notify = out
        .iter()
        .find(|m| m.method() == Some(Method::Notify))
        .expect("NOTIFY 100");
    assert_eq!(notify.body(), b"SIP/2.0 100 Trying\r\n");
    assert_eq!(notify.header_str(&HeaderName::Event), Some("refer"));
    let ev = events(&mut core);
    let target = ev.iter().find_map(|e| match e {
        CoreEvent::TransferRequested { target, .. } => Some(target.clone()),
        _ => None,
    });
    assert_eq!(target.as_deref(), Some("sip:carol@127.0.0.1:5066"));
    let new_call = core
        .call_referred(now, call, "sip:carol@127.0.0.1:5066", 30014)
        .unwrap();
    let inv = sent(&mut core)
        .into_iter()
        .find(|m| m.method() == Some(Method::Invite))
        .unwrap();
    core.handle_incoming(
        now,
        respond(&inv, "486 Busy Here", Some("c"), "", ""),
        Target::udp("127.0.0.1:5066".parse().unwrap()),
    );
    assert_eq!(core.call_state(new_call), Some(CallState::Ended));
    let notify = sent(&mut core)
        .into_iter()
        .find(|m| m.method() == Some(Method::Notify))
        .expect("final NOTIFY");
    assert_eq!(notify.body(), b"SIP/2.0 486 Busy Here\r\n");
    assert!(
        notify
            .header_str(&HeaderName::SubscriptionState)
            .unwrap()
            .starts_with("terminated")
    );
}

#[test]
fn attended_transfer_without_notify_fails_after_64_t1_and_keeps_the_call() {
    let mut core = bob();
    let t0 = Instant::now();
    let (call, ringing) = ring(&mut core, t0, invite("c7", OFFER));
    core.answer(t0, call, 30016).unwrap();
    let tag = ringing.to_tag().unwrap().to_owned();
    core.handle_incoming(t0, in_dialog("ACK", "c7", &tag, 10, "", ""), alice());
    sent(&mut core);
    events(&mut core);
    core.transfer(t0, call, "sip:carol@127.0.0.1:5066", false)
        .unwrap();
    let refer = sent(&mut core).pop().unwrap();
    assert_eq!(refer.method(), Some(Method::Refer));
    assert_eq!(
        refer.refer_to().unwrap().unwrap().uri.to_string(),
        "sip:carol@127.0.0.1:5066"
    );
    core.handle_incoming(
        t0,
        respond(&refer, "202 Accepted", Some("at"), "", ""),
        alice(),
    );
    assert!(
        events(&mut core).is_empty(),
        "attended: waits for the NOTIFY"
    );
    let mut now = t0;
    let mut seen = Vec::new();
    while seen.is_empty() && now < t0 + Duration::from_secs(40) {
        now = core.poll_timeout().unwrap();
        core.handle_timeout(now);
        seen = events(&mut core);
    }
    assert!(
        now >= t0 + Duration::from_secs(32),
        "gave up only after 64*T1"
    );
    assert!(
        seen.iter()
            .any(|e| matches!(e, CoreEvent::TransferResult { success: false, .. })),
        "{seen:?}"
    );
    assert_eq!(core.call_state(call), Some(CallState::Answered));
}

#[test]
fn a_200_crossing_our_cancel_is_acked_and_hung_up() {
    let mut core = bob();
    let now = Instant::now();
    let call = core
        .call(now, "sip:alice@127.0.0.1:5062", 30018, &[])
        .unwrap();
    let inv = sent(&mut core).pop().unwrap();
    // Cancel before any provisional response: held back (RFC 3261 §9.1).
    core.cancel(now, call).unwrap();
    assert!(sent(&mut core).is_empty());
    assert_eq!(core.call_state(call), Some(CallState::Canceling));
    core.handle_incoming(
        now,
        respond(&inv, "180 Ringing", Some("a9"), "", ""),
        alice(),
    );
    let cancel = sent(&mut core).pop().expect("CANCEL after the 180");
    assert_eq!(cancel.method(), Some(Method::Cancel));
    assert_eq!(cancel.cseq().unwrap().seq, inv.cseq().unwrap().seq);
    // The callee answered anyway.
    core.handle_incoming(
        now,
        respond(
            &inv,
            "200 OK",
            Some("a9"),
            "Contact: <sip:alice@127.0.0.1:5062>\n",
            OFFER,
        ),
        alice(),
    );
    let out = sent(&mut core);
    let methods: Vec<Method> = out.iter().filter_map(SipMessage::method).collect();
    assert!(
        methods.contains(&Method::Ack) && methods.contains(&Method::Bye),
        "{methods:?}"
    );
    let bye = out
        .iter()
        .find(|m| m.method() == Some(Method::Bye))
        .unwrap();
    assert_eq!(bye.to_tag(), Some("a9"));
    assert_eq!(core.call_state(call), Some(CallState::Ended));
    assert!(events(&mut core).iter().any(|e| matches!(
        e,
        CoreEvent::StateChanged {
            reason: Some(EndReason::Canceled),
            ..
        }
    )));
}

#[test]
fn a_required_extension_we_lack_gets_420_with_unsupported() {
    let mut core = bob();
    let inv = invite("c8", OFFER);
    let text = String::from_utf8_lossy(inv.as_bytes()).replace(
        "Max-Forwards: 70\r\n",
        "Max-Forwards: 70\r\nRequire: 100rel, timer\r\n",
    );
    core.handle_incoming(
        Instant::now(),
        SipMessage::parse(Bytes::from(text)).unwrap(),
        alice(),
    );
    let out = sent(&mut core);
    assert_eq!(out.iter().map(code).collect::<Vec<_>>(), [420]);
    let unsupported: Vec<&str> = out[0].unsupported().map(|u| u.unwrap()).collect();
    assert_eq!(unsupported, ["100rel", "timer"]);
    assert!(events(&mut core).is_empty());
}

#[test]
fn shutdown_ends_ringing_calls_with_480_and_answered_ones_with_bye() {
    let mut core = bob();
    let now = Instant::now();
    let (ringing_call, _) = ring(&mut core, now, invite("c9", OFFER));
    let (answered, r2) = ring(&mut core, now, invite("c10", OFFER));
    core.answer(now, answered, 30020).unwrap();
    let tag = r2.to_tag().unwrap().to_owned();
    core.handle_incoming(now, in_dialog("ACK", "c10", &tag, 10, "", ""), alice());
    sent(&mut core);
    events(&mut core);
    core.shutdown_calls(now);
    let out = sent(&mut core);
    assert!(
        out.iter()
            .any(|m| m.is_response() && code(m) == 480 && m.call_id().unwrap() == "c9")
    );
    assert!(
        out.iter()
            .any(|m| m.method() == Some(Method::Bye) && m.call_id().unwrap() == "c10")
    );
    let ev = events(&mut core);
    for call in [ringing_call, answered] {
        assert_eq!(core.call_state(call), Some(CallState::Ended));
        assert!(ev.iter().any(|e| matches!(e, CoreEvent::StateChanged { call: c, reason: Some(EndReason::Shutdown), .. } if *c == call)), "{ev:?}");
    }
}

#[test]
fn sip_info_dtmf_is_reported() {
    let mut core = bob();
    let now = Instant::now();
    let (call, ringing) = ring(&mut core, now, invite("c11", OFFER));
    core.answer(now, call, 30022).unwrap();
    let tag = ringing.to_tag().unwrap().to_owned();
    core.handle_incoming(now, in_dialog("ACK", "c11", &tag, 10, "", ""), alice());
    sent(&mut core);
    events(&mut core);
    let info = |seq: u32, ct: &str, body: &str| {
        let m = in_dialog("INFO", "c11", &tag, seq, "", "");
        let text = String::from_utf8_lossy(m.as_bytes()).replace(
            "Content-Length: 0\r\n\r\n",
            &format!(
                "Content-Type: {ct}\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ),
        );
        SipMessage::parse(Bytes::from(text)).unwrap()
    };
    let cases = [
        (
            "application/dtmf-relay",
            "Signal=5\r\nDuration=160\r\n",
            Some('5'),
        ),
        (
            "application/dtmf-relay",
            "Signal= 11\r\nDuration=100\r\n",
            Some('#'),
        ),
        ("application/dtmf", "a", Some('A')),
        ("application/dtmf-relay", "Signal=x\r\n", None),
        ("text/plain", "5", None),
    ];
    for (i, (ct, body, want)) in cases.into_iter().enumerate() {
        core.handle_incoming(now, info(11 + i as u32, ct, body), alice());
        assert_eq!(code(&sent(&mut core)[0]), 200);
        let got = events(&mut core).into_iter().find_map(|e| match e {
            CoreEvent::DtmfReceived { digit, .. } => Some(digit),
            _ => None,
        });
        assert_eq!(got, want, "{ct} {body:?}");
    }
}

/// RFC 3261 §8.2.2.2: the same INVITE (Call-ID, From tag, CSeq) arriving again by
/// another path (another Via branch, as a forking proxy sends it) is not a second call:
/// 482 Loop Detected. Another CSeq or From tag is a new call.
#[test]
fn a_merged_invite_gets_482_and_is_not_a_second_call() {
    let mut core = bob();
    let now = Instant::now();
    let (call, _) = ring(&mut core, now, invite("m1", OFFER));
    let text = String::from_utf8_lossy(invite("m1", OFFER).as_bytes())
        .replace("branch=z9hG4bK-m1", "branch=z9hG4bK-m1-other-path");
    core.handle_incoming(now, SipMessage::parse(Bytes::from(text)).unwrap(), alice());
    assert_eq!(sent(&mut core).iter().map(code).collect::<Vec<_>>(), [482]);
    assert!(events(&mut core).is_empty());
    assert_eq!(core.active_calls(), [call]);
    // A different From tag with the same Call-ID is someone else's INVITE.
    let other = String::from_utf8_lossy(invite("m1", OFFER).as_bytes())
        .replace("tag=at", "tag=other")
        .replace("branch=z9hG4bK-m1", "branch=z9hG4bK-m1b");
    ring(
        &mut core,
        now,
        SipMessage::parse(Bytes::from(other)).unwrap(),
    );
    assert_eq!(core.active_calls().len(), 2);
}

/// Regression (voip-bugs.md, interop A 16:30): responses carry the `received` address
/// and the `rport` value of the request's source (RFC 3581 §4), so a caller behind a NAT
/// learns its public address from us; CANCEL and ACK still match.
#[test]
fn responses_report_received_and_rport() {
    let mut core = bob();
    let now = Instant::now();
    // Alice sends from a NATed 192.0.2.50:40000 although her Via says 127.0.0.1:5062.
    let nat: voip::transaction::Target = Target::udp("192.0.2.50:40000".parse().unwrap());
    let inv = invite("r1", OFFER);
    core.handle_incoming(now, inv.clone(), nat);
    let out = sent(&mut core);
    assert_eq!(out.iter().map(code).collect::<Vec<_>>(), [100, 180]);
    for r in &out {
        let via = r.via().unwrap();
        assert_eq!(via.received(), Some("192.0.2.50".parse().unwrap()));
        assert_eq!(via.rport(), Some(Some(40000)));
        assert_eq!(via.branch(), Some("z9hG4bK-r1"));
    }
    let call = incoming_call(events(&mut core));
    // Her CANCEL (same branch) still finds the INVITE.
    let cancel = String::from_utf8_lossy(inv.as_bytes())
        .replacen("INVITE sip:", "CANCEL sip:", 1)
        .replace("CSeq: 10 INVITE", "CSeq: 10 CANCEL");
    let cancel = cancel.split("\r\n\r\n").next().unwrap().to_owned() + "\r\n\r\n";
    let cancel = cancel.replace(
        &format!("Content-Length: {}", inv.body().len()),
        "Content-Length: 0",
    );
    core.handle_incoming(
        now,
        SipMessage::parse(Bytes::from(
            cancel.replace("Content-Type: application/sdp\r\n", ""),
        ))
        .unwrap(),
        nat,
    );
    let codes: Vec<u16> = sent(&mut core).iter().map(code).collect();
    assert!(codes.contains(&200) && codes.contains(&487), "{codes:?}");
    assert_eq!(core.call_state(call), Some(CallState::Ended));
}
