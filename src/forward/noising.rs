//! Forward noising q(x_t | x_0): x_t = √ᾱ_t·x_0 + √(1 − ᾱ_t)·ε, ε ~ N(0, I).
//!
//! This is the CPU reference and the CPU backend. The GPU twin is
//! `src/gpu/noise.wgsl`; both draw ε for pixel p, channel c from
//! `rng::gaussian4(seed, STREAM_FORWARD_NOISE, p)[c]`.

use crate::image::{write_rgba8, ImageField, CHANNELS};
use crate::rng::{fill_gaussian_planar, STREAM_FORWARD_NOISE};

/// What one frame of the forward process needs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NoiseParams {
    pub seed: u64,
    /// √ᾱ_t.
    pub signal: f32,
    /// √(1 − ᾱ_t).
    pub noise: f32,
}

impl NoiseParams {
    pub fn from_alpha_bar(seed: u64, alpha_bar: f64) -> Self {
        let a = alpha_bar.clamp(0.0, 1.0);
        Self {
            seed,
            signal: a.sqrt() as f32,
            noise: (1.0 - a).sqrt() as f32,
        }
    }
}

/// The noise field ε for an image of `pixels` pixels (planar RGB).
pub fn noise_field(seed: u64, pixels: usize) -> Vec<f32> {
    let mut eps = vec![0.0f32; pixels * CHANNELS];
    fill_gaussian_planar(seed, STREAM_FORWARD_NOISE, pixels, CHANNELS, &mut eps);
    eps
}

/// x_t for the whole field: the reference the GPU kernel is tested against.
pub fn noise_image(x0: &ImageField, params: NoiseParams) -> ImageField {
    let eps = noise_field(params.seed, x0.pixels());
    let mut out = x0.clone();
    mix_into(x0.data(), &eps, params, out.data_mut());
    out
}

/// out = signal·x0 + noise·eps, elementwise, in this exact order of operations
/// (the WGSL kernel evaluates the same expression).
#[inline]
pub fn mix_into(x0: &[f32], eps: &[f32], params: NoiseParams, out: &mut [f32]) {
    for ((o, &x), &e) in out.iter_mut().zip(x0).zip(eps) {
        *o = params.signal * x + params.noise * e;
    }
}

/// The CPU backend: keeps the image and the noise field of the current seed, so
/// that scrubbing through t costs one multiply-add per value and no RNG.
#[derive(Debug, Default)]
pub struct CpuNoiser {
    x0: Option<ImageField>,
    eps: Option<(u64, Vec<f32>)>,
    scratch: Vec<f32>,
}

impl CpuNoiser {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set_image(&mut self, x0: ImageField) {
        if self
            .x0
            .as_ref()
            .is_none_or(|old| old.pixels() != x0.pixels())
        {
            self.eps = None;
        }
        self.x0 = Some(x0);
    }

    pub fn image(&self) -> Option<&ImageField> {
        self.x0.as_ref()
    }

    /// Renders x_t as opaque RGBA bytes into `out` (resized to fit).
    /// Returns false when there is no image yet.
    pub fn render_rgba(&mut self, params: NoiseParams, out: &mut Vec<u8>) -> bool {
        let Some(x0) = self.x0.as_ref() else {
            return false;
        };
        let pixels = x0.pixels();
        if self
            .eps
            .as_ref()
            .is_none_or(|(seed, _)| *seed != params.seed)
        {
            self.eps = Some((params.seed, noise_field(params.seed, pixels)));
        }
        let eps = &self.eps.as_ref().expect("filled above").1;
        self.scratch.resize(pixels * CHANNELS, 0.0);
        mix_into(x0.data(), eps, params, &mut self.scratch);
        out.resize(pixels * 4, 0);
        write_rgba8(&self.scratch, pixels, out);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::ImageField;

    fn ramp(width: u32, height: u32) -> ImageField {
        let n = (width * height) as usize;
        let data = (0..n * CHANNELS)
            .map(|i| (i % 255) as f32 / 127.5 - 1.0)
            .collect();
        ImageField::from_planar(width, height, data)
    }

    #[test]
    fn at_t_zero_the_image_is_untouched() {
        let x0 = ramp(17, 9);
        let out = noise_image(&x0, NoiseParams::from_alpha_bar(3, 1.0));
        assert_eq!(out, x0);
    }

    #[test]
    fn at_alpha_bar_zero_only_noise_remains() {
        let x0 = ramp(17, 9);
        let out = noise_image(&x0, NoiseParams::from_alpha_bar(3, 0.0));
        assert_eq!(out.data(), noise_field(3, x0.pixels()).as_slice());
    }

    #[test]
    fn the_residual_is_the_seeded_noise_scaled() {
        let x0 = ramp(8, 8);
        let p = NoiseParams::from_alpha_bar(11, 0.3);
        let out = noise_image(&x0, p);
        let eps = noise_field(11, x0.pixels());
        for ((&got, &x), &e) in out.data().iter().zip(x0.data()).zip(&eps) {
            assert_eq!(got, p.signal * x + p.noise * e);
        }
    }

    #[test]
    fn cpu_backend_renders_the_reference_bytes_and_reuses_its_noise() {
        let x0 = ramp(13, 7);
        let mut cpu = CpuNoiser::new();
        let mut out = Vec::new();
        assert!(!cpu.render_rgba(NoiseParams::from_alpha_bar(1, 0.5), &mut out));
        cpu.set_image(x0.clone());
        for (seed, ab) in [(1, 0.5), (1, 0.1), (2, 0.1)] {
            let p = NoiseParams::from_alpha_bar(seed, ab);
            assert!(cpu.render_rgba(p, &mut out));
            assert_eq!(out, noise_image(&x0, p).to_rgba8());
        }
    }
}
