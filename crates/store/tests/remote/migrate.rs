//! The remote migrations: fresh apply, re-apply as a no-op, psql apply, plain table here.

use stratagraph_store::remote::{migrate, schema_state, SchemaState, REMOTE_SCHEMA_VERSION};

use crate::common::{psql, TestDb, SYNCED};

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
                .args(["-h", "127.0.0.1", "-U", "postgres", "-d", &db.name, "-q"])
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
    migrate(&pool).await.unwrap();
    pool.close().await;
}
