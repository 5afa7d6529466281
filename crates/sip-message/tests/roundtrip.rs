//! Property tests: build from typed parts -> serialize -> parse gives the same typed parts,
//! for URIs, whole requests and responses, and SDP.

use proptest::prelude::*;
use sip_message::sdp::{Direction, Media, SdpView, SessionDescription};
use sip_message::{
    Bytes, Contact, HeaderName, Host, Method, NameAddr, RequestBuilder, SipMessage, SipStatus,
    SipUri, Transport, Uri, Via,
};
use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9.!%*_+`'~-]{0,11}"
}

fn host() -> impl Strategy<Value = Host<'static>> {
    prop_oneof![
        "[a-z][a-z0-9-]{0,8}(\\.[a-z][a-z0-9-]{0,8}){0,2}".prop_map(|d| Host::Domain(d.into())),
        any::<u32>().prop_map(|a| Host::Ipv4(Ipv4Addr::from(a))),
        any::<u128>().prop_map(|a| Host::Ipv6(Ipv6Addr::from(a))),
    ]
}

/// User parts with the characters pyVoIP choked on (`-`, `.`) and escapes.
fn user() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9][a-zA-Z0-9._~!*'()&=+$,?/-]{0,10}(%[0-9A-F]{2})?"
}

fn sip_uri() -> impl Strategy<Value = SipUri<'static>> {
    (
        any::<bool>(),
        proptest::option::of(user()),
        host(),
        proptest::option::of(any::<u16>()),
        proptest::collection::vec(
            (
                "[a-z][a-z0-9-]{0,6}",
                proptest::option::of("([a-zA-Z0-9._-]|%[0-9A-F]{2}){1,8}"),
            ),
            0..3,
        ),
    )
        .prop_map(|(secure, user, host, port, params)| {
            let mut u = SipUri::new(host);
            u.secure = secure;
            u.user = user.map(Cow::Owned);
            u.port = port;
            for (n, v) in params {
                u = u.with_param(&n, v.as_deref()).unwrap();
            }
            u
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn uri_round_trips(u in sip_uri()) {
        let uri = Uri::Sip(u);
        let text = uri.to_string();
        let back = Uri::parse(&text).unwrap();
        prop_assert_eq!(back, uri);
    }

    #[test]
    fn name_addr_round_trips(
        u in sip_uri(),
        display in proptest::option::of("[ -~]{0,16}|[а-я ]{1,8}"),
        tag in proptest::option::of(token()),
    ) {
        let mut a = NameAddr::new(Uri::Sip(u));
        a.display_name = display.map(Cow::Owned);
        if let Some(t) = &tag {
            a = a.with_param("tag", Some(t)).unwrap();
        }
        let text = a.to_string();
        let back = NameAddr::parse(&text).unwrap();
        prop_assert_eq!(&back.uri, &a.uri);
        prop_assert_eq!(&back.display_name, &a.display_name);
        prop_assert_eq!(back.tag(), tag.as_deref());
    }

    #[test]
    fn request_build_serialize_parse(
        method in prop_oneof![
            Just(Method::Invite), Just(Method::Register), Just(Method::Options),
            Just(Method::Bye), Just(Method::Message), Just(Method::Refer),
            "[A-Z][A-Z!.-]{2,8}".prop_map(|m| m.parse::<Method>().unwrap()),
        ],
        ruri in sip_uri(),
        vias in proptest::collection::vec(
            (host(), proptest::option::of(1u16..), "[a-zA-Z0-9]{1,12}", any::<bool>()), 1..4),
        from in sip_uri(),
        from_name in proptest::option::of("[a-zA-Z \"\\\\]{1,12}"),
        from_tag in token(),
        to in sip_uri(),
        call_id in "[a-zA-Z0-9.!%*_+`'~()<>:\"/?{}-]{1,20}(@[a-z0-9.]{1,10})?",
        seq in 0u32..(1 << 31),
        max_forwards in any::<u8>(),
        contact in proptest::option::of(sip_uri()),
        extra in proptest::collection::vec(("X-[A-Za-z0-9-]{1,10}", "[ -~]{0,30}"), 0..4),
        body in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64)),
    ) {
        let mut b = RequestBuilder::new(method.clone(), &Uri::Sip(ruri.clone()));
        let mut built_vias = Vec::new();
        for (h, port, branch, rport) in &vias {
            let mut v = Via::new(Transport::Udp, h.clone(), *port, &format!("z9hG4bK{branch}")).unwrap();
            if *rport {
                v.params.push("rport", None).unwrap();
            }
            b = b.via(&v);
            built_vias.push(v);
        }
        let mut from_addr = NameAddr::new(Uri::Sip(from)).with_param("tag", Some(&from_tag)).unwrap();
        from_addr.display_name = from_name.map(Cow::Owned);
        let to_addr = NameAddr::new(Uri::Sip(to));
        b = b.from(&from_addr).to(&to_addr).call_id(&call_id).cseq(seq).max_forwards(max_forwards);
        if let Some(c) = &contact {
            b = b.contact(&Contact::Address(NameAddr::new(Uri::Sip(c.clone()))));
        }
        // Values are trimmed on the wire (leading/trailing whitespace is not part of a value).
        // Repeated names are allowed; the check below compares every value of each name.
        for (n, v) in &extra {
            b = b.header(&n.parse::<HeaderName>().unwrap(), v.trim());
        }
        if let Some(body) = &body {
            b = b.body("application/octet-stream", Bytes::from(body.clone()));
        }
        let built = b.build().unwrap();
        // Parse the serialized bytes afresh, as a receiver would.
        let m = SipMessage::parse(Bytes::copy_from_slice(built.as_bytes())).unwrap();
        if std::str::from_utf8(built.as_bytes()).is_ok() {
            let shown = built.to_string();
            prop_assert_eq!(shown.as_bytes(), built.as_bytes());
        }
        prop_assert!(m.validate().is_ok());
        prop_assert_eq!(m.method(), Some(method.clone()));
        prop_assert_eq!(m.request_uri().unwrap().unwrap(), Uri::Sip(ruri));
        let got: Vec<_> = m.vias().map(Result::unwrap).collect();
        prop_assert_eq!(got.len(), built_vias.len());
        for (g, w) in got.iter().zip(&built_vias) {
            prop_assert_eq!(&g.host, &w.host);
            prop_assert_eq!(g.port, w.port);
            prop_assert_eq!(g.branch(), w.branch());
            prop_assert_eq!(g.rport(), w.rport());
        }
        let f = m.from().unwrap();
        prop_assert_eq!(&f.uri, &from_addr.uri);
        prop_assert_eq!(&f.display_name, &from_addr.display_name);
        prop_assert_eq!(m.from_tag(), Some(from_tag.as_str()));
        prop_assert_eq!(m.to().unwrap().uri, to_addr.uri);
        prop_assert_eq!(m.to_tag(), None);
        prop_assert_eq!(m.call_id().unwrap(), call_id.as_str());
        let cseq = m.cseq().unwrap();
        prop_assert_eq!((cseq.seq, cseq.method), (seq, method));
        prop_assert_eq!(m.max_forwards().unwrap().unwrap(), max_forwards);
        prop_assert_eq!(m.contact().map(|c| c.unwrap().uri().unwrap().clone().into_owned()),
            contact.map(Uri::Sip));
        for (n, _) in &extra {
            let name: HeaderName = n.parse().unwrap();
            let got: Vec<_> = m.headers_named(&name).map(|h| h.value_str().unwrap()).collect();
            let want: Vec<_> = extra
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.trim())
                .collect();
            prop_assert_eq!(got, want);
        }
        prop_assert_eq!(m.body(), body.as_deref().unwrap_or_default());
        prop_assert_eq!(m.content_length(), Some(m.body().len()));

        // The response copies the dialog and transaction identifiers (RFC 3261 §8.2.6).
        let r = m.response(SipStatus::OK).to_tag("srv1").build().unwrap();
        let r = SipMessage::parse(r.to_bytes()).unwrap();
        prop_assert!(r.validate().is_ok());
        prop_assert_eq!(r.status(), Some(SipStatus::OK));
        prop_assert_eq!(r.to_tag(), Some("srv1"));
        prop_assert_eq!(r.from_tag(), m.from_tag());
        prop_assert_eq!(r.call_id().unwrap(), m.call_id().unwrap());
        prop_assert_eq!(r.cseq().unwrap(), m.cseq().unwrap());
        prop_assert_eq!(r.vias().count(), m.vias().count());
        let (rv, mv) = (r.via().unwrap(), m.via().unwrap());
        prop_assert_eq!(rv.branch(), mv.branch());
    }

    #[test]
    fn sdp_round_trips(
        ip in prop_oneof![
            any::<u32>().prop_map(|a| IpAddr::V4(Ipv4Addr::from(a))),
            any::<u128>().prop_map(|a| IpAddr::V6(Ipv6Addr::from(a))),
        ],
        id in any::<u64>(),
        version in any::<u64>(),
        media in proptest::collection::vec(
            (
                prop_oneof![Just("audio"), Just("video"), Just("application")],
                any::<u16>(),
                proptest::collection::vec(0u8..128, 1..5),
                prop_oneof![Just(Direction::SendRecv), Just(Direction::SendOnly),
                    Just(Direction::RecvOnly), Just(Direction::Inactive)],
                proptest::option::of(10u32..200),
            ),
            0..4,
        ),
    ) {
        let mut s = SessionDescription::new("-", id, version, ip);
        for (kind, port, pts, dir, ptime) in &media {
            let mut m = Media::new(*kind, *port, "RTP/AVP", pts.iter().copied());
            for pt in pts {
                m.push_rtpmap(*pt, "X-codec", 8000, None);
            }
            m.set_direction(*dir);
            if let Some(p) = ptime {
                m.push_attribute("ptime", Some(Cow::Owned(p.to_string())));
            }
            s.media.push(m);
        }
        let text = s.to_string();
        let back = SessionDescription::parse(&text).unwrap();
        prop_assert_eq!(&back, &s);
        for (m, (_, port, pts, dir, ptime)) in back.media.iter().zip(&media) {
            prop_assert_eq!(m.port, *port);
            prop_assert_eq!(back.direction_of(m), *dir);
            prop_assert_eq!(m.ptime(), *ptime);
            prop_assert_eq!(back.connection_for(m).unwrap().ip(), Some(ip));
            for pt in pts {
                prop_assert_eq!(m.rtpmap(*pt).unwrap().clock_rate, 8000);
            }
        }
        // The allocation-free view reads the same text the same way.
        let view = SdpView::parse(&text).unwrap();
        prop_assert_eq!(view.media_count(), back.media.len());
        prop_assert_eq!(view.origin().unwrap(), back.origin.clone());
        for (mv, m) in view.media().zip(&back.media) {
            prop_assert_eq!((mv.kind(), mv.port()), (&*m.kind, m.port));
            prop_assert_eq!(
                view.connection_for(&mv).unwrap().unwrap().ip(),
                back.connection_for(m).unwrap().ip()
            );
            prop_assert_eq!(view.direction_of(&mv), back.direction_of(m));
            prop_assert_eq!(mv.ptime(), m.ptime());
            prop_assert!(mv.rtpmaps().eq(m.rtpmaps()));
        }
        prop_assert_eq!(view.to_description().unwrap(), back);
    }
}
