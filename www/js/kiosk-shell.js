// The kiosk's shell (kiosk.html): the site in a full-screen frame, opened on
// the front page in kiosk mode (?kiosk, plus this page's own query: idle=…,
// cpu …), and a watchdog. Every page in kiosk mode sends a heartbeat from
// its animation frames (www/js/lib/kiosk.js); a page that sends none for
// STALL_MS (hung, crashed, or blank after a lost device) is reloaded on the
// attract state, with no staff needed. Reloads are counted in the frame's
// data-reloads (the browser tests read it).

/** A page silent this long is taken as stalled (milliseconds); ?watchdog=S sets it (10 s at least). */
const STALL_MS = 1000 * Math.max(10, Number(new URLSearchParams(location.search).get("watchdog")) || 30);
/** How often the watchdog looks (milliseconds). */
const LOOK_MS = 2_000;

const frame = document.getElementById("stage");
const own = new URLSearchParams(location.search);
own.delete("watchdog");
own.set("kiosk", "");
const start = `./?${own.toString().replace(/=(&|$)/g, "$1")}`;
let lastBeat = performance.now();

function open(url) {
  lastBeat = performance.now();
  frame.src = url;
}

addEventListener("message", (e) => {
  if (e.origin !== location.origin || e.source !== frame.contentWindow) return;
  if (e.data?.hypothetical === "heartbeat") lastBeat = performance.now();
});

setInterval(() => {
  if (performance.now() - lastBeat > STALL_MS) {
    frame.dataset.reloads = String(Number(frame.dataset.reloads ?? 0) + 1);
    console.warn("Hypothetical kiosk: the page stopped answering; starting it again");
    open(start);
  }
}, LOOK_MS);

open(start);
