//! The in-app inbox: create, list unread first, unread count, mark read, delete.

use serde_json::Value;
use sqlx::sqlite::SqliteRow;
use sqlx::SqliteConnection;
use uuid::Uuid;

use crate::db::{id_text, json_text, RowExt, MAX_JSON_BYTES};
use crate::error::{Result, StoreError};
use crate::model::{Channel, Notification, NotificationType};
use crate::Store;

fn notification_from_row(row: &SqliteRow) -> Result<Notification> {
    Ok(Notification {
        id: row.id("id")?,
        user_id: row.id("user_id")?,
        kind: row.enum_value("type")?,
        payload: row.json("payload")?,
        channel: row.enum_value("channel")?,
        read_at: row.opt_time("read_at")?,
        created_at: row.time("created_at")?,
    })
}

/// Inserts a notification inside the caller's transaction.
pub(crate) async fn insert_notification(
    conn: &mut SqliteConnection,
    user_id: Uuid,
    kind: NotificationType,
    payload: &Value,
    channel: Channel,
    now: &str,
) -> Result<Notification> {
    let payload = json_text("payload", payload, MAX_JSON_BYTES)?;
    let row = sqlx::query(
        "INSERT INTO notifications (id, user_id, type, payload, channel, created_at) \
         VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
    )
    .bind(id_text(Uuid::now_v7()))
    .bind(id_text(user_id))
    .bind(kind.as_str())
    .bind(payload)
    .bind(channel.as_str())
    .bind(now)
    .fetch_one(conn)
    .await
    .map_err(|e| StoreError::from(e).fk_as_not_found("user", user_id))?;
    notification_from_row(&row)
}

impl Store {
    /// Adds a notification to a user's inbox.
    ///
    /// # Errors
    ///
    /// `NotFound` for an unknown user; `Invalid` for an over-large payload.
    pub async fn create_notification(
        &self,
        user_id: Uuid,
        kind: NotificationType,
        payload: &Value,
        channel: Channel,
    ) -> Result<Notification> {
        let mut conn = self.pool.acquire().await?;
        insert_notification(&mut conn, user_id, kind, payload, channel, &self.now_text()).await
    }

    /// A user's notifications, unread first, then newest first.
    ///
    /// # Errors
    ///
    /// `Storage`; `Invalid` when a stored row cannot be read.
    pub async fn list_notifications(
        &self,
        user_id: Uuid,
        limit: Option<u32>,
    ) -> Result<Vec<Notification>> {
        let rows = sqlx::query(
            "SELECT * FROM notifications WHERE user_id = ? \
             ORDER BY read_at IS NULL DESC, created_at DESC, id DESC LIMIT ?",
        )
        .bind(id_text(user_id))
        .bind(limit.map_or(-1, i64::from))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(notification_from_row).collect()
    }

    /// How many of a user's notifications are unread (served by the partial index
    /// `notifications_unread_idx`).
    ///
    /// # Errors
    ///
    /// `Storage`.
    pub async fn unread_count(&self, user_id: Uuid) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM notifications WHERE user_id = ? AND read_at IS NULL",
        )
        .bind(id_text(user_id))
        .fetch_one(&self.pool)
        .await?;
        Ok(n)
    }

    /// Marks one notification read (keeping the first read time if it already was).
    ///
    /// # Errors
    ///
    /// `NotFound`.
    pub async fn mark_read(&self, id: Uuid) -> Result<Notification> {
        let row = sqlx::query(
            "UPDATE notifications SET read_at = COALESCE(read_at, ?) WHERE id = ? RETURNING *",
        )
        .bind(self.now_text())
        .bind(id_text(id))
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("notification", id))?;
        notification_from_row(&row)
    }

    /// Marks all of a user's notifications read; returns how many changed.
    ///
    /// # Errors
    ///
    /// `Storage`.
    pub async fn mark_all_read(&self, user_id: Uuid) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL",
        )
        .bind(self.now_text())
        .bind(id_text(user_id))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Deletes a notification.
    ///
    /// # Errors
    ///
    /// `NotFound`.
    pub async fn delete_notification(&self, id: Uuid) -> Result<()> {
        let done = sqlx::query("DELETE FROM notifications WHERE id = ?")
            .bind(id_text(id))
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("notification", id));
        }
        Ok(())
    }
}
