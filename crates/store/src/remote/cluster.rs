//! Sweeps run on a cluster, gathered on the shared server (`migrations/remote/0008`): each
//! shard writes its rows through `sg_cluster_sweep_write`, one transaction per batch,
//! idempotent by (sweep, shard, row), under its user's own login role and plan quota; the
//! desktop app lists the user's cluster sweeps with their progress and reads a finished
//! one's rows.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Row};
use uuid::Uuid;

use super::error::{classify, SyncError, SyncResult};

/// Rows sent in one batch (one transaction).
pub const ROWS_PER_BATCH: usize = 1000;

/// What identifies a shard's rows: the server sweep, the sweep's identity and the shard.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardKey {
    /// The server sweep (chosen by whoever launches the shards).
    pub sweep_id: Uuid,
    /// The sweep's identity (hex BLAKE3 of graph, settings and combinations).
    pub sweep_hash: String,
    /// The data's content hash (hex).
    pub data_hash: String,
    /// Shards in the sweep.
    pub shards: u32,
    /// Combinations in the sweep.
    pub total: u64,
    /// The metric the rows are ranked by.
    pub sort: String,
    /// The grid as given (a JSON object), shown by the app.
    pub spec: Value,
    /// This shard, from 0.
    pub shard: u32,
    /// Combinations in this shard.
    pub combinations: u64,
}

/// One combination's outcome as stored on the server.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterRow {
    /// Position in the sweep's own order.
    pub index: u64,
    /// Parameter values (a JSON object).
    pub params: Value,
    /// Metrics (a JSON object).
    pub metrics: Value,
    /// Daily-return moments in blocks, `[[n, sum, sum_sq], ...]`.
    pub blocks: Value,
}

/// What writing a shard did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Rows this call inserted (0 when the shard was already in).
    pub inserted: u64,
    /// The shard's rows on the server afterwards.
    pub stored: u64,
    /// Transactions used.
    pub batches: u64,
}

/// A cluster sweep of the user's, with its progress.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterSweep {
    /// Server sweep id.
    pub id: Uuid,
    /// The sweep's identity.
    pub sweep_hash: String,
    /// The data's content hash.
    pub data_hash: String,
    /// Shards in the sweep.
    pub shards: u64,
    /// Combinations in the sweep.
    pub total: u64,
    /// The metric the rows are ranked by.
    pub sort: String,
    /// The grid as given.
    pub spec: Value,
    /// Shards with every row in.
    pub shards_done: u64,
    /// Rows on the server.
    pub rows_in: u64,
    /// When the first batch arrived.
    pub created_at: DateTime<Utc>,
}

impl ClusterSweep {
    /// Whether every row is in.
    pub fn complete(&self) -> bool {
        self.shards_done == self.shards && self.rows_in == self.total
    }
}

/// Opens a small pool from a `postgres://user:password@host:port/database` URL (as a shard
/// reads it from its credentials file or Secret). Errors never repeat the URL: it holds the
/// password.
///
/// # Errors
///
/// `Unreachable` for an unreadable URL or a server that cannot be reached, `Auth` for a
/// refused login.
pub async fn connect_url(url: &str) -> SyncResult<PgPool> {
    let options = PgConnectOptions::from_str(url.trim())
        .map_err(|_| SyncError::Unreachable {
            host: "?".into(),
            port: 0,
            reason: "the server URL is not a postgres://user:password@host:port/database URL"
                .into(),
        })?
        .application_name("stratagraph-shard")
        .options([("timezone", "UTC")])
        .disable_statement_logging();
    let (host, port, user) = (
        options.get_host().to_owned(),
        options.get_port(),
        options.get_username().to_owned(),
    );
    PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(options)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db)
                if matches!(db.code().as_deref(), Some("28P01" | "28000")) =>
            {
                SyncError::Auth { host, port, user }
            }
            sqlx::Error::Database(db) => SyncError::Unreachable {
                host,
                port,
                reason: db.message().to_owned(),
            },
            other => SyncError::Unreachable {
                host,
                port,
                reason: other.to_string(),
            },
        })
}

/// The server's refusals as errors that say why.
fn refusal(err: sqlx::Error) -> SyncError {
    if let sqlx::Error::Database(db) = &err {
        match db.code().as_deref() {
            Some("54000") => {
                let limit = db
                    .message()
                    .rsplit(' ')
                    .next()
                    .and_then(|l| l.parse().ok())
                    .unwrap_or(0);
                return SyncError::QuotaExceeded {
                    metric: "server_sweep_rows_per_month".into(),
                    limit,
                };
            }
            Some("23505" | "22023") => return SyncError::Refused(db.message().to_owned()),
            Some("42883") => {
                return SyncError::Refused(
                    "the server has no cluster sweeps yet: its owner runs `stratagraph sync \
                     migrate` (schema 8)"
                        .into(),
                )
            }
            _ => {}
        }
    }
    classify(err)
}

fn rows_json(rows: &[ClusterRow]) -> Value {
    Value::Array(
        rows.iter()
            .map(|r| {
                serde_json::json!({
                    "idx": r.index, "params": r.params, "metrics": r.metrics, "blocks": r.blocks,
                })
            })
            .collect(),
    )
}

/// Writes a shard's rows, [`ROWS_PER_BATCH`] per transaction (one empty batch for a shard
/// without rows, so it counts as done). Writing the same shard again inserts nothing; rows
/// that differ from those stored, a sweep of another identity under the same id, another
/// user's sweep and an exceeded quota are refused (the batch changes nothing).
///
/// # Errors
///
/// `Refused` with the server's reason, `QuotaExceeded`, `Permission`, `Interrupted`, `Remote`.
pub async fn write_shard(
    pool: &PgPool,
    key: &ShardKey,
    rows: &[ClusterRow],
    progress: &(dyn Fn(u64) + Sync),
) -> SyncResult<Written> {
    let too_big = |what: &str| SyncError::Refused(format!("{what} is too large"));
    let total = i32::try_from(key.total).map_err(|_| too_big("the sweep"))?;
    let combinations = i32::try_from(key.combinations).map_err(|_| too_big("the shard"))?;
    let shards = i32::try_from(key.shards).map_err(|_| too_big("the shard count"))?;
    let shard = i32::try_from(key.shard).map_err(|_| too_big("the shard index"))?;
    let mut written = Written {
        inserted: 0,
        stored: 0,
        batches: 0,
    };
    let empty: [ClusterRow; 0] = [];
    let batches: Vec<&[ClusterRow]> = if rows.is_empty() {
        vec![&empty]
    } else {
        rows.chunks(ROWS_PER_BATCH).collect()
    };
    let mut sent = 0u64;
    for batch in batches {
        let (inserted, stored): (i32, i32) = sqlx::query_as(
            "SELECT inserted, stored FROM sg_cluster_sweep_write($1, $2, $3, $4, $5, $6, $7, \
             $8, $9, $10)",
        )
        .bind(key.sweep_id)
        .bind(&key.sweep_hash)
        .bind(&key.data_hash)
        .bind(shards)
        .bind(total)
        .bind(&key.sort)
        .bind(&key.spec)
        .bind(shard)
        .bind(combinations)
        .bind(rows_json(batch))
        .fetch_one(pool)
        .await
        .map_err(refusal)?;
        written.inserted += u64::try_from(inserted).unwrap_or(0);
        written.stored = u64::try_from(stored).unwrap_or(0);
        written.batches += 1;
        sent += batch.len() as u64;
        progress(sent);
    }
    Ok(written)
}

const SWEEP_SELECT: &str = "SELECT s.id, s.sweep_hash, s.data_hash, s.shards, s.total, s.sort, \
     s.spec, s.created_at, \
     (SELECT count(*) FROM cluster_sweep_shards h WHERE h.sweep_id = s.id \
        AND h.finished_at IS NOT NULL) AS shards_done, \
     (SELECT count(*) FROM cluster_sweep_rows r WHERE r.sweep_id = s.id) AS rows_in \
     FROM cluster_sweeps s";

fn sweep_from(row: &sqlx::postgres::PgRow) -> Result<ClusterSweep, sqlx::Error> {
    let count = |v: i64| u64::try_from(v).unwrap_or(0);
    Ok(ClusterSweep {
        id: row.try_get("id")?,
        sweep_hash: row.try_get("sweep_hash")?,
        data_hash: row.try_get("data_hash")?,
        shards: count(i64::from(row.try_get::<i32, _>("shards")?)),
        total: count(i64::from(row.try_get::<i32, _>("total")?)),
        sort: row.try_get("sort")?,
        spec: row.try_get("spec")?,
        shards_done: count(row.try_get("shards_done")?),
        rows_in: count(row.try_get("rows_in")?),
        created_at: row.try_get("created_at")?,
    })
}

/// The connected user's cluster sweeps (row-level security shows no one else's), newest
/// first, with their progress.
///
/// # Errors
///
/// `Refused` when the server has no cluster sweeps (schema before 8); `Interrupted`,
/// `Remote`.
pub async fn list_cluster_sweeps(pool: &PgPool) -> SyncResult<Vec<ClusterSweep>> {
    let rows = sqlx::query(&format!(
        "{SWEEP_SELECT} ORDER BY s.created_at DESC, s.id DESC LIMIT 200"
    ))
    .fetch_all(pool)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(db) if db.code().as_deref() == Some("42P01") => SyncError::Refused(
            "the server has no cluster sweeps yet: its owner runs `stratagraph sync migrate` \
             (schema 8)"
                .into(),
        ),
        _ => classify(e),
    })?;
    rows.iter()
        .map(|r| sweep_from(r).map_err(classify))
        .collect()
}

/// One cluster sweep of the user's, with its progress.
///
/// # Errors
///
/// `Refused` when there is no such sweep of the user's; as [`list_cluster_sweeps`].
pub async fn get_cluster_sweep(pool: &PgPool, id: Uuid) -> SyncResult<ClusterSweep> {
    let row = sqlx::query(&format!("{SWEEP_SELECT} WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(classify)?
        .ok_or_else(|| SyncError::Refused(format!("no cluster sweep {id} of yours")))?;
    sweep_from(&row).map_err(classify)
}

/// Every row of a cluster sweep of the user's, in the sweep's own order.
///
/// # Errors
///
/// As [`get_cluster_sweep`].
pub async fn cluster_sweep_rows(pool: &PgPool, id: Uuid) -> SyncResult<Vec<ClusterRow>> {
    let rows = sqlx::query(
        "SELECT idx, params, metrics, blocks FROM cluster_sweep_rows WHERE sweep_id = $1 \
         ORDER BY idx",
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .map_err(classify)?;
    rows.iter()
        .map(|r| {
            Ok(ClusterRow {
                index: u64::try_from(r.try_get::<i32, _>("idx")?).unwrap_or(0),
                params: r.try_get("params")?,
                metrics: r.try_get("metrics")?,
                blocks: r.try_get("blocks")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(classify)
}
