// The local patch (ELS) denoiser, twin of src/denoise/patch/ (step.rs, simd.rs).
// The candidates are (item, displacement) pairs, item-major over the listed
// candidate items; the displacements are every one (span = S, first = 0) or,
// with locality in position, the span × span window starting at `first`
// (−W mod S) on each axis. A batch of pairs is processed by three kernels:
//   box_rows:    per (pair, row): Σ_c (x_t(p) − √ᾱ·x_i(p + d))², boxed along the row
//   box_columns: per (pair, column): the row boxes boxed along the column
//   accumulate:  per pixel: log-sum-exp accumulation over the batch's pairs
// `differences` first fills the batch's per-pixel squared differences that the
// two box kernels sum. `reset` clears the per-pixel state before a step and
// `finish` turns it into x̂0 (all items and the tag's items) and each item's
// share of every pixel in each of the two estimates.
// With `interior` set, a (pixel, displacement) pair counts only where the
// candidate's centre p + d lies at least the radius from every edge of the item
// (the published machine: only x_t is padded, circularly). The all-items and
// the tag's accumulators each skip log-weights more than `cutoff` below their
// own running maximum, as in patch.rs.

struct Params {
    edge: u32,
    items: u32,
    pair_base: u32,
    batch: u32,
    radius: u32,
    signal: f32,
    inv_two_var: f32,
    cutoff: f32,
    row_pitch: u32,
    interior: u32,
    span: u32,
    first: u32,
    candidates: u32,
    _pad1: u32,
    _pad2: u32,
    _pad3: u32,
}

// Per-pixel state: max, sum, value rgb (all items); the same for the tag's
// items; the (max, sum) snapshots of both at the start of the current item.
const STATE: u32 = 14u;
const NEG_INF: f32 = -3.0e38;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> data: array<f32>;
@group(0) @binding(2) var<storage, read> x_t: array<f32>;
@group(0) @binding(3) var<storage, read> mask: array<u32>;
@group(0) @binding(4) var<storage, read_write> rows: array<f32>;
@group(0) @binding(5) var<storage, read_write> boxed: array<f32>;
@group(0) @binding(6) var<storage, read_write> state: array<f32>;
// Per (item, pixel): (max, sum) of the item's own contribution to the
// all-items accumulator, then to the tag's.
@group(0) @binding(7) var<storage, read_write> item_state: array<vec4<f32>>;
// x̂0_all (3·S²), x̂0_tag (3·S²), then shares in x̂0_all and in x̂0_tag
// (S² · items each, pixel-major).
@group(0) @binding(8) var<storage, read_write> out: array<f32>;
// The items compared, in order (candidate slot → item index).
@group(0) @binding(9) var<storage, read> candidates: array<u32>;

// A pair's item, its displacement index within the item's pairs, and the
// displacement itself (dx, dy) mod S.
struct Pair {
    item: u32,
    w: u32,
    dx: u32,
    dy: u32,
}

fn pair_of(pair: u32) -> Pair {
    let per_item = params.span * params.span;
    let w = pair % per_item;
    let m = params.edge - 1u;
    return Pair(
        candidates[pair / per_item],
        w,
        (w % params.span + params.first) & m,
        (w / params.span + params.first) & m,
    );
}

// Per (pair, pixel): Σ_c (x_t(p) − √ᾱ·item(p + d))², with wrap-around, into `boxed`
// (used as scratch until box_columns overwrites it). S is a power of two, so
// "mod S" is "& (S − 1)".
@compute @workgroup_size(WORKGROUP)
fn differences(@builtin(global_invocation_id) id: vec3<u32>) {
    let s = params.edge;
    let n = s * s;
    let k = flat_index(id, params.row_pitch);
    if (k >= params.batch * n) {
        return;
    }
    let j = k / n;
    let p = k % n;
    let pr = pair_of(params.pair_base + j);
    let m = s - 1u;
    let q = (((p / s) + pr.dy) & m) * s + (((p & m) + pr.dx) & m);
    let base = pr.item * 3u * n;
    let e0 = x_t[p] - params.signal * data[base + q];
    let e1 = x_t[n + p] - params.signal * data[base + n + q];
    let e2 = x_t[2u * n + p] - params.signal * data[base + 2u * n + q];
    boxed[k] = e0 * e0 + e1 * e1 + e2 * e2;
}

// Per (pair, row): running box sums of the differences along the row. A
// running sum subtracts the value that leaves the window, so the small
// distances of close patches carry the rounding of large ones that passed
// through: at ᾱ near 1 (weights e^(−d/(2(1−ᾱ)))) this moves x̂0 by up to 3e-3
// from an f64 reference, where patch.rs (which sums without subtracting) is
// within 7e-4. Summing each box afresh here made a 32 px step over the 67
// items 2.2× slower on lavapipe at P = 17 (1.8 → 3.9 s) and 1.6× at P = 9,
// so the running sums stay.
@compute @workgroup_size(WORKGROUP)
fn box_rows(@builtin(global_invocation_id) id: vec3<u32>) {
    let s = params.edge;
    let k = flat_index(id, params.row_pitch);
    if (k >= params.batch * s) {
        return;
    }
    let m = s - 1u;
    let r = params.radius;
    let base = k * s;
    var sum = 0.0;
    for (var t = 0u; t <= 2u * r; t++) {
        sum += boxed[base + ((t + s - r) & m)];
    }
    rows[base] = sum;
    for (var x = 1u; x < s; x++) {
        sum += boxed[base + ((x + r) & m)];
        sum -= boxed[base + ((x + s - r - 1u) & m)];
        rows[base + x] = sum;
    }
}

@compute @workgroup_size(WORKGROUP)
fn box_columns(@builtin(global_invocation_id) id: vec3<u32>) {
    let s = params.edge;
    let k = flat_index(id, params.row_pitch);
    if (k >= params.batch * s) {
        return;
    }
    let j = k / s;
    let x = k % s;
    let r = params.radius;
    let base = j * s * s + x;
    var sum = 0.0;
    for (var t = 0u; t <= 2u * r; t++) {
        sum += rows[base + ((t + s - r) % s) * s];
    }
    boxed[base] = sum;
    for (var y = 1u; y < s; y++) {
        sum += rows[base + ((y + r) % s) * s];
        sum -= rows[base + ((y + s - r - 1u) % s) * s];
        boxed[base + y * s] = sum;
    }
}

@compute @workgroup_size(WORKGROUP)
fn reset(@builtin(global_invocation_id) id: vec3<u32>) {
    let p = flat_index(id, params.row_pitch);
    if (p >= params.edge * params.edge) {
        return;
    }
    for (var k = 0u; k < STATE; k++) {
        state[p * STATE + k] = 0.0;
    }
    state[p * STATE] = NEG_INF;
    state[p * STATE + 5u] = NEG_INF;
    state[p * STATE + 10u] = NEG_INF;
    state[p * STATE + 12u] = NEG_INF;
    for (var i = 0u; i < params.items; i++) {
        item_state[i * params.edge * params.edge + p] = vec4<f32>(NEG_INF, 0.0, NEG_INF, 0.0);
    }
}

// An online log-sum-exp accumulator, kept in registers during a batch.
struct Acc {
    max: f32,
    sum: f32,
    value: vec3<f32>,
}

// Adds weight exp(l) on v: the twin of Acc::add in patch.rs.
fn acc_add(a: ptr<function, Acc>, l: f32, v: vec3<f32>) {
    if (l > (*a).max) {
        let scale = exp((*a).max - l);
        (*a).sum = (*a).sum * scale + 1.0;
        (*a).value = (*a).value * scale + v;
        (*a).max = l;
    } else {
        let e = exp(l - (*a).max);
        (*a).sum += e;
        (*a).value += e * v;
    }
}

// The item's own part of an accumulator, given its (max, sum) before the item.
fn own_part(a: Acc, snap_max: f32, snap_sum: f32) -> vec2<f32> {
    var carried = 0.0;
    if (snap_max > NEG_INF) {
        carried = snap_sum * exp(snap_max - a.max);
    }
    return vec2<f32>(a.max, max(a.sum - carried, 0.0));
}

// Whether a patch of radius r centred at coordinate v lies inside the item.
fn inside(v: u32) -> bool {
    let r = params.radius;
    return params.interior == 0u || (v >= r && v + r < params.edge);
}

@compute @workgroup_size(WORKGROUP)
fn accumulate(@builtin(global_invocation_id) id: vec3<u32>) {
    let s = params.edge;
    let n = s * s;
    let p = flat_index(id, params.row_pitch);
    if (p >= n) {
        return;
    }
    let m = s - 1u;
    let x = p & m;
    let y = p / s;
    let at = p * STATE;
    var all = Acc(state[at], state[at + 1u], vec3<f32>(state[at + 2u], state[at + 3u], state[at + 4u]));
    var tag = Acc(state[at + 5u], state[at + 6u], vec3<f32>(state[at + 7u], state[at + 8u], state[at + 9u]));
    var snap_all = vec2<f32>(state[at + 10u], state[at + 11u]);
    var snap_tag = vec2<f32>(state[at + 12u], state[at + 13u]);
    let per_item = params.span * params.span;
    for (var j = 0u; j < params.batch; j++) {
        let pr = pair_of(params.pair_base + j);
        let item = pr.item;
        let in_tag = mask[item] != 0u;
        if (pr.w == 0u) {
            snap_all = vec2<f32>(all.max, all.sum);
            snap_tag = vec2<f32>(tag.max, tag.sum);
        }
        let qy = (y + pr.dy) & m;
        let qx = (x + pr.dx) & m;
        let l = -boxed[j * n + p] * params.inv_two_var;
        let keep_all = l >= all.max - params.cutoff;
        let keep_tag = in_tag && l >= tag.max - params.cutoff;
        if (inside(qx) && inside(qy) && (keep_all || keep_tag)) {
            let q = qy * s + qx;
            let base = item * 3u * n;
            let v = vec3<f32>(data[base + q], data[base + n + q], data[base + 2u * n + q]);
            if (keep_all) {
                acc_add(&all, l, v);
            }
            if (keep_tag) {
                acc_add(&tag, l, v);
            }
        }
        if (pr.w == per_item - 1u) {
            var own = vec4<f32>(own_part(all, snap_all.x, snap_all.y), NEG_INF, 0.0);
            if (in_tag) {
                own = vec4<f32>(own.xy, own_part(tag, snap_tag.x, snap_tag.y));
            }
            item_state[item * n + p] = own;
        }
    }
    state[at] = all.max;
    state[at + 1u] = all.sum;
    state[at + 2u] = all.value.x;
    state[at + 3u] = all.value.y;
    state[at + 4u] = all.value.z;
    state[at + 5u] = tag.max;
    state[at + 6u] = tag.sum;
    state[at + 7u] = tag.value.x;
    state[at + 8u] = tag.value.y;
    state[at + 9u] = tag.value.z;
    state[at + 10u] = snap_all.x;
    state[at + 11u] = snap_all.y;
    state[at + 12u] = snap_tag.x;
    state[at + 13u] = snap_tag.y;
}

@compute @workgroup_size(WORKGROUP)
fn finish(@builtin(global_invocation_id) id: vec3<u32>) {
    let n = params.edge * params.edge;
    let p = flat_index(id, params.row_pitch);
    if (p >= n) {
        return;
    }
    let at = p * STATE;
    let sum = state[at + 1u];
    let tag_sum = state[at + 6u];
    for (var c = 0u; c < 3u; c++) {
        var all = 0.0;
        if (sum > 0.0) {
            all = state[at + 2u + c] / sum;
        }
        var tag = 0.0;
        if (tag_sum > 0.0) {
            tag = state[at + 7u + c] / tag_sum;
        }
        out[c * n + p] = all;
        out[3u * n + c * n + p] = tag;
    }
    let shares = 6u * n + p * params.items;
    let shares_tag = shares + n * params.items;
    for (var i = 0u; i < params.items; i++) {
        let st = item_state[i * n + p];
        var share = 0.0;
        if (st.y > 0.0 && sum > 0.0) {
            share = st.y * exp(st.x - state[at]) / sum;
        }
        out[shares + i] = share;
        var share_tag = 0.0;
        if (st.w > 0.0 && tag_sum > 0.0) {
            share_tag = st.w * exp(st.z - state[at + 5u]) / tag_sum;
        }
        out[shares_tag + i] = share_tag;
    }
}
