//! The sans-IO sender: pacing from an absolute clock, packetisation, silence, talk
//! spurts and RFC 4733 events interleaved with audio; and a sender-to-receiver loop.

use rtp_core::{
    AudioCodec, DtmfKey, RtpPacket, RtpReceiver, RtpSender, RtpSenderConfig, TelephoneEvent,
};
use std::time::{Duration, Instant};

fn config(codec: AudioCodec) -> RtpSenderConfig {
    RtpSenderConfig {
        ssrc: 0xABCD_0001,
        initial_sequence: 65_530,
        initial_timestamp: u32::MAX - 800,
        ..RtpSenderConfig::new(codec)
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Polls once at `now` and parses what came out.
fn poll(sender: &mut RtpSender, now: Instant) -> Vec<Vec<u8>> {
    sender.poll_packets(now)
}

#[test]
fn packets_follow_the_absolute_clock_without_drift() {
    let mut s = RtpSender::new(config(AudioCodec::Pcmu));
    let t0 = Instant::now();
    let mut packets = Vec::new();
    // Poll late by a varying 0-17 ms each time, for 10 s.
    let mut t = 0;
    while t <= 10_000 {
        packets.extend(poll(&mut s, t0 + ms(t)));
        t += 20 + [0, 7, 17, 3, 11][(t / 20 % 5) as usize] - 7;
    }
    packets.extend(poll(&mut s, t0 + ms(10_000)));
    // Ticks 0..=500 are due by t = 10 s: exactly 501 packets, however late the polls were.
    assert_eq!(packets.len(), 501);
    for (k, wire) in packets.iter().enumerate() {
        let p = RtpPacket::parse(wire).unwrap();
        assert_eq!(p.sequence_number, 65_530u16.wrapping_add(k as u16));
        assert_eq!(p.timestamp, (u32::MAX - 800).wrapping_add(160 * k as u32));
        assert_eq!(p.ssrc, 0xABCD_0001);
        assert_eq!(p.payload_type, 0);
        assert_eq!(p.marker, k == 0, "marker only on the first packet");
        assert_eq!(p.payload, &[0xFF; 160][..], "silence when idle");
    }
    assert_eq!(s.poll_timeout(), Some(t0 + ms(20 * 501)));
    assert_eq!(s.stats().silence_packets, 501);
}

#[test]
fn nothing_is_sent_before_it_is_due() {
    let mut s = RtpSender::new(config(AudioCodec::Pcma));
    let t0 = Instant::now();
    assert_eq!(s.poll_timeout(), None);
    s.start(t0);
    assert_eq!(s.poll_timeout(), Some(t0));
    assert_eq!(poll(&mut s, t0).len(), 1);
    assert!(poll(&mut s, t0 + ms(19)).is_empty());
    assert_eq!(poll(&mut s, t0 + ms(20)).len(), 1);
    let mut small = [0u8; 100];
    assert!(s.poll_transmit(t0 + ms(40), &mut small).is_err());
}

#[test]
fn audio_is_encoded_padded_and_followed_by_silence() {
    let mut s = RtpSender::new(config(AudioCodec::Pcma));
    let audio: Vec<i16> = (0..250).map(|i| (i * 100 - 12_000) as i16).collect();
    assert_eq!(s.write_i16(&audio), 250);
    let t0 = Instant::now();
    s.start(t0);
    let pkts = poll(&mut s, t0 + ms(40));
    assert_eq!(pkts.len(), 3);
    let p0 = RtpPacket::parse(&pkts[0]).unwrap();
    let p1 = RtpPacket::parse(&pkts[1]).unwrap();
    let p2 = RtpPacket::parse(&pkts[2]).unwrap();
    assert_eq!(p0.payload_type, 8);
    assert_eq!(p0.payload, &g711::alaw::encode_vec(&audio[..160])[..]);
    assert_eq!(
        &p1.payload[..90],
        &g711::alaw::encode_vec(&audio[160..])[..]
    );
    assert_eq!(
        &p1.payload[90..],
        &[0xD5; 70][..],
        "a partial frame is padded with silence"
    );
    assert_eq!(p2.payload, &[0xD5; 160][..]);
    assert_eq!(s.queued_samples(), 0);
}

#[test]
fn pyvoip_8bit_audio_and_a_bounded_queue() {
    let mut s = RtpSender::new(RtpSenderConfig {
        max_queued_samples: 200,
        ..config(AudioCodec::Pcmu)
    });
    assert_eq!(s.write_linear8(&[0x80; 150]), 150);
    assert_eq!(s.write_linear8(&[0xC0; 150]), 50, "only 50 fit");
    assert_eq!(s.stats().refused_samples, 100);
    let pkts = poll(&mut s, Instant::now());
    let p = RtpPacket::parse(&pkts[0]).unwrap();
    assert_eq!(&p.payload[..150], &[0xFF; 150][..], "0x80 is silence");
    let loud = g711::ulaw::encode(g711::linear8::to_i16(0xC0));
    assert_eq!(&p.payload[150..], &[loud; 10][..]);
}

#[test]
fn dtmf_replaces_audio_with_the_rfc4733_sequence() {
    let mut s = RtpSender::new(config(AudioCodec::Pcmu));
    let audio: Vec<i16> = (0..8000).map(|i| ((i % 200) * 50) as i16).collect();
    s.write_i16(&audio);
    let t0 = Instant::now();
    s.start(t0);
    let mut pkts = poll(&mut s, t0 + ms(180)); // ticks 0..=9
    s.send_dtmf(DtmfKey::D1, ms(100)).unwrap();
    s.send_dtmf(DtmfKey::Pound, ms(60)).unwrap();
    for tick in 10..40 {
        pkts.extend(poll(&mut s, t0 + ms(20 * tick)));
    }
    let parsed: Vec<RtpPacket<'_>> = pkts.iter().map(|w| RtpPacket::parse(w).unwrap()).collect();
    let ts0 = u32::MAX - 800;
    let tick_ts = |k: u32| ts0.wrapping_add(160 * k);

    // Sequence numbers are consecutive over audio and events alike.
    for (i, p) in parsed.iter().enumerate() {
        assert_eq!(p.sequence_number, 65_530u16.wrapping_add(i as u16));
    }
    // Ticks 10..=16: the "1" (100 ms = 5 updates + 2 end copies), all stamped with tick 10.
    let ev: Vec<TelephoneEvent> = parsed[10..17]
        .iter()
        .map(|p| {
            assert_eq!(p.payload_type, 101);
            assert_eq!(p.timestamp, tick_ts(10));
            TelephoneEvent::parse(p.payload).unwrap()
        })
        .collect();
    assert!(parsed[10].marker && parsed[11..17].iter().all(|p| !p.marker));
    assert_eq!(
        ev.iter().map(|e| e.duration).collect::<Vec<_>>(),
        [160, 320, 480, 640, 800, 800, 800]
    );
    assert_eq!(ev.iter().filter(|e| e.end).count(), 3);
    assert!(ev.iter().all(|e| e.event == 1 && e.volume == 10));
    // Ticks 17, 18: audio again (the 2-packet gap), a new talk spurt, continuing the audio
    // where it paused, with the timestamp of its own tick.
    assert_eq!(parsed[17].payload_type, 0);
    assert!(parsed[17].marker);
    assert_eq!(parsed[17].timestamp, tick_ts(17));
    assert_eq!(
        parsed[17].payload,
        &g711::ulaw::encode_vec(&audio[1600..1760])[..]
    );
    assert!(!parsed[18].marker);
    // Ticks 19..=23: the "#" (60 ms = 3 updates + 2 copies), stamped with tick 19.
    assert!(
        parsed[19..24]
            .iter()
            .all(|p| p.payload_type == 101 && p.timestamp == tick_ts(19))
    );
    assert!(parsed[19].marker);
    assert_eq!(TelephoneEvent::parse(parsed[23].payload).unwrap().event, 11);
    assert_eq!(parsed[24].payload_type, 0);
    assert!(parsed[24].marker);
    assert_eq!(s.stats().event_packets, 12);
}

#[test]
fn without_silence_packets_talk_spurts_start_with_the_marker() {
    let mut s = RtpSender::new(RtpSenderConfig {
        send_silence: false,
        ..config(AudioCodec::Pcmu)
    });
    let t0 = Instant::now();
    s.start(t0);
    assert!(poll(&mut s, t0 + ms(100)).is_empty());
    s.write_i16(&[1000; 320]);
    let pkts = poll(&mut s, t0 + ms(160));
    assert_eq!(pkts.len(), 2);
    let a = RtpPacket::parse(&pkts[0]).unwrap();
    let b = RtpPacket::parse(&pkts[1]).unwrap();
    assert!(a.marker && !b.marker);
    // Ticks 0..=5 passed silently; the audio is stamped with ticks 6 and 7 (media time).
    assert_eq!(a.timestamp, (u32::MAX - 800).wrapping_add(160 * 6));
    assert_eq!(
        a.sequence_number, 65_530,
        "no sequence numbers burnt on silence"
    );
    assert_eq!(b.sequence_number, 65_531);
}

#[test]
fn a_very_late_poll_sends_a_bounded_burst() {
    let mut s = RtpSender::new(config(AudioCodec::Pcmu));
    let t0 = Instant::now();
    s.start(t0);
    s.write_i16(&[500; 160 * 60]);
    let pkts = poll(&mut s, t0 + ms(1000));
    assert_eq!(pkts.len(), 10);
    assert_eq!(s.stats().skipped_packets, 41);
    let first = RtpPacket::parse(&pkts[0]).unwrap();
    assert_eq!(first.timestamp, (u32::MAX - 800).wrapping_add(160 * 41));
    assert!(first.marker);
    assert_eq!(s.queued_samples(), 160 * (60 - 51));
}

#[test]
fn digits_survive_a_lossy_path_from_sender_to_receiver() {
    let mut s = RtpSender::new(config(AudioCodec::Pcmu));
    let mut rx = RtpReceiver::default();
    let t0 = Instant::now();
    for (i, key) in "123#*0".chars().enumerate() {
        s.send_dtmf(DtmfKey::from_char(key).unwrap(), ms(80 + 20 * i as u64))
            .unwrap();
    }
    let mut index = 0;
    let mut held: Option<Vec<u8>> = None;
    for tick in 0..120u64 {
        let now = t0 + ms(20 * tick);
        for wire in poll(&mut s, now) {
            index += 1;
            let p = RtpPacket::parse(&wire).unwrap();
            // Lose every event's first packet and every third packet overall; duplicate
            // every fifth; hold every seventh back behind the next one.
            if (p.payload_type == 101 && p.marker) || index % 3 == 0 {
                continue;
            }
            if index % 7 == 0 {
                held = Some(wire);
                continue;
            }
            rx.receive(now, &wire).unwrap();
            if let Some(h) = held.take() {
                rx.receive(now, &h).unwrap();
            }
            if index % 5 == 0 {
                rx.receive(now, &wire).unwrap();
            }
        }
        rx.read_i16(160);
    }
    let mut digits = String::new();
    while let Some(k) = rx.poll_dtmf() {
        digits.push(k.as_char());
    }
    assert_eq!(digits, "123#*0");
}

#[test]
fn media_time_and_instant_apis_agree() {
    let mut a = RtpSender::new(config(AudioCodec::Pcmu));
    let mut b = RtpSender::new(config(AudioCodec::Pcmu));
    let tone: Vec<i16> = (0..3000).map(|i| (i * 37 % 4000) as i16).collect();
    a.write_i16(&tone);
    b.write_i16(&tone);
    a.send_dtmf(DtmfKey::C, ms(50)).unwrap();
    b.send_dtmf(DtmfKey::C, ms(50)).unwrap();
    let t0 = Instant::now();
    let (mut buf_a, mut buf_b) = ([0u8; 200], [0u8; 200]);
    for step in 0..100u64 {
        let elapsed = Duration::from_micros(step * 7_300);
        loop {
            let x = a.poll_transmit(t0 + elapsed, &mut buf_a).unwrap();
            let y = b.poll_transmit_media(elapsed, &mut buf_b).unwrap();
            assert_eq!(x, y);
            match x {
                Some(t) => assert_eq!(buf_a[..t.len], buf_b[..t.len]),
                None => break,
            }
        }
        assert_eq!(a.poll_timeout(), Some(t0 + b.next_due()));
    }
    assert_eq!(b.stats().packets, 37);
}

#[test]
fn state_machines_can_move_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<RtpSender>();
    send_sync::<RtpReceiver>();
    send_sync::<rtp_core::PacketManager>();
    send_sync::<rtp_core::DtmfReceiver>();
    send_sync::<RtpPacket<'static>>();
}

#[test]
fn on_hold_nothing_is_sent_and_media_time_runs_on() {
    let mut s = RtpSender::new(config(AudioCodec::Pcmu));
    let t0 = Instant::now();
    s.start(t0);
    s.write_i16(&[700; 480]);
    assert_eq!(poll(&mut s, t0).len(), 1);
    s.set_direction(rtp_core::TransmitType::RecvOnly);
    assert!(poll(&mut s, t0 + ms(2000)).is_empty());
    assert_eq!(s.queued_samples(), 320, "queued audio waits");
    s.set_direction(rtp_core::TransmitType::SendRecv);
    let pkts = poll(&mut s, t0 + ms(2020));
    assert_eq!(pkts.len(), 1, "no burst after the pause");
    let p = RtpPacket::parse(&pkts[0]).unwrap();
    assert!(p.marker);
    assert_eq!(p.sequence_number, 65_531);
    assert_eq!(p.timestamp, (u32::MAX - 800).wrapping_add(160 * 101));
    assert_eq!(p.payload, &[g711::ulaw::encode(700); 160][..]);
}

#[test]
fn audio_written_in_odd_chunks_comes_out_in_order() {
    let mut s = RtpSender::new(config(AudioCodec::Pcmu));
    let audio: Vec<i16> = (0..16_000)
        .map(|i| ((i * 7919) % 30_000 - 15_000) as i16)
        .collect();
    let t0 = Instant::now();
    s.start(t0);
    let mut written = 0;
    let mut sent = Vec::new();
    let mut tick = 0u64;
    // Keep the queue between half a packet and three packets full, so the queue's ring
    // wraps many times.
    while sent.len() < 16_000 {
        while written < audio.len() && s.queued_samples() < 480 {
            let n = [97, 211, 53, 160][(written / 97) % 4].min(audio.len() - written);
            s.write_i16(&audio[written..written + n]);
            written += n;
        }
        for wire in poll(&mut s, t0 + ms(20 * tick)) {
            sent.extend_from_slice(RtpPacket::parse(&wire).unwrap().payload);
        }
        tick += 1;
    }
    assert_eq!(&sent[..16_000], &g711::ulaw::encode_vec(&audio)[..]);
}

#[test]
fn an_invalid_payload_type_is_an_error_not_a_silent_change() {
    let mut s = RtpSender::new(RtpSenderConfig {
        payload_type: 200,
        ..config(AudioCodec::Pcmu)
    });
    let mut buf = [0u8; 200];
    assert!(matches!(
        s.poll_transmit(Instant::now(), &mut buf),
        Err(rtp_core::Error::InvalidField { .. })
    ));
}
