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

pub use data::{ChartData, ChartOptions, Palette, PriceSeries, Theme};
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
