//! Dialog creation from both sides (RFC 3261 §12.1), in-dialog requests (§12.2.1.1: loose and
//! strict routing), remote CSeq checks (§12.2.2) and target refreshes.

use sip_message::{
    Bytes, Contact, HeaderName, Method, NameAddr, SipMessage, SipStatus, Transport, Uri,
};
use voip::dialog::{
    Dialog, DialogError, DialogId, DialogRole, DialogState, SentBy, new_tag, uas_response,
};

fn msg(text: &str) -> SipMessage {
    let wire = text.replace("\r\n", "\n").replace('\n', "\r\n");
    SipMessage::parse(Bytes::from(wire)).expect("test message parses")
}

fn routes(m: &SipMessage) -> Vec<String> {
    m.routes().map(|r| r.unwrap().uri.to_string()).collect()
}

const INVITE: &str = "INVITE sip:bob@127.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKinv1;rport
Max-Forwards: 70
From: \"Alice\" <sip:alice@127.0.0.1>;tag=a1
To: <sip:bob@127.0.0.1>
Call-ID: call-1@127.0.0.1
CSeq: 41 INVITE
Contact: <sip:alice@127.0.0.1:5062>
Authorization: Digest username=\"alice\", realm=\"r\", nonce=\"n\", uri=\"sip:bob@127.0.0.1\", response=\"0123456789abcdef0123456789abcdef\"
Content-Length: 0

";

/// A 2xx that went callee -> p2 -> p1 -> caller: Record-Route lists p1 (the proxy nearest
/// the caller) first.
fn ok_through(rr: &[&str], contact: &str) -> SipMessage {
    let mut s = String::from(
        "SIP/2.0 200 OK
Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKinv1;rport=5062
",
    );
    for r in rr {
        s.push_str(&format!("Record-Route: {r}\n"));
    }
    s.push_str(&format!(
        "From: \"Alice\" <sip:alice@127.0.0.1>;tag=a1
To: <sip:bob@127.0.0.1>;tag=b2
Call-ID: call-1@127.0.0.1
CSeq: 41 INVITE
Contact: {contact}
Content-Length: 0

"
    ));
    msg(&s)
}

#[test]
fn uac_loose_routing_reverses_record_route() {
    let invite = msg(INVITE);
    let ok = ok_through(
        &["<sip:127.0.0.1:5071;lr>", "<sip:127.0.0.1:5072;lr;ftag=a1>"],
        "<sip:bob@127.0.0.1:5064;transport=udp>",
    );
    let mut d = Dialog::new_uac(&invite, &ok).unwrap();
    assert_eq!(d.role(), DialogRole::Uac);
    assert_eq!(d.state(), DialogState::Confirmed);
    assert_eq!(
        d.id(),
        &DialogId {
            call_id: "call-1@127.0.0.1".into(),
            local_tag: "a1".into(),
            remote_tag: "b2".into(),
        }
    );
    // UAC: Record-Route reversed.
    let set: Vec<String> = d.route_set().iter().map(|r| r.uri.to_string()).collect();
    assert_eq!(
        set,
        ["sip:127.0.0.1:5072;lr;ftag=a1", "sip:127.0.0.1:5071;lr"]
    );
    assert!(!d.is_strict_routing());
    assert_eq!(d.local_seq(), Some(41));
    assert_eq!(d.remote_seq(), None);
    assert_eq!(
        d.remote_target().to_string(),
        "sip:bob@127.0.0.1:5064;transport=udp"
    );

    let bye = d.request(Method::Bye).unwrap().build().unwrap();
    bye.validate().unwrap();
    assert_eq!(bye.method(), Some(Method::Bye));
    assert_eq!(
        bye.request_uri_str(),
        Some("sip:bob@127.0.0.1:5064;transport=udp")
    );
    assert_eq!(
        routes(&bye),
        ["sip:127.0.0.1:5072;lr;ftag=a1", "sip:127.0.0.1:5071;lr"]
    );
    assert_eq!(bye.from_tag(), Some("a1"));
    assert_eq!(bye.to_tag(), Some("b2"));
    assert_eq!(bye.from().unwrap().display_name.as_deref(), Some("Alice"));
    assert_eq!(bye.call_id().unwrap(), "call-1@127.0.0.1");
    assert_eq!(bye.cseq().unwrap().seq, 42);
    assert_eq!(bye.cseq().unwrap().method, Method::Bye);
    assert_eq!(bye.max_forwards().unwrap().unwrap(), 70);
    let via = bye.via().unwrap();
    assert!(via.branch().unwrap().starts_with("z9hG4bK"));
    assert_ne!(via.branch(), Some("z9hG4bKinv1"));
    assert_eq!(via.rport(), Some(None), "rport kept from our INVITE's Via");
    assert_eq!(via.port, Some(5062));
    assert!(bye.contact().is_none(), "BYE carries no Contact");
    assert!(bye.authorization().next().is_none());

    // Next hop: the first route, over its transport (UDP here, from our Via).
    let hop = d.next_hop();
    assert_eq!(hop.uri.to_string(), "sip:127.0.0.1:5072;lr;ftag=a1");
    assert_eq!(hop.transport, Transport::Udp);
    assert_eq!(hop.port(), 5072);
    assert_eq!(hop.host().unwrap().to_string(), "127.0.0.1");
}

#[test]
fn uac_strict_routing_puts_first_route_in_request_uri() {
    let invite = msg(INVITE);
    // p1 (nearest to us, listed last) is a strict router: no ;lr.
    let ok = ok_through(
        &[
            "<sip:127.0.0.1:5071;lr>",
            "<sip:127.0.0.1:5072;method=INVITE?X=y>",
        ],
        "<sip:bob@127.0.0.1:5064>",
    );
    let mut d = Dialog::new_uac(&invite, &ok).unwrap();
    assert!(d.is_strict_routing());
    let bye = d.request(Method::Bye).unwrap().build().unwrap();
    bye.validate().unwrap();
    // Request-URI: the first route, minus what a Request-URI must not carry.
    assert_eq!(bye.request_uri_str(), Some("sip:127.0.0.1:5072"));
    // Route: the rest of the route set, then the remote target.
    assert_eq!(
        routes(&bye),
        ["sip:127.0.0.1:5071;lr", "sip:bob@127.0.0.1:5064"]
    );
    assert_eq!(
        d.next_hop().uri.to_string(),
        "sip:127.0.0.1:5072;method=INVITE?X=y"
    );
}

#[test]
fn no_route_set_sends_to_the_contact() {
    let invite = msg(INVITE);
    let ok = ok_through(&[], "<sip:bob@127.0.0.1:5064;transport=tcp>");
    let mut d = Dialog::new_uac(&invite, &ok).unwrap();
    assert!(d.route_set().is_empty());
    let bye = d.request(Method::Bye).unwrap().build().unwrap();
    assert!(bye.routes().next().is_none());
    let hop = d.next_hop();
    assert_eq!(hop.uri.to_string(), "sip:bob@127.0.0.1:5064;transport=tcp");
    assert_eq!(hop.transport, Transport::Tcp);
}

#[test]
fn ack_reuses_the_invite_cseq_and_credentials() {
    let invite = msg(INVITE);
    let ok = ok_through(&["<sip:127.0.0.1:5071;lr>"], "<sip:bob@127.0.0.1:5064>");
    let d = Dialog::new_uac(&invite, &ok).unwrap();
    let ack = d.ack(&invite).unwrap().build().unwrap();
    ack.validate().unwrap();
    assert_eq!(ack.method(), Some(Method::Ack));
    assert_eq!(ack.cseq().unwrap().seq, 41);
    assert_eq!(ack.cseq().unwrap().method, Method::Ack);
    assert_eq!(ack.to_tag(), Some("b2"));
    assert_eq!(ack.request_uri_str(), Some("sip:bob@127.0.0.1:5064"));
    assert_eq!(routes(&ack), ["sip:127.0.0.1:5071;lr"]);
    assert_ne!(ack.via().unwrap().branch(), Some("z9hG4bKinv1"));
    assert_eq!(
        ack.authorization()
            .next()
            .unwrap()
            .unwrap()
            .realm()
            .as_deref(),
        Some("r")
    );
    assert_eq!(d.local_seq(), Some(41), "ACK does not consume a CSeq");
    // ACK and CANCEL cannot be new requests.
    let mut d2 = d.clone();
    assert_eq!(
        d2.request(Method::Ack).unwrap_err(),
        DialogError::InvalidMethod(Method::Ack)
    );
    assert!(matches!(
        d2.request(Method::Cancel),
        Err(DialogError::InvalidMethod(Method::Cancel))
    ));
    // An INVITE of another dialog is refused.
    let other = msg(&INVITE.replace("call-1@", "call-2@"));
    assert_eq!(d.ack(&other).unwrap_err(), DialogError::Mismatch);
}

#[test]
fn every_in_dialog_method_gets_the_next_cseq_and_contact_where_needed() {
    let invite = msg(INVITE);
    let ok = ok_through(&[], "<sip:bob@127.0.0.1:5064>");
    let mut d = Dialog::new_uac(&invite, &ok).unwrap();
    let cases = [
        (Method::Invite, true),
        (Method::Update, true),
        (Method::Refer, true),
        (Method::Info, false),
        (Method::Notify, true),
        (Method::Message, false),
        (Method::Options, true),
        (Method::Bye, false),
    ];
    for (i, (method, contact)) in cases.into_iter().enumerate() {
        let req = d.request(method.clone()).unwrap().build().unwrap();
        req.validate().unwrap();
        assert_eq!(req.cseq().unwrap().seq, 42 + i as u32, "{method}");
        assert_eq!(req.cseq().unwrap().method, method);
        assert_eq!(req.to_tag(), Some("b2"));
        assert_eq!(req.contact().is_some(), contact, "{method}");
        if contact {
            assert_eq!(
                req.contact().unwrap().unwrap().uri().unwrap().to_string(),
                "sip:alice@127.0.0.1:5062"
            );
        }
    }
    // A challenged request was re-sent with CSeq + 1: the dialog moves past it.
    d.advance_local_seq(60);
    assert_eq!(
        d.request(Method::Bye)
            .unwrap()
            .build()
            .unwrap()
            .cseq()
            .unwrap()
            .seq,
        61
    );
    d.advance_local_seq(10);
    assert_eq!(d.local_seq(), Some(61));
    // Bodies and extra headers go on the returned builder.
    let info = d
        .request(Method::Info)
        .unwrap()
        .body("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n")
        .build()
        .unwrap();
    assert_eq!(info.body(), b"Signal=5\r\nDuration=160\r\n");
    d.terminate();
    assert_eq!(d.request(Method::Bye).unwrap_err(), DialogError::Terminated);
}

#[test]
fn early_dialog_is_confirmed_by_the_2xx_and_its_route_set_recomputed() {
    let invite = msg(INVITE);
    let ringing = msg("SIP/2.0 180 Ringing
Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKinv1
Record-Route: <sip:127.0.0.1:5099;lr>
From: \"Alice\" <sip:alice@127.0.0.1>;tag=a1
To: <sip:bob@127.0.0.1>;tag=b2
Call-ID: call-1@127.0.0.1
CSeq: 41 INVITE
Content-Length: 0

");
    let mut d = Dialog::new_uac(&invite, &ringing).unwrap();
    assert_eq!(d.state(), DialogState::Early);
    // No Contact in the 180: the Request-URI stands in until one arrives.
    assert_eq!(d.remote_target().to_string(), "sip:bob@127.0.0.1");
    assert_eq!(d.route_set().len(), 1);
    let ok = ok_through(
        &["<sip:127.0.0.1:5071;lr>", "<sip:127.0.0.1:5072;lr>"],
        "<sip:bob@127.0.0.1:5064>",
    );
    d.handle_response(&ok).unwrap();
    assert_eq!(d.state(), DialogState::Confirmed);
    assert_eq!(d.remote_target().to_string(), "sip:bob@127.0.0.1:5064");
    let set: Vec<String> = d.route_set().iter().map(|r| r.uri.to_string()).collect();
    assert_eq!(set, ["sip:127.0.0.1:5072;lr", "sip:127.0.0.1:5071;lr"]);

    // A 1xx without To tag cannot create an early dialog; a 100 never creates one.
    let untagged = msg(&String::from_utf8_lossy(ringing.as_bytes()).replace(";tag=b2", ""));
    assert_eq!(
        Dialog::new_uac(&invite, &untagged).unwrap_err(),
        DialogError::MissingToTag
    );
    let trying =
        msg(&String::from_utf8_lossy(ringing.as_bytes()).replace("180 Ringing", "100 Trying"));
    assert_eq!(
        Dialog::new_uac(&invite, &trying).unwrap_err(),
        DialogError::NotDialogForming(100)
    );
}

#[test]
fn final_failure_terminates_an_early_dialog_and_481_any_dialog() {
    let invite = msg(INVITE);
    let ringing = msg("SIP/2.0 183 Session Progress
Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKinv1
From: <sip:alice@127.0.0.1>;tag=a1
To: <sip:bob@127.0.0.1>;tag=b2
Call-ID: call-1@127.0.0.1
CSeq: 41 INVITE
Contact: <sip:bob@127.0.0.1:5064>
Content-Length: 0

");
    let mut d = Dialog::new_uac(&invite, &ringing).unwrap();
    assert_eq!(d.remote_target().to_string(), "sip:bob@127.0.0.1:5064");
    let busy = msg(&String::from_utf8_lossy(ringing.as_bytes())
        .replace("183 Session Progress", "486 Busy Here"));
    d.handle_response(&busy).unwrap();
    assert_eq!(d.state(), DialogState::Terminated);

    let ok = ok_through(&[], "<sip:bob@127.0.0.1:5064>");
    let mut d = Dialog::new_uac(&invite, &ok).unwrap();
    let bye = d.request(Method::Bye).unwrap().build().unwrap();
    let gone = msg(&format!(
        "SIP/2.0 481 Call/Transaction Does Not Exist
Via: {}
From: <sip:alice@127.0.0.1>;tag=a1
To: <sip:bob@127.0.0.1>;tag=b2
Call-ID: call-1@127.0.0.1
CSeq: {} BYE
Content-Length: 0

",
        bye.via().unwrap(),
        bye.cseq().unwrap().seq
    ));
    d.handle_response(&gone).unwrap();
    assert_eq!(d.state(), DialogState::Terminated);
    // A response of another dialog is refused.
    let mut d = Dialog::new_uac(&invite, &ok).unwrap();
    let foreign = msg(&String::from_utf8_lossy(ok.as_bytes()).replace("tag=b2", "tag=zz"));
    assert_eq!(
        d.handle_response(&foreign).unwrap_err(),
        DialogError::Mismatch
    );
}

#[test]
fn reinvite_2xx_refreshes_the_target() {
    let invite = msg(INVITE);
    let ok = ok_through(&["<sip:127.0.0.1:5071;lr>"], "<sip:bob@127.0.0.1:5064>");
    let mut d = Dialog::new_uac(&invite, &ok).unwrap();
    let reinvite = d.request(Method::Invite).unwrap().build().unwrap();
    let ok2 = msg(&format!(
        "SIP/2.0 200 OK
Via: {}
Record-Route: <sip:127.0.0.1:5999;lr>
From: \"Alice\" <sip:alice@127.0.0.1>;tag=a1
To: <sip:bob@127.0.0.1>;tag=b2
Call-ID: call-1@127.0.0.1
CSeq: {} INVITE
Contact: <sip:bob@127.0.0.1:6000>
Content-Length: 0

",
        reinvite.via().unwrap(),
        reinvite.cseq().unwrap().seq
    ));
    d.handle_response(&ok2).unwrap();
    assert_eq!(d.remote_target().to_string(), "sip:bob@127.0.0.1:6000");
    // The route set is fixed once the dialog is confirmed.
    assert_eq!(d.route_set()[0].uri.to_string(), "sip:127.0.0.1:5071;lr");
    let ack = d.ack(&reinvite).unwrap().build().unwrap();
    assert_eq!(ack.cseq().unwrap().seq, reinvite.cseq().unwrap().seq);
    assert_eq!(ack.request_uri_str(), Some("sip:bob@127.0.0.1:6000"));
}

const INCOMING: &str = "INVITE sip:bob@127.0.0.1:5064 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5072;branch=z9hG4bKp2
Via: SIP/2.0/UDP 127.0.0.1:5071;branch=z9hG4bKp1
Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKinv1;rport
Record-Route: <sip:127.0.0.1:5072;lr>
Record-Route: <sip:127.0.0.1:5071;lr>
Max-Forwards: 68
From: \"Alice\" <sip:alice@127.0.0.1>;tag=a1
To: \"Bob\" <sip:bob@127.0.0.1>
Call-ID: call-9@127.0.0.1
CSeq: 10 INVITE
Contact: <sip:alice@127.0.0.1:5062>
Content-Length: 0

";

fn me() -> Contact<'static> {
    Contact::Address(NameAddr::new(
        Uri::parse("sip:bob@127.0.0.1:5064").unwrap().into_owned(),
    ))
}

fn sent_by() -> SentBy {
    SentBy::new(
        Transport::Udp,
        sip_message::Host::parse("127.0.0.1").unwrap().into_owned(),
        Some(5064),
    )
}

fn uas_dialog() -> (SipMessage, Dialog) {
    let invite = msg(INCOMING);
    let tag = new_tag();
    let ok = uas_response(&invite, SipStatus::OK, &tag, Some(&me()))
        .build()
        .unwrap();
    let d = Dialog::new_uas(&invite, &ok, sent_by()).unwrap();
    assert_eq!(d.id().local_tag, tag);
    (invite, d)
}

#[test]
fn uas_response_adds_the_tag_and_copies_record_route() {
    let invite = msg(INCOMING);
    let trying = uas_response(&invite, SipStatus::TRYING, "t1", None)
        .build()
        .unwrap();
    assert_eq!(trying.to_tag(), None, "100 Trying needs no tag");
    assert_eq!(trying.record_routes().count(), 0);
    let ringing = uas_response(&invite, SipStatus::RINGING, "t1", Some(&me()))
        .build()
        .unwrap();
    ringing.validate().unwrap();
    assert_eq!(ringing.to_tag(), Some("t1"));
    assert_eq!(ringing.to().unwrap().display_name.as_deref(), Some("Bob"));
    let rr: Vec<String> = ringing
        .record_routes()
        .map(|r| r.unwrap().uri.to_string())
        .collect();
    assert_eq!(
        rr,
        ["sip:127.0.0.1:5072;lr", "sip:127.0.0.1:5071;lr"],
        "same order"
    );
    assert_eq!(ringing.vias().count(), 3);
    assert_eq!(ringing.cseq().unwrap().seq, 10);
    // Failures carry the tag but no Record-Route.
    let busy = uas_response(&invite, SipStatus::BUSY_HERE, "t1", None)
        .build()
        .unwrap();
    assert_eq!(busy.to_tag(), Some("t1"));
    assert_eq!(busy.record_routes().count(), 0);
    // A UAS dialog needs our tag and Contact in the response.
    let no_tag = invite
        .response(SipStatus::OK)
        .contact(&me())
        .build()
        .unwrap();
    assert_eq!(
        Dialog::new_uas(&invite, &no_tag, sent_by()).unwrap_err(),
        DialogError::MissingToTag
    );
    let no_contact = uas_response(&invite, SipStatus::OK, "t1", None)
        .build()
        .unwrap();
    assert_eq!(
        Dialog::new_uas(&invite, &no_contact, sent_by()).unwrap_err(),
        DialogError::MissingContact
    );
    let bare = msg(&INCOMING.replace("Contact: <sip:alice@127.0.0.1:5062>\n", ""));
    let ok = uas_response(&bare, SipStatus::OK, "t1", Some(&me()))
        .build()
        .unwrap();
    assert_eq!(
        Dialog::new_uas(&bare, &ok, sent_by()).unwrap_err(),
        DialogError::MissingContact
    );
}

#[test]
fn uas_dialog_keeps_record_route_order_and_swaps_from_to() {
    let (_, mut d) = uas_dialog();
    assert_eq!(d.role(), DialogRole::Uas);
    assert_eq!(d.state(), DialogState::Confirmed);
    assert_eq!(d.id().remote_tag, "a1");
    assert_eq!(d.remote_seq(), Some(10));
    assert_eq!(d.local_seq(), None);
    let set: Vec<String> = d.route_set().iter().map(|r| r.uri.to_string()).collect();
    assert_eq!(set, ["sip:127.0.0.1:5072;lr", "sip:127.0.0.1:5071;lr"]);
    assert_eq!(d.remote_target().to_string(), "sip:alice@127.0.0.1:5062");

    let bye = d.request(Method::Bye).unwrap().build().unwrap();
    bye.validate().unwrap();
    assert_eq!(bye.request_uri_str(), Some("sip:alice@127.0.0.1:5062"));
    assert_eq!(
        routes(&bye),
        ["sip:127.0.0.1:5072;lr", "sip:127.0.0.1:5071;lr"]
    );
    let from = bye.from().unwrap();
    assert_eq!(from.uri.to_string(), "sip:bob@127.0.0.1");
    assert_eq!(from.display_name.as_deref(), Some("Bob"));
    assert_eq!(from.tag(), Some(d.id().local_tag.as_str()));
    assert_eq!(bye.to().unwrap().uri.to_string(), "sip:alice@127.0.0.1");
    assert_eq!(bye.to_tag(), Some("a1"));
    let via = bye.via().unwrap();
    assert_eq!(via.port, Some(5064));
    assert_eq!(via.host.to_string(), "127.0.0.1");
    // The first local CSeq is random below 2^31, then increments.
    let first = bye.cseq().unwrap().seq;
    assert!((1..1 << 31).contains(&first));
    let next = d.request(Method::Refer).unwrap().build().unwrap();
    assert_eq!(next.cseq().unwrap().seq, first + 1);
    assert_eq!(d.next_hop().uri.to_string(), "sip:127.0.0.1:5072;lr");
}

fn in_dialog(method: &str, seq: u32, extra: &str, local_tag: &str) -> SipMessage {
    msg(&format!(
        "{method} sip:bob@127.0.0.1:5064 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5071;branch=z9hG4bK{method}{seq}
From: <sip:alice@127.0.0.1>;tag=a1
To: <sip:bob@127.0.0.1>;tag={local_tag}
Call-ID: call-9@127.0.0.1
CSeq: {seq} {method}
{extra}Content-Length: 0

"
    ))
}

#[test]
fn remote_cseq_must_increase() {
    let (_, mut d) = uas_dialog();
    let tag = d.id().local_tag.clone();
    // The ACK for our 2xx carries the INVITE's number: accepted, nothing changes.
    d.receive_request(&in_dialog("ACK", 10, "", &tag)).unwrap();
    assert_eq!(d.remote_seq(), Some(10));
    // Lower: out of order, 500.
    let err = d
        .receive_request(&in_dialog("INFO", 9, "", &tag))
        .unwrap_err();
    assert_eq!(
        err,
        DialogError::CSeqOutOfOrder {
            received: 9,
            last: 10
        }
    );
    assert_eq!(err.response_status(), SipStatus::SERVER_INTERNAL_ERROR);
    // Equal, for a new request: refused as well.
    assert!(d.receive_request(&in_dialog("INFO", 10, "", &tag)).is_err());
    assert_eq!(d.remote_seq(), Some(10));
    // Higher (gaps allowed): in order.
    d.receive_request(&in_dialog("INFO", 15, "", &tag)).unwrap();
    assert_eq!(d.remote_seq(), Some(15));
    d.receive_request(&in_dialog("INFO", 14, "", &tag))
        .unwrap_err();
    // Another dialog's request: 481.
    let err = d
        .receive_request(&in_dialog("BYE", 20, "", "someone-else"))
        .unwrap_err();
    assert_eq!(err, DialogError::Mismatch);
    assert_eq!(
        err.response_status(),
        SipStatus::CALL_TRANSACTION_DOES_NOT_EXIST
    );
    d.receive_request(&in_dialog("BYE", 16, "", &tag)).unwrap();
    assert_eq!(
        DialogId::for_incoming_request(&in_dialog("BYE", 16, "", &tag)).as_ref(),
        Some(d.id())
    );
}

#[test]
fn uac_dialog_learns_the_remote_cseq_from_the_first_request() {
    let invite = msg(INVITE);
    let ok = ok_through(&[], "<sip:bob@127.0.0.1:5064>");
    let mut d = Dialog::new_uac(&invite, &ok).unwrap();
    assert_eq!(DialogId::for_incoming_response(&ok).as_ref(), Some(d.id()));
    let bye = msg("BYE sip:alice@127.0.0.1:5062 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5064;branch=z9hG4bKb1
From: <sip:bob@127.0.0.1>;tag=b2
To: <sip:alice@127.0.0.1>;tag=a1
Call-ID: call-1@127.0.0.1
CSeq: 5 BYE
Content-Length: 0

");
    d.receive_request(&bye).unwrap();
    assert_eq!(d.remote_seq(), Some(5));
}

#[test]
fn target_refresh_request_replaces_the_remote_target() {
    let (_, mut d) = uas_dialog();
    let tag = d.id().local_tag.clone();
    let reinvite = in_dialog("INVITE", 11, "Contact: <sip:alice@127.0.0.1:7000>\n", &tag);
    d.receive_request(&reinvite).unwrap();
    assert_eq!(d.remote_target().to_string(), "sip:alice@127.0.0.1:7000");
    // INFO is not a target refresh.
    let info = in_dialog("INFO", 12, "Contact: <sip:alice@127.0.0.1:8000>\n", &tag);
    d.receive_request(&info).unwrap();
    assert_eq!(d.remote_target().to_string(), "sip:alice@127.0.0.1:7000");
    let update = in_dialog("UPDATE", 13, "Contact: <sip:alice@127.0.0.1:9000>\n", &tag);
    d.receive_request(&update).unwrap();
    assert_eq!(d.remote_target().to_string(), "sip:alice@127.0.0.1:9000");
}

#[test]
fn early_uas_dialog_confirms_on_our_2xx() {
    let invite = msg(INCOMING);
    let ringing = uas_response(&invite, SipStatus::RINGING, "t9", Some(&me()))
        .build()
        .unwrap();
    let mut d = Dialog::new_uas(&invite, &ringing, sent_by()).unwrap();
    assert_eq!(d.state(), DialogState::Early);
    d.confirm();
    assert_eq!(d.state(), DialogState::Confirmed);
}

#[test]
fn secure_dialog_goes_over_tls_and_null_remote_tag_is_supported() {
    let invite = msg(&INVITE
        .replace(
            "INVITE sip:bob@127.0.0.1 SIP/2.0",
            "INVITE sips:bob@127.0.0.1 SIP/2.0",
        )
        .replace("SIP/2.0/UDP", "SIP/2.0/TLS"));
    // An RFC 2543 peer: 200 without To tag.
    let ok = msg("SIP/2.0 200 OK
Via: SIP/2.0/TLS 127.0.0.1:5062;branch=z9hG4bKinv1
From: <sip:alice@127.0.0.1>;tag=a1
To: <sip:bob@127.0.0.1>
Call-ID: call-1@127.0.0.1
CSeq: 41 INVITE
Contact: <sip:bob@127.0.0.1:5064>
Content-Length: 0

");
    let mut d = Dialog::new_uac(&invite, &ok).unwrap();
    assert!(d.secure());
    assert_eq!(d.id().remote_tag, "");
    assert_eq!(d.next_hop().transport, Transport::Tls);
    assert_eq!(d.next_hop().port(), 5064);
    let bye = d.request(Method::Bye).unwrap().build().unwrap();
    assert_eq!(bye.to_tag(), None);
    assert_eq!(bye.via().unwrap().transport, Transport::Tls);
    // The same INVITE over UDP is not secure.
    let plain = msg(INVITE);
    let ok = ok_through(&[], "<sip:bob@127.0.0.1:5064>");
    assert!(!Dialog::new_uac(&plain, &ok).unwrap().secure());
}

#[test]
fn built_requests_reparse_byte_for_byte() {
    let invite = msg(INVITE);
    let ok = ok_through(&["<sip:127.0.0.1:5071;lr>"], "<sip:bob@127.0.0.1:5064>");
    let mut d = Dialog::new_uac(&invite, &ok).unwrap();
    let refer = d
        .request(Method::Refer)
        .unwrap()
        .header(&HeaderName::ReferTo, "<sip:carol@127.0.0.1>")
        .build()
        .unwrap();
    let again = SipMessage::parse(refer.to_bytes()).unwrap();
    assert_eq!(again, refer);
    assert_eq!(
        again.refer_to().unwrap().unwrap().uri.to_string(),
        "sip:carol@127.0.0.1"
    );
}
