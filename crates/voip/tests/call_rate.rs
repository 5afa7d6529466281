//! Regression (voip-bugs.md, scale/load 15:58): a sustained call rate was capped at about
//! 128 calls/s because ended calls (lingering 32 s) counted against `MAX_CALLS` and
//! finished transactions (Timer J / Timer L, 32 s) against the transaction limit. Now
//! only live calls count, and the transaction limit fits 1000 calls/s of lingering
//! transactions. Sans-IO, fake clock: 5000 calls at 1000 per second.

mod core_support;

use std::time::{Duration, Instant};

use voip::core::{CallState, MAX_CALLS};

use core_support::*;

#[test]
fn thousands_of_short_calls_in_a_few_seconds_are_all_answered() {
    let mut core = bob();
    let t0 = Instant::now();
    let calls = 5000;
    assert!(calls > MAX_CALLS);
    for i in 0..calls {
        let now = t0 + Duration::from_millis(i as u64);
        let id = format!("rate{i}");
        core.handle_incoming(now, invite(&id, OFFER), alice());
        let out = sent(&mut core);
        assert_eq!(
            out.iter().map(code).collect::<Vec<_>>(),
            [100, 180],
            "call {i} refused"
        );
        let tag = out[1].to_tag().unwrap().to_owned();
        let call = incoming_call(events(&mut core));
        core.answer(now, call, 30000).unwrap();
        assert_eq!(code(&sent(&mut core)[0]), 200);
        core.handle_incoming(now, in_dialog("ACK", &id, &tag, 10, "", ""), alice());
        core.handle_incoming(now, in_dialog("BYE", &id, &tag, 11, "", ""), alice());
        assert_eq!(
            sent(&mut core).iter().map(code).collect::<Vec<_>>(),
            [200],
            "BYE of call {i}"
        );
        assert_eq!(core.call_state(call), Some(CallState::Ended));
        events(&mut core);
        if i % 500 == 0 {
            core.handle_timeout(now);
            sent(&mut core);
        }
    }
    assert!(core.active_calls().is_empty());
}

#[test]
fn live_calls_are_still_bounded() {
    let mut core = bob();
    let now = Instant::now();
    for i in 0..MAX_CALLS {
        core.handle_incoming(now, invite(&format!("live{i}"), OFFER), alice());
    }
    sent(&mut core);
    events(&mut core);
    assert_eq!(core.active_calls().len(), MAX_CALLS);
    core.handle_incoming(now, invite("one-too-many", OFFER), alice());
    assert_eq!(sent(&mut core).iter().map(code).collect::<Vec<_>>(), [486]);
    assert!(events(&mut core).is_empty());
}
