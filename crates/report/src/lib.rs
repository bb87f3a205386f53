//! Charts of backtests drawn with plotters (SVG for the UI, PNG for export) and one-file HTML
//! reports. Pure functions: the same input always gives the same bytes.
//!
//! The input is [`ChartData`], which a fresh [`BacktestResult`](stratagraph_engine::backtest::BacktestResult)
//! and a stored run (trades in full, equity decimated to `(time, value)` points) both fill.
//! Every chart takes [`ChartOptions`]: size, an optional time range to zoom to, and a theme.

mod data;
mod decimate;
mod draw;
mod format;
mod html;
mod research;
mod scene;
mod strategy;

use std::sync::OnceLock;

pub use data::{ChartData, ChartOptions, Overlay, Palette, PriceSeries, Theme};
pub use decimate::decimate_min_max;
pub use format::escape_html;
pub use html::{html_report, metric_cards, ReportInput};
pub use research::{bands_svg, heatmap_svg, histogram_svg, HeatmapData, HeatmapPicture};
pub use strategy::{graph_svg, RobustnessReport};

use scene::Scene;

/// What can go wrong while rendering.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// The requested image size is outside [`MIN_SIZE`]..=[`MAX_SIZE`] pixels.
    #[error("chart size {width}x{height} is out of range ({MIN_SIZE}..={MAX_SIZE} pixels a side)")]
    InvalidSize {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
    },
    /// The shipped font could not be loaded.
    #[error("the chart font could not be loaded")]
    Font,
    /// plotters failed while drawing.
    #[error("drawing the chart failed: {0}")]
    Draw(String),
    /// The PNG encoder failed.
    #[error("encoding the PNG failed: {0}")]
    Encode(String),
}

/// Where a chart's plot lies in its picture (pixels from the top left) and what it spans, so
/// a viewer can turn a mouse position into a time and a value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    /// Left edge of the plot, pixels.
    pub left: i32,
    /// Right edge of the plot, pixels.
    pub right: i32,
    /// Top edge of the plot, pixels.
    pub top: i32,
    /// Bottom edge of the plot, pixels.
    pub bottom: i32,
    /// Times at the left and right edges, ms UTC.
    pub x: (i64, i64),
    /// Values at the bottom and top edges.
    pub y: (f64, f64),
}

impl Frame {
    /// For each pixel column of the plot, the index of the last of `times` (increasing) at
    /// or before the column's time, or `None` before the first time or after the last.
    pub fn columns(&self, times: &[i64]) -> Vec<Option<usize>> {
        let n = (self.right - self.left).max(1);
        let (x0, span) = (self.x.0 as f64, (self.x.1 - self.x.0) as f64);
        let last = times.last().copied();
        (0..n)
            .map(|c| {
                let t = (x0 + (f64::from(c) + 0.5) / f64::from(n) * span) as i64;
                let i = times.partition_point(|&x| x <= t);
                (i > 0 && last.is_some_and(|l| t <= l + half_step(times))).then(|| i - 1)
            })
            .collect()
    }
}

/// Half the typical spacing of `times` (the last bar owns half a bar after it).
fn half_step(times: &[i64]) -> i64 {
    match times {
        [.., a, b] => (b - a) / 2,
        _ => 0,
    }
}

/// A chart as SVG with where its plot lies.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawing {
    /// The SVG document.
    pub svg: String,
    /// The plot's place and ranges.
    pub frame: Frame,
}

/// The equity curve (and buy-and-hold when `data.benchmark` is set) as a [`Drawing`].
///
/// # Errors
/// As [`equity_svg`].
pub fn equity_view(data: &ChartData<'_>, opts: &ChartOptions) -> Result<Drawing, ReportError> {
    drawing(&Scene::equity(data, opts), opts)
}

/// The drawdown as a [`Drawing`].
///
/// # Errors
/// As [`equity_svg`].
pub fn drawdown_view(data: &ChartData<'_>, opts: &ChartOptions) -> Result<Drawing, ReportError> {
    drawing(&Scene::drawdown(data, opts), opts)
}

/// The price chart (with `data.overlays`) as a [`Drawing`].
///
/// # Errors
/// As [`equity_svg`].
pub fn price_view(data: &ChartData<'_>, opts: &ChartOptions) -> Result<Drawing, ReportError> {
    drawing(&Scene::price(data, opts), opts)
}

/// One series over `times` in a pane of its own, with horizontal lines at `levels` (e.g. an
/// RSI with its 30 and 70), as a [`Drawing`].
///
/// # Errors
/// As [`equity_svg`].
pub fn indicator_view(
    times: &[i64],
    series: &Overlay<'_>,
    levels: &[f64],
    opts: &ChartOptions,
) -> Result<Drawing, ReportError> {
    drawing(&Scene::indicator(times, series, levels, opts), opts)
}

/// The indicator pane of [`indicator_view`] as PNG bytes.
///
/// # Errors
/// As [`equity_png`].
pub fn indicator_png(
    times: &[i64],
    series: &Overlay<'_>,
    levels: &[f64],
    opts: &ChartOptions,
) -> Result<Vec<u8>, ReportError> {
    draw::png(&Scene::indicator(times, series, levels, opts), opts)
}

fn drawing(scene: &Scene, opts: &ChartOptions) -> Result<Drawing, ReportError> {
    let (svg, frame) = draw::svg_framed(scene, opts)?;
    Ok(Drawing { svg, frame })
}

/// Smallest width or height accepted, in pixels.
pub const MIN_SIZE: u32 = 64;
/// Largest width or height accepted, in pixels.
pub const MAX_SIZE: u32 = 8192;

/// DejaVu Sans (licence in `fonts/LICENSE-DejaVu.txt`), the only font charts use.
static DEJAVU_SANS: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// Registers DejaVu Sans as plotters' `sans-serif` once per process.
fn ensure_font() -> Result<(), ReportError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(
            "sans-serif",
            plotters::style::FontStyle::Normal,
            DEJAVU_SANS,
        )
        .is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(ReportError::Font)
    }
}

/// The equity curve as an SVG document.
///
/// # Errors
/// [`ReportError::InvalidSize`] for a size out of range; [`ReportError::Draw`] if plotters fails.
pub fn equity_svg(data: &ChartData<'_>, opts: &ChartOptions) -> Result<String, ReportError> {
    draw::svg(&Scene::equity(data, opts), opts)
}

/// The equity curve as PNG bytes.
///
/// # Errors
/// As [`equity_svg`], and [`ReportError::Encode`] if PNG encoding fails.
pub fn equity_png(data: &ChartData<'_>, opts: &ChartOptions) -> Result<Vec<u8>, ReportError> {
    draw::png(&Scene::equity(data, opts), opts)
}

/// The drawdown (percent below the running peak of the whole curve) as an SVG document.
///
/// # Errors
/// As [`equity_svg`].
pub fn drawdown_svg(data: &ChartData<'_>, opts: &ChartOptions) -> Result<String, ReportError> {
    draw::svg(&Scene::drawdown(data, opts), opts)
}

/// The drawdown as PNG bytes.
///
/// # Errors
/// As [`equity_png`].
pub fn drawdown_png(data: &ChartData<'_>, opts: &ChartOptions) -> Result<Vec<u8>, ReportError> {
    draw::png(&Scene::drawdown(data, opts), opts)
}

/// Prices (a close line, or OHLC candles when few bars are visible) with the trades marked:
/// ▲ long entry, ▼ short entry, ✕ exit, green for a winning trade and red for a losing one.
/// Without prices only the markers are drawn, with a note.
///
/// # Errors
/// As [`equity_svg`].
pub fn price_svg(data: &ChartData<'_>, opts: &ChartOptions) -> Result<String, ReportError> {
    draw::svg(&Scene::price(data, opts), opts)
}

/// The price chart as PNG bytes.
///
/// # Errors
/// As [`equity_png`].
pub fn price_png(data: &ChartData<'_>, opts: &ChartOptions) -> Result<Vec<u8>, ReportError> {
    draw::png(&Scene::price(data, opts), opts)
}

/// Two equity curves overlaid, each normalised to 100 at the start of the visible range.
///
/// # Errors
/// As [`equity_svg`].
pub fn compare_equity_svg(
    a: &ChartData<'_>,
    b: &ChartData<'_>,
    labels: (&str, &str),
    opts: &ChartOptions,
) -> Result<String, ReportError> {
    draw::svg(&Scene::compare(a, b, labels, opts), opts)
}

/// The comparison chart as PNG bytes.
///
/// # Errors
/// As [`equity_png`].
pub fn compare_equity_png(
    a: &ChartData<'_>,
    b: &ChartData<'_>,
    labels: (&str, &str),
    opts: &ChartOptions,
) -> Result<Vec<u8>, ReportError> {
    draw::png(&Scene::compare(a, b, labels, opts), opts)
}

#[cfg(test)]
mod tests {
    use super::Frame;

    #[test]
    fn columns_map_pixels_to_the_bar_at_or_before_them() {
        // 10 pixels spanning times 0..=100; bars every 25 ms from 20.
        let f = Frame {
            left: 50,
            right: 60,
            top: 0,
            bottom: 10,
            x: (0, 100),
            y: (0.0, 1.0),
        };
        let times = [20, 45, 70];
        let cols = f.columns(&times);
        assert_eq!(cols.len(), 10);
        // Column c covers the time (c + 0.5) * 10.
        assert_eq!(cols[0], None); // t = 5, before the first bar
        assert_eq!(cols[1], None); // t = 15
        assert_eq!(cols[2], Some(0)); // t = 25
        assert_eq!(cols[3], Some(0)); // t = 35
        assert_eq!(cols[4], Some(1)); // t = 45, bar 1's own time
        assert_eq!(cols[5], Some(1)); // t = 55
        assert_eq!(cols[7], Some(2)); // t = 75, within half a bar (12 ms) after the last
        assert_eq!(cols[8], None); // t = 85, past it
        assert_eq!(cols[9], None);
    }
}
