//! Sound from a magnitude spectrogram on either path: fast Griffin–Lim
//! (`audio::griffin_lim`, from a PGHI phase) on the GPU twin
//! (`gpu::griffin_lim`) when a device is open and timing has not sent the
//! kernel to the CPU, on the CPU otherwise. A GPU that fails mid-render
//! leaves the rest to the CPU, which renders the whole signal again. The
//! first GPU render can be timed against two CPU iterations, and the result
//! levelled for playback (`audio::spectrogram::level`). The scenes keep the
//! plans and the calibrations; the policy is here, tested natively
//! (`tests/audio.rs`).

use std::rc::Rc;

use super::calibration::{KernelTiming, Path};
use crate::audio::griffin_lim::{griffin_lim, griffin_lim_from, PhaseStart, MOMENTUM};
use crate::audio::spectrogram::{self, EDGE, WINDOW};
use crate::audio::stft::{Stft, HOP, N_FFT};
use crate::gpu::griffin_lim::GpuGriffinLim;
use crate::gpu::GpuContext;

/// What Griffin–Lim is timed as, on both paths.
pub const GRIFFIN_LIM_KERNEL: &str = "one Griffin–Lim iteration on spectrograms";

/// CPU iterations timed against a GPU render (their mean is the CPU's pace).
const TIMED_CPU_ITERS: usize = 2;

/// The GPU plans of one scene, per signal length: the window's and the
/// latest other length are kept (a plan holds buffers sized to its length).
#[derive(Default)]
pub struct GriffinLimPlans {
    plans: Vec<(usize, Rc<GpuGriffinLim>)>,
}

impl GriffinLimPlans {
    /// The plan for signals of `length` on `ctx`, made on first use; None
    /// without a device or when timing (`measured`) chose the CPU.
    pub fn plan(
        &mut self,
        ctx: Option<&GpuContext>,
        measured: Option<Path>,
        length: usize,
    ) -> Option<Rc<GpuGriffinLim>> {
        if measured == Some(Path::Cpu) {
            return None;
        }
        if let Some((_, plan)) = self.plans.iter().find(|(l, _)| *l == length) {
            return Some(plan.clone());
        }
        let plan = Rc::new(GpuGriffinLim::new(ctx?, N_FFT, HOP, length));
        self.plans.retain(|(l, _)| *l == WINDOW);
        self.plans.push((length, plan.clone()));
        Some(plan)
    }

    /// Forgets every plan (their device is gone).
    pub fn clear(&mut self) {
        self.plans.clear();
    }
}

/// A rendered signal and what the rendering found out.
#[derive(Debug)]
pub struct Rendered {
    /// The samples, levelled for playback.
    pub samples: Vec<f32>,
    /// Where they were computed.
    pub path: Path,
    /// Both paths' time per iteration, when the render was timed.
    pub timing: Option<KernelTiming>,
    /// Why the GPU failed, when it did (the samples are the CPU's then).
    pub gpu_failed: Option<String>,
}

/// Renders `mags` (`frames` frames of the standard STFT) as `length`
/// samples with `iters` iterations: on `plan` when given, else on the CPU.
/// With `time`, a GPU render is timed per iteration against
/// [`TIMED_CPU_ITERS`] CPU iterations on the scene's clock `now_ms`.
pub async fn render(
    plan: Option<Rc<GpuGriffinLim>>,
    mags: &[f32],
    frames: usize,
    length: usize,
    iters: usize,
    time: bool,
    now_ms: &dyn Fn() -> f64,
) -> Rendered {
    // The CPU's own transform: nothing of the scene is borrowed across the GPU's await.
    let mut stft = Stft::standard();
    // The phase starts from PGHI on both paths (computed here, on the CPU).
    let start = PhaseStart::Pghi.phasors(&stft, mags, frames);
    let mut gpu_failed = None;
    let mut timing = None;
    if let Some(plan) = plan {
        let t0 = now_ms();
        match plan.run_from(mags, Some(&start), iters, MOMENTUM).await {
            Ok(mut samples) => {
                if time {
                    let gpu_ms = (now_ms() - t0) / iters.max(1) as f64;
                    let t1 = now_ms();
                    std::hint::black_box(griffin_lim(
                        &mut stft,
                        mags,
                        frames,
                        length,
                        TIMED_CPU_ITERS,
                        MOMENTUM,
                        None,
                    ));
                    let cpu_ms = (now_ms() - t1) / TIMED_CPU_ITERS as f64;
                    timing = Some(KernelTiming {
                        kernel: GRIFFIN_LIM_KERNEL.into(),
                        size: EDGE as u32,
                        gpu_ms,
                        cpu_ms,
                        exact_on_cpu: true,
                    });
                }
                spectrogram::level(&mut samples);
                return Rendered {
                    samples,
                    path: Path::Gpu,
                    timing,
                    gpu_failed,
                };
            }
            Err(e) => gpu_failed = Some(e.to_string()),
        }
    }
    let mut samples = griffin_lim_from(
        &mut stft, mags, frames, length, iters, MOMENTUM, start, None,
    );
    spectrogram::level(&mut samples);
    Rendered {
        samples,
        path: Path::Cpu,
        timing,
        gpu_failed,
    }
}
