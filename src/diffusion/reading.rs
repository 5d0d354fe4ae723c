//! Reading a finished picture: which caption's own material explains it.
//!
//! The recogniser p(tag | x_t) of the sampling steps is exact for the
//! archive's mixture, and at the last step (ᾱ ≈ 0.99) it is a
//! nearest-neighbour rule over whole pictures: a new picture, a mosaic of
//! patches from many items, is near no item, and is read by whichever item is
//! closest over all.
//!
//! This reader is a diffusion classifier (Li et al., "Your Diffusion Model is
//! Secretly a Zero-Shot Classifier", ICCV 2023; Clark & Jaini 2023) with the
//! tag-conditional patch machine as its denoiser. The picture x (at
//! [`READ_EDGE`] px) is noised to x_t = √ᾱ·x + √(1−ᾱ)·ε at the levels of
//! [`READ_LEVELS`] (ε fixed by a seed), and each tag's machine, which takes
//! its patches only from that tag's items, guesses x̂0,tag(x_t). A caption
//! whose material explains the picture guesses it back best:
//!
//!   log p(tag | x) = log p(tag) − Σ_k w_k · ‖x̂0,tag(x_t,k) − x‖² / (2·P_k²) + const,
//!
//! with w_k = ᾱ_k / (1 − ᾱ_k), the weight that turns the x̂0 error into the
//! ε error of the diffusion ELBO, and P_k the patch size: the errors of
//! overlapping P × P patches are not independent, and dividing by the patch
//! area counts each patch's worth of pixels once. p(tag) is the tag's share
//! of the archive. Probabilities are normalised over the tags read: the
//! [`READ_TAGS`] tags whose items hold most of the archive posterior of the
//! picture (and the tag asked for), each with at least [`READ_MIN_ITEMS`]
//! items and on at most [`READ_GENERIC_SHARE`] of the archive. Each machine
//! uses the [`READ_ITEMS`] items of its tag that the archive posterior of
//! x_t ranks highest, and patches from within [`position_window`] pixels of
//! the pixel's own place, which keeps the reading cheap (about 10⁷ patch
//! comparisons a tag and level).

use crate::archive::dataset::Dataset;
use crate::denoise::archive::{posterior, TagBar};
use crate::denoise::patch::{self, position_window, Border, PatchShape};
use crate::image::CHANNELS;

/// The edge the reader works at.
pub const READ_EDGE: u32 = 32;
/// The noise levels ᾱ the picture is read at, with their patch sizes (px):
/// enough noise that a tag's machine must rebuild the picture from its own
/// patches, not so much that nothing of the picture is left.
pub const READ_LEVELS: [(f64, u32); 2] = [(0.8, 5), (0.5, 7)];
/// The tags read (and the tag asked for, if it is not among them).
pub const READ_TAGS: usize = 10;
/// A tag of fewer items is not read (one item is a copy, not a caption).
pub const READ_MIN_ITEMS: usize = 3;
/// A tag on more than this share of the archive ("clip art", "emoji") fits
/// nearly everything and tells nothing: it is not read.
pub const READ_GENERIC_SHARE: f64 = 0.25;
/// Items of a tag its machine uses at one level.
pub const READ_ITEMS: usize = 16;
/// The seed of the reading's noise.
pub const READ_SEED: u64 = 0x005e_ed0f_7ead;

/// Box-averages planar values (CHANNELS planes of edge × edge) down to
/// [`READ_EDGE`]; edges that are not a multiple of it are refused.
pub fn at_read_edge(picture: &[f32], edge: u32) -> Result<Vec<f32>, String> {
    if edge < READ_EDGE || !edge.is_multiple_of(READ_EDGE) {
        return Err(format!(
            "a {edge} px picture cannot be read at {READ_EDGE} px"
        ));
    }
    let (s, k) = (edge as usize, (edge / READ_EDGE) as usize);
    let small = READ_EDGE as usize;
    if picture.len() != CHANNELS * s * s {
        return Err("a picture of another size".into());
    }
    let mut out = vec![0.0f32; CHANNELS * small * small];
    let scale = 1.0 / (k * k) as f32;
    for c in 0..CHANNELS {
        for y in 0..s {
            for x in 0..s {
                out[c * small * small + (y / k) * small + x / k] +=
                    picture[c * s * s + y * s + x] * scale;
            }
        }
    }
    Ok(out)
}

/// One tag as the reader read it.
#[derive(Clone, Debug)]
pub struct TagReading {
    pub tag: String,
    /// p(tag | x) over the tags read.
    pub p: f32,
    /// The tag's share of the archive.
    pub prior: f32,
    /// Σ_k w_k · ‖x̂0,tag − x‖² / (2·P_k²): the evidence against the tag.
    pub cost: f64,
}

/// The tags worth reading for `x` (planar, at the set's edge): those whose
/// items hold most of the archive posterior at the first level, not
/// generic, with enough items; `asked` joins them. `skip`: an item left out
/// (to read an archive item against the others).
pub fn tags_to_read(
    set: &Dataset,
    x: &[f32],
    asked: Option<&str>,
    skip: Option<usize>,
) -> Vec<String> {
    let (a, _) = READ_LEVELS[0];
    let xt: Vec<f32> = x.iter().map(|v| a.sqrt() as f32 * v).collect();
    let mut post = posterior(set, &xt, a);
    if let Some(i) = skip {
        post[i] = 0.0;
    }
    let n = set.len();
    let mut mass: std::collections::BTreeMap<&str, (f64, usize)> = Default::default();
    for i in (0..n).filter(|&i| Some(i) != skip) {
        for t in set.tags(i) {
            let e = mass.entry(t.as_str()).or_default();
            e.0 += f64::from(post[i]);
            e.1 += 1;
        }
    }
    let mut ranked: Vec<(&str, f64)> = mass
        .iter()
        .filter(|(_, &(_, count))| {
            count >= READ_MIN_ITEMS && (count as f64) <= READ_GENERIC_SHARE * n as f64
        })
        .map(|(&t, &(m, _))| (t, m))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let mut tags: Vec<String> = ranked
        .iter()
        .take(READ_TAGS)
        .map(|(t, _)| t.to_string())
        .collect();
    if let Some(t) = asked {
        if !tags.iter().any(|x| x == t) && mass.contains_key(t) {
            tags.push(t.to_string());
        }
    }
    tags
}

/// Reads `x` (planar, at the set's edge, values in [−1, 1]) for `tags`: the
/// readings, most probable first. `skip`: an item left out.
pub fn read_tags(
    set: &Dataset,
    x: &[f32],
    tags: &[String],
    skip: Option<usize>,
) -> Vec<TagReading> {
    let pixels = (set.edge() * set.edge()) as usize;
    let n = set.len() as f32 - f32::from(u8::from(skip.is_some()));
    let mut readings: Vec<TagReading> = tags
        .iter()
        .map(|t| {
            let count = (0..set.len())
                .filter(|&i| Some(i) != skip && set.has_tag(i, t))
                .count();
            TagReading {
                tag: t.clone(),
                p: 0.0,
                prior: count as f32 / n.max(1.0),
                cost: 0.0,
            }
        })
        .collect();
    for (k, &(a, size)) in READ_LEVELS.iter().enumerate() {
        let mut eps = vec![0.0f32; x.len()];
        crate::rng::fill_gaussian_planar(READ_SEED, k as u32, pixels, CHANNELS, &mut eps);
        let (sa, sn) = (a.sqrt() as f32, (1.0 - a).sqrt() as f32);
        let xt: Vec<f32> = x.iter().zip(&eps).map(|(v, e)| sa * v + sn * e).collect();
        let post = posterior(set, &xt, a);
        let shape = PatchShape {
            window: Some(position_window(size)),
            ..PatchShape::everywhere(size, Border::Interior)
        };
        let w = a / (1.0 - a);
        for r in readings.iter_mut() {
            let mask: Vec<bool> = (0..set.len())
                .map(|i| Some(i) != skip && set.has_tag(i, &r.tag))
                .collect();
            let mut members: Vec<usize> = (0..set.len()).filter(|&i| mask[i]).collect();
            members.sort_by(|&i, &j| post[j].total_cmp(&post[i]).then(i.cmp(&j)));
            members.truncate(READ_ITEMS);
            members.sort_unstable();
            if members.is_empty() {
                r.cost = f64::INFINITY;
                continue;
            }
            let d = patch::denoise(set, &xt, a, shape, Some(&mask), &members);
            let guess = d.x0_tag.as_ref().unwrap_or(&d.x0_all);
            let sse: f64 = guess
                .iter()
                .zip(x)
                .map(|(g, v)| f64::from(g.clamp(-1.0, 1.0) - v).powi(2))
                .sum();
            r.cost += w * sse / (2.0 * f64::from(size * size));
        }
    }
    let logits: Vec<f64> = readings
        .iter()
        .map(|r| f64::from(r.prior.max(1e-9)).ln() - r.cost)
        .collect();
    let top = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let z: f64 = logits.iter().map(|l| (l - top).exp()).sum();
    for (r, l) in readings.iter_mut().zip(&logits) {
        r.p = ((l - top).exp() / z) as f32;
    }
    readings.sort_by(|a, b| b.p.total_cmp(&a.p).then(a.cost.total_cmp(&b.cost)));
    readings
}

/// Reads `picture` (planar, at `edge`) against `set` (the archive at
/// [`READ_EDGE`]): the `limit` most probable tags as bars (p over the tags
/// read, the prior the tag's share of the archive), with `asked` always
/// read.
pub fn read(
    set: &Dataset,
    picture: &[f32],
    edge: u32,
    asked: Option<&str>,
    limit: usize,
) -> Result<Vec<TagBar>, String> {
    let x: Vec<f32> = at_read_edge(picture, edge)?
        .iter()
        .map(|v| v.clamp(-1.0, 1.0))
        .collect();
    let tags = tags_to_read(set, &x, asked, None);
    let mut bars: Vec<TagBar> = read_tags(set, &x, &tags, None)
        .into_iter()
        .map(|r| TagBar {
            tag: r.tag,
            p: r.p,
            prior: r.prior,
            other: false,
        })
        .collect();
    // The tag asked for is shown even when it is not among the first.
    if let Some(t) = asked {
        if let Some(at) = bars.iter().position(|b| b.tag == t) {
            if at >= limit && limit > 0 {
                let b = bars.remove(at);
                bars.truncate(limit - 1);
                bars.push(b);
            }
        }
    }
    bars.truncate(limit);
    Ok(bars)
}

/// Whether `tag` can be read: enough items (leaving out `skip`), and not generic.
pub fn readable(set: &Dataset, tag: &str, skip: Option<usize>) -> bool {
    let count = (0..set.len())
        .filter(|&i| Some(i) != skip && set.has_tag(i, tag))
        .count();
    count >= READ_MIN_ITEMS && (count as f64) <= READ_GENERIC_SHARE * set.len() as f64
}

/// Leave-one-out over `items` of `set`: each is read against the others,
/// its own readable tags competing with the tags the reader would read.
/// Returns how many get one of their own tags first, how many get one in
/// the first three, and how many items were read (an item with no readable
/// tag is not).
pub fn leave_one_out(set: &Dataset, items: &[usize]) -> (usize, usize, usize) {
    let (mut first, mut three, mut counted) = (0, 0, 0);
    for &i in items {
        let x = set.item(i).to_vec();
        let own: Vec<String> = set
            .tags(i)
            .iter()
            .filter(|t| readable(set, t, Some(i)))
            .cloned()
            .collect();
        if own.is_empty() {
            continue;
        }
        let mut tags = tags_to_read(set, &x, None, Some(i));
        for t in &own {
            if !tags.contains(t) {
                tags.push(t.clone());
            }
        }
        counted += 1;
        let read = read_tags(set, &x, &tags, Some(i));
        first += usize::from(read.first().is_some_and(|r| own.contains(&r.tag)));
        three += usize::from(read.iter().take(3).any(|r| own.contains(&r.tag)));
    }
    (first, three, counted)
}
