//! Audio helpers of the phone subcommands: WAV files in and out (8 kHz mono, what a G.711
//! call carries), a sine tone, and a Goertzel detector to check a tone was heard.

use std::path::Path;

/// The sample rate of a G.711 call.
pub(crate) const RATE: u32 = 8000;

/// Reads a WAV file as 8 kHz mono 16-bit samples. Accepts 16-bit signed and 8-bit
/// unsigned PCM; stereo (or more channels) is mixed down to mono. Any other sample rate
/// or format is refused with a message saying what was found and what is wanted.
pub(crate) fn read_wav(path: &Path) -> Result<Vec<i16>, String> {
    let reader = hound::WavReader::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let spec = reader.spec();
    let what = |why: &str| {
        format!(
            "{}: {why} ({} Hz, {} channel(s), {}-bit {:?}); want 8000 Hz 16-bit or 8-bit PCM \
             (e.g. sox in.wav -r 8000 -c 1 -b 16 out.wav)",
            path.display(),
            spec.sample_rate,
            spec.channels,
            spec.bits_per_sample,
            spec.sample_format
        )
    };
    if spec.sample_rate != RATE {
        return Err(what("unsupported sample rate"));
    }
    if spec.channels == 0 {
        return Err(what("no channels"));
    }
    let frames: Vec<i32> = match (spec.sample_format, spec.bits_per_sample) {
        // hound returns 8-bit WAV samples already centred on 0 (-128..=127).
        (hound::SampleFormat::Int, 8) => reader
            .into_samples::<i8>()
            .map(|s| s.map(|v| i32::from(v) << 8))
            .collect::<Result<_, _>>(),
        (hound::SampleFormat::Int, 16) => reader
            .into_samples::<i16>()
            .map(|s| s.map(i32::from))
            .collect::<Result<_, _>>(),
        _ => return Err(what("unsupported sample format")),
    }
    .map_err(|e| format!("{}: {e}", path.display()))?;
    let channels = usize::from(spec.channels);
    Ok(frames
        .chunks(channels)
        .map(|frame| {
            let sum: i32 = frame.iter().sum();
            // The mean of i16 values is an i16.
            (sum / frame.len() as i32) as i16
        })
        .collect())
}

/// Writes 8 kHz mono 16-bit samples as a WAV file.
pub(crate) fn write_wav(path: &Path, samples: &[i16]) -> Result<(), String> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let err = |e: hound::Error| format!("{}: {e}", path.display());
    let mut w = hound::WavWriter::create(path, spec).map_err(err)?;
    for &s in samples {
        w.write_sample(s).map_err(err)?;
    }
    w.finalize().map_err(err)
}

/// `samples` of a sine at `freq` Hz with peak `amplitude`.
pub(crate) fn tone(freq: f64, amplitude: f64, samples: usize) -> Vec<i16> {
    (0..samples)
        .map(|n| {
            let t = n as f64 / f64::from(RATE);
            (amplitude * (2.0 * std::f64::consts::PI * freq * t).sin()).round() as i16
        })
        .collect()
}

/// The share (0..=1) of the signal's energy at `freq` Hz, by the Goertzel algorithm over
/// blocks of 20 ms (the block's bin is 50 Hz wide, so a tone within +-25 Hz counts).
/// Silence gives 0.
pub(crate) fn tone_share(samples: &[i16], freq: f64) -> f64 {
    const BLOCK: usize = 160;
    let coeff = 2.0 * (2.0 * std::f64::consts::PI * freq / f64::from(RATE)).cos();
    let (mut at_freq, mut total) = (0.0, 0.0);
    for block in samples.chunks_exact(BLOCK) {
        let (mut s1, mut s2) = (0.0f64, 0.0f64);
        let mut energy = 0.0;
        for &x in block {
            let x = f64::from(x);
            energy += x * x;
            let s0 = x + coeff * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        // |X(k)|^2; a pure sine of amplitude A gives (A N / 2)^2, its energy is A^2 N / 2,
        // so the ratio below is 1 for a pure tone in the bin.
        let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
        at_freq += power * 2.0 / BLOCK as f64;
        total += energy;
    }
    if total <= 0.0 {
        0.0
    } else {
        (at_freq / total).min(1.0)
    }
}

/// The longest run of 20 ms blocks in which `freq` holds at least `min_share` of the
/// energy and the level is above `min_rms`; in samples.
pub(crate) fn tone_run(samples: &[i16], freq: f64, min_share: f64, min_rms: f64) -> usize {
    const BLOCK: usize = 160;
    let (mut best, mut run) = (0, 0);
    for block in samples.chunks_exact(BLOCK) {
        let rms = (block.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / BLOCK as f64).sqrt();
        if rms >= min_rms && tone_share(block, freq) >= min_share {
            run += BLOCK;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goertzel_finds_the_tone_only_at_its_frequency() {
        let t = tone(1000.0, 8000.0, 8000);
        assert!(tone_share(&t, 1000.0) > 0.95, "{}", tone_share(&t, 1000.0));
        assert!(tone_share(&t, 1400.0) < 0.05);
        assert!(tone_share(&t, 600.0) < 0.05);
        assert_eq!(tone_share(&[0; 1600], 1000.0), 0.0);
        assert_eq!(tone_run(&t, 1000.0, 0.8, 500.0), 8000);
        let mut gap = t.clone();
        gap[4000..4320].fill(0); // blocks 25 and 26
        assert_eq!(tone_run(&gap, 1000.0, 0.8, 500.0), 4000);
    }

    #[test]
    fn wav_round_trip_and_formats() {
        let dir = std::env::temp_dir().join(format!("voip-cli-wav-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let t = tone(440.0, 12000.0, 800);
        let p16 = dir.join("t16.wav");
        write_wav(&p16, &t).unwrap();
        assert_eq!(read_wav(&p16).unwrap(), t);

        // 8-bit unsigned: 0x80 is silence, 0xFF near full scale.
        let p8 = dir.join("t8.wav");
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 8000,
            bits_per_sample: 8,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&p8, spec).unwrap();
        for v in [0i8, 127, -128] {
            w.write_sample(v).unwrap();
        }
        w.finalize().unwrap();
        assert_eq!(read_wav(&p8).unwrap(), vec![0, 127 << 8, -128 << 8]);

        // Stereo mixes down.
        let ps = dir.join("stereo.wav");
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&ps, spec).unwrap();
        for v in [100i16, 300, -50, -150] {
            w.write_sample(v).unwrap();
        }
        w.finalize().unwrap();
        assert_eq!(read_wav(&ps).unwrap(), vec![200, -100]);

        // 16 kHz is refused with a message naming the rate.
        let pr = dir.join("16k.wav");
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 16000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        hound::WavWriter::create(&pr, spec)
            .unwrap()
            .finalize()
            .unwrap();
        let e = read_wav(&pr).unwrap_err();
        assert!(e.contains("16000 Hz") && e.contains("sample rate"), "{e}");
        assert!(read_wav(&dir.join("missing.wav")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
