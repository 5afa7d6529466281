//! pyVoIP's IVR menu, made "breaking" (what pyVoIP could not do yet): the prompt stops as
//! soon as the caller presses a key. 1 transfers to `--sales`, 2 to `--other`, anything
//! else replays the menu.
//!
//! ```text
//! cargo run -p voip --example voip_ivr -- --prompt prompt.wav --sales sales --other "<sip:100@other.example.com>" --server pbx.example.com --user 100 --password secret
//! ```

#[path = "voip_example_args.rs"]
mod args;

use std::sync::Arc;

use clap::Parser;
use voip::{CallHandler, CallState, VoipCall, VoipPhone};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    phone: args::PhoneArgs,
    /// The menu prompt (mono, 8000 Hz, 8- or 16-bit PCM); a beep when absent.
    #[arg(long)]
    prompt: Option<std::path::PathBuf>,
    /// Where key 1 transfers to (a user at the same registrar).
    #[arg(long, default_value = "sales")]
    sales: String,
    /// Where key 2 transfers to (a full URI, another registrar).
    #[arg(long, default_value = "<sip:100@127.0.0.1>")]
    other: String,
}

fn read_prompt(path: Option<&std::path::Path>) -> Result<Vec<u8>, String> {
    let Some(path) = path else {
        // 0.5 s at 440 Hz, then 1.5 s of silence.
        let mut v: Vec<u8> = (0..4000)
            .map(|i| {
                (128.0 + 60.0 * (i as f64 * 440.0 / 8000.0 * std::f64::consts::TAU).sin()) as u8
            })
            .collect();
        v.resize(16000, 0x80);
        return Ok(v);
    };
    args::read_wav(path)
}

struct Ivr {
    prompt: Arc<Vec<u8>>,
    sales: String,
    other: String,
}

impl CallHandler for Ivr {
    async fn ringing(&self, call: VoipCall) {
        if call.answer().await.is_err() {
            return;
        }
        while call.state() == CallState::Answered {
            let Ok(playback) = call.play(&self.prompt) else {
                break;
            };
            // Barge-in: a key stops the prompt at once. Keys pressed before the prompt
            // (type-ahead) count too, as in pyVoIP's buffer.
            let key = match playback.until_dtmf().await {
                Some(k) => k,
                None => match call.next_dtmf().await {
                    Some(k) => k,
                    None => break,
                },
            };
            call.flush_audio();
            let target = match key {
                '1' => &self.sales,
                '2' => &self.other,
                _ => continue,
            };
            match call.transfer(target, true).await {
                Ok(true) => return,
                Ok(false) => println!("transfer to {target} failed"),
                Err(e) => println!("transfer to {target}: {e}"),
            }
        }
        if call.state() == CallState::Answered {
            let _ = call.hangup().await;
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let prompt = Arc::new(read_prompt(cli.prompt.as_deref())?);
    let handler = Ivr {
        prompt,
        sales: cli.sales.clone(),
        other: cli.other.clone(),
    };
    let params = cli.phone.builder()?.call_handler(handler).build()?;
    let phone = VoipPhone::new(params)?;
    phone.start().await?;
    println!("IVR on {}", phone.sip_uri().unwrap_or_default());
    cli.phone.wait().await;
    phone.stop().await;
    Ok(())
}
