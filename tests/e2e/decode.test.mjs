// The length a WAV or FLAC header states (www/js/lib/decode.js), read before
// a file is decoded: the archive's FLACs, a WAV made here, and bytes that are
// neither or are cut short.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { crc8, statedDuration, peak } from "../../www/js/lib/decode.js";
import { toneWav } from "./pictures.mjs";

const bytes = (buffer) => buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);

describe("Stated durations", () => {
  test("every archive FLAC states 131,072 samples at 22,050 Hz", () => {
    const files = readdirSync("www/archive/sounds").filter((f) => f.endsWith(".flac"));
    assert.ok(files.length >= 30);
    for (const f of files) assert.equal(statedDuration(bytes(readFileSync(`www/archive/sounds/${f}`))), 131072 / 22050, f);
  });

  test("a FLAC whose header does not state its length is measured by its last frame", () => {
    const files = readdirSync("www/archive/sounds").filter((f) => f.endsWith(".flac"));
    for (const f of files) {
      const b = Buffer.from(readFileSync(`www/archive/sounds/${f}`));
      b[21] &= 0xf0; b.writeUInt32BE(0, 22); // total samples: 0, “unknown”
      assert.equal(statedDuration(bytes(b)), 131072 / 22050, f);
    }
    // Neither a length nor a frame: nothing can be told.
    const head = Buffer.from(readFileSync(`www/archive/sounds/${files[0]}`)).subarray(0, 42);
    head[21] &= 0xf0; head.writeUInt32BE(0, 22);
    assert.equal(statedDuration(bytes(head)), null);
    assert.equal(crc8(Buffer.from("123456789")), 0xf4, "CRC-8's check value");
  });

  test("a WAV is as long as its data, no longer than the bytes that are there; other bytes state nothing", () => {
    assert.equal(statedDuration(bytes(toneWav(2))), 2);
    // A header that claims three hours over one second of samples: one second.
    assert.equal(statedDuration(bytes(toneWav(1, { statedSeconds: 10_800 }))), 1);
    assert.equal(statedDuration(bytes(Buffer.from("these are not samples"))), null);
    assert.equal(statedDuration(bytes(toneWav(1).subarray(0, 30))), null, "cut inside the header");
    assert.equal(statedDuration(bytes(Buffer.from("fLaC"))), null);
    assert.equal(peak(new Float32Array([0, -0.5, 0.25])), 0.5);
  });
});
