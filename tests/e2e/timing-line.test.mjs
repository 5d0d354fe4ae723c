// The timing line shown after a run (www/js/lib/timing-line.js), in Node: the
// steps' time and where they ran, and who made the CPU steps in each case the
// pages meet (no workers, workers that finished, and workers that failed at
// the first step, after one step and after several).
import { describe, test } from "node:test";
import assert from "node:assert/strict";

import { describeStepTimes, describeWorkers, timeLeftWords } from "../../www/js/lib/timing-line.js";

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

  test("the time left waits for a whole step and then says what it rests on", () => {
    // Before the first step ends there is no estimate at all.
    assert.equal(timeLeftWords({ stepsDone: 0, workDone: 10, workAll: 100, elapsedMs: 500 }), "");
    assert.equal(timeLeftWords({ stepsDone: 1, workDone: 10, workAll: 100, elapsedMs: 2000 }), " · about 18 s left, estimated from the first step on this device");
    assert.equal(timeLeftWords({ stepsDone: 3, workDone: 30, workAll: 100, elapsedMs: 3000 }), " · about 7 s left, estimated from the first 3 steps on this device");
    assert.equal(timeLeftWords({ stepsDone: 3, workDone: 100, workAll: 100, elapsedMs: 3000 }), "");
  });
});

