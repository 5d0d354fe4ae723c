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
 * The time left of a run, from the steps it has finished: the work of the
 * whole steps done (`work` = [pairs done, pairs in all], counted when the
 * last whole step ended) and the time they took. Nothing is said before the
 * first step is finished: a tenth of a second of a step, extrapolated, was
 * off by 5× (a 12 s track estimated at 1 s took 5.2 s). While steps remain
 * the line says it is an estimate and what it rests on.
 */
export function timeLeftWords({ stepsDone, workDone, workAll, elapsedMs }) {
  if (!(stepsDone >= 1) || !(workDone > 0) || workAll <= workDone) return "";
  const left = ((elapsedMs / workDone) * (workAll - workDone)) / 1000;
  const basis = stepsDone === 1 ? "the first step" : `the first ${stepsDone} steps`;
  return left >= 1 ? ` · about ${left.toFixed(0)} s left, estimated from ${basis} on this device` : "";
}
