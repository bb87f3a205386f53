//! Market-data import from files, and the committed synthetic sample kept in step with `synth`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use stratagraph_engine::import::{import_csv, import_csv_path, import_csv_str, write_csv};
use stratagraph_engine::synth::{random_walk, SynthConfig};

/// The shipped sample; regenerate with
/// `STRATAGRAPH_REGENERATE=1 cargo test -p stratagraph-engine --test engine sample_file`.
fn sample_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/data/synthetic_random_walk_daily.csv")
}

fn sample_bytes() -> Vec<u8> {
    let bars = random_walk(&SynthConfig::default()).unwrap();
    let mut out = Vec::new();
    write_csv(&bars, &mut out).unwrap();
    out
}

#[test]
fn sample_file_matches_a_fresh_random_walk_and_imports_to_it() {
    let fresh = sample_bytes();
    let path = sample_path();
    if std::env::var_os("STRATAGRAPH_REGENERATE").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &fresh).unwrap();
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{} differs from random_walk(SynthConfig::default()); if the change is intended, run \
         STRATAGRAPH_REGENERATE=1 cargo test -p stratagraph-engine --test engine sample_file",
        path.display()
    );
    let bars = import_csv_path(&path).unwrap();
    assert_eq!(bars, random_walk(&SynthConfig::default()).unwrap());
    assert_eq!(bars.len(), 2520);
}

#[test]
fn yahoo_and_pandas_exports_import() {
    // yfinance `download(...).to_csv()`: named index with an exchange offset, Adj Close.
    let yahoo = "Date,Open,High,Low,Close,Adj Close,Volume\n\
                 2024-01-02 00:00:00-05:00,187.15,188.44,183.89,185.64,184.94,82488700\n\
                 2024-01-03 00:00:00-05:00,184.22,185.88,183.43,184.25,183.55,58414500\n";
    let bars = import_csv_str(yahoo).unwrap();
    assert_eq!(bars.time()[0], 1_704_171_600_000);
    assert_eq!(bars.close(), &[185.64, 184.25]);

    // `df.to_csv()` of an unnamed DatetimeIndex with lower-case columns, minute bars.
    let pandas = ",open,high,low,close,volume\n\
                  2024-01-02 09:30:00,10.0,10.5,9.5,10.2,1200.0\n\
                  2024-01-02 09:31:00,10.2,10.4,10.1,10.3,800.0\n";
    let bars = import_csv_str(pandas).unwrap();
    assert_eq!(bars.time()[1] - bars.time()[0], 60_000);
}

#[test]
fn a_bad_row_deep_in_a_large_file_is_found_and_nothing_is_returned() {
    let cfg = SynthConfig {
        bars: 200_000,
        step_ms: 60_000,
        ..SynthConfig::default()
    };
    let bars = random_walk(&cfg).unwrap();
    let mut out = Vec::new();
    write_csv(&bars, &mut out).unwrap();
    let mut text = String::from_utf8(out).unwrap();
    // Break the high of data row 150,000 (file line 150,001).
    let start = text.match_indices('\n').nth(150_000 - 1).unwrap().0 + 1;
    let end = start + text[start..].find('\n').unwrap();
    let fields: Vec<&str> = text[start..end].split(',').collect();
    let broken = format!(
        "{},{},0.5,{},{},{}",
        fields[0], fields[1], fields[3], fields[4], fields[5]
    );
    text.replace_range(start..end, &broken);
    let mut reports = 0;
    let r = import_csv(
        text.as_bytes(),
        None,
        &mut |_| reports += 1,
        &AtomicBool::new(false),
    );
    let e = r.unwrap_err().to_string();
    assert!(e.starts_with("line 150001, column \"High\": "), "{e}");
    assert_eq!(reports, 2, "progress every 65,536 rows before the bad one");
}
