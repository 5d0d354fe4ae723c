// A panic inside the WebAssembly engine (a bug), injected where a real one
// would strike: in the middle of a run's step, a Dissolve frame, a Swim frame
// (src/web/mod.rs `injectPanic`). The wasm target aborts on a panic, so the
// page sees a WebAssembly.RuntimeError and, inside an async call, a promise
// that never settles. Each scene recovers without a reload (a new engine,
// the same picture or sound, a clear message); where nothing can recover
// (the front page's miniatures; a page past its recoveries) the page says so
// and offers a Reload (www/js/lib/fault.js).
import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { CONFIGS, useBrowser } from "./harness.mjs";

/** Makes the `after`-th next checkpoint of the page's engine panic. */
const injectPanic = (page, after) => page.evaluate(async (n) => (await import("/pkg/hypothetical.js")).injectPanic(n), after);
const message = (page) => page.textContent("#message");

for (const config of CONFIGS) {
  describe(`An engine panic, recovered (${config.name})`, () => {
    const session = useBrowser({ args: config.args });
    session.expect(/injected fault in/, "the panic message, printed by the panic hook");
    session.expect(/^unreachable/, "the abort of the injected panic, seen by the page");
    after(() => assert.deepEqual(session.problems, []));

    async function open(file, hash = "") {
      const page = await session.fresh();
      await page.goto(`${session.origin}/${file}${config.query}${hash ? `#${hash}` : ""}`);
      await page.waitForSelector("html[data-ready=true]", { timeout: 120_000 });
      return page;
    }

    test("a generation stopped mid-run by a panic says so, and Generate works again with a new engine", async () => {
      const page = await open("generate.html", "scene=recognize&tag=flower&denoiser=archive&steps=12&size=32&seed=7");
      await injectPanic(page, 4);
      await page.click("#generate");
      await page.waitForSelector("html[data-generated=failed]", { state: "attached", timeout: 120_000 });
      assert.match(await message(page), /^Sampling stopped: the engine stopped on an internal error .*A new engine has started: Generate again\.$/);
      assert.equal(await page.getAttribute("html", "data-engine-faults"), "1");
      assert.match(await page.textContent("#progress-text"), /^Stopped after step [1-5]; its steps went with the engine that stopped\.$/);
      assert.equal(await page.isDisabled("#generate"), false);
      await page.click("#generate");
      await page.waitForSelector("html[data-generated=done]", { state: "attached", timeout: 120_000 });
      assert.equal(await page.textContent("#progress-text"), "Finished: 12 steps.");
      assert.equal(await page.$("#engine-reload"), null, "no Reload is offered when the scene recovered");
    });

    test("a Dissolve frame stopped by a panic is drawn again by a new engine, with the same picture", async () => {
      const page = await open("dissolve.html", "image=zone-plate&t=100");
      await page.waitForFunction(() => document.getElementById("view").dataset.rendered?.endsWith("|100|cosine|7"));
      const before = await page.evaluate(() => [...document.getElementById("view").getContext("2d").getImageData(0, 0, 64, 64).data].join());
      await injectPanic(page, 0);
      await page.fill("#t", "400");
      await page.waitForFunction(() => document.getElementById("view").dataset.rendered?.endsWith("|400|cosine|7"), null, { timeout: 60_000 });
      assert.match(await message(page), /^A frame stopped: the engine stopped on an internal error .*A new engine has started with the same picture\.$/);
      // The new engine draws the same frames as before: back at t = 100, the same pixels.
      await page.fill("#t", "100");
      await page.waitForFunction(() => document.getElementById("view").dataset.rendered?.endsWith("|100|cosine|7"));
      const again = await page.evaluate(() => [...document.getElementById("view").getContext("2d").getImageData(0, 0, 64, 64).data].join());
      assert.equal(again, before);
    });

    test("a Sounds Like Music run stopped by a panic keeps its sound, and Generate works again", async () => {
      const page = await open("sound.html", "denoiser=archive&steps=10&t=300");
      const source = await page.getAttribute("html", "data-source");
      await injectPanic(page, 2);
      await page.click("#generate");
      await page.waitForFunction(() => /^Sampling stopped: the engine stopped/.test(document.getElementById("message").textContent), null, { timeout: 120_000 });
      assert.match(await message(page), /A new engine has started with the same sound: Generate again\.$/);
      await page.waitForFunction(() => /^Stopped after step [1-3] of 10; its steps went with the engine that stopped\.$/.test(document.getElementById("progress-text").textContent));
      assert.equal(await page.getAttribute("html", "data-source"), source);
      await page.click("#generate");
      await page.waitForSelector("html[data-generated=done]", { state: "attached", timeout: 120_000 });
      assert.match(await page.textContent("#progress-text"), /^Finished: 10 steps\./);
    });

    test("a Swim frame stopped by a panic: the pictures start again and the piece goes on", async () => {
      const page = await open("swim.html", "minutes=1");
      // After the background is made (the patch machine's part is made while the page is ready).
      await page.waitForFunction(() => window.__swim.state.pictures.backgroundCount() === 6, null, { timeout: 120_000 });
      const frames = Number(await page.getAttribute("#view", "data-frames"));
      await injectPanic(page, 0);
      await page.fill("#seek", "20");
      await page.dispatchEvent("#seek", "input");
      await page.waitForFunction((n) => Number(document.getElementById("view").dataset.frames) > n, frames);
      assert.match(await message(page), /^A frame stopped: the engine stopped on an internal error .*The pictures have started again; the sound plays on\.$/);
      const tau = Number(await page.getAttribute("#view", "data-tau"));
      assert.ok(Math.abs(tau - 20 / 60) < 0.01, `the frame drawn is the one asked for (τ = ${tau})`);
    });

    test("a panic nothing recovers from (the front page's miniatures) is said, with a Reload that keeps the address", async () => {
      const page = await open("");
      await injectPanic(page, 0);
      await page.waitForSelector("#engine-reload", { timeout: 60_000 });
      assert.match(await page.textContent("#mini-note"), /^The miniatures stopped on an internal error \(a bug; the browser's console has its details\)\. Reload the page/);
      await Promise.all([page.waitForEvent("load"), page.click("#engine-reload")]);
      await page.waitForSelector("html[data-ready=true]");
      assert.equal(await page.$("#engine-reload"), null);
    });

    test("after three recoveries a fourth panic asks for a reload instead", async () => {
      const page = await open("generate.html", "scene=recognize&tag=flower&denoiser=archive&steps=6&size=32&seed=7");
      for (let k = 1; k <= 4; k++) {
        await injectPanic(page, 1);
        await page.click("#generate");
        await page.waitForSelector("html[data-generated=failed]", { state: "attached", timeout: 120_000 });
        await page.waitForFunction((n) => document.documentElement.dataset.engineFaults === String(n), k);
        if (k < 4) {
          assert.equal(await page.$("#engine-reload"), null, `fault ${k} is recovered from`);
          await page.evaluate(() => { delete document.documentElement.dataset.generated; });
        }
      }
      await page.waitForSelector("#engine-reload");
      assert.match(await message(page), /^The scene stopped on an internal error/);
    });
  });
}
