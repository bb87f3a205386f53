//! The rows of the store as Rust types, and the enums stored as the schema's text values.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::db::DbEnum;
use crate::error::StoreError;

macro_rules! db_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in schema order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The text stored in the database (and used in JSON).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = StoreError;

            fn from_str(s: &str) -> Result<Self, StoreError> {
                <Self as DbEnum>::from_db(s).ok_or_else(|| {
                    StoreError::invalid(stringify!($name), format!("unknown value {s:?}"))
                })
            }
        }

        impl DbEnum for $name {
            const NAME: &'static str = stringify!($name);

            fn from_db(s: &str) -> Option<Self> {
                match s {
                    $($text => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

db_enum! {
    /// What a user may do (`users.roles`).
    Role {
        /// Builds, backtests and paper-trades strategies.
        Trader = "trader",
        /// Publishes templates for students.
        Educator = "educator",
        /// Reviews what educators publish (approves or rejects templates).
        Reviewer = "reviewer",
        /// Administers the installation.
        Admin = "admin",
    }
}

db_enum! {
    /// Life cycle of a strategy (`strategies.status`).
    StrategyStatus {
        /// Being drawn.
        Draft = "draft",
        /// In use.
        Active = "active",
        /// Put away.
        Archived = "archived",
    }
}

db_enum! {
    /// Who may see a strategy (`strategies.visibility`).
    Visibility {
        /// Only the owner.
        Private = "private",
        /// Anyone with the link.
        Unlisted = "unlisted",
        /// Everyone.
        Public = "public",
    }
}

db_enum! {
    /// State of a backtest run (`backtest_runs.status`).
    RunStatus {
        /// Created, not yet started.
        Queued = "queued",
        /// Executing.
        Running = "running",
        /// Finished with metrics.
        Completed = "completed",
        /// Finished with an error.
        Failed = "failed",
        /// Stopped by the user.
        Cancelled = "cancelled",
        /// Was running when the app stopped.
        Interrupted = "interrupted",
    }
}

db_enum! {
    /// State of a paper-trading run (`paper_trade_runs.status`):
    /// `pending → running ⇄ paused → stopped`, or `error` with the reason.
    PaperRunStatus {
        /// Created, not started yet.
        Pending = "pending",
        /// Processing bars as they close.
        Running = "running",
        /// Paused by the user, or waiting for a decision on a late order.
        Paused = "paused",
        /// Stopped for good.
        Stopped = "stopped",
        /// Stopped by an error (`status_reason` says which).
        Error = "error",
    }
}

db_enum! {
    /// Where a paper run's bars come from (`paper_trade_runs.feed`).
    PaperFeed {
        /// A stored dataset played as a live feed under a simulated clock.
        Replay = "replay",
        /// Binance spot klines (public market data, no key).
        Binance = "binance",
        /// Kraken OHLC (public, no key).
        Kraken = "kraken",
    }
}

db_enum! {
    /// What a paper run does with an order that would have filled while it was not running
    /// (`paper_trade_runs.catch_up_policy`).
    CatchUpPolicy {
        /// Fill it as the backtest would (marked late).
        Trade = "trade",
        /// Fill it, mark it late and notify.
        TradeAndFlag = "trade_and_flag",
        /// Pause the run before it fills and ask (resume with `fill` or `skip`).
        Pause = "pause",
    }
}

db_enum! {
    /// The user's answer to a late order that paused a run (`paper_trade_runs.late_decision`).
    LateDecision {
        /// Fill it late.
        Fill = "fill",
        /// Drop it.
        Skip = "skip",
    }
}

db_enum! {
    /// Kind of a paper run's event (`paper_events.kind`).
    PaperEventKind {
        /// The status changed.
        Status = "status",
        /// An order filled (or would have) after its bar had long closed.
        LateOrder = "late_order",
        /// The feed skipped bars.
        Gap = "gap",
        /// The feed changed a bar after it had closed and been traded on.
        Revision = "revision",
        /// The feed failed; retrying.
        FeedError = "feed_error",
        /// The feed answers again.
        FeedOk = "feed_ok",
        /// Notifications were held back by the flood limit.
        FloodLimited = "flood_limited",
        /// A late order was dropped at the user's request.
        OrderSkipped = "order_skipped",
    }
}

db_enum! {
    /// State of a subscription plan (`subscription_plans.status`). `active` and `trialing`
    /// plans are in force; any other status falls back to the free quotas.
    PlanStatus {
        /// Paid and current.
        Active = "active",
        /// In a trial period (in force).
        Trialing = "trialing",
        /// Payment overdue.
        PastDue = "past_due",
        /// Cancelled by the user.
        Cancelled = "cancelled",
        /// Ran out.
        Expired = "expired",
    }
}

db_enum! {
    /// What a notification is about (`notifications.type`).
    NotificationType {
        /// A backtest finished.
        BacktestDone = "backtest_done",
        /// A parameter sweep finished.
        SweepDone = "sweep_done",
        /// A paper run filled an order.
        PaperFill = "paper_fill",
        /// A paper run raised an alert.
        PaperAlert = "paper_alert",
        /// Someone cloned your template.
        TemplateCloned = "template_cloned",
        /// A compliance reviewer decided.
        ComplianceDecision = "compliance_decision",
        /// A quota is close to its limit.
        QuotaNearLimit = "quota_near_limit",
        /// The sync met a conflict.
        SyncConflict = "sync_conflict",
    }
}

db_enum! {
    /// Where a notification is delivered (`notifications.channel`).
    Channel {
        /// The in-app inbox.
        InApp = "in_app",
        /// An OS notification (and the inbox).
        Os = "os",
        /// E-mail, sent by the remote service.
        Email = "email",
    }
}

db_enum! {
    /// Who may see and clone a template (`template_shares.audience_scope`).
    AudienceScope {
        /// Only the educator (a draft).
        Private = "private",
        /// The educator's students.
        Students = "students",
        /// Everyone.
        Public = "public",
        /// The members of one of the educator's cohorts (server-side).
        Cohort = "cohort",
        /// Every user of the shared server.
        Organisation = "organisation",
    }
}

db_enum! {
    /// State of a compliance event (`compliance_events.status`).
    ComplianceStatus {
        /// Waiting for a reviewer.
        Open = "open",
        /// Approved by a reviewer.
        Approved = "approved",
        /// Rejected by a reviewer.
        Rejected = "rejected",
        /// An audit record that needs no decision.
        Recorded = "recorded",
    }
}

db_enum! {
    /// What happened to a row, as queued in the sync outbox.
    OutboxOp {
        /// The row was inserted.
        Insert = "insert",
        /// The row was updated.
        Update = "update",
        /// The row was deleted.
        Delete = "delete",
    }
}

/// A user (`users`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// Id.
    pub id: Uuid,
    /// Unique e-mail address.
    pub email: String,
    /// Name shown in the UI.
    pub display_name: String,
    /// Roles, at least one.
    pub roles: Vec<Role>,
    /// The plan code the user is on (`free`, `pro`, ...).
    pub plan_tier: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last time the profile was used.
    pub last_active_at: Option<DateTime<Utc>>,
}

/// A new user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewUser {
    /// Unique e-mail address.
    pub email: String,
    /// Name shown in the UI.
    pub display_name: String,
    /// Roles, at least one.
    pub roles: Vec<Role>,
}

/// Changes to a profile; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProfileUpdate {
    /// New e-mail address.
    pub email: Option<String>,
    /// New display name.
    pub display_name: Option<String>,
    /// New roles.
    pub roles: Option<Vec<Role>>,
}

/// A subscription plan (`subscription_plans`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubscriptionPlan {
    /// Id.
    pub id: Uuid,
    /// The subscriber.
    pub user_id: Uuid,
    /// Stripe customer, when billed.
    pub stripe_customer_id: Option<String>,
    /// Plan code (`free`, `pro`, ...).
    pub plan_code: String,
    /// Limits per metric, e.g. `{"templates_published": 3}`.
    pub quota: Value,
    /// Billing state.
    pub status: PlanStatus,
    /// Next renewal.
    pub renewal_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A new subscription plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewPlan {
    /// The subscriber.
    pub user_id: Uuid,
    /// Plan code (`free`, `pro`, ...); also becomes the user's `plan_tier`.
    pub plan_code: String,
    /// Limits per metric (a JSON object of non-negative integers; `null` = unlimited).
    pub quota: Value,
    /// Billing state.
    pub status: PlanStatus,
    /// Stripe customer, when billed.
    pub stripe_customer_id: Option<String>,
    /// Next renewal.
    pub renewal_at: Option<DateTime<Utc>>,
}

/// How a quota metric is counted; see [`crate::QuotaWindow`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuotaStatus {
    /// The metric.
    pub metric: String,
    /// Used in the current window (the request size for per-request limits).
    pub used: i64,
    /// The limit, `None` when the plan sets none (unlimited).
    pub limit: Option<i64>,
    /// `limit - used`, `None` when unlimited.
    pub remaining: Option<i64>,
    /// When the window resets; `None` for counts without a window.
    pub resets_at: Option<DateTime<Utc>>,
}

/// A strategy (`strategies`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Strategy {
    /// Id.
    pub id: Uuid,
    /// Owner.
    pub owner_id: Uuid,
    /// Title.
    pub title: String,
    /// Unique URL-safe name derived from the first title (`my-strategy-2` on a clash).
    pub slug: String,
    /// Life cycle.
    pub status: StrategyStatus,
    /// Who may see it.
    pub visibility: Visibility,
    /// Tags (trimmed, deduplicated).
    pub tags: Vec<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change, including the last saved version.
    pub updated_at: DateTime<Utc>,
}

/// Filters for [`crate::Store::list_strategies`]; empty = all, newest change first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StrategyFilter {
    /// Only this owner's.
    pub owner_id: Option<Uuid>,
    /// Case-insensitive substring of the title or of a tag.
    pub search: Option<String>,
    /// Only strategies carrying exactly this tag.
    pub tag: Option<String>,
    /// Only this status.
    pub status: Option<StrategyStatus>,
    /// At most this many.
    pub limit: Option<u32>,
}

/// A saved, immutable strategy version (`strategy_versions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategyVersion {
    /// Id.
    pub id: Uuid,
    /// The strategy.
    pub strategy_id: Uuid,
    /// 1, 2, 3 ... per strategy.
    pub version: i32,
    /// The graph document.
    pub graph_json: Value,
    /// Notes given at save.
    pub notes: Option<String>,
    /// Author.
    pub created_by: Option<Uuid>,
    /// Save time.
    pub created_at: DateTime<Utc>,
}

/// A version without its graph, for history lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionSummary {
    /// Id.
    pub id: Uuid,
    /// The strategy.
    pub strategy_id: Uuid,
    /// Version number.
    pub version: i32,
    /// Notes given at save.
    pub notes: Option<String>,
    /// Author.
    pub created_by: Option<Uuid>,
    /// Save time.
    pub created_at: DateTime<Utc>,
    /// Size of the stored graph JSON in bytes.
    pub graph_bytes: i64,
}

/// A backtest run (`backtest_runs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BacktestRun {
    /// Id.
    pub id: Uuid,
    /// The version that was run.
    pub strategy_version_id: Uuid,
    /// Who asked for it.
    pub requested_by: Option<Uuid>,
    /// Parameters, data identity and anything the engine needs to reproduce the run.
    pub parameters: Value,
    /// State.
    pub status: RunStatus,
    /// Summary metrics (with an `"error"` key for failed runs).
    pub metrics: Option<Value>,
    /// When it started running.
    pub started_at: Option<DateTime<Utc>>,
    /// When it reached a final state.
    pub completed_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// Filters for [`crate::Store::list_runs`]; empty = all runs, newest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunFilter {
    /// Only runs of versions of this strategy.
    pub strategy_id: Option<Uuid>,
    /// Only runs of this version.
    pub strategy_version_id: Option<Uuid>,
    /// Only runs in this state.
    pub status: Option<RunStatus>,
    /// At most this many.
    pub limit: Option<u32>,
}

/// One point of an equity curve: time in milliseconds since the Unix epoch, and equity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EquityPoint {
    /// Milliseconds since 1970-01-01 UTC.
    pub t: i64,
    /// Equity at `t`.
    pub v: f64,
}

/// What offline review of a run needs beyond its metrics (the local-only table
/// `backtest_run_details`).
///
/// Size: the trade list is kept in full as the caller's JSON (the trade table must be exact;
/// a run has hundreds to a few thousand trades, tens to hundreds of KB). The equity curve is
/// stored decimated to at most [`crate::MAX_EQUITY_POINTS`] points by
/// [`crate::decimate_equity`] (first and last point plus each bucket's minimum and maximum, so
/// drawdowns and peaks survive) in a compact blob of 16 bytes per point (i64 ms + f64, little
/// endian): at most 32 KB per run however long the test, against 40 bytes per point as JSON
/// and millions of points for minute bars. The full curve is not lost: it is recomputed
/// deterministically from the version's graph, the data and the parameters, which the run
/// records (`parameters` holds the data identity; `result_hash` lets the recomputation be
/// checked against the original).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunDetails {
    /// Hash of the full result, as the engine computes it.
    pub result_hash: Option<String>,
    /// The trade list, a JSON array as the engine writes it.
    pub trades: Value,
    /// The equity curve (decimated on write when longer than the limit).
    pub equity: Vec<EquityPoint>,
    /// How many points the full curve had.
    pub equity_points_full: u64,
}

/// [`RunDetails`] without the trade list: what a run's header and its equity and drawdown
/// charts need, read without parsing tens of thousands of trades
/// ([`crate::Store::run_details_head`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunDetailsHead {
    /// Hash of the full result, as the engine computes it.
    pub result_hash: Option<String>,
    /// The decimated equity curve.
    pub equity: Vec<EquityPoint>,
    /// How many points the full curve had.
    pub equity_points_full: u64,
    /// Closed trades in the stored list (the open trade not counted).
    pub closed_trades: u64,
    /// The open trade at the end (the list's last entry when its `exit_reason` is `open`).
    pub open_trade: Option<Value>,
}

/// Which page of a run's closed trades [`crate::Store::run_trades_page`] reads.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TradePageQuery {
    /// Rows skipped (in the sorted order).
    pub offset: u64,
    /// Rows returned at most.
    pub limit: u64,
    /// Sort by this trade field (a plain field name such as `pnl` or `entry_time`; numbers
    /// sort numerically, text as text); `None` keeps the stored (time) order.
    pub sort_key: Option<String>,
    /// Descending instead of ascending.
    pub desc: bool,
}

/// A paper-trading run (`paper_trade_runs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaperTradeRun {
    /// Id.
    pub id: Uuid,
    /// The version being traded.
    pub strategy_version_id: Uuid,
    /// The seed's schedule document: `{"cron": …, "catch_up": …}`, mirroring
    /// `schedule_cron` and `catch_up_policy`.
    pub schedule: Value,
    /// State.
    pub status: PaperRunStatus,
    /// When the last bar was processed.
    pub last_execution_at: Option<DateTime<Utc>>,
    /// Latest figures: equity, cash, position, return, trades.
    pub performance_snapshot: Option<Value>,
    /// Which events notify (`{"entry": true, "exit": true, "stop": true, "error": true,
    /// "stopped": true, "drawdown_pct": 10}`).
    pub alert_config: Option<Value>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// A name for lists.
    pub name: String,
    /// Parameter values the version runs with.
    pub parameters: Value,
    /// Where the bars come from.
    pub feed: PaperFeed,
    /// The market's symbol (exchange spelling; the dataset's for a replay).
    pub symbol: String,
    /// Bar interval (`1m`, `1h`…).
    pub bar_interval: String,
    /// Feed settings: the replay clock, a base URL.
    pub feed_config: Value,
    /// Starting cash.
    pub initial_cash: f64,
    /// Commission as a fraction of traded value.
    pub commission: f64,
    /// Slippage, basis points.
    pub slippage_bps: f64,
    /// The trading window: only bars whose open time matches this cron expression (UTC) are
    /// traded. `None`: every bar.
    pub schedule_cron: Option<String>,
    /// What happens to orders that would have filled while the run was not running.
    pub catch_up_policy: CatchUpPolicy,
    /// Only bars that open after this time (ms UTC) are traded.
    pub start_after: Option<i64>,
    /// Why the run is paused or in error.
    pub status_reason: Option<String>,
    /// The feed's last condition (`ok`, or the error being retried).
    pub feed_status: Option<String>,
    /// The answer to a late order that paused the run, used once on resume.
    pub late_decision: Option<LateDecision>,
    /// The engine state after the last processed bar (JSON text).
    pub state_snapshot: Option<String>,
    /// Bars processed so far.
    pub bars_processed: i64,
    /// Open time of the last processed bar, ms UTC.
    pub last_bar_time: Option<i64>,
    /// Fills so far.
    pub fills_count: i64,
    /// Notifications held back by the flood limit since the last one sent.
    pub notifications_held: i64,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// The device that drives the run (see [`crate::Store::device_id`]): runs synced from
    /// another device are shown, and driven only where they were last started or resumed.
    pub driver_device: Option<Uuid>,
}

/// An inbox entry (`notifications`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// Id.
    pub id: Uuid,
    /// Recipient.
    pub user_id: Uuid,
    /// What it is about (column `type`).
    #[serde(rename = "type")]
    pub kind: NotificationType,
    /// Details for the UI.
    pub payload: Value,
    /// Delivery channel.
    pub channel: Channel,
    /// When it was read.
    pub read_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// A published template (`template_shares`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateShare {
    /// Id.
    pub id: Uuid,
    /// The published version.
    pub strategy_version_id: Uuid,
    /// The educator who published it.
    pub educator_id: Option<Uuid>,
    /// Who may see and clone it.
    pub audience_scope: AudienceScope,
    /// Title, description, level ... (a JSON object).
    pub metadata: Value,
    /// How often it was cloned.
    pub clone_count: i64,
    /// Publication time.
    pub created_at: DateTime<Utc>,
}

/// A clone of a template: the new strategy and its version 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClonedTemplate {
    /// The new strategy.
    pub strategy: Strategy,
    /// Its version 1, holding the template's graph.
    pub version: StrategyVersion,
    /// The template, with its clone count after this clone.
    pub template: TemplateShare,
}

/// A compliance or audit event (`compliance_events`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComplianceEvent {
    /// Id.
    pub id: Uuid,
    /// Kind of entity (`template_share`, `strategy`, ...).
    pub entity_type: String,
    /// The entity.
    pub entity_id: Uuid,
    /// What happened (`template_published`, `template_cloned`, ...).
    pub event_type: String,
    /// Details; a resolution adds `"resolution": {decision, reason, resolved_by}`.
    pub payload: Value,
    /// State.
    pub status: ComplianceStatus,
    /// Who caused it.
    pub created_by: Option<Uuid>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// When a reviewer decided.
    pub resolved_at: Option<DateTime<Utc>>,
}

/// A new compliance event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewComplianceEvent {
    /// Kind of entity.
    pub entity_type: String,
    /// The entity.
    pub entity_id: Uuid,
    /// What happened.
    pub event_type: String,
    /// Details (a JSON object).
    pub payload: Value,
    /// `Open` (needs a decision) or `Recorded` (audit only).
    pub status: ComplianceStatus,
    /// Who caused it.
    pub created_by: Option<Uuid>,
}

/// A reviewer's decision on an open compliance event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplianceDecision {
    /// Approve.
    Approve,
    /// Reject.
    Reject,
}

/// One queued local change for the sync (`sync_outbox`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// Position in the outbox; pushes go in this order.
    pub seq: i64,
    /// The synced table.
    pub table_name: String,
    /// The row's id.
    pub row_id: String,
    /// What happened to it.
    pub op: OutboxOp,
    /// When (database clock).
    pub changed_at: String,
}
