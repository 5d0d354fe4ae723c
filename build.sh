#!/usr/bin/env bash
# Hypothetical's one entry point.
#   ./build.sh serve   set up, build the wasm, serve www/ on http://127.0.0.1:8080
#   ./build.sh build   set up and build only
#   ./build.sh test    set up and run every test (format, lints, native, GPU parity on lavapipe, browser)
#   ./build.sh bench   run the native benchmarks and the browser timing run
#   ./build.sh soak [N] [cpu|gpu]  drive N kiosk attract-and-visitor cycles (default 2000)
#                       on the CPU path (default) or WebGPU, and report memory
#   ./build.sh archive rebuild www/archive from pinned upstream packages
# It installs what is missing on a fresh Debian machine (needs root or sudo for apt).
set -euo pipefail
cd "$(dirname "$0")"

WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen crate version in Cargo.toml
PORT=${PORT:-8080}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
export PATH="$HOME/.cargo/bin:$PATH"
# Mesa warns without a private runtime directory.
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/hypothetical-xdg-$(id -u)}
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

say() { printf '\n== %s\n' "$*"; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Recordings from outside the archive, for the phase bench only (never
# shipped): a spoken phrase from alsa-utils and applause and a game's title
# music from frozen-bubble-data (both GPL), from Debian's own packages, as
# mono 22,050 Hz WAV of at most 6 s in target/outside/.
outside_recordings() {
  apt_install sox
  local dir=target/outside tmp=target/outside/debs
  [ -f "$dir/frozen-mainzik-1p.wav" ] && return 0
  mkdir -p "$tmp"
  (cd "$tmp" && apt-get download alsa-utils frozen-bubble-data >/dev/null 2>&1)
  for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$tmp/x"; done
  for f in "$tmp/x/usr/share/sounds/alsa/Front_Center.wav" \
           "$tmp/x/usr/share/games/frozen-bubble/snd/applause.ogg" \
           "$tmp/x/usr/share/games/frozen-bubble/snd/frozen-mainzik-1p.ogg"; do
    local name; name=$(basename "${f%.*}")
    sox "$f" -r 22050 -c 1 -b 16 "$dir/$name.wav" trim 0 6 2>/dev/null
  done
  rm -rf "$tmp"
}

setup_rust() {
  if ! command -v cargo >/dev/null; then
    say "installing Rust (rustup, stable)"
    apt_install curl ca-certificates
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component rustfmt,clippy
  fi
  rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
}

setup_wasm_bindgen() {
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" = "$WASM_BINDGEN_VERSION" ]; then return 0; fi
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (takes several minutes once)"
  # --locked first; if the registry no longer serves a locked transitive version, resolve afresh.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --locked ||
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
}

setup_node() {
  command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
  if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/binaryen ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "installing node packages from package-lock.json"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

build_wasm() {
  setup_rust
  setup_wasm_bindgen
  setup_node
  say "building the wasm (release)"
  cargo build --release --target wasm32-unknown-unknown --lib
  rm -rf www/pkg
  wasm-bindgen --target web --no-typescript --out-dir www/pkg target/wasm32-unknown-unknown/release/hypothetical.wasm
  # binaryen from npm (Debian's older wasm-opt breaks wasm-bindgen's externref table).
  node node_modules/binaryen/bin/wasm-opt -Oz --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-reference-types --enable-mutable-globals \
    www/pkg/hypothetical_bg.wasm -o www/pkg/hypothetical_bg.wasm
  # Every page's shared head (the Content Security Policy among it) from its one definition.
  node tools/page-head.mjs www
  # The kiosk's offline copy: every file of www/ and a version over their contents.
  node tools/precache.mjs www
  # Brotli and gzip copies for the server to send (and the wasm's size on the wire, in docs/wasm-size.md).
  node tools/compress.mjs www
}

setup_test_deps() {
  # Firefox ESR: the second engine of the browser tests (CPU path, WebDriver BiDi through npm's puppeteer-core).
  apt_install chromium chromium-driver mesa-vulkan-drivers firefox-esr
}

run_tests() {
  local failed=() passed=()
  step() {
    local name=$1; shift
    say "$name"
    if "$@"; then passed+=("$name"); else failed+=("$name"); fi
  }
  setup_rust
  setup_test_deps
  step "cargo fmt --check" cargo fmt --all -- --check
  step "imports between src/ folders run one way" tools/imports.sh
  step "clippy (native)" cargo clippy --all-targets -- -D warnings
  step "clippy (wasm32)" cargo clippy --lib --target wasm32-unknown-unknown -- -D warnings
  step "native tests (core, GPU parity on lavapipe)" cargo test --profile tests
  step "wasm build" build_wasm
  if [[ " ${failed[*]} " != *" wasm build "* ]]; then
    step "browser tests (front page, companion, kiosk, Dissolve, generation scenes, Sounds Like Music and Swim on WebGPU and CPU fallback, Archive page; every page's CPU path in Firefox ESR)" node --test --test-concurrency=1 tests/e2e/
  fi
  echo
  echo "Summary: ${#passed[@]} steps passed, ${#failed[@]} failed${failed:+: ${failed[*]}}"
  [ ${#failed[@]} -eq 0 ]
}

case "${1:-}" in
  serve)
    build_wasm
    say "serving www/ on http://127.0.0.1:$PORT"
    exec node tools/serve.mjs www "$PORT"
    ;;
  build) build_wasm ;;
  test) run_tests ;;
  archive)
    # Rebuilds www/archive from pinned upstream packages; the results are committed.
    apt_install python3 python3-venv openclipart-png fluidsynth fluid-soundfont-gm espeak-ng librsvg2-bin sox
    # The culture the archive holds (tools/archive/culture.py): pinned Debian
    # packages and the OpenMoji npm package, unpacked under target/archive-debs.
    debs=target/archive-debs
    if [ ! -f "$debs/.complete" ]; then
      mkdir -p "$debs/download"
      (cd "$debs/download" && apt-get download openclipart-svg=1:0.18+dfsg-19 wesnoth-1.16-music=1:1.16.9-1 \
        warzone2100-music=4.3.3-3 alsa-utils=1.2.8-1 && npm pack --silent openmoji@17.0.0)
      for deb in "$debs"/download/*.deb; do
        name=$(basename "$deb"); name=${name%%_*}
        mkdir -p "$debs/$name" && dpkg-deb -x "$deb" "$debs/$name"
      done
      mkdir -p "$debs/openmoji" && tar xzf "$debs"/download/openmoji-17.0.0.tgz -C "$debs/openmoji"
      rm -rf "$debs/download" && touch "$debs/.complete"
    fi
    venv=target/archive-venv
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install -q -r tools/archive/requirements.txt
    wheels=target/archive-wheels
    mkdir -p "$wheels"
    "$venv/bin/pip" download -q --no-deps --only-binary=:all: --python-version 3.11 --platform manylinux_2_28_x86_64 \
      -d "$wheels" scikit-image==0.26.0 scikit-learn==1.9.1
    (cd tools/archive && HYPOTHETICAL_DEBS=../../$debs "../../$venv/bin/python" build_archive.py "../../$wheels" ../../www/archive)
    "$venv/bin/python" tools/archive/add_spectra.py www/archive
    git status --short www/archive || true
    ;;
  bench)
    setup_rust
    setup_test_deps
    say "criterion benchmarks (native)"
    cargo bench --bench noising
    cargo bench --bench denoisers
    say "Griffin–Lim per iteration, librosa 0.11 and Rust on the same clips in one run"
    apt_install python3 python3-venv
    venv=target/bench-venv
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install -q -r benches/librosa_requirements.txt
    "$venv/bin/python" benches/librosa_griffinlim.py www/archive tests/data/librosa_griffinlim.json
    say "one patch-denoiser step, Rust against NumPy/BLAS on the same inputs in one run"
    cargo run --release --example patch_step -- target/patch-step
    "$venv/bin/python" benches/patch_numpy.py target/patch-step
    cargo build --release --example griffin_lim
    for clip in chorale-bwv66-6-choir techno-128-acid jazz-walk-f-blues drums-breakbeat speech-counting white-noise; do
      printf '%-24s rust: ' "$clip"
      ./target/release/examples/griffin_lim --iters 32 "www/archive/sounds/$clip.flac" "target/griffin-lim-$clip.wav" | grep 'per iteration'
    done
    say "PGHI + 8 iterations against librosa's default start with 32, on the archive and on recordings from outside it"
    outside_recordings
    "$venv/bin/python" benches/phase_start.py target/release/examples/griffin_lim \
      www/archive/sounds/{chorale-bwv66-6-choir,techno-128-acid,jazz-walk-f-blues,drums-breakbeat,speech-counting,white-noise}.flac \
      target/outside/*.wav
    say "the same on generated tracks: spectral convergence against the picture each was rendered from"
    cargo build --release --example sample_sound
    for t in "techno" "chorale" "voice" "techno --tag2 chorale --mix 0.4"; do
      name=${t%% *}${t##* }  # techno, chorale, voice, techno0.4 (the blend)
      [ "$t" = "${t%% *}" ] && name=$t
      # shellcheck disable=SC2086 # the tag's flags are words
      ./target/release/examples/sample_sound --denoiser patch --tag $t --seconds 12 --steps 20 --seed 7 \
        --out "target/track-$name.wav" --magnitudes "target/track-$name.mag" >/dev/null
    done
    "$venv/bin/python" benches/phase_start.py target/release/examples/griffin_lim target/track-*.mag
    build_wasm
    say "browser timings (ms per frame at 512 × 512; ms per sampling step)"
    HYPOTHETICAL_BENCH=1 node --test --test-concurrency=1 --test-name-pattern='timing' tests/e2e/
    ;;
  fuzz)
    # cargo-fuzz (libFuzzer) on the Rust parsers, FUZZ_SECONDS each (default 600), seeded from the
    # archive; then the shared address parser (JavaScript) for as long. A crash stops the run and
    # leaves its input in fuzz/artifacts/TARGET/: fix it, then copy the input to fuzz/regressions/TARGET/.
    setup_rust
    command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
    seconds=${FUZZ_SECONDS:-600}
    mkdir -p fuzz/corpus/manifest fuzz/corpus/wav fuzz/corpus/png
    cp www/archive/manifest.json fuzz/corpus/manifest/
    cp www/archive/images/128/*.png fuzz/corpus/png/
    node -e "import('./tests/e2e/pictures.mjs').then((m) => { for (const s of [0.1, 1]) require('fs').writeFileSync('fuzz/corpus/wav/tone-' + s + '.wav', m.toneWav(s)); })"
    crashed=()
    for target in ${FUZZ_TARGETS:-manifest wav png}; do
      say "fuzzing $target for $seconds s"
      # Stable Rust: cargo-fuzz's nightly flags are allowed by RUSTC_BOOTSTRAP; no sanitizer (coverage only).
      # The log keeps the panic message; the summary shows the figures.
      if (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run --release --sanitizer none "$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=1048576 -print_final_stats=1 > "../target/fuzz-$target.log" 2>&1); then
        grep -E '^Done|^stat::(number_of_executed_units|new_units_added|peak_rss_mb)' "target/fuzz-$target.log"
      else
        crashed+=("$target"); grep -E 'panicked|memory allocation|ERROR|Test unit written' "target/fuzz-$target.log" | head -n 5
      fi
    done
    say "fuzzing the address parser for $seconds s"
    node tools/fuzz-address.mjs "$seconds" || crashed+=(address)
    if [ ${#crashed[@]} -gt 0 ]; then echo "crashed: ${crashed[*]} (inputs in fuzz/artifacts/)"; exit 1; fi
    ;;
  soak)
    setup_test_deps
    build_wasm
    say "kiosk soak: ${2:-2000} attract and visitor cycles on the ${3:-cpu} path, memory at the start, middle and end"
    node tools/soak.mjs "${2:-2000}" "${3:-cpu}"
    ;;
  *)
    echo "usage: ./build.sh serve | build | test | bench | soak [N] [cpu|gpu] | fuzz | archive" >&2
    exit 2
    ;;
esac
