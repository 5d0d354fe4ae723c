//! Denoisers: given x_t and ᾱ_t, the estimate x̂0 = E[x_0 | x_t] under a model
//! of the archive. Each is exact for its model and runs on the CPU here; the
//! first three have a WGSL twin in `src/gpu/`.
//!
//! 1. [`archive`]: the optimal denoiser for the archive's empirical
//!    distribution. Its weights over items are the provenance of the result and
//!    the recogniser p(tag | x_t).
//! 2. [`gaussian`]: the Wiener estimate under a Gaussian with the tag's mean and
//!    its stationary colour covariance (3 × 3 per spatial frequency).
//! 3. [`patch`]: the equivariant local score machine of Kamb & Ganguli: every
//!    pixel is the weighted centre of archive patches that resemble its own
//!    neighbourhood.
//! 4. [`rows`]: for spectrogram pictures, a Gaussian with a mean and a temporal
//!    power spectrum per frequency row (CPU only).
//!
//! Every denoiser returns the estimate over all items (`x0_all`) and, when a
//! tag is chosen, over the tag's items only (`x0_tag`); the sampler combines
//! them with classifier-free guidance.

pub mod archive;
pub mod gaussian;
pub mod patch;
pub mod rows;
pub mod track;

use serde::{Deserialize, Serialize};

/// Which denoiser a sampler asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DenoiserKind {
    Archive,
    Gaussian,
    Patch,
}

impl DenoiserKind {
    pub const ALL: [DenoiserKind; 3] = [Self::Archive, Self::Gaussian, Self::Patch];

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "archive" => Some(Self::Archive),
            "gaussian" => Some(Self::Gaussian),
            "patch" => Some(Self::Patch),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Archive => "archive",
            Self::Gaussian => "gaussian",
            Self::Patch => "patch",
        }
    }
}

/// What one denoiser call returns.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Denoised {
    /// x̂0 over all items (planar RGB, unclipped).
    pub x0_all: Vec<f32>,
    /// x̂0 over the chosen tag's items, when a tag is chosen.
    pub x0_tag: Option<Vec<f32>>,
    /// The archive posterior p(item | x_t) over all items: the recogniser's input
    /// (computed by the archive denoiser whichever denoiser makes the image).
    pub posterior: Vec<f32>,
    /// The archive denoiser's weights over the tag's items (zero elsewhere).
    pub posterior_tag: Option<Vec<f32>>,
    /// Patch denoiser: for each pixel, the share of each item in its estimate,
    /// pixel-major (`pixel · N + item`), over all items and over the tag's items.
    pub pixel_shares: Option<PixelShares>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PixelShares {
    pub items: usize,
    pub all: Vec<f32>,
    pub tag: Option<Vec<f32>>,
}

/// Softmax of `logits` over the entries where `mask` is true (others get 0),
/// with the maximum subtracted first (log-sum-exp) so that nothing underflows
/// to an all-zero vector. Returns all zeros when the mask is empty.
pub fn masked_softmax(logits: &[f64], mask: Option<&[bool]>) -> Vec<f32> {
    let on = |i: usize| mask.is_none_or(|m| m[i]);
    let max = logits
        .iter()
        .enumerate()
        .filter(|(i, _)| on(*i))
        .map(|(_, &l)| l)
        .fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return vec![0.0; logits.len()];
    }
    let exps: Vec<f64> = logits
        .iter()
        .enumerate()
        .map(|(i, &l)| if on(i) { (l - max).exp() } else { 0.0 })
        .collect();
    let sum: f64 = exps.iter().sum();
    exps.iter().map(|e| (e / sum) as f32).collect()
}

/// Σ_i w_i·x_i over the items of `data` (item-major, `dim` values each).
pub fn weighted_items(data: &[f32], dim: usize, weights: &[f32]) -> Vec<f32> {
    let mut out = vec![0.0f32; dim];
    for (item, &w) in data.chunks_exact(dim).zip(weights) {
        if w == 0.0 {
            continue;
        }
        for (o, &x) in out.iter_mut().zip(item) {
            *o += w * x;
        }
    }
    out
}
