//! SDP session descriptions (RFC 8866, formerly RFC 4566): parser, typed model, serializer.
//!
//! Text fields borrow from the parsed body (`Cow::Borrowed`); built descriptions own theirs.
//!
//! ```
//! use sip_message::sdp::{Direction, SessionDescription};
//! let body = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
//!             m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n";
//! let sdp = SessionDescription::parse(body).unwrap();
//! let audio = &sdp.media[0];
//! assert_eq!(audio.port, 4000);
//! assert_eq!(sdp.connection_for(audio).unwrap().ip(), Some("127.0.0.1".parse().unwrap()));
//! assert_eq!(audio.rtpmap(101).unwrap().encoding, "telephone-event");
//! assert_eq!(audio.rtpmap(0).unwrap().encoding, "PCMU"); // static payload type
//! assert_eq!(sdp.direction_of(audio), Direction::SendOnly);
//! assert_eq!(SessionDescription::parse(&sdp.to_string()).unwrap(), sdp);
//! ```

mod view;

pub(crate) use view::view_at;
pub use view::{MediaView, MediaViews, SdpLines, SdpView};

use crate::error::{Error, Result};
use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

// The parser uses byte searches instead of `str` pattern APIs: SDP lines and fields are a
// few bytes long, where the generic char searcher costs more than the parse itself.

#[inline]
fn find_byte(s: &str, b: u8) -> Option<usize> {
    s.as_bytes().iter().position(|&c| c == b)
}

/// Splits at the first `b` (an ASCII byte, so both halves are on char boundaries).
#[inline]
fn split_once_byte(s: &str, b: u8) -> Option<(&str, &str)> {
    let i = find_byte(s, b)?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// Iterator over the fields of `s` separated by single spaces.
struct Fields<'a> {
    rest: Option<&'a str>,
}

fn fields(s: &str) -> Fields<'_> {
    Fields { rest: Some(s) }
}

impl<'a> Iterator for Fields<'a> {
    type Item = &'a str;
    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let s = self.rest?;
        match split_once_byte(s, b' ') {
            Some((a, b)) => {
                self.rest = Some(b);
                Some(a)
            }
            None => {
                self.rest = None;
                Some(s)
            }
        }
    }
}

/// A parsed or built SDP session description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionDescription<'a> {
    /// `o=`
    pub origin: Origin<'a>,
    /// `s=` (a single space or `-` when there is no name)
    pub session_name: Cow<'a, str>,
    /// `i=`
    pub information: Option<Cow<'a, str>>,
    /// `u=`
    pub uri: Option<Cow<'a, str>>,
    /// `e=` lines
    pub emails: Vec<Cow<'a, str>>,
    /// `p=` lines
    pub phones: Vec<Cow<'a, str>>,
    /// Session-level `c=`
    pub connection: Option<Connection<'a>>,
    /// Session-level `b=` lines
    pub bandwidths: Vec<Bandwidth<'a>>,
    /// `t=` lines, each with its `r=` lines
    pub times: Vec<Timing<'a>>,
    /// `z=`
    pub time_zones: Option<Cow<'a, str>>,
    /// Session-level `k=` (obsolete, kept)
    pub key: Option<Cow<'a, str>>,
    /// Session-level `a=` lines
    pub attributes: Vec<Attribute<'a>>,
    /// `m=` sections
    pub media: Vec<Media<'a>>,
}

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin<'a> {
    /// Username (`-` if none).
    pub username: Cow<'a, str>,
    /// Session id (digits; kept as text since it may exceed 64 bits).
    pub session_id: Cow<'a, str>,
    /// Session version (digits).
    pub session_version: Cow<'a, str>,
    /// Network type (`IN`).
    pub net_type: Cow<'a, str>,
    /// Address type (`IP4`, `IP6`).
    pub addr_type: Cow<'a, str>,
    /// Address.
    pub address: Cow<'a, str>,
}

/// `c=<nettype> <addrtype> <connection-address>`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection<'a> {
    /// Network type (`IN`).
    pub net_type: Cow<'a, str>,
    /// Address type (`IP4`, `IP6`).
    pub addr_type: Cow<'a, str>,
    /// Address, possibly with `/ttl` and `/count` suffixes.
    pub address: Cow<'a, str>,
}

impl Connection<'_> {
    /// `IN IP4 a.b.c.d` or `IN IP6 x::y` for an address.
    pub fn from_ip(ip: IpAddr) -> Connection<'static> {
        Connection {
            net_type: Cow::Borrowed("IN"),
            addr_type: Cow::Borrowed(if ip.is_ipv4() { "IP4" } else { "IP6" }),
            address: Cow::Owned(ip.to_string()),
        }
    }

    /// The IP address (without `/ttl`), if it is one.
    pub fn ip(&self) -> Option<IpAddr> {
        parse_ip(&self.address)
    }
}

/// The text of `address` before any `/` as an IP address, exactly as `IpAddr::from_str`
/// reads it; dotted quads (the usual SDP address) skip the generic parser, which costs
/// several times more.
fn parse_ip(address: &str) -> Option<IpAddr> {
    match crate::scan::parse_ipv4(address.as_bytes(), b'/') {
        Some(ip) => Some(IpAddr::V4(ip)),
        None => slow_ip(address),
    }
}

/// `IpAddr::from_str` of the text before any `/`.
#[cold]
fn slow_ip(address: &str) -> Option<IpAddr> {
    split_once_byte(address, b'/')
        .map_or(address, |(h, _)| h)
        .parse()
        .ok()
}

/// `b=<bwtype>:<bandwidth>`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bandwidth<'a> {
    /// Type (`AS`, `CT`, `TIAS`, ...).
    pub kind: Cow<'a, str>,
    /// Value.
    pub value: u64,
}

/// `t=<start> <stop>` with its `r=` lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timing<'a> {
    /// Start time (NTP seconds, 0 = unbounded).
    pub start: u64,
    /// Stop time (NTP seconds, 0 = unbounded).
    pub stop: u64,
    /// `r=` lines, as text.
    pub repeats: Vec<Cow<'a, str>>,
}

/// `a=<name>[:<value>]`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute<'a> {
    /// Attribute name.
    pub name: Cow<'a, str>,
    /// Value after `:`.
    pub value: Option<Cow<'a, str>>,
}

/// An `m=` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Media<'a> {
    /// Media type (`audio`, `video`, `application`, ...).
    pub kind: Cow<'a, str>,
    /// Transport port (0 = rejected / disabled stream).
    pub port: u16,
    /// `/<number of ports>`
    pub port_count: Option<u16>,
    /// Transport protocol (`RTP/AVP`, `RTP/SAVP`, `UDP/TLS/RTP/SAVPF`, ...).
    pub protocol: Cow<'a, str>,
    /// Formats (RTP payload type numbers for RTP protocols).
    pub formats: Vec<Cow<'a, str>>,
    /// `i=`
    pub information: Option<Cow<'a, str>>,
    /// Media-level `c=` lines.
    pub connections: Vec<Connection<'a>>,
    /// Media-level `b=` lines.
    pub bandwidths: Vec<Bandwidth<'a>>,
    /// Media-level `k=`
    pub key: Option<Cow<'a, str>>,
    /// Media-level `a=` lines.
    pub attributes: Vec<Attribute<'a>>,
}

/// Media direction attribute (RFC 8866 §6.7, RFC 3264 §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `a=sendrecv` (also the default)
    SendRecv,
    /// `a=sendonly`
    SendOnly,
    /// `a=recvonly`
    RecvOnly,
    /// `a=inactive`
    Inactive,
}

impl Direction {
    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The direction an answerer uses for this offer (RFC 3264 §6.1): sendonly is answered
    /// recvonly and vice versa.
    pub fn answer(self) -> Direction {
        match self {
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            d => d,
        }
    }

    fn from_name(n: &str) -> Option<Direction> {
        Some(match n {
            "sendrecv" => Direction::SendRecv,
            "sendonly" => Direction::SendOnly,
            "recvonly" => Direction::RecvOnly,
            "inactive" => Direction::Inactive,
            _ => return None,
        })
    }
}

/// An `a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]` value, or the static mapping of
/// RFC 3551 for a payload type without one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtpMap<'s> {
    /// Payload type.
    pub payload_type: u8,
    /// Encoding name (`PCMU`, `telephone-event`, ...).
    pub encoding: &'s str,
    /// Clock rate in Hz.
    pub clock_rate: u32,
    /// Channels (audio), if given.
    pub channels: Option<u16>,
}

/// RFC 3551 §6 static audio payload types.
fn static_rtpmap(pt: u8) -> Option<RtpMap<'static>> {
    let (encoding, clock_rate, channels) = match pt {
        0 => ("PCMU", 8000, Some(1)),
        3 => ("GSM", 8000, Some(1)),
        4 => ("G723", 8000, Some(1)),
        5 => ("DVI4", 8000, Some(1)),
        6 => ("DVI4", 16000, Some(1)),
        7 => ("LPC", 8000, Some(1)),
        8 => ("PCMA", 8000, Some(1)),
        9 => ("G722", 8000, Some(1)),
        10 => ("L16", 44100, Some(2)),
        11 => ("L16", 44100, Some(1)),
        12 => ("QCELP", 8000, Some(1)),
        13 => ("CN", 8000, Some(1)),
        14 => ("MPA", 90000, None),
        15 => ("G728", 8000, Some(1)),
        16 => ("DVI4", 11025, Some(1)),
        17 => ("DVI4", 22050, Some(1)),
        18 => ("G729", 8000, Some(1)),
        25 => ("CelB", 90000, None),
        26 => ("JPEG", 90000, None),
        28 => ("nv", 90000, None),
        31 => ("H261", 90000, None),
        32 => ("MPV", 90000, None),
        33 => ("MP2T", 90000, None),
        34 => ("H263", 90000, None),
        _ => return None,
    };
    Some(RtpMap {
        payload_type: pt,
        encoding,
        clock_rate,
        channels,
    })
}

/// Parses an `a=rtpmap` value: `<pt> <encoding>/<clock rate>[/<channels>]`.
fn rtpmap_value(v: &str) -> Option<RtpMap<'_>> {
    let (pt, rest) = split_once_byte(v, b' ')?;
    let (encoding, rest) = split_once_byte(rest.trim(), b'/')?;
    let (clock_rate, channels) = match split_once_byte(rest, b'/') {
        Some((r, c)) => (r.parse().ok()?, Some(c.parse().ok()?)),
        None => (rest.parse().ok()?, None),
    };
    Some(RtpMap {
        payload_type: pt.parse().ok()?,
        encoding,
        clock_rate,
        channels,
    })
}

/// The parameters of an `a=fmtp` value (`<pt> <params>`) if it is for `pt`.
fn fmtp_value(v: &str, pt: u8) -> Option<&str> {
    let (p, params) = split_once_byte(v, b' ')?;
    (p.parse() == Ok(pt)).then(|| params.trim())
}

fn direction_in(attrs: &[Attribute<'_>]) -> Option<Direction> {
    attrs
        .iter()
        .rev()
        .find_map(|a| Direction::from_name(&a.name))
}

impl<'a> Media<'a> {
    /// `m=<kind> <port> <protocol> <formats...>` with no attributes.
    pub fn new(
        kind: impl Into<Cow<'a, str>>,
        port: u16,
        protocol: impl Into<Cow<'a, str>>,
        formats: impl IntoIterator<Item = u8>,
    ) -> Self {
        Media {
            kind: kind.into(),
            port,
            port_count: None,
            protocol: protocol.into(),
            formats: formats
                .into_iter()
                .map(|f| Cow::Owned(f.to_string()))
                .collect(),
            information: None,
            connections: Vec::new(),
            bandwidths: Vec::new(),
            key: None,
            attributes: Vec::new(),
        }
    }

    /// Appends `a=name[:value]`.
    pub fn push_attribute(&mut self, name: impl Into<Cow<'a, str>>, value: Option<Cow<'a, str>>) {
        self.attributes.push(Attribute {
            name: name.into(),
            value,
        });
    }

    /// Appends `a=rtpmap:<pt> <encoding>/<rate>[/<channels>]`.
    pub fn push_rtpmap(&mut self, pt: u8, encoding: &str, clock_rate: u32, channels: Option<u16>) {
        let v = match channels {
            Some(c) => format!("{pt} {encoding}/{clock_rate}/{c}"),
            None => format!("{pt} {encoding}/{clock_rate}"),
        };
        self.push_attribute("rtpmap", Some(Cow::Owned(v)));
    }

    /// Replaces any direction attribute with `d`.
    pub fn set_direction(&mut self, d: Direction) {
        self.attributes
            .retain(|a| Direction::from_name(&a.name).is_none());
        self.push_attribute(d.as_str(), None);
    }

    /// The first attribute called `name`.
    pub fn attribute(&self, name: &str) -> Option<&Attribute<'a>> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// Payload type numbers of the formats that are numbers.
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + '_ {
        self.formats.iter().filter_map(|f| f.parse().ok())
    }

    /// The rtpmap for a payload type: its `a=rtpmap` line, or the RFC 3551 static mapping.
    pub fn rtpmap(&self, pt: u8) -> Option<RtpMap<'_>> {
        self.rtpmaps()
            .find(|m| m.payload_type == pt)
            .or_else(|| static_rtpmap(pt))
    }

    /// Every valid `a=rtpmap` line.
    pub fn rtpmaps(&self) -> impl Iterator<Item = RtpMap<'_>> + '_ {
        self.attributes
            .iter()
            .filter(|a| a.name == "rtpmap")
            .filter_map(|a| rtpmap_value(a.value.as_deref()?))
    }

    /// The `a=fmtp` parameters for a payload type.
    pub fn fmtp(&self, pt: u8) -> Option<&str> {
        self.attributes
            .iter()
            .filter(|a| a.name == "fmtp")
            .find_map(|a| fmtp_value(a.value.as_deref()?, pt))
    }

    /// `a=ptime` in milliseconds.
    pub fn ptime(&self) -> Option<u32> {
        self.attribute("ptime")?
            .value
            .as_deref()?
            .trim()
            .parse()
            .ok()
    }

    /// `a=maxptime` in milliseconds.
    pub fn maxptime(&self) -> Option<u32> {
        self.attribute("maxptime")?
            .value
            .as_deref()?
            .trim()
            .parse()
            .ok()
    }

    /// The media-level direction attribute, if any (see
    /// [`SessionDescription::direction_of`] for the effective one).
    pub fn direction(&self) -> Option<Direction> {
        direction_in(&self.attributes)
    }

    /// Copies borrowed text.
    pub fn into_owned(self) -> Media<'static> {
        Media {
            kind: owned(self.kind),
            port: self.port,
            port_count: self.port_count,
            protocol: owned(self.protocol),
            formats: self.formats.into_iter().map(owned).collect(),
            information: self.information.map(owned),
            connections: self
                .connections
                .into_iter()
                .map(Connection::into_owned)
                .collect(),
            bandwidths: self
                .bandwidths
                .into_iter()
                .map(Bandwidth::into_owned)
                .collect(),
            key: self.key.map(owned),
            attributes: self
                .attributes
                .into_iter()
                .map(Attribute::into_owned)
                .collect(),
        }
    }
}

fn owned(c: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(c.into_owned())
}

impl Connection<'_> {
    /// Copies borrowed text.
    pub fn into_owned(self) -> Connection<'static> {
        Connection {
            net_type: owned(self.net_type),
            addr_type: owned(self.addr_type),
            address: owned(self.address),
        }
    }
}

impl Bandwidth<'_> {
    /// Copies borrowed text.
    pub fn into_owned(self) -> Bandwidth<'static> {
        Bandwidth {
            kind: owned(self.kind),
            value: self.value,
        }
    }
}

impl Attribute<'_> {
    /// Copies borrowed text.
    pub fn into_owned(self) -> Attribute<'static> {
        Attribute {
            name: owned(self.name),
            value: self.value.map(owned),
        }
    }
}

impl<'a> SessionDescription<'a> {
    /// A minimal description: `v=0`, `o=<username> <id> <version> IN IP4/IP6 <address>`,
    /// `s=-`, `c=` with the same address, `t=0 0`, no media.
    pub fn new(username: &str, session_id: u64, session_version: u64, address: IpAddr) -> Self {
        let c = Connection::from_ip(address);
        SessionDescription {
            origin: Origin {
                username: Cow::Owned(username.to_owned()),
                session_id: Cow::Owned(session_id.to_string()),
                session_version: Cow::Owned(session_version.to_string()),
                net_type: c.net_type.clone(),
                addr_type: c.addr_type.clone(),
                address: c.address.clone(),
            },
            session_name: Cow::Borrowed("-"),
            information: None,
            uri: None,
            emails: Vec::new(),
            phones: Vec::new(),
            connection: Some(c),
            bandwidths: Vec::new(),
            times: vec![Timing {
                start: 0,
                stop: 0,
                repeats: Vec::new(),
            }],
            time_zones: None,
            key: None,
            attributes: Vec::new(),
            media: Vec::new(),
        }
    }

    /// Parses an SDP body (CRLF or LF line ends).
    pub fn parse(text: &'a str) -> Result<SessionDescription<'a>> {
        parse_at(text.as_bytes(), 0)
    }

    /// The connection that applies to `media`: its own first `c=`, else the session's.
    pub fn connection_for<'s>(&'s self, media: &'s Media<'a>) -> Option<&'s Connection<'a>> {
        media.connections.first().or(self.connection.as_ref())
    }

    /// The effective direction of `media`: media-level attribute, else session-level, else
    /// sendrecv (RFC 8866 §6.7).
    pub fn direction_of(&self, media: &Media<'_>) -> Direction {
        media
            .direction()
            .or_else(|| direction_in(&self.attributes))
            .unwrap_or(Direction::SendRecv)
    }

    /// The first session-level attribute called `name`.
    pub fn attribute(&self, name: &str) -> Option<&Attribute<'a>> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// Copies borrowed text.
    pub fn into_owned(self) -> SessionDescription<'static> {
        SessionDescription {
            origin: Origin {
                username: owned(self.origin.username),
                session_id: owned(self.origin.session_id),
                session_version: owned(self.origin.session_version),
                net_type: owned(self.origin.net_type),
                addr_type: owned(self.origin.addr_type),
                address: owned(self.origin.address),
            },
            session_name: owned(self.session_name),
            information: self.information.map(owned),
            uri: self.uri.map(owned),
            emails: self.emails.into_iter().map(owned).collect(),
            phones: self.phones.into_iter().map(owned).collect(),
            connection: self.connection.map(Connection::into_owned),
            bandwidths: self
                .bandwidths
                .into_iter()
                .map(Bandwidth::into_owned)
                .collect(),
            times: self
                .times
                .into_iter()
                .map(|t| Timing {
                    start: t.start,
                    stop: t.stop,
                    repeats: t.repeats.into_iter().map(owned).collect(),
                })
                .collect(),
            time_zones: self.time_zones.map(owned),
            key: self.key.map(owned),
            attributes: self
                .attributes
                .into_iter()
                .map(Attribute::into_owned)
                .collect(),
            media: self.media.into_iter().map(Media::into_owned).collect(),
        }
    }
}

/// Line-by-line parser; `base` is the body's offset in the message for error offsets.
pub(crate) fn parse_at(body: &[u8], base: usize) -> Result<SessionDescription<'_>> {
    let err = |off: usize, expected: &'static str| Error::syntax("SDP", base + off, expected);
    let text = crate::scan::utf8(body).map_err(|e| err(e.valid_up_to(), "UTF-8 text"))?;
    let mut sd: Option<SessionDescription<'_>> = None;
    let mut saw_version = false;
    let mut saw_name = false;
    let mut pos = 0usize;
    let bytes = text.as_bytes();
    // One vectorised scan finds every line end; the final line may lack one.
    let mut ends = memchr::memchr_iter(b'\n', bytes);
    while pos < bytes.len() {
        let off = pos;
        let end = ends.next().unwrap_or(bytes.len());
        pos = end + 1;
        let mut line_end = end;
        if line_end > off && bytes[line_end - 1] == b'\r' {
            line_end -= 1;
        }
        let line = text.get(off..line_end).unwrap_or("");
        if line.is_empty() {
            continue;
        }
        let b = line.as_bytes();
        if b.len() < 2 || b[1] != b'=' || !b[0].is_ascii_lowercase() {
            return Err(err(off, "a line of the form <letter>=<value>"));
        }
        let v = &line[2..];
        let vo = off + 2;
        if !saw_version {
            if b[0] != b'v' {
                return Err(err(off, "v=0 as the first line"));
            }
            if v != "0" {
                return Err(err(vo, "version 0"));
            }
            saw_version = true;
            continue;
        }
        let Some(s) = sd.as_mut() else {
            if b[0] != b'o' {
                return Err(err(off, "o= after v="));
            }
            sd = Some(SessionDescription {
                origin: parse_origin(v).map_err(|e| err(vo, e))?,
                session_name: Cow::Borrowed(""),
                information: None,
                uri: None,
                emails: Vec::new(),
                phones: Vec::new(),
                connection: None,
                bandwidths: Vec::new(),
                times: Vec::with_capacity(1),
                time_zones: None,
                key: None,
                attributes: Vec::new(),
                media: Vec::with_capacity(2),
            });
            continue;
        };
        let in_media = !s.media.is_empty();
        match b[0] {
            b's' if !in_media => {
                s.session_name = Cow::Borrowed(v);
                saw_name = true;
            }
            b'i' => {
                let slot = match s.media.last_mut() {
                    Some(m) => &mut m.information,
                    None => &mut s.information,
                };
                *slot = Some(Cow::Borrowed(v));
            }
            b'u' if !in_media => s.uri = Some(Cow::Borrowed(v)),
            b'e' if !in_media => s.emails.push(Cow::Borrowed(v)),
            b'p' if !in_media => s.phones.push(Cow::Borrowed(v)),
            b'c' => {
                let c = parse_connection(v)
                    .ok_or_else(|| err(vo, "c=<nettype> <addrtype> <address>"))?;
                match s.media.last_mut() {
                    Some(m) => m.connections.push(c),
                    None => s.connection = Some(c),
                }
            }
            b'b' => {
                let (kind, value) = split_once_byte(v, b':')
                    .and_then(|(k, n)| Some((k, n.trim().parse::<u64>().ok()?)))
                    .filter(|(k, _)| !k.is_empty())
                    .ok_or_else(|| err(vo, "b=<type>:<number>"))?;
                let bw = Bandwidth {
                    kind: Cow::Borrowed(kind),
                    value,
                };
                match s.media.last_mut() {
                    Some(m) => m.bandwidths.push(bw),
                    None => s.bandwidths.push(bw),
                }
            }
            b't' if !in_media => {
                let (a, z) = split_once_byte(v, b' ')
                    .and_then(|(a, z)| Some((a.parse().ok()?, z.parse().ok()?)))
                    .ok_or_else(|| err(vo, "t=<start> <stop>"))?;
                s.times.push(Timing {
                    start: a,
                    stop: z,
                    repeats: Vec::new(),
                });
            }
            b'r' if !in_media => match s.times.last_mut() {
                Some(t) => t.repeats.push(Cow::Borrowed(v)),
                None => return Err(err(off, "r= after a t= line")),
            },
            b'z' if !in_media => s.time_zones = Some(Cow::Borrowed(v)),
            b'k' => match s.media.last_mut() {
                Some(m) => m.key = Some(Cow::Borrowed(v)),
                None => s.key = Some(Cow::Borrowed(v)),
            },
            b'a' => {
                let (name, value) = match split_once_byte(v, b':') {
                    Some((n, val)) => (n, Some(Cow::Borrowed(val))),
                    None => (v, None),
                };
                if name.is_empty() || find_byte(name, b' ').is_some() {
                    return Err(err(vo, "an attribute name"));
                }
                let a = Attribute {
                    name: Cow::Borrowed(name),
                    value,
                };
                match s.media.last_mut() {
                    Some(m) => m.attributes.push(a),
                    None => s.attributes.push(a),
                }
            }
            b'm' => s.media.push(
                parse_media(v)
                    .ok_or_else(|| err(vo, "m=<media> <port>[/<count>] <proto> <fmt> ..."))?,
            ),
            _ => return Err(err(off, "a known SDP line type in this position")),
        }
    }
    let Some(s) = sd else {
        return Err(err(pos, if saw_version { "an o= line" } else { "v=0" }));
    };
    if !saw_name {
        return Err(err(pos, "an s= line"));
    }
    Ok(s)
}

/// The six `o=` fields; the error is what was expected.
fn parse_origin(v: &str) -> std::result::Result<Origin<'_>, &'static str> {
    let mut it = fields(v);
    let mut f = [""; 6];
    for x in f.iter_mut() {
        *x = it.next().unwrap_or("");
    }
    if it.next().is_some() || f.iter().any(|x| x.is_empty()) {
        return Err("six space-separated origin fields");
    }
    if !f[1].bytes().all(|c| c.is_ascii_digit()) || !f[2].bytes().all(|c| c.is_ascii_digit()) {
        return Err("numeric session id and version");
    }
    Ok(Origin {
        username: Cow::Borrowed(f[0]),
        session_id: Cow::Borrowed(f[1]),
        session_version: Cow::Borrowed(f[2]),
        net_type: Cow::Borrowed(f[3]),
        addr_type: Cow::Borrowed(f[4]),
        address: Cow::Borrowed(f[5]),
    })
}

/// The three `c=` fields, the address not checked.
fn connection_fields(v: &str) -> Option<Connection<'_>> {
    // One pass: the positions of the two spaces, and no third.
    let b = v.as_bytes();
    if b.first() == Some(&b' ') {
        return None;
    }
    let (mut s1, mut s2) = (0, 0);
    for (i, &c) in b.iter().enumerate() {
        if c == b' ' {
            match (s1, s2) {
                (0, _) => s1 = i,
                (_, 0) => s2 = i,
                _ => return None,
            }
        }
    }
    if s1 == 0 || s2 <= s1 + 1 || s2 + 1 >= b.len() {
        return None;
    }
    let (n, a, addr) = (v.get(..s1)?, v.get(s1 + 1..s2)?, v.get(s2 + 1..)?);
    Some(Connection {
        net_type: Cow::Borrowed(n),
        addr_type: Cow::Borrowed(a),
        address: Cow::Borrowed(addr),
    })
}

/// The three `c=` fields; an `IN IP4`/`IN IP6` address that looks like an IP address must be
/// one.
fn parse_connection(v: &str) -> Option<Connection<'_>> {
    let c = connection_fields(v)?;
    let (n, a, addr) = (&*c.net_type, &*c.addr_type, &*c.address);
    // IP4/IP6 addresses must be addresses (a FQDN is allowed by RFC 8866 but a broken
    // address is not).
    let host = split_once_byte(addr, b'/').map_or(addr, |(h, _)| h);
    let looks_ip =
        host.bytes().all(|b| b.is_ascii_digit() || b == b'.') || find_byte(host, b':').is_some();
    if n == "IN" && (a == "IP4" || a == "IP6") && looks_ip && c.ip().is_none() {
        return None;
    }
    Some(c)
}

/// The fields of an `m=` line, formats as one space-separated string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct MediaLine<'a> {
    kind: &'a str,
    port: u16,
    port_count: Option<u16>,
    protocol: &'a str,
    formats: &'a str,
}

/// Parses `<media> <port>[/<count>] <proto> <fmt> ...` (runs of spaces allowed).
fn parse_media_line(v: &str) -> Option<MediaLine<'_>> {
    let b = v.as_bytes();
    let n = b.len();
    let mut i = 0;
    let skip_spaces = |i: &mut usize| {
        while *i < n && b[*i] == b' ' {
            *i += 1;
        }
    };
    let to_space = |i: &mut usize| {
        while *i < n && b[*i] != b' ' {
            *i += 1;
        }
    };
    // Decimal digits only (a sign is not a port), leading zeros allowed.
    let number = |i: &mut usize| -> Option<u16> {
        let start = *i;
        let mut value = 0u32;
        while *i < n && b[*i].is_ascii_digit() {
            value = value * 10 + u32::from(b[*i] - b'0');
            if value > u32::from(u16::MAX) {
                return None;
            }
            *i += 1;
        }
        (*i > start).then_some(value as u16)
    };
    skip_spaces(&mut i);
    let kind_start = i;
    to_space(&mut i);
    let kind = v.get(kind_start..i)?;
    skip_spaces(&mut i);
    let port = number(&mut i)?;
    let port_count = if b.get(i) == Some(&b'/') {
        i += 1;
        Some(number(&mut i)?)
    } else {
        None
    };
    if b.get(i) != Some(&b' ') {
        return None;
    }
    skip_spaces(&mut i);
    let protocol_start = i;
    to_space(&mut i);
    let protocol = v.get(protocol_start..i)?;
    skip_spaces(&mut i);
    let mut end = n;
    while end > i && b[end - 1] == b' ' {
        end -= 1;
    }
    let formats = v.get(i..end)?;
    if kind.is_empty() || protocol.is_empty() || formats.is_empty() {
        return None;
    }
    Some(MediaLine {
        kind,
        port,
        port_count,
        protocol,
        formats,
    })
}

/// The formats of an `m=` line (`formats` as in [`MediaLine`]).
fn format_fields(formats: &str) -> impl Iterator<Item = &str> {
    fields(formats).filter(|x| !x.is_empty())
}

fn parse_media(v: &str) -> Option<Media<'_>> {
    let MediaLine {
        kind,
        port,
        port_count,
        protocol,
        formats: fmts,
    } = parse_media_line(v)?;
    let mut formats: Vec<Cow<'_, str>> = Vec::with_capacity(8);
    formats.extend(format_fields(fmts).map(Cow::Borrowed));
    Some(Media {
        kind: Cow::Borrowed(kind),
        port,
        port_count,
        protocol: Cow::Borrowed(protocol),
        formats,
        information: None,
        connections: Vec::new(),
        bandwidths: Vec::new(),
        key: None,
        // Typical audio sections carry 4-10 attributes; one allocation instead of three.
        attributes: Vec::with_capacity(8),
    })
}

impl fmt::Display for Connection<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.net_type, self.addr_type, self.address)
    }
}

impl fmt::Display for Attribute<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "a={}:{}\r\n", self.name, v),
            None => write!(f, "a={}\r\n", self.name),
        }
    }
}

impl fmt::Display for SessionDescription<'_> {
    /// The wire form, lines in RFC 8866 order, CRLF line ends.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.origin;
        write!(
            f,
            "v=0\r\no={} {} {} {} {} {}\r\ns={}\r\n",
            o.username,
            o.session_id,
            o.session_version,
            o.net_type,
            o.addr_type,
            o.address,
            self.session_name
        )?;
        if let Some(i) = &self.information {
            write!(f, "i={i}\r\n")?;
        }
        if let Some(u) = &self.uri {
            write!(f, "u={u}\r\n")?;
        }
        for e in &self.emails {
            write!(f, "e={e}\r\n")?;
        }
        for p in &self.phones {
            write!(f, "p={p}\r\n")?;
        }
        if let Some(c) = &self.connection {
            write!(f, "c={c}\r\n")?;
        }
        for b in &self.bandwidths {
            write!(f, "b={}:{}\r\n", b.kind, b.value)?;
        }
        for t in &self.times {
            write!(f, "t={} {}\r\n", t.start, t.stop)?;
            for r in &t.repeats {
                write!(f, "r={r}\r\n")?;
            }
        }
        if let Some(z) = &self.time_zones {
            write!(f, "z={z}\r\n")?;
        }
        if let Some(k) = &self.key {
            write!(f, "k={k}\r\n")?;
        }
        for a in &self.attributes {
            a.fmt(f)?;
        }
        for m in &self.media {
            write!(f, "m={} {}", m.kind, m.port)?;
            if let Some(n) = m.port_count {
                write!(f, "/{n}")?;
            }
            write!(f, " {}", m.protocol)?;
            for fmt_ in &m.formats {
                write!(f, " {fmt_}")?;
            }
            f.write_str("\r\n")?;
            if let Some(i) = &m.information {
                write!(f, "i={i}\r\n")?;
            }
            for c in &m.connections {
                write!(f, "c={c}\r\n")?;
            }
            for b in &m.bandwidths {
                write!(f, "b={}:{}\r\n", b.kind, b.value)?;
            }
            if let Some(k) = &m.key {
                write!(f, "k={k}\r\n")?;
            }
            for a in &m.attributes {
                a.fmt(f)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\no=alice 2890844526 2890844526 IN IP6 ::1\r\ns=call\r\ni=info\r\n\
u=http://example.com/x\r\ne=a@example.com\r\np=+1 555\r\nc=IN IP6 ::1\r\nb=AS:64\r\n\
t=0 0\r\nr=604800 3600 0 90000\r\nz=2882844526 -1h\r\nk=prompt\r\na=recvonly\r\n\
m=audio 49170 RTP/AVP 0 8 97 101\r\nc=IN IP4 127.0.0.1/127\r\nb=TIAS:64000\r\n\
a=rtpmap:97 iLBC/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n\
a=ptime:20\r\na=maxptime:40\r\nm=video 0/2 RTP/AVP 31\r\na=inactive\r\n";

    #[test]
    fn full_description() {
        let s = SessionDescription::parse(OFFER).unwrap();
        assert_eq!(s.origin.address, "::1");
        assert_eq!(
            s.connection.as_ref().unwrap().ip(),
            Some("::1".parse().unwrap())
        );
        assert_eq!(s.times[0].repeats.len(), 1);
        assert_eq!(s.media.len(), 2);
        let a = &s.media[0];
        assert_eq!(
            s.connection_for(a).unwrap().ip(),
            Some("127.0.0.1".parse().unwrap())
        );
        assert_eq!(a.payload_types().collect::<Vec<_>>(), vec![0, 8, 97, 101]);
        assert_eq!(a.rtpmap(97).unwrap().encoding, "iLBC");
        assert_eq!(a.rtpmap(8).unwrap().encoding, "PCMA");
        assert_eq!(a.fmtp(101), Some("0-15"));
        assert_eq!(a.ptime(), Some(20));
        assert_eq!(a.maxptime(), Some(40));
        assert_eq!(s.direction_of(a), Direction::RecvOnly);
        let v = &s.media[1];
        assert_eq!((v.port, v.port_count), (0, Some(2)));
        assert_eq!(s.direction_of(v), Direction::Inactive);
        assert_eq!(s.to_string(), OFFER);
    }

    #[test]
    fn errors_have_offsets() {
        let e = SessionDescription::parse("v=0\r\no=x\r\n").unwrap_err();
        assert_eq!(e.offset(), Some(7));
        assert!(SessionDescription::parse("o=- 1 1 IN IP4 127.0.0.1\r\n").is_err());
        assert!(
            SessionDescription::parse(
                "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 300.1.1.1\r\n"
            )
            .is_err()
        );
        assert!(
            SessionDescription::parse(
                "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nm=audio x RTP/AVP 0\r\n"
            )
            .is_err()
        );
        assert!(
            SessionDescription::parse("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nq=unknown\r\n")
                .is_err()
        );
    }

    #[test]
    fn ip_fast_path_matches_std() {
        for s in [
            "127.0.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "1..2.3",
            "1.2.3.",
            ".1.2.3",
            "1.2.3.0004",
            "1000.1.1.1",
            "",
            ".",
            "::1",
            "::ffff:1.2.3.4",
            "1.2.3.04",
            "10.0.0.12",
            "224.2.1.1/127/3",
            "::1/2",
            "/",
        ] {
            let host = s.split('/').next().unwrap();
            assert_eq!(parse_ip(s), host.parse().ok(), "{s:?}");
        }
        // Pseudo-random strings over the characters that matter, against std.
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..50_000 {
            let mut s = String::new();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            for k in 0..(x % 17) {
                s.push(b"0123456789.0/.25"[((x >> (4 * k)) & 15) as usize] as char);
            }
            let host = s.split('/').next().unwrap();
            assert_eq!(parse_ip(&s), host.parse().ok(), "{s:?}");
            let v4 = crate::scan::parse_ipv4(s.as_bytes(), b'/');
            assert_eq!(v4, host.parse().ok(), "{s:?}");
        }
        for (line, port) in [
            ("audio +4000 RTP/AVP 0", None),
            ("audio 04000 RTP/AVP 0", Some(4000)),
            ("audio 65536 RTP/AVP 0", None),
            ("audio 65535/2  RTP/AVP  0 8 ", Some(65535)),
            ("audio 4000/ RTP/AVP 0", None),
            ("audio 4000x RTP/AVP 0", None),
            ("audio 4000 RTP/AVP ", None),
        ] {
            assert_eq!(parse_media_line(line).map(|m| m.port), port, "{line:?}");
        }
        let m = parse_media_line("  video 0/2  RTP/AVP  31 32  ").unwrap();
        assert_eq!(
            (m.kind, m.port, m.port_count, m.protocol, m.formats),
            ("video", 0, Some(2), "RTP/AVP", "31 32")
        );
    }

    #[test]
    fn connection_fields_are_three() {
        let c = connection_fields("IN IP4 127.0.0.1/127").unwrap();
        assert_eq!(
            (&*c.net_type, &*c.addr_type, &*c.address),
            ("IN", "IP4", "127.0.0.1/127")
        );
        for bad in [
            " IN IP4 127.0.0.1",
            "IN  IP4 127.0.0.1",
            "IN IP4 ",
            "IN IP4",
            "IN IP4 a b",
            "",
            "IN",
        ] {
            assert!(connection_fields(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn builder() {
        let mut s = SessionDescription::new("-", 1, 2, "127.0.0.1".parse().unwrap());
        let mut m = Media::new("audio", 4000, "RTP/AVP", [0, 101]);
        m.push_rtpmap(0, "PCMU", 8000, None);
        m.push_rtpmap(101, "telephone-event", 8000, None);
        m.set_direction(Direction::SendOnly);
        m.set_direction(Direction::SendRecv);
        s.media.push(m);
        let text = s.to_string();
        let back = SessionDescription::parse(&text).unwrap();
        assert_eq!(back, s);
        assert_eq!(
            back.media[0]
                .attributes
                .iter()
                .filter(|a| a.value.is_none())
                .count(),
            1
        );
        assert_eq!(Direction::SendOnly.answer(), Direction::RecvOnly);
    }
}
