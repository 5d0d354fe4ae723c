//! The three denoisers and the sampler against closed forms and slow references.

use hypothetical::dataset::{load_archive, Dataset};
use hypothetical::denoise::gaussian::{CrossSpectrum, GaussianModel};
use hypothetical::denoise::{archive, patch, DenoiserKind};
use hypothetical::generate::CpuDenoiser;
use hypothetical::image::ImageField;
use hypothetical::rng::fill_gaussian_planar;
use hypothetical::sampler::{Method, Sampler, SamplerConfig};

/// A deterministic pseudo-random field in [−1, 1].
fn field(edge: u32, seed: u64) -> ImageField {
    let n = (edge * edge) as usize;
    let mut g = vec![0.0f32; 3 * n];
    fill_gaussian_planar(seed, 99, n, 3, &mut g);
    ImageField::from_planar(
        edge,
        edge,
        g.iter().map(|v| (v * 0.5).clamp(-1.0, 1.0)).collect(),
    )
}

fn small_set(items: usize) -> Dataset {
    let mut set = Dataset::new(32).unwrap();
    for i in 0..items {
        let tags: &[&str] = if i % 2 == 0 { &["even"] } else { &["odd"] };
        set.push_field(&format!("item-{i}"), tags, &field(32, i as u64 + 1));
    }
    set
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn archive_weights_sum_to_one_and_give_the_recogniser() {
    let set = small_set(6);
    let x_t = field(32, 77);
    for a in [1e-4, 0.05, 0.5, 0.9] {
        let w = archive::posterior(&set, x_t.data(), a);
        let total: f32 = w.iter().sum();
        assert!((total - 1.0).abs() < 1e-5, "ᾱ = {a}: Σw = {total}");
        // Brute force in f64: p(tag) = Σ over tagged items of exp(l_i) / Σ exp(l_j).
        let l: Vec<f64> = (0..set.len())
            .map(|i| {
                let d2: f64 = set
                    .item(i)
                    .iter()
                    .zip(x_t.data())
                    .map(|(&x, &y)| (f64::from(y) - a.sqrt() * f64::from(x)).powi(2))
                    .sum();
                -d2 / (2.0 * (1.0 - a))
            })
            .collect();
        let m = l.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let z: f64 = l.iter().map(|v| (v - m).exp()).sum();
        let even: f64 = (0..set.len())
            .step_by(2)
            .map(|i| (l[i] - m).exp() / z)
            .sum();
        let p = archive::tag_probability(&set, &w, "even");
        assert!((f64::from(p) - even).abs() < 1e-5, "ᾱ = {a}: {p} vs {even}");
        let all = archive::tag_probabilities(&set, &w);
        let sum: f32 = all.iter().map(|(_, p)| p).sum();
        assert!((sum - 1.0).abs() < 1e-5, "each item has one of two tags");
    }
}

#[test]
fn archive_denoiser_returns_the_nearest_item_at_tiny_noise() {
    let set = small_set(5);
    let a = 1.0 - 1e-6;
    // x_t near item 3, scaled as the forward process does, plus a little noise.
    let mut x_t: Vec<f32> = set.item(3).iter().map(|v| v * (a as f32).sqrt()).collect();
    for (x, e) in x_t.iter_mut().zip(field(32, 500).data()) {
        *x += 1e-3 * e;
    }
    let d = archive::denoise(&set, &x_t, a, None);
    assert_eq!(d.x0_all, set.item(3), "exactly the item");
    assert_eq!(d.posterior[3], 1.0);
}

#[test]
fn archive_denoiser_with_one_item_always_returns_it() {
    let set = small_set(1);
    for a in [1e-5, 0.3, 0.99] {
        let d = archive::denoise(&set, field(32, 3).data(), a, None);
        assert_eq!(d.x0_all, set.item(0));
    }
}

#[test]
fn archive_tag_conditioning_uses_only_the_tag() {
    let set = small_set(6);
    let mask = set.tag_mask("odd");
    let d = archive::denoise(&set, field(32, 8).data(), 0.3, Some(&mask));
    let wt = d.posterior_tag.unwrap();
    for i in (0..6).step_by(2) {
        assert_eq!(wt[i], 0.0);
    }
    assert!((wt.iter().sum::<f32>() - 1.0).abs() < 1e-5);
}

/// A diagonal-colour spectrum P_c(k) = g_c / (f² + f0²), f in cycles per pixel.
fn known_spectrum(edge: u32) -> Vec<CrossSpectrum> {
    let s = edge as usize;
    let signed = |k: usize| if k <= s / 2 { k as f32 } else { k as f32 - s as f32 } / s as f32;
    (0..s * s)
        .map(|k| {
            let (fx, fy) = (signed(k % s), signed(k / s));
            let base = 1.0 / (fx * fx + fy * fy + 0.002);
            [
                0.01 * base,
                0.02 * base,
                0.005 * base,
                0.0,
                0.0,
                0.0,
                0.0,
                0.0,
                0.0,
            ]
        })
        .collect()
}

/// Naive unnormalised DFT of one S × S plane, in f64.
fn naive_dft(plane: &[f64], s: usize, sign: f64) -> Vec<(f64, f64)> {
    let mut out = vec![(0.0, 0.0); s * s];
    for ky in 0..s {
        for kx in 0..s {
            let (mut re, mut im) = (0.0, 0.0);
            for y in 0..s {
                for x in 0..s {
                    let ph =
                        sign * 2.0 * std::f64::consts::PI * ((kx * x + ky * y) as f64) / s as f64;
                    re += plane[y * s + x] * ph.cos();
                    im += plane[y * s + x] * ph.sin();
                }
            }
            out[ky * s + kx] = (re, im);
        }
    }
    out
}

#[test]
fn gaussian_denoiser_matches_the_closed_form_wiener_filter() {
    let edge = 32u32;
    let s = edge as usize;
    let n = s * s;
    let cov = known_spectrum(edge);
    let mean: Vec<f32> = (0..3 * n)
        .map(|i| 0.1 * ((i % 7) as f32 - 3.0) / 3.0)
        .collect();
    let model = GaussianModel::from_parts(edge, 0, mean.clone(), cov.clone());
    let x_t = field(edge, 11);
    let a = 0.3f64;
    let got = model.denoise(x_t.data(), a);
    // Closed form per channel: X̂0 = M + √ᾱ·P/(ᾱ·P + 1 − ᾱ)·(X_t − √ᾱ·M), by naive DFTs in f64.
    for c in 0..3 {
        let r: Vec<f64> = (0..n)
            .map(|p| f64::from(x_t.data()[c * n + p]) - a.sqrt() * f64::from(mean[c * n + p]))
            .collect();
        let spec = naive_dft(&r, s, -1.0);
        let filtered: Vec<(f64, f64)> = spec
            .iter()
            .enumerate()
            .map(|(k, &(re, im))| {
                let p = f64::from(cov[k][c]);
                let g = a.sqrt() * p / (a * p + 1.0 - a);
                (re * g, im * g)
            })
            .collect();
        let re_plane: Vec<f64> = filtered.iter().map(|v| v.0).collect();
        let im_plane: Vec<f64> = filtered.iter().map(|v| v.1).collect();
        let back_re = naive_dft(&re_plane, s, 1.0);
        let back_im = naive_dft(&im_plane, s, 1.0);
        for p in 0..n {
            let want = f64::from(mean[c * n + p]) + (back_re[p].0 - back_im[p].1) / n as f64;
            let diff = (f64::from(got[c * n + p]) - want).abs();
            assert!(
                diff < 2e-4,
                "channel {c} pixel {p}: {} vs {want}",
                got[c * n + p]
            );
        }
    }
}

#[test]
fn gaussian_denoiser_returns_the_mean_when_no_signal_is_left() {
    let set = small_set(5);
    let model = GaussianModel::fit(&set, None).unwrap();
    let got = model.denoise(field(32, 12).data(), 0.0);
    assert!(max_diff(&got, model.mean()) < 1e-5);
}

#[test]
fn gaussian_fit_recovers_a_known_spectrum_from_samples() {
    // Draw 300 fields from the known Gaussian (white noise shaped by √P), fit, compare.
    let edge = 32u32;
    let s = edge as usize;
    let n = s * s;
    let cov = known_spectrum(edge);
    let mut set = Dataset::new(edge).unwrap();
    for k in 0..300u64 {
        let mut white = vec![0.0f32; 3 * n];
        fill_gaussian_planar(1000 + k, 5, n, 3, &mut white);
        let mut data = vec![0.0f32; 3 * n];
        for c in 0..3 {
            let plane: Vec<f64> = white[c * n..(c + 1) * n]
                .iter()
                .map(|&v| f64::from(v))
                .collect();
            let spec = naive_dft_fast(&plane, s);
            let shaped: Vec<(f64, f64)> = spec
                .iter()
                .enumerate()
                .map(|(k, &(re, im))| {
                    let g = f64::from(cov[k][c]).sqrt();
                    (re * g, im * g)
                })
                .collect();
            let back = inverse_real(&shaped, s);
            for p in 0..n {
                data[c * n + p] = back[p] as f32;
            }
        }
        set.push_field(
            &format!("g{k}"),
            &["gauss"],
            &ImageField::from_planar(edge, edge, data),
        );
    }
    let model = GaussianModel::fit(&set, None).unwrap();
    // Average fitted/known ratio over rings of frequencies: within 10 % (300 samples × ring size).
    for c in 0..3 {
        let mut ratio = 0.0;
        let mut count = 0.0;
        for (k, fitted) in model.cross_spectra().iter().enumerate() {
            if k == 0 {
                continue;
            }
            ratio += f64::from(fitted[c]) / f64::from(cov[k][c]);
            count += 1.0;
        }
        let mean_ratio = ratio / count;
        assert!(
            (mean_ratio - 1.0).abs() < 0.05,
            "channel {c}: fitted/known = {mean_ratio}"
        );
    }
}

/// DFT by rustfft-free separable naive passes (O(S³)), good enough for 32 × 32.
fn naive_dft_fast(plane: &[f64], s: usize) -> Vec<(f64, f64)> {
    let tw = |k: usize, x: usize, sign: f64| {
        let ph = sign * 2.0 * std::f64::consts::PI * ((k * x) % s) as f64 / s as f64;
        (ph.cos(), ph.sin())
    };
    let mut rows = vec![(0.0, 0.0); s * s];
    for y in 0..s {
        for k in 0..s {
            let mut acc = (0.0, 0.0);
            for x in 0..s {
                let (c, sn) = tw(k, x, -1.0);
                acc.0 += plane[y * s + x] * c;
                acc.1 += plane[y * s + x] * sn;
            }
            rows[y * s + k] = acc;
        }
    }
    let mut out = vec![(0.0, 0.0); s * s];
    for kx in 0..s {
        for ky in 0..s {
            let mut acc = (0.0, 0.0);
            for y in 0..s {
                let (c, sn) = tw(ky, y, -1.0);
                let (re, im) = rows[y * s + kx];
                acc.0 += re * c - im * sn;
                acc.1 += re * sn + im * c;
            }
            out[ky * s + kx] = acc;
        }
    }
    out
}

/// Real part of the normalised inverse DFT.
fn inverse_real(spec: &[(f64, f64)], s: usize) -> Vec<f64> {
    let conj: Vec<(f64, f64)> = spec.iter().map(|&(r, i)| (r, -i)).collect();
    let re: Vec<f64> = conj.iter().map(|v| v.0).collect();
    let im: Vec<f64> = conj.iter().map(|v| v.1).collect();
    let a = naive_dft_fast(&re, s);
    let b = naive_dft_fast(&im, s);
    // DFT(conj X) = conj(IDFT_unnorm(X)); real part: Re(a) − Im(b).
    (0..s * s)
        .map(|p| (a[p].0 - b[p].1) / (s * s) as f64)
        .collect()
}

/// The ELS estimate computed the obvious way: every pixel, item and position,
/// with the patch distance summed directly over the wrapped window, in f64.
fn slow_patch_reference(set: &Dataset, x_t: &[f32], a: f64, patch: usize) -> Vec<f32> {
    let s = set.edge() as usize;
    let n = s * s;
    let r = (patch - 1) / 2;
    let mut out = vec![0.0f32; 3 * n];
    for y in 0..s {
        for x in 0..s {
            let mut logs = Vec::new();
            let mut values = Vec::new();
            for i in 0..set.len() {
                let item = set.item(i);
                for qy in 0..s {
                    for qx in 0..s {
                        let mut d2 = 0.0f64;
                        for dy in 0..patch {
                            for dx in 0..patch {
                                let py = (y + s + dy - r) % s;
                                let px = (x + s + dx - r) % s;
                                let cy = (qy + s + dy - r) % s;
                                let cx = (qx + s + dx - r) % s;
                                for c in 0..3 {
                                    let e = f64::from(x_t[c * n + py * s + px])
                                        - a.sqrt() * f64::from(item[c * n + cy * s + cx]);
                                    d2 += e * e;
                                }
                            }
                        }
                        logs.push(-d2 / (2.0 * (1.0 - a)));
                        values.push([0, 1, 2].map(|c| f64::from(item[c * n + qy * s + qx])));
                    }
                }
            }
            let m = logs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let z: f64 = logs.iter().map(|l| (l - m).exp()).sum();
            for c in 0..3 {
                let v: f64 = logs
                    .iter()
                    .zip(&values)
                    .map(|(l, v)| (l - m).exp() * v[c])
                    .sum();
                out[c * n + y * s + x] = (v / z) as f32;
            }
        }
    }
    out
}

#[test]
fn patch_denoiser_matches_a_slow_direct_reference() {
    let set = small_set(2);
    let x_t = field(32, 21);
    for (a, patch) in [(0.2, 5usize), (0.7, 3)] {
        let fast = patch::denoise(&set, x_t.data(), a, patch as u32, None, &[0, 1]);
        let slow = slow_patch_reference(&set, x_t.data(), a, patch);
        let diff = max_diff(&fast.x0_all, &slow);
        assert!(diff < 2e-3, "ᾱ = {a}, P = {patch}: max difference {diff}");
    }
}

#[test]
fn patch_denoiser_with_one_item_and_full_patches_reproduces_it() {
    // One item; the largest patch (31 of 32) at low noise: the best match for
    // every pixel is the item at zero displacement, so x̂0 is the item.
    let set = small_set(1);
    let a = 0.999;
    let x_t: Vec<f32> = set
        .item(0)
        .iter()
        .zip(field(32, 4).data())
        .map(|(v, e)| (a as f32).sqrt() * v + ((1.0 - a) as f32).sqrt() * e)
        .collect();
    let d = patch::denoise(&set, &x_t, a, 31, None, &[0]);
    assert!(max_diff(&d.x0_all, set.item(0)) < 1e-4);
    let shares = d.pixel_shares.unwrap();
    assert!(shares.all.iter().all(|&s| (s - 1.0).abs() < 1e-4));
}

#[test]
fn patch_denoiser_is_translation_equivariant() {
    // Shifting an archive item (here item 1, circularly by (11, 5)) leaves the
    // machine's candidate set unchanged (circular padding, every position is a
    // candidate), so a whole sample is unchanged up to the order of summation:
    // the same seed gives the same image, and so the same statistics.
    let set = small_set(2);
    let mut shifted = Dataset::new(32).unwrap();
    for i in 0..set.len() {
        let f = set.field(i);
        if i != 1 {
            shifted.push_field(set.id(i), &["even"], &f);
            continue;
        }
        let mut g = f.clone();
        let (s, n) = (32usize, 1024usize);
        for c in 0..3 {
            for y in 0..s {
                for x in 0..s {
                    g.data_mut()[c * n + ((y + 5) % s) * s + (x + 11) % s] =
                        f.data()[c * n + y * s + x];
                }
            }
        }
        shifted.push_field(set.id(i), &["even"], &g);
    }
    assert_ne!(shifted.item(1), set.item(1), "the item really moved");
    let run = |set: &Dataset| {
        let cpu = CpuDenoiser::new(set, DenoiserKind::Patch, None).unwrap();
        let mut s = Sampler::new(SamplerConfig {
            steps: 10,
            seed: 3,
            ..Default::default()
        })
        .unwrap();
        cpu.run(set, &mut s);
        s.result().unwrap().to_vec()
    };
    let (a, b) = (run(&set), run(&shifted));
    let diff = max_diff(&a, &b);
    assert!(diff < 1e-3, "max difference {diff}");
    // Its statistics then agree too: mean and variance per channel.
    for c in 0..3 {
        let m = |v: &[f32]| v[c * 1024..(c + 1) * 1024].iter().sum::<f32>() / 1024.0;
        assert!((m(&a) - m(&b)).abs() < 1e-4);
    }
}

#[test]
fn patch_sizes_shrink_from_the_whole_image_to_three() {
    assert_eq!(patch::patch_size(32, 1000, 1000), 31);
    assert_eq!(patch::patch_size(64, 1000, 1000), 63);
    assert_eq!(patch::patch_size(32, 0, 1000), 3);
    assert_eq!(patch::patch_size(32, 500, 1000), 17);
    let mut last = 99;
    for t in (0..=1000).rev() {
        let p = patch::patch_size(64, t, 1000);
        assert!(p % 2 == 1 && p <= last);
        last = p;
    }
}

#[test]
fn sampling_is_deterministic_per_seed_and_differs_between_seeds() {
    let set = small_set(4);
    for method in [Method::Ddim, Method::Ddpm] {
        let run = |seed| {
            let cpu = CpuDenoiser::new(&set, DenoiserKind::Archive, Some("odd")).unwrap();
            let cfg = SamplerConfig {
                method,
                seed,
                steps: 12,
                guidance: 1.5,
                ..Default::default()
            };
            let mut s = Sampler::new(cfg).unwrap();
            cpu.run(&set, &mut s);
            (s.result().unwrap().to_vec(), s.records().len())
        };
        let (a, n) = run(1);
        assert_eq!(n, 12, "one record per step");
        assert_eq!(a, run(1).0);
        let x_t_start = |seed| {
            Sampler::new(SamplerConfig {
                seed,
                ..Default::default()
            })
            .unwrap()
            .x_t()
            .to_vec()
        };
        assert_ne!(x_t_start(1), x_t_start(2));
    }
}

#[test]
fn ddim_with_the_archive_denoiser_lands_on_an_archive_item() {
    // Memorisation: the exact denoiser of a finite set reproduces one of its items.
    let set = small_set(4);
    let cpu = CpuDenoiser::new(&set, DenoiserKind::Archive, Some("even")).unwrap();
    let mut s = Sampler::new(SamplerConfig {
        steps: 50,
        seed: 9,
        ..Default::default()
    })
    .unwrap();
    cpu.run(&set, &mut s);
    let result = s.result().unwrap();
    let nearest = (0..set.len())
        .map(|i| max_diff(result, set.item(i)))
        .fold(f32::INFINITY, f32::min);
    assert!(nearest < 1e-3, "distance to the nearest item {nearest}");
    let last = s.records().last().unwrap();
    let best = (0..4)
        .max_by(|&a, &b| last.coefficients[a].total_cmp(&last.coefficients[b]))
        .unwrap();
    assert!(set.has_tag(best, "even"), "guidance 1 keeps to the tag");
}

#[test]
fn sampler_refuses_bad_settings() {
    for cfg in [
        SamplerConfig {
            steps: 9,
            ..Default::default()
        },
        SamplerConfig {
            steps: 1001,
            ..Default::default()
        },
        SamplerConfig {
            guidance: -1.0,
            ..Default::default()
        },
        SamplerConfig {
            temperature: f32::NAN,
            ..Default::default()
        },
    ] {
        assert!(Sampler::new(cfg).is_err());
    }
    let s = Sampler::new(SamplerConfig {
        steps: 10,
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        s.times(),
        &[1000, 900, 800, 700, 600, 500, 400, 300, 200, 100]
    );
}

#[test]
fn every_denoiser_generates_from_the_shipped_archive() {
    let set = load_archive(std::path::Path::new("www/archive"), 32).unwrap();
    assert_eq!(set.len(), 67);
    for kind in DenoiserKind::ALL {
        let cpu = CpuDenoiser::new(&set, kind, Some("static")).unwrap();
        let steps = if kind == DenoiserKind::Patch { 10 } else { 20 };
        let mut s = Sampler::new(SamplerConfig {
            steps,
            seed: 7,
            ..Default::default()
        })
        .unwrap();
        cpu.run(&set, &mut s);
        let r = s.result().unwrap();
        assert!(
            r.iter().all(|v| v.is_finite() && (-1.0..=1.0).contains(v)),
            "{kind:?}"
        );
        let p = archive::tag_probability(&set, &s.records().last().unwrap().posterior, "static");
        assert!(
            p > 0.5,
            "{kind:?}: the recogniser sees static at the last step ({p})"
        );
    }
}
