// Small pieces every page shares: its elements by id, its message line and
// the credit of an archive item (one wording everywhere; the archive page
// adds links).
import { licenceName } from "../licences.js";

/** A function that shows `text` in `element` as a note or an error ("" clears it). */
export function messenger(element, defaultKind = "error") {
  return (text, kind = defaultKind) => {
    element.textContent = text;
    element.dataset.kind = text ? kind : "";
  };
}

/** “Creator (year), Licence”: the short credit beside a thumbnail or a clip. */
export function shortCredit(item) {
  return `${item.creator}${item.year ? ` (${item.year})` : ""}, ${licenceName(item.licence)}`;
}

/** “Title · Creator (year), Licence · Attribution”: the full credit under a picture. */
export function fullCredit(item) {
  return `${item.title} · ${shortCredit(item)} · ${item.attribution}`;
}

/** Elements by id, keyed in camelCase ("play-mix" → ui.playMix). */
export function byIds(ids) {
  return Object.fromEntries(ids.map((id) => [id.replace(/-(\w)/g, (_, c) => c.toUpperCase()), document.getElementById(id)]));
}
