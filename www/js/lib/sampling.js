// Stepping a scene's run (the core's `Run`, through Generator or SoundScene)
// with the browser kept responsive, and the timing line shown after a run.
import { race } from "./fault.js";

/** Resolves after the browser has had a turn (input, painting). */
export const nextTask = () => new Promise((r) => setTimeout(r, 0));

/**
 * Steps `engine` until its run is done or `run.cancelled` is set. Each
 * finished step goes to `onStep(report, ms)`; a CPU patch step still in
 * progress goes to `onPartial(report)`. Returns the last finished report
 * (null if none); errors propagate, an engine fault as an EngineFault
 * (lib/fault.js) rather than a wait that never ends.
 */
export async function sampleSteps(engine, run, { onStep, onPartial = () => {} }) {
  let last = null;
  let t0 = performance.now();
  while (!run.cancelled) {
    const report = await race(engine.step());
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

/** “N steps in S s, M ms per step on WebGPU” from `[{ms, backend}]` of one run. */
export function describeStepTimes(times, totalMs) {
  const n = times.length;
  const mean = times.reduce((a, b) => a + b.ms, 0) / Math.max(1, n);
  const onGpu = times.filter((r) => r.backend === "gpu").length;
  const where = onGpu === n ? "on WebGPU" : onGpu === 0 ? "on the CPU" : `(${onGpu} on WebGPU, ${n - onGpu} on the CPU)`;
  return `${n} steps in ${(totalMs / 1000).toFixed(1)} s, ${mean.toFixed(1)} ms per step ${where}`;
}

/**
 * Who made a run's CPU steps (`what`, e.g. "CPU patch steps"), as the end of
 * the timing line: the Web Workers, or, if they failed during the run, how
 * many steps they shared before the page's own thread took over.
 */
export function describeWorkers({ workers = 0, workerSteps = 0, workersFailed = false }, what) {
  const shared = `${workers} Web Worker${workers === 1 ? "" : "s"}`;
  if (!workersFailed) return workers ? `; the ${what} shared by ${shared}` : "";
  if (!workerSteps) return `; the Web Workers failed, so the page's own thread made the ${what}`;
  return `; ${shared} shared the first ${workerSteps} ${what.replace(/s$/, "")}${workerSteps === 1 ? "" : "s"}, then failed; the page's own thread made the rest`;
}
