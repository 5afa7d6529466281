//! `voip register` against a minimal registrar in the test (UDP on 127.0.0.1) that
//! answers every REGISTER with a fixed status, and `-v` / SIGINT behaviour.

use std::net::UdpSocket;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn voip() -> Command {
    Command::new(env!("CARGO_BIN_EXE_voip"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A registrar answering `status` to every request; returns its port and the requests.
fn registrar(status: &'static str) -> (u16, Arc<Mutex<Vec<String>>>) {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sock.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 65535];
        while let Ok((n, from)) = sock.recv_from(&mut buf) {
            let req = String::from_utf8_lossy(&buf[..n]).into_owned();
            let mut resp = format!("SIP/2.0 {status}\r\n");
            for line in req.split("\r\n").skip(1) {
                let name = line
                    .split(':')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                match name.as_str() {
                    "via" | "v" | "from" | "f" | "call-id" | "i" | "cseq" => {
                        resp.push_str(line);
                        resp.push_str("\r\n");
                    }
                    "to" | "t" => {
                        resp.push_str(line);
                        resp.push_str(";tag=reg1\r\n");
                    }
                    "contact" | "m" if status.starts_with("200") => {
                        resp.push_str(line);
                        resp.push_str(";expires=3600\r\n");
                    }
                    _ => {}
                }
            }
            resp.push_str("Content-Length: 0\r\n\r\n");
            log.lock().unwrap().push(req);
            let _ = sock.send_to(resp.as_bytes(), from);
        }
    });
    (port, seen)
}

fn run_bounded(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("voip did not exit in time: {}", text(&out.stdout));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn register_and_unregister() {
    let (port, seen) = registrar("200 OK");
    let out = run_bounded(
        voip().args([
            "register",
            "--server",
            &format!("127.0.0.1:{port}"),
            "--user",
            "100",
            "--password",
            "secret",
            "--bind",
            "127.0.0.1:0",
        ]),
        Duration::from_secs(20),
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout} {}", text(&out.stderr));
    assert!(
        stdout.contains("registered as 100@127.0.0.1 (listening on sip:100@127.0.0.1:"),
        "{stdout}"
    );
    let reqs = seen.lock().unwrap();
    assert!(reqs.len() >= 2, "register and unregister: {reqs:#?}");
    assert!(
        reqs.iter().all(|r| r.starts_with("REGISTER sip:127.0.0.1")),
        "{reqs:#?}"
    );
    // The last one removes the binding.
    let last = reqs.last().unwrap().to_ascii_lowercase();
    assert!(
        last.contains("expires: 0") || last.contains("expires=0"),
        "{last}"
    );
}

#[test]
fn refused_registration_exits_1_with_the_reason() {
    let (port, _) = registrar("403 Forbidden");
    let out = run_bounded(
        voip().args([
            "register",
            "--server",
            &format!("127.0.0.1:{port}"),
            "--bind",
            "127.0.0.1:0",
            "--register-attempts",
            "1",
        ]),
        Duration::from_secs(10),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("voip register: registration failed"),
        "{err}"
    );
}

#[test]
fn verbose_logs_to_stderr() {
    let out = run_bounded(
        voip().args(["-v", "demo", "--rtp-ports", "48000-48999"]),
        Duration::from_secs(30),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("DEBUG"), "no debug output: {err}");
    // Logs stay off stdout: the summary is intact.
    assert_eq!(text(&out.stdout).lines().last(), Some("result: OK"));
}

#[test]
fn sigint_stops_answer_cleanly() {
    let mut child = voip()
        .args([
            "answer",
            "--bind",
            "127.0.0.1:0",
            "--rtp-ports",
            "48500-48599",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Signal only once it is up (the handler is installed by then).
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    assert!(
        first.starts_with("listening on sip:voip@127.0.0.1:"),
        "{first}"
    );
    std::thread::sleep(Duration::from_millis(200));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "answer ignored SIGINT"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{rest} {}", text(&out.stderr));
    assert!(rest.contains("0 call(s) ended, 0 failed"), "{rest}");
}
