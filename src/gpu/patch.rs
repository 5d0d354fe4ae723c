//! Host side of `patch.wgsl`: the local patch (ELS) denoiser on the GPU, over
//! the listed candidate items (every item, from `GpuDenoiser`) and every
//! candidate position, or the window of positions the patch shape names.

use bytemuck::{Pod, Zeroable};

use super::{dispatch, dispatch_grid, kernel, read_f32, staging, storage, storage_init, uniform};
use super::{GpuContext, GpuError};
use crate::archive::dataset::Dataset;
use crate::denoise::patch::{Border, PatchShape, CUTOFF};

const PATCH_WGSL: &str = include_str!("patch.wgsl");

/// Scratch per batch: two buffers of `batch · S²` f32 each, at most 16 MiB apiece.
const SCRATCH_VALUES: u32 = 4 << 20;
/// Per-pixel accumulator state (see STATE in patch.wgsl).
const STATE: u64 = 14;

#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
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
    _pad: [u32; 3],
}

/// What the patch kernel returns.
pub struct PatchOutput {
    pub x0_all: Vec<f32>,
    pub x0_tag: Vec<f32>,
    /// Pixel-major shares of each item in x̂0_all and in x̂0_tag.
    pub shares: Vec<f32>,
    pub shares_tag: Vec<f32>,
}

pub struct GpuPatch {
    ctx: GpuContext,
    edge: u32,
    items: u32,
    batch: u32,
    params: wgpu::Buffer,
    candidates: wgpu::Buffer,
    out: wgpu::Buffer,
    staging: wgpu::Buffer,
    reset: (wgpu::ComputePipeline, wgpu::BindGroup),
    differences: (wgpu::ComputePipeline, wgpu::BindGroup),
    rows: (wgpu::ComputePipeline, wgpu::BindGroup),
    columns: (wgpu::ComputePipeline, wgpu::BindGroup),
    accumulate: (wgpu::ComputePipeline, wgpu::BindGroup),
    finish: (wgpu::ComputePipeline, wgpu::BindGroup),
}

impl GpuPatch {
    pub fn new(ctx: &GpuContext, set: &Dataset, mask: Option<&[bool]>, x_t: &wgpu::Buffer) -> Self {
        let edge = set.edge();
        assert!(edge.is_power_of_two(), "patch.wgsl wraps with a bit mask");
        let n = u64::from(edge * edge);
        let items = set.len() as u32;
        let batch = (SCRATCH_VALUES / (edge * edge)).max(1);
        let module = ctx.shader("patch.wgsl", PATCH_WGSL, false);
        let params = uniform(ctx, "patch params", std::mem::size_of::<Params>() as u64);
        let data = storage_init(ctx, "patch items", bytemuck::cast_slice(set.data()));
        let mask_u32: Vec<u32> = (0..set.len())
            .map(|i| u32::from(mask.is_some_and(|m| m[i])))
            .collect();
        let mask = storage_init(ctx, "patch mask", bytemuck::cast_slice(&mask_u32));
        let candidates = storage(ctx, "patch candidates", u64::from(items.max(1)) * 4);
        let rows = storage(ctx, "patch rows", u64::from(batch) * n * 4);
        let boxed = storage(ctx, "patch boxes", u64::from(batch) * n * 4);
        let state = storage(ctx, "patch state", n * STATE * 4);
        let item_state = storage(ctx, "patch item state", n * u64::from(items) * 16);
        let out_len = 6 * n + 2 * n * u64::from(items);
        let out = storage(ctx, "patch out", out_len * 4);
        let staging = staging(ctx, "patch staging", out_len * 4);
        let make =
            |entry: &str, entries: &[(u32, &wgpu::Buffer)]| kernel(ctx, &module, entry, entries);
        Self {
            ctx: ctx.clone(),
            edge,
            items,
            batch,
            reset: make("reset", &[(0, &params), (6, &state), (7, &item_state)]),
            differences: make(
                "differences",
                &[
                    (0, &params),
                    (1, &data),
                    (2, x_t),
                    (5, &boxed),
                    (9, &candidates),
                ],
            ),
            rows: make("box_rows", &[(0, &params), (4, &rows), (5, &boxed)]),
            columns: make("box_columns", &[(0, &params), (4, &rows), (5, &boxed)]),
            accumulate: make(
                "accumulate",
                &[
                    (0, &params),
                    (1, &data),
                    (3, &mask),
                    (5, &boxed),
                    (6, &state),
                    (7, &item_state),
                    (9, &candidates),
                ],
            ),
            finish: make(
                "finish",
                &[(0, &params), (6, &state), (7, &item_state), (8, &out)],
            ),
            params,
            candidates,
            out,
            staging,
        }
    }

    /// Candidate (item, displacement) pairs per batch.
    pub fn batch(&self) -> u32 {
        self.batch
    }

    /// Runs on the x_t already in the shared input buffer with an odd patch
    /// size, comparing the patches of the `candidates` items (indices into the set).
    pub async fn run(
        &self,
        alpha_bar: f64,
        shape: PatchShape,
        candidates: &[u32],
    ) -> Result<PatchOutput, GpuError> {
        self.ctx.check_alive()?;
        assert!(
            candidates.len() <= self.items as usize && candidates.iter().all(|&i| i < self.items)
        );
        let s = self.edge;
        let n = s * s;
        let (span, first) = shape.displacements(s);
        let total = candidates.len() as u32 * span * span;
        self.ctx
            .queue
            .write_buffer(&self.candidates, 0, bytemuck::cast_slice(candidates));
        let mut p = Params {
            edge: s,
            items: self.items,
            pair_base: 0,
            batch: 0,
            radius: (shape.size - 1) / 2,
            signal: alpha_bar.sqrt() as f32,
            inv_two_var: (0.5 / (1.0 - alpha_bar).max(1e-12)) as f32,
            cutoff: CUTOFF,
            row_pitch: 0,
            interior: u32::from(shape.border == Border::Interior),
            span,
            first,
            candidates: candidates.len() as u32,
            _pad: [0; 3],
        };
        let (px, py, pitch_pixels) = dispatch_grid(n);
        // Pixel kernels and line kernels use their own pitch: write params per use.
        p.row_pitch = pitch_pixels;
        self.ctx
            .queue
            .write_buffer(&self.params, 0, bytemuck::bytes_of(&p));
        let mut encoder = self.ctx.device.create_command_encoder(&Default::default());
        dispatch(&mut encoder, &self.reset.0, &self.reset.1, (px, py));
        self.ctx.queue.submit([encoder.finish()]);
        let mut base = 0;
        while base < total {
            let batch = self.batch.min(total - base);
            // Each kernel has its own grid; each submission sees the parameters
            // written just before it (write_buffer is ordered with submit).
            let grids = [
                (&self.differences, dispatch_grid(batch * n)),
                (&self.rows, dispatch_grid(batch * s)),
                (&self.columns, dispatch_grid(batch * s)),
                (&self.accumulate, (px, py, pitch_pixels)),
            ];
            p.pair_base = base;
            p.batch = batch;
            for ((pipeline, bind_group), (gx, gy, pitch)) in grids {
                p.row_pitch = pitch;
                self.ctx
                    .queue
                    .write_buffer(&self.params, 0, bytemuck::bytes_of(&p));
                let mut encoder = self.ctx.device.create_command_encoder(&Default::default());
                dispatch(&mut encoder, pipeline, bind_group, (gx, gy));
                self.ctx.queue.submit([encoder.finish()]);
            }
            base += batch;
        }
        let mut encoder = self.ctx.device.create_command_encoder(&Default::default());
        dispatch(&mut encoder, &self.finish.0, &self.finish.1, (px, py));
        let out_bytes = (6 + 2 * u64::from(self.items)) * u64::from(n) * 4;
        encoder.copy_buffer_to_buffer(&self.out, 0, &self.staging, 0, out_bytes);
        self.ctx.queue.submit([encoder.finish()]);
        let v = read_f32(&self.ctx, &self.staging, out_bytes).await?;
        let d = 3 * n as usize;
        let k = n as usize * self.items as usize;
        Ok(PatchOutput {
            x0_all: v[..d].to_vec(),
            x0_tag: v[d..2 * d].to_vec(),
            shares: v[2 * d..2 * d + k].to_vec(),
            shares_tag: v[2 * d + k..].to_vec(),
        })
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #[test]
    fn params_have_the_layout_of_their_wgsl_twin() {
        super::super::assert_layout::<super::Params>(super::PATCH_WGSL, "Params", 16);
    }
}
