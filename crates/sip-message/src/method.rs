//! Request methods.

use bytes::Bytes;
use std::fmt;

/// A SIP request method. Method names are case-sensitive (RFC 3261 §7.1): `invite` is an
/// extension method, not INVITE.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum Method {
    /// ACK (RFC 3261)
    Ack,
    /// BYE (RFC 3261)
    Bye,
    /// CANCEL (RFC 3261)
    Cancel,
    /// INFO (RFC 6086)
    Info,
    /// INVITE (RFC 3261)
    Invite,
    /// MESSAGE (RFC 3428)
    Message,
    /// NOTIFY (RFC 6665)
    Notify,
    /// OPTIONS (RFC 3261)
    Options,
    /// PRACK (RFC 3262)
    Prack,
    /// PUBLISH (RFC 3903)
    Publish,
    /// REFER (RFC 3515)
    Refer,
    /// REGISTER (RFC 3261)
    Register,
    /// SUBSCRIBE (RFC 6665)
    Subscribe,
    /// UPDATE (RFC 3311)
    Update,
    /// Any other token.
    Extension(ExtensionMethod),
}

/// An extension method name (a token that is not one of the registered methods).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ExtensionMethod(Bytes);

impl ExtensionMethod {
    /// The method name.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl fmt::Debug for ExtensionMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Method {
    /// Parses a method name (any token).
    pub fn from_bytes(b: &[u8]) -> crate::Result<Method> {
        if b.is_empty() || !b.iter().all(|&c| crate::scan::is_token(c)) {
            return Err(crate::Error::syntax("method", 0, "a token"));
        }
        Ok(Method::from_token(b, || Bytes::copy_from_slice(b)))
    }

    /// `b` must be a token; `raw` is called only for an extension method.
    pub(crate) fn from_token(b: &[u8], raw: impl FnOnce() -> Bytes) -> Method {
        match b {
            b"INVITE" => Method::Invite,
            b"ACK" => Method::Ack,
            b"BYE" => Method::Bye,
            b"CANCEL" => Method::Cancel,
            b"REGISTER" => Method::Register,
            b"OPTIONS" => Method::Options,
            b"INFO" => Method::Info,
            b"PRACK" => Method::Prack,
            b"SUBSCRIBE" => Method::Subscribe,
            b"NOTIFY" => Method::Notify,
            b"PUBLISH" => Method::Publish,
            b"REFER" => Method::Refer,
            b"MESSAGE" => Method::Message,
            b"UPDATE" => Method::Update,
            _ => Method::Extension(ExtensionMethod(raw())),
        }
    }

    /// The method name as sent on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Info => "INFO",
            Method::Invite => "INVITE",
            Method::Message => "MESSAGE",
            Method::Notify => "NOTIFY",
            Method::Options => "OPTIONS",
            Method::Prack => "PRACK",
            Method::Publish => "PUBLISH",
            Method::Refer => "REFER",
            Method::Register => "REGISTER",
            Method::Subscribe => "SUBSCRIBE",
            Method::Update => "UPDATE",
            Method::Extension(e) => e.as_str(),
        }
    }
}

impl std::str::FromStr for Method {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Method> {
        Method::from_bytes(s.as_bytes())
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_case_sensitive() {
        assert_eq!(Method::from_bytes(b"INVITE").unwrap(), Method::Invite);
        let ext = Method::from_bytes(b"invite").unwrap();
        assert!(matches!(ext, Method::Extension(_)));
        assert_eq!(ext.as_str(), "invite");
        assert!(Method::from_bytes(b"IN VITE").is_err());
        assert_eq!("BYE".parse::<Method>().unwrap().to_string(), "BYE");
    }
}
