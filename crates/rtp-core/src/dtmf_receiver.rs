//! Turns a stream of RFC 4733 telephone-event packets into one key per key press.
//!
//! A key press is one event, identified by its RTP timestamp (RFC 4733 §2.5.1.2: all packets
//! of an event carry the event's start time). Senders repeat packets while the key is held
//! and send the end packet three times (§2.5.1.4), and the network may lose, duplicate or
//! reorder any of them. The receiver therefore reports a key the first time it sees any
//! packet of a new event (start, update or end), and ignores every later packet with the
//! same source and timestamp. A lost start packet costs nothing; an event of which only an
//! end packet arrives is still reported once.
//!
//! Memory is bounded: the last 16 events are remembered exactly; a packet for an event
//! older than the newest one forgotten (per SSRC, for up to 8 SSRCs), or more than 5 s
//! behind the newest event, is taken as a stale retransmission and ignored.

use crate::Error;
use crate::telephone_event::{DtmfKey, TelephoneEvent};

/// How many recent events are remembered to recognise retransmissions.
const MEMORY: usize = 16;
/// How many sources keep a "forgotten up to" floor.
const FLOORS: usize = 8;

/// Default limit on how far (in timestamp units) a packet for an event not seen yet may lie
/// behind the newest event and still be reported: 5 s at 8 kHz.
pub const DEFAULT_MAX_LATENESS: u32 = 5 * 8000;

/// The sans-IO telephone-event receiver; see the module documentation.
#[derive(Debug, Clone)]
pub struct DtmfReceiver {
    recent: [Option<(u32, u32)>; MEMORY],
    next_slot: usize,
    /// Per SSRC, the newest timestamp evicted from `recent`: events not newer than it
    /// can no longer be told apart from retransmissions, so they are ignored.
    floors: Vec<(u32, u32)>,
    newest: Option<(u32, u32)>,
    current: Option<Current>,
    max_lateness: u32,
    duplicates: u64,
}

#[derive(Debug, Clone, Copy)]
struct Current {
    ssrc: u32,
    timestamp: u32,
    event: u8,
    ended: bool,
    duration: u16,
}

impl Default for DtmfReceiver {
    fn default() -> Self {
        Self::new()
    }
}

impl DtmfReceiver {
    /// A receiver with the default lateness limit ([`DEFAULT_MAX_LATENESS`]).
    pub fn new() -> Self {
        DtmfReceiver {
            recent: [None; MEMORY],
            next_slot: 0,
            floors: Vec::new(),
            newest: None,
            current: None,
            max_lateness: DEFAULT_MAX_LATENESS,
            duplicates: 0,
        }
    }

    /// Sets how far behind the newest event (in timestamp units) a packet of an unseen
    /// event may be and still count as a key press; older ones are treated as stale
    /// retransmissions of events already forgotten.
    pub fn with_max_lateness(mut self, units: u32) -> Self {
        self.max_lateness = units;
        self
    }

    /// Number of packets ignored because their event was already reported.
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// Handles one telephone-event packet: its SSRC, RTP timestamp and payload. Returns the
    /// key when this packet is the first one seen of a new key press. Event codes above 16
    /// (tones, RFC 4734) are tracked but never returned.
    pub fn handle(
        &mut self,
        ssrc: u32,
        timestamp: u32,
        payload: &[u8],
    ) -> Result<Option<DtmfKey>, Error> {
        let ev = TelephoneEvent::parse(payload)?;
        Ok(self.handle_event(ssrc, timestamp, ev))
    }

    /// As [`handle`](Self::handle), with an already parsed payload.
    pub fn handle_event(
        &mut self,
        ssrc: u32,
        timestamp: u32,
        ev: TelephoneEvent,
    ) -> Option<DtmfKey> {
        let id = (ssrc, timestamp);
        if self.recent.contains(&Some(id)) {
            self.duplicates += 1;
            if let Some(cur) = self
                .current
                .as_mut()
                .filter(|c| (c.ssrc, c.timestamp) == id)
            {
                cur.ended |= ev.end;
                cur.duration = cur.duration.max(ev.duration);
            }
            return None;
        }

        // RFC 4733 §2.5.1.3: an event longer than the 16-bit duration field continues as a
        // new segment whose timestamp is the previous one plus the previous duration.
        if let Some(cur) = self.current {
            let gap = timestamp.wrapping_sub(cur.timestamp);
            if cur.ssrc == ssrc
                && cur.event == ev.event
                && !cur.ended
                && (0xFF00..=0xFFFF).contains(&gap)
            {
                self.remember(ssrc, timestamp, ev);
                return None;
            }
        }

        if let Some(&(_, floor)) = self.floors.iter().find(|(s, _)| *s == ssrc)
            && (timestamp.wrapping_sub(floor) as i32) <= 0
        {
            self.duplicates += 1;
            return None;
        }
        if let Some((newest_ssrc, newest_ts)) = self.newest
            && newest_ssrc == ssrc
        {
            let behind = newest_ts.wrapping_sub(timestamp);
            if (behind as i32) > 0 && behind > self.max_lateness {
                self.duplicates += 1;
                return None;
            }
        }
        self.remember(ssrc, timestamp, ev);
        ev.key()
    }

    fn remember(&mut self, ssrc: u32, timestamp: u32, ev: TelephoneEvent) {
        if let Some((old_ssrc, old_ts)) = self.recent[self.next_slot] {
            match self.floors.iter_mut().find(|(s, _)| *s == old_ssrc) {
                Some((_, floor)) => {
                    if (old_ts.wrapping_sub(*floor) as i32) > 0 {
                        *floor = old_ts;
                    }
                }
                None => {
                    if self.floors.len() == FLOORS {
                        self.floors.remove(0);
                    }
                    self.floors.push((old_ssrc, old_ts));
                }
            }
        }
        self.recent[self.next_slot] = Some((ssrc, timestamp));
        self.next_slot = (self.next_slot + 1) % MEMORY;
        let newer = match self.newest {
            Some((s, t)) if s == ssrc => (timestamp.wrapping_sub(t) as i32) > 0,
            _ => true,
        };
        if newer {
            self.newest = Some((ssrc, timestamp));
            self.current = Some(Current {
                ssrc,
                timestamp,
                event: ev.event,
                ended: ev.end,
                duration: ev.duration,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtmf_sender::dtmf_packets;

    fn press(key: DtmfKey, ts: u32, ms: u32) -> Vec<(u32, [u8; 4])> {
        dtmf_packets(key, ts, (ms * 8) as u16, 160, 10)
            .map(|p| (p.timestamp, p.event.to_bytes()))
            .collect()
    }

    fn run(rx: &mut DtmfReceiver, packets: &[(u32, [u8; 4])]) -> String {
        packets
            .iter()
            .filter_map(|(ts, payload)| rx.handle(7, *ts, payload).unwrap())
            .map(|k| k.as_char())
            .collect()
    }

    #[test]
    fn one_key_per_press_with_redundant_end_packets() {
        let mut packets = Vec::new();
        for (i, key) in "123#".chars().enumerate() {
            packets.extend(press(
                DtmfKey::from_char(key).unwrap(),
                1000 + i as u32 * 2000,
                100,
            ));
        }
        let mut rx = DtmfReceiver::new();
        assert_eq!(run(&mut rx, &packets), "123#");
        // 4 presses x (5 updates + 2 extra end packets) - 4 first packets
        assert_eq!(rx.duplicates(), 4 * 7 - 4);
    }

    #[test]
    fn same_key_twice_is_two_presses() {
        let mut packets = press(DtmfKey::D5, 0, 60);
        packets.extend(press(DtmfKey::D5, 1600, 60));
        assert_eq!(run(&mut DtmfReceiver::new(), &packets), "55");
    }

    #[test]
    fn lost_start_and_only_end_packets() {
        let mut a = press(DtmfKey::D1, 0, 100);
        a.drain(..2); // start and first update lost
        let b: Vec<_> = press(DtmfKey::D2, 2000, 100)
            .into_iter()
            .rev()
            .take(1)
            .collect(); // only one end packet
        let mut packets = a;
        packets.extend(b);
        assert_eq!(run(&mut DtmfReceiver::new(), &packets), "12");
    }

    #[test]
    fn retransmissions_and_reordering_within_a_press() {
        let mut packets = press(DtmfKey::Star, 500, 200);
        packets.reverse();
        let dup = packets.clone();
        packets.extend(dup);
        assert_eq!(run(&mut DtmfReceiver::new(), &packets), "*");
    }

    #[test]
    fn flash_and_non_dtmf_events() {
        let mut rx = DtmfReceiver::new();
        assert_eq!(
            rx.handle(1, 10, &[16, 0x80, 0, 160]).unwrap(),
            Some(DtmfKey::Flash)
        );
        assert_eq!(rx.handle(1, 2000, &[32, 0x80, 0, 160]).unwrap(), None);
        assert!(rx.handle(1, 3000, &[1, 2]).is_err());
    }

    #[test]
    fn timestamps_wrap() {
        let mut packets = press(DtmfKey::D9, u32::MAX - 100, 100);
        packets.extend(press(DtmfKey::D8, 1900, 100));
        assert_eq!(run(&mut DtmfReceiver::new(), &packets), "98");
    }

    #[test]
    fn stale_retransmission_of_forgotten_event_is_ignored() {
        let mut rx = DtmfReceiver::new();
        let mut packets = Vec::new();
        for i in 0..20u32 {
            packets.extend(press(DtmfKey::D0, i * 8000, 60));
        }
        assert_eq!(run(&mut rx, &packets).len(), 20);
        // The first event's end packet again, 19 s late: it fell out of memory, and is stale.
        assert_eq!(run(&mut rx, &packets[..1]), "");
    }

    #[test]
    fn forgotten_events_are_not_reported_twice() {
        // Found by the telephone_event fuzz target: 17 fast presses push the first out of
        // memory; its retransmission 1.7 s later (within the lateness limit) must not count.
        let mut rx = DtmfReceiver::new();
        let mut packets = Vec::new();
        for i in 0..17u32 {
            packets.extend(press(DtmfKey::D1, i * 800, 40));
        }
        assert_eq!(run(&mut rx, &packets).len(), 17);
        assert_eq!(run(&mut rx, &packets[..3]), "");
        // A genuinely new press still counts.
        assert_eq!(run(&mut rx, &press(DtmfKey::D2, 17 * 800, 40)), "2");
    }

    #[test]
    fn long_event_segments_are_one_press() {
        let mut rx = DtmfReceiver::new();
        let seg1 = TelephoneEvent {
            event: 3,
            end: false,
            volume: 10,
            duration: 0xFFFF,
        };
        let seg2 = TelephoneEvent {
            event: 3,
            end: true,
            volume: 10,
            duration: 800,
        };
        assert_eq!(rx.handle_event(1, 100, seg1), Some(DtmfKey::D3));
        assert_eq!(rx.handle_event(1, 100 + 0xFFFF, seg2), None);
        assert_eq!(
            rx.handle_event(1, 100 + 0xFFFF + 4000, seg2),
            Some(DtmfKey::D3)
        );
    }

    #[test]
    fn different_sources_are_independent() {
        let mut rx = DtmfReceiver::new();
        assert_eq!(
            rx.handle(1, 500, &[4, 0x80, 0, 160]).unwrap(),
            Some(DtmfKey::D4)
        );
        assert_eq!(
            rx.handle(2, 500, &[4, 0x80, 0, 160]).unwrap(),
            Some(DtmfKey::D4)
        );
        assert_eq!(rx.handle(2, 500, &[4, 0x80, 0, 160]).unwrap(), None);
    }
}
