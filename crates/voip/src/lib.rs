//! A VoIP phone in Rust: register to a PBX, place and receive calls, play and record audio,
//! read DTMF and transfer calls. The Rust counterpart of pyVoIP 2.0.
//!
//! The crate is being built module by module (see the `voip` issue): the sans-IO protocol
//! core first (transactions, dialogs, registration, offer/answer), then the tokio drivers.
#![forbid(unsafe_code)]

pub mod auth;
pub mod dialog;
pub mod media;
pub mod registration;
pub mod sdp_negotiation;
pub mod timer;
pub mod transaction;
