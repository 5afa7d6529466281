//! `voip sip parse` end to end: the real binary on files, stdin and streams.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn voip(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_voip"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run voip");
    let mut input = child.stdin.take().unwrap();
    if let Some(data) = stdin {
        input.write_all(data).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn torture(name: &str) -> String {
    format!(
        "{}/../sip-message/tests/torture/{name}.dat",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const INVITE: &str = "INVITE sip:bob@127.0.0.1 SIP/2.0\r\n\
v: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK776;rport\r\n\
Max-Forwards: 70\r\n\
f: \"Alice\" <sip:alice@127.0.0.1>;tag=19\r\n\
t: <sip:bob-0x12@127.0.0.1>\r\n\
i: a84b@127.0.0.1\r\n\
CSeq: 1 INVITE\r\n\
c: application/sdp\r\n\
X-Custom: kept\r\n\
\r\n\
v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=sendonly\r\n";

#[test]
fn datagram_from_stdin_prints_typed_headers_and_sdp() {
    let out = voip(&["sip", "parse", "-"], Some(INVITE.as_bytes()));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = &json_lines(&out)[0];
    assert_eq!(v["method"], "INVITE");
    assert_eq!(v["uri"]["user"], "bob");
    let headers = v["headers"].as_array().unwrap();
    // Order kept, compact names canonicalised, raw names kept.
    let names: Vec<_> = headers
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Via",
            "Max-Forwards",
            "From",
            "To",
            "Call-ID",
            "CSeq",
            "Content-Type",
            "X-Custom"
        ]
    );
    assert_eq!(headers[0]["raw_name"], "v");
    assert_eq!(headers[0]["parsed"][0]["branch"], "z9hG4bK776");
    assert_eq!(headers[0]["parsed"][0]["rport"], true);
    assert_eq!(headers[2]["parsed"][0]["params"]["tag"], "19");
    assert_eq!(headers[3]["parsed"][0]["uri"]["user"], "bob-0x12");
    assert_eq!(headers[5]["parsed"]["seq"], 1);
    assert_eq!(headers[7]["value"], "kept");
    assert!(headers[7].get("parsed").is_none());
    // No Content-Length on a datagram: the body runs to the end (RFC 3261 §18.3).
    let sdp = &v["body"]["sdp"];
    assert_eq!(sdp["media"][0]["port"], 4000);
    assert_eq!(sdp["media"][0]["direction"], "sendonly");
    assert_eq!(sdp["media"][0]["connection"], "IN IP4 127.0.0.1");
}

#[test]
fn several_files_each_one_datagram() {
    let out = voip(
        &[
            "sip",
            "parse",
            &torture("wsinv"),
            &torture("unreason"),
            &torture("mpart01"),
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json_lines(&out);
    assert_eq!(v.len(), 3);
    assert_eq!(v[0]["body"]["sdp"]["media"].as_array().unwrap().len(), 2);
    assert_eq!(v[1]["status"], 200);
    assert_eq!(
        v[1]["reason"],
        "= 2**3 * 5**2 но сто девяносто девять - простое"
    );
    assert_eq!(v[2]["body"]["length"], 553);
    assert!(v[2]["body"]["hex"].as_str().unwrap().starts_with("2d2d"));
}

#[test]
fn malformed_message_reports_offset_and_exits_1() {
    let out = voip(&["sip", "parse", &torture("badinv01")], None);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("Via header at byte 217"), "{err}");
    let out = voip(
        &["sip", "parse", "-"],
        Some(b"INVITE <sip:a@b> SIP/2.0\r\n\r\n"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stderr).unwrap().contains("at byte 7"));
}

#[test]
fn stream_mode_frames_by_content_length_and_requires_it() {
    let a = "OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK1\r\n\
             From: <sip:b@127.0.0.1>;tag=1\r\nTo: <sip:a@127.0.0.1>\r\nCall-ID: x\r\n\
             CSeq: 1 OPTIONS\r\nContent-Length: 5\r\n\r\nhello";
    let b = a.replace("CSeq: 1", "CSeq: 2");
    let input = format!("\r\n\r\n{a}{b}\r\n\r\n");
    let out = voip(&["sip", "parse", "--stream", "-"], Some(input.as_bytes()));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json_lines(&out);
    assert_eq!(v.len(), 2);
    assert_eq!(v[1]["headers"][4]["parsed"]["seq"], 2);
    assert_eq!(v[0]["body"]["text"], "hello");

    let no_length = a.replace("Content-Length: 5\r\n", "");
    let out = voip(
        &["sip", "parse", "--stream", "-"],
        Some(no_length.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("missing Content-Length")
    );
    // The same bytes are a valid datagram.
    let out = voip(&["sip", "parse", "-"], Some(no_length.as_bytes()));
    assert!(out.status.success());
}

#[test]
fn truncated_stream_is_an_error() {
    let out = voip(
        &["sip", "parse", "--stream", "-"],
        Some(b"BYE sip:a@127.0.0.1 SIP/2.0\r\nContent-Length: 10\r\n\r\nabc"),
    );
    assert_eq!(out.status.code(), Some(1));
}
