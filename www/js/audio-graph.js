// The Web Audio graph of "Sounds Like Music".
//
//   clip  ── gain √ᾱ/RMS(clip) ──┐
//                                 ├─ level (−20 dBFS RMS) ─ ×½ ─ limiter (WaveShaper) ─ output
//   noise ── gain √(1−ᾱ) ─────────┘
//
// The clip is standardised to unit power and the noise is N(0, 1), so the sum
// has unit power at every t and one fixed level gain keeps the loudness
// steady; the limiter's curve comes from the Rust core (`limiterCurve`): the
// identity up to 0.5, then a soft knee that never passes 0.95. Gains glide
// with `setTargetAtTime` so that dragging the timestep does not click.

// The scene's sample rate (Hz), from the Rust core (soundConstants): set by
// useSampleRate before any buffer is made.
export let SAMPLE_RATE = 0;
export function useSampleRate(rate) { SAMPLE_RATE = rate; }
const GLIDE = 0.015; // seconds: the time constant of a gain change

export function buffer(ctx, samples) {
  const b = new AudioBuffer({ length: samples.length, sampleRate: SAMPLE_RATE, numberOfChannels: 1 });
  b.copyToChannel(samples, 0);
  return b;
}

// The limiter stage: halve, then shape (the curve spans inputs −2…2).
export function limiter(ctx, curve) {
  const half = new GainNode(ctx, { gain: 0.5 });
  const shaper = new WaveShaperNode(ctx, { curve, oversample: "none" });
  half.connect(shaper);
  return { input: half, output: shaper };
}

export class Mix {
  constructor(ctx, { clip, noise, curve, destination = ctx.destination }) {
    this.ctx = ctx;
    this.clipBuffer = buffer(ctx, clip);
    this.noiseBuffer = buffer(ctx, noise);
    this.music = new GainNode(ctx, { gain: 0 });
    this.noise = new GainNode(ctx, { gain: 0 });
    this.level = new GainNode(ctx, { gain: 0 });
    const limit = limiter(ctx, curve);
    this.music.connect(this.level);
    this.noise.connect(this.level);
    this.level.connect(limit.input);
    limit.output.connect(destination);
    this.sources = [];
  }

  // levels: {music, noise, level} from SoundScene.levels(t).
  set(levels, { glide = true } = {}) {
    const now = this.ctx.currentTime;
    for (const [node, value] of [[this.music, levels.music], [this.noise, levels.noise], [this.level, levels.level]]) {
      if (glide) node.gain.setTargetAtTime(value, now, GLIDE);
      else node.gain.setValueAtTime(value, now);
    }
  }

  start({ loop = true } = {}) {
    this.stop();
    const when = this.ctx.currentTime;
    for (const [buf, gain] of [[this.clipBuffer, this.music], [this.noiseBuffer, this.noise]]) {
      const src = new AudioBufferSourceNode(this.ctx, { buffer: buf, loop });
      src.connect(gain);
      src.start(when);
      this.sources.push(src);
    }
  }

  stop() {
    for (const s of this.sources) {
      try { s.stop(); } catch { /* already stopped */ }
      s.disconnect();
    }
    this.sources = [];
  }
}

// What the graph should output, sample by sample: the WaveShaper's linear
// interpolation of the curve at ½·level·(music·clip + noise·noise).
export function expectedMix(clip, noise, levels, curve, length) {
  const out = new Float32Array(length);
  const n = curve.length - 1;
  for (let i = 0; i < length; i++) {
    const x = 0.5 * levels.level * (levels.music * clip[i] + levels.noise * noise[i]);
    const v = Math.min(Math.max((x + 1) / 2, 0), 1) * n;
    const k = Math.min(Math.floor(v), n - 1);
    const f = v - k;
    out[i] = (1 - f) * curve[k] + f * curve[k + 1];
  }
  return out;
}

// Renders the mixing graph offline (headless-safe) for `seconds` at fixed levels.
export async function renderOffline({ clip, noise, curve, levels, seconds }) {
  const length = Math.round(seconds * SAMPLE_RATE);
  const ctx = new OfflineAudioContext(1, length, SAMPLE_RATE);
  const mix = new Mix(ctx, { clip, noise, curve });
  mix.set(levels, { glide: false });
  mix.start({ loop: true });
  const rendered = await ctx.startRendering();
  return rendered.getChannelData(0);
}
