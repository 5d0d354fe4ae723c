//! Tempo from a spectrogram picture, and stretching a picture in time.
//!
//! Onset strength is the spectral flux of the picture (Bello et al. 2005):
//! o(f) = Σ_r max(0, p(r, f) − p(r, f − 1)) over the rows, in picture units
//! (one unit = 45 dB), with its mean removed. The pulse is the normalised
//! autocorrelation of o,
//!
//!   ρ(L) = Σ_f o(f)·o(f + L) / Σ_f o(f)²,
//!
//! which is near 0 at every lag for white noise or a steady texture and rises
//! at the beat period for music with a beat. A beat period of L frames is
//! 60·SAMPLE_RATE / (HOP·L) BPM (41 frames ≈ 126 BPM at 22,050 Hz, hop 256).
//! Whole-frame lags resolve tempo only to ±1.5 BPM near 126, so the period is
//! refined from the peak near four beats (one bar) with a parabola through
//! the three lags around it.
//!
//! Pictures are frame-major here (`frame · rows + row`), the layout of
//! `denoise::track`.

use crate::archive::SAMPLE_RATE;
use crate::audio::stft::HOP;

/// Slowest and fastest tempi searched (BPM).
pub const MIN_BPM: f32 = 60.0;
pub const MAX_BPM: f32 = 200.0;
/// A pulse weaker than this (ρ at the beat period) is no beat: white noise
/// and the archive's noises measure 0.07–0.15, its techno clips 0.63–0.80.
pub const PULSE_THRESHOLD: f32 = 0.3;
/// The centre of the tempo prior (BPM).
pub const PRIOR_BPM: f32 = 120.0;

/// Frames per minute of picture columns.
pub fn frames_per_minute() -> f32 {
    60.0 * SAMPLE_RATE as f32 / HOP as f32
}

/// BPM of a beat period in frames.
pub fn bpm_of_period(frames: f32) -> f32 {
    frames_per_minute() / frames
}

/// The onset strength of a frame-major picture, mean removed (one value per
/// frame; the first is 0).
pub fn onset_strength(picture: &[f32], rows: usize) -> Vec<f32> {
    let frames = picture.len() / rows;
    let mut o = vec![0.0f32; frames];
    for f in 1..frames {
        let (prev, cur) = (
            &picture[(f - 1) * rows..f * rows],
            &picture[f * rows..(f + 1) * rows],
        );
        o[f] = cur.iter().zip(prev).map(|(&c, &p)| (c - p).max(0.0)).sum();
    }
    let mean = o.iter().map(|&v| f64::from(v)).sum::<f64>() / frames.max(1) as f64;
    o.iter_mut().for_each(|v| *v -= mean as f32);
    o
}

/// ρ(L) for L = 0 … max_lag (ρ(0) = 1; all zeros for a constant signal).
pub fn autocorrelation(o: &[f32], max_lag: usize) -> Vec<f32> {
    let e: f64 = o.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
    (0..=max_lag)
        .map(|l| {
            if e <= 0.0 || l >= o.len() {
                return 0.0;
            }
            let s: f64 = o[..o.len() - l]
                .iter()
                .zip(&o[l..])
                .map(|(&a, &b)| f64::from(a) * f64::from(b))
                .sum();
            (s / e) as f32
        })
        .collect()
}

/// What the pulse of a picture measures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pulse {
    /// ρ at the beat period (the highest peak between MIN_BPM and MAX_BPM).
    pub strength: f32,
    /// The beat period in frames, refined to a fraction of a frame.
    pub period: f32,
    /// 60·SAMPLE_RATE / (HOP·period).
    pub bpm: f32,
}

impl Pulse {
    /// Whether the pulse is strong enough to be called a beat.
    pub fn is_beat(&self) -> bool {
        self.strength >= PULSE_THRESHOLD
    }
}

/// Parabolic peak position around integer index i of `v`.
fn refine(v: &[f32], i: usize) -> f32 {
    if i == 0 || i + 1 >= v.len() {
        return i as f32;
    }
    let (a, b, c) = (v[i - 1], v[i], v[i + 1]);
    let den = a - 2.0 * b + c;
    if den.abs() < 1e-12 {
        i as f32
    } else {
        i as f32 + (0.5 * (a - c) / den).clamp(-0.5, 0.5)
    }
}

/// The pulse of a frame-major picture with `rows` rows.
pub fn pulse(picture: &[f32], rows: usize) -> Pulse {
    let o = onset_strength(picture, rows);
    let fpm = frames_per_minute();
    let (lo, hi) = (
        (fpm / MAX_BPM).floor() as usize,
        (fpm / MIN_BPM).ceil() as usize,
    );
    let rho = autocorrelation(&o, 4 * hi + 2);
    // The peak under a log-normal tempo prior centred at 120 BPM with one
    // octave of spread (librosa's beat tracker uses the same kind of prior):
    // it settles the octave when a beat and two beats correlate alike.
    let prior = |l: usize| {
        let octaves = (bpm_of_period(l as f32) / PRIOR_BPM).log2();
        (-0.5 * octaves * octaves).exp()
    };
    let mut best = lo;
    for l in lo..=hi.min(rho.len() - 2) {
        if rho[l] * prior(l) > rho[best] * prior(best) {
            best = l;
        }
    }
    let strength = rho[best].max(0.0);
    // One bar = four beats: the peak within ±2 frames of 4·best, refined.
    let four = 4 * best;
    let period = if four + 3 < rho.len() {
        let mut b4 = four - 2;
        for l in four - 2..=four + 2 {
            if rho[l] > rho[b4] {
                b4 = l;
            }
        }
        refine(&rho, b4) / 4.0
    } else {
        refine(&rho, best)
    };
    Pulse {
        strength,
        period,
        bpm: bpm_of_period(period),
    }
}

/// ρ at a tempo (linear interpolation between lags): how strongly the picture
/// pulses at `bpm`.
pub fn pulse_at(picture: &[f32], rows: usize, bpm: f32) -> f32 {
    let o = onset_strength(picture, rows);
    let lag = frames_per_minute() / bpm;
    let rho = autocorrelation(&o, lag.ceil() as usize + 1);
    let i = lag.floor() as usize;
    let f = lag - i as f32;
    rho[i] * (1.0 - f) + rho[(i + 1).min(rho.len() - 1)] * f
}

/// Stretches a frame-major picture in time by `factor` (> 1: longer, slower):
/// output frame j reads input position j / factor, interpolated linearly
/// between frames (a picture's columns, in decibel units: the phase is made
/// afresh by Griffin–Lim, so no phase vocoder is needed).
pub fn stretch(picture: &[f32], rows: usize, factor: f32) -> Vec<f32> {
    let frames = picture.len() / rows;
    if frames < 2 || (factor - 1.0).abs() < 1e-6 {
        return picture.to_vec();
    }
    let out_frames = (((frames - 1) as f32) * factor).floor() as usize + 1;
    let mut out = vec![0.0f32; out_frames * rows];
    for j in 0..out_frames {
        let pos = (j as f32 / factor).min((frames - 1) as f32);
        let i = (pos.floor() as usize).min(frames - 2);
        let f = pos - i as f32;
        let (a, b) = (
            &picture[i * rows..(i + 1) * rows],
            &picture[(i + 1) * rows..(i + 2) * rows],
        );
        for (o, (&x, &y)) in out[j * rows..(j + 1) * rows]
            .iter_mut()
            .zip(a.iter().zip(b))
        {
            *o = x + f * (y - x);
        }
    }
    out
}

/// The beat phase of a frame-major picture whose beat period is `period`
/// frames: the offset φ in [0, period) whose comb φ + n·period collects the
/// most onset strength (Σ_n o(round(φ + n·period))), in whole frames.
pub fn beat_phase(picture: &[f32], rows: usize, period: f32) -> f32 {
    let o = onset_strength(picture, rows);
    let mut best = (0usize, f32::NEG_INFINITY);
    for phi in 0..period.ceil() as usize {
        let mut s = 0.0f32;
        let mut n = 0usize;
        loop {
            let at = (phi as f32 + n as f32 * period).round() as usize;
            if at >= o.len() {
                break;
            }
            s += o[at];
            n += 1;
        }
        if s > best.1 {
            best = (phi, s);
        }
    }
    best.0 as f32
}
