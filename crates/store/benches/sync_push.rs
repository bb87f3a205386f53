//! Sync timings against a local server (127.0.0.1, trust auth; port 5432 or
//! `STRATAGRAPH_TEST_PG_PORT`, e.g. 5433 for TimescaleDB): a user role pushes 10,000 runs
//! (of 100 versions, one run an hour over 14 months, so a TimescaleDB server spreads them
//! over about 60 chunks), a second device of the same user pulls them, then a no-change
//! sync. Prints the times; skips with a message when the server is not there.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use chrono::{TimeZone, Utc};
use serde_json::json;
use stratagraph_store::remote::{
    MemorySecretStore, RemoteConfig, SecretStore, SyncOptions, Syncer, TlsMode,
};
use stratagraph_store::{ManualClock, Store, StoreOptions};

fn port() -> u16 {
    std::env::var("STRATAGRAPH_TEST_PG_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(5432)
}

fn psql(db: &str, sql: &str) -> Option<String> {
    let out = Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port().to_string(),
            "-U",
            "postgres",
        ])
        .args(["-d", db, "-qAtc", sql])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

async fn device(dir: &std::path::Path, name: &str) -> (Store, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap(),
    ));
    let store = Store::open_with(StoreOptions::new(dir.join(name)).with_clock(clock.clone()))
        .await
        .unwrap();
    store.ensure_profile().await.unwrap();
    (store, clock)
}

fn main() {
    let suffix = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let name = format!("sg_bench_{suffix}");
    let role = format!("sg_bench_u_{suffix}");
    if psql("test", &format!("CREATE DATABASE {name}")).is_none() {
        println!("skipped: no PostgreSQL at 127.0.0.1:{}", port());
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut owner = RemoteConfig::new("127.0.0.1", port(), &name, "postgres");
        owner.tls = TlsMode::Disable;
        let pool = owner.connect(None).await.unwrap();
        stratagraph_store::remote::migrate(&pool).await.unwrap();
        pool.close().await;
        let user = uuid::Uuid::now_v7();
        psql(
            &name,
            &format!(
                "SELECT sg_provision_user('{role}', 'pw', '{user}', '{role}@example.com', \
                 'Bench', ARRAY['trader'])"
            ),
        )
        .unwrap();
        let timescale = psql(
            &name,
            "SELECT count(*) FROM pg_extension WHERE extname = 'timescaledb'",
        )
        .as_deref()
            == Some("1");
        let mut cfg = RemoteConfig::new("127.0.0.1", port(), &name, &role);
        cfg.tls = TlsMode::Disable;
        let secrets = MemorySecretStore::new();
        secrets.set(&cfg.secret_key(), "pw").unwrap();

        let dir = tempfile::tempdir().unwrap();
        let (a, clock) = device(dir.path(), "a.db").await;
        let sa = Syncer::connect(&a, &cfg, &secrets, SyncOptions::default())
            .await
            .unwrap();
        sa.sync(None).await.unwrap(); // adopts the user's account
        let me = a.ensure_profile().await.unwrap().id;
        let s = a.create_strategy(me, "Bench").await.unwrap();
        let graph = json!({"schema": 1, "nodes": [{"id": "close", "kind": "source.close",
            "params": {}}], "edges": []});
        let mut versions = Vec::new();
        for _ in 0..100 {
            versions.push(
                a.save_version(s.id, &graph, None, Some(me))
                    .await
                    .unwrap()
                    .id,
            );
        }
        for i in 0..10_000 {
            clock.advance(chrono::Duration::hours(1));
            a.create_run(
                versions[i % 100],
                Some(me),
                &json!({"fast": i % 50, "slow": 200}),
            )
            .await
            .unwrap();
        }
        let t = Instant::now();
        let pushed = sa.push(None).await.unwrap();
        let push_s = t.elapsed().as_secs_f64();
        let chunks = psql(
            &name,
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'backtest_runs'::regclass",
        )
        .unwrap_or_default();

        let (b, _) = device(dir.path(), "b.db").await;
        let sb = Syncer::connect(&b, &cfg, &secrets, SyncOptions::default())
            .await
            .unwrap();
        let t = Instant::now();
        let pulled = sb.sync(None).await.unwrap();
        let pull_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        sb.sync(None).await.unwrap();
        let idle_s = t.elapsed().as_secs_f64();
        println!(
            "server: {} on 127.0.0.1:{} ({} chunks of backtest_runs)",
            if timescale {
                "TimescaleDB"
            } else {
                "PostgreSQL"
            },
            port(),
            chunks
        );
        println!(
            "push as a user role: {} rows (10,000 runs) in {push_s:.2} s, {:.0} rows/s, {} batches",
            pushed.pushed,
            pushed.pushed as f64 / push_s,
            pushed.push_batches
        );
        println!(
            "second device pulls: {} rows in {pull_s:.2} s, {:.0} rows/s",
            pulled.pulled,
            pulled.pulled as f64 / pull_s
        );
        println!("no-change sync: {idle_s:.3} s");
        sa.pool().close().await;
        sb.pool().close().await;
    });
    psql(
        "test",
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    );
    psql("test", &format!("DROP ROLE IF EXISTS {role}"));
}
