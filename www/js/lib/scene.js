// How a scene page starts, the same on every page: the wasm, the archive's
// manifest, the choice of path, the controls' limits, the scene's engine, the
// status line, and the `data-ready` flag the tests wait for. A failure to
// start is said on the page, not only in the console.
import init, { samplerLimits } from "../../pkg/hypothetical.js";
import { chooseBackend, showBackend } from "./backend.js";
import { applyLimits } from "./limits.js";

/**
 * Starts a scene. `kind` ("image", "sound", or null) filters the manifest;
 * `create(preferGpu, manifestText)` makes the engine (a wasm scene object);
 * `timesKernels`: the engine has a `calibrate` switch for its run's kernels.
 * Returns `{ engine, choice, items, manifestText, limits }`.
 */
export async function startScene({ ui, kind = null, create, timesKernels = kind !== null }) {
  await init();
  const manifestText = kind ? await (await fetch("archive/manifest.json")).text() : null;
  const items = manifestText ? JSON.parse(manifestText).items.filter((i) => i.kind === kind) : [];
  // ?cpu and ?gpu force a path; otherwise a software adapter is not used.
  const choice = await chooseBackend();
  const limits = samplerLimits();
  applyLimits(ui, limits);
  const engine = await create(choice.preferGpu, manifestText);
  // A forced path is not second-guessed by timing it (src/backend/calibration.rs).
  if (timesKernels) engine.calibrate = !choice.forced;
  showBackend(ui.backend, engine, choice);
  return { engine, choice, items, manifestText, limits };
}

/** Runs a page's `main`; on failure says so where the visitor looks, then marks the page ready. */
export function runPage(main, { ui, showMessage }) {
  main()
    .then(() => { document.documentElement.dataset.ready = "true"; })
    .catch((e) => {
      console.error(e);
      showMessage(`This scene could not start: ${e?.message ?? e}`, "error");
      if (ui.backend) ui.backend.textContent = "Not running";
    });
}
