// The sound scene's work off the main thread, on all the visitor's cores:
//   {id, kind: "invert", values, iters}   Griffin–Lim of a track picture on the CPU;
//                                         answers {id, progress: [i, n]} per iteration, then {id, samples}
//   {id, kind: "setup", setup}            the run's candidate clips (scene.trackWorkerSetup())
//   {id, kind: "share", job, index, count} every count-th diagonal of a step from the index-th;
//                                         answers {id, share} (merged by scene.finishTrackStep)
// Errors answer {id, error}.
import init, { invertTrack, TrackWorker } from "../pkg/hypothetical.js";

const ready = init();
let machine = null;

self.onmessage = async ({ data }) => {
  try {
    await ready;
    if (data.kind === "setup") {
      const s = data.setup;
      machine?.free();
      machine = new TrackWorker(s.pictures, s.weights, s.align, s.cols);
      self.postMessage({ id: data.id, ready: true });
    } else if (data.kind === "share") {
      if (!machine) throw new Error("the worker has no candidates yet");
      const j = data.job;
      const share = machine.share(j.x, j.alphaBar, j.bands, j.frames, j.rigidity, data.index, data.count);
      self.postMessage({ id: data.id, share }, [share.max.buffer, share.sum.buffer, share.acc.buffer, share.best.buffer]);
    } else {
      const samples = invertTrack(data.values, data.iters, (i, n) => self.postMessage({ id: data.id, progress: [i, n] }));
      self.postMessage({ id: data.id, samples }, [samples.buffer]);
    }
  } catch (e) {
    self.postMessage({ id: data.id, error: String(e?.message ?? e) });
  }
};
