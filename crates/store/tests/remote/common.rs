//! Fixtures: a throwaway PostgreSQL database per test, devices (local stores) on manual
//! clocks, content snapshots for comparing devices.

use std::process::Command;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use serde_json::{json, Value};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgPool, Row, SqliteConnection};
use stratagraph_store::remote::{MemorySecretStore, RemoteConfig, SyncOptions, Syncer, TlsMode};
use stratagraph_store::{ManualClock, Store, StoreOptions};
use tempfile::TempDir;

pub const HOST: &str = "127.0.0.1";

/// The server under test: `STRATAGRAPH_TEST_PG_PORT` (default 5432, the plain PostgreSQL;
/// scripts/test.sh runs the suite again against TimescaleDB on 5433).
pub fn port() -> u16 {
    std::env::var("STRATAGRAPH_TEST_PG_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(5432)
}

/// Whether the server under test must be TimescaleDB (`STRATAGRAPH_TEST_TIMESCALEDB=1`):
/// then every migrated test database is checked to hold `backtest_runs` as a hypertable, so
/// the TimescaleDB half can never silently test plain PostgreSQL.
pub fn expect_timescaledb() -> bool {
    std::env::var("STRATAGRAPH_TEST_TIMESCALEDB").as_deref() == Ok("1")
}

pub const SYNCED: [&str; 13] = [
    "users",
    "subscription_plans",
    "plan_usage",
    "strategies",
    "strategy_versions",
    "backtest_runs",
    "paper_trade_runs",
    "paper_fills",
    "paper_trades",
    "paper_events",
    "notifications",
    "template_shares",
    "compliance_events",
];

pub fn psql(db: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args([
            "-h",
            HOST,
            "-p",
            &port().to_string(),
            "-U",
            "postgres",
            "-d",
            db,
            "-v",
            "ON_ERROR_STOP=1",
            "-qAtc",
            sql,
        ])
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "psql failed: {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

pub fn random_suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..10].to_owned()
}

/// A database that is dropped (with its roles) when the guard goes, even on failure.
pub struct TestDb {
    pub name: String,
    pub roles: std::sync::Mutex<Vec<String>>,
}

impl TestDb {
    /// Creates an empty database (no schema), first dropping leftovers older than an hour.
    pub fn empty() -> Self {
        let now = Utc::now().timestamp();
        for old in psql(
            "test",
            "SELECT datname FROM pg_database WHERE datname LIKE 'sg\\_test\\_%'",
        )
        .lines()
        {
            let ts: i64 = old
                .split('_')
                .nth(2)
                .and_then(|t| t.parse().ok())
                .unwrap_or(now);
            if now - ts > 3600 {
                let _ = Command::new("psql")
                    .args([
                        "-h",
                        HOST,
                        "-p",
                        &port().to_string(),
                        "-U",
                        "postgres",
                        "-d",
                        "test",
                        "-qc",
                    ])
                    .arg(format!("DROP DATABASE IF EXISTS {old} WITH (FORCE)"))
                    .output();
            }
        }
        let name = format!("sg_test_{now}_{}", random_suffix());
        psql("test", &format!("CREATE DATABASE {name}"));
        Self {
            name,
            roles: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// A database with the schema applied by the migrator.
    pub async fn migrated() -> Self {
        let db = Self::empty();
        let pool = db.owner_pool().await;
        stratagraph_store::remote::migrate(&pool).await.unwrap();
        if expect_timescaledb() {
            let hyper: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM timescaledb_information.hypertables \
                 WHERE hypertable_name = 'backtest_runs')",
            )
            .fetch_one(&pool)
            .await
            .unwrap();
            assert!(
                hyper,
                "backtest_runs is a TimescaleDB hypertable on port {}",
                port()
            );
        }
        pool.close().await;
        db
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@{HOST}:{}/{}", port(), self.name)
    }

    pub async fn owner_pool(&self) -> PgPool {
        PgPoolOptions::new()
            .max_connections(8)
            .connect(&self.url())
            .await
            .unwrap()
    }

    /// The owner connection's config (trust auth: no password needed).
    pub fn config(&self) -> RemoteConfig {
        let mut c = RemoteConfig::new(HOST, port(), &self.name, "postgres");
        c.tls = TlsMode::Disable;
        c
    }

    /// A provisioned user role `sg_u_<random>` mapped to a new user; returns (role, user id).
    pub fn provision(&self, roles: &[&str]) -> (String, uuid::Uuid) {
        let role = format!("sg_u_{}", random_suffix());
        let id = uuid::Uuid::now_v7();
        let roles_sql = roles
            .iter()
            .map(|r| format!("'{r}'"))
            .collect::<Vec<_>>()
            .join(",");
        psql(
            &self.name,
            &format!(
                "SELECT sg_provision_user('{role}', 'pw-{role}', '{id}', '{role}@example.com', \
                 '{role}', ARRAY[{roles_sql}]::text[])"
            ),
        );
        self.roles.lock().unwrap().push(role.clone());
        (role, id)
    }

    pub async fn role_pool(&self, role: &str) -> PgPool {
        PgPoolOptions::new()
            .max_connections(4)
            .connect(&format!(
                "postgres://{role}:pw-{role}@{HOST}:{}/{}",
                port(),
                self.name
            ))
            .await
            .unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                "-h",
                HOST,
                "-p",
                &port().to_string(),
                "-U",
                "postgres",
                "-d",
                "test",
                "-qc",
            ])
            .arg(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .output();
        for role in self.roles.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = Command::new("psql")
                .args([
                    "-h",
                    HOST,
                    "-p",
                    &port().to_string(),
                    "-U",
                    "postgres",
                    "-d",
                    "test",
                    "-qc",
                ])
                .arg(format!("DROP ROLE IF EXISTS {role}"))
                .output();
        }
    }
}

/// One device: a local store in a temporary directory on a manual clock.
pub struct Device {
    pub dir: TempDir,
    pub store: Store,
    pub clock: Arc<ManualClock>,
}

impl Device {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2025, 3, 14, 15, 9, 26).unwrap(),
        ));
        let store = Store::open_with(
            StoreOptions::new(dir.path().join("device.db")).with_clock(clock.clone()),
        )
        .await
        .unwrap();
        Self { dir, store, clock }
    }

    pub fn db_path(&self) -> std::path::PathBuf {
        self.dir.path().join("device.db")
    }

    pub async fn raw(&self) -> SqliteConnection {
        SqliteConnection::connect(&format!("sqlite://{}", self.db_path().display()))
            .await
            .unwrap()
    }

    /// A syncer logged in as the provisioned `role` (password `pw-<role>`).
    pub async fn role_syncer(&self, db: &TestDb, role: &str) -> Syncer {
        use stratagraph_store::remote::SecretStore as _;
        let mut config = RemoteConfig::new(HOST, port(), &db.name, role);
        config.tls = TlsMode::Disable;
        let secrets = MemorySecretStore::new();
        secrets
            .set(&config.secret_key(), &format!("pw-{role}"))
            .unwrap();
        Syncer::connect(&self.store, &config, &secrets, SyncOptions::default())
            .await
            .unwrap()
    }

    /// The ids of `table` on this device.
    pub async fn ids(&self, table: &str) -> std::collections::BTreeSet<String> {
        let mut conn = self.raw().await;
        sqlx::query_scalar(&format!("SELECT id FROM {table}"))
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .into_iter()
            .collect()
    }

    pub async fn syncer(&self, config: &RemoteConfig, options: SyncOptions) -> Syncer {
        Syncer::connect(&self.store, config, &MemorySecretStore::new(), options)
            .await
            .unwrap()
    }

    /// Every synced table's rows as JSON (JSON columns parsed, so key order and spacing do
    /// not matter), ordered by id.
    pub async fn snapshot(&self) -> Value {
        let mut conn = self.raw().await;
        let mut out = serde_json::Map::new();
        for t in SYNCED {
            let cols: Vec<String> = sqlx::query(&format!("PRAGMA table_info({t})"))
                .fetch_all(&mut conn)
                .await
                .unwrap()
                .iter()
                .map(|r| r.get::<String, _>("name"))
                .collect();
            let fields: Vec<String> = cols
                .iter()
                .map(|c| {
                    format!(
                        "'{c}', CASE WHEN typeof({c}) = 'text' AND json_valid({c}) \
                         AND substr({c}, 1, 1) IN ('{{', '[') THEN json({c}) ELSE {c} END"
                    )
                })
                .collect();
            let rows: Vec<String> = sqlx::query_scalar(&format!(
                "SELECT json_object({}) FROM {t} ORDER BY id",
                fields.join(", ")
            ))
            .fetch_all(&mut conn)
            .await
            .unwrap();
            let rows: Vec<Value> = rows
                .iter()
                .map(|r| serde_json::from_str(r).unwrap())
                .collect();
            out.insert(t.to_owned(), Value::Array(rows));
        }
        Value::Object(out)
    }
}

pub fn graph(tag: i64) -> Value {
    json!({
        "schema": 1,
        "nodes": [
            {"id": "close", "kind": "source.close", "params": {}},
            {"id": "fast", "kind": "indicator.sma", "params": {"period": tag}},
            {"id": "buy", "kind": "order.enter_long", "params": {}}
        ],
        "edges": [{"from": "close", "from_port": "out", "to": "fast", "to_port": "in"}],
        "settings": {"initial_cash": 10000}
    })
}

pub async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The ids of `table` that `pool`'s role may see on the server (runs through their view).
pub async fn visible_ids(pool: &PgPool, table: &str) -> std::collections::BTreeSet<String> {
    let rel = if table == "backtest_runs" {
        "backtest_runs_visible"
    } else {
        table
    };
    sqlx::query_scalar(&format!("SELECT id::text FROM {rel}"))
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .collect()
}
