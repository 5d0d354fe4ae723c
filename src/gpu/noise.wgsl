// Forward noising x_t = signal * x0 + noise * eps, the twin of src/forward/noising.rs.
// Prepended by the host: rng.wgsl (philox4x32_10, gaussian4).
// One invocation per pixel; planes are channel-major (R plane, G plane, B plane).

struct Params {
    width: u32,
    height: u32,
    seed_lo: u32,
    seed_hi: u32,
    stream: u32,
    signal: f32,
    noise: f32,
    // Invocations per dispatch row, for 2-D dispatches of large fields.
    row_pitch: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x0: array<f32>;
@group(0) @binding(2) var<storage, read_write> out_f32: array<f32>;
@group(0) @binding(3) var<storage, read_write> out_u32: array<u32>;

fn pixel_count() -> u32 {
    return params.width * params.height;
}

fn seed() -> vec2<u32> {
    return vec2<u32>(params.seed_lo, params.seed_hi);
}

// The display mapping of image::unit_to_byte: round(clamp((x + 1) * 127.5, 0, 255)).
fn to_byte(x: f32) -> u32 {
    return u32(clamp((x + 1.0) * 127.5, 0.0, 255.0) + 0.5);
}

fn noised(p: u32, n: u32) -> vec3<f32> {
    let g = gaussian4(seed(), params.stream, p, 0u);
    return vec3<f32>(
        params.signal * x0[p] + params.noise * g.x,
        params.signal * x0[n + p] + params.noise * g.y,
        params.signal * x0[2u * n + p] + params.noise * g.z,
    );
}

// x_t as opaque RGBA8, packed little-endian (R in the low byte): what the canvas shows.
@compute @workgroup_size(WORKGROUP)
fn noise_rgba(@builtin(global_invocation_id) id: vec3<u32>) {
    let p = flat_index(id, params.row_pitch);
    let n = pixel_count();
    if (p >= n) {
        return;
    }
    let x = noised(p, n);
    out_u32[p] = to_byte(x.r) | (to_byte(x.g) << 8u) | (to_byte(x.b) << 16u) | (255u << 24u);
}

// x_t as planar f32: for parity tests against the CPU reference.
@compute @workgroup_size(WORKGROUP)
fn noise_field(@builtin(global_invocation_id) id: vec3<u32>) {
    let p = flat_index(id, params.row_pitch);
    let n = pixel_count();
    if (p >= n) {
        return;
    }
    let x = noised(p, n);
    out_f32[p] = x.r;
    out_f32[n + p] = x.g;
    out_f32[2u * n + p] = x.b;
}

// The raw Philox words of elements 0..n: for the integer-stream parity test.
@compute @workgroup_size(WORKGROUP)
fn philox_words(@builtin(global_invocation_id) id: vec3<u32>) {
    let p = flat_index(id, params.row_pitch);
    if (p >= pixel_count()) {
        return;
    }
    let w = rng_words(seed(), params.stream, p, 0u);
    out_u32[4u * p] = w.x;
    out_u32[4u * p + 1u] = w.y;
    out_u32[4u * p + 2u] = w.z;
    out_u32[4u * p + 3u] = w.w;
}

// gaussian4 of elements 0..n: for the Gaussian parity test.
@compute @workgroup_size(WORKGROUP)
fn gaussian_words(@builtin(global_invocation_id) id: vec3<u32>) {
    let p = flat_index(id, params.row_pitch);
    if (p >= pixel_count()) {
        return;
    }
    let g = gaussian4(seed(), params.stream, p, 0u);
    out_f32[4u * p] = g.x;
    out_f32[4u * p + 1u] = g.y;
    out_f32[4u * p + 2u] = g.z;
    out_f32[4u * p + 3u] = g.w;
}
