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
 * The duration in seconds of a WAV or FLAC file, read before decoding, or
 * null for other formats (and where it cannot be told): a file hours long is
 * then refused in words instead of being decoded (a browser decodes the whole
 * file into memory first). What is read bounds what a header says:
 * - WAV: the data chunk's stated size, but no more than the bytes that are
 *   there (a 3 s file whose header claims 27 h is 3 s long);
 * - FLAC: STREAMINFO's total samples; where it says 0 (unknown), the number
 *   of the last frame in the file (its header checked by its CRC-8), so a
 *   3 h stream that does not state its length is still seen to be 3 h.
 */
export function statedDuration(bytes) {
  const view = new DataView(bytes instanceof ArrayBuffer ? bytes : bytes.buffer);
  const tag = (at) => (at + 4 <= view.byteLength ? String.fromCharCode(...new Uint8Array(view.buffer, view.byteOffset + at, 4)) : "");
  if (tag(0) === "fLaC" && view.byteLength >= 26) {
    // STREAMINFO, the first metadata block: sample rate (20 bits) and total samples (36 bits) from byte 18.
    const rate = (view.getUint8(18) << 12) | (view.getUint8(19) << 4) | (view.getUint8(20) >> 4);
    const total = (view.getUint8(21) & 0x0f) * 2 ** 32 + view.getUint32(22);
    if (!(rate > 0)) return null;
    if (total > 0) return total / rate;
    const minBlock = view.getUint16(8);
    const maxBlock = view.getUint16(10);
    const read = lastFlacFrameEnd(view, minBlock === maxBlock ? maxBlock : 0);
    return read === null ? null : read / rate;
  }
  if (tag(0) === "RIFF" && tag(8) === "WAVE") {
    let byteRate = 0;
    for (let at = 12; at + 8 <= view.byteLength;) {
      const id = tag(at);
      const size = view.getUint32(at + 4, true);
      if (id === "fmt " && at + 20 <= view.byteLength) byteRate = view.getUint32(at + 16, true);
      if (id === "data") return byteRate > 0 ? Math.min(size, view.byteLength - (at + 8)) / byteRate : null;
      at += 8 + size + (size & 1);
    }
  }
  return null;
}

/** CRC-8 (polynomial x⁸ + x² + x + 1, as FLAC's frame headers use) of `bytes`. */
export function crc8(bytes) {
  let crc = 0;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

/** How far back from a FLAC file's end its last frame header is looked for (bytes). */
const FLAC_TAIL = 1 << 20;

/**
 * The sample just past the last frame of a FLAC stream: from the last frame
 * header in the file's final MiB whose CRC-8 holds, its frame number times
 * `fixedBlock` (a fixed-blocksize stream) or its sample number (a variable
 * one), plus its own block size. Null where none is found.
 */
function lastFlacFrameEnd(view, fixedBlock) {
  const u8 = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  for (let at = u8.length - 6; at >= Math.max(4, u8.length - FLAC_TAIL); at--) {
    if (u8[at] !== 0xff || (u8[at + 1] & 0xfe) !== 0xf8) continue;
    const variable = u8[at + 1] & 1;
    const blockCode = u8[at + 2] >> 4;
    const rateCode = u8[at + 2] & 0x0f;
    if (blockCode === 0 || rateCode === 15 || (u8[at + 3] & 1) || (u8[at + 3] >> 4) > 10) continue;
    // The frame or sample number, coded as UTF-8 is (up to 7 bytes, 36 bits).
    let p = at + 4;
    const lead = u8[p];
    if (lead === undefined) continue;
    let extra = 0;
    let n;
    if (lead < 0x80) n = lead;
    else if ((lead & 0xe0) === 0xc0) { extra = 1; n = lead & 0x1f; }
    else if ((lead & 0xf0) === 0xe0) { extra = 2; n = lead & 0x0f; }
    else if ((lead & 0xf8) === 0xf0) { extra = 3; n = lead & 0x07; }
    else if ((lead & 0xfc) === 0xf8) { extra = 4; n = lead & 0x03; }
    else if ((lead & 0xfe) === 0xfc) { extra = 5; n = lead & 0x01; }
    else if (lead === 0xfe) { extra = 6; n = 0; }
    else continue;
    let ok = true;
    for (let k = 1; k <= extra; k++) {
      const c = u8[p + k];
      if (c === undefined || (c & 0xc0) !== 0x80) { ok = false; break; }
      n = n * 64 + (c & 0x3f);
    }
    if (!ok) continue;
    p += 1 + extra;
    let block;
    if (blockCode === 1) block = 192;
    else if (blockCode <= 5) block = 576 * 2 ** (blockCode - 2);
    else if (blockCode === 6) { if (p >= u8.length) continue; block = u8[p] + 1; p += 1; }
    else if (blockCode === 7) { if (p + 1 >= u8.length) continue; block = ((u8[p] << 8) | u8[p + 1]) + 1; p += 2; }
    else block = 256 * 2 ** (blockCode - 8);
    if (rateCode === 12) p += 1;
    else if (rateCode === 13 || rateCode === 14) p += 2;
    if (p >= u8.length || crc8(u8.subarray(at, p)) !== u8[p]) continue;
    if (!variable && !(fixedBlock > 0)) continue;
    return (variable ? n : n * fixedBlock) + block;
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
