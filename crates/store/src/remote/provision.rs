//! Provisioning a user on the shared server without sending their password: the
//! SCRAM-SHA-256 verifier is computed here and only the verifier travels.

use sqlx::PgPool;
use uuid::Uuid;

use super::error::{classify, SyncError, SyncResult};
use crate::error::StoreError;

/// A user to create (or update) on the server.
#[derive(Debug, Clone)]
pub struct Provision {
    /// The login role (created, or its password replaced when it exists).
    pub role: String,
    /// The user's id (new users: a fresh UUIDv7; an existing device's profile id to keep
    /// that device's data under the same user).
    pub user_id: Uuid,
    /// E-mail address (unique on the server).
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// Roles: trader, educator, compliance, admin.
    pub roles: Vec<String>,
    /// Plan tier.
    pub plan_tier: String,
}

/// The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (SASLprep, 4096 iterations,
/// a random salt): what `CREATE ROLE ... PASSWORD` accepts in place of the password.
pub fn scram_verifier(password: &str) -> String {
    postgres_protocol::password::scram_sha_256(password.as_bytes())
}

/// Creates the login role with the verifier of `password`, maps it to the user (created if
/// missing) through `sg_provision_user`, and returns the user id. Run as the schema's owner
/// or a role with CREATEROLE. The password itself is never sent, so a failing statement
/// logged by the server shows only the verifier.
///
/// # Errors
///
/// `Permission` when the connected role may not create roles; `Local(Conflict)` when the
/// e-mail belongs to another user; `Remote` when the server refuses a value.
pub async fn provision_user(pool: &PgPool, p: &Provision, password: &str) -> SyncResult<Uuid> {
    let verifier = scram_verifier(password);
    let done = sqlx::query("SELECT sg_provision_user($1::name, $2, $3, $4, $5, $6::text[], $7)")
        .bind(&p.role)
        .bind(&verifier)
        .bind(p.user_id)
        .bind(&p.email)
        .bind(&p.display_name)
        .bind(&p.roles)
        .bind(&p.plan_tier)
        .execute(pool)
        .await;
    match done {
        Ok(_) => Ok(p.user_id),
        Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("23505") => {
            Err(SyncError::Local(StoreError::conflict(format!(
                "the e-mail {} belongs to another user on the server; nothing was created",
                p.email
            ))))
        }
        Err(e) => Err(classify(e)),
    }
}
