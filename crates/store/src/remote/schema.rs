//! The remote schema: applying `migrations/remote/` and checking a server before syncing.

use sqlx::PgPool;

use super::error::{classify, SyncError, SyncResult};

/// The migrations of `migrations/remote/`, embedded at build time.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/remote");

/// The newest remote schema version this build knows (`sg_meta.schema_version`).
pub const REMOTE_SCHEMA_VERSION: i64 = 4;

/// What a server holds, as far as the sync cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaState {
    /// No Stratagraph schema at all.
    Missing,
    /// The schema at this version.
    At(i64),
}

/// Reads the server's schema version.
///
/// # Errors
///
/// As [`classify`]: `Interrupted`, `Permission` or `Remote`.
pub async fn schema_state(pool: &PgPool) -> SyncResult<SchemaState> {
    let present: bool = sqlx::query_scalar("SELECT to_regclass('public.sg_meta') IS NOT NULL")
        .fetch_one(pool)
        .await
        .map_err(classify)?;
    if !present {
        return Ok(SchemaState::Missing);
    }
    let version: Option<String> =
        sqlx::query_scalar("SELECT value FROM sg_meta WHERE key = 'schema_version'")
            .fetch_optional(pool)
            .await
            .map_err(classify)?;
    Ok(SchemaState::At(
        version.and_then(|v| v.parse().ok()).unwrap_or(0),
    ))
}

/// Whether the connected role may create or upgrade the schema (it owns the tables, or
/// there are none yet and it may create in the database's `public` schema).
///
/// # Errors
///
/// As [`classify`].
pub async fn may_migrate(pool: &PgPool) -> SyncResult<bool> {
    sqlx::query_scalar(
        "SELECT CASE WHEN to_regclass('public.users') IS NULL \
         THEN has_schema_privilege('public', 'CREATE') \
         ELSE pg_has_role(current_user, (SELECT relowner FROM pg_class \
              WHERE oid = to_regclass('public.users')), 'MEMBER') END",
    )
    .fetch_one(pool)
    .await
    .map_err(classify)
}

/// Applies every pending migration of `migrations/remote/` (a no-op when up to date).
///
/// # Errors
///
/// `NewerSchema` when the server is ahead of this build (nothing is applied);
/// `Permission` when the role may not create or alter the schema; `Interrupted`/`Remote`.
pub async fn migrate(pool: &PgPool) -> SyncResult<()> {
    if let SchemaState::At(v) = schema_state(pool).await? {
        if v > REMOTE_SCHEMA_VERSION {
            return Err(SyncError::NewerSchema {
                server: v,
                app: REMOTE_SCHEMA_VERSION,
            });
        }
    }
    if !may_migrate(pool).await? {
        return Err(SyncError::Permission(
            "this role may not create or upgrade the Stratagraph schema; connect as its owner"
                .into(),
        ));
    }
    MIGRATOR.run(pool).await.map_err(|e| match e {
        sqlx::migrate::MigrateError::Execute(err) => classify(err),
        other => SyncError::Remote(sqlx::Error::Migrate(Box::new(other))),
    })
}

/// Makes sure the server can be synced with: migrates when the schema is missing or older
/// and `auto_migrate` is set and the role may; refuses newer schemas.
///
/// # Errors
///
/// `NoSchema`, `OlderSchema`, `NewerSchema`, or as [`migrate`].
pub async fn ensure_schema(pool: &PgPool, database: &str, auto_migrate: bool) -> SyncResult<()> {
    match schema_state(pool).await? {
        SchemaState::At(v) if v == REMOTE_SCHEMA_VERSION => Ok(()),
        SchemaState::At(v) if v > REMOTE_SCHEMA_VERSION => Err(SyncError::NewerSchema {
            server: v,
            app: REMOTE_SCHEMA_VERSION,
        }),
        state => {
            if auto_migrate && may_migrate(pool).await? {
                migrate(pool).await
            } else {
                Err(match state {
                    SchemaState::At(v) => SyncError::OlderSchema {
                        server: v,
                        app: REMOTE_SCHEMA_VERSION,
                    },
                    SchemaState::Missing => SyncError::NoSchema {
                        database: database.to_owned(),
                    },
                })
            }
        }
    }
}
