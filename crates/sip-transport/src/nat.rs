//! [`Nat`]: which host name to advertise to a peer (pyVoIP's `NAT` class).
//!
//! A phone behind NAT must put a different address in its Via, Contact and SDP for peers on
//! its own network (the local `hostname`) than for peers outside it (the `remote_hostname`,
//! usually the public address or name of the NAT). [`Nat::get_host`] picks one;
//! [`Nat::check_host`] tells whether a host name designates this phone.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, ToSocketAddrs};

use ipnet::IpNet;

/// pyVoIP's `NATError`: a host name cannot be resolved, or a peer outside the local network
/// is addressed while no remote hostname is configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NatError {
    /// Name resolution failed.
    #[error("unable to resolve hostname {host}: {reason}")]
    Unresolvable {
        /// The name.
        host: String,
        /// The resolver's message.
        reason: String,
    },
    /// The peer is outside the local network and no remote hostname is set.
    #[error("no remote hostname specified, cannot provide a return path for remote host {peer}")]
    NoRemoteHostname {
        /// The peer's address.
        peer: IpAddr,
    },
    /// A bind address given as text is not an IP address.
    #[error("invalid bind address {0:?}")]
    InvalidAddress(String),
    /// A network given as text is not in CIDR notation.
    #[error("invalid network {0:?} (expected CIDR notation such as 192.168.0.0/24)")]
    InvalidNetwork(String),
}

/// Whether a host designates this phone (pyVoIP's `AddressType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum AddressType {
    /// A remote computer.
    Remote,
    /// This phone.
    Local,
}

/// NAT host selection (pyVoIP's `NAT`).
///
/// Defaults are pyVoIP's: bind address `0.0.0.0`, network `0.0.0.0/0` (every IPv4 peer is
/// local), `hostname` = the bind address, no remote hostname.
///
/// ```
/// use sip_transport::{AddressType, Nat};
/// let nat = Nat::parse("10.0.0.4", "10.0.0.0/24", None, Some("pbx.example.com")).unwrap();
/// assert_eq!(nat.get_host("10.0.0.9").unwrap(), "10.0.0.4");
/// assert_eq!(nat.get_host("8.8.8.8").unwrap(), "pbx.example.com");
/// assert_eq!(nat.check_host("10.0.0.4"), AddressType::Local);
/// assert_eq!(nat.check_host("10.0.0.9"), AddressType::Remote);
///
/// let no_remote = Nat::parse("10.0.0.4", "10.0.0.0/24", None, None).unwrap();
/// assert!(no_remote.get_host("8.8.8.8").is_err()); // pyVoIP's NATError
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nat {
    bind_ip: IpAddr,
    network: IpNet,
    hostname: String,
    remote_hostname: Option<String>,
}

impl Default for Nat {
    fn default() -> Self {
        Nat::new(
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            IpNet::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0).expect("prefix 0 is valid"),
            None,
            None,
        )
    }
}

impl Nat {
    /// Creates the selector. `hostname` `None` means the bind address's text form, as in
    /// pyVoIP. The network is normalized (host bits cleared).
    pub fn new(
        bind_ip: IpAddr,
        network: IpNet,
        hostname: Option<String>,
        remote_hostname: Option<String>,
    ) -> Nat {
        Nat {
            bind_ip,
            network: network.trunc(),
            hostname: hostname.unwrap_or_else(|| bind_ip.to_string()),
            remote_hostname,
        }
    }

    /// pyVoIP's constructor signature: text bind address and CIDR network.
    pub fn parse(
        bind_ip: &str,
        network: &str,
        hostname: Option<&str>,
        remote_hostname: Option<&str>,
    ) -> Result<Nat, NatError> {
        let ip: IpAddr = bind_ip
            .parse()
            .map_err(|_| NatError::InvalidAddress(bind_ip.to_owned()))?;
        let net: IpNet = match network.parse() {
            Ok(n) => n,
            // pyVoIP's ip_network accepts a bare address as a /32 (or /128).
            Err(_) => network
                .parse::<IpAddr>()
                .map(IpNet::from)
                .map_err(|_| NatError::InvalidNetwork(network.to_owned()))?,
        };
        Ok(Nat::new(
            ip,
            net,
            hostname.map(str::to_owned),
            remote_hostname.map(str::to_owned),
        ))
    }

    /// The bind address.
    pub fn bind_ip(&self) -> IpAddr {
        self.bind_ip
    }

    /// The local network.
    pub fn network(&self) -> IpNet {
        self.network
    }

    /// The host name advertised to peers inside the local network.
    pub fn hostname(&self) -> &str {
        &self.hostname
    }

    /// The host name advertised to peers outside the local network, if any.
    pub fn remote_hostname(&self) -> Option<&str> {
        self.remote_hostname.as_deref()
    }

    /// Whether `ip` is inside the local network. IPv4-mapped IPv6 addresses count as IPv4.
    pub fn is_local_network(&self, ip: IpAddr) -> bool {
        self.network.contains(&ip.to_canonical())
    }

    /// The host name a peer at `peer` must use to reach us, without name resolution.
    pub fn get_host_for(&self, peer: IpAddr) -> Result<&str, NatError> {
        if self.is_local_network(peer) {
            Ok(&self.hostname)
        } else {
            self.remote_hostname
                .as_deref()
                .ok_or(NatError::NoRemoteHostname { peer })
        }
    }

    /// The host name another client at `host` (an IP address or a name) needs to connect to
    /// us (pyVoIP's `get_host`).
    ///
    /// A name is resolved with the system resolver, which blocks; in async code resolve first
    /// with [`resolve_host`] and call [`get_host_for`](Self::get_host_for).
    pub fn get_host(&self, host: &str) -> Result<String, NatError> {
        let ip = match parse_ip(host) {
            Some(ip) => ip,
            None => self.pick(resolve_blocking(host)?, host)?,
        };
        self.get_host_for(ip).map(str::to_owned)
    }

    /// Whether `host` designates this phone (pyVoIP's `check_host`): it is the hostname or
    /// the remote hostname, or it is (or resolves to) the bind address. A name that cannot
    /// be resolved is remote. May block on name resolution, like [`get_host`](Self::get_host).
    pub fn check_host(&self, host: &str) -> AddressType {
        if host == self.hostname || self.remote_hostname.as_deref() == Some(host) {
            return AddressType::Local;
        }
        let ip = match parse_ip(host) {
            Some(ip) => Some(ip),
            None => resolve_blocking(host)
                .ok()
                .and_then(|ips| self.pick(ips, host).ok()),
        };
        match ip {
            Some(ip) if ip.to_canonical() == self.bind_ip.to_canonical() => AddressType::Local,
            _ => AddressType::Remote,
        }
    }

    /// Prefers a resolved address of the local network's family, as pyVoIP's IPv4-only
    /// `gethostbyname` effectively does.
    fn pick(&self, ips: Vec<IpAddr>, host: &str) -> Result<IpAddr, NatError> {
        let v4 = self.network.addr().is_ipv4();
        ips.iter()
            .copied()
            .find(|ip| ip.to_canonical().is_ipv4() == v4)
            .or_else(|| ips.first().copied())
            .ok_or_else(|| NatError::Unresolvable {
                host: host.to_owned(),
                reason: "no address".into(),
            })
    }
}

impl fmt::Display for AddressType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AddressType::Remote => "REMOTE",
            AddressType::Local => "LOCAL",
        })
    }
}

/// Parses an IP address, also in brackets (`[::1]`, the URI form of IPv6).
pub(crate) fn parse_ip(host: &str) -> Option<IpAddr> {
    let h = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    h.parse().ok()
}

fn resolve_blocking(host: &str) -> Result<Vec<IpAddr>, NatError> {
    (host, 0)
        .to_socket_addrs()
        .map(|it| it.map(|a| a.ip()).collect())
        .map_err(|e| NatError::Unresolvable {
            host: host.to_owned(),
            reason: e.to_string(),
        })
}

/// Resolves a host name (or IP literal) without blocking the runtime.
pub async fn resolve_host(host: &str) -> Result<Vec<IpAddr>, NatError> {
    if let Some(ip) = parse_ip(host) {
        return Ok(vec![ip]);
    }
    let addrs = tokio::net::lookup_host((host, 0))
        .await
        .map_err(|e| NatError::Unresolvable {
            host: host.to_owned(),
            reason: e.to_string(),
        })?;
    let ips: Vec<IpAddr> = addrs.map(|a| a.ip()).collect();
    if ips.is_empty() {
        return Err(NatError::Unresolvable {
            host: host.to_owned(),
            reason: "no address".into(),
        });
    }
    Ok(ips)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_pyvoips() {
        let nat = Nat::default();
        assert_eq!(nat.bind_ip(), IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        assert_eq!(nat.network().to_string(), "0.0.0.0/0");
        assert_eq!(nat.hostname(), "0.0.0.0");
        assert_eq!(nat.remote_hostname(), None);
        // Every IPv4 peer is in 0.0.0.0/0, so it gets the local hostname.
        assert_eq!(nat.get_host("8.8.8.8").unwrap(), "0.0.0.0");
        // IPv6 peers are outside an IPv4 network and no remote hostname is set.
        assert!(matches!(
            nat.get_host("2001:db8::1"),
            Err(NatError::NoRemoteHostname { .. })
        ));
    }

    // The cases of pyVoIP's own tests/test_nat.py, plus IPv6 and mapped addresses.
    #[test]
    fn get_host_local_and_remote() {
        let nat = Nat::parse("10.0.0.4", "10.0.0.0/24", None, Some("example.com")).unwrap();
        assert_eq!(nat.get_host("8.8.8.8").unwrap(), "example.com");
        assert_eq!(nat.get_host("10.0.0.1").unwrap(), "10.0.0.4");
        assert_eq!(nat.get_host("::ffff:10.0.0.1").unwrap(), "10.0.0.4");
        assert_eq!(nat.get_host("localhost").unwrap(), "example.com");
        let nat = Nat::parse("10.0.0.4", "10.0.0.0/24", Some("10.0.0.5"), None).unwrap();
        assert_eq!(nat.get_host("10.0.0.1").unwrap(), "10.0.0.5");
        assert_eq!(
            nat.get_host("8.8.8.8"),
            Err(NatError::NoRemoteHostname {
                peer: "8.8.8.8".parse().unwrap()
            })
        );
        let nat6 = Nat::parse("::1", "::1/128", Some("me.test"), None).unwrap();
        assert_eq!(nat6.get_host("[::1]").unwrap(), "me.test");
    }

    #[test]
    fn unresolvable_name_is_a_nat_error() {
        let nat = Nat::default();
        assert!(matches!(
            nat.get_host("no-such-host.invalid"),
            Err(NatError::Unresolvable { .. })
        ));
        assert_eq!(nat.check_host("no-such-host.invalid"), AddressType::Remote);
    }

    #[test]
    fn check_host() {
        let nat = Nat::parse(
            "127.0.0.1",
            "127.0.0.0/8",
            Some("me.test"),
            Some("pub.test"),
        )
        .unwrap();
        assert_eq!(nat.check_host("me.test"), AddressType::Local);
        assert_eq!(nat.check_host("pub.test"), AddressType::Local);
        assert_eq!(nat.check_host("127.0.0.1"), AddressType::Local);
        assert_eq!(nat.check_host("127.0.0.2"), AddressType::Remote);
        // localhost resolves to the bind address.
        assert_eq!(nat.check_host("localhost"), AddressType::Local);
    }

    #[test]
    fn parse_errors() {
        assert!(matches!(
            Nat::parse("nope", "0.0.0.0/0", None, None),
            Err(NatError::InvalidAddress(_))
        ));
        assert!(matches!(
            Nat::parse("0.0.0.0", "10.0.0.0/99", None, None),
            Err(NatError::InvalidNetwork(_))
        ));
        // A bare address is a single-host network, as in Python's ip_network.
        let nat = Nat::parse("10.0.0.4", "10.0.0.4", None, None).unwrap();
        assert!(nat.is_local_network("10.0.0.4".parse().unwrap()));
        // Host bits are cleared, as Python's ip_network(strict=False) would.
        let nat = Nat::parse("10.0.0.4", "10.0.0.4/24", None, None).unwrap();
        assert_eq!(nat.network().to_string(), "10.0.0.0/24");
    }
}
