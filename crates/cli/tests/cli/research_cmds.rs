//! Robustness in the CLI: `backtest --json` carries the deflated Sharpe ratio with the trials it
//! counts (the strategy's ledger with `--save`), `sweep --json` the PBO, `montecarlo RUN_ID`
//! resamples a stored run's trades, and `report` has the robustness section and the graph.

use serde_json::Value;

use super::{run, sample_csv, sma_graph};

#[test]
fn backtest_json_has_the_deflated_sharpe_of_one_trial() {
    let doc = run(&["backtest", &sma_graph(), "--data", &sample_csv(), "--json"]).json();
    let dsr = doc["deflated_sharpe"].as_f64().unwrap();
    let psr = doc["probabilistic_sharpe"].as_f64().unwrap();
    assert_eq!(doc["trials"], 1);
    // One trial: nothing to deflate.
    assert_eq!(dsr, psr);
    assert!((0.0..=1.0).contains(&dsr));
    assert!(doc["daily_returns"].as_u64().unwrap() > 2000);
}

#[test]
fn sweep_json_has_the_pbo() {
    let doc = run(&[
        "sweep",
        &sma_graph(),
        "--data",
        &sample_csv(),
        "--grid",
        "fast=5:20:5",
        "--grid",
        "slow=20:60:10",
        "--where",
        "fast<slow",
        "--json",
    ])
    .json();
    let pbo = &doc["pbo"];
    assert_eq!(pbo["blocks"], 16);
    assert_eq!(pbo["splits"], 12_870);
    assert_eq!(
        pbo["configurations"],
        doc["results"].as_array().unwrap().len()
    );
    assert!((0.0..=1.0).contains(&pbo["pbo"].as_f64().unwrap()));
    assert!(pbo.get("logits").is_none());
    // One combination: nothing to compare, and the reason says so.
    let one = run(&[
        "sweep",
        &sma_graph(),
        "--data",
        &sample_csv(),
        "--grid",
        "fast=5",
        "--json",
    ])
    .json();
    assert!(one["pbo"].is_null());
    assert!(one["pbo_note"].as_str().unwrap().contains("at least 2"));
}

#[test]
fn saved_runs_count_trials_and_resample_their_trades() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let db = db.to_str().unwrap();
    let with_db = |args: &[&str]| {
        let mut all = vec!["--db", db];
        all.extend_from_slice(args);
        run(&all)
    };
    with_db(&["strategy", "create", "--title", "Robust"]).ok();
    with_db(&["strategy", "save", "robust", &sma_graph()]).ok();
    let (graph, csv) = (sma_graph(), sample_csv());
    let back = |extra: &[&str]| {
        let mut a = vec![
            "backtest", &graph, "--data", &csv, "--save", "robust", "--json",
        ];
        a.extend_from_slice(extra);
        with_db(&a).json()
    };
    let first = back(&[]);
    assert_eq!(first["trials"], 1);
    let second = back(&["--param", "fast=7"]);
    assert_eq!(second["trials"], 2);
    let run_id = first["run_id"].as_str().unwrap().to_owned();

    let mc = with_db(&[
        "montecarlo",
        &run_id,
        "--runs",
        "300",
        "--seed",
        "3",
        "--json",
    ])
    .json();
    let m = &mc["montecarlo"];
    assert_eq!(m["runs"], 300);
    assert_eq!(m["trades"], first["trades"].as_array().unwrap().len());
    let actual = m["actual_final"].as_f64().unwrap();
    for v in m["final_equity"].as_array().unwrap() {
        assert!(
            (v.as_f64().unwrap() - actual).abs() < 1e-6,
            "a shuffle keeps the final P&L"
        );
    }
    let text = with_db(&["montecarlo", &run_id, "--method", "bootstrap"])
        .ok()
        .to_owned();
    assert!(
        text.contains("bootstrap") && text.contains("max drawdown %"),
        "{text}"
    );
    let err = with_db(&["montecarlo", "not-a-run"])
        .one_line_error()
        .to_owned();
    assert!(err.contains("not-a-run"), "{err}");

    let out = dir.path().join("r.html");
    with_db(&["report", &run_id, "--out", out.to_str().unwrap()]).ok();
    let html = std::fs::read_to_string(out).unwrap();
    for part in [
        "Strategy rules",
        "Robustness",
        "Deflated Sharpe ratio",
        "Trials counted",
    ] {
        assert!(html.contains(part), "{part}");
    }
    let v: Value = first;
    assert!(v["deflated_sharpe"].is_number());
}
