// Every page at the four screen sizes of the issue (a phone, a laptop, a
// desktop and a portrait kiosk screen) and at 320 px (WCAG 1.4.10, reflow:
// no sideways scrolling only), on the CPU path: no sideways
// scrolling, the page's one action (and, where there is room, its result)
// wholly on the first screen, small generated pictures scaled crisply
// (nearest neighbour), and a screenshot of each in target/screenshots/
// (layout-PAGE-SIZE.png) to look at.
import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { SHOTS, useBrowser } from "./harness.mjs";

export const SIZES = [
  { name: "phone", width: 390, height: 844 },
  { name: "laptop", width: 1366, height: 768 },
  { name: "desktop", width: 1920, height: 1080 },
  { name: "portrait-kiosk", width: 1080, height: 1920 },
  // WCAG 1.4.10 (reflow): content at 320 CSS px scrolls in one direction only.
  { name: "reflow-320", width: 320, height: 640, reflowOnly: true },
];

/** Each page, what must be wholly on its first screen, and what must start on it. */
const PAGES = [
  { name: "front", path: "", first: [".card[data-scene=dissolve] canvas"] },
  { name: "dissolve", path: "dissolve.html", first: ["#t", "#play"] },
  { name: "recognize", path: "generate.html#scene=recognize", first: ["#generate"], crisp: ["#xt", "#x0"] },
  { name: "noise", path: "generate.html#scene=noise", first: ["#ask-all"], crisp: ["#answers canvas"] },
  { name: "average", path: "generate.html#scene=average", first: ["#generate"], crisp: ["#xt"] },
  { name: "sound", path: "sound.html", first: ["#clip", "#t", "#play-mix"] },
  { name: "swim", path: "swim.html", first: ["#start"] },
  // Pages to browse: their first item starts on the first screen.
  { name: "archive", path: "archive.html", first: [], starts: ["#items > li:first-child"] },
  { name: "companion", path: "companion.html", first: [], starts: ["#chapters > li:first-child"] },
];

describe("Every page at four screen sizes", () => {
  const session = useBrowser({ viewport: { width: 1366, height: 768 } });
  after(() => assert.deepEqual(session.problems, []));

  for (const spec of PAGES) {
    test(`${spec.name}: no sideways scrolling and its one action on the first screen, from a phone to a portrait kiosk`, async () => {
      const page = await session.fresh();
      for (const size of SIZES) {
        await page.setViewportSize({ width: size.width, height: size.height });
        const [file, hash] = spec.path.split("#");
        await page.goto(`${session.origin}/${file}?cpu&test${hash ? `#${hash}` : ""}`);
        await page.waitForSelector("html[data-ready=true]", { timeout: 120_000 });
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.screenshot({ path: join(SHOTS, `layout-${spec.name}-${size.name}.png`) });
        const wide = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(wide <= 0, `${spec.name} at ${size.name}: ${wide} px of sideways scrolling`);
        if (size.reflowOnly) continue;
        for (const selector of spec.first) {
          const box = await page.$eval(selector, (e) => { const r = e.getBoundingClientRect(); return { top: r.top, bottom: r.bottom, height: r.height }; });
          assert.ok(box.height > 0 && box.bottom <= size.height, `${spec.name} at ${size.name}: ${selector} spans y = ${Math.round(box.top)}…${Math.round(box.bottom)}`);
        }
        for (const selector of spec.starts ?? []) {
          const top = await page.$eval(selector, (e) => e.getBoundingClientRect().top);
          assert.ok(top < size.height - 48, `${spec.name} at ${size.name}: ${selector} starts at y = ${Math.round(top)}`);
        }
        for (const selector of spec.crisp ?? []) {
          const rendering = await page.$$eval(selector, (els) => els.map((e) => getComputedStyle(e).imageRendering));
          assert.ok(rendering.length > 0 && rendering.every((r) => r === "pixelated"), `${selector}: ${rendering}`);
        }
      }
    });
  }
});
