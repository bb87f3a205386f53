//! Where the time of a 1,000,000-bar Run goes, step by step, in whichever profile it is built
//! (`cargo run -p stratagraph-api --example run_timings [--release]`): the backtest as the
//! app runs it (load, engine, store), the result as IPC serialises it, and the charts.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Instant;

use stratagraph_api::{charts, datasets, runs, strategies, Ctx};

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
    let created = rt
        .block_on(strategies::create(&ctx, "Timings", Some("sma_crossover")))
        .unwrap();
    let ms = |t: Instant| t.elapsed().as_secs_f64() * 1000.0;
    for round in 0..2 {
        let t = Instant::now();
        let s = Instant::now();
        datasets::load(&ctx, &ds.id).unwrap();
        let load = ms(s);
        let req = runs::RunRequest {
            strategy_id: created.strategy.id.clone(),
            version: 1,
            dataset_id: ds.id.clone(),
            params: Default::default(),
        };
        let s = Instant::now();
        let detail = rt.block_on(runs::run_backtest(&ctx, req, |_| {})).unwrap();
        let run = ms(s);
        let s = Instant::now();
        let json = serde_json::to_string(&detail).unwrap();
        let ser = ms(s);
        let s = Instant::now();
        let got = rt.block_on(runs::get(&ctx, &detail.summary.id)).unwrap();
        let get = ms(s);
        let mut chart = Vec::new();
        for kind in ["equity", "drawdown", "price"] {
            let s = Instant::now();
            rt.block_on(charts::run_chart(
                &ctx,
                charts::ChartRequest {
                    run_id: detail.summary.id.clone(),
                    kind: kind.to_owned(),
                    ..Default::default()
                },
            ))
            .unwrap();
            chart.push(format!("{kind} {:.0} ms", ms(s)));
        }
        println!(
            "round {round}: load alone {load:.0} ms | run_backtest {run:.0} ms (load+engine {:.0} ms) | \
             result JSON {:.1} MB in {ser:.0} ms ({} trades shown of {}) | runGet {get:.0} ms | {} | total {:.0} ms",
            detail.elapsed_ms.unwrap_or(0.0),
            json.len() as f64 / 1e6,
            detail.trades.len(),
            got.summary.metrics.as_ref().and_then(|m| m.get("trades")).cloned().unwrap_or_default(),
            chart.join(", "),
            ms(t),
        );
    }
}
