"""A straightforward NumPy/BLAS reference for one patch-denoiser step, on the
inputs `examples/patch_step.rs` writes, timed beside the Rust figure it records.

Run by `./build.sh bench` in the bench environment:
    python benches/patch_numpy.py target/patch-step
For every position-everywhere case (32 px, all items) the step is the textbook
one: unfold the circularly padded x_t into query patches Q (S² × 3P²), the
interior patches of every item into candidates C (M × 3P²), distances
‖Q‖² + ᾱ‖C‖² − 2√ᾱ·Q·Cᵀ with one BLAS product, softmax over the candidates per
pixel, x̂0 = weights · centre values. The run-32-sNN cases are every step of a
20-step run at 32 px, each at its own ᾱ and patch size; their times are also
summed. For the windowed 128 px case it loops
over the window's displacements with whole-picture array operations (box sums
by cumulative sums) and an online log-sum-exp. Each result is compared with
Rust's x̂0; the script prints the time per step and Rust's speed-up.
"""
import json
import pathlib
import sys
import time

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def load(folder, name):
    meta = json.loads((folder / f"{name}.json").read_text())
    s, n = meta["edge"], meta["items"]
    v = np.fromfile(folder / f"{name}.f32", dtype="<f4")
    d = 3 * s * s
    items = v[: n * d].reshape(n, 3, s, s)
    x_t = v[n * d : n * d + d].reshape(3, s, s)
    x0 = v[n * d + d :].reshape(3, s, s)
    return meta, items, x_t, x0


def everywhere(meta, items, x_t):
    s, p, a = meta["edge"], meta["patch"], meta["alpha_bar"]
    r = p // 2
    padded = np.pad(x_t, ((0, 0), (r, r), (r, r)), mode="wrap")
    q = sliding_window_view(padded, (p, p), axis=(1, 2))  # 3, S, S, P, P
    q = q.transpose(1, 2, 0, 3, 4).reshape(s * s, 3 * p * p)
    c = sliding_window_view(items, (p, p), axis=(2, 3))  # N, 3, S-2r, S-2r, P, P
    n, _, h, w, _, _ = c.shape
    centres = items[:, :, r : r + h, r : r + w].transpose(0, 2, 3, 1).reshape(n * h * w, 3)
    c = c.transpose(0, 2, 3, 1, 4, 5).reshape(n * h * w, 3 * p * p)
    sa = np.float32(np.sqrt(a))
    d = (q * q).sum(1)[:, None] + np.float32(a) * (c * c).sum(1)[None, :] - 2 * sa * (q @ c.T)
    logits = -d / np.float32(2 * (1 - a))
    logits -= logits.max(1, keepdims=True)
    wts = np.exp(logits)
    x0 = (wts @ centres) / wts.sum(1, keepdims=True)
    return x0.T.reshape(3, s, s)


def box(v, r):
    """Σ over the (2r+1)² window with wrap-around, by cumulative sums."""
    s = v.shape[-1]
    for axis in (0, 1):
        p = np.concatenate([np.take(v, range(s - r - 1, s), axis=axis), v, np.take(v, range(0, r), axis=axis)], axis=axis)
        c = np.cumsum(p, axis=axis, dtype=np.float64)
        hi = np.take(c, range(2 * r + 1, 2 * r + 1 + s), axis=axis)
        lo = np.take(c, range(0, s), axis=axis)
        v = (hi - lo).astype(np.float32)
    return v


def windowed(meta, items, x_t):
    s, p, a, w = meta["edge"], meta["patch"], meta["alpha_bar"], meta["window"]
    r = p // 2
    sa = np.float32(np.sqrt(a))
    inv = np.float32(0.5 / (1 - a))
    ys, xs = np.mgrid[0:s, 0:s]
    best = np.full((s, s), -np.inf, dtype=np.float32)
    total = np.zeros((s, s), dtype=np.float32)
    value = np.zeros((3, s, s), dtype=np.float32)
    np.seterr(invalid="ignore")  # −inf − (−inf) where no candidate yet: masked below
    for item in items:
        for dy in range(-w, w + 1):
            for dx in range(-w, w + 1):
                shifted = np.roll(item, (-dy, -dx), axis=(1, 2))  # shifted(p) = item(p + d)
                logit = -box(((x_t - sa * shifted) ** 2).sum(0), r) * inv
                qy, qx = ys + dy, xs + dx
                ok = (qy >= r) & (qy < s - r) & (qx >= r) & (qx < s - r)
                logit = np.where(ok, logit, -np.inf)
                top = np.maximum(best, logit)
                keep = np.isfinite(top)
                old = np.where(keep, np.exp(np.where(keep, best - top, 0)), 0)
                new = np.where(keep, np.exp(np.where(keep, logit - top, 0)), 0)
                total = total * old + new
                value = value * old + new * shifted
                best = top
    return value / np.maximum(total, 1e-30)


def main():
    folder = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/patch-step")
    run = sorted(p.stem for p in folder.glob("run-32-s*.json"))
    names = [n for n in ["full-32-p17", "full-32-p9", "window-128-p19"] if (folder / f"{n}.json").exists()]
    totals = [0.0, 0.0, 0.0]  # NumPy, Rust on one thread, Rust on every core, over the run
    for name in names + run:
        meta, items, x_t, want = load(folder, name)
        step = windowed if meta["window"] is not None else everywhere
        # The median of five runs after one unmeasured run (NumPy's first
        # run pays the page faults of its 160 MB logit matrix: 2-3x slower).
        times = []
        runs = 6 if meta["window"] is None else 1
        for _ in range(runs):
            t0 = time.perf_counter()
            got = step(meta, items, x_t)
            times.append((time.perf_counter() - t0) * 1e3)
        times = times[1:] if runs > 1 else times
        ms = sorted(times)[len(times) // 2]
        diff = float(np.abs(got - want).max())
        one, every, n = meta["rust_ms"], meta["rust_ms_threads"], meta["rust_threads"]
        print(f"{name} (P = {meta['patch']}, ᾱ = {meta['alpha_bar']:.4f}): NumPy/BLAS {ms:.0f} ms per step (all cores); Rust, {meta.get('build', '')}: {one:.0f} ms on one thread ({ms / one:.2f}x as fast), "
              f"{every:.0f} ms on {n} threads ({ms / every:.2f}x as fast); largest difference {diff:.1e}")
        if diff > 1e-3:
            sys.exit(f"{name}: the NumPy and Rust steps disagree by {diff}")
        if name in run:
            totals = [totals[0] + ms, totals[1] + one, totals[2] + every]
    if run:
        npy, one, every = totals
        print(f"a whole {len(run)}-step run at 32 px (all 67 items, P from 17 to 3): NumPy/BLAS {npy / 1e3:.2f} s; "
              f"Rust {one / 1e3:.2f} s on one thread ({npy / one:.2f}x as fast), {every / 1e3:.2f} s on every core ({npy / every:.2f}x as fast)")


if __name__ == "__main__":
    main()
