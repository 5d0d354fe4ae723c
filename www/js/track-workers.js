// A pool of Web Workers (www/js/track-worker.js) for the sound scene's tracks:
// one per core (at most 4), each with the wasm module. The patch machine's
// steps are split into shares of their diagonals that the scene merges
// exactly (online softmax states), and Griffin–Lim on the CPU runs off the
// main thread. No SharedArrayBuffer is needed.
const WORKER_URL = new URL("./track-worker.js", import.meta.url);
export const MAX_WORKERS = 4;

export class WorkerPool {
  constructor(size = Math.max(1, Math.min(MAX_WORKERS, navigator.hardwareConcurrency || 1))) {
    this.size = size;
    this.workers = [];
    this.ticket = 0;
    this.broken = false; // set when a worker could not start: the page works on the main thread
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

  /** Griffin–Lim of a track picture in worker 0, with per-iteration progress. */
  async invert(values, iters, onProgress) {
    const answer = await this.call(0, { kind: "invert", values, iters }, [values.buffer], onProgress);
    return answer.samples;
  }
}
