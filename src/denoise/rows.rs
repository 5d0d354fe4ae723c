//! The Gaussian denoiser for spectrogram pictures: stationary along time only.
//!
//! A spectrogram's statistics change with the frequency row (low bins carry
//! far more energy than high ones) but are roughly stable along time. The
//! model here keeps, for every row r, a mean μ_r and a temporal power spectrum
//! P_r(k) (rows independent of each other), fitted to the chosen clips. Under
//! it, per row and temporal frequency k (unitary DFT along time),
//!
//!   X̂0(k) = M(k) + √ᾱ·P(k) / (ᾱ·P(k) + 1 − ᾱ) · (X_t(k) − √ᾱ·M(k)),
//!
//! where M is the DFT of the constant row μ_r. With `pooled` statistics every
//! row shares one mean and one spectrum instead: a model stationary along time
//! that ignores frequency, kept to measure what the per-row statistics buy
//! (`tests/sound.rs`).

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

use crate::archive::dataset::Dataset;

/// A fitted row model of `rows` × `cols` one-channel pictures.
pub struct RowGaussian {
    rows: usize,
    cols: usize,
    items: usize,
    /// μ_r, one per row.
    mean: Vec<f32>,
    /// P_r(k), rows × (cols/2 + 1), for the unitary DFT (white noise of
    /// variance 1 has P = 1).
    power: Vec<f32>,
    forward: Arc<dyn RealToComplex<f32>>,
    inverse: Arc<dyn ComplexToReal<f32>>,
}

impl RowGaussian {
    /// Fits the model to the items of `set` selected by `mask` (all when None).
    /// None when no item is selected or the set is not single-channel.
    pub fn fit(set: &Dataset, mask: Option<&[bool]>, pooled: bool) -> Option<Self> {
        if set.channels() != 1 {
            return None;
        }
        let (rows, cols) = (set.edge() as usize, set.edge() as usize);
        let chosen: Vec<usize> = (0..set.len())
            .filter(|&i| mask.is_none_or(|m| m[i]))
            .collect();
        if chosen.is_empty() {
            return None;
        }
        let mut planner = RealFftPlanner::<f32>::new();
        let forward = planner.plan_fft_forward(cols);
        let inverse = planner.plan_fft_inverse(cols);
        let half = cols / 2 + 1;
        let mut mean = vec![0.0f64; rows];
        for &i in &chosen {
            for (r, row) in set.item(i).chunks_exact(cols).enumerate() {
                mean[r] += row.iter().map(|&v| f64::from(v)).sum::<f64>();
            }
        }
        let count = (chosen.len() * cols) as f64;
        for m in mean.iter_mut() {
            *m /= count;
        }
        if pooled {
            let all = mean.iter().sum::<f64>() / rows as f64;
            mean.iter_mut().for_each(|m| *m = all);
        }
        let mut power = vec![0.0f64; rows * half];
        let mut line = vec![0.0f32; cols];
        let mut spectrum = vec![Complex::new(0.0f32, 0.0); half];
        for &i in &chosen {
            for (r, row) in set.item(i).chunks_exact(cols).enumerate() {
                for (l, &v) in line.iter_mut().zip(row) {
                    *l = v - mean[r] as f32;
                }
                forward
                    .process(&mut line, &mut spectrum)
                    .expect("FFT of the planned size");
                for (p, s) in power[r * half..(r + 1) * half].iter_mut().zip(&spectrum) {
                    *p += f64::from(s.norm_sqr());
                }
            }
        }
        let scale = 1.0 / (chosen.len() * cols) as f64;
        if pooled {
            let mut shared = vec![0.0f64; half];
            for r in 0..rows {
                for k in 0..half {
                    shared[k] += power[r * half + k] / rows as f64;
                }
            }
            for r in 0..rows {
                power[r * half..(r + 1) * half].copy_from_slice(&shared);
            }
        }
        Some(Self {
            rows,
            cols,
            items: chosen.len(),
            mean: mean.iter().map(|&m| m as f32).collect(),
            power: power.iter().map(|&p| (p * scale) as f32).collect(),
            forward,
            inverse,
        })
    }

    pub fn items(&self) -> usize {
        self.items
    }

    pub fn mean(&self) -> &[f32] {
        &self.mean
    }

    /// P_r(k): rows × (cols/2 + 1).
    pub fn power(&self) -> &[f32] {
        &self.power
    }

    /// E[x_0 | x_t] under the model.
    pub fn denoise(&self, x_t: &[f32], alpha_bar: f64) -> Vec<f32> {
        let (rows, cols) = (self.rows, self.cols);
        assert_eq!(x_t.len(), rows * cols, "a picture of another size");
        let half = cols / 2 + 1;
        let a = alpha_bar as f32;
        let sa = alpha_bar.sqrt() as f32;
        let noise = (1.0 - alpha_bar) as f32;
        let mut out = vec![0.0f32; rows * cols];
        let mut line = vec![0.0f32; cols];
        let mut spectrum = vec![Complex::new(0.0f32, 0.0); half];
        let n = cols as f32;
        for r in 0..rows {
            let mu = self.mean[r];
            // Work on the deviation from √ᾱ·μ, then add μ back: the same as
            // the formula above, with M(k) non-zero only at k = 0.
            for (l, &v) in line.iter_mut().zip(&x_t[r * cols..(r + 1) * cols]) {
                *l = v - sa * mu;
            }
            self.forward
                .process(&mut line, &mut spectrum)
                .expect("FFT of the planned size");
            for (s, &p) in spectrum
                .iter_mut()
                .zip(&self.power[r * half..(r + 1) * half])
            {
                let gain = sa * p / (a * p + noise).max(f32::MIN_POSITIVE);
                *s *= gain / n;
            }
            // The inverse real FFT needs exactly real DC and Nyquist terms.
            spectrum[0].im = 0.0;
            spectrum[half - 1].im = 0.0;
            self.inverse
                .process(&mut spectrum, &mut line)
                .expect("FFT of the planned size");
            for (o, &l) in out[r * cols..(r + 1) * cols].iter_mut().zip(&line) {
                *o = mu + l;
            }
        }
        out
    }
}
