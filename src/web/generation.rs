//! The generation scenes' API ("Recognize", "Ask for noise", "The average").
//!
//! ```js
//! const gen = await Generator.create(true, manifestJsonText); // true: try WebGPU
//! gen.addPack(index, pngBytes);               // each sheet of 32 px pictures (manifest.packs)
//! gen.addImage(id, pngBytes);                 // a 128 px picture (tags from the manifest)
//! const info = gen.start({denoiser: "patch", tag: "flower", steps: 20, guidance: 1,
//!                         temperature: 1, seed: 7, method: "ddim", size: 32});
//! while (!(await gen.step()).done) { /* draw, yield to the browser */ }
//! // a report with `needs: [id, ...]`: a cascade chose those items at its
//! // handover; addImage each one's 128 px picture, call gen.supply(), step on
//! gen.frame(k, "xt" | "x0");  gen.recogniser(k, 5);  gen.provenance(k, 8);
//! gen.sourceMap(k);  gen.png(4);               // PNG with provenance text chunks
//! ```
//! `step` calls must not overlap; one call is one denoiser call, except on the
//! CPU with the patch denoiser, where a call adds items for about 50 ms and
//! returns `{partial: [added, of]}` until the step is complete.
//!
//! With Web Workers the page shares that CPU patch step instead:
//! ```js
//! const job = gen.patchJob();                  // null: use step()
//! worker.addArchive(job.edge, gen.workerArchive(job.edge));   // once per edge, in each worker
//! const share = worker.share(job, index, count, onItem);      // in worker `index` of `count`
//! gen.finishPatchStep(job.serial, [share, ...]);              // resolves like step()
//! ```

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Float32Array, Promise, Uint32Array, Uint8Array, Uint8ClampedArray};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::{err, step_run, to_js, Runs, Scene};
use crate::archive::dataset::{Dataset, SAMPLE_EDGES};
use crate::archive::{Item, Kind, Manifest, Pack, PACK_EDGE};
use crate::denoise::patch::{Border, FlatPartial, PatchShape};
use crate::denoise::DenoiserKind;
use crate::diffusion::cpu::PatchJob;
use crate::diffusion::provenance::source_colour;
use crate::diffusion::reading::{self, READ_EDGE};
use crate::diffusion::run::{
    pictures_before_start, Run, RunError, RunOptions, CASCADE_EDGE, CPU_SLICE_MS,
};
use crate::gpu::GpuContext;

struct State {
    items: Vec<Item>,
    /// The manifest's sheets of 32 px pictures.
    packs: Vec<Pack>,
    /// The pictures of the sheets added so far, at 32 px.
    packed: Dataset,
    pngs: Vec<(String, Vec<u8>)>,
    /// The archive at each size, shared with the run (no copy per step).
    sets: Vec<Rc<Dataset>>,
    /// The GPU, the run and the kernel timings (shared shape, `web::Runs`).
    runs: Runs,
}

impl Scene for State {
    fn runs(&mut self) -> &mut Runs {
        &mut self.runs
    }
}

#[wasm_bindgen]
pub struct Generator {
    inner: Rc<RefCell<State>>,
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
        let runs = Runs::open(prefer_gpu).await;
        Ok(Generator {
            inner: Rc::new(RefCell::new(State {
                items,
                packs: manifest.packs,
                packed: Dataset::new(PACK_EDGE).map_err(err)?,
                pngs: Vec::new(),
                sets: Vec::new(),
                runs,
            })),
        })
    }

    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.inner.borrow().runs.backend().name().into()
    }

    #[wasm_bindgen(getter, js_name = backendDetail)]
    pub fn backend_detail(&self) -> String {
        self.inner.borrow().runs.detail.clone()
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

    /// Adds the pictures of the manifest's pack `index` (its PNG sheet of 32 px tiles).
    #[wasm_bindgen(js_name = addPack)]
    pub fn add_pack(&self, index: usize, png: &[u8]) -> Result<(), JsError> {
        let mut s = self.inner.borrow_mut();
        let pack = s
            .packs
            .get(index)
            .cloned()
            .ok_or_else(|| err(format!("the manifest has no pack {index}")))?;
        let items: Vec<(String, Vec<String>)> = pack
            .ids
            .iter()
            .filter(|id| s.packed.index_of(id).is_none())
            .map(|id| {
                s.items
                    .iter()
                    .find(|i| &i.id == id)
                    .map(|i| (id.clone(), i.tags.clone()))
                    .ok_or_else(|| err(format!("{id} is not an image of the archive")))
            })
            .collect::<Result<_, _>>()?;
        if items.len() != pack.ids.len() {
            return Ok(()); // added before
        }
        let mut packed = s.packed.clone();
        packed
            .push_pack(png, pack.edge, pack.columns, &items)
            .map_err(err)?;
        s.packed = packed;
        s.sets.clear();
        Ok(())
    }

    /// Number of images loaded (packed or as 128 px pictures).
    #[wasm_bindgen(getter)]
    pub fn images(&self) -> usize {
        let s = self.inner.borrow();
        s.packed.len()
            + s.pngs
                .iter()
                .filter(|(id, _)| s.packed.index_of(id).is_none())
                .count()
    }

    /// Gives a cascade waiting at its handover (a step's `needs`) the 128 px
    /// pictures added since.
    pub fn supply(&self) -> Result<(), JsError> {
        let edge = self.with_run(|r| Ok(r.set().edge()))?;
        let set = self.dataset_or_empty(edge)?;
        let mut s = self.inner.borrow_mut();
        let run = s.runs.slot.get_mut().map_err(err)?;
        run.supply(set).map_err(err)
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
        let set = self.dataset_or_empty(edge)?;
        if set.is_empty() {
            return Err(err("no archive images have been loaded yet"));
        }
        Ok(set)
    }

    /// The pictures held at `edge`: at 32 px the packed ones and any other
    /// 128 px picture, above it the 128 px pictures added.
    fn dataset_or_empty(&self, edge: u32) -> Result<Rc<Dataset>, JsError> {
        let mut s = self.inner.borrow_mut();
        if let Some(set) = s.sets.iter().find(|set| set.edge() == edge) {
            return Ok(set.clone());
        }
        let mut set = if edge == PACK_EDGE {
            s.packed.clone()
        } else {
            Dataset::new(edge).map_err(err)?
        };
        let State { items, pngs, .. } = &*s;
        for item in items {
            if set.index_of(&item.id).is_some() {
                continue;
            }
            if let Some((_, png)) = pngs.iter().find(|(id, _)| *id == item.id) {
                set.push_png(&item.id, &item.tags, png).map_err(err)?;
            }
        }
        let set = Rc::new(set);
        s.sets.push(set.clone());
        Ok(set)
    }

    /// Prepares a run; throws with a readable message on bad options.
    pub fn start(&self, options: JsValue) -> Result<JsValue, JsError> {
        let o: RunOptions = serde_wasm_bindgen::from_value(options).map_err(err)?;
        let size = o.size.unwrap_or(SAMPLE_EDGES[0]);
        if !SAMPLE_EDGES.contains(&size) {
            return Err(err(RunError::Size(size)));
        }
        // Above 32 px the run is given the whole archive at 32 px and the
        // pictures held at its size: a cascade composes on the first and
        // fetches what it chooses at its handover, the others need
        // `picturesFor`'s pictures first.
        let (set, coarse) = if size > CASCADE_EDGE {
            (
                self.dataset_or_empty(size)?,
                Some(self.dataset(CASCADE_EDGE)?),
            )
        } else {
            (self.dataset(size)?, None)
        };
        let mut s = self.inner.borrow_mut();
        s.runs.start(set, coarse, &o)
    }

    /// The 128 px pictures a run of these options needs before it starts
    /// and the page has not given yet (`addImage`): none at 32 px or for a
    /// cascade, which asks at its handover.
    #[wasm_bindgen(js_name = picturesFor)]
    pub fn pictures_for(&self, options: JsValue) -> Result<JsValue, JsError> {
        let o: RunOptions = serde_wasm_bindgen::from_value(options).map_err(err)?;
        let kind = DenoiserKind::parse(&o.denoiser)
            .ok_or_else(|| err(RunError::Denoiser(o.denoiser.clone())))?;
        let size = o.size.unwrap_or(SAMPLE_EDGES[0]);
        let archive = self.dataset(CASCADE_EDGE)?;
        let tag = o.tag.as_deref().filter(|t| !t.is_empty());
        let ids = pictures_before_start(&archive, kind, size, tag);
        let s = self.inner.borrow();
        let missing: Vec<String> = ids
            .into_iter()
            .filter(|id| !s.pngs.iter().any(|(held, _)| held == id))
            .collect();
        Ok(to_js(&missing))
    }

    /// Runs one sampling step. Resolves to `{done, index, total, t, patch,
    /// backend, fellBack, partial, calibration}`.
    pub fn step(&self) -> Promise {
        step_run(self.inner.clone(), CPU_SLICE_MS)
    }

    /// Whether kernels are timed on both paths (the page turns it off when
    /// the address forces a path).
    #[wasm_bindgen(setter)]
    pub fn set_calibrate(&self, on: bool) {
        self.inner.borrow_mut().runs.calibrate = on;
    }

    /// Every kernel timed so far this session: `[{kernel, size, gpuMs, cpuMs, exactOnCpu}]`.
    #[wasm_bindgen(getter)]
    pub fn calibrations(&self) -> JsValue {
        to_js(&self.inner.borrow().runs.calibrations.all())
    }

    /// Destroys the GPU device, as a driver reset would (for tests of recovery).
    /// Returns false on the CPU.
    #[wasm_bindgen(js_name = loseDevice)]
    pub fn lose_device(&self) -> bool {
        let s = self.inner.borrow();
        s.runs
            .gpu
            .as_ref()
            .map(GpuContext::destroy_device)
            .is_some()
    }

    /// Steps recorded so far.
    #[wasm_bindgen(getter)]
    pub fn recorded(&self) -> usize {
        self.with_run(|r| Ok(r.sampler().records().len()))
            .unwrap_or(0)
    }

    /// Edge in pixels of the current run's images.
    #[wasm_bindgen(getter)]
    pub fn edge(&self) -> u32 {
        self.with_run(|r| Ok(r.edge())).unwrap_or(0)
    }

    /// RGBA of step k (1-based, as shown): `which` is "xt" (the sample before
    /// the step), "x0" (the denoiser's guess) or "result" (the current sample).
    pub fn frame(&self, k: usize, which: &str) -> Result<Uint8ClampedArray, JsError> {
        if !matches!(which, "xt" | "x0" | "result") {
            return Err(err("frame: use xt, x0 or result"));
        }
        let rgba = self.with_run(|r| r.rgba(k, which))?;
        Ok(Uint8ClampedArray::from(rgba.as_slice()))
    }

    /// The recogniser at step k: the `limit` most probable tags, `[{tag, p}]`.
    pub fn recogniser(&self, k: usize, limit: usize) -> Result<JsValue, JsError> {
        self.with_run(|r| r.recogniser(k, limit, None).map(|b| to_js(&b)))
    }

    /// The recogniser before the first step: its prior, `[{tag, p, prior}]` with p = prior.
    #[wasm_bindgen(js_name = priorBars)]
    pub fn prior_bars(&self, limit: usize) -> Result<JsValue, JsError> {
        self.with_run(|r| Ok(to_js(&r.prior_bars(limit))))
    }

    /// p(tag | x_t) of one tag at every recorded step (for the rising line).
    #[wasm_bindgen(js_name = tagHistory)]
    pub fn tag_history(&self, tag: &str) -> Result<Vec<f32>, JsError> {
        self.with_run(|r| Ok(r.tag_history(tag)))
    }

    /// The recogniser's value for `tag` before any picture is seen: its share of the archive.
    #[wasm_bindgen(js_name = tagPrior)]
    pub fn tag_prior(&self, tag: &str) -> Result<f32, JsError> {
        self.with_run(|r| Ok(r.tag_prior(tag)))
    }

    /// The items step k's x̂0 came from: `[{index, id, weight}]`.
    pub fn provenance(&self, k: usize, limit: usize) -> Result<JsValue, JsError> {
        self.with_run(|r| {
            r.record(k)?;
            r.provenance(k, limit).map(|p| to_js(&p))
        })
    }

    /// Patch denoiser: step k's source map as RGBA, each pixel in its item's
    /// colour (`sourceColour(index)`), dimmed where that item's share is small.
    #[wasm_bindgen(js_name = sourceMap)]
    pub fn source_map(&self, k: usize) -> Result<JsValue, JsError> {
        self.with_run(|r| {
            Ok(r.source_map(k)?.map_or(JsValue::NULL, |out| {
                Uint8ClampedArray::from(out.as_slice()).into()
            }))
        })
    }

    /// The result (or the last x̂0 of a cancelled run) as a PNG scaled by
    /// `scale`, with settings and provenance in its text chunks.
    pub fn png(&self, scale: u32) -> Result<Uint8Array, JsError> {
        let s = self.inner.borrow();
        let run = s.runs.slot.get().map_err(err)?;
        let bytes = run.png(&s.items, scale).map_err(err)?;
        Ok(Uint8Array::from(bytes.as_slice()))
    }

    /// The archive at `edge` for the Web Workers: all items' planar values
    /// one after another (`ImageWorker.addArchive`).
    #[wasm_bindgen(js_name = workerArchive)]
    pub fn worker_archive(&self, edge: u32) -> Result<Float32Array, JsError> {
        let stage = self
            .with_run(|r| Ok(r.stage_set()))
            .ok()
            .filter(|set| set.edge() == edge);
        let set = match stage {
            Some(set) => set,
            None => self.dataset(edge)?,
        };
        Ok(Float32Array::from(set.data()))
    }

    /// The current step's CPU patch call for the workers to share, or null
    /// when `step` should take it (GPU, another denoiser, done):
    /// `{serial, edge, x, alphaBar, size, border, window, candidates, mask, total}`
    /// (`window` −1: every position; `mask` null: no tag).
    #[wasm_bindgen(js_name = patchJob)]
    pub fn patch_job(&self) -> Result<JsValue, JsError> {
        let mut s = self.inner.borrow_mut();
        let serial = s.runs.slot.serial();
        let run = s.runs.slot.get_mut().map_err(err)?;
        let Some(job) = run.patch_job().map_err(err)? else {
            return Ok(JsValue::NULL);
        };
        let (index, total) = (run.sampler().steps_done(), run.sampler().total_steps());
        let key = archive_key(&run.stage_set());
        let out = job_to_js(&job, serial, index, total)?;
        js_sys::Reflect::set(
            &out,
            &JsValue::from_str("archive"),
            &JsValue::from_str(&key),
        )
        .map_err(|_| err("reflect"))?;
        Ok(out)
    }

    /// Completes the step of `patchJob` (run `serial`) with the workers'
    /// shares `[{items, accs, records}]`; resolves as `step` does.
    #[wasm_bindgen(js_name = finishPatchStep)]
    pub fn finish_patch_step(
        &self,
        serial: f64,
        shares: js_sys::Array,
    ) -> Result<JsValue, JsError> {
        let mut s = self.inner.borrow_mut();
        if serial as u64 != s.runs.slot.serial() {
            return Err(err(RunError::StaleShares));
        }
        let flats = shares
            .iter()
            .map(|v| flat_partial_of(&v))
            .collect::<Result<Vec<_>, _>>()?;
        let run = s.runs.slot.get_mut().map_err(err)?;
        let report = run.finish_patch_step(&flats).map_err(err)?;
        Ok(to_js(&report))
    }

    /// Reads the finished picture with the diffusion classifier
    /// (`diffusion::reading`): `[{tag, p, prior}]`, the `limit` most
    /// probable, the run's tag among them.
    #[wasm_bindgen(js_name = readResult)]
    pub fn read_result(&self, limit: usize) -> Result<JsValue, JsError> {
        let small = self.dataset(READ_EDGE)?;
        let s = self.inner.borrow();
        let run = s.runs.slot.get().map_err(err)?;
        let result = run
            .sampler()
            .result()
            .ok_or_else(|| err("the run has not finished"))?;
        let bars = reading::read(&small, result, run.edge(), run.tag(), limit).map_err(err)?;
        Ok(to_js(&bars))
    }

    /// Calls `f` with the current run (between steps).
    fn with_run<T>(&self, f: impl FnOnce(&Run) -> Result<T, RunError>) -> Result<T, JsError> {
        let s = self.inner.borrow();
        f(s.runs.slot.get().map_err(err)?).map_err(err)
    }
}

/// A distinct, stable colour per item index (golden-angle hues).
#[wasm_bindgen(js_name = sourceColour)]
pub fn source_colour_js(index: u32) -> Vec<u8> {
    source_colour(index).to_vec()
}

/// A patch call for the workers: `{serial, edge, x, alphaBar, size, border,
/// window, candidates, mask, index, total}` (`window` −1: every position;
/// `mask` null: no tag; `index` of `total`: the sampling step).
/// Names the items of a set (edge, count and an FNV-1a hash of the ids), so
/// that a worker holding that set is not sent it again.
fn archive_key(set: &Dataset) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for i in 0..set.len() {
        for b in set.id(i).bytes().chain([0]) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{}:{}:{h:016x}", set.edge(), set.len())
}

fn job_to_js(job: &PatchJob, serial: u64, index: usize, total: usize) -> Result<JsValue, JsError> {
    let out = js_sys::Object::new();
    let set = |k: &str, v: JsValue| {
        js_sys::Reflect::set(&out, &JsValue::from_str(k), &v).map_err(|_| err("reflect"))
    };
    set("serial", JsValue::from(serial as f64))?;
    set("edge", JsValue::from(job.edge))?;
    set("x", Float32Array::from(job.x_t.as_slice()).into())?;
    set("alphaBar", JsValue::from(job.alpha_bar))?;
    set("size", JsValue::from(job.shape.size))?;
    set("border", JsValue::from_str(job.shape.border.name()))?;
    set(
        "window",
        JsValue::from(job.shape.window.map_or(-1, |w| w as i32)),
    )?;
    let candidates: Vec<u32> = job.candidates.iter().map(|&i| i as u32).collect();
    set(
        "candidates",
        Uint32Array::from(candidates.as_slice()).into(),
    )?;
    let mask = job
        .tag
        .as_ref()
        .map(|m| m.iter().map(|&b| u8::from(b)).collect::<Vec<u8>>());
    set(
        "mask",
        mask.map_or(JsValue::NULL, |m| Uint8Array::from(m.as_slice()).into()),
    )?;
    set("index", JsValue::from(index as u32))?;
    set("total", JsValue::from(total as u32))?;
    Ok(out.into())
}

/// A worker's share back from JavaScript.
fn flat_partial_of(v: &JsValue) -> Result<FlatPartial, JsError> {
    let get = |k: &str| {
        js_sys::Reflect::get(v, &JsValue::from_str(k))
            .ok()
            .filter(|v| v.is_object())
            .ok_or_else(|| err(format!("a worker's share without {k}")))
    };
    Ok(FlatPartial {
        items: Uint32Array::new(&get("items")?).to_vec(),
        accs: Float32Array::new(&get("accs")?).to_vec(),
        records: Float32Array::new(&get("records")?).to_vec(),
    })
}

/// The CPU patch denoiser in a Web Worker: it keeps the archive at each edge
/// a run uses and computes shares of the page's patch steps
/// (`Generator.patchJob` → `share` → `Generator.finishPatchStep`).
#[wasm_bindgen]
#[derive(Default)]
pub struct ImageWorker {
    sets: Vec<Dataset>,
}

#[wasm_bindgen]
impl ImageWorker {
    #[wasm_bindgen(constructor)]
    pub fn new() -> ImageWorker {
        ImageWorker::default()
    }

    /// Keeps the archive at `edge` (`Generator.workerArchive(edge)`).
    #[wasm_bindgen(js_name = addArchive)]
    pub fn add_archive(&mut self, edge: u32, values: Vec<f32>) -> Result<(), JsError> {
        let mut set = Dataset::new(edge).map_err(err)?;
        let dim = set.dim();
        if values.is_empty() || !values.len().is_multiple_of(dim) {
            return Err(err(format!(
                "an archive at {edge} px needs whole items of {dim} values"
            )));
        }
        for (i, item) in values.chunks_exact(dim).enumerate() {
            set.push_values(&format!("{i}"), &[], item).map_err(err)?;
        }
        self.sets.retain(|s| s.edge() != edge);
        self.sets.push(set);
        Ok(())
    }

    /// Whether the archive at `edge` is here.
    #[wasm_bindgen(js_name = hasArchive)]
    pub fn has_archive(&self, edge: u32) -> bool {
        self.sets.iter().any(|s| s.edge() == edge)
    }

    /// Share `index` of `count` of a `patchJob`: `{items, accs, records}`;
    /// `progress(added, of)` is called after each item.
    pub fn share(
        &self,
        job: JsValue,
        index: usize,
        count: usize,
        progress: &js_sys::Function,
    ) -> Result<JsValue, JsError> {
        let get = |k: &str| {
            js_sys::Reflect::get(&job, &JsValue::from_str(k))
                .map_err(|_| err(format!("a job without {k}")))
        };
        let num = |k: &str| -> Result<f64, JsError> {
            get(k)?
                .as_f64()
                .ok_or_else(|| err(format!("a job without {k}")))
        };
        let edge = num("edge")? as u32;
        let set = self
            .sets
            .iter()
            .find(|s| s.edge() == edge)
            .ok_or_else(|| err(format!("the worker has no archive at {edge} px")))?;
        let x_t = Float32Array::new(&get("x")?).to_vec();
        if x_t.len() != set.dim() {
            return Err(err("x_t of another size"));
        }
        let border = get("border")?
            .as_string()
            .and_then(|b| Border::parse(&b))
            .ok_or_else(|| err("a job without a border"))?;
        let size = num("size")? as u32;
        if size.is_multiple_of(2) || size >= edge {
            return Err(err(format!("a patch of {size} px at {edge} px")));
        }
        let window = num("window")?;
        let candidates: Vec<usize> = Uint32Array::new(&get("candidates")?)
            .to_vec()
            .into_iter()
            .map(|i| i as usize)
            .collect();
        if candidates.iter().any(|&i| i >= set.len()) {
            return Err(err("a candidate the archive lacks"));
        }
        let mask_js = get("mask")?;
        let mask: Option<Vec<bool>> = (!mask_js.is_null() && !mask_js.is_undefined()).then(|| {
            Uint8Array::new(&mask_js)
                .to_vec()
                .iter()
                .map(|&b| b != 0)
                .collect()
        });
        if mask.as_ref().is_some_and(|m| m.len() != set.len()) {
            return Err(err("a tag mask of another length"));
        }
        let job = PatchJob {
            edge,
            x_t,
            alpha_bar: num("alphaBar")?,
            shape: PatchShape {
                size,
                border,
                window: (window >= 0.0).then_some(window as u32),
            },
            candidates,
            tag: mask,
        };
        let part = job.share_with_progress(set, index, count, |k, n| {
            let _ = progress.call2(
                &JsValue::NULL,
                &JsValue::from(k as u32),
                &JsValue::from(n as u32),
            );
        });
        let flat = part.to_flat();
        let out = js_sys::Object::new();
        let put = |k: &str, v: JsValue| {
            js_sys::Reflect::set(&out, &JsValue::from_str(k), &v).map_err(|_| err("reflect"))
        };
        put("items", Uint32Array::from(flat.items.as_slice()).into())?;
        put("accs", Float32Array::from(flat.accs.as_slice()).into())?;
        put(
            "records",
            Float32Array::from(flat.records.as_slice()).into(),
        )?;
        Ok(out.into())
    }
}
