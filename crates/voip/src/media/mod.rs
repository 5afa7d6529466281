//! The media engine: RTP streams of every call on a tokio runtime.
//!
//! A [`MediaEngine`] owns the RTP port range; every call's media runs on **a receive
//! thread and a pacing thread** shared by all the engines of the process (a second pacing
//! thread starts past a thousand streams, up to one per core; engines that do not ask for
//! [real-time pacing](MediaConfig::realtime_pacing) get a set of their own).
//! Each call gets a [`MediaStream`] ([`MediaEngine::open_stream`]): a non-blocking UDP
//! socket bound on an even port of the range and an entry in the threads' lists. The
//! pacing thread sends what is due on each of its streams (the streams are spread over 20
//! phases of the clock, 1 ms apart, so each wake-up serves a twentieth of them); the
//! receive thread reads the sockets that have something (one epoll set on Linux, a pass
//! every 2 ms). There is no task and no wake-up per stream or per packet, which is what
//! lets one process carry a thousand calls on two cores (see `docs/benchmarks.md`,
//! `## voip (scale)`); the price is that a received packet is taken a few milliseconds
//! after it arrived, well inside the jitter buffer's 60 ms playout delay. Its arrival time
//! is the kernel's receive timestamp (`SO_TIMESTAMPNS` on Linux), so the RFC 3550 jitter
//! and the read pacing see when it really arrived (elsewhere: when it was read).
//!
//! # Timing
//! The pacing thread runs an absolute 20 ms clock: tick *n* of a stream is due at
//! `start + n * 20 ms + phase` (the phase is one of 20 slots 1 ms apart, fixed for the
//! stream's life) and it sleeps until that instant, never "20 ms after the last send", so
//! lateness does not accumulate into drift. It is an OS thread rather than a tokio task:
//! tokio's timers fire on a 1 ms wheel, rounded up, and its workers also run SIP and the
//! application, so a task's packets left 1-2 ms late on an idle machine and more under
//! load; the thread sleeps to the microsecond and does nothing but non-blocking socket
//! calls. On each tick it polls every active stream's [`rtp_core::RtpSender`] with the
//! tick's time and sends whatever is due; after a late wake-up that is every packet due
//! since (the sender bounds a burst and skips older packets, keeping the stream real-time).
//! Packets are written into one reused buffer and sent with a non-blocking `send_to`: no
//! allocation, no await per packet. How late each packet leaves against its tick's absolute
//! deadline is recorded in a histogram ([`PacingStats`], [`MediaEngine::pacing_stats`],
//! [`pacing_stats`]). A packet the kernel refuses (socket buffer full) is dropped and
//! counted ([`MediaStats::send_errors`]), as a real-time stream must not queue.
//!
//! The sender packetises at the negotiated `ptime` rounded down to a multiple of 20 ms,
//! between 20 and 60 ms (a peer asking for 10 or 30 ms gets 20 ms packets; RFC 3264 makes
//! `ptime` a preference).
//!
//! # Symmetric RTP and sources
//! A stream sends from the very socket it receives on and advertises (RFC 4961; pyVoIP 2.0
//! sends from another socket, which gives one-way audio behind symmetric-RTP servers).
//! Which sources are accepted is [`LatchPolicy`]: by default packets are taken only from
//! the address the peer's SDP gave, except when that address is a private one (RFC 1918,
//! CGNAT, link-local, IPv6 ULA): then the peer is evidently behind NAT, and the first
//! source that sends to us is latched (we accept it and send to it). Latching
//! unconditionally would let anyone who guesses the port hijack the stream (baresip's
//! maintainer calls it a security issue); latching never breaks peers behind NAT that
//! advertise their private address. Packets from the SDP's own IP address but another port
//! are accepted without moving where we send (NAT would have changed the address, so this
//! is the peer's own host): pyVoIP 2.0 sends from an ephemeral socket and listens only on
//! its SDP port, and would otherwise be heard by nobody.
//!
//! # Directions and early media
//! A stream does nothing until [`MediaStream::apply`] gives it the [`NegotiatedMedia`]
//! (received packets are dropped until then). It may be applied as soon as an early
//! answer (183 with SDP) arrives, so early media plays into [`MediaStream::read_audio`].
//! A re-INVITE's result is applied the same way: new remote address, codec, payload types
//! or direction take effect at once; sequence numbers and timestamps continue. We send only
//! when our direction sends (`sendrecv`/`sendonly`) and the peer gave a real address, and
//! we take received audio and DTMF only when our direction receives.
//!
//! # Audio and bounds
//! Outgoing audio waits in a per-stream queue (at most [`MediaConfig::max_queued_audio`];
//! writes beyond it are refused and the write returns how much it took). Audio is
//! consumed only by packets actually sent: on hold, a prompt pauses and resumes after.
//! Without queued audio, silence is sent. Received audio goes through the
//! [`rtp_core::PacketManager`] jitter buffer (fixed capacity); received DTMF digits wait
//! in a buffer of [`MediaConfig::max_dtmf_digits`] (the oldest are dropped when full).
//!
//! # pyVoIP
//! [`MediaStream`] is pyVoIP's `RTPClient` plus the audio and DTMF methods of `VoIPCall`
//! (`write_audio`, `read_audio`, `get_dtmf`); sending DTMF and barge-in
//! ([`MediaStream::play`], [`Playback::until_dtmf`], [`MediaStream::flush_audio`]) are
//! new. pyVoIP's `TRANSMIT_DELAY_REDUCTION` has no counterpart: it shortened pyVoIP's
//! sleep after each packet to compensate for the time Python spent sending, a drift an
//! absolute clock does not have. RTCP is neither sent nor read (the odd port above each
//! RTP port is left free for it, RFC 3550 §11).
//!
//! # Example
//! Two streams on loopback talking to each other.
//! ```
//! use std::net::{IpAddr, Ipv4Addr, SocketAddr};
//! use rtp_core::{AudioCodec, TransmitType};
//! use voip::media::{MediaConfig, MediaEngine};
//! use voip::sdp_negotiation::NegotiatedMedia;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let engine = MediaEngine::new(MediaConfig::new(30000, 30100))?;
//! let lo = IpAddr::V4(Ipv4Addr::LOCALHOST);
//! let alice = engine.open_stream(lo)?;
//! let bob = engine.open_stream(lo)?;
//! let media = |to: SocketAddr| NegotiatedMedia {
//!     remote: to,
//!     codec: AudioCodec::Pcmu,
//!     payload_type: 0,
//!     dtmf_payload_type: Some(101),
//!     direction: TransmitType::SendRecv,
//!     ptime: 20,
//!     receive_audio: vec![(0, AudioCodec::Pcmu)],
//!     receive_dtmf_payload_type: Some(101),
//! };
//! alice.apply(&media(bob.local_addr()));
//! bob.apply(&media(alice.local_addr()));
//!
//! alice.send_dtmf("42#")?;
//! let mut heard = String::new();
//! while heard.len() < 3 {
//!     heard.push(bob.next_dtmf().await.unwrap());
//! }
//! assert_eq!(heard, "42#");
//! let audio = bob.read_audio(160, true).await; // 20 ms of pyVoIP-format audio
//! assert_eq!(audio.len(), 160);
//! alice.stop();
//! bob.stop();
//! # Ok(())
//! # }
//! ```
//!
//! [`NegotiatedMedia`]: crate::sdp_negotiation::NegotiatedMedia

mod engine;
mod inbox;
mod pacing;
mod playback;
mod ports;
mod receive;
mod stream;
mod threads;

pub use engine::{LatchPolicy, MediaConfig, MediaEngine, TICK};
pub use pacing::PacingStats;
pub use playback::Playback;
pub use ports::PortAllocator;
pub use stream::{MediaStats, MediaStream};

use std::sync::Arc;

/// Send-time deviation summed over every pacing thread alive in the process (those of
/// every [`MediaEngine`], so of every phone): for a load test that runs several phones.
pub fn pacing_stats() -> PacingStats {
    pacing::all_threads()
}

/// Errors of the media engine.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// The RTP port range is empty: `low > high`, or no even port in it (pyVoIP's
    /// `InvalidRangeError`).
    #[error("invalid RTP port range {low}-{high}: expected low <= high with an even port")]
    InvalidRange {
        /// Lowest port.
        low: u16,
        /// Highest port.
        high: u16,
    },
    /// Every port of the range is in use (pyVoIP's `NoPortsAvailableError`).
    #[error("no RTP port available in {low}-{high}")]
    NoPortsAvailable {
        /// Lowest port.
        low: u16,
        /// Highest port.
        high: u16,
    },
    /// Binding the RTP socket failed for a reason other than a busy port.
    #[error("cannot bind the RTP socket: {0}")]
    Bind(Arc<std::io::Error>),
    /// Not called from within a tokio runtime.
    #[error("the media engine needs a tokio runtime")]
    NoRuntime,
    /// A pacing or the receive thread could not be started.
    #[error("cannot start an RTP media thread: {0}")]
    Thread(Arc<std::io::Error>),
    /// A character that is not a DTMF key (0-9, *, #, A-D, R for flash).
    #[error("{0:?} is not a DTMF key")]
    InvalidDtmf(char),
    /// Too many DTMF digits wait to be sent.
    #[error("too many DTMF digits waiting to be sent")]
    DtmfQueueFull,
    /// The peer did not negotiate telephone-event, so RFC 4733 DTMF cannot be sent.
    #[error("the peer did not negotiate telephone-event (RFC 4733)")]
    DtmfNotNegotiated,
    /// The stream was stopped.
    #[error("the media stream is stopped")]
    Stopped,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_send_and_sync() {
        fn check<T: Send + Sync + Clone + 'static>() {}
        check::<MediaEngine>();
        check::<MediaStream>();
        check::<Playback>();
        check::<MediaError>();
    }

    #[test]
    fn the_engine_needs_a_runtime() {
        assert!(matches!(
            MediaEngine::new(MediaConfig::default()),
            Err(MediaError::NoRuntime)
        ));
        assert!(matches!(
            MediaEngine::new(MediaConfig::new(2, 1)),
            Err(MediaError::InvalidRange { low: 2, high: 1 })
        ));
    }
}
