//! Hypothetical: how diffusion models turn culture into noise and noise into
//! "hypothetical" images and sounds, computed live on the visitor's device.
//!
//! Every module but `web` is pure Rust without any web dependency (pictures,
//! spectra and Dissolve's words; the archive and its datasets; denoisers and
//! the sampler; sound: STFT, Griffin–Lim, WAV, spectrogram pictures). `gpu` holds the wgpu context and one
//! host file per WGSL kernel; `backend` chooses between GPU and CPU; `web` is the
//! only module that touches wasm-bindgen.

pub mod archive;
pub mod backend;
pub mod calibration;
pub mod dataset;
pub mod denoise;
pub mod dissolve_words;
pub mod generate;
pub mod gpu;
pub mod griffin_lim;
pub mod image;
pub mod noising;
pub mod rng;
pub mod sampler;
pub mod schedule;
pub mod sniff;
pub mod sound;
pub mod spectrum;
pub mod stft;
pub mod wav;

#[cfg(target_arch = "wasm32")]
pub mod web;
