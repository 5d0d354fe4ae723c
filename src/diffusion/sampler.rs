//! Reverse sampling: from pure noise x_T to an image x_0 by repeatedly asking a
//! denoiser for x̂0 = E[x_0 | x_t].
//!
//! The sampler is a plain state machine: [`Sampler::x_t`] and
//! [`Sampler::alpha_bar`] say what to denoise, the caller runs a denoiser on
//! either backend, and [`Sampler::advance`] takes the result. So one sampler
//! serves the CPU, the GPU (whose calls are async) and the tests.
//!
//! Timesteps: K sampling steps visit t_k = round(k·T/K), k = K … 1, on the
//! project's T = 1000 schedule (the "trailing" spacing, which starts from t = T
//! exactly; Lin et al. 2024), and a last update lands on t = 0.
//!
//! Each update from t to s < t, with ε̂ = (x_t − √ᾱ_t·x̂0)/√(1 − ᾱ_t):
//! - DDIM, η = 0 (Song, Meng & Ermon 2021): x_s = √ᾱ_s·x̂0 + √(1 − ᾱ_s)·ε̂.
//! - DDPM ancestral (Ho et al. 2020; for strided steps DDIM's η = 1):
//!   σ² = (1 − ᾱ_s)/(1 − ᾱ_t)·(1 − ᾱ_t/ᾱ_s),
//!   x_s = √ᾱ_s·x̂0 + √(1 − ᾱ_s − σ²)·ε̂ + τ·σ·z, z ~ N(0, I), τ the temperature.
//!
//! Guidance (classifier-free form, Ho & Salimans 2022):
//! x̂0 = x̂0_all + w·(x̂0_tag − x̂0_all); w = 0 ignores the tag, w = 1 is the tag's
//! own estimate, w > 1 pushes further away from the rest of the archive. The
//! guided x̂0 is clipped to [−1, 1], the range of the data (DDPM's
//! `clip_denoised`), before ε̂ and x_s are formed from it.

use serde::Serialize;
use thiserror::Error;

use crate::denoise::{Denoised, DenoiserKind};
use crate::forward::schedule::{Schedule, ScheduleKind, DEFAULT_STEPS};
use crate::image::{
    upscale_bilinear, upscale_nearest, upscale_nearest_values, write_rgba8, CHANNELS,
};
use crate::rng::fill_gaussian_planar;

/// Random stream of the starting noise x_T.
pub const STREAM_SAMPLER_START: u32 = 1;
/// Random stream of the fresh noise when a cascade enlarges the picture.
pub const STREAM_SAMPLER_CASCADE: u32 = 15;
/// Random streams of the noise injected by DDPM steps: step k uses this + k.
pub const STREAM_SAMPLER_STEP: u32 = 16;

pub const MIN_STEPS: u32 = 10;
pub const MAX_STEPS: u32 = DEFAULT_STEPS;
pub const MAX_GUIDANCE: f32 = 10.0;
pub const MAX_TEMPERATURE: f32 = 2.0;

/// The limits every page builds its controls from (one definition, here).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    pub min_steps: u32,
    pub max_steps: u32,
    pub max_guidance: f32,
    pub max_temperature: f32,
    pub max_seed: u32,
}

impl Limits {
    pub const SAMPLER: Limits = Limits {
        min_steps: MIN_STEPS,
        max_steps: MAX_STEPS,
        max_guidance: MAX_GUIDANCE,
        max_temperature: MAX_TEMPERATURE,
        max_seed: u32::MAX,
    };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Deterministic DDIM, η = 0.
    Ddim,
    /// Stochastic DDPM ancestral sampling.
    Ddpm,
}

impl Method {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "ddim" => Some(Self::Ddim),
            "ddpm" => Some(Self::Ddpm),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Ddim => "ddim",
            Self::Ddpm => "ddpm",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct SamplerConfig {
    pub edge: u32,
    pub method: Method,
    pub steps: u32,
    pub seed: u64,
    pub schedule: ScheduleKind,
    /// Guidance strength w ≥ 0 (used only with a tag).
    pub guidance: f32,
    /// Scales the noise of stochastic steps (1 = the model's own variance).
    pub temperature: f32,
}

impl Default for SamplerConfig {
    fn default() -> Self {
        Self {
            edge: 32,
            method: Method::Ddim,
            steps: 20,
            seed: 7,
            schedule: ScheduleKind::Cosine,
            guidance: 1.0,
            temperature: 1.0,
        }
    }
}

#[derive(Debug, Error, PartialEq)]
pub enum SamplerError {
    #[error("steps must be between {MIN_STEPS} and {MAX_STEPS}, not {0}")]
    Steps(u32),
    #[error("guidance must be between 0 and {MAX_GUIDANCE}, not {0}")]
    Guidance(f32),
    #[error("temperature must be between 0 and {MAX_TEMPERATURE}, not {0}")]
    Temperature(f32),
    #[error("the denoiser returned {got} values; the sampler needs {want}")]
    Shape { got: usize, want: usize },
    #[error("sampling has already finished")]
    Finished,
}

/// What a step recorded of the picture: what the visitor scrubs back to.
#[derive(Clone, Debug)]
pub enum StepPicture {
    /// RGB pictures: x_t (before the step) and the guided x̂0 as opaque RGBA8.
    Rgb { x_t: Vec<u8>, x0: Vec<u8> },
    /// One-channel pictures (spectrograms): the guided x̂0 as values, which
    /// the sound scene turns back into sound.
    Values { x0: Vec<f32> },
}

/// What the visitor can scrub back to: one entry per sampling step.
#[derive(Clone, Debug)]
pub struct StepRecord {
    pub t: u32,
    pub alpha_bar: f64,
    /// The patch size used, for the patch denoiser.
    pub patch: Option<u32>,
    pub picture: StepPicture,
    /// The archive posterior p(item | x_t): the recogniser.
    pub posterior: Vec<f32>,
    /// The archive denoiser's effective coefficient of each item in x̂0:
    /// (1 − w)·p(i | x_t) + w·p(i | x_t, tag). Empty for the other denoisers.
    pub coefficients: Vec<f32>,
    /// Patch denoiser: for each pixel, the item with the largest (guided) share
    /// and that share.
    pub source: Option<(Vec<u16>, Vec<f32>)>,
}

impl StepRecord {
    /// x_t and x̂0 as RGBA8 (RGB pictures only).
    pub fn rgba(&self) -> Option<(&[u8], &[u8])> {
        match &self.picture {
            StepPicture::Rgb { x_t, x0 } => Some((x_t, x0)),
            StepPicture::Values { .. } => None,
        }
    }

    /// The guided x̂0 as values (one-channel pictures only).
    pub fn x0_values(&self) -> Option<&[f32]> {
        match &self.picture {
            StepPicture::Values { x0 } => Some(x0),
            StepPicture::Rgb { .. } => None,
        }
    }
}

pub struct Sampler {
    cfg: SamplerConfig,
    /// 3 for RGB pictures, 1 for spectrograms.
    channels: usize,
    schedule: Schedule,
    /// t_K … t_1, descending.
    times: Vec<u32>,
    done: usize,
    x: Vec<f32>,
    x0: Option<Vec<f32>>,
    records: Vec<StepRecord>,
}

impl Sampler {
    pub fn new(cfg: SamplerConfig) -> Result<Self, SamplerError> {
        Self::with_channels(cfg, CHANNELS)
    }

    /// A sampler for pictures of `channels` planes (1: a spectrogram picture).
    pub fn with_channels(cfg: SamplerConfig, channels: usize) -> Result<Self, SamplerError> {
        let pixels = cfg.edge as usize * cfg.edge as usize;
        Self::with_pixels(cfg, channels, pixels)
    }

    /// A sampler for pictures of any shape: `pixels` values per channel (a
    /// track's spectrogram is 512 rows by as many frames as its length needs;
    /// `cfg.edge` is then unused).
    pub fn with_pixels(
        cfg: SamplerConfig,
        channels: usize,
        pixels: usize,
    ) -> Result<Self, SamplerError> {
        assert!(channels == 1 || channels == CHANNELS, "1 or 3 channels");
        if !(MIN_STEPS..=MAX_STEPS).contains(&cfg.steps) {
            return Err(SamplerError::Steps(cfg.steps));
        }
        if !(0.0..=MAX_GUIDANCE).contains(&cfg.guidance) {
            return Err(SamplerError::Guidance(cfg.guidance));
        }
        if !(0.0..=MAX_TEMPERATURE).contains(&cfg.temperature) {
            return Err(SamplerError::Temperature(cfg.temperature));
        }
        let schedule = Schedule::new(cfg.schedule, DEFAULT_STEPS);
        let t_max = schedule.steps();
        let k = cfg.steps;
        let times = (1..=k)
            .rev()
            .map(|i| {
                ((f64::from(i) * f64::from(t_max) / f64::from(k)).round() as u32).clamp(1, t_max)
            })
            .collect();
        let mut x = vec![0.0f32; channels * pixels];
        fill_gaussian_planar(cfg.seed, STREAM_SAMPLER_START, pixels, channels, &mut x);
        Ok(Self {
            cfg,
            channels,
            schedule,
            times,
            done: 0,
            x,
            x0: None,
            records: Vec::new(),
        })
    }

    pub fn config(&self) -> &SamplerConfig {
        &self.cfg
    }

    /// The timesteps visited, t_K … t_1.
    pub fn times(&self) -> &[u32] {
        &self.times
    }

    pub fn total_steps(&self) -> usize {
        self.times.len()
    }

    pub fn steps_done(&self) -> usize {
        self.done
    }

    pub fn is_done(&self) -> bool {
        self.done == self.times.len()
    }

    /// The timestep to denoise next (None when finished).
    pub fn t(&self) -> Option<u32> {
        self.times.get(self.done).copied()
    }

    /// ᾱ at the timestep to denoise next.
    pub fn alpha_bar(&self) -> f64 {
        self.t().map_or(1.0, |t| self.schedule.alpha_bar(t))
    }

    /// The schedule's last timestep T.
    pub fn t_max(&self) -> u32 {
        self.schedule.steps()
    }

    /// The current x_t (planar, one or three channels); after the last step, x_0.
    pub fn x_t(&self) -> &[f32] {
        &self.x
    }

    /// The result x_0, once finished.
    pub fn result(&self) -> Option<&[f32]> {
        self.is_done().then_some(self.x.as_slice())
    }

    /// The guided, clipped x̂0 of the last step.
    pub fn last_x0(&self) -> Option<&[f32]> {
        self.x0.as_deref()
    }

    pub fn records(&self) -> &[StepRecord] {
        &self.records
    }

    /// Moves the last step's x̂0 values out of its record (one-channel
    /// pictures), for a caller that keeps them in a smaller form.
    pub fn take_last_values(&mut self) -> Option<Vec<f32>> {
        match self.records.last_mut().map(|r| &mut r.picture) {
            Some(StepPicture::Values { x0 }) => Some(std::mem::take(x0)),
            _ => None,
        }
    }

    /// Takes the denoiser's answer at the current t and moves x to the next timestep.
    pub fn advance(
        &mut self,
        denoised: &Denoised,
        kind: DenoiserKind,
        patch: Option<u32>,
    ) -> Result<(), SamplerError> {
        let t = self.t().ok_or(SamplerError::Finished)?;
        let x0 = self.guided(denoised)?;
        let a_t = self.schedule.alpha_bar(t);
        let s = self.times.get(self.done + 1).copied().unwrap_or(0);
        let a_s = self.schedule.alpha_bar(s);
        let record = StepRecord {
            t,
            alpha_bar: a_t,
            patch,
            picture: self.picture(&x0),
            posterior: denoised.posterior.clone(),
            coefficients: self.coefficients(denoised, kind),
            source: self.source_map(denoised),
        };
        self.records.push(record);
        self.update(&x0, a_t, a_s);
        self.x0 = Some(x0);
        self.done += 1;
        Ok(())
    }

    /// Continues the run at an edge k times larger (a cascade's next stage):
    /// x_t = √ᾱ_t·up(x̂0) + √(1 − ᾱ_t)·ε at the timestep to denoise next, where
    /// x̂0 is the last step's guided estimate enlarged bilinearly and ε comes
    /// from its own Philox stream (SDEdit's re-noising, Meng et al. 2022).
    /// The steps recorded so far are enlarged (nearest neighbour) so that every
    /// step shows at the new size. Needs at least one step done.
    pub fn enlarge(&mut self, k: u32) -> Result<(), SamplerError> {
        let x0 = self.x0.as_ref().ok_or(SamplerError::Finished)?;
        let edge = self.cfg.edge;
        let big = edge * k;
        let pixels = big as usize * big as usize;
        let up = upscale_bilinear(x0, edge, k, self.channels);
        let mut eps = vec![0.0f32; up.len()];
        fill_gaussian_planar(
            self.cfg.seed,
            STREAM_SAMPLER_CASCADE,
            pixels,
            self.channels,
            &mut eps,
        );
        let a = self.alpha_bar();
        let (sa, sn) = (a.sqrt() as f32, (1.0 - a).max(0.0).sqrt() as f32);
        self.x = up
            .iter()
            .zip(&eps)
            .map(|(&u, &e)| sa * u + sn * e)
            .collect();
        self.x0 = Some(up);
        for r in &mut self.records {
            if let StepPicture::Rgb { x_t, x0 } = &mut r.picture {
                *x_t = upscale_nearest(x_t, edge, k);
                *x0 = upscale_nearest(x0, edge, k);
            }
            if let Some((items, shares)) = &mut r.source {
                *items = upscale_nearest_values(items, edge, k);
                *shares = upscale_nearest_values(shares, edge, k);
            }
        }
        self.cfg.edge = big;
        Ok(())
    }

    /// x̂0 = x̂0_all + w·(x̂0_tag − x̂0_all), clipped to [−1, 1].
    fn guided(&self, denoised: &Denoised) -> Result<Vec<f32>, SamplerError> {
        let want = self.x.len();
        let check = |v: &[f32]| {
            if v.len() == want {
                Ok(())
            } else {
                Err(SamplerError::Shape { got: v.len(), want })
            }
        };
        check(&denoised.x0_all)?;
        let w = self.cfg.guidance;
        let mut x0 = denoised.x0_all.clone();
        if let Some(tag) = denoised.x0_tag.as_deref() {
            check(tag)?;
            for (g, &c) in x0.iter_mut().zip(tag) {
                *g += w * (c - *g);
            }
        }
        for v in x0.iter_mut() {
            *v = v.clamp(-1.0, 1.0);
        }
        Ok(x0)
    }

    /// The archive denoiser's coefficient of each item in the guided x̂0.
    fn coefficients(&self, denoised: &Denoised, kind: DenoiserKind) -> Vec<f32> {
        let w = self.cfg.guidance;
        match (kind, denoised.posterior_tag.as_deref()) {
            (DenoiserKind::Archive, Some(tagged)) => denoised
                .posterior
                .iter()
                .zip(tagged)
                .map(|(&a, &b)| (1.0 - w) * a + w * b)
                .collect(),
            (DenoiserKind::Archive, None) => denoised.posterior.clone(),
            _ => Vec::new(),
        }
    }

    /// Patch denoiser: per pixel, the item with the largest guided share.
    fn source_map(&self, denoised: &Denoised) -> Option<(Vec<u16>, Vec<f32>)> {
        let w = self.cfg.guidance;
        let pixels = self.x.len() / self.channels;
        denoised.pixel_shares.as_ref().map(|sh| {
            let n = sh.items;
            let mut item = vec![0u16; pixels];
            let mut share = vec![0.0f32; pixels];
            for p in 0..pixels {
                let all = &sh.all[p * n..(p + 1) * n];
                let tag = sh.tag.as_ref().map(|v| &v[p * n..(p + 1) * n]);
                let mut best = (0usize, f32::NEG_INFINITY);
                for i in 0..n {
                    let v = match tag {
                        Some(tg) => (1.0 - w) * all[i] + w * tg[i],
                        None => all[i],
                    };
                    if v > best.1 {
                        best = (i, v);
                    }
                }
                item[p] = best.0 as u16;
                share[p] = best.1.clamp(0.0, 1.0);
            }
            (item, share)
        })
    }

    /// What the step records of the picture: RGBA8 for RGB, values otherwise.
    fn picture(&self, x0: &[f32]) -> StepPicture {
        let pixels = self.x.len() / self.channels;
        if self.channels == CHANNELS {
            let mut x_t = vec![0; pixels * 4];
            let mut rgba = vec![0; pixels * 4];
            write_rgba8(&self.x, pixels, &mut x_t);
            write_rgba8(x0, pixels, &mut rgba);
            StepPicture::Rgb { x_t, x0: rgba }
        } else {
            StepPicture::Values { x0: x0.to_vec() }
        }
    }

    /// The DDIM or DDPM update from t to s, with ε̂ from the clipped x̂0.
    fn update(&mut self, x0: &[f32], a_t: f64, a_s: f64) {
        let (sa_t, sn_t) = (a_t.sqrt() as f32, (1.0 - a_t).sqrt() as f32);
        let sa_s = a_s.sqrt() as f32;
        let sigma2 = match self.cfg.method {
            Method::Ddim => 0.0,
            Method::Ddpm => ((1.0 - a_s) / (1.0 - a_t) * (1.0 - a_t / a_s)).max(0.0),
        };
        let dir = ((1.0 - a_s - sigma2).max(0.0)).sqrt() as f32;
        let sigma = (sigma2.sqrt() as f32) * self.cfg.temperature;
        let mut z = Vec::new();
        if sigma > 0.0 {
            z = vec![0.0f32; self.x.len()];
            fill_gaussian_planar(
                self.cfg.seed,
                STREAM_SAMPLER_STEP + self.done as u32,
                self.x.len() / self.channels,
                self.channels,
                &mut z,
            );
        }
        for (j, x) in self.x.iter_mut().enumerate() {
            let eps = (*x - sa_t * x0[j]) / sn_t;
            let mut next = sa_s * x0[j] + dir * eps;
            if sigma > 0.0 {
                next += sigma * z[j];
            }
            *x = next;
        }
    }
}
