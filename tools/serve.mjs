// A static file server for www/ with correct MIME types (application/wasm for
// streaming compilation) that sends the brotli or gzip copy the build wrote
// beside a file (tools/compress.mjs) to a browser that accepts it. No
// dependencies; used by `./build.sh serve` and the browser tests.
// Usage: node tools/serve.mjs [root] [port] [host]
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";
import { absoluteChapters } from "./chapters.mjs";
import { COMPRESSIBLE } from "./compress.mjs";
import { CSP } from "./page-head.mjs";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".svg": "image/svg+xml",
  ".flac": "audio/flac",
  ".wav": "audio/wav",
  ".txt": "text/plain; charset=utf-8",
  ".webmanifest": "application/manifest+json",
};

/** The Content Security Policy, sent as a header with every file: tools/page-head.mjs defines it once, for the pages' <meta> tags too. */
export { CSP };

/**
 * The encodings `accept` (an Accept-Encoding header) allows, best first:
 * brotli, then gzip; one with q=0 is refused.
 */
export function encodings(accept = "") {
  const allowed = new Map(accept.split(",").map((part) => {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    return [name, q ? Number(q.slice(2)) : 1];
  }));
  return [["br", ".br"], ["gzip", ".gz"]].filter(([name]) => (allowed.get(name) ?? allowed.get("*") ?? 0) > 0);
}

/** The precompressed copy of `file` the browser accepts, if the build wrote one after the file's last change. */
async function precompressed(file, accept) {
  const { mtimeMs } = await stat(file);
  for (const [name, suffix] of encodings(accept)) {
    try {
      const copy = await stat(file + suffix);
      if (copy.mtimeMs >= mtimeMs) return { name, path: file + suffix };
    } catch {
      // no copy in this encoding
    }
  }
  return null;
}

/**
 * Serves `root`; `files` maps paths (e.g. "/embed.json") to contents served
 * instead (null: not found), and `csp` replaces the policy, for tests (a host
 * page of its own).
 */
export function serve(root, port = 8080, host = "127.0.0.1", { files = {}, csp = CSP } = {}) {
  const base = resolve(root);
  const server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
      let file = normalize(join(base, path));
      if (file !== base && !file.startsWith(base + sep)) {
        res.writeHead(403).end("forbidden");
        return;
      }
      // A test's override of null stands for a file the server has lost (404).
      if (Object.hasOwn(files, path) && files[path] === null) throw new Error("gone");
      if (!Object.hasOwn(files, path) && (await stat(file)).isDirectory()) file = join(file, "index.html");
      const overridden = Object.hasOwn(files, path);
      const chapters = file.endsWith(`${sep}chapters.json`);
      const compressible = COMPRESSIBLE.has(extname(file)) && !chapters;
      const copy = compressible && !overridden ? await precompressed(file, req.headers["accept-encoding"]) : null;
      let body = overridden ? Buffer.from(files[path]) : await readFile(copy?.path ?? file);
      // The episode's chapters with absolute links, as a podcast app needs (tools/chapters.mjs).
      if (chapters) body = absoluteChapters(body.toString("utf8"), new URL(".", `http://${req.headers.host}${path}`));
      res.writeHead(200, {
        // Podcasting 2.0 chapters have their own type.
        "content-type": chapters ? "application/json+chapters" : TYPES[extname(file)] ?? "application/octet-stream",
        "cache-control": "no-cache",
        "content-security-policy": csp,
        "x-content-type-options": "nosniff",
        ...(copy ? { "content-encoding": copy.name } : {}),
        ...(compressible ? { vary: "accept-encoding" } : {}),
      });
      res.end(body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    }
  });
  return new Promise((ok) => server.listen(port, host, () => ok(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [root = "www", port = "8080", host = "127.0.0.1"] = process.argv.slice(2);
  const server = await serve(root, Number(port), host);
  const { port: actual } = server.address();
  console.log(`Hypothetical is being served at http://${host}:${actual}/ (Ctrl-C stops)`);
}
