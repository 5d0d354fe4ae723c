//! The track patch machine: a patch denoiser on spectrograms that is
//! equivariant in time and anchored in frequency, its beat grid and tempo, and
//! the tracks it makes from the archive.

use std::path::Path;
use std::sync::OnceLock;

use hypothetical::audio::spectrogram::{load_sounds, EDGE};
use hypothetical::audio::tempo;
use hypothetical::denoise::track::{denoise, Candidates, TrackPass, TrackShape, BAND};
use hypothetical::diffusion::track::{
    ltas, ltas_distance_db, track_pulse, TrackLibrary, TrackOptions, TrackRun,
};
use hypothetical::rng::fill_gaussian_planar;

fn library() -> &'static TrackLibrary {
    static LIB: OnceLock<TrackLibrary> = OnceLock::new();
    LIB.get_or_init(|| {
        let (set, _) = load_sounds(Path::new("www/archive")).expect("the archive's sounds");
        TrackLibrary::from_dataset(&set)
    })
}

fn picture(id: &str) -> &'static [f32] {
    let lib = library();
    let i = lib
        .ids
        .iter()
        .position(|c| c == id)
        .expect("a clip of the archive");
    &lib.pictures[i]
}

/// √ᾱ·x + √(1 − ᾱ)·ε with seeded ε.
fn noised(x: &[f32], alpha_bar: f64, seed: u64) -> Vec<f32> {
    let mut eps = vec![0.0f32; x.len()];
    fill_gaussian_planar(seed, 3, x.len(), 1, &mut eps);
    let (s, n) = (alpha_bar.sqrt() as f32, (1.0 - alpha_bar).sqrt() as f32);
    x.iter().zip(&eps).map(|(&v, &e)| s * v + n * e).collect()
}

fn rms(a: &[f32], b: &[f32]) -> f32 {
    (a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>() / a.len() as f32).sqrt()
}

fn options(tag: &str, tag2: Option<&str>, mix: f32, seconds: f32, steps: u32) -> TrackOptions {
    TrackOptions {
        tag: tag.into(),
        tag2: tag2.map(Into::into),
        mix,
        seconds,
        steps,
        seed: 7,
        method: "ddim".into(),
        temperature: 1.0,
        rigidity: 1.0,
        align: true,
    }
}

#[test]
fn one_clip_with_whole_column_patches_reproduces_that_clip() {
    let clip = picture("techno-126-stabs");
    let cands = Candidates::new(&[clip], EDGE, &[1.0], false);
    let x_t = noised(clip, 0.9, 1);
    let out = denoise(
        &cands,
        &x_t,
        512,
        0.9,
        TrackShape::whole_column(EDGE, 25),
        1.0,
    );
    let err = rms(&out.x0, clip);
    assert!(err < 1e-4, "x̂0 is the clip itself (RMS {err})");
    // Every (band, frame) takes the clip at its own frame.
    for (c, col) in out.sources.chunks_exact(EDGE / BAND).enumerate() {
        assert!(col.iter().all(|s| s.frame as usize == c && s.share > 0.999));
    }
}

/// The largest difference between x̂0 of a noisy track of `cols` frames and
/// x̂0 of the same noise seen from frame `shift`, away from the track's ends
/// (where the windows are the same): 0 for a time-equivariant machine.
fn shift_difference(cands: &Candidates, cols: usize, shift: usize) -> f32 {
    let shape = TrackShape {
        bands: 9,
        frames: 31,
    };
    let long = noised(&vec![0.0; EDGE * (cols + shift)], 0.3, 5);
    let a = &long[..EDGE * cols];
    let b = &long[EDGE * shift..];
    let da = denoise(cands, a, cols, 0.3, shape, 1.0);
    let db = denoise(cands, b, cols, 0.3, shape, 1.0);
    let h = shape.half_frames();
    let mut worst = 0.0f32;
    for c in (shift + h)..(cols - h) {
        let (pa, pb) = (
            &da.x0[c * EDGE..(c + 1) * EDGE],
            &db.x0[(c - shift) * EDGE..(c - shift + 1) * EDGE],
        );
        worst = worst.max(
            pa.iter()
                .zip(pb)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f32::max),
        );
    }
    worst
}

#[test]
fn shifting_the_noisy_track_in_time_shifts_the_answer() {
    let clips = [picture("techno-124-minimal"), picture("jazz-walk-minor")];
    let cands = Candidates::new(&clips, EDGE, &[1.0, 1.0], false);
    let worst = shift_difference(&cands, 160, 9);
    assert!(
        worst < 1e-4,
        "x̂0 moves with the input (largest difference {worst})"
    );
}

#[test]
fn early_patches_cover_the_whole_column_only_for_the_middle_bands() {
    let bands = EDGE / BAND; // 32 bands of 344 Hz
    let whole = |t: u32| {
        let shape = TrackShape::at(t, 1000);
        (0..bands)
            .filter(|&k| shape.span(k, bands) == (0, bands - 1))
            .collect::<Vec<_>>()
    };
    // At t = T only the two middle bands see all 32; band 0 sees 17 (0–5.9 kHz).
    assert_eq!(whole(1000), vec![15, 16]);
    assert_eq!(TrackShape::at(1000, 1000).span(0, bands), (0, 16));
    // From t ≈ 965 down, no band sees the whole column.
    assert!(whole(964).is_empty());
    assert!((0..=964).all(|t| whole(t).is_empty()));
    // The whole-column shape does, for every band.
    let all = TrackShape::whole_column(EDGE, 25);
    assert!((0..bands).all(|k| all.span(k, bands) == (0, bands - 1)));
}

#[test]
fn on_the_beat_grid_shifting_the_track_by_whole_beats_shifts_the_answer() {
    // 126 and 128 BPM: a median of 127 BPM, 40.69 frames a beat, where a
    // fractional grid moved a fifth to a third of the offsets by one frame.
    let clips = [picture("techno-126-stabs"), picture("techno-128-acid")];
    let cands = Candidates::new(&clips, EDGE, &[1.0, 1.0], true);
    let (period, _) = cands.clips[0].grid.expect("both clips are on the grid");
    assert_eq!(period, period.round(), "a beat is a whole number of frames");
    let tempo = cands.tempo.expect("a common tempo");
    assert!((tempo - 127.0).abs() < 127.0 / 80.0, "{tempo}");
    for beats in [1usize, 2] {
        let shift = beats * period as usize;
        let worst = shift_difference(&cands, 130 + shift, shift);
        assert!(
            worst < 1e-4,
            "{beats} beat(s): x̂0 moves with the input (largest difference {worst})"
        );
    }
}

/// The clip moved up by `rows` rows (the bottom filled with the floor).
fn moved_up(clip: &[f32], rows: usize) -> Vec<f32> {
    let mut out = vec![-1.0f32; clip.len()];
    for (o, c) in out.chunks_exact_mut(EDGE).zip(clip.chunks_exact(EDGE)) {
        o[rows..].copy_from_slice(&c[..EDGE - rows]);
    }
    out
}

#[test]
fn a_clip_moved_up_in_frequency_does_not_serve_other_rows() {
    let clip = picture("techno-130-driving");
    let up = moved_up(clip, 4 * BAND);
    let shape = TrackShape {
        bands: 9,
        frames: 25,
    };
    let x_t = noised(clip, 0.8, 2);
    // With both in the archive, the moved copy leads almost nothing.
    let both = Candidates::new(&[clip, &up], EDGE, &[1.0, 1.0], false);
    let out = denoise(&both, &x_t, 512, 0.8, shape, 1.0);
    let moved = out.sources.iter().filter(|s| s.clip == 1).count();
    assert!(
        moved * 100 < out.sources.len(),
        "the moved copy leads {moved} of {} (band, frame) cells",
        out.sources.len()
    );
    // Alone, its patches stay in their own rows: x̂0 is not the original.
    let alone = Candidates::new(&[&up], EDGE, &[1.0], false);
    let far = denoise(&alone, &x_t, 512, 0.8, shape, 1.0);
    let near = denoise(
        &Candidates::new(&[clip], EDGE, &[1.0], false),
        &x_t,
        512,
        0.8,
        shape,
        1.0,
    );
    let (e_far, e_near) = (rms(&far.x0, clip), rms(&near.x0, clip));
    assert!(
        e_near < 0.05 && e_far > 0.2,
        "own rows {e_near}, moved rows {e_far}"
    );
}

#[test]
fn the_pass_in_slices_equals_the_whole_call() {
    let clips = [picture("techno-128-acid"), picture("chorale-bwv269-organ")];
    let cands = Candidates::new(&clips, EDGE, &[0.7, 0.3], true);
    let x_t = noised(&vec![0.0; EDGE * 120], 0.5, 3);
    let shape = TrackShape::at(500, 1000);
    let whole = denoise(&cands, &x_t, 120, 0.5, shape, 0.8);
    let mut pass = TrackPass::new(&cands, &x_t, 120, 0.5, shape, 0.8);
    while !pass.is_complete() {
        pass.work(&cands, 7);
    }
    let sliced = pass.finish();
    assert_eq!(whole.x0, sliced.x0);
    assert_eq!(whole.sources, sliced.sources);
}

#[test]
fn the_shares_of_a_call_merged_equal_the_whole_call() {
    // As Web Workers split a step: every third diagonal each, merged.
    let clips = [
        picture("techno-128-acid"),
        picture("chorale-bwv269-organ"),
        picture("jazz-walk-minor"),
    ];
    let cands = Candidates::new(&clips, EDGE, &[0.5, 0.3, 0.2], true);
    let x_t = noised(&vec![0.0; EDGE * 150], 0.6, 8);
    for (t, rho) in [(900u32, 1.0f32), (300, 1.0), (300, 3.0)] {
        let shape = TrackShape::at(t, 1000);
        let whole = denoise(&cands, &x_t, 150, 0.6, shape, rho);
        let mut merged: Option<hypothetical::denoise::track::TrackPartial> = None;
        for index in 0..3 {
            let mut pass = TrackPass::new(&cands, &x_t, 150, 0.6, shape, rho).share(index, 3);
            pass.run(&cands);
            let part = pass.into_partial();
            match merged.as_mut() {
                Some(m) => m.merge(&part),
                None => merged = Some(part),
            }
        }
        let merged = merged.expect("three shares").finish();
        assert_eq!(merged.pairs, whole.pairs);
        let worst = merged
            .x0
            .iter()
            .zip(&whole.x0)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(worst < 1e-5, "t = {t}: x̂0 differs by {worst}");
        for (m, w) in merged.sources.iter().zip(&whole.sources) {
            assert_eq!((m.clip, m.frame), (w.clip, w.frame));
            assert!((m.share - w.share).abs() < 1e-5);
        }
    }
}

#[test]
fn rigidity_zero_takes_one_patch_and_looser_mixes_more() {
    let clips = [picture("techno-128-acid"), picture("techno-124-minimal")];
    let cands = Candidates::new(&clips, EDGE, &[1.0, 1.0], false);
    let x_t = noised(&vec![0.0; EDGE * 100], 0.5, 4);
    let shape = TrackShape::at(500, 1000);
    let mean_share = |rho: f32| {
        let out = denoise(&cands, &x_t, 100, 0.5, shape, rho);
        out.sources.iter().map(|s| s.share).sum::<f32>() / out.sources.len() as f32
    };
    let (rigid, posterior, loose) = (mean_share(0.0), mean_share(1.0), mean_share(4.0));
    assert!(rigid > 0.999, "rigidity 0: one patch per cell ({rigid})");
    assert!(
        posterior > loose,
        "ρ = 4 spreads the weights ({posterior} → {loose})"
    );
}

#[test]
fn the_tempo_of_each_techno_clip_is_found_from_its_picture() {
    for (id, bpm) in [
        ("techno-124-minimal", 124.0),
        ("techno-126-stabs", 126.0),
        ("techno-128-acid", 128.0),
        ("techno-130-driving", 130.0),
    ] {
        let p = tempo::pulse(picture(id), EDGE);
        assert!(p.is_beat() && (p.bpm - bpm).abs() < 0.5, "{id}: {p:?}");
    }
    for id in ["white-noise", "pink-noise", "radio-static"] {
        let p = tempo::pulse(picture(id), EDGE);
        assert!(!p.is_beat(), "{id} has no beat: {p:?}");
    }
}

#[test]
fn stretching_a_picture_changes_its_tempo_by_the_factor() {
    let clip = picture("techno-130-driving");
    let slower = tempo::stretch(clip, EDGE, 1.04);
    assert_eq!(slower.len() / EDGE, (511.0f32 * 1.04).floor() as usize + 1);
    let p = tempo::pulse(&slower, EDGE);
    assert!((p.bpm - 130.0 / 1.04).abs() < 0.6, "{p:?}");
}

#[test]
fn a_techno_track_keeps_a_beat_is_made_of_several_clips_and_copies_none() {
    let lib = library();
    let mut run = TrackRun::start(lib, &options("techno", None, 0.0, 12.0, 20)).expect("a run");
    run.run().expect("finished");
    let x = run.sampler().x_t();
    assert_eq!(x.len(), EDGE * run.cols());
    // A beat at the techno clips' tempo (124–130 BPM), as strong as theirs.
    let p = track_pulse(x);
    assert!(p.bpm > 123.0 && p.bpm < 131.0 && p.strength > 0.5, "{p:?}");
    let noise = track_pulse(&noised(&vec![0.0; x.len()], 0.0, 9));
    assert!(noise.strength < 0.2, "white noise pulses less: {noise:?}");
    // No copy: the longest stretch at one clip and offset is a beat or two.
    let copied = run.longest_copy();
    assert!(copied.seconds < 2.0, "{copied:?} of {} s", run.seconds());
    // Several clips, all of them techno.
    let shares = run.shares(0, 10).expect("finished");
    assert!(
        shares.iter().filter(|s| s.weight > 0.05).count() >= 3,
        "{shares:?}"
    );
    assert!(
        shares.iter().all(|s| s.id.starts_with("techno-")),
        "{shares:?}"
    );
    // Its average spectrum is nearer the techno clips' than any other tag's.
    let mine = ltas(x, EDGE);
    let tag_ltas = |tag: &str| ltas_distance_db(&mine, &lib.tag_ltas(tag).expect("a tag"));
    let techno = tag_ltas("techno");
    for other in ["chorale", "jazz", "voice", "static"] {
        assert!(techno < tag_ltas(other), "techno {techno} dB vs {other}");
    }
}

#[test]
fn a_two_tag_blend_draws_from_both_tags_by_its_weights() {
    let lib = library();
    // Over four seeds (one seed's share swings from 0.13 to 0.32).
    let (mut techno, mut chorale) = (0.0, 0.0);
    for seed in 1..=4 {
        let mut o = options("techno", Some("chorale"), 0.4, 6.0, 10);
        o.seed = seed;
        let mut run = TrackRun::start(lib, &o).expect("a run");
        run.run().expect("finished");
        let shares = run.shares(0, 20).expect("finished");
        let of = |prefix: &str| -> f32 {
            shares
                .iter()
                .filter(|s| s.id.starts_with(prefix))
                .map(|s| s.weight)
                .sum()
        };
        let (t, c) = (of("techno-"), of("chorale-"));
        assert!((t + c - 1.0).abs() < 1e-3, "only the two tags' clips");
        techno += t / 4.0;
        chorale += c / 4.0;
    }
    assert!(
        techno > 0.15 && chorale > 0.15,
        "techno {techno}, chorale {chorale}"
    );
    assert!(
        (techno + chorale - 1.0).abs() < 1e-3,
        "only the two tags' clips"
    );
}

#[test]
fn bad_track_options_are_refused_in_words() {
    let lib = library();
    let refused = |o: TrackOptions| TrackRun::start(lib, &o).err().map(|e| e.to_string());
    assert!(refused(options("techno", None, 0.0, 0.5, 20))
        .unwrap()
        .contains("length"));
    assert!(refused(options("techno", Some("chorale"), 1.5, 6.0, 20))
        .unwrap()
        .contains("mix"));
    assert!(refused(options("nothing", None, 0.0, 6.0, 20))
        .unwrap()
        .contains("nothing"));
    assert!(refused(options("techno", Some("techno"), 0.5, 6.0, 20))
        .unwrap()
        .contains("different"));
    let mut o = options("techno", None, 0.0, 6.0, 20);
    o.rigidity = 9.0;
    assert!(refused(o).unwrap().contains("rigidity"));
}

#[test]
fn a_track_becomes_sound_of_its_length_and_a_wav_naming_its_clips_and_timeline() {
    let lib = library();
    let mut run = TrackRun::start(lib, &options("drums", None, 0.0, 3.0, 10)).expect("a run");
    run.run().expect("finished");
    let x = run.sampler().x_t().to_vec();
    let (mags, frames, length) = hypothetical::audio::spectrogram::track_magnitudes(&x);
    assert_eq!((frames, length), (run.cols() + 1, run.cols() * 256));
    assert_eq!(mags.len(), frames * 513);
    let mut stft = hypothetical::audio::stft::Stft::standard();
    let sound = hypothetical::audio::spectrogram::track_to_sound(&mut stft, &x, 8, None);
    assert_eq!(sound.len(), length);
    let rms = (sound.iter().map(|v| v * v).sum::<f32>() / sound.len() as f32).sqrt();
    assert!((rms - 0.1).abs() < 0.01, "levelled to −20 dBFS ({rms})");
    let (manifest, _) =
        hypothetical::archive::Manifest::load(Path::new("www/archive")).expect("the manifest");
    let wav = run.wav(&sound, &manifest.items).expect("finished");
    let text = String::from_utf8_lossy(&wav);
    assert!(text.contains("A hypothetical drums track"));
    let first = &run.shares(0, 1).expect("finished")[0].id;
    assert!(text.contains(&format!("Made from: {first} (")), "credits");
    assert!(text.contains("” by "), "credit lines");
    let seconds = run.per_second(0).expect("finished");
    assert!(text.contains(&format!(
        "Timeline (clip leading each second): 0s {}",
        seconds[0]
    )));
    assert_eq!(run.per_second(0).expect("finished").len(), 3);
}

#[test]
fn the_library_follows_the_manifest_whatever_order_the_clips_were_loaded_in() {
    let (set, _) = load_sounds(Path::new("www/archive")).expect("the archive's sounds");
    // The page pushes clips as the browser finishes decoding them.
    let mut shuffled = hypothetical::archive::dataset::Dataset::single_channel(EDGE as u32);
    for i in (0..set.len()).rev() {
        shuffled
            .push_values(set.id(i), set.tags(i), set.item(i))
            .expect("a picture");
    }
    let manifest: Vec<&str> = (0..set.len()).map(|i| set.id(i)).collect();
    let lib = TrackLibrary::ordered(&shuffled, &manifest);
    assert_eq!(lib.ids, library().ids);
    assert_eq!(lib.pictures[3], library().pictures[3]);
}

#[test]
fn a_clip_on_the_beat_grid_keeps_its_prior_mass_per_column_within_a_few_percent() {
    // Per column c, clip j's prior mass is (its share / n_j) times the number
    // of its offsets whose window is valid at c. Over the whole track it is
    // the clip's share; at one column it swings with the beat phase.
    let clips: Vec<&[f32]> = [
        "techno-124-minimal",
        "techno-128-acid",
        "techno-126-stabs",
        "techno-130-driving",
        "chorale-bwv269-organ",
    ]
    .into_iter()
    .map(picture)
    .collect();
    let cands = Candidates::new(&clips, EDGE, &[1.0; 5], true);
    let (cols, h) = (2068usize, 12usize); // a 24 s track, the last steps' patch
    let (_, log_prior) = cands.plan(cols, h);
    let mut worst = (0.0f64, 0.0f64);
    for (j, clip) in cands.clips.iter().enumerate() {
        let mut mass = vec![0.0f64; cols];
        for d in cands.offsets(j, cols, h) {
            let (lo, hi) = cands.columns(j, cols, h, d);
            for m in &mut mass[lo..=hi] {
                *m += log_prior[j].exp();
            }
        }
        // Away from the track's ends, where a long clip's windows all fit.
        let inner = &mass[clip.frames..cols - clip.frames];
        let mean = inner.iter().sum::<f64>() / inner.len() as f64;
        let (lo, hi) = inner
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &m| (a.min(m), b.max(m)));
        let swing = (hi - lo) / mean / 2.0;
        eprintln!(
            "{}: grid {:?}, {} frames, per-column mass {mean:.5} ± {:.1} %",
            clip.clip,
            clip.grid.map(|g| g.0),
            clip.frames,
            100.0 * swing
        );
        if clip.grid.is_some() {
            worst.0 = worst.0.max(swing);
        } else {
            worst.1 = worst.1.max(swing);
        }
    }
    // Without a grid every column sees the same offsets; on the grid the
    // count at a column is within one of its mean.
    assert!(worst.1 < 1e-9, "no grid, no swing: {}", worst.1);
    assert!(worst.0 < 0.1, "on the grid: ±{:.1} %", 100.0 * worst.0);
}

#[test]
fn the_manifest_keeps_each_clips_coarse_spectrum_as_the_page_computes_it() {
    use hypothetical::diffusion::track::{coarse_spectrum, ROWS};
    let (manifest, _) =
        hypothetical::archive::Manifest::load(Path::new("www/archive")).expect("the manifest");
    let lib = library();
    for (id, pic) in lib.ids.iter().zip(&lib.pictures) {
        let item = manifest.items.iter().find(|i| &i.id == id).unwrap();
        let kept = item
            .spectrum
            .as_ref()
            .expect("every sound has its spectrum");
        let now = coarse_spectrum(pic, ROWS);
        let worst = kept
            .iter()
            .zip(&now)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(
            worst <= 0.0006,
            "{id}: the manifest's spectrum is off by {worst}"
        );
    }
}

#[test]
fn a_tracks_clips_of_a_large_tag_are_those_nearest_in_sound_to_one_the_seed_picks() {
    use hypothetical::diffusion::track::{track_clip_choice, CLIPS_PER_PIECE, TRACK_CLIPS_PER_TAG};
    let (manifest, _) =
        hypothetical::archive::Manifest::load(Path::new("www/archive")).expect("the manifest");
    let o = options("orchestral", None, 0.0, 12.0, 20);
    let chosen = track_clip_choice(&manifest.items, &o);
    assert_eq!(chosen.len(), TRACK_CLIPS_PER_TAG);
    let item = |id: &str| manifest.items.iter().find(|i| i.id == id).unwrap();
    for id in &chosen {
        let piece = &item(id).attribution;
        let same = chosen
            .iter()
            .filter(|j| &item(j).attribution == piece)
            .count();
        assert!(same <= CLIPS_PER_PIECE, "{same} clips of {piece}");
    }
    // Nearer in sound to each other than the tag's clips at large.
    let spectrum = |id: &str| item(id).spectrum.clone().unwrap();
    let spread = |ids: &[String]| {
        let mut d = Vec::new();
        for a in ids {
            for b in ids {
                if a < b {
                    d.push(ltas_distance_db(&spectrum(a), &spectrum(b)));
                }
            }
        }
        d.iter().sum::<f32>() / d.len() as f32
    };
    let all: Vec<String> = manifest
        .tagged("orchestral")
        .filter(|i| i.tags.iter().any(|t| t == "game music"))
        .map(|i| i.id.clone())
        .collect();
    let (near, wide) = (spread(&chosen), spread(&all));
    eprintln!("orchestral: mean spectral distance {near:.2} dB among the chosen, {wide:.2} dB over the tag");
    assert!(
        near < 0.8 * wide,
        "{near} dB among the chosen against {wide} dB"
    );
    let other = track_clip_choice(
        &manifest.items,
        &TrackOptions {
            seed: o.seed + 1,
            ..o
        },
    );
    assert_ne!(other, chosen, "another seed draws on other clips");
}

#[test]
fn the_track_reader_reads_a_clip_by_its_own_tag_with_its_piece_left_out() {
    use hypothetical::diffusion::track_reading::{plan_reading, read_planned, track_tags};
    let (manifest, _) =
        hypothetical::archive::Manifest::load(Path::new("www/archive")).expect("the manifest");
    let lib = library();
    let picture_of = |id: &str| {
        lib.ids
            .iter()
            .position(|c| c == id)
            .map(|i| lib.pictures[i].as_slice())
    };
    let vocabulary = track_tags();
    // Every 40th clip that carries a tag a track can be asked for.
    let sounds: Vec<_> = manifest
        .items
        .iter()
        .filter(|i| i.kind == hypothetical::archive::Kind::Sound)
        .filter(|i| i.tags.iter().any(|t| vocabulary.contains(&t.as_str())))
        .step_by(40)
        .collect();
    let (mut first, mut three) = (0, 0);
    for item in &sounds {
        let picture = picture_of(&item.id).unwrap();
        let plan = plan_reading(&manifest.items, picture, Some(&item.attribution));
        assert!(
            plan.iter().all(|(_, _, ids)| ids.iter().all(|id| {
                manifest
                    .items
                    .iter()
                    .find(|i| &i.id == id)
                    .unwrap()
                    .attribution
                    != item.attribution
            })),
            "no clip of its own piece is read against it"
        );
        let read = read_planned(&plan, picture, picture_of).unwrap();
        let sum: f32 = read.iter().map(|r| r.p).sum();
        assert!(
            (sum - 1.0).abs() < 1e-4,
            "the tags read share the probability"
        );
        let own = |t: &str| item.tags.iter().any(|x| x == t);
        first += usize::from(own(&read[0].tag));
        three += usize::from(read.iter().take(3).any(|r| own(&r.tag)));
        eprintln!("{}: read {} {:.2}", item.id, read[0].tag, read[0].p);
    }
    let n = sounds.len();
    eprintln!("own tag first {first}/{n}, in the first three {three}/{n}");
    assert!(
        3 * first >= 2 * n && 10 * three >= 9 * n,
        "first {first}, first three {three} of {n}"
    );
}
