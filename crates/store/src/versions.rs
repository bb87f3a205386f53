//! Strategy versions: immutable saves numbered 1, 2, 3 ... per strategy.

use serde_json::Value;
use sqlx::sqlite::SqliteRow;
use sqlx::{Executor, Sqlite, SqliteConnection};
use uuid::Uuid;

use crate::db::{check_size, id_text, parse_time, RowExt};
use crate::error::{Result, StoreError};
use crate::model::{StrategyVersion, VersionSummary};
use crate::Store;

/// Largest accepted graph document, in bytes of JSON text (5 MiB). Real graphs are a few KB;
/// the limit keeps a runaway document from bloating the file and the sync.
pub const MAX_GRAPH_BYTES: usize = 5 * 1024 * 1024;

pub(crate) fn version_from_row(row: &SqliteRow) -> Result<StrategyVersion> {
    Ok(StrategyVersion {
        id: row.id("id")?,
        strategy_id: row.id("strategy_id")?,
        version: version_number(row)?,
        graph_json: row.json("graph_json")?,
        notes: row.opt_text("notes")?,
        created_by: row.opt_id("created_by")?,
        created_at: row.time("created_at")?,
    })
}

fn version_number(row: &SqliteRow) -> Result<i32> {
    let v = row.int("version")?;
    i32::try_from(v).map_err(|_| StoreError::invalid("version", format!("out of range: {v}")))
}

/// Checks a graph document: JSON text of at most [`MAX_GRAPH_BYTES`] holding an object.
/// Returns the parsed value.
pub(crate) fn check_graph_text(text: &str) -> Result<Value> {
    check_size("graph_json", text, MAX_GRAPH_BYTES)?;
    let value: Value = serde_json::from_str(text)
        .map_err(|e| StoreError::invalid("graph_json", format!("not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(StoreError::invalid("graph_json", "must be a JSON object"));
    }
    Ok(value)
}

/// Saves the next version of `strategy_id` inside the caller's write transaction: bumps the
/// strategy's `updated_at` (taking the write lock, and proving the strategy exists), then
/// inserts with `MAX(version) + 1` computed in the same statement.
pub(crate) async fn insert_version(
    conn: &mut SqliteConnection,
    strategy_id: Uuid,
    graph_text: &str,
    notes: Option<&str>,
    author: Option<Uuid>,
    now: &str,
) -> Result<(Uuid, i32)> {
    let bumped = sqlx::query("UPDATE strategies SET updated_at = ? WHERE id = ?")
        .bind(now)
        .bind(id_text(strategy_id))
        .execute(&mut *conn)
        .await?;
    if bumped.rows_affected() == 0 {
        return Err(StoreError::not_found("strategy", strategy_id));
    }
    let id = Uuid::now_v7();
    let (version,): (i64,) = sqlx::query_as(
        "INSERT INTO strategy_versions (id, strategy_id, version, graph_json, notes, created_by, \
         created_at) \
         SELECT ?1, ?2, COALESCE(MAX(version), 0) + 1, ?3, ?4, ?5, ?6 \
         FROM strategy_versions WHERE strategy_id = ?2 \
         RETURNING version",
    )
    .bind(id_text(id))
    .bind(id_text(strategy_id))
    .bind(graph_text)
    .bind(notes)
    .bind(author.map(id_text))
    .bind(now)
    .fetch_one(conn)
    .await
    .map_err(|e| {
        StoreError::from(e).fk_as_not_found("user", author.map(id_text).unwrap_or_default())
    })?;
    let version = i32::try_from(version)
        .map_err(|_| StoreError::conflict("the strategy has run out of version numbers"))?;
    Ok((id, version))
}

impl Store {
    /// Saves `graph` as the next version of the strategy (1 for the first) and bumps the
    /// strategy's `updated_at`, in one transaction. Concurrent saves of one strategy get
    /// distinct consecutive numbers; none is lost.
    ///
    /// # Errors
    ///
    /// `Invalid` when the graph is not a JSON object or is larger than [`MAX_GRAPH_BYTES`];
    /// `NotFound` when the strategy or the author does not exist.
    pub async fn save_version(
        &self,
        strategy_id: Uuid,
        graph: &Value,
        notes: Option<&str>,
        author: Option<Uuid>,
    ) -> Result<StrategyVersion> {
        if !graph.is_object() {
            return Err(StoreError::invalid("graph_json", "must be a JSON object"));
        }
        let text = serde_json::to_string(graph)
            .map_err(|e| StoreError::invalid("graph_json", e.to_string()))?;
        check_size("graph_json", &text, MAX_GRAPH_BYTES)?;
        self.save_checked(strategy_id, &text, graph.clone(), notes, author)
            .await
    }

    /// As [`Store::save_version`] for graph JSON given as text (a file, an IPC payload).
    ///
    /// # Errors
    ///
    /// As [`Store::save_version`], and `Invalid` when the text is not valid JSON.
    pub async fn save_version_text(
        &self,
        strategy_id: Uuid,
        graph_json: &str,
        notes: Option<&str>,
        author: Option<Uuid>,
    ) -> Result<StrategyVersion> {
        let value = check_graph_text(graph_json)?;
        self.save_checked(strategy_id, graph_json, value, notes, author)
            .await
    }

    async fn save_checked(
        &self,
        strategy_id: Uuid,
        text: &str,
        graph: Value,
        notes: Option<&str>,
        author: Option<Uuid>,
    ) -> Result<StrategyVersion> {
        let now = self.now_text();
        let mut tx = self.write_tx().await?;
        let (id, version) = insert_version(&mut tx, strategy_id, text, notes, author, &now).await?;
        tx.commit().await?;
        Ok(StrategyVersion {
            id,
            strategy_id,
            version,
            graph_json: graph,
            notes: notes.map(str::to_owned),
            created_by: author,
            created_at: parse_time(&now).unwrap_or_else(|| self.now()),
        })
    }

    /// The version with this id.
    ///
    /// # Errors
    ///
    /// `NotFound`; `Invalid` when the stored row cannot be read.
    pub async fn get_version(&self, version_id: Uuid) -> Result<StrategyVersion> {
        fetch_version(&self.pool, version_id).await
    }

    /// Version number `version` of a strategy.
    ///
    /// # Errors
    ///
    /// `NotFound`.
    pub async fn load_version(&self, strategy_id: Uuid, version: i32) -> Result<StrategyVersion> {
        let row =
            sqlx::query("SELECT * FROM strategy_versions WHERE strategy_id = ? AND version = ?")
                .bind(id_text(strategy_id))
                .bind(version)
                .fetch_optional(&self.pool)
                .await?
                .ok_or_else(|| {
                    StoreError::not_found("strategy version", format!("{strategy_id} v{version}"))
                })?;
        version_from_row(&row)
    }

    /// The newest version of a strategy.
    ///
    /// # Errors
    ///
    /// `NotFound` when the strategy has no version (or does not exist).
    pub async fn latest_version(&self, strategy_id: Uuid) -> Result<StrategyVersion> {
        let row = sqlx::query(
            "SELECT * FROM strategy_versions WHERE strategy_id = ? ORDER BY version DESC LIMIT 1",
        )
        .bind(id_text(strategy_id))
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("strategy version", strategy_id))?;
        version_from_row(&row)
    }

    /// The history of a strategy, newest first, without the graphs.
    ///
    /// # Errors
    ///
    /// `NotFound` when the strategy does not exist.
    pub async fn list_versions(&self, strategy_id: Uuid) -> Result<Vec<VersionSummary>> {
        let mut conn = self.pool.acquire().await?;
        crate::strategies::fetch_strategy(&mut *conn, strategy_id).await?;
        let rows = sqlx::query(
            "SELECT id, strategy_id, version, notes, created_by, created_at, \
             length(CAST(graph_json AS BLOB)) AS graph_bytes \
             FROM strategy_versions WHERE strategy_id = ? ORDER BY version DESC",
        )
        .bind(id_text(strategy_id))
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(VersionSummary {
                    id: row.id("id")?,
                    strategy_id: row.id("strategy_id")?,
                    version: version_number(row)?,
                    notes: row.opt_text("notes")?,
                    created_by: row.opt_id("created_by")?,
                    created_at: row.time("created_at")?,
                    graph_bytes: row.int("graph_bytes")?,
                })
            })
            .collect()
    }
}

pub(crate) async fn fetch_version<'e, E: Executor<'e, Database = Sqlite>>(
    ex: E,
    version_id: Uuid,
) -> Result<StrategyVersion> {
    let row = sqlx::query("SELECT * FROM strategy_versions WHERE id = ?")
        .bind(id_text(version_id))
        .fetch_optional(ex)
        .await?
        .ok_or_else(|| StoreError::not_found("strategy version", version_id))?;
    version_from_row(&row)
}
