//! One patch-denoiser step on the archive, timed, with its inputs and output
//! written for the NumPy/BLAS reference (`benches/patch_numpy.py`), which
//! computes the same step, checks it agrees, and prints the ratio.
//!
//! ```text
//! cargo run --release --example patch_step -- OUT_DIR [CASE]
//! ```
//! Cases: 32 px over all 67 items with every position a candidate (the
//! published machine) at patch sizes 17 and 9 (ᾱ = 0.5), 128 px with the
//! position window the cascade uses (patch 19, ±9 px) over 8 items, and every
//! step of a 20-step run at 32 px (`run-32-sNN`: its ᾱ and patch size). For each it writes
//! `<case>.json` (edge, items, patch, window, ᾱ, Rust ms) and `<case>.f32`
//! (items, x_t, x̂0 as little-endian f32, planar RGB).

use std::io::Write;
use std::time::Instant;

use hypothetical::archive::dataset::load_archive;
use hypothetical::denoise::patch::{self, Border, PatchShape};
use hypothetical::diffusion::sampler::{Sampler, SamplerConfig};
use hypothetical::forward::schedule::{Schedule, ScheduleKind};
use hypothetical::rng::fill_gaussian_planar;

fn main() {
    let out = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/patch-step".into()),
    );
    std::fs::create_dir_all(&out).expect("output folder");
    // An optional second argument runs only the cases whose name contains it.
    let only = std::env::args().nth(2).unwrap_or_default();
    let root = std::path::Path::new("www/archive");
    // The vector instructions the step runs with (chosen at run time).
    let build = patch::PatchStep::vector_path();
    let mut cases = vec![
        (
            "full-32-p17".to_string(),
            32u32,
            67usize,
            17u32,
            None,
            0.5f64,
        ),
        ("full-32-p9".to_string(), 32, 67, 9, None, 0.5),
        (
            "window-128-p19".to_string(),
            128,
            8,
            19,
            Some(patch::position_window(19)),
            0.5,
        ),
    ];
    // Every step of a 20-step run at 32 px as the pages sample it (DDIM,
    // cosine schedule): its ᾱ and its patch size, 17 at t = T down to 3.
    let sampler = Sampler::new(SamplerConfig::default()).expect("the default sampler");
    let schedule = Schedule::new(ScheduleKind::Cosine, sampler.t_max());
    for (k, &t) in sampler.times().iter().enumerate() {
        let size = patch::patch_size(32, t, sampler.t_max());
        cases.push((
            format!("run-32-s{k:02}"),
            32,
            67,
            size,
            None,
            schedule.alpha_bar(t),
        ));
    }
    for (name, edge, items, size, window, alpha_bar) in cases {
        if !name.contains(only.as_str()) {
            continue;
        }
        let set = load_archive(root, edge).expect("the archive");
        let items = items.min(set.len());
        let candidates: Vec<usize> = (0..items).collect();
        let mut x_t = vec![0.0f32; set.dim()];
        fill_gaussian_planar(3, 4, set.pixels(), 3, &mut x_t);
        // x_t = √ᾱ·x_0 + √(1−ᾱ)·ε around item 0.
        for (v, &x0) in x_t.iter_mut().zip(set.item(0)) {
            *v = (alpha_bar.sqrt() as f32) * x0 + ((1.0 - alpha_bar).sqrt() as f32) * *v;
        }
        let shape = PatchShape {
            window,
            ..PatchShape::everywhere(size, Border::Interior)
        };
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        // The median of three runs, on one thread and on every core.
        let time = |threads: usize| {
            let mut times = Vec::new();
            let mut result = None;
            for _ in 0..3 {
                let t0 = Instant::now();
                result = Some(if threads == 1 {
                    patch::denoise(&set, &x_t, alpha_bar, shape, None, &candidates)
                } else {
                    patch::denoise_threads(&set, &x_t, alpha_bar, shape, None, &candidates, threads)
                });
                times.push(t0.elapsed().as_secs_f64() * 1e3);
            }
            times.sort_by(f64::total_cmp);
            (times[1], result.expect("ran").x0_all)
        };
        let (ms, x0) = time(1);
        let (ms_all, x0_all) = time(threads);
        let apart = x0
            .iter()
            .zip(&x0_all)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(apart < 1e-4, "threads and one thread differ by {apart}");
        let mut f = std::fs::File::create(out.join(format!("{name}.f32"))).expect("file");
        for v in set.data()[..items * set.dim()]
            .iter()
            .chain(&x_t)
            .chain(&x0)
        {
            f.write_all(&v.to_le_bytes()).expect("write");
        }
        let (span, _) = shape.displacements(edge);
        let pairs = items as u64 * u64::from(edge * edge) * u64::from(span * span);
        std::fs::write(
            out.join(format!("{name}.json")),
            format!(
                "{{\"edge\": {edge}, \"items\": {items}, \"patch\": {size}, \"window\": {}, \"alpha_bar\": {alpha_bar}, \"rust_ms\": {ms:.3}, \"rust_threads\": {threads}, \"rust_ms_threads\": {ms_all:.3}, \"pairs\": {pairs}, \"build\": \"{build}\"}}\n",
                window.map_or("null".to_string(), |w| w.to_string())
            ),
        )
        .expect("json");
        println!(
            "{name} ({build}): Rust {ms:.1} ms per step on one thread ({:.1} ns per (pixel, candidate) pair), {ms_all:.1} ms on {threads} threads",
            ms * 1e6 / pairs as f64
        );
    }
}
