//! What a run says about itself: its settings in one line, the archive items
//! each step's x̂0 came from (with their credits), the patch denoiser's source
//! map and the text chunks of a result's PNG.

use serde::Serialize;

use crate::archive::dataset::Dataset;
use crate::archive::Item;
use crate::backend::calibration::Path;
use crate::denoise::patch::{self, Border};
use crate::denoise::DenoiserKind;
use crate::diffusion::sampler::StepRecord;

/// The settings of an image run as values (the page, the PNG's Description
/// chunk and the `sample` example all show [`SettingsLine::describe`]'s
/// line). A run that changes path changes `path` and `measured_faster`, and
/// the words are written afresh.
#[derive(Clone, Debug)]
pub struct SettingsLine {
    pub kind: DenoiserKind,
    pub tag: Option<String>,
    pub cfg: crate::diffusion::sampler::SamplerConfig,
    pub border: Border,
    /// The patch sizes in words where a cascade stages them (None: the run's
    /// own range, from the largest patch at its edge to 3 px).
    pub patches: Option<String>,
    /// Clauses after the line (a cascade, a fitted sample, the pictures of sound).
    pub clauses: Vec<String>,
    /// The path the run is on.
    pub path: Path,
    /// The run left the GPU because timing measured the CPU faster here.
    pub measured_faster: bool,
}

impl SettingsLine {
    /// The line: denoiser, patches, tag, sampler, schedule, guidance,
    /// temperature, seed, size and path, then each clause after "; ".
    pub fn describe(&self) -> String {
        let cfg = &self.cfg;
        let patch = if self.kind == DenoiserKind::Patch {
            let sizes = self.patches.clone().unwrap_or_else(|| {
                format!(
                    "patches {} to 3 px (linear in t)",
                    patch::largest_patch(cfg.edge)
                )
            });
            format!(", {sizes}, {} candidates", self.border.name())
        } else {
            String::new()
        };
        let path = if self.measured_faster {
            "cpu (measured faster here)"
        } else {
            self.path.name()
        };
        let mut line = format!(
            "denoiser {}{patch}, tag {}, {} {} steps, {} schedule, guidance {}, temperature {}, seed {}, {}×{} px, backend {path}",
            self.kind.name(),
            self.tag.as_deref().unwrap_or("(none)"),
            cfg.steps,
            cfg.method.name(),
            cfg.schedule.name(),
            cfg.guidance,
            cfg.temperature,
            cfg.seed,
            cfg.edge,
            cfg.edge,
        );
        for clause in &self.clauses {
            line.push_str("; ");
            line.push_str(clause);
        }
        line
    }
}

/// One archive item's part in a result.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    pub index: usize,
    pub id: String,
    /// Archive: its coefficient in x̂0. Patch: the share of pixels it supplied.
    /// Gaussian: its weight in the mix of models, (1 − w)/N + w·[tagged]/n
    /// (negative when guidance w > 1 pushes away from the whole archive).
    pub weight: f32,
}

/// The items a step's x̂0 came from, most important first (at most `limit`;
/// every item with a non-zero weight for the Gaussian models, whose result
/// depends on all of their items alike). `guidance` is the run's w.
pub fn provenance(
    set: &Dataset,
    kind: DenoiserKind,
    mask: Option<&[bool]>,
    guidance: f32,
    record: &StepRecord,
    limit: usize,
) -> Vec<Source> {
    let mut weights: Vec<(usize, f32)> = match kind {
        DenoiserKind::Archive => record.coefficients.iter().copied().enumerate().collect(),
        DenoiserKind::Gaussian => {
            // x̂0 = (1 − w)·x̂0_all + w·x̂0_tag: the all-items model stands for
            // its N items equally, the tag's model for its n items.
            let n_all = set.len().max(1) as f32;
            let w = if mask.is_some() { guidance } else { 0.0 };
            let n_tag = mask.map_or(1, |m| m.iter().filter(|&&b| b).count().max(1)) as f32;
            let mut v: Vec<(usize, f32)> = (0..set.len())
                .map(|i| {
                    let tagged = mask.is_some_and(|m| m[i]);
                    (i, (1.0 - w) / n_all + if tagged { w / n_tag } else { 0.0 })
                })
                .filter(|&(_, x)| x.abs() > 1e-6)
                .collect();
            v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            return v
                .into_iter()
                .map(|(i, weight)| Source {
                    index: i,
                    id: set.id(i).to_string(),
                    weight,
                })
                .collect();
        }
        DenoiserKind::Patch => {
            let mut counts = vec![0.0f32; set.len()];
            if let Some((items, _)) = record.source.as_ref() {
                let unit = 1.0 / items.len() as f32;
                for &i in items {
                    counts[i as usize] += unit;
                }
            }
            counts.into_iter().enumerate().collect()
        }
    };
    weights.retain(|&(_, w)| w > 1e-4);
    weights.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    weights.truncate(limit);
    weights
        .into_iter()
        .map(|(i, w)| Source {
            index: i,
            id: set.id(i).to_string(),
            weight: w,
        })
        .collect()
}

/// A credit line for an archive item: “Title” by Creator (year), licence, source.
pub fn credit_line(item: &Item) -> String {
    let year = item.year.map(|y| format!(" ({y})")).unwrap_or_default();
    format!(
        "“{}” by {}{}, {}; {}",
        item.title, item.creator, year, item.licence, item.attribution
    )
}

/// The tEXt/iTXt chunks of a downloaded result: what made it and from what.
pub fn png_text(
    settings: &str,
    sources: &[Source],
    kind: DenoiserKind,
    items: &[Item],
) -> Vec<(String, String)> {
    let mut lines = Vec::new();
    for s in sources {
        let credit = items
            .iter()
            .find(|it| it.id == s.id)
            .map(credit_line)
            .unwrap_or_else(|| s.id.clone());
        let share = match kind {
            DenoiserKind::Archive => format!("weight {:.3}", s.weight),
            DenoiserKind::Patch => format!("{:.1}% of pixels", 100.0 * s.weight),
            DenoiserKind::Gaussian => {
                format!("weight {:.4} in the mix of Gaussian models", s.weight)
            }
        };
        lines.push(format!("{} [{}]: {}", s.id, share, credit));
    }
    vec![
        ("Title".into(), "A hypothetical image".into()),
        (
            "Software".into(),
            "Hypothetical (reverse diffusion from the project's archive)".into(),
        ),
        ("Description".into(), settings.to_string()),
        ("Source".into(), lines.join("\n")),
    ]
}

/// A distinct, stable colour per item index (golden-angle hues).
pub fn source_colour(index: u32) -> [u8; 3] {
    let h = (f64::from(index) * 137.507_764) % 360.0;
    let (s, v) = (0.65, 0.95);
    let c = v * s;
    let x = c * (1.0 - ((h / 60.0) % 2.0 - 1.0).abs());
    let (r, g, b) = match (h / 60.0) as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = v - c;
    [r, g, b].map(|u| ((u + m) * 255.0).round() as u8)
}

/// A patch run's source map as RGBA8: each pixel in its item's colour,
/// dimmed where that item's share of the pixel is small. None for the other
/// denoisers.
pub fn source_map_rgba(record: &StepRecord) -> Option<Vec<u8>> {
    let (items, shares) = record.source.as_ref()?;
    let mut out = Vec::with_capacity(items.len() * 4);
    for (&i, &share) in items.iter().zip(shares) {
        let [r, g, b] = source_colour(u32::from(i));
        let k = 0.35 + 0.65 * share;
        out.extend_from_slice(&[
            (f32::from(r) * k) as u8,
            (f32::from(g) * k) as u8,
            (f32::from(b) * k) as u8,
            255,
        ]);
    }
    Some(out)
}

/// An archive item's part in a result, with its credit.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Credit {
    pub id: String,
    pub weight: f32,
    pub title: String,
    pub credit: String,
}

/// A finished sound as a WAV (16-bit mono at the project's rate) whose INFO
/// names the run's settings and the archive clips it came from.
pub fn result_wav(
    samples: &[f32],
    tag: Option<&str>,
    settings: &str,
    credits: &[Credit],
) -> Vec<u8> {
    let title = match tag {
        Some(t) => format!("A hypothetical {t} clip"),
        None => "A hypothetical clip".to_string(),
    };
    let from: Vec<String> = credits
        .iter()
        .map(|c| format!("{} ({:.3}): {}", c.id, c.weight, c.credit))
        .collect();
    let comment = format!("{settings}. Made from: {}", from.join(" | "));
    crate::audio::wav::write_wav(
        samples,
        crate::archive::SAMPLE_RATE,
        &[
            ("INAM", title.as_str()),
            (
                "ISFT",
                "Hypothetical (reverse diffusion on spectrograms, fast Griffin-Lim)",
            ),
            ("ICMT", comment.as_str()),
        ],
    )
}
