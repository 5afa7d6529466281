//! The Via header (RFC 3261 §20.42, §18.2.1; rport RFC 3581).

use crate::error::Result;
use crate::params::{ParamKind, Params, parse_params};
use crate::scan::{self, Cursor};
use crate::uri::{Host, parse_host, simple_host};
use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

/// The transport in a Via's sent-protocol.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Transport<'a> {
    /// UDP
    Udp,
    /// TCP
    Tcp,
    /// TLS
    Tls,
    /// SCTP
    Sctp,
    /// WS (RFC 7118)
    Ws,
    /// WSS (RFC 7118)
    Wss,
    /// Any other token, as received.
    Other(Cow<'a, str>),
}

impl<'a> Transport<'a> {
    pub(crate) fn from_token(t: &'a str) -> Self {
        if t == "UDP" {
            return Transport::Udp;
        }
        for (name, v) in [
            ("UDP", Transport::Udp),
            ("TCP", Transport::Tcp),
            ("TLS", Transport::Tls),
            ("SCTP", Transport::Sctp),
            ("WS", Transport::Ws),
            ("WSS", Transport::Wss),
        ] {
            if t.eq_ignore_ascii_case(name) {
                return v;
            }
        }
        Transport::Other(Cow::Borrowed(t))
    }

    /// The transport name in upper case (as sent).
    pub fn as_str(&self) -> &str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
            Transport::Sctp => "SCTP",
            Transport::Ws => "WS",
            Transport::Wss => "WSS",
            Transport::Other(o) => o,
        }
    }

    /// Whether the transport is reliable (RFC 3261 §17: no retransmissions over TCP/TLS).
    pub fn is_reliable(&self) -> bool {
        !matches!(self, Transport::Udp)
    }

    /// Copies borrowed text.
    pub fn into_owned(self) -> Transport<'static> {
        match self {
            Transport::Udp => Transport::Udp,
            Transport::Tcp => Transport::Tcp,
            Transport::Tls => Transport::Tls,
            Transport::Sctp => Transport::Sctp,
            Transport::Ws => Transport::Ws,
            Transport::Wss => Transport::Wss,
            Transport::Other(o) => Transport::Other(Cow::Owned(o.into_owned())),
        }
    }
}

impl fmt::Display for Transport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One Via value: `SIP/2.0/UDP host:port;branch=z9hG4bK...;rport`.
///
/// ```
/// use sip_message::{Host, Transport, Via};
/// let v = Via::parse("SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK74bf9;rport;received=127.0.0.1").unwrap();
/// assert_eq!(v.transport, Transport::Udp);
/// assert_eq!(v.port, Some(5060));
/// assert_eq!(v.branch(), Some("z9hG4bK74bf9"));
/// assert_eq!(v.rport(), Some(None));
/// assert_eq!(v.received(), Some("127.0.0.1".parse().unwrap()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Via<'a> {
    /// Protocol name and version other than `SIP/2.0`, if any (kept for proxies).
    pub protocol: Option<(Cow<'a, str>, Cow<'a, str>)>,
    /// Transport.
    pub transport: Transport<'a>,
    /// sent-by host.
    pub host: Host<'a>,
    /// sent-by port.
    pub port: Option<u16>,
    /// Parameters (`branch`, `received`, `rport`, `maddr`, `ttl`, others).
    pub params: Params<'a>,
}

/// RFC 3261 §8.1.1.7: branches of RFC 3261 clients start with this.
pub const BRANCH_MAGIC_COOKIE: &str = "z9hG4bK";

impl<'a> Via<'a> {
    /// `SIP/2.0/<transport> host[:port];branch=<branch>`.
    pub fn new(
        transport: Transport<'a>,
        host: Host<'a>,
        port: Option<u16>,
        branch: &str,
    ) -> Result<Self> {
        let mut params = Params::new();
        params.push("branch", Some(branch))?;
        Ok(Via {
            protocol: None,
            transport,
            host,
            port,
            params,
        })
    }

    /// Parses one Via value.
    pub fn parse(s: &'a str) -> Result<Via<'a>> {
        let mut c = Cursor::new(s, 0, "Via header");
        let v = parse_via(&mut c)?;
        c.skip_lws();
        if !c.at_end() {
            return Err(c.err("end of the Via value"));
        }
        Ok(v)
    }

    /// The `branch` parameter.
    #[inline]
    pub fn branch(&self) -> Option<&str> {
        self.params.value("branch")
    }

    /// The `received` parameter as an address, if present and valid.
    pub fn received(&self) -> Option<IpAddr> {
        let r = self.params.value("received")?;
        r.trim_start_matches('[').trim_end_matches(']').parse().ok()
    }

    /// The `rport` parameter: `None` absent, `Some(None)` requested (flag), `Some(Some(p))`
    /// filled in by the server.
    pub fn rport(&self) -> Option<Option<u16>> {
        match self.params.get("rport")? {
            None | Some("") => Some(None),
            Some(p) => Some(p.parse().ok()),
        }
    }

    /// The `maddr` parameter.
    pub fn maddr(&self) -> Option<&str> {
        self.params.value("maddr")
    }

    /// Checks the parameters with a fixed syntax (`ttl` 0-255, `branch` a token value,
    /// `received` an address, `rport` empty or a port); [`SipMessage::validate`] calls it.
    ///
    /// [`SipMessage::validate`]: crate::SipMessage::validate
    pub fn check_params(&self) -> std::result::Result<(), &'static str> {
        if self.params.contains("ttl") && self.ttl().is_none() {
            return Err("a ttl parameter from 0 to 255");
        }
        if self.params.contains("branch")
            && self.branch().is_none_or(|b| !b.bytes().all(scan::is_token))
        {
            return Err("a token branch parameter");
        }
        if self.params.contains("received") && self.received().is_none() {
            return Err("an IP address in the received parameter");
        }
        match self.params.get("rport") {
            Some(Some(p)) if !p.is_empty() && p.parse::<u16>().is_err() => {
                Err("an rport parameter that is empty or a port")
            }
            _ => Ok(()),
        }
    }

    /// The `ttl` parameter, if present and 0-255.
    pub fn ttl(&self) -> Option<u8> {
        self.params.value("ttl")?.parse().ok()
    }

    /// Copies borrowed text.
    pub fn into_owned(self) -> Via<'static> {
        Via {
            protocol: self
                .protocol
                .map(|(n, v)| (Cow::Owned(n.into_owned()), Cow::Owned(v.into_owned()))),
            transport: self.transport.into_owned(),
            host: self.host.into_owned(),
            port: self.port,
            params: self.params.into_owned(),
        }
    }
}

impl fmt::Display for Via<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.protocol {
            Some((n, v)) => write!(f, "{n}/{v}/")?,
            None => f.write_str("SIP/2.0/")?,
        }
        write!(f, "{} {}", self.transport, self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        write!(f, "{}", self.params)
    }
}

/// Parses one via-parm at the cursor (LWS allowed around `/`, `:` and `;`, RFC 4475 wsinv).
pub(crate) fn parse_via<'a>(c: &mut Cursor<'a>) -> Result<Via<'a>> {
    if let Some((via, len)) = simple_via(c.rest_str()) {
        c.pos += len;
        return Ok(via);
    }
    parse_via_general(c)
}

/// [`parse_via`] without the fast path.
fn parse_via_general<'a>(c: &mut Cursor<'a>) -> Result<Via<'a>> {
    c.skip_lws();
    let name = c.token("a protocol name (SIP)")?;
    if !c.eat_sep(b'/') {
        return Err(c.err("'/' after the protocol name"));
    }
    let version = c.token("a protocol version")?;
    if !c.eat_sep(b'/') {
        return Err(c.err("'/' after the protocol version"));
    }
    let transport = Transport::from_token(c.token("a transport")?);
    let protocol = if name.eq_ignore_ascii_case("SIP") && version == "2.0" {
        None
    } else {
        Some((Cow::Borrowed(name), Cow::Borrowed(version)))
    };
    let before = c.pos;
    c.skip_lws();
    if c.pos == before {
        return Err(c.err("whitespace before the sent-by host"));
    }
    let host = parse_host(c)?;
    let save = c.pos;
    c.skip_lws();
    let port = if c.peek() == Some(b':') {
        c.pos += 1;
        c.skip_lws();
        let at = c.pos;
        let n = c.number("a port number")?;
        Some(u16::try_from(n).map_err(|_| c.err_at(at, "a port number below 65536"))?)
    } else {
        c.pos = save;
        None
    };
    let params = parse_params(c, ParamKind::Header)?;
    Ok(Via {
        protocol,
        transport,
        host,
        port,
        params,
    })
}

/// Fast path for the form nearly every Via has, `SIP/2.0/UDP host[:port][;params]` with no
/// other whitespace and no quoted parameter values: the value and how many bytes it took,
/// exactly as [`parse_via`]'s general path would read them. `None` for anything else (the
/// general path then parses it or reports the error).
fn simple_via(t: &str) -> Option<(Via<'_>, usize)> {
    let b = t.as_bytes();
    if b.len() < 10 || !b[..3].eq_ignore_ascii_case(b"SIP") || &b[3..8] != b"/2.0/" {
        return None;
    }
    let te = 8 + scan::token_len(&b[8..]);
    if te == 8 || b.get(te) != Some(&b' ') {
        return None;
    }
    let (host, mut i) = simple_host(t, te + 1)?;
    let mut port = None;
    if b.get(i) == Some(&b':') {
        let n = scan::run(b, i + 1, scan::DIGIT);
        if n == 0 || n > 5 {
            return None;
        }
        let v = b[i + 1..i + 1 + n]
            .iter()
            .fold(0u32, |v, d| v * 10 + u32::from(d - b'0'));
        port = Some(u16::try_from(v).ok()?);
        i += 1 + n;
    }
    let end = scan::simple_header_params(b, i)?;
    Some((
        Via {
            protocol: None,
            transport: Transport::from_token(t.get(8..te)?),
            host,
            port,
            params: Params::from_raw(t.get(i..end)?),
        },
        end,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The fast path reads exactly what the general path reads, wherever it applies.
        #[test]
        fn fast_path_agrees_with_general_path(
            host in "([0-9]{1,4}\\.){0,4}[0-9]{0,3}|[a-z0-9._-]{0,8}|\\[::1\\]",
            port in "(:[0-9]{0,6})?",
            rest in "[a-zA-Z0-9.:;=_\\-\\[\\]\" ,<%]{0,40}",
            transport in "(UDP|tcp|TLS|x)",
            sp in "( |  |\t)",
        ) {
            let s = format!("SIP/2.0/{transport}{sp}{host}{port}{rest}");
            if let Some((fast, len)) = simple_via(&s) {
                let mut c = Cursor::new(&s, 0, "Via header");
                let general = parse_via_general(&mut c).unwrap();
                prop_assert_eq!(fast, general);
                prop_assert_eq!(len, c.pos);
            }
        }
    }

    #[test]
    fn lws_everywhere() {
        let v = Via::parse("SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw").unwrap();
        assert_eq!(v.host, Host::Ipv4("192.0.2.2".parse().unwrap()));
        assert_eq!(v.branch(), Some("390skdjuw"));
        let v = Via::parse(
            "SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8  ",
        )
        .unwrap();
        assert_eq!(v.transport, Transport::Tcp);
        assert_eq!(v.branch(), Some("z9hG4bK9ikj8"));
    }

    #[test]
    fn ipv6_rport_value_and_unknown_transport() {
        let v = Via::parse("SIP/2.0/UNKNOWN [::1]:5070;rport=5071;received=::1;maddr=[::1];ttl=3")
            .unwrap();
        assert_eq!(v.transport.as_str(), "UNKNOWN");
        assert_eq!(v.port, Some(5070));
        assert_eq!(v.rport(), Some(Some(5071)));
        assert_eq!(v.received(), Some("::1".parse().unwrap()));
        assert_eq!(v.ttl(), Some(3));
        assert!(v.check_params().is_ok());
        assert!(
            Via::parse("SIP/2.0/UDP h;ttl=300")
                .unwrap()
                .check_params()
                .is_err()
        );
        assert!(
            Via::parse("SIP/2.0/UDP h;rport=x")
                .unwrap()
                .check_params()
                .is_err()
        );
        assert!(
            Via::parse("SIP/2.0/UDP h;received=x")
                .unwrap()
                .check_params()
                .is_err()
        );
        assert_eq!(
            v.to_string(),
            "SIP/2.0/UNKNOWN [::1]:5070;rport=5071;received=::1;maddr=[::1];ttl=3"
        );
    }

    #[test]
    fn bad_vias() {
        for bad in [
            "SIP/2.0/UDP 192.0.2.15;;,;,,",
            "SIP/2.0 host",
            "SIP/2.0/UDP",
            "SIP/2.0/UDP host:70000",
            "SIP/2.0/UDPhost",
        ] {
            assert!(Via::parse(bad).is_err(), "{bad}");
        }
    }
}
