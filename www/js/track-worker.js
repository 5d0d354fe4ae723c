// Griffin–Lim of a hypothetical track off the main thread (the CPU path):
// the page posts {id, values, iters}; the worker answers {id, progress: [i, n]}
// after each iteration, then {id, samples} (or {id, error}).
import init, { invertTrack } from "../pkg/hypothetical.js";

const ready = init();

self.onmessage = async ({ data }) => {
  try {
    await ready;
    const samples = invertTrack(data.values, data.iters, (i, n) => self.postMessage({ id: data.id, progress: [i, n] }));
    self.postMessage({ id: data.id, samples }, [samples.buffer]);
  } catch (e) {
    self.postMessage({ id: data.id, error: String(e?.message ?? e) });
  }
};
