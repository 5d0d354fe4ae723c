//! The three denoisers and the sampler against closed forms and slow references.

use hypothetical::archive::dataset::{load_archive, Dataset};
use hypothetical::denoise::gaussian::{CrossSpectrum, GaussianModel};
use hypothetical::denoise::patch::patch_candidates;
use hypothetical::denoise::patch::{Border, PatchPartial, PatchShape};
use hypothetical::denoise::{archive, patch, DenoiserKind};
use hypothetical::diffusion::cpu::{cpu_patch_items, CpuDenoiser, PatchJob};
use hypothetical::diffusion::provenance::provenance;
use hypothetical::diffusion::sampler::{Method, Sampler, SamplerConfig};
use hypothetical::image::ImageField;
use hypothetical::rng::fill_gaussian_planar;

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
fn the_recogniser_is_a_distribution_over_tags_that_starts_at_the_archives_proportions() {
    // Items with several tags: "a" on three items, "b" on one, "c" shared.
    let mut set = Dataset::new(32).unwrap();
    set.push_field("one", &["a"], &field(32, 1));
    set.push_field("two", &["a", "c"], &field(32, 2));
    set.push_field("three", &["a", "b", "c"], &field(32, 3));
    set.push_field("four", &["c"], &field(32, 4));
    // Uniform weights: the prior is each tag's share of the archive.
    let uniform = [0.25f32; 4];
    let prior = |t: &str| archive::tag_prior(&set, t, None);
    assert!((prior("a") - (1.0 + 0.5 + 1.0 / 3.0) / 4.0).abs() < 1e-6);
    assert!((prior("b") - (1.0 / 3.0) / 4.0).abs() < 1e-6);
    assert!((prior("c") - (0.5 + 1.0 / 3.0 + 1.0) / 4.0).abs() < 1e-6);
    for (t, p) in archive::tag_probabilities(&set, &uniform) {
        assert!((p - prior(&t)).abs() < 1e-6, "{t}");
    }
    // Certain of one item with three tags: each gets a third, not 1 each.
    let sure = [0.0f32, 0.0, 1.0, 0.0];
    let tags = archive::tag_probabilities(&set, &sure);
    let total: f32 = tags.iter().map(|(_, p)| p).sum();
    assert!((total - 1.0).abs() < 1e-6);
    assert!(tags.iter().all(|(_, p)| (p - 1.0 / 3.0).abs() < 1e-6));
    // Any weights: the bars add up to 1.
    let w = archive::posterior(&set, field(32, 9).data(), 0.3);
    let total: f32 = archive::tag_probabilities(&set, &w)
        .iter()
        .map(|(_, p)| p)
        .sum();
    assert!((total - 1.0).abs() < 1e-5);
    // Within a vocabulary only its tags count: item "three" is then a or b.
    let vocab = ["a", "b"];
    let within = archive::tag_probabilities_in(&set, &sure, Some(&vocab));
    assert_eq!(within.len(), 2);
    assert!(within.iter().all(|(_, p)| (p - 0.5).abs() < 1e-6));
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

/// The ELS estimate computed the obvious way: every pixel, item and candidate
/// position, with the patch distance summed directly over the window in f64.
/// x_t is padded circularly; candidates are the items' interior patches, or,
/// with `wrap`, every position with the item's window wrapped too. Returns
/// x̂0 over all items and, with a mask, over the masked items.
fn slow_patch_reference(
    set: &Dataset,
    x_t: &[f32],
    a: f64,
    patch: usize,
    wrap: bool,
    mask: Option<&[bool]>,
) -> (Vec<f32>, Vec<f32>) {
    let s = set.edge() as usize;
    let n = s * s;
    let r = (patch - 1) / 2;
    let positions: Vec<usize> = if wrap {
        (0..s).collect()
    } else {
        (r..s - r).collect()
    };
    let mut out = vec![0.0f32; 3 * n];
    let mut out_tag = vec![0.0f32; 3 * n];
    for y in 0..s {
        for x in 0..s {
            let mut logs = Vec::new();
            let mut values = Vec::new();
            let mut tagged = Vec::new();
            for i in 0..set.len() {
                let item = set.item(i);
                for &qy in &positions {
                    for &qx in &positions {
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
                        tagged.push(mask.is_some_and(|m| m[i]));
                    }
                }
            }
            let mean = |keep: &dyn Fn(usize) -> bool, c: usize| -> f32 {
                let m = (0..logs.len())
                    .filter(|&k| keep(k))
                    .map(|k| logs[k])
                    .fold(f64::NEG_INFINITY, f64::max);
                let (mut z, mut v) = (0.0, 0.0);
                for k in (0..logs.len()).filter(|&k| keep(k)) {
                    let w = (logs[k] - m).exp();
                    z += w;
                    v += w * values[k][c];
                }
                if z > 0.0 {
                    (v / z) as f32
                } else {
                    0.0
                }
            };
            for c in 0..3 {
                out[c * n + y * s + x] = mean(&|_| true, c);
                out_tag[c * n + y * s + x] = mean(&|k| tagged[k], c);
            }
        }
    }
    (out, out_tag)
}

/// √ᾱ·x + √(1 − ᾱ)·ε with the field of `seed` as ε.
fn noised(x: &[f32], a: f64, seed: u64) -> Vec<f32> {
    x.iter()
        .zip(field(32, seed).data())
        .map(|(v, e)| (a as f32).sqrt() * v + ((1.0 - a) as f32).sqrt() * e)
        .collect()
}

fn shape(size: u32, border: Border) -> PatchShape {
    PatchShape::everywhere(size, border)
}

/// The patch step on three small items against [`slow_patch_reference`]:
/// the largest differences of x̂0_all and of x̂0_tag.
fn patch_against_the_reference(a: f64, p: usize, border: Border) -> (f32, f32) {
    let set = small_set(3);
    let mask = set.tag_mask("odd");
    let x_t = field(32, 21);
    let fast = patch::denoise(
        &set,
        x_t.data(),
        a,
        shape(p as u32, border),
        Some(&mask),
        &[0, 1, 2],
    );
    let (all, tag) =
        slow_patch_reference(&set, x_t.data(), a, p, border == Border::Wrap, Some(&mask));
    (
        max_diff(&fast.x0_all, &all),
        max_diff(fast.x0_tag.as_ref().unwrap(), &tag),
    )
}

#[test]
fn patch_denoiser_matches_a_slow_direct_reference_with_both_borders() {
    for border in [Border::Interior, Border::Wrap] {
        for (a, p) in [(0.2, 5usize), (0.7, 3), (0.05, 17)] {
            let (d, dt) = patch_against_the_reference(a, p, border);
            assert!(
                d < 2e-3 && dt < 2e-3,
                "{border:?}, ᾱ = {a}, P = {p}: max difference {d}, tag {dt}"
            );
        }
    }
}

#[test]
fn the_tag_estimate_keeps_its_items_when_another_item_fits_far_better() {
    // Item 0 is x_t's own picture at low noise (it wins every patch by far);
    // the tag's only item is a flat picture far from it. Before the fix, the
    // tag's candidates fell more than the cutoff below the best overall patch
    // and x̂0_tag came out empty (0, mid-grey). Now it is the flat picture's
    // value, as the slow reference says, whichever item comes first.
    let mut set = Dataset::new(32).unwrap();
    let near = field(32, 5);
    let flat = ImageField::from_planar(32, 32, vec![0.8f32; 3 * 1024]);
    set.push_field("near", &["other"], &near);
    set.push_field("flat", &["tag"], &flat);
    let mask = set.tag_mask("tag");
    let a = 0.994;
    let x_t = noised(near.data(), a, 6);
    let (_, slow_tag) = slow_patch_reference(&set, &x_t, a, 3, false, Some(&mask));
    for order in [[0usize, 1], [1, 0]] {
        let d = patch::denoise(
            &set,
            &x_t,
            a,
            shape(3, Border::Interior),
            Some(&mask),
            &order,
        );
        let tag = d.x0_tag.as_ref().unwrap();
        assert!(max_diff(tag, &slow_tag) < 1e-4, "order {order:?}");
        assert!(
            tag.iter().all(|&v| (v - 0.8).abs() < 1e-4),
            "order {order:?}"
        );
        // The tag's shares name the flat item everywhere.
        let shares = d.pixel_shares.unwrap();
        let tag_shares = shares.tag.unwrap();
        assert!((0..1024).all(|p| (tag_shares[p * 2 + 1] - 1.0).abs() < 1e-4));
        // Over all items, every pixel whose window lies inside takes the near item.
        for y in 1..31 {
            for x in 1..31 {
                assert!(shares.all[(y * 32 + x) * 2] > 0.999, "({x}, {y})");
            }
        }
    }
}

#[test]
fn the_patch_estimate_does_not_depend_on_the_order_of_the_items() {
    let set = small_set(4);
    let mask = set.tag_mask("even");
    let x_t = field(32, 33);
    for a in [0.3, 0.98] {
        let run = |order: &[usize]| {
            patch::denoise(
                &set,
                x_t.data(),
                a,
                shape(5, Border::Interior),
                Some(&mask),
                order,
            )
        };
        let (p, q) = (run(&[0, 1, 2, 3]), run(&[3, 1, 0, 2]));
        assert!(max_diff(&p.x0_all, &q.x0_all) < 1e-5, "ᾱ = {a}");
        assert!(max_diff(p.x0_tag.as_ref().unwrap(), q.x0_tag.as_ref().unwrap()) < 1e-5);
        let (sp, sq) = (p.pixel_shares.unwrap(), q.pixel_shares.unwrap());
        assert!(max_diff(&sp.all, &sq.all) < 1e-5);
        assert!(max_diff(sp.tag.as_ref().unwrap(), sq.tag.as_ref().unwrap()) < 1e-5);
    }
}

#[test]
fn worker_shares_of_a_patch_step_merge_to_the_single_thread_answer() {
    // The page's Web Workers each take every n-th candidate item and send
    // back their accumulators as flat arrays; merged, they must give the
    // single-thread step. Stated tolerance: 1e-5 (float order, and the
    // cutoff's e^-30 relative).
    let set = small_set(7);
    let mask = set.tag_mask("even");
    let x_t = field(32, 41);
    let shapes = [
        shape(9, Border::Interior),
        shape(5, Border::Wrap),
        PatchShape {
            size: 5,
            border: Border::Interior,
            window: Some(2),
        },
    ];
    for a in [0.2, 0.9, 0.995] {
        for shape in shapes {
            let job = PatchJob {
                edge: 32,
                x_t: x_t.data().to_vec(),
                alpha_bar: a,
                shape,
                candidates: vec![6, 0, 3, 1, 5, 2, 4],
                tag: Some(mask.clone()),
            };
            let one = job.share(&set, 0, 1);
            assert_eq!(one.added(), &job.candidates[..]);
            let (want_all, want_tag, want_shares) = one.finish();
            for workers in [2, 3, 7] {
                let mut merged: Option<PatchPartial> = None;
                // Merge in reverse, as answers may come back in any order.
                for index in (0..workers).rev() {
                    let flat = job.share(&set, index, workers).to_flat();
                    let part = PatchPartial::from_flat(&set, Some(&mask), &flat).unwrap();
                    match merged.as_mut() {
                        Some(m) => m.merge(&part),
                        None => merged = Some(part),
                    }
                }
                let (all, tag, shares) = merged.unwrap().finish();
                let what = format!("ᾱ = {a}, {shape:?}, {workers} workers");
                assert!(max_diff(&all, &want_all) < 1e-5, "{what}");
                assert!(
                    max_diff(tag.as_ref().unwrap(), want_tag.as_ref().unwrap()) < 1e-5,
                    "{what}"
                );
                assert!(max_diff(&shares.all, &want_shares.all) < 1e-5, "{what}");
                assert!(
                    max_diff(
                        shares.tag.as_ref().unwrap(),
                        want_shares.tag.as_ref().unwrap()
                    ) < 1e-5,
                    "{what}"
                );
            }
        }
    }
    // Natively the same split runs on threads.
    let order = [6, 0, 3, 1, 5, 2, 4];
    let (x, shape7) = (x_t.data(), shape(7, Border::Interior));
    let one = patch::denoise(&set, x, 0.7, shape7, Some(&mask), &order);
    let threads = patch::denoise_threads(&set, x, 0.7, shape7, Some(&mask), &order, 3);
    assert!(max_diff(&one.x0_all, &threads.x0_all) < 1e-5);
    assert!(
        max_diff(
            one.x0_tag.as_ref().unwrap(),
            threads.x0_tag.as_ref().unwrap()
        ) < 1e-5
    );
    // A share of the wrong size, or naming an item the archive lacks, is refused in words.
    let job = PatchJob {
        edge: 32,
        x_t: x_t.data().to_vec(),
        alpha_bar: 0.5,
        shape: shape(5, Border::Interior),
        candidates: vec![0, 1],
        tag: Some(mask.clone()),
    };
    let mut flat = job.share(&set, 0, 1).to_flat();
    flat.records.pop();
    assert!(PatchPartial::from_flat(&set, Some(&mask), &flat)
        .err()
        .unwrap()
        .contains("item records"));
    flat.items[0] = 99;
    assert!(PatchPartial::from_flat(&set, Some(&mask), &flat)
        .err()
        .unwrap()
        .contains("item 99"));
}

#[test]
fn patch_denoiser_with_one_item_and_full_wrapped_patches_reproduces_it() {
    // One item; the largest patch (31 of 32) at low noise with wrapped
    // candidates: the best match for every pixel is the item at zero
    // displacement, so x̂0 is the item.
    let set = small_set(1);
    let a = 0.999;
    let x_t = noised(set.item(0), a, 4);
    let d = patch::denoise(&set, &x_t, a, shape(31, Border::Wrap), None, &[0]);
    assert!(max_diff(&d.x0_all, set.item(0)) < 1e-4);
    let shares = d.pixel_shares.unwrap();
    assert!(shares.all.iter().all(|&s| (s - 1.0).abs() < 1e-4));
}

#[test]
fn interior_candidates_reproduce_the_item_away_from_its_border() {
    // Small interior patches at low noise: every pixel whose window lies
    // inside the item finds its own patch; pixels on the border row take the
    // best interior patch instead, so they may differ.
    let set = small_set(1);
    let a = 0.999;
    let x_t = noised(set.item(0), a, 4);
    let d = patch::denoise(&set, &x_t, a, shape(5, Border::Interior), None, &[0]);
    let item = set.item(0);
    for c in 0..3 {
        for y in 2..30 {
            for x in 2..30 {
                let k = c * 1024 + y * 32 + x;
                assert!((d.x0_all[k] - item[k]).abs() < 1e-4, "({x}, {y})");
            }
        }
    }
}

#[test]
fn patch_denoiser_is_equivariant_to_shifts_of_x_t() {
    // x_t is padded circularly, so shifting it circularly by (11, 5) shifts
    // x̂0 by the same amount, for interior and wrapped candidates alike.
    let set = small_set(2);
    let x_t = field(32, 8);
    let (s, n) = (32usize, 1024usize);
    let shift = |v: &[f32]| {
        let mut out = vec![0.0f32; v.len()];
        for c in 0..3 {
            for y in 0..s {
                for x in 0..s {
                    out[c * n + ((y + 5) % s) * s + (x + 11) % s] = v[c * n + y * s + x];
                }
            }
        }
        out
    };
    for border in [Border::Interior, Border::Wrap] {
        let a = patch::denoise(&set, x_t.data(), 0.4, shape(7, border), None, &[0, 1]);
        let b = patch::denoise(
            &set,
            &shift(x_t.data()),
            0.4,
            shape(7, border),
            None,
            &[0, 1],
        );
        let diff = max_diff(&shift(&a.x0_all), &b.x0_all);
        assert!(diff < 1e-5, "{border:?}: {diff}");
    }
}

#[test]
fn wrapped_candidates_make_the_machine_blind_to_circular_shifts_of_an_item() {
    // With wrap-around, shifting an archive item (here item 1, circularly by
    // (11, 5)) leaves the candidate set unchanged, so a whole sample is
    // unchanged up to the order of summation.
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
    let run = |set: &Dataset, border: Border| {
        let cpu = CpuDenoiser::new(set, DenoiserKind::Patch, None)
            .unwrap()
            .with_border(border);
        let mut s = Sampler::new(SamplerConfig {
            steps: 10,
            seed: 3,
            ..Default::default()
        })
        .unwrap();
        cpu.run(set, &mut s);
        s.result().unwrap().to_vec()
    };
    // Summation order differs (the displacements come in another order), and
    // ten steps amplify the rounding a little.
    let (a, b) = (run(&set, Border::Wrap), run(&shifted, Border::Wrap));
    let diff = max_diff(&a, &b);
    assert!(diff < 1e-2, "max difference {diff}");
    // Interior candidates see the seam the shift made, so the sample changes.
    let (c, d) = (run(&set, Border::Interior), run(&shifted, Border::Interior));
    let moved = max_diff(&c, &d);
    assert!(
        moved > 0.1,
        "interior candidates notice the shift ({moved})"
    );
}

#[test]
fn patch_sizes_shrink_from_the_papers_largest_to_three() {
    assert_eq!(patch::largest_patch(32), 17);
    assert_eq!(patch::largest_patch(64), 33);
    assert_eq!(patch::patch_size(32, 1000, 1000), 17);
    assert_eq!(patch::patch_size(64, 1000, 1000), 33);
    assert_eq!(patch::patch_size(32, 0, 1000), 3);
    assert_eq!(patch::patch_size(32, 500, 1000), 11);
    assert_eq!(patch::largest_patch(128), 65);
    let mut last = 99;
    for t in (0..=1000).rev() {
        let p = patch::patch_size(64, t, 1000);
        assert!(p % 2 == 1 && p <= last && p >= 3);
        last = p;
    }
}

#[test]
fn a_tagged_patch_run_on_the_cpu_budget_at_64_px_is_never_blank() {
    // The CPU path at 64 px takes 4 items per step. Tag "flower", seed 7
    // (guidance 1) once came out flat grey credited to the astronaut: the
    // candidates were the whole archive's leaders and the tag estimate was
    // emptied by the cutoff. Now every place goes to the tag's items.
    let set = load_archive(std::path::Path::new("www/archive"), 64).unwrap();
    let k = cpu_patch_items(64, set.len());
    assert_eq!(k, 4);
    for tag in ["flower", "animal"] {
        let cpu = CpuDenoiser::new(&set, DenoiserKind::Patch, Some(tag))
            .unwrap()
            .with_patch_items(k);
        let mut s = Sampler::new(SamplerConfig {
            edge: 64,
            steps: 10,
            seed: 7,
            ..Default::default()
        })
        .unwrap();
        cpu.run(&set, &mut s);
        let r = s.result().unwrap();
        let mean = r.iter().sum::<f32>() / r.len() as f32;
        let sd = (r.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / r.len() as f32).sqrt();
        assert!(sd > 0.1, "{tag}: standard deviation {sd}");
        let sources = provenance(
            &set,
            DenoiserKind::Patch,
            cpu.mask(),
            1.0,
            s.records().last().unwrap(),
            8,
        );
        let from_tag: f32 = sources
            .iter()
            .filter(|src| set.has_tag(src.index, tag))
            .map(|src| src.weight)
            .sum();
        assert!(
            from_tag > 0.99,
            "{tag}: {from_tag} of the pixels from the tag"
        );
    }
}

#[test]
fn cpu_candidates_follow_the_guidance_formula() {
    let posterior = [0.5f32, 0.2, 0.1, 0.1, 0.05, 0.05];
    let mask = [false, false, true, true, true, false];
    assert_eq!(
        patch_candidates(&posterior, Some(&mask), 1.0, 2),
        vec![2, 3]
    );
    assert_eq!(
        patch_candidates(&posterior, Some(&mask), 0.0, 2),
        vec![0, 2]
    );
    assert_eq!(
        patch_candidates(&posterior, Some(&mask), 2.0, 4),
        vec![0, 1, 2, 3]
    );
    assert_eq!(patch_candidates(&posterior, None, 1.0, 2), vec![0, 1]);
    assert_eq!(patch_candidates(&posterior, Some(&mask), 1.0, 9).len(), 6);
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
    assert!(set.len() >= 2000, "{} pictures", set.len());
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
        // Static items carry three or four tags, so p(static) is at most 1/3;
        // it starts at its share of the archive (about 0.03).
        let p = archive::tag_probability(&set, &s.records().last().unwrap().posterior, "static");
        let prior = archive::tag_prior(&set, "static", None);
        assert!(
            p > 0.2 && p > 5.0 * prior,
            "{kind:?}: the recogniser sees static at the last step ({p}, prior {prior})"
        );
    }
}

#[test]
fn a_position_window_as_wide_as_the_picture_is_the_machine_without_one() {
    let set = small_set(3);
    let x_t = field(32, 77).data().to_vec();
    let everywhere = PatchShape::everywhere(9, Border::Interior);
    let want = patch::denoise(&set, &x_t, 0.4, everywhere, None, &[0, 1, 2]);
    for w in [16, 40] {
        let got = patch::denoise(
            &set,
            &x_t,
            0.4,
            PatchShape {
                window: Some(w),
                ..everywhere
            },
            None,
            &[0, 1, 2],
        );
        assert_eq!(
            got.x0_all, want.x0_all,
            "window ±{w} at 32 px covers every displacement"
        );
    }
}

#[test]
fn a_position_window_compares_only_candidates_near_each_pixel_as_a_direct_sum_does() {
    // The machine with locality in position against the sum written out: for
    // pixel p, every interior candidate centre q with |q − p| ≤ W on both axes
    // (no wrap-around for q; x_t's window wraps), weight
    // exp(−‖Q_p − √ᾱ·C_q‖² / (2(1 − ᾱ))).
    let set = small_set(2);
    let x_t = field(32, 5).data().to_vec();
    let (size, w, a) = (7u32, 3i32, 0.6f64);
    assert_eq!(
        patch::position_window(size),
        3,
        "the window is the patch radius"
    );
    let shape = PatchShape {
        window: Some(w as u32),
        ..PatchShape::everywhere(size, Border::Interior)
    };
    let got = patch::denoise(&set, &x_t, a, shape, None, &[0, 1]);
    let (s, n, r) = (32i32, 32 * 32, (size / 2) as i32);
    let signal = a.sqrt();
    let wrap = |v: i32| v.rem_euclid(s);
    for p in 0..n {
        let (x, y) = ((p % 32) as i32, (p / 32) as i32);
        let mut terms = Vec::new();
        for i in 0..2 {
            let item = set.item(i);
            for qy in (y - w).max(r)..=(y + w).min(s - 1 - r) {
                for qx in (x - w).max(r)..=(x + w).min(s - 1 - r) {
                    let mut dist = 0.0f64;
                    for dy in -r..=r {
                        for dx in -r..=r {
                            let xp = (wrap(y + dy) * s + wrap(x + dx)) as usize;
                            let xq = ((qy + dy) * s + qx + dx) as usize;
                            for c in 0..3 {
                                let e = f64::from(x_t[c * n + xp])
                                    - signal * f64::from(item[c * n + xq]);
                                dist += e * e;
                            }
                        }
                    }
                    let q = (qy * s + qx) as usize;
                    terms.push((
                        -dist / (2.0 * (1.0 - a)),
                        [0, 1, 2].map(|c| f64::from(item[c * n + q])),
                    ));
                }
            }
        }
        assert!(!terms.is_empty(), "pixel ({x}, {y}) has candidates");
        let top = terms.iter().map(|t| t.0).fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = terms.iter().map(|t| (t.0 - top).exp()).sum();
        for c in 0..3 {
            let want = terms
                .iter()
                .map(|t| (t.0 - top).exp() * t.1[c])
                .sum::<f64>()
                / total;
            let diff = (want - f64::from(got.x0_all[c * n + p])).abs();
            assert!(diff < 1e-4, "pixel ({x}, {y}) channel {c}: {diff}");
        }
    }
}

#[test]
fn patch_distances_stay_accurate_at_low_noise() {
    // At ᾱ near 1 a weight is e^(−d/(2(1−ᾱ))): an error of 10⁻⁶ in a patch
    // distance moves its log-weight by 5·10⁻⁴. Box sums kept as running
    // sums (add the value entering the window, subtract the one leaving)
    // were 3·10⁻³ from this f64 reference here; sums without subtraction
    // are within 7.4·10⁻⁴.
    for border in [Border::Interior, Border::Wrap] {
        for (a, p) in [(0.999, 3usize), (0.97, 3), (0.999, 9), (0.99, 17)] {
            let (d, _) = patch_against_the_reference(a, p, border);
            assert!(d < 1e-3, "{border:?}, ᾱ = {a}, P = {p}: max difference {d}");
        }
    }
}
