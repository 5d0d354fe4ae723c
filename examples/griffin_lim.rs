//! Reconstructs a sound from its own magnitude spectrogram by fast Griffin–Lim
//! and reports the spectral convergence and the time per iteration.
//!
//! ```text
//! cargo run --release --example griffin_lim -- [--iters 32] [--momentum 0.99] [--start zero|pghi|random] [--gpu] in.wav out.wav
//! ```
//! `--start` chooses the starting phase: zero (librosa's `init=None`, the
//! default here so that the figures compare with librosa's), PGHI (what the
//! scenes use) or a seeded random phase; its time is reported apart.
//! `--gpu` runs the WGSL kernels through wgpu (Vulkan; lavapipe without a GPU).
//! Reads 16/24/32-bit PCM or float WAV (or the archive's FLAC) at any rate
//! (resampled to 22,050 Hz, channels mixed to mono) and any length, processed
//! whole; or a `.mag` file of magnitudes to invert (`sample_sound --magnitudes`:
//! a generated track's picture, as the scene inverts it).

use std::time::Instant;

use hypothetical::archive::read_flac;
use hypothetical::audio::griffin_lim::{griffin_lim_from, PhaseStart, DEFAULT_ITERS, MOMENTUM};
use hypothetical::audio::spectrogram::read_magnitudes;
use hypothetical::audio::stft::Stft;
use hypothetical::audio::wav::{read_wav, resample, write_wav};

const RATE: u32 = 22_050;

fn usage(why: &str) -> ! {
    eprintln!("{why}\nusage: griffin_lim [--iters N] [--momentum M] [--start zero|pghi|random] [--gpu] in.wav out.wav");
    std::process::exit(2)
}

fn main() {
    let mut iters = DEFAULT_ITERS;
    let mut momentum = MOMENTUM;
    let mut files = Vec::new();
    let mut gpu = false;
    let mut start = PhaseStart::Zero;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--iters" => {
                iters = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| usage("--iters needs a number"))
            }
            "--momentum" => {
                momentum = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| usage("--momentum needs a number"))
            }
            "--gpu" => gpu = true,
            "--start" => {
                start = match args.next().as_deref() {
                    Some("zero") => PhaseStart::Zero,
                    Some("pghi") => PhaseStart::Pghi,
                    Some("random") => PhaseStart::Random(1),
                    _ => usage("--start zero|pghi|random"),
                }
            }
            _ => files.push(a),
        }
    }
    let [input, output] = files.as_slice() else {
        usage("give an input and an output file")
    };
    let mut stft = Stft::standard();
    // A .mag file holds the magnitudes to invert (a generated track's picture,
    // written by sample_sound --magnitudes); otherwise a sound's own.
    let (mags, frames, length) = if input.ends_with(".mag") {
        let bytes = std::fs::read(input).unwrap_or_else(|e| usage(&format!("{input}: {e}")));
        let (mags, frames, length) =
            read_magnitudes(&bytes).unwrap_or_else(|e| usage(&format!("{input}: {e}")));
        println!(
            "{input}: magnitudes of {frames} frames × {} bins for {length} samples",
            mags.len() / frames.max(1)
        );
        (mags, frames, length)
    } else {
        let (rate, samples) = if input.ends_with(".flac") {
            let clip = read_flac(std::path::Path::new(input)).unwrap_or_else(|e| usage(&e));
            (clip.sample_rate, clip.samples)
        } else {
            let bytes = std::fs::read(input).unwrap_or_else(|e| usage(&format!("{input}: {e}")));
            let a = read_wav(&bytes).unwrap_or_else(|e| usage(&format!("{input}: {e}")));
            (a.sample_rate, a.samples)
        };
        let x = resample(&samples, rate, RATE);
        let spec = stft.forward(&x);
        println!(
            "{input}: {} samples at {rate} Hz → {} at {RATE} Hz, {} frames × {} bins",
            samples.len(),
            x.len(),
            spec.frames,
            spec.bins
        );
        (spec.magnitudes(), spec.frames, x.len())
    };
    // Timed without measuring convergence on the way; then once more to report it.
    let t_start = Instant::now();
    let phasors = start.phasors(&stft, &mags, frames);
    let start_ms = t_start.elapsed().as_secs_f64() * 1e3;
    println!("starting phase {start:?}: {start_ms:.1} ms");
    let started = Instant::now();
    let y = if gpu {
        let ctx = pollster::block_on(hypothetical::gpu::GpuContext::new())
            .unwrap_or_else(|e| usage(&e.to_string()));
        println!("on the GPU: {}", ctx.adapter_name());
        let plan = hypothetical::gpu::griffin_lim::GpuGriffinLim::new(
            &ctx,
            stft.n_fft(),
            stft.hop(),
            length,
        );
        pollster::block_on(plan.run_from(&mags, Some(&phasors), iters, momentum))
            .unwrap_or_else(|e| usage(&e.to_string()))
    } else {
        griffin_lim_from(
            &mut stft, &mags, frames, length, iters, momentum, phasors, None,
        )
    };
    let elapsed = started.elapsed().as_secs_f64();
    let mut report = Vec::new();
    let mut record = |i: usize, sc: f64| {
        if i == 1 || i.is_power_of_two() || i == iters {
            report.push((i, sc));
        }
    };
    let again = start.phasors(&stft, &mags, frames);
    griffin_lim_from(
        &mut stft,
        &mags,
        frames,
        length,
        iters,
        momentum,
        again,
        Some(&mut record),
    );
    for (i, sc) in report {
        println!("  iteration {i:>4}: spectral convergence {sc:.4}");
    }
    let final_sc = hypothetical::audio::griffin_lim::convergence_of(&mut stft, &y, &mags);
    println!("backend {}", if gpu { "gpu" } else { "cpu" });
    println!(
        "final spectral convergence {final_sc:.4} after {iters} iterations (momentum {momentum})"
    );
    println!(
        "{:.2} ms per iteration ({:.2} s in all)",
        1000.0 * elapsed / iters.max(1) as f64,
        elapsed
    );
    let comment = format!("Griffin–Lim reconstruction of {input}: {start:?} start, {iters} iterations, momentum {momentum}, spectral convergence {final_sc:.4}");
    let wav = write_wav(
        &y,
        RATE,
        &[
            ("ISFT", "Hypothetical griffin_lim example"),
            ("ICMT", &comment),
        ],
    );
    std::fs::write(output, wav).unwrap_or_else(|e| usage(&format!("{output}: {e}")));
    println!("wrote {output}");
}
