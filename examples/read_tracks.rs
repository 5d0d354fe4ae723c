//! Measures the track reader (`diffusion::track_reading`): leave-one-out
//! over the archive's clips (each read against the clips of other pieces)
//! and the reading of tracks the patch machine invents.
//!
//! ```text
//! cargo run --release --example read_tracks -- [--every 4] [--seconds 6] [--steps 20] [--seeds 1,2,3]
//! ```

use std::path::Path;
use std::time::Instant;

use hypothetical::archive::{Kind, Manifest};
use hypothetical::audio::spectrogram::load_sounds;
use hypothetical::diffusion::track::{
    run_clip_ids, track_clip_choice, TrackLibrary, TrackOptions, TrackRun,
};
use hypothetical::diffusion::track_reading::{
    plan_reading, read_planned, track_tags, READ_TEMPERATURE,
};

fn main() {
    let mut every = 4usize;
    let mut seconds = 6.0f32;
    let mut steps = 20u32;
    let mut seeds = vec![1u32, 2, 3];
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let v = pair.get(1).map(String::as_str).unwrap_or("");
        match pair[0].as_str() {
            "--every" => every = v.parse().expect("a number"),
            "--seconds" => seconds = v.parse().expect("a number"),
            "--steps" => steps = v.parse().expect("a number"),
            "--seeds" => seeds = v.split(',').map(|s| s.parse().expect("a number")).collect(),
            f => panic!("unknown flag {f}"),
        }
    }
    let root = Path::new("www/archive");
    let (all, _) = load_sounds(root).expect("the archive's sounds");
    let (manifest, _) = Manifest::load(root).expect("the manifest");
    let lib = TrackLibrary::from_dataset(&all);
    let picture_of = |id: &str| {
        lib.ids
            .iter()
            .position(|c| c == id)
            .map(|i| lib.pictures[i].as_slice())
    };
    let vocabulary = track_tags();
    let started = Instant::now();

    // Leave one piece out.
    let sounds: Vec<_> = manifest
        .items
        .iter()
        .filter(|i| {
            i.kind == Kind::Sound && i.tags.iter().any(|t| vocabulary.contains(&t.as_str()))
        })
        .collect();
    let (mut first, mut three, mut counted) = (0, 0, 0);
    let mut fits = Vec::new();
    for item in sounds.iter().step_by(every) {
        let own: Vec<&str> = item
            .tags
            .iter()
            .map(String::as_str)
            .filter(|t| vocabulary.contains(t))
            .collect();
        let picture = picture_of(&item.id).expect("loaded");
        let plan = plan_reading(&manifest.items, picture, Some(&item.attribution));
        let read = read_planned(&plan, picture, picture_of).expect("every clip is held");
        fits.push((
            read.clone(),
            own.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
        ));
        counted += 1;
        first += usize::from(own.contains(&read[0].tag.as_str()));
        three += usize::from(read.iter().take(3).any(|r| own.contains(&r.tag.as_str())));
        println!(
            "{:<36} own {:<24} read {}",
            item.id,
            own.join("+"),
            first_three(&read)
        );
    }
    println!(
        "leave one piece out, every {every}th clip: own tag first {first}/{counted}, in the first three {three}/{counted} ({:.0} s)",
        started.elapsed().as_secs_f64()
    );

    fit_temperature("leave one piece out", &fits);
    println!("(the reader uses τ = {READ_TEMPERATURE})");

    // Inventions.
    let (mut first, mut three, mut counted) = (0, 0, 0);
    let mut invented = Vec::new();
    for tag in &vocabulary {
        for &seed in &seeds {
            let o = TrackOptions {
                tag: tag.to_string(),
                tag2: None,
                mix: 0.0,
                seconds,
                steps,
                seed,
                method: "ddim".into(),
                temperature: 1.0,
                rigidity: 1.0,
                align: true,
            };
            let chosen = track_clip_choice(&manifest.items, &o);
            let ids = run_clip_ids(&manifest.items, &chosen, |id| all.index_of(id).is_some());
            let set = all.subset(&ids).expect("loaded");
            let run_lib =
                TrackLibrary::ordered(&set, &ids.iter().map(String::as_str).collect::<Vec<_>>());
            let mut run = TrackRun::start(&run_lib, &o).expect("a track");
            run.run().expect("finishes");
            let picture = run.sampler().result().expect("the result").to_vec();
            let plan = plan_reading(&manifest.items, &picture, None);
            let read = read_planned(&plan, &picture, picture_of).expect("every clip is held");
            let rank = read
                .iter()
                .position(|r| r.tag == *tag)
                .map_or(99, |r| r + 1);
            invented.push((read.clone(), vec![tag.to_string()]));
            counted += 1;
            first += usize::from(rank == 1);
            three += usize::from(rank <= 3);
            println!(
                "{tag:<11} seed {seed}: asked tag ranked {rank}; read {}",
                first_three(&read)
            );
        }
    }
    println!(
        "{seconds} s tracks in {steps} steps: asked tag first {first}/{counted}, in the first three {three}/{counted} ({:.0} s in all)",
        started.elapsed().as_secs_f64()
    );
    fit_temperature("inventions", &invented);
}

type Read = Vec<hypothetical::diffusion::track_reading::TrackTagReading>;

/// The first three tags read, with their probabilities.
fn first_three(read: &Read) -> String {
    read.iter()
        .take(3)
        .map(|r| format!("{} {:.2}", r.tag, r.p))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The mean log-likelihood of the own tags and the number read first, as τ varies.
fn fit_temperature(what: &str, fits: &[(Read, Vec<String>)]) {
    println!("{what}:");
    for tau in [
        1.0, 16.0, 64.0, 128.0, 256.0, 384.0, 512.0, 768.0, 1024.0, 2048.0, 4096.0,
    ] {
        let mut ll = 0.0f64;
        let mut firsts = 0;
        for (read, own) in fits {
            let logits: Vec<f64> = read
                .iter()
                .map(|r| f64::from(r.prior.max(1e-9)).ln() - r.cost / tau)
                .collect();
            let top = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let z: f64 = logits.iter().map(|l| (l - top).exp()).sum();
            let p_own: f64 = read
                .iter()
                .zip(&logits)
                .filter(|(r, _)| own.contains(&r.tag))
                .map(|(_, l)| (l - top).exp() / z)
                .sum();
            ll += p_own.max(1e-12).ln();
            let best = (0..read.len())
                .max_by(|&a, &b| logits[a].total_cmp(&logits[b]))
                .unwrap();
            firsts += usize::from(own.contains(&read[best].tag));
        }
        println!(
            "  τ = {tau:>6}: mean log p(own tag) {:.3}, own tag first {firsts}/{}",
            ll / fits.len() as f64,
            fits.len()
        );
    }
}
