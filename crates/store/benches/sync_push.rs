//! Push timings against the local PostgreSQL (127.0.0.1:5432, trust auth): 10,000 versions
//! and 10,000 runs pushed into a fresh database, then a no-change sync. Prints the times;
//! skips with a message when the server is not there.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::Command;
use std::time::Instant;

use serde_json::json;
use stratagraph_store::remote::{MemorySecretStore, RemoteConfig, SyncOptions, Syncer, TlsMode};
use stratagraph_store::Store;

fn psql(sql: &str) -> bool {
    Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "test",
            "-qc",
            sql,
        ])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn main() {
    let name = format!(
        "sg_bench_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    if !psql(&format!("CREATE DATABASE {name}")) {
        println!("skipped: no PostgreSQL at 127.0.0.1:5432");
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("bench.db")).await.unwrap();
        let me = store.ensure_profile().await.unwrap().id;
        let s = store.create_strategy(me, "Bench").await.unwrap();
        let graph = json!({"schema": 1, "nodes": [{"id": "close", "kind": "source.close", "params": {}}], "edges": []});
        for i in 0..10_000 {
            let v = store.save_version(s.id, &graph, None, Some(me)).await.unwrap();
            store.create_run(v.id, Some(me), &json!({"i": i})).await.unwrap();
        }
        let mut cfg = RemoteConfig::new("127.0.0.1", 5432, &name, "postgres");
        cfg.tls = TlsMode::Disable;
        let syncer = Syncer::connect(&store, &cfg, &MemorySecretStore::new(), SyncOptions::default())
            .await
            .unwrap();
        let t = Instant::now();
        let report = syncer.push(None).await.unwrap();
        println!(
            "push of 10,000 versions + 10,000 runs: {:.2} s ({} rows, {} batches)",
            t.elapsed().as_secs_f64(),
            report.pushed,
            report.push_batches
        );
        let t = Instant::now();
        syncer.pull(None).await.unwrap();
        println!("first pull (echo of the pushed rows): {:.2} s", t.elapsed().as_secs_f64());
        let t = Instant::now();
        syncer.sync(None).await.unwrap();
        println!("no-change sync: {:.3} s", t.elapsed().as_secs_f64());
        syncer.pool().close().await;
    });
    psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}
