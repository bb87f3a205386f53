//! `stratagraph paper …`: start, list, inspect, pause, resume, stop and reconcile paper runs,
//! and `paper serve`, which drives every running run of the database until stopped.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Subcommand;
use serde_json::json;
use stratagraph_engine::bars::iso8601;
use stratagraph_paper::{
    reconcile, serve, start, AlertConfig, DriverConfig, Market, Reconciliation, ServeEvent,
    StartRequest,
};
use stratagraph_store::{
    CatchUpPolicy, LateDecision, PaperFeed, PaperRunStatus, PaperTradeRun, StatusChange, Store,
};
use uuid::Uuid;

use crate::engine_cmds::{load_bars, parse_params, print_json, write_stdout};
use crate::store_cmds::{load, runtime, store_err, with_store};

/// `stratagraph paper …`.
#[derive(Subcommand)]
pub enum PaperCmd {
    /// Start paper trading a saved strategy version; prints the run's id. The run is driven by
    /// the app or by `stratagraph paper serve`.
    Start(Box<StartArgs>),
    /// List paper runs, newest first.
    List {
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Show a run: status, feed condition, equity, position, fills and recent events.
    Status {
        /// The run's id.
        id: Uuid,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Pause a running run.
    Pause {
        /// The run's id.
        id: Uuid,
    },
    /// Resume a paused run (or one in error). A run paused by a late order needs --decision.
    Resume {
        /// The run's id.
        id: Uuid,
        /// For a run paused by a late order: fill it late, or skip it.
        #[arg(long, value_name = "fill|skip")]
        decision: Option<String>,
    },
    /// Stop a run for good.
    Stop {
        /// The run's id.
        id: Uuid,
    },
    /// Backtest the run's version on the bars the run saw and show the first difference.
    Reconcile {
        /// The run's id.
        id: Uuid,
        /// Use this parameter value instead of the run's (NAME=VALUE, repeatable).
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Drive every running paper run of the database until interrupted (Ctrl-C or SIGTERM).
    Serve {
        /// How often to look for newly running runs, ms.
        #[arg(long, default_value_t = 1000, value_name = "MS")]
        scan_ms: u64,
        /// Seconds a lease lasts without renewal (a crashed server's runs are taken over by
        /// another process on this machine at once, elsewhere after this long).
        #[arg(long, default_value_t = 20, value_name = "S")]
        lease_secs: u64,
        /// First retry delay after a feed error, ms (doubles up to two minutes).
        #[arg(long, default_value_t = 1000, value_name = "MS")]
        backoff_ms: u64,
        /// Exchange request timeout, ms.
        #[arg(long, default_value_t = 15000, value_name = "MS")]
        timeout_ms: u64,
    },
}

/// `stratagraph paper start`.
#[derive(clap::Args)]
pub struct StartArgs {
    /// The strategy's id or slug.
    #[arg(value_name = "ID_OR_SLUG")]
    strategy: String,
    /// The version number (default: the latest).
    #[arg(long, value_name = "N")]
    version: Option<i32>,
    /// Where bars come from: replay (a CSV played as a live feed), binance or kraken.
    #[arg(long, default_value = "replay")]
    feed: String,
    /// The OHLCV CSV a replay plays.
    #[arg(long, value_name = "PATH")]
    csv: Option<PathBuf>,
    /// Replay speed: simulated seconds per real second.
    #[arg(long, default_value_t = 60.0)]
    speed: f64,
    /// The market's symbol (exchange spelling: BTCUSDT on Binance, XBTUSD on Kraken).
    #[arg(long)]
    symbol: Option<String>,
    /// Bar interval for exchange feeds: 1m, 5m, 15m, 30m, 1h, 4h, 1d, 1w.
    #[arg(long, default_value = "1m")]
    interval: String,
    /// Another base URL for the exchange (a mirror or a test server).
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Starting cash (default: the version's setting).
    #[arg(long)]
    cash: Option<f64>,
    /// Commission as a fraction of traded value (default: the version's).
    #[arg(long)]
    commission: Option<f64>,
    /// Slippage in basis points (default: the version's).
    #[arg(long)]
    slippage_bps: Option<f64>,
    /// A parameter value (NAME=VALUE, repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// Trading window: a cron expression in UTC that a bar's open time must match, e.g.
    /// "* 14-20 * * 1-5" for weekdays 14:00-20:59.
    #[arg(long, value_name = "CRON")]
    window: Option<String>,
    /// Orders that would have filled while nothing ran: trade, trade_and_flag or pause.
    #[arg(long, default_value = "trade")]
    catch_up: String,
    /// Events that notify, comma-separated from entry, exit, stop, error, stopped (or none).
    #[arg(long, default_value = "entry,exit,stop,error,stopped")]
    alerts: String,
    /// Also notify when the drawdown from the equity peak passes this many percent.
    #[arg(long, value_name = "PCT")]
    drawdown_alert: Option<f64>,
    /// A name for lists.
    #[arg(long)]
    name: Option<String>,
    /// Print the run as JSON.
    #[arg(long)]
    json: bool,
}

fn alerts_of(list: &str, drawdown: Option<f64>) -> Result<AlertConfig, String> {
    let mut a = AlertConfig {
        entry: false,
        exit: false,
        stop: false,
        error: false,
        stopped: false,
        drawdown_pct: drawdown,
    };
    for word in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        match word {
            "entry" => a.entry = true,
            "exit" => a.exit = true,
            "stop" => a.stop = true,
            "error" => a.error = true,
            "stopped" => a.stopped = true,
            "none" => {}
            other => {
                return Err(format!(
                "--alerts: unknown event {other:?}; use entry, exit, stop, error, stopped or none"
            ))
            }
        }
    }
    Ok(a)
}

fn paper_err(e: stratagraph_paper::PaperError) -> String {
    match e {
        stratagraph_paper::PaperError::Store(s) => store_err(s),
        other => other.to_string(),
    }
}

async fn start_run(store: &Store, a: &StartArgs) -> Result<PaperTradeRun, String> {
    let s = store.find_strategy(&a.strategy).await.map_err(store_err)?;
    let version = load(store, &s, a.version).await?;
    let feed: PaperFeed = a.feed.parse().map_err(|_| {
        format!(
            "--feed: unknown feed {:?}; use replay, binance or kraken",
            a.feed
        )
    })?;
    let market = if feed == PaperFeed::Replay {
        let path = a
            .csv
            .as_deref()
            .ok_or("--feed replay needs --csv PATH (the bars to play)")?;
        Market::Replay {
            bars: load_bars(path)?,
            symbol: a.symbol.clone().unwrap_or_else(|| {
                path.file_stem()
                    .map_or("replay".into(), |s| s.to_string_lossy().into_owned())
            }),
            speed: a.speed,
        }
    } else {
        Market::Exchange {
            feed,
            symbol: a
                .symbol
                .clone()
                .ok_or_else(|| format!("--feed {} needs --symbol", a.feed))?,
            interval: a.interval.clone(),
            base_url: a.base_url.clone(),
        }
    };
    let catch_up: CatchUpPolicy = a.catch_up.parse().map_err(|_| {
        format!(
            "--catch-up: unknown policy {:?}; use trade, trade_and_flag or pause",
            a.catch_up
        )
    })?;
    let req = StartRequest {
        version_id: version.id,
        name: a.name.clone(),
        parameters: parse_params(&a.params)?,
        market,
        initial_cash: a.cash,
        commission: a.commission,
        slippage_bps: a.slippage_bps,
        schedule_cron: a.window.clone(),
        catch_up,
        alerts: alerts_of(&a.alerts, a.drawdown_alert)?,
        start_after: None,
    };
    start(store, &req).await.map_err(paper_err)
}

fn money(v: Option<&serde_json::Value>) -> String {
    v.and_then(serde_json::Value::as_f64)
        .map_or("-".into(), |x| format!("{x:.2}"))
}

fn run_line(r: &PaperTradeRun) -> String {
    let perf = r.performance_snapshot.as_ref();
    format!(
        "{}  {:<8} {:<8} {:<10} bars {:>6}  fills {:>4}  equity {:>12}  {}\n",
        r.id,
        r.status,
        r.feed,
        r.symbol,
        r.bars_processed,
        r.fills_count,
        money(perf.and_then(|p| p.get("equity"))),
        r.name
    )
}

fn print_reconciliation(r: &Reconciliation) -> Result<(), String> {
    let mut out = String::new();
    for c in std::iter::once(&r.seen).chain(r.feed.as_ref()) {
        out.push_str(&format!(
            "against {}: {} bars, paper {} trades / backtest {} trades, equity {:.2} / {:.2}\n",
            c.data, c.bars, c.paper_trades, c.backtest_trades, c.paper_equity, c.backtest_equity
        ));
        match &c.first_difference {
            None => out.push_str("  identical, trade by trade and bar by bar\n"),
            Some(d) => out.push_str(&format!(
                "  first difference at bar {} ({}): {}\n  cause: {}\n",
                d.bar,
                iso8601(d.bar_time),
                d.what,
                d.cause
            )),
        }
    }
    write_stdout(&out)
}

/// Runs a `paper` subcommand.
///
/// # Errors
/// A one-line message naming what is wrong.
pub fn paper(db: Option<&Path>, cmd: &PaperCmd) -> Result<ExitCode, String> {
    let rt = runtime()?;
    match cmd {
        PaperCmd::Start(a) => {
            let run = with_store(&rt, db, |store| async move { start_run(&store, a).await })?;
            if a.json {
                print_json(&run)?;
            } else {
                write_stdout(&format!("started paper run {} ({})\n", run.id, run.name))?;
            }
        }
        PaperCmd::List { json } => {
            let runs = with_store(&rt, db, |store| async move {
                store.list_all_paper_runs().await.map_err(store_err)
            })?;
            if *json {
                print_json(&runs)?;
            } else if runs.is_empty() {
                write_stdout("no paper runs\n")?;
            } else {
                write_stdout(&runs.iter().map(run_line).collect::<String>())?;
            }
        }
        PaperCmd::Status { id, json: as_json } => {
            let (run, fills, events, lease) = with_store(&rt, db, |store| async move {
                let run = store.paper_run(*id).await.map_err(store_err)?;
                let fills = store.paper_fills(*id).await.map_err(store_err)?;
                let events = store.paper_events(*id, Some(10)).await.map_err(store_err)?;
                let lease = store.paper_lease(*id).await.map_err(store_err)?;
                Ok((run, fills, events, lease))
            })?;
            if *as_json {
                print_json(&json!({"run": run, "fills": fills, "events": events, "lease": lease}))?;
            } else {
                let perf = run.performance_snapshot.as_ref();
                let mut out = run_line(&run);
                if let Some(r) = &run.status_reason {
                    out.push_str(&format!("reason: {r}\n"));
                }
                out.push_str(&format!(
                    "feed: {}\n",
                    run.feed_status.as_deref().unwrap_or("not polled yet")
                ));
                if let Some(l) = &lease {
                    out.push_str(&format!("driven by: {}\n", l.holder));
                }
                out.push_str(&format!(
                    "cash {}  position {}\n",
                    money(perf.and_then(|p| p.get("cash"))),
                    perf.and_then(|p| p.get("position"))
                        .filter(|p| !p.is_null())
                        .map_or("flat".into(), ToString::to_string)
                ));
                for f in fills.iter().rev().take(10).rev() {
                    out.push_str(&format!(
                        "fill {}: {} {} {} at {} on {}{}\n",
                        f.seq,
                        f.action,
                        f.side,
                        f.units,
                        f.price,
                        iso8601(f.time),
                        if f.late { " (late)" } else { "" }
                    ));
                }
                for e in &events {
                    out.push_str(&format!("event {}: {}\n", e.kind, e.message));
                }
                write_stdout(&out)?;
            }
        }
        PaperCmd::Pause { id } => change(&rt, db, *id, PaperRunStatus::Paused, None)?,
        PaperCmd::Stop { id } => change(&rt, db, *id, PaperRunStatus::Stopped, None)?,
        PaperCmd::Resume { id, decision } => {
            let d = decision
                .as_deref()
                .map(|d| {
                    d.parse::<LateDecision>()
                        .map_err(|_| format!("--decision: use fill or skip, not {d:?}"))
                })
                .transpose()?;
            change(&rt, db, *id, PaperRunStatus::Running, d)?;
        }
        PaperCmd::Reconcile { id, params, json } => {
            let overrides = if params.is_empty() {
                None
            } else {
                Some(parse_params(params)?)
            };
            let r = with_store(&rt, db, |store| async move {
                reconcile(&store, *id, overrides.as_ref())
                    .await
                    .map_err(paper_err)
            })?;
            if *json {
                print_json(&r)?;
            } else {
                print_reconciliation(&r)?;
            }
        }
        PaperCmd::Serve {
            scan_ms,
            lease_secs,
            backoff_ms,
            timeout_ms,
        } => {
            let mut cfg = DriverConfig::new("stratagraph paper serve");
            cfg.lease_ttl = Duration::from_secs((*lease_secs).max(2));
            cfg.backoff_base = Duration::from_millis((*backoff_ms).max(1));
            cfg.http_timeout = Duration::from_millis((*timeout_ms).max(1));
            let scan = Duration::from_millis((*scan_ms).max(10));
            with_store(&rt, db, |store| async move {
                let (tx, rx) = tokio::sync::watch::channel(false);
                tokio::spawn(async move {
                    wait_for_signal().await;
                    let _ = tx.send(true);
                });
                write_stdout(&format!(
                    "serving paper runs of {} (pid {}); Ctrl-C stops\n",
                    store.path().display(),
                    std::process::id()
                ))?;
                serve(store, cfg, rx, scan, |ev| {
                    let line = match ev {
                        ServeEvent::Driving(id) => format!("driving {id}\n"),
                        ServeEvent::Busy(id, msg) => format!("not driving {id}: {msg}\n"),
                        ServeEvent::Processed { run, bars, fills } => {
                            format!("{run}: {bars} bar(s), {fills} fill(s)\n")
                        }
                        ServeEvent::Ended(id, status) => format!("{id} is {status}\n"),
                        ServeEvent::Failed(id, msg) => format!("{id}: {msg}\n"),
                    };
                    let _ = write_stdout(&line);
                })
                .await;
                write_stdout("stopped\n")
            })?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn change(
    rt: &tokio::runtime::Runtime,
    db: Option<&Path>,
    id: Uuid,
    to: PaperRunStatus,
    decision: Option<LateDecision>,
) -> Result<(), String> {
    let run = with_store(rt, db, |store| async move {
        let current = store.paper_run(id).await.map_err(store_err)?;
        if to == PaperRunStatus::Running
            && current.status == PaperRunStatus::Paused
            && decision.is_none()
            && current
                .status_reason
                .as_deref()
                .is_some_and(|r| r.starts_with("late order"))
        {
            return Err(format!(
                "paper run {id} waits for a decision on a late order: resume with --decision fill or --decision skip"
            ));
        }
        let mut c = StatusChange::to(to);
        c.decision = decision;
        if to == PaperRunStatus::Stopped {
            let alerts = stratagraph_paper::AlertConfig::of(&current);
            if alerts.stopped {
                c.notification = Some((
                    stratagraph_store::NotificationType::PaperAlert,
                    json!({"event": "stopped", "message": format!("Paper run \"{}\" was stopped", current.name)}),
                ));
            }
        }
        store.set_paper_run_status(id, &c).await.map_err(store_err)
    })?;
    write_stdout(&format!("paper run {} is {}\n", run.id, run.status))
}
