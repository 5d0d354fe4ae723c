// The episode's companion page: the chapters from chapters.json (the same
// file podcast apps read), each with a note of ours and the link that opens
// its scene in the state that shows the point.
import { messenger } from "./lib/page.js";
import { keepPathInLinks } from "./lib/backend.js";
import "./lib/site.js";

/** Our own note on each chapter, by its start time in seconds (no transcript text). */
const NOTES = {
  0: "The show opens. The front page gathers every scene this site computes, in the order of the argument.",
  204: "The guest is an artist and researcher whose work treats generative AI as a machine for noise. Everything this site generates comes from the archive linked here, thousands of pictures and sounds by named people, each with its creator, source and licence.",
  333: "Noise, in the sense an engineer gives it: whatever buries a signal. Gaussian noise buries a picture's fine detail before its broad shapes; this link opens Dissolve halfway, where the detail has gone and the shapes remain.",
  554: "A diffusion model makes pictures by removing noise, guided by what it learned from its examples, so it leans towards what they have in common. This link opens The average: the Gaussian denoiser's flower, made from the mean and spectrum of the archive's flowers, which belongs to none of them.",
  2015: "Who made the examples, and on what terms? Here every picture and sound carries its creator, source, licence and caption, and every result says which examples it came from.",
  2349: "Swim slows an archival film and its jaunty soundtrack to nine minutes while the picture breaks apart into static. This link opens our Swim: a photograph going under into the static the denoisers make when asked for noise, with the Maple Leaf Rag slowed to the same length.",
  2716: "Music generators carve a spectrogram out of noise. This link opens Sounds Like Music set to carve a 12 s track that blends techno with chorale: the machine finds each genre's patterns and pastes them together.",
  3604: "What happens when the thing a denoiser exists to remove is exactly what it is asked for? This link opens Ask for noise.",
};

const note = messenger(document.getElementById("message"));

/** 3604 → "1:00:04", 204 → "03:24". */
export function clock(seconds) {
  const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
  const two = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}

async function main() {
  const response = await fetch("chapters.json");
  if (!response.ok) throw new Error(`chapters.json could not be loaded (${response.status})`);
  const { chapters } = await response.json();
  const list = document.getElementById("chapters");
  list.replaceChildren(...chapters.map((c) => {
    const li = document.createElement("li");
    li.dataset.start = String(c.startTime);
    const time = document.createElement("time");
    time.dateTime = `PT${c.startTime}S`;
    time.textContent = clock(c.startTime);
    const h = document.createElement("h2");
    h.append(time, " ", c.title);
    const p = document.createElement("p");
    p.textContent = NOTES[c.startTime] ?? "";
    const a = document.createElement("a");
    a.href = c.url;
    a.className = "open";
    // Links may be relative (www/chapters.json) or absolute (as tools/serve.mjs serves them).
    const target = new URL(c.url, location.href);
    const page = target.pathname.split("/").pop();
    a.textContent = page === "" ? "Open the front page" : `Open ${sceneName(page, target.hash.slice(1))}`;
    li.append(h, p, a);
    return li;
  }));
  keepPathInLinks();
  document.documentElement.dataset.ready = "true";
}

/** The scene a chapter's link (its page and hash) opens, in words. */
function sceneName(page, hash) {
  const scene = new URLSearchParams(hash).get("scene");
  if (page === "generate.html") return { recognize: "Recognize", noise: "Ask for noise", average: "The average" }[scene] ?? "the generation scenes";
  return { "dissolve.html": "Dissolve", "sound.html": "Sounds Like Music", "swim.html": "Swim", "archive.html": "the archive" }[page] ?? page;
}

// The embed snippet names this site's own address.
const snippet = document.getElementById("embed-snippet");
snippet.textContent = snippet.textContent.replace("https://SITE/", new URL(".", location.href).href);

main().catch((e) => {
  console.error(e);
  note(`The chapters could not be shown: ${e?.message ?? e}`);
  document.documentElement.dataset.ready = "true";
});
