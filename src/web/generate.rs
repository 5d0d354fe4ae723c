//! The generation scenes' API ("Recognize", "Ask for noise", "The average").
//!
//! ```js
//! const gen = await Generator.create(true, manifestJsonText); // true: try WebGPU
//! gen.addImage(id, pngBytes);                 // each archive image (tags from the manifest)
//! const info = gen.start({denoiser: "patch", tag: "flower", steps: 20, guidance: 1,
//!                         temperature: 1, seed: 7, method: "ddim", size: 32});
//! while (!(await gen.step()).done) { /* draw, yield to the browser */ }
//! gen.frame(k, "xt" | "x0");  gen.recogniser(k, 5);  gen.provenance(k, 8);
//! gen.sourceMap(k);  gen.png(4);               // PNG with provenance text chunks
//! ```
//! `step` calls must not overlap; one call is one denoiser call, except on the
//! CPU with the patch denoiser, where a call adds items for about 50 ms and
//! returns `{partial: [added, of]}` until the step is complete.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Promise, Uint8Array, Uint8ClampedArray};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::{now_ms, open_gpu, to_js, HoldsRun, TakenRun};
use crate::archive::{Item, Kind, Manifest};
use crate::calibration::{Calibrations, KernelTiming, Path};
use crate::dataset::{encode_png, Dataset, SAMPLE_EDGES};
use crate::denoise::patch::Border;
use crate::denoise::{archive, DenoiserKind};
use crate::generate::{
    cpu_patch_items, describe_settings, png_text, provenance, source_colour, source_map_rgba,
    CpuDenoiser, PendingPatch,
};
use crate::gpu::denoisers::GpuDenoiser;
use crate::gpu::GpuContext;
use crate::image::CHANNELS;
use crate::sampler::{Method, Sampler, SamplerConfig};
use crate::schedule::ScheduleKind;

/// How long one `step` call may compute on the CPU before it yields to the
/// browser (ms): about three frames at 60 Hz, so that the page stays usable.
const CPU_SLICE_MS: f64 = 50.0;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StartOptions {
    denoiser: String,
    tag: Option<String>,
    steps: u32,
    guidance: f32,
    temperature: f32,
    seed: u32,
    method: String,
    size: u32,
    /// Patch denoiser: "interior" (default) or "wrap".
    #[serde(default)]
    border: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StartInfo {
    steps: usize,
    backend: &'static str,
    /// Set when the CPU uses a bounded candidate set: words for the screen.
    approximation: Option<String>,
    settings: String,
    /// Which path the denoiser takes and why, when a GPU is open.
    paths: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StepInfo {
    done: bool,
    index: usize,
    total: usize,
    t: u32,
    patch: Option<u32>,
    backend: &'static str,
    /// A GPU failure that moved this run to the CPU.
    fell_back: Option<String>,
    /// CPU patch denoiser: the step is not finished yet; [items added, items].
    partial: Option<[usize; 2]>,
    /// Set on the step that timed the kernel on both paths: the decision, in words.
    calibration: Option<String>,
}

struct Run {
    sampler: Sampler,
    edge: u32,
    cpu: CpuDenoiser,
    gpu: Option<GpuDenoiser>,
    /// Time this run's kernel on both paths at its second step (the first
    /// warms the GPU up), then keep the faster.
    calibrate: bool,
    /// The CPU patch denoiser's unfinished step.
    pending: Option<PendingPatch>,
    settings: String,
}

struct State {
    items: Vec<Item>,
    pngs: Vec<(String, Vec<u8>)>,
    /// The archive at each size, shared with the step in flight (no copy per step).
    sets: Vec<Rc<Dataset>>,
    gpu: Option<GpuContext>,
    detail: String,
    run: Option<Run>,
    busy: bool,
    /// Measure kernels on both paths (off when the page forces a path).
    calibrate: bool,
    calibrations: Calibrations,
}

impl HoldsRun for State {
    type Run = Run;
    fn slot(&mut self) -> (&mut bool, &mut Option<Run>) {
        (&mut self.busy, &mut self.run)
    }
}

impl State {
    fn set(&self, edge: u32) -> Option<&Dataset> {
        self.sets.iter().find(|s| s.edge() == edge).map(|s| &**s)
    }
}

#[wasm_bindgen]
pub struct Generator {
    inner: Rc<RefCell<State>>,
}

fn err(msg: impl std::fmt::Display) -> JsError {
    JsError::new(&msg.to_string())
}

#[wasm_bindgen]
impl Generator {
    /// Opens the scene with the archive manifest (JSON text); tries WebGPU when asked.
    pub async fn create(prefer_gpu: bool, manifest_json: String) -> Result<Generator, JsError> {
        let manifest = Manifest::parse(&manifest_json).map_err(err)?;
        let items = manifest
            .items
            .into_iter()
            .filter(|i| i.kind == Kind::Image)
            .collect();
        let (gpu, detail) = open_gpu(prefer_gpu).await;
        Ok(Generator {
            inner: Rc::new(RefCell::new(State {
                items,
                pngs: Vec::new(),
                sets: Vec::new(),
                gpu,
                detail,
                run: None,
                busy: false,
                calibrate: true,
                calibrations: Calibrations::default(),
            })),
        })
    }

    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        if self.inner.borrow().gpu.is_some() {
            "gpu"
        } else {
            "cpu"
        }
        .into()
    }

    #[wasm_bindgen(getter, js_name = backendDetail)]
    pub fn backend_detail(&self) -> String {
        self.inner.borrow().detail.clone()
    }

    /// Adds one archive image (its 128 px PNG); tags come from the manifest.
    #[wasm_bindgen(js_name = addImage)]
    pub fn add_image(&self, id: &str, png: &[u8]) -> Result<(), JsError> {
        let mut s = self.inner.borrow_mut();
        let tags = s
            .items
            .iter()
            .find(|i| i.id == id)
            .map(|i| i.tags.clone())
            .ok_or_else(|| err(format!("{id} is not an image of the archive")))?;
        // Decode now, so that a broken file is reported at once.
        let mut probe = Dataset::new(SAMPLE_EDGES[0]).map_err(err)?;
        probe.push_png(id, &tags, png).map_err(err)?;
        s.pngs.retain(|(i, _)| i != id);
        s.pngs.push((id.to_string(), png.to_vec()));
        s.sets.clear();
        Ok(())
    }

    /// Number of images loaded.
    #[wasm_bindgen(getter)]
    pub fn images(&self) -> usize {
        self.inner.borrow().pngs.len()
    }

    /// Every tag of the loaded images: `[{tag, count}]`, most common first.
    pub fn tags(&self) -> Result<JsValue, JsError> {
        let set = self.dataset(SAMPLE_EDGES[0])?;
        let counts: Vec<(String, usize)> = set.tag_counts();
        #[derive(Serialize)]
        struct TagCount {
            tag: String,
            count: usize,
        }
        let v: Vec<TagCount> = counts
            .into_iter()
            .map(|(tag, count)| TagCount { tag, count })
            .collect();
        Ok(to_js(&v))
    }

    fn dataset(&self, edge: u32) -> Result<Rc<Dataset>, JsError> {
        let mut s = self.inner.borrow_mut();
        if let Some(set) = s.sets.iter().find(|set| set.edge() == edge) {
            return Ok(set.clone());
        }
        let mut set = Dataset::new(edge).map_err(err)?;
        let State { items, pngs, .. } = &*s;
        for item in items {
            if let Some((_, png)) = pngs.iter().find(|(id, _)| *id == item.id) {
                set.push_png(&item.id, &item.tags, png).map_err(err)?;
            }
        }
        if set.is_empty() {
            return Err(err("no archive images have been loaded yet"));
        }
        let set = Rc::new(set);
        s.sets.push(set.clone());
        Ok(set)
    }

    /// Prepares a run; throws with a readable message on bad options.
    pub fn start(&self, options: JsValue) -> Result<JsValue, JsError> {
        if self.inner.borrow().busy {
            return Err(err("a step is still running; wait for it or cancel"));
        }
        let o: StartOptions = serde_wasm_bindgen::from_value(options).map_err(err)?;
        let kind = DenoiserKind::parse(&o.denoiser)
            .ok_or_else(|| err(format!("unknown denoiser “{}”", o.denoiser)))?;
        let method = Method::parse(&o.method)
            .ok_or_else(|| err(format!("unknown method “{}”", o.method)))?;
        if !SAMPLE_EDGES.contains(&o.size) {
            return Err(err("the size must be 32 or 64 px"));
        }
        let set = self.dataset(o.size)?;
        let tag = o.tag.filter(|t| !t.is_empty());
        let cfg = SamplerConfig {
            edge: o.size,
            method,
            steps: o.steps,
            seed: u64::from(o.seed),
            schedule: ScheduleKind::Cosine,
            guidance: o.guidance,
            temperature: o.temperature,
        };
        let sampler = Sampler::new(cfg.clone()).map_err(err)?;
        let mut cpu = CpuDenoiser::new(&set, kind, tag.as_deref()).ok_or_else(|| {
            err(format!(
                "no archive image carries the tag “{}”",
                tag.clone().unwrap_or_default()
            ))
        })?;
        if let Some(name) = o.border.as_deref() {
            let border = Border::parse(name)
                .ok_or_else(|| err(format!("unknown candidate border “{name}”")))?;
            cpu = cpu.with_border(border);
        }
        let mut s = self.inner.borrow_mut();
        let kernel = kernel_name(kind);
        let measured = s.calibrations.get(&kernel, o.size).cloned();
        let use_gpu = measured.as_ref().is_none_or(|m| m.choice() == Path::Gpu);
        let gpu = s
            .gpu
            .clone()
            .filter(|_| use_gpu)
            .map(|ctx| GpuDenoiser::new(ctx, &set, kind, cpu.mask(), cpu.gaussian()));
        let calibrate = gpu.is_some() && s.calibrate && measured.is_none();
        let paths = match (&s.gpu, measured) {
            (None, _) => None,
            (Some(_), Some(m)) => Some(m.sentence()),
            (Some(_), None) if calibrate => Some(format!(
                "The second step times {kernel} at {} px on WebGPU and on the CPU; the faster path is kept.",
                o.size
            )),
            (Some(_), None) => Some("WebGPU, as the address asks (?gpu).".to_string()),
        };
        let mut approximation = None;
        if gpu.is_none() && kind == DenoiserKind::Patch {
            let k = cpu_patch_items(o.size, set.len());
            if k < set.len() {
                cpu = cpu.with_patch_items(k);
                let side = if tag.is_none() {
                    "from the whole archive"
                } else if o.guidance == 1.0 {
                    "all of them from the tag"
                } else if o.guidance == 0.0 {
                    "one from the tag, the rest from the whole archive"
                } else {
                    "half from the tag, half from the whole archive"
                };
                approximation = Some(format!(
                    "On the CPU at {0} × {0} px the patch denoiser takes its patches from only {k} of the {1} archive items at each step: those the archive posterior ranks highest, {side}. WebGPU uses all {1}.",
                    o.size,
                    set.len()
                ));
            }
        }
        let backend = if gpu.is_some() { "gpu" } else { "cpu" };
        let settings = describe_settings(kind, tag.as_deref(), &cfg, cpu.border(), backend);
        let info = StartInfo {
            steps: sampler.total_steps(),
            backend,
            approximation,
            settings: settings.clone(),
            paths,
        };
        s.run = Some(Run {
            sampler,
            edge: o.size,
            cpu,
            gpu,
            calibrate,
            pending: None,
            settings,
        });
        Ok(to_js(&info))
    }

    /// Runs one sampling step. Resolves to `{done, index, total, t, patch, backend, fellBack}`.
    pub fn step(&self) -> Promise {
        let inner = self.inner.clone();
        let this_set = self.inner.borrow().run.as_ref().map(|r| r.edge);
        let set = this_set.map(|edge| self.dataset(edge));
        future_to_promise(async move {
            let set = match set {
                Some(Ok(set)) => set,
                Some(Err(e)) => return Err(e.into()),
                None => return Err(err("press Generate first").into()),
            };
            let mut taken = TakenRun::take(&inner)?;
            let run = &mut *taken;
            let mut fell_back = None;
            let mut used = "cpu";
            let mut timing = None;
            let mut calibration = None;
            if !run.sampler.is_done() {
                let shape = run.cpu.patch_shape(&set, &run.sampler);
                let patch = shape.map(|p| p.size);
                let mut answer = None;
                if let Some(gpu) = run.gpu.as_mut() {
                    let t0 = now_ms();
                    match gpu
                        .denoise(run.sampler.x_t(), run.sampler.alpha_bar(), shape)
                        .await
                    {
                        Ok(d) => {
                            let gpu_ms = now_ms() - t0;
                            if run.calibrate && run.sampler.steps_done() == 1 {
                                timing = Some(time_on_cpu(run, &set, gpu_ms));
                            }
                            answer = Some(d);
                            used = "gpu";
                        }
                        Err(e) => {
                            fell_back = Some(format!("{e}; this run continues on the CPU"));
                            run.gpu = None;
                        }
                    }
                }
                let kind = run.cpu.kind();
                let d = match answer {
                    Some(d) => d,
                    None if kind == DenoiserKind::Patch => {
                        // Add items until a slice of time has passed, then yield.
                        let mut pending = run
                            .pending
                            .take()
                            .unwrap_or_else(|| run.cpu.begin_patch(&set, &run.sampler));
                        let started = js_sys::Date::now();
                        while !pending.is_complete() {
                            pending.add_next(&set);
                            if js_sys::Date::now() - started > CPU_SLICE_MS {
                                break;
                            }
                        }
                        if !pending.is_complete() {
                            let (done, total) = pending.progress();
                            run.pending = Some(pending);
                            let info = StepInfo {
                                done: false,
                                index: run.sampler.steps_done(),
                                total: run.sampler.total_steps(),
                                t: run.sampler.t().unwrap_or(0),
                                patch,
                                backend: "cpu",
                                fell_back,
                                partial: Some([done, total]),
                                calibration: None,
                            };
                            return Ok(to_js(&info));
                        }
                        pending.finish()
                    }
                    None => run.cpu.denoise(&set, &run.sampler),
                };
                run.sampler.advance(&d, kind, patch).map_err(err)?;
            }
            if let Some(t) = timing {
                run.calibrate = false;
                let decided = inner.borrow_mut().calibrations.record(t).clone();
                if decided.choice() == Path::Cpu {
                    run.gpu = None;
                    run.settings = run
                        .settings
                        .replace("backend gpu", "backend cpu (measured faster here)");
                }
                calibration = Some(decided.sentence());
            }
            let last = run.sampler.records().last();
            let info = StepInfo {
                done: run.sampler.is_done(),
                index: run.sampler.steps_done(),
                total: run.sampler.total_steps(),
                t: last.map_or(0, |r| r.t),
                patch: last.and_then(|r| r.patch),
                backend: used,
                fell_back,
                partial: None,
                calibration,
            };
            if info.fell_back.is_some() {
                let mut s = inner.borrow_mut();
                s.detail = "CPU (WebAssembly): the GPU failed during a run".into();
                s.gpu = None;
            }
            Ok(to_js(&info))
        })
    }

    /// Whether kernels are timed on both paths (the page turns it off when
    /// the address forces a path).
    #[wasm_bindgen(setter)]
    pub fn set_calibrate(&self, on: bool) {
        self.inner.borrow_mut().calibrate = on;
    }

    /// Every kernel timed so far this session: `[{kernel, size, gpuMs, cpuMs, exactOnCpu}]`.
    #[wasm_bindgen(getter)]
    pub fn calibrations(&self) -> JsValue {
        let s = self.inner.borrow();
        let v: Vec<KernelTiming> = DenoiserKind::ALL
            .iter()
            .flat_map(|&k| SAMPLE_EDGES.iter().map(move |&e| (k, e)))
            .filter_map(|(k, e)| s.calibrations.get(&kernel_name(k), e).cloned())
            .collect();
        to_js(&v)
    }

    /// Destroys the GPU device, as a driver reset would (for tests of recovery).
    /// Returns false on the CPU.
    #[wasm_bindgen(js_name = loseDevice)]
    pub fn lose_device(&self) -> bool {
        let s = self.inner.borrow();
        s.gpu.as_ref().map(GpuContext::destroy_device).is_some()
    }

    /// Steps recorded so far.
    #[wasm_bindgen(getter)]
    pub fn recorded(&self) -> usize {
        self.inner
            .borrow()
            .run
            .as_ref()
            .map_or(0, |r| r.sampler.records().len())
    }

    /// Edge in pixels of the current run's images.
    #[wasm_bindgen(getter)]
    pub fn edge(&self) -> u32 {
        self.inner.borrow().run.as_ref().map_or(0, |r| r.edge)
    }

    /// RGBA of step k (1-based, as shown): `which` is "xt" (the sample before the
    /// step) or "x0" (the denoiser's guess); step k = steps + 1 … use "result".
    pub fn frame(&self, k: usize, which: &str) -> Result<Uint8ClampedArray, JsError> {
        let s = self.inner.borrow();
        let run = s.run.as_ref().ok_or_else(|| err("no run yet"))?;
        if which == "result" {
            let x = run.sampler.x_t();
            let mut out = vec![0u8; x.len() / CHANNELS * 4];
            crate::image::write_rgba8(x, x.len() / CHANNELS, &mut out);
            return Ok(Uint8ClampedArray::from(out.as_slice()));
        }
        let r = run
            .sampler
            .records()
            .get(k.wrapping_sub(1))
            .ok_or_else(|| err(format!("step {k} has not been computed")))?;
        let (x_t, x0) = r.rgba().ok_or_else(|| err("this step kept no picture"))?;
        Ok(Uint8ClampedArray::from(match which {
            "xt" => x_t,
            "x0" => x0,
            _ => return Err(err("frame: use xt, x0 or result")),
        }))
    }

    /// The recogniser at step k: the `limit` most probable tags, `[{tag, p}]`.
    pub fn recogniser(&self, k: usize, limit: usize) -> Result<JsValue, JsError> {
        let s = self.inner.borrow();
        let run = s.run.as_ref().ok_or_else(|| err("no run yet"))?;
        let set = s.set(run.edge).ok_or_else(|| err("no images"))?;
        let r = run
            .sampler
            .records()
            .get(k.wrapping_sub(1))
            .ok_or_else(|| err("no such step"))?;
        Ok(to_js(&archive::recogniser_bars(
            set,
            &r.posterior,
            limit,
            None,
        )))
    }

    /// p(tag | x_t) of one tag at every recorded step (for the rising line).
    #[wasm_bindgen(js_name = tagHistory)]
    pub fn tag_history(&self, tag: &str) -> Result<Vec<f32>, JsError> {
        let s = self.inner.borrow();
        let run = s.run.as_ref().ok_or_else(|| err("no run yet"))?;
        let set = s.set(run.edge).ok_or_else(|| err("no images"))?;
        Ok(run
            .sampler
            .records()
            .iter()
            .map(|r| archive::tag_probability(set, &r.posterior, tag))
            .collect())
    }

    /// The recogniser's value for `tag` before any picture is seen: its share of the archive.
    #[wasm_bindgen(js_name = tagPrior)]
    pub fn tag_prior(&self, tag: &str) -> Result<f32, JsError> {
        let s = self.inner.borrow();
        let run = s.run.as_ref().ok_or_else(|| err("no run yet"))?;
        let set = s.set(run.edge).ok_or_else(|| err("no images"))?;
        Ok(archive::tag_prior(set, tag, None))
    }

    /// The items step k's x̂0 came from: `[{index, id, weight}]`.
    pub fn provenance(&self, k: usize, limit: usize) -> Result<JsValue, JsError> {
        let s = self.inner.borrow();
        let run = s.run.as_ref().ok_or_else(|| err("no run yet"))?;
        let set = s.set(run.edge).ok_or_else(|| err("no images"))?;
        let r = run
            .sampler
            .records()
            .get(k.wrapping_sub(1))
            .ok_or_else(|| err("no such step"))?;
        Ok(to_js(&provenance(
            set,
            run.cpu.kind(),
            run.cpu.mask(),
            run.sampler.config().guidance,
            r,
            limit,
        )))
    }

    /// Patch denoiser: step k's source map as RGBA, each pixel in its item's
    /// colour (`sourceColour(index)`), dimmed where that item's share is small.
    #[wasm_bindgen(js_name = sourceMap)]
    pub fn source_map(&self, k: usize) -> Result<JsValue, JsError> {
        let s = self.inner.borrow();
        let run = s.run.as_ref().ok_or_else(|| err("no run yet"))?;
        let r = run
            .sampler
            .records()
            .get(k.wrapping_sub(1))
            .ok_or_else(|| err("no such step"))?;
        Ok(source_map_rgba(r).map_or(JsValue::NULL, |out| {
            Uint8ClampedArray::from(out.as_slice()).into()
        }))
    }

    /// The result (or the last x̂0 of a cancelled run) as a PNG scaled by
    /// `scale`, with settings and provenance in its text chunks.
    pub fn png(&self, scale: u32) -> Result<Uint8Array, JsError> {
        let s = self.inner.borrow();
        let run = s.run.as_ref().ok_or_else(|| err("no run yet"))?;
        let set = s.set(run.edge).ok_or_else(|| err("no images"))?;
        let r = run
            .sampler
            .records()
            .last()
            .ok_or_else(|| err("no step has run yet"))?;
        let edge = run.edge as usize;
        let small = if run.sampler.is_done() {
            let x = run.sampler.x_t();
            let mut out = vec![0u8; edge * edge * 4];
            crate::image::write_rgba8(x, edge * edge, &mut out);
            out
        } else {
            r.rgba().map(|(_, x0)| x0.to_vec()).unwrap_or_default()
        };
        let k = scale.clamp(1, 16);
        let big = run.edge * k;
        let rgba = crate::image::upscale_nearest(&small, run.edge, k);
        let kind = run.cpu.kind();
        let guidance = run.sampler.config().guidance;
        let sources = provenance(set, kind, run.cpu.mask(), guidance, r, 12);
        let mut settings = run.settings.clone();
        if !run.sampler.is_done() {
            settings.push_str(&format!(
                "; cancelled after step {} of {} (this is that step's x̂0)",
                run.sampler.steps_done(),
                run.sampler.total_steps()
            ));
        }
        let text = png_text(&settings, &sources, kind, &s.items);
        let text: Vec<(&str, &str)> = text.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        Ok(Uint8Array::from(
            encode_png(&rgba, big, big, &text).as_slice(),
        ))
    }
}

/// The name a denoiser's kernel is timed under.
fn kernel_name(kind: DenoiserKind) -> String {
    match kind {
        DenoiserKind::Archive => "the archive denoiser".into(),
        DenoiserKind::Gaussian => "the Gaussian denoiser".into(),
        DenoiserKind::Patch => "the patch denoiser".into(),
    }
}

/// Times the run's denoiser on the CPU at the sampler's current step, given
/// the GPU's time for the same call. Cheap kernels are repeated until 5 ms
/// have passed; the patch denoiser, linear in its items, is timed on two
/// items and scaled to the items the CPU would use.
fn time_on_cpu(run: &Run, set: &Dataset, gpu_ms: f64) -> KernelTiming {
    let kind = run.cpu.kind();
    let edge = set.edge();
    let exact = kind != DenoiserKind::Patch || cpu_patch_items(edge, set.len()) >= set.len();
    let cpu_ms = if kind == DenoiserKind::Patch {
        let mut pending = run.cpu.begin_patch(set, &run.sampler);
        let total = cpu_patch_items(edge, set.len()).min(pending.progress().1);
        let t0 = now_ms();
        for _ in 0..2.min(total) {
            pending.add_next(set);
        }
        (now_ms() - t0) * total as f64 / 2.0f64.min(total as f64).max(1.0)
    } else {
        let (mut reps, t0) = (0u32, now_ms());
        while reps < 20 && (reps == 0 || now_ms() - t0 < 5.0) {
            std::hint::black_box(run.cpu.denoise(set, &run.sampler));
            reps += 1;
        }
        (now_ms() - t0) / f64::from(reps)
    };
    KernelTiming {
        kernel: kernel_name(kind),
        size: edge,
        gpu_ms,
        cpu_ms,
        exact_on_cpu: exact,
    }
}

/// A distinct, stable colour per item index (golden-angle hues).
#[wasm_bindgen(js_name = sourceColour)]
pub fn source_colour_js(index: u32) -> Vec<u8> {
    source_colour(index).to_vec()
}
