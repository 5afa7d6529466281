//! `voip answer`, `voip call` and `voip message` as separate processes talking over
//! loopback: a WAV played by the caller is recorded by the answerer (and the other way),
//! DTMF arrives, a MESSAGE is delivered; bad input fails with one line on stderr.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const RATE: u32 = 8000;

fn voip() -> Command {
    Command::new(env!("CARGO_BIN_EXE_voip"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A UDP port free right now on 127.0.0.1.
fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("voip-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_tone(path: &Path, freq: f64, ms: u32) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for n in 0..RATE * ms / 1000 {
        let t = f64::from(n) / f64::from(RATE);
        w.write_sample((8000.0 * (2.0 * std::f64::consts::PI * freq * t).sin()) as i16)
            .unwrap();
    }
    w.finalize().unwrap();
}

/// Milliseconds of the longest stretch of 20 ms blocks whose energy is mostly at `freq`.
fn tone_ms(path: &Path, freq: f64) -> u32 {
    let r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    assert_eq!(
        (spec.sample_rate, spec.channels, spec.bits_per_sample),
        (RATE, 1, 16)
    );
    let s: Vec<f64> = r
        .into_samples::<i16>()
        .map(|x| f64::from(x.unwrap()))
        .collect();
    let coeff = 2.0 * (2.0 * std::f64::consts::PI * freq / f64::from(RATE)).cos();
    let (mut best, mut run) = (0, 0);
    for block in s.chunks_exact(160) {
        let (mut s1, mut s2, mut energy) = (0.0, 0.0, 0.0);
        for &x in block {
            energy += x * x;
            let s0 = x + coeff * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        let power = (s1 * s1 + s2 * s2 - coeff * s1 * s2) * 2.0 / 160.0;
        if energy / 160.0 > 500.0f64.powi(2) && power / energy > 0.8 {
            run += 20;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

/// A running `voip` whose stdout lines arrive on a channel (and are kept).
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    fn spawn(cmd: &mut Command) -> Running {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn voip");
        let out = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits (bounded) for a stdout line containing `needle`.
    fn wait_line(&mut self, needle: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    self.seen.push(l.clone());
                    if l.contains(needle) {
                        return l;
                    }
                }
                Err(_) => {
                    let _ = self.child.kill();
                    panic!("no line with {needle:?}; saw {:#?}", self.seen);
                }
            }
        }
    }

    /// Waits (bounded; killed after) for the exit; the status, all stdout and stderr.
    fn finish(mut self, limit: Duration) -> (ExitStatus, Vec<String>, String) {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("voip did not exit in time; stdout so far {:#?}", self.seen);
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        self.seen.extend(self.lines.try_iter().collect::<Vec<_>>());
        // The reader thread may still be draining the pipe.
        while let Ok(l) = self.lines.recv_timeout(Duration::from_millis(200)) {
            self.seen.push(l);
        }
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            use std::io::Read;
            let _ = e.read_to_string(&mut err);
        }
        (status, std::mem::take(&mut self.seen), err)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(cmd: &mut Command, limit: Duration) -> (ExitStatus, Vec<String>, String) {
    Running::spawn(cmd).finish(limit)
}

#[test]
fn call_and_answer_processes_exchange_audio_dtmf_and_a_message() {
    let dir = scratch("phone");
    let caller_tone = dir.join("tone1k.wav");
    let callee_tone = dir.join("tone500.wav");
    let recorded = dir.join("answer.wav");
    let caller_rec = dir.join("caller.wav");
    write_tone(&caller_tone, 1000.0, 1000);
    write_tone(&callee_tone, 500.0, 600);
    let port = free_port();

    let mut answer = Running::spawn(voip().args([
        "answer",
        "--calls",
        "1",
        "--user",
        "bob",
        "--bind",
        &format!("127.0.0.1:{port}"),
        "--rtp-ports",
        "45000-45499",
        "--play",
        callee_tone.to_str().unwrap(),
        "--record",
        recorded.to_str().unwrap(),
    ]));
    let listening = answer.wait_line("listening on", Duration::from_secs(10));
    assert!(
        listening.contains(&format!("sip:bob@127.0.0.1:{port}")),
        "{listening}"
    );
    let uri = format!("sip:bob@127.0.0.1:{port}");

    let (status, out, err) = run(
        voip().args(["message", &uri, "hello bob", "--bind", "127.0.0.1"]),
        Duration::from_secs(20),
    );
    assert!(status.success(), "{status:?} {out:?} {err}");
    assert!(
        out.iter().any(|l| l.contains("message delivered")),
        "{out:?}"
    );
    answer.wait_line("message from", Duration::from_secs(5));
    assert!(
        answer.seen.last().unwrap().ends_with(": hello bob"),
        "{:?}",
        answer.seen
    );

    let (status, out, err) = run(
        voip().args([
            "call",
            &uri,
            "--user",
            "alice",
            "--bind",
            "127.0.0.1",
            "--rtp-ports",
            "45500-45999",
            "--play",
            caller_tone.to_str().unwrap(),
            "--dtmf",
            "12",
            "--record",
            caller_rec.to_str().unwrap(),
        ]),
        Duration::from_secs(30),
    );
    assert!(status.success(), "{status:?} {out:#?} {err}");
    for want in ["call: ANSWERED", "sent DTMF 12", "call: ENDED (we hung up)"] {
        assert!(out.iter().any(|l| l == want), "{want}: {out:#?}");
    }

    let (status, seen, err) = answer.finish(Duration::from_secs(15));
    assert!(status.success(), "{status:?} {seen:#?} {err}");
    for want in [
        "call 1: RINGING",
        "call 1: ANSWERED",
        "call 1: DTMF 1",
        "call 1: DTMF 2",
        "call 1: ENDED (the peer hung up)",
        "call 1: DTMF received: 12",
        "1 call(s) ended, 0 failed",
    ] {
        assert!(seen.iter().any(|l| l == want), "{want}: {seen:#?}");
    }

    // The answerer heard the caller's 1 kHz second; the caller heard the 500 Hz prompt.
    let heard = tone_ms(&recorded, 1000.0);
    assert!(
        (900..=1000).contains(&heard),
        "answerer heard 1 kHz for {heard} ms"
    );
    assert_eq!(
        tone_ms(&recorded, 500.0),
        0,
        "the caller's side had no 500 Hz"
    );
    let heard = tone_ms(&caller_rec, 500.0);
    assert!(
        (400..=600).contains(&heard),
        "caller heard 500 Hz for {heard} ms"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_input_exits_2_with_one_line() {
    let dir = scratch("bad");
    let wav16k = dir.join("16k.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    hound::WavWriter::create(&wav16k, spec)
        .unwrap()
        .finalize()
        .unwrap();
    let cases: [(&[&str], &str); 5] = [
        (
            &[
                "call",
                "sip:x@127.0.0.1:9",
                "--play",
                wav16k.to_str().unwrap(),
            ],
            "16000 Hz",
        ),
        (
            &["call", "sip:x@127.0.0.1:9", "--dtmf", "1x"],
            "not a DTMF key",
        ),
        (&["register"], "needs --server"),
        (&["answer", "--rtp-ports", "9-1"], "--rtp-ports"),
        (
            &["message", "sip:x@127.0.0.1:9", "hi", "--bind", "nowhere"],
            "--bind",
        ),
    ];
    for (args, want) in cases {
        let out: Output = voip().args(args).output().unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unanswered_call_fails_with_exit_1() {
    // Nobody listens on this port: the call cannot be answered within the ring timeout.
    let port = free_port();
    let (status, out, err) = run(
        voip().args([
            "call",
            &format!("sip:nobody@127.0.0.1:{port}"),
            "--bind",
            "127.0.0.1",
            "--rtp-ports",
            "46000-46099",
            "--ring-timeout",
            "2",
        ]),
        Duration::from_secs(20),
    );
    assert_eq!(status.code(), Some(1), "{out:#?} {err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("voip call: call not answered"), "{err}");
}

#[test]
fn over_tcp_the_answerer_hangs_up_and_the_caller_sees_it() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut answer = Running::spawn(voip().args([
        "answer",
        "--transport",
        "tcp",
        "--calls",
        "1",
        "--hangup-after",
        "0.5",
        "--bind",
        &format!("127.0.0.1:{port}"),
        "--rtp-ports",
        "47000-47099",
    ]));
    let listening = answer.wait_line("listening on", Duration::from_secs(10));
    assert!(listening.ends_with(";transport=tcp"), "{listening}");
    // Without --play/--dtmf/--duration the caller stays until the peer hangs up.
    let (status, out, err) = run(
        voip().args([
            "call",
            &format!("sip:voip@127.0.0.1:{port};transport=tcp"),
            "--transport",
            "tcp",
            "--bind",
            "127.0.0.1",
            "--rtp-ports",
            "47100-47199",
        ]),
        Duration::from_secs(20),
    );
    assert!(status.success(), "{status:?} {out:#?} {err}");
    assert!(
        out.iter().any(|l| l == "call: ENDED (the peer hung up)"),
        "{out:#?}"
    );
    let (status, seen, err) = answer.finish(Duration::from_secs(15));
    assert!(status.success(), "{status:?} {seen:#?} {err}");
    assert!(
        seen.iter().any(|l| l == "call 1: ENDED (we hung up)"),
        "{seen:#?}"
    );
}

#[test]
fn answer_counts_calls_and_records_each_to_its_own_file() {
    let dir = scratch("two");
    let (low, high) = (dir.join("600.wav"), dir.join("1400.wav"));
    write_tone(&low, 600.0, 500);
    write_tone(&high, 1400.0, 500);
    let rec = dir.join("rec.wav");
    let port = free_port();
    let mut answer = Running::spawn(voip().args([
        "answer",
        "--calls",
        "2",
        "--bind",
        &format!("127.0.0.1:{port}"),
        "--rtp-ports",
        "49000-49099",
        "--record",
        rec.to_str().unwrap(),
    ]));
    answer.wait_line("listening on", Duration::from_secs(10));
    for (n, wav) in [(1, &low), (2, &high)] {
        let (status, out, err) = run(
            voip().args([
                "call",
                &format!("sip:voip@127.0.0.1:{port}"),
                "--bind",
                "127.0.0.1",
                "--rtp-ports",
                "49100-49199",
                "--play",
                wav.to_str().unwrap(),
            ]),
            Duration::from_secs(20),
        );
        assert!(status.success(), "call {n}: {status:?} {out:#?} {err}");
        answer.wait_line(&format!("call {n}: ENDED"), Duration::from_secs(10));
    }
    let (status, seen, err) = answer.finish(Duration::from_secs(15));
    assert!(status.success(), "{status:?} {seen:#?} {err}");
    assert!(
        seen.iter().any(|l| l == "2 call(s) ended, 0 failed"),
        "{seen:#?}"
    );
    let second = dir.join("rec-2.wav");
    assert!(tone_ms(&rec, 600.0) >= 400, "first call: 600 Hz");
    assert_eq!(tone_ms(&rec, 1400.0), 0, "first call: no 1400 Hz");
    assert!(tone_ms(&second, 1400.0) >= 400, "second call: 1400 Hz");
    assert_eq!(tone_ms(&second, 600.0), 0, "second call: no 600 Hz");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A CA and a certificate for 127.0.0.1 signed by it, as PEM files in `dir`: (cert chain,
/// key, CA).
fn tls_files(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
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
        .push(rcgen::DnType::CommonName, "voip-cli test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
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

/// `voip answer` and `voip call` over TLS with the CLI's flags: an untrusted certificate
/// fails the call (exit 1), `--tls-ca` and `--tls-insecure` get through, audio flows.
#[test]
fn over_tls_the_cli_flags_choose_what_is_trusted() {
    let dir = scratch("tls");
    let (cert, key, ca) = tls_files(&dir);
    let tone = dir.join("tone.wav");
    write_tone(&tone, 1000.0, 600);
    let rec = dir.join("rec.wav");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut answer = Running::spawn(voip().args([
        "answer",
        "--transport",
        "tls",
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
        "--calls",
        "2",
        "--bind",
        &format!("127.0.0.1:{port}"),
        "--rtp-ports",
        "47200-47299",
        "--record",
        rec.to_str().unwrap(),
    ]));
    let listening = answer.wait_line("listening on", Duration::from_secs(10));
    assert!(listening.ends_with(";transport=tls"), "{listening}");
    let uri = format!("sip:voip@127.0.0.1:{port};transport=tls");
    let call = |trust: &[&str]| {
        let mut args = vec![
            "call",
            &uri,
            "--transport",
            "tls",
            "--bind",
            "127.0.0.1",
            "--rtp-ports",
            "47300-47399",
            "--play",
            tone.to_str().unwrap(),
            "--ring-timeout",
            "5",
        ];
        args.extend_from_slice(trust);
        run(voip().args(&args), Duration::from_secs(30))
    };

    // The system roots do not know our test CA: the handshake fails, the call too.
    let (status, out, err) = call(&[]);
    assert_eq!(status.code(), Some(1), "{out:#?} {err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    // Trusting the CA: answered, the tone arrives, we hang up after it.
    let (status, out, err) = call(&["--tls-ca", ca.to_str().unwrap()]);
    assert!(status.success(), "{status:?} {out:#?} {err}");
    assert!(out.iter().any(|l| l == "call: ANSWERED"), "{out:#?}");
    answer.wait_line("call 1: ENDED", Duration::from_secs(10));
    let heard = tone_ms(&rec, 1000.0);
    assert!(
        (500..=600).contains(&heard),
        "heard 1 kHz for {heard} ms over TLS"
    );

    // No verification at all (pyVoIP's set_tls_security(CERT_NONE)).
    let (status, out, err) = call(&["--tls-insecure"]);
    assert!(status.success(), "{status:?} {out:#?} {err}");
    let (status, seen, err) = answer.finish(Duration::from_secs(15));
    assert!(status.success(), "{status:?} {seen:#?} {err}");
    assert!(
        seen.iter().any(|l| l == "2 call(s) ended, 0 failed"),
        "{seen:#?}"
    );

    // TLS flags without TLS, and a certificate without its key, are usage errors.
    for args in [
        &["call", &uri, "--tls-insecure"][..],
        &["answer", "--transport", "tls", "--tls-cert", "x.pem"][..],
    ] {
        let out = voip().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains("--tls"),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
