//! RFC 3261 §15 / §13.3.1.4: the callee must not send BYE on a confirmed dialog until the
//! caller ACKed its 2xx, or the 2xx's retransmissions gave up. Found against SIPp's `uac`
//! scenario: our BYE left 0.2 ms after our 200, before the ACK.

use std::time::{Duration, Instant};

use sip_message::{Method, SipMessage};
use voip::core::{CallKey, CallState, CoreEvent, EndReason, UaCore};

mod core_support;
use core_support::*;

fn byes(out: &[SipMessage]) -> usize {
    out.iter()
        .filter(|m| m.method() == Some(Method::Bye))
        .count()
}

/// Bob answers an INVITE (with `body` as offer): the call key and our To tag.
fn answered(core: &mut UaCore, now: Instant, call_id: &str, body: &str) -> (CallKey, String) {
    core.handle_incoming(now, invite(call_id, body), alice());
    let ringing = sent(core).pop().unwrap();
    let tag = ringing.to_tag().unwrap().to_owned();
    let call = incoming_call(events(core));
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
    core.handle_incoming(t1, in_dialog("ACK", "h1", &tag, 10, "", ""), alice());
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
    core.handle_incoming(t1, in_dialog("ACK", "h1", &tag, 10, "", ""), alice());
    assert_eq!(byes(&sent(&mut core)), 0);
}

#[test]
fn hangup_after_the_ack_sends_the_bye_at_once() {
    let mut core = bob();
    let t0 = Instant::now();
    let (call, tag) = answered(&mut core, t0, "h2", OFFER);
    core.handle_incoming(t0, in_dialog("ACK", "h2", &tag, 10, "", ""), alice());
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
    core.handle_incoming(t0, in_dialog("ACK", "h5", &tag, 10, "", ""), alice());
    assert_eq!(byes(&sent(&mut core)), 1);
}
