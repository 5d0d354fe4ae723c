//! One sampling run, as every scene uses it: the sampler, the denoiser that
//! answers it on the CPU and, when a GPU is open, the WGSL twin that answers
//! instead. [`Run::step`] is one denoiser call and one sampler update; on the
//! CPU the patch denoiser spreads a step over several calls so that the page
//! can draw between them. A GPU failure moves the run to the CPU; the second
//! step can time the kernel on both paths so the scene keeps the faster.
//!
//! A scene keeps its run in a [`RunSlot`] and takes it out for a step with
//! [`TakenRun`], which puts it back on every exit path.
//!
//! Natively the same run steps on lavapipe or the CPU (`tests/runs.rs`).

use std::cell::RefCell;
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::archive::dataset::{encode_png, Dataset, SAMPLE_EDGES};
use crate::archive::Item;
use crate::backend::calibration::{Calibrations, KernelTiming, Path};
use crate::denoise::archive::{self as archive_denoiser, TagBar};
use crate::denoise::patch::{self, Border, FlatPartial, PatchPartial};
use crate::denoise::DenoiserKind;
use crate::diffusion::cpu::{cpu_patch_items, CpuDenoiser, PatchJob, PendingPatch};
use crate::diffusion::provenance::{
    credit_line, describe_settings, png_text, provenance, source_map_rgba, Credit, Source,
};
use crate::diffusion::sampler::{Method, Sampler, SamplerConfig, SamplerError, StepRecord};
use crate::diffusion::schedule::ScheduleKind;
use crate::gpu::denoisers::{GpuDenoiser, GPU_PATCH_ITEMS};
use crate::gpu::GpuContext;
use crate::image::{upscale_nearest, write_rgba8, CHANNELS};

/// How long one CPU patch step may compute before it returns to the page
/// (ms): about three frames at 60 Hz, so that the page stays usable.
pub const CPU_SLICE_MS: f64 = 50.0;

/// What a scene asks for (the page's settings, as sent).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunOptions {
    /// "archive", "gaussian" or "patch".
    pub denoiser: String,
    pub tag: Option<String>,
    pub steps: u32,
    pub guidance: f32,
    pub temperature: f32,
    pub seed: u32,
    /// "ddim" or "ddpm".
    pub method: String,
    /// Picture edge in pixels (RGB runs: 32, 64 or 128; spectrograms: their own).
    #[serde(default)]
    pub size: Option<u32>,
    /// Patch denoiser: "interior" (default) or "wrap".
    #[serde(default)]
    pub border: Option<String>,
}

#[derive(Debug, Error, PartialEq)]
pub enum RunError {
    #[error("unknown denoiser “{0}”: use archive, gaussian or patch")]
    Denoiser(String),
    #[error("unknown method “{0}”: use ddim or ddpm")]
    Method(String),
    #[error("unknown candidate border “{0}”: use interior or wrap")]
    Border(String),
    #[error("the size must be one of {SAMPLE_EDGES:?} px, not {0}")]
    Size(u32),
    #[error("no archive item carries the tag “{0}”")]
    Tag(String),
    #[error("the {0} denoiser does not run on spectrograms: use archive or gaussian")]
    NotForSpectrograms(&'static str),
    #[error("the archive has no items loaded yet")]
    Empty,
    #[error("{0} of the pictures this run needs at {1} px have not been fetched yet")]
    NotFetched(usize, u32),
    #[error("a step is still running; wait for it")]
    Busy,
    #[error("press Generate first")]
    NoRun,
    #[error("step {0} has not been computed")]
    NoStep(usize),
    #[error("this step kept no picture of that kind")]
    NoPicture,
    #[error("no patch step is waiting for the workers' shares")]
    NoPatchJob,
    #[error("these shares belong to an earlier run")]
    StaleShares,
    #[error("a worker's share does not fit this step: {0}")]
    Share(String),
    #[error(transparent)]
    Sampler(#[from] SamplerError),
}

/// What a scene shows when a run starts.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StartInfo {
    pub steps: usize,
    pub backend: &'static str,
    /// Set when the CPU uses a bounded candidate set: words for the screen.
    pub approximation: Option<String>,
    pub settings: String,
    /// Patch denoiser: which candidate patches it compares, in words.
    pub candidates: Option<String>,
    /// Which path the denoiser takes and why, when a GPU is open.
    pub paths: Option<String>,
}

/// What one call of [`Run::step`] did.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepReport {
    pub done: bool,
    /// Steps finished, and in all.
    pub index: usize,
    pub total: usize,
    pub t: u32,
    pub patch: Option<u32>,
    pub backend: &'static str,
    /// A GPU failure that moved this run to the CPU.
    pub fell_back: Option<String>,
    /// CPU patch denoiser: the step is not finished yet; [items added, items].
    pub partial: Option<[usize; 2]>,
    /// The kernel timed on both paths at this step (the scene records it and
    /// calls [`Run::settle`]); not sent to the page.
    #[serde(skip)]
    pub timing: Option<KernelTiming>,
    /// The decision taken from `timing`, in words (set by the scene).
    pub calibration: Option<String>,
    /// A cascade at its handover: the items whose full-size pictures the
    /// refinement needs and the run does not hold yet (the scene fetches
    /// them, calls [`Run::supply`] and steps again). Nothing was computed.
    pub needs: Option<Vec<String>>,
    /// After a cascade's handover: the share of the posterior its kept
    /// items held there ([`Run::kept_mass`]).
    pub kept: Option<f32>,
}

/// The coarse stage of a cascade: the patch machine at a smaller edge, which
/// composes the picture while the noise is high.
struct Coarse {
    set: Rc<Dataset>,
    cpu: CpuDenoiser,
    gpu: Option<GpuDenoiser>,
    /// The first timestep denoised at the full edge.
    until: u32,
}

/// The edge a cascade composes at.
pub const CASCADE_EDGE: u32 = 32;
/// The cascade hands over to the full edge when the coarse patches have
/// shrunk to this size: the composition (the large patches) is settled at
/// the coarse edge, the texture is made at the full one.
pub const CASCADE_HANDOVER_PATCH: u32 = 7;

/// The items a cascade refines with: at its handover it keeps this many, those
/// the archive posterior of the coarse picture ranks highest (the tag's side
/// as in [`crate::diffusion::cpu::patch_candidates`]), and fetches their
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

pub struct Run {
    set: Rc<Dataset>,
    sampler: Sampler,
    cpu: CpuDenoiser,
    gpu: Option<GpuDenoiser>,
    /// A cascade's coarse stage, until it hands over.
    coarse: Option<Coarse>,
    /// Time the kernel on both paths at the second step (the first warms the GPU up).
    calibrate: bool,
    /// The CPU patch denoiser's unfinished step.
    pending: Option<PendingPatch>,
    tag: Option<String>,
    settings: String,
    /// The GPU the refinement's twin is made on at a cascade's handover.
    gpu_context: Option<GpuContext>,
    /// A cascade's refinement candidates, chosen at the handover.
    fine_ids: Option<Vec<String>>,
    /// After a cascade's handover: the coarse archive and the number of
    /// steps recorded on it (their posteriors index it).
    composed: Option<(Rc<Dataset>, usize)>,
    /// A cascade's handover: the smallest share of the posterior that the
    /// kept items held, over the sides of the guidance formula that count.
    kept_mass: Option<f32>,
}

/// The share of the posterior that the items `kept` hold: of the whole
/// archive's (unless a tag with w = 1 leaves only the tag's side) and of the
/// tag's items' renormalised posterior (with a tag and w ≠ 0); the smaller.
fn kept_mass(posterior: &[f32], tag: Option<&[bool]>, guidance: f32, kept: &[usize]) -> f32 {
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
    /// Prepares a run on `set`. `gpu` is the scene's open context, if any;
    /// it is used unless `calibrations` has measured the CPU faster for this
    /// kernel, and with `calibrate` an unmeasured kernel is timed at step 2.
    /// A patch run above 64 px is a cascade: it composes on `coarse` (the
    /// same items at [`CASCADE_EDGE`]) and refines on `set` with candidates
    /// near each pixel's position; without `coarse` it runs at the full edge
    /// throughout.
    pub fn start(
        set: Rc<Dataset>,
        coarse: Option<Rc<Dataset>>,
        o: &RunOptions,
        gpu: Option<&GpuContext>,
        calibrations: &Calibrations,
        calibrate: bool,
    ) -> Result<(Run, StartInfo), RunError> {
        let kind = DenoiserKind::parse(&o.denoiser)
            .ok_or_else(|| RunError::Denoiser(o.denoiser.clone()))?;
        let method = Method::parse(&o.method).ok_or_else(|| RunError::Method(o.method.clone()))?;
        let spectrograms = set.channels() == 1;
        if !spectrograms {
            let size = o.size.unwrap_or(set.edge());
            if !SAMPLE_EDGES.contains(&size) || size != set.edge() {
                return Err(RunError::Size(size));
            }
        }
        let tag = o.tag.clone().filter(|t| !t.is_empty());
        // The whole archive at the coarse edge, when the scene holds it.
        let archive = coarse
            .filter(|c| c.edge() == CASCADE_EDGE && !c.is_empty() && set.edge() > CASCADE_EDGE);
        let cascade = match &archive {
            Some(a) => is_cascade(kind, set.edge(), a.len()),
            None => kind == DenoiserKind::Patch && set.edge() > patch::WINDOWED_ABOVE,
        };
        let coarse = archive.clone().filter(|_| cascade);
        // A run at the full edge throughout works on the pictures it needs
        // from the start (every item, or the Gaussian's sample).
        let mut set = set;
        let mut fitted = None;
        if let (Some(a), false) = (&archive, cascade) {
            let ids = pictures_before_start(a, kind, set.edge(), tag.as_deref());
            let missing = ids.iter().filter(|id| set.index_of(id).is_none()).count();
            if missing > 0 {
                return Err(RunError::NotFetched(missing, set.edge()));
            }
            if ids.len() != set.len() {
                set = Rc::new(set.subset(&ids).expect("every id is held"));
            }
            if kind == DenoiserKind::Gaussian && ids.len() < a.len() {
                fitted = Some((ids.len(), a.len()));
            }
        }
        // A cascade may start before any full-size picture is held: it
        // chooses and fetches them at its handover.
        let full = if coarse.is_some() && set.is_empty() {
            coarse.clone().expect("checked")
        } else {
            set.clone()
        };
        if full.is_empty() {
            return Err(RunError::Empty);
        }
        if spectrograms && kind == DenoiserKind::Patch {
            return Err(RunError::NotForSpectrograms(kind.name()));
        }
        let cfg = SamplerConfig {
            edge: set.edge(),
            method,
            steps: o.steps,
            seed: u64::from(o.seed),
            schedule: ScheduleKind::Cosine,
            guidance: o.guidance,
            temperature: o.temperature,
        };
        let channels = if spectrograms { 1 } else { CHANNELS };
        let mut cpu = CpuDenoiser::new(&full, kind, tag.as_deref())
            .ok_or_else(|| RunError::Tag(tag.clone().unwrap_or_default()))?;
        if let Some(name) = o.border.as_deref() {
            cpu =
                cpu.with_border(Border::parse(name).ok_or_else(|| RunError::Border(name.into()))?);
        }
        let kernel = cpu.kernel_name();
        let measured = calibrations.get(&kernel, set.edge()).cloned();
        let gpu_open = gpu.is_some();
        let use_gpu = measured.as_ref().is_none_or(|m| m.choice() == Path::Gpu);
        // The items go to the GPU in one storage binding; an archive too large
        // for it (2,363 pictures at 128 px: 464 MB, against WebGPU's 128 MiB)
        // runs on the CPU. A cascade binds its coarse set and 64 chosen items.
        let bound = if coarse.is_some() { &full } else { &set };
        let bytes = 4 * bound.data().len() as u64;
        let too_big = gpu.and_then(|ctx| {
            let limit = ctx.device.limits().max_storage_buffer_binding_size;
            (bytes > limit).then_some(limit)
        });
        let gpu_context = gpu.filter(|_| use_gpu && too_big.is_none()).cloned();
        // A cascade's refinement twin is made at the handover, on the items chosen there.
        let gpu = gpu_context
            .as_ref()
            .filter(|_| coarse.is_none())
            .map(|ctx| {
                GpuDenoiser::new(
                    ctx.clone(),
                    &set,
                    cpu.gpu_kernel(),
                    cpu.mask(),
                    cpu.gaussian(),
                )
                .with_patch_limit(GPU_PATCH_ITEMS, o.guidance)
            });
        let coarse = match coarse {
            Some(c) => {
                let mut ccpu = CpuDenoiser::new(&c, kind, tag.as_deref())
                    .ok_or_else(|| RunError::Tag(tag.clone().unwrap_or_default()))?
                    .with_border(cpu.border());
                if gpu_context.is_none() {
                    ccpu = ccpu.with_cpu_budget();
                }
                let cgpu = gpu_context.as_ref().map(|g| {
                    GpuDenoiser::new(g.clone(), &c, kind, ccpu.mask(), None)
                        .with_patch_limit(GPU_PATCH_ITEMS, o.guidance)
                });
                Some(Coarse {
                    set: c,
                    cpu: ccpu,
                    gpu: cgpu,
                    until: 0, // set below, from the sampler's T
                })
            }
            None => None,
        };
        // A cascade's sampler starts at the coarse edge and is enlarged at the handover.
        let edge = if coarse.is_some() {
            CASCADE_EDGE
        } else {
            set.edge()
        };
        let sampler = Sampler::with_channels(SamplerConfig { edge, ..cfg }, channels)?;
        let mut coarse = coarse;
        if let Some(c) = coarse.as_mut() {
            c.until = cascade_handover(sampler.t_max());
        }
        // A cascade's kernels change size midway: they are not timed.
        let calibrate = gpu.is_some() && calibrate && measured.is_none() && coarse.is_none();
        let paths = match (gpu_open, measured) {
            (true, _) if too_big.is_some() => Some(format!(
                "The archive at {} px holds {:.0} MB, more than the {:.0} MB WebGPU can bind here, so this run is on the CPU.",
                set.edge(),
                bytes as f64 / 1e6,
                too_big.unwrap_or(0) as f64 / 1e6
            )),
            (false, _) => None,
            (true, Some(m)) => Some(m.sentence()),
            (true, None) if calibrate => Some(format!(
                "The second step times {kernel} at {} px on WebGPU and on the CPU; the faster path is kept.",
                set.edge()
            )),
            (true, None) => Some("WebGPU, as the address asks (?gpu).".to_string()),
        };
        let mut approximation = None;
        if let Some((n, of)) = fitted {
            approximation = Some(format!(
                "At {e} × {e} px the Gaussian is fitted to {n} of the archive's {of} pictures (every {every}th in its order{tagged}), fetched at {e} px, not to all of them; the recogniser weighs the same {n}.",
                e = set.edge(),
                every = of.div_ceil(GAUSSIAN_FIT_ITEMS),
                tagged = if tag.is_some() { ", and the tag's spread the same way" } else { "" },
            ));
        } else if cascade {
            if gpu_context.is_none() {
                cpu = cpu.with_cpu_budget();
            }
            approximation = Some(cascade_sentence(
                kind,
                set.edge(),
                coarse.as_ref().map(|c| (c.until, c.set.len())),
                gpu_context.is_none(),
                sampler.t_max(),
                full.len(),
            ));
        } else if gpu.is_some() && kind == DenoiserKind::Patch && set.len() > GPU_PATCH_ITEMS {
            approximation = Some(bounded_candidates_sentence(
                set.edge(),
                GPU_PATCH_ITEMS,
                set.len(),
                tag.is_some(),
                o.guidance,
                true,
            ));
        } else if gpu.is_none() && kind == DenoiserKind::Patch {
            let k = cpu_patch_items(set.edge(), set.len());
            if k < set.len() {
                cpu = cpu.with_patch_items(k);
                approximation = Some(bounded_candidates_sentence(
                    set.edge(),
                    k,
                    set.len(),
                    tag.is_some(),
                    o.guidance,
                    false,
                ));
            }
        }
        let backend = if gpu.is_some() || gpu_context.is_some() && coarse.is_some() {
            "gpu"
        } else {
            "cpu"
        };
        let mut settings = describe_settings(kind, tag.as_deref(), &cfg, cpu.border(), backend);
        if let Some(c) = coarse.as_ref().filter(|_| kind != DenoiserKind::Patch) {
            settings.push_str(&format!(
                "; a cascade: the archive posterior at {CASCADE_EDGE} px while t > {}, then at {} px over the {} items it ranks highest there",
                c.until,
                set.edge(),
                c.set.len().min(FINE_CANDIDATES)
            ));
        } else if let Some(c) = coarse.as_ref() {
            let (t_max, edge) = (sampler.t_max(), set.edge());
            let whole = format!(
                "patches {} to 3 px (linear in t)",
                patch::largest_patch(edge)
            );
            let staged = format!(
                "patches {} to {} px at {CASCADE_EDGE} px, then {} to 3 px at {edge} px (linear in t)",
                patch::largest_patch(CASCADE_EDGE),
                patch::patch_size(CASCADE_EDGE, c.until + 1, t_max),
                patch::patch_size(edge, c.until, t_max),
            );
            settings = settings.replace(&whole, &staged);
            let near = if edge > patch::WINDOWED_ABOVE {
                " with candidates within the patch radius of each pixel"
            } else {
                ""
            };
            settings.push_str(&format!(
                "; a cascade: composed at {CASCADE_EDGE} px while t > {}, then refined at {edge} px on {} items{near}",
                c.until,
                c.set.len().min(FINE_CANDIDATES)
            ));
        }
        if let Some((n, of)) = fitted {
            settings.push_str(&format!("; the Gaussian fitted to {n} of {of} pictures"));
        }
        if spectrograms {
            settings.push_str("; ");
            settings.push_str(&crate::audio::spectrogram::describe_pictures());
        }
        let info = StartInfo {
            steps: sampler.total_steps(),
            backend,
            approximation,
            settings: settings.clone(),
            candidates: (kind == DenoiserKind::Patch).then(|| cpu.border().describe().to_string()),
            paths,
        };
        let run = Run {
            set,
            sampler,
            cpu,
            gpu,
            coarse,
            calibrate,
            pending: None,
            tag,
            settings,
            gpu_context,
            fine_ids: None,
            composed: None,
            kept_mass: None,
        };
        Ok((run, info))
    }

    /// One step: one denoiser call and one sampler update, or, for the CPU
    /// patch denoiser, as many candidate items as fit in `slice_ms`
    /// (`f64::INFINITY`: the whole step). `now_ms` is the scene's clock.
    pub async fn step(
        &mut self,
        now_ms: &dyn Fn() -> f64,
        slice_ms: f64,
    ) -> Result<StepReport, RunError> {
        let mut report = StepReport {
            backend: "cpu",
            ..StepReport::default()
        };
        if !self.sampler.is_done() {
            if let Some(needs) = self.hand_over()? {
                return Ok(self.after_step(StepReport {
                    needs: Some(needs),
                    backend: if self.gpu_context.is_some() {
                        "gpu"
                    } else {
                        "cpu"
                    },
                    ..report
                }));
            }
            let Run {
                set,
                sampler,
                cpu,
                gpu,
                coarse,
                pending,
                calibrate,
                ..
            } = self;
            // The stage at work: a cascade's coarse stage, or the run's own.
            let (set, cpu, gpu) = match coarse.as_mut() {
                Some(c) => (&c.set, &c.cpu, &mut c.gpu),
                None => (&*set, &*cpu, gpu),
            };
            let shape = cpu.patch_shape(set, sampler);
            let (x_t, a) = (sampler.x_t(), sampler.alpha_bar());
            let mut answer = None;
            if let Some(g) = gpu.as_mut() {
                let t0 = now_ms();
                match g.denoise(x_t, a, shape).await {
                    Ok(mut d) => {
                        let gpu_ms = now_ms() - t0;
                        if *calibrate && sampler.steps_done() == 1 {
                            *calibrate = false;
                            let (cpu_ms, exact) = cpu.time_gpu_work(set, sampler, now_ms);
                            report.timing = Some(KernelTiming {
                                kernel: cpu.kernel_name(),
                                size: set.edge(),
                                gpu_ms,
                                cpu_ms,
                                exact_on_cpu: exact,
                            });
                        }
                        cpu.complete_gpu_answer(&mut d, x_t, a);
                        answer = Some(d);
                        report.backend = "gpu";
                    }
                    Err(e) => {
                        report.fell_back = Some(format!("{e}; this run continues on the CPU"));
                        *gpu = None;
                    }
                }
            }
            let d = match answer {
                Some(d) => d,
                None if cpu.kind() == DenoiserKind::Patch => {
                    let mut step = pending
                        .take()
                        .unwrap_or_else(|| cpu.begin_patch(set, sampler));
                    let started = now_ms();
                    while !step.is_complete() {
                        step.add_next(set);
                        if now_ms() - started > slice_ms {
                            break;
                        }
                    }
                    if !step.is_complete() {
                        let (added, of) = step.progress();
                        *pending = Some(step);
                        return Ok(StepReport {
                            index: sampler.steps_done(),
                            total: sampler.total_steps(),
                            t: sampler.t().unwrap_or(0),
                            patch: shape.map(|p| p.size),
                            partial: Some([added, of]),
                            ..report
                        });
                    }
                    step.finish()
                }
                None => cpu.denoise(set, sampler),
            };
            let kind = cpu.kind();
            sampler.advance(&d, kind, shape.map(|p| p.size))?;
            if report.fell_back.is_some() {
                self.leave_gpu();
            }
        }
        Ok(self.after_step(report))
    }

    /// The report of a finished step.
    fn after_step(&self, report: StepReport) -> StepReport {
        let last = self.sampler.records().last();
        StepReport {
            done: self.sampler.is_done(),
            index: self.sampler.steps_done(),
            total: self.sampler.total_steps(),
            t: last.map_or(0, |r| r.t),
            patch: last.and_then(|r| r.patch),
            kept: self.kept_mass,
            ..report
        }
    }

    /// The stage at work: a cascade's coarse stage, or the run's own.
    fn stage(&self) -> (&Rc<Dataset>, &CpuDenoiser, bool) {
        match self.coarse.as_ref() {
            Some(c) => (&c.set, &c.cpu, c.gpu.is_some()),
            None => (&self.set, &self.cpu, self.gpu.is_some()),
        }
    }

    /// The current step's CPU patch denoiser call, for Web Workers to share
    /// (starting it as `step` would): what is left of it. None when the step
    /// is not one (the run is done, on the GPU, or another denoiser): then
    /// `step` takes it.
    pub fn patch_job(&mut self) -> Result<Option<PatchJob>, RunError> {
        if self.sampler.is_done() {
            return Ok(None);
        }
        if self.hand_over()?.is_some() {
            return Ok(None); // `step` reports what the refinement needs
        }
        let (set, cpu, on_gpu) = self.stage();
        if on_gpu || cpu.kind() != DenoiserKind::Patch {
            return Ok(None);
        }
        if self.pending.is_none() {
            let started = cpu.begin_patch(set, &self.sampler);
            self.pending = Some(started);
        }
        Ok(self.pending.as_ref().map(PendingPatch::job))
    }

    /// The archive the current stage works on (a cascade's coarse one first).
    pub fn stage_set(&self) -> Rc<Dataset> {
        self.stage().0.clone()
    }

    /// Completes the step of [`Self::patch_job`] with the workers' shares of
    /// it (any order) and advances the sampler.
    pub fn finish_patch_step(&mut self, shares: &[FlatPartial]) -> Result<StepReport, RunError> {
        let left = self
            .pending
            .as_ref()
            .ok_or(RunError::NoPatchJob)?
            .job()
            .candidates;
        let (set, cpu, _) = self.stage();
        let rest = PatchPartial::merge_flats(set, cpu.mask(), shares).map_err(RunError::Share)?;
        let mut want = left;
        let mut got = rest.added().to_vec();
        want.sort_unstable();
        got.sort_unstable();
        if want != got {
            return Err(RunError::Share(format!(
                "the shares add {} items where the step has {} left",
                got.len(),
                want.len()
            )));
        }
        let shape = cpu.patch_shape(set, &self.sampler);
        let kind = cpu.kind();
        let pending = self.pending.take().expect("checked above");
        let d = pending.finish_with(&rest);
        self.sampler.advance(&d, kind, shape.map(|p| p.size))?;
        Ok(self.after_step(StepReport {
            backend: "cpu",
            ..StepReport::default()
        }))
    }

    /// Acts on a timing the scene has recorded: a kernel measured faster on
    /// the CPU leaves the GPU for the rest of the run. Returns the decision in words.
    pub fn settle(&mut self, decided: &KernelTiming) -> String {
        if decided.choice() == Path::Cpu && self.gpu.is_some() {
            self.leave_gpu();
            self.settings = self
                .settings
                .replace("backend gpu", "backend cpu (measured faster here)");
        }
        decided.sentence()
    }

    /// Drops the GPU twins; the rest of the run is on the CPU (exact: the
    /// patch denoiser keeps every item, however slow).
    fn leave_gpu(&mut self) {
        self.gpu = None;
        self.gpu_context = None;
        if let Some(c) = self.coarse.as_mut() {
            c.gpu = None;
        }
    }

    /// A cascade moves to the full edge at its handover timestep, with the
    /// [`FINE_CANDIDATES`] items the archive posterior of the coarse picture
    /// ranks highest. Returns the ids of those the run does not hold at the
    /// full edge yet (nothing is changed then; see [`Run::supply`]).
    fn hand_over(&mut self) -> Result<Option<Vec<String>>, RunError> {
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
                let chosen = crate::diffusion::cpu::patch_candidates(
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
    fn set_of(&self, k: usize) -> &Dataset {
        match (&self.coarse, &self.composed) {
            (Some(c), _) => &c.set,
            (None, Some((set, steps))) if k <= *steps => set,
            _ => &self.set,
        }
    }

    /// The whole archive the run draws on (a cascade's coarse one, which
    /// holds every item).
    fn archive(&self) -> &Dataset {
        match (&self.coarse, &self.composed) {
            (Some(c), _) => &c.set,
            (None, Some((set, _))) => set,
            _ => &self.set,
        }
    }

    /// After a cascade's handover: the smallest share of the posterior (of
    /// the sides of the guidance formula that count) the kept items held.
    pub fn kept_mass(&self) -> Option<f32> {
        self.kept_mass
    }

    /// Whether a cascade is still composing at its coarse edge.
    pub fn composing(&self) -> bool {
        self.coarse.is_some()
    }

    pub fn sampler(&self) -> &Sampler {
        &self.sampler
    }

    pub fn set(&self) -> &Dataset {
        &self.set
    }

    pub fn denoiser(&self) -> &CpuDenoiser {
        &self.cpu
    }

    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The edge of the pictures the run holds now (a cascade's coarse edge
    /// until it hands over; every recorded step has this edge).
    pub fn edge(&self) -> u32 {
        self.sampler.config().edge
    }

    /// The run's settings in one line (the backend as it is now).
    pub fn settings(&self) -> &str {
        &self.settings
    }

    /// Whether the GPU still answers this run.
    pub fn on_gpu(&self) -> bool {
        self.gpu.is_some()
    }

    /// Step k's record, k counted from 1 as the page shows it.
    pub fn record(&self, k: usize) -> Result<&StepRecord, RunError> {
        self.sampler
            .records()
            .get(k.wrapping_sub(1))
            .ok_or(RunError::NoStep(k))
    }

    /// RGB runs: step k's x_t ("xt") or guided x̂0 ("x0") as RGBA8, or the
    /// current sample ("result", the result once finished).
    pub fn rgba(&self, k: usize, which: &str) -> Result<Vec<u8>, RunError> {
        if which == "result" {
            let x = self.sampler.x_t();
            let mut out = vec![0u8; x.len() / CHANNELS * 4];
            write_rgba8(x, x.len() / CHANNELS, &mut out);
            return Ok(out);
        }
        let (x_t, x0) = self.record(k)?.rgba().ok_or(RunError::NoPicture)?;
        Ok(match which {
            "xt" => x_t,
            _ => x0,
        }
        .to_vec())
    }

    /// One-channel runs: step k's guided x̂0 as values; k = 0 or past the
    /// last step: the current sample clamped to [−1, 1] (the result once finished).
    pub fn values(&self, k: usize) -> Result<Vec<f32>, RunError> {
        let records = self.sampler.records();
        if k == 0 || k > records.len() {
            return Ok(self
                .sampler
                .x_t()
                .iter()
                .map(|v| v.clamp(-1.0, 1.0))
                .collect());
        }
        records[k - 1]
            .x0_values()
            .map(<[f32]>::to_vec)
            .ok_or(RunError::NoPicture)
    }

    /// The recogniser at step k: the `limit` most probable tags. On pictures each bar is the probability that the caption applies ([`archive_denoiser::applies_bars`]); on spectrograms (a `vocabulary`) the bars share the mass and sum to 1 (within
    /// `vocabulary` where the scene names its tags).
    pub fn recogniser(
        &self,
        k: usize,
        limit: usize,
        vocabulary: Option<&[&str]>,
    ) -> Result<Vec<TagBar>, RunError> {
        let r = self.record(k)?;
        let set = self.set_of(k);
        if set.channels() == CHANNELS && vocabulary.is_none() {
            return Ok(archive_denoiser::applies_bars(set, &r.posterior, limit));
        }
        Ok(archive_denoiser::recogniser_bars(
            set,
            &r.posterior,
            limit,
            vocabulary,
        ))
    }

    /// p(tag | x_t) at every recorded step.
    pub fn tag_history(&self, tag: &str) -> Vec<f32> {
        self.sampler
            .records()
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let set = self.set_of(i + 1);
                if set.channels() == CHANNELS {
                    archive_denoiser::applies(set, &r.posterior, tag)
                } else {
                    archive_denoiser::tag_probability(set, &r.posterior, tag)
                }
            })
            .collect()
    }

    /// The recogniser before any picture is seen: the `limit` tags with the
    /// largest prior (each its share of the archive), p = prior.
    pub fn prior_bars(&self, limit: usize) -> Vec<TagBar> {
        let set = self.archive();
        let uniform = vec![1.0 / set.len().max(1) as f32; set.len()];
        if set.channels() == CHANNELS {
            return archive_denoiser::applies_bars(set, &uniform, limit);
        }
        archive_denoiser::recogniser_bars(set, &uniform, limit, None)
    }

    /// The recogniser's value for `tag` before any picture is seen.
    pub fn tag_prior(&self, tag: &str) -> f32 {
        let set = self.archive();
        if set.channels() == CHANNELS {
            return archive_denoiser::applies_prior(set, tag);
        }
        archive_denoiser::tag_prior(set, tag, None)
    }

    /// The items step k's x̂0 came from (k past the end: the last step).
    pub fn provenance(&self, k: usize, limit: usize) -> Result<Vec<Source>, RunError> {
        let n = self.sampler.records().len();
        let k = k.clamp(1, n.max(1));
        let r = self.record(k)?;
        let set = self.set_of(k);
        let mask = self.tag.as_deref().map(|t| set.tag_mask(t));
        Ok(provenance(
            set,
            self.cpu.kind(),
            mask.as_deref(),
            self.sampler.config().guidance,
            r,
            limit,
        ))
    }

    /// The same with each item's title and credit line from the manifest.
    pub fn credits(&self, items: &[Item], k: usize, limit: usize) -> Result<Vec<Credit>, RunError> {
        Ok(self
            .provenance(k, limit)?
            .into_iter()
            .map(|src| {
                let item = items.iter().find(|i| i.id == src.id);
                Credit {
                    title: item.map_or_else(|| src.id.clone(), |i| i.title.clone()),
                    credit: item.map(credit_line).unwrap_or_default(),
                    id: src.id,
                    weight: src.weight,
                }
            })
            .collect())
    }

    /// Patch denoiser: step k's source map as RGBA8 (None for the others).
    pub fn source_map(&self, k: usize) -> Result<Option<Vec<u8>>, RunError> {
        Ok(source_map_rgba(self.record(k)?))
    }

    /// The result (or the last x̂0 of an unfinished run) as a PNG scaled by
    /// `scale` (1–16), with the settings and provenance in its text chunks.
    pub fn png(&self, items: &[Item], scale: u32) -> Result<Vec<u8>, RunError> {
        let r = self.sampler.records().last().ok_or(RunError::NoStep(1))?;
        let edge = self.edge();
        let small = if self.sampler.is_done() {
            self.rgba(0, "result")?
        } else {
            r.rgba()
                .map(|(_, x0)| x0.to_vec())
                .ok_or(RunError::NoPicture)?
        };
        let k = scale.clamp(1, 16);
        let rgba = upscale_nearest(&small, edge, k);
        let sources = self.provenance(usize::MAX, 12)?;
        let mut settings = self.settings.clone();
        if !self.sampler.is_done() {
            settings.push_str(&format!(
                "; cancelled after step {} of {} (this is that step's x̂0)",
                self.sampler.steps_done(),
                self.sampler.total_steps()
            ));
        }
        let text = png_text(&settings, &sources, self.cpu.kind(), items);
        let text: Vec<(&str, &str)> = text.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        Ok(encode_png(&rgba, edge * k, edge * k, &text))
    }
}

/// The words for a cascade, with the CPU's item counts where they apply.
/// `coarse`: the handover timestep and the coarse archive's size.
fn cascade_sentence(
    kind: DenoiserKind,
    edge: u32,
    coarse: Option<(u32, usize)>,
    on_cpu: bool,
    t_max: u32,
    archive: usize,
) -> String {
    let fine = match coarse {
        Some((_, n)) => n.min(FINE_CANDIDATES),
        None => archive,
    };
    if kind != DenoiserKind::Patch {
        let (t, n) = coarse.unwrap_or((0, archive));
        return format!(
            "At {edge} × {edge} px the {name} denoiser works as a cascade: it follows the archive posterior of every item at {CASCADE_EDGE} px while t > {t}, then keeps the {fine} of the {n} items that posterior ranks highest, fetches their full-size pictures, enlarges its guess, adds fresh noise of the same level and finishes at {edge} px with the exact posterior over those {fine}.",
            name = kind.name()
        );
    }
    let windowed = edge > patch::WINDOWED_ABOVE;
    let near = if windowed {
        ", where each pixel takes patches only from within the patch radius of its own position"
    } else {
        ", where each pixel takes patches from every position of those items"
    };
    let mut words = match coarse {
        Some((t, n)) => {
            let kept = if n > FINE_CANDIDATES {
                format!("keeps the {fine} of the {n} items that the archive posterior of that picture ranks highest, fetches their full-size pictures, ")
            } else {
                format!("keeps all {n} items, ")
            };
            format!(
                "At {edge} × {edge} px the patch machine works as a cascade: it composes the picture at {CASCADE_EDGE} px while t > {t} (patches from every position of every item, as at {CASCADE_EDGE} px), then {kept}enlarges its guess, adds fresh noise of the same level and refines it at {edge} px{near}."
            )
        }
        None => format!(
            "At {edge} × {edge} px each pixel takes patches only from within the patch radius of its own position."
        ),
    };
    if on_cpu {
        let from = coarse.map_or(t_max, |(t, _)| t);
        let counts: Vec<usize> = [from, 1]
            .iter()
            .map(|&t| {
                let size = patch::patch_size(edge, t, t_max);
                let shape = patch::PatchShape {
                    window: windowed.then(|| patch::position_window(size)),
                    ..patch::PatchShape::everywhere(size, Border::Interior)
                };
                crate::diffusion::cpu::cpu_patch_items_for(shape, edge, fine)
            })
            .collect();
        let coarse_words = match coarse {
            Some((_, n)) if n > crate::diffusion::cpu::cpu_patch_items(CASCADE_EDGE, n) => format!(
                " At {CASCADE_EDGE} px the CPU takes each step's patches from the {} of the {n} items the archive posterior ranks highest.",
                crate::diffusion::cpu::cpu_patch_items(CASCADE_EDGE, n)
            ),
            _ => String::new(),
        };
        words.push_str(&format!(
            " On the CPU the {edge} px steps use the {}–{} items of the {fine} that the archive posterior ranks highest (more as the patches shrink); WebGPU uses all of them.{coarse_words}",
            counts[0],
            counts[1],
        ));
    } else if let Some((_, n)) = coarse.filter(|&(_, n)| n > GPU_PATCH_ITEMS) {
        words.push_str(&format!(
            " On WebGPU each {CASCADE_EDGE} px step takes its patches from the {GPU_PATCH_ITEMS} of the {n} items the archive posterior ranks highest."
        ));
    }
    words
}

/// The words for the patch denoiser's bounded candidate set on the CPU.
fn bounded_candidates_sentence(
    edge: u32,
    k: usize,
    n: usize,
    tagged: bool,
    w: f32,
    on_gpu: bool,
) -> String {
    let side = if !tagged {
        "from the whole archive"
    } else if w == 1.0 {
        "all of them from the tag"
    } else if w == 0.0 {
        "one from the tag, the rest from the whole archive"
    } else {
        "half from the tag, half from the whole archive"
    };
    let (path, other) = if on_gpu {
        ("WebGPU", String::new())
    } else if n > GPU_PATCH_ITEMS {
        ("the CPU", format!(" WebGPU uses {GPU_PATCH_ITEMS}."))
    } else {
        ("the CPU", format!(" WebGPU uses all {n}."))
    };
    format!(
        "On {path} at {edge} × {edge} px the patch denoiser takes its patches from only {k} of the {n} archive items at each step: those the archive posterior ranks highest, {side}.{other}"
    )
}

/// A scene's run and whether a step of it is in flight.
#[derive(Default)]
pub struct RunSlot {
    run: Option<Run>,
    busy: bool,
    /// Counts the runs put in place, so that work sent out for one run (the
    /// workers' shares) is not applied to the next.
    serial: u64,
}

impl RunSlot {
    /// Puts a new run in place; refused while a step is in flight.
    pub fn replace(&mut self, run: Run) -> Result<(), RunError> {
        if self.busy {
            return Err(RunError::Busy);
        }
        self.run = Some(run);
        self.serial += 1;
        Ok(())
    }

    /// Which run is in place (1 for the first).
    pub fn serial(&self) -> u64 {
        self.serial
    }

    /// The run between steps, to change it outside a step (None as for `get`).
    pub fn get_mut(&mut self) -> Result<&mut Run, RunError> {
        match self.run.as_mut() {
            Some(run) => Ok(run),
            None if self.busy => Err(RunError::Busy),
            None => Err(RunError::NoRun),
        }
    }

    pub fn is_busy(&self) -> bool {
        self.busy
    }

    /// The run between steps (None before the first run, and during a step).
    pub fn get(&self) -> Result<&Run, RunError> {
        self.run.as_ref().ok_or(if self.busy {
            RunError::Busy
        } else {
            RunError::NoRun
        })
    }
}

/// The run taken out of its scene for one step. Dropping the guard puts the
/// run back and marks the scene idle on every exit path (early returns,
/// errors, a dropped future), so no branch has to remember to.
pub struct TakenRun<S> {
    scene: Rc<RefCell<S>>,
    slot: fn(&mut S) -> &mut RunSlot,
    run: Option<Run>,
}

impl<S> TakenRun<S> {
    /// Takes the run; refused while another step is in flight or before a run exists.
    pub fn take(
        scene: &Rc<RefCell<S>>,
        slot: fn(&mut S) -> &mut RunSlot,
    ) -> Result<Self, RunError> {
        let mut s = scene.borrow_mut();
        let held = slot(&mut s);
        if held.busy {
            return Err(RunError::Busy);
        }
        let run = held.run.take().ok_or(RunError::NoRun)?;
        held.busy = true;
        drop(s);
        Ok(Self {
            scene: scene.clone(),
            slot,
            run: Some(run),
        })
    }
}

impl<S> std::ops::Deref for TakenRun<S> {
    type Target = Run;
    fn deref(&self) -> &Run {
        self.run.as_ref().expect("held until dropped")
    }
}

impl<S> std::ops::DerefMut for TakenRun<S> {
    fn deref_mut(&mut self) -> &mut Run {
        self.run.as_mut().expect("held until dropped")
    }
}

impl<S> Drop for TakenRun<S> {
    fn drop(&mut self) {
        let mut s = self.scene.borrow_mut();
        let held = (self.slot)(&mut s);
        held.busy = false;
        held.run = self.run.take();
    }
}
