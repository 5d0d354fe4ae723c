// A static file server for www/ with correct MIME types (application/wasm for
// streaming compilation). No dependencies; used by `./build.sh serve` and the
// browser tests. Usage: node tools/serve.mjs [root] [port] [host]
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";

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

export function serve(root, port = 8080, host = "127.0.0.1") {
  const base = resolve(root);
  const server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
      let file = normalize(join(base, path));
      if (file !== base && !file.startsWith(base + sep)) {
        res.writeHead(403).end("forbidden");
        return;
      }
      if ((await stat(file)).isDirectory()) file = join(file, "index.html");
      const body = await readFile(file);
      res.writeHead(200, {
        // Podcasting 2.0 chapters have their own type.
        "content-type": file.endsWith(`${sep}chapters.json`) ? "application/json+chapters" : TYPES[extname(file)] ?? "application/octet-stream",
        "cache-control": "no-cache",
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
