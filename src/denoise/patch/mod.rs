//! The local patch denoiser: the equivariant local score (ELS) machine of Kamb
//! & Ganguli, "An analytic theory of creativity in convolutional diffusion
//! models" (2024/2025).
//!
//! A convolutional denoiser sees only a window around each pixel and treats
//! every position alike. The ideal denoiser under those two constraints
//! estimates pixel p from the patch Q_p of x_t around it: over every archive
//! item i and every position q (translation equivariance: all positions are
//! candidates), patch C_{i,q} gets the weight
//!
//!   w_{i,q}(p) ∝ exp(−‖Q_p − √ᾱ·C_{i,q}‖² / (2(1 − ᾱ))),
//!
//! and x̂0(p) = Σ w_{i,q}(p)·x_i(q), the weighted centre pixels. Each pixel picks
//! its own items and positions, so samples are new mosaics of archive patches.
//! The provenance is per pixel: the share of each item in its estimate.
//!
//! Choices here, all shared with the GPU twin `src/gpu/patch.wgsl`:
//! - Candidates ([`Border`]): as published, the machine pads only x_t
//!   (circularly, so it stays exactly equivariant to shifts of x_t) and takes
//!   its candidates from the interior of each item: a patch C_{i,q} is a
//!   candidate only where it lies wholly inside item i ([`Border::Interior`],
//!   the default). [`Border::Wrap`] also lets candidates wrap around an item's
//!   edges, joining opposite edges; it makes the machine invariant to circular
//!   shifts of the items too, at the cost of seams. Zero padding with
//!   boundary-aware locality is the paper's other variant and is not built.
//! - Patch size (see [`patch_size`]): odd, linear in t from 3 at t = 0 to
//!   [`largest_patch`] at t = T. Kamb & Ganguli calibrate their sizes to
//!   trained networks and report 3 … 17 on 32 px data; the largest here is that
//!   17 scaled with the picture (33 at 64 px). Linear in t is our choice.
//!   Large patches at high noise lay out the composition; small ones late fill
//!   in texture.
//! - Distances are box sums over the window of the per-pixel quantity
//!   Σ_c (x_t(p) − √ᾱ·x_i(p + d))² for each displacement d, down the columns
//!   and then along the rows, each without subtraction (a few passes that
//!   each add up to 8 values, [`window_sums`]): the cost per step is
//!   O(N·S⁴·log P), and
//!   neither the cancellation of ‖q‖² + ‖c‖² − 2q·c nor that of a running
//!   sum occurs (the GPU twin keeps running sums; see patch.wgsl). With interior
//!   candidates, a (pixel, displacement) pair counts only where p + d is at
//!   least the patch radius from every edge, and there the wrapped window is
//!   the genuine interior patch.
//! - The all-items and the tag's accumulators keep their own running maxima:
//!   a log-weight more than [`CUTOFF`] below the maximum of its own accumulator
//!   is skipped (it would change that estimate by less than e^−CUTOFF relative),
//!   so no tag candidate is lost because another item fits better, and the
//!   result does not depend on the order of the items. The maxima start at a
//!   lower bound from nine probe displacements of every candidate item, so
//!   that each share of a call (one per Web Worker or thread) skips as much
//!   as a single thread would. Before each item every pixel's reach is set
//!   from its maximum (the largest box sum it can still keep), and a row of
//!   box sums none of which is within reach is passed over whole; in the
//!   other rows the update tests every lane, so the skip changes nothing.

mod partial;
mod shape;
mod simd;
mod step;
#[cfg(not(target_arch = "wasm32"))]
mod threads;

pub use partial::{FlatPartial, PatchPartial};
pub use shape::*;
pub use step::PatchStep;
#[cfg(not(target_arch = "wasm32"))]
pub use threads::denoise_threads;

use super::Denoised;
use crate::archive::dataset::Dataset;

/// The patch denoiser over the given candidate items (all items: `0..N`).
pub fn denoise(
    set: &Dataset,
    x_t: &[f32],
    alpha_bar: f64,
    shape: PatchShape,
    tag: Option<&[bool]>,
    candidates: &[usize],
) -> Denoised {
    let mut step = PatchStep::new(set, x_t, alpha_bar, shape, tag, candidates);
    for &i in candidates {
        step.add_item(set, i);
    }
    step.into_partial().into_denoised(Vec::new())
}
