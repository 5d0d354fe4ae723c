// The "Dissolve" scene in headless Chromium, twice: with WebGPU (SwiftShader's
// adapter, via --enable-unsafe-webgpu) and without it (the CPU fallback).
// Screenshots of every state go to target/screenshots/ for people to look at.
import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import { CONFIGS, SHOTS, useBrowser } from "./harness.mjs";
import { join } from "node:path";
import { testPicture, png16, hugeGreyPng, zeroSizePng, corruptPng, animatedGif } from "./pictures.mjs";

const T = 1000;

// Standard normal CDF (Abramowitz–Stegun 7.1.26, |error| < 1.5e-7: ample for these tolerances).
function phi(x) {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}
// The page's display mapping (image::unit_to_byte).
const toByte = (x) => Math.floor(Math.min(255, Math.max(0, (x + 1) * 127.5)) + 0.5);
const toUnit = (v) => v / 127.5 - 1;

function correlation(a, b) {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) { ma += a[i]; mb += b[i]; }
  ma /= n; mb /= n;
  let cov = 0, va = 0, vb = 0;
  for (let i = 0; i < n; i++) {
    cov += (a[i] - ma) * (b[i] - mb); va += (a[i] - ma) ** 2; vb += (b[i] - mb) ** 2;
  }
  return cov / Math.sqrt(va * vb);
}
/** RGB channels only (alpha dropped) as numbers. */
const rgbOf = (rgba) => Array.from(rgba).filter((_, i) => i % 4 !== 3);

for (const config of CONFIGS) {
  describe(`Dissolve with ${config.name}`, () => {
    /** Sets t and waits for its frame (of `image`, when given: a frame of the picture before may carry the same t). */
    async function setT(t, image) {
      await page.evaluate((t) => {
        const el = document.getElementById("t");
        el.value = t;
        el.dispatchEvent(new Event("input", { bubbles: true }));
      }, t);
      await waitRendered(t, image);
    }
    async function waitRendered(t, image) {
      await page.waitForFunction(([t, image]) => {
        const key = document.getElementById("view").dataset.rendered ?? "";
        const [img, tt] = key.split("|");
        return tt === String(t) && (image === undefined || img === image);
      }, [t, image], { timeout: 60_000 });
    }
    const canvasPixels = () =>
      page.evaluate(() => {
        const c = document.getElementById("view");
        return Array.from(c.getContext("2d").getImageData(0, 0, c.width, c.height).data);
      });
    const shot = (name) => page.screenshot({ path: join(SHOTS, `${config.name}-${name}.png`), fullPage: true });
    async function upload(name, mimeType, buffer) {
      await page.evaluate(() => { document.documentElement.dataset.file = ""; });
      await page.setInputFiles("#file", { name, mimeType, buffer });
      await page.waitForSelector("html[data-file=done]", { state: "attached", timeout: 120_000 });
      return page.textContent("#message");
    }

    const session = useBrowser({ args: config.args, viewport: { width: 1280, height: 1000 } });
    const problems = session.problems;
    let page, origin;
    before(async () => {
      ({ page, origin } = session);
      await page.goto(`${origin}/dissolve.html${config.query}#t=0`);
      await page.waitForSelector("html[data-ready=true]", { timeout: 60_000 });
      await waitRendered(0);
    });

    test(`reports the ${config.backend} backend`, async () => {
      const kind = await page.getAttribute("#backend", "data-kind");
      assert.equal(kind, config.backend, await page.textContent("#backend"));
      await shot("start");
    });

    test("at t = 0 the canvas equals an uploaded PNG exactly", async () => {
      const { png, rgba } = testPicture(256, 192);
      const message = await upload("gradients.png", "image/png", png);
      assert.equal(message.trim(), "", `no note expected, got: ${message}`);
      // The page was at t = 0 already: wait for the uploaded picture's own frame.
      await setT(0, "upload");
      const dims = await page.evaluate(() => [document.getElementById("view").width, document.getElementById("view").height]);
      assert.deepEqual(dims, [256, 192]);
      const got = await canvasPixels();
      let differing = 0;
      for (let i = 0; i < rgba.length; i++) differing += got[i] !== rgba[i];
      assert.equal(differing, 0, `${differing} bytes differ from the input`);
      // The words at t = 0 have nothing empty in them: no “()” after the ratio.
      assert.equal((await page.textContent(".snr")).replace(/\s+/g, " ").trim(), "This picture's signal-to-noise ratio ∞ dB (no noise yet)");
      await shot("upload-t0");
    });

    test("at a middle t the canvas correlates with the input as √ᾱ predicts", async () => {
      const { rgba } = testPicture(256, 192);
      const t = 400;
      await setT(t);
      const mix = await page.evaluate((t) => window.hypothetical.scene.mixAt("cosine", t), t);
      const shown = rgbOf(await canvasPixels());
      const input = rgbOf(rgba);
      // Displayed pixels are clipped to 0…255, so the expected correlation is that of
      // toByte(√ᾱ·x0 + √(1−ᾱ)·z) with x0, averaged over independent Gaussian z here.
      const gauss = () => Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
      let expected = 0;
      const reps = 4;
      for (let r = 0; r < reps; r++) {
        const sim = input.map((v) => toByte(mix.signal * toUnit(v) + mix.noise * gauss()));
        expected += correlation(sim, input) / reps;
      }
      const observed = correlation(shown, input);
      // Without clipping it would be √ᾱ·σ0/√(ᾱσ0² + 1 − ᾱ); sampling error here is ≈ 0.003.
      assert.ok(Math.abs(observed - expected) < 0.02, `correlation ${observed.toFixed(4)}, expected ${expected.toFixed(4)} (√ᾱ = ${mix.signal.toFixed(4)})`);
      await shot(`upload-t${t}`);
    });

    test("at t = T the displayed pixels are clipped standard normal noise", async () => {
      await setT(T);
      const shown = rgbOf(await canvasPixels());
      const n = shown.length;
      // toByte(z) = 0 when z < −1 + 0.5/127.5, = 255 when z ≥ 1 − 0.5/127.5.
      const edge = 1 - 0.5 / 127.5;
      const zeros = shown.filter((v) => v === 0).length / n;
      const full = shown.filter((v) => v === 255).length / n;
      const tail = phi(-edge);
      assert.ok(Math.abs(zeros - tail) < 0.01, `black share ${zeros}, expected ${tail}`);
      assert.ok(Math.abs(full - tail) < 0.01, `white share ${full}, expected ${tail}`);
      // Histogram against the exact distribution of toByte(z), in 8 bands.
      const bands = 8;
      const observed = new Array(bands).fill(0);
      for (const v of shown) observed[Math.min(bands - 1, Math.floor(v / 32))]++;
      const cdfByte = (k) => (k < 0 ? 0 : k >= 255 ? 1 : phi((k + 0.5) / 127.5 - 1)); // P(byte ≤ k)
      for (let b = 0; b < bands; b++) {
        const p = cdfByte(b * 32 + 31) - cdfByte(b * 32 - 1);
        const share = observed[b] / n;
        assert.ok(Math.abs(share - p) < 0.01, `band ${b}: ${share.toFixed(4)} vs ${p.toFixed(4)}`);
      }
      // No trace of the picture, and no correlation between neighbours.
      const { rgba } = testPicture(256, 192);
      assert.ok(Math.abs(correlation(shown, rgbOf(rgba))) < 0.02);
      assert.ok(Math.abs(correlation(shown.slice(0, -3), shown.slice(3))) < 0.02);
      await shot("upload-tT");
    });

    test("the same seed gives the same noise after a reload, another seed other noise", async () => {
      await setT(500);
      const first = await canvasPixels();
      await page.fill("#seed", "8");
      await page.press("#seed", "Enter");
      await page.waitForFunction(() => document.getElementById("view").dataset.rendered?.endsWith("|8"));
      const other = await canvasPixels();
      assert.notDeepEqual(other, first);
      await page.fill("#seed", "7");
      await page.press("#seed", "Enter");
      await page.waitForFunction(() => document.getElementById("view").dataset.rendered?.endsWith("|7"));
      assert.deepEqual(await canvasPixels(), first);
    });

    test("a picture set while a frame is in flight is used for the next frame", async () => {
      // Regression: on a slow machine a built-in picture clicked during a WebGPU frame was refused.
      const result = await page.evaluate(async () => {
        const scene = window.hypothetical.scene;
        const [w, h] = [64, 48];
        const bytes = new Uint8Array(w * h * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 37) % 256));
        const inFlight = scene.render(500, "cosine", 1);
        await new Promise((r) => setTimeout(r, 0));
        let refused = null;
        try { scene.setImage(bytes, w, h); } catch (e) { refused = String(e?.message ?? e); }
        await inFlight;
        const frame = await scene.render(0, "cosine", 1);
        let differing = 0;
        for (let i = 0; i < bytes.length; i++) differing += frame[i] !== bytes[i];
        return { refused, length: frame.length, differing };
      });
      assert.equal(result.refused, null);
      assert.equal(result.length, 64 * 48 * 4);
      assert.equal(result.differing, 0);
      // Back to a built-in picture through the page, while Play keeps frames in flight.
      await page.click("#play");
      await page.click(".builtins button[data-id=astronaut]");
      await page.waitForFunction(() => document.getElementById("view").dataset.rendered?.startsWith("astronaut|"), null, { timeout: 60_000 });
      if (await page.getAttribute("#play", "aria-pressed") === "true") await page.click("#play");
      assert.equal((await page.textContent("#message")).trim(), "");
      // Settle on a known timestep (the page always draws the latest request
      // last), so a frame Play had in flight cannot land during the next test.
      await setT(400);
    });

    test("bad input gets a clear message and the scene keeps working", async () => {
      const cases = [
        ["notes.txt", "text/plain", Buffer.from("these are not pixels"), /not a picture/],
        ["empty.png", "image/png", Buffer.alloc(0), /is empty/],
        ["zero.png", "image/png", zeroSizePng(), /no pixels \(0 × 0\)/],
        ["cut.png", "image/png", testPicture(64, 64).png.subarray(0, 20), /cut short/],
        ["corrupt.png", "image/png", corruptPng(), /could not be decoded/],
      ];
      for (const [name, type, bytes, pattern] of cases) {
        const before = await page.getAttribute("#view", "data-rendered");
        const message = await upload(name, type, bytes);
        assert.match(message, pattern, name);
        assert.equal(await page.getAttribute("#message", "data-kind"), "error");
        assert.equal(await page.getAttribute("#view", "data-rendered"), before, `${name} must not replace the picture`);
        await shot(`bad-${name.replace(/\W/g, "-")}`);
      }
      // Still working: the slider renders with the previous picture.
      await setT(321);

      const huge = await upload("huge.png", "image/png", hugeGreyPng(12000, 12000));
      assert.match(huge, /12000 × 12000 px; it was scaled down to 1024 × 1024/);
      assert.equal(await page.evaluate(() => document.getElementById("view").width), 1024);
      await shot("huge");

      const deep = await upload("deep.png", "image/png", png16(48, 40));
      assert.match(deep, /16 bits per channel; it is shown with 8/);

      const gif = await upload("blink.gif", "image/gif", animatedGif());
      assert.match(gif, /animated: its first frame is used/);
      await setT(0);
      assert.deepEqual((await canvasPixels()).slice(0, 4), [0, 0, 0, 255], "first (black) frame");
      await shot("animated");
    });

    test("timing: ms per frame at 512 × 512", { skip: process.env.HYPOTHETICAL_BENCH !== "1" && "set by ./build.sh bench" }, async () => {
      await page.click(".builtins button[data-id=astronaut]");
      await waitRendered(0, "astronaut");
      const times = [];
      for (let i = 1; i <= 30; i++) {
        const start = Date.now();
        await setT(i * 33);
        times.push(Date.now() - start);
      }
      times.sort((a, b) => a - b);
      const median = times[times.length >> 1];
      console.log(`[timing] ${config.name}: ${median} ms per frame at 512 × 512 (median of 30 scrubbed frames, page round trip; min ${times[0]}, max ${times.at(-1)})`);
      console.log(`[timing] ${config.name} in-page: ${await page.textContent("#perf")}`);
      assert.ok(median > 0);
      await setT(600);
      await shot("astronaut-t600");
    });

    test("keyboard: Home and End move the timestep; Play runs to the end", async () => {
      await page.focus("#t");
      await page.keyboard.press("End");
      await waitRendered(T);
      await page.keyboard.press("Home");
      await waitRendered(0);
      await page.selectOption("#schedule", "linear");
      await page.focus("#play");
      await page.keyboard.press("Enter");
      assert.equal(await page.getAttribute("#play", "aria-pressed"), "true");
      await page.waitForFunction(() => document.getElementById("play").getAttribute("aria-pressed") === "false", null, { timeout: 60_000 });
      await waitRendered(T);
      // The address records the state (written a quarter second after the last change).
      await page.waitForFunction(() => location.hash.includes("t=1000") && location.hash.includes("schedule=linear"));
      await page.selectOption("#schedule", "cosine");
    });

    test("the spectrum panel names the scale below the noise", async () => {
      await page.selectOption("#schedule", "cosine");
      await page.click(".builtins button[data-id=zone-plate]");
      await page.waitForFunction(() => document.getElementById("view").dataset.rendered?.startsWith("zone-plate|"));
      await setT(300);
      const words = await page.textContent("#spectrum-sentence");
      assert.match(words, /Detail finer than about [\d.]+ px is now below the noise/);
      await setT(0);
      assert.match(await page.textContent("#spectrum-sentence"), /still stronger than the noise/);
      await setT(500);
      await shot("zone-plate-t500");
    });

    if (config.backend === "gpu") {
      test("a lost GPU device falls back to the CPU and is re-created without a reload", async () => {
        assert.equal(await page.evaluate(() => window.hypothetical.scene.loseDevice()), true);
        await setT(410);
        await page.waitForFunction(async () => {
          const el = document.getElementById("t");
          el.value = String(400 + Math.floor(Math.random() * 20));
          el.dispatchEvent(new Event("input", { bubbles: true }));
          await new Promise((r) => setTimeout(r, 100));
          return window.hypothetical.scene.backend === "gpu" && window.hypothetical.scene.backendDetail.includes("re-created");
        }, null, { timeout: 60_000, polling: 300 });
        await setT(420);
        assert.equal(await page.getAttribute("#backend", "data-kind"), "gpu");
        await shot("after-device-loss");
      });
    }

    test("the latest picture chosen wins when an earlier one decodes slower", async () => {
      const big = hugeGreyPng(4000, 4000);
      const small = testPicture(64, 48).png;
      await page.evaluate(async ([a, b]) => {
        const f1 = new File([new Uint8Array(a)], "big.png", { type: "image/png" });
        const f2 = new File([new Uint8Array(b)], "small.png", { type: "image/png" });
        const first = window.hypothetical.chooseFile(f1);
        await new Promise((r) => setTimeout(r, 30));
        await Promise.all([first, window.hypothetical.chooseFile(f2)]);
      }, [Array.from(big), Array.from(small)]);
      const dims = await page.evaluate(() => [document.getElementById("view").width, document.getElementById("view").height]);
      assert.deepEqual(dims, [64, 48], "the small picture chosen last is shown");
      assert.match(await page.textContent("#credit"), /small\.png/);
    });

    test("the readout words the picture's own power, not the schedule's ratio", async () => {
      // A low-contrast picture: mid-grey 90 everywhere, E[x0²] = (90/127.5 − 1)² ≈ 0.086.
      await page.evaluate(async (bytes) => {
        await window.hypothetical.chooseFile(new File([new Uint8Array(bytes)], "grey.png", { type: "image/png" }));
      }, Array.from(hugeGreyPng(64, 64)));
      let t = 1;
      // Find a t where the schedule's ratio is above 1 but the picture's is below.
      for (; t < 1000; t += 10) {
        const a = await page.evaluate((t) => window.hypothetical.scene.mixAt("cosine", t).alphaBar, t);
        if (a > 0.55 && a < 0.65) break;
      }
      await setT(t);
      const power = await page.evaluate((t) => window.hypothetical.scene.powerAt("cosine", t), t);
      assert.ok(power.picture < power.noise, `${power.picture} < ${power.noise}`);
      assert.match(await page.textContent("#sentence"), /noise now carries .* times the power of the picture|Almost all noise/);
      assert.match(await page.textContent("#schedule-snr"), /^[0-9.]+ dB$/, "the schedule's own ratio is positive here");
      assert.match(await page.textContent("#snr"), /^-[0-9.]+ dB$/, "the picture's is negative");
    });

    test("the address is read with the shared rules: t=300.7 is 301, seed=1e3 is 1000", async () => {
      await page.goto("about:blank");
      await page.goto(`${origin}/dissolve.html${config.query}#image=zone-plate&t=300.7&seed=1e3&schedule=constructor`);
      await page.waitForSelector("html[data-ready=true]", { timeout: 60_000 });
      await waitRendered(301);
      assert.equal(await page.inputValue("#t"), "301");
      assert.equal(await page.inputValue("#seed"), "1000");
      assert.equal(await page.inputValue("#schedule"), "cosine");
      const msg = await page.textContent("#message");
      assert.match(msg, /t=300\.7.*301/);
      assert.match(msg, /schedule=constructor/);
      await shot("address-corrected");
    });

    if (config.backend === "gpu") {
      test("timed on both paths, Dissolve keeps the faster backend and says so", async () => {
        await waitRendered(301);
        const words = await page.evaluate(() => window.hypothetical.scene.calibrate());
        assert.match(words, /one Dissolve frame at 512 px took [\d.]+ ms on WebGPU and [\d.]+ ms on the CPU/);
        await setT(310);
        const kind = await page.evaluate(() => window.hypothetical.scene.backend);
        assert.equal(kind, /runs on the CPU/.test(words) ? "cpu" : "gpu");
      });
    }

    test("follows its address when only the hash changes, and when Back is pressed", async () => {
      // A companion page or a host drives the scene by links, without a reload.
      await page.evaluate(() => { location.hash = "#image=camera&t=700"; });
      await waitRendered(700, "camera");
      assert.equal(await page.inputValue("#t"), "700");
      assert.equal(await page.inputValue("#seed"), "7", "a field left out takes its default, as on opening");
      // The slider speaks of shares of the power, as Sounds Like Music does.
      const [, picture, noise] = (await page.getAttribute("#t", "aria-valuetext")).match(/picture (\d+)% of the power, noise (\d+)%$/);
      assert.equal(Number(picture) + Number(noise), 100);
      await page.evaluate(() => { location.hash = "#image=zone-plate&t=120&seed=5&schedule=linear"; });
      await waitRendered(120, "zone-plate");
      assert.equal(await page.inputValue("#seed"), "5");
      assert.equal(await page.inputValue("#schedule"), "linear");
      await page.goBack();
      await waitRendered(700, "camera");
      assert.equal(await page.inputValue("#schedule"), "cosine");
      assert.equal(await page.textContent("#t-out"), "700 of 1000");
    });

    test("the console shows no errors", () => {
      assert.deepEqual(problems, []);
    });
  });
}
