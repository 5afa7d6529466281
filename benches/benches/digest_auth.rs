//! Digest authentication: parsing a `WWW-Authenticate` value and computing the answer,
//! `credentials` against `rsip` and `ezk-sip-types`, side by side in the same run.
//!
//! `cargo bench -p voip-benches --bench digest_auth`; results in `docs/benchmarks.md`.
//!
//! What each contestant does differs in scope, so read the ratios with that in mind:
//! * parse — `credentials` splits the value into every challenge with typed Digest fields
//!   (borrowed strings); `rsip` tokenizes then copies into a typed header (one challenge
//!   only); `ezk-sip-types` parses one challenge with nom into `BytesStr` fields.
//! * respond — `credentials::digest::respond` validates inputs and builds the full answer
//!   (owned strings for every parameter); `rsip`'s `DigestGenerator::compute` returns just
//!   the response hash.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ezk_sip_types::header::HeaderParse;

/// One challenge with a single qop value: `rsip` rejects qop lists (`qop="auth, auth-int"`).
const CHALLENGE: &str = r#"Digest realm="http-auth@example.org", qop="auth", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("digest_challenge_parse");
    g.bench_function("credentials", |b| {
        b.iter(|| credentials::parse_challenges(black_box(CHALLENGE)).unwrap())
    });
    g.bench_function("rsip", |b| {
        use rsip::headers::{ToTypedHeader, UntypedHeader};
        b.iter(|| {
            rsip::headers::WwwAuthenticate::new(black_box(CHALLENGE))
                .typed()
                .unwrap()
        })
    });
    let src = bytes::Bytes::from_static(CHALLENGE.as_bytes());
    g.bench_function("ezk-sip-types", |b| {
        b.iter(|| {
            let s = std::str::from_utf8(black_box(&src)).unwrap();
            ezk_sip_types::header::typed::AuthChallenge::parse(&src, s).unwrap()
        })
    });
    g.finish();
}

fn respond(c: &mut Criterion) {
    let mut g = c.benchmark_group("digest_response_md5_auth");
    let challenges = credentials::parse_challenges(CHALLENGE).unwrap();
    let credentials::Challenge::Digest(ch) = &challenges[0] else {
        unreachable!()
    };
    let creds = credentials::Credentials::new("Mufasa", "Circle of Life");
    let req = credentials::digest::DigestRequest::new(
        "REGISTER",
        "sip:127.0.0.1",
        "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
        1,
    );
    g.bench_function("credentials", |b| {
        b.iter(|| credentials::digest::respond(black_box(ch), &creds, black_box(&req)).unwrap())
    });

    let uri = rsip::Uri::try_from("sip:127.0.0.1").unwrap();
    let method = rsip::Method::Register;
    let qop = rsip::headers::auth::AuthQop::Auth {
        cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ".into(),
        nc: 1,
    };
    g.bench_function("rsip", |b| {
        b.iter(|| {
            rsip::services::DigestGenerator {
                username: "Mufasa",
                password: "Circle of Life",
                nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
                uri: &uri,
                realm: "http-auth@example.org",
                method: &method,
                qop: Some(black_box(&qop)),
                algorithm: rsip::headers::auth::Algorithm::Md5,
            }
            .compute()
        })
    });
    g.finish();
}

criterion_group!(benches, parse, respond);
criterion_main!(benches);
