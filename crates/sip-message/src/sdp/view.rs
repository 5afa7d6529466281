//! A borrowed, allocation-free view of an SDP body: lines are checked and indexed in one
//! pass, fields are sliced from the body when asked.
//!
//! [`SdpView::parse`] checks what every reader relies on (UTF-8, `<letter>=<value>` lines,
//! `v=0` then `o=`, an `s=` line, each line type where RFC 8866 allows it, well-formed `m=`
//! lines) and records a few offsets; it allocates nothing. The other fields (`o=`, `c=`,
//! `a=rtpmap`, ...) are parsed by their accessors, so a malformed one fails only its
//! accessor, as with SIP headers. [`SdpView::to_description`] builds the owned
//! [`SessionDescription`] (which checks every line) when the whole model is needed.
//!
//! Every accessor agrees with the same accessor of the [`SessionDescription`] parsed from
//! the same text (the fuzz target `sdp` checks this).

use super::{
    Attribute, Connection, Direction, MediaLine, Origin, RtpMap, SessionDescription,
    connection_fields, fmtp_value, format_fields, parse_media_line, parse_origin, rtpmap_value,
    split_once_byte, static_rtpmap,
};
use crate::error::{Error, Result};

/// Marks an absent offset.
const NONE: u32 = u32::MAX;

/// `m=` sections indexed by the parse (an offer rarely has more than audio and video; later
/// ones are found by scanning when iterated).
const INDEXED: usize = 2;

/// Where an `m=` section is, and its `m=` line as parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Section<'a> {
    /// Offset of the `m=` line.
    start: u32,
    /// End of the section (the next `m=` line or the end of the body).
    end: u32,
    /// Offset of the section's first `c=` value, or `NONE`.
    connection: u32,
    line: MediaLine<'a>,
}

const NO_SECTION: Section<'static> = Section {
    start: NONE,
    end: NONE,
    connection: NONE,
    line: MediaLine {
        kind: "",
        port: 0,
        port_count: None,
        protocol: "",
        formats: "",
    },
};

/// A parsed SDP body that borrows from it and allocates nothing.
///
/// ```
/// use sip_message::sdp::{Direction, SdpView};
/// let body = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
///             m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n";
/// let sdp = SdpView::parse(body).unwrap();
/// let audio = sdp.media().next().unwrap();
/// assert_eq!((audio.kind(), audio.port()), ("audio", 4000));
/// let c = sdp.connection_for(&audio).unwrap().unwrap();
/// assert_eq!(c.ip(), Some("127.0.0.1".parse().unwrap()));
/// assert_eq!(audio.rtpmap(101).unwrap().encoding, "telephone-event");
/// assert_eq!(audio.rtpmap(0).unwrap().encoding, "PCMU"); // static payload type
/// assert_eq!(sdp.direction_of(&audio), Direction::SendOnly);
/// // The owned model, when it is needed (to edit or re-serialize):
/// assert_eq!(sdp.to_description().unwrap().media[0].port, 4000);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SdpView<'a> {
    text: &'a str,
    /// Offset of `text` in the input, for error offsets.
    base: usize,
    /// Offset of the `o=` value.
    origin: u32,
    /// Offset of the last `s=` value.
    name: u32,
    /// Offset of the last session-level `c=` value, or `NONE`.
    connection: u32,
    /// Offset of the first `m=` line (`text.len()` if none).
    media: u32,
    media_count: u32,
    sections: [Section<'a>; INDEXED],
}

/// The value of the line whose value starts at `off` (up to the line end, CR removed).
fn value_at(text: &str, off: usize) -> &str {
    let rest = text.get(off..).unwrap_or("");
    let end = crate::scan::find_byte(rest.as_bytes(), b'\n').unwrap_or(rest.len());
    let v = rest.get(..end).unwrap_or("");
    v.strip_suffix('\r').unwrap_or(v)
}

impl<'a> SdpView<'a> {
    /// Checks and indexes an SDP body (CRLF or LF line ends).
    pub fn parse(text: &'a str) -> Result<SdpView<'a>> {
        view_at(text.as_bytes(), 0)
    }

    /// The whole body.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// `o=`, parsed now.
    pub fn origin(&self) -> Result<Origin<'a>> {
        let off = self.origin as usize;
        parse_origin(value_at(self.text, off)).map_err(|e| Error::syntax("SDP", self.base + off, e))
    }

    /// `s=` (the last one if repeated, as in [`SessionDescription`]).
    pub fn session_name(&self) -> &'a str {
        value_at(self.text, self.name as usize)
    }

    /// The session-level `c=` (the last one if repeated), parsed now. The address is not
    /// checked: [`Connection::ip`] is `None` when it is not an IP address.
    pub fn connection(&self) -> Option<Result<Connection<'a>>> {
        (self.connection != NONE).then(|| connection_at(self.text, self.base, self.connection))
    }

    /// Number of `m=` sections.
    pub fn media_count(&self) -> usize {
        self.media_count as usize
    }

    /// The `m=` sections in order.
    pub fn media(&self) -> MediaViews<'a> {
        MediaViews {
            text: self.text,
            base: self.base,
            pos: self.media as usize,
            index: 0,
            sections: self.sections,
        }
    }

    /// The session-level lines (before the first `m=`) as `(type letter, value)`.
    pub fn lines(&self) -> SdpLines<'a> {
        SdpLines::new(self.text.get(..self.media as usize).unwrap_or(""))
    }

    /// The session-level `a=` lines.
    pub fn attributes(&self) -> impl Iterator<Item = Attribute<'a>> + 'a {
        attributes(self.lines())
    }

    /// The first session-level attribute called `name`.
    pub fn attribute(&self, name: &str) -> Option<Attribute<'a>> {
        self.attributes().find(|a| a.name == name)
    }

    /// The connection that applies to `media`: its own first `c=`, else the session's.
    pub fn connection_for(&self, media: &MediaView<'a>) -> Option<Result<Connection<'a>>> {
        media.connection().or_else(|| self.connection())
    }

    /// The effective direction of `media`: media-level attribute, else session-level, else
    /// sendrecv (RFC 8866 §6.7).
    pub fn direction_of(&self, media: &MediaView<'_>) -> Direction {
        media
            .direction()
            .or_else(|| direction_of_attrs(self.attributes()))
            .unwrap_or(Direction::SendRecv)
    }

    /// Parses every line into the owned model (an error for any malformed line).
    pub fn to_description(&self) -> Result<SessionDescription<'a>> {
        super::parse_at(self.text.as_bytes(), self.base)
    }
}

fn connection_at(text: &str, base: usize, off: u32) -> Result<Connection<'_>> {
    connection_fields(value_at(text, off as usize)).ok_or_else(|| {
        Error::syntax(
            "SDP",
            base + off as usize,
            "c=<nettype> <addrtype> <address>",
        )
    })
}

fn attributes<'a>(lines: SdpLines<'a>) -> impl Iterator<Item = Attribute<'a>> + 'a {
    lines.filter(|(t, _)| *t == b'a').map(|(_, v)| {
        let (name, value) = match split_once_byte(v, b':') {
            Some((n, val)) => (n, Some(val.into())),
            None => (v, None),
        };
        Attribute {
            name: name.into(),
            value,
        }
    })
}

/// The last direction attribute, as [`SessionDescription::direction_of`] reads it.
fn direction_of_attrs<'a>(attrs: impl Iterator<Item = Attribute<'a>>) -> Option<Direction> {
    attrs.filter_map(|a| Direction::from_name(&a.name)).last()
}

/// Lines of an SDP text as `(type letter, value)`, empty lines skipped.
#[derive(Clone, Debug)]
pub struct SdpLines<'a> {
    rest: &'a str,
}

impl<'a> SdpLines<'a> {
    fn new(text: &'a str) -> Self {
        SdpLines { rest: text }
    }
}

impl<'a> Iterator for SdpLines<'a> {
    type Item = (u8, &'a str);
    fn next(&mut self) -> Option<(u8, &'a str)> {
        loop {
            if self.rest.is_empty() {
                return None;
            }
            let b = self.rest.as_bytes();
            let end = crate::scan::find_byte(b, b'\n').unwrap_or(b.len());
            let line = self.rest.get(..end).unwrap_or("");
            self.rest = self.rest.get(end + 1..).unwrap_or("");
            let line = line.strip_suffix('\r').unwrap_or(line);
            // Lines were checked to be `<letter>=...` by the view's parse.
            if let Some(v) = line.get(2..) {
                return Some((line.as_bytes()[0], v));
            }
        }
    }
}

/// Iterator over the `m=` sections of an [`SdpView`].
#[derive(Clone, Debug)]
pub struct MediaViews<'a> {
    text: &'a str,
    base: usize,
    /// Offset of the next `m=` line.
    pos: usize,
    /// Number of sections returned.
    index: usize,
    sections: [Section<'a>; INDEXED],
}

impl<'a> Iterator for MediaViews<'a> {
    type Item = MediaView<'a>;
    fn next(&mut self) -> Option<MediaView<'a>> {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        if start >= bytes.len() {
            return None;
        }
        let line_end =
            crate::scan::find_byte(&bytes[start..], b'\n').map_or(bytes.len(), |i| start + i);
        let body = (line_end + 1).min(bytes.len());
        let (line, i, connection) = match self.sections.get(self.index) {
            Some(s) if s.start as usize == start => (s.line, s.end as usize, s.connection),
            _ => {
                let m = self.text.get(start + 2..line_end).unwrap_or("");
                let line = parse_media_line(m.strip_suffix('\r').unwrap_or(m))?;
                let (end, connection) = scan_section(bytes, body);
                (line, end, connection)
            }
        };
        let MediaLine {
            kind,
            port,
            port_count,
            protocol,
            formats,
        } = line;
        self.index += 1;
        self.pos = i;
        Some(MediaView {
            text: self.text,
            base: self.base,
            offset: start as u32,
            body: body as u32,
            end: i as u32,
            connection,
            kind,
            port,
            port_count,
            protocol,
            formats,
        })
    }
}

/// Finds the end of the section whose lines start at `i` (the next `m=` line) and its first
/// `c=` value.
fn scan_section(bytes: &[u8], mut i: usize) -> (usize, u32) {
    let mut connection = NONE;
    while i < bytes.len() {
        if bytes.get(i + 1) == Some(&b'=') {
            match bytes[i] {
                b'm' => break,
                b'c' if connection == NONE => connection = (i + 2) as u32,
                _ => {}
            }
        }
        i = crate::scan::find_byte(&bytes[i..], b'\n').map_or(bytes.len(), |j| i + j + 1);
    }
    (i, connection)
}

/// One `m=` section of an [`SdpView`]; the `m=` fields are parsed, the other lines are read
/// when asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MediaView<'a> {
    text: &'a str,
    base: usize,
    /// Offset of the `m=` line.
    offset: u32,
    /// Offset of the line after the `m=` line.
    body: u32,
    /// End of the section.
    end: u32,
    /// Offset of the first `c=` value, or `NONE`.
    connection: u32,
    kind: &'a str,
    port: u16,
    port_count: Option<u16>,
    protocol: &'a str,
    formats: &'a str,
}

impl<'a> MediaView<'a> {
    /// Media type (`audio`, `video`, ...).
    pub fn kind(&self) -> &'a str {
        self.kind
    }

    /// Transport port (0 = rejected / disabled stream).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `/<number of ports>`
    pub fn port_count(&self) -> Option<u16> {
        self.port_count
    }

    /// Transport protocol (`RTP/AVP`, ...).
    pub fn protocol(&self) -> &'a str {
        self.protocol
    }

    /// Formats (RTP payload type numbers for RTP protocols), as text.
    pub fn formats(&self) -> impl Iterator<Item = &'a str> + 'a {
        format_fields(self.formats)
    }

    /// Payload type numbers of the formats that are numbers.
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + 'a {
        self.formats().filter_map(|f| f.parse().ok())
    }

    /// Byte offset of the `m=` line in the input given to the parser.
    pub fn offset(&self) -> usize {
        self.base + self.offset as usize
    }

    /// The section's lines after `m=`, as `(type letter, value)`.
    pub fn lines(&self) -> SdpLines<'a> {
        SdpLines::new(
            self.text
                .get(self.body as usize..self.end as usize)
                .unwrap_or(""),
        )
    }

    /// The first media-level `c=`, parsed now (see [`SdpView::connection_for`]).
    pub fn connection(&self) -> Option<Result<Connection<'a>>> {
        (self.connection != NONE).then(|| connection_at(self.text, self.base, self.connection))
    }

    /// Media-level `i=` (the last one, as in [`super::Media`]).
    pub fn information(&self) -> Option<&'a str> {
        self.lines().filter(|(t, _)| *t == b'i').map(|l| l.1).last()
    }

    /// The media-level `a=` lines.
    pub fn attributes(&self) -> impl Iterator<Item = Attribute<'a>> + 'a {
        attributes(self.lines())
    }

    /// The first attribute called `name`.
    pub fn attribute(&self, name: &str) -> Option<Attribute<'a>> {
        self.attributes().find(|a| a.name == name)
    }

    /// Values of the attributes called `name`, without building [`Attribute`]s.
    fn values(&self, name: &'static str) -> impl Iterator<Item = &'a str> + 'a {
        self.lines().filter_map(move |(t, v)| {
            let rest = v.strip_prefix(name)?.strip_prefix(':')?;
            (t == b'a').then_some(rest)
        })
    }

    /// The rtpmap for a payload type: its `a=rtpmap` line, or the RFC 3551 static mapping.
    pub fn rtpmap(&self, pt: u8) -> Option<RtpMap<'a>> {
        self.rtpmaps()
            .find(|m| m.payload_type == pt)
            .or_else(|| static_rtpmap(pt))
    }

    /// Every valid `a=rtpmap` line.
    pub fn rtpmaps(&self) -> impl Iterator<Item = RtpMap<'a>> + 'a {
        self.values("rtpmap").filter_map(rtpmap_value)
    }

    /// The `a=fmtp` parameters for a payload type.
    pub fn fmtp(&self, pt: u8) -> Option<&'a str> {
        self.values("fmtp").find_map(|v| fmtp_value(v, pt))
    }

    /// `a=ptime` in milliseconds.
    pub fn ptime(&self) -> Option<u32> {
        self.attribute("ptime")?.value?.trim().parse().ok()
    }

    /// `a=maxptime` in milliseconds.
    pub fn maxptime(&self) -> Option<u32> {
        self.attribute("maxptime")?.value?.trim().parse().ok()
    }

    /// The media-level direction attribute, if any (see [`SdpView::direction_of`]).
    pub fn direction(&self) -> Option<Direction> {
        direction_of_attrs(self.attributes())
    }
}

/// Newline positions, eight bytes at a time (SDP lines are 10-40 bytes, where a call to a
/// vectorised search costs more than the search).
struct LineEnds<'b> {
    bytes: &'b [u8],
    /// Offset of the word `mask` describes.
    word: usize,
    /// One high bit per `\n` byte of the word not yet returned.
    mask: u64,
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

impl<'b> LineEnds<'b> {
    fn new(bytes: &'b [u8]) -> Self {
        let mut ends = LineEnds {
            bytes,
            word: 0,
            mask: 0,
        };
        ends.load();
        ends
    }

    /// Reads the word at `self.word` (zero-padded past the end).
    #[inline]
    fn load(&mut self) {
        let mut buf = [0u8; 8];
        let w = match self.bytes.get(self.word..self.word + 8) {
            Some(b) => u64::from_le_bytes(b.try_into().unwrap_or(buf)),
            None => {
                let tail = self.bytes.get(self.word..).unwrap_or(&[]);
                buf[..tail.len()].copy_from_slice(tail);
                u64::from_le_bytes(buf)
            }
        };
        // Exact zero-byte test on w ^ "\n\n\n...": high bit of each byte that was '\n'.
        let x = w ^ (LO * u64::from(b'\n'));
        self.mask = !(((x & HI7) + HI7) | x | HI7);
    }
}

impl Iterator for LineEnds<'_> {
    type Item = usize;
    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            self.word += 8;
            if self.word >= self.bytes.len() {
                return None;
            }
            self.load();
        }
        let at = self.word + (self.mask.trailing_zeros() / 8) as usize;
        self.mask &= self.mask - 1;
        Some(at)
    }
}

/// Line types allowed before the first `m=` (RFC 8866 §5), one bit per letter.
const SESSION_LINES: u32 = letters(b"siuepcbtrzkam");
/// Line types allowed in an `m=` section.
const MEDIA_LINES: u32 = letters(b"icbkam");

const fn letters(l: &[u8]) -> u32 {
    let mut bits = 0;
    let mut i = 0;
    while i < l.len() {
        bits |= 1 << (l[i] - b'a');
        i += 1;
    }
    bits
}

/// Checks and indexes `body`; `base` is its offset in the message for error offsets.
pub(crate) fn view_at(body: &[u8], base: usize) -> Result<SdpView<'_>> {
    let err = |off: usize, expected: &'static str| Error::syntax("SDP", base + off, expected);
    let text = crate::scan::utf8(body).map_err(|e| err(e.valid_up_to(), "UTF-8 text"))?;
    if text.len() >= NONE as usize {
        return Err(err(0, "an SDP body under 4 GiB"));
    }
    let bytes = text.as_bytes();
    let mut view = SdpView {
        text,
        base,
        origin: NONE,
        name: NONE,
        connection: NONE,
        media: NONE,
        media_count: 0,
        sections: [NO_SECTION; INDEXED],
    };
    let mut saw_version = false;
    let mut saw_time = false;
    let mut pos = 0usize;
    let mut ends = LineEnds::new(bytes);
    while pos < bytes.len() {
        let off = pos;
        let end = ends.next().unwrap_or(bytes.len());
        pos = end + 1;
        // `end` is the '\n' (or the text end); a CR before it is not part of the line.
        let (c, eq) = match bytes.get(off..end) {
            Some([c, eq, ..]) => (*c, *eq),
            Some([] | [b'\r']) => continue,
            _ => (0, 0),
        };
        if eq != b'=' || !c.is_ascii_lowercase() {
            return Err(err(off, "a line of the form <letter>=<value>"));
        }
        if c == b'a' && view.origin != NONE {
            // The most common line, allowed everywhere after o=.
            continue;
        }
        let vo = off + 2;
        let value_end = if bytes[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        if view.origin == NONE {
            if !saw_version {
                if c != b'v' {
                    return Err(err(off, "v=0 as the first line"));
                }
                if bytes.get(vo..value_end) != Some(b"0") {
                    return Err(err(vo, "version 0"));
                }
                saw_version = true;
                continue;
            }
            if c != b'o' {
                return Err(err(off, "o= after v="));
            }
            view.origin = vo as u32;
            continue;
        }
        let allowed = if view.media_count == 0 {
            SESSION_LINES
        } else {
            MEDIA_LINES
        };
        if allowed & (1 << (c - b'a')) == 0 {
            return Err(err(off, "a known SDP line type in this position"));
        }
        match c {
            b'm' => {
                let line = text
                    .get(vo..value_end)
                    .and_then(parse_media_line)
                    .ok_or_else(|| err(vo, "m=<media> <port>[/<count>] <proto> <fmt> ..."))?;
                let n = view.media_count as usize;
                if n == 0 {
                    view.media = off as u32;
                }
                if let Some(s) = view.sections.get_mut(n.wrapping_sub(1)) {
                    s.end = off as u32;
                }
                if let Some(s) = view.sections.get_mut(n) {
                    s.start = off as u32;
                    s.line = line;
                }
                view.media_count += 1;
            }
            b'c' if view.media_count == 0 => view.connection = vo as u32,
            b'c' => {
                let n = view.media_count as usize;
                if let Some(s) = view.sections.get_mut(n - 1)
                    && s.connection == NONE
                {
                    s.connection = vo as u32;
                }
            }
            b's' => view.name = vo as u32,
            b't' => saw_time = true,
            b'r' if !saw_time => return Err(err(off, "r= after a t= line")),
            _ => {}
        }
    }
    if !saw_version {
        return Err(err(pos, "v=0"));
    }
    if view.origin == NONE {
        return Err(err(pos, "an o= line"));
    }
    if view.name == NONE {
        return Err(err(pos, "an s= line"));
    }
    if view.media == NONE {
        view.media = bytes.len() as u32;
    }
    if let Some(s) = view
        .sections
        .get_mut((view.media_count as usize).wrapping_sub(1))
    {
        s.end = bytes.len() as u32;
    }
    Ok(view)
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
    fn agrees_with_the_owned_model() {
        let v = SdpView::parse(OFFER).unwrap();
        let s = SessionDescription::parse(OFFER).unwrap();
        assert_eq!(v.origin().unwrap(), s.origin);
        assert_eq!(v.session_name(), "call");
        assert_eq!(
            v.connection().unwrap().unwrap(),
            s.connection.clone().unwrap()
        );
        assert_eq!(v.media_count(), 2);
        assert_eq!(v.attribute("recvonly").unwrap().value, None);
        let media: Vec<_> = v.media().collect();
        assert_eq!(media.len(), 2);
        for (mv, m) in media.iter().zip(&s.media) {
            assert_eq!(mv.kind(), m.kind);
            assert_eq!((mv.port(), mv.port_count()), (m.port, m.port_count));
            assert_eq!(mv.protocol(), m.protocol);
            assert!(mv.formats().eq(m.formats.iter().map(|f| &**f)));
            assert!(mv.payload_types().eq(m.payload_types()));
            assert_eq!(
                v.connection_for(mv).unwrap().unwrap(),
                *s.connection_for(m).unwrap()
            );
            assert_eq!(v.direction_of(mv), s.direction_of(m));
            assert!(mv.attributes().eq(m.attributes.iter().cloned()));
            assert!(mv.rtpmaps().eq(m.rtpmaps()));
            for pt in m.payload_types() {
                assert_eq!(mv.rtpmap(pt), m.rtpmap(pt));
                assert_eq!(mv.fmtp(pt), m.fmtp(pt));
            }
            assert_eq!((mv.ptime(), mv.maxptime()), (m.ptime(), m.maxptime()));
        }
        let a = &media[0];
        assert_eq!(a.connection().unwrap().unwrap().address, "127.0.0.1/127");
        assert_eq!(a.rtpmap(97).unwrap().encoding, "iLBC");
        assert_eq!(a.fmtp(101), Some("0-15"));
        assert_eq!(a.ptime(), Some(20));
        assert_eq!(v.direction_of(a), Direction::RecvOnly);
        assert_eq!(&OFFER[a.offset()..a.offset() + 8], "m=audio ");
        assert_eq!(v.direction_of(&media[1]), Direction::Inactive);
        assert!(media[1].connection().is_none());
        assert_eq!(v.to_description().unwrap(), s);
    }

    #[test]
    fn many_sections_beyond_the_index() {
        let mut t =
            String::from("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n");
        for i in 0..7u16 {
            t.push_str(&format!("m=audio {} RTP/AVP 0\r\n", 4000 + i));
            if i % 2 == 1 {
                t.push_str(&format!(
                    "a=x\r\nc=IN IP4 127.0.0.{i}\r\nc=IN IP4 127.0.1.1\r\n"
                ));
            }
            t.push('\n');
        }
        let v = SdpView::parse(&t).unwrap();
        let s = SessionDescription::parse(&t).unwrap();
        assert_eq!(v.media_count(), 7);
        assert_eq!(v.media().count(), 7);
        for (mv, m) in v.media().zip(&s.media) {
            assert_eq!(mv.port(), m.port);
            assert_eq!(
                v.connection_for(&mv).unwrap().unwrap(),
                *s.connection_for(m).unwrap()
            );
            assert_eq!(mv.lines().count(), m.attributes.len() + m.connections.len());
        }
    }

    #[test]
    fn lf_line_ends_and_no_media() {
        let v = SdpView::parse("v=0\no=- 1 1 IN IP4 127.0.0.1\ns=x\n\nt=0 0").unwrap();
        assert_eq!(v.session_name(), "x");
        assert_eq!(v.media().count(), 0);
        assert!(v.connection().is_none());
        assert_eq!(v.lines().map(|l| l.0).collect::<Vec<_>>(), b"vost");
    }

    #[test]
    fn structural_errors_have_offsets() {
        let e = |t: &str| SdpView::parse(t).unwrap_err().offset();
        assert_eq!(e("o=- 1 1 IN IP4 127.0.0.1\r\n"), Some(0));
        assert_eq!(e("v=1\r\n"), Some(2));
        assert_eq!(e("v=0\r\ns=-\r\n"), Some(5));
        assert_eq!(e("v=0\r\no=x\r\n"), Some(10));
        assert_eq!(e("v=0\r\no=x\r\ns=-\r\nm=audio x RTP/AVP 0\r\n"), Some(17));
        assert_eq!(e("v=0\r\no=x\r\ns=-\r\nq=unknown\r\n"), Some(15));
        assert_eq!(
            e("v=0\r\no=x\r\ns=-\r\nm=audio 1 RTP/AVP 0\r\nt=0 0\r\n"),
            Some(36)
        );
        assert_eq!(e("v=0\r\no=x\r\ns=-\r\nr=1 2 3\r\n"), Some(15));
        assert_eq!(e("v=0\r\nbad\r\n"), Some(5));
    }

    #[test]
    fn field_errors_fail_only_their_accessor() {
        let t = "v=0\r\no=x\r\ns=-\r\nc=IN IP4 300.1.1.1\r\nm=audio 1 RTP/AVP 0\r\n";
        let v = SdpView::parse(t).unwrap();
        assert_eq!(v.origin().unwrap_err().offset(), Some(7));
        // The view does not check the address; `ip` reports it (the owned parse rejects it).
        assert_eq!(v.connection().unwrap().unwrap().ip(), None);
        let m = v.media().next().unwrap();
        assert_eq!(v.connection_for(&m).unwrap().unwrap().address, "300.1.1.1");
        assert_eq!(m.port(), 1);
        assert!(v.to_description().is_err());
        let v = SdpView::parse("v=0\r\no=x\r\ns=-\r\nc=IN IP4\r\n").unwrap();
        assert_eq!(v.connection().unwrap().unwrap_err().offset(), Some(17));
    }
}
