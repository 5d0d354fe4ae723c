// Writes the bad-input corpus (tests/corpus/files/ and index.json): pictures,
// sounds, addresses and manifests that are broken, hostile or merely odd,
// each with what the page must do. Run it after changing a case:
//   node tests/corpus/make.mjs
// tests/e2e/corpus.test.mjs feeds every case to the pages on both paths;
// the embed API's malformed messages live in tests/e2e/embed.test.mjs.
// Expectations: "refused" (a clear message naming the input, the previous
// picture or sound kept), "accepted" (it is used), "either" (an engine may do
// either; the page must still say something or use it, and keep working).
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { deflateSync } from "node:zlib";
import { animatedGif, corruptPng, hugeGreyPng, png, png16, testPicture, toneWav, zeroSizePng } from "../e2e/pictures.mjs";

const DIR = "tests/corpus/files";
rmSync(DIR, { recursive: true, force: true });
mkdirSync(DIR, { recursive: true });
const cases = [];
let seed = 20261130;
const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const noise = (n) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));

/** Adds a file case: `kind` image or sound; `name` is what the visitor's file is called. */
function file(kind, id, bytes, { name = id, type = "", expect }) {
  writeFileSync(`${DIR}/${id}`, bytes);
  cases.push({ kind, file: id, name, type, expect, bytes: bytes.length });
}
const flip = (buf, at) => { const b = Buffer.from(buf); b[at % b.length] ^= 0xff; return b; };

// ---- pictures (Dissolve's “your own picture”) ----
const good = testPicture(48, 40).png;
file("image", "empty.png", Buffer.alloc(0), { type: "image/png", expect: "refused" });
for (const cut of [4, 8, 16, 24, 33, 41, 60, 100, 200, good.length - 13]) {
  file("image", `truncated-${cut}.png`, good.subarray(0, cut), { type: "image/png", expect: "refused" });
}
for (const [k, [ext, type]] of [["png", "image/png"], ["jpg", "image/jpeg"], ["gif", "image/gif"], ["webp", "image/webp"], ["bmp", "image/bmp"], ["png", ""], ["heic", "image/heic"], ["avif", "image/avif"], ["tiff", "image/tiff"], ["ico", "image/x-icon"]].entries()) {
  file("image", `random-${k}.${ext}`, noise(64 + k * 97), { type, expect: "refused" });
}
file("image", "corrupt-idat.png", corruptPng(), { type: "image/png", expect: "refused" });
file("image", "zero-size.png", zeroSizePng(), { type: "image/png", expect: "refused" });
file("image", "one-pixel.png", png({ width: 1, height: 1, rows: [Buffer.from([200, 30, 30])] }), { type: "image/png", expect: "accepted" });
file("image", "one-by-10000.png", hugeGreyPng(1, 10_000), { type: "image/png", expect: "accepted" });
file("image", "10000-by-one.png", hugeGreyPng(10_000, 1), { type: "image/png", expect: "accepted" });
file("image", "16-bit.png", png16(32, 32), { type: "image/png", expect: "accepted" });
file("image", "grey.png", png({ width: 8, height: 8, colorType: 0, rows: Array.from({ length: 8 }, (_, y) => Buffer.alloc(8, y * 30)) }), { type: "image/png", expect: "accepted" });
file("image", "grey-alpha.png", png({ width: 8, height: 8, colorType: 4, rows: Array.from({ length: 8 }, (_, y) => Buffer.from(Array.from({ length: 16 }, (_, i) => (i % 2 ? y * 30 : 128)))) }), { type: "image/png", expect: "accepted" });
file("image", "alpha.png", png({ width: 8, height: 8, colorType: 6, rows: Array.from({ length: 8 }, (_, y) => Buffer.from(Array.from({ length: 32 }, (_, i) => (i % 4 === 3 ? y * 30 : 200)))) }), { type: "image/png", expect: "accepted" });
file("image", "animated.gif", animatedGif(), { type: "image/gif", expect: "accepted" });
// A CMYK JPEG with Adobe's APP14 marker (two colour halves, 16 × 12). Node has
// no JPEG encoder: these 383 bytes were written once by Pillow 13
// (Image.new("CMYK", (16, 12), (0, 160, 255, 0)), the left half (200, 0, 40, 30),
// saved as JPEG at quality 90).
const CMYK_JPEG = Buffer.from("/9j/7gAOQWRvYmUAZAAAAAAA/9sAQwADAgIDAgIDAwMDBAMDBAUIBQUEBAUKBwcGCAwKDAwLCgsLDQ4SEA0OEQ4LCxAWEBETFBUVFQwPFxgWFBgSFBUU/8AAFAgADAAQBEMRAE0RAFkRAEsRAP/EAB8AAAEFAQEBAQEBAAAAAAAAAAABAgMEBQYHCAkKC//EALUQAAIBAwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+v/aAA4EQwBNAFkASwAAPwD48r9U6+6K/QOv6Fq/FSv5wq9Qr+emv2rr+j2vL6/oWr8VK/nCr1Cv/9k=", "base64");
file("image", "cmyk.jpg", CMYK_JPEG, { type: "image/jpeg", expect: "accepted" });
file("image", "cmyk-truncated.jpg", CMYK_JPEG.subarray(0, 300), { type: "image/jpeg", expect: "either" });
// A decompression bomb: 16,000 × 16,000 grey pixels (256 MB decoded) in a small file.
file("image", "bomb-16000.png", hugeGreyPng(16_000, 16_000), { type: "image/png", expect: "either" });
{
  // A header that claims 2^31 − 1 pixels a side.
  const claim = Buffer.from(good);
  claim.writeUInt32BE(0x7fffffff, 16);
  claim.writeUInt32BE(0x7fffffff, 20);
  file("image", "claims-2g-a-side.png", claim, { type: "image/png", expect: "refused" });
}
file("image", "bad-crc.png", flip(good, good.length - 5), { type: "image/png", expect: "either" });
file("image", "no-idat.png", Buffer.concat([good.subarray(0, 33), Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82])]), { type: "image/png", expect: "refused" });
file("image", "plain.svg", Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40" fill="red"/></svg>'), { type: "image/svg+xml", expect: "either" });
file("image", "script.svg", Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" onload="parent.__pwned=1"><script>parent.__pwned=1</script><rect width="40" height="40"/></svg>'), { type: "image/svg+xml", expect: "either" });
file("image", "page.png", Buffer.from("<!doctype html><script>window.__pwned=1</script>"), { type: "image/png", expect: "refused" });
file("image", "notes.jpg", Buffer.from("these are not pixels"), { type: "image/jpeg", expect: "refused" });
file("image", "png-zip-polyglot.png", Buffer.concat([good, Buffer.from("PK\x03\x04"), noise(200)]), { type: "image/png", expect: "accepted" });
file("image", "gif-js-polyglot.gif", Buffer.from("GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=1;window.__pwned=1;//"), { type: "image/gif", expect: "either" });
{
  // A 2 × 2 24-bit BMP.
  const row = Buffer.from([0, 0, 255, 0, 255, 0, 0, 0]);
  const pixels = Buffer.concat([row, row]);
  const head = Buffer.alloc(54);
  head.write("BM", 0); head.writeUInt32LE(54 + pixels.length, 2); head.writeUInt32LE(54, 10);
  head.writeUInt32LE(40, 14); head.writeInt32LE(2, 18); head.writeInt32LE(2, 22); head.writeUInt16LE(1, 26); head.writeUInt16LE(24, 28);
  head.writeUInt32LE(pixels.length, 34);
  file("image", "tiny.bmp", Buffer.concat([head, pixels]), { type: "image/bmp", expect: "accepted" });
}
{
  // A 256 KB text chunk before the pixels.
  const text = Buffer.concat([Buffer.from("Comment\0"), Buffer.alloc(1 << 18, 0x41)]);
  const len = Buffer.alloc(4); len.writeUInt32BE(text.length);
  file("image", "big-text-chunk.png", Buffer.concat([good.subarray(0, 33), len, Buffer.from("tEXt"), text, Buffer.alloc(4), good.subarray(33)]), { type: "image/png", expect: "either" });
}
for (const at of [40, 45, 50, 60, 70, 90, 120, 160, 200, 250]) file("image", `flipped-${at}.png`, flip(good, at), { type: "image/png", expect: "either" });
for (const [w, h] of [[2, 2], [3, 1000], [1000, 3], [7, 7], [513, 17], [17, 513]]) file("image", `size-${w}x${h}.png`, hugeGreyPng(w, h), { type: "image/png", expect: "accepted" });
file("image", "long-name.png", good, { name: `${"long-name-".repeat(30)}.png`, type: "image/png", expect: "accepted" });
file("image", "injected-name.png", Buffer.from("not a picture"), { name: '<img src=x onerror="window.__pwned=1">.png', type: "image/png", expect: "refused" });
file("image", "webp-header.webp", Buffer.concat([Buffer.from("RIFF\x20\0\0\0WEBPVP8 "), noise(20)]), { type: "image/webp", expect: "refused" });
file("image", "gif-header.gif", Buffer.from("GIF89a"), { type: "image/gif", expect: "refused" });
file("image", "jpeg-soi.jpg", Buffer.from([0xff, 0xd8, 0xff]), { type: "image/jpeg", expect: "refused" });
file("image", "deflate-garbage.png", Buffer.concat([good.subarray(0, 33), (() => { const d = deflateSync(noise(5000)); const l = Buffer.alloc(4); l.writeUInt32BE(d.length); return Buffer.concat([l, Buffer.from("IDAT"), d, Buffer.alloc(4)]); })(), good.subarray(good.length - 12)]), { type: "image/png", expect: "either" });

// ---- sounds (Sounds Like Music's “your own sound”) ----
/** A WAV from raw sample bytes: `format` 1 PCM, 3 float, 7 mu-law. */
function wav({ format = 1, channels = 1, rate = 22_050, bits = 16, data, extra = [] }) {
  const fmt = Buffer.alloc(16);
  fmt.writeUInt16LE(format, 0); fmt.writeUInt16LE(channels, 2); fmt.writeUInt32LE(rate, 4);
  fmt.writeUInt32LE(rate * channels * Math.ceil(bits / 8), 8); fmt.writeUInt16LE(channels * Math.ceil(bits / 8), 12); fmt.writeUInt16LE(bits, 14);
  const chunks = [...extra, ["fmt ", fmt], ["data", data]].map(([id, body]) => {
    const head = Buffer.alloc(8); head.write(id, 0); head.writeUInt32LE(body.length, 4);
    return Buffer.concat([head, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
  });
  const body = Buffer.concat([Buffer.from("WAVE"), ...chunks]);
  const riff = Buffer.alloc(8); riff.write("RIFF", 0); riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}
const samples16 = (n, f) => { const b = Buffer.alloc(n * 2); for (let i = 0; i < n; i++) b.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(f(i) * 32767))), i * 2); return b; };
const floats = (n, f) => { const b = Buffer.alloc(n * 4); for (let i = 0; i < n; i++) b.writeFloatLE(f(i), i * 4); return b; };
const tone = (i, rate = 22_050) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / rate);
const goodWav = wav({ data: samples16(22_050 * 2, tone) });

file("sound", "empty.wav", Buffer.alloc(0), { type: "audio/wav", expect: "refused" });
for (const cut of [4, 12, 20, 36, 44, 45, 100, 1000, 20_000, goodWav.length - 1]) {
  file("sound", `truncated-${cut}.wav`, goodWav.subarray(0, cut), { type: "audio/wav", expect: cut <= 44 ? "refused" : "either" });
}
for (const [k, [ext, type]] of [["wav", "audio/wav"], ["mp3", "audio/mpeg"], ["ogg", "audio/ogg"], ["flac", "audio/flac"], ["m4a", "audio/mp4"], ["wav", ""], ["aiff", "audio/aiff"], ["opus", "audio/opus"]].entries()) {
  file("sound", `random-${k}.${ext}`, noise(300 + k * 211), { type, expect: "refused" });
}
file("sound", "no-samples.wav", wav({ data: Buffer.alloc(0) }), { type: "audio/wav", expect: "refused" });
file("sound", "silence.wav", wav({ data: samples16(22_050 * 3, () => 0) }), { type: "audio/wav", expect: "refused" });
file("sound", "full-scale-square.wav", wav({ data: samples16(22_050 * 3, (i) => (Math.floor(i / 50) % 2 ? 1 : -1)) }), { type: "audio/wav", expect: "accepted" });
file("sound", "dc-offset.wav", wav({ data: samples16(22_050 * 3, (i) => 0.5 + 0.1 * tone(i)) }), { type: "audio/wav", expect: "accepted" });
file("sound", "nan.wav", wav({ format: 3, bits: 32, data: floats(22_050, () => Number.NaN) }), { type: "audio/wav", expect: "refused" });
file("sound", "infinite.wav", wav({ format: 3, bits: 32, data: floats(22_050, (i) => (i % 2 ? Infinity : -Infinity)) }), { type: "audio/wav", expect: "refused" });
file("sound", "half-nan.wav", wav({ format: 3, bits: 32, data: floats(22_050, (i) => (i < 11_025 ? tone(i) : Number.NaN)) }), { type: "audio/wav", expect: "refused" });
file("sound", "loud-float.wav", wav({ format: 3, bits: 32, data: floats(22_050 * 2, (i) => 4 * tone(i)) }), { type: "audio/wav", expect: "accepted" });
file("sound", "silent-58s.wav", wav({ rate: 8000, data: samples16(8000 * 60, (i) => (i < 8000 * 58 ? 0 : tone(i, 8000))) }), { type: "audio/wav", expect: "accepted" });
file("sound", "8-channels-192k.wav", wav({ channels: 8, rate: 192_000, data: samples16(192_000 * 8 * 0.1, (i) => tone(Math.floor(i / 8), 192_000)) }), { type: "audio/wav", expect: "accepted" });
file("sound", "192k.wav", wav({ rate: 192_000, data: samples16(48_000, (i) => tone(i, 192_000)) }), { type: "audio/wav", expect: "accepted" });
file("sound", "8k.wav", wav({ rate: 8000, data: samples16(8000 * 2, (i) => tone(i, 8000)) }), { type: "audio/wav", expect: "accepted" });
file("sound", "one-sample.wav", wav({ data: samples16(1, () => 0.5) }), { type: "audio/wav", expect: "either" });
// Its header claims three hours over half a second of samples: it is read as what is there.
file("sound", "three-hours-stated.wav", toneWav(0.5, { statedSeconds: 3 * 3600 }), { type: "audio/wav", expect: "either" });
{
  // A FLAC header (STREAMINFO) stating two hours at 44.1 kHz, then garbage.
  const info = Buffer.alloc(34);
  info.writeUInt16BE(4096, 0); info.writeUInt16BE(4096, 2);
  const rate = 44_100, total = rate * 7200;
  info[10] = rate >> 12; info[11] = (rate >> 4) & 0xff; info[12] = ((rate & 0xf) << 4) | (1 << 1) | 0; // mono, 16 bits → (bits−1)=15: top bit
  info[12] |= 0; info[13] = (15 << 4) | Math.floor(total / 2 ** 32);
  info.writeUInt32BE(total % 2 ** 32, 14);
  file("sound", "two-hours-stated.flac", Buffer.concat([Buffer.from("fLaC"), Buffer.from([0x80, 0, 0, 34]), info, noise(500)]), { type: "audio/flac", expect: "refused" });
}
file("sound", "notes.wav", Buffer.from("these are not samples"), { type: "audio/wav", expect: "refused" });
file("sound", "id3-garbage.mp3", Buffer.concat([Buffer.from("ID3\x04\0\0\0\0\0\x10"), noise(400)]), { type: "audio/mpeg", expect: "refused" });
file("sound", "oggs-garbage.ogg", Buffer.concat([Buffer.from("OggS\0\x02"), noise(400)]), { type: "audio/ogg", expect: "refused" });
file("sound", "flac-garbage.flac", Buffer.concat([Buffer.from("fLaC"), noise(400)]), { type: "audio/flac", expect: "refused" });
file("sound", "24-bit.wav", wav({ bits: 24, data: (() => { const n = 22_050 * 2, b = Buffer.alloc(n * 3); for (let i = 0; i < n; i++) b.writeIntLE(Math.round(tone(i) * 8_388_607), i * 3, 3); return b; })() }), { type: "audio/wav", expect: "accepted" });
file("sound", "32-bit-int.wav", wav({ bits: 32, data: (() => { const n = 22_050 * 2, b = Buffer.alloc(n * 4); for (let i = 0; i < n; i++) b.writeInt32LE(Math.round(tone(i) * 2_147_483_647), i * 4); return b; })() }), { type: "audio/wav", expect: "accepted" });
file("sound", "float.wav", wav({ format: 3, bits: 32, data: floats(22_050 * 2, tone) }), { type: "audio/wav", expect: "accepted" });
file("sound", "8-bit-unsigned.wav", wav({ bits: 8, data: Buffer.from(Array.from({ length: 22_050 * 2 }, (_, i) => Math.round(128 + 100 * Math.sin((2 * Math.PI * 440 * i) / 22_050)))) }), { type: "audio/wav", expect: "accepted" });
file("sound", "list-first.wav", wav({ data: samples16(22_050, tone), extra: [["LIST", Buffer.from("INFOINAM\x06\0\0\0title\0")]] }), { type: "audio/wav", expect: "accepted" });
file("sound", "odd-chunk.wav", wav({ data: samples16(22_050, tone), extra: [["junk", Buffer.from("odd")]] }), { type: "audio/wav", expect: "accepted" });
file("sound", "mu-law.wav", wav({ format: 7, bits: 8, data: noise(22_050) }), { type: "audio/wav", expect: "either" });
file("sound", "adpcm-garbage.wav", wav({ format: 2, bits: 4, data: noise(5000) }), { type: "audio/wav", expect: "either" });
for (const at of [22, 24, 28, 32, 34, 40, 41, 43, 60, 5000]) file("sound", `flipped-${at}.wav`, flip(goodWav, at), { type: "audio/wav", expect: "either" });
for (const s of [0.01, 0.1, 5.9, 6, 10, 30]) file("sound", `tone-${s}s.wav`, wav({ rate: 8000, data: samples16(Math.round(8000 * s), (i) => tone(i, 8000)) }), { type: "audio/wav", expect: "accepted" });
file("sound", "injected-name.wav", Buffer.from("not a sound"), { name: '<img src=x onerror="window.__pwned=1">.wav', type: "audio/wav", expect: "refused" });
for (let k = 0; k < 4; k++) file("sound", `riff-noise-${k}.wav`, Buffer.concat([Buffer.from("RIFF"), noise(4), Buffer.from("WAVE"), noise(200 + 50 * k)]), { type: "audio/wav", expect: "refused" });

// ---- addresses (every page; a page must correct or ignore, never break) ----
const HOSTILE = ["-1", "NaN", "1e309", "99999999999999999999", "0x10", "", "%00", "<script>window.__pwned=1</script>", '"><img src=x onerror="window.__pwned=1">', "x".repeat(5000), "__proto__", "constructor", "😀"];
const PAGES = {
  "dissolve.html": ["image", "t", "schedule", "seed"],
  "generate.html": ["scene", "tag", "denoiser", "steps", "size", "seed", "guidance", "temperature"],
  "sound.html": ["clip", "t", "tag", "tag2", "mix", "seconds", "steps", "seed", "denoiser"],
  "swim.html": ["picture", "sound", "minutes", "slow", "at"],
  "archive.html": ["kind", "tag", "item"],
};
for (const [page, fields] of Object.entries(PAGES)) {
  for (const [k, field] of fields.entries()) {
    // Each field with two hostile values, and one address with every field hostile at once.
    for (const value of [HOSTILE[(k * 2) % HOSTILE.length], HOSTILE[(k * 2 + 1) % HOSTILE.length]]) {
      cases.push({ kind: "address", page, hash: new URLSearchParams([[field, value]]).toString(), expect: "either" });
    }
  }
  cases.push({ kind: "address", page, hash: new URLSearchParams(fields.map((f, k) => [f, HOSTILE[(k + 7) % HOSTILE.length]])).toString(), expect: "either" });
  cases.push({ kind: "address", page, hash: "%E0%A4%A&&&==&=%", expect: "either" });
}

// ---- manifests (the archive's list, served broken) ----
for (const [id, text] of [["not-json", "{"], ["array", "[]"], ["items-number", '{"items": 5}'], ["empty-items", '{"items": []}'], ["item-missing-fields", '{"items": [{"id": "x"}]}'], ["huge-tag", JSON.stringify({ items: [{ id: "x", kind: "image", tags: ["t".repeat(100_000)] }] })]]) {
  cases.push({ kind: "manifest", id, text, expect: "refused" });
}

writeFileSync("tests/corpus/index.json", `${JSON.stringify({ generated: "node tests/corpus/make.mjs", cases: cases.map(({ bytes, ...c }) => c) }, null, 1)}\n`);
const count = (kind) => cases.filter((c) => c.kind === kind).length;
console.log(`bad-input corpus: ${cases.length} cases (${count("image")} pictures, ${count("sound")} sounds, ${count("address")} addresses, ${count("manifest")} manifests), ${(cases.reduce((s, c) => s + (c.bytes ?? 0), 0) / 1e6).toFixed(1)} MB of files`);
