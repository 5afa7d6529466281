//! SIP transports (UDP, TCP, TLS) and NAT host selection on tokio.
//!
//! Two levels of API over the same sockets:
//!
//! - **[`SipTransport`]**, for a sans-IO SIP core (transactions, dialogs): a queue of
//!   [`Inbound`] messages (parsed [`SipMessage`](sip_message::SipMessage), source address,
//!   transport, connection id) and [`send_to`](SipTransport::send_to) /
//!   [`send_on`](SipTransport::send_on) / [`reply`](SipTransport::reply), which reuse an open
//!   TCP/TLS connection to the peer or open one. [`TransportSet`] puts one transport per
//!   mode behind one queue, for a core that sends to `(address, transport)` targets.
//! - **[`VoipSocket`] / [`VoipConnection`]**, pyVoIP's `VoIPSocket`/`VoIPConnection`: the
//!   socket routes each message to its dialog or transaction (by top-Via branch and CSeq
//!   method, by Call-ID and tags) or, for a new dialog, to [`VoipSocket::accept`]; a
//!   connection sends, receives with a timeout, peeks and closes the same way over every
//!   transport. [`VoipSocket::get_database_dump`] shows the routing state as JSON.
//!
//! Around them: [`TransportMode`] (pyVoIP's string forms and socket kinds), [`Nat`] (which
//! host to advertise to which peer, pyVoIP's `NAT`), TLS configuration with rustls
//! ([`TlsClientConfig`]: system roots or a CA file, host-name check, both on by default;
//! [`TlsServerConfig`]: PEM chain and key), socket options ([`SocketOptions`]: reuse-address,
//! buffer sizes, IPv6-only) and the sans-IO [`StreamFramer`].
//!
//! # pyVoIP names
//!
//! | pyVoIP 2.0 | here |
//! |---|---|
//! | `TransportMode.UDP` / `.TCP` / `.TLS` | [`TransportMode::Udp`] / [`Tcp`](TransportMode::Tcp) / [`Tls`](TransportMode::Tls) |
//! | `TransportMode.value`, `.socket_type`, `.tls_mode` | [`TransportMode::as_str`], [`TransportMode::socket_kind`], [`TransportMode::is_tls`] |
//! | `NAT(bind_ip, network, hostname, remote_hostname)` | [`Nat::parse`] / [`Nat::new`] |
//! | `NAT.get_host`, `NAT.check_host` | [`Nat::get_host`], [`Nat::check_host`] |
//! | `NATError`, `AddressType` | [`NatError`], [`AddressType`] |
//! | `VoIPSocket(mode, bind_ip, bind_port, sip, cert_file, key_file, key_password)` | [`VoipSocket::bind`] with [`VoipSocketConfig`] ([`TlsServerConfig::from_pem_files`]) |
//! | `VoIPSocket.send`, `.get_database_dump(pretty)` | [`VoipSocket::send`], [`VoipSocket::get_database_dump`] |
//! | `SIPClient.handle_new_connection` callback | [`VoipSocket::accept`] |
//! | `VoIPConnection.send`, `.recv`, `.peek`/`.peak`, `.close` | [`VoipConnection::send`], [`recv`](VoipConnection::recv), [`peek`](VoipConnection::peek), [`close`](VoipConnection::close) |
//! | `set_tls_security(verify_mode)`, `TLS_VERIFY_MODE` | [`TlsClientConfig::set_tls_security`] with [`TlsVerifyMode`] |
//! | `TLS_CHECK_HOSTNAME` | [`TlsClientConfig::check_hostname`] |
//! | `ALLOW_TLS_FALLBACK` | [`TransportConfig::allow_tls_fallback`] |
//! | `SIP_STATE_DB_LOCATION` | none: state lives in bounded in-memory maps, and `recv` sleeps until a message arrives instead of polling SQLite; the dump stays for debugging |
//!
//! Differences: over TCP/TLS an open connection to the same peer is reused (pyVoIP opens a
//! new socket per `send`) and inbound connections work (pyVoIP's crash on `connect()` of an
//! accepted socket); `recv` returns the parsed message ([`SipMessage::as_bytes`](sip_message::SipMessage::as_bytes)
//! gives pyVoIP's bytes); sending a message that does not parse is an error rather than
//! silently nothing.
//!
//! # Robustness
//!
//! Every buffer, queue and table is bounded ([`TransportConfig`], [`VoipSocketConfig`]
//! document each limit and what happens when it is reached). A datagram or stream message
//! that does not parse is dropped and logged at debug level; a request among them whose
//! start line and top Via parse is answered `400 Bad Request` with the reason in a `Warning`
//! header (RFC 3261 §8.2), or `513 Message Too Large` when it is over the size limit. A
//! TCP/TLS peer that sends garbage, an over-long message, or
//! stalls mid-message is disconnected without affecting any other connection. `CRLFCRLF`
//! keep-alive pings are answered with `CRLF` (RFC 5626 §3.5.1).
//!
//! # Example: UDP on loopback
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), sip_transport::Error> {
//! use bytes::Bytes;
//! use sip_transport::{SipTransport, TransportConfig, TransportMode};
//!
//! let config = TransportConfig::new(TransportMode::Udp, "127.0.0.1:0".parse().unwrap());
//! let (server, mut incoming) = SipTransport::bind(config.clone()).await?;
//! let (client, mut replies) = SipTransport::bind(config).await?;
//!
//! let request = format!(
//!     "OPTIONS sip:{to} SIP/2.0\r\n\
//!      Via: SIP/2.0/UDP {from};branch=z9hG4bK42;rport\r\n\
//!      From: <sip:alice@{from}>;tag=a\r\nTo: <sip:{to}>\r\n\
//!      Call-ID: ping-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
//!     to = server.local_addr(),
//!     from = client.local_addr(),
//! );
//! client.send_to(server.local_addr(), Bytes::from(request)).await?;
//!
//! let got = incoming.recv().await.expect("a message");
//! assert_eq!(got.source, client.local_addr());
//! assert_eq!(got.message.call_id()?, "ping-1");
//!
//! let ok = got.message.response(sip_message::SipStatus::OK).to_tag("b").build()?;
//! server.reply(&got, ok.to_bytes()).await?;
//! let answer = replies.recv().await.expect("a reply");
//! assert_eq!(answer.message.status().map(|s| s.code()), Some(200));
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod bind;
mod error;
mod error_response;
mod framer;
mod mode;
mod nat;
mod tls;
mod transport;
mod transport_set;
mod voip_socket;

pub use bind::SocketOptions;
pub use error::{Error, Result};
pub use framer::{StreamEvent, StreamFramer};
pub use mode::{SocketKind, TransportMode, UnknownTransport};
pub use nat::{AddressType, Nat, NatError, resolve_host};
pub use tls::{RootSource, TlsClientConfig, TlsServerConfig, TlsVerifyMode};
pub use transport::{
    ConnectionId, ConnectionInfo, Inbound, Incoming, SipTransport, TransportConfig,
};
pub use transport_set::TransportSet;
pub use voip_socket::{
    DialogDump, MessageDump, StateDump, VoipConnection, VoipSocket, VoipSocketConfig,
};
