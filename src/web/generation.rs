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
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::{err, step_run, to_js, Runs, Scene};
use crate::archive::dataset::{Dataset, SAMPLE_EDGES};
use crate::archive::{Item, Kind, Manifest};
use crate::diffusion::provenance::source_colour;
use crate::diffusion::run::{Run, RunError, RunOptions, CPU_SLICE_MS};
use crate::gpu::GpuContext;

struct State {
    items: Vec<Item>,
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
                pngs: Vec::new(),
                sets: Vec::new(),
                runs,
            })),
        })
    }

    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.inner.borrow().runs.backend().into()
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
        let o: RunOptions = serde_wasm_bindgen::from_value(options).map_err(err)?;
        let size = o.size.unwrap_or(SAMPLE_EDGES[0]);
        if !SAMPLE_EDGES.contains(&size) {
            return Err(err(RunError::Size(size)));
        }
        let set = self.dataset(size)?;
        // A patch run above 64 px composes at 32 px first (a cascade).
        let coarse = if o.denoiser == "patch" && size > crate::denoise::patch::WINDOWED_ABOVE {
            Some(self.dataset(crate::diffusion::run::CASCADE_EDGE)?)
        } else {
            None
        };
        let mut s = self.inner.borrow_mut();
        s.runs.start(set, coarse, &o)
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
