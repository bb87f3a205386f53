//! `report`: an HTML file for a stored run and for a graph backtested on the spot.

use std::fs;

use super::{run, sample_csv, sma_graph};

fn read(path: &std::path::Path) -> String {
    fs::read_to_string(path).unwrap()
}

#[test]
fn report_of_a_stored_run() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("stratagraph.db");
    let db = db.to_str().unwrap();
    let created = run(&[
        "--db",
        db,
        "strategy",
        "create",
        "--title",
        "<script>x</script> SMA",
        "--json",
    ])
    .json();
    let id = created["id"].as_str().unwrap().to_string();
    run(&["--db", db, "strategy", "save", &id, &sma_graph(), "--json"]).ok();
    let done = run(&[
        "--db",
        db,
        "backtest",
        &sma_graph(),
        "--data",
        &sample_csv(),
        "--save",
        &id,
        "--json",
    ])
    .json();
    let run_id = done["run_id"].as_str().unwrap().to_string();
    let trades =
        done["trades"].as_array().unwrap().len() + usize::from(!done["open_trade"].is_null());

    let out = dir.path().join("run.html");
    let printed = run(&[
        "--db",
        db,
        "report",
        &run_id,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(printed.ok().contains("run.html"));
    let html = read(&out);
    assert!(html.contains("&lt;script&gt;x&lt;/script&gt; SMA"));
    assert!(!html.contains("<script>x"));
    assert!(html.contains(&run_id));
    assert_eq!(html.matches("<tr class=\"trade ").count(), trades);
    assert!(!html.contains("http://") && !html.contains("https://"));

    // Unknown and malformed ids are one-line errors.
    let missing = "0190d3c4-0000-7000-8000-000000000000";
    run(&[
        "--db",
        db,
        "report",
        missing,
        "--out",
        out.to_str().unwrap(),
    ])
    .one_line_error();
    let bad = run(&["--db", db, "report", "nope", "--out", out.to_str().unwrap()]);
    assert!(bad.one_line_error().contains("not a run id"));
}

#[test]
fn report_of_a_graph_backtested_now() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fresh.html");
    let args = [
        "report",
        "--graph",
        &sma_graph(),
        "--data",
        &sample_csv(),
        "--param",
        "fast=5",
    ];
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--out", out.to_str().unwrap(), "--dark"]);
    run(&all).ok();
    let html = read(&out);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("sma_crossover"));
    assert_eq!(
        html.matches("<svg").count(),
        4,
        "three charts and the rules"
    );
    assert!(html.contains("Strategy rules"));
    assert!(html.contains("<td>fast</td><td>5</td>"));
}
