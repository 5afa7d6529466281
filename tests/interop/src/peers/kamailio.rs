//! Kamailio 5.6 as registrar and proxy (`tests/interop/kamailio/kamailio.cfg`): digest
//! auth against an in-memory table (alice/alicepw, bob/bobpw, carol/carolpw,
//! dave/davepw), location lookup, Record-Route, on UDP and TCP, plus TLS on request.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{Result, bail};

use super::tls::TestPki;
use super::{Process, command_output, wait_sip_udp_from, wait_tcp_listening};
use crate::scenarios::Ctx;

/// The test accounts of `kamailio.cfg` (user, password).
pub(crate) const ACCOUNTS: [(&str, &str); 4] = [
    ("alice", "alicepw"),
    ("bob", "bobpw"),
    ("carol", "carolpw"),
    ("dave", "davepw"),
];

/// The password of a test account.
pub(crate) fn password(user: &str) -> &'static str {
    ACCOUNTS
        .iter()
        .find(|(u, _)| *u == user)
        .map(|(_, p)| *p)
        .unwrap_or("")
}

/// How to start Kamailio.
#[derive(Debug, Clone, Default)]
pub(crate) struct KamailioOpts {
    /// The digest algorithm it challenges with (`None`: MD5, the module's default;
    /// `Some("SHA-256")`).
    pub(crate) algorithm: Option<&'static str>,
    /// Also listen on TLS with the suite's test certificate (needs `tls.so`).
    pub(crate) tls: bool,
    /// An instance name, when a scenario runs more than one (log and run dir names).
    pub(crate) name: Option<&'static str>,
    /// Answer an Expires below `min_expires` (10 s) with 423 Interval Too Brief instead
    /// of raising it silently.
    pub(crate) reject_brief_expires: bool,
}

/// A running Kamailio; stopped when dropped.
#[derive(Debug)]
pub(crate) struct Kamailio {
    process: Process,
    /// UDP and TCP port.
    pub(crate) port: u16,
    /// TLS port, when started with TLS.
    pub(crate) tls_port: Option<u16>,
    /// The test PKI, when started with TLS (clients trust `pki.ca_file`).
    pub(crate) pki: Option<TestPki>,
    run_dir: PathBuf,
}

/// One registered contact, from `ul.dump`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Binding {
    /// The address-of-record (user part, `use_domain=0`).
    pub(crate) aor: String,
    /// The Contact URI.
    pub(crate) address: String,
    /// Seconds left.
    pub(crate) expires: String,
    /// The CSeq of the REGISTER that made or refreshed it.
    pub(crate) cseq: u32,
    /// The Call-ID of that REGISTER.
    pub(crate) call_id: String,
    /// The User-Agent of that REGISTER.
    pub(crate) user_agent: String,
    /// Kamailio's socket it came in on (`udp:127.0.0.1:5060`).
    pub(crate) socket: String,
}

impl Kamailio {
    /// Starts Kamailio on fresh ports and waits until it answers SIP over UDP (and accepts
    /// TCP, and TLS when asked). A Kamailio that cannot start is an error.
    pub(crate) async fn start(ctx: &mut Ctx, opts: KamailioOpts) -> Result<Kamailio> {
        let name = opts.name.unwrap_or("kamailio");
        let run_dir = ctx.log_dir.join(format!("{name}.run"));
        std::fs::create_dir_all(&run_dir)?;
        let port = ctx.ports.port()?;
        ctx.peer_port(port);
        ctx.decode_sip(port);
        let cfg = ctx.suite_dir.join("kamailio/kamailio.cfg");
        let mut cmd = Command::new("kamailio");
        cmd.arg("-f")
            .arg(&cfg)
            .args(["-DD", "-E", "-m", "64", "-M", "8"])
            .arg("-P")
            .arg(run_dir.join("kamailio.pid"))
            .arg("-Y")
            .arg(&run_dir)
            .arg("-w")
            .arg(&run_dir)
            .arg("-A")
            .arg(format!("SIP_PORT={port}"));
        if let Some(algo) = opts.algorithm {
            cmd.arg("-A").arg(format!("AUTH_ALGO=\"{algo}\""));
        }
        if opts.reject_brief_expires {
            cmd.arg("-A").arg("MIN_EXPIRES_423");
        }
        let mut tls_port = None;
        let mut pki = None;
        if opts.tls {
            let p = TestPki::create(&run_dir.join("pki"))?;
            let tport = ctx.ports.port()?;
            ctx.peer_port(tport);
            ctx.decode_tls(tport);
            let tls_cfg = run_dir.join("tls.cfg");
            std::fs::write(
                &tls_cfg,
                format!(
                    "[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\n\
                     require_certificate = no\nprivate_key = {}\ncertificate = {}\n\n\
                     [client:default]\nmethod = TLSv1.2+\nverify_certificate = no\n\
                     require_certificate = no\n",
                    p.key_file.display(),
                    p.cert_file.display()
                ),
            )?;
            cmd.arg("-A")
                .arg("WITH_TLS")
                .arg("-A")
                .arg(format!("TLS_PORT={tport}"))
                .arg("-A")
                .arg(format!("TLS_CFG=\"{}\"", tls_cfg.display()));
            tls_port = Some(tport);
            pki = Some(p);
        }
        let probe = ctx.ports.port()?;
        ctx.peer_port(probe);
        let mut process = Process::spawn(&ctx.log_dir, name, cmd)?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let ready = async {
            wait_sip_udp_from(addr, probe, Duration::from_secs(10)).await?;
            wait_tcp_listening(addr, Duration::from_secs(5)).await?;
            if let Some(t) = tls_port {
                wait_tcp_listening(
                    SocketAddr::from(([127, 0, 0, 1], t)),
                    Duration::from_secs(5),
                )
                .await?;
            }
            anyhow::Ok(())
        };
        if let Err(e) = ready.await {
            process.ensure_running()?;
            return Err(e.context("kamailio did not become ready"));
        }
        Ok(Kamailio {
            process,
            port,
            tls_port,
            pki,
            run_dir,
        })
    }

    /// Its UDP/TCP address.
    pub(crate) fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Its TLS address, when started with TLS.
    pub(crate) fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls_port.map(|p| SocketAddr::from(([127, 0, 0, 1], p)))
    }

    /// The main process id.
    pub(crate) fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// Fails when Kamailio has exited.
    pub(crate) fn ensure_running(&mut self) -> Result<()> {
        self.process.ensure_running()
    }

    /// Runs `kamcmd` against this instance's control socket; returns its output.
    pub(crate) async fn kamcmd(&self, args: &[&str]) -> Result<String> {
        let socket = format!("unix:{}", self.run_dir.join("kamailio_ctl").display());
        let mut all = vec!["-s", socket.as_str()];
        all.extend_from_slice(args);
        command_output("kamcmd", &all, Duration::from_secs(10)).await
    }

    /// Every registered contact (`ul.dump`).
    pub(crate) async fn bindings(&self) -> Result<Vec<Binding>> {
        let dump = self.kamcmd(&["ul.dump"]).await?;
        Ok(parse_ul_dump(&dump))
    }

    /// The contacts registered for `user`.
    pub(crate) async fn bindings_of(&self, user: &str) -> Result<Vec<Binding>> {
        Ok(self
            .bindings()
            .await?
            .into_iter()
            .filter(|b| b.aor == user)
            .collect())
    }

    /// Waits until `user` has exactly `n` contacts.
    pub(crate) async fn wait_bindings(
        &self,
        user: &str,
        n: usize,
        limit: Duration,
    ) -> Result<Vec<Binding>> {
        let deadline = std::time::Instant::now() + limit;
        loop {
            let b = self.bindings_of(user).await?;
            if b.len() == n {
                return Ok(b);
            }
            if std::time::Instant::now() >= deadline {
                bail!("{user} has {} contacts, expected {n}: {b:?}", b.len());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The end of its log (for error details).
    pub(crate) fn log_tail(&self, lines: usize) -> String {
        super::tail(self.process.stderr_path(), lines).unwrap_or_default()
    }

    /// Counts log lines containing `needle` (e.g. `malformed request`).
    pub(crate) fn log_count(&self, needle: &str) -> usize {
        std::fs::read_to_string(self.process.stderr_path())
            .map(|t| t.lines().filter(|l| l.contains(needle)).count())
            .unwrap_or(0)
    }

    /// Stops it now (SIGTERM to the main pid stops the children).
    pub(crate) async fn stop(self) {
        self.process.stop_async().await;
    }
}

/// Parses `kamcmd ul.dump` output (a brace tree of `Key: value` lines).
pub(crate) fn parse_ul_dump(text: &str) -> Vec<Binding> {
    let mut out = Vec::new();
    let mut aor = String::new();
    let mut current: Option<Binding> = None;
    for line in text.lines().map(str::trim) {
        if let Some(v) = line.strip_prefix("AoR: ") {
            aor = v.to_owned();
        } else if line.starts_with("Contact: {") {
            if let Some(b) = current.take() {
                out.push(b);
            }
            current = Some(Binding {
                aor: aor.clone(),
                ..Binding::default()
            });
        } else if let Some(b) = current.as_mut() {
            let Some((k, v)) = line.split_once(": ") else {
                continue;
            };
            match k {
                "Address" => b.address = v.to_owned(),
                "Expires" => b.expires = v.to_owned(),
                "CSeq" => b.cseq = v.parse().unwrap_or(0),
                "Call-ID" => b.call_id = v.to_owned(),
                "User-Agent" => b.user_agent = v.to_owned(),
                "Socket" => b.socket = v.to_owned(),
                _ => {}
            }
        }
    }
    if let Some(b) = current {
        out.push(b);
    }
    out
}

/// Checks that `kamailio -c` accepts the config with TLS (tls.so loads).
pub(crate) fn tls_module_present() -> Result<()> {
    let found = [
        "/usr/lib/x86_64-linux-gnu/kamailio/modules/tls.so",
        "/usr/lib/kamailio/modules/tls.so",
    ]
    .iter()
    .any(|p| std::path::Path::new(p).exists());
    if !found {
        bail!("kamailio's tls.so is missing (package kamailio-tls-modules)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ul_dump_is_parsed() {
        let dump = "{\n Domains: {\n  Domain: {\n   AoRs: {\n    Info: {\n     AoR: alice\n     \
            Contacts: {\n      Contact: {\n       Address: sip:alice@127.0.0.1:25070\n       \
            Expires: 60\n       Call-ID: 1-19379@127.0.0.1\n       CSeq: 2\n       \
            User-Agent: n/a\n       Socket: udp:127.0.0.1:25060\n      }\n     }\n    }\n   }\n  }\n }\n}\n";
        let b = parse_ul_dump(dump);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].aor, "alice");
        assert_eq!(b[0].address, "sip:alice@127.0.0.1:25070");
        assert_eq!(b[0].cseq, 2);
        assert_eq!(b[0].socket, "udp:127.0.0.1:25060");
        assert!(parse_ul_dump("{\n}\n").is_empty());
    }
}
