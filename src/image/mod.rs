//! Planar f32 image fields and the mapping between display bytes and model values.
//!
//! Diffusion models work on pixel values in [−1, 1]: a byte v in 0..=255 maps to
//! x = v/127.5 − 1, and back to v = round(clamp((x + 1)·127.5, 0, 255)). Values
//! outside [−1, 1] (most of the noise at large t) are clipped for display only;
//! the field itself keeps them. Transparent pixels are composited by the page
//! over white before they arrive here, so fields are always opaque RGB.

pub mod dissolve_words;
pub mod power_spectrum;
pub mod sniff;

use thiserror::Error;

/// Colour channels of a field (RGB; alpha is not modelled).
pub const CHANNELS: usize = 3;

/// The longest edge the scenes process. Larger pictures are downscaled (by the
/// browser, with high-quality resampling) to this edge before they reach the
/// core: 1024 px keeps a CPU-fallback frame to tens of milliseconds while the
/// 512 × 512 archive images pass untouched.
pub const MAX_EDGE: u32 = 1024;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ImageError {
    #[error("the image has no pixels ({width} × {height})")]
    Empty { width: u32, height: u32 },
    #[error("the image is {width} × {height}; its longest edge must be at most {max} px")]
    TooLarge { width: u32, height: u32, max: u32 },
    #[error("expected {expected} bytes of RGBA for {width} × {height}, got {actual}")]
    WrongLength {
        width: u32,
        height: u32,
        expected: usize,
        actual: usize,
    },
}

/// An RGB image as three planes of f32 in model units ([−1, 1] for real pictures).
#[derive(Clone, Debug, PartialEq)]
pub struct ImageField {
    width: u32,
    height: u32,
    /// `CHANNELS` planes of `width × height` values, row-major.
    data: Vec<f32>,
}

impl ImageField {
    /// A field of zeros (mid grey).
    pub fn zeros(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            data: vec![0.0; width as usize * height as usize * CHANNELS],
        }
    }

    /// Wraps planar data; `data.len()` must be `CHANNELS · width · height`.
    pub fn from_planar(width: u32, height: u32, data: Vec<f32>) -> Self {
        assert_eq!(data.len(), width as usize * height as usize * CHANNELS);
        Self {
            width,
            height,
            data,
        }
    }

    /// Converts interleaved RGBA bytes (alpha ignored) into model units.
    pub fn from_rgba8(rgba: &[u8], width: u32, height: u32) -> Result<Self, ImageError> {
        check_dimensions(width, height)?;
        let pixels = width as usize * height as usize;
        if rgba.len() != pixels * 4 {
            return Err(ImageError::WrongLength {
                width,
                height,
                expected: pixels * 4,
                actual: rgba.len(),
            });
        }
        let mut data = vec![0.0f32; pixels * CHANNELS];
        for (p, px) in rgba.chunks_exact(4).enumerate() {
            for c in 0..CHANNELS {
                data[c * pixels + p] = byte_to_unit(px[c]);
            }
        }
        Ok(Self {
            width,
            height,
            data,
        })
    }

    /// Converts back to opaque RGBA bytes, clipping to the displayable range.
    pub fn to_rgba8(&self) -> Vec<u8> {
        let mut out = vec![0u8; self.pixels() * 4];
        write_rgba8(&self.data, self.pixels(), &mut out);
        out
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    pub fn pixels(&self) -> usize {
        self.width as usize * self.height as usize
    }

    pub fn data(&self) -> &[f32] {
        &self.data
    }

    pub fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// One colour plane.
    pub fn plane(&self, c: usize) -> &[f32] {
        &self.data[c * self.pixels()..(c + 1) * self.pixels()]
    }
}

/// Rejects empty pictures and pictures over `MAX_EDGE`.
pub fn check_dimensions(width: u32, height: u32) -> Result<(), ImageError> {
    if width == 0 || height == 0 {
        return Err(ImageError::Empty { width, height });
    }
    if width.max(height) > MAX_EDGE {
        return Err(ImageError::TooLarge {
            width,
            height,
            max: MAX_EDGE,
        });
    }
    Ok(())
}

/// The size a picture is scaled to so that its longest edge is at most `MAX_EDGE`
/// (aspect ratio kept, each edge at least 1 px).
pub fn fit_within_max_edge(width: u32, height: u32) -> (u32, u32) {
    let longest = width.max(height);
    if longest <= MAX_EDGE {
        return (width, height);
    }
    let scale = f64::from(MAX_EDGE) / f64::from(longest);
    let w = ((f64::from(width) * scale).round() as u32).clamp(1, MAX_EDGE);
    let h = ((f64::from(height) * scale).round() as u32).clamp(1, MAX_EDGE);
    (w, h)
}

/// Byte → model value: v/127.5 − 1.
#[inline(always)]
pub fn byte_to_unit(v: u8) -> f32 {
    f32::from(v) / 127.5 - 1.0
}

/// Model value → byte: round(clamp((x + 1)·127.5, 0, 255)). NaN shows as black.
#[inline(always)]
pub fn unit_to_byte(x: f32) -> u8 {
    let v = ((x + 1.0) * 127.5).clamp(0.0, 255.0);
    (v + 0.5) as u8
}

/// Writes planar RGB model values as opaque interleaved RGBA bytes.
pub fn write_rgba8(planar: &[f32], pixels: usize, out: &mut [u8]) {
    assert_eq!(planar.len(), pixels * CHANNELS);
    assert_eq!(out.len(), pixels * 4);
    let (r, rest) = planar.split_at(pixels);
    let (g, b) = rest.split_at(pixels);
    for (p, px) in out.chunks_exact_mut(4).enumerate() {
        px[0] = unit_to_byte(r[p]);
        px[1] = unit_to_byte(g[p]);
        px[2] = unit_to_byte(b[p]);
        px[3] = 255;
    }
}

/// A square RGBA8 picture of `edge` pixels enlarged `k` times by repeating
/// each pixel (nearest neighbour: small generated pictures stay crisp).
pub fn upscale_nearest(rgba: &[u8], edge: u32, k: u32) -> Vec<u8> {
    let (edge, k) = (edge as usize, k.max(1) as usize);
    let big = edge * k;
    let mut out = vec![0u8; big * big * 4];
    for y in 0..big {
        for x in 0..big {
            let src = ((y / k) * edge + x / k) * 4;
            out[(y * big + x) * 4..(y * big + x) * 4 + 4].copy_from_slice(&rgba[src..src + 4]);
        }
    }
    out
}

/// Enlarges planar values (`channels` planes of edge × edge) by a whole
/// factor k with bilinear interpolation between pixel centres (edges clamped):
/// a smooth picture, not k × k blocks.
pub fn upscale_bilinear(values: &[f32], edge: u32, k: u32, channels: usize) -> Vec<f32> {
    let (s, k) = (edge as usize, k.max(1) as usize);
    let big = s * k;
    let mut out = vec![0.0f32; channels * big * big];
    // Source coordinate of output pixel i: (i + ½)/k − ½, clamped to the picture.
    let coord = |i: usize| -> (usize, usize, f32) {
        let u = ((i as f32 + 0.5) / k as f32 - 0.5).clamp(0.0, (s - 1) as f32);
        let i0 = u.floor() as usize;
        (i0, (i0 + 1).min(s - 1), u - i0 as f32)
    };
    for c in 0..channels {
        let src = &values[c * s * s..(c + 1) * s * s];
        let dst = &mut out[c * big * big..(c + 1) * big * big];
        for y in 0..big {
            let (y0, y1, fy) = coord(y);
            for x in 0..big {
                let (x0, x1, fx) = coord(x);
                let top = src[y0 * s + x0] * (1.0 - fx) + src[y0 * s + x1] * fx;
                let bottom = src[y1 * s + x0] * (1.0 - fx) + src[y1 * s + x1] * fx;
                dst[y * big + x] = top * (1.0 - fy) + bottom * fy;
            }
        }
    }
    out
}

/// Enlarges one value per pixel (edge × edge) by a whole factor k, nearest neighbour.
pub fn upscale_nearest_values<T: Copy>(values: &[T], edge: u32, k: u32) -> Vec<T> {
    let (s, k) = (edge as usize, k.max(1) as usize);
    let big = s * k;
    (0..big * big)
        .map(|i| values[(i / big / k) * s + (i % big) / k])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bilinear_enlargement_keeps_constants_and_interpolates_ramps() {
        let flat = upscale_bilinear(&[0.25; 2 * 16], 4, 4, 2);
        assert!(flat.iter().all(|&v| (v - 0.25).abs() < 1e-6));
        // A ramp along x, 0…3: enlarged ×2, interior pixels fall halfway between.
        let ramp: Vec<f32> = (0..16).map(|i| (i % 4) as f32).collect();
        let big = upscale_bilinear(&ramp, 4, 2, 1);
        assert_eq!(&big[..8], &[0.0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.0]);
        assert_eq!(
            upscale_nearest_values(&[1u16, 2, 3, 4], 2, 2),
            vec![1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]
        );
    }

    #[test]
    fn bytes_survive_the_round_trip_through_model_units() {
        for v in 0..=255u8 {
            assert_eq!(unit_to_byte(byte_to_unit(v)), v);
        }
        assert_eq!(byte_to_unit(0), -1.0);
        assert_eq!(byte_to_unit(255), 1.0);
        assert_eq!(unit_to_byte(-7.0), 0);
        assert_eq!(unit_to_byte(7.0), 255);
        assert_eq!(unit_to_byte(f32::NAN), 0);
    }

    #[test]
    fn rgba_round_trip_keeps_colour_and_makes_it_opaque() {
        let rgba = [10, 20, 30, 0, 200, 100, 50, 255];
        let field = ImageField::from_rgba8(&rgba, 2, 1).unwrap();
        assert_eq!(field.plane(0), &[byte_to_unit(10), byte_to_unit(200)]);
        assert_eq!(field.to_rgba8(), vec![10, 20, 30, 255, 200, 100, 50, 255]);
    }

    #[test]
    fn bad_dimensions_are_reported() {
        assert_eq!(
            ImageField::from_rgba8(&[], 0, 5),
            Err(ImageError::Empty {
                width: 0,
                height: 5
            })
        );
        assert!(matches!(
            ImageField::from_rgba8(&[0; 12], 2, 2),
            Err(ImageError::WrongLength { expected: 16, .. })
        ));
        assert!(matches!(
            check_dimensions(MAX_EDGE + 1, 4),
            Err(ImageError::TooLarge { .. })
        ));
    }

    #[test]
    fn huge_pictures_are_fitted_to_the_maximum_edge() {
        assert_eq!(fit_within_max_edge(12_000, 12_000), (MAX_EDGE, MAX_EDGE));
        assert_eq!(fit_within_max_edge(4000, 1000), (MAX_EDGE, 256));
        assert_eq!(fit_within_max_edge(100_000, 10), (MAX_EDGE, 1));
        assert_eq!(fit_within_max_edge(640, 480), (640, 480));
    }
}
