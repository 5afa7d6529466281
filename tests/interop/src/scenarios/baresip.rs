//! Scenarios 2, 3 and 7 (MESSAGE) against baresip 1.0, registered through Kamailio:
//! audio both ways checked by tone detection on both sides' recordings, DTMF from
//! baresip's console reaching `get_dtmf()` once each and in order over PCMU and PCMA,
//! hang-up from either side, and a MESSAGE whose text baresip prints.
//!
//! Also the helpers the pyVoIP and transfer scenarios share (a registered phone, playing
//! and recording a tone, checking a recording for it).

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail, ensure};
use rtp_core::{AudioCodec, PayloadType};
use voip::{CallState, EndReason, PhoneStatus, VoipCall, VoipPhone};

use super::{Ctx, Scenario, SipRecorder};
use crate::audio;
use crate::peers::baresip::{Baresip, BaresipOpts, event_peer};
use crate::peers::kamailio::{Kamailio, KamailioOpts, password};

/// The tone our phone plays: 1 kHz at -10 dBFS.
pub(super) const OUR_HZ: f64 = 1000.0;
/// Our tone's level.
pub(super) const OUR_DBFS: f64 = -10.0;
/// How far a recorded level may be from the level sent (G.711 quantisation is ~0.1 dB;
/// more than this means gain, clipping or a wrong codec on the way).
pub(super) const LEVEL_TOLERANCE_DB: f64 = 2.0;
/// The DTMF keys baresip presses: every key of a phone pad.
const KEYS: &str = "123456789*0#";

pub(crate) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "baresip_calls_us_audio",
            "baresip calls us through Kamailio; tones both ways found at their level in both recordings",
            40,
            |ctx| Box::pin(baresip_calls_us_audio(ctx, "PCMU,PCMA", AudioCodec::Pcmu)),
        ),
        Scenario::new(
            "baresip_calls_us_pcma",
            "baresip offers PCMA only: we answer PCMA, tones both ways at their level; its in-call MESSAGE reaches us",
            40,
            |ctx| Box::pin(baresip_calls_us_audio(ctx, "PCMA", AudioCodec::Pcma)),
        ),
        Scenario::new(
            "baresip_dtmf_pcmu",
            "we call baresip offering PCMU only; its 12 DTMF keys reach get_dtmf() once, in order; we hang up",
            45,
            |ctx| Box::pin(baresip_dtmf(ctx, AudioCodec::Pcmu)),
        ),
        Scenario::new(
            "baresip_dtmf_pcma",
            "we call baresip offering PCMA only; its tone and 12 DTMF keys arrive; baresip hangs up",
            45,
            |ctx| Box::pin(baresip_dtmf(ctx, AudioCodec::Pcma)),
        ),
        Scenario::new(
            "baresip_hold_resume",
            "we put baresip on hold (re-INVITE sendonly) and resume: its audio stops while held, comes back after",
            40,
            |ctx| Box::pin(baresip_hold_resume(ctx)),
        ),
        Scenario::new(
            "baresip_message",
            "MESSAGE from our phone through Kamailio: 200, and baresip prints its text",
            30,
            |ctx| Box::pin(baresip_message(ctx)),
        ),
    ]
}

/// Our phone as `user`, registered at `kam`, recording its SIP in `rec`.
pub(super) async fn registered_phone(
    ctx: &mut Ctx,
    kam: &Kamailio,
    user: &str,
    rec: &SipRecorder,
) -> Result<VoipPhone> {
    let params = ctx
        .phone_params(user, 6)?
        .server("127.0.0.1", kam.port)
        .password(user, password(user))
        .sip_layer(rec.clone());
    let phone = ctx.start_phone(params).await?;
    ensure!(
        phone.get_status() == PhoneStatus::Registered,
        "our phone's status after start: {:?}",
        phone.get_status()
    );
    Ok(phone)
}

/// Queues `tone` on `call` and records what the peer sends for `seconds` (from now).
pub(super) async fn play_and_record(
    call: &VoipCall,
    tone: &[i16],
    seconds: f64,
) -> Result<Vec<i16>> {
    let mut rest = tone;
    let want = (seconds * f64::from(audio::RATE)) as usize;
    let mut heard = Vec::with_capacity(want);
    let deadline = Instant::now() + Duration::from_secs_f64(seconds + 2.0);
    while heard.len() < want {
        if !rest.is_empty() {
            let n = call.write_i16(rest)?;
            rest = &rest[n..];
        }
        if call.state() == CallState::Ended {
            bail!(
                "the call ended after {:.1}s of recording ({:?})",
                heard.len() as f64 / f64::from(audio::RATE),
                call.end_reason()
            );
        }
        ensure!(
            Instant::now() < deadline,
            "recording did not keep real time"
        );
        heard.extend(call.read_i16(160, true).await);
    }
    Ok(heard)
}

/// What a recording holds of a tone: the longest unbroken stretch at the expected level,
/// the total time at that level (20 ms frames), and its strongest level over 0.5 s
/// windows.
#[derive(Debug, Clone, Copy)]
pub(super) struct ToneFound {
    pub(super) seconds: f64,
    pub(super) total: f64,
    pub(super) level_dbfs: f64,
}

impl std::fmt::Display for ToneFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.total > self.seconds + 0.05 {
            write!(
                f,
                "{:.1}s at {:.1} dBFS ({:.1}s unbroken)",
                self.total, self.level_dbfs, self.seconds
            )
        } else {
            write!(f, "{:.1}s at {:.1} dBFS", self.seconds, self.level_dbfs)
        }
    }
}

/// Looks for `freq` at `dbfs` in `samples`.
pub(super) fn find_tone(samples: &[i16], freq: f64, dbfs: f64) -> ToneFound {
    let run = audio::tone_duration(samples, freq, dbfs, LEVEL_TOLERANCE_DB);
    let frame = audio::RATE as usize / 50;
    let frames = samples
        .chunks_exact(frame)
        .filter(|c| (audio::goertzel_dbfs(c, freq) - dbfs).abs() <= LEVEL_TOLERANCE_DB)
        .count();
    let level_dbfs = samples
        .chunks(audio::RATE as usize / 2)
        .filter(|c| c.len() >= 400)
        .map(|c| audio::goertzel_dbfs(c, freq))
        .fold(f64::NEG_INFINITY, f64::max);
    ToneFound {
        seconds: run as f64 / f64::from(audio::RATE),
        total: (frames * frame) as f64 / f64::from(audio::RATE),
        level_dbfs,
    }
}

/// Fails unless `samples` carry `freq` at `dbfs` (within the tolerance) for at least
/// `min_seconds` without a break; `who` names the recording.
pub(super) fn expect_tone(
    who: &str,
    samples: &[i16],
    freq: f64,
    dbfs: f64,
    min_seconds: f64,
) -> Result<ToneFound> {
    expect_tone_gappy(who, samples, freq, dbfs, min_seconds, min_seconds)
}

/// Like [`expect_tone`] for a sender whose pacing stutters (pyVoIP sleeps between
/// packets): at least `min_total` seconds in all, of which `min_run` unbroken.
pub(super) fn expect_tone_gappy(
    who: &str,
    samples: &[i16],
    freq: f64,
    dbfs: f64,
    min_run: f64,
    min_total: f64,
) -> Result<ToneFound> {
    let found = find_tone(samples, freq, dbfs);
    ensure!(
        found.seconds >= min_run && found.total >= min_total,
        "{who}: {freq} Hz at {dbfs} dBFS (±{LEVEL_TOLERANCE_DB} dB) for {:.2}s in all, {:.2}s \
         unbroken, of {:.1}s (strongest {:.1} dBFS, overall RMS {:.1} dBFS); expected at least \
         {min_total}s in all and {min_run}s unbroken",
        found.total,
        found.seconds,
        samples.len() as f64 / f64::from(audio::RATE),
        found.level_dbfs,
        audio::rms_dbfs(samples)
    );
    Ok(found)
}

/// Writes a recording next to the logs (kept when the scenario fails).
pub(super) fn keep(ctx: &Ctx, name: &str, samples: &[i16]) {
    let _ = audio::write_wav(&ctx.log_path(name), samples);
}

/// Waits for the call's first incoming call.
pub(super) async fn incoming(phone: &VoipPhone, limit: Duration) -> Result<VoipCall> {
    tokio::time::timeout(limit, phone.incoming())
        .await
        .with_context(|| format!("no incoming call within {}s", limit.as_secs()))?
        .context("the phone stopped")
}

async fn baresip_calls_us_audio(
    ctx: &mut Ctx,
    codecs: &'static str,
    expect: AudioCodec,
) -> Result<String> {
    let kam = Kamailio::start(ctx, KamailioOpts::default()).await?;
    let rec = SipRecorder::default();
    let alice = registered_phone(ctx, &kam, "alice", &rec).await?;
    let opts = BaresipOpts {
        codecs,
        ..BaresipOpts::new("bob", 600.0)
    };
    let mut bob = Baresip::start(ctx, &kam, opts).await?;

    bob.command("dial", "sip:alice@voip.test").await?;
    let call = incoming(&alice, Duration::from_secs(5)).await?;
    ensure!(
        call.remote_uri().contains("bob"),
        "the call is from {}, not bob",
        call.remote_uri()
    );
    call.answer().await?;
    let established = bob
        .wait_event("CALL_ESTABLISHED", 1, Duration::from_secs(5))
        .await?;
    ensure!(
        event_peer(&established).contains("alice"),
        "baresip established a call with {}",
        event_peer(&established)
    );
    let media = call.media().context("answered without media")?;
    ensure!(
        media.codec == expect,
        "baresip offered {codecs}, we answered {:?}",
        media.codec
    );
    let tone = audio::tone_i16(OUR_HZ, OUR_DBFS, 2.0);
    let heard = play_and_record(&call, &tone, 3.0).await?;
    keep(ctx, "we-heard.wav", &heard);
    let mut message_note = String::new();
    if expect == AudioCodec::Pcma {
        // baresip's in-call `message` command: a MESSAGE to its peer (us), out of dialog.
        let text = "baresip to alice: ça va? 42";
        bob.command("message", text).await?;
        let got = tokio::time::timeout(Duration::from_secs(5), alice.next_message())
            .await
            .context("baresip's MESSAGE did not reach us within 5s")?
            .context("the phone stopped")?;
        ensure!(
            got.text() == text,
            "we got {:?}, baresip sent {text:?}",
            got.text()
        );
        ensure!(got.from.contains("bob"), "MESSAGE from {}", got.from);
        message_note = format!("; its MESSAGE {:?} from {} arrived", got.text(), got.from);
    }
    call.hangup().await?;
    call.wait_for_state_timeout(CallState::Ended, Duration::from_secs(5))
        .await?;
    bob.wait_event("CALL_CLOSED", 1, Duration::from_secs(5))
        .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let files = bob.recordings()?;
    let (_, dec) = files.first().context("baresip recorded no call")?;
    let bob_heard = Baresip::read_recording(dec)?;

    let mut problems = Vec::new();
    let ours = expect_tone("what baresip recorded", &bob_heard, OUR_HZ, OUR_DBFS, 1.5);
    let theirs = expect_tone("what we recorded", &heard, 600.0, -6.0, 2.0);
    for r in [&ours, &theirs] {
        if let Err(e) = r {
            problems.push(format!("{e:#}"));
        }
    }
    ensure!(problems.is_empty(), "{}", problems.join("; "));
    ensure!(
        call.end_reason() == Some(EndReason::LocalHangup),
        "end reason {:?}",
        call.end_reason()
    );
    alice.stop().await;
    bob.stop().await;
    Ok(format!(
        "{expect:?}: baresip heard our 1 kHz {}, we heard its 600 Hz {}{message_note}",
        ours?, theirs?
    ))
}

async fn baresip_dtmf(ctx: &mut Ctx, codec: AudioCodec) -> Result<String> {
    let kam = Kamailio::start(ctx, KamailioOpts::default()).await?;
    let rec = SipRecorder::default();
    let alice = registered_phone(ctx, &kam, "alice", &rec).await?;
    let mut bob = Baresip::start(ctx, &kam, BaresipOpts::new("bob", 600.0)).await?;

    let offer = [codec.payload_type(), PayloadType::TelephoneEvent];
    let call = alice.call("bob", Some(&offer)).await?;
    call.wait_for_state_timeout(CallState::Answered, Duration::from_secs(8))
        .await
        .with_context(|| format!("baresip did not answer ({:?})", call.end_reason()))?;
    let media = call.media().context("answered without media")?;
    ensure!(
        media.codec == codec,
        "negotiated {:?}, offered only {codec:?}",
        media.codec
    );
    ensure!(
        media.dtmf_payload_type.is_some(),
        "baresip's answer has no telephone-event"
    );
    let invite = rec.sent_requests("INVITE");
    let sdp_m = invite
        .first()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("m=audio"))
                .map(str::to_owned)
        })
        .context("no INVITE with SDP sent")?;
    bob.wait_event("CALL_ESTABLISHED", 1, Duration::from_secs(5))
        .await?;

    // Baresip's own tone in the chosen codec, then its keys.
    let heard = play_and_record(&call, &[], 1.5).await?;
    keep(ctx, "we-heard.wav", &heard);
    let t0 = Instant::now();
    bob.keys(KEYS).await?;
    let mut got = String::new();
    while got.chars().count() < KEYS.len() && t0.elapsed() < Duration::from_secs(20) {
        got.push_str(&call.get_dtmf(None));
        if call.state() == CallState::Ended {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let all_after = t0.elapsed().as_secs_f64();
    // Late duplicates (retransmitted end packets counted again) would show up now.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    got.push_str(&call.get_dtmf(None));
    let tone = expect_tone("what we recorded", &heard, 600.0, -6.0, 1.0);
    ensure!(
        got == KEYS,
        "baresip pressed {KEYS:?}, get_dtmf() returned {got:?} (tone: {})",
        tone.as_ref()
            .map(ToString::to_string)
            .unwrap_or_else(|e| e.to_string())
    );
    let tone = tone?;

    let how = match codec {
        AudioCodec::Pcmu => {
            call.hangup().await?;
            let closed = bob
                .wait_event("CALL_CLOSED", 1, Duration::from_secs(5))
                .await?;
            ensure!(
                call.end_reason() == Some(EndReason::LocalHangup),
                "end reason {:?}",
                call.end_reason()
            );
            format!("we hung up, baresip closed ({})", closed["param"])
        }
        AudioCodec::Pcma => {
            bob.command("hangup", "").await?;
            call.wait_for_state_timeout(CallState::Ended, Duration::from_secs(5))
                .await
                .context("baresip hung up but our call did not end")?;
            ensure!(
                call.end_reason() == Some(EndReason::RemoteHangup),
                "end reason {:?}",
                call.end_reason()
            );
            let byes = rec
                .received()
                .into_iter()
                .filter(|m| m.starts_with("BYE "))
                .count();
            ensure!(byes >= 1, "our call ended without a BYE from baresip");
            "baresip hung up (BYE), our call ended RemoteHangup".to_owned()
        }
    };
    alice.stop().await;
    bob.stop().await;
    Ok(format!(
        "offer `{sdp_m}`: {codec:?} + telephone-event; keys {got} in {all_after:.1}s, \
         none twice; its tone {tone}; {how}"
    ))
}

/// Fails unless the call's negotiated direction is `want` right now: `hold()` and
/// `resume()` return once the re-INVITE's outcome is applied to the call's media.
fn expect_direction(call: &VoipCall, want: rtp_core::TransmitType, after: &str) -> Result<()> {
    let direction = call.media().map(|m| m.direction);
    ensure!(
        direction == Some(want),
        "right after {after} returned our direction is {direction:?}, not {want:?}"
    );
    Ok(())
}

/// Packets received on the call's stream so far (accepted or dropped for the direction).
fn received_packets(call: &VoipCall) -> u64 {
    call.stats()
        .map(|s| s.receiver.packets + s.dropped_not_receiving)
        .unwrap_or(0)
}

async fn baresip_hold_resume(ctx: &mut Ctx) -> Result<String> {
    let kam = Kamailio::start(ctx, KamailioOpts::default()).await?;
    let rec = SipRecorder::default();
    let alice = registered_phone(ctx, &kam, "alice", &rec).await?;
    let mut bob = Baresip::start(ctx, &kam, BaresipOpts::new("bob", 600.0)).await?;
    let call = alice.call("bob", None).await?;
    call.wait_for_state_timeout(CallState::Answered, Duration::from_secs(8))
        .await
        .with_context(|| format!("baresip did not answer ({:?})", call.end_reason()))?;
    bob.wait_event("CALL_ESTABLISHED", 1, Duration::from_secs(5))
        .await?;
    let before = play_and_record(&call, &[], 1.5).await?;
    let before = expect_tone("before hold, what we recorded", &before, 600.0, -6.0, 1.0)?;

    tokio::time::timeout(Duration::from_secs(5), call.hold())
        .await
        .context("hold() did not return within 5s")??;
    expect_direction(&call, rtp_core::TransmitType::SendOnly, "hold()")?;
    let reinvite = rec.sent_requests("INVITE");
    ensure!(
        reinvite.len() >= 2 && reinvite.last().is_some_and(|m| m.contains("a=sendonly")),
        "no re-INVITE with a=sendonly"
    );
    // In-flight packets settle, then baresip (recvonly) must send nothing for a second
    // while we (sendonly) keep sending.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (rx0, tx0) = (
        received_packets(&call),
        call.stats().map(|s| s.sender.packets).unwrap_or(0),
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (rx1, tx1) = (
        received_packets(&call),
        call.stats().map(|s| s.sender.packets).unwrap_or(0),
    );
    ensure!(
        rx1 - rx0 <= 2,
        "baresip sent {} RTP packets in 1 s while held (recvonly)",
        rx1 - rx0
    );
    ensure!(
        tx1 - tx0 >= 40,
        "we sent only {} packets in 1 s while holding (sendonly)",
        tx1 - tx0
    );
    ensure!(
        call.state() == CallState::Answered,
        "held call is {:?}",
        call.state()
    );

    tokio::time::timeout(Duration::from_secs(5), call.resume())
        .await
        .context("resume() did not return within 5s")??;
    expect_direction(&call, rtp_core::TransmitType::SendRecv, "resume()")?;
    // Reads during the hold were not made: a blocking read first returns that backlog (as
    // silence) at once, so record long enough to get past it into the resumed audio.
    let after = play_and_record(&call, &[], 3.5).await?;
    keep(ctx, "after-resume.wav", &after);
    let after = expect_tone("after resume, what we recorded", &after, 600.0, -6.0, 1.0)?;
    call.hangup().await?;
    bob.wait_event("CALL_CLOSED", 1, Duration::from_secs(5))
        .await?;
    alice.stop().await;
    bob.stop().await;
    Ok(format!(
        "its tone {before} before; held (sendonly as hold() returned): {} packets from baresip in 1 s, {} from us; resumed (sendrecv as resume() returned): its tone {after}",
        rx1 - rx0,
        tx1 - tx0
    ))
}

async fn baresip_message(ctx: &mut Ctx) -> Result<String> {
    let kam = Kamailio::start(ctx, KamailioOpts::default()).await?;
    let rec = SipRecorder::default();
    let alice = registered_phone(ctx, &kam, "alice", &rec).await?;
    let mut bob = Baresip::start(ctx, &kam, BaresipOpts::new("bob", 600.0)).await?;
    let console = bob.console().await?;
    // Let baresip register the console connection before the text comes.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let text = "interop MESSAGE 42: héllo ✓ (UTF-8)";
    let delivered = tokio::time::timeout(
        Duration::from_secs(10),
        alice.message("bob", text, "text/plain;charset=UTF-8"),
    )
    .await
    .context("message() did not return within 10s")??;
    ensure!(delivered, "MESSAGE was not answered 2xx");
    let printed = console
        .wait_for(&format!("\"{text}\""), Duration::from_secs(5))
        .await?;
    let line = printed
        .lines()
        .map(|l| l.trim_start_matches('\r'))
        .find(|l| l.contains(text))
        .unwrap_or_default()
        .to_owned();
    ensure!(
        line.contains("sip:alice@"),
        "baresip printed the text, but not from alice: {line:?}"
    );
    let sent = rec.sent_requests("MESSAGE");
    ensure!(!sent.is_empty(), "no MESSAGE in our SIP log");
    bob.ensure_running()?;
    alice.stop().await;
    bob.stop().await;
    Ok(format!("delivered (2xx); baresip printed {line:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tone_checks_tell_unbroken_from_total_and_wrong_levels() {
        let mut s = audio::tone_i16(OUR_HZ, OUR_DBFS, 1.0);
        s.extend(vec![0i16; 800]);
        s.extend(audio::tone_i16(OUR_HZ, OUR_DBFS, 1.0));
        let found = find_tone(&s, OUR_HZ, OUR_DBFS);
        assert!((found.seconds - 1.0).abs() < 0.05, "{found:?}");
        assert!((found.total - 2.0).abs() < 0.1, "{found:?}");
        assert!((found.level_dbfs - OUR_DBFS).abs() < 0.5, "{found:?}");
        assert!(expect_tone("x", &s, OUR_HZ, OUR_DBFS, 1.5).is_err());
        assert!(expect_tone_gappy("x", &s, OUR_HZ, OUR_DBFS, 0.5, 1.5).is_ok());
        // The right tone 12 dB too quiet, or another frequency, is not our tone.
        let quiet = audio::tone_i16(OUR_HZ, OUR_DBFS - 12.0, 2.0);
        assert!(expect_tone("x", &quiet, OUR_HZ, OUR_DBFS, 0.5).is_err());
        let other = audio::tone_i16(600.0, OUR_DBFS, 2.0);
        assert!(expect_tone("x", &other, OUR_HZ, OUR_DBFS, 0.5).is_err());
        assert!(expect_tone("x", &[], OUR_HZ, OUR_DBFS, 0.5).is_err());
    }
}
