//! The voip UA core (calls, registration, MESSAGE, REFER) driven by a fuzzed program:
//! commands, clock jumps, raw datagrams, and responses to what the core last sent (with
//! a fuzzed status, fuzzed header lines and an optional SDP body). Nothing may panic,
//! everything the core transmits must parse, and its deadlines never lie in the past
//! after `handle_timeout`.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use sip_message::{SipMessage, SipStatus};
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};
use voip::core::{CallKey, CoreConfig, CoreEvent, UaCore};
use voip::transaction::Target;

const SDP: &str = "v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
    m=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";

fn response(req: &SipMessage, code: u16, lines: &str, sdp: bool) -> Option<SipMessage> {
    let status = SipStatus::new(code).ok()?;
    let mut b = req.response(status);
    if code > 100 {
        b = b.to_tag("fz");
    }
    for l in lines.split('\n') {
        if let Some((name, value)) = l.split_once(':')
            && !name.eq_ignore_ascii_case("content-length")
            && let Ok(n) = sip_message::HeaderName::from_bytes(name.trim().as_bytes())
        {
            b = b.header(&n, value.trim());
        }
    }
    if code > 100 {
        b = b.header(
            &sip_message::HeaderName::Contact,
            "<sip:alice@127.0.0.1:5062>",
        );
    }
    if sdp {
        b = b.body("application/sdp", SDP);
    }
    b.build().ok()
}

fuzz_target!(|data: &[u8]| {
    let mut cfg = CoreConfig::peer_to_peer("bob", IpAddr::V4(Ipv4Addr::LOCALHOST), 5064);
    cfg.server = Some(("127.0.0.1".into(), 5062));
    let mut core = UaCore::new(cfg);
    let peer = Target::udp("127.0.0.1:5062".parse().unwrap());
    let t0 = Instant::now();
    let mut now = t0;
    let mut last_sent: Option<SipMessage> = None;
    let mut calls: Vec<CallKey> = Vec::new();
    for chunk in data.split(|&b| b == 0xff).take(64) {
        let Some((&op, rest)) = chunk.split_first() else {
            continue;
        };
        let arg = rest.first().copied().unwrap_or(0);
        let pick = |calls: &[CallKey]| calls.get(usize::from(arg) % calls.len().max(1)).copied();
        match op % 12 {
            0 => {
                if let Ok(k) = core.call(now, "sip:alice@127.0.0.1:5062", 30000, &[]) {
                    calls.push(k);
                }
            }
            1 => {
                let _ = core.register(now);
            }
            2 => {
                if let Some(k) = pick(&calls) {
                    let _ = core.answer(now, k, 30002);
                }
            }
            3 => {
                if let Some(k) = pick(&calls) {
                    let _ = match arg % 4 {
                        0 => core.hangup(now, k),
                        1 => core.cancel(now, k),
                        2 => core.deny(now, k),
                        _ => core.transfer(now, k, "carol", arg % 2 == 0),
                    };
                }
            }
            4 => {
                if let Some(k) = pick(&calls) {
                    let _ = core.reinvite(now, k, rtp_core::TransmitType::SendOnly);
                }
            }
            5 => {
                let _ = core.message(now, "alice", Bytes::copy_from_slice(rest), "text/plain");
            }
            6 => now += Duration::from_millis(u64::from(arg) * 250),
            7 | 8 => {
                if let Some(req) = last_sent.clone().filter(SipMessage::is_request) {
                    let code = [100, 180, 183, 200, 202, 401, 407, 481, 486, 487, 491, 603]
                        [usize::from(arg) % 12];
                    let lines = String::from_utf8_lossy(rest.get(1..).unwrap_or(&[]));
                    if let Some(r) = response(&req, code, &lines, op % 12 == 8) {
                        core.handle_incoming(now, r, peer);
                    }
                }
            }
            _ => {
                if let Ok(m) = SipMessage::parse(Bytes::copy_from_slice(rest)) {
                    core.handle_incoming(now, m, peer);
                }
            }
        }
        if core.poll_timeout().is_some_and(|d| d <= now) {
            core.handle_timeout(now);
            if let Some(d) = core.poll_timeout() {
                assert!(d > now, "a timer due at {now:?} survived handle_timeout");
            }
        }
        while let Some(t) = core.poll_transmit() {
            let m = SipMessage::parse(t.bytes).expect("the core sends parseable messages");
            last_sent = Some(m);
        }
        while let Some(e) = core.poll_event() {
            if let CoreEvent::IncomingCall { call, .. } = e {
                calls.push(call);
            }
        }
    }
});
