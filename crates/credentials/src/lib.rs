//! SIP credentials and HTTP authentication for SIP (RFC 3261 §22, RFC 7616, RFC 2617,
//! RFC 7617). Sans-IO: no sockets, no async, no clock.
//!
//! * [`CredentialsManager`]: pyVoIP's credential store, looked up by (server, realm, user)
//!   with anonymous fallback. Passwords are [`Password`]s: redacted in `Debug`, wiped on drop.
//! * [`parse_challenges`]: `WWW-Authenticate` / `Proxy-Authenticate` values into
//!   [`Challenge`]s (several per value, unknown parameters and schemes kept).
//! * [`AuthPolicy`]: pyVoIP's `ALLOW_BASIC_AUTH` / `ALLOW_MD5_AUTH`, and which challenge
//!   to answer (strongest allowed algorithm per realm).
//! * [`digest::respond`]: the Digest answer (MD5, SHA-256, SHA-512-256, their `-sess`
//!   forms; qop none / `auth` / `auth-int`; userhash), exact RFC 7616 wire form.
//! * [`basic::respond`]: `Basic` answers, only when the policy allows.
//! * [`Authenticator`]: ties it together with nonce counts and random client nonces.
//!
//! # Answering a 401 or 407
//!
//! ```
//! use credentials::{parse_challenge_headers, AuthPolicy, Authenticator, ChallengeOrigin, CredentialsManager, AuthRequest};
//!
//! // Configuration: pyVoIP's `cm.add(username, password, server, realm, user)`.
//! let mut cm = CredentialsManager::new();
//! cm.add("alice", "secret", None, Some("voip.test"), None)?;
//!
//! // A 401 offering MD5 and SHA-256 (one WWW-Authenticate header each).
//! let headers = [
//!     r#"Digest realm="voip.test", nonce="4f2a", algorithm=MD5, qop="auth""#,
//!     r#"Digest realm="voip.test", nonce="4f2a", algorithm=SHA-256, qop="auth,auth-int""#,
//! ];
//! let challenges = parse_challenge_headers(headers)?;
//!
//! let mut auth = Authenticator::new(AuthPolicy::default())
//!     .with_cnonce_source(|| "0a4f113b".to_owned()); // random by default
//! let answers = auth.authorize(
//!     &challenges,
//!     &cm,
//!     "127.0.0.1", // the server, as registered in the manager
//!     "alice",     // the SIP user the request is for
//!     &AuthRequest::new("REGISTER", "sip:voip.test", b""),
//! )?;
//!
//! let name = ChallengeOrigin::from_status(401).unwrap().authorization_header();
//! assert_eq!(answers.len(), 1); // one realm, strongest algorithm
//! assert_eq!(
//!     format!("{name}: {}", answers[0]),
//!     "Authorization: Digest username=\"alice\", realm=\"voip.test\", uri=\"sip:voip.test\", \
//!      algorithm=SHA-256, nonce=\"4f2a\", nc=00000001, cnonce=\"0a4f113b\", qop=auth, \
//!      response=\"caae249f4ef12d620157a188fa318692acd24993695e17e9b1b5912b97a5e4a6\""
//! );
//! assert!(!answers[0].stale); // a stale=true challenge is a retry, not a failure
//! # Ok::<(), credentials::Error>(())
//! ```
#![forbid(unsafe_code)]

mod algorithm;
mod authenticator;
pub mod basic;
mod challenge;
pub mod digest;
mod error;
mod manager;
mod parse;
mod policy;
mod secret;
mod wire;

pub use algorithm::{Algorithm, Qop};
pub use authenticator::{AuthRequest, Authenticator, Authorization, Authorized};
pub use challenge::{
    AuthParam, BasicChallenge, Challenge, ChallengeOrigin, DigestChallenge, OtherChallenge,
};
pub use error::Error;
pub use manager::{Credentials, CredentialsManager};
pub use parse::{
    MAX_CHALLENGES, MAX_PARAMS, challenge_from_parts, parse_challenge_headers, parse_challenges,
};
pub use policy::AuthPolicy;
pub use secret::Password;
