// "Swim": a picture dissolving over the whole piece (1 to 9 minutes) into a
// background of static that the denoisers make here when asked for
// “static” (image::swim), and a sound slowed to the same length by
// Paulstretch or as tape (audio::stretch), computed a block at a time while
// it plays. The address keeps the state (#picture=…&sound=…&minutes=…&slow=…).
import init, { Generator, SlowSound, SwimPictures, sniffImage, fitWithinMaxEdge, maxEdge, limiterCurve } from "../pkg/hypothetical.js";
import { decodePicture, loadBuiltin, InputError } from "./image-input.js";
import { byIds, messenger, shortCredit, startSound } from "./lib/page.js";
import { parseAddress, writeAddressSoon } from "./lib/address.js";
import { expose } from "./lib/test-hooks.js";
import { dBFS, decodeMono, peak, statedDuration } from "./lib/decode.js";
import "./lib/site.js";
import { embedControls } from "./lib/embed.js";
import { FAULT_WORDS, onUnhandled, race, recovered } from "./lib/fault.js";
import { loadPictures } from "./lib/pictures.js";

const ui = byIds(["view", "transcript", "credit", "sound-credit", "seek", "clock", "start", "pause", "status", "level", "message", "controls", "picture", "file", "sound", "sound-file", "minutes", "slow"]);
const showMessage = messenger(ui.message, "note");
/** The sound's rate: the archive's (22,050 Hz). */
const RATE = 22_050;
/** Seconds of sound scheduled ahead of the playhead. */
const AHEAD = 1.5;
/** Frames drawn per second at most: the picture changes slowly. */
const FPS = 10;
/**
 * The background: the three denoisers of “Ask for noise” asked for “static”
 * (64 px, 20 steps each), blended in this order. The Gaussian's and the
 * archive's take a moment and are made before the piece can start; the patch
 * machine's take seconds each, come last in the piece, and are made while it
 * plays (until they are ready the last one made stands in: Swim::expecting).
 */
const BACKGROUND = [["gaussian", 1], ["archive", 2], ["gaussian", 3], ["archive", 4], ["patch", 5], ["patch", 6]];
/** How many of BACKGROUND are made before the piece can start. */
const BACKGROUND_FIRST = 4;
/** The longest own sound Swim slows (seconds): its first three minutes; the piece is at most nine. */
const OWN_SOUND_MAX_S = 180;
/** The sound menu's value for the visitor's own sound. */
const OWN = "own";
const ADDRESS = {
  picture: { kind: "text" },
  sound: { kind: "text" },
  minutes: { kind: "int", min: 1, max: 9 },
  slow: { kind: "choice", values: ["paul", "tape"] },
  at: { kind: "int", min: 0, max: 540 }, // seconds into the piece: a link opens that moment
};

const state = {
  pictures: null, // the SwimPictures, made once the wasm is loaded
  square: null, backgrounds: [], // what they hold, to make them again after an engine fault
  items: [],
  audio: null, // the AudioContext, made on Start (a gesture)
  player: null, // { slow, gain, sources, queuedUntil, pieceStart, silent }
  own: null, // the visitor's own sound: { name, samples }, decoded here and never uploaded
  playing: false,
  position: 0, // seconds into the piece while not playing
  lastDraw: 0,
  frames: 0,
  // Every choice takes a ticket; an earlier, slower choice that finishes after
  // a later one is dropped, so the latest choice wins (as on Dissolve and
  // Sounds Like Music).
  pictureTicket: 0,
  soundTicket: 0,
  curve: null, // the core's limiter curve (the same as Sounds Like Music's)
};

/** Below this peak (−80 dBFS) a sound is silence. */
const SILENT_PEAK = 1e-4;
/** The largest own-sound file read (bytes) and the longest a header may state (seconds). */
const MAX_SOUND_BYTES = 200e6;
const MAX_STATED_SECONDS = 3600;

/**
 * The core's limiter (audio::spectrogram::limit: the identity up to its knee,
 * then a knee that never reaches 0.95 of full scale), read from its curve,
 * which covers inputs −2…2; beyond that, the ceiling.
 */
function limited(x) {
  const c = state.curve;
  const n = c.length - 1;
  const pos = Math.min(n, Math.max(0, ((Math.max(-2, Math.min(2, x)) / 2 + 1) / 2) * n));
  const i = Math.min(n - 1, Math.floor(pos));
  return c[i] + (c[i + 1] - c[i]) * (pos - i);
}

const duration = () => Number(ui.minutes.value) * 60;
/** What the words of the piece depend on: they are written again when it changes. */
const describeKey = () => [ui.picture.value, ui.sound.value, state.own?.name, ui.minutes.value, ui.slow.value, state.pictures?.backgroundCount()].join("|");
const clock = (s) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, "0")}`;

/**
 * The piece's clock: the audio clock while sound plays (the picture follows
 * what is heard), else a wall clock that pauses the same way, for a browser
 * that could not start sound.
 */
const wall = {
  offset: 0,
  pausedAt: null,
  get currentTime() { return this.pausedAt ?? performance.now() / 1000 - this.offset; },
  suspend() { this.pausedAt = this.currentTime; },
  resume() { if (this.pausedAt !== null) { this.offset = performance.now() / 1000 - this.pausedAt; this.pausedAt = null; } },
};
const timeSource = () => (state.player?.silent ? wall : state.audio);

function position() {
  const p = state.player;
  return p ? Math.min(duration(), Math.max(0, timeSource().currentTime - p.pieceStart)) : state.position;
}

/**
 * After an engine fault in a frame (lib/fault.js): new SwimPictures with the
 * same picture and background; the sound plays on.
 */
function restartPictures() {
  const pictures = new SwimPictures();
  pictures.expectBackgrounds(BACKGROUND.length);
  for (const b of state.backgrounds) pictures.addBackground(b, 64, 64);
  if (state.square) pictures.setPicture(state.square, 512, 512);
  state.pictures = pictures;
}

function frameAt(tau) {
  try {
    return state.pictures.frame(tau);
  } catch (e) {
    if (!recovered(e)) throw e;
    restartPictures();
    showMessage(`A frame stopped: ${FAULT_WORDS}. The pictures have started again; the sound plays on.`, "error");
    return state.pictures.frame(tau);
  }
}

function draw(seconds) {
  const tau = Math.min(1, seconds / duration());
  const rgba = frameAt(tau);
  // The words follow the piece (after the frame: the piece is made on the first one).
  if (ui.transcript.dataset.for !== describeKey()) { ui.transcript.dataset.for = describeKey(); describePiece(); }
  ui.view.getContext("2d").putImageData(new ImageData(rgba, 512, 512), 0, 0);
  const left = state.pictures.pictureShare(tau);
  ui.view.setAttribute("aria-label", `Swim at ${clock(seconds)}: ${percent(left)} of the power is still the picture, the rest the background's static`);
  ui.view.dataset.frames = String(++state.frames);
  ui.view.dataset.tau = tau.toFixed(4);
  ui.clock.textContent = `${clock(seconds)} of ${clock(duration())}, ${clock(duration() - seconds)} left`;
  ui.seek.max = String(duration());
  ui.seek.value = String(Math.round(seconds));
  ui.seek.setAttribute("aria-valuetext", `${clock(seconds)} of ${clock(duration())}`);
}

/** “Level: −31 dBFS RMS, peaks at −22 dBFS” for the second of sound now playing (not a live region: read on demand). */
function sayLevel() {
  const p = state.player;
  const now = p && !p.silent ? state.audio.currentTime : -1;
  while (p?.levels.length > 1 && p.levels[0].to <= now) p.levels.shift();
  const block = p?.levels.find((b) => b.from <= now && now < b.to);
  const words = !p ? "Level: nothing plays." : p.silent ? "Level: no sound (the browser did not start it)."
    : block ? `Level: ${dBFS(block.rms, 0)} RMS, peaks at ${dBFS(block.peak, 0)} (this second of the sound, as played).` : ui.level.textContent;
  if (ui.level.textContent !== words) ui.level.textContent = words;
}

function loop(now) {
  if (state.playing && now - state.lastDraw > 1000 / FPS) {
    state.lastDraw = now;
    const s = position();
    draw(s);
    pump();
    sayLevel();
    if (s >= duration()) stop("The piece is over.");
  }
  requestAnimationFrame(loop);
}

// ---- sound: blocks of the slowed sound scheduled just ahead of the playhead ----
function pump() {
  const p = state.player;
  if (!p || !state.playing || p.silent) return;
  while (p.queuedUntil < state.audio.currentTime + AHEAD) {
    const blocks = [];
    let n = 0;
    while (n < RATE) {
      const block = p.slow.nextBlock();
      if (!block) break;
      blocks.push(block);
      n += block.length;
    }
    if (n === 0) return;
    const buffer = state.audio.createBuffer(1, n, RATE);
    const data = buffer.getChannelData(0);
    let at = 0;
    for (const b of blocks) { data.set(b, at); at += b.length; }
    // The page's fixed level, then the limiter: never above 0.95 of full scale.
    for (let i = 0; i < n; i++) data[i] = limited(p.level * data[i]);
    const source = state.audio.createBufferSource();
    source.buffer = buffer;
    source.connect(p.gain);
    source.start(p.queuedUntil);
    p.sources.push(source);
    // Its level as heard (after the page's fixed gain), said while it plays.
    let sum = 0;
    let top = 0;
    for (let i = 0; i < n; i++) { sum += data[i] * data[i]; top = Math.max(top, Math.abs(data[i])); }
    p.levels.push({ from: p.queuedUntil, to: p.queuedUntil + n / RATE, rms: Math.sqrt(sum / n), peak: top });
    // Each block's end schedules the next: this keeps sound going in a hidden
    // tab, where animation frames stop and timers are throttled.
    source.onended = () => { p.sources = p.sources.filter((s) => s !== source); pump(); };
    p.queuedUntil += n / RATE;
  }
}

/** Each archive sound is fetched and decoded once, however often Start is pressed. */
const decoded = new Map();
function decodeSound(item) {
  if (!decoded.has(item.id)) {
    const samples = fetch(`archive/${item.file}`).then((r) => r.arrayBuffer()).then((b) => decodeMono(b, RATE));
    // A failure is not kept: the next Start tries again.
    decoded.set(item.id, samples.catch((e) => { decoded.delete(item.id); throw e; }));
  }
  return decoded.get(item.id);
}

/** The chosen sound: `{ title, samples }` (the visitor's own, or an archive item decoded once). */
async function chosenSound() {
  if (ui.sound.value === OWN && state.own) return { title: state.own.name, samples: state.own.samples };
  const item = state.items.find((i) => i.id === ui.sound.value);
  return { title: item.title, samples: await decodeSound(item) };
}

async function start() {
  showMessage("");
  // A context the browser or the system closed is made anew.
  if (!state.audio || state.audio.state === "closed") {
    const audio = new AudioContext({ sampleRate: RATE });
    audio.addEventListener("statechange", () => {
      if (audio.state === "closed" && state.audio === audio && state.player) stop("The browser closed its sound; Start begins again from here.");
    });
    state.audio = audio;
  }
  const sound = await startSound(state.audio);
  const { title, samples } = await chosenSound();
  ui.status.textContent = `Slowing “${title}” to ${clock(duration())}…`;
  const slow = new SlowSound(samples, RATE, Math.round(duration() * RATE), 7, ui.slow.value === "tape");
  const gain = state.audio.createGain();
  gain.connect(state.audio.destination);
  const from = slow.seek(Math.round(state.position * RATE));
  wall.resume();
  const at = (sound ? state.audio : wall).currentTime + 0.1;
  // A quiet, fixed level (the kiosk's cap where there is one), applied to the samples before the limiter.
  const level = Math.min(0.6, window.hypotheticalKiosk?.volume ?? 0.6);
  state.player = { slow, gain, level, sources: [], levels: [], queuedUntil: at, pieceStart: at - from / RATE, silent: !sound };
  state.playing = true;
  document.documentElement.dataset.playing = "true";
  document.documentElement.dataset.sound = sound ? "on" : "off";
  ui.start.textContent = "Start again";
  ui.pause.disabled = false;
  ui.seek.disabled = false;
  const how = `“${title}” slowed ${(duration() / (samples.length / RATE)).toFixed(0)}× by ${ui.slow.value === "tape" ? "tape (the pitch falls)" : "Paulstretch"}`;
  state.playingWords = sound ? `Playing: ${how}.` : `Playing without sound: the browser did not start sound (it may have no output device). The pictures go on; the sound would be ${how}.`;
  ui.status.textContent = state.playingWords;
  pump();
}

function stop(words = "") {
  const p = state.player;
  state.position = p ? position() : state.position;
  for (const s of p?.sources ?? []) s.stop();
  p?.gain.disconnect();
  state.player = null;
  state.playing = false;
  document.documentElement.dataset.playing = "false";
  ui.pause.disabled = true;
  ui.pause.textContent = "Pause";
  ui.pause.setAttribute("aria-pressed", "false");
  state.playingWords = "";
  sayLevel();
  ui.status.textContent = words || `Stopped at ${clock(state.position)} of ${clock(duration())}; Start plays again.`;
}

async function pause() {
  if (!state.player) return;
  const clockNow = timeSource();
  if (state.playing) {
    await clockNow.suspend();
    state.playing = false;
    ui.pause.textContent = "Resume";
    ui.pause.setAttribute("aria-pressed", "true");
    writeHash();
    document.documentElement.dataset.playing = "false";
    // The status line follows the state it names: nothing plays while paused.
    ui.status.textContent = `Paused at ${clock(position())} of ${clock(duration())}; Resume continues from here.`;
  } else {
    if (clockNow === wall) wall.resume();
    else await startSound(state.audio);
    state.playing = true;
    ui.pause.textContent = "Pause";
    ui.pause.setAttribute("aria-pressed", "false");
    document.documentElement.dataset.playing = "true";
    if (state.playingWords) ui.status.textContent = state.playingWords;
  }
}

function seek() {
  const seconds = Number(ui.seek.value);
  const p = state.player;
  if (p) {
    for (const s of p.sources) s.stop();
    p.sources = [];
    const from = p.slow.seek(Math.round(seconds * RATE));
    const at = timeSource().currentTime + 0.05;
    p.queuedUntil = at;
    p.pieceStart = at - from / RATE;
    pump();
  } else {
    state.position = seconds;
  }
  draw(seconds);
  writeHash();
}

// ---- the picture ----
async function usePicture(rgba, width, height, credit) {
  // Swim's frames are square, 512 px: the middle square, scaled.
  const side = Math.min(width, height);
  const src = new OffscreenCanvas(width, height);
  src.getContext("2d").putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
  const out = new OffscreenCanvas(512, 512);
  const g = out.getContext("2d", { willReadFrequently: true });
  g.imageSmoothingQuality = "high";
  g.drawImage(src, (width - side) / 2, (height - side) / 2, side, side, 0, 0, 512, 512);
  const square = g.getImageData(0, 0, 512, 512).data;
  state.square = new Uint8Array(square.buffer);
  state.pictures.setPicture(state.square, 512, 512);
  ui.credit.textContent = credit;
  draw(position());
}

async function chooseBuiltin(id) {
  const ticket = ++state.pictureTicket;
  const item = state.items.find((i) => i.id === id && i.kind === "image");
  const picture = await loadBuiltin(`archive/${item.large?.file ?? item.file}`);
  if (ticket !== state.pictureTicket) return;
  await usePicture(picture.rgba, picture.width, picture.height, `${item.title}: ${shortCredit(item)}`);
}

async function chooseFile(file) {
  if (!file) return;
  const ticket = ++state.pictureTicket;
  try {
    const picture = await decodePicture(file, { sniffImage, fitWithinMaxEdge, maxEdge });
    if (ticket !== state.pictureTicket) return;
    showMessage("");
    await usePicture(picture.rgba, picture.width, picture.height, `Your picture “${file.name}”: decoded in this browser, never uploaded.`);
    ui.picture.value = "";
  } catch (e) {
    if (ticket !== state.pictureTicket) return;
    showMessage(e instanceof InputError ? e.message : `That file could not be used as a picture (${e.message ?? e}); keeping the current one.`, "error");
  } finally {
    document.documentElement.dataset.picturesRead = String(Number(document.documentElement.dataset.picturesRead ?? 0) + 1);
  }
}

/** The visitor's own sound: decoded in this browser, at most its first three minutes, never uploaded. */
async function chooseSoundFile(file) {
  if (!file) return;
  const ticket = ++state.soundTicket;
  const current = ui.sound.selectedOptions[0]?.text ?? "the current sound";
  try {
    if (file.size === 0) throw new Error("it is empty");
    if (file.size > MAX_SOUND_BYTES) throw new Error(`it is ${(file.size / 1e6).toFixed(0)} MB; files up to 200 MB are read`);
    showMessage(`Reading “${file.name}” (${(file.size / 1e6).toFixed(1)} MB)…`, "note");
    const bytes = await file.arrayBuffer();
    if (ticket !== state.soundTicket) return;
    const stated = statedDuration(bytes);
    if (stated !== null && stated > MAX_STATED_SECONDS) throw new Error(`its header says it is ${clock(stated)} long; sounds up to an hour are read`);
    let samples = await decodeMono(bytes, RATE);
    if (ticket !== state.soundTicket) return;
    if (samples.length < RATE / 10) throw new Error("it is shorter than a tenth of a second");
    // The same checks as Sounds Like Music before anything plays.
    if (!samples.every(Number.isFinite)) throw new Error("it holds samples that are not numbers (NaN or infinite)");
    const top = peak(samples);
    if (top < SILENT_PEAK) throw new Error("it is silent (no sample above −80 dBFS)");
    let note = "";
    if (top > 1) {
      samples = samples.map((v) => v / top);
      note = ` It peaked at ${dBFS(top, 0)}, above full scale, so it was scaled down to peak at 0 dBFS.`;
    }
    if (samples.length > OWN_SOUND_MAX_S * RATE) {
      note = ` Only its first ${OWN_SOUND_MAX_S / 60} minutes are used (it is ${clock(samples.length / RATE)} long).`;
      samples = samples.slice(0, OWN_SOUND_MAX_S * RATE);
    }
    state.own = { name: file.name, samples };
    let own = [...ui.sound.options].find((o) => o.value === OWN);
    if (!own) { own = new Option("", OWN); ui.sound.add(own, 0); }
    own.text = `Your sound “${file.name}” (${clock(samples.length / RATE)})`;
    ui.sound.value = OWN;
    ui.soundCredit.textContent = `Sound: your “${file.name}”, decoded in this browser, never uploaded.`;
    stop("Changed: press Start to hear it.");
    state.position = 0;
    draw(0);
    showMessage(note.trim(), "note");
  } catch (e) {
    if (ticket !== state.soundTicket) return;
    showMessage(`“${file.name}” could not be used as a sound (${e.message ?? e}); keeping ${current}.`, "error");
  } finally {
    ui.soundFile.value = "";
    // For tests: how many sound files have been read to the end (used, refused or dropped).
    document.documentElement.dataset.soundsRead = String(Number(document.documentElement.dataset.soundsRead ?? 0) + 1);
  }
}

function soundCredit() {
  if (ui.sound.value === OWN) return;
  const item = state.items.find((i) => i.id === ui.sound.value);
  ui.soundCredit.textContent = item ? `Sound: ${item.title}: ${shortCredit(item)}` : "";
}

function writeHash() {
  const sound = ui.sound.value === OWN ? undefined : ui.sound.value;
  const at = Math.round(position()) || undefined;
  writeAddressSoon(() => ({ picture: ui.picture.value || undefined, sound, minutes: ui.minutes.value, slow: ui.slow.value, at }));
}

/**
 * Makes the background pictures from `from` on (BACKGROUND), each added as
 * it is made; `say` reports progress, `added` follows each one.
 */
async function makeBackground(gen, from, to, say, added = () => {}) {
  for (let k = from; k < to; k++) {
    const [denoiser, seed] = BACKGROUND[k];
    say(k, denoiser);
    gen.start({ denoiser, tag: "static", steps: 20, guidance: 1, temperature: 1, seed, method: "ddim", size: 64 });
    // One step at a time, each in its own task, so that the page draws and answers between them.
    for (;;) {
      if ((await race(gen.step())).done) break;
      await new Promise((next) => setTimeout(next, 0));
    }
    const background = new Uint8Array(gen.frame(0, "result").buffer);
    state.backgrounds.push(background);
    state.pictures.addBackground(background, 64, 64);
    ui.view.dataset.backgrounds = String(k + 1);
    added();
  }
}

/**
 * The background's engine holds only the pictures tagged “static”: asked for
 * a tag with guidance 1, each denoiser's answer comes from the tag's items
 * alone, so the rest of the archive would change nothing.
 */
async function backgroundGenerator(manifestText) {
  const gen = await Generator.create(false, manifestText);
  const images = state.items.filter((i) => i.kind === "image" && i.tags.includes("static"));
  await loadPictures(gen, images);
  state.pictures.expectBackgrounds(BACKGROUND.length);
  return gen;
}

/** A share as a percentage that never rounds a trace to 0 % or a near-whole to 100 %. */
function percent(share) {
  if (share >= 1) return "100%";
  if (share <= 0) return "0%";
  const p = 100 * share;
  if (p < 1) return "under 1%";
  if (p > 99 && p < 100) return "over 99%";
  return `${Math.round(p)}%`;
}

const DENOISER_NAMES = { gaussian: "the Gaussian denoiser's", archive: "the archive denoiser's", patch: "the patch machine's" };

/**
 * The piece in words, a line for each tenth of it: the time, how much of the
 * power is still the picture (ᾱ·E[x0²] against (1 − ᾱ) times the static's
 * own power, computed in the core from both), whose static it is
 * going into, and which moment of the sound is heard. For visitors who cannot
 * see the picture, and for anyone who wants to know where it goes.
 */
function describePiece() {
  if (!state.pictures || !state.items.length) return;
  const picture = ui.picture.selectedOptions[0]?.text.replace(/ \(.*\)$/, "") ?? "your picture";
  const item = state.items.find((i) => i.id === ui.sound.value);
  const soundName = ui.sound.value === OWN ? state.own?.name ?? "your sound" : item?.title ?? "the sound";
  const sourceSeconds = ui.sound.value === OWN ? (state.own?.samples.length ?? 0) / RATE : (item?.samples ?? 0) / (item?.sampleRate ?? RATE);
  const how = ui.slow.value === "tape" ? "slowed as tape (every pitch lower by the same factor)" : "slowed by Paulstretch (its pitches kept, its time smeared)";
  const rows = [];
  for (let k = 0; k <= 10; k++) {
    const tau = k / 10;
    const left = percent(state.pictures.pictureShare(tau));
    const u = tau * (BACKGROUND.length - 1);
    const j = Math.min(BACKGROUND.length - 2, Math.floor(u));
    const into = u - j < 0.5 ? BACKGROUND[j][0] : BACKGROUND[j + 1][0];
    const heard = sourceSeconds ? `, and the sound is at its ${(tau * sourceSeconds).toFixed(1)} s` : "";
    const what = k === 0 ? `${picture}, whole; ${soundName} begins, ${how}`
      : k === 10 ? `only static is left: ${DENOISER_NAMES[into]}; the sound ends`
      : `${left} of the power is still the picture, the rest ${DENOISER_NAMES[into]} static${heard}`;
    rows.push(`${clock(tau * duration())}: ${what}.`);
  }
  ui.transcript.replaceChildren(...rows.map((r) => Object.assign(document.createElement("li"), { textContent: r })));
}

/** Sets the controls from the address (fields left out take their defaults), saying what it corrected. */
function readAddress() {
  const { values, corrections } = parseAddress(location.hash, ADDRESS);
  const has = (kind, id) => state.items.some((i) => i.kind === kind && i.id === id);
  const notes = [...corrections];
  ui.picture.value = has("image", values.picture) ? values.picture : "astronaut";
  if (values.picture && !has("image", values.picture)) notes.push(`There is no archive picture “${values.picture}”; using the astronaut.`);
  ui.sound.value = has("sound", values.sound) ? values.sound : "maple-leaf-rag";
  if (values.sound && !has("sound", values.sound)) notes.push(`There is no archive sound “${values.sound}”; using the Maple Leaf Rag.`);
  ui.minutes.value = String(values.minutes ?? 9);
  ui.slow.value = values.slow ?? "paul";
  state.position = Math.min(values.at ?? 0, duration());
  showMessage(notes.length ? `The address was corrected: ${notes.join(" ")}` : "");
}

async function main() {
  onUnhandled((text) => showMessage(text, "error"), ui.message);
  await init();
  state.curve = new Float32Array(limiterCurve(4097));
  state.pictures = new SwimPictures();
  const manifestText = await (await fetch("archive/manifest.json")).text();
  state.items = JSON.parse(manifestText).items;
  const option = (i) => new Option(`${i.title} (${i.tags.slice(0, 2).join(", ")})`, i.id);
  ui.picture.replaceChildren(...state.items.filter((i) => i.kind === "image").map(option));
  ui.sound.replaceChildren(...state.items.filter((i) => i.kind === "sound").map(option));
  readAddress();
  const gen = await backgroundGenerator(manifestText);
  await makeBackground(gen, 0, BACKGROUND_FIRST, (k, denoiser) => {
    ui.status.textContent = `Asking the denoisers for static: ${k + 1} of ${BACKGROUND.length} (${denoiser})…`;
  });
  await chooseBuiltin(ui.picture.value);
  // A link, a host page or Back changes only the hash: the piece starts over in that state.
  addEventListener("hashchange", async () => {
    const picture = ui.picture.value;
    stop("Changed: press Start to hear it.");
    readAddress();
    soundCredit();
    if (ui.picture.value !== picture) await chooseBuiltin(ui.picture.value);
    else draw(state.position);
  });
  ui.status.textContent = "Ready. Start plays the sound (after your tap) and the picture begins to go.";
  ui.start.addEventListener("click", () => { stop(); start().catch((e) => showMessage(`Swim could not start: ${e.message ?? e}`, "error")); });
  ui.pause.addEventListener("click", pause);
  // A host page's play and pause (lib/embed.js): Start, or Resume when paused; Pause.
  embedControls({
    play: () => { if (!state.player) ui.start.click(); else if (!state.playing) pause(); },
    pause: () => { if (state.playing) pause(); },
  });
  ui.seek.addEventListener("input", seek);
  ui.picture.addEventListener("change", () => { if (ui.picture.value) chooseBuiltin(ui.picture.value); writeHash(); });
  ui.file.addEventListener("change", () => chooseFile(ui.file.files?.[0]));
  ui.soundFile.addEventListener("change", () => chooseSoundFile(ui.soundFile.files?.[0]));
  ui.sound.addEventListener("change", () => { state.soundTicket++; soundCredit(); });
  soundCredit();
  for (const el of [ui.sound, ui.minutes, ui.slow]) {
    el.addEventListener("change", () => {
      const minutes = Number(ui.minutes.value);
      if (!Number.isInteger(minutes) || minutes < 1 || minutes > 9) {
        showMessage("The length is a whole number of minutes from 1 to 9; keeping 9.", "error");
        ui.minutes.value = "9";
      }
      stop("Changed: press Start to hear it.");
      state.position = 0;
      draw(0);
      writeHash();
    });
  }
  addEventListener("keydown", (e) => {
    if (e.key === " " && e.target === document.body && state.player) { e.preventDefault(); pause(); }
  });
  ui.seek.disabled = false;
  requestAnimationFrame(loop);
  expose("__swim", { state, position });
  document.documentElement.dataset.ready = "true";
  // The patch machine's static, made while the piece may already play; the status line is the piece's.
  makeBackground(gen, BACKGROUND_FIRST, BACKGROUND.length, () => {}, () => { if (!state.playing) draw(position()); })
    .catch((e) => {
      recovered(e); // an engine fault here is answered by these words
      showMessage(`The patch machine's part of the background could not be made (${e.message ?? e}); the piece keeps the Gaussian's and the archive's.`);
    })
    .finally(() => gen.free());
}

main().catch((e) => {
  console.error(e);
  showMessage(`Swim could not start: ${e?.message ?? e}`, "error");
  document.documentElement.dataset.ready = "true";
});
