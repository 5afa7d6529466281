//! A fixed-delay jitter buffer for decoded audio: pyVoIP's `RTPPacketManager`, done properly.
//!
//! Payloads are decoded to 16-bit linear samples and placed by RTP timestamp in a ring
//! buffer, so a late or reordered packet fills exactly its own hole. Reading always
//! returns the requested number of samples, with silence wherever nothing arrived.
//!
//! # Timing
//! The buffer keeps a read cursor, an RTP timestamp. The first payload written sets it to
//! `timestamp - playout_delay`, so reading starts `playout_delay` samples before the first
//! audio. Every read advances the cursor by the amount read, whether audio was there or
//! not. When the caller reads in real time (one 20 ms frame every 20 ms), a packet that
//! arrives up to `playout_delay` later than the first packet's pace still lands before it
//! is read: jitter up to the playout delay costs no audio. At the start of each talk spurt
//! (marker bit, [`PacketManager::start_talk_spurt`]) an idle buffer is re-anchored the same
//! way, so clock drift between sender and reader cannot make the latency creep up across
//! silences.
//!
//! # Memory and latency policy
//! The buffer holds at most `capacity` samples ahead of the cursor (default 2 s at 8 kHz;
//! 32 KiB of samples plus one flag byte per sample), allocated once, and keeps at most
//! `max_latency` samples of audio ahead of the cursor (default 500 ms).
//! - A payload that would end more than `max_latency` ahead (the reader stalled, or the
//!   sender's clock runs faster than the reader's) drops the oldest unread audio so the
//!   payload lands `playout_delay` ahead again (counted in
//!   [`ManagerStats::overflow_samples`]): one glitch instead of an ever-growing delay.
//! - The newest audio arriving late into an empty buffer means the reader overtook the
//!   stream (its clock runs faster, or the network delay grew): the timeline restarts
//!   `playout_delay` behind that payload ([`ManagerStats::resets`]) instead of dropping
//!   every packet from then on. Late packets that are not the newest (stragglers) are
//!   dropped as late ([`ManagerStats::late_samples`]); a late head is cut off.
//! - A payload that starts two capacities or more ahead of the cursor, or ends more than a
//!   whole capacity behind it, is taken as a new timeline (sender restarted, timestamp
//!   jump): the buffer is emptied and restarted at that payload ([`ManagerStats::resets`]).
//!   pyVoIP wipes its buffer in the same spirit past 100,000 bytes, but never bounds the
//!   forward direction.
//!
//! Timestamps are 32-bit and wrap; all comparisons use serial-number arithmetic.

/// Sizing and delay of a [`PacketManager`], in samples (timestamp units).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketManagerConfig {
    /// Samples the buffer can hold ahead of the read cursor (at least 2).
    pub capacity: usize,
    /// Samples of silence read before the first audio, which is how much jitter is
    /// absorbed. Clamped to `capacity / 2`.
    pub playout_delay: u32,
    /// Most audio (in samples) allowed ahead of the read cursor. When a payload would end
    /// further ahead (the reader stalled, or the sender's clock runs faster), the oldest
    /// audio is dropped so the payload lands `playout_delay` ahead again: one glitch
    /// instead of an ever-growing delay. Clamped to `playout_delay + 1 ..= capacity`.
    pub max_latency: usize,
}

impl Default for PacketManagerConfig {
    /// 2 s of capacity, 60 ms of playout delay and 500 ms of maximum latency at 8 kHz.
    fn default() -> Self {
        PacketManagerConfig {
            capacity: 16_000,
            playout_delay: 480,
            max_latency: 4_000,
        }
    }
}

/// What [`PacketManager::write`] did with a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    /// New samples were stored (possibly after dropping a late head or old samples).
    Stored,
    /// Every sample was already there: a duplicate, ignored.
    Duplicate,
    /// Everything lay behind the read cursor: too late, dropped.
    Late,
    /// The payload restarted the timeline (timestamp jump, or the reader had overtaken
    /// the stream); the buffer was emptied first and the payload stored.
    Reset,
}

/// Counters kept by a [`PacketManager`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ManagerStats {
    /// Samples stored.
    pub stored_samples: u64,
    /// Samples ignored because the same position was already filled.
    pub duplicate_samples: u64,
    /// Samples dropped because they arrived after their position was read.
    pub late_samples: u64,
    /// Unread samples dropped because the window had to slide forward.
    pub overflow_samples: u64,
    /// Samples read where nothing had arrived (silence inserted), after the first write.
    pub silence_samples: u64,
    /// Times the buffer restarted its timeline (timestamp jump, or the reader had
    /// overtaken the stream).
    pub resets: u64,
}

/// The jitter buffer; see the module documentation.
#[derive(Debug, Clone)]
pub struct PacketManager {
    samples: Box<[i16]>,
    filled: Box<[bool]>,
    /// Ring index of the read cursor.
    head: usize,
    /// RTP timestamp of the read cursor; `None` until the first write.
    cursor: Option<u32>,
    /// Filled slots ahead of the cursor.
    buffered: usize,
    delay: u32,
    max_latency: usize,
    /// RTP timestamp just after the newest sample ever written.
    newest_end: Option<u32>,
    stats: ManagerStats,
}

impl Default for PacketManager {
    fn default() -> Self {
        Self::new(PacketManagerConfig::default())
    }
}

impl PacketManager {
    /// An empty buffer.
    pub fn new(config: PacketManagerConfig) -> Self {
        let capacity = config.capacity.max(2);
        let delay = config.playout_delay.min((capacity / 2) as u32);
        PacketManager {
            samples: vec![0; capacity].into_boxed_slice(),
            filled: vec![false; capacity].into_boxed_slice(),
            head: 0,
            cursor: None,
            buffered: 0,
            delay,
            max_latency: config.max_latency.clamp(delay as usize + 1, capacity),
            newest_end: None,
            stats: ManagerStats::default(),
        }
    }

    /// The capacity in samples.
    pub fn capacity(&self) -> usize {
        self.samples.len()
    }

    /// The playout delay in samples.
    pub fn playout_delay(&self) -> u32 {
        self.delay
    }

    /// The most audio, in samples, kept ahead of the read cursor.
    pub fn max_latency(&self) -> usize {
        self.max_latency
    }

    /// The RTP timestamp of the next sample [`read`](Self::read) returns, once known.
    pub fn cursor(&self) -> Option<u32> {
        self.cursor
    }

    /// Samples received and not yet read.
    pub fn buffered(&self) -> usize {
        self.buffered
    }

    /// The counters.
    pub fn stats(&self) -> ManagerStats {
        self.stats
    }

    /// Forgets all audio and the timeline; the next write starts a new one. Counters stay.
    pub fn reset(&mut self) {
        self.filled.fill(false);
        self.head = 0;
        self.cursor = None;
        self.buffered = 0;
        self.newest_end = None;
    }

    /// Marks the start of a talk spurt (an RTP packet with the marker bit) at `timestamp`.
    /// If no audio is waiting, the cursor is re-anchored `playout_delay` before it, as for
    /// the first packet: the latency goes back to the playout delay after each silence,
    /// so a sender clock slightly faster than the reader's cannot make it creep up.
    /// Returns whether the cursor moved.
    pub fn start_talk_spurt(&mut self, timestamp: u32) -> bool {
        if self.buffered != 0 {
            return false;
        }
        let anchor = timestamp.wrapping_sub(self.delay);
        if self.cursor == Some(anchor) {
            return false;
        }
        self.reset();
        self.start_timeline(timestamp);
        true
    }

    /// Places 16-bit linear samples whose first sample has RTP timestamp `timestamp`.
    pub fn write(&mut self, timestamp: u32, samples: &[i16]) -> WriteOutcome {
        self.write_samples(timestamp, samples)
    }

    /// Places pyVoIP-style 8-bit unsigned linear samples (silence `0x80`).
    pub fn write_linear8(&mut self, timestamp: u32, samples: &[u8]) -> WriteOutcome {
        let wide: Vec<i16> = samples.iter().map(|&s| g711::linear8::to_i16(s)).collect();
        self.write_samples(timestamp, &wide)
    }

    fn write_samples(&mut self, timestamp: u32, samples: &[i16]) -> WriteOutcome {
        let len = samples.len();
        if len == 0 {
            return WriteOutcome::Duplicate;
        }
        let cap = self.capacity() as i64;
        let mut outcome = WriteOutcome::Stored;
        let cursor = match self.cursor {
            Some(c) => c,
            None => self.start_timeline(timestamp),
        };
        let mut offset = timestamp.wrapping_sub(cursor) as i32 as i64;
        let end = offset + len as i64;
        // The newest audio so far arriving late into an empty buffer means the reader has
        // overtaken the stream (its clock runs faster than the sender's, or the network
        // delay grew): start again `playout_delay` behind it rather than dropping every
        // packet from now on. A late packet that is not the newest is a straggler.
        let newest = self
            .newest_end
            .is_none_or(|n| (timestamp.wrapping_sub(n) as i32) >= 0);
        let overtaken = offset < 0 && newest && self.buffered == 0;
        if offset >= 2 * cap || end < -cap || overtaken {
            self.reset();
            self.stats.resets += 1;
            self.start_timeline(timestamp);
            offset = i64::from(self.delay);
            outcome = WriteOutcome::Reset;
        } else if end <= 0 {
            self.stats.late_samples += len as u64;
            return WriteOutcome::Late;
        }
        let end_ts = timestamp.wrapping_add(len as u32);
        if newest || self.newest_end.is_none() {
            self.newest_end = Some(end_ts);
        }
        let mut skip = 0usize;
        if offset < 0 {
            skip = (-offset) as usize;
            self.stats.late_samples += skip as u64;
            offset = 0;
        }
        // Too long for the window: only the newest `max_latency` samples can be kept.
        let remaining = len - skip;
        if remaining > self.max_latency {
            let trim = remaining - self.max_latency;
            skip += trim;
            offset += trim as i64;
        }
        let keep = len - skip;
        let end = offset + keep as i64;
        let max_latency = self.max_latency as i64;
        if end > max_latency {
            // Drop the oldest audio so this payload starts `playout_delay` ahead (or, if it
            // is longer than the window allows, so it ends at the maximum latency).
            let shift = (offset - i64::from(self.delay)).max(end - max_latency);
            self.advance(shift as usize, None);
            offset -= shift;
        }
        // `offset + keep <= cap` here, so the slots are at most two contiguous runs.
        let mut new = 0u64;
        let cap = self.samples.len();
        let mut slot = (self.head + offset as usize) % cap;
        let mut src = &samples[skip..];
        while !src.is_empty() {
            let run = src.len().min(cap - slot);
            let (now, rest) = src.split_at(run);
            let filled = &mut self.filled[slot..slot + run];
            let dst = &mut self.samples[slot..slot + run];
            if !filled.contains(&true) {
                // The usual case: a hole exactly the packet's size.
                dst.copy_from_slice(now);
                filled.fill(true);
                new += run as u64;
            } else {
                for ((d, f), &v) in dst.iter_mut().zip(filled.iter_mut()).zip(now) {
                    if !*f {
                        *f = true;
                        *d = v;
                        new += 1;
                    }
                }
            }
            src = rest;
            slot = (slot + run) % cap;
        }
        self.buffered += new as usize;
        self.stats.stored_samples += new;
        self.stats.duplicate_samples += keep as u64 - new;
        if new == 0 && outcome == WriteOutcome::Stored {
            WriteOutcome::Duplicate
        } else {
            outcome
        }
    }

    fn start_timeline(&mut self, timestamp: u32) -> u32 {
        let cursor = timestamp.wrapping_sub(self.delay);
        self.cursor = Some(cursor);
        cursor
    }

    /// Moves the cursor `n` samples on, copying them into `out` if given (silence where
    /// nothing arrived) and freeing their slots.
    fn advance(&mut self, n: usize, mut out: Option<&mut [i16]>) {
        let cap = self.samples.len();
        let Some(cursor) = self.cursor else {
            if let Some(out) = out {
                out.fill(0);
            }
            return;
        };
        let overflow = out.is_none();
        let mut slot = self.head;
        let mut done = 0;
        while done < n {
            let run = (n - done).min(cap - slot);
            let filled = &mut self.filled[slot..slot + run];
            let present = filled.iter().filter(|&&f| f).count();
            if let Some(out) = out.as_deref_mut() {
                let src = &self.samples[slot..slot + run];
                for ((o, &v), &f) in out[done..done + run].iter_mut().zip(src).zip(filled.iter()) {
                    *o = if f { v } else { 0 };
                }
            }
            filled.fill(false);
            self.buffered -= present;
            if overflow {
                self.stats.overflow_samples += present as u64;
            } else {
                self.stats.silence_samples += (run - present) as u64;
            }
            done += run;
            slot = (slot + run) % cap;
        }
        self.head = (self.head + n) % cap;
        self.cursor = Some(cursor.wrapping_add(n as u32));
    }

    /// Fills `out` with the next samples; silence (0) where nothing arrived. Advances the
    /// cursor by `out.len()`. Before the first write, returns silence and stays put.
    pub fn read_into(&mut self, out: &mut [i16]) {
        self.advance(out.len(), Some(out));
    }

    /// Reads `n` samples of 16-bit linear audio; see [`read_into`](Self::read_into).
    pub fn read(&mut self, n: usize) -> Vec<i16> {
        let mut out = vec![0; n];
        self.read_into(&mut out);
        out
    }

    /// Reads `out.len()` samples as pyVoIP's 8-bit unsigned linear audio (silence `0x80`).
    pub fn read_linear8_into(&mut self, out: &mut [u8]) {
        const CHUNK: usize = 320;
        let mut tmp = [0i16; CHUNK];
        for chunk in out.chunks_mut(CHUNK) {
            let tmp = &mut tmp[..chunk.len()];
            self.read_into(tmp);
            for (o, &s) in chunk.iter_mut().zip(tmp.iter()) {
                *o = g711::linear8::from_i16(s);
            }
        }
    }

    /// Reads `n` samples as pyVoIP's 8-bit unsigned linear audio, like pyVoIP's
    /// `RTPPacketManager.read(length)`: always exactly `n` bytes, `0x80` for silence.
    pub fn read_linear8(&mut self, n: usize) -> Vec<u8> {
        let mut out = vec![0; n];
        self.read_linear8_into(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(seed: i16, n: usize) -> Vec<i16> {
        (0..n)
            .map(|i| seed.wrapping_mul(100).wrapping_add(i as i16 + 1))
            .collect()
    }

    fn no_delay(capacity: usize) -> PacketManager {
        PacketManager::new(PacketManagerConfig {
            capacity,
            playout_delay: 0,
            max_latency: capacity,
        })
    }

    #[test]
    fn reads_are_exact_length_and_silent_before_audio() {
        let mut m = PacketManager::default();
        assert_eq!(m.read(7), vec![0; 7]);
        assert_eq!(m.read_linear8(3), vec![0x80; 3]);
        assert_eq!(m.cursor(), None);
        m.write(1000, &frame(1, 160));
        assert_eq!(m.cursor(), Some(1000 - 480));
        assert_eq!(m.read(480), vec![0; 480]);
        assert_eq!(m.read(160), frame(1, 160));
        assert_eq!(m.read(10), vec![0; 10]);
    }

    #[test]
    fn reordered_packets_fill_their_holes_and_gaps_are_silent() {
        let mut m = no_delay(4000);
        m.write(0, &frame(1, 160));
        m.write(480, &frame(4, 160));
        m.write(160, &frame(2, 160));
        let out = m.read(640);
        assert_eq!(&out[..160], &frame(1, 160)[..]);
        assert_eq!(&out[160..320], &frame(2, 160)[..]);
        assert_eq!(&out[320..480], &[0; 160][..]);
        assert_eq!(&out[480..], &frame(4, 160)[..]);
        assert_eq!(m.stats().silence_samples, 160);
    }

    #[test]
    fn duplicates_are_ignored_first_copy_wins() {
        let mut m = no_delay(4000);
        assert_eq!(m.write(0, &frame(1, 160)), WriteOutcome::Stored);
        assert_eq!(m.write(0, &frame(9, 160)), WriteOutcome::Duplicate);
        assert_eq!(m.buffered(), 160);
        assert_eq!(m.read(160), frame(1, 160));
        assert_eq!(m.stats().duplicate_samples, 160);
    }

    #[test]
    fn late_packets_are_dropped_partly_late_keep_their_tail() {
        let mut m = no_delay(4000);
        m.write(1000, &frame(1, 50));
        m.write(1200, &frame(2, 50));
        assert_eq!(
            m.read(100),
            frame(1, 50).into_iter().chain([0; 50]).collect::<Vec<_>>()
        );
        assert_eq!(m.write(900, &frame(9, 100)), WriteOutcome::Late);
        // A straggler covering 1060..1120 with the cursor at 1100: 40 late, 20 stored.
        assert_eq!(m.write(1060, &frame(3, 60)), WriteOutcome::Stored);
        let out = m.read(120);
        assert_eq!(&out[..20], &frame(3, 60)[40..]);
        assert!(out[20..100].iter().all(|&s| s == 0));
        assert_eq!(&out[100..], &frame(2, 50)[..20]);
        assert_eq!(m.stats().late_samples, 140);
    }

    #[test]
    fn a_reader_that_overtook_the_stream_re_anchors() {
        // The reader's clock runs fast: it has read past the newest audio, so the next
        // packet is late although nothing was lost. Start again `playout_delay` behind it.
        let mut m = PacketManager::new(PacketManagerConfig {
            capacity: 4000,
            playout_delay: 320,
            ..Default::default()
        });
        m.write(0, &frame(1, 160));
        m.read(320 + 160 + 200);
        assert_eq!(m.write(160, &frame(2, 160)), WriteOutcome::Reset);
        assert_eq!(m.cursor(), Some(160u32.wrapping_sub(320)));
        assert_eq!(m.read(320), vec![0; 320]);
        assert_eq!(m.read(160), frame(2, 160));
        assert_eq!(m.stats().late_samples, 0);
    }

    #[test]
    fn latency_beyond_the_maximum_drops_back_to_the_playout_delay() {
        // The reader stalled (or the sender runs fast): audio piles up past 500 samples.
        let mut m = PacketManager::new(PacketManagerConfig {
            capacity: 4000,
            playout_delay: 160,
            max_latency: 500,
        });
        m.write(0, &frame(1, 160)); // offsets 160..320
        m.write(160, &frame(2, 160)); // 320..480
        assert_eq!(m.stats().overflow_samples, 0);
        m.write(320, &frame(3, 160)); // would end at 640 > 500
        // Dropped until frame 3 starts 160 ahead: 320 samples, of which frame 1 was audio.
        assert_eq!(m.stats().overflow_samples, 160);
        assert_eq!(m.cursor(), Some(160));
        let expected: Vec<i16> = [0; 0]
            .into_iter()
            .chain(frame(2, 160))
            .chain(frame(3, 160))
            .collect();
        assert_eq!(m.read(320), expected);
    }

    #[test]
    fn playout_delay_absorbs_jitter_in_real_time() {
        // Packet k is due at 20k ms but arrives up to 40 ms late; one 160-sample read every
        // 20 ms; a 60 ms delay loses nothing.
        let mut m = PacketManager::new(PacketManagerConfig {
            capacity: 8000,
            playout_delay: 480,
            ..Default::default()
        });
        let lateness = [0u64, 40, 10, 35, 0, 39, 5, 20, 30, 0];
        let mut arrivals: Vec<(u64, usize)> = lateness
            .iter()
            .enumerate()
            .map(|(k, l)| (20 * k as u64 + l, k))
            .collect();
        arrivals.sort();
        let mut out = Vec::new();
        let mut next = 0;
        for t in (0..400).step_by(20) {
            while next < arrivals.len() && arrivals[next].0 <= t {
                let k = arrivals[next].1;
                m.write(5000 + 160 * k as u32, &frame(k as i16 + 1, 160));
                next += 1;
            }
            out.extend(m.read(160));
        }
        let audio: Vec<i16> = out.into_iter().skip(480).take(1600).collect();
        let expected: Vec<i16> = (0..10).flat_map(|k| frame(k + 1, 160)).collect();
        assert_eq!(audio, expected);
        assert_eq!(m.stats().late_samples, 0);
    }

    #[test]
    fn timestamps_wrap_around() {
        let mut m = no_delay(4000);
        let start = u32::MAX - 100;
        m.write(start, &frame(1, 160));
        m.write(start.wrapping_add(320), &frame(3, 160));
        m.write(start.wrapping_add(160), &frame(2, 160));
        let out = m.read(480);
        let expected: Vec<i16> = (1..=3).flat_map(|k| frame(k, 160)).collect();
        assert_eq!(out, expected);
        assert_eq!(m.cursor(), Some(start.wrapping_add(480)));
    }

    #[test]
    fn window_slides_when_the_reader_falls_behind() {
        let mut m = no_delay(480);
        for k in 0..5u32 {
            m.write(k * 160, &frame(k as i16 + 1, 160));
        }
        // 800 samples written into a 480-sample window: when the 4th packet did not fit,
        // the window moved so that it starts at the cursor (playout delay 0), dropping 3.
        assert_eq!(m.stats().overflow_samples, 480);
        assert_eq!(m.buffered(), 320);
        assert_eq!(m.cursor(), Some(480));
        let expected: Vec<i16> = (4..=5).flat_map(|k| frame(k, 160)).collect();
        assert_eq!(m.read(320), expected);
    }

    #[test]
    fn far_jumps_start_a_new_timeline() {
        let mut m = PacketManager::new(PacketManagerConfig {
            capacity: 1000,
            playout_delay: 100,
            ..Default::default()
        });
        m.write(0, &frame(1, 160));
        assert_eq!(m.write(1_000_000, &frame(2, 160)), WriteOutcome::Reset);
        assert_eq!(m.cursor(), Some(1_000_000 - 100));
        assert_eq!(m.buffered(), 160);
        assert_eq!(m.write(500, &frame(3, 160)), WriteOutcome::Reset);
        assert_eq!(m.stats().resets, 2);
        assert_eq!(m.read(100), vec![0; 100]);
        assert_eq!(m.read(160), frame(3, 160));
    }

    #[test]
    fn oversized_payload_keeps_its_newest_samples() {
        let mut m = no_delay(100);
        let big = frame(1, 250);
        assert_eq!(m.write(0, &big), WriteOutcome::Stored);
        assert_eq!(m.buffered(), 100);
        assert_eq!(m.cursor(), Some(150));
        assert_eq!(m.read(100), big[150..].to_vec());
    }

    #[test]
    fn overlapping_payloads_fill_only_the_missing_part() {
        let mut m = no_delay(200);
        m.write(0, &frame(1, 160));
        m.read(100);
        // 60..260 with the cursor at 100: 40 late, 60 already there, 100 new (wrapping
        // the ring end at slot 200).
        assert_eq!(m.write(60, &frame(2, 200)), WriteOutcome::Stored);
        // 240..280: 20 already there, 20 new.
        assert_eq!(m.write(240, &frame(4, 40)), WriteOutcome::Stored);
        assert_eq!(m.write(100, &frame(5, 20)), WriteOutcome::Duplicate);
        let out = m.read(200);
        assert_eq!(&out[..60], &frame(1, 160)[100..]);
        assert_eq!(&out[60..160], &frame(2, 200)[100..]);
        assert_eq!(&out[160..180], &frame(4, 40)[20..]);
        assert!(out[180..].iter().all(|&s| s == 0));
        assert_eq!(m.stats().duplicate_samples, 60 + 20 + 20);
        assert_eq!(m.stats().late_samples, 40);
    }

    #[test]
    fn reads_longer_than_the_capacity() {
        let mut m = no_delay(100);
        m.write(0, &frame(1, 100));
        let out = m.read(250);
        assert_eq!(&out[..100], &frame(1, 100)[..]);
        assert!(out[100..].iter().all(|&s| s == 0));
        assert_eq!(m.cursor(), Some(250));
        assert_eq!(m.buffered(), 0);
    }

    #[test]
    fn talk_spurts_re_anchor_only_an_idle_buffer() {
        let mut m = PacketManager::new(PacketManagerConfig {
            capacity: 4000,
            playout_delay: 320,
            ..Default::default()
        });
        m.write(0, &frame(1, 160));
        assert!(!m.start_talk_spurt(160), "audio is waiting");
        m.read(480);
        // The sender's clock ran 100 samples fast over the silence: re-anchor.
        assert!(m.start_talk_spurt(8100));
        assert_eq!(m.cursor(), Some(8100 - 320));
        m.write(8100, &frame(2, 160));
        assert_eq!(m.read(320), vec![0; 320]);
        assert_eq!(m.read(160), frame(2, 160));
        // Cursor now 8260: a talk spurt at 8580 (= 8260 + delay) changes nothing.
        assert!(!m.start_talk_spurt(8580));
        assert_eq!(m.cursor(), Some(8260));
    }

    #[test]
    fn payload_longer_than_max_latency_with_defaults() {
        // A 625 ms datagram (5000 PCMU bytes) into the default 500 ms latency bound.
        let mut m = PacketManager::default();
        let big = frame(3, 5000);
        assert_eq!(m.write(0, &big), WriteOutcome::Stored);
        assert_eq!(m.buffered(), 4000);
        assert_eq!(m.cursor(), Some(1000));
        assert_eq!(m.read(4000), big[1000..].to_vec());
    }

    #[test]
    fn linear8_in_and_out() {
        let mut m = no_delay(100);
        m.write_linear8(0, &[0x80, 0xFF, 0x00, 0x90]);
        assert_eq!(m.read_linear8(6), vec![0x80, 0xFF, 0x00, 0x90, 0x80, 0x80]);
    }
}
