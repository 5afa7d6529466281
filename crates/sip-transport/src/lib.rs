//! SIP transports (UDP, TCP, TLS) and NAT host selection on tokio.
#![forbid(unsafe_code)]

mod bind;
mod error;
mod error_response;
mod mode;
mod nat;
mod tls;
mod transport;
mod voip_socket;

pub use bind::SocketOptions;
pub use error::{Error, Result};
pub use mode::{SocketKind, TransportMode, UnknownTransport};
pub use nat::{AddressType, Nat, NatError, resolve_host};
pub use tls::{RootSource, TlsClientConfig, TlsServerConfig, TlsVerifyMode};
pub use transport::{
    ConnectionId, ConnectionInfo, Inbound, Incoming, SipTransport, TransportConfig,
};
pub use voip_socket::{
    DialogDump, MessageDump, StateDump, VoipConnection, VoipSocket, VoipSocketConfig,
};
