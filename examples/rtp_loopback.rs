//! Drives the sans-IO `rtp-core` sender and receiver over real UDP sockets on 127.0.0.1
//! with the real clock: half a second of a 440 Hz tone, then the DTMF key "7", then
//! more tone. Prints what was sent and received, and the receiver's statistics.
//!
//! Run with `cargo run -p rtp-core --example rtp_loopback`.

use rtp_core::{AudioCodec, DtmfKey, RtpReceiver, RtpSender, RtpSenderConfig};
use std::net::UdpSocket;
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tx_socket = UdpSocket::bind("127.0.0.1:0")?;
    let rx_socket = UdpSocket::bind("127.0.0.1:0")?;
    tx_socket.connect(rx_socket.local_addr()?)?;
    rx_socket.set_nonblocking(true)?;

    let mut sender = RtpSender::new(RtpSenderConfig::new(AudioCodec::Pcmu));
    let mut receiver = RtpReceiver::default();
    let tone: Vec<i16> = (0..8000)
        .map(|n| ((n as f64 * 440.0 * std::f64::consts::TAU / 8000.0).sin() * 6000.0) as i16)
        .collect();
    sender.write_i16(&tone[..4000]);

    let start = Instant::now();
    sender.start(start);
    let mut buf = [0u8; 1500];
    let mut played = Vec::new();
    let mut next_read = start;
    let mut sent = 0;
    let mut dtmf_queued = false;
    while start.elapsed() < Duration::from_millis(1200) {
        let now = Instant::now();
        if !dtmf_queued && now >= start + Duration::from_millis(500) {
            sender.send_dtmf(DtmfKey::D7, Duration::from_millis(120))?;
            sender.write_i16(&tone[4000..]);
            dtmf_queued = true;
        }
        // Send whatever is due: the sender's clock is absolute, so a late wake-up here only
        // means a packet leaves a little late, never that the stream drifts.
        while let Some(t) = sender.poll_transmit(now, &mut buf)? {
            tx_socket.send(&buf[..t.len])?;
            sent += 1;
        }
        // Receive whatever arrived.
        let mut datagram = [0u8; 1500];
        while let Ok(n) = rx_socket.recv(&mut datagram) {
            receiver.receive(Instant::now(), &datagram[..n])?;
        }
        // The "sound card" plays 20 ms every 20 ms.
        while now >= next_read {
            played.extend(receiver.read_i16(160));
            next_read += Duration::from_millis(20);
        }
        if let Some(key) = receiver.poll_dtmf() {
            println!("received DTMF {key}");
        }
        let wake = sender.poll_timeout().unwrap_or(now).min(next_read);
        std::thread::sleep(wake.saturating_duration_since(Instant::now()));
    }

    let stats = receiver.stats();
    let loud = played.iter().filter(|s| s.unsigned_abs() > 1000).count();
    println!("sent {sent} packets; sender stats {:?}", sender.stats());
    println!(
        "received {} (expected {}, lost {}, duplicates {}, late {}), jitter {:.1} samples",
        stats.received, stats.expected, stats.lost, stats.duplicates, stats.late, stats.jitter
    );
    println!("played {} samples, {loud} of them tone", played.len());
    Ok(())
}
