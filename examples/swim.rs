//! Renders Swim for artists: numbered PNG frames of an archive picture
//! dissolving over the whole piece into a background of static that the
//! denoisers made when asked for “static” (`forward::swim`), and a WAV of an
//! archive sound slowed to exactly the same length (`audio::stretch`:
//! Paulstretch, or tape slowing whose pitch falls), then prints the `ffmpeg`
//! line that joins them.
//!
//! ```text
//! cargo run --release --example swim -- --image astronaut --sound maple-leaf-rag \
//!     --minutes 9 --fps 30 --size 512 --out DIR [--slow paul|tape] [--seed 7]
//! ```
//! `--size` is 512 for the pictures the archive keeps at 512 px (Dissolve's
//! eight) or 128 for any picture. Nine minutes at 30 frames a second are
//! 16,200 frames.

use std::path::PathBuf;
use std::rc::Rc;
use std::time::Instant;

use hypothetical::archive::dataset::{decode_png, encode_png, load_archive};
use hypothetical::archive::{read_flac, Kind, Manifest};
use hypothetical::audio::stretch::{PaulStretch, SampleStream, Tape};
use hypothetical::audio::wav::{resample, write_wav};
use hypothetical::backend::calibration::Calibrations;
use hypothetical::diffusion::run::{Run, RunOptions};
use hypothetical::forward::schedule::{Schedule, ScheduleKind};
use hypothetical::forward::swim::Swim;
use hypothetical::image::ImageField;

const RATE: u32 = 22_050;

struct Args {
    image: String,
    sound: String,
    minutes: f64,
    fps: f64,
    size: u32,
    out: PathBuf,
    tape: bool,
    seed: u32,
}

fn usage(why: &str) -> ! {
    eprintln!("{why}\nusage: swim --image ID --sound ID [--minutes 1..9] [--fps 1..60] [--size 128|512] [--slow paul|tape] [--seed N] --out DIR");
    std::process::exit(2)
}

fn parse() -> Args {
    let mut a = Args {
        image: "astronaut".into(),
        sound: "maple-leaf-rag".into(),
        minutes: 9.0,
        fps: 30.0,
        size: 512,
        out: PathBuf::from("swim"),
        tape: false,
        seed: 7,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        let number = |v: &str| {
            v.parse::<f64>()
                .unwrap_or_else(|_| usage(&format!("{flag}: “{v}” is not a number")))
        };
        match flag.as_str() {
            "--image" => a.image = value,
            "--sound" => a.sound = value,
            "--minutes" => a.minutes = number(&value),
            "--fps" => a.fps = number(&value),
            "--size" => a.size = number(&value) as u32,
            "--out" => a.out = value.into(),
            "--slow" => {
                a.tape = match value.as_str() {
                    "paul" => false,
                    "tape" => true,
                    _ => usage("--slow is paul or tape"),
                }
            }
            "--seed" => a.seed = number(&value) as u32,
            _ => usage(&format!("unknown flag {flag}")),
        }
    }
    // Minutes below 1 are allowed for trying settings quickly.
    if !(0.01..=9.0).contains(&a.minutes) || !(1.0..=60.0).contains(&a.fps) {
        usage("--minutes is up to 9 and --fps 1 to 60");
    }
    a
}

/// Four pictures of static, made by asking the denoisers for “static”.
fn backgrounds(archive: &std::path::Path, seed: u32) -> Vec<ImageField> {
    let set = Rc::new(load_archive(archive, 64).unwrap_or_else(|e| usage(&e)));
    let small = Rc::new(load_archive(archive, 32).unwrap_or_else(|e| usage(&e)));
    [
        ("gaussian", 64),
        ("patch", 32),
        ("archive", 64),
        ("gaussian", 64),
    ]
    .into_iter()
    .enumerate()
    .map(|(k, (denoiser, size))| {
        let options = RunOptions {
            denoiser: denoiser.into(),
            tag: Some("static".into()),
            steps: 20,
            guidance: 1.0,
            temperature: 1.0,
            seed: seed + k as u32,
            method: "ddim".into(),
            size: Some(size),
            border: None,
        };
        let data = if size == 64 {
            set.clone()
        } else {
            small.clone()
        };
        let (mut run, _) = Run::start(data, None, &options, None, &Calibrations::default(), false)
            .unwrap_or_else(|e| usage(&e.to_string()));
        loop {
            let r = pollster::block_on(run.step(&|| 0.0, f64::INFINITY))
                .unwrap_or_else(|e| usage(&e.to_string()));
            if r.done {
                break;
            }
        }
        println!(
            "background {}: the {denoiser} denoiser asked for “static” ({size} px, seed {})",
            k + 1,
            seed + k as u32
        );
        ImageField::from_planar(
            size,
            size,
            run.sampler().result().expect("finished").to_vec(),
        )
    })
    .collect()
}

fn main() {
    let args = parse();
    let archive = PathBuf::from("www/archive");
    let (manifest, _) = Manifest::load(&archive).unwrap_or_else(|e| usage(&e.to_string()));
    let find = |id: &str, kind| {
        manifest
            .items
            .iter()
            .find(|i| i.id == id && i.kind == kind)
            .unwrap_or_else(|| usage(&format!("the archive has no {kind:?} “{id}”")))
    };
    let (picture_item, sound_item) = (
        find(&args.image, Kind::Image),
        find(&args.sound, Kind::Sound),
    );
    let file = match (args.size, &picture_item.large) {
        (512, Some(large)) => &large.file,
        (128, _) => &picture_item.file,
        (512, None) => usage(&format!(
            "“{}” is kept at 128 px only: use --size 128",
            args.image
        )),
        _ => usage("--size is 128 or 512"),
    };
    let bytes = std::fs::read(archive.join(file)).unwrap_or_else(|e| usage(&e.to_string()));
    let rgba = decode_png(&bytes).unwrap_or_else(|e| usage(&e));
    let picture = ImageField::from_rgba8(&rgba.bytes, rgba.width, rgba.height)
        .unwrap_or_else(|e| usage(&e.to_string()));
    std::fs::create_dir_all(&args.out).unwrap_or_else(|e| usage(&e.to_string()));

    let started = Instant::now();
    let swim = Swim::new(
        &picture,
        &backgrounds(&archive, args.seed),
        Schedule::new(ScheduleKind::Cosine, 1000),
    )
    .unwrap_or_else(|e| usage(&e.to_string()));
    let seconds = args.minutes * 60.0;
    let frames = (seconds * args.fps).round().max(2.0) as usize;
    for k in 0..frames {
        let tau = k as f64 / (frames - 1) as f64;
        let png = encode_png(&swim.frame(tau).to_rgba8(), swim.edge(), swim.edge(), &[]);
        std::fs::write(args.out.join(format!("frame-{k:05}.png")), png)
            .unwrap_or_else(|e| usage(&e.to_string()));
        if k % (frames / 10).max(1) == 0 {
            println!("frame {k} of {frames} (ᾱ = {:.3})", swim.alpha_bar(tau));
        }
    }

    let clip = read_flac(&archive.join(&sound_item.file)).unwrap_or_else(|e| usage(&e));
    let source = resample(&clip.samples, clip.sample_rate, RATE);
    let length = (seconds * f64::from(RATE)).round() as usize;
    let slowed = if args.tape {
        Tape::new(&source, length).render()
    } else {
        PaulStretch::new(&source, RATE, length, u64::from(args.seed)).render()
    };
    let how = if args.tape {
        "tape (the pitch falls)"
    } else {
        "Paulstretch"
    };
    let credit = format!(
        "Swim, after Eryk Salvaggio. Picture: {} by {}, {}. Sound: {} by {}, {}, slowed {:.0}x by {how}. Background: the archive, gaussian and patch denoisers asked for static.",
        picture_item.title, picture_item.creator, picture_item.licence,
        sound_item.title, sound_item.creator, sound_item.licence,
        length as f64 / source.len() as f64
    );
    let wav = write_wav(
        &slowed,
        RATE,
        &[
            ("INAM", "Swim (Hypothetical)"),
            ("ICMT", &credit),
            ("ISFT", "hypothetical swim example"),
        ],
    );
    std::fs::write(args.out.join("swim.wav"), wav).unwrap_or_else(|e| usage(&e.to_string()));
    println!(
        "{frames} frames at {} px and {length} samples ({seconds:.1} s at {RATE} Hz) in {:.1} s",
        swim.edge(),
        started.elapsed().as_secs_f64()
    );
    println!("{credit}");
    println!(
        "join them: ffmpeg -framerate {} -i {}/frame-%05d.png -i {}/swim.wav -c:v libx264 -pix_fmt yuv420p -c:a aac -shortest {}/swim.mp4",
        args.fps,
        args.out.display(),
        args.out.display(),
        args.out.display()
    );
}
