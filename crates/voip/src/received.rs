//! Stamping the top Via of a request we receive with where it really came from, so that
//! every response copies it back: `received` (RFC 3261 §18.2.1, when the sent-by host is
//! not the source address) and the `rport` value (RFC 3581 §4, when the client asked with
//! an empty `rport`; `received` is then always added). A client behind a NAT learns its
//! public address from these, as our own phone does from its registrar.

use std::net::SocketAddr;

use bytes::Bytes;
use sip_message::{HeaderName, SipMessage};

/// `request` with its top Via stamped for a request received from `source`; unchanged
/// when nothing is to be added (or the Via cannot be rewritten: a folded header, a Via
/// that does not parse), and for responses.
pub(crate) fn stamp_received(request: SipMessage, source: SocketAddr) -> SipMessage {
    if !request.is_request() {
        return request;
    }
    let Some(text) = stamped_top_via(&request, source) else {
        return request;
    };
    let bytes = request.as_bytes();
    let Some(field) = request.headers().find(|h| h.name() == HeaderName::Via) else {
        return request;
    };
    let value = field.value();
    // The value must be a slice of the message (not a joined copy of folded lines) to
    // be replaced in place.
    let start = (value.as_ptr() as usize).wrapping_sub(bytes.as_ptr() as usize);
    if start > bytes.len() || bytes.get(start..start + value.len()) != Some(value) {
        return request;
    }
    let first_len = top_level_comma(value).unwrap_or(value.len());
    let mut out = Vec::with_capacity(bytes.len() + 48);
    out.extend_from_slice(&bytes[..start]);
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(&bytes[start + first_len..]);
    SipMessage::parse(Bytes::from(out)).unwrap_or(request)
}

/// The top Via as it should read, or `None` when it needs nothing.
fn stamped_top_via(request: &SipMessage, source: SocketAddr) -> Option<String> {
    let via = request.via().ok()?;
    let ip = source.ip().to_canonical();
    let wants_rport = via.rport().is_some();
    let host_is_source = via.host.ip().map(|h| h.to_canonical()) == Some(ip);
    let received_ok = via.received().map(|r| r.to_canonical()) == Some(ip);
    let rport_ok = via.rport() == Some(Some(source.port()));
    let add_received = (wants_rport || !host_is_source) && !received_ok;
    let fill_rport = wants_rport && !rport_ok;
    if !add_received && !fill_rport {
        return None;
    }
    let mut via = via.into_owned();
    via.params.set("received", Some(&ip.to_string())).ok()?;
    if wants_rport {
        via.params
            .set("rport", Some(&source.port().to_string()))
            .ok()?;
    }
    Some(via.to_string())
}

/// Where the first Via of a header value ends: the first comma outside quotes.
fn top_level_comma(value: &[u8]) -> Option<usize> {
    let mut quoted = false;
    for (i, &b) in value.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(via: &str) -> SipMessage {
        SipMessage::parse(Bytes::from(format!(
            "OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\n{via}\r\nMax-Forwards: 70\r\n\
             From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: c1\r\n\
             CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        )))
        .unwrap()
    }

    fn top(m: &SipMessage) -> String {
        m.via().unwrap().to_string()
    }

    #[test]
    fn rport_is_filled_and_received_added() {
        let src: SocketAddr = "192.0.2.7:40001".parse().unwrap();
        let m = stamp_received(
            request("Via: SIP/2.0/UDP 10.0.0.4:5060;branch=z9hG4bK1;rport"),
            src,
        );
        let v = m.via().unwrap();
        assert_eq!(v.rport(), Some(Some(40001)));
        assert_eq!(v.received(), Some("192.0.2.7".parse().unwrap()));
        assert_eq!(v.branch(), Some("z9hG4bK1"));
        // Even when the sent-by is the source (RFC 3581 §4: MUST add received).
        let m = stamp_received(
            request("Via: SIP/2.0/UDP 192.0.2.7:40001;branch=z9hG4bK2;rport"),
            src,
        );
        assert!(top(&m).contains("received=192.0.2.7"), "{}", top(&m));
        assert!(top(&m).contains("rport=40001"), "{}", top(&m));
    }

    #[test]
    fn received_only_when_the_host_differs_and_no_rport() {
        let src: SocketAddr = "192.0.2.7:5060".parse().unwrap();
        let same = request("Via: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK3");
        let same_text = same.as_bytes().to_vec();
        assert_eq!(stamp_received(same, src).as_bytes(), &same_text[..]);
        let named = stamp_received(
            request("Via: SIP/2.0/UDP phone.example.com;branch=z9hG4bK4"),
            src,
        );
        assert!(top(&named).contains("received=192.0.2.7"));
        assert!(!top(&named).contains("rport"));
    }

    #[test]
    fn only_the_top_via_changes_and_the_rest_is_kept() {
        let src: SocketAddr = "[2001:db8::9]:5070".parse().unwrap();
        let m = stamp_received(
            request(
                "v: SIP/2.0/UDP [2001:db8::1]:5060;rport;branch=z9hG4bK5, \
                 SIP/2.0/UDP proxy.example.com;branch=z9hG4bK6\r\nVia: SIP/2.0/TCP p2;branch=z9hG4bK7",
            ),
            src,
        );
        let vias: Vec<String> = m.vias().map(|v| v.unwrap().to_string()).collect();
        assert_eq!(vias.len(), 3, "{vias:?}");
        assert!(vias[0].contains("received=2001:db8::9"), "{vias:?}");
        assert!(vias[0].contains("rport=5070"), "{vias:?}");
        assert_eq!(vias[1], "SIP/2.0/UDP proxy.example.com;branch=z9hG4bK6");
        assert_eq!(vias[2], "SIP/2.0/TCP p2;branch=z9hG4bK7");
        // Stamped already: unchanged.
        let again = m.as_bytes().to_vec();
        assert_eq!(stamp_received(m, src).as_bytes(), &again[..]);
    }
}
