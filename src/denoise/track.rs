//! The local patch machine on spectrogram pictures: time-equivariant,
//! anchored in frequency. It invents tracks of any length from the patterns of
//! many clips.
//!
//! A spectrogram is not an image: along time a pattern can recur anywhere (a
//! beat, a note), along frequency it cannot (a kick drum an octave up is
//! another sound). So a pixel (r, c) of the track compares its patch only with
//! patches of the archive's clips centred on the same row r, at any frame τ of
//! any clip: the candidates are (clip i, frame τ), never another row.
//!
//! Rows are grouped in bands of [`BAND`] = 16 rows (344 Hz): the weights are
//! computed once per (band, column) and serve the band's 16 rows. The patch of
//! band k at column c covers bands k − m … k + m (clipped to the picture) and
//! frames c − h … c + h (clipped to the track); the candidate (i, τ) covers the
//! same bands and frames τ − (c − c0) … τ + (c1 − 1 − c) of clip i, which must
//! lie inside the clip (no wrap-around). With ᾱ at the step,
//!
//!   d²(k, c; i, τ) = ‖x_t[patch]‖² − 2·√ᾱ·⟨x_t[patch], x_i[patch']⟩ + ᾱ·‖x_i[patch']‖²,
//!   ℓ = −d² / (2·(1 − ᾱ)) / ρ + ln π_i − ln n_i,
//!   x̂0(r, c) = Σ_{i,τ} softmax(ℓ)·x_i(r, τ)        (r in band k),
//!
//! the posterior mean under a uniform prior over the patches, as in the
//! equivariant local score machine (Kamb & Ganguli 2024), with two additions:
//! ρ, the rigidity temperature (ρ → 0: the one best patch; ρ = 1: the
//! posterior; ρ > 1: many patches mixed), and π_i, a clip's prior weight (a
//! two-tag blend gives each tag its share, split evenly over its clips),
//! shared by the clip's n_i candidate offsets.
//!
//! Beat grid: clips with a beat are first brought to one tempo (stretched in
//! time by at most ±8 %), and their candidate offsets d = τ − c are then only
//! those that put the clip's beats on the track's beat grid (d ≡ the clip's
//! beat phase, modulo the period). The common tempo is rounded so that a
//! beat is a whole number of frames ([`whole_frame_tempo`]): the grid is then
//! exact, and time equivariance holds for shifts by whole beats (tested with
//! the grid on). Splices between clips keep the beat spacing. Clips without
//! a beat (a chorale, a pad) keep every offset.
//!
//! Cost: the inner product of a candidate is a sum of band products along
//! the diagonal τ − c = d, kept in a sliding window as c advances, so a
//! (column, candidate frame) pair costs one pass over the rows (R multiply-
//! adds) plus O(1) per band whatever the patch size; the energies come from
//! summed-area tables. Work per step ≈ R·W·Σ_i (F_i − 2h) multiply-adds and
//! (R/16)·W·Σ_i (F_i − 2h) exponentials, for W track frames and F_i clip frames.
//!
//! The online softmax (running maximum, rescaled sums) is exact; a candidate
//! more than [`SKIP_LOGIT`] below the running maximum is skipped (its weight
//! is under e⁻³⁰ ≈ 10⁻¹³ of the best one's).
//!
//! Pictures here are frame-major: `frame · rows + row`, row 0 = 0 Hz.

/// The two layouts of a spectrogram picture (`audio::spectrogram`): the track
/// machine works frame-major, one frame of every band after another.
pub use crate::audio::spectrogram::{frame_major, row_major, transpose};
use crate::audio::tempo::{self, Pulse};

/// Rows per band: weights are shared by the 16 rows of a band (344 Hz).
pub const BAND: usize = 16;
/// Candidates this far below the running maximum logit are skipped.
pub const SKIP_LOGIT: f64 = 30.0;
/// Rigidity below this is the hard maximum (the one best patch).
pub const MIN_RIGIDITY: f32 = 0.01;
pub const MAX_RIGIDITY: f32 = 4.0;
/// Stretch factors a clip may be given to bring it to the candidates' common
/// tempo (±8 %: ordinary stretching stays inaudible well inside 0.5–2×).
pub const MAX_TEMPO_STRETCH: f32 = 0.08;

/// A patch's extent: `bands` (odd) bands of 16 rows by `frames` (odd) frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrackShape {
    pub bands: usize,
    pub frames: usize,
}

impl TrackShape {
    /// The schedule: the extent at timestep t of T. Early (t = T) the patch
    /// spans 33 bands (16 either side of its own) by 65 frames (0.75 s, a
    /// beat and a half at 126 BPM). A patch is centred on its band and
    /// clipped to the picture ([`TrackShape::span`]), so on a 32-band picture
    /// only bands 15 and 16 see the whole column; band 0 sees bands 0–16
    /// (0–5.9 kHz). Below t ≈ 965 of 1000 (a half-width under 16 bands) no
    /// band sees the whole column. Both shrink linearly to 5 bands (80 rows, 1.7 kHz)
    /// by 25 frames (0.29 s, over half a beat) at t = 0: late steps may take
    /// the detail of different registers from different clips, but never from
    /// a window shorter than half a beat, so onsets keep their spacing. (The
    /// prototype in `design-notes.md` lost the beat with 5 × 9 late patches
    /// and kept it with long ones.)
    pub fn at(t: u32, t_max: u32) -> Self {
        let u = f64::from(t) / f64::from(t_max.max(1));
        let m = (2.0 + 14.0 * u).round() as usize;
        let h = (12.0 + 20.0 * u).round() as usize;
        Self {
            bands: 2 * m + 1,
            frames: 2 * h + 1,
        }
    }

    /// A patch that is the whole column, of `frames` frames.
    pub fn whole_column(rows: usize, frames: usize) -> Self {
        let k = rows.div_ceil(BAND);
        Self {
            bands: 2 * k + 1,
            frames: frames | 1,
        }
    }

    pub fn rows(self) -> usize {
        self.bands * BAND
    }

    pub fn half_bands(self) -> usize {
        self.bands / 2
    }

    /// The bands [lo, hi] that the patch of band `band` covers on a picture
    /// of `bands` bands: centred on it, clipped to the picture.
    pub fn span(self, band: usize, bands: usize) -> (usize, usize) {
        let m = self.half_bands();
        (
            band.saturating_sub(m),
            (band + m).min(bands.saturating_sub(1)),
        )
    }

    pub fn half_frames(self) -> usize {
        self.frames / 2
    }
}

/// One clip as a candidate source: its picture (frame-major, possibly
/// stretched to the common tempo) and its energy table.
pub struct CandidateClip {
    /// Index of the clip in the archive the candidates were made from.
    pub clip: usize,
    pub frames: usize,
    pub data: Vec<f32>,
    /// Summed-area table of band energies Σ x² over (frames + 1) × (K + 1).
    energy: Vec<f64>,
    pub log_prior: f64,
    /// The clip's pulse before stretching, and the factor applied.
    pub pulse: Pulse,
    pub stretch: f32,
    /// Beat-carrying clips brought to the common tempo: the period (frames)
    /// and the clip's beat phase; candidates then keep beats on the track's
    /// beat grid (offsets d ≡ phase mod period).
    pub grid: Option<(f32, f32)>,
}

/// The clips a run draws from, with their prior weights.
pub struct Candidates {
    rows: usize,
    pub clips: Vec<CandidateClip>,
    /// The common tempo the beat-carrying clips were brought to, if any.
    pub tempo: Option<f32>,
}

/// Summed-area table of band energies of a frame-major picture.
fn energy_table(data: &[f32], rows: usize) -> Vec<f64> {
    let k = rows / BAND;
    let frames = data.len() / rows;
    let mut sat = vec![0.0f64; (frames + 1) * (k + 1)];
    for f in 0..frames {
        let mut run = 0.0f64;
        for b in 0..k {
            let e: f32 = data[f * rows + b * BAND..f * rows + (b + 1) * BAND]
                .iter()
                .map(|v| v * v)
                .sum();
            run += f64::from(e);
            sat[(f + 1) * (k + 1) + b + 1] = sat[f * (k + 1) + b + 1] + run;
        }
    }
    sat
}

/// Sum of a summed-area table over frames [f0, f1) and bands [k0, k1).
#[inline]
fn rect(sat: &[f64], k: usize, f0: usize, f1: usize, k0: usize, k1: usize) -> f64 {
    let w = k + 1;
    sat[f1 * w + k1] - sat[f0 * w + k1] - sat[f1 * w + k0] + sat[f0 * w + k0]
}

/// The tempo nearest `bpm` whose beat lasts a whole number of frames
/// (126 BPM: 41.01 frames → 41, 126.04 BPM; 127 BPM: 40.69 → 41). On such a
/// grid the allowed offsets φ + n·p are whole frames with no rounding, so a
/// track shifted by whole beats sees exactly the same candidates shifted; a
/// fractional period would move a fifth to a third of them by a frame. The
/// change of tempo is at most half a frame per beat (1.2 % at 130 BPM),
/// well inside the ±8 % a clip may be stretched.
pub fn whole_frame_tempo(bpm: f32) -> f32 {
    let period = (tempo::frames_per_minute() / bpm).round().max(1.0);
    tempo::frames_per_minute() / period
}

impl Candidates {
    /// The candidates from `clips` (frame-major pictures of `rows` rows) with
    /// prior weights `weights` (0 leaves a clip out; they are normalised).
    /// With `align`, clips with a beat whose tempo is within ±8 % of the
    /// median tempo of those clips are stretched in time to that tempo, so
    /// that splices between clips keep the beat spacing.
    pub fn new(clips: &[&[f32]], rows: usize, weights: &[f32], align: bool) -> Self {
        assert_eq!(rows % BAND, 0, "rows are whole bands");
        assert_eq!(clips.len(), weights.len(), "one weight per clip");
        let total: f64 = weights.iter().map(|&w| f64::from(w.max(0.0))).sum();
        let chosen: Vec<usize> = (0..clips.len()).filter(|&i| weights[i] > 0.0).collect();
        let pulses: Vec<Pulse> = chosen
            .iter()
            .map(|&i| tempo::pulse(clips[i], rows))
            .collect();
        let mut beats: Vec<f32> = pulses
            .iter()
            .filter(|p| p.is_beat())
            .map(|p| p.bpm)
            .collect();
        beats.sort_by(f32::total_cmp);
        let tempo = (align && !beats.is_empty()).then(|| {
            let n = beats.len();
            let median = if n % 2 == 1 {
                beats[n / 2]
            } else {
                0.5 * (beats[n / 2 - 1] + beats[n / 2])
            };
            whole_frame_tempo(median)
        });
        let clips = chosen
            .iter()
            .zip(pulses)
            .map(|(&i, pulse)| {
                // A clip at b BPM brought to T BPM lasts b/T as long.
                let stretch = match tempo {
                    Some(target) if pulse.is_beat() => {
                        let f = pulse.bpm / target;
                        if (f - 1.0).abs() <= MAX_TEMPO_STRETCH {
                            f
                        } else {
                            1.0
                        }
                    }
                    _ => 1.0,
                };
                let data = tempo::stretch(clips[i], rows, stretch);
                let grid = match tempo {
                    Some(target)
                        if stretch != 1.0
                            || (pulse.is_beat() && (pulse.bpm / target - 1.0).abs() < 1e-3) =>
                    {
                        // A whole number of frames (`whole_frame_tempo`).
                        let period = (tempo::frames_per_minute() / target).round();
                        Some((period, tempo::beat_phase(&data, rows, period)))
                    }
                    _ => None,
                };
                CandidateClip {
                    clip: i,
                    frames: data.len() / rows,
                    energy: energy_table(&data, rows),
                    data,
                    log_prior: (f64::from(weights[i]) / total).ln(),
                    pulse,
                    stretch,
                    grid,
                }
            })
            .collect();
        Self { rows, clips, tempo }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn bands(&self) -> usize {
        self.rows / BAND
    }

    /// (column, candidate frame) pairs one step evaluates for a track of
    /// `cols` frames: the work that sets a step's cost.
    pub fn pairs(&self, cols: usize, shape: TrackShape) -> u64 {
        (0..self.clips.len())
            .map(|j| {
                self.offsets(j, cols, shape.half_frames())
                    .into_iter()
                    .map(|d| {
                        let (lo, hi) =
                            valid_columns(self.clips[j].frames, cols, shape.half_frames(), d);
                        (hi + 1 - lo) as u64
                    })
                    .sum::<u64>()
            })
            .sum()
    }
}

impl Candidates {
    /// The offsets d = τ − c of clip j that a track of `cols` frames
    /// compares: every offset with a valid column, or on a beat grid only
    /// those ≡ the clip's beat phase (mod the period), rounded to frames.
    pub fn offsets(&self, j: usize, cols: usize, h: usize) -> Vec<isize> {
        let clip = &self.clips[j];
        let all = diagonals(clip.frames, cols, h);
        match clip.grid {
            None => all.collect(),
            Some((period, phase)) => {
                let on_grid: std::collections::BTreeSet<isize> = {
                    let (lo, hi) = (-(cols as f32), clip.frames as f32);
                    let first = ((lo - phase) / period).floor() as i64;
                    let last = ((hi - phase) / period).ceil() as i64;
                    (first..=last)
                        .map(|n| (phase + n as f32 * period).round() as isize)
                        .collect()
                };
                all.filter(|d| on_grid.contains(d)).collect()
            }
        }
    }
}

/// The factor 1 / (2·(1 − ᾱ)·ρ) that turns a squared distance into a
/// (negative) logit; below [`MIN_RIGIDITY`] a factor so large that only the
/// best patch keeps any weight.
pub fn logit_scale(alpha_bar: f64, rigidity: f32) -> f64 {
    let rho = f64::from(rigidity);
    let noise = (1.0 - alpha_bar).max(1e-12);
    if rho >= f64::from(MIN_RIGIDITY) {
        1.0 / (2.0 * noise * rho)
    } else {
        1e9 / (2.0 * noise)
    }
}

impl Candidates {
    /// One call's work for a track of `cols` frames and patches of half
    /// length `h`: the diagonals (candidate clip, d) in the order both paths
    /// take them, and each clip's log prior per candidate, ln π_i − ln n_i: a
    /// clip's prior mass is shared by its n_i offsets, so over the whole
    /// track a clip on a beat grid (fewer offsets) weighs as much as one
    /// without; at one column its mass swings by about ±4 % with the beat
    /// phase (tested in `tests/track.rs`).
    pub fn plan(&self, cols: usize, h: usize) -> (Vec<(u16, isize)>, Vec<f64>) {
        let mut log_prior = Vec::with_capacity(self.clips.len());
        let mut todo = Vec::new();
        for (j, clip) in self.clips.iter().enumerate() {
            let offsets = self.offsets(j, cols, h);
            log_prior.push(clip.log_prior - (offsets.len().max(1) as f64).ln());
            todo.extend(offsets.into_iter().map(|d| (j as u16, d)));
        }
        (todo, log_prior)
    }

    /// The track columns c of diagonal d of clip j whose windows lie inside
    /// the clip: [lo, hi].
    pub fn columns(&self, j: usize, cols: usize, h: usize, d: isize) -> (usize, usize) {
        valid_columns(self.clips[j].frames, cols, h, d)
    }
}

/// The offsets d = τ − c that have at least one valid column.
fn diagonals(frames: usize, cols: usize, h: usize) -> impl Iterator<Item = isize> {
    let (f, w) = (frames as isize, cols as isize);
    (-(w - 1)..f).filter(move |&d| {
        let (lo, hi) = valid_range(f, w, h as isize, d);
        lo <= hi
    })
}

/// Columns c whose clipped window [max(0, c − h), min(W − 1, c + h)] moved by
/// d lies inside the clip's frames [0, F).
fn valid_range(f: isize, w: isize, h: isize, d: isize) -> (isize, isize) {
    let lo = if d >= 0 { 0 } else { h - d };
    let hi = if w - 1 + d < f { w - 1 } else { f - 1 - d - h };
    (lo.max(0), hi.min(w - 1))
}

fn valid_columns(frames: usize, cols: usize, h: usize, d: isize) -> (usize, usize) {
    let (lo, hi) = valid_range(frames as isize, cols as isize, h as isize, d);
    (lo as usize, hi as usize)
}

/// Where one (band, column) of x̂0 came from: the candidate with the largest
/// weight and that weight's share.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Source {
    /// Index of the clip in the archive (`CandidateClip::clip`).
    pub clip: u16,
    /// The candidate's centre frame τ in the (stretched) clip.
    pub frame: u16,
    pub share: f32,
}

/// The machine's answer: x̂0 (frame-major) and the source of every (band,
/// column), column-major (`c · K + k`).
#[derive(Clone, Debug)]
pub struct TrackDenoised {
    pub x0: Vec<f32>,
    pub sources: Vec<Source>,
    /// (frame, candidate frame) pairs evaluated, and (band, frame, candidate)
    /// cells skipped (under e⁻³⁰ of the best).
    pub pairs: u64,
    pub skipped: u64,
}

/// One denoiser call in progress: the online softmax state of every (band,
/// column), filled one diagonal (clip, d) at a time so that the browser can
/// slice the work.
pub struct TrackPass {
    x: Vec<f32>,
    cols: usize,
    rows: usize,
    shape: TrackShape,
    sqrt_a: f64,
    alpha: f64,
    inv: f64,
    x_energy: Vec<f64>,
    /// ln π_i − ln(offsets of clip i), per candidate clip.
    log_prior: Vec<f64>,
    max: Vec<f64>,
    sum: Vec<f64>,
    acc: Vec<f32>,
    best: Vec<Source>,
    /// The diagonals still to do, (candidate index, d).
    todo: Vec<(u16, isize)>,
    next: usize,
    pairs: u64,
    skipped: u64,
}

impl TrackPass {
    /// Starts a call on x_t (`cols` frames, frame-major) at ᾱ with rigidity ρ.
    pub fn new(
        cands: &Candidates,
        x_t: &[f32],
        cols: usize,
        alpha_bar: f64,
        shape: TrackShape,
        rigidity: f32,
    ) -> Self {
        let rows = cands.rows;
        assert_eq!(x_t.len(), rows * cols, "x_t is rows × cols");
        let k = rows / BAND;
        let h = shape.half_frames();
        let (todo, log_prior) = cands.plan(cols, h);
        let inv = logit_scale(alpha_bar, rigidity);
        Self {
            x: x_t.to_vec(),
            cols,
            rows,
            shape,
            sqrt_a: alpha_bar.sqrt(),
            alpha: alpha_bar,
            inv,
            x_energy: energy_table(x_t, rows),
            log_prior,
            max: vec![f64::NEG_INFINITY; k * cols],
            sum: vec![0.0; k * cols],
            acc: vec![0.0; rows * cols],
            best: vec![Source::default(); k * cols],
            todo,
            next: 0,
            pairs: 0,
            skipped: 0,
        }
    }

    /// (frame, candidate frame) pairs evaluated so far.
    pub fn pairs_done(&self) -> u64 {
        self.pairs
    }

    /// (diagonals done, diagonals in all).
    pub fn progress(&self) -> (usize, usize) {
        (self.next, self.todo.len())
    }

    pub fn is_complete(&self) -> bool {
        self.next >= self.todo.len()
    }

    /// Runs up to `n` more diagonals.
    pub fn work(&mut self, cands: &Candidates, n: usize) {
        let end = (self.next + n).min(self.todo.len());
        let k = self.rows / BAND;
        let l = self.shape.frames;
        let mut ring = vec![0.0f32; l * k];
        let mut s = vec![0.0f64; k];
        let mut pre = vec![0.0f64; k + 1];
        for u in self.next..end {
            let (j, d) = self.todo[u];
            self.diagonal(cands, j as usize, d, &mut ring, &mut s, &mut pre);
        }
        self.next = end;
    }

    /// Runs every remaining diagonal.
    pub fn run(&mut self, cands: &Candidates) {
        self.work(cands, usize::MAX);
    }

    #[allow(clippy::too_many_arguments)]
    fn diagonal(
        &mut self,
        cands: &Candidates,
        j: usize,
        d: isize,
        ring: &mut [f32],
        s: &mut [f64],
        pre: &mut [f64],
    ) {
        let clip = &cands.clips[j];
        let (rows, cols) = (self.rows, self.cols);
        let k = rows / BAND;
        let h = self.shape.half_frames();
        let m = self.shape.half_bands();
        let l = self.shape.frames;
        let (lo, hi) = valid_columns(clip.frames, cols, h, d);
        self.pairs += (hi + 1 - lo) as u64;
        let col = |c: usize| (c as isize + d) as usize;
        let prior = self.log_prior[j];
        s.iter_mut().for_each(|v| *v = 0.0);
        // The window of the first column.
        let (w0, w1) = (lo.saturating_sub(h), (lo + h).min(cols - 1));
        for c in w0..=w1 {
            self.enter(clip, c, col(c), ring, s, l, k);
        }
        for c in lo..=hi {
            if c > lo {
                // Slide: drop c − 1 − h, add c + h.
                if c > h {
                    let out = c - 1 - h;
                    let slot = &ring[(out % l) * k..(out % l + 1) * k];
                    for (v, &p) in s.iter_mut().zip(slot) {
                        *v -= f64::from(p);
                    }
                }
                if c + h < cols {
                    self.enter(clip, c + h, col(c + h), ring, s, l, k);
                }
            }
            pre[0] = 0.0;
            for b in 0..k {
                pre[b + 1] = pre[b] + s[b];
            }
            let (c0, c1) = (c.saturating_sub(h), (c + h + 1).min(cols));
            let tau = col(c);
            let (f0, f1) = (col(c0), col(c1 - 1) + 1);
            let src = &clip.data[tau * rows..(tau + 1) * rows];
            for b in 0..k {
                let (k0, k1) = (b.saturating_sub(m), (b + m + 1).min(k));
                let q = rect(&self.x_energy, k, c0, c1, k0, k1);
                let e = rect(&clip.energy, k, f0, f1, k0, k1);
                let cross = pre[k1] - pre[k0];
                let d2 = q - 2.0 * self.sqrt_a * cross + self.alpha * e;
                let logit = -d2 * self.inv + prior;
                let at = c * k + b;
                let acc = &mut self.acc[c * rows + b * BAND..c * rows + (b + 1) * BAND];
                let band = &src[b * BAND..(b + 1) * BAND];
                if logit > self.max[at] {
                    let scale = (self.max[at] - logit).exp();
                    self.sum[at] = self.sum[at] * scale + 1.0;
                    let sc = scale as f32;
                    for (a, &v) in acc.iter_mut().zip(band) {
                        *a = *a * sc + v;
                    }
                    self.max[at] = logit;
                    self.best[at] = Source {
                        clip: clip.clip as u16,
                        frame: tau as u16,
                        share: 0.0,
                    };
                } else {
                    let diff = logit - self.max[at];
                    if diff < -SKIP_LOGIT {
                        self.skipped += 1;
                        continue;
                    }
                    let w = diff.exp();
                    self.sum[at] += w;
                    let wf = w as f32;
                    for (a, &v) in acc.iter_mut().zip(band) {
                        *a += wf * v;
                    }
                }
            }
        }
    }

    /// Adds column c of x_t against clip frame f to the window sums.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    fn enter(
        &self,
        clip: &CandidateClip,
        c: usize,
        f: usize,
        ring: &mut [f32],
        s: &mut [f64],
        l: usize,
        k: usize,
    ) {
        let rows = self.rows;
        let a = &self.x[c * rows..(c + 1) * rows];
        let b = &clip.data[f * rows..(f + 1) * rows];
        let slot = &mut ring[(c % l) * k..(c % l + 1) * k];
        for ((o, ca), cb) in slot
            .iter_mut()
            .zip(a.chunks_exact(BAND))
            .zip(b.chunks_exact(BAND))
        {
            let mut lanes = [0.0f32; 8];
            for q in 0..BAND / 8 {
                for (z, lane) in lanes.iter_mut().enumerate() {
                    *lane += ca[q * 8 + z] * cb[q * 8 + z];
                }
            }
            *o = lanes.iter().sum();
        }
        for (v, &p) in s.iter_mut().zip(slot.iter()) {
            *v += f64::from(p);
        }
    }

    /// Keeps every `count`-th diagonal from the `index`-th: one worker's
    /// share of the call (the shares' partials merge into the whole call).
    pub fn share(mut self, index: usize, count: usize) -> Self {
        let count = count.max(1);
        self.todo = self.todo.into_iter().skip(index).step_by(count).collect();
        self.next = 0;
        self
    }

    /// The online softmax state so far, to merge with other shares'.
    pub fn into_partial(self) -> TrackPartial {
        TrackPartial {
            rows: self.rows,
            cols: self.cols,
            max: self.max,
            sum: self.sum,
            acc: self.acc,
            best: self.best,
            pairs: self.pairs,
            skipped: self.skipped,
        }
    }

    /// x̂0 and the sources, once every diagonal is done.
    pub fn finish(self) -> TrackDenoised {
        self.into_partial().finish()
    }
}

/// The online softmax state of a call or of a share of it: per (band,
/// frame) the running maximum logit, the sum of weights relative to it and
/// the best candidate; per (frame, row) the weighted sum of values.
#[derive(Clone, Debug)]
pub struct TrackPartial {
    pub rows: usize,
    pub cols: usize,
    pub max: Vec<f64>,
    pub sum: Vec<f64>,
    pub acc: Vec<f32>,
    pub best: Vec<Source>,
    pub pairs: u64,
    pub skipped: u64,
}

impl TrackPartial {
    /// Adds another share of the same call: with m = max(m₁, m₂), the sums
    /// become s₁·e^(m₁−m) + s₂·e^(m₂−m) and the weighted values likewise;
    /// the best candidate is the one with the larger maximum (the earlier
    /// share's on a tie, as one pass would keep the first).
    pub fn merge(&mut self, other: &TrackPartial) {
        assert_eq!(
            (self.rows, self.cols),
            (other.rows, other.cols),
            "shares of one call"
        );
        let k = self.rows / BAND;
        for at in 0..k * self.cols {
            let (m1, m2) = (self.max[at], other.max[at]);
            if m2 == f64::NEG_INFINITY {
                continue;
            }
            let m = m1.max(m2);
            let (a, b) = ((m1 - m).exp(), (m2 - m).exp());
            self.sum[at] = self.sum[at] * a + other.sum[at] * b;
            let (c, band) = (at / k, at % k);
            let span = c * self.rows + band * BAND..c * self.rows + (band + 1) * BAND;
            let (af, bf) = (a as f32, b as f32);
            for (x, &y) in self.acc[span.clone()].iter_mut().zip(&other.acc[span]) {
                *x = *x * af + y * bf;
            }
            if m2 > m1 {
                self.best[at] = other.best[at];
            }
            self.max[at] = m;
        }
        self.pairs += other.pairs;
        self.skipped += other.skipped;
    }

    /// x̂0 and the sources.
    pub fn finish(self) -> TrackDenoised {
        let (rows, k) = (self.rows, self.rows / BAND);
        let mut x0 = self.acc;
        let mut sources = self.best;
        for c in 0..self.cols {
            for b in 0..k {
                let at = c * k + b;
                let z = self.sum[at];
                let inv = if z > 0.0 { (1.0 / z) as f32 } else { 0.0 };
                for v in &mut x0[c * rows + b * BAND..c * rows + (b + 1) * BAND] {
                    *v *= inv;
                }
                sources[at].share = inv;
            }
        }
        TrackDenoised {
            x0,
            sources,
            pairs: self.pairs,
            skipped: self.skipped,
        }
    }
}

/// One whole denoiser call (the reference the sliced pass must equal).
pub fn denoise(
    cands: &Candidates,
    x_t: &[f32],
    cols: usize,
    alpha_bar: f64,
    shape: TrackShape,
    rigidity: f32,
) -> TrackDenoised {
    let mut pass = TrackPass::new(cands, x_t, cols, alpha_bar, shape, rigidity);
    pass.run(cands);
    pass.finish()
}
