//! RFC 4733 telephone-events: payload parsing never panics and round-trips; the DTMF
//! receiver never panics and never reports more key presses than distinct events it saw.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtp_core::{DtmfReceiver, TelephoneEvent};
use std::collections::HashSet;

fuzz_target!(|data: &[u8]| {
    if data.len() > 65_536 {
        return;
    }
    if let Ok(ev) = TelephoneEvent::parse(data) {
        let bytes = ev.to_bytes();
        assert_eq!(TelephoneEvent::parse(&bytes), Ok(ev));
        assert_eq!(bytes[1] & 0x7F, data[1] & 0x3F);
    }
    // Records of 1 (SSRC) + 2 (timestamp, scaled) + n payload bytes (n from the record).
    let mut rx = DtmfReceiver::new();
    let mut events = HashSet::new();
    let mut keys = 0usize;
    let mut rest = data;
    while let [ssrc, t0, t1, n, tail @ ..] = rest {
        let len = (*n as usize % 6).min(tail.len());
        let (payload, next) = tail.split_at(len);
        rest = next;
        let timestamp = u32::from(u16::from_be_bytes([*t0, *t1])) * 160;
        let ssrc = u32::from(*ssrc % 3);
        match rx.handle(ssrc, timestamp, payload) {
            Ok(key) => {
                events.insert((ssrc, timestamp));
                keys += usize::from(key.is_some());
            }
            Err(_) => assert!(payload.len() < 4),
        }
    }
    assert!(keys <= events.len());
});
