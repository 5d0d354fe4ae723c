//! Host side of `griffin_lim.wgsl` (with `fft.wgsl`): fast Griffin–Lim on the GPU.

use bytemuck::{Pod, Zeroable};
use realfft::num_complex::Complex;

use super::fft::{FftBindings, GpuFft};
use super::{
    bind, dispatch, dispatch_grid, pipeline, read_f32, staging, storage, storage_init, uniform,
};
use super::{GpuContext, GpuError};
use crate::audio::stft::{frame_count, hann_periodic};

const GRIFFIN_LIM_WGSL: &str = include_str!("griffin_lim.wgsl");

#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
struct Params {
    n_fft: u32,
    hop: u32,
    frames: u32,
    bins: u32,
    padded: u32,
    length: u32,
    momentum: f32,
    has_prev: u32,
    row_pitch: u32,
    _pad: [u32; 3],
}

/// Fast Griffin–Lim planned once for one signal shape: the shader module,
/// pipelines, FFT plan, buffers and bind groups are made in [`GpuGriffinLim::new`]
/// and reused by every [`GpuGriffinLim::run`] (as realfft's planner reuses its
/// plans), so hearing one step after another builds nothing anew.
pub struct GpuGriffinLim {
    ctx: GpuContext,
    n_fft: usize,
    hop: usize,
    length: usize,
    frames: usize,
    bins: usize,
    padded: usize,
    params: wgpu::Buffer,
    mags: wgpu::Buffer,
    angles: wgpu::Buffer,
    /// The zero-phase start, e^{i·0} per bin: copied into `angles` at every run.
    unit_phase: wgpu::Buffer,
    signal: wgpu::Buffer,
    out: wgpu::Buffer,
    fft: GpuFft,
    fft_bind: FftBindings,
    synth: (wgpu::ComputePipeline, wgpu::BindGroup),
    overlap: (wgpu::ComputePipeline, wgpu::BindGroup),
    analyse: (wgpu::ComputePipeline, wgpu::BindGroup),
    update: (wgpu::ComputePipeline, wgpu::BindGroup),
    grid_lines: (u32, u32),
    pitch: u32,
}

impl GpuGriffinLim {
    /// Plans Griffin–Lim for signals of `length` samples (STFT n_fft, hop).
    pub fn new(ctx: &GpuContext, n_fft: usize, hop: usize, length: usize) -> Self {
        let bins = n_fft / 2 + 1;
        let frames = frame_count(length, n_fft, hop);
        let padded = n_fft + hop * (frames - 1);
        let window = hann_periodic(n_fft);
        let mut norm = vec![0.0f32; padded];
        for t in 0..frames {
            for (k, w) in window.iter().enumerate() {
                norm[t * hop + k] += w * w;
            }
        }
        let module = ctx.shader("griffin_lim.wgsl", GRIFFIN_LIM_WGSL, false);
        let params = uniform(ctx, "gl params", std::mem::size_of::<Params>() as u64);
        let window_b = storage_init(ctx, "gl window", bytemuck::cast_slice(&window));
        let mags = storage(ctx, "gl magnitudes", (frames * bins * 4) as u64);
        let angles = storage(ctx, "gl angles", (frames * bins * 8) as u64);
        let prev = storage(ctx, "gl previous", (frames * bins * 8) as u64);
        let ones: Vec<[f32; 2]> = vec![[1.0, 0.0]; frames * bins];
        let unit_phase = storage_init(ctx, "gl unit phase", bytemuck::cast_slice(&ones));
        let lines = storage(ctx, "gl lines", (frames * n_fft * 8) as u64);
        let signal = storage(ctx, "gl signal", (padded * 4) as u64);
        let norm_b = storage_init(ctx, "gl norm", bytemuck::cast_slice(&norm));
        let out = staging(ctx, "gl staging", (length * 4) as u64);
        let fft = GpuFft::new(ctx, n_fft as u32);
        let fft_bind = fft.bind(ctx, &lines);
        let make = |entry: &str, entries: &[(u32, &wgpu::Buffer)]| {
            let p = pipeline(ctx, &module, entry);
            let b = bind(ctx, &p, entries);
            (p, b)
        };
        let synth = make(
            "synth",
            &[(0, &params), (2, &mags), (3, &angles), (5, &lines)],
        );
        let overlap = make(
            "overlap_add",
            &[
                (0, &params),
                (1, &window_b),
                (5, &lines),
                (6, &signal),
                (7, &norm_b),
            ],
        );
        let analyse = make(
            "analyse",
            &[(0, &params), (1, &window_b), (5, &lines), (6, &signal)],
        );
        let update = make(
            "update",
            &[(0, &params), (3, &angles), (4, &prev), (5, &lines)],
        );
        // All kernels are 1-D over at most frames·n_fft invocations: one pitch serves all.
        let (gx, gy, pitch) = dispatch_grid((frames * n_fft) as u32);
        Self {
            ctx: ctx.clone(),
            n_fft,
            hop,
            length,
            frames,
            bins,
            padded,
            params,
            mags,
            angles,
            unit_phase,
            signal,
            out,
            fft,
            fft_bind,
            synth,
            overlap,
            analyse,
            update,
            grid_lines: (gx, gy),
            pitch,
        }
    }

    /// Reconstructs the planned length of samples from `magnitudes`
    /// (frame-major, frames × (n_fft/2 + 1)) with `iters` iterations, as
    /// `griffin_lim::griffin_lim` does (zero initial phase).
    pub async fn run(
        &self,
        magnitudes: &[f32],
        iters: usize,
        momentum: f32,
    ) -> Result<Vec<f32>, GpuError> {
        self.run_from(magnitudes, None, iters, momentum).await
    }

    /// The same from a starting phase (`start`: unit phasors, frame-major, as
    /// `griffin_lim::PhaseStart::phasors` makes them; None: zero phase).
    pub async fn run_from(
        &self,
        magnitudes: &[f32],
        start: Option<&[Complex<f32>]>,
        iters: usize,
        momentum: f32,
    ) -> Result<Vec<f32>, GpuError> {
        let ctx = &self.ctx;
        ctx.check_alive()?;
        let (frames, bins, n_fft) = (self.frames, self.bins, self.n_fft);
        assert_eq!(
            magnitudes.len(),
            frames * bins,
            "magnitudes of another shape"
        );
        ctx.queue
            .write_buffer(&self.mags, 0, bytemuck::cast_slice(magnitudes));
        match start {
            Some(phasors) => {
                assert_eq!(phasors.len(), frames * bins, "a phasor per coefficient");
                let pairs: Vec<[f32; 2]> = phasors.iter().map(|c| [c.re, c.im]).collect();
                ctx.queue
                    .write_buffer(&self.angles, 0, bytemuck::cast_slice(&pairs));
            }
            None => {
                // Zero phase (e^{i·0} = 1 + 0i) from the planned constant, copied on the device.
                let mut copy = ctx.device.create_command_encoder(&Default::default());
                copy.copy_buffer_to_buffer(
                    &self.unit_phase,
                    0,
                    &self.angles,
                    0,
                    self.unit_phase.size(),
                );
                ctx.queue.submit([copy.finish()]);
            }
        }
        let pitch = self.pitch;
        let grid = |count: usize| {
            let groups = (count as u32).div_ceil(super::WORKGROUP_SIZE);
            let x = pitch / super::WORKGROUP_SIZE;
            (x.min(groups).max(1), groups.div_ceil(x))
        };
        let mut p = Params {
            n_fft: n_fft as u32,
            hop: self.hop as u32,
            frames: frames as u32,
            bins: bins as u32,
            padded: self.padded as u32,
            length: self.length as u32,
            momentum: momentum / (1.0 + momentum),
            has_prev: 0,
            row_pitch: pitch,
            _pad: [0; 3],
        };
        let synthesise = |encoder: &mut wgpu::CommandEncoder| {
            dispatch(encoder, &self.synth.0, &self.synth.1, self.grid_lines);
            self.fft
                .encode_rows(encoder, &self.fft_bind, frames as u32, true);
            dispatch(encoder, &self.overlap.0, &self.overlap.1, grid(self.padded));
        };
        for i in 0..iters {
            p.has_prev = u32::from(i > 0);
            ctx.queue
                .write_buffer(&self.params, 0, bytemuck::bytes_of(&p));
            let mut encoder = ctx.device.create_command_encoder(&Default::default());
            synthesise(&mut encoder);
            dispatch(
                &mut encoder,
                &self.analyse.0,
                &self.analyse.1,
                self.grid_lines,
            );
            self.fft
                .encode_rows(&mut encoder, &self.fft_bind, frames as u32, false);
            dispatch(
                &mut encoder,
                &self.update.0,
                &self.update.1,
                grid(frames * bins),
            );
            ctx.queue.submit([encoder.finish()]);
        }
        if iters == 0 {
            ctx.queue
                .write_buffer(&self.params, 0, bytemuck::bytes_of(&p));
        }
        let bytes = (self.length * 4) as u64;
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        synthesise(&mut encoder);
        encoder.copy_buffer_to_buffer(&self.signal, (n_fft / 2 * 4) as u64, &self.out, 0, bytes);
        ctx.queue.submit([encoder.finish()]);
        read_f32(ctx, &self.out, bytes).await
    }
}

/// Reconstructs `length` samples from `magnitudes` (frame-major, frames × (n_fft/2 + 1))
/// with `iters` iterations of fast Griffin–Lim, as `griffin_lim::griffin_lim` does:
/// plans and runs once (a scene that inverts repeatedly keeps a [`GpuGriffinLim`]).
pub async fn griffin_lim_gpu(
    ctx: &GpuContext,
    magnitudes: &[f32],
    n_fft: usize,
    hop: usize,
    length: usize,
    iters: usize,
    momentum: f32,
) -> Result<Vec<f32>, GpuError> {
    ctx.check_alive()?;
    GpuGriffinLim::new(ctx, n_fft, hop, length)
        .run(magnitudes, iters, momentum)
        .await
}

/// The STFT magnitudes on the GPU (the `analyse` kernel, then the FFT kernel
/// along each frame), planned once for one signal length: frames × (n_fft/2 + 1),
/// frame-major, with the conventions of `stft::Stft` (centred, zero padding).
/// The complex frames come back to the host, which takes their magnitudes.
pub struct GpuStft {
    ctx: GpuContext,
    n_fft: usize,
    length: usize,
    frames: usize,
    staged_len: usize,
    signal: wgpu::Buffer,
    lines: wgpu::Buffer,
    out: wgpu::Buffer,
    fft: GpuFft,
    fft_bind: FftBindings,
    analyse: (wgpu::ComputePipeline, wgpu::BindGroup),
    grid: (u32, u32),
}

impl GpuStft {
    /// Plans the STFT of signals of `length` samples.
    pub fn new(ctx: &GpuContext, n_fft: usize, hop: usize, length: usize) -> Self {
        let bins = n_fft / 2 + 1;
        let frames = frame_count(length, n_fft, hop);
        let padded = n_fft + hop * (frames - 1);
        let staged_len = padded.max(n_fft / 2 + length);
        let module = ctx.shader("griffin_lim.wgsl", GRIFFIN_LIM_WGSL, false);
        let params = uniform(ctx, "stft params", std::mem::size_of::<Params>() as u64);
        let window_b = storage_init(
            ctx,
            "stft window",
            bytemuck::cast_slice(&hann_periodic(n_fft)),
        );
        let signal = storage(ctx, "stft signal", (staged_len * 4) as u64);
        let lines = storage(ctx, "stft lines", (frames * n_fft * 8) as u64);
        let out = staging(ctx, "stft staging", (frames * n_fft * 8) as u64);
        let fft = GpuFft::new(ctx, n_fft as u32);
        let fft_bind = fft.bind(ctx, &lines);
        let analyse = pipeline(ctx, &module, "analyse");
        let analyse_bind = bind(
            ctx,
            &analyse,
            &[(0, &params), (1, &window_b), (5, &lines), (6, &signal)],
        );
        let (gx, gy, pitch) = dispatch_grid((frames * n_fft) as u32);
        let p = Params {
            n_fft: n_fft as u32,
            hop: hop as u32,
            frames: frames as u32,
            bins: bins as u32,
            padded: padded as u32,
            length: length as u32,
            momentum: 0.0,
            has_prev: 0,
            row_pitch: pitch,
            _pad: [0; 3],
        };
        ctx.queue.write_buffer(&params, 0, bytemuck::bytes_of(&p));
        Self {
            ctx: ctx.clone(),
            n_fft,
            length,
            frames,
            staged_len,
            signal,
            lines,
            out,
            fft,
            fft_bind,
            analyse: (analyse, analyse_bind),
            grid: (gx, gy),
        }
    }

    /// The magnitudes of `signal` (of the planned length).
    pub async fn run(&self, signal: &[f32]) -> Result<Vec<f32>, GpuError> {
        let ctx = &self.ctx;
        ctx.check_alive()?;
        assert_eq!(signal.len(), self.length, "a signal of another length");
        let (n_fft, frames) = (self.n_fft, self.frames);
        let bins = n_fft / 2 + 1;
        let mut staged = vec![0.0f32; self.staged_len];
        staged[n_fft / 2..n_fft / 2 + self.length].copy_from_slice(signal);
        ctx.queue
            .write_buffer(&self.signal, 0, bytemuck::cast_slice(&staged));
        let bytes = (frames * n_fft * 8) as u64;
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        dispatch(&mut encoder, &self.analyse.0, &self.analyse.1, self.grid);
        self.fft
            .encode_rows(&mut encoder, &self.fft_bind, frames as u32, false);
        encoder.copy_buffer_to_buffer(&self.lines, 0, &self.out, 0, bytes);
        ctx.queue.submit([encoder.finish()]);
        let v = read_f32(ctx, &self.out, bytes).await?;
        let mut mags = vec![0.0f32; frames * bins];
        for t in 0..frames {
            for b in 0..bins {
                let j = 2 * (t * n_fft + b);
                mags[t * bins + b] = v[j].hypot(v[j + 1]);
            }
        }
        Ok(mags)
    }
}

/// The STFT magnitudes of `signal` on the GPU, planned and run once (keep a
/// [`GpuStft`] to transform several signals).
pub async fn stft_magnitudes_gpu(
    ctx: &GpuContext,
    signal: &[f32],
    n_fft: usize,
    hop: usize,
) -> Result<Vec<f32>, GpuError> {
    ctx.check_alive()?;
    GpuStft::new(ctx, n_fft, hop, signal.len())
        .run(signal)
        .await
}
