//! Answering 401/407 challenges: from the challenged request and the response, the request
//! to send again with credentials (RFC 3261 §22.2, §22.3).
//!
//! [`ClientAuth::authorize`] works for any method (REGISTER, INVITE, BYE, REFER, MESSAGE,
//! OPTIONS, ...). The retried request is the original one with:
//!
//! * the CSeq number plus one (same Call-ID, From tag, To, Route, body and other headers);
//! * a new branch in the top Via (it is a new transaction);
//! * one `Authorization` (for `WWW-Authenticate` challenges, i.e. 401) or
//!   `Proxy-Authorization` (for `Proxy-Authenticate`, i.e. 407) header per challenged
//!   realm, computed by [`credentials`]: the [`CredentialsManager`] looked up by (server,
//!   realm, the From URI's user) as pyVoIP does, the [`AuthPolicy`] choosing the strongest
//!   allowed challenge per realm (pyVoIP's defaults: MD5 allowed, Basic refused), and an
//!   [`Authenticator`] keeping nonce counts. The digest `uri` is the Request-URI exactly as
//!   written in the retried request; `auth-int` hashes the real body.
//!
//! Credentials already in the request for other realms (several proxies challenging one
//! request) are kept; those for a realm challenged again are replaced.
//!
//! A challenge with `stale=true` is a retry, not a failure ([`AuthRetry::stale`]). A
//! non-stale challenge for a realm the request had already answered means the credentials
//! were refused: [`AuthError::Rejected`], so nobody loops on a wrong password.
//!
//! For an INVITE, the 401/407 itself must be ACKed; the client INVITE transaction does that
//! (RFC 3261 §17.1.1.3). For a request inside a dialog, tell the dialog about the new CSeq
//! ([`Dialog::advance_local_seq`](crate::dialog::Dialog::advance_local_seq)).
//!
//! ```
//! use credentials::{AuthPolicy, Authenticator, CredentialsManager};
//! use sip_message::{Bytes, HeaderName, SipMessage};
//! use voip::auth::ClientAuth;
//!
//! let mut cm = CredentialsManager::new();
//! cm.add("alice", "secret", Some("127.0.0.1"), None, None)?;
//! let mut auth = ClientAuth::with_authenticator(
//!     Authenticator::new(AuthPolicy::default()).with_cnonce_source(|| "0a4f113b".into()),
//! );
//!
//! let message = SipMessage::parse(Bytes::from_static(
//!     b"MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\n\
//!       Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1;rport\r\n\
//!       Max-Forwards: 70\r\n\
//!       From: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:bob@127.0.0.1>\r\n\
//!       Call-ID: m1@127.0.0.1\r\nCSeq: 5 MESSAGE\r\n\
//!       Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
//! ))?;
//! let challenge = SipMessage::parse(Bytes::from_static(
//!     b"SIP/2.0 407 Proxy Authentication Required\r\n\
//!       Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1;rport=5062\r\n\
//!       From: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:bob@127.0.0.1>;tag=p\r\n\
//!       Call-ID: m1@127.0.0.1\r\nCSeq: 5 MESSAGE\r\n\
//!       Proxy-Authenticate: Digest realm=\"voip.test\", nonce=\"n1\", qop=\"auth\"\r\n\
//!       Content-Length: 0\r\n\r\n",
//! ))?;
//! let retry = auth.authorize(&message, &challenge, &cm, "127.0.0.1")?;
//! let again = &retry.request;
//! assert_eq!(again.cseq()?.seq, 6);
//! assert_eq!(again.call_id()?, "m1@127.0.0.1");
//! assert_ne!(again.via()?.branch(), Some("z9hG4bK1"));
//! assert_eq!(again.body(), b"hello");
//! let credentials = again.proxy_authorization().next().unwrap()?;
//! assert_eq!(credentials.param("uri").as_deref(), again.request_uri_str());
//! assert_eq!(credentials.param("username").as_deref(), Some("alice"));
//! assert!(!retry.stale);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use credentials::{AuthPolicy, AuthRequest, Authenticator, Authorized, CredentialsManager};
use sip_message::{HeaderName, RequestBuilder, SipMessage};

use crate::dialog::new_branch;

/// Why a challenge could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The response is not a 401 or 407.
    #[error("a {0} response is not an authentication challenge")]
    NotAChallenge(u16),
    /// The response does not answer this request (Call-ID, From tag or CSeq differ).
    #[error("the challenge does not answer this request")]
    Mismatch,
    /// The 401/407 carries no `WWW-Authenticate` / `Proxy-Authenticate` header.
    #[error("the {0} response carries no challenge header")]
    NoChallenge(u16),
    /// A challenge header is malformed.
    #[error("malformed challenge: {0}")]
    Challenge(credentials::Error),
    /// Nothing offered can be answered: unsupported algorithm or scheme, or refused by the
    /// [`AuthPolicy`] (Basic, or MD5 when disallowed).
    #[error("cannot answer the challenge: {0}")]
    Unsupported(credentials::Error),
    /// No credentials are stored for the challenged server/realm/user (and anonymous
    /// answers are not allowed, see [`ClientAuth::allow_anonymous`]).
    #[error("no credentials for realm `{realm}` (user `{user}`, server `{server}`)")]
    NoCredentials {
        /// The realm.
        realm: String,
        /// The SIP user looked up.
        user: String,
        /// The server looked up.
        server: String,
    },
    /// The request already carried our answer for this realm and the server challenged
    /// again without `stale=true`: the credentials were refused (wrong password or user).
    #[error("credentials for realm `{realm}` were rejected")]
    Rejected {
        /// The realm.
        realm: String,
    },
    /// The request or response is malformed, or the retried request cannot be built.
    #[error("malformed message: {0}")]
    Message(#[from] sip_message::Error),
    /// The CSeq number cannot be incremented.
    #[error("CSeq exhausted")]
    CSeqExhausted,
}

/// The request to send again, and what the caller needs to decide about failures.
#[derive(Debug, Clone)]
pub struct AuthRetry {
    /// The request with credentials, new CSeq and new Via branch.
    pub request: SipMessage,
    /// Its CSeq number (the original's plus one).
    pub cseq: u32,
    /// A challenge said `stale=true`: the previous credentials were right, only the nonce
    /// expired. Not an authentication failure (pyVoIP's failure threshold ignores it).
    pub stale: bool,
    /// The realms answered, in header order.
    pub realms: Vec<String>,
}

/// The client side of SIP digest authentication: answers 401/407 for any request.
///
/// Keep one per account (it holds the nonce counts). See the [module documentation](self).
#[derive(Debug)]
pub struct ClientAuth {
    authenticator: Authenticator,
    allow_anonymous: bool,
}

impl Default for ClientAuth {
    fn default() -> Self {
        Self::new(AuthPolicy::default())
    }
}

impl ClientAuth {
    /// With this policy ([`AuthPolicy::default`] is pyVoIP's) and random client nonces.
    pub fn new(policy: AuthPolicy) -> Self {
        Self::with_authenticator(Authenticator::new(policy))
    }

    /// With a configured authenticator (policy, client nonce source).
    pub fn with_authenticator(authenticator: Authenticator) -> Self {
        ClientAuth {
            authenticator,
            allow_anonymous: false,
        }
    }

    /// Whether to answer with the anonymous credentials (user `anonymous`, empty password,
    /// RFC 3261 §22.1) when none are stored for a realm. Off by default: a missing entry is
    /// then the clear error [`AuthError::NoCredentials`].
    #[must_use]
    pub fn allow_anonymous(mut self, allow: bool) -> Self {
        self.allow_anonymous = allow;
        self
    }

    /// The authenticator (policy, nonce counts).
    pub fn authenticator(&self) -> &Authenticator {
        &self.authenticator
    }

    /// The authenticator, mutably (e.g. to change the policy).
    pub fn authenticator_mut(&mut self) -> &mut Authenticator {
        &mut self.authenticator
    }

    /// Answers `challenge` (a 401 or 407 to `request`) and returns the request to send
    /// again. `server` is the server name credentials were registered under in
    /// `credentials` (pyVoIP's `server`); the user looked up is the From URI's user part.
    ///
    /// # Errors
    /// See [`AuthError`]. [`AuthError::Rejected`] is the "wrong password" case.
    pub fn authorize(
        &mut self,
        request: &SipMessage,
        challenge: &SipMessage,
        credentials: &CredentialsManager,
        server: &str,
    ) -> Result<AuthRetry, AuthError> {
        let status = challenge.status().map_or(0, |s| s.code());
        if !matches!(status, 401 | 407) {
            return Err(AuthError::NotAChallenge(status));
        }
        let cseq = request.cseq()?;
        if challenge.call_id()? != request.call_id()?
            || challenge.from_tag() != request.from_tag()
            || challenge.cseq()?.seq != cseq.seq
        {
            return Err(AuthError::Mismatch);
        }
        let method = request.method().ok_or(AuthError::Mismatch)?;
        let uri = request.request_uri().ok_or(AuthError::Mismatch)??;
        // The digest `uri` must be the Request-URI exactly as the retried request writes it.
        let uri_text = uri.to_string();
        let from = request.from()?;
        let user = from.uri.user().unwrap_or("").to_owned();
        let digest_request = AuthRequest::new(method.as_str(), &uri_text, request.body());

        let kinds = [
            (HeaderName::WwwAuthenticate, HeaderName::Authorization),
            (
                HeaderName::ProxyAuthenticate,
                HeaderName::ProxyAuthorization,
            ),
        ];
        // (answer header, answers)
        let mut answers: Vec<(HeaderName, Vec<Authorized>)> = Vec::new();
        for (challenge_header, answer_header) in kinds {
            let values: Vec<String> = challenge
                .headers_named(&challenge_header)
                .map(|h| h.value_unfolded().into_owned())
                .collect();
            if values.is_empty() {
                continue;
            }
            let parsed = credentials::parse_challenge_headers(values.iter().map(String::as_str))
                .map_err(AuthError::Challenge)?;
            let answered = self
                .authenticator
                .authorize(&parsed, credentials, server, &user, &digest_request)
                .map_err(AuthError::Unsupported)?;
            for a in &answered {
                if a.anonymous && !self.allow_anonymous {
                    return Err(AuthError::NoCredentials {
                        realm: a.realm.clone(),
                        user: user.clone(),
                        server: server.to_owned(),
                    });
                }
                let answered_before = request
                    .headers_named(&answer_header)
                    .any(|h| realm_of(&h.value_unfolded()).as_deref() == Some(a.realm.as_str()));
                if answered_before && !a.stale {
                    return Err(AuthError::Rejected {
                        realm: a.realm.clone(),
                    });
                }
            }
            answers.push((answer_header, answered));
        }
        if answers.is_empty() {
            return Err(AuthError::NoChallenge(status));
        }

        let new_seq = cseq.seq.checked_add(1).ok_or(AuthError::CSeqExhausted)?;
        let mut builder = RequestBuilder::new(method, &uri);
        let mut first_via = true;
        let body = request.body_bytes();
        for h in request.headers() {
            let name = h.name();
            match name {
                HeaderName::Via if first_via => {
                    first_via = false;
                    let mut via = request.via()?;
                    via.params.set("branch", Some(&new_branch()))?;
                    builder = builder.via(&via);
                }
                HeaderName::CSeq => builder = builder.cseq(new_seq),
                HeaderName::ContentLength => {}
                HeaderName::ContentType if !body.is_empty() => {}
                HeaderName::Authorization | HeaderName::ProxyAuthorization => {
                    let replaced = answers.iter().any(|(answer_header, answered)| {
                        *answer_header == name && {
                            let realm = realm_of(&h.value_unfolded());
                            answered
                                .iter()
                                .any(|a| realm.as_deref() == Some(a.realm.as_str()))
                        }
                    });
                    if !replaced {
                        builder = builder.header(&name, h.value_unfolded());
                    }
                }
                _ => builder = builder.header(&name, h.value_unfolded()),
            }
        }
        let mut stale = false;
        let mut realms = Vec::new();
        for (answer_header, answered) in &answers {
            for a in answered {
                builder = builder.header(answer_header, &a.authorization);
                stale |= a.stale;
                realms.push(a.realm.clone());
            }
        }
        if !body.is_empty() {
            let content_type = request
                .header_str(&HeaderName::ContentType)
                .unwrap_or("application/octet-stream")
                .trim()
                .to_owned();
            builder = builder.body(&content_type, body);
        }
        Ok(AuthRetry {
            request: builder.build()?,
            cseq: new_seq,
            stale,
            realms,
        })
    }
}

/// The realm of an Authorization / Proxy-Authorization value.
fn realm_of(value: &str) -> Option<String> {
    sip_message::Auth::parse(value)
        .ok()?
        .realm()
        .map(|r| r.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realm_of_credentials() {
        assert_eq!(
            realm_of(
                r#"Digest username="a", realm="voip.test", nonce="n", uri="sip:x", response="00""#
            )
            .as_deref(),
            Some("voip.test")
        );
        assert_eq!(realm_of("Basic YWxpY2U6c2VjcmV0"), None);
        assert_eq!(realm_of("garbage \u{1}"), None);
    }
}
