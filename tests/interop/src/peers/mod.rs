//! The peers the suite runs against, and the process guard that starts and stops them.
//!
//! Every external program goes through [`Process`]: its stdout and stderr go to files in
//! the scenario's log directory, and dropping the guard stops it by pid (SIGTERM, then
//! SIGKILL after a grace period), so a scenario that fails or times out never leaves a
//! peer behind.

pub(crate) mod baresip;
pub(crate) mod kamailio;
pub(crate) mod ports;
pub(crate) mod pyvoip;
pub(crate) mod sipp;
pub(crate) mod tls;
pub(crate) mod tshark;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

/// How long a stopped process gets between SIGTERM and SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(3);

/// A running external program, stopped by pid when dropped.
#[derive(Debug)]
pub(crate) struct Process {
    name: String,
    child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
    exited: Option<ExitStatus>,
    stop_signal: &'static str,
}

impl Process {
    /// Starts `cmd` with stdin closed and its output in `<log_dir>/<name>.out` / `.err`.
    /// A program that is not installed is an error that says so (a missing peer fails the
    /// scenario; it is never skipped).
    pub(crate) fn spawn(log_dir: &Path, name: &str, mut cmd: Command) -> Result<Process> {
        let stdout = log_dir.join(format!("{name}.out"));
        let stderr = log_dir.join(format!("{name}.err"));
        let program = cmd.get_program().to_string_lossy().into_owned();
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        std::fs::write(
            log_dir.join(format!("{name}.cmd")),
            format!("{program} {}\n", shell_words(&args)),
        )
        .context("writing the command line")?;
        cmd.stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).context("creating the stdout log")?)
            .stderr(std::fs::File::create(&stderr).context("creating the stderr log")?);
        let child = cmd.spawn().map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                anyhow::anyhow!("{program} is not installed (tests/interop/run installs it)")
            } else {
                anyhow::anyhow!("cannot start {program}: {e}")
            }
        })?;
        Ok(Process {
            name: name.to_owned(),
            child,
            stdout,
            stderr,
            exited: None,
            stop_signal: "TERM",
        })
    }

    /// Stop with this signal first instead of SIGTERM (e.g. `"INT"` for capture tools).
    pub(crate) fn with_stop_signal(mut self, signal: &'static str) -> Self {
        self.stop_signal = signal;
        self
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The file with its standard output.
    pub(crate) fn stdout_path(&self) -> &Path {
        &self.stdout
    }

    /// The file with its standard error.
    pub(crate) fn stderr_path(&self) -> &Path {
        &self.stderr
    }

    /// Its exit status, if it has exited (does not block).
    pub(crate) fn try_wait(&mut self) -> Option<ExitStatus> {
        if self.exited.is_none() {
            self.exited = self.child.try_wait().ok().flatten();
        }
        self.exited
    }

    /// An error with the end of its stderr when it has already exited.
    pub(crate) fn ensure_running(&mut self) -> Result<()> {
        if let Some(status) = self.try_wait() {
            bail!(
                "{} exited ({status}): {}",
                self.name,
                tail(&self.stderr, 6).unwrap_or_default()
            );
        }
        Ok(())
    }

    /// Waits (polling) until it exits by itself, at most `limit`.
    pub(crate) async fn wait_exit(&mut self, limit: Duration) -> Result<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(s) = self.try_wait() {
                return Ok(s);
            }
            if Instant::now() >= deadline {
                bail!("{} still running after {}s", self.name, limit.as_secs());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Sends a signal by pid (`"TERM"`, `"INT"`, `"KILL"`, ...).
    pub(crate) fn signal(&self, signal: &str) {
        let _ = Command::new("kill")
            .arg("-s")
            .arg(signal)
            .arg(self.pid().to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }

    /// Stops it: the stop signal, then SIGKILL after the grace period. Returns how it
    /// exited.
    pub(crate) fn stop(&mut self) -> Option<ExitStatus> {
        if let Some(s) = self.try_wait() {
            return Some(s);
        }
        self.signal(self.stop_signal);
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            if let Some(s) = self.try_wait() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        self.exited = self.child.wait().ok();
        self.exited
    }

    /// [`stop`](Self::stop) without blocking the runtime's thread.
    pub(crate) async fn stop_async(mut self) -> Option<ExitStatus> {
        tokio::task::spawn_blocking(move || self.stop())
            .await
            .ok()
            .flatten()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The last `n` lines of a file, joined with ` | ` (for error messages).
pub(crate) fn tail(path: &Path, n: usize) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    Some(lines[lines.len().saturating_sub(n)..].join(" | "))
}

fn shell_words(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if a.is_empty() || a.contains([' ', '"', '\'', ';', '<', '>', '|', '(', ')']) {
                format!("'{}'", a.replace('\'', r"'\''"))
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Polls `check` every 50 ms until it returns true, at most `limit`; `what` names the
/// condition in the error.
pub(crate) async fn wait_until<F, Fut>(limit: Duration, what: &str, mut check: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    loop {
        if check().await {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!(
                "timed out after {:.1}s waiting for {what}",
                limit.as_secs_f64()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until something accepts TCP connections at `addr`.
pub(crate) async fn wait_tcp_listening(addr: SocketAddr, limit: Duration) -> Result<()> {
    wait_until(limit, &format!("TCP {addr} to listen"), || async move {
        tokio::net::TcpStream::connect(addr).await.is_ok()
    })
    .await
}

/// Waits until a SIP server at `addr` (UDP) answers an OPTIONS with any response (sent
/// from an ephemeral port: the capture check counts such probes as ours; prefer
/// [`wait_sip_udp_from`] with a declared peer port).
pub(crate) async fn wait_sip_udp(addr: SocketAddr, limit: Duration) -> Result<()> {
    wait_sip_udp_from(addr, 0, limit).await
}

/// Waits until a SIP server at `addr` (UDP) answers an OPTIONS (sent from `from_port`;
/// declare it a peer port so the capture check does not count the probe as ours) with
/// any response.
pub(crate) async fn wait_sip_udp_from(
    addr: SocketAddr,
    from_port: u16,
    limit: Duration,
) -> Result<()> {
    let sock = tokio::net::UdpSocket::bind(SocketAddr::from(([127, 0, 0, 1], from_port))).await?;
    let local = sock.local_addr()?;
    let deadline = Instant::now() + limit;
    let mut n = 0u32;
    while Instant::now() < deadline {
        n += 1;
        let options = format!(
            "OPTIONS sip:{addr} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKprobe{n}\r\n\
             Max-Forwards: 70\r\nFrom: <sip:probe@{local}>;tag=probe\r\nTo: <sip:{addr}>\r\n\
             Call-ID: probe-{n}@{local}\r\nCSeq: {n} OPTIONS\r\nContent-Length: 0\r\n\r\n"
        );
        let _ = sock.send_to(options.as_bytes(), addr).await;
        let mut buf = [0u8; 2048];
        if let Ok(Ok((len, _))) =
            tokio::time::timeout(Duration::from_millis(200), sock.recv_from(&mut buf)).await
            && buf[..len].starts_with(b"SIP/2.0 ")
        {
            return Ok(());
        }
    }
    bail!("no SIP answer from udp:{addr} within {}s", limit.as_secs())
}

/// Waits until `path` contains `needle`.
pub(crate) async fn wait_for_text(path: &Path, needle: &str, limit: Duration) -> Result<()> {
    wait_until(
        limit,
        &format!("`{needle}` in {}", path.display()),
        || async {
            tokio::fs::read_to_string(path)
                .await
                .map(|t| t.contains(needle))
                .unwrap_or(false)
        },
    )
    .await
}

/// Runs a short command to completion (bounded) and returns its stdout; an error with
/// stderr when it fails.
pub(crate) async fn command_output(
    program: &str,
    args: &[&str],
    limit: Duration,
) -> Result<String> {
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args).stdin(Stdio::null()).kill_on_drop(true);
    let out = tokio::time::timeout(limit, cmd.output())
        .await
        .with_context(|| format!("{program} did not finish within {}s", limit.as_secs()))?
        .with_context(|| format!("cannot run {program}"))?;
    if !out.status.success() {
        bail!(
            "{program} {} failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The first line of `program args` (stdout, else stderr), or why it failed.
async fn version_line(program: &str, args: &[&str], pick: &str) -> String {
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args).stdin(Stdio::null()).kill_on_drop(true);
    match tokio::time::timeout(Duration::from_secs(10), cmd.output()).await {
        Ok(Ok(out)) => {
            let text = format!(
                "{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            text.lines()
                .map(str::trim)
                .find(|l| l.contains(pick))
                .or_else(|| text.lines().map(str::trim).find(|l| !l.is_empty()))
                .unwrap_or("(no output)")
                .to_owned()
        }
        Ok(Err(e)) => format!("NOT AVAILABLE ({e})"),
        Err(_) => "NOT AVAILABLE (version query timed out)".to_owned(),
    }
}

/// The peers' versions, as their own binaries report them.
pub(crate) async fn versions(work_dir: &Path) -> Vec<(&'static str, String)> {
    let python = work_dir.join("venv/bin/python");
    let python = python.to_string_lossy();
    vec![
        ("kamailio", version_line("kamailio", &["-v"], "version:").await),
        ("sipp", version_line("sipp", &["-v"], "SIPp v").await),
        ("baresip", version_line("baresip", &["-h"], "baresip").await),
        ("tshark", version_line("tshark", &["-v"], "TShark").await),
        (
            "pyVoIP",
            version_line(
                &python,
                &["-c", "import pyVoIP, sys; print('pyVoIP', pyVoIP.__version__, 'on Python', sys.version.split()[0])"],
                "pyVoIP",
            )
            .await,
        ),
    ]
}

/// Waits until something has bound UDP `addr` (probing by trying to bind it ourselves,
/// which sends nothing: a SIPp UAS counts any probe message as unexpected).
pub(crate) async fn wait_udp_bound(addr: SocketAddr, limit: Duration) -> Result<()> {
    wait_until(limit, &format!("UDP {addr} to be bound"), || async move {
        std::net::UdpSocket::bind(addr).is_err()
    })
    .await
}
