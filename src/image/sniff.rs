//! Reading an image file's header before the browser decodes it, so the page can
//! say what it is about to do: take the first frame of an animation, convert a
//! 16-bit picture to 8 bits, refuse an empty one, downscale a huge one.
//! Decoding itself is the browser's; nothing here touches pixel data.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Png,
    Gif,
    Jpeg,
    Webp,
    Bmp,
    /// Not a format recognised here; the browser may still decode it (AVIF, SVG …).
    Unknown,
}

/// What the header says. Fields are `None` when the header is too short to tell.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageHeader {
    pub format: Format,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Bits per channel sample (16 for 16-bit PNG, 12 for 12-bit JPEG).
    pub bit_depth: Option<u8>,
    /// More than one frame (APNG, animated GIF or WebP).
    pub animated: bool,
    /// The header ends before the fields it promises: the file is cut short.
    pub truncated: bool,
}

impl ImageHeader {
    fn new(format: Format) -> Self {
        Self {
            format,
            width: None,
            height: None,
            bit_depth: None,
            animated: false,
            truncated: false,
        }
    }
}

pub fn sniff(bytes: &[u8]) -> ImageHeader {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        png(bytes)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        gif(bytes)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        jpeg(bytes)
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        webp(bytes)
    } else if bytes.starts_with(b"BM") && bytes.len() >= 26 {
        let mut h = ImageHeader::new(Format::Bmp);
        h.width = Some(le32(bytes, 18).unsigned_abs());
        h.height = Some(le32(bytes, 22).unsigned_abs());
        h
    } else {
        ImageHeader::new(Format::Unknown)
    }
}

fn be16(b: &[u8], at: usize) -> u32 {
    u32::from(u16::from_be_bytes([b[at], b[at + 1]]))
}
fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
fn le16(b: &[u8], at: usize) -> u32 {
    u32::from(u16::from_le_bytes([b[at], b[at + 1]]))
}
fn le24(b: &[u8], at: usize) -> u32 {
    u32::from(b[at]) | u32::from(b[at + 1]) << 8 | u32::from(b[at + 2]) << 16
}
fn le32(b: &[u8], at: usize) -> i32 {
    i32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn png(b: &[u8]) -> ImageHeader {
    let mut h = ImageHeader::new(Format::Png);
    // Signature (8), IHDR length (4), "IHDR" (4), width, height, depth, colour type …
    if b.len() < 33 || &b[12..16] != b"IHDR" {
        h.truncated = true;
        return h;
    }
    h.width = Some(be32(b, 16));
    h.height = Some(be32(b, 20));
    h.bit_depth = Some(b[24]);
    // Walk the chunks before the image data: an acTL chunk marks an APNG.
    let mut at = 8;
    while at + 8 <= b.len() {
        let len = be32(b, at) as usize;
        let kind = &b[at + 4..at + 8];
        if kind == b"acTL" {
            h.animated = at + 16 <= b.len() && be32(b, at + 8) > 1;
        }
        if kind == b"IDAT" || kind == b"IEND" {
            break;
        }
        at = at.saturating_add(12).saturating_add(len);
    }
    h
}

fn gif(b: &[u8]) -> ImageHeader {
    let mut h = ImageHeader::new(Format::Gif);
    if b.len() < 13 {
        h.truncated = true;
        return h;
    }
    h.width = Some(le16(b, 6));
    h.height = Some(le16(b, 8));
    h.bit_depth = Some(8);
    let mut at = 13;
    if b[10] & 0x80 != 0 {
        at += 3 << ((b[10] & 7) + 1);
    }
    let mut frames = 0;
    let skip_sub_blocks = |mut at: usize| -> Option<usize> {
        loop {
            let len = *b.get(at)? as usize;
            at += 1 + len;
            if len == 0 {
                return Some(at);
            }
        }
    };
    loop {
        match b.get(at) {
            Some(0x21) => match skip_sub_blocks(at + 2) {
                Some(next) => at = next,
                None => break,
            },
            Some(0x2C) => {
                frames += 1;
                if frames > 1 {
                    break;
                }
                let Some(&packed) = b.get(at + 9) else { break };
                at += 10;
                if packed & 0x80 != 0 {
                    at += 3 << ((packed & 7) + 1);
                }
                match skip_sub_blocks(at + 1) {
                    Some(next) => at = next,
                    None => break,
                }
            }
            _ => break,
        }
    }
    h.animated = frames > 1;
    h
}

fn jpeg(b: &[u8]) -> ImageHeader {
    let mut h = ImageHeader::new(Format::Jpeg);
    let mut at = 2;
    while at + 4 <= b.len() {
        if b[at] != 0xFF {
            at += 1;
            continue;
        }
        let marker = b[at + 1];
        if marker == 0xFF || marker == 0x01 || (0xD0..=0xD8).contains(&marker) {
            at += if marker == 0xFF { 1 } else { 2 };
            continue;
        }
        let len = be16(b, at + 2) as usize;
        let is_sof = (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker);
        if is_sof {
            if at + 9 > b.len() {
                break;
            }
            h.bit_depth = Some(b[at + 4]);
            h.height = Some(be16(b, at + 5));
            h.width = Some(be16(b, at + 7));
            return h;
        }
        if marker == 0xDA {
            break; // scan data before a frame header: malformed
        }
        at += 2 + len;
    }
    h.truncated = true;
    h
}

fn webp(b: &[u8]) -> ImageHeader {
    let mut h = ImageHeader::new(Format::Webp);
    h.bit_depth = Some(8);
    if b.len() < 30 {
        h.truncated = true;
        return h;
    }
    match &b[12..16] {
        b"VP8X" => {
            h.animated = b[20] & 0x02 != 0;
            h.width = Some(le24(b, 24) + 1);
            h.height = Some(le24(b, 27) + 1);
        }
        b"VP8 " => {
            h.width = Some(le16(b, 26) & 0x3FFF);
            h.height = Some(le16(b, 28) & 0x3FFF);
        }
        b"VP8L" => {
            let bits = u32::from_le_bytes([b[21], b[22], b[23], b[24]]);
            h.width = Some((bits & 0x3FFF) + 1);
            h.height = Some(((bits >> 14) & 0x3FFF) + 1);
        }
        _ => h.truncated = true,
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_with(width: u32, height: u32, depth: u8, extra: &[(&[u8; 4], Vec<u8>)]) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut chunk = |kind: &[u8; 4], data: &[u8]| {
            b.extend((data.len() as u32).to_be_bytes());
            b.extend(kind);
            b.extend(data);
            b.extend([0, 0, 0, 0]); // CRC is not checked here
        };
        let mut ihdr = width.to_be_bytes().to_vec();
        ihdr.extend(height.to_be_bytes());
        ihdr.extend([depth, 2, 0, 0, 0]);
        chunk(b"IHDR", &ihdr);
        for (kind, data) in extra {
            chunk(kind, data);
        }
        chunk(b"IDAT", &[]);
        b
    }

    #[test]
    fn png_headers_give_size_depth_and_animation() {
        let h = sniff(&png_with(640, 480, 16, &[]));
        assert_eq!(
            (h.format, h.width, h.height, h.bit_depth),
            (Format::Png, Some(640), Some(480), Some(16))
        );
        assert!(!h.animated && !h.truncated);
        let apng = png_with(8, 8, 8, &[(b"acTL", vec![0, 0, 0, 3, 0, 0, 0, 0])]);
        assert!(sniff(&apng).animated);
        let zero = sniff(&png_with(0, 0, 8, &[]));
        assert_eq!((zero.width, zero.height), (Some(0), Some(0)));
        assert!(sniff(&apng[..20]).truncated);
    }

    #[test]
    fn gif_frames_are_counted() {
        // Header, 2×1 screen with a 2-colour global table, then one or two frames.
        let mut one = b"GIF89a".to_vec();
        one.extend([2, 0, 1, 0, 0x80, 0, 0]);
        one.extend([0, 0, 0, 255, 255, 255]);
        let frame = [0x2C, 0, 0, 0, 0, 2, 0, 1, 0, 0, 2, 2, 0x4C, 0x01, 0];
        one.extend(frame);
        let mut two = one.clone();
        two.extend([0x21, 0xF9, 4, 0, 10, 0, 0, 0]);
        two.extend(frame);
        one.push(0x3B);
        two.push(0x3B);
        assert!(!sniff(&one).animated);
        assert!(sniff(&two).animated);
        assert_eq!(sniff(&two).width, Some(2));
    }

    #[test]
    fn jpeg_frame_header_is_found_after_other_segments() {
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0];
        b.extend([0xFF, 0xC0, 0, 11, 12, 0x01, 0x2C, 0x02, 0x58, 3, 0, 0, 0, 0]);
        let h = sniff(&b);
        assert_eq!(
            (h.format, h.width, h.height, h.bit_depth),
            (Format::Jpeg, Some(600), Some(300), Some(12))
        );
        assert!(sniff(&b[..6]).truncated);
    }

    #[test]
    fn webp_extended_header_flags_animation() {
        let mut b = b"RIFF\0\0\0\0WEBPVP8X".to_vec();
        b.extend([10, 0, 0, 0, 0x02, 0, 0, 0]);
        b.extend([99, 0, 0, 49, 0, 0]);
        let h = sniff(&b);
        assert_eq!((h.width, h.height, h.animated), (Some(100), Some(50), true));
    }

    #[test]
    fn text_is_not_an_image() {
        assert_eq!(
            sniff(b"hello, this is not a picture").format,
            Format::Unknown
        );
        assert_eq!(sniff(&[]).format, Format::Unknown);
    }
}
