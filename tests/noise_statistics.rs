//! The seeded Gaussian noise field is standard normal, white and reproducible.

use hypothetical::forward::noising::noise_field;
use hypothetical::rng::{gaussian4, STREAM_FORWARD_NOISE};

/// Standard normal CDF via erfc (Abramowitz–Stegun 7.1.26, at 1e-7, is too coarse
/// for a KS test on 10⁶ samples).
fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// erfc to about 1e-14: erf's Taylor series below 2, a continued fraction above
/// (checked against Python's math.erfc below).
fn erfc(x: f64) -> f64 {
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 2.0 {
        // erf Taylor series: erf x = 2/√π Σ (−1)^n x^{2n+1} / (n! (2n+1)).
        let mut sum = 0.0;
        let mut term = x;
        let mut n = 0.0;
        while term.abs() > 1e-17 {
            sum += term / (2.0 * n + 1.0);
            n += 1.0;
            term *= -x * x / n;
        }
        return 1.0 - 2.0 / std::f64::consts::PI.sqrt() * sum;
    }
    // Continued fraction (Lentz), converges fast for x ≥ 2.
    let mut f = 0.0f64;
    for k in (1..=60).rev() {
        f = (k as f64 / 2.0) / (x + f);
    }
    (-x * x).exp() / std::f64::consts::PI.sqrt() / (x + f)
}

#[test]
fn erfc_reference_values() {
    assert!((erfc(0.0) - 1.0).abs() < 1e-15);
    assert!((erfc(1.0) - 0.157_299_207_050_285_13).abs() < 1e-14);
    assert!((erfc(3.0) - 2.209_049_699_858_544e-5).abs() < 1e-18);
    assert!((normal_cdf(1.96) - 0.975_002_104_851_780).abs() < 1e-12);
}

#[test]
fn million_samples_have_mean_zero_variance_one_and_pass_kolmogorov_smirnov() {
    let n_pixels = 350_000; // × 3 channels = 1.05 · 10⁶ samples
    let mut xs = noise_field(2024, n_pixels);
    let n = xs.len() as f64;
    let mean = xs.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
    let var = xs
        .iter()
        .map(|&x| (f64::from(x) - mean).powi(2))
        .sum::<f64>()
        / (n - 1.0);
    // Standard errors: 1/√n ≈ 1e-3 for the mean, √(2/n) ≈ 1.4e-3 for the variance; 5σ bounds.
    assert!(mean.abs() < 5.0 / n.sqrt(), "mean {mean}");
    assert!((var - 1.0).abs() < 5.0 * (2.0 / n).sqrt(), "variance {var}");
    let kurtosis = xs
        .iter()
        .map(|&x| (f64::from(x) - mean).powi(4))
        .sum::<f64>()
        / n
        / (var * var);
    assert!((kurtosis - 3.0).abs() < 0.05, "kurtosis {kurtosis}");

    xs.sort_by(f32::total_cmp);
    let mut d = 0.0f64;
    for (i, &x) in xs.iter().enumerate() {
        let cdf = normal_cdf(f64::from(x));
        d = d
            .max((cdf - i as f64 / n).abs())
            .max(((i + 1) as f64 / n - cdf).abs());
    }
    // Critical value at significance 0.001: 1.949/√n.
    assert!(
        d < 1.949 / n.sqrt(),
        "KS statistic {d} (critical {})",
        1.949 / n.sqrt()
    );
}

#[test]
fn neighbouring_pixels_and_channels_are_uncorrelated() {
    let (w, h) = (512usize, 512usize);
    let n = w * h;
    let eps = noise_field(7, n);
    let corr = |a: &[f32], b: &[f32]| {
        let m = a.len() as f64;
        let (ma, mb) = (
            a.iter().map(|&x| f64::from(x)).sum::<f64>() / m,
            b.iter().map(|&x| f64::from(x)).sum::<f64>() / m,
        );
        let cov: f64 = a
            .iter()
            .zip(b)
            .map(|(&x, &y)| (f64::from(x) - ma) * (f64::from(y) - mb))
            .sum();
        let va: f64 = a.iter().map(|&x| (f64::from(x) - ma).powi(2)).sum();
        let vb: f64 = b.iter().map(|&y| (f64::from(y) - mb).powi(2)).sum();
        cov / (va * vb).sqrt()
    };
    let red = &eps[..n];
    // Horizontal neighbours, vertical neighbours, and red against green.
    let horizontal = corr(&red[..n - 1], &red[1..]);
    let vertical = corr(&red[..n - w], &red[w..]);
    let channels = corr(red, &eps[n..2 * n]);
    let bound = 5.0 / (n as f64).sqrt();
    for (name, r) in [
        ("horizontal", horizontal),
        ("vertical", vertical),
        ("red–green", channels),
    ] {
        assert!(r.abs() < bound, "{name} correlation {r}");
    }
    let _ = h;
}

#[test]
fn same_seed_same_field_other_seed_other_field() {
    assert_eq!(noise_field(99, 1000), noise_field(99, 1000));
    assert_ne!(noise_field(99, 1000), noise_field(100, 1000));
    // Element i depends only on (seed, stream, i): a prefix of a larger field is the smaller field.
    assert_eq!(noise_field(5, 4000)[..4000], noise_field(5, 10_000)[..4000]);
    assert_ne!(
        gaussian4(5, STREAM_FORWARD_NOISE, 3),
        gaussian4(5, STREAM_FORWARD_NOISE + 1, 3)
    );
}
