//! Reading finished pictures patch by patch (`diffusion::reading`): the
//! reader against held-out archive pictures, a new mosaic from the 128 px
//! cascade, and the workers' shares of a reading.

use std::path::Path;
use std::rc::Rc;

use hypothetical::archive::dataset::{load_archive, Dataset};
use hypothetical::backend::calibration::Calibrations;
use hypothetical::denoise::archive::tag_probability_in;
use hypothetical::diffusion::reading::{self, at_read_edge, leave_one_out, READ_EDGE};
use hypothetical::diffusion::run::{Run, RunOptions};

fn archive(edge: u32) -> Dataset {
    load_archive(Path::new("www/archive"), edge).unwrap()
}

fn reader(set: &Dataset, x: &[f32]) -> Vec<f32> {
    reading::read(set, x, READ_EDGE).unwrap()
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
fn the_patch_reader_names_held_out_archive_pictures_by_their_own_tags() {
    // Each item read against the other 66: the figures the README and
    // `examples/read_archive.rs` report (0.408 and 57 of 67).
    let set = archive(READ_EDGE);
    let (own, right) = leave_one_out(&set, reader);
    assert!(own > 0.39, "the item's own tags get {own:.3}");
    assert!(
        right >= 55,
        "{right} of {} items read by one of their own tags",
        set.len()
    );
}

#[test]
fn a_new_flower_mosaic_reads_as_flower_patch_by_patch_but_not_as_a_whole_picture() {
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
    let weights = reading::read(&small, result, 128).unwrap();
    let bars = reading::reading_bars(&small, &weights, 3);
    assert!(
        bars.iter().any(|b| b.tag == "flower"),
        "read patch by patch: {bars:?}"
    );
    let read = tag_probability_in(&small, &weights, "flower", None);
    let whole = run.recogniser(10, 67, None).unwrap();
    let whole_flower = whole
        .iter()
        .find(|b| b.tag == "flower")
        .map_or(0.0, |b| b.p);
    assert!(
        read > 0.15 && whole_flower < 0.01,
        "flower: {read:.3} read patch by patch, {whole_flower:.3} by the whole-picture recogniser"
    );
    // Shared by three workers, the reading is the same.
    let job = reading::reading_job(result, 128, small.len()).unwrap();
    let shares: Vec<_> = (0..3).map(|w| job.share(&small, w, 3).to_flat()).collect();
    let merged = reading::finish_reading(&small, &shares).unwrap();
    let d = merged
        .iter()
        .zip(&weights)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(d < 1e-5, "shared and one-thread readings differ by {d}");
    assert!(reading::finish_reading(&small, &shares[..2]).is_err());
}
