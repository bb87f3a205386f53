//! What a chart will show, worked out before any drawing: the visible range, the decimated
//! lines, candles and trade markers, and the axis ranges. Backend-free, so SVG and PNG agree.

use std::ops::Range;

use stratagraph_engine::backtest::{ExitReason, Side, Trade};

use crate::data::{ChartData, ChartOptions, Overlay, Palette, PriceSeries};
use crate::decimate::{decimate_min_max, visible};
use crate::format::TimeFmt;

/// Margin around the plot, pixels.
pub(crate) const MARGIN: u32 = 12;
/// Room for the x axis labels, pixels.
pub(crate) const X_LABEL_AREA: u32 = 28;
/// Room for the y axis labels, pixels.
pub(crate) const Y_LABEL_AREA: u32 = 76;

const HALF_DAY_MS: i64 = 43_200_000;
/// Axis times are kept within ±this many ms (about ±31,000 years): plotters' tick arithmetic
/// overflows near the ends of `i64`.
const TIME_LIMIT: i64 = 1_000_000_000_000_000;
/// Candles are drawn when each visible bar gets at least this many pixels.
const CANDLE_MIN_PX: usize = 5;

/// The note drawn on a chart with nothing to show.
pub(crate) const NO_DATA: &str = "no data in range";

type Rgb = (u8, u8, u8);

/// How the y axis labels its ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum YFmt {
    /// A plain number with thousands separators.
    Number,
    /// A percentage.
    Percent,
}

/// A polyline (or an area down to zero).
pub(crate) struct Line {
    pub points: Vec<(i64, f64)>,
    pub color: Rgb,
    pub label: Option<String>,
    pub area: bool,
    /// A thin reference line (an indicator's level) rather than a data line.
    pub level: bool,
}

/// One OHLC bar.
pub(crate) struct Candle {
    pub t: i64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
}

/// The shape of a trade marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MarkerKind {
    /// ▲
    LongEntry,
    /// ▼
    ShortEntry,
    /// ✕
    Exit,
}

/// A trade marker at a time and price.
pub(crate) struct Marker {
    pub t: i64,
    pub price: f64,
    pub kind: MarkerKind,
    pub win: bool,
}

/// Everything one chart draws.
pub(crate) struct Scene {
    pub title: String,
    pub palette: Palette,
    pub x: (i64, i64),
    pub y: (f64, f64),
    pub time_fmt: TimeFmt,
    pub y_fmt: YFmt,
    pub y_decimals: usize,
    pub lines: Vec<Line>,
    pub candles: Vec<Candle>,
    /// Half the width of a candle body, ms.
    pub candle_half_ms: i64,
    pub markers: Vec<Marker>,
    pub note: Option<String>,
}

/// Horizontal pixels of the plot, which is the number of decimation buckets.
fn plot_width(opts: &ChartOptions) -> usize {
    opts.width.saturating_sub(Y_LABEL_AREA + 2 * MARGIN).max(16) as usize
}

/// The requested range, or `None` when `from` is after `to`.
fn requested(opts: &ChartOptions) -> Option<(Option<i64>, Option<i64>)> {
    match (opts.from_ms, opts.to_ms) {
        (Some(f), Some(t)) if f > t => None,
        r => Some(r),
    }
}

impl Scene {
    fn new(title: impl Into<String>, opts: &ChartOptions, y_fmt: YFmt) -> Scene {
        Scene {
            title: title.into(),
            palette: opts.theme.palette(),
            x: (0, 1),
            y: (0.0, 1.0),
            time_fmt: TimeFmt::Date,
            y_fmt,
            y_decimals: 2,
            lines: Vec::new(),
            candles: Vec::new(),
            candle_half_ms: 0,
            markers: Vec::new(),
            note: None,
        }
    }

    /// Sets the x range to the requested one, filled in from the data's visible ends, and the
    /// y range to the finite values drawn; an empty scene gets the note instead.
    fn finish(
        mut self,
        opts: &ChartOptions,
        data_ends: Option<(i64, i64)>,
        sample: &[i64],
    ) -> Scene {
        let (from, to) = requested(opts).unwrap_or((None, None));
        let ends = data_ends.or_else(|| {
            let ts = self.markers.iter().map(|m| m.t);
            Some((ts.clone().min()?, ts.max()?))
        });
        let (mut x0, mut x1) = match ends {
            Some((a, b)) => (from.unwrap_or(a), to.unwrap_or(b)),
            None => (from.or(to).unwrap_or(0), to.or(from).unwrap_or(0)),
        };
        x0 = x0.clamp(-TIME_LIMIT, TIME_LIMIT);
        x1 = x1.clamp(-TIME_LIMIT, TIME_LIMIT);
        if x1 <= x0 {
            x0 = x0.saturating_sub(HALF_DAY_MS);
            x1 = x0.saturating_add(2 * HALF_DAY_MS);
        }
        if self.candle_half_ms > 0 {
            x0 = x0.saturating_sub(self.candle_half_ms * 2);
            x1 = x1.saturating_add(self.candle_half_ms * 2);
        }
        self.x = (x0, x1);
        self.time_fmt = TimeFmt::for_times(sample, x1.saturating_sub(x0));

        let values = self
            .lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.1))
            .chain(self.candles.iter().flat_map(|c| [c.high, c.low]))
            .chain(self.markers.iter().map(|m| m.price))
            .filter(|v| v.is_finite());
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if lo > hi {
            self.note.get_or_insert_with(|| NO_DATA.to_owned());
            self.y = (0.0, 1.0);
            return self;
        }
        if self.lines.iter().any(|l| l.area) {
            hi = hi.max(0.0);
        }
        let span = hi - lo;
        let pad = if span <= f64::EPSILON * lo.abs().max(hi.abs()).max(1.0) {
            (lo.abs() * 0.01).max(1.0)
        } else {
            span * 0.05
        };
        self.y = (lo - pad, hi + pad);
        self.thin_markers(opts);
        let shown = self.y.1 - self.y.0;
        self.y_decimals = if shown >= 50.0 {
            0
        } else if shown >= 0.5 {
            2
        } else {
            4
        };
        self
    }

    /// With more markers than the plot has pixel columns, keeps one marker of each kind and
    /// colour per 2-pixel cell: the picture is the same and the SVG stays small.
    fn thin_markers(&mut self, opts: &ChartOptions) {
        let w = plot_width(opts);
        if self.markers.len() <= w {
            return;
        }
        let h = opts
            .height
            .saturating_sub(2 * MARGIN + X_LABEL_AREA + 24)
            .max(16) as f64;
        let (x0, xs) = (self.x.0 as f64, (self.x.1 - self.x.0) as f64);
        let (y0, ys) = (self.y.0, self.y.1 - self.y.0);
        let cell = |m: &Marker| {
            let px = ((m.t as f64 - x0) / xs * w as f64 / 2.0) as i64;
            let py = ((m.price - y0) / ys * h / 2.0) as i64;
            (px, py, m.kind as u8, m.win)
        };
        let mut seen = std::collections::HashSet::with_capacity(self.markers.len());
        self.markers.retain(|m| seen.insert(cell(m)));
    }

    fn note_only(mut self, opts: &ChartOptions, note: &str) -> Scene {
        self.lines.clear();
        self.candles.clear();
        self.markers.clear();
        self.note = Some(note.to_owned());
        self.finish(opts, None, &[])
    }

    /// The equity curve.
    pub(crate) fn equity(data: &ChartData<'_>, opts: &ChartOptions) -> Scene {
        let scene = Scene::new("Equity", opts, YFmt::Number);
        let Some((from, to)) = requested(opts) else {
            return scene.note_only(opts, NO_DATA);
        };
        let n = data.len();
        let times = &data.times[..n];
        let vis = visible(times, from, to);
        let points = decimate_min_max(
            &times[vis.clone()],
            &data.equity[vis.clone()],
            plot_width(opts),
        );
        let ends = ends(times, &vis);
        let color = scene.palette.line;
        let mut scene = scene;
        // With a benchmark both lines are named in a legend.
        let bench = data
            .benchmark
            .map(|b| {
                decimate_min_max(
                    &times[vis.clone()],
                    &b[vis_in(&vis, b.len())],
                    plot_width(opts),
                )
            })
            .filter(|p| !p.is_empty());
        if !points.is_empty() {
            scene.lines.push(Line {
                points,
                color,
                label: bench.as_ref().map(|_| "Strategy".to_owned()),
                area: false,
                level: false,
            });
        }
        if let Some(points) = bench {
            let color = scene.palette.line2;
            scene.lines.push(Line {
                points,
                color,
                label: Some("Buy and hold".to_owned()),
                area: false,
                level: false,
            });
        }
        scene.finish(opts, ends, &times[vis])
    }

    /// The drawdown below the running peak of the whole curve, in percent.
    pub(crate) fn drawdown(data: &ChartData<'_>, opts: &ChartOptions) -> Scene {
        let mut scene = Scene::new("Drawdown", opts, YFmt::Percent);
        let Some((from, to)) = requested(opts) else {
            return scene.note_only(opts, NO_DATA);
        };
        let n = data.len();
        let (times, equity) = (&data.times[..n], &data.equity[..n]);
        let vis = visible(times, from, to);
        // The peak before the visible range counts: zooming never changes a drawdown.
        let mut peak = equity[..vis.start]
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .fold(f64::NEG_INFINITY, f64::max);
        let dd: Vec<f64> = equity[vis.clone()]
            .iter()
            .map(|&e| {
                if !e.is_finite() {
                    return f64::NAN;
                }
                peak = peak.max(e);
                if peak > 0.0 {
                    (e / peak - 1.0) * 100.0
                } else {
                    f64::NAN
                }
            })
            .collect();
        let points = decimate_min_max(&times[vis.clone()], &dd, plot_width(opts));
        if !points.is_empty() {
            let color = scene.palette.drawdown;
            scene.lines.push(Line {
                points,
                color,
                label: None,
                area: true,
                level: false,
            });
        }
        let ends = ends(times, &vis);
        scene.finish(opts, ends, &times[vis])
    }

    /// Prices with trade markers.
    pub(crate) fn price(data: &ChartData<'_>, opts: &ChartOptions) -> Scene {
        let mut scene = Scene::new("Price and trades", opts, YFmt::Number);
        let Some((from, to)) = requested(opts) else {
            return scene.note_only(opts, NO_DATA);
        };
        scene.markers = markers(data.trades, from, to);
        let Some(prices) = data.prices.filter(|p| !p.is_empty()) else {
            scene.note = Some(if scene.markers.is_empty() {
                NO_DATA.to_owned()
            } else {
                "no price data: trades only".to_owned()
            });
            return scene.finish(opts, None, &[]);
        };
        let n = prices.len();
        let times = &prices.times[..n];
        let vis = visible(times, from, to);
        let width = plot_width(opts);
        if !vis.is_empty() && vis.len() * CANDLE_MIN_PX <= width {
            add_candles(&mut scene, &prices, vis.clone());
        } else {
            let points = decimate_min_max(&times[vis.clone()], &prices.close[vis.clone()], width);
            if !points.is_empty() {
                let color = scene.palette.line;
                scene.lines.push(Line {
                    points,
                    color,
                    label: None,
                    area: false,
                    level: false,
                });
            }
        }
        for (k, o) in data.overlays.iter().enumerate() {
            let color = scene.palette.series[k % scene.palette.series.len()];
            let points = decimate_min_max(
                &times[vis.clone()],
                &o.values[vis_in(&vis, o.values.len())],
                width,
            );
            scene.lines.push(Line {
                points,
                color,
                label: Some(o.label.to_owned()),
                area: false,
                level: false,
            });
        }
        let ends = ends(times, &vis);
        scene.finish(opts, ends, &times[vis])
    }

    /// One series in a pane of its own (an oscillator such as RSI), with its reference levels
    /// (the constants the strategy compares it with) as thin horizontal lines.
    pub(crate) fn indicator(
        times: &[i64],
        series: &Overlay<'_>,
        levels: &[f64],
        opts: &ChartOptions,
    ) -> Scene {
        let mut scene = Scene::new(series.label, opts, YFmt::Number);
        let Some((from, to)) = requested(opts) else {
            return scene.note_only(opts, NO_DATA);
        };
        let n = times.len().min(series.values.len());
        let times = &times[..n];
        let vis = visible(times, from, to);
        let points = decimate_min_max(
            &times[vis.clone()],
            &series.values[vis.clone()],
            plot_width(opts),
        );
        let ends = ends(times, &vis);
        if !points.is_empty() {
            if let Some((a, b)) = ends {
                let grid = scene.palette.grid;
                for &v in levels.iter().filter(|v| v.is_finite()) {
                    scene.lines.push(Line {
                        points: vec![(a, v), (b, v)],
                        color: grid,
                        label: None,
                        area: false,
                        level: true,
                    });
                }
            }
            let color = scene.palette.series[0];
            scene.lines.push(Line {
                points,
                color,
                label: None,
                area: false,
                level: false,
            });
        }
        scene.finish(opts, ends, &times[vis])
    }

    /// Two equity curves, each rebased to 100 at its first visible finite positive value.
    pub(crate) fn compare(
        a: &ChartData<'_>,
        b: &ChartData<'_>,
        labels: (&str, &str),
        opts: &ChartOptions,
    ) -> Scene {
        let mut scene = Scene::new("Equity comparison (start = 100)", opts, YFmt::Number);
        let Some((from, to)) = requested(opts) else {
            return scene.note_only(opts, NO_DATA);
        };
        let mut all_ends: Option<(i64, i64)> = None;
        let mut sample: &[i64] = &[];
        let colors = [scene.palette.line, scene.palette.line2];
        for ((data, label), color) in [(a, labels.0), (b, labels.1)].into_iter().zip(colors) {
            let n = data.len();
            let (times, equity) = (&data.times[..n], &data.equity[..n]);
            let vis = visible(times, from, to);
            let Some(base) = equity[vis.clone()]
                .iter()
                .copied()
                .find(|v| v.is_finite() && *v > 0.0)
            else {
                continue;
            };
            let mut points =
                decimate_min_max(&times[vis.clone()], &equity[vis.clone()], plot_width(opts));
            for p in &mut points {
                p.1 = p.1 / base * 100.0;
            }
            if let Some((s, e)) = ends(times, &vis) {
                all_ends = Some(all_ends.map_or((s, e), |(a0, a1)| (a0.min(s), a1.max(e))));
            }
            if sample.is_empty() {
                sample = &times[vis];
            }
            scene.lines.push(Line {
                points,
                color,
                label: Some(label.to_owned()),
                area: false,
                level: false,
            });
        }
        scene.finish(opts, all_ends, sample)
    }
}

/// `vis` cut to a column of `len` values (a column shorter than the times gives fewer).
fn vis_in(vis: &Range<usize>, len: usize) -> Range<usize> {
    vis.start.min(len)..vis.end.min(len)
}

/// First and last visible time.
fn ends(times: &[i64], vis: &Range<usize>) -> Option<(i64, i64)> {
    let s = times.get(vis.clone())?;
    Some((*s.first()?, *s.last()?))
}

/// Entry and exit markers of the trades whose entry or exit lies in `[from, to]`; an open
/// trade has no exit marker.
fn markers(trades: &[Trade], from: Option<i64>, to: Option<i64>) -> Vec<Marker> {
    let inside = |t: i64| from.is_none_or(|f| t >= f) && to.is_none_or(|e| t <= e);
    let mut out = Vec::new();
    for tr in trades {
        let win = tr.pnl > 0.0;
        if inside(tr.entry_time) && tr.entry_price.is_finite() {
            let kind = match tr.side {
                Side::Long => MarkerKind::LongEntry,
                Side::Short => MarkerKind::ShortEntry,
            };
            out.push(Marker {
                t: tr.entry_time,
                price: tr.entry_price,
                kind,
                win,
            });
        }
        if tr.exit_reason != ExitReason::Open && inside(tr.exit_time) && tr.exit_price.is_finite() {
            out.push(Marker {
                t: tr.exit_time,
                price: tr.exit_price,
                kind: MarkerKind::Exit,
                win,
            });
        }
    }
    out
}

fn add_candles(scene: &mut Scene, p: &PriceSeries<'_>, vis: Range<usize>) {
    let count = vis.len();
    let (first, last) = (p.times[vis.start], p.times[vis.end - 1]);
    let step = if count >= 2 {
        (last.saturating_sub(first) / (count as i64 - 1)).max(1)
    } else {
        2 * HALF_DAY_MS
    };
    scene.candle_half_ms = (step * 35 / 100).max(1);
    for i in vis {
        let c = Candle {
            t: p.times[i],
            open: p.open[i],
            high: p.high[i],
            low: p.low[i],
            close: p.close[i],
        };
        if [c.open, c.high, c.low, c.close]
            .iter()
            .all(|v| v.is_finite())
        {
            scene.candles.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> ChartOptions {
        ChartOptions::default()
    }

    #[test]
    fn empty_and_inverted_ranges_give_a_note() {
        let data = ChartData::default();
        assert_eq!(Scene::equity(&data, &opts()).note.as_deref(), Some(NO_DATA));
        let times = [0, 1, 2];
        let eq = [1.0, 2.0, 3.0];
        let data = ChartData {
            times: &times,
            equity: &eq,
            ..ChartData::default()
        };
        let inverted = ChartOptions {
            from_ms: Some(2),
            to_ms: Some(1),
            ..opts()
        };
        assert_eq!(
            Scene::equity(&data, &inverted).note.as_deref(),
            Some(NO_DATA)
        );
        let outside = ChartOptions {
            from_ms: Some(10),
            ..opts()
        };
        let s = Scene::drawdown(&data, &outside);
        assert_eq!(s.note.as_deref(), Some(NO_DATA));
        assert!(s.x.0 < s.x.1 && s.y.0 < s.y.1);
    }

    #[test]
    fn flat_and_single_values_get_a_real_range() {
        let times = [5];
        let eq = [100.0];
        let data = ChartData {
            times: &times,
            equity: &eq,
            ..ChartData::default()
        };
        let s = Scene::equity(&data, &opts());
        assert!(s.note.is_none());
        assert!(s.x.0 < s.x.1 && s.y.0 < 100.0 && s.y.1 > 100.0);
    }

    #[test]
    fn drawdown_keeps_the_peak_before_the_zoom() {
        let times = [0, 1, 2, 3];
        let eq = [100.0, 200.0, 100.0, 150.0];
        let data = ChartData {
            times: &times,
            equity: &eq,
            ..ChartData::default()
        };
        let s = Scene::drawdown(
            &data,
            &ChartOptions {
                from_ms: Some(2),
                ..opts()
            },
        );
        assert_eq!(s.lines[0].points, vec![(2, -50.0), (3, -25.0)]);
    }

    #[test]
    fn compare_rebases_to_100() {
        let times = [0, 1];
        let a = [50.0, 100.0];
        let b = [f64::NAN, 10.0];
        let da = ChartData {
            times: &times,
            equity: &a,
            ..ChartData::default()
        };
        let db = ChartData {
            times: &times,
            equity: &b,
            ..ChartData::default()
        };
        let s = Scene::compare(&da, &db, ("a", "b"), &opts());
        assert_eq!(s.lines[0].points, vec![(0, 100.0), (1, 200.0)]);
        assert_eq!(s.lines[1].points, vec![(1, 100.0)]);
    }

    #[test]
    fn a_benchmark_gets_its_own_named_line() {
        let times = [0, 1, 2];
        let eq = [100.0, 110.0, 120.0];
        let bench = [100.0, 90.0, 80.0];
        let data = ChartData {
            times: &times,
            equity: &eq,
            benchmark: Some(&bench),
            ..ChartData::default()
        };
        let s = Scene::equity(&data, &opts());
        let labels: Vec<_> = s.lines.iter().map(|l| l.label.as_deref()).collect();
        assert_eq!(labels, vec![Some("Strategy"), Some("Buy and hold")]);
        assert_eq!(s.lines[1].points, vec![(0, 100.0), (1, 90.0), (2, 80.0)]);
        // The y range covers both lines.
        assert!(s.y.0 < 80.0 && s.y.1 > 120.0);
        // Without one the equity line has no legend.
        let plain = Scene::equity(
            &ChartData {
                benchmark: None,
                ..data
            },
            &opts(),
        );
        assert_eq!(plain.lines.len(), 1);
        assert!(plain.lines[0].label.is_none());
    }

    #[test]
    fn overlays_follow_the_zoom_and_panes_draw_their_levels() {
        let times = [0, 1, 2, 3];
        let close = [10.0, 11.0, 12.0, 13.0];
        let sma = [f64::NAN, 10.5, 11.5, 12.5];
        let overlays = [Overlay {
            label: "fast.out",
            values: &sma,
        }];
        let data = ChartData {
            prices: Some(PriceSeries {
                times: &times,
                open: &close,
                high: &close,
                low: &close,
                close: &close,
            }),
            overlays: &overlays,
            ..ChartData::default()
        };
        let zoom = ChartOptions {
            from_ms: Some(2),
            ..opts()
        };
        let s = Scene::price(&data, &zoom);
        let line = s
            .lines
            .iter()
            .find(|l| l.label.as_deref() == Some("fast.out"))
            .map(|l| l.points.clone());
        assert_eq!(line, Some(vec![(2, 11.5), (3, 12.5)]));

        let rsi = [f64::NAN, 20.0, 50.0, 80.0];
        let pane = Scene::indicator(
            &times,
            &Overlay {
                label: "rsi.out",
                values: &rsi,
            },
            &[30.0, 70.0],
            &opts(),
        );
        let levels: Vec<_> = pane
            .lines
            .iter()
            .filter(|l| l.level)
            .map(|l| l.points.clone())
            .collect();
        assert_eq!(
            levels,
            vec![vec![(0, 30.0), (3, 30.0)], vec![(0, 70.0), (3, 70.0)]]
        );
        assert_eq!(pane.title, "rsi.out");
        assert!(pane.y.0 < 20.0 && pane.y.1 > 80.0);
    }
}
