//! Statistics over a window: linear regression, z-score, correlation, momentum and lag.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::indicators::{SmaState, StdDevState};

/// The last n values of a series (missing stored as `None`), oldest first, with the count of
/// missing ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Recent {
    cap: usize,
    values: VecDeque<Option<f64>>,
    missing: usize,
}

impl Recent {
    fn new(cap: usize) -> Self {
        Self {
            cap: cap.max(1),
            values: VecDeque::new(),
            missing: 0,
        }
    }

    /// Adds `x`; true when the window is full and holds no missing value.
    fn push(&mut self, x: f64) -> bool {
        let v = x.is_finite().then_some(x);
        self.missing += usize::from(v.is_none());
        self.values.push_back(v);
        if self.values.len() > self.cap {
            if let Some(None) = self.values.pop_front() {
                self.missing -= 1;
            }
        }
        self.values.len() == self.cap && self.missing == 0
    }

    /// The window's values, oldest first (missing as NaN).
    fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        self.values.iter().map(|v| v.unwrap_or(f64::NAN))
    }
}

/// Least-squares line over the last n values (TA-Lib LINEARREG_SLOPE, LINEARREG), x counted
/// back from the newest bar: `m = (n·Σxy − Σx·Σy) / (Σx² − n·Σx²)` with TA-Lib's sums, so
/// the slope is per bar in time order; the line's end point is `b + m·(n − 1)`,
/// `b = (Σy − m·Σx)/n`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinRegState {
    w: Recent,
    slope: bool,
}

impl LinRegState {
    pub(crate) fn new(n: usize, slope: bool) -> Self {
        Self {
            w: Recent::new(n),
            slope,
        }
    }

    pub(crate) fn update(&mut self, x: f64) -> f64 {
        if !self.w.push(x) {
            return f64::NAN;
        }
        let n = self.w.cap;
        let nf = n as f64;
        let sum_x = nf * (nf - 1.0) * 0.5;
        let sum_x_sqr = (n * (n - 1) * (2 * n - 1) / 6) as f64;
        let divisor = sum_x * sum_x - nf * sum_x_sqr;
        let (mut sum_xy, mut sum_y) = (0.0, 0.0);
        for (k, v) in self.w.iter().enumerate() {
            let i = (n - 1 - k) as f64;
            sum_y += v;
            sum_xy += i * v;
        }
        let m = (nf * sum_xy - sum_x * sum_y) / divisor;
        if self.slope {
            m
        } else {
            let b = (sum_y - m * sum_x) / nf;
            b + m * (nf - 1.0)
        }
    }
}

/// z-score (the standard score): `(x − SMA(n)) / σ(n)`, σ the population standard deviation
/// of the same window; NaN when σ = 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZScoreState {
    sma: SmaState,
    sd: StdDevState,
}

impl ZScoreState {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            sma: SmaState::new(n),
            sd: StdDevState::new(n),
        }
    }

    pub(crate) fn update(&mut self, x: f64) -> f64 {
        let m = self.sma.update(x);
        let s = self.sd.update(x);
        if s > 0.0 {
            (x - m) / s
        } else {
            f64::NAN
        }
    }
}

/// Pearson correlation of a and b over the last n bars (TA-Lib CORREL), computed in two
/// passes around the window means: `Σ(a−ā)(b−b̄) / sqrt(Σ(a−ā)² · Σ(b−b̄)²)`; NaN when either
/// series is constant over the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorrelState {
    a: Recent,
    b: Recent,
}

impl CorrelState {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            a: Recent::new(n),
            b: Recent::new(n),
        }
    }

    pub(crate) fn update(&mut self, a: f64, b: f64) -> f64 {
        let (full_a, full_b) = (self.a.push(a), self.b.push(b));
        if !(full_a && full_b) {
            return f64::NAN;
        }
        let constant = |w: &Recent| {
            let first = w.iter().next().unwrap_or(f64::NAN);
            w.iter().all(|u| u == first)
        };
        if constant(&self.a) || constant(&self.b) {
            return f64::NAN;
        }
        let nf = self.a.cap as f64;
        let mx = self.a.iter().sum::<f64>() / nf;
        let my = self.b.iter().sum::<f64>() / nf;
        let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
        for (u, v) in self.a.iter().zip(self.b.iter()) {
            let (du, dv) = (u - mx, v - my);
            sxy += du * dv;
            sxx += du * du;
            syy += dv * dv;
        }
        let d = sxx * syy;
        if !(d > 0.0 && d.is_finite()) {
            f64::NAN
        } else {
            sxy / d.sqrt()
        }
    }
}

/// The value n bars ago (`x[t−n]`), or momentum `x[t] − x[t−n]` (TA-Lib MOM).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LagState {
    w: Recent,
    momentum: bool,
}

impl LagState {
    pub(crate) fn new(n: usize, momentum: bool) -> Self {
        Self {
            w: Recent::new(n + 1),
            momentum,
        }
    }

    pub(crate) fn update(&mut self, x: f64) -> f64 {
        self.w.push(x);
        if self.w.values.len() < self.w.cap {
            return f64::NAN;
        }
        let old = self.w.values.front().copied().flatten().unwrap_or(f64::NAN);
        if self.momentum {
            x - old
        } else {
            old
        }
    }
}
