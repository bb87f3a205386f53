//! Sweep throughput on 1,000,000 synthetic minute bars: the 100-combination SMA-crossover grid
//! (fast=5:50:5 × slow=20:200:20) on all threads and on one, a 10,000-combination random sweep
//! with its peak memory, and the time a cancel takes to return.
//! Run with `cargo bench -p stratagraph-engine --bench sweep` (`-- --quick` skips the 10,000).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use stratagraph_engine::graph::Graph;
use stratagraph_engine::sweep::{parse_axis, parse_constraint, run, SweepConfig, SweepSpec};
use stratagraph_engine::synth::{random_walk, SynthConfig};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn fail(msg: String) -> ! {
    eprintln!("{msg}");
    std::process::exit(1)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/sma_crossover.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| fail(format!("{path}: {e}")));
    let graph: Graph = serde_json::from_str(&text).unwrap_or_else(|e| fail(format!("{path}: {e}")));
    let n = 1_000_000;
    let bars = random_walk(&SynthConfig {
        seed: 7,
        bars: n,
        step_ms: 60_000,
        ..Default::default()
    })
    .unwrap_or_else(|e| fail(e.to_string()));
    let axes = |specs: &[&str]| {
        specs
            .iter()
            .map(|s| parse_axis(s).unwrap_or_else(|e| fail(e.to_string())))
            .collect()
    };
    let grid = SweepSpec {
        axes: axes(&["fast=5:50:5", "slow=20:200:20"]),
        ..Default::default()
    };
    let never = AtomicBool::new(false);
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    for threads in [0, 1] {
        let config = SweepConfig {
            threads,
            ..Default::default()
        };
        let t = Instant::now();
        let r = run(&graph, &bars, &grid, &config, &never, &|_| {})
            .unwrap_or_else(|e| fail(e.to_string()));
        let secs = t.elapsed().as_secs_f64();
        let label = if threads == 0 {
            format!("all {cores} threads")
        } else {
            "1 thread".into()
        };
        println!(
            "sweep 100 combinations x {n} bars ({label}): {secs:.3} s, {:.1} M bar-combinations/s; {} shared nodes computed {} times",
            r.rows.len() as f64 * n as f64 / secs / 1e6,
            r.cache.shared_nodes,
            r.cache.shared_computations
        );
    }

    // Cancel latency: cancel a running sweep and time how long `run` takes to return.
    let cancel = AtomicBool::new(false);
    let big = SweepSpec {
        axes: axes(&["fast=2:60:1", "slow=61:200:1"]),
        ..Default::default()
    };
    let latency = std::thread::scope(|s| {
        let h = s.spawn(|| {
            run(
                &graph,
                &bars,
                &big,
                &SweepConfig::default(),
                &cancel,
                &|_| {},
            )
        });
        std::thread::sleep(Duration::from_millis(300));
        let t = Instant::now();
        cancel.store(true, Ordering::SeqCst);
        let _ = h.join();
        t.elapsed()
    });
    println!(
        "cancel: run returned {:.1} ms after the cancel flag was set",
        latency.as_secs_f64() * 1e3
    );

    if quick {
        return;
    }
    let random = SweepSpec {
        axes: axes(&["fast=2:100:1", "slow=10:400:1"]),
        random: Some((10_000, 1)),
        constraints: vec![parse_constraint("fast<slow").unwrap_or_else(|e| fail(e.to_string()))],
    };
    let t = Instant::now();
    let r = run(
        &graph,
        &bars,
        &random,
        &SweepConfig::default(),
        &never,
        &|_| {},
    )
    .unwrap_or_else(|e| fail(e.to_string()));
    let secs = t.elapsed().as_secs_f64();
    println!(
        "random sweep {} combinations x {n} bars: {secs:.1} s, {:.1} M bar-combinations/s; {} shared nodes, {} computations ({} recomputed after eviction); peak RSS {:.0} MiB",
        r.rows.len(),
        r.rows.len() as f64 * n as f64 / secs / 1e6,
        r.cache.shared_nodes,
        r.cache.shared_computations,
        r.cache.recomputed,
        peak_rss_mib()
    );
}
