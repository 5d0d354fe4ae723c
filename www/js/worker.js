// The scenes' work off the main thread, on all the visitor's cores:
//   {id, kind: "invert", values, iters}   Griffin–Lim of a track picture on the CPU;
//                                         answers {id, progress: [i, n]} per iteration, then {id, samples}
//   {id, kind: "setup", setup}            a track run's candidate clips (scene.trackWorkerSetup())
//   {id, kind: "share", job, index, count} every count-th diagonal of a track step from the index-th;
//                                         answers {id, share} (merged by scene.finishTrackStep)
//   {id, kind: "archive", edge, values}   the image archive at one edge (gen.workerArchive(edge))
//   {id, kind: "patch", job, index, count} every count-th candidate item of a picture's patch step
//                                         (gen.patchJob()); answers {id, progress: [i, n]} per item,
//                                         then {id, share} (merged by gen.finishPatchStep)
// Errors answer {id, error}.
import init, { invertTrack, TrackWorker, ImageWorker } from "../pkg/hypothetical.js";

const ready = init();
let machine = null;
let images = null;

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
    } else if (data.kind === "archive") {
      images ??= new ImageWorker();
      images.addArchive(data.edge, data.values);
      self.postMessage({ id: data.id, ready: true });
    } else if (data.kind === "patch") {
      if (!images?.hasArchive(data.job.edge)) throw new Error(`the worker has no archive at ${data.job.edge} px`);
      const share = images.share(data.job, data.index, data.count, (i, n) => self.postMessage({ id: data.id, progress: [i, n] }));
      self.postMessage({ id: data.id, share }, [share.items.buffer, share.accs.buffer, share.records.buffer]);
    } else {
      const samples = invertTrack(data.values, data.iters, (i, n) => self.postMessage({ id: data.id, progress: [i, n] }));
      self.postMessage({ id: data.id, samples }, [samples.buffer]);
    }
  } catch (e) {
    self.postMessage({ id: data.id, error: String(e?.message ?? e) });
  }
};
