//! Property test: arbitrary interleavings of sends, received requests/responses (valid,
//! retransmitted, crossed, RFC 2543, garbage), TU responses, ACKs, CANCELs, transport
//! errors and clock jumps never panic, keep the layer within its bound, leave no timer
//! overdue, emit only parseable messages, and every transaction terminates exactly once
//! once the TU has answered everything.

mod transaction_support;

use bytes::Bytes;
use proptest::prelude::*;
use sip_message::SipMessage;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use transaction_support::*;
use voip::transaction::{
    Received, Target, TransactionConfig, TransactionEvent, TransactionKey, TransactionKind,
    TransactionLayer, TransactionState,
};

const MAX: usize = 6;

#[derive(Debug, Clone)]
enum Op {
    Send {
        method: u8,
        branch: u8,
        tcp: bool,
    },
    Response {
        method: u8,
        branch: u8,
        code: u16,
        tag: u8,
    },
    Request {
        method: u8,
        branch: u8,
        cookie: bool,
        tcp: bool,
        seq: u8,
        to_tag: Option<u8>,
    },
    Respond {
        which: u8,
        code: u16,
        tag: u8,
    },
    Ack2xx {
        which: u8,
        tag: u8,
    },
    Cancel {
        which: u8,
    },
    TransportError {
        which: u8,
    },
    Advance {
        ms: u32,
    },
    Garbage {
        bytes: Vec<u8>,
    },
}

const METHODS: [&str; 5] = ["INVITE", "ACK", "CANCEL", "OPTIONS", "BYE"];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..5, 0u8..4, any::<bool>()).prop_map(|(method, branch, tcp)| Op::Send {
            method,
            branch,
            tcp
        }),
        (0u8..5, 0u8..4, 100u16..700, 0u8..3).prop_map(|(method, branch, code, tag)| {
            Op::Response {
                method,
                branch,
                code,
                tag,
            }
        }),
        (
            0u8..5,
            0u8..4,
            any::<bool>(),
            any::<bool>(),
            0u8..3,
            proptest::option::of(0u8..3)
        )
            .prop_map(|(method, branch, cookie, tcp, seq, to_tag)| Op::Request {
                method,
                branch,
                cookie,
                tcp,
                seq,
                to_tag
            }),
        (any::<u8>(), 100u16..700, 0u8..3).prop_map(|(which, code, tag)| Op::Respond {
            which,
            code,
            tag
        }),
        (any::<u8>(), 0u8..3).prop_map(|(which, tag)| Op::Ack2xx { which, tag }),
        any::<u8>().prop_map(|which| Op::Cancel { which }),
        any::<u8>().prop_map(|which| Op::TransportError { which }),
        prop_oneof![0u32..600, 0u32..40_000].prop_map(|ms| Op::Advance { ms }),
        proptest::collection::vec(any::<u8>(), 0..200).prop_map(|bytes| Op::Garbage { bytes }),
    ]
}

fn target(tcp: bool) -> Target {
    if tcp { peer_tcp() } else { peer() }
}

fn msg(method: u8, branch: u8, cookie: bool, seq: u8, to_tag: Option<u8>) -> SipMessage {
    let m = METHODS[method as usize];
    let b = if cookie {
        format!("z9hG4bK{branch}")
    } else {
        format!("old{branch}")
    };
    let to = to_tag.map(|t| format!(";tag=t{t}")).unwrap_or_default();
    parse(&format!(
        "{m} sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch={b}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=f\r\nTo: <sip:bob@127.0.0.1>{to}\r\n\
         Call-ID: c{branch}\r\nCSeq: {} {m}\r\nContent-Length: 0\r\n\r\n",
        u32::from(seq) + 1
    ))
}

struct Harness {
    l: TransactionLayer,
    now: Instant,
    keys: Vec<TransactionKey>,
    terminated: HashMap<TransactionKey, u32>,
}

impl Harness {
    fn pick(&self, which: u8) -> Option<TransactionKey> {
        (!self.keys.is_empty()).then(|| self.keys[which as usize % self.keys.len()])
    }

    fn settle(&mut self) {
        assert!(self.l.len() <= MAX, "bound exceeded: {}", self.l.len());
        while let Some(t) = self.l.poll_transmit() {
            assert!(
                SipMessage::parse(t.bytes.clone()).is_ok(),
                "unparseable output"
            );
        }
        while let Some(e) = self.l.poll_event() {
            if let TransactionEvent::CancelSent { cancel, .. } = e {
                self.keys.push(cancel);
            }
            if let TransactionEvent::Terminated { key } = e {
                *self.terminated.entry(key).or_default() += 1;
                assert_eq!(self.terminated[&key], 1, "terminated twice");
                assert_eq!(self.l.state(key), None);
            }
        }
    }

    fn advance(&mut self, d: Duration) {
        self.now += d;
        self.l.handle_timeout(self.now);
        assert!(
            self.l.poll_timeout().is_none_or(|t| t > self.now),
            "overdue timer"
        );
        self.settle();
    }

    fn apply(&mut self, op: Op) {
        let now = self.now;
        match op {
            Op::Send {
                method,
                branch,
                tcp,
            } => {
                if let Ok(k) =
                    self.l
                        .send_request(now, msg(method, branch, true, 0, None), target(tcp))
                {
                    self.keys.push(k);
                }
            }
            Op::Response {
                method,
                branch,
                code,
                tag,
            } => {
                let req = msg(method, branch, true, 0, None);
                if let Ok(r) = req
                    .response(sip_message::SipStatus::new(code).unwrap())
                    .to_tag(&format!("t{tag}"))
                    .build()
                {
                    let _ = self.l.receive(now, r, peer());
                }
            }
            Op::Request {
                method,
                branch,
                cookie,
                tcp,
                seq,
                to_tag,
            } => {
                if let Received::NewRequest { key, .. } =
                    self.l
                        .receive(now, msg(method, branch, cookie, seq, to_tag), target(tcp))
                {
                    self.keys.push(key);
                }
            }
            Op::Respond { which, code, tag } => {
                if let Some(k) = self.pick(which)
                    && let Some(req) = self.l.request(k).cloned()
                    && let Ok(r) = req
                        .response(sip_message::SipStatus::new(code).unwrap())
                        .to_tag(&format!("t{tag}"))
                        .build()
                {
                    let _ = self.l.respond(now, k, r);
                }
            }
            Op::Ack2xx { which, tag } => {
                if let Some(k) = self.pick(which)
                    && let Some(req) = self.l.request(k).cloned()
                {
                    let ack = ack_for_2xx(&req, "z9hG4bKack", &format!("t{tag}"));
                    let _ = self.l.send_ack(now, k, ack, peer());
                }
            }
            Op::Cancel { which } => {
                let Some(k) = self.pick(which) else { return };
                if which % 2 == 0 {
                    if let Ok(Some(ck)) = self.l.cancel(now, k) {
                        self.keys.push(ck);
                    }
                } else if let Ok(c) = self.l.cancel_request(k)
                    && let Ok(ck) = self.l.send_request(now, c, self.l.target(k).unwrap())
                {
                    self.keys.push(ck);
                }
            }
            Op::TransportError { which } => {
                if let Some(k) = self.pick(which) {
                    self.l.transport_error(k);
                }
            }
            Op::Advance { ms } => self.advance(Duration::from_millis(u64::from(ms))),
            Op::Garbage { bytes } => {
                if let Ok(m) = SipMessage::parse(Bytes::from(bytes)) {
                    let _ = self.l.receive(now, m, peer());
                }
            }
        }
        self.settle();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_sequences_stay_bounded_and_terminate(ops in proptest::collection::vec(op(), 1..80)) {
        let mut h = Harness {
            l: TransactionLayer::new(TransactionConfig { max_transactions: MAX, ..TransactionConfig::default() }),
            now: Instant::now(),
            keys: Vec::new(),
            terminated: HashMap::new(),
        };
        for op in ops {
            h.apply(op);
        }
        // Let every timer run out. What remains waits for the TU (a final response) or the
        // peer (a client INVITE after a provisional response has no timer, RFC 3261 §17.1.1.2).
        h.advance(Duration::from_secs(600));
        for &k in &h.keys {
            if let Some(state) = h.l.state(k) {
                let kind = h.l.kind(k).unwrap();
                let waiting = matches!(
                    (kind, state),
                    (TransactionKind::ClientInvite, TransactionState::Proceeding)
                        | (TransactionKind::ServerInvite, TransactionState::Proceeding)
                        | (TransactionKind::ServerNonInvite, TransactionState::Trying | TransactionState::Proceeding)
                );
                prop_assert!(waiting, "{kind:?} stuck in {state:?}");
            }
        }
        // The TU answers everything; the transport fails the waiting client INVITEs.
        for &k in &h.keys.clone() {
            match h.l.kind(k) {
                Some(TransactionKind::ClientInvite) => h.l.transport_error(k),
                Some(_) => {
                    let req = h.l.request(k).unwrap().clone();
                    let r = req.response(sip_message::SipStatus::new(500).unwrap()).to_tag("z").build().unwrap();
                    h.l.respond(h.now, k, r).unwrap();
                }
                None => {}
            }
        }
        h.settle();
        h.advance(Duration::from_secs(600));
        prop_assert!(h.l.is_empty(), "left: {}", h.l.len());
        prop_assert_eq!(h.l.poll_timeout(), None);
        for k in &h.keys {
            prop_assert_eq!(h.terminated.get(k), Some(&1), "{} not terminated once", k);
        }
    }
}
