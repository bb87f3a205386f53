//! Robustness statistics at scale: a Monte Carlo of 10,000 runs on 1,000 trades (shuffle and
//! bootstrap), and the PBO by CSCV with 16 blocks (12,870 splits) on 1,000 combinations of
//! 1,000 daily returns, on all threads and on one. Prints its figures.
//! Run with `cargo bench -p stratagraph-engine --bench robust`.

use std::time::Instant;

use stratagraph_engine::robust::montecarlo::{self, Method};
use stratagraph_engine::robust::pbo::pbo_of_returns;
use stratagraph_engine::synth::SplitMix64;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn fail(msg: String) -> ! {
    eprintln!("{msg}");
    std::process::exit(1)
}

fn best_of<T>(times: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..times {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(r);
    }
    match out {
        Some(r) => (best, r),
        None => fail("no run".into()),
    }
}

fn main() {
    let mut rng = SplitMix64::new(11);
    let pnl: Vec<f64> = (0..1000).map(|_| (rng.next_f64() - 0.45) * 400.0).collect();
    for method in [Method::Shuffle, Method::Bootstrap] {
        let (secs, r) = best_of(3, || {
            montecarlo::run(&pnl, 100_000.0, method, 10_000, 1)
                .unwrap_or_else(|e| fail(e.to_string()))
        });
        println!(
            "monte carlo {method:?}: 10,000 runs x 1,000 trades in {:.1} ms (median final {:.0}, 5% max drawdown {:.2}%)",
            secs * 1000.0,
            r.final_equity[2],
            r.max_drawdown_pct[0]
        );
    }
    let columns: Vec<Vec<f64>> = (0..1000)
        .map(|k| {
            (0..1000)
                .map(|_| (rng.next_f64() - 0.5) * 0.02 + k as f64 * 1e-6)
                .collect()
        })
        .collect();
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    for threads in [0, 1] {
        let (secs, r) = best_of(2, || {
            pbo_of_returns(&columns, 16, threads).unwrap_or_else(|e| fail(e.to_string()))
        });
        let label = if threads == 0 {
            format!("all {cores} threads")
        } else {
            "1 thread".into()
        };
        println!(
            "pbo: 16 blocks ({} splits) x 1,000 combinations x 1,000 returns, {label}: {:.0} ms (pbo {:.3})",
            r.splits,
            secs * 1000.0,
            r.pbo
        );
    }
}
