//! [`SipTransport`]: the low-level transport the SIP core drives.
//!
//! One transport binds one [`TransportMode`] on one address. It hands every routable
//! message it receives to an [`Incoming`] queue as an [`Inbound`] (message, source,
//! transport, connection id), and sends bytes with [`SipTransport::send_to`] (reusing or
//! opening a connection) or [`SipTransport::send_on`] (a given connection).
//!
//! Over TCP and TLS each connection is one tokio task that owns the stream: it frames the
//! byte stream by Content-Length ([`sip_message::message_length`]), answers `CRLFCRLF`
//! keep-alive pings with `CRLF` (RFC 5626 §3.5.1), writes queued messages, and closes the
//! connection when it is idle, when a message stalls half-received, when the peer sends
//! something that cannot be framed (garbage, a message over the size limit), or on
//! shutdown. A bad connection never affects another one.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use sip_message::{Framing, ParseLimits, SipMessage};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, sleep, timeout};
use tokio_rustls::{TlsAcceptor, TlsConnector};
use tracing::{debug, trace, warn};

use crate::bind::{SocketOptions, bind_tcp, bind_udp, connect_tcp};
use crate::error::{Error, Result};
use crate::error_response::error_response;
use crate::framer::{StreamEvent, StreamFramer};
use crate::mode::TransportMode;
use crate::tls::{TlsClientConfig, TlsServerConfig};

/// Settings of a [`SipTransport`]. Every limit has a default; every queue is bounded.
#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// The transport.
    pub mode: TransportMode,
    /// The address to bind (port 0 picks a free port). pyVoIP's default is `0.0.0.0:5060`.
    pub bind: SocketAddr,
    /// Socket options (reuse-address, buffer sizes, IPv6-only).
    pub socket: SocketOptions,
    /// Message size and header limits; a stream that exceeds them is closed, a datagram
    /// that exceeds them is dropped.
    pub limits: ParseLimits,
    /// Most open TCP/TLS connections (inbound and outbound together). When reached, new
    /// inbound connections are closed at once and new outbound ones fail with
    /// [`Error::TooManyConnections`]; open connections are never evicted. Default 1024.
    pub max_connections: usize,
    /// A connection with no traffic either way for this long is closed. Default 300 s.
    pub idle_timeout: Duration,
    /// A message must arrive completely within this time of its first byte, or the
    /// connection is closed (slow-loris protection). Default 32 s (64·T1).
    pub stall_timeout: Duration,
    /// Connecting (TCP connect plus TLS handshake) must finish within this time. Default 10 s.
    pub connect_timeout: Duration,
    /// Writing one message, or waiting for room in a connection's send queue, must finish
    /// within this time, or the send fails / the connection is closed. Default 10 s.
    pub write_timeout: Duration,
    /// Capacity of the [`Incoming`] queue. When full, UDP datagrams are dropped (the sender
    /// retransmits) and TCP/TLS connections stop reading (back-pressure). Default 1024.
    pub incoming_capacity: usize,
    /// Messages queued per connection for sending. Default 64.
    pub send_queue: usize,
    /// TLS client settings; `None` means [`TlsClientConfig::new`] (system roots, full checks).
    pub tls_client: Option<TlsClientConfig>,
    /// TLS server settings; without them a TLS transport only makes outgoing connections
    /// (peers reach it over those, RFC 5923 style) and does not listen.
    pub tls_server: Option<TlsServerConfig>,
    /// pyVoIP's `ALLOW_TLS_FALLBACK`: when a TLS handshake fails, retry the same address
    /// over plain TCP. Off by default; a warning is logged each time it happens.
    pub allow_tls_fallback: bool,
}

impl TransportConfig {
    /// Defaults for `mode` bound to `bind`.
    pub fn new(mode: TransportMode, bind: SocketAddr) -> Self {
        TransportConfig {
            mode,
            bind,
            socket: SocketOptions::default(),
            limits: ParseLimits::default(),
            max_connections: 1024,
            idle_timeout: Duration::from_secs(300),
            stall_timeout: Duration::from_secs(32),
            connect_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            incoming_capacity: 1024,
            send_queue: 64,
            tls_client: None,
            tls_server: None,
            allow_tls_fallback: false,
        }
    }
}

/// Identifies one TCP/TLS connection for the life of a [`SipTransport`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct ConnectionId(u64);

impl ConnectionId {
    /// The number (unique per transport, never reused).
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn#{}", self.0)
    }
}

/// A received message and where it came from.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// The message. Its start line, top Via, From, To, Call-ID and CSeq have been checked to
    /// parse, so routing on them cannot fail.
    pub message: SipMessage,
    /// The peer's address (for UDP the datagram's source; RFC 3581 responses go there).
    pub source: SocketAddr,
    /// The bound address it arrived on (for a wildcard bind, the wildcard address).
    pub local: SocketAddr,
    /// The transport it arrived over.
    pub transport: TransportMode,
    /// The TCP/TLS connection it arrived on; `None` for UDP.
    pub connection: Option<ConnectionId>,
}

/// The queue of received messages of a [`SipTransport`].
#[derive(Debug)]
pub struct Incoming {
    rx: mpsc::Receiver<Inbound>,
    shutdown: watch::Receiver<bool>,
    closed: bool,
}

impl Incoming {
    pub(crate) fn from_parts(rx: mpsc::Receiver<Inbound>, shutdown: watch::Receiver<bool>) -> Self {
        Incoming {
            rx,
            shutdown,
            closed: false,
        }
    }

    /// The next message; `None` once the transport is closed (messages queued before
    /// [`SipTransport::close`] are still returned first).
    pub async fn recv(&mut self) -> Option<Inbound> {
        if !self.closed {
            tokio::select! {
                biased;
                m = self.rx.recv() => return m,
                _ = self.shutdown.wait_for(|closed| *closed) => self.closed = true,
            }
        }
        self.rx.try_recv().ok()
    }

    /// The next message if one is queued.
    pub fn try_recv(&mut self) -> Option<Inbound> {
        self.rx.try_recv().ok()
    }
}

/// One open TCP/TLS connection, as listed by [`SipTransport::connections`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConnectionInfo {
    /// Its id.
    pub id: ConnectionId,
    /// The peer's address.
    pub peer: SocketAddr,
    /// TCP or TLS (TCP after a TLS fallback).
    pub transport: TransportMode,
    /// Whether the peer opened it.
    pub inbound: bool,
}

struct ConnEntry {
    info: ConnectionInfo,
    tx: mpsc::Sender<Bytes>,
}

#[derive(Default)]
struct Conns {
    by_id: HashMap<u64, ConnEntry>,
    by_peer: HashMap<(SocketAddr, TransportMode), u64>,
}

struct Shared {
    config: TransportConfig,
    local: SocketAddr,
    udp: Option<Arc<UdpSocket>>,
    /// `Ok(None)` for TCP; `Err` when TLS client settings could not be built.
    connector: std::result::Result<Option<TlsConnector>, String>,
    conns: Mutex<Conns>,
    /// One gate per peer being connected to.
    connecting: Mutex<HashMap<SocketAddr, Arc<tokio::sync::Mutex<()>>>>,
    /// Open plus opening connections (a TLS handshake in progress counts).
    active: AtomicUsize,
    next_id: AtomicU64,
    incoming: mpsc::Sender<Inbound>,
    shutdown: watch::Receiver<bool>,
}

/// A bound SIP transport (cheap to clone; all clones share the sockets).
///
/// Background tasks stop when [`close`](Self::close) is called or the last clone is dropped.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), sip_transport::Error> {
/// use sip_transport::{SipTransport, TransportConfig, TransportMode};
/// let cfg = |port| TransportConfig::new(TransportMode::Tcp, format!("127.0.0.1:{port}").parse().unwrap());
/// let (server, mut incoming) = SipTransport::bind(cfg(0)).await?;
/// let (client, _) = SipTransport::bind(cfg(0)).await?;
/// let options = "OPTIONS sip:127.0.0.1 SIP/2.0\r\n\
///     Via: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK1\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\n\
///     To: <sip:127.0.0.1>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
/// client.send_to(server.local_addr(), options.into()).await?;
/// let got = incoming.recv().await.unwrap();
/// assert_eq!(got.message.call_id()?, "x");
/// assert!(got.connection.is_some());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SipTransport {
    shared: Arc<Shared>,
    guard: Arc<watch::Sender<bool>>,
}

impl fmt::Debug for SipTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SipTransport")
            .field("mode", &self.shared.config.mode)
            .field("local", &self.shared.local)
            .field("connections", &self.shared.active.load(Ordering::Relaxed))
            .finish()
    }
}

const READ_CHUNK: usize = 16 * 1024;

/// An IPv4-mapped IPv6 address (a dual-stack socket's view of an IPv4 peer) as plain IPv4,
/// so one peer has one key whichever socket saw it.
fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

/// The form of `target` a socket bound to `local` can send to: IPv4 peers of an IPv6
/// (dual-stack) socket are addressed as IPv4-mapped IPv6.
fn for_socket(target: SocketAddr, local: SocketAddr) -> SocketAddr {
    match (target.ip(), local) {
        (IpAddr::V4(v4), SocketAddr::V6(_)) => {
            SocketAddr::new(IpAddr::V6(v4.to_ipv6_mapped()), target.port())
        }
        _ => target,
    }
}

impl SipTransport {
    /// Binds the socket (and, for TCP/TLS, starts listening) and spawns the receive tasks
    /// on the current tokio runtime.
    pub async fn bind(config: TransportConfig) -> Result<(SipTransport, Incoming)> {
        let mode = config.mode;
        let bind_err = |source| Error::Bind {
            mode,
            addr: config.bind,
            source,
        };
        let (tx, rx) = mpsc::channel(config.incoming_capacity.max(1));
        let (guard, shutdown) = watch::channel(false);
        let connector = match (&config.tls_client, mode.is_tls()) {
            (_, false) => Ok(None),
            // An explicit client configuration must work.
            (Some(client), true) => Ok(Some(TlsConnector::from(client.build()?))),
            // The default one needs the system roots; a TLS server can do without them,
            // so their absence only fails outgoing connections.
            (None, true) => match TlsClientConfig::new().build() {
                Ok(c) => Ok(Some(TlsConnector::from(c))),
                Err(e) => {
                    warn!(error = %e, "no default TLS client configuration: outgoing TLS connections will fail");
                    Err(e.to_string())
                }
            },
        };
        let acceptor = match (&config.tls_server, mode.is_tls()) {
            (Some(server), true) => Some(TlsAcceptor::from(server.build()?)),
            _ => None,
        };
        let mut udp = None;
        let mut listener = None;
        let local = match mode {
            TransportMode::Udp => {
                let s = Arc::new(bind_udp(config.bind, &config.socket).map_err(bind_err)?);
                let local = s.local_addr()?;
                udp = Some(s);
                local
            }
            TransportMode::Tcp | TransportMode::Tls => {
                if mode.is_tls() && acceptor.is_none() {
                    // Client-only TLS: no server certificate, nothing to listen with.
                    debug!("TLS transport without a server certificate: not listening");
                    SocketAddr::new(config.bind.ip(), 0)
                } else {
                    let l = bind_tcp(config.bind, &config.socket).map_err(bind_err)?;
                    let local = l.local_addr()?;
                    listener = Some(l);
                    local
                }
            }
        };
        let incoming = Incoming {
            rx,
            shutdown: shutdown.clone(),
            closed: false,
        };
        let shared = Arc::new(Shared {
            config,
            local,
            udp: udp.clone(),
            connector,
            conns: Mutex::new(Conns::default()),
            connecting: Mutex::new(HashMap::new()),
            active: AtomicUsize::new(0),
            next_id: AtomicU64::new(1),
            incoming: tx,
            shutdown,
        });
        if let Some(udp) = udp {
            tokio::spawn(udp_loop(shared.clone(), udp));
        }
        if let Some(l) = listener {
            tokio::spawn(accept_loop(shared.clone(), l, acceptor));
        }
        debug!(%mode, %local, "transport bound");
        Ok((
            SipTransport {
                shared,
                guard: Arc::new(guard),
            },
            incoming,
        ))
    }

    /// The bound address (with the port the OS picked). For a TLS transport without a
    /// server certificate the port is 0: it does not listen.
    pub fn local_addr(&self) -> SocketAddr {
        self.shared.local
    }

    /// The transport mode.
    pub fn mode(&self) -> TransportMode {
        self.shared.config.mode
    }

    /// The configuration it was bound with.
    pub fn config(&self) -> &TransportConfig {
        &self.shared.config
    }

    /// Sends `bytes` to `target`. Over UDP, one datagram. Over TCP/TLS, on the open
    /// connection to `target` if there is one, else on a new one (a TLS server certificate
    /// is then checked against `target`'s IP address; use
    /// [`send_to_named`](Self::send_to_named) for a host name). Returns the connection used.
    ///
    /// For streams, success means the message is queued on the connection.
    pub async fn send_to(&self, target: SocketAddr, bytes: Bytes) -> Result<Option<ConnectionId>> {
        self.send_inner(target, None, bytes).await
    }

    /// Like [`send_to`](Self::send_to), with the host name a TLS server certificate must
    /// name (and the SNI to send).
    pub async fn send_to_named(
        &self,
        target: SocketAddr,
        server_name: &str,
        bytes: Bytes,
    ) -> Result<Option<ConnectionId>> {
        self.send_inner(target, Some(server_name), bytes).await
    }

    async fn send_inner(
        &self,
        target: SocketAddr,
        name: Option<&str>,
        bytes: Bytes,
    ) -> Result<Option<ConnectionId>> {
        let s = &self.shared;
        if let Some(udp) = &s.udp {
            udp.send_to(&bytes, for_socket(target, s.local)).await?;
            return Ok(None);
        }
        // One retry: a connection found in the table may be closing right now.
        for attempt in 0..2 {
            let id = match s.lookup(target) {
                Some(id) => id,
                None => self.connect_once(target, name).await?,
            };
            match self.send_on(id, bytes.clone()).await {
                Err(Error::Closed) if attempt == 0 => continue,
                r => return r.map(|()| Some(id)),
            }
        }
        Err(Error::Closed)
    }

    /// Queues `bytes` on a connection. [`Error::Closed`] if it is gone,
    /// [`Error::Backpressure`] if its queue stayed full for `write_timeout`.
    pub async fn send_on(&self, id: ConnectionId, bytes: Bytes) -> Result<()> {
        let (tx, peer) = {
            let conns = self.shared.conns.lock().unwrap_or_else(|e| e.into_inner());
            let e = conns.by_id.get(&id.0).ok_or(Error::Closed)?;
            (e.tx.clone(), e.info.peer)
        };
        tx.send_timeout(bytes, self.shared.config.write_timeout)
            .await
            .map_err(|e| match e {
                mpsc::error::SendTimeoutError::Timeout(_) => Error::Backpressure(peer),
                mpsc::error::SendTimeoutError::Closed(_) => Error::Closed,
            })
    }

    /// Sends an RFC 5626 §3.5.1 `CRLFCRLF` keep-alive ping on a TCP/TLS connection. The
    /// peer's `CRLF` pong is skipped by the framer; a dead peer shows up as a write error
    /// and the connection closes.
    pub async fn send_keepalive(&self, id: ConnectionId) -> Result<()> {
        self.send_on(id, Bytes::from_static(b"\r\n\r\n")).await
    }

    /// Sends a response to a received message the way RFC 3261 §18.2.2 and RFC 3581 say:
    /// over TCP/TLS on the connection the request came on, or if that one is closed on a
    /// connection to its source; over UDP to the datagram's source address and port.
    pub async fn reply(&self, to: &Inbound, bytes: Bytes) -> Result<Option<ConnectionId>> {
        if let Some(id) = to.connection {
            match self.send_on(id, bytes.clone()).await {
                Err(Error::Closed) => {}
                r => return r.map(|()| Some(id)),
            }
        }
        self.send_to(to.source, bytes).await
    }

    /// Opens (or returns the open) connection to `target` without sending anything.
    pub async fn connection_to(
        &self,
        target: SocketAddr,
        server_name: Option<&str>,
    ) -> Result<ConnectionId> {
        if self.shared.udp.is_some() {
            return Err(Error::Unsupported(self.mode()));
        }
        match self.shared.lookup(target) {
            Some(id) => Ok(id),
            None => self.connect_once(target, server_name).await,
        }
    }

    /// Connects unless a concurrent caller already did: concurrent sends to a new peer
    /// share one connection instead of racing to open several.
    async fn connect_once(&self, target: SocketAddr, name: Option<&str>) -> Result<ConnectionId> {
        let target = canonical(target);
        let gate = {
            let mut c = self
                .shared
                .connecting
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            c.entry(target).or_default().clone()
        };
        let _held = gate.lock().await;
        if let Some(id) = self.shared.lookup(target) {
            return Ok(id);
        }
        let r = self.connect(target, name).await;
        self.shared
            .connecting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&target);
        r
    }

    /// The open TCP/TLS connections.
    pub fn connections(&self) -> Vec<ConnectionInfo> {
        let conns = self.shared.conns.lock().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<_> = conns.by_id.values().map(|e| e.info.clone()).collect();
        v.sort_by_key(|i| i.id);
        v
    }

    /// Closes one connection (queued messages are still written first).
    pub fn close_connection(&self, id: ConnectionId) {
        let mut conns = self.shared.conns.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = conns.by_id.remove(&id.0) {
            let key = (e.info.peer, self.shared.config.mode);
            if conns.by_peer.get(&key) == Some(&id.0) {
                conns.by_peer.remove(&key);
            }
        }
    }

    /// Stops every task: the listener, the UDP receiver and all connections. The
    /// [`Incoming`] queue then ends.
    pub fn close(&self) {
        let _ = self.guard.send(true);
    }

    async fn connect(&self, target: SocketAddr, name: Option<&str>) -> Result<ConnectionId> {
        let target = canonical(target);
        let s = &self.shared;
        let mode = s.config.mode;
        if let Err(e) = &s.connector {
            return Err(Error::TlsConfig(e.clone()));
        }
        let slot = s.reserve_slot()?;
        let connect_err = |reason: String| Error::Connect {
            addr: target,
            mode,
            reason,
        };
        let tcp = match timeout(
            s.config.connect_timeout,
            connect_tcp(target, &s.config.socket),
        )
        .await
        {
            Ok(Ok(t)) => t,
            Ok(Err(e)) => return Err(connect_err(e.to_string())),
            Err(_) => return Err(connect_err("timed out".into())),
        };
        let connector = match &s.connector {
            Ok(c) => c,
            Err(e) => return Err(Error::TlsConfig(e.clone())),
        };
        let Some(connector) = connector else {
            return Ok(spawn_connection(
                s,
                slot,
                tcp,
                target,
                TransportMode::Tcp,
                false,
            ));
        };
        let server_name = match name {
            Some(n) => rustls_pki_types::ServerName::try_from(n.to_owned())
                .map_err(|e| Error::TlsConfig(format!("invalid server name {n:?}: {e}")))?,
            None => rustls_pki_types::ServerName::IpAddress(target.ip().into()),
        };
        let handshake = timeout(
            s.config.connect_timeout,
            connector.connect(server_name, tcp),
        )
        .await;
        let err = match handshake {
            Ok(Ok(tls)) => {
                return Ok(spawn_connection(
                    s,
                    slot,
                    tls,
                    target,
                    TransportMode::Tls,
                    false,
                ));
            }
            Ok(Err(e)) => e,
            Err(_) => std::io::Error::new(std::io::ErrorKind::TimedOut, "TLS handshake timed out"),
        };
        if !s.config.allow_tls_fallback {
            return Err(Error::TlsHandshake {
                addr: target,
                source: err,
            });
        }
        warn!(%target, error = %err, "TLS handshake failed; falling back to unencrypted TCP (allow_tls_fallback is on)");
        let tcp = match timeout(
            s.config.connect_timeout,
            connect_tcp(target, &s.config.socket),
        )
        .await
        {
            Ok(Ok(t)) => t,
            Ok(Err(e)) => return Err(connect_err(e.to_string())),
            Err(_) => return Err(connect_err("timed out".into())),
        };
        Ok(spawn_connection(
            s,
            slot,
            tcp,
            target,
            TransportMode::Tcp,
            false,
        ))
    }
}

/// A reserved connection slot; released on drop unless handed to a connection task.
struct Slot(Arc<Shared>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Shared {
    fn lookup(&self, target: SocketAddr) -> Option<ConnectionId> {
        let target = canonical(target);
        let conns = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        conns
            .by_peer
            .get(&(target, self.config.mode))
            .filter(|id| conns.by_id.get(id).is_some_and(|e| !e.tx.is_closed()))
            .map(|&id| ConnectionId(id))
    }

    fn reserve_slot(self: &Arc<Self>) -> Result<Slot> {
        let max = self.config.max_connections;
        let prev = self.active.fetch_add(1, Ordering::AcqRel);
        let slot = Slot(self.clone());
        if prev >= max {
            return Err(Error::TooManyConnections(max));
        }
        Ok(slot)
    }

    /// Checks a received message and queues it, or answers/drops it.
    /// Returns an error response to send back, if any.
    fn accept_message(
        &self,
        raw: Bytes,
        framing: Framing,
    ) -> std::result::Result<SipMessage, Option<Bytes>> {
        let parsed = SipMessage::parse_with(raw.clone(), &self.config.limits, framing)
            .and_then(|m| routable(&m).map(|()| m));
        match parsed {
            Ok(m) => Ok(m),
            Err(e) => {
                // RFC 3261 §21.5.14: a request over the size limit gets 513.
                let (code, phrase) = match e {
                    sip_message::Error::TooLarge { .. } => (513, "Message Too Large"),
                    _ => (400, "Bad Request"),
                };
                let resp = error_response(&raw, code, phrase, Some(&e.to_string()));
                debug!(error = %e, answered = resp.is_some(), len = raw.len(), "dropping a message that does not parse");
                Err(resp)
            }
        }
    }

    fn inbound(
        &self,
        message: SipMessage,
        source: SocketAddr,
        local: SocketAddr,
        connection: Option<ConnectionId>,
        transport: TransportMode,
    ) -> Inbound {
        Inbound {
            message,
            source,
            local,
            transport,
            connection,
        }
    }
}

/// What routing needs: start line, top Via, From, To, Call-ID, CSeq; a request's CSeq
/// method must be its method (RFC 3261 §8.1.1.5).
fn routable(m: &SipMessage) -> sip_message::Result<()> {
    m.via()?;
    m.from()?;
    m.to()?;
    m.call_id()?;
    let cseq = m.cseq()?;
    if let Some(uri) = m.request_uri() {
        uri?;
    }
    if let Some(method) = m.method()
        && cseq.method != method
    {
        return Err(sip_message::Error::MethodMismatch { offset: 0 });
    }
    Ok(())
}

async fn udp_loop(shared: Arc<Shared>, udp: Arc<UdpSocket>) {
    let mut shutdown = shared.shutdown.clone();
    let mut buf = vec![0u8; 65_536];
    let local = shared.local;
    loop {
        let (n, src) = tokio::select! {
            r = udp.recv_from(&mut buf) => match r {
                Ok((n, src)) => (n, canonical(src)),
                Err(e) => {
                    // ICMP port-unreachable from an earlier send shows up here on some
                    // systems; it says nothing about this socket.
                    trace!(error = %e, "UDP receive error");
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let data = &buf[..n];
        if sip_message::keepalive_len(data) == n {
            trace!(%src, "UDP keep-alive");
            continue;
        }
        match shared.accept_message(Bytes::copy_from_slice(data), Framing::Datagram) {
            Ok(m) => {
                let inbound = shared.inbound(m, src, local, None, TransportMode::Udp);
                if let Err(mpsc::error::TrySendError::Full(_)) = shared.incoming.try_send(inbound) {
                    warn!(%src, "incoming queue full: dropping a UDP message (the sender retransmits)");
                }
            }
            Err(Some(resp)) => {
                let _ = udp.send_to(&resp, for_socket(src, local)).await;
            }
            Err(None) => {}
        }
    }
    debug!("UDP receiver stopped");
}

async fn accept_loop(shared: Arc<Shared>, listener: TcpListener, acceptor: Option<TlsAcceptor>) {
    let mut shutdown = shared.shutdown.clone();
    loop {
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok((tcp, peer)) => (tcp, canonical(peer)),
                Err(e) => {
                    // Usually EMFILE: wait instead of spinning.
                    warn!(error = %e, "accept failed");
                    sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let slot = match shared.reserve_slot() {
            Ok(s) => s,
            Err(e) => {
                warn!(%peer, "{e}: refusing connection");
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        match &acceptor {
            None => {
                spawn_connection(&shared, slot, tcp, peer, TransportMode::Tcp, true);
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                let shared = shared.clone();
                // Handshake on its own task so a slow client cannot hold up accepting.
                tokio::spawn(async move {
                    match timeout(shared.config.connect_timeout, acceptor.accept(tcp)).await {
                        Ok(Ok(tls)) => {
                            spawn_connection(&shared, slot, tls, peer, TransportMode::Tls, true);
                        }
                        Ok(Err(e)) => debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        }
    }
    debug!("listener stopped");
}

/// Registers a connection and spawns its task.
fn spawn_connection<S>(
    shared: &Arc<Shared>,
    slot: Slot,
    stream: S,
    peer: SocketAddr,
    transport: TransportMode,
    inbound: bool,
) -> ConnectionId
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    let (tx, rx) = mpsc::channel(shared.config.send_queue.max(1));
    {
        let mut conns = shared.conns.lock().unwrap_or_else(|e| e.into_inner());
        conns.by_id.insert(
            id,
            ConnEntry {
                info: ConnectionInfo {
                    id: ConnectionId(id),
                    peer,
                    transport,
                    inbound,
                },
                tx,
            },
        );
        // Keyed by the configured mode, so a TLS-fallback connection is reused too.
        conns.by_peer.insert((peer, shared.config.mode), id);
    }
    debug!(conn = id, %peer, %transport, inbound, "connection open");
    let shared = shared.clone();
    tokio::spawn(async move {
        let reason = run_connection(&shared, ConnectionId(id), peer, transport, stream, rx).await;
        debug!(conn = id, %peer, reason, "connection closed");
        let mut conns = shared.conns.lock().unwrap_or_else(|e| e.into_inner());
        conns.by_id.remove(&id);
        let key = (peer, shared.config.mode);
        if conns.by_peer.get(&key) == Some(&id) {
            conns.by_peer.remove(&key);
        }
        drop(conns);
        drop(slot);
    });
    ConnectionId(id)
}

async fn run_connection<S>(
    shared: &Shared,
    id: ConnectionId,
    peer: SocketAddr,
    transport: TransportMode,
    mut stream: S,
    mut rx: mpsc::Receiver<Bytes>,
) -> &'static str
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let cfg = &shared.config;
    let mut shutdown = shared.shutdown.clone();
    let local = shared.local;
    let mut framer = StreamFramer::new(cfg.limits);
    let mut chunk = vec![0u8; READ_CHUNK];
    let idle = sleep(cfg.idle_timeout);
    tokio::pin!(idle);
    let stall = sleep(cfg.stall_timeout);
    tokio::pin!(stall);
    let mut partial = false;
    let reason = loop {
        tokio::select! {
            r = stream.read(&mut chunk) => {
                let n = match r {
                    Ok(0) => break if partial { "peer closed mid-message" } else { "peer closed" },
                    Ok(n) => n,
                    Err(e) => {
                        debug!(%id, error = %e, "read failed");
                        break "read error";
                    }
                };
                idle.as_mut().reset(Instant::now() + cfg.idle_timeout);
                framer.push(&chunk[..n]);
                let mut close = None;
                loop {
                    match framer.next_event() {
                        Ok(None) => break,
                        Ok(Some(StreamEvent::Ping)) => {
                            trace!(%id, "keep-alive ping: sending pong");
                            if write(&mut stream, b"\r\n", cfg.write_timeout).await.is_err() {
                                close = Some("write failed");
                                break;
                            }
                        }
                        Err(e) => {
                            debug!(%id, %peer, error = %e, "unframeable stream");
                            close = Some("unframeable input");
                            break;
                        }
                        Ok(Some(StreamEvent::Message(raw))) => {
                            partial = false;
                            match shared.accept_message(raw, Framing::Stream) {
                                Ok(m) => {
                                    let inbound = shared.inbound(m, peer, local, Some(id), transport);
                                    // Back-pressure: a slow consumer slows this peer only.
                                    if shared.incoming.send(inbound).await.is_err() {
                                        trace!(%id, "nobody receives: message dropped");
                                    }
                                }
                                Err(Some(resp)) => {
                                    if write(&mut stream, &resp, cfg.write_timeout).await.is_err() {
                                        close = Some("write failed");
                                        break;
                                    }
                                }
                                Err(None) => {}
                            }
                        }
                    }
                }
                if let Some(r) = close {
                    break r;
                }
                // A partial message must complete in time.
                let now_partial = framer.has_partial();
                if now_partial && !partial {
                    stall.as_mut().reset(Instant::now() + cfg.stall_timeout);
                }
                partial = now_partial;
            }
            out = rx.recv() => {
                let Some(bytes) = out else { break "closed locally" };
                if write(&mut stream, &bytes, cfg.write_timeout).await.is_err() {
                    break "write failed";
                }
                idle.as_mut().reset(Instant::now() + cfg.idle_timeout);
            }
            () = &mut idle => break "idle",
            () = &mut stall, if partial => {
                debug!(%id, %peer, buffered = framer.buffered(), "message stalled");
                break "stalled mid-message";
            }
            _ = shutdown.changed() => break "shutdown",
        }
    };
    // Say goodbye properly (TLS close_notify, TCP FIN) but do not wait long.
    let _ = timeout(Duration::from_secs(1), stream.shutdown()).await;
    reason
}

async fn write<S: AsyncWrite + Unpin>(
    stream: &mut S,
    bytes: &[u8],
    limit: Duration,
) -> std::io::Result<()> {
    match timeout(limit, async {
        stream.write_all(bytes).await?;
        stream.flush().await
    })
    .await
    {
        Ok(r) => r,
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "write timed out",
        )),
    }
}
