//! One patch denoiser call, item by item ([`PatchStep`]), with each item's
//! share of every pixel kept for the provenance.

use super::partial::*;
use super::shape::*;
use super::simd::*;
use crate::archive::dataset::Dataset;
use crate::image::CHANNELS;

/// A run of pixels along a row at one displacement: pixels `pixel…`, their
/// candidates' centres `candidate…` and their box sums `boxed…` in
/// `PatchStep::boxed`, `len` of each.
#[derive(Clone, Copy, Debug)]
pub(super) struct Run {
    pub(super) pixel: usize,
    pub(super) candidate: usize,
    pub(super) boxed: usize,
    pub(super) len: usize,
}

/// The pixels whose candidates lie inside at one displacement (see
/// `PatchStep::box_distances`): rows y0, y0 + 1, … and in each the columns
/// x0, x0 + 1, … (both cyclically), `len` of each; row k's box sums are
/// `PatchStep::boxed[k·width…]`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Window {
    pub(super) edge: usize,
    pub(super) y0: usize,
    pub(super) x0: usize,
    pub(super) dy: usize,
    /// The first candidate column (the inside run's start).
    pub(super) first: usize,
    pub(super) len: usize,
    pub(super) width: usize,
}

impl Window {
    /// Row k's picture row.
    #[inline(always)]
    pub(super) fn row(&self, k: usize) -> usize {
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
    pub(super) fn runs(&self, k: usize) -> impl Iterator<Item = Run> {
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
pub(super) fn within_reach(boxed: &[f32], reach: &[f32], len: usize) -> bool {
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
pub(super) fn squared_differences(d: &mut [f32], a: [&[f32]; 3], b: [&[f32]; 3]) {
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
pub(super) struct ItemShares {
    pub(super) max: Vec<f32>,
    pub(super) sum: Vec<f32>,
}

impl ItemShares {
    pub(super) fn new(len: usize) -> Self {
        Self {
            max: vec![f32::NEG_INFINITY; len],
            sum: vec![0.0; len],
        }
    }

    /// Records item i's part of `acc`, given the accumulators' maxima and
    /// sums before it.
    pub(super) fn record(&mut self, i: usize, before: &Snapshot, acc: &Accs) {
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
    pub(super) fn copy_item(&mut self, other: &ItemShares, i: usize, n: usize) {
        let r = i * n..(i + 1) * n;
        self.max[r.clone()].copy_from_slice(&other.max[r.clone()]);
        self.sum[r.clone()].copy_from_slice(&other.sum[r]);
    }

    /// Pixel-major shares of every item in `acc`'s estimate.
    pub(super) fn shares(&self, acc: &Accs, items: usize) -> Vec<f32> {
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
pub(super) struct Snapshot {
    pub(super) max: Vec<f32>,
    pub(super) sum: Vec<f32>,
}

impl Snapshot {
    pub(super) fn new(n: usize) -> Self {
        Self {
            max: vec![0.0; n],
            sum: vec![0.0; n],
        }
    }

    pub(super) fn take(&mut self, acc: &Accs) {
        let n = acc.len();
        self.max.copy_from_slice(&acc.max[..n]);
        self.sum.copy_from_slice(&acc.sum[..n]);
    }
}

/// One denoiser call in progress: items are added one at a time, so that the
/// page can yield to the browser between them.
pub struct PatchStep {
    pub(super) edge: usize,
    pub(super) items: usize,
    /// x_t, each row three times over (so that a row shifted cyclically
    /// is one run).
    pub(super) x_t_rows: Vec<f32>,
    pub(super) signal: f32,
    pub(super) inv_two_var: f32,
    pub(super) radius: usize,
    pub(super) tag: Option<Vec<bool>>,
    pub(super) all: Accs,
    pub(super) tagged: Accs,
    pub(super) shares_all: ItemShares,
    pub(super) shares_tag: ItemShares,
    // Scratch.
    /// The item being added, planar, with [`SLACK`] values after it (the
    /// colours a run's last block reads).
    pub(super) item_colour: Vec<f32>,
    /// The item being added times √ᾱ (the same product the distance would
    /// take for every pair, taken once), each row three times over.
    pub(super) item_rows: Vec<f32>,
    /// Per pixel at one displacement, Σ_c (x_t(p) − √ᾱ·x_i(p + d))², each
    /// row from the first wanted column's patch edge on (see `box_distances`).
    pub(super) dist: Vec<f32>,
    /// The wanted pixels' box sums, row after row (see `box_distances`).
    pub(super) boxed: Vec<f32>,
    pub(super) column_sums: Vec<f32>,
    /// The window sums' scratch.
    pub(super) scratch: [Vec<f32>; 2],
    pub(super) before_all: Snapshot,
    pub(super) before_tag: Snapshot,
    /// Displacements per axis and the first one (see `PatchShape::displacements`).
    pub(super) displacements: (usize, usize),
    /// The coordinates v (of x or y) where a patch centred at v lies inside
    /// the item along that axis, as a run (first, length): [r, S − r) for
    /// interior candidates, every coordinate with wrap-around.
    pub(super) inside: (usize, usize),
    /// The items added so far, in order.
    pub(super) added: Vec<usize>,
    /// The call's candidate items, whose probes seed the running maxima
    /// before the first item is added (see `seed`).
    pub(super) seed_items: Vec<usize>,
    pub(super) seeded: bool,
    /// Per pixel, each row twice over (so that a row shifted cyclically is
    /// one run), the largest box sum that the item being added may still
    /// have kept: from the maxima as they were before it (which only rise),
    /// so a little generous. A row of box sums none of which is within
    /// reach is passed over whole (most rows, once the noise is low); in
    /// the others, the update decides lane by lane ([`Accs::add_run`]).
    pub(super) reach: Vec<f32>,
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

    pub(super) fn in_tag(&self, i: usize) -> bool {
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
    pub(super) fn seed(&mut self, set: &Dataset) {
        let items = std::mem::take(&mut self.seed_items);
        self.seed_from(set, &items);
        self.seed_items = items;
    }

    /// [`Self::seed`] from some of the call's candidate items only: shares
    /// that seed from disjoint parts of the candidates and then
    /// [`Self::join_seeds`] start where each would from all of them, each
    /// having done only its part of the probes.
    pub(super) fn seed_from(&mut self, set: &Dataset, items: &[usize]) {
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
    pub(super) fn join_seeds(&mut self, other: &PatchStep) {
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
    pub(super) fn set_reach(&mut self, tagged: bool) {
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
    pub(super) fn load_item(&mut self, item: &[f32]) {
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
    pub(super) fn box_distances(&mut self, dy: usize, dx: usize) -> Window {
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
    /// the same result. AVX-512 is not used: the rows are 24–32 values long
    /// (docs/performance.md has the timings).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn add_displacements_avx2(&mut self, in_tag: bool) {
        self.add_displacements(in_tag);
    }

    /// Every displacement of the loaded item, into the accumulators.
    #[inline(always)]
    pub(super) fn add_displacements(&mut self, in_tag: bool) {
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
