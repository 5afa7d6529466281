//! Every call operation in every call state (pyVoIP's InvalidStateError for the illegal
//! ones, nothing sent), REFER and BYE re-sent with credentials when challenged, and the
//! outcome of an attended transfer read from the NOTIFY's `message/sipfrag`. Sans-IO,
//! fake clock.

mod core_support;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

use credentials::CredentialsManager;
use rtp_core::TransmitType;
use sip_message::{Method, SipMessage};
use voip::Error;
use voip::core::{CallKey, CallState, CoreConfig, CoreEvent, EndReason, UaCore};

use core_support::*;

/// A core with a call in `state` (incoming for Ringing, Answered and the Ended one,
/// outgoing for Dialing, Progress, Canceling), everything sent so far drained.
fn in_state(state: CallState) -> (UaCore, CallKey) {
    let mut core = bob();
    let now = Instant::now();
    let call = match state {
        CallState::Ringing | CallState::Answered | CallState::Ended => {
            let (call, ringing) = ring(&mut core, now, invite("s1", OFFER));
            if state == CallState::Answered {
                core.answer(now, call, 30000).unwrap();
                let tag = ringing.to_tag().unwrap().to_owned();
                core.handle_incoming(now, in_dialog("ACK", "s1", &tag, 10, "", ""), alice());
            } else if state == CallState::Ended {
                core.deny(now, call).unwrap();
            }
            call
        }
        CallState::Dialing | CallState::Progress | CallState::Canceling => {
            let call = core
                .call(now, "sip:alice@127.0.0.1:5062", 30000, &[])
                .unwrap();
            let inv = sent(&mut core).pop().unwrap();
            if state != CallState::Dialing {
                core.handle_incoming(
                    now,
                    respond(&inv, "180 Ringing", Some("a1"), "", ""),
                    alice(),
                );
            }
            if state == CallState::Canceling {
                core.cancel(now, call).unwrap();
            }
            call
        }
    };
    assert_eq!(core.call_state(call), Some(state));
    sent(&mut core);
    events(&mut core);
    (core, call)
}

type Op = fn(&mut UaCore, Instant, CallKey) -> voip::Result<()>;

#[test]
fn each_operation_is_allowed_only_in_its_states() {
    use CallState::*;
    let ops: [(&str, Op, &[CallState]); 7] = [
        ("answer", |c, n, k| c.answer(n, k, 30002), &[Ringing]),
        ("deny", |c, n, k| c.deny(n, k), &[Ringing]),
        (
            "early_media",
            |c, n, k| c.early_media(n, k, 30002),
            &[Ringing],
        ),
        ("cancel", |c, n, k| c.cancel(n, k), &[Dialing, Progress]),
        ("hangup", |c, n, k| c.hangup(n, k), &[Answered]),
        (
            "transfer",
            |c, n, k| c.transfer(n, k, "sip:carol@127.0.0.1:5066", true),
            &[Answered],
        ),
        (
            "re-INVITE",
            |c, n, k| c.reinvite(n, k, TransmitType::SendOnly),
            &[Answered],
        ),
    ];
    for state in [Dialing, Ringing, Progress, Answered, Canceling, Ended] {
        for (name, op, allowed) in &ops {
            let (mut core, call) = in_state(state);
            let r = op(&mut core, Instant::now(), call);
            if allowed.contains(&state) {
                assert!(r.is_ok(), "{name} in {state}: {r:?}");
                continue;
            }
            assert!(
                matches!(r, Err(Error::InvalidState { state: s, .. }) if s == state),
                "{name} in {state}: {r:?}"
            );
            assert_eq!(core.call_state(call), Some(state), "{name} in {state}");
            assert!(
                sent(&mut core).is_empty(),
                "{name} in {state} sent something"
            );
            assert!(events(&mut core).is_empty(), "{name} in {state}");
        }
    }
    // A call this core does not know is not a state error.
    let (_, foreign) = in_state(Answered);
    let mut core = bob();
    assert!(matches!(
        core.hangup(Instant::now(), foreign),
        Err(Error::UnknownCall)
    ));
}

fn core_with_password() -> UaCore {
    let mut cm = CredentialsManager::new();
    cm.add("bob", "secret", None, None, None).unwrap();
    let mut cfg = CoreConfig::peer_to_peer("bob", IpAddr::V4(Ipv4Addr::LOCALHOST), 5064);
    cfg.credentials = cm;
    UaCore::new(cfg)
}

/// Bob answered alice's call `call_id`; the call and bob's tag.
fn answered(core: &mut UaCore, now: Instant, call_id: &str) -> (CallKey, String) {
    let (call, ringing) = ring(core, now, invite(call_id, OFFER));
    core.answer(now, call, 30000).unwrap();
    let tag = ringing.to_tag().unwrap().to_owned();
    core.handle_incoming(now, in_dialog("ACK", call_id, &tag, 10, "", ""), alice());
    sent(core);
    events(core);
    (call, tag)
}

fn only(out: Vec<SipMessage>, method: Method) -> SipMessage {
    let mut it = out
        .into_iter()
        .filter(|m| m.method() == Some(method.clone()));
    let m = it.next().unwrap_or_else(|| panic!("no {method:?}"));
    assert!(it.next().is_none(), "two {method:?}");
    m
}

#[test]
fn refer_and_bye_are_resent_with_credentials_in_the_dialog() {
    let mut core = core_with_password();
    let now = Instant::now();
    let (call, tag) = answered(&mut core, now, "r1");
    core.transfer(now, call, "sip:carol@127.0.0.1:5066", true)
        .unwrap();
    let refer = only(sent(&mut core), Method::Refer);
    assert!(refer.proxy_authorization().next().is_none());
    core.handle_incoming(
        now,
        respond(
            &refer,
            "407 Proxy Authentication Required",
            Some("at"),
            "Proxy-Authenticate: Digest realm=\"pbx\", nonce=\"n1\", qop=\"auth\"\n",
            "",
        ),
        alice(),
    );
    assert!(events(&mut core).is_empty(), "a challenge is no outcome");
    let again = only(sent(&mut core), Method::Refer);
    let auth = again.proxy_authorization().next().unwrap().unwrap();
    assert_eq!(auth.username().as_deref(), Some("bob"));
    assert_eq!(auth.uri().as_deref(), Some("sip:alice@127.0.0.1:5062"));
    // Same dialog, next CSeq, same Refer-To.
    assert_eq!(again.call_id(), refer.call_id());
    assert_eq!(again.to_tag(), Some("at"));
    assert_eq!(again.from_tag(), Some(tag.as_str()));
    let seq = refer.cseq().unwrap().seq;
    assert_eq!(again.cseq().unwrap().seq, seq + 1);
    assert_eq!(
        again.refer_to().unwrap().unwrap().uri.to_string(),
        "sip:carol@127.0.0.1:5066"
    );

    // Accepted: blind transfer done, the call ends with a BYE after the REFER's CSeq.
    core.handle_incoming(
        now,
        respond(&again, "202 Accepted", Some("at"), "", ""),
        alice(),
    );
    let ev = events(&mut core);
    assert!(
        ev.iter()
            .any(|e| matches!(e, CoreEvent::TransferResult { success: true, .. })),
        "{ev:?}"
    );
    assert_eq!(core.call_state(call), Some(CallState::Ended));
    let bye = only(sent(&mut core), Method::Bye);
    assert_eq!(bye.cseq().unwrap().seq, seq + 2);
    // The BYE challenged: re-sent with credentials and the next CSeq.
    core.handle_incoming(
        now,
        respond(
            &bye,
            "401 Unauthorized",
            Some("at"),
            "WWW-Authenticate: Digest realm=\"pbx\", nonce=\"n2\"\n",
            "",
        ),
        alice(),
    );
    let bye2 = only(sent(&mut core), Method::Bye);
    assert!(bye2.authorization().next().is_some());
    assert_eq!(bye2.cseq().unwrap().seq, seq + 3);
    assert_eq!(bye2.to_tag(), Some("at"));
    core.handle_incoming(now, respond(&bye2, "200 OK", Some("at"), "", ""), alice());
    assert!(sent(&mut core).is_empty());
    assert_eq!(core.pending_requests(), 0);
}

/// An in-dialog NOTIFY of the REFER subscription carrying `frag`.
fn notify(tag: &str, cseq: u32, state: &str, frag: &str) -> SipMessage {
    in_dialog(
        "NOTIFY",
        "t1",
        tag,
        cseq,
        frag,
        &format!(
            "Event: refer\nSubscription-State: {state}\nContent-Type: message/sipfrag;version=2.0\n"
        ),
    )
}

#[test]
fn attended_transfer_outcome_comes_from_the_notify_sipfrag() {
    let mut core = bob();
    let now = Instant::now();
    let (call, tag) = answered(&mut core, now, "t1");

    // The transferee tries and fails: the call stays up, no BYE.
    core.transfer(now, call, "sip:carol@127.0.0.1:5066", false)
        .unwrap();
    let refer = only(sent(&mut core), Method::Refer);
    core.handle_incoming(
        now,
        respond(&refer, "202 Accepted", Some("at"), "", ""),
        alice(),
    );
    assert!(
        events(&mut core).is_empty(),
        "attended: waits for the NOTIFY"
    );
    core.handle_incoming(
        now,
        notify(&tag, 11, "active;expires=60", "SIP/2.0 100 Trying\r\n"),
        alice(),
    );
    assert_eq!(sent(&mut core).iter().map(code).collect::<Vec<_>>(), [200]);
    assert!(events(&mut core).is_empty(), "100 is no outcome");
    core.handle_incoming(
        now,
        notify(
            &tag,
            12,
            "terminated;reason=noresource",
            "SIP/2.0 486 Busy Here\r\n",
        ),
        alice(),
    );
    assert_eq!(sent(&mut core).iter().map(code).collect::<Vec<_>>(), [200]);
    let ev = events(&mut core);
    assert!(
        matches!(ev[..], [CoreEvent::TransferResult { success: false, .. }]),
        "{ev:?}"
    );
    assert_eq!(core.call_state(call), Some(CallState::Answered));

    // Again, and the new call is answered: success, then our BYE ends this call.
    core.transfer(now, call, "sip:carol@127.0.0.1:5066", false)
        .unwrap();
    let refer = only(sent(&mut core), Method::Refer);
    core.handle_incoming(
        now,
        respond(&refer, "202 Accepted", Some("at"), "", ""),
        alice(),
    );
    core.handle_incoming(
        now,
        notify(
            &tag,
            13,
            "terminated;reason=noresource",
            "SIP/2.0 200 OK\r\n",
        ),
        alice(),
    );
    let out = sent(&mut core);
    assert_eq!(code(&out[0]), 200, "the NOTIFY answered");
    let bye = only(out, Method::Bye);
    assert_eq!(bye.to_tag(), Some("at"));
    let ev = events(&mut core);
    assert!(
        ev.iter()
            .any(|e| matches!(e, CoreEvent::TransferResult { success: true, .. })),
        "{ev:?}"
    );
    assert!(ev.iter().any(|e| matches!(
        e,
        CoreEvent::StateChanged {
            state: CallState::Ended,
            reason: Some(EndReason::Transferred),
            ..
        }
    )));
}

/// Regression (voip-bugs.md, interop A 15:59): over TCP/TLS the challenged transaction
/// is gone by the time its 401/407 reaches the core (Timer D and K are zero on reliable
/// transports), and the INVITE was never re-sent: the call hung in DIALING. INVITE,
/// MESSAGE and BYE over TCP are all re-sent with credentials now.
#[test]
fn challenges_over_tcp_are_answered_although_the_transaction_ended() {
    let mut cm = CredentialsManager::new();
    cm.add("bob", "secret", None, None, None).unwrap();
    let mut cfg = CoreConfig::peer_to_peer("bob", IpAddr::V4(Ipv4Addr::LOCALHOST), 5064);
    cfg.credentials = cm;
    cfg.transport = sip_transport::TransportMode::Tcp;
    let mut core = UaCore::new(cfg);
    let tcp = voip::transaction::Target::tcp(ALICE.parse().unwrap());
    let now = Instant::now();
    let challenge = "Proxy-Authenticate: Digest realm=\"127.0.0.1\", nonce=\"n1\", qop=\"auth\"\n";

    let call = core
        .call(now, "sip:alice@127.0.0.1:5062;transport=tcp", 30000, &[])
        .unwrap();
    let inv = only(sent(&mut core), Method::Invite);
    core.handle_incoming(
        now,
        respond(
            &inv,
            "407 Proxy Authentication Required",
            Some("x1"),
            challenge,
            "",
        ),
        tcp,
    );
    let out = sent(&mut core);
    let again = only(out, Method::Invite);
    assert!(
        again.proxy_authorization().next().is_some(),
        "re-sent with credentials"
    );
    assert_eq!(again.cseq().unwrap().seq, inv.cseq().unwrap().seq + 1);
    assert_eq!(core.call_state(call), Some(CallState::Dialing));
    core.handle_incoming(
        now,
        respond(
            &again,
            "200 OK",
            Some("a2"),
            "Contact: <sip:alice@127.0.0.1:5062;transport=tcp>\n",
            OFFER,
        ),
        tcp,
    );
    assert_eq!(core.call_state(call), Some(CallState::Answered));
    sent(&mut core);
    events(&mut core);

    let id = core
        .message(
            now,
            "sip:alice@127.0.0.1:5062;transport=tcp",
            "hi",
            "text/plain",
        )
        .unwrap();
    let m = only(sent(&mut core), Method::Message);
    core.handle_incoming(
        now,
        respond(&m, "407 Proxy Auth", Some("x2"), challenge, ""),
        tcp,
    );
    let m2 = only(sent(&mut core), Method::Message);
    assert!(m2.proxy_authorization().next().is_some());
    core.handle_incoming(now, respond(&m2, "200 OK", Some("x2"), "", ""), tcp);
    assert!(
        events(&mut core)
            .iter()
            .any(|e| matches!(e, CoreEvent::MessageResult { id: i, status: 200 } if *i == id))
    );

    core.hangup(now, call).unwrap();
    let bye = only(sent(&mut core), Method::Bye);
    core.handle_incoming(
        now,
        respond(&bye, "407 Proxy Auth", Some("a2"), challenge, ""),
        tcp,
    );
    let bye2 = only(sent(&mut core), Method::Bye);
    assert!(bye2.proxy_authorization().next().is_some());
    assert_eq!(bye2.cseq().unwrap().seq, bye.cseq().unwrap().seq + 1);
}

/// A challenge that cannot be answered (no credentials) ends the call at once with the
/// reason, over TCP too: never a call stuck in DIALING.
#[test]
fn an_unanswerable_challenge_over_tcp_ends_the_call() {
    let mut cfg = CoreConfig::peer_to_peer("bob", IpAddr::V4(Ipv4Addr::LOCALHOST), 5064);
    cfg.transport = sip_transport::TransportMode::Tcp;
    let mut core = UaCore::new(cfg);
    let tcp = voip::transaction::Target::tcp(ALICE.parse().unwrap());
    let now = Instant::now();
    let call = core
        .call(now, "sip:alice@127.0.0.1:5062;transport=tcp", 30000, &[])
        .unwrap();
    let inv = only(sent(&mut core), Method::Invite);
    core.handle_incoming(
        now,
        respond(
            &inv,
            "407 Proxy Authentication Required",
            Some("x1"),
            "Proxy-Authenticate: Digest realm=\"elsewhere\", nonce=\"n1\"\n",
            "",
        ),
        tcp,
    );
    assert!(
        sent(&mut core)
            .iter()
            .all(|m| m.method() != Some(Method::Invite))
    );
    assert_eq!(core.call_state(call), Some(CallState::Ended));
    assert!(events(&mut core).iter().any(|e| matches!(
        e,
        CoreEvent::StateChanged {
            reason: Some(EndReason::AuthFailed(_)),
            ..
        }
    )));
}

/// Regression (voip-bugs.md, interop B 16:10): after a blind transfer the call ends at
/// the REFER's 202, but the transferee's NOTIFYs of the refer subscription keep coming
/// (RFC 3515 §2.4.4; the subscription outlives the call, RFC 5057). They got 481; now
/// 200. Other requests in the ended dialog still get 481.
#[test]
fn refer_notifies_after_a_blind_transfer_are_acknowledged() {
    let mut core = bob();
    let now = Instant::now();
    let (call, tag) = answered(&mut core, now, "t1");
    core.transfer(now, call, "sip:carol@127.0.0.1:5066", true)
        .unwrap();
    let refer = only(sent(&mut core), Method::Refer);
    core.handle_incoming(
        now,
        respond(&refer, "202 Accepted", Some("at"), "", ""),
        alice(),
    );
    assert_eq!(core.call_state(call), Some(CallState::Ended));
    only(sent(&mut core), Method::Bye);
    events(&mut core);
    for (cseq, state, frag) in [
        (11, "active;expires=60", "SIP/2.0 100 Trying\r\n"),
        (12, "terminated;reason=noresource", "SIP/2.0 200 OK\r\n"),
    ] {
        core.handle_incoming(now, notify(&tag, cseq, state, frag), alice());
        let out = sent(&mut core);
        assert_eq!(out.iter().map(code).collect::<Vec<_>>(), [200], "{frag}");
        assert_eq!(out[0].to_tag(), Some(tag.as_str()));
    }
    assert!(
        events(&mut core).is_empty(),
        "the call is over: no outcome to report"
    );
    // Not the refer subscription: the dialog is gone.
    core.handle_incoming(
        now,
        in_dialog("NOTIFY", "t1", &tag, 13, "", "Event: dialog\n"),
        alice(),
    );
    assert_eq!(sent(&mut core).iter().map(code).collect::<Vec<_>>(), [481]);
    core.handle_incoming(now, in_dialog("INFO", "t1", &tag, 14, "", ""), alice());
    assert_eq!(sent(&mut core).iter().map(code).collect::<Vec<_>>(), [481]);

    // A call that never sent a REFER: its NOTIFYs are not ours to acknowledge.
    let (other, tag2) = answered(&mut core, now, "t2");
    core.hangup(now, other).unwrap();
    sent(&mut core);
    core.handle_incoming(
        now,
        in_dialog(
            "NOTIFY",
            "t2",
            &tag2,
            11,
            "SIP/2.0 200 OK\r\n",
            "Event: refer\nSubscription-State: terminated\nContent-Type: message/sipfrag\n",
        ),
        alice(),
    );
    assert_eq!(sent(&mut core).iter().map(code).collect::<Vec<_>>(), [481]);
}

/// A re-INVITE (hold) reports its outcome: after the answer is applied on 2xx, or the
/// refusal (the call goes on), or no answer at all.
#[test]
fn reinvite_outcome_is_reported_after_the_media() {
    let mut core = bob();
    let now = Instant::now();
    let (call, _) = answered(&mut core, now, "h1");

    core.reinvite(now, call, TransmitType::SendOnly).unwrap();
    let re = only(sent(&mut core), Method::Invite);
    let answer = OFFER
        .replace("o=alice 1 1", "o=alice 1 2")
        .replace("sendrecv", "recvonly");
    core.handle_incoming(
        now,
        respond(&re, "200 OK", Some("at"), "", &answer),
        alice(),
    );
    only(sent(&mut core), Method::Ack);
    let ev = events(&mut core);
    assert!(
        matches!(
            &ev[..],
            [
                CoreEvent::MediaNegotiated { media, .. },
                CoreEvent::ReinviteResult { status: 200, .. }
            ] if media.direction == TransmitType::SendOnly
        ),
        "{ev:?}"
    );

    // Glare: a 491 is retried once after 0-2 s (the peer chose the Call-ID, RFC 3261
    // §14.1), with a new CSeq; a second 491 is reported and the call stays up.
    core.reinvite(now, call, TransmitType::SendRecv).unwrap();
    let re = only(sent(&mut core), Method::Invite);
    core.handle_incoming(
        now,
        respond(&re, "491 Request Pending", Some("at"), "", ""),
        alice(),
    );
    only(sent(&mut core), Method::Ack);
    assert!(events(&mut core).is_empty(), "not final yet: retried");
    let at = core.poll_timeout().unwrap();
    assert!(
        at <= now + std::time::Duration::from_secs(2),
        "{:?}",
        at - now
    );
    core.handle_timeout(at);
    let again = only(sent(&mut core), Method::Invite);
    assert!(again.cseq().unwrap().seq > re.cseq().unwrap().seq);
    assert!(String::from_utf8_lossy(again.body()).contains("a=sendrecv"));
    core.handle_incoming(
        at,
        respond(&again, "491 Request Pending", Some("at"), "", ""),
        alice(),
    );
    let ev = events(&mut core);
    assert!(
        matches!(&ev[..], [CoreEvent::ReinviteResult { status: 491, .. }]),
        "{ev:?}"
    );
    assert_eq!(core.call_state(call), Some(CallState::Answered));
    // The retry budget is per re-INVITE: the next glare is retried again, and succeeds.
    core.reinvite(at, call, TransmitType::SendRecv).unwrap();
    let re = only(sent(&mut core), Method::Invite);
    core.handle_incoming(
        at,
        respond(&re, "491 Request Pending", Some("at"), "", ""),
        alice(),
    );
    let at = core.poll_timeout().unwrap();
    core.handle_timeout(at);
    let again = only(sent(&mut core), Method::Invite);
    core.handle_incoming(
        at,
        respond(
            &again,
            "200 OK",
            Some("at"),
            "",
            &answer
                .replace("o=alice 1 2", "o=alice 1 3")
                .replace("recvonly", "sendrecv"),
        ),
        alice(),
    );
    let ev = events(&mut core);
    assert!(
        matches!(
            &ev[..],
            [
                CoreEvent::MediaNegotiated { .. },
                CoreEvent::ReinviteResult { status: 200, .. }
            ]
        ),
        "{ev:?}"
    );
    sent(&mut core);
    let now = at;

    // No answer: Timer B gives 408, the call is over (RFC 3261 §14.1).
    core.reinvite(now, call, TransmitType::SendRecv).unwrap();
    sent(&mut core);
    let mut t = now;
    while core.call_state(call) == Some(CallState::Answered)
        && t < now + std::time::Duration::from_secs(40)
    {
        t = core.poll_timeout().unwrap();
        core.handle_timeout(t);
    }
    let ev = events(&mut core);
    assert!(
        ev.iter()
            .any(|e| matches!(e, CoreEvent::ReinviteResult { status: 408, .. })),
        "{ev:?}"
    );
    assert_eq!(core.call_state(call), Some(CallState::Ended));
    assert!(ev.iter().any(|e| matches!(
        e,
        CoreEvent::StateChanged {
            reason: Some(EndReason::Timeout),
            ..
        }
    )));
    assert!(
        sent(&mut core)
            .iter()
            .any(|m| m.method() == Some(Method::Bye)),
        "the dialog is ended with a BYE"
    );
}

/// An UPDATE in the early dialog (ringing, not answered yet): without SDP it is
/// accepted; with an offer, which we cannot take before answering the INVITE's, it gets
/// 488 (RFC 3311 §5.2) instead of a 200 that ignores it.
#[test]
fn an_early_update_with_an_offer_is_refused_and_without_one_accepted() {
    let mut core = bob();
    let now = Instant::now();
    let (call, ringing) = ring(&mut core, now, invite("u1", OFFER));
    let tag = ringing.to_tag().unwrap().to_owned();
    core.handle_incoming(now, in_dialog("UPDATE", "u1", &tag, 11, "", ""), alice());
    assert_eq!(sent(&mut core).iter().map(code).collect::<Vec<_>>(), [200]);
    core.handle_incoming(now, in_dialog("UPDATE", "u1", &tag, 12, OFFER, ""), alice());
    let out = sent(&mut core);
    assert_eq!(out.iter().map(code).collect::<Vec<_>>(), [488]);
    assert!(out[0].body().is_empty());
    assert_eq!(core.call_state(call), Some(CallState::Ringing));
    // The call can still be answered.
    core.answer(now, call, 30000).unwrap();
    assert_eq!(code(&sent(&mut core)[0]), 200);
}

/// RFC 3261 §15.1.2: a BYE in the early dialog (the caller gave up after our 180 and
/// sent BYE instead of CANCEL) gets 200, and the INVITE its final 487.
#[test]
fn a_bye_while_ringing_ends_the_invite_with_487() {
    let mut core = bob();
    let now = Instant::now();
    let (call, ringing) = ring(&mut core, now, invite("e1", OFFER));
    let tag = ringing.to_tag().unwrap().to_owned();
    core.handle_incoming(now, in_dialog("BYE", "e1", &tag, 11, "", ""), alice());
    let out = sent(&mut core);
    let finals: Vec<(u16, Method)> = out
        .iter()
        .map(|m| (code(m), m.cseq().unwrap().method))
        .collect();
    assert!(finals.contains(&(200, Method::Bye)), "{finals:?}");
    assert!(finals.contains(&(487, Method::Invite)), "{finals:?}");
    assert_eq!(core.call_state(call), Some(CallState::Ended));
}

/// RFC 3261 §9.1: when the INVITE we cancelled never gets its final response, the call
/// ends 64*T1 after the CANCEL instead of staying CANCELING forever.
#[test]
fn a_cancelled_call_without_a_final_response_ends_after_64_t1() {
    let (mut core, call) = in_state(CallState::Canceling);
    let t0 = Instant::now();
    // The CANCEL went out when the 180 came (in_state); answer it, but never the INVITE.
    let mut t = t0;
    while core.call_state(call) == Some(CallState::Canceling)
        && t < t0 + std::time::Duration::from_secs(60)
    {
        let Some(next) = core.poll_timeout() else {
            break;
        };
        t = next.max(t);
        core.handle_timeout(t);
        sent(&mut core);
    }
    assert_eq!(
        core.call_state(call),
        Some(CallState::Ended),
        "after {:?}",
        t - t0
    );
    assert!(t <= t0 + std::time::Duration::from_secs(40), "{:?}", t - t0);
    assert!(events(&mut core).iter().any(|e| matches!(
        e,
        CoreEvent::StateChanged {
            state: CallState::Ended,
            reason: Some(EndReason::Canceled),
            ..
        }
    )));
    assert!(core.transactions().is_empty(), "no transaction left behind");
}

/// RFC 3261 §13.3.1.1: a call left ringing gets its provisional response again every
/// minute (proxies cancel after 3 silent minutes): the 180, or the 183 with its SDP after
/// early media; none once answered.
#[test]
fn a_long_ringing_call_repeats_its_provisional_response_every_minute() {
    let mut core = bob();
    let t0 = Instant::now();
    let (call, _) = ring(&mut core, t0, invite("p1", OFFER));
    let (early, _) = ring(&mut core, t0, invite("p2", OFFER));
    core.early_media(t0, early, 30004).unwrap();
    sent(&mut core);
    let mut seen: Vec<(u64, u16, String, bool)> = Vec::new();
    let end = t0 + std::time::Duration::from_secs(130);
    while let Some(t) = core.poll_timeout() {
        if t > end {
            break;
        }
        core.handle_timeout(t);
        for m in sent(&mut core) {
            seen.push((
                (t - t0).as_secs(),
                code(&m),
                m.call_id().unwrap().to_owned(),
                m.has_sdp(),
            ));
        }
    }
    assert_eq!(
        seen,
        [
            (60, 180, "p1".into(), false),
            (60, 183, "p2".into(), true),
            (120, 180, "p1".into(), false),
            (120, 183, "p2".into(), true),
        ]
    );
    // Answered: no more 180s.
    core.answer(end, call, 30000).unwrap();
    core.deny(end, early).unwrap();
    sent(&mut core);
    let later = end + std::time::Duration::from_secs(61);
    core.handle_timeout(later);
    assert!(
        sent(&mut core)
            .iter()
            .all(|m| !m.status().is_some_and(|s| s.is_provisional())),
        "no provisional after the final response"
    );
}
