//! Price channels: Keltner, Donchian and Ichimoku.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::{Out, NONE};
use crate::indicators::{AtrState, EmaState, HighestState, LowestState};

/// Keltner channels (StockCharts' definition, after Chester Keltner and Linda Raschke):
/// `middle = EMA(close, n)`, `upper/lower = middle ± m · ATR(atr_n)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeltnerState {
    ema: EmaState,
    atr: AtrState,
    mult: f64,
}

impl KeltnerState {
    pub(crate) fn new(n: usize, atr_n: usize, mult: f64) -> Self {
        Self {
            ema: EmaState::new(n),
            atr: AtrState::new(atr_n),
            mult,
        }
    }

    pub(crate) fn update(&mut self, h: f64, l: f64, c: f64) -> Out {
        let mid = self.ema.update(c);
        let band = self.mult * self.atr.update(h, l, c);
        [mid + band, mid, mid - band, f64::NAN, f64::NAN]
    }
}

/// Donchian channels (Richard Donchian): `upper = highest high`, `lower = lowest low` of the
/// last n bars (this bar included), `middle = (upper + lower) / 2`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DonchianState {
    hh: HighestState,
    ll: LowestState,
}

impl DonchianState {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            hh: HighestState::new(n),
            ll: LowestState::new(n),
        }
    }

    pub(crate) fn update(&mut self, h: f64, l: f64) -> Out {
        let (u, d) = (self.hh.update(h), self.ll.update(l));
        [u, (u + d) / 2.0, d, f64::NAN, f64::NAN]
    }
}

/// The midpoint of the highest high and lowest low of a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Mid {
    hh: HighestState,
    ll: LowestState,
}

impl Mid {
    fn new(n: usize) -> Self {
        Self {
            hh: HighestState::new(n),
            ll: LowestState::new(n),
        }
    }

    fn update(&mut self, h: f64, l: f64) -> f64 {
        (self.hh.update(h) + self.ll.update(l)) / 2.0
    }
}

/// Ichimoku kinko hyo (Goichi Hosoda; StockCharts' definition): `tenkan` and `kijun` are the
/// midpoints of the high–low range over 9 and 26 bars; the cloud spans `span_a = (tenkan +
/// kijun)/2` and `span_b` = the 52-bar midpoint are plotted `displacement` bars ahead, so at
/// bar t they hold the values computed at t − displacement. The lagging span (the close
/// plotted back in time) is not a node output: it would need future bars.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IchimokuState {
    tenkan: Mid,
    kijun: Mid,
    senkou: Mid,
    displacement: usize,
    /// (span A, span B) of the last `displacement` bars, oldest first (None while missing).
    spans: VecDeque<(Option<f64>, Option<f64>)>,
}

impl IchimokuState {
    pub(crate) fn new(t: usize, k: usize, s: usize, d: usize) -> Self {
        Self {
            tenkan: Mid::new(t),
            kijun: Mid::new(k),
            senkou: Mid::new(s),
            displacement: d,
            spans: VecDeque::new(),
        }
    }

    pub(crate) fn update(&mut self, h: f64, l: f64) -> Out {
        let t = self.tenkan.update(h, l);
        let k = self.kijun.update(h, l);
        let b = self.senkou.update(h, l);
        let a = (t + k) / 2.0;
        let fin = |x: f64| x.is_finite().then_some(x);
        self.spans.push_back((fin(a), fin(b)));
        let (sa, sb) = if self.spans.len() > self.displacement {
            self.spans.pop_front().unwrap_or((None, None))
        } else {
            (None, None)
        };
        let mut out = NONE;
        out[0] = t;
        out[1] = k;
        out[2] = sa.unwrap_or(f64::NAN);
        out[3] = sb.unwrap_or(f64::NAN);
        out
    }
}
