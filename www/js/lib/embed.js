// The embed API: any page of the site in a host's <iframe>
// (docs/kiosk-and-embedding.md: “Embedding”) takes a few messages from the host page and tells it what
// happens. With ?embed the page also drops the site's navigation and footer.
//
// From the host (window.postMessage to the frame, with the site's origin):
//   { type: "hypothetical:set", scene: "dissolve", state: { image: "zone-plate", t: 700 } }
//       opens a scene in a state (the same fields as its address); on the
//       same page only the hash changes, which the page follows
//   { type: "hypothetical:play" }, { type: "hypothetical:pause" }
//       the scene's own play and pause (Dissolve's Play, Swim's Start and
//       Pause, Sounds Like Music's mix, a generation's Generate and Cancel)
//   { type: "hypothetical:get" }
//       asks for a state event now
// To the host (sent only to allowed origins):
//   { type: "hypothetical:ready", scene, state }   the scene has loaded
//   { type: "hypothetical:state", scene, state }   its state changed
//   { type: "hypothetical:error", reason }         a message was not used, and why
//
// Messages are taken only from the frame's parent, only from origins on the
// allowed list (the site's own origin, and those in embed.json), and only in
// the shape above; anything else is ignored and counted (data-embed-rejected).
export const embedMode = new URLSearchParams(location.search).has("embed");
if (embedMode) document.documentElement.dataset.embed = "";

const TYPES = new Set(["hypothetical:set", "hypothetical:play", "hypothetical:pause", "hypothetical:get"]);
/** The most fields a state may have, and the longest value (characters): a state is an address, not a payload. */
const MAX_FIELDS = 16;
const MAX_VALUE = 200;

const controls = { play: null, pause: null };
/** The scene's own play and pause, for the host's play and pause messages. */
export function embedControls({ play, pause }) {
  controls.play = play;
  controls.pause = pause;
}

/** The allowed origins: this site's, and those the site lists in embed.json. */
async function allowedOrigins() {
  const origins = new Set([location.origin]);
  try {
    const response = await fetch("embed.json");
    const list = response.ok ? (await response.json()).origins : [];
    const refused = [];
    for (const o of Array.isArray(list) ? list : []) {
      // An opaque origin (data:, javascript:, file:, blob: …) reads as "null",
      // which would let any sandboxed or data: frame in: such entries are refused.
      let origin = "null";
      try { if (typeof o === "string") origin = new URL(o).origin; } catch { /* not an origin */ }
      if (origin === "null" || !/^https?:/.test(origin)) refused.push(String(o).slice(0, 40));
      else origins.add(origin);
    }
    if (refused.length) {
      document.documentElement.dataset.embedListRefused = String(refused.length);
      console.info(`embed.json: ${refused.length} entr${refused.length === 1 ? "y is" : "ies are"} not an http(s) origin and ${refused.length === 1 ? "was" : "were"} refused: ${refused.join(", ")}`);
    }
  } catch { /* no list: only this site */ }
  return origins;
}

/** The parent page's origin as the browser states it, or null where it does not say. */
function parentOrigin() {
  const ancestors = location.ancestorOrigins;
  if (ancestors?.length) return ancestors[0];
  try { return document.referrer ? new URL(document.referrer).origin : null; } catch { return null; }
}

/** The page's scene id (`header.site` data-page; the generation page says which of its three scenes). */
function sceneId() {
  const page = document.querySelector("header.site")?.dataset.page ?? "";
  if (page === "recognize" || page === "noise" || page === "average") {
    return new URLSearchParams(location.hash.slice(1)).get("scene") ?? "recognize";
  }
  return page;
}

const currentState = () => Object.fromEntries(new URLSearchParams(location.hash.slice(1)));

/** Why `data` is not a message we take (scenes: the ids of the site's pages), or "" when it is. */
export function checkMessage(data, scenes) {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return "a message is an object";
  if (!TYPES.has(data.type)) return `unknown type ${JSON.stringify(String(data.type).slice(0, 40))}`;
  if (data.type !== "hypothetical:set") return "";
  if (!scenes.includes(data.scene)) return `unknown scene ${JSON.stringify(String(data.scene).slice(0, 40))}`;
  const state = data.state ?? {};
  if (typeof state !== "object" || state === null || Array.isArray(state)) return "state is an object of address fields";
  const entries = Object.entries(state);
  if (entries.length > MAX_FIELDS) return `state has more than ${MAX_FIELDS} fields`;
  for (const [k, v] of entries) {
    if (!["string", "number", "boolean"].includes(typeof v)) return `state field “${k.slice(0, 40)}” is not a string or number`;
    if (k.length > 40 || String(v).length > MAX_VALUE) return `state field “${k.slice(0, 40)}” is longer than ${MAX_VALUE} characters`;
  }
  return "";
}

/** Opens `scene` in `state`: on this page by its hash, else by loading the scene's page (the query kept). */
function setScene(scene, state, href) {
  const hash = new URLSearchParams(Object.entries(state).map(([k, v]) => [k, String(v)]));
  const target = new URL(href, location.href);
  const generation = ["recognize", "noise", "average"].includes(scene);
  if (generation) hash.set("scene", scene);
  if (target.pathname === location.pathname) {
    location.hash = hash.toString();
  } else {
    location.replace(`${target.pathname}${location.search}#${hash}`);
  }
}

export async function startEmbedApi(pages) {
  if (window.parent === window) return;
  const allowed = await allowedOrigins();
  // Events go to the parent's origin alone, and only when it is allowed: the
  // origin the browser states for the parent, else the one an allowed message
  // from the parent came from. Posting to every allowed origin would warn in
  // the host's console for each one that is not the parent's.
  let host = allowed.has(parentOrigin()) ? parentOrigin() : null;
  const tell = (message) => {
    if (host) window.parent.postMessage({ ...message, scene: sceneId(), state: currentState() }, host);
  };
  let rejected = 0;
  const reject = (event, reason) => {
    document.documentElement.dataset.embedRejected = String(++rejected);
    // Only an allowed host hears why; an unknown one hears nothing.
    if (allowed.has(event.origin) && event.source === window.parent) window.parent.postMessage({ type: "hypothetical:error", reason }, event.origin);
  };
  addEventListener("message", (event) => {
    if (event.source !== window.parent || !allowed.has(event.origin)) { reject(event, "origin not allowed"); return; }
    host = event.origin;
    const reason = checkMessage(event.data, pages.map((p) => p.id));
    if (reason) { reject(event, reason); return; }
    const { type } = event.data;
    if (type === "hypothetical:set") setScene(event.data.scene, event.data.state ?? {}, pages.find((p) => p.id === event.data.scene).href);
    else if (type === "hypothetical:play") controls.play ? controls.play() : reject(event, "this scene has no play");
    else if (type === "hypothetical:pause") controls.pause ? controls.pause() : reject(event, "this scene has no pause");
    else tell({ type: "hypothetical:state" });
  });
  // State changes: the page rewrites its address (lib/address.js) or the hash changes.
  let last = "";
  const changed = () => {
    if (location.hash === last) return;
    last = location.hash;
    tell({ type: "hypothetical:state" });
  };
  addEventListener("hashchange", changed);
  addEventListener("hypothetical:address", changed);
  const ready = () => {
    if (document.documentElement.dataset.ready !== "true") return false;
    last = location.hash;
    tell({ type: "hypothetical:ready" });
    return true;
  };
  if (!ready()) {
    const watch = new MutationObserver(() => { if (ready()) watch.disconnect(); });
    watch.observe(document.documentElement, { attributes: true, attributeFilter: ["data-ready"] });
  }
}
