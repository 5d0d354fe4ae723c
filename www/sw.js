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
    // The list itself, so that the copy can be checked offline.
    await cache.put("precache.json", new Response(JSON.stringify(list), { headers: { "content-type": "application/json" } }));
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
    const hit = await cached();
    if (hit) return hit;
    // A file the copy has lost (storage pressure, a damaged profile): fetched, and put back.
    const response = await fetch(request);
    if (response.ok) await cache.put(new URL(request.url).pathname, response.clone());
    return response;
  })());
});

/**
 * “check” from a kiosk page: lists the files of precache.json missing from
 * the copy, fetches them again where the network allows, and answers with
 * what is still missing, so that the kiosk can tell staff.
 */
self.addEventListener("message", (event) => {
  if (event.data?.type !== "check") return;
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    let files = [];
    try { files = (await (await fetch("precache.json", { cache: "no-store" })).json()).files; } catch {
      // Offline: the copy holds the list too.
      files = (await (await cache.match("precache.json"))?.json())?.files ?? [];
    }
    const missing = [];
    let repaired = 0;
    // The copy's paths, read once: a match per file with ignoreSearch scans
    // every entry, and the archive has thousands of files.
    const path = (url) => new URL(url, self.location.href).pathname;
    const have = new Set((await cache.keys()).map((r) => path(r.url)));
    for (const f of files) {
      if (have.has(path(f))) continue;
      try {
        await cache.add(new Request(f, { cache: "reload" }));
        repaired += 1;
      } catch { missing.push(f); }
    }
    event.source?.postMessage({ type: "checked", missing, repaired, files: files.length });
  })());
});
