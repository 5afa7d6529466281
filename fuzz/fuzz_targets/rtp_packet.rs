//! RTP packet parsing: never panics; whatever parses serializes back to bytes that parse
//! to the same packet; extension elements, the summary and a receiver never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtp_core::{RtpPacket, RtpReceiver};
use std::time::{Duration, Instant};

fuzz_target!(|data: &[u8]| {
    if data.len() > 65_536 {
        return;
    }
    if let Ok(packet) = RtpPacket::parse(data) {
        let wire = packet.to_vec().expect("a parsed packet serializes");
        assert_eq!(wire.len(), packet.marshal_size());
        let again = RtpPacket::parse(&wire).expect("serialized packet parses");
        assert_eq!(again, packet);
        if let Some(ext) = packet.extension {
            for element in ext.elements() {
                let _ = element;
            }
        }
        let _ = packet.summary();
    }
    // The same bytes as a sequence of datagrams (split on 0xFF 0xFF) into one receiver.
    let mut rx = RtpReceiver::default();
    let start = Instant::now();
    for (i, datagram) in data.split(|&b| b == 0xFF).enumerate() {
        let _ = rx.receive(start + Duration::from_millis(i as u64 * 20), datagram);
        let _ = rx.read_i16(160);
    }
    let stats = rx.stats();
    assert!(stats.lost <= stats.expected);
});
