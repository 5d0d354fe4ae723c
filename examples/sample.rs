//! Runs the page's sampler outside the browser and writes the result with its provenance.
//!
//! ```text
//! cargo run --release --example sample -- --denoiser patch --tag flower --steps 50 \
//!     --seed 7 --size 64 --out out.png [--method ddim|ddpm] [--guidance 1] \
//!     [--temperature 1] [--backend cpu|gpu] [--archive www/archive] [--scale 4]
//! ```
//! It prints the leading provenance items and the final recogniser probabilities;
//! the PNG carries the same in its text chunks. `--backend gpu` runs the WGSL
//! kernels through wgpu (Vulkan; lavapipe without a GPU). The CPU backend
//! uses every item for the patch denoiser (no bounded candidate set) unless
//! `--cpu-budget` is given, which applies the page's limit.

use std::path::PathBuf;
use std::time::Instant;

use hypothetical::archive::dataset::{encode_png, load_archive};
use hypothetical::archive::{Kind, Manifest};
use hypothetical::denoise::patch::Border;
use hypothetical::denoise::{archive as archive_denoiser, DenoiserKind};
use hypothetical::diffusion::cpu::{cpu_patch_items, CpuDenoiser};
use hypothetical::diffusion::provenance::{describe_settings, png_text, provenance};

use hypothetical::diffusion::sampler::{Method, Sampler, SamplerConfig};
use hypothetical::diffusion::schedule::ScheduleKind;
use hypothetical::gpu::denoisers::GpuDenoiser;
use hypothetical::gpu::GpuContext;

struct Args {
    denoiser: DenoiserKind,
    tag: Option<String>,
    cfg: SamplerConfig,
    out: PathBuf,
    archive: PathBuf,
    gpu: bool,
    scale: u32,
    cpu_budget: bool,
    border: Border,
}

fn usage(why: &str) -> ! {
    eprintln!("{why}\nusage: sample --denoiser archive|gaussian|patch [--tag TAG] [--steps 10..1000] [--seed N] [--size 32|64] [--method ddim|ddpm] [--guidance W] [--temperature T] [--schedule cosine|linear] [--backend cpu|gpu] [--cpu-budget] [--border interior|wrap] [--archive DIR] [--scale K] --out FILE.png");
    std::process::exit(2)
}

fn parse() -> Args {
    let mut a = Args {
        denoiser: DenoiserKind::Archive,
        tag: None,
        cfg: SamplerConfig::default(),
        out: PathBuf::from("sample.png"),
        archive: PathBuf::from("www/archive"),
        gpu: false,
        scale: 4,
        cpu_budget: false,
        border: Border::default(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--cpu-budget" {
            a.cpu_budget = true;
            continue;
        }
        let v = it
            .next()
            .unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        let num = |v: &str| {
            v.parse::<f64>()
                .unwrap_or_else(|_| usage(&format!("{flag}: not a number: {v}")))
        };
        match flag.as_str() {
            "--denoiser" => {
                a.denoiser = DenoiserKind::parse(&v).unwrap_or_else(|| usage("unknown denoiser"))
            }
            "--tag" => a.tag = Some(v),
            "--steps" => a.cfg.steps = num(&v) as u32,
            "--seed" => a.cfg.seed = num(&v) as u64,
            "--size" => a.cfg.edge = num(&v) as u32,
            "--method" => {
                a.cfg.method = Method::parse(&v).unwrap_or_else(|| usage("unknown method"))
            }
            "--guidance" => a.cfg.guidance = num(&v) as f32,
            "--temperature" => a.cfg.temperature = num(&v) as f32,
            "--schedule" => {
                a.cfg.schedule =
                    ScheduleKind::parse(&v).unwrap_or_else(|| usage("unknown schedule"))
            }
            "--backend" => {
                a.gpu = match v.as_str() {
                    "gpu" => true,
                    "cpu" => false,
                    _ => usage("backend: cpu or gpu"),
                }
            }
            "--archive" => a.archive = PathBuf::from(v),
            "--border" => {
                a.border = Border::parse(&v).unwrap_or_else(|| usage("--border interior|wrap"))
            }
            "--scale" => a.scale = (num(&v) as u32).clamp(1, 16),
            "--out" => a.out = PathBuf::from(v),
            _ => usage(&format!("unknown flag {flag}")),
        }
    }
    a
}

fn main() {
    let args = parse();
    let set = load_archive(&args.archive, args.cfg.edge).unwrap_or_else(|e| usage(&e));
    let (manifest, _) = Manifest::load(&args.archive).unwrap_or_else(|e| usage(&e.to_string()));
    let items: Vec<_> = manifest
        .items
        .into_iter()
        .filter(|i| i.kind == Kind::Image)
        .collect();
    let tag = args.tag.as_deref();
    let mut cpu = CpuDenoiser::new(&set, args.denoiser, tag)
        .unwrap_or_else(|| usage(&format!("no archive image carries the tag {tag:?}")))
        .with_border(args.border);
    if args.cpu_budget {
        let k = cpu_patch_items(set.edge(), set.len());
        cpu = cpu.with_patch_items(k);
    }
    let mut sampler = Sampler::new(args.cfg.clone()).unwrap_or_else(|e| usage(&e.to_string()));
    let started = Instant::now();
    let backend = if args.gpu {
        let ctx = pollster::block_on(GpuContext::new()).unwrap_or_else(|e| usage(&e.to_string()));
        let name = ctx.adapter_name().to_string();
        let mut gpu = GpuDenoiser::new(ctx, &set, args.denoiser, cpu.mask(), cpu.gaussian());
        while !sampler.is_done() {
            let shape = cpu.patch_shape(&set, &sampler);
            let d = pollster::block_on(gpu.denoise(sampler.x_t(), sampler.alpha_bar(), shape))
                .unwrap_or_else(|e| usage(&e.to_string()));
            sampler
                .advance(&d, args.denoiser, shape.map(|p| p.size))
                .expect("shapes");
        }
        format!("gpu ({name})")
    } else {
        cpu.run(&set, &mut sampler);
        if cpu.patch_items() < set.len() && args.denoiser == DenoiserKind::Patch {
            format!("cpu, {} candidate items per step", cpu.patch_items())
        } else {
            "cpu".to_string()
        }
    };
    let elapsed = started.elapsed().as_secs_f64();
    let record = sampler.records().last().expect("at least ten steps");
    let cfg = sampler.config();
    let sources = provenance(&set, args.denoiser, cpu.mask(), cfg.guidance, record, 8);
    let settings = describe_settings(args.denoiser, tag, cfg, cpu.border(), &backend);
    println!("{settings}");
    println!(
        "{} steps in {:.2} s ({:.1} ms per step)",
        cfg.steps,
        elapsed,
        1000.0 * elapsed / f64::from(cfg.steps)
    );
    println!("provenance (leading items):");
    for s in &sources {
        println!("  {:<28} {:.4}", s.id, s.weight);
    }
    let result = sampler.result().expect("finished");
    let final_posterior = archive_denoiser::posterior(&set, result, 1.0 - 1e-4);
    println!("recogniser p(tag | x_t) at the last step, and of the result:");
    let last = archive_denoiser::tag_probabilities(&set, &record.posterior);
    for (t, p) in last.iter().take(6) {
        let q = archive_denoiser::tag_probability(&set, &final_posterior, t);
        println!("  {t:<16} {p:.3}   {q:.3}");
    }
    let s = cfg.edge as usize;
    let rgba = {
        let mut small = vec![0u8; s * s * 4];
        hypothetical::image::write_rgba8(result, s * s, &mut small);
        hypothetical::image::upscale_nearest(&small, cfg.edge, args.scale)
    };
    let text = png_text(&settings, &sources, args.denoiser, &items);
    let text: Vec<(&str, &str)> = text.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let png = encode_png(&rgba, cfg.edge * args.scale, cfg.edge * args.scale, &text);
    std::fs::write(&args.out, png).unwrap_or_else(|e| usage(&e.to_string()));
    println!("wrote {}", args.out.display());
}
