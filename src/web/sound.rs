//! The "Sounds Like Music" scene's API.
//!
//! ```js
//! const scene = await SoundScene.create(true, manifestJsonText); // true: try WebGPU
//! scene.addClip(id, samples22050);       // each archive clip, decoded by the browser
//! scene.useClip(id) | scene.setSource(samples, startSample, label); // what dissolves
//! scene.levels(t); scene.spectrum(t); scene.picture(t, seed); // the forward process
//! await scene.hearPicture(t, seed);      // the noised picture turned back into sound
//! scene.start({denoiser, tag, steps, guidance, temperature, seed, method});
//! while (!(await scene.step()).done) {}  // then picture(k), render(k), wav(k)
//! ```
//! Sound comes back levelled to −20 dBFS RMS and limited (`spectrogram::level`).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Float32Array, Promise, Uint8Array, Uint8ClampedArray};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::{err, now_ms, step_run, to_js, Runs, Scene};
use crate::archive::dataset::Dataset;
use crate::archive::{Item, Kind, Manifest};
use crate::audio::griffin_lim::DEFAULT_ITERS;
use crate::audio::spectrogram::{self, Fit, EDGE, SAMPLE_RATE, WINDOW};
use crate::audio::stft::{Stft, HOP, N_FFT};
use crate::backend::calibration::KernelTiming;
use crate::backend::griffin_lim::{self as griffin_lim_paths, GriffinLimPlans, GRIFFIN_LIM_KERNEL};
use crate::diffusion::provenance::result_wav;
use crate::diffusion::run::{Run, RunError, RunOptions};
use crate::diffusion::slot::Slot;
use crate::diffusion::track::{TrackLibrary, TrackRun};
use crate::diffusion::track_reading::PlannedReading;
use crate::forward::schedule::{Schedule, ScheduleKind, DEFAULT_STEPS};
use crate::gpu::track::GpuTrack;

/// The sound constants the page needs: `{sampleRate, window, hop,
/// trackClipsPerTag, clipsPerPiece}` (one definition, in Rust).
#[wasm_bindgen(js_name = soundConstants)]
pub fn sound_constants() -> JsValue {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Constants {
        sample_rate: u32,
        window: usize,
        hop: usize,
        track_clips_per_tag: usize,
        clips_per_piece: usize,
    }
    to_js(&Constants {
        sample_rate: SAMPLE_RATE,
        window: WINDOW,
        hop: HOP,
        track_clips_per_tag: crate::diffusion::track::TRACK_CLIPS_PER_TAG,
        clips_per_piece: crate::diffusion::track::CLIPS_PER_PIECE,
    })
}

pub use crate::diffusion::track::SOUND_SCENE_TAGS as SCENE_TAGS;
use crate::diffusion::track::{FETCHED_TAG, TRACK_ONLY_TAGS};

struct Clip {
    label: String,
    window: Vec<f32>,
    rms: f32,
    picture: Vec<f32>,
    /// Power spectrum of the standardised window.
    power: Vec<f32>,
}

pub(super) struct State {
    pub(super) items: Vec<Item>,
    /// Shared so that a step can hold it across an await without a copy.
    pub(super) set: Rc<Dataset>,
    clips: Vec<(String, Vec<f32>)>,
    /// The GPU, the run and the kernel timings (shared shape, `web::Runs`).
    pub(super) runs: Runs,
    stft: Stft,
    schedule: Schedule,
    source: Option<Clip>,
    /// Griffin–Lim planned on the GPU, per signal length (made on first use;
    /// the window's and the latest track's are kept).
    gl_plans: GriffinLimPlans,
    /// The clips as a track library (made on first use after the clips change).
    pub(super) library: Option<Rc<TrackLibrary>>,
    /// The current track run, if any (taken out of its slot by a GPU step
    /// until it resolves), and its GPU plan.
    pub(super) track: Slot<TrackRun>,
    pub(super) track_gpu: Option<Rc<GpuTrack>>,
    /// The reading of the finished track, once started.
    pub(super) reading: Option<PlannedReading>,
}

impl Scene for State {
    fn runs(&mut self) -> &mut Runs {
        &mut self.runs
    }
}

impl State {
    /// The chosen sound and ᾱ at t.
    fn source_at(&self, t: u32) -> Result<(&Clip, f64), JsError> {
        let src = self
            .source
            .as_ref()
            .ok_or_else(|| err("choose a sound first"))?;
        Ok((src, self.schedule.alpha_bar(t.min(DEFAULT_STEPS))))
    }
}

#[wasm_bindgen]
pub struct SoundScene {
    pub(super) inner: Rc<RefCell<State>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SourceInfo {
    label: String,
    start: usize,
    padded: usize,
    seconds: f32,
    rms: f32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Levels {
    alpha_bar: f64,
    /// Gain on the raw clip: √ᾱ / RMS(clip) (the clip standardised, then weighted).
    music: f32,
    /// Gain on the N(0, 1) noise: √(1 − ᾱ).
    noise: f32,
    /// Gain after the sum: the mix has unit power, so this sets −20 dBFS RMS.
    level: f32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpectrumInfo {
    alpha_bar: f64,
    hz_per_bin: f32,
    /// ᾱ·P_music(f) per bin, 513 values.
    music: Vec<f32>,
    /// (1 − ᾱ)·P_noise, the same in every bin.
    noise: f32,
    share: f32,
    sentence: String,
}

#[wasm_bindgen]
impl SoundScene {
    /// Opens the scene with the archive manifest (JSON text); tries WebGPU when asked.
    pub async fn create(prefer_gpu: bool, manifest_json: String) -> Result<SoundScene, JsError> {
        let manifest = Manifest::parse(&manifest_json).map_err(err)?;
        let items = manifest
            .items
            .into_iter()
            .filter(|i| i.kind == Kind::Sound)
            .collect();
        let runs = Runs::open(prefer_gpu).await;
        Ok(SoundScene {
            inner: Rc::new(RefCell::new(State {
                items,
                set: Rc::new(Dataset::single_channel(EDGE as u32)),
                clips: Vec::new(),
                runs,
                stft: Stft::standard(),
                schedule: Schedule::new(ScheduleKind::Cosine, DEFAULT_STEPS),
                source: None,
                gl_plans: GriffinLimPlans::default(),
                library: None,
                track: Slot::default(),
                reading: None,
                track_gpu: None,
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

    /// T, the schedule's last timestep.
    #[wasm_bindgen(getter)]
    pub fn steps(&self) -> u32 {
        DEFAULT_STEPS
    }

    /// Adds one archive clip (mono, 22,050 Hz); its tags come from the manifest.
    #[wasm_bindgen(js_name = addClip)]
    pub fn add_clip(&self, id: &str, samples: Vec<f32>) -> Result<(), JsError> {
        let mut s = self.inner.borrow_mut();
        let item = s
            .items
            .iter()
            .find(|i| i.id == id)
            .ok_or_else(|| err(format!("“{id}” is not a sound of the archive")))?;
        let tags = item.tags.clone();
        if s.set.index_of(id).is_some() {
            return Ok(());
        }
        let (window, _) = spectrogram::fit_window(&samples, 0);
        let picture = spectrogram::picture(&mut s.stft, &window);
        Rc::make_mut(&mut s.set)
            .push_values(id, &tags, &picture)
            .map_err(err)?;
        s.clips.push((id.to_string(), window));
        s.library = None;
        Ok(())
    }

    /// Number of clips loaded.
    #[wasm_bindgen(getter)]
    pub fn clips(&self) -> usize {
        self.inner.borrow().clips.len()
    }

    /// The scene's tags with their numbers of loaded clips: `[{tag, count}]`.
    pub fn tags(&self) -> JsValue {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct TagCount {
            tag: &'static str,
            count: usize,
            /// Only the track machine uses it, with clips it fetches.
            tracks_only: bool,
        }
        let s = self.inner.borrow();
        let mut v: Vec<TagCount> = SCENE_TAGS
            .iter()
            .map(|&tag| TagCount {
                tag,
                count: s.set.tag_mask(tag).iter().filter(|&&b| b).count(),
                tracks_only: false,
            })
            .collect();
        v.extend(TRACK_ONLY_TAGS.iter().map(|&tag| {
            TagCount {
                tag,
                count: s
                    .items
                    .iter()
                    .filter(|i| i.tags.iter().any(|t| t == tag))
                    .count(),
                tracks_only: true,
            }
        }));
        to_js(&v)
    }

    /// Makes an archive clip the sound that dissolves.
    #[wasm_bindgen(js_name = useClip)]
    pub fn use_clip(&self, id: &str) -> Result<JsValue, JsError> {
        let samples = {
            let s = self.inner.borrow();
            let (_, w) = s
                .clips
                .iter()
                .find(|(c, _)| c == id)
                .ok_or_else(|| err(format!("the clip “{id}” has not been loaded")))?;
            w.clone()
        };
        let title = self
            .inner
            .borrow()
            .items
            .iter()
            .find(|i| i.id == id)
            .map_or_else(|| id.to_string(), |i| i.title.clone());
        self.set_source(samples, 0, title)
    }

    /// Makes any mono 22,050 Hz sound the one that dissolves: one window from
    /// `start` (clamped), or the whole sound padded with silence.
    #[wasm_bindgen(js_name = setSource)]
    pub fn set_source(
        &self,
        samples: Vec<f32>,
        start: usize,
        label: String,
    ) -> Result<JsValue, JsError> {
        if samples.is_empty() {
            return Err(err("the sound has no samples"));
        }
        if samples.iter().any(|v| !v.is_finite()) {
            return Err(err("the sound contains values that are not numbers"));
        }
        let mut s = self.inner.borrow_mut();
        let (window, Fit { start, padded }) = spectrogram::fit_window(&samples, start);
        let rms = spectrogram::rms(&window);
        let picture = spectrogram::picture(&mut s.stft, &window);
        let power = spectrogram::power_spectrum(&mut s.stft, &spectrogram::standardise(&window));
        let info = SourceInfo {
            label: label.clone(),
            start,
            padded,
            seconds: samples.len() as f32 / SAMPLE_RATE as f32,
            rms,
        };
        s.source = Some(Clip {
            label,
            window,
            rms,
            picture,
            power,
        });
        Ok(to_js(&info))
    }

    /// The current source window's samples (for the page's Web Audio graph).
    #[wasm_bindgen(js_name = sourceSamples)]
    pub fn source_samples(&self) -> Result<Float32Array, JsError> {
        let s = self.inner.borrow();
        let src = s
            .source
            .as_ref()
            .ok_or_else(|| err("choose a sound first"))?;
        Ok(Float32Array::from(src.window.as_slice()))
    }

    #[wasm_bindgen(getter, js_name = sourceLabel)]
    pub fn source_label(&self) -> Option<String> {
        self.inner.borrow().source.as_ref().map(|s| s.label.clone())
    }

    /// ᾱ at t on the cosine schedule.
    #[wasm_bindgen(js_name = alphaBar)]
    pub fn alpha_bar(&self, t: u32) -> f64 {
        self.inner.borrow().schedule.alpha_bar(t.min(DEFAULT_STEPS))
    }

    /// The gains of the page's mixing graph at t: `{alphaBar, music, noise, level}`.
    pub fn levels(&self, t: u32) -> Result<JsValue, JsError> {
        let s = self.inner.borrow();
        let (src, a) = s.source_at(t)?;
        let music = if src.rms > 1e-6 {
            a.sqrt() as f32 / src.rms
        } else {
            0.0
        };
        Ok(to_js(&Levels {
            alpha_bar: a,
            music,
            noise: (1.0 - a).max(0.0).sqrt() as f32,
            level: spectrogram::TARGET_RMS,
        }))
    }

    /// Seeded N(0, 1) noise, one window long, for the page's noise buffer.
    pub fn noise(&self, seed: u32) -> Float32Array {
        Float32Array::from(spectrogram::noise(u64::from(seed), WINDOW).as_slice())
    }

    /// Power spectra of the music and the noise at t, and the sentence.
    pub fn spectrum(&self, t: u32) -> Result<JsValue, JsError> {
        let s = self.inner.borrow();
        let (src, a) = s.source_at(t)?;
        let n = spectrogram::noise_power(&s.stft);
        let d = spectrogram::drowned(&src.power, n, a);
        Ok(to_js(&SpectrumInfo {
            alpha_bar: a,
            hz_per_bin: SAMPLE_RATE as f32 / N_FFT as f32,
            music: src.power.iter().map(|&p| p * a as f32).collect(),
            noise: n * (1.0 - a) as f32,
            share: d.share,
            sentence: d.sentence,
        }))
    }

    /// The source's spectrogram picture noised at t (seeded), coloured RGBA,
    /// 512 × 512 with the highest frequency at the top.
    pub fn picture(&self, t: u32, seed: u32) -> Result<Uint8ClampedArray, JsError> {
        let s = self.inner.borrow();
        let (src, a) = s.source_at(t)?;
        let p = spectrogram::noised_picture(&src.picture, a, u64::from(seed));
        Ok(Uint8ClampedArray::from(spectrogram::colour(&p).as_slice()))
    }

    /// The noised picture at t turned back into sound (Griffin–Lim, 32
    /// iterations): resolves to a Float32Array of 131,072 samples.
    #[wasm_bindgen(js_name = hearPicture)]
    pub fn hear_picture(&self, t: u32, seed: u32) -> Promise {
        let values = {
            let s = self.inner.borrow();
            s.source.as_ref().map(|src| {
                let a = s.schedule.alpha_bar(t.min(DEFAULT_STEPS));
                spectrogram::noised_picture(&src.picture, a, u64::from(seed))
            })
        };
        let inner = self.inner.clone();
        future_to_promise(async move {
            let values = values.ok_or_else(|| JsValue::from(err("choose a sound first")))?;
            invert(&inner, values, DEFAULT_ITERS).await
        })
    }

    /// Prepares a generation run; throws with a readable message on bad options.
    pub fn start(&self, options: JsValue) -> Result<JsValue, JsError> {
        let o: RunOptions = serde_wasm_bindgen::from_value(options).map_err(err)?;
        let mut s = self.inner.borrow_mut();
        // The scene's own clips: not the soundtracks fetched for tracks.
        let own: Vec<String> = s
            .items
            .iter()
            .filter(|i| s.set.index_of(&i.id).is_some())
            .filter(|i| !i.tags.iter().any(|t| t == FETCHED_TAG))
            .map(|i| i.id.clone())
            .collect();
        let set = if own.len() == s.set.len() {
            s.set.clone()
        } else {
            Rc::new(s.set.subset(&own).expect("loaded"))
        };
        s.runs.start(set, None, &o)
    }

    /// One sampling step: `{done, index, total, t, backend, fellBack, calibration}`.
    pub fn step(&self) -> Promise {
        step_run(self.inner.clone(), f64::INFINITY)
    }

    /// Whether kernels are timed on both paths (the page turns it off when
    /// the address forces a path).
    #[wasm_bindgen(setter)]
    pub fn set_calibrate(&self, on: bool) {
        self.inner.borrow_mut().runs.calibrate = on;
    }

    /// Which path each timed kernel takes and why, as sentences.
    #[wasm_bindgen(getter)]
    pub fn paths(&self) -> Vec<String> {
        let s = self.inner.borrow();
        s.runs
            .calibrations
            .all()
            .iter()
            .map(KernelTiming::sentence)
            .collect()
    }

    /// Destroys the GPU device, as a driver reset would (for tests of recovery).
    /// Returns false on the CPU.
    #[wasm_bindgen(js_name = loseDevice)]
    pub fn lose_device(&self) -> bool {
        let s = self.inner.borrow();
        s.runs
            .gpu
            .as_ref()
            .map(crate::gpu::GpuContext::destroy_device)
            .is_some()
    }

    /// Steps recorded in the current run.
    #[wasm_bindgen(getter)]
    pub fn recorded(&self) -> usize {
        self.with_run(|r| Ok(r.sampler().records().len()))
            .unwrap_or(0)
    }

    /// Settings of the current run, in words.
    #[wasm_bindgen(getter)]
    pub fn settings(&self) -> Option<String> {
        self.with_run(|r| Ok(r.settings().to_string())).ok()
    }

    /// Step k's x̂0 (1-based) as a coloured picture; k = 0 or past the end: the
    /// current x_t (the result once finished).
    #[wasm_bindgen(js_name = stepPicture)]
    pub fn step_picture(&self, k: usize) -> Result<Uint8ClampedArray, JsError> {
        let values = self.with_run(|r| r.values(k))?;
        Ok(Uint8ClampedArray::from(
            spectrogram::colour(&values).as_slice(),
        ))
    }

    /// The recogniser at step k: the `limit` most probable tags, `[{tag, p}]`.
    pub fn recogniser(&self, k: usize, limit: usize) -> Result<JsValue, JsError> {
        self.with_run(|r| r.recogniser(k, limit, Some(&SCENE_TAGS)).map(|b| to_js(&b)))
    }

    /// The clips step k's x̂0 came from, with credits: `[{id, weight, title, credit}]`.
    pub fn provenance(&self, k: usize, limit: usize) -> Result<JsValue, JsError> {
        let s = self.inner.borrow();
        let run = s.runs.slot.get().map_err(err)?;
        Ok(to_js(&run.credits(&s.items, k, limit).map_err(err)?))
    }

    /// Step k's x̂0 (k = 0: the result) turned into sound with `iters`
    /// Griffin–Lim iterations: resolves to a Float32Array.
    pub fn render(&self, k: usize, iters: usize) -> Promise {
        let values = self.with_run(|r| r.values(k));
        let inner = self.inner.clone();
        future_to_promise(async move {
            let values = values.map_err(JsValue::from)?;
            invert(&inner, values, iters.clamp(1, 256)).await
        })
    }

    /// A WAV (16-bit, 22,050 Hz) of `samples`, with INFO naming the run's
    /// settings and the archive clips step k came from.
    pub fn wav(&self, samples: Vec<f32>, k: usize) -> Result<Uint8Array, JsError> {
        let s = self.inner.borrow();
        let run = s.runs.slot.get().map_err(err)?;
        let credits = run.credits(&s.items, k, 12).map_err(err)?;
        let bytes = result_wav(&samples, run.tag(), &run.settings(), &credits);
        Ok(Uint8Array::from(bytes.as_slice()))
    }

    /// Calls `f` with the current run (between steps).
    fn with_run<T>(&self, f: impl FnOnce(&Run) -> Result<T, RunError>) -> Result<T, JsError> {
        let s = self.inner.borrow();
        f(s.runs.slot.get().map_err(err)?).map_err(err)
    }
}

/// Griffin–Lim of a window-sized picture (see [`invert_magnitudes`]).
async fn invert(
    inner: &Rc<RefCell<State>>,
    values: Vec<f32>,
    iters: usize,
) -> Result<JsValue, JsValue> {
    let mags = spectrogram::magnitudes(&values);
    invert_magnitudes(inner, mags, spectrogram::window_frames(), WINDOW, iters).await
}

/// Griffin–Lim from the PGHI phase on the GPU when there is one (falling back
/// to the CPU on a GPU error), then levelling: `length` samples from
/// `frames` × 513 magnitudes.
pub(super) async fn invert_magnitudes(
    inner: &Rc<RefCell<State>>,
    mags: Vec<f32>,
    frames: usize,
    length: usize,
    iters: usize,
) -> Result<JsValue, JsValue> {
    let (plan, time) = {
        let mut s = inner.borrow_mut();
        let measured = s.runs.calibrations.path(GRIFFIN_LIM_KERNEL, EDGE as u32);
        let State { gl_plans, runs, .. } = &mut *s;
        let plan = gl_plans.plan(runs.gpu.as_ref(), measured, length);
        (plan, runs.calibrate && measured.is_none())
    };
    let rendered =
        griffin_lim_paths::render(plan, &mags, frames, length, iters, time, &now_ms).await;
    let mut s = inner.borrow_mut();
    if let Some(timing) = rendered.timing {
        let decided = s.runs.calibrations.record(timing).sentence();
        web_sys::console::info_1(&JsValue::from_str(&format!("Hypothetical: {decided}")));
    }
    if let Some(e) = rendered.gpu_failed {
        web_sys::console::warn_1(&JsValue::from_str(&format!(
            "Hypothetical: Griffin–Lim on the GPU failed ({e}); using the CPU"
        )));
        // The scene stays on the CPU from here on, and says so.
        s.runs.gpu = None;
        s.gl_plans.clear();
        s.runs.detail = format!("CPU (WebAssembly): the GPU failed ({e})");
    }
    Ok(Float32Array::from(rendered.samples.as_slice()).into())
}

/// The limiter as a `WaveShaperNode` curve of `n` points over inputs [−2, 2].
#[wasm_bindgen(js_name = limiterCurve)]
pub fn limiter_curve_js(n: usize) -> Vec<f32> {
    spectrogram::limiter_curve(n)
}
