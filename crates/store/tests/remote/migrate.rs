//! The remote migrations: fresh apply, re-apply as a no-op, psql apply, plain table here.

use sqlx::postgres::PgPoolOptions;
use stratagraph_store::remote::{
    migrate, schema_state, Migrated, SchemaState, SyncError, REMOTE_SCHEMA_VERSION,
};

use crate::common::{expect_timescaledb, port, psql, random_suffix, TestDb, HOST, SYNCED};

#[tokio::test]
async fn migrations_apply_fresh_and_reapply_as_noop() {
    let db = TestDb::empty();
    let pool = db.owner_pool().await;
    assert_eq!(schema_state(&pool).await.unwrap(), SchemaState::Missing);
    migrate(&pool).await.unwrap();
    assert_eq!(
        schema_state(&pool).await.unwrap(),
        SchemaState::At(REMOTE_SCHEMA_VERSION)
    );
    let applied = psql(&db.name, "SELECT count(*) FROM _sqlx_migrations");
    let objects = psql(
        &db.name,
        "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace",
    );
    migrate(&pool).await.unwrap();
    assert_eq!(
        psql(&db.name, "SELECT count(*) FROM _sqlx_migrations"),
        applied
    );
    assert_eq!(
        psql(
            &db.name,
            "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace"
        ),
        objects
    );
    for t in SYNCED {
        assert_eq!(
            psql(&db.name, &format!("SELECT to_regclass('{t}') IS NOT NULL")),
            "t"
        );
    }
    // Without TimescaleDB here, backtest_runs is a plain table keyed (id, created_at).
    let has_ts = psql(
        &db.name,
        "SELECT count(*) FROM pg_extension WHERE extname = 'timescaledb'",
    );
    if has_ts == "0" {
        assert_eq!(
            psql(
                &db.name,
                "SELECT relkind FROM pg_class WHERE relname = 'backtest_runs'"
            ),
            "r"
        );
    }
    assert_eq!(
        psql(
            &db.name,
            "SELECT string_agg(a.attname, ',' ORDER BY array_position(i.indkey, a.attnum)) \
             FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid \
             AND a.attnum = ANY (i.indkey) WHERE i.indrelid = 'backtest_runs'::regclass \
             AND i.indisprimary"
        ),
        "id,created_at"
    );
    pool.close().await;
}

#[tokio::test]
async fn files_apply_with_psql_in_order_then_migrator_is_a_noop() {
    let db = TestDb::empty();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/remote");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    for round in 0..2 {
        for f in &files {
            let out = std::process::Command::new("psql")
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &port().to_string(),
                    "-U",
                    "postgres",
                ])
                .args(["-d", &db.name, "-q"])
                .args(["-v", "ON_ERROR_STOP=1", "-f"])
                .arg(f)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "round {round} {}: {}",
                f.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let pool = db.owner_pool().await;
    assert_eq!(
        schema_state(&pool).await.unwrap(),
        SchemaState::At(REMOTE_SCHEMA_VERSION)
    );
    // Re-running 0002 re-granted the runs table; finishing with 0005 took it back.
    let granted: bool = sqlx::query_scalar(
        "SELECT has_table_privilege('stratagraph_user', 'backtest_runs', 'SELECT')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        !granted,
        "user roles reach runs only through backtest_runs_visible"
    );
    assert_eq!(
        migrate(&pool).await.unwrap(),
        Migrated::AlreadyAt(REMOTE_SCHEMA_VERSION)
    );
    pool.close().await;
}

/// The least privileges `sync migrate` needs: a login role that owns the database (so it may
/// create tables and, TimescaleDB being a trusted extension, the extension) and has
/// CREATEROLE (for the `stratagraph_user` group role and provisioning). No superuser, no
/// `pg_read_all_settings`. A user role on the migrated schema is told it is up to date.
#[tokio::test]
async fn a_database_owner_without_superuser_migrates_and_users_are_told_it_is_current() {
    let db = TestDb::empty();
    let owner = format!("sg_owner_{}", random_suffix());
    psql(
        &db.name,
        &format!(
            "CREATE ROLE {owner} LOGIN CREATEROLE PASSWORD 'pw-{owner}'; \
             ALTER DATABASE {} OWNER TO {owner}",
            db.name
        ),
    );
    db.roles.lock().unwrap().push(owner.clone());
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect(&format!(
            "postgres://{owner}:pw-{owner}@{HOST}:{}/{}",
            port(),
            db.name
        ))
        .await
        .unwrap();
    assert_eq!(
        migrate(&pool).await.unwrap(),
        Migrated::Upgraded { from: None }
    );
    assert_eq!(
        migrate(&pool).await.unwrap(),
        Migrated::AlreadyAt(REMOTE_SCHEMA_VERSION)
    );
    let hypertable = psql(
        &db.name,
        "SELECT count(*) FROM pg_extension WHERE extname = 'timescaledb'",
    ) == "1"
        && psql(
            &db.name,
            "SELECT count(*) FROM timescaledb_information.hypertables \
             WHERE hypertable_name = 'backtest_runs'",
        ) == "1";
    assert_eq!(hypertable, expect_timescaledb());
    pool.close().await;

    let (role, _) = db.provision(&["trader"]);
    let user = db.role_pool(&role).await;
    assert_eq!(
        migrate(&user).await.unwrap(),
        Migrated::AlreadyAt(REMOTE_SCHEMA_VERSION)
    );
    psql(
        &db.name,
        "UPDATE sg_meta SET value = '4' WHERE key = 'schema_version'",
    );
    let err = migrate(&user).await.unwrap_err();
    assert!(
        matches!(&err, SyncError::Permission(m) if m.contains("version 4") && m.contains("owner")),
        "{err}"
    );
    user.close().await;
}

/// A server migrated by the first release (0001 and 0003 recorded with the checksums of their
/// released texts; 0003 read a superuser-only setting) upgrades: the checksums are repaired
/// and 0005 applies.
#[tokio::test]
async fn a_server_with_the_released_0003_upgrades() {
    let db = TestDb::migrated().await;
    psql(
        &db.name,
        "UPDATE _sqlx_migrations SET checksum = decode('c10b1ca2234c62d6b6ec16dddb88b094a39515c5\
         50b8ff0770fbe8c6b806a8ec15fcd80e54fa01b0e5623f0d3fc7f893', 'hex') WHERE version = 1; \
         UPDATE _sqlx_migrations SET checksum = decode('4b9adc32faeeeaa0e37f82ba1a1aa06abf8e76b4\
         3c82743e98e46e31bcb4fa6920960b99a517c7e39f30e81695ef7d3e', 'hex') WHERE version = 3; \
         DELETE FROM _sqlx_migrations WHERE version = 5; \
         UPDATE sg_meta SET value = '4' WHERE key = 'schema_version'",
    );
    let pool = db.owner_pool().await;
    assert_eq!(
        migrate(&pool).await.unwrap(),
        Migrated::Upgraded { from: Some(4) }
    );
    assert_eq!(
        psql(
            &db.name,
            "SELECT count(*) FROM _sqlx_migrations WHERE (version = 3 \
             AND encode(checksum, 'hex') LIKE '4b9adc32%') OR (version = 1 \
             AND encode(checksum, 'hex') LIKE 'c10b1ca2%')"
        ),
        "0"
    );
    pool.close().await;
}
