//! Zero-copy SIP and SDP parsing and serialization (RFC 3261, RFC 8866).
//!
//! This crate is a documented skeleton until the `sip-message` issue fills it.
#![forbid(unsafe_code)]
