//! Scaling out (issue 8, docs/scaling.md): two instances of our answering phone behind
//! Kamailio's `dispatcher` module (`tests/interop/kamailio/dispatcher.cfg`), SIPp's UAC
//! sending 100 calls to the balancer. Every call must complete, and both instances must
//! have taken calls (round robin: half each).

use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use anyhow::{Context as _, Result, ensure};
use voip::{CallHandler, VoipCall};

use super::{Ctx, Scenario};
use crate::peers::sipp::SippRun;
use crate::peers::{Process, wait_sip_udp, wait_until};

const CALLS: u32 = 100;

pub(crate) fn scenarios() -> Vec<Scenario> {
    vec![Scenario::new(
        "dispatcher_two_instances",
        "SIPp sends 100 calls to Kamailio's dispatcher; two instances of our phone share them, none fails",
        90,
        |ctx| Box::pin(dispatcher_two_instances(ctx)),
    )]
}

/// Answers every call and counts answered and ended calls.
#[derive(Debug, Clone, Default)]
struct Counting {
    answered: Arc<AtomicU32>,
    ended: Arc<AtomicU32>,
}

impl CallHandler for Counting {
    async fn ringing(&self, call: VoipCall) {
        if call.answer().await.is_ok() {
            self.answered.fetch_add(1, Ordering::Relaxed);
            call.ended().await;
            self.ended.fetch_add(1, Ordering::Relaxed);
        }
    }
}

async fn dispatcher_two_instances(ctx: &mut Ctx) -> Result<String> {
    // The two instances, each its own phone on its own SIP port and RTP range.
    let mut instances = Vec::new();
    for name in ["instance1", "instance2"] {
        let counting = Counting::default();
        let params = ctx.phone_params(name, 200)?.call_handler(counting.clone());
        let phone = ctx.start_phone(params).await?;
        let addr = phone.local_addr().context("instance address")?;
        instances.push((phone, counting, addr));
    }

    // The balancer, with a list file naming the instances.
    let run_dir = ctx.log_dir.join("dispatcher.run");
    std::fs::create_dir_all(&run_dir)?;
    let list = run_dir.join("dispatcher.list");
    let mut text = String::from("# set 1: our instances\n");
    for (_, _, addr) in &instances {
        text.push_str(&format!("1 sip:{addr}\n"));
    }
    std::fs::write(&list, text)?;
    let port = ctx.ports.port()?;
    ctx.peer_port(port);
    ctx.decode_sip(port);
    let mut cmd = Command::new("kamailio");
    cmd.arg("-f")
        .arg(ctx.suite_dir.join("kamailio/dispatcher.cfg"))
        .args(["-DD", "-E", "-m", "64", "-M", "8"])
        .arg("-P")
        .arg(run_dir.join("kamailio.pid"))
        .arg("-Y")
        .arg(&run_dir)
        .arg("-w")
        .arg(&run_dir)
        .arg("-A")
        .arg(format!("SIP_PORT={port}"))
        .arg("-A")
        .arg(format!("LIST_FILE=\"{}\"", list.display()));
    let mut kamailio = Process::spawn(&ctx.log_dir, "kamailio-dispatcher", cmd)?;
    let balancer = SocketAddr::from(([127, 0, 0, 1], port));
    if let Err(e) = wait_sip_udp(balancer, Duration::from_secs(10)).await {
        kamailio.ensure_running()?;
        return Err(e.context("the dispatcher did not become ready"));
    }

    let stats = SippRun::new(ctx, "sipp", "uac_call.xml")
        .remote(balancer)
        .service("alice")
        .calls(CALLS)
        .rate(20.0)
        .limit(50)
        .arg("-d")
        .arg("500")
        .timeout(Duration::from_secs(60))
        .run(ctx)
        .await?;
    let ended = || {
        instances
            .iter()
            .map(|(_, c, _)| c.ended.load(Ordering::Relaxed))
            .sum::<u32>()
    };
    let _ = wait_until(Duration::from_secs(5), "every call to end", || async {
        ended() >= CALLS
    })
    .await;
    kamailio.ensure_running()?;
    let counts: Vec<(u32, u32)> = instances
        .iter()
        .map(|(_, c, _)| {
            (
                c.answered.load(Ordering::Relaxed),
                c.ended.load(Ordering::Relaxed),
            )
        })
        .collect();
    for (phone, _, _) in &instances {
        phone.stop().await;
    }
    let _ = kamailio.stop_async().await;
    stats.expect_clean(u64::from(CALLS))?;
    let answered: u32 = counts.iter().map(|c| c.0).sum();
    ensure!(
        answered == CALLS && ended() == CALLS,
        "instances answered/ended {counts:?}, expected {CALLS} in all"
    );
    ensure!(
        counts.iter().all(|c| c.0 > 0),
        "an instance took no call: {counts:?}"
    );
    Ok(format!(
        "instance calls {} + {}; {}",
        counts[0].0,
        counts[1].0,
        stats.summary()
    ))
}
