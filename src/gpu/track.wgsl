// The track patch machine on spectrograms, twin of src/denoise/track.rs:
// time-equivariant, anchored in frequency. For (band k, track frame c) and a
// candidate (clip j, offset d = τ − c) the squared distance is
//   d² = Σ_{bands k0..k1} Σ_{frames c0..c1} Σ_{rows of the band} (x_t(r, c') − √ᾱ·x_j(r, c' + d))²
// with the band window k ± m and the frame window c ± h clipped to the picture
// and the track, the logit ℓ = −d²·inv + prior_j (inv = 1 / (2·(1 − ᾱ)·ρ)),
// and x̂0(r, c) = Σ softmax(ℓ)·x_j(r, c + d) for the 16 rows of band k.
// The CPU computes d² expanded (‖x‖² − 2√ᾱ⟨x, y⟩ + ᾱ‖y‖², in f64); here it is
// summed directly in f32, which loses nothing to cancellation.
// The work is a list of diagonals (clip j, d, valid columns lo..hi) in the
// CPU's order, taken in chunks of `units`:
//   products:   per (diagonal, frame c'): the band sums of squared differences
//   windows:    per (diagonal, frame c, band): summed over the frame window
//   accumulate: per (frame c, band k): summed over the band window, then an
//               online softmax over the chunk's diagonals (candidates more
//               than `skip` below the running maximum are skipped, as on the CPU)
// `reset` clears the state before a call and `finish` turns it into x̂0 and
// each (band, frame)'s best candidate and its share.

struct Params {
    rows: u32,
    bands: u32,
    cols: u32,
    half_bands: u32,
    half_frames: u32,
    unit_base: u32,
    units: u32,
    row_pitch: u32,
    signal: f32,
    inv: f32,
    skip: f32,
    _pad: u32,
}

// A diagonal: candidate clip, offset d = τ − c, and the track frames lo..hi
// (inclusive) whose windows lie inside the clip.
struct Unit {
    clip: u32,
    d: i32,
    lo: u32,
    hi: u32,
}

// A candidate clip: where its frames start in `clips` (in frames), and its
// log prior per candidate, ln π_j − ln n_j.
struct Clip {
    offset: u32,
    frames: u32,
    prior: f32,
    _pad: u32,
}

const BAND: u32 = 16u;
const NEG_INF: f32 = -3.0e38;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> clips: array<f32>;
@group(0) @binding(3) var<storage, read> units: array<Unit>;
@group(0) @binding(4) var<storage, read> info: array<Clip>;
// Per (chunk diagonal, frame, band): products' band sums, then the windows'.
@group(0) @binding(5) var<storage, read_write> sums: array<f32>;
@group(0) @binding(6) var<storage, read_write> windows: array<f32>;
// Per (frame, band): (running max, sum, best diagonal as bits, 0).
@group(0) @binding(7) var<storage, read_write> state: array<vec4<f32>>;
// Per (frame, row): the weighted sum of the candidates' values.
@group(0) @binding(8) var<storage, read_write> acc: array<f32>;
// x̂0 (frames × rows), then per (frame, band): the best diagonal and its share.
@group(0) @binding(9) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WORKGROUP)
fn reset(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = flat_index(id, params.row_pitch);
    if (i >= params.cols * params.bands) {
        return;
    }
    state[i] = vec4<f32>(NEG_INF, 0.0, 0.0, 0.0);
    for (var j = 0u; j < BAND; j++) {
        acc[i * BAND + j] = 0.0;
    }
}

// Per (chunk diagonal u, frame c'): Σ over each band's rows of
// (x_t − √ᾱ·clip)², for every frame some valid column's window covers.
@compute @workgroup_size(WORKGROUP)
fn products(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = flat_index(id, params.row_pitch);
    if (i >= params.units * params.cols) {
        return;
    }
    let u = i / params.cols;
    let c = i % params.cols;
    let unit = units[params.unit_base + u];
    let h = params.half_frames;
    let first = select(0u, unit.lo - h, unit.lo >= h);
    let last = min(params.cols - 1u, unit.hi + h);
    if (c < first || c > last) {
        return;
    }
    let clip = info[unit.clip];
    let f = u32(i32(c) + unit.d);
    let xb = c * params.rows;
    let yb = (clip.offset + f) * params.rows;
    for (var k = 0u; k < params.bands; k++) {
        var s = 0.0;
        for (var j = 0u; j < BAND; j++) {
            let r = k * BAND + j;
            let e = x[xb + r] - params.signal * clips[yb + r];
            s += e * e;
        }
        sums[(u * params.cols + c) * params.bands + k] = s;
    }
}

// Per (chunk diagonal u, frame c, band k) with c in lo..hi: the band sums
// over the frame window c ± h clipped to the track.
@compute @workgroup_size(WORKGROUP)
fn window_frames(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = flat_index(id, params.row_pitch);
    if (i >= params.units * params.cols * params.bands) {
        return;
    }
    let k = i % params.bands;
    let uc = i / params.bands;
    let u = uc / params.cols;
    let c = uc % params.cols;
    let unit = units[params.unit_base + u];
    if (c < unit.lo || c > unit.hi) {
        return;
    }
    let h = params.half_frames;
    let c0 = select(0u, c - h, c >= h);
    let c1 = min(params.cols, c + h + 1u);
    var s = 0.0;
    for (var cc = c0; cc < c1; cc++) {
        s += sums[(u * params.cols + cc) * params.bands + k];
    }
    windows[i] = s;
}

// Per (frame c, band k): the chunk's candidates, in order, into the online
// softmax.
@compute @workgroup_size(WORKGROUP)
fn accumulate(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = flat_index(id, params.row_pitch);
    if (i >= params.cols * params.bands) {
        return;
    }
    let c = i / params.bands;
    let k = i % params.bands;
    let m = params.half_bands;
    let k0 = select(0u, k - m, k >= m);
    let k1 = min(params.bands, k + m + 1u);
    var st = state[i];
    var a: array<f32, 16>;
    for (var j = 0u; j < BAND; j++) {
        a[j] = acc[i * BAND + j];
    }
    for (var u = 0u; u < params.units; u++) {
        let unit = units[params.unit_base + u];
        if (c < unit.lo || c > unit.hi) {
            continue;
        }
        var d2 = 0.0;
        for (var kk = k0; kk < k1; kk++) {
            d2 += windows[(u * params.cols + c) * params.bands + kk];
        }
        let clip = info[unit.clip];
        let logit = -d2 * params.inv + clip.prior;
        let src = (clip.offset + u32(i32(c) + unit.d)) * params.rows + k * BAND;
        if (logit > st.x) {
            let scale = exp(st.x - logit);
            st.y = st.y * scale + 1.0;
            for (var j = 0u; j < BAND; j++) {
                a[j] = a[j] * scale + clips[src + j];
            }
            st.x = logit;
            st.z = bitcast<f32>(params.unit_base + u);
        } else {
            let diff = logit - st.x;
            if (diff < -params.skip) {
                continue;
            }
            let w = exp(diff);
            st.y += w;
            for (var j = 0u; j < BAND; j++) {
                a[j] += w * clips[src + j];
            }
        }
    }
    state[i] = st;
    for (var j = 0u; j < BAND; j++) {
        acc[i * BAND + j] = a[j];
    }
}

// Per (frame c, band k): x̂0 = acc / sum, and the best diagonal with its share 1 / sum.
@compute @workgroup_size(WORKGROUP)
fn finish(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = flat_index(id, params.row_pitch);
    if (i >= params.cols * params.bands) {
        return;
    }
    let st = state[i];
    let inv = select(0.0, 1.0 / st.y, st.y > 0.0);
    for (var j = 0u; j < BAND; j++) {
        out[i * BAND + j] = acc[i * BAND + j] * inv;
    }
    let n = params.cols * params.rows;
    out[n + 2u * i] = st.z;
    out[n + 2u * i + 1u] = inv;
}
