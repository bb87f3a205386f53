//! Stratagraph's embedded store: a SQLite file holding the ten tables of the remote schema,
//! with a typed repository API, atomic quotas and the outbox that the remote sync will push.
//!
//! # Opening
//!
//! [`Store::open`] takes a path (tests, the CLI's `--db`), [`Store::open_default`] uses
//! [`resolve_db_path`] (`STRATAGRAPH_DB`, else the platform's app-data directory). Every
//! connection runs in WAL mode with foreign keys on and a busy timeout; the migrations in
//! `migrations/local/` (embedded at build time) are applied at open.
//!
//! # Conventions
//!
//! * Ids are UUIDv7 generated here, stored as lowercase hyphenated text.
//! * Times come from a [`Clock`] (tests use [`ManualClock`]) and are stored as text in one
//!   fixed UTC format, `YYYY-MM-DDTHH:MM:SS.ffffffZ`, so text order is time order.
//! * Enums are stored as the text values the schema's `CHECK` lists allow; a row holding an
//!   unknown value reads as [`StoreError::Invalid`] naming the column, never a panic.
//! * Every write that belongs together runs in one `BEGIN IMMEDIATE` transaction (the write
//!   lock is taken up front, so concurrent writers wait on the busy timeout instead of failing
//!   on a stale snapshot).
//!
//! # Departures from the reference schema (the ten tables the product was specified with)
//!
//! * Types: `UUID`, `TIMESTAMPTZ`, `JSONB` and `TEXT[]` are `TEXT` (with `json_valid`,
//!   `json_type(...) = 'array'|'object'` and length checks); enum columns get `CHECK` lists.
//! * Ownership foreign keys that the seed leaves nullable are `NOT NULL` here
//!   (`subscription_plans.user_id`, `plan_usage.user_id`, `strategies.owner_id`,
//!   `strategy_versions.strategy_id`, `backtest_runs.strategy_version_id`,
//!   `paper_trade_runs.strategy_version_id`, `notifications.user_id`,
//!   `template_shares.strategy_version_id`): a row without its owner is meaningless and would
//!   escape the cascades and the per-strategy version numbering. `strategies.tags` and
//!   `template_shares.clone_count` are `NOT NULL` with their defaults for the same reason.
//!   Author columns (`created_by`, `requested_by`, `educator_id`) stay nullable as in the seed.
//! * `backtest_runs` keeps `PRIMARY KEY (id)`: the `(id, created_at)` key is a TimescaleDB
//!   requirement of the remote hypertable only.
//! * Extra indexes for the app's queries: strategies by owner and `updated_at`, plans by user,
//!   runs by version and by `created_at`, running runs (partial), notifications by user and
//!   time, templates by version, compliance events by status.
//! * Local-only tables: `backtest_run_details` (see [`RunDetails`]), `local_profile` (which
//!   user is this installation's), `sync_state`, `sync_outbox`, `sync_cursors` (see
//!   [`sync`]). A `BEFORE UPDATE` trigger makes `strategy_versions` immutable.
//! * Paper trading (`migrations/local/0003_paper_trading.sql`): `paper_trade_runs` gains the
//!   run's market, costs, window, catch-up policy, engine state and counters, and its status
//!   values become `pending`, `running`, `paused`, `stopped`, `error`; the bars each run saw,
//!   its fills, closed trades, events and replay data live in `paper_bars`, `paper_fills`,
//!   `paper_trades`, `paper_events` and `paper_replay_data`, and `paper_run_leases` (local
//!   only) says which process drives a run. Runs, fills, trades and events sync
//!   (`0007_paper_sync.sql`); `driver_device` names the device that drives a run
//!   (`local_device` holds this installation's id), and bars, replay data and leases stay
//!   on that device.
//! * `sync_remote` (local only, `migrations/local/0002_sync_remote.sql`): the remote server's
//!   address for [`remote`]; the password lives in the OS keyring, never here.
//! * `sweeps`, `sweep_rows` and `research_trials` (local only,
//!   `migrations/local/0004_research.sql`): stored parameter sweeps and the trial ledger.
//! * Educators (`migrations/local/0006_educators.sql`): the role `compliance` is now
//!   `reviewer`, and `template_shares.audience_scope` also takes `cohort` and `organisation`
//!   (templates the shared server shows this user; cohorts, reviews and clone counts are the
//!   server's, see `migrations/README.md`).
//! * `cluster_sweep_links` (local only, `migrations/local/0008_cluster_sweeps.sql`): sweeps
//!   launched on a cluster from this device, their server sweep id and the local sweep their
//!   rows became once complete (see [`remote::list_cluster_sweeps`]).
//!
//! The remote (PostgreSQL) schema's own departures are listed in `migrations/README.md`.

pub mod clock;
mod cluster;
mod compliance;
pub use compliance::{PUBLISH_ENTITY, PUBLISH_REQUEST};
mod db;
pub mod error;
pub mod model;
mod notifications;
mod paper;
pub mod publish_checks;
mod quotas;
pub mod remote;
mod research;
mod runs;
mod store;
mod strategies;
pub mod sync;
mod templates;
mod users;
mod versions;

pub use clock::{Clock, ManualClock, SystemClock};
pub use cluster::ClusterLink;
pub use error::{Result, StoreError};
pub use model::*;
pub use paper::{
    BarCommit, CommitOutcome, LeaseHolder, NewPaperRun, PaperBarRow, PaperEvent, PaperFillRow,
    PaperLease, StatusChange, FLOOD_LIMIT, FLOOD_WINDOW,
};
pub use quotas::{
    free_quota, QuotaWindow, COHORT_SIZE, FREE_PLAN_CODE, METERED, TEMPLATES_PUBLISHED,
};
pub use research::{NewSweep, SweepRecord, SweepRow, SweepStatus, TrialCounts};
pub use runs::{decimate_equity, MAX_EQUITY_POINTS};
pub use store::{default_db_path, resolve_db_path, Durability, Store, StoreOptions, DB_ENV_VAR};
pub use versions::MAX_GRAPH_BYTES;
