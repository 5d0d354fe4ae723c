// A link reproduces what it shows: on each path, the same address opened in
// two fresh tabs gives the same pixels (a 2D canvas's own pixels; a WebGPU
// canvas, which has no 2D context, as a screenshot): Dissolve's frame, a
// generation's result, Sounds Like Music's noised spectrogram and its
// generated track's spectrogram, and the moment of Swim that a link names.
// A different address gives different pixels (the comparison can fail).
import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { CONFIGS, useBrowser } from "./harness.mjs";

for (const config of CONFIGS) {
  describe(`Links reproduce their frame (${config.name})`, () => {
    const session = useBrowser({ args: config.args, viewport: { width: 1366, height: 900 } });
    after(() => assert.deepEqual(session.problems, []));

    /** Opens `path` in a fresh tab, waits for the page, runs `act`, and returns screenshots of `canvases`. */
    async function shoot(path, canvases, act = async () => {}) {
      const page = await session.fresh();
      const [file, hash = ""] = path.split("#");
      await page.goto(`${session.origin}/${file}${config.query}#${hash}`);
      await page.waitForSelector("html[data-ready=true]", { timeout: 120_000 });
      await act(page);
      const shots = [];
      for (const c of canvases) {
        // A screenshot of a scaled canvas depends on where the layout put it, which the page's text moves.
        const own = await page.evaluate((sel) => {
          const canvas = document.querySelector(sel);
          const g = canvas.getContext("2d");
          return g && Array.from(g.getImageData(0, 0, canvas.width, canvas.height).data).join();
        }, c);
        shots.push(own !== null ? Buffer.from(own) : await page.locator(c).screenshot());
      }
      return shots;
    }
    const same = (a, b, what) => a.forEach((shot, i) => assert.ok(shot.equals(b[i]), `${what}: canvas ${i} differs`));

    test("Dissolve: the zone plate at t = 600, seed 7", async () => {
      const settle = (page) => page.waitForFunction(() => document.getElementById("view").dataset.rendered === "zone-plate|600|cosine|7");
      const a = await shoot("dissolve.html#image=zone-plate&t=600&schedule=cosine&seed=7", ["#view"], settle);
      const b = await shoot("dissolve.html#image=zone-plate&t=600&schedule=cosine&seed=7", ["#view"], settle);
      same(a, b, "Dissolve");
      const other = await shoot("dissolve.html#image=zone-plate&t=600&schedule=cosine&seed=8", ["#view"],
        (page) => page.waitForFunction(() => document.getElementById("view").dataset.rendered === "zone-plate|600|cosine|8"));
      assert.ok(!a[0].equals(other[0]), "another seed gives another frame");
    });

    // The patch denoiser on the CPU path (its steps shared by Web Workers, merged in a fixed order); on
    // SwiftShader a patch step takes about 9 s, so the WebGPU path checks the archive denoiser's kernels.
    const denoiser = config.backend === "cpu" ? "patch" : "archive";
    test(`Recognize: a flower, 10 steps, seed 7, the ${denoiser} denoiser, then Generate`, async () => {
      const run = async (page) => {
        await page.click("#generate");
        await page.waitForSelector("html[data-generated]", { state: "attached", timeout: 300_000 });
        // A run that failed, or whose workers failed and left the step to the page, is not the same run.
        const end = await page.evaluate(() => [document.documentElement.dataset.generated, document.getElementById("perf").textContent]);
        assert.equal(end[0], "done", end[1]);
        assert.doesNotMatch(end[1], /failed/, "the workers ran every step");
      };
      const link = `generate.html#scene=recognize&tag=flower&denoiser=${denoiser}&steps=10&size=32&seed=7`;
      const a = await shoot(link, ["#xt", "#x0"], run);
      const b = await shoot(link, ["#xt", "#x0"], run);
      same(a, b, "Recognize");
    });

    // A generated track on the CPU path; on SwiftShader a 10-step track takes over a minute, so the WebGPU
    // path compares the noised spectrogram its kernels draw.
    const track = config.backend === "cpu";
    test(`Sounds Like Music: the techno clip at t = 300${track ? ", and a generated track of seed 3" : ""}`, async () => {
      const link = "sound.html#clip=techno-128-acid&t=300&tag=techno&denoiser=archive&seconds=6&steps=10&seed=3";
      const canvases = track ? ["#spec", "#gen-spec"] : ["#spec"];
      const run = async (page) => {
        await page.waitForFunction(() => document.getElementById("spec").dataset.t === "300");
        if (!track) return;
        await page.click("#generate");
        await page.waitForSelector("html[data-generated]", { state: "attached", timeout: 300_000 });
      };
      const a = await shoot(link, canvases, run);
      const b = await shoot(link, canvases, run);
      same(a, b, "Sounds Like Music");
    });

    // Swim's pictures are computed on the CPU on both paths: once is enough.
    test("Swim: half a minute into a one-minute piece on the zone plate", { skip: config.backend === "gpu" && "Swim computes on the CPU on both paths" }, async () => {
      const link = "swim.html#picture=zone-plate&minutes=1&at=30";
      // Half way the static blends the third and fourth background pictures, made before the page is
      // ready; the patch machine's two, made while it is open, come in after 80 % (Swim::expecting).
      const settle = (page) => page.waitForFunction(() => /^0:30 of 1:00/.test(document.getElementById("clock").textContent));
      const a = await shoot(link, ["#view"], settle);
      const b = await shoot(link, ["#view"], settle);
      same(a, b, "Swim");
      const start = await shoot("swim.html#picture=zone-plate&minutes=1", ["#view"]);
      assert.ok(!a[0].equals(start[0]), "another moment gives another frame");
    });
  });
}
