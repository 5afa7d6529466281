//! Encodes one second of a 1 kHz tone with mu-law and A-law, decodes it again and prints
//! the signal-to-noise ratio of each codec.
//!
//! Run with `cargo run -p g711 --example g711_roundtrip`.

fn snr_db(original: &[i16], decoded: &[i16]) -> f64 {
    let signal: f64 = original.iter().map(|&s| (s as f64).powi(2)).sum();
    let noise: f64 = original
        .iter()
        .zip(decoded)
        .map(|(&a, &b)| (a as f64 - b as f64).powi(2))
        .sum();
    10.0 * (signal / noise.max(1.0)).log10()
}

fn main() {
    let tone: Vec<i16> = (0..8000)
        .map(|n| (16000.0 * (2.0 * std::f64::consts::PI * 1000.0 * n as f64 / 8000.0).sin()) as i16)
        .collect();
    let ulaw = g711::ulaw::decode_vec(&g711::ulaw::encode_vec(&tone));
    let alaw = g711::alaw::decode_vec(&g711::alaw::encode_vec(&tone));
    println!("1 s of 1 kHz tone, 8000 samples");
    println!("PCMU round trip: SNR {:.1} dB", snr_db(&tone, &ulaw));
    println!("PCMA round trip: SNR {:.1} dB", snr_db(&tone, &alaw));
}
