//! [`StreamFramer`]: sans-IO framing of a TCP/TLS byte stream into SIP messages and
//! keep-alive pings.
//!
//! Each connection task feeds the bytes it reads into a framer and acts on what comes out;
//! the framer itself does no I/O, so it can be tested and fuzzed on its own.

use bytes::{Buf, Bytes, BytesMut};
use sip_message::ParseLimits;

/// What the framer found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// One complete message (start line to the end of its Content-Length body), not yet
    /// parsed beyond framing.
    Message(Bytes),
    /// A `CRLFCRLF` keep-alive ping: answer with `CRLF` (RFC 5626 §3.5.1).
    Ping,
}

/// Splits a byte stream into messages by Content-Length (RFC 3261 §18.3).
///
/// Leading CR/LF bytes between messages are skipped (RFC 3261 §7.5), except that a
/// `CRLFCRLF` sequence is reported as a [`StreamEvent::Ping`]. The buffer never holds more
/// than one partial message: a message over [`ParseLimits::max_message_size`] or input that
/// cannot be a SIP message is an error, after which the stream cannot be resynchronized and
/// must be closed.
///
/// ```
/// use sip_transport::{StreamEvent, StreamFramer};
/// let mut f = StreamFramer::new(Default::default());
/// f.push(b"\r\n\r\nOPTIONS sip:a@127.0.0.1 SIP/2.0\r\nContent-Length: 2\r\n\r\nh");
/// assert_eq!(f.next_event().unwrap(), Some(StreamEvent::Ping));
/// assert_eq!(f.next_event().unwrap(), None); // body incomplete
/// assert!(f.has_partial());
/// f.push(b"i");
/// let Some(StreamEvent::Message(m)) = f.next_event().unwrap() else { panic!() };
/// assert!(m.ends_with(b"\r\n\r\nhi"));
/// assert!(!f.has_partial());
/// ```
#[derive(Debug)]
pub struct StreamFramer {
    buf: BytesMut,
    limits: ParseLimits,
}

impl StreamFramer {
    /// A framer with these limits.
    pub fn new(limits: ParseLimits) -> Self {
        StreamFramer {
            buf: BytesMut::new(),
            limits,
        }
    }

    /// Appends received bytes.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Whether part of a message is buffered (the stall timer runs while this is true).
    pub fn has_partial(&self) -> bool {
        !self.buf.is_empty() && sip_message::keepalive_len(&self.buf) < self.buf.len()
    }

    /// Bytes buffered.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next event, `Ok(None)` when more bytes are needed, or the framing error that
    /// makes the stream unusable.
    pub fn next_event(&mut self) -> Result<Option<StreamEvent>, sip_message::Error> {
        loop {
            if self.buf.starts_with(b"\r\n\r\n") {
                self.buf.advance(4);
                return Ok(Some(StreamEvent::Ping));
            }
            let k = sip_message::keepalive_len(&self.buf);
            if k > 0 {
                if k == self.buf.len() && b"\r\n\r\n".starts_with(&self.buf) {
                    // Maybe the start of a ping split across reads.
                    return Ok(None);
                }
                // A pong or stray line ends between messages: skip it.
                self.buf.advance(k);
                continue;
            }
            if self.buf.is_empty() {
                self.shrink();
                return Ok(None);
            }
            return match sip_message::message_length(&self.buf, &self.limits)? {
                None => Ok(None),
                Some(n) => {
                    let m = self.buf.split_to(n).freeze();
                    self.shrink();
                    Ok(Some(StreamEvent::Message(m)))
                }
            };
        }
    }

    /// Gives memory back after a large message.
    fn shrink(&mut self) {
        if self.buf.capacity() > 64 * 1024 && self.buf.len() < 16 * 1024 {
            self.buf = BytesMut::from(&self.buf[..]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(f: &mut StreamFramer) -> Vec<StreamEvent> {
        let mut v = Vec::new();
        while let Some(e) = f.next_event().unwrap() {
            v.push(e);
        }
        v
    }

    #[test]
    fn keepalives_and_partial_pings() {
        let mut f = StreamFramer::new(ParseLimits::default());
        f.push(b"\r\n");
        assert_eq!(events(&mut f), vec![]);
        assert!(!f.has_partial());
        f.push(b"\r");
        assert_eq!(events(&mut f), vec![]);
        f.push(b"\n\r\n");
        assert_eq!(events(&mut f), vec![StreamEvent::Ping]);
        // The trailing CRLF may be half of the next ping.
        assert_eq!(f.buffered(), 2);
        f.push(b"\n\n\n");
        assert_eq!(events(&mut f), vec![]);
        assert_eq!(f.buffered(), 0);
    }

    #[test]
    fn messages_split_and_coalesced() {
        let m = b"BYE sip:a@b SIP/2.0\r\nContent-Length: 3\r\n\r\nabc";
        let mut all = Vec::new();
        all.extend_from_slice(m);
        all.extend_from_slice(b"\r\n");
        all.extend_from_slice(m);
        all.extend_from_slice(b"\r\n\r\n");
        all.extend_from_slice(m);
        for chunk in [1, 2, 5, 13, all.len()] {
            let mut f = StreamFramer::new(ParseLimits::default());
            let mut got = Vec::new();
            for c in all.chunks(chunk) {
                f.push(c);
                got.extend(events(&mut f));
            }
            let msg = StreamEvent::Message(Bytes::from_static(m));
            assert_eq!(
                got,
                vec![msg.clone(), msg.clone(), StreamEvent::Ping, msg],
                "chunk {chunk}"
            );
            assert_eq!(f.buffered(), 0);
        }
    }

    #[test]
    fn garbage_and_oversize_are_errors() {
        let mut f = StreamFramer::new(ParseLimits::default());
        f.push(b"hello world\r\n");
        assert!(f.next_event().is_err());
        let limits = ParseLimits {
            max_message_size: 100,
            ..ParseLimits::default()
        };
        let mut f = StreamFramer::new(limits);
        f.push(b"BYE sip:a@b SIP/2.0\r\n");
        assert_eq!(f.next_event().unwrap(), None);
        f.push(&[b'X'; 200]);
        assert!(f.next_event().is_err());
    }
}
