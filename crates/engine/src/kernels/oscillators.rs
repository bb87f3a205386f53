//! Oscillators: CCI, CMO, MFI, Williams %R, PPO, TRIX and the ultimate oscillator, each with
//! TA-Lib's seeding and order of operations.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::{finite, ta_zero};
use crate::indicators::{EmaState, HighestState, LowestState, SmaState};

/// Commodity channel index (TA-Lib CCI): typical price `tp = (h + l + c)/3`,
/// `CCI = (tp − mean) / (0.015 · mean |tp − mean|)` over the last `n` bars; 0 where either
/// factor is below 1e-8 (as TA-Lib).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CciState {
    /// Ring of the last `n` typical prices; slot `bar mod n` (TA-Lib sums in slot order).
    buf: Vec<f64>,
    bars: u64,
}

impl CciState {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            buf: vec![0.0; n.max(1)],
            bars: 0,
        }
    }

    pub(crate) fn update(&mut self, h: f64, l: f64, c: f64) -> f64 {
        let n = self.buf.len();
        let tp = (h + l + c) / 3.0;
        let slot = (self.bars % n as u64) as usize;
        self.buf[slot] = tp;
        self.bars += 1;
        if self.bars < n as u64 {
            return f64::NAN;
        }
        let nf = n as f64;
        let avg = self.buf.iter().fold(0.0, |s, &v| s + v) / nf;
        let dev = self.buf.iter().fold(0.0, |s, &v| s + (v - avg).abs());
        let d = tp - avg;
        if !ta_zero(d) && !ta_zero(dev) {
            d / (0.015 * (dev / nf))
        } else {
            0.0
        }
    }
}

/// Chande momentum oscillator (TA-Lib CMO): `100 · (G − L) / (G + L)` with `G`, `L` the
/// Wilder-smoothed gains and losses seeded with their first `n`-change means (as RSI). NaN
/// when `G + L = 0` (TA-Lib gives 0); a missing input is skipped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CmoState {
    period: usize,
    prev: Option<f64>,
    changes: usize,
    gain: f64,
    loss: f64,
}

impl CmoState {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            period: n.max(1),
            prev: None,
            changes: 0,
            gain: 0.0,
            loss: 0.0,
        }
    }

    pub(crate) fn update(&mut self, x: f64) -> f64 {
        if !x.is_finite() {
            return f64::NAN;
        }
        let Some(prev) = self.prev.replace(x) else {
            return f64::NAN;
        };
        let ch = x - prev;
        let (g, l) = if ch < 0.0 { (0.0, -ch) } else { (ch, 0.0) };
        let nf = self.period as f64;
        if self.changes < self.period {
            self.gain += g;
            self.loss += l;
            self.changes += 1;
            if self.changes < self.period {
                return f64::NAN;
            }
            self.gain /= nf;
            self.loss /= nf;
        } else {
            self.gain = (self.gain * (nf - 1.0) + g) / nf;
            self.loss = (self.loss * (nf - 1.0) + l) / nf;
        }
        let total = self.gain + self.loss;
        if ta_zero(total) {
            f64::NAN
        } else {
            100.0 * ((self.gain - self.loss) / total)
        }
    }
}

/// Money flow index (TA-Lib MFI): money flow `tp · v`, positive when `tp` rose, negative when
/// it fell; `MFI = 100 · Σpos / (Σpos + Σneg)` over `n` bars. NaN when the window's money
/// flow is below 1 (no volume or no movement; TA-Lib gives 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MfiState {
    period: usize,
    prev_tp: Option<f64>,
    /// (positive, negative) flows of the last `n` bars, oldest first.
    flows: VecDeque<(f64, f64)>,
    pos: f64,
    neg: f64,
}

impl MfiState {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            period: n.max(1),
            prev_tp: None,
            flows: VecDeque::new(),
            pos: 0.0,
            neg: 0.0,
        }
    }

    pub(crate) fn update(&mut self, h: f64, l: f64, c: f64, v: f64) -> f64 {
        let tp = (h + l + c) / 3.0;
        let Some(prev) = self.prev_tp.replace(tp) else {
            return f64::NAN;
        };
        let full = self.flows.len() >= self.period;
        if full {
            if let Some((p, n)) = self.flows.pop_front() {
                self.pos -= p;
                self.neg -= n;
            }
        }
        let d = tp - prev;
        let mf = tp * v;
        let flow = if d < 0.0 {
            (0.0, mf)
        } else if d > 0.0 {
            (mf, 0.0)
        } else {
            (0.0, 0.0)
        };
        self.pos += flow.0;
        self.neg += flow.1;
        self.flows.push_back(flow);
        if self.flows.len() < self.period {
            return f64::NAN;
        }
        let total = self.pos + self.neg;
        if total < 1.0 {
            f64::NAN
        } else {
            100.0 * (self.pos / total)
        }
    }
}

/// Williams %R (TA-Lib WILLR): `(HH − c) / ((HH − LL) / −100)` over `n` bars, from −100 to 0.
/// NaN on a zero range (TA-Lib gives 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WillRState {
    hh: HighestState,
    ll: LowestState,
}

impl WillRState {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            hh: HighestState::new(n),
            ll: LowestState::new(n),
        }
    }

    pub(crate) fn update(&mut self, h: f64, l: f64, c: f64) -> f64 {
        let hh = self.hh.update(h);
        let ll = self.ll.update(l);
        let diff = (hh - ll) / -100.0;
        if diff != 0.0 && diff.is_finite() {
            (hh - c) / diff
        } else {
            f64::NAN
        }
    }
}

/// A fast and a slow moving average of one series: SMAs or EMAs (each seeded with the mean
/// of its own first values, as TA-Lib's PPO computes them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum MaPair {
    Sma(SmaState, SmaState),
    Ema(EmaState, EmaState),
}

impl MaPair {
    fn new(fast: usize, slow: usize, ema: bool) -> Self {
        if ema {
            MaPair::Ema(EmaState::new(fast), EmaState::new(slow))
        } else {
            MaPair::Sma(SmaState::new(fast), SmaState::new(slow))
        }
    }

    fn update(&mut self, x: f64) -> (f64, f64) {
        match self {
            MaPair::Sma(f, s) => (f.update(x), s.update(x)),
            MaPair::Ema(f, s) => (f.update(x), s.update(x)),
        }
    }
}

/// Percentage price oscillator (TA-Lib PPO): `100 · (MA_fast − MA_slow) / MA_slow`, the
/// periods swapped if fast > slow; NaN where the slow average is 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PpoState {
    mas: MaPair,
}

impl PpoState {
    pub(crate) fn new(fast: usize, slow: usize, ema: bool) -> Self {
        let (f, s) = if fast > slow {
            (slow, fast)
        } else {
            (fast, slow)
        };
        Self {
            mas: MaPair::new(f, s, ema),
        }
    }

    pub(crate) fn update(&mut self, x: f64) -> f64 {
        let (f, s) = self.mas.update(x);
        if ta_zero(s) || !s.is_finite() {
            f64::NAN
        } else {
            ((f - s) / s) * 100.0
        }
    }
}

/// TRIX (TA-Lib TRIX): the one-bar rate of change in percent of a triple EMA,
/// `100 · (E3[t] / E3[t−1] − 1)`, `E3 = EMA(EMA(EMA(x)))`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrixState {
    e1: EmaState,
    e2: EmaState,
    e3: EmaState,
    prev: Option<f64>,
}

impl TrixState {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            e1: EmaState::new(n),
            e2: EmaState::new(n),
            e3: EmaState::new(n),
            prev: None,
        }
    }

    pub(crate) fn update(&mut self, x: f64) -> f64 {
        let e = self.e3.update(self.e2.update(self.e1.update(x)));
        if !e.is_finite() {
            return f64::NAN;
        }
        match self.prev.replace(e) {
            Some(p) if p != 0.0 => ((e / p) - 1.0) * 100.0,
            _ => f64::NAN,
        }
    }
}

/// Ultimate oscillator (TA-Lib ULTOSC): per bar `bp = c − min(l, c[t−1])`,
/// `tr = max(h, c[t−1]) − min(l, c[t−1])`; `A_p = Σbp / Σtr` over p bars for the three periods
/// sorted short to long; `ULTOSC = 100 · (4·A_1 + 2·A_2 + A_3) / 7`. NaN when a window's true
/// ranges sum to 0 (TA-Lib leaves that term out).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UltOscState {
    periods: [usize; 3],
    prev_close: Option<f64>,
    /// (bp, tr) of the last `periods[2]` bars, oldest first.
    terms: VecDeque<(f64, f64)>,
    /// Running (Σbp, Σtr) per period, accumulated from the bar TA-Lib starts it on.
    sums: [(f64, f64); 3],
    /// Terms seen so far.
    seen: usize,
}

impl UltOscState {
    pub(crate) fn new(a: usize, b: usize, c: usize) -> Self {
        let mut p = [a.max(1), b.max(1), c.max(1)];
        p.sort_unstable();
        Self {
            periods: p,
            prev_close: None,
            terms: VecDeque::new(),
            sums: [(0.0, 0.0); 3],
            seen: 0,
        }
    }

    pub(crate) fn update(&mut self, h: f64, l: f64, c: f64) -> f64 {
        let Some(pc) = self.prev_close.replace(c) else {
            return f64::NAN;
        };
        let true_low = if l < pc { l } else { pc };
        let bp = c - true_low;
        let mut tr = h - l;
        if (pc - h).abs() > tr {
            tr = (pc - h).abs();
        }
        if (pc - l).abs() > tr {
            tr = (pc - l).abs();
        }
        self.seen += 1;
        let longest = self.periods[2];
        self.terms.push_back((bp, tr));
        if self.terms.len() > longest {
            self.terms.pop_front();
        }
        // TA-Lib starts period p's running sum on term `longest − p + 1`.
        for (k, &p) in self.periods.iter().enumerate() {
            if self.seen + p > longest {
                self.sums[k].0 += bp;
                self.sums[k].1 += tr;
            }
        }
        if self.seen < longest {
            return f64::NAN;
        }
        let mut out = 0.0;
        let mut ok = true;
        for (k, w) in [4.0, 2.0, 1.0].into_iter().enumerate() {
            let (a, b) = self.sums[k];
            if ta_zero(b) {
                ok = false;
            } else if w == 1.0 {
                out += a / b;
            } else {
                out += w * (a / b);
            }
        }
        // Drop the oldest term of each window (it leaves before the next bar).
        let len = self.terms.len();
        for (k, &p) in self.periods.iter().enumerate() {
            if let Some(&(a, b)) = self.terms.get(len - p) {
                self.sums[k].0 -= a;
                self.sums[k].1 -= b;
            }
        }
        finite(100.0 * (out / 7.0))
            .filter(|_| ok)
            .unwrap_or(f64::NAN)
    }
}
