//! A VoIP phone in Rust: register to a PBX, place and receive calls, play and record audio,
//! send and read DTMF, send MESSAGEs and transfer calls. The Rust counterpart of pyVoIP 2.0,
//! on tokio, with a sans-IO SIP core.
//!
//! # Two phones on loopback
//! No server needed: a phone without one calls SIP URIs directly.
//! ```
//! use voip::{CallState, VoipPhone, VoipPhoneParameter};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), voip::Error> {
//! let params = |user: &str, rtp: u16| {
//!     VoipPhoneParameter::builder(user)
//!         .bind("127.0.0.1:0".parse().unwrap()) // any free SIP port
//!         .rtp_ports(rtp, rtp + 9)
//!         .build()
//! };
//! let alice = VoipPhone::new(params("alice", 45000)?)?;
//! let bob = VoipPhone::new(params("bob", 45010)?)?;
//! alice.start().await?;
//! bob.start().await?;
//!
//! let call = alice.call(&bob.sip_uri().unwrap(), None).await?;
//! let incoming = bob.incoming().await.expect("a call");
//! incoming.answer().await?;
//! call.wait_for_state(CallState::Answered).await?;
//!
//! call.write_audio(&[0x80; 1600])?; // 200 ms of silence, pyVoIP's 8-bit format
//! call.send_dtmf("42")?;
//! let heard = incoming.read_audio(160, true).await;
//! assert_eq!(heard.len(), 160);
//!
//! incoming.hangup().await?;
//! call.wait_for_state(CallState::Ended).await?;
//! alice.stop().await;
//! bob.stop().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Map of the crate
//!
//! | module | what | pyVoIP 2.0 |
//! |---|---|---|
//! | [`phone`] | [`VoipPhone`], [`PhoneStatus`] | `VoIPPhone`, `PhoneStatus` |
//! | [`config`] | [`VoipPhoneParameter`] and its builder | `VoIPPhoneParameter`, globals |
//! | [`call`] | [`VoipCall`], [`CallState`] | `VoIPCall`, `CallState` |
//! | [`handler`] | [`CallHandler`] (ringing, progress, answered, busy, bye, message), [`SipLayer`] | subclassing `VoIPCall`, `sip_class` |
//! | [`error`] | [`Error`] | `InvalidStateError`, `InvalidRangeError`, `NoPortsAvailableError`, `InvalidAccountInfoError`, `NATError`, ... |
//! | [`core`] | [`core::UaCore`]: the sans-IO user agent (calls, registration, MESSAGE, REFER) | `SIPClient` |
//! | [`driver`] | the tokio task running the core over `sip-transport` | the SIP and RTP threads |
//! | [`transaction`], [`timer`] | RFC 3261 transactions and timers | (none) |
//! | [`dialog`], [`registration`], [`auth`] | dialogs, REGISTER client, digest retries | parts of `SIPClient` |
//! | [`sdp_negotiation`] | RFC 3264 offer/answer | `gen_answer` |
//! | [`media`] | the RTP engine (one 20 ms pacing thread, symmetric RTP, DTMF, playback) | `RTPClient` |
//!
//! # What differs from pyVoIP
//! Calls are async handles ([`VoipCall`] clones) instead of subclasses; callbacks run on
//! their own tasks. Beyond pyVoIP: transactions with retransmissions, TCP and TLS in both
//! directions, Record-Route, re-INVITE/UPDATE (hold), delayed offer, OPTIONS answered,
//! sending DTMF, PCMA origination, breaking IVR prompts ([`VoipCall::play`] +
//! [`media::Playback::until_dtmf`]), 16-bit audio, peer-to-peer calls to SIP URIs.
#![forbid(unsafe_code)]

pub mod auth;
pub mod call;
pub mod config;
pub mod core;
pub mod dialog;
pub mod driver;
pub mod error;
pub mod handler;
pub mod media;
pub mod phone;
mod received;
pub mod registration;
pub mod sdp_negotiation;
pub mod timer;
pub mod transaction;

pub use call::{CallState, CallStates, VoipCall};
pub use config::{VoipPhoneParameter, VoipPhoneParameterBuilder};
pub use core::{CallDirection, EndReason, IncomingMessage};
pub use error::{Error, Result};
pub use handler::{CallHandler, SipLayer};
pub use phone::{PhoneStatus, VoipPhone};
