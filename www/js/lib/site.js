// The header every page shares: the name (a link to the front page), the
// scenes in the order of the argument, and the line that says which path
// (WebGPU or CPU) computes them.
// A new scene is one entry in PAGES. Each page's HTML holds an empty
// <header class="site" data-page="…">, filled when this module loads.
import { chooseBackend, keepPathInLinks, showChoice } from "./backend.js";
import { defineTerms } from "./glossary.js";
// In kiosk mode (?kiosk) the page becomes touch-first, with idle reset and an offline copy.
import "./kiosk.js";
// In a host's <iframe> the page takes the host's messages (set, play, pause) from allowed origins.
import { startEmbedApi } from "./embed.js";

/** Every page, in the order of the argument: `id` names it in `data-page`. */
export const PAGES = [
  { id: "dissolve", title: "Dissolve", href: "dissolve.html" },
  { id: "recognize", title: "Recognize", href: "generate.html#scene=recognize" },
  { id: "noise", title: "Ask for noise", href: "generate.html#scene=noise" },
  { id: "average", title: "The average", href: "generate.html#scene=average" },
  { id: "sound", title: "Sounds Like Music", href: "sound.html" },
  { id: "swim", title: "Swim", href: "swim.html" },
  { id: "archive", title: "Archive", href: "archive.html" },
  { id: "companion", title: "The episode", href: "companion.html" },
];

/**
 * Fills `header.site`: brand, navigation and, unless `data-backend="none"`,
 * the status line; with `data-backend="choose"` (a page that computes
 * nothing itself) the line says which path the scenes will take here.
 */
export function renderHeader(header = document.querySelector("header.site")) {
  if (!header) return;
  const brand = document.createElement("p");
  brand.className = "brand";
  const home = document.createElement("a");
  home.href = "./";
  home.dataset.scene = "home";
  home.textContent = "Hypothetical";
  brand.append(home);
  const nav = document.createElement("nav");
  nav.setAttribute("aria-label", "Scenes");
  for (const page of PAGES) {
    const a = document.createElement("a");
    a.href = page.href;
    a.dataset.scene = page.id;
    a.textContent = page.title;
    nav.append(a, " ");
  }
  header.replaceChildren(brand, nav);
  if (header.dataset.backend !== "none") {
    const status = document.createElement("p");
    status.id = "backend";
    status.className = "backend";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    status.textContent = "Starting…";
    header.append(status);
    if (header.dataset.backend === "choose") chooseBackend().then((choice) => showChoice(status, choice));
  }
  markCurrent(header.dataset.page);
  keepPathInLinks();
}

/** Marks the navigation link of page `id` as the current page. */
export function markCurrent(id) {
  for (const a of document.querySelectorAll("header.site nav a, header.site .brand a")) {
    if (a.dataset.scene === id) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

renderHeader();
defineTerms();
startEmbedApi(PAGES);
