//! The "Dissolve" scene's API: forward noising of one picture, on the GPU or the CPU.
//!
//! ```js
//! const scene = await Dissolve.create(true);     // true: try WebGPU first
//! scene.setImage(rgbaBytes, width, height);      // throws on bad sizes
//! const rgba = await scene.render(t, "cosine", seed); // Uint8ClampedArray
//! scene.backend;                                 // "gpu" | "cpu"
//! ```
//!
//! `render` calls must not overlap (the page waits for one before the next);
//! an overlapping call is refused with an error rather than queued.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Promise, Uint8ClampedArray};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::{browser_has_webgpu, now_ms, plain_reason, to_js};
use crate::backend::calibration::{KernelTiming, Path};
use crate::backend::Backend;
use crate::forward::noising::NoiseParams;
use crate::forward::schedule::{Schedule, ScheduleKind, DEFAULT_STEPS};
use crate::gpu::GpuError;
use crate::image::dissolve_words::{self, PicturePower};
use crate::image::power_spectrum::{self, RadialSpectrum};
use crate::image::ImageField;

fn parse_schedule(name: &str) -> Result<ScheduleKind, JsError> {
    ScheduleKind::parse(name)
        .ok_or_else(|| JsError::new(&format!("unknown schedule “{name}”: use linear or cosine")))
}

struct Engine {
    /// None while a render is in flight (it owns the backend then).
    backend: Option<Backend>,
    /// A GPU backend re-created after a device loss, swapped in before the next frame.
    recovered: Option<Backend>,
    image: Option<ImageField>,
    /// The image changed while a frame was in flight: upload it before the next frame.
    backend_stale: bool,
    spectrum: Option<RadialSpectrum>,
    power: Option<PicturePower>,
    linear: Schedule,
    cosine: Schedule,
    frame: Vec<u8>,
    /// Why the page is on the CPU, or which adapter it uses.
    detail: String,
}

impl Engine {
    fn schedule(&self, kind: ScheduleKind) -> &Schedule {
        match kind {
            ScheduleKind::Linear => &self.linear,
            ScheduleKind::Cosine => &self.cosine,
        }
    }

    fn describe(backend: &Backend) -> String {
        match backend.gpu_context() {
            Some(ctx) => format!("WebGPU on {}", ctx.adapter_name()),
            None => "CPU (WebAssembly)".to_string(),
        }
    }
}

/// The "Dissolve" scene: forward noising of one picture, on the GPU or the CPU.
#[wasm_bindgen]
pub struct Dissolve {
    inner: Rc<RefCell<Engine>>,
}

async fn gpu_backend() -> Result<Backend, GpuError> {
    if !browser_has_webgpu() {
        return Err(GpuError::NoWebGpu);
    }
    Backend::gpu().await
}

#[wasm_bindgen]
impl Dissolve {
    /// Opens the scene; with `prefer_gpu` it tries WebGPU and falls back to the CPU.
    pub async fn create(prefer_gpu: bool) -> Dissolve {
        let (backend, detail) = if prefer_gpu {
            match gpu_backend().await {
                Ok(b) => {
                    let d = Engine::describe(&b);
                    (b, d)
                }
                Err(e) => (
                    Backend::cpu(),
                    format!("CPU (WebAssembly): {}", plain_reason(&e)),
                ),
            }
        } else {
            (
                Backend::cpu(),
                "CPU (WebAssembly), chosen by the page".to_string(),
            )
        };
        Dissolve {
            inner: Rc::new(RefCell::new(Engine {
                backend: Some(backend),
                recovered: None,
                image: None,
                backend_stale: false,
                spectrum: None,
                power: None,
                linear: Schedule::new(ScheduleKind::Linear, DEFAULT_STEPS),
                cosine: Schedule::new(ScheduleKind::Cosine, DEFAULT_STEPS),
                frame: Vec::new(),
                detail,
            })),
        }
    }

    /// "gpu" or "cpu": the backend that renders the next frame.
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        let e = self.inner.borrow();
        e.recovered
            .as_ref()
            .or(e.backend.as_ref())
            .map_or("busy", |b| b.kind().name())
            .to_string()
    }

    /// A sentence for people: the adapter in use, or why the CPU is used.
    #[wasm_bindgen(getter, js_name = backendDetail)]
    pub fn backend_detail(&self) -> String {
        self.inner.borrow().detail.clone()
    }

    /// The last timestep T.
    #[wasm_bindgen(getter)]
    pub fn steps(&self) -> u32 {
        DEFAULT_STEPS
    }

    /// Takes a new clean image as RGBA bytes (alpha is ignored: composite first).
    /// Computes its spectrum and uploads it to the backend.
    #[wasm_bindgen(js_name = setImage)]
    pub fn set_image(&self, rgba: &[u8], width: u32, height: u32) -> Result<(), JsError> {
        let field = ImageField::from_rgba8(rgba, width, height)
            .map_err(|e| JsError::new(&e.to_string()))?;
        let spectrum = power_spectrum::radial_power_spectrum(&field);
        let mut e = self.inner.borrow_mut();
        // A frame in flight owns the backend: the new image is kept here and
        // uploaded before the next frame (the in-flight one is of the old image).
        e.backend_stale = e.backend.is_none();
        let uploaded = e.backend.as_mut().map(|b| b.set_image(&field));
        if let Some(Err(err)) = uploaded {
            // The GPU failed while uploading: continue on the CPU with this image.
            fall_back_to_cpu(&self.inner, &mut e, &err);
            if let Some(b) = e.backend.as_mut() {
                let _ = b.set_image(&field);
            }
        }
        if let Some(b) = e.recovered.as_mut() {
            let _ = b.set_image(&field);
        }
        e.power = Some(PicturePower::of(&field));
        e.image = Some(field);
        e.spectrum = Some(spectrum);
        Ok(())
    }

    /// Renders x_t for timestep `t` of `schedule` ("linear" | "cosine") with the
    /// noise of `seed`. Resolves to opaque RGBA bytes for `ImageData`.
    pub fn render(&self, t: u32, schedule: &str, seed: u32) -> Promise {
        let inner = self.inner.clone();
        let kind = parse_schedule(schedule);
        future_to_promise(async move {
            let kind = kind.map_err(JsValue::from)?;
            let (mut backend, mut frame, params, upload) = {
                let mut e = inner.borrow_mut();
                if e.image.is_none() {
                    return Err(JsError::new("no image has been chosen yet").into());
                }
                super::checkpoint("a Dissolve frame");
                if let Some(fresh) = e.recovered.take() {
                    e.detail = format!(
                        "{} (re-created after the device was lost)",
                        Engine::describe(&fresh)
                    );
                    e.backend = Some(fresh);
                }
                let Some(mut backend) = e.backend.take() else {
                    return Err(JsError::new("a frame is already rendering").into());
                };
                let mut upload = Ok(());
                if std::mem::take(&mut e.backend_stale) {
                    if let Some(img) = e.image.as_ref() {
                        upload = backend.set_image(img);
                    }
                }
                let params =
                    NoiseParams::from_alpha_bar(u64::from(seed), e.schedule(kind).alpha_bar(t));
                (backend, std::mem::take(&mut e.frame), params, upload)
            };
            let result = match upload {
                Ok(()) => backend.render_rgba(params, &mut frame).await,
                Err(err) => Err(err),
            };
            let mut e = inner.borrow_mut();
            e.backend = Some(backend);
            match result {
                Ok(true) => {}
                Ok(false) => return Err(JsError::new("no image has been chosen yet").into()),
                Err(err) => {
                    fall_back_to_cpu(&inner, &mut e, &err);
                    let b = e.backend.as_mut().expect("just set");
                    // The CPU backend renders synchronously: finish this frame with it.
                    let _ = render_on_cpu(b, params, &mut frame);
                }
            }
            let out = Uint8ClampedArray::from(frame.as_slice());
            e.frame = frame;
            Ok(out.into())
        })
    }

    /// √ᾱ, √(1−ᾱ), ᾱ and SNR in dB at timestep t: `{alphaBar, signal, noise, snrDb}`.
    #[wasm_bindgen(js_name = mixAt)]
    pub fn mix_at(&self, schedule: &str, t: u32) -> Result<JsValue, JsError> {
        let kind = parse_schedule(schedule)?;
        Ok(to_js(&self.inner.borrow().schedule(kind).mix(t)))
    }

    /// The clean image's radially averaged power spectrum: `{freq, power, count}`
    /// (cycles per pixel; power per pixel, channel-averaged). Null before an image.
    pub fn spectrum(&self) -> JsValue {
        self.inner
            .borrow()
            .spectrum
            .as_ref()
            .map_or(JsValue::NULL, to_js)
    }

    /// Where the noise floor meets the image's spectrum at t:
    /// `{kind: "at", freq, period}` | `{kind: "allAboveNoise"}` | `{kind: "allBelowNoise"}`.
    pub fn crossing(&self, schedule: &str, t: u32) -> Result<JsValue, JsError> {
        let kind = parse_schedule(schedule)?;
        let e = self.inner.borrow();
        let Some(s) = e.spectrum.as_ref() else {
            return Ok(JsValue::NULL);
        };
        Ok(to_js(&power_spectrum::crossing(
            s,
            e.schedule(kind).alpha_bar(t),
        )))
    }

    /// Times one frame of the current picture on WebGPU (after one to warm
    /// it up) and on the CPU, and keeps the faster backend from now on.
    /// Resolves to the decision in words; on the CPU, or with no picture or a
    /// frame in flight, to null.
    pub fn calibrate(&self) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let (mut backend, image) = {
                let mut e = inner.borrow_mut();
                let ready = e.image.is_some()
                    && !e.backend_stale
                    && e.backend
                        .as_ref()
                        .is_some_and(|b| b.gpu_context().is_some());
                if !ready {
                    return Ok(JsValue::NULL);
                }
                (
                    e.backend.take().expect("checked"),
                    e.image.clone().expect("checked"),
                )
            };
            let params = NoiseParams::from_alpha_bar(1, 0.5);
            let (w, h) = (image.width(), image.height());
            let mut frame = Vec::new();
            let mut gpu_ms = f64::INFINITY;
            for _ in 0..2 {
                let t0 = now_ms();
                if backend.render_rgba(params, &mut frame).await.is_err() {
                    break;
                }
                gpu_ms = now_ms() - t0;
            }
            let mut cpu = Backend::cpu();
            let _ = cpu.set_image(&image);
            let t0 = now_ms();
            let _ = render_on_cpu(&mut cpu, params, &mut frame);
            let cpu_ms = now_ms() - t0;
            let timing = KernelTiming {
                kernel: "one Dissolve frame".into(),
                size: w.max(h),
                gpu_ms,
                cpu_ms,
                exact_on_cpu: true,
            };
            let mut e = inner.borrow_mut();
            if timing.choice() == Path::Cpu {
                e.detail = format!(
                    "CPU (WebAssembly): measured faster here ({cpu_ms:.1} ms per frame, WebGPU {gpu_ms:.1} ms)"
                );
                e.backend = Some(cpu);
            } else {
                e.backend = Some(backend);
            }
            e.backend_stale = true; // upload the current picture before the next frame
            Ok(JsValue::from_str(&timing.sentence()))
        })
    }

    /// The picture's and the noise's power at t, with the sentence worded from
    /// them: `{picture, noise, snrDb, scheduleSnrDb, sentence}`. Null before an image.
    #[wasm_bindgen(js_name = powerAt)]
    pub fn power_at(&self, schedule: &str, t: u32) -> Result<JsValue, JsError> {
        let kind = parse_schedule(schedule)?;
        let e = self.inner.borrow();
        Ok(e.power.as_ref().map_or(JsValue::NULL, |p| {
            to_js(&dissolve_words::power_readout(
                e.schedule(kind).alpha_bar(t),
                p,
            ))
        }))
    }

    /// The spectrum panel's sentence at t (empty before an image).
    #[wasm_bindgen(js_name = spectrumSentence)]
    pub fn spectrum_sentence(&self, schedule: &str, t: u32) -> Result<String, JsError> {
        let kind = parse_schedule(schedule)?;
        let e = self.inner.borrow();
        let Some(s) = e.spectrum.as_ref() else {
            return Ok(String::new());
        };
        let a = e.schedule(kind).alpha_bar(t);
        Ok(dissolve_words::spectrum_sentence(
            s,
            a,
            &power_spectrum::crossing(s, a),
        ))
    }

    /// Destroys the GPU device, as a driver reset would (for tests of recovery).
    /// Returns false on the CPU backend.
    #[wasm_bindgen(js_name = loseDevice)]
    pub fn lose_device(&self) -> bool {
        let e = self.inner.borrow();
        match e.backend.as_ref().and_then(Backend::gpu_context) {
            Some(ctx) => {
                ctx.destroy_device();
                true
            }
            None => false,
        }
    }
}

/// Renders on a backend that is known to be the CPU (no await needed).
fn render_on_cpu(backend: &mut Backend, params: NoiseParams, out: &mut Vec<u8>) -> bool {
    match backend {
        Backend::Cpu(c) => c.render_rgba(params, out),
        Backend::Gpu(_) => false,
    }
}

/// Moves the engine to the CPU after a GPU failure and starts re-creating the
/// GPU device in the background; the next frame after it is ready uses it.
fn fall_back_to_cpu(inner: &Rc<RefCell<Engine>>, e: &mut Engine, err: &GpuError) {
    let mut cpu = Backend::cpu();
    if let Some(img) = e.image.as_ref() {
        let _ = cpu.set_image(img);
    }
    e.backend = Some(cpu);
    e.backend_stale = false;
    e.detail = format!("CPU (WebAssembly): {err}; re-creating the GPU device…");
    web_sys::console::warn_1(&JsValue::from_str(&format!(
        "Hypothetical: {err}; continuing on the CPU"
    )));
    let weak = Rc::downgrade(inner);
    wasm_bindgen_futures::spawn_local(async move {
        let result = gpu_backend().await;
        let Some(inner) = weak.upgrade() else { return };
        let mut e = inner.borrow_mut();
        match result {
            Ok(mut fresh) => {
                if let Some(img) = e.image.as_ref() {
                    if fresh.set_image(img).is_err() {
                        e.detail = "CPU (WebAssembly): the re-created GPU device failed too".into();
                        return;
                    }
                }
                e.recovered = Some(fresh);
            }
            Err(again) => e.detail = format!("CPU (WebAssembly): {}", plain_reason(&again)),
        }
    });
}
