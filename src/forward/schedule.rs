//! Noise schedules: how much of the signal survives at timestep t.
//!
//! A schedule is a sequence ᾱ_0 = 1 > ᾱ_1 > … > ᾱ_T, where x_t = √ᾱ_t·x_0 + √(1−ᾱ_t)·ε.
//! Timestep 0 is the clean image; T the end of the forward process.

use serde::{Deserialize, Serialize};

/// Number of diffusion steps used by DDPM and by Nichol & Dhariwal.
pub const DEFAULT_STEPS: u32 = 1000;

/// Which published schedule to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScheduleKind {
    /// Ho, Jain & Abbeel (2020): β_t linear from 1e-4 to 0.02 over T = 1000 steps.
    Linear,
    /// Nichol & Dhariwal (2021): ᾱ(t) = f(t)/f(0), f(t) = cos²(((t/T + s)/(1 + s))·π/2),
    /// s = 0.008, with each β_t clipped at 0.999.
    Cosine,
}

impl ScheduleKind {
    /// Parses "linear" or "cosine" (as used in the page and URLs).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "linear" => Some(Self::Linear),
            "cosine" => Some(Self::Cosine),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Linear => "linear",
            Self::Cosine => "cosine",
        }
    }
}

/// Linear schedule endpoints from DDPM.
pub const LINEAR_BETA_START: f64 = 1e-4;
pub const LINEAR_BETA_END: f64 = 0.02;
/// Offset that keeps β small near t = 0 in the cosine schedule.
pub const COSINE_S: f64 = 0.008;
/// Largest β allowed in the cosine schedule (prevents the singularity at t = T).
pub const COSINE_MAX_BETA: f64 = 0.999;

/// A discrete schedule with its cumulative products precomputed in f64.
#[derive(Clone, Debug)]
pub struct Schedule {
    kind: ScheduleKind,
    /// alpha_bar[t] for t = 0..=T, alpha_bar[0] = 1.
    alpha_bar: Vec<f64>,
}

impl Schedule {
    pub fn new(kind: ScheduleKind, steps: u32) -> Self {
        assert!(steps >= 2, "a schedule needs at least two steps");
        let t_max = f64::from(steps);
        let betas: Vec<f64> = match kind {
            ScheduleKind::Linear => (0..steps)
                .map(|i| {
                    LINEAR_BETA_START
                        + (LINEAR_BETA_END - LINEAR_BETA_START) * f64::from(i) / (t_max - 1.0)
                })
                .collect(),
            ScheduleKind::Cosine => (0..steps)
                .map(|i| {
                    let a1 = cosine_f(f64::from(i), t_max);
                    let a2 = cosine_f(f64::from(i + 1), t_max);
                    (1.0 - a2 / a1).min(COSINE_MAX_BETA)
                })
                .collect(),
        };
        let mut alpha_bar = Vec::with_capacity(steps as usize + 1);
        let mut acc = 1.0f64;
        alpha_bar.push(acc);
        for beta in betas {
            acc *= 1.0 - beta;
            alpha_bar.push(acc);
        }
        Self { kind, alpha_bar }
    }

    pub fn kind(&self) -> ScheduleKind {
        self.kind
    }

    /// T, the last timestep.
    pub fn steps(&self) -> u32 {
        (self.alpha_bar.len() - 1) as u32
    }

    /// ᾱ_t, the share of signal variance left at timestep t (t is clamped to 0..=T).
    pub fn alpha_bar(&self, t: u32) -> f64 {
        self.alpha_bar[(t as usize).min(self.alpha_bar.len() - 1)]
    }

    /// β_t = 1 − ᾱ_t/ᾱ_{t−1} for t ≥ 1.
    pub fn beta(&self, t: u32) -> f64 {
        let t = t.clamp(1, self.steps());
        1.0 - self.alpha_bar(t) / self.alpha_bar(t - 1)
    }

    /// Signal-to-noise ratio ᾱ/(1 − ᾱ) (infinite at t = 0).
    pub fn snr(&self, t: u32) -> f64 {
        let a = self.alpha_bar(t);
        a / (1.0 - a)
    }

    /// The amplitudes and SNR the scene shows at t.
    pub fn mix(&self, t: u32) -> Mix {
        Mix::from_alpha_bar(self.alpha_bar(t))
    }
}

fn cosine_f(t: f64, t_max: f64) -> f64 {
    let x = (t / t_max + COSINE_S) / (1.0 + COSINE_S) * std::f64::consts::FRAC_PI_2;
    x.cos().powi(2)
}

/// The weights of x_t = signal·x_0 + noise·ε at one timestep.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Mix {
    pub alpha_bar: f64,
    /// √ᾱ: the amplitude of the image.
    pub signal: f64,
    /// √(1 − ᾱ): the amplitude of the noise.
    pub noise: f64,
    /// 10·log10(ᾱ/(1 − ᾱ)); +∞ at t = 0 (serialised as null there).
    pub snr_db: f64,
}

impl Mix {
    pub fn from_alpha_bar(alpha_bar: f64) -> Self {
        let alpha_bar = alpha_bar.clamp(0.0, 1.0);
        Self {
            alpha_bar,
            signal: alpha_bar.sqrt(),
            noise: (1.0 - alpha_bar).sqrt(),
            snr_db: 10.0 * (alpha_bar / (1.0 - alpha_bar)).log10(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn linear_schedule_matches_its_closed_form_product() {
        let s = Schedule::new(ScheduleKind::Linear, 1000);
        assert_eq!(s.alpha_bar(0), 1.0);
        assert!(close(s.alpha_bar(1), 1.0 - 1e-4, 1e-12));
        // ᾱ_t = Π_{i<t} (1 − β_i), with β_i = 1e-4 + (0.02 − 1e-4)·i/999, evaluated as exp Σ ln.
        for t in [1u32, 10, 100, 250, 500, 750, 1000] {
            let log_sum: f64 = (0..t)
                .map(|i| (1.0 - (1e-4 + (0.02 - 1e-4) * f64::from(i) / 999.0)).ln())
                .sum();
            assert!(close(s.alpha_bar(t), log_sum.exp(), 1e-10), "t = {t}");
        }
        // Reference values computed independently in Python (f64 running product).
        assert!(close(s.alpha_bar(1000), 4.035_829_765_375_675e-5, 1e-9));
        assert!(close(s.alpha_bar(500), 7.858_724_288_177_821e-2, 1e-9));
        assert!(close(s.beta(1000), 0.02, 1e-9));
    }

    #[test]
    fn cosine_schedule_matches_the_closed_form_before_clipping() {
        let s = Schedule::new(ScheduleKind::Cosine, 1000);
        let f = |t: f64| {
            (((t / 1000.0 + 0.008) / 1.008) * std::f64::consts::FRAC_PI_2)
                .cos()
                .powi(2)
        };
        for t in [0u32, 1, 100, 500, 900, 990] {
            assert!(
                close(s.alpha_bar(t), f(f64::from(t)) / f(0.0), 1e-9),
                "t = {t}: {} vs {}",
                s.alpha_bar(t),
                f(f64::from(t)) / f(0.0)
            );
        }
        // Halfway, cos²(0.508/1.008·π/2)/cos²(0.008/1.008·π/2), computed in Python.
        assert!(close(s.alpha_bar(500), 0.493_843_590_440_637_75, 1e-9));
        // The last β is clipped at 0.999, so ᾱ_T is tiny but not exactly zero.
        assert!(close(s.beta(1000), 0.999, 1e-12));
        assert!(s.alpha_bar(1000) > 0.0 && s.alpha_bar(1000) < 1e-8);
    }

    #[test]
    fn schedules_decrease_monotonically() {
        for kind in [ScheduleKind::Linear, ScheduleKind::Cosine] {
            let s = Schedule::new(kind, 1000);
            for t in 1..=1000 {
                assert!(s.alpha_bar(t) < s.alpha_bar(t - 1), "{kind:?} t = {t}");
            }
        }
    }

    #[test]
    fn mix_reports_amplitudes_and_snr_in_decibels() {
        let m = Mix::from_alpha_bar(0.5);
        assert!(close(m.signal, 0.5f64.sqrt(), 1e-15));
        assert!(close(m.noise, 0.5f64.sqrt(), 1e-15));
        assert!(m.snr_db.abs() < 1e-12);
        let m = Mix::from_alpha_bar(0.990_099_01);
        assert!(close(m.snr_db, 20.0, 1e-6));
        assert!(Mix::from_alpha_bar(1.0).snr_db.is_infinite());
    }

    #[test]
    fn schedule_names_round_trip() {
        for kind in [ScheduleKind::Linear, ScheduleKind::Cosine] {
            assert_eq!(ScheduleKind::parse(kind.name()), Some(kind));
        }
        assert_eq!(ScheduleKind::parse("quadratic"), None);
    }
}
