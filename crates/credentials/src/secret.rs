//! [`Password`]: a string that never shows up in `Debug` output and is wiped when dropped.

use std::fmt;

use zeroize::Zeroize;

/// A password (or any shared secret).
///
/// * `Debug` prints `Password(<redacted>)`, so logging a [`Credentials`](crate::Credentials) or
///   a [`CredentialsManager`](crate::CredentialsManager) with `{:?}` never leaks it.
/// * There is deliberately no `Display`; read it with [`Password::expose`].
/// * The bytes are overwritten with zeros when the value is dropped (the `zeroize` crate).
///   Copies made by the caller before wrapping it, or by the allocator when a `String` grows,
///   are out of reach; this is hygiene, not a guarantee.
/// * Comparison is constant-time in the contents, so `==` leaks at most the length.
#[derive(Clone, Default)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(password: impl Into<String>) -> Self {
        Self(password.into())
    }

    /// The empty password (used by the anonymous credentials, RFC 3261 §22.1).
    pub const fn empty() -> Self {
        Self(String::new())
    }

    /// The password itself, for hashing or encoding. Keep the borrow short.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the password is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl PartialEq for Password {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.0.as_bytes(), other.0.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl Eq for Password {}

impl Drop for Password {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl From<&str> for Password {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl From<String> for Password {
    fn from(s: String) -> Self {
        Self(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let p = Password::new("hunter2");
        let shown = format!("{p:?} {p:#?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("redacted"));
        assert_eq!(p.expose(), "hunter2");
    }

    #[test]
    fn equality_compares_contents() {
        assert_eq!(Password::new("abc"), Password::from("abc"));
        assert_ne!(Password::new("abc"), Password::new("abd"));
        assert_ne!(Password::new("abc"), Password::new("abcd"));
        assert!(Password::empty().is_empty());
    }
}
