// The generation scenes: "Recognize", "Ask for noise" and "The average".
// One page; the scene comes from the address (#scene=noise&tag=static&…), so
// every state can be shared as a link.
import init, { Generator, sourceColour, randomSeed, samplerLimits } from "../pkg/hypothetical.js";
import { renderRecogniser, recogniserSentence } from "./lib/recogniser.js";
import { applyLimits, checkSettings } from "./lib/limits.js";
import { expose } from "./lib/test-hooks.js";
import { messenger, shortCredit, fullCredit } from "./lib/page.js";
import { parseAddress, writeAddress, own } from "./lib/address.js";
import { chooseBackend, showBackend, keepPathInLinks } from "./lib/backend.js";

const $ = (id) => document.getElementById(id);
const ui = {
  title: $("scene-title"), intro: $("scene-intro"), backend: $("backend"), form: $("controls"),
  tag: $("tag"), denoiser: $("denoiser"), steps: $("steps"), method: $("method"),
  guidance: $("guidance"), guidanceOut: $("guidance-out"), temperature: $("temperature"),
  temperatureOut: $("temperature-out"), seed: $("seed"), size: $("size"), border: $("border"), runSettings: $("run-settings"), paths: $("paths"),
  generate: $("generate"), cancel: $("cancel"), download: $("download"),
  xt: $("xt"), x0: $("x0"), scrub: $("scrub"), stepOut: $("step-out"), progress: $("progress"),
  progressText: $("progress-text"), approx: $("approx"), message: $("message"),
  recogniser: $("recogniser"), recogniserSentence: $("recogniser-sentence"),
  provenance: $("provenance"), provenanceIntro: $("provenance-intro"),
  sourcemapFigure: $("sourcemap-figure"), sourcemap: $("sourcemap"),
  answers: $("answers"), askAll: $("ask-all"), members: $("members"), memberList: $("member-list"),
  membersNote: $("members-note"), perf: $("perf"),
};

const SCENES = {
  recognize: {
    title: "Recognize",
    intro: "Start from pure noise and ask, step by step, what picture with this caption the noise hides. The recogniser's confidence in the caption rises as the picture appears, and every result names the archive items it came from.",
    defaults: { tag: "flower", denoiser: "archive" },
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

let gen;
let backendChoice = null;
let limits = null; // the sampler's limits, from the core
let items = [];
let sceneName = "recognize";
let running = null; // { cancelled } while sampling
let steps = 0; // steps recorded in the current run
let runSettings = null; // the settings the current run started with
const stepMs = [];

const showMessage = messenger(ui.message, "error");

function readAddress() {
  return parseAddress(location.hash, addressSchema());
}

function writeHash() {
  const values = { scene: sceneName };
  for (const f of FIELDS) values[f] = ui[f].value;
  writeAddress(values);
}

/** Blanks every panel that shows a run, so no result stands under other settings. */
function clearResult() {
  for (const c of [ui.xt, ui.x0, ui.sourcemap]) c.getContext("2d").clearRect(0, 0, c.width, c.height);
  ui.recogniser.replaceChildren();
  ui.recogniserSentence.textContent = "";
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
  steps = 0;
  runSettings = null;
  delete document.documentElement.dataset.generated;
}

function applyScene({ values, corrections }) {
  const notes = [...corrections];
  const previous = sceneName;
  sceneName = values.scene ?? "recognize";
  const scene = own(SCENES, sceneName);
  document.title = `${scene.title} · Hypothetical`;
  ui.title.textContent = scene.title;
  ui.intro.textContent = scene.intro;
  for (const a of document.querySelectorAll("nav a[data-scene]")) {
    if (a.dataset.scene === sceneName) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const merged = { ...scene.defaults, ...values };
  for (const f of FIELDS) {
    if (merged[f] === undefined) continue;
    const el = ui[f];
    const v = String(merged[f]);
    if (el.tagName === "SELECT" && ![...el.options].some((o) => o.value === v)) {
      if (f === "tag") {
        el.value = scene.defaults.tag;
        notes.push(`There is no tag “${v}” in the archive; showing “${scene.defaults.tag}”.`);
      }
      continue;
    }
    el.value = v;
  }
  if (sceneName === "average") ui.denoiser.value = "gaussian";
  ui.denoiser.disabled = sceneName === "average";
  ui.answers.hidden = sceneName !== "noise";
  ui.members.hidden = sceneName !== "average";
  syncOutputs();
  if (sceneName === "average") showMembers();
  const r = runSettings;
  if (previous !== sceneName || (r && (r.tag !== ui.tag.value || r.denoiser !== settings().denoiser))) clearResult();
  showMessage(notes.length ? `The address was corrected: ${notes.join(" ")}` : "", "note");
}

function syncOutputs() {
  ui.guidanceOut.textContent = Number(ui.guidance.value).toFixed(1);
  ui.temperatureOut.textContent = Number(ui.temperature.value).toFixed(1);
  ui.temperature.disabled = ui.method.value !== "ddpm";
  ui.border.disabled = ui.denoiser.value !== "patch";
}

function itemById(id) { return items.find((i) => i.id === id); }

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
  const members = items.filter((i) => i.tags.includes(tag));
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
    denoiser: sceneName === "average" ? "gaussian" : ui.denoiser.value,
    tag: ui.tag.value,
    steps: Number(ui.steps.value),
    guidance: Number(ui.guidance.value),
    temperature: Number(ui.temperature.value),
    seed: Number(ui.seed.value),
    method: ui.method.value,
    size: Number(ui.size.value),
    border: ui.border.value,
  };
}

/** Shows step k (1-based) of the current run in every panel. */
function showStep(k) {
  if (k < 1 || k > steps) return;
  const edge = gen.edge;
  const done = running === null && k === steps && ui.scrub.max == steps && lastInfo?.done;
  draw(ui.xt, done ? gen.frame(0, "result") : gen.frame(k, "xt"), edge);
  draw(ui.x0, gen.frame(k, "x0"), edge);
  ui.xt.setAttribute("aria-label", done ? "The finished sample" : `x_t at step ${k}`);
  ui.x0.setAttribute("aria-label", `The denoiser's guess at step ${k}`);
  ui.scrub.value = k;
  ui.stepOut.textContent = `${k} of ${lastInfo?.total ?? steps}${done ? " (finished)" : ""}`;
  const tag = runSettings.tag;
  renderRecogniser(ui.recogniser, gen.recogniser(k, 5), tag);
  const history = gen.tagHistory(tag);
  ui.recogniserSentence.textContent = recogniserSentence(k, tag, history[k - 1] ?? 0, gen.tagPrior(tag));
  showProvenance(k);
}

function showProvenance(k) {
  const denoiser = runSettings.denoiser;
  ui.provenanceIntro.textContent = DENOISER_WORDS[denoiser];
  const sources = gen.provenance(k, denoiser === "gaussian" ? 80 : 8);
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
  const map = gen.sourceMap(k);
  ui.sourcemapFigure.hidden = !map;
  if (map) draw(ui.sourcemap, map, gen.edge);
}

let lastInfo = null;
let addressChanged = false; // the address changed while a run was going

async function generate(override = {}) {
  const s = { ...settings(), ...override };
  const bad = checkSettings(s, limits);
  if (bad) { showMessage(bad); return null; }
  showMessage("");
  let info;
  try {
    info = gen.start(s);
  } catch (e) {
    showMessage(e.message ?? String(e));
    return null;
  }
  writeHash();
  runSettings = s;
  running = { cancelled: false };
  steps = 0;
  lastInfo = null;
  ui.generate.disabled = true;
  ui.cancel.disabled = false;
  ui.download.disabled = true;
  ui.scrub.disabled = true;
  ui.progress.max = info.steps;
  ui.progress.value = 0;
  ui.approx.hidden = !info.approximation;
  ui.approx.textContent = info.approximation ?? "";
  ui.paths.textContent = info.paths ?? "";
  ui.runSettings.textContent = `This run: ${info.settings}.${s.denoiser === "patch" ? ` ${s.border === "wrap" ? "Candidate patches may wrap around each archive picture's edges, joining opposite edges (an option of ours)." : "Candidate patches lie wholly inside each archive picture, as in Kamb & Ganguli's machine; only the noisy picture wraps around."}` : ""}`;
  document.documentElement.dataset.generating = "true";
  delete document.documentElement.dataset.generated;
  const started = performance.now();
  try {
    let t0 = performance.now();
    while (!running.cancelled) {
      const step = await gen.step();
      if (step.partial) {
        // The CPU patch denoiser works through its items; let the browser breathe.
        const [added, of] = step.partial;
        ui.progressText.textContent = `Step ${step.index + 1} of ${step.total}: patches from item ${added} of ${of}`;
        await new Promise((r) => setTimeout(r, 0));
        continue;
      }
      stepMs.push({ ms: performance.now() - t0, backend: step.backend });
      if (step.calibration) ui.paths.textContent = step.calibration;
      lastInfo = step;
      steps = step.index;
      if (step.fellBack) {
        showMessage(`The GPU failed (${step.fellBack}).`, "note");
        showBackend(ui.backend, gen, backendChoice);
      }
      ui.progress.value = step.index;
      ui.progressText.textContent = `Step ${step.index} of ${step.total}${step.patch ? `, patches ${step.patch} × ${step.patch}` : ""}`;
      ui.scrub.max = steps;
      if (step.done) running = null;
      showStep(steps);
      if (step.done) break;
      // Yield to the browser so that the page stays responsive.
      await new Promise((r) => setTimeout(r, 0));
      t0 = performance.now();
    }
  } catch (e) {
    showMessage(`Sampling stopped: ${e.message ?? e}`);
  }
  const cancelled = running?.cancelled;
  running = null;
  const total = performance.now() - started;
  const recent = stepMs.slice(-steps);
  const mean = recent.reduce((a, b) => a + b.ms, 0) / Math.max(1, recent.length);
  const onGpu = recent.filter((r) => r.backend === "gpu").length;
  const where = onGpu === recent.length ? "on WebGPU" : onGpu === 0 ? "on the CPU" : `${onGpu} on WebGPU, ${recent.length - onGpu} on the CPU`;
  ui.perf.textContent = `${steps} steps in ${(total / 1000).toFixed(1)} s, ${mean.toFixed(1)} ms per step ${where}`;
  ui.progressText.textContent = cancelled ? `Cancelled after step ${steps}; scrub through what was made.` : `Finished: ${steps} steps.`;
  ui.generate.disabled = false;
  ui.cancel.disabled = true;
  ui.download.disabled = steps === 0;
  ui.scrub.disabled = steps === 0;
  if (steps > 0) showStep(steps);
  delete document.documentElement.dataset.generating;
  document.documentElement.dataset.generated = cancelled ? "cancelled" : "done";
  if (addressChanged) {
    // The visitor followed a link (or pressed Back) during the run: go there now.
    addressChanged = false;
    applyScene(readAddress());
  }
  return cancelled ? null : lastInfo;
}

async function askAll() {
  ui.askAll.disabled = true;
  for (const denoiser of ["archive", "gaussian", "patch"]) {
    ui.denoiser.value = denoiser;
    const info = await generate({ denoiser });
    if (!info) break;
    const fig = ui.answers.querySelector(`figure[data-denoiser="${denoiser}"]`);
    draw(fig.querySelector("canvas"), gen.frame(0, "result"), gen.edge);
    fig.dataset.done = "true";
  }
  ui.askAll.disabled = false;
}

function download() {
  const bytes = gen.png(8);
  const blob = new Blob([bytes], { type: "image/png" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  const s = runSettings;
  a.download = `hypothetical-${s.denoiser}-${s.tag || "all"}-seed${s.seed}.png`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

async function main() {
  await init();
  const manifestText = await (await fetch("archive/manifest.json")).text();
  items = JSON.parse(manifestText).items.filter((i) => i.kind === "image");
  // ?cpu and ?gpu force a path; otherwise a software adapter is not used.
  backendChoice = await chooseBackend();
  keepPathInLinks();
  limits = samplerLimits();
  applyLimits(ui, limits);
  gen = await Generator.create(backendChoice.preferGpu, manifestText);
  gen.calibrate = !backendChoice.forced;
  expose("__generator", gen);
  showBackend(ui.backend, gen, backendChoice);
  await Promise.all(items.map(async (item) => {
    const bytes = new Uint8Array(await (await fetch(`archive/${item.file}`)).arrayBuffer());
    gen.addImage(item.id, bytes);
  }));
  for (const { tag, count } of gen.tags()) {
    const o = document.createElement("option");
    o.value = tag;
    o.textContent = `${tag} (${count})`;
    ui.tag.append(o);
  }
  applyScene(readAddress());
  ui.form.addEventListener("submit", (e) => { e.preventDefault(); generate(); });
  ui.form.addEventListener("input", () => { syncOutputs(); if (sceneName === "average") showMembers(); });
  ui.cancel.addEventListener("click", () => { if (running) running.cancelled = true; });
  ui.download.addEventListener("click", download);
  ui.scrub.addEventListener("input", () => showStep(Number(ui.scrub.value)));
  ui.askAll.addEventListener("click", askAll);
  addEventListener("hashchange", () => {
    if (!running) { applyScene(readAddress()); return; }
    // A link followed during a run stops it; the new scene opens when it has.
    addressChanged = true;
    running.cancelled = true;
  });
  addEventListener("keydown", (e) => { if (e.key === "Escape" && running) running.cancelled = true; });
  if (readAddress().values.seed === undefined) ui.seed.value = String(randomSeed());
  document.documentElement.dataset.ready = "true";
}

main().catch((e) => {
  showMessage(`This scene could not start: ${e.message ?? e}`);
  ui.backend.textContent = "Not running";
});
