//! Every kernel against its CPU twin, natively through wgpu (lavapipe in CI).
//!
//! Tolerances: the Philox words are integers and must match exactly. The
//! Gaussians use only + − × and a square root on both sides; WGSL allows its
//! sqrt a few ULP and a compiler may fuse a·b + c into one rounding, so values
//! may differ by a few f32 ULP of numbers below 6: we allow 1e-5 absolute
//! (measured ≤ 1e-6 on lavapipe). Display bytes may then differ by one step
//! where a value lies within that distance of a rounding boundary.
//!
//! Without an adapter these tests fail, saying so, unless
//! HYPOTHETICAL_ALLOW_NO_GPU=1 is set (for machines with no Vulkan driver).

use hypothetical::gpu::noise::{GpuNoiser, NoiseEntry};
use hypothetical::gpu::GpuContext;
use hypothetical::image::ImageField;
use hypothetical::noising::{noise_image, NoiseParams};
use hypothetical::rng::{gaussian4, words};

const GAUSS_TOLERANCE: f32 = 1e-5;

fn gpu() -> Option<GpuNoiser> {
    match pollster::block_on(GpuContext::new()) {
        Ok(ctx) => {
            eprintln!("GPU parity on: {} ({:?})", ctx.adapter_name(), ctx.backend());
            Some(GpuNoiser::new(ctx))
        }
        Err(e) if std::env::var("HYPOTHETICAL_ALLOW_NO_GPU").as_deref() == Ok("1") => {
            eprintln!("skipping GPU parity: {e}");
            None
        }
        Err(e) => panic!("no GPU adapter for the parity tests ({e}); install mesa-vulkan-drivers (lavapipe) or set HYPOTHETICAL_ALLOW_NO_GPU=1"),
    }
}

/// A field whose size is no multiple of the workgroup and spans many workgroups.
fn test_image(width: u32, height: u32) -> ImageField {
    let n = (width * height) as usize;
    let data = (0..n * 3)
        .map(|i| ((i * 7919) % 511) as f32 / 255.0 - 1.0)
        .collect();
    ImageField::from_planar(width, height, data)
}

fn as_u32(bytes: &[u8]) -> Vec<u32> {
    bytemuck::cast_slice(bytes).to_vec()
}

fn as_f32(bytes: &[u8]) -> Vec<f32> {
    bytemuck::cast_slice(bytes).to_vec()
}

#[test]
fn philox_integer_streams_are_identical_on_gpu_and_cpu() {
    let Some(gpu) = gpu() else { return };
    let field = test_image(301, 77);
    for (seed, stream) in [
        (0u64, 0u32),
        (0xDEAD_BEEF_0123_4567, 3),
        (u64::MAX, u32::MAX),
    ] {
        let got = as_u32(
            &pollster::block_on(gpu.run_entry(
                NoiseEntry::PhiloxWords,
                &field,
                seed,
                stream,
                NoiseParams::from_alpha_bar(seed, 1.0),
            ))
            .unwrap(),
        );
        for p in 0..field.pixels() {
            let expect = words(seed, stream, p as u64);
            assert_eq!(
                &got[4 * p..4 * p + 4],
                &expect,
                "seed {seed:#x} stream {stream} element {p}"
            );
        }
    }
}

#[test]
fn gaussian_samples_agree_within_tolerance() {
    let Some(gpu) = gpu() else { return };
    let field = test_image(1000, 263);
    let got = as_f32(
        &pollster::block_on(gpu.run_entry(
            NoiseEntry::Gaussians,
            &field,
            42,
            0,
            NoiseParams::from_alpha_bar(42, 1.0),
        ))
        .unwrap(),
    );
    let mut worst = 0.0f32;
    let mut exact = 0usize;
    for p in 0..field.pixels() {
        let expect = gaussian4(42, 0, p as u64);
        for c in 0..4 {
            let d = (got[4 * p + c] - expect[c]).abs();
            worst = worst.max(d);
            exact += usize::from(d == 0.0);
        }
    }
    eprintln!(
        "gaussians: worst |gpu − cpu| = {worst:e}, bit-identical {:.2}%",
        100.0 * exact as f64 / (4 * field.pixels()) as f64
    );
    assert!(worst <= GAUSS_TOLERANCE, "worst difference {worst}");
}

#[test]
fn noising_kernel_matches_the_cpu_reference() {
    let Some(gpu) = gpu() else { return };
    let x0 = test_image(517, 389);
    for (seed, alpha_bar) in [(1u64, 1.0), (1, 0.7), (9, 0.05), (9, 0.0)] {
        let params = NoiseParams::from_alpha_bar(seed, alpha_bar);
        let got = as_f32(
            &pollster::block_on(gpu.run_entry(NoiseEntry::Field, &x0, seed, 0, params)).unwrap(),
        );
        let expect = noise_image(&x0, params);
        let worst = got
            .iter()
            .zip(expect.data())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(
            worst <= GAUSS_TOLERANCE,
            "ᾱ {alpha_bar}: worst difference {worst}"
        );
        if alpha_bar == 1.0 {
            assert_eq!(
                got,
                expect.data(),
                "at t = 0 the GPU must return the image exactly"
            );
        }
    }
}

#[test]
fn display_bytes_match_the_cpu_backend() {
    let Some(mut gpu) = gpu() else { return };
    let x0 = test_image(640, 480);
    gpu.set_image(&x0).unwrap();
    let mut got = Vec::new();
    for (seed, alpha_bar) in [(3u64, 1.0), (3, 0.5), (4, 0.5), (4, 0.0)] {
        let params = NoiseParams::from_alpha_bar(seed, alpha_bar);
        assert!(pollster::block_on(gpu.render_rgba(params, &mut got)).unwrap());
        let expect = noise_image(&x0, params).to_rgba8();
        assert_eq!(got.len(), expect.len());
        let off_by_one = got.iter().zip(&expect).filter(|(a, b)| a != b).count();
        let worst = got
            .iter()
            .zip(&expect)
            .map(|(a, b)| a.abs_diff(*b))
            .max()
            .unwrap();
        assert!(worst <= 1, "ᾱ {alpha_bar}: a byte differs by {worst}");
        assert!(
            off_by_one * 10_000 < expect.len(),
            "ᾱ {alpha_bar}: {off_by_one} bytes differ"
        );
        if alpha_bar == 1.0 {
            assert_eq!(got, expect, "t = 0 shows the input exactly");
        }
    }
}

#[test]
fn a_destroyed_device_reports_loss_instead_of_hanging() {
    let Some(mut gpu) = gpu() else { return };
    let x0 = test_image(64, 64);
    gpu.set_image(&x0).unwrap();
    gpu.context().destroy_device();
    let _ = gpu
        .context()
        .device
        .poll(wgpu::PollType::wait_indefinitely());
    let mut out = Vec::new();
    let result = pollster::block_on(gpu.render_rgba(NoiseParams::from_alpha_bar(1, 0.5), &mut out));
    assert!(
        result.is_err(),
        "rendering on a destroyed device must fail, got {result:?}"
    );
    assert!(gpu.context().is_lost());
}
