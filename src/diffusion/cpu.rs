//! The CPU's answers to the sampler: [`CpuDenoiser`] wraps the denoisers of
//! `denoise` for one run (kind, tag, picture type), and the patch denoiser's
//! bounded candidate set, used where the CPU cannot afford every item.

use crate::archive::dataset::Dataset;
use crate::denoise::gaussian::GaussianDenoiser;
use crate::denoise::patch::{Border, PatchShape};
use crate::denoise::rows::RowGaussian;
use crate::denoise::{archive, patch, Denoised, DenoiserKind};
use crate::diffusion::sampler::Sampler;

/// Per-step work budget of the CPU patch denoiser, in (pixel, item, position)
/// triples: 67 items × 32⁴ ≈ 7.0·10⁷ fit, so 32 px uses every item; at 64 px
/// the budget allows ⌊7.0·10⁷ / 64⁴⌋ = 4 items per step, chosen by
/// [`crate::denoise::patch::patch_candidates`]. The GPU path always uses every item.
pub const CPU_PATCH_BUDGET: usize = 70_254_592;

/// How many items the CPU patch denoiser may use at this edge with every
/// position a candidate (at least 2).
pub fn cpu_patch_items(edge: u32, items: usize) -> usize {
    cpu_patch_items_for(PatchShape::everywhere(3, Border::Interior), edge, items)
}

/// How many items the CPU patch denoiser may use for a patch shape: the
/// budget over S² pixels × the displacements compared per item (at least 2).
pub fn cpu_patch_items_for(shape: PatchShape, edge: u32, items: usize) -> usize {
    let (span, _) = shape.displacements(edge);
    let per_item = (edge as usize).pow(2) * (span as usize).pow(2);
    (CPU_PATCH_BUDGET / per_item)
        .clamp(2, items.max(2))
        .min(items)
}

/// The model behind a [`CpuDenoiser`].
enum Model {
    Archive,
    /// RGB pictures: the stationary colour Gaussian.
    Gaussian(GaussianDenoiser),
    /// Spectrograms: the row-stationary Gaussian over all clips and the tag's.
    Rows {
        all: Box<RowGaussian>,
        tag: Option<Box<RowGaussian>>,
    },
    Patch {
        /// Items per step (all of them unless limited).
        items: usize,
        /// Which patches of each item are compared.
        border: Border,
        /// Items per step from the CPU budget at each step's patch shape.
        budget: bool,
    },
}

/// The CPU answers for one denoiser and one tag, on RGB pictures or on
/// one-channel spectrogram pictures (where "gaussian" is the row Gaussian).
pub struct CpuDenoiser {
    kind: DenoiserKind,
    mask: Option<Vec<bool>>,
    model: Model,
    /// The set's pictures are spectrograms (one channel).
    spectrograms: bool,
}

impl CpuDenoiser {
    /// None when the tag has no items, the set is empty, or the denoiser does
    /// not run on this kind of picture (the patch denoiser on spectrograms).
    pub fn new(set: &Dataset, kind: DenoiserKind, tag: Option<&str>) -> Option<Self> {
        let mask = tag.map(|t| set.tag_mask(t));
        if mask.as_ref().is_some_and(|m| !m.contains(&true)) || set.is_empty() {
            return None;
        }
        let spectrograms = set.channels() == 1;
        let model = match (kind, spectrograms) {
            (DenoiserKind::Archive, _) => Model::Archive,
            (DenoiserKind::Gaussian, false) => {
                Model::Gaussian(GaussianDenoiser::new(set, mask.as_deref())?)
            }
            (DenoiserKind::Gaussian, true) => Model::Rows {
                all: Box::new(RowGaussian::fit(set, None, false)?),
                tag: match mask.as_deref() {
                    Some(m) => Some(Box::new(RowGaussian::fit(set, Some(m), false)?)),
                    None => None,
                },
            },
            (DenoiserKind::Patch, false) => Model::Patch {
                items: set.len(),
                border: Border::default(),
                budget: false,
            },
            (DenoiserKind::Patch, true) => return None,
        };
        Some(Self {
            kind,
            mask,
            model,
            spectrograms,
        })
    }

    /// Chooses the patch denoiser's candidates (interior patches by default).
    pub fn with_border(mut self, border: Border) -> Self {
        if let Model::Patch { border: b, .. } = &mut self.model {
            *b = border;
        }
        self
    }

    /// The patch denoiser's candidate border (the default for the others).
    pub fn border(&self) -> Border {
        match self.model {
            Model::Patch { border, .. } => border,
            _ => Border::default(),
        }
    }

    /// Limits the patch denoiser to `items` candidates per step (the bounded candidate set).
    pub fn with_patch_items(mut self, items: usize) -> Self {
        if let Model::Patch { items: n, .. } = &mut self.model {
            *n = items.max(1);
        }
        self
    }

    /// Limits the patch denoiser at each step to the items the CPU budget
    /// affords at that step's patch shape ([`cpu_patch_items_for`]).
    pub fn with_cpu_budget(mut self) -> Self {
        if let Model::Patch { budget, .. } = &mut self.model {
            *budget = true;
        }
        self
    }

    pub fn kind(&self) -> DenoiserKind {
        self.kind
    }

    pub fn mask(&self) -> Option<&[bool]> {
        self.mask.as_deref()
    }

    /// Whether the pictures are spectrograms.
    pub fn on_spectrograms(&self) -> bool {
        self.spectrograms
    }

    /// The fitted models of the Gaussian denoiser (to upload to the GPU).
    pub fn gaussian(&self) -> Option<&GaussianDenoiser> {
        match &self.model {
            Model::Gaussian(g) => Some(g),
            _ => None,
        }
    }

    /// Items per step of the patch denoiser (0 for the others).
    pub fn patch_items(&self) -> usize {
        match self.model {
            Model::Patch { items, .. } => items,
            _ => 0,
        }
    }

    /// The WGSL kernel that answers for this denoiser on the GPU. The row
    /// Gaussian has none: the archive kernel supplies its recogniser and the
    /// CPU adds x̂0 ([`CpuDenoiser::complete_gpu_answer`]).
    pub fn gpu_kernel(&self) -> DenoiserKind {
        match self.model {
            Model::Rows { .. } => DenoiserKind::Archive,
            _ => self.kind,
        }
    }

    /// The name the GPU kernel is timed under (see `backend::calibration`).
    pub fn kernel_name(&self) -> String {
        let name = match self.gpu_kernel() {
            DenoiserKind::Archive => "the archive denoiser",
            DenoiserKind::Gaussian => "the Gaussian denoiser",
            DenoiserKind::Patch => "the patch denoiser",
        };
        if self.spectrograms {
            format!("{name} on spectrograms")
        } else {
            name.to_string()
        }
    }

    /// Fills in what the GPU kernel did not compute (the row Gaussian's x̂0).
    pub fn complete_gpu_answer(&self, d: &mut Denoised, x_t: &[f32], alpha_bar: f64) {
        if let Model::Rows { all, tag } = &self.model {
            d.x0_all = all.denoise(x_t, alpha_bar);
            d.x0_tag = tag.as_ref().map(|g| g.denoise(x_t, alpha_bar));
            d.posterior_tag = None;
        }
    }

    /// The patch shape at the sampler's current step (patch denoiser only).
    pub fn patch_shape(&self, set: &Dataset, sampler: &Sampler) -> Option<PatchShape> {
        match self.model {
            Model::Patch { border, .. } => {
                let size = patch::patch_size(set.edge(), sampler.t().unwrap_or(0), sampler.t_max());
                Some(PatchShape {
                    size,
                    border,
                    window: (set.edge() > patch::WINDOWED_ABOVE)
                        .then(|| patch::position_window(size)),
                })
            }
            _ => None,
        }
    }

    /// Answers the sampler's current question.
    pub fn denoise(&self, set: &Dataset, sampler: &Sampler) -> Denoised {
        let (x_t, a) = (sampler.x_t(), sampler.alpha_bar());
        let mask = self.mask.as_deref();
        match &self.model {
            Model::Archive => archive::denoise(set, x_t, a, mask),
            Model::Gaussian(g) => {
                let (x0_all, x0_tag) = g.denoise(x_t, a);
                Denoised {
                    x0_all,
                    x0_tag,
                    posterior: archive::posterior(set, x_t, a),
                    ..Denoised::default()
                }
            }
            Model::Rows { .. } => {
                let mut d = Denoised {
                    posterior: archive::posterior(set, x_t, a),
                    ..Denoised::default()
                };
                self.complete_gpu_answer(&mut d, x_t, a);
                d
            }
            Model::Patch { .. } => {
                let mut pending = self.begin_patch(set, sampler);
                while !pending.is_complete() {
                    pending.add_next(set);
                }
                pending.finish()
            }
        }
    }

    /// Starts the patch denoiser's answer at the sampler's current step; the
    /// caller adds its candidate items one at a time (the page yields between them).
    pub fn begin_patch(&self, set: &Dataset, sampler: &Sampler) -> PendingPatch {
        let (x_t, a) = (sampler.x_t(), sampler.alpha_bar());
        let posterior = archive::posterior(set, x_t, a);
        let shape = self.patch_shape(set, sampler).expect("patch denoiser");
        let limit = match self.model {
            Model::Patch { budget: true, .. } => cpu_patch_items_for(shape, set.edge(), set.len()),
            _ => self.patch_items(),
        };
        let candidates = crate::denoise::patch::patch_candidates(
            &posterior,
            self.mask.as_deref(),
            sampler.config().guidance,
            limit,
        );
        PendingPatch {
            step: patch::PatchStep::new(set, x_t, a, shape, self.mask.as_deref(), &candidates),
            job: PatchJob {
                edge: set.edge(),
                x_t: x_t.to_vec(),
                alpha_bar: a,
                shape,
                candidates,
                tag: self.mask.clone(),
            },
            next: 0,
            posterior,
        }
    }

    /// Times, in ms, what the GPU kernel computes at the sampler's current
    /// step, on the CPU: cheap kernels repeated until 5 ms have passed; the
    /// patch denoiser, linear in its items, on two items scaled to the items
    /// the CPU would use. Also says whether the CPU path is exact (the patch
    /// denoiser's bounded candidate set is not).
    pub fn time_gpu_work(
        &self,
        set: &Dataset,
        sampler: &Sampler,
        now_ms: &dyn Fn() -> f64,
    ) -> (f64, bool) {
        let (x_t, a) = (sampler.x_t(), sampler.alpha_bar());
        if self.kind == DenoiserKind::Patch {
            let shape = self.patch_shape(set, sampler).expect("patch denoiser");
            let usable = cpu_patch_items_for(shape, set.edge(), set.len());
            let pending = self.begin_patch(set, sampler);
            let total = usable.min(pending.progress().1);
            let timed = 2.min(total).max(1);
            let mut pending = pending;
            let t0 = now_ms();
            for _ in 0..timed {
                pending.add_next(set);
            }
            let ms = (now_ms() - t0) * total as f64 / timed as f64;
            return (ms, usable >= set.len());
        }
        let (mut reps, t0) = (0u32, now_ms());
        while reps < 20 && (reps == 0 || now_ms() - t0 < 5.0) {
            match self.model {
                // The GPU runs the archive kernel for the row Gaussian.
                Model::Rows { .. } => {
                    std::hint::black_box(archive::denoise(set, x_t, a, self.mask.as_deref()));
                }
                _ => {
                    std::hint::black_box(self.denoise(set, sampler));
                }
            }
            reps += 1;
        }
        ((now_ms() - t0) / f64::from(reps), true)
    }

    /// Runs the sampler to the end.
    pub fn run(&self, set: &Dataset, sampler: &mut Sampler) {
        while !sampler.is_done() {
            let d = self.denoise(set, sampler);
            let patch = self.patch_shape(set, sampler).map(|p| p.size);
            sampler.advance(&d, self.kind, patch).expect("shapes match");
        }
    }
}

/// The part of a patch denoiser call that Web Workers can share: every
/// worker with the archive at this edge computes `share` for some of the
/// candidates and the page merges the answers ([`PendingPatch::finish_with`]).
#[derive(Clone, Debug)]
pub struct PatchJob {
    pub edge: u32,
    pub x_t: Vec<f32>,
    pub alpha_bar: f64,
    pub shape: PatchShape,
    /// The candidate items not yet added on the page.
    pub candidates: Vec<usize>,
    /// The tag's items, for the tag's own estimate (None: no tag).
    pub tag: Option<Vec<bool>>,
}

impl PatchJob {
    /// Share `index` of `count`: every count-th remaining candidate from the
    /// index-th, on `set` (the archive at `edge`).
    pub fn share(&self, set: &Dataset, index: usize, count: usize) -> patch::PatchPartial {
        self.share_with_progress(set, index, count, |_, _| {})
    }

    /// The same, calling `progress(added, of)` after each item (a worker
    /// reports its progress to the page this way).
    pub fn share_with_progress(
        &self,
        set: &Dataset,
        index: usize,
        count: usize,
        mut progress: impl FnMut(usize, usize),
    ) -> patch::PatchPartial {
        let tag = self.tag.as_deref();
        let mut step = patch::PatchStep::new(
            set,
            &self.x_t,
            self.alpha_bar,
            self.shape,
            tag,
            &self.candidates,
        );
        let mine: Vec<usize> = self
            .candidates
            .iter()
            .copied()
            .skip(index)
            .step_by(count.max(1))
            .collect();
        for (k, &i) in mine.iter().enumerate() {
            step.add_item(set, i);
            progress(k + 1, mine.len());
        }
        step.into_partial()
    }
}

/// A patch denoiser call in progress.
pub struct PendingPatch {
    step: patch::PatchStep,
    job: PatchJob,
    next: usize,
    posterior: Vec<f32>,
}

impl PendingPatch {
    pub fn is_complete(&self) -> bool {
        self.next >= self.job.candidates.len()
    }

    /// (items added, items to add).
    pub fn progress(&self) -> (usize, usize) {
        (self.next, self.job.candidates.len())
    }

    /// Adds the next candidate item (no-op when complete).
    pub fn add_next(&mut self, set: &Dataset) {
        if let Some(&i) = self.job.candidates.get(self.next) {
            self.step.add_item(set, i);
            self.next += 1;
        }
    }

    /// What is left of this call, for workers to share.
    pub fn job(&self) -> PatchJob {
        PatchJob {
            candidates: self.job.candidates[self.next..].to_vec(),
            ..self.job.clone()
        }
    }

    /// Completes the call with the workers' merged shares of [`Self::job`].
    pub fn finish_with(self, rest: &patch::PatchPartial) -> Denoised {
        let mut merged = self.step.into_partial();
        merged.merge(rest);
        merged.into_denoised(self.posterior)
    }

    pub fn finish(self) -> Denoised {
        self.step.into_partial().into_denoised(self.posterior)
    }
}
