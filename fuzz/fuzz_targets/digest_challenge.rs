//! Parses arbitrary bytes as a `WWW-Authenticate` value; whatever parses must display and
//! parse back to the same challenges, and every Digest challenge is answered (errors are
//! fine, panics are not).
#![no_main]

use credentials::{
    AuthPolicy, AuthRequest, Authenticator, Challenge, Credentials, CredentialsManager, digest,
    parse_challenges,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(challenges) = parse_challenges(text) else {
        return;
    };

    let shown = challenges
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let again = parse_challenges(&shown).expect("displayed challenges must parse");
    assert_eq!(again, challenges, "round trip of {text:?} via {shown:?}");

    let creds = Credentials::new("alice", "secret");
    for c in &challenges {
        if let Challenge::Digest(d) = c {
            let req = digest::DigestRequest::new("INVITE", "sip:bob@127.0.0.1", "0a4f113b", 1)
                .with_body(b"v=0");
            if let Ok(auth) = digest::respond(d, &creds, &req) {
                // The answer is a well-formed header value: it parses as an auth list.
                let value = auth.to_string();
                assert!(!value.contains(['\r', '\n']), "{value:?}");
                parse_challenges(&value).expect("authorization value must be a valid auth list");
            }
        }
    }

    let mut cm = CredentialsManager::new();
    let _ = cm.add("alice", "secret", None, None, None);
    let policy = AuthPolicy {
        allow_basic: true,
        ..AuthPolicy::default()
    };
    let mut auth = Authenticator::new(policy).with_cnonce_source(|| "c".to_owned());
    let _ = auth.authorize(
        &challenges,
        &cm,
        "127.0.0.1",
        "alice",
        &AuthRequest::new("REGISTER", "sip:127.0.0.1", b""),
    );
});
