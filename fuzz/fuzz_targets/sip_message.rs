//! `sip-message`: datagram parse, stream framing, every typed accessor, validate, summary,
//! response builder; a parsed message's wire form re-parses to the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sip_message::{Bytes, Framing, ParseLimits, SipMessage, SipStatus};

fuzz_target!(|data: &[u8]| {
    let limits = ParseLimits::default();
    // Stream framing never panics and never claims more bytes than it was given.
    if let Ok(Some(len)) = sip_message::message_length(data, &limits) {
        assert!(len <= data.len());
        let m = SipMessage::parse_with(Bytes::copy_from_slice(&data[..len]), &limits, Framing::Stream)
            .expect("a framed message parses");
        assert_eq!(m.as_bytes().len() + sip_message::keepalive_len(data), len);
    }
    let Ok(m) = SipMessage::parse(Bytes::copy_from_slice(data)) else {
        return;
    };
    let _ = m.validate();
    let _ = m.summary();
    let _ = m.to_string();
    let _ = (m.method(), m.status(), m.reason(), m.request_uri(), m.start_line());
    let _ = (m.via(), m.from(), m.to(), m.from_tag(), m.to_tag(), m.call_id(), m.cseq());
    let _ = (m.max_forwards(), m.expires(), m.content_type(), m.event(), m.subscription_state());
    let _ = (m.refer_to(), m.referred_by(), m.user_agent(), m.has_sdp(), m.sdp());
    let _ = m.vias().count() + m.contacts().count() + m.routes().count() + m.record_routes().count();
    let _ = m.www_authenticate().chain(m.authorization()).map(|a| a.map(|a| a.to_string())).count();
    for h in m.headers() {
        let _ = (h.name(), h.value_unfolded(), h.parse());
    }
    // The wire form re-parses to the same message.
    let again = SipMessage::parse(m.to_bytes()).expect("own wire form re-parses");
    assert_eq!(again, m);
    assert_eq!(again.header_count(), m.header_count());
    assert_eq!(again.body(), m.body());
    if m.is_request() && m.validate().is_ok() {
        let r = m
            .response(SipStatus::OK)
            .to_tag("fuzz")
            .build()
            .expect("a response to a valid request builds");
        assert_eq!(r.call_id().ok(), m.call_id().ok());
        assert_eq!(r.cseq().ok(), m.cseq().ok());
        assert_eq!(r.vias().count(), m.vias().count());
    }
});
