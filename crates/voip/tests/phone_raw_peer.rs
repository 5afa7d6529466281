//! A phone answering a scripted caller (a raw UDP socket on 127.0.0.1, like SIPp's `uac`
//! scenario): the callee's BYE waits for the ACK of its 200 (RFC 3261 §15), and keys sent
//! in SIP INFO break a prompt ([`voip::Playback::until_dtmf`]) like RFC 4733 ones.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use sip_message::{Method, SipMessage};
use tokio::net::UdpSocket;
use tokio::time::timeout;
use voip::{CallState, PhoneStatus, VoipCall, VoipPhone, VoipPhoneParameter};

const WAIT: Duration = Duration::from_secs(10);

async fn phone(rtp: u16) -> VoipPhone {
    let p = VoipPhone::new(
        VoipPhoneParameter::builder("bob")
            .bind("127.0.0.1:0".parse().unwrap())
            .rtp_ports(rtp, rtp + 9)
            .build()
            .unwrap(),
    )
    .unwrap();
    p.start().await.unwrap();
    assert_eq!(p.get_status(), PhoneStatus::Registered);
    p
}

/// The scripted caller: its SIP socket and the phone's address.
struct Caller {
    sock: UdpSocket,
    phone: SocketAddr,
    call_id: String,
}

impl Caller {
    async fn new(phone: SocketAddr, call_id: &str) -> Self {
        Caller {
            sock: UdpSocket::bind("127.0.0.1:0").await.unwrap(),
            phone,
            call_id: call_id.to_owned(),
        }
    }

    fn me(&self) -> SocketAddr {
        self.sock.local_addr().unwrap()
    }

    async fn send(&self, text: &str, body: &str) {
        let mut m = text.replace('\n', "\r\n");
        m.push_str(body);
        self.sock.send_to(m.as_bytes(), self.phone).await.unwrap();
    }

    /// The next message, or `None` after `wait`.
    async fn recv(&self, wait: Duration) -> Option<SipMessage> {
        let mut buf = vec![0u8; 65536];
        let (n, _) = timeout(wait, self.sock.recv_from(&mut buf))
            .await
            .ok()?
            .ok()?;
        Some(SipMessage::parse(Bytes::copy_from_slice(&buf[..n])).unwrap())
    }

    /// Messages until the first one `pick` accepts (panics after [`WAIT`]).
    async fn until(&self, pick: impl Fn(&SipMessage) -> bool) -> SipMessage {
        loop {
            let m = self.recv(WAIT).await.expect("the expected message in time");
            if pick(&m) {
                return m;
            }
        }
    }

    async fn invite(&self) {
        let me = self.me();
        let body = format!(
            "v=0\r\no=uac 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
             m=audio {} RTP/AVP 0\r\na=sendrecv\r\n",
            me.port() + 1
        );
        self.send(
            &format!(
                "INVITE sip:bob@{phone} SIP/2.0
Via: SIP/2.0/UDP {me};branch=z9hG4bK-inv-{id};rport
Max-Forwards: 70
From: <sip:uac@{me}>;tag=uac
To: <sip:bob@{phone}>
Call-ID: {id}
CSeq: 1 INVITE
Contact: <sip:uac@{me}>
Content-Type: application/sdp
Content-Length: {len}

",
                phone = self.phone,
                id = self.call_id,
                len = body.len()
            ),
            &body,
        )
        .await;
    }

    /// An in-dialog request (`ACK` of CSeq 1, `INFO`, or a `200` to the phone's BYE).
    async fn in_dialog(&self, method: &str, seq: u32, to_tag: &str, extra: &str, body: &str) {
        let me = self.me();
        self.send(
            &format!(
                "{method} sip:bob@{phone} SIP/2.0
Via: SIP/2.0/UDP {me};branch=z9hG4bK-{method}-{seq}-{id};rport
Max-Forwards: 70
From: <sip:uac@{me}>;tag=uac
To: <sip:bob@{phone}>;tag={to_tag}
Call-ID: {id}
CSeq: {seq} {method}
Contact: <sip:uac@{me}>
{extra}Content-Length: {len}

",
                phone = self.phone,
                id = self.call_id,
                len = body.len()
            ),
            body,
        )
        .await;
    }

    async fn ok_to(&self, req: &SipMessage) {
        let resp = req.response(sip_message::SipStatus::OK).build().unwrap();
        self.sock
            .send_to(resp.as_bytes(), self.phone)
            .await
            .unwrap();
    }
}

fn is_final_200(m: &SipMessage) -> bool {
    m.is_response() && m.status().unwrap().code() == 200
}

/// The caller INVITEs, the phone answers: the call and the 200's To tag.
async fn answered(bob: &VoipPhone, caller: &Caller) -> (VoipCall, String) {
    caller.invite().await;
    let call = timeout(WAIT, bob.incoming()).await.unwrap().unwrap();
    call.answer().await.unwrap();
    let ok = caller.until(is_final_200).await;
    let tag = ok.to_tag().unwrap().to_owned();
    (call, tag)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hangup_right_after_answer_waits_for_the_ack_before_bye() {
    let bob = phone(44100).await;
    let caller = Caller::new(bob.local_addr().unwrap(), "raw-bye-1").await;
    let (call, tag) = answered(&bob, &caller).await;

    // SIPp's timing: the callee hangs up before the caller's ACK arrived.
    call.hangup().await.unwrap();
    assert_eq!(call.state(), CallState::Ended);
    let deadline = tokio::time::Instant::now() + Duration::from_millis(700);
    while let Some(m) = caller.recv(deadline - tokio::time::Instant::now()).await {
        assert_ne!(m.method(), Some(Method::Bye), "BYE before the ACK: {m:?}");
    }

    caller.in_dialog("ACK", 1, &tag, "", "").await;
    let bye = caller.until(|m| m.method() == Some(Method::Bye)).await;
    assert_eq!(bye.call_id().unwrap(), "raw-bye-1");
    assert_eq!(bye.from_tag(), Some(tag.as_str()));
    caller.ok_to(&bye).await;
    bob.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_in_sip_info_breaks_the_prompt() {
    let bob = phone(44120).await;
    let caller = Caller::new(bob.local_addr().unwrap(), "raw-info-1").await;
    let (call, tag) = answered(&bob, &caller).await;
    caller.in_dialog("ACK", 1, &tag, "", "").await;

    let playback = call.play(&vec![0x90; 5 * 8000]).unwrap();
    let waiter = tokio::spawn(playback.clone().until_dtmf());
    tokio::time::sleep(Duration::from_millis(300)).await;
    caller
        .in_dialog(
            "INFO",
            2,
            &tag,
            "Content-Type: application/dtmf-relay\n",
            "Signal=5\r\nDuration=160\r\n",
        )
        .await;
    let info_ok = caller
        .until(|m| m.is_response() && m.cseq().is_ok_and(|c| c.seq == 2))
        .await;
    assert_eq!(info_ok.status().unwrap().code(), 200);
    let key = timeout(Duration::from_secs(3), waiter)
        .await
        .expect("until_dtmf woke on the INFO key")
        .unwrap();
    assert_eq!(key, Some('5'));
    assert!(playback.is_finished(), "barge-in cut the prompt");
    assert_eq!(call.get_dtmf(None), "", "until_dtmf took the key");

    // With no prompt playing the INFO key still reaches get_dtmf.
    caller
        .in_dialog(
            "INFO",
            3,
            &tag,
            "Content-Type: application/dtmf-relay\n",
            "Signal=#\r\nDuration=160\r\n",
        )
        .await;
    caller
        .until(|m| m.is_response() && m.cseq().is_ok_and(|c| c.seq == 3))
        .await;
    assert_eq!(call.get_dtmf(None), "#");

    call.hangup().await.unwrap();
    let bye = caller.until(|m| m.method() == Some(Method::Bye)).await;
    caller.ok_to(&bye).await;
    bob.stop().await;
}
