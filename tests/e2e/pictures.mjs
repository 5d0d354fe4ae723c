// Test pictures and sounds made in the test itself, so every expected pixel and sample is known.
import { deflateSync } from "node:zlib";

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A PNG from raw scanline bytes (filter bytes included by this function). */
export function png({ width, height, bitDepth = 8, colorType = 2, rows }) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(bitDepth, 8);
  ihdr.writeUInt8(colorType, 9);
  const raw = Buffer.concat(rows.map((r) => Buffer.concat([Buffer.from([0]), r])));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw, { level: 6 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** An 8-bit RGB test picture with smooth gradients and sharp blocks; returns its PNG and RGBA. */
export function testPicture(width, height) {
  const rgba = new Uint8Array(width * height * 4);
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(width * 3);
    for (let x = 0; x < width; x++) {
      const block = ((x >> 4) + (y >> 4)) % 3;
      const v = [
        Math.round((255 * x) / (width - 1)),
        Math.round((255 * y) / (height - 1)),
        block === 0 ? 20 : block === 1 ? 128 : 235,
      ];
      row.set(v, x * 3);
      rgba.set([...v, 255], (y * width + x) * 4);
    }
    rows.push(row);
  }
  return { png: png({ width, height, rows }), rgba };
}

/** A 16-bit RGB PNG. */
export function png16(width, height) {
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(width * 6);
    for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) row.writeUInt16BE((x * 2000 + c * 9000) & 0xffff, (x * 3 + c) * 2);
    rows.push(row);
  }
  return png({ width, height, bitDepth: 16, rows });
}

/** A grey 8-bit PNG of any size (compresses to little; decodes to width × height). */
export function hugeGreyPng(width, height) {
  const row = Buffer.alloc(width, 90);
  return png({ width, height, colorType: 0, rows: Array.from({ length: height }, () => row) });
}

/** A PNG whose header says 0 × 0. */
export function zeroSizePng() {
  return png({ width: 0, height: 0, rows: [] });
}

/** A PNG with a valid header whose image data is garbage. */
export function corruptPng() {
  const good = testPicture(64, 64).png;
  const bad = Buffer.from(good);
  for (let i = 60; i < bad.length - 20; i++) bad[i] = (i * 37) & 0xff;
  return bad;
}

/** A two-frame animated GIF, 1 × 1 px (black, then white). */
export function animatedGif() {
  const frame = (colour) => [
    0x21, 0xf9, 0x04, 0x00, 0x0a, 0x00, 0x00, 0x00, // graphic control: 0.1 s
    0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0x00, // image descriptor 1 × 1
    0x02, 0x02, colour === 0 ? 0x44 : 0x4c, 0x01, 0x00, // LZW data
  ];
  return Buffer.from([
    ...Buffer.from("GIF89a"), 1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 255, 255, 255,
    0x21, 0xff, 0x0b, ...Buffer.from("NETSCAPE2.0"), 3, 1, 0, 0, 0,
    ...frame(0), ...frame(1), 0x3b,
  ]);
}

/**
 * A 16-bit PCM WAV of `seconds` of a 440 Hz tone, stereo at 44.1 kHz, at
 * `amplitude` (0: silence); its header may state another length (`statedSeconds`).
 */
export function toneWav(seconds, { amplitude = 8000, statedSeconds = seconds } = {}) {
  const rate = 44100, channels = 2, n = Math.round(seconds * rate);
  const data = Buffer.alloc(n * channels * 2);
  for (let i = 0; i < n; i++) {
    const v = Math.round(amplitude * Math.sin((2 * Math.PI * 440 * i) / rate));
    for (let c = 0; c < channels; c++) data.writeInt16LE(v, (i * channels + c) * 2);
  }
  const head = Buffer.alloc(44);
  head.write("RIFF", 0); head.writeUInt32LE(36 + data.length, 4); head.write("WAVE", 8);
  head.write("fmt ", 12); head.writeUInt32LE(16, 16); head.writeUInt16LE(1, 20); head.writeUInt16LE(channels, 22);
  head.writeUInt32LE(rate, 24); head.writeUInt32LE(rate * channels * 2, 28); head.writeUInt16LE(channels * 2, 32); head.writeUInt16LE(16, 34);
  head.write("data", 36); head.writeUInt32LE(Math.min(2 ** 32 - 1, Math.round(statedSeconds * rate) * channels * 2), 40);
  return Buffer.concat([head, data]);
}
