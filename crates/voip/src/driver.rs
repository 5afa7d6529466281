//! The tokio driver: one task owning the [`UaCore`], moving bytes between it and the SIP
//! transports, running its timers, executing the phone's and calls' commands, opening the
//! calls' media streams and dispatching events to handles and the [`CallHandler`].
//!
//! Its loop `select!`s on: a received SIP message, a command, a transport error report,
//! and `sleep_until(core.poll_timeout())`. After each it drains the core's transmits
//! (to a sender task, so a slow TCP connect never stalls the core) and events. Handler
//! callbacks run on tasks of their own.
//!
//! [`CallHandler`]: crate::CallHandler

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rtp_core::{PayloadType, TransmitType};
use sip_message::SipStatus;
use sip_transport::{Incoming, TransportSet};
use tokio::sync::{mpsc, oneshot, watch};

use crate::call::{CallShared, VoipCall};
use crate::core::{
    CallDirection, CallKey, CallState, CoreEvent, EndReason, IncomingMessage, UaCore,
};
use crate::error::{Error, Result};
use crate::handler::{DynCallHandler, SipLayer};
use crate::media::MediaEngine;
use crate::phone::PhoneStatus;
use crate::registration::RegistrationEvent;
use crate::transaction::{Target, TransactionKey, Transmit};

/// What handles ask the driver to do.
#[derive(Debug)]
pub(crate) enum Command {
    Call {
        target: String,
        payload_types: Vec<(u8, PayloadType)>,
        reply: oneshot::Sender<Result<VoipCall>>,
    },
    Answer {
        call: CallKey,
        reply: oneshot::Sender<Result<()>>,
    },
    Deny {
        call: CallKey,
        reply: oneshot::Sender<Result<()>>,
    },
    EarlyMedia {
        call: CallKey,
        reply: oneshot::Sender<Result<()>>,
    },
    Hangup {
        call: CallKey,
        reply: oneshot::Sender<Result<()>>,
    },
    Cancel {
        call: CallKey,
        reply: oneshot::Sender<Result<()>>,
    },
    Transfer {
        call: CallKey,
        target: String,
        blind: bool,
        reply: oneshot::Sender<Result<bool>>,
    },
    Reinvite {
        call: CallKey,
        direction: TransmitType,
        reply: oneshot::Sender<Result<()>>,
    },
    Message {
        target: String,
        body: bytes::Bytes,
        content_type: String,
        reply: oneshot::Sender<Result<bool>>,
    },
    Register {
        reply: oneshot::Sender<Result<()>>,
    },
    Calls {
        reply: oneshot::Sender<Vec<VoipCall>>,
    },
    Stop {
        reply: oneshot::Sender<()>,
    },
}

/// Longest a stop waits for BYEs and the deregistration to be answered.
const STOP_GRACE: Duration = Duration::from_secs(4);

pub(crate) struct Driver {
    pub(crate) core: UaCore,
    pub(crate) transports: TransportSet,
    pub(crate) incoming: Incoming,
    pub(crate) commands: mpsc::Receiver<Command>,
    pub(crate) command_tx: mpsc::Sender<Command>,
    pub(crate) media: MediaEngine,
    pub(crate) bind_ip: IpAddr,
    pub(crate) handler: Option<Arc<dyn DynCallHandler>>,
    pub(crate) sip_layer: Option<Arc<dyn SipLayer>>,
    pub(crate) incoming_calls: mpsc::Sender<VoipCall>,
    pub(crate) incoming_messages: mpsc::Sender<IncomingMessage>,
    pub(crate) status: watch::Sender<PhoneStatus>,
    /// Host names of resolved addresses (TLS server names).
    pub(crate) names: HashMap<SocketAddr, String>,
}

struct State {
    calls: HashMap<CallKey, Arc<CallShared>>,
    messages: HashMap<u64, oneshot::Sender<Result<bool>>>,
    transfers: HashMap<CallKey, oneshot::Sender<Result<bool>>>,
    reinvites: HashMap<CallKey, oneshot::Sender<Result<()>>>,
    register_waiters: Vec<oneshot::Sender<Result<()>>>,
    routes_known: std::collections::HashSet<IpAddr>,
    stopping: Option<(Instant, oneshot::Sender<()>)>,
    deregistered: bool,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver").finish_non_exhaustive()
    }
}

impl Driver {
    pub(crate) async fn run(mut self) {
        let (send_tx, send_rx) = mpsc::channel::<Transmit>(4096);
        let (err_tx, mut err_rx) = mpsc::unbounded_channel::<TransactionKey>();
        let sender = tokio::spawn(sender_task(
            self.transports.clone(),
            send_rx,
            err_tx,
            self.sip_layer.clone(),
            self.names.clone(),
        ));
        let mut st = State {
            calls: HashMap::new(),
            messages: HashMap::new(),
            transfers: HashMap::new(),
            reinvites: HashMap::new(),
            register_waiters: Vec::new(),
            routes_known: Default::default(),
            stopping: None,
            deregistered: false,
        };
        loop {
            let deadline = self.core.poll_timeout().map(tokio::time::Instant::from_std);
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                m = self.incoming.recv() => {
                    let Some(inbound) = m else { break };
                    let msg = match &self.sip_layer {
                        Some(l) => l.on_receive(inbound.message),
                        None => Some(inbound.message),
                    };
                    if let Some(msg) = msg {
                        self.learn_route(&mut st, inbound.source.ip());
                        let source = Target::new(inbound.source, inbound.transport);
                        self.core.handle_incoming(Instant::now(), msg, source);
                    }
                }
                c = self.commands.recv() => {
                    let Some(c) = c else { break };
                    self.on_command(&mut st, c).await;
                }
                k = err_rx.recv() => {
                    if let Some(k) = k {
                        self.core.transport_error(Instant::now(), k);
                    }
                }
                () = sleep => self.core.handle_timeout(Instant::now()),
            }
            while let Some(t) = self.core.poll_transmit() {
                if send_tx.send(t).await.is_err() {
                    break;
                }
            }
            self.drain_events(&mut st);
            if let Some((until, _)) = &st.stopping {
                let reg_done = self.core.registration().is_none() || st.deregistered;
                if (reg_done && self.core.pending_requests() == 0) || Instant::now() >= *until {
                    break;
                }
            }
        }
        // Let the sender flush what was queued, then close everything.
        drop(send_tx);
        let _ = tokio::time::timeout(Duration::from_secs(1), sender).await;
        for call in st.calls.values() {
            if let Some(s) = call.stream.get() {
                s.stop();
            }
            call.set_state(CallState::Ended);
        }
        self.transports.close();
        self.status.send_replace(PhoneStatus::Inactive);
        if let Some((_, reply)) = st.stopping.take() {
            let _ = reply.send(());
        }
    }

    /// Tells the core which local address the OS routes to `peer` from (for a wildcard
    /// bind, so that Via, Contact and SDP carry a real address).
    fn learn_route(&mut self, st: &mut State, peer: IpAddr) {
        if !self.bind_ip.is_unspecified() || st.routes_known.contains(&peer) {
            return;
        }
        if let Some(local) = local_ip_towards(peer) {
            if st.routes_known.len() > 4096 {
                st.routes_known.clear();
            }
            st.routes_known.insert(peer);
            self.core.learn_local_ip(peer, local);
        }
    }

    /// Resolves the host of `target` (number or URI) and learns the route to the first hop.
    async fn prepare_target(&mut self, st: &mut State, target: &str) -> Result<()> {
        let uri = self.core.target_uri(target)?;
        if let Some(sip) = uri.as_sip()
            && sip.host.ip().is_none()
        {
            let name = sip.host.to_string();
            let ips = sip_transport::resolve_host(&name).await?;
            let ip = *ips
                .first()
                .ok_or_else(|| Error::InvalidTarget(target.to_owned()))?;
            self.core.learn_host(&name, ip);
        }
        let hop = self.core.first_hop(&uri)?;
        self.learn_route(st, hop.addr.ip());
        Ok(())
    }

    fn new_call(
        &self,
        st: &mut State,
        key: CallKey,
        direction: CallDirection,
        state: CallState,
    ) -> Arc<CallShared> {
        let request = self
            .core
            .call_request(key)
            .cloned()
            .unwrap_or_else(unreachable_message);
        let shared = CallShared::new(key, direction, state, request, self.command_tx.clone());
        st.calls.insert(key, shared.clone());
        shared
    }

    async fn on_command(&mut self, st: &mut State, c: Command) {
        let now = Instant::now();
        if st.stopping.is_some() {
            // Everything is ending: refuse new work.
            match c {
                Command::Stop { reply } => {
                    let _ = reply.send(());
                }
                Command::Call { reply, .. } => {
                    let _ = reply.send(Err(Error::NotRunning));
                }
                Command::Calls { reply } => {
                    let _ = reply.send(Vec::new());
                }
                Command::Message { reply, .. } | Command::Transfer { reply, .. } => {
                    let _ = reply.send(Err(Error::NotRunning));
                }
                Command::Answer { reply, .. }
                | Command::EarlyMedia { reply, .. }
                | Command::Deny { reply, .. }
                | Command::Hangup { reply, .. }
                | Command::Cancel { reply, .. }
                | Command::Reinvite { reply, .. }
                | Command::Register { reply } => {
                    let _ = reply.send(Err(Error::NotRunning));
                }
            }
            return;
        }
        match c {
            Command::Call {
                target,
                payload_types,
                reply,
            } => {
                let r = self.place_call(st, &target, &payload_types).await;
                let _ = reply.send(r);
            }
            Command::Answer { call, reply } => {
                let r = self.answer(st, now, call);
                self.drain_events(st);
                let _ = reply.send(r);
            }
            Command::EarlyMedia { call, reply } => {
                let r = self.answer_with(st, now, call, true);
                self.drain_events(st);
                let _ = reply.send(r);
            }
            Command::Deny { call, reply } => {
                let r = self.core.deny(now, call);
                self.drain_events(st);
                let _ = reply.send(r);
            }
            Command::Hangup { call, reply } => {
                let r = self.core.hangup(now, call);
                self.drain_events(st);
                let _ = reply.send(r);
            }
            Command::Cancel { call, reply } => {
                let r = self.core.cancel(now, call);
                self.drain_events(st);
                let _ = reply.send(r);
            }
            Command::Reinvite {
                call,
                direction,
                reply,
            } => match self.core.reinvite(now, call, direction) {
                // Answered once the peer's answer is applied (ReinviteResult).
                Ok(()) => {
                    st.reinvites.insert(call, reply);
                }
                Err(e) => {
                    let _ = reply.send(Err(e));
                }
            },
            Command::Transfer {
                call,
                target,
                blind,
                reply,
            } => {
                if !target.contains(':') || self.core.target_uri(&target).is_ok() {
                    let _ = self.prepare_target(st, &target).await;
                }
                match self.core.transfer(Instant::now(), call, &target, blind) {
                    Ok(()) => {
                        st.transfers.insert(call, reply);
                    }
                    Err(e) => {
                        let _ = reply.send(Err(e));
                    }
                }
            }
            Command::Message {
                target,
                body,
                content_type,
                reply,
            } => {
                if let Err(e) = self.prepare_target(st, &target).await {
                    let _ = reply.send(Err(e));
                    return;
                }
                match self
                    .core
                    .message(Instant::now(), &target, body, &content_type)
                {
                    Ok(id) => {
                        st.messages.insert(id, reply);
                    }
                    Err(e) => {
                        let _ = reply.send(Err(e));
                    }
                }
            }
            Command::Register { reply } => {
                self.status.send_replace(PhoneStatus::Registering);
                match self.core.register(now) {
                    Ok(()) => st.register_waiters.push(reply),
                    Err(e) => {
                        let _ = reply.send(Err(e));
                    }
                }
            }
            Command::Calls { reply } => {
                let mut v: Vec<_> = st
                    .calls
                    .values()
                    .filter(|c| *c.state.borrow() != CallState::Ended)
                    .cloned()
                    .map(VoipCall::from_shared)
                    .collect();
                v.sort_by_key(VoipCall::id);
                let _ = reply.send(v);
            }
            Command::Stop { reply } => {
                self.status.send_replace(PhoneStatus::Deregistering);
                self.core.shutdown_calls(now);
                if self.core.registration().is_some_and(|r| r.is_registered()) {
                    self.core.deregister(now);
                } else {
                    st.deregistered = true;
                }
                st.stopping = Some((now + STOP_GRACE, reply));
            }
        }
    }

    async fn place_call(
        &mut self,
        st: &mut State,
        target: &str,
        payload_types: &[(u8, PayloadType)],
    ) -> Result<VoipCall> {
        self.prepare_target(st, target).await?;
        let stream = self.media.open_stream(self.bind_ip)?;
        let port = stream.local_addr().port();
        match self.core.call(Instant::now(), target, port, payload_types) {
            Ok(key) => {
                let shared = self.new_call(st, key, CallDirection::Outgoing, CallState::Dialing);
                let _ = shared.stream.set(stream);
                Ok(VoipCall::from_shared(shared))
            }
            Err(e) => {
                stream.stop();
                Err(e)
            }
        }
    }

    fn answer(&mut self, st: &mut State, now: Instant, call: CallKey) -> Result<()> {
        self.answer_with(st, now, call, false)
    }

    /// Opens the call's stream if needed, then answers (200) or sends early media (183).
    fn answer_with(
        &mut self,
        st: &mut State,
        now: Instant,
        call: CallKey,
        early: bool,
    ) -> Result<()> {
        let state = self.core.call_state(call).ok_or(Error::UnknownCall)?;
        if state != CallState::Ringing {
            return Err(Error::InvalidState {
                state,
                action: "answer",
            });
        }
        let shared = st.calls.get(&call).ok_or(Error::UnknownCall)?.clone();
        let stream = match shared.stream.get() {
            Some(s) => s.clone(),
            None => match self.media.open_stream(self.bind_ip) {
                Ok(s) => {
                    let _ = shared.stream.set(s.clone());
                    s
                }
                Err(e) => {
                    // No port: the caller gets 503 rather than a call without audio.
                    let _ = self
                        .core
                        .reject(now, call, SipStatus::SERVICE_UNAVAILABLE, "answer");
                    return Err(e.into());
                }
            },
        };
        let port = stream.local_addr().port();
        if early {
            self.core.early_media(now, call, port)
        } else {
            self.core.answer(now, call, port)
        }
    }

    fn spawn_handler<F>(&self, f: F)
    where
        F: FnOnce(Arc<dyn DynCallHandler>) -> crate::handler::BoxFuture<'static> + Send + 'static,
    {
        if let Some(h) = &self.handler {
            let h = h.clone();
            tokio::spawn(f(h));
        }
    }

    /// Hands every queued core event to the handles (before a command's reply, so the
    /// caller sees the state its command caused).
    fn drain_events(&mut self, st: &mut State) {
        while let Some(e) = self.core.poll_event() {
            self.on_event(st, e);
        }
    }

    fn on_event(&mut self, st: &mut State, e: CoreEvent) {
        match e {
            CoreEvent::IncomingCall { call, .. } => {
                let shared = self.new_call(st, call, CallDirection::Incoming, CallState::Ringing);
                let handle = VoipCall::from_shared(shared);
                if self.handler.is_some() {
                    self.spawn_handler(move |h| {
                        Box::pin(async move { h.ringing_dyn(handle).await })
                    });
                } else if self.incoming_calls.try_send(handle).is_err() {
                    let _ = self.core.deny(Instant::now(), call);
                }
            }
            CoreEvent::StateChanged {
                call,
                state,
                reason,
                message,
            } => {
                let Some(shared) = st.calls.get(&call).cloned() else {
                    return;
                };
                {
                    let mut info = shared.info();
                    if message.is_some() {
                        info.last_message.clone_from(&message);
                    }
                    if reason.is_some() {
                        info.end_reason.clone_from(&reason);
                    }
                }
                let handle = VoipCall::from_shared(shared.clone());
                match (state, &reason, message) {
                    (CallState::Progress, _, Some(m)) => {
                        self.spawn_handler(move |h| {
                            Box::pin(async move { h.progress_dyn(handle, m).await })
                        });
                    }
                    (CallState::Answered, _, Some(m))
                        if shared.direction == CallDirection::Outgoing =>
                    {
                        self.spawn_handler(move |h| {
                            Box::pin(async move { h.answered_dyn(handle, m).await })
                        });
                    }
                    (CallState::Ended, Some(EndReason::Busy { .. }), Some(m)) => {
                        self.spawn_handler(move |h| {
                            Box::pin(async move { h.busy_dyn(handle, m).await })
                        });
                    }
                    (CallState::Ended, Some(EndReason::RemoteHangup), _) => {
                        self.spawn_handler(move |h| {
                            Box::pin(async move { h.bye_dyn(handle).await })
                        });
                    }
                    _ => {}
                }
                if state == CallState::Ended {
                    if let Some(s) = shared.stream.get() {
                        s.stop();
                    }
                    if let Some(r) = st.transfers.remove(&call) {
                        let _ = r.send(Ok(matches!(reason, Some(EndReason::Transferred))));
                    }
                    if let Some(r) = st.reinvites.remove(&call) {
                        let _ = r.send(Err(Error::InvalidState {
                            state: CallState::Ended,
                            action: "re-INVITE",
                        }));
                    }
                    st.calls.remove(&call);
                }
                shared.set_state(state);
            }
            CoreEvent::MediaNegotiated { call, media } => {
                if let Some(shared) = st.calls.get(&call) {
                    if let Some(s) = shared.stream.get() {
                        s.apply(&media);
                    }
                    shared.info().media = Some(media);
                }
            }
            CoreEvent::Registration(ev) => match ev {
                RegistrationEvent::Registered { .. } => {
                    if st.stopping.is_none() {
                        self.status.send_replace(PhoneStatus::Registered);
                    }
                    for w in st.register_waiters.drain(..) {
                        let _ = w.send(Ok(()));
                    }
                }
                RegistrationEvent::AttemptFailed { .. } => {
                    if st.stopping.is_none() {
                        self.status.send_replace(PhoneStatus::Registering);
                    }
                }
                RegistrationEvent::Failed { reason } => {
                    self.status.send_replace(PhoneStatus::Failed);
                    for w in st.register_waiters.drain(..) {
                        let _ = w.send(Err(Error::InvalidAccountInfo(reason.to_string())));
                    }
                }
                RegistrationEvent::Deregistered { .. } => {
                    st.deregistered = true;
                }
            },
            CoreEvent::MessageReceived(m) => {
                if self.handler.is_some() {
                    let m2 = m.clone();
                    self.spawn_handler(move |h| Box::pin(async move { h.message_dyn(m2).await }));
                }
                let _ = self.incoming_messages.try_send(m);
            }
            CoreEvent::MessageResult { id, status } => {
                if let Some(r) = st.messages.remove(&id) {
                    let _ = r.send(Ok((200..300).contains(&status)));
                }
            }
            CoreEvent::TransferResult { call, success } => {
                if let Some(r) = st.transfers.remove(&call) {
                    let _ = r.send(Ok(success));
                }
            }
            CoreEvent::ReinviteResult { call, status } => {
                if let Some(r) = st.reinvites.remove(&call) {
                    let _ = r.send(match status {
                        200..=299 => Ok(()),
                        408 => Err(Error::Timeout("re-INVITE not answered")),
                        503 => Err(Error::Transport("re-INVITE could not be sent".into())),
                        status => Err(Error::Refused { status }),
                    });
                }
            }
            CoreEvent::DtmfReceived { call, digit } => {
                if let Some(shared) = st.calls.get(&call) {
                    shared.push_info_dtmf(digit);
                }
            }
            CoreEvent::TransferRequested { call, target } => {
                self.on_referred(st, call, &target);
            }
        }
    }

    /// The peer asked us to call `target` (REFER): place that call; the core reports
    /// its outcome to the peer.
    fn on_referred(&mut self, st: &mut State, from: CallKey, target: &str) {
        let now = Instant::now();
        if let Ok(uri) = self.core.target_uri(target)
            && let Ok(hop) = self.core.first_hop(&uri)
        {
            self.learn_route(st, hop.addr.ip());
        }
        let stream = match self.media.open_stream(self.bind_ip) {
            Ok(s) => s,
            Err(_) => {
                let _ = self.core.call_referred(now, from, "invalid:", 0);
                return;
            }
        };
        match self
            .core
            .call_referred(now, from, target, stream.local_addr().port())
        {
            Ok(key) => {
                let shared = self.new_call(st, key, CallDirection::Outgoing, CallState::Dialing);
                let _ = shared.stream.set(stream);
            }
            Err(_) => stream.stop(),
        }
    }
}

/// A placeholder request for a call the core no longer knows (cannot happen: calls are
/// created from core events while the core still holds them).
fn unreachable_message() -> sip_message::SipMessage {
    sip_message::SipMessage::parse(bytes::Bytes::from_static(
        b"OPTIONS sip:invalid SIP/2.0\r\nVia: SIP/2.0/UDP invalid;branch=z9hG4bK0\r\n\
          From: <sip:invalid>;tag=0\r\nTo: <sip:invalid>\r\nCall-ID: 0\r\nCSeq: 1 OPTIONS\r\n\
          Content-Length: 0\r\n\r\n",
    ))
    .expect("a valid static request")
}

/// The local address the OS would send from towards `peer` (no packet is sent).
fn local_ip_towards(peer: IpAddr) -> Option<IpAddr> {
    let any: SocketAddr = match peer {
        IpAddr::V4(_) => "0.0.0.0:0".parse().ok()?,
        IpAddr::V6(_) => "[::]:0".parse().ok()?,
    };
    let s = std::net::UdpSocket::bind(any).ok()?;
    s.connect(SocketAddr::new(peer, 9)).ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_unspecified()).then_some(ip)
}

/// Sends what the core produced; reports failures back. UDP datagrams go out at once;
/// TCP/TLS messages go through one task per destination (in order per destination), so a
/// peer whose connect hangs for `connect_timeout` never delays anyone else's messages.
async fn sender_task(
    transports: TransportSet,
    mut rx: mpsc::Receiver<Transmit>,
    errors: mpsc::UnboundedSender<TransactionKey>,
    layer: Option<Arc<dyn SipLayer>>,
    names: HashMap<SocketAddr, String>,
) {
    let names = Arc::new(names);
    let mut streams: HashMap<Target, mpsc::Sender<Transmit>> = HashMap::new();
    while let Some(mut t) = rx.recv().await {
        if let Some(l) = &layer {
            t.bytes = l.on_send(t.bytes);
        }
        if !t.target.is_reliable() {
            send_one(&transports, &names, &errors, t).await;
            continue;
        }
        if streams.len() > 1024 {
            streams.retain(|_, tx| !tx.is_closed());
        }
        let target = t.target;
        let tx = match streams.get(&target) {
            Some(tx) if !tx.is_closed() => tx.clone(),
            _ => {
                let (tx, mut per) = mpsc::channel::<Transmit>(256);
                let (transports, names, errors) =
                    (transports.clone(), names.clone(), errors.clone());
                tokio::spawn(async move {
                    // Ends after a minute without traffic to this destination.
                    while let Ok(Some(t)) =
                        tokio::time::timeout(Duration::from_secs(60), per.recv()).await
                    {
                        send_one(&transports, &names, &errors, t).await;
                    }
                });
                streams.insert(target, tx.clone());
                tx
            }
        };
        if let Err(mpsc::error::TrySendError::Full(t) | mpsc::error::TrySendError::Closed(t)) =
            tx.try_send(t)
            && let Some(k) = t.key
        {
            // A destination this far behind is as good as unreachable.
            let _ = errors.send(k);
        }
    }
}

async fn send_one(
    transports: &TransportSet,
    names: &HashMap<SocketAddr, String>,
    errors: &mpsc::UnboundedSender<TransactionKey>,
    t: Transmit,
) {
    let sent = match names.get(&t.target.addr) {
        Some(name) => {
            transports
                .send_to_named(t.target.transport, t.target.addr, name, t.bytes)
                .await
        }
        None => {
            transports
                .send_to(t.target.transport, t.target.addr, t.bytes)
                .await
        }
    };
    if let Err(e) = sent {
        tracing::debug!(target = %t.target.addr, error = %e, "SIP send failed");
        if let Some(k) = t.key {
            let _ = errors.send(k);
        }
    }
}
