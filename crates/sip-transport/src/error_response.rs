//! Building a stateless error response (`400 Bad Request`, `503 Service Unavailable`) for a
//! request that cannot be handed on, from its raw bytes.
//!
//! RFC 3261 §8.2 asks a UAS to answer a malformed request with 400 when it can; a response
//! needs the request's Via, From, To, Call-ID and CSeq (§8.2.6.2). This module works on the
//! raw lines, so it also answers requests whose other headers do not parse. It only answers
//! when the start line is a request line (never a response, never ACK) and the top Via
//! parses, because the Via is the only way back.

use std::hash::{BuildHasher, Hasher};

use bytes::{BufMut, Bytes, BytesMut};

/// The header fields copied into the response, with their compact forms.
const COPIED: [(&str, Option<&str>); 5] = [
    ("Via", Some("v")),
    ("From", Some("f")),
    ("To", Some("t")),
    ("Call-ID", Some("i")),
    ("CSeq", None),
];

/// Builds `SIP/2.0 <code> <phrase>` for the request in `raw`, with `warning` (the reason,
/// for the peer's logs) in a `Warning: 399` header. `None` when `raw` does not start with a
/// request line, is an ACK, or has no parsable Via.
pub(crate) fn error_response(
    raw: &[u8],
    code: u16,
    phrase: &str,
    warning: Option<&str>,
) -> Option<Bytes> {
    let start = raw
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count();
    let mut lines = raw[start..]
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let request_line = lines.next()?;
    let method = request_method(request_line)?;
    if method == b"ACK" {
        // RFC 3261 §17.2.3 / §8.2: ACK never gets a response.
        return None;
    }
    // Collect (canonical name, value) of the copied headers, joining folded lines.
    let mut fields: Vec<(usize, Vec<u8>)> = Vec::new();
    for line in lines {
        if line.is_empty() {
            break;
        }
        if matches!(line[0], b' ' | b'\t') {
            if let Some((_, v)) = fields.last_mut() {
                v.push(b' ');
                v.extend_from_slice(trim(line));
            }
            continue;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            // A line we cannot read: stop copying, the fields found so far may do.
            break;
        };
        let name = trim(&line[..colon]);
        let Some(idx) = COPIED.iter().position(|(long, short)| {
            name.eq_ignore_ascii_case(long.as_bytes())
                || short.is_some_and(|s| name.eq_ignore_ascii_case(s.as_bytes()))
        }) else {
            // Folded lines of a header we skip must not join a copied one.
            fields.push((usize::MAX, Vec::new()));
            continue;
        };
        let value = trim(&line[colon + 1..]);
        if value.iter().any(|&b| (b < b' ' && b != b'\t') || b == 0x7f) {
            // Control characters would make the response itself malformed: leave it out.
            fields.push((usize::MAX, Vec::new()));
            continue;
        }
        fields.push((idx, value.to_vec()));
    }
    fields.retain(|(i, _)| *i != usize::MAX);
    // The top Via must parse: it is where the response goes.
    let top_via = fields.iter().find(|(i, _)| *i == 0)?;
    let top_via = std::str::from_utf8(&top_via.1).ok()?;
    let first = top_via.split(',').next()?.trim();
    sip_message::Via::parse(first).ok()?;

    let mut out = BytesMut::with_capacity(256 + raw.len().min(2048));
    out.put_slice(format!("SIP/2.0 {code} {phrase}\r\n").as_bytes());
    for (idx, (long, _)) in COPIED.iter().enumerate() {
        for (_, value) in fields.iter().filter(|(i, _)| *i == idx) {
            out.put_slice(long.as_bytes());
            out.put_slice(b": ");
            out.put_slice(value);
            if idx == 2 && !has_tag(value) {
                // §8.2.6.2: add a To tag when the request had none.
                out.put_slice(format!(";tag={:016x}", random_u64()).as_bytes());
            }
            out.put_slice(b"\r\n");
        }
    }
    if let Some(w) = warning {
        // warn-text is a quoted-string: keep it printable and free of quotes/backslashes.
        let text: String = w
            .chars()
            .map(|c| {
                if c == '"' || c == '\\' || c.is_control() {
                    '\''
                } else {
                    c
                }
            })
            .take(200)
            .collect();
        out.put_slice(format!("Warning: 399 sip-transport \"{text}\"\r\n").as_bytes());
    }
    out.put_slice(b"Content-Length: 0\r\n\r\n");
    Some(out.freeze())
}

/// The method of a request line `Method SP Request-URI SP SIP/2.0`.
fn request_method(line: &[u8]) -> Option<&[u8]> {
    let mut parts = line.split(|&b| b == b' ');
    let method = parts.next()?;
    let uri = parts.next()?;
    let version = parts.next()?;
    let ok = !method.is_empty()
        && method
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(b))
        && uri.contains(&b':')
        && version.eq_ignore_ascii_case(b"SIP/2.0")
        && parts.next().is_none();
    ok.then_some(method)
}

fn trim(s: &[u8]) -> &[u8] {
    let a = s
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(s.len());
    let b = s
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(a, |p| p + 1);
    &s[a..b.max(a)]
}

fn has_tag(value: &[u8]) -> bool {
    // ";tag=" after the closing '>' of a name-addr, or anywhere in an addr-spec form.
    let after = value
        .iter()
        .rposition(|&b| b == b'>')
        .map_or(value, |p| &value[p..]);
    after
        .windows(5)
        .any(|w| w[0] == b';' && w[1..4].eq_ignore_ascii_case(b"tag") && w[4] == b'=')
        || after
            .windows(6)
            .any(|w| w[0] == b';' && w[1] == b' ' && w[2..5].eq_ignore_ascii_case(b"tag"))
}

/// A tag needs to be unique, not secret (RFC 3261 §19.3 asks for 32 bits of randomness):
/// the std hasher's random keys are enough.
pub(crate) fn random_u64() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BAD: &[u8] = b"INVITE sip:bob@127.0.0.1 SIP/2.0\r\n\
        v: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n\
        Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK0\r\n\
        f: <sip:alice@127.0.0.1>;tag=a\r\n\
        To: <sip:bob@127.0.0.1>\r\n\
        Call-ID: c1\r\n\
        CSeq: abc INVITE\r\n\
        X-Long: one\r\n two\r\n\
        Content-Length: 0\r\n\r\n";

    #[test]
    fn copies_headers_and_adds_a_to_tag() {
        let r = error_response(BAD, 400, "Bad Request", Some("Bad \"CSeq\"")).unwrap();
        let text = std::str::from_utf8(&r).unwrap();
        assert!(text.starts_with("SIP/2.0 400 Bad Request\r\n"), "{text}");
        let via_top = text.find("Via: SIP/2.0/UDP 127.0.0.1:5070").unwrap();
        let via_2 = text.find("Via: SIP/2.0/UDP 10.0.0.1").unwrap();
        assert!(via_top < via_2, "Via order kept");
        assert!(text.contains("From: <sip:alice@127.0.0.1>;tag=a\r\n"));
        assert!(text.contains("To: <sip:bob@127.0.0.1>;tag="));
        assert!(text.contains("Call-ID: c1\r\n"));
        assert!(text.contains("CSeq: abc INVITE\r\n"));
        assert!(text.contains("Warning: 399 sip-transport \"Bad 'CSeq'\"\r\n"));
        assert!(text.ends_with("Content-Length: 0\r\n\r\n"));
        assert!(!text.contains("two"));
        let parsed = sip_message::SipMessage::parse(r).unwrap();
        assert_eq!(parsed.status().map(|s| s.code()), Some(400));
    }

    #[test]
    fn existing_to_tag_is_kept() {
        let raw = b"BYE sip:b@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKx\r\nTo: <sip:b@h>;tag=zz\r\n\r\n";
        let r = error_response(raw, 400, "Bad Request", None).unwrap();
        let text = std::str::from_utf8(&r).unwrap();
        assert!(text.contains("To: <sip:b@h>;tag=zz\r\n"), "{text}");
        assert_eq!(text.matches("tag=").count(), 1);
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_answers_only_parsable_responses(
            raw in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
            prefix in proptest::prop_oneof![
                proptest::strategy::Just(&b""[..]),
                proptest::strategy::Just(&b"INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"[..]),
            ],
        ) {
            let mut input = prefix.to_vec();
            // Header lines with the copied names and arbitrary values.
            for (i, chunk) in raw.chunks(23).enumerate() {
                let name = ["From", "t", "Call-ID", "CSeq", "v", " ", "X"][i % 7];
                input.extend_from_slice(name.as_bytes());
                input.extend_from_slice(b": ");
                input.extend_from_slice(chunk);
                input.extend_from_slice(b"\r\n");
            }
            input.extend_from_slice(&raw);
            if let Some(r) = error_response(&input, 400, "Bad Request", Some("x")) {
                let m = sip_message::SipMessage::parse(r).unwrap();
                proptest::prop_assert_eq!(m.status().map(|s| s.code()), Some(400));
            }
        }
    }

    #[test]
    fn no_answer_without_request_line_or_via_or_for_ack() {
        assert!(
            error_response(
                b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n",
                400,
                "x",
                None
            )
            .is_none()
        );
        assert!(
            error_response(
                b"INVITE sip:a@b SIP/2.0\r\nTo: <sip:a@b>\r\n\r\n",
                400,
                "x",
                None
            )
            .is_none()
        );
        assert!(
            error_response(
                b"INVITE sip:a@b SIP/2.0\r\nVia: garbage\r\n\r\n",
                400,
                "x",
                None
            )
            .is_none()
        );
        assert!(
            error_response(
                b"ACK sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n",
                400,
                "x",
                None
            )
            .is_none()
        );
        assert!(error_response(b"\x00\x01garbage", 400, "x", None).is_none());
        assert!(error_response(b"", 400, "x", None).is_none());
    }
}
