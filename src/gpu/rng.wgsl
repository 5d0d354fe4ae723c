// Philox4x32-10 and Box–Muller built from + - * only: the WGSL twin of src/rng.rs.
// Change both files together; tests/gpu_parity.rs checks that they agree.
// The host prepends this file to each kernel that draws noise.

const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u;
const PHILOX_W1: u32 = 0xBB67AE85u;

// High 32 bits of the 64-bit product a*b, from 16-bit pieces (WGSL has no u64).
fn mulhi32(a: u32, b: u32) -> u32 {
    let a_lo = a & 0xffffu;
    let a_hi = a >> 16u;
    let b_lo = b & 0xffffu;
    let b_hi = b >> 16u;
    let lo_lo = a_lo * b_lo;
    let hi_lo = a_hi * b_lo;
    let lo_hi = a_lo * b_hi;
    let cross = (lo_lo >> 16u) + (hi_lo & 0xffffu) + (lo_hi & 0xffffu);
    return a_hi * b_hi + (hi_lo >> 16u) + (lo_hi >> 16u) + (cross >> 16u);
}

fn philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
    var c = counter;
    var k = key;
    for (var i = 0u; i < 10u; i = i + 1u) {
        if (i > 0u) {
            k = k + vec2<u32>(PHILOX_W0, PHILOX_W1);
        }
        let hi0 = mulhi32(PHILOX_M0, c.x);
        let lo0 = PHILOX_M0 * c.x;
        let hi1 = mulhi32(PHILOX_M1, c.z);
        let lo1 = PHILOX_M1 * c.z;
        c = vec4<u32>(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    }
    return c;
}

// The four words for element (index_lo, index_hi) of a stream under a 64-bit seed.
fn rng_words(seed: vec2<u32>, stream: u32, index_lo: u32, index_hi: u32) -> vec4<u32> {
    return philox4x32_10(vec4<u32>(index_lo, index_hi, stream, 0u), seed);
}

// (k + 0.5) / 2^23 from the top 23 bits: in (0, 1), exact.
fn uniform_open(w: u32) -> f32 {
    return (f32(w >> 9u) + 0.5) * 1.1920928955078125e-7;
}

// k / 2^24 from the top 24 bits: in [0, 1), exact.
fn uniform_half_open(w: u32) -> f32 {
    return f32(w >> 8u) * 5.9604644775390625e-8;
}

// ln x = e ln 2 + ln(1 + y), x = m 2^e, m in [sqrt(1/2), sqrt(2)), y = m - 1 (Taylor, x^18).
fn ln_poly(x: f32) -> f32 {
    let bits = bitcast<u32>(x);
    var e = i32((bits >> 23u) & 0xffu) - 127;
    var m = bitcast<f32>((bits & 0x007fffffu) | 0x3f800000u);
    if (m >= 1.41421354) {
        m = m * 0.5;
        e = e + 1;
    }
    let y = m - 1.0;
    var p = 0.0;
    p = p * y + -5.555555597e-02;
    p = p * y + 5.882352963e-02;
    p = p * y + -6.250000000e-02;
    p = p * y + 6.666667014e-02;
    p = p * y + -7.142857462e-02;
    p = p * y + 7.692307979e-02;
    p = p * y + -8.333333582e-02;
    p = p * y + 9.090909362e-02;
    p = p * y + -1.000000015e-01;
    p = p * y + 1.111111119e-01;
    p = p * y + -1.250000000e-01;
    p = p * y + 1.428571492e-01;
    p = p * y + -1.666666716e-01;
    p = p * y + 2.000000030e-01;
    p = p * y + -2.500000000e-01;
    p = p * y + 3.333333433e-01;
    p = p * y + -5.000000000e-01;
    p = p * y + 1.000000000e+00;
    return p * y + f32(e) * 0.693147182;
}

// cos(2 pi v) for v in [-1/2, 1/2]: Taylor series in v^2 up to (2 pi v)^18.
fn cos_2pi_centered(v: f32) -> f32 {
    let v2 = v * v;
    var p = 0.0;
    p = p * v2 + -0.03638284;
    p = p * v2 + 0.28200597;
    p = p * v2 + -1.7143907;
    p = p * v2 + 7.9035364;
    p = p * v2 + -26.426257;
    p = p * v2 + 60.24464;
    p = p * v2 + -85.45682;
    p = p * v2 + 64.93939;
    p = p * v2 + -19.73921;
    p = p * v2 + 1.0;
    return p;
}

fn box_muller(w_radius: u32, w_angle: u32) -> vec2<f32> {
    let r = sqrt(-2.0 * ln_poly(uniform_open(w_radius)));
    let u = uniform_half_open(w_angle);
    let c = -cos_2pi_centered(u - 0.5);
    var s = u - 0.25;
    if (s >= 0.5) {
        s = s - 1.0;
    }
    return vec2<f32>(r * c, r * cos_2pi_centered(s));
}

// Four N(0, 1) samples for one element: the twin of rng::gaussian4.
fn gaussian4(seed: vec2<u32>, stream: u32, index_lo: u32, index_hi: u32) -> vec4<f32> {
    let w = rng_words(seed, stream, index_lo, index_hi);
    return vec4<f32>(box_muller(w.x, w.y), box_muller(w.z, w.w));
}
