// The museum kiosk: any page opened with ?kiosk (kiosk.html opens the front
// page so, inside its watchdog). It makes the page touch-first (CSS under
// html[data-kiosk]: 48 px targets, no text selection, no long-press menu, no
// cursor, no overscroll; links that leave the site become plain text), makes
// the front page an attract state with “Touch to begin”, counts down after a
// time without input and then starts over from the attract state, which
// forgets every upload and recording (a fresh document). It registers the
// service worker that keeps the whole site for offline use, and sends the
// watchdog a heartbeat from the page's animation frames.
//
// Settings (docs/kiosk-and-embedding.md: “Museum kiosk”): www/kiosk.json, then address parameters
// of the same names: idle (seconds without input before the countdown,
// default 90), countdown (seconds, at least 20), scenes (which cards the
// front page offers, comma-separated ids), volume (the cap, 0…1), sound (on/off).

/** What a kiosk does unless kiosk.json or the address says otherwise. */
export const DEFAULTS = { idle: 90, countdown: 20, scenes: null, volume: 0.5, sound: true };
/** WCAG 2.2.1: a visitor gets at least 20 s to say they are still there. */
const MIN_COUNTDOWN = 20;
/** Heartbeats to the watchdog, in milliseconds. */
const HEARTBEAT_MS = 2000;

export const kiosk = new URLSearchParams(location.search).has("kiosk");

/** The settings: defaults, then kiosk.json, then the address; each value checked. */
export async function kioskSettings(search = location.search) {
  let file = {};
  try {
    const response = await fetch("kiosk.json");
    if (response.ok) file = await response.json();
  } catch { file = {}; }
  const q = new URLSearchParams(search);
  const raw = { ...DEFAULTS, ...file };
  for (const key of Object.keys(DEFAULTS)) if (q.has(key)) raw[key] = q.get(key);
  const number = (v, min, max, fallback) => {
    const n = Number(v);
    return Number.isFinite(n) ? Math.min(Math.max(n, min), max) : fallback;
  };
  const scenes = Array.isArray(raw.scenes) ? raw.scenes : typeof raw.scenes === "string" ? raw.scenes.split(",") : null;
  return {
    idle: number(raw.idle, 5, 3600, DEFAULTS.idle),
    countdown: number(raw.countdown, MIN_COUNTDOWN, 600, DEFAULTS.countdown),
    scenes: scenes?.map((s) => String(s).trim()).filter(Boolean) ?? null,
    volume: number(raw.volume, 0, 1, DEFAULTS.volume),
    sound: !["off", "false", "0", false, 0].includes(raw.sound),
  };
}

/** The attract state's address: the front page in kiosk mode, with the page's own query. */
function attractUrl() {
  const q = new URLSearchParams(location.search);
  q.set("kiosk", "");
  return `./?${q.toString().replace(/=(&|$)/g, "$1")}`;
}

function isAttract() {
  return document.querySelector("header.site")?.dataset.page === "home";
}

/** Links that would leave the site (sources, credits) become plain text. */
function keepInside(root = document) {
  for (const a of root.querySelectorAll("a[href]")) {
    const url = new URL(a.getAttribute("href"), location.href);
    if (url.origin === location.origin) continue;
    const span = document.createElement("span");
    span.className = "link-text";
    span.append(...a.childNodes);
    a.replaceWith(span);
  }
}

function heartbeat() {
  if (window.parent === window) return;
  let last = 0;
  const beat = (now) => {
    if (now - last > HEARTBEAT_MS) {
      last = now;
      window.parent.postMessage({ hypothetical: "heartbeat", page: location.pathname }, location.origin);
    }
    requestAnimationFrame(beat);
  };
  requestAnimationFrame(beat);
}

/**
 * Registers the service worker for the build's version (precache.json), so
 * that a new build installs a new worker, which replaces the old copy.
 * Offline, the worker already in charge keeps serving.
 */
async function registerOffline() {
  if (!("serviceWorker" in navigator)) return;
  // Whatever worker is in charge (offline, the one already installed) checks the copy.
  checkCopy();
  try {
    const { version } = await (await fetch("precache.json", { cache: "no-store" })).json();
    const registration = await navigator.serviceWorker.register(`sw.js?v=${version}`);
    const ready = () => { document.documentElement.dataset.offline = version; };
    if (registration.active?.scriptURL.endsWith(`v=${version}`)) ready();
    else {
      const worker = registration.installing ?? registration.waiting;
      worker?.addEventListener("statechange", () => { if (worker.state === "activated") ready(); });
    }
    // Ask that the cache survive storage pressure.
    await navigator.storage?.persist?.();
  } catch (e) {
    console.warn(`Hypothetical: the offline copy could not be set up (${e.message ?? e})`);
  }
}

/**
 * Asks the worker whether the offline copy lacks any file (it fetches them
 * again when it can) and, if some are still missing, tells staff on screen:
 * offline, the scenes that need them would not start.
 */
async function checkCopy() {
  const worker = (await navigator.serviceWorker.ready).active;
  if (!worker) return;
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data?.type !== "checked") return;
    const { missing, repaired } = event.data;
    document.documentElement.dataset.kioskCopy = missing.length ? "incomplete" : "complete";
    document.documentElement.dataset.kioskRepaired = String(repaired);
    if (!missing.length) { document.getElementById("kiosk-copy")?.remove(); return; }
    staffNote("kiosk-copy", `For staff: the offline copy lacks ${missing.length} file${missing.length === 1 ? "" : "s"} (${missing.slice(0, 3).join(", ")}${missing.length > 3 ? ", …" : ""}). Connect the kiosk to the network once and it repairs itself.`);
  });
  worker.postMessage({ type: "check" });
}

/**
 * Pinch zoom is off in the kiosk's browser (its launch line), so the page
 * offers larger text itself: a button in the header, kept for the visit and
 * forgotten by the idle reset with everything else.
 */
function largerText() {
  const header = document.querySelector("header.site");
  if (!header || document.getElementById("larger-text")) return;
  const root = document.documentElement;
  const button = Object.assign(document.createElement("button"), { id: "larger-text", type: "button", textContent: "Larger text" });
  const set = (on) => {
    root.classList.toggle("larger-text", on);
    button.setAttribute("aria-pressed", String(on));
    try { sessionStorage.setItem("hypothetical-larger-text", on ? "1" : ""); } catch { /* storage off */ }
  };
  let on = false;
  try { on = sessionStorage.getItem("hypothetical-larger-text") === "1"; } catch { /* storage off */ }
  set(on);
  button.addEventListener("click", () => set(!root.classList.contains("larger-text")));
  header.append(button);
}

/** A line for staff at the foot of the page (role status), made once per id. */
function staffNote(id, text) {
  let note = document.getElementById(id);
  note ??= Object.assign(document.createElement("p"), { id, className: "kiosk-copy" });
  note.setAttribute("role", "status");
  note.textContent = text;
  document.body.append(note);
}

function overlay() {
  const box = document.createElement("div");
  box.id = "kiosk-overlay";
  box.className = "kiosk-overlay";
  box.hidden = true;
  box.setAttribute("role", "alertdialog");
  box.setAttribute("aria-live", "assertive");
  box.innerHTML = '<p class="kiosk-big"></p><p class="kiosk-small"></p>';
  document.body.append(box);
  return box;
}

/** Sets the page up as a kiosk. Resolves with the settings in force. */
export async function startKiosk() {
  const settings = await kioskSettings();
  const root = document.documentElement;
  root.dataset.kiosk = "true";
  keepInside();
  new MutationObserver((changes) => {
    for (const c of changes) for (const n of c.addedNodes) if (n.nodeType === 1) keepInside(n.parentNode ?? document);
  }).observe(document.body, { childList: true, subtree: true });
  addEventListener("contextmenu", (e) => e.preventDefault());
  heartbeat();
  registerOffline();

  // Staff settings that pages read.
  window.hypotheticalKiosk = settings;
  if (settings.scenes) {
    // Only names of scenes this site has count; a list that names none of
    // them would hide every card, so it falls back to all, and staff are told.
    const known = new Set([...document.querySelectorAll(".card[data-scene], header.site nav a[data-scene]")].map((e) => e.dataset.scene));
    const usable = settings.scenes.filter((s) => known.has(s));
    if (!usable.length) {
      staffNote("kiosk-scenes", `For staff: the setting scenes=“${settings.scenes.join(",").slice(0, 60)}” names none of this site's scenes (${[...known].join(", ")}); every scene is shown.`);
      settings.scenes = null;
    } else settings.scenes = usable;
  } else if (new URLSearchParams(location.search).has("scenes")) {
    staffNote("kiosk-scenes", "For staff: the setting scenes= is empty; every scene is shown.");
  }
  if (settings.scenes) {
    for (const card of document.querySelectorAll(".card[data-scene]")) card.hidden = !settings.scenes.includes(card.dataset.scene);
    for (const a of document.querySelectorAll("header.site nav a[data-scene]")) a.hidden = !settings.scenes.includes(a.dataset.scene);
  }
  largerText();
  const volume = document.getElementById("volume");
  if (volume) {
    volume.max = String(settings.volume);
    if (Number(volume.value) > settings.volume) volume.value = String(settings.volume);
  }
  const enable = document.getElementById("enable-sound");
  if (enable && !settings.sound) {
    enable.disabled = true;
    enable.textContent = "Sound is off at this kiosk";
  }

  // The attract state: the front page's scenes run by themselves, silently,
  // with “Touch to begin” until someone touches.
  const attract = isAttract();
  if (attract) {
    const begin = document.createElement("button");
    begin.type = "button";
    begin.id = "kiosk-begin";
    begin.className = "kiosk-begin";
    begin.textContent = "Touch to begin";
    document.querySelector("main")?.prepend(begin);
    const dismiss = () => { begin.hidden = true; root.dataset.attract = "false"; };
    begin.addEventListener("click", dismiss);
    root.dataset.attract = "true";
    addEventListener("pointerdown", dismiss, { once: true });
  }

  // Idle: a countdown any input cancels, then a fresh attract state.
  const box = overlay();
  let touched = false; // any input since this document opened
  let idleTimer = 0;
  let tick = 0;
  const resetTo = () => {
    try { sessionStorage.removeItem("hypothetical-larger-text"); } catch { /* storage off */ }
    location.replace(attractUrl());
  };
  const cancelCountdown = () => {
    clearInterval(tick);
    tick = 0;
    box.hidden = true;
    root.dataset.countdown = "";
  };
  const startCountdown = () => {
    // Already in the attract state with nobody's things on it: nothing to forget.
    if (attract && !touched) { armIdle(); return; }
    let left = settings.countdown;
    const show = () => {
      box.querySelector(".kiosk-big").textContent = `Starting over in ${left} s`;
      box.querySelector(".kiosk-small").textContent = "Touch anywhere to keep going. Starting over forgets any picture or sound you brought.";
      root.dataset.countdown = String(left);
    };
    box.hidden = false;
    show();
    tick = setInterval(() => {
      left -= 1;
      if (left <= 0) { clearInterval(tick); resetTo(); return; }
      show();
    }, 1000);
  };
  const armIdle = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(startCountdown, settings.idle * 1000);
  };
  const activity = () => {
    touched = true;
    if (tick) cancelCountdown();
    armIdle();
  };
  for (const type of ["pointerdown", "keydown", "wheel", "touchstart", "input"]) {
    addEventListener(type, activity, { capture: true, passive: true });
  }
  armIdle();
  root.dataset.kioskReady = "true";
  return settings;
}

if (kiosk) startKiosk();
