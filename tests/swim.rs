//! Swim's pictures (`forward::swim`): the picture at the start, the
//! background's static at the end, unit-variance static all along (so the
//! forward process keeps its powers), and no flicker: consecutive frames at 30
//! frames a second over nine minutes barely move.

use hypothetical::forward::schedule::{Schedule, ScheduleKind};
use hypothetical::forward::swim::{Swim, SwimError};
use hypothetical::image::ImageField;
use hypothetical::rng::fill_gaussian_planar;

fn field(edge: u32, seed: u64, scale: f32, offset: f32) -> ImageField {
    let n = (edge * edge) as usize;
    let mut data = vec![0.0; 3 * n];
    fill_gaussian_planar(seed, 1, n, 3, &mut data);
    for v in &mut data {
        *v = *v * scale + offset;
    }
    ImageField::from_planar(edge, edge, data)
}

fn picture(edge: u32) -> ImageField {
    let n = (edge * edge) as usize;
    let data = (0..3 * n)
        .map(|i| ((i % n) as f32 / n as f32) * 1.6 - 0.8)
        .collect();
    ImageField::from_planar(edge, edge, data)
}

/// The largest |a − b| over two pictures' values.
fn largest_difference(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn correlation(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len() as f64;
    let ma = a.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let mb = b.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let (mut c, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (f64::from(x) - ma, f64::from(y) - mb);
        c += x * y;
        va += x * x;
        vb += y * y;
    }
    c / (va * vb).sqrt()
}

fn swim() -> Swim {
    // Backgrounds of another size, offset and scale: they are used as they are.
    let backgrounds: Vec<ImageField> = (0..4).map(|k| field(16, 10 + k, 0.3, 0.2)).collect();
    Swim::new(
        &picture(64),
        &backgrounds,
        Schedule::new(ScheduleKind::Cosine, 1000),
    )
    .unwrap()
}

#[test]
fn the_piece_starts_on_the_picture_and_ends_in_the_backgrounds_static() {
    let s = swim();
    assert_eq!(s.frame(0.0).data(), picture(64).data());
    let end = s.frame(1.0);
    assert!(correlation(end.data(), &s.background(1.0)) > 0.999);
    assert!(correlation(end.data(), picture(64).data()).abs() < 0.05);
    // Halfway on the cosine schedule ᾱ is about a half...
    assert!(
        (s.alpha_bar(0.5) - 0.5).abs() < 0.05,
        "{}",
        s.alpha_bar(0.5)
    );
}

#[test]
fn the_pictures_share_of_the_power_is_its_own_power_against_the_static_not_alpha_bar() {
    // A dim picture: every value ±0.4, so E[x0²] = 0.16, far from 1.
    let edge = 32u32;
    let n = (edge * edge) as usize;
    let data = (0..3 * n)
        .map(|i| if i % 2 == 0 { 0.4 } else { -0.4 })
        .collect();
    let dim = ImageField::from_planar(edge, edge, data);
    // Static of power about 1, so that the share is far from ᾱ.
    let backgrounds: Vec<ImageField> = (0..2).map(|k| field(16, 20 + k, 1.0, 0.0)).collect();
    let s = Swim::new(
        &dim,
        &backgrounds,
        Schedule::new(ScheduleKind::Cosine, 1000),
    )
    .unwrap();
    assert!((s.picture_power() - 0.16).abs() < 1e-6);
    for tau in [0.1, 0.5, 0.9] {
        let a = s.alpha_bar(tau);
        let share = s.picture_share(tau);
        let (e, p) = (s.picture_power(), s.background_power(tau));
        let want = a * e / (a * e + (1.0 - a) * p);
        assert!((share - want).abs() < 1e-9, "τ = {tau}: {share} vs {want}");
        // ...and the measured power of the frame's picture part agrees.
        let frame = s.frame(tau);
        let b = s.background(tau);
        let noise = (1.0 - a).sqrt();
        let (mut pic, mut bg) = (0.0, 0.0);
        for (&x, &y) in frame.data().iter().zip(&b) {
            let back = noise * f64::from(y);
            bg += back * back;
            pic += (f64::from(x) - back).powi(2);
        }
        assert!((pic / (pic + bg) - share).abs() < 0.02, "τ = {tau}");
    }
    // Halfway the dim picture holds about a quarter of the power (the two
    // pictures of static, blended half and half, have power about 0.5), not
    // the 49 % ᾱ says.
    assert!(
        (0.15..0.3).contains(&s.picture_share(0.5)),
        "{}",
        s.picture_share(0.5)
    );
    assert!(s.alpha_bar(0.5) > 0.45);
    assert_eq!(s.picture_share(0.0), 1.0);
    assert!(s.picture_share(1.0) < 1e-6);
}

#[test]
fn the_static_is_the_denoisers_own_as_it_blends_and_nothing_flickers() {
    let s = swim();
    let frames = 9 * 60 * 30; // nine minutes at 30 frames a second
    let step = 1.0 / (frames - 1) as f64;
    for k in 0..=21 {
        let tau = f64::from(k) / 21.0;
        let b = s.background(tau);
        // Its power is the static's own, as the share is worded from it.
        let power = b.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / b.len() as f64;
        assert!(
            (power - s.background_power(tau)).abs() < 1e-5,
            "τ = {tau}: {power} vs {}",
            s.background_power(tau)
        );
        // At each picture's own moment (k = 0, 7, 14, 21 of 21) it is that
        // picture as made, enlarged by nearest neighbour.
        if k % 7 == 0 {
            let made = field(16, 10 + (k / 7) as u64, 0.3, 0.2);
            let n = 64 * 64;
            for (i, &v) in b.iter().enumerate() {
                let (c, y, x) = (i / n, (i % n) / 64, i % 64);
                assert_eq!(v, made.data()[c * 256 + (y / 4) * 16 + x / 4], "τ = {tau}");
            }
        }
        let (now, next) = (s.frame(tau.min(1.0 - step)), s.frame((tau + step).min(1.0)));
        let jump = largest_difference(now.data(), next.data());
        assert!(
            jump < 0.01,
            "τ = {tau}: a pixel moves {jump} between frames"
        );
    }
}

#[test]
fn a_flat_background_or_none_is_refused_in_words() {
    let flat = ImageField::from_planar(8, 8, vec![0.5; 3 * 64]);
    let schedule = || Schedule::new(ScheduleKind::Cosine, 1000);
    assert_eq!(
        Swim::new(&picture(64), &[flat], schedule()).err(),
        Some(SwimError::FlatBackground(0))
    );
    assert_eq!(
        Swim::new(&picture(64), &[], schedule()).err(),
        Some(SwimError::NoBackground)
    );
}

#[test]
fn backgrounds_still_being_made_keep_the_whole_pieces_timing_and_the_last_ready_stands_in() {
    let all: Vec<ImageField> = (0..4).map(|k| field(16, 10 + k, 0.3, 0.2)).collect();
    let schedule = || Schedule::new(ScheduleKind::Cosine, 1000);
    let whole = Swim::new(&picture(64), &all, schedule()).unwrap();
    let early = Swim::new(&picture(64), &all[..2], schedule())
        .unwrap()
        .expecting(4);
    // Before the second picture's slot ends (τ < 1/3) the frames are the whole piece's.
    for tau in [0.0, 0.1, 0.2, 0.33] {
        assert_eq!(
            early.frame(tau).data(),
            whole.frame(tau).data(),
            "τ = {tau}"
        );
    }
    // After it, the last picture ready holds, as made, with no blend of a picture with itself.
    let held = early.background(0.8);
    assert_eq!(held, early.background(0.5));
    assert_eq!(held, early.background(1.0 / 3.0));
    let power = held.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / held.len() as f64;
    assert!(
        (power - early.background_power(0.8)).abs() < 1e-6,
        "{power}"
    );
    // Given all, it is the whole piece.
    let full = Swim::new(&picture(64), &all, schedule())
        .unwrap()
        .expecting(4);
    assert_eq!(full.frame(0.7).data(), whole.frame(0.7).data());
}

#[test]
fn the_piece_ends_on_the_static_exactly_as_the_denoiser_made_it() {
    // Faint, yellow-grey static: red and green move together, blue barely
    // moves. Standardised to unit power it became loud colour speckle; the
    // piece now ends on it as it is, as "Ask for noise" shows it.
    let edge = 16u32;
    let n = (edge * edge) as usize;
    let grey = field(edge, 31, 0.2, 0.1);
    let speckle = field(edge, 32, 0.005, 0.0);
    let data: Vec<f32> = (0..3 * n)
        .map(|i| {
            if i < 2 * n {
                grey.data()[i % n]
            } else {
                speckle.data()[i]
            }
        })
        .collect();
    let made = ImageField::from_planar(edge, edge, data);
    let s = Swim::new(
        &picture(16),
        std::slice::from_ref(&made),
        Schedule::new(ScheduleKind::Cosine, 1000),
    )
    .unwrap();
    let worst = largest_difference(s.frame(1.0).data(), made.data());
    // (ᾱ at t = T is 2·10⁻⁹, not 0: a trace of the picture, 4·10⁻⁵.)
    assert!(worst < 1e-4, "the end differs from the static by {worst}");
}
