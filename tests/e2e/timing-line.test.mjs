// The timing line shown after a run (www/js/lib/timing-line.js), in Node: the
// steps' time and where they ran, and who made the CPU steps in each case the
// pages meet (no workers, workers that finished, and workers that failed at
// the first step, after one step and after several).
import { describe, test } from "node:test";
import assert from "node:assert/strict";

import { describeStepTimes, describeWorkers, pace, timeLeftWords } from "../../www/js/lib/timing-line.js";

const patch = ["CPU patch step", "CPU patch steps"];
const sound = ["CPU step", "CPU steps"];

describe("The timing line", () => {
  test("the steps' count, total and mean, and where they ran", () => {
    const cpu = [{ ms: 100, backend: "cpu" }, { ms: 300, backend: "cpu" }];
    assert.equal(describeStepTimes(cpu, 450), "2 steps in 0.5 s, 200.0 ms per step on the CPU");
    const mixed = [{ ms: 40, backend: "gpu" }, ...cpu];
    assert.equal(describeStepTimes(mixed, 500), "3 steps in 0.5 s, 146.7 ms per step (1 on WebGPU, 2 on the CPU)");
    assert.equal(describeStepTimes([{ ms: 40, backend: "gpu" }], 40), "1 step in 0.0 s, 40.0 ms per step on WebGPU");
  });

  test("a run without workers adds nothing, and finished workers are counted", () => {
    assert.equal(describeWorkers({}, patch), "");
    assert.equal(describeWorkers({ workers: 2 }, patch), "; the CPU patch steps shared by 2 Web Workers");
    assert.equal(describeWorkers({ workers: 1, workerSteps: 5 }, sound), "; the CPU steps shared by 1 Web Worker");
  });

  test("workers that failed say how many steps they made, in the singular for one", () => {
    assert.equal(
      describeWorkers({ workers: 2, workersFailed: true }, patch),
      "; the Web Workers failed, so the page's own thread made the CPU patch steps",
    );
    assert.equal(
      describeWorkers({ workers: 2, workerSteps: 1, workersFailed: true }, sound),
      "; 2 Web Workers shared the first CPU step, then failed; the page's own thread made the rest",
    );
    assert.equal(
      describeWorkers({ workers: 3, workerSteps: 4, workersFailed: true }, patch),
      "; 3 Web Workers shared the first 4 CPU patch steps, then failed; the page's own thread made the rest",
    );
  });

  test("the time left waits for a whole step on the path that runs, and says what it rests on", () => {
    const step = (index, done, backend, at) => ({ index, work: [done, 100], backend, at });
    let p = pace(null, { at: 0 });
    assert.equal(timeLeftWords(p), "", "nothing before the first step");
    p = pace(p, step(1, 10, "cpu", 2000));
    assert.equal(timeLeftWords(p), " · about 18 s left, estimated from 1 step on this device");
    assert.deepEqual([p.estimate, p.estimatedAt], [20, 1]);
    p = pace(p, step(3, 30, "cpu", 3000));
    assert.equal(timeLeftWords(p), " · about 7 s left, estimated from 3 steps on this device");
    assert.equal(timeLeftWords(pace(p, step(10, 100, "cpu", 9000))), "", "nothing left");
    // A slow first step on WebGPU, then the CPU: the pace is the CPU's alone.
    let q = pace(null, { at: 0 });
    q = pace(q, step(1, 10, "gpu", 30_000));
    q = pace(q, step(2, 20, "cpu", 31_000));
    assert.equal(timeLeftWords(q), "", "the path changed: no CPU step measured yet");
    q = pace(q, step(3, 30, "cpu", 32_000));
    assert.equal(timeLeftWords(q), " · about 7 s left, estimated from 1 step on this device");
    // The whole run's estimate is remade at the CPU's pace: 31 s passed, then 8 s for the 80 pairs left.
    assert.deepEqual([q.estimate, q.estimatedAt], [39, 3]);
  });
});
