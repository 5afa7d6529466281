//! [`CredentialsManager`]: pyVoIP's credential store, looked up by (server, realm, user).

use std::borrow::Cow;
use std::fmt;

use crate::{Error, Password};

/// A username and password pair.
///
/// `Debug` never shows the password (see [`Password`]).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    username: Cow<'static, str>,
    password: Password,
}

/// What [`CredentialsManager::get`] returns when nothing matches (RFC 3261 §22.1: a server
/// MAY accept the user name "anonymous" with an empty password).
static ANONYMOUS: Credentials = Credentials {
    username: Cow::Borrowed("anonymous"),
    password: Password::empty(),
};

impl Credentials {
    /// Credentials with this username (the one sent in the `Authorization` header and hashed
    /// into the digest) and password.
    pub fn new(username: impl Into<String>, password: impl Into<Password>) -> Self {
        Self {
            username: Cow::Owned(username.into()),
            password: password.into(),
        }
    }

    /// The anonymous credentials: user name `anonymous`, empty password (RFC 3261 §22.1).
    pub fn anonymous() -> &'static Self {
        &ANONYMOUS
    }

    /// The authentication username.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The password.
    pub fn password(&self) -> &Password {
        &self.password
    }

    /// Whether these are the anonymous fallback credentials returned when nothing matched.
    pub fn is_anonymous(&self) -> bool {
        std::ptr::eq(self, &ANONYMOUS)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &self.password)
            .finish()
    }
}

/// One stored entry; `None` is pyVoIP's "any" wildcard.
#[derive(Debug, Clone)]
struct Entry {
    server: Option<String>,
    realm: Option<String>,
    user: Option<String>,
    credentials: Credentials,
}

impl Entry {
    /// The entry's rank for a query, or `None` when it does not match. The rank orders the
    /// eight (exact / wildcard) combinations exactly as pyVoIP's nested lookup visits them:
    /// server first, then realm, then user, exact before wildcard at each level.
    fn rank(&self, server: &str, realm: &str, user: &str) -> Option<u8> {
        fn level(key: &Option<String>, wanted: &str) -> Option<u8> {
            match key {
                Some(k) if k == wanted => Some(1),
                Some(_) => None,
                None => Some(0),
            }
        }
        let s = level(&self.server, server)?;
        let r = level(&self.realm, realm)?;
        let u = level(&self.user, user)?;
        Some(s << 2 | r << 1 | u)
    }

    fn same_key(&self, server: Option<&str>, realm: Option<&str>, user: Option<&str>) -> bool {
        self.server.as_deref() == server
            && self.realm.as_deref() == realm
            && self.user.as_deref() == user
    }
}

/// Stores several username/password pairs and picks the right one for a challenge.
///
/// A SIP request can be challenged by several servers and realms, and different servers
/// often use the same realm (every Asterisk box says `asterisk`), so credentials are keyed by
/// *server*, *realm* and *user* (the user part of the SIP URI, not the authentication
/// username), each optional. [`get`](Self::get) follows pyVoIP 2.0.0a4 exactly:
///
/// 1. Entries whose server equals the query's are preferred over server-wildcard entries;
/// 2. within that, realm-equal over realm-wildcard;
/// 3. within that, user-equal over user-wildcard;
/// 4. nothing matching: the anonymous credentials (RFC 3261 §22.1).
///
/// So an entry for the exact server with a wildcard realm beats an entry for any server with
/// the exact realm. Keys are compared exactly, case included, as pyVoIP does: register
/// `server` in the spelling the phone uses for the server (host names are not case-folded).
/// Adding the same (server, realm, user) key again replaces the entry.
///
/// # Bounded
/// The store holds at most [`limit`](Self::limit) entries ([`DEFAULT_LIMIT`](Self::DEFAULT_LIMIT)
/// unless set with [`with_limit`](Self::with_limit)); adding a new key to a full store fails
/// with [`Error::StoreFull`] (replacing an existing key always works). Entries only come from
/// the program's own configuration, never from the network, so the limit guards against
/// programming errors, not attacks. Lookup is a linear scan, fine for the handful of
/// accounts a phone has.
///
/// ```
/// use credentials::CredentialsManager;
///
/// let mut cm = CredentialsManager::new();
/// cm.add("alice", "secret", None, None, None)?; // any server, realm, user
/// cm.add("bob", "hunter2", Some("pbx2.example.org"), Some("asterisk"), None)?;
///
/// assert_eq!(cm.get("pbx2.example.org", "asterisk", "100").username(), "bob");
/// assert_eq!(cm.get("pbx1.example.org", "asterisk", "100").username(), "alice");
/// # Ok::<(), credentials::Error>(())
/// ```
#[derive(Clone)]
pub struct CredentialsManager {
    entries: Vec<Entry>,
    limit: usize,
}

impl Default for CredentialsManager {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for CredentialsManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialsManager")
            .field("entries", &self.entries)
            .field("limit", &self.limit)
            .finish()
    }
}

impl CredentialsManager {
    /// The default entry limit.
    pub const DEFAULT_LIMIT: usize = 1024;

    /// An empty store with the default limit.
    pub fn new() -> Self {
        Self::with_limit(Self::DEFAULT_LIMIT)
    }

    /// An empty store holding at most `limit` entries.
    pub fn with_limit(limit: usize) -> Self {
        Self {
            entries: Vec::new(),
            limit,
        }
    }

    /// The entry limit.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Number of stored entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Registers `username` / `password` for a server, realm and SIP user; `None` means
    /// "any". pyVoIP: `add(username, password, server=None, realm=None, user=None)`.
    ///
    /// # Errors
    /// [`Error::StoreFull`] when the key is new and the store is at its limit.
    pub fn add(
        &mut self,
        username: impl Into<String>,
        password: impl Into<Password>,
        server: Option<&str>,
        realm: Option<&str>,
        user: Option<&str>,
    ) -> Result<(), Error> {
        let credentials = Credentials::new(username, password);
        if let Some(e) = self
            .entries
            .iter_mut()
            .find(|e| e.same_key(server, realm, user))
        {
            e.credentials = credentials;
            return Ok(());
        }
        if self.entries.len() >= self.limit {
            return Err(Error::StoreFull { limit: self.limit });
        }
        self.entries.push(Entry {
            server: server.map(str::to_owned),
            realm: realm.map(str::to_owned),
            user: user.map(str::to_owned),
            credentials,
        });
        Ok(())
    }

    /// Removes the entry stored under exactly this key; returns whether there was one.
    pub fn remove(
        &mut self,
        server: Option<&str>,
        realm: Option<&str>,
        user: Option<&str>,
    ) -> bool {
        let before = self.entries.len();
        self.entries.retain(|e| !e.same_key(server, realm, user));
        self.entries.len() != before
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The best entry for a challenge from `server` in `realm` for SIP user `user`, or
    /// `None` when nothing matches. See the type's documentation for the precedence.
    pub fn find(&self, server: &str, realm: &str, user: &str) -> Option<&Credentials> {
        self.entries
            .iter()
            .filter_map(|e| e.rank(server, realm, user).map(|r| (r, e)))
            // Keys are unique, so ranks of matching entries are unique too.
            .max_by_key(|&(r, _)| r)
            .map(|(_, e)| &e.credentials)
    }

    /// Like [`find`](Self::find) but falls back to the anonymous credentials (user name
    /// `anonymous`, empty password), as pyVoIP's `get` does; check
    /// [`Credentials::is_anonymous`] to tell.
    pub fn get(&self, server: &str, realm: &str, user: &str) -> &Credentials {
        self.find(server, realm, user).unwrap_or(&ANONYMOUS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A straight transcription of pyVoIP 2.0.0a4's nested `get`, used as the oracle.
    fn pyvoip_get<'a>(cm: &'a CredentialsManager, s: &str, r: &str, u: &str) -> &'a str {
        let lookup = |s: Option<&str>, r: Option<&str>, u: Option<&str>| {
            cm.entries
                .iter()
                .find(|e| e.same_key(s, r, u))
                .map(|e| e.credentials.username())
        };
        let has_server = |s: Option<&str>| cm.entries.iter().any(|e| e.server.as_deref() == s);
        let has_realm = |s: Option<&str>, r: Option<&str>| {
            cm.entries
                .iter()
                .any(|e| e.server.as_deref() == s && e.realm.as_deref() == r)
        };
        for srv in [Some(s), None] {
            if !has_server(srv) {
                continue;
            }
            for rlm in [Some(r), None] {
                if !has_realm(srv, rlm) {
                    continue;
                }
                for usr in [Some(u), None] {
                    if let Some(name) = lookup(srv, rlm, usr) {
                        return name;
                    }
                }
            }
        }
        "anonymous"
    }

    #[test]
    fn anonymous_when_empty_or_unmatched() {
        let mut cm = CredentialsManager::new();
        let c = cm.get("s", "r", "u");
        assert!(c.is_anonymous());
        assert_eq!((c.username(), c.password().expose()), ("anonymous", ""));
        cm.add("x", "y", Some("other"), None, None).unwrap();
        assert!(cm.get("s", "r", "u").is_anonymous());
        assert!(cm.find("s", "r", "u").is_none());
        // A stored user literally named "anonymous" is not the fallback.
        cm.add("anonymous", "", None, None, None).unwrap();
        assert!(!cm.get("s", "r", "u").is_anonymous());
    }

    #[test]
    fn server_beats_realm_beats_user() {
        let mut cm = CredentialsManager::new();
        cm.add("any", "p", None, None, None).unwrap();
        cm.add("user-only", "p", None, None, Some("100")).unwrap();
        cm.add("realm-only", "p", None, Some("asterisk"), None)
            .unwrap();
        cm.add("server-only", "p", Some("pbx"), None, None).unwrap();
        cm.add("server-realm", "p", Some("pbx"), Some("asterisk"), None)
            .unwrap();

        assert_eq!(cm.get("pbx", "asterisk", "100").username(), "server-realm");
        // Exact realm on the wildcard server loses to the exact server with wildcard realm.
        assert_eq!(cm.get("pbx", "other", "100").username(), "server-only");
        assert_eq!(
            cm.get("elsewhere", "asterisk", "100").username(),
            "realm-only"
        );
        assert_eq!(cm.get("elsewhere", "other", "100").username(), "user-only");
        assert_eq!(cm.get("elsewhere", "other", "200").username(), "any");
    }

    #[test]
    fn keys_are_case_sensitive_like_pyvoip() {
        let mut cm = CredentialsManager::new();
        cm.add("a", "p", Some("PBX.example.org"), None, None)
            .unwrap();
        assert!(cm.get("pbx.example.org", "r", "u").is_anonymous());
        assert_eq!(cm.get("PBX.example.org", "r", "u").username(), "a");
    }

    #[test]
    fn add_replaces_same_key_and_limit_applies_to_new_keys() {
        let mut cm = CredentialsManager::with_limit(2);
        cm.add("a", "1", None, None, None).unwrap();
        cm.add("b", "2", Some("s"), None, None).unwrap();
        assert_eq!(
            cm.add("c", "3", Some("t"), None, None),
            Err(Error::StoreFull { limit: 2 })
        );
        cm.add("a2", "new", None, None, None).unwrap();
        assert_eq!(cm.len(), 2);
        assert_eq!(cm.get("x", "y", "z").username(), "a2");
        assert_eq!(cm.get("x", "y", "z").password().expose(), "new");
        assert!(cm.remove(None, None, None));
        assert!(!cm.remove(None, None, None));
        assert!(cm.get("x", "y", "z").is_anonymous());
        cm.clear();
        assert!(cm.is_empty());
    }

    #[test]
    fn debug_never_shows_passwords() {
        let mut cm = CredentialsManager::new();
        cm.add(
            "alice",
            "correct horse battery staple",
            Some("pbx"),
            None,
            None,
        )
        .unwrap();
        let shown = format!("{cm:?} {:?} {:#?}", cm.get("pbx", "r", "u"), cm);
        assert!(shown.contains("alice"));
        assert!(!shown.contains("correct horse"), "{shown}");
    }

    #[test]
    fn matches_pyvoip_on_every_key_combination() {
        // All 2^8 subsets of the eight possible key shapes for one query, plus decoys with
        // a different server / realm / user, checked against the transcription of pyVoIP.
        let shapes: Vec<(Option<&str>, Option<&str>, Option<&str>)> = [Some("s"), None]
            .into_iter()
            .flat_map(|s| [Some("r"), None].into_iter().map(move |r| (s, r)))
            .flat_map(|(s, r)| [Some("u"), None].into_iter().map(move |u| (s, r, u)))
            .collect();
        for mask in 0u32..256 {
            for decoys in [false, true] {
                let mut cm = CredentialsManager::new();
                if decoys {
                    cm.add("d1", "p", Some("x"), Some("r"), Some("u")).unwrap();
                    cm.add("d2", "p", Some("s"), Some("x"), None).unwrap();
                    cm.add("d3", "p", None, None, Some("x")).unwrap();
                }
                for (i, &(s, r, u)) in shapes.iter().enumerate() {
                    if mask & (1 << i) != 0 {
                        cm.add(format!("e{i}"), "p", s, r, u).unwrap();
                    }
                }
                for (qs, qr, qu) in [
                    ("s", "r", "u"),
                    ("x", "r", "u"),
                    ("s", "x", "u"),
                    ("s", "r", "x"),
                ] {
                    assert_eq!(
                        cm.get(qs, qr, qu).username(),
                        pyvoip_get(&cm, qs, qr, qu),
                        "mask {mask:#010b} decoys {decoys} query {qs} {qr} {qu}"
                    );
                }
            }
        }
    }
}
