//! pyVoIP's first example: a phone that answers every call and hangs up at once.
//!
//! ```text
//! cargo run -p voip --example voip_answer_and_hangup -- --server pbx.example.com --user 100 --password secret --bind 192.168.1.10
//! ```

#[path = "voip_example_args.rs"]
mod args;

use clap::Parser;
use voip::{CallHandler, Error, VoipCall, VoipPhone};

struct AnswerAndHangUp;

impl CallHandler for AnswerAndHangUp {
    async fn ringing(&self, call: VoipCall) {
        // pyVoIP: try: answer(); hangup() except InvalidStateError: pass
        let result = async {
            call.answer().await?;
            call.hangup().await
        }
        .await;
        match result {
            Ok(()) | Err(Error::InvalidState { .. }) => {}
            Err(e) => eprintln!("call {}: {e}", call.id()),
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args::PhoneArgs::parse();
    let params = args.builder()?.call_handler(AnswerAndHangUp).build()?;
    let phone = VoipPhone::new(params)?;
    phone.start().await?;
    println!("listening on {}", phone.sip_uri().unwrap_or_default());
    args.wait().await;
    phone.stop().await;
    Ok(())
}
