//! Sweep and walk-forward commands, with a progress bar on a terminal.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};
use stratagraph_engine::bars::iso8601;
use stratagraph_engine::graph::Graph;
use stratagraph_engine::robust::PBO_BLOCKS;
use stratagraph_engine::sweep::{
    self, metric, parse_axis, parse_constraint, sort_rows, SweepConfig, SweepSpec,
};
use stratagraph_engine::walkforward::{self, WalkForwardSpec};

use crate::engine_cmds::{
    load_bars, read_json, result_json, trade_json, valid_graph, write_stdout, write_summary,
};

/// The parameter space, shared by `sweep` and `walkforward`.
#[derive(Args)]
pub struct SpaceArgs {
    /// The graph file (JSON).
    graph: PathBuf,
    /// OHLCV file: CSV, Parquet or Arrow IPC.
    #[arg(long, value_name = "FILE")]
    data: PathBuf,
    /// A grid axis: NAME=START:STOP:STEP or NAME=A,B,C (repeatable).
    #[arg(long = "grid", value_name = "AXIS", required = true)]
    grid: Vec<String>,
    /// Draw N distinct combinations from the grid at random instead of running all of it.
    #[arg(long, value_name = "N")]
    random: Option<usize>,
    /// Seed of the random draw.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// A constraint between parameters, e.g. "fast<slow" (repeatable).
    #[arg(long = "where", value_name = "EXPR")]
    wheres: Vec<String>,
    /// Worker threads (default: all cores).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `stratagraph sweep`.
#[derive(Args)]
pub struct SweepArgs {
    #[command(flatten)]
    space: SpaceArgs,
    /// Metric to sort by, best first (higher is better).
    #[arg(long, default_value = "sharpe")]
    sort: String,
    /// Print only the best K rows.
    #[arg(long, value_name = "K")]
    top: Option<usize>,
    /// Re-run the best K combinations in full and include their trades and equity (JSON) or
    /// summaries (text).
    #[arg(long, value_name = "K", default_value_t = 0)]
    detail: usize,
}

/// `stratagraph walkforward`.
#[derive(Args)]
pub struct WalkForwardArgs {
    #[command(flatten)]
    space: SpaceArgs,
    /// Bars in each in-sample window.
    #[arg(long, value_name = "BARS")]
    train: usize,
    /// Bars in each out-of-sample window.
    #[arg(long, value_name = "BARS")]
    test: usize,
    /// In-sample windows all start at the first bar (rolling otherwise).
    #[arg(long)]
    anchored: bool,
    /// Metric that picks each window's parameters.
    #[arg(long, default_value = "sharpe")]
    metric: String,
}

fn load_graph(path: &Path) -> Result<Graph, String> {
    valid_graph(path, &read_json(path)?)
}

fn spec(a: &SpaceArgs) -> Result<SweepSpec, String> {
    Ok(SweepSpec {
        axes: a
            .grid
            .iter()
            .map(|g| parse_axis(g))
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?,
        random: a.random.map(|n| (n, a.seed)),
        constraints: a
            .wheres
            .iter()
            .map(|w| parse_constraint(w))
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?,
    })
}

/// A progress bar on a terminal; hidden when output is piped or JSON.
fn bar(total: usize, json: bool, unit: &str) -> ProgressBar {
    if json || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(total as u64);
    let template = format!("{{bar:40}} {{pos}}/{{len}} {unit} · {{elapsed}} · eta {{eta}}");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        pb.set_style(style);
    }
    pb
}

/// Runs `stratagraph sweep`.
pub fn sweep(a: &SweepArgs) -> Result<ExitCode, String> {
    let graph = load_graph(&a.space.graph)?;
    let spec = spec(&a.space)?;
    let combos = sweep::combinations(&graph, &spec).map_err(|e| e.to_string())?;
    sweep::check_metric(&a.sort).map_err(|e| e.to_string())?;
    let bars = load_bars(&a.space.data)?;
    let pb = bar(combos.len(), a.space.json, "combinations");
    let never = AtomicBool::new(false);
    let config = SweepConfig {
        threads: a.space.threads,
        pbo_blocks: PBO_BLOCKS,
        ..Default::default()
    };
    let mut result = sweep::run(&graph, &bars, &spec, &config, &never, &|p| {
        pb.set_position(p.done as u64)
    })
    .map_err(|e| e.to_string())?;
    pb.finish_and_clear();
    // The Probability of Backtest Overfitting by CSCV (docs/robustness.md), before sorting.
    let pbo = sweep::pbo(&result.rows, a.space.threads);
    sort_rows(&mut result.rows, &a.sort).map_err(|e| e.to_string())?;
    let rows = &result.rows[..a
        .top
        .map_or(result.rows.len(), |k| k.min(result.rows.len()))];
    let mut details = Vec::new();
    for row in rows.iter().take(a.detail) {
        details.push(sweep::rerun(&graph, &bars, row).map_err(|e| e.to_string())?);
    }
    if a.space.json {
        let detail: Vec<Value> = details.iter().map(|r| result_json(r, &bars, 1)).collect();
        let (pbo, pbo_note) = match &pbo {
            Ok(p) => {
                let mut v = json!(p);
                // One logit per split (12,870 for 16 blocks): the summary is enough here.
                if let Some(m) = v.as_object_mut() {
                    m.remove("logits");
                }
                (v, Value::Null)
            }
            Err(e) => (Value::Null, json!(e.to_string())),
        };
        let doc = json!({
            "sort": a.sort, "total": result.total, "cache": result.cache, "results": rows,
            "detail": detail, "pbo": pbo, "pbo_note": pbo_note,
        });
        return write_stdout(&format!("{doc}\n")).map(|_| ExitCode::SUCCESS);
    }
    let names: Vec<&String> = rows
        .first()
        .map(|r| r.params.keys().collect())
        .unwrap_or_default();
    let mut out = String::new();
    for n in &names {
        out.push_str(&format!("{n:>10} "));
    }
    out.push_str(&format!(
        "{:>10} {:>10} {:>10} {:>8} {:>7}\n",
        a.sort, "return %", "max dd %", "trades", "win %"
    ));
    for r in rows {
        for n in &names {
            out.push_str(&format!(
                "{:>10} ",
                r.params.get(*n).copied().unwrap_or(f64::NAN)
            ));
        }
        let m = &r.metrics;
        let key = metric(m, &a.sort)
            .ok()
            .flatten()
            .map_or("-".into(), |v| format!("{v:.3}"));
        let win = m.win_rate_pct.map_or("-".into(), |v| format!("{v:.1}"));
        out.push_str(&format!(
            "{key:>10} {:>10.2} {:>10.2} {:>8} {win:>7}\n",
            m.total_return_pct, m.max_drawdown_pct, m.trades
        ));
    }
    out.push_str(&format!(
        "{} of {} combinations shown, sorted by {}; {} shared nodes computed {} times\n",
        rows.len(),
        result.total,
        a.sort,
        result.cache.shared_nodes,
        result.cache.shared_computations
    ));
    out.push_str(&match &pbo {
        Ok(p) => format!(
            "probability of backtest overfitting (CSCV, {} blocks, {} splits): {:.1}%\n",
            p.blocks,
            p.splits,
            p.pbo * 100.0
        ),
        Err(e) => format!("probability of backtest overfitting: not computed ({e})\n"),
    });
    write_stdout(&out)?;
    for r in &details {
        let mut text = Vec::new();
        write_summary(&mut text, r, &bars).map_err(|e| e.to_string())?;
        write_stdout(&format!("\n{}", String::from_utf8_lossy(&text)))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `stratagraph walkforward`.
pub fn walkforward(a: &WalkForwardArgs) -> Result<ExitCode, String> {
    let graph = load_graph(&a.space.graph)?;
    let spec = WalkForwardSpec {
        sweep: spec(&a.space)?,
        train: a.train,
        test: a.test,
        anchored: a.anchored,
        metric: a.metric.clone(),
    };
    // The grid is checked before the data is read.
    sweep::combinations(&graph, &spec.sweep).map_err(|e| e.to_string())?;
    sweep::check_metric(&a.metric).map_err(|e| e.to_string())?;
    let bars = load_bars(&a.space.data)?;
    let windows =
        walkforward::windows(bars.len(), a.train, a.test, a.anchored).map_err(|e| e.to_string())?;
    let pb = bar(windows.len(), a.space.json, "windows");
    let never = AtomicBool::new(false);
    let config = SweepConfig {
        threads: a.space.threads,
        ..Default::default()
    };
    let r = walkforward::run(&graph, &bars, &spec, &config, &never, &|done, _| {
        pb.set_position(done as u64)
    })
    .map_err(|e| e.to_string())?;
    pb.finish_and_clear();
    let t = bars.time();
    if a.space.json {
        let equity: Vec<Value> = r
            .equity
            .iter()
            .enumerate()
            .map(|(i, e)| json!([iso8601(t[r.start + i]), e]))
            .collect();
        let windows: Vec<Value> = r
            .windows
            .iter()
            .map(|w| {
                json!({
                    "train_start": iso8601(t[w.train_start]), "train_end": iso8601(t[w.train_end - 1]),
                    "test_start": iso8601(t[w.train_end]), "test_end": iso8601(t[w.test_end - 1]),
                    "params": w.params, "in_sample": w.in_sample, "out_of_sample": w.out_of_sample, "trades": w.trades,
                })
            })
            .collect();
        let doc = json!({
            "metric": a.metric, "windows": windows, "metrics": r.metrics, "gap": r.gap,
            "trades": r.trades.iter().map(trade_json).collect::<Vec<_>>(), "equity": equity,
        });
        return write_stdout(&format!("{doc}\n")).map(|_| ExitCode::SUCCESS);
    }
    let fmt = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.3}"));
    let mut out = format!(
        "{:<22} {:<22} {:>12} {:>12}  params\n",
        "in sample", "out of sample", "IS", "OOS"
    );
    for w in &r.windows {
        let params: Vec<String> = w.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push_str(&format!(
            "{:<22} {:<22} {:>12} {:>12}  {}\n",
            format!(
                "{}..{}",
                &iso8601(t[w.train_start])[..10],
                &iso8601(t[w.train_end - 1])[..10]
            ),
            format!(
                "{}..{}",
                &iso8601(t[w.train_end])[..10],
                &iso8601(t[w.test_end - 1])[..10]
            ),
            fmt(w.in_sample),
            fmt(w.out_of_sample),
            params.join(" ")
        ));
    }
    let m = &r.metrics;
    out.push_str(&format!(
        "stitched out-of-sample: return {:.2}%, max drawdown {:.2}%, Sharpe {}, {} trades; in-sample minus out-of-sample {}: {}\n",
        m.total_return_pct, m.max_drawdown_pct, fmt(m.sharpe), m.trades, a.metric, fmt(r.gap)
    ));
    write_stdout(&out).map(|_| ExitCode::SUCCESS)
}
