//! Test signals and their detection: a sine tone at a given level (16-bit, and pyVoIP's
//! 8-bit unsigned format) and a Goertzel detector that measures the level of one
//! frequency, so audio checks assert "a 1 kHz tone at about -10 dBFS arrived", not "some
//! bytes arrived".

use std::f64::consts::PI;

/// The sample rate of G.711 narrowband audio.
pub(crate) const RATE: u32 = 8000;

/// `seconds` of a sine at `freq` Hz, amplitude `dbfs` (0 dBFS = full-scale sine), as
/// 16-bit samples at 8 kHz.
pub(crate) fn tone_i16(freq: f64, dbfs: f64, seconds: f64) -> Vec<i16> {
    let amp = 32767.0 * 10f64.powf(dbfs / 20.0);
    let n = (seconds * f64::from(RATE)).round() as usize;
    (0..n)
        .map(|i| {
            let v = amp * (2.0 * PI * freq * i as f64 / f64::from(RATE)).sin();
            v.round().clamp(-32768.0, 32767.0) as i16
        })
        .collect()
}

/// The same tone in pyVoIP's format: 8-bit unsigned linear, silence `0x80`.
pub(crate) fn tone_u8(freq: f64, dbfs: f64, seconds: f64) -> Vec<u8> {
    tone_i16(freq, dbfs, seconds)
        .into_iter()
        .map(|s| ((s >> 8) + 128) as u8)
        .collect()
}

/// 8-bit unsigned samples as 16-bit.
pub(crate) fn u8_to_i16(data: &[u8]) -> Vec<i16> {
    data.iter().map(|&b| (i16::from(b) - 128) << 8).collect()
}

/// The level of `freq` in `samples` in dBFS (a full-scale sine at exactly `freq` reads
/// about 0), by the Goertzel algorithm over the whole slice. `-inf` for silence.
pub(crate) fn goertzel_dbfs(samples: &[i16], freq: f64) -> f64 {
    if samples.is_empty() {
        return f64::NEG_INFINITY;
    }
    let n = samples.len() as f64;
    let w = 2.0 * PI * freq / f64::from(RATE);
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in samples {
        let s0 = f64::from(x) / 32768.0 + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    // A sine of amplitude A gives |X| = A*N/2.
    let amplitude = 2.0 * power.max(0.0).sqrt() / n;
    20.0 * amplitude.log10()
}

/// The RMS level of `samples` in dBFS relative to a full-scale sine (so a pure tone reads
/// the same as [`goertzel_dbfs`]).
pub(crate) fn rms_dbfs(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return f64::NEG_INFINITY;
    }
    let sum: f64 = samples
        .iter()
        .map(|&s| {
            let v = f64::from(s) / 32768.0;
            v * v
        })
        .sum();
    let rms = (sum / samples.len() as f64).sqrt();
    20.0 * (rms * std::f64::consts::SQRT_2).log10()
}

/// The longest run (in samples) of consecutive 20 ms frames whose level at `freq` is
/// within `tolerance_db` of `dbfs`: how much of a recording carries the tone.
pub(crate) fn tone_duration(samples: &[i16], freq: f64, dbfs: f64, tolerance_db: f64) -> usize {
    let frame = (RATE / 50) as usize;
    let mut best = 0;
    let mut run = 0;
    for chunk in samples.chunks_exact(frame) {
        if (goertzel_dbfs(chunk, freq) - dbfs).abs() <= tolerance_db {
            run += frame;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

/// Writes 16-bit mono samples at 8 kHz as a WAV file.
pub(crate) fn write_wav(path: &std::path::Path, samples: &[i16]) -> anyhow::Result<()> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec)?;
    for &s in samples {
        w.write_sample(s)?;
    }
    w.finalize()?;
    Ok(())
}

/// Reads a 16-bit mono WAV file (first channel when it has more); returns the samples
/// and the sample rate.
pub(crate) fn read_wav(path: &std::path::Path) -> anyhow::Result<(Vec<i16>, u32)> {
    let mut r = hound::WavReader::open(path)?;
    let spec = r.spec();
    let channels = usize::from(spec.channels.max(1));
    let all: Vec<i16> = r.samples::<i16>().collect::<Result<_, _>>()?;
    Ok((
        all.into_iter().step_by(channels).collect(),
        spec.sample_rate,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goertzel_reads_the_tone_level() {
        let t = tone_i16(1000.0, -10.0, 0.5);
        assert!((goertzel_dbfs(&t, 1000.0) - -10.0).abs() < 0.3);
        assert!(goertzel_dbfs(&t, 1400.0) < -40.0);
        assert!((rms_dbfs(&t) - -10.0).abs() < 0.3);
        assert_eq!(goertzel_dbfs(&[], 1000.0), f64::NEG_INFINITY);
        assert!(goertzel_dbfs(&[0; 800], 1000.0) < -200.0);
    }

    #[test]
    fn u8_tone_keeps_its_level() {
        let t = u8_to_i16(&tone_u8(1000.0, -6.0, 0.2));
        assert!((goertzel_dbfs(&t, 1000.0) - -6.0).abs() < 0.5);
    }

    #[test]
    fn tone_duration_counts_frames_with_the_tone() {
        let mut s = vec![0i16; 800];
        s.extend(tone_i16(1000.0, -10.0, 0.4));
        s.extend(vec![0i16; 800]);
        let d = tone_duration(&s, 1000.0, -10.0, 3.0);
        assert!((3000..=3200).contains(&d), "{d}");
    }
}
