// Stepping a scene's run (the core's `Run`, through Generator or SoundScene)
// with the browser kept responsive (the timing line shown after a run is
// timing-line.js).
import { race } from "./fault.js";

/** Resolves after the browser has had a turn (input, painting). */
export const nextTask = () => new Promise((r) => setTimeout(r, 0));

/**
 * Steps `engine` until its run is done or `run.cancelled` is set. Each
 * finished step goes to `onStep(report, ms)`; a CPU patch step still in
 * progress goes to `onPartial(report)`; a cascade that needs pictures
 * (`report.needs`) gets them from `engine.supply(ids)`. Returns the last finished report
 * (null if none); errors propagate, an engine fault as an EngineFault
 * (lib/fault.js) rather than a wait that never ends.
 */
export async function sampleSteps(engine, run, { onStep, onPartial = () => {} }) {
  let last = null;
  let t0 = performance.now();
  while (!run.cancelled) {
    const report = await race(engine.step());
    if (report.needs) {
      await engine.supply(report.needs);
      continue;
    }
    if (report.partial) {
      onPartial(report);
      await nextTask();
      continue;
    }
    last = report;
    onStep(report, performance.now() - t0);
    if (report.done) break;
    await nextTask();
    t0 = performance.now();
  }
  return last;
}
