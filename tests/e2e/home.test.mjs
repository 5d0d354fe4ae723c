// The front page in headless Chromium, on both paths: the scenes in the order
// of the argument, each card's miniature computed live (frames drawn and
// changing, not blank), one still frame each with reduced motion, the shared
// header on every page (the four screen sizes: tests/e2e/layout.test.mjs).
// Screenshots go to target/screenshots/.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { CONFIGS, SHOTS, useBrowser } from "./harness.mjs";

const ORDER = ["dissolve", "recognize", "noise", "average", "sound", "swim", "archive"];

/** Frames drawn so far by the card of scene `id`. */
const frames = (page, id) => page.$eval(`.card[data-scene="${id}"]`, (c) => Number(c.dataset.frames ?? 0));
/** A fingerprint of a card's canvas and the spread of its pixel values. */
const look = (page, id) => page.$eval(`.card[data-scene="${id}"] canvas`, (c) => {
  const { data } = c.getContext("2d").getImageData(0, 0, c.width, c.height);
  let hash = 0, min = 255, max = 0;
  for (let i = 0; i < data.length; i++) {
    hash = (hash * 31 + data[i]) >>> 0;
    if (i % 4 !== 3) { min = Math.min(min, data[i]); max = Math.max(max, data[i]); }
  }
  return { hash, spread: max - min };
});

for (const config of CONFIGS) {
  describe(`Front page (${config.name})`, () => {
    const session = useBrowser({ args: config.args, viewport: { width: 1366, height: 768 } });
    let page, origin;
    before(async () => {
      ({ page, origin } = session);
      await page.goto(`${origin}/${config.query}`);
      await page.waitForSelector("html[data-ready=true]", { timeout: 60_000 });
    });
    after(() => assert.deepEqual(session.problems, []));

    test("lists the scenes in the order of the argument, each linking to its page", async () => {
      const cards = await page.$$eval(".card", (cs) => cs.map((c) => ({ id: c.dataset.scene, href: c.querySelector("a").getAttribute("href") })));
      assert.deepEqual(cards.map((c) => c.id), ORDER);
      assert.equal(cards[0].href.split("?")[0], "dissolve.html");
      assert.match(cards[1].href, /generate\.html.*#scene=recognize$/);
      // The header's navigation names the same pages, and the name leads home.
      const nav = await page.$$eval("header.site nav a", (as) => as.map((a) => a.dataset.scene));
      assert.deepEqual(nav, [...ORDER, "companion"]);
      assert.equal(await page.getAttribute("header.site .brand a", "aria-current"), "page");
    });

    test("says which path the scenes use", async () => {
      await page.waitForFunction(() => document.getElementById("backend").textContent !== "Starting…");
      const status = await page.textContent("#backend");
      if (config.backend === "gpu") assert.match(status, /^WebGPU/);
      else assert.match(status, /^CPU \(WebAssembly\): /);
    });

    test("every miniature is computed live: frames are drawn, change, and are not blank", async () => {
      for (const id of ["dissolve", "recognize", "noise", "average", "sound", "swim"]) {
        await page.waitForFunction((id) => Number(document.querySelector(`.card[data-scene="${id}"]`).dataset.frames ?? 0) >= 3, id, { timeout: 60_000 });
        const a = await look(page, id);
        const before = await frames(page, id);
        await page.waitForFunction(([id, n]) => Number(document.querySelector(`.card[data-scene="${id}"]`).dataset.frames) > n + 2, [id, before], { timeout: 30_000 });
        const b = await look(page, id);
        assert.notEqual(a.hash, b.hash, `${id}: the miniature moves`);
        assert.ok(b.spread > 40, `${id}: the miniature is not blank (spread ${b.spread})`);
      }
      assert.equal(await page.$$eval(".card[data-scene=archive] img", (imgs) => imgs.length), 16);
      await page.screenshot({ path: join(SHOTS, `${config.name}-home.png`) });
    });

    test("the Dissolve link opens the Dissolve scene on its own page", async () => {
      const p = await session.fresh();
      await p.goto(`${origin}/${config.query}`);
      await p.click(".card[data-scene=dissolve] a");
      await p.waitForSelector("html[data-ready=true]", { timeout: 60_000 });
      assert.match(p.url(), /\/dissolve\.html/);
      assert.equal(await p.textContent("h1"), "Dissolve");
      assert.equal(await p.getAttribute("header.site nav a[data-scene=dissolve]", "aria-current"), "page");
      page = p;
    });
  });
}

describe("Front page with reduced motion", () => {
  const session = useBrowser({ viewport: { width: 1366, height: 768 }, reducedMotion: "reduce" });
  after(() => assert.deepEqual(session.problems, []));

  test("each miniature draws one still frame and stops", async () => {
    const { page, origin } = session;
    await page.goto(`${origin}/?test`);
    await page.waitForSelector("html[data-ready=true]", { timeout: 60_000 });
    const ids = ["dissolve", "recognize", "noise", "average", "sound", "swim"];
    for (const id of ids) {
      await page.waitForFunction((id) => Number(document.querySelector(`.card[data-scene="${id}"]`).dataset.frames ?? 0) >= 1, id, { timeout: 60_000 });
    }
    await page.waitForTimeout(1500);
    // A generation shows only its finished picture.
    for (const id of ids) assert.equal(await frames(page, id), 1, id);
  });
});

describe("Definitions on demand", () => {
  const session = useBrowser({ viewport: { width: 1366, height: 768 } });
  after(() => assert.deepEqual(session.problems, []));

  test("the words a newcomer does not know open a short definition, and Escape closes it", async () => {
    const { page, origin } = session;
    await page.goto(`${origin}/generate.html?cpu&test#scene=recognize`);
    await page.waitForSelector("html[data-ready=true]", { timeout: 60_000 });
    const terms = await page.$$eval("button.term", (bs) => bs.map((b) => b.dataset.term));
    for (const term of ["xt", "x0", "ddim", "ddpm", "guidance", "temperature"]) assert.ok(terms.includes(term), term);
    await page.click("figure button.term[data-term=x0]");
    const shown = page.locator(".definition:popover-open");
    await shown.waitFor();
    assert.match(await shown.textContent(), /guess, at this step, of the clean picture/);
    await page.keyboard.press("Escape");
    await shown.waitFor({ state: "detached" }).catch(() => {});
    assert.equal(await page.locator(".definition:popover-open").count(), 0);
    // The header's status line explains "adapter" where it says it.
    await page.goto(`${origin}/dissolve.html?test`);
    await page.waitForSelector("html[data-ready=true]", { timeout: 60_000 });
    assert.match(await page.textContent("#backend button.term[data-term=adapter]"), /^adapter$/);
    assert.equal(await page.$$eval("button.term[data-term=timestep], button.term[data-term=alphabar]", (bs) => bs.length), 2);
  });
});
