//! pyVoIP's announcement board: answer, play a WAV file, hang up when it is over (or when
//! the caller hangs up first).
//!
//! The WAV must be mono 8 kHz, 8-bit unsigned or 16-bit signed PCM (hound reads it).
//!
//! ```text
//! cargo run -p voip --example voip_announcement -- --wav announcement.wav --server pbx.example.com --user 100 --password secret
//! ```

#[path = "voip_example_args.rs"]
mod args;

use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use voip::{CallHandler, CallState, VoipCall, VoipPhone};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    phone: args::PhoneArgs,
    /// The announcement (mono, 8000 Hz, 8- or 16-bit PCM).
    #[arg(long)]
    wav: std::path::PathBuf,
}

struct Announcement {
    audio: Arc<Vec<u8>>,
}

impl CallHandler for Announcement {
    async fn ringing(&self, call: VoipCall) {
        if call.answer().await.is_err() {
            return;
        }
        if call.write_audio(&self.audio).is_err() {
            let _ = call.hangup().await;
            return;
        }
        // frames / 8000 is the length in seconds; stop early if the caller hangs up.
        let length = Duration::from_millis(self.audio.len() as u64 / 8);
        tokio::select! {
            () = tokio::time::sleep(length) => {}
            () = call.ended() => {}
        }
        if call.state() == CallState::Answered {
            let _ = call.hangup().await;
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let audio = Arc::new(args::read_wav(&cli.wav)?);
    println!("announcement: {:.1} s", audio.len() as f64 / 8000.0);
    let params = cli
        .phone
        .builder()?
        .call_handler(Announcement { audio })
        .build()?;
    let phone = VoipPhone::new(params)?;
    phone.start().await?;
    println!("listening on {}", phone.sip_uri().unwrap_or_default());
    cli.phone.wait().await;
    phone.stop().await;
    Ok(())
}
