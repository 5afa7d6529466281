//! Property tests of the dialog against a model: arbitrary route sets (loose and strict
//! hops mixed) give the RFC 3261 §12.2.1.1 Request-URI and Route list, and arbitrary
//! sequences of sent and received requests keep the CSeq rules of §12.2.

use proptest::prelude::*;
use sip_message::{Bytes, Method, SipMessage};
use voip::dialog::{Dialog, DialogError};

fn msg(text: &str) -> SipMessage {
    let wire = text.replace("\r\n", "\n").replace('\n', "\r\n");
    SipMessage::parse(Bytes::from(wire)).expect("test message parses")
}

const INVITE: &str = "INVITE sip:bob@127.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKprop
Max-Forwards: 70
From: <sip:alice@127.0.0.1>;tag=a1
To: <sip:bob@127.0.0.1>
Call-ID: prop@127.0.0.1
CSeq: 100 INVITE
Contact: <sip:alice@127.0.0.1:5062>
Content-Length: 0

";

fn hop_uri(port: u16, lr: bool) -> String {
    format!("sip:127.0.0.1:{port}{}", if lr { ";lr" } else { "" })
}

/// The 200 OK for INVITE whose Record-Route lists `route_set` (in our sending order)
/// reversed, as proxies add themselves top-down from the callee's side.
fn ok_with(route_set: &[(u16, bool)]) -> SipMessage {
    let mut s =
        String::from("SIP/2.0 200 OK\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKprop\n");
    for (port, lr) in route_set.iter().rev() {
        s.push_str(&format!("Record-Route: <{}>\n", hop_uri(*port, *lr)));
    }
    s.push_str(
        "From: <sip:alice@127.0.0.1>;tag=a1
To: <sip:bob@127.0.0.1>;tag=b2
Call-ID: prop@127.0.0.1
CSeq: 100 INVITE
Contact: <sip:bob@127.0.0.1:5064>
Content-Length: 0

",
    );
    msg(&s)
}

fn incoming(method: &str, seq: u32) -> SipMessage {
    msg(&format!(
        "{method} sip:alice@127.0.0.1:5062 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5064;branch=z9hG4bKin{seq}
From: <sip:bob@127.0.0.1>;tag=b2
To: <sip:alice@127.0.0.1>;tag=a1
Call-ID: prop@127.0.0.1
CSeq: {seq} {method}
Content-Length: 0

"
    ))
}

#[derive(Debug, Clone)]
enum Op {
    Send(usize),
    Receive(u32),
    Ack,
}

const METHODS: [Method; 7] = [
    Method::Bye,
    Method::Invite,
    Method::Update,
    Method::Refer,
    Method::Info,
    Method::Message,
    Method::Notify,
];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..METHODS.len()).prop_map(Op::Send),
        (0u32..40).prop_map(Op::Receive),
        Just(Op::Ack),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn route_set_gives_request_uri_and_routes(
        route_set in prop::collection::vec((5000u16..6000, any::<bool>()), 0..6)
    ) {
        let mut d = Dialog::new_uac(&msg(INVITE), &ok_with(&route_set)).unwrap();
        let expected_set: Vec<String> =
            route_set.iter().map(|(p, lr)| hop_uri(*p, *lr)).collect();
        let set: Vec<String> = d.route_set().iter().map(|r| r.uri.to_string()).collect();
        prop_assert_eq!(&set, &expected_set);

        let bye = d.request(Method::Bye).unwrap().build().unwrap();
        bye.validate().unwrap();
        prop_assert_eq!(SipMessage::parse(bye.to_bytes()).unwrap(), bye.clone());
        let routes: Vec<String> = bye.routes().map(|r| r.unwrap().uri.to_string()).collect();
        let target = "sip:bob@127.0.0.1:5064".to_owned();
        match route_set.first() {
            None => {
                prop_assert_eq!(bye.request_uri_str(), Some(target.as_str()));
                prop_assert!(routes.is_empty());
                prop_assert_eq!(d.next_hop().uri.to_string(), target);
            }
            Some((_, true)) => {
                prop_assert_eq!(bye.request_uri_str(), Some(target.as_str()));
                prop_assert_eq!(&routes, &expected_set);
                prop_assert_eq!(d.next_hop().uri.to_string(), expected_set[0].clone());
            }
            Some((_, false)) => {
                prop_assert_eq!(bye.request_uri_str(), Some(expected_set[0].as_str()));
                let mut want = expected_set[1..].to_vec();
                want.push(target);
                prop_assert_eq!(&routes, &want);
                prop_assert_eq!(d.next_hop().uri.to_string(), expected_set[0].clone());
            }
        }
    }

    #[test]
    fn cseq_rules_hold_for_any_sequence(ops in prop::collection::vec(op(), 0..40)) {
        let invite = msg(INVITE);
        let mut d = Dialog::new_uac(&invite, &ok_with(&[])).unwrap();
        let mut local = 100u32;
        let mut remote: Option<u32> = None;
        for op in ops {
            match op {
                Op::Send(i) => {
                    let m = METHODS[i].clone();
                    let req = d.request(m.clone()).unwrap().build().unwrap();
                    local += 1;
                    prop_assert_eq!(req.cseq().unwrap().seq, local);
                    prop_assert_eq!(req.cseq().unwrap().method, m);
                    prop_assert_eq!(req.to_tag(), Some("b2"));
                    prop_assert_eq!(req.from_tag(), Some("a1"));
                }
                Op::Ack => {
                    let ack = d.ack(&invite).unwrap().build().unwrap();
                    prop_assert_eq!(ack.cseq().unwrap().seq, 100);
                }
                Op::Receive(seq) => {
                    let result = d.receive_request(&incoming("INFO", seq));
                    if remote.is_none_or(|r| seq > r) {
                        prop_assert!(result.is_ok());
                        remote = Some(seq);
                    } else {
                        prop_assert_eq!(
                            result,
                            Err(DialogError::CSeqOutOfOrder { received: seq, last: remote.unwrap() })
                        );
                    }
                    prop_assert_eq!(d.remote_seq(), remote);
                }
            }
            prop_assert_eq!(d.local_seq(), Some(local));
        }
    }
}
