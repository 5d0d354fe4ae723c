//! Sampling runs as the scenes step them, natively: on the CPU, with the CPU
//! patch denoiser spread over slices, on the GPU (lavapipe) with calibration
//! and a device lost mid-run, and the slot that keeps a scene's run.
//!
//! GPU cases are skipped, saying so, only where HYPOTHETICAL_ALLOW_NO_GPU=1.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

use hypothetical::archive::dataset::Dataset;
use hypothetical::backend::calibration::{Calibrations, KernelTiming, Path};
use hypothetical::denoise::DenoiserKind;
use hypothetical::diffusion::cpu::CpuDenoiser;
use hypothetical::diffusion::run::{Run, RunError, RunOptions, RunSlot, StepReport, TakenRun};
use hypothetical::diffusion::sampler::{Method, Sampler, SamplerConfig};
use hypothetical::diffusion::slot::SlotError;
use hypothetical::gpu::GpuContext;
use hypothetical::image::ImageField;
use hypothetical::rng::fill_gaussian_planar;

fn field(edge: u32, seed: u64, channels: usize) -> Vec<f32> {
    let n = (edge * edge) as usize;
    let mut g = vec![0.0f32; channels * n];
    fill_gaussian_planar(seed, 99, n, channels, &mut g);
    g.iter().map(|v| (v * 0.5).clamp(-1.0, 1.0)).collect()
}

fn pictures(items: usize) -> Rc<Dataset> {
    let mut set = Dataset::new(32).unwrap();
    for i in 0..items {
        let tags: &[&str] = if i % 2 == 0 { &["even"] } else { &["odd"] };
        let f = ImageField::from_planar(32, 32, field(32, i as u64 + 1, 3));
        set.push_field(&format!("item-{i}"), tags, &f);
    }
    Rc::new(set)
}

fn spectrograms(items: usize) -> Rc<Dataset> {
    let mut set = Dataset::single_channel(32);
    for i in 0..items {
        let tags = [if i % 2 == 0 { "even" } else { "odd" }.to_string()];
        set.push_values(&format!("clip-{i}"), &tags, &field(32, i as u64 + 11, 1))
            .unwrap();
    }
    Rc::new(set)
}

fn options(denoiser: &str, tag: Option<&str>) -> RunOptions {
    RunOptions {
        denoiser: denoiser.into(),
        tag: tag.map(Into::into),
        steps: 10,
        guidance: 1.0,
        temperature: 1.0,
        seed: 5,
        method: "ddpm".into(),
        size: None,
        border: None,
    }
}

fn clock() -> impl Fn() -> f64 {
    let t0 = Instant::now();
    move || t0.elapsed().as_secs_f64() * 1e3
}

/// Steps a run to the end; returns every report.
fn finish(run: &mut Run, slice_ms: f64) -> Vec<StepReport> {
    let now = clock();
    let mut reports = Vec::new();
    loop {
        let r = pollster::block_on(run.step(&now, slice_ms)).unwrap();
        let done = r.done;
        reports.push(r);
        if done {
            return reports;
        }
        assert!(reports.len() < 10_000, "the run never finishes");
    }
}

/// The same sampling done by hand: the sampler and the CPU denoiser alone.
fn by_hand(set: &Dataset, kind: DenoiserKind, tag: Option<&str>, channels: usize) -> Vec<f32> {
    let cfg = SamplerConfig {
        edge: set.edge(),
        method: Method::Ddpm,
        steps: 10,
        seed: 5,
        ..SamplerConfig::default()
    };
    let mut sampler = Sampler::with_channels(cfg, channels).unwrap();
    CpuDenoiser::new(set, kind, tag)
        .unwrap()
        .run(set, &mut sampler);
    sampler.result().unwrap().to_vec()
}

fn gpu() -> Option<GpuContext> {
    match pollster::block_on(GpuContext::new()) {
        Ok(ctx) => Some(ctx),
        Err(e) if std::env::var("HYPOTHETICAL_ALLOW_NO_GPU").as_deref() == Ok("1") => {
            eprintln!("skipping the GPU runs: {e}");
            None
        }
        Err(e) => panic!(
            "no GPU adapter ({e}); install mesa-vulkan-drivers or set HYPOTHETICAL_ALLOW_NO_GPU=1"
        ),
    }
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn a_cpu_run_gives_exactly_what_the_sampler_and_denoiser_give_by_hand() {
    for kind in ["archive", "gaussian", "patch"] {
        let set = pictures(6);
        let (mut run, info) = Run::start(
            set.clone(),
            None,
            &options(kind, Some("even")),
            None,
            &Calibrations::default(),
            true,
        )
        .unwrap();
        assert_eq!(
            (info.steps, info.backend, info.paths),
            (10, Path::Cpu, None)
        );
        assert!(
            info.settings.contains(&format!("denoiser {kind}")),
            "{}",
            info.settings
        );
        let reports = finish(&mut run, f64::INFINITY);
        assert_eq!(reports.len(), 10, "{kind}: one call per step");
        assert!(reports
            .iter()
            .all(|r| r.partial.is_none() && r.backend == Path::Cpu));
        let want = by_hand(&set, DenoiserKind::parse(kind).unwrap(), Some("even"), 3);
        assert_eq!(run.sampler().result().unwrap(), &want[..], "{kind}");
    }
}

#[test]
fn the_cpu_patch_denoiser_spreads_a_step_over_slices_without_changing_it() {
    let set = pictures(6);
    let (mut sliced, _) = Run::start(
        set.clone(),
        None,
        &options("patch", None),
        None,
        &Calibrations::default(),
        false,
    )
    .unwrap();
    // A zero slice adds one item per call: 6 calls per step, the last completing it.
    let reports = finish(&mut sliced, 0.0);
    assert_eq!(reports.len(), 60);
    let first = &reports[0];
    assert_eq!(
        (first.partial, first.index, first.done),
        (Some([1, 6]), 0, false)
    );
    assert_eq!(first.t, sliced.sampler().times()[0]);
    assert!(first.patch.is_some());
    assert!(reports[5].partial.is_none() && reports[5].index == 1);
    let want = by_hand(&set, DenoiserKind::Patch, None, 3);
    assert_eq!(sliced.sampler().result().unwrap(), &want[..]);
    // Its pictures, sources and PNG are there to scrub back to.
    assert_eq!(sliced.rgba(3, "x0").unwrap().len(), 32 * 32 * 4);
    assert!(sliced.source_map(10).unwrap().is_some());
    let png = sliced.png(&[], 2).unwrap();
    assert_eq!(&png[1..4], b"PNG");
}

#[test]
fn a_spectrogram_run_uses_the_row_gaussian_and_records_values() {
    let set = spectrograms(4);
    let (mut run, info) = Run::start(
        set.clone(),
        None,
        &options("gaussian", Some("odd")),
        None,
        &Calibrations::default(),
        true,
    )
    .unwrap();
    assert!(
        info.settings.contains("spectrogram pictures: n_fft 1024"),
        "{}",
        info.settings
    );
    finish(&mut run, f64::INFINITY);
    let want = by_hand(&set, DenoiserKind::Gaussian, Some("odd"), 1);
    assert_eq!(run.sampler().result().unwrap(), &want[..]);
    assert_eq!(run.values(3).unwrap().len(), 32 * 32);
    assert_eq!(run.values(0).unwrap().len(), 32 * 32, "k = 0: the result");
    assert_eq!(run.rgba(3, "x0"), Err(RunError::NoPicture));
    assert_eq!(
        run.denoiser().kernel_name(),
        "the archive denoiser on spectrograms"
    );
}

#[test]
fn bad_options_are_refused_in_words() {
    let cal = Calibrations::default();
    let start = |set: &Rc<Dataset>, o: RunOptions| {
        Run::start(set.clone(), None, &o, None, &cal, true).err()
    };
    let set = pictures(4);
    assert_eq!(
        start(&set, options("blur", None)),
        Some(RunError::Denoiser("blur".into()))
    );
    assert_eq!(
        start(&set, options("archive", Some("cat"))),
        Some(RunError::Tag("cat".into()))
    );
    let mut o = options("archive", None);
    o.method = "euler".into();
    assert_eq!(start(&set, o), Some(RunError::Method("euler".into())));
    let mut o = options("archive", None);
    o.size = Some(64);
    assert_eq!(
        start(&set, o),
        Some(RunError::Size(64)),
        "a 32 px set runs at 32 px"
    );
    let mut o = options("patch", None);
    o.border = Some("mirror".into());
    assert_eq!(start(&set, o), Some(RunError::Border("mirror".into())));
    let mut o = options("archive", None);
    o.steps = 3;
    assert!(matches!(start(&set, o), Some(RunError::Sampler(_))));
    assert_eq!(
        start(&spectrograms(2), options("patch", None)),
        Some(RunError::NotForSpectrograms("patch"))
    );
    assert_eq!(
        start(
            &Rc::new(Dataset::new(32).unwrap()),
            options("archive", None)
        ),
        Some(RunError::Empty)
    );
    let text = RunError::Tag("cat".into()).to_string();
    assert_eq!(text, "no archive item carries the tag “cat”");
}

struct Scene {
    slot: RunSlot,
}

fn slot(s: &mut Scene) -> &mut RunSlot {
    &mut s.slot
}

#[test]
fn a_taken_run_goes_back_to_its_slot_on_every_exit_and_refuses_a_second_taker() {
    let scene = Rc::new(RefCell::new(Scene {
        slot: RunSlot::default(),
    }));
    assert_eq!(TakenRun::take(&scene, slot).err(), Some(SlotError::Empty));
    let (run, _) = Run::start(
        pictures(4),
        None,
        &options("archive", None),
        None,
        &Calibrations::default(),
        true,
    )
    .unwrap();
    scene.borrow_mut().slot.replace(run).unwrap();
    {
        let mut taken = TakenRun::take(&scene, slot).unwrap();
        assert!(scene.borrow().slot.is_busy());
        assert_eq!(TakenRun::take(&scene, slot).err(), Some(SlotError::Busy));
        assert_eq!(scene.borrow().slot.get().err(), Some(SlotError::Busy));
        let (other, _) = Run::start(
            pictures(4),
            None,
            &options("archive", None),
            None,
            &Calibrations::default(),
            true,
        )
        .unwrap();
        assert_eq!(
            scene.borrow_mut().slot.replace(other).err(),
            Some(SlotError::Busy)
        );
        pollster::block_on(taken.step(&clock(), f64::INFINITY)).unwrap();
    }
    assert!(!scene.borrow().slot.is_busy());
    assert_eq!(
        scene.borrow().slot.get().unwrap().sampler().steps_done(),
        1,
        "the stepped run came back"
    );
    // A step that fails on its way out also puts the run back.
    let result: Result<(), RunError> = (|| {
        let _taken = TakenRun::take(&scene, slot)?;
        Err(RunError::NoStep(99))
    })();
    assert!(result.is_err());
    assert!(!scene.borrow().slot.is_busy() && scene.borrow().slot.get().is_ok());
}

#[test]
fn a_gpu_run_times_its_kernel_at_step_two_and_can_move_to_the_cpu() {
    let Some(ctx) = gpu() else { return };
    let set = pictures(6);
    let mut cal = Calibrations::default();
    let (mut run, info) = Run::start(
        set.clone(),
        None,
        &options("archive", Some("even")),
        Some(&ctx),
        &cal,
        true,
    )
    .unwrap();
    assert_eq!(info.backend, Path::Gpu);
    assert!(info
        .paths
        .unwrap()
        .contains("The second step times the archive denoiser at 32 px"));
    let now = clock();
    let one = pollster::block_on(run.step(&now, f64::INFINITY)).unwrap();
    assert_eq!((one.backend, one.timing.is_some()), (Path::Gpu, false));
    let two = pollster::block_on(run.step(&now, f64::INFINITY)).unwrap();
    let timing = two.timing.expect("step 2 times the kernel");
    assert_eq!(
        (timing.kernel.as_str(), timing.size),
        ("the archive denoiser", 32)
    );
    assert!(timing.gpu_ms > 0.0 && timing.cpu_ms > 0.0);
    // Suppose the CPU was measured faster: the run leaves the GPU and says so.
    let decided = cal
        .record(KernelTiming {
            cpu_ms: 0.0,
            ..timing
        })
        .clone();
    assert!(run.settle(&decided).contains("runs on the CPU"));
    assert!(
        !run.on_gpu()
            && run
                .settings()
                .contains("backend cpu (measured faster here)")
    );
    let rest = finish(&mut run, f64::INFINITY);
    assert!(rest
        .iter()
        .all(|r| r.backend == Path::Cpu && r.timing.is_none()));
    let want = by_hand(&set, DenoiserKind::Archive, Some("even"), 3);
    let d = max_diff(run.sampler().result().unwrap(), &want);
    assert!(d < 1e-3, "GPU then CPU against CPU only: {d}");
    // The next run reads the measurement and starts on the CPU without timing again.
    let (_, info) =
        Run::start(set, None, &options("archive", None), Some(&ctx), &cal, true).unwrap();
    assert_eq!(info.backend, Path::Cpu);
    assert!(info.paths.unwrap().starts_with("Measured here"));
}

#[test]
fn a_device_lost_mid_run_moves_the_run_to_the_cpu_which_finishes_it() {
    let Some(ctx) = gpu() else { return };
    let set = pictures(6);
    let (mut run, _) = Run::start(
        set,
        None,
        &options("gaussian", None),
        Some(&ctx),
        &Calibrations::default(),
        false,
    )
    .unwrap();
    let now = clock();
    let first = pollster::block_on(run.step(&now, f64::INFINITY)).unwrap();
    assert_eq!(first.backend, Path::Gpu);
    ctx.destroy_device();
    let second = pollster::block_on(run.step(&now, f64::INFINITY)).unwrap();
    assert!(second.fell_back.is_some(), "the loss is reported");
    assert_eq!(
        (second.backend, second.index),
        (Path::Cpu, 2),
        "and the step still made"
    );
    let rest = finish(&mut run, f64::INFINITY);
    assert!(rest.last().unwrap().done && !run.on_gpu());
}

/// The same random pictures at 128 px and, block-averaged, at 32 px.
fn pictures_128(items: usize) -> (Rc<Dataset>, Rc<Dataset>) {
    let (mut big, mut small) = (Dataset::new(128).unwrap(), Dataset::new(32).unwrap());
    for i in 0..items {
        // Smooth random pictures: 8 × 8 blocks of random colour, so that the
        // 32 px stage has something to compose with.
        let coarse = field(16, i as u64 + 21, 3);
        let mut rgba = vec![255u8; 128 * 128 * 4];
        for y in 0..128 {
            for x in 0..128 {
                for c in 0..3 {
                    let v = coarse[c * 256 + (y / 8) * 16 + x / 8];
                    rgba[(y * 128 + x) * 4 + c] = ((v + 1.0) * 127.5).round() as u8;
                }
            }
        }
        let tags = [if i % 2 == 0 { "even" } else { "odd" }.to_string()];
        big.push_rgba(&format!("item-{i}"), &tags, &rgba, 128, 128)
            .unwrap();
        small
            .push_rgba(&format!("item-{i}"), &tags, &rgba, 128, 128)
            .unwrap();
    }
    (Rc::new(big), Rc::new(small))
}

#[test]
fn a_128_px_patch_run_composes_at_32_px_then_refines_at_128_px() {
    let (big, small) = pictures_128(4);
    let until = hypothetical::diffusion::run::cascade_handover(1000);
    assert_eq!(until, 357, "the 32 px patches are 7 px from t = 357 down");
    let (mut run, info) = Run::start(
        big.clone(),
        Some(small),
        &options("patch", Some("even")),
        None,
        &Calibrations::default(),
        true,
    )
    .unwrap();
    assert!(info
        .approximation
        .as_deref()
        .unwrap()
        .contains("composes the picture at 32 px while t > 357"));
    assert!(info.settings.contains("a cascade"), "{}", info.settings);
    assert!(
        info.settings
            .contains("patches 17 to 9 px at 32 px, then 25 to 3 px at 128 px"),
        "{}",
        info.settings
    );
    let reports = finish(&mut run, f64::INFINITY);
    let times = run.sampler().times().to_vec();
    // 10 steps: t = 1000 … 400 at 32 px, then 300, 200 and 100 at 128 px.
    assert_eq!(times.iter().filter(|&&t| t > until).count(), 7);
    assert_eq!(reports.len(), 10);
    assert_eq!(run.sampler().config().edge, 128);
    assert!(!run.composing());
    for k in 1..=10 {
        assert_eq!(
            run.rgba(k, "x0").unwrap().len(),
            128 * 128 * 4,
            "step {k} shows at 128 px"
        );
        let map = run
            .source_map(k)
            .unwrap()
            .expect("a patch run has source maps");
        assert_eq!(map.len(), 128 * 128 * 4);
    }
    let result = run.sampler().result().unwrap();
    assert_eq!(result.len(), 3 * 128 * 128);
    let mean = result.iter().sum::<f32>() / result.len() as f32;
    let spread =
        (result.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / result.len() as f32).sqrt();
    assert!(
        spread > 0.1,
        "the result has structure (standard deviation {spread})"
    );
    let sources = run.provenance(10, 8).unwrap();
    assert!(
        !sources.is_empty() && sources.iter().all(|s| s.id == "item-0" || s.id == "item-2"),
        "guidance 1 keeps to the tag: {sources:?}"
    );
}

#[test]
fn a_128_px_cascade_stepped_by_worker_shares_ends_where_one_thread_ends() {
    // The page's way on the CPU with Web Workers: each step's patch call is
    // split into shares (every n-th item), computed on the archive at the
    // stage's edge and merged by the run. Both stages of the cascade.
    let (big, small) = pictures_128(4);
    let mut o = options("patch", Some("even"));
    o.method = "ddim".into();
    let start = || {
        Run::start(
            big.clone(),
            Some(small.clone()),
            &o,
            None,
            &Calibrations::default(),
            false,
        )
        .unwrap()
        .0
    };
    let mut one = start();
    finish(&mut one, f64::INFINITY);
    let mut shared = start();
    let mut edges = Vec::new();
    // Half an item on the page first: a step begun there is finished by the workers.
    let now = clock();
    let first = pollster::block_on(shared.step(&now, 0.0)).unwrap();
    assert_eq!(first.partial.map(|p| p[0]), Some(1));
    loop {
        let job = shared.patch_job().unwrap().expect("a CPU patch step");
        let set = shared.stage_set();
        assert_eq!(set.edge(), job.edge);
        edges.push(job.edge);
        let shares: Vec<_> = (0..3).map(|w| job.share(&set, w, 3).to_flat()).collect();
        // A share missing an item is refused and the step can still be finished.
        let err = shared.finish_patch_step(&shares[..2]).unwrap_err();
        assert!(matches!(err, RunError::Share(_)), "{err}");
        let report = shared.finish_patch_step(&shares).unwrap();
        if report.done {
            break;
        }
    }
    assert_eq!(edges.iter().filter(|&&e| e == 32).count(), 7);
    assert_eq!(edges.iter().filter(|&&e| e == 128).count(), 3);
    assert!(
        shared.patch_job().unwrap().is_none(),
        "a finished run has no job"
    );
    // Each step's merge equals one thread within 1e-5 (tests/denoisers.rs);
    // over ten steps those float-order differences move no 8-bit x̂0 by more
    // than one level and the result by less than 0.02 (measured: 0.0093).
    for k in 1..=10 {
        let (x, y) = (one.rgba(k, "x0").unwrap(), shared.rgba(k, "x0").unwrap());
        let d = x.iter().zip(&y).map(|(a, b)| a.abs_diff(*b)).max().unwrap();
        assert!(d <= 1, "step {k}'s x̂0 differs by {d} levels");
    }
    let (a, b) = (
        one.sampler().result().unwrap(),
        shared.sampler().result().unwrap(),
    );
    let d = max_diff(a, b);
    assert!(
        d < 0.02,
        "worker-merged and one-thread results differ by {d}"
    );
    let (p, q) = (
        one.provenance(10, 8).unwrap(),
        shared.provenance(10, 8).unwrap(),
    );
    assert_eq!(p.len(), q.len());
    for (p, q) in p.iter().zip(&q) {
        assert!(
            p.id == q.id && (p.weight - q.weight).abs() < 0.01,
            "{p:?} {q:?}"
        );
    }
}

#[test]
fn a_128_px_cascade_on_the_gpu_agrees_with_the_cpu() {
    let Some(ctx) = gpu() else { return };
    let (big, small) = pictures_128(3);
    let mut o = options("patch", None);
    o.method = "ddim".into();
    let run_on = |gpu: Option<&GpuContext>| {
        let (mut run, info) = Run::start(
            big.clone(),
            Some(small.clone()),
            &o,
            gpu,
            &Calibrations::default(),
            false,
        )
        .unwrap();
        let reports = finish(&mut run, f64::INFINITY);
        (run, info, reports)
    };
    let (cpu, cpu_info, _) = run_on(None);
    let (gpu, gpu_info, reports) = run_on(Some(&ctx));
    assert_eq!((cpu_info.backend, gpu_info.backend), (Path::Cpu, Path::Gpu));
    assert!(reports.iter().all(|r| r.backend == Path::Gpu));
    let (a, b) = (
        cpu.sampler().result().unwrap(),
        gpu.sampler().result().unwrap(),
    );
    let d = max_diff(a, b);
    let rms = (a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f32>() / a.len() as f32).sqrt();
    eprintln!("128 px cascade, GPU against CPU after 10 steps: largest {d:e}, RMS {rms:e}");
    // Each patch call agrees to ~1e-7 (gpu_parity); over a whole run the
    // f32 differences grow where two candidates nearly tie: measured on
    // lavapipe, largest 6.5e-3 and RMS 5.0e-5, of values in [−1, 1].
    assert!(d < 0.02 && rms < 1e-3, "largest {d}, RMS {rms}");
}

/// A 128 px cascade for the tag "even" holding `fine` at 128 px, composing on `coarse`.
fn cascade_on(
    fine: Rc<Dataset>,
    coarse: &Rc<Dataset>,
) -> (Run, hypothetical::diffusion::run::StartInfo) {
    Run::start(
        fine,
        Some(coarse.clone()),
        &options("patch", Some("even")),
        None,
        &Calibrations::default(),
        false,
    )
    .unwrap()
}

/// Steps `run` to its end; at a handover that `needs` pictures, supplies
/// `full` (the pictures at 128 px) and steps on. Returns the ids it asked for.
fn finish_supplying(run: &mut Run, full: &Rc<Dataset>) -> Vec<String> {
    let now = clock();
    let mut asked = Vec::new();
    loop {
        let r = pollster::block_on(run.step(&now, f64::INFINITY)).unwrap();
        if let Some(needs) = r.needs {
            assert!(asked.is_empty(), "a run asks once");
            asked = needs;
            run.supply(full.clone()).unwrap();
            continue;
        }
        if r.done {
            return asked;
        }
    }
}

#[test]
fn a_cascade_over_at_most_64_items_refines_with_all_of_them_exactly_as_before() {
    use hypothetical::diffusion::run::FINE_CANDIDATES;
    let (big, small) = pictures_128(FINE_CANDIDATES);
    let start = |fine| cascade_on(fine, &small);
    // Holding every picture at 128 px, the run asks for nothing …
    let (mut whole, info) = start(big.clone());
    assert!(info.approximation.unwrap().contains("keeps all 64 items"));
    assert!(finish_supplying(&mut whole, &big).is_empty());
    assert_eq!(whole.set().len(), FINE_CANDIDATES, "every item refines");
    // … and holding none, it asks for all 64 and ends on the same picture.
    let empty = Rc::new(Dataset::new(128).unwrap());
    let (mut lazy, _) = start(empty);
    assert_eq!(finish_supplying(&mut lazy, &big).len(), FINE_CANDIDATES);
    assert_eq!(
        lazy.sampler().result().unwrap(),
        whole.sampler().result().unwrap()
    );
}

#[test]
fn a_cascade_over_more_items_fetches_its_64_candidates_and_ends_where_holding_all_ends() {
    use hypothetical::diffusion::run::FINE_CANDIDATES;
    let (big, small) = pictures_128(100);
    let start = |fine| cascade_on(fine, &small);
    let (mut whole, info) = start(big.clone());
    let words = info.approximation.unwrap();
    assert!(
        words.contains("keeps the 64 of the 100 items that the archive posterior of that picture ranks highest"),
        "{words}"
    );
    assert!(finish_supplying(&mut whole, &big).is_empty());
    let chosen: Vec<String> = (0..whole.set().len())
        .map(|i| whole.set().id(i).to_string())
        .collect();
    assert_eq!(chosen.len(), FINE_CANDIDATES);
    // Guidance 1: the tag's items (the 50 even ones) first, the rest by rank.
    let even = chosen
        .iter()
        .filter(|id| id.trim_start_matches("item-").parse::<usize>().unwrap() % 2 == 0)
        .count();
    assert_eq!(even, 50, "every item of the tag is a candidate");
    let empty = Rc::new(Dataset::new(128).unwrap());
    let (mut lazy, _) = start(empty);
    let mut asked = finish_supplying(&mut lazy, &big);
    asked.sort();
    let mut want = chosen.clone();
    want.sort();
    assert_eq!(asked, want, "it fetches exactly the candidates it chose");
    assert_eq!(
        lazy.sampler().result().unwrap(),
        whole.sampler().result().unwrap()
    );
    // The steps composed at 32 px keep the whole archive's posterior.
    assert_eq!(whole.recogniser(1, 3, None).unwrap().len(), 2);
    assert!(whole.provenance(1, 8).is_ok());
}

#[test]
fn an_archive_run_above_32_px_is_a_cascade_over_more_than_64_items_and_exact_over_fewer() {
    use hypothetical::diffusion::run::{pictures_before_start, FINE_CANDIDATES};
    let opts = RunOptions {
        size: Some(128),
        ..options("archive", Some("even"))
    };
    // 100 items: composed at 32 px, then 64 chosen and fetched at the handover.
    let (big, small) = pictures_128(100);
    assert!(pictures_before_start(&small, DenoiserKind::Archive, 128, Some("even")).is_empty());
    let empty = Rc::new(Dataset::new(128).unwrap());
    let (mut run, info) = plain(empty, Some(small.clone()), &opts).unwrap();
    let words = info.approximation.unwrap();
    assert!(
        words.contains("the archive denoiser works as a cascade")
            && words.contains("keeps the 64 of the 100 items"),
        "{words}"
    );
    let asked = finish_supplying(&mut run, &big);
    assert_eq!(asked.len(), FINE_CANDIDATES);
    assert_eq!(run.sampler().config().edge, 128);
    let kept = run.kept_mass().expect("a cascade measures what it kept");
    assert!(kept > 0.999, "the kept items held {kept} of the posterior");
    // The archive denoiser memorises: the result is one of the tag's items.
    let result = run.sampler().result().unwrap();
    let nearest = (0..big.len())
        .map(|i| {
            let d: f32 = big
                .item(i)
                .iter()
                .zip(result)
                .map(|(a, b)| (a - b).powi(2))
                .sum();
            (d / result.len() as f32, i)
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap();
    assert!(nearest.0 < 1e-3 && nearest.1 % 2 == 0, "{nearest:?}");

    // 40 items: every picture is needed first, and the run is the exact one.
    let (big, small) = pictures_128(40);
    let ids = pictures_before_start(&small, DenoiserKind::Archive, 128, Some("even"));
    assert_eq!(ids.len(), 40);
    let (mut given, info) = plain(big.clone(), Some(small.clone()), &opts).unwrap();
    assert!(info.approximation.is_none() && !info.settings.contains("cascade"));
    let (mut exact, _) = plain(big.clone(), None, &opts).unwrap();
    finish(&mut given, f64::INFINITY);
    finish(&mut exact, f64::INFINITY);
    assert_eq!(given.sampler().result(), exact.sampler().result());
    let missing = Rc::new(big.subset(&ids[..30]).unwrap());
    let refused = plain(missing, Some(small), &opts);
    assert_eq!(
        refused.err().map(|e| e.to_string()).as_deref(),
        Some("10 of the pictures this run needs at 128 px have not been fetched yet")
    );
}

#[test]
fn a_gaussian_run_above_32_px_is_fitted_to_a_spread_sample_and_to_everything_when_small() {
    use hypothetical::diffusion::run::{gaussian_fit_ids, GAUSSIAN_FIT_ITEMS};
    let opts = RunOptions {
        size: Some(64),
        ..options("gaussian", Some("odd"))
    };
    let pictures = |n: usize| {
        let mut small = Dataset::new(32).unwrap();
        let mut big = Dataset::new(64).unwrap();
        for i in 0..n {
            let v = field(64, i as u64 + 3, 3);
            let tags = [if i % 7 == 0 { "odd" } else { "other" }.to_string()];
            big.push_values(&format!("item-{i}"), &tags, &v).unwrap();
            small
                .push_values(&format!("item-{i}"), &tags, &field(32, i as u64 + 3, 3))
                .unwrap();
        }
        (Rc::new(big), Rc::new(small))
    };
    // Over the budget: 256 spread over the archive, and the tag's spread too.
    let (big, small) = pictures(600);
    let ids = gaussian_fit_ids(&small, Some("odd"));
    let tagged = ids
        .iter()
        .filter(|id| id.trim_start_matches("item-").parse::<usize>().unwrap() % 7 == 0);
    assert_eq!(
        tagged.count(),
        86,
        "all 86 of the tag's items are in the sample"
    );
    assert!(ids.len() >= GAUSSIAN_FIT_ITEMS && ids.len() < GAUSSIAN_FIT_ITEMS + 86);
    assert_eq!(ids[0], "item-0");
    let (mut sampled, info) = plain(big.clone(), Some(small.clone()), &opts).unwrap();
    let words = info.approximation.unwrap();
    assert!(
        words.contains(&format!(
            "fitted to {} of the archive's 600 pictures",
            ids.len()
        )),
        "{words}"
    );
    let (mut by_hand, _) = plain(Rc::new(big.subset(&ids).unwrap()), None, &opts).unwrap();
    finish(&mut sampled, f64::INFINITY);
    finish(&mut by_hand, f64::INFINITY);
    assert_eq!(sampled.sampler().result(), by_hand.sampler().result());
    // Within the budget: every item, and the exact run.
    let (big, small) = pictures(100);
    assert_eq!(gaussian_fit_ids(&small, Some("odd")).len(), 100);
    let (mut given, info) = plain(big.clone(), Some(small), &opts).unwrap();
    assert!(info.approximation.is_none());
    let (mut exact, _) = plain(big, None, &opts).unwrap();
    finish(&mut given, f64::INFINITY);
    finish(&mut exact, f64::INFINITY);
    assert_eq!(given.sampler().result(), exact.sampler().result());
}

/// A run on the CPU, not timed.
fn plain(
    set: Rc<Dataset>,
    coarse: Option<Rc<Dataset>>,
    o: &RunOptions,
) -> Result<(Run, hypothetical::diffusion::run::StartInfo), RunError> {
    Run::start(set, coarse, o, None, &Calibrations::default(), false)
}
