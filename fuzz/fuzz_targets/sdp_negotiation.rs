//! `voip::sdp_negotiation`: any body as an offer or as an answer never panics; an answer we
//! produce parses and keeps the offer's m-line count; negotiated media are consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sip_message::sdp::SessionDescription;
use voip::sdp_negotiation::{LocalMedia, SdpSession};

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    let local = LocalMedia::new("127.0.0.1".parse().unwrap(), 10000);
    let mut session = SdpSession::with_session_id(local.clone(), 1);
    if let Ok((answer, media)) = session.receive_offer(body) {
        let offer = SessionDescription::parse(body).expect("accepted offers parse");
        let parsed = SessionDescription::parse(&answer).expect("our answer parses");
        assert_eq!(parsed.media.len(), offer.media.len());
        assert_eq!(parsed.media.iter().filter(|m| m.port != 0).count(), 1);
        assert_eq!(media.receive_audio.len(), 1);
        assert!(media.payload_type < 128);
    }
    let mut session = SdpSession::with_session_id(local, 1);
    session.create_offer().expect("our offer");
    if let Ok(media) = session.receive_answer(body) {
        assert!(media.remote.port() != 0);
        assert!(!session.has_pending_offer());
    }
});
