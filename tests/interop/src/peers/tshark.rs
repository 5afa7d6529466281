//! Packet capture of every scenario on `lo`, and the check that nothing our phone sent is
//! malformed: after the scenario, tshark dissects the capture (SIP on every port the
//! scenario used, RTP from SDP and heuristically) and every packet flagged
//! `_ws.malformed` or carrying an expert item of severity *error* fails the scenario when
//! our phone sent it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};

use super::{Process, command_output, wait_for_text};

/// Wireshark's expert severity for errors (`PI_ERROR`).
const EXPERT_ERROR: u32 = 0x0080_0000;

/// A capture in progress.
#[derive(Debug)]
pub(crate) struct Capture {
    process: Process,
    file: PathBuf,
}

/// Which ports are whose, for attributing packets.
#[derive(Debug, Clone, Default)]
pub(crate) struct PortRoles {
    /// Ports our phones bound (SIP and RTP).
    pub(crate) ours: BTreeSet<u16>,
    /// Ports the peers listen on.
    pub(crate) peers: BTreeSet<u16>,
    /// Ports to dissect as SIP (besides 5060).
    pub(crate) sip: BTreeSet<u16>,
    /// TCP ports carrying TLS (dissected as TLS, never as SIP: without the keys the
    /// records would show as bogus SIP continuations).
    pub(crate) tls: BTreeSet<u16>,
}

impl PortRoles {
    /// Whether a packet from `src` to `dst` came from our phone: sent from one of our
    /// ports, or (a TCP/TLS connection our phone opened) from an ephemeral port nobody
    /// declared to a peer's port.
    pub(crate) fn sent_by_us(&self, src: u16, dst: u16) -> bool {
        self.ours.contains(&src)
            || (!self.peers.contains(&src)
                && self.peers.contains(&dst)
                && !self.ours.contains(&dst))
    }
}

/// What the check found.
#[derive(Debug, Clone, Default)]
pub(crate) struct CheckReport {
    /// SIP messages our phone sent that tshark dissected.
    pub(crate) our_sip: usize,
    /// RTP packets our phone sent that tshark dissected.
    pub(crate) our_rtp: usize,
    /// Flagged packets of ours (`frame: protocol: problem`).
    pub(crate) ours_flagged: Vec<String>,
    /// Flagged packets of the peers (reported, not failed on).
    pub(crate) peers_flagged: Vec<String>,
}

impl std::fmt::Display for CheckReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "tshark: {} SIP + {} RTP of ours clean",
            self.our_sip, self.our_rtp
        )?;
        if !self.peers_flagged.is_empty() {
            write!(f, " ({} peer packets flagged)", self.peers_flagged.len())?;
        }
        Ok(())
    }
}

impl Capture {
    /// Starts capturing all of `lo` into `<log_dir>/capture.pcapng` and waits until the
    /// capture runs.
    pub(crate) async fn start(log_dir: &Path) -> Result<Capture> {
        let file = log_dir.join("capture.pcapng");
        let mut cmd = Command::new("dumpcap");
        cmd.args(["-i", "lo", "-q", "-f", "host 127.0.0.1"])
            .arg("-w")
            .arg(&file);
        let mut process = Process::spawn(log_dir, "dumpcap", cmd)?.with_stop_signal("INT");
        if let Err(e) = wait_for_text(
            process.stderr_path(),
            "Capturing on",
            Duration::from_secs(10),
        )
        .await
        {
            process.ensure_running()?;
            return Err(e.context("dumpcap did not start capturing"));
        }
        // "Capturing on" can come a moment before the filter is attached (seen once in CI
        // under load: a capture with 0 packets).
        tokio::time::sleep(Duration::from_millis(250)).await;
        Ok(Capture { process, file })
    }

    /// Stops the capture and checks it.
    pub(crate) async fn finish(self, roles: &PortRoles) -> Result<CheckReport> {
        // Packets still in flight reach the capture first.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let Capture { process, file } = self;
        process.stop_async().await;
        check(&file, roles).await
    }
}

fn decode_args(roles: &PortRoles) -> Vec<String> {
    let mut args = vec![
        "-n".to_owned(),
        "-o".to_owned(),
        "rtp.heuristic_rtp:TRUE".to_owned(),
    ];
    for p in roles.sip.iter().filter(|p| **p != 5060) {
        args.push("-d".to_owned());
        args.push(format!("udp.port=={p},sip"));
        if !roles.tls.contains(p) {
            args.push("-d".to_owned());
            args.push(format!("tcp.port=={p},sip"));
        }
    }
    for p in &roles.tls {
        args.push("-d".to_owned());
        args.push(format!("tcp.port=={p},tls"));
    }
    args
}

struct Packet {
    frame: String,
    src: u16,
    dst: u16,
    protocols: String,
    flagged: bool,
    problem: String,
}

/// Parses `-T fields` lines: frame, udp src/dst, tcp src/dst, protocols, malformed,
/// expert severities, expert messages, info.
fn parse_fields(text: &str) -> Vec<Packet> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            if f.len() < 10 {
                return None;
            }
            let port = |a: &str, b: &str| a.parse().or_else(|_| b.parse()).unwrap_or(0);
            let error = f[7]
                .split(',')
                .filter_map(|v| v.trim().parse::<u32>().ok())
                .any(|v| v >= EXPERT_ERROR);
            Some(Packet {
                frame: f[0].to_owned(),
                src: port(f[1], f[3]),
                dst: port(f[2], f[4]),
                protocols: f[5].to_owned(),
                flagged: !f[6].is_empty() || error,
                problem: format!("{} [{}]", f[8], f[9]),
            })
        })
        .collect()
}

/// Checks a capture file in one tshark pass; an error when our phone sent anything
/// flagged.
pub(crate) async fn check(file: &Path, roles: &PortRoles) -> Result<CheckReport> {
    if !file.exists() {
        bail!("no capture file {}", file.display());
    }
    let mut args: Vec<String> = vec!["-r".into(), file.to_string_lossy().into_owned()];
    args.extend(decode_args(roles));
    let filter = format!(
        "not icmp and (sip or rtp or _ws.malformed or _ws.expert.severity >= {EXPERT_ERROR:#010x})"
    );
    args.extend(
        [
            "-Y",
            &filter,
            "-T",
            "fields",
            "-E",
            "occurrence=a",
            "-E",
            "aggregator=,",
            "-e",
            "frame.number",
            "-e",
            "udp.srcport",
            "-e",
            "udp.dstport",
            "-e",
            "tcp.srcport",
            "-e",
            "tcp.dstport",
            "-e",
            "frame.protocols",
            "-e",
            "_ws.malformed",
            "-e",
            "_ws.expert.severity",
            "-e",
            "_ws.expert.message",
            "-e",
            "_ws.col.Info",
        ]
        .iter()
        .map(|s| (*s).to_owned()),
    );
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = command_output("tshark", &refs, Duration::from_secs(180))
        .await
        .context("tshark check")?;
    let mut report = CheckReport::default();
    for p in parse_fields(&out) {
        let ours = roles.sent_by_us(p.src, p.dst);
        if p.flagged {
            let line = format!(
                "#{} {}->{} {}: {}",
                p.frame, p.src, p.dst, p.protocols, p.problem
            );
            if ours {
                report.ours_flagged.push(line);
            } else {
                report.peers_flagged.push(line);
            }
        }
        if ours {
            if p.protocols.contains(":sip") {
                report.our_sip += 1;
            } else if p.protocols.contains(":rtp") {
                report.our_rtp += 1;
            }
        }
    }
    if let Some(dir) = file.parent()
        && !(report.ours_flagged.is_empty() && report.peers_flagged.is_empty())
    {
        let text = format!(
            "ours:\n{}\npeers:\n{}\n",
            report.ours_flagged.join("\n"),
            report.peers_flagged.join("\n")
        );
        std::fs::write(dir.join("tshark-flagged.txt"), text)?;
    }
    if !report.ours_flagged.is_empty() {
        let n = report.ours_flagged.len();
        let first: Vec<&str> = report
            .ours_flagged
            .iter()
            .take(3)
            .map(String::as_str)
            .collect();
        bail!(
            "tshark flags {n} packets our phone sent: {}",
            first.join("; ")
        );
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribution_by_ports() {
        let mut r = PortRoles::default();
        r.ours.insert(21000);
        r.peers.insert(22000);
        assert!(r.sent_by_us(21000, 22000));
        assert!(!r.sent_by_us(22000, 21000));
        // Our TCP connection from an ephemeral port to the peer.
        assert!(r.sent_by_us(40000, 22000));
        // The peer's connection from an ephemeral port to us.
        assert!(!r.sent_by_us(40001, 21000));
    }

    #[test]
    fn field_lines_are_split() {
        let p = parse_fields(
            "7\t21000\t22000\t\t\teth:ip:udp:sip\t\t6291456,8388608\tbad,worse\tINVITE\n\
             8\t\t\t40000\t5060\teth:ip:tcp:sip\t\t\t\tBYE\n\
             9\t1\t2\t\t\teth:ip:udp:rtp\t_ws.malformed\t\t\tRTP\n",
        );
        assert_eq!(p.len(), 3);
        assert_eq!((p[0].src, p[0].dst), (21000, 22000));
        assert!(p[0].flagged && p[0].problem.contains("worse"));
        assert_eq!((p[1].src, p[1].dst), (40000, 5060));
        assert!(!p[1].flagged);
        assert!(p[2].flagged);
    }
}
