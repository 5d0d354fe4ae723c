// The episode's chapters (www/chapters.json, Podcasting 2.0 JSON chapters)
// with absolute links. The file in www/ keeps links relative to the site, so
// that it works wherever the site is put; a podcast app reads it from a feed,
// away from the site, and needs absolute ones. `tools/serve.mjs` serves it so,
// resolved against the address it is asked at; for a static host, write the
// file with the site's address:
//   node tools/chapters.mjs https://example.org/hypothetical/ > chapters.json
import { readFileSync } from "node:fs";

/** `text` (a chapters file) with each chapter's `url` and `img` resolved against `base`. */
export function absoluteChapters(text, base) {
  const doc = JSON.parse(text);
  for (const chapter of doc.chapters ?? []) {
    for (const key of ["url", "img"]) {
      if (typeof chapter[key] === "string") chapter[key] = new URL(chapter[key], base).href;
    }
  }
  return `${JSON.stringify(doc, null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [base, file = "www/chapters.json"] = process.argv.slice(2);
  if (!base || !/^https?:\/\//.test(base)) {
    console.error("usage: node tools/chapters.mjs https://SITE/ [www/chapters.json] > chapters.json");
    process.exit(2);
  }
  process.stdout.write(absoluteChapters(readFileSync(file, "utf8"), base));
}
