// A group of buttons that is one stop for the Tab key: the arrow keys (and
// Home and End) move between its buttons, and Tab leaves the group. The
// button that is pressed (or the first) is the one Tab reaches (the ARIA
// Authoring Practices' “roving tabindex”). The archive's 70 tag buttons were
// 70 tab stops before the first item; now they are one.

/** Makes the `selector` elements inside `group` one tab stop. */
export function roving(group, selector = "button") {
  // Hidden buttons (a tag with no item of the kind shown) are passed over.
  const items = () => [...group.querySelectorAll(selector)].filter((b) => !b.hidden);
  const current = (el) => { for (const b of items()) b.tabIndex = b === el ? 0 : -1; };
  const reset = () => current(group.querySelector(`${selector}[aria-pressed="true"]`) ?? items()[0]);
  reset();
  group.addEventListener("keydown", (e) => {
    const list = items();
    const i = list.indexOf(document.activeElement);
    if (i < 0) return;
    const j = { ArrowRight: i + 1, ArrowDown: i + 1, ArrowLeft: i - 1, ArrowUp: i - 1, Home: 0, End: list.length - 1 }[e.key];
    if (j === undefined) return;
    e.preventDefault();
    const next = list[(j + list.length) % list.length];
    current(next);
    next.focus();
  });
  group.addEventListener("focusin", (e) => { if (items().includes(e.target)) current(e.target); });
  return reset;
}
