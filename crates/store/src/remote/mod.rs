//! Sync with a remote PostgreSQL (optionally TimescaleDB) server: the schema of
//! `migrations/remote/`, the push/pull engine, credentials, and server-side quotas.
//!
//! # How a sync works
//!
//! * **Push.** The outbox (see [`crate::sync`]) is read in `seq` order in batches; each
//!   batch's rows are read in their current state and sent as one remote transaction of
//!   set-based upserts (a JSON array per table through `jsonb_to_recordset`), deletes for
//!   rows that are gone, then acknowledged locally. Mutable rows resolve by last writer wins
//!   on `(sync_stamp, md5 of the content)`: `sync_stamp` is `updated_at` where the table has
//!   one, else the time of the local change; the content hash breaks ties the same way on
//!   every server and device, and an identical retry changes nothing. A row that loses is
//!   re-announced so the device pulls the winner. Deleted rows leave tombstones; a deleted
//!   row is never resurrected (ids are never reused).
//! * **Versions.** Strategy versions are immutable. A version whose `(strategy_id, version)`
//!   another device pushed first is inserted with the strategy's next free number, and the
//!   owner gets a `sync_conflict` notification; the device takes the new number when it
//!   acknowledges the batch. A pull that brings another device's version with a number a
//!   local unpushed version holds renumbers the local one the same way.
//! * **Pull.** Every remote row carries `sync_txid`, the id of the transaction that last
//!   wrote it. A pull runs in one repeatable-read snapshot and reads, per table in parent →
//!   child order, rows past the table's cursor `(sync_txid, id)` and below the snapshot's
//!   `xmin`, so a transaction that commits late is never skipped. Each page is applied in
//!   one local transaction together with its cursor: an interrupted pull resumes exactly.
//!   Rows with unpushed local changes are left alone (the push settles them on the server);
//!   rows whose required parent is not here wait in `sync_parked` and are applied once it
//!   arrives, so the cursor never moves past a row that is lost.
//! * **Visibility.** What a user may see can change without the rows changing: a template
//!   shared or withdrawn, a role granted or taken. Sharing re-stamps the rows it exposes in
//!   the sharing transaction (they come after every cursor, in commit order); an access
//!   change is recorded in `sync_access`, and the user's devices rewind their cursors and
//!   pull everything again. Each pull also asks the server which of the other users' rows
//!   the device holds are still visible, and removes the rest.
//! * **Accounts.** A login role mapped to a user (`sg_role_users`) syncs that user's rows;
//!   row-level security enforces it. The owner role syncs as `RemoteConfig::account_id` or
//!   the device's profile. A device whose profile is another (provisional) user moves its
//!   data to the account before its first push.
//! * **Run details.** The bulky `backtest_run_details` (trades, decimated equity) travel only
//!   when [`RemoteConfig::include_run_details`] is set: after the outbox, a push sends the
//!   details the server lacks of runs it has; after the tables, a pull fetches the details
//!   this device lacks of runs it has. Details never change once written, so neither needs
//!   a queue or a cursor.

mod cluster;
mod config;
mod details;
mod educators;
mod engine;
mod error;
mod provision;
mod quota;
mod schema;
mod secret;
mod tables;

pub use cluster::{
    cluster_sweep_rows, connect_url, get_cluster_sweep, list_cluster_sweeps, write_shard,
    ClusterRow, ClusterSweep, ShardKey, Written, ROWS_PER_BATCH,
};
pub use config::{RemoteConfig, SyncRecord, TlsMode};
pub use educators::{
    add_to_cohort, clone_template, create_cohort, decide_review, grant_role, list_cohorts,
    list_templates, publish_template, review_queue, show_template, template_reference_run,
    version_graph, withdraw_template, Check, CohortRow, Publish, Published, ReviewRow,
    TemplateDetail, TemplateRow,
};
pub use engine::{
    AfterSync, BackgroundSync, ProgressFn, Renumbered, SyncOptions, SyncPhase, SyncProgress,
    SyncReport, SyncStatus, Syncer,
};
pub use error::{SyncError, SyncResult};
pub use provision::{provision_user, scram_verifier, Provision};
pub use quota::remote_consume;
pub use schema::{
    ensure_schema, migrate, schema_state, Migrated, SchemaState, REMOTE_SCHEMA_VERSION,
};
pub use secret::{
    KeyringSecretStore, MemorySecretStore, SecretStore, TimedKeyring, KEYRING_SERVICE,
    KEYRING_TIMEOUT,
};
