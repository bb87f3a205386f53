//! Users and the local profile created on first start.

use sqlx::sqlite::SqliteRow;
use sqlx::{Executor, Sqlite};
use uuid::Uuid;

use crate::db::{id_text, stored_enum, RowExt};
use crate::error::{Result, StoreError};
use crate::model::{NewUser, ProfileUpdate, Role, User};
use crate::quotas::{free_quota, FREE_PLAN_CODE};
use crate::Store;

/// E-mail of a profile created before the user signed in; replace it with
/// [`Store::update_profile`].
const LOCAL_EMAIL: &str = "local@stratagraph.invalid";

pub(crate) fn user_from_row(row: &SqliteRow) -> Result<User> {
    let roles = row
        .string_list("roles")?
        .iter()
        // Servers before remote schema 7 called the reviewer role `compliance`.
        .map(|r| stored_enum::<Role>("roles", if r == "compliance" { "reviewer" } else { r }))
        .collect::<Result<Vec<_>>>()?;
    Ok(User {
        id: row.id("id")?,
        email: row.text("email")?,
        display_name: row.text("display_name")?,
        roles,
        plan_tier: row.text("plan_tier")?,
        created_at: row.time("created_at")?,
        last_active_at: row.opt_time("last_active_at")?,
    })
}

pub(crate) async fn fetch_user<'e, E: Executor<'e, Database = Sqlite>>(
    ex: E,
    id: Uuid,
) -> Result<User> {
    let row = sqlx::query("SELECT * FROM users WHERE id = ?")
        .bind(id_text(id))
        .fetch_optional(ex)
        .await?
        .ok_or_else(|| StoreError::not_found("user", id))?;
    user_from_row(&row)
}

/// Gives a new user an active free plan, created (and updated) at `now`.
async fn insert_free_plan<'e, E: Executor<'e, Database = Sqlite>>(
    ex: E,
    user_id: Uuid,
    now: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO subscription_plans (id, user_id, plan_code, quota, status, created_at, \
         updated_at) VALUES (?, ?, ?, ?, 'active', ?, ?)",
    )
    .bind(id_text(Uuid::now_v7()))
    .bind(id_text(user_id))
    .bind(FREE_PLAN_CODE)
    .bind(free_quota().to_string())
    .bind(now)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(())
}

fn validate_email(email: &str) -> Result<String> {
    let email = email.trim();
    if email.is_empty() || !email.contains('@') || email.len() > 320 {
        return Err(StoreError::invalid("email", "must be an e-mail address"));
    }
    Ok(email.to_owned())
}

fn validate_display_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(StoreError::invalid(
            "display_name",
            "must be 1 to 200 characters",
        ));
    }
    Ok(name.to_owned())
}

fn roles_json(roles: &[Role]) -> Result<String> {
    if roles.is_empty() {
        return Err(StoreError::invalid(
            "roles",
            "at least one role is required",
        ));
    }
    let mut names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    serde_json::to_string(&names).map_err(StoreError::storage)
}

impl Store {
    /// This installation's profile user, if there is one yet (read only; a first sync may
    /// change it to the account's user).
    ///
    /// # Errors
    ///
    /// `Storage` on database failure or a damaged id.
    pub async fn profile_id(&self) -> Result<Option<Uuid>> {
        let id: Option<String> =
            sqlx::query_scalar("SELECT user_id FROM local_profile WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?;
        id.map(|id| {
            Uuid::parse_str(&id)
                .map_err(|e| StoreError::invalid("local_profile.user_id", e.to_string()))
        })
        .transpose()
    }

    /// Returns this installation's profile, creating it on the first call (e-mail
    /// `local@stratagraph.invalid`, display name "Local user", role trader, plan tier `free`,
    /// with an active free plan). Every call sets `last_active_at` to now.
    ///
    /// # Errors
    ///
    /// `Storage` on database failure; `Conflict` if another user already holds the local
    /// e-mail address.
    pub async fn ensure_profile(&self) -> Result<User> {
        let now = self.now_text();
        let mut tx = self.write_tx().await?;
        let existing: Option<(String,)> =
            sqlx::query_as("SELECT user_id FROM local_profile WHERE id = 1")
                .fetch_optional(&mut *tx)
                .await?;
        let user_id = match existing {
            Some((id,)) => {
                sqlx::query("UPDATE users SET last_active_at = ? WHERE id = ?")
                    .bind(&now)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                Uuid::parse_str(&id)
                    .map_err(|e| StoreError::invalid("local_profile.user_id", e.to_string()))?
            }
            None => {
                let id = Uuid::now_v7();
                sqlx::query(
                    "INSERT INTO users (id, email, display_name, roles, plan_tier, created_at, \
                     last_active_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(id_text(id))
                .bind(LOCAL_EMAIL)
                .bind("Local user")
                .bind(roles_json(&[Role::Trader])?)
                .bind(FREE_PLAN_CODE)
                .bind(&now)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
                insert_free_plan(&mut *tx, id, &now).await?;
                sqlx::query("INSERT INTO local_profile (id, user_id) VALUES (1, ?)")
                    .bind(id_text(id))
                    .execute(&mut *tx)
                    .await?;
                id
            }
        };
        let user = fetch_user(&mut *tx, user_id).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Creates another user (an educator, a reviewer, a user met through sync) with an active
    /// free plan and plan tier `free`.
    ///
    /// # Errors
    ///
    /// `Invalid` for a bad e-mail, name or empty roles; `Conflict` when the e-mail is taken.
    pub async fn create_user(&self, new: &NewUser) -> Result<User> {
        let email = validate_email(&new.email)?;
        let name = validate_display_name(&new.display_name)?;
        let roles = roles_json(&new.roles)?;
        let now = self.now_text();
        let id = Uuid::now_v7();
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO users (id, email, display_name, roles, plan_tier, created_at) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(id_text(id))
        .bind(&email)
        .bind(&name)
        .bind(&roles)
        .bind(FREE_PLAN_CODE)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        insert_free_plan(&mut *tx, id, &now).await?;
        let user = fetch_user(&mut *tx, id).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// The user with this id.
    ///
    /// # Errors
    ///
    /// `NotFound` when there is none.
    pub async fn get_user(&self, id: Uuid) -> Result<User> {
        fetch_user(&self.pool, id).await
    }

    /// Changes e-mail, display name and/or roles.
    ///
    /// # Errors
    ///
    /// `NotFound`, `Invalid` for bad values, `Conflict` when the e-mail is taken.
    pub async fn update_profile(&self, id: Uuid, update: &ProfileUpdate) -> Result<User> {
        let email = update.email.as_deref().map(validate_email).transpose()?;
        let name = update
            .display_name
            .as_deref()
            .map(validate_display_name)
            .transpose()?;
        let roles = update.roles.as_deref().map(roles_json).transpose()?;
        let row = sqlx::query(
            "UPDATE users SET email = COALESCE(?, email), display_name = COALESCE(?, display_name), \
             roles = COALESCE(?, roles) WHERE id = ? RETURNING *",
        )
        .bind(email)
        .bind(name)
        .bind(roles)
        .bind(id_text(id))
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("user", id))?;
        user_from_row(&row)
    }

    /// Sets `last_active_at` to now.
    ///
    /// # Errors
    ///
    /// `NotFound` when there is no such user.
    pub async fn touch_user(&self, id: Uuid) -> Result<User> {
        let row = sqlx::query("UPDATE users SET last_active_at = ? WHERE id = ? RETURNING *")
            .bind(self.now_text())
            .bind(id_text(id))
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::not_found("user", id))?;
        user_from_row(&row)
    }
}

/// The user `id` if they hold one of `roles` (an administrator holds every role).
///
/// # Errors
///
/// `Forbidden` naming `action` and the roles it needs; `NotFound` for an unknown user.
pub(crate) async fn require_role<'e, E: Executor<'e, Database = Sqlite>>(
    ex: E,
    id: Option<Uuid>,
    roles: &[Role],
    action: &str,
) -> Result<User> {
    let needed = roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(" or ");
    let Some(id) = id else {
        return Err(StoreError::Forbidden {
            reason: format!("{action} needs a user with the {needed} role"),
        });
    };
    let user = fetch_user(ex, id).await?;
    if user
        .roles
        .iter()
        .any(|r| *r == Role::Admin || roles.contains(r))
    {
        Ok(user)
    } else {
        Err(StoreError::Forbidden {
            reason: format!("{action} needs the {needed} role"),
        })
    }
}
