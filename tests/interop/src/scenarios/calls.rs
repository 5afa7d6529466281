//! Scenario 6: the ways a call ends early or from the far side, against SIPp: CANCEL of a
//! ringing call (we cancel; SIPp cancels), 486 Busy (from SIPp; from us), a callee that
//! never answers (RFC 3261 Timer A retransmissions, Timer B timeout), and a BYE from the
//! peer while we play audio.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail, ensure};
use voip::timer::TimerConfig;
use voip::{CallState, EndReason, VoipCall, VoipPhone};

use super::{Ctx, Scenario, SipRecorder, header};
use crate::audio;
use crate::peers::kamailio::{Kamailio, KamailioOpts, password};
use crate::peers::sipp::{Sipp, SippRun};
use crate::peers::wait_udp_bound;

pub(crate) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "cancel_outgoing",
            "we CANCEL our ringing call to SIPp: 200 + 487 + ACK, call Ended/Canceled",
            30,
            |ctx| Box::pin(cancel_outgoing(ctx)),
        ),
        Scenario::new(
            "cancel_incoming",
            "SIPp CANCELs its ringing call to us: we answer 200 + 487, call RemoteCanceled",
            30,
            |ctx| Box::pin(cancel_incoming(ctx)),
        ),
        Scenario::new(
            "cancel_incoming_via_kamailio",
            "SIPp's CANCEL reaches us through Kamailio (the proxy's own CANCEL): 200 + 487, RemoteCanceled",
            30,
            |ctx| Box::pin(cancel_incoming_via_kamailio(ctx)),
        ),
        Scenario::new(
            "busy_outgoing",
            "SIPp answers our INVITE 486: we ACK, call Ended with Busy(486)",
            30,
            |ctx| Box::pin(busy_outgoing(ctx)),
        ),
        Scenario::new(
            "busy_incoming",
            "we deny() SIPp's call: 486, SIPp ACKs, no retransmission after the ACK",
            30,
            |ctx| Box::pin(busy_incoming(ctx)),
        ),
        Scenario::new(
            "no_answer_timeout",
            "a callee that never answers: INVITE retransmitted at T1, 2T1, 4T1..., Timer B ends the call",
            30,
            |ctx| Box::pin(no_answer_timeout(ctx)),
        ),
        Scenario::new(
            "sipp_pcap_audio_dtmf",
            "SIPp calls via Kamailio with PCMA audio and RFC 4733 digits from pcaps: we hear the audio, get_dtmf() = \"159#\"",
            40,
            |ctx| Box::pin(sipp_pcap_audio_dtmf(ctx)),
        ),
        Scenario::new(
            "sipp_early_media",
            "SIPp answers 183 with SDP and plays speech before its 200: we hear the early media in Progress",
            30,
            |ctx| Box::pin(sipp_early_media(ctx)),
        ),
        Scenario::new(
            "held_by_sipp",
            "SIPp holds (re-INVITE sendonly) and resumes: we answer recvonly and stop sending, then sendrecv and send again",
            30,
            |ctx| Box::pin(held_by_sipp(ctx)),
        ),
        Scenario::new(
            "sipp_compact_headers",
            "SIPp's INVITE/ACK/BYE with compact, odd-case and folded headers: answered and ended normally",
            30,
            |ctx| Box::pin(sipp_compact_headers(ctx)),
        ),
        Scenario::new(
            "bye_while_playing",
            "SIPp calls via Kamailio, we answer and play a tone; SIPp's BYE ends the call and the audio",
            40,
            |ctx| Box::pin(bye_while_playing(ctx)),
        ),
    ]
}

/// Starts a SIPp UAS and waits until it listens.
async fn sipp_uas(ctx: &mut Ctx, file: &str, calls: u32, secs: u64) -> Result<Sipp> {
    let mut sipp = SippRun::new(ctx, "sipp", file)
        .calls(calls)
        .timeout(Duration::from_secs(secs))
        .spawn(ctx)?;
    wait_udp_bound(sipp.addr(), Duration::from_secs(5)).await?;
    sipp.ensure_running()?;
    Ok(sipp)
}

async fn p2p_phone(ctx: &mut Ctx, rec: &SipRecorder) -> Result<VoipPhone> {
    let params = ctx.phone_params("alice", 10)?.sip_layer(rec.clone());
    ctx.start_phone(params).await
}

fn expect_end(call: &VoipCall, want: &EndReason) -> Result<()> {
    let got = call.end_reason();
    ensure!(
        got.as_ref() == Some(want),
        "end reason {got:?}, expected {want:?}"
    );
    Ok(())
}

async fn incoming(phone: &VoipPhone) -> Result<VoipCall> {
    tokio::time::timeout(Duration::from_secs(10), phone.incoming())
        .await
        .context("no incoming call within 10s")?
        .context("phone stopped")
}

async fn cancel_outgoing(ctx: &mut Ctx) -> Result<String> {
    let sipp = sipp_uas(ctx, "uas_ring_cancel.xml", 1, 15).await?;
    let rec = SipRecorder::default();
    let phone = p2p_phone(ctx, &rec).await?;
    let call = phone
        .call(&format!("sip:sipp@{}", sipp.addr()), None)
        .await?;
    call.wait_for_state_timeout(CallState::Progress, Duration::from_secs(5))
        .await
        .context("no 180")?;
    call.cancel().await?;
    call.wait_for_state_timeout(CallState::Ended, Duration::from_secs(5))
        .await?;
    expect_end(&call, &EndReason::Canceled)?;
    let stats = sipp.finish().await?;
    stats.expect_clean(1)?;
    ensure!(
        rec.sent_requests("CANCEL").len() == 1,
        "CANCEL sent {} times",
        rec.sent_requests("CANCEL").len()
    );
    ensure!(
        rec.sent_requests("ACK").len() == 1,
        "ACK for the 487 sent {} times",
        rec.sent_requests("ACK").len()
    );
    phone.stop().await;
    Ok(format!("180, CANCEL, 200, 487, ACK; {}", stats.summary()))
}

async fn cancel_incoming(ctx: &mut Ctx) -> Result<String> {
    let rec = SipRecorder::default();
    let phone = p2p_phone(ctx, &rec).await?;
    let sipp = SippRun::new(ctx, "sipp", "uac_cancel.xml")
        .remote(phone.local_addr().expect("started"))
        .service("alice")
        .timeout(Duration::from_secs(15))
        .spawn(ctx)?;
    let call = incoming(&phone).await?;
    ensure!(
        call.state() == CallState::Ringing,
        "incoming call in {:?}",
        call.state()
    );
    call.wait_for_state_timeout(CallState::Ended, Duration::from_secs(10))
        .await?;
    expect_end(&call, &EndReason::RemoteCanceled)?;
    let stats = sipp.finish().await?;
    stats.expect_clean(1)?;
    let answers: Vec<u16> = rec
        .sent()
        .iter()
        .filter_map(|m| {
            m.strip_prefix("SIP/2.0 ")
                .and_then(|s| s.get(..3))
                .and_then(|s| s.parse().ok())
        })
        .collect();
    ensure!(answers.contains(&487), "no 487 sent: {answers:?}");
    phone.stop().await;
    Ok(format!("responses {answers:?}; {}", stats.summary()))
}

async fn cancel_incoming_via_kamailio(ctx: &mut Ctx) -> Result<String> {
    let kam = Kamailio::start(ctx, KamailioOpts::default()).await?;
    let rec = SipRecorder::default();
    let params = ctx
        .phone_params("alice", 10)?
        .server("127.0.0.1", kam.port)
        .password("alice", password("alice"))
        .sip_layer(rec.clone());
    let phone = ctx.start_phone(params).await?;
    let sipp = SippRun::new(ctx, "sipp", "uac_cancel.xml")
        .remote(kam.addr())
        .service("alice")
        .timeout(Duration::from_secs(15))
        .spawn(ctx)?;
    let call = incoming(&phone).await?;
    ensure!(
        call.state() == CallState::Ringing,
        "incoming call in {:?}",
        call.state()
    );
    call.wait_for_state_timeout(CallState::Ended, Duration::from_secs(10))
        .await?;
    expect_end(&call, &EndReason::RemoteCanceled)?;
    let stats = sipp.finish().await?;
    stats.expect_clean(1)?;
    let cancel = rec
        .received()
        .into_iter()
        .find(|m| m.starts_with("CANCEL "))
        .context("no CANCEL reached us")?;
    let invite = rec
        .received()
        .into_iter()
        .find(|m| m.starts_with("INVITE "))
        .context("no INVITE")?;
    // RFC 3261 9.1: the CANCEL's top Via (the proxy's branch) equals the INVITE's.
    ensure!(
        header(&cancel, "Via") == header(&invite, "Via"),
        "CANCEL and INVITE top Via differ"
    );
    let sent_487 = rec
        .sent()
        .iter()
        .filter(|m| m.starts_with("SIP/2.0 487"))
        .count();
    ensure!(sent_487 >= 1, "no 487 sent to the proxy");
    phone.stop().await;
    Ok(format!(
        "CANCEL via the proxy, 487 sent; {}",
        stats.summary()
    ))
}

async fn busy_outgoing(ctx: &mut Ctx) -> Result<String> {
    let sipp = sipp_uas(ctx, "uas_busy.xml", 1, 15).await?;
    let rec = SipRecorder::default();
    let phone = p2p_phone(ctx, &rec).await?;
    let call = phone
        .call(&format!("sip:sipp@{}", sipp.addr()), None)
        .await?;
    call.wait_for_state_timeout(CallState::Ended, Duration::from_secs(10))
        .await?;
    expect_end(&call, &EndReason::Busy { status: 486 })?;
    let stats = sipp.finish().await?;
    stats.expect_clean(1)?;
    // The ACK of a non-2xx is hop-by-hop: same branch as the INVITE (RFC 3261 17.1.1.3).
    let invite = rec
        .sent_requests("INVITE")
        .into_iter()
        .next()
        .context("no INVITE")?;
    let ack = rec
        .sent_requests("ACK")
        .into_iter()
        .next()
        .context("no ACK")?;
    ensure!(
        header(&invite, "Via") == header(&ack, "Via"),
        "ACK Via differs from the INVITE's"
    );
    phone.stop().await;
    Ok(format!("486 ACKed, Busy; {}", stats.summary()))
}

async fn busy_incoming(ctx: &mut Ctx) -> Result<String> {
    let rec = SipRecorder::default();
    let phone = p2p_phone(ctx, &rec).await?;
    let sipp = SippRun::new(ctx, "sipp", "uac_busy.xml")
        .remote(phone.local_addr().expect("started"))
        .service("alice")
        .timeout(Duration::from_secs(15))
        .spawn(ctx)?;
    let call = incoming(&phone).await?;
    call.deny().await?;
    call.wait_for_state_timeout(CallState::Ended, Duration::from_secs(5))
        .await?;
    expect_end(&call, &EndReason::Denied)?;
    let stats = sipp.finish().await?;
    stats.expect_clean(1)?;
    let busy = rec
        .sent()
        .iter()
        .filter(|m| m.starts_with("SIP/2.0 486"))
        .count();
    ensure!(
        busy == 1,
        "486 sent {busy} times (retransmitted after SIPp's ACK?)"
    );
    phone.stop().await;
    Ok(format!("486 sent once, ACK absorbed; {}", stats.summary()))
}

async fn no_answer_timeout(ctx: &mut Ctx) -> Result<String> {
    // A callee that swallows everything: a bound UDP socket that never answers.
    let port = ctx.ports.port()?;
    ctx.peer_port(port);
    ctx.decode_sip(port);
    let hole = tokio::net::UdpSocket::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    let t1 = Duration::from_millis(100);
    let params = ctx.phone_params("alice", 4)?.timers(TimerConfig {
        t1,
        t2: Duration::from_secs(4),
        t4: Duration::from_secs(5),
    });
    let phone = ctx.start_phone(params).await?;
    let t0 = Instant::now();
    let call = phone
        .call(&format!("sip:nobody@127.0.0.1:{port}"), None)
        .await?;
    let mut arrivals = Vec::new();
    let mut buf = vec![0u8; 8192];
    let deadline = t0 + t1 * 64 + Duration::from_secs(2);
    while Instant::now() < deadline {
        let left = deadline - Instant::now();
        match tokio::time::timeout(left, hole.recv_from(&mut buf)).await {
            Ok(Ok((n, _))) => {
                let text = String::from_utf8_lossy(&buf[..n]);
                ensure!(
                    text.starts_with("INVITE "),
                    "unexpected: {}",
                    text.lines().next().unwrap_or("")
                );
                arrivals.push(t0.elapsed());
            }
            Ok(Err(e)) => bail!("recv: {e}"),
            Err(_) => break,
        }
    }
    call.wait_for_state_timeout(CallState::Ended, Duration::from_secs(1))
        .await
        .context("call not ended after Timer B")?;
    expect_end(&call, &EndReason::Timeout)?;
    // Timer A: sends at 0, T1, 3T1, 7T1, 15T1, 31T1 (intervals doubling), then Timer B
    // fires at 64*T1 with no further send.
    let ms: Vec<u128> = arrivals.iter().map(Duration::as_millis).collect();
    ensure!(
        arrivals.len() == 7,
        "{} INVITE transmissions at {ms:?} ms, expected 7",
        arrivals.len()
    );
    for (i, pair) in arrivals.windows(2).enumerate() {
        let gap = (pair[1] - pair[0]).as_secs_f64();
        let want = t1.as_secs_f64() * f64::from(1u32 << i);
        ensure!(
            (gap - want).abs() <= 0.15 + want * 0.1,
            "retransmission {} after {gap:.3}s, expected {want:.3}s (all: {ms:?} ms)",
            i + 1
        );
    }
    phone.stop().await;
    Ok(format!("INVITE sent at {ms:?} ms, Timeout"))
}

async fn bye_while_playing(ctx: &mut Ctx) -> Result<String> {
    let kam = Kamailio::start(ctx, KamailioOpts::default()).await?;
    let params = ctx
        .phone_params("alice", 10)?
        .server("127.0.0.1", kam.port)
        .password("alice", password("alice"));
    let phone = ctx.start_phone(params).await?;
    let sipp = SippRun::new(ctx, "sipp", "uac_call.xml")
        .remote(kam.addr())
        .service("alice")
        .arg("-d")
        .arg("2000")
        .timeout(Duration::from_secs(20))
        .spawn(ctx)?;
    let call = incoming(&phone).await?;
    call.answer().await?;
    let tone = audio::tone_u8(1000.0, -10.0, 10.0);
    let _playback = call.play(&tone)?;
    let answered = Instant::now();
    call.wait_for_state_timeout(CallState::Ended, Duration::from_secs(8))
        .await
        .context("SIPp's BYE did not end the call")?;
    let lasted = answered.elapsed().as_secs_f64();
    expect_end(&call, &EndReason::RemoteHangup)?;
    let sent = call.stats().map(|s| s.sender.packets).unwrap_or(0);
    ensure!(
        (1.5..4.0).contains(&lasted),
        "call lasted {lasted:.1}s, SIPp hangs up after 2s"
    );
    ensure!(
        sent >= 60,
        "only {sent} RTP packets sent in {lasted:.1}s of playing"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = call.stats().map(|s| s.sender.packets).unwrap_or(0);
    ensure!(
        after == sent,
        "RTP still sent after the BYE ({sent} -> {after})"
    );
    let stats = sipp.finish().await?;
    stats.expect_clean(1)?;
    phone.stop().await;
    Ok(format!(
        "BYE after {lasted:.1}s of a 10 s tone, {sent} RTP packets, none after; {}",
        stats.summary()
    ))
}

async fn sipp_pcap_audio_dtmf(ctx: &mut Ctx) -> Result<String> {
    let kam = Kamailio::start(ctx, KamailioOpts::default()).await?;
    let params = ctx
        .phone_params("alice", 10)?
        .server("127.0.0.1", kam.port)
        .password("alice", password("alice"));
    let phone = ctx.start_phone(params).await?;
    let sipp = SippRun::new(ctx, "sipp", "uac_pcap_dtmf.xml")
        .remote(kam.addr())
        .service("alice")
        .timeout(Duration::from_secs(20))
        .spawn(ctx)?;
    let call = incoming(&phone).await?;
    call.answer().await?;
    let codec = call
        .media()
        .map(|m| format!("{:?}", m.codec))
        .unwrap_or_default();
    // Record everything until the BYE; collect keys as they come.
    let recorder = {
        let call = call.clone();
        super::TaskGuard::spawn(async move {
            let mut heard = Vec::new();
            while call.state() == CallState::Answered {
                heard.extend(call.read_i16(160, true).await);
            }
            heard
        })
    };
    let keys = {
        let call = call.clone();
        super::TaskGuard::spawn(async move {
            let mut keys = String::new();
            while let Some(k) = call.next_dtmf().await {
                keys.push(k);
            }
            keys
        })
    };
    call.wait_for_state_timeout(CallState::Ended, Duration::from_secs(15))
        .await
        .context("SIPp's BYE did not end the call")?;
    let heard = recorder.join().await?;
    let keys = tokio::time::timeout(Duration::from_secs(2), keys.join())
        .await
        .context("DTMF reader did not finish")??;
    let stats = sipp.finish().await?;
    stats.expect_clean(1)?;
    ensure!(keys == "159#", "keys received {keys:?}, SIPp sent \"159#\"");
    // 1.5 s of speech from g711a.pcap: the loudest 20 ms frames must be well above silence.
    let mut frames: Vec<f64> = heard.chunks_exact(160).map(audio::rms_dbfs).collect();
    frames.sort_by(|a, b| b.total_cmp(a));
    let loud = frames.iter().filter(|&&l| l > -40.0).count();
    ensure!(
        loud >= 20,
        "only {loud} of {} received frames above -40 dBFS (codec {codec})",
        frames.len()
    );
    phone.stop().await;
    Ok(format!(
        "codec {codec}, {loud} speech frames above -40 dBFS, keys {keys:?} once each; {}",
        stats.summary()
    ))
}

async fn sipp_compact_headers(ctx: &mut Ctx) -> Result<String> {
    let rec = SipRecorder::default();
    let phone = p2p_phone(ctx, &rec).await?;
    let sipp = SippRun::new(ctx, "sipp", "uac_compact.xml")
        .remote(phone.local_addr().expect("started"))
        .service("alice")
        .timeout(Duration::from_secs(15))
        .spawn(ctx)?;
    let call = incoming(&phone).await?;
    let from = call.remote_uri();
    call.answer().await?;
    call.wait_for_state_timeout(CallState::Ended, Duration::from_secs(8))
        .await
        .context("the compact-form BYE did not end the call")?;
    expect_end(&call, &EndReason::RemoteHangup)?;
    let stats = sipp.finish().await?;
    stats.expect_clean(1)?;
    // Our answers echo the caller's Via and tags whatever form they came in.
    let ok = rec
        .sent()
        .into_iter()
        .find(|m| m.starts_with("SIP/2.0 200") && super::cseq_method(m) == Some("INVITE"))
        .context("no 200 for the INVITE")?;
    let via = header(&ok, "Via")
        .or_else(|| header(&ok, "v"))
        .unwrap_or_default();
    ensure!(
        via.contains("rport=") && via.contains("received="),
        "our 200's Via lacks the rport value or received (RFC 3581 section 4): {via}"
    );
    phone.stop().await;
    Ok(format!("caller {from}; {}", stats.summary()))
}

async fn sipp_early_media(ctx: &mut Ctx) -> Result<String> {
    let sipp = sipp_uas(ctx, "uas_early_media.xml", 1, 20).await?;
    let rec = SipRecorder::default();
    let phone = p2p_phone(ctx, &rec).await?;
    let call = phone
        .call(&format!("sip:sipp@{}", sipp.addr()), None)
        .await?;
    call.wait_for_state_timeout(CallState::Progress, Duration::from_secs(5))
        .await
        .context("no 183")?;
    // Listen while the call is still in Progress (SIPp answers after 1.5 s).
    let mut early = Vec::new();
    while call.state() == CallState::Progress && early.len() < 8000 * 3 {
        early.extend(call.read_i16(160, true).await);
    }
    call.wait_for_state_timeout(CallState::Answered, Duration::from_secs(5))
        .await
        .context("SIPp's 200 did not answer the call")?;
    let codec = call
        .media()
        .map(|m| format!("{:?}", m.codec))
        .unwrap_or_default();
    let loud = early
        .chunks_exact(160)
        .filter(|f| audio::rms_dbfs(f) > -40.0)
        .count();
    ensure!(
        loud >= 15,
        "only {loud} of {} early-media frames above -40 dBFS (codec {codec})",
        early.len() / 160
    );
    call.hangup().await?;
    call.wait_for_state_timeout(CallState::Ended, Duration::from_secs(5))
        .await?;
    let stats = sipp.finish().await?;
    stats.expect_clean(1)?;
    phone.stop().await;
    Ok(format!(
        "{loud} speech frames heard before the 200, codec {codec}; {}",
        stats.summary()
    ))
}

async fn held_by_sipp(ctx: &mut Ctx) -> Result<String> {
    use rtp_core::TransmitType;
    let rec = SipRecorder::default();
    let phone = p2p_phone(ctx, &rec).await?;
    let sipp = SippRun::new(ctx, "sipp", "uac_hold.xml")
        .remote(phone.local_addr().expect("started"))
        .service("alice")
        .timeout(Duration::from_secs(20))
        .spawn(ctx)?;
    let call = incoming(&phone).await?;
    call.answer().await?;
    let _tone = call.play(&audio::tone_u8(1000.0, -10.0, 10.0))?;
    let sent = |c: &VoipCall| c.stats().map(|s| s.sender.packets).unwrap_or(0);
    let direction = |c: &VoipCall| c.media().map(|m| m.direction);
    // Follow the negotiated direction; note the packet count at each change.
    let mut changes: Vec<(TransmitType, u64)> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while call.state() != CallState::Ended && Instant::now() < deadline {
        if let Some(d) = direction(&call)
            && changes.last().map(|(x, _)| *x) != Some(d)
        {
            changes.push((d, sent(&call)));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    call.wait_for_state_timeout(CallState::Ended, Duration::from_secs(3))
        .await
        .context("SIPp's BYE did not end the call")?;
    let total = sent(&call);
    let stats = sipp.finish().await?;
    stats.expect_clean(1)?;
    let dirs: Vec<TransmitType> = changes.iter().map(|(d, _)| *d).collect();
    ensure!(
        dirs.len() == 3
            && dirs[0] == TransmitType::SendRecv
            && matches!(dirs[1], TransmitType::RecvOnly | TransmitType::Inactive)
            && dirs[2] == TransmitType::SendRecv,
        "direction sequence {dirs:?}, expected sendrecv, recvonly, sendrecv"
    );
    let (held_at, resumed_at) = (changes[1].1, changes[2].1);
    // 1.5 s on hold: at most a packet or two in flight when the re-INVITE landed.
    ensure!(
        resumed_at - held_at <= 3,
        "{} RTP packets sent while held (1.5 s)",
        resumed_at - held_at
    );
    ensure!(
        total - resumed_at >= 30,
        "only {} packets after the resume (1 s)",
        total - resumed_at
    );
    phone.stop().await;
    Ok(format!(
        "directions {dirs:?}; packets: {held_at} before hold, {} while held, {} after resume; {}",
        resumed_at - held_at,
        total - resumed_at,
        stats.summary()
    ))
}
