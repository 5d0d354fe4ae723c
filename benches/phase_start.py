"""PGHI and 8 iterations of fast Griffin-Lim (Rust) against librosa's default
(random start, 32 iterations), on the same recordings in one run, and on
generated tracks' pictures (`.mag` files from `sample_sound --magnitudes`),
measured against the picture they were rendered from.

Run by `./build.sh bench` in its bench environment:
    python benches/phase_start.py target/release/examples/griffin_lim FILE.wav|flac ...
For each file (mono, 22,050 Hz) it computes S = |STFT| (n_fft 1024, hop 256,
periodic Hann, centred with zero padding), times librosa.griffinlim with
momentum 0.99 and init="random" (seeds 0-2) for 32 iterations and records the
spectral convergence ||(|STFT(y)| - S)||_F / ||S||_F of each result; then runs
the project's `griffin_lim` example from the PGHI start for 8 and for 32
iterations and reads its convergence and times (the start, and the
iterations). It prints both and the speed ratio: librosa's 32 iterations over
PGHI plus 8.
"""
import re
import subprocess
import sys
import tempfile
import time

import librosa
import numpy as np
import soundfile

KW = dict(n_fft=1024, hop_length=256, window="hann", center=True, pad_mode="constant")


def convergence(y, S):
    R = np.abs(librosa.stft(y, **KW))
    return float(np.linalg.norm(R - S) / np.linalg.norm(S))


def rust(example, path, iters):
    with tempfile.NamedTemporaryFile(suffix=".wav") as out:
        text = subprocess.run([example, "--start", "pghi", "--iters", str(iters), path, out.name],
                              check=True, capture_output=True, text=True).stdout
    start = float(re.search(r"starting phase Pghi: ([0-9.]+) ms", text).group(1))
    per = float(re.search(r"([0-9.]+) ms per iteration", text).group(1))
    sc = float(re.search(r"final spectral convergence ([0-9.]+)", text).group(1))
    return start, per, sc


def read_magnitudes(path):
    """A `.mag` file (src/audio/spectrogram.rs write_magnitudes): S as librosa
    holds it (bins x frames) and the signal's length."""
    raw = open(path, "rb").read()
    assert raw[:8] == b"HYMAG001", f"{path}: not a magnitude file"
    frames, bins, length = np.frombuffer(raw[8:20], dtype="<u4")
    S = np.frombuffer(raw[20:], dtype="<f4").reshape(frames, bins).T.astype(np.float32)
    return S, int(length)


def main(example, paths):
    for path in paths:
        if path.endswith(".mag"):
            # A generated track's picture: the target is the picture itself,
            # which no signal need have (its magnitudes are not consistent).
            S, length = read_magnitudes(path)
            y = np.zeros(length, dtype=np.float32)
            rate = 22050
        else:
            y, rate = soundfile.read(path, dtype="float32")
            assert y.ndim == 1 and rate == 22050, f"{path}: mono 22,050 Hz"
            S = np.abs(librosa.stft(y, **KW))
        scs, times = [], []
        for seed in range(3):
            t0 = time.perf_counter()
            y_hat = librosa.griffinlim(S, n_iter=32, momentum=0.99, init="random", random_state=seed, length=len(y), **KW)
            times.append((time.perf_counter() - t0) * 1000)
            scs.append(convergence(y_hat, S))
        librosa_ms = sorted(times)[1]
        start, per8, sc8 = rust(example, path, 8)
        _, _, sc32 = rust(example, path, 32)
        ours = start + 8 * per8
        name = path.rsplit("/", 1)[-1]
        print(f"{name:<28} {len(y) / rate:4.1f} s  librosa random start, 32 it: sc {min(scs):.4f}-{max(scs):.4f} in {librosa_ms:.0f} ms | "
              f"PGHI + 8 it: sc {sc8:.4f} in {ours:.0f} ms ({start:.0f} ms PGHI), {librosa_ms / ours:.1f}x as fast | PGHI + 32 it: sc {sc32:.4f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
