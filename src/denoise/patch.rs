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

use super::{Denoised, PixelShares};
use crate::archive::dataset::Dataset;
use crate::image::CHANNELS;

/// Log-weights this far below their accumulator's running maximum are not
/// accumulated: e^−30 ≈ 9·10⁻¹⁴, below f32's resolution of any weight sum.
pub const CUTOFF: f32 = 30.0;

/// The smallest patch (3 × 3 pixels).
pub const MIN_PATCH: u32 = 3;

/// The largest patch Kamb & Ganguli report on 32 × 32 pictures.
pub const PAPER_LARGEST_AT_32: u32 = 17;

/// Which archive patches are candidates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Border {
    /// Only patches lying wholly inside an item (the published machine).
    #[default]
    Interior,
    /// Every position, windows wrapping around the item's edges.
    Wrap,
}

impl Border {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "interior" => Some(Self::Interior),
            "wrap" => Some(Self::Wrap),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Interior => "interior",
            Self::Wrap => "wrap",
        }
    }

    /// What the page says about the candidates.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Interior => "Candidate patches lie wholly inside each archive picture, as in Kamb & Ganguli's machine; only the noisy picture wraps around.",
            Self::Wrap => "Candidate patches may wrap around each archive picture's edges, joining opposite edges (an option of ours).",
        }
    }
}

/// A patch size and which candidates it is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PatchShape {
    pub size: u32,
    pub border: Border,
    /// Locality in position: candidates only at displacements |dx|, |dy| ≤ this
    /// radius from each pixel's own position. None: every position (the
    /// published, translation-equivariant machine).
    pub window: Option<u32>,
}

impl PatchShape {
    /// Every position is a candidate.
    pub fn everywhere(size: u32, border: Border) -> Self {
        Self {
            size,
            border,
            window: None,
        }
    }

    /// The displacements compared along one axis at edge S: (count, first
    /// displacement mod S). Every displacement, or 2W + 1 of them from −W.
    pub fn displacements(&self, edge: u32) -> (u32, u32) {
        match self.window {
            Some(w) if 2 * w + 1 < edge => (2 * w + 1, edge - w),
            _ => (edge, 0),
        }
    }
}

/// Pictures larger than this (in px) take candidates from a window around
/// each pixel's own position ([`position_window`]); smaller ones from everywhere.
pub const WINDOWED_ABOVE: u32 = 64;

/// The window of candidate positions at 128 px: the patch radius, at least 2
/// px. A window as wide as the patch's radius is the smallest that leaves
/// every pixel an interior candidate (a pixel at the edge reaches the first
/// centre r px in). Work per item and step is S²·(2W + 1)².
pub fn position_window(size: u32) -> u32 {
    ((size - 1) / 2).max(2)
}

/// The largest patch at edge S: the paper's radius of 8 at 32 px scaled with
/// the picture (17 at 32 px, 33 at 64, 65 at 128), below S.
pub fn largest_patch(edge: u32) -> u32 {
    let radius = (f64::from(PAPER_LARGEST_AT_32 / 2) * f64::from(edge) / 32.0).round() as u32;
    let below = if edge.is_multiple_of(2) {
        edge - 1
    } else {
        edge - 2
    };
    (2 * radius + 1).clamp(MIN_PATCH, below.max(MIN_PATCH))
}

/// Patch size at timestep t of T: odd, linear from [`largest_patch`] at T to 3 at 0.
pub fn patch_size(edge: u32, t: u32, t_max: u32) -> u32 {
    let largest = largest_patch(edge);
    let frac = f64::from(t.min(t_max)) / f64::from(t_max.max(1));
    let p = f64::from(MIN_PATCH) + f64::from(largest - MIN_PATCH) * frac;
    // Nearest odd size.
    let odd = 2 * (((p - 1.0) / 2.0).round() as u32) + 1;
    odd.clamp(MIN_PATCH, largest)
}

/// e^x for x ≤ 0, branch-free so that a row of pixels is one SIMD loop:
/// Cephes' `expf` (range reduction by ln 2 in two parts, degree-5 polynomial
/// on [−ln2/2, ln2/2], scale by 2ⁿ through the exponent bits), within 2 ulp
/// of the true value for x ≥ −87; below −87 it returns e^−87 (≈ 1.6·10⁻³⁸),
/// where every use here multiplies a sum that is 0 or weighs under e^−CUTOFF.
#[inline(always)]
fn exp_nonpositive(x: f32) -> f32 {
    const LOG2_E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding and subtracting 1.5·2²³ rounds to the nearest integer.
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 0.0);
    let t = x * LOG2_E + ROUND;
    let n = t - ROUND;
    // n as an integer, from t's bits (t = 1.5·2²³ + n is exact): no float
    // to integer conversion, which would not vectorize.
    let n_int = t.to_bits().wrapping_sub(ROUND.to_bits()) as i32;
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_2e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let y = p * r * r + r + 1.0;
    y * f32::from_bits(((n_int + 127) as u32) << 23)
}

/// A run of pixels is updated in whole blocks of this many lanes, those
/// past its end masked (a multiple of every vector width used: 8 lanes of
/// AVX2, 4 of SSE2 and SIMD128): runs are 16–32 pixels long and, split
/// where they wrap around the picture, often not a multiple of 8, and a
/// loop over a run's own length left a fifth of the lanes at P = 9 to its
/// scalar remainder.
const BLOCK: usize = 8;

/// Values kept past the end of every buffer a padded block reads or writes.
const SLACK: usize = BLOCK;

/// `len` rounded up to whole blocks.
#[inline(always)]
fn padded(len: usize) -> usize {
    len.div_ceil(BLOCK) * BLOCK
}

/// [`Accs::add_run`]'s lanes, on slices of their own (which, unlike the
/// vectors' buffers, are known not to overlap), whole blocks long: lane k
/// is kept only for k < len.
#[inline(always)]
fn add_lanes(
    len: usize,
    max: &mut [f32],
    sum: &mut [f32],
    value: [&mut [f32]; CHANNELS],
    boxed: &[f32],
    inv: f32,
    colour: [&[f32]; CHANNELS],
) {
    let n = max.len();
    let sum = &mut sum[..n];
    let [v0, v1, v2] = value;
    let (v0, v1, v2) = (&mut v0[..n], &mut v1[..n], &mut v2[..n]);
    let [c0, c1, c2] = colour;
    let (c0, c1, c2) = (&c0[..n], &c1[..n], &c2[..n]);
    let boxed = &boxed[..n];
    // The lane index as u32 (as a vector, 8 lanes to a register, not 4).
    let len = len as u32;
    for (k, lane) in (0..n).zip(0u32..) {
        let l = -boxed[k] * inv;
        let m = max[k];
        let keep = (lane < len) & (l >= m - CUTOFF);
        let up = l > m;
        let e = exp_nonpositive(-(l - m).abs());
        let (old, new) = match (keep, up) {
            (false, _) => (1.0, 0.0),
            (true, true) => (e, 1.0),
            (true, false) => (1.0, e),
        };
        sum[k] = sum[k] * old + new;
        v0[k] = v0[k] * old + new * c0[k];
        v1[k] = v1[k] * old + new * c1[k];
        v2[k] = v2[k] * old + new * c2[k];
        max[k] = if keep & up { l } else { m };
    }
}

/// Online log-sum-exp accumulators of every pixel's weighted estimate, as a
/// structure of arrays (running maximum, sum of weights, weighted colour
/// sums), so that a run of pixels updates as SIMD lanes. Each vector has
/// [`SLACK`] values past the last pixel, for a run's last block.
#[derive(Clone, Debug)]
struct Accs {
    pixels: usize,
    max: Vec<f32>,
    sum: Vec<f32>,
    value: [Vec<f32>; CHANNELS],
}

impl Accs {
    fn new(n: usize) -> Self {
        let with_slack = n + SLACK;
        Self {
            pixels: n,
            max: vec![f32::NEG_INFINITY; with_slack],
            sum: vec![0.0; with_slack],
            value: std::array::from_fn(|_| vec![0.0; with_slack]),
        }
    }

    fn len(&self) -> usize {
        self.pixels
    }

    /// Whether any pixel `at + k`, k < len, keeps log-weight −boxed[k]·inv
    /// (not more than [`CUTOFF`] below its running maximum). `boxed` holds
    /// whole blocks ([`padded`]).
    #[inline(always)]
    fn any_kept(&self, at: usize, len: usize, boxed: &[f32], inv: f32) -> bool {
        let n = padded(len);
        let (max, boxed) = (&self.max[at..at + n], &boxed[..n]);
        let mut kept = false;
        for (k, lane) in (0..n).zip(0u32..) {
            kept |= (lane < len as u32) & (-boxed[k] * inv >= max[k] - CUTOFF);
        }
        kept
    }

    /// Adds weight exp(l_k), l_k = −boxed[k]·inv, on colour (v[0][k], v[1][k],
    /// v[2][k]) at pixel `at + k`, k < len, wherever l_k is kept. The online
    /// update with one exponential: e = exp(−|l − max|) scales the old state
    /// when l is the new maximum and weighs l otherwise; a pixel not kept is
    /// left unchanged exactly. The lanes run in whole blocks of [`BLOCK`]
    /// ([`padded`]; those from `len` on are not kept), so that none falls to
    /// a scalar remainder loop. The GPU kernel's `acc_add` does the same with
    /// a branch.
    #[inline(always)]
    fn add_run(&mut self, at: usize, len: usize, boxed: &[f32], inv: f32, v: [&[f32]; CHANNELS]) {
        let n = padded(len);
        let [v0, v1, v2] = &mut self.value;
        add_lanes(
            len,
            &mut self.max[at..at + n],
            &mut self.sum[at..at + n],
            [
                &mut v0[at..at + n],
                &mut v1[at..at + n],
                &mut v2[at..at + n],
            ],
            &boxed[..n],
            inv,
            [&v[0][..n], &v[1][..n], &v[2][..n]],
        );
    }

    /// [`Self::add_run`] where the run keeps anything (most keep nothing,
    /// and then no exponential is computed).
    #[inline(always)]
    fn accumulate(
        &mut self,
        at: usize,
        len: usize,
        boxed: &[f32],
        inv: f32,
        v: [&[f32]; CHANNELS],
    ) {
        if self.any_kept(at, len, boxed, inv) {
            self.add_run(at, len, boxed, inv, v);
        }
    }

    /// Combines another set of accumulators into this one, pixel by pixel (log-sum-exp).
    fn merge(&mut self, other: &Accs) {
        for p in 0..self.len() {
            let (m, o) = (self.max[p], other.max[p]);
            if o == f32::NEG_INFINITY {
                continue;
            }
            let (a, b) = if m == f32::NEG_INFINITY {
                (0.0, 1.0)
            } else {
                let max = m.max(o);
                ((m - max).exp(), (o - max).exp())
            };
            self.max[p] = m.max(o);
            self.sum[p] = self.sum[p] * a + other.sum[p] * b;
            for (v, w) in self.value.iter_mut().zip(&other.value) {
                v[p] = v[p] * a + w[p] * b;
            }
        }
    }

    /// Pixel p's estimate of channel c.
    fn mean(&self, c: usize, p: usize) -> f32 {
        if self.sum[p] > 0.0 {
            self.value[c][p] / self.sum[p]
        } else {
            0.0
        }
    }

    /// Pixel p's state as (max, sum, v0, v1, v2), the flat order.
    fn get(&self, p: usize) -> [f32; 5] {
        let v = &self.value;
        [self.max[p], self.sum[p], v[0][p], v[1][p], v[2][p]]
    }

    fn set(&mut self, p: usize, state: &[f32]) {
        self.max[p] = state[0];
        self.sum[p] = state[1];
        for (c, v) in self.value.iter_mut().enumerate() {
            v[p] = state[2 + c];
        }
    }
}

/// out[j] = Σ_{k < width} src[j + k·step] for j < out.len() (src holds at
/// least out.len() + (width − 1)·step values), as a few passes of SIMD
/// additions over long runs, each adding up to [`DIRECT_TERMS`] values per
/// position: up to that width one pass; beyond it, sums of a smaller width
/// w first and then k of those, w·step apart (width = k·w, k from 4, 3, 5,
/// 2), with one more value of `src` added in that pass when the width has
/// no such factor (width = k·w + 1). So P = 9 is two passes of 3 terms, and
/// P = 17 one of 4 terms, then one of 4 + 1. No subtraction: a running sum
/// (add the value entering the window, subtract the one leaving it) loses
/// the small distances of close patches to the rounding of the large ones
/// that passed through it, which at ᾱ near 1 (weights e^(−d/(2(1−ᾱ))))
/// moved x̂0 by up to 3·10⁻³. `a` and `b` are scratch, as long as `src`.
#[inline(always)]
fn window_sums(
    src: &[f32],
    width: usize,
    step: usize,
    out: &mut [f32],
    a: &mut [f32],
    b: &mut [f32],
) {
    let n = out.len();
    debug_assert!(width >= 1 && src.len() + step >= n + width * step);
    // The passes from the last one in: (k, whether one value of src is added).
    let mut passes = [(0usize, false); 8];
    let mut count = 0;
    let mut base = width;
    while base > DIRECT_TERMS {
        let exact = [4, 3, 5, 2].into_iter().find(|&k| base.is_multiple_of(k));
        let (k, extra) = match exact {
            Some(k) => (k, false),
            None => (
                [4, 3, 5, 2]
                    .into_iter()
                    .find(|&k| (base - 1).is_multiple_of(k))
                    .expect("k = 2 divides an odd width less 1"),
                true,
            ),
        };
        passes[count] = (k, extra);
        count += 1;
        base = (base - usize::from(extra)) / k;
    }
    if count == 0 {
        sum_terms(src, base, step, None, out);
        return;
    }
    // Sums of w values are wanted at n + (width − w)·step positions: enough
    // for every later pass (each reads them up to (k − 1)·w·step further on).
    let wanted = |w: usize| n + (width - w) * step;
    let (mut cur, mut next) = (a, b);
    let mut w = base;
    sum_terms(src, w, step, None, &mut cur[..wanted(w)]);
    for (level, &(k, extra)) in passes[..count].iter().enumerate().rev() {
        let grown = k * w + usize::from(extra);
        let last = extra.then(|| &src[(grown - 1) * step..][..wanted(grown)]);
        let into = if level == 0 {
            &mut *out
        } else {
            &mut next[..wanted(grown)]
        };
        sum_terms(&cur[..wanted(w)], k, w * step, last, into);
        std::mem::swap(&mut cur, &mut next);
        w = grown;
    }
}

/// The most values one pass of [`window_sums`] adds at each position.
const DIRECT_TERMS: usize = 8;

/// out[j] = Σ_{t < terms} src[j + t·stride] (+ extra[j]), for terms ≤
/// [`DIRECT_TERMS`]: one pass, each term a run of its own.
#[inline(always)]
fn sum_terms(src: &[f32], terms: usize, stride: usize, extra: Option<&[f32]>, out: &mut [f32]) {
    match terms {
        1 => sum_fixed::<1>(src, stride, extra, out),
        2 => sum_fixed::<2>(src, stride, extra, out),
        3 => sum_fixed::<3>(src, stride, extra, out),
        4 => sum_fixed::<4>(src, stride, extra, out),
        5 => sum_fixed::<5>(src, stride, extra, out),
        6 => sum_fixed::<6>(src, stride, extra, out),
        7 => sum_fixed::<7>(src, stride, extra, out),
        8 => sum_fixed::<8>(src, stride, extra, out),
        t => unreachable!("{t} terms in one pass"),
    }
}

#[inline(always)]
fn sum_fixed<const K: usize>(src: &[f32], stride: usize, extra: Option<&[f32]>, out: &mut [f32]) {
    let n = out.len();
    let parts: [&[f32]; K] = std::array::from_fn(|t| &src[t * stride..t * stride + n]);
    let extra = extra.map(|e| &e[..n]);
    for (j, o) in out.iter_mut().enumerate() {
        let mut v = parts[0][j];
        for part in &parts[1..] {
            v += part[j];
        }
        if let Some(e) = extra {
            v += e[j];
        }
        *o = v;
    }
}

/// Whether this CPU runs the AVX2 build of the step (detected once, then cached by std).
#[cfg(target_arch = "x86_64")]
fn has_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}

/// A run of pixels along a row at one displacement: pixels `pixel…`, their
/// candidates' centres `candidate…` and their box sums `boxed…` in
/// `PatchStep::boxed`, `len` of each.
#[derive(Clone, Copy, Debug)]
struct Run {
    pixel: usize,
    candidate: usize,
    boxed: usize,
    len: usize,
}

/// The pixels whose candidates lie inside at one displacement (see
/// `PatchStep::box_distances`): rows y0, y0 + 1, … and in each the columns
/// x0, x0 + 1, … (both cyclically), `len` of each; row k's box sums are
/// `PatchStep::boxed[k·width…]`.
#[derive(Clone, Copy, Debug)]
struct Window {
    edge: usize,
    y0: usize,
    x0: usize,
    dy: usize,
    /// The first candidate column (the inside run's start).
    first: usize,
    len: usize,
    width: usize,
}

impl Window {
    /// Row k's picture row.
    #[inline(always)]
    fn row(&self, k: usize) -> usize {
        let y = self.y0 + k;
        if y >= self.edge {
            y - self.edge
        } else {
            y
        }
    }

    /// Row k's pixels as one run, or two where its columns wrap around the
    /// picture (at most once).
    #[inline(always)]
    fn runs(&self, k: usize) -> impl Iterator<Item = Run> {
        let s = self.edge;
        let y = self.row(k);
        let qy = if y + self.dy >= s {
            y + self.dy - s
        } else {
            y + self.dy
        };
        let q = qy * s + self.first;
        let split = (s - self.x0).min(self.len);
        let head = Run {
            pixel: y * s + self.x0,
            candidate: q,
            boxed: k * self.width,
            len: split,
        };
        let tail = (split < self.len).then(|| Run {
            pixel: y * s,
            candidate: q + split,
            boxed: k * self.width + split,
            len: self.len - split,
        });
        std::iter::once(head).chain(tail)
    }
}

/// Whether any of the first `len` box sums of a row (read in whole blocks,
/// [`padded`]) is within reach of its pixel: `reach` holds, lane by lane,
/// the largest box sum each pixel may keep (see `PatchStep::reach`).
#[inline(always)]
fn within_reach(boxed: &[f32], reach: &[f32], len: usize) -> bool {
    let n = padded(len);
    let (boxed, reach) = (&boxed[..n], &reach[..n]);
    let mut near = false;
    for (k, lane) in (0..n).zip(0u32..) {
        near |= (lane < len as u32) & (boxed[k] <= reach[k]);
    }
    near
}

/// d = Σ_c (a_c − b_c)² elementwise over the three channels.
#[inline(always)]
fn squared_differences(d: &mut [f32], a: [&[f32]; 3], b: [&[f32]; 3]) {
    let n = d.len();
    let (a0, a1, a2) = (&a[0][..n], &a[1][..n], &a[2][..n]);
    let (b0, b1, b2) = (&b[0][..n], &b[1][..n], &b[2][..n]);
    for k in 0..n {
        let e0 = a0[k] - b0[k];
        let e1 = a1[k] - b1[k];
        let e2 = a2[k] - b2[k];
        d[k] = e0 * e0 + e1 * e1 + e2 * e2;
    }
}

/// Each item's contribution to one accumulator, per (item, pixel): the sum it
/// added, in the frame of the accumulator's running maximum just after it.
struct ItemShares {
    max: Vec<f32>,
    sum: Vec<f32>,
}

impl ItemShares {
    fn new(len: usize) -> Self {
        Self {
            max: vec![f32::NEG_INFINITY; len],
            sum: vec![0.0; len],
        }
    }

    /// Records item i's part of `acc`, given the accumulators' maxima and
    /// sums before it.
    fn record(&mut self, i: usize, before: &Snapshot, acc: &Accs) {
        let n = acc.len();
        let (max, sum) = (&mut self.max[i * n..][..n], &mut self.sum[i * n..][..n]);
        let (m0, s0) = (&before.max[..n], &before.sum[..n]);
        let (m1, s1) = (&acc.max[..n], &acc.sum[..n]);
        for p in 0..n {
            // The sum before, in the frame after: e^(m0 − m1) ≤ 1, exactly 1
            // where the maximum did not move (none where nothing was summed,
            // whose maxima may still be −∞).
            let carried = if s0[p] > 0.0 {
                s0[p] * exp_nonpositive(m0[p] - m1[p])
            } else {
                0.0
            };
            max[p] = m1[p];
            sum[p] = (s1[p] - carried).max(0.0);
        }
    }

    /// Takes item i's record from `other`.
    fn copy_item(&mut self, other: &ItemShares, i: usize, n: usize) {
        let r = i * n..(i + 1) * n;
        self.max[r.clone()].copy_from_slice(&other.max[r.clone()]);
        self.sum[r.clone()].copy_from_slice(&other.sum[r]);
    }

    /// Pixel-major shares of every item in `acc`'s estimate.
    fn shares(&self, acc: &Accs, items: usize) -> Vec<f32> {
        let n = acc.len();
        let mut out = vec![0.0f32; n * items];
        for p in 0..n {
            let (max, sum) = (acc.max[p], acc.sum[p]);
            for (i, share) in out[p * items..(p + 1) * items].iter_mut().enumerate() {
                let k = i * n + p;
                if self.sum[k] > 0.0 && sum > 0.0 {
                    // An item's frame is never above the final one.
                    *share = self.sum[k] * exp_nonpositive(self.max[k] - max) / sum;
                }
            }
        }
        out
    }
}

/// Accumulators' maxima and sums, as they were before an item.
struct Snapshot {
    max: Vec<f32>,
    sum: Vec<f32>,
}

impl Snapshot {
    fn new(n: usize) -> Self {
        Self {
            max: vec![0.0; n],
            sum: vec![0.0; n],
        }
    }

    fn take(&mut self, acc: &Accs) {
        let n = acc.len();
        self.max.copy_from_slice(&acc.max[..n]);
        self.sum.copy_from_slice(&acc.sum[..n]);
    }
}

/// One denoiser call in progress: items are added one at a time, so that the
/// page can yield to the browser between them.
pub struct PatchStep {
    edge: usize,
    items: usize,
    /// x_t, each row three times over (so that a row shifted cyclically
    /// is one run).
    x_t_rows: Vec<f32>,
    signal: f32,
    inv_two_var: f32,
    radius: usize,
    tag: Option<Vec<bool>>,
    all: Accs,
    tagged: Accs,
    shares_all: ItemShares,
    shares_tag: ItemShares,
    // Scratch.
    /// The item being added, planar, with [`SLACK`] values after it (the
    /// colours a run's last block reads).
    item_colour: Vec<f32>,
    /// The item being added times √ᾱ (the same product the distance would
    /// take for every pair, taken once), each row three times over.
    item_rows: Vec<f32>,
    /// Per pixel at one displacement, Σ_c (x_t(p) − √ᾱ·x_i(p + d))², each
    /// row from the first wanted column's patch edge on (see `box_distances`).
    dist: Vec<f32>,
    /// The wanted pixels' box sums, row after row (see `box_distances`).
    boxed: Vec<f32>,
    column_sums: Vec<f32>,
    /// The window sums' scratch.
    scratch: [Vec<f32>; 2],
    before_all: Snapshot,
    before_tag: Snapshot,
    /// Displacements per axis and the first one (see `PatchShape::displacements`).
    displacements: (usize, usize),
    /// The coordinates v (of x or y) where a patch centred at v lies inside
    /// the item along that axis, as a run (first, length): [r, S − r) for
    /// interior candidates, every coordinate with wrap-around.
    inside: (usize, usize),
    /// The items added so far, in order.
    added: Vec<usize>,
    /// The call's candidate items, whose probes seed the running maxima
    /// before the first item is added (see `seed`).
    seed_items: Vec<usize>,
    seeded: bool,
    /// Per pixel, each row twice over (so that a row shifted cyclically is
    /// one run), the largest box sum that the item being added may still
    /// have kept: from the maxima as they were before it (which only rise),
    /// so a little generous. A row of box sums none of which is within
    /// reach is passed over whole (most rows, once the noise is low); in
    /// the others, the update decides lane by lane ([`Accs::add_run`]).
    reach: Vec<f32>,
}

impl PatchStep {
    /// Starts a denoiser call at x_t (copied) for the items of `set`, whose
    /// candidate items (over all shares of the call) are `candidates`.
    pub fn new(
        set: &Dataset,
        x_t: &[f32],
        alpha_bar: f64,
        shape: PatchShape,
        tag: Option<&[bool]>,
        candidates: &[usize],
    ) -> Self {
        let patch = shape.size;
        assert!(
            patch % 2 == 1 && patch < set.edge(),
            "patch must be odd and < S"
        );
        let n = set.pixels();
        let s = set.edge() as usize;
        let radius = (patch as usize - 1) / 2;
        let inside = match shape.border {
            Border::Wrap => (0, s),
            Border::Interior => (radius, s - 2 * radius),
        };
        let tagged_items = tag.map_or(0, |m| set.len().min(m.len()));
        Self {
            edge: s,
            items: set.len(),
            x_t_rows: x_t
                .chunks_exact(s)
                .flat_map(|row| [row, row, row])
                .flatten()
                .copied()
                .collect(),
            signal: alpha_bar.sqrt() as f32,
            inv_two_var: (0.5 / (1.0 - alpha_bar).max(1e-12)) as f32,
            radius,
            tag: tag.map(<[bool]>::to_vec),
            all: Accs::new(n),
            tagged: Accs::new(n),
            shares_all: ItemShares::new(set.len() * n),
            shares_tag: ItemShares::new(tagged_items * n),
            item_colour: vec![0.0; CHANNELS * n + SLACK],
            item_rows: vec![0.0; 3 * CHANNELS * n],
            dist: vec![0.0; (s + 2 * radius) * (s + 2 * radius)],
            boxed: vec![0.0; s * (s + 2 * radius) + SLACK],
            column_sums: vec![0.0; (s + 1) * (s + 2 * radius)],
            scratch: [
                vec![0.0; (s + 2 * radius) * (s + 2 * radius)],
                vec![0.0; (s + 2 * radius) * (s + 2 * radius)],
            ],
            before_all: Snapshot::new(n),
            before_tag: Snapshot::new(n),
            displacements: {
                let (count, first) = shape.displacements(s as u32);
                (count as usize, first as usize)
            },
            inside,
            added: Vec::new(),
            seed_items: candidates.to_vec(),
            seeded: false,
            reach: vec![f32::INFINITY; 2 * n + SLACK],
        }
    }

    fn in_tag(&self, i: usize) -> bool {
        self.tag
            .as_ref()
            .is_some_and(|m| m.get(i).copied().unwrap_or(false))
    }

    /// Starts every accumulator's running maximum at a lower bound of the
    /// call's true maximum: the best log-weight among a few candidates of
    /// every candidate item of the call, the displacements {−r, 0, r}² (within
    /// the position window), which give every pixel an inside candidate. The
    /// sum stays 0: only the frame of the log-sum-exp moves, so the estimate
    /// is unchanged, but candidates more than [`CUTOFF`] below the bound are
    /// skipped from the first item on. Every share of a call seeds from the
    /// same items, so a share without the best items skips as much as one
    /// thread does (without it, two shares kept 1.6× and at 128 px 6× the
    /// pairs one thread keeps).
    fn seed(&mut self, set: &Dataset) {
        let items = std::mem::take(&mut self.seed_items);
        self.seed_from(set, &items);
        self.seed_items = items;
    }

    /// [`Self::seed`] from some of the call's candidate items only: shares
    /// that seed from disjoint parts of the candidates and then
    /// [`Self::join_seeds`] start where each would from all of them, each
    /// having done only its part of the probes.
    fn seed_from(&mut self, set: &Dataset, items: &[usize]) {
        self.seeded = true;
        let s = self.edge;
        let (count, first) = self.displacements;
        let reach = self.radius.min(count / 2);
        let probes: Vec<usize> = [s - reach, 0, reach]
            .into_iter()
            .map(|d| d % s)
            .filter(|&d| (0..count).any(|w| (w + first) % s == d))
            .collect();
        for &i in items {
            let in_tag = self.in_tag(i);
            self.load_item(set.item(i));
            for &dy in &probes {
                for &dx in &probes {
                    let window = self.box_distances(dy, dx);
                    for Run {
                        pixel: p,
                        boxed,
                        len,
                        ..
                    } in (0..window.len).flat_map(|k| window.runs(k))
                    {
                        let boxed = &self.boxed[boxed..boxed + len];
                        let raise = |max: &mut [f32]| {
                            for (m, &b) in max[p..p + len].iter_mut().zip(boxed) {
                                *m = m.max(-b * self.inv_two_var);
                            }
                        };
                        raise(&mut self.all.max);
                        if in_tag {
                            raise(&mut self.tagged.max);
                        }
                    }
                }
            }
        }
    }

    /// Raises this share's seeded maxima to another's, pixel by pixel (see
    /// [`Self::seed_from`]).
    #[cfg(not(target_arch = "wasm32"))]
    fn join_seeds(&mut self, other: &PatchStep) {
        for (mine, theirs) in [
            (&mut self.all, &other.all),
            (&mut self.tagged, &other.tagged),
        ] {
            for (m, &o) in mine.max.iter_mut().zip(&theirs.max) {
                *m = m.max(o);
            }
        }
    }

    /// Each pixel's reach (see `reach`) from the maxima of `acc`: a
    /// log-weight −b·inv is kept where b·inv ≤ CUTOFF − max, so b up to
    /// (CUTOFF − max)/inv, here with a margin of 2⁻¹⁶ for its rounding.
    fn set_reach(&mut self, tagged: bool) {
        let s = self.edge;
        let acc = if tagged { &self.tagged } else { &self.all };
        let scale = (1.0 + 1.0 / 65_536.0) / self.inv_two_var;
        for (max, twice) in acc.max[..s * s]
            .chunks_exact(s)
            .zip(self.reach.chunks_exact_mut(2 * s))
        {
            let (row, again) = twice.split_at_mut(s);
            for (r, &m) in row.iter_mut().zip(max) {
                *r = (CUTOFF - m) * scale;
            }
            again.copy_from_slice(row);
        }
    }

    /// Puts item `item` in the scratch as it is (its colours) and times √ᾱ,
    /// each row three times over (for the distances).
    fn load_item(&mut self, item: &[f32]) {
        let s = self.edge;
        self.item_colour[..item.len()].copy_from_slice(item);
        for (row, thrice) in item
            .chunks_exact(s)
            .zip(self.item_rows.chunks_exact_mut(3 * s))
        {
            for copy in thrice.chunks_exact_mut(s) {
                for (to, &v) in copy.iter_mut().zip(row) {
                    *to = self.signal * v;
                }
            }
        }
    }

    /// The squared distances ‖Q_p − √ᾱ·C_{p+d}‖² of the loaded item at
    /// displacement d = (dy, dx), for the pixels p whose candidate centre
    /// q = p + d (mod S) lies inside, as a [`Window`] of rows (pixel p,
    /// candidate q and their box sums in `boxed` run together).
    ///
    /// The wanted rows are one cyclic run y0, y0 + 1, … (those with y + dy
    /// inside), as are the wanted columns from x0. Per pixel, Σ_c (x_t(p) −
    /// √ᾱ·x_i(p + d))², each row from column x0 − r on (rows stored three
    /// times over, so this is one run) in the rows y0 − r … y0 + len + r − 1;
    /// at the wanted rows only, its sums down the patch's columns; then, at
    /// the wanted columns only, those along the patch's rows, both by
    /// [`window_sums`] over all the rows at once, written straight to `boxed`.
    #[inline(always)]
    fn box_distances(&mut self, dy: usize, dx: usize) -> Window {
        let s = self.edge;
        let n = s * s;
        let r = self.radius;
        let wrap = |v: usize| if v >= s { v - s } else { v };
        let (first, len) = self.inside;
        let (y0, x0) = (wrap(first + s - dy), wrap(first + s - dx));
        // Each row's columns x0 − r … x0 + len + r − 1 (cyclically), whose
        // candidate columns are first − r … first + len + r − 1.
        let width = len + 2 * r;
        let (from_x, from_q) = ((x0 + s - r) % s, (first + s - r) % s);
        // Rows y0 − r … y0 + len + r − 1 (cyclically), in that order: as
        // many as columns, the box being square.
        let rows = width;
        let (xt, it) = (&self.x_t_rows, &self.item_rows);
        // Row y0 − r (cyclically), then each next one: no division per row.
        let mut y = (y0 + s - r) % s;
        for dist in self.dist.chunks_exact_mut(width).take(rows) {
            let a = |c: usize| &xt[c * 3 * n + y * 3 * s + from_x..][..width];
            let row = wrap(y + dy) * 3 * s + from_q;
            let b = |c: usize| &it[c * 3 * n + row..][..width];
            squared_differences(dist, [a(0), a(1), a(2)], [b(0), b(1), b(2)]);
            y = wrap(y + 1);
        }
        let [a, b] = &mut self.scratch;
        // Down the columns: the wanted rows' column sums, one row after
        // another, and after them 2r values so that the sums along the rows
        // may run on.
        let whole = len * width;
        window_sums(
            &self.dist[..rows * width],
            2 * r + 1,
            width,
            &mut self.column_sums[..whole],
            a,
            b,
        );
        self.column_sums[whole..whole + 2 * r].fill(0.0);
        // Along the rows, all wanted rows at once as one sequence: row k's
        // box sums are boxed[k·width …], its first `len` values (the others
        // span two rows and are not used).
        window_sums(
            &self.column_sums[..whole + 2 * r],
            2 * r + 1,
            1,
            &mut self.boxed[..whole],
            a,
            b,
        );
        Window {
            edge: s,
            y0,
            x0,
            dy,
            first,
            len,
            width,
        }
    }

    /// Accumulates every candidate position of item `i` of `set` (the set given to `new`).
    pub fn add_item(&mut self, set: &Dataset, i: usize) {
        if !self.seeded {
            self.seed(set);
        }
        let item = set.item(i);
        let in_tag = self.in_tag(i);
        // Each accumulator's (max, sum) before this item, to credit it with its share.
        self.before_all.take(&self.all);
        if in_tag {
            self.before_tag.take(&self.tagged);
        }
        self.load_item(item);
        self.set_reach(in_tag);
        #[cfg(target_arch = "x86_64")]
        {
            if has_avx2() {
                // SAFETY: the CPU has AVX2 (checked just above).
                unsafe { self.add_displacements_avx2(in_tag) };
            } else {
                self.add_displacements(in_tag);
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        self.add_displacements(in_tag);
        self.shares_all.record(i, &self.before_all, &self.all);
        if in_tag {
            self.shares_tag.record(i, &self.before_tag, &self.tagged);
        }
        self.added.push(i);
    }

    /// The vector instructions the CPU step runs with here: chosen at run
    /// time on x86-64 (the same results on each), fixed when compiled for
    /// WebAssembly (SIMD128, 4 lanes) or another CPU.
    pub fn vector_path() -> &'static str {
        #[cfg(target_arch = "x86_64")]
        {
            if has_avx2() {
                return "AVX2, 8 lanes";
            }
            "SSE2, 4 lanes"
        }
        #[cfg(target_arch = "wasm32")]
        {
            "WebAssembly SIMD128, 4 lanes"
        }
        #[cfg(not(any(target_arch = "x86_64", target_arch = "wasm32")))]
        {
            "this CPU's baseline"
        }
    }

    /// [`Self::add_displacements`] compiled for AVX2: 8 lanes instead of the
    /// x86-64 baseline's 4 (SSE2), the same operations in the same order, so
    /// the same result. A 32 px step over the 67 items on one thread here:
    /// 105 → 73 ms at P = 17, 163 → 114 ms at P = 9. AVX-512 (16 lanes) was
    /// no faster (77 and 116 ms): the rows are 24–32 values long.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn add_displacements_avx2(&mut self, in_tag: bool) {
        self.add_displacements(in_tag);
    }

    /// Every displacement of the loaded item, into the accumulators.
    #[inline(always)]
    fn add_displacements(&mut self, in_tag: bool) {
        let s = self.edge;
        let n = s * s;
        let (count, first) = self.displacements;
        for wy in 0..count {
            let dy = (wy + first) % s;
            for wx in 0..count {
                let dx = (wx + first) % s;
                let window = self.box_distances(dy, dx);
                for k in 0..window.len {
                    let reach = &self.reach[window.row(k) * 2 * s + window.x0..];
                    if !within_reach(&self.boxed[k * window.width..], reach, window.len) {
                        continue;
                    }
                    for Run {
                        pixel: p,
                        candidate: q,
                        boxed,
                        len,
                    } in window.runs(k)
                    {
                        // Whole blocks: the buffers have the slack for the last.
                        let lanes = padded(len);
                        let boxed = &self.boxed[boxed..boxed + lanes];
                        let colour = &self.item_colour;
                        let v = [
                            &colour[q..q + lanes],
                            &colour[n + q..n + q + lanes],
                            &colour[2 * n + q..2 * n + q + lanes],
                        ];
                        if in_tag {
                            self.all.accumulate(p, len, boxed, self.inv_two_var, v);
                            self.tagged.add_run(p, len, boxed, self.inv_two_var, v);
                        } else {
                            self.all.add_run(p, len, boxed, self.inv_two_var, v);
                        }
                    }
                }
            }
        }
    }

    /// The accumulators so far, without the scratch, to merge with other
    /// shares of the same call ([`PatchPartial::merge`]).
    pub fn into_partial(self) -> PatchPartial {
        PatchPartial {
            edge: self.edge,
            items: self.items,
            tag: self.tag,
            all: self.all,
            tagged: self.tagged,
            shares_all: self.shares_all,
            shares_tag: self.shares_tag,
            added: self.added,
        }
    }
}

/// One share of a patch denoiser call: the online log-sum-exp state of every
/// pixel over the items one worker added, and those items' records. Shares of
/// disjoint items of the same call merge exactly (up to float order and the
/// [`CUTOFF`]'s e^−30), so the page's Web Workers can each take some items
/// and the page combines what they return, without shared memory.
pub struct PatchPartial {
    edge: usize,
    items: usize,
    tag: Option<Vec<bool>>,
    all: Accs,
    tagged: Accs,
    shares_all: ItemShares,
    shares_tag: ItemShares,
    added: Vec<usize>,
}

/// A [`PatchPartial`] as flat arrays, to cross a worker boundary: `accs` holds
/// (max, sum, v0, v1, v2) per pixel for the all-items accumulator, then the
/// same for the tag's (when there is a tag); `records` holds, per added item
/// in order, its (max, sum) per pixel in the all-items accumulator, followed
/// for items of the tag by the same in the tag's.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FlatPartial {
    pub items: Vec<u32>,
    pub accs: Vec<f32>,
    pub records: Vec<f32>,
}

impl PatchPartial {
    /// The items this share added.
    pub fn added(&self) -> &[usize] {
        &self.added
    }

    /// Combines another share of the same call (other items) into this one:
    /// per pixel, the log-sum-exp of the two states.
    pub fn merge(&mut self, other: &PatchPartial) {
        assert_eq!(self.all.len(), other.all.len(), "shares of one call");
        self.all.merge(&other.all);
        if self.tag.is_some() {
            self.tagged.merge(&other.tagged);
        }
        let n = self.all.len();
        for &i in &other.added {
            self.shares_all.copy_item(&other.shares_all, i, n);
            if self.tag.as_ref().is_some_and(|m| m[i]) {
                self.shares_tag.copy_item(&other.shares_tag, i, n);
            }
        }
        self.added.extend_from_slice(&other.added);
    }

    /// All the shares of one call merged into one (None: no shares).
    pub fn merge_all(parts: impl IntoIterator<Item = PatchPartial>) -> Option<PatchPartial> {
        let mut parts = parts.into_iter();
        let mut merged = parts.next()?;
        for p in parts {
            merged.merge(&p);
        }
        Some(merged)
    }

    /// Workers' flat shares of one call on `set` (tag mask `tag`), merged.
    pub fn merge_flats(
        set: &Dataset,
        tag: Option<&[bool]>,
        flats: &[FlatPartial],
    ) -> Result<PatchPartial, String> {
        let parts = flats
            .iter()
            .map(|f| PatchPartial::from_flat(set, tag, f))
            .collect::<Result<Vec<_>, _>>()?;
        PatchPartial::merge_all(parts).ok_or_else(|| "no shares came back".to_string())
    }

    /// The denoiser's answer from the finished call, with the archive
    /// posterior the caller computed (empty if none).
    pub fn into_denoised(self, posterior: Vec<f32>) -> Denoised {
        let (x0_all, x0_tag, shares) = self.finish();
        Denoised {
            x0_all,
            x0_tag,
            posterior,
            posterior_tag: None,
            pixel_shares: Some(shares),
        }
    }

    /// The share as flat arrays.
    pub fn to_flat(&self) -> FlatPartial {
        let n = self.all.len();
        let mut accs = Vec::with_capacity(5 * n * if self.tag.is_some() { 2 } else { 1 });
        for p in 0..n {
            accs.extend_from_slice(&self.all.get(p));
        }
        if self.tag.is_some() {
            for p in 0..n {
                accs.extend_from_slice(&self.tagged.get(p));
            }
        }
        let mut records = Vec::new();
        for &i in &self.added {
            let r = i * n..(i + 1) * n;
            records.extend_from_slice(&self.shares_all.max[r.clone()]);
            records.extend_from_slice(&self.shares_all.sum[r.clone()]);
            if self.tag.as_ref().is_some_and(|m| m[i]) {
                records.extend_from_slice(&self.shares_tag.max[r.clone()]);
                records.extend_from_slice(&self.shares_tag.sum[r]);
            }
        }
        FlatPartial {
            items: self.added.iter().map(|&i| i as u32).collect(),
            accs,
            records,
        }
    }

    /// A share from its flat arrays, for a call on `set` at edge S with the
    /// tag's mask `tag`. Errors on arrays of the wrong length.
    pub fn from_flat(
        set: &Dataset,
        tag: Option<&[bool]>,
        flat: &FlatPartial,
    ) -> Result<Self, String> {
        let n = set.pixels();
        let items = set.len();
        let tagged_items = tag.map_or(0, |m| items.min(m.len()));
        let in_tag = |i: usize| tag.is_some_and(|m| i < tagged_items && m[i]);
        let accs_len = 5 * n * if tag.is_some() { 2 } else { 1 };
        if flat.accs.len() != accs_len {
            return Err(format!(
                "a share has {} accumulator values, not {accs_len}",
                flat.accs.len()
            ));
        }
        let added: Vec<usize> = flat.items.iter().map(|&i| i as usize).collect();
        if let Some(&bad) = added.iter().find(|&&i| i >= items) {
            return Err(format!("a share names item {bad} of {items}"));
        }
        let records_len: usize = added
            .iter()
            .map(|&i| if in_tag(i) { 4 * n } else { 2 * n })
            .sum();
        if flat.records.len() != records_len {
            return Err(format!(
                "a share has {} item records, not {records_len}",
                flat.records.len()
            ));
        }
        let mut all = Accs::new(n);
        let mut tagged = Accs::new(n);
        for (p, state) in flat.accs.chunks_exact(5).enumerate() {
            if p < n {
                all.set(p, state);
            } else {
                tagged.set(p - n, state);
            }
        }
        let mut shares_all = ItemShares::new(items * n);
        let mut shares_tag = ItemShares::new(tagged_items * n);
        let mut at = 0;
        for &i in &added {
            let r = i * n..(i + 1) * n;
            shares_all.max[r.clone()].copy_from_slice(&flat.records[at..at + n]);
            shares_all.sum[r.clone()].copy_from_slice(&flat.records[at + n..at + 2 * n]);
            at += 2 * n;
            if in_tag(i) {
                shares_tag.max[r.clone()].copy_from_slice(&flat.records[at..at + n]);
                shares_tag.sum[r].copy_from_slice(&flat.records[at + n..at + 2 * n]);
                at += 2 * n;
            }
        }
        Ok(Self {
            edge: set.edge() as usize,
            items,
            tag: tag.map(<[bool]>::to_vec),
            all,
            tagged,
            shares_all,
            shares_tag,
            added,
        })
    }

    /// The estimates and the per-pixel shares of each item, over all items and
    /// over the tag's items (each from its own accumulator).
    pub fn finish(self) -> (Vec<f32>, Option<Vec<f32>>, PixelShares) {
        let n = self.edge * self.edge;
        let items = self.items;
        let mut x0_all = vec![0.0f32; CHANNELS * n];
        let mut x0_tag = self.tag.as_ref().map(|_| vec![0.0f32; CHANNELS * n]);
        for p in 0..n {
            for c in 0..CHANNELS {
                x0_all[c * n + p] = self.all.mean(c, p);
                if let Some(t) = x0_tag.as_mut() {
                    t[c * n + p] = self.tagged.mean(c, p);
                }
            }
        }
        let all = self.shares_all.shares(&self.all, items);
        let tag = self
            .tag
            .is_some()
            .then(|| self.shares_tag.shares(&self.tagged, items));
        (x0_all, x0_tag, PixelShares { items, all, tag })
    }
}

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

/// The same on `threads` threads (natively; the page uses Web Workers the
/// same way): each takes every n-th candidate and their shares merge
/// ([`PatchPartial::merge`]), equal to one thread within float order. Here
/// each thread also probes only its own items for the seed, and the seeds
/// are joined before the items are added (the same maxima as one seed from
/// all of them, each thread probing half as much at 2 threads); the page's workers,
/// which share no memory, each seed from every item.
#[cfg(not(target_arch = "wasm32"))]
pub fn denoise_threads(
    set: &Dataset,
    x_t: &[f32],
    alpha_bar: f64,
    shape: PatchShape,
    tag: Option<&[bool]>,
    candidates: &[usize],
    threads: usize,
) -> Denoised {
    let threads = threads.clamp(1, candidates.len().max(1));
    let share = |k: usize| candidates.iter().copied().skip(k).step_by(threads);
    // Each thread seeds from its own share of the items, then every share
    // starts from all the seeds (the probes are not repeated per thread).
    let mut steps: Vec<PatchStep> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|k| {
                scope.spawn(move || {
                    let mut step = PatchStep::new(set, x_t, alpha_bar, shape, tag, candidates);
                    step.seed_from(set, &share(k).collect::<Vec<_>>());
                    step
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a patch thread seeds"))
            .collect()
    });
    let (head, tail) = steps.split_first_mut().expect("at least one thread");
    for other in tail.iter() {
        head.join_seeds(other);
    }
    for other in tail.iter_mut() {
        other.join_seeds(head);
    }
    let parts: Vec<PatchPartial> = std::thread::scope(|scope| {
        let handles: Vec<_> = steps
            .into_iter()
            .enumerate()
            .map(|(k, mut step)| {
                scope.spawn(move || {
                    for i in share(k) {
                        step.add_item(set, i);
                    }
                    step.into_partial()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a patch thread finishes"))
            .collect()
    });
    PatchPartial::merge_all(parts)
        .expect("at least one thread")
        .into_denoised(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps_apart(a: f32, b: f32) -> u32 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
    }

    #[test]
    fn window_sums_equal_the_direct_sums_for_every_width_and_step() {
        let src: Vec<f32> = (0..400).map(|k| ((k * 37 % 101) as f32) / 7.0).collect();
        for width in 1..=41 {
            for step in [1, 3] {
                let n = src.len() - (width - 1) * step - 5;
                let mut out = vec![0.0; n];
                let (mut a, mut b) = (vec![0.0; src.len()], vec![0.0; src.len()]);
                window_sums(&src, width, step, &mut out, &mut a, &mut b);
                for (j, &got) in out.iter().enumerate() {
                    let want: f64 = (0..width).map(|k| f64::from(src[j + k * step])).sum();
                    assert!(
                        (f64::from(got) - want).abs() <= 1e-5 * want.max(1.0),
                        "width {width}, step {step}, at {j}: {got} against {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_branch_free_exponential_is_within_two_ulp_of_the_true_value() {
        let mut worst = 0;
        for k in 0..=1_000_000 {
            let x = -87.0 * k as f32 / 1_000_000.0;
            let want = (x as f64).exp() as f32;
            worst = worst.max(ulps_apart(exp_nonpositive(x), want));
        }
        assert!(worst <= 2, "{worst} ulp");
        assert_eq!(exp_nonpositive(0.0), 1.0);
        // Below −87 (and at −∞) it holds at e^−87, far under any kept weight.
        let floor = exp_nonpositive(-87.0);
        assert_eq!(exp_nonpositive(-1000.0), floor);
        assert_eq!(exp_nonpositive(f32::NEG_INFINITY), floor);
        assert!(floor < (-CUTOFF).exp() * 1e-20);
    }
}
