//! Answering 401/407 for any method: INVITE, REFER, MESSAGE, REGISTER. Digests are computed
//! here independently (md-5 / sha2) from RFC 7616 §3.4.1 and compared with the header.

use credentials::{AuthPolicy, Authenticator, CredentialsManager};
use sha2::{Digest as _, Sha256};
use sip_message::{Auth, Bytes, HeaderName, Method, SipMessage};
use voip::auth::{AuthError, ClientAuth};

fn msg(text: &str) -> SipMessage {
    let wire = text.replace("\r\n", "\n").replace('\n', "\r\n");
    SipMessage::parse(Bytes::from(wire)).expect("test message parses")
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn md5(s: &[u8]) -> String {
    hex(md5::Md5::digest(s).as_slice())
}

fn sha256(s: &[u8]) -> String {
    hex(Sha256::digest(s).as_slice())
}

fn auth() -> ClientAuth {
    ClientAuth::with_authenticator(
        Authenticator::new(AuthPolicy::default()).with_cnonce_source(|| "c0ffee42".to_owned()),
    )
}

fn creds() -> CredentialsManager {
    let mut cm = CredentialsManager::new();
    cm.add("alice", "s3cret", Some("127.0.0.1"), None, None)
        .unwrap();
    cm
}

/// The challenge answering `req`, with the given status and challenge header lines.
fn challenge_for(req: &SipMessage, status: &str, headers: &[&str]) -> SipMessage {
    let mut s = format!(
        "SIP/2.0 {status}\nVia: {}\nFrom: {}\nTo: {};tag=srv\nCall-ID: {}\nCSeq: {}\n",
        req.via().unwrap(),
        req.from().unwrap(),
        req.to().unwrap(),
        req.call_id().unwrap(),
        req.cseq().unwrap()
    );
    for h in headers {
        s.push_str(h);
        s.push('\n');
    }
    s.push_str("Content-Length: 0\n\n");
    msg(&s)
}

fn param(a: &Auth<'_>, name: &str) -> String {
    a.param(name).unwrap().into_owned()
}

const SDP: &str = "v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 8 101\r\n";

fn invite() -> SipMessage {
    msg(&format!(
        "INVITE sip:bob@127.0.0.1:5060;transport=udp SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKinv1;rport
Max-Forwards: 70
From: \"Alice\" <sip:alice@127.0.0.1>;tag=a1
To: <sip:bob@127.0.0.1>
Call-ID: inv-1@127.0.0.1
CSeq: 1 INVITE
Contact: <sip:alice@127.0.0.1:5062>
User-Agent: voip-rs test
Content-Type: application/sdp
Content-Length: {}

{SDP}",
        SDP.len()
    ))
}

#[test]
fn invite_407_md5_qop_auth() {
    let inv = invite();
    let ch = challenge_for(
        &inv,
        "407 Proxy Authentication Required",
        &[
            r#"Proxy-Authenticate: Digest realm="voip.test", nonce="abc123", opaque="op", qop="auth", algorithm=MD5"#,
        ],
    );
    let retry = auth().authorize(&inv, &ch, &creds(), "127.0.0.1").unwrap();
    let r = &retry.request;
    r.validate().unwrap();
    assert_eq!(retry.cseq, 2);
    assert!(!retry.stale);
    assert_eq!(retry.realms, ["voip.test"]);
    assert_eq!(r.method(), Some(Method::Invite));
    assert_eq!(r.cseq().unwrap().seq, 2);
    assert_eq!(r.cseq().unwrap().method, Method::Invite);
    assert_eq!(r.call_id().unwrap(), "inv-1@127.0.0.1");
    assert_eq!(r.from_tag(), Some("a1"));
    assert_eq!(r.to_tag(), None);
    let via = r.via().unwrap();
    assert!(via.branch().unwrap().starts_with("z9hG4bK"));
    assert_ne!(via.branch(), Some("z9hG4bKinv1"));
    assert_eq!(via.rport(), Some(None));
    assert_eq!(r.body(), SDP.as_bytes());
    assert!(r.has_sdp());
    assert_eq!(r.user_agent(), Some("voip-rs test"));
    assert_eq!(r.max_forwards().unwrap().unwrap(), 70);
    assert!(r.authorization().next().is_none());

    let pa = r.proxy_authorization().next().unwrap().unwrap();
    let uri = "sip:bob@127.0.0.1:5060;transport=udp";
    assert_eq!(r.request_uri_str(), Some(uri));
    assert_eq!(
        param(&pa, "uri"),
        uri,
        "digest uri = Request-URI byte for byte"
    );
    assert_eq!(param(&pa, "username"), "alice");
    assert_eq!(param(&pa, "realm"), "voip.test");
    assert_eq!(param(&pa, "nonce"), "abc123");
    assert_eq!(param(&pa, "opaque"), "op");
    assert_eq!(param(&pa, "nc"), "00000001");
    assert_eq!(param(&pa, "cnonce"), "c0ffee42");
    assert_eq!(param(&pa, "qop"), "auth");
    let ha1 = md5(b"alice:voip.test:s3cret");
    let ha2 = md5(format!("INVITE:{uri}").as_bytes());
    let expected = md5(format!("{ha1}:abc123:00000001:c0ffee42:auth:{ha2}").as_bytes());
    assert_eq!(param(&pa, "response"), expected);
}

#[test]
fn refer_in_dialog_407_keeps_routes_and_tags() {
    let refer = msg("REFER sip:bob@127.0.0.1:5064 SIP/2.0
Via: SIP/2.0/TCP 127.0.0.1:5062;branch=z9hG4bKref1
Max-Forwards: 70
Route: <sip:127.0.0.1:5071;lr>
Route: <sip:127.0.0.1:5072;lr>
From: <sip:alice@127.0.0.1>;tag=a1
To: <sip:bob@127.0.0.1>;tag=b2
Call-ID: dlg-1@127.0.0.1
CSeq: 17 REFER
Contact: <sip:alice@127.0.0.1:5062;transport=tcp>
Refer-To: <sip:carol@127.0.0.1>
Referred-By: <sip:alice@127.0.0.1>
Content-Length: 0

");
    let ch = challenge_for(
        &refer,
        "407 Proxy Authentication Required",
        &[r#"Proxy-Authenticate: Digest realm="voip.test", nonce="r1", qop="auth""#],
    );
    let retry = auth()
        .authorize(&refer, &ch, &creds(), "127.0.0.1")
        .unwrap();
    let r = &retry.request;
    r.validate().unwrap();
    assert_eq!(r.cseq().unwrap().seq, 18);
    assert_eq!(r.to_tag(), Some("b2"));
    let routes: Vec<String> = r.routes().map(|x| x.unwrap().uri.to_string()).collect();
    assert_eq!(routes, ["sip:127.0.0.1:5071;lr", "sip:127.0.0.1:5072;lr"]);
    assert_eq!(
        r.refer_to().unwrap().unwrap().uri.to_string(),
        "sip:carol@127.0.0.1"
    );
    assert!(r.referred_by().is_some());
    assert_eq!(r.via().unwrap().transport, sip_message::Transport::Tcp);
    let pa = r.proxy_authorization().next().unwrap().unwrap();
    let ha1 = md5(b"alice:voip.test:s3cret");
    let ha2 = md5(b"REFER:sip:bob@127.0.0.1:5064");
    let expected = md5(format!("{ha1}:r1:00000001:c0ffee42:auth:{ha2}").as_bytes());
    assert_eq!(param(&pa, "response"), expected);
}

fn message() -> SipMessage {
    msg("MESSAGE sip:bob@127.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKm1;rport
Max-Forwards: 70
From: <sip:alice@127.0.0.1>;tag=a9
To: <sip:bob@127.0.0.1>
Call-ID: msg-1@127.0.0.1
CSeq: 3 MESSAGE
Content-Type: text/plain;charset=UTF-8
Content-Length: 11

hello there")
}

#[test]
fn message_407_auth_int_hashes_the_real_body() {
    let m = message();
    let ch = challenge_for(
        &m,
        "407 Proxy Authentication Required",
        &[r#"Proxy-Authenticate: Digest realm="voip.test", nonce="m1", qop="auth-int""#],
    );
    let retry = auth().authorize(&m, &ch, &creds(), "127.0.0.1").unwrap();
    let r = &retry.request;
    assert_eq!(r.body(), b"hello there");
    assert_eq!(
        r.header_str(&HeaderName::ContentType),
        Some("text/plain;charset=UTF-8")
    );
    let pa = r.proxy_authorization().next().unwrap().unwrap();
    assert_eq!(param(&pa, "qop"), "auth-int");
    let ha1 = md5(b"alice:voip.test:s3cret");
    let ha2 = md5(format!("MESSAGE:sip:bob@127.0.0.1:{}", md5(b"hello there")).as_bytes());
    let expected = md5(format!("{ha1}:m1:00000001:c0ffee42:auth-int:{ha2}").as_bytes());
    assert_eq!(param(&pa, "response"), expected);
}

#[test]
fn strongest_allowed_algorithm_is_answered() {
    let m = message();
    let ch = challenge_for(
        &m,
        "401 Unauthorized",
        &[
            r#"WWW-Authenticate: Digest realm="voip.test", nonce="s1", qop="auth", algorithm=MD5"#,
            r#"WWW-Authenticate: Digest realm="voip.test", nonce="s1", qop="auth", algorithm=SHA-256"#,
        ],
    );
    let retry = auth().authorize(&m, &ch, &creds(), "127.0.0.1").unwrap();
    let r = &retry.request;
    assert_eq!(r.authorization().count(), 1);
    assert!(r.proxy_authorization().next().is_none());
    let a = r.authorization().next().unwrap().unwrap();
    assert_eq!(param(&a, "algorithm"), "SHA-256");
    let ha1 = sha256(b"alice:voip.test:s3cret");
    let ha2 = sha256(b"MESSAGE:sip:bob@127.0.0.1");
    let expected = sha256(format!("{ha1}:s1:00000001:c0ffee42:auth:{ha2}").as_bytes());
    assert_eq!(param(&a, "response"), expected);

    // With MD5 refused by policy, an MD5-only challenge is a clear error.
    let md5_only = challenge_for(
        &m,
        "401 Unauthorized",
        &[r#"WWW-Authenticate: Digest realm="voip.test", nonce="s1""#],
    );
    let mut strict = ClientAuth::new(AuthPolicy {
        allow_md5: false,
        ..AuthPolicy::default()
    });
    assert_eq!(
        strict
            .authorize(&m, &md5_only, &creds(), "127.0.0.1")
            .unwrap_err(),
        AuthError::Unsupported(credentials::Error::Md5NotAllowed)
    );
    // Unknown algorithms and Basic (refused by default) too.
    let sha1 = challenge_for(
        &m,
        "401 Unauthorized",
        &[r#"WWW-Authenticate: Digest realm="voip.test", nonce="s1", algorithm=SHA-1"#],
    );
    assert!(matches!(
        auth().authorize(&m, &sha1, &creds(), "127.0.0.1"),
        Err(AuthError::Unsupported(
            credentials::Error::UnknownAlgorithm(_)
        ))
    ));
    let basic = challenge_for(
        &m,
        "401 Unauthorized",
        &[r#"WWW-Authenticate: Basic realm="b""#],
    );
    assert_eq!(
        auth()
            .authorize(&m, &basic, &creds(), "127.0.0.1")
            .unwrap_err(),
        AuthError::Unsupported(credentials::Error::BasicNotAllowed)
    );
}

#[test]
fn stale_is_a_retry_and_a_repeated_challenge_is_a_rejection() {
    let m = message();
    let mut a = auth();
    let ch1 = challenge_for(
        &m,
        "401 Unauthorized",
        &[r#"WWW-Authenticate: Digest realm="voip.test", nonce="n1", qop="auth""#],
    );
    let first = a.authorize(&m, &ch1, &creds(), "127.0.0.1").unwrap();
    assert!(!first.stale);
    // The nonce expired: stale=true, answered again, the old Authorization replaced.
    let ch2 = challenge_for(
        &first.request,
        "401 Unauthorized",
        &[r#"WWW-Authenticate: Digest realm="voip.test", nonce="n2", qop="auth", stale=true"#],
    );
    let second = a
        .authorize(&first.request, &ch2, &creds(), "127.0.0.1")
        .unwrap();
    assert!(second.stale);
    assert_eq!(second.cseq, 5);
    assert_eq!(second.request.authorization().count(), 1);
    let cred = second.request.authorization().next().unwrap().unwrap();
    assert_eq!(param(&cred, "nonce"), "n2");
    // Challenged again without stale: the password is wrong.
    let ch3 = challenge_for(
        &second.request,
        "401 Unauthorized",
        &[r#"WWW-Authenticate: Digest realm="voip.test", nonce="n3", qop="auth""#],
    );
    assert_eq!(
        a.authorize(&second.request, &ch3, &creds(), "127.0.0.1")
            .unwrap_err(),
        AuthError::Rejected {
            realm: "voip.test".into()
        }
    );
}

#[test]
fn several_proxies_each_get_their_credentials() {
    let m = message();
    let mut cm = creds();
    cm.add("alice-outer", "pw2", None, Some("outer"), None)
        .unwrap();
    let mut a = auth();
    // Inner proxy challenges first.
    let ch1 = challenge_for(
        &m,
        "407 Proxy Authentication Required",
        &[r#"Proxy-Authenticate: Digest realm="voip.test", nonce="i1", qop="auth""#],
    );
    let first = a.authorize(&m, &ch1, &cm, "127.0.0.1").unwrap();
    // Then the outer one: the inner credentials stay, the outer ones are added.
    let ch2 = challenge_for(
        &first.request,
        "407 Proxy Authentication Required",
        &[r#"Proxy-Authenticate: Digest realm="outer", nonce="o1", qop="auth""#],
    );
    let second = a.authorize(&first.request, &ch2, &cm, "elsewhere").unwrap();
    let realms: Vec<(String, String)> = second
        .request
        .proxy_authorization()
        .map(|p| {
            let p = p.unwrap();
            (param(&p, "realm"), param(&p, "username"))
        })
        .collect();
    assert_eq!(
        realms,
        [
            ("voip.test".to_owned(), "alice".to_owned()),
            ("outer".to_owned(), "alice-outer".to_owned())
        ]
    );
    // Two challenges in one response: one answer each.
    let both = challenge_for(
        &m,
        "407 Proxy Authentication Required",
        &[
            r#"Proxy-Authenticate: Digest realm="voip.test", nonce="b1", qop="auth""#,
            r#"Proxy-Authenticate: Digest realm="outer", nonce="b2", qop="auth""#,
        ],
    );
    let r = auth().authorize(&m, &both, &cm, "127.0.0.1").unwrap();
    assert_eq!(r.realms, ["voip.test", "outer"]);
    assert_eq!(r.request.proxy_authorization().count(), 2);
}

#[test]
fn register_401_and_clear_errors() {
    let reg = msg("REGISTER sip:127.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKr1;rport
Max-Forwards: 70
From: <sip:alice@127.0.0.1>;tag=r1
To: <sip:alice@127.0.0.1>
Call-ID: reg-1@127.0.0.1
CSeq: 1 REGISTER
Contact: <sip:alice@127.0.0.1:5062>;expires=300
Expires: 300
Content-Length: 0

");
    let ch = challenge_for(
        &reg,
        "401 Unauthorized",
        &[r#"WWW-Authenticate: Digest realm="asterisk", nonce="x1""#],
    );
    // No qop (RFC 2069 form, Asterisk style): response = MD5(HA1:nonce:HA2).
    let retry = auth().authorize(&reg, &ch, &creds(), "127.0.0.1").unwrap();
    let r = &retry.request;
    assert_eq!(r.method(), Some(Method::Register));
    assert_eq!(r.expires().unwrap().unwrap(), 300);
    assert_eq!(r.contact().unwrap().unwrap().expires(), Some(300));
    let a = r.authorization().next().unwrap().unwrap();
    assert_eq!(param(&a, "uri"), "sip:127.0.0.1");
    let ha1 = md5(b"alice:asterisk:s3cret");
    let ha2 = md5(b"REGISTER:sip:127.0.0.1");
    assert_eq!(
        param(&a, "response"),
        md5(format!("{ha1}:x1:{ha2}").as_bytes())
    );

    // No credentials stored for that server: a clear error, unless anonymous is allowed.
    let err = auth()
        .authorize(&reg, &ch, &creds(), "10.0.0.1")
        .unwrap_err();
    assert_eq!(
        err,
        AuthError::NoCredentials {
            realm: "asterisk".into(),
            user: "alice".into(),
            server: "10.0.0.1".into()
        }
    );
    let anon = auth()
        .allow_anonymous(true)
        .authorize(&reg, &ch, &creds(), "10.0.0.1")
        .unwrap();
    let a = anon.request.authorization().next().unwrap().unwrap();
    assert_eq!(param(&a, "username"), "anonymous");

    // Not a challenge, a challenge for another request, a challenge without header.
    let ok = msg(&String::from_utf8_lossy(ch.as_bytes()).replace("401 Unauthorized", "200 OK"));
    assert_eq!(
        auth()
            .authorize(&reg, &ok, &creds(), "127.0.0.1")
            .unwrap_err(),
        AuthError::NotAChallenge(200)
    );
    let other = msg(&String::from_utf8_lossy(ch.as_bytes()).replace("CSeq: 1 ", "CSeq: 9 "));
    assert_eq!(
        auth()
            .authorize(&reg, &other, &creds(), "127.0.0.1")
            .unwrap_err(),
        AuthError::Mismatch
    );
    let bare = challenge_for(&reg, "401 Unauthorized", &[]);
    assert_eq!(
        auth()
            .authorize(&reg, &bare, &creds(), "127.0.0.1")
            .unwrap_err(),
        AuthError::NoChallenge(401)
    );
    let broken = challenge_for(
        &reg,
        "401 Unauthorized",
        &[r#"WWW-Authenticate: Digest realm="x""#],
    );
    assert!(matches!(
        auth().authorize(&reg, &broken, &creds(), "127.0.0.1"),
        Err(AuthError::Challenge(_))
    ));
}

#[test]
fn nonce_count_goes_up_when_a_nonce_is_answered_again() {
    let m = message();
    let mut a = auth();
    let ch = challenge_for(
        &m,
        "401 Unauthorized",
        &[r#"WWW-Authenticate: Digest realm="voip.test", nonce="same", qop="auth""#],
    );
    let nc = |r: &SipMessage| param(&r.authorization().next().unwrap().unwrap(), "nc");
    let r1 = a.authorize(&m, &ch, &creds(), "127.0.0.1").unwrap();
    assert_eq!(nc(&r1.request), "00000001");
    // Another request answering the same nonce (e.g. the next MESSAGE challenged alike).
    let r2 = a.authorize(&m, &ch, &creds(), "127.0.0.1").unwrap();
    assert_eq!(nc(&r2.request), "00000002");
    assert_eq!(a.authenticator().nonce_count("voip.test", "same"), 2);
}
