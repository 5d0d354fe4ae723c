//! Short-time Fourier transform of mono audio, and its inverse.
//!
//! Conventions (the same as librosa 0.11's defaults, so that results can be
//! compared): a periodic Hann window w[n] = ½ − ½·cos(2πn/N) of N = n_fft
//! samples, hop H; `center`: the signal is padded with N/2 zeros at both ends
//! (librosa's `pad_mode="constant"`) so that frame t is centred on sample t·H;
//! frames = 1 + ⌊(len + 2·(N/2) − N)/H⌋; each frame's real FFT keeps N/2 + 1
//! bins. The inverse overlap-adds the windowed inverse FFTs, divides by the
//! summed squared window where that sum is not tiny, removes the padding and
//! returns exactly `length` samples. Spectrograms are stored frame-major.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

/// The project's STFT size: 1024 samples (46 ms at 22,050 Hz).
pub const N_FFT: usize = 1024;
/// The hop between frames: 256 samples (11.6 ms), a quarter of the window.
pub const HOP: usize = 256;

/// The periodic Hann window of `n` samples (as `scipy.signal.get_window("hann", n)`).
pub fn hann_periodic(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| (0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos()) as f32)
        .collect()
}

/// A complex spectrogram: `frames` × `bins` coefficients, frame-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Spectrogram {
    pub frames: usize,
    pub bins: usize,
    pub data: Vec<Complex<f32>>,
}

impl Spectrogram {
    pub fn magnitudes(&self) -> Vec<f32> {
        self.data.iter().map(|c| c.norm_sqr().sqrt()).collect()
    }
}

/// Number of frames of a centred STFT of `len` samples.
pub fn frame_count(len: usize, n_fft: usize, hop: usize) -> usize {
    1 + (len + 2 * (n_fft / 2) - n_fft) / hop
}

/// A planned STFT of one size, with its window and scratch buffers.
pub struct Stft {
    n_fft: usize,
    hop: usize,
    window: Vec<f32>,
    forward: Arc<dyn RealToComplex<f32>>,
    inverse: Arc<dyn ComplexToReal<f32>>,
    frame: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    scratch_fwd: Vec<Complex<f32>>,
    scratch_inv: Vec<Complex<f32>>,
}

impl Stft {
    pub fn new(n_fft: usize, hop: usize) -> Self {
        assert!(n_fft >= 2 && n_fft.is_multiple_of(2) && hop >= 1 && hop <= n_fft);
        let mut planner = RealFftPlanner::<f32>::new();
        let forward = planner.plan_fft_forward(n_fft);
        let inverse = planner.plan_fft_inverse(n_fft);
        Self {
            n_fft,
            hop,
            window: hann_periodic(n_fft),
            frame: forward.make_input_vec(),
            spectrum: forward.make_output_vec(),
            scratch_fwd: forward.make_scratch_vec(),
            scratch_inv: inverse.make_scratch_vec(),
            forward,
            inverse,
        }
    }

    /// The project's STFT (1024, hop 256).
    pub fn standard() -> Self {
        Self::new(N_FFT, HOP)
    }

    pub fn n_fft(&self) -> usize {
        self.n_fft
    }

    pub fn hop(&self) -> usize {
        self.hop
    }

    pub fn bins(&self) -> usize {
        self.n_fft / 2 + 1
    }

    /// The centred STFT of `signal`.
    pub fn forward(&mut self, signal: &[f32]) -> Spectrogram {
        let frames = frame_count(signal.len(), self.n_fft, self.hop);
        let mut out = Spectrogram {
            frames,
            bins: self.bins(),
            data: Vec::with_capacity(frames * self.bins()),
        };
        self.forward_into(signal, &mut out);
        out
    }

    /// The centred STFT of `signal` into `out` (reusing its allocation).
    pub fn forward_into(&mut self, signal: &[f32], out: &mut Spectrogram) {
        let (n, half) = (self.n_fft, self.n_fft / 2);
        let frames = frame_count(signal.len(), n, self.hop);
        out.frames = frames;
        out.bins = self.bins();
        out.data.clear();
        for t in 0..frames {
            // Sample index of frame position k: t·hop + k − N/2 (zero outside the signal).
            let start = (t * self.hop) as isize - half as isize;
            if start >= 0 && start as usize + n <= signal.len() {
                let src = &signal[start as usize..start as usize + n];
                for ((f, &x), &w) in self.frame.iter_mut().zip(src).zip(&self.window) {
                    *f = x * w;
                }
            } else {
                for (k, f) in self.frame.iter_mut().enumerate() {
                    let i = start + k as isize;
                    let x = if i >= 0 && (i as usize) < signal.len() {
                        signal[i as usize]
                    } else {
                        0.0
                    };
                    *f = x * self.window[k];
                }
            }
            self.forward
                .process_with_scratch(&mut self.frame, &mut self.spectrum, &mut self.scratch_fwd)
                .expect("buffers made by the plan");
            out.data.extend_from_slice(&self.spectrum);
        }
    }

    /// The inverse of [`Stft::forward`], `length` samples long.
    pub fn inverse(&mut self, spec: &Spectrogram, length: usize) -> Vec<f32> {
        let mut out = Vec::new();
        let mut norm = Vec::new();
        self.inverse_into(spec, length, &mut out, &mut norm);
        out
    }

    /// [`Stft::inverse`] into `out`. `norm` holds the summed squared window: pass
    /// the same vector for calls on spectrograms of one shape (as Griffin–Lim
    /// does) and it is computed once.
    pub fn inverse_into(
        &mut self,
        spec: &Spectrogram,
        length: usize,
        out: &mut Vec<f32>,
        norm: &mut Vec<f32>,
    ) {
        assert_eq!(spec.bins, self.bins(), "spectrogram of another size");
        let (n, half) = (self.n_fft, self.n_fft / 2);
        let padded = n + self.hop * (spec.frames.saturating_sub(1));
        out.clear();
        out.resize(padded, 0.0);
        let fresh_norm = norm.len() != padded;
        if fresh_norm {
            norm.clear();
            norm.resize(padded, 0.0);
        }
        let scale = 1.0 / n as f32;
        for t in 0..spec.frames {
            self.spectrum
                .copy_from_slice(&spec.data[t * spec.bins..(t + 1) * spec.bins]);
            // A real signal's DC and Nyquist coefficients are real.
            self.spectrum[0].im = 0.0;
            self.spectrum[half].im = 0.0;
            self.inverse
                .process_with_scratch(&mut self.spectrum, &mut self.frame, &mut self.scratch_inv)
                .expect("buffers made by the plan");
            let at = t * self.hop;
            for (((o, nm), &f), &w) in out[at..at + n]
                .iter_mut()
                .zip(&mut norm[at..at + n])
                .zip(&self.frame)
                .zip(&self.window)
            {
                *o += f * scale * w;
                if fresh_norm {
                    *nm += w * w;
                }
            }
        }
        for (o, &w) in out.iter_mut().zip(norm.iter()) {
            if w > f32::MIN_POSITIVE {
                *o /= w;
            }
        }
        // Drop the centring pad; pad or cut to the requested length.
        let end = (half + length).min(out.len());
        let mut result: Vec<f32> = out[half.min(out.len())..end].to_vec();
        result.resize(length, 0.0);
        *out = result;
    }
}

/// Spectral convergence ‖|X| − S‖_F / ‖S‖_F between the magnitudes of `x` and target `s`.
pub fn spectral_convergence(x: &Spectrogram, target: &[f32]) -> f64 {
    let mut num = 0.0f64;
    let mut den = 0.0f64;
    for (c, &s) in x.data.iter().zip(target) {
        let d = f64::from(c.norm_sqr().sqrt()) - f64::from(s);
        num += d * d;
        den += f64::from(s) * f64::from(s);
    }
    (num / den.max(f64::MIN_POSITIVE)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_periodic_hann_window_matches_its_definition() {
        let w = hann_periodic(8);
        let want = [
            0.0,
            0.146_446_6,
            0.5,
            0.853_553_4,
            1.0,
            0.853_553_4,
            0.5,
            0.146_446_6,
        ];
        for (a, b) in w.iter().zip(want) {
            assert!((a - b).abs() < 1e-6);
        }
    }

    #[test]
    fn frames_follow_librosas_count() {
        // librosa.stft(np.zeros(131072), n_fft=1024, hop_length=256).shape == (513, 513)
        assert_eq!(frame_count(131_072, 1024, 256), 513);
        assert_eq!(frame_count(1000, 1024, 256), 4);
    }

    #[test]
    fn stft_then_istft_returns_the_signal() {
        let mut stft = Stft::standard();
        let n = 131_072;
        let x: Vec<f32> = (0..n)
            .map(|i| {
                let t = i as f32 / 22_050.0;
                0.5 * (2.0 * std::f32::consts::PI * 440.0 * t).sin()
                    + 0.2 * (2.0 * std::f32::consts::PI * 3_001.0 * t).sin() * (t * 3.0).cos()
            })
            .collect();
        let spec = stft.forward(&x);
        assert_eq!((spec.frames, spec.bins), (513, 513));
        let y = stft.inverse(&spec, n);
        let err: f64 = x
            .iter()
            .zip(&y)
            .map(|(a, b)| f64::from(a - b).powi(2))
            .sum::<f64>();
        let energy: f64 = x.iter().map(|a| f64::from(*a).powi(2)).sum();
        let rel = (err / energy).sqrt();
        assert!(rel < 1e-5, "relative round-trip error {rel:e}");
    }
}
