//! What a run has made: its steps' pictures, readings, sources and credits.

use super::*;

impl Run {
    /// After a cascade's handover: the smallest share of the posterior (of
    /// the sides of the guidance formula that count) the kept items held.
    pub fn kept_mass(&self) -> Option<f32> {
        self.kept_mass
    }

    /// Whether a cascade is still composing at its coarse edge.
    pub fn composing(&self) -> bool {
        self.coarse.is_some()
    }

    pub fn sampler(&self) -> &Sampler {
        &self.sampler
    }

    pub fn set(&self) -> &Dataset {
        &self.set
    }

    pub fn denoiser(&self) -> &CpuDenoiser {
        &self.cpu
    }

    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The edge of the pictures the run holds now (a cascade's coarse edge
    /// until it hands over; every recorded step has this edge).
    pub fn edge(&self) -> u32 {
        self.sampler.config().edge
    }

    /// The run's settings in one line (the backend as it is now).
    pub fn settings(&self) -> String {
        self.settings.describe()
    }

    /// Whether the GPU still answers this run.
    pub fn on_gpu(&self) -> bool {
        self.gpu.is_some()
    }

    /// Step k's record, k counted from 1 as the page shows it.
    pub fn record(&self, k: usize) -> Result<&StepRecord, RunError> {
        self.sampler
            .records()
            .get(k.wrapping_sub(1))
            .ok_or(RunError::NoStep(k))
    }

    /// RGB runs: step k's x_t ("xt") or guided x̂0 ("x0") as RGBA8, or the
    /// current sample ("result", the result once finished).
    pub fn rgba(&self, k: usize, which: &str) -> Result<Vec<u8>, RunError> {
        if which == "result" {
            let x = self.sampler.x_t();
            let mut out = vec![0u8; x.len() / CHANNELS * 4];
            write_rgba8(x, x.len() / CHANNELS, &mut out);
            return Ok(out);
        }
        let (x_t, x0) = self.record(k)?.rgba().ok_or(RunError::NoPicture)?;
        Ok(match which {
            "xt" => x_t,
            _ => x0,
        }
        .to_vec())
    }

    /// One-channel runs: step k's guided x̂0 as values; k = 0 or past the
    /// last step: the current sample clamped to [−1, 1] (the result once finished).
    pub fn values(&self, k: usize) -> Result<Vec<f32>, RunError> {
        let records = self.sampler.records();
        if k == 0 || k > records.len() {
            return Ok(self
                .sampler
                .x_t()
                .iter()
                .map(|v| v.clamp(-1.0, 1.0))
                .collect());
        }
        records[k - 1]
            .x0_values()
            .map(<[f32]>::to_vec)
            .ok_or(RunError::NoPicture)
    }

    /// The recogniser at step k: the `limit` most probable tags. On pictures each bar is the probability that the caption applies ([`archive_denoiser::applies_bars`]); on spectrograms (a `vocabulary`) the bars share the mass and sum to 1 (within
    /// `vocabulary` where the scene names its tags).
    pub fn recogniser(
        &self,
        k: usize,
        limit: usize,
        vocabulary: Option<&[&str]>,
    ) -> Result<Vec<TagBar>, RunError> {
        let r = self.record(k)?;
        let set = self.set_of(k);
        if set.channels() == CHANNELS && vocabulary.is_none() {
            return Ok(archive_denoiser::applies_bars(set, &r.posterior, limit));
        }
        Ok(archive_denoiser::recogniser_bars(
            set,
            &r.posterior,
            limit,
            vocabulary,
        ))
    }

    /// p(tag | x_t) at every recorded step.
    pub fn tag_history(&self, tag: &str) -> Vec<f32> {
        self.sampler
            .records()
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let set = self.set_of(i + 1);
                if set.channels() == CHANNELS {
                    archive_denoiser::applies(set, &r.posterior, tag)
                } else {
                    archive_denoiser::tag_probability(set, &r.posterior, tag)
                }
            })
            .collect()
    }

    /// The recogniser before any picture is seen: the `limit` tags with the
    /// largest prior (each its share of the archive), p = prior.
    pub fn prior_bars(&self, limit: usize) -> Vec<TagBar> {
        let set = self.archive();
        let uniform = vec![1.0 / set.len().max(1) as f32; set.len()];
        if set.channels() == CHANNELS {
            return archive_denoiser::applies_bars(set, &uniform, limit);
        }
        archive_denoiser::recogniser_bars(set, &uniform, limit, None)
    }

    /// The recogniser's value for `tag` before any picture is seen.
    pub fn tag_prior(&self, tag: &str) -> f32 {
        let set = self.archive();
        if set.channels() == CHANNELS {
            return archive_denoiser::applies_prior(set, tag);
        }
        archive_denoiser::tag_prior(set, tag, None)
    }

    /// The items step k's x̂0 came from (k past the end: the last step).
    pub fn provenance(&self, k: usize, limit: usize) -> Result<Vec<Source>, RunError> {
        let n = self.sampler.records().len();
        let k = k.clamp(1, n.max(1));
        let r = self.record(k)?;
        let set = self.set_of(k);
        let mask = self.tag.as_deref().map(|t| set.tag_mask(t));
        Ok(provenance(
            set,
            self.cpu.kind(),
            mask.as_deref(),
            self.sampler.config().guidance,
            r,
            limit,
        ))
    }

    /// The same with each item's title and credit line from the manifest.
    pub fn credits(&self, items: &[Item], k: usize, limit: usize) -> Result<Vec<Credit>, RunError> {
        Ok(self
            .provenance(k, limit)?
            .into_iter()
            .map(|src| {
                let item = items.iter().find(|i| i.id == src.id);
                Credit {
                    title: item.map_or_else(|| src.id.clone(), |i| i.title.clone()),
                    credit: item.map(credit_line).unwrap_or_default(),
                    id: src.id,
                    weight: src.weight,
                }
            })
            .collect())
    }

    /// Patch denoiser: step k's source map as RGBA8 (None for the others).
    pub fn source_map(&self, k: usize) -> Result<Option<Vec<u8>>, RunError> {
        Ok(source_map_rgba(self.record(k)?))
    }

    /// The result (or the last x̂0 of an unfinished run) as a PNG scaled by
    /// `scale` (1–16), with the settings and provenance in its text chunks.
    pub fn png(&self, items: &[Item], scale: u32) -> Result<Vec<u8>, RunError> {
        let r = self.sampler.records().last().ok_or(RunError::NoStep(1))?;
        let edge = self.edge();
        let small = if self.sampler.is_done() {
            self.rgba(0, "result")?
        } else {
            r.rgba()
                .map(|(_, x0)| x0.to_vec())
                .ok_or(RunError::NoPicture)?
        };
        let k = scale.clamp(1, 16);
        let rgba = upscale_nearest(&small, edge, k);
        let sources = self.provenance(usize::MAX, 12)?;
        let mut settings = self.settings.describe();
        if !self.sampler.is_done() {
            settings.push_str(&format!(
                "; cancelled after step {} of {} (this is that step's x̂0)",
                self.sampler.steps_done(),
                self.sampler.total_steps()
            ));
        }
        let text = png_text(&settings, &sources, self.cpu.kind(), items);
        let text: Vec<(&str, &str)> = text.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        Ok(encode_png(&rgba, edge * k, edge * k, &text))
    }
}
