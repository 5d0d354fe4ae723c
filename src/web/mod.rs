//! The page's API: the only module that touches wasm-bindgen. One file per
//! scene (`dissolve`, `generation`, `sound` with its `track`s), each a thin layer over the core;
//! here, what they share: opening the GPU, the clock, errors and values for
//! JavaScript, and the small free functions the pages call.
//!
//! ```js
//! import init, { Dissolve, Generator, SoundScene, samplerLimits } from "./pkg/hypothetical.js";
//! await init();
//! ```

pub mod dissolve;
pub mod generation;
pub mod sound;
pub mod swim;
pub mod track;

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Promise;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::archive::dataset::Dataset;
use crate::backend::calibration::{Calibrations, Path};
use crate::diffusion::run::{Run, RunOptions, RunSlot, TakenRun};
use crate::gpu::{GpuContext, GpuError};
use crate::image::{self, sniff};

/// What every generating scene keeps, in one shape: its GPU (if any), the
/// words for its backend, its run, and the kernel timings that choose paths.
pub(crate) struct Runs {
    pub gpu: Option<GpuContext>,
    pub detail: String,
    pub slot: RunSlot,
    /// Measure kernels on both paths (off when the page forces a path).
    pub calibrate: bool,
    pub calibrations: Calibrations,
}

impl Runs {
    /// Opens the GPU when asked and available.
    pub async fn open(prefer_gpu: bool) -> Self {
        let (gpu, detail) = open_gpu(prefer_gpu).await;
        Self {
            gpu,
            detail,
            slot: RunSlot::default(),
            calibrate: true,
            calibrations: Calibrations::default(),
        }
    }

    /// The path the scene's next run starts on ("gpu" or "cpu" on the page).
    pub fn backend(&self) -> Path {
        if self.gpu.is_some() {
            Path::Gpu
        } else {
            Path::Cpu
        }
    }

    /// Starts a run on `set` (a cascade's coarse stage on `coarse`): the
    /// start info for the page, or the reason in words.
    pub fn start(
        &mut self,
        set: Rc<Dataset>,
        coarse: Option<Rc<Dataset>>,
        o: &RunOptions,
    ) -> Result<JsValue, JsError> {
        let (run, info) = Run::start(
            set,
            coarse,
            o,
            self.gpu.as_ref(),
            &self.calibrations,
            self.calibrate,
        )
        .map_err(err)?;
        self.slot.replace(run).map_err(err)?;
        Ok(to_js(&info))
    }
}

/// A scene whose state keeps [`Runs`].
pub(crate) trait Scene: 'static {
    fn runs(&mut self) -> &mut Runs;
}

fn slot_of<S: Scene>(s: &mut S) -> &mut RunSlot {
    &mut s.runs().slot
}

/// One step of a scene's run, shared by the scenes' `step`: records a kernel
/// timing and acts on it, and moves the scene to the CPU after a GPU failure.
/// The CPU patch denoiser returns after `slice_ms` with `{partial}`.
pub(crate) fn step_run<S: Scene>(inner: Rc<RefCell<S>>, slice_ms: f64) -> Promise {
    future_to_promise(async move {
        let mut run = TakenRun::take(&inner, slot_of::<S>).map_err(err)?;
        checkpoint("a run's step");
        let mut report = run.step(&now_ms, slice_ms).await.map_err(err)?;
        if let Some(timing) = report.timing.take() {
            let decided = inner
                .borrow_mut()
                .runs()
                .calibrations
                .record(timing)
                .clone();
            report.calibration = Some(run.settle(&decided));
        }
        if report.fell_back.is_some() {
            let mut s = inner.borrow_mut();
            let runs = s.runs();
            runs.detail = "CPU (WebAssembly): the GPU failed during a run".into();
            runs.gpu = None;
        }
        Ok(to_js(&report))
    })
}

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

thread_local! {
    /// Fault injection: how many more checkpoints pass before one panics
    /// (`None`: never). Set only by [`inject_panic`].
    static PANIC_AFTER: std::cell::Cell<Option<u32>> = const { std::cell::Cell::new(None) };
}

/// Fault injection for the browser tests (issue 14): the `after`-th next
/// checkpoint panics, as a bug in the engine would. The checkpoints sit inside
/// the scenes' work (a run's step, a Dissolve frame, a Swim frame), where a
/// real panic would leave the engine mid-task; the panic traps (the wasm
/// target aborts), and the page sees a `WebAssembly.RuntimeError`. A page calls
/// this only from a test; it harms nothing but the page that calls it.
#[wasm_bindgen(js_name = injectPanic)]
pub fn inject_panic(after: u32) {
    PANIC_AFTER.with(|c| c.set(Some(after)));
}

/// A place where an injected panic may happen (see [`inject_panic`]).
pub(crate) fn checkpoint(place: &str) {
    let fire = PANIC_AFTER.with(|c| match c.get() {
        Some(0) => {
            c.set(None);
            true
        }
        Some(n) => {
            c.set(Some(n - 1));
            false
        }
        None => false,
    });
    if fire {
        panic!("injected fault in {place} (a test of the page's recovery)");
    }
}

pub(crate) fn err(msg: impl std::fmt::Display) -> JsError {
    JsError::new(&msg.to_string())
}

pub(crate) fn to_js<T: Serialize>(value: &T) -> JsValue {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::NULL)
}

fn browser_has_webgpu() -> bool {
    let global = js_sys::global();
    js_sys::Reflect::get(&global, &JsValue::from_str("navigator"))
        .and_then(|nav| js_sys::Reflect::get(&nav, &JsValue::from_str("gpu")))
        .map(|gpu| !gpu.is_undefined() && !gpu.is_null())
        .unwrap_or(false)
}

/// A GPU context when the browser offers WebGPU and an adapter.
/// Opens the GPU when asked and available: the context (None on the CPU) and
/// the words the page shows for the backend.
pub(crate) async fn open_gpu(prefer_gpu: bool) -> (Option<crate::gpu::GpuContext>, String) {
    if !prefer_gpu {
        return (None, "CPU (WebAssembly), chosen by the page".to_string());
    }
    match gpu_backend_context().await {
        Ok(ctx) => {
            let d = format!("WebGPU on {}", ctx.adapter_name());
            (Some(ctx), d)
        }
        Err(e) => (None, format!("CPU (WebAssembly): {}", plain_reason(&e))),
    }
}

pub(crate) async fn gpu_backend_context() -> Result<crate::gpu::GpuContext, GpuError> {
    if !browser_has_webgpu() {
        return Err(GpuError::NoWebGpu);
    }
    crate::gpu::GpuContext::new().await
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// Milliseconds from the page's clock (sub-millisecond where the browser allows).
pub(crate) fn now_ms() -> f64 {
    performance_now()
}

/// Why there is no GPU, in words for visitors (the adapter error's details go to the console).
pub(crate) fn plain_reason(err: &GpuError) -> String {
    match err {
        GpuError::NoWebGpu => "this browser has no WebGPU".into(),
        GpuError::NoAdapter(detail) => {
            web_sys::console::info_1(&JsValue::from_str(&format!("Hypothetical: {detail}")));
            "this browser offers WebGPU but no adapter for it".into()
        }
        other => other.to_string(),
    }
}

/// What an image file's header says: `{format, width, height, bitDepth, animated, truncated}`.
#[wasm_bindgen(js_name = sniffImage)]
pub fn sniff_image(bytes: &[u8]) -> JsValue {
    to_js(&sniff::sniff(bytes))
}

/// The size a picture is scaled to before processing: `[width, height]`.
#[wasm_bindgen(js_name = fitWithinMaxEdge)]
pub fn fit_within_max_edge(width: u32, height: u32) -> Vec<u32> {
    let (w, h) = image::fit_within_max_edge(width, height);
    vec![w, h]
}

/// The longest edge processed, in pixels.
/// The sampler's limits for the controls: `{minSteps, maxSteps, maxGuidance, maxTemperature, maxSeed}`.
#[wasm_bindgen(js_name = samplerLimits)]
pub fn sampler_limits() -> JsValue {
    to_js(&crate::diffusion::sampler::Limits::SAMPLER)
}

#[wasm_bindgen(js_name = maxEdge)]
pub fn max_edge() -> u32 {
    image::MAX_EDGE
}

/// A fresh random seed from the browser's cryptographic generator.
#[wasm_bindgen(js_name = randomSeed)]
pub fn random_seed() -> u32 {
    getrandom::u32().unwrap_or(1) % 1_000_000
}
