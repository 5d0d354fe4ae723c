// The head every page of www/ shares, defined once: the Content Security
// Policy (also sent as a header by tools/serve.mjs), the character set, the
// viewport and the icon. `node tools/page-head.mjs [root]` writes these lines
// into each page between `<head>` and the marker below (./build.sh runs it);
// `--check` only says which pages differ (the CSP browser test uses
// `pagesOutOfDate`). A page's own lines (title, description, stylesheet,
// module) follow the marker.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The Content Security Policy of every page: scripts only from the site (and
 * WebAssembly compiled from them), no inline script or style, no connection
 * anywhere but the site. A <meta> policy cannot say frame-ancestors, so the
 * pages can be embedded (docs/kiosk-and-embedding.md).
 */
export const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'";

const MARKER = "  <!-- The lines above are written by tools/page-head.mjs: edit them there. -->";

/** The shared lines, as they stand in a page. */
export const SHARED_HEAD = [
  '  <meta charset="utf-8">',
  `  <meta http-equiv="Content-Security-Policy" content="${CSP}">`,
  '  <meta name="viewport" content="width=device-width, initial-scale=1">',
  '  <link rel="icon" href="favicon.svg" type="image/svg+xml">',
  MARKER,
];
const SHARED = new Set(SHARED_HEAD.map((l) => l.trim()));

/** `html` with its shared head written afresh (any old copy of those lines removed). */
export function withSharedHead(html) {
  const lines = html.split("\n");
  const open = lines.findIndex((l) => l.trim() === "<head>");
  const close = lines.findIndex((l) => l.trim() === "</head>");
  if (open < 0 || close < open) throw new Error("no <head> … </head>");
  const own = lines.slice(open + 1, close).filter((l) => !SHARED.has(l.trim()) && !/http-equiv="Content-Security-Policy"/.test(l));
  return [...lines.slice(0, open + 1), ...SHARED_HEAD, ...own, ...lines.slice(close)].join("\n");
}

/** The pages of `root` whose shared head is not the one defined here. */
export function pagesOutOfDate(root = "www") {
  return pages(root).filter((f) => {
    const html = readFileSync(join(root, f), "utf8");
    return withSharedHead(html) !== html;
  });
}

function pages(root) {
  return readdirSync(root).filter((f) => f.endsWith(".html")).sort();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const check = process.argv.includes("--check");
  const root = process.argv.slice(2).find((a) => !a.startsWith("--")) ?? "www";
  const stale = pagesOutOfDate(root);
  if (check) {
    if (stale.length) console.error(`pages whose shared head differs from tools/page-head.mjs: ${stale.join(", ")}`);
    process.exit(stale.length ? 1 : 0);
  }
  for (const f of stale) writeFileSync(join(root, f), withSharedHead(readFileSync(join(root, f), "utf8")));
  if (stale.length) console.log(`tools/page-head.mjs: wrote the shared head into ${stale.join(", ")}`);
}
