//! The sync itself: push the outbox in batches, pull per-table changes since a cursor,
//! resolve version-number clashes, and run in the background.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::json;
use sqlx::{Connection, PgPool, Postgres, SqliteConnection, Transaction};
use uuid::Uuid;

use super::config::RemoteConfig;
use super::details::{pull_details, push_details};
use super::error::{classify, SyncError, SyncResult};
use super::schema::ensure_schema;
use super::secret::SecretStore;
use super::tables::{table, Table, TABLES};
use crate::db::{fmt_time, id_text};
use crate::error::StoreError;
use crate::Store;

/// Cursor value before the first pull.
const START_CURSOR: &str = "0/00000000-0000-0000-0000-000000000000";
/// Cursor key of the tombstone stream in `sync_cursors`.
const TOMBSTONES: &str = "sync_tombstones";
/// Key in `sync_cursors` of the last access change of this user that a pull has seen.
const ACCESS: &str = "sync_access";

/// How a sync runs.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Outbox entries per pushed batch (one remote transaction each).
    pub batch_size: u32,
    /// Rows per pulled page (one local transaction each).
    pub page_size: i64,
    /// Create or upgrade the remote schema when it is missing or older and the role may.
    pub auto_migrate: bool,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            batch_size: 2000,
            page_size: 2000,
            auto_migrate: true,
        }
    }
}

/// What a sync is doing, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncPhase {
    /// Sending local changes.
    Push,
    /// Receiving remote changes.
    Pull,
}

/// A progress report, sent after every committed batch or page.
#[derive(Debug, Clone, Serialize)]
pub struct SyncProgress {
    /// Push or pull.
    pub phase: SyncPhase,
    /// The table of the page just applied (pull), or `None` for a push batch.
    pub table: Option<&'static str>,
    /// Rows sent or received so far in this phase.
    pub rows: u64,
    /// Batches (push) or pages (pull) committed so far in this phase.
    pub batches: u64,
    /// Local changes still queued (push only).
    pub pending: Option<u64>,
}

/// A strategy version that got another number because another device saved the same
/// number first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Renumbered {
    /// The version's id.
    pub version_id: Uuid,
    /// The strategy.
    pub strategy_id: Uuid,
    /// The number it was saved with.
    pub from: i32,
    /// The number it has now.
    pub to: i32,
}

/// What a sync did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncReport {
    /// Rows sent (upserts and deletes).
    pub pushed: u64,
    /// Push transactions committed.
    pub push_batches: u64,
    /// Rows the server did not take: not this role's to write, their parent deleted, or
    /// deleted on the server (a later pull brings the server's state).
    pub not_taken: u64,
    /// Rows received and applied.
    pub pulled: u64,
    /// Deletes received and applied.
    pub pulled_deletes: u64,
    /// Other users' rows removed here because the server no longer shows them to this
    /// user (a share withdrawn, a role taken away).
    pub withdrawn: u64,
    /// Pulled rows waiting on this device for a row they require (kept, and applied by a
    /// later pull once it arrives).
    pub waiting: u64,
    /// Version numbers changed to resolve clashes between devices.
    pub renumbered: Vec<Renumbered>,
    /// Run details (trades and equity) sent; only with `include_run_details`.
    pub details_pushed: u64,
    /// Run details received; only with `include_run_details`.
    pub details_pulled: u64,
    /// Wall time.
    pub elapsed: Duration,
}

/// The progress callback type.
pub type ProgressFn<'a> = &'a (dyn Fn(&SyncProgress) + Send + Sync);

fn no_progress(_: &SyncProgress) {}

/// A connected sync between a local [`Store`] and one remote server.
#[derive(Debug, Clone)]
pub struct Syncer {
    store: Store,
    pool: PgPool,
    options: SyncOptions,
    account: Option<Uuid>,
    /// The user the server maps the login role to (`None` for the owner).
    mapped: Option<Uuid>,
    /// Whether the role sees and writes everything (the owner or an administrator).
    admin: bool,
    details: bool,
}

fn parse_cursor(text: &str) -> (String, Uuid) {
    text.split_once('/')
        .and_then(|(txid, id)| Some((txid.to_owned(), Uuid::parse_str(id).ok()?)))
        .unwrap_or_else(|| ("0".to_owned(), Uuid::nil()))
}

fn parse_ids(ids: &[String]) -> Vec<Uuid> {
    ids.iter().filter_map(|s| Uuid::parse_str(s).ok()).collect()
}

impl Syncer {
    /// Connects with the password from `secrets`, checks (or creates) the remote schema and
    /// works out which account this device syncs as.
    ///
    /// # Errors
    ///
    /// `Auth`, `Unreachable`, `NoSchema`, `OlderSchema`, `NewerSchema`, `Keyring`, `Remote`.
    /// Nothing local changes on any of them.
    pub async fn connect(
        store: &Store,
        config: &RemoteConfig,
        secrets: &dyn SecretStore,
        options: SyncOptions,
    ) -> SyncResult<Self> {
        let pool = config.connect_with(secrets).await?;
        Self::with_pool(store, pool, config, options).await
    }

    /// As [`Syncer::connect`] over an existing pool.
    ///
    /// # Errors
    ///
    /// As [`Syncer::connect`].
    pub async fn with_pool(
        store: &Store,
        pool: PgPool,
        config: &RemoteConfig,
        options: SyncOptions,
    ) -> SyncResult<Self> {
        ensure_schema(&pool, &config.database, options.auto_migrate).await?;
        let (mapped, admin): (Option<Uuid>, bool) =
            sqlx::query_as("SELECT sg_current_user_id(), sg_is_admin()")
                .fetch_one(&pool)
                .await
                .map_err(classify)?;
        Ok(Self {
            store: store.clone(),
            pool,
            options,
            account: mapped.or(config.account_id),
            mapped,
            admin,
            details: config.include_run_details,
        })
    }

    /// The remote pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Adopts the account (if the device's profile is another user), pushes, then pulls.
    ///
    /// # Errors
    ///
    /// As [`Syncer::push`] and [`Syncer::pull`]; what committed before an error stays
    /// committed and the next sync resumes from there.
    pub async fn sync(&self, progress: Option<ProgressFn<'_>>) -> SyncResult<SyncReport> {
        let started = Instant::now();
        let mut report = SyncReport::default();
        self.adopt_account(&mut report).await?;
        let result = async {
            self.phase_into(SyncPhase::Push, &mut report, progress)
                .await?;
            self.phase_into(SyncPhase::Pull, &mut report, progress)
                .await?;
            Ok::<(), SyncError>(())
        }
        .await;
        if let Err(e) = &result {
            let _ = self
                .store
                .record_sync(false, false, Some(&e.to_string()))
                .await;
        }
        result?;
        report.elapsed = started.elapsed();
        Ok(report)
    }

    /// Sends every queued local change, in batches of [`SyncOptions::batch_size`] outbox
    /// entries, each batch one remote transaction followed by the local acknowledgement.
    ///
    /// # Errors
    ///
    /// `Interrupted` when the connection breaks (the batch in flight is rolled back on the
    /// server or, if it committed, re-sent idempotently next time); `Permission`; `Remote`;
    /// `Local`.
    pub async fn push(&self, progress: Option<ProgressFn<'_>>) -> SyncResult<SyncReport> {
        self.phase(SyncPhase::Push, progress).await
    }

    /// Receives every remote change since this device's cursors.
    ///
    /// # Errors
    ///
    /// As [`Syncer::push`].
    pub async fn pull(&self, progress: Option<ProgressFn<'_>>) -> SyncResult<SyncReport> {
        self.phase(SyncPhase::Pull, progress).await
    }

    /// Runs one phase alone, timed.
    async fn phase(
        &self,
        phase: SyncPhase,
        progress: Option<ProgressFn<'_>>,
    ) -> SyncResult<SyncReport> {
        let started = Instant::now();
        let mut report = SyncReport::default();
        self.phase_into(phase, &mut report, progress).await?;
        report.elapsed = started.elapsed();
        Ok(report)
    }

    /// Runs one phase into `report` and records its success.
    async fn phase_into(
        &self,
        phase: SyncPhase,
        report: &mut SyncReport,
        progress: Option<ProgressFn<'_>>,
    ) -> SyncResult<()> {
        match phase {
            SyncPhase::Push => {
                self.push_into(report, progress).await?;
                self.store.record_sync(true, false, None).await?;
            }
            SyncPhase::Pull => {
                self.pull_into(report, progress).await?;
                self.store.record_sync(false, true, None).await?;
            }
        }
        Ok(())
    }

    // Account -----------------------------------------------------------------------------

    /// When the device's profile is not the account it syncs as (a second device, or a
    /// profile made before sign-in), moves the profile's data to the account first, so that
    /// nothing is pushed under the wrong owner.
    async fn adopt_account(&self, report: &mut SyncReport) -> SyncResult<()> {
        let Some(account) = self.account else {
            return Ok(());
        };
        let profile: Option<String> =
            sqlx::query_scalar("SELECT user_id FROM local_profile WHERE id = 1")
                .fetch_optional(&self.store.pool)
                .await
                .map_err(StoreError::from)?;
        let account_text = id_text(account);
        if profile.as_deref() == Some(account_text.as_str()) {
            return Ok(());
        }
        if !self.has_local_user(&account_text).await? {
            self.pull_into(report, None).await?;
            // A transaction left open elsewhere on the server can hold the pull's bound
            // below the account's row: fetch that one row directly (later pulls bring it
            // again, unchanged).
            if !self.has_local_user(&account_text).await? && !self.fetch_account(account).await? {
                return Ok(()); // the account has no row on the server yet
            }
        }
        let mut apply = self.store.begin_remote_apply().await?;
        let conn = apply.conn();
        match profile {
            None => {
                exec(
                    conn,
                    "INSERT INTO local_profile (id, user_id) VALUES (1, ?1) \
                     ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id",
                    &[&account_text],
                )
                .await?;
            }
            Some(old) => {
                // Plans and usage belong to the account on the server; the provisional
                // profile's own go, unpushed.
                for t in ["plan_usage", "subscription_plans"] {
                    exec(
                        conn,
                        &format!(
                            "DELETE FROM sync_outbox WHERE table_name = '{t}' AND \
                         row_id IN (SELECT id FROM {t} WHERE user_id = ?1)"
                        ),
                        &[&old],
                    )
                    .await?;
                    exec(
                        conn,
                        &format!("DELETE FROM {t} WHERE user_id = ?1"),
                        &[&old],
                    )
                    .await?;
                }
                for (t, col) in [
                    ("strategies", "owner_id"),
                    ("strategy_versions", "created_by"),
                    ("backtest_runs", "requested_by"),
                    ("notifications", "user_id"),
                    ("template_shares", "educator_id"),
                    ("compliance_events", "created_by"),
                ] {
                    exec(
                        conn,
                        &format!(
                            "INSERT INTO sync_outbox (table_name, row_id, op) \
                         SELECT '{t}', id, 'update' FROM {t} WHERE {col} = ?1"
                        ),
                        &[&old],
                    )
                    .await?;
                    exec(
                        conn,
                        &format!("UPDATE {t} SET {col} = ?2 WHERE {col} = ?1"),
                        &[&old, &account_text],
                    )
                    .await?;
                }
                exec(
                    conn,
                    "UPDATE local_profile SET user_id = ?2 WHERE user_id = ?1",
                    &[&old, &account_text],
                )
                .await?;
                exec(
                    conn,
                    "DELETE FROM sync_outbox WHERE table_name = 'users' AND row_id = ?1",
                    &[&old],
                )
                .await?;
                exec(conn, "DELETE FROM users WHERE id = ?1", &[&old]).await?;
            }
        }
        apply.commit().await?;
        Ok(())
    }

    /// Whether this role may write rows of `t` at all.
    fn may_push(&self, t: &Table) -> bool {
        self.admin || t.push_allowed != "false"
    }

    /// Copies the account's own `users` row from the server; false when there is none.
    async fn fetch_account(&self, account: Uuid) -> SyncResult<bool> {
        let Some(users) = TABLES.iter().find(|t| t.name == "users") else {
            return Ok(false);
        };
        let row: Option<String> = sqlx::query_scalar(&users.remote_row_sql())
            .bind(account.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(classify)?;
        let Some(row) = row else {
            return Ok(false);
        };
        let mut apply = self.store.begin_remote_apply().await?;
        apply_rows(&self.store, apply.conn(), users, &format!("[{row}]")).await?;
        apply.commit().await?;
        Ok(true)
    }

    async fn has_local_user(&self, id: &str) -> SyncResult<bool> {
        let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM users WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.store.pool)
            .await
            .map_err(StoreError::from)?;
        Ok(found.is_some())
    }

    // Push --------------------------------------------------------------------------------

    async fn push_into(
        &self,
        report: &mut SyncReport,
        progress: Option<ProgressFn<'_>>,
    ) -> SyncResult<()> {
        let progress = progress.unwrap_or(&no_progress);
        let mut rows = 0u64;
        let mut batches = 0u64;
        // One session for the whole push: a broken connection stops the push (to be resumed
        // by the next sync) instead of silently continuing on another.
        let mut conn: Option<sqlx::pool::PoolConnection<Postgres>> = None;
        loop {
            let entries = self.store.pending_changes(self.options.batch_size).await?;
            let Some(last) = entries.last() else {
                break;
            };
            let max_seq = last.seq;
            // Collapse per row: the last entry's time is the change's time.
            let mut by_table: HashMap<&'static str, BTreeMap<String, String>> = HashMap::new();
            for e in &entries {
                // Plans and usage are the server's to write (administrators aside): the
                // local rows only mirror them, so they are acknowledged without sending.
                if let Some(t) = table(&e.table_name).filter(|t| self.may_push(t)) {
                    by_table
                        .entry(t.name)
                        .or_default()
                        .insert(e.row_id.clone(), e.changed_at.clone());
                }
            }
            let mut upserts: Vec<(&'static Table, Vec<String>, String)> = Vec::new();
            let mut deletes: Vec<(&'static Table, Vec<Uuid>)> = Vec::new();
            for t in TABLES {
                let Some(changed) = by_table.get(t.name) else {
                    continue;
                };
                let map: serde_json::Map<String, serde_json::Value> = changed
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                    .collect();
                let found: Vec<(String, String)> = sqlx::query_as(&t.local_read_sql())
                    .bind(serde_json::Value::Object(map).to_string())
                    .fetch_all(&self.store.pool)
                    .await
                    .map_err(StoreError::from)?;
                let present: std::collections::HashSet<&str> =
                    found.iter().map(|(id, _)| id.as_str()).collect();
                let gone: Vec<String> = changed
                    .keys()
                    .filter(|id| !present.contains(id.as_str()))
                    .cloned()
                    .collect();
                if !gone.is_empty() {
                    deletes.push((t, parse_ids(&gone)));
                }
                if !found.is_empty() {
                    let ids: Vec<String> = found.iter().map(|(id, _)| id.clone()).collect();
                    let body: Vec<&str> = found.iter().map(|(_, row)| row.as_str()).collect();
                    upserts.push((t, ids, format!("[{}]", body.join(","))));
                }
            }
            if conn.is_none() {
                conn = Some(self.pool.acquire().await.map_err(classify)?);
            }
            let Some(session) = conn.as_mut() else {
                break;
            };
            let mut tx = session.begin().await.map_err(classify)?;
            let mut renumbered = Vec::new();
            for (t, ids, json) in &upserts {
                let taken = if t.name == "strategy_versions" {
                    self.push_versions(&mut tx, t, json, &mut renumbered)
                        .await?
                } else {
                    let applied: Vec<Uuid> = sqlx::query_scalar(&t.remote_upsert_sql())
                        .bind(json)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(classify)?;
                    if applied.len() < ids.len() {
                        sqlx::query(&t.remote_touch_sql())
                            .bind(json)
                            .bind(&applied)
                            .execute(&mut *tx)
                            .await
                            .map_err(classify)?;
                    }
                    // Rows that are not new or changed count as taken (an identical retry).
                    let exist: i64 = sqlx::query_scalar(&format!(
                        "SELECT count(*) FROM {} WHERE id = ANY ($1::uuid[])",
                        t.remote
                    ))
                    .bind(parse_ids(ids))
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(classify)?;
                    u64::try_from(exist).unwrap_or(0)
                };
                sqlx::query("SELECT sg_touch_tombstones($1, $2::uuid[])")
                    .bind(t.name)
                    .bind(parse_ids(ids))
                    .execute(&mut *tx)
                    .await
                    .map_err(classify)?;
                report.not_taken += (ids.len() as u64).saturating_sub(taken);
                rows += ids.len() as u64;
            }
            for (t, ids) in deletes.iter().rev() {
                sqlx::query(&format!(
                    "DELETE FROM {} WHERE id = ANY ($1::uuid[])",
                    t.remote
                ))
                .bind(ids)
                .execute(&mut *tx)
                .await
                .map_err(classify)?;
                rows += ids.len() as u64;
            }
            tx.commit().await.map_err(classify)?;

            // Acknowledge, and take the server's numbers for renumbered versions.
            let mut apply = self.store.begin_remote_apply().await?;
            for r in &renumbered {
                place_version(apply.conn(), r.version_id, r.strategy_id, r.to, None).await?;
            }
            sqlx::query("DELETE FROM sync_outbox WHERE seq <= ?")
                .bind(max_seq)
                .execute(&mut *apply.conn())
                .await
                .map_err(StoreError::from)?;
            apply.commit().await?;
            report.renumbered.extend(renumbered);
            batches += 1;
            report.push_batches += 1;
            let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM sync_outbox")
                .fetch_one(&self.store.pool)
                .await
                .map_err(StoreError::from)?;
            progress(&SyncProgress {
                phase: SyncPhase::Push,
                table: None,
                rows,
                batches,
                pending: Some(u64::try_from(pending).unwrap_or(0)),
            });
        }
        report.pushed += rows;
        if self.details {
            report.details_pushed += push_details(&self.store, &self.pool, progress).await?;
        }
        Ok(())
    }

    /// Versions are immutable: new ones are inserted; one whose number another device took
    /// first gets the strategy's next free number, and the owner a `sync_conflict`
    /// notification. Returns how many rows of the batch the server now holds.
    async fn push_versions(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        t: &Table,
        json: &str,
        renumbered: &mut Vec<Renumbered>,
    ) -> SyncResult<u64> {
        let sql = t.remote_upsert_sql();
        // Reuse the generated recordset, values and admission test of the upsert.
        let (head, rest) = sql.split_once(" ON CONFLICT").unwrap_or((&sql, ""));
        let _ = rest;
        let insert = format!(
            "{head} AND NOT EXISTS (SELECT 1 FROM strategy_versions v \
             WHERE v.strategy_id = i.strategy_id AND v.version = i.version) \
             ON CONFLICT DO NOTHING RETURNING t.id"
        );
        sqlx::query(&insert)
            .bind(json)
            .execute(&mut **tx)
            .await
            .map_err(classify)?;
        let (with_i, _) = head.split_once(" INSERT INTO").unwrap_or((head, ""));
        let admit = head.split_once(" FROM i WHERE ").map_or("true", |(_, a)| a);
        let clashes: Vec<(Uuid, Uuid, i32)> = sqlx::query_as(&format!(
            "{with_i} SELECT i.id, i.strategy_id, i.version FROM i WHERE {admit} \
             AND NOT EXISTS (SELECT 1 FROM strategy_versions v WHERE v.id = i.id) \
             ORDER BY i.strategy_id, i.version"
        ))
        .bind(json)
        .fetch_all(&mut **tx)
        .await
        .map_err(classify)?;
        let (cols, values) = head
            .split_once(" AS t (")
            .and_then(|(_, r)| r.split_once(") SELECT "))
            .map(|(c, r)| (c, r.split_once(" FROM i WHERE ").map_or(r, |(v, _)| v)))
            .unwrap_or(("", ""));
        let values = values.replacen(
            "i.version",
            "(SELECT COALESCE(MAX(v.version), 0) + 1 FROM strategy_versions v \
             WHERE v.strategy_id = i.strategy_id)",
            1,
        );
        for (id, strategy_id, from) in clashes {
            sqlx::query("SELECT 1 FROM strategies WHERE id = $1 FOR UPDATE")
                .bind(strategy_id)
                .execute(&mut **tx)
                .await
                .map_err(classify)?;
            let to: i32 = sqlx::query_scalar(&format!(
                "{with_i} INSERT INTO strategy_versions ({cols}) SELECT {values} FROM i \
                 WHERE i.id = $2 RETURNING version"
            ))
            .bind(json)
            .bind(id)
            .fetch_one(&mut **tx)
            .await
            .map_err(classify)?;
            let now = self.store.now();
            sqlx::query(
                "INSERT INTO notifications (id, user_id, type, payload, channel, created_at, \
                 sync_stamp) SELECT $1, s.owner_id, 'sync_conflict', $2::jsonb, 'in_app', $3, $3 \
                 FROM strategies s WHERE s.id = $4",
            )
            .bind(Uuid::now_v7())
            .bind(
                renumbered_payload(
                    &id_text(strategy_id),
                    &id_text(id),
                    i64::from(from),
                    i64::from(to),
                )
                .to_string(),
            )
            .bind(now)
            .bind(strategy_id)
            .execute(&mut **tx)
            .await
            .map_err(classify)?;
            renumbered.push(Renumbered {
                version_id: id,
                strategy_id,
                from,
                to,
            });
        }
        let ids: Vec<Uuid> = sqlx::query_scalar(&format!(
            "{with_i} SELECT i.id FROM i JOIN strategy_versions v ON v.id = i.id"
        ))
        .bind(json)
        .fetch_all(&mut **tx)
        .await
        .map_err(classify)?;
        Ok(ids.len() as u64)
    }

    // Pull --------------------------------------------------------------------------------

    async fn pull_into(
        &self,
        report: &mut SyncReport,
        progress: Option<ProgressFn<'_>>,
    ) -> SyncResult<()> {
        let progress = progress.unwrap_or(&no_progress);
        let mut conn = self.pool.acquire().await.map_err(classify)?;
        let (mut tx, bound) = pull_snapshot(&mut conn).await?;
        let access = self.access_changed(&mut tx).await?;
        let mut rows_total = 0u64;
        let mut pages = 0u64;
        for t in TABLES {
            let sql = t.remote_pull_sql();
            loop {
                let rows = self.pull_page(&mut tx, t.name, &sql, &bound).await?;
                let Some((last_txid, last_id, _)) = rows.last() else {
                    break;
                };
                let next = format!("{last_txid}/{last_id}");
                let body: Vec<&str> = rows.iter().map(|(_, _, r)| r.as_str()).collect();
                let json = format!("[{}]", body.join(","));
                let mut apply = self.store.begin_remote_apply().await?;
                park_orphans(&self.store, apply.conn(), t, &json).await?;
                let applied = apply_rows(&self.store, apply.conn(), t, &json).await?;
                apply.set_cursor(t.name, &next).await?;
                apply.commit().await?;
                report.pulled += applied;
                rows_total += rows.len() as u64;
                pages += 1;
                progress(&SyncProgress {
                    phase: SyncPhase::Pull,
                    table: Some(t.name),
                    rows: rows_total,
                    batches: pages,
                    pending: None,
                });
                if (rows.len() as i64) < self.options.page_size {
                    break;
                }
            }
        }
        loop {
            let rows = self
                .pull_page(
                    &mut tx,
                    TOMBSTONES,
                    "SELECT sync_txid::text, row_id::text, table_name FROM sync_tombstones \
                     WHERE (sync_txid, row_id) > ($1::xid8, $2::uuid) AND sync_txid < $3::xid8 \
                     ORDER BY sync_txid, row_id LIMIT $4",
                    &bound,
                )
                .await?;
            let Some((last_txid, last_id, _)) = rows.last() else {
                break;
            };
            let next = format!("{last_txid}/{last_id}");
            let mut apply = self.store.begin_remote_apply().await?;
            for t in TABLES.iter().rev() {
                let ids: Vec<&str> = rows
                    .iter()
                    .filter(|(_, _, name)| name == t.name)
                    .map(|(_, id, _)| id.as_str())
                    .collect();
                if ids.is_empty() {
                    continue;
                }
                let ids = serde_json::to_string(&ids).map_err(StoreError::storage)?;
                report.pulled_deletes += delete_local(apply.conn(), t, &ids).await?;
            }
            apply.set_cursor(TOMBSTONES, &next).await?;
            apply.commit().await?;
            rows_total += rows.len() as u64;
            pages += 1;
            progress(&SyncProgress {
                phase: SyncPhase::Pull,
                table: Some(TOMBSTONES),
                rows: rows_total,
                batches: pages,
                pending: None,
            });
            if (rows.len() as i64) < self.options.page_size {
                break;
            }
        }
        report.withdrawn += self.withdraw_hidden(&mut tx).await?;
        report.waiting = self.apply_parked().await?;
        if let Some(marker) = access {
            let mut apply = self.store.begin_remote_apply().await?;
            apply.set_cursor(ACCESS, &marker).await?;
            apply.commit().await?;
        }
        tx.commit().await.map_err(classify)?;
        drop(conn);
        if self.details {
            report.details_pulled += pull_details(&self.store, &self.pool, progress).await?;
        }
        Ok(())
    }

    /// When what this user may see has changed since the last pull (see `sync_access` in
    /// `migrations/remote/0005_isolation.sql`), rewinds every table's cursor so that this
    /// pull brings everything now visible, and returns the change's marker to record once
    /// the pull is done. `None` when nothing changed (or the role is the owner's).
    async fn access_changed(
        &self,
        tx: &mut Transaction<'_, Postgres>,
    ) -> SyncResult<Option<String>> {
        if self.mapped.is_none() {
            return Ok(None);
        }
        let marker: Option<String> = sqlx::query_scalar(
            "SELECT changed_txid::text FROM sync_access WHERE user_id = sg_current_user_id()",
        )
        .fetch_optional(&mut **tx)
        .await
        .map_err(classify)?;
        let Some(marker) = marker else {
            return Ok(None);
        };
        if self.store.sync_cursor(ACCESS).await?.as_deref() == Some(marker.as_str()) {
            return Ok(None);
        }
        let mut apply = self.store.begin_remote_apply().await?;
        for t in TABLES {
            apply.set_cursor(t.name, START_CURSOR).await?;
        }
        apply.commit().await?;
        Ok(Some(marker))
    }

    /// Removes here the other users' rows (and waiting rows) that the server no longer
    /// shows this user, checked in the pull's snapshot. Owners and administrators see
    /// everything, so only deletes (tombstones) concern them.
    async fn withdraw_hidden(&self, tx: &mut Transaction<'_, Postgres>) -> SyncResult<u64> {
        let (Some(me), false) = (self.mapped, self.admin) else {
            return Ok(0);
        };
        let me = id_text(me);
        let mut removed = 0;
        for t in TABLES.iter().rev() {
            let mut held: Vec<String> = sqlx::query_scalar(&t.local_foreign_sql())
                .bind(&me)
                .fetch_all(&self.store.pool)
                .await
                .map_err(StoreError::from)?;
            let parked: Vec<String> =
                sqlx::query_scalar("SELECT row_id FROM sync_parked WHERE table_name = ?")
                    .bind(t.name)
                    .fetch_all(&self.store.pool)
                    .await
                    .map_err(StoreError::from)?;
            held.extend(parked);
            for chunk in held.chunks(5000) {
                let ids = parse_ids(chunk);
                let shown: Vec<Uuid> = sqlx::query_scalar(&format!(
                    "SELECT id FROM {} WHERE id = ANY ($1::uuid[])",
                    t.remote
                ))
                .bind(&ids)
                .fetch_all(&mut **tx)
                .await
                .map_err(classify)?;
                let shown: std::collections::HashSet<Uuid> = shown.into_iter().collect();
                let hidden: Vec<String> = ids
                    .iter()
                    .filter(|id| !shown.contains(id))
                    .map(|id| id_text(*id))
                    .collect();
                if hidden.is_empty() {
                    continue;
                }
                let hidden = serde_json::to_string(&hidden).map_err(StoreError::storage)?;
                let mut apply = self.store.begin_remote_apply().await?;
                removed += delete_local(apply.conn(), t, &hidden).await?;
                apply.commit().await?;
            }
        }
        Ok(removed)
    }

    /// Applies the waiting rows whose required rows have arrived, parents first, and
    /// returns how many still wait.
    async fn apply_parked(&self) -> SyncResult<u64> {
        let mut apply = self.store.begin_remote_apply().await?;
        for t in TABLES {
            let rows: Vec<String> = sqlx::query_scalar(
                "SELECT row_json FROM sync_parked WHERE table_name = ? ORDER BY row_id",
            )
            .bind(t.name)
            .fetch_all(&mut *apply.conn())
            .await
            .map_err(StoreError::from)?;
            if rows.is_empty() {
                continue;
            }
            let json = format!("[{}]", rows.join(","));
            apply_rows(&self.store, apply.conn(), t, &json).await?;
            exec(
                apply.conn(),
                &format!(
                    "DELETE FROM sync_parked WHERE table_name = ?1 \
                     AND row_id IN (SELECT id FROM {})",
                    t.name
                ),
                &[t.name],
            )
            .await?;
        }
        let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM sync_parked")
            .fetch_one(&mut *apply.conn())
            .await
            .map_err(StoreError::from)?;
        apply.commit().await?;
        Ok(u64::try_from(waiting).unwrap_or(0))
    }

    /// The next page of the pull stream `stream` (a table, or the tombstones): the rows
    /// `sql` returns after the stream's cursor (`$1`, `$2`) and below `bound` (`$3`), at
    /// most a page (`$4`), each as (txid, id, third column).
    async fn pull_page(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        stream: &str,
        sql: &str,
        bound: &str,
    ) -> SyncResult<Vec<(String, String, String)>> {
        let cursor = self.store.sync_cursor(stream).await?;
        let (txid, id) = parse_cursor(cursor.as_deref().unwrap_or(START_CURSOR));
        let rows = sqlx::query_as(sql)
            .bind(&txid)
            .bind(id)
            .bind(bound)
            .bind(self.options.page_size)
            .fetch_all(&mut **tx)
            .await
            .map_err(classify)?;
        Ok(rows)
    }
}

/// Opens the pull's read-only snapshot and returns it with its bound: rows of transactions
/// that finished before the bound are all visible in the snapshot, and no later commit can
/// add rows below it, so pulling below it never skips a row, whatever order concurrent
/// pushes commit in. Transactions already running when the pull starts (on any database of
/// the cluster) get a moment to finish first, so the pull sees everything committed before
/// it; one left open longer only delays its rows to a later pull.
async fn pull_snapshot(
    conn: &mut sqlx::pool::PoolConnection<Postgres>,
) -> SyncResult<(Transaction<'_, Postgres>, String)> {
    let target: String = sqlx::query_scalar("SELECT pg_snapshot_xmax(pg_current_snapshot())::text")
        .fetch_one(&mut **conn)
        .await
        .map_err(classify)?;
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let passed: bool =
            sqlx::query_scalar("SELECT pg_snapshot_xmin(pg_current_snapshot()) >= $1::xid8")
                .bind(&target)
                .fetch_one(&mut **conn)
                .await
                .map_err(classify)?;
        if passed || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut tx = conn
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await
        .map_err(classify)?;
    let bound: String = sqlx::query_scalar("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")
        .fetch_one(&mut *tx)
        .await
        .map_err(classify)?;
    Ok((tx, bound))
}

async fn exec(conn: &mut SqliteConnection, sql: &str, args: &[&str]) -> Result<u64, StoreError> {
    let mut q = sqlx::query(sql);
    for a in args {
        q = q.bind(*a);
    }
    Ok(q.execute(conn).await?.rows_affected())
}

/// Deletes the local rows of `t` whose ids `ids` (a JSON array) lists, and any of them
/// waiting in `sync_parked`; returns the rows deleted from `t`. Optional references to them
/// (a compliance event's author, a run's requester) become NULL first, as for rows pulled
/// while the referenced row is not here.
async fn delete_local(
    conn: &mut SqliteConnection,
    t: &Table,
    ids: &str,
) -> Result<u64, StoreError> {
    for child in TABLES {
        for col in child.cols {
            if col.refs == Some((t.name, false)) {
                exec(
                    conn,
                    &format!(
                        "UPDATE {} SET {c} = NULL WHERE {c} IN (SELECT value FROM json_each(?1))",
                        child.name,
                        c = col.name
                    ),
                    &[ids],
                )
                .await?;
            }
        }
    }
    exec(
        conn,
        "DELETE FROM sync_parked WHERE table_name = ?1 \
         AND row_id IN (SELECT value FROM json_each(?2))",
        &[t.name, ids],
    )
    .await?;
    exec(
        conn,
        &format!(
            "DELETE FROM {} WHERE id IN (SELECT value FROM json_each(?1))",
            t.name
        ),
        &[ids],
    )
    .await
}

/// Keeps aside the rows of a pulled page that cannot be applied yet because a row they
/// require is missing here (see `sync_parked`); a newer copy of a row replaces the older.
async fn park_orphans(
    store: &Store,
    conn: &mut SqliteConnection,
    t: &Table,
    json: &str,
) -> Result<(), StoreError> {
    exec(
        conn,
        "DELETE FROM sync_parked WHERE table_name = ?1 \
         AND row_id IN (SELECT value ->> '$.id' FROM json_each(?2))",
        &[t.name, json],
    )
    .await?;
    let now = fmt_time(store.now());
    exec(
        conn,
        &format!(
            "INSERT INTO sync_parked (table_name, row_id, row_json, parked_at) \
             SELECT ?2, o.*, ?3 FROM ({}) o",
            t.local_orphans_sql()
        ),
        &[json, t.name, &now],
    )
    .await?;
    Ok(())
}

/// Applies one pulled page locally: first makes room where a local row holds a unique key
/// an incoming row has (another device's slug, e-mail, version number or usage window),
/// then upserts. Returns the rows written.
async fn apply_rows(
    store: &Store,
    conn: &mut SqliteConnection,
    t: &Table,
    mut json: &str,
) -> Result<u64, StoreError> {
    let renamed: String;
    match t.name {
        "users" => {
            exec(
                conn,
                "UPDATE users SET email = id || '@stratagraph.invalid' WHERE id IN \
                 (SELECT u.id FROM users u JOIN json_each(?1) j \
                  ON u.email = j.value ->> '$.email' AND u.id <> j.value ->> '$.id')",
                &[json],
            )
            .await?;
        }
        "strategies" => {
            renamed = local_slugs(conn, json).await?;
            json = &renamed;
            exec(
                conn,
                "UPDATE strategies SET slug = slug || '-' || substr(id, 25) WHERE id IN \
                 (SELECT s.id FROM strategies s JOIN json_each(?1) j \
                  ON s.slug = j.value ->> '$.slug' AND s.id <> j.value ->> '$.id')",
                &[json],
            )
            .await?;
        }
        "plan_usage" => {
            exec(
                conn,
                "DELETE FROM plan_usage WHERE id IN (SELECT p.id FROM plan_usage p \
                 JOIN json_each(?1) j ON p.user_id = j.value ->> '$.user_id' \
                 AND p.metric = j.value ->> '$.metric' \
                 AND p.window_start = j.value ->> '$.window_start' \
                 AND p.id <> j.value ->> '$.id')",
                &[json],
            )
            .await?;
        }
        "paper_fills" | "paper_trades" => {
            // A run driven on two devices at once (resumed on one before the other's last
            // bars arrived) has rows of both under one sequence number: each device keeps its
            // own where they clash, and the pull goes on.
            renamed = sqlx::query_scalar(&format!(
                "SELECT json_group_array(json(j.value)) FROM json_each(?1) j \
                 WHERE NOT EXISTS (SELECT 1 FROM {} r WHERE r.run_id = j.value ->> '$.run_id' \
                 AND r.seq = j.value ->> '$.seq' AND r.id <> j.value ->> '$.id')",
                t.name
            ))
            .bind(json)
            .fetch_one(&mut *conn)
            .await?;
            json = &renamed;
        }
        "strategy_versions" => {
            let clashes: Vec<(String, String, i64)> = sqlx::query_as(
                "SELECT j.value ->> '$.id', j.value ->> '$.strategy_id', \
                 j.value ->> '$.version' FROM json_each(?1) j \
                 WHERE EXISTS (SELECT 1 FROM strategy_versions v \
                   WHERE v.strategy_id = j.value ->> '$.strategy_id' \
                   AND v.version = j.value ->> '$.version' AND v.id <> j.value ->> '$.id') \
                 AND NOT EXISTS (SELECT 1 FROM sync_outbox o WHERE o.table_name = \
                   'strategy_versions' AND o.row_id = j.value ->> '$.id')",
            )
            .bind(json)
            .fetch_all(&mut *conn)
            .await?;
            for (id, strategy, version) in clashes {
                let (Ok(id), Ok(strategy)) = (Uuid::parse_str(&id), Uuid::parse_str(&strategy))
                else {
                    continue;
                };
                let version = i32::try_from(version)
                    .map_err(|_| StoreError::invalid("version", "out of range"))?;
                place_version(conn, id, strategy, version, Some((store, json))).await?;
            }
        }
        _ => {}
    }
    let done = sqlx::query(&t.local_apply_sql())
        .bind(json)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}

/// Slugs are unique per owner on the server but unique on a device, which also holds the
/// strategies other users share: another user's strategy whose slug is taken here (or
/// arrives twice in this page) is given the slug plus the end of its id, here only (other
/// users' rows are never pushed). Returns the page with those slugs changed.
async fn local_slugs(conn: &mut SqliteConnection, json: &str) -> Result<String, StoreError> {
    let me: Option<String> = sqlx::query_scalar("SELECT user_id FROM local_profile WHERE id = 1")
        .fetch_optional(&mut *conn)
        .await?;
    let mut rows: Vec<serde_json::Value> =
        serde_json::from_str(json).map_err(StoreError::storage)?;
    let taken: HashMap<String, String> = sqlx::query_as(
        "SELECT s.slug, s.id FROM strategies s \
         WHERE s.slug IN (SELECT value ->> '$.slug' FROM json_each(?1))",
    )
    .bind(json)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect();
    let mut in_page: HashMap<String, usize> = HashMap::new();
    for row in &rows {
        if let Some(slug) = row["slug"].as_str() {
            *in_page.entry(slug.to_owned()).or_default() += 1;
        }
    }
    for row in &mut rows {
        let (Some(id), Some(slug)) = (row["id"].as_str(), row["slug"].as_str()) else {
            continue;
        };
        let foreign = row["owner_id"].as_str() != me.as_deref();
        let clash = taken.get(slug).is_some_and(|holder| holder != id)
            || in_page.get(slug).copied().unwrap_or(0) > 1;
        if foreign && clash {
            let local = format!("{slug}-{}", id.get(24..).unwrap_or(id));
            row["slug"] = serde_json::Value::String(local);
        }
    }
    serde_json::to_string(&rows).map_err(StoreError::storage)
}

/// The payload of the `sync_conflict` notification that tells a version's owner it was
/// renumbered (on the server at push, or locally at pull).
fn renumbered_payload(
    strategy_id: &str,
    version_id: &str,
    from: i64,
    to: i64,
) -> serde_json::Value {
    json!({
        "strategy_id": strategy_id,
        "version_id": version_id,
        "saved_as": from,
        "renumbered_to": to,
        "reason": "another device saved this version number first",
        "message": format!(
            "Version {from} you saved is now version {to}: another device saved version \
             {from} of this strategy first"
        ),
    })
}

/// Gives version `id` the number `to` locally, first moving any other local version that
/// holds that number to the next free one (counting `incoming`'s numbers as taken). A moved
/// version that was never pushed is this device's save clashing with another device's: the
/// owner gets a `sync_conflict` notification (queued for push like any local change).
async fn place_version(
    conn: &mut SqliteConnection,
    id: Uuid,
    strategy_id: Uuid,
    to: i32,
    incoming: Option<(&Store, &str)>,
) -> Result<(), StoreError> {
    let id_s = id_text(id);
    let sid = id_text(strategy_id);
    let holder: Option<(String, i64)> = sqlx::query_as(
        "SELECT id, version FROM strategy_versions WHERE strategy_id = ? AND version = ? AND id <> ?",
    )
    .bind(&sid)
    .bind(to)
    .bind(&id_s)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((other, from)) = holder {
        let incoming_json = incoming.map_or("[]", |(_, j)| j);
        let (next,): (i64,) = sqlx::query_as(
            "SELECT MAX(m) + 1 FROM (SELECT COALESCE(MAX(version), 0) AS m FROM strategy_versions \
             WHERE strategy_id = ?1 UNION ALL SELECT COALESCE(MAX(CAST(j.value ->> '$.version' \
             AS INTEGER)), 0) FROM json_each(?2) j WHERE j.value ->> '$.strategy_id' = ?1)",
        )
        .bind(&sid)
        .bind(incoming_json)
        .fetch_one(&mut *conn)
        .await?;
        sqlx::query("UPDATE strategy_versions SET version = ? WHERE id = ?")
            .bind(next)
            .bind(&other)
            .execute(&mut *conn)
            .await?;
        let pending: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM sync_outbox WHERE table_name = 'strategy_versions' AND row_id = ? LIMIT 1",
        )
        .bind(&other)
        .fetch_optional(&mut *conn)
        .await?;
        if let (Some(_), Some((store, _))) = (pending, incoming) {
            let note = id_text(Uuid::now_v7());
            let now = fmt_time(store.now());
            let payload = renumbered_payload(&sid, &other, from, next).to_string();
            let inserted = sqlx::query(
                "INSERT INTO notifications (id, user_id, type, payload, channel, created_at) \
                 SELECT ?1, owner_id, 'sync_conflict', ?2, 'in_app', ?3 FROM strategies \
                 WHERE id = ?4",
            )
            .bind(&note)
            .bind(&payload)
            .bind(&now)
            .bind(&sid)
            .execute(&mut *conn)
            .await?;
            if inserted.rows_affected() > 0 {
                sqlx::query(
                    "INSERT INTO sync_outbox (table_name, row_id, op, changed_at) \
                     VALUES ('notifications', ?, 'insert', ?)",
                )
                .bind(&note)
                .bind(&now)
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    sqlx::query("UPDATE strategy_versions SET version = ? WHERE id = ?")
        .bind(to)
        .bind(&id_s)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Where a device stands with its remote.
#[derive(Debug, Clone, Serialize)]
pub struct SyncStatus {
    /// The configured server (no secret), if any.
    pub remote: Option<RemoteConfig>,
    /// Local changes waiting to be pushed.
    pub pending: i64,
    /// Last push, last pull, last error.
    pub record: super::config::SyncRecord,
    /// Pull position per table.
    pub cursors: Vec<(String, String)>,
    /// This device's profile (the user it syncs as unless configured or mapped otherwise);
    /// `None` before the profile exists.
    pub profile_id: Option<Uuid>,
    /// Unread `sync_conflict` notifications of the profile.
    pub unread_conflicts: i64,
}

impl Store {
    /// The device's sync state, without contacting the server (and without writing).
    ///
    /// # Errors
    ///
    /// `Storage`.
    pub async fn sync_status(&self) -> Result<SyncStatus, StoreError> {
        let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM sync_outbox")
            .fetch_one(&self.pool)
            .await?;
        let cursors: Vec<(String, String)> =
            sqlx::query_as("SELECT table_name, cursor FROM sync_cursors ORDER BY table_name")
                .fetch_all(&self.pool)
                .await?;
        let profile: Option<String> =
            sqlx::query_scalar("SELECT user_id FROM local_profile WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?;
        let unread_conflicts: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM notifications WHERE type = 'sync_conflict' \
             AND read_at IS NULL AND user_id = (SELECT user_id FROM local_profile WHERE id = 1)",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(SyncStatus {
            remote: self.remote_config().await?,
            pending,
            record: self.sync_record().await?,
            cursors,
            profile_id: profile.and_then(|p| Uuid::parse_str(&p).ok()),
            unread_conflicts,
        })
    }
}

/// A sync running in the background on an interval and on demand.
#[derive(Debug)]
pub struct BackgroundSync {
    wake: Arc<tokio::sync::Notify>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    last: Arc<Mutex<Option<Result<SyncReport, String>>>>,
    task: tokio::task::JoinHandle<()>,
}

/// Work done on the server after each successful background sync, on the sync's
/// connection (e.g. sending what an app queued while offline); its error counts as the
/// sync's.
pub type AfterSync = Arc<
    dyn Fn(
            Store,
            PgPool,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = SyncResult<()>> + Send>>
        + Send
        + Sync,
>;

impl BackgroundSync {
    /// Starts syncing `store` with its configured remote every `interval` (and at once),
    /// running `after` (if any) after each successful sync. Failures are recorded (see
    /// [`Store::sync_record`]) and retried at the next tick.
    pub fn spawn(
        store: Store,
        secrets: Arc<dyn SecretStore>,
        options: SyncOptions,
        interval: Duration,
        after: Option<AfterSync>,
    ) -> Self {
        let wake = Arc::new(tokio::sync::Notify::new());
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let last = Arc::new(Mutex::new(None));
        let (w, s, l) = (wake.clone(), stop.clone(), last.clone());
        let task = tokio::spawn(async move {
            let mut syncer: Option<Syncer> = None;
            while !s.load(std::sync::atomic::Ordering::SeqCst) {
                let outcome = async {
                    if syncer.is_none() {
                        let config = store
                            .remote_config()
                            .await?
                            .ok_or(SyncError::NotConfigured)?;
                        syncer = Some(
                            Syncer::connect(&store, &config, secrets.as_ref(), options.clone())
                                .await?,
                        );
                    }
                    match &syncer {
                        Some(sy) => {
                            let report = sy.sync(None).await?;
                            if let Some(after) = &after {
                                after(store.clone(), sy.pool().clone()).await?;
                            }
                            Ok(report)
                        }
                        None => Err(SyncError::NotConfigured),
                    }
                }
                .await;
                if outcome.is_err() {
                    syncer = None; // reconnect next time
                }
                *l.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
                    Some(outcome.map_err(|e| e.to_string()));
                tokio::select! {
                    () = w.notified() => {}
                    () = tokio::time::sleep(interval) => {}
                }
            }
        });
        Self {
            wake,
            stop,
            last,
            task,
        }
    }

    /// Runs a sync now (or right after the one in progress).
    pub fn sync_now(&self) {
        self.wake.notify_one();
    }

    /// The outcome of the last completed sync.
    pub fn last_outcome(&self) -> Option<Result<SyncReport, String>> {
        self.last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Stops after the sync in progress, if any, and waits for it.
    pub async fn stop(self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        self.wake.notify_one();
        let _ = self.task.await;
    }
}
