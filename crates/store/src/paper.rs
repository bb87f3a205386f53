//! Paper-trading runs: create, read, change state; the lease that lets one process drive a
//! run; and the per-bar commit, which writes the bar, the engine state, fills, trades, events
//! and notifications in one transaction, so a kill at any moment loses and repeats nothing.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use uuid::Uuid;

use crate::db::{fmt_time, id_text, json_text, require_object, RowExt, MAX_JSON_BYTES};
use crate::error::{Result, StoreError};
use crate::model::{
    CatchUpPolicy, Channel, LateDecision, NotificationType, PaperEventKind, PaperFeed,
    PaperRunStatus, PaperTradeRun,
};
use crate::notifications::insert_notification;
use crate::Store;

/// At most this many notifications per paper run within [`FLOOD_WINDOW`] (TradingView's
/// limit for alerts: 15 in 3 minutes). The 15th says that the rest are held back.
pub const FLOOD_LIMIT: i64 = 15;

/// The flood limit's sliding window.
pub const FLOOD_WINDOW: Duration = Duration::from_secs(180);

fn paper_from_row(row: &SqliteRow) -> Result<PaperTradeRun> {
    Ok(PaperTradeRun {
        id: row.id("id")?,
        strategy_version_id: row.id("strategy_version_id")?,
        schedule: row.json("schedule")?,
        status: row.enum_value("status")?,
        last_execution_at: row.opt_time("last_execution_at")?,
        performance_snapshot: row.opt_json("performance_snapshot")?,
        alert_config: row.opt_json("alert_config")?,
        created_at: row.time("created_at")?,
        name: row.text("name")?,
        parameters: row.json("parameters")?,
        feed: row.enum_value("feed")?,
        symbol: row.text("symbol")?,
        bar_interval: row.text("bar_interval")?,
        feed_config: row.json("feed_config")?,
        initial_cash: row.real("initial_cash")?,
        commission: row.real("commission")?,
        slippage_bps: row.real("slippage_bps")?,
        schedule_cron: row.opt_text("schedule_cron")?,
        catch_up_policy: row.enum_value("catch_up_policy")?,
        start_after: row.opt_int("start_after")?,
        status_reason: row.opt_text("status_reason")?,
        feed_status: row.opt_text("feed_status")?,
        late_decision: row
            .opt_text("late_decision")?
            .map(|s| crate::db::stored_enum("late_decision", &s))
            .transpose()?,
        state_snapshot: row.opt_text("state_snapshot")?,
        bars_processed: row.int("bars_processed")?,
        last_bar_time: row.opt_int("last_bar_time")?,
        fills_count: row.int("fills_count")?,
        notifications_held: row.int("notifications_held")?,
        updated_at: row.time("updated_at")?,
        driver_device: row.opt_id("driver_device")?,
    })
}

/// What a new paper run trades, with what, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPaperRun {
    /// The immutable version to trade.
    pub strategy_version_id: Uuid,
    /// A name for lists.
    pub name: String,
    /// Parameter values (a JSON object of numbers).
    pub parameters: Value,
    /// Where bars come from.
    pub feed: PaperFeed,
    /// The market's symbol.
    pub symbol: String,
    /// Bar interval name.
    pub bar_interval: String,
    /// Feed settings (a JSON object).
    pub feed_config: Value,
    /// Starting cash (> 0).
    pub initial_cash: f64,
    /// Commission fraction, in [0, 1).
    pub commission: f64,
    /// Slippage in basis points, in [0, 10000).
    pub slippage_bps: f64,
    /// The trading window as a cron expression (checked by the caller), or every bar.
    pub schedule_cron: Option<String>,
    /// Catch-up policy.
    pub catch_up_policy: CatchUpPolicy,
    /// Which events notify.
    pub alert_config: Option<Value>,
    /// Trade only bars opening after this time (ms UTC).
    pub start_after: Option<i64>,
    /// For a replay: the canonical bytes of the bars and their BLAKE3.
    pub replay: Option<(Vec<u8>, [u8; 32])>,
}

/// A process that drives paper runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseHolder {
    /// What the process is (`the app`, `paper serve`).
    pub holder: String,
    /// Its process id.
    pub pid: u32,
    /// The machine's name.
    pub host: String,
}

/// A lease on one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaperLease {
    /// The run.
    pub run_id: Uuid,
    /// Who holds it.
    pub holder: LeaseHolder,
    /// The holder's secret for renewing, committing and releasing.
    pub token: String,
    /// Until when (renewed with every bar and every poll).
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Display for LeaseHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (pid {} on {})", self.holder, self.pid, self.host)
    }
}

/// A bar as a run saw and processed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaperBarRow {
    /// 0-based order of processing.
    pub seq: i64,
    /// Open time, ms UTC.
    pub time: i64,
    /// Opening price.
    pub open: f64,
    /// Highest price.
    pub high: f64,
    /// Lowest price.
    pub low: f64,
    /// Closing price.
    pub close: f64,
    /// Volume.
    pub volume: f64,
    /// Equity marked at the close.
    pub equity: f64,
    /// Processed in a catch-up, after later bars had closed.
    pub late: bool,
    /// Bars missing before this one.
    pub gap_before: i64,
}

/// One paper fill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaperFillRow {
    /// 0-based fill number in the run.
    pub seq: i64,
    /// The bar it filled at (its `seq`).
    pub bar_seq: i64,
    /// Fill time, ms UTC.
    pub time: i64,
    /// `long` or `short`.
    pub side: String,
    /// `entry` or `exit`.
    pub action: String,
    /// Price, slippage included.
    pub price: f64,
    /// Units.
    pub units: f64,
    /// Commission.
    pub commission: f64,
    /// Exit reason (`signal`, `stop_loss`…).
    pub reason: Option<String>,
    /// Filled late, in a catch-up.
    pub late: bool,
}

/// An event of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaperEvent {
    /// Kind.
    pub kind: PaperEventKind,
    /// What happened, in words.
    pub message: String,
    /// The bar it concerns, ms UTC.
    pub bar_time: Option<i64>,
    /// Figures (a JSON object).
    pub detail: Value,
    /// When it was recorded.
    pub created_at: Option<DateTime<Utc>>,
}

impl PaperEvent {
    /// An event about now.
    pub fn new(kind: PaperEventKind, message: impl Into<String>) -> Self {
        PaperEvent {
            kind,
            message: message.into(),
            bar_time: None,
            detail: json!({}),
            created_at: None,
        }
    }
}

/// Everything one processed bar changes, committed at once by [`Store::commit_paper_bar`].
#[derive(Debug, Clone, PartialEq)]
pub struct BarCommit {
    /// The bar (its `seq` must equal the run's `bars_processed`).
    pub bar: PaperBarRow,
    /// The engine state after the bar (JSON text).
    pub state_snapshot: String,
    /// Latest figures.
    pub performance: Value,
    /// Fills at this bar (their `seq` continues the run's).
    pub fills: Vec<PaperFillRow>,
    /// Round trips closed at this bar: (the engine's trade as JSON, pnl, exit time).
    pub trades: Vec<(Value, f64, i64)>,
    /// Events.
    pub events: Vec<PaperEvent>,
    /// Notifications for the strategy's owner (flood limited).
    pub notifications: Vec<(NotificationType, Value)>,
    /// The run's late-order decision was used: clear it.
    pub clear_decision: bool,
}

/// What a commit did with its notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CommitOutcome {
    /// Notifications written to the inbox.
    pub notified: usize,
    /// Notifications held back by the flood limit.
    pub held: usize,
}

/// A status change of a run, with its event and an optional notification.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    /// The new status.
    pub to: PaperRunStatus,
    /// Why (shown with paused and error runs).
    pub reason: Option<String>,
    /// The answer to a late order, for a resume.
    pub decision: Option<LateDecision>,
    /// A notification for the owner.
    pub notification: Option<(NotificationType, Value)>,
    /// When set, only the holder of this lease may make the change.
    pub lease_token: Option<String>,
}

impl StatusChange {
    /// A change to `to` with no reason, decision or notification.
    pub fn to(to: PaperRunStatus) -> Self {
        StatusChange {
            to,
            reason: None,
            decision: None,
            notification: None,
            lease_token: None,
        }
    }
}

fn allowed(from: PaperRunStatus, to: PaperRunStatus) -> bool {
    use PaperRunStatus::*;
    matches!(
        (from, to),
        (Pending, Running | Stopped | Error)
            | (Running, Paused | Stopped | Error)
            | (Paused, Running | Stopped | Error)
            | (Error, Running | Stopped)
    )
}

fn check_cost(field: &str, v: f64, lo: f64, hi: f64) -> Result<()> {
    if v.is_finite() && v >= lo && v < hi {
        Ok(())
    } else {
        Err(StoreError::invalid(
            field,
            format!("{v} is outside [{lo}, {hi})"),
        ))
    }
}

async fn insert_event(
    conn: &mut SqliteConnection,
    run_id: Uuid,
    e: &PaperEvent,
    now: &str,
) -> Result<()> {
    require_object("detail", &e.detail)?;
    sqlx::query(
        "INSERT INTO paper_events (id, run_id, kind, message, bar_time, detail, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(id_text(Uuid::now_v7()))
    .bind(id_text(run_id))
    .bind(e.kind.as_str())
    .bind(&e.message)
    .bind(e.bar_time)
    .bind(json_text("detail", &e.detail, MAX_JSON_BYTES)?)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes `notes` for the run's owner under the flood limit; returns (sent, held).
async fn notify_limited(
    conn: &mut SqliteConnection,
    run: &PaperTradeRun,
    notes: &[(NotificationType, Value)],
    now: DateTime<Utc>,
) -> Result<(usize, usize)> {
    if notes.is_empty() {
        return Ok((0, 0));
    }
    let (owner,): (String,) = sqlx::query_as(
        "SELECT s.owner_id FROM strategy_versions v JOIN strategies s ON s.id = v.strategy_id \
         WHERE v.id = ?",
    )
    .bind(id_text(run.strategy_version_id))
    .fetch_one(&mut *conn)
    .await?;
    let owner =
        Uuid::parse_str(&owner).map_err(|e| StoreError::invalid("owner_id", e.to_string()))?;
    let now_text = fmt_time(now);
    let since = fmt_time(now - chrono::Duration::from_std(FLOOD_WINDOW).unwrap_or_default());
    let run_id = id_text(run.id);
    let (mut recent,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM notifications WHERE user_id = ? AND created_at > ? \
         AND json_extract(payload, '$.paper_run_id') = ?",
    )
    .bind(id_text(owner))
    .bind(&since)
    .bind(&run_id)
    .fetch_one(&mut *conn)
    .await?;
    let (mut held_before,): (i64,) =
        sqlx::query_as("SELECT notifications_held FROM paper_trade_runs WHERE id = ?")
            .bind(&run_id)
            .fetch_one(&mut *conn)
            .await?;
    let (mut sent, mut held) = (0, 0);
    for (kind, payload) in notes {
        let mut payload = payload.clone();
        if let Some(obj) = payload.as_object_mut() {
            obj.insert("paper_run_id".into(), json!(run_id));
            obj.insert("run_name".into(), json!(run.name));
        }
        if recent < FLOOD_LIMIT - 1 {
            if held_before > 0 {
                // Say what the limit held back before the next notification.
                let msg = format!(
                    "{held_before} notification(s) of paper run \"{}\" were held back by the flood limit ({FLOOD_LIMIT} in 3 minutes); see its fills and events",
                    run.name
                );
                insert_notification(
                    conn,
                    owner,
                    NotificationType::PaperAlert,
                    &json!({"paper_run_id": run_id, "run_name": run.name, "event": "flood_summary", "held": held_before, "message": msg}),
                    Channel::InApp,
                    &now_text,
                )
                .await?;
                held_before = 0;
                recent += 1;
                sent += 1;
                if recent >= FLOOD_LIMIT - 1 {
                    held += 1;
                    continue;
                }
            }
            insert_notification(conn, owner, *kind, &payload, Channel::InApp, &now_text).await?;
            recent += 1;
            sent += 1;
        } else if recent == FLOOD_LIMIT - 1 {
            let msg = format!(
                "Paper run \"{}\" sent {FLOOD_LIMIT} notifications in 3 minutes: further ones are held back (like TradingView's limit of 15 in 3 minutes) and summed up later; its fills are all recorded",
                run.name
            );
            insert_notification(
                conn,
                owner,
                NotificationType::PaperAlert,
                &json!({"paper_run_id": run_id, "run_name": run.name, "event": "flood_limited", "message": msg}),
                Channel::InApp,
                &now_text,
            )
            .await?;
            insert_event(
                conn,
                run.id,
                &PaperEvent::new(PaperEventKind::FloodLimited, msg),
                &now_text,
            )
            .await?;
            recent += 1;
            sent += 1;
            held += 1;
            held_before += 1;
        } else {
            held += 1;
            held_before += 1;
        }
    }
    sqlx::query("UPDATE paper_trade_runs SET notifications_held = ? WHERE id = ?")
        .bind(held_before)
        .bind(&run_id)
        .execute(&mut *conn)
        .await?;
    Ok((sent, held))
}

async fn run_in(conn: &mut SqliteConnection, id: Uuid) -> Result<PaperTradeRun> {
    let row = sqlx::query("SELECT * FROM paper_trade_runs WHERE id = ?")
        .bind(id_text(id))
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| StoreError::not_found("paper run", id))?;
    paper_from_row(&row)
}

fn lease_from_row(row: &SqliteRow) -> Result<PaperLease> {
    let pid: i64 = row.int("pid")?;
    Ok(PaperLease {
        run_id: row.id("run_id")?,
        holder: LeaseHolder {
            holder: row.text("holder")?,
            pid: u32::try_from(pid).unwrap_or(0),
            host: row.text("host")?,
        },
        token: row.text("token")?,
        expires_at: row.time("expires_at")?,
    })
}

/// Checks (and extends) a lease inside a transaction. A lease that lapsed is still its
/// holder's until another process takes it (a machine waking from sleep carries on).
async fn hold_lease(
    conn: &mut SqliteConnection,
    run_id: Uuid,
    token: &str,
    until: &str,
) -> Result<()> {
    let done =
        sqlx::query("UPDATE paper_run_leases SET expires_at = ? WHERE run_id = ? AND token = ?")
            .bind(until)
            .bind(id_text(run_id))
            .bind(token)
            .execute(&mut *conn)
            .await?;
    if done.rows_affected() == 1 {
        return Ok(());
    }
    let row = sqlx::query("SELECT * FROM paper_run_leases WHERE run_id = ?")
        .bind(id_text(run_id))
        .fetch_optional(&mut *conn)
        .await?;
    Err(StoreError::conflict(match row {
        Some(r) => {
            let l = lease_from_row(&r)?;
            format!("paper run {run_id} is now driven by {}", l.holder)
        }
        None => format!("the lease on paper run {run_id} was released"),
    }))
}

/// SQL for this device's id (`local_device`, migrations/local/0007_paper_sync.sql).
const THIS_DEVICE: &str = "(SELECT device_id FROM local_device WHERE id = 1)";

async fn device_id(conn: &mut SqliteConnection) -> Result<Uuid> {
    let id: String = sqlx::query_scalar("SELECT device_id FROM local_device WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    Uuid::parse_str(&id).map_err(|e| StoreError::invalid("local_device.device_id", e.to_string()))
}

impl Store {
    /// This installation's device id: the device that drives the paper runs started or
    /// resumed here (runs synced from other devices are driven there).
    ///
    /// # Errors
    ///
    /// `Storage`.
    pub async fn device_id(&self) -> Result<Uuid> {
        let mut conn = self.pool.acquire().await?;
        device_id(&mut conn).await
    }

    /// Ids of the running runs this device drives, oldest first: `paper serve` and the app
    /// drive these and leave runs synced from other devices to them.
    ///
    /// # Errors
    ///
    /// `Storage`.
    pub async fn paper_run_ids_to_drive(&self) -> Result<Vec<Uuid>> {
        let rows: Vec<(String,)> = sqlx::query_as(&format!(
            "SELECT id FROM paper_trade_runs WHERE status = 'running' \
             AND driver_device IS {THIS_DEVICE} ORDER BY created_at, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(s,)| Uuid::parse_str(&s).map_err(|e| StoreError::invalid("id", e.to_string())))
            .collect()
    }

    /// Creates a paper run (status `pending`) of an existing version, with its replay data.
    ///
    /// # Errors
    ///
    /// `Invalid` for a bad name, symbol, cost or JSON; `NotFound` for an unknown version.
    pub async fn create_paper_run(&self, new: &NewPaperRun) -> Result<PaperTradeRun> {
        require_object("parameters", &new.parameters)?;
        require_object("feed_config", &new.feed_config)?;
        if new.name.chars().count() > 200 {
            return Err(StoreError::invalid("name", "longer than 200 characters"));
        }
        if new.symbol.trim().is_empty() || new.symbol.len() > 64 {
            return Err(StoreError::invalid(
                "symbol",
                "must have 1 to 64 characters",
            ));
        }
        if !(new.initial_cash.is_finite() && new.initial_cash > 0.0) {
            return Err(StoreError::invalid(
                "initial_cash",
                format!("must be a positive number, got {}", new.initial_cash),
            ));
        }
        check_cost("commission", new.commission, 0.0, 1.0)?;
        check_cost("slippage_bps", new.slippage_bps, 0.0, 10_000.0)?;
        if new.feed == PaperFeed::Replay && new.replay.is_none() {
            return Err(StoreError::invalid("replay", "a replay run needs its bars"));
        }
        let schedule = json!({"cron": new.schedule_cron, "catch_up": new.catch_up_policy.as_str()});
        let alerts = new
            .alert_config
            .as_ref()
            .map(|a| json_text("alert_config", a, MAX_JSON_BYTES))
            .transpose()?;
        let id = Uuid::now_v7();
        let now = self.now_text();
        let mut tx = self.write_tx().await?;
        sqlx::query(&format!(
            "INSERT INTO paper_trade_runs (id, strategy_version_id, schedule, status, alert_config, \
             created_at, name, parameters, feed, symbol, bar_interval, feed_config, initial_cash, \
             commission, slippage_bps, schedule_cron, catch_up_policy, start_after, updated_at, \
             driver_device) \
             VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {THIS_DEVICE})"
        ))
        .bind(id_text(id))
        .bind(id_text(new.strategy_version_id))
        .bind(json_text("schedule", &schedule, MAX_JSON_BYTES)?)
        .bind(alerts)
        .bind(&now)
        .bind(new.name.trim())
        .bind(json_text("parameters", &new.parameters, MAX_JSON_BYTES)?)
        .bind(new.feed.as_str())
        .bind(new.symbol.trim())
        .bind(&new.bar_interval)
        .bind(json_text("feed_config", &new.feed_config, MAX_JSON_BYTES)?)
        .bind(new.initial_cash)
        .bind(new.commission)
        .bind(new.slippage_bps)
        .bind(&new.schedule_cron)
        .bind(new.catch_up_policy.as_str())
        .bind(new.start_after)
        .bind(&now)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            StoreError::from(e).fk_as_not_found("strategy version", new.strategy_version_id)
        })?;
        if let Some((bytes, checksum)) = &new.replay {
            sqlx::query("INSERT INTO paper_replay_data (run_id, bars, checksum) VALUES (?, ?, ?)")
                .bind(id_text(id))
                .bind(bytes.as_slice())
                .bind(checksum.as_slice())
                .execute(&mut *tx)
                .await?;
        }
        insert_event(
            &mut tx,
            id,
            &PaperEvent::new(PaperEventKind::Status, "created (pending)"),
            &now,
        )
        .await?;
        let run = run_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(run)
    }

    /// One paper run.
    ///
    /// # Errors
    ///
    /// `NotFound`.
    pub async fn paper_run(&self, id: Uuid) -> Result<PaperTradeRun> {
        let mut conn = self.pool.acquire().await?;
        run_in(&mut conn, id).await
    }

    /// Every paper run, newest first.
    ///
    /// # Errors
    ///
    /// `Storage`; `Invalid` when a stored row cannot be read.
    pub async fn list_all_paper_runs(&self) -> Result<Vec<PaperTradeRun>> {
        let rows = sqlx::query("SELECT * FROM paper_trade_runs ORDER BY created_at DESC, id DESC")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(paper_from_row).collect()
    }

    /// Paper runs of a version, newest first.
    ///
    /// # Errors
    ///
    /// `Storage`; `Invalid` when a stored row cannot be read.
    pub async fn list_paper_runs(&self, strategy_version_id: Uuid) -> Result<Vec<PaperTradeRun>> {
        let rows = sqlx::query(
            "SELECT * FROM paper_trade_runs WHERE strategy_version_id = ? ORDER BY created_at DESC, id DESC",
        )
        .bind(id_text(strategy_version_id))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(paper_from_row).collect()
    }

    /// The replay data of a replay run: canonical bar bytes and their BLAKE3.
    ///
    /// # Errors
    ///
    /// `NotFound` when the run has none.
    pub async fn paper_replay_data(&self, run_id: Uuid) -> Result<(Vec<u8>, [u8; 32])> {
        let row = sqlx::query("SELECT bars, checksum FROM paper_replay_data WHERE run_id = ?")
            .bind(id_text(run_id))
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::not_found("replay data of paper run", run_id))?;
        let bars: Vec<u8> = row.try_get("bars")?;
        let sum: Vec<u8> = row.try_get("checksum")?;
        let checksum: [u8; 32] = sum
            .try_into()
            .map_err(|_| StoreError::invalid("checksum", "not 32 bytes"))?;
        Ok((bars, checksum))
    }

    /// Changes a run's status (see [`PaperRunStatus`] for the allowed moves), recording an
    /// event and the optional notification in the same transaction.
    ///
    /// # Errors
    ///
    /// `NotFound`; `Conflict` for a move the status does not allow, or when `lease_token` is
    /// set and no longer holds the run.
    pub async fn set_paper_run_status(
        &self,
        id: Uuid,
        change: &StatusChange,
    ) -> Result<PaperTradeRun> {
        let now = self.now();
        let now_text = fmt_time(now);
        let mut tx = self.write_tx().await?;
        if let Some(token) = &change.lease_token {
            let until = fmt_time(now + chrono::Duration::seconds(30));
            hold_lease(&mut tx, id, token, &until).await?;
        }
        let run = run_in(&mut tx, id).await?;
        if !allowed(run.status, change.to) {
            return Err(StoreError::conflict(format!(
                "paper run {id} is {}; it cannot become {}",
                run.status, change.to
            )));
        }
        // Starting or resuming a run here makes this device its driver (another device that
        // drove it stops at its next bar once it has pulled the change).
        sqlx::query(&format!(
            "UPDATE paper_trade_runs SET status = ?1, status_reason = ?2, \
             late_decision = COALESCE(?3, late_decision), updated_at = ?4, \
             driver_device = CASE WHEN ?1 = 'running' AND status <> 'running' \
             THEN {THIS_DEVICE} ELSE driver_device END WHERE id = ?5"
        ))
        .bind(change.to.as_str())
        .bind(&change.reason)
        .bind(change.decision.map(LateDecision::as_str))
        .bind(&now_text)
        .bind(id_text(id))
        .execute(&mut *tx)
        .await?;
        let msg = match &change.reason {
            Some(r) => format!("{} → {}: {r}", run.status, change.to),
            None => format!("{} → {}", run.status, change.to),
        };
        insert_event(
            &mut tx,
            id,
            &PaperEvent::new(PaperEventKind::Status, msg),
            &now_text,
        )
        .await?;
        if let Some(n) = &change.notification {
            notify_limited(&mut tx, &run, std::slice::from_ref(n), now).await?;
        }
        if matches!(change.to, PaperRunStatus::Stopped) {
            sqlx::query("DELETE FROM paper_run_leases WHERE run_id = ?")
                .bind(id_text(id))
                .execute(&mut *tx)
                .await?;
        }
        let run = run_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(run)
    }

    /// Takes the lease on a run for `ttl`: when nobody holds it, when the holder's lease
    /// expired, or when `me` already holds it (same pid and host).
    ///
    /// # Errors
    ///
    /// `Conflict` naming the process that holds the run; `NotFound` for an unknown run.
    pub async fn acquire_paper_lease(
        &self,
        run_id: Uuid,
        me: &LeaseHolder,
        ttl: Duration,
    ) -> Result<PaperLease> {
        let now = self.now();
        let until = now + chrono::Duration::from_std(ttl).unwrap_or_default();
        let mut tx = self.write_tx().await?;
        run_in(&mut tx, run_id).await?;
        let row = sqlx::query("SELECT * FROM paper_run_leases WHERE run_id = ?")
            .bind(id_text(run_id))
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = row {
            let held = lease_from_row(&row)?;
            let mine = held.holder.pid == me.pid && held.holder.host == me.host;
            if held.expires_at > now && !mine {
                return Err(StoreError::conflict(format!(
                    "paper run {run_id} is driven by {} until {}",
                    held.holder,
                    fmt_time(held.expires_at)
                )));
            }
        }
        let lease = PaperLease {
            run_id,
            holder: me.clone(),
            token: Uuid::new_v4().to_string(),
            expires_at: until,
        };
        sqlx::query(
            "INSERT INTO paper_run_leases (run_id, holder, token, pid, host, acquired_at, expires_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET holder = excluded.holder, \
             token = excluded.token, pid = excluded.pid, host = excluded.host, \
             acquired_at = excluded.acquired_at, expires_at = excluded.expires_at",
        )
        .bind(id_text(run_id))
        .bind(&me.holder)
        .bind(&lease.token)
        .bind(i64::from(me.pid))
        .bind(&me.host)
        .bind(fmt_time(now))
        .bind(fmt_time(until))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(lease)
    }

    /// The lease on a run, if any (expired or not).
    ///
    /// # Errors
    ///
    /// `Storage`.
    pub async fn paper_lease(&self, run_id: Uuid) -> Result<Option<PaperLease>> {
        let row = sqlx::query("SELECT * FROM paper_run_leases WHERE run_id = ?")
            .bind(id_text(run_id))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(lease_from_row).transpose()
    }

    /// Removes the lease with `token` (a holder that is known to be dead, or releasing its
    /// own); returns whether it was there.
    ///
    /// # Errors
    ///
    /// `Storage`.
    pub async fn release_paper_lease(&self, run_id: Uuid, token: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM paper_run_leases WHERE run_id = ? AND token = ?")
            .bind(id_text(run_id))
            .bind(token)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Extends a held lease by `ttl`.
    ///
    /// # Errors
    ///
    /// `Conflict` when the lease is no longer held with `token`.
    pub async fn renew_paper_lease(&self, run_id: Uuid, token: &str, ttl: Duration) -> Result<()> {
        let now = self.now();
        let until = fmt_time(now + chrono::Duration::from_std(ttl).unwrap_or_default());
        let mut tx = self.write_tx().await?;
        hold_lease(&mut tx, run_id, token, &until).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Commits one processed bar: the bar, state, figures, fills, trades, events and
    /// notifications, in one transaction, and only while `token` holds the run, the run is
    /// `running` and the bar is the next one (`bar.seq == bars_processed`).
    ///
    /// # Errors
    ///
    /// `Conflict` when the lease is lost, the run is no longer running, or the bar was
    /// already committed; nothing is written then.
    pub async fn commit_paper_bar(
        &self,
        run_id: Uuid,
        token: &str,
        ttl: Duration,
        c: &BarCommit,
    ) -> Result<CommitOutcome> {
        let now = self.now();
        let now_text = fmt_time(now);
        let until = fmt_time(now + chrono::Duration::from_std(ttl).unwrap_or_default());
        let perf = json_text("performance_snapshot", &c.performance, MAX_JSON_BYTES)?;
        let mut tx = self.write_tx().await?;
        hold_lease(&mut tx, run_id, token, &until).await?;
        let done = sqlx::query(&format!(
            "UPDATE paper_trade_runs SET state_snapshot = ?, performance_snapshot = ?, \
             bars_processed = bars_processed + 1, last_bar_time = ?, last_execution_at = ?, \
             fills_count = fills_count + ?, updated_at = ?, \
             late_decision = CASE WHEN ? THEN NULL ELSE late_decision END \
             WHERE id = ? AND status = 'running' AND bars_processed = ? \
             AND driver_device IS {THIS_DEVICE}"
        ))
        .bind(&c.state_snapshot)
        .bind(perf)
        .bind(c.bar.time)
        .bind(&now_text)
        .bind(c.fills.len() as i64)
        .bind(&now_text)
        .bind(c.clear_decision)
        .bind(id_text(run_id))
        .bind(c.bar.seq)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            let run = run_in(&mut tx, run_id).await?;
            return Err(StoreError::conflict(
                if run.status != PaperRunStatus::Running {
                    format!("paper run {run_id} is {}", run.status)
                } else if run.driver_device != Some(device_id(&mut tx).await?) {
                    format!(
                        "paper run {run_id} was started or resumed on another device, \
                         which drives it now"
                    )
                } else {
                    format!(
                        "paper run {run_id} has processed {} bars; bar {} is not the next",
                        run.bars_processed, c.bar.seq
                    )
                },
            ));
        }
        let b = &c.bar;
        sqlx::query(
            "INSERT INTO paper_bars (run_id, seq, time, open, high, low, close, volume, equity, \
             late, gap_before, processed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id_text(run_id))
        .bind(b.seq)
        .bind(b.time)
        .bind(b.open)
        .bind(b.high)
        .bind(b.low)
        .bind(b.close)
        .bind(b.volume)
        .bind(b.equity)
        .bind(b.late)
        .bind(b.gap_before)
        .bind(&now_text)
        .execute(&mut *tx)
        .await?;
        for f in &c.fills {
            sqlx::query(
                "INSERT INTO paper_fills (id, run_id, seq, bar_seq, time, side, action, price, units, \
                 commission, reason, late, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(id_text(Uuid::now_v7()))
            .bind(id_text(run_id))
            .bind(f.seq)
            .bind(f.bar_seq)
            .bind(f.time)
            .bind(&f.side)
            .bind(&f.action)
            .bind(f.price)
            .bind(f.units)
            .bind(f.commission)
            .bind(&f.reason)
            .bind(f.late)
            .bind(&now_text)
            .execute(&mut *tx)
            .await?;
        }
        if !c.trades.is_empty() {
            let (mut next,): (i64,) =
                sqlx::query_as("SELECT count(*) FROM paper_trades WHERE run_id = ?")
                    .bind(id_text(run_id))
                    .fetch_one(&mut *tx)
                    .await?;
            for (trade, pnl, exit_time) in &c.trades {
                sqlx::query(
                    "INSERT INTO paper_trades (id, run_id, seq, trade, pnl, exit_time, created_at) \
                     VALUES (?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(id_text(Uuid::now_v7()))
                .bind(id_text(run_id))
                .bind(next)
                .bind(json_text("trade", trade, MAX_JSON_BYTES)?)
                .bind(pnl)
                .bind(exit_time)
                .bind(&now_text)
                .execute(&mut *tx)
                .await?;
                next += 1;
            }
        }
        for e in &c.events {
            insert_event(&mut tx, run_id, e, &now_text).await?;
        }
        let run = run_in(&mut tx, run_id).await?;
        let (notified, held) = notify_limited(&mut tx, &run, &c.notifications, now).await?;
        tx.commit().await?;
        Ok(CommitOutcome { notified, held })
    }

    /// Records an event outside a bar commit (feed trouble, a gap being retried) and, when
    /// given, the feed's condition shown with the run.
    ///
    /// # Errors
    ///
    /// `NotFound`; `Invalid` for a detail that is not an object.
    pub async fn add_paper_event(
        &self,
        run_id: Uuid,
        event: &PaperEvent,
        feed_status: Option<&str>,
    ) -> Result<()> {
        let now = self.now_text();
        let mut tx = self.write_tx().await?;
        run_in(&mut tx, run_id).await?;
        insert_event(&mut tx, run_id, event, &now).await?;
        if let Some(s) = feed_status {
            sqlx::query("UPDATE paper_trade_runs SET feed_status = ? WHERE id = ?")
                .bind(s)
                .bind(id_text(run_id))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Sets the feed's condition shown with the run, without an event.
    ///
    /// # Errors
    ///
    /// `Storage`.
    pub async fn set_paper_feed_status(&self, run_id: Uuid, feed_status: &str) -> Result<()> {
        sqlx::query(
            "UPDATE paper_trade_runs SET feed_status = ? WHERE id = ? AND feed_status IS NOT ?",
        )
        .bind(feed_status)
        .bind(id_text(run_id))
        .bind(feed_status)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The bars a run processed, from `from_seq`, at most `limit`.
    ///
    /// # Errors
    ///
    /// `Storage`.
    pub async fn paper_bars(
        &self,
        run_id: Uuid,
        from_seq: i64,
        limit: Option<u32>,
    ) -> Result<Vec<PaperBarRow>> {
        let rows = sqlx::query(
            "SELECT * FROM paper_bars WHERE run_id = ? AND seq >= ? ORDER BY seq LIMIT ?",
        )
        .bind(id_text(run_id))
        .bind(from_seq)
        .bind(limit.map_or(-1, i64::from))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PaperBarRow {
                    seq: r.int("seq")?,
                    time: r.int("time")?,
                    open: r.real("open")?,
                    high: r.real("high")?,
                    low: r.real("low")?,
                    close: r.real("close")?,
                    volume: r.real("volume")?,
                    equity: r.real("equity")?,
                    late: r.int("late")? != 0,
                    gap_before: r.int("gap_before")?,
                })
            })
            .collect()
    }

    /// A run's fills in order.
    ///
    /// # Errors
    ///
    /// `Storage`.
    pub async fn paper_fills(&self, run_id: Uuid) -> Result<Vec<PaperFillRow>> {
        let rows = sqlx::query("SELECT * FROM paper_fills WHERE run_id = ? ORDER BY seq")
            .bind(id_text(run_id))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(PaperFillRow {
                    seq: r.int("seq")?,
                    bar_seq: r.int("bar_seq")?,
                    time: r.int("time")?,
                    side: r.text("side")?,
                    action: r.text("action")?,
                    price: r.real("price")?,
                    units: r.real("units")?,
                    commission: r.real("commission")?,
                    reason: r.opt_text("reason")?,
                    late: r.int("late")? != 0,
                })
            })
            .collect()
    }

    /// A run's closed trades in order (the engine's trade JSON).
    ///
    /// # Errors
    ///
    /// `Storage`; `Invalid` for unreadable JSON.
    pub async fn paper_trades(&self, run_id: Uuid) -> Result<Vec<Value>> {
        let rows = sqlx::query("SELECT trade FROM paper_trades WHERE run_id = ? ORDER BY seq")
            .bind(id_text(run_id))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| r.json("trade")).collect()
    }

    /// A run's events, newest first, at most `limit`.
    ///
    /// # Errors
    ///
    /// `Storage`; `Invalid` for an unreadable row.
    pub async fn paper_events(&self, run_id: Uuid, limit: Option<u32>) -> Result<Vec<PaperEvent>> {
        let rows = sqlx::query(
            "SELECT * FROM paper_events WHERE run_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
        )
        .bind(id_text(run_id))
        .bind(limit.map_or(-1, i64::from))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PaperEvent {
                    kind: r.enum_value("kind")?,
                    message: r.text("message")?,
                    bar_time: r.opt_int("bar_time")?,
                    detail: r.json("detail")?,
                    created_at: Some(r.time("created_at")?),
                })
            })
            .collect()
    }
}
