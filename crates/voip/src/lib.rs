//! A VoIP phone in Rust: register to a PBX, place and receive calls, play and record audio,
//! read DTMF and transfer calls. The Rust counterpart of pyVoIP 2.0.
//!
//! The crate is being built module by module (see the `voip` issue): the sans-IO protocol
//! core first (transactions, dialogs, registration, offer/answer), then the tokio drivers.
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
pub mod registration;
pub mod sdp_negotiation;
pub mod timer;
pub mod transaction;

pub use call::{CallState, VoipCall};
pub use config::{VoipPhoneParameter, VoipPhoneParameterBuilder};
pub use core::{CallDirection, EndReason, IncomingMessage};
pub use error::{Error, Result};
pub use handler::{CallHandler, SipLayer};
pub use phone::{PhoneStatus, VoipPhone};
