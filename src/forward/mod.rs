//! The forward process: noise schedules (ᾱ over t), noising a picture
//! x_t = √ᾱ·x0 + √(1−ᾱ)·ε with seeded noise, and Swim's frames, which are the
//! same mixture with a background made by the denoisers in place of ε.
//! Dissolve, Swim, the sampler and the GPU's noise kernel all build on it.

pub mod noising;
pub mod schedule;
pub mod swim;
