//! Scenario 5: our phone transfers an answered call with REFER through Kamailio. The
//! transferee and the transfer target are two baresips (bob and carol): bob, told by our
//! REFER, calls carol; the transfer is complete when carol has bob on the line, with
//! bob's audio in carol's recording.
//!
//! Blind (`transfer(target, true)`): our call ends once bob accepted the REFER. With
//! `blind = false` our phone waits for bob's NOTIFY of the new call's outcome: `true`
//! once carol answered; a target that does not exist (dave, not registered: 404) gives
//! `false` and our call goes on. (Attended transfer with `Replaces` is not in the phone's
//! API.)

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, ensure};
use voip::{CallState, EndReason};

use super::baresip::{expect_tone, registered_phone};
use super::{Ctx, Scenario, SipRecorder, header};
use crate::peers::baresip::{Baresip, BaresipOpts, event_peer};
use crate::peers::kamailio::{Kamailio, KamailioOpts};

pub(crate) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "transfer_blind",
            "blind REFER through Kamailio: baresip bob calls baresip carol, our call ends Transferred",
            45,
            |ctx| Box::pin(transfer(ctx, true)),
        ),
        Scenario::new(
            "transfer_notify",
            "REFER waiting for NOTIFY: to an unknown user -> false, call kept; to carol -> true once carol answered",
            60,
            |ctx| Box::pin(transfer(ctx, false)),
        ),
        Scenario::new(
            "transfer_by_baresip",
            "baresip transfers its call with us to carol (REFER to us): we call carol, carol answers, bob's call ends",
            45,
            |ctx| Box::pin(transferred_by_baresip(ctx)),
        ),
    ]
}

/// The other direction (beyond the list): we are the transferee. bob calls us,
/// then REFERs us to carol; our phone must accept (202), call carol through Kamailio, and
/// report the outcome to bob by NOTIFY, after which bob hangs up on us. bob refers us to
/// `sip:carol@voip.test`, a domain only the proxy knows (no DNS here): like baresip, our
/// phone is given Kamailio as outbound proxy, otherwise it would (rightly, RFC 3263) try
/// to resolve voip.test and report 503 to bob.
async fn transferred_by_baresip(ctx: &mut Ctx) -> Result<String> {
    let kam = Kamailio::start(ctx, KamailioOpts::default()).await?;
    let rec = SipRecorder::default();
    let params = ctx
        .phone_params("alice", 6)?
        .server("127.0.0.1", kam.port)
        .password("alice", crate::peers::kamailio::password("alice"))
        .outbound_proxy(format!("sip:127.0.0.1:{};lr", kam.port))
        .sip_layer(rec.clone());
    let alice = ctx.start_phone(params).await?;
    let mut bob = Baresip::start(ctx, &kam, BaresipOpts::new("bob", 600.0)).await?;
    let mut carol = Baresip::start(ctx, &kam, BaresipOpts::new("carol", 800.0)).await?;

    bob.command("dial", "sip:alice@voip.test").await?;
    let first = super::baresip::incoming(&alice, Duration::from_secs(5)).await?;
    first.answer().await?;
    bob.wait_event("CALL_ESTABLISHED", 1, Duration::from_secs(5))
        .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    bob.command("transfer", "sip:carol@voip.test").await?;

    let at_carol = carol
        .wait_event("CALL_ESTABLISHED", 1, Duration::from_secs(8))
        .await
        .context("our phone never reached carol after bob's REFER")?;
    ensure!(
        event_peer(&at_carol).contains("alice"),
        "carol's call is with {}",
        event_peer(&at_carol)
    );
    let mut second = None;
    for _ in 0..100 {
        second = alice
            .calls()
            .await
            .into_iter()
            .find(|c| c.id() != first.id() && c.remote_uri().contains("carol"));
        if second
            .as_ref()
            .is_some_and(|c| c.state() == CallState::Answered)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let second = second.context("no call to carol among our phone's calls")?;
    ensure!(
        second.state() == CallState::Answered,
        "our call to carol is {:?}",
        second.state()
    );
    first
        .wait_for_state_timeout(CallState::Ended, Duration::from_secs(8))
        .await
        .context("the transferred call with bob did not end")?;
    let refer_answer = rec
        .sent()
        .into_iter()
        .find(|m| m.starts_with("SIP/2.0 ") && super::cseq_method(m) == Some("REFER"))
        .context("we never answered bob's REFER")?;
    let refer_status = refer_answer.lines().next().unwrap_or_default().to_owned();
    ensure!(
        refer_status.starts_with("SIP/2.0 202"),
        "bob's REFER got {refer_status:?}"
    );
    let sipfrags: Vec<String> = rec
        .sent_requests("NOTIFY")
        .iter()
        .filter_map(|m| m.split("\r\n\r\n").nth(1))
        .map(|b| b.lines().next().unwrap_or_default().to_owned())
        .collect();
    ensure!(
        sipfrags.iter().any(|f| f.starts_with("SIP/2.0 200")),
        "no NOTIFY told bob the new call succeeded: {sipfrags:?}"
    );
    let heard = super::baresip::play_and_record(&second, &[], 1.5).await?;
    let tone = expect_tone("what we recorded from carol", &heard, 800.0, -6.0, 1.0)?;
    second.hangup().await?;
    carol
        .wait_event("CALL_CLOSED", 1, Duration::from_secs(5))
        .await?;
    alice.stop().await;
    bob.stop().await;
    carol.stop().await;
    Ok(format!(
        "REFER -> {refer_status}; we called carol, NOTIFYs {sipfrags:?}; bob's call ended {:?}; carol's 800 Hz {tone}",
        first.end_reason()
    ))
}

async fn transfer(ctx: &mut Ctx, blind: bool) -> Result<String> {
    let kam = Kamailio::start(ctx, KamailioOpts::default()).await?;
    let rec = SipRecorder::default();
    let alice = registered_phone(ctx, &kam, "alice", &rec).await?;
    let mut bob = Baresip::start(ctx, &kam, BaresipOpts::new("bob", 600.0)).await?;
    let mut carol = Baresip::start(ctx, &kam, BaresipOpts::new("carol", 800.0)).await?;

    let call = alice.call("bob", None).await?;
    call.wait_for_state_timeout(CallState::Answered, Duration::from_secs(8))
        .await
        .with_context(|| format!("bob did not answer ({:?})", call.end_reason()))?;
    bob.wait_event("CALL_ESTABLISHED", 1, Duration::from_secs(5))
        .await?;
    let mut detail = Vec::new();

    if !blind {
        // A target nobody registered: Kamailio answers bob's INVITE 404, bob NOTIFYs it.
        let t0 = Instant::now();
        let ok = tokio::time::timeout(Duration::from_secs(15), call.transfer("dave", false))
            .await
            .context("transfer to dave did not return within 15s")??;
        ensure!(!ok, "transfer to an unregistered user reported success");
        tokio::time::sleep(Duration::from_millis(500)).await;
        ensure!(
            call.state() == CallState::Answered,
            "after the failed transfer our call is {:?} ({:?})",
            call.state(),
            call.end_reason()
        );
        detail.push(format!(
            "REFER to dave: false after {} ms, call kept",
            t0.elapsed().as_millis()
        ));
    }

    let t0 = Instant::now();
    let ok = tokio::time::timeout(Duration::from_secs(15), call.transfer("carol", blind))
        .await
        .context("transfer to carol did not return within 15s")??;
    let took = t0.elapsed().as_millis();
    ensure!(ok, "transfer to carol returned false");
    // What our phone had received when transfer() returned: blind needs the REFER's
    // 202, the other mode bob's NOTIFY carrying the new call's 200.
    let received = rec.received();
    ensure!(
        !rec.received_responses(202, "REFER").is_empty(),
        "transfer() returned true without a 202 to the REFER"
    );
    if !blind {
        ensure!(
            received
                .iter()
                .any(|m| m.starts_with("NOTIFY ") && m.contains("SIP/2.0 200")),
            "transfer(blind=false) returned true before the NOTIFY with 200"
        );
        // The NOTIFY with 200 comes when carol answered: she has the call by now.
        let established = carol
            .wait_event("CALL_ESTABLISHED", 1, Duration::from_secs(2))
            .await
            .context("transfer() returned true before carol had the call")?;
        ensure!(
            event_peer(&established).contains("bob"),
            "carol's call is with {}",
            event_peer(&established)
        );
    }
    call.wait_for_state_timeout(CallState::Ended, Duration::from_secs(5))
        .await
        .context("our call did not end after the transfer")?;
    ensure!(
        call.end_reason() == Some(EndReason::Transferred),
        "our call ended with {:?}, not Transferred",
        call.end_reason()
    );
    let at_carol = carol
        .wait_event("CALL_ESTABLISHED", 1, Duration::from_secs(8))
        .await
        .context("bob never reached carol")?;
    ensure!(
        event_peer(&at_carol).contains("bob"),
        "carol's call is with {}",
        event_peer(&at_carol)
    );
    let at_bob = bob
        .wait_event("CALL_ESTABLISHED", 2, Duration::from_secs(5))
        .await?;
    ensure!(
        event_peer(&at_bob).contains("carol"),
        "bob's second call is with {}",
        event_peer(&at_bob)
    );
    // Bob and carol talk for a moment; carol must hear bob's tone.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    carol.command("hangup", "").await?;
    carol
        .wait_event("CALL_CLOSED", 1, Duration::from_secs(5))
        .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, dec) = carol
        .recordings()?
        .into_iter()
        .next()
        .context("carol recorded no call")?;
    let carol_heard = Baresip::read_recording(&dec)?;
    let tone = expect_tone("what carol recorded", &carol_heard, 600.0, -6.0, 1.0)?;

    // The NOTIFYs of the refer subscription are answered 200, also after our call ended
    // (a 481 would kill the subscription the REFER created, RFC 3515 / RFC 5057).
    let notify_answers: Vec<String> = rec
        .sent()
        .into_iter()
        .filter(|m| m.starts_with("SIP/2.0 ") && super::cseq_method(m) == Some("NOTIFY"))
        .map(|m| m.lines().next().unwrap_or_default().to_owned())
        .collect();
    ensure!(
        notify_answers.iter().all(|l| l.starts_with("SIP/2.0 200")),
        "our answers to bob's NOTIFYs: {notify_answers:?}"
    );
    let refers = rec.sent_requests("REFER");
    let last = refers.last().context("no REFER in our SIP log")?;
    let refer_to = header(last, "Refer-To").unwrap_or_default().to_owned();
    ensure!(refer_to.contains("carol"), "Refer-To {refer_to:?}");
    let notifies = rec
        .received()
        .into_iter()
        .filter(|m| m.starts_with("NOTIFY "))
        .count();
    detail.push(format!(
        "REFER to carol ({refer_to}): true after {took} ms; {notifies} NOTIFY answered 200; carol got bob, heard his 600 Hz {tone}"
    ));
    alice.stop().await;
    bob.stop().await;
    carol.stop().await;
    Ok(detail.join("; "))
}
