// The archive's pictures for a generating engine (Generator): the packed
// 32 px sheets first (every picture, a few MB), 128 px pictures only for the
// runs that need them: a cascade's candidates when it asks for them at its
// handover (a step's `needs`), or what `Generator.picturesFor` names before
// a run (the Gaussian's sample above 32 px, every picture of a small archive).

const bytes = new Map(); // file → Promise of its bytes, fetched once per page

function fetchBytes(file) {
  if (!bytes.has(file)) {
    bytes.set(file, fetch(`archive/${file}`).then((r) => {
      if (!r.ok) throw new Error(`archive/${file} could not be fetched (HTTP ${r.status})`);
      return r.arrayBuffer();
    }).then((b) => new Uint8Array(b)));
    bytes.get(file).catch(() => bytes.delete(file));
  }
  return bytes.get(file);
}

/** Gives `gen` every sheet of the manifest's `packs` (the 32 px copy of every picture). */
export async function loadPacks(gen, packs) {
  await Promise.all(packs.map(async (pack, i) => gen.addPack(i, await fetchBytes(pack.file))));
}

/**
 * Gives `gen` the 128 px pictures of `ids` (all of `items` when `ids` is
 * null); `onProgress(done, of)` after each.
 */
export async function loadPictures(gen, items, ids = null, onProgress = () => {}) {
  const byId = new Map(items.map((i) => [i.id, i]));
  const wanted = ids ? ids.map((id) => byId.get(id)).filter(Boolean) : items;
  let done = 0;
  // A few requests at a time: thousands at once exhaust the browser's sockets.
  const queue = [...wanted];
  await Promise.all(Array.from({ length: FETCHES }, async () => {
    while (queue.length) {
      const item = queue.shift();
      gen.addImage(item.id, await fetchBytes(item.file));
      onProgress(++done, wanted.length);
    }
  }));
}

/** Requests in flight at once. */
const FETCHES = 8;

/** A cascade's `needs`: fetch those pictures, then let the run go on. */
export async function supplyPictures(gen, items, ids, onProgress) {
  await loadPictures(gen, items, ids, onProgress);
  gen.supply();
}
