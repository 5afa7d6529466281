//! Property tests: serialize then parse gives the same packet; parsing arbitrary bytes
//! never panics; telephone-events round-trip.

use proptest::prelude::*;
use rtp_core::{Csrcs, Extension, RtpPacket, TelephoneEvent};

#[derive(Debug, Clone)]
struct Owned {
    marker: bool,
    payload_type: u8,
    sequence_number: u16,
    timestamp: u32,
    ssrc: u32,
    csrc: Vec<u32>,
    extension: Option<(u16, Vec<u8>)>,
    payload: Vec<u8>,
    padding: u8,
}

impl Owned {
    fn view(&self) -> RtpPacket<'_> {
        RtpPacket {
            marker: self.marker,
            payload_type: self.payload_type,
            sequence_number: self.sequence_number,
            timestamp: self.timestamp,
            ssrc: self.ssrc,
            csrc: Csrcs::from_values(&self.csrc),
            extension: self.extension.as_ref().map(|(p, d)| Extension::new(*p, d)),
            payload: &self.payload,
            padding: self.padding,
        }
    }
}

fn packet() -> impl Strategy<Value = Owned> {
    (
        any::<bool>(),
        0u8..128,
        any::<u16>(),
        any::<u32>(),
        any::<u32>(),
        prop::collection::vec(any::<u32>(), 0..=15),
        prop::option::of((any::<u16>(), prop::collection::vec(any::<[u8; 4]>(), 0..8))),
        prop::collection::vec(any::<u8>(), 0..300),
        any::<u8>(),
    )
        .prop_map(
            |(
                marker,
                payload_type,
                sequence_number,
                timestamp,
                ssrc,
                csrc,
                ext,
                payload,
                padding,
            )| Owned {
                marker,
                payload_type,
                sequence_number,
                timestamp,
                ssrc,
                csrc,
                extension: ext.map(|(p, words)| (p, words.concat())),
                payload,
                padding,
            },
        )
}

proptest! {
    #[test]
    fn serialize_then_parse_is_identity(p in packet()) {
        let view = p.view();
        let mut buf = vec![0u8; view.marshal_size() + 3];
        let n = view.marshal_to(&mut buf).unwrap();
        prop_assert_eq!(n, view.marshal_size());
        let parsed = RtpPacket::parse(&buf[..n]).unwrap();
        prop_assert_eq!(parsed, view);
        prop_assert_eq!(parsed.csrc.iter().collect::<Vec<_>>(), p.csrc.clone());
        // And parse then serialize gives the same bytes back.
        prop_assert_eq!(parsed.to_vec().unwrap(), buf[..n].to_vec());
    }

    #[test]
    fn parsing_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(p) = RtpPacket::parse(&bytes) {
            prop_assert!(p.header_len() + p.payload.len() + p.padding as usize == bytes.len());
            prop_assert_eq!(p.to_vec().unwrap().len(), bytes.len());
            if let Some(ext) = p.extension {
                for element in ext.elements() {
                    let _ = element;
                }
            }
        }
    }

    #[test]
    fn parsing_corrupted_packets_never_panics(p in packet(), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4), cut in any::<prop::sample::Index>()) {
        let mut wire = p.view().to_vec().unwrap();
        for (at, value) in flips {
            let i = at.index(wire.len());
            wire[i] = value;
        }
        let cut = cut.index(wire.len() + 1);
        let _ = RtpPacket::parse(&wire[..cut]);
    }

    #[test]
    fn telephone_events_round_trip(event in any::<u8>(), end in any::<bool>(), volume in 0u8..64, duration in any::<u16>()) {
        let ev = TelephoneEvent { event, end, volume, duration };
        prop_assert_eq!(TelephoneEvent::parse(&ev.to_bytes()), Ok(ev));
    }
}

proptest! {
    #[test]
    fn packet_manager_stays_consistent_under_any_operations(
        capacity in 2usize..2000,
        delay in 0u32..1000,
        max_latency in 0usize..3000,
        ops in prop::collection::vec((any::<bool>(), any::<u32>(), 0usize..700), 1..60),
    ) {
        let mut m = rtp_core::PacketManager::new(rtp_core::PacketManagerConfig {
            capacity,
            playout_delay: delay,
            max_latency,
        });
        let mut base = 0u32;
        for (is_read, jitter, n) in ops {
            if is_read {
                let before = m.cursor();
                prop_assert_eq!(m.read(n).len(), n);
                if let Some(c) = before {
                    prop_assert_eq!(m.cursor(), Some(c.wrapping_add(n as u32)));
                }
            } else {
                // Mostly near the stream, sometimes far away.
                let ts = if jitter % 7 == 0 { jitter } else { base.wrapping_add(jitter % 4000) };
                base = base.wrapping_add(160);
                m.write(ts, &vec![1; n]);
            }
            prop_assert!(m.buffered() <= m.max_latency());
            prop_assert!(m.max_latency() <= m.capacity());
        }
        let rest = m.buffered();
        let stats = m.stats();
        prop_assert_eq!(stats.stored_samples >= rest as u64, true);
    }
}

proptest! {
    #[test]
    fn extension_elements_round_trip(
        one in prop::collection::vec((1u8..=14, prop::collection::vec(any::<u8>(), 1..=16)), 0..10),
        two in prop::collection::vec((1u8..=255, prop::collection::vec(any::<u8>(), 0..=40)), 0..10),
    ) {
        use rtp_core::extension::{write_one_byte_elements, write_two_byte_elements, ONE_BYTE_PROFILE, TWO_BYTE_PROFILE};
        use rtp_core::ExtensionElement;
        let mut buf = [0u8; 1024];
        let els: Vec<ExtensionElement<'_>> = one.iter().map(|(id, d)| ExtensionElement { id: *id, data: d }).collect();
        let n = write_one_byte_elements(&els, &mut buf).unwrap();
        prop_assert_eq!(n % 4, 0);
        let back: Vec<_> = Extension::new(ONE_BYTE_PROFILE, &buf[..n]).elements().collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(back, els);

        let els: Vec<ExtensionElement<'_>> = two.iter().map(|(id, d)| ExtensionElement { id: *id, data: d }).collect();
        let n = write_two_byte_elements(&els, &mut buf).unwrap();
        prop_assert_eq!(n % 4, 0);
        let ext = Extension::new(TWO_BYTE_PROFILE, &buf[..n]);
        let back: Vec<_> = ext.elements().collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(&back, &els);
        // And inside a packet.
        let payload = [1u8, 2, 3];
        let mut p = RtpPacket::new(96, 1, 2, 3, &payload);
        p.extension = Some(ext);
        let wire = p.to_vec().unwrap();
        let parsed = RtpPacket::parse(&wire).unwrap();
        let again: Vec<_> = parsed.extension.unwrap().elements().collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(again, els);
    }
}
