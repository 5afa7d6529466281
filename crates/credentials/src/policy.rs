//! [`AuthPolicy`]: which schemes and algorithms may be used, and which challenge to answer.

use crate::{Challenge, Error};

/// What the client is willing to answer, with pyVoIP's defaults.
///
/// | pyVoIP | here | default |
/// |---|---|---|
/// | `ALLOW_BASIC_AUTH = False` | [`allow_basic`](Self::allow_basic) | `false`: Basic sends the password itself |
/// | `ALLOW_MD5_AUTH = True` | [`allow_md5`](Self::allow_md5) | `true`: deprecated (RFC 8760 §3) but still common |
/// | (none) | [`prefer_auth_int`](Self::prefer_auth_int) | `false`: answer `auth` when both are offered |
///
/// # Choosing among challenges
/// A 401/407 may carry several challenges, one per algorithm (RFC 7616 §3.7) and, in SIP,
/// one per realm when several proxies challenge (RFC 3261 §22.3). [`select`](Self::select)
/// groups them by realm and keeps, per realm, the strongest one the policy allows:
/// SHA-512-256 > SHA-512-256-sess > SHA-256 > SHA-256-sess > MD5 > MD5-sess > Basic (see
/// [`Algorithm::strength`](crate::Algorithm::strength)); equal ranks keep the server's order.
/// RFC 7616 suggests taking the server's first supported challenge "unless local policy
/// dictates otherwise"; preferring the strongest hash is that local policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AuthPolicy {
    /// Allow answering Basic challenges.
    pub allow_basic: bool,
    /// Allow MD5 and MD5-sess digests.
    pub allow_md5: bool,
    /// Answer `qop=auth-int` (hash of the body) when a challenge offers both `auth` and
    /// `auth-int`. Off by default: `auth` is what every server checks, and `auth-int` makes
    /// every answer hash the body. A challenge offering only `auth-int` gets `auth-int`
    /// either way.
    pub prefer_auth_int: bool,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        Self::PYVOIP
    }
}

impl AuthPolicy {
    /// pyVoIP 2.0's defaults: Basic refused, MD5 allowed, `auth` preferred.
    pub const PYVOIP: Self = Self {
        allow_basic: false,
        allow_md5: true,
        prefer_auth_int: false,
    };

    /// Whether the policy allows answering `challenge`, and its rank (higher is better).
    ///
    /// # Errors
    /// Why not: [`Error::BasicNotAllowed`], [`Error::Md5NotAllowed`],
    /// [`Error::UnknownAlgorithm`], [`Error::UnsupportedQop`],
    /// [`Error::SessionAlgorithmWithoutQop`] or [`Error::UnsupportedScheme`].
    pub fn rank(&self, challenge: &Challenge<'_>) -> Result<u8, Error> {
        match challenge {
            Challenge::Digest(d) => {
                let algorithm = d.algorithm()?;
                if algorithm.is_md5() && !self.allow_md5 {
                    return Err(Error::Md5NotAllowed);
                }
                let qop = d.choose_qop(self.prefer_auth_int)?;
                if algorithm.is_session() && qop.is_none() {
                    return Err(Error::SessionAlgorithmWithoutQop(algorithm.as_str()));
                }
                Ok(1 + algorithm.strength())
            }
            Challenge::Basic(_) if self.allow_basic => Ok(0),
            Challenge::Basic(_) => Err(Error::BasicNotAllowed),
            Challenge::Other(o) => Err(Error::UnsupportedScheme(o.scheme.to_string())),
        }
    }

    /// The challenges to answer: per realm (in order of first appearance) the best one the
    /// policy allows. A realm with no acceptable challenge is left out; the request will
    /// most likely be challenged again, and the caller sees which realms were answered.
    ///
    /// # Errors
    /// When nothing at all can be answered: the reason the first Digest or Basic challenge
    /// was refused (else the first other scheme's), or [`Error::NoChallenge`] for an empty
    /// list.
    pub fn select<'c, 'a>(
        &self,
        challenges: &'c [Challenge<'a>],
    ) -> Result<Vec<&'c Challenge<'a>>, Error> {
        // (realm, best rank, index of best)
        let mut best: Vec<(&str, Option<(u8, usize)>)> = Vec::new();
        let mut first_error: Option<Error> = None;
        let mut first_scheme_error: Option<Error> = None;
        for (i, c) in challenges.iter().enumerate() {
            let realm = c.realm().unwrap_or("");
            let slot = match best.iter().position(|(r, _)| *r == realm) {
                Some(p) => p,
                None => {
                    best.push((realm, None));
                    best.len() - 1
                }
            };
            match self.rank(c) {
                Ok(rank) => {
                    if best[slot].1.is_none_or(|(r, _)| rank > r) {
                        best[slot].1 = Some((rank, i));
                    }
                }
                Err(e @ Error::UnsupportedScheme(_)) => {
                    first_scheme_error.get_or_insert(e);
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        let chosen: Vec<_> = best
            .iter()
            .filter_map(|(_, b)| b.map(|(_, i)| &challenges[i]))
            .collect();
        if chosen.is_empty() {
            return Err(first_error
                .or(first_scheme_error)
                .unwrap_or(Error::NoChallenge));
        }
        Ok(chosen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_challenges;

    fn algs(chosen: &[&Challenge<'_>]) -> Vec<String> {
        chosen
            .iter()
            .map(|c| match c {
                Challenge::Digest(d) => d.algorithm().unwrap().to_string(),
                other => other.scheme().to_owned(),
            })
            .collect()
    }

    #[test]
    fn defaults_are_pyvoips() {
        let p = AuthPolicy::default();
        assert!(!p.allow_basic && p.allow_md5 && !p.prefer_auth_int);
    }

    #[test]
    fn strongest_allowed_wins_per_realm() {
        let v = r#"Digest realm="a", nonce="1", algorithm=MD5, qop=auth, Digest realm="a", nonce="1", algorithm=SHA-256-sess, qop=auth, Digest realm="a", nonce="1", algorithm=SHA-256, qop=auth, Basic realm="a", Digest realm="b", nonce="2""#;
        let cs = parse_challenges(v).unwrap();
        assert_eq!(
            algs(&AuthPolicy::default().select(&cs).unwrap()),
            ["SHA-256", "MD5"]
        );
        let no_md5 = AuthPolicy {
            allow_md5: false,
            ..AuthPolicy::default()
        };
        assert_eq!(
            algs(&no_md5.select(&cs).unwrap()),
            ["SHA-256"],
            "realm b has only MD5"
        );
        let v = r#"Digest realm="a", nonce="1", algorithm=SHA-512-256-sess, qop=auth, Digest realm="a", nonce="1", algorithm=SHA-256, qop=auth"#;
        assert_eq!(
            algs(
                &AuthPolicy::default()
                    .select(&parse_challenges(v).unwrap())
                    .unwrap()
            ),
            ["SHA-512-256-sess"]
        );
    }

    #[test]
    fn ties_keep_server_order_and_unknown_algorithms_are_skipped() {
        let v = r#"Digest realm="a", nonce="first", algorithm=SHA-1, Digest realm="a", nonce="second", Digest realm="a", nonce="third""#;
        let cs = parse_challenges(v).unwrap();
        let chosen = AuthPolicy::default().select(&cs).unwrap();
        let Challenge::Digest(d) = chosen[0] else {
            panic!()
        };
        assert_eq!(d.nonce, "second");
    }

    #[test]
    fn basic_only_when_allowed() {
        let cs = parse_challenges(r#"Basic realm="a""#).unwrap();
        assert_eq!(
            AuthPolicy::default().select(&cs),
            Err(Error::BasicNotAllowed)
        );
        let allow = AuthPolicy {
            allow_basic: true,
            ..AuthPolicy::default()
        };
        assert_eq!(algs(&allow.select(&cs).unwrap()), ["Basic"]);
        // Digest MD5 still beats Basic.
        let cs = parse_challenges(r#"Basic realm="a", Digest realm="a", nonce="n""#).unwrap();
        assert_eq!(algs(&allow.select(&cs).unwrap()), ["MD5"]);
    }

    #[test]
    fn errors_explain_why_nothing_is_usable() {
        let no_md5 = AuthPolicy {
            allow_md5: false,
            ..AuthPolicy::default()
        };
        let cs = parse_challenges(r#"Negotiate abc, Digest realm="a", nonce="n""#).unwrap();
        assert_eq!(no_md5.select(&cs), Err(Error::Md5NotAllowed));
        let cs = parse_challenges("Negotiate abc").unwrap();
        assert_eq!(
            no_md5.select(&cs),
            Err(Error::UnsupportedScheme("Negotiate".into()))
        );
        assert_eq!(no_md5.select(&[]), Err(Error::NoChallenge));
        let cs = parse_challenges(r#"Digest realm="a", nonce="n", algorithm=SHA-1"#).unwrap();
        assert_eq!(
            no_md5.select(&cs),
            Err(Error::UnknownAlgorithm("SHA-1".into()))
        );
        let cs =
            parse_challenges(r#"Digest realm="a", nonce="n", algorithm=SHA-256-sess"#).unwrap();
        assert_eq!(
            no_md5.select(&cs),
            Err(Error::SessionAlgorithmWithoutQop("SHA-256-sess"))
        );
    }
}
