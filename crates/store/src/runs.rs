//! Backtest runs: queued → running → completed / failed / cancelled, interrupted at start-up,
//! with the local-only details needed for offline review.

use serde_json::Value;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Sqlite};
use uuid::Uuid;

use crate::db::{id_text, json_text, RowExt, MAX_JSON_BYTES};
use crate::error::{Result, StoreError};
use crate::model::{
    BacktestRun, EquityPoint, RunDetails, RunDetailsHead, RunFilter, TradePageQuery,
};
use crate::Store;

/// Most equity points kept per run (see [`RunDetails`] for why).
pub const MAX_EQUITY_POINTS: usize = 2000;

/// Reduces a curve to at most `max_points` (minimum 4) points, keeping the first and last
/// point and, in each of `(max_points - 2) / 2` equal buckets, the lowest and the highest
/// point in time order, so peaks and drawdowns survive. Shorter curves come back unchanged.
pub fn decimate_equity(points: &[EquityPoint], max_points: usize) -> Vec<EquityPoint> {
    let max_points = max_points.max(4);
    if points.len() <= max_points {
        return points.to_vec();
    }
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Vec::new();
    };
    let inner = &points[1..points.len() - 1];
    let buckets = (max_points - 2) / 2;
    let mut out = Vec::with_capacity(max_points);
    out.push(*first);
    for b in 0..buckets {
        let start = b * inner.len() / buckets;
        let end = (b + 1) * inner.len() / buckets;
        let Some(slice) = inner.get(start..end) else {
            continue;
        };
        if slice.is_empty() {
            continue;
        }
        let (mut lo, mut hi) = (0, 0);
        for (i, p) in slice.iter().enumerate() {
            if p.v < slice[lo].v {
                lo = i;
            }
            if p.v > slice[hi].v {
                hi = i;
            }
        }
        let (a, b2) = if lo <= hi { (lo, hi) } else { (hi, lo) };
        out.push(slice[a]);
        if b2 != a {
            out.push(slice[b2]);
        }
    }
    out.push(*last);
    out
}

fn encode_equity(points: &[EquityPoint]) -> Vec<u8> {
    let mut out = Vec::with_capacity(points.len() * 16);
    for p in points {
        out.extend_from_slice(&p.t.to_le_bytes());
        out.extend_from_slice(&p.v.to_le_bytes());
    }
    out
}

fn decode_equity(bytes: &[u8]) -> Result<Vec<EquityPoint>> {
    if bytes.len() % 16 != 0 {
        return Err(StoreError::invalid(
            "equity",
            "blob length is not a multiple of 16",
        ));
    }
    Ok(bytes
        .chunks_exact(16)
        .map(|c| {
            let mut t = [0u8; 8];
            let mut v = [0u8; 8];
            t.copy_from_slice(&c[..8]);
            v.copy_from_slice(&c[8..]);
            EquityPoint {
                t: i64::from_le_bytes(t),
                v: f64::from_le_bytes(v),
            }
        })
        .collect())
}

/// Size limit of a run's stored trade list.
const MAX_TRADES_JSON_BYTES: usize = 64 * 1024 * 1024;

/// A `backtest_run_details` row ready to bind: the equity already decimated and encoded.
struct DetailsRow {
    result_hash: Option<String>,
    trades_json: String,
    equity: Vec<u8>,
    equity_points_full: i64,
}

impl DetailsRow {
    fn new(
        result_hash: Option<String>,
        trades_json: String,
        equity: &[EquityPoint],
        equity_points_full: u64,
    ) -> Self {
        Self {
            result_hash,
            trades_json,
            equity: encode_equity(&decimate_equity(equity, MAX_EQUITY_POINTS)),
            equity_points_full: i64::try_from(equity_points_full.max(equity.len() as u64))
                .unwrap_or(i64::MAX),
        }
    }
}

/// The decoded `equity` blob of a `backtest_run_details` row.
fn equity_from_row(row: &SqliteRow) -> Result<Vec<EquityPoint>> {
    let equity: Vec<u8> = sqlx::Row::try_get(row, "equity")
        .map_err(|e| StoreError::invalid("equity", e.to_string()))?;
    decode_equity(&equity)
}

/// The `equity_points_full` column of a `backtest_run_details` row.
fn equity_points_full_from_row(row: &SqliteRow) -> Result<u64> {
    Ok(u64::try_from(row.int("equity_points_full")?).unwrap_or(0))
}

pub(crate) fn run_from_row(row: &SqliteRow) -> Result<BacktestRun> {
    Ok(BacktestRun {
        id: row.id("id")?,
        strategy_version_id: row.id("strategy_version_id")?,
        requested_by: row.opt_id("requested_by")?,
        parameters: row.json("parameters")?,
        status: row.enum_value("status")?,
        metrics: row.opt_json("metrics")?,
        started_at: row.opt_time("started_at")?,
        completed_at: row.opt_time("completed_at")?,
        created_at: row.time("created_at")?,
    })
}

impl Store {
    /// Creates a queued run of a version. `parameters` holds the sweep/backtest parameters
    /// and the data identity (dataset id and range), enough to reproduce the run.
    ///
    /// # Errors
    ///
    /// `Invalid` for parameters that are not a JSON object or are too large; `NotFound` when
    /// the version or the requesting user does not exist.
    pub async fn create_run(
        &self,
        strategy_version_id: Uuid,
        requested_by: Option<Uuid>,
        parameters: &Value,
    ) -> Result<BacktestRun> {
        crate::db::require_object("parameters", parameters)?;
        let params = json_text("parameters", parameters, MAX_JSON_BYTES)?;
        let row = sqlx::query(
            "INSERT INTO backtest_runs (id, strategy_version_id, requested_by, parameters, status, \
             created_at) VALUES (?, ?, ?, ?, 'queued', ?) RETURNING *",
        )
        .bind(id_text(Uuid::now_v7()))
        .bind(id_text(strategy_version_id))
        .bind(requested_by.map(id_text))
        .bind(params)
        .bind(self.now_text())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| StoreError::from(e).fk_as_not_found("strategy version or user", strategy_version_id))?;
        run_from_row(&row)
    }

    /// Explains why a transition from the current status failed.
    async fn transition_error(&self, id: Uuid, wanted: &str) -> StoreError {
        match self.get_run(id).await {
            Ok(run) => {
                StoreError::conflict(format!("run is {}, cannot become {wanted}", run.status))
            }
            Err(e) => e,
        }
    }

    /// The run a status-changing `UPDATE ... RETURNING *` returned, or why it matched no
    /// row.
    async fn transitioned(
        &self,
        id: Uuid,
        row: Option<SqliteRow>,
        wanted: &str,
    ) -> Result<BacktestRun> {
        match row {
            Some(row) => run_from_row(&row),
            None => Err(self.transition_error(id, wanted).await),
        }
    }

    /// Moves a running run to completed with its (checked, serialised) metrics and stores
    /// its details, in one transaction.
    async fn store_completed(
        &self,
        id: Uuid,
        metrics: String,
        details: Option<DetailsRow>,
    ) -> Result<BacktestRun> {
        let now = self.now_text();
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "UPDATE backtest_runs SET status = 'completed', metrics = ?, completed_at = ? \
             WHERE id = ? AND status = 'running' RETURNING *",
        )
        .bind(metrics)
        .bind(&now)
        .bind(id_text(id))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            drop(tx);
            return Err(self.transition_error(id, "completed").await);
        };
        if let Some(d) = details {
            sqlx::query(
                "INSERT OR REPLACE INTO backtest_run_details (run_id, result_hash, trades_json, \
                 equity, equity_points_full, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(id_text(id))
            .bind(d.result_hash)
            .bind(d.trades_json)
            .bind(d.equity)
            .bind(d.equity_points_full)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        }
        let run = run_from_row(&row)?;
        tx.commit().await?;
        Ok(run)
    }

    /// The `backtest_run_details` row that `sql` (taking the run id as its one parameter)
    /// reads.
    async fn details_row(&self, sql: &str, run_id: Uuid) -> Result<SqliteRow> {
        sqlx::query(sql)
            .bind(id_text(run_id))
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::not_found("run details", run_id))
    }

    /// Moves a queued run to running and sets `started_at`.
    ///
    /// # Errors
    ///
    /// `NotFound`; `Conflict` when the run is not queued.
    pub async fn start_run(&self, id: Uuid) -> Result<BacktestRun> {
        let row = sqlx::query(
            "UPDATE backtest_runs SET status = 'running', started_at = ? \
             WHERE id = ? AND status = 'queued' RETURNING *",
        )
        .bind(self.now_text())
        .bind(id_text(id))
        .fetch_optional(&self.pool)
        .await?;
        self.transitioned(id, row, "running").await
    }

    /// Completes a running run with its metrics and (optionally) the details for offline
    /// review, in one transaction. An equity curve longer than [`MAX_EQUITY_POINTS`] is
    /// decimated with [`decimate_equity`].
    ///
    /// # Errors
    ///
    /// `Invalid` for metrics that are not an object, trades that are not an array, or JSON
    /// over the size limit; `NotFound`; `Conflict` when the run is not running.
    pub async fn complete_run(
        &self,
        id: Uuid,
        metrics: &Value,
        details: Option<&RunDetails>,
    ) -> Result<BacktestRun> {
        crate::db::require_object("metrics", metrics)?;
        let metrics = json_text("metrics", metrics, MAX_JSON_BYTES)?;
        let details = match details {
            Some(d) => {
                if !d.trades.is_array() {
                    return Err(StoreError::invalid("trades", "must be a JSON array"));
                }
                let trades = json_text("trades", &d.trades, MAX_TRADES_JSON_BYTES)?;
                Some(DetailsRow::new(
                    d.result_hash.clone(),
                    trades,
                    &d.equity,
                    d.equity_points_full,
                ))
            }
            None => None,
        };
        self.store_completed(id, metrics, details).await
    }

    /// Fails a queued or running run; `metrics` (if any) gets an `"error"` key with the
    /// message.
    ///
    /// # Errors
    ///
    /// `NotFound`; `Conflict` when the run already ended.
    pub async fn fail_run(
        &self,
        id: Uuid,
        error: &str,
        metrics: Option<&Value>,
    ) -> Result<BacktestRun> {
        let mut m = match metrics {
            Some(Value::Object(map)) => map.clone(),
            Some(_) => return Err(StoreError::invalid("metrics", "must be a JSON object")),
            None => serde_json::Map::new(),
        };
        m.insert("error".to_owned(), Value::String(error.to_owned()));
        let metrics = json_text("metrics", &Value::Object(m), MAX_JSON_BYTES)?;
        let row = sqlx::query(
            "UPDATE backtest_runs SET status = 'failed', metrics = ?, completed_at = ? \
             WHERE id = ? AND status IN ('queued', 'running') RETURNING *",
        )
        .bind(metrics)
        .bind(self.now_text())
        .bind(id_text(id))
        .fetch_optional(&self.pool)
        .await?;
        self.transitioned(id, row, "failed").await
    }

    /// Cancels a queued or running run.
    ///
    /// # Errors
    ///
    /// `NotFound`; `Conflict` when the run already ended.
    pub async fn cancel_run(&self, id: Uuid) -> Result<BacktestRun> {
        let row = sqlx::query(
            "UPDATE backtest_runs SET status = 'cancelled', completed_at = ? \
             WHERE id = ? AND status IN ('queued', 'running') RETURNING *",
        )
        .bind(self.now_text())
        .bind(id_text(id))
        .fetch_optional(&self.pool)
        .await?;
        self.transitioned(id, row, "cancelled").await
    }

    /// Marks every run still `running` as `interrupted` (the process that ran it is gone);
    /// [`Store::open_with`] calls it when [`crate::StoreOptions::mark_interrupted_runs`] is set.
    /// Returns how many runs were marked.
    ///
    /// # Errors
    ///
    /// `Storage`.
    pub async fn mark_interrupted_runs(&self) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE backtest_runs SET status = 'interrupted', completed_at = ? WHERE status = 'running'",
        )
        .bind(self.now_text())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// The run with this id.
    ///
    /// # Errors
    ///
    /// `NotFound`.
    pub async fn get_run(&self, id: Uuid) -> Result<BacktestRun> {
        let row = sqlx::query("SELECT * FROM backtest_runs WHERE id = ?")
            .bind(id_text(id))
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::not_found("run", id))?;
        run_from_row(&row)
    }

    /// The details stored when the run completed.
    ///
    /// # Errors
    ///
    /// `NotFound` when the run has none.
    pub async fn run_details(&self, run_id: Uuid) -> Result<RunDetails> {
        let row = self
            .details_row(
                "SELECT * FROM backtest_run_details WHERE run_id = ?",
                run_id,
            )
            .await?;
        Ok(RunDetails {
            result_hash: row.opt_text("result_hash")?,
            trades: row.json("trades_json")?,
            equity: equity_from_row(&row)?,
            equity_points_full: equity_points_full_from_row(&row)?,
        })
    }

    /// Completes a running run like [`Store::complete_run`], with the trade list already
    /// serialised as a JSON array (the engine writes it: closed trades in time order, then the
    /// open trade), so a long run's trades are not built into a `Value` first.
    ///
    /// # Errors
    ///
    /// As [`Store::complete_run`]; `Invalid` when `trades_json` is not a JSON array.
    pub async fn complete_run_with_trades_json(
        &self,
        id: Uuid,
        metrics: &Value,
        result_hash: Option<String>,
        trades_json: String,
        equity: &[EquityPoint],
        equity_points_full: u64,
    ) -> Result<BacktestRun> {
        crate::db::require_object("metrics", metrics)?;
        let metrics = json_text("metrics", metrics, MAX_JSON_BYTES)?;
        if !(trades_json.trim_start().starts_with('[') && trades_json.trim_end().ends_with(']')) {
            return Err(StoreError::invalid("trades", "must be a JSON array"));
        }
        crate::db::check_size("trades", &trades_json, MAX_TRADES_JSON_BYTES)?;
        let details = DetailsRow::new(result_hash, trades_json, equity, equity_points_full);
        self.store_completed(id, metrics, Some(details)).await
    }

    /// The stored details without the trade list (counted, not parsed, by SQLite): the
    /// header and the equity and drawdown charts of a run.
    ///
    /// # Errors
    ///
    /// `NotFound` when the run has none.
    pub async fn run_details_head(&self, run_id: Uuid) -> Result<RunDetailsHead> {
        let row = sqlx::query(
            "SELECT result_hash, equity, equity_points_full, \
             json_array_length(trades_json) AS n, \
             json_extract(trades_json, '$[#-1]') AS last_trade \
             FROM backtest_run_details WHERE run_id = ?",
        )
        .bind(id_text(run_id))
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("run details", run_id))?;
        let n = u64::try_from(row.int("n")?).unwrap_or(0);
        let open_trade = row
            .opt_text("last_trade")?
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .filter(|t| t.get("exit_reason").and_then(Value::as_str) == Some("open"));
        Ok(RunDetailsHead {
            result_hash: row.opt_text("result_hash")?,
            equity: equity_from_row(&row)?,
            equity_points_full: equity_points_full_from_row(&row)?,
            closed_trades: n.saturating_sub(u64::from(open_trade.is_some())),
            open_trade,
        })
    }

    /// One page of a run's closed trades, each with its index in the stored (time-ordered)
    /// list; sorted by SQLite over all of them when `query.sort_key` is set (ties keep the
    /// time order). The sort key must be a plain field name (letters, digits, `_`).
    ///
    /// # Errors
    ///
    /// `Invalid` for a malformed sort key; `NotFound` when the run has no details.
    pub async fn run_trades_page(
        &self,
        run_id: Uuid,
        query: &TradePageQuery,
    ) -> Result<Vec<(u64, Value)>> {
        let path = match &query.sort_key {
            Some(k)
                if !k.is_empty()
                    && k.len() <= 40
                    && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
            {
                Some(format!("$.{k}"))
            }
            Some(k) => {
                return Err(StoreError::invalid(
                    "sort",
                    format!("unknown field \"{k}\""),
                ))
            }
            None => None,
        };
        let dir = if query.desc { "DESC" } else { "ASC" };
        // json_each yields the array in order: the stored (time) order needs no sort.
        let order = match (&path, query.desc) {
            (Some(_), _) => format!("ORDER BY json_extract(j.value, ?) {dir}, j.key ASC"),
            (None, true) => "ORDER BY j.key DESC".to_owned(),
            (None, false) => String::new(),
        };
        let sql = format!(
            "SELECT j.key AS i, j.value AS t FROM backtest_run_details d, json_each(d.trades_json) j \
             WHERE d.run_id = ? AND json_extract(j.value, '$.exit_reason') IS NOT 'open' \
             {order} LIMIT ? OFFSET ?"
        );
        let mut q = sqlx::query(&sql).bind(id_text(run_id));
        if let Some(p) = path {
            q = q.bind(p);
        }
        let rows = q
            .bind(i64::try_from(query.limit).unwrap_or(i64::MAX))
            .bind(i64::try_from(query.offset).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        if rows.is_empty() {
            // Tell "no such run" from "past the end".
            self.details_row(
                "SELECT 1 FROM backtest_run_details WHERE run_id = ?",
                run_id,
            )
            .await?;
        }
        rows.iter()
            .map(|r| {
                let i = u64::try_from(r.int("i")?).unwrap_or(0);
                let t: Value = serde_json::from_str(&r.text("t")?)
                    .map_err(|e| StoreError::invalid("trades", e.to_string()))?;
                Ok((i, t))
            })
            .collect()
    }

    /// The stored trade list as its JSON text (closed trades, then the open one), for callers
    /// that parse it into their own types.
    ///
    /// # Errors
    ///
    /// `NotFound` when the run has no details.
    pub async fn run_trades_json(&self, run_id: Uuid) -> Result<String> {
        let row = self
            .details_row(
                "SELECT trades_json FROM backtest_run_details WHERE run_id = ?",
                run_id,
            )
            .await?;
        row.text("trades_json")
    }

    /// Runs matching `filter`, newest first.
    ///
    /// # Errors
    ///
    /// `Storage`; `Invalid` when a stored row cannot be read.
    pub async fn list_runs(&self, filter: &RunFilter) -> Result<Vec<BacktestRun>> {
        let mut q: QueryBuilder<'_, Sqlite> = QueryBuilder::new("SELECT r.* FROM backtest_runs r");
        if let Some(strategy) = filter.strategy_id {
            q.push(
                " JOIN strategy_versions v ON v.id = r.strategy_version_id AND v.strategy_id = ",
            )
            .push_bind(id_text(strategy));
        }
        q.push(" WHERE 1 = 1");
        if let Some(version) = filter.strategy_version_id {
            q.push(" AND r.strategy_version_id = ")
                .push_bind(id_text(version));
        }
        if let Some(status) = filter.status {
            q.push(" AND r.status = ").push_bind(status.as_str());
        }
        q.push(" ORDER BY r.created_at DESC, r.id DESC");
        if let Some(limit) = filter.limit {
            q.push(" LIMIT ").push_bind(i64::from(limit));
        }
        let rows = q.build().fetch_all(&self.pool).await?;
        rows.iter().map(run_from_row).collect()
    }

    /// Deletes a run and its details.
    ///
    /// # Errors
    ///
    /// `NotFound`.
    pub async fn delete_run(&self, id: Uuid) -> Result<()> {
        let done = sqlx::query("DELETE FROM backtest_runs WHERE id = ?")
            .bind(id_text(id))
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("run", id));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimation_keeps_ends_and_extremes_within_the_limit() {
        let pts: Vec<EquityPoint> = (0..100_000)
            .map(|i| EquityPoint {
                t: i,
                v: ((i as f64) / 500.0).sin() * 100.0 + if i == 54_321 { -1e6 } else { 0.0 },
            })
            .collect();
        let d = decimate_equity(&pts, MAX_EQUITY_POINTS);
        assert!(d.len() <= MAX_EQUITY_POINTS);
        assert_eq!(d.first(), pts.first());
        assert_eq!(d.last(), pts.last());
        assert!(
            d.iter().any(|p| p.t == 54_321),
            "the deepest drawdown survives"
        );
        assert!(d.windows(2).all(|w| w[0].t < w[1].t), "time order kept");
        let short = &pts[..10];
        assert_eq!(decimate_equity(short, MAX_EQUITY_POINTS), short.to_vec());
        assert_eq!(
            decode_equity(&encode_equity(short)).unwrap(),
            short.to_vec()
        );
    }
}
