// The state in the address (#key=value&…), read with the same rules on every
// page. A value that does not fit is corrected or dropped, and each correction
// is returned as a sentence so the page can say what it changed.
//
// Field kinds:
//   { kind: "int", min, max }        whole numbers; "300.7" rounds to 301, "1e3" is 1000,
//                                    "1e309" (not finite) and "abc" are dropped, out of range is clamped
//   { kind: "number", min, max }     the same without rounding
//   { kind: "choice", values }       one of the listed strings (own values only: "constructor" is no choice)
//   { kind: "text" }                 any string (the page checks it against its own lists)

const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
/** The longest text value an address may carry (characters); no name of ours comes close. */
const MAX_TEXT = 200;
/** A value as a correction quotes it: at most 40 characters (a 100 KB value is not echoed back). */
const quote = (raw) => (raw.length > 40 ? `${raw.slice(0, 40)}…` : raw);

/** Reads `hash` (with or without "#") against `schema`: `{ values, corrections }`. */
export function parseAddress(hash, schema) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const values = {};
  const corrections = [];
  for (const [key, raw] of params.entries()) {
    if (!Object.hasOwn(schema, key)) continue;
    const field = schema[key];
    if (field.kind === "text") {
      if (raw.length <= MAX_TEXT) values[key] = raw;
      else corrections.push(`“${key}=${quote(raw)}” is longer than ${MAX_TEXT} characters; it was ignored.`);
      continue;
    }
    if (field.kind === "choice") {
      if (field.values.includes(raw)) values[key] = raw;
      else corrections.push(`“${key}=${quote(raw)}” is not one of ${field.values.join(", ")}; it was ignored.`);
      continue;
    }
    const n = PLAIN_NUMBER.test(raw.trim()) ? Number(raw) : Number.NaN;
    if (!Number.isFinite(n)) {
      corrections.push(`“${key}=${quote(raw)}” is not a finite number; it was ignored.`);
      continue;
    }
    let v = field.kind === "int" ? Math.round(n) : n;
    if (v !== n) corrections.push(`“${key}=${quote(raw)}” is not a whole number; ${v} is used.`);
    const clamped = Math.min(Math.max(v, field.min), field.max);
    if (clamped !== v) corrections.push(`“${key}=${quote(raw)}” is outside ${field.min}…${field.max}; ${clamped} is used.`);
    v = clamped;
    values[key] = v;
  }
  return { values, corrections };
}

/** Writes `values` into the address without adding a history entry. */
export function writeAddress(values) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== null && v !== "") p.set(k, String(v));
  history.replaceState(null, "", `#${p}`);
  // replaceState fires no event: a host page (lib/embed.js) hears of the change by this one.
  dispatchEvent(new Event("hypothetical:address"));
}

let pending = 0;
/**
 * Writes `values()` into the address once the visitor pauses (250 ms), so
 * that dragging a slider does not rewrite the address at every frame.
 */
export function writeAddressSoon(values) {
  clearTimeout(pending);
  pending = setTimeout(() => writeAddress(values()), 250);
}

/** Looks a key up among an object's own properties only. */
export function own(object, key) {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}
