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

mod layouts {
    use stratagraph_engine::import::{
        import_csv_path, import_csv_str, sniff, sniff_path, FileLayout, ImportError,
    };

    /// 2024-01-02 00:00 UTC in ms.
    const JAN2: i64 = 1_704_153_600_000;
    const HOUR: i64 = 3_600_000;

    fn row_error(csv: &str) -> (u64, String, String) {
        match import_csv_str(csv) {
            Err(ImportError::Row {
                line,
                column,
                reason,
            }) => (line, column, reason),
            other => panic!("expected a row error, got {other:?}"),
        }
    }

    #[test]
    fn yyyymmdd_integer_dates_are_dates_not_1970_seconds() {
        let b = import_csv_str("Date,Open,High,Low,Close\n20240102,1,2,1,2\n20240103,1,2,1,2\n")
            .unwrap();
        assert_eq!(b.time(), &[JAN2, JAN2 + 24 * HOUR]);
    }

    #[test]
    fn a_pandas_range_index_is_refused_as_row_numbers() {
        let (line, column, reason) = row_error(",Open,High,Low,Close\n0,1,2,1,2\n1,1,2,1,2\n");
        assert_eq!((line, column.as_str()), (2, "(unnamed first column)"));
        assert!(reason.contains("RangeIndex"), "{reason}");
        assert!(reason.starts_with("0 is not a time"), "{reason}");
    }

    #[test]
    fn semicolon_and_tab_files_are_read_and_their_delimiter_named() {
        for (d, name) in [(";", "semicolon-separated"), ("\t", "tab-separated")] {
            let csv = format!(
                "Date{d}Open{d}High{d}Low{d}Close{d}Volume\n2024-01-02{d}1{d}2{d}1{d}2{d}5\n"
            );
            let b = import_csv_str(&csv).unwrap();
            assert_eq!((b.time()[0], b.close()[0], b.volume()[0]), (JAN2, 2.0, 5.0));
            let found = sniff(csv.as_bytes());
            assert_eq!(found.layout, FileLayout::Header);
            assert_eq!(found.describe(), format!("CSV with a header row, {name}"));
        }
        // A header the importer cannot use says how it split the line.
        let err = import_csv_str("Day|Open|High|Low|Close\n2024-01-02|1|2|1|2\n").unwrap_err();
        assert!(err.to_string().contains("read as comma-separated"), "{err}");
    }

    #[test]
    fn metatrader_exports_with_date_and_time_columns_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("EURUSD_H1.csv");
        std::fs::write(
            &path,
            "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\r\n\
             2024.01.02\t00:00:00\t1.10427\t1.10481\t1.10395\t1.10440\t2321\t0\t10\r\n\
             2024.01.02\t01:00:00\t1.10440\t1.10500\t1.10400\t1.10490\t1800\t0\t9\r\n",
        )
        .unwrap();
        let found = sniff_path(&path).unwrap();
        assert_eq!(found.layout, FileLayout::MetaTrader);
        assert_eq!(
            found.describe(),
            "MetaTrader history export (<DATE> and <TIME> columns), tab-separated"
        );
        let b = import_csv_path(&path).unwrap();
        assert_eq!(b.time(), &[JAN2, JAN2 + HOUR]);
        assert_eq!(b.open(), &[1.10427, 1.10440]);
        assert_eq!(b.volume(), &[2321.0, 1800.0]);
        // A bad time names both the row and the <DATE> column.
        let (line, column, reason) = row_error(
            "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n\
             2024.01.02\t25:00:00\t1\t2\t1\t2\t1\t0\t1\n",
        );
        assert_eq!((line, column.as_str()), (2, "<DATE>"));
        assert!(reason.contains("25:00:00"), "{reason}");
    }

    #[test]
    fn binance_kline_dumps_in_milliseconds_and_microseconds_are_read() {
        let dir = tempfile::tempdir().unwrap();
        for (name, scale) in [
            ("BTCUSDT-1h-2024-01.csv", 1),
            ("BTCUSDT-1h-2025-01.csv", 1000),
        ] {
            let path = dir.path().join(name);
            let row = |t: i64, o: f64| {
                format!(
                    "{},{o},{},{},{},12.5,{},1000.0,42,6.0,500.0,0\n",
                    t * scale,
                    o + 2.0,
                    o - 1.0,
                    o + 1.0,
                    (t + HOUR - 1) * scale
                )
            };
            std::fs::write(&path, row(JAN2, 42000.0) + &row(JAN2 + HOUR, 42001.0)).unwrap();
            let found = sniff_path(&path).unwrap();
            assert_eq!(found.layout, FileLayout::BinanceKlines, "{name}");
            assert_eq!(
                found.describe(),
                "Binance kline dump (no header, 12 columns), comma-separated"
            );
            let b = import_csv_path(&path).unwrap();
            assert_eq!(b.time(), &[JAN2, JAN2 + HOUR], "{name}");
            assert_eq!(b.close(), &[42001.0, 42002.0]);
            assert_eq!(b.volume(), &[12.5, 12.5]);
        }
        // The first line is data: an error on it is line 1, named by Binance's column name.
        let bad = format!("{JAN2},x,2,1,2,1,{JAN2},1,1,1,1,0\n");
        let (line, column, _) = row_error(&bad);
        assert_eq!((line, column.as_str()), (1, "open"));
    }

    #[test]
    fn prices_from_1e10_are_refused_with_the_limit() {
        let (line, column, reason) =
            row_error("Date,Open,High,Low,Close\n2024-01-02,1e10,1e10,1e10,1e10\n");
        assert_eq!((line, column.as_str()), (2, "Open"));
        assert_eq!(reason, "price 1e10 is above the limit 1e9");
    }
}

mod columnar {
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, TimestampMillisecondArray};
    use stratagraph_engine::backtest::backtest;
    use stratagraph_engine::columnar::{import_columnar_path, Columnar};
    use stratagraph_engine::compile::compile_json;
    use stratagraph_engine::import::{import_csv_path, write_csv, ImportError};
    use stratagraph_engine::synth::{random_walk, SynthConfig};
    use stratagraph_engine::Bars;

    fn batch(b: &Bars, time: ArrayRef) -> RecordBatch {
        let f = |v: &[f64]| Arc::new(Float64Array::from(v.to_vec())) as ArrayRef;
        RecordBatch::try_from_iter([
            ("Date", time),
            ("Open", f(b.open())),
            ("High", f(b.high())),
            ("Low", f(b.low())),
            ("Close", f(b.close())),
            ("Volume", f(b.volume())),
        ])
        .unwrap()
    }

    fn write_parquet(path: &std::path::Path, batch: &RecordBatch) {
        let file = std::fs::File::create(path).unwrap();
        let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
        w.write(batch).unwrap();
        w.close().unwrap();
    }

    #[test]
    fn parquet_and_arrow_ipc_give_the_same_bars_and_run_as_csv() {
        let dir = tempfile::tempdir().unwrap();
        let bars = random_walk(&SynthConfig::default()).unwrap();
        let csv = dir.path().join("bars.csv");
        write_csv(&bars, std::fs::File::create(&csv).unwrap()).unwrap();
        let from_csv = import_csv_path(&csv).unwrap();

        let ts = Arc::new(TimestampMillisecondArray::from(bars.time().to_vec())) as ArrayRef;
        let b = batch(&bars, ts);
        let pq = dir.path().join("bars.parquet");
        write_parquet(&pq, &b);
        let ipc = dir.path().join("bars.arrow");
        let mut w = arrow_ipc::writer::FileWriter::try_new(
            std::fs::File::create(&ipc).unwrap(),
            &b.schema(),
        )
        .unwrap();
        w.write(&b).unwrap();
        w.finish().unwrap();

        let never = AtomicBool::new(false);
        let from_pq = import_columnar_path(&pq, Columnar::Parquet, &never).unwrap();
        let from_ipc = import_columnar_path(&ipc, Columnar::ArrowIpc, &never).unwrap();
        assert_eq!(from_pq, from_csv);
        assert_eq!(from_ipc, from_csv);

        let doc: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../../examples/sma_crossover.json"),
            )
            .unwrap(),
        )
        .unwrap();
        let plan = compile_json(&doc, &Default::default()).unwrap();
        let (a, b) = (backtest(&plan, &from_csv), backtest(&plan, &from_pq));
        assert_eq!((a.hash, a.trades), (b.hash, b.trades));
    }

    #[test]
    fn every_timestamp_unit_with_or_without_a_zone_gives_the_same_bars() {
        use arrow_array::{
            TimestampMicrosecondArray, TimestampNanosecondArray, TimestampSecondArray,
        };
        let dir = tempfile::tempdir().unwrap();
        // The synthetic bars fall on whole seconds, so every unit holds them exactly.
        let bars = random_walk(&SynthConfig::default()).unwrap();
        let ms = bars.time().to_vec();
        // Sub-millisecond parts are cut off, as a cast to milliseconds does.
        let us: Vec<i64> = ms.iter().map(|t| t * 1_000 + 999).collect();
        let ns: Vec<i64> = ms.iter().map(|t| t * 1_000_000 + 999_999).collect();
        let s: Vec<i64> = ms.iter().map(|t| t / 1_000).collect();
        assert!(ms.iter().all(|t| t % 1_000 == 0));
        let columns: [(&str, ArrayRef); 6] = [
            ("ms", Arc::new(TimestampMillisecondArray::from(ms.clone()))),
            (
                "ms UTC",
                Arc::new(TimestampMillisecondArray::from(ms).with_timezone("UTC")),
            ),
            (
                "us UTC",
                Arc::new(TimestampMicrosecondArray::from(us.clone()).with_timezone("UTC")),
            ),
            ("us", Arc::new(TimestampMicrosecondArray::from(us))),
            (
                "ns +02:00",
                Arc::new(TimestampNanosecondArray::from(ns).with_timezone("+02:00")),
            ),
            ("s", Arc::new(TimestampSecondArray::from(s))),
        ];
        let never = AtomicBool::new(false);
        for (name, time) in columns {
            let pq = dir.path().join("bars.parquet");
            write_parquet(&pq, &batch(&bars, time));
            let got = import_columnar_path(&pq, Columnar::Parquet, &never).unwrap();
            assert_eq!(got, bars, "{name}");
        }
    }

    #[test]
    fn a_bad_row_in_parquet_names_the_row_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let bars = random_walk(&SynthConfig {
            bars: 10,
            ..SynthConfig::default()
        })
        .unwrap();
        // Integer row numbers as times: refused like a CSV RangeIndex.
        let rows = Arc::new(Int64Array::from((0..10).collect::<Vec<i64>>())) as ArrayRef;
        let pq = dir.path().join("range.parquet");
        write_parquet(&pq, &batch(&bars, rows));
        match import_columnar_path(&pq, Columnar::Parquet, &AtomicBool::new(false)) {
            Err(ImportError::Row {
                line,
                column,
                reason,
            }) => {
                assert_eq!((line, column.as_str()), (1, "Date"));
                assert!(reason.contains("RangeIndex"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        // A file that is not Parquet is a clear error, not a panic.
        let junk = dir.path().join("junk.parquet");
        std::fs::write(&junk, "Date,Open\n").unwrap();
        let err = import_columnar_path(&junk, Columnar::Parquet, &AtomicBool::new(false))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a readable Parquet file"), "{err}");
    }
}
