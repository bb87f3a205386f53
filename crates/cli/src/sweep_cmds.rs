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
use stratagraph_engine::robust::{Pbo, PboError, PBO_BLOCKS};
use stratagraph_engine::sweep::{
    self, metric, parse_axis, parse_constraint, sort_rows, CacheStats, Row, SweepConfig, SweepSpec,
};
use stratagraph_engine::walkforward::{self, WalkForwardSpec};

use crate::cluster_cmds;
use crate::engine_cmds::{
    read_json, result_json, trade_json, valid_graph, write_stdout, write_summary,
};

/// The parameter space, shared by `sweep` and `walkforward`.
#[derive(Args)]
pub struct SpaceArgs {
    /// The graph file (JSON).
    #[arg(required = true)]
    pub(crate) graph: Option<PathBuf>,
    /// OHLCV file (CSV, Parquet or Arrow IPC): a path, or an http(s) URL.
    #[arg(long, value_name = "FILE|URL", required = true)]
    pub(crate) data: Option<PathBuf>,
    /// A grid axis: NAME=START:STOP:STEP or NAME=A,B,C (repeatable).
    #[arg(long = "grid", value_name = "AXIS", required = true)]
    pub(crate) grid: Vec<String>,
    /// Draw N distinct combinations from the grid at random instead of running all of it.
    #[arg(long, value_name = "N")]
    pub(crate) random: Option<usize>,
    /// Seed of the random draw.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// A constraint between parameters, e.g. "fast<slow" (repeatable).
    #[arg(long = "where", value_name = "EXPR")]
    pub(crate) wheres: Vec<String>,
    /// Worker threads (default: all cores).
    #[arg(long, default_value_t = 0)]
    pub(crate) threads: usize,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

impl SpaceArgs {
    /// The graph file (clap requires it unless a subcommand such as `merge` is given).
    pub(crate) fn graph(&self) -> Result<&Path, String> {
        self.graph
            .as_deref()
            .ok_or_else(|| "the graph file is missing (see --help)".to_string())
    }

    /// The data file or URL.
    pub(crate) fn data(&self) -> Result<&Path, String> {
        self.data
            .as_deref()
            .ok_or_else(|| "--data is missing (see --help)".to_string())
    }
}

/// `stratagraph sweep`, and `stratagraph sweep merge`.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SweepCommand {
    /// `merge`: join shards' outputs.
    #[command(subcommand)]
    pub sub: Option<SweepSub>,
    /// The sweep to run.
    #[command(flatten)]
    pub run: SweepArgs,
}

/// Subcommands of `sweep`.
#[derive(clap::Subcommand)]
pub enum SweepSub {
    /// Join the outputs of a sharded sweep's shards (`sweep ... --shard K/N`), in any order,
    /// into the rows the whole sweep gives on one machine.
    Merge(cluster_cmds::MergeArgs),
}

/// `stratagraph sweep GRAPH ...`.
#[derive(Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub(crate) space: SpaceArgs,
    /// Metric to sort by, best first (higher is better).
    #[arg(long, default_value = "sharpe")]
    pub(crate) sort: String,
    /// Print only the best K rows.
    #[arg(long, value_name = "K")]
    pub(crate) top: Option<usize>,
    /// Re-run the best K combinations in full and include their trades and equity (JSON) or
    /// summaries (text).
    #[arg(long, value_name = "K", default_value_t = 0)]
    pub(crate) detail: usize,
    #[command(flatten)]
    pub(crate) cluster: cluster_cmds::ClusterArgs,
}

/// Runs `stratagraph sweep` or `stratagraph sweep merge`.
pub fn sweep_command(c: &SweepCommand) -> Result<ExitCode, String> {
    match &c.sub {
        Some(SweepSub::Merge(m)) => cluster_cmds::merge(m),
        None => sweep(&c.run),
    }
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

pub(crate) fn load_graph(path: &Path) -> Result<Graph, String> {
    valid_graph(path, &read_json(path)?)
}

pub(crate) fn spec(a: &SpaceArgs) -> Result<SweepSpec, String> {
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
pub(crate) fn bar(total: usize, json: bool, unit: &str) -> ProgressBar {
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

/// Runs `stratagraph sweep`: the whole sweep, one shard of it (`--shard`), or the script
/// that runs its shards on a cluster (`--emit`).
pub fn sweep(a: &SweepArgs) -> Result<ExitCode, String> {
    if a.cluster.emit.is_some() {
        return cluster_cmds::emit(a);
    }
    if a.cluster.shard.is_some() {
        return cluster_cmds::shard(a);
    }
    cluster_cmds::refuse_shard_only_flags(a)?;
    let graph = load_graph(a.space.graph()?)?;
    let spec = spec(&a.space)?;
    let combos = sweep::combinations(&graph, &spec).map_err(|e| e.to_string())?;
    sweep::check_metric(&a.sort).map_err(|e| e.to_string())?;
    let bars = cluster_cmds::load_data(a.space.data()?, a.cluster.expect_data_hash.as_deref())?;
    let pb = bar(combos.len(), a.space.json, "combinations");
    let never = AtomicBool::new(false);
    let config = SweepConfig {
        threads: a.space.threads,
        pbo_blocks: PBO_BLOCKS,
        ..Default::default()
    };
    let result = sweep::run(&graph, &bars, &spec, &config, &never, &|p| {
        pb.set_position(p.done as u64)
    })
    .map_err(|e| e.to_string())?;
    pb.finish_and_clear();
    let (rows, pbo) = rank(result.rows, &a.sort, a.space.threads, a.top)?;
    let mut details = Vec::new();
    for row in rows.iter().take(a.detail) {
        details.push(sweep::rerun(&graph, &bars, row).map_err(|e| e.to_string())?);
    }
    let detail_json: Vec<Value> = details.iter().map(|r| result_json(r, &bars, 1)).collect();
    let mut detail_text = Vec::new();
    for r in &details {
        let mut text = Vec::new();
        write_summary(&mut text, r, &bars).map_err(|e| e.to_string())?;
        detail_text.push(String::from_utf8_lossy(&text).into_owned());
    }
    let out = Outcome {
        rows: &rows,
        total: result.total,
        cache: &result.cache,
        sort: &a.sort,
        pbo: &pbo,
    };
    print_outcome(&out, a.space.json, detail_json, &detail_text)
}

/// Rows in the sweep's own order, ranked: the PBO (worked out on every row, before sorting),
/// then the rows sorted best first by `sort` and cut to `top`.
pub(crate) fn rank(
    mut rows: Vec<Row>,
    sort: &str,
    threads: usize,
    top: Option<usize>,
) -> Result<(Vec<Row>, Result<Pbo, PboError>), String> {
    // The Probability of Backtest Overfitting by CSCV (docs/robustness.md), before sorting.
    let pbo = sweep::pbo(&rows, threads);
    sort_rows(&mut rows, sort).map_err(|e| e.to_string())?;
    rows.truncate(top.unwrap_or(usize::MAX));
    Ok((rows, pbo))
}

/// What `sweep` (and `sweep merge`) print.
pub(crate) struct Outcome<'a> {
    /// The rows shown, best first.
    pub rows: &'a [Row],
    /// Combinations in the sweep.
    pub total: usize,
    /// Node cache counters.
    pub cache: &'a CacheStats,
    /// The metric the rows are sorted by.
    pub sort: &'a str,
    /// The Probability of Backtest Overfitting.
    pub pbo: &'a Result<Pbo, PboError>,
}

/// Prints a sweep's outcome as the JSON document or the table.
pub(crate) fn print_outcome(
    o: &Outcome<'_>,
    json: bool,
    detail_json: Vec<Value>,
    detail_text: &[String],
) -> Result<ExitCode, String> {
    let rows = o.rows;
    if json {
        let (pbo, pbo_note) = match o.pbo {
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
            "sort": o.sort, "total": o.total, "cache": o.cache, "results": rows,
            "detail": detail_json, "pbo": pbo, "pbo_note": pbo_note,
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
        o.sort, "return %", "max dd %", "trades", "win %"
    ));
    for r in rows {
        for n in &names {
            out.push_str(&format!(
                "{:>10} ",
                r.params.get(*n).copied().unwrap_or(f64::NAN)
            ));
        }
        let m = &r.metrics;
        let key = metric(m, o.sort)
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
        o.total,
        o.sort,
        o.cache.shared_nodes,
        o.cache.shared_computations
    ));
    out.push_str(&match o.pbo {
        Ok(p) => format!(
            "probability of backtest overfitting (CSCV, {} blocks, {} splits): {:.1}%\n",
            p.blocks,
            p.splits,
            p.pbo * 100.0
        ),
        Err(e) => format!("probability of backtest overfitting: not computed ({e})\n"),
    });
    write_stdout(&out)?;
    for text in detail_text {
        write_stdout(&format!("\n{text}"))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `stratagraph walkforward`.
pub fn walkforward(a: &WalkForwardArgs) -> Result<ExitCode, String> {
    let graph = load_graph(a.space.graph()?)?;
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
    let bars = cluster_cmds::load_data(a.space.data()?, None)?;
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
