// Radix-2 complex FFT of lines of up to 1024 points, one workgroup per line
// (bit-reversed load into workgroup memory, log2(n) butterfly stages).
// Twiddles w_k = exp(−2πik/n), k < n/2, come from the host (computed in f64),
// so that WGSL's own sin/cos never enter; the inverse uses their conjugates
// and is unnormalised, like rustfft's.
// Element j of line l of a batch is at element_index(l, j): rows are
// contiguous lines, columns step by n through square planes of n × n.
// `cmul` comes from common.wgsl.

struct FftParams {
    n: u32,
    log2n: u32,
    // 0: forward, 1: inverse.
    inverse: u32,
    // 0: rows (lines are contiguous), 1: columns of square planes of n × n.
    columns: u32,
}

const FFT_THREADS: u32 = 64u;

@group(0) @binding(0) var<uniform> fft: FftParams;
@group(0) @binding(1) var<storage, read> twiddles: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> lines: array<vec2<f32>>;

var<workgroup> line: array<vec2<f32>, 1024>;

fn element_index(l: u32, j: u32) -> u32 {
    let n = fft.n;
    if (fft.columns == 0u) {
        return l * n + j;
    }
    let plane = l / n;
    let x = l % n;
    return plane * n * n + j * n + x;
}

@compute @workgroup_size(FFT_THREADS)
fn fft_lines(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let l = wg.x;
    let n = fft.n;
    for (var j = li; j < n; j += FFT_THREADS) {
        let r = reverseBits(j) >> (32u - fft.log2n);
        line[r] = lines[element_index(l, j)];
    }
    workgroupBarrier();
    for (var s = 1u; s <= fft.log2n; s++) {
        let m = 1u << s;
        let half = m >> 1u;
        let step = n / m;
        for (var b = li; b < n / 2u; b += FFT_THREADS) {
            let k = b % half;
            let i0 = (b / half) * m + k;
            let i1 = i0 + half;
            var w = twiddles[k * step];
            if (fft.inverse != 0u) {
                w.y = -w.y;
            }
            let t = cmul(w, line[i1]);
            let a = line[i0];
            line[i1] = a - t;
            line[i0] = a + t;
        }
        workgroupBarrier();
    }
    for (var j = li; j < n; j += FFT_THREADS) {
        lines[element_index(l, j)] = line[j];
    }
}
