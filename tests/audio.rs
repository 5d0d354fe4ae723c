//! STFT and Griffin–Lim on the archive's clips, against librosa 0.11's figures.

use hypothetical::archive::read_flac;
use hypothetical::audio::griffin_lim::{convergence_of, griffin_lim, MOMENTUM};
use hypothetical::audio::stft::Stft;
use serde_json::Value;

fn clip(id: &str) -> Vec<f32> {
    read_flac(std::path::Path::new(&format!(
        "www/archive/sounds/{id}.flac"
    )))
    .unwrap()
    .samples
}

#[test]
fn stft_round_trip_of_archive_clips_is_below_1e_5() {
    let mut stft = Stft::standard();
    for id in ["chorale-bwv66-6-choir", "drums-breakbeat", "white-noise"] {
        let x = clip(id);
        let spec = stft.forward(&x);
        let y = stft.inverse(&spec, x.len());
        let err: f64 = x
            .iter()
            .zip(&y)
            .map(|(a, b)| f64::from(a - b).powi(2))
            .sum();
        let energy: f64 = x.iter().map(|a| f64::from(*a).powi(2)).sum();
        let rel = (err / energy).sqrt();
        assert!(rel < 1e-5, "{id}: {rel:e}");
    }
}

#[test]
fn griffin_lim_convergence_falls_with_iterations() {
    let mut stft = Stft::standard();
    let x = clip("jazz-walk-f-blues");
    let spec = stft.forward(&x);
    let mags = spec.magnitudes();
    let mut seen = Vec::new();
    let mut record = |i: usize, sc: f64| seen.push((i, sc));
    griffin_lim(
        &mut stft,
        &mags,
        spec.frames,
        x.len(),
        64,
        MOMENTUM,
        Some(&mut record),
    );
    let at = |i: usize| seen[i - 1].1;
    for (a, b) in [(1, 2), (2, 4), (4, 8), (8, 16), (16, 32), (32, 64)] {
        assert!(
            at(b) < at(a),
            "iteration {b}: {} is not below iteration {a}: {}",
            at(b),
            at(a)
        );
    }
    assert!(at(64) < 0.06, "{}", at(64));
}

/// The reference figures were made by benches/librosa_griffinlim.py with
/// librosa 0.11.0 (./build.sh bench rewrites them). The algorithm is the same
/// (zero initial phase, momentum 0.99, same STFT), so the Rust result must
/// reach librosa's spectral convergence within 0.01 % either way: that covers
/// f32 rounding, which differs between rustfft and numpy's pocketfft.
#[test]
fn griffin_lim_reaches_librosas_spectral_convergence_within_a_hundredth_of_a_percent() {
    let text = std::fs::read_to_string("tests/data/librosa_griffinlim.json").unwrap();
    let reference: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(reference["librosa"], "0.11.0");
    let clips = reference["clips"].as_object().unwrap();
    assert!(clips.len() >= 6);
    let mut stft = Stft::standard();
    for (id, figures) in clips {
        let x = clip(id);
        let spec = stft.forward(&x);
        let mags = spec.magnitudes();
        for iters in [8usize, 32] {
            let theirs = figures[iters.to_string()].as_f64().unwrap();
            let y = griffin_lim(
                &mut stft,
                &mags,
                spec.frames,
                x.len(),
                iters,
                MOMENTUM,
                None,
            );
            let ours = convergence_of(&mut stft, &y, &mags);
            eprintln!("{id:<24} {iters:>2} iterations: ours {ours:.6}, librosa {theirs:.6}");
            assert!(
                (ours - theirs).abs() <= theirs * 1e-4,
                "{id}, {iters} iterations: {ours} vs librosa's {theirs}"
            );
        }
    }
}
