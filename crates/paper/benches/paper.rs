//! Paper-path figures: bars per second through the whole path (feed, engine, one committed
//! transaction per bar) and the latency from a closed bar arriving to its fill being stored.
//! Prints its figures; run with `cargo bench -p stratagraph-paper`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use chrono::{TimeZone, Utc};
use stratagraph_engine::synth::{random_walk, SynthConfig};
use stratagraph_engine::Bars;
use stratagraph_paper::{start, AlertConfig, DriverConfig, Market, RunDriver, StartRequest};
use stratagraph_store::{CatchUpPolicy, ManualClock, Store, StoreOptions};

fn minute_bars(n: usize) -> Bars {
    let b = random_walk(&SynthConfig {
        seed: 9,
        bars: n,
        ..Default::default()
    })
    .unwrap();
    let t0 = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .unwrap()
        .timestamp_millis();
    Bars::new(
        (0..n as i64).map(|i| t0 + i * 60_000).collect(),
        b.open().to_vec(),
        b.high().to_vec(),
        b.low().to_vec(),
        b.close().to_vec(),
        b.volume().to_vec(),
    )
    .unwrap()
}

async fn setup(bars: &Bars, dir: &std::path::Path) -> (Store, Arc<ManualClock>, uuid::Uuid) {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
    ));
    let store = Store::open_with(StoreOptions::new(dir.join("bench.db")).with_clock(clock.clone()))
        .await
        .unwrap();
    let me = store.ensure_profile().await.unwrap();
    let s = store.create_strategy(me.id, "bench").await.unwrap();
    let graph: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/sma_crossover.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let v = store
        .save_version(s.id, &graph, None, Some(me.id))
        .await
        .unwrap();
    let run = start(
        &store,
        &StartRequest {
            version_id: v.id,
            name: None,
            parameters: BTreeMap::from([("fast".into(), 3.0), ("slow".into(), 8.0)]),
            market: Market::Replay {
                bars: bars.clone(),
                symbol: "BENCH".into(),
                speed: 60.0,
            },
            initial_cash: None,
            commission: None,
            slippage_bps: None,
            schedule_cron: None,
            catch_up: CatchUpPolicy::Trade,
            alerts: AlertConfig {
                entry: false,
                exit: false,
                stop: false,
                ..AlertConfig::default()
            },
            start_after: None,
        },
    )
    .await
    .unwrap();
    (store, clock, run.id)
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let n = 20_000;
    let bars = minute_bars(n);
    let cfg = DriverConfig::new("bench");

    // Throughput: every bar is already closed; one step catches up on all of them.
    let dir = tempfile::TempDir::new().unwrap();
    let (store, clock, id) = setup(&bars, dir.path()).await;
    clock.advance(chrono::Duration::days(365));
    let mut d = RunDriver::open(&store, id, &cfg).await.unwrap();
    let t = Instant::now();
    let mut done = 0;
    while done < n {
        done += d.step().await.unwrap().processed;
    }
    let secs = t.elapsed().as_secs_f64();
    let fills = store.paper_run(id).await.unwrap().fills_count;
    println!(
        "paper path throughput: {n} bars ({fills} fills) in {secs:.2} s = {:.0} bars/s, each bar one committed transaction (state, bar, fills, trades)",
        n as f64 / secs
    );

    // Latency: one bar closes at a time; time from the step that sees it to its commit.
    let dir = tempfile::TempDir::new().unwrap();
    let m = 3_000;
    let (store, clock, id) = setup(&minute_bars(m), dir.path()).await;
    let mut d = RunDriver::open(&store, id, &cfg).await.unwrap();
    let (mut all, mut with_fill) = (Vec::new(), Vec::new());
    for _ in 0..m {
        clock.advance(chrono::Duration::seconds(1));
        let t = Instant::now();
        let r = d.step().await.unwrap();
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        if r.processed == 1 {
            all.push(ms);
            if r.fills > 0 {
                with_fill.push(ms);
            }
        }
    }
    println!(
        "bar close -> stored: {} bars, median {:.2} ms, p99 {:.2} ms; bars with a fill ({}): median {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        all.len(),
        pct(&mut all, 0.5),
        pct(&mut all, 0.99),
        with_fill.len(),
        pct(&mut with_fill, 0.5),
        pct(&mut with_fill, 0.99),
        pct(&mut with_fill, 1.0)
    );
}
