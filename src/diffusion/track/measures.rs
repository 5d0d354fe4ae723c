//! What a track is made of, measured: nearest clip frames, the longest
//! copy, long-term and coarse spectra, the pulse.

use super::*;

/// Frames of the window [`nearest_patches`] compares (0.29 s).
pub const MATCH_FRAMES: usize = 25;

/// For every frame of a track picture, the clip frame whose whole column
/// window of [`MATCH_FRAMES`] is nearest (Euclidean) among `cands`: the
/// machine itself at ᾱ = 1 and rigidity 0, with patches the whole column.
pub fn nearest_patches(cands: &Candidates, picture: &[f32], cols: usize) -> Vec<Source> {
    let shape = TrackShape::whole_column(cands.rows(), MATCH_FRAMES);
    let all = crate::denoise::track::denoise(cands, picture, cols, 1.0, shape, 0.0);
    // Every band saw the same window: one source per frame.
    all.sources
        .chunks_exact(cands.bands())
        .map(|c| c[0])
        .collect()
}

/// The longest run of frames whose source keeps one clip and one offset
/// τ − c, with the clip's id.
pub fn longest_copy(sources: &[Source], ids: &[String]) -> Copied {
    let mut best = (0usize, 0usize, 0u16);
    let mut run = (0usize, 0usize, (u16::MAX, isize::MIN));
    for (c, s) in sources.iter().enumerate() {
        let key = (s.clip, s.frame as isize - c as isize);
        if key == run.2 {
            run.1 += 1;
        } else {
            run = (c, 1, key);
        }
        if run.1 > best.1 {
            best = (run.0, run.1, key.0);
        }
    }
    let fps = frames_per_second();
    Copied {
        id: ids[best.2 as usize].clone(),
        seconds: best.1 as f32 / fps,
        at: best.0 as f32 / fps,
    }
}

pub(super) fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

/// The long-term average spectrum of a frame-major picture: each row's mean
/// over the frames, in picture units (45 dB each).
pub fn ltas(picture: &[f32], rows: usize) -> Vec<f32> {
    let frames = (picture.len() / rows).max(1);
    let mut out = vec![0.0f64; rows];
    for col in picture.chunks_exact(rows) {
        for (o, &v) in out.iter_mut().zip(col) {
            *o += f64::from(v);
        }
    }
    out.iter().map(|&v| (v / frames as f64) as f32).collect()
}

/// Bands of the coarse spectrum kept for every clip in the manifest.
pub const INDEX_BANDS: usize = crate::archive::SPECTRUM_BANDS;

/// A clip's (or a track's) coarse spectrum: [`ltas`] averaged over
/// [`INDEX_BANDS`] equal bands of rows (32 rows, 689 Hz each), in picture
/// units. The manifest keeps it for every clip, rounded to 0.001, so that a
/// page can rank clips by their sound before fetching any.
pub fn coarse_spectrum(picture: &[f32], rows: usize) -> Vec<f32> {
    let l = ltas(picture, rows);
    let per = (rows / INDEX_BANDS).max(1);
    l.chunks(per)
        .take(INDEX_BANDS)
        .map(|c| c.iter().sum::<f32>() / c.len() as f32)
        .collect()
}

/// RMS difference of two average spectra, in dB.
pub fn ltas_distance_db(a: &[f32], b: &[f32]) -> f32 {
    let half_range =
        0.5 * (crate::audio::spectrogram::TOP_DB - crate::audio::spectrogram::FLOOR_DB);
    let s: f32 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
    (s / a.len().max(1) as f32).sqrt() * half_range
}

/// The pulse of a frame-major track picture (see `audio::tempo`).
pub fn track_pulse(picture: &[f32]) -> Pulse {
    tempo::pulse(picture, ROWS)
}
