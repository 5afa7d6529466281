//! `sip-message` SDP: parse; a parsed description's serialization parses back equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sip_message::sdp::{SdpView, SessionDescription};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    // The lazy view never panics, whatever its accessors meet.
    let view = SdpView::parse(s);
    if let Ok(v) = &view {
        let _ = (v.origin(), v.session_name(), v.connection(), v.attributes().count());
        for m in v.media() {
            let _ = (v.connection_for(&m), v.direction_of(&m), m.ptime(), m.information());
            let _ = m.payload_types().map(|pt| (m.rtpmap(pt), m.fmtp(pt))).count();
        }
    }
    let Ok(sdp) = SessionDescription::parse(s) else {
        return;
    };
    // What the owned parser accepts, the view accepts and reads the same way.
    let v = view.expect("the view accepts what the owned parser accepts");
    assert_eq!(v.media_count(), sdp.media.len());
    assert_eq!(v.origin().unwrap(), sdp.origin);
    assert_eq!(v.session_name(), sdp.session_name);
    for (mv, m) in v.media().zip(&sdp.media) {
        assert_eq!((mv.kind(), mv.port(), mv.port_count()), (&*m.kind, m.port, m.port_count));
        assert_eq!(mv.protocol(), m.protocol);
        assert!(mv.formats().eq(m.formats.iter().map(|f| &**f)));
        assert_eq!(
            v.connection_for(&mv).map(|c| c.unwrap()),
            sdp.connection_for(m).cloned()
        );
        assert_eq!(v.direction_of(&mv), sdp.direction_of(m));
        assert!(mv.attributes().eq(m.attributes.iter().cloned()));
        assert_eq!((mv.ptime(), mv.maxptime()), (m.ptime(), m.maxptime()));
        assert_eq!(mv.information(), m.information.as_deref());
    }
    assert_eq!(v.to_description().unwrap(), sdp);
    for m in &sdp.media {
        let _ = (sdp.connection_for(m), sdp.direction_of(m), m.ptime(), m.maxptime());
        let _ = m.payload_types().map(|pt| (m.rtpmap(pt), m.fmtp(pt))).count();
    }
    let text = sdp.to_string();
    let back = SessionDescription::parse(&text).expect("serialized SDP parses");
    assert_eq!(back, sdp, "{s:?} -> {text:?}");
});
