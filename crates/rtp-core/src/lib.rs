//! RTP packets, payload types, the jitter-tolerant packet manager and RFC 4733
//! telephone-events, with no sockets and no clock inside.
//!
//! This crate is a documented skeleton until the `rtp-core` issue fills it.
#![forbid(unsafe_code)]
