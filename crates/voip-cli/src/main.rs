//! `voip`: a scriptable softphone and SIP/RTP debugging tool.
//!
//! Exit codes: 0 success; 1 the operation failed (a call not answered, a check of
//! `voip demo` failed, registration refused); 2 bad usage or input. Failures print one
//! line on stderr.

use clap::{ArgAction, Parser, Subcommand};
use std::process::ExitCode;

/// `println!` that ignores a closed stdout (`voip demo | head`) instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// The system allocator, counting the bytes in use: `voip load` reports the heap beside
/// RSS (an allocator keeps freed pages, so RSS alone cannot tell a leak from reuse). One
/// relaxed atomic per allocation; the media path allocates nothing per packet.
#[global_allocator]
static ALLOCATOR: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, usize::MAX);

mod args;
mod audio;
mod demo;
mod load;
mod phone_cmd;
mod rtp;
mod sip;

/// A scriptable softphone and SIP/RTP debugging tool.
#[derive(Debug, Parser)]
#[command(
    name = "voip",
    version,
    about,
    after_help = "Exit status: 0 success; 1 the operation failed; 2 bad usage or input. A failure prints one line on stderr."
)]
struct Cli {
    /// Log what the phone does to stderr (-v: debug, -vv: trace; RUST_LOG overrides).
    #[arg(short, long, action = ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Two phones on 127.0.0.1 call each other: a tone, DTMF, hangup, checked.
    Demo(demo::DemoArgs),
    /// Register to --server (and unregister).
    Register(phone_cmd::RegisterArgs),
    /// Call a number or SIP URI; play, record, send DTMF.
    Call(phone_cmd::CallArgs),
    /// Answer incoming calls; play, record, print DTMF and messages.
    Answer(phone_cmd::AnswerArgs),
    /// Send a text MESSAGE.
    Message(phone_cmd::MessageArgs),
    /// Load test on 127.0.0.1: concurrent calls, setup rate, soak, or an answering phone.
    Load(load::LoadArgs),
    /// SIP message tools.
    Sip {
        #[command(subcommand)]
        command: sip::SipCommand,
    },
    /// RTP packet tools.
    Rtp {
        #[command(subcommand)]
        command: rtp::RtpCommand,
    },
}

/// Sends tracing output to stderr: RUST_LOG when set, else by the -v count.
fn init_tracing(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let filter = match std::env::var("RUST_LOG") {
        Ok(s) if !s.is_empty() => EnvFilter::new(s),
        _ => EnvFilter::new(match verbose {
            0 => "warn",
            1 => "debug",
            _ => "trace",
        }),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn run_async(
    name: &str,
    fut: impl std::future::Future<Output = Result<(), args::Failure>>,
) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("voip {name}: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(fut) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            // One line, whatever the message holds.
            eprintln!("voip {name}: {}", f.message.replace('\n', " "));
            ExitCode::from(f.code)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.verbose > 0 || std::env::var_os("RUST_LOG").is_some() {
        init_tracing(cli.verbose);
    }
    match cli.command {
        Command::Demo(a) => run_async("demo", demo::run(a)),
        Command::Register(a) => run_async("register", phone_cmd::register(a)),
        Command::Call(a) => run_async("call", phone_cmd::call(a)),
        Command::Answer(a) => run_async("answer", phone_cmd::answer(a)),
        Command::Message(a) => run_async("message", phone_cmd::message(a)),
        Command::Load(a) => run_async("load", load::run(a)),
        Command::Sip { command } => sip::run(command),
        Command::Rtp { command } => rtp::run(command),
    }
}
