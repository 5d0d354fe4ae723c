//! The wgpu context and the host side of each WGSL kernel.
//!
//! Natively this runs on Vulkan (lavapipe in the tests); in the browser on
//! WebGPU. Results come back with `map_async` and an awaited channel: on the web
//! `Device::poll` does nothing and blocking (pollster) would hang the page, so
//! the browser's event loop delivers the callback; natively we poll to drive it.

pub mod archive;
pub mod denoisers;
pub mod fft;
pub mod gaussian;
pub mod griffin_lim;
pub mod noise;
pub mod patch;
pub mod track;

use std::sync::{Arc, Mutex};

use thiserror::Error;

/// Shared by every kernel that draws random numbers: prepended to its source.
pub const RNG_WGSL: &str = include_str!("rng.wgsl");
/// Indexing and complex helpers every kernel shares (see the file's header).
pub const COMMON_WGSL: &str = include_str!("common.wgsl");

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum GpuError {
    #[error("this browser exposes no WebGPU")]
    NoWebGpu,
    #[error("no GPU adapter is available: {0}")]
    NoAdapter(String),
    #[error("the GPU refused a device: {0}")]
    NoDevice(String),
    #[error("the GPU device was lost: {0}")]
    DeviceLost(String),
    #[error("a GPU result could not be read back")]
    Readback,
    #[error("the GPU reported an error: {0}")]
    Validation(String),
}

/// An adapter, its device and queue, and what we know of the device's health.
#[derive(Clone)]
pub struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    adapter_name: String,
    backend: wgpu::Backend,
    /// Why the device was lost, once it has been (set by wgpu's callback).
    lost: Arc<Mutex<Option<String>>>,
}

impl std::fmt::Debug for GpuContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuContext")
            .field("adapter", &self.adapter_name)
            .field("backend", &self.backend)
            .field("lost", &self.is_lost())
            .finish()
    }
}

impl GpuContext {
    /// Finds an adapter and opens a device with the default (WebGPU baseline) limits.
    pub async fn new() -> Result<Self, GpuError> {
        let instance = wgpu::Instance::default();
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            })
            .await
            .map_err(|e| GpuError::NoAdapter(e.to_string()))?;
        let info = adapter.get_info();
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("hypothetical"),
                required_features: wgpu::Features::empty(),
                // WebGPU's default limits (8 storage buffers per stage, 128 MiB bindings):
                // every WebGPU adapter offers them, lavapipe too.
                required_limits: wgpu::Limits::default().using_resolution(adapter.limits()),
                experimental_features: wgpu::ExperimentalFeatures::disabled(),
                memory_hints: wgpu::MemoryHints::Performance,
                trace: wgpu::Trace::Off,
            })
            .await
            .map_err(|e| GpuError::NoDevice(e.to_string()))?;
        let lost = Arc::new(Mutex::new(None));
        {
            let lost = lost.clone();
            device.set_device_lost_callback(move |reason, message| {
                let why = match reason {
                    wgpu::DeviceLostReason::Destroyed => "destroyed".to_string(),
                    wgpu::DeviceLostReason::Unknown => format!("lost ({message})"),
                };
                if let Ok(mut slot) = lost.lock() {
                    *slot = Some(why);
                }
            });
        }
        let name = if info.name.is_empty() {
            "the browser's adapter".to_string()
        } else {
            info.name.clone()
        };
        Ok(Self {
            device,
            queue,
            adapter_name: name,
            backend: info.backend,
            lost,
        })
    }

    pub fn adapter_name(&self) -> &str {
        &self.adapter_name
    }

    pub fn backend(&self) -> wgpu::Backend {
        self.backend
    }

    pub fn is_lost(&self) -> bool {
        self.lost_reason().is_some()
    }

    /// Why the device was lost, once it has been.
    pub fn lost_reason(&self) -> Option<String> {
        self.lost.lock().ok().and_then(|s| s.clone())
    }

    /// Destroys the device, as a driver reset would: for testing recovery.
    pub fn destroy_device(&self) {
        self.device.destroy();
    }

    pub(crate) fn check_alive(&self) -> Result<(), GpuError> {
        match self.lost_reason() {
            Some(why) => Err(GpuError::DeviceLost(why)),
            None => Ok(()),
        }
    }

    /// Compiles a WGSL module; `with_rng` prepends the shared RNG functions.
    pub fn shader(&self, label: &str, source: &str, with_rng: bool) -> wgpu::ShaderModule {
        let rng = if with_rng { RNG_WGSL } else { "" };
        let code =
            format!("const WORKGROUP: u32 = {WORKGROUP_SIZE}u;\n{COMMON_WGSL}\n{rng}\n{source}");
        self.device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(label),
                source: wgpu::ShaderSource::Wgsl(code.into()),
            })
    }

    /// Maps `staging` (a MAP_READ buffer), copies `len` bytes out, unmaps.
    pub async fn read_back(
        &self,
        staging: &wgpu::Buffer,
        len: u64,
        out: &mut Vec<u8>,
    ) -> Result<(), GpuError> {
        self.check_alive()?;
        let (sender, receiver) = futures_channel::oneshot::channel();
        staging.map_async(wgpu::MapMode::Read, 0..len, move |result| {
            let _ = sender.send(result);
        });
        // Natively the callback runs inside poll; on the web poll is a no-op and
        // the browser's event loop runs it while we await.
        #[cfg(not(target_arch = "wasm32"))]
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::DeviceLost(e.to_string()))?;
        match receiver.await {
            Ok(Ok(())) => {}
            _ => {
                self.check_alive()?;
                return Err(GpuError::Readback);
            }
        }
        {
            let view = staging
                .get_mapped_range(0..len)
                .map_err(|_| GpuError::Readback)?;
            out.clear();
            out.extend_from_slice(&view);
        }
        staging.unmap();
        Ok(())
    }
}

/// A storage buffer holding `contents` (STORAGE | COPY_DST | COPY_SRC).
pub fn storage_init(ctx: &GpuContext, label: &str, contents: &[u8]) -> wgpu::Buffer {
    use wgpu::util::DeviceExt;
    ctx.device
        .create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(label),
            contents,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_DST
                | wgpu::BufferUsages::COPY_SRC,
        })
}

/// An uninitialised buffer of `size` bytes (at least 16) with `usage`.
pub fn buffer(ctx: &GpuContext, label: &str, size: u64, usage: wgpu::BufferUsages) -> wgpu::Buffer {
    ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: size.max(16).next_multiple_of(4),
        usage,
        mapped_at_creation: false,
    })
}

/// A storage buffer of `size` bytes that results are written to and copied from.
pub fn storage(ctx: &GpuContext, label: &str, size: u64) -> wgpu::Buffer {
    buffer(
        ctx,
        label,
        size,
        wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC,
    )
}

/// A uniform buffer of `size` bytes, written with `queue.write_buffer`.
pub fn uniform(ctx: &GpuContext, label: &str, size: u64) -> wgpu::Buffer {
    buffer(
        ctx,
        label,
        size,
        wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
    )
}

/// A MAP_READ buffer to copy results into.
pub fn staging(ctx: &GpuContext, label: &str, size: u64) -> wgpu::Buffer {
    buffer(
        ctx,
        label,
        size,
        wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
    )
}

/// A compute pipeline with an automatic layout for one entry point.
pub fn pipeline(
    ctx: &GpuContext,
    module: &wgpu::ShaderModule,
    entry: &str,
) -> wgpu::ComputePipeline {
    ctx.device
        .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(entry),
            layout: None,
            module,
            entry_point: Some(entry),
            compilation_options: Default::default(),
            cache: None,
        })
}

/// A bind group for group 0 of `pipeline`; automatic layouts hold only the
/// bindings the entry point uses, so `entries` must list exactly those.
pub fn bind(
    ctx: &GpuContext,
    pipeline: &wgpu::ComputePipeline,
    entries: &[(u32, &wgpu::Buffer)],
) -> wgpu::BindGroup {
    let entries: Vec<wgpu::BindGroupEntry> = entries
        .iter()
        .map(|(binding, buffer)| wgpu::BindGroupEntry {
            binding: *binding,
            resource: buffer.as_entire_binding(),
        })
        .collect();
    ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &pipeline.get_bind_group_layout(0),
        entries: &entries,
    })
}

/// A kernel ready to dispatch: the pipeline of `entry` in `module` and its
/// bind group over `entries`.
pub fn kernel(
    ctx: &GpuContext,
    module: &wgpu::ShaderModule,
    entry: &str,
    entries: &[(u32, &wgpu::Buffer)],
) -> (wgpu::ComputePipeline, wgpu::BindGroup) {
    let p = pipeline(ctx, module, entry);
    let b = bind(ctx, &p, entries);
    (p, b)
}

/// Records one dispatch of `pipeline` with `groups` workgroups.
pub fn dispatch(
    encoder: &mut wgpu::CommandEncoder,
    pipeline: &wgpu::ComputePipeline,
    bind_group: &wgpu::BindGroup,
    groups: (u32, u32),
) {
    let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
        label: None,
        timestamp_writes: None,
    });
    pass.set_pipeline(pipeline);
    pass.set_bind_group(0, bind_group, &[]);
    pass.dispatch_workgroups(groups.0, groups.1, 1);
}

/// Reads `staging` back as f32 values.
pub async fn read_f32(
    ctx: &GpuContext,
    staging: &wgpu::Buffer,
    len: u64,
) -> Result<Vec<f32>, GpuError> {
    let mut bytes = Vec::new();
    ctx.read_back(staging, len, &mut bytes).await?;
    Ok(bytemuck::pod_collect_to_vec(&bytes))
}

/// Threads (invocations) per workgroup of every 1-D kernel here.
pub const WORKGROUP_SIZE: u32 = 256;
/// WebGPU's guaranteed maximum workgroups per dispatch dimension.
const MAX_GROUPS_PER_DIM: u32 = 65_535;

/// Splits `invocations` into a (x, y) workgroup grid and the row pitch in invocations.
pub fn dispatch_grid(invocations: u32) -> (u32, u32, u32) {
    let groups = invocations.div_ceil(WORKGROUP_SIZE).max(1);
    let x = groups.min(MAX_GROUPS_PER_DIM);
    let y = groups.div_ceil(x);
    (x, y, x * WORKGROUP_SIZE)
}

/// Checks a host struct against the WGSL struct `name` in `source` (with the
/// prelude the host prepends): the same size and alignment, the same number
/// of fields, and a size that a uniform buffer accepts (a multiple of 16).
#[cfg(all(test, not(target_arch = "wasm32")))]
pub(crate) fn assert_layout<T>(source: &str, name: &str, fields: usize) {
    let code =
        format!("const WORKGROUP: u32 = {WORKGROUP_SIZE}u;\n{COMMON_WGSL}\n{RNG_WGSL}\n{source}");
    let module = naga::front::wgsl::parse_str(&code).expect("the shader parses");
    let mut layouter = naga::proc::Layouter::default();
    layouter.update(module.to_ctx()).expect("layout");
    let (handle, ty) = module
        .types
        .iter()
        .find(|(_, t)| t.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("no struct {name} in the shader"));
    let layout = &layouter[handle];
    let members = match &ty.inner {
        naga::TypeInner::Struct { members, .. } => members.len(),
        _ => panic!("{name} is not a struct"),
    };
    assert_eq!(std::mem::size_of::<T>() as u32, layout.size, "{name}: size");
    assert_eq!(
        std::mem::align_of::<T>() as u32,
        layout.alignment.round_up(1),
        "{name}: alignment"
    );
    assert_eq!(members, fields, "{name}: number of fields");
    assert_eq!(
        layout.size % 16,
        0,
        "{name}: a uniform's size is a multiple of 16"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispatch_grid_covers_every_invocation_within_limits() {
        for n in [1u32, 255, 256, 257, 1 << 20, 40_000_000] {
            let (x, y, pitch) = dispatch_grid(n);
            assert!(x <= MAX_GROUPS_PER_DIM && y <= MAX_GROUPS_PER_DIM);
            assert!(u64::from(pitch) * u64::from(y) >= u64::from(n));
            assert_eq!(pitch, x * WORKGROUP_SIZE);
        }
    }
}
