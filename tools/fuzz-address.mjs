// Fuzzes the address parser every page shares (www/js/lib/address.js): random
// addresses built from pieces that have broken parsers before (encodings,
// numbers that are not finite, prototype names, huge values), checked
// against the rules of a schema like the pages' own. Used by the browser
// tests (20,000 seeded cases) and by `./build.sh fuzz` (for a time, with a
// new seed): node tools/fuzz-address.mjs SECONDS [SEED]
import { parseAddress } from "../www/js/lib/address.js";

export const SCHEMA = {
  image: { kind: "text" },
  t: { kind: "int", min: 0, max: 1000 },
  mix: { kind: "number", min: 0.05, max: 0.95 },
  schedule: { kind: "choice", values: ["cosine", "linear"] },
};
const PIECES = ["t", "mix", "image", "schedule", "=", "&", "#", "%", "%zz", "%E2%80%9C", "%00", "1e309", "-0", "NaN", "Infinity", "0x10",
  " ", "+", ".5", "cosine", "__proto__", "constructor", "<script>", "\u0000", "😀", "9".repeat(30), "x".repeat(250)];

/** A seeded generator of numbers in [0, 1) (an LCG: fast and repeatable). */
export function randomFrom(seed) {
  let s = seed >>> 0;
  return () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
}

/** A random address of 1 to 12 pieces. */
export function randomAddress(random) {
  let hash = "";
  const parts = 1 + Math.floor(random() * 12);
  for (let k = 0; k < parts; k++) hash += PIECES[Math.floor(random() * PIECES.length)];
  return hash;
}

/** Why parsing `hash` broke the rules, or "" when it kept them. */
export function checkAddress(hash) {
  let parsed;
  try { parsed = parseAddress(hash, SCHEMA); } catch (e) { return `threw ${e}`; }
  const { values, corrections } = parsed;
  if (Object.getPrototypeOf(values) !== Object.prototype) return "the values object lost its prototype";
  for (const [key, v] of Object.entries(values)) {
    const field = SCHEMA[key];
    if (!field) return `unknown key ${key}`;
    if (field.kind === "int" && !(Number.isInteger(v) && v >= field.min && v <= field.max)) return `${key}=${v}`;
    if (field.kind === "number" && !(Number.isFinite(v) && v >= field.min && v <= field.max)) return `${key}=${v}`;
    if (field.kind === "choice" && !field.values.includes(v)) return `${key}=${v}`;
    if (field.kind === "text" && !(typeof v === "string" && v.length <= 200)) return `${key} is ${v.length} characters`;
  }
  const long = corrections.find((c) => c.length >= 200);
  return long ? `a correction of ${long.length} characters` : "";
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const seconds = Number(process.argv[2] ?? 60);
  const seed = Number(process.argv[3] ?? Date.now());
  const random = randomFrom(seed);
  const until = Date.now() + seconds * 1000;
  let runs = 0;
  while (Date.now() < until) {
    for (let k = 0; k < 1000; k++, runs++) {
      const hash = randomAddress(random);
      const why = checkAddress(hash);
      if (why) {
        console.error(`address fuzz, seed ${seed}, run ${runs}: ${JSON.stringify(hash)}: ${why}`);
        process.exit(1);
      }
    }
  }
  console.log(`address parser: ${runs.toLocaleString("en")} addresses in ${seconds} s (seed ${seed}), no rule broken`);
}
