// Writes brotli (.br) and gzip (.gz) copies beside every compressible file of
// www/ (text, JSON, WebAssembly; not the archive's FLAC and PNG, which are
// compressed already) so that tools/serve.mjs can send them with
// Content-Encoding to a browser that accepts them, and writes the wasm's size
// on the wire to docs/wasm-size.md. Run by ./build.sh after the wasm build.
// Usage: node tools/compress.mjs [root]
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { extname, join } from "node:path";

/** The types worth compressing (what tools/serve.mjs sends compressed). */
export const COMPRESSIBLE = new Set([".html", ".js", ".mjs", ".css", ".json", ".wasm", ".svg", ".txt", ".webmanifest"]);
/** Below this a compressed copy saves less than a packet. */
const MIN_BYTES = 1024;

function walk(dir) {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

if (import.meta.url === `file://${process.argv[1]}`) compressAll(process.argv[2] ?? "www");

/** Writes the copies under `root`, and the wasm's size. */
function compressAll(root) {
  let files = 0, raw = 0, br = 0;
  let wasm = null;
  for (const path of walk(root)) {
    if (!COMPRESSIBLE.has(extname(path))) continue;
    const body = readFileSync(path);
    if (body.length < MIN_BYTES) continue;
    // Copies written after the file's last change are kept (the rule tools/serve.mjs sends them by).
    const current = [".br", ".gz"].every((suffix) => existsSync(path + suffix) && statSync(path + suffix).mtimeMs >= statSync(path).mtimeMs);
    const b = current ? readFileSync(`${path}.br`) : brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } });
    const g = current ? readFileSync(`${path}.gz`) : gzipSync(body, { level: 9 });
    if (!current) {
      writeFileSync(`${path}.br`, b);
      writeFileSync(`${path}.gz`, g);
    }
    files += 1; raw += body.length; br += b.length;
    if (path.endsWith("hypothetical_bg.wasm")) wasm = { raw: body.length, gz: g.length, br: b.length };
  }
  const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
  console.log(`${root}: ${files} files precompressed, ${kib(raw)} → ${kib(br)} with brotli`);
  if (wasm) {
    const line = `${kib(wasm.raw)} after wasm-opt -Oz; on the wire ${kib(wasm.br)} with brotli, ${kib(wasm.gz)} with gzip`;
    console.log(`www/pkg/hypothetical_bg.wasm: ${line}`);
    writeFileSync("docs/wasm-size.md", `# The wasm's size\n\n*Written by \`./build.sh build\` (tools/compress.mjs); it changes only when the code does.*\n\n\`www/pkg/hypothetical_bg.wasm\`: ${line} (${wasm.raw} / ${wasm.br} / ${wasm.gz} bytes).\n`);
  }
}
