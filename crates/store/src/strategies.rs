//! Strategies: create with a unique slug, rename, tag, status, visibility, delete, search.

use std::collections::HashSet;

use sqlx::sqlite::SqliteRow;
use sqlx::{Executor, QueryBuilder, Sqlite, SqliteConnection};
use uuid::Uuid;

use crate::db::{id_text, like_escape, RowExt};
use crate::error::{Result, StoreError};
use crate::model::{Strategy, StrategyFilter, StrategyStatus, Visibility};
use crate::Store;

const MAX_TITLE_CHARS: usize = 200;
const MAX_SLUG_CHARS: usize = 60;
const MAX_TAGS: usize = 32;
const MAX_TAG_CHARS: usize = 40;

pub(crate) fn strategy_from_row(row: &SqliteRow) -> Result<Strategy> {
    Ok(Strategy {
        id: row.id("id")?,
        owner_id: row.id("owner_id")?,
        title: row.text("title")?,
        slug: row.text("slug")?,
        status: row.enum_value("status")?,
        visibility: row.enum_value("visibility")?,
        tags: row.string_list("tags")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
    })
}

pub(crate) async fn fetch_strategy<'e, E: Executor<'e, Database = Sqlite>>(
    ex: E,
    id: Uuid,
) -> Result<Strategy> {
    let row = sqlx::query("SELECT * FROM strategies WHERE id = ?")
        .bind(id_text(id))
        .fetch_optional(ex)
        .await?
        .ok_or_else(|| StoreError::not_found("strategy", id))?;
    strategy_from_row(&row)
}

pub(crate) fn validate_title(title: &str) -> Result<String> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
        return Err(StoreError::invalid(
            "title",
            format!("must be 1 to {MAX_TITLE_CHARS} characters"),
        ));
    }
    Ok(title.to_owned())
}

/// Lower-case ASCII letters and digits joined by single dashes; `strategy` when nothing is
/// left (a title in another script, only punctuation).
pub(crate) fn slugify(title: &str) -> String {
    let mut slug = String::new();
    let mut dash = false;
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            if dash && !slug.is_empty() {
                slug.push('-');
            }
            dash = false;
            slug.push(c.to_ascii_lowercase());
        } else {
            dash = true;
        }
        if slug.len() >= MAX_SLUG_CHARS {
            break;
        }
    }
    if slug.is_empty() {
        "strategy".to_owned()
    } else {
        slug
    }
}

/// The first free slug for `title`: `base`, then `base-2`, `base-3` ... Runs inside the
/// caller's write transaction, so no other writer can take it in between.
pub(crate) async fn unique_slug(conn: &mut SqliteConnection, title: &str) -> Result<String> {
    let base = slugify(title);
    let taken: Vec<(String,)> =
        sqlx::query_as("SELECT slug FROM strategies WHERE slug = ?1 OR slug LIKE ?2 ESCAPE '\\'")
            .bind(&base)
            .bind(format!("{}-%", like_escape(&base)))
            .fetch_all(conn)
            .await?;
    let taken: HashSet<String> = taken.into_iter().map(|(s,)| s).collect();
    if !taken.contains(&base) {
        return Ok(base);
    }
    let mut n: u64 = 2;
    loop {
        let candidate = format!("{base}-{n}");
        if !taken.contains(&candidate) {
            return Ok(candidate);
        }
        n += 1;
    }
}

/// Inserts a strategy row (draft, private, no tags) inside the caller's transaction.
pub(crate) async fn insert_strategy(
    conn: &mut SqliteConnection,
    owner: Uuid,
    title: &str,
    now: &str,
) -> Result<Strategy> {
    let title = validate_title(title)?;
    let slug = unique_slug(&mut *conn, &title).await?;
    let row = sqlx::query(
        "INSERT INTO strategies (id, owner_id, title, slug, status, visibility, tags, created_at, \
         updated_at) VALUES (?, ?, ?, ?, 'draft', 'private', '[]', ?, ?) RETURNING *",
    )
    .bind(id_text(Uuid::now_v7()))
    .bind(id_text(owner))
    .bind(&title)
    .bind(&slug)
    .bind(now)
    .bind(now)
    .fetch_one(conn)
    .await
    .map_err(|e| StoreError::from(e).fk_as_not_found("user", owner))?;
    strategy_from_row(&row)
}

fn normalize_tags(tags: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.trim();
        if tag.is_empty() || tag.chars().count() > MAX_TAG_CHARS {
            return Err(StoreError::invalid(
                "tags",
                format!("each tag must be 1 to {MAX_TAG_CHARS} characters"),
            ));
        }
        if !out.iter().any(|t| t == tag) {
            out.push(tag.to_owned());
        }
    }
    if out.len() > MAX_TAGS {
        return Err(StoreError::invalid(
            "tags",
            format!("at most {MAX_TAGS} tags"),
        ));
    }
    Ok(out)
}

impl Store {
    /// Creates a draft, private strategy owned by `owner`, with a slug made from the title
    /// (`my-strategy`, then `my-strategy-2` ... on a clash).
    ///
    /// # Errors
    ///
    /// `Invalid` for an empty or over-long title; `NotFound` when the owner does not exist.
    pub async fn create_strategy(&self, owner: Uuid, title: &str) -> Result<Strategy> {
        let now = self.now_text();
        let mut tx = self.write_tx().await?;
        let strategy = insert_strategy(&mut tx, owner, title, &now).await?;
        tx.commit().await?;
        Ok(strategy)
    }

    /// The strategy with this id.
    ///
    /// # Errors
    ///
    /// `NotFound` when there is none.
    pub async fn get_strategy(&self, id: Uuid) -> Result<Strategy> {
        fetch_strategy(&self.pool, id).await
    }

    /// The strategy named by `key`: an id if it parses as one, else a slug.
    ///
    /// # Errors
    ///
    /// `NotFound` when neither matches.
    pub async fn find_strategy(&self, key: &str) -> Result<Strategy> {
        let key = key.trim();
        if let Ok(id) = Uuid::parse_str(key) {
            match fetch_strategy(&self.pool, id).await {
                Err(StoreError::NotFound { .. }) => {}
                other => return other,
            }
        }
        let row = sqlx::query("SELECT * FROM strategies WHERE slug = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::not_found("strategy", key))?;
        strategy_from_row(&row)
    }

    async fn update_strategy(&self, id: Uuid, set: &str, value: String) -> Result<Strategy> {
        let sql =
            format!("UPDATE strategies SET {set} = ?, updated_at = ? WHERE id = ? RETURNING *");
        let row = sqlx::query(&sql)
            .bind(value)
            .bind(self.now_text())
            .bind(id_text(id))
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::not_found("strategy", id))?;
        strategy_from_row(&row)
    }

    /// Changes the title. The slug stays: it is the strategy's stable name in links and on
    /// the command line.
    ///
    /// # Errors
    ///
    /// `Invalid` for an empty or over-long title; `NotFound`.
    pub async fn rename_strategy(&self, id: Uuid, title: &str) -> Result<Strategy> {
        let title = validate_title(title)?;
        self.update_strategy(id, "title", title).await
    }

    /// Replaces the tags (trimmed, duplicates dropped, order kept).
    ///
    /// # Errors
    ///
    /// `Invalid` for empty or over-long tags or too many; `NotFound`.
    pub async fn set_tags(&self, id: Uuid, tags: &[String]) -> Result<Strategy> {
        let tags = normalize_tags(tags)?;
        let json = serde_json::to_string(&tags).map_err(StoreError::storage)?;
        self.update_strategy(id, "tags", json).await
    }

    /// Changes the status (draft / active / archived).
    ///
    /// # Errors
    ///
    /// `NotFound`.
    pub async fn set_strategy_status(&self, id: Uuid, status: StrategyStatus) -> Result<Strategy> {
        self.update_strategy(id, "status", status.as_str().to_owned())
            .await
    }

    /// Changes the visibility (private / unlisted / public).
    ///
    /// # Errors
    ///
    /// `NotFound`.
    pub async fn set_visibility(&self, id: Uuid, visibility: Visibility) -> Result<Strategy> {
        self.update_strategy(id, "visibility", visibility.as_str().to_owned())
            .await
    }

    /// Deletes a strategy with its versions, their runs, paper runs and template shares.
    ///
    /// # Errors
    ///
    /// `NotFound`; `Conflict` when another table still refers to one of its rows without a
    /// cascade.
    pub async fn delete_strategy(&self, id: Uuid) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("DELETE FROM strategies WHERE id = ?")
            .bind(id_text(id))
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("strategy", id));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Strategies matching `filter`, most recently changed first.
    ///
    /// # Errors
    ///
    /// `Storage`; `Invalid` when a stored row cannot be read.
    pub async fn list_strategies(&self, filter: &StrategyFilter) -> Result<Vec<Strategy>> {
        let mut q: QueryBuilder<'_, Sqlite> =
            QueryBuilder::new("SELECT * FROM strategies WHERE 1 = 1");
        if let Some(owner) = filter.owner_id {
            q.push(" AND owner_id = ").push_bind(id_text(owner));
        }
        if let Some(status) = filter.status {
            q.push(" AND status = ").push_bind(status.as_str());
        }
        if let Some(tag) = filter.tag.as_deref() {
            q.push(" AND EXISTS (SELECT 1 FROM json_each(strategies.tags) WHERE value = ")
                .push_bind(tag.trim().to_owned())
                .push(")");
        }
        if let Some(search) = filter
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let pattern = format!("%{}%", like_escape(search));
            q.push(" AND (title LIKE ")
                .push_bind(pattern.clone())
                .push(" ESCAPE '\\' OR EXISTS (SELECT 1 FROM json_each(strategies.tags) WHERE value LIKE ")
                .push_bind(pattern)
                .push(" ESCAPE '\\'))");
        }
        q.push(" ORDER BY updated_at DESC, id DESC");
        if let Some(limit) = filter.limit {
            q.push(" LIMIT ").push_bind(i64::from(limit));
        }
        let rows = q.build().fetch_all(&self.pool).await?;
        rows.iter().map(strategy_from_row).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::slugify;

    #[test]
    fn slugs_are_lowercase_ascii_with_single_dashes() {
        assert_eq!(slugify("My Strategy"), "my-strategy");
        assert_eq!(slugify("  SMA -- cross!! 20/50 "), "sma-cross-20-50");
        assert_eq!(slugify("???"), "strategy");
        assert_eq!(slugify("Ünïcode"), "n-code");
        assert!(slugify(&"a".repeat(500)).len() <= 60);
    }
}
