//! Sans-IO RTP receiving: G.711 audio into the [`PacketManager`], telephone-events into
//! DTMF keys, and RFC 3550 reception statistics.
//!
//! The caller hands each datagram to [`RtpReceiver::receive`] with its arrival time, and
//! reads audio with [`RtpReceiver::read_i16`] / [`RtpReceiver::read_linear8`] at its own
//! pace (normally one frame every 20 ms) and keys with [`RtpReceiver::poll_dtmf`].
//!
//! # Sources
//! The audio source is the SSRC of the audio packets. When audio arrives with another
//! SSRC, the receiver switches to it: the jitter buffer and the per-source statistics
//! restart (counted in [`ReceiverStats::ssrc_changes`]). Which addresses may send at all is
//! the socket owner's decision. Telephone-events are accepted from any SSRC (some senders,
//! such as SIPp's pcap DTMF, use their own); only those of the audio source count in its
//! sequence statistics.
//!
//! # Bounds
//! The jitter buffer has a fixed capacity (see [`PacketManager`]); received keys wait in a
//! queue of `max_queued_dtmf` entries, dropping the oldest when full.

use crate::Error;
use crate::codec::AudioCodec;
use crate::dtmf_receiver::DtmfReceiver;
use crate::packet::RtpPacket;
use crate::packet_manager::{PacketManager, PacketManagerConfig, WriteOutcome};
use crate::telephone_event::DtmfKey;
use std::collections::VecDeque;
use std::time::Instant;

/// Configuration of an [`RtpReceiver`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpReceiverConfig {
    /// Audio payload type numbers and their codecs (from SDP).
    pub audio: Vec<(u8, AudioCodec)>,
    /// The telephone-event payload type number, if negotiated.
    pub telephone_event_payload_type: Option<u8>,
    /// The jitter buffer.
    pub manager: PacketManagerConfig,
    /// Most received keys kept until [`RtpReceiver::poll_dtmf`]; when full the oldest is
    /// dropped.
    pub max_queued_dtmf: usize,
}

impl Default for RtpReceiverConfig {
    /// PCMU on 0, PCMA on 8, telephone-event on 101, the default jitter buffer.
    fn default() -> Self {
        RtpReceiverConfig {
            audio: vec![(0, AudioCodec::Pcmu), (8, AudioCodec::Pcma)],
            telephone_event_payload_type: Some(101),
            manager: PacketManagerConfig::default(),
            max_queued_dtmf: 64,
        }
    }
}

impl RtpReceiverConfig {
    /// A configuration for the numbers negotiated in SDP: every PCMU/PCMA entry of `map`
    /// (or the static 0 and 8 when it has none) and its telephone-event number.
    pub fn from_payload_map(map: &crate::PayloadMap) -> Self {
        let mut audio: Vec<(u8, AudioCodec)> = map
            .iter()
            .filter_map(|(n, pt)| AudioCodec::from_payload_type(pt).map(|c| (n, c)))
            .collect();
        if audio.is_empty() {
            audio = vec![(0, AudioCodec::Pcmu), (8, AudioCodec::Pcma)];
        }
        RtpReceiverConfig {
            audio,
            telephone_event_payload_type: map.number_of(crate::PayloadType::TelephoneEvent),
            ..RtpReceiverConfig::default()
        }
    }
}

/// What [`RtpReceiver::receive`] did with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// Audio, handed to the jitter buffer with this outcome.
    Audio(WriteOutcome),
    /// A telephone-event; `Some` when it began a new key press.
    Event(Option<DtmfKey>),
    /// A payload type that was not configured (e.g. comfort noise): ignored.
    Ignored,
}

/// Reception statistics (RFC 3550 §6.4.1 and appendix A) for the audio source.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ReceiverStats {
    /// Valid RTP packets received, all payload types, duplicates included.
    pub packets: u64,
    /// Packets of the audio source (audio and its telephone-events) received once,
    /// duplicates excluded.
    pub received: u64,
    /// Packets of the audio source expected from the sequence numbers: highest extended
    /// minus first, plus one.
    pub expected: u64,
    /// `expected - received`, never negative (RFC 3550 A.3 counts duplicates as received
    /// and can go negative; here duplicates are counted apart).
    pub lost: u64,
    /// Packets of the audio source whose sequence number had been seen already, and audio
    /// the jitter buffer already held.
    pub duplicates: u64,
    /// Packets of the audio source that arrived after a higher sequence number.
    pub reordered: u64,
    /// Audio packets that arrived after their audio had been played out.
    pub late: u64,
    /// Packets with a payload type not configured, and RTCP packets multiplexed on the
    /// RTP port (RFC 5761).
    pub ignored: u64,
    /// Datagrams that failed to parse.
    pub malformed: u64,
    /// Times the audio SSRC changed (each change restarts the statistics of the source).
    pub ssrc_changes: u64,
    /// Interarrival jitter estimate in timestamp units (RFC 3550 A.8).
    pub jitter: f64,
    /// The highest extended sequence number (RFC 3550 A.1: cycles in the upper bits).
    pub extended_highest_sequence: u32,
}

#[derive(Debug, Clone, Copy)]
struct SourceState {
    ssrc: u32,
    /// Extended sequence number of the earliest packet of the current run.
    base: i64,
    max: u16,
    cycles: u32,
    /// Bit i set: sequence `max - i` was received.
    window: u128,
    last_transit: Option<i64>,
    received: u64,
    /// Packets expected in earlier runs (before a sequence restart).
    prior_expected: u64,
}

impl SourceState {
    fn new(ssrc: u32, seq: u16, prior_expected: u64) -> Self {
        SourceState {
            ssrc,
            base: i64::from(seq),
            max: seq,
            cycles: 0,
            window: 1,
            last_transit: None,
            received: 0,
            prior_expected,
        }
    }

    fn extended_max(&self) -> i64 {
        i64::from(self.cycles) + i64::from(self.max)
    }

    fn expected(&self) -> u64 {
        (self.extended_max() - self.base + 1).max(0) as u64
    }
}

/// Sequence jumps larger than this restart the sequence tracking (RFC 3550 A.1 MAX_DROPOUT).
const MAX_DROPOUT: u16 = 3000;
/// Sequence numbers this far behind the highest are "old" (RFC 3550 A.1 MAX_MISORDER).
const MAX_MISORDER: u16 = 100;

/// The sans-IO RTP receiver; see the module documentation.
#[derive(Debug, Clone)]
pub struct RtpReceiver {
    config: RtpReceiverConfig,
    manager: PacketManager,
    dtmf: DtmfReceiver,
    keys: VecDeque<DtmfKey>,
    source: Option<SourceState>,
    epoch: Option<Instant>,
    stats: ReceiverStats,
    decode_buf: Vec<i16>,
}

impl Default for RtpReceiver {
    fn default() -> Self {
        Self::new(RtpReceiverConfig::default())
    }
}

impl RtpReceiver {
    /// A receiver with the given configuration.
    pub fn new(config: RtpReceiverConfig) -> Self {
        RtpReceiver {
            manager: PacketManager::new(config.manager),
            config,
            dtmf: DtmfReceiver::new(),
            keys: VecDeque::new(),
            source: None,
            epoch: None,
            stats: ReceiverStats::default(),
            decode_buf: Vec::new(),
        }
    }

    /// The counters.
    pub fn stats(&self) -> ReceiverStats {
        self.stats
    }

    /// The jitter buffer.
    pub fn manager(&self) -> &PacketManager {
        &self.manager
    }

    /// The jitter buffer, mutably (to read or reset it directly).
    pub fn manager_mut(&mut self) -> &mut PacketManager {
        &mut self.manager
    }

    /// Handles one datagram that arrived at `now`.
    pub fn receive(&mut self, now: Instant, datagram: &[u8]) -> Result<Received, Error> {
        if crate::packet::is_rtcp(datagram) {
            // RTCP multiplexed on the RTP port (RFC 5761): not media.
            self.stats.ignored += 1;
            return Ok(Received::Ignored);
        }
        let packet = match RtpPacket::parse(datagram) {
            Ok(p) => p,
            Err(e) => {
                self.stats.malformed += 1;
                return Err(e);
            }
        };
        self.stats.packets += 1;
        let pt = packet.payload_type;
        if Some(pt) == self.config.telephone_event_payload_type {
            // Events from the audio source share its sequence space (RFC 4733 §2.1); events
            // from another SSRC (some senders use one) are not part of its statistics.
            if self.source.is_some_and(|s| s.ssrc == packet.ssrc) && !self.track_sequence(&packet) {
                self.stats.duplicates += 1;
            }
            let key = self
                .dtmf
                .handle(packet.ssrc, packet.timestamp, packet.payload)?;
            if let Some(k) = key {
                if self.keys.len() >= self.config.max_queued_dtmf.max(1) {
                    self.keys.pop_front();
                }
                self.keys.push_back(k);
            }
            return Ok(Received::Event(key));
        }
        let Some(&(_, codec)) = self.config.audio.iter().find(|(n, _)| *n == pt) else {
            self.stats.ignored += 1;
            return Ok(Received::Ignored);
        };
        if self.source.is_none_or(|s| s.ssrc != packet.ssrc) {
            self.switch_source(packet.ssrc, packet.sequence_number);
        }
        if !self.track_sequence(&packet) {
            self.stats.duplicates += 1;
            return Ok(Received::Audio(WriteOutcome::Duplicate));
        }
        self.update_jitter(now, &packet, codec);
        if packet.marker {
            self.manager.start_talk_spurt(packet.timestamp);
        }
        self.decode_buf.resize(packet.payload.len(), 0);
        codec.decode(packet.payload, &mut self.decode_buf);
        let outcome = self.manager.write(packet.timestamp, &self.decode_buf);
        match outcome {
            WriteOutcome::Late => self.stats.late += 1,
            WriteOutcome::Duplicate => self.stats.duplicates += 1,
            _ => {}
        }
        Ok(Received::Audio(outcome))
    }

    /// Starts tracking a new audio source: its audio and its statistics start afresh.
    fn switch_source(&mut self, ssrc: u32, seq: u16) {
        if self.source.is_some() {
            self.manager.reset();
            self.stats = ReceiverStats {
                packets: self.stats.packets,
                ignored: self.stats.ignored,
                malformed: self.stats.malformed,
                ssrc_changes: self.stats.ssrc_changes + 1,
                ..ReceiverStats::default()
            };
        }
        self.source = Some(SourceState::new(ssrc, seq, 0));
    }

    /// Updates sequence and loss state (RFC 3550 A.1, A.3) for a packet of the current
    /// source; false for a duplicate sequence number.
    fn track_sequence(&mut self, p: &RtpPacket<'_>) -> bool {
        let Some(src) = self.source.as_mut() else {
            return true;
        };
        let seq = p.sequence_number;
        if src.received > 0 {
            let delta = seq.wrapping_sub(src.max);
            if delta == 0 {
                return false;
            }
            if delta < MAX_DROPOUT {
                if seq < src.max {
                    src.cycles = src.cycles.wrapping_add(1 << 16);
                }
                src.max = seq;
                src.window = if delta >= 128 { 0 } else { src.window << delta } | 1;
            } else if delta > u16::MAX - MAX_MISORDER {
                let back = src.max.wrapping_sub(seq);
                if back < 128 {
                    if src.window & (1 << back) != 0 {
                        return false;
                    }
                    src.window |= 1 << back;
                }
                // Earlier than the first packet seen (the first ones were reordered): the
                // run starts here.
                src.base = src.base.min(src.extended_max() - i64::from(back));
                self.stats.reordered += 1;
            } else {
                // A big jump: the sender restarted its sequence. RFC 3550 A.1 waits for a
                // second packet to confirm; restarting at once keeps audio flowing. Loss
                // counted so far is kept.
                let prior = src.prior_expected + src.expected();
                let transit = src.last_transit;
                *src = SourceState::new(p.ssrc, seq, prior);
                src.last_transit = transit;
            }
        }
        src.received += 1;
        self.stats.received += 1;
        self.stats.extended_highest_sequence = src.cycles.wrapping_add(u32::from(src.max));
        self.stats.expected = src.prior_expected + src.expected();
        self.stats.lost = self.stats.expected.saturating_sub(self.stats.received);
        true
    }

    /// RFC 3550 A.8: J += (|D| - J) / 16, D the change in transit time. Timestamps wrap,
    /// so the difference is taken modulo 2^32 as a signed value.
    fn update_jitter(&mut self, now: Instant, p: &RtpPacket<'_>, codec: AudioCodec) {
        let Some(src) = self.source.as_mut() else {
            return;
        };
        let epoch = *self.epoch.get_or_insert(now);
        let arrival = (now.duration_since(epoch).as_nanos() * u128::from(codec.clock_rate())
            / 1_000_000_000) as i64;
        let transit = arrival.wrapping_sub(i64::from(p.timestamp));
        if let Some(last) = src.last_transit {
            let d = (transit.wrapping_sub(last) as i32).unsigned_abs();
            self.stats.jitter += (f64::from(d) - self.stats.jitter) / 16.0;
        }
        src.last_transit = Some(transit);
    }

    /// Next received DTMF key, in order of arrival.
    pub fn poll_dtmf(&mut self) -> Option<DtmfKey> {
        self.keys.pop_front()
    }

    /// Reads `n` samples of 16-bit linear audio (silence 0 where nothing arrived).
    pub fn read_i16(&mut self, n: usize) -> Vec<i16> {
        self.manager.read(n)
    }

    /// Reads `n` samples of pyVoIP's 8-bit unsigned linear audio (silence `0x80`).
    pub fn read_linear8(&mut self, n: usize) -> Vec<u8> {
        self.manager.read_linear8(n)
    }

    /// Fills `out` with 16-bit linear audio, without allocating.
    pub fn read_i16_into(&mut self, out: &mut [i16]) {
        self.manager.read_into(out);
    }

    /// Fills `out` with pyVoIP's 8-bit unsigned linear audio, without allocating.
    pub fn read_linear8_into(&mut self, out: &mut [u8]) {
        self.manager.read_linear8_into(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PayloadMap, PayloadType};
    use std::time::Duration;

    fn audio(pt: u8, seq: u16, ts: u32, ssrc: u32) -> Vec<u8> {
        RtpPacket::new(pt, seq, ts, ssrc, &[0xFF; 160])
            .to_vec()
            .unwrap()
    }

    #[test]
    fn negotiated_numbers_from_a_payload_map() {
        let mut map = PayloadMap::new();
        map.insert(96, PayloadType::Pcma).unwrap();
        map.insert(100, PayloadType::TelephoneEvent).unwrap();
        let mut rx = RtpReceiver::new(RtpReceiverConfig::from_payload_map(&map));
        let now = Instant::now();
        let body = [AudioCodec::Pcma.encode_sample(2000); 160];
        let wire = RtpPacket::new(96, 1, 0, 5, &body).to_vec().unwrap();
        assert_eq!(
            rx.receive(now, &wire),
            Ok(Received::Audio(WriteOutcome::Stored))
        );
        assert_eq!(rx.receive(now, &audio(0, 2, 160, 5)), Ok(Received::Ignored));
        let ev = RtpPacket::new(100, 3, 320, 5, &[9, 0x80, 0, 160])
            .to_vec()
            .unwrap();
        assert_eq!(rx.receive(now, &ev), Ok(Received::Event(Some(DtmfKey::D9))));
        assert_eq!(rx.poll_dtmf(), Some(DtmfKey::D9));
        assert_eq!(rx.poll_dtmf(), None);
        let out = rx.read_i16(480 + 160);
        assert_eq!(out[480], g711::alaw::decode(body[0]));
        let stats = rx.stats();
        assert_eq!((stats.packets, stats.received, stats.ignored), (3, 2, 1));
        assert_eq!(
            stats.lost, 1,
            "the ignored packet's sequence number counts as missing"
        );
    }

    #[test]
    fn jitter_follows_rfc3550_a8() {
        let mut rx = RtpReceiver::default();
        let t0 = Instant::now();
        rx.receive(t0, &audio(0, 1, 1000, 7)).unwrap();
        assert_eq!(rx.stats().jitter, 0.0);
        // 10 ms (80 units) later than the 20 ms pace: D = 80, J = 80/16.
        rx.receive(t0 + Duration::from_millis(30), &audio(0, 2, 1160, 7))
            .unwrap();
        assert_eq!(rx.stats().jitter, 5.0);
        // Back on pace: D = 80 again, J = 5 + (80 - 5)/16.
        rx.receive(t0 + Duration::from_millis(40), &audio(0, 3, 1320, 7))
            .unwrap();
        assert_eq!(rx.stats().jitter, 5.0 + 75.0 / 16.0);
    }

    #[test]
    fn a_new_ssrc_restarts_audio_and_statistics() {
        let mut rx = RtpReceiver::default();
        let now = Instant::now();
        rx.receive(now, &audio(0, 10, 0, 1)).unwrap();
        rx.receive(now, &audio(0, 12, 320, 1)).unwrap();
        assert_eq!(rx.stats().lost, 1);
        rx.receive(now, &audio(0, 500, 90_000, 2)).unwrap();
        let stats = rx.stats();
        assert_eq!(stats.ssrc_changes, 1);
        assert_eq!((stats.expected, stats.received, stats.lost), (1, 1, 0));
        assert_eq!(stats.packets, 3);
        assert_eq!(rx.manager().cursor(), Some(90_000 - 480));
    }

    #[test]
    fn sequence_tracking_wraps_and_detects_duplicates() {
        let mut rx = RtpReceiver::default();
        let now = Instant::now();
        for (i, seq) in [65_534u16, 65_535, 0, 2, 1, 1, 65_535]
            .into_iter()
            .enumerate()
        {
            rx.receive(now, &audio(0, seq, 160 * i as u32, 3)).unwrap();
        }
        let stats = rx.stats();
        assert_eq!(stats.extended_highest_sequence, 65_536 + 2);
        assert_eq!(stats.expected, 5);
        assert_eq!(stats.received, 5);
        assert_eq!(stats.duplicates, 2);
        assert_eq!(stats.reordered, 1);
    }

    #[test]
    fn end_packets_repeated_with_the_same_sequence_number() {
        // Some senders (SIPp's DTMF pcaps) start at duration 0 and repeat the final packet
        // with the same sequence number (RFC 2833 style) instead of new ones.
        let mut rx = RtpReceiver::default();
        let now = Instant::now();
        rx.receive(now, &audio(0, 99, 0, 4)).unwrap();
        let mut keys = Vec::new();
        for (seq, duration, end) in [
            (100, 0, false),
            (101, 320, false),
            (102, 640, true),
            (102, 640, true),
            (102, 640, true),
        ] {
            let d = (duration as u16).to_be_bytes();
            let payload = [11, if end { 0x80 | 10 } else { 10 }, d[0], d[1]];
            let wire = RtpPacket::new(101, seq, 160, 4, &payload).to_vec().unwrap();
            if let Received::Event(Some(k)) = rx.receive(now, &wire).unwrap() {
                keys.push(k);
            }
        }
        assert_eq!(keys, [DtmfKey::Pound]);
        let stats = rx.stats();
        assert_eq!(
            (stats.expected, stats.received, stats.lost, stats.duplicates),
            (4, 4, 0, 2)
        );
    }

    #[test]
    fn events_from_another_ssrc_give_keys_but_no_statistics() {
        let mut rx = RtpReceiver::default();
        let now = Instant::now();
        rx.receive(now, &audio(0, 1, 0, 1)).unwrap();
        let ev = RtpPacket::new(101, 9000, 4000, 2, &[1, 0, 0, 160])
            .to_vec()
            .unwrap();
        assert_eq!(rx.receive(now, &ev), Ok(Received::Event(Some(DtmfKey::D1))));
        assert_eq!(rx.receive(now, &ev), Ok(Received::Event(None)));
        rx.receive(now, &audio(0, 2, 160, 1)).unwrap();
        let stats = rx.stats();
        assert_eq!((stats.expected, stats.lost, stats.duplicates), (2, 0, 0));
        assert_eq!(
            rx.receive(now, &[0x81, 201, 0, 1, 0, 0, 0, 1]),
            Ok(Received::Ignored)
        );
        assert!(rx.receive(now, &[0x80, 0]).is_err());
        assert_eq!(rx.stats().malformed, 1);
    }
}
