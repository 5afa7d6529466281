//! Digest responses (RFC 7616 §3.4, RFC 2617 §3.2.2, RFC 2069 compatibility form).
//!
//! [`respond`] is the stateless core: one challenge, one set of credentials, one request,
//! explicit cnonce and nonce count. [`Authenticator`](crate::Authenticator) wraps it with
//! the policy, the nonce counts and a random cnonce.

use std::fmt::{self, Write};

use crate::wire::{Hex, is_quotable_str, is_token, write_ext_value, write_quoted};
use crate::{Algorithm, Credentials, DigestChallenge, Error, Qop};

/// What the request being authorized contributes to a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestRequest<'a> {
    /// The request method (`REGISTER`, `INVITE`, ...). For a SIP ACK or CANCEL use the
    /// method of the request they belong to only where RFC 3261 says so; this crate hashes
    /// what it is given.
    pub method: &'a str,
    /// The digest `uri`: the Request-URI exactly as it appears in the request line.
    pub uri: &'a str,
    /// The message body, hashed for `qop=auth-int` (empty when there is none).
    pub body: &'a [u8],
    /// The client nonce (ignored in the RFC 2069 form, which has none).
    pub cnonce: &'a str,
    /// The nonce count: 1 for the first request with this nonce, then 2, 3, ...
    pub nc: u32,
    /// Answer with `auth-int` when the challenge offers both `auth` and `auth-int`.
    pub prefer_auth_int: bool,
    /// Hash the username when the challenge has `userhash=true` (the default). With
    /// `false` the answer carries `userhash=false` and the plain username.
    pub hash_username: bool,
}

impl<'a> DigestRequest<'a> {
    /// A request with an empty body, `auth` preferred and userhash honoured.
    pub fn new(method: &'a str, uri: &'a str, cnonce: &'a str, nc: u32) -> Self {
        Self {
            method,
            uri,
            body: b"",
            cnonce,
            nc,
            prefer_auth_int: false,
            hash_username: true,
        }
    }

    /// Sets the body hashed by `auth-int`.
    #[must_use]
    pub fn with_body(mut self, body: &'a [u8]) -> Self {
        self.body = body;
        self
    }
}

/// How the username appears in a [`DigestAuthorization`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsernameForm {
    /// `username="..."`, the username itself.
    Plain,
    /// `username="<hex>"`: `H(username ":" realm)` because the server asked for userhash.
    Hashed,
    /// `username*=UTF-8''...` (RFC 8187): a non-ASCII username, not hashed, and the server
    /// declared `charset=UTF-8`.
    Extended,
}

/// A computed Digest answer; `Display` writes the `Authorization` /
/// `Proxy-Authorization` header value.
///
/// The parameter order and quoting follow RFC 7616 §3.4 and its examples: `username`,
/// `realm`, `uri`, `nonce`, `cnonce`, `response` and `opaque` are quoted-strings;
/// `algorithm`, `nc` (8 lower-case hex digits), `qop` and `userhash` are tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestAuthorization {
    /// The username as sent (see [`username_form`](Self::username_form)).
    pub username: String,
    /// How `username` is encoded.
    pub username_form: UsernameForm,
    /// The challenge's realm.
    pub realm: String,
    /// The digest URI.
    pub uri: String,
    /// The algorithm token echoed from the challenge (the server's own spelling), or `None`
    /// when the challenge had none (MD5 implied, nothing sent).
    pub algorithm: Option<String>,
    /// The algorithm used.
    pub algorithm_used: Algorithm,
    /// The challenge's nonce.
    pub nonce: String,
    /// The qop answered, `None` for the RFC 2069 form.
    pub qop: Option<Qop>,
    /// The nonce count sent (only with a qop).
    pub nc: Option<u32>,
    /// The client nonce sent (only with a qop).
    pub cnonce: Option<String>,
    /// The request digest, lower-case hex.
    pub response: String,
    /// The challenge's opaque, echoed.
    pub opaque: Option<String>,
    /// `userhash=true/false`, sent only when the challenge carried `userhash`.
    pub userhash: Option<bool>,
}

impl fmt::Display for DigestAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.username_form {
            UsernameForm::Extended => {
                f.write_str("Digest username*=")?;
                write_ext_value(f, &self.username)?;
            }
            UsernameForm::Plain | UsernameForm::Hashed => {
                f.write_str("Digest username=")?;
                write_quoted(f, &self.username)?;
            }
        }
        f.write_str(", realm=")?;
        write_quoted(f, &self.realm)?;
        f.write_str(", uri=")?;
        write_quoted(f, &self.uri)?;
        if let Some(a) = &self.algorithm {
            write!(f, ", algorithm={a}")?;
        }
        f.write_str(", nonce=")?;
        write_quoted(f, &self.nonce)?;
        if let (Some(qop), Some(nc), Some(cnonce)) = (self.qop, self.nc, &self.cnonce) {
            write!(f, ", nc={nc:08x}, cnonce=")?;
            write_quoted(f, cnonce)?;
            write!(f, ", qop={qop}")?;
        }
        f.write_str(", response=")?;
        write_quoted(f, &self.response)?;
        if let Some(o) = &self.opaque {
            f.write_str(", opaque=")?;
            write_quoted(f, o)?;
        }
        if let Some(u) = self.userhash {
            f.write_str(if u {
                ", userhash=true"
            } else {
                ", userhash=false"
            })?;
        }
        Ok(())
    }
}

/// Computes the answer to a Digest challenge.
///
/// * `HA1 = H(username ":" realm ":" password)`; for `-sess`,
///   `HA1 = H(HA1 ":" nonce ":" cnonce)` (RFC 7616 §3.4.2).
/// * `HA2 = H(method ":" uri)`, or `H(method ":" uri ":" H(body))` for `auth-int`.
/// * `response = H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2)`, or
///   `H(HA1 ":" nonce ":" HA2)` when the challenge has no qop (RFC 2069 form).
/// * With `userhash=true` the username sent is `H(username ":" realm)` (RFC 7616 §3.4.4).
///
/// Strings are hashed as UTF-8 (RFC 7616's `charset=UTF-8`; without it RFC 2617 leaves the
/// encoding open and UTF-8 is what SIP uses). This function applies no policy: check
/// [`AuthPolicy`](crate::AuthPolicy) first, or use [`Authenticator`](crate::Authenticator).
///
/// # Errors
/// [`Error::UnknownAlgorithm`], [`Error::UnsupportedQop`],
/// [`Error::SessionAlgorithmWithoutQop`], or [`Error::InvalidValue`] when the method is not
/// a token or a value holds control characters (which would break the header line).
///
/// ```
/// use credentials::{digest, parse_challenges, Challenge, Credentials};
///
/// // RFC 2617 §3.5.
/// let v = r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#;
/// let Challenge::Digest(ch) = &parse_challenges(v)?[0] else { unreachable!() };
/// let creds = Credentials::new("Mufasa", "Circle Of Life");
/// let req = digest::DigestRequest::new("GET", "/dir/index.html", "0a4f113b", 1);
/// let auth = digest::respond(ch, &creds, &req)?;
/// assert_eq!(auth.response, "6629fae49393a05397450978507c4ef1");
/// # Ok::<(), credentials::Error>(())
/// ```
pub fn respond(
    challenge: &DigestChallenge<'_>,
    credentials: &Credentials,
    request: &DigestRequest<'_>,
) -> Result<DigestAuthorization, Error> {
    let algorithm = challenge.algorithm()?;
    respond_with(challenge, credentials, request, algorithm, &|parts| {
        algorithm.hash_hex(parts)
    })
}

/// The digest computation with the hash function passed in, so that tests can show the
/// RFC 7616 §3.9.2 printed values come from a truncated SHA-512.
pub(crate) fn respond_with(
    challenge: &DigestChallenge<'_>,
    credentials: &Credentials,
    request: &DigestRequest<'_>,
    algorithm: Algorithm,
    h: &dyn Fn(&[&[u8]]) -> Hex,
) -> Result<DigestAuthorization, Error> {
    let qop = challenge.choose_qop(request.prefer_auth_int)?;
    if algorithm.is_session() && qop.is_none() {
        return Err(Error::SessionAlgorithmWithoutQop(algorithm.as_str()));
    }
    check_quotable("username", credentials.username())?;
    check_quotable("uri", request.uri)?;
    check_quotable("realm", &challenge.realm)?;
    check_quotable("nonce", &challenge.nonce)?;
    if let Some(o) = &challenge.opaque {
        check_quotable("opaque", o)?;
    }
    if !is_token(request.method) {
        return Err(Error::InvalidValue {
            what: "method",
            why: "not a token",
        });
    }
    if qop.is_some() {
        check_quotable("cnonce", request.cnonce)?;
        if request.cnonce.is_empty() {
            return Err(Error::InvalidValue {
                what: "cnonce",
                why: "empty",
            });
        }
    }

    let (user, realm, nonce) = (credentials.username(), &*challenge.realm, &*challenge.nonce);
    let (cnonce, method, uri) = (
        request.cnonce.as_bytes(),
        request.method.as_bytes(),
        request.uri.as_bytes(),
    );
    let nc = Hex::new(&request.nc.to_be_bytes());

    let mut ha1 = h(&[
        user.as_bytes(),
        realm.as_bytes(),
        credentials.password().expose().as_bytes(),
    ]);
    if algorithm.is_session() {
        ha1 = h(&[ha1.as_bytes(), nonce.as_bytes(), cnonce]);
    }
    let ha2 = match qop {
        Some(Qop::AuthInt) => h(&[method, uri, h(&[request.body]).as_bytes()]),
        Some(Qop::Auth) | None => h(&[method, uri]),
    };
    let response = match qop {
        Some(q) => h(&[
            ha1.as_bytes(),
            nonce.as_bytes(),
            nc.as_bytes(),
            cnonce,
            q.as_str().as_bytes(),
            ha2.as_bytes(),
        ]),
        None => h(&[ha1.as_bytes(), nonce.as_bytes(), ha2.as_bytes()]),
    };

    let hashed = challenge.userhash && request.hash_username;
    let utf8 = challenge
        .charset
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case("UTF-8"));
    let (username, username_form) = if hashed {
        (
            h(&[user.as_bytes(), realm.as_bytes()]).as_str().to_owned(),
            UsernameForm::Hashed,
        )
    } else if utf8 && !user.is_ascii() {
        (user.to_owned(), UsernameForm::Extended)
    } else {
        (user.to_owned(), UsernameForm::Plain)
    };

    Ok(DigestAuthorization {
        username,
        username_form,
        realm: realm.to_owned(),
        uri: request.uri.to_owned(),
        // Echo the server's spelling: it already matched a registry token, and a server
        // comparing tokens case-sensitively recognises its own.
        algorithm: challenge.algorithm.as_ref().map(|a| a.to_string()),
        algorithm_used: algorithm,
        nonce: nonce.to_owned(),
        qop,
        nc: qop.map(|_| request.nc),
        cnonce: qop.map(|_| request.cnonce.to_owned()),
        response: response.as_str().to_owned(),
        opaque: challenge.opaque.as_ref().map(|o| o.to_string()),
        userhash: challenge.userhash.then_some(hashed),
    })
}

fn check_quotable(what: &'static str, v: &str) -> Result<(), Error> {
    if is_quotable_str(v) {
        Ok(())
    } else {
        Err(Error::InvalidValue {
            what,
            why: "contains a control character (CR, LF, NUL, ...)",
        })
    }
}

impl DigestAuthorization {
    /// The full header line for the given header name, without CRLF, e.g.
    /// `Proxy-Authorization: Digest ...`.
    pub fn header_line(&self, header_name: &str) -> String {
        let mut s = String::with_capacity(256);
        let _ = write!(s, "{header_name}: {self}");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Challenge, parse_challenges};

    fn challenge(v: &str) -> DigestChallenge<'_> {
        match parse_challenges(v).unwrap().remove(0) {
            Challenge::Digest(d) => d,
            other => panic!("{other:?}"),
        }
    }

    /// The RFC examples print each parameter on its own line; joined with ", " they are the
    /// exact single-line header value.
    fn rfc_lines(lines: &[&str]) -> String {
        format!("Digest {}", lines.join(", "))
    }

    const RFC2617_CHALLENGE: &str = r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#;

    #[test]
    fn rfc_2617_section_3_5() {
        let ch = challenge(RFC2617_CHALLENGE);
        let creds = Credentials::new("Mufasa", "Circle Of Life");
        let auth = respond(
            &ch,
            &creds,
            &DigestRequest::new("GET", "/dir/index.html", "0a4f113b", 1),
        )
        .unwrap();
        assert_eq!(auth.response, "6629fae49393a05397450978507c4ef1");
        // RFC 2617 prints the parameters in another order; the set and each one's exact
        // wire form (quoting included) must match.
        let expected = [
            r#"username="Mufasa""#,
            r#"realm="testrealm@host.com""#,
            r#"nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093""#,
            r#"uri="/dir/index.html""#,
            "qop=auth",
            "nc=00000001",
            r#"cnonce="0a4f113b""#,
            r#"response="6629fae49393a05397450978507c4ef1""#,
            r#"opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
        ];
        let value = auth.to_string();
        let mut got: Vec<&str> = value.strip_prefix("Digest ").unwrap().split(", ").collect();
        let mut want = expected.to_vec();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want);
    }

    const RFC7616_391_SHA256: &str = r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;

    #[test]
    fn rfc_7616_section_3_9_1_sha256_and_md5() {
        // Erratum 4495: the password is "Circle of Life", lower-case "of".
        let creds = Credentials::new("Mufasa", "Circle of Life");
        let req = DigestRequest::new(
            "GET",
            "/dir/index.html",
            "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
            1,
        );
        for (alg, response) in [
            (
                "SHA-256",
                "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
            ),
            ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ] {
            let v = RFC7616_391_SHA256.replace("algorithm=SHA-256", &format!("algorithm={alg}"));
            let auth = respond(&challenge(&v), &creds, &req).unwrap();
            let expected = rfc_lines(&[
                r#"username="Mufasa""#,
                r#"realm="http-auth@example.org""#,
                r#"uri="/dir/index.html""#,
                &format!("algorithm={alg}"),
                r#"nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v""#,
                "nc=00000001",
                r#"cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ""#,
                "qop=auth",
                &format!(r#"response="{response}""#),
                r#"opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#,
            ]);
            assert_eq!(auth.to_string(), expected, "{alg}");
        }
    }

    const RFC7616_392_CHALLENGE: &str = r#"Digest realm="api@example.org", qop="auth", algorithm=SHA-512-256, nonce="5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK", opaque="HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS", charset=UTF-8, userhash=true"#;

    fn rfc_7616_392_expected(username: &str, response: &str, userhash: bool) -> String {
        rfc_lines(&[
            username,
            r#"realm="api@example.org""#,
            r#"uri="/doe.json""#,
            "algorithm=SHA-512-256",
            r#"nonce="5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK""#,
            "nc=00000001",
            r#"cnonce="NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v""#,
            "qop=auth",
            &format!(r#"response="{response}""#),
            r#"opaque="HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS""#,
            if userhash {
                "userhash=true"
            } else {
                "userhash=false"
            },
        ])
    }

    fn rfc_7616_392_answers(
        h: &dyn Fn(&[&[u8]]) -> Hex,
    ) -> (DigestAuthorization, DigestAuthorization) {
        let ch = challenge(RFC7616_392_CHALLENGE);
        let creds = Credentials::new("J\u{e4}s\u{f8}n Doe", "Secret, or not?");
        let mut req = DigestRequest::new(
            "GET",
            "/doe.json",
            "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v",
            1,
        );
        let hashed = respond_with(&ch, &creds, &req, Algorithm::Sha512_256, h).unwrap();
        req.hash_username = false;
        let plain = respond_with(&ch, &creds, &req, Algorithm::Sha512_256, h).unwrap();
        (hashed, plain)
    }

    #[test]
    fn rfc_7616_section_3_9_2_as_printed_uses_truncated_sha512() {
        // The RFC's printed username hash and response were computed with SHA-512 cut to
        // 256 bits, not with SHA-512/256 (erratum 4897). Plugging that hash into the same
        // computation reproduces both printed headers byte for byte, which checks
        // everything else: userhash, username*, parameter order and quoting.
        use ::digest::Digest;
        let truncated_sha512 = |parts: &[&[u8]]| {
            let mut d = sha2::Sha512::new();
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    d.update(b":");
                }
                d.update(p);
            }
            Hex::new(&d.finalize()[..32])
        };
        let (hashed, plain) = rfc_7616_392_answers(&truncated_sha512);
        let response = "ae66e67d6b427bd3f120414a82e4acff38e8ecd9101d6c861229025f607a79dd";
        assert_eq!(
            hashed.to_string(),
            rfc_7616_392_expected(
                r#"username="488869477bf257147b804c45308cd62ac4e25eb717b12b298c79e62dcea254ec""#,
                response,
                true
            )
        );
        assert_eq!(
            plain.to_string(),
            rfc_7616_392_expected("username*=UTF-8''J%C3%A4s%C3%B8n%20Doe", response, false)
        );
    }

    #[test]
    fn rfc_7616_section_3_9_2_with_real_sha512_256_matches_erratum_4897() {
        let (hashed, plain) = rfc_7616_392_answers(&|p| Algorithm::Sha512_256.hash_hex(p));
        let response = "3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5";
        assert_eq!(
            hashed.to_string(),
            rfc_7616_392_expected(
                r#"username="793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b""#,
                response,
                true
            )
        );
        assert_eq!(plain.username_form, UsernameForm::Extended);
        assert_eq!(plain.response, response);
        // And the public entry point picks SHA-512/256 from the challenge by itself.
        let ch = challenge(RFC7616_392_CHALLENGE);
        let creds = Credentials::new("J\u{e4}s\u{f8}n Doe", "Secret, or not?");
        let req = DigestRequest::new(
            "GET",
            "/doe.json",
            "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v",
            1,
        );
        assert_eq!(respond(&ch, &creds, &req).unwrap(), hashed);
    }

    #[test]
    fn rfc_2069_form_without_qop() {
        // RFC 2069 / RFC 2617 §3.2.2.1 without qop: no nc, cnonce or qop on the wire.
        // Expected value from an independent Python hashlib computation.
        let ch = challenge(
            r#"Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093""#,
        );
        let creds = Credentials::new("Mufasa", "Circle Of Life");
        let auth = respond(
            &ch,
            &creds,
            &DigestRequest::new("GET", "/dir/index.html", "ignored", 7),
        )
        .unwrap();
        assert_eq!(
            auth.to_string(),
            r#"Digest username="Mufasa", realm="testrealm@host.com", uri="/dir/index.html", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", response="670fd8c2df070c60b045671b8b24ff02""#
        );
        assert_eq!((auth.qop, auth.nc, auth.cnonce), (None, None, None));
    }

    // Expected values below come from an independent Python hashlib calculation
    // (hashlib.md5 / sha256 / new("sha512_256")).
    const SDP: &[u8] = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n";

    #[test]
    fn auth_int_hashes_the_body_for_every_hash() {
        for (alg, expected) in [
            ("MD5", "b778f18554c0c00427fbb3bac5bea375"),
            (
                "SHA-256",
                "13acbfc67e93a39295ec90eb7881f4f8ab3f1f907b4771958c38fefa8dd52c19",
            ),
            (
                "sha-512-256",
                "e7291f761f567ce295b0ea3846dbf829c39ff1ff330d785b533ff69e61f5ca88",
            ),
        ] {
            let v = format!(
                r#"Digest realm="voip.test", nonce="abc123", qop="auth-int", algorithm={alg}"#
            );
            let ch = challenge(&v);
            let creds = Credentials::new("alice", "secret");
            let req =
                DigestRequest::new("INVITE", "sip:bob@127.0.0.1", "0a4f113b", 2).with_body(SDP);
            let auth = respond(&ch, &creds, &req).unwrap();
            assert_eq!(auth.response, expected, "{alg}");
            assert_eq!(auth.qop, Some(Qop::AuthInt));
            assert!(
                auth.to_string().contains(&format!(", algorithm={alg}, ")),
                "server spelling echoed"
            );
            // A different body gives a different response.
            let other = respond(&ch, &creds, &req.with_body(b"x")).unwrap();
            assert_ne!(other.response, auth.response);
        }
    }

    #[test]
    fn sess_rehashes_ha1_with_nonce_and_cnonce() {
        for (alg, expected) in [
            ("MD5-sess", "092cddf50c5ac5f9645b7aefcdfa6751"),
            (
                "SHA-256-sess",
                "b3598b98f1cfcdc582255a750c56f746fc71af44b9d65c60bf19c0b71eb201f6",
            ),
            (
                "SHA-512-256-sess",
                "4c972b603d2b7d276443f411fc61c8076d71e65f991741061f617d18dd292c6b",
            ),
        ] {
            let v =
                format!(r#"Digest realm="voip.test", nonce="abc123", qop="auth", algorithm={alg}"#);
            let auth = respond(
                &challenge(&v),
                &Credentials::new("alice", "secret"),
                &DigestRequest::new("REGISTER", "sip:voip.test", "0a4f113b", 10),
            )
            .unwrap();
            assert_eq!(auth.response, expected, "{alg}");
            assert!(auth.to_string().contains(", nc=0000000a, "));
        }
    }

    #[test]
    fn prefer_auth_int_and_userhash_flags() {
        let ch = challenge(r#"Digest realm="r", nonce="n", qop="auth,auth-int", userhash=true"#);
        let creds = Credentials::new("alice", "pw");
        let mut req = DigestRequest::new("MESSAGE", "sip:bob@127.0.0.1", "c", 1).with_body(b"hi");
        assert_eq!(respond(&ch, &creds, &req).unwrap().qop, Some(Qop::Auth));
        req.prefer_auth_int = true;
        let a = respond(&ch, &creds, &req).unwrap();
        assert_eq!(a.qop, Some(Qop::AuthInt));
        assert_eq!(
            a.username,
            Algorithm::Md5.hash_hex(&[b"alice", b"r"]).as_str()
        );
        assert_eq!(a.username_form, UsernameForm::Hashed);
        assert!(a.to_string().ends_with(", userhash=true"));
        // Without charset=UTF-8 a non-ASCII name stays a quoted-string.
        let ch = challenge(r#"Digest realm="r", nonce="n""#);
        let a = respond(&ch, &Credentials::new("J\u{e4}", "pw"), &req).unwrap();
        assert!(a.to_string().starts_with("Digest username=\"J\u{e4}\", "));
        assert_eq!(a.userhash, None);
    }

    #[test]
    fn refusals() {
        let creds = Credentials::new("alice", "pw");
        let req = DigestRequest::new("REGISTER", "sip:voip.test", "c", 1);
        let ch = challenge(r#"Digest realm="r", nonce="n", algorithm=SHA-1"#);
        assert_eq!(
            respond(&ch, &creds, &req),
            Err(Error::UnknownAlgorithm("SHA-1".into()))
        );
        let ch = challenge(r#"Digest realm="r", nonce="n", algorithm=MD5-sess"#);
        assert_eq!(
            respond(&ch, &creds, &req),
            Err(Error::SessionAlgorithmWithoutQop("MD5-sess"))
        );
        let ch = challenge(r#"Digest realm="r", nonce="n", qop="auth-conf""#);
        assert_eq!(
            respond(&ch, &creds, &req),
            Err(Error::UnsupportedQop("auth-conf".into()))
        );
        let ch = challenge(r#"Digest realm="r", nonce="n", qop=auth"#);
        let bad_uri = DigestRequest::new("REGISTER", "sip:x\r\nVia: evil", "c", 1);
        assert!(matches!(
            respond(&ch, &creds, &bad_uri),
            Err(Error::InvalidValue { what: "uri", .. })
        ));
        let bad_method = DigestRequest::new("REG ISTER", "sip:x", "c", 1);
        assert!(matches!(
            respond(&ch, &creds, &bad_method),
            Err(Error::InvalidValue { what: "method", .. })
        ));
        let bad_user = Credentials::new("al\nice", "pw");
        assert!(matches!(
            respond(&ch, &bad_user, &req),
            Err(Error::InvalidValue {
                what: "username",
                ..
            })
        ));
        let no_cnonce = DigestRequest::new("REGISTER", "sip:x", "", 1);
        assert!(matches!(
            respond(&ch, &creds, &no_cnonce),
            Err(Error::InvalidValue { what: "cnonce", .. })
        ));
    }

    #[test]
    fn echoed_values_are_escaped_and_header_line() {
        let ch = challenge(r#"Digest realm="a\"b", nonce="n\\", opaque="o", qop=auth"#);
        let a = respond(
            &ch,
            &Credentials::new("u\"x", "p"),
            &DigestRequest::new("BYE", "sip:b", "c", 3),
        )
        .unwrap();
        let line = a.header_line("Proxy-Authorization");
        assert!(line.starts_with(r#"Proxy-Authorization: Digest username="u\"x", realm="a\"b", uri="sip:b", nonce="n\\", nc=00000003"#), "{line}");
        // The value parses back (as a challenge-shaped list) to the same realm and nonce.
        let back = challenge(&line["Proxy-Authorization: ".len()..]);
        assert_eq!((&*back.realm, &*back.nonce), ("a\"b", "n\\"));
    }
}
