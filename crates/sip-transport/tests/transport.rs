//! Loopback tests of the low-level `SipTransport`: framing, keep-alives, limits, TLS.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::*;
use sip_transport::{Error, SipTransport, TransportMode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::{sleep, timeout};

async fn recv(incoming: &mut sip_transport::Incoming) -> sip_transport::Inbound {
    timeout(WAIT, incoming.recv())
        .await
        .expect("timed out")
        .expect("closed")
}

/// Reads until EOF or reset; true when the peer closed within `WAIT`.
async fn closed_by_peer(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 4096];
    let r = timeout(WAIT, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return true,
                Ok(_) => continue,
            }
        }
    })
    .await;
    r.unwrap_or(false)
}

#[tokio::test]
async fn send_and_receive_every_mode_v4_and_v6() {
    let pki = pki(&["127.0.0.1", "::1"]);
    for bind in [v4(), v6()] {
        for mode in [TransportMode::Udp, TransportMode::Tcp, TransportMode::Tls] {
            let (server, mut incoming) = SipTransport::bind(config(mode, bind, Some(&pki)))
                .await
                .unwrap();
            let (client, mut client_in) = SipTransport::bind(config(mode, bind, Some(&pki)))
                .await
                .unwrap();
            let to = server.local_addr();
            let msg = options(to, mode, &format!("c-{mode}-{bind}"), "1");
            let used = client.send_to(to, Bytes::from(msg.clone())).await.unwrap();
            assert_eq!(used.is_some(), mode != TransportMode::Udp);
            let got = recv(&mut incoming).await;
            assert_eq!(got.message.as_bytes(), msg.as_bytes());
            assert_eq!(got.transport, mode);
            assert_eq!(got.local, to);
            assert_eq!(got.source.ip(), bind.ip());
            // Answer on the same connection / to the source.
            let resp = got
                .message
                .response(sip_message::SipStatus::OK)
                .to_tag("s1")
                .build()
                .unwrap();
            server.reply(&got, resp.to_bytes()).await.unwrap();
            let back = recv(&mut client_in).await;
            assert_eq!(back.message.status().unwrap().code(), 200);
            assert_eq!(
                back.connection, used,
                "response came back on the request's connection"
            );
        }
    }
}

#[tokio::test]
async fn tcp_connection_is_reused_per_peer() {
    for mode in [TransportMode::Tcp, TransportMode::Tls] {
        let pki = pki(&["127.0.0.1"]);
        let (server, mut incoming) = SipTransport::bind(config(mode, v4(), Some(&pki)))
            .await
            .unwrap();
        let (client, _) = SipTransport::bind(config(mode, v4(), Some(&pki)))
            .await
            .unwrap();
        let to = server.local_addr();
        let mut ids = Vec::new();
        for i in 0..5 {
            let id = client
                .send_to(
                    to,
                    options(to, mode, &format!("r{i}"), &i.to_string()).into(),
                )
                .await
                .unwrap();
            ids.push(id.unwrap());
            recv(&mut incoming).await;
        }
        assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
        assert_eq!(client.connections().len(), 1);
        assert_eq!(server.connections().len(), 1);
        assert!(server.connections()[0].inbound);
        // Closing it makes the next send open a new one.
        client.close_connection(ids[0]);
        let id = client
            .send_to(to, options(to, mode, "after", "9").into())
            .await
            .unwrap()
            .unwrap();
        assert_ne!(id, ids[0]);
        recv(&mut incoming).await;
    }
}

#[tokio::test]
async fn framing_across_split_and_coalesced_reads() {
    let (server, mut incoming) = SipTransport::bind(config(TransportMode::Tcp, v4(), None))
        .await
        .unwrap();
    let to = server.local_addr();
    let mut peer = TcpStream::connect(to).await.unwrap();
    peer.set_nodelay(true).unwrap();
    let m1 = options(to, TransportMode::Tcp, "split", "1");
    // Split: a few bytes at a time, so the framer sees every kind of partial input.
    for chunk in m1.as_bytes().chunks(7) {
        peer.write_all(chunk).await.unwrap();
        sleep(Duration::from_millis(1)).await;
    }
    let got = recv(&mut incoming).await;
    assert_eq!(got.message.call_id().unwrap(), "split");
    assert_eq!(got.message.body(), b"v=0\r\n");
    // Coalesced: three messages (compact Content-Length, a body, stray CRLFs) in one write,
    // plus the first half of a fourth that completes in the next write.
    let m2 = options(to, TransportMode::Tcp, "c2", "2");
    let m3 = format!(
        "MESSAGE sip:bob@{to} SIP/2.0\r\nv: SIP/2.0/TCP {to};branch=z9hG4bK3\r\nf: <sip:a@{to}>;tag=x\r\n\
         t: <sip:bob@{to}>\r\ni: c3\r\nCSeq: 7 MESSAGE\r\nl: 11\r\n\r\nhello\r\nbody"
    );
    let m4 = options(to, TransportMode::Tcp, "c4", "4");
    let (m4a, m4b) = m4.split_at(m4.len() / 2);
    let blob = format!("{m2}{m3}\r\n{m4a}");
    peer.write_all(blob.as_bytes()).await.unwrap();
    let a = recv(&mut incoming).await;
    let b = recv(&mut incoming).await;
    assert_eq!(a.message.call_id().unwrap(), "c2");
    assert_eq!(b.message.call_id().unwrap(), "c3");
    assert_eq!(b.message.body(), b"hello\r\nbody");
    assert!(incoming.try_recv().is_none());
    peer.write_all(m4b.as_bytes()).await.unwrap();
    let c = recv(&mut incoming).await;
    assert_eq!(c.message.call_id().unwrap(), "c4");
    assert_eq!(a.connection, c.connection);
}

#[tokio::test]
async fn keepalive_ping_gets_a_pong() {
    let pki = pki(&["127.0.0.1"]);
    // Plain TCP with a raw socket: the pong is exactly CRLF.
    let (server, mut incoming) = SipTransport::bind(config(TransportMode::Tcp, v4(), None))
        .await
        .unwrap();
    let to = server.local_addr();
    let mut peer = TcpStream::connect(to).await.unwrap();
    peer.write_all(b"\r\n\r\n").await.unwrap();
    let mut pong = [0u8; 2];
    timeout(WAIT, peer.read_exact(&mut pong))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&pong, b"\r\n");
    // A ping split in two, then a message right after another ping.
    peer.write_all(b"\r\n").await.unwrap();
    sleep(Duration::from_millis(20)).await;
    peer.write_all(b"\r\n").await.unwrap();
    timeout(WAIT, peer.read_exact(&mut pong))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&pong, b"\r\n");
    let m = options(to, TransportMode::Tcp, "after-ping", "1");
    peer.write_all(format!("\r\n\r\n{m}").as_bytes())
        .await
        .unwrap();
    timeout(WAIT, peer.read_exact(&mut pong))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        recv(&mut incoming).await.message.call_id().unwrap(),
        "after-ping"
    );
    drop(server);

    // TLS: ping through the transport of a client.
    let (server, mut incoming) = SipTransport::bind(config(TransportMode::Tls, v4(), Some(&pki)))
        .await
        .unwrap();
    let (client, mut client_in) = SipTransport::bind(config(TransportMode::Tls, v4(), Some(&pki)))
        .await
        .unwrap();
    let to = server.local_addr();
    client
        .send_to(to, options(to, TransportMode::Tls, "tls", "1").into())
        .await
        .unwrap();
    recv(&mut incoming).await;
    // The pong (a lone CRLF) is skipped by the client's framer; the connection survives.
    let conn = client.connections()[0].id;
    client.send_keepalive(conn).await.unwrap();
    sleep(Duration::from_millis(100)).await;
    assert_eq!(server.connections().len(), 1);
    client
        .send_to(to, options(to, TransportMode::Tls, "tls2", "2").into())
        .await
        .unwrap();
    assert_eq!(recv(&mut incoming).await.message.call_id().unwrap(), "tls2");
    assert!(client_in.try_recv().is_none());
}

#[tokio::test]
async fn garbage_stream_is_closed_without_affecting_others() {
    let (server, mut incoming) = SipTransport::bind(config(TransportMode::Tcp, v4(), None))
        .await
        .unwrap();
    let to = server.local_addr();
    let mut good = TcpStream::connect(to).await.unwrap();
    good.write_all(options(to, TransportMode::Tcp, "good1", "1").as_bytes())
        .await
        .unwrap();
    recv(&mut incoming).await;

    // 60 kB of garbage: no line is a start line, and no header section ever ends.
    let mut bad = TcpStream::connect(to).await.unwrap();
    let garbage: Vec<u8> = (0..60_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 0x80)
        .collect();
    let _ = bad.write_all(&garbage).await;
    assert!(closed_by_peer(&mut bad).await, "garbage connection closed");

    // A "looks like SIP" stream whose header section never ends (over the size limit).
    let mut long = TcpStream::connect(to).await.unwrap();
    let mut flood = b"INVITE sip:a@127.0.0.1 SIP/2.0\r\n".to_vec();
    while flood.len() < 70_000 {
        flood.extend_from_slice(b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    let _ = long.write_all(&flood).await;
    assert!(closed_by_peer(&mut long).await, "over-long message closed");

    // A declared body over the limit is refused before it arrives.
    let mut big = TcpStream::connect(to).await.unwrap();
    big.write_all(
        format!("MESSAGE sip:a@{to} SIP/2.0\r\nVia: SIP/2.0/TCP {to};branch=z9hG4bKb\r\nContent-Length: 100000\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    assert!(closed_by_peer(&mut big).await, "over-long body closed");

    // The good connection still works.
    good.write_all(options(to, TransportMode::Tcp, "good2", "2").as_bytes())
        .await
        .unwrap();
    let got = recv(&mut incoming).await;
    assert_eq!(got.message.call_id().unwrap(), "good2");
    assert!(
        incoming.try_recv().is_none(),
        "nothing from the bad peers was delivered"
    );
}

#[tokio::test]
async fn peer_disconnecting_or_stalling_mid_message() {
    let mut cfg = config(TransportMode::Tcp, v4(), None);
    cfg.stall_timeout = Duration::from_millis(300);
    let (server, mut incoming) = SipTransport::bind(cfg).await.unwrap();
    let to = server.local_addr();
    let m = options(to, TransportMode::Tcp, "half", "1");

    let mut quitter = TcpStream::connect(to).await.unwrap();
    quitter
        .write_all(&m.as_bytes()[..m.len() / 2])
        .await
        .unwrap();
    drop(quitter);

    let mut staller = TcpStream::connect(to).await.unwrap();
    staller
        .write_all(&m.as_bytes()[..m.len() - 3])
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    assert!(
        closed_by_peer(&mut staller).await,
        "stalled connection closed"
    );
    assert!(started.elapsed() >= Duration::from_millis(250));

    // Meanwhile another peer is served normally.
    let mut other = TcpStream::connect(to).await.unwrap();
    other
        .write_all(options(to, TransportMode::Tcp, "ok", "2").as_bytes())
        .await
        .unwrap();
    assert_eq!(recv(&mut incoming).await.message.call_id().unwrap(), "ok");
    assert!(incoming.try_recv().is_none());
    // Only `other` is left.
    sleep(Duration::from_millis(50)).await;
    assert_eq!(server.connections().len(), 1);
}

#[tokio::test]
async fn idle_connections_are_closed_and_limit_is_enforced() {
    let mut cfg = config(TransportMode::Tcp, v4(), None);
    cfg.idle_timeout = Duration::from_millis(200);
    cfg.max_connections = 1;
    let (server, _incoming) = SipTransport::bind(cfg).await.unwrap();
    let to = server.local_addr();
    let mut first = TcpStream::connect(to).await.unwrap();
    sleep(Duration::from_millis(50)).await;
    // Over the limit: closed at once.
    let mut second = TcpStream::connect(to).await.unwrap();
    assert!(closed_by_peer(&mut second).await);
    assert_eq!(server.connections().len(), 1);
    // The first one goes away when idle.
    assert!(closed_by_peer(&mut first).await);
    sleep(Duration::from_millis(20)).await;
    assert!(server.connections().is_empty());

    // Outgoing connections count against the limit too.
    let (peer1, _a) = SipTransport::bind(config(TransportMode::Tcp, v4(), None))
        .await
        .unwrap();
    let (peer2, _b) = SipTransport::bind(config(TransportMode::Tcp, v4(), None))
        .await
        .unwrap();
    let mut cfg = config(TransportMode::Tcp, v4(), None);
    cfg.max_connections = 1;
    let (client, _c) = SipTransport::bind(cfg).await.unwrap();
    let p1 = peer1.local_addr();
    client
        .send_to(p1, options(p1, TransportMode::Tcp, "x", "1").into())
        .await
        .unwrap();
    let p2 = peer2.local_addr();
    let e = client
        .send_to(p2, options(p2, TransportMode::Tcp, "y", "1").into())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::TooManyConnections(1)), "{e}");
}

#[tokio::test]
async fn bad_request_with_via_gets_400() {
    // UDP
    let (server, mut incoming) = SipTransport::bind(config(TransportMode::Udp, v4(), None))
        .await
        .unwrap();
    let to = server.local_addr();
    let peer = UdpSocket::bind(v4()).await.unwrap();
    let me = peer.local_addr().unwrap();
    let bad =
        options(to, TransportMode::Udp, "bad", "1").replace("CSeq: 1 OPTIONS", "CSeq: one OPTIONS");
    peer.send_to(bad.as_bytes(), to).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let (n, from) = timeout(WAIT, peer.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(from, to);
    let resp = sip_message::SipMessage::parse(Bytes::copy_from_slice(&buf[..n])).unwrap();
    assert_eq!(resp.status().unwrap().code(), 400);
    assert_eq!(resp.call_id().unwrap(), "bad");
    assert!(resp.to_tag().is_some());
    let warning = resp.header_str(&sip_message::HeaderName::Warning);
    assert!(
        warning.is_some_and(|w| w.starts_with("399 ") && w.contains("CSeq")),
        "{warning:?}"
    );
    // Garbage and a bad response get nothing back, and nothing is delivered.
    peer.send_to(b"\x16\x03\x01 hello?", to).await.unwrap();
    peer.send_to(b"SIP/2.0 200 OK\r\nCSeq: x\r\n\r\n", to)
        .await
        .unwrap();
    peer.send_to(b"\r\n\r\n", to).await.unwrap();
    let good = options(to, TransportMode::Udp, "good", "2");
    peer.send_to(good.as_bytes(), to).await.unwrap();
    let got = recv(&mut incoming).await;
    assert_eq!(got.message.call_id().unwrap(), "good");
    assert_eq!(got.source, me);
    assert!(
        timeout(Duration::from_millis(100), peer.recv_from(&mut buf))
            .await
            .is_err(),
        "no other answer"
    );

    // TCP: the 400 comes back on the stream, which stays open.
    let (server, mut incoming) = SipTransport::bind(config(TransportMode::Tcp, v4(), None))
        .await
        .unwrap();
    let to = server.local_addr();
    let mut s = TcpStream::connect(to).await.unwrap();
    let bad = options(to, TransportMode::Tcp, "bad", "1")
        .replace("From: <sip:alice@", "From: <sip:alice@@");
    s.write_all(bad.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = timeout(WAIT, s.read(&mut buf)).await.unwrap().unwrap();
    assert!(
        buf[..n].starts_with(b"SIP/2.0 400 Bad Request\r\n"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
    s.write_all(options(to, TransportMode::Tcp, "next", "2").as_bytes())
        .await
        .unwrap();
    assert_eq!(recv(&mut incoming).await.message.call_id().unwrap(), "next");
}

#[tokio::test]
async fn tls_wrong_certificate_is_rejected() {
    let server_pki = pki(&["127.0.0.1"]);
    let other_pki = pki(&["127.0.0.1"]);
    let (server, _incoming) =
        SipTransport::bind(config(TransportMode::Tls, v4(), Some(&server_pki)))
            .await
            .unwrap();
    let to = server.local_addr();
    // The client trusts another CA.
    let (client, _) = SipTransport::bind(config(TransportMode::Tls, v4(), Some(&other_pki)))
        .await
        .unwrap();
    let e = client
        .send_to(to, options(to, TransportMode::Tls, "x", "1").into())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::TlsHandshake { .. }), "{e}");
    assert!(e.to_string().to_lowercase().contains("certificate"), "{e}");
    // The default client trusts only the system roots: rejected too.
    let mut cfg = config(TransportMode::Tls, v4(), None);
    cfg.tls_server = None;
    let (client, _) = SipTransport::bind(cfg).await.unwrap();
    assert_eq!(
        client.local_addr().port(),
        0,
        "no server certificate: not listening"
    );
    let e = client
        .send_to(to, options(to, TransportMode::Tls, "x", "1").into())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::TlsHandshake { .. }), "{e}");
    // Verification explicitly off: accepted.
    let mut lax = sip_transport::TlsClientConfig::new();
    lax.set_tls_security(sip_transport::TlsVerifyMode::None);
    let mut cfg = config(TransportMode::Tls, v4(), None);
    cfg.tls_client = Some(lax);
    let (client, _) = SipTransport::bind(cfg).await.unwrap();
    client
        .send_to(to, options(to, TransportMode::Tls, "x", "1").into())
        .await
        .unwrap();
}

#[tokio::test]
async fn tls_host_name_mismatch_rejected_unless_checking_is_off() {
    let pki = pki(&["voip.test"]);
    let (server, mut incoming) = SipTransport::bind(config(TransportMode::Tls, v4(), Some(&pki)))
        .await
        .unwrap();
    let to = server.local_addr();
    let msg = || Bytes::from(options(to, TransportMode::Tls, "h", "1"));
    let (client, _) = SipTransport::bind(config(TransportMode::Tls, v4(), Some(&pki)))
        .await
        .unwrap();
    // Right name: accepted.
    client.send_to_named(to, "voip.test", msg()).await.unwrap();
    recv(&mut incoming).await;
    // Wrong name, and the bare IP (not in the certificate): rejected.
    let (client, _) = SipTransport::bind(config(TransportMode::Tls, v4(), Some(&pki)))
        .await
        .unwrap();
    let e = client
        .send_to_named(to, "other.test", msg())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::TlsHandshake { .. }), "{e}");
    let e = client.send_to(to, msg()).await.unwrap_err();
    assert!(matches!(e, Error::TlsHandshake { .. }), "{e}");
    // Host-name checking off (chain still verified): accepted.
    let mut cfg = config(TransportMode::Tls, v4(), Some(&pki));
    cfg.tls_client = Some(pki.client().check_hostname(false));
    let (client, _) = SipTransport::bind(cfg).await.unwrap();
    client.send_to_named(to, "other.test", msg()).await.unwrap();
    recv(&mut incoming).await;
    // ... but a chain from an unknown CA is still refused with the name check off.
    let stranger = common::pki(&["voip.test"]);
    let mut cfg = config(TransportMode::Tls, v4(), None);
    cfg.tls_client = Some(stranger.client().check_hostname(false));
    let (client, _) = SipTransport::bind(cfg).await.unwrap();
    assert!(client.send_to_named(to, "voip.test", msg()).await.is_err());
}

#[tokio::test]
async fn tls_fallback_only_when_allowed() {
    let pki = pki(&["127.0.0.1"]);
    // The peer only speaks TCP: the TLS handshake fails.
    let (tcp_server, mut incoming) = SipTransport::bind(config(TransportMode::Tcp, v4(), None))
        .await
        .unwrap();
    let to = tcp_server.local_addr();
    let (strict, _) = SipTransport::bind(config(TransportMode::Tls, v4(), Some(&pki)))
        .await
        .unwrap();
    let e = strict
        .send_to(to, options(to, TransportMode::Tls, "f", "1").into())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::TlsHandshake { .. }), "{e}");
    let mut cfg = config(TransportMode::Tls, v4(), Some(&pki));
    cfg.allow_tls_fallback = true;
    let (lax, _) = SipTransport::bind(cfg).await.unwrap();
    lax.send_to(to, options(to, TransportMode::Tls, "f2", "2").into())
        .await
        .unwrap();
    assert_eq!(recv(&mut incoming).await.message.call_id().unwrap(), "f2");
    let conns = lax.connections();
    assert_eq!(conns.len(), 1);
    assert_eq!(
        conns[0].transport,
        TransportMode::Tcp,
        "the fallback is visible"
    );
}

#[tokio::test]
async fn close_stops_everything() {
    let (server, mut incoming) = SipTransport::bind(config(TransportMode::Tcp, v4(), None))
        .await
        .unwrap();
    let to = server.local_addr();
    let mut peer = TcpStream::connect(to).await.unwrap();
    peer.write_all(options(to, TransportMode::Tcp, "a", "1").as_bytes())
        .await
        .unwrap();
    recv(&mut incoming).await;
    server.close();
    assert!(closed_by_peer(&mut peer).await);
    assert!(timeout(WAIT, incoming.recv()).await.unwrap().is_none());
    // The port can be bound again right away (reuse-address).
    let (again, _) = SipTransport::bind(config(TransportMode::Tcp, to, None))
        .await
        .unwrap();
    assert_eq!(again.local_addr(), to);
}

#[tokio::test]
async fn dual_stack_socket_sees_ipv4_peers_as_ipv4() {
    // [::] without IPV6_V6ONLY also receives IPv4; peers are reported as plain IPv4 and
    // can be answered at that address.
    let mut cfg = config(TransportMode::Udp, "[::]:0".parse().unwrap(), None);
    cfg.socket.only_v6 = Some(false);
    let (server, mut incoming) = SipTransport::bind(cfg).await.unwrap();
    let to: std::net::SocketAddr = format!("127.0.0.1:{}", server.local_addr().port())
        .parse()
        .unwrap();
    let (client, mut replies) = SipTransport::bind(config(TransportMode::Udp, v4(), None))
        .await
        .unwrap();
    client
        .send_to(to, options(to, TransportMode::Udp, "ds", "1").into())
        .await
        .unwrap();
    let got = recv(&mut incoming).await;
    assert_eq!(got.source, client.local_addr());
    let ok = got
        .message
        .response(sip_message::SipStatus::OK)
        .to_tag("x")
        .build()
        .unwrap();
    server.reply(&got, ok.to_bytes()).await.unwrap();
    assert_eq!(
        recv(&mut replies).await.message.status().unwrap().code(),
        200
    );
}

#[tokio::test]
async fn tls_from_pem_files_and_ca_file() {
    let pki = pki(&["voip.test"]);
    let dir = std::env::temp_dir().join(format!("sip-transport-pem-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key, ca) = (
        dir.join("cert.pem"),
        dir.join("key.pem"),
        dir.join("ca.pem"),
    );
    std::fs::write(&cert, &pki.cert_pem).unwrap();
    std::fs::write(&key, &pki.key_pem).unwrap();
    std::fs::write(&ca, &pki.ca_pem).unwrap();

    let mut cfg = config(TransportMode::Tls, v4(), None);
    cfg.tls_server =
        Some(sip_transport::TlsServerConfig::from_pem_files(&cert, Some(&key), None).unwrap());
    let (server, mut incoming) = SipTransport::bind(cfg).await.unwrap();
    let mut cfg = config(TransportMode::Tls, v4(), None);
    cfg.tls_client = Some(sip_transport::TlsClientConfig::new().with_ca_file(&ca));
    let (client, _) = SipTransport::bind(cfg).await.unwrap();
    let to = server.local_addr();
    client
        .send_to_named(
            to,
            "voip.test",
            options(to, TransportMode::Tls, "pem", "1").into(),
        )
        .await
        .unwrap();
    assert_eq!(recv(&mut incoming).await.message.call_id().unwrap(), "pem");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn transport_set_merges_modes() {
    use sip_transport::TransportSet;
    let (set, mut incoming) = TransportSet::bind([
        config(TransportMode::Udp, v4(), None),
        config(TransportMode::Tcp, v4(), None),
    ])
    .await
    .unwrap();
    let (peer, mut peer_in) = TransportSet::bind([
        config(TransportMode::Udp, v4(), None),
        config(TransportMode::Tcp, v4(), None),
    ])
    .await
    .unwrap();
    for mode in [TransportMode::Udp, TransportMode::Tcp] {
        let to = set.get(mode).unwrap().local_addr();
        peer.send_to(
            mode,
            to,
            options(to, mode, &format!("set-{mode}"), "1").into(),
        )
        .await
        .unwrap();
        let got = recv(&mut incoming).await;
        assert_eq!(got.transport, mode);
        assert_eq!(got.message.call_id().unwrap(), format!("set-{mode}"));
        let ok = got
            .message
            .response(sip_message::SipStatus::OK)
            .to_tag("s")
            .build()
            .unwrap();
        set.reply(&got, ok.to_bytes()).await.unwrap();
        let back = recv(&mut peer_in).await;
        assert_eq!(back.transport, mode);
        assert_eq!(back.message.status().unwrap().code(), 200);
    }
    // Over TCP the response to the source reused the peer's connection: one each side.
    assert_eq!(set.get(TransportMode::Tcp).unwrap().connections().len(), 1);
    assert_eq!(peer.get(TransportMode::Tcp).unwrap().connections().len(), 1);
    let e = set
        .send_to(
            TransportMode::Tls,
            "127.0.0.1:5061".parse().unwrap(),
            Bytes::new(),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Unsupported(TransportMode::Tls)));
    let e = TransportSet::bind([
        config(TransportMode::Udp, v4(), None),
        config(TransportMode::Udp, v4(), None),
    ])
    .await
    .unwrap_err();
    assert!(matches!(e, Error::DuplicateMode(TransportMode::Udp)));
    set.close();
    assert!(timeout(WAIT, incoming.recv()).await.unwrap().is_none());
}

#[tokio::test]
async fn tls_server_survives_garbage_and_silent_clients() {
    let pki = pki(&["127.0.0.1"]);
    let mut cfg = config(TransportMode::Tls, v4(), Some(&pki));
    cfg.connect_timeout = Duration::from_millis(300);
    cfg.max_connections = 2;
    let (server, mut incoming) = SipTransport::bind(cfg).await.unwrap();
    let to = server.local_addr();
    // Garbage instead of a ClientHello.
    let mut garbage = TcpStream::connect(to).await.unwrap();
    let _ = garbage.write_all(&vec![0x42u8; 60_000]).await;
    assert!(closed_by_peer(&mut garbage).await);
    // Connects and says nothing: dropped when the handshake times out.
    let mut silent = TcpStream::connect(to).await.unwrap();
    assert!(closed_by_peer(&mut silent).await);
    // Their slots are free again: a real client gets in (the limit is 2).
    let (client, _) = SipTransport::bind(config(TransportMode::Tls, v4(), Some(&pki)))
        .await
        .unwrap();
    client
        .send_to(to, options(to, TransportMode::Tls, "real", "1").into())
        .await
        .unwrap();
    assert_eq!(recv(&mut incoming).await.message.call_id().unwrap(), "real");
    assert_eq!(server.connections().len(), 1);
}

#[tokio::test]
async fn oversized_datagram_gets_513_and_is_dropped() {
    let mut cfg = config(TransportMode::Udp, v4(), None);
    cfg.limits.max_message_size = 1000;
    let (server, mut incoming) = SipTransport::bind(cfg).await.unwrap();
    let to = server.local_addr();
    let peer = UdpSocket::bind(v4()).await.unwrap();
    let big = options(to, TransportMode::Udp, "big", "1").replace("v=0\r\n", &"x".repeat(1500));
    let big = big.replace("Content-Length: 5", &format!("Content-Length: {}", 1500));
    peer.send_to(big.as_bytes(), to).await.unwrap();
    peer.send_to(options(to, TransportMode::Udp, "small", "2").as_bytes(), to)
        .await
        .unwrap();
    assert_eq!(
        recv(&mut incoming).await.message.call_id().unwrap(),
        "small"
    );
    assert!(incoming.try_recv().is_none());
    let mut buf = vec![0u8; 4096];
    let (n, _) = timeout(WAIT, peer.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(
        text.starts_with("SIP/2.0 513 Message Too Large\r\n"),
        "{text}"
    );
}
