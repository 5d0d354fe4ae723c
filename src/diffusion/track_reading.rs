//! Reading a finished track: which tag's own clips explain it.
//!
//! The same diffusion classifier as [`super::reading`] (Li et al. 2023;
//! Clark & Jaini 2023), on spectrogram pictures, with the track patch
//! machine ([`crate::denoise::track`]) restricted to one tag's clips as that
//! tag's denoiser. An excerpt x of the track ([`READ_FRAMES`] frames from its
//! middle) is noised at the levels of [`READ_LEVELS`] (ε fixed by a seed),
//! each tag's machine guesses x̂0,tag(x_t) with patches of the extent the
//! track machine uses at that noise, and
//!
//!   log p(tag | x) = log p(tag) − Σ_k w_k · ‖x̂0,tag(x_t,k) − x‖² / (2·τ) + const,
//!
//! with w_k = ᾱ_k / (1 − ᾱ_k) and τ = [`READ_TEMPERATURE`], fitted on the
//! archive. p(tag) is the tag's share of the archive's clips. Each machine uses the [`READ_CLIPS`] clips of its tag whose coarse
//! spectra ([`super::track::coarse_spectrum`]) are nearest the excerpt's,
//! every offset of them (no beat grid: the reading asks which material
//! explains the sound, not whether it keeps a tempo).
//!
//! What it cannot know: a tag is only as wide as its clips (eight chosen of
//! a tag of a hundred), two tags that share their clips ("orchestral" and
//! "game music") cannot be told apart, and the reader hears 2 s of the track.

use super::track::{coarse_spectrum, frames_per_second, ClipEntry, ROWS};
use crate::archive::dataset::Dataset;
use crate::denoise::archive::TagBar;
use crate::denoise::track::{denoise, Candidates, TrackShape};
use crate::forward::schedule::{Schedule, ScheduleKind, DEFAULT_STEPS};

/// Frames of the track read: 2.0 s from its middle.
pub const READ_FRAMES: usize = 172;
/// Clips of a tag its machine uses.
pub const READ_CLIPS: usize = 8;
/// The noise levels ᾱ the excerpt is read at (as in [`super::reading`]).
pub const READ_LEVELS: [f64; 2] = [0.8, 0.5];
/// The evidence Σ_k w_k·‖x̂0,tag − x‖²/2 counts every pixel as an
/// independent observation, which they are not (a band's 16 rows share their
/// weights, a patch spans dozens of frames): read so, every track is one tag
/// with p = 1.000. Divided by this temperature, fitted by maximum likelihood
/// of the own tags of the archive's clips read with their piece left out
/// (temperature scaling; `examples/read_tracks.rs` prints the fit).
pub const READ_TEMPERATURE: f64 = 512.0;
/// The seed of the reading's noise.
pub const READ_SEED: u64 = 0x0007_7ac0_7ead;

/// The patch extent the track machine uses at noise level ᾱ (the cosine
/// schedule's timestep of that ᾱ).
pub fn shape_at(alpha_bar: f64) -> TrackShape {
    let schedule = Schedule::new(ScheduleKind::Cosine, DEFAULT_STEPS);
    let t = (1..=DEFAULT_STEPS)
        .find(|&t| schedule.alpha_bar(t) <= alpha_bar)
        .unwrap_or(DEFAULT_STEPS);
    TrackShape::at(t, DEFAULT_STEPS)
}

/// The frames read of a frame-major track picture: [`READ_FRAMES`] from
/// its middle (all of a shorter one).
pub fn excerpt(picture: &[f32]) -> &[f32] {
    let cols = picture.len() / ROWS;
    let n = cols.min(READ_FRAMES);
    let start = (cols - n) / 2;
    &picture[start * ROWS..(start + n) * ROWS]
}

/// The clips of `tag` among `clips` a reading of a sound of coarse spectrum
/// `spectrum` uses: the [`READ_CLIPS`] nearest in coarse spectrum, leaving
/// out the piece `skip` (to read a clip against the other pieces).
pub fn reading_clips(
    clips: &[ClipEntry<'_>],
    tag: &str,
    spectrum: &[f32],
    skip: Option<&str>,
) -> Vec<usize> {
    let mut ranked: Vec<(f32, usize)> = (0..clips.len())
        .filter(|&i| clips[i].tags.iter().any(|t| t == tag) && Some(clips[i].piece) != skip)
        .map(|i| {
            let d = clips[i].spectrum.map_or(f32::INFINITY, |s| {
                s.iter()
                    .zip(spectrum)
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f32>()
            });
            (d, i)
        })
        .collect();
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    ranked.truncate(READ_CLIPS);
    let mut chosen: Vec<usize> = ranked.into_iter().map(|(_, i)| i).collect();
    chosen.sort_unstable();
    chosen
}

/// One tag as the reader read it.
#[derive(Clone, Debug)]
pub struct TrackTagReading {
    pub tag: String,
    /// p(tag | x) over the tags read.
    pub p: f32,
    pub prior: f32,
    /// Σ_k w_k · ‖x̂0,tag − x‖² / 2: the evidence against the tag (before τ).
    pub cost: f64,
}

/// A reading in steps (one tag at one level each), so that a page can
/// yield between them and hold only one tag's clips at a time.
pub struct TrackReading {
    x: Vec<f32>,
    cols: usize,
    /// Each tag read and its prior.
    tags: Vec<(String, f32)>,
    costs: Vec<f64>,
    next: usize,
}

impl TrackReading {
    /// Reads `excerpt` (frame-major, [`ROWS`] rows, values in [−1, 1]) for
    /// `tags` (each with its prior).
    pub fn new(excerpt: &[f32], tags: Vec<(String, f32)>) -> Self {
        let costs = vec![0.0; tags.len()];
        Self {
            x: excerpt.iter().map(|v| v.clamp(-1.0, 1.0)).collect(),
            cols: excerpt.len() / ROWS,
            tags,
            costs,
            next: 0,
        }
    }

    /// Steps in all: tags × levels.
    pub fn steps(&self) -> usize {
        self.tags.len() * READ_LEVELS.len()
    }

    pub fn steps_done(&self) -> usize {
        self.next
    }

    pub fn is_done(&self) -> bool {
        self.next >= self.steps()
    }

    /// The tag the next step reads (its index in the tags given), None when done.
    pub fn next_tag(&self) -> Option<usize> {
        (!self.is_done()).then(|| self.next % self.tags.len())
    }

    /// Reads the next tag at its level with `clips`, that tag's clips
    /// (frame-major pictures); none: the tag cannot explain anything.
    pub fn step(&mut self, clips: &[&[f32]]) {
        let Some(j) = self.next_tag() else {
            return;
        };
        let k = self.next / self.tags.len();
        self.next += 1;
        if clips.is_empty() {
            self.costs[j] = f64::INFINITY;
            return;
        }
        let a = READ_LEVELS[k];
        let mut eps = vec![0.0f32; self.x.len()];
        crate::rng::fill_gaussian_planar(READ_SEED, k as u32, self.x.len(), 1, &mut eps);
        let (sa, sn) = (a.sqrt() as f32, (1.0 - a).sqrt() as f32);
        let xt: Vec<f32> = self
            .x
            .iter()
            .zip(&eps)
            .map(|(v, e)| sa * v + sn * e)
            .collect();
        let weights = vec![1.0f32; clips.len()];
        let cands = Candidates::new(clips, ROWS, &weights, false);
        let d = denoise(&cands, &xt, self.cols, a, shape_at(a), 1.0);
        let sse: f64 =
            d.x0.iter()
                .zip(&self.x)
                .map(|(g, v)| f64::from(g.clamp(-1.0, 1.0) - v).powi(2))
                .sum();
        self.costs[j] += a / (1.0 - a) * sse / 2.0;
    }

    /// The `limit` most probable tags as the scenes' bars.
    pub fn bars(&self, limit: usize) -> Vec<TagBar> {
        self.readings()
            .into_iter()
            .take(limit)
            .map(|r| TagBar {
                tag: r.tag,
                p: r.p,
                prior: r.prior,
                other: false,
            })
            .collect()
    }

    /// The readings, most probable first (the steps not done count nothing).
    pub fn readings(&self) -> Vec<TrackTagReading> {
        self.readings_at(READ_TEMPERATURE)
    }

    /// The same with the evidence divided by `temperature` (to fit it).
    pub fn readings_at(&self, temperature: f64) -> Vec<TrackTagReading> {
        let logits: Vec<f64> = self
            .tags
            .iter()
            .zip(&self.costs)
            .map(|((_, prior), c)| f64::from(prior.max(1e-9)).ln() - c / temperature)
            .collect();
        let top = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let z: f64 = logits.iter().map(|l| (l - top).exp()).sum();
        let mut out: Vec<TrackTagReading> = self
            .tags
            .iter()
            .zip(&self.costs)
            .zip(&logits)
            .map(|(((tag, prior), &cost), l)| TrackTagReading {
                tag: tag.clone(),
                p: ((l - top).exp() / z) as f32,
                prior: *prior,
                cost,
            })
            .collect();
        out.sort_by(|a, b| b.p.total_cmp(&a.p).then(a.cost.total_cmp(&b.cost)));
        out
    }
}

/// The excerpt's coarse spectrum, to choose the clips with.
pub fn excerpt_spectrum(excerpt: &[f32]) -> Vec<f32> {
    coarse_spectrum(excerpt, ROWS)
}

/// Seconds the reader hears.
pub fn read_seconds() -> f32 {
    READ_FRAMES as f32 / frames_per_second()
}

/// The tags a track is read for: those a track can be asked for.
pub fn track_tags() -> Vec<&'static str> {
    super::track::SOUND_SCENE_TAGS
        .iter()
        .chain(super::track::TRACK_ONLY_TAGS.iter())
        .copied()
        .collect()
}

/// What a reading of `picture` (frame-major) needs, from the manifest's
/// sounds `items`: each tag read, its prior (its share of the archive's
/// sounds) and the ids of its [`READ_CLIPS`] clips; `skip`: a piece left out.
pub fn plan_reading(
    items: &[crate::archive::Item],
    picture: &[f32],
    skip: Option<&str>,
) -> Vec<(String, f32, Vec<String>)> {
    let sounds: Vec<&crate::archive::Item> = items
        .iter()
        .filter(|i| i.kind == crate::archive::Kind::Sound)
        .collect();
    let entries: Vec<ClipEntry<'_>> = sounds.iter().map(|i| ClipEntry::of(i)).collect();
    let spectrum = excerpt_spectrum(excerpt(picture));
    let n = sounds.len().max(1) as f32;
    track_tags()
        .into_iter()
        .filter_map(|tag| {
            let count = sounds
                .iter()
                .filter(|i| Some(i.attribution.as_str()) != skip && i.tags.iter().any(|t| t == tag))
                .count();
            let ids: Vec<String> = reading_clips(&entries, tag, &spectrum, skip)
                .into_iter()
                .map(|i| entries[i].id.to_string())
                .collect();
            (count > 0).then(|| (tag.to_string(), count as f32 / n, ids))
        })
        .collect()
}

/// Reads `picture` (frame-major) to the end as `plan` says, with the
/// clips' frame-major pictures from `pictures` (by id); Err: the ids it
/// does not give.
pub fn read_planned<'a>(
    plan: &[(String, f32, Vec<String>)],
    picture: &[f32],
    pictures: impl Fn(&str) -> Option<&'a [f32]>,
) -> Result<Vec<TrackTagReading>, Vec<String>> {
    let missing: Vec<String> = plan
        .iter()
        .flat_map(|(_, _, ids)| ids)
        .filter(|id| pictures(id).is_none())
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let mut reading = TrackReading::new(
        excerpt(picture),
        plan.iter().map(|(t, p, _)| (t.clone(), *p)).collect(),
    );
    while let Some(j) = reading.next_tag() {
        let clips: Vec<&[f32]> = plan[j].2.iter().filter_map(|id| pictures(id)).collect();
        reading.step(&clips);
    }
    Ok(reading.readings())
}

/// A reading of a finished track by the sound scene, which keeps its clips
/// as row-major pictures in a [`Dataset`]: the plan and the steps.
pub struct PlannedReading {
    plan: Vec<(String, f32, Vec<String>)>,
    reading: TrackReading,
}

impl PlannedReading {
    /// Plans the reading of `picture` (frame-major) from the manifest's `items`.
    pub fn new(items: &[crate::archive::Item], picture: &[f32]) -> Self {
        let plan = plan_reading(items, picture, None);
        let tags = plan.iter().map(|(t, p, _)| (t.clone(), *p)).collect();
        Self {
            reading: TrackReading::new(excerpt(picture), tags),
            plan,
        }
    }

    /// The clips the reading needs that `set` does not hold.
    pub fn missing(&self, set: &Dataset) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for id in self.plan.iter().flat_map(|(_, _, ids)| ids) {
            if set.index_of(id).is_none() && !out.contains(id) {
                out.push(id.clone());
            }
        }
        out
    }

    /// One step with the clips `set` holds (one tag at one level).
    pub fn step(&mut self, set: &Dataset) {
        let Some(j) = self.reading.next_tag() else {
            return;
        };
        let clips: Vec<Vec<f32>> = self.plan[j]
            .2
            .iter()
            .filter_map(|id| set.index_of(id))
            .map(|i| crate::denoise::track::frame_major(set.item(i), ROWS))
            .collect();
        let refs: Vec<&[f32]> = clips.iter().map(Vec::as_slice).collect();
        self.reading.step(&refs);
    }

    pub fn reading(&self) -> &TrackReading {
        &self.reading
    }
}
