//! Backtest throughput: the SMA-crossover example over 1,000,000 and 10,000,000 synthetic
//! minute bars on one core, the whole run (indicators, signals, fills, equity, metrics).
//! Prints bars per second; run with `cargo bench -p stratagraph-engine --bench backtest`.

use std::collections::BTreeMap;

// The CLI and app use mimalloc too; glibc's malloc returns big buffers to the kernel and
// re-zeroes them on every run, which would measure page faults rather than the engine.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::time::Instant;

use stratagraph_engine::backtest::backtest;
use stratagraph_engine::compile::compile_json;
use stratagraph_engine::synth::{random_walk, SynthConfig};

fn main() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/sma_crossover.json"
    );
    let doc = match std::fs::read_to_string(path).map(|t| serde_json::from_str(&t)) {
        Ok(Ok(doc)) => doc,
        other => {
            eprintln!("cannot read {path}: {other:?}");
            std::process::exit(1);
        }
    };
    let plan = match compile_json(&doc, &BTreeMap::new()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    for n in [1_000_000usize, 10_000_000] {
        let cfg = SynthConfig {
            seed: 7,
            bars: n,
            step_ms: 60_000,
            ..Default::default()
        };
        let bars = match random_walk(&cfg) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        };
        let runs = if n > 1_000_000 { 5 } else { 20 };
        let mut best = f64::INFINITY;
        let mut trades = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let r = backtest(&plan, &bars);
            best = best.min(t.elapsed().as_secs_f64());
            trades = r.trades.len();
        }
        println!(
            "backtest sma_crossover(10, 20): {n} bars in {:.2} ms (best of {runs}), {:.1} M bars/s, {trades} trades",
            best * 1e3,
            n as f64 / best / 1e6
        );
    }
}
