// The Archive page in headless Chromium: thousands of items listed a page at a
// time with their credits, filters by kind, tag and words (by keyboard too),
// shareable filter state, playback only after a click. Screenshots go to
// target/screenshots/.
import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import { SHOTS, useBrowser } from "./harness.mjs";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const manifest = JSON.parse(readFileSync("www/archive/manifest.json", "utf8"));
const tagged = (tag) => manifest.items.filter((i) => i.tags.includes(tag));
/** Cards listed at a time (www/js/archive-page.js). */
const PAGE = 60;

describe("Archive page", () => {
  const shown = () => page.$$eval("#items > li:not([hidden])", (lis) => lis.map((li) => li.dataset.id));
  /** The list starts with `items` in order: a page of them at least (more if the list's end came into view). */
  const listsFirst = async (items) => {
    const ids = await shown();
    assert.ok(ids.length >= Math.min(PAGE, items.length), `${ids.length} listed`);
    assert.deepEqual(ids, items.slice(0, ids.length).map((i) => i.id));
  };
  const shot = (name) => page.screenshot({ path: join(SHOTS, `archive-${name}.png`), fullPage: false });

  const session = useBrowser({ viewport: { width: 1280, height: 900 } });
  const problems = session.problems;
  let page, origin;
  before(async () => {
    ({ page, origin } = session);
    await page.goto(`${origin}/archive.html`);
    await page.waitForSelector("html[data-ready=true]", { timeout: 60_000 });
  });

  test("lists the items a page at a time with caption, creator, source and licence, and says whose they are", async () => {
    // The first page, and whatever the list's end brought into view after it.
    const listed = async () => Number(await page.getAttribute("html", "data-listed"));
    const before = await listed();
    assert.ok(before >= PAGE && before < manifest.items.length && before % PAGE === 0, `${before} listed`);
    assert.deepEqual(await shown(), manifest.items.slice(0, before).map((i) => i.id));
    assert.equal(await page.getAttribute("html", "data-shown"), String(manifest.items.length));
    const about = await page.textContent("#about");
    const images = manifest.items.filter((i) => i.kind === "image").length;
    const creators = new Set(manifest.items.map((i) => i.creator)).size;
    const minutes = (keep) => Math.floor(manifest.items.filter((i) => i.kind === "sound" && keep(i)).reduce((s, i) => s + i.samples / i.sampleRate, 0) / 60);
    assert.equal(about, `These ${images} images and ${manifest.items.length - images} sounds, by ${creators} creators, are the only examples the samplers know.`);
    assert.equal(await page.textContent("#recorded"), `${minutes((i) => i.made === "recorded")} of the ${minutes(() => true)} minutes of sound were recorded by the people credited; the project rendered, synthesised or generated the rest.`);
    assert.ok(images >= 2000 && creators >= 100, about);
    // The next page comes by keyboard (the button) as well as by scrolling.
    await page.focus("#more-items");
    const pressed = await listed();
    await page.keyboard.press("Enter");
    assert.ok(await listed() >= pressed + PAGE); // (the button stays in view: the observer may add one more)
    assert.deepEqual(await shown(), manifest.items.slice(0, await listed()).map((i) => i.id));
    // Scrolled from the top to the end of the list (an observer fires when the end comes into view).
    await page.evaluate(() => window.scrollTo(0, 0));
    const atTop = await listed();
    await page.evaluate(() => document.getElementById("more-items").scrollIntoView());
    await page.waitForFunction((n) => Number(document.documentElement.dataset.listed) > n, atTop);
    // The last item, found by words from its title and creator.
    const last = manifest.items.at(-1);
    await page.fill("#search", `${last.title.split(" ")[0]} ${last.creator.split(" ").at(-1)}`);
    await page.waitForFunction((id) => document.querySelector(`#items > li[data-id="${id}"]`), last.id);
    for (const item of [manifest.items[0], last]) {
      await page.fill("#search", "");
      await page.fill("#search", item.title);
      await page.waitForFunction((id) => document.querySelector(`#items > li[data-id="${id}"]`), item.id);
      const text = await page.textContent(`#items > li[data-id="${item.id}"]`);
      for (const field of [item.title, item.caption, item.creator, item.source, item.attribution]) assert.ok(text.includes(field), `${item.id}: ${field}`);
    }
    await page.fill("#search", "");
    await page.waitForFunction((n) => document.documentElement.dataset.shown === String(n), manifest.items.length);
    await shot("all");
  });

  test("a search for a creator finds their works and only theirs, and is kept in the address", async () => {
    const creator = "Martin Severn";
    const theirs = manifest.items.filter((i) => `${i.title} ${i.caption} ${i.creator}`.toLowerCase().includes("severn"));
    assert.ok(theirs.length >= 3 && theirs.every((i) => i.creator === creator));
    await page.fill("#search", "Severn");
    await page.waitForFunction((n) => document.documentElement.dataset.shown === String(n), theirs.length);
    await listsFirst(theirs);
    assert.match(await page.textContent("#count"), new RegExp(`Showing ${theirs.length} of ${manifest.items.length} items matching “Severn”`));
    assert.ok(page.url().includes("q=Severn"), page.url());
    // A recording says how it was made; a tag the project wrote is marked as ours.
    const card = `#items > li[data-id="${theirs[0].id}"]`;
    assert.match(await page.textContent(`${card} .hint`), /recorded by the people credited/);
    assert.equal(await page.getAttribute(`${card} button.tag[data-tag="game music"]`, "aria-label"), "game music (a tag the project wrote)");
    await page.fill("#search", "");
    await page.waitForFunction((n) => document.documentElement.dataset.shown === String(n), manifest.items.length);
  });

  test("every thumbnail loads at 128 × 128", async () => {
    await page.evaluate(async () => {
      for (const img of document.querySelectorAll("#items img")) {
        img.loading = "eager";
        if (!img.complete) await new Promise((r) => { img.onload = img.onerror = r; });
      }
    });
    const sizes = await page.$$eval("#items img", (imgs) => imgs.map((i) => [i.naturalWidth, i.naturalHeight]));
    assert.equal(sizes.length, manifest.items.slice(0, Number(await page.getAttribute("html", "data-listed"))).filter((i) => i.kind === "image").length);
    assert.ok(sizes.every(([w, h]) => w === 128 && h === 128), JSON.stringify(sizes.filter(([w]) => w !== 128)));
  });

  test("a tag filters by keyboard, and the filter is kept in the address", async () => {
    await page.focus('#tags button[data-tag="Australian"]');
    await page.keyboard.press("Enter");
    await listsFirst(tagged("Australian"));
    assert.match(await page.textContent("#count"), new RegExp(`Showing ${tagged("Australian").length} of ${manifest.items.length} items tagged “Australian”`));
    assert.equal(await page.getAttribute('#tags button[data-tag="Australian"]', "aria-pressed"), "true");
    await shot("australian");
    // The arrow key reaches the next tag (the tags are one tab stop), Space toggles it.
    await page.keyboard.press("ArrowRight");
    const next = await page.evaluate(() => document.activeElement.dataset.tag);
    await page.keyboard.press("Space");
    await listsFirst(tagged(next));
    assert.ok(page.url().includes(`tag=${encodeURIComponent(next).replace(/%20/g, "+")}`), page.url());
    await page.reload();
    await page.waitForSelector("html[data-ready=true]");
    await listsFirst(tagged(next));
  });

  test("kind and tag combine; a tag inside a card filters too", async () => {
    await page.goto(`${origin}/archive.html#kind=sound&tag=static`);
    await page.waitForSelector("html[data-ready=true]");
    const want = tagged("static").filter((i) => i.kind === "sound").map((i) => i.id);
    assert.ok(want.length >= 3);
    await listsFirst(tagged("static").filter((i) => i.kind === "sound"));
    // The tag row counts sounds alone, and a tag no sound carries is not offered.
    assert.equal(await page.textContent('#tags button[data-tag="static"]'), `static ${want.length}`);
    assert.equal(await page.isVisible('#tags button[data-tag="clip art"]'), false);
    // The row holds the tags of at least 5 items of the kind shown.
    const soundTags = new Map();
    for (const t of manifest.items.filter((i) => i.kind === "sound").flatMap((i) => i.tags)) soundTags.set(t, (soundTags.get(t) ?? 0) + 1);
    assert.equal(await page.textContent("#more-tags"), `Show all ${[...soundTags.values()].filter((n) => n >= 5).length} tags`);
    await page.click('button.kind[data-kind="image"]');
    await listsFirst(tagged("static").filter((i) => i.kind === "image"));
    await shot("static-images");
    await page.click('button.kind[data-kind=""]');
    await page.click('#tags button[data-tag="static"]'); // pressed again: the tag filter is off
    assert.equal(await page.getAttribute("html", "data-shown"), String(manifest.items.length));
    await page.click('#items > li[data-id="daisy"] button.tag[data-tag="flower"]');
    await listsFirst(tagged("flower"));
    // A tag too rare for the row joins it while it is chosen.
    const rare = manifest.items.flatMap((i) => i.tags).find((t) => tagged(t).length === 1);
    await page.goto(`${origin}/archive.html#tag=${encodeURIComponent(rare)}`);
    await page.waitForSelector("html[data-ready=true]");
    await listsFirst(tagged(rare));
    assert.equal(await page.getAttribute(`#tags button.tag[data-tag="${rare}"]`, "aria-pressed"), "true");
  });

  test("an unknown tag in the address shows everything with a note", async () => {
    await page.goto(`${origin}/archive.html#tag=no-such-tag`);
    await page.waitForSelector("html[data-ready=true]");
    assert.equal(await page.getAttribute("html", "data-shown"), String(manifest.items.length));
    assert.match(await page.textContent("#message"), /No item is tagged “no-such-tag”/);
  });

  test("a sound plays after a click, says how loud, and stops on the second", async () => {
    await page.goto(`${origin}/archive.html#kind=sound&tag=techno`);
    await page.waitForSelector("html[data-ready=true]");
    const techno = tagged("techno").filter((i) => i.kind === "sound");
    const id = techno[0].id;
    const button = `#items > li[data-id="${id}"] button.play`;
    await page.click(button);
    assert.equal(await page.getAttribute(button, "aria-pressed"), "true");
    await page.waitForSelector(`html[data-playing="${id}"]`, { state: "attached", timeout: 20_000 });
    // What plays and how loud, measured on the clip at the player's volume.
    await page.waitForFunction(() => /dBFS/.test(document.getElementById("now-playing").textContent));
    const words = await page.textContent("#now-playing");
    assert.ok(words.startsWith(`Playing “${techno[0].title}” (`), words);
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
