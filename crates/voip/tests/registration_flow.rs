//! The REGISTER client against a scripted registrar, with a fake clock: digest (MD5 with
//! qop=auth, SHA-256) checked by the registrar with its own independent computation,
//! refresh timing, granted expiry, 423, stale nonces, wrong password to the failure
//! threshold, back-off, deregistration.

use std::time::{Duration, Instant};

use credentials::{AuthPolicy, Authenticator, CredentialsManager};
use sha2::{Digest as _, Sha256};
use sip_message::{Bytes, Contact, HeaderName, Host, Method, SipMessage, Transport, Uri};
use voip::auth::{AuthError, ClientAuth};
use voip::dialog::SentBy;
use voip::registration::{
    MAX_STALE_RETRIES, OutgoingRequest, Registration, RegistrationConfig, RegistrationError,
    RegistrationEvent, RegistrationState,
};

fn msg(text: &str) -> SipMessage {
    let wire = text.replace("\r\n", "\n").replace('\n', "\r\n");
    SipMessage::parse(Bytes::from(wire)).expect("test message parses")
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A response to `req` with `extra` header lines.
fn respond(req: &SipMessage, status: &str, extra: &[String]) -> SipMessage {
    let mut s = format!(
        "SIP/2.0 {status}\nVia: {}\nFrom: {}\nTo: {};tag=reg\nCall-ID: {}\nCSeq: {}\n",
        req.via().unwrap(),
        req.from().unwrap(),
        req.to().unwrap(),
        req.call_id().unwrap(),
        req.cseq().unwrap()
    );
    for h in extra {
        s.push_str(h);
        s.push('\n');
    }
    s.push_str("Content-Length: 0\n\n");
    msg(&s)
}

/// A registrar that knows the password and checks digests itself.
struct Registrar {
    realm: &'static str,
    password: &'static str,
    algorithm: &'static str,
    nonces: u32,
    /// Declare the next valid answer's nonce stale instead of accepting it.
    stale_next: u32,
    /// Expiry to grant (None: echo the request's).
    grant: Option<u32>,
}

impl Registrar {
    fn new(algorithm: &'static str) -> Self {
        Registrar {
            realm: "voip.test",
            password: "s3cret",
            algorithm,
            nonces: 0,
            stale_next: 0,
            grant: None,
        }
    }

    fn h(&self, s: &str) -> String {
        match self.algorithm {
            "SHA-256" => hex(Sha256::digest(s.as_bytes()).as_slice()),
            _ => hex(md5::Md5::digest(s.as_bytes()).as_slice()),
        }
    }

    fn challenge(&mut self, req: &SipMessage, stale: bool) -> SipMessage {
        self.nonces += 1;
        let stale = if stale { ", stale=true" } else { "" };
        respond(
            req,
            "401 Unauthorized",
            &[format!(
                "WWW-Authenticate: Digest realm=\"{}\", nonce=\"nonce{}\", qop=\"auth\", algorithm={}{stale}",
                self.realm, self.nonces, self.algorithm
            )],
        )
    }

    fn valid(&self, req: &SipMessage) -> bool {
        let Some(Ok(a)) = req.authorization().next() else {
            return false;
        };
        let p = |n: &str| a.param(n).map(|v| v.into_owned()).unwrap_or_default();
        if p("uri") != req.request_uri_str().unwrap()
            || p("realm") != self.realm
            || p("algorithm") != self.algorithm
            || p("nonce") != format!("nonce{}", self.nonces)
        {
            return false;
        }
        let ha1 = self.h(&format!(
            "{}:{}:{}",
            p("username"),
            self.realm,
            self.password
        ));
        let ha2 = self.h(&format!("REGISTER:{}", p("uri")));
        let expected = self.h(&format!(
            "{ha1}:{}:{}:{}:{}:{ha2}",
            p("nonce"),
            p("nc"),
            p("cnonce"),
            p("qop")
        ));
        p("username") == "alice" && p("response") == expected
    }

    fn handle(&mut self, req: &SipMessage) -> SipMessage {
        if !self.valid(req) {
            return self.challenge(req, false);
        }
        if self.stale_next > 0 {
            self.stale_next -= 1;
            return self.challenge(req, true);
        }
        let contact = req.contact().unwrap().unwrap();
        let asked = contact.expires().unwrap();
        let grant = self.grant.unwrap_or(asked);
        respond(
            req,
            "200 OK",
            &[format!(
                "Contact: <{}>;expires={grant}",
                contact.uri().unwrap()
            )],
        )
    }
}

fn config() -> RegistrationConfig {
    RegistrationConfig::new(
        Uri::parse("sip:127.0.0.1:5060").unwrap().into_owned(),
        "alice",
        Uri::parse("sip:alice@127.0.0.1:5062").unwrap().into_owned(),
        SentBy::new(
            Transport::Udp,
            Host::parse("127.0.0.1").unwrap().into_owned(),
            Some(5062),
        ),
    )
}

fn creds(password: &str) -> CredentialsManager {
    let mut cm = CredentialsManager::new();
    cm.add("alice", password, Some("127.0.0.1"), None, None)
        .unwrap();
    cm
}

fn registration(password: &str) -> Registration {
    registration_with(config(), password)
}

fn registration_with(config: RegistrationConfig, password: &str) -> Registration {
    let auth = ClientAuth::with_authenticator(
        Authenticator::new(AuthPolicy::default()).with_cnonce_source(|| "feedbeef".to_owned()),
    );
    Registration::with_auth(config, creds(password), auth).unwrap()
}

fn next(reg: &mut Registration) -> OutgoingRequest {
    reg.poll_request().expect("a REGISTER to send")
}

fn events(reg: &mut Registration) -> Vec<RegistrationEvent> {
    std::iter::from_fn(|| reg.poll_event()).collect()
}

/// Runs request/response rounds through the registrar until nothing more is sent.
fn exchange(reg: &mut Registration, registrar: &mut Registrar, now: Instant) -> Vec<SipMessage> {
    let mut sent = Vec::new();
    while let Some(out) = reg.poll_request() {
        let resp = registrar.handle(&out.request);
        assert!(reg.handle_response(now, &resp));
        sent.push(out.request);
        assert!(sent.len() < 20, "runaway exchange");
    }
    sent
}

#[test]
fn md5_qop_auth_happy_path() {
    let mut reg = registration("s3cret");
    let mut registrar = Registrar::new("MD5");
    let t0 = Instant::now();
    assert_eq!(reg.state(), RegistrationState::Idle);
    reg.start(t0);
    assert_eq!(reg.state(), RegistrationState::Registering);

    let first = next(&mut reg);
    let r = &first.request;
    r.validate().unwrap();
    assert_eq!(r.method(), Some(Method::Register));
    assert_eq!(r.request_uri_str(), Some("sip:127.0.0.1:5060"));
    assert_eq!(r.cseq().unwrap().seq, 1);
    assert_eq!(r.to().unwrap().uri.to_string(), "sip:alice@127.0.0.1:5060");
    assert_eq!(r.to_tag(), None);
    assert!(r.from_tag().is_some());
    assert_eq!(r.call_id().unwrap(), reg.call_id());
    assert_eq!(r.expires().unwrap().unwrap(), 300);
    let contact = r.contact().unwrap().unwrap();
    assert_eq!(
        contact.uri().unwrap().to_string(),
        "sip:alice@127.0.0.1:5062"
    );
    assert_eq!(contact.expires(), Some(300));
    assert_eq!(r.max_forwards().unwrap().unwrap(), 70);
    let via = r.via().unwrap();
    assert!(via.branch().unwrap().starts_with("z9hG4bK"));
    assert_eq!(via.rport(), Some(None));
    assert!(r.authorization().next().is_none());
    assert_eq!(first.next_hop.uri.to_string(), "sip:127.0.0.1:5060");
    assert_eq!(first.next_hop.transport, Transport::Udp);

    // 401 -> answered -> 200.
    let challenge = registrar.handle(r);
    assert_eq!(challenge.status().unwrap().code(), 401);
    assert!(reg.handle_response(t0, &challenge));
    let sent = exchange(&mut reg, &mut registrar, t0);
    assert_eq!(sent.len(), 1);
    let authed = &sent[0];
    assert_eq!(authed.cseq().unwrap().seq, 2);
    assert_eq!(authed.call_id().unwrap(), r.call_id().unwrap());
    assert_eq!(authed.from_tag(), r.from_tag());
    assert_ne!(authed.via().unwrap().branch(), r.via().unwrap().branch());
    assert_eq!(reg.state(), RegistrationState::Registered);
    assert!(reg.is_registered());
    assert_eq!(
        events(&mut reg),
        [RegistrationEvent::Registered { expires: 300 }]
    );
    assert_eq!(reg.failures(), 0);
    assert_eq!(reg.granted_expires(), Some(300));
    assert_eq!(reg.registered_until(), Some(t0 + Duration::from_secs(300)));
    assert_eq!(reg.poll_timeout(), Some(t0 + Duration::from_secs(150)));
}

#[test]
fn sha256_challenge_is_answered_with_sha256() {
    let mut reg = registration("s3cret");
    let mut registrar = Registrar::new("SHA-256");
    let t0 = Instant::now();
    reg.start(t0);
    let sent = exchange(&mut reg, &mut registrar, t0);
    assert_eq!(sent.len(), 2);
    let a = sent[1].authorization().next().unwrap().unwrap();
    assert_eq!(a.algorithm().as_deref(), Some("SHA-256"));
    assert_eq!(a.param("response").unwrap().len(), 64);
    assert_eq!(
        events(&mut reg),
        [RegistrationEvent::Registered { expires: 300 }]
    );
}

#[test]
fn refreshes_at_half_the_granted_expiry_with_the_same_call_id() {
    let mut reg = registration("s3cret");
    let mut registrar = Registrar::new("MD5");
    registrar.grant = Some(120);
    let t0 = Instant::now();
    reg.start(t0);
    let first = exchange(&mut reg, &mut registrar, t0);
    assert_eq!(
        events(&mut reg),
        [RegistrationEvent::Registered { expires: 120 }]
    );
    let due = reg.poll_timeout().unwrap();
    assert_eq!(due, t0 + Duration::from_secs(60));

    // Not yet.
    reg.handle_timeout(due - Duration::from_millis(1));
    assert!(reg.poll_request().is_none());
    // Due: a refresh with the same Call-ID and From tag, the next CSeq.
    reg.handle_timeout(due);
    assert_eq!(
        reg.poll_timeout(),
        None,
        "no timer while the refresh is in flight"
    );
    let refresh = next(&mut reg);
    assert_eq!(
        refresh.request.call_id().unwrap(),
        first[0].call_id().unwrap()
    );
    assert_eq!(refresh.request.from_tag(), first[0].from_tag());
    assert_eq!(refresh.request.cseq().unwrap().seq, 3);
    assert_eq!(
        reg.state(),
        RegistrationState::Registered,
        "still bound while refreshing"
    );
    // The registrar challenges the refresh (a new nonce), we answer, it grants 120 again.
    let c = registrar.handle(&refresh.request);
    assert!(reg.handle_response(due, &c));
    let sent = exchange(&mut reg, &mut registrar, due);
    assert_eq!(sent[0].cseq().unwrap().seq, 4);
    assert_eq!(
        events(&mut reg),
        [RegistrationEvent::Registered { expires: 120 }]
    );
    assert_eq!(reg.poll_timeout(), Some(due + Duration::from_secs(60)));
}

#[test]
fn granted_expiry_comes_from_our_contact_then_expires_header_then_our_request() {
    let t0 = Instant::now();
    let run = |extra: Vec<String>| {
        let mut reg = registration("s3cret");
        reg.start(t0);
        let out = next(&mut reg);
        let ok = respond(&out.request, "200 OK", &extra);
        assert!(reg.handle_response(t0, &ok));
        let ev = events(&mut reg);
        (ev, reg.poll_timeout().unwrap() - t0)
    };
    // Our contact among other bindings of the AOR.
    let (ev, refresh) = run(vec![
        "Contact: <sip:alice@127.0.0.1:7777>;expires=3000".into(),
        "Contact: <sip:alice@127.0.0.1:5062>;expires=60".into(),
        "Expires: 900".into(),
    ]);
    assert_eq!(ev, [RegistrationEvent::Registered { expires: 60 }]);
    assert_eq!(refresh, Duration::from_secs(30));
    // No expires parameter on our contact: the Expires header.
    let (ev, _) = run(vec![
        "Contact: <sip:alice@127.0.0.1:5062>".into(),
        "Expires: 90".into(),
    ]);
    assert_eq!(ev, [RegistrationEvent::Registered { expires: 90 }]);
    // The registrar rewrote our only contact (NAT): its expires still counts.
    let (ev, _) = run(vec![
        "Contact: <sip:alice@203.0.113.9:40000>;expires=45".into(),
    ]);
    assert_eq!(ev, [RegistrationEvent::Registered { expires: 45 }]);
    // Nothing said: what we asked for.
    let (ev, refresh) = run(vec![]);
    assert_eq!(ev, [RegistrationEvent::Registered { expires: 300 }]);
    assert_eq!(refresh, Duration::from_secs(150));
    // A 2xx granting nothing is a failed attempt.
    let (ev, _) = run(vec!["Contact: <sip:alice@127.0.0.1:5062>;expires=0".into()]);
    assert!(matches!(
        ev.as_slice(),
        [RegistrationEvent::AttemptFailed {
            reason: RegistrationError::NoBinding,
            failures: 1,
            ..
        }]
    ));
}

#[test]
fn interval_too_brief_retries_with_min_expires() {
    let mut reg = registration("s3cret");
    let t0 = Instant::now();
    reg.start(t0);
    let out = next(&mut reg);
    let brief = respond(
        &out.request,
        "423 Interval Too Brief",
        &["Min-Expires: 600".into()],
    );
    assert!(reg.handle_response(t0, &brief));
    let again = next(&mut reg);
    assert_eq!(again.request.expires().unwrap().unwrap(), 600);
    assert_eq!(
        again.request.contact().unwrap().unwrap().expires(),
        Some(600)
    );
    assert_eq!(again.request.cseq().unwrap().seq, 2);
    assert_eq!(reg.failures(), 0);
    assert!(events(&mut reg).is_empty());
    // A 423 that does not raise the interval is a failure, not a loop.
    let brief = respond(
        &again.request,
        "423 Interval Too Brief",
        &["Min-Expires: 600".into()],
    );
    reg.handle_response(t0, &brief);
    assert!(reg.poll_request().is_none());
    assert!(matches!(
        events(&mut reg).as_slice(),
        [RegistrationEvent::AttemptFailed {
            reason: RegistrationError::IntervalTooBrief,
            failures: 1,
            ..
        }]
    ));
    // The retry keeps the larger interval.
    reg.handle_timeout(t0 + Duration::from_secs(5));
    assert_eq!(next(&mut reg).request.expires().unwrap().unwrap(), 600);
}

#[test]
fn stale_nonce_is_retried_without_counting_a_failure() {
    let mut reg = registration("s3cret");
    let mut registrar = Registrar::new("MD5");
    registrar.stale_next = 1;
    let t0 = Instant::now();
    reg.start(t0);
    let sent = exchange(&mut reg, &mut registrar, t0);
    // REGISTER -> 401, answer -> 401 stale, answer with the new nonce -> 200.
    assert_eq!(sent.len(), 3);
    let nonce = |m: &SipMessage| {
        m.authorization()
            .next()
            .unwrap()
            .unwrap()
            .nonce()
            .unwrap()
            .into_owned()
    };
    assert_eq!(nonce(&sent[1]), "nonce1");
    assert_eq!(nonce(&sent[2]), "nonce2");
    assert_eq!(sent[2].cseq().unwrap().seq, 3);
    assert_eq!(reg.failures(), 0);
    assert_eq!(
        events(&mut reg),
        [RegistrationEvent::Registered { expires: 300 }]
    );

    // A registrar calling every nonce stale: after MAX_STALE_RETRIES it counts.
    let mut reg = registration("s3cret");
    let mut registrar = Registrar::new("MD5");
    registrar.stale_next = 100;
    reg.start(t0);
    let sent = exchange(&mut reg, &mut registrar, t0);
    assert_eq!(sent.len(), 1 + 1 + MAX_STALE_RETRIES as usize);
    assert!(matches!(
        events(&mut reg).as_slice(),
        [RegistrationEvent::AttemptFailed {
            reason: RegistrationError::TooManyStaleChallenges,
            failures: 1,
            ..
        }]
    ));
}

#[test]
fn wrong_password_reaches_the_threshold_and_fails() {
    let mut reg = registration("wrong");
    let mut registrar = Registrar::new("MD5");
    let t0 = Instant::now();
    reg.start(t0);
    let mut now = t0;
    let mut backoffs = Vec::new();
    for attempt in 1..=3u32 {
        let sent = exchange(&mut reg, &mut registrar, now);
        // Each attempt: a fresh REGISTER, then one answer to the challenge.
        assert_eq!(sent.len(), 2, "attempt {attempt}");
        assert!(sent[0].authorization().next().is_none());
        assert!(sent[1].authorization().next().is_some());
        let ev = events(&mut reg);
        if attempt < 3 {
            let [
                RegistrationEvent::AttemptFailed {
                    reason,
                    failures,
                    retry_in,
                },
            ] = ev.as_slice()
            else {
                panic!("{ev:?}")
            };
            assert_eq!(
                reason,
                &RegistrationError::CredentialsRejected {
                    realm: "voip.test".into()
                }
            );
            assert_eq!(*failures, attempt);
            assert_eq!(reg.state(), RegistrationState::Registering);
            backoffs.push(*retry_in);
            let due = reg.poll_timeout().unwrap();
            assert_eq!(due, now + *retry_in);
            reg.handle_timeout(due - Duration::from_millis(1));
            assert!(reg.poll_request().is_none(), "no retry before the back-off");
            now = due;
            reg.handle_timeout(now);
        } else {
            assert_eq!(
                ev,
                [RegistrationEvent::Failed {
                    reason: RegistrationError::CredentialsRejected {
                        realm: "voip.test".into()
                    }
                }]
            );
        }
    }
    assert_eq!(backoffs, [Duration::from_secs(5), Duration::from_secs(10)]);
    assert_eq!(reg.state(), RegistrationState::Failed);
    assert_eq!(reg.poll_timeout(), None);
    assert!(reg.poll_request().is_none());
    // start() begins again from zero.
    reg.start(now);
    assert_eq!(reg.state(), RegistrationState::Registering);
    assert_eq!(reg.failures(), 0);
    assert!(reg.poll_request().is_some());
}

#[test]
fn failures_and_timeouts_count_and_success_resets() {
    let mut cfg = config();
    cfg.failure_threshold = 4;
    let mut reg = registration_with(cfg, "s3cret");
    let t0 = Instant::now();
    reg.start(t0);
    // 403.
    let out = next(&mut reg);
    reg.handle_response(t0, &respond(&out.request, "403 Forbidden", &[]));
    let ev = events(&mut reg);
    assert!(
        matches!(
            ev.as_slice(),
            [RegistrationEvent::AttemptFailed { reason: RegistrationError::Status { status: 403, .. }, failures: 1, retry_in }]
                if *retry_in == Duration::from_secs(5)
        ),
        "{ev:?}"
    );
    let mut now = reg.poll_timeout().unwrap();
    reg.handle_timeout(now);
    // A transaction timeout.
    let _ = next(&mut reg);
    reg.handle_request_timeout(now);
    assert!(matches!(
        events(&mut reg).as_slice(),
        [RegistrationEvent::AttemptFailed {
            reason: RegistrationError::Timeout,
            failures: 2,
            ..
        }]
    ));
    now = reg.poll_timeout().unwrap();
    reg.handle_timeout(now);
    // 503 with a Retry-After longer than the back-off.
    let out = next(&mut reg);
    reg.handle_response(
        now,
        &respond(
            &out.request,
            "503 Service Unavailable",
            &["Retry-After: 120".into()],
        ),
    );
    assert!(matches!(
        events(&mut reg).as_slice(),
        [RegistrationEvent::AttemptFailed { failures: 3, retry_in, .. }] if *retry_in == Duration::from_secs(120)
    ));
    now = reg.poll_timeout().unwrap();
    reg.handle_timeout(now);
    // Success resets the count.
    let out = next(&mut reg);
    reg.handle_response(now, &respond(&out.request, "200 OK", &[]));
    assert_eq!(reg.failures(), 0);
    assert_eq!(reg.state(), RegistrationState::Registered);
}

#[test]
fn unanswerable_challenge_fails_at_once() {
    // No credentials stored for this server.
    let mut reg = Registration::new(config(), CredentialsManager::new()).unwrap();
    let mut registrar = Registrar::new("MD5");
    let t0 = Instant::now();
    reg.start(t0);
    let out = next(&mut reg);
    reg.handle_response(t0, &registrar.challenge(&out.request, false));
    let ev = events(&mut reg);
    assert!(
        matches!(
            ev.as_slice(),
            [RegistrationEvent::Failed {
                reason: RegistrationError::Auth(AuthError::NoCredentials { .. })
            }]
        ),
        "{ev:?}"
    );
    assert_eq!(reg.state(), RegistrationState::Failed);
}

/// The URI of the one Contact of a REGISTER (panics on `*`, none, or several).
fn only_binding(req: &SipMessage) -> String {
    let contacts: Vec<_> = req.contacts().map(Result::unwrap).collect();
    let [Contact::Address(only)] = contacts.as_slice() else {
        panic!("one Contact address expected: {contacts:?}");
    };
    only.uri.to_string()
}

#[test]
fn deregister_sends_expires_zero_and_waits_for_the_answer() {
    let mut reg = registration("s3cret");
    let mut registrar = Registrar::new("MD5");
    let t0 = Instant::now();
    reg.start(t0);
    let registered = exchange(&mut reg, &mut registrar, t0);
    let our_contact = only_binding(registered.last().unwrap());
    events(&mut reg);
    let t1 = t0 + Duration::from_secs(10);
    reg.deregister(t1);
    assert_eq!(reg.state(), RegistrationState::Deregistering);
    let out = next(&mut reg);
    assert_eq!(out.request.expires().unwrap().unwrap(), 0);
    assert_eq!(out.request.contact().unwrap().unwrap().expires(), Some(0));
    // Exactly our binding goes: the Contact we registered, no `*`, no second Contact.
    // (tshark labels this "remove 2 bindings": it counts a Contact with expires=0 once
    // for the parameter and once more for `Expires: 0`.)
    assert_eq!(only_binding(&out.request), our_contact);
    assert_eq!(out.request.call_id().unwrap(), reg.call_id());
    assert_eq!(out.request.cseq().unwrap().seq, 3);
    // The registrar challenges the deregistration too; answered, then 200.
    reg.handle_response(t1, &registrar.handle(&out.request));
    let sent = exchange(&mut reg, &mut registrar, t1);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].expires().unwrap().unwrap(), 0);
    assert_eq!(only_binding(&sent[0]), our_contact);
    assert_eq!(
        events(&mut reg),
        [RegistrationEvent::Deregistered { confirmed: true }]
    );
    assert_eq!(reg.state(), RegistrationState::Deregistered);
    assert_eq!(reg.poll_timeout(), None);
    assert!(!reg.is_registered());
}

#[test]
fn deregister_gives_up_after_its_timeout() {
    let mut reg = registration("s3cret");
    let t0 = Instant::now();
    reg.start(t0);
    let out = next(&mut reg);
    reg.handle_response(t0, &respond(&out.request, "200 OK", &[]));
    events(&mut reg);
    reg.deregister(t0);
    let _ = next(&mut reg);
    let deadline = reg.poll_timeout().unwrap();
    assert_eq!(deadline, t0 + Duration::from_secs(5));
    reg.handle_timeout(deadline);
    assert_eq!(
        events(&mut reg),
        [RegistrationEvent::Deregistered { confirmed: false }]
    );
    assert_eq!(reg.state(), RegistrationState::Deregistered);
    // A late answer is ignored.
    assert!(!reg.handle_response(deadline, &respond(&out.request, "200 OK", &[])));
}

#[test]
fn deregister_waits_for_the_register_in_flight() {
    let mut reg = registration("s3cret");
    let t0 = Instant::now();
    reg.start(t0);
    let first = next(&mut reg);
    reg.deregister(t0);
    assert!(
        reg.poll_request().is_none(),
        "RFC 3261 §10.2: one REGISTER at a time"
    );
    reg.handle_response(t0, &respond(&first.request, "200 OK", &[]));
    let out = next(&mut reg);
    assert_eq!(out.request.expires().unwrap().unwrap(), 0);
    reg.handle_response(t0, &respond(&out.request, "200 OK", &[]));
    assert_eq!(
        events(&mut reg),
        [RegistrationEvent::Deregistered { confirmed: true }]
    );
    // Nothing to remove: the event comes at once.
    let mut idle = registration("s3cret");
    idle.deregister(t0);
    assert!(idle.poll_request().is_none());
    assert_eq!(
        events(&mut idle),
        [RegistrationEvent::Deregistered { confirmed: true }]
    );
}

#[test]
fn foreign_and_provisional_responses() {
    let mut reg = registration("s3cret");
    let t0 = Instant::now();
    reg.start(t0);
    let out = next(&mut reg);
    let ok = respond(&out.request, "200 OK", &[]);
    let wrong_cseq = msg(&String::from_utf8_lossy(ok.as_bytes()).replace("CSeq: 1 ", "CSeq: 7 "));
    assert!(!reg.handle_response(t0, &wrong_cseq));
    let trying = respond(&out.request, "100 Trying", &[]);
    assert!(reg.handle_response(t0, &trying));
    assert_eq!(reg.state(), RegistrationState::Registering);
    assert!(reg.handle_response(t0, &ok));
    assert!(!reg.handle_response(t0, &ok), "answered already");
}

#[test]
fn outbound_proxy_user_agent_and_public_address() {
    let mut cfg = config();
    cfg.outbound_proxy = Some(Uri::parse("sip:127.0.0.1:5070;lr").unwrap().into_owned());
    cfg.user_agent = Some("voip-rs/0.1".into());
    cfg.display_name = Some("Alice A".into());
    let mut reg = registration_with(cfg, "s3cret");
    let t0 = Instant::now();
    reg.start(t0);
    let out = next(&mut reg);
    assert_eq!(out.next_hop.uri.to_string(), "sip:127.0.0.1:5070;lr");
    assert_eq!(out.next_hop.port(), 5070);
    let route = out.request.routes().next().unwrap().unwrap();
    assert_eq!(route.uri.to_string(), "sip:127.0.0.1:5070;lr");
    assert_eq!(out.request.request_uri_str(), Some("sip:127.0.0.1:5060"));
    assert_eq!(out.request.user_agent(), Some("voip-rs/0.1"));
    assert_eq!(
        out.request.from().unwrap().display_name.as_deref(),
        Some("Alice A")
    );
    assert_eq!(out.request.header_str(&HeaderName::Expires), Some("300"));
    // The 2xx's Via tells our public address.
    let mut ok = respond(&out.request, "200 OK", &[]);
    let text =
        String::from_utf8_lossy(ok.as_bytes()).replace(";rport", ";rport=40123;received=127.0.0.2");
    ok = msg(&text);
    reg.handle_response(t0, &ok);
    assert_eq!(
        reg.public_address(),
        Some(("127.0.0.2".parse().unwrap(), Some(40123)))
    );
}

#[test]
fn absurd_durations_do_not_overflow_the_clock() {
    let mut cfg = config();
    cfg.deregister_timeout = Duration::MAX;
    cfg.retry_interval = Duration::MAX;
    cfg.max_retry_interval = Duration::MAX;
    let mut reg = registration_with(cfg, "s3cret");
    let t0 = Instant::now();
    reg.start(t0);
    let out = next(&mut reg);
    reg.handle_response(t0, &respond(&out.request, "503 Service Unavailable", &[]));
    let ev = events(&mut reg);
    assert!(
        matches!(
            ev.as_slice(),
            [RegistrationEvent::AttemptFailed { retry_in, .. }] if *retry_in == Duration::MAX
        ),
        "{ev:?}"
    );
    assert!(reg.poll_timeout().unwrap() > t0);
    // A Retry-After alone is clamped to a day.
    let mut reg = registration("s3cret");
    reg.start(t0);
    let out = next(&mut reg);
    reg.handle_response(
        t0,
        &respond(
            &out.request,
            "503 Service Unavailable",
            &["Retry-After: 99999999999".into()],
        ),
    );
    assert_eq!(
        reg.poll_timeout(),
        Some(t0 + voip::registration::MAX_RETRY_AFTER)
    );
    // The largest grant and deregistration deadline.
    let mut cfg = config();
    cfg.deregister_timeout = Duration::MAX;
    let mut reg = registration_with(cfg, "s3cret");
    reg.start(t0);
    let out = next(&mut reg);
    reg.handle_response(
        t0,
        &respond(&out.request, "200 OK", &["Expires: 4294967295".into()]),
    );
    assert_eq!(
        events(&mut reg),
        [RegistrationEvent::Registered { expires: u32::MAX }]
    );
    reg.deregister(t0);
    assert!(reg.poll_timeout().unwrap() > t0);
}

#[test]
fn tcp_registration_says_so_in_contact_via_and_next_hop() {
    let cfg = RegistrationConfig::new(
        Uri::parse("sip:127.0.0.1:5060").unwrap().into_owned(),
        "alice",
        Uri::parse("sip:alice@127.0.0.1:5062").unwrap().into_owned(),
        SentBy::new(
            Transport::Tcp,
            Host::parse("127.0.0.1").unwrap().into_owned(),
            Some(5062),
        ),
    );
    assert_eq!(
        cfg.contact.to_string(),
        "sip:alice@127.0.0.1:5062;transport=tcp"
    );
    let mut reg = registration_with(cfg, "s3cret");
    let t0 = Instant::now();
    reg.start(t0);
    let out = next(&mut reg);
    assert_eq!(out.request.via().unwrap().transport, Transport::Tcp);
    assert_eq!(out.next_hop.transport, Transport::Tcp);
    // The registrar echoes the contact with its transport: our binding is found.
    let ok = respond(
        &out.request,
        "200 OK",
        &[
            "Contact: <sip:alice@127.0.0.1:5062;transport=TCP>;expires=80".into(),
            "Contact: <sip:alice@127.0.0.1:5062>;expires=999".into(),
        ],
    );
    reg.handle_response(t0, &ok);
    assert_eq!(
        events(&mut reg),
        [RegistrationEvent::Registered { expires: 80 }]
    );
    // An explicit transport parameter is left alone.
    let cfg = RegistrationConfig::new(
        Uri::parse("sip:127.0.0.1").unwrap().into_owned(),
        "alice",
        Uri::parse("sip:alice@127.0.0.1:5062;transport=udp")
            .unwrap()
            .into_owned(),
        SentBy::new(
            Transport::Tls,
            Host::parse("127.0.0.1").unwrap().into_owned(),
            None,
        ),
    );
    assert_eq!(
        cfg.contact.to_string(),
        "sip:alice@127.0.0.1:5062;transport=udp"
    );
}

#[test]
fn proxy_challenge_on_register_is_answered_with_proxy_authorization() {
    let mut reg = registration("s3cret");
    let t0 = Instant::now();
    reg.start(t0);
    let out = next(&mut reg);
    let ch = respond(
        &out.request,
        "407 Proxy Authentication Required",
        &[r#"Proxy-Authenticate: Digest realm="proxy.test", nonce="p1", qop="auth""#.into()],
    );
    assert!(reg.handle_response(t0, &ch));
    let again = next(&mut reg);
    assert!(again.request.authorization().next().is_none());
    let pa = again.request.proxy_authorization().next().unwrap().unwrap();
    assert_eq!(pa.realm().as_deref(), Some("proxy.test"));
    assert_eq!(again.request.cseq().unwrap().seq, 2);
    assert_eq!(reg.failures(), 0);
}

#[test]
fn a_registrar_inventing_realms_cannot_loop_us() {
    let mut cm = CredentialsManager::new();
    cm.add("alice", "pw", None, None, None).unwrap();
    let mut reg = Registration::new(config(), cm).unwrap();
    let t0 = Instant::now();
    reg.start(t0);
    let mut sent = 0;
    while let Some(out) = reg.poll_request() {
        sent += 1;
        assert!(sent < 50, "runaway");
        let ch = respond(
            &out.request,
            "401 Unauthorized",
            &[format!(
                r#"WWW-Authenticate: Digest realm="realm{sent}", nonce="n{sent}", qop="auth""#
            )],
        );
        reg.handle_response(t0, &ch);
    }
    assert_eq!(
        sent,
        1 + voip::registration::MAX_CHALLENGES_PER_ATTEMPT as usize
    );
    assert!(matches!(
        events(&mut reg).as_slice(),
        [RegistrationEvent::AttemptFailed {
            reason: RegistrationError::TooManyChallenges,
            ..
        }]
    ));
}

#[test]
fn set_contact_and_refresh_register_the_new_address_now() {
    let mut reg = registration("s3cret");
    let t0 = Instant::now();
    reg.start(t0);
    let out = next(&mut reg);
    reg.handle_response(t0, &respond(&out.request, "200 OK", &[]));
    events(&mut reg);
    reg.set_contact(
        Uri::parse("sip:alice@127.0.0.9:40000")
            .unwrap()
            .into_owned(),
    );
    reg.refresh(t0);
    let again = next(&mut reg);
    assert_eq!(
        again
            .request
            .contact()
            .unwrap()
            .unwrap()
            .uri()
            .unwrap()
            .to_string(),
        "sip:alice@127.0.0.9:40000"
    );
    assert_eq!(
        again.request.call_id().unwrap(),
        out.request.call_id().unwrap()
    );
    // One REGISTER at a time: a second refresh waits.
    reg.refresh(t0);
    assert!(reg.poll_request().is_none());
    // The old binding is removed in the same REGISTER, until a 2xx confirms it.
    let contacts: Vec<_> = again.request.contacts().map(Result::unwrap).collect();
    assert_eq!(contacts.len(), 2, "{contacts:?}");
    assert_eq!(
        contacts[1].uri(),
        out.request.contact().unwrap().unwrap().uri()
    );
    assert_eq!(contacts[1].expires(), Some(0));
    reg.handle_response(t0, &respond(&again.request, "200 OK", &[]));
    reg.refresh(t0);
    let third = next(&mut reg);
    assert_eq!(
        only_binding(&third.request),
        "sip:alice@127.0.0.9:40000",
        "the old binding is gone: not repeated"
    );
}
