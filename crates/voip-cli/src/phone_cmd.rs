//! `voip register`, `voip call`, `voip answer` and `voip message`: a scriptable softphone
//! on the `voip` crate. Each prints what happens (call states, DTMF, messages) on stdout
//! and returns a [`Failure`] (exit code + one-line reason) when the operation failed.

use crate::args::{Failure, PhoneArgs};
use crate::audio;
use clap::Args;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use voip::{CallState, EndReason, VoipCall, VoipPhone};

/// How long a DTMF key takes on the wire (100 ms event + gap) with some slack; the media
/// layer has no "sent" notification, so we wait this long per key before hanging up.
const DTMF_KEY_TIME: Duration = Duration::from_millis(200);
/// The longest recording kept (1 hour); audio beyond it is dropped.
const MAX_RECORD_SAMPLES: usize = 3600 * audio::RATE as usize;
/// How long to wait for the BYE/CANCEL exchange to finish.
const END_TIMEOUT: Duration = Duration::from_secs(5);

/// `voip register`.
#[derive(Debug, Args)]
pub(crate) struct RegisterArgs {
    #[command(flatten)]
    pub(crate) phone: PhoneArgs,
    /// Stay registered this many seconds before unregistering (default: unregister at once).
    #[arg(long = "for", value_name = "SECS", default_value_t = 0)]
    pub(crate) stay: u64,
}

/// `voip call`.
#[derive(Debug, Args)]
pub(crate) struct CallArgs {
    /// Who to call: a number (through --server) or a SIP URI (sip:user@host:port).
    pub(crate) uri: String,
    #[command(flatten)]
    pub(crate) phone: PhoneArgs,
    /// Play this WAV (8 kHz mono, 16-bit or 8-bit) once answered.
    #[arg(long, value_name = "WAV")]
    pub(crate) play: Option<PathBuf>,
    /// Record what the peer sends to this WAV (8 kHz mono 16-bit).
    #[arg(long, value_name = "WAV")]
    pub(crate) record: Option<PathBuf>,
    /// Send these DTMF keys (0-9 * # A-D) after playing.
    #[arg(long, value_name = "DIGITS")]
    pub(crate) dtmf: Option<String>,
    /// Stay in the call this many seconds after playing / sending DTMF. Default: hang up
    /// right after them, or (with neither) wait until the peer hangs up.
    #[arg(long, value_name = "SECS")]
    pub(crate) duration: Option<f64>,
    /// Give up (CANCEL) when not answered within this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    pub(crate) ring_timeout: f64,
}

/// `voip answer`.
#[derive(Debug, Args)]
pub(crate) struct AnswerArgs {
    #[command(flatten)]
    pub(crate) phone: PhoneArgs,
    /// Play this WAV (8 kHz mono, 16-bit or 8-bit) to every caller once answered.
    #[arg(long, value_name = "WAV")]
    pub(crate) play: Option<PathBuf>,
    /// Record each call to this WAV; the second call to NAME-2.wav, and so on.
    #[arg(long, value_name = "WAV")]
    pub(crate) record: Option<PathBuf>,
    /// Exit once this many calls have ended (default: run until Ctrl-C).
    #[arg(long, value_name = "N")]
    pub(crate) calls: Option<u32>,
    /// Hang up this many seconds after answering (default: wait for the caller to).
    #[arg(long, value_name = "SECS")]
    pub(crate) hangup_after: Option<f64>,
}

/// `voip message`.
#[derive(Debug, Args)]
pub(crate) struct MessageArgs {
    /// The recipient: a number (through --server) or a SIP URI.
    pub(crate) uri: String,
    /// The text to send (text/plain).
    pub(crate) text: String,
    #[command(flatten)]
    pub(crate) phone: PhoneArgs,
}

fn seconds(flag: &str, secs: f64) -> Result<Duration, Failure> {
    Duration::try_from_secs_f64(secs)
        .map_err(|_| Failure::usage(format!("{flag}: {secs} is not a number of seconds")))
}

/// A started phone, stopped (BYE/CANCEL for its calls, unregister) whatever `body` does.
async fn with_phone<F, Fut>(phone: &PhoneArgs, default_port: u16, body: F) -> Result<(), Failure>
where
    F: FnOnce(std::sync::Arc<VoipPhone>) -> Fut,
    Fut: std::future::Future<Output = Result<(), Failure>>,
{
    let phone = std::sync::Arc::new(VoipPhone::new(phone.params(default_port)?)?);
    let started = tokio::select! {
        r = phone.start() => r,
        _ = tokio::signal::ctrl_c() => {
            phone.stop().await;
            return Err(Failure::failed("interrupted while starting"));
        }
    };
    if let Err(e) = started {
        let e = e.to_string();
        return Err(Failure::failed(if phone.params().server.is_none() {
            format!("cannot start the phone: {e}")
        } else if e.starts_with("registration failed") {
            e
        } else {
            format!("registration failed: {e}")
        }));
    }
    let result = body(phone.clone()).await;
    phone.stop().await;
    result
}

fn announce(phone: &VoipPhone) {
    match (&phone.params().server, phone.sip_uri()) {
        (Some(server), Some(uri)) => {
            say!(
                "registered as {}@{server} (listening on {uri})",
                phone.params().user
            );
        }
        (None, Some(uri)) => say!("listening on {uri}"),
        _ => {}
    }
}

/// `voip register`: registers, optionally stays registered, unregisters.
pub(crate) async fn register(args: RegisterArgs) -> Result<(), Failure> {
    if args.phone.server.is_none() {
        return Err(Failure::usage("voip register needs --server HOST[:PORT]"));
    }
    with_phone(&args.phone, 5060, |phone| async move {
        announce(&phone);
        if args.stay > 0 {
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(args.stay)) => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        say!("unregistering");
        Ok(())
    })
    .await
}

/// `voip message`: sends one MESSAGE; fails unless the peer answers 2xx.
pub(crate) async fn message(args: MessageArgs) -> Result<(), Failure> {
    with_phone(&args.phone, 0, |phone| async move {
        match phone.message(&args.uri, &args.text, "text/plain").await {
            Ok(true) => {
                say!("message delivered to {}", args.uri);
                Ok(())
            }
            Ok(false) => Err(Failure::failed(format!(
                "message to {} was refused",
                args.uri
            ))),
            Err(e) => Err(Failure::failed(format!("message to {}: {e}", args.uri))),
        }
    })
    .await
}

/// Prints the states of a call; see [`print_states`].
#[derive(Debug)]
pub(crate) struct StatePrinter {
    task: JoinHandle<()>,
    printed: watch::Receiver<CallState>,
}

impl StatePrinter {
    /// Waits until `state` (or the end) has been printed, so what is printed next comes
    /// after it.
    pub(crate) async fn shown(&mut self, state: CallState) {
        let _ = self
            .printed
            .wait_for(|s| *s == state || *s == CallState::Ended)
            .await;
    }

    /// Waits until the end has been printed.
    pub(crate) async fn done(self) {
        let _ = self.task.await;
    }
}

/// Prints every state `call` goes through (`label: STATE`), from its first (DIALING or
/// RINGING) however late this is called, and the end reason. The states recorded so far
/// are printed before this returns; later changes come from a task.
pub(crate) fn print_states(label: String, call: VoipCall) -> StatePrinter {
    let show = move |state: CallState, call: &VoipCall| {
        if state == CallState::Ended {
            say!("{label}: {state} ({})", describe_end(call.end_reason()));
        } else {
            say!("{label}: {state}");
        }
    };
    let mut states = call.state_events();
    let recorded = call.state_history();
    for state in &recorded {
        show(*state, &call);
    }
    // Skip what was just printed: the event stream replays from the first state.
    let skip = recorded.len();
    let last = recorded.last().copied().unwrap_or(CallState::Ended);
    let (tx, printed) = watch::channel(last);
    let task = tokio::spawn(async move {
        let mut seen = 0;
        while let Some(state) = states.next().await {
            seen += 1;
            if seen <= skip {
                continue;
            }
            show(state, &call);
            tx.send_replace(state);
        }
    });
    StatePrinter { task, printed }
}

/// A short description of why a call ended.
pub(crate) fn describe_end(reason: Option<EndReason>) -> String {
    match reason {
        None => "still up".into(),
        Some(EndReason::LocalHangup) => "we hung up".into(),
        Some(EndReason::RemoteHangup) => "the peer hung up".into(),
        Some(EndReason::Denied) => "we refused it".into(),
        Some(EndReason::Canceled) => "we cancelled it".into(),
        Some(EndReason::RemoteCanceled) => "the caller cancelled it".into(),
        Some(EndReason::Busy { status }) => format!("busy ({status})"),
        Some(EndReason::Rejected { status, reason }) => format!("rejected ({status} {reason})"),
        Some(EndReason::Timeout) => "no response (timeout)".into(),
        Some(EndReason::NotAcceptable) => "no codec in common (488)".into(),
        Some(EndReason::AuthFailed(why)) => format!("authentication failed: {why}"),
        Some(EndReason::Transferred) => "transferred".into(),
        Some(EndReason::TransportError) => "transport error".into(),
        Some(EndReason::Shutdown) => "the phone stopped".into(),
        Some(other) => format!("{other:?}"),
    }
}

/// Queues all of `samples` (waiting while the send queue is full), then waits until the
/// last one was sent.
pub(crate) async fn play(call: &VoipCall, samples: &[i16]) -> Result<(), Failure> {
    let mut rest = samples;
    while !rest.is_empty() {
        let n = call.write_i16(rest)?;
        rest = &rest[n..];
        if !rest.is_empty() {
            if call.state() == CallState::Ended {
                return Err(Failure::failed("the call ended while playing"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    if let Some(stream) = call.media_stream() {
        stream.play_i16(&[]).finished().await;
    }
    Ok(())
}

/// Records what the peer sends until the call ends (at most an hour).
pub(crate) fn record(call: VoipCall) -> JoinHandle<Vec<i16>> {
    tokio::spawn(async move {
        let mut samples = Vec::new();
        while call.state() != CallState::Ended && samples.len() < MAX_RECORD_SAMPLES {
            tokio::select! {
                chunk = call.read_i16(160, true) => samples.extend(chunk),
                () = call.ended() => break,
            }
        }
        samples
    })
}

/// Collects the DTMF keys the peer sends until the call ends, printing each.
fn collect_dtmf(label: String, call: VoipCall) -> JoinHandle<String> {
    tokio::spawn(async move {
        let mut keys = String::new();
        while let Some(k) = call.next_dtmf().await {
            say!("{label}: DTMF {k}");
            keys.push(k);
        }
        keys
    })
}

/// Sends `digits` and waits until they are on the wire.
pub(crate) async fn send_dtmf(call: &VoipCall, digits: &str) -> Result<(), Failure> {
    call.send_dtmf(digits)
        .map_err(|e| Failure::failed(format!("cannot send DTMF {digits:?}: {e}")))?;
    let keys = u32::try_from(digits.chars().count()).unwrap_or(u32::MAX);
    tokio::time::sleep(DTMF_KEY_TIME.saturating_mul(keys) + DTMF_KEY_TIME).await;
    Ok(())
}

/// Hangs up unless the call already ended, and waits for the end.
async fn finish(call: &VoipCall) -> Result<(), Failure> {
    if call.state() == CallState::Answered
        && let Err(e) = call.hangup().await
        && call.state() != CallState::Ended
    {
        return Err(Failure::failed(format!("hangup failed: {e}")));
    }
    call.wait_for_state_timeout(CallState::Ended, END_TIMEOUT)
        .await
        .map_err(|e| Failure::failed(format!("the call did not end: {e}")))
}

fn load_wav(path: Option<&Path>) -> Result<Option<Vec<i16>>, Failure> {
    path.map(|p| audio::read_wav(p).map_err(Failure::usage))
        .transpose()
}

fn check_digits(digits: &str) -> Result<(), Failure> {
    match digits
        .chars()
        .find(|c| !matches!(c, '0'..='9' | '*' | '#' | 'A'..='D' | 'a'..='d'))
    {
        Some(c) => Err(Failure::usage(format!(
            "--dtmf: {c:?} is not a DTMF key (0-9 * # A-D)"
        ))),
        None => Ok(()),
    }
}

async fn save(path: &Path, recorder: JoinHandle<Vec<i16>>) -> Result<(), Failure> {
    let samples = recorder
        .await
        .map_err(|e| Failure::failed(format!("recorder: {e}")))?;
    audio::write_wav(path, &samples).map_err(Failure::failed)?;
    say!(
        "recorded {:.2} s to {}",
        samples.len() as f64 / f64::from(audio::RATE),
        path.display()
    );
    Ok(())
}

/// `voip call`.
pub(crate) async fn call(args: CallArgs) -> Result<(), Failure> {
    let samples = load_wav(args.play.as_deref())?;
    let digits = args.dtmf.as_deref().map(str::to_ascii_uppercase);
    if let Some(d) = &digits {
        check_digits(d)?;
    }
    let ring = seconds("--ring-timeout", args.ring_timeout)?;
    let stay = args
        .duration
        .map(|d| seconds("--duration", d))
        .transpose()?;
    with_phone(&args.phone, 0, |phone| async move {
        let call = phone.call(&args.uri, None).await?;
        say!("calling {}", call.remote_uri());
        let mut states = print_states("call".into(), call.clone());
        match tokio::time::timeout(ring, call.wait_for_state(CallState::Answered)).await {
            Ok(Ok(())) => states.shown(CallState::Answered).await,
            Ok(Err(_)) => {
                states.done().await;
                return Err(Failure::failed(format!(
                    "call not answered: {}",
                    describe_end(call.end_reason())
                )));
            }
            Err(_) => {
                let _ = call.cancel().await;
                let _ = call
                    .wait_for_state_timeout(CallState::Ended, END_TIMEOUT)
                    .await;
                return Err(Failure::failed(format!(
                    "call not answered within {} s",
                    ring.as_secs_f64()
                )));
            }
        }
        let recorder = args.record.as_ref().map(|_| record(call.clone()));
        let dtmf = collect_dtmf("call".into(), call.clone());
        let work = async {
            if let Some(s) = &samples {
                play(&call, s).await?;
                say!(
                    "played {}",
                    args.play.as_deref().unwrap_or(Path::new("")).display()
                );
            }
            if let Some(d) = &digits {
                send_dtmf(&call, d).await?;
                say!("sent DTMF {d}");
            }
            match stay {
                Some(t) => tokio::time::sleep(t).await,
                None if samples.is_none() && digits.is_none() => call.ended().await,
                None => {}
            }
            Ok::<(), Failure>(())
        };
        let outcome = tokio::select! {
            r = work => r,
            () = call.ended() => Ok(()),
            _ = tokio::signal::ctrl_c() => Ok(()),
        };
        let ended = finish(&call).await;
        states.done().await;
        let _ = dtmf.await;
        if let (Some(path), Some(rec)) = (&args.record, recorder) {
            save(path, rec).await?;
        }
        outcome.and(ended)
    })
    .await
}

/// Where call number `n` (from 1) is recorded: `path`, then `stem-n.ext`.
fn record_path(path: &Path, n: u32) -> PathBuf {
    if n <= 1 {
        return path.to_owned();
    }
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let name = match path.extension() {
        Some(ext) => format!("{stem}-{n}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{n}"),
    };
    path.with_file_name(name)
}

/// One answered call of `voip answer`.
async fn handle_incoming(
    call: VoipCall,
    n: u32,
    samples: Option<std::sync::Arc<Vec<i16>>>,
    record_to: Option<PathBuf>,
    hangup_after: Option<Duration>,
) -> Result<(), Failure> {
    let label = format!("call {n}");
    say!("{label}: from {}", call.remote_uri());
    let mut states = print_states(label.clone(), call.clone());
    if let Err(e) = call.answer().await {
        // Refuse it rather than leave it ringing (an error when it already ended).
        let _ = call.deny().await;
        let _ = call
            .wait_for_state_timeout(CallState::Ended, END_TIMEOUT)
            .await;
        return Err(Failure::failed(format!("{label}: cannot answer: {e}")));
    }
    states.shown(CallState::Answered).await;
    let recorder = record_to.as_ref().map(|_| record(call.clone()));
    let dtmf = collect_dtmf(label.clone(), call.clone());
    let work = async {
        if let Some(s) = &samples {
            play(&call, s).await?;
        }
        match hangup_after {
            Some(t) => tokio::time::sleep(t).await,
            None => call.ended().await,
        }
        Ok::<(), Failure>(())
    };
    let outcome = tokio::select! {
        r = work => r,
        () = call.ended() => Ok(()),
    };
    let ended = finish(&call).await;
    states.done().await;
    let keys = dtmf.await.unwrap_or_default();
    say!("{label}: DTMF received: {keys}");
    if let (Some(path), Some(rec)) = (&record_to, recorder) {
        save(path, rec).await?;
    }
    outcome.and(ended)
}

/// `voip answer`.
pub(crate) async fn answer(args: AnswerArgs) -> Result<(), Failure> {
    let samples = load_wav(args.play.as_deref())?.map(std::sync::Arc::new);
    let hangup_after = args
        .hangup_after
        .map(|d| seconds("--hangup-after", d))
        .transpose()?;
    if args.calls == Some(0) {
        return Err(Failure::usage("--calls: must be at least 1"));
    }
    with_phone(&args.phone, 5060, |phone| async move {
        announce(&phone);
        let messages = {
            let phone = phone.clone();
            tokio::spawn(async move {
                while let Some(m) = phone.next_message().await {
                    say!("message from {}: {}", m.from, m.text());
                }
            })
        };
        let mut running = JoinSet::new();
        let (mut started, mut ended, mut failed) = (0u32, 0u32, 0u32);
        loop {
            tokio::select! {
                incoming = phone.incoming(), if args.calls.is_none_or(|n| started < n) => {
                    let Some(call) = incoming else { break };
                    started += 1;
                    let record_to = args.record.as_deref().map(|p| record_path(p, started));
                    running.spawn(handle_incoming(
                        call,
                        started,
                        samples.clone(),
                        record_to,
                        hangup_after,
                    ));
                }
                Some(done) = running.join_next() => {
                    ended += 1;
                    match done {
                        Ok(Ok(())) => {}
                        Ok(Err(f)) => {
                            failed += 1;
                            eprintln!("voip answer: {}", f.message);
                        }
                        Err(e) => {
                            failed += 1;
                            eprintln!("voip answer: call task failed: {e}");
                        }
                    }
                    if args.calls == Some(ended) {
                        break;
                    }
                }
                _ = tokio::signal::ctrl_c() => break,
            }
        }
        messages.abort();
        say!("{ended} call(s) ended, {failed} failed");
        match failed {
            0 => Ok(()),
            n => Err(Failure::failed(format!("{n} of {ended} call(s) failed"))),
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_paths_number_later_calls() {
        let p = Path::new("/tmp/out.wav");
        assert_eq!(record_path(p, 1), PathBuf::from("/tmp/out.wav"));
        assert_eq!(record_path(p, 3), PathBuf::from("/tmp/out-3.wav"));
        assert_eq!(record_path(Path::new("x"), 2), PathBuf::from("x-2"));
    }

    #[test]
    fn dtmf_keys_are_checked() {
        assert!(check_digits("0123456789*#ABCD").is_ok());
        assert_eq!(check_digits("12x").unwrap_err().code, 2);
    }
}
