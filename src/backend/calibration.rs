//! Which path each kernel takes, decided by measuring it. A page that has a
//! WebGPU device times one call of a kernel on the GPU and on the CPU
//! (WebAssembly) at the size it is used, then keeps the faster for the rest of
//! the session: small kernels can be faster on the CPU than a dispatch and a
//! read-back, and a weak or emulated adapter can be slower at everything.
//! Where the CPU path is an approximation (the patch denoiser's bounded item
//! set at 64 px), the exact GPU path is kept whatever the timing.

use serde::{Deserialize, Serialize};

/// One kernel timed on both paths.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KernelTiming {
    /// What was timed, in words ("the archive denoiser", "Griffin–Lim").
    pub kernel: String,
    /// The size it was timed at (pixels of the picture's edge, or iterations).
    pub size: u32,
    pub gpu_ms: f64,
    pub cpu_ms: f64,
    /// Whether the CPU computes the same result (not an approximation).
    pub exact_on_cpu: bool,
}

/// Where a kernel runs: the one representation of the path, which crosses
/// to the page as "gpu" or "cpu".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Path {
    /// wgpu: WebGPU in the browser, Vulkan natively.
    Gpu,
    /// The same Rust on the CPU (WebAssembly in the page).
    #[default]
    Cpu,
}

impl Path {
    /// "gpu" or "cpu", as the page and the settings line say it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Gpu => "gpu",
            Self::Cpu => "cpu",
        }
    }
}

impl std::fmt::Display for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl KernelTiming {
    /// The faster path; the GPU when the CPU would only approximate.
    pub fn choice(&self) -> Path {
        if self.exact_on_cpu && self.cpu_ms <= self.gpu_ms {
            Path::Cpu
        } else {
            Path::Gpu
        }
    }

    /// The decision and its reason, for the page.
    pub fn sentence(&self) -> String {
        let timed = format!(
            "{} at {} px took {:.1} ms on WebGPU and {:.1} ms on the CPU",
            self.kernel, self.size, self.gpu_ms, self.cpu_ms
        );
        match self.choice() {
            Path::Cpu => format!("Measured here: {timed}, so it runs on the CPU (WebAssembly) from now on."),
            Path::Gpu if self.exact_on_cpu => format!("Measured here: {timed}, so it stays on WebGPU."),
            Path::Gpu => format!("Measured here: {timed}; it stays on WebGPU, which computes it exactly where the CPU path approximates."),
        }
    }
}

/// The timings a scene has made this session, one per (kernel, size).
#[derive(Clone, Debug, Default)]
pub struct Calibrations {
    entries: Vec<KernelTiming>,
}

impl Calibrations {
    pub fn get(&self, kernel: &str, size: u32) -> Option<&KernelTiming> {
        self.entries
            .iter()
            .find(|e| e.kernel == kernel && e.size == size)
    }

    /// Records a timing (replacing an earlier one of the same kernel and size).
    pub fn record(&mut self, timing: KernelTiming) -> &KernelTiming {
        self.entries
            .retain(|e| !(e.kernel == timing.kernel && e.size == timing.size));
        self.entries.push(timing);
        self.entries.last().expect("just pushed")
    }

    /// Every timing, in the order made.
    pub fn all(&self) -> &[KernelTiming] {
        &self.entries
    }

    /// The path of a kernel at a size: None until it has been timed.
    pub fn path(&self, kernel: &str, size: u32) -> Option<Path> {
        self.get(kernel, size).map(KernelTiming::choice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing(gpu_ms: f64, cpu_ms: f64, exact_on_cpu: bool) -> KernelTiming {
        KernelTiming {
            kernel: "the archive denoiser".into(),
            size: 32,
            gpu_ms,
            cpu_ms,
            exact_on_cpu,
        }
    }

    #[test]
    fn the_faster_path_wins_unless_the_cpu_only_approximates() {
        assert_eq!(timing(41.0, 1.9, true).choice(), Path::Cpu);
        assert_eq!(timing(0.5, 1.9, true).choice(), Path::Gpu);
        assert_eq!(timing(41.0, 1.9, false).choice(), Path::Gpu);
        assert!(timing(41.0, 1.9, true)
            .sentence()
            .contains("runs on the CPU"));
        assert!(timing(41.0, 1.9, false).sentence().contains("approximates"));
    }

    #[test]
    fn a_scene_remembers_one_timing_per_kernel_and_size() {
        let mut c = Calibrations::default();
        assert_eq!(c.path("the archive denoiser", 32), None);
        c.record(timing(41.0, 1.9, true));
        c.record(timing(0.5, 1.9, true));
        assert_eq!(c.path("the archive denoiser", 32), Some(Path::Gpu));
        assert_eq!(c.path("the archive denoiser", 64), None);
    }
}
