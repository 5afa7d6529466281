//! baresip 1.0 as a headless softphone: registered through the suite's Kamailio, audio
//! from a WAV file (`aufile`), every call's sent and received audio dumped to WAV files
//! (`sndfile`), driven over `ctrl_tcp` (netstring JSON commands and events) and `cons`
//! (single-key commands: digits are RFC 4733 DTMF during a call; received MESSAGE text is
//! printed there and nowhere else). Its one contact is `sip:alice@voip.test`, so the
//! ctrl command `message TEXT` sends alice a MESSAGE.
//!
//! The configuration comes from `tests/interop/baresip/{config,accounts}.template`, with
//! the run's ports and paths filled in, in a fresh directory per instance.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, Result, ensure};
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;

use super::kamailio::{Kamailio, password};
use super::{Process, wait_tcp_listening, wait_until};
use crate::audio;
use crate::scenarios::Ctx;

/// How long baresip gets to start, listen and register.
const START_LIMIT: Duration = Duration::from_secs(10);

/// How to start one baresip.
#[derive(Debug, Clone)]
pub(crate) struct BaresipOpts {
    /// The Kamailio account (`bob`, `carol`, ...); the password comes from the account table.
    pub(crate) user: &'static str,
    /// The tone it sends in every call (Hz; the file is generated, 30 s long).
    pub(crate) tone_hz: f64,
    /// The tone's level in dBFS.
    pub(crate) tone_dbfs: f64,
    /// `auto` (answers at once) or `manual`.
    pub(crate) answer_mode: &'static str,
    /// The codecs it offers and accepts, in order (`PCMU,PCMA`).
    pub(crate) codecs: &'static str,
}

impl BaresipOpts {
    /// An auto-answering `user` sending a `tone_hz` tone at -6 dBFS, PCMU and PCMA.
    pub(crate) fn new(user: &'static str, tone_hz: f64) -> Self {
        BaresipOpts {
            user,
            tone_hz,
            tone_dbfs: -6.0,
            answer_mode: "auto",
            codecs: "PCMU,PCMA",
        }
    }
}

/// One received control message (event or response), as JSON.
type Inbox = Arc<Mutex<Vec<Value>>>;

/// A running baresip; stopped (`quit`, then by pid) when dropped or [`stop`](Self::stop)ped.
#[derive(Debug)]
pub(crate) struct Baresip {
    process: Process,
    /// The account user.
    pub(crate) user: &'static str,
    /// Its SIP port (UDP and TCP).
    pub(crate) sip_port: u16,
    cons_port: u16,
    ctrl: OwnedWriteHalf,
    inbox: Inbox,
    reader: tokio::task::JoinHandle<()>,
    snd_dir: PathBuf,
    token: u64,
}

fn lock(inbox: &Inbox) -> std::sync::MutexGuard<'_, Vec<Value>> {
    inbox
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Splits complete netstrings (`len:payload,`) off the front of `buf`.
fn take_netstrings(buf: &mut Vec<u8>) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    loop {
        let Some(colon) = buf.iter().position(|&b| b == b':') else {
            ensure!(buf.len() < 16, "netstring without a length prefix");
            return Ok(out);
        };
        let len: usize = std::str::from_utf8(&buf[..colon])?
            .trim()
            .parse()
            .context("netstring length")?;
        ensure!(len < 1 << 20, "netstring of {len} bytes");
        if buf.len() < colon + 1 + len + 1 {
            return Ok(out);
        }
        ensure!(buf[colon + 1 + len] == b',', "netstring not closed by ','");
        out.push(buf[colon + 1..colon + 1 + len].to_vec());
        buf.drain(..colon + 2 + len);
    }
}

impl Baresip {
    /// Writes its configuration, starts it, connects to its control socket and waits until
    /// its account is registered at `kam`.
    pub(crate) async fn start(ctx: &mut Ctx, kam: &Kamailio, opts: BaresipOpts) -> Result<Baresip> {
        let dir = ctx.log_dir.join(format!("baresip-{}", opts.user));
        let snd_dir = dir.join("snd");
        std::fs::create_dir_all(&snd_dir)?;
        // sip_listen P binds UDP+TCP on P and TLS on P+1.
        let sip_port = ctx.ports.block(2)?;
        let cons_port = ctx.ports.port()?;
        let ctrl_port = ctx.ports.port()?;
        let rtp = ctx.ports.block(10)?;
        ctx.peer_port(sip_port);
        ctx.decode_sip(sip_port);
        for p in rtp..rtp + 10 {
            ctx.peer_port(p);
        }
        let tone = dir.join("tone.wav");
        audio::write_wav(&tone, &audio::tone_i16(opts.tone_hz, opts.tone_dbfs, 30.0))?;
        let fill = |template: &str, pairs: &[(&str, String)]| {
            let mut text = template.to_owned();
            for (k, v) in pairs {
                text = text.replace(&format!("@{k}@"), v);
            }
            text
        };
        let config = fill(
            &std::fs::read_to_string(ctx.suite_dir.join("baresip/config.template"))
                .context("reading baresip/config.template")?,
            &[
                ("SIP_PORT", sip_port.to_string()),
                ("AUDIO_SOURCE", format!("aufile,{}", tone.display())),
                ("RTP_LOW", rtp.to_string()),
                ("RTP_HIGH", (rtp + 9).to_string()),
                ("SND_PATH", snd_dir.display().to_string()),
                ("CONS_PORT", cons_port.to_string()),
                ("CTRL_PORT", ctrl_port.to_string()),
            ],
        );
        ensure!(
            !config
                .lines()
                .any(|l| !l.starts_with('#') && l.contains('@')),
            "unfilled field in the baresip config"
        );
        std::fs::write(dir.join("config"), config)?;
        let accounts = fill(
            &std::fs::read_to_string(ctx.suite_dir.join("baresip/accounts.template"))
                .context("reading baresip/accounts.template")?,
            &[
                ("USER", opts.user.to_owned()),
                ("PASSWORD", password(opts.user).to_owned()),
                ("PROXY_PORT", kam.port.to_string()),
                ("ANSWERMODE", opts.answer_mode.to_owned()),
                ("CODECS", opts.codecs.to_owned()),
            ],
        );
        std::fs::write(dir.join("accounts"), accounts)?;
        // One contact, the current one: `message TEXT` (contact.so) sends a MESSAGE to it.
        std::fs::write(dir.join("contacts"), "\"Alice\" <sip:alice@voip.test>\n")?;

        let mut cmd = Command::new("baresip");
        cmd.arg("-f").arg(&dir);
        let mut process = Process::spawn(&ctx.log_dir, &format!("baresip-{}", opts.user), cmd)?;
        let ctrl_addr = SocketAddr::from(([127, 0, 0, 1], ctrl_port));
        if let Err(e) = wait_tcp_listening(ctrl_addr, START_LIMIT).await {
            process.ensure_running()?;
            return Err(e.context("baresip's ctrl_tcp did not listen"));
        }
        let stream = TcpStream::connect(ctrl_addr).await?;
        let (mut rd, wr) = stream.into_split();
        let inbox: Inbox = Arc::default();
        let sink = inbox.clone();
        let reader = tokio::spawn(async move {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            while let Ok(n) = rd.read(&mut chunk).await {
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
                let Ok(items) = take_netstrings(&mut buf) else {
                    break;
                };
                for item in items {
                    if let Ok(v) = serde_json::from_slice::<Value>(&item) {
                        lock(&sink).push(v);
                    }
                }
            }
        });
        let mut b = Baresip {
            process,
            user: opts.user,
            sip_port,
            cons_port,
            ctrl: wr,
            inbox,
            reader,
            snd_dir,
            token: 0,
        };
        kam.wait_bindings(opts.user, 1, START_LIMIT)
            .await
            .with_context(|| format!("baresip {} did not register", opts.user))?;
        b.process.ensure_running()?;
        Ok(b)
    }

    /// Sends a ctrl_tcp command and waits for its response; the response's `data`.
    pub(crate) async fn command(&mut self, command: &str, params: &str) -> Result<String> {
        self.token += 1;
        let token = format!("t{}", self.token);
        let json =
            serde_json::json!({"command": command, "params": params, "token": token}).to_string();
        let frame = format!("{}:{json},", json.len());
        self.ctrl.write_all(frame.as_bytes()).await?;
        let inbox = self.inbox.clone();
        let mut found = None;
        wait_until(
            Duration::from_secs(5),
            &format!("baresip's answer to {command}"),
            || {
                let hit = lock(&inbox)
                    .iter()
                    .find(|v| v["response"] == true && v["token"] == token.as_str())
                    .cloned();
                let done = hit.is_some();
                if done {
                    found = hit;
                }
                async move { done }
            },
        )
        .await?;
        let response = found.unwrap_or_default();
        ensure!(
            response["ok"] == true,
            "baresip refused `{command} {params}`: {response}"
        );
        Ok(response["data"].as_str().unwrap_or_default().to_owned())
    }

    /// Every event of `kind` (`CALL_ESTABLISHED`, ...) received so far.
    pub(crate) fn events(&self, kind: &str) -> Vec<Value> {
        lock(&self.inbox)
            .iter()
            .filter(|v| v["event"] == true && v["type"] == kind)
            .cloned()
            .collect()
    }

    /// Waits until `n` events of `kind` have arrived; returns the `n`-th.
    pub(crate) async fn wait_event(
        &mut self,
        kind: &str,
        n: usize,
        limit: Duration,
    ) -> Result<Value> {
        let inbox = self.inbox.clone();
        let count = |inbox: &Inbox| {
            lock(inbox)
                .iter()
                .filter(|v| v["event"] == true && v["type"] == kind)
                .count()
        };
        if let Err(e) = wait_until(
            limit,
            &format!("baresip {} event {kind} #{n}", self.user),
            || {
                let c = count(&inbox);
                async move { c >= n }
            },
        )
        .await
        {
            self.process.ensure_running()?;
            return Err(e);
        }
        Ok(self.events(kind).swap_remove(n - 1))
    }

    /// Presses keys on its console (digits during a call are sent as RFC 4733 events).
    pub(crate) async fn keys(&self, keys: &str) -> Result<()> {
        let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await?;
        for k in keys.chars() {
            sock.send_to(k.to_string().as_bytes(), ("127.0.0.1", self.cons_port))
                .await?;
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        Ok(())
    }

    /// Opens a console connection that collects what baresip prints (received MESSAGE
    /// text goes there only).
    pub(crate) async fn console(&self) -> Result<Console> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.cons_port)).await?;
        let text = Arc::new(Mutex::new(String::new()));
        let sink = text.clone();
        let task = tokio::spawn(async move {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = stream.read(&mut chunk).await {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push_str(&String::from_utf8_lossy(&chunk[..n]));
            }
        });
        Ok(Console { text, task })
    }

    /// The sndfile dumps of its calls so far, oldest first: (what it sent, what it
    /// received). A call's files are complete once the call closed.
    pub(crate) fn recordings(&self) -> Result<Vec<(PathBuf, PathBuf)>> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.snd_dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with("-enc.wav"))
            .collect();
        names.sort();
        Ok(names
            .into_iter()
            .map(|enc| {
                let dec = PathBuf::from(enc.to_string_lossy().replace("-enc.wav", "-dec.wav"));
                (enc, dec)
            })
            .collect())
    }

    /// Reads one of its recordings (8 kHz, 16-bit).
    pub(crate) fn read_recording(path: &Path) -> Result<Vec<i16>> {
        let (samples, rate) = audio::read_wav(path)
            .with_context(|| format!("reading baresip's recording {}", path.display()))?;
        ensure!(rate == audio::RATE, "{} is at {rate} Hz", path.display());
        Ok(samples)
    }

    /// Fails when it has exited.
    pub(crate) fn ensure_running(&mut self) -> Result<()> {
        self.process.ensure_running()
    }

    /// Asks it to quit (unregistering), then stops it by pid if it is still running.
    pub(crate) async fn stop(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.command("quit", "")).await;
        let _ = self.process.wait_exit(Duration::from_secs(2)).await;
        self.reader.abort();
        self.process.stop_async().await;
    }
}

/// What baresip printed on one console connection.
#[derive(Debug)]
pub(crate) struct Console {
    text: Arc<Mutex<String>>,
    task: tokio::task::JoinHandle<()>,
}

impl Console {
    /// Everything printed so far.
    pub(crate) fn text(&self) -> String {
        self.text
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Waits until the output contains `needle`.
    pub(crate) async fn wait_for(&self, needle: &str, limit: Duration) -> Result<String> {
        let text = self.text.clone();
        wait_until(limit, &format!("`{needle}` on baresip's console"), || {
            let hit = text
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .contains(needle);
            async move { hit }
        })
        .await
        .with_context(|| format!("console printed: {:?}", self.text()))?;
        Ok(self.text())
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Whether a baresip event belongs to a call with `peer` (its `peeruri`).
pub(crate) fn event_peer(event: &Value) -> &str {
    event["peeruri"].as_str().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netstrings_split_and_wait_for_more() {
        let mut buf = b"5:hello,3:abc,4:pa".to_vec();
        let got = take_netstrings(&mut buf).unwrap();
        assert_eq!(got, vec![b"hello".to_vec(), b"abc".to_vec()]);
        assert_eq!(buf, b"4:pa");
        buf.extend_from_slice(b"rt,");
        assert_eq!(take_netstrings(&mut buf).unwrap(), vec![b"part".to_vec()]);
        assert!(buf.is_empty());
        let mut bad = b"3:abcX".to_vec();
        assert!(take_netstrings(&mut bad).is_err());
    }
}
