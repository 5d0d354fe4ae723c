// The archive denoiser, twin of src/denoise/archive.rs.
// distances: one workgroup per item: log w_i = −‖x_t − √ᾱ·x_i‖² / (2(1 − ᾱ)).
// softmax:   one invocation: weights over all items and over the tag's items (log-sum-exp).
// combine:   one invocation per value: x̂0_all = Σ w_i·x_i and x̂0_tag likewise.

struct Params {
    items: u32,
    dim: u32,
    signal: f32,
    inv_two_var: f32,
    has_tag: u32,
    row_pitch: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> data: array<f32>;
@group(0) @binding(2) var<storage, read> x_t: array<f32>;
@group(0) @binding(3) var<storage, read> mask: array<u32>;
@group(0) @binding(4) var<storage, read_write> logits: array<f32>;
// weights[i] over all items, weights[items + i] over the tag's items.
@group(0) @binding(5) var<storage, read_write> weights: array<f32>;
// out[d] = x̂0_all, out[dim + d] = x̂0_tag.
@group(0) @binding(6) var<storage, read_write> out: array<f32>;

var<workgroup> partial: array<f32, WORKGROUP>;

@compute @workgroup_size(WORKGROUP)
fn distances(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let i = wg.x;
    let base = i * params.dim;
    var acc = 0.0;
    for (var d = li; d < params.dim; d += WORKGROUP) {
        let e = x_t[d] - params.signal * data[base + d];
        acc += e * e;
    }
    partial[li] = acc;
    workgroupBarrier();
    for (var half = WORKGROUP / 2u; half > 0u; half /= 2u) {
        if (li < half) {
            partial[li] += partial[li + half];
        }
        workgroupBarrier();
    }
    if (li == 0u) {
        logits[i] = -partial[0] * params.inv_two_var;
    }
}

@compute @workgroup_size(1)
fn softmax() {
    let n = params.items;
    var m_all = -3.0e38;
    var m_tag = -3.0e38;
    for (var i = 0u; i < n; i++) {
        m_all = max(m_all, logits[i]);
        if (mask[i] != 0u) {
            m_tag = max(m_tag, logits[i]);
        }
    }
    var s_all = 0.0;
    var s_tag = 0.0;
    for (var i = 0u; i < n; i++) {
        s_all += exp(logits[i] - m_all);
        if (mask[i] != 0u) {
            s_tag += exp(logits[i] - m_tag);
        }
    }
    for (var i = 0u; i < n; i++) {
        weights[i] = exp(logits[i] - m_all) / s_all;
        var w = 0.0;
        if (mask[i] != 0u && s_tag > 0.0) {
            w = exp(logits[i] - m_tag) / s_tag;
        }
        weights[n + i] = w;
    }
}

@compute @workgroup_size(WORKGROUP)
fn combine(@builtin(global_invocation_id) id: vec3<u32>) {
    let d = flat_index(id, params.row_pitch);
    if (d >= params.dim) {
        return;
    }
    let n = params.items;
    var all = 0.0;
    var tag = 0.0;
    for (var i = 0u; i < n; i++) {
        let x = data[i * params.dim + d];
        all += weights[i] * x;
        tag += weights[n + i] * x;
    }
    out[d] = all;
    out[params.dim + d] = tag;
}
