//! `voip demo` end to end: two phones on loopback, a tone, DTMF, hangup, and the checks.

use std::process::{Command, Output};

fn voip(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_voip"))
        .args(args)
        .output()
        .expect("run voip")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn demo_calls_plays_a_tone_sends_dtmf_and_hangs_up() {
    let out = voip(&["demo", "--rtp-ports", "42000-42999"]);
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        text(&out.stderr)
    );
    // Every state each side goes through, in order for that side.
    let order = |who: &str, states: &[&str]| {
        let seen: Vec<&str> = stdout
            .lines()
            .filter_map(|l| l.strip_prefix(&format!("{who}: ")))
            .filter(|l| !l.starts_with("DTMF"))
            .map(|l| l.split(' ').next().unwrap_or(""))
            .collect();
        let mut at = 0;
        for s in states {
            at += 1 + seen[at..]
                .iter()
                .position(|x| x == s)
                .unwrap_or_else(|| panic!("{who} never {s} after {:?}: {seen:?}", &seen[..at]));
        }
        assert_eq!(seen.last(), Some(&"ENDED"), "{who}: {seen:?}");
        seen.len()
    };
    // Every transition is printed exactly once, however quick (the call's state
    // history replays from DIALING): no state skipped, none repeated.
    assert_eq!(
        order("alice", &["DIALING", "PROGRESS", "ANSWERED", "ENDED"]),
        4,
        "{stdout}"
    );
    assert_eq!(
        order("bob", &["RINGING", "ANSWERED", "ENDED"]),
        3,
        "{stdout}"
    );
    assert!(stdout.contains("alice: ENDED (we hung up)"), "{stdout}");
    assert!(stdout.contains("bob: ENDED (the peer hung up)"), "{stdout}");

    // The summary: the tone was heard (almost) whole, the keys came exactly.
    let tone = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("tone: bob heard 1000 Hz for "))
        .unwrap_or_else(|| panic!("no tone line:\n{stdout}"));
    let ms: u64 = tone
        .split("for ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{tone}"));
    assert!((900..=1000).contains(&ms), "{tone}");
    assert!(
        stdout
            .lines()
            .any(|l| l.trim() == "dtmf: alice sent 123#, bob received 123#"),
        "{stdout}"
    );
    let keys: String = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("bob: DTMF "))
        .collect();
    assert_eq!(keys, "123#");
    assert_eq!(stdout.lines().last(), Some("result: OK"));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

#[test]
fn demo_with_other_tone_and_keys() {
    let out = voip(&[
        "demo",
        "--tone-hz",
        "440",
        "--tone-ms",
        "500",
        "--dtmf",
        "*0AD",
        "--rtp-ports",
        "43000-43999",
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("tone: bob heard 440 Hz for "), "{stdout}");
    assert!(
        stdout.contains("dtmf: alice sent *0AD, bob received *0AD"),
        "{stdout}"
    );
}

#[test]
fn demo_reports_bad_input_on_one_line() {
    let out = voip(&["demo", "--tone-hz", "5000"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("voip demo: --tone-hz"), "{err}");

    // A key the media layer refuses fails the run (exit 1) with the reason.
    let out = voip(&["demo", "--dtmf", "12x", "--rtp-ports", "44000-44999"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("DTMF"), "{err}");
}
