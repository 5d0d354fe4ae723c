// The timing line shown after a run, from its numbers: how long the steps
// took and where, and who made its CPU steps. Pure functions (no page, no
// engine), so that Node tests them as they are (tests/e2e/timing-line.test.mjs).

/** “N steps in S s, M ms per step on WebGPU” from `[{ms, backend}]` of one run. */
export function describeStepTimes(times, totalMs) {
  const n = times.length;
  const mean = times.reduce((a, b) => a + b.ms, 0) / Math.max(1, n);
  const onGpu = times.filter((r) => r.backend === "gpu").length;
  const where = onGpu === n ? "on WebGPU" : onGpu === 0 ? "on the CPU" : `(${onGpu} on WebGPU, ${n - onGpu} on the CPU)`;
  return `${n} step${n === 1 ? "" : "s"} in ${(totalMs / 1000).toFixed(1)} s, ${mean.toFixed(1)} ms per step ${where}`;
}

/**
 * Who made a run's CPU steps (`[one, many]`, the phrase in the singular and
 * the plural, e.g. ["CPU patch step", "CPU patch steps"]), as the end of the
 * timing line: the Web Workers, or, if they failed during the run, how many
 * steps they shared before the page's own thread took over.
 */
export function describeWorkers({ workers = 0, workerSteps = 0, workersFailed = false }, [one, many]) {
  const shared = `${workers} Web Worker${workers === 1 ? "" : "s"}`;
  if (!workersFailed) return workers ? `; the ${many} shared by ${shared}` : "";
  if (!workerSteps) return `; the Web Workers failed, so the page's own thread made the ${many}`;
  const steps = workerSteps === 1 ? `first ${one}` : `first ${workerSteps} ${many}`;
  return `; ${shared} shared the ${steps}, then failed; the page's own thread made the rest`;
}

/**
 * A run's pace, from the whole steps it has finished: `pace(null, start)` at
 * the start, then `pace(p, {index, work: [pairs done, pairs in all],
 * backend, at})` after each step. The pace is measured from the last change
 * of path (a step on WebGPU, then the rest on the CPU, is not extrapolated
 * from the GPU step), so nothing is said until a whole step has run on the
 * path that runs now. A tenth of a second of a step, extrapolated, was off
 * by 5× (a 12 s track estimated at 1 s took 5.2 s).
 */
export function pace(p, step) {
  if (!p) return { base: { index: 0, work: 0, at: step.at, backend: null }, steps: 0, workDone: 0, workAll: 0, elapsedMs: 0, startedAt: step.at, estimate: null, estimatedAt: 0 };
  const base = p.base.backend === null || p.base.backend === step.backend
    ? { ...p.base, backend: step.backend }
    : { index: step.index, work: step.work[0], at: step.at, backend: step.backend };
  const next = { ...p, base, steps: step.index - base.index, workDone: step.work[0] - base.work, workAll: step.work[1] - base.work, elapsedMs: step.at - base.at };
  // A new path: an estimate made at the old one's pace no longer holds.
  if (base !== p.base && base.index === step.index) next.estimate = null;
  // The whole run's time, once per path: what has passed plus the rest at this path's pace.
  if (next.estimate === null && next.steps >= 1 && next.workDone > 0) {
    next.estimate = (base.at - p.startedAt + (next.elapsedMs / next.workDone) * next.workAll) / 1000;
    next.estimatedAt = step.index;
  }
  return next;
}

/** “ · about 40 s left, estimated from 2 steps on this device”, or "" before a step on this path is done. */
export function timeLeftWords({ steps, workDone, workAll, elapsedMs }) {
  if (!(steps >= 1) || !(workDone > 0) || workAll <= workDone) return "";
  const left = ((elapsedMs / workDone) * (workAll - workDone)) / 1000;
  return left >= 1 ? ` · about ${left.toFixed(0)} s left, estimated from ${steps === 1 ? "1 step" : `${steps} steps`} on this device` : "";
}
