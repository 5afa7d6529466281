//! The media engine on 127.0.0.1: streams talking to each other and to a raw UDP peer.

use rtp_core::{AudioCodec, RtpPacket, TransmitType};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::time::timeout;
use voip::media::{LatchPolicy, MediaConfig, MediaEngine, MediaError, MediaStream};
use voip::sdp_negotiation::NegotiatedMedia;

const LO: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn media(remote: SocketAddr, codec: AudioCodec, direction: TransmitType) -> NegotiatedMedia {
    NegotiatedMedia {
        remote,
        codec,
        payload_type: codec.number(),
        dtmf_payload_type: Some(101),
        direction,
        ptime: 20,
        receive_audio: vec![(0, AudioCodec::Pcmu), (8, AudioCodec::Pcma)],
        receive_dtmf_payload_type: Some(101),
    }
}

/// Two connected streams; `a` sends with `codec_a`, `b` with `codec_b`.
fn pair(
    engine: &MediaEngine,
    codec_a: AudioCodec,
    codec_b: AudioCodec,
) -> (MediaStream, MediaStream) {
    let a = engine.open_stream(LO).unwrap();
    let b = engine.open_stream(LO).unwrap();
    a.apply(&media(b.local_addr(), codec_a, TransmitType::SendRecv));
    b.apply(&media(a.local_addr(), codec_b, TransmitType::SendRecv));
    (a, b)
}

/// Position of `expected` inside `got`, if it is there contiguously.
fn find(got: &[i16], expected: &[i16]) -> Option<usize> {
    if got.len() < expected.len() {
        return None;
    }
    (0..=got.len() - expected.len()).find(|&o| got[o..o + expected.len()] == *expected)
}

fn tone(n: usize) -> Vec<i16> {
    (0..n)
        .map(|i| {
            let t = i as f64 / 8000.0;
            (((t * 440.0 * std::f64::consts::TAU).sin() * 9000.0) + (i % 97) as f64 * 50.0 + 1000.0)
                as i16
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audio_both_ways_is_exact_after_g711() {
    let engine = MediaEngine::new(MediaConfig::new(41000, 41019)).unwrap();
    let (a, b) = pair(&engine, AudioCodec::Pcmu, AudioCodec::Pcma);
    // Symmetric RTP: the socket we advertise is the one we send from (checked by the
    // strict source policy: anything else would be rejected).
    // a -> b: 16-bit audio over PCMU.
    let input = tone(8000);
    assert_eq!(a.write_i16(&input), input.len());
    let expected_b: Vec<i16> = g711::ulaw::decode_vec(&g711::ulaw::encode_vec(&input));
    // b -> a: pyVoIP 8-bit audio over PCMA.
    let input8: Vec<u8> = input.iter().map(|&s| g711::linear8::from_i16(s)).collect();
    assert_eq!(b.write_audio(&input8), input8.len());
    let expected_a: Vec<u8> = input8
        .iter()
        .map(|&x| {
            let code = g711::alaw::encode(g711::linear8::to_i16(x));
            g711::linear8::from_i16(g711::alaw::decode(code))
        })
        .collect();

    let reader_b = {
        let b = b.clone();
        tokio::spawn(async move {
            let mut got = Vec::new();
            while got.len() < 8000 + 8000 {
                got.extend(b.read_i16(160, true).await);
            }
            got
        })
    };
    let mut got_a = Vec::new();
    timeout(Duration::from_secs(10), async {
        while got_a.len() < 16000 {
            got_a.extend(a.read_audio(160, true).await);
        }
    })
    .await
    .expect("a's reads finished");
    let got_b = timeout(Duration::from_secs(10), reader_b)
        .await
        .unwrap()
        .unwrap();

    let off = find(&got_b, &expected_b).expect("b heard a's audio exactly");
    assert!(
        got_b[..off].iter().all(|&s| s == 0),
        "silence before the audio"
    );
    let got_a16: Vec<i16> = got_a.iter().map(|&x| i16::from(x)).collect();
    let exp_a16: Vec<i16> = expected_a.iter().map(|&x| i16::from(x)).collect();
    let off = find(&got_a16, &exp_a16).expect("a heard b's audio exactly");
    assert!(got_a[..off].iter().all(|&s| s == 0x80));

    let (sa, sb) = (a.stats(), b.stats());
    assert!(sa.sender.packets >= 50 && sb.sender.packets >= 50);
    assert_eq!(sb.receiver.lost, 0);
    assert_eq!(sa.receiver.lost, 0);
    assert_eq!(sa.rejected_source + sb.rejected_source, 0);
    assert_eq!(sa.send_errors + sb.send_errors, 0);
    assert!(sb.jitter_ms() >= 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dtmf_both_ways_exactly_once_in_order() {
    let engine = MediaEngine::new(MediaConfig::new(41020, 41039)).unwrap();
    let (a, b) = pair(&engine, AudioCodec::Pcmu, AudioCodec::Pcmu);
    a.send_dtmf("123#").unwrap();
    b.send_dtmf("*0AD9").unwrap();
    let collect = |s: MediaStream, n: usize| async move {
        let mut got = String::new();
        while got.len() < n {
            got.push(s.next_dtmf().await.expect("stream running"));
        }
        got
    };
    let (at_b, at_a) = timeout(Duration::from_secs(10), async {
        tokio::join!(collect(b.clone(), 4), collect(a.clone(), 5))
    })
    .await
    .unwrap();
    assert_eq!(at_b, "123#");
    assert_eq!(at_a, "*0AD9");
    // Each end-of-event packet is sent three times: still one digit each.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(a.get_dtmf(None), "");
    assert_eq!(b.get_dtmf(Some(1)), "");
    assert!(a.stats().sender.event_packets > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_dtmf_has_pyvoip_semantics() {
    let engine = MediaEngine::new(MediaConfig::new(41040, 41059)).unwrap();
    let (a, b) = pair(&engine, AudioCodec::Pcmu, AudioCodec::Pcmu);
    assert_eq!(b.get_dtmf(Some(1)), "");
    a.send_dtmf("195").unwrap();
    timeout(Duration::from_secs(10), async {
        loop {
            if b.dtmf_len() == 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap();
    assert_eq!(b.get_dtmf(Some(1)), "1");
    assert_eq!(b.get_dtmf(Some(2)), "95");
    assert_eq!(b.get_dtmf(Some(1)), "");
    assert!(matches!(
        a.send_dtmf("12x"),
        Err(MediaError::InvalidDtmf('x'))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dtmf_needs_telephone_event() {
    let engine = MediaEngine::new(MediaConfig::new(41060, 41069)).unwrap();
    let a = engine.open_stream(LO).unwrap();
    let mut m = media(
        "127.0.0.1:9".parse().unwrap(),
        AudioCodec::Pcmu,
        TransmitType::SendRecv,
    );
    m.dtmf_payload_type = None;
    a.apply(&m);
    assert!(matches!(
        a.send_dtmf("1"),
        Err(MediaError::DtmfNotNegotiated)
    ));
    a.stop();
    assert!(matches!(a.send_dtmf("1"), Err(MediaError::Stopped)));
}

/// A raw UDP peer: collects the packets a stream sends it.
async fn raw_peer() -> UdpSocket {
    UdpSocket::bind((LO, 0)).await.unwrap()
}

struct Seen {
    pt: u8,
    seq: u16,
    ts: u32,
    ssrc: u32,
    marker: bool,
    from: SocketAddr,
}

async fn recv_packets(sock: &UdpSocket, n: usize) -> Vec<Seen> {
    let mut out = Vec::new();
    let mut buf = [0u8; 1500];
    while out.len() < n {
        let (len, from) = timeout(Duration::from_secs(5), sock.recv_from(&mut buf))
            .await
            .expect("packets keep coming")
            .unwrap();
        let p = RtpPacket::parse(&buf[..len]).unwrap();
        out.push(Seen {
            pt: p.payload_type,
            seq: p.sequence_number,
            ts: p.timestamp,
            ssrc: p.ssrc,
            marker: p.marker,
            from,
        });
    }
    out
}

fn assert_continuous(p: &[Seen]) {
    for w in p.windows(2) {
        assert_eq!(w[1].seq, w[0].seq.wrapping_add(1), "sequence continuity");
        assert_eq!(w[1].ts, w[0].ts.wrapping_add(160), "20 ms timestamp steps");
        assert_eq!(w[1].ssrc, w[0].ssrc);
    }
}

async fn drain(sock: &UdpSocket) {
    let mut buf = [0u8; 1500];
    while let Ok(Ok(_)) = timeout(Duration::from_millis(100), sock.recv_from(&mut buf)).await {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pacing_codec_change_hold_and_resume_keep_the_stream_continuous() {
    let engine = MediaEngine::new(MediaConfig::new(41070, 41079)).unwrap();
    let s = engine.open_stream(LO).unwrap();
    let peer = raw_peer().await;
    let remote = peer.local_addr().unwrap();
    s.apply(&media(remote, AudioCodec::Pcmu, TransmitType::SendRecv));
    // 60 packets (1.2 s) in a row: no gap, no duplicate, timestamps in 20 ms steps, from
    // the advertised socket (symmetric RTP).
    let first = recv_packets(&peer, 60).await;
    assert_continuous(&first);
    assert!(first.iter().all(|p| p.pt == 0 && p.from == s.local_addr()));
    assert!(first[0].marker);
    assert!(first[1..].iter().all(|p| !p.marker));

    // Re-INVITE: PCMA now. Same SSRC, sequence and timestamps continue.
    s.apply(&media(remote, AudioCodec::Pcma, TransmitType::SendRecv));
    let more = recv_packets(&peer, 40).await;
    let switch = more
        .iter()
        .position(|p| p.pt == 8)
        .expect("switched to PCMA");
    assert!(more[switch..].iter().all(|p| p.pt == 8));
    let mut all = first;
    all.extend(more);
    assert_continuous(&all);

    // Hold (the peer sent sendonly: we are recvonly): nothing is sent.
    s.apply(&media(remote, AudioCodec::Pcma, TransmitType::RecvOnly));
    drain(&peer).await;
    let last = {
        let mut buf = [0u8; 1500];
        let r = timeout(Duration::from_millis(300), peer.recv_from(&mut buf)).await;
        assert!(r.is_err(), "no RTP while on hold");
        s.stats().sender.packets
    };
    // Resume: sequence numbers continue, timestamps jumped by whole packets, marker set.
    s.apply(&media(remote, AudioCodec::Pcma, TransmitType::SendRecv));
    let resumed = recv_packets(&peer, 10).await;
    assert!(resumed[0].marker);
    assert_eq!(resumed[0].ssrc, all[0].ssrc);
    assert!(s.stats().sender.packets > last);
    assert_continuous(&resumed);
    let prev_seq = all.last().unwrap().seq;
    let gap = resumed[0].seq.wrapping_sub(prev_seq);
    // Packets sent between our last read and the hold were drained: the sequence has no
    // hole of its own, only what we did not read.
    assert!(
        (1..=40).contains(&gap),
        "sequence continues across the hold ({gap})"
    );
    let ts_gap = resumed[0].ts.wrapping_sub(all.last().unwrap().ts);
    assert_eq!(ts_gap % 160, 0);
    assert!(
        ts_gap / 160 > u32::from(gap),
        "timestamps follow the clock across the hold"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directions_are_honoured() {
    let engine = MediaEngine::new(MediaConfig::new(41080, 41099)).unwrap();
    let a = engine.open_stream(LO).unwrap();
    let b = engine.open_stream(LO).unwrap();
    // a sendonly, b recvonly.
    a.apply(&media(
        b.local_addr(),
        AudioCodec::Pcmu,
        TransmitType::SendOnly,
    ));
    b.apply(&media(
        a.local_addr(),
        AudioCodec::Pcmu,
        TransmitType::RecvOnly,
    ));
    a.write_i16(&tone(1600));
    b.write_i16(&tone(1600)); // b must not send it
    a.send_dtmf("7").unwrap();
    let digit = timeout(Duration::from_secs(5), b.next_dtmf())
        .await
        .unwrap();
    assert_eq!(digit, Some('7'));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(b.stats().sender.packets, 0, "recvonly sends nothing");
    assert_eq!(
        b.stats().queued_samples,
        1600,
        "and keeps its audio for later"
    );
    assert_eq!(a.stats().receiver.packets, 0);
    assert!(b.stats().receiver.packets > 0);

    // Now b wants to send but a is sendonly: a ignores what arrives.
    b.apply(&media(
        a.local_addr(),
        AudioCodec::Pcmu,
        TransmitType::SendRecv,
    ));
    timeout(Duration::from_secs(5), async {
        while a.stats().dropped_not_receiving < 10 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap();
    assert_eq!(a.stats().receiver.packets, 0);
    // A blocking read on a stream that does not receive returns silence, paced.
    let silence = timeout(Duration::from_secs(2), a.read_audio(160, true))
        .await
        .unwrap();
    assert_eq!(silence, vec![0x80; 160]);

    // Inactive on both sides: nothing moves.
    a.apply(&media(
        b.local_addr(),
        AudioCodec::Pcmu,
        TransmitType::Inactive,
    ));
    b.apply(&media(
        a.local_addr(),
        AudioCodec::Pcmu,
        TransmitType::Inactive,
    ));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (pa, pb) = (a.stats().sender.packets, b.stats().sender.packets);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        (a.stats().sender.packets, b.stats().sender.packets),
        (pa, pb)
    );
    assert_eq!(a.direction(), TransmitType::Inactive);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_style_hold_sends_nothing() {
    let engine = MediaEngine::new(MediaConfig::new(41100, 41109)).unwrap();
    let s = engine.open_stream(LO).unwrap();
    s.apply(&media(
        "0.0.0.0:4000".parse().unwrap(),
        AudioCodec::Pcmu,
        TransmitType::SendRecv,
    ));
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(s.stats().sender.packets, 0);
    assert_eq!(s.remote_addr(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_follow_pyvoip_semantics() {
    let engine = MediaEngine::new(MediaConfig::new(41110, 41129)).unwrap();
    let (a, b) = pair(&engine, AudioCodec::Pcmu, AudioCodec::Pcmu);
    // Nothing received yet: non-blocking gives silence.
    let fresh = engine.open_stream(LO).unwrap();
    assert_eq!(fresh.read_audio(160, false).await, vec![0x80; 160]);
    assert_eq!(fresh.read_i16(80, false).await, vec![0; 80]);
    // A blocking read waiting for the first packet returns when the stream stops.
    let waiting = {
        let f = fresh.clone();
        tokio::spawn(async move { f.read_audio(160, true).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    fresh.stop();
    let got = timeout(Duration::from_secs(2), waiting)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, vec![0x80; 160]);

    // The peer sends only silence (as pyVoIP does when idle): a blocking read still
    // returns (pyVoIP #227 waited for non-silence forever).
    let got = timeout(Duration::from_secs(2), b.read_audio(160, true))
        .await
        .unwrap();
    assert_eq!(got, vec![0x80; 160]);
    // Polling non-blocking much faster than real time loses nothing: the reads that
    // find nothing do not advance the position.
    a.write_i16(&tone(1600));
    let expected = g711::ulaw::decode_vec(&g711::ulaw::encode_vec(&tone(1600)));
    let mut got = Vec::new();
    timeout(Duration::from_secs(10), async {
        while find(&got, &expected).is_none() {
            let chunk = b.read_i16(160, false).await;
            // Keep what carries audio (the tone is never 160 zero samples in a row).
            if chunk.iter().any(|&s| s != 0) {
                got.extend(chunk);
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .unwrap();
    assert_eq!(
        find(&got, &expected),
        Some(0),
        "nothing lost, nothing inserted"
    );
    let _ = a;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn playback_stops_at_the_first_digit() {
    let engine = MediaEngine::new(MediaConfig::new(41130, 41149)).unwrap();
    let (ivr, caller) = pair(&engine, AudioCodec::Pcmu, AudioCodec::Pcmu);
    let prompt = vec![0x90u8; 5 * 8000]; // a 5 s prompt
    let after = vec![0x70u8; 8000]; // 1 s queued behind it: stays
    let playback = ivr.play(&prompt);
    ivr.write_audio(&after);
    assert!(!playback.is_finished());
    let presser = {
        let caller = caller.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            caller.send_dtmf("5").unwrap();
        })
    };
    let started = tokio::time::Instant::now();
    let digit = timeout(Duration::from_secs(4), playback.clone().until_dtmf())
        .await
        .expect("stopped well before the prompt's end");
    presser.await.unwrap();
    assert_eq!(digit, Some('5'));
    assert!(started.elapsed() < Duration::from_secs(4));
    assert!(playback.is_finished());
    assert_eq!(playback.remaining_samples(), 0);
    let queued = ivr.stats().queued_samples;
    assert!(
        queued <= 8000 && queued > 0,
        "the rest of the prompt is gone, what followed stays ({queued})"
    );
    assert_eq!(ivr.get_dtmf(None), "", "the digit was taken by until_dtmf");

    // Type-ahead: a digit already waiting stops the next prompt at once.
    caller.send_dtmf("9").unwrap();
    timeout(Duration::from_secs(5), async {
        while ivr.stats().receiver.packets == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let digit = timeout(Duration::from_secs(1), ivr.play(&prompt).until_dtmf())
        .await
        .unwrap();
    assert_eq!(digit, Some('9'));

    // A short prompt with no key: until_dtmf ends with the prompt.
    ivr.flush_audio();
    let short = ivr.play(&[0x90; 1600]);
    let r = timeout(Duration::from_secs(3), short.clone().until_dtmf())
        .await
        .unwrap();
    assert_eq!(r, None);
    assert!(short.is_finished());
    timeout(Duration::from_secs(1), short.finished())
        .await
        .unwrap();

    // flush_audio drops everything queued.
    ivr.write_audio(&prompt);
    ivr.flush_audio();
    assert_eq!(ivr.stats().queued_samples, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_range_errors_and_release() {
    assert!(matches!(
        MediaEngine::new(MediaConfig::new(20000, 10000)),
        Err(MediaError::InvalidRange {
            low: 20000,
            high: 10000
        })
    ));
    // Two even ports: 41150 and 41152.
    let engine = MediaEngine::new(MediaConfig::new(41150, 41153)).unwrap();
    let a = engine.open_stream(LO).unwrap();
    let b = engine.open_stream(LO).unwrap();
    let ports = [a.local_addr().port(), b.local_addr().port()];
    assert!(
        ports
            .iter()
            .all(|p| p % 2 == 0 && (41150..=41153).contains(p))
    );
    assert!(matches!(
        engine.open_stream(LO),
        Err(MediaError::NoPortsAvailable {
            low: 41150,
            high: 41153
        })
    ));
    assert_eq!(engine.ports_in_use(), 2);
    // stop() releases the port; dropping the last handle does too.
    a.stop();
    drop(b);
    timeout(Duration::from_secs(2), async {
        while engine.ports_in_use() > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("ports released");
    let c = engine.open_stream(LO).unwrap();
    let d = engine.open_stream(LO).unwrap();
    assert_ne!(c.local_addr(), d.local_addr());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_policy_strict_and_latching() {
    // Strict (Never): packets from another port are rejected.
    let mut config = MediaConfig::new(41160, 41179);
    config.latch = LatchPolicy::Never;
    let engine = MediaEngine::new(config).unwrap();
    let s = engine.open_stream(LO).unwrap();
    let peer = raw_peer().await;
    let other = raw_peer().await;
    s.apply(&media(
        peer.local_addr().unwrap(),
        AudioCodec::Pcmu,
        TransmitType::SendRecv,
    ));
    let packet = |seq: u16| {
        let mut p = vec![0x80, 0, (seq >> 8) as u8, seq as u8, 0, 0, 0, 0, 1, 2, 3, 4];
        p.extend([0xFFu8; 160]);
        p
    };
    for i in 0..5 {
        other.send_to(&packet(i), s.local_addr()).await.unwrap();
    }
    for i in 0..3 {
        peer.send_to(&packet(i), s.local_addr()).await.unwrap();
    }
    timeout(Duration::from_secs(2), async {
        while s.stats().rejected_source < 5 || s.stats().receiver.packets < 3 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap();
    assert_eq!(s.remote_addr(), peer.local_addr().ok());

    // Always: the first other source is latched and RTP follows it.
    let mut config = MediaConfig::new(41180, 41199);
    config.latch = LatchPolicy::Always;
    let engine = MediaEngine::new(config).unwrap();
    let s = engine.open_stream(LO).unwrap();
    let nat = raw_peer().await;
    // The SDP names a port nobody listens on; the real source is `nat`.
    let sdp_addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
    s.apply(&media(sdp_addr, AudioCodec::Pcmu, TransmitType::SendRecv));
    nat.send_to(&packet(1), s.local_addr()).await.unwrap();
    let got = recv_packets(&nat, 3).await;
    assert!(got.iter().all(|p| p.from == s.local_addr()));
    assert_eq!(s.remote_addr(), nat.local_addr().ok());
    // Once latched, a third party cannot take over.
    other.send_to(&packet(2), s.local_addr()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(s.remote_addr(), nat.local_addr().ok());
    assert!(s.stats().rejected_source >= 1);
}

/// pyVoIP 2.0 listens on its SDP port but sends from an ephemeral socket on the same host:
/// the default policy hears it and keeps sending to the SDP port.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_host_other_port_is_heard_and_sends_stay_on_the_sdp_port() {
    let engine = MediaEngine::new(MediaConfig::new(41200, 41219)).unwrap();
    let s = engine.open_stream(LO).unwrap();
    let listens = raw_peer().await;
    let sends_from = raw_peer().await;
    s.apply(&media(
        listens.local_addr().unwrap(),
        AudioCodec::Pcmu,
        TransmitType::SendRecv,
    ));
    // mu-law 0x9F decodes to a clearly non-silent level.
    for seq in 0..10u16 {
        let ts = u32::from(seq) * 160;
        let mut p = vec![0x80, 0, (seq >> 8) as u8, seq as u8];
        p.extend(ts.to_be_bytes());
        p.extend([9, 9, 9, 9]);
        p.extend([0x9Fu8; 160]);
        sends_from.send_to(&p, s.local_addr()).await.unwrap();
    }
    timeout(Duration::from_secs(2), async {
        while s.stats().receiver.packets < 10 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("packets from the SDP host's other port are accepted");
    let stats = s.stats();
    assert_eq!(stats.rejected_source, 0);
    assert_eq!(stats.other_port_packets, 10);
    let heard = s.read_i16(800, true).await;
    assert!(
        heard.iter().any(|&x| x.unsigned_abs() > 1000),
        "the audio is played out"
    );
    // Still sending to where the peer listens, not to its sending socket.
    assert_eq!(s.remote_addr(), listens.local_addr().ok());
    let got = recv_packets(&listens, 3).await;
    assert!(got.iter().all(|p| p.from == s.local_addr()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_streams_on_one_pacing_task() {
    let engine = MediaEngine::new(MediaConfig::new(41200, 41800)).unwrap();
    let mut pairs = Vec::new();
    for _ in 0..100 {
        pairs.push(pair(&engine, AudioCodec::Pcmu, AudioCodec::Pcma));
    }
    for (i, (a, _)) in pairs.iter().enumerate() {
        a.write_i16(&tone(1600));
        a.send_dtmf(&((i % 10).to_string())).unwrap();
    }
    let results = timeout(Duration::from_secs(30), async {
        let mut tasks = Vec::new();
        for (i, (_, b)) in pairs.iter().enumerate() {
            let b = b.clone();
            tasks.push(tokio::spawn(async move {
                let d = b.next_dtmf().await;
                (i, d)
            }));
        }
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    })
    .await
    .expect("every stream got its digit in time");
    for (i, d) in results {
        assert_eq!(d, char::from_digit((i % 10) as u32, 10));
    }
    // Let a second of audio flow, then check every stream sent and received in order.
    tokio::time::sleep(Duration::from_secs(1)).await;
    for (a, b) in &pairs {
        for s in [a, b] {
            let st = s.stats();
            assert!(st.sender.packets >= 50, "{:?}", st.sender);
            assert!(st.receiver.received >= 40);
            assert_eq!(st.send_errors, 0);
            assert_eq!(st.rejected_source, 0);
        }
    }
    assert_eq!(engine.ports_in_use(), 200);
    for (a, b) in &pairs {
        a.stop();
        b.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn early_media_then_final_answer_from_another_fork() {
    let engine = MediaEngine::new(MediaConfig::new(41900, 41909)).unwrap();
    let s = engine.open_stream(LO).unwrap();
    let early = raw_peer().await;
    let fork = raw_peer().await;
    // 183 with SDP: media starts (and early audio plays into read_audio).
    s.apply(&media(
        early.local_addr().unwrap(),
        AudioCodec::Pcmu,
        TransmitType::SendRecv,
    ));
    let mut packet = vec![0x80, 0, 0, 1, 0, 0, 0, 160, 9, 9, 9, 9];
    packet.extend(g711::ulaw::encode_vec(&[3000i16; 160]));
    for _ in 0..10 {
        early.send_to(&packet, s.local_addr()).await.unwrap();
        packet[3] += 1;
        packet[7] = packet[7].wrapping_add(160);
        if packet[7] < 160 {
            packet[6] += 1;
        }
    }
    let heard = timeout(Duration::from_secs(3), async {
        loop {
            let chunk = s.read_i16(160, true).await;
            if chunk.iter().any(|&x| x != 0) {
                return chunk;
            }
        }
    })
    .await
    .expect("early media is readable");
    let level = g711::ulaw::decode(g711::ulaw::encode(3000));
    assert!(heard.contains(&level));
    let before = recv_packets(&early, 5).await;
    // The 200 comes from another fork with its own address: RTP moves there, same stream.
    s.apply(&media(
        fork.local_addr().unwrap(),
        AudioCodec::Pcmu,
        TransmitType::SendRecv,
    ));
    let after = recv_packets(&fork, 5).await;
    assert_eq!(after[0].ssrc, before[0].ssrc);
    assert_continuous(&after);
    assert!(after.iter().all(|p| p.from == s.local_addr()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_streams() {
    let engine = MediaEngine::new(MediaConfig::new(41910, 41919)).unwrap();
    let v6: IpAddr = "::1".parse().unwrap();
    let (Ok(a), Ok(b)) = (engine.open_stream(v6), engine.open_stream(v6)) else {
        eprintln!("no IPv6 loopback here; skipped");
        return;
    };
    a.apply(&media(
        b.local_addr(),
        AudioCodec::Pcma,
        TransmitType::SendRecv,
    ));
    b.apply(&media(
        a.local_addr(),
        AudioCodec::Pcma,
        TransmitType::SendRecv,
    ));
    a.send_dtmf("#").unwrap();
    let d = timeout(Duration::from_secs(5), b.next_dtmf())
        .await
        .unwrap();
    assert_eq!(d, Some('#'));
    assert!(b.local_addr().is_ipv6());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_never_sends_gives_real_time_silence() {
    // linphone without a capture device sends no RTP at all: a blocking reader (a
    // recorder) still gets silence at the real-time pace instead of hanging.
    let engine = MediaEngine::new(MediaConfig::new(41920, 41929)).unwrap();
    let s = engine.open_stream(LO).unwrap();
    let mute = raw_peer().await;
    s.apply(&media(
        mute.local_addr().unwrap(),
        AudioCodec::Pcmu,
        TransmitType::SendRecv,
    ));
    let started = tokio::time::Instant::now();
    let mut total = 0;
    timeout(Duration::from_secs(5), async {
        while total < 8 * 160 {
            let chunk = s.read_audio(160, true).await;
            assert_eq!(chunk, vec![0x80; 160]);
            total += chunk.len();
        }
    })
    .await
    .expect("reads return");
    // 8 reads of 20 ms after the 60 ms playout delay: paced, not instant.
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
    // And when audio finally comes, it is heard.
    let mut packet = vec![0x80, 0, 0, 1, 0, 0, 0, 160, 7, 7, 7, 7];
    packet.extend(g711::ulaw::encode_vec(&[2000i16; 160]));
    mute.send_to(&packet, s.local_addr()).await.unwrap();
    let heard = timeout(Duration::from_secs(2), async {
        loop {
            let c = s.read_i16(160, true).await;
            if c.iter().any(|&x| x != 0) {
                return c;
            }
        }
    })
    .await
    .unwrap();
    assert!(heard.contains(&g711::ulaw::decode(g711::ulaw::encode(2000))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dtmf_sent_on_hold_goes_out_on_resume() {
    let engine = MediaEngine::new(MediaConfig::new(41930, 41949)).unwrap();
    let a = engine.open_stream(LO).unwrap();
    let b = engine.open_stream(LO).unwrap();
    b.apply(&media(
        a.local_addr(),
        AudioCodec::Pcmu,
        TransmitType::SendRecv,
    ));
    // a is held (recvonly): the digits wait.
    a.apply(&media(
        b.local_addr(),
        AudioCodec::Pcmu,
        TransmitType::RecvOnly,
    ));
    a.send_dtmf("86").unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(b.dtmf_len(), 0);
    assert_eq!(a.stats().sender.packets, 0);
    a.apply(&media(
        b.local_addr(),
        AudioCodec::Pcmu,
        TransmitType::SendRecv,
    ));
    let mut got = String::new();
    timeout(Duration::from_secs(5), async {
        while got.len() < 2 {
            got.push(b.next_dtmf().await.unwrap());
        }
    })
    .await
    .unwrap();
    assert_eq!(got, "86");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_pushed_from_sip_info_barge_in_like_rtp_events() {
    let mut config = MediaConfig::new(41150, 41159);
    config.max_dtmf_digits = 4;
    let engine = MediaEngine::new(config).unwrap();
    let (ivr, _caller) = pair(&engine, AudioCodec::Pcmu, AudioCodec::Pcmu);
    let prompt = vec![0x90u8; 5 * 8000];
    let playback = ivr.play(&prompt);
    let pusher = {
        let ivr = ivr.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            ivr.push_received_dtmf('7').unwrap();
        })
    };
    let digit = timeout(Duration::from_secs(3), playback.clone().until_dtmf())
        .await
        .expect("until_dtmf woke for the pushed key");
    pusher.await.unwrap();
    assert_eq!(digit, Some('7'));
    assert!(playback.is_finished(), "the prompt was cut (barge-in)");

    // next_dtmf and get_dtmf see pushed keys; lowercase letters are keys; junk is refused.
    ivr.push_received_dtmf('#').unwrap();
    assert_eq!(
        timeout(Duration::from_secs(1), ivr.next_dtmf())
            .await
            .unwrap(),
        Some('#')
    );
    assert!(matches!(
        ivr.push_received_dtmf('x'),
        Err(MediaError::InvalidDtmf('x'))
    ));
    for k in ['1', '2', '3', '4', 'a'] {
        ivr.push_received_dtmf(k).unwrap();
    }
    assert_eq!(
        ivr.get_dtmf(None),
        "234A",
        "bounded: the oldest key dropped"
    );
}

/// One RTP packet of PCMU with sequence number `seq`.
fn pcmu_packet(seq: u16) -> Vec<u8> {
    let ts = u32::from(seq) * 160;
    let mut p = vec![0x80, 0, (seq >> 8) as u8, seq as u8];
    p.extend(ts.to_be_bytes());
    p.extend([7, 7, 7, 7]);
    p.extend([0x9Fu8; 160]);
    p
}

/// The receive thread knows sockets by a key that is never reused: a stream opened after
/// another stopped (the same port, very likely the same fd number) hears its own packets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_opened_after_others_stopped_receive_their_own_packets() {
    // One even port: every round reuses it.
    let engine = MediaEngine::new(MediaConfig::new(41900, 41901)).unwrap();
    let peer = raw_peer().await;
    let mut seq = 0u16;
    for round in 0..5 {
        let s = engine.open_stream(LO).unwrap();
        assert_eq!(s.local_addr().port(), 41900);
        s.apply(&media(
            peer.local_addr().unwrap(),
            AudioCodec::Pcmu,
            TransmitType::RecvOnly,
        ));
        for _ in 0..10 {
            peer.send_to(&pcmu_packet(seq), s.local_addr())
                .await
                .unwrap();
            seq = seq.wrapping_add(1);
        }
        timeout(Duration::from_secs(2), async {
            while s.stats().receiver.packets < 10 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("round {round}: {:?}", s.stats().receiver));
        assert_eq!(s.stats().receiver.packets, 10, "round {round}");
        s.stop();
        timeout(Duration::from_secs(2), async {
            while engine.ports_in_use() > 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("port released");
    }
}

/// A stopped stream keeps its figures (the phone reports them after the call ended) while
/// its buffers are freed: queued audio is gone, reads give silence at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_stream_keeps_its_figures() {
    let engine = MediaEngine::new(MediaConfig::new(41960, 41969)).unwrap();
    let (a, b) = pair(&engine, AudioCodec::Pcmu, AudioCodec::Pcmu);
    a.write_i16(&tone(8000));
    b.write_i16(&tone(8000));
    timeout(Duration::from_secs(5), async {
        while a.stats().receiver.received < 20 || b.stats().receiver.received < 20 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("both ends received");
    a.stop();
    let stopped = a.stats();
    assert!(stopped.sender.packets >= 20, "{stopped:?}");
    assert!(stopped.receiver.received >= 20, "{stopped:?}");
    assert_eq!(stopped.queued_samples, 0, "queued audio is dropped");
    // Figures stay as they were, though packets keep coming from b for a while.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(a.stats(), stopped);
    assert_eq!(
        a.write_i16(&tone(160)),
        0,
        "a stopped stream takes no audio"
    );
    let read = timeout(Duration::from_secs(1), a.read_i16(160, true))
        .await
        .expect("reads return at once");
    assert_eq!(read, vec![0; 160]);
}
