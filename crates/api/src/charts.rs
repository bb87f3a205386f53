//! Charts and reports of stored runs, drawn by `crates/report` from what the store keeps (the
//! decimated equity curve, the full trade list and, for prices, the run's dataset): SVG for
//! the UI, PNG/SVG files and one self-contained HTML report, written atomically.

use stratagraph_engine::backtest::Trade as EngineTrade;
use stratagraph_engine::metrics::Metrics;
use stratagraph_engine::Bars;
use stratagraph_report::{ChartData, ChartOptions, PriceSeries, ReportInput, Theme};

use crate::dto::RunDetail;
use crate::error::{ApiResult, ErrorCode, IpcError};
use crate::files::write_atomic;
use crate::{app, datasets, parse_uuid, runs, Ctx};

/// Default chart size when the UI gives none.
pub const DEFAULT_SIZE: (u32, u32) = (960, 360);

/// The columns a chart needs from a run.
pub(crate) struct Series {
    times: Vec<i64>,
    equity: Vec<f64>,
    trades: Vec<EngineTrade>,
}

/// The columns of `run` and the `trades` the chart marks (none for equity and drawdown: a
/// long run has tens of thousands, read only for the price chart and the report).
pub(crate) fn series(run: &RunDetail, trades: Vec<EngineTrade>) -> Series {
    Series {
        times: run.equity.iter().map(|p| p.t).collect(),
        equity: run.equity.iter().map(|p| p.v).collect(),
        trades,
    }
}

impl Series {
    /// The trades the series carries.
    pub(crate) fn trades(&self) -> &[EngineTrade] {
        &self.trades
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

/// Where the bars of the run's dataset are, when the run names one.
///
/// # Errors
///
/// `invalid` when the run's dataset id is malformed.
fn bars_file(ctx: &Ctx, run: &RunDetail) -> ApiResult<Option<std::path::PathBuf>> {
    run.summary
        .dataset_id
        .as_deref()
        .map(|id| datasets::bars_file(ctx, id))
        .transpose()
}

/// The bars in `file`, or `None` when the dataset was deleted (its charts then show the
/// trades only, with a note).
///
/// # Errors
///
/// `io` when the file exists but cannot be read.
fn prices_in(file: Option<&std::path::Path>) -> ApiResult<Option<Bars>> {
    let Some(file) = file else {
        return Ok(None);
    };
    match datasets::load_file(file) {
        Ok(bars) => Ok(Some(bars)),
        Err(e) if e.code == ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// A chart kind the UI and the exports know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Equity,
    Drawdown,
    Price,
}

impl Kind {
    fn parse(kind: &str) -> ApiResult<Kind> {
        match kind {
            "equity" => Ok(Kind::Equity),
            "drawdown" => Ok(Kind::Drawdown),
            "price" => Ok(Kind::Price),
            other => Err(IpcError::invalid(format!(
                "Unknown chart \"{other}\" (equity, drawdown or price)"
            ))),
        }
    }
}

/// A chart of a stored run in one of the two formats.
enum Drawn {
    Svg(String),
    Png(Vec<u8>),
}

/// Draws `kind` of `run` (loading the dataset's bars for prices) on a blocking thread, so a
/// large dataset never stalls the async workers that answer the UI's other calls.
async fn draw(ctx: &Ctx, req: &ChartRequest, png: bool) -> ApiResult<Drawn> {
    let kind = Kind::parse(&req.kind)?;
    let run = runs::detail(ctx, &req.run_id, false).await?;
    let trades = if kind == Kind::Price {
        runs::all_trades(ctx, &req.run_id).await?
    } else {
        Vec::new()
    };
    let s = series(&run, trades);
    let mut opts = options(ctx, req.width, req.height);
    opts.from_ms = req.from;
    opts.to_ms = req.to;
    let file = if kind == Kind::Price {
        bars_file(ctx, &run)?
    } else {
        None
    };
    tokio::task::spawn_blocking(move || render(kind, png, &s, file.as_deref(), &opts))
        .await
        .unwrap_or_else(|e| Err(IpcError::io("Drawing the chart stopped unexpectedly", e)))
}

/// The drawing part of [`draw`].
fn render(
    kind: Kind,
    png: bool,
    s: &Series,
    file: Option<&std::path::Path>,
    opts: &ChartOptions,
) -> ApiResult<Drawn> {
    let bars = prices_in(file)?;
    let mut d = data(s);
    d.prices = bars.as_ref().map(PriceSeries::from_bars);
    use stratagraph_report as r;
    let drawn = match (kind, png) {
        (Kind::Equity, false) => r::equity_svg(&d, opts).map(Drawn::Svg),
        (Kind::Drawdown, false) => r::drawdown_svg(&d, opts).map(Drawn::Svg),
        (Kind::Price, false) => r::price_svg(&d, opts).map(Drawn::Svg),
        (Kind::Equity, true) => r::equity_png(&d, opts).map(Drawn::Png),
        (Kind::Drawdown, true) => r::drawdown_png(&d, opts).map(Drawn::Png),
        (Kind::Price, true) => r::price_png(&d, opts).map(Drawn::Png),
    };
    drawn.map_err(report_error)
}

/// `runChart`: an SVG of a stored run (equity, drawdown, or prices with the trades). The
/// price chart loads the run's dataset; when that dataset was deleted it shows the trades
/// only, with a note, rather than failing.
///
/// # Errors
///
/// `invalid` for an unknown kind or a size out of range, `not_found` for an unknown run,
/// `io` when the dataset's file is damaged.
pub async fn run_chart(ctx: &Ctx, req: ChartRequest) -> ApiResult<String> {
    match draw(ctx, &req, false).await? {
        Drawn::Svg(svg) => Ok(svg),
        Drawn::Png(_) => Err(IpcError::invalid("The chart was not drawn as SVG")),
    }
}

/// The arguments of [`chart_export`].
#[derive(Debug, Clone, Default)]
pub struct ExportRequest {
    /// The chart: run, kind, range and size (default 960 × 360).
    pub chart: ChartRequest,
    /// `png` or `svg`.
    pub format: String,
    /// The file to write (replaced atomically).
    pub path: String,
}

/// `chartExport`: writes a chart of a stored run as a PNG or SVG file, atomically (a temporary
/// file beside the target, then a rename), so a failed export never leaves half a file.
///
/// # Errors
///
/// `invalid` for an unknown kind or format, a size out of range or no path; `not_found` for an
/// unknown run; `io` when the file cannot be written.
pub async fn chart_export(ctx: &Ctx, req: ExportRequest) -> ApiResult<()> {
    let png = match req.format.trim().to_ascii_lowercase().as_str() {
        "png" => true,
        "svg" => false,
        other => {
            return Err(IpcError::invalid(format!(
                "Unknown image format \"{other}\" (png or svg)"
            )))
        }
    };
    let path = datasets::check_path(&req.path)?;
    let bytes = match draw(ctx, &req.chart, png).await? {
        Drawn::Svg(svg) => svg.into_bytes(),
        Drawn::Png(png) => png,
    };
    write_atomic(&path, &bytes)
        .map_err(|e| IpcError::io(format!("Cannot write {}", path.display()), e))
}

/// `runExportHtml`: writes the run's self-contained HTML report (title, version notes,
/// parameters, data range, metrics, equity / drawdown / price charts and every trade)
/// atomically. Without the dataset (deleted) the price chart shows the trades only.
///
/// # Errors
///
/// `invalid` for no path or a run without results (failed, cancelled, still running);
/// `not_found` for an unknown run; `io` when the file cannot be written.
pub async fn run_export_html(ctx: &Ctx, run_id: &str, path: &str) -> ApiResult<()> {
    let path = datasets::check_path(path)?;
    let run = runs::detail(ctx, run_id, false).await?;
    let metrics: Metrics = run
        .summary
        .metrics
        .clone()
        .and_then(|m| serde_json::from_value(m).ok())
        .ok_or_else(|| {
            IpcError::invalid(format!(
                "The run has no results to report (it is {})",
                run.summary.status
            ))
        })?;
    let notes = match parse_uuid("strategy", &run.summary.strategy_id) {
        Ok(id) => ctx
            .store
            .load_version(id, run.summary.version)
            .await
            .ok()
            .and_then(|v| v.notes),
        Err(_) => None,
    };
    let s = series(&run, runs::all_trades(ctx, run_id).await?);
    let file = bars_file(ctx, &run)?;
    let bars = tokio::task::spawn_blocking(move || prices_in(file.as_deref()))
        .await
        .unwrap_or_else(|e| Err(IpcError::io("Loading the prices stopped unexpectedly", e)))?;
    let mut d = data(&s);
    d.prices = bars.as_ref().map(PriceSeries::from_bars);
    let params: Vec<(String, String)> = run
        .summary
        .parameters
        .iter()
        .map(|(k, v)| (k.clone(), format!("{v}")))
        .collect();
    let mut details = vec![
        ("Run".to_owned(), run.summary.id.clone()),
        ("Status".to_owned(), run.summary.status.clone()),
        ("Started".to_owned(), run.summary.created_at.clone()),
    ];
    if let Some(done) = &run.summary.completed_at {
        details.push(("Completed".to_owned(), done.clone()));
    }
    match &run.dataset {
        Some(ds) => {
            details.push((
                "Dataset".to_owned(),
                format!("{} ({} {})", ds.name, ds.symbol, ds.timeframe),
            ));
            details.push((
                "Data range".to_owned(),
                format!("{} → {} ({} bars)", ds.first, ds.last, ds.bars),
            ));
            details.push(("Data hash".to_owned(), ds.data_hash.clone()));
        }
        None => details.push((
            "Dataset".to_owned(),
            format!(
                "{} (deleted)",
                run.summary.dataset_name.as_deref().unwrap_or("unknown")
            ),
        )),
    }
    if let Some(h) = &run.result_hash {
        details.push(("Result hash".to_owned(), h.clone()));
    }
    // The strategy's rules and what the robustness checks find, as in the results view.
    let graph: Option<stratagraph_engine::graph::Graph> =
        match parse_uuid("strategy", &run.summary.strategy_id) {
            Ok(id) => ctx
                .store
                .load_version(id, run.summary.version)
                .await
                .ok()
                .and_then(|v| serde_json::from_value(v.graph_json).ok()),
            Err(_) => None,
        };
    let rob = crate::research::robustness(ctx, run_id).await?;
    let closed: Vec<f64> = s
        .trades()
        .iter()
        .filter(|t| t.exit_reason != stratagraph_engine::backtest::ExitReason::Open)
        .map(|t| t.pnl)
        .collect();
    let robustness = stratagraph_report::RobustnessReport {
        deflated_sharpe: rob.deflated_sharpe,
        probabilistic_sharpe: rob.probabilistic_sharpe,
        trials: rob.trials,
        note: rob.note,
        warnings: rob.warnings.into_iter().map(|w| w.message).collect(),
        monte_carlo: stratagraph_engine::robust::montecarlo::run(
            &closed,
            metrics.initial_equity,
            stratagraph_engine::robust::Method::Bootstrap,
            crate::research::DEFAULT_MC_RUNS as usize,
            1,
        )
        .ok(),
    };
    let subtitle = format!(
        "version {} · run of {}",
        run.summary.version, run.summary.created_at
    );
    let html = stratagraph_report::html_report(&ReportInput {
        title: &run.summary.strategy_title,
        subtitle: Some(&subtitle),
        notes: notes.as_deref(),
        params: &params,
        details: &details,
        metrics: &metrics,
        data: d,
        theme: options(ctx, None, None).theme,
        graph: graph.as_ref(),
        robustness: Some(&robustness),
    });
    write_atomic(&path, html.as_bytes())
        .map_err(|e| IpcError::io(format!("Cannot write {}", path.display()), e))
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
    let (sa, sb) = (series(a, Vec::new()), series(b, Vec::new()));
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
