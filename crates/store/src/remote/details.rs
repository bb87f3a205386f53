//! Bulky run details (`backtest_run_details`: the trade list and the decimated equity curve),
//! synced only when the configuration's `include_run_details` is set.
//!
//! Details are written once, when a run completes, and never change; they go with their run
//! when it is deleted (a cascade on both sides). So the sync needs no outbox or cursor for
//! them: a push sends the details the server lacks of runs the server has (and this role may
//! see); a pull fetches the details this device lacks of runs it has. Both are idempotent,
//! and a device that turns the option on later sends and receives everything from then on.

use sqlx::PgPool;
use uuid::Uuid;

use super::engine::{SyncPhase, SyncProgress};
use super::error::{classify, SyncResult};
use crate::error::StoreError;
use crate::Store;

/// Run ids per existence check on the server.
const ID_CHUNK: usize = 1000;
/// Runs per transferred batch (each a few KB to a few MB).
const DETAIL_BATCH: usize = 32;

/// The table name reported in progress.
pub(super) const DETAILS: &str = "backtest_run_details";

fn uuids(ids: &[String]) -> Vec<Uuid> {
    ids.iter().filter_map(|s| Uuid::parse_str(s).ok()).collect()
}

type LocalRow = (String, Option<String>, String, Vec<u8>, i64, String);

/// Sends the details of runs that the server has and whose details it lacks. Returns how
/// many the server took.
pub(super) async fn push_details(
    store: &Store,
    pool: &PgPool,
    progress: &(dyn Fn(&SyncProgress) + Send + Sync),
) -> SyncResult<u64> {
    let local: Vec<String> =
        sqlx::query_scalar("SELECT run_id FROM backtest_run_details ORDER BY run_id")
            .fetch_all(&store.pool)
            .await
            .map_err(StoreError::from)?;
    let mut wanted: Vec<Uuid> = Vec::new();
    for chunk in local.chunks(ID_CHUNK) {
        let ids: Vec<Uuid> = sqlx::query_scalar(
            "SELECT r.id FROM backtest_runs_visible r WHERE r.id = ANY ($1::uuid[]) \
             AND NOT EXISTS (SELECT 1 FROM backtest_run_details d WHERE d.run_id = r.id)",
        )
        .bind(uuids(chunk))
        .fetch_all(pool)
        .await
        .map_err(classify)?;
        wanted.extend(ids);
    }
    let mut sent = 0u64;
    for (done_batches, batch) in wanted.chunks(DETAIL_BATCH).enumerate() {
        let ids: Vec<String> = batch.iter().map(|id| id.to_string()).collect();
        let rows: Vec<LocalRow> = sqlx::query_as(
            "SELECT run_id, result_hash, trades_json, equity, equity_points_full, created_at \
             FROM backtest_run_details WHERE run_id IN (SELECT value FROM json_each(?1))",
        )
        .bind(serde_json::to_string(&ids).map_err(StoreError::storage)?)
        .fetch_all(&store.pool)
        .await
        .map_err(StoreError::from)?;
        let mut id = Vec::with_capacity(rows.len());
        let mut hash = Vec::with_capacity(rows.len());
        let mut trades = Vec::with_capacity(rows.len());
        let mut equity = Vec::with_capacity(rows.len());
        let mut full = Vec::with_capacity(rows.len());
        let mut created = Vec::with_capacity(rows.len());
        for (i, h, t, e, f, c) in rows {
            let Ok(i) = Uuid::parse_str(&i) else {
                continue;
            };
            id.push(i);
            hash.push(h);
            trades.push(t);
            equity.push(e);
            full.push(f);
            created.push(c);
        }
        let done = sqlx::query(
            "INSERT INTO backtest_run_details (run_id, run_created_at, result_hash, trades, \
             equity, equity_points_full, created_at) \
             SELECT u.id, r.created_at, u.hash, u.trades::json, u.equity, u.points, \
             u.created::timestamptz \
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[], $5::int8[], \
             $6::text[]) AS u (id, hash, trades, equity, points, created) \
             JOIN backtest_runs_visible r ON r.id = u.id \
             ON CONFLICT (run_id) DO NOTHING",
        )
        .bind(&id)
        .bind(&hash)
        .bind(&trades)
        .bind(&equity)
        .bind(&full)
        .bind(&created)
        .execute(pool)
        .await
        .map_err(classify)?;
        sent += done.rows_affected();
        progress(&SyncProgress {
            phase: SyncPhase::Push,
            table: Some(DETAILS),
            rows: sent,
            batches: done_batches as u64 + 1,
            pending: None,
        });
    }
    Ok(sent)
}

type RemoteRow = (String, Option<String>, String, Vec<u8>, i64, String);

/// Fetches the details this device lacks of runs it has. Returns how many were stored.
pub(super) async fn pull_details(
    store: &Store,
    pool: &PgPool,
    progress: &(dyn Fn(&SyncProgress) + Send + Sync),
) -> SyncResult<u64> {
    let missing: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM backtest_runs r WHERE status = 'completed' \
         AND NOT EXISTS (SELECT 1 FROM backtest_run_details d WHERE d.run_id = r.id) ORDER BY id",
    )
    .fetch_all(&store.pool)
    .await
    .map_err(StoreError::from)?;
    let mut available: Vec<Uuid> = Vec::new();
    for chunk in missing.chunks(ID_CHUNK) {
        let ids: Vec<Uuid> = sqlx::query_scalar(
            "SELECT run_id FROM backtest_run_details WHERE run_id = ANY ($1::uuid[]) \
             ORDER BY run_id",
        )
        .bind(uuids(chunk))
        .fetch_all(pool)
        .await
        .map_err(classify)?;
        available.extend(ids);
    }
    let mut got = 0u64;
    for (done_batches, batch) in available.chunks(DETAIL_BATCH).enumerate() {
        let rows: Vec<RemoteRow> = sqlx::query_as(
            "SELECT run_id::text, result_hash, trades::text, equity, equity_points_full, \
             to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') \
             FROM backtest_run_details WHERE run_id = ANY ($1::uuid[])",
        )
        .bind(batch)
        .fetch_all(pool)
        .await
        .map_err(classify)?;
        let mut apply = store.begin_remote_apply().await?;
        for (id, hash, trades, equity, full, created) in rows {
            let done = sqlx::query(
                "INSERT OR IGNORE INTO backtest_run_details (run_id, result_hash, trades_json, \
                 equity, equity_points_full, created_at) \
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM backtest_runs \
                 WHERE id = ?1)",
            )
            .bind(&id)
            .bind(hash)
            .bind(trades)
            .bind(equity)
            .bind(full)
            .bind(created)
            .execute(&mut *apply.conn())
            .await
            .map_err(StoreError::from)?;
            got += done.rows_affected();
        }
        apply.commit().await?;
        progress(&SyncProgress {
            phase: SyncPhase::Pull,
            table: Some(DETAILS),
            rows: got,
            batches: done_batches as u64 + 1,
            pending: None,
        });
    }
    Ok(got)
}
