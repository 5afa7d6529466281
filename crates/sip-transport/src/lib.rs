//! SIP transports (UDP, TCP, TLS) and NAT host selection on tokio.
//!
//! This crate is a documented skeleton until the `sip-transport` issue fills it.
#![forbid(unsafe_code)]
