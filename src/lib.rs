//! Hypothetical: how diffusion models turn culture into noise and noise into
//! "hypothetical" images and sounds, computed live on the visitor's device.
//!
//! - [`archive`]: the credited archive and its items as sampler datasets.
//! - [`image`]: picture fields, their power spectrum and Dissolve's words,
//!   and the sniffing of a visitor's image file.
//! - [`audio`]: STFT, Griffin–Lim, WAV, sound as a spectrogram picture.
//! - [`forward`]: noise schedules, forward noising, Swim's frames.
//! - [`diffusion`]: the sampler, sampling runs on either path, their
//!   provenance, and the readers.
//! - [`denoise`]: the denoisers (x̂0 given x_t) as CPU references.
//! - [`gpu`]: the wgpu context and one host file beside each WGSL kernel.
//! - [`backend`]: forward noising on either path, and the measurements that
//!   choose a path per kernel.
//! - [`rng`]: counter-based random numbers identical on CPU and GPU.
//! - `web` (wasm32 only): the wasm-bindgen bindings, the only module that
//!   touches the browser.

pub mod archive;
pub mod audio;
pub mod backend;
pub mod denoise;
pub mod diffusion;
pub mod forward;
pub mod gpu;
pub mod image;
pub mod rng;

#[cfg(target_arch = "wasm32")]
pub mod web;
