//! A phone against a scripted registrar on 127.0.0.1: digest-authenticated registration,
//! deregistration on stop, numbers dialled through the server, and pyVoIP's failure
//! threshold (PhoneStatus::Failed + InvalidAccountInfoError).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use md5::{Digest, Md5};
use sip_message::{HeaderName, Method, SipMessage, SipStatus};
use tokio::net::UdpSocket;
use voip::{CallState, EndReason, Error, PhoneStatus, VoipPhone, VoipPhoneParameter};

fn md5_hex(s: &str) -> String {
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(Default)]
struct Seen {
    registers: Vec<SipMessage>,
    invites: Vec<SipMessage>,
}

/// A registrar for `alice` / `secret` in realm `test`; `accept` false refuses everything
/// with 403.
async fn registrar(accept: bool) -> (SocketAddr, Arc<Mutex<Seen>>) {
    registrar_granting(accept, 120).await
}

/// Same, granting at most `grant` seconds.
async fn registrar_granting(accept: bool, grant: u32) -> (SocketAddr, Arc<Mutex<Seen>>) {
    registrar_behind_nat(accept, grant, None).await
}

/// Same; with `nat_port`, the 2xx to REGISTER says (Via `received`/`rport`) that the
/// REGISTER came from `127.0.0.1:nat_port`, as a registrar behind a NAT would see it.
async fn registrar_behind_nat(
    accept: bool,
    grant: u32,
    nat_port: Option<u16>,
) -> (SocketAddr, Arc<Mutex<Seen>>) {
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let log = seen.clone();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 65536];
        while let Ok((n, from)) = sock.recv_from(&mut buf).await {
            let Ok(req) = SipMessage::parse(bytes::Bytes::copy_from_slice(&buf[..n])) else {
                continue;
            };
            let resp = match req.method() {
                Some(Method::Register) => {
                    log.lock().unwrap().registers.push(req.clone());
                    let auth = req.authorization().next().and_then(Result::ok);
                    match auth {
                        _ if !accept => req.response(SipStatus::FORBIDDEN).to_tag("r"),
                        None => req.response(SipStatus::UNAUTHORIZED).to_tag("r").header(
                            &HeaderName::WwwAuthenticate,
                            "Digest realm=\"test\", nonce=\"abc123\"",
                        ),
                        Some(a) => {
                            let uri = a.param("uri").unwrap().into_owned();
                            let ha1 = md5_hex("alice:test:secret");
                            let ha2 = md5_hex(&format!("REGISTER:{uri}"));
                            let want = md5_hex(&format!("{ha1}:abc123:{ha2}"));
                            if a.param("response").as_deref() == Some(want.as_str())
                                && a.param("username").as_deref() == Some("alice")
                            {
                                let expires = req.expires().and_then(Result::ok).unwrap_or(0);
                                // The binding: the Contact URI with the lifetime we grant.
                                let contact = req.contact().unwrap().unwrap();
                                let contact = contact.uri().unwrap().to_string();
                                req.response(SipStatus::OK).to_tag("r").header(
                                    &HeaderName::Contact,
                                    format!("<{contact}>;expires={}", expires.min(grant)),
                                )
                            } else {
                                req.response(SipStatus::FORBIDDEN).to_tag("r")
                            }
                        }
                    }
                }
                Some(Method::Invite) => {
                    log.lock().unwrap().invites.push(req.clone());
                    req.response(SipStatus::BUSY_HERE).to_tag("b")
                }
                Some(Method::Ack) => continue,
                _ => req.response(SipStatus::OK).to_tag("o"),
            };
            let resp = resp.build().unwrap();
            let mut bytes = resp.as_bytes().to_vec();
            if let Some(port) = nat_port
                && req.method() == Some(Method::Register)
            {
                let text = String::from_utf8(bytes).unwrap();
                let via_end = text.find("\r\n").unwrap() + 2;
                let via_end = via_end + text[via_end..].find("\r\n").unwrap();
                let (head, tail) = text.split_at(via_end);
                assert!(head.contains(";rport"), "{head}");
                bytes = format!(
                    "{};received=127.0.0.1;rport={port}{tail}",
                    head.replace(";rport", "")
                )
                .into_bytes();
            }
            let _ = sock.send_to(&bytes, from).await;
        }
    });
    (addr, seen)
}

fn params(server: SocketAddr, password: &str) -> VoipPhoneParameter {
    VoipPhoneParameter::builder("alice")
        .server("127.0.0.1", server.port())
        .password("alice", password)
        .bind("127.0.0.1:0".parse().unwrap())
        .rtp_ports(43600, 43639)
        .register_retry_interval(Duration::from_millis(50))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registers_with_digest_dials_numbers_through_the_server_and_deregisters() {
    let (server, seen) = registrar(true).await;
    let phone = VoipPhone::new(params(server, "secret")).unwrap();
    assert_eq!(phone.get_status(), PhoneStatus::Inactive);
    phone.start().await.unwrap();
    assert_eq!(phone.get_status(), PhoneStatus::Registered);
    {
        let s = seen.lock().unwrap();
        assert_eq!(s.registers.len(), 2, "challenge, then credentials");
        let r = &s.registers[1];
        assert_eq!(
            r.request_uri_str(),
            Some(&*format!("sip:127.0.0.1:{}", server.port()))
        );
        assert_eq!(r.expires().unwrap().unwrap(), 300);
        let contact = r.contact().unwrap().unwrap().to_string();
        assert!(contact.contains("sip:alice@127.0.0.1:"), "{contact}");
        assert_eq!(
            r.call_id().unwrap(),
            s.registers[0].call_id().unwrap(),
            "one Call-ID per registration"
        );
    }

    // A number goes to the server as sip:number@server.
    let call = phone.call("1234", None).await.unwrap();
    call.wait_for_state_timeout(CallState::Ended, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(call.end_reason(), Some(EndReason::Busy { status: 486 }));
    let uri = seen.lock().unwrap().invites[0]
        .request_uri_str()
        .unwrap()
        .to_owned();
    assert_eq!(uri, format!("sip:1234@127.0.0.1:{}", server.port()));

    phone.stop().await;
    assert_eq!(phone.get_status(), PhoneStatus::Inactive);
    let s = seen.lock().unwrap();
    let last = s.registers.last().unwrap();
    assert_eq!(last.expires().unwrap().unwrap(), 0, "stop() deregisters");
    // Exactly the binding we registered: one Contact, ours, with expires=0 (no `*`).
    let contacts: Vec<_> = last.contacts().map(Result::unwrap).collect();
    assert_eq!(contacts.len(), 1, "{contacts:?}");
    assert_eq!(contacts[0].expires(), Some(0));
    assert_eq!(
        contacts[0].uri().map(ToString::to_string),
        s.registers[1]
            .contact()
            .unwrap()
            .unwrap()
            .uri()
            .map(ToString::to_string)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_registration_fails_after_the_threshold() {
    let (server, seen) = registrar(false).await;
    let phone = VoipPhone::new(params(server, "wrong")).unwrap();
    let r = tokio::time::timeout(Duration::from_secs(10), phone.start())
        .await
        .unwrap();
    assert!(matches!(r, Err(Error::InvalidAccountInfo(_))), "{r:?}");
    assert_eq!(phone.get_status(), PhoneStatus::Failed);
    assert_eq!(
        seen.lock().unwrap().registers.len(),
        3,
        "REGISTER_FAILURE_THRESHOLD"
    );
    assert!(phone.local_addr().is_none(), "stopped after the failure");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbound_proxy_carries_register_and_invite_with_a_route() {
    // The scripted registrar plays the proxy; the "server" itself is never contacted.
    let (proxy, seen) = registrar(true).await;
    let unused = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let server_port = unused.local_addr().unwrap().port();
    let params = VoipPhoneParameter::builder("alice")
        .server("127.0.0.1", server_port)
        .password("alice", "secret")
        .outbound_proxy(format!("sip:127.0.0.1:{};lr", proxy.port()))
        .bind("127.0.0.1:0".parse().unwrap())
        .rtp_ports(43700, 43739)
        .build()
        .unwrap();
    let phone = VoipPhone::new(params).unwrap();
    phone.start().await.unwrap();
    let call = phone.call("200", None).await.unwrap();
    call.wait_for_state_timeout(CallState::Ended, Duration::from_secs(5))
        .await
        .unwrap();
    phone.stop().await;
    drop(unused);
    let s = seen.lock().unwrap();
    let reg = &s.registers[0];
    assert_eq!(
        reg.request_uri_str(),
        Some(&*format!("sip:127.0.0.1:{server_port}"))
    );
    let route = reg.routes().next().unwrap().unwrap().to_string();
    assert_eq!(route, format!("<sip:127.0.0.1:{};lr>", proxy.port()));
    let inv = &s.invites[0];
    assert_eq!(
        inv.request_uri_str(),
        Some(&*format!("sip:200@127.0.0.1:{server_port}"))
    );
    assert_eq!(inv.routes().next().unwrap().unwrap().to_string(), route);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_is_refreshed_before_the_granted_expiry() {
    let (server, seen) = registrar_granting(true, 2).await;
    let phone = VoipPhone::new(params(server, "secret")).unwrap();
    phone.start().await.unwrap();
    let first = seen.lock().unwrap().registers.len();
    tokio::time::sleep(Duration::from_millis(1600)).await;
    {
        let s = seen.lock().unwrap();
        assert!(
            s.registers.len() > first,
            "refreshed within the 2 s granted"
        );
        let refresh = s.registers.last().unwrap();
        assert_eq!(
            refresh.call_id().unwrap(),
            s.registers[0].call_id().unwrap()
        );
        assert!(refresh.cseq().unwrap().seq > s.registers[first - 1].cseq().unwrap().seq);
    }
    assert_eq!(phone.get_status(), PhoneStatus::Registered);
    phone.stop().await;
}

/// Contacts of a REGISTER as (URI, expires parameter).
fn bindings(req: &SipMessage) -> Vec<(String, Option<u32>)> {
    req.contacts()
        .map(Result::unwrap)
        .map(|c| (c.uri().unwrap().to_string(), c.expires()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registrar_seeing_another_address_gets_that_contact_registered() {
    let (server, seen) = registrar_behind_nat(true, 120, Some(40999)).await;
    let phone = VoipPhone::new(params(server, "secret")).unwrap();
    phone.start().await.unwrap();
    let port = phone.local_addr().unwrap().port();
    let private = format!("sip:alice@127.0.0.1:{port}");
    let public = "sip:alice@127.0.0.1:40999".to_owned();
    // The phone registers again with the public address, removing the private binding.
    let rewrite = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let found = seen
                .lock()
                .unwrap()
                .registers
                .iter()
                .find(|r| bindings(r).iter().any(|(u, _)| *u == public))
                .cloned();
            if let Some(r) = found {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("a REGISTER with the public Contact");
    assert_eq!(
        bindings(&rewrite),
        [(public.clone(), Some(300)), (private.clone(), Some(0))]
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Calls through the registrar advertise the public address too.
    let call = phone.call("1234", None).await.unwrap();
    call.wait_for_state_timeout(CallState::Ended, Duration::from_secs(5))
        .await
        .unwrap();
    let invite = seen.lock().unwrap().invites[0].clone();
    assert_eq!(
        invite
            .contact()
            .unwrap()
            .unwrap()
            .uri()
            .unwrap()
            .to_string(),
        public
    );
    phone.stop().await;
    let s = seen.lock().unwrap();
    let with_public = s
        .registers
        .iter()
        .filter(|r| bindings(r).iter().any(|(u, _)| *u == public))
        .count();
    assert!(with_public >= 2, "the rewrite, then the de-REGISTER");
    let last = s.registers.last().unwrap();
    assert_eq!(last.expires().unwrap().unwrap(), 0);
    assert_eq!(
        bindings(last),
        [(public.clone(), Some(0))],
        "stop() removes the binding we hold, once"
    );
    // No ping-pong: one rewrite (with its challenge) and no REGISTER for the private
    // address after it.
    let first_public = s
        .registers
        .iter()
        .position(|r| bindings(r).iter().any(|(u, _)| *u == public))
        .unwrap();
    assert!(s.registers[first_public..].iter().all(|r| {
        bindings(r)
            .first()
            .is_some_and(|(u, _)| !u.contains(&format!(":{port}")))
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_explicit_hostname_is_not_rewritten() {
    let (server, seen) = registrar_behind_nat(true, 120, Some(40998)).await;
    let p = VoipPhoneParameter::builder("alice")
        .server("127.0.0.1", server.port())
        .password("alice", "secret")
        .bind("127.0.0.1:0".parse().unwrap())
        .hostname("127.0.0.1")
        .rtp_ports(43640, 43649)
        .build()
        .unwrap();
    let phone = VoipPhone::new(p).unwrap();
    phone.start().await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    phone.stop().await;
    let s = seen.lock().unwrap();
    assert!(
        s.registers
            .iter()
            .all(|r| bindings(r).iter().all(|(u, _)| !u.contains(":40998"))),
        "the hostname setting wins"
    );
    let adds = s
        .registers
        .iter()
        .filter(|r| r.expires().unwrap().unwrap() > 0)
        .count();
    assert_eq!(adds, 2, "challenged, then accepted: no re-REGISTER");
}
