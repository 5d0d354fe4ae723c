//! The numbers and sentences beside Dissolve's picture, derived from the
//! picture's own power and spectrum (not from the schedule alone).
//!
//! Power is the mean square of the values in [−1, 1] (x = v/127.5 − 1), the
//! picture's average brightness included: E[x0²]. The noise ε ~ N(0, 1) has
//! power 1 per value, so at ᾱ the picture carries ᾱ·E[x0²] and the noise
//! 1 − ᾱ. The schedule's own ratio ᾱ/(1 − ᾱ) is that comparison for a picture
//! of power 1, which pictures in [−1, 1] never exceed (typically 0.1 to 0.5).

use serde::Serialize;

use crate::image::power_spectrum::{Crossing, RadialSpectrum};
use crate::image::ImageField;

/// A ratio at least this far from 1 (either way) is worded as "more"; within
/// it, "about equal" (±25 %: 1 dB).
pub const ABOUT_EQUAL: f64 = 1.25;
/// Picture-to-noise power ratios that change the words: 10× (10 dB) and
/// 1/10 (−10 dB), and 1/300 (−25 dB), below which the picture is a trace the
/// eye no longer separates from the noise.
pub const FAR_STRONGER: f64 = 10.0;
pub const FAR_WEAKER: f64 = 0.1;
pub const TRACE: f64 = 1.0 / 300.0;
/// Broad shapes versus fine detail: the median power of the coarser half of
/// the spectrum's bins against the finer half, worded "about as much" within a
/// factor of 1.5 and "far more" beyond a factor of 10.
pub const SPECTRUM_ABOUT: f64 = 1.5;
pub const SPECTRUM_FAR: f64 = 10.0;

/// The picture's power, measured once when it is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PicturePower {
    /// E[x0²] over pixels and channels, mean included.
    pub mean_square: f64,
    /// The same with each channel's mean removed (the variation alone).
    pub variance: f64,
}

impl PicturePower {
    pub fn of(field: &ImageField) -> Self {
        let planes = 3;
        let n = field.pixels() as f64;
        let (mut ms, mut var) = (0.0, 0.0);
        for c in 0..planes {
            let p = field.plane(c);
            let mean = p.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
            let sq = p.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / n;
            ms += sq / planes as f64;
            var += (sq - mean * mean).max(0.0) / planes as f64;
        }
        Self {
            mean_square: ms,
            variance: var,
        }
    }
}

/// What the readout shows at one ᾱ.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PowerReadout {
    /// ᾱ·E[x0²].
    pub picture: f64,
    /// 1 − ᾱ.
    pub noise: f64,
    /// 10·log10(picture / noise); None where the noise is 0 (t = 0) or the picture has no power.
    pub snr_db: Option<f64>,
    /// The schedule's ratio ᾱ/(1 − ᾱ) in dB (a picture of power 1).
    pub schedule_snr_db: Option<f64>,
    /// The picture's share of the power, `picture_share`.
    pub share: f64,
    pub sentence: String,
}

/// The picture's share of the power of x_t = √ᾱ·x0 + √(1 − ᾱ)·b, for a
/// picture of power `picture_power` = E[x0²] and a background of power
/// `noise_power` = E[b²] (1 for Dissolve's ε ~ N(0, 1); Swim's static, as
/// the denoisers made it, has its own):
///
///   ᾱ·E[x0²] / (ᾱ·E[x0²] + (1 − ᾱ)·E[b²]).
///
/// 1 at ᾱ = 1 (nothing added), 0 for a picture without power. This is not ᾱ:
/// pictures in [−1, 1] carry 0.1 to 0.5, so halfway on the cosine schedule
/// (ᾱ ≈ 0.49) their share is 9 to 33 %, not 49 %. Dissolve and Swim both word
/// their shares from this one function.
pub fn picture_share(alpha_bar: f64, picture_power: f64, noise_power: f64) -> f64 {
    let picture = alpha_bar.clamp(0.0, 1.0) * picture_power.max(0.0);
    let noise = (1.0 - alpha_bar.clamp(0.0, 1.0)) * noise_power.max(0.0);
    if noise <= 0.0 {
        return if picture > 0.0 || alpha_bar >= 1.0 {
            1.0
        } else {
            0.0
        };
    }
    picture / (picture + noise)
}

fn db(ratio: f64) -> Option<f64> {
    (ratio.is_finite() && ratio > 0.0).then(|| 10.0 * ratio.log10())
}

/// "3.2 times", "40 times": two significant figures below 10, whole numbers above.
pub fn times(r: f64) -> String {
    if r < 10.0 {
        format!("{r:.1} times")
    } else {
        format!("{:.0} times", r.round())
    }
}

/// The readout and its sentence at ᾱ for a picture of power `power`.
pub fn power_readout(alpha_bar: f64, power: &PicturePower) -> PowerReadout {
    let picture = alpha_bar * power.mean_square;
    let noise = 1.0 - alpha_bar;
    let r = picture / noise;
    let sentence = if noise <= 0.0 {
        "The picture, untouched: no noise yet.".to_string()
    } else if power.mean_square <= 1e-12 {
        "This picture is mid-grey everywhere (all values 0): it carries no power, so any noise outweighs it.".to_string()
    } else if r >= FAR_STRONGER {
        format!(
            "Grain appears. The picture still carries {} the power of the noise.",
            times(r)
        )
    } else if r >= ABOUT_EQUAL {
        format!(
            "The noise is catching up: the picture carries {} the power of the noise.",
            times(r)
        )
    } else if r > 1.0 / ABOUT_EQUAL {
        "The picture and the noise now carry about equal power (within 25 %).".to_string()
    } else if r > FAR_WEAKER {
        format!(
            "The noise now carries {} the power of the picture.",
            times(1.0 / r)
        )
    } else if r > TRACE {
        format!("Almost all noise: it carries {} the picture's power, and the picture is a faint trace underneath.", times(1.0 / r))
    } else {
        "The picture carries less than 1/300 of the noise's power: this is where a diffusion model starts when it generates.".to_string()
    };
    PowerReadout {
        picture,
        noise,
        snr_db: if noise > 0.0 { db(r) } else { None },
        schedule_snr_db: if noise > 0.0 {
            db(alpha_bar / noise)
        } else {
            None
        },
        share: picture_share(alpha_bar, power.mean_square, 1.0),
        sentence,
    }
}

/// Ranges of scales (periods in pixels, largest first) where ᾱ·P(f) is above
/// the noise floor 1 − ᾱ, bin by bin.
pub fn scales_above_noise(spectrum: &RadialSpectrum, alpha_bar: f64) -> Vec<[f64; 2]> {
    let noise = 1.0 - alpha_bar;
    let mut out: Vec<[f64; 2]> = Vec::new();
    let mut open = false;
    for (&f, &p) in spectrum.freq.iter().zip(&spectrum.power) {
        let above = alpha_bar * p > noise;
        let period = 1.0 / f;
        match (above, open) {
            (true, false) => out.push([period, period]),
            (true, true) => out.last_mut().expect("open")[1] = period,
            _ => {}
        }
        open = above;
    }
    out
}

/// "5 px", "1 in 12 of the picture's width" style period words.
fn px(period: f64) -> String {
    if period >= 10.0 {
        format!("{:.0} px", period.round())
    } else {
        format!("{period:.1} px")
    }
}

/// How the picture's power is spread between broad shapes and fine detail,
/// from the ratio of the median power of the coarser half of the bins to
/// that of the finer half.
pub fn spread_words(spectrum: &RadialSpectrum) -> Option<String> {
    let k = spectrum.power.len();
    if k < 2 {
        return None;
    }
    if spectrum.power.iter().all(|&p| p <= 1e-12) {
        return None;
    }
    // Medians: the spectrum spans decades, an arithmetic mean is decided by
    // its few largest bins and a geometric mean by bins where the picture
    // has almost no power (a blocky picture has many).
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        let m = v.len() / 2;
        let mid = if v.len() % 2 == 1 {
            v[m]
        } else {
            0.5 * (v[m - 1] + v[m])
        };
        mid.max(1e-30)
    };
    let r = median(&spectrum.power[..k / 2]) / median(&spectrum.power[k / 2..]);
    Some(if r >= SPECTRUM_FAR {
        format!(" This picture has {} more power per frequency in broad shapes than in fine detail, while the noise has the same power at every scale, so fine detail drowns first.", times(r))
    } else if r >= SPECTRUM_ABOUT {
        format!(" This picture has {} more power per frequency in broad shapes than in fine detail, so fine detail drowns somewhat sooner.", times(r))
    } else if r > 1.0 / SPECTRUM_ABOUT {
        " This picture has about as much power per frequency in fine detail as in broad shapes (within a factor of 1.5), so the noise drowns its scales almost together.".to_string()
    } else {
        format!(" This picture has {} more power per frequency in fine detail than in broad shapes, so its broad shapes drown first.", times(1.0 / r))
    })
}

/// The spectrum panel's sentence at ᾱ.
pub fn spectrum_sentence(spectrum: &RadialSpectrum, alpha_bar: f64, crossing: &Crossing) -> String {
    let Some(spread) = spread_words(spectrum) else {
        return "This picture is one flat colour: it has no shapes or detail for the noise to drown.".into();
    };
    match crossing {
        Crossing::AllAboveNoise => {
            "At every scale the picture is still stronger than the noise.".into()
        }
        Crossing::AllBelowNoise => {
            "Even the broadest shapes, as large as the whole picture, are now below the noise."
                .into()
        }
        Crossing::At { period, .. } => {
            let ranges = scales_above_noise(spectrum, alpha_bar);
            let coarsest_above = ranges
                .first()
                .is_some_and(|r| (r[0] - 1.0 / spectrum.freq[0]).abs() < 1e-9);
            let larger = if ranges.len() == 1 && coarsest_above {
                "every larger scale still stands out.".to_string()
            } else if ranges.len() > 3 {
                format!(
                    "of the larger scales, {} separate bands between {} and {} still stand out, with gaps where this picture has little power.",
                    ranges.len(),
                    px(ranges[0][0]),
                    px(ranges[ranges.len() - 1][1])
                )
            } else {
                let list: Vec<String> = ranges
                    .iter()
                    .map(|r| {
                        if (r[0] - r[1]).abs() < 1e-9 {
                            format!("about {}", px(r[0]))
                        } else {
                            format!("{} to {}", px(r[0]), px(r[1]))
                        }
                    })
                    .collect();
                format!(
                    "of the larger scales, only shapes of {} still stand out.",
                    list.join(" and ")
                )
            };
            format!(
                "Detail finer than about {} is now below the noise; {larger}{spread}",
                px(*period)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat_power(ms: f64) -> PicturePower {
        PicturePower {
            mean_square: ms,
            variance: ms,
        }
    }

    #[test]
    fn a_low_contrast_picture_is_outweighed_where_the_schedule_ratio_says_otherwise() {
        // The case: ᾱ = 0.6, E[x0²] = 0.3: 0.18 against 0.4.
        let r = power_readout(0.6, &flat_power(0.3));
        assert!((r.picture - 0.18).abs() < 1e-12 && (r.noise - 0.4).abs() < 1e-12);
        assert!(
            r.sentence.contains("noise now carries 2.2 times"),
            "{}",
            r.sentence
        );
        assert!(r.snr_db.unwrap() < 0.0 && r.schedule_snr_db.unwrap() > 0.0);
    }

    #[test]
    fn the_words_follow_the_measured_ratio_and_its_thresholds() {
        let at = |ratio: f64| {
            // ᾱ·1/(1 − ᾱ) = ratio for a picture of power 1.
            let a = ratio / (1.0 + ratio);
            power_readout(a, &flat_power(1.0)).sentence
        };
        assert!(at(20.0).contains("20 times the power of the noise"));
        assert!(at(3.0).contains("3.0 times the power of the noise"));
        assert!(at(1.1).contains("about equal"));
        assert!(at(0.9).contains("about equal"));
        // A ninefold difference is never "about equal".
        assert!(at(1.0 / 9.0).contains("9.0 times the power of the picture"));
        assert!(at(0.05).contains("faint trace"));
        assert!(at(0.001).contains("less than 1/300"));
        assert!(power_readout(1.0, &flat_power(0.3))
            .sentence
            .contains("untouched"));
        assert!(power_readout(0.5, &flat_power(0.0))
            .sentence
            .contains("no power"));
    }

    #[test]
    fn picture_power_includes_the_mean_and_its_variance_does_not() {
        let n = 16;
        let mut data = vec![0.5f32; 3 * n];
        data[0] = -0.5;
        let f = ImageField::from_planar(4, 4, data);
        let p = PicturePower::of(&f);
        assert!((p.mean_square - 0.25).abs() < 1e-9);
        // Channel 0: mean 0.4375, variance 0.25 − 0.4375²; others 0.
        let var0 = 0.25 - 0.4375f64.powi(2);
        assert!((p.variance - var0 / 3.0).abs() < 1e-9);
    }

    fn spectrum(power: &[f64]) -> RadialSpectrum {
        let k = power.len();
        RadialSpectrum {
            freq: (0..k).map(|i| 0.01 * 1.5f64.powi(i as i32)).collect(),
            power: power.to_vec(),
            count: vec![1; k],
        }
    }

    #[test]
    fn larger_shapes_stand_out_only_where_every_larger_scale_is_above_the_noise() {
        // Monotone: every scale coarser than the crossing is above.
        let mono = spectrum(&[100.0, 50.0, 20.0, 5.0, 0.5, 0.1]);
        let a = 0.5;
        let c = crate::image::power_spectrum::crossing(&mono, a);
        let s = spectrum_sentence(&mono, a, &c);
        assert!(s.contains("every larger scale still stands out"), "{s}");
        assert!(
            s.contains("times more power per frequency in broad shapes"),
            "{s}"
        );
        // Not monotone: a dip below the noise at a coarse scale.
        let dip = spectrum(&[100.0, 0.2, 20.0, 5.0, 0.5, 0.1]);
        let c = crate::image::power_spectrum::crossing(&dip, a);
        let s = spectrum_sentence(&dip, a, &c);
        assert!(!s.contains("every larger scale"), "{s}");
        assert!(s.contains("only shapes of") && s.contains(" and "), "{s}");
        // Many bands: counted, not listed.
        let comb = spectrum(&[9.0, 0.1, 9.0, 0.1, 9.0, 0.1, 9.0, 0.1, 9.0, 0.1, 0.1]);
        let s = spectrum_sentence(&comb, a, &crate::image::power_spectrum::crossing(&comb, a));
        assert!(s.contains("5 separate bands"), "{s}");
        // A few empty coarse bins do not turn broad shapes into fine detail.
        let blocky = spectrum(&[
            1e3, 1e-8, 1e2, 1e-8, 50.0, 20.0, 0.1, 0.05, 0.02, 0.01, 0.01, 0.01,
        ]);
        let w = spread_words(&blocky).unwrap();
        assert!(
            w.contains("more power per frequency in broad shapes"),
            "{w}"
        );
        assert_eq!(scales_above_noise(&dip, a).len(), 2);
        // Flat in frequency within a factor 1.5: "about as much".
        let even = spectrum(&[2.2, 2.1, 1.9, 2.0, 1.8, 1.9]);
        let a = 1.0 / 3.0;
        let s = spectrum_sentence(&even, a, &crate::image::power_spectrum::crossing(&even, a));
        assert!(s.contains("about as much power per frequency"), "{s}");
        // A ninefold difference is not "about as much".
        let nine = spectrum(&[9.0, 9.0, 9.0, 1.0, 1.0, 1.0]);
        let w = spread_words(&nine).unwrap();
        assert!(
            w.contains("9.0 times more power per frequency in broad shapes"),
            "{w}"
        );
    }
}
