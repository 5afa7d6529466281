//! The packet check checks: a malformed SIP message sent from a port declared ours must
//! fail tshark's check, and the same traffic from a peer's port must not (so a clean
//! verdict elsewhere means something).

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Result, bail, ensure};

use super::{Ctx, Scenario};
use crate::peers::tshark::{Capture, PortRoles, check};

pub(crate) fn scenarios() -> Vec<Scenario> {
    vec![Scenario::new(
        "tshark_selftest",
        "the tshark check fails on a malformed SIP/SDP packet from our port, not from a peer's",
        40,
        |ctx| Box::pin(tshark_selftest(ctx)),
    )]
}

fn bad_invite(from: u16, to: u16) -> String {
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=\r\n";
    format!(
        "INVITE sip:x@127.0.0.1:{to} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{from};branch=z9hG4bKself\r\n\
         From: <sip:self@127.0.0.1>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: selftest@127.0.0.1\r\n\
         CSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    )
}

async fn tshark_selftest(ctx: &mut Ctx) -> Result<String> {
    let dir = ctx.log_path("selftest");
    std::fs::create_dir_all(&dir)?;
    let (a, b) = (ctx.ports.port()?, ctx.ports.port()?);
    let capture = Capture::start(&dir).await?;
    let sock = tokio::net::UdpSocket::bind(SocketAddr::from(([127, 0, 0, 1], a))).await?;
    let _sink = tokio::net::UdpSocket::bind(SocketAddr::from(([127, 0, 0, 1], b))).await?;
    // Three copies: one lost to a capture that starts late must not fail the selftest.
    for _ in 0..3 {
        sock.send_to(bad_invite(a, b).as_bytes(), ("127.0.0.1", b))
            .await?;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut roles = PortRoles::default();
    roles.sip.insert(a);
    roles.sip.insert(b);
    roles.peers.insert(a);
    roles.ours.insert(b);
    let file = dir.join("capture.pcapng");
    let as_peer = capture.finish(&roles).await?;
    ensure!(
        !as_peer.peers_flagged.is_empty() && as_peer.ours_flagged.is_empty(),
        "the bad SDP was not flagged: {as_peer:?}"
    );
    roles.peers.clear();
    roles.ours.clear();
    roles.ours.insert(a);
    roles.peers.insert(b);
    match check(&file, &roles).await {
        Err(e) => Ok(format!("flagged as ours: {e:#}")),
        Ok(r) => bail!("a malformed packet from our port passed the check: {r:?}"),
    }
}
