//! `voip rtp ...`: RTP packet tools.

use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

/// RTP subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum RtpCommand {
    /// Parse RTP packets (one raw packet per file, `-` for stdin) and print them as JSON.
    Parse {
        /// Files to parse.
        files: Vec<PathBuf>,
    },
}

pub(crate) fn run(command: RtpCommand) -> ExitCode {
    match command {
        RtpCommand::Parse { .. } => {
            eprintln!("voip rtp parse: not available in this build yet");
            ExitCode::from(2)
        }
    }
}
