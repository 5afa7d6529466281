//! Scenario 9: registration and calls in both directions over TCP, and over TLS (Kamailio's
//! tls module with the suite's own CA; our phone verifies Kamailio's certificate against
//! it and serves the same certificate for connections Kamailio opens to us).
//!
//! Each run: our phone registers over the transport (Kamailio's location table shows the
//! binding on its TCP/TLS socket); SIPp (UDP) calls `alice` through Kamailio, which
//! reaches our phone over the transport, we answer, SIPp hangs up; our phone calls SIPp's
//! UAS through Kamailio (INVITE authenticated with 407) and hangs up; `stop()` removes the
//! binding.

use std::time::Duration;

use anyhow::{Context as _, Result, ensure};
use sip_transport::TransportMode;
use voip::{CallState, EndReason};

use super::{Ctx, Scenario, SipRecorder, header};
use crate::peers::kamailio::{Kamailio, KamailioOpts, password, tls_module_present};
use crate::peers::sipp::SippRun;
use crate::peers::wait_udp_bound;

pub(crate) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "udp_register_and_calls",
            "over UDP (baseline): REGISTER, SIPp->Kamailio->us call, us->Kamailio->SIPp call (407), deregister",
            60,
            |ctx| Box::pin(over(ctx, TransportMode::Udp)),
        ),
        Scenario::new(
            "tcp_register_and_calls",
            "over TCP: REGISTER with digest, SIPp->Kamailio->us call, us->Kamailio->SIPp call, deregister",
            60,
            |ctx| Box::pin(over(ctx, TransportMode::Tcp)),
        ),
        Scenario::new(
            "tls_register_and_calls",
            "over TLS (suite CA, Kamailio tls.so): REGISTER, calls both ways, deregister",
            60,
            |ctx| Box::pin(over(ctx, TransportMode::Tls)),
        ),
    ]
}

async fn over(ctx: &mut Ctx, mode: TransportMode) -> Result<String> {
    let tls = mode == TransportMode::Tls;
    if tls {
        tls_module_present()?;
    }
    let kam = Kamailio::start(
        ctx,
        KamailioOpts {
            tls,
            ..KamailioOpts::default()
        },
    )
    .await?;
    let (server_port, socket_prefix, transport_param) = match mode {
        TransportMode::Tls => (
            kam.tls_port.context("no TLS port")?,
            "tls:",
            "transport=tls",
        ),
        TransportMode::Tcp => (kam.port, "tcp:", "transport=tcp"),
        _ => (kam.port, "udp:", ""),
    };
    let rec = SipRecorder::default();
    let mut params = ctx
        .phone_params("alice", 10)?
        .server("127.0.0.1", server_port)
        .password("alice", password("alice"))
        .transport(mode)
        .sip_layer(rec.clone());
    if let Some(pki) = &kam.pki {
        params = params
            .tls_ca_file(&pki.ca_file)
            .tls_identity(&pki.cert_file, &pki.key_file);
    }
    let phone = ctx.start_phone(params).await?;
    if tls {
        ctx.decode_tls(phone.local_addr().context("not started")?.port());
    }
    let binding = kam
        .wait_bindings("alice", 1, Duration::from_secs(3))
        .await?;
    ensure!(
        binding[0].socket.starts_with(socket_prefix),
        "binding arrived on {} (expected {socket_prefix})",
        binding[0].socket
    );
    ensure!(
        binding[0].address.contains(transport_param),
        "Contact {} lacks ;{transport_param}",
        binding[0].address
    );

    // Incoming: SIPp (UDP) -> Kamailio -> our phone over the transport.
    let sipp = SippRun::new(ctx, "sipp_uac", "uac_call.xml")
        .remote(kam.addr())
        .service("alice")
        .arg("-d")
        .arg("1000")
        .timeout(Duration::from_secs(20))
        .spawn(ctx)?;
    let call = tokio::time::timeout(Duration::from_secs(10), phone.incoming())
        .await
        .context("no incoming call over the transport")?
        .context("phone stopped")?;
    call.answer().await?;
    call.wait_for_state_timeout(CallState::Ended, Duration::from_secs(10))
        .await
        .context("SIPp's BYE did not end the call")?;
    ensure!(
        call.end_reason() == Some(EndReason::RemoteHangup),
        "incoming call ended {:?}",
        call.end_reason()
    );
    let incoming = sipp.finish().await?;
    incoming.expect_clean(1).context("incoming call")?;

    // Outgoing: our phone -> Kamailio (407, retried with credentials) -> SIPp UAS.
    let mut uas = SippRun::new(ctx, "sipp_uas", "uas_answer.xml")
        .timeout(Duration::from_secs(20))
        .spawn(ctx)?;
    wait_udp_bound(uas.addr(), Duration::from_secs(5)).await?;
    uas.ensure_running()?;
    let out = phone
        .call(&format!("sip:sipp@127.0.0.1:{}", uas.port), None)
        .await?;
    out.wait_for_state_timeout(CallState::Answered, Duration::from_secs(10))
        .await
        .context("outgoing call through Kamailio not answered")?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    out.hangup().await?;
    out.wait_for_state_timeout(CallState::Ended, Duration::from_secs(10))
        .await?;
    let outgoing = uas.finish().await?;
    outgoing.expect_clean(1).context("outgoing call")?;
    let invites = rec.sent_requests("INVITE");
    ensure!(
        invites
            .iter()
            .any(|m| header(m, "Proxy-Authorization").is_some()),
        "our INVITE was never authenticated (expected Kamailio's 407)"
    );
    let via = header(&invites[0], "Via").unwrap_or_default().to_owned();
    let want = match mode {
        TransportMode::Tls => "SIP/2.0/TLS",
        TransportMode::Tcp => "SIP/2.0/TCP",
        _ => "SIP/2.0/UDP",
    };
    ensure!(via.starts_with(want), "INVITE Via {via} (expected {want})");

    phone.stop().await;
    kam.wait_bindings("alice", 0, Duration::from_secs(3))
        .await
        .context("binding left after stop")?;
    Ok(format!(
        "registered on {}, call in ({}) and out ({}), deregistered",
        binding[0].socket,
        incoming.summary(),
        outgoing.summary()
    ))
}
