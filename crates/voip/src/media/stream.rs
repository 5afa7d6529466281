//! [`MediaStream`]: one call's RTP stream and the handle the call uses.

use super::engine::{LatchPolicy, TickOutput};
use super::playback::Playback;
use super::ports::PortLease;
use super::{MediaConfig, MediaError};
use crate::sdp_negotiation::NegotiatedMedia;
use rtp_core::{
    AudioCodec, DtmfKey, Received, ReceiverStats, RtpPacket, RtpReceiver, RtpReceiverConfig,
    RtpSender, RtpSenderConfig, SenderStats, TransmitType, WriteOutcome,
};
use std::collections::VecDeque;
use std::net::UdpSocket;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Samples per second of everything we carry (G.711).
const RATE: u64 = 8000;
/// Most samples one read may ask for (60 s); larger requests are clamped.
const MAX_READ: usize = 60 * 8000;

/// The socket and its port, closed and given back together (the socket first).
#[derive(Debug)]
pub(crate) struct SocketLease {
    pub(crate) socket: UdpSocket,
    _lease: PortLease,
}

/// Counters of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MediaStats {
    /// What was sent (all packets since the stream started, across re-negotiations).
    pub sender: SenderStats,
    /// What was received from the current source (RFC 3550 loss and jitter).
    pub receiver: ReceiverStats,
    /// Packets the kernel refused to send (socket buffer full, unreachable): dropped.
    pub send_errors: u64,
    /// Packets dropped because they came from an address we do not accept.
    pub rejected_source: u64,
    /// Packets accepted from the SDP's host but another port than the SDP's (pyVoIP 2.0
    /// sends from an ephemeral socket); we keep sending to the SDP's port.
    pub other_port_packets: u64,
    /// Packets dropped because our direction does not receive, or before negotiation.
    pub dropped_not_receiving: u64,
    /// Outgoing audio samples waiting in the queue.
    pub queued_samples: usize,
}

impl MediaStats {
    /// Interarrival jitter in milliseconds (RFC 3550 A.8 at 8 kHz).
    pub fn jitter_ms(&self) -> f64 {
        self.receiver.jitter / 8.0
    }
}

fn add_sender_stats(total: &mut SenderStats, s: SenderStats) {
    total.packets += s.packets;
    total.payload_bytes += s.payload_bytes;
    total.silence_packets += s.silence_packets;
    total.event_packets += s.event_packets;
    total.skipped_packets += s.skipped_packets;
    total.refused_samples += s.refused_samples;
}

/// Private, CGNAT, link-local or unique-local: an address the peer cannot be reached at
/// from outside its network.
fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private() || v4.is_link_local() || (o[0] == 100 && (o[1] & 0xC0) == 64)
        }
        IpAddr::V6(v6) => {
            let s = v6.segments()[0];
            (s & 0xFE00) == 0xFC00 || (s & 0xFFC0) == 0xFE80
        }
    }
}

/// The sender's packet time: the negotiated one rounded down to the 20 ms clock.
fn ptime_samples(ptime_ms: u32) -> u32 {
    (ptime_ms / 20 * 20).clamp(20, 60) * 8
}

#[derive(Debug)]
struct StreamState {
    stopped: bool,
    socket: Option<Arc<SocketLease>>,
    media: Option<NegotiatedMedia>,
    /// Where RTP goes: the SDP address, or the latched source; `None` when we cannot send.
    send_to: Option<SocketAddr>,
    latched: bool,

    sender: Option<RtpSender>,
    /// Rebuild the sender before the next packet (codec change, or resuming after a pause).
    rebuild: bool,
    ssrc: u32,
    /// Sequence number, timestamp and time of the last packet sent.
    last_sent: Option<(u16, u32, Instant)>,
    sent_before: SenderStats,
    queue: VecDeque<i16>,
    /// Samples ever accepted into / taken out of the queue (sent or flushed).
    written: u64,
    consumed: u64,
    pending_dtmf: VecDeque<DtmfKey>,

    receiver: RtpReceiver,
    /// The receiver's figures when the stream stopped (its buffers are freed then).
    receiver_final: Option<ReceiverStats>,
    /// RTP timestamp just past the newest audio received, and when it arrived.
    newest: Option<(u32, Instant)>,
    /// Before the first packet of the current receiver: when it started and how many
    /// samples of silence reads have returned since.
    silent_since: Option<(Instant, u64)>,
    digits: VecDeque<char>,

    send_errors: u64,
    rejected_source: u64,
    other_port_packets: u64,
    dropped_not_receiving: u64,
}

impl StreamState {
    fn can_send(&self) -> bool {
        !self.stopped
            && self.send_to.is_some()
            && self.media.as_ref().is_some_and(|m| m.direction.sends())
    }

    /// Frees what a stopped stream no longer needs, keeping its figures: the jitter
    /// buffer (14 KiB), the queued audio and the sender. A phone keeps an ended call (and
    /// so its stream) for 32 s to answer retransmissions; at a hundred calls a second
    /// that is thousands of stopped streams, which held 100 MiB in a soak before this.
    fn release_buffers(&mut self) {
        self.queue = VecDeque::new();
        self.pending_dtmf = VecDeque::new();
        if let Some(sender) = self.sender.take() {
            add_sender_stats(&mut self.sent_before, sender.stats());
        }
        self.receiver_final = Some(self.receiver.stats());
        self.receiver = RtpReceiver::new(RtpReceiverConfig {
            manager: rtp_core::PacketManagerConfig {
                capacity: 2,
                playout_delay: 0,
                max_latency: 1,
            },
            ..RtpReceiverConfig::default()
        });
    }

    fn receives(&self) -> bool {
        self.media.as_ref().is_some_and(|m| m.direction.receives())
    }

    /// A new sender for the current media, continuing the sequence numbers and the
    /// timestamp clock of the previous one (RFC 3550: same SSRC, timestamps follow time).
    fn rebuild_sender(&mut self, now: Instant, config: &MediaConfig) {
        let Some(media) = &self.media else { return };
        let mut c = RtpSenderConfig::new(media.codec);
        c.ssrc = self.ssrc;
        c.payload_type = media.payload_type;
        c.telephone_event_payload_type = media.dtmf_payload_type.unwrap_or(101);
        c.ptime_samples = ptime_samples(media.ptime);
        // The stream keeps its own queue and tops the sender up one packet at a time.
        c.max_queued_samples = 2 * c.ptime_samples as usize;
        c.max_queued_dtmf = config.max_pending_dtmf;
        if let Some((seq, ts, at)) = self.last_sent {
            c.initial_sequence = seq.wrapping_add(1);
            let ptime = Duration::from_nanos(u64::from(c.ptime_samples) * 1_000_000_000 / RATE);
            let ticks = (now.saturating_duration_since(at).as_nanos() / ptime.as_nanos()).max(1);
            c.initial_timestamp = ts.wrapping_add((ticks as u32).wrapping_mul(c.ptime_samples));
        }
        if let Some(old) = self.sender.take() {
            add_sender_stats(&mut self.sent_before, old.stats());
        }
        let mut sender = RtpSender::new(c);
        if media.dtmf_payload_type.is_some() {
            let duration = config.dtmf_duration;
            while let Some(key) = self.pending_dtmf.pop_front() {
                if sender.send_dtmf(key, duration).is_err() {
                    self.pending_dtmf.push_front(key);
                    break;
                }
            }
        }
        self.sender = Some(sender);
        self.rebuild = false;
    }

    /// Moves queued audio into the sender until it holds one packet.
    fn top_up(&mut self) {
        let Some(sender) = self.sender.as_mut() else {
            return;
        };
        let want = sender.config().ptime_samples as usize;
        let have = sender.queued_samples();
        if have >= want || self.queue.is_empty() {
            return;
        }
        let n = (want - have).min(self.queue.len());
        let (a, b) = self.queue.as_slices();
        let na = n.min(a.len());
        sender.write_i16(&a[..na]);
        sender.write_i16(&b[..n - na]);
        self.queue.drain(..n);
        self.consumed += n as u64;
    }

    fn stats(&self) -> MediaStats {
        let mut sender = self.sent_before;
        if let Some(s) = &self.sender {
            add_sender_stats(&mut sender, s.stats());
        }
        MediaStats {
            sender,
            receiver: self.receiver_final.unwrap_or_else(|| self.receiver.stats()),
            send_errors: self.send_errors,
            rejected_source: self.rejected_source,
            other_port_packets: self.other_port_packets,
            dropped_not_receiving: self.dropped_not_receiving,
            queued_samples: self.queue.len(),
        }
    }
}

fn receiver_config(media: Option<&NegotiatedMedia>, config: &MediaConfig) -> RtpReceiverConfig {
    let mut c = RtpReceiverConfig {
        manager: config.jitter_buffer,
        ..RtpReceiverConfig::default()
    };
    if let Some(m) = media {
        let mut audio = m.receive_audio.clone();
        // Be liberal: the static G.711 numbers too, unless renumbered.
        for (n, codec) in [(0, AudioCodec::Pcmu), (8, AudioCodec::Pcma)] {
            if !audio.iter().any(|(x, _)| *x == n) && m.receive_dtmf_payload_type != Some(n) {
                audio.push((n, codec));
            }
        }
        c.audio = audio;
        c.telephone_event_payload_type = m.receive_dtmf_payload_type;
    }
    c
}

/// Receiving with the kernel's receive timestamp (`SO_TIMESTAMPNS`, Linux); elsewhere a
/// plain `recv_from` without one.
mod stamped {
    use std::net::{SocketAddr, UdpSocket};
    use std::time::SystemTime;

    /// Asks the kernel to stamp every datagram (best effort: without it `recv` gives none).
    pub(super) fn enable(socket: &UdpSocket) {
        #[cfg(target_os = "linux")]
        {
            let on = nix::sys::socket::setsockopt(
                socket,
                nix::sys::socket::sockopt::ReceiveTimestampns,
                &true,
            );
            if let Err(e) = on {
                tracing::debug!(error = %e, "no RTP receive timestamps");
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = socket;
    }

    /// One datagram (non-blocking), its source and its receive time if stamped.
    #[cfg(target_os = "linux")]
    pub(super) fn recv(
        socket: &UdpSocket,
        buf: &mut [u8],
        control: &mut Vec<u8>,
    ) -> std::io::Result<(usize, SocketAddr, Option<SystemTime>)> {
        use nix::sys::socket::{ControlMessageOwned, MsgFlags, SockaddrStorage, recvmsg};
        use std::os::fd::AsRawFd;
        // nix hands the kernel the buffer's length (not its capacity): room for one
        // SCM_TIMESTAMPNS (a timespec behind a cmsghdr, 32 bytes on 64-bit Linux).
        if control.len() < 64 {
            control.resize(64, 0);
        }
        let mut iov = [std::io::IoSliceMut::new(buf)];
        let msg = recvmsg::<SockaddrStorage>(
            socket.as_raw_fd(),
            &mut iov,
            Some(&mut control[..]),
            MsgFlags::MSG_DONTWAIT,
        )
        .map_err(std::io::Error::from)?;
        let from = msg.address.as_ref().and_then(|a| {
            a.as_sockaddr_in()
                .map(|v4| SocketAddr::V4((*v4).into()))
                .or_else(|| a.as_sockaddr_in6().map(|v6| SocketAddr::V6((*v6).into())))
        });
        let stamp = msg.cmsgs().ok().and_then(|mut cmsgs| {
            cmsgs.find_map(|c| match c {
                ControlMessageOwned::ScmTimestampns(ts) => {
                    let since = std::time::Duration::new(
                        u64::try_from(ts.tv_sec()).ok()?,
                        u32::try_from(ts.tv_nsec()).ok()?,
                    );
                    SystemTime::UNIX_EPOCH.checked_add(since)
                }
                _ => None,
            })
        });
        let len = msg.bytes;
        match from {
            Some(from) => Ok((len, from, stamp)),
            None => Err(std::io::Error::other("datagram without a source address")),
        }
    }

    #[cfg(not(target_os = "linux"))]
    pub(super) fn recv(
        socket: &UdpSocket,
        buf: &mut [u8],
        _control: &mut Vec<u8>,
    ) -> std::io::Result<(usize, SocketAddr, Option<SystemTime>)> {
        let (len, from) = socket.recv_from(buf)?;
        Ok((len, from, None))
    }
}

/// When a read can return.
enum Readiness {
    Now,
    At(Instant),
    /// Nothing received yet: wait for a packet (or a state change).
    Wait,
    /// Return silence, now or after this long (not receiving, or stopped).
    Silence(Duration),
}

/// The state shared by the handles, the pacing thread and the receive thread.
#[derive(Debug)]
pub(crate) struct StreamShared {
    state: Mutex<StreamState>,
    local_addr: SocketAddr,
    config: Arc<MediaConfig>,
    /// Woken when audio arrives or the stream changes (start, re-negotiation, stop).
    audio_ready: Notify,
    /// Woken when a DTMF digit arrives or the stream stops.
    dtmf_ready: Notify,
}

impl StreamShared {
    fn lock(&self) -> MutexGuard<'_, StreamState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.lock().stopped
    }

    /// A pacing tick: send every packet due at `now`. `false` once the stream has
    /// stopped (the pacing thread then forgets it).
    pub(crate) fn on_tick(&self, now: Instant, out: &mut TickOutput<'_>) -> bool {
        let mut guard = self.lock();
        let st = &mut *guard;
        if st.stopped {
            return false;
        }
        if !st.can_send() {
            // The next packet after a pause starts a fresh schedule (no burst of "overdue"
            // packets) with continuing sequence numbers and timestamps.
            if st.sender.is_some() {
                st.rebuild = true;
            }
            return true;
        }
        if st.rebuild || st.sender.is_none() {
            st.rebuild_sender(now, &self.config);
        }
        let Some(to) = st.send_to else {
            return true;
        };
        loop {
            st.top_up();
            let (Some(sender), Some(socket)) = (st.sender.as_mut(), st.socket.as_ref()) else {
                return true;
            };
            match sender.poll_transmit(now, out.buf) {
                Ok(Some(t)) => {
                    out.pacing
                        .record(Instant::now().saturating_duration_since(out.deadline));
                    let failed = socket.socket.send_to(&out.buf[..t.len], to).is_err();
                    st.last_sent = Some((t.sequence_number, t.timestamp, now));
                    if failed {
                        st.send_errors += 1;
                    }
                }
                Ok(None) | Err(_) => return true,
            }
        }
    }

    /// The stream's socket, while it is not stopped.
    pub(crate) fn socket(&self) -> Option<Arc<SocketLease>> {
        self.lock().socket.clone()
    }

    /// Takes up to `max` datagrams waiting on the (non-blocking) socket into the stream;
    /// stops early when the socket is empty. The stream is locked once per datagram, over
    /// its `recv` too: the pacing thread locks it once per 20 ms, so they rarely meet, and
    /// one lock costs less than two on a line that the other core last wrote.
    pub(crate) fn drain(&self, buf: &mut [u8], control: &mut Vec<u8>, max: usize) {
        // The kernel's receive time (wall clock) becomes an Instant through one pair of
        // clock readings per drain, so jitter and read pacing see when a packet arrived,
        // not when it was read.
        let clocks = (Instant::now(), std::time::SystemTime::now());
        for _ in 0..max {
            let guard = self.lock();
            let Some(socket) = guard.socket.as_ref() else {
                return; // stopped: the socket is closed
            };
            match stamped::recv(&socket.socket, buf, control) {
                Ok((len, from, stamp)) => {
                    let now = stamp
                        .and_then(|at| clocks.1.duration_since(at).ok())
                        .and_then(|age| clocks.0.checked_sub(age))
                        .unwrap_or(clocks.0);
                    self.on_datagram(guard, now, &buf[..len], from);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                // An ICMP error of an earlier send (port unreachable) is reported once
                // and cleared; read on.
                Err(e) => tracing::debug!(error = %e, "RTP receive error"),
            }
        }
    }

    /// A datagram arrived on the socket (the stream is locked: `guard`).
    fn on_datagram(
        &self,
        mut guard: MutexGuard<'_, StreamState>,
        now: Instant,
        data: &[u8],
        from: SocketAddr,
    ) {
        let st = &mut *guard;
        if st.stopped {
            return;
        }
        let Some(media) = &st.media else {
            st.dropped_not_receiving += 1;
            return;
        };
        if st.send_to != Some(from) {
            let sdp = media.remote;
            let latch = !st.latched
                && !sdp.ip().is_unspecified()
                && match self.config.latch {
                    LatchPolicy::Never => false,
                    LatchPolicy::WhenPrivate => is_private(sdp.ip()),
                    LatchPolicy::Always => true,
                };
            // The SDP's host sending from another port is not NAT (the address would
            // differ): pyVoIP 2.0 sends from an ephemeral socket and listens on its SDP port.
            // Accept its packets but keep sending where it listens.
            let same_host = self.config.latch == LatchPolicy::WhenPrivate
                && from.ip() == sdp.ip()
                && !sdp.ip().is_unspecified();
            if same_host {
                st.other_port_packets += 1;
            } else if latch {
                st.latched = true;
                st.send_to = Some(from);
                tracing::debug!(%sdp, %from, "RTP source latched");
            } else if !(sdp.ip().is_unspecified() && st.send_to.is_none()) {
                // With an old-style hold (c=0.0.0.0) the peer's address is unknown: its
                // music on hold is taken from wherever it comes.
                st.rejected_source += 1;
                return;
            }
        }
        if !st.receives() {
            st.dropped_not_receiving += 1;
            return;
        }
        let switches = st.receiver.stats().ssrc_changes;
        match st.receiver.receive(now, data) {
            Ok(Received::Audio(outcome @ (WriteOutcome::Stored | WriteOutcome::Reset))) => {
                if let Ok(p) = RtpPacket::parse(data) {
                    let end = p.timestamp.wrapping_add(p.payload.len() as u32);
                    // A new timeline (new source, timestamp jump) replaces the newest
                    // position; otherwise only a later packet moves it (not a reordered one).
                    let new_timeline = outcome == WriteOutcome::Reset
                        || st.receiver.stats().ssrc_changes != switches;
                    let newer = new_timeline
                        || st
                            .newest
                            .is_none_or(|(e, _)| (end.wrapping_sub(e) as i32) > 0);
                    if newer {
                        st.newest = Some((end, now));
                    }
                }
                drop(guard);
                self.audio_ready.notify_waiters();
            }
            Ok(Received::Event(_)) => {
                let mut any = false;
                while let Some(key) = st.receiver.poll_dtmf() {
                    if st.digits.len() >= self.config.max_dtmf_digits.max(1) {
                        st.digits.pop_front();
                    }
                    st.digits.push_back(key.as_char());
                    any = true;
                }
                drop(guard);
                if any {
                    self.dtmf_ready.notify_waiters();
                }
            }
            _ => {}
        }
    }

    /// When `len` samples can be read.
    fn readiness(&self, st: &StreamState, len: usize, now: Instant) -> Readiness {
        let span = Duration::from_nanos(len as u64 * 1_000_000_000 / RATE);
        if st.stopped {
            return Readiness::Silence(Duration::ZERO);
        }
        if st.media.is_some() && !st.receives() {
            return Readiness::Silence(span);
        }
        let delay = i64::from(st.receiver.manager().playout_delay());
        let (Some(cursor), Some((end, arrived))) = (st.receiver.manager().cursor(), st.newest)
        else {
            // Nothing received yet: silence at the real-time pace (after the playout
            // delay, so the first packet can still arrive in time), as a sound card would.
            let Some((since, read)) = st.silent_since else {
                return Readiness::Wait;
            };
            let samples = delay as u64 + read + len as u64;
            let due = since + Duration::from_nanos(samples * 1_000_000_000 / RATE);
            return if due <= now {
                Readiness::Now
            } else {
                Readiness::At(due)
            };
        };
        // Samples of newer audio beyond what this read would take. A read is served once
        // the playout delay's worth of newer audio exists, or when that audio would have
        // arrived in real time: then gaps (loss, silence suppression, a peer that stopped)
        // come out as silence at the real-time pace.
        let ahead = i64::from(end.wrapping_sub(cursor.wrapping_add(len as u32)) as i32);
        if ahead >= delay {
            return Readiness::Now;
        }
        let wait = Duration::from_nanos(((delay - ahead) as u64) * 1_000_000_000 / RATE);
        let due = arrived + wait;
        if due <= now {
            Readiness::Now
        } else {
            Readiness::At(due)
        }
    }

    async fn read_with<T: Clone>(
        &self,
        len: usize,
        blocking: bool,
        silence: T,
        read: impl Fn(&mut RtpReceiver, usize) -> Vec<T>,
    ) -> Vec<T> {
        let len = len.min(MAX_READ);
        if len == 0 {
            return Vec::new();
        }
        loop {
            let notified = self.audio_ready.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let now = tokio::time::Instant::now().into_std();
            let readiness = {
                let mut st = self.lock();
                match self.readiness(&st, len, now) {
                    Readiness::Now => {
                        if st.receiver.manager().cursor().is_none()
                            && let Some((_, taken)) = st.silent_since.as_mut()
                        {
                            *taken += len as u64;
                        }
                        return read(&mut st.receiver, len);
                    }
                    r => r,
                }
            };
            if !blocking {
                return vec![silence; len];
            }
            match readiness {
                Readiness::Silence(d) => {
                    if !d.is_zero() {
                        tokio::select! {
                            _ = tokio::time::sleep(d) => {}
                            _ = &mut notified => continue,
                        }
                    }
                    return vec![silence; len];
                }
                Readiness::At(due) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(due.into()) => {}
                        _ = &mut notified => {}
                    }
                }
                Readiness::Wait => notified.await,
                Readiness::Now => unreachable!("returned above"),
            }
        }
    }

    fn stop(&self) {
        let socket = {
            let mut st = self.lock();
            if st.stopped {
                return;
            }
            st.stopped = true;
            st.release_buffers();
            st.socket.take()
        };
        drop(socket);
        self.audio_ready.notify_waiters();
        self.dtmf_ready.notify_waiters();
    }
}

/// Stops the stream when the last handle is dropped.
#[derive(Debug)]
struct HandleGuard(Arc<StreamShared>);

impl Drop for HandleGuard {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// One call's RTP stream: the handle a call uses for audio and DTMF.
///
/// Cheap to clone, `Send + Sync`; the stream stops when [`stop`](Self::stop) is called or
/// the last clone (including those held by [`Playback`]s) is dropped. Audio is pyVoIP's
/// format for the `audio` methods (8-bit unsigned linear, 8 kHz mono, silence `0x80`,
/// 160 bytes per 20 ms) and 16-bit signed linear for the `i16` methods.
#[derive(Debug, Clone)]
pub struct MediaStream {
    guard: Arc<HandleGuard>,
}

impl MediaStream {
    pub(crate) fn spawn(
        socket: UdpSocket,
        lease: PortLease,
        config: Arc<MediaConfig>,
    ) -> Result<Self, MediaError> {
        let local_addr = socket
            .local_addr()
            .map_err(|e| MediaError::Bind(Arc::new(e)))?;
        stamped::enable(&socket);
        let socket = Arc::new(SocketLease {
            socket,
            _lease: lease,
        });
        let ssrc = RtpSenderConfig::new(AudioCodec::Pcmu).ssrc;
        let shared = Arc::new(StreamShared {
            state: Mutex::new(StreamState {
                stopped: false,
                socket: Some(socket.clone()),
                media: None,
                send_to: None,
                latched: false,
                sender: None,
                rebuild: false,
                ssrc,
                last_sent: None,
                sent_before: SenderStats::default(),
                queue: VecDeque::new(),
                written: 0,
                consumed: 0,
                pending_dtmf: VecDeque::new(),
                receiver: RtpReceiver::new(receiver_config(None, &config)),
                receiver_final: None,
                newest: None,
                silent_since: None,
                digits: VecDeque::new(),
                send_errors: 0,
                rejected_source: 0,
                other_port_packets: 0,
                dropped_not_receiving: 0,
            }),
            local_addr,
            config,
            audio_ready: Notify::new(),
            dtmf_ready: Notify::new(),
        });
        Ok(MediaStream {
            guard: Arc::new(HandleGuard(shared)),
        })
    }

    pub(crate) fn shared(&self) -> &Arc<StreamShared> {
        &self.guard.0
    }

    /// The socket's local address (its port goes into our SDP).
    pub fn local_addr(&self) -> SocketAddr {
        self.shared().local_addr
    }

    /// Starts the stream with the result of an offer/answer exchange, or updates it after
    /// a re-negotiation (re-INVITE, UPDATE, early then final answer): remote address,
    /// codec, payload types, direction and ptime take effect at once.
    pub fn apply(&self, media: &NegotiatedMedia) {
        let shared = self.shared();
        {
            let mut st = shared.lock();
            if st.stopped {
                return;
            }
            let old = st.media.take();
            let send_changed = old.as_ref().is_none_or(|o| {
                o.codec != media.codec
                    || o.payload_type != media.payload_type
                    || o.dtmf_payload_type != media.dtmf_payload_type
                    || ptime_samples(o.ptime) != ptime_samples(media.ptime)
            });
            if send_changed && st.sender.is_some() {
                st.rebuild = true;
            }
            let receive_changed = old.as_ref().is_none_or(|o| {
                o.receive_audio != media.receive_audio
                    || o.receive_dtmf_payload_type != media.receive_dtmf_payload_type
            });
            if receive_changed {
                st.receiver = RtpReceiver::new(receiver_config(Some(media), &shared.config));
                st.newest = None;
                st.silent_since = Some((tokio::time::Instant::now().into_std(), 0));
            }
            let remote_changed = old.as_ref().is_none_or(|o| o.remote != media.remote);
            if remote_changed || !st.latched {
                st.latched = false;
                st.send_to = (!media.remote.ip().is_unspecified() && media.remote.port() != 0)
                    .then_some(media.remote);
            }
            st.media = Some(media.clone());
        }
        shared.audio_ready.notify_waiters();
    }

    /// The media in force, if the stream was started.
    pub fn media(&self) -> Option<NegotiatedMedia> {
        self.shared().lock().media.clone()
    }

    /// Our current direction ([`TransmitType::Inactive`] before [`apply`](Self::apply)).
    pub fn direction(&self) -> TransmitType {
        self.shared()
            .lock()
            .media
            .as_ref()
            .map_or(TransmitType::Inactive, |m| m.direction)
    }

    /// Where RTP is sent now (the SDP address or the latched source), if anywhere.
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.shared().lock().send_to
    }

    fn write_samples(&self, n: usize, sample: impl Fn(usize) -> i16) -> usize {
        let shared = self.shared();
        let mut st = shared.lock();
        if st.stopped {
            return 0;
        }
        let room = shared
            .config
            .max_queued_audio
            .saturating_sub(st.queue.len());
        let take = n.min(room);
        st.queue.extend((0..take).map(sample));
        st.written += take as u64;
        take
    }

    /// Queues pyVoIP-format audio (8-bit unsigned linear, 8 kHz mono) to be sent after what
    /// is already queued; returns how many samples were accepted (fewer when the queue is
    /// full, 0 once stopped).
    pub fn write_audio(&self, audio: &[u8]) -> usize {
        self.write_samples(audio.len(), |i| g711::linear8::to_i16(audio[i]))
    }

    /// Queues 16-bit linear audio (8 kHz mono); returns how many samples were accepted.
    pub fn write_i16(&self, audio: &[i16]) -> usize {
        self.write_samples(audio.len(), |i| audio[i])
    }

    /// Drops every queued outgoing sample (barge-in); what was sent is sent.
    pub fn flush_audio(&self) {
        let mut st = self.shared().lock();
        st.queue.clear();
        st.consumed = st.written;
        if let Some(s) = st.sender.as_mut() {
            s.clear_audio();
        }
    }

    /// Queues a prompt like [`write_audio`](Self::write_audio) and returns a handle to
    /// wait for it, stop it, or stop it at the first DTMF digit
    /// ([`Playback::until_dtmf`]).
    pub fn play(&self, audio: &[u8]) -> Playback {
        self.write_audio(audio);
        self.playback_to_here()
    }

    /// [`play`](Self::play) for 16-bit linear audio.
    pub fn play_i16(&self, audio: &[i16]) -> Playback {
        self.write_i16(audio);
        self.playback_to_here()
    }

    fn playback_to_here(&self) -> Playback {
        let end = self.shared().lock().written;
        Playback::new(self.clone(), end)
    }

    /// Samples ever queued and samples ever sent or dropped from the queue.
    pub(crate) fn queue_position(&self) -> (u64, u64, bool) {
        let st = self.shared().lock();
        (st.written, st.consumed, st.stopped)
    }

    /// Drops queued audio up to sample `end` (counted since the stream started).
    pub(crate) fn drop_queued_until(&self, end: u64) {
        let mut st = self.shared().lock();
        if st.consumed >= end {
            return;
        }
        let n = ((end - st.consumed) as usize).min(st.queue.len());
        st.queue.drain(..n);
        st.consumed = end;
        if let Some(s) = st.sender.as_mut() {
            s.clear_audio();
        }
    }

    /// Reads `len` samples of received audio in pyVoIP's format, like pyVoIP's
    /// `read_audio(length, blocking)`: always exactly `len` bytes (at most 60 s' worth per
    /// call), `0x80` where nothing arrived.
    ///
    /// Blocking: waits until the audio is there (the jitter buffer's playout delay of
    /// newer audio has arrived) or until it would have arrived in real time, so a peer
    /// that pauses or never sends (silence suppression, hold, a phone without a
    /// microphone) yields silence at the real-time pace rather than blocking forever, and
    /// silence is data (pyVoIP's #227 waited for non-silence). Before
    /// [`apply`](Self::apply) it waits. When our direction does not receive it returns
    /// silence after `len` samples' worth of time; once stopped, at once.
    ///
    /// Non-blocking: the audio if it is there, else `len` bytes of `0x80` without moving
    /// the read position (so polling faster than real time loses nothing).
    pub async fn read_audio(&self, len: usize, blocking: bool) -> Vec<u8> {
        self.shared()
            .read_with(len, blocking, g711::linear8::SILENCE, |r, n| {
                r.read_linear8(n)
            })
            .await
    }

    /// [`read_audio`](Self::read_audio) in 16-bit linear samples (silence 0).
    pub async fn read_i16(&self, len: usize, blocking: bool) -> Vec<i16> {
        self.shared()
            .read_with(len, blocking, 0i16, |r, n| r.read_i16(n))
            .await
    }

    /// Takes up to `length` received DTMF digits, oldest first; `None` takes them all.
    /// Like pyVoIP's `get_dtmf`: `""` when no key was pressed. Digits are `0`-`9`, `*`,
    /// `#`, `A`-`D` and `R` (flash).
    pub fn get_dtmf(&self, length: Option<usize>) -> String {
        let mut st = self.shared().lock();
        let n = length.unwrap_or(usize::MAX).min(st.digits.len());
        st.digits.drain(..n).collect()
    }

    /// How many received DTMF digits wait to be taken.
    pub fn dtmf_len(&self) -> usize {
        self.shared().lock().digits.len()
    }

    /// Waits for the next received DTMF digit and takes it; `None` once the stream stops.
    pub async fn next_dtmf(&self) -> Option<char> {
        let shared = self.shared();
        loop {
            let notified = shared.dtmf_ready.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut st = shared.lock();
                if let Some(d) = st.digits.pop_front() {
                    return Some(d);
                }
                if st.stopped {
                    return None;
                }
            }
            notified.await;
        }
    }

    /// Adds a key received outside RTP (SIP INFO, `application/dtmf-relay`) to the DTMF
    /// buffer, as if it had come as an RFC 4733 event: [`get_dtmf`](Self::get_dtmf),
    /// [`next_dtmf`](Self::next_dtmf) and [`Playback::until_dtmf`] (barge-in) see it. The
    /// buffer keeps [`MediaConfig::max_dtmf_digits`]; beyond it the oldest key is dropped.
    ///
    /// Errors: [`MediaError::InvalidDtmf`] for a character that is no DTMF key (`0`-`9`,
    /// `*`, `#`, `A`-`D`, `R`; lowercase letters are accepted).
    pub fn push_received_dtmf(&self, digit: char) -> Result<(), MediaError> {
        let key = DtmfKey::from_char(digit).ok_or(MediaError::InvalidDtmf(digit))?;
        let shared = self.shared();
        {
            let mut st = shared.lock();
            if st.digits.len() >= shared.config.max_dtmf_digits.max(1) {
                st.digits.pop_front();
            }
            st.digits.push_back(key.as_char());
        }
        shared.dtmf_ready.notify_waiters();
        Ok(())
    }

    /// Takes a received digit if one is waiting.
    pub(crate) fn pop_dtmf(&self) -> Option<char> {
        self.shared().lock().digits.pop_front()
    }

    pub(crate) fn dtmf_notify(&self) -> &Notify {
        &self.shared().dtmf_ready
    }

    /// Sends DTMF digits as RFC 4733 telephone-events, in order, each
    /// [`MediaConfig::dtmf_duration`] long with a short gap between. Digits sent while we
    /// cannot send (on hold, before the answer) wait and go out when sending starts.
    ///
    /// Errors: [`MediaError::InvalidDtmf`] (nothing queued), [`MediaError::DtmfQueueFull`]
    /// (the digits before the one refused are queued), [`MediaError::DtmfNotNegotiated`]
    /// (the peer has no telephone-event), [`MediaError::Stopped`].
    pub fn send_dtmf(&self, digits: &str) -> Result<(), MediaError> {
        let keys = digits
            .chars()
            .map(|c| DtmfKey::from_char(c).ok_or(MediaError::InvalidDtmf(c)))
            .collect::<Result<Vec<_>, _>>()?;
        let shared = self.shared();
        let mut st = shared.lock();
        if st.stopped {
            return Err(MediaError::Stopped);
        }
        if st
            .media
            .as_ref()
            .is_some_and(|m| m.dtmf_payload_type.is_none())
        {
            return Err(MediaError::DtmfNotNegotiated);
        }
        let direct = st.can_send() && !st.rebuild && st.sender.is_some();
        for key in keys {
            if direct {
                let sender = st.sender.as_mut().ok_or(MediaError::Stopped)?;
                sender
                    .send_dtmf(key, shared.config.dtmf_duration)
                    .map_err(|_| MediaError::DtmfQueueFull)?;
            } else {
                if st.pending_dtmf.len() >= shared.config.max_pending_dtmf {
                    return Err(MediaError::DtmfQueueFull);
                }
                st.pending_dtmf.push_back(key);
            }
        }
        Ok(())
    }

    /// The counters.
    pub fn stats(&self) -> MediaStats {
        self.shared().lock().stats()
    }

    /// True once stopped.
    pub fn is_stopped(&self) -> bool {
        self.shared().is_stopped()
    }

    /// Stops the stream: no more sending or receiving, the socket is closed and its port
    /// returns to the range (once the receive task has wound down, within a moment).
    /// Blocked reads return silence, [`next_dtmf`](Self::next_dtmf) returns `None`.
    pub fn stop(&self) {
        self.shared().stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses() {
        for ip in [
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.254",
            "169.254.1.1",
            "fd00::1",
            "fe80::1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "127.0.0.1",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "192.0.2.1",
            "::1",
            "2001:db8::1",
        ] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    /// The arrival time is when the kernel received the datagram, not when it was read.
    #[cfg(target_os = "linux")]
    #[test]
    fn receive_time_is_the_kernels() {
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        rx.set_nonblocking(true).unwrap();
        stamped::enable(&rx);
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut buf = [0u8; 64];
        let mut control = Vec::with_capacity(64);
        // The kernel turns receive stamping on through a deferred static key: until that has
        // happened (the first socket asking for it), a datagram is stamped when read, not on
        // arrival. So a few tries; one stamped on arrival proves the path.
        let mut on_arrival = false;
        for _ in 0..10 {
            let sent_at = std::time::SystemTime::now();
            tx.send_to(b"rtp", rx.local_addr().unwrap()).unwrap();
            std::thread::sleep(Duration::from_millis(60));
            let (len, from, stamp) = stamped::recv(&rx, &mut buf, &mut control).unwrap();
            assert_eq!((len, from), (3, tx.local_addr().unwrap()));
            let stamp = stamp.expect("a kernel timestamp");
            let read_at = std::time::SystemTime::now();
            // Never before the send (1 ms of slack for the two clocks' granularity).
            assert!(stamp + Duration::from_millis(1) >= sent_at);
            if read_at.duration_since(stamp).unwrap() >= Duration::from_millis(55) {
                on_arrival = true;
                break;
            }
        }
        assert!(on_arrival, "no datagram was stamped on arrival");
        assert_eq!(
            stamped::recv(&rx, &mut buf, &mut control)
                .unwrap_err()
                .kind(),
            std::io::ErrorKind::WouldBlock
        );
    }

    #[test]
    fn ptime_follows_the_20ms_clock() {
        assert_eq!(ptime_samples(20), 160);
        assert_eq!(ptime_samples(10), 160);
        assert_eq!(ptime_samples(30), 160);
        assert_eq!(ptime_samples(40), 320);
        assert_eq!(ptime_samples(60), 480);
        assert_eq!(ptime_samples(200), 480);
        assert_eq!(ptime_samples(0), 160);
    }
}
