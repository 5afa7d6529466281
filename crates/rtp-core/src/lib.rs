//! RTP packets, payload types, a jitter-tolerant packet manager and RFC 4733
//! telephone-events, with no sockets and no clock inside.
//!
//! Everything here is sans-IO: parsers take byte slices, serializers write into caller
//! buffers, and the streaming state ([`RtpSender`], [`RtpReceiver`]) is told what time it
//! is. The `voip` crate drives them from a socket and a timer.
//!
//! | Module | What | pyVoIP |
//! |---|---|---|
//! | [`packet`] | [`RtpPacket`] parse / serialize (RFC 3550 §5.1) | `RTPMessage` |
//! | [`extension`] | header extension and RFC 8285 elements | - |
//! | [`payload_type`] | [`PayloadType`] (RFC 3551 §6 tables 4 and 5, telephone-event) | `PayloadType`, `DynamicPayloadType` |
//! | [`payload_map`] | [`PayloadMap`]: numbers negotiated in SDP | the `assoc` dict |
//! | [`transmit_type`], [`protocol`] | [`TransmitType`], [`RtpProtocol`] | `TransmitType`, `RTPProtocol` |
//! | [`packet_manager`] | [`PacketManager`], the jitter buffer | `RTPPacketManager` |
//! | [`telephone_event`], [`dtmf_receiver`], [`dtmf_sender`] | RFC 4733 payloads, keys in, packets out | `RTPClient` DTMF |
//! | [`codec`] | [`AudioCodec`]: PCMU / PCMA through the `g711` crate | `encode_pcmu`, `parse_pcma`, ... |
//! | [`sender`], [`receiver`] | [`RtpSender`], [`RtpReceiver`]: pacing, G.711, stats | `RTPClient` |
//!
//! # Example
//!
//! A sender and a receiver connected directly, with a DTMF key pressed in the middle of
//! the audio; time is simulated, so this runs in microseconds.
//!
//! ```
//! use rtp_core::{AudioCodec, DtmfKey, RtpPacket, RtpReceiver, RtpSender, RtpSenderConfig};
//! use std::time::{Duration, Instant};
//!
//! let mut sender = RtpSender::new(RtpSenderConfig::new(AudioCodec::Pcmu));
//! let mut receiver = RtpReceiver::default(); // PCMU 0, PCMA 8, telephone-event 101
//!
//! // One second of a 400 Hz tone, and a "5" pressed for 100 ms.
//! let tone: Vec<i16> = (0..8000)
//!     .map(|n| ((n as f64 * 400.0 * std::f64::consts::TAU / 8000.0).sin() * 8000.0) as i16)
//!     .collect();
//! sender.write_i16(&tone);
//!
//! let start = Instant::now();
//! let mut buf = [0u8; 1500];
//! let mut heard = Vec::new();
//! for tick in 0..60u32 {
//!     let now = start + Duration::from_millis(20) * tick;
//!     if tick == 30 {
//!         sender.send_dtmf(DtmfKey::D5, Duration::from_millis(100))?;
//!     }
//!     while let Some(sent) = sender.poll_transmit(now, &mut buf)? {
//!         let datagram = &buf[..sent.len];
//!         let packet = RtpPacket::parse(datagram)?; // what a capture tool would see
//!         assert_eq!(packet.ssrc, sender.config().ssrc);
//!         receiver.receive(now, datagram)?;
//!     }
//!     heard.extend(receiver.read_i16(160)); // the application plays 20 ms
//! }
//! assert_eq!(receiver.poll_dtmf(), Some(DtmfKey::D5));
//! assert_eq!(receiver.stats().lost, 0);
//! // After the 60 ms playout delay, the tone comes out (through G.711, so nearly equal)
//! // until the key press interrupts it.
//! let before_key = &heard[480..480 + 30 * 160];
//! assert!(before_key.iter().zip(&tone).all(|(a, b)| (*a as i32 - *b as i32).abs() < 300));
//! # Ok::<(), rtp_core::Error>(())
//! ```
//!
//! # RFC claims and the tests that check them
//!
//! | Claim | Test |
//! |---|---|
//! | RFC 3550 §5.1: only version 2; CSRC list, extension and padding bounds checked, errors carry offsets | `packet::tests::{rejects_other_versions, csrc_count_beyond_length_is_an_error, padding_is_removed_and_checked, rejects_short_header_with_offset}` |
//! | serialize then parse is the identity; parse never panics | `tests/roundtrip.rs`, fuzz target `rtp_packet` |
//! | RFC 8285 one-byte (padding, ID 15 stops) and two-byte elements | `extension::tests` |
//! | RFC 3551 §6 tables 4 and 5, dynamic types have no number | `payload_type::tests` |
//! | RFC 3550 A.1/A.3 loss with wrap-around, duplicates; A.8 jitter | `receiver::tests`, `tests/lossy_network.rs` |
//! | jitter buffer: reordering fills holes, silence exactly where lost, playout delay absorbs jitter, bounded | `packet_manager::tests`, `tests/lossy_network.rs` |
//! | jitter buffer: sender/reader clock drift either way costs a bounded glitch, never continuous loss | `tests/lossy_network.rs::clock_drift_in_either_direction_stays_bounded` |
//! | RFC 5761 §4: RTCP on the RTP port is recognised and not played | `packet::tests::rtcp_is_told_apart`, `receiver::tests` |
//! | RFC 4733 §2.5.1: marker on the first packet, one timestamp per event, growing duration, end sent 3 times | `dtmf_sender::tests`, `tests/sender.rs::dtmf_replaces_audio_with_the_rfc4733_sequence` |
//! | RFC 4733 receiver: one key per press despite loss, duplicates, reordering, lost start | `dtmf_receiver::tests`, `tests/sender.rs::digits_survive_a_lossy_path_from_sender_to_receiver`, fuzz target `telephone_event` |
//! | pacing from an absolute clock (no drift), bounded catch-up | `tests/sender.rs` |
//!
//! Not implemented: RTCP, SRTP, RFC 2198 redundancy, RFC 4733 §2.5.1.3 segments when
//! *sending* events longer than 8.19 s (received ones are joined), codecs other than G.711.
#![forbid(unsafe_code)]

pub mod codec;
pub mod dtmf_receiver;
pub mod dtmf_sender;
mod error;
pub mod extension;
pub mod packet;
pub mod packet_manager;
pub mod payload_map;
pub mod payload_type;
pub mod protocol;
pub mod receiver;
pub mod sender;
pub mod telephone_event;
pub mod transmit_type;

pub use codec::AudioCodec;
pub use dtmf_receiver::DtmfReceiver;
pub use dtmf_sender::{EventPacket, dtmf_packets};
pub use error::Error;
pub use extension::{Extension, ExtensionElement, ExtensionForm};
pub use packet::{Csrcs, RtpPacket, is_rtcp};
pub use packet_manager::{ManagerStats, PacketManager, PacketManagerConfig, WriteOutcome};
pub use payload_map::PayloadMap;
pub use payload_type::{MediaKind, PayloadType};
pub use protocol::RtpProtocol;
pub use receiver::{Received, ReceiverStats, RtpReceiver, RtpReceiverConfig};
pub use sender::{RtpSender, RtpSenderConfig, SenderStats, Transmit};
pub use telephone_event::{DtmfKey, TelephoneEvent};
pub use transmit_type::TransmitType;
