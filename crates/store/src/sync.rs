//! The hook for the remote sync: an outbox of local changes and per-table pull cursors.
//!
//! # Contract
//!
//! * **Capture.** Triggers on the ten synced tables (`users`, `subscription_plans`,
//!   `plan_usage`, `strategies`, `strategy_versions`, `backtest_runs`, `paper_trade_runs`,
//!   `notifications`, `template_shares`, `compliance_events`) append
//!   `(seq, table_name, row_id, op, changed_at)` to `sync_outbox` for every insert, update and
//!   delete, including the deletes done by `ON DELETE CASCADE`. Because triggers do it, no
//!   code path can forget to; the entry commits or rolls back with the change itself.
//!   Local-only tables (`backtest_run_details`, `local_profile`, `sync_*`) have no triggers.
//! * **Push.** The pusher reads [`Store::pending_changes`] in `seq` order, collapses entries
//!   of one row to the last one, reads the row's current state (a missing row is a delete,
//!   sent as a tombstone), upserts by primary key on the remote in one remote transaction,
//!   and then calls [`Store::ack_changes`] with the highest `seq` pushed. Rows are addressed
//!   by client-generated UUIDv7 ids, so a push repeated after a crash between the remote
//!   commit and the ack is an idempotent upsert: nothing is duplicated or lost.
//! * **Pull.** Pulled rows are written through a [`RemoteApply`] (from
//!   [`Store::begin_remote_apply`]), which sets `sync_state.applying_remote = 1` inside its
//!   transaction so the triggers do not echo them back into the outbox, and clears it before
//!   committing: other connections never see the flag set. The pull stores its per-table
//!   position with [`RemoteApply::set_cursor`] in the same transaction as the rows, so an
//!   interrupted pull resumes exactly where its last commit left off.
//! * **Versions.** `strategy_versions` rows are immutable (a trigger rejects updates) except
//!   inside a [`RemoteApply`]: when another device already holds a strategy's version
//!   number, the sync renumbers the local, not yet pushed version to the next free number
//!   there, so neither save is lost.

use sqlx::{Sqlite, SqliteConnection, Transaction};

use crate::db::RowExt;
use crate::error::{Result, StoreError};
use crate::model::OutboxEntry;
use crate::Store;

/// A transaction applying pulled remote rows, with the outbox triggers suppressed.
/// Dropping it without [`RemoteApply::commit`] rolls everything back.
#[derive(Debug)]
pub struct RemoteApply {
    tx: Transaction<'static, Sqlite>,
    now: String,
}

impl RemoteApply {
    /// The connection to write pulled rows with.
    pub fn conn(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }

    /// Records how far the pull of `table_name` has come (committed with the rows).
    ///
    /// # Errors
    ///
    /// `Storage`.
    pub async fn set_cursor(&mut self, table_name: &str, cursor: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO sync_cursors (table_name, cursor, updated_at) VALUES (?, ?, ?) \
             ON CONFLICT (table_name) DO UPDATE SET cursor = excluded.cursor, \
             updated_at = excluded.updated_at",
        )
        .bind(table_name)
        .bind(cursor)
        .bind(&self.now)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Re-enables the outbox triggers and commits.
    ///
    /// # Errors
    ///
    /// `Storage`; nothing is applied then.
    pub async fn commit(mut self) -> Result<()> {
        sqlx::query("UPDATE sync_state SET applying_remote = 0 WHERE id = 1")
            .execute(&mut *self.tx)
            .await?;
        self.tx.commit().await?;
        Ok(())
    }
}

impl Store {
    /// The oldest `limit` queued local changes, in `seq` order.
    ///
    /// # Errors
    ///
    /// `Storage`; `Invalid` when a stored row cannot be read.
    pub async fn pending_changes(&self, limit: u32) -> Result<Vec<OutboxEntry>> {
        let rows = sqlx::query("SELECT * FROM sync_outbox ORDER BY seq LIMIT ?")
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(OutboxEntry {
                    seq: row.int("seq")?,
                    table_name: row.text("table_name")?,
                    row_id: row.text("row_id")?,
                    op: row.enum_value("op")?,
                    changed_at: row.text("changed_at")?,
                })
            })
            .collect()
    }

    /// Removes the queued changes up to and including `seq` (after a successful push).
    /// Returns how many were removed.
    ///
    /// # Errors
    ///
    /// `Storage`.
    pub async fn ack_changes(&self, up_to_seq: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sync_outbox WHERE seq <= ?")
            .bind(up_to_seq)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// The stored pull position of a table, if any.
    ///
    /// # Errors
    ///
    /// `Storage`.
    pub async fn sync_cursor(&self, table_name: &str) -> Result<Option<String>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT cursor FROM sync_cursors WHERE table_name = ?")
                .bind(table_name)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(c,)| c))
    }

    /// Begins applying pulled rows (see the module docs).
    ///
    /// # Errors
    ///
    /// `Storage`; `Conflict` if the flag was somehow left set.
    pub async fn begin_remote_apply(&self) -> Result<RemoteApply> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE sync_state SET applying_remote = 1 WHERE id = 1 AND applying_remote = 0",
        )
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::conflict(
                "a remote apply is already in progress",
            ));
        }
        Ok(RemoteApply {
            tx,
            now: self.now_text(),
        })
    }
}
