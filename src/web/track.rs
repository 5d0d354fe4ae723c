//! The sound scene's hypothetical tracks (`diffusion::track`): any length,
//! one or two tags, made by the track patch machine: on the GPU (`gpu::track`)
//! a step per call, on the CPU in time slices; timed on both when a GPU is open.
//!
//! ```js
//! const info = scene.startTrack({tag, tag2, mix, seconds, steps, seed, method, temperature, rigidity});
//! while (!(report = await scene.stepTrack(40)).done) {}   // {done, index, total, t, patch, partial, work, backend}
//! scene.trackPicture(k); scene.trackStrip(k); scene.trackShares(k, 8);
//! const samples = await scene.renderTrack(k, 64);   // Griffin–Lim (GPU when open)
//! scene.trackWav(samples);
//! ```

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Float32Array, Function, Promise, Uint8Array, Uint8ClampedArray};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::sound::{invert_magnitudes, SoundScene, State};
use super::{err, now_ms, to_js};
use crate::audio::spectrogram;
use crate::audio::stft::Stft;
use crate::backend::calibration::{KernelTiming, Path};
use crate::backend::griffin_lim::GRIFFIN_LIM_KERNEL;
use crate::denoise::track::{Candidates, Source, TrackPartial, TrackPass, TrackShape, BAND};
use crate::diffusion::provenance::{credit_line, source_colour};
use crate::diffusion::slot::{Slot, SlotError, Taken};
use crate::diffusion::track::{
    frames_per_second, run_clip_ids, track_clip_choice, TrackError, TrackLibrary, TrackOptions,
    TrackRun, TrackStepReport, ROWS,
};
use crate::diffusion::track_reading::PlannedReading;
use crate::gpu::track::GpuTrack;

/// Diagonals (clip, offset) between two looks at the clock in `stepTrack`.
const DIAGONALS_PER_CHECK: usize = 16;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TrackStart {
    steps: usize,
    settings: String,
    seconds: f32,
    frames: usize,
    bands: usize,
    /// (frame, candidate frame) pairs of all steps: the work to be done.
    pairs: f64,
    /// The common tempo the beat-carrying clips were brought to.
    tempo: Option<f32>,
    /// Candidate clips: `[{id, stretch, bpm, beat}]`.
    clips: Vec<ClipInfo>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ClipInfo {
    id: String,
    stretch: f32,
    bpm: f32,
    beat: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TrackCredit {
    id: String,
    weight: f32,
    title: String,
    credit: String,
    /// The clip's colour in the source strip, `#rrggbb`.
    colour: String,
}

/// The scene's track slot, for [`Taken`].
fn track_slot(s: &mut State) -> &mut Slot<TrackRun> {
    &mut s.track
}

/// A first (warm-up) GPU step this many times slower than the CPU's pace
/// already sends the track to the CPU.
const WARM_UP_MARGIN: f64 = 4.0;

/// What the track machine is timed as, on both paths.
const TRACK_KERNEL: &str = "one step of the track patch machine";

/// About `slice_ms` of the current step on the CPU.
fn cpu_slice(inner: &Rc<RefCell<State>>, slice_ms: f64) -> Result<TrackStepReport, JsError> {
    let mut s = inner.borrow_mut();
    let run = s.track.get_mut().map_err(err)?;
    let t0 = now_ms();
    loop {
        let mut r = run.step(DIAGONALS_PER_CHECK).map_err(err)?;
        if r.partial.is_none() || now_ms() - t0 >= slice_ms {
            r.backend = Path::Cpu;
            return Ok(r);
        }
    }
}

impl SoundScene {
    fn with_track<T>(
        &self,
        f: impl FnOnce(&TrackRun, &State) -> Result<T, TrackError>,
    ) -> Result<T, JsError> {
        let s = self.inner.borrow();
        let run = s.track.get().map_err(err)?;
        f(run, &s).map_err(err)
    }
}

#[wasm_bindgen]
impl SoundScene {
    /// Starts a track; throws with a readable message on bad options.
    #[wasm_bindgen(js_name = startTrack)]
    pub fn start_track(&self, options: JsValue) -> Result<JsValue, JsError> {
        let o: TrackOptions = serde_wasm_bindgen::from_value(options).map_err(err)?;
        let mut s = self.inner.borrow_mut();
        if s.set.is_empty() {
            return Err(err("the archive's clips have not loaded yet"));
        }
        if s.track.is_busy() {
            return Err(err(SlotError::Busy));
        }
        // The clips this run may draw on: every clip loaded with the scene,
        // and of the fetched soundtracks only those chosen for its tags.
        let chosen = track_clip_choice(&s.items, &o);
        let missing: Vec<&String> = chosen
            .iter()
            .filter(|id| s.set.index_of(id).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(err(format!(
                "{} chosen clips are not loaded yet (scene.trackClips names them)",
                missing.len()
            )));
        }
        let ids = run_clip_ids(&s.items, &chosen, |id| s.set.index_of(id).is_some());
        let key: Vec<&str> = ids.iter().map(String::as_str).collect();
        let lib = match &s.library {
            Some(lib) if lib.ids == ids => lib.clone(),
            _ => {
                let subset = s.set.subset(&ids).expect("every id is loaded");
                let lib = Rc::new(TrackLibrary::ordered(&subset, &key));
                s.library = Some(lib.clone());
                lib
            }
        };
        let run = TrackRun::start(&lib, &o).map_err(err)?;
        let info = TrackStart {
            steps: run.sampler().total_steps(),
            settings: run.settings().to_string(),
            seconds: run.seconds(),
            frames: run.cols(),
            bands: ROWS / BAND,
            pairs: run.pairs_per_step().iter().sum::<u64>() as f64,
            tempo: run.candidates().tempo,
            clips: run
                .candidates()
                .clips
                .iter()
                .map(|c| ClipInfo {
                    id: lib.ids[c.clip].clone(),
                    stretch: c.stretch,
                    bpm: c.pulse.bpm,
                    beat: c.pulse.is_beat(),
                })
                .collect(),
        };
        // The machine's GPU twin, unless timing has already sent tracks of
        // this length to the CPU.
        s.track_gpu = match &s.runs.gpu {
            Some(ctx)
                if s.runs.calibrations.path(TRACK_KERNEL, run.cols() as u32) != Some(Path::Cpu) =>
            {
                Some(Rc::new(GpuTrack::new(ctx, run.candidates(), run.cols())))
            }
            _ => None,
        };
        s.track.replace(run).map_err(err)?;
        Ok(to_js(&info))
    }

    /// Plans the reading of the finished track (the diffusion classifier of
    /// `diffusion::track_reading`) and returns the clips it needs that are
    /// not loaded: `[id]` (fetch and `addClip` them, then `stepReading`).
    #[wasm_bindgen(js_name = startReading)]
    pub fn start_reading(&self) -> Result<Vec<String>, JsError> {
        let mut s = self.inner.borrow_mut();
        let run = s.track.get().map_err(err)?;
        let picture = run
            .sampler()
            .result()
            .ok_or_else(|| err("the track is not finished"))?
            .to_vec();
        let reading = PlannedReading::new(&s.items, &picture);
        let missing = reading.missing(&s.set);
        s.reading = Some(reading);
        Ok(missing)
    }

    /// One step of the reading (one tag at one noise level): `{done, index,
    /// total, seconds}` (`seconds`: the length of the excerpt read).
    #[wasm_bindgen(js_name = stepReading)]
    pub fn step_reading(&self) -> Result<JsValue, JsError> {
        let mut s = self.inner.borrow_mut();
        let State { reading, set, .. } = &mut *s;
        let reading = reading
            .as_mut()
            .ok_or_else(|| err("no reading was started"))?;
        reading.step(set);
        let r = reading.reading();
        #[derive(Serialize)]
        struct Progress {
            done: bool,
            index: usize,
            total: usize,
            seconds: f32,
        }
        Ok(to_js(&Progress {
            done: r.is_done(),
            index: r.steps_done(),
            total: r.steps(),
            seconds: crate::diffusion::track_reading::read_seconds(),
        }))
    }

    /// The reading's bars, most probable first: `[{tag, p, prior, other}]`
    /// (p over the tags read; prior: the tag's share of the archive's clips).
    #[wasm_bindgen(js_name = readingBars)]
    pub fn reading_bars(&self, limit: usize) -> Result<JsValue, JsError> {
        let s = self.inner.borrow();
        let reading = s
            .reading
            .as_ref()
            .ok_or_else(|| err("no reading was started"))?;
        Ok(to_js(&reading.reading().bars(limit)))
    }

    /// The soundtrack clips a track of these options draws on (fetch and
    /// `addClip` them before `startTrack`): `[id]`, empty when its tags are
    /// the scene's own.
    #[wasm_bindgen(js_name = trackClips)]
    pub fn track_clips(&self, options: JsValue) -> Result<Vec<String>, JsError> {
        let o: TrackOptions = serde_wasm_bindgen::from_value(options).map_err(err)?;
        Ok(track_clip_choice(&self.inner.borrow().items, &o))
    }

    /// Works on the track: on the GPU one whole step per call; on the CPU
    /// for about `slice_ms`, finishing at most one step. Resolves to
    /// `{done, index, total, t, patch, partial, work, backend, calibration, fellBack}`.
    /// With timing on, steps 1 and 2 run on the GPU (the first warms it up),
    /// step 2 is timed against the CPU's pace on step 3, and the faster path
    /// takes the rest; a first step over 4× slower than the CPU's pace (a
    /// software adapter) decides at once.
    #[wasm_bindgen(js_name = stepTrack)]
    pub fn step_track(&self, slice_ms: f64) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let (plan, calibrate) = {
                let s = inner.borrow();
                let run = s.track.get().map_err(err)?;
                let decided = s.runs.calibrations.path(TRACK_KERNEL, run.cols() as u32);
                (
                    s.track_gpu.clone().filter(|_| decided != Some(Path::Cpu)),
                    s.runs.calibrate && decided.is_none(),
                )
            };
            if let Some(plan) = plan {
                // The guard puts the track back in its slot however this step ends.
                let mut run = Taken::take(&inner, track_slot).map_err(err)?;
                let pairs = run.pairs_of_step();
                let t0 = now_ms();
                let result = run.step_gpu(&plan).await;
                let gpu_ms = now_ms() - t0;
                match result {
                    Ok(mut report) => {
                        // ms per pair on both paths, scaled to the next step's pairs.
                        let cpu_per_pair = if calibrate && report.index <= 2 && !report.done {
                            run.time_cpu(&now_ms, 150.0)
                        } else {
                            0.0
                        };
                        let gpu_per_pair = gpu_ms / pairs.max(1) as f64;
                        // Step 1 also warms the GPU up, so it decides only when the
                        // GPU is far slower (a software adapter); step 2 decides.
                        let decide = cpu_per_pair > 0.0
                            && (report.index == 2 || gpu_per_pair > WARM_UP_MARGIN * cpu_per_pair);
                        if decide {
                            let next = run.pairs_of_step() as f64;
                            let timing = KernelTiming {
                                kernel: TRACK_KERNEL.into(),
                                size: run.cols() as u32,
                                gpu_ms: gpu_per_pair * next,
                                cpu_ms: cpu_per_pair * next,
                                exact_on_cpu: true,
                            };
                            let sentence = inner
                                .borrow_mut()
                                .runs
                                .calibrations
                                .record(timing)
                                .sentence();
                            report.calibration = Some(sentence);
                        }
                        report.backend = Path::Gpu;
                        return Ok(to_js(&report));
                    }
                    Err(e) => {
                        // The track goes on on the CPU, and the scene says so.
                        drop(run);
                        let mut s = inner.borrow_mut();
                        s.track_gpu = None;
                        s.runs.gpu = None;
                        s.runs.detail = format!("CPU (WebAssembly): the GPU failed ({e})");
                        drop(s);
                        let mut report = cpu_slice(&inner, slice_ms)?;
                        report.fell_back = Some(e.to_string());
                        return Ok(to_js(&report));
                    }
                }
            }
            Ok(to_js(&cpu_slice(&inner, slice_ms)?))
        })
    }

    /// Frames per second of track pictures (86.1).
    #[wasm_bindgen(getter, js_name = trackFramesPerSecond)]
    pub fn track_frames_per_second(&self) -> f32 {
        frames_per_second()
    }

    /// Step k's x̂0 (k = 0: the current x_t, the result once finished) as
    /// RGBA8, `frames` wide and 512 high, highest frequency at the top.
    #[wasm_bindgen(js_name = trackPicture)]
    pub fn track_picture(&self, k: usize) -> Result<Uint8ClampedArray, JsError> {
        let values = self.with_track(|r, _| r.values(k))?;
        Ok(Uint8ClampedArray::from(
            spectrogram::colour_track(&values).as_slice(),
        ))
    }

    /// Step k's sources (k = 0: the last step) as RGBA8, `frames` wide and
    /// one row per band (32), highest band at the top.
    #[wasm_bindgen(js_name = trackStrip)]
    pub fn track_strip(&self, k: usize) -> Result<Uint8ClampedArray, JsError> {
        let rgba = self.with_track(|r, _| r.source_strip(k))?;
        Ok(Uint8ClampedArray::from(rgba.as_slice()))
    }

    /// The clips leading step k's (band, frame) cells, with credits and
    /// their colour in the strip: `[{id, weight, title, credit, colour}]`.
    #[wasm_bindgen(js_name = trackShares)]
    pub fn track_shares(&self, k: usize, limit: usize) -> Result<JsValue, JsError> {
        let credits = self.with_track(|r, s| {
            let lib = s.library.as_ref().expect("a track has its library");
            Ok(r.shares(k, limit)?
                .into_iter()
                .map(|sh| {
                    let item = s.items.iter().find(|i| i.id == sh.id);
                    let index = lib.ids.iter().position(|i| *i == sh.id).unwrap_or(0);
                    let [r, g, b] = source_colour(index as u32);
                    TrackCredit {
                        title: item.map_or_else(|| sh.id.clone(), |i| i.title.clone()),
                        credit: item.map(credit_line).unwrap_or_default(),
                        colour: format!("#{r:02x}{g:02x}{b:02x}"),
                        id: sh.id,
                        weight: sh.weight,
                    }
                })
                .collect::<Vec<_>>())
        })?;
        Ok(to_js(&credits))
    }

    /// The clip leading each second of step k (k = 0: the last step).
    #[wasm_bindgen(js_name = trackSeconds)]
    pub fn track_seconds(&self, k: usize) -> Result<Vec<String>, JsError> {
        self.with_track(|r, _| r.per_second(k))
    }

    /// Step k's x̂0 (k = 0: the result) turned into sound with `iters`
    /// Griffin–Lim iterations: resolves to a Float32Array.
    #[wasm_bindgen(js_name = renderTrack)]
    pub fn render_track(&self, k: usize, iters: usize) -> Promise {
        let values = self.with_track(|r, _| r.values(k));
        let inner = self.inner.clone();
        future_to_promise(async move {
            let values = values.map_err(JsValue::from)?;
            let (mags, frames, length) = spectrogram::track_magnitudes(&values);
            invert_magnitudes(&inner, mags, frames, length, iters.clamp(1, 256)).await
        })
    }

    /// Step k's x̂0 (k = 0: the result) as values, frame-major (512 per
    /// frame), for [`invert_track`] in a worker.
    #[wasm_bindgen(js_name = trackValues)]
    pub fn track_values(&self, k: usize) -> Result<Float32Array, JsError> {
        let values = self.with_track(|r, _| r.values(k))?;
        Ok(Float32Array::from(values.as_slice()))
    }

    /// Whether `renderTrack` would run Griffin–Lim on the GPU (a GPU is open
    /// and the timing has not moved the kernel to the CPU); otherwise the page
    /// runs it in a worker with [`invert_track`].
    #[wasm_bindgen(getter, js_name = griffinLimOnGpu)]
    pub fn griffin_lim_on_gpu(&self) -> bool {
        let s = self.inner.borrow();
        s.runs.gpu.is_some()
            && s.runs
                .calibrations
                .path(GRIFFIN_LIM_KERNEL, spectrogram::EDGE as u32)
                != Some(Path::Cpu)
    }

    /// Times Griffin–Lim on both paths once (4 iterations of one silent
    /// window on the GPU, 2 on the CPU), so that the first track's render
    /// takes the faster path; resolves at once when already decided or
    /// without a GPU.
    #[wasm_bindgen(js_name = calibrateGriffinLim)]
    pub fn calibrate_griffin_lim(&self) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let needed = {
                let s = inner.borrow();
                s.runs.gpu.is_some()
                    && s.runs.calibrate
                    && s.runs
                        .calibrations
                        .path(GRIFFIN_LIM_KERNEL, spectrogram::EDGE as u32)
                        .is_none()
            };
            if needed {
                let silence = vec![-1.0f32; spectrogram::EDGE * spectrogram::EDGE];
                let mags = spectrogram::magnitudes(&silence);
                invert_magnitudes(
                    &inner,
                    mags,
                    spectrogram::window_frames(),
                    spectrogram::WINDOW,
                    4,
                )
                .await?;
            }
            Ok(JsValue::UNDEFINED)
        })
    }

    /// The finished track as a WAV whose INFO names the settings, the clips
    /// with their credits, and the clip leading each second.
    #[wasm_bindgen(js_name = trackWav)]
    pub fn track_wav(&self, samples: Vec<f32>) -> Result<Uint8Array, JsError> {
        let bytes = self.with_track(|r, s| r.wav(&samples, &s.items))?;
        Ok(Uint8Array::from(bytes.as_slice()))
    }
}

/// Griffin–Lim of a track picture on the CPU, for a Web Worker: `values`
/// frame-major (512 per frame), from the PGHI phase, `iters` iterations;
/// `progress(i, iters)` is called after each. Returns levelled samples.
#[wasm_bindgen(js_name = invertTrack)]
pub fn invert_track(
    values: Vec<f32>,
    iters: usize,
    progress: &Function,
) -> Result<Float32Array, JsError> {
    if values.is_empty() || !values.len().is_multiple_of(spectrogram::EDGE) {
        return Err(err("a track picture is 512 values per frame"));
    }
    let iters = iters.clamp(1, 256);
    let mut report = |i: usize, _sc: f64| {
        let _ = progress.call2(
            &JsValue::NULL,
            &JsValue::from(i as u32),
            &JsValue::from(iters as u32),
        );
    };
    let x = spectrogram::track_to_sound(&mut Stft::standard(), &values, iters, Some(&mut report));
    Ok(Float32Array::from(x.as_slice()))
}

/// The track machine in a Web Worker: the same candidates as the page's
/// run (`trackWorkerSetup`), one share of each step's diagonals
/// (`TrackPass::share`), returned as the online softmax state that the page
/// merges (`finishTrackStep`).
#[wasm_bindgen]
pub struct TrackWorker {
    cands: Candidates,
    cols: usize,
}

#[wasm_bindgen]
impl TrackWorker {
    /// `pictures`: one Float32Array per library clip (empty for clips that
    /// are not candidates), `weights` the run's prior weights.
    #[wasm_bindgen(constructor)]
    pub fn new(
        pictures: js_sys::Array,
        weights: Vec<f32>,
        align: bool,
        cols: usize,
    ) -> Result<TrackWorker, JsError> {
        let pics: Vec<Vec<f32>> = pictures
            .iter()
            .map(|v| Float32Array::new(&v).to_vec())
            .collect();
        if pics.len() != weights.len() || pics.iter().any(|p| p.len() % ROWS != 0) {
            return Err(err("one picture of 512-value frames per weight"));
        }
        if pics
            .iter()
            .zip(&weights)
            .any(|(p, &w)| w > 0.0 && p.is_empty())
        {
            return Err(err("a candidate clip came without its picture"));
        }
        let refs: Vec<&[f32]> = pics.iter().map(Vec::as_slice).collect();
        Ok(TrackWorker {
            cands: Candidates::new(&refs, ROWS, &weights, align),
            cols,
        })
    }

    /// Every `count`-th diagonal from the `index`-th of one step on x_t:
    /// `{max, sum, acc, best, pairs, skipped}` (best packs clip << 16 | frame).
    #[allow(clippy::too_many_arguments)]
    pub fn share(
        &self,
        x: Vec<f32>,
        alpha_bar: f64,
        bands: usize,
        frames: usize,
        rigidity: f32,
        index: usize,
        count: usize,
    ) -> Result<JsValue, JsError> {
        if x.len() != ROWS * self.cols {
            return Err(err("x_t of another length"));
        }
        let shape = TrackShape { bands, frames };
        let mut pass = TrackPass::new(&self.cands, &x, self.cols, alpha_bar, shape, rigidity)
            .share(index, count);
        pass.run(&self.cands);
        let p = pass.into_partial();
        let best: Vec<u32> = p
            .best
            .iter()
            .map(|s| (u32::from(s.clip) << 16) | u32::from(s.frame))
            .collect();
        let out = js_sys::Object::new();
        let set = |k: &str, v: JsValue| js_sys::Reflect::set(&out, &JsValue::from_str(k), &v);
        set("max", js_sys::Float64Array::from(p.max.as_slice()).into())
            .map_err(|_| err("reflect"))?;
        set("sum", js_sys::Float64Array::from(p.sum.as_slice()).into())
            .map_err(|_| err("reflect"))?;
        set("acc", Float32Array::from(p.acc.as_slice()).into()).map_err(|_| err("reflect"))?;
        set("best", js_sys::Uint32Array::from(best.as_slice()).into())
            .map_err(|_| err("reflect"))?;
        set("pairs", JsValue::from(p.pairs as f64)).map_err(|_| err("reflect"))?;
        set("skipped", JsValue::from(p.skipped as f64)).map_err(|_| err("reflect"))?;
        Ok(out.into())
    }
}

/// A worker's share back from JavaScript.
fn partial_of(v: &JsValue, cols: usize) -> Result<TrackPartial, JsError> {
    let get = |k: &str| {
        js_sys::Reflect::get(v, &JsValue::from_str(k))
            .map_err(|_| err(format!("a share without {k}")))
    };
    let max = js_sys::Float64Array::new(&get("max")?).to_vec();
    let sum = js_sys::Float64Array::new(&get("sum")?).to_vec();
    let acc = Float32Array::new(&get("acc")?).to_vec();
    let best = js_sys::Uint32Array::new(&get("best")?).to_vec();
    let cells = cols * (ROWS / BAND);
    if max.len() != cells || sum.len() != cells || best.len() != cells || acc.len() != cols * ROWS {
        return Err(err("a share of another step"));
    }
    Ok(TrackPartial {
        rows: ROWS,
        cols,
        max,
        sum,
        acc,
        best: best
            .iter()
            .map(|&b| Source {
                clip: (b >> 16) as u16,
                frame: (b & 0xffff) as u16,
                share: 0.0,
            })
            .collect(),
        pairs: get("pairs")?.as_f64().unwrap_or(0.0) as u64,
        skipped: get("skipped")?.as_f64().unwrap_or(0.0) as u64,
    })
}

#[wasm_bindgen]
impl SoundScene {
    /// What a worker needs to make the run's candidates:
    /// `{pictures: [Float32Array per library clip, empty if not a candidate], weights, align, cols}`.
    #[wasm_bindgen(js_name = trackWorkerSetup)]
    pub fn track_worker_setup(&self) -> Result<JsValue, JsError> {
        self.with_track(|run, s| {
            let lib = s.library.as_ref().expect("a track has its library");
            let (weights, align) = run.candidate_setup();
            let pictures = js_sys::Array::new();
            for (p, &w) in lib.pictures.iter().zip(weights) {
                let v: &[f32] = if w > 0.0 { p } else { &[] };
                pictures.push(&Float32Array::from(v));
            }
            let out = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&out, &"pictures".into(), &pictures);
            let _ = js_sys::Reflect::set(&out, &"weights".into(), &Float32Array::from(weights));
            let _ = js_sys::Reflect::set(&out, &"align".into(), &JsValue::from(align));
            let _ = js_sys::Reflect::set(&out, &"cols".into(), &JsValue::from(run.cols() as u32));
            Ok(JsValue::from(out))
        })
    }

    /// The current step for the workers: `{x, alphaBar, bands, frames, rigidity}`, or null when finished.
    #[wasm_bindgen(js_name = trackJob)]
    pub fn track_job(&self) -> Result<JsValue, JsError> {
        self.with_track(|run, _| {
            Ok(match run.job() {
                None => JsValue::NULL,
                Some((x, a, shape, rho)) => {
                    let out = js_sys::Object::new();
                    let _ = js_sys::Reflect::set(&out, &"x".into(), &Float32Array::from(x));
                    let _ = js_sys::Reflect::set(&out, &"alphaBar".into(), &JsValue::from(a));
                    let _ = js_sys::Reflect::set(
                        &out,
                        &"bands".into(),
                        &JsValue::from(shape.bands as u32),
                    );
                    let _ = js_sys::Reflect::set(
                        &out,
                        &"frames".into(),
                        &JsValue::from(shape.frames as u32),
                    );
                    let _ = js_sys::Reflect::set(&out, &"rigidity".into(), &JsValue::from(rho));
                    out.into()
                }
            })
        })
    }

    /// Finishes the current step from the workers' shares (in share order).
    #[wasm_bindgen(js_name = finishTrackStep)]
    pub fn finish_track_step(&self, shares: js_sys::Array) -> Result<JsValue, JsError> {
        let mut s = self.inner.borrow_mut();
        let run = s.track.get_mut().map_err(err)?;
        let cols = run.cols();
        let mut merged: Option<TrackPartial> = None;
        for v in shares.iter() {
            let part = partial_of(&v, cols)?;
            match merged.as_mut() {
                Some(m) => m.merge(&part),
                None => merged = Some(part),
            }
        }
        let merged = merged.ok_or_else(|| err("no shares"))?;
        let mut report = run.finish_step(merged).map_err(err)?;
        report.backend = Path::Cpu;
        Ok(to_js(&report))
    }

    /// Whether the next track step runs on the GPU (its twin is planned and
    /// timing has not sent it to the CPU); otherwise the page may use workers.
    #[wasm_bindgen(getter, js_name = trackOnGpu)]
    pub fn track_on_gpu(&self) -> bool {
        let s = self.inner.borrow();
        match (&s.track_gpu, s.track.get()) {
            (Some(_), Ok(run)) => {
                s.runs.calibrations.path(TRACK_KERNEL, run.cols() as u32) != Some(Path::Cpu)
            }
            _ => false,
        }
    }
}
