// The Content Security Policy (defined once in tools/page-head.mjs, which
// writes it into every page's head; tools/serve.mjs sends it as a header):
// every page carries the served policy in a <meta> tag too, for static hosts
// that send no header;
// the policy is in force (an inline style attribute, an inline script and a
// request to another origin are refused); and every page loads with no
// violation (the harness fails any test on a violation or a request that
// leaves the site).
import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { useBrowser } from "./harness.mjs";
import { CSP } from "../../tools/serve.mjs";
import { pagesOutOfDate } from "../../tools/page-head.mjs";

const PAGES = readdirSync("www").filter((f) => f.endsWith(".html"));

describe("Content Security Policy", () => {
  const session = useBrowser({ viewport: { width: 1366, height: 768 } });
  after(() => assert.deepEqual(session.problems, []));

  test("every page's <meta> policy is the one the server sends", () => {
    assert.ok(PAGES.length >= 8, PAGES.join(", "));
    assert.deepEqual(pagesOutOfDate("www"), [], "every page's shared head is tools/page-head.mjs's (node tools/page-head.mjs www writes it)");
    for (const file of PAGES) {
      const html = readFileSync(`www/${file}`, "utf8");
      const meta = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]*)">/);
      assert.equal(meta?.[1], CSP, file);
      assert.doesNotMatch(html, /\sstyle="|<style|<script>|\son[a-z]+="/i, `${file}: inline style or script`);
    }
  });

  test("every page loads under the policy with no violation and no request leaving the site", async () => {
    for (const file of PAGES) {
      const page = await session.fresh();
      const response = await page.goto(`${session.origin}/${file}?cpu&test`);
      assert.equal(response.headers()["content-security-policy"], CSP, file);
      if (file !== "kiosk.html") await page.waitForSelector("html[data-ready=true]", { timeout: 120_000 }).catch(() => {});
      await page.waitForTimeout(500);
    }
  });

  test("the policy is in force: an inline style, an inline script and another origin are refused", async () => {
    // The last test of this file: what it breaks on purpose is not a problem (Chromium reports each twice, once per copy of the policy).
    session.expect(/CSP violation: (style-src-attr|script-src-elem|connect-src)|violates the (following|document.s) Content Security Policy/, "the test breaks the policy on purpose");
    const page = await session.fresh();
    await page.goto(`${session.origin}/dissolve.html?cpu&test`);
    await page.waitForSelector("html[data-ready=true]", { timeout: 120_000 });
    const refused = await page.evaluate(async () => {
      const seen = [];
      document.addEventListener("securitypolicyviolation", (e) => seen.push(e.effectiveDirective));
      document.body.insertAdjacentHTML("beforeend", '<p id="styled" style="width: 123px">x</p>');
      const script = document.createElement("script");
      script.textContent = "window.inlineRan = true";
      document.body.append(script);
      const fetched = await fetch("http://192.0.2.1/upload", { method: "POST" }).then(() => "sent", () => "refused");
      await new Promise((r) => setTimeout(r, 200));
      return { seen: [...new Set(seen)], width: document.getElementById("styled").style.width, inline: window.inlineRan === true, fetched };
    });
    assert.deepEqual(refused, { seen: ["style-src-attr", "script-src-elem", "connect-src"], width: "", inline: false, fetched: "refused" });
  });
});

// What the server sends besides the policy: the build's brotli or gzip copies
// (tools/compress.mjs) with Content-Encoding and Vary, and a copy older than
// its file is never sent.
describe("Compressed serving", () => {
  const session = useBrowser({ viewport: { width: 1366, height: 768 } });
  after(() => assert.deepEqual(session.problems, []));

  test("the wasm arrives compressed, at most 400 KiB on the wire, and pages say Vary: Accept-Encoding", async () => {
    const page = await session.fresh();
    const response = await page.goto(`${session.origin}/dissolve.html?cpu&test`);
    assert.match(response.headers()["vary"] ?? "", /accept-encoding/i);
    await page.waitForSelector("html[data-ready=true]", { timeout: 120_000 });
    const wasm = await page.evaluate(() => {
      const e = performance.getEntriesByType("resource").find((r) => r.name.endsWith("hypothetical_bg.wasm"));
      return { encoded: e.encodedBodySize, decoded: e.decodedBodySize };
    });
    assert.ok(wasm.encoded < wasm.decoded / 2, `compressed on the wire: ${JSON.stringify(wasm)}`);
    assert.ok(wasm.encoded <= 400 * 1024, `at most 400 KiB on the wire: ${wasm.encoded} bytes`);
  });

  test("brotli is preferred, gzip follows, q=0 refuses, and a copy older than its file is not sent", async () => {
    const { encodings } = await import("../../tools/serve.mjs");
    assert.deepEqual(encodings("gzip, deflate, br").map(([n]) => n), ["br", "gzip"]);
    assert.deepEqual(encodings("gzip;q=0.5, br;q=0").map(([n]) => n), ["gzip"]);
    assert.deepEqual(encodings("identity").map(([n]) => n), []);
    const { utimesSync, statSync } = await import("node:fs");
    const file = "www/js/lib/site.js";
    const { atime, mtime } = statSync(file);
    const later = new Date(Date.now() + 60_000);
    try {
      utimesSync(file, later, later); // the file is newer than its copies: it is sent as it is
      const res = await fetch(`${session.origin}/js/lib/site.js`, { headers: { "accept-encoding": "br, gzip" } });
      assert.equal(res.headers.get("content-encoding"), null);
    } finally {
      utimesSync(file, atime, mtime);
    }
    const res = await fetch(`${session.origin}/js/lib/site.js`, { headers: { "accept-encoding": "gzip" } });
    assert.equal(res.headers.get("content-encoding"), "gzip");
    assert.equal(await res.text(), readFileSync(file, "utf8"), "the copy is the file");
  });
});
