//! `voip load`: how many calls this stack holds, measured on 127.0.0.1.
//!
//! Three modes:
//! - default: a caller phone and a callee phone in this process (or `--pairs` of them);
//!   `--calls N` calls set up at `--rate` per second, G.711 both ways for `--duration`
//!   seconds (tone written and audio read on every call), hung up; the report gives setup
//!   rate, packets sent / received / lost / late, the send-time deviation from the 20 ms
//!   schedule (measured in the media engine where it calls `send`, against the absolute
//!   deadline), CPU, peak RSS and RSS per call;
//! - `--soak MINUTES`: `--calls` calls (default 200) kept up and replaced as they end
//!   (each lasts `--hold` seconds), then everything hung up: open file descriptors and
//!   bound RTP ports must be back at the idle level, and RSS must not have grown by more
//!   than 8 MiB over the second half of the soak; exit 1 on a leak;
//! - `--uas`: only an auto-answering phone on `--bind` (for SIPp or another load source):
//!   answers every call at once and waits for the caller's BYE (or hangs up after
//!   `--hangup-after`), exits after `--for` seconds or Ctrl-C with its counts.

use crate::args::{Failure, parse_bind, parse_port_range};
use clap::Args;
use rtp_core::PayloadType;
use serde_json::json;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use voip::{CallHandler, CallState, VoipCall, VoipPhone, VoipPhoneParameter};

/// Flags of `voip load`.
#[derive(Debug, Clone, Args)]
pub(crate) struct LoadArgs {
    /// Concurrent calls.
    #[arg(long, value_name = "N", default_value_t = 100)]
    calls: u32,
    /// Seconds of audio once every call is up.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    duration: f64,
    /// Calls set up per second.
    #[arg(long, value_name = "CPS", default_value_t = 200.0)]
    rate: f64,
    /// Codec offered and used.
    #[arg(long, default_value = "pcmu", value_parser = ["pcmu", "pcma"])]
    codec: String,
    /// Caller/callee phone pairs sharing the calls (one SIP socket each).
    #[arg(long, value_name = "K", default_value_t = 1)]
    pairs: u32,
    /// First RTP port; each phone gets a range of its own above it.
    #[arg(long, value_name = "PORT", default_value_t = 20000)]
    rtp_base: u16,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Keep the RTP pacing threads normal threads (no real-time scheduling).
    #[arg(long)]
    no_realtime: bool,
    /// Soak: keep --calls calls (default 200 here) up and replaced for this many minutes,
    /// then check that fds, RTP ports and RSS return to the idle level.
    #[arg(long, value_name = "MINUTES")]
    soak: Option<f64>,
    /// Soak: seconds each call lasts.
    #[arg(long, value_name = "SECS", default_value_t = 2.0)]
    hold: f64,
    /// Call this SIP URI (another implementation's answering phone, e.g. pyVoIP) instead
    /// of a callee phone of our own; only our callers are measured.
    #[arg(long, value_name = "URI", conflicts_with_all = ["soak", "uas"])]
    target: Option<String>,
    /// Only answer: an auto-answering phone on --bind (for SIPp as the load source).
    #[arg(long)]
    uas: bool,
    /// --uas: SIP address to listen on.
    #[arg(long, value_name = "IP[:PORT]", default_value = "127.0.0.1:5070")]
    bind: String,
    /// --uas: RTP port range.
    #[arg(long, value_name = "LOW-HIGH", default_value = "30000-60000")]
    rtp_ports: String,
    /// --uas: hang up this many seconds after answering instead of waiting for BYE.
    #[arg(long, value_name = "SECS")]
    hangup_after: Option<f64>,
    /// --uas: stop after this many seconds (default: Ctrl-C).
    #[arg(long = "for", value_name = "SECS")]
    run_for: Option<f64>,
}

/// Answers every call at once; keeps the answered calls in `live` while they last.
#[derive(Debug, Default)]
struct AutoAnswer {
    live: Option<Arc<Mutex<Vec<VoipCall>>>>,
    hangup_after: Option<Duration>,
    answered: AtomicU64,
    failed: AtomicU64,
    ended: AtomicU64,
}

/// The [`CallHandler`] over a shared [`AutoAnswer`].
#[derive(Debug, Clone)]
struct Answerer(Arc<AutoAnswer>);

impl CallHandler for Answerer {
    async fn ringing(&self, call: VoipCall) {
        let this = &self.0;
        if call.answer().await.is_err() {
            this.failed.fetch_add(1, Ordering::Relaxed);
            let _ = call.deny().await;
            return;
        }
        this.answered.fetch_add(1, Ordering::Relaxed);
        if let Some(live) = &this.live {
            lock(live).push(call.clone());
        }
        match this.hangup_after {
            Some(t) => {
                tokio::select! {
                    () = tokio::time::sleep(t) => { let _ = call.hangup().await; }
                    () = call.ended() => {}
                }
            }
            None => call.ended().await,
        }
        if let Some(live) = &this.live {
            lock(live).retain(|c| c.id() != call.id());
        }
        this.ended.fetch_add(1, Ordering::Relaxed);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Process figures from /proc (Linux).
mod procfs {
    use std::time::Duration;

    /// User + system CPU time of the process (getrusage's figure, from /proc/self/stat,
    /// 10 ms resolution).
    pub(super) fn cpu() -> Duration {
        let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
            return Duration::ZERO;
        };
        let Some(close) = stat.rfind(')') else {
            return Duration::ZERO;
        };
        let f: Vec<&str> = stat[close + 2..].split(' ').collect();
        let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        // utime, stime: fields 14 and 15; USER_HZ is 100.
        Duration::from_millis((ticks(11) + ticks(12)) * 10)
    }

    /// A `kB` field of /proc/self/status, in bytes.
    fn status_kb(field: &str) -> u64 {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with(field))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            })
            .unwrap_or(0)
            * 1024
    }

    /// Time the hypervisor ran something else while this machine's CPUs wanted to run
    /// (the `steal` column of /proc/stat's `cpu` line, all CPUs); zero where not told. A
    /// VM whose CPU is taken away for milliseconds sends late whatever the code does.
    pub(super) fn steal() -> Duration {
        let Ok(stat) = std::fs::read_to_string("/proc/stat") else {
            return Duration::ZERO;
        };
        let steal = stat
            .lines()
            .find(|l| l.starts_with("cpu "))
            .and_then(|l| l.split_whitespace().nth(8)?.parse::<u64>().ok())
            .unwrap_or(0);
        Duration::from_millis(steal * 10)
    }

    /// Bytes of heap in use (the counting allocator of `main.rs`).
    pub(super) fn heap() -> u64 {
        crate::ALLOCATOR.allocated() as u64
    }

    pub(super) fn rss() -> u64 {
        status_kb("VmRSS:")
    }

    pub(super) fn peak_rss() -> u64 {
        status_kb("VmHWM:")
    }

    pub(super) fn open_fds() -> usize {
        std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
    }

    /// UDP sockets of this network namespace bound to a port in `low..=high`.
    pub(super) fn udp_ports_bound(low: u16, high: u16) -> usize {
        ["/proc/net/udp", "/proc/net/udp6"]
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .flat_map(|s| {
                s.lines()
                    .skip(1)
                    .filter_map(|l| {
                        let local = l.split_whitespace().nth(1)?;
                        u16::from_str_radix(local.rsplit(':').next()?, 16).ok()
                    })
                    .collect::<Vec<_>>()
            })
            .filter(|p| (low..=high).contains(p))
            .count()
    }
}

fn seconds(flag: &str, v: f64) -> Result<Duration, Failure> {
    Duration::try_from_secs_f64(v)
        .map_err(|_| Failure::usage(format!("{flag}: {v} is not a number of seconds")))
}

/// One caller/callee pair and the callee's handler.
struct Pair {
    caller: Arc<VoipPhone>,
    /// `None` with `--target`.
    callee: Option<Arc<VoipPhone>>,
    callee_uri: String,
    handler: Arc<AutoAnswer>,
}

/// The RTP port range of phone `i` (two per pair) for `calls` calls in all.
fn rtp_range(base: u16, i: u32, per_phone: u32) -> Result<(u16, u16), Failure> {
    let low = u32::from(base) + i * per_phone;
    let high = low + per_phone - 1;
    if high > 65535 {
        return Err(Failure::usage(
            "--rtp-base/--calls: the RTP ranges do not fit below port 65536",
        ));
    }
    Ok((low as u16, high as u16))
}

async fn start_pairs(
    args: &LoadArgs,
    live: &Arc<Mutex<Vec<VoipCall>>>,
) -> Result<Vec<Pair>, Failure> {
    let lo = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
    let pairs = args.pairs.max(1);
    // Each call takes an even port (RTCP's odd one left free): 2 ports per call per phone,
    // with room for streams still closing.
    let per_phone = (args.calls.div_ceil(pairs) * 2 + 64).next_multiple_of(2);
    let mut out = Vec::new();
    for k in 0..pairs {
        let handler = Arc::new(AutoAnswer {
            live: Some(live.clone()),
            ..AutoAnswer::default()
        });
        let (cl, ch) = rtp_range(args.rtp_base, 2 * k, per_phone)?;
        let (al, ah) = rtp_range(args.rtp_base, 2 * k + 1, per_phone)?;
        let caller = VoipPhoneParameter::builder(format!("caller{k}"))
            .bind(lo)
            .rtp_ports(al, ah)
            .realtime_media(!args.no_realtime)
            .build()?;
        let caller = Arc::new(VoipPhone::new(caller)?);
        caller.start().await?;
        let (callee, callee_uri) = match &args.target {
            Some(uri) => (None, uri.clone()),
            None => {
                let callee = VoipPhoneParameter::builder(format!("callee{k}"))
                    .bind(lo)
                    .rtp_ports(cl, ch)
                    .realtime_media(!args.no_realtime)
                    .call_handler(Answerer(handler.clone()))
                    .build()?;
                let callee = Arc::new(VoipPhone::new(callee)?);
                callee.start().await?;
                let uri = callee
                    .sip_uri()
                    .ok_or_else(|| Failure::failed("callee has no address"))?;
                (Some(callee), uri)
            }
        };
        out.push(Pair {
            caller,
            callee,
            callee_uri,
            handler,
        });
    }
    Ok(out)
}

/// Places one call and waits for the answer; the setup time on success.
async fn place(pair: &Pair, codec: PayloadType) -> Result<(VoipCall, Duration), String> {
    let t0 = Instant::now();
    let call = pair
        .caller
        .call(
            &pair.callee_uri,
            Some(&[codec, PayloadType::TelephoneEvent]),
        )
        .await
        .map_err(|e| e.to_string())?;
    match call
        .wait_for_state_timeout(CallState::Answered, Duration::from_secs(15))
        .await
    {
        Ok(()) => Ok((call, t0.elapsed())),
        Err(e) => {
            let _ = call.cancel().await;
            let _ = call.hangup().await;
            Err(format!("{e} ({:?})", call.end_reason()))
        }
    }
}

/// 100 ms of a 440 Hz tone at -12 dBFS.
fn tone() -> Arc<Vec<i16>> {
    Arc::new(
        (0..800)
            .map(|i| {
                let t = f64::from(i) / 8000.0;
                (8000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()) as i16
            })
            .collect(),
    )
}

/// Every 100 ms: 100 ms of tone written to, and the audio received read from, every call
/// (both ends), as an application playing and recording would. One task for all calls.
fn spawn_feeder(calls: Arc<Mutex<Vec<VoipCall>>>) -> tokio::task::JoinHandle<()> {
    let tone = tone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let now: Vec<VoipCall> = lock(&calls).clone();
            for c in now {
                if c.state() != CallState::Answered {
                    continue;
                }
                // Keep at most ~200 ms queued (a prompt would be queued whole; this keeps
                // memory flat).
                if c.stats().is_some_and(|s| s.queued_samples < 1600) {
                    let _ = c.write_i16(&tone);
                }
                let _ = c.read_i16(800, false).await;
            }
        }
    })
}

/// Totals of the calls' media counters.
#[derive(Debug, Default, Clone, Copy)]
struct Totals {
    sent: u64,
    received: u64,
    lost: u64,
    late: u64,
    skipped: u64,
    send_errors: u64,
}

fn totals(calls: &[VoipCall]) -> Totals {
    let mut t = Totals::default();
    for s in calls.iter().filter_map(VoipCall::stats) {
        t.sent += s.sender.packets;
        t.received += s.receiver.received;
        t.lost += s.receiver.lost;
        t.late += s.receiver.late;
        t.skipped += s.sender.skipped_packets;
        t.send_errors += s.send_errors;
    }
    t
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

fn mib(b: u64) -> f64 {
    (b as f64 / 1048576.0 * 10.0).round() / 10.0
}

/// `voip load`.
pub(crate) async fn run(args: LoadArgs) -> Result<(), Failure> {
    if args.uas {
        return uas(args).await;
    }
    if args.soak.is_some() {
        return soak(args).await;
    }
    if args.calls == 0 || args.rate <= 0.0 {
        return Err(Failure::usage("--calls and --rate must be positive"));
    }
    let duration = seconds("--duration", args.duration)?;
    let codec = if args.codec == "pcma" {
        PayloadType::Pcma
    } else {
        PayloadType::Pcmu
    };
    let live = Arc::new(Mutex::new(Vec::new()));
    let pairs = Arc::new(start_pairs(&args, &live).await?);
    let fds_idle = procfs::open_fds();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rss_idle = procfs::rss();
    let cpu0 = procfs::cpu();

    // Setup at --rate.
    let t_setup = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..args.calls {
        let due = t_setup + Duration::from_secs_f64(f64::from(i) / args.rate);
        tokio::time::sleep_until(due.into()).await;
        let pairs = pairs.clone();
        let live = live.clone();
        tasks.spawn(async move {
            let pair = &pairs[(i % pairs.len() as u32) as usize];
            let r = place(pair, codec).await;
            if let Ok((call, _)) = &r {
                lock(&live).push(call.clone());
            }
            r
        });
    }
    let mut callers = Vec::new();
    let mut setup_times = Vec::new();
    let mut failures = Vec::new();
    while let Some(r) = tasks.join_next().await {
        match r {
            Ok(Ok((call, t))) => {
                callers.push(call);
                setup_times.push(t);
            }
            Ok(Err(e)) => failures.push(e),
            Err(e) => failures.push(e.to_string()),
        }
    }
    let setup_wall = t_setup.elapsed();
    let cpu_setup = procfs::cpu() - cpu0;
    setup_times.sort();
    let pct = |v: &[Duration], q: f64| {
        v.get(((v.len() as f64 * q).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or_default()
    };
    let feeder = spawn_feeder(live.clone());

    // Streaming: measured after a 1 s settling period.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let all_ends = lock(&live).clone();
    let before = totals(&all_ends);
    let pacing0 = voip::media::pacing_stats();
    let (cpu1, wall1, steal1) = (procfs::cpu(), Instant::now(), procfs::steal());
    tokio::time::sleep(duration).await;
    let (cpu2, wall2, steal2) = (procfs::cpu(), Instant::now(), procfs::steal());
    let pacing = voip::media::pacing_stats().since(&pacing0);
    let rss_up = procfs::rss();
    let all_ends = lock(&live).clone();
    let after = totals(&all_ends);
    let up_ends = all_ends.len();
    // Each direction apart: what the callers sent and got (the callees' are the rest).
    let caller_side = totals(&callers);
    feeder.abort();

    // Teardown.
    let n = callers.len() as u64;
    let t_down = Instant::now();
    let mut hangups = tokio::task::JoinSet::new();
    for c in callers {
        hangups.spawn(async move { c.hangup().await.is_ok() });
    }
    let mut hangup_failed = 0u32;
    while let Some(r) = hangups.join_next().await {
        if !matches!(r, Ok(true)) {
            hangup_failed += 1;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    while !lock(&live).is_empty() && Instant::now() < deadline {
        lock(&live).retain(|c| c.state() != CallState::Ended);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let teardown = t_down.elapsed();
    let stream_wall = wall2 - wall1;
    let stream_cpu = cpu2 - cpu1;
    let answered: u64 = pairs
        .iter()
        .map(|p| p.handler.answered.load(Ordering::Relaxed))
        .sum();
    for p in pairs.iter() {
        p.caller.stop().await;
        if let Some(c) = &p.callee {
            c.stop().await;
        }
    }
    let cpu_total = procfs::cpu() - cpu0;
    let peak = procfs::peak_rss();
    let rss_per_call = rss_up.saturating_sub(rss_idle).checked_div(n).unwrap_or(0);
    let window = Totals {
        sent: after.sent - before.sent,
        received: after.received - before.received,
        lost: after.lost - before.lost,
        late: after.late - before.late,
        skipped: after.skipped - before.skipped,
        send_errors: after.send_errors - before.send_errors,
    };
    let cores = stream_cpu.as_secs_f64() / stream_wall.as_secs_f64();
    let report = json!({
        "calls": args.calls,
        "pairs": pairs.len(),
        "codec": args.codec,
        "calls_up": n,
        "calls_answered_by_callee": answered,
        "calls_failed": failures.len(),
        "setup": {
            "rate_target_cps": args.rate,
            "seconds": setup_wall.as_secs_f64(),
            "calls_per_second": n as f64 / setup_wall.as_secs_f64(),
            "latency_ms_p50": ms(pct(&setup_times, 0.5)),
            "latency_ms_p99": ms(pct(&setup_times, 0.99)),
            "cpu_seconds": stream_sec(cpu_setup),
        },
        "media": {
            "seconds": stream_wall.as_secs_f64(),
            "streams": up_ends,
            "packets_sent": window.sent,
            "packets_received": window.received,
            "packets_lost": window.lost,
            "packets_late": window.late,
            "ticks_skipped": window.skipped,
            "send_errors": window.send_errors,
            "callers": {"sent_total": caller_side.sent, "received_total": caller_side.received},
            "callees": {
                "sent_total": after.sent - caller_side.sent,
                "received_total": after.received - caller_side.received,
            },
            "packets_sent_total": after.sent,
            "packets_lost_total": after.lost,
            "send_deviation_ms": {
                "p50": ms(pacing.quantile(0.5)),
                "p99": ms(pacing.quantile(0.99)),
                "p999": ms(pacing.quantile(0.999)),
                "max": ms(pacing.max()),
                "mean": ms(pacing.mean()),
                "over_2ms": pacing.count_above(Duration::from_millis(2)),
                "measured": pacing.packets,
                "late_ticks": pacing.late_ticks,
                "pacing_threads": pacing.pacing_threads,
                "realtime_pacing_threads": pacing.realtime_pacing_threads,
            },
            "cpu_seconds": stream_sec(stream_cpu),
            "cores": (cores * 1000.0).round() / 1000.0,
            "host_steal_seconds": stream_sec(steal2.saturating_sub(steal1)),
        },
        "cpu_seconds_total": stream_sec(cpu_total),
        "rss_idle_mib": mib(rss_idle),
        "rss_calls_up_mib": mib(rss_up),
        "peak_rss_mib": mib(peak),
        "rss_per_call_kib": rss_per_call / 1024,
        "fds_idle": fds_idle,
        "hangup_failed": hangup_failed,
        "teardown_seconds": teardown.as_secs_f64(),
        "failures": failures.iter().take(5).collect::<Vec<_>>(),
    });
    if args.json {
        say!("{}", report);
    } else {
        print_table(&report);
    }
    if !failures.is_empty() {
        return Err(Failure::failed(format!(
            "{} of {} calls failed (first: {})",
            failures.len(),
            args.calls,
            failures[0]
        )));
    }
    Ok(())
}

fn stream_sec(d: Duration) -> f64 {
    (d.as_secs_f64() * 100.0).round() / 100.0
}

fn print_table(r: &serde_json::Value) {
    let m = &r["media"];
    let d = &m["send_deviation_ms"];
    let s = &r["setup"];
    say!(
        "voip load: {} calls ({} pairs, {}) on 127.0.0.1",
        r["calls"],
        r["pairs"],
        r["codec"]
    );
    say!(
        "  calls up / failed        {} / {}",
        r["calls_up"],
        r["calls_failed"]
    );
    say!(
        "  setup                    {:.0} calls/s (target {}), latency p50 {} ms, p99 {} ms",
        s["calls_per_second"].as_f64().unwrap_or(0.0),
        s["rate_target_cps"],
        s["latency_ms_p50"],
        s["latency_ms_p99"]
    );
    say!(
        "  media window             {:.1} s, {} streams",
        m["seconds"].as_f64().unwrap_or(0.0),
        m["streams"]
    );
    say!(
        "  RTP sent / received      {} / {}",
        m["packets_sent"],
        m["packets_received"]
    );
    say!(
        "  lost / late / skipped    {} / {} / {} (send errors {})",
        m["packets_lost"],
        m["packets_late"],
        m["ticks_skipped"],
        m["send_errors"]
    );
    say!(
        "  send deviation (ms)      p50 {}  p99 {}  p99.9 {}  max {}  (>2 ms: {} of {})",
        d["p50"],
        d["p99"],
        d["p999"],
        d["max"],
        d["over_2ms"],
        d["measured"]
    );
    say!(
        "  pacing threads           {} ({} real-time)",
        d["pacing_threads"],
        d["realtime_pacing_threads"]
    );
    say!(
        "  CPU                      {} s in the window = {} cores; {} s total; host steal {} s",
        m["cpu_seconds"],
        m["cores"],
        r["cpu_seconds_total"],
        m["host_steal_seconds"]
    );
    say!(
        "  RSS                      idle {} MiB, calls up {} MiB, peak {} MiB, {} KiB per call",
        r["rss_idle_mib"],
        r["rss_calls_up_mib"],
        r["peak_rss_mib"],
        r["rss_per_call_kib"]
    );
}

/// Idle levels a soak must return to.
#[derive(Debug, Clone, Copy)]
struct Levels {
    fds: usize,
    rtp_ports: usize,
    rss: u64,
    heap: u64,
}

/// How far above its idle level the heap may stay once the phones stopped (lazily made
/// runtime and logging structures; a leak of a few hundred bytes per call over a soak's
/// tens of thousands of calls is far above it).
const HEAP_SLACK: u64 = 2 << 20;

async fn soak(args: LoadArgs) -> Result<(), Failure> {
    let minutes = args.soak.unwrap_or(0.0);
    let run = seconds("--soak", minutes * 60.0)?;
    let hold = seconds("--hold", args.hold)?;
    let calls = if args.calls == 100 { 200 } else { args.calls }; // default 200 in soak
    let codec = if args.codec == "pcma" {
        PayloadType::Pcma
    } else {
        PayloadType::Pcmu
    };
    let args = LoadArgs { calls, ..args };
    let live = Arc::new(Mutex::new(Vec::new()));
    let pairs = Arc::new(start_pairs(&args, &live).await?);
    let per_phone = (calls.div_ceil(args.pairs.max(1)) * 2 + 64).next_multiple_of(2);
    let port_high = u32::from(args.rtp_base) + 2 * args.pairs.max(1) * per_phone - 1;
    let port_high = u16::try_from(port_high).unwrap_or(u16::MAX);
    let levels = || Levels {
        fds: procfs::open_fds(),
        rtp_ports: procfs::udp_ports_bound(args.rtp_base, port_high),
        rss: procfs::rss(),
        heap: procfs::heap(),
    };
    let idle = levels();
    let feeder = spawn_feeder(live.clone());
    let placed = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let end = t0 + run;
    // `calls` workers, each placing calls back to back (staggered start at --rate).
    let mut workers = tokio::task::JoinSet::new();
    let mut warm: Option<Levels> = None;
    for i in 0..calls {
        let due = t0 + Duration::from_secs_f64(f64::from(i) / args.rate.max(1.0));
        tokio::time::sleep_until(due.into()).await;
        let (pairs, live, placed, failed) =
            (pairs.clone(), live.clone(), placed.clone(), failed.clone());
        workers.spawn(async move {
            let pair = &pairs[(i % pairs.len() as u32) as usize];
            while Instant::now() < end {
                match place(pair, codec).await {
                    Ok((call, _)) => {
                        placed.fetch_add(1, Ordering::Relaxed);
                        lock(&live).push(call.clone());
                        tokio::time::sleep(hold).await;
                        if call.hangup().await.is_err() {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                        lock(&live).retain(|c| c.id() != call.id());
                    }
                    Err(_) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        });
    }
    let mut peak_active = 0usize;
    while Instant::now() < end {
        tokio::time::sleep(Duration::from_secs(1)).await;
        peak_active = peak_active.max(lock(&live).len());
        // The level halfway through: the calls have cycled many times and ended calls
        // expire as fast as new ones end (the core remembers one 32 s).
        if warm.is_none() && t0.elapsed() >= run / 2 {
            warm = Some(levels());
        }
        if !args.json {
            let l = levels();
            say!(
                "soak {:>5.0} s: {} calls placed, {} failed, {} up, RSS {} MiB, heap {} MiB, {} fds",
                t0.elapsed().as_secs_f64(),
                placed.load(Ordering::Relaxed),
                failed.load(Ordering::Relaxed),
                lock(&live).len(),
                mib(l.rss),
                mib(l.heap),
                l.fds
            );
        }
    }
    // RSS at the end with the calls still running: a leak grows it between the halfway
    // mark and here (the allocator keeps freed pages, so RSS after the teardown does not
    // fall back to the idle level even without a leak; it is reported, not judged).
    let end_rss = procfs::rss();
    while workers.join_next().await.is_some() {}
    feeder.abort();
    // Let the callee side see the last BYEs and the streams close.
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let l = levels();
        if (l.fds <= idle.fds && l.rtp_ports <= idle.rtp_ports) || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = levels();
    let warm = warm.unwrap_or(after);
    // No more than 8 MiB of growth over the second half: at 200 calls held 2 s that is
    // ~60k calls in a 10 minute soak, so a leak of ~150 bytes per call shows.
    let rss_limit = warm.rss + 8 * 1024 * 1024;
    let mut leaks: Vec<String> = [
        (after.fds > idle.fds).then(|| format!("open fds {} > idle {}", after.fds, idle.fds)),
        (after.rtp_ports > idle.rtp_ports).then(|| {
            format!(
                "RTP ports bound {} > idle {}",
                after.rtp_ports, idle.rtp_ports
            )
        }),
        (end_rss > rss_limit).then(|| {
            format!(
                "RSS grew from {} MiB halfway to {} MiB at the end (limit +8 MiB)",
                mib(warm.rss),
                mib(end_rss)
            )
        }),
    ]
    .into_iter()
    .flatten()
    .collect();
    let callee_calls: Vec<(u64, u64)> = pairs
        .iter()
        .map(|p| {
            (
                p.handler.answered.load(Ordering::Relaxed),
                p.handler.ended.load(Ordering::Relaxed),
            )
        })
        .collect();
    for p in pairs.iter() {
        p.caller.stop().await;
        if let Some(c) = &p.callee {
            c.stop().await;
        }
    }
    // With the phones stopped, everything the calls held (ended calls are kept 32 s while
    // a phone runs) must be freed: the heap goes back to about its idle level. RSS need
    // not, as the allocator keeps freed pages; that is why the heap is what is judged.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stopped_heap = procfs::heap();
    let heap_limit = idle.heap + HEAP_SLACK;
    if stopped_heap > heap_limit {
        leaks.push(format!(
            "heap in use {} MiB after the phones stopped > idle {} MiB + {} MiB",
            mib(stopped_heap),
            mib(idle.heap),
            HEAP_SLACK >> 20
        ));
    }
    let report = json!({
        "soak_minutes": minutes,
        "concurrent_calls": calls,
        "hold_seconds": args.hold,
        "calls_placed": placed.load(Ordering::Relaxed),
        "calls_failed": failed.load(Ordering::Relaxed),
        "peak_active_ends": peak_active,
        "callee_answered_ended": callee_calls,
        "idle": {"fds": idle.fds, "rtp_ports": idle.rtp_ports, "rss_mib": mib(idle.rss), "heap_mib": mib(idle.heap)},
        "halfway": {"fds": warm.fds, "rtp_ports": warm.rtp_ports, "rss_mib": mib(warm.rss), "heap_mib": mib(warm.heap)},
        "heap_after_phones_stopped_mib": mib(stopped_heap),
        "end_running_rss_mib": mib(end_rss),
        "after": {"fds": after.fds, "rtp_ports": after.rtp_ports, "rss_mib": mib(after.rss)},
        "peak_rss_mib": mib(procfs::peak_rss()),
        "leaks": leaks,
    });
    if args.json {
        say!("{}", report);
    } else {
        say!(
            "soak: {} calls placed, {} failed; idle fds {} / ports {} / RSS {} MiB / heap {} MiB; after fds {} / ports {} / RSS {} MiB (halfway {} MiB, end {} MiB); heap after the phones stopped {} MiB",
            report["calls_placed"],
            report["calls_failed"],
            idle.fds,
            idle.rtp_ports,
            mib(idle.rss),
            mib(idle.heap),
            after.fds,
            after.rtp_ports,
            mib(after.rss),
            mib(warm.rss),
            mib(end_rss),
            mib(stopped_heap)
        );
    }
    if !leaks.is_empty() {
        return Err(Failure::failed(format!("leak: {}", leaks.join("; "))));
    }
    if failed.load(Ordering::Relaxed) > 0 {
        return Err(Failure::failed(format!(
            "{} soak calls failed",
            failed.load(Ordering::Relaxed)
        )));
    }
    Ok(())
}

/// `--uas`: an auto-answering phone for an outside load source.
async fn uas(args: LoadArgs) -> Result<(), Failure> {
    let bind = parse_bind(&args.bind, 5070).map_err(Failure::usage)?;
    let (low, high) = parse_port_range(&args.rtp_ports).map_err(Failure::usage)?;
    let hangup_after = args
        .hangup_after
        .map(|s| seconds("--hangup-after", s))
        .transpose()?;
    let run_for = args.run_for.map(|s| seconds("--for", s)).transpose()?;
    let handler = Arc::new(AutoAnswer {
        live: None,
        hangup_after,
        ..AutoAnswer::default()
    });
    let params = VoipPhoneParameter::builder("load")
        .bind(bind)
        .rtp_ports(low, high)
        .realtime_media(!args.no_realtime)
        .call_handler(Answerer(handler.clone()))
        .build()?;
    let phone = VoipPhone::new(params)?;
    phone
        .start()
        .await
        .map_err(|e| Failure::failed(format!("cannot start the phone: {e}")))?;
    if let Some(uri) = phone.sip_uri() {
        say!("listening on {uri}");
    }
    let cpu0 = procfs::cpu();
    let t0 = Instant::now();
    let stop = async {
        match run_for {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        () = stop => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    let (a, f, e) = (
        handler.answered.load(Ordering::Relaxed),
        handler.failed.load(Ordering::Relaxed),
        handler.ended.load(Ordering::Relaxed),
    );
    let cpu = procfs::cpu() - cpu0;
    phone.stop().await;
    let report = json!({
        "answered": a,
        "answer_failed": f,
        "ended": e,
        "seconds": t0.elapsed().as_secs_f64(),
        "cpu_seconds": stream_sec(cpu),
        "peak_rss_mib": mib(procfs::peak_rss()),
    });
    if args.json {
        say!("{report}");
    } else {
        say!(
            "answered {a}, failed to answer {f}, ended {e}; CPU {} s, peak RSS {} MiB",
            stream_sec(cpu),
            mib(procfs::peak_rss())
        );
    }
    Ok(())
}
