//! Reading a finished picture patch by patch: how the scenes say what a new
//! picture looks like.
//!
//! The recogniser p(tag | x_t) is exact for the archive's mixture, and at the
//! last step (ᾱ ≈ 0.99) it is a nearest-neighbour rule over whole pictures. A
//! picture that is new, a mosaic of patches from many items, is near no item,
//! so it is read by whichever item is closest over all: the 128 px "flower"
//! of seed 7 (petals of rose, red flower, lotus, bouquet) reads as the clock
//! photograph's four tags, at every noise level from ᾱ = 0.99 to 0.02.
//!
//! A convolutional recogniser reads local patterns instead. This reader takes
//! the picture at [`READ_EDGE`] px (box-averaged) as if it were x_t at
//! [`READ_ALPHA_BAR`] without noise, x_t = √ᾱ·x, and asks the patch machine
//! (every position of every item, [`READ_PATCH`] px patches) which items each
//! pixel's patch resembles; each item's weight is its mean share over the
//! pixels, split over its tags as the recogniser splits it.
//!
//! Chosen by measurement on the archive, reading each of the 67 items against
//! the other 66 (leave-one-out, [`leave_one_out`]; `examples/read_archive.rs`):
//! the item's own tags get 0.37–0.41 of the reading and its top tag is one
//! of them for 52–57 of 67 items over ᾱ = 0.5–0.99 and patches of 5–9 px;
//! ᾱ = 0.99 with 5 px patches did best on both (0.408, 57 of 67). The
//! whole-picture recogniser (x_t = √ᾱ·x) gives the own tags as much (0.44–0.46)
//! but names one of them first less often (37–48 of 67): its mass goes to the
//! nearest item, right or wrong.

use super::cpu::PatchJob;
use crate::archive::dataset::Dataset;
use crate::denoise::archive::{recogniser_bars, tag_probability_in, TagBar};
use crate::denoise::patch::{Border, FlatPartial, PatchPartial, PatchShape};
use crate::denoise::PixelShares;
use crate::image::CHANNELS;

/// The edge the reader works at: every item's composition, cheaply (one
/// patch call over all 67 items costs 7·10⁷ pairs).
pub const READ_EDGE: u32 = 32;
/// The noise level the picture is read at.
pub const READ_ALPHA_BAR: f64 = 0.99;
/// The reader's patch size (px at [`READ_EDGE`]).
pub const READ_PATCH: u32 = 5;

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

/// The patch call that reads `picture` (planar, at `edge`), over every item
/// of the archive at [`READ_EDGE`] (`items` of them). Workers can share it
/// like a sampling step's call.
pub fn reading_job(picture: &[f32], edge: u32, items: usize) -> Result<PatchJob, String> {
    let small = at_read_edge(picture, edge)?;
    let signal = READ_ALPHA_BAR.sqrt() as f32;
    Ok(PatchJob {
        edge: READ_EDGE,
        x_t: small.iter().map(|v| signal * v.clamp(-1.0, 1.0)).collect(),
        alpha_bar: READ_ALPHA_BAR,
        shape: PatchShape::everywhere(READ_PATCH, Border::Interior),
        candidates: (0..items).collect(),
        tag: None,
    })
}

/// Each item's weight in a reading: its share of the pixels' patches.
pub fn item_weights(shares: &PixelShares) -> Vec<f32> {
    let n = shares.items;
    let pixels = shares.all.len() / n.max(1);
    let mut w = vec![0.0f32; n];
    for p in shares.all.chunks_exact(n) {
        for (a, &b) in w.iter_mut().zip(p) {
            *a += b / pixels as f32;
        }
    }
    w
}

/// Completes a reading from the shares of its job (any order) on `set` (the
/// archive at [`READ_EDGE`]): the item weights.
pub fn finish_reading(set: &Dataset, shares: &[FlatPartial]) -> Result<Vec<f32>, String> {
    let merged = PatchPartial::merge_flats(set, None, shares)?;
    if merged.added().len() != set.len() {
        return Err(format!(
            "the shares read {} items of {}",
            merged.added().len(),
            set.len()
        ));
    }
    Ok(item_weights(&merged.finish().2))
}

/// Reads `picture` (planar, at `edge`) on one thread: the item weights.
pub fn read(set: &Dataset, picture: &[f32], edge: u32) -> Result<Vec<f32>, String> {
    let job = reading_job(picture, edge, set.len())?;
    let flat = job.share(set, 0, 1).to_flat();
    finish_reading(set, &[flat])
}

/// The reading as the recogniser's bars: the `limit` most probable tags.
pub fn reading_bars(set: &Dataset, weights: &[f32], limit: usize) -> Vec<TagBar> {
    recogniser_bars(set, weights, limit, None)
}

/// Leave-one-out: reads each item of `set` against the others. Returns the
/// mean probability the reading gives the item's own tags, and how many
/// items get one of their own tags as the most probable.
pub fn leave_one_out(
    set: &Dataset,
    read_one: impl Fn(&Dataset, &[f32]) -> Vec<f32>,
) -> (f32, usize) {
    let (mut own, mut right) = (0.0f32, 0);
    for i in 0..set.len() {
        let mut others = Dataset::new(set.edge()).expect("an edge that exists");
        for j in (0..set.len()).filter(|&j| j != i) {
            others
                .push_values(set.id(j), set.tags(j), set.item(j))
                .expect("same sizes");
        }
        let weights = read_one(&others, set.item(i));
        let tags = set.tags(i);
        own += tags
            .iter()
            .map(|t| tag_probability_in(&others, &weights, t, None))
            .sum::<f32>();
        if let Some(top) = recogniser_bars(&others, &weights, 1, None).first() {
            right += usize::from(tags.contains(&top.tag));
        }
    }
    (own / set.len() as f32, right)
}
