// The sampler's controls, the same on every generating page: their limits
// come from the core (samplerLimits() in the wasm, diffusion::sampler::Limits
// in Rust), so the page and the sampler agree.

/** Sets min/max on the steps, guidance, temperature and seed inputs of `ui`. */
export function applyLimits(ui, limits) {
  const set = (el, min, max) => { if (el) { el.min = String(min); el.max = String(max); } };
  set(ui.steps, limits.minSteps, limits.maxSteps);
  set(ui.guidance, 0, limits.maxGuidance);
  set(ui.temperature, 0, limits.maxTemperature);
  set(ui.seed, 0, limits.maxSeed);
}

/** A sentence for the first setting outside the limits, or "" when all fit. */
export function checkSettings(s, limits) {
  if (!Number.isInteger(s.steps) || s.steps < limits.minSteps || s.steps > limits.maxSteps) {
    return `Steps must be a whole number from ${limits.minSteps} to ${limits.maxSteps}.`;
  }
  if (!Number.isInteger(s.seed) || s.seed < 0 || s.seed > limits.maxSeed) {
    return `The seed must be a whole number from 0 to ${limits.maxSeed}.`;
  }
  return "";
}

/** The sampler's settings as the controls in `ui` show them (the page adds its own). */
export function samplerSettings(ui) {
  return {
    denoiser: ui.denoiser.value,
    tag: ui.tag.value,
    steps: Number(ui.steps.value),
    guidance: Number(ui.guidance.value),
    temperature: Number(ui.temperature.value),
    seed: Number(ui.seed.value),
    method: ui.method.value,
  };
}
