//! Trend indicators: ADX with the directional indicators, Aroon, parabolic SAR and
//! SuperTrend.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::{flag, ta_zero, Out, NONE};
use crate::indicators::AtrState;

/// True range as TA-Lib writes it: `max(h − l, |h − c₋₁|, |l − c₋₁|)`.
#[inline(always)]
fn true_range(h: f64, l: f64, pc: f64) -> f64 {
    let mut tr = h - l;
    let a = (h - pc).abs();
    if a > tr {
        tr = a;
    }
    let b = (l - pc).abs();
    if b > tr {
        tr = b;
    }
    tr
}

/// ADX with +DI and −DI (TA-Lib ADX, PLUS_DI, MINUS_DI; Wilder 1978). Per bar
/// `+DM = h − h₋₁` when that is positive and above `l₋₁ − l` (−DM mirrored), else 0; the
/// smoothed sums start as the sum of the first n − 1 values and then go
/// `S = S − S/n + x`; `±DI = 100 · ±DM_n / TR_n` (from bar n); `DX = 100 · |+DI − −DI| /
/// (+DI + −DI)`; ADX = mean of the first n DX (bar 2n − 1), then `(ADX·(n−1) + DX) / n`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdxState {
    period: usize,
    /// Previous bar's (high, low, close).
    prev: Option<(f64, f64, f64)>,
    /// Bars with a previous bar so far.
    steps: usize,
    plus_dm: f64,
    minus_dm: f64,
    tr: f64,
    sum_dx: f64,
    adx: f64,
}

impl AdxState {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            period: n.max(2),
            prev: None,
            steps: 0,
            plus_dm: 0.0,
            minus_dm: 0.0,
            tr: 0.0,
            sum_dx: 0.0,
            adx: 0.0,
        }
    }

    pub(crate) fn update(&mut self, h: f64, l: f64, c: f64) -> Out {
        let Some((ph, pl, pc)) = self.prev.replace((h, l, c)) else {
            return NONE;
        };
        self.steps += 1;
        let n = self.period;
        let nf = n as f64;
        let diff_p = h - ph;
        let diff_m = pl - l;
        let tr = true_range(h, l, pc);
        if self.steps < n {
            if diff_m > 0.0 && diff_p < diff_m {
                self.minus_dm += diff_m;
            } else if diff_p > 0.0 && diff_p > diff_m {
                self.plus_dm += diff_p;
            }
            self.tr += tr;
            return NONE;
        }
        self.minus_dm -= self.minus_dm / nf;
        self.plus_dm -= self.plus_dm / nf;
        if diff_m > 0.0 && diff_p < diff_m {
            self.minus_dm += diff_m;
        } else if diff_p > 0.0 && diff_p > diff_m {
            self.plus_dm += diff_p;
        }
        self.tr = self.tr - self.tr / nf + tr;
        if ta_zero(self.tr) {
            let adx = if self.steps >= 2 * n - 1 {
                self.adx
            } else {
                f64::NAN
            };
            return [adx, f64::NAN, f64::NAN, f64::NAN, f64::NAN];
        }
        let minus_di = 100.0 * (self.minus_dm / self.tr);
        let plus_di = 100.0 * (self.plus_dm / self.tr);
        let sum = minus_di + plus_di;
        let dx = (!ta_zero(sum)).then(|| 100.0 * ((minus_di - plus_di).abs() / sum));
        let adx = if self.steps < 2 * n - 1 {
            self.sum_dx += dx.unwrap_or(0.0);
            f64::NAN
        } else if self.steps == 2 * n - 1 {
            self.sum_dx += dx.unwrap_or(0.0);
            self.adx = self.sum_dx / nf;
            self.adx
        } else {
            if let Some(dx) = dx {
                self.adx = (self.adx * (nf - 1.0) + dx) / nf;
            }
            self.adx
        };
        [adx, plus_di, minus_di, f64::NAN, f64::NAN]
    }
}

/// Aroon (TA-Lib AROON, AROONOSC; Tushar Chande): over the last n + 1 bars,
/// `up = 100 · (n − bars since the highest high) / n`, `down` likewise with the lowest low
/// (the latest bar wins a tie), `osc = 100/n · (index of highest − index of lowest)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AroonState {
    period: usize,
    /// (bar, high, low) of the last n + 1 bars.
    window: VecDeque<(u64, f64, f64)>,
    bar: u64,
    hi: Option<(u64, f64)>,
    lo: Option<(u64, f64)>,
}

impl AroonState {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            period: n.max(1),
            window: VecDeque::new(),
            bar: 0,
            hi: None,
            lo: None,
        }
    }

    pub(crate) fn update(&mut self, h: f64, l: f64) -> Out {
        let t = self.bar;
        self.bar += 1;
        let n = self.period as u64;
        self.window.push_back((t, h, l));
        if self.window.len() as u64 > n + 1 {
            self.window.pop_front();
        }
        if t < n {
            return NONE;
        }
        let trailing = t - n;
        // Rescan when the extreme left the window, else compare with the new bar (TA-Lib).
        match self.hi {
            Some((i, v)) if i >= trailing => {
                if h >= v {
                    self.hi = Some((t, h));
                }
            }
            _ => {
                let mut best: Option<(u64, f64)> = None;
                for &(i, hh, _) in &self.window {
                    if best.is_none_or(|(_, b)| hh >= b) {
                        best = Some((i, hh));
                    }
                }
                self.hi = best;
            }
        }
        match self.lo {
            Some((i, v)) if i >= trailing => {
                if l <= v {
                    self.lo = Some((t, l));
                }
            }
            _ => {
                let mut best: Option<(u64, f64)> = None;
                for &(i, _, ll) in &self.window {
                    if best.is_none_or(|(_, b)| ll <= b) {
                        best = Some((i, ll));
                    }
                }
                self.lo = best;
            }
        }
        let (Some((hi, _)), Some((lo, _))) = (self.hi, self.lo) else {
            return NONE;
        };
        let factor = 100.0 / self.period as f64;
        let p = self.period as i64;
        let up = factor * (p - (t - hi) as i64) as f64;
        let down = factor * (p - (t - lo) as i64) as f64;
        let osc = factor * (hi as i64 - lo as i64) as f64;
        [up, down, osc, f64::NAN, f64::NAN]
    }
}

/// Parabolic SAR (TA-Lib SAR; Wilder 1978). The first bar only seeds: the direction on the
/// second bar is short when `l₋₁ − l > 0` and above `h − h₋₁` (TA-Lib's −DM), long
/// otherwise; the first SAR is the first bar's low (long) or high (short) and the extreme
/// point the second bar's high (low). Then `SAR += af · (EP − SAR)`, af growing by
/// `step` (up to `max`) at each new extreme, the SAR kept outside the last two bars' range; a
/// bar through the SAR reverses it to the extreme point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SarState {
    step: f64,
    max: f64,
    /// The first bar's (high, low), until the second bar.
    first: Option<(f64, f64)>,
    started: bool,
    long: bool,
    af: f64,
    ep: f64,
    sar: f64,
    new_high: f64,
    new_low: f64,
}

impl SarState {
    pub(crate) fn new(step: f64, max: f64) -> Self {
        let step = step.min(max);
        Self {
            step,
            max,
            first: None,
            started: false,
            long: true,
            af: step,
            ep: 0.0,
            sar: 0.0,
            new_high: 0.0,
            new_low: 0.0,
        }
    }

    pub(crate) fn update(&mut self, h: f64, l: f64) -> f64 {
        if !self.started {
            let Some((h0, l0)) = self.first.replace((h, l)) else {
                return f64::NAN;
            };
            let diff_p = h - h0;
            let diff_m = l0 - l;
            self.long = !(diff_m > 0.0 && diff_p < diff_m);
            if self.long {
                self.ep = h;
                self.sar = l0;
            } else {
                self.ep = l;
                self.sar = h0;
            }
            self.new_low = l;
            self.new_high = h;
            self.started = true;
            self.first = None;
        }
        let prev_low = self.new_low;
        let prev_high = self.new_high;
        self.new_low = l;
        self.new_high = h;
        let out;
        if self.long {
            if l <= self.sar {
                self.long = false;
                self.sar = self.ep.max(prev_high).max(h);
                out = self.sar;
                self.af = self.step;
                self.ep = l;
                self.sar += self.af * (self.ep - self.sar);
                self.sar = self.sar.max(prev_high).max(h);
            } else {
                out = self.sar;
                if h > self.ep {
                    self.ep = h;
                    self.af = (self.af + self.step).min(self.max);
                }
                self.sar += self.af * (self.ep - self.sar);
                self.sar = self.sar.min(prev_low).min(l);
            }
        } else if h >= self.sar {
            self.long = true;
            self.sar = self.ep.min(prev_low).min(l);
            out = self.sar;
            self.af = self.step;
            self.ep = h;
            self.sar += self.af * (self.ep - self.sar);
            self.sar = self.sar.min(prev_low).min(l);
        } else {
            out = self.sar;
            if l < self.ep {
                self.ep = l;
                self.af = (self.af + self.step).min(self.max);
            }
            self.sar += self.af * (self.ep - self.sar);
            self.sar = self.sar.max(prev_high).max(h);
        }
        out
    }
}

/// SuperTrend (TradingView's `ta.supertrend` reference algorithm; Olivier Seban): bands
/// `hl2 ± m · ATR(n)` (this catalog's ATR), the lower band only rising and the upper only
/// falling while the close stays beyond them; the line is the upper band in a downtrend and
/// the lower in an uptrend, the trend turning up when the close ends above the upper band and
/// down when it ends below the lower. The first bar with an ATR starts in a downtrend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuperTrendState {
    atr: AtrState,
    mult: f64,
    prev_close: Option<f64>,
    /// Previous bar's final (upper, lower) bands and whether the line was the upper band.
    prev: Option<(f64, f64, bool)>,
}

impl SuperTrendState {
    pub(crate) fn new(n: usize, mult: f64) -> Self {
        Self {
            atr: AtrState::new(n),
            mult,
            prev_close: None,
            prev: None,
        }
    }

    pub(crate) fn update(&mut self, h: f64, l: f64, c: f64) -> Out {
        let a = self.atr.update(h, l, c);
        let pc = self.prev_close.replace(c);
        if !a.is_finite() {
            self.prev = None;
            return NONE;
        }
        let hl2 = (h + l) / 2.0;
        let mut upper = hl2 + self.mult * a;
        let mut lower = hl2 - self.mult * a;
        let (pu, pl) = self.prev.map_or((0.0, 0.0), |p| (p.0, p.1));
        let pc = pc.unwrap_or(f64::NAN);
        if !(lower > pl || pc < pl) {
            lower = pl;
        }
        if !(upper < pu || pc > pu) {
            upper = pu;
        }
        let down = match self.prev {
            None => true,
            Some((_, _, was_upper)) if was_upper => c <= upper,
            Some(_) => c < lower,
        };
        self.prev = Some((upper, lower, down));
        let line = if down { upper } else { lower };
        [line, flag(!down), f64::NAN, f64::NAN, f64::NAN]
    }
}
