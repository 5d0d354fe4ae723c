//! The diffusion process itself: noise schedules, the forward process
//! (noising), the reverse process (the sampler, a plain state machine), one
//! sampling run that owns a sampler and its denoisers on either path, and
//! what a run says about its sources.

pub mod cpu;
pub mod provenance;
pub mod reading;
pub mod run;
pub mod sampler;
pub mod slot;
pub mod track;
pub mod track_reading;
