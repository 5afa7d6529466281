//! The voip dialog, auth and registration state machines fed responses and requests whose
//! identifying headers match (so they get past the Call-ID/tag/CSeq checks) and whose other
//! header lines come from the fuzzer (Record-Route, Contact, challenges, Expires,
//! Min-Expires, Retry-After, ...). Nothing may panic, and whatever they build must parse.
#![no_main]

use bytes::Bytes;
use credentials::CredentialsManager;
use libfuzzer_sys::fuzz_target;
use sip_message::{Host, Method, SipMessage, SipStatus, Transport, Uri};
use std::time::{Duration, Instant};
use voip::auth::ClientAuth;
use voip::dialog::{Dialog, SentBy, uas_response};
use voip::registration::{Registration, RegistrationConfig};

const CODES: [u16; 12] = [100, 180, 183, 200, 202, 401, 403, 407, 423, 481, 486, 503];

const INVITE: &str = "INVITE sip:bob@127.0.0.1 SIP/2.0\r\n\
    Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKfz;rport\r\n\
    Max-Forwards: 70\r\nFrom: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:bob@127.0.0.1>\r\n\
    Call-ID: fz@127.0.0.1\r\nCSeq: 7 INVITE\r\nContact: <sip:alice@127.0.0.1:5062>\r\n";

/// `head` (status line or request line plus headers, CRLF-terminated) + fuzzed lines.
fn with_lines(head: &str, lines: &str) -> Option<SipMessage> {
    if lines.contains("Content-Length") || lines.contains("\r\n\r\n") {
        return None;
    }
    let mut s = String::from(head);
    for l in lines.split('\n').filter(|l| !l.trim().is_empty()) {
        s.push_str(l.trim_end_matches('\r'));
        s.push_str("\r\n");
    }
    s.push_str("Content-Length: 0\r\n\r\n");
    SipMessage::parse(Bytes::from(s)).ok()
}

fn response_head(req: &SipMessage, code: u16, to_tag: bool) -> Option<String> {
    let status = SipStatus::new(code).ok()?;
    Some(format!(
        "SIP/2.0 {} {}\r\nVia: {}\r\nFrom: {}\r\nTo: {}{}\r\nCall-ID: {}\r\nCSeq: {}\r\n",
        code,
        status.phrase(),
        req.via().ok()?,
        req.from().ok()?,
        req.to().ok()?,
        if to_tag { ";tag=b2" } else { "" },
        req.call_id().ok()?,
        req.cseq().ok()?,
    ))
}

fn check_built(b: Result<sip_message::RequestBuilder, voip::dialog::DialogError>) {
    if let Ok(Ok(m)) = b.map(sip_message::RequestBuilder::build) {
        SipMessage::parse(m.to_bytes()).expect("built messages parse");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let Ok(lines) = std::str::from_utf8(rest) else {
        return;
    };
    let code = CODES[usize::from(sel) % CODES.len()];
    let Some(invite) = with_lines(INVITE, "") else {
        return;
    };
    let sent_by = SentBy::new(Transport::Udp, Host::Ipv4([127, 0, 0, 1].into()), Some(5062));

    // UAC dialog from a fuzzed response, then everything a dialog does.
    if let Some(resp) = response_head(&invite, code, sel & 0x80 == 0)
        .and_then(|h| with_lines(&h, lines))
    {
        if let Ok(mut d) = Dialog::new_uac(&invite, &resp) {
            let _ = d.handle_response(&resp);
            let _ = d.next_hop().host();
            let _ = d.next_hop().port();
            check_built(d.ack(&invite));
            for m in [Method::Bye, Method::Invite, Method::Refer] {
                check_built(d.request(m));
            }
        }
        let mut cm = CredentialsManager::new();
        let _ = cm.add("alice", "pw", None, None, None);
        if let Ok(retry) = ClientAuth::default().authorize(&invite, &resp, &cm, "127.0.0.1") {
            SipMessage::parse(retry.request.to_bytes()).expect("retried request parses");
        }
    }

    // UAS dialog from a fuzzed request (extra Record-Route, Contact, ...).
    let uas_head = INVITE.replace("Contact: <sip:alice@127.0.0.1:5062>\r\n", "");
    if let Some(req) = with_lines(&uas_head, lines) {
        let me = sip_message::Contact::Address(sip_message::NameAddr::new(
            Uri::parse("sip:bob@127.0.0.1:5064").unwrap(),
        ));
        if let Ok(ok) = uas_response(&req, SipStatus::OK, "b2", Some(&me)).build() {
            if let Ok(mut d) = Dialog::new_uas(&req, &ok, sent_by.clone()) {
                let _ = d.receive_request(&req);
                check_built(d.request(Method::Bye));
            }
        }
    }

    // Registration: answer each REGISTER with the fuzzed lines.
    let config = RegistrationConfig::new(
        Uri::parse("sip:127.0.0.1").unwrap().into_owned(),
        "alice",
        Uri::parse("sip:alice@127.0.0.1:5062").unwrap().into_owned(),
        sent_by,
    );
    let mut cm = CredentialsManager::new();
    let _ = cm.add("alice", "pw", None, None, None);
    let Ok(mut reg) = Registration::new(config, cm) else {
        return;
    };
    let mut now = Instant::now();
    reg.start(now);
    for round in 0..6u16 {
        if let Some(out) = reg.poll_request() {
            SipMessage::parse(out.request.to_bytes()).expect("REGISTER parses");
            let code = CODES[(usize::from(sel) + usize::from(round)) % CODES.len()];
            if let Some(resp) =
                response_head(&out.request, code, true).and_then(|h| with_lines(&h, lines))
            {
                reg.handle_response(now, &resp);
            } else {
                reg.handle_request_timeout(now);
            }
        }
        while reg.poll_event().is_some() {}
        if let Some(t) = reg.poll_timeout() {
            now = t.max(now);
            reg.handle_timeout(now);
        } else {
            now += Duration::from_secs(1);
        }
        if round == 4 {
            reg.deregister(now);
        }
    }
});
