//! Shares of one call: what a Web Worker or a thread returns, flat for the
//! wire ([`FlatPartial`]), merged by log-sum-exp.

use super::simd::*;
use super::step::*;
use crate::archive::dataset::Dataset;
use crate::denoise::{Denoised, PixelShares};
use crate::image::CHANNELS;

/// One share of a patch denoiser call: the online log-sum-exp state of every
/// pixel over the items one worker added, and those items' records. Shares of
/// disjoint items of the same call merge exactly (up to float order and the
/// [`CUTOFF`]'s e^−30), so the page's Web Workers can each take some items
/// and the page combines what they return, without shared memory.
pub struct PatchPartial {
    pub(super) edge: usize,
    pub(super) items: usize,
    pub(super) tag: Option<Vec<bool>>,
    pub(super) all: Accs,
    pub(super) tagged: Accs,
    pub(super) shares_all: ItemShares,
    pub(super) shares_tag: ItemShares,
    pub(super) added: Vec<usize>,
}

/// A [`PatchPartial`] as flat arrays, to cross a worker boundary: `accs` holds
/// (max, sum, v0, v1, v2) per pixel for the all-items accumulator, then the
/// same for the tag's (when there is a tag); `records` holds, per added item
/// in order, its (max, sum) per pixel in the all-items accumulator, followed
/// for items of the tag by the same in the tag's.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FlatPartial {
    pub items: Vec<u32>,
    pub accs: Vec<f32>,
    pub records: Vec<f32>,
}

impl PatchPartial {
    /// The items this share added.
    pub fn added(&self) -> &[usize] {
        &self.added
    }

    /// Combines another share of the same call (other items) into this one:
    /// per pixel, the log-sum-exp of the two states.
    pub fn merge(&mut self, other: &PatchPartial) {
        assert_eq!(self.all.len(), other.all.len(), "shares of one call");
        self.all.merge(&other.all);
        if self.tag.is_some() {
            self.tagged.merge(&other.tagged);
        }
        let n = self.all.len();
        for &i in &other.added {
            self.shares_all.copy_item(&other.shares_all, i, n);
            if self.tag.as_ref().is_some_and(|m| m[i]) {
                self.shares_tag.copy_item(&other.shares_tag, i, n);
            }
        }
        self.added.extend_from_slice(&other.added);
    }

    /// All the shares of one call merged into one (None: no shares).
    pub fn merge_all(parts: impl IntoIterator<Item = PatchPartial>) -> Option<PatchPartial> {
        let mut parts = parts.into_iter();
        let mut merged = parts.next()?;
        for p in parts {
            merged.merge(&p);
        }
        Some(merged)
    }

    /// Workers' flat shares of one call on `set` (tag mask `tag`), merged.
    pub fn merge_flats(
        set: &Dataset,
        tag: Option<&[bool]>,
        flats: &[FlatPartial],
    ) -> Result<PatchPartial, String> {
        let parts = flats
            .iter()
            .map(|f| PatchPartial::from_flat(set, tag, f))
            .collect::<Result<Vec<_>, _>>()?;
        PatchPartial::merge_all(parts).ok_or_else(|| "no shares came back".to_string())
    }

    /// The denoiser's answer from the finished call, with the archive
    /// posterior the caller computed (empty if none).
    pub fn into_denoised(self, posterior: Vec<f32>) -> Denoised {
        let (x0_all, x0_tag, shares) = self.finish();
        Denoised {
            x0_all,
            x0_tag,
            posterior,
            posterior_tag: None,
            pixel_shares: Some(shares),
        }
    }

    /// The share as flat arrays.
    pub fn to_flat(&self) -> FlatPartial {
        let n = self.all.len();
        let mut accs = Vec::with_capacity(5 * n * if self.tag.is_some() { 2 } else { 1 });
        for p in 0..n {
            accs.extend_from_slice(&self.all.get(p));
        }
        if self.tag.is_some() {
            for p in 0..n {
                accs.extend_from_slice(&self.tagged.get(p));
            }
        }
        let mut records = Vec::new();
        for &i in &self.added {
            let r = i * n..(i + 1) * n;
            records.extend_from_slice(&self.shares_all.max[r.clone()]);
            records.extend_from_slice(&self.shares_all.sum[r.clone()]);
            if self.tag.as_ref().is_some_and(|m| m[i]) {
                records.extend_from_slice(&self.shares_tag.max[r.clone()]);
                records.extend_from_slice(&self.shares_tag.sum[r]);
            }
        }
        FlatPartial {
            items: self.added.iter().map(|&i| i as u32).collect(),
            accs,
            records,
        }
    }

    /// A share from its flat arrays, for a call on `set` at edge S with the
    /// tag's mask `tag`. Errors on arrays of the wrong length.
    pub fn from_flat(
        set: &Dataset,
        tag: Option<&[bool]>,
        flat: &FlatPartial,
    ) -> Result<Self, String> {
        let n = set.pixels();
        let items = set.len();
        let tagged_items = tag.map_or(0, |m| items.min(m.len()));
        let in_tag = |i: usize| tag.is_some_and(|m| i < tagged_items && m[i]);
        let accs_len = 5 * n * if tag.is_some() { 2 } else { 1 };
        if flat.accs.len() != accs_len {
            return Err(format!(
                "a share has {} accumulator values, not {accs_len}",
                flat.accs.len()
            ));
        }
        let added: Vec<usize> = flat.items.iter().map(|&i| i as usize).collect();
        if let Some(&bad) = added.iter().find(|&&i| i >= items) {
            return Err(format!("a share names item {bad} of {items}"));
        }
        let records_len: usize = added
            .iter()
            .map(|&i| if in_tag(i) { 4 * n } else { 2 * n })
            .sum();
        if flat.records.len() != records_len {
            return Err(format!(
                "a share has {} item records, not {records_len}",
                flat.records.len()
            ));
        }
        let mut all = Accs::new(n);
        let mut tagged = Accs::new(n);
        for (p, state) in flat.accs.chunks_exact(5).enumerate() {
            if p < n {
                all.set(p, state);
            } else {
                tagged.set(p - n, state);
            }
        }
        let mut shares_all = ItemShares::new(items * n);
        let mut shares_tag = ItemShares::new(tagged_items * n);
        let mut at = 0;
        for &i in &added {
            let r = i * n..(i + 1) * n;
            shares_all.max[r.clone()].copy_from_slice(&flat.records[at..at + n]);
            shares_all.sum[r.clone()].copy_from_slice(&flat.records[at + n..at + 2 * n]);
            at += 2 * n;
            if in_tag(i) {
                shares_tag.max[r.clone()].copy_from_slice(&flat.records[at..at + n]);
                shares_tag.sum[r].copy_from_slice(&flat.records[at + n..at + 2 * n]);
                at += 2 * n;
            }
        }
        Ok(Self {
            edge: set.edge() as usize,
            items,
            tag: tag.map(<[bool]>::to_vec),
            all,
            tagged,
            shares_all,
            shares_tag,
            added,
        })
    }

    /// The estimates and the per-pixel shares of each item, over all items and
    /// over the tag's items (each from its own accumulator).
    pub fn finish(self) -> (Vec<f32>, Option<Vec<f32>>, PixelShares) {
        let n = self.edge * self.edge;
        let items = self.items;
        let mut x0_all = vec![0.0f32; CHANNELS * n];
        let mut x0_tag = self.tag.as_ref().map(|_| vec![0.0f32; CHANNELS * n]);
        for p in 0..n {
            for c in 0..CHANNELS {
                x0_all[c * n + p] = self.all.mean(c, p);
                if let Some(t) = x0_tag.as_mut() {
                    t[c * n + p] = self.tagged.mean(c, p);
                }
            }
        }
        let all = self.shares_all.shares(&self.all, items);
        let tag = self
            .tag
            .is_some()
            .then(|| self.shares_tag.shares(&self.tagged, items));
        (x0_all, x0_tag, PixelShares { items, all, tag })
    }
}
