//! The Gaussian denoiser: "the average" of a tag.
//!
//! The tag's items are summarised by their pixelwise mean μ and a stationary
//! covariance: one Hermitian 3 × 3 colour cross-spectrum C(k) per 2-D spatial
//! frequency k, C_ab(k) = mean over items of Y_a(k)·conj(Y_b(k)) / S², where
//! Y = DFT(x_i − μ) per channel. Its diagonal is the per-channel power
//! spectrum; the off-diagonal terms tie the colours together (with them left
//! out, samples turn into saturated rainbow mottling that looks like no item;
//! see shared/design-notes.md). For that Gaussian the posterior mean of x_0 is
//! the Wiener estimate, per frequency:
//!
//!   X̂0(k) = M(k) + √ᾱ·C(k)·(ᾱ·C(k) + (1 − ᾱ)·I)⁻¹·(X_t(k) − √ᾱ·M(k)),
//!
//! with M = DFT(μ). The 3 × 3 system is solved by an LDLᴴ factorisation in f32,
//! in the same order of operations as `src/gpu/gaussian.wgsl`.

use rustfft::num_complex::Complex;
use rustfft::FftPlanner;

use crate::archive::dataset::Dataset;
use crate::image::power_spectrum::fft_2d;
use crate::image::CHANNELS;

type C32 = Complex<f32>;

/// Per-frequency colour cross-spectrum: c00, c11, c22 (real), then re, im of c01, c02, c12.
pub type CrossSpectrum = [f32; 9];

/// A Gaussian model of a set of items.
#[derive(Clone, Debug)]
pub struct GaussianModel {
    edge: usize,
    items: usize,
    /// The pixelwise mean, planar RGB.
    mean: Vec<f32>,
    /// DFT of the mean, channel-major (3 planes of S² coefficients).
    mean_dft: Vec<C32>,
    /// C(k) for each of the S² frequencies (DFT order, row-major).
    cov: Vec<CrossSpectrum>,
}

fn plans(
    edge: usize,
) -> (
    std::sync::Arc<dyn rustfft::Fft<f32>>,
    std::sync::Arc<dyn rustfft::Fft<f32>>,
) {
    let mut planner = FftPlanner::<f32>::new();
    (
        planner.plan_fft_forward(edge),
        planner.plan_fft_inverse(edge),
    )
}

/// Unnormalised 2-D DFT of each channel of a planar field.
fn dft_planes(field: &[f32], edge: usize, forward: &dyn rustfft::Fft<f32>) -> Vec<C32> {
    let n = edge * edge;
    let mut out: Vec<C32> = field.iter().map(|&x| C32::new(x, 0.0)).collect();
    let mut column = vec![C32::new(0.0, 0.0); edge];
    for c in 0..CHANNELS {
        fft_2d(
            &mut out[c * n..(c + 1) * n],
            &mut column,
            edge,
            edge,
            forward,
            forward,
        );
    }
    out
}

impl GaussianModel {
    /// Fits mean and cross-spectra to the items where `mask` is true (all items without one).
    pub fn fit(set: &Dataset, mask: Option<&[bool]>) -> Option<Self> {
        let members: Vec<usize> = (0..set.len())
            .filter(|&i| mask.is_none_or(|m| m[i]))
            .collect();
        if members.is_empty() {
            return None;
        }
        let (edge, dim, n) = (set.edge() as usize, set.dim(), set.pixels());
        let mut mean64 = vec![0.0f64; dim];
        for &i in &members {
            for (m, &x) in mean64.iter_mut().zip(set.item(i)) {
                *m += f64::from(x);
            }
        }
        let mean: Vec<f32> = mean64
            .iter()
            .map(|m| (m / members.len() as f64) as f32)
            .collect();
        let (forward, _) = plans(edge);
        let mut acc = vec![[0.0f64; 9]; n];
        let mut centred = vec![0.0f32; dim];
        for &i in &members {
            for ((c, &x), &m) in centred.iter_mut().zip(set.item(i)).zip(&mean) {
                *c = x - m;
            }
            let y = dft_planes(&centred, edge, forward.as_ref());
            for (k, a) in acc.iter_mut().enumerate() {
                let (y0, y1, y2) = (y[k], y[n + k], y[2 * n + k]);
                let c01 = y0 * y1.conj();
                let c02 = y0 * y2.conj();
                let c12 = y1 * y2.conj();
                let terms = [
                    y0.norm_sqr(),
                    y1.norm_sqr(),
                    y2.norm_sqr(),
                    c01.re,
                    c01.im,
                    c02.re,
                    c02.im,
                    c12.re,
                    c12.im,
                ];
                for (s, t) in a.iter_mut().zip(terms) {
                    *s += f64::from(t);
                }
            }
        }
        let scale = 1.0 / (members.len() as f64 * n as f64);
        let cov = acc.iter().map(|a| a.map(|v| (v * scale) as f32)).collect();
        Some(Self::from_parts(edge as u32, members.len(), mean, cov))
    }

    /// A model from a given mean and cross-spectra (e.g. a known synthetic spectrum).
    pub fn from_parts(edge: u32, items: usize, mean: Vec<f32>, cov: Vec<CrossSpectrum>) -> Self {
        let edge = edge as usize;
        assert_eq!(mean.len(), CHANNELS * edge * edge);
        assert_eq!(cov.len(), edge * edge);
        let (forward, _) = plans(edge);
        let mean_dft = dft_planes(&mean, edge, forward.as_ref());
        Self {
            edge,
            items,
            mean,
            mean_dft,
            cov,
        }
    }

    pub fn edge(&self) -> u32 {
        self.edge as u32
    }

    /// How many items the model summarises.
    pub fn items(&self) -> usize {
        self.items
    }

    pub fn mean(&self) -> &[f32] {
        &self.mean
    }

    pub fn mean_dft(&self) -> &[C32] {
        &self.mean_dft
    }

    pub fn cross_spectra(&self) -> &[CrossSpectrum] {
        &self.cov
    }

    /// x̂0 = E[x_0 | x_t] under the model (planar RGB).
    pub fn denoise(&self, x_t: &[f32], alpha_bar: f64) -> Vec<f32> {
        let (edge, n) = (self.edge, self.edge * self.edge);
        let (forward, inverse) = plans(edge);
        let mut x = dft_planes(x_t, edge, forward.as_ref());
        let a = alpha_bar as f32;
        let s = alpha_bar.sqrt() as f32;
        for k in 0..n {
            let r = [x[k], x[n + k], x[2 * n + k]];
            let m = [
                self.mean_dft[k],
                self.mean_dft[n + k],
                self.mean_dft[2 * n + k],
            ];
            let out = wiener(&self.cov[k], a, s, m, r);
            x[k] = out[0];
            x[n + k] = out[1];
            x[2 * n + k] = out[2];
        }
        let mut column = vec![C32::new(0.0, 0.0); edge];
        let scale = 1.0 / n as f32;
        let mut result = vec![0.0f32; CHANNELS * n];
        for c in 0..CHANNELS {
            let plane = &mut x[c * n..(c + 1) * n];
            fft_2d(
                plane,
                &mut column,
                edge,
                edge,
                inverse.as_ref(),
                inverse.as_ref(),
            );
            for (o, v) in result[c * n..(c + 1) * n].iter_mut().zip(plane.iter()) {
                *o = v.re * scale;
            }
        }
        result
    }
}

fn conj(z: C32) -> C32 {
    C32::new(z.re, -z.im)
}

/// One frequency of the Wiener estimate: M + s·C·(a·C + (1 − a)·I)⁻¹·(X − s·M),
/// with a = ᾱ, s = √ᾱ. The twin of `wiener` in gaussian.wgsl.
pub fn wiener(c: &CrossSpectrum, a: f32, s: f32, m: [C32; 3], x: [C32; 3]) -> [C32; 3] {
    let n = 1.0 - a;
    let c01 = C32::new(c[3], c[4]);
    let c02 = C32::new(c[5], c[6]);
    let c12 = C32::new(c[7], c[8]);
    let r = [x[0] - m[0] * s, x[1] - m[1] * s, x[2] - m[2] * s];
    // M = a·C + n·I = L·D·Lᴴ, L unit lower triangular. Each pivot of a matrix
    // C + n·I with C ⪰ 0 is at least n; the floor only guards rounding.
    let d0 = (a * c[0] + n).max(n);
    let l10 = conj(c01 * a) / d0;
    let l20 = conj(c02 * a) / d0;
    let d1 = (a * c[1] + n - l10.norm_sqr() * d0).max(n);
    let l21 = (conj(c12 * a) - l20 * conj(l10) * d0) / d1;
    let d2 = (a * c[2] + n - l20.norm_sqr() * d0 - l21.norm_sqr() * d1).max(n);
    let y0 = r[0];
    let y1 = r[1] - l10 * y0;
    let y2 = r[2] - l20 * y0 - l21 * y1;
    let v2 = y2 / d2;
    let v1 = y1 / d1 - conj(l21) * v2;
    let v0 = y0 / d0 - conj(l10) * v1 - conj(l20) * v2;
    let cv0 = v0 * c[0] + c01 * v1 + c02 * v2;
    let cv1 = conj(c01) * v0 + v1 * c[1] + c12 * v2;
    let cv2 = conj(c02) * v0 + conj(c12) * v1 + v2 * c[2];
    [m[0] + cv0 * s, m[1] + cv1 * s, m[2] + cv2 * s]
}

/// The Gaussian denoiser for the sampler: x̂0 over all items and over the tag's.
pub struct GaussianDenoiser {
    pub all: GaussianModel,
    pub tag: Option<GaussianModel>,
}

impl GaussianDenoiser {
    pub fn new(set: &Dataset, tag: Option<&[bool]>) -> Option<Self> {
        Some(Self {
            all: GaussianModel::fit(set, None)?,
            tag: match tag {
                Some(mask) => Some(GaussianModel::fit(set, Some(mask))?),
                None => None,
            },
        })
    }

    pub fn denoise(&self, x_t: &[f32], alpha_bar: f64) -> (Vec<f32>, Option<Vec<f32>>) {
        (
            self.all.denoise(x_t, alpha_bar),
            self.tag.as_ref().map(|m| m.denoise(x_t, alpha_bar)),
        )
    }
}
