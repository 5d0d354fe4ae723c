// Writes www/precache.json for the kiosk's service worker (www/sw.js): every
// file under www/ (but the worker, this list and the compressed copies), the front page also as
// "./", and a version: the first 16 hex digits of SHA-256 over the files'
// names and contents, so any change to any file makes a new version.
// Usage: node tools/precache.mjs [root]
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";

const root = process.argv[2] ?? "www";
const SKIP = new Set(["sw.js", "precache.json"]);

function walk(dir) {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

// The .br and .gz copies are the same files in another encoding (tools/compress.mjs): the worker's fetch decodes them.
const files = walk(root).map((p) => relative(root, p).split(sep).join("/")).filter((f) => !SKIP.has(f) && !/\.(br|gz)$/.test(f));
const hash = createHash("sha256");
let bytes = 0;
for (const f of files) {
  const body = readFileSync(join(root, f));
  bytes += body.length;
  hash.update(f).update("\0").update(body);
}
const version = hash.digest("hex").slice(0, 16);
writeFileSync(join(root, "precache.json"), `${JSON.stringify({ version, bytes, files: ["./", ...files] }, null, 1)}\n`);
console.log(`www/precache.json: ${files.length} files, ${(bytes / 1048576).toFixed(1)} MiB, version ${version}`);
