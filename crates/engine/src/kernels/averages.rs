//! Adaptive and multiple-EMA averages: KAMA, DEMA, TEMA and T3, as TA-Lib computes them.

use serde::{Deserialize, Serialize};

use super::ta_zero;
use crate::indicators::EmaState;

/// Kaufman adaptive moving average (TA-Lib KAMA): efficiency ratio
/// `ER = |x[t] − x[t−n]| / Σ|x[i] − x[i−1]|` over the last n changes (1 when the sum is 0 or
/// not above the net change), smoothing `sc = (ER · (2/3 − 2/31) + 2/31)²`,
/// `KAMA[t] = KAMA[t−1] + sc · (x[t] − KAMA[t−1])`, started from `x[n−1]`. Missing values are
/// skipped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KamaState {
    period: usize,
    /// The last `n + 2` valid values, oldest first.
    last: std::collections::VecDeque<f64>,
    count: usize,
    sum_roc: f64,
    kama: f64,
}

impl KamaState {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            period: n.max(1),
            last: std::collections::VecDeque::new(),
            count: 0,
            sum_roc: 0.0,
            kama: 0.0,
        }
    }

    pub(crate) fn update(&mut self, x: f64) -> f64 {
        if !x.is_finite() {
            return f64::NAN;
        }
        let n = self.period;
        let k = self.count;
        self.count += 1;
        self.last.push_back(x);
        if self.last.len() > n + 2 {
            self.last.pop_front();
        }
        let len = self.last.len();
        let back = |j: usize| self.last[len - 1 - j];
        if k >= 1 && k <= n {
            self.sum_roc += (back(1) - back(0)).abs();
        }
        if k < n {
            return f64::NAN;
        }
        let prev_kama = if k == n { back(1) } else { self.kama };
        if k > n {
            self.sum_roc -= (back(n + 1) - back(n)).abs();
            self.sum_roc += (back(0) - back(1)).abs();
        }
        let period_roc = back(0) - back(n);
        let er = if self.sum_roc <= period_roc || ta_zero(self.sum_roc) {
            1.0
        } else {
            (period_roc / self.sum_roc).abs()
        };
        const MAX: f64 = 2.0 / (30.0 + 1.0);
        let diff = 2.0 / (2.0 + 1.0) - MAX;
        let mut sc = er * diff + MAX;
        sc *= sc;
        self.kama = (x - prev_kama) * sc + prev_kama;
        self.kama
    }
}

/// Chains of EMAs combined linearly: DEMA `2·E1 − E2`, TEMA `3·E1 − 3·E2 + E3`, and T3
/// `c1·E6 + c2·E5 + c3·E4 + c4·E3` with `a` the volume factor, `c1 = −a³`,
/// `c2 = 3a² + 3a³`, `c3 = −6a² − 3a − 3a³`, `c4 = 1 + 3a + a³ + 3a²`. Each EMA is seeded
/// with the mean of the first n values of the one before (TA-Lib).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmasState {
    emas: Vec<EmaState>,
    /// Weights of E1..E6 (zero where unused); `depth` EMAs are run.
    weights: [f64; 6],
}

impl EmasState {
    fn with(n: usize, weights: [f64; 6]) -> Self {
        let depth = weights.iter().rposition(|&w| w != 0.0).map_or(1, |i| i + 1);
        Self {
            emas: (0..depth).map(|_| EmaState::new(n)).collect(),
            weights,
        }
    }

    pub(crate) fn dema(n: usize) -> Self {
        Self::with(n, [2.0, -1.0, 0.0, 0.0, 0.0, 0.0])
    }

    pub(crate) fn tema(n: usize) -> Self {
        Self::with(n, [3.0, -3.0, 1.0, 0.0, 0.0, 0.0])
    }

    pub(crate) fn t3(n: usize, a: f64) -> Self {
        let (a2, a3) = (a * a, a * a * a);
        Self::with(
            n,
            [
                0.0,
                0.0,
                1.0 + 3.0 * a + a3 + 3.0 * a2,
                -6.0 * a2 - 3.0 * a - 3.0 * a3,
                3.0 * a2 + 3.0 * a3,
                -a3,
            ],
        )
    }

    pub(crate) fn update(&mut self, x: f64) -> f64 {
        let mut v = [f64::NAN; 6];
        let mut cur = x;
        for (e, slot) in self.emas.iter_mut().zip(v.iter_mut()) {
            cur = e.update(cur);
            *slot = cur;
        }
        if !cur.is_finite() {
            return f64::NAN;
        }
        // Highest-order term first, as TA-Lib adds them.
        let mut out = 0.0;
        let mut first = true;
        for (w, e) in self.weights.iter().zip(v).rev() {
            if *w != 0.0 {
                out = if first { w * e } else { out + w * e };
                first = false;
            }
        }
        out
    }
}
