// The front page: the idea in a few sentences, then the scenes in the order
// of the argument, each with a miniature computed live on this device's
// processor (WebAssembly), never a screenshot:
// - Dissolve: an archive picture dissolving into noise and back (the Dissolve engine);
// - Recognize, Ask for noise, The average: 32 px generations unfolding, each
//   with its scene's denoiser and caption (a Generator each), a new seed each time;
// - Sounds Like Music: a clip's spectrogram dissolving into noise and back, silent;
// - Swim: a photograph going under into the archive's static and back, slowly;
// - Archive: some of its pictures.
// A miniature runs only while its card is on screen and the tab is shown, a
// few frames a second; with reduced motion each shows one still frame. Each
// card counts the frames it drew in `data-frames` (the browser tests read it).
import init, { Dissolve, Generator, SoundScene, SwimPictures, randomSeed, soundConstants } from "../pkg/hypothetical.js";
import { loadBuiltin } from "./image-input.js";
import { decodeMono } from "./lib/decode.js";
import { loadPacks } from "./lib/pictures.js";
import { messenger } from "./lib/page.js";
import { onUnhandled, unrecovered } from "./lib/fault.js";
import "./lib/site.js";

const reducedMotion = matchMedia("(prefers-reduced-motion: reduce)");
const note = messenger(document.getElementById("mini-note"), "note");
const card = (id) => document.querySelector(`.card[data-scene="${id}"]`);
const canvasOf = (id) => card(id).querySelector("canvas.mini");
/** Seconds for a miniature to dissolve fully and come back. */
const CYCLE_SECONDS = 12;
/** Frames per second of the dissolving miniatures; generations show this many steps a second. */
const FPS = 8;
/** Seconds a finished generation stays before the next begins. */
const HOLD_SECONDS = 2.5;

// ---- when to draw ----
const onScreen = new Set();
const waiting = new Set();
function wake() {
  for (const resolve of waiting) resolve();
  waiting.clear();
}
const observer = new IntersectionObserver((entries) => {
  for (const e of entries) {
    if (e.isIntersecting) onScreen.add(e.target.dataset.scene);
    else onScreen.delete(e.target.dataset.scene);
  }
  wake();
});
for (const c of document.querySelectorAll(".card")) observer.observe(c);
document.addEventListener("visibilitychange", wake);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Fetches cut short because the visitor left are not failures.
let leaving = false;
addEventListener("pagehide", () => { leaving = true; });
/** Resolves when any of the cards `ids` is on screen and the tab is shown. */
async function whenShown(ids) {
  while (document.hidden || !ids.some((id) => onScreen.has(id))) {
    await new Promise((resolve) => waiting.add(resolve));
  }
}

function counted(id) {
  const c = card(id);
  c.dataset.frames = String(Number(c.dataset.frames ?? 0) + 1);
}

function draw(id, rgba, width, height) {
  const canvas = canvasOf(id);
  if (canvas.width !== width || canvas.height !== height) { canvas.width = width; canvas.height = height; }
  canvas.getContext("2d").putImageData(new ImageData(rgba, width, height), 0, 0);
  counted(id);
}

/** t in 0…steps along a triangle wave: dissolving, then re-forming. */
function triangle(seconds, steps) {
  const phase = (seconds / CYCLE_SECONDS) % 1;
  return Math.round(steps * (phase < 0.5 ? 2 * phase : 2 - 2 * phase));
}

// ---- Dissolve ----
async function dissolveMini() {
  const scene = await Dissolve.create(false);
  const { rgba, width, height } = await loadBuiltin("archive/images/128/astronaut.png");
  scene.setImage(new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength), width, height);
  const steps = scene.steps;
  const started = performance.now();
  for (;;) {
    await whenShown(["dissolve"]);
    const t = reducedMotion.matches ? Math.round(steps / 2) : triangle((performance.now() - started) / 1000, steps);
    draw("dissolve", await scene.render(t, "cosine", 7), width, height);
    if (reducedMotion.matches) return;
    await sleep(1000 / FPS);
  }
}

// ---- Recognize, Ask for noise, The average ----
const GENERATIONS = [
  { id: "recognize", options: { denoiser: "archive", tag: "flower" } },
  { id: "noise", options: { denoiser: "archive", tag: "static" } },
  { id: "average", options: { denoiser: "gaussian", tag: "flower" } },
];

/** One generation miniature: its own Generator on the 32 px packs, runs of 20 steps with a new seed each time. */
async function generationMini({ id, options }, manifestText) {
  const gen = await Generator.create(false, manifestText);
  await loadPacks(gen, JSON.parse(manifestText).packs ?? []);
  for (let round = 0; ; round++) {
    await whenShown([id]);
    const seed = round === 0 ? 7 + GENERATIONS.findIndex((g) => g.id === id) : randomSeed();
    gen.start({ ...options, steps: 20, guidance: 1, temperature: 1, seed, method: "ddim", size: 32 });
    const edge = gen.edge;
    for (;;) {
      const info = await gen.step();
      if (info.done) break;
      if (!reducedMotion.matches) {
        draw(id, gen.frame(info.index, "xt"), edge, edge);
        await sleep(1000 / FPS);
      }
    }
    draw(id, gen.frame(0, "result"), edge, edge);
    card(id).dataset.seed = String(seed);
    if (reducedMotion.matches) return;
    await sleep(HOLD_SECONDS * 1000);
  }
}

// ---- Sounds Like Music ----
async function soundMini(manifestText) {
  const scene = await SoundScene.create(false, manifestText);
  const constants = soundConstants();
  const rate = constants.sample_rate ?? constants.sampleRate;
  const item = JSON.parse(manifestText).items.find((i) => i.id === "techno-128-acid")
    ?? JSON.parse(manifestText).items.find((i) => i.kind === "sound");
  scene.addClip(item.id, await decodeMono(await (await fetch(`archive/${item.file}`)).arrayBuffer(), rate));
  scene.useClip(item.id);
  const steps = scene.steps;
  // The spectrogram is 512 rows (low frequencies at the bottom) by its frames,
  // drawn scaled into the card.
  const rows = 512;
  const canvas = canvasOf("sound");
  const started = performance.now();
  for (;;) {
    await whenShown(["sound"]);
    const t = reducedMotion.matches ? Math.round(steps / 3) : triangle((performance.now() - started) / 1000, steps);
    const rgba = scene.picture(t, 7);
    const frames = rgba.length / 4 / rows;
    const full = new OffscreenCanvas(frames, rows);
    full.getContext("2d").putImageData(new ImageData(rgba, frames, rows), 0, 0);
    const g = canvas.getContext("2d");
    g.imageSmoothingEnabled = true;
    g.drawImage(full, 0, 0, canvas.width, canvas.height);
    counted("sound");
    if (reducedMotion.matches) return;
    await sleep(1000 / FPS);
  }
}

// ---- Swim ----
/** Seconds for the Swim miniature to go under and come back (the piece itself takes minutes). */
const SWIM_SECONDS = 40;

async function swimMini(manifestText) {
  const items = JSON.parse(manifestText).items;
  const pictures = new SwimPictures();
  const camera = await loadBuiltin("archive/images/128/camera.png");
  pictures.setPicture(new Uint8Array(camera.rgba.buffer, camera.rgba.byteOffset, camera.rgba.byteLength), camera.width, camera.height);
  // The archive's own static stands in for the denoisers' answers here (the
  // archive denoiser would return these very pictures).
  for (const item of items.filter((i) => i.kind === "image" && i.tags.includes("static")).slice(0, 3)) {
    const p = await loadBuiltin(`archive/${item.file}`);
    pictures.addBackground(new Uint8Array(p.rgba.buffer, p.rgba.byteOffset, p.rgba.byteLength), p.width, p.height);
  }
  const started = performance.now();
  for (;;) {
    await whenShown(["swim"]);
    const phase = ((performance.now() - started) / 1000 / SWIM_SECONDS) % 1;
    const tau = reducedMotion.matches ? 0.55 : phase < 0.5 ? 2 * phase : 2 - 2 * phase;
    draw("swim", pictures.frame(tau), 128, 128);
    if (reducedMotion.matches) return;
    await sleep(1000 / FPS);
  }
}

// ---- Archive ----
function archiveThumbs(manifestText) {
  const items = JSON.parse(manifestText).items.filter((i) => i.kind === "image");
  // 16 pictures evenly spread over the archive: its range of sources, the same on every visit.
  const every = Math.max(1, Math.floor(items.length / 16));
  const chosen = items.filter((_, k) => k % every === 0).slice(0, 16);
  const box = card("archive").querySelector(".thumbs");
  box.replaceChildren(...chosen.map((item) => {
    const img = document.createElement("img");
    img.src = `archive/${item.file}`;
    img.alt = "";
    img.width = 32;
    img.height = 32;
    return img;
  }));
  counted("archive");
}

async function main() {
  onUnhandled((text) => note(text, "error"), document.getElementById("mini-note"), "The miniatures");
  await init();
  const manifestText = await (await fetch("archive/manifest.json")).text();
  archiveThumbs(manifestText);
  const minis = [
    ["Dissolve", dissolveMini()],
    ...GENERATIONS.map((g) => [card(g.id).querySelector(".card-title").textContent, generationMini(g, manifestText)]),
    ["Sounds Like Music", soundMini(manifestText)],
    ["Swim", swimMini(manifestText)],
  ];
  document.documentElement.dataset.ready = "true";
  await Promise.all(minis.map(async ([name, running]) => {
    try {
      await running;
    } catch (e) {
      if (leaving) return;
      // A fault of the engine (a panic, whose message the console already has)
      // stops every miniature: the page's message and Reload.
      if (unrecovered(e)) return;
      console.error(e);
      note(`The ${name} miniature could not run here (${e?.message ?? e}); the scene's own page says more.`);
    }
  }));
}

main().catch((e) => {
  if (leaving) return;
  console.error(e);
  messenger(document.getElementById("message"))(`The front page's miniatures could not start: ${e?.message ?? e}. The scenes are still linked above.`);
  document.documentElement.dataset.ready = "true";
});
