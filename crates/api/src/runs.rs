//! Backtest runs: start one off the async threads with progress and cancellation, keep every
//! run in the store, list and open them offline, compare two, show every wire's value at a bar.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{json, Value};
use stratagraph_engine::backtest::BacktestResult;
use stratagraph_engine::graph::Graph;
use stratagraph_store::{
    decimate_equity, BacktestRun, Channel, EquityPoint as StoreEquityPoint, NotificationType,
    RunFilter, StoreError, TradePageQuery, MAX_EQUITY_POINTS,
};

use crate::dto::{
    BarValues, Dataset, EquityPoint, MetricDiff, NodeValue, Progress, RunCompare, RunCosts,
    RunDetail, RunSummary, Trade, TradePage, TRADES_FIRST_PAGE,
};
use crate::error::{ApiResult, ErrorCode, IpcError};
use crate::{app, datasets, parse_uuid, time_text, Ctx};

/// Progress units of a run (`done` goes 0..=`PROGRESS_TOTAL`).
const PROGRESS_TOTAL: u64 = 1000;

/// The arguments of [`run_backtest`].
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// Strategy id.
    pub strategy_id: String,
    /// Version number.
    pub version: i32,
    /// Dataset id.
    pub dataset_id: String,
    /// Parameter values; unset ones take the declared defaults.
    pub params: BTreeMap<String, f64>,
}

fn trade_dto(t: &stratagraph_engine::backtest::Trade) -> Option<Trade> {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| serde_json::from_value(v).ok())
}

/// The costs a run was charged: as recorded with the run, or, for runs recorded before costs
/// were, its version's settings (a version's settings never change; the engine charges
/// nothing for a setting left out).
fn costs_of(parameters: &Value, graph: &Value) -> RunCosts {
    let read = |v: Option<&Value>, commission: &str, slippage: &str| {
        let num = |k: &str| v.and_then(|v| v.get(k)).and_then(Value::as_f64);
        Some(RunCosts {
            commission: num(commission)?,
            slippage_bps: num(slippage).unwrap_or(0.0),
        })
    };
    read(parameters.get("costs"), "commission", "slippageBps")
        .or_else(|| read(graph.get("settings"), "commission", "slippage_bps"))
        .unwrap_or(RunCosts {
            commission: 0.0,
            slippage_bps: 0.0,
        })
}

fn summary_of(
    run: &BacktestRun,
    strategy: &stratagraph_store::Strategy,
    version: &stratagraph_store::StrategyVersion,
) -> RunSummary {
    let p = &run.parameters;
    let params: BTreeMap<String, f64> = p
        .get("params")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_f64().map(|x| (k.clone(), x)))
                .collect()
        })
        .unwrap_or_default();
    let text = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_owned);
    let (metrics, error) = match &run.metrics {
        Some(m) if m.get("error").is_some() => (
            None,
            m.get("error").and_then(Value::as_str).map(str::to_owned),
        ),
        other => (other.clone(), None),
    };
    RunSummary {
        id: run.id.to_string(),
        strategy_id: strategy.id.to_string(),
        strategy_title: strategy.title.clone(),
        version: version.version,
        dataset_id: text("datasetId"),
        dataset_name: text("datasetName"),
        status: run.status.as_str().to_owned(),
        parameters: params,
        costs: costs_of(p, &version.graph_json),
        metrics,
        error,
        created_at: time_text(run.created_at),
        completed_at: run.completed_at.map(time_text),
    }
}

async fn summary(ctx: &Ctx, run: &BacktestRun) -> ApiResult<RunSummary> {
    let v = ctx.store.get_version(run.strategy_version_id).await?;
    let s = ctx.store.get_strategy(v.strategy_id).await?;
    Ok(summary_of(run, &s, &v))
}

/// The most recent run of any version of `strategy`.
pub(crate) async fn latest_for_strategy(
    ctx: &Ctx,
    strategy: &stratagraph_store::Strategy,
) -> ApiResult<Option<RunSummary>> {
    let runs = ctx
        .store
        .list_runs(&RunFilter {
            strategy_id: Some(strategy.id),
            limit: Some(1),
            ..RunFilter::default()
        })
        .await?;
    match runs.first() {
        Some(run) => Ok(Some(summary(ctx, run).await?)),
        None => Ok(None),
    }
}

/// Starts a backtest and waits for it: loads the version and the dataset, checks the graph
/// and the parameters, counts the run against the daily quota, records it (queued → running
/// → completed / failed / cancelled), runs the engine on a blocking thread streaming
/// progress (the first message carries the job id for [`job_cancel`]), stores the metrics,
/// trades and equity, and posts a `backtest_done` notification.
///
/// # Errors
///
/// `invalid` (arguments, parameter values), `invalid_graph`, `not_found`, `quota_exceeded`
/// (with limit and reset time), `cancelled`, `storage`, `io`.
pub async fn run_backtest(
    ctx: &Ctx,
    req: RunRequest,
    on_progress: impl Fn(Progress) + Send + Sync + 'static,
) -> ApiResult<RunDetail> {
    let strategy_id = parse_uuid("strategy", &req.strategy_id)?;
    if req.version < 1 {
        return Err(IpcError::invalid("Version numbers start at 1"));
    }
    if let Some((name, _)) = req.params.iter().find(|(_, v)| !v.is_finite()) {
        return Err(IpcError::invalid(format!(
            "Parameter \"{name}\" must be a finite number"
        )));
    }
    let strategy = ctx.store.get_strategy(strategy_id).await?;
    let version = ctx.store.load_version(strategy_id, req.version).await?;
    let dataset = datasets::get(ctx, &req.dataset_id)?;
    let problems = app::validate_graph(&version.graph_json);
    if !problems.is_empty() {
        return Err(IpcError::invalid_graph(problems));
    }
    let graph: Graph = serde_json::from_value(version.graph_json.clone())
        .map_err(|e| IpcError::invalid(format!("The graph cannot be read: {e}")))?;
    let plan = stratagraph_engine::compile::compile(&graph, &req.params)?;

    // Local computation is never metered: no quota is counted or checked here.
    let parameters = json!({
        "params": plan.params,
        "datasetId": dataset.id,
        "datasetName": dataset.name,
        "dataHash": dataset.data_hash,
        "bars": dataset.bars,
        "costs": {
            "commission": plan.settings.commission,
            "slippageBps": plan.settings.slippage_bps,
        },
    });
    let user = ctx.user_id().await?;
    let run = ctx
        .store
        .create_run(version.id, Some(user), &parameters)
        .await?;
    let job = ctx.jobs.start(run.id.to_string());
    let job_id = job.id().to_owned();
    let on_progress = Arc::new(on_progress);
    let send = {
        let on_progress = Arc::clone(&on_progress);
        let job_id = job_id.clone();
        move |done: u64, stage: &str| {
            on_progress(Progress {
                job_id: job_id.clone(),
                done,
                total: PROGRESS_TOTAL,
                stage: stage.to_owned(),
            })
        }
    };
    send(0, "queued");
    ctx.store.start_run(run.id).await?;

    let flag: Arc<AtomicBool> = job.flag();
    let dataset_path = ctx.data_dir.join("datasets");
    let dataset_id = dataset.id.clone();
    let worker_send = send.clone();
    let started = Instant::now();
    let outcome = tokio::task::spawn_blocking(move || -> ApiResult<(BacktestResult, Vec<i64>)> {
        worker_send(0, "loading");
        let bars = datasets::load_file(&dataset_path.join(format!("{dataset_id}.bars")))?;
        worker_send(50, "running");
        let mut last = 0u64;
        let result = stratagraph_engine::backtest::run(&plan, &bars, &flag, &mut |f| {
            let done = 50 + (f.clamp(0.0, 1.0) * 900.0) as u64;
            if done >= last + 10 {
                last = done;
                worker_send(done, "running");
            }
        })
        .map_err(|_| IpcError::cancelled("The backtest"))?;
        Ok((result, bars.time().to_vec()))
    })
    .await
    .unwrap_or_else(|e| Err(IpcError::io("The backtest stopped unexpectedly", e)));
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;

    let (result, times) = match outcome {
        Ok(r) => r,
        Err(err) => {
            let _ = if err.code == ErrorCode::Cancelled {
                ctx.store.cancel_run(run.id).await
            } else {
                ctx.store.fail_run(run.id, &err.message, None).await
            };
            return Err(err);
        }
    };
    if job.is_cancelled() {
        let _ = ctx.store.cancel_run(run.id).await;
        return Err(IpcError::cancelled("The backtest"));
    }
    send(950, "saving");
    let mut metrics = serde_json::to_value(&result.metrics)
        .map_err(|e| IpcError::io("Cannot record the metrics", e))?;
    // The daily-return statistics the Deflated Sharpe Ratio needs later (the stored equity
    // is decimated), and the run's trial for the strategy's ledger.
    let stats = stratagraph_engine::robust::ReturnStats::of_equity(&times, &result.equity);
    if let Value::Object(m) = &mut metrics {
        for (k, v) in stratagraph_engine::robust::ReturnStats::metric_entries(stats.as_ref()) {
            m.insert(k.to_owned(), v);
        }
    }
    // Serialised by the engine (optimised even in dev builds), stored as is: a long run has
    // tens of thousands of trades and never goes through a `Value`.
    let trades_json =
        stratagraph_engine::backtest::trades_json(&result.trades, result.open_trade.as_ref())
            .map_err(|e| IpcError::io("Cannot record the trades", e))?;
    let equity: Vec<StoreEquityPoint> = times
        .iter()
        .zip(&result.equity)
        .map(|(&t, &v)| StoreEquityPoint { t, v })
        .collect();
    let equity_points_full = equity.len() as u64;
    let decimated = decimate_equity(&equity, MAX_EQUITY_POINTS);
    let completed = match ctx
        .store
        .complete_run_with_trades_json(
            run.id,
            &metrics,
            Some(result.hash.clone()),
            trades_json,
            &decimated,
            equity_points_full,
        )
        .await
    {
        Ok(r) => r,
        Err(e) => {
            let err = IpcError::from(e);
            let _ = ctx.store.fail_run(run.id, &err.message, None).await;
            return Err(err);
        }
    };
    let sharpe = stats.map(|s| s.sharpe).filter(|s| s.is_finite());
    ctx.store
        .record_run_trial(
            run.id,
            &stratagraph_store::TrialCounts {
                trials: 1,
                sharpe_count: u64::from(sharpe.is_some()),
                sharpe_sum: sharpe.unwrap_or(0.0),
                sharpe_sum_sq: sharpe.map_or(0.0, |s| s * s),
            },
        )
        .await?;
    let _ = ctx
        .store
        .create_notification(
            user,
            NotificationType::BacktestDone,
            &json!({
                "runId": run.id.to_string(),
                "strategyId": strategy.id.to_string(),
                "strategyTitle": strategy.title,
                "version": version.version,
                "totalReturnPct": result.metrics.total_return_pct,
                "message": format!(
                    "Backtest of \"{}\" v{} done: {:+.2} % return",
                    strategy.title, version.version, result.metrics.total_return_pct
                ),
            }),
            Channel::InApp,
        )
        .await;
    send(PROGRESS_TOTAL, "done");
    Ok(RunDetail {
        summary: summary_of(&completed, &strategy, &version),
        trades: result
            .trades
            .iter()
            .take(TRADES_FIRST_PAGE)
            .filter_map(trade_dto)
            .collect(),
        trades_total: result.trades.len() as u64,
        open_trade: result.open_trade.as_ref().and_then(trade_dto),
        equity: decimated
            .iter()
            .map(|p| EquityPoint { t: p.t, v: p.v })
            .collect(),
        equity_points_full,
        dataset: Some(dataset),
        result_hash: Some(result.hash),
        elapsed_ms: Some(elapsed_ms),
    })
}

/// `jobCancel`: asks a running job (backtest or import) to stop; it then ends with
/// `cancelled`. Cancelling a job that already finished is not an error.
///
/// # Errors
///
/// `invalid` for an empty id.
pub fn job_cancel(ctx: &Ctx, job_id: &str) -> ApiResult<bool> {
    if job_id.trim().is_empty() {
        return Err(IpcError::invalid("No job id was given"));
    }
    Ok(ctx.jobs.cancel(job_id.trim()))
}

/// `runsList`: runs of one strategy (or all), newest first.
///
/// # Errors
///
/// `invalid`, `storage`.
pub async fn list(ctx: &Ctx, strategy_id: Option<&str>) -> ApiResult<Vec<RunSummary>> {
    let strategy_id = strategy_id
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| parse_uuid("strategy", s))
        .transpose()?;
    let runs = ctx
        .store
        .list_runs(&RunFilter {
            strategy_id,
            limit: Some(500),
            ..RunFilter::default()
        })
        .await?;
    let mut out = Vec::with_capacity(runs.len());
    let mut versions = std::collections::HashMap::new();
    for run in &runs {
        let key = run.strategy_version_id;
        if let std::collections::hash_map::Entry::Vacant(e) = versions.entry(key) {
            let v = ctx.store.get_version(key).await?;
            let s = ctx.store.get_strategy(v.strategy_id).await?;
            e.insert((s, v));
        }
        if let Some((s, v)) = versions.get(&key) {
            out.push(summary_of(run, s, v));
        }
    }
    Ok(out)
}

/// `runGet`: a stored run with its equity, its first [`TRADES_FIRST_PAGE`] closed trades and
/// their count, offline (`runTrades` pages the rest). The trade list is counted and paged by
/// SQLite, never parsed whole, so a run with tens of thousands of trades opens fast.
///
/// # Errors
///
/// `invalid`, `not_found`.
pub async fn get(ctx: &Ctx, run_id: &str) -> ApiResult<RunDetail> {
    detail(ctx, run_id, true).await
}

/// [`get`], with the first page of trades only when `first_page` (charts and comparisons
/// need the equity and the metrics, not the trades).
pub(crate) async fn detail(ctx: &Ctx, run_id: &str, first_page: bool) -> ApiResult<RunDetail> {
    let id = parse_uuid("run", run_id)?;
    let run = ctx.store.get_run(id).await?;
    let summary = summary(ctx, &run).await?;
    let head = match ctx.store.run_details_head(id).await {
        Ok(d) => Some(d),
        Err(StoreError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let trades = match &head {
        Some(h) if first_page && h.closed_trades > 0 => ctx
            .store
            .run_trades_page(
                id,
                &TradePageQuery {
                    offset: 0,
                    limit: TRADES_FIRST_PAGE as u64,
                    ..TradePageQuery::default()
                },
            )
            .await?
            .into_iter()
            .filter_map(|(_, t)| serde_json::from_value::<Trade>(t).ok())
            .collect(),
        _ => Vec::new(),
    };
    let dataset: Option<Dataset> = summary
        .dataset_id
        .as_deref()
        .and_then(|d| datasets::get(ctx, d).ok());
    Ok(RunDetail {
        summary,
        trades,
        trades_total: head.as_ref().map_or(0, |h| h.closed_trades),
        open_trade: head
            .as_ref()
            .and_then(|h| h.open_trade.clone())
            .and_then(|t| serde_json::from_value(t).ok()),
        equity: head
            .as_ref()
            .map(|d| {
                d.equity
                    .iter()
                    .map(|p| EquityPoint { t: p.t, v: p.v })
                    .collect()
            })
            .unwrap_or_default(),
        equity_points_full: head.as_ref().map_or(0, |d| d.equity_points_full),
        dataset,
        result_hash: head.and_then(|d| d.result_hash),
        elapsed_ms: None,
    })
}

/// Trade fields `runTrades` sorts by.
const SORT_KEYS: [&str; 12] = [
    "side",
    "entry_bar",
    "exit_bar",
    "entry_time",
    "exit_time",
    "entry_price",
    "exit_price",
    "size",
    "pnl",
    "pnl_pct",
    "bars_held",
    "exit_reason",
];

/// The arguments of [`trades`].
#[derive(Debug, Clone, Default)]
pub struct TradesRequest {
    /// Run id.
    pub run_id: String,
    /// Rows to skip in the sorted order.
    pub offset: u64,
    /// Rows at most (1 to 1,000; default 200).
    pub limit: Option<u64>,
    /// A trade field to sort by (`pnl`, `entry_time` …); none keeps the time order.
    pub sort_key: Option<String>,
    /// Descending.
    pub desc: bool,
}

/// `runTrades`: one page of a stored run's closed trades, sorted over all of them by the
/// store (SQLite), each with its index in the time-ordered list.
///
/// # Errors
///
/// `invalid` for a malformed id, an unknown sort field or a limit out of range; `not_found`
/// for a run without stored results.
pub async fn trades(ctx: &Ctx, req: TradesRequest) -> ApiResult<TradePage> {
    let id = parse_uuid("run", &req.run_id)?;
    let limit = req.limit.unwrap_or(TRADES_FIRST_PAGE as u64);
    if !(1..=1000).contains(&limit) {
        return Err(IpcError::invalid("Ask for 1 to 1,000 trades at a time"));
    }
    let sort_key = req
        .sort_key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty());
    if let Some(k) = sort_key {
        if !SORT_KEYS.contains(&k) {
            return Err(IpcError::invalid(format!(
                "Trades cannot be sorted by \"{k}\""
            )));
        }
    }
    let head = match ctx.store.run_details_head(id).await {
        Ok(h) => h,
        Err(StoreError::NotFound { .. }) => {
            ctx.store.get_run(id).await?;
            return Err(IpcError::not_found("The run has no stored trades"));
        }
        Err(e) => return Err(e.into()),
    };
    let rows = if req.offset >= head.closed_trades {
        Vec::new()
    } else {
        ctx.store
            .run_trades_page(
                id,
                &TradePageQuery {
                    offset: req.offset,
                    limit,
                    sort_key: sort_key.map(str::to_owned),
                    desc: req.desc,
                },
            )
            .await?
    };
    let mut page = TradePage {
        total: head.closed_trades,
        offset: req.offset,
        trades: Vec::with_capacity(rows.len()),
        index: Vec::with_capacity(rows.len()),
    };
    for (i, t) in rows {
        if let Ok(t) = serde_json::from_value::<Trade>(t) {
            page.trades.push(t);
            page.index.push(i);
        }
    }
    Ok(page)
}

/// Every trade of a stored run, closed ones then the open one, as the engine wrote them (for
/// the price chart and the HTML report). Empty when the run has no stored details.
///
/// # Errors
///
/// `invalid`, `not_found`, `storage`.
pub(crate) async fn all_trades(
    ctx: &Ctx,
    run_id: &str,
) -> ApiResult<Vec<stratagraph_engine::backtest::Trade>> {
    let id = parse_uuid("run", run_id)?;
    let text = match ctx.store.run_trades_json(id).await {
        Ok(t) => t,
        Err(StoreError::NotFound { .. }) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    tokio::task::spawn_blocking(move || {
        stratagraph_engine::backtest::trades_from_json(&text)
            .map_err(|e| IpcError::io("The stored trades cannot be read", e))
    })
    .await
    .unwrap_or_else(|e| Err(IpcError::io("Reading the trades stopped unexpectedly", e)))
}

/// `runDelete`.
///
/// # Errors
///
/// `invalid`, `not_found`, `conflict` while the run is running.
pub async fn delete(ctx: &Ctx, run_id: &str) -> ApiResult<()> {
    let id = parse_uuid("run", run_id)?;
    if ctx.jobs.running().iter().any(|j| j == &id.to_string()) {
        return Err(IpcError::new(
            ErrorCode::Conflict,
            "The run is still running: cancel it first",
        ));
    }
    Ok(ctx.store.delete_run(id).await?)
}

/// `runCompare`: two runs with a metric-by-metric diff and both equity curves overlaid in one
/// SVG (`width` × `height`, default 960 × 360; `equitySvg` is `null` if drawing fails).
///
/// # Errors
///
/// As [`get`].
pub async fn compare(
    ctx: &Ctx,
    run_a: &str,
    run_b: &str,
    width: Option<u32>,
    height: Option<u32>,
) -> ApiResult<RunCompare> {
    let a = get(ctx, run_a).await?;
    let b = get(ctx, run_b).await?;
    // (The first page of trades comes along, as `runGet` sends it.)
    let empty = serde_json::Map::new();
    let ma = a
        .summary
        .metrics
        .as_ref()
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mb = b
        .summary
        .metrics
        .as_ref()
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut names: Vec<&String> = ma.keys().collect();
    for k in mb.keys() {
        if !ma.contains_key(k) {
            names.push(k);
        }
    }
    let diff = names
        .into_iter()
        .map(|name| {
            let va = ma.get(name).cloned().unwrap_or(Value::Null);
            let vb = mb.get(name).cloned().unwrap_or(Value::Null);
            let delta = match (va.as_f64(), vb.as_f64()) {
                (Some(x), Some(y)) if va.is_number() && vb.is_number() => Some(y - x),
                _ => None,
            };
            MetricDiff {
                name: name.clone(),
                a: va,
                b: vb,
                delta,
            }
        })
        .collect();
    let equity_svg = crate::charts::compare_svg(ctx, &a, &b, width, height).ok();
    Ok(RunCompare {
        a,
        b,
        diff,
        equity_svg,
    })
}

/// `nodeValues`: the value on every wire at bar `bar` of a run (why did this trade fire?)
/// and the bar's time, recomputed from the run's version, data and parameters.
///
/// # Errors
///
/// `invalid` for a bar out of range, `not_found` when the run's dataset was deleted.
pub async fn node_values(ctx: &Ctx, run_id: &str, bar: u32) -> ApiResult<BarValues> {
    let id = parse_uuid("run", run_id)?;
    let run = ctx.store.get_run(id).await?;
    let version = ctx.store.get_version(run.strategy_version_id).await?;
    let summary = summary(ctx, &run).await?;
    let dataset_id = summary
        .dataset_id
        .ok_or_else(|| IpcError::not_found("The run does not name its dataset"))?;
    let graph: Graph = serde_json::from_value(version.graph_json)
        .map_err(|e| IpcError::invalid(format!("The graph cannot be read: {e}")))?;
    let plan = stratagraph_engine::compile::compile(&graph, &summary.parameters)?;
    let path = ctx
        .data_dir
        .join("datasets")
        .join(format!("{}.bars", parse_uuid("dataset", &dataset_id)?));
    tokio::task::spawn_blocking(move || {
        let bars = datasets::load_file(&path)?;
        let i = bar as usize;
        if i >= bars.len() {
            return Err(IpcError::invalid(format!(
                "Bar {bar} is outside the data (0 to {})",
                bars.len().saturating_sub(1)
            )));
        }
        let ev = stratagraph_engine::feedback::evaluate_all(
            &plan,
            &bars,
            &AtomicBool::new(false),
            &mut |_| {},
        )
        .map_err(|_| IpcError::cancelled("The evaluation"))?;
        let mut out: Vec<NodeValue> = plan
            .outputs
            .iter()
            .map(|((node, port), slot)| {
                let v = ev.at(*slot, i);
                NodeValue {
                    node: node.clone(),
                    port: port.clone(),
                    value: v.is_finite().then_some(v),
                }
            })
            .collect();
        out.sort_by(|a, b| (&a.node, &a.port).cmp(&(&b.node, &b.port)));
        Ok(BarValues {
            bar,
            time: bars.time()[i],
            values: out,
        })
    })
    .await
    .unwrap_or_else(|e| Err(IpcError::io("The evaluation stopped unexpectedly", e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_come_from_the_run_or_else_its_version() {
        let graph = json!({"settings": {"commission": 0.002, "slippage_bps": 3}});
        let recorded = json!({"costs": {"commission": 0.001, "slippageBps": 5.0}});
        let c = costs_of(&recorded, &graph);
        assert_eq!((c.commission, c.slippage_bps), (0.001, 5.0));
        let older = costs_of(&json!({"params": {}}), &graph);
        assert_eq!((older.commission, older.slippage_bps), (0.002, 3.0));
        let none = costs_of(&json!({}), &json!({"settings": {}}));
        assert_eq!((none.commission, none.slippage_bps), (0.0, 0.0));
    }
}
