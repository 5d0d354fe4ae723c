// A host page for the embed API's browser test (tests/e2e/embed.test.mjs),
// served from an origin of its own: ?site=ORIGIN&path=PAGE says what to
// frame. It keeps every message from the frame in window.events and sends
// the test's messages with window.send, only to the site's origin.
const q = new URLSearchParams(location.search);
const site = q.get("site");
const frame = document.getElementById("scene");
frame.src = `${site}/${q.get("path")}`;
window.events = [];
addEventListener("message", (event) => {
  if (event.origin !== site || event.source !== frame.contentWindow) return;
  window.events.push(event.data);
});
window.send = (message) => frame.contentWindow.postMessage(message, site);
