//! RFC 3264 offer/answer against SDP bodies as real peers write them.

use proptest::prelude::*;
use rtp_core::{AudioCodec, PayloadType, TransmitType};
use sip_message::sdp::{Direction, SessionDescription};
use std::net::{IpAddr, SocketAddr};
use voip::sdp_negotiation::{LocalMedia, NegotiationError, SdpSession};

fn crlf(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| format!("{l}\r\n"))
        .collect()
}

fn local() -> LocalMedia {
    LocalMedia::new("127.0.0.1".parse().unwrap(), 10000)
}

fn session() -> SdpSession {
    SdpSession::with_session_id(local(), 4242)
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

// Asterisk 18 chan_pjsip, an INVITE to a phone.
const ASTERISK_OFFER: &str = "v=0
o=- 1933431364 1933431364 IN IP4 127.0.0.1
s=Asterisk
c=IN IP4 127.0.0.1
t=0 0
m=audio 18530 RTP/AVP 0 8 3 111 101
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:3 GSM/8000
a=rtpmap:111 G726-32/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=maxptime:150
a=sendrecv
";

// baresip 1.0: G.722 first, DTMF 0-15, extra attributes.
const BARESIP_OFFER: &str = "v=0
o=- 1819389046 3157183433 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 10128 RTP/AVP 9 8 0 101
b=AS:64
a=rtpmap:9 G722/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=sendrecv
a=label:1
a=rtcp-rsize
a=ssrc:2855321751 cname:4e0c2b1e-bc0c-4dc1-8a3c-52e6b5a7ab0d
a=ptime:20
";

// linphone 5: opus first, several telephone-event rates (only 100 is 8 kHz), session-level
// attributes, and a video stream we must reject.
const LINPHONE_OFFER: &str = "v=0
o=bob 2386 1592 IN IP4 127.0.0.1
s=Talk
c=IN IP4 127.0.0.1
t=0 0
a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics
a=record:off
m=audio 7078 RTP/AVP 96 97 98 18 0 8 101 99 100
a=rtpmap:96 opus/48000/2
a=fmtp:96 useinbandfec=1
a=rtpmap:97 SILK/16000
a=rtpmap:98 speex/16000
a=fmtp:98 vbr=on
a=fmtp:18 annexb=yes
a=rtpmap:101 telephone-event/48000
a=rtpmap:99 telephone-event/16000
a=rtpmap:100 telephone-event/8000
a=rtcp:7079
a=rtcp-fb:* trr-int 1000
m=video 9078 RTP/AVP 96 97
a=rtpmap:96 VP8/90000
a=rtpmap:97 H264/90000
a=fmtp:97 profile-level-id=42801F
a=rtcp-fb:* ccm fir
";

// SIPp's built-in uac scenario.
const SIPP_OFFER: &str = "v=0
o=user1 53655765 2353687637 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 6000 RTP/AVP 0
a=rtpmap:0 PCMU/8000
";

// pyVoIP 2.0.0a4 calling out.
const PYVOIP_OFFER: &str = "v=0
o=pyVoIP 1668427352 1668427354 IN IP4 127.0.0.1
s=pyVoIP 2.0.0a4
c=IN IP4 127.0.0.1
t=0 0
m=audio 10000 RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20
a=maxptime:150
a=sendrecv
";

#[test]
fn asterisk_offer_is_answered_with_its_first_codec() {
    let mut s = session();
    let (answer, m) = s.receive_offer(&crlf(ASTERISK_OFFER)).unwrap();
    assert_eq!(m.remote, addr("127.0.0.1:18530"));
    assert_eq!((m.codec, m.payload_type), (AudioCodec::Pcmu, 0));
    assert_eq!(m.dtmf_payload_type, Some(101));
    assert_eq!(m.receive_dtmf_payload_type, Some(101));
    assert_eq!(m.receive_audio, vec![(0, AudioCodec::Pcmu)]);
    assert_eq!(m.direction, TransmitType::SendRecv);
    assert_eq!(m.ptime, 20);
    let sdp = SessionDescription::parse(&answer).unwrap();
    assert_eq!(sdp.media.len(), 1);
    let audio = &sdp.media[0];
    assert_eq!(audio.port, 10000);
    assert_eq!(audio.protocol, "RTP/AVP");
    assert_eq!(audio.payload_types().collect::<Vec<_>>(), vec![0, 101]);
    assert_eq!(audio.rtpmap(101).unwrap().encoding, "telephone-event");
    assert_eq!(audio.fmtp(101), Some("0-16"));
    assert_eq!(audio.ptime(), Some(20));
    assert_eq!(sdp.direction_of(audio), Direction::SendRecv);
    assert_eq!(
        sdp.connection_for(audio).unwrap().ip(),
        Some("127.0.0.1".parse().unwrap())
    );
    assert_eq!(sdp.origin.session_id, "4242");
}

#[test]
fn baresip_offer_skips_g722_and_keeps_its_preference_of_pcma() {
    let mut s = session();
    let (answer, m) = s.receive_offer(&crlf(BARESIP_OFFER)).unwrap();
    assert_eq!((m.codec, m.payload_type), (AudioCodec::Pcma, 8));
    assert_eq!(m.remote, addr("127.0.0.1:10128"));
    assert!(
        answer.contains("m=audio 10000 RTP/AVP 8 101\r\n"),
        "{answer}"
    );
    assert!(answer.contains("a=rtpmap:8 PCMA/8000\r\n"));
}

#[test]
fn our_preference_does_not_override_the_offer_order_but_limits_it() {
    // We only do PCMU: baresip's PCMA preference cannot be honoured.
    let local = local()
        .with_payload_types([(0, PayloadType::Pcmu), (101, PayloadType::TelephoneEvent)])
        .unwrap();
    let mut s = SdpSession::new(local);
    let (_, m) = s.receive_offer(&crlf(BARESIP_OFFER)).unwrap();
    assert_eq!(m.codec, AudioCodec::Pcmu);
}

#[test]
fn linphone_offer_picks_the_8khz_telephone_event_and_rejects_video() {
    let mut s = session();
    let (answer, m) = s.receive_offer(&crlf(LINPHONE_OFFER)).unwrap();
    assert_eq!((m.codec, m.payload_type), (AudioCodec::Pcmu, 0));
    assert_eq!(m.dtmf_payload_type, Some(100));
    let sdp = SessionDescription::parse(&answer).unwrap();
    assert_eq!(sdp.media.len(), 2, "m-line count kept");
    assert_eq!(sdp.media[0].kind, "audio");
    assert_eq!(
        sdp.media[0].payload_types().collect::<Vec<_>>(),
        vec![0, 100]
    );
    assert_eq!(sdp.media[1].kind, "video");
    assert_eq!(sdp.media[1].port, 0);
    assert_eq!(sdp.media[1].protocol, "RTP/AVP");
    assert!(!sdp.media[1].formats.is_empty());
    assert!(sdp.media[1].attributes.is_empty());
}

#[test]
fn sipp_offer_without_dtmf() {
    let mut s = session();
    let (answer, m) = s.receive_offer(&crlf(SIPP_OFFER)).unwrap();
    assert_eq!(m.codec, AudioCodec::Pcmu);
    assert_eq!(m.dtmf_payload_type, None);
    assert_eq!(m.receive_dtmf_payload_type, None);
    assert!(answer.contains("m=audio 10000 RTP/AVP 0\r\n"));
    assert!(!answer.contains("telephone-event"));
}

#[test]
fn pyvoip_offer() {
    let mut s = session();
    let (_, m) = s.receive_offer(&crlf(PYVOIP_OFFER)).unwrap();
    assert_eq!(m.codec, AudioCodec::Pcmu);
    assert_eq!(m.dtmf_payload_type, Some(101));
    assert_eq!(m.remote, addr("127.0.0.1:10000"));
}

#[test]
fn dynamic_payload_type_for_pcmu_and_dtmf() {
    let offer = "v=0
o=gw 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 5004 RTP/AVP 97 96 120
a=rtpmap:97 G7221/16000
a=rtpmap:96 pcmu/8000/1
a=rtpmap:120 TELEPHONE-EVENT/8000
";
    let mut s = session();
    let (answer, m) = s.receive_offer(&crlf(offer)).unwrap();
    assert_eq!((m.codec, m.payload_type), (AudioCodec::Pcmu, 96));
    assert_eq!(m.dtmf_payload_type, Some(120));
    assert_eq!(m.receive_audio, vec![(96, AudioCodec::Pcmu)]);
    assert!(
        answer.contains("m=audio 10000 RTP/AVP 96 120\r\n"),
        "{answer}"
    );
    assert!(answer.contains("a=rtpmap:96 PCMU/8000\r\n"));
    assert!(answer.contains("a=fmtp:120 0-16\r\n"));
}

#[test]
fn nothing_we_support_is_488() {
    let offer = "v=0
o=- 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 5004 RTP/AVP 18 9
a=rtpmap:18 G729/8000
";
    let mut s = session();
    let e = s.receive_offer(&crlf(offer)).unwrap_err();
    assert_eq!(e, NegotiationError::NoAcceptableMedia);
    assert_eq!(e.status_code(), 488);
    assert!(s.negotiated().is_none());
    // PCMU at the wrong rate or stereo is not G.711 either.
    let wrong_rate = crlf(offer).replace("RTP/AVP 18 9", "RTP/AVP 96 97")
        + "a=rtpmap:96 PCMU/16000\r\na=rtpmap:97 PCMA/8000/2\r\n";
    assert_eq!(
        s.receive_offer(&wrong_rate).unwrap_err(),
        NegotiationError::NoAcceptableMedia
    );
    // Video only.
    let video = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
                 m=video 5006 RTP/AVP 0\r\n";
    assert_eq!(
        s.receive_offer(video).unwrap_err(),
        NegotiationError::NoAcceptableMedia
    );
}

#[test]
fn srtp_line_is_rejected_and_the_plain_rtp_line_used() {
    // Best-effort SRTP the old way: SAVP first, then the same audio over AVP.
    let offer = "v=0
o=- 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 5004 RTP/SAVP 0
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz
m=audio 5006 RTP/AVP 8 0
";
    let mut s = session();
    let (answer, m) = s.receive_offer(&crlf(offer)).unwrap();
    assert_eq!(m.remote, addr("127.0.0.1:5006"));
    assert_eq!(m.codec, AudioCodec::Pcma);
    let sdp = SessionDescription::parse(&answer).unwrap();
    assert_eq!(sdp.media[0].port, 0);
    assert_eq!(sdp.media[0].protocol, "RTP/SAVP");
    assert_eq!(sdp.media[1].port, 10000);
    assert!(!answer.contains("crypto"));
}

#[test]
fn avpf_is_answered_in_kind() {
    let offer = crlf(SIPP_OFFER).replace("RTP/AVP", "RTP/AVPF");
    let (answer, _) = session().receive_offer(&offer).unwrap();
    assert!(answer.contains("m=audio 10000 RTP/AVPF 0\r\n"));
}

#[test]
fn media_level_connection_wins_and_ptime_is_read() {
    let offer = "v=0
o=- 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.2
t=0 0
m=audio 5004 RTP/AVP 8
c=IN IP4 127.0.0.1
a=ptime:30
";
    let (_, m) = session().receive_offer(&crlf(offer)).unwrap();
    assert_eq!(m.remote, addr("127.0.0.1:5004"));
    assert_eq!(m.ptime, 30);
}

#[test]
fn missing_or_unusable_connection_is_an_error() {
    let no_c = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\n";
    let e = session().receive_offer(no_c).unwrap_err();
    assert_eq!(e, NegotiationError::MissingConnection { index: 0 });
    assert_eq!(e.status_code(), 488);
    let fqdn = no_c.replace("t=0 0", "c=IN IP4 pbx.example.com\r\nt=0 0");
    assert!(matches!(
        session().receive_offer(&fqdn).unwrap_err(),
        NegotiationError::UnsupportedAddress { index: 0, .. }
    ));
}

#[test]
fn ipv6_offer_and_answer() {
    let offer = "v=0
o=- 1 1 IN IP6 ::1
s=-
c=IN IP6 ::1
t=0 0
m=audio 5004 RTP/AVP 0 101
a=rtpmap:101 telephone-event/8000
";
    let mut s = SdpSession::new(LocalMedia::new("::1".parse().unwrap(), 10002));
    let (answer, m) = s.receive_offer(&crlf(offer)).unwrap();
    assert_eq!(m.remote, addr("[::1]:5004"));
    assert!(answer.contains("c=IN IP6 ::1\r\n"), "{answer}");
    assert!(answer.contains("o=- "));
    assert!(answer.contains(" IN IP6 ::1\r\n"));
    // An IPv4 phone cannot take an IPv6 offer.
    let e = session().receive_offer(&crlf(offer)).unwrap_err();
    assert!(matches!(e, NegotiationError::AddressFamilyMismatch { .. }));
}

#[test]
fn directions_are_answered_per_rfc3264_6_1() {
    let cases = [
        ("sendrecv", TransmitType::SendRecv, "a=sendrecv"),
        ("sendonly", TransmitType::RecvOnly, "a=recvonly"),
        ("recvonly", TransmitType::SendOnly, "a=sendonly"),
        ("inactive", TransmitType::Inactive, "a=inactive"),
    ];
    for (offered, ours, attr) in cases {
        let offer = crlf(PYVOIP_OFFER).replace("a=sendrecv", &format!("a={offered}"));
        let (answer, m) = session().receive_offer(&offer).unwrap();
        assert_eq!(m.direction, ours, "{offered}");
        assert!(
            answer.contains(&format!("{attr}\r\n")),
            "{offered}: {answer}"
        );
        assert_eq!(m.can_send(), ours.sends());
        assert_eq!(m.can_receive(), ours.receives());
    }
}

#[test]
fn session_level_direction_applies() {
    let offer = crlf(SIPP_OFFER).replace("t=0 0\r\n", "t=0 0\r\na=sendonly\r\n");
    let (_, m) = session().receive_offer(&offer).unwrap();
    assert_eq!(m.direction, TransmitType::RecvOnly);
}

#[test]
fn our_own_hold_narrows_the_answer() {
    let mut s = session();
    s.local_mut().direction = TransmitType::SendOnly;
    let (answer, m) = s.receive_offer(&crlf(ASTERISK_OFFER)).unwrap();
    assert_eq!(m.direction, TransmitType::SendOnly);
    assert!(answer.contains("a=sendonly\r\n"));
    // Both holding: inactive.
    let held = crlf(ASTERISK_OFFER).replace("a=sendrecv", "a=sendonly");
    let (_, m) = s.receive_offer(&held).unwrap();
    assert_eq!(m.direction, TransmitType::Inactive);
}

#[test]
fn asterisk_hold_and_resume_reinvite() {
    let mut s = session();
    let (first, m) = s.receive_offer(&crlf(ASTERISK_OFFER)).unwrap();
    assert!(m.can_send());
    let v1 = SessionDescription::parse(&first)
        .unwrap()
        .origin
        .session_version
        .to_string();
    // Hold: Asterisk re-INVITEs with sendonly (music on hold) and a new o= version.
    let hold = crlf(ASTERISK_OFFER)
        .replace("1933431364 1933431364", "1933431364 1933431365")
        .replace("a=sendrecv", "a=sendonly");
    let (answer, m) = s.receive_offer(&hold).unwrap();
    assert_eq!(m.direction, TransmitType::RecvOnly);
    assert!(!m.can_send());
    let sdp = SessionDescription::parse(&answer).unwrap();
    assert_eq!(sdp.origin.session_id, "4242");
    let v2 = sdp.origin.session_version.to_string();
    assert_eq!(v2.parse::<u64>().unwrap(), v1.parse::<u64>().unwrap() + 1);
    // Resume.
    let (answer, m) = s.receive_offer(&crlf(ASTERISK_OFFER)).unwrap();
    assert_eq!(m.direction, TransmitType::SendRecv);
    assert_eq!(s.negotiated(), Some(&m));
    let v3 = SessionDescription::parse(&answer)
        .unwrap()
        .origin
        .session_version
        .to_string();
    assert_eq!(v3.parse::<u64>().unwrap(), v1.parse::<u64>().unwrap() + 2);
}

#[test]
fn old_style_hold_with_zero_address() {
    let mut s = session();
    s.receive_offer(&crlf(ASTERISK_OFFER)).unwrap();
    let hold = crlf(ASTERISK_OFFER).replace("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0");
    let (answer, m) = s.receive_offer(&hold).unwrap();
    assert!(m.remote.ip().is_unspecified());
    assert_eq!(m.direction, TransmitType::RecvOnly);
    assert!(!m.can_send());
    assert!(answer.contains("a=recvonly\r\n"));
    // Our answer still advertises our real address.
    assert!(answer.contains("c=IN IP4 127.0.0.1\r\n"));
}

#[test]
fn reinvite_changes_address_port_and_codec() {
    let mut s = session();
    s.receive_offer(&crlf(ASTERISK_OFFER)).unwrap();
    let moved = crlf(ASTERISK_OFFER)
        .replace("c=IN IP4 127.0.0.1", "c=IN IP4 127.0.0.3")
        .replace("m=audio 18530 RTP/AVP 0 8", "m=audio 18600 RTP/AVP 8 0");
    let (_, m) = s.receive_offer(&moved).unwrap();
    assert_eq!(m.remote, addr("127.0.0.3:18600"));
    assert_eq!(m.codec, AudioCodec::Pcma);
}

#[test]
fn unchanged_reoffer_keeps_the_version() {
    // A session refresh re-INVITE with the same SDP: RFC 3264 §8 lets the answer repeat
    // the previous one with the same version.
    let mut s = session();
    let (a1, _) = s.receive_offer(&crlf(ASTERISK_OFFER)).unwrap();
    let (a2, _) = s.receive_offer(&crlf(ASTERISK_OFFER)).unwrap();
    assert_eq!(a1, a2);
}

#[test]
fn our_offer_has_every_default() {
    let mut s = session();
    let offer = s.create_offer().unwrap();
    assert!(s.has_pending_offer());
    let sdp = SessionDescription::parse(&offer).unwrap();
    assert_eq!(sdp.origin.session_id, "4242");
    assert_eq!(sdp.origin.address, "127.0.0.1");
    assert_eq!(
        sdp.connection.as_ref().unwrap().ip(),
        Some(IpAddr::from([127, 0, 0, 1]))
    );
    let m = &sdp.media[0];
    assert_eq!(
        (m.kind.as_ref(), m.port, m.protocol.as_ref()),
        ("audio", 10000, "RTP/AVP")
    );
    assert_eq!(m.payload_types().collect::<Vec<_>>(), vec![0, 8, 101]);
    assert_eq!(m.rtpmap(0).unwrap().encoding, "PCMU");
    assert_eq!(m.rtpmap(8).unwrap().encoding, "PCMA");
    let te = m.rtpmap(101).unwrap();
    assert_eq!((te.encoding, te.clock_rate), ("telephone-event", 8000));
    assert_eq!(m.fmtp(101), Some("0-16"));
    assert_eq!(m.ptime(), Some(20));
    assert_eq!(sdp.direction_of(m), Direction::SendRecv);
}

#[test]
fn offer_follows_the_callers_payload_types() {
    // pyVoIP's call(number, {8: PCMA, 0: PCMU, 96: EVENT}): PCMA first, DTMF on 96.
    let local = local()
        .with_payload_types([
            (8, PayloadType::Pcma),
            (0, PayloadType::Pcmu),
            (96, PayloadType::TelephoneEvent),
        ])
        .unwrap();
    let mut s = SdpSession::new(local);
    let offer = s.create_offer().unwrap();
    assert!(
        offer.contains("m=audio 10000 RTP/AVP 8 0 96\r\n"),
        "{offer}"
    );
    assert!(offer.contains("a=rtpmap:96 telephone-event/8000\r\n"));
    // PCMA-only origination (pyVoIP can only originate PCMU).
    let pcma = local_pcma();
    let offer = SdpSession::new(pcma).create_offer().unwrap();
    assert!(offer.contains("m=audio 10000 RTP/AVP 8\r\n"), "{offer}");
    assert!(!offer.contains("telephone-event"));
}

fn local_pcma() -> LocalMedia {
    local()
        .with_payload_types([(8, PayloadType::Pcma)])
        .unwrap()
}

#[test]
fn unsupported_payload_types_are_refused() {
    assert_eq!(
        local().with_payload_types([(18, PayloadType::G729)]),
        Err(NegotiationError::UnsupportedPayloadType(PayloadType::G729))
    );
    assert_eq!(
        local().with_payload_types([(101, PayloadType::TelephoneEvent)]),
        Err(NegotiationError::NoCodecs)
    );
}

#[test]
fn never_advertises_the_unspecified_address() {
    for ip in ["0.0.0.0", "::"] {
        let mut s = SdpSession::new(LocalMedia::new(ip.parse().unwrap(), 10000));
        let e = s.create_offer().unwrap_err();
        assert_eq!(e, NegotiationError::UnspecifiedAddress(ip.parse().unwrap()));
        assert!(s.receive_offer(&crlf(SIPP_OFFER)).is_err());
        assert!(!s.has_pending_offer());
    }
}

// baresip answering our offer.
const BARESIP_ANSWER: &str = "v=0
o=- 3457211409 1174588421 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 10130 RTP/AVP 0 101
b=AS:64
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=sendrecv
a=ptime:20
";

#[test]
fn answer_from_baresip() {
    let mut s = session();
    s.create_offer().unwrap();
    let m = s.receive_answer(&crlf(BARESIP_ANSWER)).unwrap();
    assert!(!s.has_pending_offer());
    assert_eq!(m.remote, addr("127.0.0.1:10130"));
    assert_eq!((m.codec, m.payload_type), (AudioCodec::Pcmu, 0));
    assert_eq!(m.dtmf_payload_type, Some(101));
    assert_eq!(m.direction, TransmitType::SendRecv);
    assert_eq!(
        m.receive_audio,
        vec![(0, AudioCodec::Pcmu), (8, AudioCodec::Pcma)]
    );
    assert_eq!(s.negotiated(), Some(&m));
}

#[test]
fn answer_numbers_are_what_we_send_with() {
    // An answerer that renumbers telephone-event and uses a dynamic number for PCMA.
    let answer = "v=0
o=- 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 4000 RTP/AVP 98 96
a=rtpmap:98 PCMA/8000
a=rtpmap:96 telephone-event/8000
a=recvonly
";
    let mut s = session();
    s.create_offer().unwrap();
    let m = s.receive_answer(&crlf(answer)).unwrap();
    assert_eq!((m.codec, m.payload_type), (AudioCodec::Pcma, 98));
    assert_eq!(m.dtmf_payload_type, Some(96));
    assert_eq!(m.receive_dtmf_payload_type, Some(101));
    assert_eq!(m.direction, TransmitType::SendOnly);
}

type Edit = fn(String) -> String;

#[test]
fn invalid_answers_are_refused() {
    let cases: [(&str, Edit); 4] = [
        ("port 0", |a| a.replace("m=audio 10130", "m=audio 0")),
        ("codec not offered", |a| {
            a.replace("RTP/AVP 0 101", "RTP/AVP 9 101")
                .replace("a=rtpmap:0 PCMU/8000", "a=rtpmap:9 G722/8000")
        }),
        ("two m-lines", |a| a + "m=video 0 RTP/AVP 96\r\n"),
        ("video", |a| a.replace("m=audio", "m=video")),
    ];
    for (what, edit) in cases {
        let mut s = session();
        s.create_offer().unwrap();
        let e = s.receive_answer(&edit(crlf(BARESIP_ANSWER))).unwrap_err();
        assert_eq!(e.status_code(), 488, "{what}");
        if what == "port 0" {
            assert_eq!(e, NegotiationError::MediaRejected);
        } else {
            assert!(
                matches!(e, NegotiationError::InvalidAnswer(_)),
                "{what}: {e:?}"
            );
        }
        assert!(!s.has_pending_offer());
        assert!(s.negotiated().is_none());
    }
    // An answer with nothing offered.
    assert_eq!(
        session().receive_answer(&crlf(BARESIP_ANSWER)),
        Err(NegotiationError::NoOfferPending)
    );
}

#[test]
fn answer_to_a_pcma_only_offer_must_be_pcma() {
    let mut s = SdpSession::new(local_pcma());
    s.create_offer().unwrap();
    // The answerer picked PCMU, which we did not offer.
    assert!(matches!(
        s.receive_answer(&crlf(BARESIP_ANSWER)),
        Err(NegotiationError::InvalidAnswer(_))
    ));
}

#[test]
fn glare_is_491() {
    let mut s = session();
    s.create_offer().unwrap();
    let e = s.receive_offer(&crlf(ASTERISK_OFFER)).unwrap_err();
    assert_eq!(e, NegotiationError::OfferPending);
    assert_eq!(e.status_code(), 491);
    s.cancel_offer();
    assert!(s.receive_offer(&crlf(ASTERISK_OFFER)).is_ok());
}

#[test]
fn reoffer_to_hold_increments_the_version_only_when_changed() {
    let mut s = session();
    let o1 = SessionDescription::parse(&s.create_offer().unwrap())
        .unwrap()
        .into_owned();
    s.receive_answer(&crlf(BARESIP_ANSWER)).unwrap();
    // Same offer again (session refresh): same version.
    let o2 = SessionDescription::parse(&s.create_offer().unwrap())
        .unwrap()
        .into_owned();
    assert_eq!(o1.origin, o2.origin);
    s.receive_answer(&crlf(BARESIP_ANSWER)).unwrap();
    // Hold: sendonly, version + 1, same session id.
    s.local_mut().direction = TransmitType::SendOnly;
    let text = s.create_offer().unwrap();
    let o3 = SessionDescription::parse(&text).unwrap();
    assert!(text.contains("a=sendonly\r\n"));
    assert_eq!(o3.origin.session_id, o1.origin.session_id);
    let v = |o: &SessionDescription<'_>| o.origin.session_version.parse::<u64>().unwrap();
    assert_eq!(v(&o3), v(&o1) + 1);
    assert_eq!(s.version(), v(&o3));
    let held = crlf(BARESIP_ANSWER).replace("a=sendrecv", "a=recvonly");
    let m = s.receive_answer(&held).unwrap();
    assert_eq!(m.direction, TransmitType::SendOnly);
}

#[test]
fn delayed_offer_flow() {
    // INVITE without SDP: our offer goes in the 200, the answer comes in the ACK.
    let mut s = session();
    let _offer_in_200 = s.create_offer().unwrap();
    let ack_answer = crlf(PYVOIP_OFFER);
    let m = s.receive_answer(&ack_answer).unwrap();
    assert_eq!(m.remote, addr("127.0.0.1:10000"));
}

#[test]
fn malformed_sdp_is_400() {
    let e = session().receive_offer("not sdp").unwrap_err();
    assert!(matches!(e, NegotiationError::Parse(_)));
    assert_eq!(e.status_code(), 400);
}

fn arb_media_line() -> impl Strategy<Value = String> {
    let kind = prop_oneof![Just("audio"), Just("video"), Just("text")];
    let proto = prop_oneof![
        Just("RTP/AVP"),
        Just("RTP/SAVP"),
        Just("RTP/AVPF"),
        Just("UDP/TLS/RTP/SAVPF")
    ];
    let formats = prop::collection::vec(0u8..128, 1..6);
    let names = prop::collection::vec(
        prop_oneof![
            Just("PCMU/8000"),
            Just("PCMA/8000"),
            Just("telephone-event/8000"),
            Just("opus/48000/2"),
            Just("G722/8000"),
        ],
        0..4,
    );
    let dir = prop_oneof![
        Just(""),
        Just("a=sendonly\r\n"),
        Just("a=recvonly\r\n"),
        Just("a=inactive\r\n")
    ];
    (kind, 0u16..3, proto, formats, names, dir).prop_map(|(k, port, p, f, n, d)| {
        let port = [0, 4000, 4002][port as usize];
        let mut s = format!(
            "m={k} {port} {p} {}\r\n",
            f.iter().map(u8::to_string).collect::<Vec<_>>().join(" ")
        );
        for (pt, name) in f.iter().zip(n) {
            s += &format!("a=rtpmap:{pt} {name}\r\n");
        }
        s + d
    })
}

proptest! {
    #[test]
    fn any_offer_gets_a_wellformed_answer_or_an_error(lines in prop::collection::vec(arb_media_line(), 0..4)) {
        let offer = format!(
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n{}",
            lines.concat()
        );
        let mut s = session();
        match s.receive_offer(&offer) {
            Ok((answer, m)) => {
                let a = SessionDescription::parse(&answer).unwrap();
                let o = SessionDescription::parse(&offer).unwrap();
                prop_assert_eq!(a.media.len(), o.media.len());
                let used: Vec<_> = a.media.iter().filter(|m| m.port != 0).collect();
                prop_assert_eq!(used.len(), 1);
                prop_assert!(used[0].payload_types().any(|pt| pt == m.payload_type));
                for (am, om) in a.media.iter().zip(&o.media) {
                    prop_assert_eq!(&am.kind, &om.kind);
                }
            }
            Err(e) => prop_assert_eq!(e.status_code(), 488),
        }
    }
}

#[test]
fn origin_username_is_one_token() {
    let mut l = local();
    l.username = "pyVoIP user".to_owned();
    let offer = SdpSession::new(l.clone()).create_offer().unwrap();
    assert!(offer.contains("o=- "), "{offer}");
    l.username = "alice".to_owned();
    let offer = SdpSession::new(l).create_offer().unwrap();
    assert!(offer.contains("o=alice "), "{offer}");
}

#[test]
fn early_answer_then_final_answer_then_no_more() {
    let mut s = session();
    s.create_offer().unwrap();
    // 183 Session Progress with the answer (early media), then the 200 repeating it, here
    // from another fork with its own port.
    let early = s.receive_answer(&crlf(BARESIP_ANSWER)).unwrap();
    assert_eq!(early.remote, addr("127.0.0.1:10130"));
    let fork = crlf(BARESIP_ANSWER).replace("m=audio 10130", "m=audio 10140");
    let final_ = s.receive_answer(&fork).unwrap();
    assert_eq!(final_.remote, addr("127.0.0.1:10140"));
    assert_eq!(s.negotiated(), Some(&final_));
    // After a new offer from the peer, an answer to our old offer is out of place.
    s.receive_offer(&crlf(ASTERISK_OFFER)).unwrap();
    assert_eq!(
        s.receive_answer(&crlf(BARESIP_ANSWER)),
        Err(NegotiationError::NoOfferPending)
    );
}
