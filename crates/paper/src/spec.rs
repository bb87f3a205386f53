//! What a paper run is: the start request and its checks, the plan it trades, its feed, its
//! trading window and its alerts.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use stratagraph_engine::compile::{compile, Plan};
use stratagraph_engine::paper::{infer_interval, Feed, ReplayClock, ReplayFeed};
use stratagraph_engine::Bars;
use stratagraph_feeds::{exchange_feed, interval_ms, ExchangeConfig, BINANCE_URL, KRAKEN_URL};
use stratagraph_store::{
    CatchUpPolicy, LeaseHolder, NewPaperRun, PaperFeed, PaperRunStatus, PaperTradeRun,
    StatusChange, Store,
};
use uuid::Uuid;

use crate::error::{PaperError, PaperResult};

/// Where a new run's bars come from.
#[derive(Debug, Clone)]
pub enum Market {
    /// Replays `bars` as a live feed: simulated time runs `speed` times faster than the wall
    /// clock, starting at the first bar's open.
    Replay {
        /// The bars to play.
        bars: Bars,
        /// A name for the market (the dataset's symbol).
        symbol: String,
        /// Simulated ms per wall-clock ms.
        speed: f64,
    },
    /// A public exchange feed.
    Exchange {
        /// Binance or Kraken.
        feed: PaperFeed,
        /// The exchange's symbol (`BTCUSDT`, `XBTUSD`).
        symbol: String,
        /// One of the feeds' intervals (`1m`…`1w`).
        interval: String,
        /// Another base URL (a test server); the exchange's public host by default.
        base_url: Option<String>,
    },
}

/// Which events notify (`alert_config`). Fills, stops, errors and stops of the run are on by
/// default; the drawdown alert is off unless a percentage is given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertConfig {
    /// A position was opened.
    pub entry: bool,
    /// A position was closed by a signal or a reversal.
    pub exit: bool,
    /// A stop-loss, take-profit or trailing stop was hit.
    pub stop: bool,
    /// The run went into error.
    pub error: bool,
    /// The run was stopped.
    pub stopped: bool,
    /// Drawdown from the equity peak beyond this many percent.
    pub drawdown_pct: Option<f64>,
}

impl Default for AlertConfig {
    fn default() -> Self {
        AlertConfig {
            entry: true,
            exit: true,
            stop: true,
            error: true,
            stopped: true,
            drawdown_pct: None,
        }
    }
}

impl AlertConfig {
    /// The run's alert settings (defaults for a run without any).
    pub fn of(run: &PaperTradeRun) -> Self {
        run.alert_config
            .as_ref()
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }
}

/// A trading window: a cron expression (five fields, UTC) that a bar's open time must match.
#[derive(Debug, Clone)]
pub struct Window {
    cron: croner::Cron,
}

impl Window {
    /// Parses a window.
    ///
    /// # Errors
    /// `Invalid` naming `schedule_cron` and what the parser said.
    pub fn parse(expr: &str) -> PaperResult<Self> {
        let cron = croner::parser::CronParser::builder()
            .build()
            .parse(expr.trim())
            .map_err(|e| PaperError::invalid("schedule_cron", format!("{expr:?}: {e}")))?;
        Ok(Window { cron })
    }

    /// True when a bar opening at `time_ms` is inside the window.
    pub fn contains(&self, time_ms: i64) -> bool {
        DateTime::<Utc>::from_timestamp_millis(time_ms)
            .is_some_and(|t| self.cron.is_time_matching(&t).unwrap_or(false))
    }
}

/// A request to start paper trading a version.
#[derive(Debug, Clone)]
pub struct StartRequest {
    /// The immutable version to trade.
    pub version_id: Uuid,
    /// A name for lists (the strategy's title and version by default).
    pub name: Option<String>,
    /// Parameter values (defaults for the rest).
    pub parameters: BTreeMap<String, f64>,
    /// The market.
    pub market: Market,
    /// Starting cash (the version's setting when `None`).
    pub initial_cash: Option<f64>,
    /// Commission fraction (the version's setting when `None`).
    pub commission: Option<f64>,
    /// Slippage, basis points (the version's setting when `None`).
    pub slippage_bps: Option<f64>,
    /// The trading window (cron, UTC).
    pub schedule_cron: Option<String>,
    /// What happens to late orders after downtime.
    pub catch_up: CatchUpPolicy,
    /// Which events notify.
    pub alerts: AlertConfig,
    /// Trade only bars opening after this time (ms UTC); for exchange feeds the default is
    /// the start time, so a new run begins with the next bar.
    pub start_after: Option<i64>,
}

/// Timings of a driver.
#[derive(Debug, Clone)]
pub struct DriverConfig {
    /// Who drives (written into the lease, shown to a process that loses the race).
    pub holder: LeaseHolder,
    /// Lease length; renewed at every bar and every poll.
    pub lease_ttl: Duration,
    /// First retry delay after a feed error; doubles up to `backoff_max`.
    pub backoff_base: Duration,
    /// Longest retry delay.
    pub backoff_max: Duration,
    /// Times a gap is asked for again before the run accepts it.
    pub gap_retries: u32,
    /// Exchange request timeout.
    pub http_timeout: Duration,
    /// How long after a bar's close an exchange is asked for it (they publish a little late).
    pub settle: Duration,
}

impl DriverConfig {
    /// Defaults for this process, named `holder` (`the app`, `paper serve`).
    pub fn new(holder: &str) -> Self {
        DriverConfig {
            holder: LeaseHolder {
                holder: holder.to_string(),
                pid: std::process::id(),
                host: host_name(),
            },
            lease_ttl: Duration::from_secs(20),
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(120),
            gap_retries: 3,
            http_timeout: stratagraph_feeds::DEFAULT_TIMEOUT,
            settle: Duration::from_secs(2),
        }
    }
}

/// This machine's name (for leases).
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "this machine".into())
}

/// The plan a run trades: the version's graph with the run's parameters and costs.
///
/// # Errors
/// `Engine` when the graph does not compile with these values.
pub fn build_plan(graph_json: &Value, run: &PaperTradeRun) -> PaperResult<Plan> {
    let params: BTreeMap<String, f64> = serde_json::from_value(run.parameters.clone())
        .map_err(|e| PaperError::invalid("parameters", e.to_string()))?;
    plan_with(
        graph_json,
        &params,
        run.initial_cash,
        run.commission,
        run.slippage_bps,
    )
}

pub(crate) fn plan_with(
    graph_json: &Value,
    params: &BTreeMap<String, f64>,
    cash: f64,
    commission: f64,
    slippage_bps: f64,
) -> PaperResult<Plan> {
    let v = stratagraph_engine::validate::validate(graph_json);
    if !v.is_valid() {
        let first = v
            .problems
            .first()
            .map_or_else(String::new, |p| format!(": {p}"));
        return Err(PaperError::Engine(format!(
            "the strategy version has {} problem(s){first}",
            v.problems.len()
        )));
    }
    let mut graph = v.graph;
    graph.settings.initial_cash = cash;
    graph.settings.commission = commission;
    graph.settings.slippage_bps = slippage_bps;
    compile(&graph, params).map_err(|e| PaperError::Engine(e.to_string()))
}

/// The feed of a run.
///
/// # Errors
/// `Invalid` for a bad feed configuration; `Store` when replay data is missing or damaged.
pub async fn build_feed(
    store: &Store,
    run: &PaperTradeRun,
    http_timeout: Duration,
) -> PaperResult<Box<dyn Feed>> {
    match run.feed {
        PaperFeed::Replay => {
            let clock: ReplayClock = serde_json::from_value(
                run.feed_config.get("clock").cloned().unwrap_or(Value::Null),
            )
            .map_err(|e| PaperError::invalid("feed_config.clock", e.to_string()))?;
            let (bytes, sum) = store.paper_replay_data(run.id).await?;
            let bars = Bars::from_canonical(&bytes, &sum)
                .map_err(|e| PaperError::invalid("replay data", e.to_string()))?;
            Ok(Box::new(ReplayFeed::new(bars, clock)))
        }
        PaperFeed::Binance | PaperFeed::Kraken => {
            let default = if run.feed == PaperFeed::Binance {
                BINANCE_URL
            } else {
                KRAKEN_URL
            };
            let base_url = run
                .feed_config
                .get("base_url")
                .and_then(Value::as_str)
                .unwrap_or(default)
                .to_string();
            exchange_feed(
                run.feed.as_str(),
                ExchangeConfig {
                    base_url,
                    symbol: run.symbol.clone(),
                    interval: run.bar_interval.clone(),
                    timeout: http_timeout,
                },
            )
            .map_err(|e| PaperError::invalid("feed", e))
        }
    }
}

fn check_cost(field: &str, v: Option<f64>, lo: f64, hi: f64) -> PaperResult<Option<f64>> {
    match v {
        Some(x) if !(x.is_finite() && x >= lo && x < hi) => Err(PaperError::invalid(
            field,
            format!("{x} is outside [{lo}, {hi})"),
        )),
        other => Ok(other),
    }
}

/// Checks a request, creates the run and sets it running.
///
/// # Errors
/// `Invalid` naming the field at fault (parameters, costs, window, market); `Engine` when the
/// version does not compile; `Store` for an unknown version.
pub async fn start(store: &Store, req: &StartRequest) -> PaperResult<PaperTradeRun> {
    let version = store.get_version(req.version_id).await?;
    let strategy = store.get_strategy(version.strategy_id).await?;
    let settings = stratagraph_engine::validate::validate(&version.graph_json)
        .graph
        .settings;
    if let Some(c) = req.initial_cash {
        if !(c.is_finite() && c > 0.0) {
            return Err(PaperError::invalid(
                "initial_cash",
                format!("must be a positive number, got {c}"),
            ));
        }
    }
    let cash = req.initial_cash.unwrap_or(settings.initial_cash);
    let commission =
        check_cost("commission", req.commission, 0.0, 1.0)?.unwrap_or(settings.commission);
    let slippage = check_cost("slippage_bps", req.slippage_bps, 0.0, 10_000.0)?
        .unwrap_or(settings.slippage_bps);
    plan_with(
        &version.graph_json,
        &req.parameters,
        cash,
        commission,
        slippage,
    )?;
    let cron = req
        .schedule_cron
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(expr) = cron {
        Window::parse(expr)?;
    }
    if let Some(d) = req.alerts.drawdown_pct {
        if !(d.is_finite() && d > 0.0 && d < 100.0) {
            return Err(PaperError::invalid(
                "alert_config.drawdown_pct",
                format!("must be between 0 and 100, got {d}"),
            ));
        }
    }
    let now = store.now().timestamp_millis();
    let (feed, symbol, interval, feed_config, replay, start_after) = match &req.market {
        Market::Replay {
            bars,
            symbol,
            speed,
        } => {
            if !(speed.is_finite() && *speed > 0.0) {
                return Err(PaperError::invalid(
                    "speed",
                    format!("must be a positive number, got {speed}"),
                ));
            }
            if bars.is_empty() {
                return Err(PaperError::invalid("replay", "the dataset has no bars"));
            }
            let clock = ReplayClock {
                wall_start: now,
                sim_start: bars.time()[0],
                speed: *speed,
            };
            let mut bytes = Vec::new();
            bars.write_canonical(&mut bytes);
            let interval = infer_interval(bars);
            (
                PaperFeed::Replay,
                symbol.clone(),
                interval_name(interval),
                json!({"clock": clock}),
                Some((bytes, bars.hash())),
                req.start_after,
            )
        }
        Market::Exchange {
            feed,
            symbol,
            interval,
            base_url,
        } => {
            if *feed == PaperFeed::Replay {
                return Err(PaperError::invalid("feed", "a replay needs its bars"));
            }
            interval_ms(interval).map_err(|e| PaperError::invalid("interval", e))?;
            let mut cfg = serde_json::Map::new();
            if let Some(url) = base_url {
                cfg.insert("base_url".into(), json!(url));
            }
            (
                *feed,
                symbol.clone(),
                interval.clone(),
                Value::Object(cfg),
                None,
                Some(req.start_after.unwrap_or(now)),
            )
        }
    };
    let name = req
        .name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| format!("{} v{} on {symbol}", strategy.title, version.version));
    let run = store
        .create_paper_run(&NewPaperRun {
            strategy_version_id: version.id,
            name,
            parameters: json!(req.parameters),
            feed,
            symbol,
            bar_interval: interval,
            feed_config,
            initial_cash: cash,
            commission,
            slippage_bps: slippage,
            schedule_cron: cron.map(str::to_string),
            catch_up_policy: req.catch_up,
            alert_config: Some(json!(req.alerts)),
            start_after,
            replay,
        })
        .await?;
    Ok(store
        .set_paper_run_status(run.id, &StatusChange::to(PaperRunStatus::Running))
        .await?)
}

/// `1m`, `1h`, `1d`… for an interval in ms, else the ms count with `ms`.
fn interval_name(ms: i64) -> String {
    match ms {
        60_000 => "1m".into(),
        300_000 => "5m".into(),
        900_000 => "15m".into(),
        1_800_000 => "30m".into(),
        3_600_000 => "1h".into(),
        14_400_000 => "4h".into(),
        86_400_000 => "1d".into(),
        604_800_000 => "1w".into(),
        other if other % 60_000 == 0 => format!("{}m", other / 60_000),
        other => format!("{other}ms"),
    }
}
