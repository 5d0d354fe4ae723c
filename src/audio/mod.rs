//! Sound: the STFT and its inverse, phase reconstruction (fast Griffin–Lim),
//! WAV files in and out, and sound as a 512 × 512 spectrogram picture that the
//! samplers can noise and denoise, tempo and stretching of those pictures, and
//! extreme slowing of a sound (Paulstretch and tape) for Swim.

pub mod griffin_lim;
pub mod pghi;
pub mod spectrogram;
pub mod stft;
pub mod stretch;
pub mod tempo;
pub mod wav;
