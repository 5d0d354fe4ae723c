// The address parser every page shares (www/js/lib/address.js), in Node: the
// rules the README states, a value too long to be a name, and 20,000 random
// addresses (seeded) that must never throw and must always give values that
// keep the schema's rules, with every correction short enough to show.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseAddress } from "../../www/js/lib/address.js";

const SCHEMA = {
  image: { kind: "text" },
  t: { kind: "int", min: 0, max: 1000 },
  mix: { kind: "number", min: 0.05, max: 0.95 },
  schedule: { kind: "choice", values: ["cosine", "linear"] },
};

describe("Address parser", () => {
  test("rounds, clamps, drops what is not finite and looks names up among its own", () => {
    const { values, corrections } = parseAddress("#t=300.7&mix=2&schedule=constructor&image=astronaut&seed=1", SCHEMA);
    assert.deepEqual(values, { t: 301, mix: 0.95, image: "astronaut" });
    assert.equal(corrections.length, 3);
    assert.deepEqual(parseAddress("t=1e3", SCHEMA).values, { t: 1000 });
    assert.deepEqual(parseAddress("t=1e309&mix=NaN&t=abc", SCHEMA).values, {});
  });

  test("a text value longer than 200 characters is ignored, and a correction quotes at most 40 characters", () => {
    const long = "x".repeat(100_000);
    const { values, corrections } = parseAddress(`image=${long}&schedule=${long}`, SCHEMA);
    assert.deepEqual(values, {});
    assert.equal(corrections.length, 2);
    for (const c of corrections) assert.ok(c.length < 140, c);
  });

  test("20,000 random addresses never throw and always keep the schema's rules", () => {
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const pieces = ["t", "mix", "image", "schedule", "=", "&", "#", "%", "%zz", "%E2%80%9C", "1e309", "-0", "NaN", "Infinity", "0x10", " ", "+", ".5", "cosine", "__proto__", "constructor", "<script>", "\u0000", "😀", "9".repeat(30)];
    for (let n = 0; n < 20_000; n++) {
      let hash = "";
      const parts = 1 + Math.floor(random() * 12);
      for (let k = 0; k < parts; k++) hash += pieces[Math.floor(random() * pieces.length)];
      const { values, corrections } = parseAddress(hash, SCHEMA);
      for (const [key, v] of Object.entries(values)) {
        const field = SCHEMA[key];
        assert.ok(field, `${hash}: unknown key ${key}`);
        if (field.kind === "int") assert.ok(Number.isInteger(v) && v >= field.min && v <= field.max, `${hash}: ${key}=${v}`);
        if (field.kind === "number") assert.ok(Number.isFinite(v) && v >= field.min && v <= field.max, `${hash}: ${key}=${v}`);
        if (field.kind === "choice") assert.ok(field.values.includes(v), `${hash}: ${key}=${v}`);
        if (field.kind === "text") assert.ok(typeof v === "string" && v.length <= 200, `${hash}: ${key}`);
      }
      assert.equal(Object.getPrototypeOf(values), Object.prototype, `${hash}: the values object keeps its prototype`);
      for (const c of corrections) assert.ok(c.length < 200, c);
    }
  });
});
