//! Host side of `track.wgsl`: the track patch machine on the GPU (CPU twin:
//! `denoise::track`), for one set of candidate clips and one track length.

use bytemuck::{Pod, Zeroable};

use super::{dispatch, dispatch_grid, kernel, read_f32, staging, storage, storage_init, uniform};
use super::{GpuContext, GpuError};
use crate::denoise::track::{
    logit_scale, Candidates, Source, TrackDenoised, TrackShape, BAND, SKIP_LOGIT,
};

const TRACK_WGSL: &str = include_str!("track.wgsl");

/// Scratch per chunk of diagonals: two buffers of `units · cols · bands` f32,
/// at most 16 MiB apiece.
const SCRATCH_VALUES: usize = 4 << 20;

#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
struct Params {
    rows: u32,
    bands: u32,
    cols: u32,
    half_bands: u32,
    half_frames: u32,
    unit_base: u32,
    units: u32,
    row_pitch: u32,
    signal: f32,
    inv: f32,
    skip: f32,
    _pad: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
struct Unit {
    clip: u32,
    d: i32,
    lo: u32,
    hi: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
struct ClipInfo {
    offset: u32,
    frames: u32,
    prior: f32,
    _pad: u32,
}

type Kernel = (wgpu::ComputePipeline, wgpu::BindGroup);

pub struct GpuTrack {
    ctx: GpuContext,
    rows: usize,
    bands: usize,
    cols: usize,
    /// Diagonals per chunk.
    chunk: usize,
    params: wgpu::Buffer,
    x: wgpu::Buffer,
    units: wgpu::Buffer,
    info: wgpu::Buffer,
    out: wgpu::Buffer,
    staging: wgpu::Buffer,
    reset: Kernel,
    products: Kernel,
    windows: Kernel,
    accumulate: Kernel,
    finish: Kernel,
}

impl GpuTrack {
    /// Uploads the candidates' pictures for tracks of `cols` frames.
    pub fn new(ctx: &GpuContext, cands: &Candidates, cols: usize) -> Self {
        let rows = cands.rows();
        let bands = cands.bands();
        let mut data = Vec::new();
        for c in &cands.clips {
            data.extend_from_slice(&c.data);
        }
        // Every diagonal of every clip, at most: (frames + cols) per clip.
        let max_units: usize = cands.clips.iter().map(|c| c.frames + cols).sum();
        let chunk = (SCRATCH_VALUES / (cols * bands)).clamp(1, max_units);
        let module = ctx.shader("track.wgsl", TRACK_WGSL, false);
        let params = uniform(ctx, "track params", std::mem::size_of::<Params>() as u64);
        let x = storage(ctx, "track x_t", (rows * cols * 4) as u64);
        let clips = storage_init(ctx, "track clips", bytemuck::cast_slice(&data));
        let units = storage(ctx, "track diagonals", (max_units * 16) as u64);
        let info = storage(
            ctx,
            "track clip info",
            (cands.clips.len().max(1) * 16) as u64,
        );
        let scratch = (chunk * cols * bands * 4) as u64;
        let sums = storage(ctx, "track band sums", scratch);
        let windows = storage(ctx, "track windows", scratch);
        let state = storage(ctx, "track state", (cols * bands * 16) as u64);
        let acc = storage(ctx, "track acc", (rows * cols * 4) as u64);
        let out_bytes = ((rows * cols + 2 * cols * bands) * 4) as u64;
        let out = storage(ctx, "track out", out_bytes);
        let staging = staging(ctx, "track staging", out_bytes);
        let make =
            |entry: &str, entries: &[(u32, &wgpu::Buffer)]| kernel(ctx, &module, entry, entries);
        Self {
            ctx: ctx.clone(),
            rows,
            bands,
            cols,
            chunk,
            reset: make("reset", &[(0, &params), (7, &state), (8, &acc)]),
            products: make(
                "products",
                &[
                    (0, &params),
                    (1, &x),
                    (2, &clips),
                    (3, &units),
                    (4, &info),
                    (5, &sums),
                ],
            ),
            windows: make(
                "window_frames",
                &[(0, &params), (3, &units), (5, &sums), (6, &windows)],
            ),
            accumulate: make(
                "accumulate",
                &[
                    (0, &params),
                    (2, &clips),
                    (3, &units),
                    (4, &info),
                    (6, &windows),
                    (7, &state),
                    (8, &acc),
                ],
            ),
            finish: make("finish", &[(0, &params), (7, &state), (8, &acc), (9, &out)]),
            params,
            x,
            units,
            info,
            out,
            staging,
        }
    }

    /// Track frames this plan was made for.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// One denoiser call on x_t (frame-major, `cols` frames), as
    /// `denoise::track::denoise` computes it (`skipped` is not counted here).
    pub async fn denoise(
        &self,
        cands: &Candidates,
        x_t: &[f32],
        alpha_bar: f64,
        shape: TrackShape,
        rigidity: f32,
    ) -> Result<TrackDenoised, GpuError> {
        self.ctx.check_alive()?;
        let (rows, cols, bands) = (self.rows, self.cols, self.bands);
        assert_eq!(x_t.len(), rows * cols, "x_t is rows × cols");
        let h = shape.half_frames();
        let (todo, log_prior) = cands.plan(cols, h);
        let units: Vec<Unit> = todo
            .iter()
            .map(|&(j, d)| {
                let (lo, hi) = cands.columns(j as usize, cols, h, d);
                Unit {
                    clip: u32::from(j),
                    d: d as i32,
                    lo: lo as u32,
                    hi: hi as u32,
                }
            })
            .collect();
        let mut offset = 0u32;
        let info: Vec<ClipInfo> = cands
            .clips
            .iter()
            .zip(&log_prior)
            .map(|(c, &prior)| {
                let i = ClipInfo {
                    offset,
                    frames: c.frames as u32,
                    prior: prior as f32,
                    _pad: 0,
                };
                offset += c.frames as u32;
                i
            })
            .collect();
        let q = &self.ctx.queue;
        q.write_buffer(&self.x, 0, bytemuck::cast_slice(x_t));
        if !units.is_empty() {
            q.write_buffer(&self.units, 0, bytemuck::cast_slice(&units));
        }
        q.write_buffer(&self.info, 0, bytemuck::cast_slice(&info));
        let mut p = Params {
            rows: rows as u32,
            bands: bands as u32,
            cols: cols as u32,
            half_bands: shape.half_bands() as u32,
            half_frames: h as u32,
            unit_base: 0,
            units: 0,
            row_pitch: 0,
            signal: alpha_bar.sqrt() as f32,
            inv: logit_scale(alpha_bar, rigidity) as f32,
            skip: SKIP_LOGIT as f32,
            _pad: 0,
        };
        // Each kernel has its own grid and pitch: write the parameters before
        // each submission (write_buffer is ordered with submit).
        let run = |p: &mut Params, kernel: &Kernel, invocations: usize| {
            let (gx, gy, pitch) = dispatch_grid(invocations as u32);
            p.row_pitch = pitch;
            q.write_buffer(&self.params, 0, bytemuck::bytes_of(p));
            let mut encoder = self.ctx.device.create_command_encoder(&Default::default());
            dispatch(&mut encoder, &kernel.0, &kernel.1, (gx, gy));
            q.submit([encoder.finish()]);
        };
        run(&mut p, &self.reset, cols * bands);
        let mut base = 0;
        while base < units.len() {
            let n = self.chunk.min(units.len() - base);
            p.unit_base = base as u32;
            p.units = n as u32;
            run(&mut p, &self.products, n * cols);
            run(&mut p, &self.windows, n * cols * bands);
            run(&mut p, &self.accumulate, cols * bands);
            base += n;
        }
        run(&mut p, &self.finish, cols * bands);
        let out_bytes = ((rows * cols + 2 * cols * bands) * 4) as u64;
        let mut encoder = self.ctx.device.create_command_encoder(&Default::default());
        encoder.copy_buffer_to_buffer(&self.out, 0, &self.staging, 0, out_bytes);
        q.submit([encoder.finish()]);
        let v = read_f32(&self.ctx, &self.staging, out_bytes).await?;
        let n = rows * cols;
        let sources = v[n..]
            .chunks_exact(2)
            .enumerate()
            .map(|(i, s)| {
                let c = i / bands;
                let unit = units.get(s[0].to_bits() as usize);
                unit.map_or_else(Source::default, |u| Source {
                    clip: cands.clips[u.clip as usize].clip as u16,
                    frame: (c as i32 + u.d) as u16,
                    share: s[1],
                })
            })
            .collect();
        let pairs = units.iter().map(|u| u64::from(u.hi + 1 - u.lo)).sum();
        Ok(TrackDenoised {
            x0: v[..n].to_vec(),
            sources,
            pairs,
            skipped: 0,
        })
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #[test]
    fn params_have_the_layout_of_their_wgsl_twin() {
        super::super::assert_layout::<super::Params>(super::TRACK_WGSL, "Params", 12);
    }
}

/// Rows per band, as the shader has it.
const _: () = assert!(
    BAND == 16,
    "track.wgsl's BAND and accumulate's private array are 16"
);
