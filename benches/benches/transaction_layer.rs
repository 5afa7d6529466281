//! Cost of the `voip` transaction layer (RFC 3261 §17, sans-IO): whole transaction
//! lifecycles and timer processing with many live transactions.
//!
//! - `uac_options_tcp`: send OPTIONS, receive 200 OK (Timer K = 0 over TCP: terminated),
//!   drain the transmit and the events;
//! - `uas_invite_udp`: receive INVITE, send 180 and 486, receive the ACK (Confirmed), run
//!   Timer I (terminated), drain;
//! - `uas_invite_2xx_udp`: receive INVITE, send 200, receive the ACK of the 2xx (new
//!   branch), run Timer L;
//! - `timers_1000_invites`: 1000 live client INVITEs over UDP run through every Timer A
//!   retransmission to Timer B (7000 datagrams, 1000 timeouts).
//!
//! No other Rust crate offers a sans-IO transaction layer to compare with (rsipstack's
//! transactions are tokio tasks bound to its endpoint and transport), so these numbers
//! stand alone. `cargo bench -p voip-benches --bench transaction_layer`.

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sip_message::{SipMessage, SipStatus};
use std::hint::black_box;
use std::time::{Duration, Instant};
use voip::transaction::{Received, Target, TransactionConfig, TransactionLayer};

fn request(method: &str, branch: &str) -> SipMessage {
    SipMessage::parse(Bytes::from(format!(
        "{method} sip:bob@127.0.0.1:5070 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:5060;branch={branch};rport\r\n\
         Max-Forwards: 70\r\n\
         From: \"Alice\" <sip:alice@127.0.0.1>;tag=1928301774\r\n\
         To: <sip:bob@127.0.0.1>\r\n\
         Call-ID: a84b4c76e66710@127.0.0.1\r\n\
         CSeq: 1 {method}\r\n\
         Contact: <sip:alice@127.0.0.1:5060>\r\n\
         Content-Length: 0\r\n\r\n"
    )))
    .unwrap()
}

fn drain(l: &mut TransactionLayer) {
    while let Some(t) = l.poll_transmit() {
        black_box(t);
    }
    while let Some(e) = l.poll_event() {
        black_box(e);
    }
}

fn bench(c: &mut Criterion) {
    let udp = Target::udp("127.0.0.1:5070".parse().unwrap());
    let tcp = Target::tcp("127.0.0.1:5070".parse().unwrap());
    let mut g = c.benchmark_group("transaction_layer");
    g.throughput(Throughput::Elements(1));

    let options = request("OPTIONS", "z9hG4bKbench1");
    let ok = options.response(SipStatus::OK).to_tag("b").build().unwrap();
    let mut l = TransactionLayer::new(TransactionConfig::default());
    let t0 = Instant::now();
    g.bench_function("uac_options_tcp", |b| {
        b.iter(|| {
            let k = l.send_request(t0, options.clone(), tcp).unwrap();
            let r = l.receive(t0, ok.clone(), tcp);
            assert!(matches!(r, Received::Response { key, .. } if key == k));
            drain(&mut l);
        })
    });

    let invite = request("INVITE", "z9hG4bKbench2");
    let ringing = invite
        .response(SipStatus::RINGING)
        .to_tag("u")
        .build()
        .unwrap();
    let busy = invite
        .response(SipStatus::BUSY_HERE)
        .to_tag("u")
        .build()
        .unwrap();
    let ack = SipMessage::parse(Bytes::from(
        invite
            .to_string()
            .replacen("INVITE sip", "ACK sip", 1)
            .replace("CSeq: 1 INVITE", "CSeq: 1 ACK"),
    ))
    .unwrap();
    let mut l = TransactionLayer::new(TransactionConfig::default());
    let mut now = Instant::now();
    g.bench_function("uas_invite_udp", |b| {
        b.iter(|| {
            let Received::NewRequest { key, .. } = l.receive(now, invite.clone(), udp) else {
                panic!()
            };
            l.respond(now, key, ringing.clone()).unwrap();
            l.respond(now, key, busy.clone()).unwrap();
            assert!(matches!(
                l.receive(now, ack.clone(), udp),
                Received::Absorbed
            ));
            now += Duration::from_secs(6);
            l.handle_timeout(now);
            drain(&mut l);
            assert!(l.is_empty());
        })
    });

    let ok = invite.response(SipStatus::OK).to_tag("u").build().unwrap();
    let ack2xx = SipMessage::parse(Bytes::from(
        ack.to_string()
            .replace("branch=z9hG4bKbench2", "branch=z9hG4bKbench3")
            .replace("To: <sip:bob@127.0.0.1>", "To: <sip:bob@127.0.0.1>;tag=u"),
    ))
    .unwrap();
    let mut l = TransactionLayer::new(TransactionConfig::default());
    g.bench_function("uas_invite_2xx_udp", |b| {
        b.iter(|| {
            let Received::NewRequest { key, .. } = l.receive(now, invite.clone(), udp) else {
                panic!()
            };
            l.respond(now, key, ok.clone()).unwrap();
            let r = l.receive(now, ack2xx.clone(), udp);
            assert!(matches!(r, Received::Ack { invite: Some(k), .. } if k == key));
            now += Duration::from_secs(33);
            l.handle_timeout(now);
            drain(&mut l);
            assert!(l.is_empty());
        })
    });

    let invites: Vec<SipMessage> = (0..1000)
        .map(|i| request("INVITE", &format!("z9hG4bKmany{i}")))
        .collect();
    g.throughput(Throughput::Elements(1000));
    g.bench_function("timers_1000_invites", |b| {
        b.iter(|| {
            let mut l = TransactionLayer::new(TransactionConfig::default());
            let t0 = Instant::now();
            for (i, m) in invites.iter().enumerate() {
                l.send_request(t0 + Duration::from_micros(i as u64), m.clone(), udp)
                    .unwrap();
            }
            let mut sent = 0usize;
            while let Some(at) = l.poll_timeout() {
                l.handle_timeout(at);
                while l.poll_transmit().is_some() {
                    sent += 1;
                }
                while l.poll_event().is_some() {}
            }
            assert_eq!(sent, 7000);
            assert!(l.is_empty());
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
