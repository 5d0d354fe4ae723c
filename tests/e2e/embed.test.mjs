// The embed API (www/js/lib/embed.js) in headless Chromium, on both paths: a
// host page on another origin frames a scene with ?embed, hears “ready”,
// sets the scene's state, plays and pauses it, opens another scene, and gets
// a reason back for every malformed message; a host on an origin that is not
// on the site's list (embed.json) is ignored. Site and host run under strict
// Content Security Policies (the harness fails on any violation).
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { CONFIGS, SHOTS, useBrowser } from "./harness.mjs";
import { serve } from "../../tools/serve.mjs";

const HOST_DIR = "tests/e2e/embed-host";

for (const config of CONFIGS) {
  const q = config.query.replace("?", "");
  describe(`Embedding (${config.name})`, () => {
    // The site's list of allowed hosts, filled in once the host's origin is known.
    const files = {};
    const session = useBrowser({ args: config.args, files, viewport: { width: 1024, height: 800 } });
    let page, origin, host, stranger;
    const hostCsp = (site) => `default-src 'self'; script-src 'self'; style-src 'self'; img-src data:; frame-src ${site}; object-src 'none'; base-uri 'none'`;
    before(async () => {
      ({ page, origin } = session);
      host = await serve(HOST_DIR, 0, "127.0.0.1", { csp: hostCsp(origin) });
      stranger = await serve(HOST_DIR, 0, "127.0.0.1", { csp: hostCsp(origin) });
      const hostOrigin = `http://127.0.0.1:${host.address().port}`;
      // Two opaque-origin entries ("null"), which the site must refuse when it reads the list.
      files["/embed.json"] = JSON.stringify({ origins: [hostOrigin, "data:text/html,x", "javascript:alert(1)"] });
      session.origins.add(hostOrigin);
      session.origins.add(`http://127.0.0.1:${stranger.address().port}`);
    });
    after(() => {
      host?.close();
      stranger?.close();
      assert.deepEqual(session.problems, []);
    });

    const hostUrl = (server, path) => `http://127.0.0.1:${server.address().port}/host.html?site=${encodeURIComponent(origin)}&path=${encodeURIComponent(path)}`;
    const frame = () => page.frames().find((f) => f.url().startsWith(origin));
    const events = () => page.evaluate(() => window.events);
    /** Waits (120 s at most) for an event after the first `after` that `pred` accepts, read from the host page. */
    const waitEvent = async (pred, after = 0) => {
      for (const until = Date.now() + 120_000; Date.now() < until; await page.waitForTimeout(100)) {
        if ((await events()).slice(after).some(pred)) return;
      }
      throw new Error(`no such event: ${pred}; got ${JSON.stringify(await events())}`);
    };

    test("a host frames Dissolve with ?embed: it hears “ready”, sets t, plays and pauses", async () => {
      // Events go to the host's origin alone: none is posted to an origin that is not the parent's.
      const warnings = [];
      page.on("console", (m) => { if (/postMessage|target origin/i.test(m.text())) warnings.push(m.text()); });
      await page.goto(hostUrl(host, `dissolve.html?${q}&embed#image=zone-plate&t=100`));
      await waitEvent((e) => e.type === "hypothetical:ready" && e.scene === "dissolve");
      const ready = (await events()).find((e) => e.type === "hypothetical:ready");
      assert.equal(ready.state.t, "100");
      assert.equal(await frame().isVisible("header.site nav"), false, "no site navigation in a host's frame");
      let n = (await events()).length;
      await page.evaluate(() => window.send({ type: "hypothetical:set", scene: "dissolve", state: { image: "zone-plate", t: 700 } }));
      await frame().waitForFunction(() => document.getElementById("t").value === "700");
      await waitEvent((e) => e.type === "hypothetical:state" && e.state.t === "700", n);
      await page.screenshot({ path: join(SHOTS, `${config.name}-embed-dissolve.png`) });
      // Play moves t on; pause holds it.
      await page.evaluate(() => window.send({ type: "hypothetical:play" }));
      await frame().waitForFunction(() => document.getElementById("t").value !== "700", null, { timeout: 30_000 });
      await page.evaluate(() => window.send({ type: "hypothetical:pause" }));
      await page.waitForTimeout(300);
      const held = await frame().$eval("#t", (t) => t.value);
      await page.waitForTimeout(800);
      assert.equal(await frame().$eval("#t", (t) => t.value), held, "paused");
      n = (await events()).length;
      await page.evaluate(() => window.send({ type: "hypothetical:get" }));
      await waitEvent((e) => e.type === "hypothetical:state" && e.scene === "dissolve", n);
      assert.equal(await frame().getAttribute("html", "data-embed-list-refused"), "2", "data: and javascript: entries are refused");
      assert.deepEqual(warnings, []);
    });

    test("every malformed message gets its reason back and changes nothing", async () => {
      const n = (await events()).length;
      const bad = [
        "set t to 5",
        null,
        [1, 2],
        { type: "hypothetical:delete" },
        { type: "hypothetical:set", scene: "elsewhere" },
        { type: "hypothetical:set", scene: "dissolve", state: "t=5" },
        { type: "hypothetical:set", scene: "dissolve", state: { t: "9".repeat(1000) } },
        { type: "hypothetical:set", scene: "dissolve", state: { t: { valueOf: 5 } } },
        { type: "hypothetical:set", scene: "dissolve", state: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i])) },
        { type: "hypothetical:set", scene: "dissolve", state: { image: "<img src=x onerror=alert(1)>", t: 300 } },
      ];
      const before = await frame().$eval("#t", (t) => t.value);
      await page.evaluate((messages) => { for (const m of messages) window.send(m); }, bad);
      await page.waitForFunction(([k, count]) => window.events.slice(k).filter((e) => e.type === "hypothetical:error").length >= count, [n, bad.length - 1], { timeout: 30_000 });
      const reasons = (await events()).slice(n).filter((e) => e.type === "hypothetical:error").map((e) => e.reason);
      assert.deepEqual(reasons, [
        "a message is an object", "a message is an object", "a message is an object",
        "unknown type \"hypothetical:delete\"", "unknown scene \"elsewhere\"",
        "state is an object of address fields", "state field “t” is longer than 200 characters",
        "state field “t” is not a string or number", "state has more than 16 fields",
      ]);
      // The last one is well formed: the page reads it as it reads any address and says what it corrected.
      await frame().waitForFunction(() => document.getElementById("t").value === "300");
      assert.match(await frame().textContent("#message"), /no built-in picture|not one of|ignored|corrected/i);
      assert.notEqual(before, null);
      assert.equal(await frame().$eval("#view", (c) => c.width > 0), true);
    });

    test("a host on an origin that is not on the list is ignored and told nothing", async () => {
      await page.goto(hostUrl(stranger, `dissolve.html?${q}&embed#image=zone-plate&t=100`));
      while (!frame()) await page.waitForTimeout(100);
      await frame().waitForSelector("html[data-ready=true]", { timeout: 120_000 });
      await page.waitForTimeout(500);
      await page.evaluate(() => window.send({ type: "hypothetical:set", scene: "dissolve", state: { t: 900 } }));
      await frame().waitForSelector("html[data-embed-rejected='1']", { state: "attached" });
      assert.equal(await frame().$eval("#t", (t) => t.value), "100");
      assert.deepEqual(await events(), [], "no ready, no state, no error for a stranger");
    });

    test("“set” with another scene opens it in the frame, which says it is ready", async () => {
      await page.goto(hostUrl(host, `dissolve.html?${q}&embed`));
      await waitEvent((e) => e.type === "hypothetical:ready" && e.scene === "dissolve");
      await page.evaluate(() => window.send({ type: "hypothetical:set", scene: "swim", state: { picture: "zone-plate", minutes: 2 } }));
      await waitEvent((e) => e.type === "hypothetical:ready" && e.scene === "swim");
      const ready = (await events()).filter((e) => e.type === "hypothetical:ready").at(-1);
      assert.deepEqual({ picture: ready.state.picture, minutes: ready.state.minutes }, { picture: "zone-plate", minutes: "2" });
      assert.match(frame().url(), /swim\.html\?.*embed/);
      assert.match(await frame().textContent("#clock"), /of 2:00/);
    });
  });
}
