//! One interface, two implementations: forward noising on the GPU (wgpu) or on
//! the CPU (the same Rust, compiled into the page). The caller keeps the clean
//! image, so it can move to the CPU at any moment, e.g. when the device is lost.

pub mod calibration;
pub mod griffin_lim;

use calibration::Path;

use crate::forward::noising::{CpuNoiser, NoiseParams};
use crate::gpu::noise::GpuNoiser;
use crate::gpu::{GpuContext, GpuError};
use crate::image::ImageField;

pub enum Backend {
    Gpu(Box<GpuNoiser>),
    Cpu(CpuNoiser),
}

impl Backend {
    pub fn cpu() -> Self {
        Self::Cpu(CpuNoiser::new())
    }

    /// The GPU backend on a fresh device.
    pub async fn gpu() -> Result<Self, GpuError> {
        let ctx = GpuContext::new().await?;
        Ok(Self::Gpu(Box::new(GpuNoiser::new(ctx))))
    }

    pub fn kind(&self) -> Path {
        match self {
            Self::Gpu(_) => Path::Gpu,
            Self::Cpu(_) => Path::Cpu,
        }
    }

    /// The adapter's name on the GPU path.
    pub fn gpu_context(&self) -> Option<&GpuContext> {
        match self {
            Self::Gpu(g) => Some(g.context()),
            Self::Cpu(_) => None,
        }
    }

    pub fn set_image(&mut self, x0: &ImageField) -> Result<(), GpuError> {
        match self {
            Self::Gpu(g) => g.set_image(x0),
            Self::Cpu(c) => {
                c.set_image(x0.clone());
                Ok(())
            }
        }
    }

    /// x_t as opaque RGBA bytes. Ok(false) when no image is set.
    pub async fn render_rgba(
        &mut self,
        params: NoiseParams,
        out: &mut Vec<u8>,
    ) -> Result<bool, GpuError> {
        match self {
            Self::Gpu(g) => g.render_rgba(params, out).await,
            Self::Cpu(c) => Ok(c.render_rgba(params, out)),
        }
    }
}
