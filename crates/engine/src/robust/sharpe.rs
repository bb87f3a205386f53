//! The Probabilistic Sharpe Ratio and the Deflated Sharpe Ratio (Bailey & López de Prado,
//! "The Deflated Sharpe Ratio: Correcting for Selection Bias, Backtest Overfitting and
//! Non-Normality", Journal of Portfolio Management 40(5), 2014). Formulas in
//! `docs/robustness.md`; every Sharpe ratio here is per period (not annualised).

use serde::{Deserialize, Serialize};

use super::stats::{normal_cdf, normal_quantile, ReturnStats};

/// The Euler–Mascheroni constant γ.
const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

/// PSR(SR*) = Φ((SR - SR*) √(T - 1) / √(1 - γ₃ SR + (γ₄ - 1)/4 SR²)): the probability that
/// the true Sharpe ratio exceeds `benchmark` given the observed one. `None` for T < 2 or
/// when the variance term is not positive.
pub fn probabilistic_sharpe(stats: &ReturnStats, benchmark: f64) -> Option<f64> {
    let sr = stats.sharpe;
    let t = stats.observations as f64;
    let denom = 1.0 - stats.skewness * sr + (stats.kurtosis - 1.0) / 4.0 * sr * sr;
    if t < 2.0 || denom <= 0.0 || !denom.is_finite() {
        return None;
    }
    let z = (sr - benchmark) * (t - 1.0).sqrt() / denom.sqrt();
    z.is_finite().then(|| normal_cdf(z))
}

/// E[max SR] over `trials` independent trials whose Sharpe ratios have variance `variance`:
/// SR₀ = √V ((1 - γ) Φ⁻¹(1 - 1/N) + γ Φ⁻¹(1 - 1/(N e))). 0 for one trial.
pub fn expected_max_sharpe(trials: u64, variance: f64) -> f64 {
    if trials < 2 || variance <= 0.0 {
        return 0.0;
    }
    let n = trials as f64;
    variance.sqrt()
        * ((1.0 - EULER_GAMMA) * normal_quantile(1.0 - 1.0 / n)
            + EULER_GAMMA * normal_quantile(1.0 - 1.0 / (n * std::f64::consts::E)))
}

/// Every trial of a strategy, summarised: how many, and the per-period Sharpe ratios of
/// those that have one (count, sum, sum of squares), for their variance.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Trials {
    /// Backtests and sweep rows run, each one trial.
    pub count: u64,
    /// Trials with a defined Sharpe ratio.
    pub sharpe_count: u64,
    /// Sum of their per-period Sharpe ratios.
    pub sharpe_sum: f64,
    /// Sum of their squares.
    pub sharpe_sum_sq: f64,
}

impl Trials {
    /// Trials of these per-period Sharpe ratios (`None` = a trial without one).
    pub fn of(sharpes: impl IntoIterator<Item = Option<f64>>) -> Trials {
        let mut t = Trials::default();
        for s in sharpes {
            t.count += 1;
            if let Some(s) = s.filter(|s| s.is_finite()) {
                t.sharpe_count += 1;
                t.sharpe_sum += s;
                t.sharpe_sum_sq += s * s;
            }
        }
        t
    }

    /// Adds another batch of trials.
    pub fn add(&mut self, o: &Trials) {
        self.count += o.count;
        self.sharpe_count += o.sharpe_count;
        self.sharpe_sum += o.sharpe_sum;
        self.sharpe_sum_sq += o.sharpe_sum_sq;
    }

    /// Sample variance (ddof 1) of the trials' Sharpe ratios; `None` for fewer than two.
    pub fn variance(&self) -> Option<f64> {
        if self.sharpe_count < 2 {
            return None;
        }
        let n = self.sharpe_count as f64;
        let mean = self.sharpe_sum / n;
        Some(((self.sharpe_sum_sq - n * mean * mean) / (n - 1.0)).max(0.0))
    }
}

/// The Deflated Sharpe Ratio of one result and what went into it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Deflated {
    /// DSR = PSR(SR₀): the probability that the true Sharpe ratio is above what the best of
    /// `trials` skill-less trials would show.
    pub deflated_sharpe: f64,
    /// PSR(0): the probability that the true Sharpe ratio is positive.
    pub probabilistic_sharpe: f64,
    /// SR₀, the expected maximum per-period Sharpe ratio of the trials.
    pub expected_max_sharpe: f64,
    /// Trials counted (N).
    pub trials: u64,
    /// Variance of the trials' per-period Sharpe ratios.
    pub sharpe_variance: f64,
    /// Observations (T), per-period Sharpe ratio, skewness and kurtosis of the result.
    pub observations: usize,
    /// The result's per-period Sharpe ratio.
    pub sharpe: f64,
}

/// DSR of a result with return statistics `stats` among `trials`. With one trial SR₀ = 0
/// (DSR = PSR(0)); with more, the variance of their Sharpe ratios must be known (two or more
/// of them have one). `None` when PSR is undefined.
pub fn deflated_sharpe(stats: &ReturnStats, trials: &Trials) -> Option<Deflated> {
    let n = trials.count.max(1);
    let variance = if n < 2 { 0.0 } else { trials.variance()? };
    let sr0 = expected_max_sharpe(n, variance);
    Some(Deflated {
        deflated_sharpe: probabilistic_sharpe(stats, sr0)?,
        probabilistic_sharpe: probabilistic_sharpe(stats, 0.0)?,
        expected_max_sharpe: sr0,
        trials: n,
        sharpe_variance: variance,
        observations: stats.observations,
        sharpe: stats.sharpe,
    })
}
