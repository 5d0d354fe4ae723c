//! Slowing a sound for Swim (`audio::stretch`): Paulstretch and tape give
//! exactly the requested length, Paulstretch keeps the source's long-term
//! spectrum and level and repeats under a seed, streaming equals one render,
//! and tape slowing lowers the pitch by the factor.

mod common;
use common::correlation;

use hypothetical::archive::read_flac;
use hypothetical::audio::stft::Stft;
use hypothetical::audio::stretch::{PaulStretch, SampleStream, Tape};

const RATE: u32 = 22_050;

fn clip(id: &str) -> Vec<f32> {
    read_flac(std::path::Path::new(&format!(
        "www/archive/sounds/{id}.flac"
    )))
    .expect("the archive clip")
    .samples
}

fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len() as f64).sqrt()
}

/// The average power per frequency bin over the whole sound, in dB.
fn long_term_spectrum(x: &[f32]) -> Vec<f64> {
    let spec = Stft::standard().forward(x);
    let mut power = vec![0.0f64; spec.bins];
    for frame in spec.data.chunks_exact(spec.bins) {
        for (p, c) in power.iter_mut().zip(frame) {
            *p += f64::from(c.norm_sqr());
        }
    }
    power
        .iter()
        .map(|p| 10.0 * (p / spec.frames as f64 + 1e-12).log10())
        .collect()
}

#[test]
fn both_slowings_give_exactly_the_requested_number_of_samples() {
    let x = clip("maple-leaf-rag");
    for length in [1, 4_095, 4_096, 131_072, 300_001, 1_000_000] {
        assert_eq!(PaulStretch::new(&x, RATE, length, 7).render().len(), length);
        assert_eq!(Tape::new(&x, length).render().len(), length);
    }
}

#[test]
fn paulstretch_keeps_the_long_term_spectrum_and_the_level_of_the_source() {
    for id in ["maple-leaf-rag", "chorale-bwv66-6-choir", "techno-128-acid"] {
        let x = clip(id);
        let y = PaulStretch::new(&x, RATE, x.len() * 10, 7).render();
        let r = correlation(&long_term_spectrum(&x), &long_term_spectrum(&y));
        assert!(r >= 0.9, "{id}: long-term spectra correlate {r:.3}");
        let level = 20.0 * (rms(&y) / rms(&x)).log10();
        eprintln!("{id}: long-term spectra correlate {r:.3}; level {level:+.2} dB");
        assert!(
            level.abs() < 0.1,
            "{id}: the stretched sound is {level:+.2} dB from the source"
        );
    }
}

#[test]
fn paulstretch_repeats_under_a_seed_streams_what_it_renders_and_seeks_exactly() {
    let x = clip("maple-leaf-rag");
    let length = 200_000;
    let one = PaulStretch::new(&x, RATE, length, 3).render();
    assert_eq!(one, PaulStretch::new(&x, RATE, length, 3).render());
    assert_ne!(one, PaulStretch::new(&x, RATE, length, 4).render());
    let mut stream = PaulStretch::new(&x, RATE, length, 3);
    let mut joined = Vec::new();
    while let Some(block) = stream.next_block() {
        assert!(block.len() <= stream.hop());
        joined.extend(block);
    }
    assert_eq!(joined, one);
    // A player that seeks gets exactly what it would have heard, from the block boundary on.
    for sample in [0, 1, 50_001, 199_999] {
        let mut seeking = PaulStretch::new(&x, RATE, length, 3);
        let from = seeking.seek(sample);
        assert!(from <= sample && sample - from < seeking.hop());
        assert_eq!(seeking.render(), one[from..]);
        let mut tape = Tape::new(&x, length);
        assert_eq!(tape.seek(sample), sample);
        assert_eq!(tape.render(), Tape::new(&x, length).render()[sample..]);
    }
}

#[test]
fn tape_slowing_lowers_the_pitch_by_the_factor() {
    // One second of 440 Hz, slowed to two: its strongest bin moves to 220 Hz.
    let x: Vec<f32> = (0..RATE)
        .map(|i| (std::f32::consts::TAU * 440.0 * i as f32 / RATE as f32).sin() * 0.5)
        .collect();
    let y = Tape::new(&x, 2 * x.len()).render();
    let peak = |s: &[f32]| {
        let spectrum = long_term_spectrum(s);
        let bin = (0..spectrum.len())
            .max_by(|&a, &b| spectrum[a].total_cmp(&spectrum[b]))
            .unwrap();
        bin as f64 * f64::from(RATE) / 1024.0
    };
    let (before, after) = (peak(&x), peak(&y));
    assert!((before - 440.0).abs() < 22.0, "{before} Hz");
    assert!((after - 220.0).abs() < 22.0, "{after} Hz");
    assert!((rms(&y) / rms(&x) - 1.0).abs() < 0.02);
}
