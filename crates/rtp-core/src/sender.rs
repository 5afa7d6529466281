//! Sans-IO RTP sending: packetisation, pacing and DTMF interleaving, with no clock inside.
//!
//! The caller writes linear audio into a bounded queue and calls
//! [`RtpSender::poll_transmit`] with the current time; the sender writes each packet that is
//! due into the caller's buffer. Packet *k* is due at `start + k * ptime`, computed from the
//! absolute start, so late polls never accumulate drift (pyVoIP sleeps "whatever is left of
//! 20 ms" after each send, which drifts and jitters). [`RtpSender::poll_timeout`] says when
//! to call again.
//!
//! Each packet carries `ptime` worth of audio (160 samples = 20 ms at 8 kHz), encoded with
//! the configured G.711 codec; its RTP timestamp is `initial_timestamp + k * ptime`.
//! Audio shorter than a packet is padded with silence; with no audio queued the sender
//! sends silence (or nothing, with `send_silence: false`, and then the next audio packet
//! starts a new talk spurt with the marker bit).
//!
//! DTMF ([`RtpSender::send_dtmf`]) is sent as RFC 4733 telephone-events in the same SSRC and
//! timestamp space: the event's timestamp is the tick at which it starts, one event packet
//! replaces the audio packet at each tick, and audio is suppressed meanwhile (the audio
//! queue pauses and resumes after the event and a short gap, as a new talk spurt).

use crate::Error;
use crate::codec::AudioCodec;
use crate::dtmf_sender::{EventPacket, dtmf_packets};
use crate::packet::{FIXED_HEADER_LEN, RtpPacket};
use crate::telephone_event::{DtmfKey, TELEPHONE_EVENT_LEN};
use std::collections::VecDeque;
use std::hash::{BuildHasher, RandomState};
use std::time::{Duration, Instant};

/// Configuration of an [`RtpSender`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpSenderConfig {
    /// The SSRC.
    pub ssrc: u32,
    /// The first sequence number (RFC 3550 says random).
    pub initial_sequence: u16,
    /// The first RTP timestamp (RFC 3550 says random).
    pub initial_timestamp: u32,
    /// The audio codec.
    pub codec: AudioCodec,
    /// The audio payload type number (the codec's static number unless SDP says
    /// otherwise), 0-127: a larger one makes [`RtpSender::poll_transmit`] fail.
    pub payload_type: u8,
    /// The negotiated telephone-event payload type number, 0-127.
    pub telephone_event_payload_type: u8,
    /// Samples per packet (160 = 20 ms at 8 kHz). At least 1.
    pub ptime_samples: u32,
    /// Send silence packets when no audio is queued (pyVoIP does); `false` sends nothing.
    pub send_silence: bool,
    /// Most samples the audio queue holds; writes beyond it are refused.
    pub max_queued_samples: usize,
    /// Volume of sent DTMF events, in -dBm0 (RFC 4733 §2.3.4), 0-63.
    pub dtmf_volume: u8,
    /// Audio packets (ticks) between two queued DTMF events.
    pub dtmf_gap_packets: u32,
    /// Most DTMF events waiting to be sent.
    pub max_queued_dtmf: usize,
    /// When polled late, the most overdue packets sent at once; older ticks are skipped
    /// (their queued audio dropped, the timestamp advanced) so the stream stays real-time.
    pub max_burst: u32,
}

impl RtpSenderConfig {
    /// A configuration for `codec` with a random SSRC, sequence number and timestamp
    /// (from the standard library's randomly seeded hasher), 20 ms packets, silence when
    /// idle, 60 s of audio queue, DTMF on payload type 101 at volume 10 with a 40 ms gap.
    pub fn new(codec: AudioCodec) -> Self {
        let random = RandomState::new().hash_one(Instant::now());
        RtpSenderConfig {
            ssrc: random as u32,
            initial_sequence: (random >> 32) as u16,
            initial_timestamp: RandomState::new().hash_one(random) as u32,
            codec,
            payload_type: codec.number(),
            telephone_event_payload_type: 101,
            ptime_samples: 160,
            send_silence: true,
            max_queued_samples: 60 * 8000,
            dtmf_volume: 10,
            dtmf_gap_packets: 2,
            max_queued_dtmf: 64,
            max_burst: 10,
        }
    }
}

/// Counters kept by an [`RtpSender`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SenderStats {
    /// Packets written.
    pub packets: u64,
    /// Payload bytes written.
    pub payload_bytes: u64,
    /// Audio packets that carried only silence because the queue was empty.
    pub silence_packets: u64,
    /// Telephone-event packets written.
    pub event_packets: u64,
    /// Ticks skipped because the caller polled too late.
    pub skipped_packets: u64,
    /// Samples refused because the queue was full.
    pub refused_samples: u64,
}

/// A sent packet's description, returned by [`RtpSender::poll_transmit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transmit {
    /// Bytes written into the caller's buffer.
    pub len: usize,
    /// The packet's sequence number.
    pub sequence_number: u16,
    /// The packet's RTP timestamp.
    pub timestamp: u32,
    /// True for a telephone-event packet.
    pub is_event: bool,
}

/// The sans-IO RTP sender; see the module documentation.
#[derive(Debug, Clone)]
pub struct RtpSender {
    config: RtpSenderConfig,
    start: Option<Instant>,
    ptime: Duration,
    /// Index of the next tick to send.
    tick: u64,
    sequence: u16,
    audio: VecDeque<i16>,
    dtmf: VecDeque<(DtmfKey, u16)>,
    event: Option<(Vec<EventPacket>, usize)>,
    gap: u32,
    marker: bool,
    sending: bool,
    stats: SenderStats,
}

/// Most bytes a packet from this sender can take with a `ptime_samples` of 160.
pub const MAX_PACKET_LEN_20MS: usize = FIXED_HEADER_LEN + 160;

impl RtpSender {
    /// A sender that has not started yet; the first poll starts it.
    pub fn new(mut config: RtpSenderConfig) -> Self {
        config.ptime_samples = config.ptime_samples.max(1);
        let ptime = Duration::from_nanos(
            u64::from(config.ptime_samples) * 1_000_000_000 / u64::from(config.codec.clock_rate()),
        );
        RtpSender {
            sequence: config.initial_sequence,
            config,
            start: None,
            ptime,
            tick: 0,
            audio: VecDeque::new(),
            dtmf: VecDeque::new(),
            event: None,
            gap: 0,
            marker: true,
            sending: true,
            stats: SenderStats::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &RtpSenderConfig {
        &self.config
    }

    /// The counters.
    pub fn stats(&self) -> SenderStats {
        self.stats
    }

    /// Samples waiting in the audio queue.
    pub fn queued_samples(&self) -> usize {
        self.audio.len()
    }

    /// The packet interval.
    pub fn ptime(&self) -> Duration {
        self.ptime
    }

    /// Starts the clock: the first packet is due at `now`. Polling starts it too.
    pub fn start(&mut self, now: Instant) {
        if self.start.is_none() {
            self.start = Some(now);
        }
    }

    /// Queues 16-bit linear audio (8 kHz mono); returns how many samples were accepted
    /// (fewer when the queue is full).
    pub fn write_i16(&mut self, samples: &[i16]) -> usize {
        let room = self
            .config
            .max_queued_samples
            .saturating_sub(self.audio.len());
        let n = samples.len().min(room);
        self.audio.extend(&samples[..n]);
        self.stats.refused_samples += (samples.len() - n) as u64;
        n
    }

    /// Queues pyVoIP's 8-bit unsigned linear audio (silence `0x80`); returns how many
    /// samples were accepted.
    pub fn write_linear8(&mut self, samples: &[u8]) -> usize {
        let room = self
            .config
            .max_queued_samples
            .saturating_sub(self.audio.len());
        let n = samples.len().min(room);
        self.audio
            .extend(samples[..n].iter().map(|&s| g711::linear8::to_i16(s)));
        self.stats.refused_samples += (samples.len() - n) as u64;
        n
    }

    /// Applies the negotiated media direction (pyVoIP's `TransmitType`): with `recvonly`
    /// or `inactive` (e.g. on hold) no packets are sent, while media time keeps running so
    /// timestamps stay consistent; queued audio and DTMF wait, and the first packet after
    /// sending resumes starts a new talk spurt (marker bit).
    pub fn set_direction(&mut self, direction: crate::TransmitType) {
        self.sending = direction.sends();
    }

    /// Drops all queued audio.
    pub fn clear_audio(&mut self) {
        self.audio.clear();
    }

    /// Queues a DTMF key press of the given length (rounded to whole timestamp units,
    /// at most 8.19 s). Errors when `max_queued_dtmf` events are already waiting.
    pub fn send_dtmf(&mut self, key: DtmfKey, duration: Duration) -> Result<(), Error> {
        if self.dtmf.len() >= self.config.max_queued_dtmf {
            return Err(Error::InvalidField {
                field: "DTMF queue",
                reason: "too many events waiting to be sent",
            });
        }
        let units =
            duration.as_nanos() * u128::from(self.config.codec.clock_rate()) / 1_000_000_000;
        self.dtmf
            .push_back((key, units.min(u128::from(u16::MAX)) as u16));
        Ok(())
    }

    /// When the next packet is due, once started.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.start.map(|s| s + self.next_due())
    }

    /// When the next packet is due, as media time since the start (packet *k* is due at
    /// *k* × ptime).
    pub fn next_due(&self) -> Duration {
        self.ptime
            .saturating_mul(u32::try_from(self.tick).unwrap_or(u32::MAX))
    }

    fn tick_timestamp(&self, tick: u64) -> u32 {
        self.config
            .initial_timestamp
            .wrapping_add((tick as u32).wrapping_mul(self.config.ptime_samples))
    }

    /// Writes the next due packet into `buf` and describes it, or returns `None` when no
    /// packet is due at `now`. Call until it returns `None`, then wait for
    /// [`poll_timeout`](Self::poll_timeout). The first call (or [`start`](Self::start))
    /// fixes the start of the schedule. `buf` needs `12 + ptime_samples` bytes
    /// ([`MAX_PACKET_LEN_20MS`] for 20 ms).
    pub fn poll_transmit(
        &mut self,
        now: Instant,
        buf: &mut [u8],
    ) -> Result<Option<Transmit>, Error> {
        let start = *self.start.get_or_insert(now);
        self.poll_transmit_media(now.saturating_duration_since(start), buf)
    }

    /// As [`poll_transmit`](Self::poll_transmit), with the time given as media time since
    /// the start of the stream instead of an [`Instant`]: for callers that keep their own
    /// clock (a sound card's sample counter, a simulation).
    pub fn poll_transmit_media(
        &mut self,
        elapsed: Duration,
        buf: &mut [u8],
    ) -> Result<Option<Transmit>, Error> {
        let needed =
            FIXED_HEADER_LEN + (self.config.ptime_samples as usize).max(TELEPHONE_EVENT_LEN);
        if buf.len() < needed {
            return Err(Error::BufferTooSmall {
                needed,
                available: buf.len(),
            });
        }
        loop {
            if elapsed < self.next_due() {
                return Ok(None);
            }
            if !self.sending {
                let due_ticks = (elapsed.as_nanos() / self.ptime.as_nanos().max(1)) as u64 + 1;
                self.stats.skipped_packets += due_ticks - self.tick;
                self.tick = due_ticks;
                self.marker = true;
                return Ok(None);
            }
            // Ticks due by now: skip the oldest beyond the burst limit.
            let due_ticks = (elapsed.as_nanos() / self.ptime.as_nanos().max(1)) as u64 + 1;
            let behind = due_ticks.saturating_sub(self.tick);
            let burst = u64::from(self.config.max_burst.max(1));
            if behind > burst {
                let skip = behind - burst;
                self.tick += skip;
                self.stats.skipped_packets += skip;
                let drop = (skip as usize).saturating_mul(self.config.ptime_samples as usize);
                self.audio.drain(..drop.min(self.audio.len()));
                self.marker = true;
            }
            let tick = self.tick;
            self.tick += 1;
            if let Some(t) = self.next_packet(tick, buf)? {
                return Ok(Some(t));
            }
        }
    }

    /// Convenience over [`poll_transmit`](Self::poll_transmit): every packet due at `now`,
    /// each in its own `Vec`.
    pub fn poll_packets(&mut self, now: Instant) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut buf = vec![
            0;
            FIXED_HEADER_LEN
                + (self.config.ptime_samples as usize).max(TELEPHONE_EVENT_LEN)
        ];
        while let Ok(Some(t)) = self.poll_transmit(now, &mut buf) {
            out.push(buf[..t.len].to_vec());
        }
        out
    }

    /// Builds the packet for `tick`, or `None` when nothing is sent at that tick.
    fn next_packet(&mut self, tick: u64, buf: &mut [u8]) -> Result<Option<Transmit>, Error> {
        if self.event.is_none()
            && self.gap == 0
            && let Some((key, units)) = self.dtmf.pop_front()
        {
            let packets = dtmf_packets(
                key,
                self.tick_timestamp(tick),
                units,
                self.config.ptime_samples,
                self.config.dtmf_volume,
            )
            .collect();
            self.event = Some((packets, 0));
        }
        if let Some((packets, index)) = &mut self.event {
            let p = packets[*index];
            *index += 1;
            if *index == packets.len() {
                self.event = None;
                self.gap = self.config.dtmf_gap_packets;
                self.marker = true;
            }
            let payload = p.event.to_bytes();
            let mut packet = RtpPacket::new(
                self.config.telephone_event_payload_type,
                self.sequence,
                p.timestamp,
                self.config.ssrc,
                &payload,
            );
            packet.marker = p.marker;
            return self.emit_event(&packet, buf).map(Some);
        }
        self.gap = self.gap.saturating_sub(1);

        let n = self.config.ptime_samples as usize;
        if self.audio.is_empty() {
            if !self.config.send_silence {
                self.marker = true;
                return Ok(None);
            }
            self.stats.silence_packets += 1;
        }
        let silence = self.config.codec.silence();
        let payload = &mut buf[FIXED_HEADER_LEN..FIXED_HEADER_LEN + n];
        let have = n.min(self.audio.len());
        // The queue is a ring: encode its (at most two) contiguous parts with the slice
        // encoder, which is much faster than sample by sample.
        let (first, second) = self.audio.as_slices();
        let from_first = have.min(first.len());
        let codec = self.config.codec;
        codec.encode(&first[..from_first], &mut payload[..from_first]);
        codec.encode(&second[..have - from_first], &mut payload[from_first..have]);
        self.audio.drain(..have);
        payload[have..].fill(silence);
        // Header written in place around the payload already in `buf`.
        let header = RtpPacket {
            marker: std::mem::take(&mut self.marker),
            ..RtpPacket::new(
                self.config.payload_type,
                self.sequence,
                self.tick_timestamp(tick),
                self.config.ssrc,
                &[],
            )
        };
        header.marshal_to(&mut buf[..FIXED_HEADER_LEN])?;
        self.sequence = self.sequence.wrapping_add(1);
        self.stats.packets += 1;
        self.stats.payload_bytes += n as u64;
        Ok(Some(Transmit {
            len: FIXED_HEADER_LEN + n,
            sequence_number: header.sequence_number,
            timestamp: header.timestamp,
            is_event: false,
        }))
    }

    fn emit_event(&mut self, packet: &RtpPacket<'_>, buf: &mut [u8]) -> Result<Transmit, Error> {
        let len = packet.marshal_to(buf)?;
        self.sequence = self.sequence.wrapping_add(1);
        self.stats.packets += 1;
        self.stats.payload_bytes += packet.payload.len() as u64;
        self.stats.event_packets += 1;
        Ok(Transmit {
            len,
            sequence_number: packet.sequence_number,
            timestamp: packet.timestamp,
            is_event: true,
        })
    }
}
