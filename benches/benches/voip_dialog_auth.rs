//! The voip crate's dialog and auth glue against `rsip`, side by side in the same run.
//!
//! `cargo bench -p voip-benches --bench voip_dialog_auth`; results in `docs/benchmarks.md`.
//!
//! Scope differs, read the ratios with it in mind:
//! * `dialog_bye` — `voip::dialog::Dialog::request(BYE)` derives everything from dialog
//!   state (Request-URI and Route per the route set, tags, next CSeq, random Via branch),
//!   writes the message and **parses it back** into a `SipMessage` ready for the
//!   transaction layer. `rsip` assembles a `Request` from pre-built header values (the
//!   dialog bookkeeping is the caller's) and serializes it to a `String`; it does not parse.
//! * `auth_retry_register` — `voip::auth::ClientAuth::authorize` takes the parsed REGISTER
//!   and 401, parses the challenge, looks up credentials, applies the policy, computes the
//!   digest with a random cnonce, rebuilds the request (CSeq + 1, new branch) and parses it.
//!   `rsip` types the challenge, computes the digest, edits a clone of the request (CSeq,
//!   Via), adds a typed Authorization and serializes it.

use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use sip_message::{Method, SipMessage};

const INVITE: &str = "INVITE sip:bob@127.0.0.1 SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKinv1;rport\r\n\
Max-Forwards: 70\r\n\
From: \"Alice\" <sip:alice@127.0.0.1>;tag=a1\r\n\
To: <sip:bob@127.0.0.1>\r\n\
Call-ID: call-1@127.0.0.1\r\n\
CSeq: 41 INVITE\r\n\
Contact: <sip:alice@127.0.0.1:5062>\r\n\
Content-Length: 0\r\n\r\n";

const OK: &str = "SIP/2.0 200 OK\r\n\
Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKinv1;rport=5062\r\n\
Record-Route: <sip:127.0.0.1:5071;lr>\r\n\
Record-Route: <sip:127.0.0.1:5072;lr>\r\n\
From: \"Alice\" <sip:alice@127.0.0.1>;tag=a1\r\n\
To: <sip:bob@127.0.0.1>;tag=b2\r\n\
Call-ID: call-1@127.0.0.1\r\n\
CSeq: 41 INVITE\r\n\
Contact: <sip:bob@127.0.0.1:5064>\r\n\
Content-Length: 0\r\n\r\n";

const REGISTER: &str = "REGISTER sip:127.0.0.1 SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKr1;rport\r\n\
Max-Forwards: 70\r\n\
From: <sip:alice@127.0.0.1>;tag=r1\r\n\
To: <sip:alice@127.0.0.1>\r\n\
Call-ID: reg-1@127.0.0.1\r\n\
CSeq: 1 REGISTER\r\n\
Contact: <sip:alice@127.0.0.1:5062>;expires=300\r\n\
Expires: 300\r\n\
Content-Length: 0\r\n\r\n";

const UNAUTHORIZED: &str = "SIP/2.0 401 Unauthorized\r\n\
Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKr1;rport=5062\r\n\
From: <sip:alice@127.0.0.1>;tag=r1\r\n\
To: <sip:alice@127.0.0.1>;tag=srv\r\n\
Call-ID: reg-1@127.0.0.1\r\n\
CSeq: 1 REGISTER\r\n\
WWW-Authenticate: Digest realm=\"voip.test\", nonce=\"7ypf/xlj9XXwfDPEoM4URrv\", qop=\"auth\", algorithm=MD5\r\n\
Content-Length: 0\r\n\r\n";

fn parse(s: &'static str) -> SipMessage {
    SipMessage::parse(Bytes::from_static(s.as_bytes())).unwrap()
}

fn dialog_bye(c: &mut Criterion) {
    let mut g = c.benchmark_group("dialog_bye");
    let dialog = voip::dialog::Dialog::new_uac(&parse(INVITE), &parse(OK)).unwrap();
    g.bench_function("voip", |b| {
        let mut d = dialog.clone();
        b.iter(|| black_box(d.request(Method::Bye).unwrap().build().unwrap()))
    });

    use rsip::headers::UntypedHeader;
    let uri = rsip::Uri::try_from("sip:bob@127.0.0.1:5064").unwrap();
    let mut seq = 41u32;
    g.bench_function("rsip", |b| {
        b.iter(|| {
            seq += 1;
            let headers: Vec<rsip::Header> = vec![
                rsip::headers::Via::new(format!(
                    "SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK{seq:016x};rport"
                ))
                .into(),
                rsip::headers::MaxForwards::new("70").into(),
                rsip::headers::Route::new("<sip:127.0.0.1:5072;lr>").into(),
                rsip::headers::Route::new("<sip:127.0.0.1:5071;lr>").into(),
                rsip::headers::From::new("\"Alice\" <sip:alice@127.0.0.1>;tag=a1").into(),
                rsip::headers::To::new("<sip:bob@127.0.0.1>;tag=b2").into(),
                rsip::headers::CallId::new("call-1@127.0.0.1").into(),
                rsip::headers::CSeq::new(format!("{seq} BYE")).into(),
                rsip::headers::ContentLength::new("0").into(),
            ];
            let req = rsip::Request {
                method: rsip::Method::Bye,
                uri: uri.clone(),
                version: rsip::Version::V2,
                headers: headers.into(),
                body: Vec::new(),
            };
            black_box(req.to_string())
        })
    });
    g.finish();
}

fn auth_retry(c: &mut Criterion) {
    let mut g = c.benchmark_group("auth_retry_register");
    let register = parse(REGISTER);
    let challenge = parse(UNAUTHORIZED);
    let mut cm = credentials::CredentialsManager::new();
    cm.add("alice", "s3cret", Some("127.0.0.1"), None, None)
        .unwrap();
    let mut auth = voip::auth::ClientAuth::default();
    g.bench_function("voip", |b| {
        b.iter(|| {
            black_box(
                auth.authorize(
                    black_box(&register),
                    black_box(&challenge),
                    &cm,
                    "127.0.0.1",
                )
                .unwrap(),
            )
        })
    });

    use rsip::prelude::*;
    let req = rsip::Request::try_from(REGISTER.as_bytes()).unwrap();
    let resp = rsip::Response::try_from(UNAUTHORIZED.as_bytes()).unwrap();
    let mut n = 0u64;
    g.bench_function("rsip", |b| {
        b.iter(|| {
            n += 1;
            let www = resp.www_authenticate_header().unwrap().typed().unwrap();
            let mut r = black_box(&req).clone();
            let seq = r.cseq_header().unwrap().seq().unwrap();
            r.cseq_header_mut().unwrap().mut_seq(seq + 1).unwrap();
            *r.via_header_mut().unwrap() = rsip::headers::Via::new(format!(
                "SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK{n:016x};rport"
            ));
            let qop = rsip::headers::auth::AuthQop::Auth {
                cnonce: format!("{n:032x}"),
                nc: 1,
            };
            let algorithm = www.algorithm.unwrap_or(rsip::headers::auth::Algorithm::Md5);
            let response = rsip::services::DigestGenerator {
                username: "alice",
                password: "s3cret",
                nonce: &www.nonce,
                uri: &r.uri,
                realm: &www.realm,
                method: &r.method,
                qop: Some(&qop),
                algorithm,
            }
            .compute();
            let authorization = rsip::typed::Authorization {
                scheme: rsip::headers::auth::Scheme::Digest,
                username: "alice".into(),
                realm: www.realm.clone(),
                nonce: www.nonce.clone(),
                uri: r.uri.clone(),
                response,
                algorithm: Some(algorithm),
                opaque: www.opaque.clone(),
                qop: Some(qop),
            };
            r.headers.push(authorization.into());
            black_box(r.to_string())
        })
    });
    g.finish();
}

criterion_group!(benches, dialog_bye, auth_retry);
criterion_main!(benches);
