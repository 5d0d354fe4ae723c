//! Per-step time of each denoiser on the CPU, against archive size and resolution.
//! Read the figures as ratios within one run (these machines are noisy).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use hypothetical::archive::dataset::{load_archive, Dataset};
use hypothetical::denoise::gaussian::GaussianDenoiser;
use hypothetical::denoise::{archive, patch};
use hypothetical::rng::fill_gaussian_planar;

fn subset(full: &Dataset, n: usize) -> Dataset {
    let mut set = Dataset::new(full.edge()).unwrap();
    for i in 0..n.min(full.len()) {
        let tags: Vec<&str> = full.tags(i).iter().map(String::as_str).collect();
        set.push_field(full.id(i), &tags, &full.field(i));
    }
    set
}

fn x_t(set: &Dataset) -> Vec<f32> {
    let mut v = vec![0.0f32; set.dim()];
    fill_gaussian_planar(1, 2, set.pixels(), 3, &mut v);
    v
}

fn bench(c: &mut Criterion) {
    let root = std::path::Path::new("www/archive");
    let mut g = c.benchmark_group("denoiser step (CPU)");
    g.sample_size(10);
    for edge in [32u32, 64] {
        let full = load_archive(root, edge).unwrap();
        for n in [16usize, 67] {
            let set = subset(&full, n);
            let x = x_t(&set);
            let mask = set.tag_mask("flower");
            g.bench_with_input(
                BenchmarkId::new(format!("archive {edge}px"), n),
                &n,
                |b, _| b.iter(|| archive::denoise(&set, &x, 0.3, Some(&mask))),
            );
            let gd = GaussianDenoiser::new(&set, None).unwrap();
            g.bench_with_input(
                BenchmarkId::new(format!("gaussian {edge}px"), n),
                &n,
                |b, _| b.iter(|| gd.all.denoise(&x, 0.3)),
            );
            // The patch machine costs O(N·S⁴): at 64 px only what the CPU path uses (4 items).
            let items: Vec<usize> = if edge == 64 {
                (0..4).collect()
            } else {
                (0..n).collect()
            };
            let shape = patch::PatchShape::everywhere(9, patch::Border::Interior);
            if edge == 32 || n == 16 {
                let label = if edge == 64 { 4 } else { n };
                g.bench_with_input(
                    BenchmarkId::new(format!("patch {edge}px"), label),
                    &n,
                    |b, _| b.iter(|| patch::denoise(&set, &x, 0.3, shape, None, &items)),
                );
            }
        }
    }
    // 128 px, as the cascade's refinement steps run it: candidates within the
    // patch radius of each pixel (the window), on 8 items. Pairs per call:
    // 8 · 128² · (2W + 1)², so ns per pair = time / pairs.
    let full = load_archive(root, 128).unwrap();
    let set = subset(&full, 8);
    let x = x_t(&set);
    let items: Vec<usize> = (0..8).collect();
    for size in [19u32, 7] {
        let shape = patch::PatchShape {
            window: Some(patch::position_window(size)),
            ..patch::PatchShape::everywhere(size, patch::Border::Interior)
        };
        let (span, _) = shape.displacements(128);
        let pairs = 8 * 128 * 128 * span * span;
        g.bench_with_input(
            BenchmarkId::new(
                format!("patch 128px window ±{} ({pairs} pairs)", (span - 1) / 2),
                8,
            ),
            &size,
            |b, _| b.iter(|| patch::denoise(&set, &x, 0.8, shape, None, &items)),
        );
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
