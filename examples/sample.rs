//! Runs the page's sampling run outside the browser (the same
//! `diffusion::run::Run`) and writes the result with its provenance.
//!
//! ```text
//! cargo run --release --example sample -- --denoiser patch --tag flower --steps 20 \
//!     --seed 7 --size 128 --out out.png [--method ddim|ddpm] [--guidance 1] \
//!     [--temperature 1] [--backend cpu|gpu] [--border interior|wrap] \
//!     [--archive www/archive] [--scale 4] [--whole]
//! ```
//! It prints the time per step, the leading provenance items, the recogniser
//! at the last step, and how far the result is from the archive: the RMS
//! distance to its nearest item and to the tag's mean (a copy is at 0). The
//! PNG carries the settings and provenance in its text chunks. `--backend gpu`
//! runs the WGSL kernels through wgpu (Vulkan; lavapipe without a GPU). The
//! run is the page's: above 32 px it sees the whole archive at 32 px and
//! chooses from it (the cascades, the Gaussian's sample). `--whole` gives it
//! every picture at the full size instead: the exact machine to compare with
//! (the patch machine at 128 px is a cascade either way).

use std::path::PathBuf;
use std::rc::Rc;
use std::time::Instant;

use hypothetical::archive::dataset::{load_archive, Dataset};
use hypothetical::archive::{Kind, Manifest};
use hypothetical::backend::calibration::Calibrations;
use hypothetical::denoise::patch::WINDOWED_ABOVE;
use hypothetical::diffusion::reading::{self, READ_EDGE, READ_LEVELS};
use hypothetical::diffusion::run::{Run, RunOptions, CASCADE_EDGE};
use hypothetical::gpu::GpuContext;

struct Args {
    options: RunOptions,
    out: PathBuf,
    archive: PathBuf,
    gpu: bool,
    scale: u32,
    whole: bool,
}

fn usage(why: &str) -> ! {
    eprintln!("{why}\nusage: sample --denoiser archive|gaussian|patch [--tag TAG] [--steps 10..1000] [--seed N] [--size 32|64|128] [--method ddim|ddpm] [--guidance W] [--temperature T] [--backend cpu|gpu] [--border interior|wrap] [--archive DIR] [--scale K] [--whole] --out FILE.png");
    std::process::exit(2)
}

fn parse() -> Args {
    let mut a = Args {
        options: RunOptions {
            denoiser: "archive".into(),
            tag: None,
            steps: 20,
            guidance: 1.0,
            temperature: 1.0,
            seed: 7,
            method: "ddim".into(),
            size: Some(32),
            border: None,
        },
        out: PathBuf::from("sample.png"),
        archive: PathBuf::from("www/archive"),
        gpu: false,
        scale: 4,
        whole: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--whole" {
            a.whole = true;
            continue;
        }
        let v = it
            .next()
            .unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        let num = |v: &str| {
            v.parse::<f64>()
                .unwrap_or_else(|_| usage(&format!("{flag}: not a number: {v}")))
        };
        let o = &mut a.options;
        match flag.as_str() {
            "--denoiser" => o.denoiser = v,
            "--tag" => o.tag = Some(v),
            "--steps" => o.steps = num(&v) as u32,
            "--seed" => o.seed = num(&v) as u32,
            "--size" => o.size = Some(num(&v) as u32),
            "--method" => o.method = v,
            "--guidance" => o.guidance = num(&v) as f32,
            "--temperature" => o.temperature = num(&v) as f32,
            "--border" => o.border = Some(v),
            "--backend" => {
                a.gpu = match v.as_str() {
                    "gpu" => true,
                    "cpu" => false,
                    _ => usage("backend: cpu or gpu"),
                }
            }
            "--archive" => a.archive = PathBuf::from(v),
            "--scale" => a.scale = (num(&v) as u32).clamp(1, 16),
            "--out" => a.out = PathBuf::from(v),
            _ => usage(&format!("unknown flag {flag}")),
        }
    }
    a
}

/// RMS distance between two pictures of the same size.
fn rms(a: &[f32], b: &[f32]) -> f64 {
    let sum: f64 = a.iter().zip(b).map(|(x, y)| f64::from(x - y).powi(2)).sum();
    (sum / a.len() as f64).sqrt()
}

/// The nearest item to `x` and its RMS distance, and the RMS distance to the
/// mean of the items carrying `tag` (of all items without one).
fn distances(set: &Dataset, x: &[f32], tag: Option<&str>) -> ((String, f64), f64) {
    let nearest = (0..set.len())
        .map(|i| (set.id(i).to_string(), rms(set.item(i), x)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .expect("a non-empty archive");
    let members: Vec<usize> = (0..set.len())
        .filter(|&i| tag.is_none_or(|t| set.has_tag(i, t)))
        .collect();
    let mut mean = vec![0.0f32; set.dim()];
    for &i in &members {
        for (m, v) in mean.iter_mut().zip(set.item(i)) {
            *m += v / members.len() as f32;
        }
    }
    (nearest, rms(&mean, x))
}

fn main() {
    let args = parse();
    let size = args.options.size.unwrap_or(32);
    let load = |edge| Rc::new(load_archive(&args.archive, edge).unwrap_or_else(|e| usage(&e)));
    let set = load(size);
    // Above 32 px the run sees the whole archive at 32 px, as the page does:
    // it chooses its cascade's candidates or the Gaussian's sample from it.
    let patch_cascade = args.options.denoiser == "patch" && size > WINDOWED_ABOVE;
    let coarse =
        (size > CASCADE_EDGE && (!args.whole || patch_cascade)).then(|| load(CASCADE_EDGE));
    let (manifest, _) = Manifest::load(&args.archive).unwrap_or_else(|e| usage(&e.to_string()));
    let items: Vec<_> = manifest
        .items
        .into_iter()
        .filter(|i| i.kind == Kind::Image)
        .collect();
    let ctx = args
        .gpu
        .then(|| pollster::block_on(GpuContext::new()).unwrap_or_else(|e| usage(&e.to_string())));
    let (mut run, info) = Run::start(
        set.clone(),
        coarse,
        &args.options,
        ctx.as_ref(),
        &Calibrations::default(),
        false,
    )
    .unwrap_or_else(|e| usage(&e.to_string()));
    println!("{}", info.settings);
    if let Some(words) = &info.approximation {
        println!("{words}");
    }
    if let Some(ctx) = &ctx {
        println!("GPU: {}", ctx.adapter_name());
    }
    let started = Instant::now();
    let clock = move || started.elapsed().as_secs_f64() * 1e3;
    let mut last = 0.0;
    loop {
        let r = pollster::block_on(run.step(&clock, f64::INFINITY))
            .unwrap_or_else(|e| usage(&e.to_string()));
        let now = clock();
        println!(
            "step {:>3} of {} t = {:>4}{} on the {}: {:.0} ms",
            r.index,
            r.total,
            r.t,
            r.patch
                .map(|p| format!(", patches {p} px"))
                .unwrap_or_default(),
            r.backend,
            now - last
        );
        last = now;
        if r.done {
            break;
        }
    }
    if let Some(kept) = run.kept_mass() {
        println!("at the handover the kept items held {kept:.6} of the posterior");
    }
    let elapsed = clock() / 1e3;
    let steps = run.sampler().total_steps();
    println!(
        "{steps} steps in {elapsed:.2} s ({:.0} ms per step)",
        1e3 * elapsed / steps as f64
    );
    println!("provenance (leading items):");
    for s in run.provenance(usize::MAX, 8).expect("finished") {
        println!("  {:<28} {:.4}", s.id, s.weight);
    }
    if args.options.denoiser == "patch" {
        let supplying = run
            .provenance(usize::MAX, usize::MAX)
            .expect("finished")
            .iter()
            .filter(|s| s.weight >= 0.05)
            .count();
        println!("items supplying at least 5 % of the pixels: {supplying}");
    }
    println!("recogniser p(tag | x_t) at the last step:");
    for bar in run.recogniser(steps, 6, None).expect("finished") {
        println!("  {:<16} {:.3}", bar.tag, bar.p);
    }
    let result = run.sampler().result().expect("finished");
    let small = if size == READ_EDGE {
        set.clone()
    } else {
        load(READ_EDGE)
    };
    let bars = reading::read(&small, result, size, run.tag(), 6).unwrap_or_else(|e| usage(&e));
    let levels: Vec<String> = READ_LEVELS
        .iter()
        .map(|(a, p)| format!("ᾱ = {a} with {p} px patches"))
        .collect();
    println!(
        "read by the diffusion classifier (each tag's patch machine at {READ_EDGE} px, {}):",
        levels.join(", ")
    );
    for bar in bars {
        println!("  {:<16} {:.3}", bar.tag, bar.p);
    }
    let tag = run.tag();
    let ((nearest, to_nearest), to_mean) = distances(&set, result, tag);
    println!(
        "RMS distance (values in −1…1): to the nearest item ({nearest}) {to_nearest:.3}; to the mean of {} {to_mean:.3}",
        tag.map_or("all items".to_string(), |t| format!("the items tagged {t}"))
    );
    let png = run.png(&items, args.scale).expect("finished");
    std::fs::write(&args.out, png).unwrap_or_else(|e| usage(&e.to_string()));
    println!("wrote {}", args.out.display());
}
