//! The remote schema: applying `migrations/remote/` and checking a server before syncing.

use sqlx::PgPool;

use super::error::{classify, SyncError, SyncResult};

/// The migrations of `migrations/remote/`, embedded at build time.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/remote");

/// The newest remote schema version this build knows (`sg_meta.schema_version`).
pub const REMOTE_SCHEMA_VERSION: i64 = 9;

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

/// Migrations corrected after release, with the SHA-384 of the text first released: the
/// first release's `0003_timescale.sql` read `shared_preload_libraries`, which only
/// superusers may, so a database owner without superuser rights could not pass it (its
/// corrected text does the same for servers that applied the original); `0001_schema.sql`
/// lost a comment that named a file outside the project. Servers that applied a released text
/// get the corrected checksum recorded (what Flyway calls a repair), so the migrator accepts
/// them.
const CORRECTED: [(i64, &str); 2] = [
    (
        1,
        "c10b1ca2234c62d6b6ec16dddb88b094a39515c550b8ff0770fbe8c6b806a8ec\
         15fcd80e54fa01b0e5623f0d3fc7f893",
    ),
    (
        3,
        "4b9adc32faeeeaa0e37f82ba1a1aa06abf8e76b43c82743e98e46e31bcb4fa69\
         20960b99a517c7e39f30e81695ef7d3e",
    ),
];

/// What [`migrate`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Migrated {
    /// The schema was already at this (the app's) version: nothing was applied.
    AlreadyAt(i64),
    /// Created (`from` = `None`) or upgraded to the app's version.
    Upgraded {
        /// The version before, if there was a schema.
        from: Option<i64>,
    },
}

/// Applies every pending migration of `migrations/remote/`.
///
/// # Errors
///
/// `NewerSchema` when the server is ahead of this build (nothing is applied);
/// `Permission` when the schema is older and the role may not create or alter it;
/// `Interrupted`/`Remote`.
pub async fn migrate(pool: &PgPool) -> SyncResult<Migrated> {
    let from = match schema_state(pool).await? {
        SchemaState::At(v) if v > REMOTE_SCHEMA_VERSION => {
            return Err(SyncError::NewerSchema {
                server: v,
                app: REMOTE_SCHEMA_VERSION,
            })
        }
        SchemaState::At(v) if v == REMOTE_SCHEMA_VERSION => return Ok(Migrated::AlreadyAt(v)),
        SchemaState::At(v) => Some(v),
        SchemaState::Missing => None,
    };
    if !may_migrate(pool).await? {
        return Err(SyncError::Permission(format!(
            "the schema is at version {}, and only its owner may upgrade it to \
             {REMOTE_SCHEMA_VERSION}; connect as the owner (see migrations/README.md)",
            from.map_or_else(|| "none".to_owned(), |v| v.to_string())
        )));
    }
    repair_checksums(pool).await?;
    MIGRATOR.run(pool).await.map_err(|e| match e {
        sqlx::migrate::MigrateError::Execute(err) => classify(err),
        other => SyncError::Remote(sqlx::Error::Migrate(Box::new(other))),
    })?;
    Ok(Migrated::Upgraded { from })
}

/// Records the corrected checksums of [`CORRECTED`] migrations where the released text was
/// applied.
async fn repair_checksums(pool: &PgPool) -> SyncResult<()> {
    let recorded: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(pool)
        .await
        .map_err(classify)?;
    if !recorded {
        return Ok(());
    }
    for (version, released) in CORRECTED {
        let Some(current) = MIGRATOR.iter().find(|m| m.version == version) else {
            continue;
        };
        sqlx::query(
            "UPDATE _sqlx_migrations SET checksum = $1 \
             WHERE version = $2 AND encode(checksum, 'hex') = $3",
        )
        .bind(current.checksum.as_ref())
        .bind(version)
        .bind(released)
        .execute(pool)
        .await
        .map_err(classify)?;
    }
    Ok(())
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
                migrate(pool).await.map(|_| ())
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
