//! Generates a hypothetical track outside the browser and measures what it is
//! made of.
//!
//! ```text
//! cargo run --release --example sample_sound -- --denoiser patch --tag techno \
//!     [--tag2 chorale --mix 0.4] --seconds 12 --steps 20 --seed 7 --out out.wav \
//!     [--rigidity 1] [--method ddim|ddpm] [--temperature 1] [--no-align] \
//!     [--iters 64] [--archive www/archive] [--picture out.png] [--backend cpu|gpu] \
//!     [--magnitudes out.mag]
//! ```
//! `--denoiser patch` is the track patch machine (`diffusion::track`), at any
//! length; `archive` and `rows` run the scene's whole-picture denoisers
//! (`diffusion::run::Run`), which make one 5.94 s window whatever `--seconds`
//! says. It prints the time per step, the clip leading each second, the
//! clips' shares, the longest stretch that follows one clip at one time offset
//! (nearest whole-column patch of 0.29 s), the pulse (onset autocorrelation:
//! strength and tempo; also at the tag's tempo), and how far the long-term
//! average spectrum is from each scene tag's clips. The WAV's INFO carries
//! the settings, the credits and the timeline.

use std::path::PathBuf;
use std::rc::Rc;
use std::time::Instant;

use hypothetical::archive::dataset::encode_png;
use hypothetical::archive::Manifest;
use hypothetical::audio::spectrogram::{self, load_sounds, EDGE};
use hypothetical::audio::stft::Stft;
use hypothetical::audio::tempo;
use hypothetical::backend::calibration::Calibrations;
use hypothetical::denoise::track::{frame_major, Candidates};
use hypothetical::diffusion::provenance::result_wav;
use hypothetical::diffusion::run::{Run, RunOptions};
use hypothetical::diffusion::track::{
    frames_per_second, longest_copy, ltas, ltas_distance_db, nearest_patches, run_clip_ids,
    track_clip_choice, track_pulse, TrackLibrary, TrackOptions, TrackRun, CLIPS_PER_PIECE,
    TRACK_CLIPS_PER_TAG,
};
use hypothetical::gpu::track::GpuTrack;
use hypothetical::gpu::GpuContext;

const TAGS: [&str; 6] = ["techno", "chorale", "jazz", "voice", "drums", "static"];

struct Args {
    denoiser: String,
    o: TrackOptions,
    out: PathBuf,
    picture: Option<PathBuf>,
    magnitudes: Option<PathBuf>,
    archive: PathBuf,
    iters: usize,
    gpu: bool,
}

fn usage(why: &str) -> ! {
    eprintln!("{why}\nusage: sample_sound --denoiser patch|archive|rows --tag TAG [--tag2 TAG --mix W] [--seconds S] [--steps N] [--seed N] [--rigidity R] [--method ddim|ddpm] [--temperature T] [--no-align] [--iters N] [--archive DIR] [--picture FILE.png] [--magnitudes FILE.mag] --out FILE.wav");
    std::process::exit(2)
}

fn parse() -> Args {
    let mut a = Args {
        denoiser: "patch".into(),
        o: TrackOptions {
            tag: "techno".into(),
            tag2: None,
            mix: 0.0,
            seconds: 12.0,
            steps: 20,
            seed: 7,
            method: "ddim".into(),
            temperature: 1.0,
            rigidity: 1.0,
            align: true,
        },
        out: PathBuf::from("track.wav"),
        picture: None,
        magnitudes: None,
        archive: PathBuf::from("www/archive"),
        iters: spectrogram::FINAL_ITERS,
        gpu: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--no-align" {
            a.o.align = false;
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
            "--denoiser" => a.denoiser = v,
            "--tag" => a.o.tag = v,
            "--tag2" => a.o.tag2 = Some(v),
            "--mix" => a.o.mix = num(&v) as f32,
            "--seconds" => a.o.seconds = num(&v) as f32,
            "--steps" => a.o.steps = num(&v) as u32,
            "--seed" => a.o.seed = num(&v) as u32,
            "--rigidity" => a.o.rigidity = num(&v) as f32,
            "--method" => a.o.method = v,
            "--temperature" => a.o.temperature = num(&v) as f32,
            "--iters" => a.iters = (num(&v) as usize).clamp(1, 512),
            "--archive" => a.archive = PathBuf::from(v),
            "--picture" => a.picture = Some(PathBuf::from(v)),
            "--magnitudes" => a.magnitudes = Some(PathBuf::from(v)),
            "--out" => a.out = PathBuf::from(v),
            "--backend" => a.gpu = v == "gpu",
            _ => usage(&format!("unknown flag {flag}")),
        }
    }
    if a.o.tag2.is_some() && a.o.mix == 0.0 {
        a.o.mix = 0.5;
    }
    a
}

fn main() {
    let args = parse();
    let (all, _) = load_sounds(&args.archive).unwrap_or_else(|e| usage(&e));
    let (manifest, _) = Manifest::load(&args.archive).unwrap_or_else(|e| usage(&e.to_string()));
    // The page's library: the soundtracks only as chosen for the track's tags.
    let chosen = track_clip_choice(&manifest.items, &args.o);
    let ids = run_clip_ids(&manifest.items, &chosen, |id| all.index_of(id).is_some());
    let set = all.subset(&ids).expect("every clip is loaded");
    if !chosen.is_empty() {
        println!(
            "the soundtracks this track draws on: {} clips, at most {TRACK_CLIPS_PER_TAG} of a tag: one the seed picks and those nearest it in coarse spectrum, at most {CLIPS_PER_PIECE} from one piece",
            chosen.len()
        );
    }
    let lib = TrackLibrary::ordered(&set, &ids.iter().map(String::as_str).collect::<Vec<_>>());
    let started = Instant::now();
    let clock = || started.elapsed().as_secs_f64();
    let mut last = 0.0;
    let items = manifest.items.clone();
    // Each branch returns its picture and how to write its WAV (settings, credits, timeline).
    type WavOf = Box<dyn Fn(&[f32]) -> Vec<u8>>;
    let (result, cols, wav_of): (Vec<f32>, usize, WavOf) = match args.denoiser.as_str() {
        "patch" => {
            let mut run = TrackRun::start(&lib, &args.o).unwrap_or_else(|e| usage(&e.to_string()));
            println!("{}", run.settings());
            for c in &run.candidates().clips {
                println!(
                    "  candidate {:<26} pulse {:.2} at {:.1} BPM, stretched ×{:.3}",
                    lib.ids[c.clip], c.pulse.strength, c.pulse.bpm, c.stretch
                );
            }
            let pairs = run.pairs_per_step();
            let rows = EDGE as u64;
            let k = rows / 16;
            println!(
                "work per step (GPU estimate): {:.2e}–{:.2e} (frame, candidate frame) pairs: {:.2e}–{:.2e} multiply-adds, {:.2e}–{:.2e} exponentials; reads {:.0} MB of pictures per step if each pair rereads its two columns",
                *pairs.iter().min().unwrap() as f64,
                *pairs.iter().max().unwrap() as f64,
                (*pairs.iter().min().unwrap() * rows) as f64,
                (*pairs.iter().max().unwrap() * rows) as f64,
                (*pairs.iter().min().unwrap() * k) as f64,
                (*pairs.iter().max().unwrap() * k) as f64,
                (*pairs.iter().max().unwrap() * rows * 8) as f64 / 1e6,
            );
            // `--backend gpu`: the WGSL twin through wgpu (Vulkan; lavapipe without a GPU).
            let plan = args.gpu.then(|| {
                let ctx =
                    pollster::block_on(GpuContext::new()).unwrap_or_else(|e| usage(&e.to_string()));
                println!("GPU: {}", ctx.adapter_name());
                GpuTrack::new(&ctx, run.candidates(), run.cols())
            });
            loop {
                let r = match &plan {
                    Some(plan) => pollster::block_on(run.step_gpu(plan)),
                    None => run.step(usize::MAX),
                }
                .unwrap_or_else(|e| usage(&e.to_string()));
                let now = clock();
                println!(
                    "step {:>3} of {} t = {:>4}, patches {} rows × {} frames: {:.0} ms",
                    r.index,
                    r.total,
                    r.t,
                    r.patch[0],
                    r.patch[1],
                    1e3 * (now - last)
                );
                last = now;
                if r.done {
                    break;
                }
            }
            let steps = run.sampler().total_steps();
            println!(
                "{steps} steps in {:.1} s ({:.0} ms per step)",
                clock(),
                1e3 * clock() / steps as f64
            );
            let copied = run.longest_copy();
            println!(
                "longest stretch following one clip at one offset: {:.2} s of {:.2} s ({}, from {:.2} s)",
                copied.seconds,
                run.seconds(),
                copied.id,
                copied.at
            );
            let shares = run.shares(0, 8).expect("finished");
            println!("clips' shares of the last step's (band, frame) cells:");
            for s in &shares {
                println!("  {:<28} {:.3}", s.id, s.weight);
            }
            let seconds = run.per_second(0).expect("finished");
            println!("timeline (clip leading each second):");
            for (i, id) in seconds.iter().enumerate() {
                println!("  {i:>3} s  {id}");
            }
            let x = run.sampler().x_t().to_vec();
            let cols = run.cols();
            let wav: WavOf = Box::new(move |sound| run.wav(sound, &items).expect("finished"));
            (x, cols, wav)
        }
        "archive" | "rows" => {
            let o = RunOptions {
                denoiser: if args.denoiser == "rows" {
                    "gaussian"
                } else {
                    "archive"
                }
                .into(),
                tag: Some(args.o.tag.clone()),
                steps: args.o.steps,
                guidance: 1.0,
                temperature: args.o.temperature,
                seed: args.o.seed,
                method: args.o.method.clone(),
                size: None,
                border: None,
            };
            let (mut run, info) = Run::start(
                Rc::new(set.clone()),
                None,
                &o,
                None,
                &Calibrations::default(),
                false,
            )
            .unwrap_or_else(|e| usage(&e.to_string()));
            println!("{} (one 5.94 s window)", info.settings);
            let clock_ms = move || started.elapsed().as_secs_f64() * 1e3;
            loop {
                let r = pollster::block_on(run.step(&clock_ms, f64::INFINITY))
                    .unwrap_or_else(|e| usage(&e.to_string()));
                if r.done {
                    break;
                }
            }
            println!("{} steps in {:.1} s", run.sampler().total_steps(), clock());
            let x = frame_major(run.sampler().result().expect("finished"), EDGE);
            let credits = run.credits(&items, usize::MAX, 4).unwrap_or_default();
            let tag = args.o.tag.clone();
            let wav: WavOf =
                Box::new(move |sound| result_wav(sound, Some(&tag), &info.settings, &credits));
            (x, EDGE, wav)
        }
        _ => usage("denoiser: patch, archive or rows"),
    };
    let seconds = cols as f32 / frames_per_second();
    if args.denoiser != "patch" {
        // The same copy measurement for the whole-picture denoisers.
        let w = lib
            .weights(&args.o.tag, None, 0.0)
            .unwrap_or_else(|e| usage(&e.to_string()));
        let pictures: Vec<&[f32]> = lib.pictures.iter().map(Vec::as_slice).collect();
        let cands = Candidates::new(&pictures, EDGE, &w, false);
        let copied = longest_copy(&nearest_patches(&cands, &result, cols), &lib.ids);
        println!(
            "longest stretch following one clip at one offset: {:.2} s of {seconds:.2} s ({})",
            copied.seconds, copied.id
        );
    }
    // Pulse and average spectrum against the tags' clips.
    let p = track_pulse(&result);
    println!("pulse: strongest {:.2} at {:.1} BPM", p.strength, p.bpm);
    let tag_clips: Vec<usize> = (0..lib.ids.len())
        .filter(|&i| lib.tags[i].contains(&args.o.tag))
        .collect();
    let beats: Vec<f32> = tag_clips
        .iter()
        .map(|&i| tempo::pulse(&lib.pictures[i], EDGE))
        .filter(|p| p.is_beat())
        .map(|p| p.bpm)
        .collect();
    if !beats.is_empty() {
        let mean = beats.iter().sum::<f32>() / beats.len() as f32;
        println!(
            "pulse at the {} clips' mean tempo {mean:.1} BPM: {:.2}",
            args.o.tag,
            tempo::pulse_at(&result, EDGE, mean)
        );
    }
    let mine = ltas(&result, EDGE);
    println!("average spectrum, RMS distance to each tag's clips' average:");
    for tag in TAGS {
        let avg = lib.tag_ltas(tag).expect("a scene tag");
        println!("  {tag:<8} {:.1} dB", ltas_distance_db(&mine, &avg));
    }
    let mut stft = Stft::standard();
    let t0 = Instant::now();
    let sound = spectrogram::track_to_sound(&mut stft, &result, args.iters, None);
    println!(
        "Griffin–Lim ({} iterations from PGHI): {:.2} s for {seconds:.1} s of sound",
        args.iters,
        t0.elapsed().as_secs_f64()
    );
    let wav = wav_of(&sound);
    std::fs::write(&args.out, wav).unwrap_or_else(|e| usage(&e.to_string()));
    println!("wrote {}", args.out.display());
    if let Some(path) = &args.magnitudes {
        // The magnitudes the scene inverts (the clamped picture), for the phase bench.
        let (mags, frames, length) = spectrogram::track_magnitudes(&result);
        std::fs::write(path, spectrogram::write_magnitudes(&mags, frames, length))
            .unwrap_or_else(|e| usage(&e.to_string()));
        println!("wrote {}", path.display());
    }
    if let Some(path) = &args.picture {
        let rgba = spectrogram::colour_track(&result);
        std::fs::write(path, encode_png(&rgba, cols as u32, EDGE as u32, &[]))
            .unwrap_or_else(|e| usage(&e.to_string()));
        println!("wrote {}", path.display());
    }
}
