//! Market-data import: CSV of 1,000,000 synthetic minute bars held in memory, CSV and Parquet
//! files of 10,000,000 bars read from disk (the page cache, after a first read), each read,
//! checked and hashed into `Bars`. Prints the median and the best of several runs.
//!
//! Run with `cargo bench -p stratagraph-engine --bench import`.

use std::error::Error;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, TimestampMillisecondArray};
use stratagraph_engine::columnar::{import_columnar_path, Columnar};
use stratagraph_engine::import::{import_csv, import_csv_path, write_csv};
use stratagraph_engine::synth::{random_walk, SynthConfig};
use stratagraph_engine::Bars;

// The CLI and the app use mimalloc too.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs `f` `runs` times; prints and returns the median seconds.
fn time(label: &str, runs: usize, mut f: impl FnMut() -> Result<Bars, Box<dyn Error>>) -> f64 {
    let mut secs = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        match f() {
            Ok(bars) => std::hint::black_box(bars),
            Err(e) => {
                eprintln!("{label}: {e}");
                std::process::exit(1);
            }
        };
        secs.push(t.elapsed().as_secs_f64());
    }
    secs.sort_by(f64::total_cmp);
    let median = secs[runs / 2];
    println!(
        "{label}: median {:.1} ms, best {:.1} ms ({runs} runs)",
        median * 1e3,
        secs[0] * 1e3
    );
    median
}

fn synth(bars: usize) -> Result<Bars, Box<dyn Error>> {
    Ok(random_walk(&SynthConfig {
        seed: 7,
        bars,
        step_ms: 60_000,
        ..SynthConfig::default()
    })?)
}

fn main() -> Result<(), Box<dyn Error>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("{threads} cores");

    let bars = synth(1_000_000)?;
    let mut csv = Vec::with_capacity(64 << 20);
    write_csv(&bars, &mut csv)?;
    let cancel = AtomicBool::new(false);
    let total = Some(csv.len() as u64);
    let secs = time(
        &format!(
            "CSV in memory, 1,000,000 rows ({:.0} MB)",
            csv.len() as f64 / 1e6
        ),
        9,
        || {
            let b = import_csv(csv.as_slice(), total, &mut |_| {}, &cancel)?;
            if b != bars {
                return Err("imported bars differ from the generated ones".into());
            }
            Ok(b)
        },
    );
    println!(
        "  {:.1} M rows/s, {:.0} MB/s",
        1.0 / secs,
        csv.len() as f64 / 1e6 / secs
    );
    drop(csv);

    let dir = tempfile::tempdir()?;
    let bars = synth(10_000_000)?;
    let csv_path = dir.path().join("bars.csv");
    write_csv(&bars, std::fs::File::create(&csv_path)?)?;
    let size = std::fs::metadata(&csv_path)?.len();
    let secs = time(
        &format!("CSV file, 10,000,000 rows ({:.0} MB)", size as f64 / 1e6),
        5,
        || Ok(import_csv_path(&csv_path)?),
    );
    println!(
        "  {:.1} M rows/s, {:.0} MB/s",
        10.0 / secs,
        size as f64 / 1e6 / secs
    );
    std::fs::remove_file(&csv_path)?;

    // Parquet as pandas writes it (row groups of 1,048,576 rows, snappy).
    let pq_path = dir.path().join("bars.parquet");
    let f = |v: &[f64]| Arc::new(Float64Array::from(v.to_vec())) as ArrayRef;
    let batch = RecordBatch::try_from_iter([
        (
            "Date",
            Arc::new(TimestampMillisecondArray::from(bars.time().to_vec())) as ArrayRef,
        ),
        ("Open", f(bars.open())),
        ("High", f(bars.high())),
        ("Low", f(bars.low())),
        ("Close", f(bars.close())),
        ("Volume", f(bars.volume())),
    ])?;
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .set_max_row_group_row_count(Some(1 << 20))
        .build();
    let mut w = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(&pq_path)?,
        batch.schema(),
        Some(props),
    )?;
    w.write(&batch)?;
    w.close()?;
    drop(batch);
    let size = std::fs::metadata(&pq_path)?.len();
    let never = AtomicBool::new(false);
    let check = import_columnar_path(&pq_path, Columnar::Parquet, &never)?;
    if check != bars {
        return Err("Parquet bars differ from the generated ones".into());
    }
    drop(check);
    time(
        &format!(
            "Parquet file, 10,000,000 rows ({:.0} MB)",
            size as f64 / 1e6
        ),
        7,
        || Ok(import_columnar_path(&pq_path, Columnar::Parquet, &never)?),
    );
    Ok(())
}
