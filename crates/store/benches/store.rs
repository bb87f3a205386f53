//! Store benchmark: 10,000 version saves of a ~5 KB graph, 10,000 runs created and listed,
//! and the database size afterwards. Run with `cargo bench -p stratagraph-store`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Instant;

use serde_json::{json, Value};
use stratagraph_store::{RunFilter, Store};

const N: usize = 10_000;

/// A realistic graph of about 5 KB: 30 nodes, 29 edges, parameters and settings.
fn graph(i: usize) -> Value {
    let nodes: Vec<Value> = (0..30)
        .map(|n| {
            json!({"id": format!("node_{n}"), "kind": "indicator.sma",
                   "params": {"period": {"$param": "fast"}, "offset": n},
                   "ui": {"x": n * 120, "y": (n % 5) * 80}})
        })
        .collect();
    let edges: Vec<Value> = (1..30)
        .map(|n| {
            json!({"from": format!("node_{}", n - 1), "from_port": "out",
                   "to": format!("node_{n}"), "to_port": "in"})
        })
        .collect();
    json!({"schema": 1, "nodes": nodes, "edges": edges, "save": i,
           "parameters": [{"name": "fast", "type": "int", "default": 10, "min": 2, "max": 200}],
           "settings": {"initial_cash": 10000, "commission": 0.0, "slippage_bps": 0, "fractional": false}})
}

fn file_size(path: &std::path::Path) -> u64 {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", path.display())).ok())
        .map(|m| m.len())
        .sum()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bench.db");
        let store = Store::open(&path).await.unwrap();
        let me = store.ensure_profile().await.unwrap();
        let s = store.create_strategy(me.id, "Bench").await.unwrap();
        println!("graph JSON size: {} bytes", graph(0).to_string().len());

        let t = Instant::now();
        let mut versions = Vec::with_capacity(N);
        for i in 0..N {
            versions.push(store.save_version(s.id, &graph(i), Some("bench"), Some(me.id)).await.unwrap().id);
        }
        let saves = t.elapsed();
        println!("{N} version saves: {:.2} s ({:.0} µs/save)", saves.as_secs_f64(), saves.as_micros() as f64 / N as f64);

        let t = Instant::now();
        for (i, v) in versions.iter().enumerate() {
            let params = json!({"fast": 10 + i % 50, "data": {"dataset": "btc-1h", "from": "2020-01-01", "to": "2024-12-31"}});
            let run = store.create_run(*v, Some(me.id), &params).await.unwrap();
            store.start_run(run.id).await.unwrap();
            store.complete_run(run.id, &json!({"sharpe": 1.1, "max_drawdown": -0.2, "trades": 42, "return": 0.37}), None).await.unwrap();
        }
        let creates = t.elapsed();
        println!("{N} runs created+started+completed: {:.2} s", creates.as_secs_f64());

        let t = Instant::now();
        let runs = store.list_runs(&RunFilter::default()).await.unwrap();
        let list = t.elapsed();
        assert_eq!(runs.len(), N);
        println!("list {N} runs: {:.1} ms", list.as_secs_f64() * 1000.0);
        let t = Instant::now();
        let of = store.list_runs(&RunFilter { strategy_id: Some(s.id), ..Default::default() }).await.unwrap();
        println!("list {} runs of one strategy (join): {:.1} ms", of.len(), t.elapsed().as_secs_f64() * 1000.0);

        println!("database size (db+wal+shm) before close: {:.1} MB", file_size(&path) as f64 / 1e6);
        store.close().await;
        println!("database size after close (WAL checkpointed): {:.1} MB", file_size(&path) as f64 / 1e6);
    });
}
