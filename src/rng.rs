//! Counter-based random numbers that the CPU and the GPU produce identically.
//!
//! Philox4x32-10 (Salmon, Moraes, Dror & Shaw, "Parallel random numbers: as easy
//! as 1, 2, 3", SC 2011) maps a 128-bit counter and a 64-bit key to four 32-bit
//! words. There is no state: the noise for element `i` of stream `s` under seed
//! `k` is `philox4x32_10([i_lo, i_hi, s, 0], [k_lo, k_hi])`, so any element can
//! be computed on its own, in any order, by any thread, on either backend.
//!
//! Gaussian samples come from the Box–Muller transform. `ln` and `cos` are
//! evaluated here as polynomials built only from `+`, `-` and `*`, in the same
//! order as in `src/gpu/rng.wgsl`: WGSL's built-in `log`/`cos` differ from the
//! CPU's by about 7e-4 on some adapters, while IEEE `+ - *` are correctly
//! rounded on both sides. The WGSL file is the twin of this one: change both.

/// Philox multipliers and Weyl key increments from the paper (Random123's values).
const PHILOX_M0: u32 = 0xD251_1F53;
const PHILOX_M1: u32 = 0xCD9E_8D57;
const PHILOX_W0: u32 = 0x9E37_79B9;
const PHILOX_W1: u32 = 0xBB67_AE85;

/// Which random stream a consumer draws from, so that two uses of one seed never
/// share noise (the forward noising field is stream 0; samplers use others).
pub const STREAM_FORWARD_NOISE: u32 = 0;
/// Random starting phases for Griffin–Lim (`audio::griffin_lim::PhaseStart::Random`).
pub const STREAM_PHASE: u32 = 0x5000_0010;

#[inline(always)]
fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let p = u64::from(a) * u64::from(b);
    ((p >> 32) as u32, p as u32)
}

/// One Philox4x32 round.
#[inline(always)]
fn round(c: [u32; 4], k: [u32; 2]) -> [u32; 4] {
    let (hi0, lo0) = mulhilo(PHILOX_M0, c[0]);
    let (hi1, lo1) = mulhilo(PHILOX_M1, c[2]);
    [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0]
}

/// Philox4x32 with 10 rounds: four independent uniformly distributed words.
#[inline]
pub fn philox4x32_10(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut c = counter;
    let mut k = key;
    for i in 0..10 {
        if i > 0 {
            k = [k[0].wrapping_add(PHILOX_W0), k[1].wrapping_add(PHILOX_W1)];
        }
        c = round(c, k);
    }
    c
}

/// The four raw words for element `index` of `stream` under `seed`.
#[inline]
pub fn words(seed: u64, stream: u32, index: u64) -> [u32; 4] {
    philox4x32_10(
        [index as u32, (index >> 32) as u32, stream, 0],
        [seed as u32, (seed >> 32) as u32],
    )
}

/// A uniform in the open interval (0, 1), from the top 23 bits: `(k + 0.5) / 2^23`,
/// exact in f32 on every IEEE device, never 0 (so `ln` is finite).
#[inline(always)]
pub fn uniform_open(w: u32) -> f32 {
    ((w >> 9) as f32 + 0.5) * (1.0 / 8_388_608.0)
}

/// A uniform in [0, 1) from the top 24 bits, exact in f32.
#[inline(always)]
pub fn uniform_half_open(w: u32) -> f32 {
    (w >> 8) as f32 * (1.0 / 16_777_216.0)
}

/// Taylor coefficients of ln(1 + x) from x^18 down to x^1 (1/n with alternating
/// sign), for Horner evaluation on x in [sqrt(1/2) - 1, sqrt(2) - 1]. The series
/// truncation error there is below 1e-8, far under f32 resolution.
#[allow(clippy::excessive_precision)] // the exact f32 values, spelled as in the WGSL twin
const LN1P_COEFFS: [f32; 18] = [
    -5.555555597e-02,
    5.882352963e-02,
    -6.250000000e-02,
    6.666667014e-02,
    -7.142857462e-02,
    7.692307979e-02,
    -8.333333582e-02,
    9.090909362e-02,
    -1.000000015e-01,
    1.111111119e-01,
    -1.250000000e-01,
    1.428571492e-01,
    -1.666666716e-01,
    2.000000030e-01,
    -2.500000000e-01,
    3.333333433e-01,
    -5.000000000e-01,
    1.000000000e+00,
];

const LN_2: f32 = core::f32::consts::LN_2;
const SQRT_2: f32 = core::f32::consts::SQRT_2;

/// Natural logarithm of a positive normal f32 using only `+ - *` and bit moves.
/// x = m · 2^e with m in [sqrt(1/2), sqrt(2)); ln x = e·ln 2 + ln(1 + (m − 1)).
pub fn ln_poly(x: f32) -> f32 {
    let bits = x.to_bits();
    let mut e = ((bits >> 23) & 0xff) as i32 - 127;
    let mut m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    if m >= SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    let y = m - 1.0;
    let mut p = 0.0f32;
    for c in LN1P_COEFFS {
        p = p * y + c;
    }
    p * y + e as f32 * LN_2
}

/// Taylor coefficients of cos(2πv) in powers of v² (c_n = (−1)^n (2π)^{2n} / (2n)!),
/// from n = 9 down to n = 0. On |v| ≤ 1/2 (|2πv| ≤ π) the truncation error is below 4e-9.
const COS_2PI_COEFFS: [f32; 10] = [
    -0.036_382_84,
    0.282_005_97,
    -1.714_390_7,
    7.903_536_4,
    -26.426_257,
    60.244_64,
    -85.456_82,
    64.939_39,
    -19.739_21,
    1.0,
];

/// cos(2πv) for v in [−1/2, 1/2] using only `+ - *`.
pub fn cos_2pi_centered(v: f32) -> f32 {
    let v2 = v * v;
    let mut p = 0.0f32;
    for c in COS_2PI_COEFFS {
        p = p * v2 + c;
    }
    p
}

/// Four standard normal samples from one Philox block by Box–Muller:
/// (w0, w1) give r₀cos θ₀, r₀sin θ₀ and (w2, w3) give r₁cos θ₁, r₁sin θ₁,
/// with r = sqrt(−2 ln u₁) and θ = 2π u₂.
#[inline]
pub fn gaussian4(seed: u64, stream: u32, index: u64) -> [f32; 4] {
    let w = words(seed, stream, index);
    let (a, b) = box_muller(w[0], w[1]);
    let (c, d) = box_muller(w[2], w[3]);
    [a, b, c, d]
}

#[inline(always)]
fn box_muller(w_radius: u32, w_angle: u32) -> (f32, f32) {
    let r = (-2.0 * ln_poly(uniform_open(w_radius))).sqrt();
    let u = uniform_half_open(w_angle);
    // cos(2πu) = −cos(2π(u − ½)); sin(2πu) = cos(2π(u − ¼)), wrapped into [−½, ½).
    let cos = -cos_2pi_centered(u - 0.5);
    let mut s = u - 0.25;
    if s >= 0.5 {
        s -= 1.0;
    }
    let sin = cos_2pi_centered(s);
    (r * cos, r * sin)
}

/// Fills `out` (planar, `channels` planes of `pixels` values) with N(0, 1) noise:
/// pixel `p` takes channel `c` from `gaussian4(seed, stream, p)[c]` (`channels` ≤ 4).
/// This is the layout the GPU kernel uses too.
pub fn fill_gaussian_planar(
    seed: u64,
    stream: u32,
    pixels: usize,
    channels: usize,
    out: &mut [f32],
) {
    assert!(channels <= 4, "at most four channels per Philox block");
    assert_eq!(
        out.len(),
        pixels * channels,
        "output must hold channels × pixels values"
    );
    for p in 0..pixels {
        let g = gaussian4(seed, stream, p as u64);
        for (c, value) in g.iter().take(channels).enumerate() {
            out[c * pixels + p] = *value;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random123 `tests/kat_vectors`, the three `philox4x32 10` lines: counter, key, result.
    #[test]
    fn philox_matches_random123_known_answers() {
        let cases: [([u32; 4], [u32; 2], [u32; 4]); 3] = [
            (
                [0; 4],
                [0; 2],
                [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
            ),
            (
                [u32::MAX; 4],
                [u32::MAX; 2],
                [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
            ),
            (
                [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
                [0xa4093822, 0x299f31d0],
                [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
            ),
        ];
        for (ctr, key, expected) in cases {
            assert_eq!(philox4x32_10(ctr, key), expected);
        }
    }

    #[test]
    fn ln_poly_matches_std_ln_over_the_uniform_range() {
        let mut worst = 0.0f64;
        for k in 0..(1u32 << 23) {
            if k % 97 != 0 && k > 4096 {
                continue;
            }
            let u = uniform_open(k << 9);
            let err = (f64::from(ln_poly(u)) - f64::from(u).ln()).abs();
            worst = worst.max(err / f64::from(u).ln().abs().max(1.0));
        }
        assert!(worst < 2e-7, "worst relative error {worst}");
    }

    #[test]
    fn cos_poly_matches_std_cos_on_the_centred_period() {
        let mut worst = 0.0f64;
        for k in 0..=10_000 {
            let v = -0.5 + k as f32 / 10_000.0;
            let exact = (2.0 * std::f64::consts::PI * f64::from(v)).cos();
            worst = worst.max((f64::from(cos_2pi_centered(v)) - exact).abs());
        }
        assert!(worst < 2e-6, "worst absolute error {worst}");
    }

    #[test]
    fn uniforms_are_exact_and_inside_their_intervals() {
        assert!(uniform_open(0) > 0.0);
        assert!(uniform_open(u32::MAX) < 1.0);
        assert_eq!(uniform_half_open(0), 0.0);
        assert!(uniform_half_open(u32::MAX) < 1.0);
    }

    #[test]
    fn different_seeds_streams_and_indices_give_different_words() {
        let a = words(1, 0, 0);
        assert_ne!(a, words(2, 0, 0));
        assert_ne!(a, words(1, 1, 0));
        assert_ne!(a, words(1, 0, 1));
        assert_ne!(a, words(1, 0, 1 << 32));
        assert_eq!(a, words(1, 0, 0));
    }
}
