//! Paper-trading runs: create, list, change state, record an executed bar.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use crate::db::{fmt_time, id_text, json_text, RowExt, MAX_JSON_BYTES};
use crate::error::{Result, StoreError};
use crate::model::{PaperRunStatus, PaperTradeRun};
use crate::Store;

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
    })
}

impl Store {
    /// Creates a scheduled paper run of a version. Counting `active_paper_runs` is the
    /// caller's [`Store::consume`] / [`Store::release`].
    ///
    /// # Errors
    ///
    /// `Invalid` for over-large JSON; `NotFound` for an unknown version.
    pub async fn create_paper_run(
        &self,
        strategy_version_id: Uuid,
        schedule: &Value,
        alert_config: Option<&Value>,
    ) -> Result<PaperTradeRun> {
        let schedule = json_text("schedule", schedule, MAX_JSON_BYTES)?;
        let alerts = alert_config
            .map(|a| json_text("alert_config", a, MAX_JSON_BYTES))
            .transpose()?;
        let row = sqlx::query(
            "INSERT INTO paper_trade_runs (id, strategy_version_id, schedule, status, alert_config, \
             created_at) VALUES (?, ?, ?, 'scheduled', ?, ?) RETURNING *",
        )
        .bind(id_text(Uuid::now_v7()))
        .bind(id_text(strategy_version_id))
        .bind(schedule)
        .bind(alerts)
        .bind(self.now_text())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| StoreError::from(e).fk_as_not_found("strategy version", strategy_version_id))?;
        paper_from_row(&row)
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

    /// Changes a paper run's state.
    ///
    /// # Errors
    ///
    /// `NotFound`; `Conflict` when the run is already stopped or failed.
    pub async fn set_paper_run_status(
        &self,
        id: Uuid,
        status: PaperRunStatus,
    ) -> Result<PaperTradeRun> {
        let row = sqlx::query(
            "UPDATE paper_trade_runs SET status = ? WHERE id = ? \
             AND status NOT IN ('stopped', 'failed') RETURNING *",
        )
        .bind(status.as_str())
        .bind(id_text(id))
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => paper_from_row(&row),
            None => {
                let exists: Option<(String,)> =
                    sqlx::query_as("SELECT status FROM paper_trade_runs WHERE id = ?")
                        .bind(id_text(id))
                        .fetch_optional(&self.pool)
                        .await?;
                Err(match exists {
                    Some((s,)) => StoreError::conflict(format!("paper run is {s}")),
                    None => StoreError::not_found("paper run", id),
                })
            }
        }
    }

    /// Records an executed bar: its time and the performance snapshot after it.
    ///
    /// # Errors
    ///
    /// `NotFound`; `Invalid` for an over-large snapshot.
    pub async fn record_paper_execution(
        &self,
        id: Uuid,
        at: DateTime<Utc>,
        snapshot: &Value,
    ) -> Result<PaperTradeRun> {
        let snapshot = json_text("performance_snapshot", snapshot, MAX_JSON_BYTES)?;
        let row = sqlx::query(
            "UPDATE paper_trade_runs SET last_execution_at = ?, performance_snapshot = ? \
             WHERE id = ? RETURNING *",
        )
        .bind(fmt_time(at))
        .bind(snapshot)
        .bind(id_text(id))
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("paper run", id))?;
        paper_from_row(&row)
    }
}
