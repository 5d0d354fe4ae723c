//! One generation, end to end on the CPU, and what it says about its sources.
//!
//! [`CpuDenoiser`] answers the sampler's questions with the CPU references;
//! the page's GPU backend answers the same questions with the WGSL kernels.
//! [`provenance`] and [`png_text`] turn a finished run into the credits shown
//! beside the image and written into its PNG.

use serde::Serialize;

use crate::archive::Item;
use crate::dataset::Dataset;
use crate::denoise::gaussian::GaussianDenoiser;
use crate::denoise::patch::{Border, PatchShape};
use crate::denoise::{archive, patch, Denoised, DenoiserKind};
use crate::sampler::{Sampler, StepRecord};

/// Per-step work budget of the CPU patch denoiser, in (pixel, item, position)
/// triples: 67 items × 32⁴ ≈ 7.0·10⁷ fit, so 32 px uses every item; at 64 px
/// the budget allows ⌊7.0·10⁷ / 64⁴⌋ = 4 items per step, chosen by
/// [`patch_candidates`]. The GPU path always uses every item.
pub const CPU_PATCH_BUDGET: usize = 70_254_592;

/// How many items the CPU patch denoiser may use at this edge (at least 2).
pub fn cpu_patch_items(edge: u32, items: usize) -> usize {
    let per_item = (edge as usize).pow(4);
    (CPU_PATCH_BUDGET / per_item)
        .clamp(2, items.max(2))
        .min(items)
}

/// The items the patch denoiser uses: all of them when the budget allows.
/// Otherwise the items the archive posterior ranks highest, split between the
/// two sides of the guidance formula x̂0 = x̂0_all + w·(x̂0_tag − x̂0_all): with
/// a tag and w = 1 only x̂0_tag counts, so every place goes to the tag's
/// items; with w = 0 (or no tag) every place goes to the whole archive;
/// otherwise half (rounded up) go to the tag's items and the rest to the whole
/// archive. The tag's side always gets at least one item.
pub fn patch_candidates(
    posterior: &[f32],
    tag: Option<&[bool]>,
    guidance: f32,
    limit: usize,
) -> Vec<usize> {
    let n = posterior.len();
    if limit >= n {
        return (0..n).collect();
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| posterior[b].total_cmp(&posterior[a]).then(a.cmp(&b)));
    let mut chosen = Vec::with_capacity(limit);
    if let Some(mask) = tag {
        let tagged = if guidance == 1.0 {
            limit
        } else if guidance == 0.0 {
            1
        } else {
            limit.div_ceil(2)
        };
        chosen.extend(order.iter().copied().filter(|&i| mask[i]).take(tagged));
    }
    for &i in &order {
        if chosen.len() >= limit {
            break;
        }
        if !chosen.contains(&i) {
            chosen.push(i);
        }
    }
    chosen.sort_unstable();
    chosen
}

/// The CPU answers for one denoiser and one tag.
pub struct CpuDenoiser {
    kind: DenoiserKind,
    mask: Option<Vec<bool>>,
    gaussian: Option<GaussianDenoiser>,
    /// Items per step for the patch denoiser (all of them unless limited).
    patch_items: usize,
    /// Which patches of each item the patch denoiser compares.
    border: Border,
}

impl CpuDenoiser {
    /// `tag` must name a tag of the set (checked by the caller: an empty mask gives None).
    pub fn new(set: &Dataset, kind: DenoiserKind, tag: Option<&str>) -> Option<Self> {
        let mask = tag.map(|t| set.tag_mask(t));
        if mask.as_ref().is_some_and(|m| !m.contains(&true)) || set.is_empty() {
            return None;
        }
        let gaussian = match kind {
            DenoiserKind::Gaussian => Some(GaussianDenoiser::new(set, mask.as_deref())?),
            _ => None,
        };
        Some(Self {
            kind,
            mask,
            gaussian,
            patch_items: set.len(),
            border: Border::default(),
        })
    }

    /// Chooses the patch denoiser's candidates (interior patches by default).
    pub fn with_border(mut self, border: Border) -> Self {
        self.border = border;
        self
    }

    pub fn border(&self) -> Border {
        self.border
    }

    /// Limits the patch denoiser to `items` candidates per step (the bounded candidate set).
    pub fn with_patch_items(mut self, items: usize) -> Self {
        self.patch_items = items.max(1);
        self
    }

    pub fn kind(&self) -> DenoiserKind {
        self.kind
    }

    pub fn mask(&self) -> Option<&[bool]> {
        self.mask.as_deref()
    }

    /// The fitted models of the Gaussian denoiser (to upload to the GPU).
    pub fn gaussian(&self) -> Option<&GaussianDenoiser> {
        self.gaussian.as_ref()
    }

    pub fn patch_items(&self) -> usize {
        self.patch_items
    }

    /// The patch shape at the sampler's current step (patch denoiser only).
    pub fn patch_shape(&self, set: &Dataset, sampler: &Sampler) -> Option<PatchShape> {
        (self.kind == DenoiserKind::Patch).then(|| PatchShape {
            size: patch::patch_size(set.edge(), sampler.t().unwrap_or(0), sampler.t_max()),
            border: self.border,
        })
    }

    /// Answers the sampler's current question.
    pub fn denoise(&self, set: &Dataset, sampler: &Sampler) -> Denoised {
        let (x_t, a) = (sampler.x_t(), sampler.alpha_bar());
        let mask = self.mask.as_deref();
        match self.kind {
            DenoiserKind::Archive => archive::denoise(set, x_t, a, mask),
            DenoiserKind::Gaussian => {
                let (x0_all, x0_tag) = self.gaussian.as_ref().expect("built").denoise(x_t, a);
                Denoised {
                    x0_all,
                    x0_tag,
                    posterior: archive::posterior(set, x_t, a),
                    ..Denoised::default()
                }
            }
            DenoiserKind::Patch => {
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
        let candidates = patch_candidates(
            &posterior,
            self.mask.as_deref(),
            sampler.config().guidance,
            self.patch_items,
        );
        let shape = self.patch_shape(set, sampler).expect("patch denoiser");
        PendingPatch {
            step: patch::PatchStep::new(set, x_t, a, shape, self.mask.as_deref()),
            candidates,
            next: 0,
            posterior,
        }
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

/// A patch denoiser call in progress.
pub struct PendingPatch {
    step: patch::PatchStep,
    candidates: Vec<usize>,
    next: usize,
    posterior: Vec<f32>,
}

impl PendingPatch {
    pub fn is_complete(&self) -> bool {
        self.next >= self.candidates.len()
    }

    /// (items added, items to add).
    pub fn progress(&self) -> (usize, usize) {
        (self.next, self.candidates.len())
    }

    /// Adds the next candidate item (no-op when complete).
    pub fn add_next(&mut self, set: &Dataset) {
        if let Some(&i) = self.candidates.get(self.next) {
            self.step.add_item(set, i);
            self.next += 1;
        }
    }

    pub fn finish(self) -> Denoised {
        let (x0_all, x0_tag, shares) = self.step.finish();
        Denoised {
            x0_all,
            x0_tag,
            posterior: self.posterior,
            posterior_tag: None,
            pixel_shares: Some(shares),
        }
    }
}

/// The settings of an image run as one line (the page, the PNG's Description
/// chunk and the `sample` example all use it).
pub fn describe_settings(
    kind: DenoiserKind,
    tag: Option<&str>,
    cfg: &crate::sampler::SamplerConfig,
    border: Border,
    backend: &str,
) -> String {
    let patch = if kind == DenoiserKind::Patch {
        format!(
            ", patches {} to 3 px (linear in t), {} candidates",
            patch::largest_patch(cfg.edge),
            border.name()
        )
    } else {
        String::new()
    };
    format!(
        "denoiser {}{patch}, tag {}, {} {} steps, {} schedule, guidance {}, temperature {}, seed {}, {}×{} px, backend {}",
        kind.name(),
        tag.unwrap_or("(none)"),
        cfg.steps,
        cfg.method.name(),
        cfg.schedule.name(),
        cfg.guidance,
        cfg.temperature,
        cfg.seed,
        cfg.edge,
        cfg.edge,
        backend
    )
}

/// One archive item's part in a result.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    pub index: usize,
    pub id: String,
    /// Archive: its coefficient in x̂0. Patch: the share of pixels it supplied.
    /// Gaussian: its weight in the mix of models, (1 − w)/N + w·[tagged]/n
    /// (negative when guidance w > 1 pushes away from the whole archive).
    pub weight: f32,
}

/// The items a step's x̂0 came from, most important first (at most `limit`;
/// every item with a non-zero weight for the Gaussian models, whose result
/// depends on all of their items alike). `guidance` is the run's w.
pub fn provenance(
    set: &Dataset,
    kind: DenoiserKind,
    mask: Option<&[bool]>,
    guidance: f32,
    record: &StepRecord,
    limit: usize,
) -> Vec<Source> {
    let mut weights: Vec<(usize, f32)> = match kind {
        DenoiserKind::Archive => record.coefficients.iter().copied().enumerate().collect(),
        DenoiserKind::Gaussian => {
            // x̂0 = (1 − w)·x̂0_all + w·x̂0_tag: the all-items model stands for
            // its N items equally, the tag's model for its n items.
            let n_all = set.len().max(1) as f32;
            let w = if mask.is_some() { guidance } else { 0.0 };
            let n_tag = mask.map_or(1, |m| m.iter().filter(|&&b| b).count().max(1)) as f32;
            let mut v: Vec<(usize, f32)> = (0..set.len())
                .map(|i| {
                    let tagged = mask.is_some_and(|m| m[i]);
                    (i, (1.0 - w) / n_all + if tagged { w / n_tag } else { 0.0 })
                })
                .filter(|&(_, x)| x.abs() > 1e-6)
                .collect();
            v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            return v
                .into_iter()
                .map(|(i, weight)| Source {
                    index: i,
                    id: set.id(i).to_string(),
                    weight,
                })
                .collect();
        }
        DenoiserKind::Patch => {
            let mut counts = vec![0.0f32; set.len()];
            if let Some((items, _)) = record.source.as_ref() {
                let unit = 1.0 / items.len() as f32;
                for &i in items {
                    counts[i as usize] += unit;
                }
            }
            counts.into_iter().enumerate().collect()
        }
    };
    weights.retain(|&(_, w)| w > 1e-4);
    weights.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    weights.truncate(limit);
    weights
        .into_iter()
        .map(|(i, w)| Source {
            index: i,
            id: set.id(i).to_string(),
            weight: w,
        })
        .collect()
}

/// A credit line for an archive item: “Title” by Creator (year), licence, source.
pub fn credit_line(item: &Item) -> String {
    let year = item.year.map(|y| format!(" ({y})")).unwrap_or_default();
    format!(
        "“{}” by {}{}, {}; {}",
        item.title, item.creator, year, item.licence, item.attribution
    )
}

/// The tEXt/iTXt chunks of a downloaded result: what made it and from what.
pub fn png_text(
    settings: &str,
    sources: &[Source],
    kind: DenoiserKind,
    items: &[Item],
) -> Vec<(String, String)> {
    let mut lines = Vec::new();
    for s in sources {
        let credit = items
            .iter()
            .find(|it| it.id == s.id)
            .map(credit_line)
            .unwrap_or_else(|| s.id.clone());
        let share = match kind {
            DenoiserKind::Archive => format!("weight {:.3}", s.weight),
            DenoiserKind::Patch => format!("{:.1}% of pixels", 100.0 * s.weight),
            DenoiserKind::Gaussian => {
                format!("weight {:.4} in the mix of Gaussian models", s.weight)
            }
        };
        lines.push(format!("{} [{}]: {}", s.id, share, credit));
    }
    vec![
        ("Title".into(), "A hypothetical image".into()),
        (
            "Software".into(),
            "Hypothetical (reverse diffusion from the project's archive)".into(),
        ),
        ("Description".into(), settings.to_string()),
        ("Source".into(), lines.join("\n")),
    ]
}

/// A distinct, stable colour per item index (golden-angle hues).
pub fn source_colour(index: u32) -> [u8; 3] {
    let h = (f64::from(index) * 137.507_764) % 360.0;
    let (s, v) = (0.65, 0.95);
    let c = v * s;
    let x = c * (1.0 - ((h / 60.0) % 2.0 - 1.0).abs());
    let (r, g, b) = match (h / 60.0) as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = v - c;
    [r, g, b].map(|u| ((u + m) * 255.0).round() as u8)
}

/// A patch run's source map as RGBA8: each pixel in its item's colour,
/// dimmed where that item's share of the pixel is small. None for the other
/// denoisers.
pub fn source_map_rgba(record: &StepRecord) -> Option<Vec<u8>> {
    let (items, shares) = record.source.as_ref()?;
    let mut out = Vec::with_capacity(items.len() * 4);
    for (&i, &share) in items.iter().zip(shares) {
        let [r, g, b] = source_colour(u32::from(i));
        let k = 0.35 + 0.65 * share;
        out.extend_from_slice(&[
            (f32::from(r) * k) as u8,
            (f32::from(g) * k) as u8,
            (f32::from(b) * k) as u8,
            255,
        ]);
    }
    Some(out)
}
