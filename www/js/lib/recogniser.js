// The recogniser's bars, shared by the image and sound scenes. Each bar is a
// tag's probability (on pictures: that the caption applies, each bar its own
// probability; on sounds: p(tag | x_t), the bars adding up to 1) with a mark
// at the tag's prior: its value before any picture is seen, the tag's share
// of the archive. Widths are set through the CSSOM (no inline style
// attributes, so a strict Content Security Policy does not blank them).

/** Fills `list` (an <ol>) with one <li> per `{tag, p, prior}`; `chosen` is highlighted. */
export function renderRecogniser(list, bars, chosen) {
  list.replaceChildren(...bars.map(({ tag, p, prior, other }) => {
    const li = document.createElement("li");
    li.dataset.tag = tag;
    if (tag === chosen) li.classList.add("chosen");
    // The mass of the items that carry none of the tags shown, named by what they are.
    if (other) li.classList.add("other");
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = tag;
    const bar = document.createElement("span");
    bar.className = "bar";
    const fill = document.createElement("span");
    fill.className = "fill";
    fill.style.width = `${(100 * p).toFixed(1)}%`;
    const mark = document.createElement("span");
    mark.className = "prior";
    mark.style.left = `${(100 * prior).toFixed(1)}%`;
    mark.title = `prior ${prior.toFixed(3)}: its share of the archive`;
    bar.append(fill, mark);
    const out = document.createElement("output");
    out.className = "p";
    out.textContent = p.toFixed(3);
    li.title = `p = ${p.toFixed(3)}; before any picture is seen: ${prior.toFixed(3)}`;
    li.append(name, bar, out);
    return li;
  }));
}

/** The sentence under the bars: where the chosen tag stands and where it started. */
export function recogniserSentence(step, tag, p, prior) {
  const ratio = prior > 0 ? p / prior : 0;
  const change = ratio >= 1.05 ? `${ratio.toFixed(1)} times` : ratio <= 0.95 ? `${ratio.toFixed(2)} times` : "about";
  return `At step ${step}, the recogniser gives “${tag}” a probability of ${p.toFixed(3)}: the weight of the archive items that carry it, each item weighted by how likely it is to be the picture (an item counts fully for each of its tags, so a picture can be “flower” and “plant” at once). ` +
    `It starts out believing the archive's proportions: before any picture is seen, “${tag}” gets ${prior.toFixed(3)}, ` +
    `its share of the archive (the mark on each bar), so tags with more items start ahead. Now it is ${change} that.`;
}
