// The bad-input corpus (tests/corpus/index.json, made by tests/corpus/make.mjs)
// on both paths: every picture through Dissolve's “your own picture”, every
// sound through Sounds Like Music's “your own sound”, every address on its
// page (followed as a hash change, as a link or Back would), and every broken
// manifest. A refused input gets a message that names it and the previous
// picture or sound stays; an accepted one is used; nothing injected runs; no
// page error; and each page still works afterwards.
import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { CONFIGS, useBrowser } from "./harness.mjs";
import { testPicture, toneWav } from "./pictures.mjs";

const { cases } = JSON.parse(readFileSync("tests/corpus/index.json", "utf8"));
const of = (kind) => cases.filter((c) => c.kind === kind);
const bytes = (c) => readFileSync(`tests/corpus/files/${c.file}`);
/** How a message names a file: whole, or its first 40 characters. */
const named = (text, name) => text.includes(name) || text.includes(name.slice(0, 40));

test("the corpus has at least 200 cases of every kind the issue names", () => {
  assert.ok(cases.length >= 200, `${cases.length} cases`);
  for (const kind of ["image", "sound", "address", "manifest"]) assert.ok(of(kind).length > 0, kind);
});

for (const config of CONFIGS) {
  describe(`Bad-input corpus (${config.name})`, () => {
    const files = {};
    const session = useBrowser({ args: config.args, files, viewport: { width: 1280, height: 900 } });
    after(() => assert.deepEqual(session.problems, []));
    const q = config.query;
    const pwned = (page) => page.evaluate(() => window.__pwned === 1 || document.querySelector("img[src='x'], script:not([src])") !== null);

    test(`${of("image").length} pictures: each used or refused in words, the previous picture kept`, async () => {
      const page = await session.fresh();
      await page.goto(`${session.origin}/dissolve.html${q}#image=zone-plate&t=300`);
      await page.waitForSelector("html[data-ready=true]", { timeout: 120_000 });
      const outcomes = { refused: 0, accepted: 0 };
      for (const c of of("image")) {
        const credit = await page.textContent("#credit");
        await page.evaluate(() => { document.documentElement.dataset.file = ""; });
        await page.setInputFiles("#file", { name: c.name, mimeType: c.type || "application/octet-stream", buffer: bytes(c) });
        await page.waitForSelector("html[data-file=done]", { state: "attached", timeout: 120_000 });
        const message = await page.textContent("#message");
        const refused = (await page.getAttribute("#message", "data-kind")) === "error";
        const now = await page.textContent("#credit");
        if (refused) {
          assert.ok(named(message, c.name) || /not a picture|could not/.test(message), `${c.file}: ${message}`);
          assert.equal(now, credit, `${c.file}: the previous picture stays`);
        } else {
          assert.ok(named(now, c.name), `${c.file}: used, credited as the visitor's (${now})`);
        }
        if (c.expect !== "either") assert.equal(refused ? "refused" : "accepted", c.expect, `${c.file}: ${message}`);
        outcomes[refused ? "refused" : "accepted"]++;
        assert.equal(await pwned(page), false, `${c.file}: nothing injected ran`);
      }
      // Still working: the slider still draws.
      await page.evaluate(() => { location.hash = "image=zone-plate&t=123"; });
      await page.waitForFunction(() => (document.getElementById("view").dataset.rendered ?? "").startsWith("zone-plate|123|"), null, { timeout: 60_000 });
      console.log(`pictures (${config.name}): ${outcomes.accepted} used, ${outcomes.refused} refused`);
    });

    test(`${of("sound").length} sounds: each used or refused in words, the previous sound kept`, async () => {
      const page = await session.fresh();
      await page.goto(`${session.origin}/sound.html${q}#clip=drums-breakbeat&t=200`);
      await page.waitForSelector("html[data-ready=true]", { timeout: 120_000 });
      const outcomes = { refused: 0, accepted: 0 };
      for (const c of of("sound")) {
        const before = await page.textContent("#source-info");
        await page.evaluate(() => { document.getElementById("message").textContent = ""; });
        await page.setInputFiles("#file", { name: c.name, mimeType: c.type || "application/octet-stream", buffer: bytes(c) });
        await page.waitForFunction((b) => {
          const info = document.getElementById("source-info").textContent;
          return !info.startsWith("Decoding") && (document.getElementById("message").textContent !== "" || info !== b);
        }, before, { timeout: 120_000 });
        const message = await page.textContent("#message");
        const info = await page.textContent("#source-info");
        const refused = info === before;
        if (refused) assert.ok(named(message, c.name), `${c.file}: ${message}`);
        else assert.ok(info.startsWith(`${c.name}:`), `${c.file}: ${info}`);
        if (c.expect !== "either") assert.equal(refused ? "refused" : "accepted", c.expect, `${c.file}: ${message || info}`);
        outcomes[refused ? "refused" : "accepted"]++;
        assert.equal(await pwned(page), false, `${c.file}: nothing injected ran`);
      }
      await page.evaluate(() => { location.hash = "clip=techno-128-acid&t=150"; });
      await page.waitForFunction(() => document.getElementById("spec").dataset.t === "150", null, { timeout: 60_000 });
      console.log(`sounds (${config.name}): ${outcomes.accepted} used, ${outcomes.refused} refused`);
    });

    /** A page that still works: a valid address, and what shows it was followed. */
    const WORKS = {
      "dissolve.html": ["image=zone-plate&t=77", () => (document.getElementById("view").dataset.rendered ?? "").startsWith("zone-plate|77|")],
      "generate.html": ["scene=average", () => document.getElementById("scene-title").textContent === "The average"],
      "sound.html": ["clip=drums-breakbeat&t=99", () => document.getElementById("spec").dataset.t === "99"],
      "swim.html": ["minutes=2", () => /of 2:00/.test(document.getElementById("clock").textContent)],
      "archive.html": ["kind=sound", () => document.querySelectorAll("#items > li[data-kind=sound]").length > 0 && document.querySelectorAll("#items > li:not([data-kind=sound])").length === 0],
    };
    // An address is read by the same JavaScript on both paths (www/js/lib/address.js): once is enough.
    test(`${of("address").length} hostile addresses: corrected or ignored, nothing injected runs, and each page still follows a good one`, { skip: config.backend === "gpu" && "addresses are read the same on both paths; tested on the CPU path" }, async () => {
      for (const [pagePath, [good, works]] of Object.entries(WORKS)) {
        const page = await session.fresh();
        await page.goto(`${session.origin}/${pagePath}${q}`);
        await page.waitForSelector("html[data-ready=true]", { timeout: 120_000 });
        for (const c of of("address").filter((k) => k.page === pagePath)) {
          await page.evaluate((h) => { location.hash = h; }, c.hash);
          await page.waitForTimeout(150);
          assert.equal(await pwned(page), false, `${pagePath}#${c.hash.slice(0, 60)}`);
          const message = (await page.textContent("#message")) ?? "";
          assert.ok(message.length < 2000, `${pagePath}: a message of ${message.length} characters`);
        }
        await page.evaluate((h) => { location.hash = h; }, good);
        await page.waitForFunction(works, null, { timeout: 120_000 });
      }
    });

    test(`${of("manifest").length} broken archive lists: each page says so in words`, async () => {
      session.expect(/could not start|archive's list|does not fit the schema|manifest/i, "the corpus serves broken manifests on purpose");
      for (const c of of("manifest")) {
        files["/archive/manifest.json"] = c.text;
        for (const pagePath of ["archive.html", "generate.html", "sound.html"]) {
          const page = await session.fresh();
          await page.goto(`${session.origin}/${pagePath}${q}`);
          await page.waitForFunction(() => document.getElementById("message").textContent.length > 0 || document.documentElement.dataset.ready === "true", null, { timeout: 120_000 });
          const message = await page.textContent("#message");
          if (c.id !== "empty-items") assert.match(message, /archive's list|could not start/, `${c.id} on ${pagePath}: ${message}`);
          assert.ok(message.length < 600, `${c.id} on ${pagePath}: ${message.length} characters`);
        }
      }
      delete files["/archive/manifest.json"];
    });
  });
}

// Memory when a visitor uploads 100 pictures, then 100 sounds, in a row (CPU
// path): the JS heap after a collection and the WebAssembly memory at the 10th
// and the 100th upload. Bounded means the 100th is no larger than the 10th by
// more than a little: nothing of the earlier uploads is kept.
describe("Memory over 100 uploads (cpu-fallback)", () => {
  const session = useBrowser({ viewport: { width: 1280, height: 900 } });
  after(() => assert.deepEqual(session.problems, []));

  async function meter(page) {
    await page.addInitScript(() => {
      window.__memories = [];
      const instantiate = WebAssembly.instantiateStreaming;
      WebAssembly.instantiateStreaming = async (...a) => {
        const r = await instantiate(...a);
        if (r.instance.exports.memory) window.__memories.push(r.instance.exports.memory);
        return r;
      };
    });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Performance.enable");
    return async () => {
      await cdp.send("HeapProfiler.collectGarbage");
      const { metrics } = await cdp.send("Performance.getMetrics");
      const heap = metrics.find((m) => m.name === "JSHeapUsedSize").value / 1048576;
      const wasm = await page.evaluate(() => window.__memories.reduce((s, m) => s + m.buffer.byteLength, 0) / 1048576);
      return { heap: +heap.toFixed(1), wasm: +wasm.toFixed(1) };
    };
  }

  for (const [kind, path, input, make, done] of [
    ["pictures", "dissolve.html?cpu&test#image=zone-plate", "#file", (k) => ({ name: `picture-${k}.png`, mimeType: "image/png", buffer: testPicture(640, 480).png }),
      (page, k) => page.waitForFunction((n) => document.getElementById("credit").textContent.includes(`picture-${n}.png`), k, { timeout: 60_000 })],
    ["sounds", "sound.html?cpu&test#clip=drums-breakbeat", "#file", (k) => ({ name: `sound-${k}.wav`, mimeType: "audio/wav", buffer: toneWav(20) }),
      (page, k) => page.waitForFunction((n) => document.getElementById("source-info").textContent.startsWith(`sound-${n}.wav:`), k, { timeout: 60_000 })],
  ]) {
    test(`100 ${kind} in a row keep the JS heap and the WebAssembly memory bounded`, async () => {
      const page = await session.fresh();
      const read = await meter(page);
      await page.goto(`${session.origin}/${path}`);
      await page.waitForSelector("html[data-ready=true]", { timeout: 120_000 });
      const at = {};
      for (let k = 1; k <= 100; k++) {
        await page.setInputFiles(input, make(k));
        await done(page, k);
        if (k === 10 || k === 100) at[k] = await read();
      }
      console.log(`100 ${kind}: JS heap ${at[10].heap} → ${at[100].heap} MiB, WebAssembly memory ${at[10].wasm} → ${at[100].wasm} MiB (10th → 100th upload)`);
      assert.ok(at[100].heap <= at[10].heap * 1.25 + 2, `heap ${at[10].heap} → ${at[100].heap} MiB`);
      assert.ok(at[100].wasm <= at[10].wasm + 2, `wasm ${at[10].wasm} → ${at[100].wasm} MiB`);
    });
  }
});
