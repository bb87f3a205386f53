//! Compliance and audit events: record, list by entity or status, resolve with a reason.

use serde_json::{json, Value};
use sqlx::sqlite::SqliteRow;
use sqlx::SqliteConnection;
use uuid::Uuid;

use crate::db::{id_text, json_text, require_object, RowExt, MAX_JSON_BYTES};
use crate::error::{Result, StoreError};
use crate::model::{
    Channel, ComplianceDecision, ComplianceEvent, ComplianceStatus, NewComplianceEvent,
    NotificationType, Role,
};
use crate::Store;

fn event_from_row(row: &SqliteRow) -> Result<ComplianceEvent> {
    Ok(ComplianceEvent {
        id: row.id("id")?,
        entity_type: row.text("entity_type")?,
        entity_id: row.id("entity_id")?,
        event_type: row.text("event_type")?,
        payload: row.json("payload")?,
        status: row.enum_value("status")?,
        created_by: row.opt_id("created_by")?,
        created_at: row.time("created_at")?,
        resolved_at: row.opt_time("resolved_at")?,
    })
}

fn non_empty(field: &str, s: &str) -> Result<String> {
    let s = s.trim();
    if s.is_empty() || s.len() > 100 {
        return Err(StoreError::invalid(field, "must be 1 to 100 characters"));
    }
    Ok(s.to_owned())
}

/// Inserts an event inside the caller's transaction.
pub(crate) async fn insert_event(
    conn: &mut SqliteConnection,
    new: &NewComplianceEvent,
    now: &str,
) -> Result<ComplianceEvent> {
    let entity_type = non_empty("entity_type", &new.entity_type)?;
    let event_type = non_empty("event_type", &new.event_type)?;
    require_object("payload", &new.payload)?;
    if !matches!(
        new.status,
        ComplianceStatus::Open | ComplianceStatus::Recorded
    ) {
        return Err(StoreError::invalid(
            "status",
            "a new event is open or recorded",
        ));
    }
    let payload = json_text("payload", &new.payload, MAX_JSON_BYTES)?;
    let row = sqlx::query(
        "INSERT INTO compliance_events (id, entity_type, entity_id, event_type, payload, status, \
         created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
    )
    .bind(id_text(Uuid::now_v7()))
    .bind(entity_type)
    .bind(id_text(new.entity_id))
    .bind(event_type)
    .bind(payload)
    .bind(new.status.as_str())
    .bind(new.created_by.map(id_text))
    .bind(now)
    .fetch_one(conn)
    .await
    .map_err(|e| {
        StoreError::from(e).fk_as_not_found("user", new.created_by.map(id_text).unwrap_or_default())
    })?;
    event_from_row(&row)
}

impl Store {
    /// Records an event: `Open` when a reviewer must decide, `Recorded` for audit only.
    ///
    /// # Errors
    ///
    /// `Invalid` for empty types, a payload that is not an object, or another status;
    /// `NotFound` for an unknown creator.
    pub async fn record_compliance_event(
        &self,
        new: &NewComplianceEvent,
    ) -> Result<ComplianceEvent> {
        let mut conn = self.pool.acquire().await?;
        insert_event(&mut conn, new, &self.now_text()).await
    }

    /// The events about one entity, oldest first.
    ///
    /// # Errors
    ///
    /// `Storage`; `Invalid` when a stored row cannot be read.
    pub async fn compliance_events_for(
        &self,
        entity_type: &str,
        entity_id: Uuid,
    ) -> Result<Vec<ComplianceEvent>> {
        let rows = sqlx::query(
            "SELECT * FROM compliance_events WHERE entity_type = ? AND entity_id = ? \
             ORDER BY created_at, id",
        )
        .bind(entity_type)
        .bind(id_text(entity_id))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// The events in one state, oldest first (a reviewer's queue is `Open`).
    ///
    /// # Errors
    ///
    /// `Storage`; `Invalid` when a stored row cannot be read.
    pub async fn compliance_events_by_status(
        &self,
        status: ComplianceStatus,
    ) -> Result<Vec<ComplianceEvent>> {
        let rows =
            sqlx::query("SELECT * FROM compliance_events WHERE status = ? ORDER BY created_at, id")
                .bind(status.as_str())
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// Approves or rejects an open event with a reason: sets the status and `resolved_at`,
    /// adds `"resolution": {decision, reason, resolved_by}` to the payload and notifies the
    /// event's creator (if any), in one transaction.
    ///
    /// # Errors
    ///
    /// `Invalid` for an empty reason; `Forbidden` unless `resolved_by` is a reviewer (or an
    /// administrator); `NotFound`; `Conflict` when the event is not open.
    pub async fn resolve_compliance_event(
        &self,
        id: Uuid,
        decision: ComplianceDecision,
        reason: &str,
        resolved_by: Option<Uuid>,
    ) -> Result<ComplianceEvent> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::invalid("reason", "a resolution needs a reason"));
        }
        let status = match decision {
            ComplianceDecision::Approve => ComplianceStatus::Approved,
            ComplianceDecision::Reject => ComplianceStatus::Rejected,
        };
        let resolution = json!({
            "decision": status.as_str(),
            "reason": reason,
            "resolved_by": resolved_by,
        });
        let now = self.now_text();
        let mut tx = self.write_tx().await?;
        crate::users::require_role(
            &mut *tx,
            resolved_by,
            &[Role::Reviewer],
            "deciding a compliance event",
        )
        .await?;
        let row = sqlx::query(
            "UPDATE compliance_events SET status = ?, resolved_at = ?, \
             payload = json_set(payload, '$.resolution', json(?)) \
             WHERE id = ? AND status = 'open' RETURNING *",
        )
        .bind(status.as_str())
        .bind(&now)
        .bind(resolution.to_string())
        .bind(id_text(id))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            let existing: Option<(String,)> =
                sqlx::query_as("SELECT status FROM compliance_events WHERE id = ?")
                    .bind(id_text(id))
                    .fetch_optional(&mut *tx)
                    .await?;
            return Err(match existing {
                Some((s,)) => StoreError::conflict(format!("compliance event is {s}, not open")),
                None => StoreError::not_found("compliance event", id),
            });
        };
        let event = event_from_row(&row)?;
        if let Some(creator) = event.created_by {
            let payload: Value = json!({
                "compliance_event_id": event.id,
                "entity_type": event.entity_type,
                "entity_id": event.entity_id,
                "decision": status.as_str(),
                "reason": reason,
            });
            crate::notifications::insert_notification(
                &mut tx,
                creator,
                NotificationType::ComplianceDecision,
                &payload,
                Channel::InApp,
                &now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(event)
    }

    /// Queues a template submission made while the shared server could not be reached: an
    /// open `publish_request` event about the version, whose payload is the submission. It
    /// syncs like any audit event; the app sends it after its next sync and then closes it
    /// with [`Store::finish_publish_request`].
    ///
    /// # Errors
    ///
    /// `Invalid` for a payload that is not an object; `NotFound` for an unknown creator.
    pub async fn queue_publish_request(
        &self,
        strategy_version_id: Uuid,
        created_by: Option<Uuid>,
        submission: &Value,
    ) -> Result<ComplianceEvent> {
        self.record_compliance_event(&NewComplianceEvent {
            entity_type: PUBLISH_ENTITY.to_owned(),
            entity_id: strategy_version_id,
            event_type: PUBLISH_REQUEST.to_owned(),
            payload: submission.clone(),
            status: ComplianceStatus::Open,
            created_by,
        })
        .await
    }

    /// The submissions of `created_by` waiting to be sent, oldest first (a reviewer's device
    /// also holds other users' events: those are never sent from here).
    ///
    /// # Errors
    ///
    /// `Storage`; `Invalid` when a stored row cannot be read.
    pub async fn pending_publish_requests(&self, created_by: Uuid) -> Result<Vec<ComplianceEvent>> {
        let rows = sqlx::query(
            "SELECT * FROM compliance_events WHERE event_type = ? AND status = 'open' \
             AND created_by = ? ORDER BY created_at, id",
        )
        .bind(PUBLISH_REQUEST)
        .bind(id_text(created_by))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// Closes a queued submission: `sent` (status recorded) or refused by the server (status
    /// rejected), with `outcome` (review id or reason) merged into its payload.
    ///
    /// # Errors
    ///
    /// `Invalid` for an outcome that is not an object; `Conflict` when it is no longer
    /// waiting; `NotFound`.
    pub async fn finish_publish_request(
        &self,
        id: Uuid,
        sent: bool,
        outcome: &Value,
    ) -> Result<ComplianceEvent> {
        require_object("outcome", outcome)?;
        let status = if sent {
            ComplianceStatus::Recorded
        } else {
            ComplianceStatus::Rejected
        };
        let row = sqlx::query(
            "UPDATE compliance_events SET status = ?, resolved_at = ?, \
             payload = json_patch(payload, ?) \
             WHERE id = ? AND event_type = ? AND status = 'open' RETURNING *",
        )
        .bind(status.as_str())
        .bind(self.now_text())
        .bind(outcome.to_string())
        .bind(id_text(id))
        .bind(PUBLISH_REQUEST)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => event_from_row(&row),
            None => {
                let exists: Option<(String,)> =
                    sqlx::query_as("SELECT status FROM compliance_events WHERE id = ?")
                        .bind(id_text(id))
                        .fetch_optional(&self.pool)
                        .await?;
                Err(match exists {
                    Some((s,)) => {
                        StoreError::conflict(format!("the submission is {s}, not waiting"))
                    }
                    None => StoreError::not_found("submission", id),
                })
            }
        }
    }
}

/// The entity a queued submission is about.
pub const PUBLISH_ENTITY: &str = "strategy_version";
/// The event type of a queued submission.
pub const PUBLISH_REQUEST: &str = "publish_request";
