//! Typed header values, parsed on demand from a [`SipMessage`](crate::SipMessage).

pub(crate) mod auth;
pub(crate) mod misc;
pub(crate) mod name_addr;
pub(crate) mod via;

pub use auth::{Auth, AuthParam, AuthParams};
pub use misc::{CSeq, MediaType, TokenParams};
pub use name_addr::{Contact, NameAddr};
pub use via::{BRANCH_MAGIC_COOKIE, Transport, Via};
