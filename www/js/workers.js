// A pool of Web Workers (www/js/worker.js): one per core (at most 4), each
// with the wasm module. The patch machines' steps are split into shares that
// the scene merges exactly (online log-sum-exp states): a track's diagonals,
// a picture's candidate items. Griffin–Lim of a track on the CPU runs off the
// main thread. No SharedArrayBuffer is needed.
const WORKER_URL = new URL("./worker.js", import.meta.url);
export const MAX_WORKERS = 4;

export class WorkerPool {
  constructor(size = Math.max(1, Math.min(MAX_WORKERS, navigator.hardwareConcurrency || 1))) {
    this.size = size;
    this.workers = [];
    this.ticket = 0;
    this.broken = false; // set when a worker could not start: the page works on the main thread
    this.archives = new Map(); // edge → the key of the image archive every worker holds there
  }

  worker(i) {
    if (!this.workers[i]) {
      const w = new Worker(WORKER_URL, { type: "module" });
      w.onerror = (e) => { this.broken = true; this.workers[i] = null; for (const f of w.pending?.values() ?? []) f.reject(new Error(e.message || "a worker could not start")); };
      w.pending = new Map();
      w.onmessage = ({ data }) => {
        const p = w.pending.get(data.id);
        if (!p) return;
        if (data.progress) { p.onProgress?.(data.progress); return; }
        w.pending.delete(data.id);
        if (data.error) p.reject(new Error(data.error));
        else p.resolve(data);
      };
      this.workers[i] = w;
    }
    return this.workers[i];
  }

  /** Sends `message` to worker i; resolves with its answer. */
  call(i, message, transfer = [], onProgress = null) {
    const w = this.worker(i);
    const id = ++this.ticket;
    return new Promise((resolve, reject) => {
      w.pending.set(id, { resolve, reject, onProgress });
      w.postMessage({ ...message, id }, transfer);
    });
  }

  /** Gives every worker the run's candidates (scene.trackWorkerSetup()). */
  setup(setup) {
    return Promise.all(Array.from({ length: this.size }, (_, i) => this.call(i, { kind: "setup", setup })));
  }

  /** One step's shares, in share order, for scene.finishTrackStep. */
  async shares(job) {
    const answers = await Promise.all(Array.from({ length: this.size }, (_, i) => this.call(i, { kind: "share", job, index: i, count: this.size })));
    return answers.map((a) => a.share);
  }

  /**
   * Gives every worker the image archive at `edge` named `key` (a patch job's
   * `archive`: a cascade refines with its own choice of items), once;
   * `values` is a function, called only when needed.
   */
  async archive(key, edge, values) {
    if (this.archives.get(edge) === key) return;
    const v = values();
    await Promise.all(Array.from({ length: this.size }, (_, i) => this.call(i, { kind: "archive", edge, values: v })));
    this.archives.set(edge, key);
  }

  /**
   * One picture patch step's shares (gen.patchJob()), for gen.finishPatchStep;
   * `onProgress(added, of)` sums the items done over the workers.
   */
  async patchShares(job, onProgress = () => {}) {
    const done = new Array(this.size).fill(0);
    const answers = await Promise.all(Array.from({ length: this.size }, (_, i) =>
      this.call(i, { kind: "patch", job, index: i, count: this.size }, [], ([k]) => {
        done[i] = k;
        onProgress(done.reduce((a, b) => a + b, 0), job.candidates.length);
      })));
    return answers.map((a) => a.share);
  }

  /** Griffin–Lim of a track picture in worker 0, with per-iteration progress. */
  async invert(values, iters, onProgress) {
    const answer = await this.call(0, { kind: "invert", values, iters }, [values.buffer], onProgress);
    return answer.samples;
  }
}
