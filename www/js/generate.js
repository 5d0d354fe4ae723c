// The generation scenes: "Recognize", "Ask for noise" and "The average".
// One page; the scene comes from the address (#scene=noise&tag=static&…), so
// every state can be shared as a link.
import init, { Generator, sourceColour, randomSeed } from "../pkg/hypothetical.js";
import { licenceName } from "./licences.js";
import { renderRecogniser, recogniserSentence } from "./lib/recogniser.js";

const $ = (id) => document.getElementById(id);
const ui = {
  title: $("scene-title"), intro: $("scene-intro"), backend: $("backend"), form: $("controls"),
  tag: $("tag"), denoiser: $("denoiser"), steps: $("steps"), method: $("method"),
  guidance: $("guidance"), guidanceOut: $("guidance-out"), temperature: $("temperature"),
  temperatureOut: $("temperature-out"), seed: $("seed"), size: $("size"),
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
const FIELDS = ["tag", "denoiser", "steps", "method", "guidance", "temperature", "seed", "size"];
const DENOISER_WORDS = {
  archive: "The archive denoiser's x̂0 is a weighted mix of whole archive items; these are the leading weights.",
  gaussian: "The Gaussian denoiser uses every item of the tag alike, through their mean and power spectrum; none is copied.",
  patch: "The patch denoiser builds each pixel from small patches of many items; these supplied the most pixels.",
};

let gen;
let items = [];
let sceneName = "recognize";
let running = null; // { cancelled } while sampling
let steps = 0; // steps recorded in the current run
let runSettings = null; // the settings the current run started with
const stepMs = [];

function showMessage(text, kind = "error") {
  ui.message.textContent = text;
  ui.message.dataset.kind = text ? kind : "";
}

function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  return Object.fromEntries(p.entries());
}

function writeHash() {
  const p = new URLSearchParams({ scene: sceneName });
  for (const f of FIELDS) p.set(f, ui[f].value);
  history.replaceState(null, "", `#${p}`);
}

function applyScene(state) {
  sceneName = SCENES[state.scene] ? state.scene : "recognize";
  const scene = SCENES[sceneName];
  document.title = `${scene.title} · Hypothetical`;
  ui.title.textContent = scene.title;
  ui.intro.textContent = scene.intro;
  for (const a of document.querySelectorAll("nav a[data-scene]")) {
    if (a.dataset.scene === sceneName) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const values = { ...scene.defaults, ...state };
  for (const f of FIELDS) {
    if (values[f] === undefined) continue;
    const el = ui[f];
    if (el.tagName === "SELECT" && ![...el.options].some((o) => o.value === values[f])) {
      if (f === "tag") showMessage(`There is no tag “${values[f]}” in the archive; showing “${scene.defaults.tag}”.`, "note");
      continue;
    }
    el.value = values[f];
  }
  if (sceneName === "average") ui.denoiser.value = "gaussian";
  ui.denoiser.disabled = sceneName === "average";
  ui.answers.hidden = sceneName !== "noise";
  ui.members.hidden = sceneName !== "average";
  syncOutputs();
  if (sceneName === "average") showMembers();
}

function syncOutputs() {
  ui.guidanceOut.textContent = Number(ui.guidance.value).toFixed(1);
  ui.temperatureOut.textContent = Number(ui.temperature.value).toFixed(1);
  ui.temperature.disabled = ui.method.value !== "ddpm";
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
  };
}

function validate(s) {
  if (!Number.isInteger(s.steps) || s.steps < 10 || s.steps > 1000) return "Steps must be a whole number from 10 to 1000.";
  if (!Number.isInteger(s.seed) || s.seed < 0 || s.seed > 4294967295) return "The seed must be a whole number from 0 to 4294967295.";
  return "";
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
  const sources = gen.provenance(k, denoiser === "gaussian" ? 64 : 8);
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
      : denoiser === "patch" ? `${(100 * s.weight).toFixed(1)}% of pixels` : `1 of ${sources.length}`;
    const a = document.createElement("a");
    a.href = `archive.html#item=${encodeURIComponent(s.id)}`;
    a.append(thumb(item));
    const text = document.createElement("span");
    text.innerHTML = `<strong></strong> <span class="share"></span><br><span class="credit"></span>`;
    text.querySelector("strong").textContent = item.title;
    text.querySelector(".share").textContent = share;
    text.querySelector(".credit").textContent = `${item.creator}${item.year ? ` (${item.year})` : ""}, ${licenceName(item.licence)}`;
    li.append(a, text);
    return li;
  }));
  const map = gen.sourceMap(k);
  ui.sourcemapFigure.hidden = !map;
  if (map) draw(ui.sourcemap, map, gen.edge);
}

let lastInfo = null;

async function generate(override = {}) {
  const s = { ...settings(), ...override };
  const bad = validate(s);
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
      lastInfo = step;
      steps = step.index;
      if (step.fellBack) showMessage(`The GPU failed (${step.fellBack}).`, "note");
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
  ui.perf.textContent = `${steps} steps in ${(total / 1000).toFixed(1)} s, ${mean.toFixed(1)} ms per step on ${gen.backend === "gpu" ? "WebGPU" : "the CPU"}`;
  ui.progressText.textContent = cancelled ? `Cancelled after step ${steps}; scrub through what was made.` : `Finished: ${steps} steps.`;
  ui.generate.disabled = false;
  ui.cancel.disabled = true;
  ui.download.disabled = steps === 0;
  ui.scrub.disabled = steps === 0;
  if (steps > 0) showStep(steps);
  delete document.documentElement.dataset.generating;
  document.documentElement.dataset.generated = cancelled ? "cancelled" : "done";
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
  // `?cpu` forces the CPU path for comparison, as on the Dissolve page.
  const preferGpu = !new URLSearchParams(location.search).has("cpu");
  gen = await Generator.create(preferGpu, manifestText);
  window.__generator = gen; // for the browser tests
  ui.backend.textContent = gen.backendDetail;
  ui.backend.dataset.kind = gen.backend;
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
  applyScene(readHash());
  ui.form.addEventListener("submit", (e) => { e.preventDefault(); generate(); });
  ui.form.addEventListener("input", () => { syncOutputs(); if (sceneName === "average") showMembers(); });
  ui.cancel.addEventListener("click", () => { if (running) running.cancelled = true; });
  ui.download.addEventListener("click", download);
  ui.scrub.addEventListener("input", () => showStep(Number(ui.scrub.value)));
  ui.askAll.addEventListener("click", askAll);
  addEventListener("hashchange", () => { if (!running) applyScene(readHash()); });
  addEventListener("keydown", (e) => { if (e.key === "Escape" && running) running.cancelled = true; });
  if (!readHash().seed) ui.seed.value = String(randomSeed());
  document.documentElement.dataset.ready = "true";
}

main().catch((e) => {
  showMessage(`This scene could not start: ${e.message ?? e}`);
  ui.backend.textContent = "Not running";
});
