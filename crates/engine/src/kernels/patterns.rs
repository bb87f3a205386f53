//! Candlestick patterns as TA-Lib recognises them (the CDL* functions with TA-Lib's default
//! candle settings): a bar is "long", "short", "near"... compared with the average of the same
//! measure over the previous candles. TA-Lib's running sums are reproduced operation for
//! operation, so the comparisons come out the same.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::{flag, Out, NONE};
use crate::bars::Bar;

/// What a candle setting measures.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Range {
    RealBody,
    HighLow,
    Shadows,
}

/// A TA-Lib candle setting: the measure, how many previous candles it is averaged over
/// (0: the candle itself), and the factor.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Setting(Range, usize, f64);

const BODY_LONG: Setting = Setting(Range::RealBody, 10, 1.0);
const BODY_SHORT: Setting = Setting(Range::RealBody, 10, 1.0);
const BODY_DOJI: Setting = Setting(Range::HighLow, 10, 0.1);
const SHADOW_LONG: Setting = Setting(Range::RealBody, 0, 1.0);
const SHADOW_VERY_SHORT: Setting = Setting(Range::HighLow, 10, 0.1);
const NEAR: Setting = Setting(Range::HighLow, 5, 0.2);

fn body(b: &Bar) -> f64 {
    (b.close - b.open).abs()
}
fn upper_shadow(b: &Bar) -> f64 {
    b.high - if b.close >= b.open { b.close } else { b.open }
}
fn lower_shadow(b: &Bar) -> f64 {
    (if b.close >= b.open { b.open } else { b.close }) - b.low
}
fn color(b: &Bar) -> i32 {
    if b.close >= b.open {
        1
    } else {
        -1
    }
}
fn body_top(b: &Bar) -> f64 {
    b.close.max(b.open)
}
fn body_bottom(b: &Bar) -> f64 {
    b.close.min(b.open)
}
fn gap_up(b2: &Bar, b1: &Bar) -> bool {
    body_bottom(b2) > body_top(b1)
}
fn gap_down(b2: &Bar, b1: &Bar) -> bool {
    body_top(b2) < body_bottom(b1)
}

impl Range {
    fn of(self, b: &Bar) -> f64 {
        match self {
            Range::RealBody => body(b),
            Range::HighLow => b.high - b.low,
            Range::Shadows => upper_shadow(b) + lower_shadow(b),
        }
    }
}

/// A candlestick pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pattern {
    /// CDLDOJI.
    Doji,
    /// CDLDRAGONFLYDOJI.
    DragonflyDoji,
    /// CDLGRAVESTONEDOJI.
    GravestoneDoji,
    /// CDLHAMMER.
    Hammer,
    /// CDLHANGINGMAN.
    HangingMan,
    /// CDLINVERTEDHAMMER.
    InvertedHammer,
    /// CDLSHOOTINGSTAR.
    ShootingStar,
    /// CDLENGULFING.
    Engulfing,
    /// CDLHARAMI.
    Harami,
    /// CDLMORNINGSTAR (penetration 0.3).
    MorningStar,
    /// CDLEVENINGSTAR (penetration 0.3).
    EveningStar,
    /// CDLMARUBOZU.
    Marubozu,
    /// CDLSPINNINGTOP.
    SpinningTop,
    /// CDLPIERCING.
    Piercing,
    /// CDLDARKCLOUDCOVER (penetration 0.5).
    DarkCloudCover,
}

impl Pattern {
    /// Every pattern with its kind and TA-Lib reference.
    pub const ALL: &'static [(Pattern, &'static str, &'static str)] = &[
        (
            Pattern::Doji,
            "pattern.doji",
            "TA-Lib CDLDOJI (default candle settings); Steve Nison, Japanese Candlestick Charting Techniques (1991)",
        ),
        (
            Pattern::DragonflyDoji,
            "pattern.dragonfly_doji",
            "TA-Lib CDLDRAGONFLYDOJI (default candle settings); Steve Nison, Japanese Candlestick Charting Techniques (1991)",
        ),
        (
            Pattern::GravestoneDoji,
            "pattern.gravestone_doji",
            "TA-Lib CDLGRAVESTONEDOJI (default candle settings); Steve Nison, Japanese Candlestick Charting Techniques (1991)",
        ),
        (
            Pattern::Hammer,
            "pattern.hammer",
            "TA-Lib CDLHAMMER (default candle settings); Steve Nison, Japanese Candlestick Charting Techniques (1991)",
        ),
        (
            Pattern::HangingMan,
            "pattern.hanging_man",
            "TA-Lib CDLHANGINGMAN (default candle settings); Steve Nison, Japanese Candlestick Charting Techniques (1991)",
        ),
        (
            Pattern::InvertedHammer,
            "pattern.inverted_hammer",
            "TA-Lib CDLINVERTEDHAMMER (default candle settings); Steve Nison, Japanese Candlestick Charting Techniques (1991)",
        ),
        (
            Pattern::ShootingStar,
            "pattern.shooting_star",
            "TA-Lib CDLSHOOTINGSTAR (default candle settings); Steve Nison, Japanese Candlestick Charting Techniques (1991)",
        ),
        (
            Pattern::Engulfing,
            "pattern.engulfing",
            "TA-Lib CDLENGULFING (default candle settings); Steve Nison, Japanese Candlestick Charting Techniques (1991)",
        ),
        (
            Pattern::Harami,
            "pattern.harami",
            "TA-Lib CDLHARAMI (default candle settings); Steve Nison, Japanese Candlestick Charting Techniques (1991)",
        ),
        (
            Pattern::MorningStar,
            "pattern.morning_star",
            "TA-Lib CDLMORNINGSTAR (default candle settings); Steve Nison, Japanese Candlestick Charting Techniques (1991)",
        ),
        (
            Pattern::EveningStar,
            "pattern.evening_star",
            "TA-Lib CDLEVENINGSTAR (default candle settings); Steve Nison, Japanese Candlestick Charting Techniques (1991)",
        ),
        (
            Pattern::Marubozu,
            "pattern.marubozu",
            "TA-Lib CDLMARUBOZU (default candle settings); Steve Nison, Japanese Candlestick Charting Techniques (1991)",
        ),
        (
            Pattern::SpinningTop,
            "pattern.spinning_top",
            "TA-Lib CDLSPINNINGTOP (default candle settings); Steve Nison, Japanese Candlestick Charting Techniques (1991)",
        ),
        (
            Pattern::Piercing,
            "pattern.piercing",
            "TA-Lib CDLPIERCING (default candle settings); Steve Nison, Japanese Candlestick Charting Techniques (1991)",
        ),
        (
            Pattern::DarkCloudCover,
            "pattern.dark_cloud_cover",
            "TA-Lib CDLDARKCLOUDCOVER (default candle settings); Steve Nison, Japanese Candlestick Charting Techniques (1991)",
        ),
    ];

    /// True for patterns that can be bullish or bearish (two outputs: bull, bear).
    pub fn two_sided(self) -> bool {
        matches!(
            self,
            Pattern::Engulfing | Pattern::Harami | Pattern::Marubozu | Pattern::SpinningTop
        )
    }

    pub(crate) fn outputs(self) -> usize {
        if self.two_sided() {
            2
        } else {
            1
        }
    }

    /// The averages the pattern compares with: (setting, how many bars back the candle is).
    fn averages(self) -> &'static [(Setting, usize)] {
        match self {
            Pattern::Doji => &[(BODY_DOJI, 0)],
            Pattern::DragonflyDoji | Pattern::GravestoneDoji => {
                &[(BODY_DOJI, 0), (SHADOW_VERY_SHORT, 0)]
            }
            Pattern::Hammer | Pattern::HangingMan => &[
                (BODY_SHORT, 0),
                (SHADOW_LONG, 0),
                (SHADOW_VERY_SHORT, 0),
                (NEAR, 1),
            ],
            Pattern::InvertedHammer | Pattern::ShootingStar => {
                &[(BODY_SHORT, 0), (SHADOW_LONG, 0), (SHADOW_VERY_SHORT, 0)]
            }
            Pattern::Engulfing => &[],
            Pattern::Harami => &[(BODY_LONG, 1), (BODY_SHORT, 0)],
            Pattern::MorningStar | Pattern::EveningStar => {
                &[(BODY_LONG, 2), (BODY_SHORT, 1), (BODY_SHORT, 0)]
            }
            Pattern::Marubozu => &[(BODY_LONG, 0), (SHADOW_VERY_SHORT, 0)],
            Pattern::SpinningTop => &[(BODY_SHORT, 0)],
            Pattern::Piercing | Pattern::DarkCloudCover => &[(BODY_LONG, 1), (BODY_LONG, 0)],
        }
    }

    /// Bars before the first output (TA-Lib's lookback).
    fn lookback(self) -> usize {
        let extra = match self {
            Pattern::Engulfing => return 2,
            Pattern::Hammer | Pattern::HangingMan => 1,
            Pattern::InvertedHammer | Pattern::ShootingStar => 1,
            Pattern::Harami | Pattern::Piercing | Pattern::DarkCloudCover => 1,
            Pattern::MorningStar | Pattern::EveningStar => 2,
            _ => 0,
        };
        let periods = self.averages().iter().map(|(s, _)| s.1).max().unwrap_or(0);
        periods + extra
    }

    /// TA-Lib's output at the newest bar `b[0]` (`b[1]`, `b[2]` the bars before), given the
    /// averages `avg` in [`Pattern::averages`] order: 0, or ±80 / ±100.
    fn recognise(self, b: &[Bar; 3], avg: &[f64]) -> i32 {
        let (c, p, pp) = (&b[0], &b[1], &b[2]);
        let a = |k: usize| avg.get(k).copied().unwrap_or(f64::NAN);
        match self {
            Pattern::Doji => i32::from(body(c) <= a(0)) * 100,
            Pattern::DragonflyDoji => {
                i32::from(body(c) <= a(0) && upper_shadow(c) < a(1) && lower_shadow(c) > a(1)) * 100
            }
            Pattern::GravestoneDoji => {
                i32::from(body(c) <= a(0) && lower_shadow(c) < a(1) && upper_shadow(c) > a(1)) * 100
            }
            Pattern::Hammer => {
                i32::from(
                    body(c) < a(0)
                        && lower_shadow(c) > a(1)
                        && upper_shadow(c) < a(2)
                        && c.close.min(c.open) <= p.low + a(3),
                ) * 100
            }
            Pattern::HangingMan => {
                -i32::from(
                    body(c) < a(0)
                        && lower_shadow(c) > a(1)
                        && upper_shadow(c) < a(2)
                        && c.close.min(c.open) >= p.high - a(3),
                ) * 100
            }
            Pattern::InvertedHammer => {
                i32::from(
                    body(c) < a(0)
                        && upper_shadow(c) > a(1)
                        && lower_shadow(c) < a(2)
                        && gap_down(c, p),
                ) * 100
            }
            Pattern::ShootingStar => {
                -i32::from(
                    body(c) < a(0)
                        && upper_shadow(c) > a(1)
                        && lower_shadow(c) < a(2)
                        && gap_up(c, p),
                ) * 100
            }
            Pattern::Engulfing => {
                let white = color(c) == 1 && color(p) == -1;
                let black = color(c) == -1 && color(p) == 1;
                let bull = white
                    && ((c.close >= p.open && c.open < p.close)
                        || (c.close > p.open && c.open <= p.close));
                let bear = black
                    && ((c.open >= p.close && c.close < p.open)
                        || (c.open > p.close && c.close <= p.open));
                if !(bull || bear) {
                    0
                } else if c.open != p.close && c.close != p.open {
                    color(c) * 100
                } else {
                    color(c) * 80
                }
            }
            Pattern::Harami => {
                if body(p) > a(0) && body(c) <= a(1) {
                    if body_top(c) < body_top(p) && body_bottom(c) > body_bottom(p) {
                        -color(p) * 100
                    } else if body_top(c) <= body_top(p) && body_bottom(c) >= body_bottom(p) {
                        -color(p) * 80
                    } else {
                        0
                    }
                } else {
                    0
                }
            }
            Pattern::MorningStar => {
                i32::from(
                    body(pp) > a(0)
                        && color(pp) == -1
                        && body(p) <= a(1)
                        && gap_down(p, pp)
                        && body(c) > a(2)
                        && color(c) == 1
                        && c.close > pp.close + body(pp) * 0.3,
                ) * 100
            }
            Pattern::EveningStar => {
                -i32::from(
                    body(pp) > a(0)
                        && color(pp) == 1
                        && body(p) <= a(1)
                        && gap_up(p, pp)
                        && body(c) > a(2)
                        && color(c) == -1
                        && c.close < pp.close - body(pp) * 0.3,
                ) * 100
            }
            Pattern::Marubozu => {
                i32::from(body(c) > a(0) && upper_shadow(c) < a(1) && lower_shadow(c) < a(1))
                    * color(c)
                    * 100
            }
            Pattern::SpinningTop => {
                i32::from(body(c) < a(0) && upper_shadow(c) > body(c) && lower_shadow(c) > body(c))
                    * color(c)
                    * 100
            }
            Pattern::Piercing => {
                i32::from(
                    color(p) == -1
                        && body(p) > a(0)
                        && color(c) == 1
                        && body(c) > a(1)
                        && c.open < p.low
                        && c.close < p.open
                        && c.close > p.close + body(p) * 0.5,
                ) * 100
            }
            Pattern::DarkCloudCover => {
                -i32::from(
                    color(p) == 1
                        && body(p) > a(0)
                        && color(c) == -1
                        && c.open > p.high
                        && c.close > p.open
                        && c.close < p.close - body(p) * 0.5,
                ) * 100
            }
        }
    }
}

/// A pattern's recent bars and the running sums of its averages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatternState {
    pattern: Pattern,
    bar: usize,
    /// The last bars, newest last (as many as the longest average needs, and at least 3).
    recent: VecDeque<Bar>,
    /// One running total per average, as TA-Lib keeps them.
    totals: Vec<f64>,
}

impl PatternState {
    pub(crate) fn new(p: Pattern) -> Self {
        Self {
            pattern: p,
            bar: 0,
            recent: VecDeque::new(),
            totals: vec![0.0; p.averages().len()],
        }
    }

    pub(crate) fn update(&mut self, b: &Bar) -> Out {
        let p = self.pattern;
        let t = self.bar;
        self.bar += 1;
        let keep = p
            .averages()
            .iter()
            .map(|(s, off)| s.1 + off + 1)
            .max()
            .unwrap_or(0)
            .max(3);
        self.recent.push_back(*b);
        if self.recent.len() > keep {
            self.recent.pop_front();
        }
        let len = self.recent.len();
        let back = |j: usize| (j < len).then(|| self.recent[len - 1 - j]);
        let look = p.lookback();
        if t < look {
            // TA-Lib's initial sums: candles [look − off − P, look − off − 1].
            for ((s, off), total) in p.averages().iter().zip(&mut self.totals) {
                if s.1 > 0 && t + off + s.1 >= look && t + off < look {
                    *total += s.0.of(b);
                }
            }
            return NONE;
        }
        // At most four averages per pattern: no allocation per bar.
        let mut avg = [f64::NAN; 4];
        for ((slot, (s, off)), total) in avg.iter_mut().zip(p.averages()).zip(&self.totals) {
            let base = if s.1 != 0 {
                total / s.1 as f64
            } else {
                back(*off).map_or(f64::NAN, |c| s.0.of(&c))
            };
            let div = if s.0 == Range::Shadows { 2.0 } else { 1.0 };
            *slot = s.2 * base / div;
        }
        let bars = [
            back(0).unwrap_or(*b),
            back(1).unwrap_or(*b),
            back(2).unwrap_or(*b),
        ];
        let r = p.recognise(&bars, &avg);
        for ((s, off), total) in p.averages().iter().zip(&mut self.totals) {
            if s.1 > 0 {
                if let (Some(cur), Some(old)) = (back(*off), back(off + s.1)) {
                    *total += s.0.of(&cur) - s.0.of(&old);
                }
            }
        }
        let mut out = NONE;
        if p.two_sided() {
            out[0] = flag(r > 0);
            out[1] = flag(r < 0);
        } else {
            out[0] = flag(r != 0);
        }
        out
    }
}
