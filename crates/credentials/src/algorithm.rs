//! Digest algorithms (RFC 7616 §3.2, RFC 8760) and quality-of-protection values.

use std::fmt;
use std::str::FromStr;

use ::digest::Digest;

use crate::Error;
use crate::wire::Hex;

/// A digest algorithm from the IANA "HTTP Digest Algorithm Values" registry.
///
/// Tokens are matched ASCII-case-insensitively (`sha-256` is `SHA-256`). Any other name is
/// [`Error::UnknownAlgorithm`]; there is no silent fallback to MD5 (pyVoIP hashes an unknown
/// or misspelt algorithm with MD5 and labels it with the server's name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `MD5` (RFC 2617 compatibility; deprecated by RFC 8760 §3).
    Md5,
    /// `MD5-sess`.
    Md5Sess,
    /// `SHA-256` (mandatory to implement in RFC 7616).
    Sha256,
    /// `SHA-256-sess`.
    Sha256Sess,
    /// `SHA-512-256`: the FIPS 180-4 SHA-512/256 function with its own initial hash value,
    /// not a truncated SHA-512 (pyVoIP truncates, and so do the printed values of RFC 7616
    /// §3.9.2; see erratum 4897).
    Sha512_256,
    /// `SHA-512-256-sess`.
    Sha512_256Sess,
}

impl Algorithm {
    /// All algorithms, weakest first.
    pub const ALL: [Algorithm; 6] = [
        Algorithm::Md5Sess,
        Algorithm::Md5,
        Algorithm::Sha256Sess,
        Algorithm::Sha256,
        Algorithm::Sha512_256Sess,
        Algorithm::Sha512_256,
    ];

    /// Parses a registry token, ASCII-case-insensitively.
    ///
    /// # Errors
    /// [`Error::UnknownAlgorithm`] for any other name.
    pub fn from_token(token: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(token))
            .ok_or_else(|| Error::UnknownAlgorithm(token.to_owned()))
    }

    /// The registry token, in its canonical spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
            Algorithm::Sha512_256 => "SHA-512-256",
            Algorithm::Sha512_256Sess => "SHA-512-256-sess",
        }
    }

    /// Whether this is a `-sess` variant (HA1 re-hashed with nonce and cnonce).
    pub const fn is_session(self) -> bool {
        matches!(
            self,
            Algorithm::Md5Sess | Algorithm::Sha256Sess | Algorithm::Sha512_256Sess
        )
    }

    /// Whether the underlying hash is MD5 (subject to [`AuthPolicy::allow_md5`](crate::AuthPolicy::allow_md5)).
    pub const fn is_md5(self) -> bool {
        matches!(self, Algorithm::Md5 | Algorithm::Md5Sess)
    }

    /// Preference rank, higher is better: the hash's strength first, then the plain form
    /// before its `-sess` variant. `-sess` adds nothing a client can rely on (the response
    /// already mixes in the cnonce whenever qop is used) and fewer servers implement it, so
    /// with equal hashes the plain form is the safer pick.
    pub const fn strength(self) -> u8 {
        match self {
            Algorithm::Md5Sess => 1,
            Algorithm::Md5 => 2,
            Algorithm::Sha256Sess => 3,
            Algorithm::Sha256 => 4,
            Algorithm::Sha512_256Sess => 5,
            Algorithm::Sha512_256 => 6,
        }
    }

    /// `H(p1 ":" p2 ":" ...)` as lower-case hex.
    pub(crate) fn hash_hex(self, parts: &[&[u8]]) -> Hex {
        fn run<D: Digest>(parts: &[&[u8]]) -> Hex {
            let mut h = D::new();
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    h.update(b":");
                }
                h.update(p);
            }
            Hex::new(&h.finalize())
        }
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => run::<md5::Md5>(parts),
            Algorithm::Sha256 | Algorithm::Sha256Sess => run::<sha2::Sha256>(parts),
            Algorithm::Sha512_256 | Algorithm::Sha512_256Sess => run::<sha2::Sha512_256>(parts),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::from_token(s)
    }
}

/// Quality of protection (RFC 7616 §3.3 `qop`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Qop {
    /// `auth`: authentication of the request line.
    Auth,
    /// `auth-int`: authentication plus integrity of the message body.
    AuthInt,
}

impl Qop {
    /// Parses a qop token, ASCII-case-insensitively; `None` for tokens this crate does not
    /// implement (they are skipped when choosing).
    pub fn from_token(token: &str) -> Option<Self> {
        if token.eq_ignore_ascii_case("auth") {
            Some(Qop::Auth)
        } else if token.eq_ignore_ascii_case("auth-int") {
            Some(Qop::AuthInt)
        } else {
            None
        }
    }

    /// The wire token.
    pub const fn as_str(self) -> &'static str {
        match self {
            Qop::Auth => "auth",
            Qop::AuthInt => "auth-int",
        }
    }
}

impl fmt::Display for Qop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_case_insensitive_and_unknown_is_an_error() {
        for a in Algorithm::ALL {
            assert_eq!(Algorithm::from_token(a.as_str()), Ok(a));
            assert_eq!(
                Algorithm::from_token(&a.as_str().to_ascii_lowercase()),
                Ok(a)
            );
            assert_eq!(
                Algorithm::from_token(&a.as_str().to_ascii_uppercase()),
                Ok(a)
            );
            assert_eq!(a.to_string().parse::<Algorithm>(), Ok(a));
        }
        // pyVoIP's spellings are not registry tokens.
        for bad in ["sha256", "SHA512-256", "SHA-1", "", "MD5 ", "md5-sess-x"] {
            assert_eq!(
                Algorithm::from_token(bad),
                Err(Error::UnknownAlgorithm(bad.into()))
            );
        }
    }

    #[test]
    fn ranking_puts_hash_strength_first() {
        let mut sorted = Algorithm::ALL;
        sorted.sort_by_key(|a| a.strength());
        assert_eq!(sorted, Algorithm::ALL);
        assert!(Algorithm::Sha256Sess.strength() > Algorithm::Md5.strength());
        assert!(Algorithm::Sha512_256Sess.strength() > Algorithm::Sha256.strength());
    }

    #[test]
    fn sha512_256_is_the_fips_function_not_truncated_sha512() {
        // FIPS 180-4 / NIST example: SHA-512/256("abc").
        assert_eq!(
            Algorithm::Sha512_256.hash_hex(&[b"abc"]).as_str(),
            "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23"
        );
        assert_eq!(
            Algorithm::Sha256.hash_hex(&[b"abc"]).as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            Algorithm::Md5.hash_hex(&[b"abc"]).as_str(),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        // Parts are joined with ':'.
        assert_eq!(
            Algorithm::Md5.hash_hex(&[b"a", b"bc"]).as_str(),
            Algorithm::Md5.hash_hex(&[b"a:bc"]).as_str()
        );
    }

    #[test]
    fn qop_tokens() {
        assert_eq!(Qop::from_token("AUTH"), Some(Qop::Auth));
        assert_eq!(Qop::from_token("auth-int"), Some(Qop::AuthInt));
        assert_eq!(Qop::from_token("auth-conf"), None);
        assert_eq!(Qop::AuthInt.to_string(), "auth-int");
    }
}
