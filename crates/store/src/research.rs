//! Research results kept locally: parameter sweeps with their grid, data identity and every
//! row (reopened offline), and the trial ledger behind the Deflated Sharpe Ratio (every
//! backtest and every sweep row of a strategy is one trial).

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Sqlite};
use uuid::Uuid;

use crate::db::{id_text, json_text, RowExt, MAX_JSON_BYTES};
use crate::error::{Result, StoreError};
use crate::Store;

/// Size limit of one sweep row's params or metrics.
const MAX_ROW_JSON_BYTES: usize = 64 * 1024;
/// Rows written per INSERT statement (4 bound values each, well under SQLite's limit).
const ROWS_PER_INSERT: usize = 500;

/// How a sweep ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepStatus {
    /// Every combination ran.
    Completed,
    /// Cancelled: the finished rows are kept.
    Cancelled,
}

impl SweepStatus {
    fn as_str(self) -> &'static str {
        match self {
            SweepStatus::Completed => "completed",
            SweepStatus::Cancelled => "cancelled",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "completed" => Ok(SweepStatus::Completed),
            "cancelled" => Ok(SweepStatus::Cancelled),
            other => Err(StoreError::invalid(
                "status",
                format!("unknown sweep status {other:?} in the database"),
            )),
        }
    }
}

/// Trials added to a strategy by one backtest or sweep, with the count, sum and sum of squares
/// of their per-period Sharpe ratios.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TrialCounts {
    /// Trials (at least 1 for a recorded batch).
    pub trials: u64,
    /// Trials with a Sharpe ratio.
    pub sharpe_count: u64,
    /// Sum of their per-period Sharpe ratios.
    pub sharpe_sum: f64,
    /// Sum of their squares.
    pub sharpe_sum_sq: f64,
}

/// One combination of a sweep: its position, its parameters and its metrics (JSON objects).
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRow {
    /// Position in the sweep's own order.
    pub index: u64,
    /// Parameter values.
    pub params: Value,
    /// Metrics.
    pub metrics: Value,
}

/// A finished sweep to store.
#[derive(Debug, Clone)]
pub struct NewSweep {
    /// The version swept.
    pub strategy_version_id: Uuid,
    /// Who ran it.
    pub requested_by: Option<Uuid>,
    /// The dataset it ran on.
    pub dataset_id: String,
    /// That dataset's content hash.
    pub data_hash: String,
    /// The grid, the metric and other settings (a JSON object).
    pub spec: Value,
    /// Completed or cancelled.
    pub status: SweepStatus,
    /// Combinations planned.
    pub total: u64,
    /// Results worked out at the end (a JSON object).
    pub summary: Value,
    /// Every finished row.
    pub rows: Vec<SweepRow>,
    /// The trials the sweep adds to its strategy's ledger.
    pub trials: TrialCounts,
}

/// A stored sweep, without its rows.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRecord {
    /// Id.
    pub id: Uuid,
    /// The version swept.
    pub strategy_version_id: Uuid,
    /// Who ran it.
    pub requested_by: Option<Uuid>,
    /// Dataset id.
    pub dataset_id: String,
    /// Dataset content hash.
    pub data_hash: String,
    /// Grid and settings.
    pub spec: Value,
    /// Completed or cancelled.
    pub status: SweepStatus,
    /// Combinations planned.
    pub total: u64,
    /// Rows stored.
    pub rows: u64,
    /// Results worked out at the end.
    pub summary: Value,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
}

fn sweep_from_row(row: &SqliteRow) -> Result<SweepRecord> {
    Ok(SweepRecord {
        id: row.id("id")?,
        strategy_version_id: row.id("strategy_version_id")?,
        requested_by: row.opt_id("requested_by")?,
        dataset_id: row.text("dataset_id")?,
        data_hash: row.text("data_hash")?,
        spec: row.json("spec")?,
        status: SweepStatus::parse(&row.text("status")?)?,
        total: u64::try_from(row.int("total")?).unwrap_or(0),
        rows: u64::try_from(row.int("row_count")?).unwrap_or(0),
        summary: row.json("summary")?,
        created_at: row.time("created_at")?,
    })
}

const SWEEP_COLUMNS: &str = "s.*, (SELECT count(*) FROM sweep_rows r WHERE r.sweep_id = s.id) \
                             AS row_count";

fn check_trials(t: &TrialCounts) -> Result<()> {
    if t.trials == 0 || t.sharpe_count > t.trials {
        return Err(StoreError::invalid(
            "trials",
            "a batch has at least one trial and no more Sharpe ratios than trials",
        ));
    }
    if !(t.sharpe_sum.is_finite() && t.sharpe_sum_sq.is_finite() && t.sharpe_sum_sq >= 0.0) {
        return Err(StoreError::invalid("trials", "Sharpe sums must be finite"));
    }
    Ok(())
}

fn count(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Store {
    /// Stores a finished sweep, every row, and its trials in the strategy's ledger, in one
    /// transaction: all of it or nothing.
    ///
    /// # Errors
    ///
    /// `Invalid` for a spec or summary that is not an object, rows whose params or metrics are
    /// not objects, or bad trial counts; `NotFound` when the version does not exist.
    pub async fn save_sweep(&self, s: &NewSweep) -> Result<SweepRecord> {
        crate::db::require_object("spec", &s.spec)?;
        crate::db::require_object("summary", &s.summary)?;
        check_trials(&s.trials)?;
        let spec = json_text("spec", &s.spec, MAX_JSON_BYTES)?;
        let summary = json_text("summary", &s.summary, MAX_JSON_BYTES)?;
        let mut rows = Vec::with_capacity(s.rows.len());
        for r in &s.rows {
            crate::db::require_object("params", &r.params)?;
            crate::db::require_object("metrics", &r.metrics)?;
            rows.push((
                count(r.index),
                json_text("params", &r.params, MAX_ROW_JSON_BYTES)?,
                json_text("metrics", &r.metrics, MAX_ROW_JSON_BYTES)?,
            ));
        }
        let id = Uuid::now_v7();
        let now = self.now_text();
        let mut tx = self.write_tx().await?;
        let strategy_id: Option<String> =
            sqlx::query_scalar("SELECT strategy_id FROM strategy_versions WHERE id = ?")
                .bind(id_text(s.strategy_version_id))
                .fetch_optional(&mut *tx)
                .await?;
        let Some(strategy_id) = strategy_id else {
            return Err(StoreError::not_found(
                "strategy version",
                s.strategy_version_id,
            ));
        };
        sqlx::query(
            "INSERT INTO sweeps (id, strategy_version_id, requested_by, dataset_id, data_hash, \
             spec, status, total, summary, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id_text(id))
        .bind(id_text(s.strategy_version_id))
        .bind(s.requested_by.map(id_text))
        .bind(&s.dataset_id)
        .bind(&s.data_hash)
        .bind(spec)
        .bind(s.status.as_str())
        .bind(count(s.total))
        .bind(summary)
        .bind(&now)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::from(e).fk_as_not_found("user", s.requested_by.unwrap_or(id)))?;
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let mut q: QueryBuilder<'_, Sqlite> =
                QueryBuilder::new("INSERT INTO sweep_rows (sweep_id, idx, params, metrics) ");
            q.push_values(chunk, |mut b, (idx, params, metrics)| {
                b.push_bind(id_text(id))
                    .push_bind(*idx)
                    .push_bind(params.as_str())
                    .push_bind(metrics.as_str());
            });
            q.build().execute(&mut *tx).await?;
        }
        insert_trials(&mut tx, &strategy_id, "sweep", id, &s.trials, &now).await?;
        tx.commit().await?;
        self.get_sweep(id).await
    }

    /// The sweep with this id (without its rows).
    ///
    /// # Errors
    ///
    /// `NotFound`.
    pub async fn get_sweep(&self, id: Uuid) -> Result<SweepRecord> {
        let row = sqlx::query(&format!(
            "SELECT {SWEEP_COLUMNS} FROM sweeps s WHERE s.id = ?"
        ))
        .bind(id_text(id))
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("sweep", id))?;
        sweep_from_row(&row)
    }

    /// Sweeps of one strategy (or all), newest first, at most `limit`.
    ///
    /// # Errors
    ///
    /// `Storage`; `Invalid` when a stored row cannot be read.
    pub async fn list_sweeps(
        &self,
        strategy_id: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<SweepRecord>> {
        let mut q: QueryBuilder<'_, Sqlite> =
            QueryBuilder::new(format!("SELECT {SWEEP_COLUMNS} FROM sweeps s"));
        if let Some(sid) = strategy_id {
            q.push(
                " JOIN strategy_versions v ON v.id = s.strategy_version_id AND v.strategy_id = ",
            )
            .push_bind(id_text(sid));
        }
        q.push(" ORDER BY s.created_at DESC, s.id DESC LIMIT ")
            .push_bind(i64::from(limit));
        let rows = q.build().fetch_all(&self.pool).await?;
        rows.iter().map(sweep_from_row).collect()
    }

    /// One page of a sweep's rows, sorted by a metric over all of them when `sort_metric` is
    /// set (undefined values last, ties in sweep order), else in sweep order.
    ///
    /// # Errors
    ///
    /// `Invalid` for a metric name that is not a plain field name; `NotFound` for an unknown
    /// sweep.
    pub async fn sweep_rows_page(
        &self,
        id: Uuid,
        sort_metric: Option<&str>,
        desc: bool,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<SweepRow>> {
        let path = match sort_metric {
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
                    format!("unknown metric \"{k}\""),
                ))
            }
            None => None,
        };
        let order = match path {
            Some(_) => format!(
                "ORDER BY json_extract(metrics, ?) IS NULL, json_extract(metrics, ?) {}, idx",
                if desc { "DESC" } else { "ASC" }
            ),
            None => "ORDER BY idx".to_owned(),
        };
        let sql = format!(
            "SELECT idx, params, metrics FROM sweep_rows WHERE sweep_id = ? {order} LIMIT ? OFFSET ?"
        );
        let mut q = sqlx::query(&sql).bind(id_text(id));
        if let Some(p) = &path {
            q = q.bind(p).bind(p);
        }
        let rows = q
            .bind(count(limit))
            .bind(count(offset))
            .fetch_all(&self.pool)
            .await?;
        if rows.is_empty() {
            self.get_sweep(id).await?;
        }
        rows.iter().map(sweep_row).collect()
    }

    /// Every row of a sweep in sweep order.
    ///
    /// # Errors
    ///
    /// `NotFound` for an unknown sweep.
    pub async fn sweep_rows(&self, id: Uuid) -> Result<Vec<SweepRow>> {
        self.sweep_rows_page(id, None, false, 0, u64::MAX >> 1)
            .await
    }

    /// Deletes a sweep and its rows (its trials stay in the ledger).
    ///
    /// # Errors
    ///
    /// `NotFound`.
    pub async fn delete_sweep(&self, id: Uuid) -> Result<()> {
        let done = sqlx::query("DELETE FROM sweeps WHERE id = ?")
            .bind(id_text(id))
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("sweep", id));
        }
        Ok(())
    }

    /// Records the trials of a backtest run in its strategy's ledger (once per run: recording
    /// the same run again changes nothing).
    ///
    /// # Errors
    ///
    /// `Invalid` for bad counts; `NotFound` when the run does not exist.
    pub async fn record_run_trial(&self, run_id: Uuid, trials: &TrialCounts) -> Result<()> {
        check_trials(trials)?;
        let mut tx = self.write_tx().await?;
        let strategy_id: Option<String> = sqlx::query_scalar(
            "SELECT v.strategy_id FROM backtest_runs r JOIN strategy_versions v \
             ON v.id = r.strategy_version_id WHERE r.id = ?",
        )
        .bind(id_text(run_id))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(strategy_id) = strategy_id else {
            return Err(StoreError::not_found("run", run_id));
        };
        insert_trials(
            &mut tx,
            &strategy_id,
            "backtest",
            run_id,
            trials,
            &self.now_text(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every trial of a strategy, summed.
    ///
    /// # Errors
    ///
    /// `Storage`.
    pub async fn strategy_trials(&self, strategy_id: Uuid) -> Result<TrialCounts> {
        let row = sqlx::query(
            "SELECT coalesce(sum(trials), 0) AS t, coalesce(sum(sharpe_count), 0) AS c, \
             coalesce(sum(sharpe_sum), 0.0) AS s, coalesce(sum(sharpe_sum_sq), 0.0) AS q \
             FROM research_trials WHERE strategy_id = ?",
        )
        .bind(id_text(strategy_id))
        .fetch_one(&self.pool)
        .await?;
        let real = |col: &str| -> Result<f64> {
            sqlx::Row::try_get::<f64, _>(&row, col)
                .map_err(|e| StoreError::invalid(col, e.to_string()))
        };
        Ok(TrialCounts {
            trials: u64::try_from(row.int("t")?).unwrap_or(0),
            sharpe_count: u64::try_from(row.int("c")?).unwrap_or(0),
            sharpe_sum: real("s")?,
            sharpe_sum_sq: real("q")?,
        })
    }
}

fn sweep_row(r: &SqliteRow) -> Result<SweepRow> {
    Ok(SweepRow {
        index: u64::try_from(r.int("idx")?).unwrap_or(0),
        params: r.json("params")?,
        metrics: r.json("metrics")?,
    })
}

async fn insert_trials(
    tx: &mut sqlx::Transaction<'static, Sqlite>,
    strategy_id: &str,
    source: &str,
    source_id: Uuid,
    t: &TrialCounts,
    now: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO research_trials (id, strategy_id, source, source_id, trials, sharpe_count, \
         sharpe_sum, sharpe_sum_sq, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (source, source_id) DO NOTHING",
    )
    .bind(id_text(Uuid::now_v7()))
    .bind(strategy_id)
    .bind(source)
    .bind(id_text(source_id))
    .bind(count(t.trials))
    .bind(count(t.sharpe_count))
    .bind(t.sharpe_sum)
    .bind(t.sharpe_sum_sq)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
