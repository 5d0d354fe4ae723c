// The kiosk's soak run (`./build.sh soak [CYCLES]`, not part of the tests):
// drives CYCLES attract-and-visitor cycles in one headless Chromium, as a
// kiosk lives for days, and reports memory at the start (after WARM_UP
// cycles), the middle and the end. A cycle: the front page in kiosk mode
// until its miniatures have drawn; a visitor touches a scene's card and does
// one thing there (Dissolve: drag t; Recognize: generate 10 steps; Sounds
// Like Music: drag t); then the kiosk's reset (a fresh attract state, as the
// idle countdown does). Figures per checkpoint: the page's JS heap in use
// (Chrome DevTools Protocol, Performance.getMetrics), its WebAssembly memory,
// its live GPU buffers (WebGPU's createBuffer minus destroy, counted by an
// init script) and the resident memory of this run's Chromium processes.
// Usage: node tools/soak.mjs [cycles] [cpu|gpu]
import { readFileSync, readdirSync } from "node:fs";
import { chromium } from "playwright-core";
import { serve } from "./serve.mjs";

const CYCLES = Number(process.argv[2] ?? 2000);
const PATH = process.argv[3] ?? "cpu";
const WARM_UP = Math.min(50, Math.floor(CYCLES / 4));
/** Checkpoints fall on cycles that visit the same scene (Dissolve), so that they compare. */
const onDissolve = (n) => Math.max(3, n - (n % 3));
const CHECKPOINTS = new Map([
  [onDissolve(WARM_UP), "start (after warm-up)"],
  [onDissolve(Math.floor((WARM_UP + CYCLES) / 2)), "middle"],
  [onDissolve(CYCLES), "end"],
]);
const query = PATH === "gpu" ? "?gpu&test&kiosk" : "?cpu&test&kiosk";

/** Resident memory of this run's Chromium (its process and all its descendants), in MiB (Linux /proc). */
function chromiumRss(root) {
  const parent = new Map();
  const rss = new Map();
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      parent.set(Number(pid), Number(status.match(/^PPid:\s+(\d+)/m)?.[1] ?? 0));
      rss.set(Number(pid), Number(status.match(/^VmRSS:\s+(\d+)/m)?.[1] ?? 0));
    } catch { /* gone */ }
  }
  const ours = (pid) => {
    for (let p = pid; p > 1; p = parent.get(p) ?? 0) if (p === root) return true;
    return false;
  };
  let kib = 0;
  for (const [pid, v] of rss) if (ours(pid)) kib += v;
  return kib / 1024;
}

const server = await serve("www", 0);
const origin = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", ...(PATH === "gpu" ? ["--enable-unsafe-webgpu"] : [])],
});
// Playwright starts Chromium as a child of this process: its processes are our descendants.
const browserPid = process.pid;
const context = await browser.newContext({ viewport: { width: 1080, height: 1920 } });
// Live GPU buffers and the wasm memory, visible to the soak run in every document.
await context.addInitScript(() => {
  window.__soak = { buffers: 0, memories: [] };
  const proto = globalThis.GPUDevice?.prototype;
  if (proto) {
    const create = proto.createBuffer;
    proto.createBuffer = function (...a) {
      const b = create.apply(this, a);
      window.__soak.buffers += 1;
      const destroy = b.destroy.bind(b);
      b.destroy = () => { window.__soak.buffers -= 1; destroy(); };
      return b;
    };
  }
  const instantiate = WebAssembly.instantiateStreaming;
  WebAssembly.instantiateStreaming = async (...a) => {
    const r = await instantiate(...a);
    const memory = r.instance.exports.memory;
    if (memory) window.__soak.memories.push(memory);
    return r;
  };
});
const page = await context.newPage();
const cdp = await context.newCDPSession(page);
await cdp.send("Performance.enable");
let errors = 0;
page.on("pageerror", (e) => { errors += 1; console.error(`page error: ${e.message}`); });

async function measure(label, cycle) {
  // Garbage first, so that the heap figure is what is still held.
  await cdp.send("HeapProfiler.collectGarbage");
  const { metrics } = await cdp.send("Performance.getMetrics");
  const heap = metrics.find((m) => m.name === "JSHeapUsedSize").value / 1048576;
  const { wasm, buffers } = await page.evaluate(() => ({
    wasm: window.__soak.memories.reduce((s, m) => s + m.buffer.byteLength, 0) / 1048576,
    buffers: window.__soak.buffers,
  }));
  const row = { label, cycle, heapMiB: +heap.toFixed(1), wasmMiB: +wasm.toFixed(1), gpuBuffers: buffers, chromiumRssMiB: +chromiumRss(browserPid).toFixed(0) };
  console.log(JSON.stringify(row));
  return row;
}

const ready = () => page.waitForSelector("html[data-ready=true]", { timeout: 120_000 });
const VISITS = [
  async () => {
    await page.click(".card[data-scene=dissolve] a");
    await ready();
    const t = 100 + Math.floor(Math.random() * 800);
    await page.evaluate((t) => { const s = document.getElementById("t"); s.value = t; s.dispatchEvent(new Event("input", { bubbles: true })); }, t);
    await page.waitForFunction((t) => (document.getElementById("view").dataset.rendered ?? "").split("|")[1] === String(t), t, { timeout: 60_000 });
  },
  async () => {
    await page.click(".card[data-scene=recognize] a");
    await ready();
    await page.evaluate(() => { document.getElementById("settings").open = true; document.getElementById("steps").value = "10"; });
    await page.click("#generate");
    await page.waitForSelector("html[data-generated]", { state: "attached", timeout: 120_000 });
  },
  async () => {
    await page.click(".card[data-scene=sound] a");
    await ready();
    await page.evaluate(() => { const s = document.getElementById("t"); s.value = 500; s.dispatchEvent(new Event("input", { bubbles: true })); });
    await page.waitForFunction(() => document.getElementById("spec").dataset.t === "500", null, { timeout: 60_000 });
  },
];

const rows = [];
const started = Date.now();
for (let cycle = 1; cycle <= CYCLES; cycle++) {
  // The attract state, as the kiosk's reset leaves it.
  await page.goto(`${origin}/${query}`);
  await ready();
  await page.waitForFunction(() => Number(document.querySelector(".card[data-scene=dissolve]").dataset.frames ?? 0) >= 2, null, { timeout: 60_000 });
  await page.touchscreen?.tap?.(540, 300).catch(() => {});
  await VISITS[cycle % VISITS.length]();
  if (CHECKPOINTS.has(cycle)) rows.push(await measure(CHECKPOINTS.get(cycle), cycle));
  if (cycle % 100 === 0) console.log(`${cycle} cycles in ${((Date.now() - started) / 60000).toFixed(1)} min`);
}
const [first] = rows;
const last = rows.length > 1 ? rows.at(-1) : undefined;
const drift = (k) => (first && last ? `${(100 * (last[k] - first[k]) / Math.max(first[k], 1e-9)).toFixed(1)} %` : "n/a");
console.log(`${CYCLES} cycles on the ${PATH} path in ${((Date.now() - started) / 60000).toFixed(1)} min, ${errors} page errors; from start to end: JS heap ${drift("heapMiB")}, wasm memory ${drift("wasmMiB")}, Chromium resident memory ${drift("chromiumRssMiB")}, GPU buffers ${first?.gpuBuffers ?? "n/a"} → ${last?.gpuBuffers ?? "n/a"}`);
await browser.close();
server.close();
process.exit(errors ? 1 : 0);
