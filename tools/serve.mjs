// A static file server for www/ with correct MIME types (application/wasm for
// streaming compilation). No dependencies; used by `./build.sh serve` and the
// browser tests. Usage: node tools/serve.mjs [root] [port] [host]
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";
import { absoluteChapters } from "./chapters.mjs";

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

/**
 * The Content Security Policy of every page: scripts only from the site (and
 * WebAssembly compiled from them), no inline script or style, no connection
 * anywhere but the site. Sent as a header here; every HTML page carries the
 * same text in a <meta> tag for static hosts (a browser test checks they agree).
 */
export const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'";

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
      let body = Object.hasOwn(files, path) ? Buffer.from(files[path]) : await readFile(file);
      // The episode's chapters with absolute links, as a podcast app needs (tools/chapters.mjs).
      if (file.endsWith(`${sep}chapters.json`)) body = absoluteChapters(body.toString("utf8"), new URL(".", `http://${req.headers.host}${path}`));
      res.writeHead(200, {
        // Podcasting 2.0 chapters have their own type.
        "content-type": file.endsWith(`${sep}chapters.json`) ? "application/json+chapters" : TYPES[extname(file)] ?? "application/octet-stream",
        "cache-control": "no-cache",
        "content-security-policy": csp,
        "x-content-type-options": "nosniff",
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
