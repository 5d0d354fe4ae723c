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

/** How long a browser may take to start sound after a tap (ms) before the page says it did not. */
const SOUND_START_MS = 2500;
/**
 * Resumes `audio` (an AudioContext) after a gesture and says whether it runs.
 * A browser with no output device (or one that keeps sound off) may leave the
 * promise pending for ever; the page must not wait with it.
 */
export async function startSound(audio) {
  if (audio.state === "running") return true;
  const resumed = audio.resume().then(() => true, () => false);
  const late = new Promise((done) => setTimeout(() => done(false), SOUND_START_MS));
  return (await Promise.race([resumed, late])) && audio.state === "running";
}
