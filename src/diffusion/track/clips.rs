//! Which clips a track draws from: the tags it offers, the seed's choice by
//! coarse spectrum, and what must be fetched.

use super::*;

/// Tags of the soundtracks' excerpts that the track machine offers (ours:
/// Wesnoth's orchestral scores, Warzone 2100's electronic ones).
pub const TRACK_ONLY_TAGS: [&str; 2] = ["orchestral", "electronic"];

/// Clips carrying this tag (the soundtracks' excerpts) are not loaded with
/// the scene: a track asked for one of their tags fetches the clips
/// [`chosen_clips`] names.
pub const FETCHED_TAG: &str = "game music";

/// The most clips of one tag a track draws from. A tag with more (the
/// soundtracks' "orchestral" and "electronic", over a hundred clips each)
/// gives this many, chosen around one the seed picks ([`chosen_clips`]); the machine's work grows with its
/// clips, and 24 is about the size of the largest tag of the project's own
/// clips, for which tracks were measured.
pub const TRACK_CLIPS_PER_TAG: usize = 24;

/// One clip as [`chosen_clips`] sees it: id, tags, the piece it was cut
/// from (clips of one piece share it) and its coarse spectrum (the
/// manifest's `spectrum`).
pub struct ClipEntry<'a> {
    pub id: &'a str,
    pub tags: &'a [String],
    pub piece: &'a str,
    pub spectrum: Option<&'a [f32]>,
}

impl<'a> ClipEntry<'a> {
    /// A sound of the manifest (its attribution names the piece).
    pub fn of(item: &'a Item) -> Self {
        Self {
            id: &item.id,
            tags: &item.tags,
            piece: &item.attribution,
            spectrum: item.spectrum.as_deref(),
        }
    }
}

/// At most this many of a track's chosen clips come from one piece.
pub const CLIPS_PER_PIECE: usize = 2;

/// The clips of `tag` a track draws from, in the order given: all of them
/// when there are at most [`TRACK_CLIPS_PER_TAG`]; otherwise that many,
/// chosen by measurement around one the seed picks: the seed picks an
/// anchor clip of the tag, and the tag's clips whose coarse spectra
/// ([`coarse_spectrum`]) are nearest the anchor's join it, at most
/// [`CLIPS_PER_PIECE`] from one piece (then the nearest of the rest), so
/// that the patch machine splices clips of like sound from several pieces.
pub fn chosen_clips(clips: &[ClipEntry<'_>], tag: &str, seed: u32) -> Vec<String> {
    let tagged: Vec<usize> = (0..clips.len())
        .filter(|&i| clips[i].tags.iter().any(|t| t == tag))
        .collect();
    if tagged.len() <= TRACK_CLIPS_PER_TAG {
        return tagged.iter().map(|&i| clips[i].id.to_string()).collect();
    }
    let key = |i: usize| {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ u64::from(seed);
        for b in clips[i].id.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        let w = crate::rng::words(h, 0, 0);
        (u64::from(w[0]) << 32) | u64::from(w[1])
    };
    let keys: Vec<u64> = tagged.iter().map(|&i| key(i)).collect();
    let anchor = tagged[(0..tagged.len())
        .min_by_key(|&j| keys[j])
        .expect("some clips")];
    let distance = |i: usize| match (clips[i].spectrum, clips[anchor].spectrum) {
        (Some(a), Some(b)) => a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>(),
        _ => f32::INFINITY,
    };
    let mut ranked: Vec<(f32, u64, usize)> = tagged
        .iter()
        .zip(&keys)
        .map(|(&i, &k)| (distance(i), k, i))
        .collect();
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut chosen: Vec<usize> = Vec::with_capacity(TRACK_CLIPS_PER_TAG);
    for &(_, _, i) in &ranked {
        let from_piece = chosen
            .iter()
            .filter(|&&j| clips[j].piece == clips[i].piece)
            .count();
        if chosen.len() < TRACK_CLIPS_PER_TAG && from_piece < CLIPS_PER_PIECE {
            chosen.push(i);
        }
    }
    for &(_, _, i) in &ranked {
        if chosen.len() < TRACK_CLIPS_PER_TAG && !chosen.contains(&i) {
            chosen.push(i);
        }
    }
    chosen.sort_unstable();
    chosen.iter().map(|&i| clips[i].id.to_string()).collect()
}

/// The fetched clips a track of `o` draws on: [`chosen_clips`] of its tags
/// among the clips tagged [`FETCHED_TAG`].
pub fn track_clip_choice(items: &[Item], o: &TrackOptions) -> Vec<String> {
    let entries: Vec<ClipEntry<'_>> = items
        .iter()
        .filter(|i| i.tags.iter().any(|t| t == FETCHED_TAG))
        .map(ClipEntry::of)
        .collect();
    let mut ids = chosen_clips(&entries, &o.tag, o.seed);
    if let Some(t2) = o.tag2.as_deref().filter(|t| !t.is_empty() && o.mix > 0.0) {
        for id in chosen_clips(&entries, t2, o.seed) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    ids
}

/// The clips a track draws on, in manifest order: every clip held
/// (`held`) that is not a fetched soundtrack, and the soundtracks `chosen`.
pub fn run_clip_ids(items: &[Item], chosen: &[String], held: impl Fn(&str) -> bool) -> Vec<String> {
    items
        .iter()
        .filter(|i| held(&i.id))
        .filter(|i| !i.tags.iter().any(|t| t == FETCHED_TAG) || chosen.contains(&i.id))
        .map(|i| i.id.clone())
        .collect()
}
