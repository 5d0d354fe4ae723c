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
//!   Σ_c (x_t(p) − √ᾱ·x_i(p + d))² for each displacement d, by running sums
//!   along rows and then columns: the cost per step is O(N·S⁴) whatever the
//!   patch size (see design-notes.md), and no cancellation occurs. With interior
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
//!   as a single thread would.

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

/// Online log-sum-exp accumulators of every pixel's weighted estimate, as a
/// structure of arrays (running maximum, sum of weights, weighted colour
/// sums), so that a run of pixels updates as SIMD lanes.
#[derive(Clone, Debug)]
struct Accs {
    max: Vec<f32>,
    sum: Vec<f32>,
    value: [Vec<f32>; CHANNELS],
}

impl Accs {
    fn new(n: usize) -> Self {
        Self {
            max: vec![f32::NEG_INFINITY; n],
            sum: vec![0.0; n],
            value: std::array::from_fn(|_| vec![0.0; n]),
        }
    }

    fn len(&self) -> usize {
        self.max.len()
    }

    /// Whether any pixel `at + k` keeps log-weight −boxed[k]·inv (not more
    /// than [`CUTOFF`] below its running maximum).
    #[inline(always)]
    fn any_kept(&self, at: usize, boxed: &[f32], inv: f32) -> bool {
        let max = &self.max[at..at + boxed.len()];
        boxed
            .iter()
            .zip(max)
            .fold(false, |k, (&b, &m)| k | (-b * inv >= m - CUTOFF))
    }

    /// Adds weight exp(l_k), l_k = −boxed[k]·inv, on colour (v[0][k], v[1][k],
    /// v[2][k]) at pixel `at + k` wherever l_k is kept. The online update with
    /// one exponential: e = exp(−|l − max|) scales the old state when l is the
    /// new maximum and weighs l otherwise; a pixel not kept is left unchanged
    /// exactly. The GPU kernel's `acc_add` does the same with a branch.
    #[inline(always)]
    fn add_run(&mut self, at: usize, boxed: &[f32], inv: f32, v: [&[f32]; CHANNELS]) {
        let n = boxed.len();
        let max = &mut self.max[at..at + n];
        let sum = &mut self.sum[at..at + n];
        let [v0, v1, v2] = &mut self.value;
        let (v0, v1, v2) = (
            &mut v0[at..at + n],
            &mut v1[at..at + n],
            &mut v2[at..at + n],
        );
        let (c0, c1, c2) = (&v[0][..n], &v[1][..n], &v[2][..n]);
        for k in 0..n {
            let l = -boxed[k] * inv;
            let m = max[k];
            let keep = l >= m - CUTOFF;
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
            max[k] = if keep && up { l } else { m };
        }
    }

    /// [`Self::add_run`] where the run keeps anything (most keep nothing,
    /// and then no exponential is computed).
    #[inline(always)]
    fn accumulate(&mut self, at: usize, boxed: &[f32], inv: f32, v: [&[f32]; CHANNELS]) {
        if self.any_kept(at, boxed, inv) {
            self.add_run(at, boxed, inv, v);
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

/// Sliding box sums with wrap-around along rows, from the transpose:
/// `src_t` = Mᵀ (S × S) and out[y][x] = Σ_{|δ| ≤ r} M[y][(x + δ) mod S]. The
/// running sum starts afresh at each row, so rounding does not drift across
/// rows; each row's running sum is one SIMD lane of the column pass over Mᵀ,
/// with the same additions in the same order as a loop along the row.
/// Only the columns x where `wanted(x)` are written (the others are not needed).
fn box_rows_from_transpose(
    src_t: &[f32],
    out: &mut [f32],
    sum: &mut [f32],
    s: usize,
    r: usize,
    wanted: impl Fn(usize) -> bool,
) {
    box_columns_with(src_t, sum, s, r, |x, sums| {
        if wanted(x) {
            for (y, &v) in sums.iter().enumerate() {
                out[y * s + x] = v;
            }
        }
    });
}

/// The same along columns, all columns at once (one running sum per column);
/// only the rows y where `wanted(y)` are written.
fn box_columns(
    src: &[f32],
    out: &mut [f32],
    sum: &mut [f32],
    s: usize,
    r: usize,
    wanted: impl Fn(usize) -> bool,
) {
    box_columns_with(src, sum, s, r, |y, sums| {
        if wanted(y) {
            out[y * s..(y + 1) * s].copy_from_slice(sums);
        }
    });
}

/// The column pass: `store(y, sums)` receives row y's box sums in turn.
fn box_columns_with(
    src: &[f32],
    sum: &mut [f32],
    s: usize,
    r: usize,
    mut store: impl FnMut(usize, &[f32]),
) {
    sum.fill(0.0);
    for k in 0..=2 * r {
        let y = (k + s - r) % s;
        for (a, &v) in sum.iter_mut().zip(&src[y * s..(y + 1) * s]) {
            *a += v;
        }
    }
    store(0, sum);
    for y in 1..s {
        let add = if y + r >= s { y + r - s } else { y + r };
        let sub = if y < r + 1 { y + s - r - 1 } else { y - r - 1 };
        let (add, sub) = (&src[add * s..(add + 1) * s], &src[sub * s..(sub + 1) * s]);
        for ((a, &p), &m) in sum.iter_mut().zip(add).zip(sub) {
            *a += p;
            *a -= m;
        }
        store(y, sum);
    }
}

/// Transposes each of the CHANNELS planes (S × S) of `src` into `out`.
fn transpose_planes(src: &[f32], out: &mut [f32], s: usize) {
    for (from, to) in src.chunks_exact(s * s).zip(out.chunks_exact_mut(s * s)) {
        for (y, row) in from.chunks_exact(s).enumerate() {
            for (x, &v) in row.iter().enumerate() {
                to[x * s + y] = v;
            }
        }
    }
}

/// The columns x (in order) where `inside[(x + dx) mod S]` holds, as at most
/// two runs when `inside` is one run (the interior) or all true.
fn inside_runs(inside: &[bool], dx: usize) -> [std::ops::Range<usize>; 2] {
    let s = inside.len();
    let at = |x: usize| inside[(x + dx) % s];
    let mut runs = [0..0, 0..0];
    let mut k = 0;
    let mut x = 0;
    while x < s && k < 2 {
        while x < s && !at(x) {
            x += 1;
        }
        let start = x;
        while x < s && at(x) {
            x += 1;
        }
        if start < x {
            runs[k] = start..x;
            k += 1;
        }
    }
    debug_assert!((x..s).all(|x| !at(x)), "inside is one run around the item");
    runs
}

/// A run of columns x split where x + dx passes S, so that its candidate
/// columns (x + dx) mod S are one run too (at most two pieces).
fn unwrapped_runs(
    run: std::ops::Range<usize>,
    dx: usize,
    s: usize,
) -> impl Iterator<Item = std::ops::Range<usize>> {
    let split = (s - dx).clamp(run.start, run.end);
    [run.start..split, split..run.end]
        .into_iter()
        .filter(|r| !r.is_empty())
}

/// d = Σ_c (a_c − signal·b_c)² elementwise over the three channels.
#[inline(always)]
fn squared_differences(d: &mut [f32], a: [&[f32]; 3], b: [&[f32]; 3], signal: f32) {
    let n = d.len();
    let (a0, a1, a2) = (&a[0][..n], &a[1][..n], &a[2][..n]);
    let (b0, b1, b2) = (&b[0][..n], &b[1][..n], &b[2][..n]);
    for k in 0..n {
        let e0 = a0[k] - signal * b0[k];
        let e1 = a1[k] - signal * b1[k];
        let e2 = a2[k] - signal * b2[k];
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
        for p in 0..n {
            let (m0, s0, m) = (before.max[p], before.sum[p], acc.max[p]);
            let carried = if m0 == f32::NEG_INFINITY {
                0.0
            } else {
                s0 * (m0 - m).exp()
            };
            max[p] = m;
            sum[p] = (acc.sum[p] - carried).max(0.0);
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
                    *share = self.sum[k] * (self.max[k] - max).exp() / sum;
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
        self.max.copy_from_slice(&acc.max);
        self.sum.copy_from_slice(&acc.sum);
    }
}

/// One denoiser call in progress: items are added one at a time, so that the
/// page can yield to the browser between them.
pub struct PatchStep {
    edge: usize,
    items: usize,
    /// x_t with each plane transposed: the distances are computed transposed.
    x_t_t: Vec<f32>,
    signal: f32,
    inv_two_var: f32,
    radius: usize,
    tag: Option<Vec<bool>>,
    all: Accs,
    tagged: Accs,
    shares_all: ItemShares,
    shares_tag: ItemShares,
    // Scratch.
    /// The item being added, each plane transposed, each row twice over.
    item_t: Vec<f32>,
    dist: Vec<f32>,
    rows: Vec<f32>,
    boxed: Vec<f32>,
    column_sums: Vec<f32>,
    before_all: Snapshot,
    before_tag: Snapshot,
    /// Displacements per axis and the first one (see `PatchShape::displacements`).
    displacements: (usize, usize),
    /// Per coordinate v (of x or y): whether a patch centred there lies
    /// inside the item along that axis (always, with wrap-around).
    inside: Vec<bool>,
    /// The items added so far, in order.
    added: Vec<usize>,
    /// The call's candidate items, whose probes seed the running maxima
    /// before the first item is added (see `seed`).
    seed_items: Vec<usize>,
    seeded: bool,
    /// Scratch: runs of inside pixels (p, q, length) at one displacement.
    runs: Vec<(usize, usize, usize)>,
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
        let inside = (0..s)
            .map(|v| shape.border == Border::Wrap || (v >= radius && v + radius < s))
            .collect();
        let tagged_items = tag.map_or(0, |m| set.len().min(m.len()));
        Self {
            edge: s,
            items: set.len(),
            x_t_t: {
                let mut t = vec![0.0; x_t.len()];
                transpose_planes(x_t, &mut t, s);
                t
            },
            signal: alpha_bar.sqrt() as f32,
            inv_two_var: (0.5 / (1.0 - alpha_bar).max(1e-12)) as f32,
            radius,
            tag: tag.map(<[bool]>::to_vec),
            all: Accs::new(n),
            tagged: Accs::new(n),
            shares_all: ItemShares::new(set.len() * n),
            shares_tag: ItemShares::new(tagged_items * n),
            item_t: vec![0.0; 2 * CHANNELS * n],
            dist: vec![0.0; n],
            rows: vec![0.0; n],
            boxed: vec![0.0; n],
            column_sums: vec![0.0; s],
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
            runs: Vec::with_capacity(2 * s),
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
        self.seeded = true;
        let s = self.edge;
        let (count, first) = self.displacements;
        let reach = self.radius.min(count / 2);
        let probes: Vec<usize> = [s - reach, 0, reach]
            .into_iter()
            .map(|d| d % s)
            .filter(|&d| (0..count).any(|w| (w + first) % s == d))
            .collect();
        let items = std::mem::take(&mut self.seed_items);
        let mut runs = std::mem::take(&mut self.runs);
        for &i in &items {
            let in_tag = self.in_tag(i);
            self.load_item(set.item(i));
            for &dy in &probes {
                for &dx in &probes {
                    self.box_distances(dy, dx);
                    self.inside_pixels(dy, dx, &mut runs);
                    for &(p, _, len) in &runs {
                        let boxed = &self.boxed[p..p + len];
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
        self.seed_items = items;
        self.runs = runs;
    }

    /// Puts item `item` in the scratch: each plane transposed, each of its
    /// rows (the item's columns) twice over.
    fn load_item(&mut self, item: &[f32]) {
        let s = self.edge;
        let n = s * s;
        for (c, plane) in item.chunks_exact(n).enumerate() {
            for (y, row) in plane.chunks_exact(s).enumerate() {
                for (x, &v) in row.iter().enumerate() {
                    let at = c * 2 * n + x * 2 * s + y;
                    self.item_t[at] = v;
                    self.item_t[at + s] = v;
                }
            }
        }
    }

    /// `boxed` = the squared distances ‖Q_p − √ᾱ·C_{p+d}‖² of the loaded
    /// item at displacement d = (dy, dx), for the pixels whose candidate
    /// centre p + d lies inside (the others are not written).
    fn box_distances(&mut self, dy: usize, dx: usize) {
        let s = self.edge;
        let n = s * s;
        // Σ_c (x_t(p) − √ᾱ·x_i(p + d))², transposed: row x holds column x of
        // the picture, and its shifted item row is the item's column
        // (x + dx) mod S from row dy on (each column is stored twice over,
        // so that this is one run).
        let (xt, it) = (&self.x_t_t, &self.item_t);
        for (x, dist) in self.dist.chunks_exact_mut(s).enumerate() {
            let col = (if x + dx >= s { x + dx - s } else { x + dx }) * 2 * s + dy;
            let b = |c: usize| &it[c * 2 * n + col..][..s];
            let a = |c: usize| &xt[c * n + x * s..][..s];
            squared_differences(dist, [a(0), a(1), a(2)], [b(0), b(1), b(2)], self.signal);
        }
        let inside = &self.inside;
        let wrap = |v: usize| if v >= s { v - s } else { v };
        let wanted_x = |x: usize| inside[wrap(x + dx)];
        let wanted_y = |y: usize| inside[wrap(y + dy)];
        let r = self.radius;
        box_rows_from_transpose(
            &self.dist,
            &mut self.rows,
            &mut self.column_sums,
            s,
            r,
            wanted_x,
        );
        box_columns(
            &self.rows,
            &mut self.boxed,
            &mut self.column_sums,
            s,
            r,
            wanted_y,
        );
    }

    /// The pixels whose candidate centre q = p + d (mod S) lies inside, as
    /// runs (p, q, length) along rows: q runs with p.
    fn inside_pixels(&self, dy: usize, dx: usize, out: &mut Vec<(usize, usize, usize)>) {
        let s = self.edge;
        let runs = inside_runs(&self.inside, dx);
        out.clear();
        for y in 0..s {
            let qy = if y + dy >= s { y + dy - s } else { y + dy };
            if !self.inside[qy] {
                continue;
            }
            for run in runs
                .iter()
                .flat_map(|run| unwrapped_runs(run.clone(), dx, s))
            {
                out.push((y * s + run.start, qy * s + (run.start + dx) % s, run.len()));
            }
        }
    }

    /// Accumulates every candidate position of item `i` of `set` (the set given to `new`).
    pub fn add_item(&mut self, set: &Dataset, i: usize) {
        if !self.seeded {
            self.seed(set);
        }
        let s = self.edge;
        let n = s * s;
        let item = set.item(i);
        let in_tag = self.in_tag(i);
        // Each accumulator's (max, sum) before this item, to credit it with its share.
        self.before_all.take(&self.all);
        if in_tag {
            self.before_tag.take(&self.tagged);
        }
        self.load_item(item);
        let mut runs = std::mem::take(&mut self.runs);
        let (count, first) = self.displacements;
        for wy in 0..count {
            let dy = (wy + first) % s;
            for wx in 0..count {
                let dx = (wx + first) % s;
                self.box_distances(dy, dx);
                self.inside_pixels(dy, dx, &mut runs);
                for &(p, q, len) in &runs {
                    let boxed = &self.boxed[p..p + len];
                    let v = [
                        &item[q..q + len],
                        &item[n + q..n + q + len],
                        &item[2 * n + q..2 * n + q + len],
                    ];
                    self.all.accumulate(p, boxed, self.inv_two_var, v);
                    if in_tag {
                        self.tagged.accumulate(p, boxed, self.inv_two_var, v);
                    }
                }
            }
        }
        self.runs = runs;
        self.shares_all.record(i, &self.before_all, &self.all);
        if in_tag {
            self.shares_tag.record(i, &self.before_tag, &self.tagged);
        }
        self.added.push(i);
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
/// ([`PatchPartial::merge`]), equal to one thread within float order.
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
    let parts: Vec<PatchPartial> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|k| {
                scope.spawn(move || {
                    let mut step = PatchStep::new(set, x_t, alpha_bar, shape, tag, candidates);
                    for &i in candidates.iter().skip(k).step_by(threads) {
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
