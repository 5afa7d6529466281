//! Encodes one second of a 1 kHz tone with mu-law and A-law, decodes it again and prints
//! the signal-to-noise ratio of each codec; then does the same through pyVoIP's 8-bit
//! unsigned format, and shows the one input class where Python's `audioop` differs from
//! the ITU.
//!
//! Run with `cargo run -p g711 --example g711_roundtrip`.

use g711::{alaw, linear8, ulaw};

fn snr_db(original: &[i16], decoded: &[i16]) -> f64 {
    let signal: f64 = original.iter().map(|&s| f64::from(s).powi(2)).sum();
    let noise: f64 = original
        .iter()
        .zip(decoded)
        .map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2))
        .sum();
    10.0 * (signal / noise.max(1.0)).log10()
}

fn main() {
    // 1 kHz at 8 kHz, with a small phase offset so the samples are not all the same 8 values.
    let tone: Vec<i16> = (0..8000)
        .map(|n| {
            let phase = 2.0 * std::f64::consts::PI * 1000.0 * f64::from(n) / 8000.0 + 0.1;
            (16000.0 * phase.sin()) as i16
        })
        .collect();

    let mut pcmu = vec![0u8; tone.len()];
    ulaw::encode_slice(&tone, &mut pcmu);
    let mut pcma = vec![0u8; tone.len()];
    alaw::encode_slice(&tone, &mut pcma);

    println!("1 s of 1 kHz tone, {} samples", tone.len());
    println!(
        "PCMU round trip: SNR {:.1} dB",
        snr_db(&tone, &ulaw::decode_vec(&pcmu))
    );
    println!(
        "PCMA round trip: SNR {:.1} dB",
        snr_db(&tone, &alaw::decode_vec(&pcma))
    );

    // pyVoIP hands audio to the user as 8-bit unsigned samples (silence 0x80).
    let eight_bit = linear8::from_i16_vec(&tone);
    let from_network = linear8::decode_ulaw_vec(&linear8::encode_ulaw_vec(&eight_bit));
    let wide = |v: &[u8]| linear8::to_i16_vec(v);
    println!(
        "pyVoIP 8-bit path (u8 -> PCMU -> u8): SNR {:.1} dB against the 16-bit tone",
        snr_db(&tone, &wide(&from_network))
    );

    // The inputs on which Python's audioop.lin2ulaw is one code lower than the ITU.
    println!(
        "mu-law encode(-1) = {:#04x} (ITU G.191; audioop gives 0x7e), decodes to {}",
        ulaw::encode(-1),
        ulaw::decode(ulaw::encode(-1))
    );
}
