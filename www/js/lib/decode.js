// Any sound the browser reads, decoded at `rate` and mixed to mono (the
// scenes' sounds are mono at the archive's 22,050 Hz). No gesture is needed:
// an OfflineAudioContext never plays.
export async function decodeMono(bytes, rate) {
  const buf = await new OfflineAudioContext(1, 1, rate).decodeAudioData(bytes);
  const mono = new Float32Array(buf.length);
  for (let c = 0; c < buf.numberOfChannels; c++) {
    const d = buf.getChannelData(c);
    for (let i = 0; i < mono.length; i++) mono[i] += d[i] / buf.numberOfChannels;
  }
  return mono;
}

/**
 * The duration in seconds that a WAV or FLAC file's header states, or null
 * for other formats (and for headers that do not say): read before decoding,
 * so that a file hours long is refused in words instead of being decoded
 * (a browser decodes the whole file into memory first).
 */
export function statedDuration(bytes) {
  const view = new DataView(bytes instanceof ArrayBuffer ? bytes : bytes.buffer);
  const tag = (at) => (at + 4 <= view.byteLength ? String.fromCharCode(...new Uint8Array(view.buffer, view.byteOffset + at, 4)) : "");
  if (tag(0) === "fLaC" && view.byteLength >= 26) {
    // STREAMINFO, the first metadata block: sample rate (20 bits) and total samples (36 bits) from byte 18.
    const rate = (view.getUint8(18) << 12) | (view.getUint8(19) << 4) | (view.getUint8(20) >> 4);
    const total = (view.getUint8(21) & 0x0f) * 2 ** 32 + view.getUint32(22);
    return rate > 0 && total > 0 ? total / rate : null;
  }
  if (tag(0) === "RIFF" && tag(8) === "WAVE") {
    let byteRate = 0;
    for (let at = 12; at + 8 <= view.byteLength;) {
      const id = tag(at);
      const size = view.getUint32(at + 4, true);
      if (id === "fmt " && at + 20 <= view.byteLength) byteRate = view.getUint32(at + 16, true);
      if (id === "data") return byteRate > 0 ? size / byteRate : null;
      at += 8 + size + (size & 1);
    }
  }
  return null;
}

/** The root-mean-square level of `samples` (0 for none). */
export const rms = (x) => Math.sqrt(x.reduce((a, v) => a + v * v, 0) / Math.max(1, x.length));

/** A level (1 = full scale) in words: “−23.4 dBFS” with `digits` decimals, or “silence”. */
export const dBFS = (v, digits = 1) => (v > 0 ? `${(20 * Math.log10(v)).toFixed(digits).replace("-", "−")} dBFS` : "silence");

/** The loudest sample's magnitude in `samples` (0 for silence). */
export function peak(samples) {
  let p = 0;
  for (let i = 0; i < samples.length; i++) { const v = Math.abs(samples[i]); if (v > p) p = v; }
  return p;
}
