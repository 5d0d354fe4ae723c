// The generation scenes: "Recognize", "Ask for noise" and "The average".
// One page; the scene comes from the address (#scene=noise&tag=static&…), so
// every state can be shared as a link.
import { Generator, sourceColour, randomSeed } from "../pkg/hypothetical.js";
import { markCurrent } from "./lib/site.js";
import { embedControls } from "./lib/embed.js";
import { announce } from "./lib/announce.js";
import { renderRecogniser, recogniserSentence } from "./lib/recogniser.js";
import { checkSettings, samplerSettings } from "./lib/limits.js";
import { expose } from "./lib/test-hooks.js";
import { byIds, messenger, shortCredit } from "./lib/page.js";
import { parseAddress, writeAddress, own } from "./lib/address.js";
import { showBackend } from "./lib/backend.js";
import { startScene, runPage } from "./lib/scene.js";
import { nextTask, sampleSteps } from "./lib/sampling.js";
import { describeStepTimes, describeWorkers } from "./lib/timing-line.js";
import { FAULT_WORDS, recovered } from "./lib/fault.js";
import { saveBytes } from "./lib/download.js";
import { WorkerPool } from "./workers.js";
import { loadPacks, loadPictures, supplyPictures } from "./lib/pictures.js";

const ui = byIds([
  "scene-title", "scene-intro", "backend", "controls", "tag", "denoiser", "steps", "method", "guidance",
  "guidance-out", "temperature", "temperature-out", "seed", "size", "border", "run-settings", "paths",
  "generate", "cancel", "download", "reading-box", "reading", "reading-sentence", "xt", "x0", "scrub", "step-out", "progress", "progress-text", "approx",
  "message", "recogniser", "recogniser-sentence", "provenance", "provenance-intro", "sourcemap-figure",
  "sourcemap", "answers", "ask-all", "members", "member-list", "members-note", "perf",
]);

const SCENES = {
  recognize: {
    title: "Recognize",
    intro: "Start from pure noise and ask, step by step, what picture with this caption the noise hides. The patch machine invents one from pieces of the caption's pictures; the recogniser follows the picture as it appears, and when it is finished a second reader asks which caption's own material explains it. Every result names the archive items it came from. The archive denoiser, the exact optimum, shows the other lesson: it can only return an item it memorised.",
    defaults: { tag: "flower", denoiser: "patch" },
  },
  noise: {
    title: "Ask for noise",
    intro: "A denoiser exists to remove noise. Here each one is asked for the caption “static”: what does it make when the thing it should remove is what it is asked for?",
    defaults: { tag: "static", denoiser: "archive" },
  },
  average: {
    title: "The average",
    intro: "The Gaussian denoiser knows a caption only by its mean and its spectrum, the central tendency of its items. What it generates belongs to none of them: compare it with the items it summarises.",
    defaults: { tag: "flower", denoiser: "gaussian" },
  },
};
/** The tag list offers the tags of at least this many pictures (the sources carry thousands of one-off keywords); any tag can be asked for in the address. */
const TAG_LIST_MIN = 5;
function tagOption(tag, count) {
  const o = document.createElement("option");
  o.value = tag;
  o.textContent = `${tag} (${count})`;
  return o;
}
const FIELDS = ["tag", "denoiser", "border", "steps", "method", "guidance", "temperature", "seed", "size"];
/** The address's fields and their rules (lib/address.js); limits follow the controls. */
function addressSchema() {
  const range = (el, kind) => ({ kind, min: Number(el.min), max: Number(el.max) });
  const choices = (el) => ({ kind: "choice", values: [...el.options].map((o) => o.value) });
  return {
    scene: { kind: "choice", values: Object.keys(SCENES) },
    tag: { kind: "text" },
    denoiser: choices(ui.denoiser),
    border: choices(ui.border),
    steps: range(ui.steps, "int"),
    method: choices(ui.method),
    guidance: range(ui.guidance, "number"),
    temperature: range(ui.temperature, "number"),
    seed: range(ui.seed, "int"),
    size: choices(ui.size),
  };
}
const DENOISER_WORDS = {
  archive: "The archive denoiser's x̂0 is a weighted mix of whole archive items; these are the leading weights.",
  gaussian: "The Gaussian denoiser knows the items only through their mean and their colour power spectrum; with guidance it mixes the tag's model and the whole archive's, weighted as listed. With two or more items none is copied; a tag with a single item has no variation, so its model is that item.",
  patch: "The patch denoiser builds each pixel from patches of many items; these supplied the most pixels. Patch sizes fall linearly with the noise, from the largest size Kamb & Ganguli report (17 px at 32 px, scaled with the picture) to 3 px: the schedule is our choice, not theirs.",
};

/** Everything this page keeps between events. */
const state = {
  startTicket: 0, // the latest showStart's (a slower earlier one does not draw over it)
  allTags: new Map(), // every tag of the archive's pictures → its number of pictures
  gen: null, // the wasm Generator
  choice: null, // which path, and why (lib/backend.js)
  limits: null, // the sampler's limits, from the core
  items: [], // the archive's images (manifest entries)
  scene: "recognize",
  running: null, // { cancelled } while sampling
  steps: 0, // steps recorded in the current run
  runSettings: null, // the settings the current run started with
  lastInfo: null, // the last finished step's report
  addressChanged: false, // the address changed while a run was going
  stepMs: [], // [{ms, backend}] of every step this visit
};

const showMessage = messenger(ui.message, "error");

/** Web Workers for the CPU patch denoiser: one per core, at most 4. */
const pool = new WorkerPool();

/**
 * The run as sampleSteps' engine: a CPU patch step split over the worker
 * pool (each worker takes every n-th candidate item; the core merges their
 * log-sum-exp accumulators), any other step (GPU, other denoisers) on the
 * page. If the workers fail, the page carries on in slices on the main thread.
 */
function patchEngine(run, onProgress) {
  return {
    step: async () => {
      if (pool.broken) return state.gen.step();
      const job = state.gen.patchJob();
      if (!job) return state.gen.step();
      try {
        await pool.archive(job.archive, job.edge, () => state.gen.workerArchive(job.edge));
        const shares = await pool.patchShares(job, (added, of) => onProgress(job, added, of));
        const report = state.gen.finishPatchStep(job.serial, shares);
        run.workers = pool.size;
        run.workerSteps += 1;
        return report;
      } catch (e) {
        if (/earlier run/.test(e.message)) throw e;
        console.warn(`Hypothetical: the workers failed (${e.message}); working on the page`);
        run.workersFailed = true;
        pool.broken = true;
        return state.gen.step();
      }
    },
    supply: (ids) => {
      ui.progressText.textContent = `Fetching the ${ids.length} pictures the refinement chose at 128 px…`;
      return supplyPictures(state.gen, state.items, ids);
    },
  };
}

function readAddress() {
  return parseAddress(location.hash, addressSchema());
}

function writeHash() {
  const values = { scene: state.scene };
  for (const f of FIELDS) values[f] = ui[f].value;
  writeAddress(values);
}

/** Blanks every panel that shows a run, so no result stands under other settings. */
function clearResult() {
  for (const c of [ui.xt, ui.x0, ui.sourcemap]) c.getContext("2d").clearRect(0, 0, c.width, c.height);
  ui.recogniser.replaceChildren();
  ui.recogniserSentence.textContent = "";
  ui.readingBox.hidden = true;
  ui.reading.replaceChildren();
  ui.provenance.replaceChildren();
  ui.provenanceIntro.textContent = "";
  ui.sourcemapFigure.hidden = true;
  for (const fig of ui.answers.querySelectorAll("figure")) {
    const c = fig.querySelector("canvas");
    c.getContext("2d").clearRect(0, 0, c.width, c.height);
    delete fig.dataset.done;
  }
  ui.progress.value = 0;
  ui.progressText.textContent = "";
  ui.runSettings.textContent = "";
  ui.paths.textContent = "";
  ui.approx.hidden = true;
  ui.scrub.disabled = true;
  ui.download.disabled = true;
  state.steps = 0;
  state.runSettings = null;
  delete document.documentElement.dataset.generated;
}

function applyScene({ values, corrections }) {
  const notes = [...corrections];
  const previous = state.scene;
  state.scene = values.scene ?? "recognize";
  document.getElementById("scene").dataset.scene = state.scene;
  const scene = own(SCENES, state.scene);
  document.title = `${scene.title} · Hypothetical`;
  ui.sceneTitle.textContent = scene.title;
  ui.sceneIntro.textContent = scene.intro;
  markCurrent(state.scene);
  // What the address leaves out takes the page's own defaults (a fresh seed
  // for the seed), as on a fresh load, not whatever the last address set.
  const fresh = Object.fromEntries(FIELDS.map((f) => [f, f === "seed" ? randomSeed() : defaultOf(ui[f])]));
  const merged = { ...fresh, ...scene.defaults, ...values };
  for (const f of FIELDS) {
    if (merged[f] === undefined) continue;
    const el = ui[f];
    const v = String(merged[f]);
    // A tag too rare for the list (under TAG_LIST_MIN items) joins it when asked for.
    if (f === "tag" && state.allTags.has(v) && ![...el.options].some((o) => o.value === v)) el.append(tagOption(v, state.allTags.get(v)));
    if (el.tagName === "SELECT" && ![...el.options].some((o) => o.value === v)) {
      if (f === "tag") {
        el.value = scene.defaults.tag;
        notes.push(`There is no tag “${v}” in the archive; showing “${scene.defaults.tag}”.`);
      }
      continue;
    }
    el.value = v;
  }
  if (state.scene === "average") ui.denoiser.value = "gaussian";
  ui.denoiser.disabled = state.scene === "average";
  ui.answers.hidden = state.scene !== "noise";
  ui.members.hidden = state.scene !== "average";
  syncOutputs();
  if (state.scene === "average") showMembers();
  const r = state.runSettings;
  if (previous !== state.scene || (r && (r.tag !== ui.tag.value || r.denoiser !== settings().denoiser))) clearResult();
  showMessage(notes.length ? `The address was corrected: ${notes.join(" ")}` : "", "note");
  showStart();
}

/**
 * Before any run the scene is not two black squares: it shows the seeded
 * noise x_T that Generate will start from (the run is prepared, not stepped:
 * the same seed gives the same x_T) and the recogniser's prior, each tag's
 * share of the archive, which is all it knows before it has seen a picture.
 */
async function showStart() {
  if (state.running || state.steps > 0 || !state.gen) return;
  const s = settings();
  if (checkSettings(s, state.limits)) return;
  const ticket = ++state.startTicket;
  if (await picturesFirst(s)) {
    if (ticket === state.startTicket) showStart();
    return;
  }
  try { state.gen.start(s); } catch { return; }
  const rgba = state.gen.frame(0, "result");
  const edge = Math.round(Math.sqrt(rgba.length / 4));
  draw(ui.xt, rgba, edge);
  ui.x0.getContext("2d").clearRect(0, 0, ui.x0.width, ui.x0.height);
  const cascade = edge !== Number(s.size) ? `, at ${edge} px: the first stage of the ${s.size} px cascade` : "";
  ui.xt.setAttribute("aria-label", `x_T: the seeded noise (seed ${s.seed}) that the run starts from${cascade}; no picture in it yet`);
  ui.x0.setAttribute("aria-label", "x̂0: the denoiser's first guess appears with the first step");
  ui.stepOut.textContent = `none yet: x_T is the noise of seed ${s.seed}${cascade}`;
  renderRecogniser(ui.recogniser, state.gen.priorBars(5), s.tag);
  ui.recogniser.dataset.state = "prior";
  ui.recogniserSentence.textContent = `Before the first step the recogniser has seen only noise, so it shows its prior: each tag's share of the archive. “${s.tag}” starts at ${state.gen.tagPrior(s.tag).toFixed(3)}.`;
}

/** A step whose GPU failed: the message and the header say the run goes on on the CPU. */
function sayFallBack(step) {
  if (!step.fellBack) return;
  showMessage(`The GPU failed (${step.fellBack}).`, "note");
  showBackend(ui.backend, state.gen, state.choice);
}

/** A control's value as the page's HTML sets it. */
function defaultOf(el) {
  if (el.tagName === "SELECT") return ([...el.options].find((o) => o.defaultSelected) ?? el.options[0])?.value;
  return el.defaultValue;
}

function syncOutputs() {
  ui.guidanceOut.textContent = Number(ui.guidance.value).toFixed(1);
  ui.temperatureOut.textContent = Number(ui.temperature.value).toFixed(1);
  ui.temperature.disabled = ui.method.value !== "ddpm";
  ui.border.disabled = ui.denoiser.value !== "patch";
}

function itemById(id) { return state.items.find((i) => i.id === id); }

function thumb(item) {
  const img = document.createElement("img");
  img.src = `archive/${item.file}`;
  img.alt = item.caption;
  img.width = 64;
  img.height = 64;
  img.loading = "lazy";
  return img;
}

function showMembers() {
  const tag = ui.tag.value;
  const members = state.items.filter((i) => i.tags.includes(tag));
  ui.membersNote.textContent = `The Gaussian denoiser summarises these ${members.length} items tagged “${tag}” by their mean and power spectrum.`;
  ui.memberList.replaceChildren(...members.map((item) => {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = `archive.html#item=${encodeURIComponent(item.id)}`;
    a.append(thumb(item), document.createTextNode(item.title));
    li.append(a);
    return li;
  }));
}

function draw(canvas, rgba, edge) {
  canvas.width = edge;
  canvas.height = edge;
  canvas.getContext("2d").putImageData(new ImageData(rgba, edge, edge), 0, 0);
}

function settings() {
  return {
    ...samplerSettings(ui),
    denoiser: state.scene === "average" ? "gaussian" : ui.denoiser.value,
    size: Number(ui.size.value),
    border: ui.border.value,
  };
}

/** Shows step k (1-based) of the current run in every panel. */
function showStep(k) {
  if (k < 1 || k > state.steps) return;
  const edge = state.gen.edge;
  const done = state.running === null && k === state.steps && ui.scrub.max == state.steps && state.lastInfo?.done;
  draw(ui.xt, done ? state.gen.frame(0, "result") : state.gen.frame(k, "xt"), edge);
  draw(ui.x0, state.gen.frame(k, "x0"), edge);
  const bars = state.gen.recogniser(k, 3);
  const reads = bars.map(({ tag, p }) => `“${tag}” ${p.toFixed(2)}`).join(", ");
  const total = state.lastInfo?.total ?? state.steps;
  ui.xt.setAttribute("aria-label", done
    ? `The finished ${state.gen.edge} px picture for “${state.runSettings.tag}”; the recogniser reads ${reads}`
    : `The sample x_t at step ${k} of ${total}, still part noise; the recogniser reads ${reads}`);
  ui.x0.setAttribute("aria-label", `The denoiser's guess of the clean picture at step ${k} of ${total}`);
  ui.scrub.value = k;
  ui.stepOut.textContent = `${k} of ${state.lastInfo?.total ?? state.steps}${done ? " (finished)" : ""}`;
  const tag = state.runSettings.tag;
  renderRecogniser(ui.recogniser, state.gen.recogniser(k, 5), tag);
  ui.recogniser.dataset.state = "step";
  const history = state.gen.tagHistory(tag);
  ui.recogniserSentence.textContent = recogniserSentence(k, tag, history[k - 1] ?? 0, state.gen.tagPrior(tag));
  showProvenance(k);
  announce(`Step ${k} of ${total}${done ? ", finished" : ""}. ${ui.recogniserSentence.textContent}`);
}

/**
 * Reads the finished picture patch by patch (the core's diffusion::reading),
 * shared by the workers like a sampling step, and shows the tags it reads.
 * The recogniser above is exact but, at the last step, a nearest-picture
 * rule: a new mosaic is near no archive item.
 */
async function showReading() {
  const tag = state.runSettings.tag;
  let bars;
  ui.progressText.textContent = "Reading the finished picture…";
  await nextTask();
  try { bars = state.gen.readResult(5); } catch (e) { showMessage(`The finished picture could not be read: ${e.message ?? e}`, "note"); return; }
  renderRecogniser(ui.reading, bars, tag);
  ui.readingBox.hidden = false;
  ui.readingSentence.textContent = readingSentence(bars, tag, state.runSettings.denoiser);
}

/** What the reading says, in words, next to the recogniser's last step. */
function readingSentence(bars, tag, denoiser) {
  const rank = bars.findIndex((b) => b.tag === tag);
  const named = rank === 0 ? `“${tag}” comes first` : rank > 0 ? `“${tag}” comes ${["", "second", "third", "fourth", "fifth"][rank]}` : `“${tag}” is not among the first five`;
  return "The reader noises the finished picture (at 32 px, to ᾱ = 0.8 and 0.5) and asks each caption's own patch machine, which has only that caption's pictures, to give it back; the caption whose material rebuilds it best is the most probable (a diffusion classifier, as in Li et al. 2023). "
    + `It reads the ten tags whose pictures resemble it most and the tag asked for; tags on more than a quarter of the archive, such as “clip art”, fit nearly everything and are not read. ${named}. ` +
    "The recogniser above compares whole pictures: at the last step it names the single nearest item" +
    (denoiser === "patch" ? ", and a new picture made of many items' patches is near none of them." : ".");
}

function showProvenance(k) {
  const denoiser = state.runSettings.denoiser;
  ui.provenanceIntro.textContent = DENOISER_WORDS[denoiser];
  const sources = state.gen.provenance(k, denoiser === "gaussian" ? 80 : 8);
  ui.provenance.replaceChildren(...sources.map((s) => {
    const item = itemById(s.id);
    const li = document.createElement("li");
    li.dataset.id = s.id;
    if (denoiser === "patch") {
      const [r, g, b] = sourceColour(s.index);
      li.style.setProperty("--swatch", `rgb(${r} ${g} ${b})`);
      li.classList.add("swatched");
    }
    const share = denoiser === "archive" ? `weight ${s.weight.toFixed(3)}`
      : denoiser === "patch" ? `${(100 * s.weight).toFixed(1)}% of pixels` : `weight ${s.weight.toFixed(4)}`;
    const a = document.createElement("a");
    a.href = `archive.html#item=${encodeURIComponent(s.id)}`;
    a.append(thumb(item));
    const text = document.createElement("span");
    text.innerHTML = `<strong></strong> <span class="share"></span><br><span class="credit"></span>`;
    text.querySelector("strong").textContent = item.title;
    text.querySelector(".share").textContent = share;
    text.querySelector(".credit").textContent = shortCredit(item);
    li.append(a, text);
    return li;
  }));
  const map = state.gen.sourceMap(k);
  ui.sourcemapFigure.hidden = !map;
  if (map) draw(ui.sourcemap, map, state.gen.edge);
}

async function generate(override = {}) {
  const s = { ...settings(), ...override };
  const bad = checkSettings(s, state.limits);
  if (bad) { showMessage(bad); return null; }
  showMessage("");
  let info;
  try {
    await picturesFirst(s);
    info = state.gen.start(s);
  } catch (e) {
    showMessage(e.message ?? String(e));
    return null;
  }
  writeHash();
  state.runSettings = s;
  const running = { cancelled: false, workers: 0, workerSteps: 0, workersFailed: false };
  state.running = running;
  state.steps = 0;
  state.lastInfo = null;
  // Generate disables itself: focus moves to Cancel (the next thing to do) rather than falling to the page.
  const hadFocus = document.activeElement === ui.generate;
  ui.generate.disabled = true;
  ui.cancel.disabled = false;
  if (hadFocus) ui.cancel.focus();
  ui.download.disabled = true;
  ui.scrub.disabled = true;
  ui.progress.max = info.steps;
  ui.progress.value = 0;
  delete ui.approx.dataset.kept;
  ui.approx.hidden = !info.approximation;
  ui.approx.textContent = info.approximation ?? "";
  ui.paths.textContent = info.paths ?? "";
  ui.runSettings.textContent = `This run: ${info.settings}.${info.candidates ? ` ${info.candidates}` : ""}`;
  document.documentElement.dataset.generating = "true";
  delete document.documentElement.dataset.generated;
  const started = performance.now();
  let failed = false;
  let lost = 0; // steps made by an engine that stopped (lib/fault.js): shown, but gone
  try {
    const engine = patchEngine(running, (job, added, of) => {
      ui.progressText.textContent = `Step ${job.index + 1} of ${job.total}: patches from item ${added} of ${of}, shared by ${pool.size} worker${pool.size === 1 ? "" : "s"}`;
    });
    await sampleSteps(engine, running, {
      onPartial: (step) => {
        // A GPU that failed at this step: the CPU patch step that takes over reports in parts.
        sayFallBack(step);
        // The CPU patch denoiser works through its items.
        const [added, of] = step.partial;
        ui.progressText.textContent = `Step ${step.index + 1} of ${step.total}: patches from item ${added} of ${of}`;
      },
      onStep: (step, ms) => {
        state.stepMs.push({ ms, backend: step.backend });
        if (step.calibration) ui.paths.textContent = step.calibration;
        if (step.kept != null && !ui.approx.dataset.kept) {
          ui.approx.dataset.kept = "said";
          ui.approx.textContent += ` At the handover the items kept held ${keptWords(step.kept)} of the posterior.`;
        }
        state.lastInfo = step;
        state.steps = step.index;
        sayFallBack(step);
        ui.progress.value = step.index;
        ui.progressText.textContent = `Step ${step.index} of ${step.total}${step.patch ? `, patches ${step.patch} × ${step.patch}` : ""}`;
        ui.scrub.max = state.steps;
        if (step.done) state.running = null;
        showStep(state.steps);
      },
    });
  } catch (e) {
    failed = true;
    if (recovered(e)) {
      // The run's pictures were in the engine that stopped: a new one takes the next run.
      const gen = await state.remake();
      await loadArchive(gen);
      state.gen = gen;
      lost = state.steps;
      state.steps = 0;
      showMessage(`Sampling stopped: ${FAULT_WORDS}. A new engine has started: Generate again.`);
    } else {
      showMessage(`Sampling stopped: ${e.message ?? e}`);
    }
  }
  const cancelled = state.running?.cancelled;
  const workersSaid = describeWorkers(running, ["CPU patch step", "CPU patch steps"]);
  // Read the finished picture before the controls come back, so that no
  // reading lands on the next run.
  if (!cancelled && !failed && state.lastInfo?.done) await showReading();
  state.running = null;
  ui.perf.textContent = describeStepTimes(state.stepMs.slice(-state.steps), performance.now() - started) + workersSaid;
  ui.progressText.textContent = cancelled ? `Cancelled after step ${state.steps}; scrub through what was made.`
    : lost ? `Stopped after step ${lost}; its steps went with the engine that stopped.`
    : failed ? `Stopped after step ${state.steps}.` : `Finished: ${state.steps} steps.`;
  ui.generate.disabled = false;
  // Focus was on Cancel (moved there when the run began): it goes back to Generate, not to the page.
  if (document.activeElement === ui.cancel) ui.generate.focus();
  ui.cancel.disabled = true;
  ui.download.disabled = state.steps === 0;
  ui.scrub.disabled = state.steps === 0;
  try {
    if (state.steps > 0) showStep(state.steps);
  } catch (e) {
    showMessage(`The last step could not be shown: ${e.message ?? e}`);
  }
  delete document.documentElement.dataset.generating;
  document.documentElement.dataset.generated = cancelled ? "cancelled" : failed ? "failed" : "done";
  if (state.addressChanged) {
    // The visitor followed a link (or pressed Back) during the run: go there now.
    state.addressChanged = false;
    applyScene(readAddress());
  }
  return cancelled ? null : state.lastInfo;
}

async function askAll() {
  ui.askAll.disabled = true;
  for (const denoiser of ["archive", "gaussian", "patch"]) {
    ui.denoiser.value = denoiser;
    const info = await generate({ denoiser });
    if (!info) break;
    const fig = ui.answers.querySelector(`figure[data-denoiser="${denoiser}"]`);
    draw(fig.querySelector("canvas"), state.gen.frame(0, "result"), state.gen.edge);
    fig.dataset.done = "true";
  }
  ui.askAll.disabled = false;
}

function download() {
  const s = state.runSettings;
  saveBytes(state.gen.png(8), "image/png", `hypothetical-${s.denoiser}-${s.tag || "all"}-seed${s.seed}.png`);
}

/** A share of the posterior near 1 in words that keep what is left out visible. */
function keptWords(kept) {
  return 1 - kept < 1e-5 ? "all but less than 0.001 %" : `${(100 * kept).toFixed(3)} %`;
}

/** Gives `gen` the archive's pictures: every one at 32 px (the packs). */
async function loadArchive(gen) {
  await loadPacks(gen, state.packs);
}

/**
 * The 128 px pictures a run of settings `s` needs before its first step
 * (the engine says which: every picture of a small archive, the Gaussian's
 * sample; none for a cascade). Returns whether any were fetched.
 */
async function picturesFirst(s) {
  const ids = state.gen.picturesFor(s);
  if (!ids.length) return false;
  await loadPictures(state.gen, state.items, ids, (done, of) => {
    ui.progressText.textContent = `Fetching the ${of} pictures this run needs at 128 px: ${done} of ${of}…`;
  });
  ui.progressText.textContent = "";
  return true;
}

async function main() {
  const started = await startScene({ ui, kind: "image", create: Generator.create });
  state.gen = started.engine;
  state.remake = started.remake;
  state.choice = started.choice;
  state.limits = started.limits;
  state.items = started.items;
  state.packs = JSON.parse(started.manifestText).packs ?? [];
  expose("__generator", state.gen);
  expose("__workers", pool);
  await loadArchive(state.gen);
  state.allTags = new Map(state.gen.tags().map(({ tag, count }) => [tag, count]));
  for (const [tag, count] of state.allTags) if (count >= TAG_LIST_MIN) ui.tag.append(tagOption(tag, count));
  applyScene(readAddress());
  ui.controls.addEventListener("submit", (e) => { e.preventDefault(); generate(); });
  ui.controls.addEventListener("input", () => { syncOutputs(); if (state.scene === "average") showMembers(); });
  // Until there is a result, x_T and the prior follow the settings.
  ui.controls.addEventListener("change", () => { if (!state.running && state.steps === 0) showStart(); });
  ui.cancel.addEventListener("click", () => { if (state.running) state.running.cancelled = true; });
  ui.download.addEventListener("click", download);
  ui.scrub.addEventListener("input", () => showStep(Number(ui.scrub.value)));
  ui.askAll.addEventListener("click", askAll);
  addEventListener("hashchange", () => {
    if (!state.running) { applyScene(readAddress()); return; }
    // A link followed during a run stops it; the new scene opens when it has.
    state.addressChanged = true;
    state.running.cancelled = true;
  });
  addEventListener("keydown", (e) => { if (e.key === "Escape" && state.running) state.running.cancelled = true; });
  // A host page's play and pause (lib/embed.js): Generate (Ask all three on “Ask for noise”) and Cancel.
  embedControls({
    play: () => { if (!state.running) (state.scene === "noise" ? askAll() : generate()); },
    pause: () => { if (state.running) state.running.cancelled = true; },
  });
}

runPage(main, { ui, showMessage });
