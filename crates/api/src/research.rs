//! Research in the app: parameter sweeps (count before start, run as a job on all cores with
//! progress and cancel, stored with every row and reopened offline, sorted rows, a heatmap of
//! two parameters against a metric), walk-forward, Monte Carlo of a run's trades, and a run's
//! robustness (Probabilistic and Deflated Sharpe ratio with the strategy's trial count,
//! warnings). Formulas: `docs/robustness.md`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use stratagraph_engine::graph::Graph;
use stratagraph_engine::robust::{self, montecarlo, Trials};
use stratagraph_engine::sweep::{self, parse_axis, parse_constraint, SweepConfig, SweepSpec};
use stratagraph_engine::walkforward::{self, WalkForwardSpec};
use stratagraph_report::{ChartData, HeatmapData};
use stratagraph_store::{Channel, NewSweep, NotificationType, SweepRecord, SweepStatus};
use ts_rs::TS;
use uuid::Uuid;

use crate::dto::{Dataset, Progress};
use crate::error::{ApiResult, IpcError};
use crate::{app, charts, datasets, parse_uuid, runs, time_text, Ctx};

/// Progress messages a job sends at most (about one per half percent).
const PROGRESS_STEPS: u64 = 200;
/// Rows a `sweepRows` page holds at most.
const MAX_ROWS_PAGE: u64 = 1000;
/// Monte Carlo runs when none is asked for.
pub const DEFAULT_MC_RUNS: u32 = 1000;

/// One parameter of a sweep: a range `start..=stop` by `step`, or a list of values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AxisInput {
    /// The parameter (`$name` in the graph).
    pub name: String,
    /// First value of a range.
    #[serde(default)]
    #[ts(optional)]
    pub start: Option<f64>,
    /// Last value of a range (included when the steps land on it).
    #[serde(default)]
    #[ts(optional)]
    pub stop: Option<f64>,
    /// Step of a range (default 1).
    #[serde(default)]
    #[ts(optional)]
    pub step: Option<f64>,
    /// The values, instead of a range.
    #[serde(default)]
    #[ts(optional)]
    pub values: Option<Vec<f64>>,
}

/// What to sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SweepInput {
    /// The parameters swept; the others keep their defaults.
    pub axes: Vec<AxisInput>,
    /// Instead of the whole grid, this many distinct combinations drawn at random.
    #[serde(default)]
    #[ts(optional)]
    pub random: Option<u32>,
    /// Seed of the random draw (default 1).
    #[serde(default)]
    #[ts(optional)]
    #[ts(type = "number")]
    pub seed: Option<u64>,
    /// Constraints such as `fast < slow`.
    #[serde(default)]
    pub constraints: Vec<String>,
    /// The metric that ranks combinations (higher is better), e.g. `sharpe`.
    pub metric: String,
}

/// A sweep before it starts.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SweepPlan {
    /// Combinations that will run (after constraints, or the random draw).
    #[ts(type = "number")]
    pub combinations: u64,
    /// Combinations of the whole grid, before constraints.
    #[ts(type = "number")]
    pub grid: u64,
    /// Values per swept parameter.
    pub axes: Vec<AxisValues>,
}

/// A swept parameter and its values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AxisValues {
    /// The parameter.
    pub name: String,
    /// Its values in order.
    pub values: Vec<f64>,
}

/// The Probability of Backtest Overfitting of a sweep (see `docs/robustness.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PboSummary {
    /// Share of CSCV splits whose in-sample winner was at or below the median out of sample.
    pub pbo: f64,
    /// Blocks S.
    pub blocks: u32,
    /// Splits C(S, S/2).
    pub splits: u32,
    /// Combinations compared.
    pub configurations: u32,
    /// Median logit.
    pub median_logit: f64,
    /// Share of splits whose winner lost out of sample.
    pub prob_oos_loss: f64,
    /// Slope of out-of-sample on in-sample Sharpe of the winners.
    pub degradation_slope: Option<f64>,
}

/// One combination of a sweep.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SweepRowDto {
    /// Position in the sweep's order.
    #[ts(type = "number")]
    pub index: u64,
    /// Every parameter's value.
    pub params: BTreeMap<String, f64>,
    /// Its metrics (the engine's snake_case JSON).
    #[ts(type = "Record<string, number | boolean | null>")]
    pub metrics: Value,
}

/// A stored sweep.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SweepSummary {
    /// Id.
    pub id: String,
    /// The strategy.
    pub strategy_id: String,
    /// Its title.
    pub strategy_title: String,
    /// The version swept.
    pub version: i32,
    /// The dataset.
    pub dataset_id: String,
    /// Its name when the sweep ran.
    pub dataset_name: Option<String>,
    /// Its content hash.
    pub data_hash: String,
    /// `completed` or `cancelled`.
    pub status: String,
    /// Combinations planned.
    #[ts(type = "number")]
    pub total: u64,
    /// Combinations finished and stored.
    #[ts(type = "number")]
    pub rows: u64,
    /// The ranking metric.
    pub metric: String,
    /// The swept parameters and their values.
    pub axes: Vec<AxisValues>,
    /// Constraints.
    pub constraints: Vec<String>,
    /// Random draw size, if any.
    pub random: Option<u32>,
    /// When it was stored (RFC 3339).
    pub created_at: String,
    /// Wall time, milliseconds.
    pub elapsed_ms: Option<f64>,
    /// PBO, when it could be computed.
    pub pbo: Option<PboSummary>,
    /// Why there is no PBO.
    pub pbo_note: Option<String>,
    /// The best row by the metric.
    pub best: Option<SweepRowDto>,
}

/// One page of a sweep's rows.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SweepRowPage {
    /// Rows in all.
    #[ts(type = "number")]
    pub total: u64,
    /// Position of the first row.
    #[ts(type = "number")]
    pub offset: u64,
    /// The rows.
    pub rows: Vec<SweepRowDto>,
}

/// One cell of a heatmap.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HeatCell {
    /// The metric (the best over any other swept parameter).
    pub value: Option<f64>,
    /// The row it comes from.
    #[ts(type = "number")]
    pub row_index: u64,
    /// That row's parameters (to run it in full).
    pub params: BTreeMap<String, f64>,
}

/// Where the cells are in the picture, in pixels of the SVG.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PlotBox {
    /// Left edge of the first column.
    pub left: i32,
    /// Top edge of the top row.
    pub top: i32,
    /// Right edge of the last column.
    pub right: i32,
    /// Bottom edge of the first row (row 0 is at the bottom).
    pub bottom: i32,
}

/// Parameter stability around the best cell.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StabilityDto {
    /// Column and row of the best cell.
    pub x: u32,
    /// Row.
    pub y: u32,
    /// The metric there.
    pub value: f64,
    /// Neighbours with a value.
    pub neighbours: u32,
    /// Their mean.
    pub neighbour_mean: f64,
    /// Their lowest value.
    pub neighbour_min: f64,
    /// How far the neighbourhood falls, percent of the value.
    pub drop_pct: f64,
    /// Plateau (true) or lone peak.
    pub plateau: bool,
}

/// A heatmap of a sweep.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Heatmap {
    /// The picture (plotters).
    pub svg: String,
    /// Image size.
    pub width: u32,
    /// Image height.
    pub height: u32,
    /// The cells' box (to map a click to a cell).
    pub plot: PlotBox,
    /// Horizontal parameter.
    pub x_name: String,
    /// Its values, left to right.
    pub x_values: Vec<f64>,
    /// Vertical parameter.
    pub y_name: String,
    /// Its values, bottom to top.
    pub y_values: Vec<f64>,
    /// The metric shown.
    pub metric: String,
    /// Cells row by row from the bottom: `cells[y * xValues.length + x]`.
    pub cells: Vec<Option<HeatCell>>,
    /// Stability of the best cell.
    pub stability: Option<StabilityDto>,
}

/// A warning with its reason.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WarningDto {
    /// Stable code (`few_trades`, `no_costs`, `high_sharpe`, `low_deflated_sharpe`,
    /// `one_trade_profit`, `walkforward_gap`).
    pub code: String,
    /// The sentence to show.
    pub message: String,
}

/// One walk-forward window.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WindowDto {
    /// First in-sample bar time (RFC 3339).
    pub train_start: String,
    /// Last in-sample bar time.
    pub train_end: String,
    /// First out-of-sample bar time.
    pub test_start: String,
    /// Last out-of-sample bar time.
    pub test_end: String,
    /// Parameters chosen in sample.
    pub params: BTreeMap<String, f64>,
    /// The metric in sample.
    pub in_sample: Option<f64>,
    /// The metric out of sample.
    pub out_of_sample: Option<f64>,
    /// Trades closed in the window.
    pub trades: u32,
}

/// A walk-forward's result.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WalkForwardDetail {
    /// The metric that chose each window's parameters.
    pub metric: String,
    /// Anchored or rolling.
    pub anchored: bool,
    /// Every window in time order.
    pub windows: Vec<WindowDto>,
    /// Metrics of the stitched out-of-sample equity.
    #[ts(type = "Record<string, number | boolean | null>")]
    pub metrics: Value,
    /// Mean in-sample minus mean out-of-sample metric.
    pub gap: Option<f64>,
    /// The stitched out-of-sample equity (SVG).
    pub equity_svg: String,
    /// Warnings with their reasons.
    pub warnings: Vec<WarningDto>,
    /// Wall time, milliseconds.
    pub elapsed_ms: f64,
}

/// A Monte Carlo of a run's trades.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MonteCarloDetail {
    /// The run.
    pub run_id: String,
    /// `shuffle` or `bootstrap`.
    pub method: String,
    /// Simulated runs.
    pub runs: u32,
    /// Trades per run.
    pub trades: u32,
    /// Seed.
    #[ts(type = "number")]
    pub seed: u64,
    /// Starting cash.
    pub initial: f64,
    /// Final equity of the real order.
    pub actual_final: f64,
    /// Max drawdown of the real order (%).
    pub actual_max_drawdown_pct: f64,
    /// Final equity at the 5th, 25th, 50th, 75th, 95th percentiles.
    pub final_equity: Vec<f64>,
    /// Max drawdown (%) at the same percentiles.
    pub max_drawdown_pct: Vec<f64>,
    /// Share of runs ending below the starting cash.
    pub prob_loss: f64,
    /// Percentile bands of equity by trade (SVG).
    pub bands_svg: String,
    /// Histogram of final equity (SVG).
    pub final_hist_svg: String,
    /// Histogram of max drawdown (SVG).
    pub drawdown_hist_svg: String,
    /// Wall time, milliseconds.
    pub elapsed_ms: f64,
}

/// A run's robustness.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Robustness {
    /// DSR: probability that the Sharpe ratio beats the best of the strategy's trials by luck.
    pub deflated_sharpe: Option<f64>,
    /// PSR(0).
    pub probabilistic_sharpe: Option<f64>,
    /// SR₀ (per period).
    pub expected_max_sharpe: Option<f64>,
    /// Trials of the strategy (backtests and sweep rows).
    #[ts(type = "number")]
    pub trials: u64,
    /// Daily returns behind the statistics.
    pub observations: Option<u32>,
    /// Why the DSR is missing, if it is.
    pub note: Option<String>,
    /// Warnings with their reasons.
    pub warnings: Vec<WarningDto>,
}

fn warning_dtos(w: Vec<robust::Warning>) -> Vec<WarningDto> {
    w.into_iter()
        .map(|w| WarningDto {
            code: w.code,
            message: w.message,
        })
        .collect()
}

/// Metrics where a lower value is better.
fn lower_is_better(metric: &str) -> bool {
    matches!(
        metric,
        "volatility_ann_pct" | "commissions" | "max_drawdown_bars" | "max_drawdown_days"
    )
}

/// An axis as the command line writes it (`--grid` of `stratagraph sweep`).
pub(crate) fn axis_text(a: &AxisInput) -> ApiResult<String> {
    match (&a.values, a.start, a.stop) {
        (Some(v), _, _) if !v.is_empty() => Ok(format!(
            "{}={}",
            a.name,
            v.iter().map(f64::to_string).collect::<Vec<_>>().join(",")
        )),
        (_, Some(start), Some(stop)) => Ok(format!(
            "{}={start}:{stop}:{}",
            a.name,
            a.step.unwrap_or(1.0)
        )),
        _ => Err(IpcError::invalid(format!(
            "Parameter \"{}\": give a start and a stop, or a list of values",
            a.name
        ))),
    }
}

/// The engine's sweep spec from the UI's input.
pub(crate) fn engine_spec(input: &SweepInput) -> ApiResult<SweepSpec> {
    if input.axes.is_empty() {
        return Err(IpcError::invalid("Choose at least one parameter to sweep"));
    }
    let mut axes = Vec::with_capacity(input.axes.len());
    for a in &input.axes {
        let text = axis_text(a)?;
        axes.push(parse_axis(&text).map_err(|e| IpcError::invalid(e.to_string()))?);
    }
    let mut names: Vec<&str> = axes.iter().map(|a| a.name.as_str()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(IpcError::invalid(format!(
            "Parameter \"{}\" is swept twice",
            w[0]
        )));
    }
    let constraints = input
        .constraints
        .iter()
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .map(|c| parse_constraint(c).map_err(|e| IpcError::invalid(e.to_string())))
        .collect::<ApiResult<Vec<_>>>()?;
    let random = match input.random {
        Some(0) => {
            return Err(IpcError::invalid(
                "A random draw needs at least 1 combination",
            ))
        }
        Some(n) => Some((n as usize, input.seed.unwrap_or(1))),
        None => None,
    };
    sweep::check_metric(&input.metric).map_err(|e| IpcError::invalid(e.to_string()))?;
    Ok(SweepSpec {
        axes,
        random,
        constraints,
    })
}

/// The saved version's graph, checked.
pub(crate) async fn load_graph(
    ctx: &Ctx,
    strategy_id: &str,
    version: i32,
) -> ApiResult<(
    stratagraph_store::Strategy,
    stratagraph_store::StrategyVersion,
    Graph,
)> {
    let sid = parse_uuid("strategy", strategy_id)?;
    if version < 1 {
        return Err(IpcError::invalid("Version numbers start at 1"));
    }
    let strategy = ctx.store.get_strategy(sid).await?;
    let v = ctx.store.load_version(sid, version).await?;
    let problems = app::validate_graph(&v.graph_json);
    if !problems.is_empty() {
        return Err(IpcError::invalid_graph(problems));
    }
    let graph: Graph = serde_json::from_value(v.graph_json.clone())
        .map_err(|e| IpcError::invalid(format!("The graph cannot be read: {e}")))?;
    Ok((strategy, v, graph))
}

/// `sweepPlan`: how many combinations a sweep would run, checked as the sweep would check it.
///
/// # Errors
///
/// `invalid` (a bad range, an unknown parameter or metric, nothing left after constraints),
/// `invalid_graph`, `not_found`.
pub async fn plan(
    ctx: &Ctx,
    strategy_id: &str,
    version: i32,
    input: &SweepInput,
) -> ApiResult<SweepPlan> {
    let (_, _, graph) = load_graph(ctx, strategy_id, version).await?;
    let spec = engine_spec(input)?;
    let combos =
        sweep::combinations(&graph, &spec).map_err(|e| IpcError::invalid(e.to_string()))?;
    Ok(SweepPlan {
        combinations: combos.len() as u64,
        grid: spec
            .axes
            .iter()
            .map(|a| a.values.len() as u64)
            .fold(1u64, u64::saturating_mul),
        axes: spec
            .axes
            .iter()
            .map(|a| AxisValues {
                name: a.name.clone(),
                values: a.values.clone(),
            })
            .collect(),
    })
}

/// A progress sender that keeps at most [`PROGRESS_STEPS`] messages per job.
fn throttled(
    job_id: String,
    on_progress: Arc<dyn Fn(Progress) + Send + Sync>,
) -> impl Fn(u64, u64, &str) + Send + Sync + Clone {
    let last = Arc::new(AtomicU64::new(u64::MAX));
    move |done: u64, total: u64, stage: &str| {
        let step = done.saturating_mul(PROGRESS_STEPS) / total.max(1);
        if stage == "running" && last.swap(step, Ordering::Relaxed) == step {
            return;
        }
        on_progress(Progress {
            job_id: job_id.clone(),
            done,
            total,
            stage: stage.to_owned(),
        });
    }
}

/// The arguments of [`start`].
#[derive(Debug, Clone)]
pub struct SweepRequest {
    /// Strategy id.
    pub strategy_id: String,
    /// Version number.
    pub version: i32,
    /// Dataset id.
    pub dataset_id: String,
    /// What to sweep.
    pub input: SweepInput,
}

/// `sweepStart`: runs a sweep as a job on all cores (the first progress message carries the
/// job id for `jobCancel`; `done`/`total` count combinations), then stores it with every
/// finished row, its PBO and its trials, and posts a `sweep_done` notification. A cancelled
/// sweep keeps the rows it finished; cancelled before any, it is not stored. Local
/// computation: not metered.
///
/// # Errors
///
/// `invalid`, `invalid_graph`, `not_found`, `cancelled` (no row finished), `storage`, `io`.
pub async fn start(
    ctx: &Ctx,
    req: SweepRequest,
    on_progress: impl Fn(Progress) + Send + Sync + 'static,
) -> ApiResult<SweepSummary> {
    let (strategy, version, graph) = load_graph(ctx, &req.strategy_id, req.version).await?;
    let spec = engine_spec(&req.input)?;
    let total = sweep::combinations(&graph, &spec)
        .map_err(|e| IpcError::invalid(e.to_string()))?
        .len();
    let dataset = datasets::get(ctx, &req.dataset_id)?;
    let path = datasets::bars_file(ctx, &dataset.id)?;
    let job = ctx.jobs.start(format!("sweep-{}", Uuid::now_v7()));
    let send = throttled(job.id().to_owned(), Arc::new(on_progress));
    send(0, total as u64, "queued");
    let flag = job.flag();
    let worker = send.clone();
    let started = Instant::now();
    let ppy = graph.settings.periods_per_year;
    let metric = req.input.metric.clone();
    let spec_for_run = spec.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        worker(0, total as u64, "loading");
        let bars = datasets::load_file(&path)?;
        let config = SweepConfig {
            pbo_blocks: robust::PBO_BLOCKS,
            ..SweepConfig::default()
        };
        let result = sweep::run(&graph, &bars, &spec_for_run, &config, &flag, &|p| {
            worker(p.done as u64, p.total as u64, "running")
        })
        .map_err(|e| IpcError::invalid(e.to_string()))?;
        let pbo = rows_pbo(&result.rows);
        Ok::<_, IpcError>((result, pbo))
    })
    .await
    .unwrap_or_else(|e| Err(IpcError::io("The sweep stopped unexpectedly", e)))?;
    let (result, pbo) = outcome;
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    if result.rows.is_empty() {
        return Err(IpcError::cancelled("The sweep"));
    }
    send(total as u64, total as u64, "saving");
    let per_period = ppy.sqrt();
    let trials = Trials::of(
        result
            .rows
            .iter()
            .map(|r| r.metrics.sharpe.map(|s| s / per_period)),
    );
    let mut rows = Vec::with_capacity(result.rows.len());
    for r in &result.rows {
        rows.push(stratagraph_store::SweepRow {
            index: r.index as u64,
            params: json!(r.params),
            metrics: serde_json::to_value(&r.metrics)
                .map_err(|e| IpcError::io("Cannot record the metrics", e))?,
        });
    }
    let axes: Vec<AxisValues> = spec
        .axes
        .iter()
        .map(|a| AxisValues {
            name: a.name.clone(),
            values: a.values.clone(),
        })
        .collect();
    let (pbo_json, pbo_note) = pbo_columns(pbo);
    let user = ctx.user_id().await?;
    let record = ctx
        .store
        .save_sweep(&NewSweep {
            strategy_version_id: version.id,
            requested_by: Some(user),
            dataset_id: dataset.id.clone(),
            data_hash: dataset.data_hash.clone(),
            spec: json!({
                "axes": axes, "constraints": req.input.constraints, "random": req.input.random,
                "seed": req.input.seed, "metric": metric, "datasetName": dataset.name,
                "version": version.version,
            }),
            status: if result.cancelled {
                SweepStatus::Cancelled
            } else {
                SweepStatus::Completed
            },
            total: result.total as u64,
            summary: json!({
                "pbo": pbo_json, "pboNote": pbo_note, "elapsedMs": elapsed_ms, "cache": result.cache,
            }),
            rows,
            trials: stratagraph_store::TrialCounts {
                trials: trials.count,
                sharpe_count: trials.sharpe_count,
                sharpe_sum: trials.sharpe_sum,
                sharpe_sum_sq: trials.sharpe_sum_sq,
            },
        })
        .await?;
    let _ = ctx
        .store
        .create_notification(
            user,
            NotificationType::SweepDone,
            &json!({
                "sweepId": record.id.to_string(), "strategyId": strategy.id.to_string(),
                "strategyTitle": strategy.title, "version": version.version,
                "combinations": record.rows, "cancelled": result.cancelled,
                "message": if result.cancelled {
                    format!("Sweep of \"{}\" v{} cancelled after {} combinations",
                        strategy.title, version.version, record.rows)
                } else {
                    format!("Sweep of \"{}\" v{} done: {} combinations",
                        strategy.title, version.version, record.rows)
                },
            }),
            Channel::InApp,
        )
        .await;
    send(total as u64, total as u64, "done");
    summary(ctx, &record).await
}

fn row_dto(r: &stratagraph_store::SweepRow) -> SweepRowDto {
    SweepRowDto {
        index: r.index,
        params: r
            .params
            .as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_f64().map(|x| (k.clone(), x)))
                    .collect()
            })
            .unwrap_or_default(),
        metrics: r.metrics.clone(),
    }
}

pub(crate) async fn summary(ctx: &Ctx, rec: &SweepRecord) -> ApiResult<SweepSummary> {
    let v = ctx.store.get_version(rec.strategy_version_id).await?;
    let s = ctx.store.get_strategy(v.strategy_id).await?;
    let spec = &rec.spec;
    let metric = spec
        .get("metric")
        .and_then(Value::as_str)
        .unwrap_or("sharpe")
        .to_owned();
    let axes: Vec<AxisValues> = spec
        .get("axes")
        .cloned()
        .and_then(|a| serde_json::from_value(a).ok())
        .unwrap_or_default();
    let best = ctx
        .store
        .sweep_rows_page(rec.id, Some(&metric), !lower_is_better(&metric), 0, 1)
        .await?
        .first()
        .map(row_dto);
    Ok(SweepSummary {
        id: rec.id.to_string(),
        strategy_id: s.id.to_string(),
        strategy_title: s.title,
        version: v.version,
        dataset_id: rec.dataset_id.clone(),
        dataset_name: spec
            .get("datasetName")
            .and_then(Value::as_str)
            .map(str::to_owned),
        data_hash: rec.data_hash.clone(),
        status: match rec.status {
            SweepStatus::Completed => "completed",
            SweepStatus::Cancelled => "cancelled",
        }
        .to_owned(),
        total: rec.total,
        rows: rec.rows,
        metric,
        axes,
        constraints: spec
            .get("constraints")
            .cloned()
            .and_then(|c| serde_json::from_value(c).ok())
            .unwrap_or_default(),
        random: spec
            .get("random")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok()),
        created_at: time_text(rec.created_at),
        elapsed_ms: rec.summary.get("elapsedMs").and_then(Value::as_f64),
        pbo: rec
            .summary
            .get("pbo")
            .cloned()
            .and_then(|p| serde_json::from_value(p).ok()),
        pbo_note: rec
            .summary
            .get("pboNote")
            .and_then(Value::as_str)
            .map(str::to_owned),
        best,
    })
}

/// `sweepsList`: stored sweeps of one strategy (or all), newest first.
///
/// # Errors
///
/// `invalid`, `storage`.
pub async fn list(ctx: &Ctx, strategy_id: Option<&str>) -> ApiResult<Vec<SweepSummary>> {
    let sid = strategy_id
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| parse_uuid("strategy", s))
        .transpose()?;
    let mut out = Vec::new();
    for rec in ctx.store.list_sweeps(sid, 200).await? {
        out.push(summary(ctx, &rec).await?);
    }
    Ok(out)
}

/// `sweepGet`: one stored sweep, offline.
///
/// # Errors
///
/// `invalid`, `not_found`.
pub async fn get(ctx: &Ctx, sweep_id: &str) -> ApiResult<SweepSummary> {
    let rec = ctx.store.get_sweep(parse_uuid("sweep", sweep_id)?).await?;
    summary(ctx, &rec).await
}

/// `sweepRows`: one page of a sweep's rows sorted by a metric over all of them (best first
/// unless `asc`), or in sweep order.
///
/// # Errors
///
/// `invalid` for an unknown metric or a limit out of 1..=1,000; `not_found`.
pub async fn rows(
    ctx: &Ctx,
    sweep_id: &str,
    sort: Option<&str>,
    asc: bool,
    offset: u64,
    limit: Option<u64>,
) -> ApiResult<SweepRowPage> {
    let id = parse_uuid("sweep", sweep_id)?;
    let limit = limit.unwrap_or(200);
    if !(1..=MAX_ROWS_PAGE).contains(&limit) {
        return Err(IpcError::invalid("Ask for 1 to 1,000 rows at a time"));
    }
    let sort = sort.map(str::trim).filter(|s| !s.is_empty());
    if let Some(m) = sort {
        sweep::check_metric(m).map_err(|e| IpcError::invalid(e.to_string()))?;
    }
    let rec = ctx.store.get_sweep(id).await?;
    let page = ctx
        .store
        .sweep_rows_page(id, sort, !asc, offset, limit)
        .await?;
    Ok(SweepRowPage {
        total: rec.rows,
        offset,
        rows: page.iter().map(row_dto).collect(),
    })
}

/// `sweepDelete`: deletes a sweep and its rows (its trials stay counted).
///
/// # Errors
///
/// `invalid`, `not_found`.
pub async fn delete(ctx: &Ctx, sweep_id: &str) -> ApiResult<()> {
    Ok(ctx
        .store
        .delete_sweep(parse_uuid("sweep", sweep_id)?)
        .await?)
}

/// The arguments of [`heatmap`].
#[derive(Debug, Clone)]
pub struct HeatmapRequest {
    /// Sweep id.
    pub sweep_id: String,
    /// Horizontal parameter (a swept one).
    pub x: String,
    /// Vertical parameter (another swept one).
    pub y: String,
    /// Metric shown (default: the sweep's).
    pub metric: Option<String>,
    /// Image size (default 760 × 460).
    pub width: Option<u32>,
    /// Image height.
    pub height: Option<u32>,
}

/// `sweepHeatmap`: the metric over two swept parameters, drawn by `crates/report`, with each
/// cell's best row (to run in full) and the stability of the best cell. With more than two
/// swept parameters a cell shows the best value over the others.
///
/// # Errors
///
/// `invalid` (parameters not swept, the same one twice, an unknown metric), `not_found`.
pub async fn heatmap(ctx: &Ctx, req: HeatmapRequest) -> ApiResult<Heatmap> {
    let id = parse_uuid("sweep", &req.sweep_id)?;
    let rec = ctx.store.get_sweep(id).await?;
    let sum = summary(ctx, &rec).await?;
    let metric = req.metric.clone().unwrap_or_else(|| sum.metric.clone());
    sweep::check_metric(&metric).map_err(|e| IpcError::invalid(e.to_string()))?;
    if req.x == req.y {
        return Err(IpcError::invalid("Pick two different parameters"));
    }
    let axis = |name: &str| {
        sum.axes
            .iter()
            .find(|a| a.name == name)
            .cloned()
            .ok_or_else(|| {
                IpcError::invalid(format!("\"{name}\" is not a swept parameter of this sweep"))
            })
    };
    let (ax, ay) = (axis(&req.x)?, axis(&req.y)?);
    let rows = ctx.store.sweep_rows(id).await?;
    let opts = charts::options(
        ctx,
        Some(req.width.unwrap_or(760)),
        Some(req.height.unwrap_or(460)),
    );
    tokio::task::spawn_blocking(move || {
        let pos = |values: &[f64], v: f64| values.iter().position(|x| *x == v);
        let (nx, ny) = (ax.values.len(), ay.values.len());
        let lower = lower_is_better(&metric);
        let better = |a: f64, b: f64| if lower { a < b } else { a > b };
        let mut cells: Vec<Option<HeatCell>> = vec![None; nx * ny];
        for r in &rows {
            let dto = row_dto(r);
            let (Some(&xv), Some(&yv)) = (dto.params.get(&ax.name), dto.params.get(&ay.name))
            else {
                continue;
            };
            let (Some(xi), Some(yi)) = (pos(&ax.values, xv), pos(&ay.values, yv)) else {
                continue;
            };
            let value = dto.metrics.get(&metric).and_then(Value::as_f64);
            let cell = &mut cells[yi * nx + xi];
            let replace = match (cell.as_ref().and_then(|c| c.value), value) {
                (_, None) => cell.is_none(),
                (None, Some(_)) => true,
                (Some(old), Some(new)) => better(new, old),
            };
            if replace {
                *cell = Some(HeatCell {
                    value,
                    row_index: dto.index,
                    params: dto.params,
                });
            }
        }
        let values: Vec<Option<f64>> = cells
            .iter()
            .map(|c| c.as_ref().and_then(|c| c.value))
            .collect();
        let best = values
            .iter()
            .enumerate()
            .filter_map(|(k, v)| Some((k, (*v)?)))
            .reduce(|a, b| if better(b.1, a.1) { b } else { a })
            .map(|(k, _)| (k % nx, k / nx));
        let grid: Vec<Vec<Option<f64>>> = values.chunks(nx).map(<[_]>::to_vec).collect();
        let stability = best.and_then(|(x, y)| robust::stability::stability(&grid, x, y));
        let picture = stratagraph_report::heatmap_svg(
            &HeatmapData {
                x_name: &ax.name,
                x_values: &ax.values,
                y_name: &ay.name,
                y_values: &ay.values,
                metric: &metric,
                values: &values,
                highlight: best,
                higher_is_better: !lower,
            },
            &opts,
        )
        .map_err(|e| IpcError::invalid(e.to_string()))?;
        Ok(Heatmap {
            svg: picture.svg,
            width: opts.width,
            height: opts.height,
            plot: PlotBox {
                left: picture.plot.0,
                top: picture.plot.1,
                right: picture.plot.2,
                bottom: picture.plot.3,
            },
            x_name: ax.name.clone(),
            x_values: ax.values.clone(),
            y_name: ay.name.clone(),
            y_values: ay.values.clone(),
            metric: metric.clone(),
            cells,
            stability: stability.map(|s| StabilityDto {
                x: s.x as u32,
                y: s.y as u32,
                value: s.value,
                neighbours: s.neighbours as u32,
                neighbour_mean: s.neighbour_mean,
                neighbour_min: s.neighbour_min,
                drop_pct: s.drop_pct,
                plateau: s.plateau,
            }),
        })
    })
    .await
    .unwrap_or_else(|e| Err(IpcError::io("Drawing the heatmap stopped unexpectedly", e)))
}

/// The arguments of [`walk_forward`].
#[derive(Debug, Clone)]
pub struct WalkForwardRequest {
    /// Strategy id.
    pub strategy_id: String,
    /// Version number.
    pub version: i32,
    /// Dataset id.
    pub dataset_id: String,
    /// The parameter space searched in each window, and the metric.
    pub input: SweepInput,
    /// Bars per in-sample window.
    pub train: u32,
    /// Bars per out-of-sample window.
    pub test: u32,
    /// Anchored (true) or rolling windows.
    pub anchored: bool,
}

/// `walkForward`: optimises on each in-sample window, trades the chosen parameters out of
/// sample, stitches the out-of-sample equity (a job: `done`/`total` count windows).
///
/// # Errors
///
/// `invalid` (windows that do not fit the data, a bad grid), `invalid_graph`, `not_found`,
/// `cancelled`.
pub async fn walk_forward(
    ctx: &Ctx,
    req: WalkForwardRequest,
    on_progress: impl Fn(Progress) + Send + Sync + 'static,
) -> ApiResult<WalkForwardDetail> {
    let (_, _, graph) = load_graph(ctx, &req.strategy_id, req.version).await?;
    let spec = engine_spec(&req.input)?;
    sweep::combinations(&graph, &spec).map_err(|e| IpcError::invalid(e.to_string()))?;
    let dataset: Dataset = datasets::get(ctx, &req.dataset_id)?;
    let wins = walkforward::windows(
        dataset.bars as usize,
        req.train as usize,
        req.test as usize,
        req.anchored,
    )
    .map_err(|e| IpcError::invalid(e.to_string().replace("--", "")))?;
    let path = datasets::bars_file(ctx, &dataset.id)?;
    let job = ctx.jobs.start(format!("walkforward-{}", Uuid::now_v7()));
    let send = throttled(job.id().to_owned(), Arc::new(on_progress));
    send(0, wins.len() as u64, "queued");
    let flag = job.flag();
    let worker = send.clone();
    let opts = charts::options(ctx, Some(960), Some(320));
    let costs = (graph.settings.commission, graph.settings.slippage_bps);
    let metric = req.input.metric.clone();
    let anchored = req.anchored;
    let (train, test) = (req.train as usize, req.test as usize);
    let started = Instant::now();
    tokio::task::spawn_blocking(move || {
        let bars = datasets::load_file(&path)?;
        let wf_spec = WalkForwardSpec {
            sweep: spec,
            train,
            test,
            anchored,
            metric: metric.clone(),
        };
        let r = walkforward::run(
            &graph,
            &bars,
            &wf_spec,
            &SweepConfig::default(),
            &flag,
            &|d, t| worker(d as u64, t as u64, "running"),
        )
        .map_err(|e| match e {
            walkforward::WalkForwardError::Cancelled => IpcError::cancelled("The walk-forward"),
            other => IpcError::invalid(other.to_string()),
        })?;
        let t = bars.time();
        let at = |i: usize| datasets::ms_to_rfc3339(t[i.min(t.len().saturating_sub(1))]);
        let windows: Vec<WindowDto> = r
            .windows
            .iter()
            .map(|w| WindowDto {
                train_start: at(w.train_start),
                train_end: at(w.train_end - 1),
                test_start: at(w.train_end),
                test_end: at(w.test_end - 1),
                params: w.params.clone(),
                in_sample: w.in_sample,
                out_of_sample: w.out_of_sample,
                trades: w.trades as u32,
            })
            .collect();
        let equity_svg = stratagraph_report::equity_svg(
            &ChartData {
                times: &t[r.start..],
                equity: &r.equity,
                trades: &[],
                ..ChartData::default()
            },
            &opts,
        )
        .map_err(|e| IpcError::invalid(e.to_string()))?;
        let pairs: Vec<(f64, f64)> = r
            .windows
            .iter()
            .filter_map(|w| Some((w.in_sample?, w.out_of_sample?)))
            .collect();
        let k = pairs.len().max(1) as f64;
        let means = (!pairs.is_empty()).then(|| {
            (
                pairs.iter().map(|p| p.0).sum::<f64>() / k,
                pairs.iter().map(|p| p.1).sum::<f64>() / k,
            )
        });
        let pnl: Vec<f64> = r.trades.iter().map(|t| t.pnl).collect();
        let warnings = robust::warnings::warnings(&robust::warnings::Inputs {
            trades: r.metrics.trades,
            costs: Some(costs),
            sharpe: r.metrics.sharpe,
            deflated: None,
            trade_pnl: &pnl,
            walkforward: means.map(|(is, oos)| (metric.as_str(), is, oos)),
        });
        Ok(WalkForwardDetail {
            metric,
            anchored,
            windows,
            metrics: serde_json::to_value(&r.metrics)
                .map_err(|e| IpcError::io("Cannot read the metrics", e))?,
            gap: r.gap,
            equity_svg,
            warnings: warning_dtos(warnings),
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    })
    .await
    .unwrap_or_else(|e| Err(IpcError::io("The walk-forward stopped unexpectedly", e)))
}

/// `monteCarlo`: resamples a stored run's closed trades `runs` times (default 1,000) by
/// `shuffle` or `bootstrap`, with percentile bands and histograms drawn by `crates/report`.
///
/// # Errors
///
/// `invalid` (an unknown method, runs out of 1..=1,000,000, a run without closed trades),
/// `not_found`.
pub async fn monte_carlo(
    ctx: &Ctx,
    run_id: &str,
    method: &str,
    runs_count: Option<u32>,
    seed: Option<u64>,
) -> ApiResult<MonteCarloDetail> {
    let method = match method {
        "shuffle" => montecarlo::Method::Shuffle,
        "bootstrap" => montecarlo::Method::Bootstrap,
        other => {
            return Err(IpcError::invalid(format!(
                "Unknown Monte Carlo method \"{other}\" (shuffle or bootstrap)"
            )))
        }
    };
    let run = runs::detail(ctx, run_id, false).await?;
    let initial = run
        .summary
        .metrics
        .as_ref()
        .and_then(|m| m.get("initial_equity"))
        .and_then(Value::as_f64)
        .ok_or_else(|| IpcError::invalid("The run has no results to resample"))?;
    let trades = runs::all_trades(ctx, run_id).await?;
    let pnl: Vec<f64> = trades
        .iter()
        .filter(|t| t.exit_reason != stratagraph_engine::backtest::ExitReason::Open)
        .map(|t| t.pnl)
        .collect();
    let n_runs = runs_count.unwrap_or(DEFAULT_MC_RUNS);
    let seed = seed.unwrap_or(1);
    let opts = charts::options(ctx, Some(760), Some(320));
    let small = charts::options(ctx, Some(460), Some(260));
    let run_id = run.summary.id.clone();
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let mc = montecarlo::run(&pnl, initial, method, n_runs as usize, seed)
            .map_err(|e| IpcError::invalid(format!("Monte Carlo: {e}")))?;
        let mut actual = Vec::with_capacity(pnl.len());
        let mut e = initial;
        for p in &pnl {
            e += p;
            actual.push(e);
        }
        let err = |e: stratagraph_report::ReportError| IpcError::invalid(e.to_string());
        let bands_svg =
            stratagraph_report::bands_svg(&mc.steps, &mc.bands, initial, Some(&actual), &opts)
                .map_err(err)?;
        let final_hist_svg = stratagraph_report::histogram_svg(
            "Final equity of the simulated runs",
            &mc.final_hist,
            Some(mc.actual_final),
            0,
            &small,
        )
        .map_err(err)?;
        let drawdown_hist_svg = stratagraph_report::histogram_svg(
            "Max drawdown (%) of the simulated runs",
            &mc.drawdown_hist,
            Some(mc.actual_max_drawdown_pct),
            1,
            &small,
        )
        .map_err(err)?;
        Ok(MonteCarloDetail {
            run_id,
            method: match mc.method {
                montecarlo::Method::Shuffle => "shuffle",
                montecarlo::Method::Bootstrap => "bootstrap",
            }
            .to_owned(),
            runs: mc.runs as u32,
            trades: mc.trades as u32,
            seed: mc.seed,
            initial,
            actual_final: mc.actual_final,
            actual_max_drawdown_pct: mc.actual_max_drawdown_pct,
            final_equity: mc.final_equity.to_vec(),
            max_drawdown_pct: mc.max_drawdown_pct.to_vec(),
            prob_loss: mc.prob_loss,
            bands_svg,
            final_hist_svg,
            drawdown_hist_svg,
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    })
    .await
    .unwrap_or_else(|e| Err(IpcError::io("The Monte Carlo stopped unexpectedly", e)))
}

/// `runRobustness`: the run's Probabilistic and Deflated Sharpe ratio with its strategy's
/// trials counted so far, and its warnings.
///
/// # Errors
///
/// `invalid`, `not_found`.
pub async fn robustness(ctx: &Ctx, run_id: &str) -> ApiResult<Robustness> {
    let id = parse_uuid("run", run_id)?;
    let run = ctx.store.get_run(id).await?;
    let version = ctx.store.get_version(run.strategy_version_id).await?;
    let counts = ctx.store.strategy_trials(version.strategy_id).await?;
    let trials = Trials {
        count: counts.trials,
        sharpe_count: counts.sharpe_count,
        sharpe_sum: counts.sharpe_sum,
        sharpe_sum_sq: counts.sharpe_sum_sq,
    };
    let metrics = run.metrics.clone().unwrap_or(Value::Null);
    let settings = version.graph_json.get("settings");
    let cost = |k: &str| settings.and_then(|s| s.get(k)).and_then(Value::as_f64);
    let pnl: Vec<f64> = runs::all_trades(ctx, run_id)
        .await?
        .iter()
        .filter(|t| t.exit_reason != stratagraph_engine::backtest::ExitReason::Open)
        .map(|t| t.pnl)
        .collect();
    let a = robust::assess::assess(
        &metrics,
        &trials,
        (
            cost("commission").unwrap_or(0.0),
            cost("slippage_bps").unwrap_or(0.0),
        ),
        &pnl,
    );
    let (deflated, stats, note) = (a.deflated, a.stats, a.note);
    let warnings = a.warnings;
    Ok(Robustness {
        deflated_sharpe: deflated.map(|d| d.deflated_sharpe),
        probabilistic_sharpe: deflated.map(|d| d.probabilistic_sharpe),
        expected_max_sharpe: deflated.map(|d| d.expected_max_sharpe),
        trials: counts.trials,
        observations: stats.map(|s| s.observations as u32),
        note,
        warnings: warning_dtos(warnings),
    })
}

/// Statistics of a group of closed trades (see `stratagraph_engine::breakdown::SideStats`).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SideStatsDto {
    /// Closed trades.
    #[ts(type = "number")]
    pub trades: u64,
    /// Winning trades.
    #[ts(type = "number")]
    pub wins: u64,
    /// Win rate, percent.
    pub win_rate_pct: Option<f64>,
    /// Net profit.
    pub net_pnl: f64,
    /// Gross profit.
    pub gross_profit: f64,
    /// Gross loss (≤ 0).
    pub gross_loss: f64,
    /// Profit factor.
    pub profit_factor: Option<f64>,
    /// Mean trade, percent.
    pub avg_trade_pct: Option<f64>,
}

/// One calendar month's return.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MonthReturnDto {
    /// Year.
    pub year: i32,
    /// Month, 1 to 12.
    pub month: u32,
    /// Return, percent.
    pub return_pct: f64,
}

/// A trade's run-up and drawdown.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExcursionDto {
    /// Best move for the trade, percent of the entry price.
    pub run_up_pct: f64,
    /// In money.
    pub run_up: f64,
    /// Worst move against it, percent (≤ 0).
    pub drawdown_pct: f64,
    /// In money (≤ 0).
    pub drawdown: f64,
}

/// A run's breakdown: long/short split, monthly returns, per-trade run-up and drawdown.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RunBreakdown {
    /// All closed trades.
    pub all: SideStatsDto,
    /// Long trades.
    pub long: SideStatsDto,
    /// Short trades.
    pub short: SideStatsDto,
    /// Every month of the data.
    pub monthly: Vec<MonthReturnDto>,
    /// One per closed trade, in time order (trade #i + 1).
    pub excursions: Vec<ExcursionDto>,
}

fn side_dto(s: &stratagraph_engine::breakdown::SideStats) -> SideStatsDto {
    SideStatsDto {
        trades: s.trades,
        wins: s.wins,
        win_rate_pct: s.win_rate_pct,
        net_pnl: s.net_pnl,
        gross_profit: s.gross_profit,
        gross_loss: s.gross_loss,
        profit_factor: s.profit_factor,
        avg_trade_pct: s.avg_trade_pct,
    }
}

/// `runBreakdown`: the run recomputed from its version, data and parameters (bit-identical by
/// construction; the stored equity is decimated) and broken down: long and short trades apart,
/// monthly returns, each trade's run-up and drawdown.
///
/// # Errors
///
/// `invalid`, `not_found` (the run, or its dataset when deleted).
pub async fn breakdown(ctx: &Ctx, run_id: &str) -> ApiResult<RunBreakdown> {
    let id = parse_uuid("run", run_id)?;
    let run = ctx.store.get_run(id).await?;
    let version = ctx.store.get_version(run.strategy_version_id).await?;
    let detail = runs::detail(ctx, run_id, false).await?;
    let dataset_id = detail
        .summary
        .dataset_id
        .clone()
        .ok_or_else(|| IpcError::not_found("The run does not name its dataset"))?;
    let graph: Graph = serde_json::from_value(version.graph_json)
        .map_err(|e| IpcError::invalid(format!("The graph cannot be read: {e}")))?;
    let plan = stratagraph_engine::compile::compile(&graph, &detail.summary.parameters)?;
    let path = datasets::bars_file(ctx, &dataset_id)?;
    tokio::task::spawn_blocking(move || {
        let bars = datasets::load_file(&path)?;
        let r = stratagraph_engine::backtest::backtest(&plan, &bars);
        let b = stratagraph_engine::breakdown::breakdown(
            &bars,
            &r.equity,
            &r.trades,
            plan.settings.initial_cash,
        );
        Ok(RunBreakdown {
            all: side_dto(&b.all),
            long: side_dto(&b.long),
            short: side_dto(&b.short),
            monthly: b
                .monthly
                .iter()
                .map(|m| MonthReturnDto {
                    year: m.year,
                    month: m.month,
                    return_pct: m.return_pct,
                })
                .collect(),
            excursions: b
                .excursions
                .iter()
                .map(|e| ExcursionDto {
                    run_up_pct: e.run_up_pct,
                    run_up: e.run_up,
                    drawdown_pct: e.drawdown_pct,
                    drawdown: e.drawdown,
                })
                .collect(),
        })
    })
    .await
    .unwrap_or_else(|e| Err(IpcError::io("The breakdown stopped unexpectedly", e)))
}

/// The sweep's probability of backtest overfitting, or why there is none (fewer than two rows).
pub(crate) fn rows_pbo(rows: &[sweep::Row]) -> Result<robust::Pbo, String> {
    if rows.len() >= 2 {
        sweep::pbo(rows, 0).map_err(|e| e.to_string())
    } else {
        Err("PBO compares combinations: it needs at least 2".to_owned())
    }
}

/// A stored sweep's PBO columns: the summary, or null and the reason there is none.
pub(crate) fn pbo_columns(pbo: Result<robust::Pbo, String>) -> (Value, Value) {
    match pbo {
        Ok(p) => (
            serde_json::to_value(PboSummary {
                pbo: p.pbo,
                blocks: p.blocks as u32,
                splits: p.splits as u32,
                configurations: p.configurations as u32,
                median_logit: p.median_logit,
                prob_oos_loss: p.prob_oos_loss,
                degradation_slope: p.degradation_slope,
            })
            .unwrap_or(Value::Null),
            Value::Null,
        ),
        Err(note) => (Value::Null, Value::String(note)),
    }
}
