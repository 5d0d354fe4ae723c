// One polite live region per page for what the canvases show, in words
// (docs/accessibility.md: “What a screen-reader user hears”). Scenes change many times a
// second while a slider is dragged or a sampler runs; announcing each change
// queued dozens of sentences (a 20-step generation made 40). Here the latest
// words wait until the input settles (SETTLE_MS) and come at most once every
// MIN_GAP_MS; words equal to the last announced are not repeated.

/** Quiet time after the last change before the words are read (ms). */
const SETTLE_MS = 600;
/** The shortest time between two announcements (ms). */
const MIN_GAP_MS = 3000;

let region = null;
let pending = "";
let timer = 0;
let lastAt = -Infinity;

function ensureRegion() {
  if (region) return region;
  region = document.createElement("p");
  region.id = "announce";
  region.className = "visually-hidden";
  region.setAttribute("role", "status");
  region.setAttribute("aria-live", "polite");
  document.body.append(region);
  return region;
}

/** Says `text` soon (see above). `now` says it at once, for an end (a run finished, an error). */
export function announce(text, { now = false } = {}) {
  ensureRegion();
  pending = text;
  clearTimeout(timer);
  const wait = now ? 0 : Math.max(SETTLE_MS, lastAt + MIN_GAP_MS - performance.now());
  timer = setTimeout(flush, wait);
}

function flush() {
  if (!pending || pending === region.textContent) return;
  region.textContent = pending;
  lastAt = performance.now();
  document.documentElement.dataset.announced = String(Number(document.documentElement.dataset.announced ?? 0) + 1);
}
