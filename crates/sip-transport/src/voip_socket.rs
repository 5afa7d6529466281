//! [`VoipSocket`] and [`VoipConnection`]: pyVoIP's routing API on top of [`SipTransport`].
//!
//! The socket receives every message and routes it:
//!
//! - a response to the dialog whose request had the same top-Via branch and CSeq method
//!   (the client transaction, RFC 3261 §17.1.3);
//! - a request to the dialog with its Call-ID and tags (RFC 3261 §12: our tag is the To tag
//!   of a request we receive and the From tag of a response); a missing tag on either side
//!   matches, and fills the tag in, as pyVoIP does while a dialog is being set up;
//! - a CANCEL or a non-2xx ACK to the dialog of the INVITE with the same branch (§9.2, §17.2.3);
//! - any other request (except a stray ACK) opens a new dialog, handed to
//!   [`VoipSocket::accept`].
//!
//! Unread messages wait in the dialog's bounded queue until [`VoipConnection::recv`].
//! pyVoIP keeps this state in SQLite (`SIP_STATE_DB_LOCATION`) and busy-polls it; here it is
//! an in-memory map and `recv` sleeps until a message arrives. The state dump stays:
//! [`VoipSocket::get_database_dump`].

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use sip_message::{Host, Method, SipMessage};
use tokio::sync::{Notify, mpsc};
use tokio::time::{Instant, timeout_at};
use tracing::{debug, warn};

use crate::error::{Error, Result};
use crate::error_response::error_response;
use crate::mode::TransportMode;
use crate::nat::{Nat, resolve_host};
use crate::transport::{
    ConnectionId, ConnectionInfo, Inbound, Incoming, SipTransport, TransportConfig,
};

/// Settings of a [`VoipSocket`].
#[derive(Debug, Clone)]
pub struct VoipSocketConfig {
    /// The transport underneath.
    pub transport: TransportConfig,
    /// NAT host selection (used by the layer above for Via/Contact; kept here as pyVoIP's
    /// socket keeps `sip.nat`).
    pub nat: Nat,
    /// Most open dialogs. A new incoming dialog over the limit gets `503 Service
    /// Unavailable`; [`VoipSocket::send`] fails with [`Error::TooManyDialogs`]. Default 4096.
    pub max_dialogs: usize,
    /// Unread messages kept per dialog; when full the oldest is dropped (with a warning).
    /// Default 64.
    pub max_unread: usize,
    /// New dialogs waiting for [`VoipSocket::accept`]; when full a new request gets `503`.
    /// Default 128.
    pub accept_queue: usize,
    /// Transactions (branch, method) remembered for routing; when full the oldest is
    /// forgotten. Default 16384.
    pub max_transactions: usize,
}

impl VoipSocketConfig {
    /// Defaults around a transport configuration; the NAT's bind address is the
    /// transport's.
    pub fn new(transport: TransportConfig) -> Self {
        let nat = Nat::new(transport.bind.ip(), Nat::default().network(), None, None);
        VoipSocketConfig {
            transport,
            nat,
            max_dialogs: 4096,
            max_unread: 64,
            accept_queue: 128,
            max_transactions: 16_384,
        }
    }
}

type TxKey = (String, Method);

struct Dialog {
    call_id: String,
    local_tag: Option<String>,
    remote_tag: Option<String>,
    /// Where responses go: the source of the last request received (RFC 3581 symmetric
    /// response routing).
    request_source: Option<SocketAddr>,
    /// The TCP/TLS connection last used either way.
    connection: Option<ConnectionId>,
    unread: VecDeque<SipMessage>,
    notify: Arc<Notify>,
    branches: Vec<TxKey>,
}

#[derive(Default)]
struct Table {
    next_id: u64,
    dialogs: HashMap<u64, Dialog>,
    by_call_id: HashMap<String, Vec<u64>>,
    by_branch: HashMap<TxKey, u64>,
    branch_order: VecDeque<TxKey>,
    shut: bool,
}

struct Limits {
    max_dialogs: usize,
    max_unread: usize,
    max_transactions: usize,
}

struct Router {
    table: Mutex<Table>,
    limits: Limits,
    transport: SipTransport,
}

enum Route {
    Delivered,
    New(u64),
    Drop(&'static str),
    Overloaded,
}

fn opt_eq(a: &Option<String>, b: Option<&str>) -> bool {
    a.as_deref() == b
}

/// A wildcard match: a missing tag on either side matches.
fn tag_compatible(a: &Option<String>, b: Option<&str>) -> bool {
    match (a.as_deref(), b) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    }
}

impl Table {
    fn remember_branch(&mut self, key: TxKey, id: u64, max: usize) {
        if self.by_branch.insert(key.clone(), id).is_none() {
            self.branch_order.push_back(key.clone());
            if let Some(d) = self.dialogs.get_mut(&id) {
                d.branches.push(key);
            }
            while self.by_branch.len() > max {
                let Some(old) = self.branch_order.pop_front() else {
                    break;
                };
                self.by_branch.remove(&old);
            }
            // Keys of closed dialogs stay in the order queue; drop them now and then so the
            // queue stays within twice the limit.
            if self.branch_order.len() > 2 * max.max(16) {
                let live = &self.by_branch;
                self.branch_order.retain(|k| live.contains_key(k));
            }
        }
    }

    fn find_dialog(
        &mut self,
        call_id: &str,
        local: Option<&str>,
        remote: Option<&str>,
    ) -> Option<u64> {
        let ids = self.by_call_id.get(call_id)?;
        let exact = ids.iter().copied().find(|id| {
            let d = &self.dialogs[id];
            opt_eq(&d.local_tag, local) && opt_eq(&d.remote_tag, remote)
        });
        let id = exact.or_else(|| {
            ids.iter().copied().find(|id| {
                let d = &self.dialogs[id];
                tag_compatible(&d.local_tag, local) && tag_compatible(&d.remote_tag, remote)
            })
        })?;
        let d = self.dialogs.get_mut(&id)?;
        if d.local_tag.is_none() {
            d.local_tag = local.map(str::to_owned);
        }
        if d.remote_tag.is_none() {
            d.remote_tag = remote.map(str::to_owned);
        }
        Some(id)
    }

    fn insert(&mut self, call_id: String, local: Option<String>, remote: Option<String>) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        self.by_call_id.entry(call_id.clone()).or_default().push(id);
        self.dialogs.insert(
            id,
            Dialog {
                call_id,
                local_tag: local,
                remote_tag: remote,
                request_source: None,
                connection: None,
                unread: VecDeque::new(),
                notify: Arc::new(Notify::new()),
                branches: Vec::new(),
            },
        );
        id
    }

    fn remove(&mut self, id: u64) {
        let Some(d) = self.dialogs.remove(&id) else {
            return;
        };
        if let Some(ids) = self.by_call_id.get_mut(&d.call_id) {
            ids.retain(|&x| x != id);
            if ids.is_empty() {
                self.by_call_id.remove(&d.call_id);
            }
        }
        for key in &d.branches {
            if self.by_branch.get(key) == Some(&id) {
                self.by_branch.remove(key);
            }
        }
        // branch_order keeps stale keys; they are skipped when popped (remove is a no-op).
        d.notify.notify_waiters();
    }
}

impl Router {
    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn route(&self, inb: &Inbound) -> Route {
        let m = &inb.message;
        let (Ok(call_id), Ok(cseq), Ok(via)) = (m.call_id(), m.cseq(), m.via()) else {
            return Route::Drop("unroutable");
        };
        let branch = via.branch().map(str::to_owned);
        let method = m.method();
        let (local, remote) = if method.is_some() {
            (m.to_tag(), m.from_tag())
        } else {
            (m.from_tag(), m.to_tag())
        };
        let mut t = self.lock();
        let mut target = None;
        if method.is_none() {
            // A response: the client transaction first.
            if let Some(b) = &branch {
                target = t.by_branch.get(&(b.clone(), cseq.method.clone())).copied();
            }
            if let Some(id) = target {
                // Learn the peer's tag from the first response that has one.
                if let (Some(d), Some(r)) = (t.dialogs.get_mut(&id), remote)
                    && d.remote_tag.is_none()
                {
                    d.remote_tag = Some(r.to_owned());
                }
            }
        }
        if target.is_none() {
            target = t.find_dialog(call_id, local, remote);
        }
        if target.is_none()
            && matches!(method, Some(Method::Cancel | Method::Ack))
            && let Some(b) = &branch
        {
            target = t.by_branch.get(&(b.clone(), Method::Invite)).copied();
        }
        match (target, &method) {
            (Some(id), _) => {
                if let (Some(mth), Some(b)) = (&method, &branch)
                    && *mth != Method::Ack
                {
                    t.remember_branch((b.clone(), mth.clone()), id, self.limits.max_transactions);
                }
                deliver(&mut t, id, inb, self.limits.max_unread);
                return Route::Delivered;
            }
            (None, None) => return Route::Drop("response matches no transaction or dialog"),
            (None, Some(Method::Ack)) => return Route::Drop("ACK matches no dialog"),
            (None, Some(_)) => {}
        }
        if t.shut {
            return Route::Drop("shutting down");
        }
        if t.dialogs.len() >= self.limits.max_dialogs {
            return Route::Overloaded;
        }
        let id = t.insert(
            call_id.to_owned(),
            local.map(str::to_owned),
            remote.map(str::to_owned),
        );
        if let (Some(mth), Some(b)) = (method, branch) {
            t.remember_branch((b, mth), id, self.limits.max_transactions);
        }
        deliver(&mut t, id, inb, self.limits.max_unread);
        Route::New(id)
    }

    fn shutdown(&self) {
        let mut t = self.lock();
        t.shut = true;
        for d in t.dialogs.values() {
            d.notify.notify_waiters();
        }
    }
}

/// Queues a message on a dialog (dropping the oldest unread one when full).
fn deliver(t: &mut Table, id: u64, inb: &Inbound, max_unread: usize) {
    let Some(d) = t.dialogs.get_mut(&id) else {
        return;
    };
    if inb.connection.is_some() {
        d.connection = inb.connection;
    }
    if inb.message.is_request() {
        d.request_source = Some(inb.source);
    }
    if d.unread.len() >= max_unread.max(1) {
        warn!(call_id = %d.call_id, "dialog queue full: dropping its oldest unread message");
        d.unread.pop_front();
    }
    d.unread.push_back(inb.message.clone());
    d.notify.notify_waiters();
}

/// pyVoIP's `VoIPSocket`: binds, receives and routes every message, hands new dialogs to
/// [`accept`](Self::accept) and opens new ones with [`send`](Self::send).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), sip_transport::Error> {
/// use std::time::Duration;
/// use sip_transport::{TransportConfig, TransportMode, VoipSocket, VoipSocketConfig};
/// let bind = |m| VoipSocketConfig::new(TransportConfig::new(m, "127.0.0.1:0".parse().unwrap()));
/// let bob = VoipSocket::bind(bind(TransportMode::Udp)).await?;
/// let alice = VoipSocket::bind(bind(TransportMode::Udp)).await?;
/// let port = bob.local_addr().port();
/// let invite = format!(
///     "INVITE sip:bob@127.0.0.1:{port} SIP/2.0\r\n\
///      Via: SIP/2.0/UDP {};branch=z9hG4bKa1\r\n\
///      From: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:bob@127.0.0.1>\r\n\
///      Call-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
///     alice.local_addr()
/// );
/// let call = alice.send(&invite).await?;
/// let incoming = bob.accept().await.unwrap();
/// let request = incoming.recv(Some(Duration::from_secs(5))).await?;
/// let busy = request.response(sip_message::SipStatus::BUSY_HERE).to_tag("b1").build()?;
/// incoming.send(busy.as_bytes()).await?;
/// let answer = call.recv(Some(Duration::from_secs(5))).await?;
/// assert_eq!(answer.status().map(|s| s.code()), Some(486));
/// # Ok(()) }
/// ```
pub struct VoipSocket {
    router: Arc<Router>,
    accept_rx: tokio::sync::Mutex<mpsc::Receiver<VoipConnection>>,
    nat: Nat,
}

impl fmt::Debug for VoipSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VoipSocket")
            .field("transport", &self.router.transport)
            .field("dialogs", &self.router.lock().dialogs.len())
            .finish()
    }
}

impl VoipSocket {
    /// Binds the transport and starts routing.
    pub async fn bind(config: VoipSocketConfig) -> Result<VoipSocket> {
        let (transport, incoming) = SipTransport::bind(config.transport).await?;
        let router = Arc::new(Router {
            table: Mutex::new(Table::default()),
            limits: Limits {
                max_dialogs: config.max_dialogs,
                max_unread: config.max_unread,
                max_transactions: config.max_transactions.max(1),
            },
            transport,
        });
        let (tx, rx) = mpsc::channel(config.accept_queue.max(1));
        tokio::spawn(route_loop(router.clone(), incoming, tx));
        Ok(VoipSocket {
            router,
            accept_rx: tokio::sync::Mutex::new(rx),
            nat: config.nat,
        })
    }

    /// The transport underneath (for the low-level API).
    pub fn transport(&self) -> &SipTransport {
        &self.router.transport
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.router.transport.local_addr()
    }

    /// The transport mode.
    pub fn mode(&self) -> TransportMode {
        self.router.transport.mode()
    }

    /// The NAT host selection configured for this socket.
    pub fn nat(&self) -> &Nat {
        &self.nat
    }

    /// The next new dialog (an incoming request that belongs to no known dialog or
    /// transaction); `None` after [`close`](Self::close).
    pub async fn accept(&self) -> Option<VoipConnection> {
        self.accept_rx.lock().await.recv().await
    }

    /// pyVoIP's `VoIPSocket.send`: starts a new dialog with a request, sends it (to the
    /// Request-URI's host and port; over TCP/TLS on an open connection to it or a new one)
    /// and returns the connection that receives the dialog's messages.
    pub async fn send(&self, data: impl AsRef<[u8]>) -> Result<VoipConnection> {
        let bytes = Bytes::copy_from_slice(data.as_ref());
        let msg = SipMessage::parse(bytes).map_err(|e| Error::InvalidMessage(e.to_string()))?;
        if !msg.is_request() {
            return Err(Error::InvalidMessage(
                "a new dialog starts with a request".into(),
            ));
        }
        let call_id = msg
            .call_id()
            .map_err(|e| Error::InvalidMessage(e.to_string()))?;
        let id = {
            let mut t = self.router.lock();
            if t.shut {
                return Err(Error::Closed);
            }
            if t.dialogs.len() >= self.router.limits.max_dialogs {
                return Err(Error::TooManyDialogs(self.router.limits.max_dialogs));
            }
            t.insert(
                call_id.to_owned(),
                msg.from_tag().map(str::to_owned),
                msg.to_tag().map(str::to_owned),
            )
        };
        let conn = VoipConnection::new(self.router.clone(), id, msg.clone());
        conn.send_message(msg).await?;
        Ok(conn)
    }

    /// The routing state: dialogs (pyVoIP's `listening` table), their unread messages
    /// (`msgs`) and the open connections.
    pub fn state(&self) -> StateDump {
        let t = self.router.lock();
        let mut dialogs = Vec::with_capacity(t.dialogs.len());
        let mut messages = Vec::new();
        let mut ids: Vec<_> = t.dialogs.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            let d = &t.dialogs[&id];
            dialogs.push(DialogDump {
                id,
                call_id: d.call_id.clone(),
                local_tag: d.local_tag.clone(),
                remote_tag: d.remote_tag.clone(),
                connection: d.connection,
                unread: d.unread.len(),
            });
            for m in &d.unread {
                messages.push(MessageDump {
                    dialog: id,
                    call_id: d.call_id.clone(),
                    local_tag: d.local_tag.clone(),
                    remote_tag: d.remote_tag.clone(),
                    msg: String::from_utf8_lossy(m.as_bytes()).into_owned(),
                });
            }
        }
        let transactions = t.by_branch.len();
        drop(t);
        StateDump {
            transport: self.mode(),
            local: self.local_addr(),
            dialogs,
            messages,
            transactions,
            connections: self.router.transport.connections(),
        }
    }

    /// pyVoIP's `get_database_dump`: [`state`](Self::state) as JSON, indented when `pretty`.
    pub fn get_database_dump(&self, pretty: bool) -> String {
        let state = self.state();
        let r = if pretty {
            serde_json::to_string_pretty(&state)
        } else {
            serde_json::to_string(&state)
        };
        // Serializing plain strings and numbers cannot fail.
        r.unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// Stops receiving; pending `recv` and `accept` calls end with [`Error::Closed`]/`None`.
    pub fn close(&self) {
        self.router.transport.close();
        self.router.shutdown();
    }
}

impl Drop for VoipSocket {
    fn drop(&mut self) {
        self.close();
    }
}

/// The routing state of a [`VoipSocket`] (see [`VoipSocket::get_database_dump`]).
#[derive(Debug, Clone, serde::Serialize)]
pub struct StateDump {
    /// The transport.
    pub transport: TransportMode,
    /// The bound address.
    pub local: SocketAddr,
    /// Open dialogs.
    pub dialogs: Vec<DialogDump>,
    /// Unread messages, oldest first per dialog.
    pub messages: Vec<MessageDump>,
    /// Remembered transactions (branch, method).
    pub transactions: usize,
    /// Open TCP/TLS connections.
    pub connections: Vec<ConnectionInfo>,
}

/// One dialog in a [`StateDump`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct DialogDump {
    /// Its id.
    pub id: u64,
    /// Call-ID.
    pub call_id: String,
    /// Our tag.
    pub local_tag: Option<String>,
    /// The peer's tag.
    pub remote_tag: Option<String>,
    /// The TCP/TLS connection it last used.
    pub connection: Option<ConnectionId>,
    /// Unread messages.
    pub unread: usize,
}

/// One unread message in a [`StateDump`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct MessageDump {
    /// The dialog it waits in.
    pub dialog: u64,
    /// Call-ID.
    pub call_id: String,
    /// Our tag.
    pub local_tag: Option<String>,
    /// The peer's tag.
    pub remote_tag: Option<String>,
    /// The message text.
    pub msg: String,
}

async fn route_loop(
    router: Arc<Router>,
    mut incoming: Incoming,
    accept: mpsc::Sender<VoipConnection>,
) {
    while let Some(inb) = incoming.recv().await {
        match router.route(&inb) {
            Route::Delivered => {}
            Route::Drop(why) => debug!(source = %inb.source, why, "message dropped"),
            Route::New(id) => {
                let conn = VoipConnection::new(router.clone(), id, inb.message.clone());
                if let Err(e) = accept.try_send(conn) {
                    // Dropping the connection removes the dialog again.
                    drop(e);
                    warn!("accept queue full: answering 503");
                    reply_error(
                        &router,
                        &inb,
                        503,
                        "Service Unavailable",
                        "accept queue full",
                    )
                    .await;
                }
            }
            Route::Overloaded => {
                warn!("dialog limit reached: answering 503");
                reply_error(
                    &router,
                    &inb,
                    503,
                    "Service Unavailable",
                    "dialog limit reached",
                )
                .await;
            }
        }
    }
    router.shutdown();
}

async fn reply_error(router: &Router, inb: &Inbound, code: u16, phrase: &str, why: &str) {
    if let Some(resp) = error_response(inb.message.as_bytes(), code, phrase, Some(why)) {
        let _ = router.transport.reply(inb, resp).await;
    }
}

/// pyVoIP's `VoIPConnection`: one dialog's messages, the same way for every transport.
///
/// Over UDP the socket routes the dialog's datagrams here; over TCP/TLS the messages of
/// its connection are routed the same way, and [`send`](Self::send) writes on that
/// connection. Dropping or [`close`](Self::close)-ing it forgets the dialog (an open
/// TCP/TLS connection stays open for reuse until it is idle).
pub struct VoipConnection {
    router: Arc<Router>,
    id: u64,
    notify: Arc<Notify>,
    message: SipMessage,
}

impl fmt::Debug for VoipConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VoipConnection")
            .field("dialog", &self.id)
            .field("call_id", &self.call_id())
            .finish()
    }
}

impl VoipConnection {
    fn new(router: Arc<Router>, id: u64, message: SipMessage) -> Self {
        let notify = router
            .lock()
            .dialogs
            .get(&id)
            .map(|d| d.notify.clone())
            .unwrap_or_default();
        VoipConnection {
            router,
            id,
            notify,
            message,
        }
    }

    /// The message that started the dialog (pyVoIP's `VoIPConnection.message`).
    pub fn message(&self) -> &SipMessage {
        &self.message
    }

    /// The dialog's Call-ID.
    pub fn call_id(&self) -> String {
        self.message.call_id().unwrap_or_default().to_owned()
    }

    /// Our tag, once known.
    pub fn local_tag(&self) -> Option<String> {
        self.router.lock().dialogs.get(&self.id)?.local_tag.clone()
    }

    /// The peer's tag, once known.
    pub fn remote_tag(&self) -> Option<String> {
        self.router.lock().dialogs.get(&self.id)?.remote_tag.clone()
    }

    /// The TCP/TLS connection the dialog last used.
    pub fn connection(&self) -> Option<ConnectionId> {
        self.router.lock().dialogs.get(&self.id)?.connection
    }

    /// Sends a request or response of this dialog (text or bytes, as pyVoIP's `send`).
    ///
    /// Over TCP/TLS it goes on the dialog's connection while that is open. Otherwise a
    /// request goes to its Request-URI's host and port, a response to the source of the
    /// last request received (RFC 3581) or else to its top Via's `received`/`rport` or
    /// sent-by address. Sending a request registers its branch, so its responses come back
    /// here.
    pub async fn send(&self, data: impl AsRef<[u8]>) -> Result<()> {
        let bytes = Bytes::copy_from_slice(data.as_ref());
        let msg = SipMessage::parse(bytes).map_err(|e| Error::InvalidMessage(e.to_string()))?;
        self.send_message(msg).await
    }

    async fn send_message(&self, msg: SipMessage) -> Result<()> {
        let transport = &self.router.transport;
        let (connection, request_source) = {
            let mut t = self.router.lock();
            let max_tx = self.router.limits.max_transactions;
            let d = t.dialogs.get_mut(&self.id).ok_or(Error::Closed)?;
            let branch = msg.via().ok().and_then(|v| v.branch().map(str::to_owned));
            let ours = if msg.is_request() {
                msg.from_tag()
            } else {
                msg.to_tag()
            };
            if d.local_tag.is_none() {
                d.local_tag = ours.map(str::to_owned);
            }
            let r = (d.connection, d.request_source);
            if let (Some(m), Some(b)) = (msg.method(), branch)
                && m != Method::Ack
            {
                t.remember_branch((b, m), self.id, max_tx);
            }
            r
        };
        let bytes = msg.to_bytes();
        if let Some(id) = connection.filter(|_| transport.mode().is_reliable()) {
            match transport.send_on(id, bytes.clone()).await {
                Err(Error::Closed) => {
                    debug!(conn = %id, "dialog connection closed; opening another")
                }
                r => return r,
            }
        }
        let (target, name) = if msg.is_request() {
            request_target(&msg, transport).await?
        } else if let Some(src) = request_source {
            (src, None)
        } else {
            via_target(&msg, transport).await?
        };
        let used = match &name {
            Some(n) if transport.mode().is_tls() => {
                transport.send_to_named(target, n, bytes).await?
            }
            _ => transport.send_to(target, bytes).await?,
        };
        if used.is_some()
            && let Some(d) = self.router.lock().dialogs.get_mut(&self.id)
        {
            d.connection = used;
        }
        Ok(())
    }

    /// The next message of the dialog. `timeout` `None` waits forever (pyVoIP's
    /// `timeout=0`); [`Error::Timeout`] when it passes, [`Error::Closed`] when the socket
    /// closes.
    pub async fn recv(&self, timeout: Option<Duration>) -> Result<SipMessage> {
        self.next(timeout, true).await
    }

    /// Like [`recv`](Self::recv) but leaves the message queued (pyVoIP's `peek`).
    pub async fn peek(&self, timeout: Option<Duration>) -> Result<SipMessage> {
        self.next(timeout, false).await
    }

    async fn next(&self, timeout: Option<Duration>, take: bool) -> Result<SipMessage> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut t = self.router.lock();
                let shut = t.shut;
                let d = t.dialogs.get_mut(&self.id).ok_or(Error::Closed)?;
                let m = if take {
                    d.unread.pop_front()
                } else {
                    d.unread.front().cloned()
                };
                if let Some(m) = m {
                    return Ok(m);
                }
                if shut {
                    return Err(Error::Closed);
                }
            }
            match deadline {
                Some(d) => timeout_at(d, notified).await.map_err(|_| Error::Timeout)?,
                None => notified.await,
            }
        }
    }

    /// Forgets the dialog (pyVoIP's `close`).
    pub fn close(self) {}
}

impl Drop for VoipConnection {
    fn drop(&mut self) {
        self.router.lock().remove(self.id);
    }
}

fn pick_ip(ips: &[IpAddr], local: SocketAddr) -> Option<IpAddr> {
    ips.iter()
        .copied()
        .find(|ip| ip.is_ipv4() == local.is_ipv4())
        .or_else(|| ips.first().copied())
}

async fn host_addr(
    host: &Host<'_>,
    port: u16,
    transport: &SipTransport,
) -> Result<(SocketAddr, Option<String>)> {
    match host {
        Host::Ipv4(a) => Ok((SocketAddr::new(IpAddr::V4(*a), port), None)),
        Host::Ipv6(a) => Ok((SocketAddr::new(IpAddr::V6(*a), port), None)),
        Host::Domain(d) => {
            let ips = resolve_host(d).await?;
            let ip = pick_ip(&ips, transport.local_addr()).ok_or_else(|| Error::Resolve {
                host: d.to_string(),
                reason: "no address".into(),
            })?;
            Ok((SocketAddr::new(ip, port), Some(d.to_string())))
        }
    }
}

/// Where a request goes: its Request-URI's host and port (pyVoIP's `destination`).
async fn request_target(
    msg: &SipMessage,
    transport: &SipTransport,
) -> Result<(SocketAddr, Option<String>)> {
    let uri = msg
        .request_uri()
        .ok_or_else(|| Error::InvalidMessage("not a request".into()))?
        .map_err(|e| Error::InvalidMessage(e.to_string()))?;
    let sip = uri
        .as_sip()
        .ok_or_else(|| Error::InvalidMessage(format!("cannot route a {} URI", uri.scheme())))?;
    let default = if sip.secure {
        5061
    } else {
        transport.mode().default_port()
    };
    host_addr(&sip.host, sip.port.unwrap_or(default), transport).await
}

/// Where a response goes without a known request source: the top Via's `received` (or
/// sent-by host) and `rport` (or sent-by port), RFC 3261 §18.2.2 and RFC 3581.
async fn via_target(
    msg: &SipMessage,
    transport: &SipTransport,
) -> Result<(SocketAddr, Option<String>)> {
    let via = msg
        .via()
        .map_err(|e| Error::InvalidMessage(e.to_string()))?;
    let port = via
        .rport()
        .flatten()
        .or(via.port)
        .unwrap_or(transport.mode().default_port());
    match via.received() {
        Some(ip) => Ok((SocketAddr::new(ip, port), None)),
        None => host_addr(&via.host, port, transport).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_table_stays_bounded() {
        let mut t = Table::default();
        let max = 32;
        for round in 0..50 {
            let id = t.insert(format!("c{round}"), Some("a".into()), None);
            for i in 0..10 {
                t.remember_branch((format!("z9hG4bK{round}-{i}"), Method::Invite), id, max);
            }
            assert!(t.by_branch.len() <= max);
            assert!(t.branch_order.len() <= 2 * max + 1);
            if round % 2 == 0 {
                t.remove(id);
            }
        }
        // Removing a dialog forgets its call id and branches.
        let ids: Vec<u64> = t.dialogs.keys().copied().collect();
        for id in ids {
            t.remove(id);
        }
        assert!(t.by_call_id.is_empty() && t.by_branch.is_empty() && t.dialogs.is_empty());
    }

    #[test]
    fn tags_match_exactly_then_as_wildcards() {
        let mut t = Table::default();
        let a = t.insert("c".into(), Some("l1".into()), None);
        // The first response with a remote tag completes the dialog.
        assert_eq!(t.find_dialog("c", Some("l1"), Some("r1")), Some(a));
        assert_eq!(t.dialogs[&a].remote_tag.as_deref(), Some("r1"));
        // A second dialog of the same call (a fork) with another remote tag.
        let b = t.insert("c".into(), Some("l1".into()), Some("r2".into()));
        assert_eq!(t.find_dialog("c", Some("l1"), Some("r2")), Some(b));
        assert_eq!(t.find_dialog("c", Some("l1"), Some("r1")), Some(a));
        assert_eq!(t.find_dialog("c", Some("other"), Some("r1")), None);
        assert_eq!(t.find_dialog("nope", Some("l1"), Some("r1")), None);
    }
}
