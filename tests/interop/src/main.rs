//! `voip-interop`: runs our `voip` phone against real, independent SIP implementations
//! (Kamailio, SIPp, baresip, pyVoIP), each scenario with a time bound and a tshark check
//! of every packet our phone sent, and prints a verdict table.
//!
//! ```text
//! voip-interop [--only NAME]... [--list] [--keep-logs] [--work-dir DIR]
//! ```
//!
//! `tests/interop/run` installs the peers and runs this binary; see
//! `tests/interop/README.md` for how to add a scenario and `docs/interop.md` for what each
//! one proves.

// The peers and audio modules are a toolkit for scenario authors: not every helper is used
// by the scenarios of the day.
#[allow(dead_code)]
mod audio;
#[allow(dead_code)]
mod peers;
mod scenarios;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;

use crate::peers::ports::Ports;
use crate::scenarios::{Ctx, Scenario};

/// Command line.
#[derive(Debug, Parser)]
#[command(
    name = "voip-interop",
    about = "Interop suite: our phone against real SIP peers"
)]
struct Args {
    /// Run only the scenarios with this name, or whose name starts with it (repeatable).
    #[arg(long, value_name = "NAME")]
    only: Vec<String>,
    /// List the scenarios and exit.
    #[arg(long)]
    list: bool,
    /// Keep the logs and captures of passing scenarios too (failing ones are always kept).
    #[arg(long)]
    keep_logs: bool,
    /// Where logs, captures, certificates and peer run directories go.
    #[arg(long, value_name = "DIR", default_value = "target/interop")]
    work_dir: PathBuf,
    /// The suite's directory (peer configs, SIPp scenarios); default: this crate's source.
    #[arg(long, value_name = "DIR")]
    suite_dir: Option<PathBuf>,
    /// Skip printing the peers' versions.
    #[arg(long)]
    no_versions: bool,
}

/// One row of the verdict table.
#[derive(Debug)]
struct Row {
    name: &'static str,
    passed: bool,
    seconds: f64,
    detail: String,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("voip-interop: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(args))
}

fn selected(args: &Args) -> Vec<Scenario> {
    scenarios::all()
        .into_iter()
        .filter(|s| args.only.is_empty() || args.only.iter().any(|o| s.name.starts_with(o)))
        .collect()
}

async fn run(args: Args) -> ExitCode {
    let list = selected(&args);
    if args.list {
        for s in &list {
            println!(
                "{:<28} {:>4}s  {}",
                s.name,
                s.timeout.as_secs(),
                s.description
            );
        }
        return ExitCode::SUCCESS;
    }
    if list.is_empty() {
        eprintln!("voip-interop: no scenario matches {:?}", args.only);
        return ExitCode::FAILURE;
    }
    let suite_dir = args
        .suite_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    let work_dir = match std::path::absolute(&args.work_dir) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("voip-interop: bad --work-dir: {e}");
            return ExitCode::FAILURE;
        }
    };
    if !args.no_versions {
        println!("peers:");
        for (peer, version) in peers::versions(&work_dir).await {
            println!("  {peer:<10} {version}");
        }
        println!();
    }
    let ports = Ports::new();
    let mut rows = Vec::new();
    let total = Instant::now();
    for scenario in list {
        println!("--- {}: {}", scenario.name, scenario.description);
        let row = run_one(&scenario, &suite_dir, &work_dir, &ports, args.keep_logs).await;
        println!(
            "--- {} {} in {:.1}s: {}",
            scenario.name,
            if row.passed { "PASS" } else { "FAIL" },
            row.seconds,
            row.detail
        );
        rows.push(row);
    }
    print_table(&rows, total.elapsed());
    if rows.iter().all(|r| r.passed) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn run_one(
    scenario: &Scenario,
    suite_dir: &std::path::Path,
    work_dir: &std::path::Path,
    ports: &Ports,
    keep_logs: bool,
) -> Row {
    let started = Instant::now();
    let mut ctx = match Ctx::new(scenario.name, suite_dir, work_dir, ports.clone()).await {
        Ok(c) => c,
        Err(e) => {
            return Row {
                name: scenario.name,
                passed: false,
                seconds: started.elapsed().as_secs_f64(),
                detail: format!("setup: {e:#}"),
            };
        }
    };
    let outcome = tokio::time::timeout(scenario.timeout, (scenario.run)(&mut ctx)).await;
    let mut passed;
    let mut detail = match outcome {
        Ok(Ok(d)) => {
            passed = true;
            d
        }
        Ok(Err(e)) => {
            passed = false;
            format!("{e:#}")
        }
        Err(_) => {
            passed = false;
            format!("timed out after {}s", scenario.timeout.as_secs())
        }
    };
    // Every peer the scenario started is stopped by now (their guards were dropped with
    // the scenario's future); the capture is checked last.
    match ctx.finish().await {
        Ok(check) => {
            if !check.is_empty() {
                detail = format!("{detail}; {check}");
            }
        }
        Err(e) => {
            passed = false;
            detail = format!("{detail}; packet check: {e:#}");
        }
    }
    let log_dir = ctx.log_dir.clone();
    drop(ctx);
    if passed && !keep_logs {
        let _ = tokio::fs::remove_dir_all(&log_dir).await;
    } else if !passed {
        detail = format!("{detail} (logs: {})", log_dir.display());
    }
    Row {
        name: scenario.name,
        passed,
        seconds: started.elapsed().as_secs_f64(),
        detail,
    }
}

fn print_table(rows: &[Row], total: Duration) {
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(8).max(8);
    println!();
    println!("{:<width$} | verdict | seconds | detail", "scenario");
    println!("{:-<width$}-|---------|---------|-------", "");
    for r in rows {
        let detail: String = r.detail.replace('\n', " ");
        println!(
            "{:<width$} | {:<7} | {:>7.1} | {}",
            r.name,
            if r.passed { "PASS" } else { "FAIL" },
            r.seconds,
            detail
        );
    }
    let failed = rows.iter().filter(|r| !r.passed).count();
    println!(
        "\n{} scenarios, {} passed, {} failed, {:.0}s",
        rows.len(),
        rows.len() - failed,
        failed,
        total.as_secs_f64()
    );
}
