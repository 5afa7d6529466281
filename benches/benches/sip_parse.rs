//! SIP message parsing: `sip-message` against `rsipstack` (its `sip` module), `rsip` 0.4 and
//! `ezk-sip-types` 0.6, side by side in the same run, on six realistic messages.
//!
//! Each parser turns the datagram into its message structure and then the fields a UA
//! needs are read from it:
//! - `basic`: top Via branch, From tag, To tag, Call-ID, CSeq number;
//! - `full`: `basic` plus the Contact URI, the auth parameters (realm, nonce) and, for
//!   `sip-message` only, the SDP connection address and media ports, read through the
//!   allocation-free `SipMessage::sdp_view` (the other crates have no SDP parser, so their
//!   `full` figure does less work).
//!
//! `cargo bench -p voip-benches --bench sip_parse`; results in `docs/benchmarks.md`.

use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group};

const SDP_OFFER: &str = "v=0\r\n\
o=alice 2890844526 2890844526 IN IP4 10.0.0.12\r\n\
s=-\r\n\
c=IN IP4 10.0.0.12\r\n\
t=0 0\r\n\
m=audio 49170 RTP/AVP 0 8 101\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\n\
a=ptime:20\r\n\
a=sendrecv\r\n";

const SDP_ANSWER: &str = "v=0\r\n\
o=bob 2808844564 2808844564 IN IP4 192.0.2.4\r\n\
s=-\r\n\
c=IN IP4 192.0.2.4\r\n\
t=0 0\r\n\
m=audio 3456 RTP/AVP 0 101\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\n\
a=ptime:20\r\n\
a=sendrecv\r\n";

fn with_body(head: &str, content_type: Option<&str>, body: &str) -> Bytes {
    let mut s = head.replace('\n', "\r\n");
    if let Some(ct) = content_type {
        s.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    s.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    Bytes::from(s)
}

fn messages() -> Vec<(&'static str, Bytes)> {
    vec![
        (
            "invite_sdp",
            with_body(
                "INVITE sip:bob@192.0.2.4:5060;transport=udp SIP/2.0
Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK2d4790.1;received=192.0.2.20;rport=5060
Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bK87asdks7;received=198.51.100.10;rport=5060
Via: SIP/2.0/UDP 10.0.0.12:5062;branch=z9hG4bK776asdhds;rport=5062
Record-Route: <sip:192.0.2.20;lr;ftag=1928301774>
Record-Route: <sip:198.51.100.10;lr>
Max-Forwards: 68
From: \"Alice Liddell\" <sip:alice@atlanta.example.com>;tag=1928301774
To: \"Bob\" <sip:bob@biloxi.example.com>
Call-ID: a84b4c76e66710@pc33.atlanta.example.com
CSeq: 314159 INVITE
Contact: <sip:alice@10.0.0.12:5062;transport=udp>
Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REFER, NOTIFY, INFO
Supported: replaces, timer
User-Agent: voip-rs/0.1
",
                Some("application/sdp"),
                SDP_OFFER,
            ),
        ),
        (
            "ok_sdp",
            with_body(
                "SIP/2.0 200 OK
Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK2d4790.1;received=192.0.2.20;rport=5060
Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bK87asdks7;received=198.51.100.10;rport=5060
Via: SIP/2.0/UDP 10.0.0.12:5062;branch=z9hG4bK776asdhds;rport=5062
Record-Route: <sip:192.0.2.20;lr;ftag=1928301774>
Record-Route: <sip:198.51.100.10;lr>
From: \"Alice Liddell\" <sip:alice@atlanta.example.com>;tag=1928301774
To: \"Bob\" <sip:bob@biloxi.example.com>;tag=a6c85cf
Call-ID: a84b4c76e66710@pc33.atlanta.example.com
CSeq: 314159 INVITE
Contact: <sip:bob@192.0.2.4:5060>
Allow: INVITE, ACK, CANCEL, BYE, OPTIONS
Server: voip-rs/0.1
",
                Some("application/sdp"),
                SDP_ANSWER,
            ),
        ),
        (
            "register_auth",
            with_body(
                "REGISTER sip:registrar.biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP 10.0.0.30:5060;branch=z9hG4bKnashds8;rport
Max-Forwards: 70
From: Bob <sip:bob@biloxi.example.com>;tag=a73kszlfl
To: Bob <sip:bob@biloxi.example.com>
Call-ID: 1j9FpLxk3uxtm8tn@10.0.0.30
CSeq: 2 REGISTER
Contact: <sip:bob@10.0.0.30:5060;transport=udp>;expires=3600
Authorization: Digest username=\"bob\", realm=\"biloxi.example.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"sip:registrar.biloxi.example.com\", response=\"245f23415f11432b3434341c022\", algorithm=MD5, cnonce=\"0a4f113b\", qop=auth, nc=00000001, opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"
User-Agent: voip-rs/0.1
",
                None,
                "",
            ),
        ),
        (
            "unauthorized",
            with_body(
                "SIP/2.0 401 Unauthorized
Via: SIP/2.0/UDP 10.0.0.30:5060;branch=z9hG4bKnashds7;received=192.0.2.201;rport=5060
From: Bob <sip:bob@biloxi.example.com>;tag=a73kszlfl
To: Bob <sip:bob@biloxi.example.com>;tag=1410948204
Call-ID: 1j9FpLxk3uxtm8tn@10.0.0.30
CSeq: 1 REGISTER
WWW-Authenticate: Digest realm=\"biloxi.example.com\", qop=\"auth\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\", algorithm=MD5, stale=FALSE
Server: voip-rs/0.1
",
                None,
                "",
            ),
        ),
        (
            "bye",
            with_body(
                "BYE sip:alice@10.0.0.12:5062;transport=udp SIP/2.0
Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bKnashds10;rport
Route: <sip:198.51.100.10;lr>
Route: <sip:192.0.2.20;lr;ftag=1928301774>
Max-Forwards: 70
From: \"Bob\" <sip:bob@biloxi.example.com>;tag=a6c85cf
To: \"Alice Liddell\" <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710@pc33.atlanta.example.com
CSeq: 231 BYE
",
                None,
                "",
            ),
        ),
        (
            "trying",
            with_body(
                "SIP/2.0 100 Trying
Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK2d4790.1;received=192.0.2.20;rport=5060
Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bK87asdks7;received=198.51.100.10;rport=5060
Via: SIP/2.0/UDP 10.0.0.12:5062;branch=z9hG4bK776asdhds;rport=5062
From: \"Alice Liddell\" <sip:alice@atlanta.example.com>;tag=1928301774
To: \"Bob\" <sip:bob@biloxi.example.com>
Call-ID: a84b4c76e66710@pc33.atlanta.example.com
CSeq: 314159 INVITE
",
                None,
                "",
            ),
        ),
    ]
}

/// What every parser returns: lengths and numbers of what it read, so nothing is elided.
type Digest = usize;

/// One parser under test: message, `full` variant -> digest.
type ParseFn = fn(&Bytes, bool) -> Digest;

fn ours(b: &Bytes, full: bool) -> Digest {
    ours_with(b, full, full)
}

/// `full` without the SDP: the same work the other crates do in `full` (count mode only).
fn ours_no_sdp(b: &Bytes, full: bool) -> Digest {
    ours_with(b, full, false)
}

fn ours_with(b: &Bytes, full: bool, read_sdp: bool) -> Digest {
    let m = sip_message::SipMessage::parse(b.clone()).unwrap();
    let via = m.via().unwrap();
    let mut d = via.branch().unwrap().len()
        + m.from_tag().map_or(0, str::len)
        + m.to_tag().map_or(0, str::len)
        + m.call_id().unwrap().len()
        + m.cseq().unwrap().seq as usize;
    if full {
        if let Some(c) = m.contact() {
            d += c.unwrap().uri().unwrap().user().map_or(0, str::len);
        }
        for a in m.authorization().chain(m.www_authenticate()) {
            let a = a.unwrap();
            d += a.realm().unwrap().len() + a.nonce().unwrap().len();
        }
        if let Some(sdp) = read_sdp.then(|| m.sdp_view()).flatten() {
            let sdp = sdp.unwrap();
            for media in sdp.media() {
                d += usize::from(media.port());
                d += sdp.connection_for(&media).unwrap().unwrap().ip().is_some() as usize;
            }
        }
    }
    d
}

fn rsipstack_parse(b: &Bytes, full: bool) -> Digest {
    use rsipstack::sip::prelude::*;
    let m = rsipstack::sip::SipMessage::try_from(b.clone()).unwrap();
    let headers = match &m {
        rsipstack::sip::SipMessage::Request(r) => r.headers(),
        rsipstack::sip::SipMessage::Response(r) => r.headers(),
    };
    let _ = headers;
    let (via, from, to, call_id, cseq) = match &m {
        rsipstack::sip::SipMessage::Request(r) => (
            r.via_header().unwrap().typed().unwrap(),
            r.from_header().unwrap().tag().unwrap(),
            r.to_header().unwrap().tag().unwrap(),
            r.call_id_header().unwrap().value().len(),
            r.cseq_header().unwrap().seq().unwrap(),
        ),
        rsipstack::sip::SipMessage::Response(r) => (
            r.via_header().unwrap().typed().unwrap(),
            r.from_header().unwrap().tag().unwrap(),
            r.to_header().unwrap().tag().unwrap(),
            r.call_id_header().unwrap().value().len(),
            r.cseq_header().unwrap().seq().unwrap(),
        ),
    };
    let mut d = via.branch().map_or(0, |b| b.to_string().len())
        + from.map_or(0, |t| t.value().len())
        + to.map_or(0, |t| t.value().len())
        + call_id
        + cseq as usize;
    if full {
        let (contact, authz, www) = match &m {
            rsipstack::sip::SipMessage::Request(r) => (
                r.contact_header().ok().map(|c| c.typed().unwrap()),
                r.authorization_header()
                    .map(|a| rsipstack::sip::typed::Authorization::parse(a.value()).unwrap()),
                None,
            ),
            rsipstack::sip::SipMessage::Response(r) => (
                r.contact_header().ok().map(|c| c.typed().unwrap()),
                None,
                r.www_authenticate_header()
                    .map(|a| rsipstack::sip::typed::WwwAuthenticate::parse(a.value()).unwrap()),
            ),
        };
        if let Some(c) = contact {
            d += c.uri.user().map_or(0, str::len);
        }
        if let Some(a) = authz {
            d += a.realm.len() + a.nonce.len();
        }
        if let Some(w) = www {
            d += w.realm.len() + w.nonce.len();
        }
    }
    d
}

fn rsip_parse(b: &Bytes, full: bool) -> Digest {
    use rsip::prelude::*;
    let m = rsip::SipMessage::try_from(b.as_ref()).unwrap();
    let via = m.via_header().unwrap().typed().unwrap();
    let mut d = via.branch().map_or(0, |b| b.to_string().len())
        + m.from_header()
            .unwrap()
            .tag()
            .unwrap()
            .map_or(0, |t| t.value().len())
        + m.to_header()
            .unwrap()
            .tag()
            .unwrap()
            .map_or(0, |t| t.value().len())
        + m.call_id_header().unwrap().value().len()
        + m.cseq_header().unwrap().seq().unwrap() as usize;
    if full {
        if let Ok(c) = m.contact_header() {
            d += c.typed().unwrap().uri.user().map_or(0, str::len);
        }
        for h in m.headers().iter() {
            match h {
                rsip::Header::Authorization(a) => {
                    let a = a.typed().unwrap();
                    d += a.realm.len() + a.nonce.len();
                }
                rsip::Header::WwwAuthenticate(a) => {
                    let a = a.typed().unwrap();
                    d += a.realm.len() + a.nonce.len();
                }
                _ => {}
            }
        }
    }
    d
}

fn ezk_parse(b: &Bytes, full: bool) -> Digest {
    use ezk_sip_types::Name;
    use ezk_sip_types::header::typed::{CSeq, CallID, Contact, FromTo, Via};
    use ezk_sip_types::msg::{Line, MessageLine, PullParser};
    use ezk_sip_types::parse::Parse;

    let mut parser = PullParser::new(b, 0);
    let first = parser.next().unwrap().unwrap();
    let (_, line) = MessageLine::parse(b)(std::str::from_utf8(first).unwrap()).unwrap();
    let mut headers = ezk_sip_types::Headers::with_capacity(16);
    for l in &mut parser {
        let l = l.unwrap();
        let (_, line) = Line::parse(b, std::str::from_utf8(l).unwrap()).unwrap();
        headers.insert(line.name, line.value);
    }
    let body = b.slice(parser.head_end()..);
    let via: Via = headers.get_named().unwrap();
    let from: FromTo = headers.get(Name::FROM).unwrap();
    let to: FromTo = headers.get(Name::TO).unwrap();
    let call_id: CallID = headers.get_named().unwrap();
    let cseq: CSeq = headers.get_named().unwrap();
    let mut d = via.params.get_val("branch").map_or(0, |b| b.len())
        + from.tag.map_or(0, |t| t.len())
        + to.tag.map_or(0, |t| t.len())
        + call_id.0.len()
        + cseq.cseq as usize
        + body.len()
        + line.is_request() as usize;
    if full {
        if let Some(Ok(c)) = headers.try_get_named::<Contact>()
            && let ezk_sip_types::uri::SipUriUserPart::User(u) = &c.uri.uri.user_part
        {
            d += u.len();
        }
        use ezk_sip_types::header::typed::{AuthChallenge, AuthResponse};
        if headers.contains(&Name::AUTHORIZATION) {
            let a: AuthResponse = headers.get(Name::AUTHORIZATION).unwrap();
            d += matches!(a, AuthResponse::Digest(_)) as usize;
        }
        if headers.contains(&Name::WWW_AUTHENTICATE) {
            let a: Vec<AuthChallenge> = headers.get(Name::WWW_AUTHENTICATE).unwrap();
            d += a.len();
        }
    }
    d
}

fn bench(c: &mut Criterion) {
    let parsers: [(&str, ParseFn); 4] = [
        ("sip-message", ours),
        ("rsipstack", rsipstack_parse),
        ("rsip", rsip_parse),
        ("ezk-sip-types", ezk_parse),
    ];
    for (name, msg) in messages() {
        // Every parser must agree that the message is valid before it is timed.
        for (p, f) in parsers {
            assert!(f(&msg, true) > 0, "{p} on {name}");
        }
        for variant in ["basic", "full"] {
            let full = variant == "full";
            let mut g = c.benchmark_group(format!("sip_parse/{name}/{variant}"));
            g.throughput(Throughput::Bytes(msg.len() as u64));
            for (p, f) in parsers {
                g.bench_function(p, |bch| bch.iter(|| f(black_box(&msg), full)));
            }
            g.finish();
        }
    }
}

criterion_group!(benches, bench);

/// Instruction-count mode, for a load-independent comparison on a shared machine:
/// `SIP_PARSE_COUNT=<parser>/<message>/<basic|full>/<iterations>` runs one parser that many
/// times and exits; run it under `valgrind --tool=callgrind` with 0 and N iterations and
/// divide the difference by N (see docs/benchmarks.md).
fn count_mode(spec: &str) {
    let parts: Vec<&str> = spec.split('/').collect();
    let [parser, message, variant, iters] = parts[..] else {
        panic!("SIP_PARSE_COUNT=<parser>/<message>/<basic|full>/<iterations>");
    };
    let f: ParseFn = match parser {
        "sip-message" => ours,
        "sip-message-no-sdp" => ours_no_sdp,
        "rsipstack" => rsipstack_parse,
        "rsip" => rsip_parse,
        "ezk-sip-types" => ezk_parse,
        other => panic!("unknown parser {other}"),
    };
    let msg = messages()
        .into_iter()
        .find(|(n, _)| *n == message)
        .expect("unknown message")
        .1;
    let full = variant == "full";
    let mut acc = 0;
    for _ in 0..iters.parse::<u32>().unwrap() {
        acc += f(black_box(&msg), full);
    }
    black_box(acc);
}

fn main() {
    if let Ok(spec) = std::env::var("SIP_PARSE_COUNT") {
        count_mode(&spec);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
