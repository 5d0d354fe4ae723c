//! A hypothetical track: reverse diffusion on a spectrogram picture of any
//! length, denoised by the frequency-anchored, time-equivariant patch machine
//! (`denoise::track`), with one or two tags blended, and what the result is
//! made of: which clip every moment and band came from, how long it follows
//! any one clip, its beat and its average spectrum.
//!
//! The picture is 512 rows (0–11 kHz) by as many frames as the length needs
//! (86.1 frames per second), frame-major. The sampler is the images' sampler
//! (DDIM or DDPM, its own noise temperature); the machine's rigidity is a
//! separate temperature on the patch weights.

mod clips;
mod measures;

pub use clips::*;
pub use measures::*;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::archive::dataset::Dataset;
use crate::archive::{Item, SAMPLE_RATE};
use crate::audio::spectrogram::EDGE;
use crate::audio::stft::HOP;
use crate::audio::tempo::{self, Pulse};
use crate::audio::wav::write_wav;
use crate::backend::calibration::Path;
use crate::denoise::track::{
    frame_major, Candidates, Source, TrackDenoised, TrackPartial, TrackPass, TrackShape, BAND,
    MAX_RIGIDITY,
};
use crate::denoise::{Denoised, DenoiserKind};
use crate::diffusion::provenance::{credit_line, source_colour};
use crate::diffusion::sampler::{Method, Sampler, SamplerConfig, SamplerError};
use crate::forward::schedule::ScheduleKind;
use crate::gpu::track::GpuTrack;
use crate::gpu::GpuError;

/// The tags Sounds Like Music offers (each has clips in the archive). Its
/// recogniser reads within them; clips that carry none share an "other" bar
/// (`denoise::archive::other_bar`), so the bars sum to 1.
pub const SOUND_SCENE_TAGS: [&str; 6] = ["techno", "chorale", "jazz", "voice", "drums", "static"];

/// Shortest and longest tracks (seconds).
pub const MIN_SECONDS: f32 = 2.0;
pub const MAX_SECONDS: f32 = 60.0;
/// Random stream of a track's starting noise is the sampler's; this one is
/// kept free for the track's own uses.
pub const ROWS: usize = EDGE;

/// Frames per second of a track picture (22,050 / 256 = 86.13).
pub fn frames_per_second() -> f32 {
    SAMPLE_RATE as f32 / HOP as f32
}

/// Frames of a track of `seconds`.
pub fn frames_for(seconds: f32) -> usize {
    (seconds * frames_per_second()).round().max(1.0) as usize
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrackOptions {
    pub tag: String,
    /// A second tag to blend in, and its weight in [0, 1] (the first tag gets 1 − mix).
    #[serde(default)]
    pub tag2: Option<String>,
    #[serde(default)]
    pub mix: f32,
    pub seconds: f32,
    pub steps: u32,
    pub seed: u32,
    /// "ddim" or "ddpm".
    pub method: String,
    /// DDPM's noise temperature (the sampler's).
    #[serde(default = "one")]
    pub temperature: f32,
    /// The patch machine's rigidity ρ (logits divided by ρ; 0 = the one best patch).
    #[serde(default = "one")]
    pub rigidity: f32,
    /// Bring beat-carrying clips to one tempo before pooling (default on).
    #[serde(default = "yes")]
    pub align: bool,
}

fn one() -> f32 {
    1.0
}
fn yes() -> bool {
    true
}

#[derive(Debug, Error, PartialEq)]
pub enum TrackError {
    #[error("the length must be between {MIN_SECONDS} and {MAX_SECONDS} s, not {0}")]
    Seconds(f32),
    #[error("the mix must be between 0 and 1, not {0}")]
    Mix(f32),
    #[error("the rigidity must be between 0 and {MAX_RIGIDITY}, not {0}")]
    Rigidity(f32),
    #[error("no clip carries the tag “{0}”")]
    Tag(String),
    #[error("choose two different tags to blend")]
    SameTag,
    #[error("unknown method “{0}”: use ddim or ddpm")]
    Method(String),
    #[error("step {0} has not been computed")]
    NoStep(usize),
    #[error(transparent)]
    Gpu(#[from] GpuError),
    #[error(transparent)]
    Sampler(#[from] SamplerError),
}

/// The clips a track can draw from: ids, tags and frame-major pictures.
pub struct TrackLibrary {
    pub ids: Vec<String>,
    pub tags: Vec<Vec<String>>,
    pub pictures: Vec<Vec<f32>>,
}

impl TrackLibrary {
    /// The sound scene's square pictures, transposed to frame-major.
    pub fn from_dataset(set: &Dataset) -> Self {
        Self::ordered(set, &[])
    }

    /// The same, in the order of `ids` (the manifest's), then any other
    /// clips in the set's order: the page loads clips in whatever order the
    /// browser decodes them, and a clip's index sets its colour and the
    /// order of the candidates.
    pub fn ordered(set: &Dataset, ids: &[&str]) -> Self {
        assert_eq!(set.channels(), 1, "spectrogram pictures");
        let rows = set.edge() as usize;
        let mut order: Vec<usize> = ids.iter().filter_map(|id| set.index_of(id)).collect();
        let rest: Vec<usize> = (0..set.len()).filter(|i| !order.contains(i)).collect();
        order.extend(rest);
        Self {
            ids: order.iter().map(|&i| set.id(i).to_string()).collect(),
            tags: order.iter().map(|&i| set.tags(i).to_vec()).collect(),
            pictures: order
                .iter()
                .map(|&i| frame_major(set.item(i), rows))
                .collect(),
        }
    }

    /// The average of the long-term average spectra of the clips tagged `tag`
    /// (None when no clip carries it).
    pub fn tag_ltas(&self, tag: &str) -> Option<Vec<f32>> {
        let members: Vec<usize> = (0..self.ids.len()).filter(|&i| self.has(i, tag)).collect();
        if members.is_empty() {
            return None;
        }
        let mut avg = vec![0.0f32; ROWS];
        for &i in &members {
            for (a, v) in avg.iter_mut().zip(ltas(&self.pictures[i], ROWS)) {
                *a += v / members.len() as f32;
            }
        }
        Some(avg)
    }

    fn has(&self, i: usize, tag: &str) -> bool {
        self.tags[i].iter().any(|t| t == tag)
    }

    /// Prior weights of the clips: 1 − mix over the first tag's clips and mix
    /// over the second's, each split evenly (a clip in both gets both shares).
    pub fn weights(&self, tag: &str, tag2: Option<&str>, mix: f32) -> Result<Vec<f32>, TrackError> {
        let count = |t: &str| (0..self.ids.len()).filter(|&i| self.has(i, t)).count();
        let n1 = count(tag);
        if n1 == 0 {
            return Err(TrackError::Tag(tag.to_string()));
        }
        let mut w = vec![0.0f32; self.ids.len()];
        let (w1, second) = match tag2 {
            Some(t2) if mix > 0.0 => {
                if t2 == tag {
                    return Err(TrackError::SameTag);
                }
                let n2 = count(t2);
                if n2 == 0 {
                    return Err(TrackError::Tag(t2.to_string()));
                }
                (1.0 - mix, Some((t2, mix / n2 as f32)))
            }
            _ => (1.0, None),
        };
        for (i, v) in w.iter_mut().enumerate() {
            if self.has(i, tag) {
                *v += w1 / n1 as f32;
            }
            if let Some((t2, share)) = second {
                if self.has(i, t2) {
                    *v += share;
                }
            }
        }
        Ok(w)
    }
}

/// What one step kept: x̂0 quantised to 8 bits (0.35 dB steps: a 12 s
/// track's 20 steps fit in 21 MB instead of 85) and its sources.
struct TrackRecord {
    t: u32,
    shape: TrackShape,
    x0: Vec<u8>,
    sources: Vec<Source>,
    pairs: u64,
}

fn quantise(v: &[f32]) -> Vec<u8> {
    v.iter()
        .map(|&x| ((x.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8)
        .collect()
}

fn dequantise(v: &[u8]) -> Vec<f32> {
    v.iter().map(|&q| f32::from(q) / 127.5 - 1.0).collect()
}

/// What one call of [`TrackRun::step`] did.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackStepReport {
    pub done: bool,
    pub index: usize,
    pub total: usize,
    pub t: u32,
    /// The patch extent of this step: [rows, frames].
    pub patch: [usize; 2],
    /// The step is not finished yet: [diagonals done, diagonals].
    pub partial: Option<[usize; 2]>,
    /// (frame, candidate frame) pairs done in the whole run, and in all its
    /// steps: the page turns the rate of the first slice into a time estimate.
    pub work: [f64; 2],
    /// Where this call ran (set by the scene; "gpu" or "cpu" on the page).
    pub backend: Path,
    /// The machine timed on both paths at this step, in words (set by the scene).
    pub calibration: Option<String>,
    /// A GPU failure that moved the track to the CPU (set by the scene).
    pub fell_back: Option<String>,
}

/// A clip's part in a track.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackShare {
    pub id: String,
    /// Share of the (band, frame) cells it leads, weighted by their share.
    pub weight: f32,
}

/// The longest stretch that follows one clip at one time offset.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Copied {
    pub id: String,
    pub seconds: f32,
    /// Where it starts in the track (s).
    pub at: f32,
}

pub struct TrackRun {
    cands: Candidates,
    /// The clips' prior weights and whether tempi were aligned: what a
    /// worker needs to make the same candidates.
    weights: Vec<f32>,
    align: bool,
    ids: Vec<String>,
    sampler: Sampler,
    cols: usize,
    rigidity: f32,
    pass: Option<TrackPass>,
    records: Vec<TrackRecord>,
    /// Pairs of every step, and of the steps finished.
    pairs_per_step: Vec<u64>,
    pairs_done: u64,
    settings: String,
    title: String,
}

impl TrackRun {
    pub fn start(lib: &TrackLibrary, o: &TrackOptions) -> Result<Self, TrackError> {
        if !(MIN_SECONDS..=MAX_SECONDS).contains(&o.seconds) {
            return Err(TrackError::Seconds(o.seconds));
        }
        if !(0.0..=1.0).contains(&o.mix) {
            return Err(TrackError::Mix(o.mix));
        }
        if !(0.0..=MAX_RIGIDITY).contains(&o.rigidity) {
            return Err(TrackError::Rigidity(o.rigidity));
        }
        let method =
            Method::parse(&o.method).ok_or_else(|| TrackError::Method(o.method.clone()))?;
        let tag2 = o.tag2.as_deref().filter(|t| !t.is_empty());
        let weights = lib.weights(&o.tag, tag2, o.mix)?;
        let pictures: Vec<&[f32]> = lib.pictures.iter().map(Vec::as_slice).collect();
        let cands = Candidates::new(&pictures, ROWS, &weights, o.align);
        let cols = frames_for(o.seconds);
        let sampler = Sampler::with_pixels(
            SamplerConfig {
                edge: ROWS as u32,
                method,
                steps: o.steps,
                seed: u64::from(o.seed),
                schedule: ScheduleKind::Cosine,
                guidance: 0.0,
                temperature: o.temperature,
            },
            1,
            ROWS * cols,
        )?;
        let blend = match tag2 {
            Some(t2) if o.mix > 0.0 => format!("{} {:.2} + {t2} {:.2}", o.tag, 1.0 - o.mix, o.mix),
            _ => o.tag.clone(),
        };
        let tempo = cands
            .tempo
            .map(|b| format!(", clips with a beat brought to {b:.1} BPM"))
            .unwrap_or_default();
        let noise = if method == Method::Ddpm {
            format!(" (noise temperature {:.2})", o.temperature)
        } else {
            String::new()
        };
        let settings = format!(
            "track patch machine, {blend}, {:.1} s, {} steps, {}{noise}, rigidity {:.2}, seed {}{tempo}",
            cols as f32 / frames_per_second(),
            o.steps,
            method.name(),
            o.rigidity,
            o.seed
        );
        let t_max = sampler.t_max();
        let pairs_per_step = sampler
            .times()
            .iter()
            .map(|&t| cands.pairs(cols, TrackShape::at(t, t_max)))
            .collect();
        Ok(Self {
            cands,
            weights,
            align: o.align,
            ids: lib.ids.clone(),
            sampler,
            cols,
            rigidity: o.rigidity,
            pass: None,
            records: Vec::new(),
            pairs_per_step,
            pairs_done: 0,
            settings,
            title: format!("A hypothetical {blend} track"),
        })
    }

    pub fn settings(&self) -> &str {
        &self.settings
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    pub fn seconds(&self) -> f32 {
        self.cols as f32 / frames_per_second()
    }

    pub fn candidates(&self) -> &Candidates {
        &self.cands
    }

    pub fn sampler(&self) -> &Sampler {
        &self.sampler
    }

    pub fn is_done(&self) -> bool {
        self.sampler.is_done()
    }

    /// (column, candidate frame) pairs of every step, for the work estimate.
    pub fn pairs_per_step(&self) -> &[u64] {
        &self.pairs_per_step
    }

    /// Works on the current step for up to `diagonals` (clip, offset) units;
    /// finishes the step when they are all done.
    pub fn step(&mut self, diagonals: usize) -> Result<TrackStepReport, TrackError> {
        let total = self.sampler.total_steps();
        let Some(t) = self.sampler.t() else {
            return Ok(TrackStepReport {
                done: true,
                index: total,
                total,
                ..Default::default()
            });
        };
        let shape = TrackShape::at(t, self.sampler.t_max());
        let a = self.sampler.alpha_bar();
        let pass = self.pass.get_or_insert_with(|| {
            TrackPass::new(
                &self.cands,
                self.sampler.x_t(),
                self.cols,
                a,
                shape,
                self.rigidity,
            )
        });
        pass.work(&self.cands, diagonals);
        let all: u64 = self.pairs_per_step.iter().sum();
        let work = [(self.pairs_done + pass.pairs_done()) as f64, all as f64];
        let report = |partial, index, done| TrackStepReport {
            done,
            index,
            total,
            t,
            patch: [shape.rows().min(ROWS), shape.frames],
            partial,
            work,
            ..Default::default()
        };
        if !pass.is_complete() {
            let (d, n) = pass.progress();
            return Ok(report(Some([d, n]), self.sampler.steps_done(), false));
        }
        let answer = self.pass.take().expect("a pass").finish();
        self.advance_with(t, shape, answer, total)
    }

    /// Runs the current step on the GPU in one call (a CPU slice already
    /// started on it is dropped).
    pub async fn step_gpu(&mut self, gpu: &GpuTrack) -> Result<TrackStepReport, TrackError> {
        let total = self.sampler.total_steps();
        let Some(t) = self.sampler.t() else {
            return self.step(0);
        };
        let shape = TrackShape::at(t, self.sampler.t_max());
        self.pass = None;
        let answer = gpu
            .denoise(
                &self.cands,
                self.sampler.x_t(),
                self.sampler.alpha_bar(),
                shape,
                self.rigidity,
            )
            .await?;
        self.advance_with(t, shape, answer, total)
    }

    /// The candidates' prior weights (one per library clip) and whether their
    /// tempi are aligned: `Candidates::new` with these makes the same ones.
    pub fn candidate_setup(&self) -> (&[f32], bool) {
        (&self.weights, self.align)
    }

    /// What the current step asks of a denoiser: (x_t, ᾱ, patch shape,
    /// rigidity); None when finished.
    pub fn job(&self) -> Option<(&[f32], f64, TrackShape, f32)> {
        let t = self.sampler.t()?;
        Some((
            self.sampler.x_t(),
            self.sampler.alpha_bar(),
            TrackShape::at(t, self.sampler.t_max()),
            self.rigidity,
        ))
    }

    /// Finishes the current step from the merged shares of its diagonals
    /// (Web Workers' `TrackPass::share`s).
    pub fn finish_step(&mut self, merged: TrackPartial) -> Result<TrackStepReport, TrackError> {
        let total = self.sampler.total_steps();
        let Some(t) = self.sampler.t() else {
            return self.step(0);
        };
        let shape = TrackShape::at(t, self.sampler.t_max());
        self.pass = None;
        self.advance_with(t, shape, merged.finish(), total)
    }

    /// The CPU's pace on the current step: ms per (frame, candidate frame)
    /// pair over about `budget_ms` of its diagonals (the pass is then dropped).
    pub fn time_cpu(&self, clock: &dyn Fn() -> f64, budget_ms: f64) -> f64 {
        let Some(t) = self.sampler.t() else {
            return 0.0;
        };
        let shape = TrackShape::at(t, self.sampler.t_max());
        let mut pass = TrackPass::new(
            &self.cands,
            self.sampler.x_t(),
            self.cols,
            self.sampler.alpha_bar(),
            shape,
            self.rigidity,
        );
        let t0 = clock();
        while !pass.is_complete() && clock() - t0 < budget_ms {
            pass.work(&self.cands, 4);
        }
        (clock() - t0) / pass.pairs_done().max(1) as f64
    }

    /// Pairs of the current step (0 when finished).
    pub fn pairs_of_step(&self) -> u64 {
        self.pairs_per_step
            .get(self.sampler.steps_done())
            .copied()
            .unwrap_or(0)
    }

    /// Takes step t's answer: the sampler's update and the step's record.
    fn advance_with(
        &mut self,
        t: u32,
        shape: TrackShape,
        answer: TrackDenoised,
        total: usize,
    ) -> Result<TrackStepReport, TrackError> {
        self.pairs_done += answer.pairs;
        let denoised = Denoised {
            x0_all: answer.x0,
            x0_tag: None,
            posterior: Vec::new(),
            posterior_tag: None,
            pixel_shares: None,
        };
        self.sampler
            .advance(&denoised, DenoiserKind::Patch, Some(shape.frames as u32))?;
        let x0 = self.sampler.take_last_values().unwrap_or_default();
        self.records.push(TrackRecord {
            t,
            shape,
            x0: quantise(&x0),
            sources: answer.sources,
            pairs: answer.pairs,
        });
        let all: u64 = self.pairs_per_step.iter().sum();
        Ok(TrackStepReport {
            done: self.sampler.is_done(),
            index: self.sampler.steps_done(),
            total,
            t,
            patch: [shape.rows().min(ROWS), shape.frames],
            partial: None,
            work: [self.pairs_done as f64, all as f64],
            ..Default::default()
        })
    }

    /// Runs every remaining step.
    pub fn run(&mut self) -> Result<(), TrackError> {
        while !self.step(usize::MAX)?.done {}
        Ok(())
    }

    fn record(&self, k: usize) -> Result<&TrackRecord, TrackError> {
        let k = if k == 0 { self.records.len() } else { k };
        k.checked_sub(1)
            .and_then(|i| self.records.get(i))
            .ok_or(TrackError::NoStep(k))
    }

    /// Step k's x̂0 (1-based, 8-bit precision); k = 0: the current x_t, which
    /// is the result once finished. Frame-major.
    pub fn values(&self, k: usize) -> Result<Vec<f32>, TrackError> {
        if k == 0 {
            return Ok(self.sampler.x_t().to_vec());
        }
        Ok(dequantise(&self.record(k)?.x0))
    }

    /// Step k's timestep, patch extent and pairs evaluated.
    pub fn step_info(&self, k: usize) -> Result<(u32, TrackShape, u64), TrackError> {
        let r = self.record(k)?;
        Ok((r.t, r.shape, r.pairs))
    }

    /// Step k's sources, (band, frame) column-major (k = 0: the last step).
    pub fn sources(&self, k: usize) -> Result<&[Source], TrackError> {
        Ok(&self.record(k)?.sources)
    }

    /// For every frame, the clip leading most of its bands (share-weighted),
    /// as an archive index.
    pub fn timeline(&self, k: usize) -> Result<Vec<u16>, TrackError> {
        let src = self.sources(k)?;
        let bands = ROWS / BAND;
        let mut votes = vec![0.0f32; self.ids.len()];
        Ok(src
            .chunks_exact(bands)
            .map(|col| {
                votes.iter_mut().for_each(|v| *v = 0.0);
                for s in col {
                    votes[s.clip as usize] += s.share;
                }
                argmax(&votes) as u16
            })
            .collect())
    }

    /// The clip leading each second, by frames led within it.
    pub fn per_second(&self, k: usize) -> Result<Vec<String>, TrackError> {
        let line = self.timeline(k)?;
        let fps = frames_per_second();
        let secs = (self.cols as f32 / fps).ceil() as usize;
        Ok((0..secs)
            .map(|s| {
                let (a, b) = (
                    (s as f32 * fps) as usize,
                    (((s + 1) as f32 * fps) as usize).min(self.cols),
                );
                let mut votes = vec![0usize; self.ids.len()];
                for &c in &line[a..b] {
                    votes[c as usize] += 1;
                }
                let best = (0..votes.len()).max_by_key(|&i| votes[i]).unwrap_or(0);
                self.ids[best].clone()
            })
            .collect())
    }

    /// Each clip's share of step k's (band, frame) cells, largest first.
    pub fn shares(&self, k: usize, limit: usize) -> Result<Vec<TrackShare>, TrackError> {
        let src = self.sources(k)?;
        let mut w = vec![0.0f64; self.ids.len()];
        for s in src {
            w[s.clip as usize] += f64::from(s.share);
        }
        let total: f64 = w.iter().sum();
        let mut order: Vec<usize> = (0..w.len()).filter(|&i| w[i] > 0.0).collect();
        order.sort_by(|&a, &b| w[b].total_cmp(&w[a]));
        Ok(order
            .into_iter()
            .take(limit)
            .map(|i| TrackShare {
                id: self.ids[i].clone(),
                weight: (w[i] / total.max(1e-12)) as f32,
            })
            .collect())
    }

    /// Step k's sources as RGBA8, `cols` wide and one row per band (highest
    /// band at the top): each cell in its clip's colour (`source_colour` of
    /// the clip's archive index), dimmed where the clip's share is small.
    pub fn source_strip(&self, k: usize) -> Result<Vec<u8>, TrackError> {
        let src = self.sources(k)?;
        let bands = ROWS / BAND;
        let mut out = vec![0u8; self.cols * bands * 4];
        for (c, col) in src.chunks_exact(bands).enumerate() {
            for (b, s) in col.iter().enumerate() {
                let [r, g, bl] = source_colour(u32::from(s.clip));
                let dim = 0.35 + 0.65 * s.share.clamp(0.0, 1.0);
                let at = ((bands - 1 - b) * self.cols + c) * 4;
                out[at..at + 4].copy_from_slice(&[
                    (f32::from(r) * dim) as u8,
                    (f32::from(g) * dim) as u8,
                    (f32::from(bl) * dim) as u8,
                    255,
                ]);
            }
        }
        Ok(out)
    }

    /// The finished track as a WAV whose INFO names the settings, the clips
    /// with their shares and credits, and the clip leading each second.
    pub fn wav(&self, samples: &[f32], items: &[Item]) -> Result<Vec<u8>, TrackError> {
        let from: Vec<String> = self
            .shares(0, 12)?
            .iter()
            .map(|s| {
                let credit = items
                    .iter()
                    .find(|i| i.id == s.id)
                    .map(credit_line)
                    .unwrap_or_default();
                format!("{} ({:.3}): {credit}", s.id, s.weight)
            })
            .collect();
        let timeline: Vec<String> = self
            .per_second(0)?
            .iter()
            .enumerate()
            .map(|(i, id)| format!("{i}s {id}"))
            .collect();
        let comment = format!(
            "{}. Made from: {}. Timeline (clip leading each second): {}",
            self.settings,
            from.join(" | "),
            timeline.join(", ")
        );
        Ok(write_wav(
            samples,
            SAMPLE_RATE,
            &[
                ("INAM", self.title.as_str()),
                (
                    "ISFT",
                    "Hypothetical (track patch machine on spectrograms, fast Griffin-Lim)",
                ),
                ("ICMT", comment.as_str()),
            ],
        ))
    }

    /// How long the result follows one clip at one time offset: the nearest
    /// whole-column patch of 25 frames (0.29 s) of every frame of the result
    /// among the run's candidates (`nearest_patches`), then the longest run of
    /// frames with the same clip and offset τ − c.
    pub fn longest_copy(&self) -> Copied {
        let x = self.sampler.x_t();
        longest_copy(&nearest_patches(&self.cands, x, self.cols), &self.ids)
    }
}
