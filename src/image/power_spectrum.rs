//! Radially averaged power spectra, and where Gaussian noise overtakes an image.
//!
//! For a field x of N = W·H pixels with DFT X(k), the power at frequency k is
//! P(k) = |X(k)|²/N. With that normalisation white noise of variance σ² has
//! E[P(k)] = σ² at every k, so the forward process x_t = √ᾱ·x_0 + √(1−ᾱ)·ε has
//! the expected spectrum ᾱ·P_0(k) + (1 − ᾱ): the image's spectrum scaled down,
//! plus a flat noise floor. Natural images' power falls roughly as f^−α, so the
//! floor covers the highest frequencies (the finest detail) first.

use rustfft::num_complex::Complex;
use rustfft::FftPlanner;
use serde::Serialize;

use crate::image::{ImageField, CHANNELS};
use crate::rng::{fill_gaussian_planar, STREAM_FORWARD_NOISE};

/// Number of logarithmically spaced radial bins between the lowest frequency
/// (one cycle across the longest edge) and the Nyquist frequency 0.5 cycles/pixel.
pub const RADIAL_BINS: usize = 48;

/// A radially averaged power spectrum.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RadialSpectrum {
    /// Bin centres (geometric means of the frequencies in the bin), cycles per pixel.
    pub freq: Vec<f64>,
    /// Mean P(k) over the frequencies in each bin, averaged over colour channels.
    pub power: Vec<f64>,
    /// Number of DFT coefficients in each bin.
    pub count: Vec<u32>,
}

/// Power spectra of the three channels, averaged, then radially binned.
pub fn radial_power_spectrum(field: &ImageField) -> RadialSpectrum {
    let (w, h) = (field.width() as usize, field.height() as usize);
    let n = w * h;
    let mut planner = FftPlanner::<f32>::new();
    let row_fft = planner.plan_fft_forward(w);
    let col_fft = planner.plan_fft_forward(h);
    let mut power = vec![0.0f64; n];
    let mut buf = vec![Complex::new(0.0f32, 0.0); n];
    let mut column = vec![Complex::new(0.0f32, 0.0); h];
    for c in 0..CHANNELS {
        for (b, &x) in buf.iter_mut().zip(field.plane(c)) {
            *b = Complex::new(x, 0.0);
        }
        fft_2d(
            &mut buf,
            &mut column,
            w,
            h,
            row_fft.as_ref(),
            col_fft.as_ref(),
        );
        for (p, x) in power.iter_mut().zip(&buf) {
            *p += f64::from(x.norm_sqr()) / (n as f64 * CHANNELS as f64);
        }
    }
    radial_bins(&power, w, h)
}

/// Averages a W×H power array (DFT order) over logarithmic radial bins.
fn radial_bins(power: &[f64], w: usize, h: usize) -> RadialSpectrum {
    let f_min = 1.0 / w.max(h) as f64;
    let f_max = 0.5;
    let log_span = (f_max / f_min).ln();
    let mut sum = vec![0.0f64; RADIAL_BINS];
    let mut log_f_sum = vec![0.0f64; RADIAL_BINS];
    let mut count = [0u32; RADIAL_BINS];
    for ky in 0..h {
        let fy = signed_frequency(ky, h);
        for kx in 0..w {
            let fx = signed_frequency(kx, w);
            let f = (fx * fx + fy * fy).sqrt();
            if f < f_min * (1.0 - 1e-9) || f > f_max {
                continue; // the mean (DC) and the corners beyond Nyquist
            }
            let bin = (((f / f_min).ln() / log_span) * RADIAL_BINS as f64) as usize;
            let bin = bin.min(RADIAL_BINS - 1);
            sum[bin] += power[ky * w + kx];
            log_f_sum[bin] += f.ln();
            count[bin] += 1;
        }
    }
    let mut out = RadialSpectrum {
        freq: Vec::new(),
        power: Vec::new(),
        count: Vec::new(),
    };
    for b in 0..RADIAL_BINS {
        if count[b] > 0 {
            out.freq.push((log_f_sum[b] / f64::from(count[b])).exp());
            out.power.push(sum[b] / f64::from(count[b]));
            out.count.push(count[b]);
        }
    }
    out
}

/// DFT index → signed frequency in cycles per pixel.
fn signed_frequency(k: usize, n: usize) -> f64 {
    let k = if k <= n / 2 {
        k as f64
    } else {
        k as f64 - n as f64
    };
    k / n as f64
}

/// Where the noise floor meets the image's spectrum at ᾱ.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Crossing {
    /// At every measured frequency the image is still above the noise.
    AllAboveNoise,
    /// Frequencies above `freq` (cycles/pixel) are drowned: detail finer than
    /// `period` = 1/freq pixels is below the noise.
    At { freq: f64, period: f64 },
    /// Even the broadest measured shapes are below the noise.
    AllBelowNoise,
}

/// The frequency above which ᾱ·P(f) stays below the noise power 1 − ᾱ: found
/// from the fine end (the finest bin still above the noise), so that "detail
/// finer than this is drowned" holds for every finer bin even when the spectrum
/// is not monotone. Interpolated linearly in log–log coordinates between bins.
pub fn crossing(spectrum: &RadialSpectrum, alpha_bar: f64) -> Crossing {
    let noise = 1.0 - alpha_bar;
    if noise <= 0.0 || spectrum.freq.is_empty() {
        return Crossing::AllAboveNoise;
    }
    let margin = |i: usize| (alpha_bar * spectrum.power[i]).max(1e-300).ln() - noise.ln();
    let last = spectrum.freq.len() - 1;
    let Some(i) = (0..=last).rev().find(|&i| margin(i) > 0.0) else {
        return Crossing::AllBelowNoise;
    };
    if i == last {
        return Crossing::AllAboveNoise;
    }
    let (m0, m1) = (margin(i), margin(i + 1));
    let (l0, l1) = (spectrum.freq[i].ln(), spectrum.freq[i + 1].ln());
    let freq = (l0 + (l1 - l0) * m0 / (m0 - m1)).exp();
    Crossing::At {
        freq,
        period: 1.0 / freq,
    }
}

/// Least-squares slope of log P against log f: the spectral exponent −α.
pub fn log_log_slope(spectrum: &RadialSpectrum) -> f64 {
    let n = spectrum.freq.len() as f64;
    let xs: Vec<f64> = spectrum.freq.iter().map(|f| f.ln()).collect();
    let ys: Vec<f64> = spectrum.power.iter().map(|p| p.max(1e-300).ln()).collect();
    let mx = xs.iter().sum::<f64>() / n;
    let my = ys.iter().sum::<f64>() / n;
    let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    sxy / sxx
}

/// A field whose expected power spectrum is exactly `amplitude · f^−alpha`
/// (per channel, DC removed): seeded white noise filtered in the Fourier domain.
/// Used to test the spectrum and the crossing against closed forms.
pub fn synthetic_power_law(
    width: u32,
    height: u32,
    amplitude: f64,
    alpha: f64,
    seed: u64,
) -> ImageField {
    let (w, h) = (width as usize, height as usize);
    let n = w * h;
    let noise = white_noise(seed, n);
    let mut planner = FftPlanner::<f64>::new();
    let (row_f, col_f) = (planner.plan_fft_forward(w), planner.plan_fft_forward(h));
    let (row_i, col_i) = (planner.plan_fft_inverse(w), planner.plan_fft_inverse(h));
    let mut data = vec![0.0f32; n * CHANNELS];
    let mut buf = vec![Complex::new(0.0f64, 0.0); n];
    let mut column = vec![Complex::new(0.0f64, 0.0); h];
    for c in 0..CHANNELS {
        for (b, &x) in buf.iter_mut().zip(&noise[c * n..(c + 1) * n]) {
            *b = Complex::new(f64::from(x), 0.0);
        }
        // Forward 2-D DFT, filter by sqrt(amplitude · f^−α), inverse 2-D DFT.
        fft_2d(&mut buf, &mut column, w, h, row_f.as_ref(), col_f.as_ref());
        for ky in 0..h {
            for kx in 0..w {
                let fx = signed_frequency(kx, w);
                let fy = signed_frequency(ky, h);
                let f = (fx * fx + fy * fy).sqrt();
                let gain = if f == 0.0 {
                    0.0
                } else {
                    (amplitude * f.powf(-alpha)).sqrt()
                };
                buf[ky * w + kx] *= gain;
            }
        }
        fft_2d(&mut buf, &mut column, w, h, row_i.as_ref(), col_i.as_ref());
        for (d, b) in data[c * n..(c + 1) * n].iter_mut().zip(&buf) {
            *d = (b.re / n as f64) as f32;
        }
    }
    ImageField::from_planar(width, height, data)
}

/// In-place 2-D DFT of a row-major w×h array: rows, then columns via `column`.
pub fn fft_2d<T: rustfft::FftNum>(
    buf: &mut [Complex<T>],
    column: &mut [Complex<T>],
    w: usize,
    h: usize,
    rows: &dyn rustfft::Fft<T>,
    cols: &dyn rustfft::Fft<T>,
) {
    rows.process(buf);
    for x in 0..w {
        for y in 0..h {
            column[y] = buf[y * w + x];
        }
        cols.process(column);
        for y in 0..h {
            buf[y * w + x] = column[y];
        }
    }
}

/// Seeded standard normal noise, planar RGB: the forward process's own noise
/// (`forward::noising::noise_field` draws the same stream), drawn here so
/// that pictures need nothing from the layers above them.
fn white_noise(seed: u64, pixels: usize) -> Vec<f32> {
    let mut eps = vec![0.0f32; pixels * CHANNELS];
    fill_gaussian_planar(seed, STREAM_FORWARD_NOISE, pixels, CHANNELS, &mut eps);
    eps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn white_noise_has_a_flat_unit_spectrum() {
        let field = ImageField::from_planar(128, 96, white_noise(5, 128 * 96));
        let s = radial_power_spectrum(&field);
        for (i, p) in s.power.iter().enumerate() {
            // Each bin averages ≥ a few dozen |X|² values (χ² with 2 dof each).
            let tol = 4.0 / f64::from(s.count[i] * 3).sqrt();
            assert!(
                (p - 1.0).abs() < tol.max(0.05),
                "bin {i} f {}: {p}",
                s.freq[i]
            );
        }
        assert!(log_log_slope(&s).abs() < 0.1);
    }

    #[test]
    fn a_single_sinusoid_lands_in_the_bin_of_its_frequency() {
        let (w, h) = (64u32, 64u32);
        let mut data = vec![0.0f32; 64 * 64 * CHANNELS];
        for c in 0..CHANNELS {
            for y in 0..64 {
                for x in 0..64 {
                    data[c * 4096 + y * 64 + x] =
                        (2.0 * std::f32::consts::PI * 8.0 * x as f32 / 64.0).cos();
                }
            }
        }
        let s = radial_power_spectrum(&ImageField::from_planar(w, h, data));
        let peak = (0..s.power.len())
            .max_by(|&a, &b| s.power[a].total_cmp(&s.power[b]))
            .unwrap();
        assert!(
            (s.freq[peak] - 0.125).abs() < 0.01,
            "peak at {}",
            s.freq[peak]
        );
    }

    #[test]
    fn power_law_image_has_the_expected_slope_and_level() {
        let (amp, alpha) = (1e-3, 2.0);
        let field = synthetic_power_law(256, 256, amp, alpha, 9);
        let s = radial_power_spectrum(&field);
        assert!(
            (log_log_slope(&s) + alpha).abs() < 0.1,
            "slope {}",
            log_log_slope(&s)
        );
        let i = s.freq.iter().position(|&f| f > 0.1).unwrap();
        let expected = amp * s.freq[i].powf(-alpha);
        assert!((s.power[i] / expected - 1.0).abs() < 0.1);
    }

    #[test]
    fn crossing_matches_the_closed_form_on_a_power_law_image() {
        // ᾱ·A·f^−α = 1 − ᾱ  ⇒  f* = (A·ᾱ/(1 − ᾱ))^{1/α}.
        // Amplitude chosen so every crossing lies where bins hold hundreds of coefficients.
        let (amp, alpha) = (1e-2, 2.0);
        let field = synthetic_power_law(256, 256, amp, alpha, 21);
        let s = radial_power_spectrum(&field);
        for alpha_bar in [0.2, 0.5, 0.8, 0.95] {
            let expected = (amp * alpha_bar / (1.0 - alpha_bar)).powf(1.0 / alpha);
            match crossing(&s, alpha_bar) {
                Crossing::At { freq, period } => {
                    // Within one bin: 48 log bins from 1/256 to 1/2 are 2^(7/48) ≈ 1.106 wide.
                    assert!(
                        (freq / expected - 1.0).abs() < 0.106,
                        "ᾱ {alpha_bar}: {freq} vs {expected}"
                    );
                    assert!((period * freq - 1.0).abs() < 1e-12);
                }
                other => panic!("ᾱ {alpha_bar}: {other:?}, expected a crossing near {expected}"),
            }
        }
        assert_eq!(crossing(&s, 1.0), Crossing::AllAboveNoise);
        assert_eq!(crossing(&s, 1e-9), Crossing::AllBelowNoise);
        assert_eq!(crossing(&s, 0.999_999), Crossing::AllAboveNoise);
    }

    #[test]
    fn a_bump_at_fine_scales_keeps_the_crossing_above_it() {
        let s = RadialSpectrum {
            freq: vec![0.01, 0.02, 0.05, 0.1, 0.2],
            power: vec![0.001, 10.0, 1.0, 5.0, 0.01],
            count: vec![1; 5],
        };
        // Noise 0.5 at ᾱ = 0.5: bins 1–3 are above it, bin 0 and bin 4 below.
        match crossing(&s, 0.5) {
            Crossing::At { freq, .. } => assert!(freq > 0.1 && freq < 0.2, "{freq}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn more_noise_moves_the_crossing_to_broader_shapes() {
        let s = radial_power_spectrum(&synthetic_power_law(128, 128, 1e-3, 2.0, 4));
        let period = |ab| match crossing(&s, ab) {
            Crossing::At { period, .. } => period,
            other => panic!("{other:?}"),
        };
        assert!(period(0.3) > period(0.6));
        assert!(period(0.6) > period(0.9));
    }
}
