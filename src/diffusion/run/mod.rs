//! One sampling run, as every scene uses it: the sampler, the denoiser that
//! answers it on the CPU and, when a GPU is open, the WGSL twin that answers
//! instead. [`Run::step`] is one denoiser call and one sampler update; on the
//! CPU the patch denoiser spreads a step over several calls so that the page
//! can draw between them. A GPU failure moves the run to the CPU; the second
//! step can time the kernel on both paths so the scene keeps the faster.
//!
//! A scene keeps its run in a [`RunSlot`] and takes it out for a step with
//! [`TakenRun`], which puts it back on every exit path (the slot of
//! [`crate::diffusion::slot`], which tracks use too).
//!
//! Natively the same run steps on lavapipe or the CPU (`tests/runs.rs`).

mod cascade;
mod results;
mod start;

pub use cascade::*;
/// A scene's picture run in a slot ([`crate::diffusion::slot`]).
pub type RunSlot = crate::diffusion::slot::Slot<Run>;
/// A picture run taken out of its slot for one step.
pub type TakenRun<S> = crate::diffusion::slot::Taken<S, Run>;

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
    credit_line, png_text, provenance, source_map_rgba, Credit, SettingsLine, Source,
};
use crate::diffusion::sampler::{Method, Sampler, SamplerConfig, SamplerError, StepRecord};
use crate::diffusion::slot::SlotError;
use crate::forward::schedule::ScheduleKind;
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
    #[error(transparent)]
    Slot(#[from] SlotError),
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
    pub backend: Path,
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
    pub backend: Path,
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
    settings: SettingsLine,
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

impl Run {
    /// One step: one denoiser call and one sampler update, or, for the CPU
    /// patch denoiser, as many candidate items as fit in `slice_ms`
    /// (`f64::INFINITY`: the whole step). `now_ms` is the scene's clock.
    pub async fn step(
        &mut self,
        now_ms: &dyn Fn() -> f64,
        slice_ms: f64,
    ) -> Result<StepReport, RunError> {
        let mut report = StepReport {
            backend: Path::Cpu,
            ..StepReport::default()
        };
        if !self.sampler.is_done() {
            if let Some(needs) = self.hand_over()? {
                return Ok(self.after_step(StepReport {
                    needs: Some(needs),
                    backend: if self.gpu_context.is_some() {
                        Path::Gpu
                    } else {
                        Path::Cpu
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
                        report.backend = Path::Gpu;
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
            backend: Path::Cpu,
            ..StepReport::default()
        }))
    }

    /// Acts on a timing the scene has recorded: a kernel measured faster on
    /// the CPU leaves the GPU for the rest of the run. Returns the decision in words.
    pub fn settle(&mut self, decided: &KernelTiming) -> String {
        if decided.choice() == Path::Cpu && self.gpu.is_some() {
            self.leave_gpu();
            self.settings.path = Path::Cpu;
            self.settings.measured_faster = true;
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
}
