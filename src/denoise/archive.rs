//! The optimal denoiser for the archive's empirical distribution.
//!
//! If x_0 is drawn uniformly from the N items x_i and x_t = √ᾱ·x_0 + √(1−ᾱ)·ε,
//! Bayes gives p(i | x_t) ∝ exp(−‖x_t − √ᾱ·x_i‖² / (2(1−ᾱ))) and the minimum
//! mean-square-error estimate x̂0 = Σ_i p(i | x_t)·x_i. Near t = T the weights
//! are almost uniform (x̂0 is the archive's mean); near t = 0 they pick the
//! nearest item, so sampling with this denoiser reproduces archive items:
//! memorisation, which is what an ideal model of a finite dataset does.
//!
//! The GPU twin is `src/gpu/archive.wgsl`.

use serde::Serialize;

use super::{masked_softmax, weighted_items, Denoised};
use crate::archive::dataset::Dataset;

/// log p(i | x_t) up to a constant: −‖x_t − √ᾱ·x_i‖² / (2(1 − ᾱ)), accumulated in f64.
pub fn log_weights(set: &Dataset, x_t: &[f32], alpha_bar: f64) -> Vec<f64> {
    let signal = alpha_bar.sqrt() as f32;
    let two_var = 2.0 * (1.0 - alpha_bar).max(1e-12);
    set.data()
        .chunks_exact(set.dim())
        .map(|item| {
            let d2: f64 = item
                .iter()
                .zip(x_t)
                .map(|(&x, &y)| {
                    let d = y - signal * x;
                    f64::from(d * d)
                })
                .sum();
            -d2 / two_var
        })
        .collect()
}

/// p(i | x_t) over all items.
pub fn posterior(set: &Dataset, x_t: &[f32], alpha_bar: f64) -> Vec<f32> {
    masked_softmax(&log_weights(set, x_t, alpha_bar), None)
}

/// The tags of item i that the recogniser counts: all of them, or those in `vocabulary`.
fn counted_tags<'a>(
    set: &'a Dataset,
    i: usize,
    vocabulary: Option<&'a [&'a str]>,
) -> impl Iterator<Item = &'a String> + 'a {
    set.tags(i)
        .iter()
        .filter(move |t| vocabulary.is_none_or(|v| v.contains(&t.as_str())))
}

/// p(tag | x_t): the recogniser, a distribution over tags that sums to 1.
/// It picks an item by its posterior weight, then one of that item's tags
/// uniformly: p(tag | x_t) = Σ_i p(i | x_t)·[tag ∈ tags_i] / |tags_i|. The
/// posterior is Bayes with a uniform prior over items, so before any picture
/// is seen (uniform weights) each tag has its share of the archive,
/// [`tag_prior`]: tags with more items start ahead. With a `vocabulary`, only
/// its tags count (tags_i ∩ vocabulary), as in the sound scene.
pub fn tag_probability_in(
    set: &Dataset,
    posterior: &[f32],
    tag: &str,
    vocabulary: Option<&[&str]>,
) -> f32 {
    (0..set.len())
        .filter(|&i| set.has_tag(i, tag))
        .map(|i| {
            let k = counted_tags(set, i, vocabulary).count();
            if k == 0 {
                0.0
            } else {
                posterior[i] / k as f32
            }
        })
        .sum()
}

/// [`tag_probability_in`] over every tag.
pub fn tag_probability(set: &Dataset, posterior: &[f32], tag: &str) -> f32 {
    tag_probability_in(set, posterior, tag, None)
}

/// The recogniser's value for `tag` when every item is equally likely: the
/// tag's share of the archive, Σ_i [tag ∈ tags_i] / (|tags_i|·N).
pub fn tag_prior(set: &Dataset, tag: &str, vocabulary: Option<&[&str]>) -> f32 {
    let uniform = vec![1.0 / set.len().max(1) as f32; set.len()];
    tag_probability_in(set, &uniform, tag, vocabulary)
}

/// The archive denoiser: x̂0 over all items and, with a tag mask, over the tag's items.
pub fn denoise(set: &Dataset, x_t: &[f32], alpha_bar: f64, tag: Option<&[bool]>) -> Denoised {
    let logits = log_weights(set, x_t, alpha_bar);
    let posterior = masked_softmax(&logits, None);
    let x0_all = weighted_items(set.data(), set.dim(), &posterior);
    let posterior_tag = tag.map(|mask| masked_softmax(&logits, Some(mask)));
    let x0_tag = posterior_tag
        .as_ref()
        .map(|w| weighted_items(set.data(), set.dim(), w));
    Denoised {
        x0_all,
        x0_tag,
        posterior,
        posterior_tag,
        pixel_shares: None,
    }
}

/// p(tag | x_t) for every counted tag of the set (summing to 1), most probable
/// first (ties by name).
pub fn tag_probabilities_in(
    set: &Dataset,
    posterior: &[f32],
    vocabulary: Option<&[&str]>,
) -> Vec<(String, f32)> {
    let mut out: Vec<(String, f32)> = set
        .tag_counts()
        .into_iter()
        .filter(|(t, _)| vocabulary.is_none_or(|v| v.contains(&t.as_str())))
        .map(|(tag, _)| {
            let p = tag_probability_in(set, posterior, &tag, vocabulary);
            (tag, p)
        })
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// [`tag_probabilities_in`] over every tag.
pub fn tag_probabilities(set: &Dataset, posterior: &[f32]) -> Vec<(String, f32)> {
    tag_probabilities_in(set, posterior, None)
}

/// One bar of the recogniser: a tag, its probability at x_t and its prior.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TagBar {
    pub tag: String,
    pub p: f32,
    /// The value before any picture is seen: the tag's share of the archive.
    pub prior: f32,
    /// The bar of the items that carry none of the vocabulary's tags
    /// ([`other_bar`]): not a tag one can ask for.
    pub other: bool,
}

/// Within a vocabulary, the items that carry none of its tags would give
/// their mass to nothing, and the bars would sum to less than 1. Their mass
/// gets a bar of its own, named by what those items are (the first tag of
/// each, in archive order): "other: ragtime, folk, ambient". None where every
/// item carries a tag of the vocabulary, or there is no vocabulary.
pub fn other_bar(set: &Dataset, posterior: &[f32], vocabulary: Option<&[&str]>) -> Option<TagBar> {
    let vocabulary = vocabulary?;
    let outside: Vec<usize> = (0..set.len())
        .filter(|&i| counted_tags(set, i, Some(vocabulary)).next().is_none())
        .collect();
    if outside.is_empty() {
        return None;
    }
    let mut names: Vec<&str> = Vec::new();
    for &i in &outside {
        if let Some(t) = set.tags(i).first() {
            if !names.contains(&t.as_str()) {
                names.push(t);
            }
        }
    }
    let n = set.len().max(1) as f32;
    Some(TagBar {
        tag: format!("other: {}", names.join(", ")),
        p: outside.iter().map(|&i| posterior[i]).sum(),
        prior: outside.len() as f32 / n,
        other: true,
    })
}

/// The probability that a caption applies to the picture: the posterior
/// mass of the items that carry it, p(tag ∈ tags_i | x_t) = Σ_i p(i | x_t)·[tag ∈ tags_i].
/// An item's mass is not split over its tags, so each bar is a probability
/// of its own (a picture can be "flower" and "plant" at once; the bars do
/// not sum to 1). The prior is the share of the archive's items that carry
/// the tag. The `limit` most probable tags, in one pass over the items.
pub fn applies_bars(set: &Dataset, posterior: &[f32], limit: usize) -> Vec<TagBar> {
    let mut mass: std::collections::HashMap<&str, (f32, usize)> = Default::default();
    for (i, &p) in posterior.iter().enumerate().take(set.len()) {
        for t in set.tags(i) {
            let e = mass.entry(t.as_str()).or_default();
            e.0 += p;
            e.1 += 1;
        }
    }
    let n = set.len().max(1) as f32;
    let mut bars: Vec<TagBar> = mass
        .into_iter()
        .map(|(tag, (p, count))| TagBar {
            tag: tag.to_string(),
            p: p.min(1.0),
            prior: count as f32 / n,
            other: false,
        })
        .collect();
    bars.sort_by(|a, b| b.p.total_cmp(&a.p).then_with(|| a.tag.cmp(&b.tag)));
    bars.truncate(limit);
    bars
}

/// [`applies_bars`] for one tag: p(tag applies | x_t).
pub fn applies(set: &Dataset, posterior: &[f32], tag: &str) -> f32 {
    (0..set.len())
        .filter(|&i| set.has_tag(i, tag))
        .map(|i| posterior[i])
        .sum::<f32>()
        .min(1.0)
}

/// The share of the archive's items that carry `tag`: [`applies`] before any picture is seen.
pub fn applies_prior(set: &Dataset, tag: &str) -> f32 {
    (0..set.len()).filter(|&i| set.has_tag(i, tag)).count() as f32 / set.len().max(1) as f32
}

/// The `limit` most probable tags of the vocabulary (all tags: None), with
/// their priors; within a vocabulary the [`other_bar`] takes its place among
/// them, so the bars of a whole vocabulary sum to 1.
pub fn recogniser_bars(
    set: &Dataset,
    posterior: &[f32],
    limit: usize,
    vocabulary: Option<&[&str]>,
) -> Vec<TagBar> {
    let mut bars: Vec<TagBar> = tag_probabilities_in(set, posterior, vocabulary)
        .into_iter()
        .map(|(tag, p)| TagBar {
            prior: tag_prior(set, &tag, vocabulary),
            tag,
            p,
            other: false,
        })
        .chain(other_bar(set, posterior, vocabulary))
        .collect();
    bars.sort_by(|a, b| b.p.total_cmp(&a.p).then_with(|| a.tag.cmp(&b.tag)));
    bars.truncate(limit);
    bars
}
