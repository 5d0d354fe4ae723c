// The museum kiosk in headless Chromium (?kiosk and kiosk.html), on both
// paths: touch-first pages, the attract state, the idle countdown that a
// touch cancels and the reset that forgets an uploaded picture, no reload
// when already idle, the offline copy (every file cached; the kiosk reloads
// and works with the network gone) and the watchdog that restarts a page
// that stopped sending heartbeats. Short idle times come from the address.
// The idle reset, the offline copy and the watchdog are the kiosk shell's and
// the service worker's, the same whichever path computes the scenes: they
// run on the CPU path only (the WebGPU path keeps the tests whose pages
// compute on it).
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CONFIGS, SHOTS, useBrowser } from "./harness.mjs";
import { testPicture } from "./pictures.mjs";

for (const config of CONFIGS) {
  const q = config.query.replace("?", "");
  describe(`Kiosk (${config.name})`, () => {
    const shellOnly = config.backend === "gpu" && "the kiosk shell's own behaviour, tested on the CPU path";
    const files = {};
    const session = useBrowser({ args: config.args, files, viewport: { width: 1080, height: 1920 }, hasTouch: true });
    let page, origin;
    before(() => { ({ origin } = session); });
    after(() => assert.deepEqual(session.problems, []));

    test("is touch first: 48 px targets, no cursor, no long-press menu, no links out of the site", async () => {
      page = await session.fresh();
      await page.goto(`${origin}/archive.html?${q}&kiosk`);
      await page.waitForSelector("html[data-kiosk-ready=true]", { timeout: 60_000 });
      await page.waitForSelector("html[data-ready=true]", { timeout: 60_000 });
      const small = await page.$$eval("button:not(.term), select, input, a", (els) => els
        .filter((e) => e.offsetParent !== null)
        .map((e) => e.getBoundingClientRect())
        .filter((r) => r.height < 47.5).length);
      assert.equal(small, 0, "every visible target is at least 48 px high");
      assert.equal(await page.evaluate(() => getComputedStyle(document.body).cursor), "none");
      const out = await page.$$eval("a[href]", (as) => as.filter((a) => new URL(a.href).origin !== location.origin).length);
      assert.equal(out, 0, "no link leaves the site");
      const prevented = await page.evaluate(() => !document.body.dispatchEvent(new MouseEvent("contextmenu", { bubbles: true, cancelable: true })));
      assert.ok(prevented, "the long-press menu is suppressed");
    });

    test("settings that name no scene fall back to all and tell staff; the path line and zoom serve visitors", async () => {
      for (const scenes of ["", "__proto__,constructor"]) {
        page = await session.fresh();
        await page.goto(`${origin}/?${q}&kiosk&scenes=${scenes}`);
        await page.waitForSelector("html[data-kiosk-ready=true]", { timeout: 60_000 });
        const shown = await page.$$eval(".card[data-scene]", (cs) => cs.filter((c) => !c.hidden).length);
        assert.equal(shown, await page.$$eval(".card[data-scene]", (cs) => cs.length), `scenes=${scenes}: every card`);
        assert.ok(shown >= 7);
        assert.match(await page.textContent("#kiosk-scenes"), /^For staff: the setting scenes=.* every scene is shown\.$/);
      }
      // The path line is for staff, not visitors.
      assert.equal(await page.isVisible("#backend"), false);
      // Pinch zoom may be off in the kiosk's browser: the page offers larger text, and the shell does not forbid zoom.
      const before = await page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
      await page.click("#larger-text");
      assert.equal(await page.getAttribute("#larger-text", "aria-pressed"), "true");
      const after = await page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
      assert.ok(after >= before * 1.2, `${before} → ${after} px`);
      const shell = readFileSync("www/kiosk.html", "utf8");
      assert.doesNotMatch(shell, /user-scalable=no|maximum-scale/);
    });

    test("the attract state runs the scenes silently with “Touch to begin”, and idling there does not reload", async () => {
      page = await session.fresh();
      await page.goto(`${origin}/?${q}&kiosk&idle=5`);
      await page.waitForSelector("html[data-kiosk-ready=true]", { timeout: 60_000 });
      assert.ok(await page.isVisible("#kiosk-begin"));
      await page.waitForFunction(() => Number(document.querySelector(".card[data-scene=dissolve]").dataset.frames ?? 0) >= 3, null, { timeout: 60_000 });
      await page.evaluate(() => { window.sameDocument = true; });
      await page.waitForTimeout(8000);
      assert.equal(await page.evaluate(() => window.sameDocument), true, "no reload");
      assert.equal(await page.isVisible("#kiosk-overlay"), false, "no countdown when nobody's things are on screen");
      await page.screenshot({ path: join(SHOTS, `${config.name}-kiosk-attract.png`) });
    });

    test("after the idle time a countdown runs, a touch cancels it, and when it ends the kiosk forgets an upload", { skip: shellOnly }, async () => {
      page = await session.fresh();
      await page.goto(`${origin}/dissolve.html?${q}&kiosk&idle=5`);
      await page.waitForSelector("html[data-ready=true]", { timeout: 60_000 });
      await page.setInputFiles("#file", { name: "visitor.png", mimeType: "image/png", buffer: testPicture(96, 96).png });
      await page.waitForFunction(() => (document.getElementById("view").dataset.rendered ?? "").startsWith("upload|"), null, { timeout: 60_000 });
      await page.waitForSelector("#kiosk-overlay:not([hidden])", { timeout: 15_000 });
      assert.match(await page.textContent("#kiosk-overlay"), /Starting over in (20|19) s/);
      await page.screenshot({ path: join(SHOTS, `${config.name}-kiosk-countdown.png`) });
      await page.touchscreen.tap(540, 960);
      await page.waitForSelector("#kiosk-overlay", { state: "hidden" });
      assert.match((await page.evaluate(() => document.getElementById("view").dataset.rendered)) ?? "", /^upload\|/, "a touch keeps the visitor's picture");
      // Left alone again: countdown, then the attract state.
      await page.waitForURL((url) => url.pathname.endsWith("/") && url.search.includes("kiosk"), { timeout: 60_000 });
      await page.waitForSelector("html[data-attract=true]", { timeout: 60_000 });
      await page.goto(`${origin}/dissolve.html?${q}&kiosk&idle=5`);
      await page.waitForSelector("html[data-ready=true]", { timeout: 60_000 });
      await page.waitForFunction(() => (document.getElementById("view").dataset.rendered ?? "") !== "", null, { timeout: 60_000 });
      assert.doesNotMatch(await page.evaluate(() => document.getElementById("view").dataset.rendered), /^upload\|/, "the upload is forgotten");
    });

    test("keeps every file for offline use and works with the network gone", { skip: shellOnly }, async () => {
      const { files, version } = JSON.parse(readFileSync("www/precache.json", "utf8"));
      const manifest = JSON.parse(readFileSync("www/archive/manifest.json", "utf8"));
      const archiveFiles = [...manifest.packs.map((p) => p.file), ...manifest.items.flatMap((i) => [i.file, i.large?.file].filter(Boolean))];
      const listed = new Set(files);
      assert.deepEqual(archiveFiles.filter((f) => !listed.has(`archive/${f}`)), [], "the offline copy lists every archive file");
      page = await session.fresh();
      await page.goto(`${origin}/?${q}&kiosk`);
      await page.waitForSelector(`html[data-offline="${version}"]`, { timeout: 120_000 });
      const cached = await page.evaluate(async (v) => (await (await caches.open(`hypothetical-${v}`)).keys()).length, version);
      assert.equal(cached, files.length + 1, "every listed file is cached, the large ones too, and the list");
      await session.browser.setOffline(true);
      try {
        await page.reload();
        await page.waitForSelector("html[data-ready=true]", { timeout: 60_000 });
        await page.waitForFunction(() => Number(document.querySelector(".card[data-scene=recognize]").dataset.frames ?? 0) >= 2, null, { timeout: 60_000 });
        await page.goto(`${origin}/sound.html?${q}&kiosk`);
        await page.waitForSelector("html[data-ready=true]", { timeout: 120_000 });
        assert.match(await page.textContent("#source-info"), /Acid line/);
      } finally {
        await session.browser.setOffline(false);
      }
    });

    test("a file the offline copy has lost is fetched again, and when it cannot be the kiosk tells staff which", { skip: shellOnly }, async () => {
      const { version } = JSON.parse(readFileSync("www/precache.json", "utf8"));
      const lose = (file) => page.evaluate(async ([v, f]) => (await caches.open(`hypothetical-${v}`)).delete(f, { ignoreSearch: true }), [version, file]);
      const has = (file) => page.evaluate(async ([v, f]) => Boolean(await (await caches.open(`hypothetical-${v}`)).match(f, { ignoreSearch: true })), [version, file]);
      const file = "archive/sounds/white-noise.flac";
      page = await session.fresh();
      await page.goto(`${origin}/?${q}&kiosk`);
      await page.waitForSelector("html[data-kiosk-copy=complete]", { timeout: 120_000 });
      assert.equal(await lose(file), true);
      await page.reload();
      await page.waitForSelector("html[data-kiosk-copy=complete][data-kiosk-repaired='1']", { timeout: 60_000 });
      assert.equal(await has(file), true, "repaired from the network");
      // Lost again, and the server cannot give it back (as offline; Chromium's offline mode does not reach the worker).
      assert.equal(await lose(file), true);
      files[`/${file}`] = null;
      try {
        await page.reload();
        await page.waitForSelector("html[data-kiosk-copy=incomplete]", { state: "attached", timeout: 60_000 });
        assert.match(await page.textContent("#kiosk-copy"), /the offline copy lacks 1 file \(archive\/sounds\/white-noise\.flac\)/);
        await page.waitForSelector("html[data-ready=true]", { timeout: 60_000 });
      } finally {
        delete files[`/${file}`];
      }
    });

    test("the shell's watchdog restarts a page that stopped sending heartbeats", { skip: shellOnly }, async () => {
      page = await session.fresh();
      await page.goto(`${origin}/kiosk.html?${q}&watchdog=10`);
      const frame = page.frameLocator("#stage");
      await frame.locator("html[data-kiosk-ready=true]").waitFor({ timeout: 60_000 });
      // A page that sends no heartbeat (as a hung or blank one would).
      await page.evaluate(() => { document.getElementById("stage").src = "about:blank"; });
      await page.waitForFunction(() => document.getElementById("stage").dataset.reloads === "1", null, { timeout: 30_000 });
      await frame.locator("html[data-attract=true]").waitFor({ timeout: 60_000 });
    });
  });
}
