//! Header field names: one table of every registered name with its compact form.
//!
//! Every comparison in the crate goes through [`HeaderName`], so `v:`, `VIA:` and `Via:` are
//! the same header everywhere (RFC 3261 §7.3.3: implementations MUST accept both forms).
//! [`HeaderName::Other`] can only be built by the lookup, which never returns it for a
//! registered name, so no code path can miss a header because of its spelling.

use bytes::Bytes;
use std::fmt;
use std::hash::{Hash, Hasher};

/// Internal index used in the header table of a parsed message: the position in the name
/// table, or [`OTHER`] for an unregistered name.
pub(crate) type NameId = u8;
pub(crate) const OTHER: NameId = u8::MAX;

macro_rules! header_names {
    ($( $variant:ident => $canon:literal $(, compact $compact:literal)? ; )+) => {
        /// A SIP header field name (IANA "Header Fields" registry, RFC 3261 and extensions).
        ///
        /// Parsing is case-insensitive and maps compact forms to the same variant:
        /// ```
        /// use sip_message::HeaderName;
        /// assert_eq!(HeaderName::from_bytes(b"v").unwrap(), HeaderName::Via);
        /// assert_eq!(HeaderName::from_bytes(b"cALL-iD").unwrap(), HeaderName::CallId);
        /// assert!(matches!(HeaderName::from_bytes(b"X-Foo").unwrap(), HeaderName::Other(_)));
        /// ```
        #[derive(Clone, PartialEq, Eq, Hash, Debug)]
        #[non_exhaustive]
        pub enum HeaderName {
            $(
                #[doc = concat!("`", $canon, "`", $(" (compact form `", $compact, "`)")?)]
                $variant,
            )+
            /// A name not in the registry (kept as received, compared case-insensitively).
            Other(OtherHeaderName),
        }

        #[repr(u8)]
        #[allow(dead_code, clippy::enum_variant_names)]
        #[derive(Clone, Copy)]
        enum Id { $( $variant, )+ }

        impl HeaderName {
            /// The canonical (long) spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    $( HeaderName::$variant => $canon, )+
                    HeaderName::Other(o) => o.as_str(),
                }
            }

            /// The compact form, if the name has one (RFC 3261 §7.3.3 and extensions).
            pub fn compact(&self) -> Option<&'static str> {
                match self {
                    $( HeaderName::$variant => header_names!(@compact $($compact)?), )+
                    HeaderName::Other(_) => None,
                }
            }

            #[inline]
            pub(crate) fn id(&self) -> NameId {
                match self {
                    $( HeaderName::$variant => Id::$variant as u8, )+
                    HeaderName::Other(_) => OTHER,
                }
            }

            pub(crate) fn from_id(id: NameId) -> Option<HeaderName> {
                ALL.get(usize::from(id)).cloned()
            }

            /// Looks a name up (case-insensitive, long or compact form). `name` must be a
            /// token (the framing pass and `from_bytes` check that first).
            #[inline]
            pub(crate) fn lookup(name: &[u8]) -> NameId {
                let n = name.len();
                if n == 0 || n > MAX_NAME {
                    return OTHER;
                }
                let mut slot = hash(name) as usize & (SLOTS - 1);
                loop {
                    let e = LOOKUP[slot];
                    if e == OTHER {
                        return OTHER;
                    }
                    if usize::from(LENS[e as usize]) == n && folded_eq(name, &WORDS[e as usize]) {
                        return ENTRIES[e as usize].1;
                    }
                    slot = (slot + 1) & (SLOTS - 1);
                }
            }
        }

        /// Every registered name, indexed by id.
        static ALL: &[HeaderName] = &[ $( HeaderName::$variant, )+ ];

        /// Every spelling (long and compact) with its id.
        const ENTRIES: &[(&str, NameId)] = &[
            $( ($canon, Id::$variant as u8), $( ($compact, Id::$variant as u8), )? )+
        ];
    };
    (@compact) => { None };
    (@compact $c:literal) => { Some($c) };
}

/// Open-addressing table (built at compile time) from the case-insensitive hash of a
/// spelling to its index in `ENTRIES`: one hash and usually one comparison per header.
const SLOTS: usize = 512;

/// Case-insensitive hash of length, first, second and last byte: four loads, and the table
/// is sparse enough that collisions stay short.
#[inline]
const fn hash(b: &[u8]) -> u32 {
    let n = b.len();
    if n == 0 {
        return 0;
    }
    // `| 0x20` lower-cases letters; table names hold only letters, digits and '-', which
    // it leaves alone, so a name and its table spelling hash alike in any case.
    let first = (b[0] | 0x20) as u32;
    let second = if n > 1 { (b[1] | 0x20) as u32 } else { 0 };
    let last = (b[n - 1] | 0x20) as u32;
    (n as u32)
        .wrapping_mul(0x9e37_79b9)
        .wrapping_add(first.wrapping_mul(0x85eb_ca6b))
        .wrapping_add(second.wrapping_mul(0xc2b2_ae35))
        .wrapping_add(last.wrapping_mul(0x27d4_eb2f))
        .rotate_right(13)
}

const fn build_lookup() -> [u8; SLOTS] {
    let mut t = [OTHER; SLOTS];
    let mut e = 0;
    while e < ENTRIES.len() {
        let mut slot = hash(ENTRIES[e].0.as_bytes()) as usize & (SLOTS - 1);
        while t[slot] != OTHER {
            slot = (slot + 1) & (SLOTS - 1);
        }
        t[slot] = e as u8;
        e += 1;
    }
    t
}

static LOOKUP: [u8; SLOTS] = build_lookup();

/// Longest registered name ("P-Charging-Function-Addresses" is 29 bytes).
const MAX_NAME: usize = 32;

/// Fast path of the framing pass for a header line at `buf[pos..]` that starts with a
/// registered name followed directly by `:` (nearly every line): the name's id and length.
/// `None` for anything else (unregistered name, whitespace before the colon, a line
/// without a colon, a short buffer): the caller then reads the line the general way.
///
/// The colon is found eight bytes at a time, and the name compared with the table a word
/// at a time, so the name's bytes are never walked one by one.
#[inline]
pub(crate) fn lookup_line(buf: &[u8], pos: usize) -> Option<(NameId, usize)> {
    use crate::scan::{first_below, first_eq, word_at};
    let mut k = 0;
    let n = loop {
        if k == MAX_NAME / 8 {
            return None;
        }
        let v = word_at(buf, pos + 8 * k)?;
        let colon = first_eq(v, b':');
        // A control byte (LF, CR, ...) or space before the colon: not the simple form.
        let stop = first_below(v, 0x21);
        if colon != 0 {
            if stop != 0 && stop.trailing_zeros() < colon.trailing_zeros() {
                return None;
            }
            break 8 * k + (colon.trailing_zeros() / 8) as usize;
        }
        if stop != 0 {
            return None;
        }
        k += 1;
    };
    if n == 0 {
        return None;
    }
    let mut slot = hash(&buf[pos..pos + n]) as usize & (SLOTS - 1);
    loop {
        let e = usize::from(LOOKUP[slot]);
        if e == usize::from(OTHER) {
            return None;
        }
        if usize::from(LENS[e]) == n && line_name_eq(buf, pos, n, &WORDS[e]) {
            return Some((ENTRIES[e].1, n));
        }
        slot = (slot + 1) & (SLOTS - 1);
    }
}

/// Whether the `n` bytes at `buf[pos..]`, all at least 0x21 and with whole words readable up
/// to the one holding byte `n`, equal the table spelling `t`, ignoring case. For bytes of
/// at least 0x21, `| 0x20` gives a table byte (a lower-case letter, digit or '-') exactly
/// when the byte is that letter in either case, or that digit or '-'.
#[inline]
fn line_name_eq(buf: &[u8], pos: usize, n: usize, t: &[u64; MAX_NAME / 8]) -> bool {
    const FOLD: u64 = 0x2020_2020_2020_2020;
    let full = n / 8;
    for (i, tw) in t.iter().enumerate().take(full) {
        if crate::scan::word_at(buf, pos + 8 * i).unwrap_or(0) | FOLD != *tw {
            return false;
        }
    }
    let rem = n % 8;
    if rem == 0 {
        return true;
    }
    let mask = (1u64 << (8 * rem)) - 1;
    (crate::scan::word_at(buf, pos + 8 * full).unwrap_or(0) | FOLD) & mask
        == t.get(full).copied().unwrap_or(u64::MAX)
}

/// Headers whose first field the framing pass remembers, so their typed accessors find it
/// without walking the header index: the ones a UA reads on nearly every message.
const HOT_NAMES: [Id; HOT_SLOTS] = [
    Id::Via,
    Id::From,
    Id::To,
    Id::CallId,
    Id::CSeq,
    Id::Contact,
    Id::ContentType,
    Id::MaxForwards,
    Id::Authorization,
    Id::WwwAuthenticate,
    Id::ProxyAuthenticate,
    Id::ProxyAuthorization,
];

/// Number of remembered headers.
pub(crate) const HOT_SLOTS: usize = 12;

/// Marks an empty slot (and an index the slots cannot hold).
pub(crate) const NO_SLOT: u8 = u8::MAX;

/// Slot of each name id in `HOT_NAMES`, or `NO_SLOT`.
pub(crate) static HOT: [u8; 256] = {
    let mut t = [NO_SLOT; 256];
    let mut i = 0;
    while i < HOT_SLOTS {
        t[HOT_NAMES[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// Each spelling in lower case as little-endian 8-byte words, zero-padded.
const fn build_words() -> [[u64; MAX_NAME / 8]; ENTRIES.len()] {
    let mut t = [[0u64; MAX_NAME / 8]; ENTRIES.len()];
    let mut e = 0;
    while e < ENTRIES.len() {
        let b = ENTRIES[e].0.as_bytes();
        let mut i = 0;
        while i < b.len() {
            t[e][i / 8] |= (b[i].to_ascii_lowercase() as u64) << (8 * (i % 8));
            i += 1;
        }
        e += 1;
    }
    t
}

static WORDS: [[u64; MAX_NAME / 8]; ENTRIES.len()] = build_words();

const fn build_lens() -> [u8; ENTRIES.len()] {
    let mut t = [0u8; ENTRIES.len()];
    let mut e = 0;
    while e < ENTRIES.len() {
        t[e] = ENTRIES[e].0.len() as u8;
        e += 1;
    }
    t
}

static LENS: [u8; ENTRIES.len()] = build_lens();

/// Whether the token `name` equals the lower-case spelling `words` (of the same length)
/// ignoring ASCII case. Table names hold only letters, digits and '-', and `name` is a
/// token: for those, `b | 0x20` equals the lower-case table byte exactly when the bytes
/// match ignoring case (the other bytes that `| 0x20` maps onto a digit or '-' are control
/// characters, never in a token). Eight bytes are compared at a time.
#[inline]
fn folded_eq(name: &[u8], words: &[u64; MAX_NAME / 8]) -> bool {
    const FOLD: u64 = 0x2020_2020_2020_2020;
    let mut chunks = name.chunks_exact(8);
    for (c, w) in (&mut chunks).zip(words) {
        let v = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        if v | FOLD != *w {
            return false;
        }
    }
    let rem = chunks.remainder();
    let mut v = 0u64;
    for (i, &b) in rem.iter().enumerate() {
        v |= u64::from(b | 0x20) << (8 * i);
    }
    rem.is_empty() || words.get(name.len() / 8) == Some(&v)
}

header_names! {
    Accept => "Accept";
    AcceptContact => "Accept-Contact", compact "a";
    AcceptEncoding => "Accept-Encoding";
    AcceptLanguage => "Accept-Language";
    AcceptResourcePriority => "Accept-Resource-Priority";
    AdditionalIdentity => "Additional-Identity";
    AlertInfo => "Alert-Info";
    AlertMsgError => "AlertMsg-Error";
    Allow => "Allow";
    AllowEvents => "Allow-Events", compact "u";
    AnswerMode => "Answer-Mode";
    AttestationInfo => "Attestation-Info";
    AuthenticationInfo => "Authentication-Info";
    Authorization => "Authorization";
    CallId => "Call-ID", compact "i";
    CallInfo => "Call-Info";
    CellularNetworkInfo => "Cellular-Network-Info";
    Contact => "Contact", compact "m";
    ContentDisposition => "Content-Disposition";
    ContentEncoding => "Content-Encoding", compact "e";
    ContentId => "Content-ID";
    ContentLanguage => "Content-Language";
    ContentLength => "Content-Length", compact "l";
    ContentType => "Content-Type", compact "c";
    CSeq => "CSeq";
    Date => "Date";
    Encryption => "Encryption";
    ErrorInfo => "Error-Info";
    Event => "Event", compact "o";
    Expires => "Expires";
    FeatureCaps => "Feature-Caps";
    FlowTimer => "Flow-Timer";
    From => "From", compact "f";
    Geolocation => "Geolocation";
    GeolocationError => "Geolocation-Error";
    GeolocationRouting => "Geolocation-Routing";
    Hide => "Hide";
    HistoryInfo => "History-Info";
    Identity => "Identity", compact "y";
    IdentityInfo => "Identity-Info", compact "n";
    InfoPackage => "Info-Package";
    InReplyTo => "In-Reply-To";
    Join => "Join";
    MaxBreadth => "Max-Breadth";
    MaxForwards => "Max-Forwards";
    MimeVersion => "MIME-Version";
    MinExpires => "Min-Expires";
    MinSe => "Min-SE";
    Organization => "Organization";
    OriginationId => "Origination-Id";
    PAccessNetworkInfo => "P-Access-Network-Info";
    PAnswerState => "P-Answer-State";
    PAssertedIdentity => "P-Asserted-Identity";
    PAssertedService => "P-Asserted-Service";
    PAssociatedUri => "P-Associated-URI";
    PCalledPartyId => "P-Called-Party-ID";
    PChargeInfo => "P-Charge-Info";
    PChargingFunctionAddresses => "P-Charging-Function-Addresses";
    PChargingVector => "P-Charging-Vector";
    PDcsTracePartyId => "P-DCS-Trace-Party-ID";
    PDcsOsps => "P-DCS-OSPS";
    PDcsBillingInfo => "P-DCS-Billing-Info";
    PDcsLaes => "P-DCS-LAES";
    PDcsRedirect => "P-DCS-Redirect";
    PEarlyMedia => "P-Early-Media";
    PMediaAuthorization => "P-Media-Authorization";
    PPreferredIdentity => "P-Preferred-Identity";
    PPreferredService => "P-Preferred-Service";
    PPrivateNetworkIndication => "P-Private-Network-Indication";
    PProfileKey => "P-Profile-Key";
    PRefusedUriList => "P-Refused-URI-List";
    PServedUser => "P-Served-User";
    PUserDatabase => "P-User-Database";
    PVisitedNetworkId => "P-Visited-Network-ID";
    Path => "Path";
    PermissionMissing => "Permission-Missing";
    PolicyContact => "Policy-Contact";
    PolicyId => "Policy-ID";
    Priority => "Priority";
    PriorityShare => "Priority-Share";
    PriorityVerstat => "Priority-Verstat";
    PrivAnswerMode => "Priv-Answer-Mode";
    Privacy => "Privacy";
    ProxyAuthenticate => "Proxy-Authenticate";
    ProxyAuthorization => "Proxy-Authorization";
    ProxyRequire => "Proxy-Require";
    RAck => "RAck";
    Reason => "Reason";
    ReasonPhrase => "Reason-Phrase";
    RecordRoute => "Record-Route";
    RecvInfo => "Recv-Info";
    ReferEventsAt => "Refer-Events-At";
    ReferSub => "Refer-Sub";
    ReferTo => "Refer-To", compact "r";
    ReferredBy => "Referred-By", compact "b";
    RejectContact => "Reject-Contact", compact "j";
    RelayedCharge => "Relayed-Charge";
    Replaces => "Replaces";
    ReplyTo => "Reply-To";
    RequestDisposition => "Request-Disposition", compact "d";
    Require => "Require";
    ResourcePriority => "Resource-Priority";
    ResourceShare => "Resource-Share";
    ResponseKey => "Response-Key";
    ResponseSource => "Response-Source";
    RestorationInfo => "Restoration-Info";
    RetryAfter => "Retry-After";
    Route => "Route";
    RSeq => "RSeq";
    SecurityClient => "Security-Client";
    SecurityServer => "Security-Server";
    SecurityVerify => "Security-Verify";
    Server => "Server";
    ServiceInteractInfo => "Service-Interact-Info";
    ServiceRoute => "Service-Route";
    SessionExpires => "Session-Expires", compact "x";
    SessionId => "Session-ID";
    SipEtag => "SIP-ETag";
    SipIfMatch => "SIP-If-Match";
    Subject => "Subject", compact "s";
    SubscriptionState => "Subscription-State";
    Supported => "Supported", compact "k";
    SuppressIfMatch => "Suppress-If-Match";
    TargetDialog => "Target-Dialog";
    Timestamp => "Timestamp";
    To => "To", compact "t";
    TriggerConsent => "Trigger-Consent";
    Unsupported => "Unsupported";
    UserAgent => "User-Agent";
    UserToUser => "User-to-User";
    Via => "Via", compact "v";
    Warning => "Warning";
    WwwAuthenticate => "WWW-Authenticate";
}

impl HeaderName {
    /// Parses a header name: registered names (long or compact form, any case) give their
    /// variant, any other token gives [`HeaderName::Other`].
    pub fn from_bytes(name: &[u8]) -> crate::Result<HeaderName> {
        if name.is_empty() || !name.iter().all(|&b| crate::scan::is_token(b)) {
            return Err(crate::Error::syntax("header name", 0, "a token"));
        }
        Ok(Self::from_token(name, || Bytes::copy_from_slice(name)))
    }

    /// `name` must already be a token; `raw` is called only for an unregistered name.
    pub(crate) fn from_token(name: &[u8], raw: impl FnOnce() -> Bytes) -> HeaderName {
        match HeaderName::from_id(HeaderName::lookup(name)) {
            Some(n) => n,
            None => HeaderName::Other(OtherHeaderName(raw())),
        }
    }
}

impl std::str::FromStr for HeaderName {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<HeaderName> {
        HeaderName::from_bytes(s.as_bytes())
    }
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unregistered header name. Only the lookup creates one, so it is never a registered name
/// in disguise. Equality and hashing ignore ASCII case.
#[derive(Clone)]
pub struct OtherHeaderName(Bytes);

impl OtherHeaderName {
    /// `raw` must be a token that is not a registered name.
    pub(crate) fn new(raw: Bytes) -> Self {
        OtherHeaderName(raw)
    }

    /// The name as received.
    pub fn as_str(&self) -> &str {
        // Only token bytes (ASCII) are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl fmt::Debug for OtherHeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for OtherHeaderName {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}
impl Eq for OtherHeaderName {}

impl Hash for OtherHeaderName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for b in self.0.iter() {
            state.write_u8(b.to_ascii_lowercase());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_forms_map_to_long_names() {
        for (c, long) in [
            ("a", HeaderName::AcceptContact),
            ("b", HeaderName::ReferredBy),
            ("c", HeaderName::ContentType),
            ("d", HeaderName::RequestDisposition),
            ("e", HeaderName::ContentEncoding),
            ("f", HeaderName::From),
            ("i", HeaderName::CallId),
            ("j", HeaderName::RejectContact),
            ("k", HeaderName::Supported),
            ("l", HeaderName::ContentLength),
            ("m", HeaderName::Contact),
            ("n", HeaderName::IdentityInfo),
            ("o", HeaderName::Event),
            ("r", HeaderName::ReferTo),
            ("s", HeaderName::Subject),
            ("t", HeaderName::To),
            ("u", HeaderName::AllowEvents),
            ("v", HeaderName::Via),
            ("x", HeaderName::SessionExpires),
            ("y", HeaderName::Identity),
        ] {
            assert_eq!(HeaderName::from_bytes(c.as_bytes()).unwrap(), long, "{c}");
            assert_eq!(
                HeaderName::from_bytes(c.to_uppercase().as_bytes()).unwrap(),
                long
            );
            assert_eq!(long.compact(), Some(c));
        }
    }

    #[test]
    fn every_registered_name_round_trips_in_any_case() {
        for id in 0..OTHER {
            let Some(name) = HeaderName::from_id(id) else {
                break;
            };
            let s = name.as_str();
            assert_eq!(HeaderName::from_bytes(s.as_bytes()).unwrap(), name);
            assert_eq!(
                HeaderName::from_bytes(s.to_ascii_uppercase().as_bytes()).unwrap(),
                name
            );
            assert_eq!(
                HeaderName::from_bytes(s.to_ascii_lowercase().as_bytes()).unwrap(),
                name
            );
            assert_eq!(name.id(), id);
        }
    }

    #[test]
    fn other_names_compare_case_insensitively_and_never_shadow_registered_ones() {
        let a = HeaderName::from_bytes(b"X-Custom").unwrap();
        let b = HeaderName::from_bytes(b"x-custom").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "X-Custom");
        assert!(matches!(
            HeaderName::from_bytes(b"CALL-ID").unwrap(),
            HeaderName::CallId
        ));
        assert!(HeaderName::from_bytes(b"bad name").is_err());
        assert!(HeaderName::from_bytes(b"").is_err());
    }
}

#[cfg(test)]
mod table_tests {
    use super::*;

    #[test]
    fn line_lookup_agrees_with_name_lookup() {
        for (name, id) in ENTRIES {
            for n in [
                name.to_string(),
                name.to_ascii_uppercase(),
                name.to_ascii_lowercase(),
            ] {
                let line = format!("{n}: value\r\n");
                assert_eq!(lookup_line(line.as_bytes(), 0), Some((*id, n.len())), "{n}");
                // Whitespace before the colon or an unknown name: the general path.
                let spaced = format!("{n} : value\r\n");
                assert_eq!(lookup_line(spaced.as_bytes(), 0), None, "{n}");
            }
        }
        for line in [
            &b"Call\rID: value\r\n"[..],
            b"Call\x0dID: x\r\nmore bytes",
            b"Content\x0dLength: 1\r\n\r\n",
            b"X-Custom: value\r\n",
            b"Via\r\n: value\r\nxxxxxxx",
            b": value\r\nxxxxxxxxxx",
            b"Vi\xc3\xa1: value\r\n",
            b"Via:",
        ] {
            assert_eq!(lookup_line(line, 0), None, "{line:?}");
        }
    }

    #[test]
    fn spellings_are_unique_and_fit_the_table() {
        assert!(ENTRIES.len() < usize::from(OTHER));
        assert!(ENTRIES.len() * 2 < SLOTS);
        assert!(ENTRIES.iter().all(|(n, _)| n.len() <= MAX_NAME
            && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')));
        for (i, (a, _)) in ENTRIES.iter().enumerate() {
            for (b, _) in &ENTRIES[i + 1..] {
                assert!(!a.eq_ignore_ascii_case(b), "{a} listed twice");
            }
        }
    }
}

#[cfg(test)]
mod probe_stats {
    use super::*;

    #[test]
    fn probe_chains_are_short() {
        let mut total = 0;
        let mut worst = 0;
        for (name, _) in ENTRIES {
            let mut slot = hash(name.as_bytes()) as usize & (SLOTS - 1);
            let mut n = 1;
            while !ENTRIES[LOOKUP[slot] as usize].0.eq_ignore_ascii_case(name) {
                slot = (slot + 1) & (SLOTS - 1);
                n += 1;
            }
            total += n;
            worst = worst.max(n);
        }
        // Misses (unknown names) walk until an empty slot; keep clusters small too.
        let mut run = 0;
        let mut worst_run = 0;
        for s in LOOKUP.iter() {
            if *s == OTHER {
                run = 0
            } else {
                run += 1;
                worst_run = worst_run.max(run)
            }
        }
        eprintln!(
            "avg {} worst {} worst cluster {}",
            total as f64 / ENTRIES.len() as f64,
            worst,
            worst_run
        );
        assert!(
            worst <= 6 && worst_run <= 8,
            "avg {total} worst {worst} cluster {worst_run}"
        );
    }
}
