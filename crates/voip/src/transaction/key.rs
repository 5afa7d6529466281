//! Transaction identity: the opaque [`TransactionKey`] handed to the TU and the matching
//! keys of RFC 3261 §17.1.3 (responses) and §17.2.3 (requests).

use sip_message::{BRANCH_MAGIC_COOKIE, Host, Method, SipMessage, Via};
use std::fmt;
use std::fmt::Write;

/// A handle on one transaction. Keys are never reused, so a key kept after its
/// transaction terminated is simply unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransactionKey(pub(crate) u64);

impl TransactionKey {
    /// The key's number (unique per layer, increasing).
    pub fn id(self) -> u64 {
        self.0
    }
}

impl fmt::Display for TransactionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tx{}", self.0)
    }
}

/// What a message is matched by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum MatchKey {
    /// Client transactions (§17.1.3): top Via branch + CSeq method.
    Client { branch: Box<str>, method: Method },
    /// Server transactions of RFC 3261 clients (§17.2.3): branch + sent-by + method, ACK
    /// counted as INVITE.
    Server {
        branch: Box<str>,
        sent_by: Box<str>,
        method: Method,
    },
    /// Server transactions of RFC 2543 clients (no magic cookie): Request-URI, Call-ID,
    /// From tag, CSeq number and top Via, with the method (ACK counted as INVITE).
    Legacy { id: Box<str>, method: Method },
    /// A server INVITE transaction in Accepted, found by the ACK of its 2xx (which has a
    /// new branch): Call-ID, CSeq number, From tag.
    Accepted {
        call_id: Box<str>,
        from_tag: Box<str>,
        seq: u32,
    },
}

/// Whether a branch comes from an RFC 3261 client (prefix compared case-insensitively:
/// some stacks upper-case parameter values).
pub(crate) fn has_cookie(branch: &str) -> bool {
    branch
        .get(..BRANCH_MAGIC_COOKIE.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(BRANCH_MAGIC_COOKIE))
}

/// The key of a received response.
pub(crate) fn response_key(msg: &SipMessage) -> Result<MatchKey, &'static str> {
    let via = msg.via().map_err(|_| "missing or malformed top Via")?;
    let branch = via.branch().ok_or("top Via without branch")?;
    let cseq = msg.cseq().map_err(|_| "missing or malformed CSeq")?;
    Ok(MatchKey::Client {
        branch: branch.into(),
        method: cseq.method,
    })
}

/// The method a server transaction is keyed by: ACK belongs to the INVITE.
pub(crate) fn server_method(m: Method) -> Method {
    if m == Method::Ack { Method::Invite } else { m }
}

/// The key a received request is matched by (the method given, not the request's own, so
/// CANCEL can look up its INVITE).
pub(crate) fn request_key(
    msg: &SipMessage,
    via: &Via<'_>,
    method: Method,
) -> Result<MatchKey, &'static str> {
    let method = server_method(method);
    match via.branch() {
        Some(b) if has_cookie(b) => {
            let mut sent_by = String::with_capacity(48);
            match &via.host {
                Host::Domain(d) => {
                    for c in d.chars() {
                        sent_by.push(c.to_ascii_lowercase());
                    }
                }
                h => {
                    let _ = write!(sent_by, "{h}");
                }
            }
            if let Some(p) = via.port {
                let _ = write!(sent_by, ":{p}");
            }
            Ok(MatchKey::Server {
                branch: b.into(),
                sent_by: sent_by.into(),
                method,
            })
        }
        _ => {
            // RFC 2543 (§17.2.3). The To tag is not part of the key: it is compared after
            // the lookup (the ACK's must be our response's, which the key cannot know).
            let ruri = msg.request_uri_str().ok_or("no Request-URI")?;
            let call_id = msg.call_id().map_err(|_| "missing or malformed Call-ID")?;
            let seq = msg.cseq().map_err(|_| "missing or malformed CSeq")?.seq;
            let mut id = String::with_capacity(ruri.len() + call_id.len() + 96);
            let _ = write!(
                id,
                "{ruri}\n{call_id}\n{}\n{seq}\n{via}",
                msg.from_tag().unwrap_or("")
            );
            Ok(MatchKey::Legacy {
                id: id.into(),
                method,
            })
        }
    }
}

/// The key an ACK for a 2xx finds its server INVITE transaction by.
pub(crate) fn accepted_key(msg: &SipMessage) -> Option<MatchKey> {
    Some(MatchKey::Accepted {
        call_id: msg.call_id().ok()?.into(),
        from_tag: msg.from_tag().unwrap_or("").into(),
        seq: msg.cseq().ok()?.seq,
    })
}
