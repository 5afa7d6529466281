//! `voip demo`: two phones on 127.0.0.1, no server. Alice calls Bob, Bob answers, Alice
//! plays a 1 kHz tone which Bob records and checks (Goertzel), Alice sends DTMF keys which
//! Bob checks arrive exactly and in order, Alice hangs up. Every call-state change is
//! printed, then a summary; any failed check is a [`Failure`].

use crate::args::Failure;
use crate::audio;
use crate::phone_cmd::{describe_end, play, print_states, record, send_dtmf};
use clap::Args;
use std::time::Duration;
use voip::{CallState, EndReason, VoipPhone, VoipPhoneParameter};

/// How long each step may take before the demo gives up.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);
/// The share of the recording's energy that must be at the tone's frequency.
const MIN_TONE_SHARE: f64 = 0.8;
/// The level (RMS) under which a block counts as silence.
const MIN_RMS: f64 = 500.0;

/// `voip demo` options.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Frequency of the tone Alice plays, in Hz (100-3400, what G.711 carries).
    #[arg(long, default_value_t = 1000.0)]
    pub(crate) tone_hz: f64,
    /// Length of the tone in milliseconds (200-10000).
    #[arg(long, default_value_t = 1000)]
    pub(crate) tone_ms: u64,
    /// The DTMF keys Alice sends.
    #[arg(long, default_value = "123#")]
    pub(crate) dtmf: String,
    /// RTP port range both phones take free ports from.
    #[arg(long, value_name = "LOW-HIGH", default_value = "40000-49999")]
    pub(crate) rtp_ports: String,
}

fn phone(user: &str, rtp: (u16, u16)) -> Result<VoipPhone, Failure> {
    let params = VoipPhoneParameter::builder(user)
        .bind("127.0.0.1:0".parse().map_err(Failure::failed)?)
        .rtp_ports(rtp.0, rtp.1)
        .build()
        .map_err(Failure::usage)?;
    Ok(VoipPhone::new(params)?)
}

async fn step<T>(
    what: &str,
    fut: impl std::future::Future<Output = Result<T, voip::Error>>,
) -> Result<T, Failure> {
    match tokio::time::timeout(STEP_TIMEOUT, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Failure::failed(format!("{what}: {e}"))),
        Err(_) => Err(Failure::failed(format!(
            "{what}: no result within {} s",
            STEP_TIMEOUT.as_secs()
        ))),
    }
}

/// Runs the demo.
pub(crate) async fn run(args: DemoArgs) -> Result<(), Failure> {
    if !(100.0..=3400.0).contains(&args.tone_hz) {
        return Err(Failure::usage("--tone-hz: must be within 100-3400 Hz"));
    }
    if !(200..=10_000).contains(&args.tone_ms) {
        return Err(Failure::usage("--tone-ms: must be within 200-10000"));
    }
    let rtp = crate::args::parse_port_range(&args.rtp_ports).map_err(Failure::usage)?;
    let alice = phone("alice", rtp)?;
    let bob = phone("bob", rtp)?;
    step("starting alice", alice.start()).await?;
    if let Err(e) = step("starting bob", bob.start()).await {
        alice.stop().await;
        return Err(e);
    }
    let result = converse(&alice, &bob, &args).await;
    alice.stop().await;
    bob.stop().await;
    result
}

async fn converse(alice: &VoipPhone, bob: &VoipPhone, args: &DemoArgs) -> Result<(), Failure> {
    let (a_uri, b_uri) = match (alice.sip_uri(), bob.sip_uri()) {
        (Some(a), Some(b)) => (a, b),
        _ => return Err(Failure::failed("the phones have no address")),
    };
    say!("alice is {a_uri}");
    say!("bob is {b_uri}");

    let outgoing = step("alice calls bob", alice.call(&b_uri, None)).await?;
    let mut a_states = print_states("alice".into(), outgoing.clone());
    let incoming = match tokio::time::timeout(STEP_TIMEOUT, bob.incoming()).await {
        Ok(Some(c)) => c,
        _ => return Err(Failure::failed("bob: the call never arrived")),
    };
    let mut b_states = print_states("bob".into(), incoming.clone());
    step("bob answers", incoming.answer()).await?;
    step(
        "alice waits for the answer",
        outgoing.wait_for_state(CallState::Answered),
    )
    .await?;
    a_states.shown(CallState::Answered).await;
    b_states.shown(CallState::Answered).await;

    // Bob records while Alice plays; the recording stops when the call ends.
    let recording = record(incoming.clone());
    let samples = (args.tone_ms * u64::from(audio::RATE) / 1000) as usize;
    let tone = audio::tone(args.tone_hz, 8000.0, samples);
    say!("alice plays {} Hz for {} ms", args.tone_hz, args.tone_ms);
    match tokio::time::timeout(
        STEP_TIMEOUT + Duration::from_millis(args.tone_ms),
        play(&outgoing, &tone),
    )
    .await
    {
        Ok(r) => r?,
        Err(_) => return Err(Failure::failed("alice: the tone never finished playing")),
    }

    let digits = args.dtmf.to_ascii_uppercase();
    say!("alice sends DTMF {digits}");
    send_dtmf(&outgoing, &digits).await?;
    let mut heard = String::new();
    let want = digits.chars().count();
    let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
    while heard.chars().count() < want {
        match tokio::time::timeout_at(deadline, incoming.next_dtmf()).await {
            Ok(Some(k)) => {
                say!("bob: DTMF {k}");
                heard.push(k);
            }
            Ok(None) | Err(_) => break,
        }
    }
    // Give late duplicates a moment to show up (they must not).
    tokio::time::sleep(Duration::from_millis(200)).await;
    heard.push_str(&incoming.get_dtmf(None));

    say!("alice hangs up");
    step("alice hangs up", outgoing.hangup()).await?;
    step(
        "bob waits for the end",
        incoming.wait_for_state(CallState::Ended),
    )
    .await?;
    step(
        "alice waits for the end",
        outgoing.wait_for_state(CallState::Ended),
    )
    .await?;
    a_states.done().await;
    b_states.done().await;
    let recorded = recording
        .await
        .map_err(|e| Failure::failed(format!("recorder: {e}")))?;

    // The summary, then the verdict.
    let share = audio::tone_share(&recorded, args.tone_hz);
    let run = audio::tone_run(&recorded, args.tone_hz, MIN_TONE_SHARE, MIN_RMS);
    let run_ms = run as u64 * 1000 / u64::from(audio::RATE);
    say!("summary:");
    say!(
        "  tone: bob heard {} Hz for {run_ms} ms of {} ms played ({:.0}% of the energy in the recording)",
        args.tone_hz,
        args.tone_ms,
        share * 100.0
    );
    say!("  dtmf: alice sent {digits}, bob received {heard}");
    say!(
        "  end: alice {}, bob {}",
        describe_end(outgoing.end_reason()),
        describe_end(incoming.end_reason())
    );
    if let Some(s) = incoming.stats() {
        say!(
            "  rtp at bob: {} packets received, {} lost, jitter {:.1} (timestamp units)",
            s.receiver.received,
            s.receiver.lost,
            s.receiver.jitter
        );
    }

    // Most of the tone must come through in one piece (the first and last packet may
    // be cut by the jitter buffer).
    if run_ms + 100 < args.tone_ms {
        return Err(Failure::failed(format!(
            "bob heard the {} Hz tone for only {run_ms} ms of {} ms",
            args.tone_hz, args.tone_ms
        )));
    }
    if heard != digits {
        return Err(Failure::failed(format!(
            "bob received DTMF {heard:?}, alice sent {digits:?}"
        )));
    }
    if outgoing.end_reason() != Some(EndReason::LocalHangup)
        || incoming.end_reason() != Some(EndReason::RemoteHangup)
    {
        return Err(Failure::failed(format!(
            "unexpected call end: alice {:?}, bob {:?}",
            outgoing.end_reason(),
            incoming.end_reason()
        )));
    }
    say!("result: OK");
    Ok(())
}
