//! Host side of `fft.wgsl`: batches of radix-2 FFTs, and 2-D FFTs of square planes.

use bytemuck::{Pod, Zeroable};
use rustfft::num_complex::Complex;

use super::{bind, dispatch, pipeline, read_f32, staging, storage_init, uniform};
use super::{GpuContext, GpuError};

const FFT_WGSL: &str = include_str!("fft.wgsl");

/// The longest line fft.wgsl handles (its workgroup array).
pub const MAX_FFT_LEN: u32 = 1024;

#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
struct FftParams {
    n: u32,
    log2n: u32,
    inverse: u32,
    columns: u32,
}

/// Bind groups of one data buffer: rows forward, columns forward, rows inverse, columns inverse.
pub struct FftBindings([wgpu::BindGroup; 4]);

pub struct GpuFft {
    n: u32,
    twiddles: wgpu::Buffer,
    params: [wgpu::Buffer; 4],
    pipeline: wgpu::ComputePipeline,
}

impl GpuFft {
    /// Plans FFTs of length `n` (a power of two, 2 … 1024).
    pub fn new(ctx: &GpuContext, n: u32) -> Self {
        assert!(
            n.is_power_of_two() && (2..=MAX_FFT_LEN).contains(&n),
            "n = {n}"
        );
        let tw: Vec<[f32; 2]> = (0..n / 2)
            .map(|k| {
                let a = -2.0 * std::f64::consts::PI * f64::from(k) / f64::from(n);
                [a.cos() as f32, a.sin() as f32]
            })
            .collect();
        let twiddles = storage_init(ctx, "fft twiddles", bytemuck::cast_slice(&tw));
        let params = [(0, 0), (0, 1), (1, 0), (1, 1)].map(|(inverse, columns)| {
            let b = uniform(ctx, "fft params", 16);
            let p = FftParams {
                n,
                log2n: n.trailing_zeros(),
                inverse,
                columns,
            };
            ctx.queue.write_buffer(&b, 0, bytemuck::bytes_of(&p));
            b
        });
        let module = ctx.shader("fft.wgsl", FFT_WGSL, false);
        let pipeline = pipeline(ctx, &module, "fft_lines");
        Self {
            n,
            twiddles,
            params,
            pipeline,
        }
    }

    /// The line length n.
    pub fn points(&self) -> u32 {
        self.n
    }

    pub fn bind(&self, ctx: &GpuContext, lines: &wgpu::Buffer) -> FftBindings {
        FftBindings([0, 1, 2, 3].map(|k| {
            bind(
                ctx,
                &self.pipeline,
                &[(0, &self.params[k]), (1, &self.twiddles), (2, lines)],
            )
        }))
    }

    /// Records FFTs of `lines` contiguous lines of length n.
    pub fn encode_rows(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        b: &FftBindings,
        lines: u32,
        inverse: bool,
    ) {
        let k = if inverse { 2 } else { 0 };
        dispatch(encoder, &self.pipeline, &b.0[k], (lines, 1));
    }

    /// Records 2-D FFTs of `planes` square n × n planes (rows, then columns).
    pub fn encode_2d(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        b: &FftBindings,
        planes: u32,
        inverse: bool,
    ) {
        let k = if inverse { 2 } else { 0 };
        dispatch(encoder, &self.pipeline, &b.0[k], (planes * self.n, 1));
        dispatch(encoder, &self.pipeline, &b.0[k + 1], (planes * self.n, 1));
    }

    /// One-off unnormalised 2-D FFTs of `planes` planes (for tests and benchmarks).
    pub async fn run_2d(
        &self,
        ctx: &GpuContext,
        data: &[Complex<f32>],
        planes: u32,
        inverse: bool,
    ) -> Result<Vec<Complex<f32>>, GpuError> {
        let flat: Vec<f32> = data.iter().flat_map(|c| [c.re, c.im]).collect();
        let lines = storage_init(ctx, "fft data", bytemuck::cast_slice(&flat));
        let bytes = 4 * flat.len() as u64;
        let st = staging(ctx, "fft staging", bytes);
        let b = self.bind(ctx, &lines);
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        self.encode_2d(&mut encoder, &b, planes, inverse);
        encoder.copy_buffer_to_buffer(&lines, 0, &st, 0, bytes);
        ctx.queue.submit([encoder.finish()]);
        let v = read_f32(ctx, &st, bytes).await?;
        Ok(v.chunks_exact(2)
            .map(|c| Complex::new(c[0], c[1]))
            .collect())
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #[test]
    fn params_have_the_layout_of_their_wgsl_twin() {
        super::super::assert_layout::<super::FftParams>(super::FFT_WGSL, "FftParams", 4);
    }
}
