//! SIP credentials and HTTP authentication for SIP (RFC 3261 §22, RFC 7616, RFC 2617, RFC 7617).
//!
//! Filled in by the workspace issue; see `../../shared/DESIGN.md`.
#![forbid(unsafe_code)]
