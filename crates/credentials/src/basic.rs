//! Basic authentication (RFC 7617): `Basic base64(user-id ":" password)`.
//!
//! Basic sends the password itself, merely encoded; pyVoIP refuses it unless
//! `ALLOW_BASIC_AUTH` is set, and so does [`AuthPolicy`] unless
//! `allow_basic` is true. [`respond`] checks the policy itself.

use std::fmt;

use crate::{AuthPolicy, Credentials, Error};

/// A Basic answer; `Display` writes the header value `Basic <base64>`.
///
/// `Debug` shows only the username: the encoded form is the password in clear.
#[derive(Clone, PartialEq, Eq)]
pub struct BasicAuthorization {
    username: String,
    encoded: String,
}

impl BasicAuthorization {
    /// The user-id that was encoded.
    pub fn username(&self) -> &str {
        &self.username
    }
}

impl fmt::Debug for BasicAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicAuthorization")
            .field("username", &self.username)
            .field("encoded", &"<redacted>")
            .finish()
    }
}

impl fmt::Display for BasicAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Basic {}", self.encoded)
    }
}

/// Answers a Basic challenge, if the policy allows Basic at all.
///
/// The user-id and password are encoded as UTF-8 (RFC 7617 §2.1, the only `charset` it
/// defines; without `charset` the encoding is unspecified and UTF-8 is the sane choice).
///
/// # Errors
/// [`Error::BasicNotAllowed`] unless `policy.allow_basic`; [`Error::InvalidValue`] when the
/// user-id contains `:` (it could not be told apart from the password) or a control
/// character, or the password contains a control character (RFC 7617 §2).
///
/// ```
/// use credentials::{basic, AuthPolicy, Credentials, Error};
///
/// let creds = Credentials::new("Aladdin", "open sesame");
/// assert_eq!(basic::respond(&creds, &AuthPolicy::default()), Err(Error::BasicNotAllowed));
/// let policy = AuthPolicy { allow_basic: true, ..AuthPolicy::default() };
/// assert_eq!(basic::respond(&creds, &policy)?.to_string(), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
/// # Ok::<(), Error>(())
/// ```
pub fn respond(
    credentials: &Credentials,
    policy: &AuthPolicy,
) -> Result<BasicAuthorization, Error> {
    if !policy.allow_basic {
        return Err(Error::BasicNotAllowed);
    }
    let user = credentials.username();
    let password = credentials.password().expose();
    if user.contains(':') {
        return Err(Error::InvalidValue {
            what: "Basic user-id",
            why: "contains ':'",
        });
    }
    if user.chars().any(char::is_control) {
        return Err(Error::InvalidValue {
            what: "Basic user-id",
            why: "contains a control character",
        });
    }
    if password.chars().any(char::is_control) {
        return Err(Error::InvalidValue {
            what: "Basic password",
            why: "contains a control character",
        });
    }
    let mut plain = String::with_capacity(user.len() + 1 + password.len());
    plain.push_str(user);
    plain.push(':');
    plain.push_str(password);
    let encoded = base64(plain.as_bytes());
    zeroize::Zeroize::zeroize(&mut plain);
    Ok(BasicAuthorization {
        username: user.to_owned(),
        encoded,
    })
}

/// Standard base64 with padding (RFC 4648 §4). Hand-written: a dozen lines do not justify
/// another dependency.
fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 0x3f) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4648_vectors() {
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), enc);
        }
        assert_eq!(base64(&[0xfb, 0xff, 0xbf]), "+/+/");
    }

    #[test]
    fn rfc_7617_examples() {
        let policy = AuthPolicy {
            allow_basic: true,
            ..AuthPolicy::default()
        };
        // §2: Aladdin / open sesame.
        let a = respond(&Credentials::new("Aladdin", "open sesame"), &policy).unwrap();
        assert_eq!(a.to_string(), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        // §2.1: "test" / "123£" with charset=UTF-8.
        let a = respond(&Credentials::new("test", "123\u{a3}"), &policy).unwrap();
        assert_eq!(a.to_string(), "Basic dGVzdDoxMjPCow==");
        assert!(!format!("{a:?}").contains("dGVzdDoxMjPCow"));
    }

    #[test]
    fn refusals() {
        let creds = Credentials::new("a", "b");
        assert_eq!(
            respond(&creds, &AuthPolicy::default()),
            Err(Error::BasicNotAllowed)
        );
        let policy = AuthPolicy {
            allow_basic: true,
            ..AuthPolicy::default()
        };
        assert!(matches!(
            respond(&Credentials::new("a:b", "c"), &policy),
            Err(Error::InvalidValue { .. })
        ));
        assert!(matches!(
            respond(&Credentials::new("a", "c\r\n"), &policy),
            Err(Error::InvalidValue { .. })
        ));
    }
}
