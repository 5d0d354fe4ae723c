// The "Dissolve" scene: wiring between the page and the Rust engine.
import { Dissolve, sniffImage, fitWithinMaxEdge, maxEdge, randomSeed } from "../pkg/hypothetical.js";
import { decodePicture, loadBuiltin, InputError } from "./image-input.js";
import { drawSpectrum } from "./spectrum-plot.js";
import { expose } from "./lib/test-hooks.js";
import { byIds, messenger, shortCredit, fullCredit } from "./lib/page.js";
import { parseAddress, writeAddressSoon } from "./lib/address.js";
import { showBackend } from "./lib/backend.js";
import "./lib/site.js";
import { embedControls } from "./lib/embed.js";
import { announce } from "./lib/announce.js";
import { startScene, runPage } from "./lib/scene.js";
import { FAULT_WORDS, race, recovered } from "./lib/fault.js";

const ui = byIds([
  "view", "credit", "t", "t-out", "play", "schedule", "seed", "reseed", "backend", "signal", "noise",
  "signal-bar", "noise-bar", "snr", "schedule-snr", "powers", "sentence", "spectrum", "spectrum-sentence",
  "builtins", "file", "drop", "message", "perf", "paths",
]);
const reducedMotion = matchMedia("(prefers-reduced-motion: reduce)");
/** Seconds a full dissolution takes when playing. */
const PLAY_SECONDS = 8;
const MAX_SEED = 4294967295;

/** Everything this page keeps between events. */
const state = {
  // What is shown (kept in the address, but for the picture's label):
  t: 0, schedule: "cosine", seed: 7, image: null, imageLabel: "",
  scene: null, // the wasm Dissolve
  remake: null, // makes a new one (after an engine fault)
  picture: null, // the picture's pixels, to give a new one
  choice: null, // which path, and why (lib/backend.js)
  items: [], // the built-in pictures (manifest entries)
  spectrum: null, // the current picture's spectrum: fixed per picture, fetched once
  timings: [], // ms per frame, most recent last
  addressNote: "",
  // Rendering: at most one frame in flight, always the latest request.
  wanted: false,
  busy: false,
  pictureNumber: 0, // bumped on every new picture: a frame begun before it is dropped
  pictureTicket: 0, // bumped on every picture choice: the latest choice wins
  // Playing:
  playing: false, lastTick: 0, carry: 0,
};

const showMessage = messenger(ui.message, "note");

const ADDRESS = {
  image: { kind: "text" },
  t: { kind: "int", min: 0, max: 1000 },
  schedule: { kind: "choice", values: ["cosine", "linear"] },
  seed: { kind: "int", min: 0, max: MAX_SEED },
};

/** The state an address without a field means (as on first opening). */
const DEFAULTS = { t: 0, schedule: "cosine", seed: 7 };

/**
 * Follows the address when only its hash changes (a link, a host page, Back):
 * the state it names, the fields it leaves out at their defaults, exactly as
 * if the page had been opened there.
 */
async function followAddress() {
  setPlaying(false);
  Object.assign(state, DEFAULTS);
  const id = readHash();
  ui.schedule.value = state.schedule;
  ui.seed.value = state.seed;
  const item = id ? state.items.find((i) => i.id === id) : null;
  if (id && !item) state.addressNote += ` There is no built-in picture “${id}”; keeping the current one.`;
  showMessage(state.addressNote.trim(), "note");
  if (item && item.id !== state.image) await chooseBuiltin(item);
  update();
}

/** Reads the address into `state`; returns the image id asked for. */
function readHash() {
  const { values, corrections } = parseAddress(location.hash, ADDRESS);
  if (values.t !== undefined) state.t = Math.min(values.t, state.scene.steps);
  if (values.schedule) state.schedule = values.schedule;
  if (values.seed !== undefined) state.seed = values.seed;
  state.addressNote = corrections.length ? `The address was corrected: ${corrections.join(" ")}` : "";
  return values.image;
}

function writeHash() {
  writeAddressSoon(() => ({
    image: state.image === "upload" ? undefined : state.image,
    t: state.t,
    schedule: state.schedule,
    seed: state.seed,
  }));
}

// ---- rendering: at most one frame in flight, always the latest request ----
function requestFrame() {
  state.wanted = true;
  if (!state.busy) pump();
}

async function pump() {
  state.busy = true;
  while (state.wanted) {
    state.wanted = false;
    const { t, schedule, seed, image } = state;
    if (!image) break;
    const start = performance.now();
    const number = state.pictureNumber;
    try {
      const rgba = await race(state.scene.render(t, schedule, seed));
      // A new picture arrived while this frame was in flight: the loop draws it next.
      if (number !== state.pictureNumber) continue;
      const { width, height } = ui.view;
      ui.view.getContext("2d").putImageData(new ImageData(rgba, width, height), 0, 0);
      state.timings.push(performance.now() - start);
      if (state.timings.length > 240) state.timings.shift();
      ui.view.dataset.rendered = `${image}|${t}|${schedule}|${seed}`;
    } catch (err) {
      if (recovered(err)) {
        await restartEngine();
        showMessage(`A frame stopped: ${FAULT_WORDS}. A new engine has started with the same picture.`, "error");
        continue;
      }
      showMessage(`This frame could not be drawn: ${err?.message ?? err}`, "error");
    }
    updateBackend();
    updatePerf();
  }
  state.busy = false;
}

/** Runs `work` while no frame is in flight (it may use the backend), then resumes frames. */
async function exclusive(work) {
  while (state.busy) await new Promise((r) => setTimeout(r, 20));
  state.busy = true;
  try {
    return await work();
  } finally {
    state.busy = false;
    if (state.wanted) pump();
  }
}

function updateBackend() {
  if (state.scene.backend === "busy") return;
  showBackend(ui.backend, state.scene, state.choice);
}

function updatePerf() {
  if (!state.timings.length) return;
  const sorted = [...state.timings].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  ui.perf.textContent = `${state.scene.backend === "gpu" ? "WebGPU" : "CPU"}, ${median.toFixed(1)} ms per frame (median of ${sorted.length}) at ${ui.view.width} × ${ui.view.height}`;
}

// ---- the words and numbers beside the picture ----
// The sentences come from the core (src/image/dissolve_words.rs): they are worded
// from this picture's measured power and spectrum, with stated thresholds.
const dB = (v) => (v === null || v === undefined || !Number.isFinite(v) ? "∞ dB" : `${v.toFixed(1)} dB`);

function updateReadout() {
  const { t, schedule } = state;
  const mix = state.scene.mixAt(schedule, t);
  ui.t.value = t;
  ui.tOut.textContent = `${t} of ${state.scene.steps}`;
  ui.signal.textContent = mix.signal.toFixed(3);
  ui.noise.textContent = mix.noise.toFixed(3);
  ui.signalBar.style.width = `${mix.signal * 100}%`;
  ui.noiseBar.style.width = `${mix.noise * 100}%`;
  const power = state.scene.powerAt(schedule, t);
  // Shares of the power, as Sounds Like Music gives them: this picture's
  // power ᾱ·E[x0²] against the noise's 1 − ᾱ (not the amplitudes above).
  const share = t === 0 || !power ? 1 : power.share;
  ui.t.setAttribute("aria-valuetext", `t = ${t} of ${state.scene.steps}: picture ${Math.round(share * 100)}% of the power, noise ${Math.round((1 - share) * 100)}%`);
  ui.snr.textContent = t === 0 ? "∞ dB" : power ? dB(power.snrDb) : "–";
  ui.scheduleSnr.textContent = t === 0 ? "∞ dB" : dB(mix.snrDb);
  ui.powers.textContent = power && t > 0
    ? `(picture ${power.picture.toFixed(3)}, noise ${power.noise.toFixed(3)})`
    : t === 0 ? "(no noise yet)" : "";
  ui.sentence.textContent = power ? power.sentence : "";
  const crossing = state.scene.crossing(schedule, t);
  ui.spectrumSentence.textContent = state.scene.spectrumSentence(schedule, t);
  drawSpectrum(ui.spectrum, state.spectrum, mix, crossing);
  ui.view.setAttribute("aria-label", `${state.imageLabel} at timestep ${t}: ${ui.sentence.textContent}`);
  announce(`t = ${t}. ${ui.sentence.textContent} ${ui.spectrumSentence.textContent}`);
}

function update() {
  updateReadout();
  requestFrame();
  writeHash();
}

// ---- pictures ----
// Every picture choice takes a ticket; a slower, earlier choice that finishes
// decoding after a later one is dropped, so the latest choice wins.

/** After an engine fault (lib/fault.js): a new Dissolve with the picture it had, asked for the frame again. */
async function restartEngine() {
  state.scene = await state.remake();
  if (state.picture) {
    const { rgba, width, height } = state.picture;
    state.scene.setImage(new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength), width, height);
  }
  state.wanted = true;
}

function useImage({ rgba, width, height }, id, label, credit) {
  state.picture = { rgba, width, height };
  state.scene.setImage(new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength), width, height);
  state.spectrum = state.scene.spectrum();
  state.pictureNumber += 1;
  ui.view.width = width;
  ui.view.height = height;
  state.image = id;
  state.imageLabel = label;
  ui.credit.innerHTML = "";
  ui.credit.append(credit);
  for (const b of ui.builtins.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.dataset.id === id));
  update();
}

function creditLine(item) {
  const span = document.createElement("span");
  span.textContent = `${fullCredit(item)} `;
  const more = document.createElement("a");
  more.href = `archive.html#item=${encodeURIComponent(item.id)}`;
  more.textContent = "In the archive";
  span.append(more);
  return span;
}

async function chooseBuiltin(item) {
  const ticket = ++state.pictureTicket;
  try {
    const picture = await loadBuiltin(`archive/${item.large.file}`);
    if (ticket !== state.pictureTicket) return;
    useImage(picture, item.id, item.title, creditLine(item));
    showMessage("");
  } catch (err) {
    if (ticket !== state.pictureTicket) return;
    showMessage(err instanceof InputError ? err.message : `The built-in picture could not be loaded: ${err}`, "error");
  }
}

async function chooseFile(file) {
  if (!file) return;
  const ticket = ++state.pictureTicket;
  document.documentElement.dataset.file = "reading";
  showMessage("Reading your picture…");
  try {
    const picture = await decodePicture(file, { sniffImage, fitWithinMaxEdge, maxEdge });
    if (ticket !== state.pictureTicket) return;
    const credit = document.createElement("span");
    credit.textContent = `Your picture${file.name ? ` “${file.name}”` : ""}: decoded in this browser, never uploaded.`;
    useImage(picture, "upload", file.name || "Your picture", credit);
    showMessage(picture.notes.join(" "), "note");
  } catch (err) {
    if (ticket !== state.pictureTicket) return;
    // The previous picture stays on screen and the scene keeps working.
    showMessage(err instanceof InputError ? err.message : `That file could not be used: ${err?.message ?? err}`, "error");
  } finally {
    if (ticket === state.pictureTicket) {
      ui.file.value = "";
      document.documentElement.dataset.file = "done";
    }
  }
}

function buildPicker() {
  for (const item of state.items) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.id = item.id;
    button.setAttribute("aria-pressed", "false");
    const img = document.createElement("img");
    img.src = `archive/${item.file}`;
    img.alt = item.caption;
    img.loading = "lazy";
    const title = document.createElement("span");
    title.className = "title";
    title.textContent = item.title;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = shortCredit(item);
    button.append(img, title, who);
    button.addEventListener("click", () => chooseBuiltin(item));
    li.append(button);
    ui.builtins.append(li);
  }
}

// ---- playing ----
function setPlaying(on) {
  state.playing = on;
  ui.play.setAttribute("aria-pressed", String(on));
  ui.play.textContent = on ? "Pause" : "Play";
  if (on) {
    if (state.t >= state.scene.steps) state.t = 0;
    state.lastTick = performance.now();
    state.carry = 0;
    requestAnimationFrame(tick);
  }
}

function tick(now) {
  if (!state.playing) return;
  // Reduced motion: jump in tenths, twice a second, instead of a smooth flow.
  const stepMs = reducedMotion.matches ? 500 : 0;
  const elapsed = now - state.lastTick;
  if (elapsed >= stepMs && !state.busy) {
    state.carry += reducedMotion.matches ? state.scene.steps / 10 : (elapsed / 1000) * (state.scene.steps / PLAY_SECONDS);
    const advance = Math.floor(state.carry);
    state.carry -= advance;
    state.lastTick = now;
    state.t = Math.min(state.scene.steps, state.t + advance);
    update();
    if (state.t >= state.scene.steps) {
      setPlaying(false);
      return;
    }
  }
  requestAnimationFrame(tick);
}

function wireControls() {
  ui.t.addEventListener("input", () => {
    state.t = Number(ui.t.value);
    update();
  });
  ui.play.addEventListener("click", () => setPlaying(!state.playing));
  embedControls({ play: () => setPlaying(true), pause: () => setPlaying(false) });
  // Space plays and pauses when no control has the focus (a focused control keeps its own Space).
  addEventListener("keydown", (e) => {
    if (e.key === " " && e.target === document.body) { e.preventDefault(); setPlaying(!state.playing); }
  });
  ui.schedule.addEventListener("change", () => {
    state.schedule = ui.schedule.value;
    update();
  });
  ui.seed.addEventListener("change", () => {
    const seed = Number(ui.seed.value);
    if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
      showMessage(`The seed must be a whole number from 0 to ${MAX_SEED}; keeping ${state.seed}.`, "error");
      ui.seed.value = state.seed;
      return;
    }
    state.seed = seed;
    showMessage("");
    update();
  });
  ui.reseed.addEventListener("click", () => {
    state.seed = randomSeed();
    ui.seed.value = state.seed;
    update();
  });
  ui.file.addEventListener("change", () => chooseFile(ui.file.files?.[0]));
  for (const target of [ui.drop, document.body]) {
    target.addEventListener("dragover", (e) => {
      e.preventDefault();
      ui.drop.classList.add("over");
    });
    target.addEventListener("dragleave", () => ui.drop.classList.remove("over"));
    target.addEventListener("drop", (e) => {
      e.preventDefault();
      ui.drop.classList.remove("over");
      chooseFile(e.dataTransfer?.files?.[0]);
    });
  }
  addEventListener("resize", () => updateReadout());
  addEventListener("hashchange", () => followAddress());
  addEventListener("unhandledrejection", (e) => {
    e.preventDefault();
    showMessage(`Something went wrong: ${e.reason?.message ?? e.reason}`, "error");
  });
}

async function main() {
  const started = await startScene({ ui, create: Dissolve.create });
  state.scene = started.engine;
  state.remake = started.remake;
  state.choice = started.choice;
  ui.t.max = state.scene.steps;
  const fromHash = readHash();
  ui.schedule.value = state.schedule;
  ui.seed.value = state.seed;
  wireControls();
  try {
    state.items = (await (await fetch("archive/manifest.json")).json()).items.filter((i) => i.kind === "image" && i.large && i.scenes?.includes("dissolve"));
  } catch {
    showMessage("The built-in pictures could not be listed; you can still use your own.", "error");
  }
  buildPicker();
  const first = state.items.find((i) => i.id === fromHash) ?? state.items[0];
  if (first) await chooseBuiltin(first);
  if (fromHash && first && first.id !== fromHash) {
    state.addressNote += ` There is no built-in picture “${fromHash}”; showing “${first.title}”.`;
  }
  if (state.addressNote) showMessage(state.addressNote.trim(), "note");
  if (!state.choice.forced && state.scene.backend === "gpu") {
    // Time a frame on both paths and keep the faster (src/backend/calibration.rs).
    ui.paths.textContent = (await exclusive(() => state.scene.calibrate())) ?? "";
    updateBackend();
    requestFrame();
  }
  // A documented hook for the browser tests and the benchmark run.
  expose("hypothetical", Object.freeze({ scene: state.scene, timings: state.timings, state: () => ({ ...state }), chooseFile }));
}

runPage(main, { ui, showMessage });
