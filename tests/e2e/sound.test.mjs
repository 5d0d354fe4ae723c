// "Sounds Like Music" in headless Chromium, with WebGPU (SwiftShader) and with
// the CPU fallback: the forward process on the waveform (checked sample by
// sample through an OfflineAudioContext) and on the spectrogram, generation
// from noise, per-step playback, the WAV download and bad input.
import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import { CONFIGS, SHOTS, useBrowser, openSettings } from "./harness.mjs";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { toneWav } from "./pictures.mjs";

// A fake microphone (a beep) that needs no permission prompt.
const MIC_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"];
const WINDOW = 131072;

/** The chunks of a RIFF/WAVE file, with LIST/INFO entries as {INAM: …}. */
function readWav(bytes) {
  assert.equal(bytes.toString("latin1", 0, 4), "RIFF");
  assert.equal(bytes.toString("latin1", 8, 12), "WAVE");
  const out = { info: {} };
  for (let at = 12; at + 8 <= bytes.length;) {
    const id = bytes.toString("latin1", at, at + 4);
    const len = bytes.readUInt32LE(at + 4);
    const body = bytes.subarray(at + 8, at + 8 + len);
    if (id === "fmt ") out.fmt = { format: body.readUInt16LE(0), channels: body.readUInt16LE(2), rate: body.readUInt32LE(4), bits: body.readUInt16LE(14) };
    if (id === "data") out.samples = len / 2;
    if (id === "LIST" && body.toString("latin1", 0, 4) === "INFO") {
      for (let p = 4; p + 8 <= body.length;) {
        const key = body.toString("latin1", p, p + 4);
        const l = body.readUInt32LE(p + 4);
        out.info[key] = body.toString("utf8", p + 8, p + 8 + l).replace(/\0+$/, "");
        p += 8 + l + (l & 1);
      }
    }
    at += 8 + len + (len & 1);
  }
  return out;
}

for (const config of CONFIGS) {
  describe(`Sounds Like Music with ${config.name}`, () => {
    const shot = (name) => page.screenshot({ path: join(SHOTS, `${config.name}-sound-${name}.png`), fullPage: true });

    async function open(hash = "") {
      page = await session.fresh();
      await page.goto(`${origin}/sound.html${config.query}${hash ? `#${hash}` : ""}`);
      await page.waitForSelector("html[data-ready=true]", { timeout: 120_000 });
    }
    async function setT(t) {
      await page.evaluate((t) => {
        const el = document.getElementById("t");
        el.value = t;
        el.dispatchEvent(new Event("input", { bubbles: true }));
      }, t);
      await page.waitForFunction((t) => document.getElementById("spec").dataset.t === String(t), t);
    }
    async function upload(name, type, buffer) {
      const before = await page.textContent("#source-info");
      await page.evaluate(() => { document.getElementById("message").textContent = ""; });
      await page.setInputFiles("#file", { name, mimeType: type, buffer });
      await page.waitForFunction((before) => {
        const info = document.getElementById("source-info").textContent;
        return !info.startsWith("Decoding") && (document.getElementById("message").textContent !== "" || info !== before);
      }, before, { timeout: 60_000 });
      return { message: await page.textContent("#message"), info: await page.textContent("#source-info") };
    }
    async function generateAndWait() {
      await page.evaluate(() => { delete document.documentElement.dataset.generated; });
      await page.click("#generate");
      await page.waitForSelector("html[data-generated]", { state: "attached", timeout: 300_000 });
      return page.getAttribute("html", "data-generated");
    }
    const spectrogramSpread = (id) => page.evaluate((id) => {
      const c = document.getElementById(id);
      const d = c.getContext("2d").getImageData(52, 8, 512, 512).data;
      let min = 255, max = 0;
      for (let i = 0; i < d.length; i += 4) { const v = d[i] + d[i + 1] + d[i + 2]; min = Math.min(min, v); max = Math.max(max, v); }
      return max - min;
    }, id);

    const session = useBrowser({ args: [...MIC_ARGS, ...config.args], viewport: { width: 1280, height: 1100 }, acceptDownloads: true });
    const problems = session.problems;
    let page, origin;
    before(async () => {
      ({ page, origin } = session);
    });

    test("the scene's own 34 clips load (the soundtracks wait until used) and the chosen clip's spectrogram is drawn with its axes", async () => {
      await open("clip=drums-breakbeat&t=0");
      assert.equal(await page.getAttribute("#backend", "data-kind"), config.backend, await page.textContent("#backend"));
      assert.equal(await page.evaluate(() => window.__sound.scene.clips), 34);
      assert.equal(await page.inputValue("#clip"), "drums-breakbeat");
      assert.match(await page.textContent("#source-info"), /^Breakbeat.*5\.9 s\.$/);
      assert.equal(await page.getAttribute("html", "data-audio"), null, "no sound before a gesture");
      assert.ok(await spectrogramSpread("spec") > 300, "the spectrogram has light and dark");
      assert.equal(await page.textContent("#power-sentence"), "The music is louder than the noise at every frequency.");
      const tags = await page.$$eval("#tag option", (o) => o.map((x) => x.value));
      assert.deepEqual(tags, ["techno", "chorale", "jazz", "voice", "drums", "static", "orchestral", "electronic"]);
      assert.match(await page.textContent('#tag option[value="orchestral"]'), /^orchestral \(\d+ clips, recordings, for tracks\)$/);
      await shot("drums-t0");
    });

    test("dragging t drowns more bands, the quiet high ones first, and the address keeps t", async () => {
      const shares = [];
      for (const t of [50, 200, 600, 1000]) {
        await setT(t);
        shares.push(await page.evaluate((t) => window.__sound.scene.spectrum(t).share, t));
        assert.match(await page.textContent("#t-out"), new RegExp(`^t = ${t} · ᾱ = `));
      }
      for (let i = 1; i < shares.length; i++) assert.ok(shares[i] >= shares[i - 1], `shares rise: ${shares}`);
      assert.equal(shares.at(-1), 1);
      await setT(200);
      assert.match(await page.textContent("#power-sentence"), /The noise is louder than the music over \d+% of the frequency range up to 11 kHz; .*high frequencies drown first/);
      assert.equal(await page.getAttribute("#spec", "aria-label"), "Spectrogram of Breakbeat noised at t = 200");
      await page.waitForFunction(() => location.hash.includes("t=200") && location.hash.includes("clip=drums-breakbeat"));
      await shot("drums-t200");
    });

    test("an OfflineAudioContext renders the mixing graph as √ᾱ·music + √(1−ᾱ)·noise, levelled and limited", async () => {
      for (const t of [0, 300, 700]) {
        const r = await page.evaluate((t) => window.__sound.offline(t, 1), t);
        assert.equal(r.length, 22050);
        assert.ok(r.worst < 1e-5, `t = ${t}: largest difference from the expected mix ${r.worst}`);
        assert.ok(Math.abs(r.rms - 0.1) < 0.03, `t = ${t}: loudness held near −20 dBFS (rms ${r.rms})`);
      }
      const zero = await page.evaluate(() => window.__sound.scene.levels(0));
      assert.equal(zero.noise, 0);
      // Pure noise: the same loudness, and the limiter keeps every peak under 0.95.
      const pure = await page.evaluate(() => window.__sound.offline(1000, 3));
      assert.ok(Math.abs(pure.rms - 0.1) < 0.01, `pure noise rms ${pure.rms}`);
      assert.ok(pure.peak <= 0.95, `pure noise peak ${pure.peak}`);
    });

    test("sound waits for a gesture; the mix plays, follows the slider and stops", async () => {
      await page.click("#play-mix");
      await page.waitForSelector("html[data-audio=on]");
      await page.waitForSelector("html[data-playing=mix]");
      assert.match(await page.textContent("#sound-state"), /^Playing the waveform mix at t = \d+: levelled to −20 dBFS RMS and limited below 0\.95 of full scale/);
      assert.equal(await page.getAttribute("#play-mix", "aria-pressed"), "true");
      for (const t of [100, 400, 800, 300]) await setT(t);
      assert.equal(await page.getAttribute("html", "data-playing"), "mix");
      await page.click("#stop");
      assert.equal(await page.getAttribute("html", "data-playing"), "");
      assert.equal(await page.getAttribute("#play-mix", "aria-pressed"), "false");
      assert.equal(await page.textContent("#sound-state"), "Stopped the waveform mix; nothing plays now.");
      // A new source stops the mix, and the line says so.
      await page.click("#play-mix");
      await page.waitForSelector("html[data-playing=mix]");
      const clip = await page.inputValue("#clip");
      await page.selectOption("#clip", clip === "maple-leaf-rag" ? "drums-breakbeat" : "maple-leaf-rag");
      await page.waitForFunction(() => document.documentElement.dataset.playing === "");
      assert.equal(await page.textContent("#sound-state"), "Stopped the waveform mix; nothing plays now.");
      await page.selectOption("#clip", clip);
    });

    test("the noised picture is turned back into sound, levelled, with a progress indicator", async () => {
      await setT(300);
      // Note whether the indicator was showing while the page said it was rendering.
      await page.evaluate(() => {
        window.__renderSeen = null;
        new MutationObserver(() => {
          if (document.documentElement.dataset.rendering) window.__renderSeen = !document.getElementById("render").hidden && document.getElementById("render-text").textContent;
        }).observe(document.documentElement, { attributes: true, attributeFilter: ["data-rendering"] });
      });
      await page.click("#hear-picture");
      await page.waitForSelector("html[data-playing=picture-300]", { timeout: 120_000 });
      const played = await page.evaluate(() => window.__sound.lastPlayed);
      assert.equal(played.length, WINDOW);
      assert.ok(Math.abs(played.rms - 0.1) < 0.005, `rms ${played.rms}`);
      assert.ok(played.peak <= 0.95);
      assert.match(await page.evaluate(() => window.__renderSeen), /^Rendering the noised picture at t = 300 \(Griffin–Lim, 32 iterations\)…$/);
      assert.ok(await page.isHidden("#render"));
      await page.click("#stop");
    });

    test("techno from noise with the archive denoiser: memorised, recognised, credited, playable per step", async () => {
      await open("clip=drums-breakbeat&t=0");
      await page.selectOption("#tag", "techno");
      await page.selectOption("#denoiser", "archive");
      await openSettings(page);
      await page.fill("#steps", "10");
      await page.fill("#seed", "3");
      assert.equal(await generateAndWait(), "done");
      const first = await page.getAttribute("#provenance li:first-child", "data-id");
      assert.match(first, /^techno-/);
      assert.match(await page.textContent("#provenance li:first-child"), /100\.0%/);
      assert.equal(await page.textContent("#recogniser li.chosen .name"), "techno");
      // A techno clip carries two of the scene's tags (techno, drums): each gets half.
      assert.equal(await page.textContent("#recogniser li.chosen .p"), "0.500");
      // Six tags and the other bar (clips with none of the six): they sum to 1.
      const ps = await page.$$eval("#recogniser .p", (os) => os.map((o) => Number(o.textContent)));
      assert.equal(ps.length, 7);
      assert.ok(Math.abs(ps.reduce((a, b) => a + b, 0) - 1) < 0.01, ps.join(", "));
      assert.match(await page.textContent("#recogniser li.other .name"), /^other: .*ragtime/);
      assert.match(await page.textContent("#progress-text"), /^Finished: 10 steps/);
      assert.ok(await spectrogramSpread("gen-spec") > 300);
      const last = await page.evaluate(() => Array.from(document.getElementById("gen-spec").getContext("2d").getImageData(52, 8, 512, 512).data.slice(0, 4000)));
      await page.focus("#scrub");
      await page.keyboard.press("Home");
      assert.equal(await page.textContent("#step-out"), "step 1 of 10");
      const early = await page.evaluate(() => Array.from(document.getElementById("gen-spec").getContext("2d").getImageData(52, 8, 512, 512).data.slice(0, 4000)));
      assert.notDeepEqual(early, last, "step 1's guess is not the result");
      await page.check("#loop");
      await page.click("#play-step");
      await page.waitForSelector("html[data-playing=step-1]", { timeout: 120_000 });
      assert.equal((await page.evaluate(() => window.__sound.lastPlayed)).length, WINDOW);
      await page.click("#stop-gen");
      await page.uncheck("#loop");
      await page.click("#play-result");
      await page.waitForSelector("html[data-playing=result]");
      assert.match(await page.textContent("#sound-state"), /^Playing the generated track: −?\d+\.\d dBFS RMS, peaks at −?\d+\.\d dBFS, at the volume control's \d+%\.$/);
      await page.click("#stop-gen");
      // The status line follows the state it names.
      assert.equal(await page.textContent("#sound-state"), "Stopped the generated track; nothing plays now.");
      await shot("generated-techno");

      // Changing the controls after the run changes nothing about it: the
      // step shown, its words and the download follow the run's own settings.
      await page.selectOption("#denoiser", "gaussian");
      await openSettings(page);
      await page.fill("#seed", "99");
      await page.selectOption("#tag", "jazz");
      await page.focus("#scrub");
      await page.keyboard.press("Home");
      assert.match(await page.textContent("#provenance-intro"), /weighted mix of whole archive clips/);
      assert.equal(await page.textContent("#recogniser li.chosen .name"), "techno");
      const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
      assert.match(download.suggestedFilename(), /^hypothetical-techno-archive-seed3\.wav$/);
      const wav = readWav(readFileSync(await download.path()));
      assert.deepEqual(wav.fmt, { format: 1, channels: 1, rate: 22050, bits: 16 });
      assert.equal(wav.samples, WINDOW);
      assert.equal(wav.info.INAM, "A hypothetical techno clip");
      assert.match(wav.info.ICMT, new RegExp(`${first} \\(1\\.000\\)`));
      assert.match(wav.info.ICMT, /denoiser archive, tag techno, 10 ddim steps/);
      assert.match(wav.info.ICMT, /Hypothetical project|FluidSynth/);
    });

    test("the Gaussian denoiser gives a drums texture made from every drums clip alike", async () => {
      await open("clip=drums-breakbeat&t=0&tag=drums&denoiser=gaussian&steps=10&seed=99");
      assert.equal(await generateAndWait(), "done");
      const ids = await page.$$eval("#provenance li", (l) => l.map((x) => x.dataset.id));
      const drums = await page.evaluate(() => window.__sound.items.filter((i) => i.tags.includes("drums")).map((i) => i.id));
      assert.equal(ids.length, drums.length, "every drums clip is named");
      for (const id of ids) assert.ok(drums.includes(id), `${id} is a drums clip`);
      assert.match(await page.textContent("#provenance-intro"), /every clip of the tag alike/);
      await shot("generated-drums-gaussian");
    });

    // 12 s on the CPU path; 4 s on WebGPU, whose first step runs on SwiftShader
    // (a CPU emulation: a 12 s step there takes minutes) before the timing
    // hands the track to the CPU. The track kernel on WebGPU is the two-tag test's.
    const seconds = config.backend === "cpu" ? 12 : 4;
    test(`a ${seconds} s track of recorded soundtracks fetches its chosen excerpts, credits their composers and is read as orchestral`, async () => {
      await open(`clip=techno-128-acid&t=0&denoiser=patch&tag=orchestral&seconds=${seconds}&steps=10&seed=3`);
      const chosen = await page.evaluate((seconds) => window.__sound.scene.trackClips({ tag: "orchestral", seconds, steps: 10, seed: 3, method: "ddim" }), seconds);
      assert.equal(chosen.length, 24, "24 of the orchestral excerpts");
      // Timed on both paths: a software adapter far slower than the CPU hands the track over at once.
      await page.evaluate(() => { window.__sound.scene.calibrate = true; });
      await page.evaluate(() => { delete document.documentElement.dataset.generated; });
      await page.click("#generate");
      await page.waitForSelector("html[data-generated]", { state: "attached", timeout: 300_000 });
      assert.equal(await page.getAttribute("html", "data-generated"), "done");
      // The finished track is read by each tag's own clips (the reader fetches the few it compares with).
      await page.waitForSelector("html[data-read=done]", { state: "attached", timeout: 300_000 });
      const read = await page.$$eval("#reading li", (l) => l.map((x) => [x.dataset.tag, Number(x.querySelector("output").textContent)]));
      console.log(`track reading: ${JSON.stringify(read)}`);
      assert.equal(read[0][0], "orchestral", `the reader hears orchestral first: ${JSON.stringify(read)}`);
      assert.match(await page.textContent("#reading-sentence"), /“orchestral” comes first\. Tags that share their clips/);
      const clips = await page.evaluate(() => window.__sound.scene.clips);
      assert.ok(clips >= 34 + 24 && clips <= 34 + 24 + 16, `only the chosen excerpts were fetched, and for the reader at most 8 of each soundtrack tag (${clips})`);
      const ids = await page.$$eval("#provenance li", (l) => l.map((x) => x.dataset.id));
      assert.ok(ids.length >= 3 && ids.every((id) => chosen.includes(id)), `from the chosen recordings: ${ids}`);
      const manifest = await page.evaluate(async () => (await (await fetch("archive/manifest.json")).json()).items);
      const creators = new Set(ids.map((id) => manifest.find((i) => i.id === id).creator));
      assert.ok(creators.size >= 2, `several composers: ${[...creators]}`);
      const words = await page.textContent("#provenance");
      for (const c of creators) assert.ok(words.includes(c), `${c} is credited`);
      assert.match(await page.textContent("#provenance-intro"), /It drew on 24 of the \d+ recordings tagged “orchestral”: for each tag the seed picked one recording, and the 23 whose long-term spectra are nearest to it joined it \(at most 2 cut from one piece\)/);
      await shot("orchestral-track");
    });

    test("a two-tag track from the patch machine finishes with where each moment came from, plays and downloads", async () => {
      await open("clip=techno-128-acid&t=0");
      assert.equal(await page.inputValue("#denoiser"), "patch", "inventing is the default");
      assert.ok(await page.isVisible("#seconds"));
      assert.ok(!(await page.isVisible("#guidance")), "a blend replaces guidance");
      await page.selectOption("#tag", "techno");
      assert.ok(!(await page.isVisible("#mix")), "no second tag, no share of it");
      await page.selectOption("#tag2", "chorale");
      assert.ok(await page.isVisible("#mix"));
      await page.fill("#seconds", "6");
      await openSettings(page);
      await page.fill("#steps", "10");
      await page.fill("#seed", "5");
      // The address forces the backend, which turns the timing off: on here, to time Griffin–Lim before the long render.
      await page.evaluate(() => { window.__sound.scene.calibrate = true; });
      await page.evaluate(() => { delete document.documentElement.dataset.generated; });
      await page.click("#generate");
      // No guess before a step is measured; the time left is said, as an estimate, once the first step is done.
      await page.waitForFunction(() => /about \d+ s left, estimated from \d+ steps? on this device/.test(document.getElementById("progress-text").textContent), null, { timeout: 120_000 });
      await page.waitForSelector("html[data-generated]", { state: "attached", timeout: 300_000 });
      assert.equal(await page.getAttribute("html", "data-generated"), "done");
      assert.match(await page.textContent("#progress-text"), /^Finished: 10 steps/);
      const ids = await page.$$eval("#provenance li", (l) => l.map((x) => x.dataset.id));
      assert.ok(ids.some((id) => id.startsWith("techno-")) && ids.some((id) => id.startsWith("chorale-")), `both tags: ${ids}`);
      assert.ok(await page.$$eval("#provenance li", (l) => l.every((x) => x.style.getPropertyValue("--swatch").startsWith("#"))));
      assert.match(await page.getAttribute("#gen-strip", "aria-label"), /^Where each second came from: 0 s /);
      assert.ok(await spectrogramSpread("gen-spec") > 300);
      if (config.backend === "cpu") {
        // Griffin–Lim ran in the worker, which reported each of its 64 iterations.
        assert.equal(await page.getAttribute("#render-progress", "max"), "64");
        // The steps were split over Web Workers (one per core) and merged.
        assert.match(await page.textContent("#perf"), /10 steps in [\d.]+ s, [\d.]+ ms per step on the CPU; the CPU steps shared by \d Web Workers?; estimated after step 1: about \d+ s\.$/);
      } else {
        assert.match(await page.textContent("#paths"), /one Griffin–Lim iteration on spectrograms at 512 px took [\d.]+ ms on WebGPU and [\d.]+ ms on the CPU/);
        // The machine's WGSL twin ran the first step or two and was timed against the CPU.
        assert.match(await page.textContent("#paths"), /one step of the track patch machine at 517 px took [\d.]+ ms on WebGPU and [\d.]+ ms on the CPU/);
        assert.match(await page.textContent("#perf"), /(\([12] on WebGPU, [89] on the CPU\)|on WebGPU)(; the CPU steps shared by \d Web Workers?)?(; estimated after step [23]: about \d+ s)?\.$/);
      }
      // The strip has the clips' colours, not one flat fill.
      const colours = await page.evaluate(() => {
        const d = document.getElementById("gen-strip").getContext("2d").getImageData(52, 4, 512, 64).data;
        const seen = new Set();
        for (let i = 0; i < d.length; i += 4) seen.add(`${d[i] >> 4},${d[i + 1] >> 4},${d[i + 2] >> 4}`);
        return seen.size;
      });
      assert.ok(colours > 3, `${colours} colours in the strip`);
      await page.click("#play-result");
      await page.waitForSelector("html[data-playing=result]");
      assert.match(await page.textContent("#sound-state"), /^Playing the generated track: −?\d+\.\d dBFS RMS, peaks at −?\d+\.\d dBFS, at the volume control's \d+%\.$/);
      const played = await page.evaluate(() => window.__sound.lastPlayed);
      assert.equal(played.length, Math.round(6 * 22050 / 256) * 256);
      assert.ok(played.rms > 0.05 && played.peak <= 0.95, JSON.stringify(played));
      await page.click("#stop-gen");
      await shot("generated-track-blend");
      const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
      assert.match(download.suggestedFilename(), /^hypothetical-techno-chorale-patch-6s-seed5\.wav$/);
      const wav = readWav(readFileSync(await download.path()));
      assert.equal(wav.samples, played.length);
      assert.equal(wav.info.INAM, "A hypothetical techno 0.60 + chorale 0.40 track");
      assert.match(wav.info.ICMT, /track patch machine, techno 0\.60 \+ chorale 0\.40, 6\.0 s, 10 steps, ddim, rigidity 1\.00, seed 5/);
      assert.match(wav.info.ICMT, /Timeline \(clip leading each second\): 0s (techno|chorale)-/);
      // Bad options get words, and the finished track stays.
      await page.fill("#seconds", "500");
      await page.click("#generate");
      await page.waitForFunction(() => document.getElementById("message").textContent !== "");
      assert.match(await page.textContent("#message"), /length must be between 2 and 60 s/);
      assert.equal(await page.isDisabled("#download"), false);
    });

    test("bad files get clear words and the scene keeps its sound; short and long files are fitted", async () => {
      await open("clip=drums-breakbeat&t=0");
      const label = await page.textContent("#source-info");
      let r = await upload("notes.txt", "text/plain", Buffer.from("these are not samples"));
      assert.match(r.message, /“notes\.txt” could not be decoded as sound by this browser; keeping the current sound\./);
      assert.equal(r.info, label);
      r = await upload("empty.wav", "audio/wav", Buffer.alloc(0));
      assert.match(r.message, /“empty\.wav” is empty/);
      assert.equal(r.info, label);
      r = await upload("silence.wav", "audio/wav", toneWav(3, { amplitude: 0 }));
      assert.match(r.message, /“silence\.wav” is silent \(no sample above −80 dBFS\): there is nothing to dissolve; keeping the current sound\./);
      assert.equal(r.info, label);
      // A FLAC header that says two hours is refused before anything is decoded.
      r = await upload("two-hours.flac", "audio/flac", readFileSync("tests/corpus/files/two-hours-stated.flac"));
      assert.match(r.message, /“two-hours\.flac” is 2:00:00 long; sounds up to an hour are read \(their first 10 minutes used\)\. Keeping the current sound\./);
      assert.equal(r.info, label);
      // A mono 1 Hz WAV of 1,000 samples states 17 minutes but is 2 kB: not “too long”, just not decodable here.
      const hz = Buffer.alloc(44 + 2000);
      hz.write("RIFF", 0); hz.writeUInt32LE(36 + 2000, 4); hz.write("WAVEfmt ", 8); hz.writeUInt32LE(16, 16);
      hz.writeUInt16LE(1, 20); hz.writeUInt16LE(1, 22); hz.writeUInt32LE(1, 24); hz.writeUInt32LE(2, 28); hz.writeUInt16LE(2, 32); hz.writeUInt16LE(16, 34);
      hz.write("data", 36); hz.writeUInt32LE(2000, 40);
      r = await upload("one-hertz.wav", "audio/wav", hz);
      assert.doesNotMatch(r.message, /too long/);
      if (r.info === label) assert.match(r.message, /“one-hertz\.wav”/);
      // A WAV header that claims three hours over one second of samples is read as the second that is there.
      const was = r.info;
      r = await upload("claims-hours.wav", "audio/wav", toneWav(1, { statedSeconds: 3 * 3600 }));
      assert.doesNotMatch(r.message, /3:00:00/);
      if (r.info !== was) assert.match(r.info, /^claims-hours\.wav: 1\.0 s/);
      r = await upload("short.wav", "audio/wav", toneWav(1));
      assert.match(r.info, /short\.wav: 1\.0 s; shorter than the 5\.9 s window, so it was padded with 4\.9 s of silence\./);
      assert.ok(await page.isHidden("#start-row"));
      r = await upload("long.wav", "audio/wav", toneWav(10));
      assert.match(r.info, /long\.wav: 10\.0 s; the window starts at 0\.0 s\./);
      assert.ok(await page.isVisible("#start-row"));
      await page.evaluate(() => {
        const el = document.getElementById("start");
        el.value = 2;
        el.dispatchEvent(new Event("input", { bubbles: true }));
      });
      assert.match(await page.textContent("#source-info"), /the window starts at 2\.0 s/);
      // The 440 Hz tone (bin 20) is the loudest band of its spectrum.
      const loudest = await page.evaluate(() => {
        const s = window.__sound.scene.spectrum(0).music;
        let best = 1;
        for (let b = 1; b < s.length; b++) if (s[b] > s[best]) best = b;
        return best;
      });
      assert.ok(Math.abs(loudest - 20.4) <= 1, `loudest bin ${loudest}`);
      await shot("long-file");
      await page.selectOption("#clip", "chorale-bwv66-6-choir");
      assert.ok(await page.isHidden("#start-row"));
      assert.match(await page.textContent("#source-info"), /^Chorale BWV 66\.6/);
    });

    test("sound comes back after the system suspends or closes the audio context", async () => {
      await open("clip=drums-breakbeat&t=100");
      await page.click("#play-mix");
      await page.waitForSelector("html[data-playing=mix]");
      // Suspended from outside (another app took the device): the next play resumes it.
      await page.evaluate(() => window.__sound.audio().suspend());
      await page.click("#play-mix");
      await page.click("#play-mix");
      await page.waitForSelector("html[data-playing=mix]");
      assert.equal(await page.evaluate(() => window.__sound.audio().state), "running");
      // Closed (the audio service went away): the next play makes a new context.
      const first = await page.evaluate(() => { window.__firstAudio = window.__sound.audio(); return window.__firstAudio.close().then(() => window.__firstAudio.state); });
      assert.equal(first, "closed");
      await page.click("#play-mix");
      await page.waitForFunction(() => window.__sound.audio() !== window.__firstAudio && window.__sound.audio().state === "running" && document.documentElement.dataset.playing === "mix", null, { timeout: 30_000 });
      await page.click("#stop");
    });

    test("the microphone: a refusal gets clear words; a recording becomes the sound", async () => {
      await open("clip=drums-breakbeat&t=0");
      await page.evaluate(() => {
        window.__realGetUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
        navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException("Permission denied", "NotAllowedError"));
      });
      await page.click("#mic");
      await page.waitForFunction(() => document.getElementById("message").textContent.includes("microphone"));
      assert.match(await page.textContent("#message"), /The microphone was not allowed, so nothing was recorded/);
      await page.evaluate(() => { navigator.mediaDevices.getUserMedia = window.__realGetUserMedia; });
      await page.click("#mic");
      await page.waitForFunction(() => document.getElementById("source-info").textContent.startsWith("your recording"), null, { timeout: 30_000 });
      assert.match(await page.textContent("#source-info"), /padded with/);
    });

    test("an unknown clip or tag in the address gets a note and sensible defaults", async () => {
      await open("clip=no-such-clip&tag=polka");
      assert.match(await page.textContent("#message"), /There is no tag “polka” here/);
      assert.equal(await page.inputValue("#clip"), "techno-128-acid");
      await open("clip=no-such-clip");
      assert.match(await page.textContent("#message"), /There is no archive clip “no-such-clip”; playing “techno-128-acid”\./);
    });

    test("the address rules are shared: t=300.7 is 301, steps=1e309 is ignored, a file then a clip keeps the clip", async () => {
      await open("clip=techno-128-acid&t=300.7&steps=1e309&seed=1e3");
      assert.equal(await page.inputValue("#t"), "301");
      assert.equal(await page.inputValue("#seed"), "1000");
      const msg = await page.textContent("#message");
      assert.match(msg, /t=300\.7.*301/);
      assert.match(msg, /steps=1e309.*not a finite number/);
      // A slow file, then a clip chosen before it has decoded: the clip wins.
      await page.setInputFiles("#file", { name: "slow.wav", mimeType: "audio/wav", buffer: toneWav(120) });
      await page.selectOption("#clip", "drums-breakbeat");
      // Two minutes of 44.1 kHz stereo take the browser a few seconds to decode and resample.
      await page.waitForTimeout(8000);
      assert.equal(await page.inputValue("#clip"), "drums-breakbeat");
      assert.match(await page.textContent("#source-info"), /^Breakbeat/);
    });

    test("follows its address when only the hash changes, and when Back is pressed", async () => {
      await open("clip=drums-breakbeat&t=200&tag=drums");
      await page.waitForFunction(() => document.getElementById("spec").dataset.t === "200");
      await page.evaluate(() => { location.hash = "#clip=chorale-bwv66-6-choir&t=640&seed=9"; });
      await page.waitForFunction(() => document.getElementById("spec").dataset.t === "640");
      assert.equal(await page.inputValue("#clip"), "chorale-bwv66-6-choir");
      assert.equal(await page.inputValue("#seed"), "9");
      assert.equal(await page.inputValue("#tag"), "techno", "a field left out takes its default, as on opening");
      await page.goBack();
      await page.waitForFunction(() => document.getElementById("spec").dataset.t === "200");
      assert.equal(await page.inputValue("#clip"), "drums-breakbeat");
      assert.equal(await page.inputValue("#tag"), "drums");
      assert.match(await page.textContent("#source-info"), /^Breakbeat/);
    });

    test("the temperature is disabled under DDIM, which injects no noise", async () => {
      await open("clip=drums-breakbeat&t=0");
      await openSettings(page);
      await page.selectOption("#method", "ddim");
      assert.ok(await page.isDisabled("#temperature"));
      await openSettings(page);
      await page.selectOption("#method", "ddpm");
      assert.ok(!(await page.isDisabled("#temperature")));
      await openSettings(page);
      await page.selectOption("#method", "ddim");
    });

    if (config.backend === "gpu") {
      test("a GPU device lost in the middle of a run: the track is finished on the CPU", async () => {
        await open("clip=techno-128-acid&tag=techno&denoiser=archive&steps=10&seed=2&seconds=6");
        await page.evaluate(() => { delete document.documentElement.dataset.generated; });
        await page.click("#generate");
        await page.waitForFunction(() => Number(document.getElementById("progress").value) >= 2, null, { timeout: 120_000 });
        await page.evaluate(() => window.__sound.scene.loseDevice());
        await page.waitForSelector("html[data-generated]", { state: "attached", timeout: 300_000 });
        assert.equal(await page.getAttribute("html", "data-generated"), "done", await page.textContent("#message"));
        assert.equal(await page.getAttribute("#backend", "data-kind"), "cpu");
      });

      test("after the GPU device is lost the header says the CPU", async () => {
        await open("clip=techno-128-acid&tag=techno&denoiser=archive&steps=10&seed=2");
        assert.equal(await page.getAttribute("#backend", "data-kind"), "gpu");
        await page.evaluate(() => window.__sound.scene.loseDevice());
        assert.equal(await generateAndWait(), "done");
        assert.equal(await page.getAttribute("#backend", "data-kind"), "cpu");
        assert.match(await page.textContent("#perf"), /on the CPU\.$/);
      });

      test("timed on both paths, the archive kernel moves to the faster CPU and the page says why", async () => {
        await open("clip=techno-128-acid&tag=techno&denoiser=archive&steps=10&seed=2");
        await page.evaluate(() => { window.__sound.scene.calibrate = true; });
        assert.equal(await generateAndWait(), "done");
        assert.match(await page.textContent("#paths"), /archive denoiser on spectrograms at 512 px took [\d.]+ ms on WebGPU and [\d.]+ ms on the CPU, so it runs on the CPU/);
        assert.match(await page.textContent("#perf"), /2 on WebGPU, 8 on the CPU/);
      });
    }

    test("timing: steps and Griffin–Lim per backend", { skip: !process.env.HYPOTHETICAL_BENCH }, async () => {
      await open("clip=techno-128-acid&t=0");
      const r = await page.evaluate(async () => {
        const s = window.__sound.scene;
        const out = {};
        for (const iters of [8, 32]) {
          const t0 = performance.now();
          s.start({ denoiser: "archive", tag: "techno", steps: 10, guidance: 1, temperature: 1, seed: 1, method: "ddim" });
          while (!(await s.step()).done) { /* steps */ }
          const t1 = performance.now();
          await s.render(0, iters);
          out[iters] = { stepMs: (t1 - t0) / 10, renderMs: performance.now() - t1 };
        }
        return out;
      });
      const perIter = (r[32].renderMs - r[8].renderMs) / 24;
      console.log(`[timing] ${config.name} sound: ${r[32].stepMs.toFixed(1)} ms per archive step on 512 × 512 spectrograms; Griffin–Lim ${perIter.toFixed(1)} ms per iteration (32 iterations ${r[32].renderMs.toFixed(0)} ms, 8: ${r[8].renderMs.toFixed(0)} ms)`);
      assert.ok(perIter > 0);
      // The issue's target: a 12 s track in 20 steps as the page makes it
      // (on WebGPU the WGSL twin takes steps 1–2 and is timed against the
      // CPU, which keeps the rest if faster), and its render.
      const track = await page.evaluate(async () => {
        const s = window.__sound.scene;
        s.calibrate = true;
        const out = {};
        for (const [name, o] of [["techno", { tag: "techno" }], ["techno+chorale", { tag: "techno", tag2: "chorale", mix: 0.4 }]]) {
          const t0 = performance.now();
          const info = s.startTrack({ ...o, seconds: 12, steps: 20, seed: 7, method: "ddim" });
          while (!(await s.stepTrack(1e9)).done) { /* steps */ }
          const t1 = performance.now();
          await s.renderTrack(0, 64);
          out[name] = { steps: (t1 - t0) / 1000, render: (performance.now() - t1) / 1000, pairs: info.pairs };
        }
        return out;
      });
      for (const [name, r] of Object.entries(track)) {
        console.log(`[timing] ${config.name} sound: a 12 s ${name} track in 20 steps on the main thread took ${r.steps.toFixed(1)} s (${(r.steps * 1e9 / r.pairs).toFixed(0)} ns per (frame, candidate frame) pair, ${r.pairs.toExponential(2)} pairs), Griffin–Lim 64 iterations ${r.render.toFixed(1)} s`);
      }
      // The page's own run: the GPU timed at step 2 (WebGPU), the CPU steps shared by the workers.
      await open("clip=techno-128-acid&t=0&denoiser=patch&tag=techno&tag2=chorale&mix=0.4&seconds=12&steps=20&seed=7");
      await page.evaluate(() => { window.__sound.scene.calibrate = true; });
      const t0 = Date.now();
      assert.equal(await generateAndWait(), "done");
      console.log(`[timing] ${config.name} sound: the page's 12 s techno + chorale track, Generate to playable: ${((Date.now() - t0) / 1000).toFixed(1)} s; ${await page.textContent("#perf")}`);
    });

    test("no console errors", () => {
      assert.deepEqual(problems, []);
    });
  });
}
