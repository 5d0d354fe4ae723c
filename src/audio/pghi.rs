//! A starting phase for Griffin–Lim from the magnitudes alone: phase gradient
//! heap integration (PGHI; Průša, Balazs & Søndergaard, "A noniterative method
//! for reconstruction of phase from STFT magnitude", IEEE/ACM TASLP 25(5), 2017).
//!
//! For a Gaussian window the STFT's phase gradient follows from the gradient
//! of its log-magnitude s = ln|X|. With hop a, n_fft M and a window of
//! "width" γ (γ = 0.25645·M² approximates the Hann window of length M):
//!
//!   along time (per frame):  Δφ_t(m, n) = (a·M/γ)·∂s/∂m + 2π·a·m/M
//!   along frequency (per bin): Δφ_f(m, n) = −(γ/(a·M))·∂s/∂n + π
//!
//! with centred differences for ∂/∂m (bins) and ∂/∂n (frames). The 2π·a·m/M
//! term is a bin's own rotation per hop, and the π per bin comes from
//! referring each frame's phase to its first sample (our STFT's convention, as
//! librosa's), half a window before the window's centre. The phase is then
//! integrated outwards from the loudest coefficient, always continuing from the
//! loudest coefficient already reached (a max-heap), so that the estimate
//! travels through the reliable, loud parts first; coefficients more than
//! [`TOLERANCE_DB`] below the loudest are left at phase zero.

use std::collections::BinaryHeap;

use realfft::num_complex::Complex;

/// γ of the Hann window of length M is this × M² (Průša et al.).
pub const HANN_GAMMA: f64 = 0.256_45;
/// Coefficients this far below the loudest keep phase zero (their phase is noise).
pub const TOLERANCE_DB: f64 = 60.0;

/// A heap key: the log-magnitude's order-preserving bits above the index, so
/// that a plain `u64` max-heap pops the loudest coefficient first (ties: the
/// lower index), with no float comparisons.
fn key(log: f32, index: usize) -> u64 {
    let bits = log.to_bits();
    let ordered = if bits >> 31 == 1 {
        !bits
    } else {
        bits | 1 << 31
    };
    (u64::from(ordered) << 32) | u64::from(u32::MAX - index as u32)
}

fn index_of(key: u64) -> usize {
    (u32::MAX - key as u32) as usize
}

/// Unit phasors e^{iφ} for `magnitudes` (frame-major, `frames` × (n_fft/2 + 1)).
pub fn pghi(magnitudes: &[f32], frames: usize, n_fft: usize, hop: usize) -> Vec<Complex<f32>> {
    let bins = n_fft / 2 + 1;
    assert_eq!(
        magnitudes.len(),
        frames * bins,
        "magnitudes of another shape"
    );
    let logs: Vec<f64> = magnitudes
        .iter()
        .map(|&m| f64::from(m).max(1e-30).ln())
        .collect();
    let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let floor = top - TOLERANCE_DB / 20.0 * std::f64::consts::LN_10;
    let (a, m) = (hop as f64, n_fft as f64);
    let gamma = HANN_GAMMA * m * m;
    let tau = std::f64::consts::TAU;
    let at = |n: usize, k: usize| logs[n * bins + k];
    // Phase advance per frame (time direction) and per bin (frequency direction).
    let mut dt = vec![0.0f64; frames * bins];
    let mut df = vec![0.0f64; frames * bins];
    for n in 0..frames {
        for k in 0..bins {
            let ds_dm = if k == 0 || k + 1 == bins {
                0.0
            } else {
                0.5 * (at(n, k + 1) - at(n, k - 1))
            };
            let ds_dn = if n == 0 || n + 1 == frames {
                0.0
            } else {
                0.5 * (at(n + 1, k) - at(n - 1, k))
            };
            dt[n * bins + k] = a * m / gamma * ds_dm + tau * a * k as f64 / m;
            df[n * bins + k] = -gamma / (a * m) * ds_dn + std::f64::consts::PI;
        }
    }
    let mut phase = vec![0.0f64; frames * bins];
    let mut done: Vec<bool> = logs.iter().map(|&l| l < floor).collect();
    let mut remaining = done.iter().filter(|&&d| !d).count();
    let keys: Vec<u64> = logs
        .iter()
        .enumerate()
        .map(|(i, &l)| key(l as f32, i))
        .collect();
    // Seeds, loudest first: each starts a region the integration has not reached.
    let mut seeds: BinaryHeap<u64> = (0..frames * bins)
        .filter(|&i| !done[i])
        .map(|i| keys[i])
        .collect();
    let mut heap: BinaryHeap<u64> = BinaryHeap::with_capacity(frames * bins);
    while remaining > 0 {
        let Some(seed) = seeds.pop().map(index_of) else {
            break;
        };
        if done[seed] {
            continue;
        }
        done[seed] = true;
        remaining -= 1;
        heap.push(keys[seed]);
        while let Some(index) = heap.pop().map(index_of) {
            let (n, k) = (index / bins, index % bins);
            let mut visit = |j: usize, step: f64| {
                if !done[j] {
                    done[j] = true;
                    remaining -= 1;
                    phase[j] = phase[index] + step;
                    heap.push(keys[j]);
                }
            };
            if n + 1 < frames {
                let j = index + bins;
                visit(j, 0.5 * (dt[index] + dt[j]));
            }
            if n > 0 {
                let j = index - bins;
                visit(j, -0.5 * (dt[index] + dt[j]));
            }
            if k + 1 < bins {
                let j = index + 1;
                visit(j, 0.5 * (df[index] + df[j]));
            }
            if k > 0 {
                let j = index - 1;
                visit(j, -0.5 * (df[index] + df[j]));
            }
        }
    }
    phase
        .iter()
        .map(|&p| {
            let (s, c) = (p.rem_euclid(tau) as f32).sin_cos();
            Complex::new(c, s)
        })
        .collect()
}
