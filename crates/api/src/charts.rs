//! Charts of stored runs, drawn by `crates/report` from what the store keeps (the decimated
//! equity curve, the full trade list and, for prices, the run's dataset).

use stratagraph_engine::backtest::Trade as EngineTrade;
use stratagraph_report::{ChartData, ChartOptions, PriceSeries, Theme};

use crate::dto::RunDetail;
use crate::error::{ApiResult, IpcError};
use crate::{app, datasets, runs, Ctx};

/// Default chart size when the UI gives none.
pub const DEFAULT_SIZE: (u32, u32) = (960, 360);

/// The columns a chart needs from a run.
pub(crate) struct Series {
    times: Vec<i64>,
    equity: Vec<f64>,
    trades: Vec<EngineTrade>,
}

pub(crate) fn series(run: &RunDetail) -> Series {
    let trades = run
        .trades
        .iter()
        .chain(run.open_trade.iter())
        .filter_map(|t| serde_json::to_value(t).ok())
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect();
    Series {
        times: run.equity.iter().map(|p| p.t).collect(),
        equity: run.equity.iter().map(|p| p.v).collect(),
        trades,
    }
}

pub(crate) fn data(s: &Series) -> ChartData<'_> {
    ChartData {
        times: &s.times,
        equity: &s.equity,
        trades: &s.trades,
        prices: None,
    }
}

pub(crate) fn options(ctx: &Ctx, width: Option<u32>, height: Option<u32>) -> ChartOptions {
    ChartOptions {
        width: width.unwrap_or(DEFAULT_SIZE.0),
        height: height.unwrap_or(DEFAULT_SIZE.1),
        from_ms: None,
        to_ms: None,
        theme: match app::settings_get(ctx).theme {
            crate::dto::Theme::Light => Theme::Light,
            crate::dto::Theme::Dark => Theme::Dark,
        },
    }
}

fn report_error(e: stratagraph_report::ReportError) -> IpcError {
    IpcError::invalid(e.to_string())
}

/// The arguments of [`run_chart`].
#[derive(Debug, Clone, Default)]
pub struct ChartRequest {
    /// Run id.
    pub run_id: String,
    /// `equity`, `drawdown` or `price`.
    pub kind: String,
    /// First time shown (ms UTC).
    pub from: Option<i64>,
    /// Last time shown (ms UTC).
    pub to: Option<i64>,
    /// Width in pixels.
    pub width: Option<u32>,
    /// Height in pixels.
    pub height: Option<u32>,
}

/// `runChart`: an SVG of a stored run (equity, drawdown, or prices with the trades).
///
/// # Errors
///
/// `invalid` for an unknown kind or a size out of range, `not_found`.
pub async fn run_chart(ctx: &Ctx, req: ChartRequest) -> ApiResult<String> {
    let run = runs::get(ctx, &req.run_id).await?;
    let s = series(&run);
    let mut opts = options(ctx, req.width, req.height);
    opts.from_ms = req.from;
    opts.to_ms = req.to;
    match req.kind.as_str() {
        "equity" => stratagraph_report::equity_svg(&data(&s), &opts).map_err(report_error),
        "drawdown" => stratagraph_report::drawdown_svg(&data(&s), &opts).map_err(report_error),
        "price" => {
            let id = run
                .summary
                .dataset_id
                .clone()
                .ok_or_else(|| IpcError::not_found("The run does not name its dataset"))?;
            let bars = datasets::load(ctx, &id)?;
            let mut d = data(&s);
            d.prices = Some(PriceSeries::from_bars(&bars));
            stratagraph_report::price_svg(&d, &opts).map_err(report_error)
        }
        other => Err(IpcError::invalid(format!(
            "Unknown chart \"{other}\" (equity, drawdown or price)"
        ))),
    }
}

/// The overlaid equity SVG of two runs.
///
/// # Errors
///
/// `invalid` for a size out of range.
pub(crate) fn compare_svg(
    ctx: &Ctx,
    a: &RunDetail,
    b: &RunDetail,
    width: Option<u32>,
    height: Option<u32>,
) -> ApiResult<String> {
    let (sa, sb) = (series(a), series(b));
    let la = format!("A: v{} {}", a.summary.version, a.summary.created_at);
    let lb = format!("B: v{} {}", b.summary.version, b.summary.created_at);
    stratagraph_report::compare_equity_svg(
        &data(&sa),
        &data(&sb),
        (&la, &lb),
        &options(ctx, width, height),
    )
    .map_err(report_error)
}
