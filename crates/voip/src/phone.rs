//! [`VoipPhone`]: pyVoIP's `VoIPPhone` on tokio, and its [`PhoneStatus`].
//!
//! [`start`](VoipPhone::start) binds the SIP transport and the media engine, spawns the
//! driver task ([`crate::driver`]) and, when a server is configured, registers (failing
//! with [`Error::InvalidAccountInfo`] and [`PhoneStatus::Failed`] after the failure
//! threshold). Without a server the phone is peer to peer: it calls SIP URIs directly and
//! answers calls sent to its address. [`stop`](VoipPhone::stop) ends every call and
//! deregisters.
//!
//! Incoming calls go to the [`CallHandler`](crate::CallHandler) when one is configured;
//! otherwise they wait in [`incoming`](VoipPhone::incoming) (up to 256; beyond that, or
//! once nobody listens, callers get 486).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use rtp_core::PayloadType;
use sip_transport::{
    TlsClientConfig, TlsServerConfig, TlsVerifyMode, TransportConfig, TransportMode, TransportSet,
};
use tokio::sync::{mpsc, oneshot, watch};

use crate::call::VoipCall;
use crate::config::VoipPhoneParameter;
use crate::core::{CoreConfig, IncomingMessage, UaCore};
use crate::driver::{Command, Driver};
use crate::error::{Error, Result};
use crate::media::{MediaConfig, MediaEngine};

/// The phone's status (pyVoIP's `PhoneStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhoneStatus {
    /// Not started, or fully stopped.
    Inactive,
    /// Starting (registering), or re-registering after a failed attempt.
    Registering,
    /// Started and ready (registered when a server is configured).
    Registered,
    /// Stopping.
    Deregistering,
    /// Registration failed; the phone stopped.
    Failed,
}

/// Queued incoming calls when no handler is configured.
const INCOMING_QUEUE: usize = 256;

struct Running {
    commands: mpsc::Sender<Command>,
    task: tokio::task::JoinHandle<()>,
    local_addr: SocketAddr,
    incoming: Arc<tokio::sync::Mutex<mpsc::Receiver<VoipCall>>>,
    messages: Arc<tokio::sync::Mutex<mpsc::Receiver<IncomingMessage>>>,
}

/// A phone; see the [module documentation](self) and the crate example.
pub struct VoipPhone {
    params: VoipPhoneParameter,
    status: watch::Sender<PhoneStatus>,
    running: Mutex<Option<Running>>,
}

impl std::fmt::Debug for VoipPhone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VoipPhone")
            .field("user", &self.params.user)
            .field("status", &*self.status.borrow())
            .field("local_addr", &self.local_addr())
            .finish_non_exhaustive()
    }
}

impl Drop for VoipPhone {
    /// A phone dropped without [`stop`](VoipPhone::stop) still ends its calls, deregisters
    /// and closes its sockets, in the background (pyVoIP's #229: a forgotten phone kept
    /// its port).
    fn drop(&mut self) {
        if let Some(r) = self.lock().take() {
            let (tx, _rx) = oneshot::channel();
            let _ = r.commands.try_send(Command::Stop { reply: tx });
        }
    }
}

impl VoipPhone {
    /// A phone with these parameters (validated: [`Error::InvalidRange`] for a bad RTP
    /// range, as pyVoIP raises `InvalidRangeError`). Nothing is bound until
    /// [`start`](Self::start).
    ///
    /// # Errors
    /// See [`VoipPhoneParameter::validate`].
    pub fn new(params: VoipPhoneParameter) -> Result<Self> {
        params.validate()?;
        Ok(VoipPhone {
            params,
            status: watch::Sender::new(PhoneStatus::Inactive),
            running: Mutex::new(None),
        })
    }

    /// The parameters.
    pub fn params(&self) -> &VoipPhoneParameter {
        &self.params
    }

    /// The current status (pyVoIP's `get_status`).
    pub fn get_status(&self) -> PhoneStatus {
        *self.status.borrow()
    }

    /// A receiver of status changes.
    pub fn status_changes(&self) -> watch::Receiver<PhoneStatus> {
        self.status.subscribe()
    }

    /// The SIP address the phone listens on, once started.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.lock().as_ref().map(|r| r.local_addr)
    }

    /// The SIP URI other phones reach this one at directly (`sip:user@ip:port`, with
    /// `;transport=` for TCP/TLS), once started.
    pub fn sip_uri(&self) -> Option<String> {
        let addr = self.local_addr()?;
        let host = if addr.ip().is_unspecified() {
            "127.0.0.1".to_owned()
        } else {
            match addr {
                SocketAddr::V4(a) => a.ip().to_string(),
                SocketAddr::V6(a) => format!("[{}]", a.ip()),
            }
        };
        let transport = match self.params.transport_mode {
            TransportMode::Udp => "",
            TransportMode::Tcp => ";transport=tcp",
            TransportMode::Tls => ";transport=tls",
        };
        Some(format!(
            "sip:{}@{host}:{}{transport}",
            self.params.user,
            addr.port()
        ))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Running>> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn commands(&self) -> Result<mpsc::Sender<Command>> {
        self.lock()
            .as_ref()
            .map(|r| r.commands.clone())
            .ok_or(Error::NotRunning)
    }

    fn transport_config(&self) -> Result<TransportConfig> {
        let p = &self.params;
        let mut cfg = TransportConfig::new(p.transport_mode, p.bind_addr());
        if p.transport_mode == TransportMode::Tls {
            let mut client = TlsClientConfig::new();
            if let Some(ca) = &p.tls_ca_file {
                client = client.with_ca_file(ca.clone());
            }
            if !p.tls_verify {
                client.set_tls_security(TlsVerifyMode::None);
            }
            client = client.check_hostname(p.tls_check_hostname && p.tls_verify);
            cfg.tls_client = Some(client);
            if let (Some(cert), Some(key)) = (&p.cert_file, &p.key_file) {
                cfg.tls_server = Some(TlsServerConfig::from_pem_files(
                    cert,
                    Some(key.as_path()),
                    p.key_password.as_deref(),
                )?);
            }
            cfg.allow_tls_fallback = p.allow_tls_fallback;
        }
        Ok(cfg)
    }

    /// Starts the phone: binds SIP and the RTP range, and registers when a server is
    /// configured (pyVoIP's `start`). On failure the phone is stopped again.
    ///
    /// # Errors
    /// Already running; bind errors ([`Error::Transport`]); [`Error::InvalidRange`];
    /// [`Error::InvalidAccountInfo`] when registration fails (status
    /// [`PhoneStatus::Failed`]).
    pub async fn start(&self) -> Result<()> {
        if self.lock().is_some() {
            return Err(Error::Config("the phone is already started".into()));
        }
        self.status.send_replace(PhoneStatus::Registering);
        let started = self.spawn().await;
        let commands = match started {
            Ok(c) => c,
            Err(e) => {
                self.status.send_replace(PhoneStatus::Failed);
                return Err(e);
            }
        };
        if self.params.server.is_none() {
            self.status.send_replace(PhoneStatus::Registered);
            return Ok(());
        }
        let (tx, rx) = oneshot::channel();
        let r = match commands.send(Command::Register { reply: tx }).await {
            Ok(()) => rx.await.unwrap_or(Err(Error::NotRunning)),
            Err(_) => Err(Error::NotRunning),
        };
        if let Err(e) = r {
            self.shutdown().await;
            self.status.send_replace(PhoneStatus::Failed);
            return Err(e);
        }
        Ok(())
    }

    async fn spawn(&self) -> Result<mpsc::Sender<Command>> {
        let p = &self.params;
        let mut media_config = MediaConfig::new(p.rtp_port_low, p.rtp_port_high);
        media_config.realtime_pacing = p.realtime_media;
        let media = MediaEngine::new(media_config)?;
        let (transports, incoming) = TransportSet::bind([self.transport_config()?]).await?;
        let local_addr = transports
            .get(p.transport_mode)
            .map(|t| t.local_addr())
            .ok_or_else(|| Error::Transport("no transport bound".into()))?;
        let mut core = UaCore::new(CoreConfig::from_params(p, local_addr.port())?);
        let mut names = std::collections::HashMap::new();
        for host in p
            .server
            .iter()
            .cloned()
            .chain(p.outbound_proxy.iter().filter_map(|u| {
                sip_message::Uri::parse(u)
                    .ok()
                    .and_then(|u| u.as_sip().map(|s| s.host.to_string()))
            }))
        {
            if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
                continue;
            }
            let ips = sip_transport::resolve_host(&host).await?;
            if let Some(ip) = ips.first() {
                core.learn_host(&host, *ip);
                let default_port = if p.transport_mode == TransportMode::Tls {
                    5061
                } else {
                    5060
                };
                for port in [p.port, default_port] {
                    names.insert(SocketAddr::new(*ip, port), host.clone());
                }
            }
        }
        // Our own names (pyVoIP's hostname / remote_hostname) go into Via and Contact as
        // they are, but SDP needs an address: resolve them now (pyVoIP's NATError when a
        // name cannot be resolved), preferring the bind address's family.
        for host in p.hostname.iter().chain(p.remote_hostname.iter()) {
            let bare = host.trim_start_matches('[').trim_end_matches(']');
            if bare.parse::<std::net::IpAddr>().is_ok() {
                continue;
            }
            let ips = sip_transport::resolve_host(host).await?;
            let ip = ips
                .iter()
                .find(|ip| ip.is_ipv4() == p.bind_ip.is_ipv4())
                .or(ips.first());
            if let Some(ip) = ip {
                core.learn_host(host, *ip);
            }
        }
        let (commands, command_rx) = mpsc::channel(256);
        let (incoming_tx, incoming_rx) = mpsc::channel(INCOMING_QUEUE);
        let (messages_tx, messages_rx) = mpsc::channel(64);
        let driver = Driver {
            core,
            transports,
            incoming,
            commands: command_rx,
            command_tx: commands.clone(),
            media,
            bind_ip: p.bind_ip,
            handler: p.call_handler.clone(),
            sip_layer: p.sip_layer.clone(),
            incoming_calls: incoming_tx,
            incoming_messages: messages_tx,
            status: self.status.clone(),
            names,
        };
        let task = tokio::spawn(driver.run());
        *self.lock() = Some(Running {
            commands: commands.clone(),
            task,
            local_addr,
            incoming: Arc::new(tokio::sync::Mutex::new(incoming_rx)),
            messages: Arc::new(tokio::sync::Mutex::new(messages_rx)),
        });
        Ok(commands)
    }

    async fn shutdown(&self) {
        let running = self.lock().take();
        if let Some(r) = running {
            let (tx, rx) = oneshot::channel();
            if r.commands.send(Command::Stop { reply: tx }).await.is_ok() {
                let _ = rx.await;
            }
            let _ = r.task.await;
        }
    }

    /// Stops the phone: ends every call (BYE, CANCEL or 480), deregisters, closes the
    /// sockets (pyVoIP's `stop`). Stopping a stopped phone does nothing.
    pub async fn stop(&self) {
        if self.lock().is_some() {
            self.status.send_replace(PhoneStatus::Deregistering);
        }
        self.shutdown().await;
        if self.get_status() != PhoneStatus::Failed {
            self.status.send_replace(PhoneStatus::Inactive);
        }
    }

    /// Calls `target`: a number (dialled through the server) or a SIP URI (peer to peer
    /// or any domain). `payload_types` in order of preference; `None` offers PCMU, PCMA
    /// and telephone-event. PCMA-only works too (pyVoIP can only originate PCMU). The call
    /// is returned in [`CallState::Dialing`](crate::CallState::Dialing).
    ///
    /// # Errors
    /// Not running; an invalid target; [`Error::NoPortsAvailable`];
    /// [`Error::DynamicPayloadType`] for a payload type we cannot number.
    pub async fn call(
        &self,
        target: &str,
        payload_types: Option<&[PayloadType]>,
    ) -> Result<VoipCall> {
        let mut numbered = Vec::new();
        for pt in payload_types.unwrap_or(&[]) {
            let n = match (pt.static_number(), pt) {
                (Some(n), _) => n,
                (None, PayloadType::TelephoneEvent) => 101,
                (None, other) => return Err(Error::DynamicPayloadType(*other)),
            };
            numbered.push((n, *pt));
        }
        let commands = self.commands()?;
        let (tx, rx) = oneshot::channel();
        commands
            .send(Command::Call {
                target: target.to_owned(),
                payload_types: numbered,
                reply: tx,
            })
            .await
            .map_err(|_| Error::NotRunning)?;
        rx.await.map_err(|_| Error::NotRunning)?
    }

    /// Sends a MESSAGE with `body` of `content_type` (pyVoIP's `message`); `Ok(true)` when
    /// the peer answered 2xx.
    ///
    /// # Errors
    /// Not running; an invalid target.
    pub async fn message(&self, target: &str, body: &str, content_type: &str) -> Result<bool> {
        let commands = self.commands()?;
        let (tx, rx) = oneshot::channel();
        commands
            .send(Command::Message {
                target: target.to_owned(),
                body: bytes::Bytes::copy_from_slice(body.as_bytes()),
                content_type: content_type.to_owned(),
                reply: tx,
            })
            .await
            .map_err(|_| Error::NotRunning)?;
        rx.await.map_err(|_| Error::NotRunning)?
    }

    /// The next incoming call (when no call handler is configured); `None` once stopped.
    pub async fn incoming(&self) -> Option<VoipCall> {
        let rx = self.lock().as_ref().map(|r| r.incoming.clone())?;
        rx.lock().await.recv().await
    }

    /// The next MESSAGE received; `None` once stopped.
    pub async fn next_message(&self) -> Option<IncomingMessage> {
        let rx = self.lock().as_ref().map(|r| r.messages.clone())?;
        rx.lock().await.recv().await
    }

    /// The calls not yet ended (including calls placed for a REFER we received).
    pub async fn calls(&self) -> Vec<VoipCall> {
        let Ok(commands) = self.commands() else {
            return Vec::new();
        };
        let (tx, rx) = oneshot::channel();
        if commands.send(Command::Calls { reply: tx }).await.is_err() {
            return Vec::new();
        }
        rx.await.unwrap_or_default()
    }
}
