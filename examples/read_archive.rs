//! How well the recognisers read pictures they have never seen: each archive
//! item is read against the other 66 (leave-one-out), by the patch reader
//! (`diffusion::reading`) at several noise levels and patch sizes, and by the
//! whole-picture recogniser p(tag | x_t) at x_t = √ᾱ·x. Prints, per setting,
//! the mean probability given to the item's own tags and how many items get
//! one of their own tags as the most probable; then reads any PNG given.
//!
//!   cargo run --release --example read_archive -- [picture.png ...]

use hypothetical::archive::dataset::{load_archive, Dataset};
use hypothetical::denoise::archive::posterior;
use hypothetical::denoise::patch::{Border, PatchShape};
use hypothetical::diffusion::cpu::PatchJob;
use hypothetical::diffusion::reading::{self, item_weights, leave_one_out, READ_EDGE};

fn patch_reader(a: f64, size: u32) -> impl Fn(&Dataset, &[f32]) -> Vec<f32> {
    move |set, x| {
        let job = PatchJob {
            edge: set.edge(),
            x_t: x.iter().map(|v| a.sqrt() as f32 * v).collect(),
            alpha_bar: a,
            shape: PatchShape::everywhere(size, Border::Interior),
            candidates: (0..set.len()).collect(),
            tag: None,
        };
        item_weights(&job.share(set, 0, 1).finish().2)
    }
}

fn whole_reader(a: f64) -> impl Fn(&Dataset, &[f32]) -> Vec<f32> {
    move |set, x| {
        let xt: Vec<f32> = x.iter().map(|v| a.sqrt() as f32 * v).collect();
        posterior(set, &xt, a)
    }
}

fn main() {
    let set = load_archive(std::path::Path::new("www/archive"), READ_EDGE).expect("the archive");
    let n = set.len();
    println!("leave-one-out over {n} items: mean p(own tags), top tag one of its own");
    for (a, size) in [(0.9, 5), (0.9, 9), (0.5, 5), (0.99, 5), (0.99, 9)] {
        let (own, right) = leave_one_out(&set, patch_reader(a, size));
        println!("  patch reader ᾱ = {a:<4} {size} px: {own:.3}, {right}/{n}");
    }
    for a in [0.99, 0.9, 0.5, 0.2] {
        let (own, right) = leave_one_out(&set, whole_reader(a));
        println!("  whole picture ᾱ = {a:<4}:      {own:.3}, {right}/{n}");
    }
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).expect("a readable PNG");
        let mut one = Dataset::new(READ_EDGE).expect("32 px");
        one.push_png("picture", &[], &bytes)
            .expect("a PNG whose sides are multiples of 32");
        let weights = reading::read(&set, one.item(0), READ_EDGE).expect("read");
        let bars: Vec<String> = reading::reading_bars(&set, &weights, 4)
            .iter()
            .map(|b| format!("{} {:.2}", b.tag, b.p))
            .collect();
        println!("{path}: {}", bars.join(", "));
    }
}
