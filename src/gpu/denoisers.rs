//! The three denoisers on the GPU behind one call, answering the sampler's
//! questions as `diffusion::cpu::CpuDenoiser` does on the CPU. The archive kernel runs
//! at every step whichever denoiser makes the image: its weights are the
//! recogniser p(tag | x_t).

use super::archive::GpuArchive;
use super::gaussian::GpuGaussian;
use super::patch::GpuPatch;
use super::{storage, GpuContext, GpuError};
use crate::archive::dataset::Dataset;
use crate::denoise::gaussian::GaussianDenoiser;
use crate::denoise::patch::PatchShape;
use crate::denoise::{Denoised, DenoiserKind, PixelShares};

pub struct GpuDenoiser {
    ctx: GpuContext,
    kind: DenoiserKind,
    mask: Option<Vec<bool>>,
    x_t: wgpu::Buffer,
    archive: GpuArchive,
    gaussian: Option<GpuGaussian>,
    patch: Option<GpuPatch>,
    items: usize,
    /// Patch denoiser: at most this many items a call, those the archive
    /// posterior ranks highest (the tag's side as on the CPU), and the
    /// guidance that splits them; None: every item.
    patch_limit: Option<(usize, f32)>,
}

/// The most items the GPU patch kernel compares in one call: the archive
/// posterior's first 64, about the size of the first archive, whose every
/// item the kernel compared. A real GPU could take thousands; the tests'
/// software adapter (SwiftShader) took 29 s a 32 px step with 256.
pub const GPU_PATCH_ITEMS: usize = 64;

impl GpuDenoiser {
    /// Uploads the items (and, for the Gaussian denoiser, its fitted models).
    pub fn new(
        ctx: GpuContext,
        set: &Dataset,
        kind: DenoiserKind,
        mask: Option<&[bool]>,
        gaussian: Option<&GaussianDenoiser>,
    ) -> Self {
        let x_t = storage(&ctx, "x_t", 4 * set.dim() as u64);
        let archive = GpuArchive::new(&ctx, set, mask, &x_t);
        let gaussian = match (kind, gaussian) {
            (DenoiserKind::Gaussian, Some(g)) => {
                let mut models = vec![&g.all];
                models.extend(g.tag.as_ref());
                Some(GpuGaussian::new(&ctx, &models, &x_t))
            }
            _ => None,
        };
        let patch = (kind == DenoiserKind::Patch).then(|| GpuPatch::new(&ctx, set, mask, &x_t));
        Self {
            ctx,
            kind,
            mask: mask.map(<[bool]>::to_vec),
            x_t,
            archive,
            gaussian,
            patch,
            items: set.len(),
            patch_limit: None,
        }
    }

    /// Limits the patch kernel to the `items` the archive posterior ranks
    /// highest at each call, split by `guidance` between the tag and the rest.
    pub fn with_patch_limit(mut self, items: usize, guidance: f32) -> Self {
        if items < self.items {
            self.patch_limit = Some((items, guidance));
        }
        self
    }

    pub fn context(&self) -> &GpuContext {
        &self.ctx
    }

    /// x̂0 (all items, and the tag's) and the archive posterior at x_t.
    pub async fn denoise(
        &mut self,
        x_t: &[f32],
        alpha_bar: f64,
        patch: Option<PatchShape>,
    ) -> Result<Denoised, GpuError> {
        self.ctx
            .queue
            .write_buffer(&self.x_t, 0, bytemuck::cast_slice(x_t));
        let a = self.archive.run(alpha_bar).await?;
        let tagged = self.mask.is_some();
        let mut out = Denoised {
            posterior: a.weights_all,
            posterior_tag: tagged.then_some(a.weights_tag),
            ..Denoised::default()
        };
        match self.kind {
            DenoiserKind::Archive => {
                out.x0_all = a.x0_all;
                out.x0_tag = tagged.then_some(a.x0_tag);
            }
            DenoiserKind::Gaussian => {
                let g = self
                    .gaussian
                    .as_ref()
                    .expect("built with the Gaussian denoiser");
                let mut v = g.run(alpha_bar).await?.into_iter();
                out.x0_all = v.next().unwrap_or_default();
                out.x0_tag = v.next();
                out.posterior_tag = None;
            }
            DenoiserKind::Patch => {
                let p = self.patch.as_ref().expect("built with the patch denoiser");
                let shape = patch.expect("the patch denoiser needs a patch shape");
                let chosen: Vec<u32> = match self.patch_limit {
                    Some((limit, guidance)) => crate::denoise::patch::patch_candidates(
                        &out.posterior,
                        self.mask.as_deref(),
                        guidance,
                        limit,
                    )
                    .into_iter()
                    .map(|i| i as u32)
                    .collect(),
                    None => (0..self.items as u32).collect(),
                };
                let r = p.run(alpha_bar, shape, &chosen).await?;
                out.x0_all = r.x0_all;
                out.x0_tag = tagged.then_some(r.x0_tag);
                out.posterior_tag = None;
                out.pixel_shares = Some(PixelShares {
                    items: self.items,
                    all: r.shares,
                    tag: tagged.then_some(r.shares_tag),
                });
            }
        }
        Ok(out)
    }
}
