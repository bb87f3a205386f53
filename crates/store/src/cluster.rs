//! Cluster sweeps launched from this device (local only, `migrations/local/0008`): the server
//! sweep id an emitted script writes to, with the strategy version, dataset and grid it was
//! planned on, and the local sweep its rows were stored as once complete.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use crate::db::{id_text, json_text, RowExt, MAX_JSON_BYTES};
use crate::error::{Result, StoreError};
use crate::Store;

/// A cluster sweep launched from this device.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterLink {
    /// The server sweep id.
    pub sweep_id: Uuid,
    /// The version swept.
    pub strategy_version_id: Uuid,
    /// The dataset it was planned on.
    pub dataset_id: String,
    /// That dataset's content hash.
    pub data_hash: String,
    /// The sweep's identity (graph, settings, combinations).
    pub sweep_hash: String,
    /// The grid and settings, as a local sweep's spec.
    pub spec: Value,
    /// `slurm` or `kubernetes`.
    pub scheduler: String,
    /// Shards.
    pub shards: u64,
    /// The local sweep its rows were stored as, once complete.
    pub local_sweep_id: Option<Uuid>,
    /// When it was launched.
    pub created_at: DateTime<Utc>,
}

fn link_from(row: &SqliteRow) -> Result<ClusterLink> {
    Ok(ClusterLink {
        sweep_id: row.id("sweep_id")?,
        strategy_version_id: row.id("strategy_version_id")?,
        dataset_id: row.text("dataset_id")?,
        data_hash: row.text("data_hash")?,
        sweep_hash: row.text("sweep_hash")?,
        spec: row.json("spec")?,
        scheduler: row.text("scheduler")?,
        shards: u64::try_from(row.int("shards")?).unwrap_or(0),
        local_sweep_id: row.opt_id("local_sweep_id")?,
        created_at: row.time("created_at")?,
    })
}

impl Store {
    /// Records a cluster sweep launched from this device.
    ///
    /// # Errors
    ///
    /// `Invalid` for a spec that is not an object or an unknown scheduler; `NotFound` for an
    /// unknown version; `Conflict` when the id is taken.
    pub async fn save_cluster_link(&self, l: &ClusterLink) -> Result<()> {
        crate::db::require_object("spec", &l.spec)?;
        if !matches!(l.scheduler.as_str(), "slurm" | "kubernetes") {
            return Err(StoreError::invalid(
                "scheduler",
                "must be slurm or kubernetes",
            ));
        }
        let spec = json_text("spec", &l.spec, MAX_JSON_BYTES)?;
        sqlx::query(
            "INSERT INTO cluster_sweep_links (sweep_id, strategy_version_id, dataset_id, \
             data_hash, sweep_hash, spec, scheduler, shards, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id_text(l.sweep_id))
        .bind(id_text(l.strategy_version_id))
        .bind(&l.dataset_id)
        .bind(&l.data_hash)
        .bind(&l.sweep_hash)
        .bind(spec)
        .bind(&l.scheduler)
        .bind(i64::try_from(l.shards).unwrap_or(i64::MAX))
        .bind(self.now_text())
        .execute(&self.pool)
        .await
        .map_err(|e| {
            StoreError::from(e).fk_as_not_found("strategy version", l.strategy_version_id)
        })?;
        Ok(())
    }

    /// Cluster sweeps launched from this device, newest first.
    ///
    /// # Errors
    ///
    /// `Storage`; `Invalid` when a stored row cannot be read.
    pub async fn list_cluster_links(&self) -> Result<Vec<ClusterLink>> {
        let rows = sqlx::query(
            "SELECT * FROM cluster_sweep_links ORDER BY created_at DESC, sweep_id DESC LIMIT 200",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(link_from).collect()
    }

    /// The cluster sweep launched from this device with this server id.
    ///
    /// # Errors
    ///
    /// `NotFound`.
    pub async fn get_cluster_link(&self, sweep_id: Uuid) -> Result<ClusterLink> {
        let row = sqlx::query("SELECT * FROM cluster_sweep_links WHERE sweep_id = ?")
            .bind(id_text(sweep_id))
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::not_found("cluster sweep", sweep_id))?;
        link_from(&row)
    }

    /// Records the local sweep a cluster sweep's rows were stored as.
    ///
    /// # Errors
    ///
    /// `NotFound` for an unknown link or local sweep.
    pub async fn set_cluster_local_sweep(&self, sweep_id: Uuid, local: Uuid) -> Result<()> {
        let done =
            sqlx::query("UPDATE cluster_sweep_links SET local_sweep_id = ? WHERE sweep_id = ?")
                .bind(id_text(local))
                .bind(id_text(sweep_id))
                .execute(&self.pool)
                .await
                .map_err(|e| StoreError::from(e).fk_as_not_found("sweep", local))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("cluster sweep", sweep_id));
        }
        Ok(())
    }
}
