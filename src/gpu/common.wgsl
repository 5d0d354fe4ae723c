// Shared by every kernel: GpuContext::shader prepends this file, after
// `const WORKGROUP: u32`, which it writes from the Rust constant
// gpu::WORKGROUP_SIZE (one definition for host and shaders).

// The flat index of an invocation in a 2-D dispatch whose rows hold
// `row_pitch` invocations (gpu::dispatch_grid chooses the grid and pitch).
fn flat_index(id: vec3<u32>, row_pitch: u32) -> u32 {
    return id.y * row_pitch + id.x;
}

// The product of two complex numbers stored as (re, im).
fn cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}
