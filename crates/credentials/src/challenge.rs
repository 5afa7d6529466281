//! Parsed authentication challenges (`WWW-Authenticate` / `Proxy-Authenticate` values) and
//! their serialization.
//!
//! Values borrow from the parsed header when they contain no escapes (`Cow::Borrowed`) and
//! are unescaped into an owned string otherwise. `Display` writes the canonical wire form,
//! which parses back to an equal challenge.

use std::borrow::Cow;
use std::fmt::{self, Write};

use crate::wire::{write_quoted, write_token_or_quoted};
use crate::{Algorithm, Error, Qop};

/// One `name=value` authentication parameter that this crate does not interpret.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AuthParam<'a> {
    /// Parameter name as received (a token; compare case-insensitively).
    pub name: Cow<'a, str>,
    /// Unescaped value.
    pub value: Cow<'a, str>,
}

impl AuthParam<'_> {
    /// Detaches from the parsed input.
    pub fn into_owned(self) -> AuthParam<'static> {
        AuthParam {
            name: Cow::Owned(self.name.into_owned()),
            value: Cow::Owned(self.value.into_owned()),
        }
    }
}

/// Which header carried a challenge, and so which header answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChallengeOrigin {
    /// `WWW-Authenticate` in a 401, answered with `Authorization`.
    Server,
    /// `Proxy-Authenticate` in a 407, answered with `Proxy-Authorization`.
    Proxy,
}

impl ChallengeOrigin {
    /// The origin for a SIP status code: 401 is [`Server`](Self::Server), 407 is
    /// [`Proxy`](Self::Proxy), anything else `None`.
    pub const fn from_status(status: u16) -> Option<Self> {
        match status {
            401 => Some(Self::Server),
            407 => Some(Self::Proxy),
            _ => None,
        }
    }

    /// The header that carries the challenge.
    pub const fn challenge_header(self) -> &'static str {
        match self {
            Self::Server => "WWW-Authenticate",
            Self::Proxy => "Proxy-Authenticate",
        }
    }

    /// The header that carries the answer.
    pub const fn authorization_header(self) -> &'static str {
        match self {
            Self::Server => "Authorization",
            Self::Proxy => "Proxy-Authorization",
        }
    }
}

/// One challenge from a `WWW-Authenticate` or `Proxy-Authenticate` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge<'a> {
    /// `Digest ...` (RFC 7616).
    Digest(DigestChallenge<'a>),
    /// `Basic ...` (RFC 7617).
    Basic(BasicChallenge<'a>),
    /// Any other scheme, kept so callers can see what was offered.
    Other(OtherChallenge<'a>),
}

impl<'a> Challenge<'a> {
    /// Parses every challenge in one header value. See [`parse_challenges`](crate::parse_challenges).
    ///
    /// # Errors
    /// See [`parse_challenges`](crate::parse_challenges).
    pub fn parse_all(value: &'a str) -> Result<Vec<Self>, Error> {
        crate::parse_challenges(value)
    }

    /// The scheme name (`Digest`, `Basic`, or as received).
    pub fn scheme(&self) -> &str {
        match self {
            Challenge::Digest(_) => "Digest",
            Challenge::Basic(_) => "Basic",
            Challenge::Other(o) => &o.scheme,
        }
    }

    /// The realm, if the challenge has one.
    pub fn realm(&self) -> Option<&str> {
        match self {
            Challenge::Digest(d) => Some(&d.realm),
            Challenge::Basic(b) => b.realm.as_deref(),
            Challenge::Other(o) => o.param("realm"),
        }
    }

    /// Detaches from the parsed input.
    pub fn into_owned(self) -> Challenge<'static> {
        match self {
            Challenge::Digest(d) => Challenge::Digest(d.into_owned()),
            Challenge::Basic(b) => Challenge::Basic(b.into_owned()),
            Challenge::Other(o) => Challenge::Other(o.into_owned()),
        }
    }
}

impl fmt::Display for Challenge<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Challenge::Digest(d) => d.fmt(f),
            Challenge::Basic(b) => b.fmt(f),
            Challenge::Other(o) => o.fmt(f),
        }
    }
}

/// A Digest challenge (RFC 7616 §3.3).
///
/// Token-valued parameters (`algorithm`, `charset`) are kept as received; interpret them
/// with [`algorithm`](Self::algorithm). `qop` keeps the raw list; see
/// [`qop_options`](Self::qop_options) and [`choose_qop`](Self::choose_qop).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DigestChallenge<'a> {
    /// `realm` (mandatory).
    pub realm: Cow<'a, str>,
    /// `domain`: space-separated URIs of the protection space, raw.
    pub domain: Option<Cow<'a, str>>,
    /// `nonce` (mandatory).
    pub nonce: Cow<'a, str>,
    /// `opaque`, echoed back unchanged.
    pub opaque: Option<Cow<'a, str>>,
    /// `stale=true` (case-insensitive): the previous request's credentials were right but
    /// its nonce expired. Retry with the new nonce; this is not an authentication failure.
    pub stale: bool,
    /// `algorithm` as received; absent means MD5.
    pub algorithm: Option<Cow<'a, str>>,
    /// `qop` list as received (without quotes); absent means the RFC 2069 form.
    pub qop: Option<Cow<'a, str>>,
    /// `charset` (only `UTF-8` is defined).
    pub charset: Option<Cow<'a, str>>,
    /// `userhash=true`: the server wants the username hashed (RFC 7616 §3.4.4).
    pub userhash: bool,
    /// Parameters this crate does not interpret, in order.
    pub other: Vec<AuthParam<'a>>,
}

impl<'a> DigestChallenge<'a> {
    /// A challenge with just a realm and a nonce (MD5, no qop).
    pub fn new(realm: impl Into<Cow<'a, str>>, nonce: impl Into<Cow<'a, str>>) -> Self {
        Self {
            realm: realm.into(),
            nonce: nonce.into(),
            ..Self::default()
        }
    }

    /// The algorithm; MD5 when the parameter is absent (RFC 7616 §3.3).
    ///
    /// # Errors
    /// [`Error::UnknownAlgorithm`] for a name outside the registry.
    pub fn algorithm(&self) -> Result<Algorithm, Error> {
        match &self.algorithm {
            None => Ok(Algorithm::Md5),
            Some(a) => Algorithm::from_token(a),
        }
    }

    /// The qop tokens offered, trimmed, empty elements skipped.
    pub fn qop_options(&self) -> impl Iterator<Item = &str> + '_ {
        self.qop
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(|t| t.trim_matches([' ', '\t']))
            .filter(|t| !t.is_empty())
    }

    /// The qop to answer with: `None` when the challenge offers none (RFC 2069 form; an
    /// empty `qop=""` counts as none); otherwise `auth`, or `auth-int` when it is preferred
    /// or the only one offered.
    ///
    /// `auth` is the default preference because it is what servers check: `auth-int` only
    /// adds the body's hash, which proves little when the body is not secret, and forces
    /// hashing every body. Prefer `auth-int` when the caller needs body integrity.
    ///
    /// # Errors
    /// [`Error::UnsupportedQop`] when the list names only unknown values.
    pub fn choose_qop(&self, prefer_auth_int: bool) -> Result<Option<Qop>, Error> {
        let (mut auth, mut auth_int, mut any) = (false, false, false);
        for t in self.qop_options() {
            any = true;
            match Qop::from_token(t) {
                Some(Qop::Auth) => auth = true,
                Some(Qop::AuthInt) => auth_int = true,
                None => {}
            }
        }
        match (auth, auth_int) {
            _ if !any => Ok(None),
            (true, true) => Ok(Some(if prefer_auth_int {
                Qop::AuthInt
            } else {
                Qop::Auth
            })),
            (true, false) => Ok(Some(Qop::Auth)),
            (false, true) => Ok(Some(Qop::AuthInt)),
            (false, false) => Err(Error::UnsupportedQop(
                self.qop.as_deref().unwrap_or("").to_owned(),
            )),
        }
    }

    /// The `domain` URIs.
    pub fn domain_uris(&self) -> impl Iterator<Item = &str> + '_ {
        self.domain
            .as_deref()
            .unwrap_or("")
            .split([' ', '\t'])
            .filter(|u| !u.is_empty())
    }

    /// An uninterpreted parameter's value, by case-insensitive name.
    pub fn param(&self, name: &str) -> Option<&str> {
        find_param(&self.other, name)
    }

    /// Detaches from the parsed input.
    pub fn into_owned(self) -> DigestChallenge<'static> {
        DigestChallenge {
            realm: owned(self.realm),
            domain: self.domain.map(owned),
            nonce: owned(self.nonce),
            opaque: self.opaque.map(owned),
            stale: self.stale,
            algorithm: self.algorithm.map(owned),
            qop: self.qop.map(owned),
            charset: self.charset.map(owned),
            userhash: self.userhash,
            other: self.other.into_iter().map(AuthParam::into_owned).collect(),
        }
    }
}

impl fmt::Display for DigestChallenge<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Digest realm=")?;
        write_quoted(f, &self.realm)?;
        if let Some(d) = &self.domain {
            f.write_str(", domain=")?;
            write_quoted(f, d)?;
        }
        f.write_str(", nonce=")?;
        write_quoted(f, &self.nonce)?;
        if let Some(o) = &self.opaque {
            f.write_str(", opaque=")?;
            write_quoted(f, o)?;
        }
        if self.stale {
            f.write_str(", stale=true")?;
        }
        if let Some(a) = &self.algorithm {
            f.write_str(", algorithm=")?;
            write_token_or_quoted(f, a)?;
        }
        if let Some(q) = &self.qop {
            f.write_str(", qop=")?;
            write_quoted(f, q)?;
        }
        if let Some(c) = &self.charset {
            f.write_str(", charset=")?;
            write_token_or_quoted(f, c)?;
        }
        if self.userhash {
            f.write_str(", userhash=true")?;
        }
        write_params(f, &self.other, true)
    }
}

/// A Basic challenge (RFC 7617 §2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BasicChallenge<'a> {
    /// `realm` (required by RFC 7617, but tolerated when missing).
    pub realm: Option<Cow<'a, str>>,
    /// `charset` (only `UTF-8` is defined).
    pub charset: Option<Cow<'a, str>>,
    /// Parameters this crate does not interpret.
    pub other: Vec<AuthParam<'a>>,
}

impl BasicChallenge<'_> {
    /// Detaches from the parsed input.
    pub fn into_owned(self) -> BasicChallenge<'static> {
        BasicChallenge {
            realm: self.realm.map(owned),
            charset: self.charset.map(owned),
            other: self.other.into_iter().map(AuthParam::into_owned).collect(),
        }
    }
}

impl fmt::Display for BasicChallenge<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Basic")?;
        let mut any = false;
        if let Some(r) = &self.realm {
            f.write_str(" realm=")?;
            write_quoted(f, r)?;
            any = true;
        }
        if let Some(c) = &self.charset {
            f.write_str(if any { ", charset=" } else { " charset=" })?;
            write_token_or_quoted(f, c)?;
            any = true;
        }
        if !any && !self.other.is_empty() {
            f.write_char(' ')?;
        }
        write_params(f, &self.other, any)
    }
}

/// A challenge in a scheme this crate does not implement (`Bearer`, `Negotiate`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OtherChallenge<'a> {
    /// The scheme as received.
    pub scheme: Cow<'a, str>,
    /// The `token68` form's value, if that form was used.
    pub token68: Option<Cow<'a, str>>,
    /// The parameters, if the parameter form was used.
    pub params: Vec<AuthParam<'a>>,
}

impl OtherChallenge<'_> {
    /// A parameter's value, by case-insensitive name.
    pub fn param(&self, name: &str) -> Option<&str> {
        find_param(&self.params, name)
    }

    /// Detaches from the parsed input.
    pub fn into_owned(self) -> OtherChallenge<'static> {
        OtherChallenge {
            scheme: owned(self.scheme),
            token68: self.token68.map(owned),
            params: self.params.into_iter().map(AuthParam::into_owned).collect(),
        }
    }
}

impl fmt::Display for OtherChallenge<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.scheme)?;
        if let Some(t) = &self.token68 {
            f.write_char(' ')?;
            f.write_str(t)?;
        }
        if !self.params.is_empty() {
            f.write_char(' ')?;
            write_params(f, &self.params, false)?;
        }
        Ok(())
    }
}

fn owned(c: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(c.into_owned())
}

fn find_param<'p>(params: &'p [AuthParam<'_>], name: &str) -> Option<&'p str> {
    params
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
        .map(|p| &*p.value)
}

fn write_params(
    f: &mut fmt::Formatter<'_>,
    params: &[AuthParam<'_>],
    mut comma: bool,
) -> fmt::Result {
    for p in params {
        if comma {
            f.write_str(", ")?;
        }
        comma = true;
        f.write_str(&p.name)?;
        f.write_char('=')?;
        write_token_or_quoted(f, &p.value)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qop_choice() {
        let mut c = DigestChallenge::new("r", "n");
        assert_eq!(c.choose_qop(false), Ok(None));
        c.qop = Some("".into());
        assert_eq!(c.choose_qop(true), Ok(None));
        c.qop = Some("auth, auth-int".into());
        assert_eq!(c.choose_qop(false), Ok(Some(Qop::Auth)));
        assert_eq!(c.choose_qop(true), Ok(Some(Qop::AuthInt)));
        c.qop = Some("auth-int".into());
        assert_eq!(c.choose_qop(false), Ok(Some(Qop::AuthInt)));
        c.qop = Some(" AUTH ,auth-conf".into());
        assert_eq!(c.choose_qop(true), Ok(Some(Qop::Auth)));
        c.qop = Some("auth-conf".into());
        assert_eq!(
            c.choose_qop(false),
            Err(Error::UnsupportedQop("auth-conf".into()))
        );
    }

    #[test]
    fn algorithm_defaults_to_md5_and_rejects_unknown() {
        let mut c = DigestChallenge::new("r", "n");
        assert_eq!(c.algorithm(), Ok(Algorithm::Md5));
        c.algorithm = Some("sha-512-256-SESS".into());
        assert_eq!(c.algorithm(), Ok(Algorithm::Sha512_256Sess));
        c.algorithm = Some("SHA-1".into());
        assert_eq!(c.algorithm(), Err(Error::UnknownAlgorithm("SHA-1".into())));
    }

    #[test]
    fn display_forms() {
        let mut c = DigestChallenge::new("a \"b\"", "n\\1");
        c.algorithm = Some("SHA-256".into());
        c.qop = Some("auth,auth-int".into());
        c.stale = true;
        c.other.push(AuthParam {
            name: "x".into(),
            value: "two words".into(),
        });
        assert_eq!(
            c.to_string(),
            r#"Digest realm="a \"b\"", nonce="n\\1", stale=true, algorithm=SHA-256, qop="auth,auth-int", x="two words""#
        );
        let b = BasicChallenge {
            realm: Some("r".into()),
            charset: Some("UTF-8".into()),
            other: vec![],
        };
        assert_eq!(b.to_string(), r#"Basic realm="r", charset=UTF-8"#);
        assert_eq!(BasicChallenge::default().to_string(), "Basic");
        let b = BasicChallenge {
            other: vec![AuthParam {
                name: "a".into(),
                value: "".into(),
            }],
            ..Default::default()
        };
        assert_eq!(b.to_string(), r#"Basic a="""#);
        let b = BasicChallenge {
            charset: Some("UTF-8".into()),
            ..Default::default()
        };
        assert_eq!(b.to_string(), "Basic charset=UTF-8");
        let o = OtherChallenge {
            scheme: "Negotiate".into(),
            token68: Some("YII=".into()),
            params: vec![],
        };
        assert_eq!(o.to_string(), "Negotiate YII=");
        assert_eq!(
            ChallengeOrigin::from_status(407).map(|o| o.authorization_header()),
            Some("Proxy-Authorization")
        );
        assert_eq!(
            ChallengeOrigin::from_status(401).map(|o| o.challenge_header()),
            Some("WWW-Authenticate")
        );
        assert_eq!(ChallengeOrigin::from_status(403), None);
    }
}
