//! Property: any sequence of messages, pings and stray line ends, serialized and cut into
//! any chunks, frames back to exactly the messages and pings, in order.

use bytes::Bytes;
use proptest::prelude::*;
use sip_message::ParseLimits;
use sip_transport::{StreamEvent, StreamFramer};

#[derive(Debug, Clone)]
enum Item {
    Message {
        compact: bool,
        body: Vec<u8>,
    },
    Ping,
    /// A lone CRLF (a pong) before a message.
    Pong,
}

fn message(i: usize, compact: bool, body: &[u8]) -> Vec<u8> {
    let cl = if compact { "l" } else { "Content-Length" };
    let mut m = format!(
        "MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK{i}\r\n\
         Call-ID: {i}\r\nCSeq: {i} MESSAGE\r\n{cl}: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    m.extend_from_slice(body);
    m
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        4 => (any::<bool>(), proptest::collection::vec(any::<u8>(), 0..300))
            .prop_map(|(compact, body)| Item::Message { compact, body }),
        1 => Just(Item::Ping),
        1 => Just(Item::Pong),
    ]
}

proptest! {
    #[test]
    fn frames_round_trip(items in proptest::collection::vec(item(), 0..20),
                         cuts in proptest::collection::vec(1usize..200, 1..10)) {
        let mut wire = Vec::new();
        let mut expected = Vec::new();
        let mut pending_crlf = false;
        for (i, it) in items.iter().enumerate() {
            match it {
                Item::Message { compact, body } => {
                    let m = message(i, *compact, body);
                    wire.extend_from_slice(&m);
                    expected.push(StreamEvent::Message(Bytes::from(m)));
                    pending_crlf = false;
                }
                Item::Ping => {
                    if pending_crlf {
                        // CRLF + CRLFCRLF would frame as a ping then a CRLF: keep the wire
                        // unambiguous by not putting a ping right after a pong.
                        continue;
                    }
                    wire.extend_from_slice(b"\r\n\r\n");
                    expected.push(StreamEvent::Ping);
                }
                Item::Pong => {
                    if pending_crlf {
                        continue;
                    }
                    wire.extend_from_slice(b"\r\n");
                    pending_crlf = true;
                }
            }
        }
        let mut f = StreamFramer::new(ParseLimits::default());
        let mut got = Vec::new();
        let mut pos = 0;
        let mut k = 0;
        while pos < wire.len() {
            let n = cuts[k % cuts.len()].min(wire.len() - pos);
            k += 1;
            f.push(&wire[pos..pos + n]);
            pos += n;
            while let Some(e) = f.next_event().unwrap() {
                got.push(e);
            }
        }
        prop_assert_eq!(got, expected);
    }
}
