//! Store commands: strategies, versions and recorded backtest runs in the local database.
//!
//! Every command opens the file named by the global `--db` (else `STRATAGRAPH_DB`, else the
//! app's data file) with `mark_interrupted_runs = false`: the app may be running on the same
//! file, and its running backtests are not ours to mark as interrupted. Store errors reach the
//! user through [`StoreError`]'s `Display`, which never shows database internals.

use std::collections::HashMap;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, SecondsFormat, Utc};
use clap::Subcommand;
use serde_json::{json, Value};
use stratagraph_engine::backtest::{self, BacktestResult};
use stratagraph_engine::bars::iso8601;
use stratagraph_engine::compile::Plan;
use stratagraph_engine::robust::{ReturnStats, Trials};
use stratagraph_engine::validate::validate as validate_doc;
use stratagraph_engine::Bars;
use stratagraph_store::{
    resolve_db_path, BacktestRun, EquityPoint, RunDetails, RunFilter, Store, StoreError,
    StoreOptions, Strategy, StrategyFilter, StrategyVersion, TrialCounts,
};
use tokio::runtime::Runtime;
use uuid::Uuid;

use crate::engine_cmds::{self, print_json, print_problems, write_stdout, BacktestArgs};

/// `stratagraph strategy ...`.
#[derive(Subcommand)]
pub enum StrategyCmd {
    /// Create a strategy (a private draft of this installation's profile); prints its id and
    /// slug.
    Create {
        /// The title; the slug is made from it (`my-title`, `my-title-2` on a clash).
        #[arg(long)]
        title: String,
        /// Print `{"id": ..., "slug": ...}`.
        #[arg(long)]
        json: bool,
    },
    /// Validate a graph file and save it as the strategy's next version (nothing is saved
    /// when the graph has problems: they are printed one a line and the exit code is 1).
    Save {
        /// The strategy's id or slug.
        #[arg(value_name = "ID_OR_SLUG")]
        strategy: String,
        /// The graph file (JSON).
        #[arg(value_name = "GRAPH.json")]
        graph: PathBuf,
        /// A note kept with the version.
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// Print `{"version": N, "id": ..., "strategy_id": ...}`.
        #[arg(long)]
        json: bool,
    },
    /// List strategies, most recently changed first.
    List {
        /// Only strategies whose title or a tag contains this text (case-insensitive).
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Print the graph JSON of the latest (or a given) version.
    Show {
        /// The strategy's id or slug.
        #[arg(value_name = "ID_OR_SLUG")]
        strategy: String,
        /// The version number (default: the latest).
        #[arg(long, value_name = "N")]
        version: Option<i32>,
        /// Print the whole version (id, number, notes, times and `graph_json`) as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List a strategy's versions, newest first.
    History {
        /// The strategy's id or slug.
        #[arg(value_name = "ID_OR_SLUG")]
        strategy: String,
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
}

/// `stratagraph runs ...`.
#[derive(Subcommand)]
pub enum RunsCmd {
    /// List recorded backtest runs, newest first.
    List {
        /// Only runs of this strategy (id or slug).
        #[arg(long, value_name = "ID_OR_SLUG")]
        strategy: Option<String>,
        /// At most this many runs.
        #[arg(long, value_name = "N")]
        limit: Option<u32>,
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
}

/// A store error as one line for the user; a quota error adds when the window resets.
pub(crate) fn store_err(e: StoreError) -> String {
    match &e {
        StoreError::QuotaExceeded {
            resets_at: Some(at),
            ..
        } => format!("{e}; resets at {}", time_text(*at)),
        _ => e.to_string(),
    }
}

fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(crate) fn runtime() -> Result<Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

/// Opens the store without marking anyone's running runs as interrupted.
async fn open_store(db: Option<&Path>) -> Result<Store, String> {
    let path = resolve_db_path(db).map_err(store_err)?;
    let mut options = StoreOptions::new(&path);
    options.mark_interrupted_runs = false;
    Store::open_with(options)
        .await
        .map_err(|e| format!("cannot open {}: {}", path.display(), store_err(e)))
}

/// Opens the store (creating it when missing), runs `job` on it and closes it
/// (checkpointing the WAL) whatever the outcome.
pub(crate) fn with_store<T, F, Fut>(rt: &Runtime, db: Option<&Path>, job: F) -> Result<T, String>
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    rt.block_on(async {
        let store = open_store(db).await?;
        let out = job(store.clone()).await;
        store.close().await;
        out
    })
}

/// As [`with_store`] for commands that only read: a database that does not exist is an
/// error naming the path, not a new empty database.
pub(crate) fn read_store<T, F, Fut>(rt: &Runtime, db: Option<&Path>, job: F) -> Result<T, String>
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let path = resolve_db_path(db).map_err(store_err)?;
    if !path.exists() {
        return Err(format!(
            "no database at {}: nothing to read (the app, `strategy create` and `backtest \
             --save` create it)",
            path.display()
        ));
    }
    with_store(rt, db, job)
}

/// Runs `stratagraph strategy ...`.
///
/// # Errors
///
/// A one-line message for store errors and unreadable files.
pub fn strategy(db: Option<&Path>, cmd: &StrategyCmd) -> Result<ExitCode, String> {
    let rt = runtime()?;
    match cmd {
        StrategyCmd::Create { title, json } => {
            let s = with_store(&rt, db, |store| async move {
                let me = store.ensure_profile().await.map_err(store_err)?;
                store.create_strategy(me.id, title).await.map_err(store_err)
            })?;
            if *json {
                print_json(&json!({"id": s.id, "slug": s.slug}))?;
            } else {
                write_stdout(&format!("created {} {}\n", s.slug, s.id))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        StrategyCmd::Save {
            strategy,
            graph,
            note,
            json,
        } => save(&rt, db, strategy, graph, note.as_deref(), *json),
        StrategyCmd::List { search, json } => {
            let filter = StrategyFilter {
                search: search.clone(),
                ..StrategyFilter::default()
            };
            let list = read_store(&rt, db, |store| async move {
                store.list_strategies(&filter).await.map_err(store_err)
            })?;
            if *json {
                print_json(&list)?;
            } else {
                write_stdout(&strategies_table(&list))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        StrategyCmd::Show {
            strategy,
            version,
            json,
        } => {
            let v = read_store(&rt, db, |store| async move {
                let s = store.find_strategy(strategy).await.map_err(store_err)?;
                load(&store, &s, *version).await
            })?;
            if *json {
                print_json(&v)?;
            } else {
                print_json(&v.graph_json)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        StrategyCmd::History { strategy, json } => {
            let (s, versions) = read_store(&rt, db, |store| async move {
                let s = store.find_strategy(strategy).await.map_err(store_err)?;
                let versions = store.list_versions(s.id).await.map_err(store_err)?;
                Ok((s, versions))
            })?;
            if *json {
                print_json(&versions)?;
            } else if versions.is_empty() {
                write_stdout(&format!("{} has no saved version\n", s.slug))?;
            } else {
                let lines: String = versions
                    .iter()
                    .map(|v| {
                        format!(
                            "v{:<4} {}  {:>8} bytes  {}\n",
                            v.version,
                            time_text(v.created_at),
                            v.graph_bytes,
                            v.notes.as_deref().unwrap_or("")
                        )
                    })
                    .collect();
                write_stdout(&lines)?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Version `version` of `s`, or its latest, with a readable error when there is none.
pub(crate) async fn load(
    store: &Store,
    s: &Strategy,
    version: Option<i32>,
) -> Result<StrategyVersion, String> {
    let found = match version {
        Some(n) => store.load_version(s.id, n).await,
        None => store.latest_version(s.id).await,
    };
    found.map_err(|e| match (e, version) {
        (StoreError::NotFound { .. }, Some(n)) => format!("{} has no version {n}", s.slug),
        (StoreError::NotFound { .. }, None) => format!(
            "{} has no saved version; save one with `stratagraph strategy save {} GRAPH.json`",
            s.slug, s.slug
        ),
        (e, _) => store_err(e),
    })
}

fn strategies_table(list: &[Strategy]) -> String {
    if list.is_empty() {
        return "no strategies\n".to_string();
    }
    let width = list.iter().map(|s| s.slug.len()).max().unwrap_or(4).max(4);
    let mut out = format!(
        "{:<width$}  {:<8}  {:<20}  TITLE\n",
        "SLUG", "STATUS", "UPDATED"
    );
    for s in list {
        out.push_str(&format!(
            "{:<width$}  {:<8}  {:<20}  {}\n",
            s.slug,
            s.status.as_str(),
            time_text(s.updated_at),
            s.title
        ));
    }
    out
}

/// `strategy save`: validates with the engine, then saves the next version.
fn save(
    rt: &Runtime,
    db: Option<&Path>,
    key: &str,
    graph: &Path,
    note: Option<&str>,
    json: bool,
) -> Result<ExitCode, String> {
    let doc = engine_cmds::read_json(graph)?;
    let v = validate_doc(&doc);
    if !v.is_valid() {
        print_problems(&v.problems, json)?;
        eprintln!(
            "error: {} has {} problem(s); nothing saved",
            graph.display(),
            v.problems.len()
        );
        return Ok(ExitCode::FAILURE);
    }
    let (s, saved) = with_store(rt, db, |store| async move {
        let s = store.find_strategy(key).await.map_err(store_err)?;
        let me = store.ensure_profile().await.map_err(store_err)?;
        let saved = store
            .save_version(s.id, &doc, note, Some(me.id))
            .await
            .map_err(store_err)?;
        Ok((s, saved))
    })?;
    if json {
        print_json(&json!({
            "version": saved.version,
            "id": saved.id,
            "strategy_id": saved.strategy_id,
        }))?;
    } else {
        write_stdout(&format!(
            "saved {} version {} ({})\n",
            s.slug, saved.version, saved.id
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `stratagraph runs ...`.
///
/// # Errors
///
/// A one-line message for store errors.
pub fn runs(db: Option<&Path>, cmd: &RunsCmd) -> Result<ExitCode, String> {
    let rt = runtime()?;
    let RunsCmd::List {
        strategy,
        limit,
        json,
    } = cmd;
    let rows = read_store(&rt, db, |store| async move {
        let mut filter = RunFilter {
            limit: *limit,
            ..RunFilter::default()
        };
        if let Some(key) = strategy {
            let s = store.find_strategy(key).await.map_err(store_err)?;
            filter.strategy_id = Some(s.id);
        }
        let list = store.list_runs(&filter).await.map_err(store_err)?;
        // Each run names its version; look each version and strategy up once.
        let mut versions: HashMap<Uuid, (String, i32)> = HashMap::new();
        let mut strategies: HashMap<Uuid, String> = HashMap::new();
        let mut rows = Vec::with_capacity(list.len());
        for run in list {
            let vid = run.strategy_version_id;
            let (slug, version) = match versions.get(&vid) {
                Some(known) => known.clone(),
                None => {
                    let v = store.get_version(vid).await.map_err(store_err)?;
                    let slug = match strategies.get(&v.strategy_id) {
                        Some(slug) => slug.clone(),
                        None => {
                            let s = store.get_strategy(v.strategy_id).await.map_err(store_err)?;
                            strategies.insert(v.strategy_id, s.slug.clone());
                            s.slug
                        }
                    };
                    versions.insert(vid, (slug.clone(), v.version));
                    (slug, v.version)
                }
            };
            rows.push((run, slug, version));
        }
        Ok(rows)
    })?;
    if *json {
        let docs = rows
            .iter()
            .map(|(run, slug, version)| {
                let mut doc = serde_json::to_value(run).map_err(|e| e.to_string())?;
                if let Some(map) = doc.as_object_mut() {
                    map.insert("strategy_slug".into(), json!(slug));
                    map.insert("version".into(), json!(version));
                }
                Ok(doc)
            })
            .collect::<Result<Vec<Value>, String>>()?;
        print_json(&docs)?;
    } else if rows.is_empty() {
        write_stdout("no runs\n")?;
    } else {
        let lines: String = rows
            .iter()
            .map(|(run, slug, version)| {
                format!(
                    "{}  {:<11}  {slug} v{version}  {}  {}\n",
                    run.id,
                    run.status.as_str(),
                    time_text(run.created_at),
                    run_outcome(run)
                )
            })
            .collect();
        write_stdout(&lines)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// One short phrase for a run's result: return and trades, or the error.
fn run_outcome(run: &BacktestRun) -> String {
    let Some(m) = run.metrics.as_ref() else {
        return String::new();
    };
    if let Some(err) = m.get("error").and_then(Value::as_str) {
        return format!("error: {err}");
    }
    match (
        m.get("total_return_pct").and_then(Value::as_f64),
        m.get("trades").and_then(Value::as_u64),
    ) {
        (Some(ret), Some(n)) => format!("return {ret:.2}%, {n} trades"),
        _ => String::new(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The run's `parameters`: enough to reproduce it (data identity, parameter values, the
/// settings in force) and where it came from.
fn run_parameters(a: &BacktestArgs, plan_params: &Value, settings: &Value, bars: &Bars) -> Value {
    let name = a
        .data
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| a.data.display().to_string());
    json!({
        "source": "cli",
        "params": plan_params,
        "settings": settings,
        "data_file": name,
        "data_path": a.data.display().to_string(),
        "data_hash": hex(&bars.hash()),
        "data_bars": bars.len(),
        "data_start": bars.time().first().map(|&t| iso8601(t)),
        "data_end": bars.time().last().map(|&t| iso8601(t)),
    })
}

/// What offline review keeps: every trade (the open one last, `exit_reason` "open") and the
/// close-marked equity curve.
fn run_details(r: &BacktestResult, bars: &Bars) -> RunDetails {
    let mut trades: Vec<Value> = r.trades.iter().map(engine_cmds::trade_json).collect();
    if let Some(open) = &r.open_trade {
        trades.push(engine_cmds::trade_json(open));
    }
    let equity: Vec<EquityPoint> = bars
        .time()
        .iter()
        .zip(&r.equity)
        .map(|(&t, &v)| EquityPoint { t, v })
        .collect();
    RunDetails {
        result_hash: Some(r.hash.clone()),
        trades: Value::Array(trades),
        equity_points_full: equity.len() as u64,
        equity,
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown cause".to_string())
}

/// `stratagraph backtest ... --save ID_OR_SLUG`.
///
/// Order: the graph, parameters and data are read and checked first; then the file's graph
/// must equal the strategy's latest saved version; then the run is recorded queued → running
/// → completed (or failed, with the error) and its id printed. Local backtests are never
/// metered.
///
/// # Errors
///
/// A one-line message for bad input, a graph that differs from the saved version and store
/// errors.
pub fn backtest_saved(db: Option<&Path>, a: &BacktestArgs, key: &str) -> Result<ExitCode, String> {
    let prepared = engine_cmds::prepare_backtest(a)?;
    let bars = engine_cmds::load_bars(&a.data)?;
    let settings = serde_json::to_value(&prepared.plan.settings).map_err(|e| e.to_string())?;
    let plan_params = json!(prepared.plan.params);
    let parameters = run_parameters(a, &plan_params, &settings, &bars);
    let file_graph = prepared.graph.canonical_json();

    let run = SavedRun {
        args: a,
        key,
        file_graph: &file_graph,
        parameters: &parameters,
        plan: &prepared.plan,
        bars: &bars,
    };
    let (run_id, r, trials) =
        with_store(
            &runtime()?,
            db,
            |store| async move { run.record(&store).await },
        )?;
    engine_cmds::print_result(a, &r, &bars, Some(&run_id.to_string()), Some(&trials), None)?;
    Ok(ExitCode::SUCCESS)
}

/// Everything [`backtest_saved`] has checked before touching the store.
struct SavedRun<'a> {
    args: &'a BacktestArgs,
    key: &'a str,
    /// Canonical JSON (layout excluded) of the file's graph.
    file_graph: &'a [u8],
    parameters: &'a Value,
    plan: &'a Plan,
    bars: &'a Bars,
}

impl SavedRun<'_> {
    /// The store side of [`backtest_saved`]: check, take quota, record and run; counts the run
    /// in its strategy's trial ledger and returns the strategy's trials so far.
    async fn record(self, store: &Store) -> Result<(Uuid, BacktestResult, Trials), String> {
        let SavedRun {
            args: a,
            key,
            file_graph,
            parameters,
            plan,
            bars,
        } = self;
        let me = store.ensure_profile().await.map_err(store_err)?;
        let s = store.find_strategy(key).await.map_err(store_err)?;
        let latest = load(store, &s, None).await?;
        let saved = validate_doc(&latest.graph_json);
        if !saved.is_valid() || saved.graph.canonical_json() != file_graph {
            return Err(format!(
                "{} is not {} version {} (the latest saved); --save runs only saved graphs: \
             save the file first with `stratagraph strategy save {} {}`",
                a.graph.display(),
                s.slug,
                latest.version,
                s.slug,
                a.graph.display()
            ));
        }
        let run = store
            .create_run(latest.id, Some(me.id), parameters)
            .await
            .map_err(store_err)?;
        store.start_run(run.id).await.map_err(store_err)?;
        let outcome = catch_unwind(AssertUnwindSafe(|| backtest::backtest(plan, bars)))
            .map_err(|p| format!("the engine failed: {}", panic_text(p.as_ref())))
            .and_then(|r| {
                serde_json::to_value(&r.metrics)
                    .map(|m| (r, m))
                    .map_err(|e| format!("cannot encode the metrics: {e}"))
            });
        let (r, mut metrics) = match outcome {
            Ok(done) => done,
            Err(msg) => {
                // Best effort: the run's failure is the error to report either way.
                let _ = store.fail_run(run.id, &msg, None).await;
                return Err(msg);
            }
        };
        // The daily-return statistics the Deflated Sharpe Ratio needs later, as the app keeps
        // them (the stored equity is decimated).
        let stats = ReturnStats::of_equity(bars.time(), &r.equity);
        if let Value::Object(m) = &mut metrics {
            for (k, v) in ReturnStats::metric_entries(stats.as_ref()) {
                m.insert(k.to_owned(), v);
            }
        }
        let details = run_details(&r, bars);
        if let Err(e) = store.complete_run(run.id, &metrics, Some(&details)).await {
            let msg = store_err(e);
            let _ = store.fail_run(run.id, &msg, None).await;
            return Err(msg);
        }
        let one = Trials::of([stats.map(|s| s.sharpe)]);
        store
            .record_run_trial(
                run.id,
                &TrialCounts {
                    trials: one.count,
                    sharpe_count: one.sharpe_count,
                    sharpe_sum: one.sharpe_sum,
                    sharpe_sum_sq: one.sharpe_sum_sq,
                },
            )
            .await
            .map_err(store_err)?;
        let t = store.strategy_trials(s.id).await.map_err(store_err)?;
        let trials = Trials {
            count: t.trials,
            sharpe_count: t.sharpe_count,
            sharpe_sum: t.sharpe_sum,
            sharpe_sum_sq: t.sharpe_sum_sq,
        };
        Ok((run.id, r, trials))
    }
}
