// How a scene page starts, the same on every page: the wasm, the archive's
// manifest, the choice of path, the controls' limits, the scene's engine, the
// status line, and the `data-ready` flag the tests wait for. A failure to
// start is said on the page, not only in the console.
import init, { samplerLimits } from "../../pkg/hypothetical.js";
import { chooseBackend, showBackend } from "./backend.js";
import { applyLimits } from "./limits.js";
import { onUnhandled } from "./fault.js";

/**
 * Starts a scene. `kind` ("image", "sound", or null) filters the manifest;
 * `create(preferGpu, manifestText)` makes the engine (a wasm scene object);
 * `timesKernels`: the engine has a `calibrate` switch for its run's kernels.
 * Returns `{ engine, choice, items, manifestText, limits, remake }`;
 * `remake()` makes a new engine the same way (after an engine fault, lib/fault.js).
 */
export async function startScene({ ui, kind = null, create, timesKernels = kind !== null }) {
  await init();
  const manifestText = kind ? await (await fetch("archive/manifest.json")).text() : null;
  const items = manifestText ? manifestItems(manifestText).filter((i) => i.kind === kind) : [];
  // ?cpu and ?gpu force a path; otherwise a software adapter is not used.
  const choice = await chooseBackend();
  const limits = samplerLimits();
  applyLimits(ui, limits);
  const remake = async () => {
    const engine = await create(choice.preferGpu, manifestText);
    // A forced path is not second-guessed by timing it (src/backend/calibration.rs).
    if (timesKernels) engine.calibrate = !choice.forced;
    showBackend(ui.backend, engine, choice);
    return engine;
  };
  const engine = await remake();
  return { engine, choice, items, manifestText, limits, remake };
}

/** The archive's items from its list, or an error that says what is wrong with the list. */
function manifestItems(text) {
  let parsed;
  try { parsed = JSON.parse(text); } catch (e) { throw new Error(`the archive's list (archive/manifest.json) is not valid JSON (${e.message})`); }
  if (!Array.isArray(parsed?.items)) throw new Error("the archive's list (archive/manifest.json) holds no list of items");
  return parsed.items;
}

/** Runs a page's `main`; on failure says so where the visitor looks, then marks the page ready. */
export function runPage(main, { ui, showMessage }) {
  // An engine fault no scene recovers from is said in the message line, with a Reload button.
  onUnhandled((text) => showMessage(text, "error"), ui.message);
  main()
    .then(() => { document.documentElement.dataset.ready = "true"; })
    .catch((e) => {
      console.error(e);
      const why = String(e?.message ?? e);
      showMessage(`This scene could not start: ${why.length > 300 ? `${why.slice(0, 300)}…` : why}. Reload the page to try again.`, "error");
      if (ui.backend) ui.backend.textContent = "Not running";
    });
}
