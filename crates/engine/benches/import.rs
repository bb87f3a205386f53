//! Times CSV import of 1,000,000 synthetic minute bars held in memory (best of 5).
//!
//! Run with `cargo bench -p stratagraph-engine --bench import`.

use std::error::Error;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use stratagraph_engine::import::{import_csv, write_csv};
use stratagraph_engine::synth::{random_walk, SynthConfig};

const ROWS: usize = 1_000_000;
const RUNS: usize = 5;

fn main() -> Result<(), Box<dyn Error>> {
    let cfg = SynthConfig {
        bars: ROWS,
        step_ms: 60_000,
        ..SynthConfig::default()
    };
    let started = Instant::now();
    let bars = random_walk(&cfg)?;
    let synth_time = started.elapsed();
    let mut csv = Vec::with_capacity(ROWS * 64);
    write_csv(&bars, &mut csv)?;
    println!(
        "synth: {ROWS} bars in {:.3} s; csv: {:.1} MB",
        synth_time.as_secs_f64(),
        csv.len() as f64 / 1e6
    );

    let cancel = AtomicBool::new(false);
    let total = Some(csv.len() as u64);
    let mut best = Duration::MAX;
    for _ in 0..RUNS {
        let started = Instant::now();
        let imported = import_csv(csv.as_slice(), total, &mut |_| {}, &cancel)?;
        let took = started.elapsed();
        if imported != bars {
            return Err("imported bars differ from the generated ones".into());
        }
        best = best.min(took);
    }
    let secs = best.as_secs_f64();
    println!(
        "import: {ROWS} rows in {secs:.3} s ({:.0} rows/s)",
        ROWS as f64 / secs
    );
    Ok(())
}
