//! pyVoIP 2.0.0a4 (the library this project replaces) in the run's virtual environment
//! (`<work_dir>/venv`, made by `tests/interop/run`), driven by the scripts in
//! `tests/interop/pyvoip/`: `answer.py` (answers, plays a tone, records, reads
//! `get_dtmf()`) and `call.py` (calls a number at the server). Both register to the
//! suite's Kamailio (pyVoIP always registers), bind 127.0.0.1 only, and report each step
//! as one JSON object per line on stdout, which this module reads back.

use std::process::Command;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use serde_json::Value;

use super::kamailio::{Kamailio, password};
use super::{Process, wait_until};
use crate::scenarios::Ctx;

/// A running pyVoIP script; stopped by pid when dropped.
#[derive(Debug)]
pub(crate) struct PyVoip {
    process: Process,
    /// Its account user (must be plain: pyVoIP drops messages whose user has `-` or `.`).
    pub(crate) user: &'static str,
    /// Its SIP port.
    pub(crate) sip_port: u16,
}

impl PyVoip {
    /// Starts `script` (`answer.py` / `call.py`) as `user` registered at `kam`, with
    /// `args` appended; waits until it reports `registered`.
    pub(crate) async fn start(
        ctx: &mut Ctx,
        kam: &Kamailio,
        user: &'static str,
        script: &str,
        args: &[String],
    ) -> Result<PyVoip> {
        let python = ctx.work_dir.join("venv/bin/python");
        if !python.exists() {
            bail!(
                "pyVoIP's venv is missing ({}): tests/interop/run creates it",
                python.display()
            );
        }
        let sip_port = ctx.ports.port()?;
        let rtp = ctx.ports.block(10)?;
        ctx.peer_port(sip_port);
        ctx.decode_sip(sip_port);
        for p in rtp..rtp + 10 {
            ctx.peer_port(p);
        }
        let mut cmd = Command::new(python);
        cmd.arg("-u")
            .arg(ctx.suite_dir.join("pyvoip").join(script))
            .args(["--server-port", &kam.port.to_string()])
            .args(["--user", user, "--password", password(user)])
            .args(["--bind-port", &sip_port.to_string()])
            .args([
                "--rtp-low",
                &rtp.to_string(),
                "--rtp-high",
                &(rtp + 9).to_string(),
            ])
            .args(args);
        let name = format!("pyvoip-{}", script.trim_end_matches(".py"));
        let process = Process::spawn(&ctx.log_dir, &name, cmd)?;
        let mut p = PyVoip {
            process,
            user,
            sip_port,
        };
        let first = p
            .wait_any(
                &["registered", "not_registered", "start_failed"],
                Duration::from_secs(15),
            )
            .await?;
        if first["event"] != "registered" {
            bail!("pyVoIP did not register: {first}");
        }
        Ok(p)
    }

    /// Its Contact URI (to call it directly, without the proxy).
    pub(crate) fn contact_uri(&self) -> String {
        format!("sip:{}@127.0.0.1:{}", self.user, self.sip_port)
    }

    /// Every event it reported so far.
    pub(crate) fn events(&self) -> Vec<Value> {
        std::fs::read_to_string(self.process.stdout_path())
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .collect()
    }

    /// The events named `name`.
    pub(crate) fn events_named(&self, name: &str) -> Vec<Value> {
        self.events()
            .into_iter()
            .filter(|e| e["event"] == name)
            .collect()
    }

    /// Waits for the first event whose name is one of `names`; fails early when the
    /// script exits without it.
    pub(crate) async fn wait_any(&mut self, names: &[&str], limit: Duration) -> Result<Value> {
        let mut found = None;
        let mut exited = None;
        let what = format!("pyVoIP event {}", names.join("|"));
        let outcome = wait_until(limit, &what, || {
            found = self
                .events()
                .into_iter()
                .find(|e| names.iter().any(|n| e["event"] == *n));
            if found.is_none() {
                exited = self.process.try_wait();
            }
            let done = found.is_some() || exited.is_some();
            async move { done }
        })
        .await;
        if let Some(v) = found {
            return Ok(v);
        }
        let stderr = super::tail(self.process.stderr_path(), 8).unwrap_or_default();
        match exited {
            Some(status) => bail!("pyVoIP exited ({status}) before {what}: {stderr}"),
            None => Err(outcome
                .err()
                .unwrap_or_else(|| anyhow::anyhow!("no {what}"))
                .context(format!("pyVoIP stderr: {stderr}"))),
        }
    }

    /// Waits for the event `name`.
    pub(crate) async fn wait_event(&mut self, name: &str, limit: Duration) -> Result<Value> {
        self.wait_any(&[name], limit).await
    }

    /// Whether the script is still running.
    pub(crate) fn running(&mut self) -> bool {
        self.process.try_wait().is_none()
    }

    /// Stops it by pid (pyVoIP's own `stop()` can hang).
    pub(crate) async fn stop(self) {
        self.process.stop_async().await;
    }
}

/// The `result` event's field `key` as a string (`""` when absent).
pub(crate) fn field<'a>(event: &'a Value, key: &str) -> &'a str {
    event[key].as_str().unwrap_or_default()
}

/// Reads a recording pyVoIP's script wrote (16-bit WAV at 8 kHz).
pub(crate) fn read_recording(path: &std::path::Path) -> Result<Vec<i16>> {
    let (samples, rate) = crate::audio::read_wav(path)
        .with_context(|| format!("reading pyVoIP's recording {}", path.display()))?;
    anyhow::ensure!(
        rate == crate::audio::RATE,
        "{} is at {rate} Hz",
        path.display()
    );
    Ok(samples)
}
