//! [`Authenticator`]: the stateful client side — policy, nonce counts, client nonces.

use std::fmt;

use crate::basic::{self, BasicAuthorization};
use crate::digest::{self, DigestAuthorization, DigestRequest};
use crate::wire::hex_lower;
use crate::{AuthPolicy, Challenge, Credentials, CredentialsManager, Error};

/// The request being authorized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthRequest<'a> {
    /// Method (`REGISTER`, `INVITE`, ...).
    pub method: &'a str,
    /// Request-URI, exactly as in the request line (the digest `uri`).
    pub uri: &'a str,
    /// Message body (hashed only for `qop=auth-int`).
    pub body: &'a [u8],
}

impl<'a> AuthRequest<'a> {
    /// A request description.
    pub fn new(method: &'a str, uri: &'a str, body: &'a [u8]) -> Self {
        Self { method, uri, body }
    }
}

/// An answer to one challenge; `Display` writes the header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorization {
    /// `Digest ...`.
    Digest(DigestAuthorization),
    /// `Basic ...`.
    Basic(BasicAuthorization),
}

impl fmt::Display for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Authorization::Digest(d) => d.fmt(f),
            Authorization::Basic(b) => b.fmt(f),
        }
    }
}

/// One answer produced by [`Authenticator::authorize`], with what the caller needs to
/// decide about retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorized {
    /// The header value.
    pub authorization: Authorization,
    /// The realm answered (empty for a Basic challenge without realm).
    pub realm: String,
    /// The challenge had `stale=true`: the previous credentials were accepted but the nonce
    /// expired. Resend with this answer and do **not** count it as an authentication
    /// failure (pyVoIP's `REGISTER_FAILURE_THRESHOLD`).
    pub stale: bool,
    /// No stored credentials matched, so the anonymous ones were used (RFC 3261 §22.1).
    pub anonymous: bool,
}

impl fmt::Display for Authorized {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.authorization.fmt(f)
    }
}

/// Where client nonces come from.
enum CnonceSource {
    /// 128 bits from the operating system (`getrandom`), as 32 hex digits.
    Random,
    Custom(Box<dyn FnMut() -> String + Send>),
}

#[derive(Debug, Clone)]
struct NonceCount {
    realm: String,
    nonce: String,
    nc: u32,
    last_used: u64,
}

/// Answers challenges: applies the [`AuthPolicy`], looks up credentials, keeps the nonce
/// count per (realm, nonce) and makes client nonces.
///
/// Sans-IO and cheap; keep one per phone (or per account) and feed it every 401/407.
///
/// * **Nonce counts**: the first answer to a nonce sends `nc=00000001`, each further answer
///   with the same (realm, nonce) — e.g. the caller reusing a challenge to authorize the next
///   request pre-emptively — counts up. At most [`MAX_NONCES`](Self::MAX_NONCES) nonces are
///   tracked; beyond that the least recently used is forgotten (reusing it later restarts at
///   1, which a server answers with `stale=true`, and the exchange recovers).
/// * **Stale nonces**: a challenge with `stale=true` restarts the count for its nonce and is
///   flagged in [`Authorized::stale`] so the caller does not count a failure.
/// * **Client nonces**: 128 random bits from the operating system by default; tests can
///   inject a fixed source with [`with_cnonce_source`](Self::with_cnonce_source).
pub struct Authenticator {
    policy: AuthPolicy,
    nonces: Vec<NonceCount>,
    clock: u64,
    cnonce: CnonceSource,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("policy", &self.policy)
            .field("nonces", &self.nonces)
            .field(
                "cnonce",
                &match self.cnonce {
                    CnonceSource::Random => "random",
                    CnonceSource::Custom(_) => "custom",
                },
            )
            .finish()
    }
}

impl Default for Authenticator {
    fn default() -> Self {
        Self::new(AuthPolicy::default())
    }
}

impl Authenticator {
    /// Most (realm, nonce) pairs whose counts are kept.
    pub const MAX_NONCES: usize = 32;

    /// An authenticator with this policy and random client nonces.
    pub fn new(policy: AuthPolicy) -> Self {
        Self {
            policy,
            nonces: Vec::new(),
            clock: 0,
            cnonce: CnonceSource::Random,
        }
    }

    /// Replaces the client nonce source (deterministic tests, or an application's own
    /// generator). Values must be non-empty and free of control characters.
    #[must_use]
    pub fn with_cnonce_source(mut self, source: impl FnMut() -> String + Send + 'static) -> Self {
        self.cnonce = CnonceSource::Custom(Box::new(source));
        self
    }

    /// The policy.
    pub fn policy(&self) -> &AuthPolicy {
        &self.policy
    }

    /// Replaces the policy.
    pub fn set_policy(&mut self, policy: AuthPolicy) {
        self.policy = policy;
    }

    /// The last nonce count sent for (realm, nonce); 0 if none.
    pub fn nonce_count(&self, realm: &str, nonce: &str) -> u32 {
        self.nonces
            .iter()
            .find(|n| n.realm == realm && n.nonce == nonce)
            .map_or(0, |n| n.nc)
    }

    /// Forgets every nonce count.
    pub fn reset(&mut self) {
        self.nonces.clear();
    }

    /// Answers a 401/407: selects challenges with the policy (one per realm, strongest
    /// allowed), looks up credentials for (`server`, realm, `user`) — `user` being the SIP
    /// URI's user part, as in [`CredentialsManager::get`] — and computes one answer per
    /// selected challenge. Add each as an `Authorization` (401) or `Proxy-Authorization`
    /// (407) header to the retried request.
    ///
    /// # Errors
    /// Whatever [`AuthPolicy::select`] returns when nothing can be answered, or the first
    /// error computing an answer ([`Error::InvalidValue`], [`Error::Random`], ...).
    pub fn authorize(
        &mut self,
        challenges: &[Challenge<'_>],
        credentials: &CredentialsManager,
        server: &str,
        user: &str,
        request: &AuthRequest<'_>,
    ) -> Result<Vec<Authorized>, Error> {
        let chosen = self.policy.select(challenges)?;
        let mut out = Vec::with_capacity(chosen.len());
        for challenge in chosen {
            let realm = challenge.realm().unwrap_or("");
            let creds = credentials.get(server, realm, user);
            out.push(self.authorize_with(challenge, creds, request)?);
        }
        Ok(out)
    }

    /// Answers one challenge with given credentials (after checking the policy). Use it to
    /// re-answer a remembered challenge pre-emptively; the nonce count goes up each time.
    ///
    /// # Errors
    /// The policy's refusal (see [`AuthPolicy::rank`]), or an error computing the answer.
    pub fn authorize_with(
        &mut self,
        challenge: &Challenge<'_>,
        credentials: &Credentials,
        request: &AuthRequest<'_>,
    ) -> Result<Authorized, Error> {
        self.policy.rank(challenge)?;
        let (authorization, realm, stale) = match challenge {
            Challenge::Digest(d) => {
                if d.stale {
                    self.nonces
                        .retain(|n| !(n.realm == *d.realm && n.nonce == *d.nonce));
                }
                let uses_qop = d.choose_qop(self.policy.prefer_auth_int)?.is_some();
                let (nc, cnonce) = if uses_qop {
                    (self.next_nc(&d.realm, &d.nonce)?, self.make_cnonce()?)
                } else {
                    (1, String::new())
                };
                let req = DigestRequest {
                    method: request.method,
                    uri: request.uri,
                    body: request.body,
                    cnonce: &cnonce,
                    nc,
                    prefer_auth_int: self.policy.prefer_auth_int,
                    hash_username: true,
                };
                (
                    Authorization::Digest(digest::respond(d, credentials, &req)?),
                    d.realm.to_string(),
                    d.stale,
                )
            }
            Challenge::Basic(b) => (
                Authorization::Basic(basic::respond(credentials, &self.policy)?),
                b.realm.as_deref().unwrap_or("").to_owned(),
                false,
            ),
            // `rank` refused these already.
            Challenge::Other(o) => return Err(Error::UnsupportedScheme(o.scheme.to_string())),
        };
        Ok(Authorized {
            authorization,
            realm,
            stale,
            anonymous: credentials.is_anonymous(),
        })
    }

    fn next_nc(&mut self, realm: &str, nonce: &str) -> Result<u32, Error> {
        self.clock += 1;
        if let Some(n) = self
            .nonces
            .iter_mut()
            .find(|n| n.realm == realm && n.nonce == nonce)
        {
            n.nc = n.nc.checked_add(1).ok_or(Error::NonceCountExhausted)?;
            n.last_used = self.clock;
            return Ok(n.nc);
        }
        if self.nonces.len() >= Self::MAX_NONCES
            && let Some(oldest) = self
                .nonces
                .iter()
                .enumerate()
                .min_by_key(|(_, n)| n.last_used)
                .map(|(i, _)| i)
        {
            self.nonces.swap_remove(oldest);
        }
        self.nonces.push(NonceCount {
            realm: realm.to_owned(),
            nonce: nonce.to_owned(),
            nc: 1,
            last_used: self.clock,
        });
        Ok(1)
    }

    fn make_cnonce(&mut self) -> Result<String, Error> {
        match &mut self.cnonce {
            CnonceSource::Random => {
                let mut bytes = [0u8; 16];
                getrandom::fill(&mut bytes).map_err(|e| Error::Random(e.to_string()))?;
                Ok(hex_lower(&bytes))
            }
            CnonceSource::Custom(f) => Ok(f()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_challenges;

    fn fixed_cnonce() -> Authenticator {
        Authenticator::new(AuthPolicy::default()).with_cnonce_source(|| "0a4f113b".to_owned())
    }

    fn manager() -> CredentialsManager {
        let mut cm = CredentialsManager::new();
        cm.add(
            "Mufasa",
            "Circle Of Life",
            None,
            Some("testrealm@host.com"),
            None,
        )
        .unwrap();
        cm.add("alice", "secret", Some("127.0.0.1"), None, None)
            .unwrap();
        cm
    }

    const RFC2617: &str = r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#;

    #[test]
    fn end_to_end_reproduces_rfc_2617() {
        let cs = parse_challenges(RFC2617).unwrap();
        let mut auth = fixed_cnonce();
        let out = auth
            .authorize(
                &cs,
                &manager(),
                "pbx",
                "100",
                &AuthRequest::new("GET", "/dir/index.html", b""),
            )
            .unwrap();
        assert_eq!(out.len(), 1);
        let Authorization::Digest(d) = &out[0].authorization else {
            panic!()
        };
        assert_eq!(d.response, "6629fae49393a05397450978507c4ef1");
        assert!(!out[0].stale && !out[0].anonymous);
        assert_eq!(out[0].realm, "testrealm@host.com");
        assert_eq!(
            auth.nonce_count("testrealm@host.com", "dcd98b7102dd2f0e8b11d0f600bfb0c093"),
            1
        );
    }

    #[test]
    fn nonce_count_increments_per_nonce_and_stale_restarts_it() {
        let cs = parse_challenges(RFC2617).unwrap();
        let cm = manager();
        let mut auth = fixed_cnonce();
        let req = AuthRequest::new("GET", "/dir/index.html", b"");
        for expected in 1..=3u32 {
            let out = auth
                .authorize_with(&cs[0], cm.get("x", "testrealm@host.com", "y"), &req)
                .unwrap();
            let Authorization::Digest(d) = &out.authorization else {
                panic!()
            };
            assert_eq!(d.nc, Some(expected));
            assert!(out.to_string().contains(&format!("nc={expected:08x}")));
        }
        // Same nonce announced stale: count restarts, flagged as not-a-failure.
        let stale_value = format!("{RFC2617}, stale=TRUE");
        let stale = parse_challenges(&stale_value).unwrap();
        let out = auth.authorize(&stale, &cm, "x", "y", &req).unwrap();
        let Authorization::Digest(d) = &out[0].authorization else {
            panic!()
        };
        assert_eq!(d.nc, Some(1));
        assert!(out[0].stale);
        // A new nonce starts at 1, the old one keeps its own count.
        let fresh_value = RFC2617.replace("dcd98b", "ffff00");
        let fresh = parse_challenges(&fresh_value).unwrap();
        let out = auth.authorize(&fresh, &cm, "x", "y", &req).unwrap();
        let Authorization::Digest(d) = &out[0].authorization else {
            panic!()
        };
        assert_eq!(d.nc, Some(1));
        assert_eq!(
            auth.nonce_count("testrealm@host.com", "dcd98b7102dd2f0e8b11d0f600bfb0c093"),
            1
        );
    }

    #[test]
    fn nonce_table_is_bounded_lru() {
        let mut auth = fixed_cnonce();
        let creds = Credentials::new("a", "b");
        let req = AuthRequest::new("REGISTER", "sip:voip.test", b"");
        let ch = |i: usize| {
            parse_challenges(&format!(r#"Digest realm="r", nonce="n{i}", qop=auth"#))
                .unwrap()
                .remove(0)
                .into_owned()
        };
        auth.authorize_with(&ch(0), &creds, &req).unwrap();
        for i in 1..Authenticator::MAX_NONCES + 5 {
            auth.authorize_with(&ch(i), &creds, &req).unwrap();
            auth.authorize_with(&ch(0), &creds, &req).unwrap(); // keep n0 recent
        }
        assert_eq!(auth.nonces.len(), Authenticator::MAX_NONCES);
        assert_eq!(
            auth.nonce_count("r", "n0"),
            (Authenticator::MAX_NONCES + 5) as u32
        );
        assert_eq!(
            auth.nonce_count("r", "n1"),
            0,
            "least recently used was evicted"
        );
        auth.reset();
        assert_eq!(auth.nonce_count("r", "n0"), 0);
    }

    #[test]
    fn several_realms_get_one_answer_each_with_their_credentials() {
        let v = r#"Digest realm="testrealm@host.com", nonce="a", qop=auth, Digest realm="other", nonce="b", algorithm=SHA-256, qop=auth"#;
        let cs = parse_challenges(v).unwrap();
        let mut cm = manager();
        cm.add("carol", "pw", None, Some("other"), None).unwrap();
        let users = |server: &str| -> Vec<(String, String)> {
            fixed_cnonce()
                .authorize(
                    &cs,
                    &cm,
                    server,
                    "100",
                    &AuthRequest::new("INVITE", "sip:bob@127.0.0.1", b"v=0"),
                )
                .unwrap()
                .iter()
                .map(|a| match &a.authorization {
                    Authorization::Digest(d) => (d.realm.clone(), d.username.clone()),
                    Authorization::Basic(_) => panic!(),
                })
                .collect()
        };
        let pair = |r: &str, u: &str| (r.to_owned(), u.to_owned());
        assert_eq!(
            users("pbx"),
            [pair("testrealm@host.com", "Mufasa"), pair("other", "carol")]
        );
        // pyVoIP precedence: the server-specific entry beats realm-specific ones.
        assert_eq!(
            users("127.0.0.1"),
            [pair("testrealm@host.com", "alice"), pair("other", "alice")]
        );
    }

    #[test]
    fn anonymous_fallback_and_policy() {
        let cs = parse_challenges(r#"Digest realm="nowhere", nonce="n""#).unwrap();
        let out = fixed_cnonce()
            .authorize(
                &cs,
                &manager(),
                "elsewhere",
                "u",
                &AuthRequest::new("REGISTER", "sip:x", b""),
            )
            .unwrap();
        assert!(out[0].anonymous);
        assert!(
            out[0]
                .to_string()
                .starts_with(r#"Digest username="anonymous""#)
        );
        let mut strict = Authenticator::new(AuthPolicy {
            allow_md5: false,
            ..AuthPolicy::default()
        });
        assert_eq!(
            strict.authorize(
                &cs,
                &manager(),
                "x",
                "u",
                &AuthRequest::new("REGISTER", "sip:x", b"")
            ),
            Err(Error::Md5NotAllowed)
        );
        assert_eq!(
            strict.authorize_with(
                &cs[0],
                Credentials::anonymous(),
                &AuthRequest::new("REGISTER", "sip:x", b"")
            ),
            Err(Error::Md5NotAllowed)
        );
        let basic = parse_challenges(r#"Basic realm="b""#).unwrap();
        let mut lax = Authenticator::new(AuthPolicy {
            allow_basic: true,
            ..AuthPolicy::default()
        });
        let out = lax
            .authorize(
                &basic,
                &manager(),
                "127.0.0.1",
                "u",
                &AuthRequest::new("REGISTER", "sip:x", b""),
            )
            .unwrap();
        assert_eq!(out[0].to_string(), "Basic YWxpY2U6c2VjcmV0");
    }

    #[test]
    fn asterisk_style_407_without_qop() {
        // pyVoIP 2.0.0a4 raises KeyError('uri') on a challenge without qop (peers notes).
        // Expected response from an independent Python hashlib computation.
        let cs = parse_challenges(r#"Digest algorithm=MD5, realm="asterisk", nonce="1a2b3c4d""#)
            .unwrap();
        let mut cm = CredentialsManager::new();
        cm.add("100", "pw", Some("127.0.0.1"), Some("asterisk"), None)
            .unwrap();
        let mut auth = fixed_cnonce();
        let out = auth
            .authorize(
                &cs,
                &cm,
                "127.0.0.1",
                "100",
                &AuthRequest::new("INVITE", "sip:200@127.0.0.1", b"v=0"),
            )
            .unwrap();
        let origin = crate::ChallengeOrigin::from_status(407).unwrap();
        assert_eq!(
            format!("{}: {}", origin.authorization_header(), out[0]),
            "Proxy-Authorization: Digest username=\"100\", realm=\"asterisk\", uri=\"sip:200@127.0.0.1\", \
             algorithm=MD5, nonce=\"1a2b3c4d\", response=\"2d56a1d49619b435d301dc2c17a37ae9\""
        );
        assert_eq!(
            auth.nonce_count("asterisk", "1a2b3c4d"),
            0,
            "no nc without qop"
        );
    }

    #[test]
    fn random_cnonces_are_32_hex_digits_and_differ() {
        let cs = parse_challenges(r#"Digest realm="r", nonce="n", qop=auth"#).unwrap();
        let mut auth = Authenticator::default();
        let creds = Credentials::new("a", "b");
        let req = AuthRequest::new("REGISTER", "sip:x", b"");
        let cnonce = |a: &Authorized| match &a.authorization {
            Authorization::Digest(d) => d.cnonce.clone().unwrap(),
            Authorization::Basic(_) => panic!(),
        };
        let c1 = cnonce(&auth.authorize_with(&cs[0], &creds, &req).unwrap());
        let c2 = cnonce(&auth.authorize_with(&cs[0], &creds, &req).unwrap());
        assert_eq!(c1.len(), 32);
        assert!(c1.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(c1, c2);
        assert!(format!("{auth:?}").contains("random"));
    }
}
