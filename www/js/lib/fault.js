// A fault in the WebAssembly engine: a panic in the Rust (a bug) aborts, and
// the page sees a `WebAssembly.RuntimeError` ("unreachable"), thrown to the
// caller of a synchronous call or, inside an async call, to the page as an
// uncaught error while the call's promise never settles. The engine object
// that was at work may be left unusable; the module itself goes on working,
// so a scene recovers by making a new engine object (`race` ends the wait
// for the promise that will never settle). A scene that cannot recover, or a
// fault outside any scene's work, gets `onUnhandled`'s message: what happened,
// and a Reload button that keeps the scene's address (the kiosk reloads by
// itself). After MAX_RECOVERIES faults a page stops recovering: each abort
// leaves a little of the engine's stack and memory behind.
import { testing } from "./test-hooks.js";

/** Faults a page recovers from before it asks for a reload. */
export const MAX_RECOVERIES = 3;
/** Seconds before an unattended kiosk reloads a page whose engine failed. */
const KIOSK_RELOAD_S = 10;

/** What a scene says of an engine fault, in its own sentence. */
export const FAULT_WORDS = "the engine stopped on an internal error (a bug; the browser's console has its details)";

/** An engine fault, as the scenes see it (`cause`: the RuntimeError). */
export class EngineFault extends Error {
  constructor(cause) {
    super(FAULT_WORDS);
    this.name = "EngineFault";
    this.cause = cause;
  }
}

/** Whether `e` is a fault of the engine rather than an error it reported. */
export const isEngineFault = (e) => e instanceof EngineFault || e instanceof WebAssembly.RuntimeError
  // After a fault inside one of its methods, an engine object refuses further calls with this.
  || /recursive use of an object detected/.test(String(e?.message ?? ""));

let faults = 0;
let rejectWaiting = null;
let waiting = null;
let handled = false;
let unhandled = null;

/** A promise that rejects with an EngineFault at the next fault. */
function nextFault() {
  if (!waiting) {
    waiting = new Promise((_, reject) => { rejectWaiting = reject; });
    waiting.catch(() => {});
  }
  return waiting;
}

/** Counts a fault (the tests read the count on the page). */
function count() {
  faults += 1;
  document.documentElement.dataset.engineFaults = String(faults);
}

function noteFault(error) {
  count();
  handled = false;
  const reject = rejectWaiting;
  waiting = null;
  rejectWaiting = null;
  reject?.(new EngineFault(error));
  // A scene that was waiting claims the fault (`recovered`) in this task's
  // microtasks; one that was not gets the page's message after them.
  setTimeout(() => { if (!handled) unhandled?.(error); }, 0);
}

addEventListener("error", (e) => {
  if (!isEngineFault(e.error)) return;
  e.preventDefault();
  noteFault(e.error);
});
addEventListener("unhandledrejection", (e) => {
  if (!isEngineFault(e.reason)) return;
  e.preventDefault();
  if (!(e.reason instanceof EngineFault)) noteFault(e.reason);
});

/** `promise` (a call into the engine), or an EngineFault when the engine faults first. */
export function race(promise) {
  return Promise.race([promise, nextFault()]);
}

/**
 * Called by a scene that caught `e` from its engine: true when `e` is an
 * engine fault and the scene may recover (make a new engine), false when it
 * is an ordinary error or the page has had too many faults (then the page's
 * message is shown).
 */
export function recovered(e) {
  if (!isEngineFault(e)) return false;
  if (e instanceof WebAssembly.RuntimeError) {
    // Thrown straight to the caller (a synchronous call): count it here.
    count();
  }
  handled = true;
  // Past the limit: the page's message, after the scene's own words for the failure.
  if (faults > MAX_RECOVERIES) { setTimeout(() => unhandled?.(e), 0); return false; }
  return true;
}

/**
 * Called by a page that caught `e` from its engine and does not recover (the
 * front page's miniatures): an engine fault is counted and gets the page's
 * message (`onUnhandled`). Returns whether `e` was one.
 */
export function unrecovered(e) {
  if (!isEngineFault(e)) return false;
  if (e instanceof WebAssembly.RuntimeError) count();
  handled = true;
  setTimeout(() => unhandled?.(e), 0);
  return true;
}

/**
 * What the page does with a fault no scene recovered from: `show(text)` puts
 * the message where the visitor looks; a Reload button goes after `place`.
 * `what` names what stopped ("The scene").
 */
export function onUnhandled(show, place, what = "The scene") {
  unhandled = () => {
    if (document.getElementById("engine-reload")) return;
    const kiosk = new URLSearchParams(location.search).has("kiosk");
    show(kiosk
      ? `${what} stopped on an internal error; starting again in ${KIOSK_RELOAD_S} s.`
      : `${what} stopped on an internal error (a bug; the browser's console has its details). Reload the page to start again: the address keeps your settings, though not a file of your own.`);
    const button = document.createElement("button");
    button.type = "button";
    button.id = "engine-reload";
    button.textContent = "Reload the page";
    button.addEventListener("click", () => location.reload());
    place?.after(button);
    document.documentElement.dataset.engineStopped = "true";
    if (kiosk && !testing) setTimeout(() => location.reload(), KIOSK_RELOAD_S * 1000);
  };
}
