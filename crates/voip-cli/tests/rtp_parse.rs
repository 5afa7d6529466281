//! `voip rtp parse`, run as a process.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn voip(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_voip"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the voip binary runs");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("voip-rtp-parse-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A PCMU packet with a marker, two CSRCs, a one-byte extension and 4 bytes of padding.
fn rich_packet() -> Vec<u8> {
    let mut p = vec![
        0x80 | 0x20 | 0x10 | 2,
        0x80,
        0x12,
        0x34,
        0,
        0,
        0x03,
        0x20,
        0xde,
        0xad,
        0xbe,
        0xef,
    ];
    p.extend([0, 0, 0, 1, 0, 0, 0, 2]);
    p.extend([0xBE, 0xDE, 0, 1, 0x10, 0xAA, 0, 0]);
    p.extend([0xFF; 160]);
    p.extend([0, 0, 0, 4]);
    p
}

#[test]
fn prints_every_header_field_as_json() {
    let path = temp_file("rich.rtp", &rich_packet());
    let out = voip(&["rtp", "parse", path.to_str().unwrap()], b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = &json_lines(&out)[0];
    assert_eq!(v["version"], 2);
    assert_eq!(v["padding"], true);
    assert_eq!(v["padding_length"], 4);
    assert_eq!(v["marker"], true);
    assert_eq!(v["payload_type"], 0);
    assert_eq!(v["encoding_name"], "PCMU");
    assert_eq!(v["clock_rate"], 8000);
    assert_eq!(v["sequence_number"], 0x1234);
    assert_eq!(v["timestamp"], 800);
    assert_eq!(v["ssrc"], 0xdeadbeef_u32);
    assert_eq!(v["csrc_count"], 2);
    assert_eq!(v["csrc"], serde_json::json!([1, 2]));
    assert_eq!(v["extension"]["profile"], 0xBEDE);
    assert_eq!(v["extension"]["form"], "one-byte");
    assert_eq!(v["extension"]["elements"][0]["id"], 1);
    assert_eq!(v["extension"]["elements"][0]["data_hex"], "aa");
    assert_eq!(v["header_length"], 28);
    assert_eq!(v["payload_length"], 160);
    assert!(v.get("telephone_event").is_none());
    assert_eq!(v["file"], path.to_str().unwrap());
}

#[test]
fn telephone_events_use_the_dtmf_payload_type() {
    let event = [
        0x80,
        101,
        0,
        7,
        0,
        0,
        0x10,
        0,
        0,
        0,
        0,
        1,
        11,
        0x80 | 10,
        0x03,
        0x20,
    ];
    let out = voip(&["rtp", "parse", "-"], &event);
    assert!(out.status.success());
    let v = &json_lines(&out)[0];
    assert_eq!(v["encoding_name"], "telephone-event");
    assert_eq!(v["telephone_event"]["event"], 11);
    assert_eq!(v["telephone_event"]["key"], "#");
    assert_eq!(v["telephone_event"]["end"], true);
    assert_eq!(v["telephone_event"]["volume"], 10);
    assert_eq!(v["telephone_event"]["duration"], 800);

    // The same packet with another negotiated number: no event decoding.
    let out = voip(&["rtp", "parse", "--dtmf-pt", "96", "-"], &event);
    let v = &json_lines(&out)[0];
    assert!(v.get("telephone_event").is_none());
    assert_eq!(v["encoding_name"], serde_json::Value::Null);
}

#[test]
fn malformed_input_is_an_error_with_exit_status_1() {
    let good = temp_file("good.rtp", &rich_packet());
    let mut bad_version = rich_packet();
    bad_version[0] &= 0x3F;
    let bad = temp_file("bad.rtp", &bad_version);
    let out = voip(
        &[
            "rtp",
            "parse",
            good.to_str().unwrap(),
            bad.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        json_lines(&out).len(),
        1,
        "the good packet is still printed"
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("bad.rtp") && err.contains("version 0"),
        "{err}"
    );

    let out = voip(&["rtp", "parse", "-"], &[0x80, 0, 1]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stderr).unwrap().contains("truncated"));

    // A telephone-event payload shorter than 4 bytes.
    let out = voip(
        &["rtp", "parse", "-"],
        &[0x80, 101, 0, 7, 0, 0, 0, 0, 0, 0, 0, 1, 5],
    );
    assert_eq!(out.status.code(), Some(1));

    let out = voip(&["rtp", "parse", "/nonexistent/x.rtp"], b"");
    assert_eq!(out.status.code(), Some(1));

    // RTCP is recognised, not misread as RTP with payload type 72.
    let out = voip(&["rtp", "parse", "-"], &[0x80, 200, 0, 6, 0, 0, 0, 1]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stderr).unwrap().contains("RTCP"));

    // Larger than any UDP datagram: not one packet.
    let mut huge = rich_packet();
    huge.resize(70_000, 0);
    let path = temp_file("huge.rtp", &huge);
    let out = voip(&["rtp", "parse", path.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("longer than 65535")
    );
}
