//! The numerics of a patch step, as SIMD-friendly loops: a branch-free
//! exponential, online log-sum-exp accumulators in whole blocks of lanes,
//! box sums of a window without subtraction, and the lane tests.

use super::shape::*;
use crate::image::CHANNELS;

/// e^x for x ≤ 0, branch-free so that a row of pixels is one SIMD loop:
/// Cephes' `expf` (range reduction by ln 2 in two parts, degree-5 polynomial
/// on [−ln2/2, ln2/2], scale by 2ⁿ through the exponent bits), within 2 ulp
/// of the true value for x ≥ −87; below −87 it returns e^−87 (≈ 1.6·10⁻³⁸),
/// where every use here multiplies a sum that is 0 or weighs under e^−CUTOFF.
#[inline(always)]
pub(super) fn exp_nonpositive(x: f32) -> f32 {
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
pub(super) const BLOCK: usize = 8;

/// Values kept past the end of every buffer a padded block reads or writes.
pub(super) const SLACK: usize = BLOCK;

/// `len` rounded up to whole blocks.
#[inline(always)]
pub(super) fn padded(len: usize) -> usize {
    len.div_ceil(BLOCK) * BLOCK
}

/// [`Accs::add_run`]'s lanes, on slices of their own (which, unlike the
/// vectors' buffers, are known not to overlap), whole blocks long: lane k
/// is kept only for k < len.
#[inline(always)]
pub(super) fn add_lanes(
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
pub(super) struct Accs {
    pub(super) pixels: usize,
    pub(super) max: Vec<f32>,
    pub(super) sum: Vec<f32>,
    pub(super) value: [Vec<f32>; CHANNELS],
}

impl Accs {
    pub(super) fn new(n: usize) -> Self {
        let with_slack = n + SLACK;
        Self {
            pixels: n,
            max: vec![f32::NEG_INFINITY; with_slack],
            sum: vec![0.0; with_slack],
            value: std::array::from_fn(|_| vec![0.0; with_slack]),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.pixels
    }

    /// Whether any pixel `at + k`, k < len, keeps log-weight −boxed[k]·inv
    /// (not more than [`CUTOFF`] below its running maximum). `boxed` holds
    /// whole blocks ([`padded`]).
    #[inline(always)]
    pub(super) fn any_kept(&self, at: usize, len: usize, boxed: &[f32], inv: f32) -> bool {
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
    pub(super) fn add_run(
        &mut self,
        at: usize,
        len: usize,
        boxed: &[f32],
        inv: f32,
        v: [&[f32]; CHANNELS],
    ) {
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
    pub(super) fn accumulate(
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
    pub(super) fn merge(&mut self, other: &Accs) {
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
    pub(super) fn mean(&self, c: usize, p: usize) -> f32 {
        if self.sum[p] > 0.0 {
            self.value[c][p] / self.sum[p]
        } else {
            0.0
        }
    }

    /// Pixel p's state as (max, sum, v0, v1, v2), the flat order.
    pub(super) fn get(&self, p: usize) -> [f32; 5] {
        let v = &self.value;
        [self.max[p], self.sum[p], v[0][p], v[1][p], v[2][p]]
    }

    pub(super) fn set(&mut self, p: usize, state: &[f32]) {
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
pub(super) fn window_sums(
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
pub(super) const DIRECT_TERMS: usize = 8;

/// out[j] = Σ_{t < terms} src[j + t·stride] (+ extra[j]), for terms ≤
/// [`DIRECT_TERMS`]: one pass, each term a run of its own.
#[inline(always)]
pub(super) fn sum_terms(
    src: &[f32],
    terms: usize,
    stride: usize,
    extra: Option<&[f32]>,
    out: &mut [f32],
) {
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
pub(super) fn sum_fixed<const K: usize>(
    src: &[f32],
    stride: usize,
    extra: Option<&[f32]>,
    out: &mut [f32],
) {
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
pub(super) fn has_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
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
