//! Sound as a picture: the "Sounds Like Music" scene's core.
//!
//! Every sound is mono at [`SAMPLE_RATE`] and fitted to a window of
//! [`WINDOW`] = 131,072 samples (5.94 s). Its STFT (`stft::Stft::standard()`:
//! periodic Hann, n_fft 1024, hop 256, centred with zero padding) has 513
//! frames × 513 bins; the picture keeps bins 0–511 (0–11,003 Hz; the Nyquist
//! bin is dropped) and frames 0–511 (the last frame, centred on the final
//! padded sample, is dropped): a square of [`EDGE`] = 512, row = frequency bin
//! (row 0 = 0 Hz), column = frame.
//!
//! A value is the magnitude in decibels, 20·log10|X| (0 dB = an STFT magnitude
//! of 1; a full-scale sine reads about +48 dB), clamped to
//! [[`FLOOR_DB`], [`TOP_DB`]] = [−50, +40] dB and mapped linearly to [−1, 1],
//! the range the samplers work in. On the archive's clips (all at −23 LUFS)
//! the loudest bin is +44 dB (brown noise) and the median −24 dB; below −50 dB
//! a bin is more than 95 dB under a full-scale tone and is inaudible.
//!
//! Back to sound: the decibels become magnitudes (the floor becomes silence;
//! the Nyquist bin is silent and the last frame repeats the one before), fast
//! Griffin–Lim finds phases, and [`level`] sets the loudness.

use crate::audio::griffin_lim::{griffin_lim, MOMENTUM};
use crate::audio::stft::{frame_count, Stft, HOP, N_FFT};
use crate::rng::fill_gaussian_planar;

/// The archive's sample rate (Hz), defined once in `archive`.
pub use crate::archive::SAMPLE_RATE;
/// Samples per window: the archive's clip length, 2^17, 5.94 s at 22,050 Hz.
pub const WINDOW: usize = crate::archive::CLIP_SAMPLES as usize;
/// The picture's side: frequency bins and frames kept.
pub const EDGE: usize = 512;
pub const TOP_DB: f32 = 40.0;
pub const FLOOR_DB: f32 = -50.0;

/// How the pictures are made, for a run's settings line.
pub fn describe_pictures() -> String {
    format!("spectrogram pictures: n_fft {N_FFT}, hop {HOP}, {FLOOR_DB}…{TOP_DB} dB")
}
/// Iterations of fast Griffin–Lim for a finished result (the steps' previews
/// use `griffin_lim::DEFAULT_ITERS` = 32). On the archive's clips 64 iterations
/// reach a spectral convergence of 0.03–0.06 (32: 0.046–0.075).
pub const FINAL_ITERS: usize = 64;
/// The RMS level sounds are played and saved at: −20 dBFS.
pub const TARGET_RMS: f32 = 0.1;
/// The limiter is the identity up to this amplitude…
pub const LIMIT_KNEE: f32 = 0.5;
/// …and never exceeds this one (−0.45 dBFS).
pub const LIMIT_CEILING: f32 = 0.95;

/// Random streams of the sound scene (the images use 0, 1 and 16 + k).
pub const STREAM_AUDIO_NOISE: u32 = 0x5000_0000;
pub const STREAM_PICTURE_NOISE: u32 = 0x5000_0001;

/// Frames of the full STFT of one window (513).
pub fn window_frames() -> usize {
    frame_count(WINDOW, N_FFT, HOP)
}

/// Where a longer sound was cut, or how much a shorter one was padded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fit {
    /// First sample taken.
    pub start: usize,
    /// Zeros appended at the end (0 when the sound filled the window).
    pub padded: usize,
}

/// Cuts `signal` to one window starting at `start` (clamped so that the window
/// stays inside the sound), or pads it with silence when it is shorter.
pub fn fit_window(signal: &[f32], start: usize) -> (Vec<f32>, Fit) {
    if signal.len() >= WINDOW {
        let start = start.min(signal.len() - WINDOW);
        let out = signal[start..start + WINDOW].to_vec();
        (out, Fit { start, padded: 0 })
    } else {
        let mut out = signal.to_vec();
        let padded = WINDOW - signal.len();
        out.resize(WINDOW, 0.0);
        (out, Fit { start: 0, padded })
    }
}

/// Decibels to picture units.
pub fn db_to_unit(db: f32) -> f32 {
    let db = if db.is_nan() { FLOOR_DB } else { db };
    2.0 * (db.clamp(FLOOR_DB, TOP_DB) - FLOOR_DB) / (TOP_DB - FLOOR_DB) - 1.0
}

/// Picture units to decibels.
pub fn unit_to_db(u: f32) -> f32 {
    FLOOR_DB + (u.clamp(-1.0, 1.0) + 1.0) * 0.5 * (TOP_DB - FLOOR_DB)
}

/// The spectrogram picture of one window of sound: EDGE × EDGE values in
/// [−1, 1], row-major with row = frequency bin.
pub fn picture(stft: &mut Stft, window: &[f32]) -> Vec<f32> {
    assert_eq!(window.len(), WINDOW, "one window of sound");
    let spec = stft.forward(window);
    let bins = spec.bins;
    let mut out = vec![0.0f32; EDGE * EDGE];
    for f in 0..EDGE {
        for b in 0..EDGE {
            let m = spec.data[f * bins + b].norm();
            out[b * EDGE + f] = db_to_unit(20.0 * m.max(1e-12).log10());
        }
    }
    out
}

/// The picture as STFT magnitudes for phase reconstruction: frames × bins of
/// the full STFT (513 × 513), frame-major.
pub fn magnitudes(picture: &[f32]) -> Vec<f32> {
    assert_eq!(picture.len(), EDGE * EDGE, "a spectrogram picture");
    let frames = window_frames();
    let bins = N_FFT / 2 + 1;
    let mut out = vec![0.0f32; frames * bins];
    for f in 0..frames {
        let src = f.min(EDGE - 1);
        for b in 0..EDGE {
            let u = picture[b * EDGE + src];
            out[f * bins + b] = if u <= -1.0 {
                0.0
            } else {
                10f32.powf(unit_to_db(u) / 20.0)
            };
        }
    }
    out
}

/// Phase reconstruction of a picture with `iters` iterations of fast
/// Griffin–Lim, levelled for listening.
pub fn to_sound(stft: &mut Stft, picture: &[f32], iters: usize) -> Vec<f32> {
    let mags = magnitudes(picture);
    let mut x = griffin_lim(stft, &mags, window_frames(), WINDOW, iters, MOMENTUM, None);
    level(&mut x);
    x
}

/// A track picture (frame-major, [`EDGE`] rows by `cols` frames, any length)
/// as STFT magnitudes for phase reconstruction: (magnitudes, frames, samples).
/// The track is `cols`·HOP samples long, whose centred STFT has `cols` + 1
/// frames: the last repeats the one before, and the Nyquist bin is silent.
pub fn track_magnitudes(picture: &[f32]) -> (Vec<f32>, usize, usize) {
    let cols = picture.len() / EDGE;
    assert_eq!(
        picture.len(),
        cols * EDGE,
        "a track picture of whole frames"
    );
    let frames = cols + 1;
    let bins = N_FFT / 2 + 1;
    let mut out = vec![0.0f32; frames * bins];
    for f in 0..frames {
        let col = &picture[f.min(cols - 1) * EDGE..(f.min(cols - 1) + 1) * EDGE];
        for (o, &u) in out[f * bins..f * bins + EDGE].iter_mut().zip(col) {
            *o = if u <= -1.0 {
                0.0
            } else {
                10f32.powf(unit_to_db(u) / 20.0)
            };
        }
    }
    (out, frames, cols * HOP)
}

/// Magnitudes to invert, as a file the examples and the phase bench share:
/// "HYMAG001", then frames, bins and the signal's length in samples (u32
/// little-endian), then frames × bins f32 little-endian, frame-major.
pub fn write_magnitudes(mags: &[f32], frames: usize, length: usize) -> Vec<u8> {
    let bins = mags.len() / frames.max(1);
    let mut out = b"HYMAG001".to_vec();
    for v in [frames, bins, length] {
        out.extend_from_slice(&(v as u32).to_le_bytes());
    }
    for &m in mags {
        out.extend_from_slice(&m.to_le_bytes());
    }
    out
}

/// Reads [`write_magnitudes`]' file: (magnitudes, frames, length).
pub fn read_magnitudes(bytes: &[u8]) -> Result<(Vec<f32>, usize, usize), String> {
    if bytes.len() < 20 || &bytes[..8] != b"HYMAG001" {
        return Err("not a magnitude file (HYMAG001)".into());
    }
    let word =
        |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
    let (frames, bins, length) = (word(8), word(12), word(16));
    let body = &bytes[20..];
    if frames.checked_mul(bins).and_then(|n| n.checked_mul(4)) != Some(body.len()) {
        return Err(format!("{frames} × {bins} magnitudes do not fill the file"));
    }
    let mags = body
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
        .collect();
    Ok((mags, frames, length))
}

/// A track picture turned into levelled sound: fast Griffin–Lim from the
/// PGHI phase, `iters` iterations (`on_iteration` as in `griffin_lim`).
pub fn track_to_sound(
    stft: &mut Stft,
    picture: &[f32],
    iters: usize,
    on_iteration: Option<&mut dyn FnMut(usize, f64)>,
) -> Vec<f32> {
    use crate::audio::griffin_lim::{griffin_lim_from, PhaseStart};
    let (mags, frames, length) = track_magnitudes(picture);
    let start = PhaseStart::Pghi.phasors(stft, &mags, frames);
    let mut x = griffin_lim_from(
        stft,
        &mags,
        frames,
        length,
        iters,
        MOMENTUM,
        start,
        on_iteration,
    );
    level(&mut x);
    x
}

/// Colours a track picture (frame-major, any length) for the screen: RGBA8
/// of `cols` × [`EDGE`], highest frequency at the top.
pub fn colour_track(picture: &[f32]) -> Vec<u8> {
    let cols = picture.len() / EDGE;
    colour_rows(&row_major(picture, EDGE), cols)
}

/// The limiter's curve: the identity up to [`LIMIT_KNEE`], then a tanh knee
/// that approaches [`LIMIT_CEILING`] and never exceeds it.
pub fn limit(x: f32) -> f32 {
    let a = x.abs();
    if a <= LIMIT_KNEE {
        x
    } else {
        let room = LIMIT_CEILING - LIMIT_KNEE;
        (LIMIT_KNEE + room * ((a - LIMIT_KNEE) / room).tanh()).copysign(x)
    }
}

/// The limiter as a Web Audio `WaveShaperNode` curve of `n` points (odd, so
/// that 0 maps to 0) over inputs [−2, 2]: the page halves the signal before
/// the shaper, so curve point i is `limit(2·(2i/(n−1) − 1))`.
pub fn limiter_curve(n: usize) -> Vec<f32> {
    let n = n.max(3) | 1;
    (0..n)
        .map(|i| limit(2.0 * (2.0 * i as f32 / (n - 1) as f32 - 1.0)))
        .collect()
}

/// Root mean square.
pub fn rms(x: &[f32]) -> f32 {
    if x.is_empty() {
        return 0.0;
    }
    (x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len() as f64).sqrt() as f32
}

/// Normalises to [`TARGET_RMS`] (silence stays silent) and applies the limiter.
pub fn level(x: &mut [f32]) {
    let r = rms(x);
    let gain = if r > 1e-6 { TARGET_RMS / r } else { 1.0 };
    for v in x.iter_mut() {
        *v = limit(*v * gain);
    }
}

/// The clip scaled to unit RMS, as diffusion models standardise their data:
/// then music and noise of equal weight carry equal power (at ᾱ = ½).
/// Silence stays silent.
pub fn standardise(x: &[f32]) -> Vec<f32> {
    let r = rms(x);
    let gain = if r > 1e-6 { 1.0 / r } else { 1.0 };
    x.iter().map(|&v| v * gain).collect()
}

/// Gaussian noise N(0, 1) from the project's RNG (Philox4x32-10), one value
/// per sample: the noise the page mixes into the music.
pub fn noise(seed: u64, len: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; len];
    fill_gaussian_planar(seed, STREAM_AUDIO_NOISE, len, 1, &mut out);
    out
}

/// The forward process on the picture: √ᾱ·x0 + √(1−ᾱ)·ε.
pub fn noised_picture(picture: &[f32], alpha_bar: f64, seed: u64) -> Vec<f32> {
    let mut eps = vec![0.0f32; picture.len()];
    fill_gaussian_planar(seed, STREAM_PICTURE_NOISE, picture.len(), 1, &mut eps);
    let (s, n) = (
        alpha_bar.sqrt() as f32,
        (1.0 - alpha_bar).max(0.0).sqrt() as f32,
    );
    picture
        .iter()
        .zip(&eps)
        .map(|(&x, &e)| s * x + n * e)
        .collect()
}

/// The mean power |X(f)|² of each STFT bin over the frames (513 values).
pub fn power_spectrum(stft: &mut Stft, window: &[f32]) -> Vec<f32> {
    let spec = stft.forward(window);
    let mut p = vec![0.0f64; spec.bins];
    for frame in spec.data.chunks_exact(spec.bins) {
        for (acc, c) in p.iter_mut().zip(frame) {
            *acc += f64::from(c.norm_sqr());
        }
    }
    p.iter().map(|&v| (v / spec.frames as f64) as f32).collect()
}

/// E|X(f)|² of white Gaussian noise of variance 1 under the STFT's window:
/// Σ w[n]² (384 for the periodic Hann of 1024), the same in every bin.
pub fn noise_power(stft: &Stft) -> f32 {
    crate::audio::stft::hann_periodic(stft.n_fft())
        .iter()
        .map(|w| w * w)
        .sum()
}

/// Which frequencies the noise has drowned at ᾱ.
#[derive(Clone, Debug, PartialEq)]
pub struct Drowned {
    /// Share of the bins (0 Hz excluded) where (1 − ᾱ)·noise > ᾱ·music.
    pub share: f32,
    /// Median frequency of the bins where the music is still louder.
    pub surviving_median_hz: Option<f32>,
    /// Median frequency of the drowned bins.
    pub drowned_median_hz: Option<f32>,
    pub sentence: String,
}

fn median(mut v: Vec<f32>) -> Option<f32> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f32::total_cmp);
    Some(v[v.len() / 2])
}

fn hz_words(hz: f32) -> String {
    if hz >= 1000.0 {
        format!("{:.1} kHz", hz / 1000.0)
    } else {
        format!("{:.0} Hz", hz)
    }
}

/// Compares the music's power spectrum, scaled by ᾱ, with the noise's, scaled
/// by 1 − ᾱ, and says in one sentence what the data shows.
pub fn drowned(music: &[f32], noise_power: f32, alpha_bar: f64) -> Drowned {
    let hz_per_bin = SAMPLE_RATE as f32 / ((music.len() - 1) * 2) as f32;
    let (a, n) = (alpha_bar as f32, (1.0 - alpha_bar) as f32 * noise_power);
    let mut surviving = Vec::new();
    let mut gone = Vec::new();
    for (b, &p) in music.iter().enumerate().skip(1) {
        let hz = b as f32 * hz_per_bin;
        if n > a * p {
            gone.push(hz);
        } else {
            surviving.push(hz);
        }
    }
    let total = (music.len() - 1) as f32;
    let share = gone.len() as f32 / total;
    let (s_med, d_med) = (median(surviving), median(gone));
    let sentence = match (s_med, d_med) {
        (_, None) => "The music is louder than the noise at every frequency.".to_string(),
        (None, Some(_)) => "The noise is now louder than the music at every frequency.".to_string(),
        (Some(s), Some(d)) => {
            let order = if d > s {
                "the quiet high frequencies drown first, the loud low ones last"
            } else {
                "here the quiet low frequencies drowned before the higher ones"
            };
            format!(
                "The noise is louder than the music over {:.0}% of the frequency range up to 11 kHz; \
                 the music still rises above it around {} (median), so {order}.",
                share * 100.0,
                hz_words(s)
            )
        }
    };
    Drowned {
        share,
        surviving_median_hz: s_med,
        drowned_median_hz: d_med,
        sentence,
    }
}

/// Colours a picture for the screen (magma-like, dark = quiet): RGBA8 of
/// EDGE × EDGE with the highest frequency at the top.
pub fn colour(picture: &[f32]) -> Vec<u8> {
    colour_rows(picture, EDGE)
}

/// Colours a row-major picture of EDGE rows and `width` columns.
fn colour_rows(picture: &[f32], width: usize) -> Vec<u8> {
    const STOPS: [[f32; 3]; 9] = [
        [0.0, 0.0, 4.0],
        [28.0, 16.0, 68.0],
        [79.0, 18.0, 123.0],
        [129.0, 37.0, 129.0],
        [181.0, 54.0, 122.0],
        [229.0, 80.0, 100.0],
        [251.0, 135.0, 97.0],
        [254.0, 194.0, 135.0],
        [252.0, 253.0, 191.0],
    ];
    let mut out = vec![0u8; picture.len() * 4];
    for (i, px) in out.chunks_exact_mut(4).enumerate() {
        let (y, x) = (i / width, i % width);
        let v = picture[(EDGE - 1 - y) * width + x];
        let u = ((v.clamp(-1.0, 1.0) + 1.0) * 0.5) * (STOPS.len() - 1) as f32;
        let k = (u.floor() as usize).min(STOPS.len() - 2);
        let f = u - k as f32;
        for c in 0..3 {
            px[c] = (STOPS[k][c] + f * (STOPS[k + 1][c] - STOPS[k][c])).round() as u8;
        }
        px[3] = 255;
    }
    out
}

/// One archive clip as the scene holds it.
pub struct SoundItem {
    pub id: String,
    pub tags: Vec<String>,
    pub samples: Vec<f32>,
}

/// Loads the archive's sounds and their pictures (native only: the page
/// decodes the clips with the browser and passes the samples).
#[cfg(not(target_arch = "wasm32"))]
pub fn load_sounds(
    root: &std::path::Path,
) -> Result<(crate::archive::dataset::Dataset, Vec<SoundItem>), String> {
    let (manifest, _) = crate::archive::Manifest::load(root).map_err(|e| e.to_string())?;
    sound_pictures(&manifest, root)
}

/// The pictures of `manifest`'s sounds (read from `root`), unvalidated: for
/// the tool that writes the manifest's spectra.
pub fn sound_pictures(
    manifest: &crate::archive::Manifest,
    root: &std::path::Path,
) -> Result<(crate::archive::dataset::Dataset, Vec<SoundItem>), String> {
    use crate::archive::dataset::Dataset;
    use crate::archive::{read_flac, Kind};
    let mut set = Dataset::single_channel(EDGE as u32);
    let mut items = Vec::new();
    let mut stft = Stft::standard();
    for item in manifest.items.iter().filter(|i| i.kind == Kind::Sound) {
        let clip = read_flac(&root.join(&item.file)).map_err(|e| format!("{}: {e}", item.id))?;
        let (window, _) = fit_window(&clip.samples, 0);
        set.push_values(&item.id, &item.tags, &picture(&mut stft, &window))
            .map_err(|e| e.to_string())?;
        items.push(SoundItem {
            id: item.id.clone(),
            tags: item.tags.clone(),
            samples: window,
        });
    }
    Ok((set, items))
}

/// A picture of `rows` rows stored row by row, transposed (frame-major to
/// row-major and back: `transpose(p, rows)` for row-major input, and
/// `transpose(p, cols)` for frame-major input).
pub fn transpose(picture: &[f32], rows: usize) -> Vec<f32> {
    let cols = picture.len() / rows;
    let mut out = vec![0.0f32; picture.len()];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = picture[r * cols + c];
        }
    }
    out
}

/// Row-major (row = frequency) picture to frame-major.
pub fn frame_major(picture: &[f32], rows: usize) -> Vec<f32> {
    transpose(picture, rows)
}

/// Frame-major to row-major (row = frequency).
pub fn row_major(picture: &[f32], rows: usize) -> Vec<f32> {
    transpose(picture, picture.len() / rows)
}
