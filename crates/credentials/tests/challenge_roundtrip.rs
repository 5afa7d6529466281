//! Property tests: `Display` of any challenge parses back to the same challenge, arbitrary
//! input never panics, and whatever parses survives a display/parse cycle unchanged.

use std::borrow::Cow;

use credentials::{
    AuthParam, BasicChallenge, Challenge, Credentials, DigestChallenge, OtherChallenge, digest,
    parse_challenges,
};
use proptest::prelude::*;

const TOKEN: &str = "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}";
/// Anything a quoted-string can carry: HTAB, SP, VCHAR, and non-ASCII (obs-text).
const QUOTABLE: &str = "[\\t\\x20-\\x7e\\u{80}-\\u{2000}]{0,24}";

fn cow(s: String) -> Cow<'static, str> {
    Cow::Owned(s)
}

fn params(reserved: &'static [&'static str]) -> impl Strategy<Value = Vec<AuthParam<'static>>> {
    prop::collection::vec(
        (
            TOKEN.prop_filter("reserved name", move |n| {
                !reserved.iter().any(|r| r.eq_ignore_ascii_case(n))
            }),
            QUOTABLE,
        )
            .prop_map(|(n, v)| AuthParam {
                name: cow(n),
                value: cow(v),
            }),
        0..4,
    )
}

const DIGEST_NAMES: &[&str] = &[
    "realm",
    "domain",
    "nonce",
    "opaque",
    "stale",
    "algorithm",
    "qop",
    "charset",
    "userhash",
];

fn digest_challenge() -> impl Strategy<Value = Challenge<'static>> {
    (
        (
            QUOTABLE,
            QUOTABLE,
            prop::option::of(QUOTABLE),
            prop::option::of(QUOTABLE),
        ),
        (
            any::<bool>(),
            prop::option::of(QUOTABLE),
            prop::option::of(QUOTABLE),
            prop::option::of(QUOTABLE),
        ),
        any::<bool>(),
        params(DIGEST_NAMES),
    )
        .prop_map(
            |(
                (realm, nonce, domain, opaque),
                (stale, algorithm, qop, charset),
                userhash,
                other,
            )| {
                Challenge::Digest(DigestChallenge {
                    realm: cow(realm),
                    domain: domain.map(cow),
                    nonce: cow(nonce),
                    opaque: opaque.map(cow),
                    stale,
                    algorithm: algorithm.map(cow),
                    qop: qop.map(cow),
                    charset: charset.map(cow),
                    userhash,
                    other,
                })
            },
        )
}

fn basic_challenge() -> impl Strategy<Value = Challenge<'static>> {
    (
        prop::option::of(QUOTABLE),
        prop::option::of(QUOTABLE),
        params(&["realm", "charset"]),
    )
        .prop_map(|(realm, charset, other)| {
            Challenge::Basic(BasicChallenge {
                realm: realm.map(cow),
                charset: charset.map(cow),
                other,
            })
        })
}

fn other_challenge() -> impl Strategy<Value = Challenge<'static>> {
    let scheme = TOKEN.prop_filter("typed scheme", |s| {
        !s.eq_ignore_ascii_case("digest") && !s.eq_ignore_ascii_case("basic")
    });
    let body = prop_oneof![
        "[A-Za-z0-9._~+/-]{1,16}={0,2}".prop_map(|t| (Some(cow(t)), Vec::new())),
        params(&[]).prop_map(|p| (None, p)),
    ];
    (scheme, body).prop_map(|(scheme, (token68, params))| {
        Challenge::Other(OtherChallenge {
            scheme: cow(scheme),
            token68,
            params,
        })
    })
}

fn challenge() -> impl Strategy<Value = Challenge<'static>> {
    prop_oneof![digest_challenge(), basic_challenge(), other_challenge()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn display_parses_back(cs in prop::collection::vec(challenge(), 1..5)) {
        let text = cs.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        let parsed = parse_challenges(&text);
        prop_assert_eq!(parsed.as_deref(), Ok(&cs[..]), "text: {}", text);
    }

    #[test]
    fn arbitrary_input_never_panics_and_is_stable(s in "\\PC{0,120}|[\\x00-\\x7f]{0,120}") {
        if let Ok(cs) = parse_challenges(&s) {
            let text = cs.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
            let again = parse_challenges(&text);
            prop_assert_eq!(again.as_deref(), Ok(&cs[..]), "input {:?} displayed as {:?}", s, text);
            for c in &cs {
                if let Challenge::Digest(d) = c {
                    let req = digest::DigestRequest::new("REGISTER", "sip:127.0.0.1", "c", 1);
                    let _ = digest::respond(d, &Credentials::new("u", "p"), &req);
                }
            }
        }
    }

    #[test]
    fn header_like_input_never_panics(parts in prop::collection::vec(
        prop_oneof![
            Just("Digest".to_owned()), Just("Basic".to_owned()), Just(",".to_owned()), Just(" ".to_owned()),
            Just("=".to_owned()), Just("\"".to_owned()), Just("\\".to_owned()), Just("\r\n ".to_owned()),
            Just("realm".to_owned()), Just("nonce".to_owned()), Just("qop".to_owned()), TOKEN.prop_map(String::from),
        ],
        0..24,
    )) {
        let s = parts.concat();
        let _ = parse_challenges(&s);
    }
}
