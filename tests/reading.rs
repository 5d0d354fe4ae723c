//! Reading finished pictures with the diffusion classifier
//! (`diffusion::reading`): held-out archive pictures, and a new mosaic from
//! the 128 px cascade.

use std::path::Path;
use std::rc::Rc;

use hypothetical::archive::dataset::{load_archive, Dataset};
use hypothetical::backend::calibration::Calibrations;
use hypothetical::diffusion::reading::{self, at_read_edge, leave_one_out, READ_EDGE};
use hypothetical::diffusion::run::{Run, RunOptions};

fn archive(edge: u32) -> Dataset {
    load_archive(Path::new("www/archive"), edge).unwrap()
}

#[test]
fn pictures_are_box_averaged_to_32_px_and_other_sizes_are_refused() {
    let edge = 64;
    let n = (edge * edge) as usize;
    // Each 2 × 2 block holds −1, 1, 0.5, 0.5: its mean is 0.25.
    let picture: Vec<f32> = (0..3 * n)
        .map(|i| {
            let (y, x) = ((i % n) / 64, i % 64);
            [[-1.0, 1.0], [0.5, 0.5]][y % 2][x % 2]
        })
        .collect();
    let small = at_read_edge(&picture, edge).unwrap();
    assert_eq!(small.len(), 3 * 32 * 32);
    assert!(small.iter().all(|v| (v - 0.25).abs() < 1e-6));
    assert!(at_read_edge(&picture, 48).is_err());
    assert!(at_read_edge(&picture[..10], 64).is_err());
}

#[test]
fn the_classifier_ranks_held_out_archive_pictures_by_their_own_tags() {
    // Every 80th picture read against the rest of the archive, its own
    // readable tags competing with the reader's shortlist
    // (`examples/read_archive.rs` reports every 40th: 83 % first, 97 % in
    // the first three).
    let set = archive(READ_EDGE);
    let items: Vec<usize> = (0..set.len()).step_by(80).collect();
    let (first, three, counted) = leave_one_out(&set, &items);
    assert!(counted >= 25, "{counted} items read");
    assert!(
        first * 10 >= counted * 7,
        "own tag first for {first} of {counted}"
    );
    assert!(
        three * 10 >= counted * 9,
        "own tag in the first three for {three} of {counted}"
    );
}

#[test]
fn a_new_flower_mosaic_reads_as_flower_though_the_whole_picture_recogniser_misses_it() {
    let (big, small) = (Rc::new(archive(128)), Rc::new(archive(32)));
    let o = RunOptions {
        denoiser: "patch".into(),
        tag: Some("flower".into()),
        steps: 10,
        guidance: 1.0,
        temperature: 1.0,
        seed: 7,
        method: "ddim".into(),
        size: Some(128),
        border: None,
    };
    let (mut run, _) = Run::start(
        big,
        Some(small.clone()),
        &o,
        None,
        &Calibrations::default(),
        false,
    )
    .unwrap();
    let now = || 0.0;
    while !pollster::block_on(run.step(&now, f64::INFINITY))
        .unwrap()
        .done
    {}
    let result = run.sampler().result().unwrap();
    // Asked whether it is a flower, against the ten tags of the pictures it
    // resembles most as a whole, the reader says flower.
    let bars = reading::read(&small, result, 128, Some("flower"), 3).unwrap();
    assert_eq!(bars[0].tag, "flower", "read: {bars:?}");
    assert!(bars.iter().all(|b| b.tag != "clip art" && b.tag != "emoji"));
    let whole = run.recogniser(10, 5, None).unwrap();
    assert!(
        whole.iter().all(|b| b.tag != "flower"),
        "the whole-picture recogniser's first five: {whole:?}"
    );
    // Asked about another tag, the reader reads that one instead, and it
    // is shown even when it comes last.
    let asked = reading::read(&small, result, 128, Some("map"), 3).unwrap();
    assert!(asked.iter().any(|b| b.tag == "map"), "{asked:?}");
    assert!(asked.iter().all(|b| b.tag != "flower"), "{asked:?}");
}
