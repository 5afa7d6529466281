//! SDP offer/answer (RFC 3264) for one audio stream: our offer, our answer to an offer,
//! the answer to our offer, and re-offers (hold, address, port or codec changes).
//!
//! Sans-IO: bodies in, bodies and a [`NegotiatedMedia`] out. One [`SdpSession`] lives as
//! long as a call; it keeps the `o=` line stable and increments its version each time the
//! SDP we send changes (RFC 3264 §8), and remembers an offer waiting for its answer.
//!
//! # What we support
//! One audio stream over `RTP/AVP` (an `RTP/AVPF` offer is answered in kind, feedback is
//! simply not used) with G.711 (PCMU, PCMA) at 8 kHz and RFC 4733 `telephone-event/8000`.
//! Codecs are recognised by static payload type *or* by `a=rtpmap` name, so a PCMU on a
//! dynamic number works. Other m-lines (video, a second audio, SRTP) are rejected with
//! port 0, keeping the number and order of m-lines (RFC 3264 §6). An offer with nothing we
//! can use is [`NegotiationError::NoAcceptableMedia`], which the UA answers with
//! `488 Not Acceptable Here` ([`NegotiationError::status_code`]).
//!
//! # Payload type numbers
//! Numbers in an SDP say how its *author* wants to receive (RFC 3264 §5.1, §6.1). So
//! [`NegotiatedMedia::payload_type`] and [`NegotiatedMedia::dtmf_payload_type`] are the
//! peer's numbers (what we send with), while [`NegotiatedMedia::receive_audio`] and
//! [`NegotiatedMedia::receive_dtmf_payload_type`] are the numbers we advertised.
//!
//! # Directions
//! [`NegotiatedMedia::direction`] is *our* direction: [`TransmitType::SendOnly`] means we
//! send and do not receive. Answering, it is the offer's direction seen from our side
//! (`sendonly` answered `recvonly`, `recvonly` answered `sendonly`, `inactive` with
//! `inactive`, RFC 3264 §6.1), narrowed by what we want ([`LocalMedia::direction`], e.g.
//! when we hold). An old-style hold offer with `c=0.0.0.0` (RFC 2543, RFC 3264 §8.4) means
//! the peer does not want to receive: we answer as if it had said `sendonly` and never send
//! to that address.
//!
//! # Example
//! ```
//! use rtp_core::{AudioCodec, TransmitType};
//! use voip::sdp_negotiation::{LocalMedia, SdpSession};
//!
//! // An offer from a PBX putting PCMA first.
//! let offer = "v=0\r\no=root 1 1 IN IP4 127.0.0.1\r\ns=call\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
//!              m=audio 40000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n\
//!              a=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n";
//! let mut session = SdpSession::new(LocalMedia::new("127.0.0.1".parse()?, 10000));
//! let (answer, media) = session.receive_offer(offer)?;
//! assert_eq!(media.codec, AudioCodec::Pcma); // the offer's first choice
//! assert_eq!(media.remote, "127.0.0.1:40000".parse()?);
//! assert_eq!(media.dtmf_payload_type, Some(101));
//! assert_eq!(media.direction, TransmitType::SendRecv);
//! assert!(answer.contains("m=audio 10000 RTP/AVP 8 101\r\n"));
//!
//! // Later the PBX puts us on hold.
//! let hold = offer.replace("o=root 1 1", "o=root 1 2").replace("sendrecv", "sendonly");
//! let (answer, media) = session.receive_offer(&hold)?;
//! assert_eq!(media.direction, TransmitType::RecvOnly);
//! assert!(answer.contains("a=recvonly"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use rtp_core::{AudioCodec, PayloadType, TransmitType};
use sip_message::sdp::{Direction, Media, SessionDescription};
use std::borrow::Cow;
use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

/// The RTP clock rate of everything we negotiate (G.711 and telephone-event).
const CLOCK_RATE: u32 = 8000;
/// The events we can send and receive (RFC 4733: 0-9, *, #, A-D, flash).
const DTMF_EVENTS: &str = "0-16";
/// The packet time we ask for when the peer says nothing.
pub const DEFAULT_PTIME_MS: u32 = 20;

/// Why an offer or answer cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NegotiationError {
    /// The body is not valid SDP.
    #[error("invalid SDP: {0}")]
    Parse(#[from] sip_message::Error),
    /// We were asked to advertise 0.0.0.0 or `::`, which no peer can send to.
    #[error("refusing to advertise the unspecified address {0} in SDP")]
    UnspecifiedAddress(IpAddr),
    /// [`LocalMedia`] lists no audio codec.
    #[error("no audio codec configured")]
    NoCodecs,
    /// A payload type we cannot send or receive was configured.
    #[error("unsupported payload type {0} for a call (PCMU, PCMA and telephone-event only)")]
    UnsupportedPayloadType(PayloadType),
    /// The offer has no audio stream with a codec and transport we support (488).
    #[error("no acceptable media in the offer (we support RTP/AVP audio with PCMU or PCMA)")]
    NoAcceptableMedia,
    /// The chosen stream has no `c=` line at either level.
    #[error("m-line {index} has no connection address (c=)")]
    MissingConnection {
        /// Index of the m-line.
        index: usize,
    },
    /// The connection address is not an IP address (an FQDN, which would need DNS).
    #[error("m-line {index} has a connection address that is not an IP address: {address}")]
    UnsupportedAddress {
        /// Index of the m-line.
        index: usize,
        /// The address as written.
        address: String,
    },
    /// The peer's address family differs from ours (IPv4 against IPv6).
    #[error("address family mismatch: we use {local}, the peer {remote}")]
    AddressFamilyMismatch {
        /// Our address.
        local: IpAddr,
        /// The peer's address.
        remote: IpAddr,
    },
    /// An offer arrived while ours waits for its answer (glare: 491 Request Pending).
    #[error("an offer arrived while our own offer waits for its answer")]
    OfferPending,
    /// An answer arrived but we have no offer outstanding.
    #[error("an answer arrived but no offer is outstanding")]
    NoOfferPending,
    /// The peer rejected our audio stream (port 0 in the answer).
    #[error("the peer rejected the audio stream (port 0)")]
    MediaRejected,
    /// The answer does not answer our offer.
    #[error("invalid answer: {0}")]
    InvalidAnswer(&'static str),
}

impl NegotiationError {
    /// The SIP status a UAS answers an offer with when this error happens: 488 for
    /// unusable media, 400 for malformed SDP, 491 for glare, 500 for a local problem.
    pub fn status_code(&self) -> u16 {
        match self {
            NegotiationError::Parse(_) => 400,
            NegotiationError::OfferPending => 491,
            NegotiationError::UnspecifiedAddress(_)
            | NegotiationError::NoCodecs
            | NegotiationError::UnsupportedPayloadType(_)
            | NegotiationError::NoOfferPending => 500,
            _ => 488,
        }
    }
}

/// What we offer and accept: our address and port, codecs in order of preference,
/// telephone-event, ptime and the direction we want.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalMedia {
    /// The address advertised in `c=` and `o=` (the NAT-selected one; never unspecified).
    pub address: IpAddr,
    /// Our RTP port.
    pub port: u16,
    /// Audio payload type numbers and codecs, in order of preference (our offer lists them
    /// in this order; answering, only the codecs matter, the offer's numbers are used).
    pub audio: Vec<(u8, AudioCodec)>,
    /// The telephone-event payload type number we offer, or `None` for no RFC 4733 DTMF.
    pub telephone_event: Option<u8>,
    /// The packet time we ask for, in milliseconds.
    pub ptime: u32,
    /// The direction we want (`SendOnly` or `Inactive` to hold the peer).
    pub direction: TransmitType,
    /// The `o=` username (RFC 8866 §5.2; `-` when there is none).
    pub username: String,
}

impl LocalMedia {
    /// PCMU (0), PCMA (8), telephone-event (101), 20 ms, sendrecv.
    pub fn new(address: IpAddr, port: u16) -> Self {
        LocalMedia {
            address,
            port,
            audio: vec![(0, AudioCodec::Pcmu), (8, AudioCodec::Pcma)],
            telephone_event: Some(101),
            ptime: DEFAULT_PTIME_MS,
            direction: TransmitType::SendRecv,
            username: "-".to_owned(),
        }
    }

    /// Sets the codecs and telephone-event number from pyVoIP-style payload types
    /// (`call(number, payload_types)`), keeping their order. PCMU and PCMA may use any
    /// number; telephone-event sets the DTMF number (none listed: no RFC 4733 DTMF).
    /// Any other payload type is an error.
    pub fn with_payload_types(
        mut self,
        types: impl IntoIterator<Item = (u8, PayloadType)>,
    ) -> Result<Self, NegotiationError> {
        let mut audio = Vec::new();
        let mut dtmf = None;
        for (number, pt) in types {
            if number > 127 {
                return Err(NegotiationError::UnsupportedPayloadType(pt));
            }
            match pt {
                PayloadType::TelephoneEvent => dtmf = Some(number),
                other => match AudioCodec::from_payload_type(other) {
                    Some(c) if !audio.iter().any(|(n, _)| *n == number) => audio.push((number, c)),
                    _ => return Err(NegotiationError::UnsupportedPayloadType(other)),
                },
            }
        }
        if audio.is_empty() {
            return Err(NegotiationError::NoCodecs);
        }
        self.audio = audio;
        self.telephone_event = dtmf;
        Ok(self)
    }

    fn supports(&self, codec: AudioCodec) -> bool {
        self.audio.iter().any(|(_, c)| *c == codec)
    }
}

/// The outcome of an offer/answer exchange: what the media engine needs to run the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiatedMedia {
    /// Where to send RTP (the peer's `c=` address and m-line port). Its IP is unspecified
    /// (`0.0.0.0`) for an old-style hold; then [`Self::can_send`] is false.
    pub remote: SocketAddr,
    /// The audio codec we send.
    pub codec: AudioCodec,
    /// The payload type number we send the codec with (the peer's number).
    pub payload_type: u8,
    /// The telephone-event number we send DTMF with (the peer's), if both sides have it.
    pub dtmf_payload_type: Option<u8>,
    /// Our direction: whether we send and/or receive.
    pub direction: TransmitType,
    /// The packet time the peer asked for (`a=ptime`), in milliseconds; 20 by default.
    pub ptime: u32,
    /// Audio numbers we advertised and may receive, with their codecs.
    pub receive_audio: Vec<(u8, AudioCodec)>,
    /// The telephone-event number we advertised and may receive.
    pub receive_dtmf_payload_type: Option<u8>,
}

impl NegotiatedMedia {
    /// True if we should send RTP: our direction sends and the peer gave an address.
    pub fn can_send(&self) -> bool {
        self.direction.sends() && !self.remote.ip().is_unspecified() && self.remote.port() != 0
    }

    /// True if we accept RTP from the peer.
    pub fn can_receive(&self) -> bool {
        self.direction.receives()
    }
}

/// Converts between the SDP attribute and pyVoIP's `TransmitType`.
pub fn transmit_type(d: Direction) -> TransmitType {
    match d {
        Direction::SendRecv => TransmitType::SendRecv,
        Direction::SendOnly => TransmitType::SendOnly,
        Direction::RecvOnly => TransmitType::RecvOnly,
        Direction::Inactive => TransmitType::Inactive,
    }
}

/// Converts pyVoIP's `TransmitType` to the SDP attribute.
pub fn sdp_direction(t: TransmitType) -> Direction {
    match t {
        TransmitType::SendRecv => Direction::SendRecv,
        TransmitType::SendOnly => Direction::SendOnly,
        TransmitType::RecvOnly => Direction::RecvOnly,
        TransmitType::Inactive => Direction::Inactive,
    }
}

/// The direction allowing only what both allow.
fn intersect(a: TransmitType, b: TransmitType) -> TransmitType {
    match (a.sends() && b.sends(), a.receives() && b.receives()) {
        (true, true) => TransmitType::SendRecv,
        (true, false) => TransmitType::SendOnly,
        (false, true) => TransmitType::RecvOnly,
        (false, false) => TransmitType::Inactive,
    }
}

/// Transport protocols we can run G.711 over (plain RTP; AVPF is answered in kind).
fn supported_protocol(proto: &str) -> bool {
    proto.eq_ignore_ascii_case("RTP/AVP") || proto.eq_ignore_ascii_case("RTP/AVPF")
}

/// What a payload type of `media` is, by rtpmap name or static number.
fn payload_type_of(media: &Media<'_>, pt: u8) -> Option<PayloadType> {
    let map = media.rtpmap(pt)?;
    let channels = map.channels.map(|c| u8::try_from(c).unwrap_or(u8::MAX));
    PayloadType::from_rtpmap(map.encoding, map.clock_rate, channels)
}

/// The first telephone-event/8000 number in `media`.
fn telephone_event_of(media: &Media<'_>) -> Option<u8> {
    media
        .payload_types()
        .find(|&pt| payload_type_of(media, pt) == Some(PayloadType::TelephoneEvent))
}

/// The peer's address for m-line `index`.
fn remote_addr(
    sdp: &SessionDescription<'_>,
    media: &Media<'_>,
    index: usize,
) -> Result<SocketAddr, NegotiationError> {
    let conn = sdp
        .connection_for(media)
        .ok_or(NegotiationError::MissingConnection { index })?;
    let ip = conn
        .ip()
        .ok_or_else(|| NegotiationError::UnsupportedAddress {
            index,
            address: conn.address.to_string(),
        })?;
    Ok(SocketAddr::new(ip, media.port))
}

/// One call's SDP state; see the module documentation.
#[derive(Debug, Clone)]
pub struct SdpSession {
    local: LocalMedia,
    session_id: u64,
    version: u64,
    /// The last body we sent, without its `o=` line, to tell whether the next one changed.
    last_sent: Option<String>,
    /// Our offer waiting for its answer.
    pending_offer: bool,
    /// The last exchange was our offer and its answer: another answer to that offer may
    /// still come (the 200 after an early answer in a 183, or another fork's).
    offer_answered: bool,
    negotiated: Option<NegotiatedMedia>,
}

impl SdpSession {
    /// A session with a random session id (RFC 8866 §5.2 suggests an NTP time; any unique
    /// number will do).
    pub fn new(local: LocalMedia) -> Self {
        let mut b = [0u8; 8];
        let id = if getrandom::fill(&mut b).is_ok() {
            u64::from_le_bytes(b)
        } else {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        };
        // Keep it within what a signed 63-bit parser accepts (some peers store it so).
        Self::with_session_id(local, id >> 2)
    }

    /// A session with a chosen session id (tests, or a UA that derives it).
    pub fn with_session_id(local: LocalMedia, session_id: u64) -> Self {
        SdpSession {
            local,
            session_id,
            version: session_id % 1_000_000,
            last_sent: None,
            pending_offer: false,
            offer_answered: false,
            negotiated: None,
        }
    }

    /// What we offer and accept.
    pub fn local(&self) -> &LocalMedia {
        &self.local
    }

    /// Changes what we offer and accept (e.g. the direction to hold, or a new port); takes
    /// effect in the next offer or answer.
    pub fn local_mut(&mut self) -> &mut LocalMedia {
        &mut self.local
    }

    /// The `o=` session id.
    pub fn session_id(&self) -> u64 {
        self.session_id
    }

    /// The `o=` version of the last SDP sent.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The media of the last completed exchange.
    pub fn negotiated(&self) -> Option<&NegotiatedMedia> {
        self.negotiated.as_ref()
    }

    /// True while our offer waits for its answer.
    pub fn has_pending_offer(&self) -> bool {
        self.pending_offer
    }

    /// Forgets our outstanding offer (it was rejected, e.g. 488 or 491, or the call ended);
    /// the media of the previous exchange stay in force (RFC 3264 §8).
    pub fn cancel_offer(&mut self) {
        self.pending_offer = false;
    }

    fn check_local(&self) -> Result<(), NegotiationError> {
        if self.local.address.is_unspecified() {
            return Err(NegotiationError::UnspecifiedAddress(self.local.address));
        }
        if self.local.audio.is_empty() {
            return Err(NegotiationError::NoCodecs);
        }
        Ok(())
    }

    /// Serializes `sdp` with the right `o=` version: the previous one if nothing changed
    /// since the last body we sent, else the next (RFC 3264 §8).
    fn finish(&mut self, mut sdp: SessionDescription<'_>) -> String {
        let fingerprint = {
            let mut s = sdp.clone();
            s.origin.session_version = Cow::Borrowed("");
            s.to_string()
        };
        if self.last_sent.as_deref() != Some(&fingerprint) {
            if self.last_sent.is_some() {
                self.version += 1;
            }
            self.last_sent = Some(fingerprint);
        }
        sdp.origin.session_version = Cow::Owned(self.version.to_string());
        sdp.to_string()
    }

    fn skeleton(&self) -> SessionDescription<'static> {
        // The o= username is one token (RFC 8866 §5.2): anything else becomes "-".
        let user = &self.local.username;
        let valid = !user.is_empty() && user.bytes().all(|b| b.is_ascii_graphic());
        let mut sdp = SessionDescription::new(
            if valid { user } else { "-" },
            self.session_id,
            self.version,
            self.local.address,
        );
        sdp.session_name = Cow::Borrowed("voip");
        sdp
    }

    fn audio_media(
        &self,
        protocol: &str,
        audio: &[(u8, AudioCodec)],
        dtmf: Option<u8>,
        direction: TransmitType,
    ) -> Media<'static> {
        let formats = audio.iter().map(|(n, _)| *n).chain(dtmf);
        let mut m = Media::new("audio", self.local.port, protocol.to_owned(), formats);
        for &(n, codec) in audio {
            m.push_rtpmap(n, codec.payload_type().encoding_name(), CLOCK_RATE, None);
        }
        if let Some(n) = dtmf {
            m.push_rtpmap(n, "telephone-event", CLOCK_RATE, None);
            let mut v = String::new();
            let _ = write!(v, "{n} {DTMF_EVENTS}");
            m.push_attribute("fmtp", Some(Cow::Owned(v)));
        }
        m.push_attribute("ptime", Some(Cow::Owned(self.local.ptime.to_string())));
        m.set_direction(sdp_direction(direction));
        m
    }

    /// Builds our offer (initial, or a re-offer: same `o=` line, version incremented when
    /// the content changed). The answer goes to [`receive_answer`](Self::receive_answer).
    pub fn create_offer(&mut self) -> Result<String, NegotiationError> {
        self.check_local()?;
        let mut sdp = self.skeleton();
        let audio = self.local.audio.clone();
        sdp.media.push(self.audio_media(
            "RTP/AVP",
            &audio,
            self.local.telephone_event,
            self.local.direction,
        ));
        self.pending_offer = true;
        self.offer_answered = false;
        Ok(self.finish(sdp))
    }

    /// Processes the answer to our offer; errors if it does not answer it (then the previous
    /// media, if any, stay in force and the offer is no longer pending).
    ///
    /// The same offer may be answered more than once: an early answer in a 183 and then
    /// the 200 (RFC 3261 §13.3.1 has the 200 repeat it), or answers from several forks.
    /// Each later answer is processed too and replaces the media, until we send or receive
    /// a new offer.
    pub fn receive_answer(&mut self, body: &str) -> Result<NegotiatedMedia, NegotiationError> {
        if !self.pending_offer && !self.offer_answered {
            return Err(NegotiationError::NoOfferPending);
        }
        self.pending_offer = false;
        let sdp = SessionDescription::parse(body)?;
        let media = self.process_answer(&sdp)?;
        self.offer_answered = true;
        self.negotiated = Some(media.clone());
        Ok(media)
    }

    fn process_answer(
        &self,
        sdp: &SessionDescription<'_>,
    ) -> Result<NegotiatedMedia, NegotiationError> {
        // We offer exactly one m-line: the answer has one too (RFC 3264 §6).
        let [m] = sdp.media.as_slice() else {
            return Err(NegotiationError::InvalidAnswer(
                "the number of m-lines differs from our offer",
            ));
        };
        if !m.kind.eq_ignore_ascii_case("audio") {
            return Err(NegotiationError::InvalidAnswer(
                "the m-line is not audio as in our offer",
            ));
        }
        if m.port == 0 {
            return Err(NegotiationError::MediaRejected);
        }
        if !supported_protocol(&m.protocol) {
            return Err(NegotiationError::InvalidAnswer(
                "the transport differs from our offer",
            ));
        }
        let (payload_type, codec) = m
            .payload_types()
            .find_map(|pt| {
                let codec = AudioCodec::from_payload_type(payload_type_of(m, pt)?)?;
                self.local.supports(codec).then_some((pt, codec))
            })
            .ok_or(NegotiationError::InvalidAnswer(
                "no codec of our offer in the answer",
            ))?;
        let remote = remote_addr(sdp, m, 0)?;
        self.check_family(remote.ip())?;
        let dtmf = self.local.telephone_event.and(telephone_event_of(m));
        let mut peer = transmit_type(sdp.direction_of(m));
        if remote.ip().is_unspecified() {
            peer = intersect(peer, TransmitType::SendOnly);
        }
        Ok(NegotiatedMedia {
            remote,
            codec,
            payload_type,
            dtmf_payload_type: dtmf,
            direction: intersect(self.local.direction, peer.reversed()),
            ptime: m.ptime().filter(|&p| p > 0).unwrap_or(DEFAULT_PTIME_MS),
            receive_audio: self.local.audio.clone(),
            receive_dtmf_payload_type: self.local.telephone_event,
        })
    }

    fn check_family(&self, remote: IpAddr) -> Result<(), NegotiationError> {
        if !remote.is_unspecified() && remote.is_ipv4() != self.local.address.is_ipv4() {
            return Err(NegotiationError::AddressFamilyMismatch {
                local: self.local.address,
                remote,
            });
        }
        Ok(())
    }

    /// Answers an offer (initial or re-offer): returns our answer body and the media to
    /// use. On error nothing changes; answer the request with
    /// [`NegotiationError::status_code`].
    pub fn receive_offer(
        &mut self,
        body: &str,
    ) -> Result<(String, NegotiatedMedia), NegotiationError> {
        if self.pending_offer {
            return Err(NegotiationError::OfferPending);
        }
        self.check_local()?;
        let offer = SessionDescription::parse(body)?;
        let (index, media) = self.choose(&offer)?;
        let mut answer = self.skeleton();
        for (i, m) in offer.media.iter().enumerate() {
            if i == index {
                let dtmf = media.dtmf_payload_type;
                answer.media.push(self.audio_media(
                    &m.protocol,
                    &[(media.payload_type, media.codec)],
                    dtmf,
                    media.direction,
                ));
            } else {
                // Rejected: port 0, the offer's formats, nothing else (RFC 3264 §6).
                answer.media.push(Media {
                    kind: m.kind.clone(),
                    port: 0,
                    port_count: None,
                    protocol: m.protocol.clone(),
                    formats: m.formats.clone(),
                    information: None,
                    connections: Vec::new(),
                    bandwidths: Vec::new(),
                    key: None,
                    attributes: Vec::new(),
                });
            }
        }
        let body = self.finish(answer);
        self.offer_answered = false;
        self.negotiated = Some(media.clone());
        Ok((body, media))
    }

    /// Picks the first usable audio m-line of an offer and the media for it.
    fn choose(
        &self,
        offer: &SessionDescription<'_>,
    ) -> Result<(usize, NegotiatedMedia), NegotiationError> {
        let mut first_error = None;
        for (index, m) in offer.media.iter().enumerate() {
            if !m.kind.eq_ignore_ascii_case("audio")
                || m.port == 0
                || !supported_protocol(&m.protocol)
            {
                continue;
            }
            // The offer's order of preference among the codecs we support.
            let Some((payload_type, codec)) = m.payload_types().find_map(|pt| {
                let codec = AudioCodec::from_payload_type(payload_type_of(m, pt)?)?;
                self.local.supports(codec).then_some((pt, codec))
            }) else {
                continue;
            };
            let remote = match remote_addr(offer, m, index)
                .and_then(|r| self.check_family(r.ip()).map(|()| r))
            {
                Ok(r) => r,
                Err(e) => {
                    first_error.get_or_insert(e);
                    continue;
                }
            };
            let dtmf = self.local.telephone_event.and(telephone_event_of(m));
            let mut offered = transmit_type(offer.direction_of(m));
            if remote.ip().is_unspecified() {
                // RFC 2543 hold: the offerer does not want to receive.
                offered = intersect(offered, TransmitType::SendOnly);
            }
            let direction = intersect(offered.reversed(), self.local.direction);
            return Ok((
                index,
                NegotiatedMedia {
                    remote,
                    codec,
                    payload_type,
                    dtmf_payload_type: dtmf,
                    direction,
                    ptime: m.ptime().filter(|&p| p > 0).unwrap_or(DEFAULT_PTIME_MS),
                    receive_audio: vec![(payload_type, codec)],
                    receive_dtmf_payload_type: dtmf,
                },
            ));
        }
        Err(first_error.unwrap_or(NegotiationError::NoAcceptableMedia))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intersect_is_a_meet() {
        use TransmitType::*;
        let all = [SendRecv, SendOnly, RecvOnly, Inactive];
        for a in all {
            assert_eq!(intersect(a, SendRecv), a);
            assert_eq!(intersect(a, Inactive), Inactive);
            for b in all {
                assert_eq!(intersect(a, b), intersect(b, a));
            }
        }
        assert_eq!(intersect(SendOnly, RecvOnly), Inactive);
    }

    #[test]
    fn direction_conversions_round_trip() {
        for d in [
            Direction::SendRecv,
            Direction::SendOnly,
            Direction::RecvOnly,
            Direction::Inactive,
        ] {
            assert_eq!(sdp_direction(transmit_type(d)), d);
            assert_eq!(transmit_type(d).as_str(), d.as_str());
        }
    }
}
