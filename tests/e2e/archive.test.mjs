// The Archive page in headless Chromium: every item listed with its credits,
// filters by kind and tag (by keyboard too), shareable filter state, playback
// only after a click. Screenshots go to target/screenshots/.
import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import { SHOTS, useBrowser } from "./harness.mjs";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const manifest = JSON.parse(readFileSync("www/archive/manifest.json", "utf8"));
const tagged = (tag) => manifest.items.filter((i) => i.tags.includes(tag));

describe("Archive page", () => {
  const shown = () => page.$$eval("#items > li:not([hidden])", (lis) => lis.map((li) => li.dataset.id));
  const shot = (name) => page.screenshot({ path: join(SHOTS, `archive-${name}.png`), fullPage: false });

  const session = useBrowser({ viewport: { width: 1280, height: 900 } });
  const problems = session.problems;
  let page, origin;
  before(async () => {
    ({ page, origin } = session);
    await page.goto(`${origin}/archive.html`);
    await page.waitForSelector("html[data-ready=true]", { timeout: 60_000 });
  });

  test("lists every item with its caption, creator, source and licence, and says these are the only examples", async () => {
    const ids = await shown();
    assert.deepEqual(ids, manifest.items.map((i) => i.id));
    const about = await page.textContent("#about");
    const images = manifest.items.filter((i) => i.kind === "image").length;
    assert.equal(about, `These ${images} images and ${manifest.items.length - images} sounds are the only examples the samplers know.`);
    for (const item of [manifest.items[0], manifest.items.at(-1)]) {
      const text = await page.textContent(`#items > li[data-id="${item.id}"]`);
      for (const field of [item.title, item.caption, item.creator, item.source, item.attribution]) assert.ok(text.includes(field), `${item.id}: ${field}`);
    }
    await shot("all");
  });

  test("every thumbnail loads at 128 × 128", async () => {
    await page.evaluate(async () => {
      for (const img of document.querySelectorAll("#items img")) {
        img.loading = "eager";
        if (!img.complete) await new Promise((r) => { img.onload = img.onerror = r; });
      }
    });
    const sizes = await page.$$eval("#items img", (imgs) => imgs.map((i) => [i.naturalWidth, i.naturalHeight]));
    assert.equal(sizes.length, manifest.items.filter((i) => i.kind === "image").length);
    assert.ok(sizes.every(([w, h]) => w === 128 && h === 128), JSON.stringify(sizes.filter(([w]) => w !== 128)));
  });

  test("a tag filters by keyboard, and the filter is kept in the address", async () => {
    await page.focus('#tags button[data-tag="Australian"]');
    await page.keyboard.press("Enter");
    assert.deepEqual(await shown(), tagged("Australian").map((i) => i.id));
    assert.match(await page.textContent("#count"), new RegExp(`Showing ${tagged("Australian").length} of ${manifest.items.length} items tagged “Australian”`));
    assert.equal(await page.getAttribute('#tags button[data-tag="Australian"]', "aria-pressed"), "true");
    await shot("australian");
    // The arrow key reaches the next tag (the tags are one tab stop), Space toggles it.
    await page.keyboard.press("ArrowRight");
    const next = await page.evaluate(() => document.activeElement.dataset.tag);
    await page.keyboard.press("Space");
    assert.deepEqual(await shown(), tagged(next).map((i) => i.id));
    assert.ok(page.url().includes(`tag=${encodeURIComponent(next).replace(/%20/g, "+")}`), page.url());
    await page.reload();
    await page.waitForSelector("html[data-ready=true]");
    assert.deepEqual(await shown(), tagged(next).map((i) => i.id));
  });

  test("kind and tag combine; a tag inside a card filters too", async () => {
    await page.goto(`${origin}/archive.html#kind=sound&tag=static`);
    await page.waitForSelector("html[data-ready=true]");
    const want = tagged("static").filter((i) => i.kind === "sound").map((i) => i.id);
    assert.ok(want.length >= 3);
    assert.deepEqual(await shown(), want);
    // The tag row counts sounds alone, and a tag no sound carries is not offered.
    assert.equal(await page.textContent('#tags button[data-tag="static"]'), `static ${want.length}`);
    assert.equal(await page.isVisible('#tags button[data-tag="clip art"]'), false);
    const soundTags = new Set(manifest.items.filter((i) => i.kind === "sound").flatMap((i) => i.tags));
    assert.equal(await page.textContent("#more-tags"), `Show all ${soundTags.size} tags`);
    await page.click('button.kind[data-kind="image"]');
    assert.deepEqual(await shown(), tagged("static").filter((i) => i.kind === "image").map((i) => i.id));
    await shot("static-images");
    await page.click('button.kind[data-kind=""]');
    await page.click('#tags button[data-tag="static"]'); // pressed again: the tag filter is off
    assert.equal((await shown()).length, manifest.items.length);
    await page.click('#items > li[data-id="daisy"] button.tag[data-tag="flower"]');
    assert.deepEqual(await shown(), tagged("flower").map((i) => i.id));
  });

  test("an unknown tag in the address shows everything with a note", async () => {
    await page.goto(`${origin}/archive.html#tag=no-such-tag`);
    await page.waitForSelector("html[data-ready=true]");
    assert.equal((await shown()).length, manifest.items.length);
    assert.match(await page.textContent("#message"), /No item is tagged “no-such-tag”/);
  });

  test("a sound plays after a click, says how loud, and stops on the second", async () => {
    await page.goto(`${origin}/archive.html#kind=sound&tag=techno`);
    await page.waitForSelector("html[data-ready=true]");
    const id = tagged("techno")[0].id;
    const button = `#items > li[data-id="${id}"] button.play`;
    await page.click(button);
    assert.equal(await page.getAttribute(button, "aria-pressed"), "true");
    await page.waitForSelector(`html[data-playing="${id}"]`, { state: "attached", timeout: 20_000 });
    // What plays and how loud, measured on the clip at the player's volume.
    await page.waitForFunction(() => /dBFS/.test(document.getElementById("now-playing").textContent));
    const words = await page.textContent("#now-playing");
    assert.ok(words.startsWith(`Playing “${tagged("techno")[0].title}” (`), words);
    assert.match(words, /\(\d+\.\d s\): −\d+ dBFS RMS, peaks at −\d+ dBFS, as played\.$/);
    const [rms, top] = words.match(/−\d+/g).map((v) => -Number(v.slice(1)));
    assert.ok(rms < top && top <= 0, words);
    await shot("playing");
    await page.click(button);
    assert.equal(await page.getAttribute(button, "aria-pressed"), "false");
    assert.equal(await page.getAttribute("html", "data-playing"), null);
    assert.equal(await page.textContent("#now-playing"), "");
    assert.equal((await page.textContent("#message")).trim(), "");
  });

  test("a link from Dissolve points at the item", async () => {
    await page.goto(`${origin}/archive.html#item=zone-plate`);
    await page.waitForSelector("html[data-ready=true]");
    assert.equal(await page.evaluate(() => document.activeElement.closest("li")?.dataset.id), "zone-plate");
    await shot("item-link");
  });

  test("the console shows no errors", () => {
    assert.deepEqual(problems, []);
  });
});
