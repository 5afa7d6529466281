//! Cost of a whole call in the `voip` UA core (sans-IO, no sockets): two `UaCore`s in
//! memory, every datagram serialized by one and parsed by the other.
//!
//! `call_setup_teardown_udp`: INVITE with SDP offer -> 100 + 180 -> answer (SDP answer,
//! 200) -> ACK -> BYE -> 200, with dialog creation on both sides, offer/answer, and the
//! transaction layer's matching; then both cores' lingering timers run out so nothing
//! accumulates across iterations.
//!
//! No other Rust crate has a sans-IO user agent to run beside it (rsipstack's UA is an
//! endpoint bound to tokio tasks and sockets), so this figure stands alone.
//! `cargo bench -p voip-benches --bench voip_ua_core`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sip_message::SipMessage;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};
use voip::core::{CoreConfig, CoreEvent, UaCore};
use voip::transaction::Target;

fn pump(now: Instant, from: &mut UaCore, from_addr: SocketAddr, to: &mut UaCore) -> usize {
    let mut n = 0;
    while let Some(t) = from.poll_transmit() {
        let msg = SipMessage::parse(t.bytes).expect("valid");
        to.handle_incoming(now, msg, Target::udp(from_addr));
        n += 1;
    }
    n
}

fn bench(c: &mut Criterion) {
    let lo = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let a_addr: SocketAddr = "127.0.0.1:5062".parse().unwrap();
    let b_addr: SocketAddr = "127.0.0.1:5064".parse().unwrap();
    let mut alice = UaCore::new(CoreConfig::peer_to_peer("alice", lo, 5062));
    let mut bob = UaCore::new(CoreConfig::peer_to_peer("bob", lo, 5064));
    let mut now = Instant::now();
    let mut g = c.benchmark_group("voip_ua_core");
    g.throughput(Throughput::Elements(1));
    g.bench_function("call_setup_teardown_udp", |b| {
        b.iter(|| {
            let call = alice
                .call(now, "sip:bob@127.0.0.1:5064", 30000, &[])
                .unwrap();
            pump(now, &mut alice, a_addr, &mut bob);
            let incoming = loop {
                match bob.poll_event() {
                    Some(CoreEvent::IncomingCall { call, .. }) => break call,
                    Some(_) => {}
                    None => panic!("no incoming call"),
                }
            };
            pump(now, &mut bob, b_addr, &mut alice);
            bob.answer(now, incoming, 30002).unwrap();
            pump(now, &mut bob, b_addr, &mut alice);
            pump(now, &mut alice, a_addr, &mut bob);
            alice.hangup(now, call).unwrap();
            pump(now, &mut alice, a_addr, &mut bob);
            pump(now, &mut bob, b_addr, &mut alice);
            while alice.poll_event().is_some() {}
            while bob.poll_event().is_some() {}
            // Let every lingering timer (Timer K/J/L/M, ended-call memory) run out.
            now += Duration::from_secs(40);
            alice.handle_timeout(now);
            bob.handle_timeout(now);
            while alice.poll_transmit().is_some() {}
            while bob.poll_transmit().is_some() {}
        });
    });
    g.finish();
    assert!(alice.transactions().is_empty() && bob.transactions().is_empty());
}

criterion_group!(benches, bench);
criterion_main!(benches);
