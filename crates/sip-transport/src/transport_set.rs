//! [`TransportSet`]: several transports (one per mode) behind one queue, for a SIP core that
//! sends to `(address, transport)` targets.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::{mpsc, watch};

use crate::error::{Error, Result};
use crate::mode::TransportMode;
use crate::transport::{ConnectionId, Inbound, Incoming, SipTransport, TransportConfig};

/// Up to one [`SipTransport`] per [`TransportMode`], with their received messages merged
/// into one [`Incoming`] queue.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), sip_transport::Error> {
/// use sip_transport::{TransportConfig, TransportMode, TransportSet};
/// let any = "127.0.0.1:0".parse().unwrap();
/// let (set, _incoming) = TransportSet::bind([
///     TransportConfig::new(TransportMode::Udp, any),
///     TransportConfig::new(TransportMode::Tcp, any),
/// ])
/// .await?;
/// assert!(set.get(TransportMode::Udp).is_some());
/// assert!(set.get(TransportMode::Tls).is_none());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct TransportSet {
    transports: Vec<SipTransport>,
    guard: Arc<watch::Sender<bool>>,
}

impl TransportSet {
    /// Binds each configuration; two with the same mode are an error
    /// ([`Error::DuplicateMode`]). The merged queue holds `incoming_capacity` of the first.
    pub async fn bind(
        configs: impl IntoIterator<Item = TransportConfig>,
    ) -> Result<(TransportSet, Incoming)> {
        let configs: Vec<TransportConfig> = configs.into_iter().collect();
        for (i, c) in configs.iter().enumerate() {
            if configs[..i].iter().any(|o| o.mode == c.mode) {
                return Err(Error::DuplicateMode(c.mode));
            }
        }
        let capacity = configs.first().map_or(1, |c| c.incoming_capacity.max(1));
        let (tx, rx) = mpsc::channel(capacity);
        let (guard, shutdown) = watch::channel(false);
        let mut transports = Vec::with_capacity(configs.len());
        for config in configs {
            let (t, mut incoming) = SipTransport::bind(config).await?;
            transports.push(t);
            let tx = tx.clone();
            tokio::spawn(async move {
                while let Some(m) = incoming.recv().await {
                    if tx.send(m).await.is_err() {
                        break;
                    }
                }
            });
        }
        Ok((
            TransportSet {
                transports,
                guard: Arc::new(guard),
            },
            Incoming::from_parts(rx, shutdown),
        ))
    }

    /// The transport of `mode`, if bound.
    pub fn get(&self, mode: TransportMode) -> Option<&SipTransport> {
        self.transports.iter().find(|t| t.mode() == mode)
    }

    /// Every bound transport.
    pub fn transports(&self) -> &[SipTransport] {
        &self.transports
    }

    fn require(&self, mode: TransportMode) -> Result<&SipTransport> {
        self.get(mode).ok_or(Error::Unsupported(mode))
    }

    /// [`SipTransport::send_to`] on the transport of `mode` ([`Error::Unsupported`] if none
    /// is bound). Over TCP/TLS a connection the peer opened to us is reused too, so a
    /// response sent to a request's source goes back over the request's connection.
    pub async fn send_to(
        &self,
        mode: TransportMode,
        target: SocketAddr,
        bytes: Bytes,
    ) -> Result<Option<ConnectionId>> {
        self.require(mode)?.send_to(target, bytes).await
    }

    /// [`SipTransport::send_to_named`] on the transport of `mode`.
    pub async fn send_to_named(
        &self,
        mode: TransportMode,
        target: SocketAddr,
        server_name: &str,
        bytes: Bytes,
    ) -> Result<Option<ConnectionId>> {
        self.require(mode)?
            .send_to_named(target, server_name, bytes)
            .await
    }

    /// [`SipTransport::reply`] on the transport the message came over.
    pub async fn reply(&self, to: &Inbound, bytes: Bytes) -> Result<Option<ConnectionId>> {
        // After a TLS fallback the message says TCP but came over the TLS transport's
        // connection: try the transport that holds the connection first.
        if let Some(id) = to.connection {
            for t in &self.transports {
                if t.connections()
                    .iter()
                    .any(|c| c.id == id && c.peer == to.source)
                {
                    return t.reply(to, bytes).await;
                }
            }
        }
        self.require(to.transport)?.reply(to, bytes).await
    }

    /// Closes every transport; the merged queue then ends.
    pub fn close(&self) {
        for t in &self.transports {
            t.close();
        }
        let _ = self.guard.send(true);
    }
}
