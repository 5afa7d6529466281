//! The address our SDP advertises follows pyVoIP's NAT settings (`bind_network`,
//! `hostname`, `remote_hostname`), like Via and Contact: the `hostname` to peers inside
//! the network, the `remote_hostname` to peers outside, a NAT error when there is none,
//! names resolved to addresses for `c=`, never `0.0.0.0`. Sans-IO: the core alone,
//! with a fake clock.

mod core_support;

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use rtp_core::TransmitType;
use sip_message::SipMessage;
use sip_transport::{Nat, NatError};
use voip::Error;
use voip::core::{CoreConfig, UaCore};
use voip::transaction::Target;

use core_support::*;

fn core_with(nat: Nat) -> UaCore {
    let mut cfg = CoreConfig::peer_to_peer("bob", nat.bind_ip(), 5064);
    cfg.nat = nat;
    UaCore::new(cfg)
}

/// The host of the first Via, of the Contact, and the SDP's `c=` and `o=` addresses.
fn advertised(m: &SipMessage) -> (String, String, String, String) {
    let via = m.via().unwrap().host.to_string();
    let contact = contact_host(m);
    let sdp = String::from_utf8_lossy(m.body()).into_owned();
    let line = |prefix: &str| {
        sdp.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {sdp}"))
            .to_owned()
    };
    let c = line("c=");
    let o = line("o=");
    // o=<user> <id> <version> IN IP4 <address>
    let o_addr = o.rsplit(' ').next().unwrap().to_owned();
    (via, contact, c, o_addr)
}

fn call_and_take_invite(core: &mut UaCore, target: &str) -> SipMessage {
    core.call(Instant::now(), target, 30000, &[]).unwrap();
    let out = sent(core);
    assert_eq!(out.len(), 1);
    out.into_iter().next().unwrap()
}

#[test]
fn local_peers_get_the_hostname_and_remote_peers_the_remote_hostname() {
    let nat = Nat::parse("10.0.0.4", "10.0.0.0/24", None, Some("203.0.113.7")).unwrap();
    let mut core = core_with(nat);

    let inv = call_and_take_invite(&mut core, "sip:carol@10.0.0.9:5060");
    assert_eq!(
        advertised(&inv),
        (
            "10.0.0.4".into(),
            "10.0.0.4".into(),
            "IN IP4 10.0.0.4".into(),
            "10.0.0.4".into()
        )
    );

    let inv = call_and_take_invite(&mut core, "sip:dave@198.51.100.20");
    assert_eq!(
        advertised(&inv),
        (
            "203.0.113.7".into(),
            "203.0.113.7".into(),
            "IN IP4 203.0.113.7".into(),
            "203.0.113.7".into()
        )
    );
    // The private address leaks nowhere in what goes outside.
    assert!(!text(&inv).contains("10.0.0.4"), "{}", text(&inv));
}

#[test]
fn a_remote_hostname_name_is_resolved_for_sdp_and_kept_as_a_name_in_contact() {
    let nat = Nat::parse("10.0.0.4", "10.0.0.0/24", None, Some("nat.example.net")).unwrap();
    let mut core = core_with(nat);
    // Not resolved (the phone resolves it at start): pyVoIP's NATError, never the
    // private address in the SDP.
    let err = core
        .call(Instant::now(), "sip:dave@198.51.100.20", 30000, &[])
        .unwrap_err();
    assert!(
        matches!(&err, Error::Nat(NatError::Unresolvable { host, .. }) if host == "nat.example.net"),
        "{err:?}"
    );
    assert!(sent(&mut core).is_empty());

    core.learn_host("nat.example.net", "203.0.113.9".parse().unwrap());
    let inv = call_and_take_invite(&mut core, "sip:dave@198.51.100.20");
    assert_eq!(
        advertised(&inv),
        (
            "nat.example.net".into(),
            "nat.example.net".into(),
            "IN IP4 203.0.113.9".into(),
            "203.0.113.9".into()
        )
    );
}

#[test]
fn without_a_remote_hostname_outside_peers_are_a_nat_error() {
    let nat = Nat::parse("10.0.0.4", "10.0.0.0/24", None, None).unwrap();
    let mut core = core_with(nat);
    let err = core
        .call(Instant::now(), "sip:dave@198.51.100.20", 30000, &[])
        .unwrap_err();
    assert!(
        matches!(err, Error::Nat(NatError::NoRemoteHostname { peer }) if peer == "198.51.100.20".parse::<IpAddr>().unwrap()),
        "{err:?}"
    );
    // A MESSAGE too; a peer inside the network is fine.
    assert!(matches!(
        core.message(Instant::now(), "sip:dave@198.51.100.20", "hi", "text/plain"),
        Err(Error::Nat(_))
    ));
    call_and_take_invite(&mut core, "sip:carol@10.0.0.9");
}

#[test]
fn an_explicit_hostname_wins_over_a_wildcard_bind_and_ipv6_is_bracketed_only_in_sip() {
    let nat = Nat::parse("0.0.0.0", "0.0.0.0/0", Some("192.168.1.50"), None).unwrap();
    let mut core = core_with(nat);
    // The route the OS would use is another address: the configured hostname wins.
    core.learn_local_ip(
        "192.168.1.60".parse().unwrap(),
        "192.168.1.7".parse().unwrap(),
    );
    let inv = call_and_take_invite(&mut core, "sip:carol@192.168.1.60");
    assert_eq!(advertised(&inv).2, "IN IP4 192.168.1.50");
    assert!(!text(&inv).contains("0.0.0.0"));

    let nat = Nat::parse("::", "::/0", Some("2001:db8::5"), None).unwrap();
    let mut core = core_with(nat);
    let inv = call_and_take_invite(&mut core, "sip:carol@[2001:db8::9]");
    assert_eq!(
        advertised(&inv),
        (
            "[2001:db8::5]".into(),
            "[2001:db8::5]".into(),
            "IN IP6 2001:db8::5".into(),
            "2001:db8::5".into()
        )
    );
}

/// An INVITE from `source` ringing at `core`: the call and the 180.
fn ring_from(
    core: &mut UaCore,
    now: Instant,
    call_id: &str,
    source: &str,
) -> (voip::core::CallKey, SipMessage) {
    let source: SocketAddr = source.parse().unwrap();
    core.handle_incoming(now, invite(call_id, OFFER), Target::udp(source));
    let out = sent(core);
    assert_eq!(out.iter().map(code).collect::<Vec<_>>(), [100, 180]);
    let call = incoming_call(events(core));
    (call, out[1].clone())
}

#[test]
fn incoming_calls_are_answered_with_the_address_for_their_source() {
    let nat = Nat::parse("10.0.0.4", "10.0.0.0/24", None, Some("203.0.113.7")).unwrap();
    let mut core = core_with(nat);
    let now = Instant::now();

    // From outside: 180 Contact, 183 SDP, 200 SDP and a re-INVITE's answer all carry
    // the public address.
    let (call, ringing) = ring_from(&mut core, now, "n1", "198.51.100.20:5060");
    let contact = ringing.contact().unwrap().unwrap();
    assert_eq!(
        contact.uri().unwrap().as_sip().unwrap().host.to_string(),
        "203.0.113.7"
    );
    core.early_media(now, call, 30000).unwrap();
    let progress = sent(&mut core).pop().unwrap();
    assert_eq!(code(&progress), 183);
    assert_eq!(advertised(&progress).2, "IN IP4 203.0.113.7");
    core.answer(now, call, 30000).unwrap();
    let ok = sent(&mut core).pop().unwrap();
    assert_eq!(code(&ok), 200);
    let (_, contact, c, o) = advertised(&ok);
    assert_eq!(
        (contact.as_str(), c.as_str(), o.as_str()),
        ("203.0.113.7", "IN IP4 203.0.113.7", "203.0.113.7")
    );
    assert!(!text(&ok).contains("10.0.0.4"), "{}", text(&ok));
    let tag = ok.to_tag().unwrap().to_owned();
    let src = Target::udp("198.51.100.20:5060".parse().unwrap());
    core.handle_incoming(now, in_dialog("ACK", "n1", &tag, 10, "", ""), src);
    let hold = OFFER
        .replace("o=alice 1 1", "o=alice 1 2")
        .replace("sendrecv", "sendonly");
    core.handle_incoming(now, in_dialog("INVITE", "n1", &tag, 11, &hold, ""), src);
    let answer = sent(&mut core).pop().unwrap();
    assert_eq!(code(&answer), 200);
    let body = String::from_utf8_lossy(answer.body()).into_owned();
    assert!(body.contains("c=IN IP4 203.0.113.7"), "{body}");
    assert!(body.contains("a=recvonly"), "{body}");
    // Our own re-INVITE (hold) too.
    core.reinvite(now, call, TransmitType::SendOnly).unwrap();
    let reinvite = sent(&mut core).pop().unwrap();
    assert_eq!(advertised(&reinvite).2, "IN IP4 203.0.113.7");

    // From inside: the private address.
    let (call, ringing) = ring_from(&mut core, now, "n2", "10.0.0.9:5060");
    assert_eq!(contact_host(&ringing), "10.0.0.4");
    core.answer(now, call, 30002).unwrap();
    let ok = sent(&mut core).pop().unwrap();
    assert_eq!(advertised(&ok).2, "IN IP4 10.0.0.4");
}
