//! Charts and reports of stored runs, drawn by `crates/report` from what the store keeps (the
//! decimated equity curve, the full trade list and, for prices, the run's dataset): SVG for
//! the UI, PNG/SVG files and one self-contained HTML report, written atomically.

use std::sync::Arc;

use stratagraph_engine::backtest::Trade as EngineTrade;
use stratagraph_engine::metrics::Metrics;
use stratagraph_engine::Bars;
use stratagraph_report::{ChartData, ChartOptions, PriceSeries, ReportInput, Theme};

use crate::dto::{ChartFrame, ChartMarker, ChartView, HoverSeries, RunDetail};
use crate::error::{ApiResult, ErrorCode, IpcError};
use crate::files::write_atomic;
use crate::{app, datasets, indicators, parse_uuid, runs, Ctx};

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
        ..ChartData::default()
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
    /// `equity`, `drawdown`, `price` or `indicator`.
    pub kind: String,
    /// First time shown (ms UTC).
    pub from: Option<i64>,
    /// Last time shown (ms UTC).
    pub to: Option<i64>,
    /// Width in pixels.
    pub width: Option<u32>,
    /// Height in pixels.
    pub height: Option<u32>,
    /// Node outputs (`node.port`) drawn over the prices of the `price` chart.
    pub indicators: Vec<String>,
    /// The node output (`node.port`) an `indicator` chart draws in its pane.
    pub series: Option<String>,
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
    Indicator,
}

impl Kind {
    fn parse(kind: &str) -> ApiResult<Kind> {
        match kind {
            "equity" => Ok(Kind::Equity),
            "drawdown" => Ok(Kind::Drawdown),
            "price" => Ok(Kind::Price),
            "indicator" => Ok(Kind::Indicator),
            other => Err(IpcError::invalid(format!(
                "Unknown chart \"{other}\" (equity, drawdown, price or indicator)"
            ))),
        }
    }
}

/// A chart of a stored run in one of the three forms.
enum Drawn {
    Svg(String),
    Png(Vec<u8>),
    View(Box<ChartView>),
}

/// The form [`draw`] gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Svg,
    Png,
    View,
}

/// Everything a chart draws, loaded and computed off the async workers.
struct Prepared {
    kind: Kind,
    s: Series,
    bars: Option<Bars>,
    /// Buy-and-hold equity at the run's equity times.
    benchmark: Option<Vec<f64>>,
    /// `(label, values per bar)` over the prices, or the one series of a pane.
    overlays: Vec<(String, Arc<Vec<f64>>)>,
    /// The pane's levels.
    levels: Vec<f64>,
}

/// Draws `kind` of `run` (loading the dataset's bars, and evaluating the graph for
/// indicators) on a blocking thread, so a large dataset never stalls the async workers that
/// answer the UI's other calls.
async fn draw(ctx: &Ctx, req: &ChartRequest, form: Form) -> ApiResult<Drawn> {
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
    let file = if kind == Kind::Drawdown {
        None
    } else {
        bars_file(ctx, &run)?
    };
    // The graph is evaluated only when a node output is drawn, and not again for outputs
    // the cache holds.
    let keys: Vec<String> = match kind {
        Kind::Price => req.indicators.clone(),
        Kind::Indicator => vec![req
            .series
            .clone()
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| {
                IpcError::invalid("An indicator chart needs the output to draw (series)")
            })?],
        _ => Vec::new(),
    };
    let cached = ctx.series.get(&req.run_id, &keys);
    let graph = if keys.is_empty() || cached.is_some() {
        None
    } else {
        Some(indicators::run_graph(ctx, &req.run_id).await?)
    };
    let cache = Arc::clone(&ctx.series);
    let run_id = req.run_id.clone();
    tokio::task::spawn_blocking(move || {
        let bars = prices_in(file.as_deref())?;
        if kind == Kind::Indicator && bars.is_none() {
            return Err(IpcError::not_found(
                "The run's dataset was deleted: its indicators cannot be recomputed",
            ));
        }
        let drawn: Vec<indicators::Drawn> = match (cached, &graph, &bars) {
            (Some(held), _, Some(_)) => held,
            (None, Some(g), Some(b)) => {
                let ev = indicators::evaluate(&g.plan, b)?;
                let picked = indicators::picked(g, &ev, &keys)?;
                cache.put(&run_id, &picked);
                picked.into_iter().map(|(_, d)| d).collect()
            }
            _ => Vec::new(),
        };
        let levels = match kind {
            Kind::Indicator => drawn.first().map(|d| d.levels.clone()).unwrap_or_default(),
            _ => Vec::new(),
        };
        let overlays = drawn.into_iter().map(|d| (d.label, d.values)).collect();
        let benchmark = match (kind, &bars) {
            (Kind::Equity, Some(b)) => buy_and_hold(&s.times, &s.equity, b.time(), b.close()),
            _ => None,
        };
        let p = Prepared {
            kind,
            s,
            bars,
            benchmark,
            overlays,
            levels,
        };
        render(&p, form, &opts)
    })
    .await
    .unwrap_or_else(|e| Err(IpcError::io("Drawing the chart stopped unexpectedly", e)))
}

/// Buy-and-hold equity at each of `times`: the run's starting equity put into the asset at
/// the close of the bar at the first time and held, without costs. `None` without a price
/// at the start.
pub(crate) fn buy_and_hold(
    times: &[i64],
    equity: &[f64],
    bar_times: &[i64],
    close: &[f64],
) -> Option<Vec<f64>> {
    let start = equity.first().copied().filter(|v| v.is_finite())?;
    let at = |t: i64| {
        bar_times
            .partition_point(|&x| x <= t)
            .checked_sub(1)
            .and_then(|i| close.get(i).copied())
            .filter(|c| c.is_finite())
    };
    let first = at(*times.first()?).filter(|c| *c > 0.0)?;
    Some(
        times
            .iter()
            .map(|&t| at(t).map_or(f64::NAN, |c| start * c / first))
            .collect(),
    )
}

/// The drawing part of [`draw`].
fn render(p: &Prepared, form: Form, opts: &ChartOptions) -> ApiResult<Drawn> {
    use stratagraph_report as r;
    let overlays: Vec<r::Overlay<'_>> = p
        .overlays
        .iter()
        .map(|(label, values)| r::Overlay {
            label,
            values: values.as_slice(),
        })
        .collect();
    let mut d = data(&p.s);
    d.prices = p.bars.as_ref().map(PriceSeries::from_bars);
    d.benchmark = p.benchmark.as_deref();
    if p.kind == Kind::Price {
        d.overlays = &overlays;
    }
    let bar_times: &[i64] = p.bars.as_ref().map_or(&[], |b| b.time());
    let pane = overlays.first();
    let drawn = match (p.kind, form) {
        (Kind::Equity, Form::Svg) => r::equity_svg(&d, opts).map(Drawn::Svg),
        (Kind::Drawdown, Form::Svg) => r::drawdown_svg(&d, opts).map(Drawn::Svg),
        (Kind::Price, Form::Svg) => r::price_svg(&d, opts).map(Drawn::Svg),
        (Kind::Equity, Form::Png) => r::equity_png(&d, opts).map(Drawn::Png),
        (Kind::Drawdown, Form::Png) => r::drawdown_png(&d, opts).map(Drawn::Png),
        (Kind::Price, Form::Png) => r::price_png(&d, opts).map(Drawn::Png),
        (Kind::Indicator, Form::Svg) => {
            pane_drawing(bar_times, pane, &p.levels, opts).map(|dr| Drawn::Svg(dr.svg))
        }
        (Kind::Indicator, Form::Png) => match pane {
            Some(o) => r::indicator_png(bar_times, o, &p.levels, opts).map(Drawn::Png),
            None => return Err(IpcError::invalid("No indicator to draw")),
        },
        (kind, Form::View) => {
            let drawing = match kind {
                Kind::Equity => r::equity_view(&d, opts),
                Kind::Drawdown => r::drawdown_view(&d, opts),
                Kind::Price => r::price_view(&d, opts),
                Kind::Indicator => pane_drawing(bar_times, pane, &p.levels, opts),
            };
            drawing.map(|dr| Drawn::View(Box::new(view(p, &d, dr, opts))))
        }
    };
    drawn.map_err(report_error)
}

fn pane_drawing(
    times: &[i64],
    pane: Option<&stratagraph_report::Overlay<'_>>,
    levels: &[f64],
    opts: &ChartOptions,
) -> Result<stratagraph_report::Drawing, stratagraph_report::ReportError> {
    let empty = stratagraph_report::Overlay {
        label: "indicator",
        values: &[],
    };
    stratagraph_report::indicator_view(times, pane.unwrap_or(&empty), levels, opts)
}

/// Most trade markers a chart points at; with more in view, zooming in shows their tooltips.
const MAX_MARKER_TIPS: usize = 400;

/// The drawing with what the crosshair and the trade tooltips need.
fn view(
    p: &Prepared,
    d: &ChartData<'_>,
    dr: stratagraph_report::Drawing,
    opts: &ChartOptions,
) -> ChartView {
    let f = dr.frame;
    let frame = ChartFrame {
        width: opts.width,
        height: opts.height,
        left: f.left,
        right: f.right,
        top: f.top,
        bottom: f.bottom,
        x0: f.x.0,
        x1: f.x.1,
        y0: f.y.0,
        y1: f.y.1,
    };
    let column = |times: &[i64], values: &[&[f64]], labels: &[String]| {
        let cols = f.columns(times);
        let series = labels
            .iter()
            .zip(values)
            .map(|(label, v)| HoverSeries {
                label: label.clone(),
                values: cols
                    .iter()
                    .map(|c| c.and_then(|i| v.get(i).copied()).filter(|x| x.is_finite()))
                    .collect(),
            })
            .collect();
        let times = cols
            .iter()
            .map(|c| c.and_then(|i| times.get(i).copied()))
            .collect();
        (times, series)
    };
    let (times, series) = match p.kind {
        Kind::Equity => {
            let mut values: Vec<&[f64]> = vec![&p.s.equity];
            let mut labels = vec!["Equity".to_owned()];
            if let Some(b) = &p.benchmark {
                values.push(b);
                labels.push("Buy and hold".to_owned());
            }
            column(&p.s.times, &values, &labels)
        }
        Kind::Drawdown => {
            let dd = drawdown_pct(&p.s.equity);
            column(&p.s.times, &[&dd], &["Drawdown %".to_owned()])
        }
        Kind::Price | Kind::Indicator => match &p.bars {
            Some(b) => {
                let mut values: Vec<&[f64]> = Vec::new();
                let mut labels = Vec::new();
                if p.kind == Kind::Price {
                    values.extend([b.open(), b.high(), b.low(), b.close()]);
                    labels.extend(["Open", "High", "Low", "Close"].map(str::to_owned));
                }
                for (label, v) in &p.overlays {
                    values.push(v.as_slice());
                    labels.push(label.clone());
                }
                column(b.time(), &values, &labels)
            }
            None => (Vec::new(), Vec::new()),
        },
    };
    let (markers, markers_omitted) = if p.kind == Kind::Price {
        markers_in(d.trades, f.x)
    } else {
        (Vec::new(), 0)
    };
    ChartView {
        svg: dr.svg,
        frame,
        times,
        series,
        markers,
        markers_omitted,
    }
}

/// Percent below the running peak at each point.
fn drawdown_pct(equity: &[f64]) -> Vec<f64> {
    let mut peak = f64::NEG_INFINITY;
    equity
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
        .collect()
}

/// The entry and exit markers inside `[x0, x1]` with their trades, or none and their count
/// when there are more than [`MAX_MARKER_TIPS`].
fn markers_in(trades: &[EngineTrade], (x0, x1): (i64, i64)) -> (Vec<ChartMarker>, u32) {
    use stratagraph_engine::backtest::{ExitReason, Side};
    let inside = |t: i64| t >= x0 && t <= x1;
    let mut out = Vec::new();
    for (i, t) in trades.iter().enumerate() {
        let open = t.exit_reason == ExitReason::Open;
        let marker = |at: &str, time: i64, price: f64| ChartMarker {
            trade: (i + 1) as u32,
            at: at.to_owned(),
            t: time,
            price,
            side: match t.side {
                Side::Long => "long",
                Side::Short => "short",
            }
            .to_owned(),
            entry_time: t.entry_time,
            exit_time: (!open).then_some(t.exit_time),
            entry_price: t.entry_price,
            exit_price: (!open).then_some(t.exit_price),
            pnl: t.pnl,
            pnl_pct: t.pnl_pct,
        };
        if inside(t.entry_time) && t.entry_price.is_finite() {
            out.push(marker("entry", t.entry_time, t.entry_price));
        }
        if !open && inside(t.exit_time) && t.exit_price.is_finite() {
            out.push(marker("exit", t.exit_time, t.exit_price));
        }
    }
    if out.len() > MAX_MARKER_TIPS {
        let n = out.len() as u32;
        (Vec::new(), n)
    } else {
        (out, 0)
    }
}

/// `runChart`: a chart of a stored run (equity with buy-and-hold, drawdown, prices with the
/// trades and any node outputs over them, or one node output in a pane with its levels), as
/// SVG with where its plot lies, the values under each pixel column and the trade markers.
/// The price chart loads the run's dataset; when that dataset was deleted it shows the trades
/// only, with a note, rather than failing (an indicator pane then fails with `not_found`).
///
/// # Errors
///
/// `invalid` for an unknown kind, output or a size out of range, `not_found` for an unknown
/// run, `io` when the dataset's file is damaged.
pub async fn run_chart(ctx: &Ctx, req: ChartRequest) -> ApiResult<ChartView> {
    match draw(ctx, &req, Form::View).await? {
        Drawn::View(v) => Ok(*v),
        _ => Err(IpcError::invalid("The chart was not drawn as a view")),
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
    let form = if png { Form::Png } else { Form::Svg };
    let bytes = match draw(ctx, &req.chart, form).await? {
        Drawn::Svg(svg) => svg.into_bytes(),
        Drawn::Png(png) => png,
        Drawn::View(v) => v.svg.into_bytes(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buy_and_hold_follows_the_close_from_the_first_time() {
        let bars = [0, 10, 20, 30];
        let close = [50.0, 100.0, 150.0, 50.0];
        // Equity points at 10 (bought at 100), 25 (the bar of 20) and 30.
        let b = buy_and_hold(&[10, 25, 30], &[1000.0, 1100.0, 900.0], &bars, &close).unwrap();
        assert_eq!(b, vec![1000.0, 1500.0, 500.0]);
        assert!(buy_and_hold(&[-5], &[1000.0], &bars, &close).is_none());
        assert!(buy_and_hold(&[], &[], &bars, &close).is_none());
    }

    #[test]
    fn drawdown_is_below_the_running_peak() {
        let d = drawdown_pct(&[100.0, 200.0, 150.0, f64::NAN, 250.0]);
        assert_eq!(d[..3], [0.0, 0.0, -25.0]);
        assert!(d[3].is_nan());
        assert_eq!(d[4], 0.0);
    }
}
