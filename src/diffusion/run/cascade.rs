//! Cascades: a coarse stage at 32 px over the whole archive, then the exact
//! machine over the items it ranks highest at the full edge.

use super::*;

/// The coarse stage of a cascade: the patch machine at a smaller edge, which
/// composes the picture while the noise is high.
pub(super) struct Coarse {
    pub(super) set: Rc<Dataset>,
    pub(super) cpu: CpuDenoiser,
    pub(super) gpu: Option<GpuDenoiser>,
    /// The first timestep denoised at the full edge.
    pub(super) until: u32,
}

/// The edge a cascade composes at.
pub const CASCADE_EDGE: u32 = 32;
/// The cascade hands over to the full edge when the coarse patches have
/// shrunk to this size: the composition (the large patches) is settled at
/// the coarse edge, the texture is made at the full one.
pub const CASCADE_HANDOVER_PATCH: u32 = 7;

/// The items a cascade refines with: at its handover it keeps this many, those
/// the archive posterior of the coarse picture ranks highest (the tag's side
/// as in [`crate::denoise::patch::patch_candidates`]), and fetches their
/// full-size pictures. 64 is about the size of the first archive (67
/// pictures), so WebGPU's work per step at 128 px is what it was then; an
/// archive of at most 64 pictures is refined with all of them, exactly.
pub const FINE_CANDIDATES: usize = 64;

/// The Gaussian denoiser above the packs' 32 px is fitted to at most this
/// many items of the whole archive (every n-th), plus at most this many of
/// the asked tag's, fetched at 128 px: about 2.5 MB instead of the 23 MB of
/// every picture. An archive of at most this many is fitted whole, exactly.
pub const GAUSSIAN_FIT_ITEMS: usize = 256;

/// Whether a run of `kind` at `edge` over an archive of `items` (held at
/// [`CASCADE_EDGE`]) is a cascade: it composes at [`CASCADE_EDGE`] over every
/// item and fetches the full-size pictures of the [`FINE_CANDIDATES`] it
/// chooses at its handover. The patch machine above 64 px always is (its
/// refinement is windowed); the patch machine at 64 px and the archive
/// denoiser at 64 and 128 px are when the archive has more items than the
/// handover keeps, and otherwise run exactly at the full edge on every item.
/// The Gaussian denoiser never is (see [`GAUSSIAN_FIT_ITEMS`]).
pub fn is_cascade(kind: DenoiserKind, edge: u32, items: usize) -> bool {
    match kind {
        DenoiserKind::Patch if edge > patch::WINDOWED_ABOVE => true,
        DenoiserKind::Patch | DenoiserKind::Archive => {
            edge > CASCADE_EDGE && items > FINE_CANDIDATES
        }
        DenoiserKind::Gaussian => false,
    }
}

/// The full-size pictures a run needs before its first step, given the
/// whole archive at [`CASCADE_EDGE`]: none at that edge or for a cascade
/// (it asks at its handover), every item for an exact run, and
/// [`gaussian_fit_ids`] for the Gaussian denoiser.
pub fn pictures_before_start(
    archive: &Dataset,
    kind: DenoiserKind,
    edge: u32,
    tag: Option<&str>,
) -> Vec<String> {
    if edge <= CASCADE_EDGE || is_cascade(kind, edge, archive.len()) {
        return Vec::new();
    }
    if kind == DenoiserKind::Gaussian {
        return gaussian_fit_ids(archive, tag);
    }
    (0..archive.len())
        .map(|i| archive.id(i).to_string())
        .collect()
}

/// The items a Gaussian run above [`CASCADE_EDGE`] is fitted to: every item
/// of an archive of at most [`GAUSSIAN_FIT_ITEMS`]; else that many spread
/// evenly over the archive's order and as many of the tag's, spread evenly
/// over its items, in the archive's order.
pub fn gaussian_fit_ids(archive: &Dataset, tag: Option<&str>) -> Vec<String> {
    let n = archive.len();
    let mut keep = vec![false; n];
    let spread = |of: &[usize], keep: &mut Vec<bool>| {
        let k = of.len().min(GAUSSIAN_FIT_ITEMS);
        for j in 0..k {
            keep[of[j * of.len() / k]] = true;
        }
    };
    spread(&(0..n).collect::<Vec<_>>(), &mut keep);
    if let Some(tag) = tag {
        let mask = archive.tag_mask(tag);
        let tagged: Vec<usize> = (0..n).filter(|&i| mask[i]).collect();
        spread(&tagged, &mut keep);
    }
    (0..n)
        .filter(|&i| keep[i])
        .map(|i| archive.id(i).to_string())
        .collect()
}

/// The first timestep of T at which the cascade works at the full edge.
pub fn cascade_handover(t_max: u32) -> u32 {
    (0..=t_max)
        .rev()
        .find(|&t| {
            crate::denoise::patch::patch_size(CASCADE_EDGE, t, t_max) <= CASCADE_HANDOVER_PATCH
        })
        .unwrap_or(0)
}

/// The share of the posterior that the items `kept` hold: of the whole
/// archive's (unless a tag with w = 1 leaves only the tag's side) and of the
/// tag's items' renormalised posterior (with a tag and w ≠ 0); the smaller.
pub(super) fn kept_mass(
    posterior: &[f32],
    tag: Option<&[bool]>,
    guidance: f32,
    kept: &[usize],
) -> f32 {
    let share = |on: &dyn Fn(usize) -> bool| {
        let all: f64 = (0..posterior.len())
            .filter(|&i| on(i))
            .map(|i| f64::from(posterior[i]))
            .sum();
        let held: f64 = kept
            .iter()
            .filter(|&&i| on(i))
            .map(|&i| f64::from(posterior[i]))
            .sum();
        if all > 0.0 {
            (held / all) as f32
        } else {
            1.0
        }
    };
    let mut least = 1.0f32;
    if tag.is_none() || guidance != 1.0 {
        least = least.min(share(&|_| true));
    }
    if let Some(mask) = tag.filter(|_| guidance != 0.0) {
        least = least.min(share(&|i| mask[i]));
    }
    least
}

impl Run {
    /// A cascade moves to the full edge at its handover timestep, with the
    /// [`FINE_CANDIDATES`] items the archive posterior of the coarse picture
    /// ranks highest. Returns the ids of those the run does not hold at the
    /// full edge yet (nothing is changed then; see [`Run::supply`]).
    pub(super) fn hand_over(&mut self) -> Result<Option<Vec<String>>, RunError> {
        let due = match (&self.coarse, self.sampler.t()) {
            (Some(c), Some(t)) => t <= c.until && self.sampler.steps_done() > 0,
            _ => false,
        };
        if !due {
            return Ok(None);
        }
        let c = self.coarse.as_ref().expect("checked");
        let ids = match &self.fine_ids {
            Some(ids) => ids.clone(),
            None => {
                let posterior = archive_denoiser::posterior(
                    &c.set,
                    self.sampler.x_t(),
                    self.sampler.alpha_bar(),
                );
                let chosen = crate::denoise::patch::patch_candidates(
                    &posterior,
                    c.cpu.mask(),
                    self.sampler.config().guidance,
                    FINE_CANDIDATES,
                );
                let ids: Vec<String> = chosen.iter().map(|&i| c.set.id(i).to_string()).collect();
                self.kept_mass = Some(kept_mass(
                    &posterior,
                    c.cpu.mask(),
                    self.sampler.config().guidance,
                    &chosen,
                ));
                self.fine_ids = Some(ids.clone());
                ids
            }
        };
        let missing: Vec<String> = ids
            .iter()
            .filter(|id| self.set.index_of(id).is_none())
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Ok(Some(missing));
        }
        let fine = Rc::new(self.set.subset(&ids).expect("every id is held"));
        let tag = self.tag.as_deref();
        let mut cpu = CpuDenoiser::new(&fine, self.cpu.kind(), tag)
            .ok_or_else(|| RunError::Tag(tag.unwrap_or_default().to_string()))?
            .with_border(self.cpu.border());
        let on_gpu = c.gpu.is_some();
        if !on_gpu {
            cpu = cpu.with_cpu_budget();
        }
        self.gpu = self.gpu_context.as_ref().filter(|_| on_gpu).map(|ctx| {
            GpuDenoiser::new(
                ctx.clone(),
                &fine,
                cpu.gpu_kernel(),
                cpu.mask(),
                cpu.gaussian(),
            )
            .with_patch_limit(GPU_PATCH_ITEMS, self.sampler.config().guidance)
        });
        self.cpu = cpu;
        self.set = fine;
        let c = self.coarse.take().expect("checked");
        self.sampler.enlarge(self.set.edge() / c.set.edge())?;
        self.composed = Some((c.set, self.sampler.records().len()));
        self.pending = None;
        Ok(None)
    }

    /// Gives a cascade the full-size pictures it asked for (a set holding at
    /// least the ids its step reported in `needs`); the next step refines.
    pub fn supply(&mut self, full: Rc<Dataset>) -> Result<(), RunError> {
        if self.coarse.is_none() || full.edge() != self.set.edge() {
            return Err(RunError::Share(
                "this run is not waiting for full-size pictures".into(),
            ));
        }
        self.set = full;
        Ok(())
    }

    /// The archive step k's posterior indexes: a cascade's coarse archive for
    /// the steps composed on it, else the run's own.
    pub(super) fn set_of(&self, k: usize) -> &Dataset {
        match (&self.coarse, &self.composed) {
            (Some(c), _) => &c.set,
            (None, Some((set, steps))) if k <= *steps => set,
            _ => &self.set,
        }
    }

    /// The whole archive the run draws on (a cascade's coarse one, which
    /// holds every item).
    pub(super) fn archive(&self) -> &Dataset {
        match (&self.coarse, &self.composed) {
            (Some(c), _) => &c.set,
            (None, Some((set, _))) => set,
            _ => &self.set,
        }
    }
}
