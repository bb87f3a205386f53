//! `sweep` and `walkforward`: JSON shapes, sorting, one-line errors before any work, and the
//! plan's sweep-size quota when a database is in use.

use super::{run, sample_csv, sma_graph};

#[test]
fn sweep_json_rows_are_sorted_and_complete() {
    let doc = run(&[
        "sweep",
        &sma_graph(),
        "--data",
        &sample_csv(),
        "--grid",
        "fast=5:20:5",
        "--grid",
        "slow=20,40,60",
        "--where",
        "fast<slow",
        "--sort",
        "total_return_pct",
        "--json",
    ])
    .json();
    let rows = doc["results"].as_array().unwrap();
    assert_eq!(rows.len(), 11, "4 x 3 minus fast=20/slow=20");
    assert_eq!(doc["total"], 11);
    let ret: Vec<f64> = rows
        .iter()
        .map(|r| r["metrics"]["total_return_pct"].as_f64().unwrap())
        .collect();
    assert!(ret.windows(2).all(|w| w[0] >= w[1]), "{ret:?}");
    assert!(rows
        .iter()
        .all(|r| r["params"]["fast"].as_f64() < r["params"]["slow"].as_f64()));
    let top = run(&[
        "sweep",
        &sma_graph(),
        "--data",
        &sample_csv(),
        "--grid",
        "fast=5:20:5",
        "--grid",
        "slow=20,40,60",
        "--sort",
        "total_return_pct",
        "--top",
        "2",
        "--threads",
        "1",
        "--json",
    ])
    .json();
    assert_eq!(top["results"].as_array().unwrap().len(), 2);
}

#[test]
fn bad_sweeps_are_one_line_errors() {
    let base = |extra: &[&str]| {
        let mut a = vec![
            "sweep".to_string(),
            sma_graph(),
            "--data".into(),
            sample_csv(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    for (extra, needle) in [
        (vec!["--grid", "nope=1:3"], "unknown parameter \"nope\""),
        (vec!["--grid", "fast=9:3"], "reversed"),
        (vec!["--grid", "fast=3:9:0"], "zero"),
        (
            vec!["--grid", "fast=3:9", "--sort", "luck"],
            "unknown metric",
        ),
        (vec!["--grid", "fast=3:9", "--where", "fast"], "--where"),
    ] {
        let args = base(&extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args);
        assert!(out.one_line_error().contains(needle), "{extra:?}: {out:#?}");
    }
    let out = run(&[
        "walkforward",
        &sma_graph(),
        "--data",
        &sample_csv(),
        "--grid",
        "fast=5:10",
        "--train",
        "3000",
        "--test",
        "10",
    ]);
    assert!(out.one_line_error().contains("longer than the data"));
}

#[test]
fn a_large_sweep_is_never_refused_by_a_plan_when_a_store_is_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let db = db.to_str().unwrap();
    // The store exists with its free plan; local sweeps are not metered.
    let out = run(&["--db", db, "strategy", "create", "--title", "Sweepable"]);
    out.ok();
    let out = run(&[
        "--db",
        db,
        "sweep",
        &sma_graph(),
        "--data",
        &sample_csv(),
        "--grid",
        "fast=2:21",
        "--grid",
        "slow=22:41",
        "--top",
        "1",
    ]);
    assert!(out.ok().contains("of 400 combinations"), "{out:#?}");
}

#[test]
fn walkforward_json_reports_windows_and_the_stitched_curve() {
    let doc = run(&[
        "walkforward",
        &sma_graph(),
        "--data",
        &sample_csv(),
        "--grid",
        "fast=5:20:5",
        "--grid",
        "slow=30:90:30",
        "--train",
        "1000",
        "--test",
        "500",
        "--metric",
        "total_return_pct",
        "--json",
    ])
    .json();
    let windows = doc["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 4, "1000 + 500 * 3 + 20 bars left");
    assert_eq!(doc["equity"].as_array().unwrap().len(), 2520 - 1000);
    assert!(windows.iter().all(|w| w["params"]["fast"].is_number()));
    assert!(doc["metrics"]["total_return_pct"].is_number());
}
