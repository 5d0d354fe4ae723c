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
//! Sound comes back levelled to −20 dBFS RMS and limited (`sound::level`).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Float32Array, Promise, Uint8Array, Uint8ClampedArray};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::{now_ms, open_gpu, to_js, HoldsRun, TakenRun};
use crate::archive::{Item, Kind, Manifest};
use crate::calibration::{Calibrations, KernelTiming, Path};
use crate::dataset::Dataset;
use crate::denoise::patch::Border;
use crate::denoise::{archive, DenoiserKind};
use crate::generate::{credit_line, describe_settings, provenance, Source};
use crate::gpu::denoisers::GpuDenoiser;
use crate::gpu::griffin_lim::GpuGriffinLim;
use crate::gpu::GpuContext;
use crate::griffin_lim::{DEFAULT_ITERS, MOMENTUM};
use crate::sampler::{Method, Sampler, SamplerConfig};
use crate::schedule::{Schedule, ScheduleKind, DEFAULT_STEPS};
use crate::sound::{self, Fit, SoundDenoiser, EDGE, SAMPLE_RATE, WINDOW};
use crate::stft::{Stft, HOP, N_FFT};

/// The tags the scene offers (each has clips in the archive).
/// The kernels this scene times on both paths (see `calibration`).
const ARCHIVE_KERNEL: &str = "the archive denoiser on spectrograms";
const GRIFFIN_LIM_KERNEL: &str = "one Griffin–Lim iteration on spectrograms";

/// The sound constants the page needs: `{sampleRate, window, hop}` (one definition, in Rust).
#[wasm_bindgen(js_name = soundConstants)]
pub fn sound_constants() -> JsValue {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Constants {
        sample_rate: u32,
        window: usize,
        hop: usize,
    }
    to_js(&Constants {
        sample_rate: SAMPLE_RATE,
        window: WINDOW,
        hop: HOP,
    })
}

pub const SCENE_TAGS: [&str; 6] = ["techno", "chorale", "jazz", "voice", "drums", "static"];

fn err(msg: impl std::fmt::Display) -> JsError {
    JsError::new(&msg.to_string())
}

struct Clip {
    label: String,
    window: Vec<f32>,
    rms: f32,
    picture: Vec<f32>,
    /// Power spectrum of the standardised window.
    power: Vec<f32>,
}

struct Run {
    sampler: Sampler,
    denoiser: SoundDenoiser,
    gpu: Option<GpuDenoiser>,
    /// Time the archive kernel on both paths at the second step.
    calibrate: bool,
    tag: Option<String>,
    settings: String,
}

struct State {
    items: Vec<Item>,
    /// Shared so that a step can hold it across an await without a copy.
    set: Rc<Dataset>,
    clips: Vec<(String, Vec<f32>)>,
    gpu: Option<GpuContext>,
    detail: String,
    stft: Stft,
    schedule: Schedule,
    source: Option<Clip>,
    run: Option<Run>,
    busy: bool,
    /// Griffin–Lim planned once on the GPU for the scene's window (made on first use).
    gl_plan: Option<Rc<GpuGriffinLim>>,
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
    inner: Rc<RefCell<State>>,
}

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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StepInfo {
    done: bool,
    index: usize,
    total: usize,
    t: u32,
    backend: &'static str,
    fell_back: Option<String>,
    /// Set on the step that timed the kernel on both paths: the decision, in words.
    calibration: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Credit {
    id: String,
    weight: f32,
    title: String,
    credit: String,
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
        let (gpu, detail) = open_gpu(prefer_gpu).await;
        Ok(SoundScene {
            inner: Rc::new(RefCell::new(State {
                items,
                set: Rc::new(Dataset::single_channel(EDGE as u32)),
                clips: Vec::new(),
                gpu,
                detail,
                stft: Stft::standard(),
                schedule: Schedule::new(ScheduleKind::Cosine, DEFAULT_STEPS),
                source: None,
                run: None,
                busy: false,
                gl_plan: None,
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
        let (window, _) = sound::fit_window(&samples, 0);
        let picture = sound::picture(&mut s.stft, &window);
        Rc::make_mut(&mut s.set)
            .push_values(id, &tags, &picture)
            .map_err(err)?;
        s.clips.push((id.to_string(), window));
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
        struct TagCount {
            tag: &'static str,
            count: usize,
        }
        let s = self.inner.borrow();
        let v: Vec<TagCount> = SCENE_TAGS
            .iter()
            .map(|&tag| TagCount {
                tag,
                count: s.set.tag_mask(tag).iter().filter(|&&b| b).count(),
            })
            .collect();
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
        let (window, Fit { start, padded }) = sound::fit_window(&samples, start);
        let rms = sound::rms(&window);
        let picture = sound::picture(&mut s.stft, &window);
        let power = sound::power_spectrum(&mut s.stft, &sound::standardise(&window));
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
            level: sound::TARGET_RMS,
        }))
    }

    /// Seeded N(0, 1) noise, one window long, for the page's noise buffer.
    pub fn noise(&self, seed: u32) -> Float32Array {
        Float32Array::from(sound::noise(u64::from(seed), WINDOW).as_slice())
    }

    /// Power spectra of the music and the noise at t, and the sentence.
    pub fn spectrum(&self, t: u32) -> Result<JsValue, JsError> {
        let s = self.inner.borrow();
        let (src, a) = s.source_at(t)?;
        let n = sound::noise_power(&s.stft);
        let d = sound::drowned(&src.power, n, a);
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
        let p = sound::noised_picture(&src.picture, a, u64::from(seed));
        Ok(Uint8ClampedArray::from(sound::colour(&p).as_slice()))
    }

    /// The noised picture at t turned back into sound (Griffin–Lim, 32
    /// iterations): resolves to a Float32Array of 131,072 samples.
    #[wasm_bindgen(js_name = hearPicture)]
    pub fn hear_picture(&self, t: u32, seed: u32) -> Promise {
        let values = {
            let s = self.inner.borrow();
            s.source.as_ref().map(|src| {
                let a = s.schedule.alpha_bar(t.min(DEFAULT_STEPS));
                sound::noised_picture(&src.picture, a, u64::from(seed))
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
        if self.inner.borrow().busy {
            return Err(err("a step is still running; wait for it"));
        }
        let o: StartOptions = serde_wasm_bindgen::from_value(options).map_err(err)?;
        let method = Method::parse(&o.method)
            .ok_or_else(|| err(format!("unknown method “{}”", o.method)))?;
        let kind = DenoiserKind::parse(&o.denoiser)
            .filter(|&k| k != DenoiserKind::Patch)
            .ok_or_else(|| {
                err(format!(
                    "unknown denoiser “{}”: use archive or gaussian",
                    o.denoiser
                ))
            })?;
        let tag = o.tag.filter(|t| !t.is_empty());
        let mut s = self.inner.borrow_mut();
        if s.set.is_empty() {
            return Err(err("no archive clips have been loaded yet"));
        }
        let cfg = SamplerConfig {
            edge: EDGE as u32,
            method,
            steps: o.steps,
            seed: u64::from(o.seed),
            schedule: ScheduleKind::Cosine,
            guidance: o.guidance,
            temperature: o.temperature,
        };
        let sampler = Sampler::with_channels(cfg.clone(), 1).map_err(err)?;
        let denoiser = SoundDenoiser::new(&s.set, kind, tag.as_deref()).ok_or_else(|| {
            err(format!(
                "no archive clip carries the tag “{}”",
                tag.clone().unwrap_or_default()
            ))
        })?;
        let mask = tag.as_deref().map(|t| s.set.tag_mask(t));
        // The archive kernel answers on the GPU (for the Gaussian it supplies
        // the recogniser; the row filter itself runs on the CPU).
        let gpu = s
            .gpu
            .clone()
            .filter(|_| s.calibrations.path(ARCHIVE_KERNEL, EDGE as u32) != Some(Path::Cpu))
            .map(|ctx| GpuDenoiser::new(ctx, &s.set, DenoiserKind::Archive, mask.as_deref(), None));
        let calibrate = gpu.is_some()
            && s.calibrate
            && s.calibrations.get(ARCHIVE_KERNEL, EDGE as u32).is_none();
        let backend = if gpu.is_some() { "gpu" } else { "cpu" };
        let settings = format!(
            "{}; spectrogram pictures: n_fft {N_FFT}, hop {HOP}, {}…{} dB",
            describe_settings(kind, tag.as_deref(), &cfg, Border::default(), backend),
            sound::FLOOR_DB,
            sound::TOP_DB,
        );
        let steps = sampler.total_steps();
        s.run = Some(Run {
            sampler,
            denoiser,
            gpu,
            calibrate,
            tag,
            settings: settings.clone(),
        });
        #[derive(Serialize)]
        struct StartInfo {
            steps: usize,
            backend: &'static str,
            settings: String,
        }
        Ok(to_js(&StartInfo {
            steps,
            backend,
            settings,
        }))
    }

    /// One sampling step: `{done, index, total, t, backend, fellBack}`.
    pub fn step(&self) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let mut taken = TakenRun::take(&inner)?;
            let run = &mut *taken;
            let set = inner.borrow().set.clone();
            let mut used = "cpu";
            let mut fell_back = None;
            let mut timing = None;
            if !run.sampler.is_done() {
                let (x_t, a) = (run.sampler.x_t().to_vec(), run.sampler.alpha_bar());
                let mut answer = None;
                if let Some(gpu) = run.gpu.as_mut() {
                    let t0 = now_ms();
                    match gpu.denoise(&x_t, a, None).await {
                        Ok(mut d) => {
                            let gpu_ms = now_ms() - t0;
                            if run.calibrate && run.sampler.steps_done() == 1 {
                                // The GPU computes the archive posterior (and, for the
                                // archive denoiser, x̂0); time the same on the CPU.
                                let mask = match &run.denoiser {
                                    SoundDenoiser::Archive { mask } => mask.clone(),
                                    SoundDenoiser::Rows { .. } => None,
                                };
                                let (mut reps, t1) = (0u32, now_ms());
                                while reps < 20 && (reps == 0 || now_ms() - t1 < 5.0) {
                                    std::hint::black_box(archive::denoise(
                                        &set,
                                        &x_t,
                                        a,
                                        mask.as_deref(),
                                    ));
                                    reps += 1;
                                }
                                timing = Some(KernelTiming {
                                    kernel: ARCHIVE_KERNEL.into(),
                                    size: EDGE as u32,
                                    gpu_ms,
                                    cpu_ms: (now_ms() - t1) / f64::from(reps),
                                    exact_on_cpu: true,
                                });
                            }
                            used = "gpu";
                            if let SoundDenoiser::Rows { all, tag, .. } = &run.denoiser {
                                d.x0_all = all.denoise(&x_t, a);
                                d.x0_tag = tag.as_ref().map(|g| g.denoise(&x_t, a));
                                d.posterior_tag = None;
                            }
                            answer = Some(d);
                        }
                        Err(e) => {
                            fell_back = Some(format!("{e}; this run continues on the CPU"));
                            run.gpu = None;
                        }
                    }
                }
                let d = answer.unwrap_or_else(|| run.denoiser.denoise(&set, &x_t, a));
                let kind = run.denoiser.kind();
                run.sampler.advance(&d, kind, None).map_err(err)?;
            }
            let calibration = timing.map(|t| {
                run.calibrate = false;
                let decided = inner.borrow_mut().calibrations.record(t).clone();
                if decided.choice() == Path::Cpu {
                    run.gpu = None;
                }
                decided.sentence()
            });
            let info = StepInfo {
                done: run.sampler.is_done(),
                index: run.sampler.steps_done(),
                total: run.sampler.total_steps(),
                t: run.sampler.records().last().map_or(0, |r| r.t),
                backend: used,
                fell_back,
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

    /// Which path each timed kernel takes and why, as sentences.
    #[wasm_bindgen(getter)]
    pub fn paths(&self) -> Vec<String> {
        let s = self.inner.borrow();
        [ARCHIVE_KERNEL, GRIFFIN_LIM_KERNEL]
            .iter()
            .filter_map(|k| {
                s.calibrations
                    .get(k, EDGE as u32)
                    .map(KernelTiming::sentence)
            })
            .collect()
    }

    /// Destroys the GPU device, as a driver reset would (for tests of recovery).
    /// Returns false on the CPU.
    #[wasm_bindgen(js_name = loseDevice)]
    pub fn lose_device(&self) -> bool {
        let s = self.inner.borrow();
        s.gpu
            .as_ref()
            .map(crate::gpu::GpuContext::destroy_device)
            .is_some()
    }

    /// Steps recorded in the current run.
    #[wasm_bindgen(getter)]
    pub fn recorded(&self) -> usize {
        self.inner
            .borrow()
            .run
            .as_ref()
            .map_or(0, |r| r.sampler.records().len())
    }

    /// Settings of the current run, in words.
    #[wasm_bindgen(getter)]
    pub fn settings(&self) -> Option<String> {
        self.inner.borrow().run.as_ref().map(|r| r.settings.clone())
    }

    /// Step k's x̂0 (1-based) as a coloured picture; k = 0 or past the end: the
    /// current x_t (the result once finished).
    #[wasm_bindgen(js_name = stepPicture)]
    pub fn step_picture(&self, k: usize) -> Result<Uint8ClampedArray, JsError> {
        let values = self.step_values(k)?;
        Ok(Uint8ClampedArray::from(sound::colour(&values).as_slice()))
    }

    fn step_values(&self, k: usize) -> Result<Vec<f32>, JsError> {
        let s = self.inner.borrow();
        let run = s.run.as_ref().ok_or_else(|| err("no run yet"))?;
        let records = run.sampler.records();
        if k == 0 || k > records.len() {
            return Ok(run
                .sampler
                .x_t()
                .iter()
                .map(|v| v.clamp(-1.0, 1.0))
                .collect());
        }
        records[k - 1]
            .x0_values()
            .map(<[f32]>::to_vec)
            .ok_or_else(|| err("this step kept no picture"))
    }

    /// The recogniser at step k: the `limit` most probable tags, `[{tag, p}]`.
    pub fn recogniser(&self, k: usize, limit: usize) -> Result<JsValue, JsError> {
        let s = self.inner.borrow();
        let run = s.run.as_ref().ok_or_else(|| err("no run yet"))?;
        let r = run
            .sampler
            .records()
            .get(k.wrapping_sub(1))
            .ok_or_else(|| err("no such step"))?;
        Ok(to_js(&archive::recogniser_bars(
            &s.set,
            &r.posterior,
            limit,
            Some(&SCENE_TAGS),
        )))
    }

    /// The clips step k's x̂0 came from, with credits: `[{id, weight, title, credit}]`.
    pub fn provenance(&self, k: usize, limit: usize) -> Result<JsValue, JsError> {
        Ok(to_js(&self.credits(k, limit)?))
    }

    fn credits(&self, k: usize, limit: usize) -> Result<Vec<Credit>, JsError> {
        let s = self.inner.borrow();
        let run = s.run.as_ref().ok_or_else(|| err("no run yet"))?;
        let records = run.sampler.records();
        let r = records
            .get(k.clamp(1, records.len().max(1)) - 1)
            .ok_or_else(|| err("no step has been computed"))?;
        let (kind, mask) = (run.denoiser.kind(), run.denoiser.mask());
        let sources: Vec<Source> =
            provenance(&s.set, kind, mask, run.sampler.config().guidance, r, limit);
        Ok(sources
            .into_iter()
            .map(|src| {
                let item = s.items.iter().find(|i| i.id == src.id);
                Credit {
                    title: item.map_or_else(|| src.id.clone(), |i| i.title.clone()),
                    credit: item.map(credit_line).unwrap_or_default(),
                    id: src.id,
                    weight: src.weight,
                }
            })
            .collect())
    }

    /// Step k's x̂0 (k = 0: the result) turned into sound with `iters`
    /// Griffin–Lim iterations: resolves to a Float32Array.
    pub fn render(&self, k: usize, iters: usize) -> Promise {
        let values = self.step_values(k);
        let inner = self.inner.clone();
        future_to_promise(async move {
            let values = values.map_err(JsValue::from)?;
            invert(&inner, values, iters.clamp(1, 256)).await
        })
    }

    /// A WAV (16-bit, 22,050 Hz) of `samples`, with INFO naming the run's
    /// settings and the archive clips step k came from.
    pub fn wav(&self, samples: Vec<f32>, k: usize) -> Result<Uint8Array, JsError> {
        let credits = self.credits(k, 12)?;
        let settings = self.settings().unwrap_or_default();
        let tag = self.inner.borrow().run.as_ref().and_then(|r| r.tag.clone());
        let title = match tag {
            Some(t) => format!("A hypothetical {t} clip"),
            None => "A hypothetical clip".to_string(),
        };
        let from: Vec<String> = credits
            .iter()
            .map(|c| format!("{} ({:.3}): {}", c.id, c.weight, c.credit))
            .collect();
        let comment = format!("{settings}. Made from: {}", from.join(" | "));
        let bytes = crate::wav::write_wav(
            &samples,
            SAMPLE_RATE,
            &[
                ("INAM", title.as_str()),
                (
                    "ISFT",
                    "Hypothetical (reverse diffusion on spectrograms, fast Griffin-Lim)",
                ),
                ("ICMT", comment.as_str()),
            ],
        );
        Ok(Uint8Array::from(bytes.as_slice()))
    }
}

/// Griffin–Lim on the GPU when there is one (falling back to the CPU on a
/// GPU error), then levelling.
async fn invert(
    inner: &Rc<RefCell<State>>,
    values: Vec<f32>,
    iters: usize,
) -> Result<JsValue, JsValue> {
    let (plan, calibrate, measured) = {
        let mut s = inner.borrow_mut();
        let measured = s.calibrations.path(GRIFFIN_LIM_KERNEL, EDGE as u32);
        let plan = match (&s.gl_plan, &s.gpu) {
            _ if measured == Some(Path::Cpu) => None,
            (Some(plan), _) => Some(plan.clone()),
            (None, Some(ctx)) => Some(Rc::new(GpuGriffinLim::new(ctx, N_FFT, HOP, WINDOW))),
            (None, None) => None,
        };
        s.gl_plan.clone_from(&plan);
        (plan, s.calibrate, measured)
    };
    let mags = sound::magnitudes(&values);
    let mut out = None;
    if let Some(plan) = plan {
        let t0 = now_ms();
        match plan.run(&mags, iters, MOMENTUM).await {
            Ok(x) => {
                if calibrate && measured.is_none() {
                    // Per iteration on both paths: two CPU iterations, scaled.
                    let gpu_ms = (now_ms() - t0) / iters as f64;
                    let t1 = now_ms();
                    {
                        let mut s = inner.borrow_mut();
                        std::hint::black_box(crate::griffin_lim::griffin_lim(
                            &mut s.stft,
                            &mags,
                            sound::window_frames(),
                            WINDOW,
                            2,
                            MOMENTUM,
                            None,
                        ));
                    }
                    let cpu_ms = (now_ms() - t1) / 2.0;
                    let decided = inner
                        .borrow_mut()
                        .calibrations
                        .record(KernelTiming {
                            kernel: GRIFFIN_LIM_KERNEL.into(),
                            size: EDGE as u32,
                            gpu_ms,
                            cpu_ms,
                            exact_on_cpu: true,
                        })
                        .sentence();
                    web_sys::console::info_1(&JsValue::from_str(&format!(
                        "Hypothetical: {decided}"
                    )));
                }
                out = Some(x)
            }
            Err(e) => {
                web_sys::console::warn_1(&JsValue::from_str(&format!(
                    "Hypothetical: Griffin–Lim on the GPU failed ({e}); using the CPU"
                )));
                // The scene stays on the CPU from here on, and says so.
                let mut s = inner.borrow_mut();
                s.gpu = None;
                s.gl_plan = None;
                s.detail = format!("CPU (WebAssembly): the GPU failed ({e})");
            }
        }
    }
    let mut x = match out {
        Some(x) => x,
        None => {
            let mut s = inner.borrow_mut();
            crate::griffin_lim::griffin_lim(
                &mut s.stft,
                &mags,
                sound::window_frames(),
                WINDOW,
                iters,
                MOMENTUM,
                None,
            )
        }
    };
    sound::level(&mut x);
    Ok(Float32Array::from(x.as_slice()).into())
}

/// The limiter as a `WaveShaperNode` curve of `n` points over inputs [−2, 2].
#[wasm_bindgen(js_name = limiterCurve)]
pub fn limiter_curve_js(n: usize) -> Vec<f32> {
    sound::limiter_curve(n)
}
