//! `stratagraph report`: one self-contained HTML file for a stored run (by id) or for a
//! backtest run on the spot from a graph file and a CSV (not stored).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, SecondsFormat};
use clap::Args;
use serde_json::Value;
use stratagraph_engine::backtest::{ExitReason, Side, Trade};
use stratagraph_engine::graph::Graph;
use stratagraph_engine::metrics::Metrics;
use stratagraph_engine::robust::assess::assess;
use stratagraph_engine::robust::montecarlo::{self, Method};
use stratagraph_engine::robust::{ReturnStats, Trials};
use stratagraph_report::{
    html_report, ChartData, PriceSeries, ReportInput, RobustnessReport, Theme,
};
use stratagraph_store::{RunStatus, Store};

use crate::store_cmds::{read_store, runtime};
use uuid::Uuid;

use crate::engine_cmds::{self, BacktestArgs};

/// `stratagraph report`.
#[derive(Args)]
pub struct ReportArgs {
    /// The id of a completed run in the database (`--db`).
    #[arg(
        value_name = "RUN_ID",
        required_unless_present = "graph",
        conflicts_with = "graph"
    )]
    pub run: Option<String>,
    /// Instead of a stored run: backtest this graph file (JSON) now, without storing it.
    #[arg(long, value_name = "G.json", requires = "data")]
    pub graph: Option<PathBuf>,
    /// The OHLCV CSV file for `--graph`.
    #[arg(long, value_name = "D.csv", requires = "graph")]
    pub data: Option<PathBuf>,
    /// Set a strategy parameter for `--graph` (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE", requires = "graph")]
    pub params: Vec<String>,
    /// Where to write the report.
    #[arg(long, value_name = "FILE.html")]
    pub out: PathBuf,
    /// Dark colours.
    #[arg(long)]
    pub dark: bool,
}

/// Runs `stratagraph report`.
///
/// # Errors
///
/// A one-line message for an unknown or unfinished run, store errors, bad graph or data
/// files, and an unwritable output file.
pub fn report(db: Option<&Path>, a: &ReportArgs) -> Result<ExitCode, String> {
    let theme = if a.dark { Theme::Dark } else { Theme::Light };
    let html = match (&a.run, &a.graph, &a.data) {
        (Some(id), _, _) => stored_report(db, id, theme)?,
        (None, Some(graph), Some(data)) => fresh_report(graph, data, &a.params, theme)?,
        _ => return Err("give a RUN_ID, or --graph G.json --data D.csv".to_owned()),
    };
    fs::write(&a.out, html).map_err(|e| format!("cannot write {}: {e}", a.out.display()))?;
    engine_cmds::write_stdout(&format!("wrote {}\n", a.out.display()))?;
    Ok(ExitCode::SUCCESS)
}

/// A report of a backtest run now (nothing is stored).
fn fresh_report(
    graph: &Path,
    data: &Path,
    params: &[String],
    theme: Theme,
) -> Result<String, String> {
    let args = BacktestArgs {
        graph: graph.to_owned(),
        data: data.to_owned(),
        params: params.to_vec(),
        cash: None,
        commission: None,
        slippage_bps: None,
        json: false,
        equity_every: 1,
        save: None,
    };
    let (doc, r, bars) = engine_cmds::run_backtest(&args)?;
    let strategy: Option<Graph> = serde_json::from_value(doc).ok();
    // Not stored, so this run is the strategy's one trial.
    let mut metrics_json = serde_json::to_value(&r.metrics).map_err(|e| e.to_string())?;
    let stats = ReturnStats::of_equity(bars.time(), &r.equity);
    if let Value::Object(m) = &mut metrics_json {
        for (k, v) in ReturnStats::metric_entries(stats.as_ref()) {
            m.insert(k.to_owned(), v);
        }
    }
    let pnl: Vec<f64> = r.trades.iter().map(|t| t.pnl).collect();
    let costs = strategy.as_ref().map_or((0.0, 0.0), |g| {
        (g.settings.commission, g.settings.slippage_bps)
    });
    let a = assess(
        &metrics_json,
        &Trials::of([stats.map(|s| s.sharpe)]),
        costs,
        &pnl,
    );
    let robustness = RobustnessReport {
        deflated_sharpe: a.deflated.map(|d| d.deflated_sharpe),
        probabilistic_sharpe: a.deflated.map(|d| d.probabilistic_sharpe),
        trials: 1,
        note: a.note,
        warnings: a.warnings.into_iter().map(|w| w.message).collect(),
        monte_carlo: montecarlo::run(&pnl, r.metrics.initial_equity, Method::Bootstrap, 1000, 1)
            .ok(),
    };
    let mut trades = r.trades.clone();
    trades.extend(r.open_trade.clone());
    let params: Vec<(String, String)> = r
        .params
        .iter()
        .map(|(k, v)| (k.clone(), v.to_string()))
        .collect();
    let details = vec![
        ("graph file".to_owned(), graph.display().to_string()),
        ("data file".to_owned(), data.display().to_string()),
        ("result hash".to_owned(), r.hash.clone()),
        (
            "stored".to_owned(),
            "no (run by `stratagraph report --graph`)".to_owned(),
        ),
    ];
    let title = graph.file_stem().map_or_else(
        || graph.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    Ok(html_report(&ReportInput {
        title: &title,
        subtitle: Some("backtest report (not stored)"),
        notes: None,
        params: &params,
        details: &details,
        metrics: &r.metrics,
        data: ChartData {
            times: bars.time(),
            equity: &r.equity,
            trades: &trades,
            prices: Some(PriceSeries::from_bars(&bars)),
            ..ChartData::default()
        },
        theme,
        graph: strategy.as_ref(),
        robustness: Some(&robustness),
    }))
}

/// Label and value rows of a report table.
type Pairs = Vec<(String, String)>;

/// What a stored run's report needs, read from the database.
struct StoredRun {
    title: String,
    subtitle: String,
    notes: Option<String>,
    params: Vec<(String, String)>,
    details: Vec<(String, String)>,
    metrics: Metrics,
    times: Vec<i64>,
    equity: Vec<f64>,
    trades: Vec<Trade>,
    graph: Option<Graph>,
    robustness: RobustnessReport,
}

/// A report of a completed run in the database (its trades in full, its equity as stored).
fn stored_report(db: Option<&Path>, id: &str, theme: Theme) -> Result<String, String> {
    let id = Uuid::parse_str(id.trim()).map_err(|_| format!("\"{id}\" is not a run id"))?;
    let rt = runtime()?;
    let run = read_store(&rt, db, |store| async move { load_run(&store, id).await })?;
    Ok(html_report(&ReportInput {
        title: &run.title,
        subtitle: Some(&run.subtitle),
        notes: run.notes.as_deref(),
        params: &run.params,
        details: &run.details,
        metrics: &run.metrics,
        data: ChartData {
            times: &run.times,
            equity: &run.equity,
            trades: &run.trades,
            prices: None,
            ..ChartData::default()
        },
        theme,
        graph: run.graph.as_ref(),
        robustness: Some(&run.robustness),
    }))
}

async fn load_run(store: &Store, id: Uuid) -> Result<StoredRun, String> {
    let run = store.get_run(id).await.map_err(|e| e.to_string())?;
    if run.status != RunStatus::Completed {
        return Err(format!(
            "run {id} is {}; only completed runs have a report",
            run.status.as_str()
        ));
    }
    let metrics: Metrics = run
        .metrics
        .clone()
        .ok_or_else(|| format!("run {id} has no metrics"))
        .and_then(|m| {
            serde_json::from_value(m).map_err(|e| format!("run {id} has unreadable metrics: {e}"))
        })?;
    let details = store.run_details(id).await.map_err(|e| {
        format!("run {id} has no details for offline review ({e}); re-run it to get a report")
    })?;
    let version = store
        .get_version(run.strategy_version_id)
        .await
        .map_err(|e| e.to_string())?;
    let strategy = store
        .get_strategy(version.strategy_id)
        .await
        .map_err(|e| e.to_string())?;

    let trades = match &details.trades {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, t)| {
                stored_trade(t).ok_or_else(|| format!("run {id}: trade {} is unreadable", i + 1))
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(format!("run {id}: the stored trades are not a list")),
    };
    let (params, mut facts) = split_parameters(&run.parameters);
    let mut info = vec![
        ("run id".to_owned(), id.to_string()),
        (
            "strategy".to_owned(),
            format!("{} ({})", strategy.title, strategy.slug),
        ),
        ("version".to_owned(), version.version.to_string()),
        ("status".to_owned(), run.status.as_str().to_owned()),
        (
            "created".to_owned(),
            run.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        ),
    ];
    if let Some(done) = run.completed_at {
        info.push((
            "completed".to_owned(),
            done.to_rfc3339_opts(SecondsFormat::Secs, true),
        ));
    }
    if let Some(h) = &details.result_hash {
        info.push(("result hash".to_owned(), h.clone()));
    }
    info.push((
        "equity points".to_owned(),
        format!(
            "{} stored of {}",
            details.equity.len(),
            details.equity_points_full
        ),
    ));
    info.append(&mut facts);
    let graph: Option<Graph> = serde_json::from_value(version.graph_json.clone()).ok();
    let t = store
        .strategy_trials(version.strategy_id)
        .await
        .map_err(|e| e.to_string())?;
    let trials = Trials {
        count: t.trials,
        sharpe_count: t.sharpe_count,
        sharpe_sum: t.sharpe_sum,
        sharpe_sum_sq: t.sharpe_sum_sq,
    };
    let pnl: Vec<f64> = trades
        .iter()
        .filter(|t| t.exit_reason != ExitReason::Open)
        .map(|t| t.pnl)
        .collect();
    let costs = graph.as_ref().map_or((0.0, 0.0), |g| {
        (g.settings.commission, g.settings.slippage_bps)
    });
    let a = assess(
        &run.metrics.clone().unwrap_or(Value::Null),
        &trials,
        costs,
        &pnl,
    );
    let robustness = RobustnessReport {
        deflated_sharpe: a.deflated.map(|d| d.deflated_sharpe),
        probabilistic_sharpe: a.deflated.map(|d| d.probabilistic_sharpe),
        trials: t.trials,
        note: a.note,
        warnings: a.warnings.into_iter().map(|w| w.message).collect(),
        monte_carlo: montecarlo::run(&pnl, metrics.initial_equity, Method::Bootstrap, 1000, 1).ok(),
    };
    Ok(StoredRun {
        title: strategy.title.clone(),
        subtitle: format!("version {} · run {id}", version.version),
        notes: version.notes.clone(),
        params,
        details: info,
        metrics,
        times: details.equity.iter().map(|p| p.t).collect(),
        equity: details.equity.iter().map(|p| p.v).collect(),
        trades,
        graph,
        robustness,
    })
}

/// A stored run's `parameters`: the strategy parameters (its `"params"` object) and every
/// other key as a fact, values as text.
fn split_parameters(parameters: &Value) -> (Pairs, Pairs) {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut params = Vec::new();
    let mut facts = Vec::new();
    if let Value::Object(map) = parameters {
        for (k, v) in map {
            match (k.as_str(), v) {
                ("params", Value::Object(p)) => {
                    params.extend(p.iter().map(|(name, value)| (name.clone(), text(value))));
                }
                _ => facts.push((k.replace('_', " "), text(v))),
            }
        }
    }
    (params, facts)
}

/// A time stored as ISO 8601 text (as the CLI writes trades) or as ms.
fn time_ms(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.timestamp_millis()),
        other => other.as_i64(),
    }
}

/// A trade as stored (the CLI's trade JSON, times as text; or the engine's own form).
fn stored_trade(v: &Value) -> Option<Trade> {
    if let Ok(t) = serde_json::from_value::<Trade>(v.clone()) {
        return Some(t);
    }
    let num = |k: &str| v.get(k).and_then(Value::as_f64);
    let side: Side = serde_json::from_value(v.get("side")?.clone()).ok()?;
    let exit_reason: ExitReason = serde_json::from_value(v.get("exit_reason")?.clone()).ok()?;
    let bars_held = v.get("bars_held").and_then(Value::as_u64).unwrap_or(0);
    Some(Trade {
        side,
        entry_bar: 0,
        exit_bar: usize::try_from(bars_held).unwrap_or(0),
        entry_time: time_ms(v.get("entry_time")?)?,
        exit_time: time_ms(v.get("exit_time")?)?,
        entry_price: num("entry_price")?,
        exit_price: num("exit_price")?,
        size: num("size")?,
        pnl: num("pnl")?,
        pnl_pct: num("pnl_pct").unwrap_or(f64::NAN),
        bars_held: usize::try_from(bars_held).unwrap_or(0),
        commission: num("commission").unwrap_or(0.0),
        exit_reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_trades_as_the_cli_stores_them() {
        let t = json!({
            "side": "short", "entry_time": "2024-01-02T00:00:00Z", "entry_price": 10.0,
            "exit_time": "2024-01-05T00:00:00Z", "exit_price": 9.0, "size": 3.0, "pnl": 3.0,
            "pnl_pct": 10.0, "bars_held": 3, "commission": 0.0, "exit_reason": "stop_loss"
        });
        let trade = stored_trade(&t);
        assert_eq!(
            trade.as_ref().map(|t| t.entry_time),
            Some(1_704_153_600_000)
        );
        assert_eq!(trade.map(|t| t.exit_reason), Some(ExitReason::StopLoss));
        assert!(stored_trade(&json!({"side": "long"})).is_none());
    }

    #[test]
    fn splits_parameters_from_facts() {
        let (p, f) = split_parameters(&json!({"params": {"fast": 10}, "data_file": "a.csv"}));
        assert_eq!(p, vec![("fast".to_owned(), "10".to_owned())]);
        assert_eq!(f, vec![("data file".to_owned(), "a.csv".to_owned())]);
    }
}
