//! Host side of `archive.wgsl`: the archive denoiser on the GPU.

use bytemuck::{Pod, Zeroable};

use super::{
    bind, dispatch, dispatch_grid, pipeline, read_f32, staging, storage, storage_init, uniform,
};
use super::{GpuContext, GpuError};
use crate::archive::dataset::Dataset;

const ARCHIVE_WGSL: &str = include_str!("archive.wgsl");

/// Mirrors `struct Params` in archive.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
struct Params {
    items: u32,
    dim: u32,
    signal: f32,
    inv_two_var: f32,
    has_tag: u32,
    row_pitch: u32,
    _pad: [u32; 2],
}

/// What the archive kernel returns.
pub struct ArchiveOutput {
    pub x0_all: Vec<f32>,
    pub x0_tag: Vec<f32>,
    pub weights_all: Vec<f32>,
    pub weights_tag: Vec<f32>,
}

pub struct GpuArchive {
    ctx: GpuContext,
    items: usize,
    dim: usize,
    params: wgpu::Buffer,
    weights: wgpu::Buffer,
    out: wgpu::Buffer,
    staging: wgpu::Buffer,
    passes: [(wgpu::ComputePipeline, wgpu::BindGroup); 3],
}

impl GpuArchive {
    /// Uploads the items; `x_t` is the shared input buffer (D f32 values).
    pub fn new(ctx: &GpuContext, set: &Dataset, mask: Option<&[bool]>, x_t: &wgpu::Buffer) -> Self {
        let (items, dim) = (set.len(), set.dim());
        let module = ctx.shader("archive.wgsl", ARCHIVE_WGSL, false);
        let params = uniform(ctx, "archive params", std::mem::size_of::<Params>() as u64);
        let data = storage_init(ctx, "archive items", bytemuck::cast_slice(set.data()));
        let mask_u32: Vec<u32> = (0..items)
            .map(|i| u32::from(mask.is_some_and(|m| m[i])))
            .collect();
        let mask = storage_init(ctx, "archive mask", bytemuck::cast_slice(&mask_u32));
        let logits = storage(ctx, "archive logits", 4 * items as u64);
        let weights = storage(ctx, "archive weights", 8 * items as u64);
        let out = storage(ctx, "archive x0", 8 * dim as u64);
        let staging = staging(ctx, "archive staging", 8 * (items + dim) as u64);
        let p_dist = pipeline(ctx, &module, "distances");
        let p_soft = pipeline(ctx, &module, "softmax");
        let p_comb = pipeline(ctx, &module, "combine");
        let b_dist = bind(
            ctx,
            &p_dist,
            &[(0, &params), (1, &data), (2, x_t), (4, &logits)],
        );
        let b_soft = bind(
            ctx,
            &p_soft,
            &[(0, &params), (3, &mask), (4, &logits), (5, &weights)],
        );
        let b_comb = bind(
            ctx,
            &p_comb,
            &[(0, &params), (1, &data), (5, &weights), (6, &out)],
        );
        Self {
            ctx: ctx.clone(),
            items,
            dim,
            params,
            weights,
            out,
            staging,
            passes: [(p_dist, b_dist), (p_soft, b_soft), (p_comb, b_comb)],
        }
    }

    /// Runs on the x_t already in the shared input buffer.
    pub async fn run(&self, alpha_bar: f64) -> Result<ArchiveOutput, GpuError> {
        self.ctx.check_alive()?;
        let (gx, gy, row_pitch) = dispatch_grid(self.dim as u32);
        let p = Params {
            items: self.items as u32,
            dim: self.dim as u32,
            signal: alpha_bar.sqrt() as f32,
            inv_two_var: (0.5 / (1.0 - alpha_bar).max(1e-12)) as f32,
            has_tag: 1,
            row_pitch,
            _pad: [0; 2],
        };
        self.ctx
            .queue
            .write_buffer(&self.params, 0, bytemuck::bytes_of(&p));
        let mut encoder = self.ctx.device.create_command_encoder(&Default::default());
        let [(p0, b0), (p1, b1), (p2, b2)] = &self.passes;
        dispatch(&mut encoder, p0, b0, (self.items as u32, 1));
        dispatch(&mut encoder, p1, b1, (1, 1));
        dispatch(&mut encoder, p2, b2, (gx, gy));
        let w_bytes = 8 * self.items as u64;
        encoder.copy_buffer_to_buffer(&self.weights, 0, &self.staging, 0, w_bytes);
        encoder.copy_buffer_to_buffer(&self.out, 0, &self.staging, w_bytes, 8 * self.dim as u64);
        self.ctx.queue.submit([encoder.finish()]);
        let v = read_f32(&self.ctx, &self.staging, w_bytes + 8 * self.dim as u64).await?;
        let (n, d) = (self.items, self.dim);
        Ok(ArchiveOutput {
            weights_all: v[..n].to_vec(),
            weights_tag: v[n..2 * n].to_vec(),
            x0_all: v[2 * n..2 * n + d].to_vec(),
            x0_tag: v[2 * n + d..2 * n + 2 * d].to_vec(),
        })
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #[test]
    fn params_have_the_layout_of_their_wgsl_twin() {
        super::super::assert_layout::<super::Params>(super::ARCHIVE_WGSL, "Params", 8);
    }
}
