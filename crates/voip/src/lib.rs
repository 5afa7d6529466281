//! A VoIP phone in Rust: register to a PBX, place and receive calls, play and record audio,
//! read DTMF and transfer calls. The Rust counterpart of pyVoIP 2.0.
//!
//! This crate is a documented skeleton until the `voip` issue fills it.
#![forbid(unsafe_code)]
