//! `voip`: a scriptable softphone and SIP/RTP debugging tool.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod rtp;
mod sip;

/// A scriptable softphone and SIP/RTP debugging tool.
#[derive(Debug, Parser)]
#[command(name = "voip", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Sip { command } => sip::run(command),
        Command::Rtp { command } => rtp::run(command),
    }
}
