//! The inputs of every chart: the series, the trades, and how to draw them.

use stratagraph_engine::backtest::Trade;
use stratagraph_engine::Bars;

/// OHLC prices in columns, borrowed (from [`Bars`] or anything else with the same shape).
/// Columns may differ in length; the shortest one decides how many bars there are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PriceSeries<'a> {
    /// Bar times, ms UTC, increasing.
    pub times: &'a [i64],
    /// Opening prices.
    pub open: &'a [f64],
    /// Highest prices.
    pub high: &'a [f64],
    /// Lowest prices.
    pub low: &'a [f64],
    /// Closing prices.
    pub close: &'a [f64],
}

impl<'a> PriceSeries<'a> {
    /// Borrows the columns of `bars`.
    pub fn from_bars(bars: &'a Bars) -> Self {
        PriceSeries {
            times: bars.time(),
            open: bars.open(),
            high: bars.high(),
            low: bars.low(),
            close: bars.close(),
        }
    }

    /// Number of complete bars.
    pub fn len(&self) -> usize {
        self.times
            .len()
            .min(self.open.len())
            .min(self.high.len())
            .min(self.low.len())
            .min(self.close.len())
    }

    /// True without a complete bar.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A series computed per price bar (a node's output, e.g. an SMA or an RSI), drawn over the
/// prices or in a pane of its own. `values` pair up with the prices' times.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Overlay<'a> {
    /// Name in the legend, e.g. `fast.out`.
    pub label: &'a str,
    /// One value per price bar; NaN where the series has no value yet.
    pub values: &'a [f64],
}

/// What a chart shows, borrowed. A fresh backtest fills it with the bar times and
/// `BacktestResult::equity`; a stored run with the times and values of its decimated equity
/// points (and no prices). `times` and `equity` pair up to the shorter of the two; times are
/// expected to increase. NaN values are skipped (the line bridges them).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ChartData<'a> {
    /// Times of the equity points, ms UTC.
    pub times: &'a [i64],
    /// Equity at each time.
    pub equity: &'a [f64],
    /// Closed trades and, if any, the open one (its `exit_reason` is `Open`).
    pub trades: &'a [Trade],
    /// Prices for the price chart, when known.
    pub prices: Option<PriceSeries<'a>>,
    /// Buy-and-hold equity at each of `times` (the equity chart draws it with a legend).
    pub benchmark: Option<&'a [f64]>,
    /// Series drawn over the prices on the price chart, with a legend.
    pub overlays: &'a [Overlay<'a>],
}

impl<'a> ChartData<'a> {
    /// Number of equity points.
    pub fn len(&self) -> usize {
        self.times.len().min(self.equity.len())
    }

    /// True without an equity point.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Light or dark colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    /// Dark lines on white.
    #[default]
    Light,
    /// Light lines on a dark background.
    Dark,
}

/// The colours of a theme, as `(r, g, b)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    /// Background.
    pub background: (u8, u8, u8),
    /// Captions, labels and notes.
    pub text: (u8, u8, u8),
    /// Axis lines and major grid lines.
    pub grid: (u8, u8, u8),
    /// Minor grid lines.
    pub grid_light: (u8, u8, u8),
    /// The main line (equity, close, first compared curve).
    pub line: (u8, u8, u8),
    /// The second compared curve.
    pub line2: (u8, u8, u8),
    /// The drawdown area and its edge.
    pub drawdown: (u8, u8, u8),
    /// Rising candles.
    pub candle_up: (u8, u8, u8),
    /// Falling candles.
    pub candle_down: (u8, u8, u8),
    /// Markers of winning trades (used by nothing else).
    pub win: (u8, u8, u8),
    /// Markers of losing trades (used by nothing else).
    pub loss: (u8, u8, u8),
    /// Indicator lines, in turn.
    pub series: [(u8, u8, u8); 4],
}

impl Theme {
    /// This theme's colours.
    pub fn palette(self) -> Palette {
        match self {
            Theme::Light => Palette {
                background: (255, 255, 255),
                text: (34, 34, 34),
                grid: (200, 200, 200),
                grid_light: (236, 236, 236),
                line: (31, 90, 166),
                line2: (217, 119, 6),
                drawdown: (190, 60, 60),
                candle_up: (90, 160, 110),
                candle_down: (200, 100, 100),
                win: (0, 150, 60),
                loss: (215, 25, 28),
                series: [(217, 119, 6), (128, 70, 190), (0, 140, 140), (190, 50, 130)],
            },
            Theme::Dark => Palette {
                background: (24, 26, 31),
                text: (225, 225, 225),
                grid: (80, 84, 92),
                grid_light: (44, 47, 54),
                line: (110, 170, 240),
                line2: (245, 166, 35),
                drawdown: (235, 110, 110),
                candle_up: (80, 170, 110),
                candle_down: (200, 90, 90),
                win: (60, 220, 110),
                loss: (255, 80, 80),
                series: [
                    (245, 166, 35),
                    (180, 140, 250),
                    (60, 200, 200),
                    (240, 110, 190),
                ],
            },
        }
    }
}

/// How to draw a chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartOptions {
    /// Width in pixels ([`crate::MIN_SIZE`]..=[`crate::MAX_SIZE`]).
    pub width: u32,
    /// Height in pixels ([`crate::MIN_SIZE`]..=[`crate::MAX_SIZE`]).
    pub height: u32,
    /// Show only times at or after this (ms UTC); `None` = from the first point.
    pub from_ms: Option<i64>,
    /// Show only times at or before this (ms UTC); `None` = to the last point.
    pub to_ms: Option<i64>,
    /// Colours.
    pub theme: Theme,
}

impl Default for ChartOptions {
    /// 960 × 360, everything, light.
    fn default() -> Self {
        ChartOptions {
            width: 960,
            height: 360,
            from_ms: None,
            to_ms: None,
            theme: Theme::Light,
        }
    }
}
