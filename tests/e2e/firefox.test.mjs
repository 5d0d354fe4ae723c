// The CPU path of every page in a second engine: Firefox (Debian's
// firefox-esr), driven over WebDriver BiDi by npm's puppeteer-core, which
// needs no driver and no browser download. Firefox on Linux has no WebGPU
// adapter here, so every scene takes the CPU path, as it does for many
// visitors. Each page is loaded, does its one thing, and must show a result
// with no page error and no console error.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer from "puppeteer-core";
import { serve } from "../../tools/serve.mjs";
import { SHOTS } from "./harness.mjs";

const FIREFOX = "/usr/bin/firefox-esr";

describe("Firefox ESR, CPU path", { skip: existsSync(FIREFOX) ? false : `${FIREFOX} is not installed (./build.sh test installs it)` }, () => {
  let server, origin, browser, profile;
  const problems = [];
  before(async () => {
    server = await serve("www", 0);
    origin = `http://127.0.0.1:${server.address().port}`;
    profile = mkdtempSync(join(tmpdir(), "hypothetical-firefox-"));
    browser = await puppeteer.launch({
      browser: "firefox",
      executablePath: FIREFOX,
      headless: true,
      userDataDir: profile,
      // Firefox 140's BiDi has no viewport override: the window has the laptop size instead.
      defaultViewport: null,
      args: ["--width=1366", "--height=768"],
    });
  });
  after(async () => {
    await browser?.close();
    server?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  /** A fresh tab on `path`, with page errors and console errors recorded under `name`. */
  async function open(name, path) {
    const page = await browser.newPage();
    page.on("pageerror", (e) => problems.push(`${name}: page error: ${e.message}`));
    page.on("console", (m) => { if (m.type() === "error") problems.push(`${name}: console: ${m.text()}`); });
    await page.goto(`${origin}/${path}`);
    return page;
  }
  /**
   * Waits until `fn(arg)`, evaluated in the page, is true: polled from here,
   * because Puppeteer's waitForFunction needs eval in the page, which the
   * site's Content Security Policy refuses in Firefox.
   */
  const until = async (page, fn, arg, timeout = 60_000) => {
    for (const end = Date.now() + timeout; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
      if (await page.evaluate(fn, arg)) return;
    }
    throw new Error(`waited ${timeout} ms for ${fn}`);
  };
  const ready = (page, timeout = 120_000) => page.waitForSelector("html[data-ready=true]", { timeout });
  const finish = async (page, name) => {
    await page.screenshot({ path: `${SHOTS}/firefox-${name}.png` });
    await page.close();
    assert.deepEqual(problems.filter((p) => p.startsWith(`${name}:`)), []);
  };
  /** Mean and spread of a canvas's luma, read in the page (canvas data is same-origin). */
  const lumaStats = (page, selector) => page.$eval(selector, (c) => {
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let s = 0, s2 = 0;
    const n = d.length / 4;
    for (let i = 0; i < d.length; i += 4) { const y = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2]; s += y; s2 += y * y; }
    return { mean: s / n, sd: Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2)) };
  });

  it("the front page says it computes on the CPU and every miniature draws frames", async () => {
    const page = await open("front", "?test");
    await ready(page);
    await until(page, () => /CPU/.test(document.getElementById("backend").textContent), undefined, 60_000);
    const ids = await page.$$eval(".card[data-scene]", (cards) => cards.map((c) => c.dataset.scene));
    assert.ok(ids.length >= 7, `cards: ${ids}`);
    for (const id of ids) {
      await page.$eval(`.card[data-scene="${id}"]`, (c) => c.scrollIntoView());
      await until(page, (i) => Number(document.querySelector(`.card[data-scene="${i}"]`).dataset.frames ?? 0) >= 1, id, 60_000);
    }
    await finish(page, "front");
  });

  it("Dissolve opened at t = 700 on the zone plate shows a noisy picture, and t = 0 the clean one", async () => {
    const page = await open("dissolve", "dissolve.html?test#image=zone-plate&t=700");
    await ready(page);
    assert.equal(await page.$eval("#t", (s) => s.value), "700");
    await until(page, () => /CPU/.test(document.getElementById("backend").textContent));
    const noisy = await lumaStats(page, "canvas#view");
    await page.evaluate(() => { location.hash = "image=zone-plate&t=0"; });
    await until(page, () => document.getElementById("t").value === "0");
    await new Promise((r) => setTimeout(r, 500));
    const clean = await lumaStats(page, "canvas#view");
    assert.ok(Math.abs(noisy.mean - clean.mean) > 0.5 || Math.abs(noisy.sd - clean.sd) > 0.5, `t=700 ${JSON.stringify(noisy)} against t=0 ${JSON.stringify(clean)}`);
    await finish(page, "dissolve");
  });

  it("Recognize generates a 32 px picture in 10 steps and says it finished", async () => {
    const page = await open("generate", "generate.html?test#scene=recognize&tag=flower&steps=10&size=32&seed=7");
    await ready(page);
    await page.click("#generate");
    await page.waitForSelector("html[data-generated]", { timeout: 300_000 });
    assert.match(await page.$eval("#progress-text", (e) => e.textContent), /Finished: 10 steps/);
    await finish(page, "generate");
  });

  it("Sounds Like Music carves a clip, and a click plays it or says why it cannot", async () => {
    const page = await open("sound", "sound.html?test");
    await ready(page);
    await page.click("#generate");
    await page.waitForSelector("html[data-generated]", { timeout: 300_000 });
    // Headless Firefox here has no sound output: its AudioContext never starts.
    // The page must say so and keep working; where sound starts, it plays.
    await page.click("#play-result");
    await until(page, () => document.documentElement.dataset.playing === "result" || document.documentElement.dataset.audio === "off", undefined, 60_000);
    if (await page.$eval("html", (h) => h.dataset.audio === "off")) {
      assert.match(await page.$eval("#sound-state", (e) => e.textContent), /did not start sound/);
    }
    await page.click("#stop-gen");
    await finish(page, "sound");
  });

  it("Swim starts after a click and its frames advance, with sound or, where none starts, a clock of its own", async () => {
    const page = await open("swim", "swim.html?test");
    await ready(page);
    await page.click("#start");
    await page.waitForSelector("html[data-playing=true]", { timeout: 60_000 });
    const frames = await page.$eval("#view", (v) => Number(v.dataset.frames));
    await until(page, (n) => Number(document.getElementById("view").dataset.frames) > n + 3, frames, 30_000);
    if (await page.$eval("html", (h) => h.dataset.sound === "off")) {
      assert.match(await page.$eval("#status", (e) => e.textContent), /Playing without sound: the browser did not start sound/);
    }
    await page.click("#pause");
    await finish(page, "swim");
  });

  it("the Archive lists its credited items and the companion page its eight chapters", async () => {
    const archive = await open("archive", "archive.html?test");
    await until(archive, () => document.querySelectorAll("#items > li").length >= 50, undefined, 60_000);
    await finish(archive, "archive");
    const companion = await open("companion", "companion.html?test");
    await until(companion, () => document.querySelectorAll("#chapters > li").length === 8, undefined, 60_000);
    await finish(companion, "companion");
  });

  it("the kiosk's front page opens its attract state with “Touch to begin”", async () => {
    const page = await open("kiosk", "?test&kiosk");
    await page.waitForSelector("html[data-kiosk-ready=true]", { timeout: 60_000 });
    await page.waitForSelector("#kiosk-begin", { visible: true });
    await finish(page, "kiosk");
  });
});
