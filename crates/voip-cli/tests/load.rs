//! CI smoke of `voip load`: a small run must set calls up, carry RTP both ways without
//! loss, and print a report that parses; a short soak must find no leak.

use std::process::Command;

fn voip() -> Command {
    Command::new(env!("CARGO_BIN_EXE_voip"))
}

fn json_line(stdout: &[u8]) -> serde_json::Value {
    let text = String::from_utf8_lossy(stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON report in {text:?}"));
    serde_json::from_str(line).expect("the report is JSON")
}

#[test]
fn fifty_calls_for_three_seconds() {
    let out = voip()
        .args(["load", "--calls", "50", "--duration", "3", "--rate", "100"])
        .args(["--rtp-base", "41000", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json_line(&out.stdout);
    assert_eq!(r["calls_up"], 50, "{r}");
    assert_eq!(r["calls_answered_by_callee"], 50, "{r}");
    assert_eq!(r["calls_failed"], 0, "{r}");
    let m = &r["media"];
    assert_eq!(m["streams"], 100, "both ends of every call: {r}");
    // 3 s of 50 packets/s per stream, both directions.
    for side in ["callers", "callees"] {
        let sent = m[side]["sent_total"].as_u64().unwrap();
        let received = m[side]["received_total"].as_u64().unwrap();
        assert!(sent >= 50 * 50 * 3, "{side} sent {sent}: {r}");
        assert!(received >= 50 * 50 * 3, "{side} received {received}: {r}");
    }
    assert_eq!(m["packets_lost_total"], 0, "{r}");
    assert_eq!(m["send_errors"], 0, "{r}");
    let d = &m["send_deviation_ms"];
    assert!(d["measured"].as_u64().unwrap() > 0, "{r}");
    assert!(
        d["p50"].as_f64().unwrap() <= d["p99"].as_f64().unwrap(),
        "{r}"
    );
    assert!(
        d["p99"].as_f64().unwrap() <= d["max"].as_f64().unwrap(),
        "{r}"
    );
    assert!(r["peak_rss_mib"].as_f64().unwrap() > 0.0, "{r}");
    assert!(m["cpu_seconds"].as_f64().is_some(), "{r}");
}

#[test]
fn short_soak_finds_no_leak() {
    let out = voip()
        .args([
            "load", "--soak", "0.1", "--calls", "20", "--hold", "1", "--rate", "50",
        ])
        .args(["--rtp-base", "45000", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "exit {:?}: {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json_line(&out.stdout);
    assert!(r["calls_placed"].as_u64().unwrap() >= 40, "{r}");
    assert_eq!(r["calls_failed"], 0, "{r}");
    assert_eq!(r["leaks"].as_array().unwrap().len(), 0, "{r}");
    assert!(
        r["after"]["fds"].as_u64().unwrap() <= r["idle"]["fds"].as_u64().unwrap(),
        "{r}"
    );
    assert_eq!(r["after"]["rtp_ports"], r["idle"]["rtp_ports"], "{r}");
}

#[test]
fn bad_flags_are_usage_errors() {
    let out = voip().args(["load", "--calls", "0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--calls"));
}
