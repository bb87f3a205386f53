//! Templates: publish a version for an audience, list, clone with attribution.

use serde_json::{json, Value};
use sqlx::sqlite::SqliteRow;
use sqlx::{Executor, Sqlite};
use uuid::Uuid;

use crate::compliance::insert_event;
use crate::db::{id_text, json_text, require_object, RowExt, MAX_JSON_BYTES};
use crate::error::{Result, StoreError};
use crate::model::{
    AudienceScope, ClonedTemplate, ComplianceStatus, NewComplianceEvent, Role, TemplateShare,
};
use crate::strategies::insert_strategy;
use crate::versions::{fetch_version, insert_version};
use crate::Store;

fn template_from_row(row: &SqliteRow) -> Result<TemplateShare> {
    Ok(TemplateShare {
        id: row.id("id")?,
        strategy_version_id: row.id("strategy_version_id")?,
        educator_id: row.opt_id("educator_id")?,
        audience_scope: row.enum_value("audience_scope")?,
        metadata: row.json("metadata")?,
        clone_count: row.int("clone_count")?,
        created_at: row.time("created_at")?,
    })
}

async fn fetch_template<'e, E: Executor<'e, Database = Sqlite>>(
    ex: E,
    id: Uuid,
) -> Result<TemplateShare> {
    let row = sqlx::query("SELECT * FROM template_shares WHERE id = ?")
        .bind(id_text(id))
        .fetch_optional(ex)
        .await?
        .ok_or_else(|| StoreError::not_found("template", id))?;
    template_from_row(&row)
}

impl Store {
    /// Publishes a version as a template for an audience, and opens the compliance event
    /// (`template_share` / `template_published`, status open) a reviewer decides on, in one
    /// transaction. The educator must hold the educator (or admin) role. On a shared server
    /// such a row reaches nobody but its educator until a reviewer approves it there
    /// (`stratagraph template publish` submits it for review; see `migrations/README.md`).
    ///
    /// # Errors
    ///
    /// `Invalid` for metadata that is not a JSON object or is too large; `Forbidden` without
    /// an educator; `NotFound` for an unknown version or educator.
    pub async fn publish_template(
        &self,
        strategy_version_id: Uuid,
        educator_id: Option<Uuid>,
        audience: AudienceScope,
        metadata: &Value,
    ) -> Result<TemplateShare> {
        require_object("metadata", metadata)?;
        let meta = json_text("metadata", metadata, MAX_JSON_BYTES)?;
        let now = self.now_text();
        let mut tx = self.write_tx().await?;
        crate::users::require_role(
            &mut *tx,
            educator_id,
            &[Role::Educator],
            "publishing a template",
        )
        .await?;
        let row = sqlx::query(
            "INSERT INTO template_shares (id, strategy_version_id, educator_id, audience_scope, \
             metadata, clone_count, created_at) VALUES (?, ?, ?, ?, ?, 0, ?) RETURNING *",
        )
        .bind(id_text(Uuid::now_v7()))
        .bind(id_text(strategy_version_id))
        .bind(educator_id.map(id_text))
        .bind(audience.as_str())
        .bind(meta)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            StoreError::from(e).fk_as_not_found("strategy version or educator", strategy_version_id)
        })?;
        let template = template_from_row(&row)?;
        insert_event(
            &mut tx,
            &NewComplianceEvent {
                entity_type: "template_share".to_owned(),
                entity_id: template.id,
                event_type: "template_published".to_owned(),
                payload: json!({
                    "strategy_version_id": strategy_version_id,
                    "audience_scope": audience.as_str(),
                }),
                status: ComplianceStatus::Open,
                created_by: educator_id,
            },
            &now,
        )
        .await?;
        tx.commit().await?;
        Ok(template)
    }

    /// The template with this id.
    ///
    /// # Errors
    ///
    /// `NotFound`.
    pub async fn get_template(&self, id: Uuid) -> Result<TemplateShare> {
        fetch_template(&self.pool, id).await
    }

    /// Templates, newest first, optionally only one audience and/or one educator's.
    ///
    /// # Errors
    ///
    /// `Storage`; `Invalid` when a stored row cannot be read.
    pub async fn list_templates(
        &self,
        audience: Option<AudienceScope>,
        educator_id: Option<Uuid>,
    ) -> Result<Vec<TemplateShare>> {
        let rows = sqlx::query(
            "SELECT * FROM template_shares WHERE (?1 IS NULL OR audience_scope = ?1) \
             AND (?2 IS NULL OR educator_id = ?2) ORDER BY created_at DESC, id DESC",
        )
        .bind(audience.map(AudienceScope::as_str))
        .bind(educator_id.map(id_text))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(template_from_row).collect()
    }

    /// Unpublishes a template.
    ///
    /// # Errors
    ///
    /// `NotFound`.
    pub async fn delete_template(&self, id: Uuid) -> Result<()> {
        let done = sqlx::query("DELETE FROM template_shares WHERE id = ?")
            .bind(id_text(id))
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("template", id));
        }
        Ok(())
    }

    /// Clones a template for `owner`: a new strategy (titled `title`, else the metadata's
    /// `"title"`, else "Template copy") whose version 1 holds the template's graph, with
    /// attribution in the version notes and in an audit event (`template_share` /
    /// `template_cloned`, status recorded, payload naming the source version, educator and
    /// the new strategy), and the template's `clone_count` bumped in the same transaction.
    ///
    /// # Errors
    ///
    /// `NotFound` for an unknown template or owner; `Invalid` for a bad title.
    pub async fn clone_template(
        &self,
        template_id: Uuid,
        owner: Uuid,
        title: Option<&str>,
    ) -> Result<ClonedTemplate> {
        let now = self.now_text();
        let mut tx = self.write_tx().await?;
        let bumped = sqlx::query(
            "UPDATE template_shares SET clone_count = clone_count + 1 WHERE id = ? RETURNING *",
        )
        .bind(id_text(template_id))
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::not_found("template", template_id))?;
        let template = template_from_row(&bumped)?;
        let source = fetch_version(&mut *tx, template.strategy_version_id).await?;
        let title = title
            .map(str::to_owned)
            .or_else(|| {
                template
                    .metadata
                    .get("title")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| "Template copy".to_owned());
        let strategy = insert_strategy(&mut tx, owner, &title, &now).await?;
        let notes = format!(
            "Cloned from template {} (strategy version {}, v{})",
            template.id, source.id, source.version
        );
        let graph_text = source.graph_json.to_string();
        let (version_id, version_no) = insert_version(
            &mut tx,
            strategy.id,
            &graph_text,
            Some(&notes),
            Some(owner),
            &now,
        )
        .await?;
        insert_event(
            &mut tx,
            &NewComplianceEvent {
                entity_type: "template_share".to_owned(),
                entity_id: template.id,
                event_type: "template_cloned".to_owned(),
                payload: json!({
                    "source_version_id": source.id,
                    "educator_id": template.educator_id,
                    "strategy_id": strategy.id,
                    "strategy_version_id": version_id,
                    "cloned_by": owner,
                }),
                status: ComplianceStatus::Recorded,
                created_by: Some(owner),
            },
            &now,
        )
        .await?;
        let version = fetch_version(&mut *tx, version_id).await?;
        let strategy = crate::strategies::fetch_strategy(&mut *tx, strategy.id).await?;
        tx.commit().await?;
        debug_assert_eq!(version.version, version_no);
        Ok(ClonedTemplate {
            strategy,
            version,
            template,
        })
    }
}
