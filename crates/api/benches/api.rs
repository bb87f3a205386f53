//! Timings of the app's hot paths through the API layer, as the desktop app calls them:
//! loading a 1,000,000-bar dataset, validating a 200-node graph (with the JSON the IPC
//! carries), a 1,000,000-bar backtest from "Run" to the stored result, the result as IPC
//! serialises it, reading the run back and rendering its charts. Prints the median and the
//! best of several runs: `cargo bench -p stratagraph-api --bench api`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use stratagraph_api::{app, charts, datasets, runs, strategies, Ctx};

fn report(name: &str, mut times: Vec<Duration>) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name:<48} median {:>8.2} ms   best {:>8.2} ms   ({} runs)",
        ms(times[times.len() / 2]),
        ms(times[0]),
        times.len()
    );
}

/// A valid graph of `n` nodes: close → a chain of SMAs → a cross → an entry.
fn graph(n: usize) -> Value {
    let mut nodes = vec![json!({"id": "close", "kind": "source.close", "params": {}})];
    let mut edges = Vec::new();
    let chain = n - 3;
    for i in 0..chain {
        let id = format!("sma{i}");
        let from = if i == 0 {
            "close".to_owned()
        } else {
            format!("sma{}", i - 1)
        };
        nodes.push(
            json!({"id": id, "kind": "indicator.sma", "params": {"period": 2 + (i % 5)},
            "ui": {"x": i * 10, "y": 0}}),
        );
        edges.push(json!({"from": from, "from_port": "out", "to": id, "to_port": "in"}));
    }
    nodes.push(json!({"id": "up", "kind": "signal.cross_above", "params": {}}));
    nodes.push(json!({"id": "buy", "kind": "order.enter_long", "params": {"size": {"equity_fraction": 1.0}}}));
    edges.push(json!({"from": format!("sma{}", chain - 1), "from_port": "out", "to": "up", "to_port": "a"}));
    edges.push(json!({"from": "close", "from_port": "out", "to": "up", "to_port": "b"}));
    edges.push(json!({"from": "up", "from_port": "out", "to": "buy", "to_port": "when"}));
    json!({"schema": 1, "nodes": nodes, "edges": edges, "parameters": [],
        "settings": {"initial_cash": 10000, "commission": 0.0, "slippage_bps": 0, "fractional": false}})
}

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ctx = rt.block_on(Ctx::open(dir.path())).unwrap();

    let bars = stratagraph_engine::synth::random_walk(&stratagraph_engine::synth::SynthConfig {
        bars: 1_000_000,
        step_ms: 60_000,
        ..Default::default()
    })
    .unwrap();
    let ds = datasets::create(&ctx, &bars, "1M minute bars", "SYN", "1m").unwrap();
    drop(bars);
    let file = dir.path().join("datasets").join(format!("{}.bars", ds.id));
    println!(
        "dataset file: {:.1} MB for {} bars",
        std::fs::metadata(&file).unwrap().len() as f64 / 1e6,
        ds.bars
    );

    let mut t = Vec::new();
    for _ in 0..7 {
        let s = Instant::now();
        let b = datasets::load(&ctx, &ds.id).unwrap();
        t.push(s.elapsed());
        assert_eq!(b.len(), 1_000_000);
    }
    report("load 1,000,000 bars (read + checksum + check)", t);

    let g = graph(200);
    let text = serde_json::to_string(&g).unwrap();
    let mut t = Vec::new();
    for _ in 0..50 {
        let s = Instant::now();
        let doc: Value = serde_json::from_str(&text).unwrap();
        let problems = app::validate_graph(&doc);
        let out = serde_json::to_string(&problems).unwrap();
        t.push(s.elapsed());
        assert_eq!(out, "[]", "the bench graph must be valid");
    }
    report("validate 200 nodes (JSON in, problems out)", t);

    let created = rt
        .block_on(strategies::create(&ctx, "Bench", Some("sma_crossover")))
        .unwrap();
    let mut t = Vec::new();
    let mut engine = Vec::new();
    let mut ipc = Vec::new();
    let mut get = Vec::new();
    let mut chart: Vec<(&str, Vec<Duration>)> = ["equity", "drawdown", "price"]
        .iter()
        .map(|k| (*k, Vec::new()))
        .collect();
    let mut ipc_bytes = 0;
    for _ in 0..5 {
        let req = runs::RunRequest {
            strategy_id: created.strategy.id.clone(),
            version: 1,
            dataset_id: ds.id.clone(),
            params: Default::default(),
        };
        let s = Instant::now();
        let detail = rt.block_on(runs::run_backtest(&ctx, req, |_| {})).unwrap();
        t.push(s.elapsed());
        engine.push(Duration::from_secs_f64(
            detail.elapsed_ms.unwrap_or(0.0) / 1000.0,
        ));
        assert_eq!(detail.summary.status, "completed");
        let s = Instant::now();
        ipc_bytes = serde_json::to_string(&detail).unwrap().len();
        ipc.push(s.elapsed());
        let s = Instant::now();
        rt.block_on(runs::get(&ctx, &detail.summary.id)).unwrap();
        get.push(s.elapsed());
        for (kind, times) in &mut chart {
            let s = Instant::now();
            let request = charts::ChartRequest {
                run_id: detail.summary.id.clone(),
                kind: (*kind).to_owned(),
                ..Default::default()
            };
            rt.block_on(charts::run_chart(&ctx, request)).unwrap();
            times.push(s.elapsed());
        }
    }
    report("backtest 1,000,000 bars: Run → stored result", t);
    report("  of which load + engine (blocking thread)", engine);
    report(
        &format!("  result as IPC JSON ({:.2} MB)", ipc_bytes as f64 / 1e6),
        ipc,
    );
    report("  runGet of the stored run", get);
    for (kind, times) in chart {
        report(&format!("  {kind} chart (SVG)"), times);
    }
}
