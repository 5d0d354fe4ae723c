//! Host side of `noise.wgsl`: forward noising on the GPU.

use bytemuck::{Pod, Zeroable};
use wgpu::util::DeviceExt;

use super::{dispatch_grid, GpuContext, GpuError};
use crate::forward::noising::NoiseParams;
use crate::image::{ImageField, CHANNELS};
use crate::rng::STREAM_FORWARD_NOISE;

const NOISE_WGSL: &str = include_str!("noise.wgsl");

/// Mirrors `struct Params` in noise.wgsl (32 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
struct GpuParams {
    width: u32,
    height: u32,
    seed_lo: u32,
    seed_hi: u32,
    stream: u32,
    signal: f32,
    noise: f32,
    row_pitch: u32,
}

/// Which entry point of noise.wgsl to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoiseEntry {
    /// x_t as packed RGBA8 (what the page draws).
    Rgba,
    /// x_t as planar f32.
    Field,
    /// Raw Philox words, four per element.
    PhiloxWords,
    /// gaussian4 per element, four f32 per element.
    Gaussians,
}

impl NoiseEntry {
    fn name(self) -> &'static str {
        match self {
            Self::Rgba => "noise_rgba",
            Self::Field => "noise_field",
            Self::PhiloxWords => "philox_words",
            Self::Gaussians => "gaussian_words",
        }
    }

    /// Bytes written per pixel/element.
    fn bytes_per_element(self) -> u64 {
        match self {
            Self::Rgba => 4,
            Self::Field => 4 * CHANNELS as u64,
            Self::PhiloxWords | Self::Gaussians => 16,
        }
    }

    fn writes_f32(self) -> bool {
        matches!(self, Self::Field | Self::Gaussians)
    }
}

/// The image currently on the GPU, with its per-size buffers and bind group.
struct Resident {
    width: u32,
    height: u32,
    x0: wgpu::Buffer,
    out: wgpu::Buffer,
    staging: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
}

/// Forward noising through wgpu: the image stays on the GPU, and each frame
/// costs one dispatch and one RGBA8 read-back.
pub struct GpuNoiser {
    ctx: GpuContext,
    module: wgpu::ShaderModule,
    pipeline: wgpu::ComputePipeline,
    params: wgpu::Buffer,
    resident: Option<Resident>,
}

impl GpuNoiser {
    pub fn new(ctx: GpuContext) -> Self {
        let module = ctx.shader("noise.wgsl", NOISE_WGSL, true);
        let pipeline = Self::make_pipeline(&ctx, &module, NoiseEntry::Rgba);
        let params = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("noise params"),
            size: std::mem::size_of::<GpuParams>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Self {
            ctx,
            module,
            pipeline,
            params,
            resident: None,
        }
    }

    pub fn context(&self) -> &GpuContext {
        &self.ctx
    }

    fn make_pipeline(
        ctx: &GpuContext,
        module: &wgpu::ShaderModule,
        entry: NoiseEntry,
    ) -> wgpu::ComputePipeline {
        ctx.device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry.name()),
                layout: None,
                module,
                entry_point: Some(entry.name()),
                compilation_options: Default::default(),
                cache: None,
            })
    }

    fn bind_group(
        &self,
        pipeline: &wgpu::ComputePipeline,
        entry: NoiseEntry,
        x0: &wgpu::Buffer,
        out: &wgpu::Buffer,
    ) -> wgpu::BindGroup {
        // Auto layouts contain only the bindings an entry point uses.
        let mut entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: self.params.as_entire_binding(),
        }];
        if matches!(entry, NoiseEntry::Rgba | NoiseEntry::Field) {
            entries.push(wgpu::BindGroupEntry {
                binding: 1,
                resource: x0.as_entire_binding(),
            });
        }
        entries.push(wgpu::BindGroupEntry {
            binding: if entry.writes_f32() { 2 } else { 3 },
            resource: out.as_entire_binding(),
        });
        self.ctx
            .device
            .create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(entry.name()),
                layout: &pipeline.get_bind_group_layout(0),
                entries: &entries,
            })
    }

    fn output_buffers(&self, bytes: u64) -> (wgpu::Buffer, wgpu::Buffer) {
        let out = self.ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("noise out"),
            size: bytes,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let staging = self.ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("noise staging"),
            size: bytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        (out, staging)
    }

    /// Uploads the clean image x_0 (replacing any previous one).
    pub fn set_image(&mut self, x0: &ImageField) -> Result<(), GpuError> {
        self.ctx.check_alive()?;
        let same_size = self
            .resident
            .as_ref()
            .is_some_and(|r| (r.width, r.height) == (x0.width(), x0.height()));
        if same_size {
            let r = self.resident.as_ref().expect("checked above");
            self.ctx
                .queue
                .write_buffer(&r.x0, 0, bytemuck::cast_slice(x0.data()));
            return Ok(());
        }
        let x0_buf = self
            .ctx
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("x0"),
                contents: bytemuck::cast_slice(x0.data()),
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            });
        let (out, staging) = self.output_buffers(x0.pixels() as u64 * 4);
        let bind_group = self.bind_group(&self.pipeline, NoiseEntry::Rgba, &x0_buf, &out);
        self.resident = Some(Resident {
            width: x0.width(),
            height: x0.height(),
            x0: x0_buf,
            out,
            staging,
            bind_group,
        });
        Ok(())
    }

    fn write_params(
        &self,
        width: u32,
        height: u32,
        seed: u64,
        stream: u32,
        signal: f32,
        noise: f32,
    ) -> (u32, u32) {
        let (gx, gy, row_pitch) = dispatch_grid(width * height);
        let p = GpuParams {
            width,
            height,
            seed_lo: seed as u32,
            seed_hi: (seed >> 32) as u32,
            stream,
            signal,
            noise,
            row_pitch,
        };
        self.ctx
            .queue
            .write_buffer(&self.params, 0, bytemuck::bytes_of(&p));
        (gx, gy)
    }

    fn submit(
        &self,
        pipeline: &wgpu::ComputePipeline,
        bind_group: &wgpu::BindGroup,
        groups: (u32, u32),
        out: &wgpu::Buffer,
        staging: &wgpu::Buffer,
        bytes: u64,
    ) {
        let mut encoder = self
            .ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("noise"),
            });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("noise"),
                timestamp_writes: None,
            });
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, bind_group, &[]);
            pass.dispatch_workgroups(groups.0, groups.1, 1);
        }
        encoder.copy_buffer_to_buffer(out, 0, staging, 0, bytes);
        self.ctx.queue.submit([encoder.finish()]);
    }

    /// Renders x_t of the resident image as opaque RGBA bytes into `out`.
    /// Returns Ok(false) when no image has been set.
    pub async fn render_rgba(
        &mut self,
        params: NoiseParams,
        out: &mut Vec<u8>,
    ) -> Result<bool, GpuError> {
        self.ctx.check_alive()?;
        let Some(r) = self.resident.as_ref() else {
            return Ok(false);
        };
        let groups = self.write_params(
            r.width,
            r.height,
            params.seed,
            STREAM_FORWARD_NOISE,
            params.signal,
            params.noise,
        );
        let bytes = u64::from(r.width) * u64::from(r.height) * 4;
        self.submit(
            &self.pipeline,
            &r.bind_group,
            groups,
            &r.out,
            &r.staging,
            bytes,
        );
        self.ctx.read_back(&r.staging, bytes, out).await?;
        Ok(true)
    }

    /// Runs any entry point once on `x0` (or, for the RNG entries, on a field of
    /// its size) and returns the raw output bytes. For tests and the CLI parity
    /// checks; it builds its pipeline and buffers each call.
    pub async fn run_entry(
        &self,
        entry: NoiseEntry,
        x0: &ImageField,
        seed: u64,
        stream: u32,
        params: NoiseParams,
    ) -> Result<Vec<u8>, GpuError> {
        self.ctx.check_alive()?;
        let scope = self
            .ctx
            .device
            .push_error_scope(wgpu::ErrorFilter::Validation);
        let pipeline = Self::make_pipeline(&self.ctx, &self.module, entry);
        let x0_buf = self
            .ctx
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("x0"),
                contents: bytemuck::cast_slice(x0.data()),
                usage: wgpu::BufferUsages::STORAGE,
            });
        let bytes = x0.pixels() as u64 * entry.bytes_per_element();
        let (out, staging) = self.output_buffers(bytes);
        let bind_group = self.bind_group(&pipeline, entry, &x0_buf, &out);
        let groups = self.write_params(
            x0.width(),
            x0.height(),
            seed,
            stream,
            params.signal,
            params.noise,
        );
        self.submit(&pipeline, &bind_group, groups, &out, &staging, bytes);
        if let Some(err) = scope.pop().await {
            return Err(GpuError::Validation(err.to_string()));
        }
        let mut result = Vec::new();
        self.ctx.read_back(&staging, bytes, &mut result).await?;
        Ok(result)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #[test]
    fn params_have_the_layout_of_their_wgsl_twin() {
        super::super::assert_layout::<super::GpuParams>(super::NOISE_WGSL, "Params", 8);
    }
}
