// "Sounds Like Music": music dissolved into white noise on the waveform and on
// the spectrogram, and a tagged "hypothetical" clip carved out of noise.
// The address keeps the state (#clip=…&t=…&tag=…&denoiser=…&steps=…&seed=…).
import { SoundScene, limiterCurve, soundConstants } from "../pkg/hypothetical.js";
import { Mix, buffer, SAMPLE_RATE, useSampleRate, expectedMix, renderOffline } from "./audio-graph.js";
import "./lib/site.js";
import { embedControls } from "./lib/embed.js";
import { announce } from "./lib/announce.js";
import { renderRecogniser } from "./lib/recogniser.js";
import { checkSettings, samplerSettings } from "./lib/limits.js";
import { expose } from "./lib/test-hooks.js";
import { byIds, messenger, shortCredit, startSound } from "./lib/page.js";
import { parseAddress, writeAddressSoon } from "./lib/address.js";
import { dBFS, decodeMono, peak, rms, statedDuration } from "./lib/decode.js";
import { showBackend } from "./lib/backend.js";
import { startScene, runPage } from "./lib/scene.js";
import { nextTask, sampleSteps } from "./lib/sampling.js";
import { describeStepTimes, describeWorkers, pace, timeLeftWords } from "./lib/timing-line.js";
import { FAULT_WORDS, recovered } from "./lib/fault.js";
import { saveBytes } from "./lib/download.js";
import { WorkerPool } from "./workers.js";

const pool = new WorkerPool();

const ui = byIds([
  "backend", "paths", "enable-sound", "sound-state", "volume", "clip", "file", "mic", "source-info", "start-row",
  "start", "start-out", "spec", "t", "t-out", "play-mix", "hear-picture", "stop", "power", "power-sentence",
  "controls", "tag", "denoiser", "steps", "method", "guidance", "guidance-out", "temperature", "temperature-out",
  "seed", "generate", "cancel", "progress", "progress-text", "gen-spec", "gen-caption", "scrub", "step-out",
  "play-step", "play-result", "loop", "stop-gen", "download", "render", "render-text", "message", "recogniser",
  "provenance", "provenance-intro", "perf", "seconds", "tag2", "mix", "mix-out", "rigidity", "rigidity-out",
  "gen-strip", "render-progress", "reading-box", "reading-state", "reading", "reading-sentence",
]);

const MAX_FILE_BYTES = 200 * 1024 * 1024;
const SEED = 7; // the forward process's noise seed (waveform and picture)
const PREVIEW_ITERS = 32;
const FINAL_ITERS = 64;
const TRACK_SLICE_MS = 40; // the patch machine's work between two looks at the page


/** Everything this page keeps between events. */
const state = {
  loaded: new Set(), // ids of the clips the scene holds (the soundtracks are fetched when used)
  scene: null, // the wasm SoundScene
  choice: null, // which path, and why (lib/backend.js)
  limits: null, // the sampler's limits, from the core
  sound: null, // {sampleRate, window, hop}, from the core
  items: [], // the archive's sounds (manifest entries)
  curve: null, // the limiter's WaveShaper curve, from the core
  noise: null, // the forward process's seeded noise, one window long
  audio: null, // AudioContext, made on the first gesture
  master: null, // its volume
  mix: null, // the clip + noise graph (audio-graph.js)
  playing: null, // {kind, node}
  decoded: null, // {samples, label} of the visitor's own sound
  run: null, // {cancelled, settings, done} of the current generation
  steps: 0, // steps recorded in it
  rendered: new Map(), // step k (0: result) → Float32Array
  resultSamples: null,
  timings: { steps: [], render: [] },
  tTimer: 0, // the pending spectrogram frame
  sourceTicket: 0, // the latest source choice (see useClip)
};

const showMessage = messenger(ui.message, "error");

// ---- sound only after a gesture ----
async function enableSound() {
  // A context the browser or the system closed (a device change, a crash of the audio service) is made anew.
  if (state.audio?.state === "closed") {
    stopAll();
    state.mix = null;
    state.audio = null;
  }
  if (!state.audio) {
    state.audio = new AudioContext();
    const audio = state.audio;
    audio.addEventListener("statechange", () => {
      if (audio.state !== "closed" || state.audio !== audio) return;
      stopAll();
      ui.enableSound.setAttribute("aria-pressed", "false");
      ui.enableSound.textContent = "Tap to enable sound";
      ui.soundState.textContent = "The browser closed its sound; a tap on any play button starts it again.";
      document.documentElement.dataset.audio = "off";
    });
    state.master = new GainNode(state.audio, { gain: Number(ui.volume.value) });
    state.master.connect(state.audio.destination);
  }
  const on = await startSound(state.audio);
  ui.enableSound.setAttribute("aria-pressed", String(on));
  ui.enableSound.textContent = on ? "Sound is on" : "Tap to enable sound";
  ui.soundState.textContent = on ? "Levelled to −20 dBFS and limited; use the volume control to taste."
    : "The browser did not start sound (it may have no output device, or keeps sound off for this page); tap again, or save the WAV.";
  document.documentElement.dataset.audio = on ? "on" : "off";
  return on;
}

function setPlaying(kind, node) {
  stopAll();
  state.playing = { kind, node };
  document.documentElement.dataset.playing = kind;
  ui.playMix.setAttribute("aria-pressed", String(kind === "mix"));
  if (node && "onended" in node) {
    node.onended = () => {
      if (state.playing?.node !== node) return;
      state.playing = null;
      document.documentElement.dataset.playing = "";
      ui.soundState.textContent = `Finished playing ${playingWhat(kind)}; nothing plays now.`;
    };
  }
}

/** Stops whatever plays; the status line then says so (a new sound says its own line after). */
function stopAll() {
  try { state.mix?.stop(); } catch { /* its context is gone */ }
  if (state.playing?.node && state.playing.kind !== "mix") {
    try { state.playing.node.stop(); } catch { /* already stopped */ }
  }
  if (state.playing) ui.soundState.textContent = `Stopped ${playingWhat(state.playing.kind)}; nothing plays now.`;
  state.playing = null;
  document.documentElement.dataset.playing = "";
  ui.playMix.setAttribute("aria-pressed", "false");
}

async function playSamples(kind, samples, loop = false) {
  if (!(await enableSound())) return;
  const node = new AudioBufferSourceNode(state.audio, { buffer: buffer(state.audio, samples), loop });
  node.connect(state.master);
  setPlaying(kind, node);
  node.start();
  const level = { rms: rms(samples), peak: peak(samples) };
  if (window.__sound) window.__sound.lastPlayed = { kind, length: samples.length, ...level };
  sayPlaying(kind, level);
}

const PLAYING = { picture: "the noised picture, turned back into sound", step: "this step's guess x̂0", result: "the generated track", mix: "the waveform mix" };
const playingWhat = (kind) => PLAYING[kind.split("-")[0]] ?? kind;
/** Says what plays and how loud: measured on the samples played (the mix: its graph's fixed level). */
function sayPlaying(kind, level) {
  const what = playingWhat(kind);
  const volume = `at the volume control's ${Math.round(100 * Number(ui.volume.value))}%`;
  ui.soundState.textContent = level
    ? `Playing ${what}: ${dBFS(level.rms)} RMS, peaks at ${dBFS(level.peak)}, ${volume}.`
    : `Playing ${what} at t = ${currentT()}: levelled to −20 dBFS RMS and limited below 0.95 of full scale (−0.45 dBFS), ${volume}.`;
  announce(ui.soundState.textContent, { now: true });
}

// ---- drawing ----
const PAD = { left: 52, top: 8, bottom: 40 };
/** Draws a spectrogram picture of `frames` columns (512: one window) squeezed into 512 px. */
function drawSpectrogram(canvas, rgba, frames = 512) {
  const g = canvas.getContext("2d");
  g.fillStyle = "#1a1c21";
  g.fillRect(0, 0, canvas.width, canvas.height);
  if (rgba) {
    const img = new ImageData(rgba, frames, 512);
    if (frames === 512) g.putImageData(img, PAD.left, PAD.top);
    else {
      const off = new OffscreenCanvas(frames, 512);
      off.getContext("2d").putImageData(img, 0, 0);
      g.imageSmoothingEnabled = true;
      g.drawImage(off, PAD.left, PAD.top, 512, 512);
    }
  }
  g.fillStyle = "#a9a69d";
  g.strokeStyle = "#a9a69d";
  g.font = "12px system-ui, sans-serif";
  const nyquist = SAMPLE_RATE / 2;
  const hzPerRow = nyquist / 512;
  g.textAlign = "right";
  g.textBaseline = "middle";
  for (let khz = 0; khz <= 10; khz += 2) {
    const y = PAD.top + 512 - (khz * 1000) / hzPerRow;
    g.fillRect(PAD.left - 5, y, 5, 1);
    g.fillText(`${khz}`, PAD.left - 8, y);
  }
  g.save();
  g.translate(12, PAD.top + 256);
  g.rotate(-Math.PI / 2);
  g.textAlign = "center";
  g.fillText("frequency (kHz)", 0, 0);
  g.restore();
  g.textAlign = "center";
  g.textBaseline = "top";
  const seconds = (frames * state.sound.hop) / SAMPLE_RATE;
  const every = seconds > 40 ? 10 : seconds > 16 ? 5 : seconds > 8 ? 2 : 1;
  for (let s = 0; s <= seconds; s += every) {
    const x = PAD.left + (s / seconds) * 512;
    g.fillRect(x, PAD.top + 512, 1, 5);
    g.fillText(`${s}`, x, PAD.top + 518);
  }
  g.fillText("time (s)", PAD.left + 256, PAD.top + 532);
}

function drawPower(info) {
  const c = ui.power;
  const g = c.getContext("2d");
  const [W, H] = [c.width, c.height];
  const L = 52, B = 34, T = 8, R = 8;
  g.fillStyle = "#1a1c21";
  g.fillRect(0, 0, W, H);
  const fMin = 20, fMax = SAMPLE_RATE / 2;
  const x = (f) => L + ((Math.log10(f) - Math.log10(fMin)) / (Math.log10(fMax) - Math.log10(fMin))) * (W - L - R);
  const music = Array.from(info.music);
  const dbs = music.map((p) => 10 * Math.log10(Math.max(p, 1e-12)));
  const noiseDb = 10 * Math.log10(Math.max(info.noise, 1e-12));
  const top = 10 * Math.ceil((Math.max(...dbs.slice(1), noiseDb, 30) + 5) / 10);
  const bottom = top - 90;
  const y = (db) => T + ((top - Math.max(db, bottom)) / (top - bottom)) * (H - T - B);
  g.strokeStyle = "#2a2d33";
  g.fillStyle = "#a9a69d";
  g.font = "12px system-ui, sans-serif";
  g.textAlign = "right";
  g.textBaseline = "middle";
  for (let db = bottom; db <= top; db += 20) {
    g.beginPath(); g.moveTo(L, y(db)); g.lineTo(W - R, y(db)); g.stroke();
    g.fillText(`${db} dB`, L - 4, y(db));
  }
  g.textAlign = "center";
  g.textBaseline = "top";
  for (const f of [20, 100, 1000, 10000]) {
    g.beginPath(); g.moveTo(x(f), T); g.lineTo(x(f), H - B); g.stroke();
    g.textAlign = f === 10000 ? "right" : "center";
    g.fillText(f >= 1000 ? `${f / 1000} kHz` : `${f} Hz`, f === 10000 ? x(f) + 4 : x(f), H - B + 4);
  }
  g.lineWidth = 2;
  g.strokeStyle = "#f2b84b";
  g.beginPath();
  for (let b = 1; b < dbs.length; b++) {
    const f = b * info.hzPerBin;
    if (f < fMin) continue;
    if (b === 1 || f / info.hzPerBin < 2) g.moveTo(x(f), y(dbs[b])); else g.lineTo(x(f), y(dbs[b]));
  }
  g.stroke();
  g.strokeStyle = "#7fb5ff";
  g.beginPath(); g.moveTo(x(fMin), y(noiseDb)); g.lineTo(x(fMax), y(noiseDb)); g.stroke();
  g.lineWidth = 1;
}

// ---- the forward process ----
function currentT() { return Number(ui.t.value); }

function updateForward() {
  if (!state.scene.sourceLabel) return;
  const t = currentT();
  const levels = state.scene.levels(t);
  ui.tOut.textContent = `t = ${t} · ᾱ = ${levels.alphaBar.toFixed(3)} · music ${(100 * levels.alphaBar).toFixed(0)}% of the power, noise ${(100 * (1 - levels.alphaBar)).toFixed(0)}%`;
  ui.t.setAttribute("aria-valuetext", `t = ${t} of 1000: music ${(100 * levels.alphaBar).toFixed(0)}% of the power, noise ${(100 * (1 - levels.alphaBar)).toFixed(0)}%`);
  if (state.mix) state.mix.set(levels);
  const info = state.scene.spectrum(t);
  drawPower(info);
  ui.powerSentence.textContent = info.sentence;
  announce(`t = ${t}: music ${(100 * levels.alphaBar).toFixed(0)}% of the power, noise ${(100 * (1 - levels.alphaBar)).toFixed(0)}%. ${info.sentence}`);
  // The picture costs a few ms: draw it at most once per frame.
  cancelAnimationFrame(state.tTimer);
  state.tTimer = requestAnimationFrame(() => {
    drawSpectrogram(ui.spec, state.scene.picture(t, SEED));
    ui.spec.setAttribute("aria-label", `Spectrogram of ${state.scene.sourceLabel} noised at t = ${t}`);
    ui.spec.dataset.t = String(t);
  });
  writeHash();
}

/** The line that says what dissolves: its name, length, and the window or padding. */
function updateSourceInfo() {
  const info = state.sourceInfo;
  if (!info) return;
  const bits = [`${info.label}: ${info.seconds.toFixed(1)} s`];
  if (info.padded > 0) bits.push(`shorter than the ${(state.sound.window / SAMPLE_RATE).toFixed(1)} s window, so it was padded with ${(info.padded / SAMPLE_RATE).toFixed(1)} s of silence`);
  else if (info.seconds > state.sound.window / SAMPLE_RATE + 0.05) bits.push(`the window starts at ${(info.start / SAMPLE_RATE).toFixed(1)} s`);
  ui.sourceInfo.textContent = bits.join("; ") + ".";
}

function sourceChanged(info) {
  state.sourceInfo = info;
  updateSourceInfo();
  if (state.mix) { state.mix.stop(); state.mix = null; }
  if (state.playing?.kind === "mix") stopAll();
  document.documentElement.dataset.source = info.label;
  updateForward();
}

// Every source choice takes a ticket: a file still decoding when a later
// choice is made is dropped when it finishes, so the latest choice wins.

/** The soundtracks' excerpts (tagged “game music”) are fetched when used, not with the scene. */
const FETCHED = (item) => item.tags.includes("game music");

/** Fetches and adds the clips of `ids` the scene does not hold yet. */
async function ensureClips(scene, ids, progress) {
  const wanted = ids.map((id) => state.items.find((i) => i.id === id)).filter((i) => i && !state.loaded.has(i.id));
  await loadClips(scene, wanted, progress);
}

async function useClip(id) {
  const ticket = ++state.sourceTicket;
  try {
    await ensureClips(state.scene, [id]);
    if (ticket !== state.sourceTicket) return;
    sourceChanged(state.scene.useClip(id));
    state.decoded = null;
    ui.startRow.hidden = true;
    ui.clip.value = id;
  } catch (e) {
    showMessage(e.message ?? String(e));
  }
}

/** Below this peak (−80 dBFS) a window is silence: there is nothing to dissolve. */
const SILENT_PEAK = 1e-4;
/** The longest sound kept (seconds): its first ten minutes; the scene hears a 5.9 s window of it. */
const MAX_SOURCE_SECONDS = 600;
/** The longest file decoded at all (seconds, as its header states): the browser decodes a file whole. */
const MAX_STATED_SECONDS = 3600;

/**
 * Makes the window of the decoded sound from `startSeconds` the one that
 * dissolves. Only the window is copied into the core (not the whole sound,
 * at every move of the start slider). A silent window is refused in words;
 * the previous one stays. Returns whether the window was taken.
 */
function useDecoded(startSeconds = 0, { findSound = false } = {}) {
  const { samples, label } = state.decoded;
  const win = state.sound.window;
  let start = Math.max(0, Math.min(Math.round(startSeconds * SAMPLE_RATE), samples.length - win));
  let window = samples.subarray(start, start + win);
  state.sourceNote = "";
  if (findSound && samples.length > win && window.every(Number.isFinite) && peak(window) < SILENT_PEAK) {
    // A file that opens in silence: the window starts where the sound begins, and the page says so.
    const first = samples.findIndex((v) => Math.abs(v) >= SILENT_PEAK);
    if (first > 0) {
      start = Math.max(0, Math.min(first, samples.length - win));
      window = samples.subarray(start, start + win);
      state.sourceNote = `The first ${(first / SAMPLE_RATE).toFixed(1)} s of “${label}” are silent, so the window starts at ${(start / SAMPLE_RATE).toFixed(1)} s, where its sound begins; move the start to choose another.`;
    }
  }
  if (!window.every(Number.isFinite)) {
    showMessage(`“${label}” holds samples that are not numbers (NaN or infinite) where the scene would listen; keeping the current sound.`);
    return false;
  }
  if (peak(window) < SILENT_PEAK) {
    showMessage(samples.length > win
      ? `The window of “${label}” from ${(start / SAMPLE_RATE).toFixed(1)} s is silent (no sample above −80 dBFS): there is nothing to dissolve there; choose another start.`
      : `“${label}” is silent (no sample above −80 dBFS): there is nothing to dissolve; keeping the current sound.`);
    return false;
  }
  const info = state.scene.setSource(window, 0, label);
  Object.assign(info, { start, seconds: samples.length / SAMPLE_RATE });
  const longer = samples.length > win;
  ui.startRow.hidden = !longer;
  if (longer) {
    ui.start.max = ((samples.length - win) / SAMPLE_RATE).toFixed(1);
    ui.start.value = (start / SAMPLE_RATE).toFixed(1);
    ui.startOut.textContent = `${(start / SAMPLE_RATE).toFixed(1)} s`;
  }
  ui.clip.value = "";
  sourceChanged(info);
  return true;
}

// Any format the browser reads, decoded at 22,050 Hz and mixed to mono.
const decode = (bytes) => decodeMono(bytes, SAMPLE_RATE);
const hms = (s) => `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}:${String(Math.floor(s % 60)).padStart(2, "0")}`;

async function loadFile(file) {
  if (!file) return;
  const ticket = ++state.sourceTicket;
  showMessage("");
  if (file.size === 0) { showMessage(`“${file.name}” is empty; keeping the current sound.`); return; }
  if (file.size > MAX_FILE_BYTES) { showMessage(`“${file.name}” is ${(file.size / 1e6).toFixed(0)} MB; files up to 200 MB are read. Keeping the current sound.`); return; }
  const bytes = await file.arrayBuffer();
  if (ticket !== state.sourceTicket) return;
  const stated = statedDuration(bytes);
  if (stated !== null && stated > MAX_STATED_SECONDS) {
    showMessage(`“${file.name}” is ${hms(stated)} long; sounds up to an hour are read (their first ${MAX_SOURCE_SECONDS / 60} minutes used). Keeping the current sound.`);
    return;
  }
  // Decoding has no progress of its own: say what is happening, and for how long.
  const began = performance.now();
  let ticking = 0;
  const saying = () => {
    // A later choice (a clip, another file) owns the line now.
    if (ticket !== state.sourceTicket) { clearInterval(ticking); return; }
    ui.sourceInfo.textContent = `Decoding “${file.name}” (${(file.size / 1e6).toFixed(1)} MB)… ${((performance.now() - began) / 1000).toFixed(0)} s`;
  };
  ticking = setInterval(saying, 1000);
  saying();
  let samples;
  try {
    samples = await decode(bytes);
  } catch {
    if (ticket !== state.sourceTicket) return;
    // “Too long” only where the bytes say so too: a few kilobytes at 1 Hz state hours but are not long.
    showMessage(stated !== null && stated > 600 && file.size > 50e6
      ? `“${file.name}” (${hms(stated)}) is too long for this browser's decoder; keeping the current sound.`
      : `“${file.name}” could not be decoded as sound by this browser; keeping the current sound.`);
    return;
  } finally {
    clearInterval(ticking);
    if (state.scene.sourceLabel && ticket === state.sourceTicket) updateSourceInfo();
  }
  if (ticket !== state.sourceTicket) return;
  if (samples.length === 0) { showMessage(`“${file.name}” holds no samples; keeping the current sound.`); return; }
  let note = "";
  if (samples.length > MAX_SOURCE_SECONDS * SAMPLE_RATE) {
    note = `Only the first ${MAX_SOURCE_SECONDS / 60} minutes of “${file.name}” (${hms(samples.length / SAMPLE_RATE)}) are kept.`;
    samples = samples.slice(0, MAX_SOURCE_SECONDS * SAMPLE_RATE);
  }
  const previous = state.decoded;
  state.decoded = { samples, label: file.name };
  try {
    if (useDecoded(0, { findSound: true })) {
      const said = [note, state.sourceNote].filter(Boolean).join(" ");
      if (said) showMessage(said, "note");
    } else state.decoded = previous;
  } catch (e) {
    state.decoded = previous;
    showMessage(`“${file.name}”: ${e.message ?? e}; keeping the current sound.`);
  }
}

async function record() {
  showMessage("");
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (e) {
    const refused = e?.name === "NotAllowedError" || e?.name === "SecurityError";
    showMessage(refused
      ? "The microphone was not allowed, so nothing was recorded. Choose an archive clip or a file instead, or allow the microphone in the browser's site settings."
      : `No microphone could be opened (${e?.message ?? e}). Choose an archive clip or a file instead.`);
    return;
  }
  ui.mic.disabled = true;
  const chunks = [];
  const rec = new MediaRecorder(stream);
  rec.ondataavailable = (ev) => chunks.push(ev.data);
  const stopped = new Promise((r) => { rec.onstop = r; });
  rec.start();
  for (let s = 5; s > 0; s--) {
    ui.mic.textContent = `Recording… ${s} s`;
    await new Promise((r) => setTimeout(r, 1000));
  }
  rec.stop();
  await stopped;
  for (const track of stream.getTracks()) track.stop();
  ui.mic.textContent = "Record 5 s from the microphone";
  ui.mic.disabled = false;
  try {
    const samples = await decode(await new Blob(chunks).arrayBuffer());
    const previous = state.decoded;
    state.decoded = { samples, label: "your recording" };
    if (!useDecoded(0)) state.decoded = previous;
  } catch (e) {
    showMessage(`The recording could not be decoded (${e?.message ?? e}); keeping the current sound.`);
  }
}

async function playMix() {
  if (state.playing?.kind === "mix") { stopAll(); return; }
  if (!state.scene.sourceLabel) return;
  if (!(await enableSound())) return;
  if (!state.mix) state.mix = new Mix(state.audio, { clip: state.scene.sourceSamples(), noise: state.noise, curve: state.curve, destination: state.master });
  state.mix.set(state.scene.levels(currentT()), { glide: false });
  setPlaying("mix", null);
  state.mix.start({ loop: true });
  sayPlaying("mix");
}

async function withRender(words, work) {
  ui.render.hidden = false;
  ui.renderText.textContent = words;
  document.documentElement.dataset.rendering = "true";
  // Let the indicator paint before the work starts.
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  const t0 = performance.now();
  try {
    return await work();
  } finally {
    state.timings.render.push({ ms: performance.now() - t0, backend: state.scene.backend, words });
    ui.render.hidden = true;
    delete document.documentElement.dataset.rendering;
    showBackend(ui.backend, state.scene, state.choice); // a GPU failure moves the scene to the CPU
    ui.paths.textContent = state.scene.paths.join(" ");
  }
}

async function hearPicture() {
  if (!state.scene.sourceLabel) return;
  const t = currentT();
  if (!(await enableSound())) return;
  try {
    const samples = await withRender(`Rendering the noised picture at t = ${t} (Griffin–Lim, ${PREVIEW_ITERS} iterations)…`, () => state.scene.hearPicture(t, SEED));
    await playSamples(`picture-${t}`, samples);
  } catch (e) {
    showMessage(`The picture could not be turned into sound: ${e.message ?? e}`);
  }
}

// ---- generation ----
/** Words for the soundtrack excerpts a track draws on, when a tag has more than the machine takes. */
function drawnOnWords(s) {
  const chosen = new Set(state.scene.trackClips(s));
  const parts = [s.tag, s.mix > 0 ? s.tag2 : ""].filter(Boolean).map((tag) => {
    const all = state.items.filter((i) => FETCHED(i) && i.tags.includes(tag));
    const used = all.filter((i) => chosen.has(i.id)).length;
    return all.length > used ? `${used} of the ${all.length} recordings tagged “${tag}”` : "";
  }).filter(Boolean);
  const { trackClipsPerTag: n, clipsPerPiece: k } = state.sound;
  return parts.length ? `It drew on ${parts.join(" and ")}: for each tag the seed picked one recording, and the ${n - 1} whose long-term spectra are nearest to it joined it (at most ${k} cut from one piece); another seed draws on others.` : "";
}

const settings = () => samplerSettings(ui);

function showStep(k) {
  if (state.run?.track) { showTrackStep(k); return; }
  drawSpectrogram(ui.genSpec, state.scene.stepPicture(k));
  ui.scrub.value = k;
  ui.stepOut.textContent = `step ${k} of ${state.steps}`;
  ui.genSpec.setAttribute("aria-label", `The denoiser's guess of the clean spectrogram at step ${k} of ${state.steps}`);
  ui.genCaption.textContent = `The denoiser's guess x̂0 at step ${k} of ${state.steps}: what it decided the clip is at that point.`;
  ui.playStep.textContent = `Play step ${k}'s x̂0`;
  renderRecogniser(ui.recogniser, state.scene.recogniser(k, 7), state.run?.tag ?? ui.tag.value);
  const sources = state.scene.provenance(k, 6);
  ui.provenanceIntro.textContent = (state.run?.denoiser ?? ui.denoiser.value) === "archive"
    ? "The archive denoiser's guess is a weighted mix of whole archive clips; these are the leading weights."
    : "The Gaussian denoiser uses every clip of the tag alike, through the mean and temporal spectrum of each frequency row; none is copied.";
  showSources(sources);
}

/** The clips a step came from, `[{id, title, weight, colour?}]`, as credited links. */
function showSources(sources) {
  ui.provenance.replaceChildren(...sources.map((s) => {
    const li = document.createElement("li");
    if (s.colour) {
      li.classList.add("swatched");
      li.style.setProperty("--swatch", s.colour);
    }
    const a = document.createElement("a");
    a.href = `archive.html#item=${encodeURIComponent(s.id)}`;
    a.textContent = s.title;
    const item = state.items.find((i) => i.id === s.id);
    li.append(a, ` · ${(100 * s.weight).toFixed(1)}% · `, item ? shortCredit(item) : s.id);
    li.dataset.id = s.id;
    return li;
  }));
}

// ---- tracks: the patch machine ----
const isTrack = () => ui.denoiser.value === "patch";

function syncMode() {
  ui.controls.closest("main").dataset.mode = isTrack() ? "track" : "window";
  // The second tag's share means nothing while there is no second tag.
  ui.mix.closest("label").hidden = !ui.tag2.value;
}

function trackSettings() {
  const s = settings();
  const tag2 = ui.tag2.value || null;
  return {
    tag: s.tag, tag2, mix: tag2 ? Number(ui.mix.value) : 0, seconds: Number(ui.seconds.value),
    steps: s.steps, seed: s.seed, method: s.method, temperature: s.temperature, rigidity: Number(ui.rigidity.value),
  };
}

function drawStrip(rgba, frames, bands) {
  const g = ui.genStrip.getContext("2d");
  g.fillStyle = "#1a1c21";
  g.fillRect(0, 0, ui.genStrip.width, ui.genStrip.height);
  if (!rgba) return;
  const off = new OffscreenCanvas(frames, bands);
  off.getContext("2d").putImageData(new ImageData(rgba, frames, bands), 0, 0);
  g.imageSmoothingEnabled = false;
  g.drawImage(off, PAD.left, 4, 512, ui.genStrip.height - 8);
}

function showTrackStep(k) {
  const { frames, bands, seconds } = state.run;
  drawSpectrogram(ui.genSpec, state.scene.trackPicture(k), frames);
  drawStrip(state.scene.trackStrip(k), frames, bands);
  ui.scrub.value = k;
  ui.stepOut.textContent = `step ${k} of ${state.steps}`;
  ui.genSpec.setAttribute("aria-label", `The patch machine's guess of the clean spectrogram of a ${seconds.toFixed(0)} s track at step ${k} of ${state.steps}`);
  ui.genCaption.textContent = `The patch machine's guess x̂0 at step ${k} of ${state.steps}: ${seconds.toFixed(1)} s of sound squeezed into the frame.`;
  ui.playStep.textContent = `Play step ${k}'s x̂0`;
  const shares = state.scene.trackShares(k, 8);
  const leading = state.scene.trackSeconds(k);
  ui.genStrip.setAttribute("aria-label", `Where each second came from: ${leading.map((id, i) => `${i} s ${state.items.find((it) => it.id === id)?.title ?? id}`).join("; ")}`);
  ui.provenanceIntro.textContent = "Each frequency band of each moment of this guess was taken mostly from one clip, at the same frequencies and any moment of it; these clips led the most of them (their colours are the strip's):"
    + (state.run?.drawnOn ? ` ${state.run.drawnOn}` : "");
  showSources(shares);
}

/**
 * The track run as sampleSteps' engine: a step on the GPU, or a step split
 * over the worker pool (all cores), or slices on the main thread when
 * workers cannot start.
 */
function trackEngine() {
  let ready = null; // the workers' setup for this run
  return {
    step: async () => {
      if (state.scene.trackOnGpu || pool.broken) return state.scene.stepTrack(TRACK_SLICE_MS);
      const job = state.scene.trackJob();
      if (!job) return state.scene.stepTrack(TRACK_SLICE_MS);
      try {
        ready ??= pool.setup(state.scene.trackWorkerSetup());
        await ready;
        const report = state.scene.finishTrackStep(await pool.shares(job));
        state.run.workers = pool.size;
        state.run.workerSteps = (state.run.workerSteps ?? 0) + 1;
        return report;
      } catch (e) {
        console.warn(`Hypothetical: the workers failed (${e.message}); working on the page`);
        state.run.workersFailed = true;
        pool.broken = true;
        return state.scene.stepTrack(TRACK_SLICE_MS);
      }
    },
  };
}

/** The time left, from the whole steps finished on the path that runs now (lib/timing-line.js). */
function timeLeft() {
  return state.run?.pace ? timeLeftWords(state.run.pace) : "";
}

/**
 * After an engine fault (lib/fault.js): a new SoundScene with the same sound
 * (the window of the visitor's file, or the clip). The steps of the run that
 * stopped were in the old one.
 */
async function restartEngine() {
  const scene = await state.remake();
  await loadClips(scene, state.items.filter((i) => !FETCHED(i)));
  state.loaded = new Set(state.items.filter((i) => !FETCHED(i)).map((i) => i.id));
  state.scene = scene;
  state.steps = 0;
  if (state.decoded) useDecoded(Number(ui.start.value) || 0);
  else useClip(ui.clip.value || state.items[0]?.id);
}

// ---- generation ----
async function generate() {
  const track = isTrack();
  const s = track ? trackSettings() : settings();
  const bad = checkSettings(s, state.limits);
  if (bad) { showMessage(bad); return; }
  showMessage("");
  let info;
  try {
    if (track) {
      await ensureClips(state.scene, state.scene.trackClips(s), (done, of) => {
        ui.progressText.textContent = `Fetching the recordings this track draws on: ${done} of ${of}…`;
      });
    }
    info = track ? state.scene.startTrack(s) : state.scene.start(s);
  } catch (e) { showMessage(e.message ?? String(e)); return; }
  state.run = {
    drawnOn: track ? drawnOnWords(s) : "",
    cancelled: false, track, tag: s.tag, denoiser: track ? "patch" : s.denoiser, settings: s,
    frames: info.frames ?? 512, bands: info.bands, seconds: info.seconds ?? state.sound.window / SAMPLE_RATE,
  };
  state.rendered = new Map();
  state.resultSamples = null;
  ui.readingBox.hidden = true;
  delete document.documentElement.dataset.read;
  state.steps = 0;
  // Generate disables itself: focus moves to Cancel (the next thing to do) rather than falling to the page.
  const hadFocus = document.activeElement === ui.generate;
  for (const b of [ui.generate, ui.playStep, ui.playResult, ui.download]) b.disabled = true;
  ui.cancel.disabled = false;
  if (hadFocus) ui.cancel.focus();
  ui.scrub.disabled = true;
  ui.progress.max = info.steps;
  ui.progress.value = 0;
  ui.progressText.textContent = track ? `Starting ${info.settings}…` : "";
  if (track) ui.progressText.textContent = `Timing the first step of this ${info.seconds.toFixed(0)} s track: the time left is estimated once it is done.`;
  delete document.documentElement.dataset.generated;
  const started = performance.now();
  let lost = 0; // steps made by an engine that stopped (lib/fault.js): shown, but gone
  try {
    await sampleSteps(track ? trackEngine() : state.scene, state.run, {
      onStep: (step, ms) => {
        state.timings.steps.push({ ms, backend: step.backend ?? "cpu" });
        if (step.calibration) ui.paths.textContent = state.scene.paths.join(" ");
        state.steps = step.index;
        if (step.fellBack) {
          showMessage(`The GPU failed (${step.fellBack}).`, "note");
          showBackend(ui.backend, state.scene, state.choice);
        }
        ui.progress.value = step.index;
        if (step.work) {
          state.run.pace = pace(state.run.pace ?? pace(null, { at: started }), { index: step.index, work: step.work, backend: step.backend ?? "cpu", at: performance.now() });
        }
        ui.progressText.textContent = `Step ${step.index} of ${step.total} (t = ${step.t})${timeLeft()}`;
        ui.scrub.max = state.steps;
        showStep(state.steps);
      },
      onPartial: (step) => {
        // Tracks: the share of the step done, and the time left at this device's pace.
        ui.progress.value = step.index + step.partial[0] / step.partial[1];
        ui.progressText.textContent = `Step ${step.index + 1} of ${step.total} (t = ${step.t}, patches ${step.patch[0]} rows × ${step.patch[1]} frames)${timeLeft()}`;
      },
    });
  } catch (e) {
    if (recovered(e)) {
      lost = state.steps;
      await restartEngine();
      showMessage(`Sampling stopped: ${FAULT_WORDS}. A new engine has started with the same sound: Generate again.`);
    } else {
      showMessage(`Sampling stopped: ${e.message ?? e}`);
    }
  }
  const cancelled = state.run.cancelled;
  ui.progressText.textContent = cancelled
    ? `Cancelled after step ${state.steps} of ${info.steps}.`
    : lost ? `Stopped after step ${lost} of ${info.steps}; its steps went with the engine that stopped.`
    : state.steps === info.steps ? `Finished: ${state.steps} steps.` : `Stopped after step ${state.steps} of ${info.steps}.`;
  const workers = describeWorkers(state.run, ["CPU step", "CPU steps"]);
  const p = state.run.pace;
  const estimate = p?.estimate ? `; estimated after step ${p.estimatedAt}: about ${Math.max(1, Math.round(p.estimate))} s` : "";
  ui.perf.textContent = `${describeStepTimes(state.timings.steps.slice(-state.steps), performance.now() - started)}${workers}${estimate}.`;
  ui.generate.disabled = false;
  // Focus was on Cancel (moved there when the run began): it goes back to Generate, not to the page.
  if (document.activeElement === ui.cancel) ui.generate.focus();
  ui.cancel.disabled = true;
  ui.scrub.disabled = state.steps === 0;
  announce(ui.progressText.textContent, { now: true });
  ui.playStep.disabled = state.steps === 0;
  if (!cancelled && state.steps > 0) {
    try {
      state.resultSamples = await renderStep(0);
      ui.playResult.disabled = false;
      ui.download.disabled = false;
    } catch (e) {
      showMessage(`The result could not be turned into sound: ${e.message ?? e}`);
    }
  }
  state.run = { ...state.run, done: true };
  document.documentElement.dataset.generated = cancelled ? "cancelled" : "done";
  if (track && !cancelled && !lost && state.steps === info.steps) await readTrack(state.run);
}

/**
 * Reads the finished track with the diffusion classifier of
 * `diffusion::track_reading`: each tag's own clips (fetched when the scene
 * does not hold them) try to give a noised excerpt back. A step at a time,
 * the page yielding between them; a new run stops it.
 */
async function readTrack(run) {
  const still = () => state.run === run;
  ui.readingBox.hidden = false;
  ui.reading.replaceChildren();
  ui.readingSentence.textContent = "";
  ui.readingState.textContent = "Reading the finished track…";
  try {
    const missing = state.scene.startReading();
    if (missing.length) {
      await ensureClips(state.scene, missing, (done, of) => {
        ui.readingState.textContent = `Fetching the ${of} recordings the reader compares the track with: ${done} of ${of}…`;
      });
    }
    let p;
    do {
      if (!still()) return;
      p = state.scene.stepReading();
      ui.readingState.textContent = `Reading: ${p.index} of ${p.total} (each tag at two noise levels)…`;
      await nextTask();
    } while (!p.done);
    if (!still()) return;
    const bars = state.scene.readingBars(8);
    renderRecogniser(ui.reading, bars, run.tag);
    ui.readingState.textContent = "";
    ui.readingSentence.textContent = trackReadingSentence(bars, run.tag, p.seconds);
    document.documentElement.dataset.read = "done";
  } catch (e) {
    if (still()) ui.readingState.textContent = `The finished track could not be read: ${e.message ?? e}`;
  }
}

/** What the track's reading says, in words. */
function trackReadingSentence(bars, tag, seconds) {
  const rank = bars.findIndex((b) => b.tag === tag);
  const named = rank === 0 ? `“${tag}” comes first` : rank > 0 ? `“${tag}” comes ${["", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"][rank]}` : `“${tag}” was not read`;
  return `The reader takes ${seconds.toFixed(1)} s from the middle of the track, noises them (to ᾱ = 0.8 and 0.5) and asks each tag's own patch machine, which has only the eight clips of that tag nearest in sound, to give them back; the tag whose clips rebuild the sound best is the most probable (a diffusion classifier, as in Li et al. 2023), weighed against its share of the archive. ${named}. `
    + "Tags that share their clips (a techno clip is also “drums”) explain each other's tracks almost equally, and a tag is only as wide as its eight clips.";
}

// Griffin–Lim of a track on the CPU runs in a worker, with its progress shown.
function invertInWorker(values, iters) {
  return pool.invert(values, iters, ([i, n]) => {
    ui.renderProgress.max = n;
    ui.renderProgress.value = i;
  });
}

async function renderTrack(k, iters) {
  // A slow GPU (a software one) would take far longer than the CPU on a long track: time both first.
  await state.scene.calibrateGriffinLim();
  ui.paths.textContent = state.scene.paths.join(" ");
  if (state.scene.griffinLimOnGpu) return state.scene.renderTrack(k, iters);
  try {
    return await invertInWorker(state.scene.trackValues(k), iters);
  } catch (e) {
    console.warn(`Hypothetical: Griffin–Lim in a worker failed (${e.message}); rendering here`);
    return state.scene.renderTrack(k, iters);
  } finally {
    ui.renderProgress.removeAttribute("value");
  }
}

async function renderStep(k) {
  if (state.rendered.has(k)) return state.rendered.get(k);
  const iters = k === 0 ? FINAL_ITERS : PREVIEW_ITERS;
  const words = k === 0 ? `Rendering the result (Griffin–Lim, ${iters} iterations)…` : `Rendering step ${k}'s guess (Griffin–Lim, ${iters} iterations)…`;
  const samples = await withRender(words, () => (state.run?.track ? renderTrack(k, iters) : state.scene.render(k, iters)));
  state.rendered.set(k, samples);
  return samples;
}

async function playStep() {
  const k = Number(ui.scrub.value);
  if (!(await enableSound())) return;
  try {
    await playSamples(`step-${k}`, await renderStep(k), ui.loop.checked);
  } catch (e) { showMessage(`Step ${k} could not be turned into sound: ${e.message ?? e}`); }
}

async function playResult() {
  if (!state.resultSamples) return;
  await playSamples("result", state.resultSamples, ui.loop.checked);
}

function download() {
  if (!state.resultSamples) return;
  // Named after the run's own settings, not the controls' current values.
  const r = state.run.settings;
  if (state.run.track) {
    const blend = r.tag2 ? `${r.tag}-${r.tag2}` : r.tag;
    saveBytes(state.scene.trackWav(state.resultSamples), "audio/wav", `hypothetical-${blend}-patch-${r.seconds}s-seed${r.seed}.wav`);
    return;
  }
  saveBytes(state.scene.wav(state.resultSamples, state.steps), "audio/wav", `hypothetical-${r.tag || "clip"}-${r.denoiser}-seed${r.seed}.wav`);
}

// ---- the address ----
function writeHash() {
  writeAddressSoon(() => ({
    clip: ui.clip.value,
    t: ui.t.value,
    tag: ui.tag.value,
    denoiser: ui.denoiser.value,
    steps: ui.steps.value,
    seed: ui.seed.value,
    ...(isTrack() ? { seconds: ui.seconds.value, tag2: ui.tag2.value, mix: ui.mix.value, rigidity: ui.rigidity.value } : {}),
  }));
}

const ADDRESS = {
  clip: { kind: "text" },
  t: { kind: "int", min: 0, max: 1000 },
  tag: { kind: "text" },
  denoiser: { kind: "choice", values: ["patch", "archive", "gaussian"] },
  seconds: { kind: "int", min: 2, max: 60 },
  tag2: { kind: "text" },
  mix: { kind: "number", min: 0.05, max: 0.95 },
  rigidity: { kind: "number", min: 0, max: 4 },
  steps: { kind: "int", min: 10, max: 1000 },
  seed: { kind: "int", min: 0, max: 4294967295 },
};

// ---- start ----
/** Gives `scene` the archive's clips; `progress(done, of)` as they come. */
async function loadClips(scene, manifestItems, progress = () => {}) {
  let done = 0;
  const decodeOne = async (item) => {
    const bytes = await (await fetch(`archive/${item.file}`)).arrayBuffer();
    scene.addClip(item.id, await decode(bytes));
    if (scene === state.scene) state.loaded.add(item.id);
    progress(++done, manifestItems.length);
  };
  // A few at a time: decoding is the browser's, the pictures are ours.
  const queue = [...manifestItems];
  await Promise.all([0, 1, 2, 3].map(async () => { while (queue.length) await decodeOne(queue.shift()); }));
}

function wire() {
  ui.enableSound.addEventListener("click", enableSound);
  ui.volume.addEventListener("input", () => { if (state.master) state.master.gain.setTargetAtTime(Number(ui.volume.value), state.audio.currentTime, 0.02); });
  ui.clip.addEventListener("change", () => { if (ui.clip.value) useClip(ui.clip.value); });
  ui.file.addEventListener("change", () => loadFile(ui.file.files[0]));
  ui.mic.addEventListener("click", record);
  ui.start.addEventListener("input", () => {
    if (!state.decoded) return;
    showMessage("");
    useDecoded(Number(ui.start.value));
  });
  ui.t.addEventListener("input", updateForward);
  ui.playMix.addEventListener("click", playMix);
  ui.hearPicture.addEventListener("click", hearPicture);
  ui.stop.addEventListener("click", stopAll);
  ui.stopGen.addEventListener("click", stopAll);
  ui.controls.addEventListener("submit", (e) => { e.preventDefault(); generate(); });
  ui.cancel.addEventListener("click", () => { if (state.run) state.run.cancelled = true; });
  ui.scrub.addEventListener("input", () => showStep(Number(ui.scrub.value)));
  ui.playStep.addEventListener("click", playStep);
  ui.playResult.addEventListener("click", playResult);
  ui.download.addEventListener("click", download);
  // A host page's play and pause (lib/embed.js): the mix at the current t, and stop.
  embedControls({ play: playMix, pause: stopAll });
  // Escape cancels a run; Space plays and stops the mix when no control has the focus.
  addEventListener("keydown", (e) => {
    if (e.key === "Escape" && state.run && !state.run.cancelled) state.run.cancelled = true;
    else if (e.key === " " && e.target === document.body) { e.preventDefault(); playMix(); }
  });
  for (const [input, out, digits] of [[ui.guidance, ui.guidanceOut, 1], [ui.temperature, ui.temperatureOut, 1], [ui.mix, ui.mixOut, 2], [ui.rigidity, ui.rigidityOut, 1]]) {
    input.addEventListener("input", () => { out.textContent = Number(input.value).toFixed(digits); });
  }
  for (const f of [ui.tag, ui.denoiser, ui.steps, ui.seed, ui.seconds, ui.tag2, ui.mix, ui.rigidity]) f.addEventListener("change", writeHash);
  ui.denoiser.addEventListener("change", syncMode);
  ui.tag2.addEventListener("change", syncMode);
  // DDIM (η = 0) injects no noise, so its temperature has nothing to scale.
  const syncTemperature = () => { ui.temperature.disabled = ui.method.value === "ddim"; };
  ui.method.addEventListener("change", syncTemperature);
  syncTemperature();
  // Drop a file anywhere on the first section.
  const stage = ui.spec.closest("section");
  stage.addEventListener("dragover", (e) => { e.preventDefault(); stage.classList.add("over"); });
  stage.addEventListener("dragleave", () => stage.classList.remove("over"));
  stage.addEventListener("drop", (e) => { e.preventDefault(); stage.classList.remove("over"); loadFile(e.dataTransfer.files[0]); });
}

async function main() {
  const started = await startScene({ ui, kind: "sound", create: SoundScene.create });
  state.scene = started.engine;
  state.remake = started.remake;
  state.choice = started.choice;
  state.limits = started.limits;
  state.items = started.items;
  state.sound = soundConstants();
  useSampleRate(state.sound.sampleRate);
  state.curve = new Float32Array(limiterCurve(4097));
  state.noise = state.scene.noise(SEED);
  expose("__sound", {
    scene: state.scene, items: state.items, lastPlayed: null, timings: state.timings,
    audio: () => state.audio,
    offline: async (t, seconds) => {
      const levels = state.scene.levels(t);
      const clip = state.scene.sourceSamples();
      const out = await renderOffline({ clip, noise: state.noise, curve: state.curve, levels, seconds });
      const want = expectedMix(clip, state.noise, levels, state.curve, out.length);
      let worst = 0;
      for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i] - want[i]));
      return { worst, length: out.length, rms: rms(out), peak: peak(out), levels };
    },
  });
  wire();
  drawSpectrogram(ui.spec, null);
  drawSpectrogram(ui.genSpec, null);
  drawStrip(null);
  syncMode();
  await loadClips(state.scene, state.items.filter((i) => !FETCHED(i)), (done, of) => { ui.clip.options[0].textContent = `Loading the archive… ${done} of ${of}`; });
  ui.clip.replaceChildren(...state.items.map((i) => new Option(`${i.title} (${i.tags.slice(0, 3).join(", ")})`, i.id)));
  const tags = state.scene.tags();
  const label = ({ tag, count, tracksOnly }) => `${tag} (${count} clips${tracksOnly ? ", recordings, for tracks" : ""})`;
  ui.tag.replaceChildren(...tags.map((t) => new Option(label(t), t.tag)));
  ui.tag2.replaceChildren(new Option("nothing", ""), ...tags.map((t) => new Option(label(t), t.tag)));
  // What an address without a field means: the controls as the page ships them.
  state.defaults = Object.fromEntries(["denoiser", "seconds", "tag2", "mix", "rigidity", "steps", "seed", "t"].map((k) => [k, ui[k].value]));
  applyAddress();
  // A link, a host page or Back that changes only the hash is followed without a reload.
  addEventListener("hashchange", applyAddress);
}

/**
 * Sets the scene to the state its address names; fields it leaves out take
 * their defaults, exactly as on opening the page there.
 */
function applyAddress() {
  const { values: h, corrections } = parseAddress(location.hash, ADDRESS);
  const tags = state.scene.tags();
  for (const [key, value] of Object.entries(state.defaults)) ui[key].value = value;
  const notes = [...corrections];
  const clip = state.items.some((i) => i.id === h.clip) ? h.clip : "techno-128-acid";
  if (h.clip && h.clip !== clip) notes.push(`There is no archive clip “${h.clip}”; playing “${clip}”.`);
  if (h.tag && tags.some((t) => t.tag === h.tag)) ui.tag.value = h.tag;
  else if (h.tag) notes.push(`There is no tag “${h.tag}” here; use one of ${tags.map((t) => t.tag).join(", ")}.`);
  else ui.tag.value = "techno";
  if (h.denoiser) ui.denoiser.value = h.denoiser;
  if (h.seconds !== undefined) ui.seconds.value = h.seconds;
  if (h.tag2 && tags.some((t) => t.tag === h.tag2)) ui.tag2.value = h.tag2;
  else if (h.tag2) notes.push(`There is no tag “${h.tag2}” to blend with; blending with nothing.`);
  for (const [key, input, out, digits] of [["mix", ui.mix, ui.mixOut, 2], ["rigidity", ui.rigidity, ui.rigidityOut, 1]]) {
    if (h[key] !== undefined) input.value = h[key];
    out.textContent = Number(input.value).toFixed(digits);
  }
  syncMode();
  if (h.steps !== undefined) ui.steps.value = h.steps;
  if (h.seed !== undefined) ui.seed.value = h.seed;
  if (h.t !== undefined) ui.t.value = h.t;
  useClip(clip);
  showMessage(notes.length ? `The address was corrected: ${notes.join(" ")}` : "", "note");
}

runPage(main, { ui, showMessage });
