//! Paper trading and the notifications inbox for the app: start a run from a strategy version
//! on a dataset replay or an exchange feed, list and inspect runs, pause, resume, stop,
//! reconcile; read and mark notifications. The app drives every running run in the
//! background ([`autostart`]) for as long as it is open; runs resume when it starts again.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use stratagraph_paper::{
    reconcile, serve, start, AlertConfig, DriverConfig, Market, ServeEvent, StartRequest,
};
use stratagraph_store::{
    CatchUpPolicy, LateDecision, Notification, NotificationType, PaperFeed, PaperRunStatus,
    PaperTradeRun, StatusChange,
};
use tokio::sync::{watch, Mutex};
use ts_rs::TS;
use uuid::Uuid;

use crate::datasets::{self, ms_to_rfc3339};
use crate::error::{ApiResult, ErrorCode, IpcError};
use crate::Ctx;

/// Which events of a paper run notify.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PaperAlerts {
    /// A position opened.
    pub entry: bool,
    /// A position closed by a signal.
    pub exit: bool,
    /// A stop-loss, take-profit or trailing stop was hit.
    pub stop: bool,
    /// The run went into error.
    pub error: bool,
    /// The run was stopped.
    pub stopped: bool,
    /// Drawdown beyond this percentage.
    #[ts(optional)]
    pub drawdown_pct: Option<f64>,
}

/// `paperStart` input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PaperStartInput {
    /// The strategy version to trade.
    pub version_id: String,
    /// A name for lists.
    #[ts(optional)]
    pub name: Option<String>,
    /// Parameter values (defaults for the rest).
    pub parameters: BTreeMap<String, f64>,
    /// `replay`, `binance` or `kraken`.
    pub feed: String,
    /// The dataset a replay plays.
    #[ts(optional)]
    pub dataset_id: Option<String>,
    /// Replay speed (simulated seconds per second).
    #[ts(optional)]
    pub speed: Option<f64>,
    /// Exchange symbol.
    #[ts(optional)]
    pub symbol: Option<String>,
    /// Exchange bar interval (`1m`…`1w`).
    #[ts(optional)]
    pub interval: Option<String>,
    /// Starting cash.
    #[ts(optional)]
    pub initial_cash: Option<f64>,
    /// Commission fraction.
    #[ts(optional)]
    pub commission: Option<f64>,
    /// Slippage, basis points.
    #[ts(optional)]
    pub slippage_bps: Option<f64>,
    /// Trading window (cron, UTC).
    #[ts(optional)]
    pub schedule_cron: Option<String>,
    /// `trade`, `trade_and_flag` or `pause`.
    pub catch_up: String,
    /// Alerts.
    pub alerts: PaperAlerts,
}

/// A paper run in lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PaperRunSummary {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// The version traded.
    pub version_id: String,
    /// `pending`, `running`, `paused`, `stopped` or `error`.
    pub status: String,
    /// Why it is paused or in error.
    pub status_reason: Option<String>,
    /// `replay`, `binance`, `kraken`.
    pub feed: String,
    /// Symbol.
    pub symbol: String,
    /// Bar interval.
    pub interval: String,
    /// The feed's condition.
    pub feed_status: Option<String>,
    /// Trading window.
    pub schedule_cron: Option<String>,
    /// Catch-up policy.
    pub catch_up: String,
    /// Bars processed.
    pub bars_processed: i64,
    /// Fills.
    pub fills: i64,
    /// Starting cash.
    pub initial_cash: f64,
    /// Latest equity.
    pub equity: Option<f64>,
    /// Return since the start, percent.
    pub return_pct: Option<f64>,
    /// Cash.
    pub cash: Option<f64>,
    /// The open position (`side`, `units`, `entry_price`, `entry_time`), if any.
    pub position: Option<Value>,
    /// Last processed bar, ISO 8601.
    pub last_bar_time: Option<String>,
    /// Created, ISO 8601.
    pub created_at: String,
    /// Whether this device processes its bars: a run started or last resumed on another
    /// device is driven there and only shown here (resuming it here moves it).
    pub driven_here: bool,
}

/// A fill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PaperFill {
    /// Order in the run.
    pub seq: i64,
    /// Fill time, ISO 8601.
    pub time: String,
    /// `long`/`short`.
    pub side: String,
    /// `entry`/`exit`.
    pub action: String,
    /// Price.
    pub price: f64,
    /// Units.
    pub units: f64,
    /// Commission.
    pub commission: f64,
    /// Exit reason.
    pub reason: Option<String>,
    /// Filled in a catch-up.
    pub late: bool,
}

/// An event of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PaperEventItem {
    /// Kind (`status`, `gap`, `revision`, `feed_error`…).
    pub kind: String,
    /// What happened.
    pub message: String,
    /// When, ISO 8601.
    pub at: String,
}

/// `paperGet`: a run with its equity curve, fills, closed trades and recent events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PaperRunDetail {
    /// The run.
    pub run: PaperRunSummary,
    /// `[time ms, equity]` per processed bar (at most 2,000 points, evenly picked).
    pub equity: Vec<(f64, f64)>,
    /// Fills, oldest first.
    pub fills: Vec<PaperFill>,
    /// Closed trades as the engine reports them.
    pub trades: Vec<Value>,
    /// Latest events first.
    pub events: Vec<PaperEventItem>,
}

/// An inbox entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct InboxItem {
    /// Id.
    pub id: String,
    /// `paper_fill`, `paper_alert`, `backtest_done`…
    pub kind: String,
    /// The text to show.
    pub message: String,
    /// The payload.
    pub payload: Value,
    /// Read at, ISO 8601.
    pub read_at: Option<String>,
    /// Created, ISO 8601.
    pub created_at: String,
}

/// `notificationsList`: unread count and entries (unread first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Inbox {
    /// Unread entries.
    pub unread: i64,
    /// Entries, unread first, newest first.
    pub items: Vec<InboxItem>,
}

fn summary(r: &PaperTradeRun, here: Uuid) -> PaperRunSummary {
    let perf = r.performance_snapshot.as_ref();
    let num = |k: &str| perf.and_then(|p| p.get(k)).and_then(Value::as_f64);
    PaperRunSummary {
        id: r.id.to_string(),
        name: r.name.clone(),
        version_id: r.strategy_version_id.to_string(),
        status: r.status.as_str().into(),
        status_reason: r.status_reason.clone(),
        feed: r.feed.as_str().into(),
        symbol: r.symbol.clone(),
        interval: r.bar_interval.clone(),
        feed_status: r.feed_status.clone(),
        schedule_cron: r.schedule_cron.clone(),
        catch_up: r.catch_up_policy.as_str().into(),
        bars_processed: r.bars_processed,
        fills: r.fills_count,
        initial_cash: r.initial_cash,
        equity: num("equity"),
        return_pct: num("return_pct"),
        cash: num("cash"),
        position: perf
            .and_then(|p| p.get("position"))
            .filter(|p| !p.is_null())
            .cloned(),
        last_bar_time: r.last_bar_time.map(ms_to_rfc3339),
        created_at: r.created_at.to_rfc3339(),
        driven_here: r.driver_device == Some(here),
    }
}

fn parse_id(what: &str, id: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| IpcError::invalid(format!("{what}: {id:?} is not an id")))
}

fn paper_err(e: stratagraph_paper::PaperError) -> IpcError {
    match e {
        stratagraph_paper::PaperError::Store(s) => s.into(),
        stratagraph_paper::PaperError::Conflict(m) => IpcError::new(ErrorCode::Conflict, m),
        other => IpcError::invalid(other.to_string()),
    }
}

/// `paperStart`: checks the request and starts the run (the background driver picks it up).
///
/// # Errors
///
/// `invalid` naming the field at fault; `not_found` for an unknown version or dataset.
pub async fn start_run(ctx: &Ctx, input: PaperStartInput) -> ApiResult<PaperRunSummary> {
    let version_id = parse_id("versionId", &input.version_id)?;
    let feed: PaperFeed = input
        .feed
        .parse()
        .map_err(|_| IpcError::invalid(format!("feed: unknown feed {:?}", input.feed)))?;
    let market = match feed {
        PaperFeed::Replay => {
            let id = input
                .dataset_id
                .as_deref()
                .ok_or_else(|| IpcError::invalid("datasetId: a replay needs a dataset"))?;
            let meta = datasets::get(ctx, id)?;
            Market::Replay {
                bars: datasets::load(ctx, id)?,
                symbol: if meta.symbol.is_empty() {
                    meta.name
                } else {
                    meta.symbol
                },
                speed: input.speed.unwrap_or(60.0),
            }
        }
        other => Market::Exchange {
            feed: other,
            symbol: input
                .symbol
                .clone()
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| IpcError::invalid("symbol: an exchange feed needs a symbol"))?,
            interval: input.interval.clone().unwrap_or_else(|| "1m".into()),
            base_url: None,
        },
    };
    let catch_up: CatchUpPolicy = input
        .catch_up
        .parse()
        .map_err(|_| IpcError::invalid(format!("catchUp: unknown policy {:?}", input.catch_up)))?;
    let a = &input.alerts;
    let req = StartRequest {
        version_id,
        name: input.name.clone(),
        parameters: input.parameters.clone(),
        market,
        initial_cash: input.initial_cash,
        commission: input.commission,
        slippage_bps: input.slippage_bps,
        schedule_cron: input.schedule_cron.clone(),
        catch_up,
        alerts: AlertConfig {
            entry: a.entry,
            exit: a.exit,
            stop: a.stop,
            error: a.error,
            stopped: a.stopped,
            drawdown_pct: a.drawdown_pct,
        },
        start_after: None,
    };
    let run = start(&ctx.store, &req).await.map_err(paper_err)?;
    Ok(summary(&run, ctx.store.device_id().await?))
}

/// `paperList`: every run, newest first.
///
/// # Errors
///
/// `storage`.
pub async fn list(ctx: &Ctx) -> ApiResult<Vec<PaperRunSummary>> {
    let here = ctx.store.device_id().await?;
    Ok(ctx
        .store
        .list_all_paper_runs()
        .await?
        .iter()
        .map(|r| summary(r, here))
        .collect())
}

/// `paperGet`.
///
/// # Errors
///
/// `not_found`.
pub async fn get(ctx: &Ctx, id: &str) -> ApiResult<PaperRunDetail> {
    let id = parse_id("id", id)?;
    let run = ctx.store.paper_run(id).await?;
    let bars = ctx.store.paper_bars(id, 0, None).await?;
    let step = (bars.len() / 2_000).max(1);
    let mut equity: Vec<(f64, f64)> = bars
        .iter()
        .step_by(step)
        .map(|b| (b.time as f64, b.equity))
        .collect();
    if let Some(last) = bars.last() {
        if equity.last().map(|e| e.0) != Some(last.time as f64) {
            equity.push((last.time as f64, last.equity));
        }
    }
    let fills = ctx
        .store
        .paper_fills(id)
        .await?
        .into_iter()
        .map(|f| PaperFill {
            seq: f.seq,
            time: ms_to_rfc3339(f.time),
            side: f.side,
            action: f.action,
            price: f.price,
            units: f.units,
            commission: f.commission,
            reason: f.reason,
            late: f.late,
        })
        .collect();
    let events = ctx
        .store
        .paper_events(id, Some(50))
        .await?
        .into_iter()
        .map(|e| PaperEventItem {
            kind: e.kind.as_str().into(),
            message: e.message,
            at: e.created_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        })
        .collect();
    Ok(PaperRunDetail {
        run: summary(&run, ctx.store.device_id().await?),
        equity,
        fills,
        trades: ctx.store.paper_trades(id).await?,
        events,
    })
}

/// `paperPause`, `paperResume` (with `decision` `fill`/`skip` for a late order), `paperStop`.
///
/// # Errors
///
/// `conflict` for a move the status does not allow; `invalid` for a late order without a
/// decision.
pub async fn set_status(
    ctx: &Ctx,
    id: &str,
    status: &str,
    decision: Option<&str>,
) -> ApiResult<PaperRunSummary> {
    let id = parse_id("id", id)?;
    let to: PaperRunStatus = status
        .parse()
        .map_err(|_| IpcError::invalid(format!("status: unknown status {status:?}")))?;
    let decision = decision
        .map(|d| {
            d.parse::<LateDecision>()
                .map_err(|_| IpcError::invalid(format!("decision: use fill or skip, not {d:?}")))
        })
        .transpose()?;
    let current = ctx.store.paper_run(id).await?;
    let waits = current
        .status_reason
        .as_deref()
        .is_some_and(|r| r.starts_with("late order"));
    if to == PaperRunStatus::Running
        && current.status == PaperRunStatus::Paused
        && waits
        && decision.is_none()
    {
        return Err(IpcError::invalid(
            "decision: this run waits for a decision on a late order (fill or skip)",
        ));
    }
    let mut change = StatusChange::to(to);
    change.decision = decision;
    if to == PaperRunStatus::Stopped && AlertConfig::of(&current).stopped {
        change.notification = Some((
            NotificationType::PaperAlert,
            json!({"event": "stopped", "message": format!("Paper run \"{}\" was stopped", current.name)}),
        ));
    }
    let run = ctx.store.set_paper_run_status(id, &change).await?;
    Ok(summary(&run, ctx.store.device_id().await?))
}

/// `paperReconcile`: the reconciliation as JSON (`seen`, `feed`; see docs/paper-trading.md).
///
/// # Errors
///
/// `not_found`; `invalid` when the version no longer compiles.
pub async fn reconcile_run(ctx: &Ctx, id: &str) -> ApiResult<Value> {
    let id = parse_id("id", id)?;
    let r = reconcile(&ctx.store, id, None).await.map_err(paper_err)?;
    serde_json::to_value(r).map_err(|e| IpcError::invalid(e.to_string()))
}

fn inbox_item(n: Notification) -> InboxItem {
    let message = n
        .payload
        .get("message")
        .and_then(Value::as_str)
        .map_or_else(|| n.kind.as_str().replace('_', " "), str::to_string);
    InboxItem {
        id: n.id.to_string(),
        kind: n.kind.as_str().into(),
        message,
        payload: n.payload,
        read_at: n.read_at.map(|t| t.to_rfc3339()),
        created_at: n.created_at.to_rfc3339(),
    }
}

/// `notificationsList`: the unread count (the partial index) and the latest entries.
///
/// # Errors
///
/// `storage`.
pub async fn inbox(ctx: &Ctx, limit: Option<u32>) -> ApiResult<Inbox> {
    let user = ctx.user_id().await?;
    let unread = ctx.store.unread_count(user).await?;
    let items = ctx
        .store
        .list_notifications(user, Some(limit.unwrap_or(200).min(1_000)))
        .await?
        .into_iter()
        .map(inbox_item)
        .collect();
    Ok(Inbox { unread, items })
}

/// `notificationMarkRead` (one id) or all when `id` is `None`.
///
/// # Errors
///
/// `not_found`.
pub async fn mark_read(ctx: &Ctx, id: Option<&str>) -> ApiResult<Inbox> {
    match id {
        Some(id) => {
            ctx.store.mark_read(parse_id("id", id)?).await?;
        }
        None => {
            ctx.store.mark_all_read(ctx.user_id().await?).await?;
        }
    }
    inbox(ctx, None).await
}

/// Notifications created after `after` (RFC 3339), oldest first: what the shell shows as OS
/// notifications.
///
/// # Errors
///
/// `storage`.
pub async fn since(ctx: &Ctx, after: &str) -> ApiResult<Vec<InboxItem>> {
    let mut items: Vec<InboxItem> = ctx
        .store
        .list_notifications(ctx.user_id().await?, Some(200))
        .await?
        .into_iter()
        .filter(|n| n.read_at.is_none() && n.created_at.to_rfc3339().as_str() > after)
        .map(inbox_item)
        .collect();
    items.sort_by(|a, b| a.created_at.cmp(&b.created_at));
    Ok(items)
}

/// The creation time (RFC 3339) of the newest notification, or an empty string.
///
/// # Errors
///
/// `storage`.
pub async fn newest_notification_time(ctx: &Ctx) -> ApiResult<String> {
    Ok(ctx
        .store
        .list_notifications(ctx.user_id().await?, None)
        .await?
        .iter()
        .map(|n| n.created_at.to_rfc3339())
        .max()
        .unwrap_or_default())
}

/// The background driver's handles.
#[derive(Default)]
pub struct PaperRuntime {
    stop: Mutex<Option<(watch::Sender<bool>, tokio::task::JoinHandle<()>)>>,
}

/// Starts driving every running paper run in the background (once); `on_change` hears of
/// every processed bar and status change (the shell refreshes views and sends OS
/// notifications from it).
pub async fn autostart(ctx: Arc<Ctx>, on_change: impl Fn(Uuid) + Send + Sync + 'static) {
    let mut slot = ctx.paper.stop.lock().await;
    if slot.is_some() {
        return;
    }
    let (tx, rx) = watch::channel(false);
    let store = ctx.store.clone();
    let handle = tokio::spawn(async move {
        serve(
            store,
            DriverConfig::new("the Stratagraph app"),
            rx,
            Duration::from_millis(500),
            move |ev| match ev {
                ServeEvent::Processed { run, .. } | ServeEvent::Ended(run, _) => on_change(run),
                ServeEvent::Busy(run, msg) | ServeEvent::Failed(run, msg) => {
                    eprintln!("stratagraph: paper run {run}: {msg}");
                    on_change(run);
                }
                ServeEvent::Driving(_) => {}
            },
        )
        .await;
    });
    *slot = Some((tx, handle));
}

/// Stops the background driver, releasing every lease (waits up to 5 s).
pub async fn shutdown(ctx: &Ctx) {
    if let Some((tx, handle)) = ctx.paper.stop.lock().await.take() {
        let _ = tx.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(5), handle).await;
    }
}
