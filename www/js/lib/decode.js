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
