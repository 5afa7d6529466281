//! `voip sip ...`: SIP message tools.

use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

/// SIP subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum SipCommand {
    /// Parse SIP messages (one UDP datagram per file, `-` for stdin) and print them as JSON.
    Parse {
        /// Files to parse.
        files: Vec<PathBuf>,
        /// Treat the input as a TCP stream (Content-Length required).
        #[arg(long)]
        stream: bool,
    },
}

pub(crate) fn run(command: SipCommand) -> ExitCode {
    match command {
        SipCommand::Parse { .. } => {
            eprintln!("voip sip parse: not available in this build yet");
            ExitCode::from(2)
        }
    }
}
