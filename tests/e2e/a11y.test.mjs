// Accessibility: axe-core (harness.mjs's assertAccessible) on every page, in
// every mode (the public site, the kiosk, a host's frame), and in the states
// that matter (after a generation, with a result playing, Swim under way): no
// violation of the WCAG 2.0, 2.1 and 2.2 A and AA rules.
import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { assertAccessible, useBrowser } from "./harness.mjs";

/** The pages, each with what to do before the check (a state that matters). */
const CASES = [
  { name: "front page", path: "" },
  { name: "Dissolve, playing", path: "dissolve.html#image=zone-plate&t=300", act: (p) => p.click("#play") },
  { name: "Recognize after a generation", path: "generate.html#scene=recognize&tag=flower&steps=10&size=32&seed=7", act: async (p) => {
    await p.click("#generate");
    await p.waitForSelector("html[data-generated]", { state: "attached", timeout: 300_000 });
  } },
  { name: "Ask for noise after asking all three", path: "generate.html#scene=noise&steps=10&size=32", act: async (p) => {
    await p.click("#ask-all");
    await p.waitForSelector("#answers figure[data-denoiser=patch][data-done=true]", { state: "attached", timeout: 600_000 });
  } },
  { name: "The average", path: "generate.html#scene=average" },
  { name: "Sounds Like Music with the mix playing and a track generated", path: "sound.html#seconds=6&steps=10&denoiser=archive", act: async (p) => {
    await p.click("#play-mix");
    await p.waitForSelector("html[data-playing=mix]", { timeout: 60_000 });
    await p.click("#generate");
    await p.waitForSelector("html[data-generated]", { state: "attached", timeout: 300_000 });
  } },
  { name: "Swim under way", path: "swim.html#minutes=1", act: async (p) => {
    await p.click("#start");
    await p.waitForSelector("html[data-playing=true]", { timeout: 60_000 });
  } },
  { name: "Archive", path: "archive.html" },
  { name: "companion", path: "companion.html" },
];
/**
 * The modes, each in one browser: the CPU path in every mode, and the WebGPU
 * path (whose pages say other words: the adapter, kernel timings, the GPU's
 * steps) on the public site. On WebGPU the two states reached by patch runs
 * on SwiftShader (over a minute each) are checked where generate.test.mjs
 * reaches them, at the end of its own runs, not by making the runs again.
 */
const BROWSERS = [
  { name: "CPU path", args: [], modes: [
    { name: "site", query: "?cpu&test" },
    { name: "kiosk", query: "?cpu&test&kiosk", only: ["front page", "Dissolve, playing", "Recognize after a generation", "Swim under way"] },
    { name: "embed", query: "?cpu&test&embed", only: ["Dissolve, playing", "Sounds Like Music with the mix playing and a track generated", "Swim under way"] },
  ] },
  { name: "WebGPU", args: ["--enable-unsafe-webgpu"], modes: [
    { name: "site, WebGPU", query: "?gpu&test", skip: ["Recognize after a generation", "Ask for noise after asking all three"] },
  ] },
];

for (const { name, args, modes } of BROWSERS) describe(`Accessibility (axe-core, WCAG 2.2 A and AA), ${name}`, () => {
  const session = useBrowser({ viewport: { width: 1366, height: 768 }, args: ["--autoplay-policy=no-user-gesture-required", ...args] });
  after(() => assert.deepEqual(session.problems, []));

  for (const mode of modes) {
    for (const c of CASES.filter((k) => (!mode.only || mode.only.includes(k.name)) && !mode.skip?.includes(k.name))) {
      test(`${c.name} (${mode.name}) has no violation`, async () => {
        const page = await session.fresh();
        const [file, hash] = c.path.split("#");
        await page.goto(`${session.origin}/${file}${mode.query}${hash ? `#${hash}` : ""}`);
        await page.waitForSelector("html[data-ready=true]", { timeout: 120_000 });
        if (c.act) await c.act(page);
        await assertAccessible(page);
      });
    }
  }
});

// What axe cannot see, found with a keyboard and a log of the live regions.
describe("Keyboard and live regions", () => {
  const session = useBrowser({ viewport: { width: 1366, height: 768 } });
  after(() => assert.deepEqual(session.problems, []));

  /** Counts the changes of every live region on the page from now on (window.liveChanges). */
  const logLiveRegions = (page) => page.evaluate(() => {
    window.liveChanges = [];
    // Every change inside a live region (one made later included), once per region per batch of changes.
    const watch = new MutationObserver((records) => {
      const regions = new Set();
      for (const r of records) {
        const region = (r.target.nodeType === 1 ? r.target : r.target.parentElement)?.closest("[aria-live], [role=status], [role=alert]");
        if (region && region.getAttribute("aria-live") !== "off") regions.add(region);
      }
      for (const region of regions) window.liveChanges.push(`${region.id}: ${region.textContent.slice(0, 60)}`);
    });
    watch.observe(document.body, { childList: true, characterData: true, subtree: true });
  });

  test("20 arrow presses on Dissolve's slider make at most two announcements, and the status line is not rewritten", async () => {
    const page = await session.fresh();
    await page.goto(`${session.origin}/dissolve.html?cpu&test#image=zone-plate`);
    await page.waitForSelector("html[data-ready=true]", { timeout: 120_000 });
    await page.waitForTimeout(1000);
    await logLiveRegions(page);
    await page.focus("#t");
    for (let i = 0; i < 20; i++) { await page.keyboard.press("ArrowRight"); await page.waitForTimeout(50); }
    await page.waitForTimeout(1500);
    const changes = await page.evaluate(() => window.liveChanges);
    assert.ok(changes.length >= 1 && changes.length <= 2, changes.join("\n"));
    assert.ok(changes.every((c) => c.startsWith("announce:")), changes.join("\n"));
    const said = await page.textContent("#announce");
    assert.match(said, /^t = 20\. /);
    assert.equal(await page.getAttribute("#t", "aria-valuetext"), await page.$eval("#t", (t) => t.getAttribute("aria-valuetext")));
    assert.match(await page.getAttribute("#t", "aria-valuetext"), /^t = 20 of 1000: picture \d+% of the power/);
  });

  test("Generate keeps focus in the form (Cancel while it runs, Generate after) and a 20-step run is announced a few times, the end included", async () => {
    const page = await session.fresh();
    await page.goto(`${session.origin}/generate.html?cpu&test#scene=recognize&tag=flower&denoiser=archive&steps=20&size=32&seed=7`);
    await page.waitForSelector("html[data-ready=true]", { timeout: 120_000 });
    await page.waitForTimeout(1000);
    await logLiveRegions(page);
    await page.focus("#generate");
    const started = Date.now();
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.activeElement?.id === "cancel" || document.documentElement.dataset.generated !== undefined);
    await page.waitForSelector("html[data-generated]", { state: "attached", timeout: 300_000 });
    await page.waitForTimeout(1500);
    const seconds = (Date.now() - started) / 1000;
    assert.equal(await page.evaluate(() => document.activeElement?.id), "generate", "focus is back on Generate, not on the page");
    const changes = (await page.evaluate(() => window.liveChanges)).filter((c) => c.startsWith("announce:"));
    assert.ok(changes.length >= 1 && changes.length <= 2 + seconds / 3, `${changes.length} announcements in ${seconds.toFixed(1)} s:\n${changes.join("\n")}`);
    assert.match(await page.textContent("#announce"), /^Step 20 of 20, finished\. /);
    assert.match(await page.getAttribute("#xt", "aria-label"), /^The finished 32 px picture for “flower”; the recogniser reads “/);
  });

  test("the archive's tag box is one tab stop (arrow keys move inside it), says how many tags it holds, and the first item comes soon", async () => {
    const page = await session.fresh();
    await page.goto(`${session.origin}/archive.html?cpu&test`);
    await page.waitForSelector("html[data-ready=true]", { timeout: 120_000 });
    const stops = await page.evaluate(() => {
      const focusable = [...document.querySelectorAll("a[href], button, input, select, textarea, summary, [tabindex]")]
        .filter((e) => e.tabIndex >= 0 && !e.disabled && e.getClientRects().length > 0);
      const first = document.querySelector("#items > li");
      return { total: focusable.length, before: focusable.filter((e) => first.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_PRECEDING).length };
    });
    // The header, the kinds, the search box, the tag box (one stop), Show all tags.
    assert.ok(stops.before <= 16, `${stops.before} tab stops before the first item`);
    assert.ok(stops.total <= 320, `${stops.total} tab stops in all`);
    assert.match(await page.textContent("#more-tags"), /^Show all \d+ tags$/);
    const first = await page.$eval("#tags button.tag", (b) => b.dataset.tag);
    await page.focus(`#tags button.tag[data-tag="${first}"]`);
    await page.keyboard.press("ArrowRight");
    const second = await page.evaluate(() => document.activeElement.dataset.tag);
    assert.notEqual(second, first);
    await page.keyboard.press("End");
    assert.equal(await page.getAttribute("#more-tags", "aria-expanded"), "true", "the last tag, out of sight, opened the box");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => /tagged/.test(document.getElementById("count").textContent));
  });

  test("the keys each scene documents do what it says: Space plays and pauses Dissolve, Escape cancels a sound run", async () => {
    const page = await session.fresh();
    await page.goto(`${session.origin}/dissolve.html?cpu&test#image=zone-plate`);
    await page.waitForSelector("html[data-ready=true]", { timeout: 120_000 });
    assert.match(await page.textContent("footer .keys"), /Space plays and pauses/);
    await page.evaluate(() => document.activeElement?.blur());
    await page.keyboard.press("Space");
    assert.equal(await page.getAttribute("#play", "aria-pressed"), "true");
    await page.keyboard.press("Space");
    assert.equal(await page.getAttribute("#play", "aria-pressed"), "false");
    await page.goto(`${session.origin}/sound.html?cpu&test#tag=techno&denoiser=patch&seconds=12&steps=40`);
    await page.waitForSelector("html[data-ready=true]", { timeout: 120_000 });
    assert.match(await page.textContent("footer .keys"), /Escape cancels a run/);
    await page.click("#generate");
    await page.waitForFunction(() => Number(document.getElementById("progress").value) >= 1, null, { timeout: 120_000 });
    await page.keyboard.press("Escape");
    await page.waitForSelector("html[data-generated]", { state: "attached", timeout: 300_000 });
    assert.match(await page.textContent("#progress-text"), /^Cancelled after step \d+ of 40\./);
  });

  test("forced colours keep the meters and bars filled and the controls edged; more contrast brightens the muted text", async () => {
    const page = await session.fresh();
    await page.emulateMedia({ forcedColors: "active" });
    await page.goto(`${session.origin}/dissolve.html?cpu&test#image=zone-plate&t=400`);
    await page.waitForSelector("html[data-ready=true]", { timeout: 120_000 });
    const look = await page.evaluate(() => ({
      fill: getComputedStyle(document.querySelector(".fill.signal")).backgroundColor,
      play: getComputedStyle(document.getElementById("play")).borderTopStyle,
    }));
    assert.notEqual(look.fill, "rgba(0, 0, 0, 0)", "the meter keeps its fill");
    assert.equal(look.play, "solid");
    await page.emulateMedia({ forcedColors: "none", contrast: "more" });
    assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue("--muted").trim()), "#e4e2dc");
  });

  /**
   * Counts flashes (WCAG 2.3.1's general flash: a pair of opposing changes in
   * relative luminance of 0.1 or more) in the most crowded second of what
   * `canvas` showed at every animation frame while `act` ran: the mean
   * relative luminance of the whole canvas, sampled in the page.
   */
  async function flashesPerSecond(page, canvas, act) {
    await page.evaluate((sel) => {
      window.luma = [];
      const lin = (c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
      const probe = document.createElement("canvas");
      const g = probe.getContext("2d", { willReadFrequently: true });
      const tick = (t) => {
        const c = document.querySelector(sel);
        probe.width = 32; probe.height = 32;
        g.drawImage(c, 0, 0, 32, 32);
        const d = g.getImageData(0, 0, 32, 32).data;
        let y = 0;
        for (let i = 0; i < d.length; i += 4) y += 0.2126 * lin(d[i] / 255) + 0.7152 * lin(d[i + 1] / 255) + 0.0722 * lin(d[i + 2] / 255);
        window.luma.push([t, y / 1024]);
        window.lumaFrame = requestAnimationFrame(tick);
      };
      window.lumaFrame = requestAnimationFrame(tick);
    }, canvas);
    await act();
    const series = await page.evaluate(() => { cancelAnimationFrame(window.lumaFrame); return window.luma; });
    // Turning points that differ by 0.1 or more from the last one, in alternating directions.
    const changes = [];
    let ref = series[0]?.[1] ?? 0, dir = 0;
    for (const [t, y] of series) {
      const d = y - ref;
      if (Math.abs(d) >= 0.1 && Math.sign(d) !== dir) { changes.push(t); dir = Math.sign(d); ref = y; }
      else if (Math.sign(d) === dir && Math.abs(y - ref) > 0) ref = dir > 0 ? Math.max(ref, y) : Math.min(ref, y);
    }
    let most = 0;
    for (let i = 0; i < changes.length; i++) most = Math.max(most, changes.filter((t) => t >= changes[i] && t < changes[i] + 1000).length / 2);
    return { most, frames: series.length };
  }

  test("nothing flashes more than three times a second: a DDPM run shown step by step, Dissolve playing (and the count can fail)", async () => {
    const page = await session.fresh();
    // The counter's own check: a canvas that alternates black and white at every frame flashes far more than 3 times.
    await page.goto(`${session.origin}/dissolve.html?cpu&test`);
    await page.waitForSelector("html[data-ready=true]", { timeout: 120_000 });
    await page.evaluate(() => {
      const c = Object.assign(document.createElement("canvas"), { id: "strobe", width: 8, height: 8 });
      document.body.append(c);
      let k = 0;
      const g = c.getContext("2d");
      window.strobe = setInterval(() => { g.fillStyle = k++ % 2 ? "#fff" : "#000"; g.fillRect(0, 0, 8, 8); }, 50);
    });
    const strobe = await flashesPerSecond(page, "#strobe", () => page.waitForTimeout(1500));
    await page.evaluate(() => clearInterval(window.strobe));
    assert.ok(strobe.most > 3, `a strobe counted ${strobe.most}`);
    await page.goto(`${session.origin}/generate.html?cpu&test#scene=recognize&tag=flower&denoiser=gaussian&method=ddpm&steps=60&size=32&seed=3`);
    await page.waitForSelector("html[data-ready=true]", { timeout: 120_000 });
    const ddpm = await flashesPerSecond(page, "#xt", async () => {
      await page.click("#generate");
      await page.waitForSelector("html[data-generated]", { state: "attached", timeout: 300_000 });
    });
    assert.ok(ddpm.frames > 10 && ddpm.most <= 3, `DDPM: ${JSON.stringify(ddpm)}`);
    await page.goto(`${session.origin}/dissolve.html?cpu&test#image=zone-plate`);
    await page.waitForSelector("html[data-ready=true]", { timeout: 120_000 });
    const play = await flashesPerSecond(page, "#view", async () => { await page.click("#play"); await page.waitForTimeout(5000); await page.click("#play"); });
    assert.ok(play.frames > 10 && play.most <= 3, `Dissolve: ${JSON.stringify(play)}`);
    console.log(`flashes in the most crowded second: DDPM run ${ddpm.most} (${ddpm.frames} frames), Dissolve playing ${play.most} (${play.frames} frames)`);
  });

  test("Sounds Like Music's t slider says its value in words", async () => {
    const page = await session.fresh();
    await page.goto(`${session.origin}/sound.html?cpu&test#t=250`);
    await page.waitForSelector("html[data-ready=true]", { timeout: 120_000 });
    await page.waitForFunction(() => /^t = 250 of 1000: music \d+% of the power, noise \d+%$/.test(document.getElementById("t").getAttribute("aria-valuetext") ?? ""));
    await page.focus("#t");
    await page.keyboard.press("ArrowRight");
    await page.waitForFunction(() => /^t = 251 of 1000/.test(document.getElementById("t").getAttribute("aria-valuetext")));
  });
});
