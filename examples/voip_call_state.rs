//! pyVoIP's call state handling: place a call and print each state the handler sees
//! (progress, answered, busy, bye), then the outcome.
//!
//! ```text
//! cargo run -p voip --example voip_call_state -- --number 200 --server pbx.example.com --user 100 --password secret
//! cargo run -p voip --example voip_call_state -- --number sip:bob@192.168.1.20:5062 --bind 192.168.1.10:5062
//! ```

#[path = "voip_example_args.rs"]
mod args;

use clap::Parser;
use sip_message::SipMessage;
use voip::{CallHandler, CallState, VoipCall, VoipPhone};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    phone: args::PhoneArgs,
    /// The number (through the server) or SIP URI to call.
    #[arg(long)]
    number: String,
    /// Hang up after this many seconds once answered.
    #[arg(long, default_value_t = 5)]
    talk: u64,
}

struct Printer;

impl CallHandler for Printer {
    async fn progress(&self, _call: VoipCall, response: SipMessage) {
        println!("Progress ({})", response.start_line());
    }
    async fn busy(&self, _call: VoipCall, response: SipMessage) {
        println!("Call ended - callee is busy ({})", response.start_line());
    }
    async fn answered(&self, _call: VoipCall, _response: SipMessage) {
        println!("Answered");
    }
    async fn bye(&self, _call: VoipCall) {
        println!("Bye");
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let params = cli.phone.builder()?.call_handler(Printer).build()?;
    let phone = VoipPhone::new(params)?;
    phone.start().await?;
    let call = phone.call(&cli.number, None).await?;
    println!("Dialing {}", call.remote_uri());
    // Every state from DIALING on, none skipped however quick the changes are.
    let mut states = call.state_events();
    while let Some(state) = states.next().await {
        println!("State: {state}");
        if state == CallState::Answered {
            let call = call.clone();
            tokio::spawn(async move {
                tokio::select! {
                    () = tokio::time::sleep(std::time::Duration::from_secs(cli.talk)) => {
                        let _ = call.hangup().await;
                    }
                    () = call.ended() => {}
                }
            });
        }
    }
    println!("Ended: {:?}", call.end_reason());
    phone.stop().await;
    Ok(())
}
