//! The user agent core, sans-IO: calls, registration and MESSAGE over the transaction
//! layer, dialogs, digest authentication and SDP offer/answer.
//!
//! [`UaCore`] never reads a clock or touches a socket (quinn-proto style). Its driver
//! ([`crate::driver`] for tokio) feeds it what arrived
//! ([`handle_incoming`](UaCore::handle_incoming)), the user's commands
//! ([`call`](UaCore::call), [`answer`](UaCore::answer), [`hangup`](UaCore::hangup), ...)
//! and the time ([`handle_timeout`](UaCore::handle_timeout) at
//! [`poll_timeout`](UaCore::poll_timeout)); it sends what
//! [`poll_transmit`](UaCore::poll_transmit) returns and reacts to
//! [`poll_event`](UaCore::poll_event)s ([`CoreEvent`]). The RTP side is the driver's: the
//! core only needs the RTP port of a call's stream and reports the
//! [`NegotiatedMedia`] to apply.
//!
//! # Behaviour
//! * **Incoming INVITE**: `100 Trying`, then `180 Ringing` with our To tag and Contact
//!   (an early dialog), [`CoreEvent::IncomingCall`]; repeated every minute while it
//!   rings (RFC 3261 §13.3.1.1). An offer we cannot use at all is
//!   refused with `488` at once. [`answer`](UaCore::answer) sends `200 OK` with the SDP
//!   answer (`488` if negotiation fails), or with our offer when the INVITE had no SDP
//!   (delayed offer: the answer comes in the ACK). The transaction layer retransmits the
//!   2xx until the ACK (RFC 6026). [`early_media`](UaCore::early_media) sends `183` with
//!   the SDP answer first (repeated in the `200`). [`deny`](UaCore::deny) sends
//!   `486 Busy Here`. A CANCEL before the answer gets `200`, the INVITE `487`. The same
//!   INVITE arriving again by another path gets `482` (RFC 3261 §8.2.2.2). A request
//!   that `Require`s an extension gets `420` with `Unsupported` (we implement none).
//! * **In a call**: BYE -> `200`, call ended; re-INVITE / UPDATE answered (hold:
//!   `sendonly` answered `recvonly`, address and codec changes) and reported again as
//!   [`CoreEvent::MediaNegotiated`]; a re-INVITE without SDP gets our offer; an UPDATE
//!   with an offer before we answered gets `488` (RFC 3311); OPTIONS,
//!   INFO -> `200`; REFER -> `202` and [`CoreEvent::TransferRequested`]; NOTIFY of a
//!   transfer we asked for -> its outcome. A request for an unknown dialog gets `481`; a
//!   method we do not do `405` with `Allow`.
//! * **Outgoing**: INVITE with our offer (to the outbound proxy, the server, or the URI's
//!   host); `401`/`407` answered with credentials; `18x` -> Progress (an SDP in it is early
//!   media); `2xx` -> ACK, Answered; `486`/`600`/`603` -> Ended with
//!   [`EndReason::Busy`]; other failures -> Ended with [`EndReason::Rejected`];
//!   [`cancel`](UaCore::cancel) sends CANCEL (after a provisional response, RFC 3261 §9.1).
//! * **Hang-up**: BYE in the dialog (To tag, next CSeq, route set), re-sent with
//!   credentials when challenged; held back while our `2xx` waits for its ACK (RFC 3261
//!   §15), sent once the ACK comes or the `2xx` retransmissions give up.
//! * **Our re-INVITE** ([`reinvite`](UaCore::reinvite): hold, resume): its outcome is
//!   [`CoreEvent::ReinviteResult`], after the answer's [`CoreEvent::MediaNegotiated`]; a
//!   `491` (glare) is retried once after a random wait (RFC 3261 §14.1); no answer, `408`
//!   or `481` end the call.
//! * **Transfer** ([`transfer`](UaCore::transfer)): REFER; blind: done on `2xx`, then BYE;
//!   attended: waits for the NOTIFY whose `message/sipfrag` carries a final status, and
//!   keeps the call when it failed. [`CoreEvent::TransferResult`] says how it went.
//! * **MESSAGE** both ways, challenged MESSAGEs re-sent with credentials.
//! * **Registration** through [`crate::registration`] when a server is configured.
//! * Addresses: the host in Via, Contact and SDP is the NAT-selected one
//!   ([`sip_transport::Nat`]); when that is a wildcard the driver tells the core which local
//!   address routes to a peer ([`learn_local_ip`](UaCore::learn_local_ip)). `0.0.0.0` is
//!   never advertised. Via carries `;rport`, responses follow `received`/`rport` (the
//!   transaction layer), Record-Route becomes the route set.
//!
//! # Example
//! Two cores talking to each other in memory: Alice calls Bob, Bob answers.
//! ```
//! use std::time::Instant;
//! use sip_transport::TransportMode;
//! use voip::core::{CallState, CoreConfig, CoreEvent, UaCore};
//! use voip::transaction::Target;
//!
//! let a_addr = "127.0.0.1:5062".parse()?;
//! let b_addr = "127.0.0.1:5064".parse()?;
//! let mut alice = UaCore::new(CoreConfig::peer_to_peer("alice", "127.0.0.1".parse()?, 5062));
//! let mut bob = UaCore::new(CoreConfig::peer_to_peer("bob", "127.0.0.1".parse()?, 5064));
//! let now = Instant::now();
//!
//! let call = alice.call(now, "sip:bob@127.0.0.1:5064", 30000, &[])?;
//! // Move every datagram across until both sides are quiet.
//! fn pump(now: Instant, from: &mut UaCore, from_addr: std::net::SocketAddr, to: &mut UaCore) {
//!     while let Some(t) = from.poll_transmit() {
//!         let msg = sip_message::SipMessage::parse(t.bytes).unwrap();
//!         to.handle_incoming(now, msg, Target::udp(from_addr));
//!     }
//! }
//! pump(now, &mut alice, a_addr, &mut bob);
//! let Some(CoreEvent::IncomingCall { call: incoming, .. }) = bob.poll_event() else { panic!() };
//! bob.answer(now, incoming, 30002)?;
//! pump(now, &mut bob, b_addr, &mut alice);
//! pump(now, &mut alice, a_addr, &mut bob);
//! assert_eq!(alice.call_state(call), Some(CallState::Answered));
//! assert_eq!(bob.call_state(incoming), Some(CallState::Answered));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::Bytes;
use credentials::{AuthPolicy, CredentialsManager};
use rtp_core::{PayloadType, TransmitType};
use sip_message::{
    Contact, HeaderName, Host, Method, NameAddr, RequestBuilder, SipMessage, SipStatus, SipUri,
    Transport, Uri,
};
use sip_transport::{Nat, TransportMode};

use crate::auth::ClientAuth;
use crate::dialog::{
    Dialog, DialogId, MAX_FORWARDS, SentBy, new_branch, new_call_id, new_tag, random_cseq,
    uas_response,
};
use crate::error::{Error, Result};
use crate::registration::{Registration, RegistrationConfig, RegistrationEvent};
use crate::sdp_negotiation::{LocalMedia, NegotiatedMedia, SdpSession};
use crate::timer::TimerConfig;
use crate::transaction::{
    Received, Target, TransactionConfig, TransactionEvent, TransactionKey, TransactionLayer,
    Transmit,
};

/// The methods we handle, for `Allow` headers.
pub const ALLOWED_METHODS: &str =
    "INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, REFER, NOTIFY, UPDATE, INFO";

/// What we accept as bodies, for `Accept` headers.
const ACCEPT: &str = "application/sdp, text/plain, message/sipfrag";

/// How often a ringing call's provisional response is sent again (RFC 3261 §13.3.1.1).
const RINGING_REFRESH: Duration = Duration::from_secs(60);

/// How long an ended call is remembered (late ACKs, retransmitted BYEs, 2xx after CANCEL).
const ENDED_LINGER: Duration = Duration::from_secs(32);

/// Most calls alive (not ended) at once; further INVITEs get `486`, [`UaCore::call`] an
/// error. Ended calls do not count: they are remembered apart (see [`MAX_ENDED`]).
pub const MAX_CALLS: usize = 4096;

/// Most ended calls remembered for 32 s (to answer late ACKs, retransmitted
/// BYEs, a 2xx crossing our CANCEL); beyond it the oldest are forgotten early. At 1000
/// calls per second 32 s of linger is 32000 calls.
pub const MAX_ENDED: usize = 65536;

/// Most events queued for the driver; beyond it the oldest are dropped.
const MAX_EVENTS: usize = 65536;

/// The state of a call (pyVoIP's `CallState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallState {
    /// We called; no answer yet (`cancel` allowed).
    Dialing,
    /// A call to us is ringing (`answer` / `deny` allowed).
    Ringing,
    /// Our call got a provisional response (180/183; early media may play).
    Progress,
    /// The call is up (`hangup`, `transfer`, audio).
    Answered,
    /// We cancelled our call and wait for the outcome.
    Canceling,
    /// The call is over.
    Ended,
}

impl fmt::Display for CallState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CallState::Dialing => "DIALING",
            CallState::Ringing => "RINGING",
            CallState::Progress => "PROGRESS",
            CallState::Answered => "ANSWERED",
            CallState::Canceling => "CANCELING",
            CallState::Ended => "ENDED",
        })
    }
}

/// Why a call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndReason {
    /// We hung up.
    LocalHangup,
    /// The peer hung up (BYE).
    RemoteHangup,
    /// We refused the call (486).
    Denied,
    /// We cancelled our call.
    Canceled,
    /// The caller cancelled before we answered.
    RemoteCanceled,
    /// The callee was busy or declined (486, 600, 603).
    Busy {
        /// The status code.
        status: u16,
    },
    /// The callee (or a proxy) refused the call with another final status.
    Rejected {
        /// The status code.
        status: u16,
        /// The reason phrase.
        reason: String,
    },
    /// No final response (Timer B), or the ACK of our 2xx never came.
    Timeout,
    /// No codec in common (488).
    NotAcceptable,
    /// A challenge could not be answered or the credentials were refused.
    AuthFailed(String),
    /// The call was transferred away (REFER accepted).
    Transferred,
    /// The transport failed.
    TransportError,
    /// The phone was stopped.
    Shutdown,
}

/// Identifies a call inside one [`UaCore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallKey(u64);

impl CallKey {
    /// The number (unique per core).
    pub fn id(self) -> u64 {
        self.0
    }
}

/// Who started the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallDirection {
    /// The peer called us.
    Incoming,
    /// We called.
    Outgoing,
}

/// A MESSAGE we received (answered `200 OK`).
#[derive(Debug, Clone)]
pub struct IncomingMessage {
    /// The sender's From URI.
    pub from: String,
    /// The To URI.
    pub to: String,
    /// The Content-Type (`text/plain` when absent).
    pub content_type: String,
    /// The body.
    pub body: Bytes,
    /// The request.
    pub request: SipMessage,
}

impl IncomingMessage {
    /// The body as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What the core tells its driver.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum CoreEvent {
    /// A call arrived; it is ringing (`180` sent).
    IncomingCall {
        /// The new call.
        call: CallKey,
        /// The INVITE.
        request: SipMessage,
    },
    /// A call changed state. `message` is what caused it when there is one (the 18x, the
    /// 2xx, the failure response, the BYE).
    StateChanged {
        /// The call.
        call: CallKey,
        /// Its new state.
        state: CallState,
        /// Why it ended, for [`CallState::Ended`].
        reason: Option<EndReason>,
        /// The message that caused the change.
        message: Option<SipMessage>,
    },
    /// Offer/answer completed (initially, early media, or a re-INVITE/UPDATE): apply to
    /// the call's media stream.
    MediaNegotiated {
        /// The call.
        call: CallKey,
        /// The media to use.
        media: NegotiatedMedia,
    },
    /// Something happened to the registration.
    Registration(RegistrationEvent),
    /// A MESSAGE arrived.
    MessageReceived(IncomingMessage),
    /// The final outcome of a MESSAGE we sent ([`UaCore::message`]).
    MessageResult {
        /// The id [`UaCore::message`] returned.
        id: u64,
        /// The final status (408 on timeout, 503 on transport error).
        status: u16,
    },
    /// The outcome of a transfer we asked for ([`UaCore::transfer`]).
    TransferResult {
        /// The call.
        call: CallKey,
        /// Whether it succeeded (blind: REFER accepted; attended: the new call answered).
        success: bool,
    },
    /// The outcome of a re-INVITE we sent ([`UaCore::reinvite`]): a `2xx` whose answer
    /// was applied (its [`CoreEvent::MediaNegotiated`] came first), or the failure
    /// status (`408` no answer, `503` transport error, `488` an unusable answer, or what
    /// the peer sent, e.g. `491`).
    ReinviteResult {
        /// The call.
        call: CallKey,
        /// The final status.
        status: u16,
    },
    /// A DTMF key arrived in a SIP INFO (`application/dtmf-relay` or `application/dtmf`),
    /// as some PBXs send instead of RFC 4733 events.
    DtmfReceived {
        /// The call.
        call: CallKey,
        /// The key: `0`-`9`, `*`, `#`, `A`-`D`, or `R` (flash).
        digit: char,
    },
    /// The peer asked us (REFER) to call `target`; answer with
    /// [`UaCore::call_referred`] (the core reports the outcome to the peer by NOTIFY).
    TransferRequested {
        /// The call the REFER came in.
        call: CallKey,
        /// The Refer-To URI.
        target: String,
    },
}

/// The core's settings. [`CoreConfig::from_params`] derives them from
/// [`VoipPhoneParameter`](crate::VoipPhoneParameter).
#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// Our user part.
    pub user: String,
    /// Display name in From.
    pub display_name: Option<String>,
    /// Registrar / PBX host and port.
    pub server: Option<(String, u16)>,
    /// The transport of our requests.
    pub transport: TransportMode,
    /// The port we listen on (Via, Contact).
    pub local_port: u16,
    /// NAT host selection.
    pub nat: Nat,
    /// T1/T2/T4.
    pub timers: TimerConfig,
    /// REGISTER expiry.
    pub register_expires: u32,
    /// REGISTER failure threshold.
    pub register_failure_threshold: u32,
    /// Wait before retrying a failed REGISTER.
    pub register_retry_interval: Duration,
    /// Outbound proxy.
    pub outbound_proxy: Option<Uri<'static>>,
    /// Which challenges may be answered.
    pub auth_policy: AuthPolicy,
    /// Passwords.
    pub credentials: CredentialsManager,
    /// User-Agent header.
    pub user_agent: String,
    /// Re-register with the public address a REGISTER's 2xx reports (Via `received` /
    /// `rport`) when it differs from our Contact; UDP only. See
    /// [`VoipPhoneParameter::nat_contact_rewrite`](crate::VoipPhoneParameter::nat_contact_rewrite).
    pub contact_rewrite: bool,
}

impl CoreConfig {
    /// Settings for a phone without server, listening on `ip:port` over UDP.
    pub fn peer_to_peer(user: &str, ip: IpAddr, port: u16) -> Self {
        CoreConfig {
            user: user.to_owned(),
            display_name: None,
            server: None,
            transport: TransportMode::Udp,
            local_port: port,
            nat: Nat::new(
                ip,
                ipnet::IpNet::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0)
                    .unwrap_or_else(|_| ipnet::IpNet::from(ip)),
                None,
                None,
            ),
            timers: TimerConfig::default(),
            register_expires: 300,
            register_failure_threshold: 3,
            register_retry_interval: Duration::from_secs(5),
            outbound_proxy: None,
            auth_policy: AuthPolicy::default(),
            credentials: CredentialsManager::new(),
            user_agent: concat!("voip-rs/", env!("CARGO_PKG_VERSION")).to_owned(),
            contact_rewrite: true,
        }
    }

    /// From the phone's parameters; `local_port` is the port actually bound.
    ///
    /// # Errors
    /// An invalid outbound proxy URI.
    pub fn from_params(p: &crate::VoipPhoneParameter, local_port: u16) -> Result<Self> {
        let outbound_proxy = match &p.outbound_proxy {
            Some(s) => Some(
                Uri::parse(s)
                    .map_err(|e| Error::Config(format!("outbound proxy: {e}")))?
                    .into_owned(),
            ),
            None => None,
        };
        Ok(CoreConfig {
            user: p.user.clone(),
            display_name: p.display_name.clone(),
            server: p.server.clone().map(|s| (s, p.port)),
            transport: p.transport_mode,
            local_port,
            nat: p.nat(),
            timers: p.timers,
            register_expires: p.register_expires,
            register_failure_threshold: p.register_failure_threshold,
            register_retry_interval: p.register_retry_interval,
            outbound_proxy,
            auth_policy: p.auth_policy,
            credentials: p.credentials_manager.clone(),
            user_agent: p.user_agent.clone(),
            // Explicit NAT settings say what to advertise: then we do not second-guess.
            contact_rewrite: p.nat_contact_rewrite
                && p.hostname.is_none()
                && p.remote_hostname.is_none()
                && p.bind_network.prefix_len() == 0,
        })
    }
}

/// What a client transaction of ours is for.
#[derive(Debug, Clone)]
enum Purpose {
    Invite(CallKey),
    ReInvite(CallKey),
    Bye,
    Refer { call: CallKey, blind: bool },
    Notify,
    Message(u64),
    Register,
}

/// A client transaction of ours: what it is for and, for requests a 401/407 makes us
/// re-send, the request and where it went (kept here because over TCP/TLS the
/// transaction is gone by the time its challenge reaches us: Timers D and K are zero).
#[derive(Debug)]
struct Tracked {
    purpose: Purpose,
    sent: Option<(SipMessage, Target)>,
}

/// One call.
#[derive(Debug)]
struct Call {
    direction: CallDirection,
    state: CallState,
    /// The INVITE as received (incoming) or as last sent (outgoing, after auth retries).
    invite: SipMessage,
    /// The INVITE's transaction (server for incoming, client for outgoing).
    invite_tx: TransactionKey,
    local_tag: String,
    dialog: Option<Dialog>,
    /// Where the peer is (the INVITE's source, or where we sent it): the fallback target.
    peer: Target,
    sdp: Option<SdpSession>,
    /// Our 200 (to an INVITE or re-INVITE) carried an offer: the answer comes in the ACK.
    offer_in_2xx: bool,
    /// The SDP answer our 183 carried (early media), repeated in the 200.
    early_answer: Option<String>,
    /// The re-INVITE we sent and is in progress.
    reinvite: Option<TransactionKey>,
    /// The direction our pending (or glare-delayed) re-INVITE asks for.
    reinvite_direction: TransmitType,
    /// Our re-INVITE met a `491` and is tried once more (RFC 3261 §14.1).
    glare_retried: bool,
    /// A transfer we asked for: blind or not.
    transfer: Option<bool>,
    /// An attended transfer's REFER was accepted: give up waiting for its NOTIFY then.
    transfer_deadline: Option<Instant>,
    /// An outgoing call made for a REFER received in call `.0`: report to it by NOTIFY.
    referred_from: Option<CallKey>,
    /// The local RTP port (for SDP).
    rtp_port: u16,
    ended_at: Option<Instant>,
    /// Our 2xx to the peer's INVITE is not ACKed yet: a BYE must wait (RFC 3261 §15).
    ack_pending: bool,
    /// A BYE built while `ack_pending`: sent when the ACK arrives, or when the 2xx's
    /// retransmissions give up (NoAck), or at the latest when the call is forgotten.
    deferred_bye: Option<(SipMessage, Target)>,
    /// We sent a REFER in this dialog: its implicit subscription (RFC 3515 §2.4.4) is a
    /// dialog usage of its own that may outlive the call (RFC 5057), so its NOTIFYs are
    /// answered 200 even after the call ended.
    refer_sent: bool,
}

/// The sans-IO user agent; see the [module documentation](self).
#[derive(Debug)]
pub struct UaCore {
    config: CoreConfig,
    tl: TransactionLayer,
    /// Boxed: a `Call` is 2.4 KiB, and the map keeps ended calls 32 s (thousands at a
    /// hundred calls a second); inline, every bucket of its doubling capacity would cost that.
    calls: HashMap<CallKey, Box<Call>>,
    /// (Call-ID, local tag) -> call.
    index: HashMap<(String, String), CallKey>,
    /// (Call-ID, From tag) -> incoming call, to spot a second copy of an INVITE
    /// (RFC 3261 §8.2.2.2).
    incoming: HashMap<(String, String), CallKey>,
    purposes: HashMap<TransactionKey, Tracked>,
    registration: Option<Registration>,
    auth: ClientAuth,
    events: VecDeque<CoreEvent>,
    next_call: u64,
    next_message: u64,
    /// Ended calls in the order they ended (purged after [`ENDED_LINGER`]).
    ended: VecDeque<(Instant, CallKey)>,
    /// Accepted attended transfers waiting for their NOTIFY, with the time to give up.
    transfer_deadlines: Vec<(Instant, CallKey)>,
    /// Re-INVITEs refused with `491` (glare), to try again at the time given.
    glare_retries: Vec<(Instant, CallKey)>,
    /// Ringing calls, by when their provisional response is due again (in time order).
    ringing_refresh: VecDeque<(Instant, CallKey)>,
    /// Local address the OS routes to a peer from, learned from the driver.
    routes: HashMap<IpAddr, IpAddr>,
    /// Host names resolved by the driver.
    resolved: HashMap<String, IpAddr>,
    /// The address our registrar (or outbound proxy) is reached at.
    registrar_hop: Option<IpAddr>,
    /// NAT: (registrar hop, our public IP, port) once a registration's Contact was
    /// rewritten to the address the registrar saw; Contacts sent to that hop use it too.
    public_contact: Option<(IpAddr, IpAddr, u16)>,
}

impl UaCore {
    /// A core with no calls and no registration.
    pub fn new(config: CoreConfig) -> Self {
        let tl = TransactionLayer::new(TransactionConfig {
            timers: config.timers,
            ..TransactionConfig::default()
        });
        let auth = ClientAuth::new(config.auth_policy);
        UaCore {
            config,
            tl,
            calls: HashMap::new(),
            index: HashMap::new(),
            incoming: HashMap::new(),
            purposes: HashMap::new(),
            registration: None,
            auth,
            events: VecDeque::new(),
            next_call: 1,
            next_message: 1,
            ended: VecDeque::new(),
            transfer_deadlines: Vec::new(),
            glare_retries: Vec::new(),
            ringing_refresh: VecDeque::new(),
            routes: HashMap::new(),
            resolved: HashMap::new(),
            registrar_hop: None,
            public_contact: None,
        }
    }

    /// The settings.
    pub fn config(&self) -> &CoreConfig {
        &self.config
    }

    /// The transaction layer (for state dumps).
    pub fn transactions(&self) -> &TransactionLayer {
        &self.tl
    }

    /// Tells the core which local address the OS uses towards `peer` (needed when the
    /// NAT-selected host is a wildcard bind address).
    pub fn learn_local_ip(&mut self, peer: IpAddr, local: IpAddr) {
        if self.routes.len() > 4096 {
            self.routes.clear();
        }
        self.routes.insert(peer, local);
    }

    /// Tells the core the address of a host name (server, proxy, URI hosts).
    pub fn learn_host(&mut self, host: &str, ip: IpAddr) {
        if self.resolved.len() > 4096 {
            self.resolved.clear();
        }
        self.resolved.insert(host.to_ascii_lowercase(), ip);
    }

    /// The state of a call (`None` once forgotten).
    pub fn call_state(&self, call: CallKey) -> Option<CallState> {
        self.calls.get(&call).map(|c| c.state)
    }

    /// Who started a call.
    pub fn call_direction(&self, call: CallKey) -> Option<CallDirection> {
        self.calls.get(&call).map(|c| c.direction)
    }

    /// The INVITE of a call (as received, or as last sent).
    pub fn call_request(&self, call: CallKey) -> Option<&SipMessage> {
        self.calls.get(&call).map(|c| &c.invite)
    }

    /// The dialog of a call, once there is one.
    pub fn call_dialog(&self, call: CallKey) -> Option<&Dialog> {
        self.calls.get(&call).and_then(|c| c.dialog.as_ref())
    }

    /// The media in force for a call.
    pub fn call_media(&self, call: CallKey) -> Option<&NegotiatedMedia> {
        self.calls
            .get(&call)
            .and_then(|c| c.sdp.as_ref())
            .and_then(|s| s.negotiated())
    }

    /// Calls not yet ended.
    pub fn active_calls(&self) -> Vec<CallKey> {
        let mut v: Vec<CallKey> = self
            .calls
            .iter()
            .filter(|(_, c)| c.state != CallState::Ended)
            .map(|(k, _)| *k)
            .collect();
        v.sort();
        v
    }

    /// Requests of ours still waiting for a final response, INVITEs excepted, plus BYEs
    /// held back until the peer ACKs our 2xx (a stopping phone waits for its BYEs and
    /// REGISTER to be answered).
    pub fn pending_requests(&self) -> usize {
        let held = self
            .calls
            .values()
            .filter(|c| c.deferred_bye.is_some())
            .count();
        held + self
            .purposes
            .values()
            .filter(|t| !matches!(t.purpose, Purpose::Invite(_) | Purpose::ReInvite(_)))
            .count()
    }

    /// The registration, when started.
    pub fn registration(&self) -> Option<&Registration> {
        self.registration.as_ref()
    }

    // ----- outputs -----

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.tl.poll_transmit()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<CoreEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must run next.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        // Calls end in time order: the oldest ended call lingers least.
        let linger = self.ended.front().map(|(t, _)| *t + ENDED_LINGER);
        let transfer = self.transfer_deadlines.iter().map(|(t, _)| *t).min();
        let glare = self.glare_retries.iter().map(|(t, _)| *t).min();
        let refresh = self.ringing_refresh.front().map(|(t, _)| *t);
        [
            transfer,
            glare,
            refresh,
            self.tl.poll_timeout(),
            self.registration
                .as_ref()
                .and_then(Registration::poll_timeout),
            linger,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Runs the timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.tl.handle_timeout(now);
        self.drain_tl_events(now);
        if let Some(reg) = &mut self.registration {
            reg.handle_timeout(now);
        }
        self.pump_registration(now);
        // An accepted attended transfer whose NOTIFY never came: it failed.
        let (stale, live): (Vec<_>, Vec<_>) = self
            .transfer_deadlines
            .drain(..)
            .partition(|(t, _)| *t <= now);
        self.transfer_deadlines = live;
        for (_, call) in stale {
            // Only if still waiting (a NOTIFY may have settled it).
            let waiting = self
                .calls
                .get_mut(&call)
                .is_some_and(|c| c.transfer_deadline.take().is_some());
            if waiting {
                self.transfer_failed(call);
            }
        }
        let (due, later): (Vec<_>, Vec<_>) =
            self.glare_retries.drain(..).partition(|(t, _)| *t <= now);
        self.glare_retries = later;
        for (_, call) in due {
            self.retry_after_glare(now, call);
        }
        while let Some(&(t, call)) = self.ringing_refresh.front() {
            if t > now {
                break;
            }
            self.ringing_refresh.pop_front();
            self.refresh_ringing(now, call);
        }
        while let Some(&(t, _)) = self.ended.front() {
            if t + ENDED_LINGER > now {
                break;
            }
            self.forget_oldest_ended(now);
        }
    }

    /// A call still ringing after a minute: its provisional response goes again (RFC 3261
    /// §13.3.1.1: "the UAS MUST send a non-100 provisional response at every minute", or
    /// proxies cancel the call after 3 minutes of silence).
    fn refresh_ringing(&mut self, now: Instant, key: CallKey) {
        let Some(call) = self.calls.get(&key) else {
            return;
        };
        if call.state != CallState::Ringing {
            return;
        }
        let Ok(contact) = self.contact(call.peer.addr.ip()) else {
            return;
        };
        let mut b = match &call.early_answer {
            Some(answer) => uas_response(
                &call.invite,
                SipStatus::SESSION_PROGRESS,
                &call.local_tag,
                Some(&contact),
            )
            .body("application/sdp", answer.clone()),
            None => uas_response(
                &call.invite,
                SipStatus::RINGING,
                &call.local_tag,
                Some(&contact),
            ),
        };
        b = b.header(&HeaderName::Allow, ALLOWED_METHODS);
        let tx = call.invite_tx;
        self.respond(now, tx, b.build());
        self.ringing_refresh.push_back((now + RINGING_REFRESH, key));
    }

    /// The wait after a `491` is over: send the re-INVITE again, once.
    fn retry_after_glare(&mut self, now: Instant, key: CallKey) {
        let Some(call) = self.calls.get(&key) else {
            return;
        };
        if call.state != CallState::Answered {
            return; // Ended meanwhile: the driver has told the waiter.
        }
        let direction = call.reinvite_direction;
        if self.reinvite(now, key, direction).is_err() {
            self.reinvite_failed(key, 491);
        }
    }

    /// Forgets the call that ended first (its linger is over, or too many ended calls
    /// are remembered).
    fn forget_oldest_ended(&mut self, now: Instant) {
        let Some((_, k)) = self.ended.pop_front() else {
            return;
        };
        // A BYE still waiting for an ACK (the NoAck normally came first): send it.
        self.ack_settled(now, k);
        if let Some(c) = self.calls.remove(&k) {
            let call_id = c.invite.call_id().unwrap_or_default().to_owned();
            if c.direction == CallDirection::Incoming {
                let from_tag = c.invite.from_tag().unwrap_or_default().to_owned();
                if self.incoming.get(&(call_id.clone(), from_tag.clone())) == Some(&k) {
                    self.incoming.remove(&(call_id.clone(), from_tag));
                }
            }
            self.index.remove(&(call_id, c.local_tag));
        }
    }

    /// Calls not ended yet (ended ones linger in `calls` for [`ENDED_LINGER`]).
    fn live_calls(&self) -> usize {
        self.calls.len().saturating_sub(self.ended.len())
    }

    /// The driver could not send a message of transaction `key`.
    pub fn transport_error(&mut self, now: Instant, key: TransactionKey) {
        self.tl.transport_error(key);
        self.drain_tl_events(now);
    }

    fn emit(&mut self, e: CoreEvent) {
        if self.events.len() >= MAX_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(e);
    }

    fn set_state(
        &mut self,
        now: Instant,
        key: CallKey,
        state: CallState,
        reason: Option<EndReason>,
        message: Option<SipMessage>,
    ) {
        let Some(call) = self.calls.get_mut(&key) else {
            return;
        };
        if call.state == state || call.state == CallState::Ended {
            return;
        }
        call.state = state;
        let referred = call.referred_from;
        if state == CallState::Ended {
            call.ended_at = Some(now);
            if let Some(d) = &mut call.dialog {
                d.terminate();
            }
            // What lingers (ENDED_LINGER) only answers late ACKs, BYEs and 2xx: the
            // media state is dead weight from now on.
            call.sdp = None;
            call.early_answer = None;
            self.ended.push_back((now, key));
        }
        // A call made for a REFER: tell the referrer how it went (RFC 3515 §2.4.5).
        if let Some(parent) = referred {
            let frag = match (state, &reason, &message) {
                (CallState::Answered, _, _) => Some((200, "OK".to_owned(), true)),
                (CallState::Ended, _, Some(m)) if m.is_response() => {
                    let s = m.status().map_or(500, |s| s.code());
                    Some((
                        s,
                        m.reason().map(|r| r.into_owned()).unwrap_or_default(),
                        true,
                    ))
                }
                (CallState::Ended, _, _) => Some((487, "Request Terminated".to_owned(), true)),
                _ => None,
            };
            if let Some((code, phrase, terminated)) = frag {
                self.send_refer_notify(now, parent, code, &phrase, terminated);
                if let Some(c) = self.calls.get_mut(&key) {
                    c.referred_from = None;
                }
            }
        }
        self.emit(CoreEvent::StateChanged {
            call: key,
            state,
            reason,
            message,
        });
    }

    /// Ends call `key` for `reason`; `message` is what caused it (the BYE, the failure
    /// response), when there is one.
    fn end_call(
        &mut self,
        now: Instant,
        key: CallKey,
        reason: EndReason,
        message: Option<SipMessage>,
    ) {
        self.set_state(now, key, CallState::Ended, Some(reason), message);
    }

    // ----- addresses -----

    fn route_ip(&self, peer: IpAddr) -> Result<IpAddr> {
        if let Some(ip) = self.routes.get(&peer) {
            return Ok(*ip);
        }
        let bind = self.config.nat.bind_ip();
        if !bind.is_unspecified() {
            return Ok(bind);
        }
        if peer.is_loopback() {
            return Ok(match peer {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            });
        }
        Err(Error::Transport(format!(
            "no local address known towards {peer}: set hostname"
        )))
    }

    /// The host we advertise to `peer` (Via, Contact): the NAT-selected one, never a
    /// wildcard address.
    fn local_host(&self, peer: IpAddr) -> Result<String> {
        let h = self.config.nat.get_host_for(peer)?;
        match h.parse::<IpAddr>() {
            Ok(ip) if ip.is_unspecified() => Ok(host_text(self.route_ip(peer)?)),
            Ok(ip) => Ok(host_text(ip)),
            Err(_) => Ok(h.to_owned()),
        }
    }

    /// Our media description for a call with `peer`: the NAT-selected address (see
    /// [`media_ip`](Self::media_ip)), `rtp_port` and our user name in `o=`.
    fn local_media(&self, peer: IpAddr, rtp_port: u16) -> Result<LocalMedia> {
        let mut local = LocalMedia::new(self.media_ip(peer)?, rtp_port);
        local.username = self.config.user.clone();
        Ok(local)
    }

    /// The address our SDP (`c=`, `o=`) gives `peer`, by pyVoIP's NAT rules: the
    /// `hostname` for a peer inside `bind_network`, the `remote_hostname` for one outside
    /// (none: [`Error::Nat`]). A wildcard there (the default `hostname` is the bind
    /// address, `0.0.0.0` by default) becomes the local address the OS routes to the
    /// peer from; a name becomes its address ([`learn_host`](Self::learn_host); an
    /// unresolved one is [`Error::Nat`], never our local address, which a peer behind
    /// the NAT's far side could not reach). Never `0.0.0.0`.
    fn media_ip(&self, peer: IpAddr) -> Result<IpAddr> {
        let h = self.config.nat.get_host_for(peer)?;
        let h = h
            .strip_prefix('[')
            .and_then(|x| x.strip_suffix(']'))
            .unwrap_or(h);
        match h.parse::<IpAddr>() {
            Ok(ip) if !ip.is_unspecified() => Ok(ip),
            Ok(_) => self.route_ip(peer),
            Err(_) => match self.resolved.get(&h.to_ascii_lowercase()) {
                Some(ip) if !ip.is_unspecified() => Ok(*ip),
                _ => Err(Error::Nat(sip_transport::NatError::Unresolvable {
                    host: h.to_owned(),
                    reason: "not resolved when the phone started".into(),
                })),
            },
        }
    }

    fn via_transport(&self) -> Transport<'static> {
        match self.config.transport {
            TransportMode::Udp => Transport::Udp,
            TransportMode::Tcp => Transport::Tcp,
            TransportMode::Tls => Transport::Tls,
        }
    }

    fn sent_by(&self, peer: IpAddr) -> Result<SentBy> {
        let host = Host::parse(&self.local_host(peer)?)?.into_owned();
        Ok(SentBy::new(
            self.via_transport(),
            host,
            Some(self.config.local_port),
        ))
    }

    fn contact_uri(&self, peer: IpAddr) -> Result<Uri<'static>> {
        let (host, port) = match self.public_contact {
            // Through the registrar that sees us behind a NAT: the address it saw.
            Some((hop, ip, port)) if hop == peer => (Host::from(ip), port),
            _ => (
                Host::parse(&self.local_host(peer)?)?.into_owned(),
                self.config.local_port,
            ),
        };
        let mut uri = SipUri::new(host)
            .with_user(self.config.user.clone())
            .with_port(port);
        match self.config.transport {
            TransportMode::Udp => {}
            TransportMode::Tcp => uri = uri.with_param("transport", Some("tcp"))?,
            TransportMode::Tls => uri = uri.with_param("transport", Some("tls"))?,
        }
        Ok(Uri::Sip(uri))
    }

    fn contact(&self, peer: IpAddr) -> Result<Contact<'static>> {
        Ok(Contact::Address(NameAddr::new(self.contact_uri(peer)?)))
    }

    /// Where a URI is reached: its host (IP literal or a name the driver resolved) and
    /// port, over its `transport` parameter or ours.
    fn target_for_uri(&self, uri: &Uri<'_>) -> Result<Target> {
        let sip = uri
            .as_sip()
            .ok_or_else(|| Error::InvalidTarget(uri.to_string()))?;
        let mode = match sip.params.value("transport").map(str::to_ascii_lowercase) {
            Some(t) if t == "udp" => TransportMode::Udp,
            Some(t) if t == "tcp" => TransportMode::Tcp,
            Some(t) if t == "tls" => TransportMode::Tls,
            _ if sip.secure => TransportMode::Tls,
            _ => self.config.transport,
        };
        let ip = match sip.host.ip() {
            Some(ip) => ip,
            None => {
                let name = sip.host.to_string().to_ascii_lowercase();
                *self
                    .resolved
                    .get(&name)
                    .ok_or_else(|| Error::InvalidTarget(format!("{uri} (unresolved host)")))?
            }
        };
        let port = sip.port.unwrap_or(if mode == TransportMode::Tls {
            5061
        } else {
            5060
        });
        Ok(Target::new(SocketAddr::new(ip, port), mode))
    }

    fn dialog_target(&self, call: &Call) -> Target {
        let Some(d) = &call.dialog else {
            return call.peer;
        };
        let hop = d.next_hop();
        match self.target_for_uri(&hop.uri) {
            Ok(mut t) => {
                if d.route_set().is_empty() && t.transport != call.peer.transport {
                    t.transport = call.peer.transport;
                }
                t
            }
            Err(_) => call.peer,
        }
    }

    fn server_uri(&self) -> Option<Uri<'static>> {
        let (host, port) = self.config.server.as_ref()?;
        let h = Host::parse(host).ok()?.into_owned();
        Some(Uri::Sip(SipUri::new(h).with_port(*port)))
    }

    /// Turns a number or URI into the Request-URI: a `sip:`/`sips:` URI (with or without
    /// `<>`) as is; a bare number or user becomes `sip:number@server:port`.
    pub fn target_uri(&self, target: &str) -> Result<Uri<'static>> {
        let t = target.trim();
        let t = t
            .strip_prefix('<')
            .and_then(|s| s.strip_suffix('>'))
            .unwrap_or(t);
        if t.len() > 4 && (t[..4].eq_ignore_ascii_case("sip:") || t.starts_with("sips:")) {
            let uri = Uri::parse(t).map_err(|_| Error::InvalidTarget(target.to_owned()))?;
            return Ok(uri.into_owned());
        }
        if t.is_empty() || t.contains(['@', ' ', '<', '>', ':', ';']) {
            return Err(Error::InvalidTarget(target.to_owned()));
        }
        let (host, port) = self
            .config
            .server
            .as_ref()
            .ok_or_else(|| Error::InvalidTarget(format!("{target} (no server configured)")))?;
        let uri = format!("sip:{t}@{}:{port}", bracket(host));
        Ok(Uri::parse(&uri)
            .map_err(|_| Error::InvalidTarget(target.to_owned()))?
            .into_owned())
    }

    /// Where an out-of-dialog request for `uri` goes: the outbound proxy, else the server
    /// when the URI names it (or we dial numbers through it), else the URI's host.
    ///
    /// # Errors
    /// A URI that is not SIP or whose host name is not resolved yet
    /// ([`learn_host`](Self::learn_host)).
    pub fn first_hop(&self, uri: &Uri<'_>) -> Result<Target> {
        if let Some(p) = &self.config.outbound_proxy {
            return self.target_for_uri(p);
        }
        if let (Some(server), Some(sip)) = (self.server_uri(), uri.as_sip())
            && let Some(s) = server.as_sip()
            && s.host
                .to_string()
                .eq_ignore_ascii_case(&sip.host.to_string())
        {
            return self.target_for_uri(&server);
        }
        self.target_for_uri(uri)
    }

    fn our_aor(&self, peer: IpAddr) -> Result<NameAddr<'static>> {
        let uri = match &self.config.server {
            Some((host, port)) => {
                let h = Host::parse(host)?.into_owned();
                let mut u = SipUri::new(h).with_user(self.config.user.clone());
                if *port != 5060 {
                    u = u.with_port(*port);
                }
                Uri::Sip(u)
            }
            None => {
                let h = Host::parse(&self.local_host(peer)?)?.into_owned();
                Uri::Sip(
                    SipUri::new(h)
                        .with_user(self.config.user.clone())
                        .with_port(self.config.local_port),
                )
            }
        };
        let mut na = NameAddr::new(uri);
        if let Some(d) = &self.config.display_name {
            na = na.with_display_name(d.clone());
        }
        Ok(na)
    }

    /// A new out-of-dialog request to `uri` sent to `hop`.
    fn new_request(
        &self,
        method: Method,
        uri: &Uri<'static>,
        hop: Target,
        call_id: &str,
        tag: &str,
    ) -> Result<RequestBuilder> {
        let peer = hop.addr.ip();
        let from = self.our_aor(peer)?.with_param("tag", Some(tag))?;
        let mut b = RequestBuilder::new(method, uri)
            .via(&self.sent_by(peer)?.via(&new_branch())?)
            .max_forwards(MAX_FORWARDS);
        if let Some(p) = &self.config.outbound_proxy
            && p.as_sip().is_some_and(|s| s.params.contains("lr"))
        {
            b = b.header(&HeaderName::Route, NameAddr::new(p.clone()));
        }
        Ok(b.from(&from)
            .to(&NameAddr::new(uri.clone()))
            .call_id(call_id)
            .cseq(random_cseq())
            .header(&HeaderName::UserAgent, &self.config.user_agent))
    }

    // ----- commands -----

    /// Places a call to `target` (a number dialled through the server, or a SIP URI),
    /// offering the payload types `payload_types` (number, type) in order of preference,
    /// or PCMU, PCMA and telephone-event when empty; `rtp_port` is the call's RTP port.
    ///
    /// # Errors
    /// An invalid or unreachable target, unsupported payload types, NAT errors.
    pub fn call(
        &mut self,
        now: Instant,
        target: &str,
        rtp_port: u16,
        payload_types: &[(u8, PayloadType)],
    ) -> Result<CallKey> {
        self.start_call(now, target, rtp_port, payload_types, None)
    }

    /// Places the call a REFER asked for ([`CoreEvent::TransferRequested`]); its outcome
    /// is reported to the referrer in call `referred_from` by NOTIFY.
    ///
    /// # Errors
    /// As [`call`](Self::call); the referrer is then told the transfer failed.
    pub fn call_referred(
        &mut self,
        now: Instant,
        referred_from: CallKey,
        target: &str,
        rtp_port: u16,
    ) -> Result<CallKey> {
        match self.start_call(now, target, rtp_port, &[], Some(referred_from)) {
            Ok(k) => Ok(k),
            Err(e) => {
                self.send_refer_notify(now, referred_from, 503, "Service Unavailable", true);
                Err(e)
            }
        }
    }

    fn start_call(
        &mut self,
        now: Instant,
        target: &str,
        rtp_port: u16,
        payload_types: &[(u8, PayloadType)],
        referred_from: Option<CallKey>,
    ) -> Result<CallKey> {
        while self.ended.len() >= MAX_ENDED {
            self.forget_oldest_ended(now);
        }
        if self.live_calls() >= MAX_CALLS {
            return Err(Error::Transport("too many calls".into()));
        }
        let uri = self.target_uri(target)?;
        let hop = self.first_hop(&uri)?;
        let peer_ip = hop.addr.ip();
        let mut local = self.local_media(peer_ip, rtp_port)?;
        if !payload_types.is_empty() {
            local = local.with_payload_types(payload_types.iter().copied())?;
        }
        let mut sdp = SdpSession::new(local);
        let offer = sdp.create_offer()?;
        let tag = new_tag();
        let call_id = new_call_id(&self.local_host(peer_ip)?.replace(['[', ']'], ""));
        let invite = self
            .new_request(Method::Invite, &uri, hop, &call_id, &tag)?
            .contact(&self.contact(peer_ip)?)
            .header(&HeaderName::Allow, ALLOWED_METHODS)
            .body("application/sdp", offer)
            .build()?;
        let tx = self.tl.send_request(now, invite.clone(), hop)?;
        let key = CallKey(self.next_call);
        self.next_call += 1;
        self.track(tx, Purpose::Invite(key));
        self.index.insert((call_id, tag.clone()), key);
        self.calls.insert(
            key,
            Box::new(Call {
                direction: CallDirection::Outgoing,
                state: CallState::Dialing,
                invite,
                invite_tx: tx,
                local_tag: tag,
                dialog: None,
                peer: hop,
                sdp: Some(sdp),
                offer_in_2xx: false,
                early_answer: None,
                reinvite: None,
                transfer: None,
                transfer_deadline: None,
                referred_from,
                rtp_port,
                ended_at: None,
                ack_pending: false,
                deferred_bye: None,
                refer_sent: false,
                reinvite_direction: TransmitType::SendRecv,
                glare_retried: false,
            }),
        );
        Ok(key)
    }

    fn call_mut(&mut self, key: CallKey) -> Result<&mut Call> {
        self.calls
            .get_mut(&key)
            .map(|c| &mut **c)
            .ok_or(Error::UnknownCall)
    }

    fn require_state(
        &self,
        key: CallKey,
        allowed: &[CallState],
        action: &'static str,
    ) -> Result<()> {
        let state = self.calls.get(&key).ok_or(Error::UnknownCall)?.state;
        if allowed.contains(&state) {
            Ok(())
        } else {
            Err(Error::InvalidState { state, action })
        }
    }

    /// Answers a ringing call with `200 OK` and our SDP (`rtp_port` is its RTP port).
    ///
    /// # Errors
    /// [`Error::InvalidState`] unless ringing; [`Error::Negotiation`] when no codec
    /// matches (the caller got `488` and the call ended).
    pub fn answer(&mut self, now: Instant, key: CallKey, rtp_port: u16) -> Result<()> {
        let (local, contact) = self.prepare_answer(key, rtp_port, "answer")?;
        let call = self.call_mut(key)?;
        let delayed = call.invite.body().is_empty();
        // After early media the 200 repeats the answer the 183 carried (RFC 3264: one
        // offer, one answer).
        let early = call.early_answer.take().zip(call.sdp.take());
        let (sdp, body, media) = if let Some((answer, session)) = early {
            (session, answer, None)
        } else if delayed {
            let mut sdp = SdpSession::new(local);
            let offer = sdp.create_offer()?;
            (sdp, offer, None)
        } else {
            let (sdp, answer, media) = self.answer_offer(now, key, local)?;
            (sdp, answer, Some(media))
        };
        let call = self.call_mut(key)?;
        let ok = uas_response(&call.invite, SipStatus::OK, &call.local_tag, Some(&contact))
            .header(&HeaderName::Allow, ALLOWED_METHODS)
            .body("application/sdp", body)
            .build()?;
        let tx = call.invite_tx;
        call.rtp_port = rtp_port;
        call.sdp = Some(sdp);
        call.offer_in_2xx = delayed;
        if let Some(d) = &mut call.dialog {
            d.confirm();
        }
        self.tl.respond(now, tx, ok)?;
        if let Some(c) = self.calls.get_mut(&key) {
            c.ack_pending = true;
        }
        self.set_state(now, key, CallState::Answered, None, None);
        if let Some(media) = media {
            self.emit(CoreEvent::MediaNegotiated { call: key, media });
        }
        Ok(())
    }

    /// Sends `183 Session Progress` with our SDP answer to a ringing call, so the caller
    /// hears us before we answer (early media: announcements, ringback). The call keeps
    /// ringing; [`answer`](Self::answer) later repeats the same SDP in its `200`.
    ///
    /// # Errors
    /// [`Error::InvalidState`] unless ringing, or when the INVITE had no offer (delayed
    /// offer); a negotiation error (the caller then gets `488`).
    pub fn early_media(&mut self, now: Instant, key: CallKey, rtp_port: u16) -> Result<()> {
        let action = "send early media for";
        let (local, contact) = self.prepare_answer(key, rtp_port, action)?;
        let call = &self.calls[&key];
        if call.invite.body().is_empty() || call.early_answer.is_some() {
            return Err(Error::InvalidState {
                state: call.state,
                action: "send early media (no offer, or sent already) for",
            });
        }
        let (sdp, answer, media) = self.answer_offer(now, key, local)?;
        let call = self.call_mut(key)?;
        let progress = uas_response(
            &call.invite,
            SipStatus::SESSION_PROGRESS,
            &call.local_tag,
            Some(&contact),
        )
        .header(&HeaderName::Allow, ALLOWED_METHODS)
        .body("application/sdp", answer.clone())
        .build()?;
        call.rtp_port = rtp_port;
        call.sdp = Some(sdp);
        call.early_answer = Some(answer);
        let tx = call.invite_tx;
        self.tl.respond(now, tx, progress)?;
        self.emit(CoreEvent::MediaNegotiated { call: key, media });
        Ok(())
    }

    /// What [`answer`](Self::answer) and [`early_media`](Self::early_media) start with:
    /// the call must be ringing; our media description (on `rtp_port`) and Contact for
    /// the caller's address.
    fn prepare_answer(
        &self,
        key: CallKey,
        rtp_port: u16,
        action: &'static str,
    ) -> Result<(LocalMedia, Contact<'static>)> {
        self.require_state(key, &[CallState::Ringing], action)?;
        let peer = self.calls[&key].peer.addr.ip();
        Ok((self.local_media(peer, rtp_port)?, self.contact(peer)?))
    }

    /// Answers the offer in ringing call `key`'s INVITE with `local`: the session, the
    /// SDP answer and the media. When nothing in the offer is usable the caller gets the
    /// error's status (`488`) and the call ends ([`EndReason::NotAcceptable`]).
    fn answer_offer(
        &mut self,
        now: Instant,
        key: CallKey,
        local: LocalMedia,
    ) -> Result<(SdpSession, String, NegotiatedMedia)> {
        let call = &self.calls[&key];
        let mut sdp = SdpSession::new(local);
        match sdp.receive_offer(&String::from_utf8_lossy(call.invite.body())) {
            Ok((answer, media)) => Ok((sdp, answer, media)),
            Err(e) => {
                let status =
                    SipStatus::new(e.status_code()).unwrap_or(SipStatus::NOT_ACCEPTABLE_HERE);
                let resp = uas_response(&call.invite, status, &call.local_tag, None).build();
                let tx = call.invite_tx;
                self.respond(now, tx, resp);
                self.end_call(now, key, EndReason::NotAcceptable, None);
                Err(e.into())
            }
        }
    }

    /// Refuses a ringing call with `486 Busy Here`.
    ///
    /// # Errors
    /// [`Error::InvalidState`] unless ringing.
    pub fn deny(&mut self, now: Instant, key: CallKey) -> Result<()> {
        self.reject(now, key, SipStatus::BUSY_HERE, "deny")
    }

    /// Refuses a ringing call with any final status (`4xx`-`6xx`).
    ///
    /// # Errors
    /// [`Error::InvalidState`] unless ringing.
    pub fn reject(
        &mut self,
        now: Instant,
        key: CallKey,
        status: SipStatus,
        action: &'static str,
    ) -> Result<()> {
        self.require_state(key, &[CallState::Ringing], action)?;
        let call = &self.calls[&key];
        let resp = uas_response(&call.invite, status, &call.local_tag, None).build()?;
        let tx = call.invite_tx;
        self.tl.respond(now, tx, resp)?;
        self.end_call(now, key, EndReason::Denied, None);
        Ok(())
    }

    /// Sends the final non-2xx `status` to ringing call `key`'s INVITE; ending the call
    /// (with the right reason) is up to the code calling this.
    fn refuse_invite(&mut self, now: Instant, key: CallKey, status: SipStatus) {
        let call = &self.calls[&key];
        let r = uas_response(&call.invite, status, &call.local_tag, None).build();
        let tx = call.invite_tx;
        self.respond(now, tx, r);
    }

    /// Hangs up an answered call (BYE). The call ends now; when we answered it and the
    /// caller has not ACKed our `200` yet, the BYE is held until the ACK arrives (or the
    /// `200`'s retransmissions give up), as RFC 3261 §15 requires.
    ///
    /// # Errors
    /// [`Error::InvalidState`] unless answered.
    pub fn hangup(&mut self, now: Instant, key: CallKey) -> Result<()> {
        self.require_state(key, &[CallState::Answered], "hang up")?;
        self.send_bye(now, key);
        self.end_call(now, key, EndReason::LocalHangup, None);
        Ok(())
    }

    /// Sends the BYE of `key`'s dialog; while the peer has not ACKed our 2xx the BYE is
    /// built now (the dialog ends now) but held back until the ACK comes (RFC 3261 §15:
    /// "the callee's UA MUST NOT send a BYE on a confirmed dialog until it has received
    /// an ACK for its 2xx response or until the server transaction times out").
    fn send_bye(&mut self, now: Instant, key: CallKey) {
        let Some(call) = self.calls.get_mut(&key) else {
            return;
        };
        let Some(dialog) = &mut call.dialog else {
            return;
        };
        let Ok(b) = dialog.request(Method::Bye) else {
            return;
        };
        let Ok(bye) = b
            .header(&HeaderName::UserAgent, &self.config.user_agent)
            .build()
        else {
            return;
        };
        let target = self.dialog_target(&self.calls[&key]);
        if let Some(call) = self.calls.get_mut(&key)
            && call.ack_pending
        {
            call.deferred_bye = Some((bye, target));
            return;
        }
        self.transmit_bye(now, bye, target);
    }

    fn transmit_bye(&mut self, now: Instant, bye: SipMessage, target: Target) {
        if let Ok(tx) = self.tl.send_request(now, bye, target) {
            self.track(tx, Purpose::Bye);
        }
    }

    /// Our 2xx was ACKed, or its retransmissions gave up: a held-back BYE may go now.
    fn ack_settled(&mut self, now: Instant, key: CallKey) -> bool {
        let Some(call) = self.calls.get_mut(&key) else {
            return false;
        };
        call.ack_pending = false;
        match call.deferred_bye.take() {
            Some((bye, target)) => {
                self.transmit_bye(now, bye, target);
                true
            }
            None => false,
        }
    }

    /// Cancels our call before it is answered (CANCEL).
    ///
    /// # Errors
    /// [`Error::InvalidState`] unless dialing or in progress.
    pub fn cancel(&mut self, now: Instant, key: CallKey) -> Result<()> {
        self.require_state(key, &[CallState::Dialing, CallState::Progress], "cancel")?;
        let tx = self.calls[&key].invite_tx;
        match self.tl.cancel(now, tx) {
            Ok(Some(c)) => {
                self.track(c, Purpose::Bye);
            }
            Ok(None) => {}
            Err(_) => {
                // The INVITE has its final response already, or is gone: nothing to cancel.
                let state = self.calls[&key].state;
                return Err(Error::InvalidState {
                    state,
                    action: "cancel",
                });
            }
        }
        self.set_state(now, key, CallState::Canceling, None, None);
        Ok(())
    }

    /// Transfers an answered call to `target` (a user at our server, or a SIP URI) with
    /// REFER. Blind: [`CoreEvent::TransferResult`] on the REFER's 2xx, then BYE.
    /// Attended (`blind` false): the result comes from the NOTIFY of the new call's
    /// outcome; on failure the call stays up.
    ///
    /// # Errors
    /// [`Error::InvalidState`] unless answered; an invalid target.
    pub fn transfer(
        &mut self,
        now: Instant,
        key: CallKey,
        target: &str,
        blind: bool,
    ) -> Result<()> {
        self.require_state(key, &[CallState::Answered], "transfer")?;
        let uri = match self.target_uri(target) {
            Ok(u) => u,
            Err(e) => {
                // No server: a bare user is taken at the peer's host.
                let call = &self.calls[&key];
                let host = call
                    .dialog
                    .as_ref()
                    .and_then(|d| d.remote_uri().uri.as_sip().map(|s| s.host.to_string()))
                    .ok_or(e)?;
                Uri::parse(&format!("sip:{}@{host}", target.trim()))
                    .map_err(|_| Error::InvalidTarget(target.to_owned()))?
                    .into_owned()
            }
        };
        let call = self.call_mut(key)?;
        let dialog = call.dialog.as_mut().ok_or(Error::UnknownCall)?;
        let local = dialog.local_uri().clone();
        let refer = dialog
            .request(Method::Refer)?
            .header(&HeaderName::ReferTo, NameAddr::new(uri))
            .header(&HeaderName::ReferredBy, local)
            .build()?;
        call.transfer = Some(blind);
        call.refer_sent = true;
        let target = self.dialog_target(&self.calls[&key]);
        let tx = self.tl.send_request(now, refer, target)?;
        self.track(tx, Purpose::Refer { call: key, blind });
        Ok(())
    }

    /// Sends a re-INVITE with our current SDP, `direction` being what we want
    /// (`SendOnly` to hold the peer, `SendRecv` to resume).
    ///
    /// # Errors
    /// [`Error::InvalidState`] unless answered or while another offer is pending.
    pub fn reinvite(&mut self, now: Instant, key: CallKey, direction: TransmitType) -> Result<()> {
        self.require_state(key, &[CallState::Answered], "re-INVITE")?;
        let glare_wait = self.glare_retries.iter().any(|(_, k)| *k == key);
        let call = self.call_mut(key)?;
        if call.reinvite.is_some() || glare_wait {
            return Err(Error::InvalidState {
                state: call.state,
                action: "re-INVITE while one is pending",
            });
        }
        call.reinvite_direction = direction;
        let sdp = call.sdp.as_mut().ok_or(Error::UnknownCall)?;
        sdp.local_mut().direction = direction;
        let offer = sdp.create_offer()?;
        let dialog = call.dialog.as_mut().ok_or(Error::UnknownCall)?;
        let req = dialog
            .request(Method::Invite)?
            .header(&HeaderName::Allow, ALLOWED_METHODS)
            .body("application/sdp", offer)
            .build()?;
        let target = self.dialog_target(&self.calls[&key]);
        let tx = self.tl.send_request(now, req, target)?;
        self.track(tx, Purpose::ReInvite(key));
        if let Some(c) = self.calls.get_mut(&key) {
            c.reinvite = Some(tx);
        }
        Ok(())
    }

    /// Sends a MESSAGE (RFC 3428) to `target` with `body` of `content_type`; the outcome
    /// comes as [`CoreEvent::MessageResult`] with the returned id.
    ///
    /// # Errors
    /// An invalid or unreachable target.
    pub fn message(
        &mut self,
        now: Instant,
        target: &str,
        body: impl Into<Bytes>,
        content_type: &str,
    ) -> Result<u64> {
        let uri = self.target_uri(target)?;
        let hop = self.first_hop(&uri)?;
        let call_id = new_call_id(&self.local_host(hop.addr.ip())?.replace(['[', ']'], ""));
        let req = self
            .new_request(Method::Message, &uri, hop, &call_id, &new_tag())?
            .body(content_type, body.into())
            .build()?;
        let tx = self.tl.send_request(now, req, hop)?;
        let id = self.next_message;
        self.next_message += 1;
        self.track(tx, Purpose::Message(id));
        Ok(id)
    }

    /// Starts registering at the configured server.
    ///
    /// # Errors
    /// No server configured, or the REGISTER cannot be built.
    pub fn register(&mut self, now: Instant) -> Result<()> {
        if self.registration.is_none() {
            let registrar = self
                .server_uri()
                .ok_or_else(|| Error::Config("no server to register with".into()))?;
            let hop = match &self.config.outbound_proxy {
                Some(p) => self.target_for_uri(p)?,
                None => self.target_for_uri(&registrar)?,
            };
            let peer = hop.addr.ip();
            self.registrar_hop = Some(peer);
            let mut cfg = RegistrationConfig::new(
                registrar,
                self.config.user.clone(),
                self.contact_uri(peer)?,
                self.sent_by(peer)?,
            );
            cfg.expires = self.config.register_expires;
            cfg.failure_threshold = self.config.register_failure_threshold;
            cfg.retry_interval = self.config.register_retry_interval;
            cfg.max_retry_interval = cfg.max_retry_interval.max(cfg.retry_interval);
            cfg.outbound_proxy = self.config.outbound_proxy.clone();
            cfg.user_agent = Some(self.config.user_agent.clone());
            cfg.display_name = self.config.display_name.clone();
            let reg = Registration::with_auth(
                cfg,
                self.config.credentials.clone(),
                ClientAuth::new(self.config.auth_policy),
            )
            .map_err(|e| Error::InvalidAccountInfo(e.to_string()))?;
            self.registration = Some(reg);
        }
        if let Some(reg) = &mut self.registration {
            reg.start(now);
        }
        self.pump_registration(now);
        Ok(())
    }

    /// Removes our binding (REGISTER with expires 0); [`CoreEvent::Registration`] with
    /// `Deregistered` follows.
    pub fn deregister(&mut self, now: Instant) {
        if let Some(reg) = &mut self.registration {
            reg.deregister(now);
        }
        self.pump_registration(now);
    }

    /// Ends every call: BYE for answered ones, CANCEL for ours still ringing, `480` for
    /// theirs; each ends with [`EndReason::Shutdown`].
    pub fn shutdown_calls(&mut self, now: Instant) {
        for key in self.active_calls() {
            match self.calls[&key].state {
                CallState::Answered => self.send_bye(now, key),
                CallState::Dialing | CallState::Progress => {
                    let tx = self.calls[&key].invite_tx;
                    if let Ok(Some(c)) = self.tl.cancel(now, tx) {
                        self.track(c, Purpose::Bye);
                    }
                }
                CallState::Ringing => {
                    self.refuse_invite(now, key, SipStatus::TEMPORARILY_UNAVAILABLE);
                }
                _ => {}
            }
            self.end_call(now, key, EndReason::Shutdown, None);
        }
    }

    fn pump_registration(&mut self, now: Instant) {
        let Some(reg) = &mut self.registration else {
            return;
        };
        let mut out = Vec::new();
        while let Some(r) = reg.poll_request() {
            out.push(r);
        }
        for r in out {
            let sent = self
                .target_for_uri(&r.next_hop.uri)
                .and_then(|t| Ok(self.tl.send_request(now, r.request, t)?));
            match sent {
                Ok(tx) => {
                    self.track(tx, Purpose::Register);
                }
                Err(_) => {
                    if let Some(reg) = &mut self.registration {
                        reg.handle_request_timeout(now);
                    }
                }
            }
        }
        let mut evs = Vec::new();
        if let Some(reg) = &mut self.registration {
            while let Some(e) = reg.poll_event() {
                evs.push(e);
            }
        }
        for e in evs {
            self.emit(CoreEvent::Registration(e));
        }
    }
}

fn host_text(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

fn bracket(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

// ----- inputs -----
impl UaCore {
    /// Feeds a message received from `source` (address and transport).
    pub fn handle_incoming(&mut self, now: Instant, msg: SipMessage, source: Target) {
        // Responses to it carry `received` / `rport` of where it came from (RFC 3581).
        let msg = crate::received::stamp_received(msg, source.addr);
        match self.tl.receive(now, msg, source) {
            Received::NewRequest { key, msg } => self.on_request(now, key, msg, source),
            Received::Response { key, msg } => self.on_response(now, key, msg),
            Received::Ack { msg, .. } => self.on_ack(now, msg),
            Received::Stray { msg } => self.on_stray(now, msg),
            Received::Absorbed | Received::Rejected { .. } | Received::Dropped { .. } => {}
        }
        self.drain_tl_events(now);
        self.pump_registration(now);
    }

    fn drain_tl_events(&mut self, now: Instant) {
        while let Some(ev) = self.tl.poll_event() {
            match ev {
                TransactionEvent::Timeout { key, .. }
                | TransactionEvent::TransportError { key } => {
                    let transport = matches!(ev, TransactionEvent::TransportError { .. });
                    self.on_client_failure(now, key, transport);
                }
                TransactionEvent::NoAck { key } => {
                    if let Some(k) = self.call_by_server_tx(key) {
                        // A BYE held back for the ACK goes now; else we end the call.
                        if !self.ack_settled(now, k) {
                            self.send_bye(now, k);
                        }
                        self.end_call(now, k, EndReason::Timeout, None);
                    }
                }
                TransactionEvent::CancelSent { cancel, .. } => {
                    self.track(cancel, Purpose::Bye);
                }
                TransactionEvent::Terminated { key } => {
                    self.purposes.remove(&key);
                }
            }
        }
    }

    fn call_by_server_tx(&self, tx: TransactionKey) -> Option<CallKey> {
        self.calls
            .iter()
            .find(|(_, c)| c.direction == CallDirection::Incoming && c.invite_tx == tx)
            .map(|(k, _)| *k)
    }

    /// Remembers what client transaction `tx` (just sent) is for.
    fn track(&mut self, tx: TransactionKey, purpose: Purpose) {
        let retriable = !matches!(purpose, Purpose::Register | Purpose::Notify);
        let sent = if retriable {
            self.tl.request(tx).cloned().zip(self.tl.target(tx))
        } else {
            None
        };
        self.purposes.insert(tx, Tracked { purpose, sent });
    }

    fn on_client_failure(&mut self, now: Instant, tx: TransactionKey, transport: bool) {
        let Some(purpose) = self.purposes.remove(&tx).map(|t| t.purpose) else {
            return;
        };
        if let Purpose::Invite(k) = purpose
            && self.calls.get(&k).is_some_and(|c| c.invite_tx != tx)
        {
            return; // An INVITE replaced by its authenticated retry.
        }
        let (mut reason, status) = if transport {
            (EndReason::TransportError, 503)
        } else {
            (EndReason::Timeout, 408)
        };
        if let Purpose::Invite(k) = purpose
            && self.call_state(k) == Some(CallState::Canceling)
        {
            // Cancelled, and the final response never came (RFC 3261 §9.1).
            reason = EndReason::Canceled;
        }
        if let Purpose::ReInvite(k) = purpose {
            // RFC 3261 §14.1: a re-INVITE without any response ends the dialog.
            self.reinvite_failed(k, status);
            if self.call_state(k) == Some(CallState::Answered) {
                self.send_bye(now, k);
                self.end_call(now, k, reason, None);
            }
            return;
        }
        self.request_failed(now, purpose, reason, status, None);
    }

    /// Request `purpose` failed for good (no answer, transport error, a challenge we
    /// cannot answer): end the call (`reason`), abandon the re-INVITE's offer, report a
    /// failed transfer, or a MESSAGE's `status`.
    fn request_failed(
        &mut self,
        now: Instant,
        purpose: Purpose,
        reason: EndReason,
        status: u16,
        message: Option<SipMessage>,
    ) {
        match purpose {
            Purpose::Invite(k) => self.end_call(now, k, reason, message),
            Purpose::ReInvite(k) => self.reinvite_failed(k, status),
            Purpose::Refer { call, .. } => self.transfer_failed(call),
            Purpose::Message(id) => self.emit(CoreEvent::MessageResult { id, status }),
            Purpose::Register => {
                if let Some(reg) = &mut self.registration {
                    reg.handle_request_timeout(now);
                }
            }
            Purpose::Bye | Purpose::Notify => {}
        }
    }

    /// Our re-INVITE failed with `status`: its offer is void, the media stay as they
    /// were.
    fn reinvite_failed(&mut self, key: CallKey, status: u16) {
        if let Some(c) = self.calls.get_mut(&key) {
            c.reinvite = None;
            if let Some(s) = &mut c.sdp {
                s.cancel_offer();
            }
        }
        self.emit(CoreEvent::ReinviteResult { call: key, status });
    }

    /// A transfer we asked for failed: the call stays as it is.
    fn transfer_failed(&mut self, call: CallKey) {
        if let Some(c) = self.calls.get_mut(&call) {
            c.transfer = None;
            c.transfer_deadline = None;
        }
        self.emit(CoreEvent::TransferResult {
            call,
            success: false,
        });
    }

    // ----- responses -----

    fn on_response(&mut self, now: Instant, tx: TransactionKey, msg: SipMessage) {
        let Some(purpose) = self.purposes.get(&tx).map(|t| t.purpose.clone()) else {
            return;
        };
        let code = msg.status().map_or(0, |s| s.code());
        let sent = if code >= 200 && !(matches!(purpose, Purpose::Invite(_)) && code < 300) {
            self.purposes.remove(&tx).and_then(|t| t.sent)
        } else {
            None
        };
        if matches!(code, 401 | 407) && !matches!(purpose, Purpose::Register) {
            self.retry_with_credentials(now, purpose, sent, &msg);
            return;
        }
        match purpose {
            Purpose::Invite(k) => self.on_invite_response(now, tx, k, msg),
            Purpose::ReInvite(k) => self.on_reinvite_response(now, tx, k, msg),
            Purpose::Refer { call, blind } => {
                if (200..300).contains(&code) {
                    if !blind && let Some(c) = self.calls.get_mut(&call) {
                        let t = now + self.config.timers.t1_x64();
                        c.transfer_deadline = Some(t);
                        self.transfer_deadlines.push((t, call));
                    }
                    if blind {
                        self.emit(CoreEvent::TransferResult {
                            call,
                            success: true,
                        });
                        if self.call_state(call) == Some(CallState::Answered) {
                            self.send_bye(now, call);
                            self.end_call(now, call, EndReason::Transferred, None);
                        }
                    }
                } else if code >= 300 {
                    self.transfer_failed(call);
                }
            }
            Purpose::Message(id) => {
                if code >= 200 {
                    self.emit(CoreEvent::MessageResult { id, status: code });
                }
            }
            Purpose::Register => {
                if let Some(reg) = &mut self.registration {
                    reg.handle_response(now, &msg);
                }
                self.follow_public_address(now);
            }
            Purpose::Bye | Purpose::Notify => {}
        }
    }

    /// NAT: the registrar saw our REGISTER come from another address than our Contact
    /// (Via `received` / `rport`, RFC 3581): register that public address instead, so
    /// that calls routed to our binding reach us (pjsua's and baresip's behaviour).
    /// The new REGISTER also removes the old binding. Only over UDP (over TCP/TLS the
    /// source port is the connection's, not where we listen).
    fn follow_public_address(&mut self, now: Instant) {
        if !self.config.contact_rewrite || self.config.transport != TransportMode::Udp {
            return;
        }
        let Some(reg) = &mut self.registration else {
            return;
        };
        if !reg.is_registered() {
            return;
        }
        let Some((ip, rport)) = reg.public_address() else {
            return;
        };
        let Some(current) = reg.config().contact.as_sip() else {
            return;
        };
        let port = rport.unwrap_or(self.config.local_port);
        if current.host == Host::from(ip) && current.port.unwrap_or(5060) == port {
            return;
        }
        let mut uri = current.clone().into_owned();
        uri.host = Host::from(ip);
        uri.port = Some(port);
        reg.set_contact(Uri::Sip(uri));
        reg.refresh(now);
        if let Some(hop) = self.registrar_hop {
            self.public_contact = Some((hop, ip, port));
        }
    }

    /// A 401/407 to one of our requests (`sent`: as sent, and where): send it again with
    /// credentials, keeping what it was for; when that is impossible, fail it like a
    /// final response.
    fn retry_with_credentials(
        &mut self,
        now: Instant,
        purpose: Purpose,
        sent: Option<(SipMessage, Target)>,
        challenge: &SipMessage,
    ) {
        let Some((request, target)) = sent else {
            self.challenge_failed(
                now,
                purpose,
                "the challenged request is unknown".into(),
                challenge,
            );
            return;
        };
        let server = self
            .config
            .server
            .as_ref()
            .map(|(h, _)| h.clone())
            .or_else(|| {
                request
                    .request_uri()
                    .and_then(Result::ok)
                    .and_then(|u| u.as_sip().map(|s| s.host.to_string()))
            })
            .unwrap_or_default();
        let retried = self
            .auth
            .authorize(&request, challenge, &self.config.credentials, &server)
            .map_err(|e| e.to_string())
            .and_then(|retry| {
                self.tl
                    .send_request(now, retry.request.clone(), target)
                    .map(|k| (k, retry))
                    .map_err(|e| e.to_string())
            });
        match retried {
            Ok((new_tx, retry)) => {
                self.track(new_tx, purpose.clone());
                let call = match &purpose {
                    Purpose::Invite(k) | Purpose::ReInvite(k) => Some(*k),
                    Purpose::Refer { call, .. } => Some(*call),
                    _ => None,
                };
                if let Some(k) = call
                    && let Some(c) = self.calls.get_mut(&k)
                {
                    if let Some(d) = &mut c.dialog {
                        d.advance_local_seq(retry.cseq);
                    }
                    match purpose {
                        Purpose::Invite(_) => {
                            c.invite = retry.request.clone();
                            c.invite_tx = new_tx;
                        }
                        Purpose::ReInvite(_) => c.reinvite = Some(new_tx),
                        _ => {}
                    }
                }
                // Dialog requests (BYE) carry the dialog's CSeq: keep it ahead.
                if matches!(purpose, Purpose::Bye) {
                    let (cid, tag) = (
                        retry.request.call_id().unwrap_or_default().to_owned(),
                        retry.request.from_tag().unwrap_or_default().to_owned(),
                    );
                    if let Some(k) = self.index.get(&(cid, tag)).copied()
                        && let Some(d) = self.calls.get_mut(&k).and_then(|c| c.dialog.as_mut())
                    {
                        d.advance_local_seq(retry.cseq);
                    }
                }
            }
            Err(why) => self.challenge_failed(now, purpose, why, challenge),
        }
    }

    /// A 401/407 we cannot answer ends what the request was for, with the reason.
    fn challenge_failed(
        &mut self,
        now: Instant,
        purpose: Purpose,
        why: String,
        challenge: &SipMessage,
    ) {
        let code = challenge.status().map_or(0, |s| s.code());
        if matches!(purpose, Purpose::Register) {
            return; // The registration answers its own challenges.
        }
        self.request_failed(
            now,
            purpose,
            EndReason::AuthFailed(why),
            code,
            Some(challenge.clone()),
        );
    }

    fn on_invite_response(
        &mut self,
        now: Instant,
        tx: TransactionKey,
        key: CallKey,
        msg: SipMessage,
    ) {
        let code = msg.status().map_or(0, |s| s.code());
        let Some(call) = self.calls.get_mut(&key) else {
            return;
        };
        if call.invite_tx != tx {
            return;
        }
        match code {
            100 => {}
            101..=199 => {
                if msg.to_tag().is_some() {
                    match &mut call.dialog {
                        None => call.dialog = Dialog::new_uac(&call.invite, &msg).ok(),
                        Some(d) => {
                            let _ = d.handle_response(&msg);
                        }
                    }
                }
                let media = early_answer(call, &msg);
                if let Some(media) = media {
                    self.emit(CoreEvent::MediaNegotiated { call: key, media });
                }
                if self.calls[&key].state == CallState::Dialing {
                    self.set_state(now, key, CallState::Progress, None, Some(msg));
                }
            }
            200..=299 => self.on_invite_2xx(now, tx, key, msg),
            _ => {
                let reason = match code {
                    486 | 600 | 603 => EndReason::Busy { status: code },
                    487 if call.state == CallState::Canceling => EndReason::Canceled,
                    _ => EndReason::Rejected {
                        status: code,
                        reason: msg.reason().map(|r| r.into_owned()).unwrap_or_default(),
                    },
                };
                if let Some(s) = &mut call.sdp {
                    s.cancel_offer();
                }
                self.end_call(now, key, reason, Some(msg));
            }
        }
    }

    fn on_invite_2xx(&mut self, now: Instant, tx: TransactionKey, key: CallKey, msg: SipMessage) {
        let Some(call) = self.calls.get_mut(&key) else {
            return;
        };
        let same_dialog = call
            .dialog
            .as_ref()
            .is_some_and(|d| d.id().remote_tag == msg.to_tag().unwrap_or(""));
        let fork = call
            .dialog
            .as_ref()
            .is_some_and(|d| d.state() == crate::dialog::DialogState::Confirmed && !same_dialog);
        if fork {
            // A second fork answered: ACK it and hang it up (we keep the first).
            if let Ok(mut d) = Dialog::new_uac(&call.invite, &msg)
                && let Ok(ack) = d.ack(&call.invite).and_then(|b| Ok(b.build()?))
            {
                let target = call.peer;
                let _ = self.tl.send_ack(now, tx, ack, target);
                if let Ok(bye) = d.request(Method::Bye).and_then(|b| Ok(b.build()?))
                    && let Ok(t) = self.tl.send_request(now, bye, target)
                {
                    self.track(t, Purpose::Bye);
                }
            }
            return;
        }
        if same_dialog {
            if let Some(d) = &mut call.dialog {
                let _ = d.handle_response(&msg);
            }
        } else {
            match Dialog::new_uac(&call.invite, &msg) {
                Ok(d) => call.dialog = Some(d),
                Err(_) => {
                    self.end_call(
                        now,
                        key,
                        EndReason::Rejected {
                            status: 500,
                            reason: "unusable 2xx".into(),
                        },
                        Some(msg),
                    );
                    return;
                }
            }
        }
        let ack = call
            .dialog
            .as_ref()
            .and_then(|d| d.ack(&call.invite).ok())
            .and_then(|b| b.build().ok());
        let target = self.dialog_target(&self.calls[&key]);
        if let Some(ack) = ack {
            let _ = self.tl.send_ack(now, tx, ack, target);
        }
        let state = self.calls[&key].state;
        match state {
            CallState::Canceling | CallState::Ended => {
                // Answered despite our CANCEL (or after we gave up): end it properly.
                self.send_bye(now, key);
                self.end_call(now, key, EndReason::Canceled, Some(msg));
            }
            CallState::Answered => {}
            _ => {
                let call = self.calls.get_mut(&key).expect("checked above");
                let mut negotiated = None;
                let mut failed = false;
                if let Some(sdp) = &mut call.sdp
                    && sdp.has_pending_offer()
                {
                    if msg.has_sdp() {
                        match sdp.receive_answer(&String::from_utf8_lossy(msg.body())) {
                            Ok(m) => negotiated = Some(m),
                            Err(_) => failed = true,
                        }
                    } else if sdp.negotiated().is_none() {
                        failed = true;
                    }
                }
                if failed {
                    self.send_bye(now, key);
                    self.end_call(now, key, EndReason::NotAcceptable, Some(msg));
                    return;
                }
                if let Some(media) = negotiated {
                    self.emit(CoreEvent::MediaNegotiated { call: key, media });
                }
                self.set_state(now, key, CallState::Answered, None, Some(msg));
            }
        }
    }

    fn on_reinvite_response(
        &mut self,
        now: Instant,
        tx: TransactionKey,
        key: CallKey,
        msg: SipMessage,
    ) {
        let code = msg.status().map_or(0, |s| s.code());
        if code < 200 {
            return;
        }
        let Some(call) = self.calls.get_mut(&key) else {
            return;
        };
        if call.reinvite != Some(tx) {
            // Retransmitted 2xx: ACK again.
            if (200..300).contains(&code)
                && let (Some(d), Some(req)) = (&call.dialog, self.tl.request(tx))
                && let Ok(ack) = d.ack(req).and_then(|b| Ok(b.build()?))
            {
                let target = call.peer;
                let _ = self.tl.send_ack(now, tx, ack, target);
            }
            return;
        }
        call.reinvite = None;
        if (200..300).contains(&code) {
            let req = self.tl.request(tx).cloned();
            if let (Some(d), Some(req)) = (&mut call.dialog, req) {
                let _ = d.handle_response(&msg);
                if let Ok(ack) = d.ack(&req).and_then(|b| Ok(b.build()?)) {
                    let target = self.dialog_target(&self.calls[&key]);
                    let _ = self.tl.send_ack(now, tx, ack, target);
                }
            }
            let call = self.calls.get_mut(&key).expect("present");
            let media = call
                .sdp
                .as_mut()
                .and_then(|s| s.receive_answer(&String::from_utf8_lossy(msg.body())).ok());
            let status = match media {
                Some(media) => {
                    self.emit(CoreEvent::MediaNegotiated { call: key, media });
                    code
                }
                None => 488,
            };
            if let Some(c) = self.calls.get_mut(&key) {
                c.glare_retried = false;
            }
            self.emit(CoreEvent::ReinviteResult { call: key, status });
        } else if code == 491 && !call.glare_retried {
            // Glare (RFC 3261 §14.1): both sides re-INVITEd at once. Try once more after
            // 2.1-4 s when we chose the Call-ID, 0-2 s when the peer did (in 10 ms steps),
            // so that the two sides do not collide again.
            call.glare_retried = true;
            if let Some(s) = &mut call.sdp {
                s.cancel_offer();
            }
            let random = u64::from(random_cseq());
            let wait = match call.direction {
                CallDirection::Outgoing => Duration::from_millis(2100 + random % 191 * 10),
                CallDirection::Incoming => Duration::from_millis(random % 201 * 10),
            };
            self.glare_retries.push((now + wait, key));
        } else {
            if let Some(c) = self.calls.get_mut(&key) {
                c.glare_retried = false;
            }
            self.reinvite_failed(key, code);
            if matches!(code, 408 | 481) {
                self.end_call(now, key, EndReason::Timeout, Some(msg));
            }
        }
    }

    fn on_stray(&mut self, now: Instant, msg: SipMessage) {
        // A 2xx to an INVITE after its transaction ended: ACK it again (our ACK was lost).
        let is_invite_2xx = msg.status().is_some_and(SipStatus::is_success)
            && msg.cseq().is_ok_and(|c| c.method == Method::Invite);
        if !is_invite_2xx {
            return;
        }
        let Some(id) = DialogId::for_incoming_response(&msg) else {
            return;
        };
        let Some(key) = self.index.get(&(id.call_id, id.local_tag)).copied() else {
            return;
        };
        let Some(call) = self.calls.get(&key) else {
            return;
        };
        if let Some(d) = &call.dialog
            && let Ok(ack) = d.ack(&call.invite).and_then(|b| Ok(b.build()?))
        {
            let target = self.dialog_target(call);
            let tx = call.invite_tx;
            let _ = self.tl.send_ack(now, tx, ack, target);
        }
    }
}

/// The key an INFO carries: `Signal=5` in `application/dtmf-relay` (also `Signal=10` / `11`
/// for `*` / `#`, as Cisco and Asterisk send), or the bare key in `application/dtmf`.
fn info_dtmf(msg: &SipMessage) -> Option<char> {
    let ct = msg.content_type()?.ok()?;
    let body = std::str::from_utf8(msg.body()).ok()?;
    let value = if ct.is("application", "dtmf-relay") {
        body.lines().find_map(|l| {
            let (k, v) = l.split_once('=')?;
            k.trim().eq_ignore_ascii_case("signal").then(|| v.trim())
        })?
    } else if ct.is("application", "dtmf") {
        body.trim()
    } else {
        return None;
    };
    match value {
        "10" => Some('*'),
        "11" => Some('#'),
        "12" => Some('A'),
        "13" => Some('B'),
        "14" => Some('C'),
        "15" => Some('D'),
        "16" => Some('R'),
        v if v.len() == 1 => {
            let c = v.chars().next()?.to_ascii_uppercase();
            matches!(c, '0'..='9' | '*' | '#' | 'A'..='D' | 'R').then_some(c)
        }
        _ => None,
    }
}

/// Whether a NOTIFY belongs to a REFER subscription (`Event: refer`, maybe `;id=`).
fn is_refer_event(msg: &SipMessage) -> bool {
    msg.header_str(&HeaderName::Event).is_some_and(|e| {
        let package = e.split(';').next().unwrap_or("").trim();
        package.eq_ignore_ascii_case("refer")
    })
}

/// An SDP answer in a provisional response (early media).
fn early_answer(call: &mut Call, msg: &SipMessage) -> Option<NegotiatedMedia> {
    if !msg.has_sdp() {
        return None;
    }
    let sdp = call.sdp.as_mut()?;
    if !sdp.has_pending_offer() {
        return None;
    }
    sdp.receive_answer(&String::from_utf8_lossy(msg.body()))
        .ok()
}

// ----- requests -----
impl UaCore {
    fn respond(&mut self, now: Instant, tx: TransactionKey, resp: sip_message::Result<SipMessage>) {
        if let Ok(r) = resp {
            let _ = self.tl.respond(now, tx, r);
        }
    }

    /// A response to a request outside any call (`tag` for our To tag).
    fn simple(&mut self, now: Instant, tx: TransactionKey, req: &SipMessage, status: SipStatus) {
        let mut b = uas_response(req, status, &new_tag(), None);
        if status == SipStatus::METHOD_NOT_ALLOWED {
            b = b.header(&HeaderName::Allow, ALLOWED_METHODS);
        }
        self.respond(now, tx, b.build());
    }

    fn options_response(&self, req: &SipMessage, tag: &str) -> sip_message::Result<SipMessage> {
        uas_response(req, SipStatus::OK, tag, None)
            .header(&HeaderName::Allow, ALLOWED_METHODS)
            .header(&HeaderName::Accept, ACCEPT)
            // No option tags (we implement no extension that needs one), but the header
            // is there: FreePBX's qualify and others read it.
            .header(&HeaderName::Supported, "")
            .header(&HeaderName::UserAgent, &self.config.user_agent)
            .build()
    }

    fn on_request(&mut self, now: Instant, tx: TransactionKey, msg: SipMessage, source: Target) {
        let Some(method) = msg.method() else {
            return;
        };
        if method == Method::Cancel {
            self.on_cancel(now, tx, &msg);
            return;
        }
        // We implement no extension that a peer could require (RFC 3261 §8.2.2.3).
        let required: Vec<String> = msg
            .require()
            .filter_map(Result::ok)
            .map(str::to_owned)
            .collect();
        if !required.is_empty() && method != Method::Ack {
            let r = uas_response(&msg, SipStatus::BAD_EXTENSION, &new_tag(), None)
                .header(&HeaderName::Unsupported, required.join(", "))
                .build();
            self.respond(now, tx, r);
            return;
        }
        if msg.to_tag().is_some() {
            self.on_in_dialog(now, tx, method, msg, source);
            return;
        }
        match method {
            Method::Invite => self.on_new_invite(now, tx, msg, source),
            Method::Options => {
                let r = self.options_response(&msg, &new_tag());
                self.respond(now, tx, r);
            }
            Method::Message => {
                self.simple(now, tx, &msg, SipStatus::OK);
                self.deliver_message(msg);
            }
            Method::Bye | Method::Update | Method::Info | Method::Notify | Method::Prack => {
                self.simple(now, tx, &msg, SipStatus::CALL_TRANSACTION_DOES_NOT_EXIST);
            }
            Method::Ack => {}
            _ => self.simple(now, tx, &msg, SipStatus::METHOD_NOT_ALLOWED),
        }
    }

    fn deliver_message(&mut self, msg: SipMessage) {
        let from = msg.from().map(|f| f.uri.to_string()).unwrap_or_default();
        let to = msg.to().map(|t| t.uri.to_string()).unwrap_or_default();
        let content_type = msg
            .header_str(&HeaderName::ContentType)
            .unwrap_or("text/plain")
            .trim()
            .to_owned();
        let body = msg.body_bytes();
        self.emit(CoreEvent::MessageReceived(IncomingMessage {
            from,
            to,
            content_type,
            body,
            request: msg,
        }));
    }

    fn on_cancel(&mut self, now: Instant, tx: TransactionKey, msg: &SipMessage) {
        let Some(invite_tx) = self.tl.find_invite_for_cancel(msg) else {
            self.simple(now, tx, msg, SipStatus::CALL_TRANSACTION_DOES_NOT_EXIST);
            return;
        };
        self.simple(now, tx, msg, SipStatus::OK);
        let Some(key) = self.call_by_server_tx(invite_tx) else {
            return;
        };
        if self.calls[&key].state == CallState::Ringing {
            self.refuse_invite(now, key, SipStatus::REQUEST_TERMINATED);
            self.end_call(now, key, EndReason::RemoteCanceled, Some(msg.clone()));
        }
    }

    fn on_new_invite(&mut self, now: Instant, tx: TransactionKey, msg: SipMessage, source: Target) {
        while self.ended.len() >= MAX_ENDED {
            self.forget_oldest_ended(now);
        }
        let call_id = msg.call_id().unwrap_or_default().to_owned();
        let from_tag = msg.from_tag().unwrap_or_default().to_owned();
        let seq = msg.cseq().ok().map(|c| c.seq);
        let merged = self
            .incoming
            .get(&(call_id.clone(), from_tag.clone()))
            .and_then(|k| self.calls.get(k))
            .is_some_and(|first| first.invite.cseq().ok().map(|c| c.seq) == seq);
        if merged {
            // The same request reached us twice by different paths (a forking proxy),
            // RFC 3261 §8.2.2.2; or a retransmission so late its transaction is over.
            // Either way not a second call.
            self.simple(now, tx, &msg, SipStatus::LOOP_DETECTED);
            return;
        }
        if self.live_calls() >= MAX_CALLS {
            self.simple(now, tx, &msg, SipStatus::BUSY_HERE);
            return;
        }
        // An offer we cannot use at all is refused before ringing anyone.
        if !msg.body().is_empty() {
            let probe_ip = match source.addr.ip() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            };
            let mut probe = SdpSession::new(LocalMedia::new(probe_ip, 9));
            let offer = String::from_utf8_lossy(msg.body()).into_owned();
            if let Err(e) = probe.receive_offer(&offer) {
                let status =
                    SipStatus::new(e.status_code()).unwrap_or(SipStatus::NOT_ACCEPTABLE_HERE);
                self.simple(now, tx, &msg, status);
                return;
            }
        }
        let peer = source.addr.ip();
        let (contact, sent_by) = match (self.contact(peer), self.sent_by(peer)) {
            (Ok(c), Ok(s)) => (c, s),
            _ => {
                self.simple(now, tx, &msg, SipStatus::SERVER_INTERNAL_ERROR);
                return;
            }
        };
        let tag = new_tag();
        self.respond(
            now,
            tx,
            uas_response(&msg, SipStatus::TRYING, &tag, None).build(),
        );
        let ringing = match uas_response(&msg, SipStatus::RINGING, &tag, Some(&contact))
            .header(&HeaderName::Allow, ALLOWED_METHODS)
            .build()
        {
            Ok(r) => r,
            Err(_) => return,
        };
        let dialog = match Dialog::new_uas(&msg, &ringing, sent_by) {
            Ok(d) => d,
            Err(e) => {
                self.simple(now, tx, &msg, e.response_status());
                return;
            }
        };
        let _ = self.tl.respond(now, tx, ringing);
        let key = CallKey(self.next_call);
        self.next_call += 1;
        self.ringing_refresh.push_back((now + RINGING_REFRESH, key));
        self.incoming.insert((call_id.clone(), from_tag), key);
        self.index.insert((call_id, tag.clone()), key);
        self.calls.insert(
            key,
            Box::new(Call {
                direction: CallDirection::Incoming,
                state: CallState::Ringing,
                invite: msg.clone(),
                invite_tx: tx,
                local_tag: tag,
                dialog: Some(dialog),
                peer: source,
                sdp: None,
                offer_in_2xx: false,
                early_answer: None,
                reinvite: None,
                transfer: None,
                transfer_deadline: None,
                referred_from: None,
                rtp_port: 0,
                ended_at: None,
                ack_pending: false,
                deferred_bye: None,
                refer_sent: false,
                reinvite_direction: TransmitType::SendRecv,
                glare_retried: false,
            }),
        );
        self.emit(CoreEvent::IncomingCall {
            call: key,
            request: msg,
        });
    }

    fn on_ack(&mut self, now: Instant, msg: SipMessage) {
        let Some(id) = DialogId::for_incoming_request(&msg) else {
            return;
        };
        let Some(key) = self.index.get(&(id.call_id, id.local_tag)).copied() else {
            return;
        };
        if self.calls.get(&key).is_some_and(|c| c.ack_pending) && self.ack_settled(now, key) {
            // We hung up before this ACK: the call is over, its SDP answer moot.
            return;
        }
        let Some(call) = self.calls.get_mut(&key) else {
            return;
        };
        if !call.offer_in_2xx {
            return;
        }
        call.offer_in_2xx = false;
        let result = call.sdp.as_mut().map(|s| {
            if msg.has_sdp() {
                s.receive_answer(&String::from_utf8_lossy(msg.body()))
                    .map_err(|_| ())
            } else {
                Err(())
            }
        });
        match result {
            Some(Ok(media)) => self.emit(CoreEvent::MediaNegotiated { call: key, media }),
            Some(Err(())) => {
                // Our offer went unanswered (RFC 3264 needs the answer in the ACK).
                if let Some(s) = &mut self.calls.get_mut(&key).and_then(|c| c.sdp.as_mut()) {
                    s.cancel_offer();
                }
                if self.calls[&key].state == CallState::Answered && self.call_media(key).is_none() {
                    self.send_bye(now, key);
                    self.end_call(now, key, EndReason::NotAcceptable, Some(msg));
                }
            }
            None => {}
        }
    }

    fn on_in_dialog(
        &mut self,
        now: Instant,
        tx: TransactionKey,
        method: Method,
        msg: SipMessage,
        source: Target,
    ) {
        let key = DialogId::for_incoming_request(&msg)
            .and_then(|id| self.index.get(&(id.call_id, id.local_tag)).copied());
        let Some(key) = key else {
            if method == Method::Options {
                let r = self.options_response(&msg, "");
                self.respond(now, tx, r);
            } else if method != Method::Ack {
                self.simple(now, tx, &msg, SipStatus::CALL_TRANSACTION_DOES_NOT_EXIST);
            }
            return;
        };
        let Some(call) = self.calls.get_mut(&key) else {
            self.simple(now, tx, &msg, SipStatus::CALL_TRANSACTION_DOES_NOT_EXIST);
            return;
        };
        let tag = call.local_tag.clone();
        let refer_notify = method == Method::Notify && call.refer_sent && is_refer_event(&msg);
        if refer_notify
            && (call.state == CallState::Ended
                || call
                    .dialog
                    .as_ref()
                    .is_some_and(|d| d.state() == crate::dialog::DialogState::Terminated))
        {
            // The call is over but the subscription of our REFER is not: acknowledge its
            // NOTIFYs (a 481 would kill the subscription from the transferee's view).
            let r = uas_response(&msg, SipStatus::OK, &tag, None).build();
            self.respond(now, tx, r);
            return;
        }
        let checked = match &mut call.dialog {
            Some(d) => d.receive_request(&msg),
            None => Err(crate::dialog::DialogError::Mismatch),
        };
        if let Err(e) = checked {
            self.simple(now, tx, &msg, e.response_status());
            return;
        }
        if call.state == CallState::Ended && method != Method::Bye {
            self.simple(now, tx, &msg, SipStatus::CALL_TRANSACTION_DOES_NOT_EXIST);
            return;
        }
        call.peer = Target::new(call.peer.addr, source.transport);
        let ok = |_: &Self| uas_response(&msg, SipStatus::OK, &tag, None);
        match method {
            Method::Bye => {
                let r = ok(self).build();
                self.respond(now, tx, r);
                if self.calls[&key].state == CallState::Ringing {
                    // A BYE in the early dialog: the INVITE ends with 487 (RFC 3261
                    // §15.1.2).
                    self.refuse_invite(now, key, SipStatus::REQUEST_TERMINATED);
                }
                self.end_call(now, key, EndReason::RemoteHangup, Some(msg));
            }
            Method::Invite | Method::Update => self.on_offer_in_dialog(now, tx, key, method, msg),
            Method::Options => {
                let r = self.options_response(&msg, &tag);
                self.respond(now, tx, r);
            }
            Method::Info => {
                let r = ok(self).build();
                self.respond(now, tx, r);
                if let Some(digit) = info_dtmf(&msg) {
                    self.emit(CoreEvent::DtmfReceived { call: key, digit });
                }
            }
            Method::Message => {
                let r = ok(self).build();
                self.respond(now, tx, r);
                self.deliver_message(msg);
            }
            Method::Notify => {
                let r = ok(self).build();
                self.respond(now, tx, r);
                self.on_notify(now, key, &msg);
            }
            Method::Refer => self.on_refer(now, tx, key, msg, &tag),
            _ => self.simple(now, tx, &msg, SipStatus::METHOD_NOT_ALLOWED),
        }
    }

    /// A re-INVITE or UPDATE: answer its offer (or make one when it has none).
    fn on_offer_in_dialog(
        &mut self,
        now: Instant,
        tx: TransactionKey,
        key: CallKey,
        method: Method,
        msg: SipMessage,
    ) {
        let peer = self.calls[&key].peer.addr.ip();
        let contact = self.contact(peer).ok();
        let call = self.calls.get_mut(&key).expect("present");
        let tag = call.local_tag.clone();
        if call.reinvite.is_some() && method == Method::Invite {
            let r = uas_response(&msg, SipStatus::REQUEST_PENDING, &tag, None).build();
            self.respond(now, tx, r);
            return;
        }
        let Some(sdp) = &mut call.sdp else {
            // An UPDATE before we answered (no SDP state yet): without an offer it only
            // refreshes the target, accepted; an offer we cannot take before our answer
            // to the INVITE's is refused (RFC 3311 §5.2: 488).
            let status = if msg.has_sdp() {
                SipStatus::NOT_ACCEPTABLE_HERE
            } else {
                SipStatus::OK
            };
            let r = uas_response(&msg, status, &tag, contact.as_ref()).build();
            self.respond(now, tx, r);
            return;
        };
        let mut builder = uas_response(&msg, SipStatus::OK, &tag, contact.as_ref())
            .header(&HeaderName::Allow, ALLOWED_METHODS);
        let mut media = None;
        if msg.has_sdp() {
            // A new offer from the peer replaces any direction we had asked for.
            sdp.local_mut().direction = TransmitType::SendRecv;
            match sdp.receive_offer(&String::from_utf8_lossy(msg.body())) {
                Ok((answer, m)) => {
                    builder = builder.body("application/sdp", answer);
                    media = Some(m);
                }
                Err(e) => {
                    let status =
                        SipStatus::new(e.status_code()).unwrap_or(SipStatus::NOT_ACCEPTABLE_HERE);
                    let r = uas_response(&msg, status, &tag, None).build();
                    self.respond(now, tx, r);
                    return;
                }
            }
        } else if method == Method::Invite {
            match sdp.create_offer() {
                Ok(offer) => {
                    builder = builder.body("application/sdp", offer);
                    call.offer_in_2xx = true;
                }
                Err(_) => {
                    let r =
                        uas_response(&msg, SipStatus::SERVER_INTERNAL_ERROR, &tag, None).build();
                    self.respond(now, tx, r);
                    return;
                }
            }
        }
        self.respond(now, tx, builder.build());
        if let Some(media) = media {
            self.emit(CoreEvent::MediaNegotiated { call: key, media });
        }
    }

    fn on_notify(&mut self, now: Instant, key: CallKey, msg: &SipMessage) {
        let is_refer = is_refer_event(msg);
        let Some(call) = self.calls.get_mut(&key) else {
            return;
        };
        let Some(blind) = call.transfer else {
            return;
        };
        if !is_refer || blind {
            return;
        }
        let body = String::from_utf8_lossy(msg.body());
        let status = body
            .lines()
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse::<u16>().ok());
        let terminated = msg
            .header_str(&HeaderName::SubscriptionState)
            .is_some_and(|s| s.trim().to_ascii_lowercase().starts_with("terminated"));
        let outcome = match status {
            Some(s) if s >= 200 => Some((200..300).contains(&s)),
            _ if terminated => Some(false),
            _ => None,
        };
        if let Some(success) = outcome {
            call.transfer = None;
            call.transfer_deadline = None;
            self.emit(CoreEvent::TransferResult { call: key, success });
            if success && self.call_state(key) == Some(CallState::Answered) {
                self.send_bye(now, key);
                self.end_call(now, key, EndReason::Transferred, None);
            }
        }
    }

    fn on_refer(
        &mut self,
        now: Instant,
        tx: TransactionKey,
        key: CallKey,
        msg: SipMessage,
        tag: &str,
    ) {
        let target = msg
            .refer_to()
            .and_then(Result::ok)
            .map(|na| na.uri.to_string());
        let Some(target) = target else {
            let r = uas_response(&msg, SipStatus::BAD_REQUEST, tag, None).build();
            self.respond(now, tx, r);
            return;
        };
        if self.calls[&key].state != CallState::Answered {
            let r = uas_response(
                &msg,
                SipStatus::new(603).unwrap_or(SipStatus::DECLINE),
                tag,
                None,
            )
            .build();
            self.respond(now, tx, r);
            return;
        }
        let r = uas_response(&msg, SipStatus::ACCEPTED, tag, None).build();
        self.respond(now, tx, r);
        self.send_refer_notify(now, key, 100, "Trying", false);
        self.emit(CoreEvent::TransferRequested { call: key, target });
    }

    /// NOTIFY (RFC 3515) with a `message/sipfrag` status line in call `key`.
    fn send_refer_notify(
        &mut self,
        now: Instant,
        key: CallKey,
        code: u16,
        phrase: &str,
        terminated: bool,
    ) {
        let Some(call) = self.calls.get_mut(&key) else {
            return;
        };
        let Some(d) = &mut call.dialog else {
            return;
        };
        if d.state() == crate::dialog::DialogState::Terminated {
            return;
        }
        let state = if terminated {
            "terminated;reason=noresource"
        } else {
            "active;expires=60"
        };
        let Ok(notify) = d.request(Method::Notify).and_then(|b| {
            Ok(b.header(&HeaderName::Event, "refer")
                .header(&HeaderName::SubscriptionState, state)
                .body(
                    "message/sipfrag;version=2.0",
                    format!("SIP/2.0 {code} {phrase}\r\n"),
                )
                .build()?)
        }) else {
            return;
        };
        let target = self.dialog_target(&self.calls[&key]);
        if let Ok(t) = self.tl.send_request(now, notify, target) {
            self.track(t, Purpose::Notify);
        }
    }
}
