//! Loopback tests of the pyVoIP-style routing API: `VoipSocket` and `VoipConnection`.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use sip_message::{SipMessage, SipStatus};
use sip_transport::{Error, TransportMode, VoipConnection, VoipSocket, VoipSocketConfig};
use tokio::time::timeout;

const MODES: [TransportMode; 3] = [TransportMode::Udp, TransportMode::Tcp, TransportMode::Tls];

async fn pair(mode: TransportMode, pki: &Pki) -> (VoipSocket, VoipSocket) {
    let a = VoipSocket::bind(VoipSocketConfig::new(config(mode, v4(), Some(pki))))
        .await
        .unwrap();
    let b = VoipSocket::bind(VoipSocketConfig::new(config(mode, v4(), Some(pki))))
        .await
        .unwrap();
    (a, b)
}

async fn accept(s: &VoipSocket) -> VoipConnection {
    timeout(WAIT, s.accept())
        .await
        .expect("accept timed out")
        .expect("socket closed")
}

fn reply(req: &SipMessage, status: SipStatus, tag: &str) -> Vec<u8> {
    req.response(status)
        .to_tag(tag)
        .build()
        .unwrap()
        .as_bytes()
        .to_vec()
}

#[tokio::test]
async fn a_whole_dialog_in_every_mode() {
    let pki = pki(&["127.0.0.1"]);
    for mode in MODES {
        let (alice, bob) = pair(mode, &pki).await;
        let (a, b) = (alice.local_addr(), bob.local_addr());
        let invite = request("INVITE", b, mode, a, "dlg", "at", None, "inv", 1);
        let call = alice.send(&invite).await.unwrap();
        assert_eq!(call.call_id(), "dlg");
        assert_eq!(call.local_tag().as_deref(), Some("at"));

        let callee = accept(&bob).await;
        let inv = callee.peek(Some(WAIT)).await.unwrap();
        assert_eq!(
            callee.recv(Some(WAIT)).await.unwrap(),
            inv,
            "peek leaves the message queued"
        );
        assert_eq!(callee.remote_tag().as_deref(), Some("at"));
        callee
            .send(reply(&inv, SipStatus::RINGING, "bt"))
            .await
            .unwrap();
        callee
            .send(String::from_utf8(reply(&inv, SipStatus::OK, "bt")).unwrap())
            .await
            .unwrap();
        assert_eq!(callee.local_tag().as_deref(), Some("bt"));

        let ringing = call.recv(Some(WAIT)).await.unwrap();
        assert_eq!(ringing.status(), Some(SipStatus::RINGING));
        let ok = call.recv(Some(WAIT)).await.unwrap();
        assert_eq!(ok.status(), Some(SipStatus::OK));
        assert_eq!(call.remote_tag().as_deref(), Some("bt"));

        // ACK (new branch, in-dialog) and BYE reach the callee's connection, not accept().
        call.send(request(
            "ACK",
            b,
            mode,
            a,
            "dlg",
            "at",
            Some("bt"),
            "ack",
            1,
        ))
        .await
        .unwrap();
        call.send(request(
            "BYE",
            b,
            mode,
            a,
            "dlg",
            "at",
            Some("bt"),
            "bye",
            2,
        ))
        .await
        .unwrap();
        let ack = callee.recv(Some(WAIT)).await.unwrap();
        assert_eq!(ack.method(), Some(sip_message::Method::Ack));
        let bye = callee.recv(Some(WAIT)).await.unwrap();
        assert_eq!(bye.method(), Some(sip_message::Method::Bye));
        callee.send(reply(&bye, SipStatus::OK, "bt")).await.unwrap();
        let bye_ok = call.recv(Some(WAIT)).await.unwrap();
        assert_eq!(bye_ok.cseq().unwrap().method, sip_message::Method::Bye);
        assert!(
            timeout(Duration::from_millis(50), bob.accept())
                .await
                .is_err(),
            "no extra dialog"
        );
        if mode.is_reliable() {
            assert!(call.connection().is_some());
            assert_eq!(
                alice.transport().connections().len(),
                1,
                "{mode}: one connection for the dialog"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_dialogs_in_every_mode() {
    const N: usize = 200;
    let pki = pki(&["127.0.0.1"]);
    for mode in MODES {
        // A burst of N datagrams must not overflow the default UDP receive buffer on a
        // loaded machine: UDP loss is the transaction layer's business, not tested here.
        let big = |mut c: sip_transport::TransportConfig| {
            c.socket.recv_buffer_size = Some(1 << 20);
            c
        };
        let alice = VoipSocket::bind(VoipSocketConfig::new(big(config(mode, v4(), Some(&pki)))))
            .await
            .unwrap();
        // The callee accepts one dialog at a time: its accept queue must hold them all
        // (over the limit a new dialog gets 503, tested below).
        let mut cfg = VoipSocketConfig::new(big(config(mode, v4(), Some(&pki))));
        cfg.accept_queue = N;
        let bob = VoipSocket::bind(cfg).await.unwrap();
        let (a, b) = (alice.local_addr(), bob.local_addr());
        let bob = Arc::new(bob);
        // The callee answers every INVITE with a 200 carrying the Call-ID in its tag.
        let server = {
            let bob = bob.clone();
            tokio::spawn(async move {
                let mut held = Vec::new();
                for _ in 0..N {
                    let c = accept(&bob).await;
                    let inv = c.recv(Some(WAIT)).await.unwrap();
                    let tag = format!("t-{}", inv.call_id().unwrap());
                    c.send(reply(&inv, SipStatus::OK, &tag)).await.unwrap();
                    held.push(c);
                }
                held
            })
        };
        let alice = Arc::new(alice);
        let mut calls = Vec::new();
        for i in 0..N {
            let alice = alice.clone();
            calls.push(tokio::spawn(async move {
                let call_id = format!("call-{i}");
                let inv = request(
                    "INVITE",
                    b,
                    mode,
                    a,
                    &call_id,
                    &format!("f{i}"),
                    None,
                    &format!("b{i}"),
                    1,
                );
                let conn = alice.send(&inv).await.unwrap();
                let ok = conn
                    .recv(Some(WAIT))
                    .await
                    .unwrap_or_else(|e| panic!("{mode} {call_id}: {e}"));
                assert_eq!(ok.call_id().unwrap(), call_id);
                assert_eq!(ok.to_tag().unwrap(), format!("t-{call_id}"));
                assert_eq!(conn.remote_tag().unwrap(), format!("t-{call_id}"));
            }));
        }
        for c in calls {
            c.await.unwrap();
        }
        let held = server.await.unwrap();
        assert_eq!(held.len(), N);
        assert_eq!(bob.state().dialogs.len(), N);
        if mode.is_reliable() {
            assert_eq!(
                alice.transport().connections().len(),
                1,
                "{mode}: dialogs share one connection"
            );
        }
    }
}

#[tokio::test]
async fn cancel_and_retransmission_reach_the_invite_dialog() {
    let pki = pki(&["127.0.0.1"]);
    let (alice, bob) = pair(TransportMode::Udp, &pki).await;
    let (a, b) = (alice.local_addr(), bob.local_addr());
    let invite = request(
        "INVITE",
        b,
        TransportMode::Udp,
        a,
        "cx",
        "at",
        None,
        "inv",
        1,
    );
    let call = alice.send(&invite).await.unwrap();
    let callee = accept(&bob).await;
    callee.recv(Some(WAIT)).await.unwrap();
    callee
        .send(reply(&callee.message().clone(), SipStatus::RINGING, "bt"))
        .await
        .unwrap();
    // A retransmitted INVITE (no To tag) is not a new dialog.
    call.send(&invite).await.unwrap();
    assert!(callee.recv(Some(WAIT)).await.unwrap().method() == Some(sip_message::Method::Invite));
    // CANCEL: same branch as the INVITE, no To tag.
    let cancel = request(
        "CANCEL",
        b,
        TransportMode::Udp,
        a,
        "cx",
        "at",
        None,
        "inv",
        1,
    );
    call.send(&cancel).await.unwrap();
    let got = callee.recv(Some(WAIT)).await.unwrap();
    assert_eq!(got.method(), Some(sip_message::Method::Cancel));
    assert!(
        timeout(Duration::from_millis(50), bob.accept())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn recv_timeout_close_and_state_dump() {
    let pki = pki(&["127.0.0.1"]);
    let (alice, bob) = pair(TransportMode::Udp, &pki).await;
    let (a, b) = (alice.local_addr(), bob.local_addr());
    let call = alice
        .send(request(
            "OPTIONS",
            b,
            TransportMode::Udp,
            a,
            "dump",
            "at",
            None,
            "o1",
            1,
        ))
        .await
        .unwrap();
    let e = call
        .recv(Some(Duration::from_millis(50)))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Timeout));
    let callee = accept(&bob).await;
    // Unread: visible in the dump.
    let dump: serde_json::Value = serde_json::from_str(&bob.get_database_dump(false)).unwrap();
    assert_eq!(dump["transport"], "UDP");
    assert_eq!(dump["dialogs"][0]["call_id"], "dump");
    assert_eq!(dump["dialogs"][0]["remote_tag"], "at");
    assert!(dump["dialogs"][0]["local_tag"].is_null());
    assert_eq!(dump["messages"][0]["call_id"], "dump");
    assert!(
        dump["messages"][0]["msg"]
            .as_str()
            .unwrap()
            .starts_with("OPTIONS sip:bob@")
    );
    let pretty = bob.get_database_dump(true);
    assert!(pretty.contains("\n  \"dialogs\""), "{pretty}");
    callee.recv(Some(WAIT)).await.unwrap();
    assert!(bob.state().messages.is_empty());
    // close forgets the dialog; a later in-dialog request is a new dialog again.
    callee.close();
    assert!(bob.state().dialogs.is_empty());
    // Responses no dialog waits for are dropped.
    drop(call);
    assert!(alice.state().dialogs.is_empty());
    // Closing the socket wakes a waiting recv.
    let call = alice
        .send(request(
            "OPTIONS",
            b,
            TransportMode::Udp,
            a,
            "late",
            "at",
            None,
            "o2",
            1,
        ))
        .await
        .unwrap();
    let waiter = tokio::spawn(async move { call.recv(None).await });
    tokio::time::sleep(Duration::from_millis(20)).await;
    alice.close();
    assert!(matches!(
        timeout(WAIT, waiter).await.unwrap().unwrap(),
        Err(Error::Closed)
    ));
}

#[tokio::test]
async fn dialog_limit_answers_503_and_send_refuses() {
    let pki = pki(&["127.0.0.1"]);
    let mut cfg = VoipSocketConfig::new(config(TransportMode::Udp, v4(), None));
    cfg.max_dialogs = 1;
    let bob = VoipSocket::bind(cfg).await.unwrap();
    let alice = VoipSocket::bind(VoipSocketConfig::new(config(
        TransportMode::Udp,
        v4(),
        Some(&pki),
    )))
    .await
    .unwrap();
    let (a, b) = (alice.local_addr(), bob.local_addr());
    let _first = alice
        .send(request(
            "INVITE",
            b,
            TransportMode::Udp,
            a,
            "one",
            "x",
            None,
            "1",
            1,
        ))
        .await
        .unwrap();
    let _held = accept(&bob).await;
    let second = alice
        .send(request(
            "INVITE",
            b,
            TransportMode::Udp,
            a,
            "two",
            "y",
            None,
            "2",
            1,
        ))
        .await
        .unwrap();
    let busy = second.recv(Some(WAIT)).await.unwrap();
    assert_eq!(busy.status().unwrap().code(), 503);
    let e = bob
        .send(request(
            "OPTIONS",
            a,
            TransportMode::Udp,
            b,
            "three",
            "z",
            None,
            "3",
            1,
        ))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::TooManyDialogs(1)));
    // Sending something that is not a request to open a dialog is an error, not a panic.
    assert!(matches!(
        alice.send("garbage").await,
        Err(Error::InvalidMessage(_))
    ));
}

#[tokio::test]
async fn ipv6_loopback_dialog() {
    let pki = pki(&["::1"]);
    for mode in MODES {
        let alice = VoipSocket::bind(VoipSocketConfig::new(config(mode, v6(), Some(&pki))))
            .await
            .unwrap();
        let bob = VoipSocket::bind(VoipSocketConfig::new(config(mode, v6(), Some(&pki))))
            .await
            .unwrap();
        let (a, b) = (alice.local_addr(), bob.local_addr());
        let call = alice
            .send(request("MESSAGE", b, mode, a, "v6", "at", None, "m", 1))
            .await
            .unwrap();
        let c = accept(&bob).await;
        let m = c.recv(Some(WAIT)).await.unwrap();
        c.send(reply(&m, SipStatus::OK, "bt")).await.unwrap();
        assert_eq!(
            call.recv(Some(WAIT)).await.unwrap().status(),
            Some(SipStatus::OK)
        );
    }
}
