//! Patch sizes and candidates: the policy the CPU machine and its GPU twin
//! (`src/gpu/patch.wgsl`) share.

/// Log-weights this far below their accumulator's running maximum are not
/// accumulated: e^−30 ≈ 9·10⁻¹⁴, below f32's resolution of any weight sum.
pub const CUTOFF: f32 = 30.0;

/// The smallest patch (3 × 3 pixels).
pub const MIN_PATCH: u32 = 3;

/// The largest patch Kamb & Ganguli report on 32 × 32 pictures.
pub const PAPER_LARGEST_AT_32: u32 = 17;

/// Which archive patches are candidates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Border {
    /// Only patches lying wholly inside an item (the published machine).
    #[default]
    Interior,
    /// Every position, windows wrapping around the item's edges.
    Wrap,
}

impl Border {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "interior" => Some(Self::Interior),
            "wrap" => Some(Self::Wrap),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Interior => "interior",
            Self::Wrap => "wrap",
        }
    }

    /// What the page says about the candidates.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Interior => "Candidate patches lie wholly inside each archive picture, as in Kamb & Ganguli's machine; only the noisy picture wraps around.",
            Self::Wrap => "Candidate patches may wrap around each archive picture's edges, joining opposite edges (an option of ours).",
        }
    }
}

/// A patch size and which candidates it is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PatchShape {
    pub size: u32,
    pub border: Border,
    /// Locality in position: candidates only at displacements |dx|, |dy| ≤ this
    /// radius from each pixel's own position. None: every position (the
    /// published, translation-equivariant machine).
    pub window: Option<u32>,
}

impl PatchShape {
    /// Every position is a candidate.
    pub fn everywhere(size: u32, border: Border) -> Self {
        Self {
            size,
            border,
            window: None,
        }
    }

    /// The displacements compared along one axis at edge S: (count, first
    /// displacement mod S). Every displacement, or 2W + 1 of them from −W.
    pub fn displacements(&self, edge: u32) -> (u32, u32) {
        match self.window {
            Some(w) if 2 * w + 1 < edge => (2 * w + 1, edge - w),
            _ => (edge, 0),
        }
    }
}

/// Pictures larger than this (in px) take candidates from a window around
/// each pixel's own position ([`position_window`]); smaller ones from everywhere.
pub const WINDOWED_ABOVE: u32 = 64;

/// The window of candidate positions at 128 px: the patch radius, at least 2
/// px. A window as wide as the patch's radius is the smallest that leaves
/// every pixel an interior candidate (a pixel at the edge reaches the first
/// centre r px in). Work per item and step is S²·(2W + 1)².
pub fn position_window(size: u32) -> u32 {
    ((size - 1) / 2).max(2)
}

/// The largest patch at edge S: the paper's radius of 8 at 32 px scaled with
/// the picture (17 at 32 px, 33 at 64, 65 at 128), below S.
pub fn largest_patch(edge: u32) -> u32 {
    let radius = (f64::from(PAPER_LARGEST_AT_32 / 2) * f64::from(edge) / 32.0).round() as u32;
    let below = if edge.is_multiple_of(2) {
        edge - 1
    } else {
        edge - 2
    };
    (2 * radius + 1).clamp(MIN_PATCH, below.max(MIN_PATCH))
}

/// Patch size at timestep t of T: odd, linear from [`largest_patch`] at T to 3 at 0.
pub fn patch_size(edge: u32, t: u32, t_max: u32) -> u32 {
    let largest = largest_patch(edge);
    let frac = f64::from(t.min(t_max)) / f64::from(t_max.max(1));
    let p = f64::from(MIN_PATCH) + f64::from(largest - MIN_PATCH) * frac;
    // Nearest odd size.
    let odd = 2 * (((p - 1.0) / 2.0).round() as u32) + 1;
    odd.clamp(MIN_PATCH, largest)
}

/// The items the patch denoiser uses: all of them when the budget allows.
/// Otherwise the items the archive posterior ranks highest, split between the
/// two sides of the guidance formula x̂0 = x̂0_all + w·(x̂0_tag − x̂0_all): with
/// a tag and w = 1 only x̂0_tag counts, so every place goes to the tag's
/// items; with w = 0 (or no tag) every place goes to the whole archive;
/// otherwise half (rounded up) go to the tag's items and the rest to the whole
/// archive. The tag's side always gets at least one item.
pub fn patch_candidates(
    posterior: &[f32],
    tag: Option<&[bool]>,
    guidance: f32,
    limit: usize,
) -> Vec<usize> {
    let n = posterior.len();
    if limit >= n {
        return (0..n).collect();
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| posterior[b].total_cmp(&posterior[a]).then(a.cmp(&b)));
    let mut chosen = Vec::with_capacity(limit);
    if let Some(mask) = tag {
        let tagged = if guidance == 1.0 {
            limit
        } else if guidance == 0.0 {
            1
        } else {
            limit.div_ceil(2)
        };
        chosen.extend(order.iter().copied().filter(|&i| mask[i]).take(tagged));
    }
    for &i in &order {
        if chosen.len() >= limit {
            break;
        }
        if !chosen.contains(&i) {
            chosen.push(i);
        }
    }
    chosen.sort_unstable();
    chosen
}
