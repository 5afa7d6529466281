//! RFC 4475 §3.1 torture tests. The messages are in `tests/torture/*.dat`, byte for byte as
//! the RFC defines them (written by `tests/torture/make_torture.py`).
//!
//! §3.1.1 (valid): each message parses, passes [`SipMessage::validate`], and the fields the
//! RFC describes are asserted. §3.1.2 (invalid): each is rejected, by the framing pass or by
//! `validate`, with an error naming the problem and its byte offset; where the RFC allows a
//! tolerant element to accept the message, the behaviour chosen is asserted and explained.

use bytes::Bytes;
use sip_message::{
    Contact, Error, Framing, HeaderName, Host, Method, ParseLimits, SipMessage, SipStatus,
    Transport, Uri, percent_decode,
};

fn load(name: &str) -> Bytes {
    let path = format!("{}/tests/torture/{name}.dat", env!("CARGO_MANIFEST_DIR"));
    Bytes::from(std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}")))
}

fn parse(name: &str) -> SipMessage {
    let m = SipMessage::parse(load(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    m.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
    m
}

fn sip_uri<'a>(u: &'a Uri<'a>) -> &'a sip_message::SipUri<'a> {
    u.as_sip().expect("a sip: URI")
}

// ---------------------------------------------------------------- 3.1.1 valid messages

#[test]
fn wsinv_short_tortuous_invite() {
    let m = parse("wsinv");
    assert_eq!(m.method(), Some(Method::Invite));
    let ruri = m.request_uri().unwrap().unwrap();
    let r = sip_uri(&ruri);
    assert_eq!(r.user.as_deref(), Some("vivekg"));
    assert_eq!(r.host, Host::Domain("chair-dnrc.example.com".into()));
    assert_eq!(r.params.get("unknownparam"), Some(None));

    let to = m.to().unwrap();
    assert_eq!(to.display_name, None);
    assert_eq!(to.tag(), Some("1918181833n"));
    assert_eq!(m.to_tag(), Some("1918181833n"));
    assert_eq!(sip_uri(&to.uri).user.as_deref(), Some("vivekg"));

    let from = m.from().unwrap();
    assert_eq!(from.display_name.as_deref(), Some("J Rosenberg \\\""));
    assert_eq!(from.tag(), Some("98asjd8"));
    assert_eq!(m.from_tag(), Some("98asjd8"));
    assert_eq!(sip_uri(&from.uri).host, Host::Domain("example.com".into()));

    assert_eq!(m.max_forwards().unwrap().unwrap(), 68);
    assert_eq!(m.call_id().unwrap(), "wsinv.ndaksdj@192.0.2.1");
    assert_eq!(m.content_length(), Some(150));
    let cseq = m.cseq().unwrap();
    assert_eq!((cseq.seq, cseq.method), (9, Method::Invite));

    // Three Vias: one folded field, then a compact `v:` field with two comma-separated values.
    let vias: Vec<_> = m.vias().map(Result::unwrap).collect();
    assert_eq!(vias.len(), 3);
    assert_eq!(vias[0].transport, Transport::Udp);
    assert_eq!(vias[0].host, Host::Ipv4("192.0.2.2".parse().unwrap()));
    assert_eq!(vias[0].branch(), Some("390skdjuw"));
    assert_eq!(vias[1].transport, Transport::Tcp);
    assert_eq!(vias[1].host, Host::Domain("spindle.example.com".into()));
    assert_eq!(vias[1].branch(), Some("z9hG4bK9ikj8"));
    assert_eq!(vias[2].host, Host::Ipv4("192.168.255.111".parse().unwrap()));
    assert_eq!(vias[2].branch(), Some("z9hG4bK30239"));

    // Empty Subject (compact `s`), unknown headers kept verbatim.
    assert_eq!(m.header(&HeaderName::Subject), Some(&b""[..]));
    let nf = m
        .headers()
        .find(|h| h.raw_name() == "NewFangledHeader")
        .unwrap();
    assert_eq!(
        nf.value_unfolded(),
        "newfangled value continued newfangled value"
    );
    assert!(matches!(nf.name(), HeaderName::Other(_)));
    let odd: HeaderName = "UnknownHeaderWithUnusualValue".parse().unwrap();
    assert_eq!(m.header(&odd), Some(&b";;,,;;,;"[..]));

    assert!(m.content_type().unwrap().unwrap().is("application", "sdp"));
    let route = m.routes().next().unwrap().unwrap();
    let ru = sip_uri(&route.uri);
    assert_eq!(ru.params.get("lr"), Some(None));
    assert_eq!(ru.params.value("unknownwith"), Some("value"));
    assert_eq!(ru.params.get("unknown-no-value"), Some(None));

    let contacts: Vec<_> = m.contacts().map(Result::unwrap).collect();
    assert_eq!(contacts.len(), 1);
    let c = contacts[0].address().unwrap();
    assert_eq!(c.display_name.as_deref(), Some("Quoted string \"\""));
    assert_eq!(c.params.value("newparam"), Some("newvalue"));
    assert_eq!(c.params.get("secondparam"), Some(None));
    assert_eq!(contacts[0].q(), Some(330));

    let sdp = m.sdp().unwrap().unwrap();
    assert_eq!(sdp.media.len(), 2);
    // `a=rtpmap:31 LPC` lacks the clock rate rtpmap requires: kept verbatim, and rtpmap()
    // falls back to the static RFC 3551 mapping of payload type 31.
    let a = sdp.media[1].attribute("rtpmap").unwrap();
    assert_eq!(a.value.as_deref(), Some("31 LPC"));
    assert_eq!(sdp.media[1].rtpmaps().count(), 0);
}

#[test]
fn intmeth_wide_range_of_valid_characters() {
    let m = parse("intmeth");
    let method = m.method().unwrap();
    assert!(matches!(method, Method::Extension(_)));
    assert_eq!(
        method.as_str(),
        "!interesting-Method0123456789_*+`.%indeed'~"
    );
    let ruri = m.request_uri().unwrap().unwrap();
    let r = sip_uri(&ruri);
    assert_eq!(
        r.user.as_deref(),
        Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
    );
    assert_eq!(
        r.password.as_deref(),
        Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
    );
    assert_eq!(m.via().unwrap().branch(), Some("z9hG4bK-.!%66*_+`'~"));
    // Quoted-pairs, including a quoted NUL.
    let to = m.to().unwrap();
    assert_eq!(
        to.display_name.as_deref(),
        Some("BEL:\x07 NUL:\x00 DEL:\x7f")
    );
    let from = m.from().unwrap();
    assert_eq!(
        from.display_name.as_deref(),
        Some("token1~` token2'+_ token3*%!.-")
    );
    assert_eq!(from.tag(), Some("_token~1'+`*%!-."));
    assert_eq!(from.params.value("fromParam''~+*_!.-%"), Some("работающий"));
    assert_eq!(
        m.call_id().unwrap(),
        "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"
    );
    let cseq = m.cseq().unwrap();
    assert_eq!(cseq.seq, 139122385);
    assert_eq!(cseq.method, method);
    assert_eq!(m.max_forwards().unwrap().unwrap(), 255);
    let ext = m
        .headers()
        .find(|h| h.raw_name().starts_with("extensionHeader"))
        .unwrap();
    assert_eq!(ext.raw_name(), "extensionHeader-!.%*+_`'~");
    assert_eq!(ext.value_str(), Some("\u{feff}大停電"));
}

#[test]
fn esc01_valid_percent_escaping() {
    let m = parse("esc01");
    let ruri = m.request_uri().unwrap().unwrap();
    let r = sip_uri(&ruri);
    // The escaped user part is not a sips: URI; it decodes to the text "sips:user@example.com".
    assert_eq!(r.user.as_deref(), Some("sips%3Auser%40example.com"));
    assert_eq!(
        &*percent_decode(r.user.as_deref().unwrap()),
        b"sips:user@example.com"
    );
    assert_eq!(r.host, Host::Domain("example.net".into()));
    let to = m.to().unwrap();
    assert_eq!(&*percent_decode(to.uri.user().unwrap()), b"user");
    let from = m.from().unwrap();
    assert_eq!(&*percent_decode(from.uri.user().unwrap()), b"I have spaces");
    assert_eq!(m.call_id().unwrap(), "esc01.239409asdfakjkn23onasd0-3234");
    assert!(m.has_sdp());
    let c = m.contact().unwrap().unwrap();
    let cu = sip_uri(c.uri().unwrap());
    assert_eq!(&*percent_decode(cu.user.as_deref().unwrap()), b"caller");
    let params: Vec<_> = cu.params.iter().collect();
    assert_eq!(
        params,
        vec![("%6C%72", None), ("n%61me", Some("v%61lue%25%34%31"))]
    );
    assert_eq!(&*percent_decode(params[0].0), b"lr");
    assert_eq!(&*percent_decode(params[1].1.unwrap()), b"value%41");
}

#[test]
fn escnull_escaped_nulls_in_uris() {
    let m = parse("escnull");
    assert_eq!(m.method(), Some(Method::Register));
    assert_eq!(
        &*percent_decode(m.to().unwrap().uri.user().unwrap()),
        b"null-\0-null"
    );
    assert_eq!(
        &*percent_decode(m.from().unwrap().uri.user().unwrap()),
        b"null-\0-null"
    );
    let users: Vec<Vec<u8>> = m
        .contacts()
        .map(|c| percent_decode(c.unwrap().uri().unwrap().user().unwrap()).into_owned())
        .collect();
    assert_eq!(users, vec![b"\0".to_vec(), b"\0\0".to_vec()]);
    assert_eq!(m.content_length(), Some(0));
}

#[test]
fn esc02_percent_that_is_not_an_escape() {
    let m = parse("esc02");
    // RE%47IST%45R is an unknown method, not REGISTER.
    let method = m.method().unwrap();
    assert_eq!(method.as_str(), "RE%47IST%45R");
    assert_ne!(method, Method::Register);
    assert_eq!(m.cseq().unwrap().method, method);
    assert_eq!(m.to().unwrap().display_name.as_deref(), Some("%Z%45"));
    assert_eq!(m.via().unwrap().branch(), Some("z9hG4bK209%fzsnel234"));
    // `C%6Fntact` is an extension header, not a third Contact.
    assert_eq!(m.contacts().count(), 2);
    let ext: HeaderName = "C%6Fntact".parse().unwrap();
    assert!(matches!(ext, HeaderName::Other(_)));
    assert_eq!(m.header_str(&ext), Some("<sip:alias2@host2.example.com>"));
}

#[test]
fn lwsdisp_no_lws_between_display_name_and_angle() {
    let m = parse("lwsdisp");
    let from = m.from().unwrap();
    assert_eq!(from.display_name.as_deref(), Some("caller"));
    assert_eq!(from.tag(), Some("323"));
}

#[test]
fn longreq_long_values() {
    let m = parse("longreq");
    let to = m.to().unwrap();
    assert_eq!(
        to.display_name.as_deref(),
        Some(format!("I have a user name of {} proportion", "extreme".repeat(10)).as_str())
    );
    let tu = sip_uri(&to.uri);
    assert_eq!(tu.port, Some(6000));
    assert_eq!(tu.params.len(), 3);
    assert_eq!(
        tu.params.value("unknownparam1"),
        Some(format!("very{}value", "long".repeat(20)).as_str())
    );
    let from = m.from().unwrap();
    assert_eq!(from.tag().map(str::len), Some(5 * 50 + 3));
    assert_eq!(m.vias().count(), 34);
    let last = m.vias().last().unwrap().unwrap();
    assert_eq!(last.received(), Some("192.0.2.5".parse().unwrap()));
    assert_eq!(
        last.branch(),
        Some(format!("very{}branchvalue", "long".repeat(50)).as_str())
    );
    assert!(m.call_id().unwrap().starts_with("longreq.one"));
    assert_eq!(m.content_length(), Some(150));
    assert_eq!(m.sdp().unwrap().unwrap().media.len(), 2);
}

#[test]
fn dblreq_extra_trailing_octets_are_ignored() {
    let data = load("dblreq");
    let m = parse("dblreq");
    assert_eq!(m.method(), Some(Method::Register));
    assert_eq!(
        m.call_id().unwrap(),
        "dblreq.0ha0isndaksdj99sdfafnl3lk233412"
    );
    assert!(m.body().is_empty());
    assert!(m.as_bytes().len() < data.len());
    assert!(!m.to_string().contains("INVITE"));
}

#[test]
fn semiuri_semicolons_in_user_part() {
    let m = parse("semiuri");
    let ruri = m.request_uri().unwrap().unwrap();
    let r = sip_uri(&ruri);
    assert_eq!(r.user.as_deref(), Some("user;par=u%40example.net"));
    assert_eq!(r.host, Host::Domain("example.com".into()));
    assert!(r.params.is_empty());
    // A folded, comma-separated Accept is one field.
    let accept = m.headers_named(&HeaderName::Accept).next().unwrap();
    assert!(
        accept
            .value_unfolded()
            .ends_with("message/sip, message/sipfrag")
    );
}

#[test]
fn transports_varied_and_unknown() {
    let m = parse("transports");
    let t: Vec<_> = m
        .vias()
        .map(|v| v.unwrap().transport.as_str().to_owned())
        .collect();
    assert_eq!(t, ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);
    assert_eq!(
        m.vias().nth(3).unwrap().unwrap().transport,
        Transport::Other("UNKNOWN".into())
    );
}

#[test]
fn mpart01_multipart_body_kept_as_bytes() {
    let m = parse("mpart01");
    assert_eq!(m.method(), Some(Method::Message));
    let ct = m.content_type().unwrap().unwrap();
    assert!(ct.is("multipart", "mixed"));
    assert_eq!(ct.params.value("boundary"), Some("7a9cbec02ceef655"));
    assert_eq!(m.body().len(), 553);
    assert!(m.body().contains(&0), "binary S/MIME part with NUL bytes");
    assert!(m.sdp().is_none());
}

#[test]
fn unreason_unusual_reason_phrase() {
    let m = parse("unreason");
    assert_eq!(m.status(), Some(SipStatus::OK));
    assert_eq!(
        m.reason().as_deref(),
        Some("= 2**3 * 5**2 но сто девяносто девять - простое")
    );
    assert_eq!(m.sdp().unwrap().unwrap().origin.address, "192.0.2.198");
}

#[test]
fn noreason_empty_reason_phrase() {
    let m = parse("noreason");
    assert_eq!(m.status(), Some(SipStatus::TRYING));
    assert_eq!(m.reason().as_deref(), Some(""));
    assert_eq!(m.to_tag(), Some("902jndnke3"));
}

// ---------------------------------------------------------------- 3.1.2 invalid messages

/// The error from framing or, if framing accepts the message, from `validate`.
fn reject(name: &str) -> Error {
    match SipMessage::parse(load(name)) {
        Err(e) => e,
        Ok(m) => m.validate().expect_err(name),
    }
}

fn syntax(e: &Error) -> (&'static str, usize, &'static str) {
    match *e {
        Error::Syntax {
            context,
            offset,
            expected,
        } => (context, offset, expected),
        ref other => panic!("expected a syntax error, got {other:?}"),
    }
}

/// Offset of `needle` in the message `name`.
fn at(name: &str, needle: &str) -> usize {
    let data = load(name);
    data.windows(needle.len())
        .position(|w| w == needle.as_bytes())
        .unwrap()
}

#[test]
fn badinv01_extraneous_separators() {
    let e = reject("badinv01");
    let (ctx, off, _) = syntax(&e);
    assert_eq!(ctx, "Via header");
    assert_eq!(off, at("badinv01", ";;,;,,") + 1);
    // The Contact is broken the same way.
    let m = SipMessage::parse(load("badinv01")).unwrap();
    assert!(m.contact().unwrap().is_err());
}

#[test]
fn clerr_content_length_larger_than_message() {
    let e = reject("clerr");
    assert!(
        matches!(e, Error::BodyTooShort { declared: 9999, available, .. } if available < 9999),
        "{e}"
    );
    assert_eq!(e.offset(), Some(at("clerr", "v=0")));
}

#[test]
fn ncl_negative_content_length() {
    let (ctx, off, _) = syntax(&reject("ncl"));
    assert_eq!((ctx, off), ("Content-Length header", at("ncl", "-999")));
}

#[test]
fn scalar02_overlarge_request_values() {
    let e = reject("scalar02");
    let (ctx, off, expected) = syntax(&e);
    assert_eq!(
        (ctx, off),
        ("CSeq header", at("scalar02", "36893488147419103232"))
    );
    assert!(expected.contains("2**32"), "{expected}");
    // Each other overlarge value is reported by its own accessor; the Contact expires
    // parameter falls back to "absent" (the default applies), as the RFC suggests.
    let m = SipMessage::parse(load("scalar02")).unwrap();
    assert!(m.max_forwards().unwrap().is_err());
    assert!(m.expires().unwrap().is_err());
    assert_eq!(m.contact().unwrap().unwrap().expires(), None);
}

#[test]
fn scalarlg_overlarge_response_values() {
    let (ctx, off, _) = syntax(&reject("scalarlg"));
    assert_eq!(
        (ctx, off),
        ("CSeq header", at("scalarlg", "9292394834772304023312"))
    );
}

#[test]
fn quotbal_unterminated_quoted_string() {
    let (ctx, off, expected) = syntax(&reject("quotbal"));
    assert_eq!(ctx, "To header");
    assert_eq!(off, at("quotbal", "\"Mr. J. User"));
    assert!(expected.contains("closing"), "{expected}");
}

#[test]
fn ltgtruri_angle_brackets_around_request_uri() {
    let (ctx, off, _) = syntax(&reject("ltgtruri"));
    assert_eq!((ctx, off), ("request line", at("ltgtruri", "<sip:")));
}

#[test]
fn lwsruri_embedded_lws_in_request_uri() {
    let (ctx, off, _) = syntax(&reject("lwsruri"));
    assert_eq!((ctx, off), ("request line", at("lwsruri", "lr SIP/2.0")));
}

#[test]
fn lwsstart_multiple_spaces_in_request_line() {
    let (ctx, off, _) = syntax(&reject("lwsstart"));
    assert_eq!((ctx, off), ("request line", 7));
}

#[test]
fn trws_trailing_spaces_in_request_line() {
    let (ctx, off, expected) = syntax(&reject("trws"));
    assert_eq!((ctx, off), ("request line", at("trws", "SIP/2.0  ")));
    assert!(expected.contains("SIP/2.0"));
}

#[test]
fn escruri_headers_in_request_uri() {
    let (ctx, off, expected) = syntax(&reject("escruri"));
    assert_eq!((ctx, off), ("Request-URI", at("escruri", "?Route")));
    assert!(expected.contains("URI headers"));
}

#[test]
fn baddate_non_gmt_date_is_tolerated() {
    // RFC 4475 §3.1.2.12 allows an element to be liberal with a bad Date. This crate does not
    // interpret Date (no UA behaviour depends on it), so the message is accepted and the
    // value is available verbatim.
    let m = parse("baddate");
    assert_eq!(
        m.header_str(&HeaderName::Date),
        Some("Fri, 01 Jan 2010 16:00:00 EST")
    );
}

#[test]
fn regbadct_uri_with_headers_outside_angle_brackets() {
    let (ctx, off, expected) = syntax(&reject("regbadct"));
    assert_eq!((ctx, off), ("Contact header", at("regbadct", "?Route")));
    assert!(expected.contains("<>"), "{expected}");
}

#[test]
fn badaspec_spaces_inside_angle_brackets() {
    // §3.1.2.14: a tolerant element may ignore the spaces; this parser is strict.
    let (ctx, off, _) = syntax(&reject("badaspec"));
    assert_eq!((ctx, off), ("URI", at("badaspec", " sip:t.watson")));
}

#[test]
fn baddn_unquoted_display_name_with_comma() {
    let (ctx, off, expected) = syntax(&reject("baddn"));
    assert_eq!(ctx, "To header");
    assert_eq!(off, at("baddn", ", Thomas"));
    assert!(expected.contains("quote"), "{expected}");
}

#[test]
fn badvers_unknown_protocol_version() {
    let e = reject("badvers");
    assert_eq!(
        e,
        Error::UnsupportedVersion {
            offset: at("badvers", "SIP/7.0")
        }
    );
}

#[test]
fn mismatch01_cseq_method_differs() {
    assert_eq!(
        reject("mismatch01"),
        Error::MethodMismatch {
            offset: at("mismatch01", "8 INVITE")
        }
    );
}

#[test]
fn mismatch02_unknown_method_cseq_differs() {
    assert_eq!(
        reject("mismatch02"),
        Error::MethodMismatch {
            offset: at("mismatch02", "8 INVITE")
        }
    );
}

#[test]
fn bigcode_overlarge_status_code() {
    let (ctx, off, expected) = syntax(&reject("bigcode"));
    assert_eq!((ctx, off), ("status line", at("bigcode", "4294967301")));
    assert!(expected.contains("3-digit"));
}

// ---------------------------------------------------------------- every message, every mode

#[test]
fn every_prefix_of_every_torture_message_is_handled_without_panic() {
    let names = std::fs::read_dir(format!("{}/tests/torture", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "dat").then(|| p.file_stem().unwrap().to_str().unwrap().to_owned())
        })
        .collect::<Vec<_>>();
    assert_eq!(names.len(), 32);
    let limits = ParseLimits::default();
    for name in names {
        let data = load(&name);
        for cut in 0..=data.len() {
            let part = data.slice(..cut);
            let _ = sip_message::message_length(&part, &limits);
            if let Ok(m) = SipMessage::parse_with(part, &limits, Framing::Datagram) {
                let _ = m.validate();
                let _ = m.summary();
                let _ = m.contacts().count();
                if let Some(Ok(Contact::Address(_))) = m.contact() {}
            }
        }
    }
}

#[test]
fn fuzz_regression_extension_method_in_header_field_parse() {
    // `HeaderField::parse` on a CSeq with an extension method used to slice the wrong buffer.
    let m = SipMessage::parse(load("esc02")).unwrap();
    let cseq = m.headers().find(|h| h.name() == HeaderName::CSeq).unwrap();
    match cseq.parse() {
        Some(Ok(sip_message::TypedHeader::CSeq(c))) => {
            assert_eq!(c.method.as_str(), "RE%47IST%45R")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn responses_copy_record_route_only_when_they_create_dialogs() {
    let req = SipMessage::parse(Bytes::from_static(
        b"INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1\r\n\
          Record-Route: <sip:127.0.0.2;lr>\r\nRecord-Route: <sip:127.0.0.3;lr>\r\n\
          From: <sip:a@127.0.0.1>;tag=f\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: rr\r\n\
          CSeq: 1 INVITE\r\nTimestamp: 54\r\nContent-Length: 0\r\n\r\n",
    ))
    .unwrap();
    let ok = req.response(SipStatus::OK).to_tag("t").build().unwrap();
    let rr: Vec<String> = ok
        .record_routes()
        .map(|r| r.unwrap().uri.to_string())
        .collect();
    assert_eq!(rr, ["sip:127.0.0.2;lr", "sip:127.0.0.3;lr"]);
    assert_eq!(ok.header_str(&HeaderName::Timestamp), None);
    let trying = req.response(SipStatus::TRYING).build().unwrap();
    assert_eq!(trying.record_routes().count(), 0);
    assert_eq!(trying.header_str(&HeaderName::Timestamp), Some("54"));
    assert_eq!(trying.to_tag(), None);
    let busy = req
        .response(SipStatus::BUSY_HERE)
        .to_tag("t")
        .build()
        .unwrap();
    assert_eq!(busy.record_routes().count(), 0);
    assert_eq!(busy.reason().as_deref(), Some("Busy Here"));
    let custom = req
        .response(SipStatus::BUSY_HERE)
        .reason("Gone Fishing")
        .build()
        .unwrap();
    assert_eq!(custom.reason().as_deref(), Some("Gone Fishing"));
    assert_eq!(custom.call_id().unwrap(), "rr");
    assert!(
        req.response(SipStatus::OK)
            .reason("bad\r\nX: y")
            .build()
            .is_err()
    );
    assert!(
        req.response(SipStatus::OK)
            .header(&HeaderName::Subject, "a\r\nb")
            .build()
            .is_err()
    );
}
