// The address parser every page shares (www/js/lib/address.js), in Node: the
// rules docs/kiosk-and-embedding.md states, a value too long to be a name, and 20,000 random
// addresses (seeded; tools/fuzz-address.mjs, which `./build.sh fuzz` runs for
// longer) that must never throw and must always give values that keep the
// schema's rules, with every correction short enough to show.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseAddress } from "../../www/js/lib/address.js";
import { SCHEMA, checkAddress, randomAddress, randomFrom } from "../../tools/fuzz-address.mjs";


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
    const random = randomFrom(12345);
    for (let n = 0; n < 20_000; n++) {
      const hash = randomAddress(random);
      assert.equal(checkAddress(hash), "", JSON.stringify(hash));
    }
  });
});
