// The kiosk's offline copy of the whole site (registered only in kiosk mode,
// by www/js/lib/kiosk.js, as sw.js?v=VERSION). precache.json, written by
// `./build.sh build` after the wasm (tools/precache.mjs), lists every file of
// www/ (pages, modules, styles, the wasm, the whole archive) and a version
// hashed from their contents. Install caches every listed file, whatever its
// size (precaching tools that skip files over 2 MiB would lose the large
// pictures and the wasm); activate deletes the caches of every other
// version, so a new build replaces the old cleanly; fetch answers the
// kiosk's pages from the cache first, and everything else from the network
// first with the cache when offline.
const PREFIX = "hypothetical-";
const VERSION = new URL(self.location.href).searchParams.get("v") ?? "unversioned";
const CACHE = `${PREFIX}${VERSION}`;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const list = await (await fetch("precache.json", { cache: "no-store" })).json();
    if (list.version !== VERSION) throw new Error(`precache.json is version ${list.version}, not ${VERSION}`);
    const cache = await caches.open(CACHE);
    await cache.addAll(list.files.map((f) => new Request(f, { cache: "reload" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

/** Whether a request comes from the kiosk (a ?kiosk page or kiosk.html) or opens one. */
async function fromKiosk(event) {
  const kiosk = (href) => {
    const url = new URL(href);
    return url.searchParams.has("kiosk") || url.pathname.endsWith("/kiosk.html");
  };
  if (event.request.mode === "navigate") return kiosk(event.request.url);
  const client = event.clientId ? await self.clients.get(event.clientId) : null;
  return Boolean(client && kiosk(client.url));
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    // The query (?kiosk, ?cpu, idle=…) is for the page, not the file.
    const cached = () => cache.match(request, { ignoreSearch: true });
    // The kiosk reads its copy first, except the staff's settings; everything
    // else (the public site in the same browser, the workers) the network
    // first, so that it is never stale, and the copy when offline.
    const networkFirst = !(await fromKiosk(event)) || new URL(request.url).pathname.endsWith("/kiosk.json");
    if (networkFirst) {
      try { return await fetch(request, { cache: "no-store" }); } catch { return (await cached()) ?? Response.error(); }
    }
    return (await cached()) ?? fetch(request);
  })());
});
