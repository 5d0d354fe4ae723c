// The generation scenes ("Recognize", "Ask for noise", "The average") in
// headless Chromium, with WebGPU (SwiftShader) and with the CPU fallback.
// Short generations only: SwiftShader runs the kernels on the CPU.
import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import { CONFIGS, SHOTS, assertAccessible, useBrowser, openSettings } from "./harness.mjs";
import { join } from "node:path";
import { inflateSync } from "node:zlib";

/** The tEXt and iTXt chunks of a PNG as {keyword: text}. */
function pngText(bytes) {
  const out = {};
  for (let at = 8; at + 12 <= bytes.length;) {
    const len = bytes.readUInt32BE(at);
    const type = bytes.toString("latin1", at + 4, at + 8);
    const data = bytes.subarray(at + 8, at + 8 + len);
    const nul = data.indexOf(0);
    if (type === "tEXt") out[data.toString("latin1", 0, nul)] = data.toString("latin1", nul + 1);
    if (type === "iTXt") {
      const compressed = data[nul + 1] === 1;
      let rest = nul + 3;
      rest = data.indexOf(0, rest) + 1; // language tag
      rest = data.indexOf(0, rest) + 1; // translated keyword
      const body = data.subarray(rest);
      out[data.toString("latin1", 0, nul)] = (compressed ? inflateSync(body) : body).toString("utf8");
    }
    at += 12 + len;
  }
  return out;
}

for (const config of CONFIGS) {
  describe(`Generation scenes with ${config.name}`, () => {
    const shot = (name) => page.screenshot({ path: join(SHOTS, `${config.name}-generate-${name}.png`), fullPage: true });

    async function open(hash) {
      page = await session.fresh();
      await page.goto(`${origin}/generate.html${config.query}#${hash}`);
      await page.waitForSelector("html[data-ready=true]", { timeout: 120_000 });
    }
    async function generateAndWait() {
      await page.evaluate(() => { delete document.documentElement.dataset.generated; });
      await page.click("#generate");
      await page.waitForSelector("html[data-generated]", { state: "attached", timeout: 300_000 });
      return page.getAttribute("html", "data-generated");
    }
    const perStep = () => page.textContent("#perf");
    const FLOWER_64 = "scene=recognize&tag=flower&denoiser=archive&steps=20&seed=7&size=64&guidance=1";

    const session = useBrowser({ args: config.args, viewport: { width: 1280, height: 1100 }, acceptDownloads: true });
    const problems = session.problems;
    let page, origin;
    before(async () => {
      ({ page, origin } = session);
    });

    test("Recognize: the archive denoiser memorises a flower and the recogniser becomes certain", async () => {
      await open(FLOWER_64);
      assert.equal(await page.getAttribute("#backend", "data-kind"), config.backend, await page.textContent("#backend"));
      // Before Generate: the seeded x_T the run starts from, and the recogniser's prior, not black squares
      // (at 64 px over thousands of items the archive denoiser is a cascade: x_T is drawn at its first stage's 32 px).
      await page.waitForSelector("#recogniser[data-state=prior]", { timeout: 120_000 });
      assert.match(await page.textContent("#step-out"), /first stage of the 64 px cascade/);
      const spread = await page.$eval("#xt", (c) => {
        const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        let lo = 255, hi = 0;
        for (let i = 0; i < d.length; i += 4) { lo = Math.min(lo, d[i]); hi = Math.max(hi, d[i]); }
        return [c.width, hi - lo];
      });
      assert.deepEqual([spread[0], spread[1] > 200], [32, true], `x_T is noise: ${spread}`);
      assert.equal(await page.getAttribute("#recogniser", "data-state"), "prior");
      assert.ok(await page.locator("#recogniser li").count() >= 3);
      assert.match(await page.textContent("#recogniser-sentence"), /shows its prior.*“flower” starts at 0\.\d{3}/);
      // Disabled controls look it: Cancel and Download are not dressed as Generate.
      const look = (sel) => page.$eval(sel, (b) => { const c = getComputedStyle(b); return [b.disabled, Number(c.opacity) < 0.7, c.cursor]; });
      assert.deepEqual(await look("#cancel"), [true, true, "not-allowed"]);
      assert.deepEqual(await look("#download"), [true, true, "not-allowed"]);
      assert.deepEqual(await look("#generate"), [false, false, "pointer"]);
      assert.equal(await generateAndWait(), "done");
      // It followed the whole archive's posterior at 32 px, then the 64 items ranked highest at 64 px.
      assert.match(await page.textContent("#approx"), /the archive denoiser works as a cascade.*keeps the 64 of the \d+ items.*At the handover the items kept held (all but less than 0\.001 %|99\.9\d\d %) of the posterior\./);
      assert.equal(await page.evaluate(() => window.__generator.edge), 64);
      const history = await page.evaluate(() => window.__generator.tagHistory("flower"));
      assert.equal(history.length, 20);
      // Each bar is the probability that its caption applies: certain of a flower
      // item, the recogniser gives "flower" (and the item's other tags) about 1.
      assert.ok(history[19] > 0.99, `p(flower applies) at the last step: ${history[19]}`);
      assert.ok(history[19] > history[0], "the recogniser's confidence rises");
      const bars = await page.evaluate(() => window.__generator.recogniser(20, 100));
      assert.ok(bars.every((b) => b.p >= 0 && b.p <= 1 + 1e-6), "each bar is a probability");
      assert.ok(bars.filter((b) => b.p > 0.99).length >= 2, "an item's mass counts fully for each of its tags");
      const prior = await page.evaluate(() => window.__generator.tagPrior("flower"));
      const manifest = await page.evaluate(async () => (await (await fetch("archive/manifest.json")).json()).items.filter((i) => i.kind === "image"));
      const share = manifest.filter((i) => i.tags.includes("flower")).length / manifest.length;
      assert.ok(Math.abs(prior - share) < 1e-4, `flower's prior is its share of the archive (${prior}, ${share})`);
      assert.equal(await page.locator("#recogniser li .prior").count(), 5, "each bar marks its prior");
      assert.match(await page.textContent("#recogniser-sentence"), /starts out believing the archive's proportions/);
      const width = await page.$eval("#recogniser li.chosen .fill", (el) => el.getBoundingClientRect().width);
      assert.ok(width > 10, `the chosen tag's bar is drawn (${width} px)`);
      // The bar chart shows the chosen tag, and provenance names one archive flower with weight ≈ 1.
      assert.ok(await page.isVisible("#recogniser li.chosen"));
      const first = await page.getAttribute("#provenance li:first-child", "data-id");
      const item = await page.evaluate(async (id) => (await (await fetch("archive/manifest.json")).json()).items.find((i) => i.id === id), first);
      assert.ok(item.tags.includes("flower"), `${first} is a flower`);
      assert.match(await page.textContent("#provenance li:first-child .share"), /weight (1\.000|0\.99)/);
      assert.match(await page.textContent("#provenance li:first-child .credit"), new RegExp(item.creator.slice(0, 10).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
      console.log(`[timing] ${config.name} archive 64 px: ${await perStep()}`);
      await shot("recognize-archive");
    });

    test("the same seed gives the same image again; scrubbing shows earlier steps", async () => {
      await open(FLOWER_64);
      assert.equal(await generateAndWait(), "done");
      const final1 = await page.evaluate(() => Array.from(window.__generator.frame(0, "result")));
      assert.equal(await generateAndWait(), "done");
      const final2 = await page.evaluate(() => Array.from(window.__generator.frame(0, "result")));
      assert.deepEqual(final2, final1);
      await page.focus("#scrub");
      await page.keyboard.press("Home");
      assert.match(await page.textContent("#step-out"), /^1 of 20/);
      const first = await page.evaluate(() => Array.from(document.getElementById("x0").getContext("2d").getImageData(0, 0, 64, 64).data));
      assert.notDeepEqual(first, final1, "step 1's guess is not the result");
    });

    test("the download is a PNG carrying its provenance as text", async () => {
      await open(FLOWER_64);
      assert.equal(await generateAndWait(), "done");
      const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
      const path = await download.path();
      const { readFileSync } = await import("node:fs");
      const bytes = readFileSync(path);
      assert.deepEqual([...bytes.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
      const text = pngText(bytes);
      assert.match(text.Description, /denoiser archive, tag flower, 20 ddim steps/);
      assert.match(text.Source, /weight 1\.000/, "the leading item and its weight");
      assert.match(text.Source, /CC|MIT|PD/, "a licence in every credit");
      assert.match(download.suggestedFilename(), /^hypothetical-archive-flower-seed7\.png$/);
    });

    test("Recognize with the patch denoiser shows a per-pixel source map", async () => {
      await open("scene=recognize&tag=flower&denoiser=patch&steps=10&seed=3&size=32&guidance=1");
      assert.equal(await generateAndWait(), "done");
      assert.ok(await page.isVisible("#sourcemap"), "source map shown");
      const shares = await page.$$eval("#provenance li .share", (els) => els.map((e) => e.textContent));
      assert.ok(shares.length >= 2, "several items supply patches");
      assert.ok(shares.every((s) => /% of pixels/.test(s)));
      // Thousands of pictures: each step compares those the archive posterior ranks first, and says so.
      const limit = config.backend === "cpu" ? 67 : 64;
      assert.match(await page.textContent("#approx"), new RegExp(`takes its patches from only ${limit} of the \\d+ archive items at each step`));
      console.log(`[timing] ${config.name} patch 32 px: ${await perStep()}`);
      await shot("recognize-patch");
      // On WebGPU this is a11y.test.mjs's “Recognize after a generation”, checked here (see there).
      if (config.backend === "gpu") await assertAccessible(page);
    });

    test("Ask for noise: the three denoisers answer “static”, described in words", async () => {
      await open("scene=noise&steps=10&seed=5&size=32");
      assert.equal(await page.inputValue("#tag"), "static");
      assert.equal(await page.textContent("#scene-title"), "Ask for noise");
      // One action: “Ask all three”; no second Generate panel with a result of its own.
      assert.equal(await page.isVisible("#generate"), false);
      assert.equal(await page.isVisible("#x0"), false);
      assert.ok(await page.isVisible("#ask-all"));
      await page.evaluate(() => { delete document.documentElement.dataset.generated; });
      await page.click("#ask-all");
      await page.waitForSelector("#answers figure[data-denoiser=patch][data-done=true]", { state: "attached", timeout: 600_000 });
      for (const d of ["archive", "gaussian", "patch"]) {
        const words = await page.textContent(`#answers figure[data-denoiser=${d}] .words`);
        assert.ok(words.length > 60, `${d} is described`);
      }
      const p = await page.evaluate(() => window.__generator.tagHistory("static").at(-1));
      assert.ok(p > 0.2, `the recogniser sees static (${p}; static items carry 3–4 tags)`);
      await shot("ask-for-noise");
      // On WebGPU this is a11y.test.mjs's “Ask for noise after asking all three”, checked here (see there).
      if (config.backend === "gpu") await assertAccessible(page);
    });

    test("The average: the Gaussian result beside the tag's items", async () => {
      await open("scene=average&tag=Australian&steps=20&seed=9&size=64");
      assert.equal(await page.inputValue("#denoiser"), "gaussian");
      assert.ok(await page.isDisabled("#denoiser"));
      const manifest = await page.evaluate(async () => (await (await fetch("archive/manifest.json")).json()).items);
      const australian = manifest.filter((i) => i.kind === "image" && i.tags.includes("Australian")).length;
      assert.ok(australian >= 40, `${australian} Australian pictures`);
      const members = await page.$$eval("#member-list li", (els) => els.length);
      assert.equal(members, australian);
      assert.equal(await generateAndWait(), "done");
      const sources = await page.$$eval("#provenance li", (els) => els.length);
      assert.equal(sources, australian, "the Gaussian model credits every item it summarises");
      console.log(`[timing] ${config.name} gaussian 64 px: ${await perStep()}`);
      await shot("average");
    });

    test("keyboard only: Tab to Generate, Enter runs, Escape cancels", async () => {
      await open("scene=recognize&tag=animal&denoiser=patch&steps=200&seed=1&size=32");
      // The one action follows the caption and the denoiser; the settings come after it.
      await page.focus("#denoiser");
      await page.keyboard.press("Tab");
      assert.equal(await page.evaluate(() => document.activeElement.id), "generate");
      await page.evaluate(() => { delete document.documentElement.dataset.generated; });
      await page.keyboard.press("Enter");
      if (config.backend === "cpu") {
        // The CPU patch step is computed in slices of items, the page yielding between them.
        await page.waitForFunction(() => /patches from item \d+ of 67/.test(document.getElementById("progress-text").textContent), null, { timeout: 120_000 });
      }
      await page.waitForFunction(() => Number(document.getElementById("progress").value) >= 1, null, { timeout: 120_000 });
      await page.keyboard.press("Escape");
      await page.waitForSelector("html[data-generated=cancelled]", { state: "attached", timeout: 120_000 });
      assert.match(await page.textContent("#progress-text"), /Cancelled after step/);
      assert.ok(!(await page.isDisabled("#scrub")));
    });

    test("bad settings give a clear message and the scene keeps working", async () => {
      // The archive denoiser: the words are the test, not the patch kernel (over a minute on SwiftShader).
      await open("scene=recognize&denoiser=archive&tag=no-such-tag&steps=5");
      assert.match(await page.textContent("#message"), /no tag “no-such-tag”/);
      await openSettings(page);
      await page.fill("#steps", "5");
      await page.click("#generate");
      assert.match(await page.textContent("#message"), /Steps must be a whole number from 10 to 1000/);
      await openSettings(page);
      await page.fill("#steps", "10");
      assert.equal(await generateAndWait(), "done");
      assert.equal(await page.textContent("#message"), "");
    });

    test("the address is read with one set of rules and corrections are named", async () => {
      await open("scene=constructor&tag=no-such-tag-here&seed=1e3&steps=1e309&guidance=2.5");
      assert.equal(await page.textContent("#scene-title"), "Recognize");
      assert.match(await page.title(), /^Recognize/);
      assert.equal(await page.inputValue("#tag"), "flower", "the tag shown is the tag selected");
      const msg = await page.textContent("#message");
      assert.match(msg, /no tag “no-such-tag-here” in the archive; showing “flower”/);
      assert.match(msg, /scene=constructor/);
      assert.match(msg, /steps=1e309.*not a finite number/);
      assert.equal(await page.inputValue("#seed"), "1000");
      assert.equal(await page.inputValue("#guidance"), "2.5");
      await open("scene=__proto__");
      assert.equal(await page.textContent("#scene-title"), "Recognize");
      // What a later address leaves out goes back to what a fresh load gives.
      await open("scene=recognize&tag=flower");
      const FIELDS = ["steps", "guidance", "size", "method", "temperature"];
      const fresh = await Promise.all(FIELDS.map((f) => page.inputValue(`#${f}`)));
      await page.evaluate(() => { location.hash = "#scene=recognize&steps=50&guidance=3&seed=99&size=64&method=ddpm&temperature=0.5"; });
      await page.waitForFunction(() => document.getElementById("steps").value === "50");
      await page.evaluate(() => { location.hash = "#scene=recognize&tag=flower"; });
      await page.waitForFunction(() => document.getElementById("steps").value !== "50");
      assert.deepEqual(await Promise.all(FIELDS.map((f) => page.inputValue(`#${f}`))), fresh);
      assert.notEqual(await page.inputValue("#seed"), "99");
    });

    test("switching scene clears the last result, and a link followed during a run is honoured", async () => {
      await open("scene=recognize&tag=flower&denoiser=archive&steps=10&seed=7&size=32");
      assert.equal(await generateAndWait(), "done");
      assert.ok(await page.locator("#recogniser li").count() > 0);
      await page.click("nav a[data-scene=noise]");
      await page.waitForFunction(() => document.getElementById("scene-title").textContent === "Ask for noise");
      assert.equal(await page.inputValue("#tag"), "static");
      assert.equal(await page.getAttribute("#recogniser", "data-state"), "prior", "no flower bars under “static”: the prior, before a run");
      assert.equal(await page.locator("#provenance li").count(), 0);
      // A long run, then a link: the run stops and the new scene opens.
      await open("scene=recognize&tag=animal&denoiser=archive&steps=1000&seed=1&size=32");
      await page.evaluate(() => { delete document.documentElement.dataset.generated; });
      await page.click("#generate");
      await page.waitForFunction(() => Number(document.getElementById("progress").value) >= 1, null, { timeout: 120_000 });
      await page.click("nav a[data-scene=average]");
      // The run stops and the new scene opens clean (its result panels empty).
      await page.waitForFunction(() => document.getElementById("scene-title").textContent === "The average"
        && !document.documentElement.dataset.generating, null, { timeout: 120_000 });
      assert.equal(await page.inputValue("#denoiser"), "gaussian");
      assert.equal(await page.getAttribute("#recogniser", "data-state"), "prior");
      assert.ok(Number(await page.getAttribute("#progress", "value")) === 0);
    });

    test("128 px pictures: a generation finishes with its provenance", async () => {
      // The patch cascade on the CPU; on SwiftShader (a CPU emulation) the
      // 128 px patch kernel is too slow for a test run, so WebGPU runs the
      // archive denoiser at 128 px (its patch kernel is checked natively on lavapipe).
      const denoiser = config.backend === "cpu" ? "patch" : "archive";
      await open(`scene=recognize&tag=flower&denoiser=${denoiser}&steps=10&seed=7&size=128&guidance=1`);
      assert.equal(await generateAndWait(), "done");
      assert.equal(await page.evaluate(() => window.__generator.edge), 128);
      assert.equal(await page.evaluate(() => window.__generator.frame(0, "result").length), 128 * 128 * 4);
      const shares = await page.$$eval("#provenance li .share", (els) => els.map((e) => e.textContent));
      assert.ok(shares.length >= 1, "the result names its sources");
      if (denoiser === "patch") {
        assert.match(await page.textContent("#approx"), /composes the picture at 32 px while t > 357.*refines it at 128 px/);
        assert.ok(shares.length >= 2 && shares.every((s) => /% of pixels/.test(s)), `several items supply patches: ${shares}`);
        assert.ok(await page.isVisible("#sourcemap"));
        const ids = await page.$$eval("#provenance li", (els) => els.map((e) => e.dataset.id));
        const tags = await page.evaluate(async (list) => {
          const m = await (await fetch("archive/manifest.json")).json();
          return list.map((id) => m.items.find((i) => i.id === id).tags);
        }, ids);
        assert.ok(tags.every((t) => t.includes("flower")), `guidance 1 keeps to the tag: ${ids}`);
        assert.match(await perStep(), /shared by \d Web Workers?$/);
        console.log(`[timing] ${config.name} patch cascade 128 px: ${await perStep()}`);
        // Read patch by patch, the new picture reads as its tag; the whole-picture
        // recogniser's last step names the nearest single item instead.
        await page.waitForSelector("#reading-box:not([hidden])");
        const read = await page.$$eval("#reading li", (els) => els.map((e) => [e.dataset.tag, Number(e.querySelector("output").textContent)]));
        const whole = await page.$$eval("#recogniser li", (els) => els.map((e) => [e.dataset.tag, Number(e.querySelector("output").textContent)]));
        console.log(`reading: ${JSON.stringify(read)}; recogniser: ${JSON.stringify(whole)}`);
        const p = (bars) => bars.find(([t]) => t === "flower")?.[1] ?? 0;
        assert.ok(read.slice(0, 3).some(([t]) => t === "flower"), `the reading names flower among its first three: ${JSON.stringify(read)}`);
        assert.ok(p(read) > p(whole), "the reading gives flower more than the whole-picture recogniser");
        assert.match(await page.textContent("#reading-sentence"), /“flower” comes (first|second|third)/);
      }
      await shot(`recognize-${denoiser}-128`);
    });

    if (config.backend === "cpu") {
      test("the CPU patch path at 64 px keeps to the tag and never comes out blank", async () => {
        await open("scene=recognize&tag=flower&denoiser=patch&steps=10&seed=7&size=64&guidance=1");
        assert.equal(await generateAndWait(), "done");
        assert.match(await page.textContent("#approx"), /composes the picture at 32 px while t > \d+.*keeps the 64 of the \d+ items.*refines it at 64 px, where each pixel takes patches from every position of those items/);
        const spread = await page.evaluate(() => {
          const d = window.__generator.frame(0, "result");
          let sum = 0, sq = 0;
          for (let i = 0; i < d.length; i += 4) { sum += d[i]; sq += d[i] * d[i]; }
          const n = d.length / 4;
          return Math.sqrt(sq / n - (sum / n) ** 2);
        });
        assert.ok(spread > 10, `the result is not flat (red standard deviation ${spread.toFixed(1)})`);
        const ids = await page.$$eval("#provenance li", (els) => els.map((e) => e.dataset.id));
        const tags = await page.evaluate(async (list) => {
          const m = await (await fetch("archive/manifest.json")).json();
          return list.map((id) => m.items.find((i) => i.id === id).tags);
        }, ids);
        assert.ok(tags.length > 0 && tags.every((t) => t.includes("flower")), `every source is a flower: ${ids}`);
        assert.match(await page.textContent("#run-settings"), /inside each archive picture/);
        await shot("recognize-patch-64-cpu");
      });

      test("a Web Worker that fails mid-run leaves the rest to the page, which finishes it and says so", async () => {
        const hash = "scene=recognize&tag=flower&denoiser=patch&steps=10&seed=5&size=32";
        await open(hash);
        // The third step's job reaches one worker spoiled (x_t one value
        // short): the real worker's engine refuses it, as it would any error.
        await page.evaluate(() => {
          const pool = window.__workers;
          const call = pool.call.bind(pool);
          let patchCalls = 0;
          pool.call = (i, message, ...rest) => {
            if (message.kind === "patch" && ++patchCalls === 2 * pool.size + 1) {
              message = { ...message, job: { ...message.job, x: message.job.x.slice(1) } };
            }
            return call(i, message, ...rest);
          };
        });
        assert.equal(await generateAndWait(), "done", await page.textContent("#message"));
        assert.match(await page.textContent("#progress-text"), /Finished: 10 steps/);
        assert.equal(await page.evaluate(() => window.__workers.broken), true);
        assert.match(await perStep(), /; \d Web Workers? shared the first 2 CPU patch steps, then failed; the page's own thread made the rest$/);
        assert.ok((await page.$$("#provenance li")).length >= 1, "the result names its sources");
        const mixed = await page.evaluate(() => Array.from(window.__generator.frame(0, "result")));
        // The same run on the page alone (the pool stays broken): the same picture,
        // up to the float order in which the workers' shares were merged.
        assert.equal(await generateAndWait(), "done");
        assert.doesNotMatch(await perStep(), /Web Worker/);
        const alone = await page.evaluate(() => Array.from(window.__generator.frame(0, "result")));
        const apart = mixed.reduce((m, v, i) => Math.max(m, Math.abs(v - alone[i])), 0);
        assert.ok(apart <= 1, `the two runs' pictures differ by up to ${apart} of 255`);
      });
    } else {
      test("without ?gpu a software WebGPU adapter is not used, and the page says why", async () => {
        page = await session.fresh();
        await page.goto(`${origin}/generate.html#scene=recognize`);
        await page.waitForSelector("html[data-ready=true]", { timeout: 120_000 });
        assert.equal(await page.getAttribute("#backend", "data-kind"), "cpu");
        assert.match(await page.textContent("#backend"), /software emulation.*\?gpu/);
        assert.equal(await page.evaluate(() => typeof window.__generator), "undefined", "no test hooks without ?test");
      });

      test("timed on both paths, a kernel moves to the faster CPU and the page says why", async () => {
        await open("scene=recognize&tag=flower&denoiser=gaussian&steps=10&seed=7&size=32");
        await page.evaluate(() => { window.__generator.calibrate = true; });
        assert.equal(await generateAndWait(), "done");
        assert.match(await page.textContent("#paths"), /the Gaussian denoiser at 32 px took [\d.]+ ms on WebGPU and [\d.]+ ms on the CPU, so it runs on the CPU/);
        assert.match(await page.textContent("#perf"), /2 on WebGPU, 8 on the CPU/);
        // The next run of the same kernel starts on the CPU and says why.
        assert.equal(await generateAndWait(), "done");
        assert.match(await page.textContent("#paths"), /^Measured here: .* runs on the CPU/);
        assert.match(await page.textContent("#perf"), /on the CPU$/);
        const timed = await page.evaluate(() => window.__generator.calibrations);
        assert.equal(timed.length, 1);
        assert.ok(timed[0].gpuMs > timed[0].cpuMs);
        await page.evaluate(() => { window.__generator.calibrate = false; });
      });

      /** Opens `hash`, generates, destroys the GPU device once `step` steps are done, and waits for the run to finish on the CPU, saying so. */
      async function loseDeviceAt(hash, step) {
        await open(hash);
        await page.evaluate(() => { delete document.documentElement.dataset.generated; });
        await page.click("#generate");
        await page.waitForFunction((k) => Number(document.getElementById("progress").value) >= k, step, { timeout: 300_000 });
        await page.evaluate(() => window.__generator.loseDevice());
        await page.waitForSelector("html[data-generated]", { state: "attached", timeout: 300_000 });
        assert.equal(await page.getAttribute("html", "data-generated"), "done", await page.textContent("#message"));
        assert.match(await page.textContent("#message"), /^The GPU failed \(.*this run continues on the CPU\)\.$/);
        assert.equal(await page.getAttribute("#backend", "data-kind"), "cpu");
      }

      test("a GPU device lost in the middle of a run: the run finishes on the CPU, the same picture as a CPU run", async () => {
        await loseDeviceAt("scene=recognize&tag=flower&denoiser=archive&steps=20&seed=7&size=32", 3);
        assert.match(await page.textContent("#progress-text"), /Finished: 20 steps/);
      });

      test("a GPU device lost during a patch run: the page says the run continues on the CPU", async () => {
        await loseDeviceAt("scene=recognize&tag=flower&denoiser=patch&steps=10&seed=7&size=32", 2);
      });

      test("after the GPU device is lost the header says the CPU", async () => {
        await open("scene=recognize&tag=flower&denoiser=archive&steps=10&seed=7&size=32");
        assert.equal(await page.getAttribute("#backend", "data-kind"), "gpu");
        await page.evaluate(() => window.__generator.loseDevice());
        assert.equal(await generateAndWait(), "done");
        assert.equal(await page.getAttribute("#backend", "data-kind"), "cpu");
        assert.match(await page.textContent("#perf"), /on the CPU/);
      });
    }

    test("timing: ms per sampling step for each denoiser", { skip: process.env.HYPOTHETICAL_BENCH !== "1" && "set by ./build.sh bench" }, async () => {
      for (const [denoiser, size, steps] of [["archive", 32, 10], ["archive", 64, 10], ["gaussian", 32, 10], ["gaussian", 64, 10], ["patch", 32, 10], ["patch", 128, 20]]) {
        // On SwiftShader the 128 px patch cascade takes too long to time.
        if (denoiser === "patch" && size === 128 && config.backend === "gpu") continue;
        await open(`scene=recognize&tag=flower&denoiser=${denoiser}&steps=${steps}&seed=1&size=${size}`);
        assert.equal(await generateAndWait(), "done");
        console.log(`[timing] ${config.name} ${denoiser} ${size} px: ${await perStep()}`);
        if (denoiser === "patch" && config.backend === "cpu") {
          // Side by side: the same run on the page's main thread alone.
          await page.evaluate(() => { window.__workers.broken = true; });
          assert.equal(await generateAndWait(), "done");
          console.log(`[timing] ${config.name} ${denoiser} ${size} px, one thread: ${await perStep()}`);
        }
      }
    });

    test("no console errors", () => {
      assert.deepEqual(problems, []);
    });
  });
}
