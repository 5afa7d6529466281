//! Client transactions (RFC 3261 §17.1) with a fake clock: timers A, B, D, E, F, K, M,
//! retransmission intervals, the ACK of non-2xx responses, RFC 6026 Accepted, CANCEL.

mod transaction_support;

use std::time::{Duration, Instant};
use transaction_support::*;
use voip::timer::{Timer, TimerConfig};
use voip::transaction::{
    Received, TransactionConfig, TransactionError, TransactionEvent, TransactionKind,
    TransactionLayer, TransactionState,
};

fn layer() -> TransactionLayer {
    TransactionLayer::new(TransactionConfig::default())
}

#[test]
fn invite_over_udp_retransmits_on_timer_a_and_times_out_on_b() {
    let mut l = layer();
    let t0 = Instant::now();
    let inv = invite("z9hG4bKa1");
    let key = l.send_request(t0, inv.clone(), peer()).unwrap();
    let first = drain(&mut l);
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].bytes, inv.to_bytes());
    assert_eq!(first[0].target, peer());
    assert_eq!(first[0].key, Some(key));
    assert_eq!(l.state(key), Some(TransactionState::Calling));

    let (sent, evs) = run_until(&mut l, t0, t0 + Duration::from_secs(100));
    // Timer A doubles without limit: 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s; Timer B at 32 s.
    assert_eq!(offsets_ms(&sent), [500, 1500, 3500, 7500, 15500, 31500]);
    assert!(sent.iter().all(|(_, t)| t.bytes == inv.to_bytes()));
    assert_eq!(
        evs,
        [
            (
                Duration::from_secs(32),
                TransactionEvent::Timeout {
                    key,
                    timer: Timer::B
                }
            ),
            (
                Duration::from_secs(32),
                TransactionEvent::Terminated { key }
            ),
        ]
    );
    assert!(l.is_empty());
    assert_eq!(l.poll_timeout(), None);
}

#[test]
fn invite_timers_follow_a_configured_t1() {
    let mut l = TransactionLayer::new(TransactionConfig {
        timers: TimerConfig {
            t1: ms(100),
            t2: ms(400),
            t4: ms(1000),
        },
        ..TransactionConfig::default()
    });
    let t0 = Instant::now();
    let key = l.send_request(t0, invite("z9hG4bKt1"), peer()).unwrap();
    drain(&mut l);
    assert_eq!(l.timer_deadline(key, Timer::B), Some(t0 + ms(6400)));
    let (sent, evs) = run_until(&mut l, t0, t0 + Duration::from_secs(60));
    assert_eq!(offsets_ms(&sent), [100, 300, 700, 1500, 3100, 6300]);
    assert_eq!(evs[0].0, ms(6400));
}

#[test]
fn invite_over_tcp_is_sent_once_and_still_times_out() {
    let mut l = layer();
    let t0 = Instant::now();
    let key = l
        .send_request(t0, invite("z9hG4bKtcp"), peer_tcp())
        .unwrap();
    assert_eq!(drain(&mut l).len(), 1);
    assert_eq!(l.timer_deadline(key, Timer::A), None);
    let (sent, evs) = run_until(&mut l, t0, t0 + Duration::from_secs(100));
    assert!(sent.is_empty());
    assert_eq!(
        evs[0],
        (
            Duration::from_secs(32),
            TransactionEvent::Timeout {
                key,
                timer: Timer::B
            }
        )
    );
}

#[test]
fn provisional_stops_retransmission_and_non_2xx_is_acked_by_the_transaction() {
    let mut l = layer();
    let t0 = Instant::now();
    let inv = invite("z9hG4bKack");
    let key = l.send_request(t0, inv.clone(), peer()).unwrap();
    drain(&mut l);
    let (sent, _) = run_until(&mut l, t0, t0 + ms(600));
    assert_eq!(offsets_ms(&sent), [500]);

    let ringing = response(&inv, 180, "bobtag");
    match l.receive(t0 + ms(700), ringing, peer()) {
        Received::Response { key: k, msg } => {
            assert_eq!(k, key);
            assert_eq!(msg.status().unwrap().code(), 180);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(l.state(key), Some(TransactionState::Proceeding));
    // No more retransmissions, and Timer B no longer applies in Proceeding.
    let (sent, evs) = run_until(&mut l, t0, t0 + Duration::from_secs(120));
    assert!(sent.is_empty() && evs.is_empty());
    assert_eq!(l.state(key), Some(TransactionState::Proceeding));

    let now = t0 + Duration::from_secs(120);
    let busy = response(&inv, 486, "bobtag");
    assert!(matches!(
        l.receive(now, busy.clone(), peer()),
        Received::Response { key: k, .. } if k == key
    ));
    assert_eq!(l.state(key), Some(TransactionState::Completed));
    let out = drain(&mut l);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].target, peer());
    let ack = parse(&text(&out[0]));
    // RFC 3261 §17.1.1.3.
    assert_eq!(ack.method(), Some(sip_message::Method::Ack));
    assert_eq!(ack.request_uri_str(), inv.request_uri_str());
    assert_eq!(ack.call_id().unwrap(), inv.call_id().unwrap());
    assert_eq!(ack.from().unwrap(), inv.from().unwrap());
    assert_eq!(ack.to().unwrap(), busy.to().unwrap());
    assert_eq!(ack.to_tag(), Some("bobtag"));
    assert_eq!(ack.vias().count(), 1);
    assert_eq!(ack.via().unwrap(), inv.via().unwrap());
    let cseq = ack.cseq().unwrap();
    assert_eq!(cseq.seq, inv.cseq().unwrap().seq);
    assert_eq!(cseq.method, sip_message::Method::Ack);
    let routes: Vec<String> = ack.routes().map(|r| r.unwrap().to_string()).collect();
    assert_eq!(
        routes,
        ["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"]
    );
    assert_eq!(ack.max_forwards().unwrap().unwrap(), 70);
    assert!(ack.header(&sip_message::HeaderName::Contact).is_none());
    assert!(ack.body().is_empty());
    ack.validate().unwrap();

    // A retransmitted 486 is answered with the same ACK and not passed up.
    let later = now + Duration::from_secs(1);
    assert!(matches!(
        l.receive(later, busy.clone(), peer()),
        Received::Absorbed
    ));
    let again = drain(&mut l);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].bytes, out[0].bytes);
    // Timer D: 32 s on UDP.
    assert_eq!(
        l.timer_deadline(key, Timer::D),
        Some(now + Duration::from_secs(32))
    );
    let (_, evs) = run_until(&mut l, t0, now + Duration::from_secs(40));
    assert_eq!(
        evs,
        [(
            Duration::from_secs(152),
            TransactionEvent::Terminated { key }
        )]
    );
    // After the transaction, the retransmission is a stray response.
    assert!(matches!(
        l.receive(now + Duration::from_secs(41), busy, peer()),
        Received::Stray { .. }
    ));
}

#[test]
fn non_2xx_over_tcp_is_acked_and_timer_d_is_zero() {
    let mut l = layer();
    let t0 = Instant::now();
    let inv = invite("z9hG4bKdtcp");
    let key = l.send_request(t0, inv.clone(), peer_tcp()).unwrap();
    drain(&mut l);
    let r = l.receive(t0 + ms(50), response(&inv, 404, "x"), peer_tcp());
    assert!(matches!(r, Received::Response { .. }));
    let out = drain(&mut l);
    assert_eq!(out.len(), 1);
    assert!(text(&out[0]).starts_with("ACK sip:bob@127.0.0.1:5070 SIP/2.0\r\n"));
    assert_eq!(out[0].target, peer_tcp());
    assert_eq!(events(&mut l), [TransactionEvent::Terminated { key }]);
    assert!(l.is_empty());
}

#[test]
fn non_invite_over_udp_retransmits_on_e_up_to_t2_and_times_out_on_f() {
    let mut l = layer();
    let t0 = Instant::now();
    let opt = request("OPTIONS", "z9hG4bKe1", 7);
    let key = l.send_request(t0, opt.clone(), peer()).unwrap();
    assert_eq!(drain(&mut l).len(), 1);
    assert_eq!(l.state(key), Some(TransactionState::Trying));
    let (sent, evs) = run_until(&mut l, t0, t0 + Duration::from_secs(100));
    assert_eq!(
        offsets_ms(&sent),
        [
            500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500
        ]
    );
    assert_eq!(
        evs,
        [
            (
                Duration::from_secs(32),
                TransactionEvent::Timeout {
                    key,
                    timer: Timer::F
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
fn non_invite_in_proceeding_retransmits_every_t2() {
    let mut l = layer();
    let t0 = Instant::now();
    let reg = request("REGISTER", "z9hG4bKe2", 1);
    let key = l.send_request(t0, reg.clone(), peer()).unwrap();
    drain(&mut l);
    let (sent, _) = run_until(&mut l, t0, t0 + ms(600));
    assert_eq!(offsets_ms(&sent), [500]);
    assert!(matches!(
        l.receive(t0 + ms(700), response(&reg, 100, "r"), peer()),
        Received::Response { .. }
    ));
    assert_eq!(l.state(key), Some(TransactionState::Proceeding));
    let (sent, evs) = run_until(&mut l, t0, t0 + Duration::from_secs(100));
    // The pending E (1.5 s) fires, then every T2 = 4 s; F still ends it at 32 s.
    assert_eq!(
        offsets_ms(&sent),
        [1500, 5500, 9500, 13500, 17500, 21500, 25500, 29500]
    );
    assert_eq!(
        evs[0],
        (
            Duration::from_secs(32),
            TransactionEvent::Timeout {
                key,
                timer: Timer::F
            }
        )
    );
}

#[test]
fn non_invite_final_response_lingers_for_timer_k() {
    let mut l = layer();
    let t0 = Instant::now();
    let bye = request("BYE", "z9hG4bKk1", 2);
    let key = l.send_request(t0, bye.clone(), peer()).unwrap();
    drain(&mut l);
    let ok = response(&bye, 200, "t");
    let now = t0 + ms(100);
    assert!(matches!(
        l.receive(now, ok.clone(), peer()),
        Received::Response { .. }
    ));
    assert_eq!(l.state(key), Some(TransactionState::Completed));
    assert!(matches!(
        l.receive(now, ok.clone(), peer()),
        Received::Absorbed
    ));
    assert!(drain(&mut l).is_empty(), "nothing is sent in Completed");
    assert_eq!(l.timer_deadline(key, Timer::K), Some(now + ms(5000)));
    let (sent, evs) = run_until(&mut l, t0, t0 + Duration::from_secs(60));
    assert!(sent.is_empty());
    assert_eq!(evs, [(ms(5100), TransactionEvent::Terminated { key })]);

    // Over TCP Timer K is zero.
    let bye2 = request("BYE", "z9hG4bKk2", 3);
    let key2 = l.send_request(now, bye2.clone(), peer_tcp()).unwrap();
    drain(&mut l);
    assert!(matches!(
        l.receive(now, response(&bye2, 200, "t"), peer_tcp()),
        Received::Response { .. }
    ));
    assert_eq!(events(&mut l), [TransactionEvent::Terminated { key: key2 }]);
    assert!(l.is_empty());
}

#[test]
fn invite_2xx_moves_to_accepted_and_timer_m_ends_it() {
    let mut l = layer();
    let t0 = Instant::now();
    let inv = invite("z9hG4bKm1");
    let key = l.send_request(t0, inv.clone(), peer()).unwrap();
    drain(&mut l);
    let ok = response(&inv, 200, "b1");
    let now = t0 + ms(300);
    assert!(matches!(
        l.receive(now, ok.clone(), peer()),
        Received::Response { .. }
    ));
    assert_eq!(l.state(key), Some(TransactionState::Accepted));
    assert!(drain(&mut l).is_empty(), "the ACK of a 2xx is the dialog's");
    assert_eq!(
        l.timer_deadline(key, Timer::M),
        Some(now + Duration::from_secs(32))
    );
    // Without a registered ACK, a 2xx retransmission goes to the TU (which re-ACKs).
    assert!(matches!(
        l.receive(now + ms(500), ok.clone(), peer()),
        Received::Response { key: k, .. } if k == key
    ));
    // Once the TU sent its ACK through the layer, retransmissions are answered here.
    let ack = ack_for_2xx(&inv, "z9hG4bKm1ack", "b1");
    l.send_ack(now + ms(600), key, ack.clone(), peer()).unwrap();
    let out = drain(&mut l);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].bytes, ack.to_bytes());
    assert!(matches!(
        l.receive(now + ms(1500), ok.clone(), peer()),
        Received::Absorbed
    ));
    assert_eq!(drain(&mut l)[0].bytes, ack.to_bytes());
    // A 2xx from another fork (other To tag) reaches the TU.
    assert!(matches!(
        l.receive(now + ms(1600), response(&inv, 200, "b2"), peer()),
        Received::Response { .. }
    ));
    // Provisional and non-2xx responses are dropped in Accepted.
    assert!(matches!(
        l.receive(now + ms(1700), response(&inv, 180, "b3"), peer()),
        Received::Absorbed
    ));
    let (sent, evs) = run_until(&mut l, t0, t0 + Duration::from_secs(100));
    assert!(sent.is_empty());
    assert_eq!(evs, [(ms(32300), TransactionEvent::Terminated { key })]);
    assert!(matches!(
        l.receive(t0 + Duration::from_secs(101), ok, peer()),
        Received::Stray { .. }
    ));
}

#[test]
fn cancel_is_built_from_the_invite_and_is_its_own_transaction() {
    let mut l = layer();
    let t0 = Instant::now();
    let inv = invite("z9hG4bKc1");
    let ikey = l.send_request(t0, inv.clone(), peer()).unwrap();
    drain(&mut l);
    l.receive(t0 + ms(100), response(&inv, 180, "b"), peer());
    let cancel = l.cancel_request(ikey).unwrap();
    assert_eq!(cancel.method(), Some(sip_message::Method::Cancel));
    assert_eq!(cancel.request_uri_str(), inv.request_uri_str());
    assert_eq!(cancel.via().unwrap(), inv.via().unwrap());
    assert_eq!(cancel.vias().count(), 1);
    assert_eq!(cancel.call_id().unwrap(), inv.call_id().unwrap());
    assert_eq!(cancel.from().unwrap(), inv.from().unwrap());
    assert_eq!(cancel.to().unwrap(), inv.to().unwrap());
    assert_eq!(cancel.to_tag(), None);
    assert_eq!(cancel.cseq().unwrap().seq, 1);
    assert_eq!(cancel.cseq().unwrap().method, sip_message::Method::Cancel);
    assert_eq!(cancel.routes().count(), 2);
    cancel.validate().unwrap();

    let ckey = l
        .send_request(t0 + ms(200), cancel.clone(), l.target(ikey).unwrap())
        .unwrap();
    assert_ne!(ckey, ikey);
    assert_eq!(drain(&mut l)[0].bytes, cancel.to_bytes());
    // The 200 for the CANCEL and the 487 for the INVITE find their own transactions.
    let r = l.receive(t0 + ms(300), response(&cancel, 200, "b"), peer());
    assert!(matches!(r, Received::Response { key, .. } if key == ckey));
    let r = l.receive(t0 + ms(310), response(&inv, 487, "b"), peer());
    assert!(matches!(r, Received::Response { key, .. } if key == ikey));
    assert_eq!(drain(&mut l).len(), 1, "the ACK of the 487");
    assert!(matches!(
        l.cancel_request(ikey),
        Err(TransactionError::InvalidState {
            state: TransactionState::Completed,
            ..
        })
    ));
}

#[test]
fn refused_requests() {
    let mut l = TransactionLayer::new(TransactionConfig {
        max_transactions: 2,
        ..TransactionConfig::default()
    });
    let t0 = Instant::now();
    let inv = invite("z9hG4bKr1");
    assert_eq!(
        l.send_request(t0, ack_for_2xx(&inv, "z9hG4bKx", "t"), peer()),
        Err(TransactionError::AckNotAllowed)
    );
    assert_eq!(
        l.send_request(t0, invite("legacy1"), peer()),
        Err(TransactionError::MissingBranch)
    );
    assert_eq!(
        l.send_request(t0, response(&inv, 200, "t"), peer()),
        Err(TransactionError::NotARequest)
    );
    let k1 = l.send_request(t0, inv.clone(), peer()).unwrap();
    assert_eq!(
        l.send_request(t0, inv.clone(), peer()),
        Err(TransactionError::DuplicateBranch)
    );
    // The same branch with another method is another transaction (that is what CANCEL is).
    l.send_request(t0, request("OPTIONS", "z9hG4bKr1", 1), peer())
        .unwrap();
    assert_eq!(
        l.send_request(t0, invite("z9hG4bKr3"), peer()),
        Err(TransactionError::TooManyTransactions { limit: 2 })
    );
    assert_eq!(l.len(), 2);
    // A transport error ends a transaction and frees its slot.
    l.transport_error(k1);
    let evs = events(&mut l);
    assert_eq!(
        evs,
        [
            TransactionEvent::TransportError { key: k1 },
            TransactionEvent::Terminated { key: k1 }
        ]
    );
    assert_eq!(l.state(k1), None);
    l.send_request(t0, invite("z9hG4bKr3"), peer()).unwrap();
    assert!(matches!(
        l.cancel_request(k1),
        Err(TransactionError::UnknownTransaction(k)) if k == k1
    ));
}

#[test]
fn responses_match_by_branch_and_cseq_method_only() {
    let mut l = layer();
    let t0 = Instant::now();
    let inv = invite("z9hG4bKmatch");
    let key = l.send_request(t0, inv.clone(), peer()).unwrap();
    drain(&mut l);
    // Same branch, other CSeq method: not ours.
    let other = request("OPTIONS", "z9hG4bKmatch", 1);
    assert!(matches!(
        l.receive(t0, response(&other, 200, "x"), peer()),
        Received::Stray { .. }
    ));
    // Other branch: not ours.
    assert!(matches!(
        l.receive(t0, response(&invite("z9hG4bKzzz"), 180, "x"), peer()),
        Received::Stray { .. }
    ));
    // A response without Via cannot be matched.
    let novia = parse(
        "SIP/2.0 200 OK\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>\r\n\
         Call-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
    );
    assert!(matches!(
        l.receive(t0, novia, peer()),
        Received::Dropped { .. }
    ));
    assert_eq!(l.state(key), Some(TransactionState::Calling));
}

#[test]
fn cancel_waits_for_a_provisional_response() {
    let mut l = layer();
    let t0 = Instant::now();
    let inv = invite("z9hG4bKpc1");
    let ikey = l.send_request(t0, inv.clone(), peer()).unwrap();
    drain(&mut l);
    // Calling: RFC 3261 §9.1 forbids sending the CANCEL yet.
    assert_eq!(l.cancel(t0 + ms(100), ikey), Ok(None));
    assert!(drain(&mut l).is_empty());
    // The 180 releases it.
    l.receive(t0 + ms(300), response(&inv, 180, "b"), peer());
    let out = drain(&mut l);
    assert_eq!(out.len(), 1);
    let cancel = parse(&text(&out[0]));
    assert_eq!(cancel.method(), Some(sip_message::Method::Cancel));
    assert_eq!(cancel.via().unwrap(), inv.via().unwrap());
    let evs = events(&mut l);
    let [
        TransactionEvent::CancelSent {
            invite: ik,
            cancel: ckey,
        },
    ] = evs[..]
    else {
        panic!("{evs:?}")
    };
    assert_eq!(ik, ikey);
    assert_eq!(l.request(ckey).unwrap(), &cancel);
    // A second 180 sends nothing more.
    l.receive(t0 + ms(400), response(&inv, 180, "b"), peer());
    assert!(drain(&mut l).is_empty());
    // In Proceeding, cancel() sends at once.
    let inv2 = invite("z9hG4bKpc2");
    let k2 = l.send_request(t0, inv2.clone(), peer()).unwrap();
    l.receive(t0 + ms(100), response(&inv2, 183, "b"), peer());
    drain(&mut l);
    let c2 = l.cancel(t0 + ms(200), k2).unwrap().unwrap();
    assert_eq!(l.kind(c2), Some(TransactionKind::ClientNonInvite));
    assert_eq!(drain(&mut l).len(), 1);
    // A final response before any provisional one: nothing is cancelled.
    let inv3 = invite("z9hG4bKpc3");
    let k3 = l.send_request(t0, inv3.clone(), peer()).unwrap();
    assert_eq!(l.cancel(t0, k3), Ok(None));
    drain(&mut l);
    l.receive(t0 + ms(100), response(&inv3, 486, "b"), peer());
    let out = drain(&mut l);
    assert_eq!(out.len(), 1, "only the ACK of the 486");
    assert!(text(&out[0]).starts_with("ACK "));
    assert!(matches!(
        l.cancel(t0 + ms(200), k3),
        Err(TransactionError::InvalidState { .. })
    ));
}

#[test]
fn stale_timer_entries_do_not_hide_live_timers() {
    // 2000 transactions end early (their Timer B entries go stale) around one live one;
    // the deadline heap is compacted on the way and the live timers still fire on time.
    let mut l = layer();
    let t0 = Instant::now();
    let live = l.send_request(t0, invite("z9hG4bKlive"), peer()).unwrap();
    for i in 0..2000 {
        let inv = invite(&format!("z9hG4bKgone{i}"));
        l.send_request(t0, inv.clone(), peer_tcp()).unwrap();
        l.receive(t0 + ms(10), response(&inv, 404, "x"), peer_tcp());
    }
    assert_eq!(l.len(), 1);
    drain(&mut l);
    events(&mut l);
    assert_eq!(l.poll_timeout(), Some(t0 + ms(500)));
    let (sent, evs) = run_until(&mut l, t0, t0 + Duration::from_secs(100));
    assert_eq!(offsets_ms(&sent), [500, 1500, 3500, 7500, 15500, 31500]);
    assert_eq!(
        evs.last(),
        Some(&(
            Duration::from_secs(32),
            TransactionEvent::Terminated { key: live }
        ))
    );
}

/// RFC 3261 §9.1: once the CANCEL is sent, an INVITE whose final response never comes
/// is given up 64*T1 later (Timer B re-armed in Proceeding), whether the CANCEL went out
/// at once or waited for the 180; further 18x do not stop it.
#[test]
fn a_cancelled_invite_without_final_response_times_out_after_64_t1() {
    for pending in [false, true] {
        let mut l = layer();
        let t0 = Instant::now();
        let inv = invite(if pending { "z9hG4bKcg1" } else { "z9hG4bKcg2" });
        let ikey = l.send_request(t0, inv.clone(), peer()).unwrap();
        let t_cancel = if pending {
            assert_eq!(l.cancel(t0 + ms(100), ikey), Ok(None));
            l.receive(t0 + ms(300), response(&inv, 180, "b"), peer());
            t0 + ms(300)
        } else {
            l.receive(t0 + ms(100), response(&inv, 180, "b"), peer());
            l.cancel(t0 + ms(300), ikey).unwrap().unwrap();
            t0 + ms(300)
        };
        assert_eq!(
            l.timer_deadline(ikey, Timer::B),
            Some(t_cancel + ms(32_000)),
            "pending {pending}"
        );
        l.receive(t0 + ms(500), response(&inv, 183, "b"), peer());
        assert_eq!(
            l.timer_deadline(ikey, Timer::B),
            Some(t_cancel + ms(32_000))
        );
        let (_, evs) = run_until(&mut l, t0, t0 + ms(40_000));
        assert!(
            evs.iter().any(|(at, e)| *at == ms(32_300)
                && matches!(e, TransactionEvent::Timeout { key, timer: Timer::B } if *key == ikey)),
            "pending {pending}: {evs:?}"
        );
        assert_eq!(l.state(ikey), None, "the INVITE transaction is gone");
    }
    // Not cancelled: Proceeding waits as long as it takes (no Timer B).
    let mut l = layer();
    let t0 = Instant::now();
    let inv = invite("z9hG4bKcg3");
    let ikey = l.send_request(t0, inv.clone(), peer()).unwrap();
    l.receive(t0 + ms(100), response(&inv, 180, "b"), peer());
    assert_eq!(l.timer_deadline(ikey, Timer::B), None);
}
