//! An outgoing call end to end without sockets: INVITE from a template through an outbound
//! proxy, 407 answered, 180 and 200 creating the dialog, ACK with the INVITE's credentials,
//! BYE with the next CSeq.

use credentials::{AuthPolicy, Authenticator, CredentialsManager};
use sip_message::{Bytes, Host, Method, NameAddr, SipMessage, Transport, Uri};
use voip::auth::ClientAuth;
use voip::dialog::{Dialog, DialogError, DialogState, RequestTemplate, SentBy};

fn msg(text: &str) -> SipMessage {
    let wire = text.replace("\r\n", "\n").replace('\n', "\r\n");
    SipMessage::parse(Bytes::from(wire)).expect("test message parses")
}

fn respond(req: &SipMessage, status: &str, to_tag: Option<&str>, extra: &[&str]) -> SipMessage {
    let tag = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
    let mut s = format!(
        "SIP/2.0 {status}\nVia: {}\nFrom: {}\nTo: {}{tag}\nCall-ID: {}\nCSeq: {}\n",
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

fn template() -> RequestTemplate {
    let bob = Uri::parse("sip:bob@127.0.0.1:5064").unwrap().into_owned();
    let mut t = RequestTemplate::new(
        bob.clone(),
        NameAddr::new(Uri::parse("sip:alice@127.0.0.1").unwrap().into_owned())
            .with_display_name("Alice"),
        NameAddr::new(bob),
        SentBy::new(
            Transport::Udp,
            Host::parse("127.0.0.1").unwrap().into_owned(),
            Some(5062),
        ),
    );
    t.contact = Some(NameAddr::new(
        Uri::parse("sip:alice@127.0.0.1:5062").unwrap().into_owned(),
    ));
    t
}

#[test]
fn outgoing_call_through_an_outbound_proxy_with_auth() {
    let mut t = template();
    t.route_set = vec![
        NameAddr::parse("<sip:127.0.0.1:5070;lr>")
            .unwrap()
            .into_owned(),
    ];
    assert_eq!(t.next_hop().uri.to_string(), "sip:127.0.0.1:5070;lr");
    let invite = t
        .request(Method::Invite)
        .unwrap()
        .body("application/sdp", "v=0\r\n")
        .build()
        .unwrap();
    invite.validate().unwrap();
    assert_eq!(invite.request_uri_str(), Some("sip:bob@127.0.0.1:5064"));
    assert_eq!(
        invite.routes().next().unwrap().unwrap().uri.to_string(),
        "sip:127.0.0.1:5070;lr"
    );
    assert_eq!(invite.to_tag(), None);
    assert_eq!(
        invite.from().unwrap().display_name.as_deref(),
        Some("Alice")
    );
    assert!(invite.call_id().unwrap().ends_with("@127.0.0.1"));
    let first_seq = invite.cseq().unwrap().seq;
    assert!((1..1 << 31).contains(&first_seq));

    // The proxy wants credentials.
    let mut cm = CredentialsManager::new();
    cm.add("alice", "pw", Some("127.0.0.1"), None, None)
        .unwrap();
    let mut auth = ClientAuth::with_authenticator(
        Authenticator::new(AuthPolicy::default()).with_cnonce_source(|| "abc".into()),
    );
    let challenge = respond(
        &invite,
        "407 Proxy Authentication Required",
        Some("proxy"),
        &[r#"Proxy-Authenticate: Digest realm="voip.test", nonce="n", qop="auth""#],
    );
    let retry = auth
        .authorize(&invite, &challenge, &cm, "127.0.0.1")
        .unwrap();
    let invite2 = retry.request;
    assert_eq!(invite2.cseq().unwrap().seq, first_seq + 1);
    assert_eq!(invite2.body(), b"v=0\r\n");
    assert_eq!(invite2.routes().count(), 1);
    // Keep the template's CSeq in step for further out-of-dialog requests.
    t.cseq = retry.cseq;

    // 180 (early dialog) then 200 (confirmed, route set from the 2xx).
    let ringing = respond(
        &invite2,
        "180 Ringing",
        Some("b2"),
        &[
            "Record-Route: <sip:127.0.0.1:5070;lr>",
            "Contact: <sip:bob@127.0.0.1:5064>",
        ],
    );
    let mut d = Dialog::new_uac(&invite2, &ringing).unwrap();
    assert_eq!(d.state(), DialogState::Early);
    let ok = respond(
        &invite2,
        "200 OK",
        Some("b2"),
        &[
            "Record-Route: <sip:127.0.0.1:5070;lr>",
            "Contact: <sip:bob@127.0.0.1:6000>",
        ],
    );
    d.handle_response(&ok).unwrap();
    assert_eq!(d.state(), DialogState::Confirmed);
    assert_eq!(d.remote_target().to_string(), "sip:bob@127.0.0.1:6000");

    let ack = d.ack(&invite2).unwrap().build().unwrap();
    assert_eq!(ack.cseq().unwrap().seq, first_seq + 1);
    assert_eq!(
        ack.proxy_authorization().count(),
        1,
        "ACK carries the INVITE's credentials"
    );
    assert_eq!(ack.request_uri_str(), Some("sip:bob@127.0.0.1:6000"));

    let bye = d.request(Method::Bye).unwrap().build().unwrap();
    assert_eq!(bye.cseq().unwrap().seq, first_seq + 2);
    assert_eq!(bye.to_tag(), Some("b2"));
    assert_eq!(bye.routes().count(), 1);
    assert_eq!(d.next_hop().uri.to_string(), "sip:127.0.0.1:5070;lr");
}

#[test]
fn template_rules() {
    let mut t = template();
    let a = t.request(Method::Message).unwrap().build().unwrap();
    let b = t.request(Method::Options).unwrap().build().unwrap();
    assert_eq!(b.cseq().unwrap().seq, a.cseq().unwrap().seq + 1);
    assert_eq!(a.call_id().unwrap(), b.call_id().unwrap());
    assert!(a.contact().is_none(), "MESSAGE carries no Contact");
    assert!(b.contact().is_some());
    assert_ne!(a.via().unwrap().branch(), b.via().unwrap().branch());
    assert_eq!(t.next_hop().uri.to_string(), "sip:bob@127.0.0.1:5064");
    assert_eq!(
        t.request(Method::Ack).unwrap_err(),
        DialogError::InvalidMethod(Method::Ack)
    );
    // A strict outbound proxy takes the Request-URI; the target goes last in Route.
    t.route_set = vec![
        NameAddr::parse("<sip:127.0.0.1:5070>")
            .unwrap()
            .into_owned(),
    ];
    let m = t.request(Method::Message).unwrap().build().unwrap();
    assert_eq!(m.request_uri_str(), Some("sip:127.0.0.1:5070"));
    let routes: Vec<String> = m.routes().map(|r| r.unwrap().uri.to_string()).collect();
    assert_eq!(routes, ["sip:bob@127.0.0.1:5064"]);
    // Two templates never share identifiers.
    let other = template();
    assert_ne!(other.call_id, t.call_id);
    assert_ne!(other.from_tag, t.from_tag);
}
