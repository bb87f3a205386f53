//! The standard normal distribution and moments of a return series.

use std::f64::consts::{PI, SQRT_2};

/// Φ(x), the standard normal cumulative distribution: `erfc(-x / √2) / 2`.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / SQRT_2)
}

/// Φ⁻¹(p), the standard normal quantile: Acklam's rational approximation (relative error
/// below 1.2e-9) refined by one Halley step on [`normal_cdf`], which brings it to about the
/// last bit. `-∞` at 0, `+∞` at 1, NaN outside [0, 1].
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const LOW: f64 = 0.024_25;
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let x = if p < LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - LOW {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    // Halley's step: e = Φ(x) - p, u = e / φ(x).
    let e = normal_cdf(x) - p;
    let u = e * (2.0 * PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// Count, sum and sum of squares of some returns: enough to combine blocks of a series and
/// get the mean and standard deviation of their union.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Moments {
    /// Number of returns.
    pub n: f64,
    /// Their sum.
    pub sum: f64,
    /// The sum of their squares.
    pub sum_sq: f64,
}

impl Moments {
    /// The moments of `x`.
    pub fn of(x: &[f64]) -> Moments {
        x.iter().fold(Moments::default(), |m, &v| Moments {
            n: m.n + 1.0,
            sum: m.sum + v,
            sum_sq: m.sum_sq + v * v,
        })
    }

    /// Adds another block's moments.
    pub fn add(&mut self, o: &Moments) {
        self.n += o.n;
        self.sum += o.sum;
        self.sum_sq += o.sum_sq;
    }

    /// `mean / sample standard deviation` (ddof 1); `None` for fewer than two returns or no
    /// dispersion.
    pub fn sharpe(&self) -> Option<f64> {
        if self.n < 2.0 {
            return None;
        }
        let mean = self.sum / self.n;
        let var = (self.sum_sq - self.n * mean * mean) / (self.n - 1.0);
        (var > 0.0)
            .then(|| mean / var.sqrt())
            .filter(|s| s.is_finite())
    }
}

/// What the Probabilistic and Deflated Sharpe ratios need of a return series: its length,
/// its per-period Sharpe ratio and the shape of its distribution.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReturnStats {
    /// Number of returns, T.
    pub observations: usize,
    /// Mean return.
    pub mean: f64,
    /// Sample standard deviation (ddof 1).
    pub std: f64,
    /// `mean / std`, not annualised.
    pub sharpe: f64,
    /// Skewness γ₃ = m₃ / m₂^{3/2} (central moments mₖ = mean((r - mean)^k)).
    pub skewness: f64,
    /// Kurtosis γ₄ = m₄ / m₂² (3 for a normal distribution; not the excess).
    pub kurtosis: f64,
}

impl ReturnStats {
    /// The statistics of `returns`; `None` for fewer than three returns or no dispersion.
    pub fn of(returns: &[f64]) -> Option<ReturnStats> {
        let n = returns.len();
        if n < 3 {
            return None;
        }
        let nf = n as f64;
        let mean = returns.iter().sum::<f64>() / nf;
        let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
        for &r in returns {
            let d = r - mean;
            let d2 = d * d;
            m2 += d2;
            m3 += d2 * d;
            m4 += d2 * d2;
        }
        let (m2, m3, m4) = (m2 / nf, m3 / nf, m4 / nf);
        if m2 <= 0.0 || !m2.is_finite() {
            return None;
        }
        let std = (m2 * nf / (nf - 1.0)).sqrt();
        Some(ReturnStats {
            observations: n,
            mean,
            std,
            sharpe: mean / std,
            skewness: m3 / m2.powf(1.5),
            kurtosis: m4 / (m2 * m2),
        })
    }
}

/// Keys under which a stored run keeps its [`ReturnStats`] among its metrics: the daily
/// returns' count, per-period Sharpe ratio, skewness and kurtosis.
pub const STATS_KEYS: [&str; 4] = [
    "daily_returns",
    "daily_sharpe",
    "daily_skewness",
    "daily_kurtosis",
];

impl ReturnStats {
    /// The daily-return statistics of a run's close-marked equity over bar times `time`.
    pub fn of_equity(time: &[i64], equity: &[f64]) -> Option<ReturnStats> {
        let ends = super::returns::day_ends(time);
        ReturnStats::of(&super::returns::daily_returns(equity, &ends))
    }

    /// The entries a run stores among its metrics (`null`s when there are no statistics).
    pub fn metric_entries(stats: Option<&ReturnStats>) -> [(&'static str, serde_json::Value); 4] {
        match stats {
            Some(s) => [
                (STATS_KEYS[0], serde_json::json!(s.observations)),
                (STATS_KEYS[1], serde_json::json!(s.sharpe)),
                (STATS_KEYS[2], serde_json::json!(s.skewness)),
                (STATS_KEYS[3], serde_json::json!(s.kurtosis)),
            ],
            None => STATS_KEYS.map(|k| (k, serde_json::Value::Null)),
        }
    }

    /// The statistics stored among a run's metrics, if it has them (mean and standard
    /// deviation are not stored: NaN).
    pub fn from_metrics(metrics: &serde_json::Value) -> Option<ReturnStats> {
        let f = |k: &str| metrics.get(k).and_then(serde_json::Value::as_f64);
        Some(ReturnStats {
            observations: f(STATS_KEYS[0])? as usize,
            mean: f64::NAN,
            std: f64::NAN,
            sharpe: f(STATS_KEYS[1])?,
            skewness: f(STATS_KEYS[2])?,
            kurtosis: f(STATS_KEYS[3])?,
        })
    }
}

/// The value at fraction `q` (0..=1) of sorted `sorted` by linear interpolation between the
/// nearest ranks (position `q × (n - 1)`, numpy's default); NaN for no values.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let pos = q.clamp(0.0, 1.0) * (n - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let w = pos - lo as f64;
    sorted[lo] + (sorted[hi] - sorted[lo]) * w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_inverts_the_cdf() {
        for p in [
            1e-12, 1e-6, 0.001, 0.02, 0.1, 0.3, 0.5, 0.77, 0.975, 0.999_999,
        ] {
            let x = normal_quantile(p);
            assert!((normal_cdf(x) - p).abs() <= 1e-15_f64.max(p * 1e-13), "{p}");
        }
        assert_eq!(normal_quantile(0.5), 0.0);
        assert!(normal_quantile(-0.1).is_nan());
    }

    #[test]
    fn moments_of_a_union_are_the_moments_of_the_concatenation() {
        let a = [0.01, -0.02, 0.03];
        let b = [0.005, 0.0, -0.01, 0.02];
        let mut m = Moments::of(&a);
        m.add(&Moments::of(&b));
        let all: Vec<f64> = a.iter().chain(&b).copied().collect();
        let s = ReturnStats::of(&all).map(|r| r.sharpe);
        let got = m.sharpe();
        assert!(matches!((got, s), (Some(x), Some(y)) if (x - y).abs() < 1e-12));
        assert_eq!(Moments::of(&[1.0, 1.0]).sharpe(), None);
    }
}
