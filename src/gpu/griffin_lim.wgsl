// Fast Griffin–Lim on the GPU, twin of src/audio/griffin_lim.rs and src/audio/stft.rs.
// Frames are full complex lines of n_fft points (the real signal's spectrum
// made Hermitian), transformed by fft.wgsl. One iteration:
//   synth → inverse FFT → overlap_add → analyse → forward FFT → update.

struct Params {
    n_fft: u32,
    hop: u32,
    frames: u32,
    bins: u32,
    // Samples of the overlap-added signal, centring pad included.
    padded: u32,
    // The real signal occupies padded[n_fft/2 .. n_fft/2 + length].
    length: u32,
    // α/(1 + α), and 1 once a previous rebuild exists.
    momentum: f32,
    has_prev: u32,
    row_pitch: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> window: array<f32>;
@group(0) @binding(2) var<storage, read> mags: array<f32>;
@group(0) @binding(3) var<storage, read_write> angles: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read_write> prev: array<vec2<f32>>;
@group(0) @binding(5) var<storage, read_write> lines: array<vec2<f32>>;
@group(0) @binding(6) var<storage, read_write> signal: array<f32>;
@group(0) @binding(7) var<storage, read> norm: array<f32>;

// lines[t][k] = S·e^{iφ} for k ≤ N/2, and its conjugate mirror above.
@compute @workgroup_size(WORKGROUP)
fn synth(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = flat_index(id, params.row_pitch);
    let n = params.n_fft;
    if (i >= params.frames * n) {
        return;
    }
    let t = i / n;
    let k = i % n;
    var b = k;
    if (k > n / 2u) {
        b = n - k;
    }
    let j = t * params.bins + b;
    var v = angles[j] * mags[j];
    if (b == 0u || b == n / 2u) {
        v.y = 0.0;
    }
    if (k > n / 2u) {
        v.y = -v.y;
    }
    lines[i] = v;
}

// signal[i] = Σ_t Re(line_t[i − t·hop])/N · w[i − t·hop] / norm[i].
@compute @workgroup_size(WORKGROUP)
fn overlap_add(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = flat_index(id, params.row_pitch);
    if (i >= params.padded) {
        return;
    }
    let n = params.n_fft;
    let hop = params.hop;
    var t_first = 0u;
    if (i + 1u > n) {
        t_first = (i + 1u - n + hop - 1u) / hop;
    }
    let t_last = min(i / hop, params.frames - 1u);
    var acc = 0.0;
    for (var t = t_first; t <= t_last; t++) {
        let k = i - t * hop;
        acc += lines[t * n + k].x * (1.0 / f32(n)) * window[k];
    }
    let w = norm[i];
    if (w > 1.17549435e-38) {
        acc = acc / w;
    }
    signal[i] = acc;
}

// lines[t][k] = x(t·hop + k − N/2)·w[k], zero outside the signal.
@compute @workgroup_size(WORKGROUP)
fn analyse(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = flat_index(id, params.row_pitch);
    let n = params.n_fft;
    if (i >= params.frames * n) {
        return;
    }
    let t = i / n;
    let k = i % n;
    let p = t * params.hop + k;
    var x = 0.0;
    if (p >= n / 2u && p < n / 2u + params.length) {
        x = signal[p];
    }
    lines[i] = vec2<f32>(x * window[k], 0.0);
}

// φ ← arg(R − α/(1+α)·R_prev), R_prev ← R.
@compute @workgroup_size(WORKGROUP)
fn update(@builtin(global_invocation_id) id: vec3<u32>) {
    let j = flat_index(id, params.row_pitch);
    if (j >= params.frames * params.bins) {
        return;
    }
    let t = j / params.bins;
    let b = j % params.bins;
    let r = lines[t * params.n_fft + b];
    var a = r;
    if (params.has_prev != 0u) {
        a = r - prev[j] * params.momentum;
    }
    angles[j] = a / (sqrt(a.x * a.x + a.y * a.y) + 1.17549435e-38);
    prev[j] = r;
}
