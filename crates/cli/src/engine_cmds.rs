//! Engine commands: catalog, validate, backtest and data tools.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use clap::{Args, Subcommand};
use serde_json::{json, Value};
use stratagraph_engine::backtest::{self, BacktestResult, ExitReason, Side, Trade};
use stratagraph_engine::bars::{iso8601, write_iso8601, ISO8601_MAX};
use stratagraph_engine::catalog::catalog as node_catalog;
use stratagraph_engine::columnar::{import_columnar_path, Columnar};
use stratagraph_engine::compile::{compile, CompileError, Plan};
use stratagraph_engine::graph::Graph;
use stratagraph_engine::numfmt::human;
use stratagraph_engine::robust::{deflated_sharpe, ReturnStats, Trials};
use stratagraph_engine::validate::{validate as validate_doc, Problem, MAX_CASH};
use stratagraph_engine::{import, synth, Bars};

/// `stratagraph catalog`.
#[derive(Args)]
pub struct CatalogArgs {
    /// Print JSON instead of a table.
    #[arg(long, conflicts_with = "markdown")]
    json: bool,
    /// Print the node reference in Markdown (the text of docs/nodes.md).
    #[arg(long)]
    markdown: bool,
}

/// `stratagraph validate`.
#[derive(Args)]
pub struct ValidateArgs {
    /// The graph file (JSON).
    graph: PathBuf,
    /// Print the problems as a JSON array.
    #[arg(long)]
    json: bool,
}

/// `stratagraph backtest`.
#[derive(Args)]
pub struct BacktestArgs {
    /// The graph file (JSON).
    pub graph: PathBuf,
    /// OHLCV file: CSV (header row, MetaTrader export or Binance kline dump), Parquet
    /// (`.parquet`) or Arrow IPC (`.arrow`, `.feather`).
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// Set a strategy parameter (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Starting cash (overrides the graph's settings), above 0 and at most 1e12.
    #[arg(long, allow_negative_numbers = true)]
    pub cash: Option<f64>,
    /// Commission as a fraction of traded value, e.g. 0.002 (overrides the graph's settings).
    #[arg(long, allow_negative_numbers = true)]
    pub commission: Option<f64>,
    /// Slippage in basis points (overrides the graph's settings).
    #[arg(long = "slippage-bps", allow_negative_numbers = true)]
    pub slippage_bps: Option<f64>,
    /// Print one JSON document: metrics, trades, equity and hash.
    #[arg(long)]
    pub json: bool,
    /// With `--json`: keep every Nth bar of the equity curve (and always the last); 0 leaves
    /// the curve out, and the run never holds it whole. Metrics and the hash are computed
    /// from every bar either way.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub equity_every: usize,
    /// Record the run in the database (`--db`) against the LATEST saved version of this
    /// strategy (id or slug); local runs are never metered. The graph file must equal that version (layout aside); otherwise the run is refused, so a
    /// stored run always describes a stored graph: save the file first with
    /// `stratagraph strategy save STRATEGY GRAPH.json`.
    #[arg(long, value_name = "ID_OR_SLUG")]
    pub save: Option<String>,
}

/// `stratagraph data ...`.
#[derive(Subcommand)]
pub enum DataCmd {
    /// Write a synthetic OHLCV CSV from a seeded random walk (deterministic).
    Synth {
        /// Output file.
        #[arg(long)]
        out: PathBuf,
        /// Random seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Number of bars.
        #[arg(long, default_value_t = 2520)]
        bars: usize,
        /// Bar length: `day`, `hour` or `minute`.
        #[arg(long, default_value = "day")]
        step: String,
    },
    /// Import a CSV and print what was found (bars, first and last time).
    Inspect {
        /// The CSV file.
        file: PathBuf,
    },
}

/// Writes `text` to stdout. A reader that went away (`| head`) ends the output quietly
/// instead of panicking as `println!` would.
///
/// # Errors
///
/// A message for any other write failure.
pub fn write_stdout(text: &str) -> Result<(), String> {
    let mut w = io::stdout().lock();
    match w.write_all(text.as_bytes()).and_then(|_| w.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(format!("cannot write: {e}")),
        _ => Ok(()),
    }
}

/// Prints a value as pretty JSON and a newline.
pub(crate) fn print_json(v: &impl serde::Serialize) -> Result<(), String> {
    let text = serde_json::to_string_pretty(v).map_err(|e| e.to_string())?;
    write_stdout(&format!("{text}\n"))
}

/// Prints a graph's validation problems: the JSON array when `json`, else one a line.
pub(crate) fn print_problems(problems: &[Problem], json: bool) -> Result<(), String> {
    if json {
        print_json(&problems)
    } else {
        let lines: String = problems.iter().map(|p| format!("{p}\n")).collect();
        write_stdout(&lines)
    }
}

/// Validation problems, one a line.
fn problem_lines(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The graph of the document read from `path`, or a message listing its problems.
pub(crate) fn valid_graph(path: &Path, doc: &Value) -> Result<Graph, String> {
    let v = validate_doc(doc);
    if !v.is_valid() {
        return Err(format!(
            "{} is invalid:\n{}",
            path.display(),
            problem_lines(&v.problems)
        ));
    }
    Ok(v.graph)
}

/// Prints the node catalog.
pub fn catalog(a: &CatalogArgs) -> Result<ExitCode, String> {
    let cat = node_catalog();
    if a.json {
        print_json(&cat)?;
        return Ok(ExitCode::SUCCESS);
    }
    if a.markdown {
        write_stdout(&stratagraph_engine::catalog::markdown())?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    for s in cat {
        let ports = |ps: &[stratagraph_engine::catalog::PortSpec]| {
            ps.iter()
                .map(|p| format!("{}:{}", p.name, p.ty.name()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let params: Vec<String> = s
            .params
            .iter()
            .map(|p| format!("{}={}", p.name, p.default))
            .collect();
        out.push_str(&format!(
            "{:<24} {:<10} in({}) out({}) params({})\n    {}\n",
            s.kind,
            s.category.name(),
            ports(&s.inputs),
            ports(&s.outputs),
            params.join(", "),
            s.help
        ));
    }
    write_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// Reads and parses a JSON file, with the path in any error.
pub fn read_json(path: &Path) -> Result<Value, String> {
    // A graph at the node limit is a few tens of MB; anything far larger is refused before
    // it is parsed, so a huge file cannot take the machine's memory.
    const MAX_BYTES: u64 = 64 << 20;
    if let Ok(meta) = fs::metadata(path) {
        if meta.len() > MAX_BYTES {
            return Err(format!(
                "{} is {} MB; graph files are limited to {} MB ({} nodes)",
                path.display(),
                meta.len() >> 20,
                MAX_BYTES >> 20,
                stratagraph_engine::numfmt::grouped(stratagraph_engine::validate::MAX_NODES as u64)
            ));
        }
    }
    let text =
        fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not valid JSON: {e}", path.display()))
}

/// Validates a graph file.
pub fn validate(a: &ValidateArgs) -> Result<ExitCode, String> {
    let doc = read_json(&a.graph)?;
    let v = validate_doc(&doc);
    if v.is_valid() && !a.json {
        write_stdout("valid\n")?;
    } else {
        print_problems(&v.problems, a.json)?;
    }
    Ok(if v.is_valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Parses `NAME=VALUE` pairs.
pub fn parse_params(pairs: &[String]) -> Result<BTreeMap<String, f64>, String> {
    let mut out = BTreeMap::new();
    for p in pairs {
        let (name, value) = p
            .split_once('=')
            .ok_or_else(|| format!("--param {p}: expected NAME=VALUE"))?;
        let v: f64 = value
            .trim()
            .parse()
            .map_err(|_| format!("--param {p}: \"{value}\" is not a number"))?;
        if !v.is_finite() {
            return Err(format!("--param {p}: value must be finite"));
        }
        if out.insert(name.trim().to_string(), v).is_some() {
            return Err(format!("--param {name} is given twice"));
        }
    }
    Ok(out)
}

/// Loads bars from a CSV file.
pub fn load_bars(path: &Path) -> Result<Bars, String> {
    match Columnar::of_path(path) {
        Some(format) => import_columnar_path(path, format, &AtomicBool::new(false)),
        None => import::import_csv_path(path),
    }
    .map_err(|e| format!("{}: {e}", path.display()))
}

/// A backtest ready to run: the graph file as read and the plan compiled from it.
pub struct PreparedBacktest {
    /// The graph document as read from the file.
    pub doc: Value,
    /// The validated graph as in the file (the command-line overrides are not applied).
    pub graph: Graph,
    /// The execution plan, with the overrides and `--param` values applied.
    pub plan: Plan,
}

/// Reads, validates and compiles the graph as the arguments say (no data is read).
///
/// # Errors
///
/// A message for an unreadable or invalid graph or a bad `--param`.
pub fn prepare_backtest(a: &BacktestArgs) -> Result<PreparedBacktest, String> {
    let doc = read_json(&a.graph)?;
    let file_graph = valid_graph(&a.graph, &doc)?;
    let mut graph = file_graph.clone();
    if let Some(c) = a.cash {
        if !(c > 0.0 && c <= MAX_CASH) {
            return Err(format!(
                "--cash {}: must be greater than 0 and at most {}",
                human(c),
                human(MAX_CASH)
            ));
        }
        graph.settings.initial_cash = c;
    }
    if let Some(c) = a.commission {
        graph.settings.commission = c;
    }
    if let Some(s) = a.slippage_bps {
        graph.settings.slippage_bps = s;
    }
    let params = parse_params(&a.params)?;
    let plan = compile(&graph, &params).map_err(|e| match e {
        CompileError::Invalid(problems) => problem_lines(&problems),
        other => other.to_string(),
    })?;
    Ok(PreparedBacktest {
        doc,
        graph: file_graph,
        plan,
    })
}

/// Validates, compiles and runs a backtest as the arguments say.
///
/// # Errors
///
/// As [`prepare_backtest`], and a message naming the line and column of bad market data.
pub fn run_backtest(a: &BacktestArgs) -> Result<(Value, BacktestResult, Bars), String> {
    let prepared = prepare_backtest(a)?;
    let bars = load_bars(&a.data)?;
    let result = backtest::backtest(&prepared.plan, &bars);
    Ok((prepared.doc, result, bars))
}

/// A trade as the CLI prints it: times in ISO 8601 UTC.
pub fn trade_json(t: &Trade) -> Value {
    serde_json::to_value(TradeOut::of(t)).unwrap_or(Value::Null)
}

/// A trade as the CLI prints it, serialised straight from the trade (no JSON values are
/// built). The fields are in alphabetical order, as a JSON object's keys are written.
#[derive(serde::Serialize)]
struct TradeOut<'a> {
    bars_held: usize,
    commission: f64,
    entry_price: f64,
    entry_time: IsoTime,
    exit_price: f64,
    exit_reason: &'a ExitReason,
    exit_time: IsoTime,
    pnl: f64,
    pnl_pct: f64,
    side: &'a Side,
    size: f64,
}

impl<'a> TradeOut<'a> {
    fn of(t: &'a Trade) -> Self {
        TradeOut {
            bars_held: t.bars_held,
            commission: t.commission,
            entry_price: t.entry_price,
            entry_time: IsoTime(t.entry_time),
            exit_price: t.exit_price,
            exit_reason: &t.exit_reason,
            exit_time: IsoTime(t.exit_time),
            pnl: t.pnl,
            pnl_pct: t.pnl_pct,
            side: &t.side,
            size: t.size,
        }
    }
}

/// A time (ms UTC) serialised as [`iso8601`] writes it, without allocating.
struct IsoTime(i64);

impl serde::Serialize for IsoTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; ISO8601_MAX];
        match write_iso8601(&mut buf, self.0).map(std::str::from_utf8) {
            Some(Ok(text)) => s.serialize_str(text),
            _ => s.serialize_str(&iso8601(self.0)),
        }
    }
}

/// The bars whose equity `--equity-every N` keeps: every Nth and the last; none for 0.
fn equity_points(n: usize, every: usize) -> impl Iterator<Item = usize> {
    (0..if every == 0 { 0 } else { n }).filter(move |i| i % every == 0 || i + 1 == n)
}

/// The `--json` document of a backtest, its trades and equity curve as `null` (see
/// [`result_json`] and [`write_result_doc`]).
fn result_doc(r: &BacktestResult) -> Value {
    json!({
        "metrics": r.metrics,
        "trades": Value::Null,
        "open_trade": r.open_trade.as_ref().map(trade_json),
        "equity": Value::Null,
        "params": r.params,
        "hash": r.hash,
    })
}

/// The `--json` document of a backtest.
pub fn result_json(r: &BacktestResult, bars: &Bars, equity_every: usize) -> Value {
    let n = r.equity.len().min(bars.len());
    let equity: Vec<Value> = equity_points(n, equity_every)
        .map(|i| json!([iso8601(bars.time()[i]), r.equity[i]]))
        .collect();
    let mut doc = result_doc(r);
    doc["trades"] = r.trades.iter().map(trade_json).collect();
    doc["equity"] = Value::Array(equity);
    doc
}

/// Writes `doc` (an object) as compact JSON, the same bytes as `serde_json::to_writer`, with
/// the trades and the equity curve written in place of its `"trades"` and `"equity"` values
/// straight from the result: a million points are not first built as JSON values.
fn write_result_doc(
    w: &mut impl Write,
    doc: &serde_json::Map<String, Value>,
    r: &BacktestResult,
    bars: &Bars,
    equity_every: usize,
) -> io::Result<()> {
    w.write_all(b"{")?;
    for (k, (key, value)) in doc.iter().enumerate() {
        if k > 0 {
            w.write_all(b",")?;
        }
        serde_json::to_writer(&mut *w, key)?;
        w.write_all(b":")?;
        if key == "equity" {
            write_equity(w, r, bars, equity_every)?;
        } else if key == "trades" {
            w.write_all(b"[")?;
            for (k, t) in r.trades.iter().enumerate() {
                if k > 0 {
                    w.write_all(b",")?;
                }
                serde_json::to_writer(&mut *w, &TradeOut::of(t))?;
            }
            w.write_all(b"]")?;
        } else {
            serde_json::to_writer(&mut *w, value)?;
        }
    }
    w.write_all(b"}")
}

/// The equity curve as a JSON array of `[time, equity]` pairs, as [`result_json`] has it.
/// Long curves are formatted a block of bars per core at a time and written in order.
fn write_equity(
    w: &mut impl Write,
    r: &BacktestResult,
    bars: &Bars,
    equity_every: usize,
) -> io::Result<()> {
    /// Bars formatted per block.
    const BLOCK: usize = 1 << 17;
    let n = r.equity.len().min(bars.len());
    if equity_every == 0 {
        return w.write_all(b"[]");
    }
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let mut bufs: Vec<Vec<u8>> = vec![Vec::new(); threads];
    // Every point is formatted with a comma before it; the first one's is left out.
    let mut first = true;
    w.write_all(b"[")?;
    let mut block = 0;
    while block * BLOCK < n {
        let blocks = (n.div_ceil(BLOCK) - block).min(threads);
        let ranges = (block..block + blocks).map(|k| k * BLOCK..((k + 1) * BLOCK).min(n));
        std::thread::scope(|scope| -> io::Result<()> {
            let mut jobs = bufs.iter_mut().zip(ranges);
            let own = jobs.next();
            let others: Vec<_> = jobs
                .map(|(buf, range)| {
                    std::thread::Builder::new().spawn_scoped(scope, move || {
                        format_equity(buf, r, bars, equity_every, n, range)
                    })
                })
                .collect();
            if let Some((buf, range)) = own {
                format_equity(buf, r, bars, equity_every, n, range);
            }
            for h in others {
                if let Err(panic) = h?.join() {
                    std::panic::resume_unwind(panic);
                }
            }
            Ok(())
        })?;
        for buf in &bufs[..blocks] {
            let text = match buf.split_first() {
                Some((_, rest)) if first => {
                    first = false;
                    rest
                }
                _ => buf,
            };
            w.write_all(text)?;
        }
        block += blocks;
    }
    w.write_all(b"]")
}

/// Appends the kept points (`equity_every` > 0) of bars `range` (of `n`) to `out` (cleared
/// first), each as `,[time,equity]`.
fn format_equity(
    out: &mut Vec<u8>,
    r: &BacktestResult,
    bars: &Bars,
    equity_every: usize,
    n: usize,
    range: std::ops::Range<usize>,
) {
    out.clear();
    let mut time = [0u8; ISO8601_MAX];
    for i in range {
        if i % equity_every != 0 && i + 1 != n {
            continue;
        }
        out.extend_from_slice(b",[");
        match write_iso8601(&mut time, bars.time()[i]) {
            Some(text) => {
                out.push(b'"');
                out.extend_from_slice(text);
                out.push(b'"');
            }
            // Writing JSON to a Vec cannot fail.
            None => {
                let _ = serde_json::to_writer(&mut *out, &iso8601(bars.time()[i]));
            }
        }
        out.push(b',');
        let _ = serde_json::to_writer(&mut *out, &r.equity[i]);
        out.push(b']');
    }
}

fn fmt_opt(v: Option<f64>, unit: &str) -> String {
    v.map_or("-".to_string(), |x| format!("{x:.2}{unit}"))
}

/// Runs `stratagraph backtest` (without `--save`; see `store_cmds::backtest_saved`).
pub fn backtest(a: &BacktestArgs) -> Result<ExitCode, String> {
    if a.json && a.equity_every > 0 {
        let (_, r, bars) = run_backtest(a)?;
        print_result(a, &r, &bars, None, None, None)?;
    } else {
        // Nothing prints the curve: it is never held whole.
        let prepared = prepare_backtest(a)?;
        let bars = load_bars(&a.data)?;
        let never = AtomicBool::new(false);
        let (r, rets) = backtest::run_without_curve(&prepared.plan, &bars, &never, &mut |_| {})
            .map_err(|_| "the backtest was cancelled".to_string())?;
        print_result(a, &r, &bars, None, None, Some(&rets))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The robustness keys of a backtest's JSON: `deflated_sharpe` and `probabilistic_sharpe`
/// (docs/robustness.md) with the `trials` they count: the strategy's trial ledger for a saved
/// run, else this run alone (then the DSR is the PSR against 0). The statistics come from
/// `daily_returns` when given (a run without its curve), else from the result's equity.
pub fn robustness_json(
    r: &BacktestResult,
    bars: &Bars,
    trials: Option<&Trials>,
    daily_returns: Option<&[f64]>,
) -> Value {
    let stats = match daily_returns {
        Some(rets) => ReturnStats::of(rets),
        None => ReturnStats::of_equity(bars.time(), &r.equity),
    };
    let trials = trials
        .copied()
        .unwrap_or_else(|| Trials::of([stats.map(|s| s.sharpe)]));
    let d = stats.as_ref().and_then(|s| deflated_sharpe(s, &trials));
    json!({
        "deflated_sharpe": d.map(|d| d.deflated_sharpe),
        "probabilistic_sharpe": d.map(|d| d.probabilistic_sharpe),
        "expected_max_sharpe": d.map(|d| d.expected_max_sharpe),
        "trials": trials.count,
        "daily_returns": stats.map(|s| s.observations),
    })
}

/// Prints a backtest's result as `--json` asks: the summary or the JSON document, with the
/// id of the stored run when there is one (`"run_id"` in the document) and the robustness
/// keys of [`robustness_json`] (from `daily_returns` for a run without its curve).
///
/// # Errors
///
/// A message when stdout cannot be written.
pub fn print_result(
    a: &BacktestArgs,
    r: &BacktestResult,
    bars: &Bars,
    run_id: Option<&str>,
    trials: Option<&Trials>,
    daily_returns: Option<&[f64]>,
) -> Result<(), String> {
    let mut w = BufWriter::with_capacity(1 << 20, io::stdout().lock());
    let res = if a.json {
        let mut doc = serde_json::Map::new();
        if let Value::Object(map) = result_doc(r) {
            doc.extend(map);
        }
        if let Some(id) = run_id {
            doc.insert("run_id".to_string(), Value::String(id.to_string()));
        }
        if let Value::Object(extra) = robustness_json(r, bars, trials, daily_returns) {
            doc.extend(extra);
        }
        write_result_doc(&mut w, &doc, r, bars, a.equity_every).and_then(|_| writeln!(w))
    } else {
        write_summary(&mut w, r, bars).and_then(|_| match run_id {
            Some(id) => writeln!(w, "run            {id}"),
            None => Ok(()),
        })
    };
    match res.and_then(|_| w.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(format!("cannot write: {e}")),
        _ => Ok(()),
    }
}

/// Writes the human-readable summary of a backtest.
pub(crate) fn write_summary(w: &mut dyn Write, r: &BacktestResult, bars: &Bars) -> io::Result<()> {
    let m = &r.metrics;
    let (first, last) = (bars.time().first().copied(), bars.time().last().copied());
    writeln!(
        w,
        "{} bars, {} to {}",
        bars.len(),
        first.map(iso8601).unwrap_or_default(),
        last.map(iso8601).unwrap_or_default()
    )?;
    let params: Vec<String> = r.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    writeln!(
        w,
        "parameters     {}",
        if params.is_empty() {
            "-".into()
        } else {
            params.join(" ")
        }
    )?;
    writeln!(
        w,
        "final equity   {:.2} (from {:.2})",
        m.final_equity, m.initial_equity
    )?;
    writeln!(
        w,
        "total return   {:.2}%   buy & hold {:.2}%",
        m.total_return_pct, m.buy_hold_return_pct
    )?;
    writeln!(w, "CAGR           {}", fmt_opt(m.cagr_pct, "%"))?;
    writeln!(
        w,
        "max drawdown   {:.2}% over {} bars ({:.0} days)",
        m.max_drawdown_pct, m.max_drawdown_bars, m.max_drawdown_days
    )?;
    writeln!(w, "volatility     {}", fmt_opt(m.volatility_ann_pct, "%"))?;
    writeln!(
        w,
        "Sharpe         {}   Sortino {}   Calmar {}",
        fmt_opt(m.sharpe, ""),
        fmt_opt(m.sortino, ""),
        fmt_opt(m.calmar, "")
    )?;
    writeln!(
        w,
        "trades         {} closed{}, win rate {}, profit factor {}",
        m.trades,
        if m.open_position { " + 1 open" } else { "" },
        fmt_opt(m.win_rate_pct, "%"),
        fmt_opt(m.profit_factor, "")
    )?;
    writeln!(
        w,
        "avg trade      {}   best {}   worst {}",
        fmt_opt(m.avg_trade_pct, "%"),
        fmt_opt(m.best_trade_pct, "%"),
        fmt_opt(m.worst_trade_pct, "%")
    )?;
    writeln!(
        w,
        "avg held       {} bars   exposure {:.1}%   commissions {:.2}",
        fmt_opt(m.avg_bars_held, ""),
        m.exposure_pct,
        m.commissions
    )?;
    writeln!(w, "hash           {}", r.hash)?;
    Ok(())
}

/// Runs `stratagraph data ...`.
pub fn data(c: &DataCmd) -> Result<ExitCode, String> {
    match c {
        DataCmd::Synth {
            out,
            seed,
            bars,
            step,
        } => {
            let step_ms = match step.as_str() {
                "day" => 86_400_000,
                "hour" => 3_600_000,
                "minute" => 60_000,
                other => return Err(format!("--step {other}: expected day, hour or minute")),
            };
            let cfg = synth::SynthConfig {
                seed: *seed,
                bars: *bars,
                step_ms,
                ..Default::default()
            };
            let b = synth::random_walk(&cfg).map_err(|e| e.to_string())?;
            let f = fs::File::create(out)
                .map_err(|e| format!("cannot create {}: {e}", out.display()))?;
            import::write_csv(&b, BufWriter::new(f))
                .map_err(|e| format!("{}: {e}", out.display()))?;
            eprintln!("wrote {} synthetic bars to {}", b.len(), out.display());
            Ok(ExitCode::SUCCESS)
        }
        DataCmd::Inspect { file } => {
            let layout = match Columnar::of_path(file) {
                Some(format) => format.describe().to_string(),
                None => import::sniff_path(file)
                    .map_err(|e| format!("{}: {e}", file.display()))?
                    .describe(),
            };
            let b = load_bars(file)?;
            let t = b.time();
            write_stdout(&format!(
                "layout: {}\n{} bars, {} to {}\n",
                layout,
                b.len(),
                t.first().map(|&x| iso8601(x)).unwrap_or_default(),
                t.last().map(|&x| iso8601(x)).unwrap_or_default()
            ))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stratagraph_engine::compile::compile_json;
    use stratagraph_engine::synth::{random_walk, SynthConfig};

    fn sma_plan() -> Plan {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/sma_crossover.json"
        );
        let doc: Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
        compile_json(&doc, &BTreeMap::new()).unwrap()
    }

    /// The streamed document, byte for byte, is serde_json's writing of the document built as
    /// values, for curves cut into several blocks, decimated or left out, and for times
    /// beyond year 9999 (written through chrono).
    #[test]
    fn the_streamed_json_is_the_json_of_the_document() {
        let plan = sma_plan();
        let bars = random_walk(&SynthConfig {
            bars: 300_000,
            step_ms: 60_000,
            ..Default::default()
        })
        .unwrap();
        let late = Bars::new(
            (0..2_000)
                .map(|i| 253_402_300_000_000 + i * 86_400_000)
                .collect(),
            bars.open()[..2_000].to_vec(),
            bars.high()[..2_000].to_vec(),
            bars.low()[..2_000].to_vec(),
            bars.close()[..2_000].to_vec(),
            bars.volume()[..2_000].to_vec(),
        )
        .unwrap();
        for bars in [&bars, &late] {
            let r = backtest::backtest(&plan, bars);
            for every in [1, 7, 131_072, 0, 1_000_000] {
                let mut doc = result_json(&r, bars, every);
                if let (Some(map), Value::Object(extra)) =
                    (doc.as_object_mut(), robustness_json(&r, bars, None, None))
                {
                    map.insert("run_id".into(), Value::String("r1".into()));
                    map.extend(extra);
                }
                let want = serde_json::to_vec(&doc).unwrap();
                let mut map = doc.as_object().unwrap().clone();
                map.insert("equity".into(), Value::Null);
                map.insert("trades".into(), Value::Null);
                let mut got = Vec::new();
                write_result_doc(&mut got, &map, &r, bars, every).unwrap();
                assert!(got == want, "every {every}: streamed JSON differs");
            }
        }
    }
}
