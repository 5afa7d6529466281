//! Scenario 4: load against SIPp. SIPp's UAC calls our phone (registered at Kamailio, so
//! every call goes through the proxy with Record-Route) 200 times at 10 calls/s and hangs
//! up each after 1 s; SIPp's UAS answers 200 calls from our phone, which hangs up each
//! after 1 s. Every call must complete on both sides and SIPp must count zero failed
//! and zero unexpected messages.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, Result, ensure};
use sip_transport::TransportMode;
use voip::{CallState, EndReason, VoipPhone};

use super::{Ctx, Scenario, TaskGuard};
use crate::peers::kamailio::{Kamailio, KamailioOpts, password};
use crate::peers::sipp::SippRun;
use crate::peers::{wait_udp_bound, wait_until};

/// Calls per run and rate (the figures).
const CALLS: u32 = 200;
const RATE: f64 = 10.0;

pub(crate) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "sipp_uac_200_calls",
            "SIPp UAC calls our phone via Kamailio 200 times at 10/s; all complete, 0 failed/unexpected",
            90,
            |ctx| Box::pin(uac_load(ctx, TransportMode::Udp, CALLS)),
        ),
        Scenario::new(
            "sipp_uac_tcp_100_calls",
            "SIPp UAC calls our phone registered over TCP 100 times at 10/s (Kamailio relays over TCP)",
            60,
            |ctx| Box::pin(uac_load(ctx, TransportMode::Tcp, 100)),
        ),
        Scenario::new(
            "sipp_uas_200_calls",
            "our phone calls SIPp's UAS 200 times at 10/s and hangs up; all complete, 0 failed/unexpected",
            90,
            |ctx| Box::pin(sipp_uas_200_calls(ctx)),
        ),
    ]
}

fn tally(outcomes: &Mutex<BTreeMap<String, u32>>, key: String) {
    *outcomes
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .entry(key)
        .or_default() += 1;
}

/// SIPp's UAC calls `alice` through Kamailio `calls` times at [`RATE`]; our phone is
/// registered over `mode`.
async fn uac_load(ctx: &mut Ctx, mode: TransportMode, calls: u32) -> Result<String> {
    let kam = Kamailio::start(ctx, KamailioOpts::default()).await?;
    let params = ctx
        .phone_params("alice", 200)?
        .server("127.0.0.1", kam.port)
        .transport(mode)
        .password("alice", password("alice"));
    let phone = Arc::new(ctx.start_phone(params).await?);
    let outcomes: Arc<Mutex<BTreeMap<String, u32>>> = Arc::default();
    let answerer = {
        let phone = phone.clone();
        let outcomes = outcomes.clone();
        TaskGuard::spawn(async move {
            let mut calls = Vec::new();
            while let Some(call) = phone.incoming().await {
                let outcomes = outcomes.clone();
                calls.push(tokio::spawn(async move {
                    let key = match call.answer().await {
                        Err(e) => format!("answer failed: {e}"),
                        Ok(()) => match call
                            .wait_for_state_timeout(CallState::Ended, Duration::from_secs(10))
                            .await
                        {
                            Ok(()) => format!("{:?}", call.end_reason()),
                            Err(e) => format!("not ended: {e}"),
                        },
                    };
                    tally(&outcomes, key);
                }));
            }
            for c in calls {
                let _ = c.await;
            }
        })
    };
    let stats = SippRun::new(ctx, "sipp", "uac_call.xml")
        .remote(kam.addr())
        .service("alice")
        .calls(calls)
        .rate(RATE)
        .limit(50)
        .arg("-d")
        .arg("1000")
        .timeout(Duration::from_secs(60))
        .run(ctx)
        .await?;
    let done = || {
        outcomes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .sum::<u32>()
    };
    let _ = wait_until(Duration::from_secs(5), "every call to end", || async {
        done() >= calls
    })
    .await;
    let seen = outcomes
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    stats.expect_clean(u64::from(calls))?;
    let hangups = seen
        .get(&format!("{:?}", Some(EndReason::RemoteHangup)))
        .copied()
        .unwrap_or(0);
    ensure!(hangups == calls, "our side of the {calls} calls: {seen:?}");
    let left = phone.calls().await.len();
    ensure!(left == 0, "{left} calls still listed after all ended");
    phone.stop().await;
    answerer.abort();
    let malformed = kam.log_count("malformed request");
    ensure!(
        malformed == 0,
        "Kamailio logged {malformed} malformed requests"
    );
    Ok(format!(
        "{calls} answered over {mode:?} and ended by SIPp's BYE; {}",
        stats.summary()
    ))
}

async fn sipp_uas_200_calls(ctx: &mut Ctx) -> Result<String> {
    let mut sipp = SippRun::new(ctx, "sipp", "uas_answer.xml")
        .calls(CALLS)
        .timeout(Duration::from_secs(60))
        .spawn(ctx)?;
    wait_udp_bound(sipp.addr(), Duration::from_secs(5)).await?;
    sipp.ensure_running()?;
    let params = ctx.phone_params("alice", 200)?;
    let phone = Arc::new(ctx.start_phone(params).await?);
    let target = format!("sip:sipp@{}", sipp.addr());
    let outcomes: Arc<Mutex<BTreeMap<String, u32>>> = Arc::default();
    let mut tasks = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / RATE));
    for _ in 0..CALLS {
        tick.tick().await;
        let phone: Arc<VoipPhone> = phone.clone();
        let target = target.clone();
        let outcomes = outcomes.clone();
        tasks.push(TaskGuard::spawn(async move {
            let key = async {
                let call = phone.call(&target, None).await?;
                call.wait_for_state_timeout(CallState::Answered, Duration::from_secs(10))
                    .await?;
                tokio::time::sleep(Duration::from_secs(1)).await;
                call.hangup().await?;
                call.wait_for_state_timeout(CallState::Ended, Duration::from_secs(10))
                    .await?;
                anyhow::Ok(format!("{:?}", call.end_reason()))
            }
            .await
            .unwrap_or_else(|e| format!("failed: {e:#}"));
            tally(&outcomes, key);
        }));
    }
    for t in tasks {
        t.join().await?;
    }
    let stats = sipp.finish().await.context("SIPp UAS")?;
    let seen = outcomes
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let hangups = seen
        .get(&format!("{:?}", Some(EndReason::LocalHangup)))
        .copied()
        .unwrap_or(0);
    ensure!(hangups == CALLS, "our side of the {CALLS} calls: {seen:?}");
    stats.expect_clean(u64::from(CALLS))?;
    phone.stop().await;
    Ok(format!(
        "{CALLS} calls answered by SIPp, hung up by us; {}",
        stats.summary()
    ))
}
