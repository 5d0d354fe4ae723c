// Swim in headless Chromium, on both paths: the background made by the
// denoisers, the picture drawn; no sound until Start (a gesture); playing
// moves the picture on; seeking moves the clock and the dissolution; pause
// holds it; the sound stays queued when frames stop (a hidden tab); a
// visitor's own sound. One minute long (#minutes=1) to keep the test short.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { CONFIGS, SHOTS, useBrowser } from "./harness.mjs";
import { toneWav } from "./pictures.mjs";

for (const config of CONFIGS) {
  describe(`Swim (${config.name})`, () => {
    const session = useBrowser({ args: [...config.args, "--autoplay-policy=user-gesture-required"], viewport: { width: 1366, height: 768 } });
    let page, origin;
    before(async () => {
      ({ page, origin } = session);
      await page.goto(`${origin}/swim.html${config.query}#minutes=1&sound=maple-leaf-rag&picture=astronaut`);
      await page.waitForSelector("html[data-ready=true]", { timeout: 120_000 });
    });
    after(() => assert.deepEqual(session.problems, []));

    test("makes its background and shows the picture, with no sound before Start", async () => {
      assert.equal(await page.evaluate(() => window.__swim.state.audio), null);
      assert.match(await page.textContent("#level"), /^Level: nothing plays/);
      assert.match(await page.textContent("#clock"), /^0:00 of 1:00/);
      assert.match(await page.getAttribute("#view", "aria-label"), /100% of the power is still the picture/);
      assert.match(await page.textContent("#credit"), /Eileen Collins/);
      // The piece in words: a line for each tenth, the picture's share of the power falling to none.
      const lines = await page.$$eval("#transcript li", (ls) => ls.map((l) => l.textContent));
      assert.equal(lines.length, 11);
      assert.match(lines[0], /^0:00: Eileen Collins, whole; Maple Leaf Rag \(opening\) begins, slowed by Paulstretch/);
      const shares = lines.slice(1, 10).map((l) => {
        const m = l.match(/: (under |over )?(\d+)% of the power is still the picture/);
        return Number(m[2]) + (m[1] === "under " ? -0.5 : m[1] === "over " ? 0.5 : 0);
      });
      // Each line's share is the core's, from the astronaut's own power
      // (E[x0²] ≈ 0.42) against the static's own (which dips a little where
      // two pictures of static blend, so the share may rise by a point there):
      // not ᾱ, which is 49 % at half way.
      const core = await page.evaluate(() => Array.from({ length: 9 }, (_, k) => 100 * window.__swim.state.pictures.pictureShare((k + 1) / 10)));
      for (const [k, v] of shares.entries()) assert.ok(Math.abs(v - core[k]) <= 0.5 + 1e-9 || (v > 99 && core[k] > 99) || (v < 1 && core[k] < 1), `line ${k + 1}: ${v}% vs ${core[k]}%`);
      assert.ok(shares[0] > shares[8] && shares[8] < 50, shares.join(", "));
      assert.ok(Math.abs(shares[4] - 49) > 5, `half way: ${shares[4]}%, not ᾱ`);
      assert.match(lines[10], /^1:00: only static is left/);
    });

    test("Start plays the slowed sound and the picture goes under; seek and pause work", async () => {
      await page.click("#start");
      await page.waitForSelector("html[data-playing=true]", { timeout: 60_000 });
      assert.equal(await page.evaluate(() => window.__swim.state.audio.state), "running");
      assert.match(await page.textContent("#status"), /slowed \d+× by Paulstretch/);
      const before = Number(await page.getAttribute("#view", "data-frames"));
      await page.waitForFunction((n) => Number(document.getElementById("view").dataset.frames) > n + 5, before, { timeout: 30_000 });
      // How loud, in words: the second now playing, measured after the page's gain.
      await page.waitForFunction(() => /^Level: −\d+ dBFS RMS/.test(document.getElementById("level").textContent));
      const [rms, top] = (await page.textContent("#level")).match(/−\d+/g).map((v) => -Number(v.slice(1)));
      assert.ok(rms <= top && top <= -4 && rms >= -60, `a quiet, fixed level: ${rms} dBFS RMS, peaks ${top} dBFS`);
      // Seek to half way: the clock and the dissolution follow.
      await page.evaluate(() => {
        const s = document.getElementById("seek");
        s.value = "30";
        s.dispatchEvent(new Event("input", { bubbles: true }));
      });
      await page.waitForFunction(() => /^0:3\d of 1:00/.test(document.getElementById("clock").textContent), null, { timeout: 30_000 });
      const tau = Number(await page.getAttribute("#view", "data-tau"));
      // The sound starts 50 ms after a seek and the picture follows what is heard, so τ may be just under ½.
      assert.ok(tau >= 0.49 && tau < 0.7, `τ = ${tau}`);
      assert.match(await page.getAttribute("#view", "aria-label"), /\d+% of the power is still the picture/);
      await page.screenshot({ path: join(SHOTS, `${config.name}-swim.png`) });
      await page.click("#pause");
      await page.waitForSelector("html[data-playing=false]");
      // The status line follows the state: paused, then playing again.
      assert.match(await page.textContent("#status"), /^Paused at 0:\d\d of 1:00; Resume continues from here\.$/);
      const held = await page.evaluate(() => window.__swim.position());
      await page.waitForTimeout(1200);
      assert.ok(Math.abs((await page.evaluate(() => window.__swim.position())) - held) < 0.05, "paused");
      await page.click("#pause");
      await page.waitForSelector("html[data-playing=true]");
      assert.match(await page.textContent("#status"), /^Playing: /);
    });

    test("the sound stays scheduled ahead when animation frames stop (a hidden tab)", async () => {
      // A hidden tab gets no animation frames: stop them, then wait longer than the 1.5 s queued ahead.
      await page.evaluate(() => { window.requestAnimationFrame = () => 0; });
      await page.waitForTimeout(4000);
      const { queued, now } = await page.evaluate(() => ({ queued: window.__swim.state.player.queuedUntil, now: window.__swim.state.audio.currentTime }));
      assert.ok(queued > now + 0.2, `sound queued until ${queued.toFixed(2)} s at ${now.toFixed(2)} s`);
    });

    test("a closed audio context stops the piece where it was, and Start begins again with a new one", async () => {
      await page.evaluate(() => window.__swim.state.audio.close());
      await page.waitForSelector("html[data-playing=false]");
      assert.match(await page.textContent("#status"), /The browser closed its sound/);
      await page.click("#start");
      await page.waitForSelector("html[data-playing=true]", { timeout: 60_000 });
      assert.equal(await page.evaluate(() => window.__swim.state.audio.state), "running");
    });

    test("plays the visitor's own sound, and a file that is not a sound leaves the choice as it was", async () => {
      page = await session.fresh();
      await page.goto(`${origin}/swim.html${config.query}#minutes=1`);
      await page.waitForSelector("html[data-ready=true]", { timeout: 120_000 });
      await page.setInputFiles("#sound-file", { name: "not-a-sound.wav", mimeType: "audio/wav", buffer: Buffer.from("RIFF but nothing else") });
      await page.waitForFunction(() => /could not be used as a sound/.test(document.getElementById("message").textContent));
      assert.equal(await page.inputValue("#sound"), "maple-leaf-rag");
      await page.setInputFiles("#sound-file", { name: "tone.wav", mimeType: "audio/wav", buffer: toneWav(3) });
      await page.waitForFunction(() => document.getElementById("sound").value === "own");
      assert.match(await page.textContent("#sound-credit"), /your “tone\.wav”, decoded in this browser, never uploaded/);
      await page.click("#start");
      await page.waitForSelector("html[data-playing=true]", { timeout: 60_000 });
      assert.match(await page.textContent("#status"), /“tone\.wav” slowed 20× by Paulstretch/);
      assert.doesNotMatch(page.url(), /sound=own/);
      await page.click("#pause");
    });

    test("own sounds get Sounds Like Music's checks, and the newest choice wins", async () => {
      page = await session.fresh();
      await page.goto(`${origin}/swim.html${config.query}#minutes=1`);
      await page.waitForSelector("html[data-ready=true]", { timeout: 120_000 });
      const read = () => page.evaluate(() => Number(document.documentElement.dataset.soundsRead ?? 0));
      const pick = async (name) => {
        const n = await read();
        await page.setInputFiles("#sound-file", { name, mimeType: "audio/wav", buffer: readFileSync(`tests/corpus/files/${name}`) });
        await page.waitForFunction((k) => Number(document.documentElement.dataset.soundsRead ?? 0) > k, n, { timeout: 60_000 });
      };
      // Samples that are not numbers are refused in words; the rag stays.
      for (const name of ["nan.wav", "infinite.wav", "half-nan.wav"]) {
        await pick(name);
        assert.match(await page.textContent("#message"), new RegExp(`“${name}” could not be used as a sound \\(it holds samples that are not numbers`));
        assert.equal(await page.inputValue("#sound"), "maple-leaf-rag");
      }
      // A float WAV above full scale is brought down, and plays below 0.95 of full scale.
      await pick("loud-float.wav");
      assert.equal(await page.inputValue("#sound"), "own");
      assert.match(await page.textContent("#message"), /above full scale, so it was scaled down/);
      // A long file, then at once a short one: the short one is kept when the long one finishes.
      const n = await read();
      await page.setInputFiles("#sound-file", { name: "long.wav", mimeType: "audio/wav", buffer: toneWav(60) });
      await page.setInputFiles("#sound-file", { name: "short.wav", mimeType: "audio/wav", buffer: toneWav(2) });
      await page.waitForFunction((k) => Number(document.documentElement.dataset.soundsRead ?? 0) >= k + 2, n, { timeout: 60_000 });
      assert.match(await page.textContent("#sound option[value=own]"), /^Your sound “short\.wav”/);
      assert.match(await page.textContent("#sound-credit"), /“short\.wav”/);
    });
  });
}
