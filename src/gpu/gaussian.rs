//! Host side of `gaussian.wgsl` (with `fft.wgsl`): the Wiener denoiser on the GPU.

use bytemuck::{Pod, Zeroable};

use super::fft::{FftBindings, GpuFft};
use super::{
    bind, dispatch, dispatch_grid, pipeline, read_f32, staging, storage, storage_init, uniform,
};
use super::{GpuContext, GpuError};
use crate::denoise::gaussian::GaussianModel;

const GAUSSIAN_WGSL: &str = include_str!("gaussian.wgsl");

#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
struct Params {
    pixels: u32,
    alpha_bar: f32,
    signal: f32,
    row_pitch: u32,
}

struct Model {
    wiener: wgpu::BindGroup,
    store: wgpu::BindGroup,
    out: wgpu::Buffer,
}

pub struct GpuGaussian {
    ctx: GpuContext,
    edge: u32,
    params: wgpu::Buffer,
    fft: GpuFft,
    fft_bind: FftBindings,
    load: (wgpu::ComputePipeline, wgpu::BindGroup),
    wiener: wgpu::ComputePipeline,
    store: wgpu::ComputePipeline,
    models: Vec<Model>,
    staging: wgpu::Buffer,
}

impl GpuGaussian {
    /// Uploads one or two models (all items, then the tag's); `x_t` is the shared input.
    pub fn new(ctx: &GpuContext, models: &[&GaussianModel], x_t: &wgpu::Buffer) -> Self {
        let edge = models[0].edge();
        let n = u64::from(edge * edge);
        let module = ctx.shader("gaussian.wgsl", GAUSSIAN_WGSL, false);
        let params = uniform(ctx, "gaussian params", 16);
        let spectrum = storage(ctx, "gaussian spectrum", 3 * n * 8);
        let fft = GpuFft::new(ctx, edge);
        let fft_bind = fft.bind(ctx, &spectrum);
        let p_load = pipeline(ctx, &module, "load");
        let wiener = pipeline(ctx, &module, "wiener");
        let store = pipeline(ctx, &module, "store");
        let b_load = bind(ctx, &p_load, &[(0, &params), (1, x_t), (2, &spectrum)]);
        let models = models
            .iter()
            .map(|m| {
                let mean: Vec<f32> = m.mean_dft().iter().flat_map(|c| [c.re, c.im]).collect();
                let mean = storage_init(ctx, "gaussian mean", bytemuck::cast_slice(&mean));
                let cov =
                    storage_init(ctx, "gaussian cov", bytemuck::cast_slice(m.cross_spectra()));
                let out = storage(ctx, "gaussian x0", 3 * n * 4);
                Model {
                    wiener: bind(
                        ctx,
                        &wiener,
                        &[(0, &params), (2, &spectrum), (3, &mean), (4, &cov)],
                    ),
                    store: bind(ctx, &store, &[(0, &params), (2, &spectrum), (5, &out)]),
                    out,
                }
            })
            .collect::<Vec<_>>();
        let staging = staging(ctx, "gaussian staging", models.len() as u64 * 3 * n * 4);
        Self {
            ctx: ctx.clone(),
            edge,
            params,
            fft,
            fft_bind,
            load: (p_load, b_load),
            wiener,
            store,
            models,
            staging,
        }
    }

    /// x̂0 of each model for the x_t already in the shared input buffer.
    pub async fn run(&self, alpha_bar: f64) -> Result<Vec<Vec<f32>>, GpuError> {
        self.ctx.check_alive()?;
        let n = self.edge * self.edge;
        let (vx, vy, row_pitch) = dispatch_grid(3 * n);
        let (fx, fy, _) = dispatch_grid(n);
        // At 64 px both grids are a single row of workgroups (y = 1), so the
        // pitch of the larger one serves both.
        let p = Params {
            pixels: n,
            alpha_bar: alpha_bar as f32,
            signal: alpha_bar.sqrt() as f32,
            row_pitch,
        };
        self.ctx
            .queue
            .write_buffer(&self.params, 0, bytemuck::bytes_of(&p));
        let mut encoder = self.ctx.device.create_command_encoder(&Default::default());
        let bytes = 3 * u64::from(n) * 4;
        for (k, m) in self.models.iter().enumerate() {
            dispatch(&mut encoder, &self.load.0, &self.load.1, (vx, vy));
            self.fft.encode_2d(&mut encoder, &self.fft_bind, 3, false);
            dispatch(&mut encoder, &self.wiener, &m.wiener, (fx, fy));
            self.fft.encode_2d(&mut encoder, &self.fft_bind, 3, true);
            dispatch(&mut encoder, &self.store, &m.store, (vx, vy));
            encoder.copy_buffer_to_buffer(&m.out, 0, &self.staging, k as u64 * bytes, bytes);
        }
        self.ctx.queue.submit([encoder.finish()]);
        let v = read_f32(&self.ctx, &self.staging, bytes * self.models.len() as u64).await?;
        Ok(v.chunks_exact(3 * n as usize)
            .map(<[f32]>::to_vec)
            .collect())
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #[test]
    fn params_have_the_layout_of_their_wgsl_twin() {
        super::super::assert_layout::<super::Params>(super::GAUSSIAN_WGSL, "Params", 4);
    }
}
