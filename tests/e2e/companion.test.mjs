// The episode's companion page in headless Chromium, on both paths: the
// chapters from chapters.json with their times and our notes, and each
// chapter's link opening its scene in the state that shows the point.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CONFIGS, SHOTS, useBrowser } from "./harness.mjs";

const { chapters } = JSON.parse(readFileSync("www/chapters.json", "utf8"));

for (const config of CONFIGS) {
  describe(`Companion page (${config.name})`, () => {
    const session = useBrowser({ args: config.args, viewport: { width: 1366, height: 768 } });
    let page, origin;
    const openCompanion = async () => {
      page = await session.fresh();
      await page.goto(`${origin}/companion.html${config.query}`);
      await page.waitForSelector("html[data-ready=true]", { timeout: 60_000 });
    };
    /** Opens the companion afresh and follows the link of the chapter starting at `start` seconds. */
    const follow = async (start) => {
      await openCompanion();
      await page.click(`#chapters li[data-start="${start}"] a.open`);
      await page.waitForSelector("html[data-ready=true]", { timeout: 120_000 });
    };
    before(async () => {
      ({ origin } = session);
      await openCompanion();
    });
    after(() => assert.deepEqual(session.problems, []));

    test("lists the episode's chapters with their times, our notes and a link each", async () => {
      const shown = await page.$$eval("#chapters li", (lis) => lis.map((li) => ({
        time: li.querySelector("time").textContent,
        title: li.querySelector("h2").textContent,
        note: li.querySelector("p").textContent,
        href: li.querySelector("a.open").getAttribute("href"),
      })));
      assert.deepEqual(shown.map((c) => c.time), ["00:00", "03:24", "05:33", "09:14", "33:35", "39:09", "45:16", "1:00:04"]);
      for (const [k, c] of shown.entries()) {
        assert.ok(c.title.endsWith(chapters[k].title), c.title);
        assert.ok(c.note.length > 40, `${c.title}: a note of our own`);
        assert.equal(c.href.split("#")[1], chapters[k].url.split("#")[1]);
      }
      // A listener is told where the episode is, and the embed messages are on the page, not in a README they cannot see.
      const text = await page.textContent("main");
      assert.match(text, /podcast app/);
      assert.doesNotMatch(text, /README/);
      assert.match(await page.textContent(".embed-help"), /hypothetical:play.*hypothetical:ready/s);
      assert.equal(await page.getAttribute("header.site nav a[data-scene=companion]", "aria-current"), "page");
      // Each link says what it opens.
      const labels = await page.$$eval("#chapters a.open", (as) => as.map((a) => a.textContent));
      assert.deepEqual(labels, ["Open the front page", "Open the archive", "Open Dissolve", "Open The average", "Open the archive", "Open Swim", "Open Sounds Like Music", "Open Ask for noise"]);
      await page.screenshot({ path: join(SHOTS, `${config.name}-companion.png`), fullPage: true });
    });

    test("chapters.json is served with absolute links (as a podcast app reads it, away from the site), each to a page that exists", async () => {
      const response = await fetch(`${origin}/chapters.json`);
      assert.equal(response.headers.get("content-type"), "application/json+chapters");
      const served = (await response.json()).chapters;
      assert.equal(served.length, chapters.length);
      for (const [k, c] of served.entries()) {
        assert.equal(c.url, new URL(chapters[k].url, `${origin}/`).href);
        if (chapters[k].img) assert.equal(c.img, `${origin}/${chapters[k].img}`);
        for (const link of [c.url, c.img].filter(Boolean)) assert.equal((await fetch(link)).status, 200, link);
      }
    });

    test("the noise chapter's link opens Dissolve halfway, on the astronaut", async () => {
      await follow(333);
      await page.waitForFunction(() => (document.getElementById("view").dataset.rendered ?? "").startsWith("astronaut|450|"), null, { timeout: 60_000 });
      assert.equal(await page.inputValue("#t"), "450");
    });

    test("the music chapter's link opens Sounds Like Music set to blend techno with chorale", async () => {
      await follow(2716);
      assert.equal(await page.inputValue("#tag"), "techno");
      assert.equal(await page.inputValue("#tag2"), "chorale");
      assert.equal(await page.inputValue("#mix"), "0.4");
      assert.equal(await page.inputValue("#denoiser"), "patch");
    });

    test("the last chapter's link opens Ask for noise", async () => {
      await follow(3604);
      assert.equal(await page.textContent("h1"), "Ask for noise");
      assert.equal(await page.inputValue("#tag"), "static");
    });
  });
}
