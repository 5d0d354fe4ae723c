//! CPU forward noising at 512 × 512, measured side by side: the first frame of a
//! seed (RNG + mix) against a scrubbed frame (mix only, noise reused), and the
//! spectrum computed once per picture. Compare ratios, not absolute times.

use criterion::{criterion_group, criterion_main, Criterion};
use hypothetical::forward::noising::{noise_field, CpuNoiser, NoiseParams};
use hypothetical::image::power_spectrum::radial_power_spectrum;
use hypothetical::image::ImageField;

fn picture(size: u32) -> ImageField {
    let n = (size * size) as usize;
    ImageField::from_planar(
        size,
        size,
        (0..n * 3)
            .map(|i| ((i % 509) as f32 / 254.5) - 1.0)
            .collect(),
    )
}

fn bench(c: &mut Criterion) {
    let x0 = picture(512);
    let mut group = c.benchmark_group("cpu 512x512");
    group.bench_function("noise field (Philox + Box-Muller)", |b| {
        b.iter(|| noise_field(7, 512 * 512))
    });
    let mut cpu = CpuNoiser::new();
    cpu.set_image(x0.clone());
    let mut out = Vec::new();
    group.bench_function("scrubbed frame (mix + bytes)", |b| {
        let mut t = 0.0;
        b.iter(|| {
            t = (t + 0.01) % 1.0;
            cpu.render_rgba(NoiseParams::from_alpha_bar(7, t), &mut out)
        })
    });
    let mut seed = 0;
    group.bench_function("new-seed frame (RNG + mix + bytes)", |b| {
        b.iter(|| {
            seed += 1;
            cpu.render_rgba(NoiseParams::from_alpha_bar(seed, 0.5), &mut out)
        })
    });
    group.sample_size(20);
    group.bench_function("radial power spectrum", |b| {
        b.iter(|| radial_power_spectrum(&x0))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
