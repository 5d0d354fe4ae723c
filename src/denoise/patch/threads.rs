//! One call on several native threads, each taking every n-th item.

use super::partial::*;
use super::shape::*;
use super::step::*;
use crate::archive::dataset::Dataset;
use crate::denoise::Denoised;

/// The same on `threads` threads (natively; the page uses Web Workers the
/// same way): each takes every n-th candidate and their shares merge
/// ([`PatchPartial::merge`]), equal to one thread within float order. Here
/// each thread also probes only its own items for the seed, and the seeds
/// are joined before the items are added (the same maxima as one seed from
/// all of them, each thread probing half as much at 2 threads); the page's workers,
/// which share no memory, each seed from every item.
#[cfg(not(target_arch = "wasm32"))]
pub fn denoise_threads(
    set: &Dataset,
    x_t: &[f32],
    alpha_bar: f64,
    shape: PatchShape,
    tag: Option<&[bool]>,
    candidates: &[usize],
    threads: usize,
) -> Denoised {
    let threads = threads.clamp(1, candidates.len().max(1));
    let share = |k: usize| candidates.iter().copied().skip(k).step_by(threads);
    // Each thread seeds from its own share of the items, then every share
    // starts from all the seeds (the probes are not repeated per thread).
    let mut steps: Vec<PatchStep> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|k| {
                scope.spawn(move || {
                    let mut step = PatchStep::new(set, x_t, alpha_bar, shape, tag, candidates);
                    step.seed_from(set, &share(k).collect::<Vec<_>>());
                    step
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a patch thread seeds"))
            .collect()
    });
    let (head, tail) = steps.split_first_mut().expect("at least one thread");
    for other in tail.iter() {
        head.join_seeds(other);
    }
    for other in tail.iter_mut() {
        other.join_seeds(head);
    }
    let parts: Vec<PatchPartial> = std::thread::scope(|scope| {
        let handles: Vec<_> = steps
            .into_iter()
            .enumerate()
            .map(|(k, mut step)| {
                scope.spawn(move || {
                    for i in share(k) {
                        step.add_item(set, i);
                    }
                    step.into_partial()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a patch thread finishes"))
            .collect()
    });
    PatchPartial::merge_all(parts)
        .expect("at least one thread")
        .into_denoised(Vec::new())
}
