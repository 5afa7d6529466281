//! SIPp 3.6 runs: one scenario file from `tests/interop/sipp/`, bounded (`-timeout`),
//! non-interactive, with its statistics (`-trace_stat`) parsed at the end.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};

use super::{Process, tail};
use crate::scenarios::Ctx;

/// A SIPp run being set up; see [`SippRun::spawn`].
#[derive(Debug)]
pub(crate) struct SippRun {
    name: String,
    scenario: PathBuf,
    remote: Option<String>,
    transport: &'static str,
    calls: u32,
    rate: Option<f64>,
    limit: Option<u32>,
    timeout: Duration,
    extra: Vec<String>,
}

impl SippRun {
    /// A run of `tests/interop/sipp/<file>`; `name` names its logs. Defaults: one call,
    /// UDP, a 60 s bound.
    pub(crate) fn new(ctx: &Ctx, name: &str, file: &str) -> SippRun {
        SippRun {
            name: name.to_owned(),
            scenario: ctx.suite_dir.join("sipp").join(file),
            remote: None,
            transport: "u1",
            calls: 1,
            rate: None,
            limit: None,
            timeout: Duration::from_secs(60),
            extra: Vec::new(),
        }
    }

    /// The remote host:port requests go to (UAC scenarios).
    pub(crate) fn remote(mut self, addr: SocketAddr) -> Self {
        self.remote = Some(addr.to_string());
        self
    }

    /// `-t`: `u1` (UDP, default), `t1` (TCP, one socket), `tn` (TCP, one per call).
    pub(crate) fn transport(mut self, t: &'static str) -> Self {
        self.transport = t;
        self
    }

    /// `-m`: calls to make (UAC) or handle (UAS) before exiting.
    pub(crate) fn calls(mut self, n: u32) -> Self {
        self.calls = n;
        self
    }

    /// `-r`: calls per second.
    pub(crate) fn rate(mut self, cps: f64) -> Self {
        self.rate = Some(cps);
        self
    }

    /// `-l`: most simultaneous calls.
    pub(crate) fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }

    /// `-timeout`: SIPp stops (and fails) after this long.
    pub(crate) fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// `-s`: the service (Request-URI user of UAC scenarios).
    pub(crate) fn service(self, user: &str) -> Self {
        self.arg("-s").arg(user)
    }

    /// `-set NAME VALUE` (a `[$NAME]` variable in the scenario).
    pub(crate) fn set(self, name: &str, value: &str) -> Self {
        self.arg("-set").arg(name).arg(value)
    }

    /// Any other argument.
    pub(crate) fn arg(mut self, a: impl Into<String>) -> Self {
        self.extra.push(a.into());
        self
    }

    /// Starts SIPp: it listens on a fresh port (`-p`, see [`Sipp::addr`]) and media
    /// ports, with the control socket on loopback.
    pub(crate) fn spawn(self, ctx: &mut Ctx) -> Result<Sipp> {
        if !self.scenario.exists() {
            bail!("no SIPp scenario {}", self.scenario.display());
        }
        let port = ctx.ports.port()?;
        let media = ctx.ports.block(4)?;
        let control = ctx.ports.port()?;
        ctx.peer_port(port);
        ctx.decode_sip(port);
        for p in media..media + 4 {
            ctx.peer_port(p);
        }
        let stats = ctx.log_dir.join(format!("{}_stats.csv", self.name));
        let errors = ctx.log_dir.join(format!("{}_errors.log", self.name));
        let messages = ctx.log_dir.join(format!("{}_messages.log", self.name));
        let mut cmd = Command::new("sipp");
        cmd.arg("-sf")
            .arg(&self.scenario)
            .args(["-i", "127.0.0.1", "-mi", "127.0.0.1", "-ci", "127.0.0.1"])
            .args(["-p", &port.to_string()])
            .args(["-mp", &media.to_string()])
            .args(["-cp", &control.to_string()])
            .args(["-t", self.transport])
            .args(["-m", &self.calls.to_string()])
            .args([
                "-nostdin",
                "-timeout_error",
                "-trace_stat",
                "-trace_err",
                "-trace_msg",
            ])
            .arg("-timeout")
            .arg(format!("{}s", self.timeout.as_secs().max(1)))
            .arg("-stf")
            .arg(&stats)
            .arg("-error_file")
            .arg(&errors)
            .arg("-message_file")
            .arg(&messages)
            .args(["-fd", "1"]);
        if let Some(r) = self.rate {
            cmd.args(["-r", &r.to_string()]);
        }
        if let Some(l) = self.limit {
            cmd.args(["-l", &l.to_string()]);
        }
        cmd.args(&self.extra);
        if let Some(remote) = &self.remote {
            cmd.arg(remote);
        }
        let process = Process::spawn(&ctx.log_dir, &self.name, cmd)?;
        Ok(Sipp {
            process,
            port,
            media_port: media,
            stats,
            errors,
            timeout: self.timeout,
        })
    }

    /// Runs it to the end: [`spawn`](Self::spawn) then [`Sipp::finish`].
    pub(crate) async fn run(self, ctx: &mut Ctx) -> Result<SippStats> {
        self.spawn(ctx)?.finish().await
    }
}

/// A running SIPp; stopped when dropped.
#[derive(Debug)]
pub(crate) struct Sipp {
    process: Process,
    /// Its SIP port (`-p`).
    pub(crate) port: u16,
    /// Its first media port (`-mp`).
    pub(crate) media_port: u16,
    stats: PathBuf,
    errors: PathBuf,
    timeout: Duration,
}

/// SIPp's final statistics.
#[derive(Debug, Clone, Default)]
pub(crate) struct SippStats {
    /// Exit code: 0 every call succeeded, 1 some failed, others: SIPp itself failed.
    pub(crate) exit_code: i32,
    /// `SuccessfulCall(C)`.
    pub(crate) successful: u64,
    /// `FailedCall(C)`.
    pub(crate) failed: u64,
    /// `FailedUnexpectedMessage(C)`.
    pub(crate) unexpected: u64,
    /// `Retransmissions(C)`.
    pub(crate) retransmissions: u64,
    /// Every cumulative column of the last line.
    pub(crate) raw: BTreeMap<String, String>,
    /// The first lines of SIPp's error file, if any.
    pub(crate) errors: String,
}

impl SippStats {
    /// Fails unless exactly `calls` calls succeeded with nothing failed or unexpected.
    pub(crate) fn expect_clean(&self, calls: u64) -> Result<()> {
        if self.exit_code != 0
            || self.successful != calls
            || self.failed != 0
            || self.unexpected != 0
        {
            bail!(
                "SIPp: exit {}, {} successful of {calls}, {} failed, {} unexpected; {}",
                self.exit_code,
                self.successful,
                self.failed,
                self.unexpected,
                self.errors
            );
        }
        Ok(())
    }

    /// A short summary.
    pub(crate) fn summary(&self) -> String {
        format!(
            "sipp {} ok/{} failed/{} unexpected/{} retrans",
            self.successful, self.failed, self.unexpected, self.retransmissions
        )
    }
}

impl Sipp {
    /// Its SIP address.
    pub(crate) fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Fails when SIPp has already exited (e.g. a bind error).
    pub(crate) fn ensure_running(&mut self) -> Result<()> {
        self.process.ensure_running()
    }

    /// Waits for SIPp to exit by itself (its own `-timeout` plus a margin) and parses its
    /// statistics.
    pub(crate) async fn finish(mut self) -> Result<SippStats> {
        let status = self
            .process
            .wait_exit(self.timeout + Duration::from_secs(10))
            .await?;
        let exit_code = status.code().unwrap_or(-1);
        let text = std::fs::read_to_string(&self.stats).with_context(|| {
            format!(
                "SIPp wrote no statistics (exit {exit_code}): {}",
                tail(self.process.stderr_path(), 5).unwrap_or_default()
            )
        })?;
        let mut stats = parse_stats(&text).with_context(|| {
            format!(
                "SIPp statistics unreadable (exit {exit_code}): {}",
                tail(self.process.stderr_path(), 5).unwrap_or_default()
            )
        })?;
        stats.exit_code = exit_code;
        stats.errors = std::fs::read_to_string(&self.errors)
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .take(6)
            .collect::<Vec<_>>()
            .join(" | ");
        Ok(stats)
    }
}

/// Parses `-trace_stat` CSV (`;`-separated, a header line, then one line per period):
/// the last line's cumulative counters.
pub(crate) fn parse_stats(text: &str) -> Result<SippStats> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let (Some(first), Some(last_line)) = (lines.first(), lines.get(1..).and_then(<[&str]>::last))
    else {
        bail!("no header and data line");
    };
    let header: Vec<&str> = first.split(';').collect();
    let last: Vec<&str> = last_line.split(';').collect();
    let raw: BTreeMap<String, String> = header
        .iter()
        .zip(last.iter())
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let get = |k: &str| -> u64 { raw.get(k).and_then(|v| v.parse().ok()).unwrap_or(0) };
    if !raw.contains_key("SuccessfulCall(C)") {
        bail!("no SuccessfulCall(C) column");
    }
    Ok(SippStats {
        exit_code: 0,
        successful: get("SuccessfulCall(C)"),
        failed: get("FailedCall(C)"),
        unexpected: get("FailedUnexpectedMessage(C)"),
        retransmissions: get("Retransmissions(C)"),
        raw,
        errors: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_take_the_last_line() {
        let csv = "StartTime;SuccessfulCall(P);SuccessfulCall(C);FailedCall(C);FailedUnexpectedMessage(C);Retransmissions(C);\n\
                   x;1;1;0;0;0;\n\
                   y;3;200;1;2;5;\n";
        let s = parse_stats(csv).unwrap();
        assert_eq!(
            (s.successful, s.failed, s.unexpected, s.retransmissions),
            (200, 1, 2, 5)
        );
        assert!(s.expect_clean(200).is_err());
        assert!(parse_stats("a;b\n").is_err());
    }
}
