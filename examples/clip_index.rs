//! Prints every sound's coarse spectrum (`diffusion::track::coarse_spectrum`
//! of its picture, as the page computes it) as JSON `{id: [16 values]}`,
//! rounded to 0.001: `tools/archive/add_spectra.py` writes it into the
//! manifest.
//!
//! ```text
//! cargo run --release --example clip_index -- www/archive > spectra.json
//! ```

use std::path::PathBuf;

use hypothetical::archive::Manifest;
use hypothetical::audio::spectrogram::sound_pictures;
use hypothetical::denoise::track::frame_major;
use hypothetical::diffusion::track::{coarse_spectrum, ROWS};

fn main() {
    let root = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "www/archive".into()),
    );
    let fail = |e: String| -> ! {
        eprintln!("{e}");
        std::process::exit(2)
    };
    // Not `Manifest::load`: it validates, and the spectra are not written yet.
    let json =
        std::fs::read_to_string(root.join("manifest.json")).unwrap_or_else(|e| fail(e.to_string()));
    let manifest = Manifest::parse(&json).unwrap_or_else(|e| fail(e.to_string()));
    let (set, _) = sound_pictures(&manifest, &root).unwrap_or_else(|e| fail(e));
    let mut out = serde_json::Map::new();
    for i in 0..set.len() {
        let spectrum = coarse_spectrum(&frame_major(set.item(i), ROWS), ROWS);
        let rounded: Vec<serde_json::Value> = spectrum
            .iter()
            .map(|v| serde_json::json!((f64::from(*v) * 1000.0).round() / 1000.0))
            .collect();
        out.insert(set.id(i).to_string(), serde_json::Value::Array(rounded));
    }
    println!("{}", serde_json::Value::Object(out));
}
