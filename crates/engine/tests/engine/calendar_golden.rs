//! Time nodes and higher-timeframe bars against `tests/golden/calendar.json`, written by
//! `scripts/golden/time_nodes.py` with pandas and zoneinfo: hourly weekday bars across the
//! European and US daylight-saving changes, in four time zones (one offset by half an hour).
//! Every value must match exactly.

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use stratagraph_engine::kernels::{run_kernel, Kernel, Timeframe, Zone, DAYS};
use stratagraph_engine::Bars;

const GOLDEN: &str = include_str!("../golden/calendar.json");

#[derive(Deserialize)]
struct Golden {
    input: Input,
    cases: Vec<BTreeMap<String, Value>>,
}

#[derive(Deserialize)]
struct Input {
    time: Vec<i64>,
    open: Vec<f64>,
    high: Vec<f64>,
    low: Vec<f64>,
    close: Vec<f64>,
    volume: Vec<f64>,
}

#[derive(Deserialize)]
struct Higher {
    bars: Vec<[f64; 5]>,
    visible: Vec<i64>,
}

fn same(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()),
            "{what}[{i}]: got {g}, reference {w}"
        );
    }
}

#[test]
fn time_nodes_and_higher_timeframes_match_pandas() {
    let g: Golden = serde_json::from_str(GOLDEN).expect("golden file parses");
    let i = &g.input;
    let bars = Bars::new(
        i.time.clone(),
        i.open.clone(),
        i.high.clone(),
        i.low.clone(),
        i.close.clone(),
        i.volume.clone(),
    )
    .unwrap();
    let mut by_node = BTreeMap::<String, usize>::new();
    for case in &g.cases {
        let node = case["node"].as_str().unwrap();
        let zone = Zone::parse(case["timezone"].as_str().unwrap()).unwrap();
        let int = |k: &str| case[k].as_i64().unwrap();
        let tf = || Timeframe::parse(case["timeframe"].as_str().unwrap()).unwrap();
        let kernel = match node {
            "timeframe.bar" => Kernel::Higher(tf(), zone),
            "time.period_start" => Kernel::PeriodStart(tf(), zone),
            "time.session" => Kernel::Session(int("start") as u32, int("end") as u32, zone),
            "time.day_of_week" => Kernel::DayOfWeek(int("from") as u32, int("to") as u32, zone),
            "time.date_range" => Kernel::DateRange(int("from"), int("to"), zone),
            "time.calendar" => Kernel::Calendar(zone),
            other => panic!("unknown node {other}"),
        };
        let got = run_kernel(&kernel, &[], &bars);
        let what = format!(
            "{node} {:?}",
            case.get("timeframe").or(case.get("timezone"))
        );
        if node == "timeframe.bar" {
            let h: Higher = serde_json::from_value(case["higher"].clone()).unwrap();
            for (k, port) in ["open", "high", "low", "close", "volume"]
                .iter()
                .enumerate()
            {
                let want: Vec<f64> = h
                    .visible
                    .iter()
                    .map(|&v| usize::try_from(v).map_or(f64::NAN, |v| h.bars[v][k]))
                    .collect();
                same(&format!("{what}.{port}"), &got[k], &want);
            }
            // Some bars see no closed period yet, all others see one.
            assert!(h.visible.contains(&-1) && h.visible.iter().any(|&v| v > 0));
        } else {
            let outputs = case["outputs"].as_object().unwrap();
            let names: &[&str] = match node {
                "time.day_of_week" => &["out", "day"],
                "time.calendar" => &["year", "month", "day", "weekday", "time"],
                _ => &["out"],
            };
            assert_eq!(outputs.len(), names.len(), "{what}");
            for (k, port) in names.iter().enumerate() {
                let want: Vec<f64> = outputs[*port]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_f64().unwrap())
                    .collect();
                same(&format!("{what}.{port}"), &got[k], &want);
            }
        }
        *by_node.entry(node.to_string()).or_default() += 1;
    }
    assert_eq!(by_node.len(), 6, "{by_node:?}");
    assert_eq!(DAYS.len(), 7);
}
