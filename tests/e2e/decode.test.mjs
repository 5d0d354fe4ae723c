// The length a WAV or FLAC header states (www/js/lib/decode.js), read before
// a file is decoded: the archive's FLACs, a WAV made here, and bytes that are
// neither or are cut short.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { statedDuration, peak } from "../../www/js/lib/decode.js";
import { toneWav } from "./pictures.mjs";

const bytes = (buffer) => buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);

describe("Stated durations", () => {
  test("every archive FLAC states 131,072 samples at 22,050 Hz", () => {
    const files = readdirSync("www/archive/sounds").filter((f) => f.endsWith(".flac"));
    assert.ok(files.length >= 30);
    for (const f of files) assert.equal(statedDuration(bytes(readFileSync(`www/archive/sounds/${f}`))), 131072 / 22050, f);
  });

  test("a WAV states its data's length; another length when its header says so; other bytes state nothing", () => {
    assert.equal(statedDuration(bytes(toneWav(2))), 2);
    assert.equal(statedDuration(bytes(toneWav(1, { statedSeconds: 10_800 }))), 10_800);
    assert.equal(statedDuration(bytes(Buffer.from("these are not samples"))), null);
    assert.equal(statedDuration(bytes(toneWav(1).subarray(0, 30))), null, "cut inside the header");
    assert.equal(statedDuration(bytes(Buffer.from("fLaC"))), null);
    assert.equal(peak(new Float32Array([0, -0.5, 0.25])), 0.5);
  });
});
