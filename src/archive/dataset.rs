//! The archive's images as the samplers see them: N items of S × S planar RGB
//! in [−1, 1], each with its id and tags.
//!
//! The archive ships 128 × 128 sRGB PNGs. Sampling runs at 32, 64 or 128 px: each
//! item is reduced by averaging 4 × 4 or 2 × 2 blocks of its values (in the
//! archive's sRGB-encoded units, as a trained model's data loader would see
//! them). PNG decoding is done here, in Rust, on both the browser and the
//! command line, so both see exactly the same numbers.

use std::collections::BTreeMap;

use thiserror::Error;

use crate::image::{byte_to_unit, ImageField, CHANNELS};

/// The edges the samplers run at, in pixels.
pub const SAMPLE_EDGES: [u32; 3] = [32, 64, 128];

#[derive(Debug, Error, PartialEq, Eq)]
pub enum DatasetError {
    #[error("{id}: not a readable PNG ({why})")]
    Png { id: String, why: String },
    #[error("{id}: {width} × {height} cannot be reduced to {edge} × {edge} by whole blocks")]
    Size {
        id: String,
        width: u32,
        height: u32,
        edge: u32,
    },
    #[error("the sampling edge must be 32, 64 or 128 px, not {0}")]
    Edge(u32),
    #[error("{0}: this id is already in the set")]
    Duplicate(String),
}

/// A decoded PNG in RGBA8.
#[derive(Debug)]
pub struct Rgba {
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
}

/// The most pixels a PNG may have (64 M, 8192 × 8192): the archive's largest
/// has 512 × 512. Checked before the output buffer is allocated, because a
/// header is free to claim 128 × 4,294,967,059 pixels (found by `./build.sh
/// fuzz`: a 1.6 TB allocation, which aborts the process where memory is not
/// overcommitted).
pub const MAX_PNG_PIXELS: u64 = 1 << 26;

/// Decodes an 8-bit PNG (grey, grey+alpha, RGB, RGBA or palette) to RGBA8.
pub fn decode_png(bytes: &[u8]) -> Result<Rgba, String> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let (w, h) = (reader.info().width, reader.info().height);
    if u64::from(w) * u64::from(h) > MAX_PNG_PIXELS {
        return Err(format!(
            "the PNG claims {w} × {h} pixels, more than the {MAX_PNG_PIXELS} read"
        ));
    }
    let mut buf = vec![0; reader.output_buffer_size().ok_or("image too large")?];
    let info = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    let (w, h) = (info.width, info.height);
    let n = w as usize * h as usize;
    let src = &buf[..info.buffer_size()];
    let mut out = Vec::with_capacity(n * 4);
    match info.color_type {
        png::ColorType::Rgba => out.extend_from_slice(&src[..n * 4]),
        png::ColorType::Rgb => {
            for px in src.chunks_exact(3).take(n) {
                out.extend_from_slice(&[px[0], px[1], px[2], 255]);
            }
        }
        png::ColorType::GrayscaleAlpha => {
            for px in src.chunks_exact(2).take(n) {
                out.extend_from_slice(&[px[0], px[0], px[0], px[1]]);
            }
        }
        png::ColorType::Grayscale => {
            for &g in src.iter().take(n) {
                out.extend_from_slice(&[g, g, g, 255]);
            }
        }
        png::ColorType::Indexed => return Err("palette was not expanded".into()),
    }
    Ok(Rgba {
        width: w,
        height: h,
        bytes: out,
    })
}

/// Encodes opaque RGBA8 as an RGB PNG with `text` as tEXt chunks (Latin-1 keys
/// of at most 79 bytes; values are written as iTXt, UTF-8, when not Latin-1).
pub fn encode_png(rgba: &[u8], width: u32, height: u32, text: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        for (key, value) in text {
            if value.chars().all(|c| (c as u32) < 256) {
                let _ = encoder.add_text_chunk(key.to_string(), value.to_string());
            } else {
                let _ = encoder.add_itxt_chunk(key.to_string(), value.to_string());
            }
        }
        let mut writer = encoder.write_header().expect("PNG header into a Vec");
        let rgb: Vec<u8> = rgba
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        writer.write_image_data(&rgb).expect("PNG data into a Vec");
    }
    out
}

/// The items the denoisers draw from, all at one edge.
#[derive(Clone, Debug, Default)]
pub struct Dataset {
    edge: u32,
    /// 3 (planar RGB pictures) or 1 (spectrogram pictures).
    channels: usize,
    ids: Vec<String>,
    tags: Vec<Vec<String>>,
    /// Item i occupies data[i·D .. (i+1)·D], D = channels·S², planar.
    data: Vec<f32>,
}

impl Dataset {
    pub fn new(edge: u32) -> Result<Self, DatasetError> {
        if !SAMPLE_EDGES.contains(&edge) {
            return Err(DatasetError::Edge(edge));
        }
        Ok(Self {
            edge,
            channels: CHANNELS,
            ..Self::default()
        })
    }

    /// An empty set of one-channel S × S pictures (the sound scene's spectrograms).
    pub fn single_channel(edge: u32) -> Self {
        Self {
            edge,
            channels: 1,
            ..Self::default()
        }
    }

    /// Adds an item given as its values (channels·S², planar).
    pub fn push_values(
        &mut self,
        id: &str,
        tags: &[String],
        values: &[f32],
    ) -> Result<(), DatasetError> {
        if values.len() != self.dim() {
            return Err(DatasetError::Size {
                id: id.into(),
                width: values.len() as u32,
                height: 1,
                edge: self.edge,
            });
        }
        if self.ids.iter().any(|x| x == id) {
            return Err(DatasetError::Duplicate(id.into()));
        }
        self.ids.push(id.into());
        self.tags.push(tags.to_vec());
        self.data.extend_from_slice(values);
        Ok(())
    }

    /// Adds the tiles of a packed sheet: `columns` tiles of `tile` px to a
    /// row, in the order of `items` (id and tags); `tile` must be a whole
    /// multiple of the edge.
    pub fn push_pack(
        &mut self,
        png: &[u8],
        tile: u32,
        columns: u32,
        items: &[(String, Vec<String>)],
    ) -> Result<(), DatasetError> {
        let sheet_id = || items.first().map_or_else(String::new, |(id, _)| id.clone());
        let img = decode_png(png).map_err(|why| DatasetError::Png {
            id: sheet_id(),
            why,
        })?;
        let rows = items.len().div_ceil(columns.max(1) as usize) as u32;
        if tile == 0 || img.width != columns * tile || img.height < rows * tile {
            return Err(DatasetError::Size {
                id: sheet_id(),
                width: img.width,
                height: img.height,
                edge: tile,
            });
        }
        let (t, w) = (tile as usize, img.width as usize);
        let mut rgba = vec![0u8; t * t * 4];
        for (k, (id, tags)) in items.iter().enumerate() {
            let (row, col) = (k / columns as usize, k % columns as usize);
            for y in 0..t {
                let from = ((row * t + y) * w + col * t) * 4;
                rgba[y * t * 4..(y + 1) * t * 4].copy_from_slice(&img.bytes[from..from + t * 4]);
            }
            self.push_rgba(id, tags, &rgba, tile, tile)?;
        }
        Ok(())
    }

    /// The items `ids`, in that order, as a new set of the same edge; None
    /// when one of them is not in this set.
    pub fn subset(&self, ids: &[String]) -> Option<Dataset> {
        let mut out = Dataset {
            edge: self.edge,
            channels: self.channels,
            ..Dataset::default()
        };
        for id in ids {
            let i = self.index_of(id)?;
            out.ids.push(id.clone());
            out.tags.push(self.tags[i].clone());
            out.data.extend_from_slice(self.item(i));
        }
        Some(out)
    }

    /// Adds an item from a PNG whose sides are whole multiples of the edge.
    pub fn push_png(&mut self, id: &str, tags: &[String], png: &[u8]) -> Result<(), DatasetError> {
        let img = decode_png(png).map_err(|why| DatasetError::Png { id: id.into(), why })?;
        self.push_rgba(id, tags, &img.bytes, img.width, img.height)
    }

    /// Adds an item from RGBA8 bytes (alpha ignored), reducing it by block averages.
    pub fn push_rgba(
        &mut self,
        id: &str,
        tags: &[String],
        rgba: &[u8],
        width: u32,
        height: u32,
    ) -> Result<(), DatasetError> {
        assert_eq!(self.channels, CHANNELS, "pictures go into an RGB set");
        let s = self.edge;
        let size_error = || DatasetError::Size {
            id: id.into(),
            width,
            height,
            edge: s,
        };
        if width != height
            || !width.is_multiple_of(s)
            || rgba.len() != width as usize * height as usize * 4
        {
            return Err(size_error());
        }
        if self.ids.iter().any(|x| x == id) {
            return Err(DatasetError::Duplicate(id.into()));
        }
        let f = (width / s) as usize;
        let (s, w) = (s as usize, width as usize);
        let start = self.data.len();
        self.data.resize(start + CHANNELS * s * s, 0.0);
        let item = &mut self.data[start..];
        let scale = 1.0 / (f * f) as f32;
        for c in 0..CHANNELS {
            for y in 0..s {
                for x in 0..s {
                    let mut acc = 0.0f32;
                    for dy in 0..f {
                        for dx in 0..f {
                            acc += byte_to_unit(rgba[((y * f + dy) * w + x * f + dx) * 4 + c]);
                        }
                    }
                    item[c * s * s + y * s + x] = acc * scale;
                }
            }
        }
        self.ids.push(id.into());
        self.tags.push(tags.to_vec());
        Ok(())
    }

    /// Adds an item already at the edge, as planar values (for tests).
    pub fn push_field(&mut self, id: &str, tags: &[&str], field: &ImageField) {
        assert_eq!((field.width(), field.height()), (self.edge, self.edge));
        self.ids.push(id.into());
        self.tags.push(tags.iter().map(|t| t.to_string()).collect());
        self.data.extend_from_slice(field.data());
    }

    /// S, the edge in pixels.
    pub fn edge(&self) -> u32 {
        self.edge
    }

    /// S², pixels per item.
    pub fn pixels(&self) -> usize {
        self.edge as usize * self.edge as usize
    }

    /// Planes per item: 3 (RGB) or 1.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// D = channels·S², values per item.
    pub fn dim(&self) -> usize {
        self.channels * self.pixels()
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn item(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim()..(i + 1) * self.dim()]
    }

    /// All items, item-major.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    pub fn id(&self, i: usize) -> &str {
        &self.ids[i]
    }

    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.ids.iter().position(|x| x == id)
    }

    pub fn tags(&self, i: usize) -> &[String] {
        &self.tags[i]
    }

    pub fn has_tag(&self, i: usize, tag: &str) -> bool {
        self.tags[i].iter().any(|t| t == tag)
    }

    /// Which items carry `tag`.
    pub fn tag_mask(&self, tag: &str) -> Vec<bool> {
        (0..self.len()).map(|i| self.has_tag(i, tag)).collect()
    }

    /// Every tag with its number of items, most common first, then by name.
    pub fn tag_counts(&self) -> Vec<(String, usize)> {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for tags in &self.tags {
            for t in tags {
                *counts.entry(t).or_default() += 1;
            }
        }
        let mut out: Vec<(String, usize)> = counts
            .into_iter()
            .map(|(t, n)| (t.to_string(), n))
            .collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out
    }

    /// Item i as an image field.
    pub fn field(&self, i: usize) -> ImageField {
        ImageField::from_planar(self.edge, self.edge, self.item(i).to_vec())
    }
}

/// Loads every image of the archive at `root` (native only: the page passes bytes).
#[cfg(not(target_arch = "wasm32"))]
pub fn load_archive(root: &std::path::Path, edge: u32) -> Result<Dataset, String> {
    use crate::archive::{Kind, Manifest};
    let (manifest, _) = Manifest::load(root).map_err(|e| e.to_string())?;
    let mut set = Dataset::new(edge).map_err(|e| e.to_string())?;
    for item in manifest.items.iter().filter(|i| i.kind == Kind::Image) {
        let bytes =
            std::fs::read(root.join(&item.file)).map_err(|e| format!("{}: {e}", item.id))?;
        set.push_png(&item.id, &item.tags, &bytes)
            .map_err(|e| e.to_string())?;
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_averages_reduce_an_item_to_the_edge() {
        let mut set = Dataset::new(32).unwrap();
        // 64 × 64: left half black, right half white, so 2 × 2 blocks stay pure.
        let mut rgba = vec![0u8; 64 * 64 * 4];
        for y in 0..64 {
            for x in 32..64 {
                rgba[(y * 64 + x) * 4..(y * 64 + x) * 4 + 3].copy_from_slice(&[255, 255, 255]);
            }
        }
        set.push_rgba("half", &["test".into()], &rgba, 64, 64)
            .unwrap();
        let item = set.item(0);
        assert_eq!(item.len(), 3 * 32 * 32);
        assert_eq!(item[0], -1.0);
        assert_eq!(item[31], 1.0);
        assert_eq!(item[15], -1.0);
        assert_eq!(item[16], 1.0);
        assert!(set
            .push_rgba("odd", &[], &rgba[..60 * 60 * 4], 60, 60)
            .is_err());
        assert_eq!(
            set.push_rgba("half", &[], &rgba, 64, 64),
            Err(DatasetError::Duplicate("half".into()))
        );
    }

    #[test]
    fn png_round_trips_with_its_text() {
        let rgba: Vec<u8> = (0..16 * 16).flat_map(|i| [i as u8, 7, 200, 255]).collect();
        let png = encode_png(&rgba, 16, 16, &[("Title", "x"), ("Source", "Ünïcode ✓")]);
        let back = decode_png(&png).unwrap();
        assert_eq!((back.width, back.height), (16, 16));
        assert_eq!(back.bytes, rgba);
        let text = String::from_utf8_lossy(&png);
        assert!(text.contains("tEXtTitle"));
        assert!(text.contains("iTXtSource"));
    }
}
