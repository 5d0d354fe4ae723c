//! Swim's pictures: a picture dissolving slowly, over the whole length of the
//! piece, into a background of static that denoisers made when asked for
//! noise. Frame at position τ ∈ [0, 1] of the piece:
//!
//!   x(τ) = √ᾱ(t)·x0 + √(1 − ᾱ(t))·b(τ),  t = τ·T on the schedule,
//!
//! the forward process of Dissolve, except that the noise is not white: b(τ)
//! is the background, the denoisers' static exactly as they made it (as
//! “Ask for noise” shows it: its values, colours and brightness untouched),
//! blended linearly from one picture to the next. Its power E[b²] is the
//! static's own, not 1, so the picture's share of the power is worded from
//! both powers (`picture_share`). ᾱ is interpolated linearly between whole
//! timesteps, so t is continuous; the background changes only as slowly as it
//! blends, so nothing flickers: at 30 frames a second over 9 minutes no value
//! moves by 0.01 (of the range −1…1) from one frame to the next (tested). At
//! τ = 0 the frame is the picture; at τ = 1 it is the background's static as
//! the denoiser made it, the picture gone.
//!
//! (Until 2026-12-07 each background was standardised to unit power: its
//! values then sat at ±1 and clipped, and the end of the piece was loud,
//! saturated colour speckle, unlike the static the same denoisers show.)

use thiserror::Error;

use super::schedule::Schedule;
use crate::image::dissolve_words::picture_share;
use crate::image::{ImageField, CHANNELS};

#[derive(Debug, Error, PartialEq)]
pub enum SwimError {
    #[error("Swim needs at least one background picture")]
    NoBackground,
    #[error("the picture is {width} × {height}; Swim's frames are square")]
    NotSquare { width: u32, height: u32 },
    #[error("background picture {0} is flat (it has no grain to dissolve into)")]
    FlatBackground(usize),
}

pub struct Swim {
    edge: u32,
    picture: Vec<f32>,
    /// E[x0²] of the picture.
    picture_power: f64,
    fields: Vec<Vec<f32>>,
    /// E[b_j²] of each background picture, and E[b_j·b_{j+1}] of each with the next.
    powers: Vec<f64>,
    cross: Vec<f64>,
    /// How many background pictures the piece is made of when all are
    /// there; fewer may be ready (the page makes the slow ones while the
    /// piece plays), and the last one ready stands in for those still to come.
    slots: usize,
    schedule: Schedule,
}

/// E[a·b] over the values of two pictures of one size (E[a²] with a = b).
fn mean_product(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&p, &q)| f64::from(p) * f64::from(q))
        .sum::<f64>()
        / a.len().max(1) as f64
}

/// `src` (any size) at `edge` × `edge` by nearest neighbour: static keeps its grain.
fn nearest(src: &ImageField, edge: u32) -> Vec<f32> {
    let (w, h) = (src.width() as usize, src.height() as usize);
    let n = (edge * edge) as usize;
    let mut out = vec![0.0; n * CHANNELS];
    for c in 0..CHANNELS {
        for y in 0..edge as usize {
            let sy = y * h / edge as usize;
            for x in 0..edge as usize {
                let sx = x * w / edge as usize;
                out[c * n + y * edge as usize + x] = src.data()[c * w * h + sy * w + sx];
            }
        }
    }
    out
}

impl Swim {
    /// The piece for `picture` (square) dissolving into `backgrounds` (any
    /// size; shown at the picture's size) on `schedule`.
    pub fn new(
        picture: &ImageField,
        backgrounds: &[ImageField],
        schedule: Schedule,
    ) -> Result<Self, SwimError> {
        if picture.width() != picture.height() {
            return Err(SwimError::NotSquare {
                width: picture.width(),
                height: picture.height(),
            });
        }
        if backgrounds.is_empty() {
            return Err(SwimError::NoBackground);
        }
        let edge = picture.width();
        let fields = backgrounds
            .iter()
            .enumerate()
            .map(|(k, b)| {
                let f = nearest(b, edge);
                let mean = f.iter().map(|&v| f64::from(v)).sum::<f64>() / f.len() as f64;
                // Variance: the power less the squared mean.
                if mean_product(&f, &f) - mean * mean < 1e-8 {
                    return Err(SwimError::FlatBackground(k));
                }
                Ok(f)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let powers = fields.iter().map(|f| mean_product(f, f)).collect();
        let cross = fields
            .windows(2)
            .map(|w| mean_product(&w[0], &w[1]))
            .collect();
        let picture_power = mean_product(picture.data(), picture.data());
        Ok(Self {
            edge,
            picture: picture.data().to_vec(),
            picture_power,
            slots: fields.len(),
            fields,
            powers,
            cross,
            schedule,
        })
    }

    pub fn edge(&self) -> u32 {
        self.edge
    }

    /// ᾱ at position τ of the piece: t = τ·T, linear between whole timesteps.
    pub fn alpha_bar(&self, tau: f64) -> f64 {
        let t = tau.clamp(0.0, 1.0) * f64::from(self.schedule.steps());
        let (lo, f) = (t.floor(), t - t.floor());
        let a = self.schedule.alpha_bar(lo as u32);
        let b = self
            .schedule
            .alpha_bar((lo as u32 + 1).min(self.schedule.steps()));
        a + (b - a) * f
    }

    /// The picture's power E[x0²] (mean included), measured once.
    pub fn picture_power(&self) -> f64 {
        self.picture_power
    }

    /// The picture's share of the frame's power at τ: ᾱ(τ)·E[x0²] against
    /// (1 − ᾱ(τ))·E[b(τ)²], the static's own power at τ. Not ᾱ(τ) itself,
    /// which is the share only when both powers are equal.
    pub fn picture_share(&self, tau: f64) -> f64 {
        picture_share(
            self.alpha_bar(tau),
            self.picture_power,
            self.background_power(tau),
        )
    }

    /// E[b(τ)²], from each picture's power and its product with the next.
    pub fn background_power(&self, tau: f64) -> f64 {
        let (j, w) = self.blend(tau);
        if w == 0.0 {
            return self.powers[j];
        }
        let v = 1.0 - w;
        v * v * self.powers[j] + w * w * self.powers[j + 1] + 2.0 * v * w * self.cross[j]
    }

    /// Which pictures make the background at τ: picture j, blending into
    /// j + 1 with weight w (0 where there is no next picture ready).
    fn blend(&self, tau: f64) -> (usize, f64) {
        let last = self.slots - 1;
        let ready = self.fields.len() - 1;
        let u = tau.clamp(0.0, 1.0) * last as f64;
        let j = (u.floor() as usize).min(last.saturating_sub(1));
        if last == 0 || j >= ready {
            return (j.min(ready), 0.0);
        }
        (j, (u - j as f64).clamp(0.0, 1.0))
    }

    /// The same piece made of `slots` background pictures, of which those
    /// given to `new` are the first (at least as many as were given): its
    /// timing is that of the whole piece, and once all are given its frames
    /// are those of the whole piece.
    pub fn expecting(mut self, slots: usize) -> Self {
        self.slots = slots.max(self.fields.len());
        self
    }

    /// The background's static at τ: picture j blending linearly into j + 1,
    /// over `slots` pictures; a picture not yet given is the last one given.
    pub fn background(&self, tau: f64) -> Vec<f32> {
        let (j, w) = self.blend(tau);
        if w == 0.0 {
            return self.fields[j].clone();
        }
        let (a, b) = ((1.0 - w) as f32, w as f32);
        self.fields[j]
            .iter()
            .zip(&self.fields[j + 1])
            .map(|(&p, &q)| a * p + b * q)
            .collect()
    }

    /// The frame at τ ∈ [0, 1].
    pub fn frame(&self, tau: f64) -> ImageField {
        let a = self.alpha_bar(tau);
        let (signal, noise) = (a.sqrt() as f32, (1.0 - a).max(0.0).sqrt() as f32);
        let data = self
            .picture
            .iter()
            .zip(self.background(tau))
            .map(|(&x, b)| signal * x + noise * b)
            .collect();
        ImageField::from_planar(self.edge, self.edge, data)
    }
}
