//! Server transactions (RFC 3261 §17.2, RFC 6026) with a fake clock: 100 Trying, timers
//! G, H, I, J, L, the 2xx retransmission until ACK, absorbed retransmissions, CANCEL and
//! ACK matching, RFC 2543 matching, response addressing and the transaction bound.

mod transaction_support;

use std::time::{Duration, Instant};
use transaction_support::*;
use voip::timer::Timer;
use voip::transaction::{
    Received, Target, TransactionConfig, TransactionError, TransactionEvent, TransactionKey,
    TransactionKind, TransactionLayer, TransactionState,
};

fn layer() -> TransactionLayer {
    TransactionLayer::new(TransactionConfig::default())
}

fn new_request(
    l: &mut TransactionLayer,
    now: Instant,
    msg: sip_message::SipMessage,
    from: Target,
) -> TransactionKey {
    match l.receive(now, msg, from) {
        Received::NewRequest { key, .. } => key,
        other => panic!("expected a new request, got {other:?}"),
    }
}

fn status_of(t: &voip::transaction::Transmit) -> u16 {
    parse(&text(t)).status().unwrap().code()
}

#[test]
fn trying_is_sent_after_200ms_unless_the_tu_answered() {
    let mut l = layer();
    let t0 = Instant::now();
    let inv = invite("z9hG4bKs1");
    let key = new_request(&mut l, t0, inv.clone(), peer());
    assert_eq!(l.state(key), Some(TransactionState::Proceeding));
    assert!(drain(&mut l).is_empty());
    let (sent, _) = run_until(&mut l, t0, t0 + Duration::from_secs(1));
    assert_eq!(offsets_ms(&sent), [200]);
    let trying = parse(&text(&sent[0].1));
    assert_eq!(trying.status().unwrap().code(), 100);
    assert_eq!(trying.via().unwrap(), inv.via().unwrap());
    assert_eq!(sent[0].1.target, peer());

    // A TU that rings within 200 ms saves the 100.
    let inv2 = invite("z9hG4bKs2");
    let k2 = new_request(&mut l, t0, inv2.clone(), peer());
    l.respond(t0 + ms(100), k2, response(&inv2, 180, "u"))
        .unwrap();
    assert_eq!(status_of(&drain(&mut l)[0]), 180);
    let (sent, _) = run_until(&mut l, t0, t0 + Duration::from_secs(10));
    assert!(sent.is_empty());
}

#[test]
fn trying_delay_zero_sends_it_at_once() {
    let mut l = TransactionLayer::new(TransactionConfig {
        trying_delay: Duration::ZERO,
        ..TransactionConfig::default()
    });
    let t0 = Instant::now();
    new_request(&mut l, t0, invite("z9hG4bKs3"), peer());
    let out = drain(&mut l);
    assert_eq!(out.len(), 1);
    assert_eq!(status_of(&out[0]), 100);
    assert_eq!(l.poll_timeout(), None);
}

#[test]
fn invite_retransmissions_in_proceeding_get_the_last_provisional() {
    let mut l = layer();
    let t0 = Instant::now();
    let inv = invite("z9hG4bKs4");
    let key = new_request(&mut l, t0, inv.clone(), peer());
    // Retransmitted before the TU said anything: 100 Trying at once.
    assert!(matches!(
        l.receive(t0 + ms(150), inv.clone(), peer()),
        Received::Absorbed
    ));
    let out = drain(&mut l);
    assert_eq!(out.len(), 1);
    assert_eq!(status_of(&out[0]), 100);
    let (sent, _) = run_until(&mut l, t0, t0 + ms(400));
    assert!(sent.is_empty(), "no second 100 from the timer");
    l.respond(t0 + ms(450), key, response(&inv, 180, "u"))
        .unwrap();
    drain(&mut l);
    assert!(matches!(
        l.receive(t0 + ms(500), inv.clone(), peer()),
        Received::Absorbed
    ));
    let out = drain(&mut l);
    assert_eq!(out.len(), 1);
    assert_eq!(status_of(&out[0]), 180);
}

#[test]
fn non_2xx_final_over_udp_retransmits_on_g_until_h() {
    let mut l = layer();
    let t0 = Instant::now();
    let inv = invite("z9hG4bKg1");
    let key = new_request(&mut l, t0, inv.clone(), peer());
    l.respond(t0, key, response(&inv, 486, "u")).unwrap();
    assert_eq!(status_of(&drain(&mut l)[0]), 486);
    assert_eq!(l.state(key), Some(TransactionState::Completed));
    let (sent, evs) = run_until(&mut l, t0, t0 + Duration::from_secs(100));
    // G: T1, then doubling up to T2 = 4 s; H at 64*T1.
    assert_eq!(
        offsets_ms(&sent),
        [
            500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500
        ]
    );
    assert!(sent.iter().all(|(_, t)| status_of(t) == 486));
    assert_eq!(
        evs,
        [
            (
                Duration::from_secs(32),
                TransactionEvent::Timeout {
                    key,
                    timer: Timer::H
                }
            ),
            (
                Duration::from_secs(32),
                TransactionEvent::Terminated { key }
            ),
        ]
    );
}

#[test]
fn ack_confirms_and_timer_i_ends_the_transaction() {
    let mut l = layer();
    let t0 = Instant::now();
    let inv = invite("z9hG4bKi1");
    let key = new_request(&mut l, t0, inv.clone(), peer());
    let busy = response(&inv, 486, "u");
    l.respond(t0, key, busy.clone()).unwrap();
    drain(&mut l);
    let (sent, _) = run_until(&mut l, t0, t0 + ms(1000));
    assert_eq!(offsets_ms(&sent), [500]);
    // An INVITE retransmission in Completed gets the final response again.
    assert!(matches!(
        l.receive(t0 + ms(1100), inv.clone(), peer()),
        Received::Absorbed
    ));
    assert_eq!(drain(&mut l)[0].bytes, busy.to_bytes());
    // The ACK of a non-2xx has the INVITE's branch; it is absorbed.
    let ack = parse(&text(&{
        let mut c = TransactionLayer::new(TransactionConfig::default());
        let k = c.send_request(t0, inv.clone(), peer()).unwrap();
        drain(&mut c);
        c.receive(t0, busy.clone(), peer());
        let _ = k;
        drain(&mut c).remove(0)
    }));
    assert!(matches!(
        l.receive(t0 + ms(1200), ack.clone(), peer()),
        Received::Absorbed
    ));
    assert_eq!(l.state(key), Some(TransactionState::Confirmed));
    assert!(matches!(
        l.receive(t0 + ms(1300), ack, peer()),
        Received::Absorbed
    ));
    let (sent, evs) = run_until(&mut l, t0, t0 + Duration::from_secs(100));
    assert!(sent.is_empty(), "G stopped");
    assert_eq!(evs, [(ms(6200), TransactionEvent::Terminated { key })]);
}

#[test]
fn reliable_transport_has_no_g_and_zero_i() {
    let mut l = layer();
    let t0 = Instant::now();
    let inv = invite("z9hG4bKtcp1");
    let key = new_request(&mut l, t0, inv.clone(), peer_tcp());
    let busy = response(&inv, 603, "u");
    l.respond(t0, key, busy.clone()).unwrap();
    assert_eq!(drain(&mut l)[0].target, peer_tcp());
    assert_eq!(l.timer_deadline(key, Timer::G), None);
    assert_eq!(
        l.timer_deadline(key, Timer::H),
        Some(t0 + Duration::from_secs(32))
    );
    let mut ack = inv.to_string().replacen("INVITE sip", "ACK sip", 1);
    ack = ack.replace("CSeq: 1 INVITE", "CSeq: 1 ACK");
    assert!(matches!(
        l.receive(t0 + ms(10), parse(&ack), peer_tcp()),
        Received::Absorbed
    ));
    assert_eq!(events(&mut l), [TransactionEvent::Terminated { key }]);

    // Without the ACK, H still fires over TCP.
    let inv2 = invite("z9hG4bKtcp2");
    let k2 = new_request(&mut l, t0, inv2.clone(), peer_tcp());
    l.respond(t0, k2, response(&inv2, 500, "u")).unwrap();
    drain(&mut l);
    let (sent, evs) = run_until(&mut l, t0, t0 + Duration::from_secs(100));
    assert!(sent.is_empty());
    assert_eq!(
        evs[0],
        (
            Duration::from_secs(32),
            TransactionEvent::Timeout {
                key: k2,
                timer: Timer::H
            }
        )
    );
}

#[test]
fn two_xx_is_retransmitted_until_the_ack_then_accepted_absorbs_until_l() {
    let mut l = layer();
    let t0 = Instant::now();
    let inv = invite("z9hG4bK2xx");
    let key = new_request(&mut l, t0, inv.clone(), peer());
    let ok = response(&inv, 200, "uas1");
    l.respond(t0, key, ok.clone()).unwrap();
    assert_eq!(drain(&mut l)[0].bytes, ok.to_bytes());
    assert_eq!(l.state(key), Some(TransactionState::Accepted));
    let (sent, _) = run_until(&mut l, t0, t0 + ms(8000));
    assert_eq!(offsets_ms(&sent), [500, 1500, 3500, 7500]);
    assert!(sent.iter().all(|(_, t)| t.bytes == ok.to_bytes()));
    // INVITE retransmissions are absorbed silently in Accepted.
    assert!(matches!(
        l.receive(t0 + ms(8100), inv.clone(), peer()),
        Received::Absorbed
    ));
    assert!(drain(&mut l).is_empty());
    // An ACK with the wrong To tag is not this 2xx's.
    let wrong = ack_for_2xx(&inv, "z9hG4bKackw", "other");
    assert!(matches!(
        l.receive(t0 + ms(8200), wrong, peer()),
        Received::Ack { invite: None, .. }
    ));
    // The ACK (new branch) stops the retransmissions and reaches the TU once.
    let ack = ack_for_2xx(&inv, "z9hG4bKack1", "uas1");
    match l.receive(t0 + ms(9000), ack.clone(), peer()) {
        Received::Ack { invite, msg } => {
            assert_eq!(invite, Some(key));
            assert_eq!(msg, ack);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        l.receive(t0 + ms(9100), ack.clone(), peer()),
        Received::Absorbed
    ));
    let (sent, evs) = run_until(&mut l, t0, t0 + Duration::from_secs(100));
    assert!(sent.is_empty());
    assert_eq!(
        evs,
        [(
            Duration::from_secs(32),
            TransactionEvent::Terminated { key }
        )]
    );
    // After Timer L the ACK goes to the TU without a transaction.
    assert!(matches!(
        l.receive(t0 + Duration::from_secs(101), ack, peer()),
        Received::Ack { invite: None, .. }
    ));
    assert!(l.is_empty());
}

#[test]
fn unacknowledged_2xx_gives_no_ack_after_64_t1() {
    let mut l = layer();
    let t0 = Instant::now();
    let inv = invite("z9hG4bKnoack");
    let key = new_request(&mut l, t0, inv.clone(), peer());
    l.respond(t0 + ms(1000), key, response(&inv, 200, "u"))
        .unwrap();
    drain(&mut l);
    let (sent, evs) = run_until(&mut l, t0, t0 + Duration::from_secs(100));
    assert_eq!(
        offsets_ms(&sent),
        [
            1500, 2500, 4500, 8500, 12500, 16500, 20500, 24500, 28500, 32500
        ]
    );
    assert_eq!(
        evs,
        [
            (Duration::from_secs(33), TransactionEvent::NoAck { key }),
            (
                Duration::from_secs(33),
                TransactionEvent::Terminated { key }
            ),
        ]
    );
}

#[test]
fn two_xx_is_retransmitted_over_tcp_too() {
    // RFC 3261 §13.3.1.4: hops behind the UAS may be UDP.
    let mut l = layer();
    let t0 = Instant::now();
    let inv = invite("z9hG4bK2xxtcp");
    let key = new_request(&mut l, t0, inv.clone(), peer_tcp());
    l.respond(t0, key, response(&inv, 200, "u")).unwrap();
    drain(&mut l);
    let (sent, _) = run_until(&mut l, t0, t0 + ms(4000));
    assert_eq!(offsets_ms(&sent), [500, 1500, 3500]);
    assert!(sent.iter().all(|(_, t)| t.target == peer_tcp()));
}

#[test]
fn non_invite_server_absorbs_and_lingers_for_j() {
    let mut l = layer();
    let t0 = Instant::now();
    let opt = request("OPTIONS", "z9hG4bKj1", 5);
    let key = new_request(&mut l, t0, opt.clone(), peer());
    assert_eq!(l.state(key), Some(TransactionState::Trying));
    // Retransmission in Trying: discarded, nothing sent, not passed up.
    assert!(matches!(
        l.receive(t0 + ms(500), opt.clone(), peer()),
        Received::Absorbed
    ));
    assert!(drain(&mut l).is_empty());
    l.respond(t0 + ms(600), key, response(&opt, 100, "u"))
        .unwrap();
    assert_eq!(l.state(key), Some(TransactionState::Proceeding));
    drain(&mut l);
    assert!(matches!(
        l.receive(t0 + ms(1500), opt.clone(), peer()),
        Received::Absorbed
    ));
    assert_eq!(status_of(&drain(&mut l)[0]), 100);
    let ok = response(&opt, 200, "u");
    l.respond(t0 + ms(1600), key, ok.clone()).unwrap();
    drain(&mut l);
    assert_eq!(l.state(key), Some(TransactionState::Completed));
    assert!(matches!(
        l.receive(t0 + ms(3500), opt.clone(), peer()),
        Received::Absorbed
    ));
    assert_eq!(drain(&mut l)[0].bytes, ok.to_bytes());
    assert!(matches!(
        l.respond(t0 + ms(3600), key, ok.clone()),
        Err(TransactionError::InvalidState {
            state: TransactionState::Completed,
            ..
        })
    ));
    let (sent, evs) = run_until(&mut l, t0, t0 + Duration::from_secs(100));
    assert!(
        sent.is_empty(),
        "no retransmission timer on non-INVITE servers"
    );
    assert_eq!(evs, [(ms(33600), TransactionEvent::Terminated { key })]);
    // After Timer J the same request is new again.
    assert!(matches!(
        l.receive(t0 + Duration::from_secs(101), opt, peer()),
        Received::NewRequest { .. }
    ));

    // Over TCP Timer J is zero.
    let bye = request("BYE", "z9hG4bKj2", 6);
    let k2 = new_request(&mut l, t0, bye.clone(), peer_tcp());
    l.respond(t0, k2, response(&bye, 200, "u")).unwrap();
    assert_eq!(events(&mut l), [TransactionEvent::Terminated { key: k2 }]);
}

#[test]
fn cancel_finds_its_invite_and_the_487_is_acked_in_the_invite_transaction() {
    let mut l = layer();
    let t0 = Instant::now();
    let inv = invite("z9hG4bKcx");
    let ikey = new_request(&mut l, t0, inv.clone(), peer());
    l.respond(t0, ikey, response(&inv, 180, "u")).unwrap();
    drain(&mut l);
    let cancel_text = inv
        .to_string()
        .replacen("INVITE sip", "CANCEL sip", 1)
        .replace("CSeq: 1 INVITE", "CSeq: 1 CANCEL");
    let cancel = parse(&cancel_text);
    let ckey = new_request(&mut l, t0 + ms(100), cancel.clone(), peer());
    assert_ne!(ckey, ikey);
    assert_eq!(l.find_invite_for_cancel(&cancel), Some(ikey));
    // Another branch or another sent-by cancels nothing.
    let other = parse(&cancel_text.replace("z9hG4bKcx", "z9hG4bKcy"));
    assert_eq!(l.find_invite_for_cancel(&other), None);
    let moved = parse(&cancel_text.replace("127.0.0.1:5060;branch", "127.0.0.1:5062;branch"));
    assert_eq!(l.find_invite_for_cancel(&moved), None);

    l.respond(t0 + ms(100), ckey, response(&cancel, 200, "u"))
        .unwrap();
    l.respond(t0 + ms(100), ikey, response(&inv, 487, "u"))
        .unwrap();
    let out = drain(&mut l);
    assert_eq!(out.iter().map(status_of).collect::<Vec<_>>(), [200, 487]);
    let ack = parse(
        &inv.to_string()
            .replacen("INVITE sip", "ACK sip", 1)
            .replace("CSeq: 1 INVITE", "CSeq: 1 ACK"),
    );
    assert!(matches!(
        l.receive(t0 + ms(200), ack, peer()),
        Received::Absorbed
    ));
    assert_eq!(l.state(ikey), Some(TransactionState::Confirmed));
}

#[test]
fn rfc2543_requests_match_without_the_magic_cookie() {
    let mut l = layer();
    let t0 = Instant::now();
    for branch in ["oldstyle1", ""] {
        let text_inv = invite("z9hG4bKplaceholder")
            .to_string()
            .replace(
                ";branch=z9hG4bKplaceholder",
                &if branch.is_empty() {
                    String::new()
                } else {
                    format!(";branch={branch}")
                },
            )
            .replace("call-z9hG4bKplaceholder", &format!("call-{branch}x"));
        let inv = parse(&text_inv);
        let key = new_request(&mut l, t0, inv.clone(), peer());
        assert!(matches!(
            l.receive(t0 + ms(500), inv.clone(), peer()),
            Received::Absorbed
        ));
        let cancel = parse(
            &text_inv
                .replacen("INVITE sip", "CANCEL sip", 1)
                .replace("CSeq: 1 INVITE", "CSeq: 1 CANCEL"),
        );
        assert_eq!(l.find_invite_for_cancel(&cancel), Some(key));
        l.respond(t0 + ms(600), key, response(&inv, 404, "u"))
            .unwrap();
        let ack = parse(
            &text_inv
                .replacen("INVITE sip", "ACK sip", 1)
                .replace("CSeq: 1 INVITE", "CSeq: 1 ACK")
                .replace("To: <sip:bob@127.0.0.1>", "To: <sip:bob@127.0.0.1>;tag=u"),
        );
        assert!(matches!(
            l.receive(t0 + ms(700), ack, peer()),
            Received::Absorbed
        ));
        assert_eq!(l.state(key), Some(TransactionState::Confirmed));
        // A different CSeq is a new transaction.
        let next = parse(&text_inv.replace("CSeq: 1 INVITE", "CSeq: 2 INVITE"));
        assert!(matches!(
            l.receive(t0 + ms(800), next, peer()),
            Received::NewRequest { .. }
        ));
    }
}

#[test]
fn the_bound_rejects_new_requests_with_503_and_frees_slots_on_termination() {
    let mut l = TransactionLayer::new(TransactionConfig {
        max_transactions: 2,
        ..TransactionConfig::default()
    });
    let t0 = Instant::now();
    let a = request("OPTIONS", "z9hG4bKb1", 1);
    let ka = new_request(&mut l, t0, a.clone(), peer_tcp());
    new_request(&mut l, t0, request("OPTIONS", "z9hG4bKb2", 1), peer());
    let c = request("OPTIONS", "z9hG4bKb3", 1);
    assert!(matches!(
        l.receive(t0, c.clone(), peer()),
        Received::Rejected { .. }
    ));
    assert_eq!(l.len(), 2);
    let out = drain(&mut l);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].key, None);
    let r = parse(&text(&out[0]));
    assert_eq!(r.status().unwrap().code(), 503);
    assert!(r.to_tag().is_some_and(|t| !t.is_empty()));
    assert_eq!(r.via().unwrap(), c.via().unwrap());
    // Retransmissions of known requests are still absorbed when full.
    assert!(matches!(
        l.receive(t0, a.clone(), peer_tcp()),
        Received::Absorbed
    ));
    // ACKs never create transactions.
    assert!(matches!(
        l.receive(t0, ack_for_2xx(&a, "z9hG4bKb4", "t"), peer()),
        Received::Ack { invite: None, .. }
    ));
    l.respond(t0, ka, response(&a, 200, "u")).unwrap(); // TCP: J = 0
    assert_eq!(l.len(), 1);
    assert!(matches!(
        l.receive(t0, c, peer()),
        Received::NewRequest { .. }
    ));
}

#[test]
fn responses_are_addressed_per_rfc_3261_18_2_2_and_rfc_3581() {
    let mut l = TransactionLayer::new(TransactionConfig {
        trying_delay: Duration::ZERO,
        ..TransactionConfig::default()
    });
    let t0 = Instant::now();
    let src: std::net::SocketAddr = "127.0.0.1:40000".parse().unwrap();
    // rport: back to the source address and port.
    new_request(&mut l, t0, invite("z9hG4bKad1"), Target::udp(src));
    assert_eq!(drain(&mut l)[0].target, Target::udp(src));
    // No rport: the source IP and the Via's port.
    let norport = parse(&invite("z9hG4bKad2").to_string().replace(";rport", ""));
    new_request(&mut l, t0, norport, Target::udp(src));
    assert_eq!(
        drain(&mut l)[0].target,
        Target::udp("127.0.0.1:5060".parse().unwrap())
    );
    // No rport, no port: 5060.
    let noport = parse(&invite("z9hG4bKad3").to_string().replace(
        "127.0.0.1:5060;branch=z9hG4bKad3;rport",
        "127.0.0.1;branch=z9hG4bKad3",
    ));
    new_request(&mut l, t0, noport, Target::udp(src));
    assert_eq!(
        drain(&mut l)[0].target,
        Target::udp("127.0.0.1:5060".parse().unwrap())
    );
    // TCP: back over the connection.
    let norport = parse(&invite("z9hG4bKad4").to_string().replace(";rport", ""));
    new_request(&mut l, t0, norport, Target::tcp(src));
    assert_eq!(drain(&mut l)[0].target, Target::tcp(src));
}

#[test]
fn respond_checks_the_response() {
    let mut l = layer();
    let t0 = Instant::now();
    let inv = invite("z9hG4bKrc");
    let key = new_request(&mut l, t0, inv.clone(), peer());
    let other = invite("z9hG4bKother");
    assert_eq!(
        l.respond(t0, key, response(&other, 180, "u")),
        Err(TransactionError::ResponseMismatch(key))
    );
    assert_eq!(
        l.respond(t0, key, inv.clone()),
        Err(TransactionError::NotAResponse)
    );
    l.respond(t0, key, response(&inv, 200, "u")).unwrap();
    assert!(matches!(
        l.respond(t0, key, response(&inv, 200, "u")),
        Err(TransactionError::InvalidState {
            state: TransactionState::Accepted,
            ..
        })
    ));
    let client = l.send_request(t0, invite("z9hG4bKmine"), peer()).unwrap();
    assert!(matches!(
        l.respond(t0, client, response(&inv, 200, "u")),
        Err(TransactionError::InvalidState { .. })
    ));
}

#[test]
fn malformed_requests_are_dropped_without_state() {
    let mut l = layer();
    let t0 = Instant::now();
    let mismatch = parse(
        &request("BYE", "z9hG4bKm", 1)
            .to_string()
            .replace("CSeq: 1 BYE", "CSeq: 1 INVITE"),
    );
    assert!(matches!(
        l.receive(t0, mismatch, peer()),
        Received::Dropped { .. }
    ));
    let novia = parse(
        "OPTIONS sip:b@127.0.0.1 SIP/2.0\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>\r\n\
         Call-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
    );
    assert!(matches!(
        l.receive(t0, novia, peer()),
        Received::Dropped { .. }
    ));
    assert!(l.is_empty());
    assert!(drain(&mut l).is_empty());
}

#[test]
fn transactions_lists_every_live_one() {
    let mut l = layer();
    let t0 = Instant::now();
    let s = new_request(&mut l, t0, invite("z9hG4bKlist1"), peer());
    let c = l
        .send_request(t0, request("OPTIONS", "z9hG4bKlist2", 1), peer())
        .unwrap();
    let mut all: Vec<_> = l.transactions().collect();
    all.sort_by_key(|(k, _, _)| *k);
    assert_eq!(
        all,
        [
            (
                s,
                TransactionKind::ServerInvite,
                TransactionState::Proceeding
            ),
            (
                c,
                TransactionKind::ClientNonInvite,
                TransactionState::Trying
            ),
        ]
    );
}

#[test]
fn rfc2543_matching_compares_to_tags() {
    let mut l = layer();
    let t0 = Instant::now();
    let text_inv = invite("z9hG4bKx")
        .to_string()
        .replace(";branch=z9hG4bKx", ";branch=1")
        .replace("call-z9hG4bKx", "call-legacy-tags");
    let inv = parse(&text_inv);
    let key = new_request(&mut l, t0, inv.clone(), peer());
    let as_method = |m: &str| {
        parse(
            &text_inv
                .replacen("INVITE sip", &format!("{m} sip"), 1)
                .replace("CSeq: 1 INVITE", &format!("CSeq: 1 {m}")),
        )
    };
    // A CANCEL with a To tag the INVITE did not have cancels nothing.
    let tagged_cancel = parse(
        &as_method("CANCEL")
            .to_string()
            .replace("To: <sip:bob@127.0.0.1>", "To: <sip:bob@127.0.0.1>;tag=zz"),
    );
    assert_eq!(l.find_invite_for_cancel(&tagged_cancel), None);
    assert_eq!(l.find_invite_for_cancel(&as_method("CANCEL")), Some(key));
    l.respond(t0, key, response(&inv, 480, "ours")).unwrap();
    drain(&mut l);
    // An ACK with another To tag is not the ACK of our 480.
    let wrong = parse(&as_method("ACK").to_string().replace(
        "To: <sip:bob@127.0.0.1>",
        "To: <sip:bob@127.0.0.1>;tag=theirs",
    ));
    assert!(matches!(
        l.receive(t0 + ms(10), wrong, peer()),
        Received::Ack { invite: None, .. }
    ));
    assert_eq!(l.state(key), Some(TransactionState::Completed));
    let right = parse(&as_method("ACK").to_string().replace(
        "To: <sip:bob@127.0.0.1>",
        "To: <sip:bob@127.0.0.1>;tag=ours",
    ));
    assert!(matches!(
        l.receive(t0 + ms(20), right, peer()),
        Received::Absorbed
    ));
    assert_eq!(l.state(key), Some(TransactionState::Confirmed));
}
