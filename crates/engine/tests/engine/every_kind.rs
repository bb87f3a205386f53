//! Every node kind of the catalog, one graph each: batch equals streaming bit for bit (node
//! values, signals, trades, equity, across a save/restore of the state), and cutting the data
//! after bar t changes no node value, signal, trade or equity value at or before t. Hourly
//! bars over a daylight-saving change exercise the time and higher-timeframe nodes.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use stratagraph_engine::backtest::backtest;
use stratagraph_engine::catalog::{catalog, NodeSpec, ParamType, PortType};
use stratagraph_engine::compile::{compile_json, Plan};
use stratagraph_engine::feedback::evaluate_all;
use stratagraph_engine::stream::{Stream, StreamState};
use stratagraph_engine::synth::{random_walk, SynthConfig};
use stratagraph_engine::Bars;

/// 2024-02-26 00:00 UTC: five weeks before the European and three before the US clock change.
const START_MS: i64 = 1_708_905_600_000;

pub(crate) fn hourly_bars(seed: u64, n: usize) -> Bars {
    random_walk(&SynthConfig {
        seed,
        bars: n,
        start_ms: START_MS,
        step_ms: 3_600_000,
        ..Default::default()
    })
    .unwrap()
}

/// A graph with `spec`'s node (its params overridden by `params`), every output turned into a
/// condition, and those conditions driving entries and exits on both sides.
pub(crate) fn graph_for(spec: &NodeSpec, params: &Value) -> Value {
    let mut nodes = vec![
        json!({"id": "close", "kind": "source.close"}),
        json!({"id": "open", "kind": "source.open"}),
        json!({"id": "base", "kind": "compare.gt"}),
        json!({"id": "x", "kind": spec.kind, "params": params}),
    ];
    let mut edges = vec![
        json!({"from": "close", "from_port": "out", "to": "base", "to_port": "a"}),
        json!({"from": "open", "from_port": "out", "to": "base", "to_port": "b"}),
    ];
    for (k, input) in spec.inputs.iter().enumerate() {
        let from = match (input.ty, k) {
            (PortType::Bool, _) => "base",
            (_, 0) => "close",
            _ => "open",
        };
        edges.push(json!({"from": from, "from_port": "out", "to": "x", "to_port": input.name}));
    }
    let mut conds: Vec<String> = vec![];
    for (k, out) in spec.outputs.iter().enumerate() {
        match out.ty {
            PortType::Bool => conds.push(format!("x.{}", out.name)),
            _ => {
                let id = format!("rise{k}");
                nodes.push(json!({"id": id, "kind": "signal.rising", "params": {"period": 1}}));
                edges.push(json!({"from": "x", "from_port": out.name, "to": id, "to_port": "in"}));
                conds.push(format!("{id}.out"));
            }
        }
    }
    let wire = |edges: &mut Vec<Value>, c: &str, to: &str, port: &str| {
        let (from, p) = c.split_once('.').unwrap();
        edges.push(json!({"from": from, "from_port": p, "to": to, "to_port": port}));
    };
    // any = base or cond0 or cond1 ...
    let mut acc = "base.out".to_string();
    for (k, c) in conds.iter().enumerate() {
        let id = if k + 1 == conds.len() {
            "any".to_string()
        } else {
            format!("or{k}")
        };
        nodes.push(json!({"id": id, "kind": "logic.or"}));
        wire(&mut edges, &acc, &id, "a");
        wire(&mut edges, c, &id, "b");
        acc = format!("{id}.out");
    }
    nodes.push(json!({"id": "buy", "kind": "order.enter_long", "params": {"size": {"equity_fraction": 0.5}}}));
    wire(&mut edges, "any.out", "buy", "when");
    nodes.push(json!({"id": "none", "kind": "logic.not"}));
    wire(&mut edges, conds.last().unwrap(), "none", "in");
    nodes.push(json!({"id": "sell", "kind": "order.exit_long"}));
    wire(&mut edges, "none.out", "sell", "when");
    nodes.push(
        json!({"id": "short", "kind": "order.enter_short", "params": {"size": {"units": 3}}}),
    );
    wire(&mut edges, "none.out", "short", "when");
    nodes.push(json!({"id": "cover", "kind": "order.exit_short"}));
    wire(&mut edges, &conds[0], "cover", "when");
    nodes.push(json!({"id": "stop", "kind": "risk.stop_loss", "params": {"pct": 1.5}}));
    json!({
        "schema": 1,
        "nodes": nodes,
        "edges": edges,
        "parameters": [],
        "settings": {"initial_cash": 10000, "commission": 0.001, "slippage_bps": 1, "fractional": false}
    })
}

/// Param variants per kind: the defaults, plus zones and timeframes for the time nodes.
pub(crate) fn variants(spec: &NodeSpec) -> Vec<Value> {
    let mut out = vec![json!({})];
    let has = |name: &str| spec.params.iter().any(|p| p.name == name);
    if has("timezone") {
        out.push(json!({"timezone": "America/New_York"}));
        out.push(json!({"timezone": "Europe/Berlin"}));
    }
    if has("timeframe") {
        for tf in ["4h", "day", "month"] {
            out.push(json!({"timeframe": tf, "timezone": "America/New_York"}));
        }
    }
    if spec.kind == "time.session" {
        out.push(json!({"start_hour": 22, "end_hour": 6, "timezone": "Asia/Tokyo"}));
    }
    out
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn node_series(plan: &Plan, bars: &Bars) -> BTreeMap<(String, String), Vec<u64>> {
    let ev = evaluate_all(plan, bars, &Default::default(), &mut |_| {}).unwrap();
    plan.outputs
        .iter()
        .map(|(k, &slot)| (k.clone(), bits(&ev.series(slot).unwrap())))
        .collect()
}

fn check_stream(kind: &str, plan: &Plan, bars: &Bars) {
    let batch = backtest(plan, bars);
    let series = node_series(plan, bars);
    let mut s = Stream::new(plan);
    let (mut signals, mut trades, mut equity) = (vec![], vec![], vec![]);
    for (i, bar) in (0..bars.len()).map(|i| (i, bars.bar(i))) {
        if i == bars.len() / 2 {
            let json = serde_json::to_string(s.state()).unwrap();
            let state: StreamState = serde_json::from_str(&json).unwrap();
            s = Stream::resume(plan, state).unwrap();
        }
        let out = s.push(&bar).unwrap();
        for ((node, port), &slot) in &plan.outputs {
            assert_eq!(
                s.values()[slot].to_bits(),
                series[&(node.clone(), port.clone())][i],
                "{kind}: {node}.{port} at bar {i}: stream {} vs batch",
                s.values()[slot]
            );
        }
        signals.push(out.signals);
        trades.extend(out.closed);
        equity.push(out.equity);
    }
    assert_eq!(batch.signals, signals, "{kind}: signals");
    assert_eq!(batch.trades, trades, "{kind}: trades");
    assert_eq!(bits(&batch.equity), bits(&equity), "{kind}: equity");
}

fn check_cuts(kind: &str, plan: &Plan, bars: &Bars) {
    check_cuts_at(kind, plan, bars, &[0, 1, 30, 171, 400, 777, bars.len() - 2]);
}

/// Cutting `bars` after each bar of `cuts` changes nothing up to it.
pub(crate) fn check_cuts_at(kind: &str, plan: &Plan, bars: &Bars, cuts: &[usize]) {
    let full = node_series(plan, bars);
    let result = backtest(plan, bars);
    for &t in cuts {
        let cut = bars.truncated(t + 1);
        for (key, values) in node_series(plan, &cut) {
            assert_eq!(
                values[..=t],
                full[&key][..=t],
                "{kind}: {}.{} changes at or before {t} when the data ends at {t}",
                key.0,
                key.1
            );
        }
        let r = backtest(plan, &cut);
        assert_eq!(
            result.signals[..=t],
            r.signals[..=t],
            "{kind}: signals to {t}"
        );
        assert_eq!(
            bits(&result.equity[..=t]),
            bits(&r.equity),
            "{kind}: equity to {t}"
        );
        let closed: Vec<_> = result.trades.iter().filter(|x| x.exit_bar <= t).collect();
        assert_eq!(closed.len(), r.trades.len(), "{kind}: trades to {t}");
    }
}

#[test]
fn every_kind_streams_like_batch_and_never_looks_ahead() {
    let bars = hourly_bars(11, 1500);
    let mut covered = 0;
    let mut traded = 0;
    for spec in catalog().iter().filter(|s| !s.is_sink()) {
        if spec.params.iter().any(|p| p.ty == ParamType::ParamName) {
            continue; // source.param: covered by the random graphs (needs a declaration).
        }
        for params in variants(spec) {
            let doc = graph_for(spec, &params);
            let plan = compile_json(&doc, &BTreeMap::new())
                .unwrap_or_else(|e| panic!("{}: {e}", spec.kind));
            for out in &spec.outputs {
                let key = ("x".to_string(), out.name.to_string());
                assert!(
                    plan.outputs.contains_key(&key),
                    "{} compiles no {}",
                    spec.kind,
                    out.name
                );
            }
            check_stream(spec.kind, &plan, &bars);
            check_cuts(spec.kind, &plan, &bars);
            traded += usize::from(!backtest(&plan, &bars).trades.is_empty());
        }
        covered += 1;
    }
    assert_eq!(
        covered,
        catalog().iter().filter(|s| !s.is_sink()).count() - 1
    );
    assert!(traded > covered, "graphs that traded: {traded}");
}
