// Short definitions on demand for the words a newcomer does not know. Every
// <span class="term" data-term="…">word</span> on a page becomes a button
// that opens the definition beside it (the native HTML popover: Escape or a
// tap elsewhere closes it; a browser without popovers shows it as the
// button's title). `markTerm` does the same for a word in text set at run
// time (the header's status line).

/** The definitions, in our own words. */
export const TERMS = {
  adapter: "WebGPU's word for a graphics processor (or a software imitation of one) that a web page may compute on.",
  timestep: "How far along the noising a picture is: t = 0 is the picture untouched, t = 1000 is pure noise.",
  alphabar: "ᾱ (“alpha-bar”) at a timestep is the share of the original that is left: the picture is scaled by √ᾱ and the noise by √(1−ᾱ), so their powers add up.",
  xt: "x_t: the sample at step t, part picture and part noise. Generation starts with x_t as pure noise and removes a little at each step.",
  x0: "x̂0 (“x-hat zero”): the denoiser's guess, at this step, of the clean picture hidden in x_t. The sampler moves x_t a little towards it.",
  ddim: "DDIM: a sampler that removes noise deterministically; the same seed always gives the same result, with no fresh noise added along the way.",
  ddpm: "DDPM: the original sampler, which adds a little fresh random noise at every step (scaled by the temperature).",
  guidance: "Guidance w: how hard the caption pulls. 0 ignores the caption, 1 follows it as the archive does, more exaggerates what sets the caption's items apart.",
  temperature: "Temperature: how much of DDPM's fresh noise is injected at each step (1 as published, 0 none). DDIM injects none, so it has no effect there.",
  spectrogram: "A spectrogram is a picture of sound: time runs left to right, pitch bottom to top, and brightness shows how loud each pitch is at each moment.",
};

const supported = typeof HTMLElement !== "undefined" && Object.hasOwn(HTMLElement.prototype, "popover");
let made = 0;

/** A button showing `content` (text or nodes) that opens the definition of `term`. */
function termButton(term, content) {
  const definition = TERMS[term];
  if (!definition) throw new Error(`no definition for “${term}”`);
  const button = document.createElement("button");
  button.type = "button";
  button.className = "term";
  button.dataset.term = term;
  if (typeof content === "string") button.textContent = content;
  else button.append(...content);
  button.setAttribute("aria-label", `${button.textContent}: what does it mean?`);
  if (!supported) {
    button.title = definition;
    return [button];
  }
  const pop = document.createElement("span");
  pop.id = `term-${term}-${++made}`;
  pop.className = "definition";
  pop.setAttribute("popover", "");
  pop.setAttribute("role", "note");
  pop.textContent = definition;
  button.setAttribute("popovertarget", pop.id);
  return [button, pop];
}

/** Turns every `.term[data-term]` span under `root` into a definition button. */
export function defineTerms(root = document) {
  for (const span of root.querySelectorAll("span.term[data-term]")) {
    span.replaceWith(...termButton(span.dataset.term, [...span.childNodes]));
  }
}

/** Makes the first `word` in `element`'s own text a definition button for `term`. */
export function markTerm(element, word, term) {
  for (const node of element.childNodes) {
    if (node.nodeType !== Node.TEXT_NODE) continue;
    const at = node.data.indexOf(word);
    if (at < 0) continue;
    const rest = node.splitText(at);
    rest.data = rest.data.slice(word.length);
    rest.before(...termButton(term, word));
    return;
  }
}
