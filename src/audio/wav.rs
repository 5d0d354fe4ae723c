//! WAV files in and out, and resampling to the project's 22,050 Hz.
//!
//! Reads RIFF/WAVE with 16-, 24- or 32-bit integer PCM or 32-bit float, any
//! number of channels (mixed to mono by averaging), any sample rate. Writes
//! mono 16-bit PCM with an optional LIST/INFO chunk (title, comment, software),
//! which is where a result names the archive items it came from.

use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum WavError {
    #[error("not a RIFF/WAVE file")]
    NotWave,
    #[error("the WAV file has no {0} chunk")]
    Missing(&'static str),
    #[error("unsupported WAV encoding (format {format}, {bits} bits); use 16/24/32-bit PCM or 32-bit float")]
    Unsupported { format: u16, bits: u16 },
    #[error("the WAV file is truncated")]
    Truncated,
    #[error("the WAV file says its sample rate is 0 Hz")]
    NoRate,
    #[error("the WAV file holds samples that are not numbers (NaN or infinite)")]
    NotFinite,
}

/// Mono samples in [−1, 1] and their rate.
#[derive(Clone, Debug, PartialEq)]
pub struct Audio {
    pub sample_rate: u32,
    pub samples: Vec<f32>,
}

fn u16_at(b: &[u8], i: usize) -> Result<u16, WavError> {
    b.get(i..i + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .ok_or(WavError::Truncated)
}

fn u32_at(b: &[u8], i: usize) -> Result<u32, WavError> {
    b.get(i..i + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or(WavError::Truncated)
}

/// Decodes a WAV file, mixing all channels to mono.
pub fn read_wav(bytes: &[u8]) -> Result<Audio, WavError> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(WavError::NotWave);
    }
    let mut fmt = None;
    let mut data = None;
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let len = u32_at(bytes, at + 4)? as usize;
        let body = at + 8;
        let end = body.saturating_add(len).min(bytes.len());
        match id {
            b"fmt " => fmt = Some(&bytes[body..end]),
            b"data" => data = Some(&bytes[body..end]),
            _ => {}
        }
        // A length past the end (even one near 4 GiB on a 32-bit target) ends the walk.
        at = body.saturating_add(len).saturating_add(len & 1);
    }
    let fmt = fmt.ok_or(WavError::Missing("fmt"))?;
    let data = data.ok_or(WavError::Missing("data"))?;
    let mut format = u16_at(fmt, 0)?;
    let channels = u16_at(fmt, 2)?.max(1) as usize;
    let sample_rate = u32_at(fmt, 4)?;
    if sample_rate == 0 {
        return Err(WavError::NoRate);
    }
    let bits = u16_at(fmt, 14)?;
    if format == 0xFFFE {
        // WAVE_FORMAT_EXTENSIBLE: the sub-format GUID starts with the format code.
        format = u16_at(fmt, 24)?;
    }
    let width = usize::from(bits / 8);
    let decode: fn(&[u8]) -> f32 = match (format, bits) {
        (1, 16) => |s| f32::from(i16::from_le_bytes([s[0], s[1]])) / 32_768.0,
        (1, 24) => |s| (i32::from_le_bytes([0, s[0], s[1], s[2]]) >> 8) as f32 / 8_388_608.0,
        (1, 32) => |s| i32::from_le_bytes([s[0], s[1], s[2], s[3]]) as f32 / 2_147_483_648.0,
        (3, 32) => |s| f32::from_le_bytes([s[0], s[1], s[2], s[3]]),
        _ => return Err(WavError::Unsupported { format, bits }),
    };
    let frame = width * channels;
    let samples: Vec<f32> = data
        .chunks_exact(frame)
        .map(|f| f.chunks_exact(width).map(decode).sum::<f32>() / channels as f32)
        .collect();
    if samples.iter().any(|v| !v.is_finite()) {
        return Err(WavError::NotFinite);
    }
    Ok(Audio {
        sample_rate,
        samples,
    })
}

/// Encodes mono 16-bit PCM (samples clipped to [−1, 1]) with INFO text:
/// pairs such as ("INAM", title), ("ICMT", comment), ("ISFT", software).
pub fn write_wav(samples: &[f32], sample_rate: u32, info: &[(&str, &str)]) -> Vec<u8> {
    let mut list = Vec::new();
    if !info.is_empty() {
        list.extend_from_slice(b"INFO");
        for (key, value) in info {
            let mut text = value.as_bytes().to_vec();
            text.push(0);
            list.extend_from_slice(&key.as_bytes()[..4]);
            list.extend_from_slice(&(text.len() as u32).to_le_bytes());
            list.extend_from_slice(&text);
            if text.len() % 2 == 1 {
                list.push(0);
            }
        }
    }
    let data_len = samples.len() * 2;
    let list_len = if list.is_empty() { 0 } else { 8 + list.len() };
    let mut out = Vec::with_capacity(44 + list_len + data_len);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&((4 + 24 + list_len + 8 + data_len) as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&(sample_rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    if !list.is_empty() {
        out.extend_from_slice(b"LIST");
        out.extend_from_slice(&(list.len() as u32).to_le_bytes());
        out.extend_from_slice(&list);
    }
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data_len as u32).to_le_bytes());
    for &s in samples {
        let v = (s.clamp(-1.0, 1.0) * 32_767.0).round() as i16;
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// Half-width of the resampling kernel, in input samples at the lower rate.
const RESAMPLE_TAPS: f64 = 32.0;

/// Band-limited resampling by a Blackman-windowed sinc whose cut-off is 95 %
/// of the lower Nyquist frequency. Returns the input when the rates agree.
pub fn resample(x: &[f32], from: u32, to: u32) -> Vec<f32> {
    if from == to || x.is_empty() {
        return x.to_vec();
    }
    let ratio = f64::from(to) / f64::from(from);
    let cutoff = 0.95 * ratio.min(1.0); // in cycles per input sample × 2
    let half = (RESAMPLE_TAPS / cutoff).ceil();
    let out_len = (x.len() as f64 * ratio).round() as usize;
    (0..out_len)
        .map(|n| {
            let t = n as f64 / ratio;
            let lo = ((t - half).ceil() as isize).max(0);
            let hi = ((t + half).floor() as isize).min(x.len() as isize - 1);
            let mut acc = 0.0f64;
            for k in lo..=hi {
                let d = t - k as f64;
                let arg = std::f64::consts::PI * cutoff * d;
                let sinc = if arg.abs() < 1e-12 {
                    1.0
                } else {
                    arg.sin() / arg
                };
                let u = d / half; // −1 … 1
                let w = 0.42
                    + 0.5 * (std::f64::consts::PI * u).cos()
                    + 0.08 * (2.0 * std::f64::consts::PI * u).cos();
                acc += f64::from(x[k as usize]) * cutoff * sinc * w;
            }
            acc as f32
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wav_round_trips_with_its_info() {
        let x: Vec<f32> = (0..1000).map(|i| ((i as f32) * 0.01).sin() * 0.5).collect();
        let bytes = write_wav(
            &x,
            22_050,
            &[("INAM", "A title"), ("ICMT", "from item-1, item-2")],
        );
        let a = read_wav(&bytes).unwrap();
        assert_eq!(a.sample_rate, 22_050);
        assert_eq!(a.samples.len(), 1000);
        assert!(a
            .samples
            .iter()
            .zip(&x)
            .all(|(a, b)| (a - b).abs() < 1.0 / 32_000.0));
        assert!(String::from_utf8_lossy(&bytes).contains("ICMT"));
        assert_eq!(read_wav(b"RIFF0000WAVX"), Err(WavError::NotWave));
    }

    #[test]
    fn resampling_keeps_a_tone_and_its_frequency() {
        let f = 440.0f64;
        let x: Vec<f32> = (0..44_100)
            .map(|i| (2.0 * std::f64::consts::PI * f * i as f64 / 44_100.0).sin() as f32)
            .collect();
        let y = resample(&x, 44_100, 22_050);
        assert_eq!(y.len(), 22_050);
        for (n, &v) in y.iter().enumerate().skip(200).take(21_000) {
            let want = (2.0 * std::f64::consts::PI * f * n as f64 / 22_050.0).sin() as f32;
            assert!((v - want).abs() < 2e-3, "sample {n}: {v} vs {want}");
        }
    }
}
