// What every browser test file shares: the two backends, headless Chromium
// (Debian's, never a download) on a fresh profile, the static server, and a
// record of console errors and page errors.
import { before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { serve } from "../../tools/serve.mjs";

export const SHOTS = "target/screenshots";
mkdirSync(SHOTS, { recursive: true });

const BASE_ARGS = ["--no-sandbox", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** The two paths every scene is tested on. */
export const CONFIGS = [
  // The software adapter is used only when asked for (?gpu): see www/js/lib/backend.js.
  // ?test exposes the pages' test hooks (www/js/lib/test-hooks.js).
  { name: "webgpu", args: ["--enable-unsafe-webgpu"], backend: "gpu", query: "?gpu&test" },
  { name: "cpu-fallback", args: [], backend: "cpu", query: "?test" },
];

/** Tries at starting Chromium before the suite fails on it. */
const LAUNCH_TRIES = 3;

/**
 * Starts Chromium on a fresh profile. A browser that dies while it starts,
 * before any page is open, is started again on a new profile, and the retry
 * is written to stderr: a fresh-clone run on 2026-11-30 lost a whole suite
 * (Swim on WebGPU) to a Chromium that exited with SIGSEGV during startup,
 * which no page can cause. A failure on the last try fails the suite.
 */
async function launch(args, options) {
  for (let attempt = 1; ; attempt++) {
    const profile = mkdtempSync(join(tmpdir(), "hypothetical-chromium-"));
    try {
      const browser = await chromium.launchPersistentContext(profile, {
        executablePath: "/usr/bin/chromium",
        headless: true,
        args,
        ...options,
      });
      return { browser, profile };
    } catch (e) {
      rmSync(profile, { recursive: true, force: true });
      if (attempt >= LAUNCH_TRIES) throw e;
      console.error(`# Chromium did not start (try ${attempt} of ${LAUNCH_TRIES}: ${String(e.message).split("\n")[0]}); starting it again`);
    }
  }
}

/**
 * Registers hooks that serve www/ and open Chromium for the enclosing
 * `describe`, and returns an object whose `page`, `origin` and `problems`
 * are filled in before the first test (a CSP violation or a request to any
 * origin not in `origins` is a problem; `files` overrides served files, see
 * tools/serve.mjs); `fresh()` opens a new tab for a test
 * and `expect(pattern, why)` names a console error a test causes on purpose. `options` go to the browser context
 * (viewport, acceptDownloads …); `args` are extra Chromium flags.
 */
export function useBrowser({ args = [], files = {}, ...options } = {}) {
  const session = { page: null, origin: "", problems: [], expected: [], browser: null, server: null, profile: null, origins: new Set() };
  before(async () => {
    // The same object, not a copy: tests fill in overrides after the server starts.
    files[AXE_PATH] ??= AXE;
    session.server = await serve("www", 0, "127.0.0.1", { files });
    session.origin = `http://127.0.0.1:${session.server.address().port}`;
    ({ browser: session.browser, profile: session.profile } = await launch([...BASE_ARGS, ...args], options));
    session.origins.add(session.origin);
    // Every test is also a test of the Content Security Policy (a violation is
    // a console error, so a problem) and of privacy: a request that leaves the
    // site (a visitor's file uploaded, a font or script from elsewhere) is one too.
    await session.browser.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (e) => console.error(`CSP violation: ${e.effectiveDirective} blocked ${e.blockedURI || "inline"} in ${e.sourceFile}:${e.lineNumber}`));
    });
    session.browser.on("request", (request) => {
      const url = new URL(request.url());
      if ((url.protocol === "http:" || url.protocol === "https:" || url.protocol === "ws:") && !session.origins.has(url.origin)) {
        session.problems.push(`request left the site: ${request.method()} ${request.url()}`);
      }
    });
    session.page = session.browser.pages()[0] ?? (await session.browser.newPage());
    watch(session.page);
  });
  const watch = (page) => {
    page.on("console", (m) => {
      if (m.type() !== "error") return;
      const text = m.text();
      if (!session.expected.some(({ pattern }) => pattern.test(text))) session.problems.push(`console: ${text}`);
    });
    page.on("pageerror", (e) => {
      if (!session.expected.some(({ pattern }) => pattern.test(e.message))) session.problems.push(`page error: ${e.message}`);
    });
  };
  /**
   * A new tab for the next test, the previous one closed, so that a test that
   * fails leaves nothing behind for the rest (same browser, same problems log).
   */
  session.fresh = async () => {
    const old = session.page;
    session.page = await session.browser.newPage();
    watch(session.page);
    await old?.close();
    return session.page;
  };
  /**
   * Declares a console error or page error that a test causes on purpose,
   * and why; it is not counted as a problem. Everything else is.
   */
  session.expect = (pattern, why) => { session.expected.push({ pattern, why }); };
  after(async () => {
    await session.browser?.close();
    session.server?.close();
    if (session.profile) rmSync(session.profile, { recursive: true, force: true });
  });
  return session;
}

/** Opens a scene's "Settings" disclosure (as a visitor would, by its summary) unless it is open. */
/** axe-core (npm), served from the site's own origin so that the pages' Content Security Policy stays on. */
const AXE_PATH = "/axe.min.js";
const AXE = readFileSync("node_modules/axe-core/axe.min.js", "utf8");
const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"];

/**
 * Checks the page as it is now with axe-core against the WCAG 2.0, 2.1 and
 * 2.2 A and AA rules: no violation, and axe ran its rules. Tests that reach a
 * state at great cost (a patch run on SwiftShader) check it here rather than
 * make the run again in tests/e2e/a11y.test.mjs.
 */
export async function assertAccessible(page) {
  await page.addScriptTag({ url: AXE_PATH });
  const result = await page.evaluate((tags) => window.axe.run(document, { runOnly: { type: "tag", values: tags } }), WCAG_TAGS);
  const found = result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}${v.nodes.length > 3 ? ` and ${v.nodes.length - 3} more` : ""}`);
  assert.deepEqual(found, []);
  assert.ok(result.passes.length > 10, "axe ran its rules");
}

export async function openSettings(page) {
  if (!(await page.$eval("#settings", (d) => d.open))) await page.click("#settings summary");
}
