//! The first layer: one pass over the bytes that finds the start line, every header field
//! (name id, name and value ranges, folded lines joined) and the body, without copying.
//!
//! The same pass serves datagrams ([`SipMessage::parse`](crate::SipMessage::parse)) and
//! streams ([`message_length`]): on a stream it reports "need more bytes" instead of failing.

use crate::error::{Error, Result};
use crate::header_name::{HOT, HOT_SLOTS, HeaderName, NO_SLOT, NameId};
use crate::limits::ParseLimits;
use crate::scan;
use smallvec::SmallVec;

/// One header field in the index. Offsets are into the message buffer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HeaderEntry {
    pub(crate) id: NameId,
    pub(crate) name_len: u16,
    pub(crate) name_start: u32,
    pub(crate) value_start: u32,
    pub(crate) value_end: u32,
}

/// Header index: inline for typical messages, so parsing them does not allocate.
pub(crate) type HeaderIndex = SmallVec<[HeaderEntry; 24]>;

/// Index in the [`HeaderIndex`] of the first field of each of the headers
/// `header_name::HOT` lists (`NO_SLOT`: none among the first 255 fields).
pub(crate) type HotIndex = [u8; HOT_SLOTS];

#[derive(Clone, Copy, Debug)]
pub(crate) enum Line {
    Request {
        method_end: u32,
        uri_start: u32,
        uri_end: u32,
    },
    Response {
        code: u16,
        reason_start: u32,
        reason_end: u32,
    },
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Head {
    /// Offset of the start line (after keep-alive CR/LF bytes).
    pub(crate) start: usize,
    pub(crate) line: Line,
    /// Offset of the empty line that ends the headers.
    pub(crate) headers_end: usize,
    pub(crate) body_start: usize,
    pub(crate) content_length: Option<usize>,
}

/// Number of leading CR and LF bytes: keep-alives (RFC 5626 §4.4.1 `CRLFCRLF` pings, or
/// stray CRLFs before a message, which RFC 3261 §7.5 says to ignore).
pub fn keepalive_len(buf: &[u8]) -> usize {
    buf.iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count()
}

/// Stream framing: how many bytes the message at the start of `buf` takes, including any
/// leading keep-alive CR/LF bytes (see [`keepalive_len`]).
///
/// `Ok(None)` means more bytes are needed. Over a stream, Content-Length is mandatory
/// (RFC 3261 §18.3), so a complete header section without it is an error, as is anything
/// over `limits`.
///
/// ```
/// use sip_message::{message_length, ParseLimits};
/// let msg = b"OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nContent-Length: 2\r\n\r\nhiNEXT";
/// let limits = ParseLimits::default();
/// assert_eq!(message_length(&msg[..20], &limits).unwrap(), None);
/// assert_eq!(message_length(msg, &limits).unwrap(), Some(msg.len() - 4));
/// ```
pub fn message_length(buf: &[u8], limits: &ParseLimits) -> Result<Option<usize>> {
    let mut idx = HeaderIndex::new();
    let mut hot = [NO_SLOT; HOT_SLOTS];
    let Some(head) = scan_head(buf, limits, &mut idx, &mut hot)? else {
        return Ok(None);
    };
    let Some(len) = head.content_length else {
        return Err(Error::MissingHeader {
            name: "Content-Length",
            offset: head.headers_end,
        });
    };
    let total = head.body_start.saturating_add(len);
    if total - head.start > limits.max_message_size {
        return Err(Error::TooLarge {
            offset: head.start + limits.max_message_size,
            limit: limits.max_message_size,
        });
    }
    Ok((buf.len() >= total).then_some(total))
}

/// Scans the start line and headers. `Ok(None)`: the empty line ending the headers is not
/// in `buf` yet.
pub(crate) fn scan_head(
    buf: &[u8],
    limits: &ParseLimits,
    headers: &mut HeaderIndex,
    hot: &mut HotIndex,
) -> Result<Option<Head>> {
    headers.clear();
    *hot = [NO_SLOT; HOT_SLOTS];
    // Offsets are stored as u32: whatever the configured limit, nothing past 4 GiB is read.
    let buf = &buf[..buf.len().min(u32::MAX as usize)];
    let start = keepalive_len(buf);
    let too_large = |upto: usize| -> Result<()> {
        if upto - start > limits.max_message_size {
            Err(Error::TooLarge {
                offset: start + limits.max_message_size,
                limit: limits.max_message_size,
            })
        } else {
            Ok(())
        }
    };
    let Some(nl) = scan::find_newline(buf, start).map(|e| e - start) else {
        too_large(buf.len())?;
        if buf.len() - start > limits.max_header_len {
            return Err(Error::HeaderTooLong {
                offset: start,
                limit: limits.max_header_len,
            });
        }
        return Ok(None);
    };
    let eol = start + nl;
    let line_end = if eol > start && buf[eol - 1] == b'\r' {
        eol - 1
    } else {
        eol
    };
    if line_end - start > limits.max_header_len {
        return Err(Error::HeaderTooLong {
            offset: start,
            limit: limits.max_header_len,
        });
    }
    let line = parse_start_line(buf, start, line_end)?;
    let mut pos = eol + 1;
    // The first Content-Length field and whether there are more; the value is read once
    // the header section is complete, so a partial stream buffer never fails on it.
    let mut cl_at: Option<usize> = None;
    let mut cl_more = false;
    let cl_id = HeaderName::ContentLength.id();
    loop {
        too_large(pos)?;
        let Some(&first) = buf.get(pos) else {
            return Ok(None);
        };
        // End of headers?
        if first == b'\n' || first == b'\r' {
            let body_start = if first == b'\n' {
                pos + 1
            } else {
                match buf.get(pos + 1) {
                    None => return Ok(None),
                    Some(b'\n') => pos + 2,
                    Some(_) => {
                        return Err(Error::syntax("header", pos + 1, "LF after CR"));
                    }
                }
            };
            let content_length = match (cl_at, cl_more) {
                (None, _) => None,
                (Some(i), false) => Some(content_length_of(buf, &headers[i])?),
                (Some(_), true) => Some(content_length_value(buf, headers, cl_id)?),
            };
            return Ok(Some(Head {
                start,
                line,
                headers_end: pos,
                body_start,
                content_length,
            }));
        }
        // Registered name and ':' (nearly every line): found without walking the name.
        let fast = if first == b' ' || first == b'\t' {
            None
        } else {
            crate::header_name::lookup_line(buf, pos)
        };
        let from = fast.map_or(pos, |(_, n)| pos + n + 1);
        let Some(eol) = scan::find_newline(buf, from) else {
            too_large(buf.len())?;
            return Ok(None);
        };
        // `first` is not LF, so eol > pos.
        let mut end = if buf[eol - 1] == b'\r' { eol - 1 } else { eol };
        if first == b' ' || first == b'\t' {
            // Folded continuation of the previous header (RFC 3261 §7.3.1).
            let Some(last) = headers.last_mut() else {
                return Err(Error::syntax(
                    "header",
                    pos,
                    "a header name (not a continuation line)",
                ));
            };
            while end > pos && matches!(buf[end - 1], b' ' | b'\t') {
                end -= 1;
            }
            if end > pos {
                if last.value_start == last.value_end {
                    let mut s = pos;
                    while matches!(buf[s], b' ' | b'\t') {
                        s += 1;
                    }
                    last.value_start = s as u32;
                }
                last.value_end = end as u32;
            }
            if end - last.name_start as usize > limits.max_header_len {
                return Err(Error::HeaderTooLong {
                    offset: last.name_start as usize,
                    limit: limits.max_header_len,
                });
            }
            pos = eol + 1;
            continue;
        }
        if end - pos > limits.max_header_len {
            return Err(Error::HeaderTooLong {
                offset: pos,
                limit: limits.max_header_len,
            });
        }
        let line = &buf[pos..end];
        let (id, name_len, mut p) = match fast {
            Some((id, n)) => (id, n, n + 1),
            None => {
                // name *(SP/HT) ":" *(SP/HT) value
                let name_len = scan::token_len(line);
                if name_len == 0 {
                    return Err(Error::syntax("header", pos, "a header name"));
                }
                let mut p = name_len;
                if line.get(p) != Some(&b':') {
                    p += skip_sp(&line[p..]);
                    if line.get(p) != Some(&b':') {
                        return Err(Error::syntax(
                            "header",
                            pos + p,
                            "':' after the header name",
                        ));
                    }
                }
                (HeaderName::lookup(&line[..name_len]), name_len, p + 1)
            }
        };
        p += skip_sp(&line[p..]);
        let mut vend = line.len();
        while vend > p && matches!(line[vend - 1], b' ' | b'\t') {
            vend -= 1;
        }
        if headers.len() >= limits.max_headers {
            return Err(Error::TooManyHeaders {
                offset: pos,
                limit: limits.max_headers,
            });
        }
        if let Some(first) = hot.get_mut(usize::from(HOT[usize::from(id)]))
            && *first == NO_SLOT
        {
            // Past 255 fields the slot stays empty and readers walk the index.
            *first = u8::try_from(headers.len()).unwrap_or(NO_SLOT);
        }
        if id == cl_id {
            if cl_at.is_none() {
                cl_at = Some(headers.len());
            } else {
                cl_more = true;
            }
        }
        headers.push(HeaderEntry {
            id,
            // Bounded by max_header_len, but clamp in case the limit is configured higher.
            name_len: u16::try_from(name_len).map_err(|_| Error::HeaderTooLong {
                offset: pos,
                limit: usize::from(u16::MAX),
            })?,
            name_start: pos as u32,
            value_start: (pos + p) as u32,
            value_end: (pos + vend) as u32,
        });
        pos = eol + 1;
    }
}

/// Number of leading SP/HT bytes.
#[inline]
fn skip_sp(s: &[u8]) -> usize {
    s.iter().take_while(|&&b| b == b' ' || b == b'\t').count()
}

/// All Content-Length fields must agree (RFC 7230 §3.3.2 reasoning applies to SIP too: two
/// different lengths make framing ambiguous, a classic smuggling vector).
fn content_length_value(buf: &[u8], headers: &HeaderIndex, cl_id: NameId) -> Result<usize> {
    let mut value: Option<usize> = None;
    for h in headers.iter().filter(|h| h.id == cl_id) {
        let n = content_length_of(buf, h)?;
        if value.is_some_and(|v| v != n) {
            return Err(Error::syntax(
                "Content-Length header",
                h.value_start as usize,
                "the same value as the earlier Content-Length",
            ));
        }
        value = Some(n);
    }
    value.ok_or(Error::syntax("Content-Length header", 0, "a value"))
}

/// The value of one Content-Length field.
fn content_length_of(buf: &[u8], h: &HeaderEntry) -> Result<usize> {
    let (s, e) = (h.value_start as usize, h.value_end as usize);
    let v = scan::trim_lws(&buf[s..e]);
    let at = s;
    if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
        return Err(Error::syntax(
            "Content-Length header",
            at,
            "a non-negative decimal number",
        ));
    }
    let mut n: usize = 0;
    for &d in v {
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(usize::from(d - b'0')))
            .filter(|&n| n <= u32::MAX as usize)
            .ok_or(Error::syntax(
                "Content-Length header",
                at,
                "a length below 2**32",
            ))?;
    }
    Ok(n)
}

fn parse_start_line(buf: &[u8], start: usize, end: usize) -> Result<Line> {
    let line = &buf[start..end];
    if line.len() >= 4 && line[..4].eq_ignore_ascii_case(b"SIP/") {
        // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
        if line.len() < 7 || !line[..7].eq_ignore_ascii_case(b"SIP/2.0") {
            return Err(Error::UnsupportedVersion { offset: start });
        }
        let mut p = 7;
        if line.get(p) != Some(&b' ') {
            return Err(Error::syntax(
                "status line",
                start + p,
                "one space after SIP/2.0",
            ));
        }
        p += 1;
        let cs = p;
        while p < line.len() && line[p].is_ascii_digit() {
            p += 1;
        }
        if p - cs != 3 {
            return Err(Error::syntax(
                "status line",
                start + cs,
                "a 3-digit status code",
            ));
        }
        let code = u16::from(line[cs] - b'0') * 100
            + u16::from(line[cs + 1] - b'0') * 10
            + u16::from(line[cs + 2] - b'0');
        if !(100..=699).contains(&code) {
            return Err(Error::syntax(
                "status line",
                start + cs,
                "a status code from 100 to 699",
            ));
        }
        let reason_start = match line.get(p) {
            None => p,
            Some(b' ') => p + 1,
            Some(_) => {
                return Err(Error::syntax(
                    "status line",
                    start + p,
                    "a space after the status code",
                ));
            }
        };
        if let Some(bad) = line[reason_start..]
            .iter()
            .position(|&b| (b < b' ' && b != b'\t') || b == 0x7f)
        {
            return Err(Error::syntax(
                "status line",
                start + reason_start + bad,
                "reason phrase text",
            ));
        }
        return Ok(Line::Response {
            code,
            reason_start: (start + reason_start) as u32,
            reason_end: end as u32,
        });
    }
    // Request-Line = Method SP Request-URI SP SIP-Version
    let mut p = 0;
    while p < line.len() && scan::is_token(line[p]) {
        p += 1;
    }
    if p == 0 {
        return Err(Error::syntax("request line", start, "a method (token)"));
    }
    let method_end = p;
    if line.get(p) != Some(&b' ') {
        return Err(Error::syntax(
            "request line",
            start + p,
            "one space after the method",
        ));
    }
    p += 1;
    let us = p;
    // Request-URI: scheme ":" then no whitespace or control characters.
    if !line.get(p).is_some_and(u8::is_ascii_alphabetic) {
        return Err(Error::syntax(
            "request line",
            start + p,
            "a Request-URI starting with a scheme",
        ));
    }
    p += scan::uri_len(&line[p..]);
    let ue = p;
    if scan::find_byte(&line[us..ue], b':').is_none() {
        return Err(Error::syntax(
            "request line",
            start + us,
            "a Request-URI with a scheme",
        ));
    }
    if line.get(p) != Some(&b' ') {
        return Err(Error::syntax(
            "request line",
            start + p,
            "one space after the Request-URI",
        ));
    }
    p += 1;
    let version = &line[p..];
    if !version.eq_ignore_ascii_case(b"SIP/2.0") {
        if version.len() >= 4 && version[..4].eq_ignore_ascii_case(b"SIP/") {
            let digits = &version[4..];
            if digits.iter().all(|b| b.is_ascii_digit() || *b == b'.') && !digits.is_empty() {
                return Err(Error::UnsupportedVersion { offset: start + p });
            }
        }
        return Err(Error::syntax(
            "request line",
            start + p,
            "SIP/2.0 ending the line",
        ));
    }
    Ok(Line::Request {
        method_end: (start + method_end) as u32,
        uri_start: (start + us) as u32,
        uri_end: (start + ue) as u32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_framing_waits_for_body_and_headers() {
        let l = ParseLimits::default();
        let m = b"\r\n\r\nBYE sip:a@127.0.0.1 SIP/2.0\r\nl: 3\r\n\r\nabc";
        for cut in 0..m.len() {
            assert_eq!(message_length(&m[..cut], &l).unwrap(), None, "cut {cut}");
        }
        assert_eq!(message_length(m, &l).unwrap(), Some(m.len()));
    }

    #[test]
    fn stream_framing_requires_content_length() {
        let l = ParseLimits::default();
        let e = message_length(b"BYE sip:a@127.0.0.1 SIP/2.0\r\nVia: x\r\n\r\n", &l).unwrap_err();
        assert!(matches!(
            e,
            Error::MissingHeader {
                name: "Content-Length",
                ..
            }
        ));
    }

    #[test]
    fn limits_are_enforced_on_partial_input() {
        let l = ParseLimits {
            max_message_size: 64,
            max_headers: 2,
            max_header_len: 40,
        };
        let big = vec![b'a'; 100];
        assert!(matches!(
            message_length(&big, &l),
            Err(Error::TooLarge { .. }) | Err(Error::HeaderTooLong { .. })
        ));
        let many = b"BYE sip:a@b SIP/2.0\r\na: 1\r\nb: 2\r\nc: 3\r\n\r\n";
        assert!(matches!(
            message_length(many, &l),
            Err(Error::TooManyHeaders { .. })
        ));
        let body = b"BYE sip:a@b SIP/2.0\r\nl: 100\r\n\r\n";
        assert!(matches!(
            message_length(body, &l),
            Err(Error::TooLarge { .. })
        ));
    }

    #[test]
    fn conflicting_content_lengths() {
        let l = ParseLimits::default();
        let m = b"BYE sip:a@b SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\nab";
        assert!(message_length(m, &l).is_err());
        let m = b"BYE sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n";
        assert!(message_length(m, &l).is_err());
    }
}
