//! The RFC 4733 packet sequence for one key press.

use crate::telephone_event::{DtmfKey, TelephoneEvent};

/// How many times the final packet of an event is sent (RFC 4733 §2.5.1.4).
pub const END_PACKET_COPIES: usize = 3;

/// One packet of a telephone-event sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPacket {
    /// Set on the first packet of the event only (RFC 4733 §2.5.1.2).
    pub marker: bool,
    /// The RTP timestamp: the event's start, the same for every packet of the event.
    pub timestamp: u32,
    /// When to send this packet, in timestamp units after the event start.
    pub send_offset: u32,
    /// The payload.
    pub event: TelephoneEvent,
}

/// The packets for one key press held for `duration` timestamp units, sent every
/// `interval` units starting at RTP timestamp `start` (RFC 4733 §2.5.1):
///
/// - packet *k* is sent at `start + k*interval`, with duration `min((k+1)*interval, duration)`;
/// - the first has the marker bit; all carry timestamp `start`;
/// - the packet that reaches `duration` has the E bit and is sent 3 times in all, one
///   interval apart, with the same duration.
///
/// A zero `interval` is treated as 1. Durations beyond 65,535 units (8.19 s at 8 kHz)
/// would need RFC 4733 §2.5.1.3 segments, which this sender does not produce.
pub fn dtmf_packets(
    key: DtmfKey,
    start: u32,
    duration: u16,
    interval: u32,
    volume: u8,
) -> impl ExactSizeIterator<Item = EventPacket> + Clone {
    let interval = interval.max(1);
    let duration_u32 = u32::from(duration);
    let updates = duration_u32.div_ceil(interval).max(1);
    let total = updates as usize + END_PACKET_COPIES - 1;
    (0..total).map(move |k| {
        let k = k as u32;
        let end = k + 1 >= updates;
        let so_far = ((k + 1).saturating_mul(interval)).min(duration_u32) as u16;
        EventPacket {
            marker: k == 0,
            timestamp: start,
            send_offset: k * interval,
            event: TelephoneEvent {
                event: key.code(),
                end,
                volume: volume.min(63),
                duration: so_far,
            },
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hundred_ms_digit_at_20ms_packets() {
        let pkts: Vec<_> = dtmf_packets(DtmfKey::D7, 4000, 800, 160, 10).collect();
        assert_eq!(pkts.len(), 5 + 2);
        let durations: Vec<u16> = pkts.iter().map(|p| p.event.duration).collect();
        assert_eq!(durations, [160, 320, 480, 640, 800, 800, 800]);
        let ends: Vec<bool> = pkts.iter().map(|p| p.event.end).collect();
        assert_eq!(ends, [false, false, false, false, true, true, true]);
        let markers: Vec<bool> = pkts.iter().map(|p| p.marker).collect();
        assert_eq!(markers, [true, false, false, false, false, false, false]);
        assert!(
            pkts.iter()
                .all(|p| p.timestamp == 4000 && p.event.event == 7 && p.event.volume == 10)
        );
        let offsets: Vec<u32> = pkts.iter().map(|p| p.send_offset).collect();
        assert_eq!(offsets, [0, 160, 320, 480, 640, 800, 960]);
    }

    #[test]
    fn duration_not_a_multiple_of_the_interval() {
        let pkts: Vec<_> = dtmf_packets(DtmfKey::Pound, 0, 250, 160, 70).collect();
        let durations: Vec<u16> = pkts.iter().map(|p| p.event.duration).collect();
        assert_eq!(durations, [160, 250, 250, 250]);
        assert!(pkts.iter().all(|p| p.event.volume == 63));
        assert!(!pkts[0].event.end && pkts[1..].iter().all(|p| p.event.end));
    }

    #[test]
    fn zero_duration_is_three_end_packets() {
        let pkts: Vec<_> = dtmf_packets(DtmfKey::A, 9, 0, 0, 0).collect();
        assert_eq!(pkts.len(), 3);
        assert!(pkts.iter().all(|p| p.event.end && p.event.duration == 0));
        assert!(pkts[0].marker);
    }
}
