//! A sans-IO REGISTER client (RFC 3261 §10.2) with pyVoIP's failure semantics.
//!
//! [`Registration`] produces REGISTER requests and consumes their final responses (or the
//! news that the transaction timed out); the transaction layer and the transport are the
//! caller's. Everything is driven by the caller's clock, quinn-style:
//!
//! ```text
//! start(now) / deregister(now) / refresh(now)
//! poll_request()            -> REGISTER to send through a client transaction (+ next hop)
//! handle_response(now, r)   <- its final response
//! handle_request_timeout(now) <- or its timeout / transport error
//! poll_timeout(), handle_timeout(now)  refresh and retry timers
//! poll_event()              -> Registered { expires }, AttemptFailed, Failed, Deregistered
//! ```
//!
//! # Behaviour
//! * **Requests**: one Call-ID and From tag for the whole registration (RFC 3261 §10.2:
//!   same Call-ID across refreshes), CSeq increasing by one per request, To = the AOR
//!   without tag, `Contact: <contact>;expires=N` plus `Expires: N`, a new Via branch each
//!   time, Max-Forwards 70. An outbound proxy URI with `;lr` also becomes a Route header
//!   (RFC 3261 §8.1.2); requests go to the outbound proxy if set, else to the registrar.
//! * **Granted expiry**: the `expires` parameter of the response's Contact matching ours,
//!   else (a registrar that rewrote the only Contact, e.g. for NAT) the only Contact's,
//!   else the `Expires` header, else what we asked for.
//! * **Refresh**: after half the granted time (at least 500 ms): RFC 3261 leaves the choice
//!   open; half leaves room for the back-off retries below before the binding lapses (pyVoIP
//!   refreshes 5 s before expiry, which a single lost response turns into an outage).
//! * **401/407** are answered through [`crate::auth`]. A `stale=true` challenge is retried
//!   without counting a failure (at most [`MAX_STALE_RETRIES`] in a row); a challenge again
//!   after our credentials (wrong password) counts as a failure, and so does an attempt
//!   challenged more than [`MAX_CHALLENGES_PER_ATTEMPT`] times. A challenge that cannot be
//!   answered at all (no credentials, unsupported algorithm, refused by the policy) fails
//!   the registration at once: retrying cannot help.
//! * **423 Interval Too Brief**: retried at once with the `Min-Expires` value (not a
//!   failure; a 423 without a larger Min-Expires is one).
//! * **Other failures** (403, 404, any other final status, timeouts, transport errors)
//!   count towards [`RegistrationConfig::failure_threshold`] (pyVoIP's
//!   `REGISTER_FAILURE_THRESHOLD`, default 3) and are retried after a back-off
//!   ([`RegistrationConfig::retry_interval`], doubled per consecutive failure up to
//!   [`RegistrationConfig::max_retry_interval`]; a longer `Retry-After` wins, up to
//!   [`MAX_RETRY_AFTER`]). At the
//!   threshold the state becomes [`RegistrationState::Failed`] with a
//!   [`RegistrationEvent::Failed`] (pyVoIP's `InvalidAccountInfoError`); [`Registration::start`]
//!   starts over. A success resets the count.
//! * **Deregistration** ([`Registration::deregister`]): a REGISTER with `expires=0` (after
//!   the final response of a REGISTER in flight, §10.2), answered challenges included; it
//!   ends with [`RegistrationEvent::Deregistered`] on its response, its failure, or after
//!   [`RegistrationConfig::deregister_timeout`], whichever comes first.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use credentials::CredentialsManager;
//! use sip_message::{Bytes, Host, SipMessage, Transport, Uri};
//! use voip::dialog::SentBy;
//! use voip::registration::{Registration, RegistrationConfig, RegistrationEvent, RegistrationState};
//!
//! let host = Host::parse("127.0.0.1")?.into_owned();
//! let config = RegistrationConfig::new(
//!     Uri::parse("sip:127.0.0.1:5060")?.into_owned(),
//!     "alice",
//!     Uri::parse("sip:alice@127.0.0.1:5062")?.into_owned(),
//!     SentBy::new(Transport::Udp, host, Some(5062)),
//! );
//! let mut reg = Registration::new(config, CredentialsManager::new())?;
//! let now = Instant::now();
//! reg.start(now);
//! let out = reg.poll_request().expect("a REGISTER");
//! assert_eq!(out.request.expires().unwrap()?, 300);
//! assert_eq!(out.next_hop.port(), 5060);
//!
//! // The registrar grants 120 s.
//! let r = &out.request;
//! let ok = format!(
//!     "SIP/2.0 200 OK\r\nVia: {}\r\nFrom: {}\r\nTo: {};tag=x\r\nCall-ID: {}\r\nCSeq: {}\r\n\
//!      Contact: <sip:alice@127.0.0.1:5062>;expires=120\r\nContent-Length: 0\r\n\r\n",
//!     r.via()?, r.from()?, r.to()?, r.call_id()?, r.cseq()?,
//! );
//! reg.handle_response(now, &SipMessage::parse(Bytes::from(ok))?);
//! assert_eq!(reg.state(), RegistrationState::Registered);
//! assert_eq!(reg.poll_event(), Some(RegistrationEvent::Registered { expires: 120 }));
//! // The refresh is due after half of it.
//! assert_eq!(reg.poll_timeout(), Some(now + Duration::from_secs(60)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use credentials::CredentialsManager;
use sip_message::{
    Contact, HeaderName, Method, NameAddr, RequestBuilder, SipMessage, Transport, Uri,
};

use crate::auth::{AuthError, ClientAuth};
use crate::dialog::{MAX_FORWARDS, NextHop, SentBy, new_branch, new_call_id, new_tag};

/// Most `stale=true` challenges answered in a row before one counts as a failure (a
/// registrar that calls every nonce stale would otherwise loop forever).
pub const MAX_STALE_RETRIES: u32 = 3;

/// Most challenges answered for one REGISTER attempt (the first challenge, stale retries,
/// proxies adding realms) before the attempt counts as failed: a registrar that challenges
/// every answer with a new realm would otherwise loop forever.
pub const MAX_CHALLENGES_PER_ATTEMPT: u32 = MAX_STALE_RETRIES + 3;

/// Most events queued; beyond it the oldest is dropped (a caller that never polls events
/// cannot grow memory).
pub const MAX_QUEUED_EVENTS: usize = 32;

/// Registration settings, with pyVoIP's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationConfig {
    /// The registrar: Request-URI of the REGISTER (`sip:voip.test`).
    pub registrar: Uri<'static>,
    /// The address-of-record (From and To): by default `user@` the registrar's host and
    /// port.
    pub aor: Uri<'static>,
    /// Display name in From and To.
    pub display_name: Option<String>,
    /// The server name under which credentials are stored in the [`CredentialsManager`]
    /// (pyVoIP's `server`); by default the registrar's host.
    pub server: String,
    /// Our Contact URI, with the NAT-selected host and our listening port.
    pub contact: Uri<'static>,
    /// The Via sent-by and transport of our requests.
    pub sent_by: SentBy,
    /// Send every REGISTER here instead of the registrar.
    pub outbound_proxy: Option<Uri<'static>>,
    /// Requested binding lifetime in seconds (default 300).
    pub expires: u32,
    /// Consecutive failures before giving up (pyVoIP's `REGISTER_FAILURE_THRESHOLD`,
    /// default 3). 0 behaves as 1.
    pub failure_threshold: u32,
    /// Wait before retrying after the first failure (default 5 s); doubled per further
    /// consecutive failure.
    pub retry_interval: Duration,
    /// Longest back-off (default 5 min).
    pub max_retry_interval: Duration,
    /// How long a deregistration may take before it is given up (default 5 s).
    pub deregister_timeout: Duration,
    /// `User-Agent` header value, if any.
    pub user_agent: Option<String>,
}

impl RegistrationConfig {
    /// Settings for `user` at `registrar`, with our `contact` and `sent_by`, and the
    /// defaults (a `sip:` contact without `transport` parameter gets `;transport=tcp` or
    /// `;transport=tls` when `sent_by` says TCP or TLS, so the registrar reaches us the way
    /// we registered): AOR `sip:user@<registrar host[:port]>`, credentials server = registrar
    /// host, expires 300 s, failure threshold 3, retry after 5 s (up to 5 min),
    /// deregistration timeout 5 s.
    pub fn new(
        registrar: Uri<'static>,
        user: impl Into<String>,
        contact: Uri<'static>,
        sent_by: SentBy,
    ) -> Self {
        let user = user.into();
        let (aor, server) = match &registrar {
            Uri::Sip(s) => {
                let mut a = sip_message::SipUri::new(s.host.clone()).with_user(user.clone());
                a.secure = s.secure;
                a.port = s.port;
                (Uri::Sip(a), s.host.to_string())
            }
            other => (other.clone(), String::new()),
        };
        let contact = with_transport_param(contact, &sent_by.transport);
        RegistrationConfig {
            registrar,
            aor,
            display_name: None,
            server,
            contact,
            sent_by,
            outbound_proxy: None,
            expires: 300,
            failure_threshold: 3,
            retry_interval: Duration::from_secs(5),
            max_retry_interval: Duration::from_secs(300),
            deregister_timeout: Duration::from_secs(5),
            user_agent: None,
        }
    }
}

/// Why a registration attempt (or the registration) failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistrationError {
    /// The registrar answered a final failure status (403, 404, 5xx, ...).
    #[error("registrar answered {status} {reason}")]
    Status {
        /// Status code.
        status: u16,
        /// Reason phrase.
        reason: String,
    },
    /// No final response (transaction timeout or transport error).
    #[error("no response from the registrar")]
    Timeout,
    /// Our credentials were challenged again: wrong user name or password.
    #[error("credentials rejected for realm `{realm}`")]
    CredentialsRejected {
        /// The realm.
        realm: String,
    },
    /// The challenge cannot be answered (no credentials, unsupported algorithm, refused by
    /// the policy, malformed challenge).
    #[error("cannot authenticate: {0}")]
    Auth(AuthError),
    /// The registrar keeps declaring our nonce stale.
    #[error("too many stale-nonce challenges in a row")]
    TooManyStaleChallenges,
    /// More than [`MAX_CHALLENGES_PER_ATTEMPT`] challenges for one attempt.
    #[error("too many authentication challenges for one REGISTER")]
    TooManyChallenges,
    /// 423 without a usable (larger) Min-Expires.
    #[error("423 Interval Too Brief without a larger Min-Expires")]
    IntervalTooBrief,
    /// A 2xx that grants our contact no time.
    #[error("registrar accepted the REGISTER but granted no binding")]
    NoBinding,
    /// The REGISTER cannot be built from the configuration.
    #[error("cannot build REGISTER: {0}")]
    Build(#[from] sip_message::Error),
}

/// What the registration tells its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationEvent {
    /// Registered (or refreshed) for `expires` seconds.
    Registered {
        /// Seconds granted by the registrar.
        expires: u32,
    },
    /// An attempt failed and will be retried.
    AttemptFailed {
        /// Why.
        reason: RegistrationError,
        /// Consecutive failures so far.
        failures: u32,
        /// When the retry happens, from the failure.
        retry_in: Duration,
    },
    /// The failure threshold was reached (or retrying cannot help): the registration is
    /// stopped. pyVoIP's `InvalidAccountInfoError` / `PhoneStatus.FAILED`.
    Failed {
        /// The last failure.
        reason: RegistrationError,
    },
    /// Deregistration finished: `confirmed` when the registrar answered 2xx, false when it
    /// failed or timed out (the binding then lapses at its expiry).
    Deregistered {
        /// The registrar confirmed the removal.
        confirmed: bool,
    },
}

/// Where the registration is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegistrationState {
    /// Not started.
    Idle,
    /// Registering, or retrying after a failed attempt.
    Registering,
    /// Bound (refreshes happen in this state).
    Registered,
    /// Removing the binding.
    Deregistering,
    /// Binding removed (or given up on); [`Registration::start`] registers again.
    Deregistered,
    /// Gave up; [`Registration::start`] starts over.
    Failed,
}

/// A REGISTER to send through a new non-INVITE client transaction.
#[derive(Debug, Clone)]
pub struct OutgoingRequest {
    /// The request.
    pub request: SipMessage,
    /// Where to send it (outbound proxy or registrar).
    pub next_hop: NextHop,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    Refresh,
    Retry,
    DeregisterDeadline,
}

#[derive(Debug, Clone)]
struct Outstanding {
    request: SipMessage,
    cseq: u32,
    deregister: bool,
    /// It also removes [`Registration::retired_contact`].
    retires: bool,
}

/// The REGISTER client state machine. See the [module documentation](self).
#[derive(Debug)]
pub struct Registration {
    config: RegistrationConfig,
    credentials: CredentialsManager,
    auth: ClientAuth,
    call_id: String,
    from_tag: String,
    cseq: u32,
    state: RegistrationState,
    failures: u32,
    stale_retries: u32,
    challenge_rounds: u32,
    requested_expires: u32,
    granted: Option<u32>,
    registered_until: Option<Instant>,
    outstanding: Option<Outstanding>,
    pending_deregister: bool,
    transmit: Option<OutgoingRequest>,
    events: VecDeque<RegistrationEvent>,
    timer: Option<(Instant, Timer)>,
    public_address: Option<(IpAddr, Option<u16>)>,
    /// A Contact replaced by [`Registration::set_contact`] while registered: the next
    /// REGISTER removes its binding (`;expires=0`) as it adds the new one.
    retired_contact: Option<Uri<'static>>,
}

impl Registration {
    /// A registration answering challenges with `credentials` and pyVoIP's default
    /// [`AuthPolicy`](credentials::AuthPolicy).
    ///
    /// # Errors
    /// [`RegistrationError::Build`] when the configuration cannot make a valid REGISTER
    /// (e.g. a user part with characters that need escaping).
    pub fn new(
        config: RegistrationConfig,
        credentials: CredentialsManager,
    ) -> Result<Self, RegistrationError> {
        Self::with_auth(config, credentials, ClientAuth::default())
    }

    /// Same, with a configured [`ClientAuth`] (policy, client nonce source).
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn with_auth(
        config: RegistrationConfig,
        credentials: CredentialsManager,
        auth: ClientAuth,
    ) -> Result<Self, RegistrationError> {
        let host = match &config.sent_by.host {
            sip_message::Host::Domain(d) => d.to_string(),
            other => other.to_string(),
        };
        let reg = Registration {
            requested_expires: config.expires,
            config,
            credentials,
            auth,
            call_id: new_call_id(&host),
            from_tag: new_tag(),
            cseq: 0,
            state: RegistrationState::Idle,
            failures: 0,
            stale_retries: 0,
            challenge_rounds: 0,
            granted: None,
            registered_until: None,
            outstanding: None,
            pending_deregister: false,
            transmit: None,
            events: VecDeque::new(),
            timer: None,
            public_address: None,
            retired_contact: None,
        };
        // Fail now rather than at the first send.
        reg.build(reg.requested_expires, 1)?;
        Ok(reg)
    }

    /// The configuration.
    pub fn config(&self) -> &RegistrationConfig {
        &self.config
    }

    /// The state.
    pub fn state(&self) -> RegistrationState {
        self.state
    }

    /// Whether a binding is currently believed active.
    pub fn is_registered(&self) -> bool {
        self.state == RegistrationState::Registered
    }

    /// Consecutive failures so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Seconds granted by the last successful REGISTER.
    pub fn granted_expires(&self) -> Option<u32> {
        self.granted
    }

    /// When the current binding lapses unless refreshed.
    pub fn registered_until(&self) -> Option<Instant> {
        self.registered_until
    }

    /// The Call-ID used by every REGISTER of this registration.
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// Our address as the registrar saw it: the `received` and `rport` of the last 2xx's
    /// Via (RFC 3581), for NAT discovery.
    pub fn public_address(&self) -> Option<(IpAddr, Option<u16>)> {
        self.public_address
    }

    /// Replaces our Contact (e.g. after NAT discovery; `;transport=` added as in
    /// [`RegistrationConfig::new`]); call [`refresh`](Self::refresh) to tell the registrar
    /// now. When a binding of the old Contact may exist (registering or registered), the
    /// next REGISTER also removes it (a second Contact with `expires=0`, RFC 3261 §10.2.2)
    /// so that calls are not forked to an address that no longer reaches us.
    pub fn set_contact(&mut self, contact: Uri<'static>) {
        let contact = with_transport_param(contact, &self.config.sent_by.transport);
        if contact == self.config.contact {
            return;
        }
        let old = std::mem::replace(&mut self.config.contact, contact);
        if matches!(
            self.state,
            RegistrationState::Registered | RegistrationState::Registering
        ) && self.retired_contact.is_none()
        {
            self.retired_contact = Some(old);
        }
        if self.retired_contact.as_ref() == Some(&self.config.contact) {
            // Back to the address we were retiring: nothing to remove.
            self.retired_contact = None;
        }
    }

    /// Starts registering (from `Idle`, `Deregistered` or `Failed`: the failure count is
    /// reset). Does nothing while registering, registered or deregistering.
    pub fn start(&mut self, now: Instant) {
        match self.state {
            RegistrationState::Idle
            | RegistrationState::Deregistered
            | RegistrationState::Failed => {
                self.failures = 0;
                self.stale_retries = 0;
                self.requested_expires = self.config.expires;
                self.pending_deregister = false;
                self.outstanding = None;
                self.state = RegistrationState::Registering;
                self.send_register(now, false);
            }
            _ => {}
        }
    }

    /// Sends a REGISTER now (e.g. the Contact changed), unless one is in flight or the
    /// registration is not running.
    pub fn refresh(&mut self, now: Instant) {
        if matches!(
            self.state,
            RegistrationState::Registered | RegistrationState::Registering
        ) && self.outstanding.is_none()
        {
            self.send_register(now, false);
        }
    }

    /// Removes our binding (`expires=0`): a graceful stop waits for
    /// [`RegistrationEvent::Deregistered`]. Without a binding to remove (never started,
    /// failed, already deregistered) the event comes at once.
    pub fn deregister(&mut self, now: Instant) {
        match self.state {
            RegistrationState::Registering | RegistrationState::Registered => {
                self.state = RegistrationState::Deregistering;
                self.timer = Some((
                    later(now, self.config.deregister_timeout),
                    Timer::DeregisterDeadline,
                ));
                if self.outstanding.is_some() {
                    // RFC 3261 §10.2: no new REGISTER before the previous one is answered.
                    self.pending_deregister = true;
                } else {
                    self.send_register(now, true);
                }
            }
            RegistrationState::Deregistering => {}
            RegistrationState::Idle
            | RegistrationState::Deregistered
            | RegistrationState::Failed => {
                self.state = RegistrationState::Deregistered;
                self.timer = None;
                self.push_event(RegistrationEvent::Deregistered { confirmed: true });
            }
        }
    }

    /// The next REGISTER to send, if any.
    pub fn poll_request(&mut self) -> Option<OutgoingRequest> {
        self.transmit.take()
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<RegistrationEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timer.map(|(t, _)| t)
    }

    /// Fires the refresh, retry or deregistration deadline timer if it is due.
    pub fn handle_timeout(&mut self, now: Instant) {
        let Some((at, timer)) = self.timer else {
            return;
        };
        if now < at {
            return;
        }
        self.timer = None;
        match timer {
            Timer::Refresh | Timer::Retry => {
                if self.outstanding.is_none()
                    && matches!(
                        self.state,
                        RegistrationState::Registered | RegistrationState::Registering
                    )
                {
                    self.send_register(now, false);
                }
            }
            Timer::DeregisterDeadline => self.finish_deregister(false),
        }
    }

    /// Feeds a response to the REGISTER in flight. Returns false (and ignores it) when it
    /// is not for that request (another Call-ID or CSeq, an old request's late answer).
    /// Provisional responses are accepted and ignored.
    pub fn handle_response(&mut self, now: Instant, response: &SipMessage) -> bool {
        let Some(out) = &self.outstanding else {
            return false;
        };
        let matches = response.call_id().is_ok_and(|c| c == self.call_id)
            && response
                .cseq()
                .is_ok_and(|c| c.seq == out.cseq && c.method == Method::Register);
        let Some(status) = response.status().filter(|_| matches) else {
            return false;
        };
        if status.is_provisional() {
            return true;
        }
        let Some(out) = self.outstanding.take() else {
            return false;
        };
        if self.pending_deregister && !out.deregister {
            // Whatever the REGISTER in flight achieved, the binding goes now.
            self.pending_deregister = false;
            self.send_register(now, true);
            return true;
        }
        let code = status.code();
        if matches!(code, 401 | 407) {
            self.answer_challenge(now, &out, response);
        } else if out.deregister {
            if out.retires && status.is_success() {
                self.retired_contact = None;
            }
            self.finish_deregister(status.is_success());
        } else if status.is_success() {
            if out.retires {
                self.retired_contact = None;
            }
            self.registered(now, response);
        } else if code == 423 {
            match response.min_expires().and_then(Result::ok) {
                Some(min) if min > self.requested_expires => {
                    self.requested_expires = min;
                    self.send_register(now, false);
                }
                _ => self.attempt_failed(now, RegistrationError::IntervalTooBrief, None),
            }
        } else {
            let retry_after = response
                .header_str(&HeaderName::RetryAfter)
                .and_then(|v| v.split([';', '(', ' ']).next()?.trim().parse::<u64>().ok())
                .map(|s| Duration::from_secs(s).min(MAX_RETRY_AFTER));
            let reason = RegistrationError::Status {
                status: code,
                reason: response
                    .reason()
                    .map_or_else(|| status.phrase().to_owned(), |r| r.into_owned()),
            };
            self.attempt_failed(now, reason, retry_after);
        }
        true
    }

    /// The REGISTER in flight got no final response: its transaction timed out or the
    /// transport failed. Counts as a failure (a deregistration ends unconfirmed).
    pub fn handle_request_timeout(&mut self, now: Instant) {
        let Some(out) = self.outstanding.take() else {
            return;
        };
        if out.deregister {
            self.finish_deregister(false);
        } else if self.pending_deregister {
            self.pending_deregister = false;
            self.send_register(now, true);
        } else {
            self.attempt_failed(now, RegistrationError::Timeout, None);
        }
    }

    // ----- internals -----

    fn push_event(&mut self, event: RegistrationEvent) {
        if self.events.len() >= MAX_QUEUED_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(event);
    }

    fn next_hop(&self) -> NextHop {
        let uri = self
            .config
            .outbound_proxy
            .clone()
            .unwrap_or_else(|| self.config.registrar.clone());
        NextHop::for_uri(uri, self.config.sent_by.transport.clone(), false)
    }

    fn build(&self, expires: u32, cseq: u32) -> Result<SipMessage, sip_message::Error> {
        let c = &self.config;
        let mut aor = NameAddr::new(c.aor.clone());
        if let Some(d) = &c.display_name {
            aor = aor.with_display_name(d.clone());
        }
        let from = aor.clone().with_param("tag", Some(&self.from_tag))?;
        let expires_text = expires.to_string();
        let contact =
            NameAddr::new(c.contact.clone()).with_param("expires", Some(&expires_text))?;
        let mut b = RequestBuilder::new(Method::Register, &c.registrar)
            .via(&c.sent_by.via(&new_branch())?)
            .max_forwards(MAX_FORWARDS);
        if let Some(proxy) = &c.outbound_proxy
            && proxy.as_sip().is_some_and(|s| s.params.contains("lr"))
        {
            b = b.header(&HeaderName::Route, NameAddr::new(proxy.clone()));
        }
        b = b
            .from(&from)
            .to(&aor)
            .call_id(&self.call_id)
            .cseq(cseq)
            .contact(&Contact::Address(contact));
        if let Some(old) = &self.retired_contact {
            let old = NameAddr::new(old.clone()).with_param("expires", Some("0"))?;
            b = b.contact(&Contact::Address(old));
        }
        b = b.header(&HeaderName::Expires, expires);
        if let Some(ua) = &c.user_agent {
            b = b.header(&HeaderName::UserAgent, ua);
        }
        b.build()
    }

    fn send_register(&mut self, now: Instant, deregister: bool) {
        let expires = if deregister {
            0
        } else {
            self.requested_expires
        };
        let cseq = self.cseq.wrapping_add(1).max(1);
        self.challenge_rounds = 0;
        match self.build(expires, cseq) {
            Ok(request) => {
                self.cseq = cseq;
                self.outstanding = Some(Outstanding {
                    request: request.clone(),
                    cseq,
                    deregister,
                    retires: self.retired_contact.is_some(),
                });
                self.transmit = Some(OutgoingRequest {
                    request,
                    next_hop: self.next_hop(),
                });
            }
            Err(e) => {
                if deregister {
                    self.finish_deregister(false);
                } else {
                    self.give_up(now, RegistrationError::Build(e));
                }
            }
        }
    }

    fn answer_challenge(&mut self, now: Instant, out: &Outstanding, response: &SipMessage) {
        let server = self.config.server.clone();
        match self
            .auth
            .authorize(&out.request, response, &self.credentials, &server)
        {
            Ok(retry) => {
                self.challenge_rounds += 1;
                if self.challenge_rounds > MAX_CHALLENGES_PER_ATTEMPT {
                    return self.auth_failed(
                        now,
                        out.deregister,
                        RegistrationError::TooManyChallenges,
                        true,
                    );
                }
                if retry.stale {
                    self.stale_retries += 1;
                    if self.stale_retries > MAX_STALE_RETRIES {
                        self.stale_retries = 0;
                        return self.auth_failed(
                            now,
                            out.deregister,
                            RegistrationError::TooManyStaleChallenges,
                            true,
                        );
                    }
                }
                self.cseq = retry.cseq;
                self.outstanding = Some(Outstanding {
                    request: retry.request.clone(),
                    cseq: retry.cseq,
                    deregister: out.deregister,
                    retires: out.retires,
                });
                self.transmit = Some(OutgoingRequest {
                    request: retry.request,
                    next_hop: self.next_hop(),
                });
            }
            Err(AuthError::Rejected { realm }) => self.auth_failed(
                now,
                out.deregister,
                RegistrationError::CredentialsRejected { realm },
                true,
            ),
            // A malformed or mismatched challenge may be a one-off; count and retry.
            Err(
                e @ (AuthError::Challenge(_)
                | AuthError::Mismatch
                | AuthError::Message(_)
                | AuthError::NoChallenge(_)),
            ) => self.auth_failed(now, out.deregister, RegistrationError::Auth(e), true),
            // Nothing we could send would ever be accepted.
            Err(e) => self.auth_failed(now, out.deregister, RegistrationError::Auth(e), false),
        }
    }

    fn auth_failed(
        &mut self,
        now: Instant,
        deregister: bool,
        reason: RegistrationError,
        retryable: bool,
    ) {
        if deregister {
            self.finish_deregister(false);
        } else if retryable {
            self.attempt_failed(now, reason, None);
        } else {
            self.give_up(now, reason);
        }
    }

    fn registered(&mut self, now: Instant, response: &SipMessage) {
        let granted = granted_expires(response, &self.config.contact, self.requested_expires);
        if granted == 0 {
            return self.attempt_failed(now, RegistrationError::NoBinding, None);
        }
        self.failures = 0;
        self.stale_retries = 0;
        self.granted = Some(granted);
        self.registered_until = Some(later(now, Duration::from_secs(u64::from(granted))));
        if let Ok(via) = response.via()
            && let Some(ip) = via.received()
        {
            self.public_address = Some((ip, via.rport().flatten()));
        }
        if self.state != RegistrationState::Deregistering {
            self.state = RegistrationState::Registered;
            self.timer = Some((later(now, refresh_delay(granted)), Timer::Refresh));
        }
        self.push_event(RegistrationEvent::Registered { expires: granted });
    }

    fn attempt_failed(
        &mut self,
        now: Instant,
        reason: RegistrationError,
        retry_after: Option<Duration>,
    ) {
        self.failures += 1;
        self.stale_retries = 0;
        if self.failures >= self.config.failure_threshold.max(1) {
            return self.give_up(now, reason);
        }
        let shift = (self.failures - 1).min(16);
        let backoff = self
            .config
            .retry_interval
            .saturating_mul(1 << shift)
            .min(self.config.max_retry_interval);
        let retry_in = retry_after.map_or(backoff, |r| r.max(backoff));
        if self.state != RegistrationState::Deregistering {
            self.state = RegistrationState::Registering;
            self.timer = Some((later(now, retry_in), Timer::Retry));
        }
        self.push_event(RegistrationEvent::AttemptFailed {
            reason,
            failures: self.failures,
            retry_in,
        });
    }

    fn give_up(&mut self, _now: Instant, reason: RegistrationError) {
        if self.state == RegistrationState::Deregistering {
            // A deregistration is under way: it ends on its own terms.
            return;
        }
        self.state = RegistrationState::Failed;
        self.timer = None;
        self.outstanding = None;
        self.transmit = None;
        self.registered_until = None;
        self.push_event(RegistrationEvent::Failed { reason });
    }

    fn finish_deregister(&mut self, confirmed: bool) {
        if self.state != RegistrationState::Deregistering {
            return;
        }
        self.state = RegistrationState::Deregistered;
        self.timer = None;
        self.outstanding = None;
        self.transmit = None;
        self.pending_deregister = false;
        self.registered_until = None;
        self.granted = None;
        self.push_event(RegistrationEvent::Deregistered { confirmed });
    }
}

/// A binding without `;transport=` is reached over UDP (RFC 3263), even when the REGISTER
/// came over TCP or TLS: a `sip:` contact gets the transport we listen on.
fn with_transport_param(contact: Uri<'static>, transport: &Transport<'_>) -> Uri<'static> {
    match (contact, transport) {
        (Uri::Sip(mut c), Transport::Tcp | Transport::Tls)
            if !c.secure && !c.params.contains("transport") =>
        {
            let t = if *transport == Transport::Tcp {
                "tcp"
            } else {
                "tls"
            };
            // "tcp" / "tls" are tokens: pushing cannot fail.
            let _ = c.params.push("transport", Some(t));
            Uri::Sip(c)
        }
        (c, _) => c,
    }
}

/// Longest wait a `Retry-After` can impose (a day); longer values are clamped.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(86_400);

/// `now + d`, saturating far in the future instead of overflowing on absurd durations.
fn later(now: Instant, d: Duration) -> Instant {
    const CAP: Duration = Duration::from_secs(100 * 365 * 86_400);
    now.checked_add(d.min(CAP))
        .or_else(|| now.checked_add(Duration::from_secs(86_400)))
        .unwrap_or(now)
}

/// Half the granted time, at least 500 ms.
fn refresh_delay(granted: u32) -> Duration {
    Duration::from_millis(u64::from(granted) * 500).max(Duration::from_millis(500))
}

/// The expiry the registrar granted our contact (see the module documentation).
fn granted_expires(response: &SipMessage, ours: &Uri<'_>, requested: u32) -> u32 {
    let contacts: Vec<Contact<'_>> = response.contacts().filter_map(Result::ok).collect();
    if let Some(c) = contacts
        .iter()
        .find(|c| c.uri().is_some_and(|u| same_binding(u, ours)))
        && let Some(e) = c.expires()
    {
        return e;
    }
    if let [only] = contacts.as_slice()
        && let Some(e) = only.expires()
    {
        return e;
    }
    match response.expires() {
        Some(Ok(e)) => e,
        _ => requested,
    }
}

/// URI comparison for bindings, after RFC 3261 §19.1.4: scheme, user (case-sensitive), host
/// (case-insensitive), port (default 5060/5061) and transport.
fn same_binding(a: &Uri<'_>, b: &Uri<'_>) -> bool {
    match (a, b) {
        (Uri::Sip(a), Uri::Sip(b)) => {
            let port =
                |s: &sip_message::SipUri<'_>| s.port.unwrap_or(if s.secure { 5061 } else { 5060 });
            let transport = |s: &sip_message::SipUri<'_>| {
                s.params.value("transport").map(str::to_ascii_lowercase)
            };
            a.secure == b.secure
                && a.user == b.user
                && a.host.to_string().eq_ignore_ascii_case(&b.host.to_string())
                && port(a) == port(b)
                && transport(a) == transport(b)
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binding_comparison() {
        let u = |s: &str| Uri::parse(s).unwrap().into_owned();
        assert!(same_binding(
            &u("sip:a@127.0.0.1"),
            &u("sip:a@127.0.0.1:5060")
        ));
        assert!(same_binding(
            &u("sip:a@EXAMPLE.com;transport=UDP"),
            &u("sip:a@example.com;transport=udp")
        ));
        assert!(!same_binding(&u("sip:a@127.0.0.1"), &u("sip:b@127.0.0.1")));
        assert!(!same_binding(
            &u("sip:a@127.0.0.1:5062"),
            &u("sip:a@127.0.0.1")
        ));
        assert!(!same_binding(
            &u("sip:a@127.0.0.1;transport=tcp"),
            &u("sip:a@127.0.0.1")
        ));
        assert!(!same_binding(&u("sips:a@127.0.0.1"), &u("sip:a@127.0.0.1")));
    }

    #[test]
    fn refresh_delay_is_half() {
        assert_eq!(refresh_delay(300), Duration::from_secs(150));
        assert_eq!(refresh_delay(3), Duration::from_millis(1500));
        assert_eq!(refresh_delay(0), Duration::from_millis(500));
    }
}
