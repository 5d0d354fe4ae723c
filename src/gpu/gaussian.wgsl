// The Gaussian (Wiener) denoiser, twin of src/denoise/gaussian.rs. The 2-D DFTs
// run through fft.wgsl; this file loads x_t, applies the per-frequency 3 × 3
// Wiener filter and stores the real part.

struct Params {
    pixels: u32,
    alpha_bar: f32,
    signal: f32,
    row_pitch: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x_t: array<f32>;
@group(0) @binding(2) var<storage, read_write> spectrum: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read> mean_dft: array<vec2<f32>>;
// Nine values per frequency: c00, c11, c22, then re, im of c01, c02, c12.
@group(0) @binding(4) var<storage, read> cov: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

fn conj(a: vec2<f32>) -> vec2<f32> {
    return vec2<f32>(a.x, -a.y);
}

@compute @workgroup_size(WORKGROUP)
fn load(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = flat_index(id, params.row_pitch);
    if (i >= 3u * params.pixels) {
        return;
    }
    spectrum[i] = vec2<f32>(x_t[i], 0.0);
}

@compute @workgroup_size(WORKGROUP)
fn wiener(@builtin(global_invocation_id) id: vec3<u32>) {
    let k = flat_index(id, params.row_pitch);
    let n = params.pixels;
    if (k >= n) {
        return;
    }
    let a = params.alpha_bar;
    let s = params.signal;
    let nv = 1.0 - a;
    let c = k * 9u;
    let c00 = cov[c];
    let c11 = cov[c + 1u];
    let c22 = cov[c + 2u];
    let c01 = vec2<f32>(cov[c + 3u], cov[c + 4u]);
    let c02 = vec2<f32>(cov[c + 5u], cov[c + 6u]);
    let c12 = vec2<f32>(cov[c + 7u], cov[c + 8u]);
    let m0 = mean_dft[k];
    let m1 = mean_dft[n + k];
    let m2 = mean_dft[2u * n + k];
    let r0 = spectrum[k] - m0 * s;
    let r1 = spectrum[n + k] - m1 * s;
    let r2 = spectrum[2u * n + k] - m2 * s;
    let d0 = max(a * c00 + nv, nv);
    let l10 = conj(c01 * a) / d0;
    let l20 = conj(c02 * a) / d0;
    let d1 = max(a * c11 + nv - dot(l10, l10) * d0, nv);
    let l21 = (conj(c12 * a) - cmul(l20, conj(l10)) * d0) / d1;
    let d2 = max(a * c22 + nv - dot(l20, l20) * d0 - dot(l21, l21) * d1, nv);
    let y0 = r0;
    let y1 = r1 - cmul(l10, y0);
    let y2 = r2 - cmul(l20, y0) - cmul(l21, y1);
    let v2 = y2 / d2;
    let v1 = y1 / d1 - cmul(conj(l21), v2);
    let v0 = y0 / d0 - cmul(conj(l10), v1) - cmul(conj(l20), v2);
    let cv0 = v0 * c00 + cmul(c01, v1) + cmul(c02, v2);
    let cv1 = cmul(conj(c01), v0) + v1 * c11 + cmul(c12, v2);
    let cv2 = cmul(conj(c02), v0) + cmul(conj(c12), v1) + v2 * c22;
    spectrum[k] = m0 + cv0 * s;
    spectrum[n + k] = m1 + cv1 * s;
    spectrum[2u * n + k] = m2 + cv2 * s;
}

@compute @workgroup_size(WORKGROUP)
fn store(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = flat_index(id, params.row_pitch);
    if (i >= 3u * params.pixels) {
        return;
    }
    out[i] = spectrum[i].x / f32(params.pixels);
}
