//! `catalog`, `validate`, `backtest` and `data`: output shapes, determinism, and one-line
//! errors (never a panic) for bad input.

use std::collections::BTreeSet;
use std::fs;

use serde_json::Value;

use super::{repo, run, sample_csv, sma_graph};

#[test]
fn catalog_json_lists_every_kind_with_ports_and_params() {
    let cat = run(&["catalog", "--json"]).json();
    let entries = cat.as_array().unwrap();
    let kinds: BTreeSet<&str> = entries
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    let expected = [
        "source.open",
        "source.high",
        "source.low",
        "source.close",
        "source.volume",
        "indicator.sma",
        "indicator.ema",
        "indicator.wma",
        "indicator.rsi",
        "indicator.macd",
        "indicator.bollinger",
        "indicator.atr",
        "indicator.stochastic",
        "indicator.roc",
        "indicator.stddev",
        "indicator.highest",
        "indicator.lowest",
        "indicator.obv",
        "indicator.vwap",
        "math.add",
        "math.subtract",
        "math.multiply",
        "math.divide",
        "math.min",
        "math.max",
        "math.abs",
        "compare.gt",
        "compare.lt",
        "compare.ge",
        "compare.le",
        "signal.cross_above",
        "signal.cross_below",
        "signal.rising",
        "signal.falling",
        "signal.bars_since",
        "logic.and",
        "logic.or",
        "logic.not",
        "order.enter_long",
        "order.exit_long",
        "order.enter_short",
        "order.exit_short",
        "risk.stop_loss",
        "risk.take_profit",
        "risk.trailing_stop",
    ];
    for kind in expected {
        assert!(kinds.contains(kind), "catalog lacks {kind}");
    }
    // The library: at least 80 kinds, in every palette group, each with its formula.
    assert!(entries.len() >= 80, "{} kinds", entries.len());
    let groups: BTreeSet<&str> = entries
        .iter()
        .map(|e| e["category"].as_str().unwrap())
        .collect();
    for g in ["timeframe", "pattern", "time", "position"] {
        assert!(groups.contains(g), "no {g} kinds");
    }
    for e in entries {
        assert!(e["formula"].as_str().is_some_and(|f| !f.is_empty()), "{e}");
        assert!(e["reference"].is_string(), "{e}");
    }
    for e in entries {
        for key in ["inputs", "outputs", "params"] {
            let list = e[key].as_array().unwrap_or_else(|| panic!("{e}: no {key}"));
            for item in list {
                assert!(item["name"].is_string(), "{e}: unnamed {key} entry");
            }
        }
        for port in e["inputs"].as_array().unwrap() {
            assert!(port["type"].is_string(), "{e}: port without a type");
        }
        assert!(e["help"].as_str().is_some_and(|h| !h.is_empty()), "{e}");
    }
    let sma = entries
        .iter()
        .find(|e| e["kind"] == "indicator.sma")
        .unwrap();
    assert_eq!(sma["inputs"][0]["type"], "number");
    let period = &sma["params"][0];
    assert_eq!(period["name"], "period");
    assert!(!period["default"].is_null());
}

#[test]
fn catalog_markdown_is_the_node_reference() {
    let text = run(&["catalog", "--markdown"]).ok().to_string();
    assert!(text.starts_with("# Node reference"));
    for kind in [
        "indicator.adx",
        "pattern.engulfing",
        "timeframe.bar",
        "position.open_pnl",
    ] {
        assert!(text.contains(&format!("### `{kind}`")), "{kind} missing");
    }
}

#[test]
fn catalog_table_names_every_kind() {
    let text = run(&["catalog"]).ok().to_string();
    for kind in [
        "source.close",
        "signal.bars_since",
        "order.exit_short",
        "risk.trailing_stop",
    ] {
        assert!(text.contains(kind), "{kind} missing from the table");
    }
}

#[test]
fn validate_broken_graph_names_the_node_of_every_problem() {
    let fixture = repo("crates/engine/tests/fixtures/broken_graph.json");
    let doc: Value = serde_json::from_str(&fs::read_to_string(&fixture).unwrap()).unwrap();
    let ids: BTreeSet<String> = doc["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_string())
        .collect();
    let out = run(&["validate", fixture.to_str().unwrap()]);
    assert_eq!(out.code, 1, "{out:#?}");
    assert!(!out.stderr.contains("panicked"));
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(!lines.is_empty());
    for line in &lines {
        let (node, _) = line.split_once(": ").unwrap();
        assert!(ids.contains(node), "{line:?} does not start with a node id");
    }
    let text = out.stdout.to_lowercase();
    for (what, node) in [
        ("cycle", "loop_a"),
        ("takes number but", "as_number"),
        ("not connected", "above"),
        ("not declared", "trend"),
    ] {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("{node}: ")) && l.to_lowercase().contains(what)),
            "no {what:?} problem at {node}: {text}"
        );
    }
}

#[test]
fn validate_json_is_an_array_of_located_problems() {
    let fixture = repo("crates/engine/tests/fixtures/broken_graph.json");
    let out = run(&["validate", fixture.to_str().unwrap(), "--json"]);
    assert_eq!(out.code, 1);
    let problems: Value = serde_json::from_str(&out.stdout).unwrap();
    let problems = problems.as_array().unwrap();
    let codes: BTreeSet<&str> = problems
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    for code in ["cycle", "type_mismatch", "dangling_input", "unbound_param"] {
        assert!(codes.contains(code), "no {code} in {codes:?}");
    }
    assert!(problems.iter().all(|p| p["node"].is_string()));
}

#[test]
fn validate_accepts_the_example() {
    assert_eq!(run(&["validate", &sma_graph()]).ok(), "valid\n");
    assert_eq!(
        run(&["validate", &sma_graph(), "--json"]).json(),
        Value::Array(vec![])
    );
}

#[test]
fn garbage_graph_files_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_obj = format!("{}1{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("binary", (0..=255u8).cycle().take(4096).collect()),
        ("empty", Vec::new()),
        ("array", b"[]".to_vec()),
        ("null", b"null".to_vec()),
        (
            "wrong_types",
            br#"{"schema": "x", "nodes": 5, "edges": {}}"#.to_vec(),
        ),
        ("deep", deep.into_bytes()),
        ("deep_object", deep_obj.into_bytes()),
    ];
    for (name, bytes) in cases {
        let path = dir.path().join(format!("{name}.json"));
        fs::write(&path, bytes).unwrap();
        let p = path.to_str().unwrap();
        for args in [
            vec!["validate", p],
            vec!["validate", p, "--json"],
            vec!["backtest", p, "--data", &sample_csv()],
        ] {
            let out = run(&args);
            assert_eq!(out.code, 1, "{name} {args:?}: {out:#?}");
            assert!(!out.stderr.contains("panicked"), "{name}: {out:#?}");
            assert!(
                !(out.stdout.trim().is_empty() && out.stderr.trim().is_empty()),
                "{name} {args:?}: no message"
            );
        }
    }
}

fn backtest_json() -> Value {
    run(&[
        "backtest",
        &sma_graph(),
        "--data",
        &sample_csv(),
        "--param",
        "fast=10",
        "--param",
        "slow=20",
        "--cash",
        "10000",
        "--json",
    ])
    .json()
}

#[test]
fn backtest_json_has_the_documented_shape_and_a_stable_hash() {
    let doc = backtest_json();
    let metrics = doc["metrics"].as_object().unwrap();
    for key in [
        "total_return_pct",
        "max_drawdown_pct",
        "trades",
        "final_equity",
    ] {
        assert!(metrics.contains_key(key), "metrics lack {key}");
    }
    let trades = doc["trades"].as_array().unwrap();
    assert!(!trades.is_empty());
    for t in trades {
        for key in [
            "side",
            "entry_time",
            "entry_price",
            "exit_time",
            "exit_price",
            "size",
            "pnl",
            "exit_reason",
        ] {
            assert!(!t[key].is_null(), "trade lacks {key}: {t}");
        }
        assert!(t["entry_time"].as_str().unwrap().ends_with('Z'));
    }
    let equity = doc["equity"].as_array().unwrap();
    assert_eq!(equity.len(), 2520);
    let first = equity[0].as_array().unwrap();
    assert_eq!(first.len(), 2);
    assert_eq!(first[0], "2015-01-02T00:00:00Z");
    assert_eq!(first[1].as_f64(), Some(10_000.0));
    let hash = doc["hash"].as_str().unwrap();
    assert_eq!(hash.len(), 64);
    assert!(doc.get("run_id").is_none(), "no run without --save");
    assert_eq!(
        backtest_json()["hash"],
        doc["hash"],
        "same inputs, same hash"
    );
}

#[test]
fn backtest_summary_is_readable() {
    let text = run(&["backtest", &sma_graph(), "--data", &sample_csv()])
        .ok()
        .to_string();
    assert!(
        text.starts_with("2520 bars, 2015-01-02T00:00:00Z to "),
        "{text}"
    );
    assert!(text.contains("total return"));
    assert!(text.contains("hash"));
}

#[test]
fn bad_command_lines_give_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bad_csv = dir.path().join("bad.csv");
    fs::write(
        &bad_csv,
        "Date,Open,High,Low,Close,Volume\n\
         2015-01-02,99.84,100.14,99.66,99.74,668270\n\
         2015-01-03,99.82,100.47,97.93,abc,1830480\n",
    )
    .unwrap();
    let missing = dir.path().join("missing.json");
    let (g, d) = (sma_graph(), sample_csv());
    let bt = |extra: &[&str]| {
        let mut args = vec!["backtest", g.as_str(), "--data", d.as_str()];
        args.extend_from_slice(extra);
        run(&args)
    };
    assert!(bt(&["--bogus"]).one_line_error().contains("--bogus"));
    assert!(run(&["frobnicate"]).one_line_error().contains("frobnicate"));
    assert!(run(&["validate", missing.to_str().unwrap()])
        .one_line_error()
        .contains("missing.json"));
    assert!(
        run(&["backtest", missing.to_str().unwrap(), "--data", d.as_str()])
            .one_line_error()
            .contains("missing.json")
    );
    assert!(
        run(&["backtest", g.as_str(), "--data", "/no/such/file.csv"])
            .one_line_error()
            .contains("file.csv")
    );
    assert!(bt(&["--param", "fast=abc"])
        .one_line_error()
        .contains("abc"));
    assert!(bt(&["--param", "nope=3"]).one_line_error().contains("nope"));
    assert!(bt(&["--param", "fast=1"])
        .one_line_error()
        .contains("minimum"));
    assert!(bt(&["--param", "fast"])
        .one_line_error()
        .contains("NAME=VALUE"));
    let e = run(&["backtest", g.as_str(), "--data", bad_csv.to_str().unwrap()]);
    let line = e.one_line_error();
    assert!(line.contains("line 3"), "{line}");
    assert!(line.contains("Close"), "{line}");
}

#[test]
fn help_and_version_still_print_in_full() {
    let help = run(&["--help"]);
    assert!(help.ok().contains("strategy"));
    assert!(help.stdout.lines().count() > 5);
    assert!(run(&["--version"]).ok().starts_with("stratagraph "));
}

#[test]
fn synthetic_data_feeds_a_backtest() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("synth.csv");
    let csv = csv.to_str().unwrap();
    let out = run(&[
        "data", "synth", "--out", csv, "--seed", "7", "--bars", "300",
    ]);
    out.ok();
    assert!(out.stderr.contains("300"), "{out:#?}");
    assert!(run(&["data", "inspect", csv])
        .ok()
        .starts_with("layout: CSV with a header row, comma-separated\n300 bars, "));
    let doc = run(&["backtest", &sma_graph(), "--data", csv, "--json"]).json();
    assert_eq!(doc["equity"].as_array().unwrap().len(), 300);
}

#[test]
fn out_of_range_cash_is_a_number_refused_with_its_limits() {
    for (cash, shown) in [("-1", "-1"), ("0", "0"), ("1e308", "1e308")] {
        let out = run(&[
            "backtest",
            &sma_graph(),
            "--data",
            &sample_csv(),
            "--cash",
            cash,
        ]);
        assert_eq!(out.code, 1, "{out:#?}");
        assert_eq!(
            out.stderr.trim(),
            format!("error: --cash {shown}: must be greater than 0 and at most 1e12"),
            "{out:#?}"
        );
    }
}

#[test]
fn data_inspect_names_the_layout_it_recognised() {
    let dir = tempfile::tempdir().unwrap();
    let mt = dir.path().join("mt5.csv");
    fs::write(
        &mt,
        "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n\
         2024.01.02\t09:00:00\t1.1\t1.2\t1.0\t1.15\t100\t0\t3\n",
    )
    .unwrap();
    assert_eq!(
        run(&["data", "inspect", mt.to_str().unwrap()]).ok(),
        "layout: MetaTrader history export (<DATE> and <TIME> columns), tab-separated\n\
         1 bars, 2024-01-02T09:00:00Z to 2024-01-02T09:00:00Z\n"
    );
    let semi = dir.path().join("semi.csv");
    fs::write(&semi, "Date;Open;High;Low;Close\n2024-01-02;1;2;1;2\n").unwrap();
    assert!(run(&["data", "inspect", semi.to_str().unwrap()])
        .ok()
        .starts_with("layout: CSV with a header row, semicolon-separated\n1 bars"));
}

#[test]
fn backtest_on_parquet_gives_the_same_result_as_on_the_same_bars_in_csv() {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Float64Array, RecordBatch, TimestampMillisecondArray};

    let dir = tempfile::tempdir().unwrap();
    let csv = sample_csv();
    let bars = stratagraph_engine::import::import_csv_path(std::path::Path::new(&csv)).unwrap();
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
    ])
    .unwrap();
    let pq = dir.path().join("bars.parquet");
    let mut w =
        parquet::arrow::ArrowWriter::try_new(fs::File::create(&pq).unwrap(), batch.schema(), None)
            .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let pq = pq.to_str().unwrap();
    let json = |data: &str| run(&["backtest", &sma_graph(), "--data", data, "--json"]).json();
    let (a, b) = (json(&csv), json(pq));
    assert_eq!(a["hash"], b["hash"]);
    assert_eq!(a["trades"], b["trades"]);
    assert_eq!(a["metrics"], b["metrics"]);
    assert!(run(&["data", "inspect", pq])
        .ok()
        .starts_with("layout: Parquet file\n"));
    // A file that is not Parquet is a one-line error, never a panic.
    let junk = dir.path().join("junk.parquet");
    fs::write(&junk, "not parquet").unwrap();
    let out = run(&["data", "inspect", junk.to_str().unwrap()]);
    assert_eq!(out.code, 1, "{out:#?}");
    assert!(
        out.stderr.contains("not a readable Parquet file"),
        "{out:#?}"
    );
    assert!(!out.stderr.contains("panicked"));
}

#[test]
fn equity_every_decimates_or_drops_the_curve_and_keeps_metrics_and_hash() {
    let json = |every: &str| {
        run(&[
            "backtest",
            &sma_graph(),
            "--data",
            &sample_csv(),
            "--json",
            "--equity-every",
            every,
        ])
        .json()
    };
    let full = json("1");
    let points = full["equity"].as_array().unwrap().clone();
    let n = points.len();
    let every100 = json("100");
    let kept = every100["equity"].as_array().unwrap();
    // Bars 0, 100, 200, … and the last.
    assert_eq!(
        kept.len(),
        (n - 1) / 100 + 1 + usize::from((n - 1) % 100 != 0)
    );
    assert_eq!(kept[1], points[100]);
    assert_eq!(kept.last(), points.last());
    let none = json("0");
    assert_eq!(none["equity"].as_array().unwrap().len(), 0);
    // Without the curve the run never holds it whole; everything else is the same.
    for doc in [&every100, &none] {
        for key in [
            "hash",
            "metrics",
            "trades",
            "deflated_sharpe",
            "probabilistic_sharpe",
            "expected_max_sharpe",
            "trials",
            "daily_returns",
        ] {
            assert_eq!(doc[key], full[key], "{key}");
        }
    }
    assert!(full["daily_returns"].as_u64().unwrap() > 100);
}
