//! Phone-to-phone calls on 127.0.0.1 with no server: UDP, TCP and TLS; audio both ways
//! compared sample by sample after G.711, DTMF both ways, hangup from either side,
//! cancel, busy, MESSAGE, transfer to a third phone, and a call through a relay that
//! drops 20% of the SIP datagrams.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use rtp_core::PayloadType;
use sip_transport::TransportMode;
use tokio::net::UdpSocket;
use tokio::time::timeout;
use voip::{
    CallDirection, CallState, EndReason, Error, PhoneStatus, VoipCall, VoipPhone,
    VoipPhoneParameter,
};

const WAIT: Duration = Duration::from_secs(10);

/// Each phone gets its own RTP range so parallel tests never collide.
static NEXT_RTP: AtomicU16 = AtomicU16::new(42000);

fn params(user: &str, mode: TransportMode) -> voip::VoipPhoneParameterBuilder {
    let low = NEXT_RTP.fetch_add(40, Ordering::Relaxed);
    VoipPhoneParameter::builder(user)
        .bind("127.0.0.1:0".parse().unwrap())
        .transport(mode)
        .rtp_ports(low, low + 39)
}

async fn phone(user: &str) -> VoipPhone {
    let p = VoipPhone::new(params(user, TransportMode::Udp).build().unwrap()).unwrap();
    p.start().await.unwrap();
    assert_eq!(p.get_status(), PhoneStatus::Registered);
    p
}

async fn ring(callee: &VoipPhone) -> VoipCall {
    timeout(WAIT, callee.incoming())
        .await
        .expect("an incoming call in time")
        .expect("phone running")
}

/// A calls B and B answers: both calls answered.
async fn connect(a: &VoipPhone, b: &VoipPhone) -> (VoipCall, VoipCall) {
    let out = a.call(&b.sip_uri().unwrap(), None).await.unwrap();
    assert_eq!(out.direction(), CallDirection::Outgoing);
    let inc = ring(b).await;
    assert_eq!(inc.state(), CallState::Ringing);
    assert_eq!(inc.direction(), CallDirection::Incoming);
    inc.answer().await.unwrap();
    out.wait_for_state_timeout(CallState::Answered, WAIT)
        .await
        .unwrap();
    (out, inc)
}

fn tone8(n: usize, f: f64) -> Vec<u8> {
    (0..n)
        .map(|i| {
            let v = (i as f64 / 8000.0 * f * std::f64::consts::TAU).sin() * 90.0 + (i % 7) as f64;
            (128.0 + v) as u8
        })
        .collect()
}

fn through_g711(input: &[u8], pcma: bool) -> Vec<u8> {
    input
        .iter()
        .map(|&x| {
            let s = g711::linear8::to_i16(x);
            let d = if pcma {
                g711::alaw::decode(g711::alaw::encode(s))
            } else {
                g711::ulaw::decode(g711::ulaw::encode(s))
            };
            g711::linear8::from_i16(d)
        })
        .collect()
}

fn find(got: &[u8], expected: &[u8]) -> Option<usize> {
    (0..=got.len().checked_sub(expected.len())?).find(|&o| got[o..o + expected.len()] == *expected)
}

async fn read_n(call: &VoipCall, n: usize) -> Vec<u8> {
    let mut got = Vec::new();
    timeout(WAIT, async {
        while got.len() < n {
            got.extend(call.read_audio(160, true).await);
        }
    })
    .await
    .expect("audio read in time");
    got
}

async fn dtmf(call: &VoipCall, n: usize) -> String {
    let mut s = String::new();
    timeout(WAIT, async {
        while s.len() < n {
            match call.next_dtmf().await {
                Some(c) => s.push(c),
                None => break,
            }
        }
    })
    .await
    .expect("digits in time");
    s
}

/// Audio both ways (exact after G.711), DTMF both ways, then `hanger` hangs up.
async fn exercise(a_out: &VoipCall, b_in: &VoipCall, pcma: bool) {
    let to_b = tone8(4000, 440.0);
    let to_a = tone8(4000, 700.0);
    assert_eq!(a_out.write_audio(&to_b).unwrap(), to_b.len());
    assert_eq!(b_in.write_audio(&to_a).unwrap(), to_a.len());
    let (got_b, got_a) = tokio::join!(read_n(b_in, 8000), read_n(a_out, 8000));
    let off = find(&got_b, &through_g711(&to_b, pcma)).expect("B heard A exactly");
    assert!(got_b[..off].iter().all(|&s| s == 0x80), "silence before");
    find(&got_a, &through_g711(&to_a, pcma)).expect("A heard B exactly");

    a_out.send_dtmf("159#").unwrap();
    assert_eq!(dtmf(b_in, 4).await, "159#");
    b_in.send_dtmf("*0D").unwrap();
    assert_eq!(dtmf(a_out, 3).await, "*0D");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_call_audio_dtmf_and_callee_hangs_up() {
    let (a, b) = tokio::join!(phone("alice"), phone("bob"));
    let (out, inc) = connect(&a, &b).await;
    assert_eq!(inc.remote_uri().split('@').next(), Some("sip:alice"));
    let media = out.media().expect("negotiated");
    assert_eq!(media.codec, rtp_core::AudioCodec::Pcmu);
    exercise(&out, &inc, false).await;

    // pyVoIP's state rules.
    assert!(matches!(
        inc.answer().await,
        Err(Error::InvalidState {
            state: CallState::Answered,
            ..
        })
    ));
    assert!(matches!(inc.deny().await, Err(Error::InvalidState { .. })));
    assert!(matches!(
        out.cancel().await,
        Err(Error::InvalidState { .. })
    ));

    inc.hangup().await.unwrap();
    assert_eq!(inc.state(), CallState::Ended);
    assert_eq!(inc.end_reason(), Some(EndReason::LocalHangup));
    out.wait_for_state_timeout(CallState::Ended, WAIT)
        .await
        .unwrap();
    assert_eq!(out.end_reason(), Some(EndReason::RemoteHangup));
    assert!(matches!(
        out.hangup().await,
        Err(Error::InvalidState {
            state: CallState::Ended,
            ..
        })
    ));
    a.stop().await;
    b.stop().await;
    assert_eq!(a.get_status(), PhoneStatus::Inactive);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caller_hangs_up_and_pcma_only_call() {
    let (a, b) = tokio::join!(phone("alice"), phone("bob"));
    // Originating with PCMA only (pyVoIP can only originate PCMU).
    let out = a
        .call(
            &b.sip_uri().unwrap(),
            Some(&[PayloadType::Pcma, PayloadType::TelephoneEvent]),
        )
        .await
        .unwrap();
    let inc = ring(&b).await;
    assert!(matches!(
        inc.hangup().await,
        Err(Error::InvalidState {
            state: CallState::Ringing,
            ..
        })
    ));
    inc.answer().await.unwrap();
    out.wait_for_state_timeout(CallState::Answered, WAIT)
        .await
        .unwrap();
    assert_eq!(out.media().unwrap().codec, rtp_core::AudioCodec::Pcma);
    exercise(&out, &inc, true).await;
    out.hangup().await.unwrap();
    inc.wait_for_state_timeout(CallState::Ended, WAIT)
        .await
        .unwrap();
    assert_eq!(inc.end_reason(), Some(EndReason::RemoteHangup));
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_and_busy() {
    let (a, b) = tokio::join!(phone("alice"), phone("bob"));
    // Cancel while ringing.
    let out = a.call(&b.sip_uri().unwrap(), None).await.unwrap();
    let inc = ring(&b).await;
    out.wait_for_state_timeout(CallState::Progress, WAIT)
        .await
        .unwrap();
    out.cancel().await.unwrap();
    inc.wait_for_state_timeout(CallState::Ended, WAIT)
        .await
        .unwrap();
    assert_eq!(inc.end_reason(), Some(EndReason::RemoteCanceled));
    out.wait_for_state_timeout(CallState::Ended, WAIT)
        .await
        .unwrap();
    assert_eq!(out.end_reason(), Some(EndReason::Canceled));
    assert!(matches!(
        inc.answer().await,
        Err(Error::InvalidState { .. })
    ));

    // Busy: the callee denies.
    let out = a.call(&b.sip_uri().unwrap(), None).await.unwrap();
    let inc = ring(&b).await;
    inc.deny().await.unwrap();
    out.wait_for_state_timeout(CallState::Ended, WAIT)
        .await
        .unwrap();
    assert_eq!(out.end_reason(), Some(EndReason::Busy { status: 486 }));
    assert_eq!(
        out.last_message()
            .and_then(|m| m.status())
            .map(|s| s.code()),
        Some(486)
    );
    a.stop().await;
    b.stop().await;
}

/// All of `states` until the end, within WAIT.
async fn all_states(mut states: voip::CallStates) -> Vec<CallState> {
    let mut v = Vec::new();
    timeout(WAIT, async {
        while let Some(s) = states.next().await {
            v.push(s);
        }
    })
    .await
    .expect("the call ends in time");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_events_replay_every_transition_however_late() {
    use CallState::*;
    let (a, b) = tokio::join!(phone("alice"), phone("bob"));
    // Subscribed before anything happens on bob's side, after the fact on alice's.
    let (out, inc) = connect(&a, &b).await;
    let early = tokio::spawn(all_states(inc.state_events()));
    assert_eq!(out.state_history(), [Dialing, Progress, Answered]);
    out.hangup().await.unwrap();
    assert_eq!(early.await.unwrap(), [Ringing, Answered, Ended]);
    // Long after the end: still the whole story, then the stream ends.
    assert_eq!(
        all_states(out.state_events()).await,
        [Dialing, Progress, Answered, Ended]
    );
    assert_eq!(inc.state_history(), [Ringing, Answered, Ended]);

    // A cancelled call goes through CANCELING; a denied one straight to ENDED.
    let out = a.call(&b.sip_uri().unwrap(), None).await.unwrap();
    let inc = ring(&b).await;
    out.wait_for_state_timeout(Progress, WAIT).await.unwrap();
    out.cancel().await.unwrap();
    assert_eq!(
        all_states(out.state_events()).await,
        [Dialing, Progress, Canceling, Ended]
    );
    assert_eq!(all_states(inc.state_events()).await, [Ringing, Ended]);
    let out = a.call(&b.sip_uri().unwrap(), None).await.unwrap();
    ring(&b).await.deny().await.unwrap();
    assert_eq!(
        all_states(out.state_events()).await,
        [Dialing, Progress, Ended]
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_both_ways() {
    let (a, b) = tokio::join!(phone("alice"), phone("bob"));
    assert!(
        a.message(&b.sip_uri().unwrap(), "hello bob", "text/plain")
            .await
            .unwrap()
    );
    let m = timeout(WAIT, b.next_message()).await.unwrap().unwrap();
    assert_eq!(m.text(), "hello bob");
    assert_eq!(m.content_type, "text/plain");
    assert!(m.from.starts_with("sip:alice@"));
    assert!(
        b.message(&a.sip_uri().unwrap(), "{\"x\":1}", "application/json")
            .await
            .unwrap()
    );
    let m = timeout(WAIT, a.next_message()).await.unwrap().unwrap();
    assert_eq!(m.text(), "{\"x\":1}");
    assert_eq!(m.content_type, "application/json");
    // A number without a server cannot be dialled.
    assert!(matches!(
        a.message("1234", "x", "text/plain").await,
        Err(Error::InvalidTarget(_))
    ));
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blind_and_attended_transfer_to_a_third_phone() {
    let (a, b, c) = tokio::join!(phone("alice"), phone("bob"), phone("carol"));
    // Blind: A calls B, A transfers B to C.
    let (out, inc) = connect(&a, &b).await;
    assert!(out.transfer(&c.sip_uri().unwrap(), true).await.unwrap());
    out.wait_for_state_timeout(CallState::Ended, WAIT)
        .await
        .unwrap();
    assert_eq!(out.end_reason(), Some(EndReason::Transferred));
    let at_c = ring(&c).await;
    assert!(at_c.remote_uri().starts_with("sip:bob@"));
    at_c.answer().await.unwrap();
    // B's new call to C is up; B's call with A ended (A sent BYE).
    inc.wait_for_state_timeout(CallState::Ended, WAIT)
        .await
        .unwrap();
    let b_calls = b.calls().await;
    assert_eq!(b_calls.len(), 1);
    b_calls[0]
        .wait_for_state_timeout(CallState::Answered, WAIT)
        .await
        .unwrap();
    at_c.hangup().await.unwrap();
    b_calls[0]
        .wait_for_state_timeout(CallState::Ended, WAIT)
        .await
        .unwrap();

    // Attended, failing: C denies, A keeps its call with B.
    let (out, inc) = connect(&a, &b).await;
    let transfer = {
        let out = out.clone();
        let target = c.sip_uri().unwrap();
        tokio::spawn(async move { out.transfer(&target, false).await })
    };
    ring(&c).await.deny().await.unwrap();
    assert!(!timeout(WAIT, transfer).await.unwrap().unwrap().unwrap());
    assert_eq!(out.state(), CallState::Answered);
    assert_eq!(inc.state(), CallState::Answered);

    // Attended, succeeding: C answers, then A's call ends.
    let transfer = {
        let out = out.clone();
        let target = c.sip_uri().unwrap();
        tokio::spawn(async move { out.transfer(&target, false).await })
    };
    let at_c = ring(&c).await;
    at_c.answer().await.unwrap();
    assert!(timeout(WAIT, transfer).await.unwrap().unwrap().unwrap());
    out.wait_for_state_timeout(CallState::Ended, WAIT)
        .await
        .unwrap();
    inc.wait_for_state_timeout(CallState::Ended, WAIT)
        .await
        .unwrap();
    for p in [&a, &b, &c] {
        p.stop().await;
    }
}

/// A UDP relay between A and B that drops every fifth datagram (in both directions).
async fn lossy_relay(b_addr: SocketAddr) -> (SocketAddr, Arc<AtomicU16>) {
    let front = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let back = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let addr = front.local_addr().unwrap();
    let dropped = Arc::new(AtomicU16::new(0));
    let client: Arc<std::sync::Mutex<Option<SocketAddr>>> = Default::default();
    let counter = Arc::new(AtomicU16::new(0));
    {
        let (front, back, client, counter, dropped) = (
            front.clone(),
            back.clone(),
            client.clone(),
            counter.clone(),
            dropped.clone(),
        );
        tokio::spawn(async move {
            let mut buf = vec![0u8; 65536];
            while let Ok((n, from)) = front.recv_from(&mut buf).await {
                *client.lock().unwrap() = Some(from);
                if counter.fetch_add(1, Ordering::Relaxed) % 5 == 1 {
                    dropped.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                let _ = back.send_to(&buf[..n], b_addr).await;
            }
        });
    }
    {
        let (front, back, dropped) = (front.clone(), back.clone(), dropped.clone());
        tokio::spawn(async move {
            let mut buf = vec![0u8; 65536];
            while let Ok((n, _)) = back.recv_from(&mut buf).await {
                if counter.fetch_add(1, Ordering::Relaxed) % 5 == 1 {
                    dropped.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                let to = *client.lock().unwrap();
                if let Some(to) = to {
                    let _ = front.send_to(&buf[..n], to).await;
                }
            }
        });
    }
    (addr, dropped)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_completes_through_a_relay_dropping_20_percent_of_sip() {
    let (a, b) = tokio::join!(phone("alice"), phone("bob"));
    let (relay, dropped) = lossy_relay(b.local_addr().unwrap()).await;
    let out = a.call(&format!("sip:bob@{relay}"), None).await.unwrap();
    let inc = timeout(Duration::from_secs(40), b.incoming())
        .await
        .unwrap()
        .unwrap();
    inc.answer().await.unwrap();
    out.wait_for_state_timeout(CallState::Answered, Duration::from_secs(40))
        .await
        .unwrap();
    // Media flows directly (the relay only carries the INVITE transaction).
    assert_eq!(out.write_audio(&tone8(800, 300.0)).unwrap(), 800);
    let got = read_n(&inc, 2400).await;
    find(&got, &through_g711(&tone8(800, 300.0), false)).expect("audio after a lossy setup");
    assert!(
        dropped.load(Ordering::Relaxed) >= 1,
        "the relay dropped something"
    );
    inc.hangup().await.unwrap();
    out.wait_for_state_timeout(CallState::Ended, WAIT)
        .await
        .unwrap();
    a.stop().await;
    b.stop().await;
}

type Files = (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf);

/// A CA and a certificate for 127.0.0.1 signed by it, written to PEM files (one PKI
/// shared by every phone of the test process).
fn tls_files() -> Files {
    static FILES: std::sync::OnceLock<Files> = std::sync::OnceLock::new();
    FILES.get_or_init(make_tls_files).clone()
}

fn make_tls_files() -> Files {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair, KeyUsagePurpose,
    };
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "voip test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let dir = std::env::temp_dir().join(format!("voip-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (c, k, a) = (
        dir.join("cert.pem"),
        dir.join("key.pem"),
        dir.join("ca.pem"),
    );
    std::fs::write(&c, leaf.pem() + &ca.pem()).unwrap();
    std::fs::write(&k, key.serialize_pem()).unwrap();
    std::fs::write(&a, ca.pem()).unwrap();
    (c, k, a)
}

async fn stream_phone(user: &str, mode: TransportMode) -> VoipPhone {
    let mut b = params(user, mode);
    if mode == TransportMode::Tls {
        let (c, k, a) = tls_files();
        b = b.tls_identity(c, k).tls_ca_file(a);
    }
    let p = VoipPhone::new(b.build().unwrap()).unwrap();
    p.start().await.unwrap();
    p
}

async fn stream_call(mode: TransportMode) {
    let (a, b) = tokio::join!(stream_phone("alice", mode), stream_phone("bob", mode));
    let uri = b.sip_uri().unwrap();
    assert!(uri.ends_with(if mode == TransportMode::Tcp {
        ";transport=tcp"
    } else {
        ";transport=tls"
    }));
    let (out, inc) = connect(&a, &b).await;
    assert!(
        inc.request()
            .via()
            .unwrap()
            .transport
            .as_str()
            .eq_ignore_ascii_case(mode.as_str())
    );
    exercise(&out, &inc, false).await;
    assert!(
        a.message(&uri, "over a stream", "text/plain")
            .await
            .unwrap()
    );
    assert_eq!(
        timeout(WAIT, b.next_message())
            .await
            .unwrap()
            .unwrap()
            .text(),
        "over a stream"
    );
    out.hangup().await.unwrap();
    inc.wait_for_state_timeout(CallState::Ended, WAIT)
        .await
        .unwrap();
    // And the other way round (B opens its own connection or reuses A's).
    let back = b.call(&a.sip_uri().unwrap(), None).await.unwrap();
    let at_a = ring(&a).await;
    at_a.answer().await.unwrap();
    back.wait_for_state_timeout(CallState::Answered, WAIT)
        .await
        .unwrap();
    at_a.hangup().await.unwrap();
    back.wait_for_state_timeout(CallState::Ended, WAIT)
        .await
        .unwrap();
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_call_audio_dtmf_message() {
    stream_call(TransportMode::Tcp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_call_audio_dtmf_message() {
    stream_call(TransportMode::Tls).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_ends_calls_and_invalid_parameters_are_refused() {
    let (a, b) = tokio::join!(phone("alice"), phone("bob"));
    let (out, inc) = connect(&a, &b).await;
    a.stop().await;
    assert_eq!(out.state(), CallState::Ended);
    assert_eq!(out.end_reason(), Some(EndReason::Shutdown));
    inc.wait_for_state_timeout(CallState::Ended, WAIT)
        .await
        .unwrap();
    assert_eq!(inc.end_reason(), Some(EndReason::RemoteHangup));
    assert!(matches!(
        a.call(&b.sip_uri().unwrap(), None).await,
        Err(Error::NotRunning)
    ));
    b.stop().await;

    let bad = VoipPhoneParameter::builder("x")
        .rtp_ports(20000, 10000)
        .build();
    assert!(matches!(bad, Err(Error::InvalidRange { .. })));
    // One port pair: the second concurrent call finds no port (NoPortsAvailableError).
    let low = NEXT_RTP.fetch_add(40, Ordering::Relaxed);
    let tiny = VoipPhone::new(
        VoipPhoneParameter::builder("tiny")
            .bind("127.0.0.1:0".parse().unwrap())
            .rtp_ports(low, low + 1)
            .build()
            .unwrap(),
    )
    .unwrap();
    tiny.start().await.unwrap();
    let target = "sip:nobody@127.0.0.1:9";
    let first = tiny.call(target, None).await.unwrap();
    assert!(matches!(
        tiny.call(target, None).await,
        Err(Error::NoPortsAvailable { .. })
    ));
    first.cancel().await.unwrap();
    tiny.stop().await;
}

/// A handler-driven IVR: B's handler answers, plays a 10 s prompt and hangs up on key 1
/// (barge-in: long before the prompt ends). A's handler sees `bye`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_ivr_breaks_the_prompt_on_dtmf() {
    use tokio::sync::mpsc;

    struct Ivr(mpsc::UnboundedSender<(char, usize)>);
    impl voip::CallHandler for Ivr {
        async fn ringing(&self, call: VoipCall) {
            call.answer().await.unwrap();
            let started = std::time::Instant::now();
            let playback = call.play(&vec![0x90; 80_000]).unwrap();
            let key = playback.clone().until_dtmf().await;
            assert!(playback.is_finished() && playback.remaining_samples() == 0);
            let left = 80_000usize.saturating_sub(started.elapsed().as_millis() as usize * 8);
            call.hangup().await.unwrap();
            let _ = self.0.send((key.unwrap_or('-'), left));
        }
    }
    struct Caller(mpsc::UnboundedSender<&'static str>);
    impl voip::CallHandler for Caller {
        async fn answered(&self, _call: VoipCall, response: sip_message::SipMessage) {
            assert_eq!(response.status().unwrap().code(), 200);
            let _ = self.0.send("answered");
        }
        async fn bye(&self, _call: VoipCall) {
            let _ = self.0.send("bye");
        }
    }

    let (ivr_tx, mut ivr_rx) = mpsc::unbounded_channel();
    let (caller_tx, mut caller_rx) = mpsc::unbounded_channel();
    let b = VoipPhone::new(
        params("ivr", TransportMode::Udp)
            .call_handler(Ivr(ivr_tx))
            .build()
            .unwrap(),
    )
    .unwrap();
    let a = VoipPhone::new(
        params("alice", TransportMode::Udp)
            .call_handler(Caller(caller_tx))
            .build()
            .unwrap(),
    )
    .unwrap();
    a.start().await.unwrap();
    b.start().await.unwrap();
    let call = a.call(&b.sip_uri().unwrap(), None).await.unwrap();
    call.wait_for_state_timeout(CallState::Answered, WAIT)
        .await
        .unwrap();
    assert_eq!(
        timeout(WAIT, caller_rx.recv()).await.unwrap(),
        Some("answered")
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    call.send_dtmf("1").unwrap();
    let (key, left) = timeout(WAIT, ivr_rx.recv()).await.unwrap().unwrap();
    assert_eq!(key, '1');
    assert!(
        left > 60_000,
        "prompt broken early: {left} samples of time were left"
    );
    call.wait_for_state_timeout(CallState::Ended, WAIT)
        .await
        .unwrap();
    assert_eq!(timeout(WAIT, caller_rx.recv()).await.unwrap(), Some("bye"));
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_and_resume_by_reinvite() {
    use rtp_core::TransmitType;
    let (a, b) = tokio::join!(phone("alice"), phone("bob"));
    let (out, inc) = connect(&a, &b).await;
    out.hold().await.unwrap();
    let wait_dir = |call: VoipCall, want: TransmitType| async move {
        timeout(WAIT, async {
            while call.media().map(|m| m.direction) != Some(want) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .expect("direction applied");
    };
    // hold() returns once the answer is applied (voip-bugs.md, interop B 16:45).
    assert_eq!(out.media().unwrap().direction, TransmitType::SendOnly);
    assert_eq!(
        out.media_stream().unwrap().direction(),
        TransmitType::SendOnly
    );
    wait_dir(inc.clone(), TransmitType::RecvOnly).await;
    out.resume().await.unwrap();
    assert_eq!(out.media().unwrap().direction, TransmitType::SendRecv);
    wait_dir(inc.clone(), TransmitType::SendRecv).await;
    // Still a working call: audio after the re-INVITEs.
    inc.write_audio(&tone8(800, 500.0)).unwrap();
    let got = read_n(&out, 4000).await;
    find(&got, &through_g711(&tone8(800, 500.0), false)).expect("audio after resume");
    out.hangup().await.unwrap();
    inc.wait_for_state_timeout(CallState::Ended, WAIT)
        .await
        .unwrap();
    a.stop().await;
    b.stop().await;
}

/// pyVoIP's `sip_class`: a layer that rewrites what we send and sees what we receive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sip_layer_rewrites_and_observes_messages_and_drop_frees_the_port() {
    use std::sync::atomic::AtomicUsize;
    struct Brand(Arc<AtomicUsize>);
    impl voip::SipLayer for Brand {
        fn on_receive(&self, m: sip_message::SipMessage) -> Option<sip_message::SipMessage> {
            self.0.fetch_add(1, Ordering::Relaxed);
            Some(m)
        }
        fn on_send(&self, bytes: bytes::Bytes) -> bytes::Bytes {
            let text = String::from_utf8_lossy(&bytes)
                .replace("User-Agent: voip-rs", "User-Agent: branded");
            bytes::Bytes::from(text)
        }
    }
    let received = Arc::new(AtomicUsize::new(0));
    let a = VoipPhone::new(
        params("alice", TransportMode::Udp)
            .sip_layer(Brand(received.clone()))
            .build()
            .unwrap(),
    )
    .unwrap();
    a.start().await.unwrap();
    let b = phone("bob").await;
    let out = a.call(&b.sip_uri().unwrap(), None).await.unwrap();
    let inc = ring(&b).await;
    assert!(inc.request().user_agent().unwrap().starts_with("branded"));
    inc.deny().await.unwrap();
    out.wait_for_state_timeout(CallState::Ended, WAIT)
        .await
        .unwrap();
    assert!(
        received.load(Ordering::Relaxed) >= 2,
        "180 and 486 went through the layer"
    );

    // Dropping a running phone releases its SIP port (no stop() needed).
    let addr = b.local_addr().unwrap();
    drop(b);
    timeout(WAIT, async {
        loop {
            if std::net::UdpSocket::bind(addr).is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("port released after drop");
    a.stop().await;
}

/// 50 simultaneous calls between two phones: every call answered, then hung up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_calls() {
    const N: usize = 50;
    let mk = |user: &str| {
        let low = NEXT_RTP.fetch_add(240, Ordering::Relaxed);
        VoipPhone::new(
            VoipPhoneParameter::builder(user)
                .bind("127.0.0.1:0".parse().unwrap())
                .rtp_ports(low, low + 239)
                .build()
                .unwrap(),
        )
        .unwrap()
    };
    let (a, b) = (mk("alice"), mk("bob"));
    a.start().await.unwrap();
    b.start().await.unwrap();
    let started = std::time::Instant::now();
    let uri = b.sip_uri().unwrap();
    let answerer = tokio::spawn(async move {
        let mut calls = Vec::new();
        while calls.len() < N {
            let c = b.incoming().await.unwrap();
            c.answer().await.unwrap();
            calls.push(c);
        }
        (b, calls)
    });
    let mut outs = Vec::new();
    for _ in 0..N {
        outs.push(a.call(&uri, None).await.unwrap());
    }
    for c in &outs {
        c.wait_for_state_timeout(CallState::Answered, WAIT)
            .await
            .unwrap();
    }
    let (b, incs) = timeout(WAIT, answerer).await.unwrap().unwrap();
    let setup = started.elapsed();
    assert_eq!(a.calls().await.len(), N);
    for c in &outs {
        c.hangup().await.unwrap();
    }
    for c in &incs {
        c.wait_for_state_timeout(CallState::Ended, WAIT)
            .await
            .unwrap();
    }
    assert!(b.calls().await.is_empty());
    println!("{N} calls set up in {setup:?}");
    a.stop().await;
    b.stop().await;
}

/// Phones bound to 0.0.0.0 (pyVoIP's default) advertise the address the OS routes from,
/// never 0.0.0.0, in Via, Contact and SDP; audio flows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wildcard_bind_never_advertises_0_0_0_0() {
    let mk = |user: &str| {
        VoipPhone::new(
            params(user, TransportMode::Udp)
                .bind("0.0.0.0:0".parse().unwrap())
                .build()
                .unwrap(),
        )
        .unwrap()
    };
    let (a, b) = (mk("alice"), mk("bob"));
    a.start().await.unwrap();
    b.start().await.unwrap();
    let (out, inc) = connect(&a, &b).await;
    let invite = String::from_utf8_lossy(inc.request().as_bytes()).into_owned();
    assert!(!invite.contains("0.0.0.0"), "{invite}");
    assert!(invite.contains("c=IN IP4 127.0.0.1"), "{invite}");
    let answer = out.last_message().unwrap();
    let answer = String::from_utf8_lossy(answer.as_bytes()).into_owned();
    assert!(!answer.contains("0.0.0.0"), "{answer}");
    exercise(&out, &inc, false).await;
    out.hangup().await.unwrap();
    inc.wait_for_state_timeout(CallState::Ended, WAIT)
        .await
        .unwrap();
    a.stop().await;
    b.stop().await;
}

/// A `hostname` that is a name: Via and Contact carry the name, the SDP its address
/// (resolved when the phone starts); an unresolvable one fails `start` with pyVoIP's
/// NATError.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostname_name_goes_in_contact_and_its_address_in_sdp() {
    let a = VoipPhone::new(
        params("alice", TransportMode::Udp)
            .hostname("localhost")
            .build()
            .unwrap(),
    )
    .unwrap();
    let b = phone("bob").await;
    a.start().await.unwrap();
    let (out, inc) = connect(&a, &b).await;
    let invite = inc.request();
    let contact = invite.contact().unwrap().unwrap();
    let contact = contact.uri().unwrap();
    assert_eq!(contact.as_sip().unwrap().host.to_string(), "localhost");
    let body = String::from_utf8_lossy(invite.body()).into_owned();
    assert!(body.contains("c=IN IP4 127.0.0.1"), "{body}");
    exercise(&out, &inc, false).await;
    inc.hangup().await.unwrap();
    out.wait_for_state_timeout(CallState::Ended, WAIT)
        .await
        .unwrap();
    a.stop().await;
    b.stop().await;

    let bad = VoipPhone::new(
        params("carol", TransportMode::Udp)
            .remote_hostname("no-such-host.invalid")
            .build()
            .unwrap(),
    )
    .unwrap();
    let err = bad.start().await.unwrap_err();
    assert!(matches!(err, Error::Nat(_)), "{err:?}");
    assert_eq!(bad.get_status(), PhoneStatus::Failed);
}

/// Early media: B sends 183 with SDP and plays audio before answering; A is in Progress
/// and hears it in `read_audio`; then B answers and the call goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn early_media_on_183_plays_into_read_audio() {
    let (a, b) = tokio::join!(phone("alice"), phone("bob"));
    let out = a.call(&b.sip_uri().unwrap(), None).await.unwrap();
    let inc = ring(&b).await;
    inc.early_media().await.unwrap();
    assert_eq!(inc.state(), CallState::Ringing);
    out.wait_for_state_timeout(CallState::Progress, WAIT)
        .await
        .unwrap();
    let ringback = tone8(1600, 425.0);
    inc.write_audio(&ringback).unwrap();
    let got = read_n(&out, 4800).await;
    find(&got, &through_g711(&ringback, false)).expect("early media heard before the answer");
    assert_eq!(out.state(), CallState::Progress);
    assert!(matches!(
        inc.early_media().await,
        Err(Error::InvalidState { .. })
    ));
    inc.answer().await.unwrap();
    out.wait_for_state_timeout(CallState::Answered, WAIT)
        .await
        .unwrap();
    exercise(&out, &inc, false).await;
    out.hangup().await.unwrap();
    inc.wait_for_state_timeout(CallState::Ended, WAIT)
        .await
        .unwrap();
    a.stop().await;
    b.stop().await;
}

/// IPv6 (pyVoIP has none): two phones on ::1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_call_on_loopback() {
    let mk = |user: &str| {
        VoipPhone::new(
            params(user, TransportMode::Udp)
                .bind("[::1]:0".parse().unwrap())
                .build()
                .unwrap(),
        )
        .unwrap()
    };
    let (a, b) = (mk("alice"), mk("bob"));
    a.start().await.unwrap();
    b.start().await.unwrap();
    let uri = b.sip_uri().unwrap();
    assert!(uri.contains("[::1]"), "{uri}");
    let (out, inc) = connect(&a, &b).await;
    let invite = String::from_utf8_lossy(inc.request().as_bytes()).into_owned();
    assert!(invite.contains("c=IN IP6 ::1"), "{invite}");
    exercise(&out, &inc, false).await;
    inc.hangup().await.unwrap();
    out.wait_for_state_timeout(CallState::Ended, WAIT)
        .await
        .unwrap();
    a.stop().await;
    b.stop().await;
}

/// A TLS peer whose certificate we do not trust: the call fails at once with a transport
/// error (no fallback to TCP, pyVoIP's ALLOW_TLS_FALLBACK is off).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untrusted_tls_peer_fails_the_call() {
    let b = stream_phone("bob", TransportMode::Tls).await;
    let a = VoipPhone::new(params("alice", TransportMode::Tls).build().unwrap()).unwrap();
    a.start().await.unwrap();
    let out = a.call(&b.sip_uri().unwrap(), None).await.unwrap();
    out.wait_for_state_timeout(CallState::Ended, WAIT)
        .await
        .unwrap();
    assert_eq!(out.end_reason(), Some(EndReason::TransportError));
    a.stop().await;
    b.stop().await;
}
