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
//! - Patch size (see [`patch_size`]): odd, falling linearly in t from S − 1 at
//!   t = T to 3 at t = 0 (the schedule of the prototype in shared/design-notes.md;
//!   Kamb & Ganguli calibrate theirs to a trained network and use 3 … 17 at 32 px).
//!   Large patches at high noise lay out the composition; small ones late fill in
//!   texture.
//! - Circular padding: windows and positions wrap around the edges, so the
//!   machine is exactly translation equivariant (zero padding, as in the paper's
//!   ELS, anchors structure at the borders instead).
//! - Distances are box sums over the window of the per-pixel quantity
//!   Σ_c (x_t(p) − √ᾱ·x_i(p + d))² for each displacement d, by running sums
//!   along rows and then columns: the cost per step is O(N·S⁴) whatever the
//!   patch size (see design-notes.md), and no cancellation occurs.
//! - Log-weights more than [`CUTOFF`] below the running maximum of their pixel are
//!   skipped (each would change the estimate by less than e^−CUTOFF relative).

use super::{tag_shares, Denoised, PixelShares};
use crate::dataset::Dataset;
use crate::image::CHANNELS;

/// Log-weights this far below the running maximum are not accumulated.
pub const CUTOFF: f32 = 30.0;

/// The smallest patch (3 × 3 pixels).
pub const MIN_PATCH: u32 = 3;

/// Patch size at timestep t of T: odd, linear from S − 1 at T to 3 at 0.
pub fn patch_size(edge: u32, t: u32, t_max: u32) -> u32 {
    let largest = if edge.is_multiple_of(2) {
        edge - 1
    } else {
        edge - 2
    };
    let frac = f64::from(t.min(t_max)) / f64::from(t_max.max(1));
    let p = f64::from(MIN_PATCH) + f64::from(largest - MIN_PATCH) * frac;
    // Nearest odd size.
    let odd = 2 * (((p - 1.0) / 2.0).round() as u32) + 1;
    odd.clamp(MIN_PATCH, largest)
}

/// Online log-sum-exp accumulator of one pixel's weighted estimate.
#[derive(Clone, Copy, Debug)]
struct Acc {
    max: f32,
    sum: f32,
    value: [f32; 3],
}

impl Acc {
    const EMPTY: Acc = Acc {
        max: f32::NEG_INFINITY,
        sum: 0.0,
        value: [0.0; 3],
    };

    /// Adds weight exp(l) on `v`. The GPU kernel's `acc_add` does the same.
    #[inline(always)]
    fn add(&mut self, l: f32, v: [f32; 3]) {
        if l > self.max {
            let scale = (self.max - l).exp();
            self.sum = self.sum * scale + 1.0;
            for (a, b) in self.value.iter_mut().zip(v) {
                *a = *a * scale + b;
            }
            self.max = l;
        } else {
            let e = (l - self.max).exp();
            self.sum += e;
            for (a, b) in self.value.iter_mut().zip(v) {
                *a += e * b;
            }
        }
    }

    fn mean(&self, c: usize) -> f32 {
        if self.sum > 0.0 {
            self.value[c] / self.sum
        } else {
            0.0
        }
    }
}

/// Sliding box sums with wrap-around along rows: for every row y,
/// out[y][x] = Σ_{|δ| ≤ r} src[y][(x + δ) mod s]. The running sum starts afresh
/// at each row, so rounding does not drift across rows.
#[allow(clippy::needless_range_loop)] // the index is the position in the row
fn box_rows(src: &[f32], out: &mut [f32], s: usize, r: usize) {
    for (row, o) in src.chunks_exact(s).zip(out.chunks_exact_mut(s)) {
        let mut sum = 0.0f32;
        for k in 0..=2 * r {
            sum += row[(k + s - r) % s];
        }
        o[0] = sum;
        for x in 1..s {
            let add = if x + r >= s { x + r - s } else { x + r };
            let sub = if x < r + 1 { x + s - r - 1 } else { x - r - 1 };
            sum += row[add];
            sum -= row[sub];
            o[x] = sum;
        }
    }
}

/// The same along columns, all columns at once (one running sum per column).
fn box_columns(src: &[f32], out: &mut [f32], sum: &mut [f32], s: usize, r: usize) {
    sum.fill(0.0);
    for k in 0..=2 * r {
        let y = (k + s - r) % s;
        for (a, &v) in sum.iter_mut().zip(&src[y * s..(y + 1) * s]) {
            *a += v;
        }
    }
    out[..s].copy_from_slice(sum);
    for y in 1..s {
        let add = if y + r >= s { y + r - s } else { y + r };
        let sub = if y < r + 1 { y + s - r - 1 } else { y - r - 1 };
        for x in 0..s {
            sum[x] += src[add * s + x];
            sum[x] -= src[sub * s + x];
        }
        out[y * s..(y + 1) * s].copy_from_slice(sum);
    }
}

/// Copies `item` shifted by d = (dx, dy) with wrap-around: out(p) = item(p + d).
fn shift_item(item: &[f32], out: &mut [f32], s: usize, dx: usize, dy: usize) {
    let n = s * s;
    for c in 0..CHANNELS {
        for y in 0..s {
            let src = &item[c * n + ((y + dy) % s) * s..c * n + ((y + dy) % s) * s + s];
            let dst = &mut out[c * n + y * s..c * n + y * s + s];
            dst[..s - dx].copy_from_slice(&src[dx..]);
            dst[s - dx..].copy_from_slice(&src[..dx]);
        }
    }
}

/// One denoiser call in progress: items are added one at a time, so that the
/// page can yield to the browser between them.
pub struct PatchStep {
    edge: usize,
    items: usize,
    x_t: Vec<f32>,
    signal: f32,
    inv_two_var: f32,
    radius: usize,
    tag: Option<Vec<bool>>,
    all: Vec<Acc>,
    tagged: Vec<Acc>,
    /// Per (item, pixel): the item's share of the pixel's weight, as the sum
    /// it added, relative to `item_max` (the pixel's running maximum then).
    item_max: Vec<f32>,
    item_sum: Vec<f32>,
    // Scratch.
    shifted: Vec<f32>,
    dist: Vec<f32>,
    rows: Vec<f32>,
    boxed: Vec<f32>,
    column_sums: Vec<f32>,
}

impl PatchStep {
    /// Starts a denoiser call at x_t (copied) for the items of `set`.
    pub fn new(
        set: &Dataset,
        x_t: &[f32],
        alpha_bar: f64,
        patch: u32,
        tag: Option<&[bool]>,
    ) -> Self {
        assert!(
            patch % 2 == 1 && patch < set.edge(),
            "patch must be odd and < S"
        );
        let n = set.pixels();
        Self {
            edge: set.edge() as usize,
            items: set.len(),
            x_t: x_t.to_vec(),
            signal: alpha_bar.sqrt() as f32,
            inv_two_var: (0.5 / (1.0 - alpha_bar).max(1e-12)) as f32,
            radius: (patch as usize - 1) / 2,
            tag: tag.map(<[bool]>::to_vec),
            all: vec![Acc::EMPTY; n],
            tagged: vec![Acc::EMPTY; n],
            item_max: vec![f32::NEG_INFINITY; set.len() * n],
            item_sum: vec![0.0; set.len() * n],
            shifted: vec![0.0; CHANNELS * n],
            dist: vec![0.0; n],
            rows: vec![0.0; n],
            boxed: vec![0.0; n],
            column_sums: vec![0.0; set.edge() as usize],
        }
    }

    /// Accumulates every position of item `i` of `set` (the set given to `new`).
    pub fn add_item(&mut self, set: &Dataset, i: usize) {
        let s = self.edge;
        let n = s * s;
        let item = set.item(i);
        let in_tag = self.tag.as_ref().is_some_and(|m| m[i]);
        let r = self.radius;
        let before: Vec<(f32, f32)> = self.all.iter().map(|a| (a.max, a.sum)).collect();
        for dy in 0..s {
            for dx in 0..s {
                shift_item(item, &mut self.shifted, s, dx, dy);
                // Σ_c (x_t(p) − √ᾱ·x_i(p + d))², then its box sums over the window.
                let (xt, sh) = (&self.x_t, &self.shifted);
                for (p, d) in self.dist.iter_mut().enumerate() {
                    let e0 = xt[p] - self.signal * sh[p];
                    let e1 = xt[n + p] - self.signal * sh[n + p];
                    let e2 = xt[2 * n + p] - self.signal * sh[2 * n + p];
                    *d = e0 * e0 + e1 * e1 + e2 * e2;
                }
                box_rows(&self.dist, &mut self.rows, s, r);
                box_columns(&self.rows, &mut self.boxed, &mut self.column_sums, s, r);
                for p in 0..n {
                    let l = -self.boxed[p] * self.inv_two_var;
                    if l < self.all[p].max - CUTOFF {
                        continue;
                    }
                    let v = [sh[p], sh[n + p], sh[2 * n + p]];
                    self.all[p].add(l, v);
                    if in_tag {
                        self.tagged[p].add(l, v);
                    }
                }
            }
        }
        // The item's own sum, in the frame of the pixel's maximum after it.
        for (p, (m0, s0)) in before.into_iter().enumerate() {
            let a = &self.all[p];
            let carried = if m0 == f32::NEG_INFINITY {
                0.0
            } else {
                s0 * (m0 - a.max).exp()
            };
            self.item_max[i * n + p] = a.max;
            self.item_sum[i * n + p] = (a.sum - carried).max(0.0);
        }
    }

    /// The estimates and the per-pixel shares of each item (over all items;
    /// with a tag, the tag's shares are the tag items' shares renormalised).
    pub fn finish(self) -> (Vec<f32>, Option<Vec<f32>>, PixelShares) {
        let n = self.edge * self.edge;
        let items = self.items;
        let mut x0_all = vec![0.0f32; CHANNELS * n];
        let mut x0_tag = self.tag.as_ref().map(|_| vec![0.0f32; CHANNELS * n]);
        let mut shares_all = vec![0.0f32; n * items];
        for p in 0..n {
            for c in 0..CHANNELS {
                x0_all[c * n + p] = self.all[p].mean(c);
                if let Some(t) = x0_tag.as_mut() {
                    t[c * n + p] = self.tagged[p].mean(c);
                }
            }
            let row = &mut shares_all[p * items..(p + 1) * items];
            for (i, share) in row.iter_mut().enumerate() {
                let k = i * n + p;
                if self.item_sum[k] > 0.0 {
                    *share = self.item_sum[k] * (self.item_max[k] - self.all[p].max).exp()
                        / self.all[p].sum;
                }
            }
        }
        let shares_tag = self
            .tag
            .as_deref()
            .map(|mask| tag_shares(&shares_all, items, mask));
        (
            x0_all,
            x0_tag,
            PixelShares {
                items,
                all: shares_all,
                tag: shares_tag,
            },
        )
    }
}

/// The patch denoiser over the given candidate items (all items: `0..N`).
pub fn denoise(
    set: &Dataset,
    x_t: &[f32],
    alpha_bar: f64,
    patch: u32,
    tag: Option<&[bool]>,
    candidates: &[usize],
) -> Denoised {
    let mut step = PatchStep::new(set, x_t, alpha_bar, patch, tag);
    for &i in candidates {
        step.add_item(set, i);
    }
    let (x0_all, x0_tag, shares) = step.finish();
    Denoised {
        x0_all,
        x0_tag,
        posterior: Vec::new(),
        posterior_tag: None,
        pixel_shares: Some(shares),
    }
}
