//! [`VoipPhoneParameter`]: every setting of a phone, with pyVoIP 2.0's parameters, globals
//! and defaults, and a validating builder.
//!
//! | pyVoIP 2.0 | here | default |
//! |---|---|---|
//! | `server`, `port` | [`server`](VoipPhoneParameter::server), [`port`](VoipPhoneParameter::port) | none (peer to peer), 5060 |
//! | `user` | [`user`](VoipPhoneParameter::user) | |
//! | `credentials_manager` | [`credentials_manager`](VoipPhoneParameter::credentials_manager) | empty |
//! | `bind_ip`, `bind_port` | [`bind_ip`](VoipPhoneParameter::bind_ip), [`bind_port`](VoipPhoneParameter::bind_port) | `0.0.0.0`, 5060 |
//! | `bind_network`, `hostname`, `remote_hostname` | same names | `0.0.0.0/0`, bind IP, none |
//! | `transport_mode` | [`transport_mode`](VoipPhoneParameter::transport_mode) | UDP |
//! | `cert_file`, `key_file`, `key_password` | same names | none |
//! | `rtp_port_low`, `rtp_port_high` | same names | 10000, 20000 |
//! | `call_class` | [`call_handler`](VoipPhoneParameter::call_handler) | none: incoming calls wait in [`VoipPhone::incoming`](crate::VoipPhone::incoming) |
//! | `sip_class` | [`sip_layer`](VoipPhoneParameter::sip_layer) | none |
//! | `ALLOW_BASIC_AUTH`, `ALLOW_MD5_AUTH` | [`auth_policy`](VoipPhoneParameter::auth_policy) | Basic refused, MD5 allowed |
//! | `REGISTER_FAILURE_THRESHOLD` | [`register_failure_threshold`](VoipPhoneParameter::register_failure_threshold) | 3 |
//! | `TLS_VERIFY_MODE`, `TLS_CHECK_HOSTNAME` | [`tls_verify`](VoipPhoneParameter::tls_verify), [`tls_check_hostname`](VoipPhoneParameter::tls_check_hostname) | on, on |
//! | `ALLOW_TLS_FALLBACK` | [`allow_tls_fallback`](VoipPhoneParameter::allow_tls_fallback) | off |
//!
//! Beyond pyVoIP: RFC 3261 timers T1/T2/T4, the REGISTER expiry (300 s), an outbound
//! proxy, a CA file for TLS, the User-Agent, a display name, and real-time scheduling of
//! the RTP pacing thread.
//!
//! ```
//! use voip::VoipPhoneParameter;
//! let params = VoipPhoneParameter::builder("alice")
//!     .server("127.0.0.1", 5060)
//!     .bind("127.0.0.1:5062".parse()?)
//!     .rtp_ports(30000, 30100)
//!     .build()?;
//! assert_eq!(params.register_expires, 300);
//!
//! // pyVoIP's InvalidRangeError.
//! let bad = VoipPhoneParameter::builder("alice").rtp_ports(20000, 10000).build();
//! assert!(matches!(bad, Err(voip::Error::InvalidRange { low: 20000, high: 10000 })));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use credentials::{AuthPolicy, CredentialsManager};
use ipnet::IpNet;
use sip_message::Uri;
use sip_transport::{Nat, TransportMode};

use crate::error::{Error, Result};
use crate::handler::{CallHandler, DynCallHandler, SipLayer};
use crate::timer::TimerConfig;

/// The settings of a [`VoipPhone`](crate::VoipPhone) (pyVoIP's `VoIPPhoneParameter` plus its
/// globals). Build one with [`VoipPhoneParameter::builder`] (validated) or
/// [`VoipPhoneParameter::new`] (pyVoIP's positional form).
#[derive(Clone)]
#[non_exhaustive]
pub struct VoipPhoneParameter {
    /// The PBX / registrar host (name or IP). `None`: no server, calls go straight to SIP
    /// URIs (peer to peer) and nothing registers.
    pub server: Option<String>,
    /// The server's port (default 5060).
    pub port: u16,
    /// The user part of our URI (may differ from the authentication user name).
    pub user: String,
    /// Passwords for registrars and proxies.
    pub credentials_manager: CredentialsManager,
    /// The address SIP and RTP bind to (default `0.0.0.0`).
    pub bind_ip: IpAddr,
    /// The SIP port (default 5060; 0 picks a free port).
    pub bind_port: u16,
    /// Peers inside this network are given [`hostname`](Self::hostname), others
    /// [`remote_hostname`](Self::remote_hostname) (default `0.0.0.0/0`: everyone is local).
    pub bind_network: IpNet,
    /// The host advertised to peers inside `bind_network`, in Via, Contact and the SDP
    /// `c=`/`o=` lines (default: the bind IP, or when that is a wildcard the address the
    /// OS routes to the peer from; never `0.0.0.0`). A name goes into Via and Contact as
    /// it is; SDP carries the address it resolves to when the phone starts (unresolvable:
    /// [`Error::Nat`] from [`start`](crate::VoipPhone::start)).
    pub hostname: Option<String>,
    /// The host advertised to peers outside `bind_network` (usually the NAT's public
    /// address or name), in Via, Contact and SDP like [`hostname`](Self::hostname);
    /// without one, calls and requests to such peers fail with [`Error::Nat`] (pyVoIP's
    /// `NATError`).
    pub remote_hostname: Option<String>,
    /// Follow the address the registrar saw us at (default on): when the Via `received`
    /// / `rport` of a REGISTER's 2xx differ from our Contact, register again with a
    /// Contact of that public address (and remove the old binding), as pjsua's contact
    /// rewriting does. Only over UDP, and only when no NAT setting was given
    /// ([`hostname`](Self::hostname), [`remote_hostname`](Self::remote_hostname), a
    /// [`bind_network`](Self::bind_network) other than `0.0.0.0/0`): those say which host
    /// to advertise, and they win. After a rewrite, requests and responses sent to the
    /// registrar's (or outbound proxy's) address carry the public Contact too; SDP keeps
    /// the local media address (RTP through a NAT needs the far end to latch).
    pub nat_contact_rewrite: bool,
    /// UDP (default), TCP or TLS.
    pub transport_mode: TransportMode,
    /// TLS certificate chain (PEM) for accepting TLS connections.
    pub cert_file: Option<PathBuf>,
    /// TLS private key (PEM).
    pub key_file: Option<PathBuf>,
    /// pyVoIP's `key_password`: ignored for an unencrypted key; an encrypted key file is
    /// refused when the phone starts (decrypt it first).
    pub key_password: Option<String>,
    /// CA certificates (PEM) trusted for outgoing TLS instead of the system roots.
    pub tls_ca_file: Option<PathBuf>,
    /// Lowest RTP port (default 10000).
    pub rtp_port_low: u16,
    /// Highest RTP port (default 20000).
    pub rtp_port_high: u16,
    /// Ask for real-time scheduling of the RTP pacing thread (default on; best effort,
    /// see [`MediaConfig::realtime_pacing`](crate::media::MediaConfig::realtime_pacing)).
    pub realtime_media: bool,
    /// What runs when calls ring, are answered, end... (pyVoIP's `call_class`).
    pub call_handler: Option<Arc<dyn DynCallHandler>>,
    /// A hook on every SIP message in and out (pyVoIP's `sip_class`).
    pub sip_layer: Option<Arc<dyn SipLayer>>,
    /// Which challenges may be answered (pyVoIP's `ALLOW_BASIC_AUTH` = false,
    /// `ALLOW_MD5_AUTH` = true).
    pub auth_policy: AuthPolicy,
    /// Failed registrations before the phone gives up (pyVoIP's
    /// `REGISTER_FAILURE_THRESHOLD`, default 3).
    pub register_failure_threshold: u32,
    /// Verify TLS certificates (pyVoIP's `TLS_VERIFY_MODE`, default on).
    pub tls_verify: bool,
    /// Check the TLS host name (pyVoIP's `TLS_CHECK_HOSTNAME`, default on).
    pub tls_check_hostname: bool,
    /// Fall back from TLS to TCP when the handshake fails (pyVoIP's `ALLOW_TLS_FALLBACK`,
    /// default off).
    pub allow_tls_fallback: bool,
    /// RFC 3261 T1/T2/T4 (500 ms, 4 s, 5 s).
    pub timers: TimerConfig,
    /// Requested registration lifetime in seconds (default 300).
    pub register_expires: u32,
    /// Wait before retrying a failed registration (default 5 s, doubled per further
    /// consecutive failure up to 5 min).
    pub register_retry_interval: Duration,
    /// Send every out-of-dialog request here (a SIP URI, e.g. `sip:proxy.example.com;lr`).
    pub outbound_proxy: Option<String>,
    /// `User-Agent` header.
    pub user_agent: String,
    /// Display name in From.
    pub display_name: Option<String>,
}

impl std::fmt::Debug for VoipPhoneParameter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VoipPhoneParameter")
            .field("server", &self.server)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("bind_ip", &self.bind_ip)
            .field("bind_port", &self.bind_port)
            .field("bind_network", &self.bind_network)
            .field("hostname", &self.hostname)
            .field("remote_hostname", &self.remote_hostname)
            .field("nat_contact_rewrite", &self.nat_contact_rewrite)
            .field("transport_mode", &self.transport_mode)
            .field("rtp_port_low", &self.rtp_port_low)
            .field("rtp_port_high", &self.rtp_port_high)
            .field("realtime_media", &self.realtime_media)
            .field("call_handler", &self.call_handler.is_some())
            .field("sip_layer", &self.sip_layer.is_some())
            .field("auth_policy", &self.auth_policy)
            .field(
                "register_failure_threshold",
                &self.register_failure_threshold,
            )
            .field("timers", &self.timers)
            .field("register_expires", &self.register_expires)
            .field("outbound_proxy", &self.outbound_proxy)
            .finish_non_exhaustive()
    }
}

impl VoipPhoneParameter {
    /// pyVoIP's positional constructor: `VoIPPhoneParameter(server, port, user,
    /// credentials_manager)` with every other setting at its default. Not validated; see
    /// [`validate`](Self::validate).
    pub fn new(
        server: impl Into<String>,
        port: u16,
        user: impl Into<String>,
        credentials_manager: CredentialsManager,
    ) -> Self {
        let mut p = Self::defaults(user.into());
        p.server = Some(server.into());
        p.port = port;
        p.credentials_manager = credentials_manager;
        p
    }

    /// A builder for `user` with pyVoIP's defaults and no server.
    pub fn builder(user: impl Into<String>) -> VoipPhoneParameterBuilder {
        VoipPhoneParameterBuilder {
            params: Self::defaults(user.into()),
        }
    }

    fn defaults(user: String) -> Self {
        VoipPhoneParameter {
            server: None,
            port: 5060,
            user,
            credentials_manager: CredentialsManager::new(),
            bind_ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            bind_port: 5060,
            bind_network: IpNet::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0)
                .unwrap_or_else(|_| IpNet::from(IpAddr::V4(Ipv4Addr::UNSPECIFIED))),
            hostname: None,
            remote_hostname: None,
            nat_contact_rewrite: true,
            transport_mode: TransportMode::Udp,
            cert_file: None,
            key_file: None,
            key_password: None,
            tls_ca_file: None,
            rtp_port_low: 10000,
            rtp_port_high: 20000,
            realtime_media: true,
            call_handler: None,
            sip_layer: None,
            auth_policy: AuthPolicy::PYVOIP,
            register_failure_threshold: 3,
            tls_verify: true,
            tls_check_hostname: true,
            allow_tls_fallback: false,
            timers: TimerConfig::default(),
            register_expires: 300,
            register_retry_interval: Duration::from_secs(5),
            outbound_proxy: None,
            user_agent: concat!("voip-rs/", env!("CARGO_PKG_VERSION")).to_owned(),
            display_name: None,
        }
    }

    /// Checks every setting: the RTP range ([`Error::InvalidRange`]), the user and host
    /// names, the outbound proxy URI, the TLS files.
    ///
    /// # Errors
    /// The first problem found.
    pub fn validate(&self) -> Result<()> {
        let (low, high) = (self.rtp_port_low, self.rtp_port_high);
        if low > high || (low % 2 == 1 && low == high) || high == 0 {
            return Err(Error::InvalidRange { low, high });
        }
        if self.user.is_empty()
            || !self
                .user
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.!~*'()&=+$,;?/".contains(&b))
        {
            return Err(Error::Config(format!(
                "user `{}` must be a non-empty SIP user part",
                self.user
            )));
        }
        if let Some(s) = &self.server
            && (s.is_empty() || s.contains(['<', '>', ' ', '@']))
        {
            return Err(Error::Config(format!("server `{s}` is not a host")));
        }
        if let Some(p) = &self.outbound_proxy {
            let uri = Uri::parse(p).map_err(|e| Error::Config(format!("outbound proxy: {e}")))?;
            if uri.as_sip().is_none() {
                return Err(Error::Config(format!(
                    "outbound proxy `{p}` is not a SIP URI"
                )));
            }
        }
        if self.cert_file.is_some() != self.key_file.is_some() {
            return Err(Error::Config(
                "cert_file and key_file must be given together".into(),
            ));
        }
        if self.register_expires == 0 {
            return Err(Error::Config("register_expires must be above 0".into()));
        }
        if self.timers.t1.is_zero() || self.timers.t2 < self.timers.t1 {
            return Err(Error::Config("timers need 0 < T1 <= T2".into()));
        }
        Ok(())
    }

    /// The NAT host selector (pyVoIP's `NAT(bind_ip, bind_network, hostname,
    /// remote_hostname)`).
    pub fn nat(&self) -> Nat {
        Nat::new(
            self.bind_ip,
            self.bind_network,
            self.hostname.clone(),
            self.remote_hostname.clone(),
        )
    }

    /// The SIP bind address.
    pub fn bind_addr(&self) -> SocketAddr {
        SocketAddr::new(self.bind_ip, self.bind_port)
    }
}

/// Builds a validated [`VoipPhoneParameter`]; see [`VoipPhoneParameter::builder`].
#[derive(Debug, Clone)]
pub struct VoipPhoneParameterBuilder {
    params: VoipPhoneParameter,
}

impl VoipPhoneParameterBuilder {
    /// Registers at `server:port`; without it the phone works peer to peer.
    pub fn server(mut self, server: impl Into<String>, port: u16) -> Self {
        self.params.server = Some(server.into());
        self.params.port = port;
        self
    }

    /// The credentials used to answer challenges.
    pub fn credentials(mut self, cm: CredentialsManager) -> Self {
        self.params.credentials_manager = cm;
        self
    }

    /// Adds one password for any server and realm (pyVoIP's `cm.add(user, password)`).
    ///
    /// # Panics
    /// Never: a fresh store has room.
    pub fn password(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        // A store holds many entries; a second call replaces the same key.
        let _ =
            self.params
                .credentials_manager
                .add(username.into(), password.into(), None, None, None);
        self
    }

    /// SIP bind address and port (`bind_ip`, `bind_port`). Binding an IPv6 address while
    /// `bind_network` is still the default `0.0.0.0/0` makes it `::/0`: every peer of the
    /// address family is local, as the default means for IPv4.
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.params.bind_ip = addr.ip();
        self.params.bind_port = addr.port();
        let v4_any = IpNet::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0).ok();
        if addr.is_ipv6()
            && Some(self.params.bind_network) == v4_any
            && let Ok(v6_any) = IpNet::new(IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED), 0)
        {
            self.params.bind_network = v6_any;
        }
        self
    }

    /// `bind_network`.
    pub fn bind_network(mut self, net: IpNet) -> Self {
        self.params.bind_network = net;
        self
    }

    /// `hostname` advertised inside `bind_network`.
    pub fn hostname(mut self, host: impl Into<String>) -> Self {
        self.params.hostname = Some(host.into());
        self
    }

    /// `remote_hostname` advertised outside `bind_network`.
    pub fn remote_hostname(mut self, host: impl Into<String>) -> Self {
        self.params.remote_hostname = Some(host.into());
        self
    }

    /// Whether to re-register with the public address the registrar reports
    /// ([`VoipPhoneParameter::nat_contact_rewrite`], default on).
    pub fn nat_contact_rewrite(mut self, on: bool) -> Self {
        self.params.nat_contact_rewrite = on;
        self
    }

    /// UDP, TCP or TLS.
    pub fn transport(mut self, mode: TransportMode) -> Self {
        self.params.transport_mode = mode;
        self
    }

    /// TLS certificate chain and key (PEM files) for accepting TLS.
    pub fn tls_identity(
        mut self,
        cert_file: impl Into<PathBuf>,
        key_file: impl Into<PathBuf>,
    ) -> Self {
        self.params.cert_file = Some(cert_file.into());
        self.params.key_file = Some(key_file.into());
        self
    }

    /// Trust these CA certificates (PEM) for outgoing TLS.
    pub fn tls_ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.params.tls_ca_file = Some(path.into());
        self
    }

    /// pyVoIP's `set_tls_security`: verify certificates and host names, or neither.
    pub fn tls_verify(mut self, verify: bool) -> Self {
        self.params.tls_verify = verify;
        self.params.tls_check_hostname = verify;
        self
    }

    /// pyVoIP's `ALLOW_TLS_FALLBACK`.
    pub fn allow_tls_fallback(mut self, allow: bool) -> Self {
        self.params.allow_tls_fallback = allow;
        self
    }

    /// RTP port range.
    pub fn rtp_ports(mut self, low: u16, high: u16) -> Self {
        self.params.rtp_port_low = low;
        self.params.rtp_port_high = high;
        self
    }

    /// Real-time scheduling of the RTP pacing thread (default on, best effort).
    pub fn realtime_media(mut self, on: bool) -> Self {
        self.params.realtime_media = on;
        self
    }

    /// The call handler (pyVoIP's `call_class`).
    pub fn call_handler(mut self, handler: impl CallHandler) -> Self {
        self.params.call_handler = Some(Arc::new(handler));
        self
    }

    /// A hook on every SIP message (pyVoIP's `sip_class`).
    pub fn sip_layer(mut self, layer: impl SipLayer) -> Self {
        self.params.sip_layer = Some(Arc::new(layer));
        self
    }

    /// pyVoIP's `ALLOW_BASIC_AUTH` / `ALLOW_MD5_AUTH`.
    pub fn auth_policy(mut self, policy: AuthPolicy) -> Self {
        self.params.auth_policy = policy;
        self
    }

    /// pyVoIP's `REGISTER_FAILURE_THRESHOLD`.
    pub fn register_failure_threshold(mut self, n: u32) -> Self {
        self.params.register_failure_threshold = n;
        self
    }

    /// T1/T2/T4.
    pub fn timers(mut self, timers: TimerConfig) -> Self {
        self.params.timers = timers;
        self
    }

    /// REGISTER expiry in seconds.
    pub fn register_expires(mut self, secs: u32) -> Self {
        self.params.register_expires = secs;
        self
    }

    /// Wait before retrying a failed registration.
    pub fn register_retry_interval(mut self, wait: Duration) -> Self {
        self.params.register_retry_interval = wait;
        self
    }

    /// An outbound proxy URI.
    pub fn outbound_proxy(mut self, uri: impl Into<String>) -> Self {
        self.params.outbound_proxy = Some(uri.into());
        self
    }

    /// `User-Agent` header.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.params.user_agent = ua.into();
        self
    }

    /// Display name in From.
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.params.display_name = Some(name.into());
        self
    }

    /// Validates and returns the parameters.
    ///
    /// # Errors
    /// See [`VoipPhoneParameter::validate`].
    pub fn build(self) -> Result<VoipPhoneParameter> {
        self.params.validate()?;
        Ok(self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pyvoip_defaults() {
        let p = VoipPhoneParameter::new("pbx.test", 5060, "alice", CredentialsManager::new());
        assert_eq!(p.bind_ip, IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        assert_eq!(p.bind_port, 5060);
        assert_eq!(p.bind_network.to_string(), "0.0.0.0/0");
        assert_eq!(p.transport_mode, TransportMode::Udp);
        assert_eq!((p.rtp_port_low, p.rtp_port_high), (10000, 20000));
        assert!(!p.auth_policy.allow_basic && p.auth_policy.allow_md5);
        assert_eq!(p.register_failure_threshold, 3);
        assert!(p.tls_verify && p.tls_check_hostname && !p.allow_tls_fallback);
        assert_eq!(p.register_expires, 300);
        assert_eq!(p.timers, TimerConfig::default());
        assert!(p.validate().is_ok());
    }

    #[test]
    fn builder_validates() {
        assert!(matches!(
            VoipPhoneParameter::builder("a").rtp_ports(10, 9).build(),
            Err(Error::InvalidRange { low: 10, high: 9 })
        ));
        assert!(matches!(
            VoipPhoneParameter::builder("a")
                .rtp_ports(10001, 10001)
                .build(),
            Err(Error::InvalidRange { .. })
        ));
        assert!(VoipPhoneParameter::builder("").build().is_err());
        assert!(VoipPhoneParameter::builder("a b").build().is_err());
        assert!(
            VoipPhoneParameter::builder("a")
                .outbound_proxy("not a uri")
                .build()
                .is_err()
        );
        assert!(
            VoipPhoneParameter::builder("a")
                .outbound_proxy("sip:127.0.0.1:5070;lr")
                .build()
                .is_ok()
        );
        assert!(
            VoipPhoneParameter::builder("a")
                .register_expires(0)
                .build()
                .is_err()
        );
        let mut p = VoipPhoneParameter::builder("a").build().unwrap();
        p.cert_file = Some("cert.pem".into());
        assert!(matches!(p.validate(), Err(Error::Config(_))));
    }

    #[test]
    fn nat_selector_uses_the_settings() {
        let p = VoipPhoneParameter::builder("a")
            .bind("10.0.0.4:5060".parse().unwrap())
            .bind_network("10.0.0.0/24".parse().unwrap())
            .remote_hostname("pbx.example.com")
            .build()
            .unwrap();
        let nat = p.nat();
        assert_eq!(
            nat.get_host_for("10.0.0.9".parse().unwrap()).unwrap(),
            "10.0.0.4"
        );
        assert_eq!(
            nat.get_host_for("8.8.8.8".parse().unwrap()).unwrap(),
            "pbx.example.com"
        );
    }
}
