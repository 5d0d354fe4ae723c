//! Extreme slowing of a sound, for Swim (a clip of seconds played over
//! minutes), in two ways, both streamed block by block so that playback can
//! start long before the whole render exists:
//!
//! - [`PaulStretch`]: Nasca Paul's Paulstretch (its algorithm is in the public
//!   domain; `paulstretch_mono.py` in paulstretch_python). Each output frame
//!   takes a window of the input at a position that advances by H/s samples
//!   (H = W/2 the output hop, s the stretch), windows it with
//!   w(x) = (1 − x²)^1.25 on x ∈ [−1, 1], keeps the magnitudes of its real FFT,
//!   draws new phases uniformly in [0, 2π) (seeded Philox, so a render
//!   repeats exactly), inverts, windows again and overlap-adds with hop H. The
//!   pitch and the long-term spectrum stay; the time structure dissolves into
//!   a slowly changing smear. We add one step the original leaves out: with
//!   random phases the expected power of the overlap-added output at offset n
//!   within a hop is P·m·(w(n)² + w(n + H)²), where P is the input's local
//!   power and m the mean of w² over the frame, so each output sample is
//!   divided by the square root of that, and the stretched sound is as loud
//!   as the source (measured within 1 dB in the tests) with no ripple at the
//!   hop rate.
//! - [`Tape`]: slowing as a tape or film played slow: resampling by
//!   Catmull–Rom interpolation, so the pitch falls by the same factor.
//!
//! Both produce exactly the requested number of samples.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

use crate::rng;

/// Paulstretch's window: 0.25 s is paulstretch_python's default and keeps
/// notes recognisable; at 22,050 Hz this is 5,512 samples, rounded up to even.
pub const WINDOW_SECONDS: f64 = 0.25;

/// Philox stream for Paulstretch's phases (other streams: noise fields).
const PHASE_STREAM: u32 = 0x5057_494d; // "SWIM"

/// The input sample at position `i`, zero outside the clip.
fn at(x: &[f32], i: isize) -> f32 {
    if i < 0 {
        0.0
    } else {
        x.get(i as usize).copied().unwrap_or(0.0)
    }
}

/// A sound produced block by block, `length` samples in all.
pub trait SampleStream {
    /// The next block (None when all the samples have been produced).
    fn next_block(&mut self) -> Option<Vec<f32>>;

    /// Continues from output sample `sample` (rounded down to a block
    /// boundary; returns where it continues), exactly as if every block
    /// before it had been produced: a player seeks without rendering them.
    fn seek(&mut self, sample: usize) -> usize;

    /// Every block, joined.
    fn render(mut self) -> Vec<f32>
    where
        Self: Sized,
    {
        let mut out = Vec::new();
        while let Some(block) = self.next_block() {
            out.extend_from_slice(&block);
        }
        out
    }
}

/// Paulstretch as a stream: [`PaulStretch::next_block`] returns the next H
/// output samples until `length` have been produced.
pub struct PaulStretch {
    input: Vec<f32>,
    length: usize,
    produced: usize,
    seed: u64,
    frame: u64,
    window: Vec<f32>,
    /// Per offset n in a hop: 1/√(m·(w(n)² + w(n + H)²)), the level correction.
    gain: Vec<f32>,
    /// Input samples advanced per output frame: H/s.
    advance: f64,
    /// The second half of the previous output frame, still to be added.
    tail: Vec<f32>,
    forward: Arc<dyn RealToComplex<f32>>,
    inverse: Arc<dyn ComplexToReal<f32>>,
    buf: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
}

impl PaulStretch {
    /// Stretches `input` (at `sample_rate`) to exactly `length` samples, with
    /// the phases drawn from `seed`.
    pub fn new(input: &[f32], sample_rate: u32, length: usize, seed: u64) -> Self {
        let w = ((WINDOW_SECONDS * f64::from(sample_rate) / 2.0).ceil() as usize * 2).max(16);
        let h = w / 2;
        let window: Vec<f32> = (0..w)
            .map(|k| {
                let x = -1.0 + 2.0 * k as f64 / (w - 1) as f64;
                (1.0 - x * x).max(0.0).powf(1.25) as f32
            })
            .collect();
        let mean_sq = window.iter().map(|v| f64::from(v * v)).sum::<f64>() / w as f64;
        let gain = (0..h)
            .map(|n| {
                let overlap = f64::from(window[n]).powi(2) + f64::from(window[n + h]).powi(2);
                (1.0 / (mean_sq * overlap).max(1e-6).sqrt()) as f32
            })
            .collect();
        let mut planner = RealFftPlanner::<f32>::new();
        let forward = planner.plan_fft_forward(w);
        let inverse = planner.plan_fft_inverse(w);
        let spectrum = forward.make_output_vec();
        let stretch = length as f64 / input.len().max(1) as f64;
        Self {
            input: input.to_vec(),
            length,
            produced: 0,
            seed,
            frame: 0,
            window,
            gain,
            advance: h as f64 / stretch.max(1e-9),
            tail: vec![0.0; h],
            forward,
            inverse,
            buf: vec![0.0; w],
            spectrum,
        }
    }

    /// The output hop H (samples per block).
    pub fn hop(&self) -> usize {
        self.tail.len()
    }

    /// Samples produced so far, and the total.
    pub fn progress(&self) -> (usize, usize) {
        (self.produced, self.length)
    }

    /// One output frame: the windowed input at this frame's position, new
    /// phases, inverse, windowed again (into `self.buf`).
    fn synthesise_frame(&mut self) {
        let w = self.window.len();
        // Centre the window on the frame's input position.
        let centre = (self.frame as f64 * self.advance).floor() as isize;
        let start = centre - (w / 2) as isize;
        for (k, b) in self.buf.iter_mut().enumerate() {
            *b = at(&self.input, start + k as isize) * self.window[k];
        }
        self.forward
            .process(&mut self.buf, &mut self.spectrum)
            .expect("FFT sizes agree");
        let bins = self.spectrum.len();
        for (k, c) in self.spectrum.iter_mut().enumerate() {
            let magnitude = c.norm();
            // DC and Nyquist must stay real for the real inverse.
            if k == 0 || k == bins - 1 {
                *c = Complex::new(magnitude, 0.0);
                continue;
            }
            let words = rng::words(self.seed, PHASE_STREAM, self.frame * bins as u64 + k as u64);
            let phase = std::f32::consts::TAU * rng::uniform_half_open(words[0]);
            *c = Complex::from_polar(magnitude, phase);
        }
        self.inverse
            .process(&mut self.spectrum, &mut self.buf)
            .expect("FFT sizes agree");
        // realfft's inverse is unnormalised: divide by W.
        let scale = 1.0 / w as f32;
        for (b, win) in self.buf.iter_mut().zip(&self.window) {
            *b *= win * scale;
        }
        self.frame += 1;
    }
}

impl SampleStream for PaulStretch {
    fn seek(&mut self, sample: usize) -> usize {
        let h = self.hop();
        let k = sample.min(self.length) / h;
        self.tail.fill(0.0);
        if k > 0 {
            // The previous frame's second half overlaps the first block.
            self.frame = k as u64 - 1;
            self.synthesise_frame();
            self.tail.copy_from_slice(&self.buf[h..]);
        }
        self.frame = k as u64;
        self.produced = k * h;
        self.produced
    }

    /// The next block of up to H samples (the last may be shorter); None when done.
    fn next_block(&mut self) -> Option<Vec<f32>> {
        if self.produced >= self.length {
            return None;
        }
        let h = self.hop();
        self.synthesise_frame();
        let n = h.min(self.length - self.produced);
        let block = (0..n)
            .map(|i| (self.buf[i] + self.tail[i]) * self.gain[i])
            .collect();
        self.tail.copy_from_slice(&self.buf[h..]);
        self.produced += n;
        Some(block)
    }
}

/// Tape slowing as a stream: output sample i is the input at i·n/L
/// (Catmull–Rom interpolation), so a clip of n samples lasts exactly L and
/// every frequency falls by the factor L/n.
pub struct Tape {
    input: Vec<f32>,
    length: usize,
    produced: usize,
    step: f64,
}

/// Samples per [`Tape::next_block`].
pub const TAPE_BLOCK: usize = 4096;

impl Tape {
    pub fn new(input: &[f32], length: usize) -> Self {
        Self {
            input: input.to_vec(),
            length,
            produced: 0,
            step: input.len() as f64 / length.max(1) as f64,
        }
    }

    pub fn progress(&self) -> (usize, usize) {
        (self.produced, self.length)
    }
}

impl SampleStream for Tape {
    fn seek(&mut self, sample: usize) -> usize {
        self.produced = sample.min(self.length);
        self.produced
    }

    fn next_block(&mut self) -> Option<Vec<f32>> {
        if self.produced >= self.length {
            return None;
        }
        let n = TAPE_BLOCK.min(self.length - self.produced);
        let x = &self.input;
        let block = (self.produced..self.produced + n)
            .map(|i| {
                let t = i as f64 * self.step;
                let k = t.floor() as isize;
                let f = (t - k as f64) as f32;
                let (p0, p1, p2, p3) = (at(x, k - 1), at(x, k), at(x, k + 1), at(x, k + 2));
                // Catmull–Rom through p1 (f = 0) and p2 (f = 1).
                p1 + 0.5
                    * f
                    * (p2 - p0
                        + f * (2.0 * p0 - 5.0 * p1 + 4.0 * p2 - p3
                            + f * (3.0 * (p1 - p2) + p3 - p0)))
            })
            .collect();
        self.produced += n;
        Some(block)
    }
}
