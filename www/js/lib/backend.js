// Which path a page uses: WebGPU or the CPU (WebAssembly), decided the same
// way on every page. `?cpu` forces the CPU and `?gpu` forces WebGPU. Without
// either, a software WebGPU adapter (SwiftShader, llvmpipe, lavapipe, or one
// the browser marks as a fallback adapter) is not used: it runs the kernels
// on the processor and was measured many times slower than the WebAssembly
// path (e.g. a patch step 11.9 s against 1.3–1.8 s; see docs/performance.md).

import { markTerm } from "./glossary.js";

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|software|basic render/i;

/**
 * `{ preferGpu, forced, why, adapter }`: `why` says in words why the CPU is used;
 * `forced` is set by ?gpu (the scene then does not time its kernels on both
 * paths: see src/backend/calibration.rs).
 */
export async function chooseBackend(search = location.search) {
  const q = new URLSearchParams(search);
  if (q.has("cpu")) return { preferGpu: false, why: "chosen with ?cpu in the address" };
  if (q.has("gpu")) return { preferGpu: true, forced: true, why: "" };
  if (!navigator.gpu) return { preferGpu: false, why: "this browser has no WebGPU" };
  let adapter = null;
  try {
    adapter = await navigator.gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch { adapter = null; }
  if (!adapter) return { preferGpu: false, why: "this browser offers WebGPU but no adapter for it" };
  const info = adapter.info ?? {};
  const words = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(" ");
  if (info.isFallbackAdapter || adapter.isFallbackAdapter || SOFTWARE.test(words)) {
    return {
      preferGpu: false,
      adapter: words || "a fallback adapter",
      why: `the browser's WebGPU adapter (${words || "a fallback adapter"}) is a software emulation on the processor, slower here than WebAssembly; add ?gpu to the address to use it anyway`,
    };
  }
  return { preferGpu: true, why: "" };
}

/** Shows the backend in the page header: `scene.backend` ("gpu"/"cpu") and its detail. */
export function showBackend(element, scene, choice) {
  const kind = scene.backend === "gpu" ? "gpu" : "cpu";
  say(element, kind, kind === "cpu" && choice && !choice.preferGpu
    ? `CPU (WebAssembly): ${choice.why}`
    : scene.backendDetail);
}

/**
 * Writes the status line, only when its words change: it is a polite live
 * region, and rewriting it with the same words at every frame made a screen
 * reader announce it again each time (60 announcements for 20 key presses).
 */
function say(element, kind, text) {
  element.dataset.kind = kind;
  document.documentElement.dataset.backend = kind;
  if (element.dataset.said === text) return;
  element.dataset.said = text;
  element.textContent = text;
  markTerm(element, "adapter", "adapter");
}

/**
 * On a page that computes nothing itself (front page, archive, companion):
 * says which path the scenes will take on this device, and why.
 */
export function showChoice(element, choice) {
  say(element, choice.preferGpu ? "gpu" : "cpu", choice.preferGpu
    ? "WebGPU: the scenes compute on this device's graphics processor where they can"
    : `CPU (WebAssembly): ${choice.why}`);
}

/** Keeps the address's query (?cpu, ?gpu, ?test) on the links between the project's pages. */
export function keepPathInLinks(search = location.search) {
  if (!search) return;
  for (const a of document.querySelectorAll("a[href]")) {
    const url = new URL(a.getAttribute("href"), location.href);
    if (url.origin !== location.origin || !/\.html$|\/$/.test(url.pathname)) continue;
    a.href = `${url.pathname.split("/").pop() || "./"}${search}${url.hash}`;
  }
}
