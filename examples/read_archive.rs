//! How well the diffusion classifier (`diffusion::reading`) reads pictures
//! it has never seen: archive items read against the rest of the archive
//! (leave-one-out, every `--every`-th picture), then any PNG given.
//!
//!   cargo run --release --example read_archive -- [--every 20] [picture.png ...]

use std::time::Instant;

use hypothetical::archive::dataset::{load_archive, Dataset};
use hypothetical::diffusion::reading::{self, leave_one_out, READ_EDGE};

fn main() {
    let mut every = 20usize;
    let mut files = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--every" {
            every = args.next().and_then(|v| v.parse().ok()).expect("--every N");
        } else {
            files.push(a);
        }
    }
    let set = load_archive(std::path::Path::new("www/archive"), READ_EDGE).expect("the archive");
    let items: Vec<usize> = (0..set.len()).step_by(every.max(1)).collect();
    let started = Instant::now();
    let (first, three, counted) = leave_one_out(&set, &items);
    println!(
        "leave-one-out, every {every}th of {} pictures ({counted} of {} with a readable tag): \
         one of the item's own tags first for {first} ({:.0} %), in the first three for {three} ({:.0} %); {:.2} s a picture",
        set.len(),
        items.len(),
        100.0 * first as f64 / counted.max(1) as f64,
        100.0 * three as f64 / counted.max(1) as f64,
        started.elapsed().as_secs_f64() / items.len().max(1) as f64
    );
    for path in files {
        let bytes = std::fs::read(&path).expect("a readable PNG");
        let mut one = Dataset::new(READ_EDGE).expect("32 px");
        one.push_png("picture", &[], &bytes)
            .expect("a PNG whose sides are multiples of 32");
        let bars = reading::read(&set, one.item(0), READ_EDGE, None, 4).expect("read");
        let words: Vec<String> = bars
            .iter()
            .map(|b| format!("{} {:.2}", b.tag, b.p))
            .collect();
        println!("{path}: {}", words.join(", "));
    }
}
