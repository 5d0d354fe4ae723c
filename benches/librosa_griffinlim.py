"""Reference figures for fast Griffin-Lim from librosa 0.11 on the archive's clips.

Run by `./build.sh bench` in its own pinned environment (benches/librosa_requirements.txt):
    python benches/librosa_griffinlim.py www/archive tests/data/librosa_griffinlim.json
For each clip it computes S = |STFT| (n_fft 1024, hop 256, periodic Hann, centred with
zero padding), runs librosa.griffinlim with momentum 0.99 and init=None (zero phase, as
src/audio/griffin_lim.rs), and records the spectral convergence ||(|STFT(y)| - S)||_F / ||S||_F
of the result after 8 and 32 iterations, and the median time per iteration.
tests/audio.rs checks that the Rust implementation reaches at most these values.
"""
import json
import sys
import time

import librosa
import numpy as np
import soundfile

CLIPS = [
    "chorale-bwv66-6-choir",
    "techno-128-acid",
    "jazz-walk-f-blues",
    "drums-breakbeat",
    "speech-counting",
    "white-noise",
]
ITERS = [8, 32]
KW = dict(n_fft=1024, hop_length=256, window="hann", center=True, pad_mode="constant")


def convergence(y, S):
    R = np.abs(librosa.stft(y, **KW))
    return float(np.linalg.norm(R - S) / np.linalg.norm(S))


def main(archive, out_path):
    result = {
        "about": __doc__.strip().splitlines()[0],
        "librosa": librosa.__version__,
        "numpy": np.__version__,
        "nFft": 1024,
        "hop": 256,
        "momentum": 0.99,
        "init": "zero phase (init=None); random32: init='random', seeds 0-2",
        "clips": {},
    }
    for clip in CLIPS:
        y, rate = soundfile.read(f"{archive}/sounds/{clip}.flac", dtype="float32")
        assert rate == 22050
        S = np.abs(librosa.stft(y, **KW))
        entry = {}
        for n in ITERS:
            y_hat = librosa.griffinlim(S, n_iter=n, momentum=0.99, init=None, length=len(y), **{k: v for k, v in KW.items()})
            entry[str(n)] = round(convergence(y_hat, S), 6)
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            librosa.griffinlim(S, n_iter=32, momentum=0.99, init=None, length=len(y), **KW)
            times.append((time.perf_counter() - t0) / 32 * 1000)
        entry["msPerIteration"] = round(sorted(times)[1], 3)
        # librosa's default start (init="random"), over three seeds, for the
        # comparison with the project's PGHI start (tests/audio.rs).
        randoms = []
        for seed in range(3):
            y_hat = librosa.griffinlim(S, n_iter=32, momentum=0.99, init="random", random_state=seed, length=len(y), **KW)
            randoms.append(convergence(y_hat, S))
        entry["random32"] = [round(v, 6) for v in randoms]
        result["clips"][clip] = entry
        print(f"{clip:<24} sc@8 {entry['8']:.4f}  sc@32 {entry['32']:.4f}  random start sc@32 {min(randoms):.4f}–{max(randoms):.4f}  {entry['msPerIteration']:.2f} ms/iteration", flush=True)
    with open(out_path, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
