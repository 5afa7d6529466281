//! `sip-message` SDP: parse; a parsed description's serialization parses back equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sip_message::sdp::SessionDescription;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(sdp) = SessionDescription::parse(s) else {
        return;
    };
    for m in &sdp.media {
        let _ = (sdp.connection_for(m), sdp.direction_of(m), m.ptime(), m.maxptime());
        let _ = m.payload_types().map(|pt| (m.rtpmap(pt), m.fmtp(pt))).count();
    }
    let text = sdp.to_string();
    let back = SessionDescription::parse(&text).expect("serialized SDP parses");
    assert_eq!(back, sdp, "{s:?} -> {text:?}");
});
