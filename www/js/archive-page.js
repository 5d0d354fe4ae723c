// The Archive page: every item of archive/manifest.json, filterable by kind,
// tag and words (titles, captions, creators). Thousands of items: the cards of
// the items that match are made a page at a time, as the list scrolls into
// view or the "Show more" button is pressed; the tag row holds the tags of at
// least TAG_ROW_MIN items (any other is reached from a card or the address).
import { licenceName, licenceUrl } from "./licences.js";
import { parseAddress } from "./lib/address.js";
import "./lib/site.js";
import { byIds } from "./lib/page.js";
import { roving } from "./lib/roving.js";
import { dBFS, decodeMono, peak, rms } from "./lib/decode.js";

const ui = byIds(["about", "recorded", "tags", "more-tags", "search", "count", "now-playing", "message", "items", "more-items"]);
/** Cards made at a time. */
const PAGE = 60;
/** A tag carried by fewer items is not in the tag row (thousands of the sources' keywords are on one or two). */
const TAG_ROW_MIN = 5;
/** Everything this page keeps between events. */
const state = {
  kind: "", // the kind filter ("" for both)
  tag: "", // the tag filter
  query: "", // the words searched for
  items: [], // every manifest entry
  matches: [], // the items the filters keep, in manifest order
  listed: 0, // how many of them have their card in the list
  cards: new Map(), // id -> li (made when first listed)
  player: Object.assign(new Audio(), {
    preload: "none",
    volume: 0.8, // the clips' own level, a little lower (what plays is measured and said: sayLevel)
  }),
  playing: null, // the button of the clip that is playing
  addressNotes: [],
};


function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

const ADDRESS = {
  kind: { kind: "choice", values: ["image", "sound"] },
  tag: { kind: "text" },
  q: { kind: "text" },
  item: { kind: "text" },
};

/** Reads the address with the shared rules (lib/address.js); returns the item asked for. */
function readHash() {
  const { values, corrections } = parseAddress(location.hash, ADDRESS);
  state.kind = values.kind ?? "";
  state.tag = values.tag ?? "";
  state.query = values.q ?? "";
  ui.search.value = state.query;
  state.addressNotes = corrections;
  return values.item;
}

function writeHash() {
  const p = new URLSearchParams();
  if (state.kind) p.set("kind", state.kind);
  if (state.tag) p.set("tag", state.tag);
  if (state.query) p.set("q", state.query);
  history.replaceState(null, "", p.size ? `#${p}` : location.pathname);
}

/** Each clip's level ({rms, peak} at full volume), measured once. */
const levels = new Map();

/** Says what plays and how loud, measured on the clip's samples at the player's volume. */
async function sayLevel(button, item) {
  const what = `Playing “${item.title}” (${(item.samples / item.sampleRate).toFixed(1)} s)`;
  ui.nowPlaying.textContent = `${what}.`;
  try {
    if (!levels.has(item.id)) {
      const x = await decodeMono(await (await fetch(`archive/${item.file}`)).arrayBuffer(), item.sampleRate);
      levels.set(item.id, { rms: rms(x), peak: peak(x) });
    }
    if (state.playing !== button) return;
    const level = levels.get(item.id);
    const v = state.player.volume;
    ui.nowPlaying.textContent = `${what}: ${dBFS(v * level.rms, 0)} RMS, peaks at ${dBFS(v * level.peak, 0)}, as played.`;
  } catch {
    // The words without the level: the clip plays all the same.
  }
}

function stop() {
  state.player.pause();
  ui.nowPlaying.textContent = "";
  delete document.documentElement.dataset.playing;
  if (state.playing) {
    state.playing.setAttribute("aria-pressed", "false");
    state.playing.textContent = "Play";
    state.playing = null;
  }
}

async function toggle(button, item) {
  if (state.playing === button) return stop();
  stop();
  state.player.src = `archive/${item.file}`;
  button.setAttribute("aria-pressed", "true");
  button.textContent = "Stop";
  state.playing = button;
  try {
    await state.player.play(); // after a click: the browsers' autoplay rule is met
    ui.message.textContent = "";
    sayLevel(button, item);
  } catch (err) {
    stop();
    ui.message.textContent = `“${item.title}” could not be played: ${err?.message ?? err}`;
  }
}
state.player.addEventListener("ended", stop);
// For people and tests alike: which clip is audibly playing now.
state.player.addEventListener("playing", () => {
  if (state.playing) document.documentElement.dataset.playing = state.playing.closest("li").dataset.id;
});

/** How a sound was made (the manifest's `made`), in words. */
const MADE = {
  recorded: "recorded by the people credited",
  rendered: "a score rendered by a synthesiser",
  synthesised: "synthesised by the project",
  generated: "generated noise",
};

/** A tag's button; `ours`: the project wrote the tag (else it is the source's own word). */
function tagButton(tag, count, ours = false) {
  const b = el("button", { type: "button", className: ours ? "tag ours" : "tag", textContent: count === undefined ? tag : `${tag} ${count}` });
  b.dataset.tag = tag;
  b.setAttribute("aria-pressed", "false");
  if (count !== undefined) b.setAttribute("aria-label", `${tag}: ${count} items`);
  else if (ours) b.setAttribute("aria-label", `${tag} (a tag the project wrote)`);
  b.addEventListener("click", () => {
    state.tag = state.tag === tag ? "" : tag;
    apply(true);
  });
  return b;
}

function card(item) {
  const heading = el("h2", { textContent: item.title });
  let media;
  if (item.kind === "image") {
    media = el("img", { src: `archive/${item.file}`, alt: item.caption, width: item.width, height: item.height, loading: "lazy", decoding: "async" });
  } else {
    const play = el("button", { type: "button", className: "play", textContent: "Play" });
    play.setAttribute("aria-pressed", "false");
    play.setAttribute("aria-label", `Play “${item.title}” (${(item.samples / item.sampleRate).toFixed(1)} seconds)`);
    play.addEventListener("click", () => toggle(play, item));
    const facts = [MADE[item.made], item.tempo ? `${item.tempo} BPM` : null, item.key, `${(item.samples / item.sampleRate).toFixed(2)} s`].filter(Boolean).join(" · ");
    media = el("div", { className: "sound" }, play, el("span", { className: "hint", textContent: facts }));
  }
  const licence = licenceUrl(item.licence)
    ? el("a", { href: licenceUrl(item.licence), textContent: licenceName(item.licence), rel: "license" })
    : licenceName(item.licence);
  const details = el("dl", {},
    el("dt", { textContent: "Creator" }), el("dd", { textContent: item.year ? `${item.creator}, ${item.year}` : item.creator }),
    el("dt", { textContent: "Source" }), el("dd", { textContent: item.source }),
    el("dt", { textContent: "Licence" }), el("dd", {}, licence),
    el("dt", { textContent: "Credit" }), el("dd", { textContent: item.attribution }));
  const ours = new Set(item.ourTags ?? []);
  const tags = el("ul", { className: "item-tags" }, ...item.tags.map((t) => el("li", {}, tagButton(t, undefined, ours.has(t)))));
  tags.setAttribute("aria-label", "Tags (arrow keys move between them)");
  roving(tags, "button.tag");
  const article = el("article", { className: `item ${item.kind}`, tabIndex: -1 }, media, heading, el("p", { className: "caption", textContent: item.caption }), tags, details);
  article.setAttribute("aria-labelledby", (heading.id = `title-${item.id}`));
  const li = el("li", {}, article);
  li.dataset.id = item.id;
  li.dataset.kind = item.kind;
  return li;
}

/** Whether an item has every word of the search in its title, caption or creator. */
function matchesQuery(item, words) {
  if (!words.length) return true;
  const text = `${item.title} ${item.caption} ${item.creator}`.toLowerCase();
  return words.every((w) => text.includes(w));
}

/** Makes the cards of the next `n` matches (at least up to `until`, an item's index in the matches). */
function listMore(n = PAGE, until = -1) {
  const end = Math.min(state.matches.length, Math.max(state.listed + n, until + 1));
  const fresh = [];
  for (let k = state.listed; k < end; k++) {
    const item = state.matches[k];
    if (!state.cards.has(item.id)) state.cards.set(item.id, card(item));
    fresh.push(state.cards.get(item.id));
  }
  ui.items.append(...fresh);
  state.listed = end;
  const left = state.matches.length - state.listed;
  ui.moreItems.hidden = left === 0;
  ui.moreItems.textContent = `Show ${Math.min(PAGE, left)} more (${left} not listed yet)`;
  document.documentElement.dataset.listed = String(state.listed);
}

function apply(fromUser = false) {
  const words = state.query.toLowerCase().split(/\s+/).filter(Boolean);
  const inKind = (item) => !state.kind || item.kind === state.kind;
  state.matches = state.items.filter((item) => inKind(item) && (!state.tag || item.tags.includes(state.tag)) && matchesQuery(item, words));
  const shown = state.matches.length;
  if (state.playing && !state.matches.some((i) => i.id === state.playing.closest("li").dataset.id)) stop();
  ui.items.replaceChildren();
  state.listed = 0;
  listMore();
  for (const b of document.querySelectorAll("button.kind")) b.setAttribute("aria-pressed", String(b.dataset.kind === state.kind));
  for (const b of document.querySelectorAll("button.tag")) b.setAttribute("aria-pressed", String(b.dataset.tag === state.tag));
  // The tag row counts the kind shown: with “Sounds” chosen, sound tags and their counts only.
  const counts = new Map();
  for (const item of state.items) if (inKind(item)) for (const t of item.tags) counts.set(t, (counts.get(t) ?? 0) + 1);
  const noun = state.kind === "image" ? "images" : state.kind === "sound" ? "sounds" : "items";
  // A tag chosen from a card or the address joins the row while it is chosen.
  if (state.tag && !ui.tags.querySelector(`button.tag[data-tag="${CSS.escape(state.tag)}"]`)) {
    const b = tagButton(state.tag, 0);
    b.dataset.added = "true";
    ui.tags.append(b);
  }
  for (const b of ui.tags.querySelectorAll("button.tag")) {
    const n = counts.get(b.dataset.tag) ?? 0;
    b.textContent = `${b.dataset.tag} ${n}`;
    b.setAttribute("aria-label", `${b.dataset.tag}: ${n} ${n === 1 ? noun.slice(0, -1) : noun}`);
    b.setAttribute("aria-pressed", String(b.dataset.tag === state.tag));
    b.hidden = (n < (b.dataset.added ? 1 : TAG_ROW_MIN)) && b.dataset.tag !== state.tag;
    if (b.dataset.added && b.dataset.tag !== state.tag) b.remove();
  }
  state.sayMoreTags?.();
  state.resetTags?.();
  const pool = state.kind ? state.items.filter((i) => i.kind === state.kind).length : state.items.length;
  const what = state.kind === "image" ? "images" : state.kind === "sound" ? "sounds" : "items";
  const searched = words.length ? ` matching “${state.query.trim()}”` : "";
  ui.count.textContent = `Showing ${shown} of ${pool} ${what}${state.tag ? ` tagged “${state.tag}”` : ""}${searched}.`;
  document.documentElement.dataset.shown = String(shown);
  if (fromUser) writeHash();
}

/** Whether an item of the manifest has what a card shows, in sensible sizes. */
function usable(item) {
  const text = (v, max) => typeof v === "string" && v.length > 0 && v.length <= max;
  return item !== null && typeof item === "object"
    && text(item.id, 100) && text(item.title, 300) && text(item.file, 300) && ["image", "sound"].includes(item.kind)
    && Array.isArray(item.tags) && item.tags.length <= 30 && item.tags.every((t) => text(t, 60));
}

async function main() {
  const focusId = readHash();
  let manifest;
  try {
    const response = await fetch("archive/manifest.json");
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    manifest = await response.json();
    if (!Array.isArray(manifest?.items)) throw new Error("it holds no list of items");
  } catch (err) {
    ui.count.textContent = "";
    ui.message.textContent = `The archive's list could not be loaded (${err?.message ?? err}). Reload the page to try again.`;
    return;
  }
  // An item the page cannot show whole (a field missing, mistyped or absurdly long) is left out, and said.
  state.items = manifest.items.filter(usable);
  const left = manifest.items.length - state.items.length;
  if (left) state.itemNote = `${left} item${left === 1 ? "" : "s"} of the archive's list ${left === 1 ? "is" : "are"} incomplete or malformed and ${left === 1 ? "is" : "are"} not shown.`;
  const images = state.items.filter((i) => i.kind === "image").length;
  const creators = new Set(state.items.map((i) => i.creator)).size;
  const minutes = (made) => state.items.filter((i) => i.kind === "sound" && (!made || i.made === made)).reduce((s, i) => s + i.samples / i.sampleRate, 0) / 60;
  ui.about.textContent = `These ${images} images and ${state.items.length - images} sounds, by ${creators} creators, are the only examples the samplers know.`;
  ui.recorded.textContent = `${Math.floor(minutes("recorded"))} of the ${Math.floor(minutes())} minutes of sound were recorded by the people credited; the project rendered, synthesised or generated the rest.`;
  const counts = new Map();
  for (const item of state.items) for (const t of item.tags) counts.set(t, (counts.get(t) ?? 0) + 1);
  const tagNames = [...counts.keys()].sort((a, b) => counts.get(b) - counts.get(a) || a.localeCompare(b));
  ui.tags.append(...tagNames.filter((t) => counts.get(t) >= TAG_ROW_MIN).map((t) => tagButton(t, counts.get(t))));
  state.resetTags = roving(ui.tags, "button.tag");
  // The tag box shows its first rows; a button says how many there are and shows them all.
  ui.moreTags.hidden = false;
  // How many tags the kind shown has (apply() hides the others).
  state.sayMoreTags = () => {
    const n = [...ui.tags.querySelectorAll("button.tag")].filter((b) => !b.hidden).length;
    ui.moreTags.textContent = ui.tags.classList.contains("all") ? "Show fewer tags" : `Show all ${n} tags`;
  };
  state.sayMoreTags();
  const showAll = (all) => {
    ui.tags.classList.toggle("all", all);
    ui.moreTags.setAttribute("aria-expanded", String(all));
    state.sayMoreTags();
  };
  ui.moreTags.addEventListener("click", () => showAll(!ui.tags.classList.contains("all")));
  // A tag reached by the arrow keys below the fold opens the box, so that focus is never out of sight.
  // (Keyboard focus only: a click's focus must not move the button from under the pointer.)
  ui.tags.addEventListener("focusin", (e) => { if (e.target.matches(":focus-visible") && e.target.offsetTop + e.target.offsetHeight > ui.tags.offsetTop + ui.tags.clientHeight) showAll(true); });
  // More cards as the end of the list scrolls into view, or on the button.
  ui.moreItems.addEventListener("click", () => listMore());
  new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) listMore(); }, { rootMargin: "600px" }).observe(ui.moreItems);
  let typing = 0;
  ui.search.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => { state.query = ui.search.value; apply(true); }, 150);
  });
  for (const b of document.querySelectorAll("button.kind")) {
    b.addEventListener("click", () => {
      state.kind = b.dataset.kind;
      apply(true);
    });
  }
  const fromAddress = (focusId) => {
    const notes = [...(state.itemNote ? [state.itemNote] : []), ...state.addressNotes];
    if (state.tag && !counts.has(state.tag)) {
      notes.push(`No item is tagged “${state.tag}”; showing everything.`);
      state.tag = "";
    }
    ui.message.textContent = notes.join(" ");
    apply();
    for (const li of document.querySelectorAll("#items > li.target")) li.classList.remove("target");
    const at = focusId ? state.matches.findIndex((i) => i.id === focusId) : -1;
    if (at >= state.listed) listMore(PAGE, at);
    const target = focusId && state.cards.get(focusId)?.isConnected && state.cards.get(focusId);
    if (target) {
      target.hidden = false;
      target.classList.add("target");
      target.scrollIntoView({ block: "center" });
      target.querySelector("article").focus({ preventScroll: true });
    }
  };
  fromAddress(focusId);
  addEventListener("hashchange", () => fromAddress(readHash()));
  document.documentElement.dataset.ready = "true";
}

main();
