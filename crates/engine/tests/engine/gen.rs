//! Seeded random graph generators for property tests.

use serde_json::{json, Value};
use stratagraph_engine::catalog::{catalog, NodeSpec, ParamType, PortType};
use stratagraph_engine::synth::SplitMix64;

/// The example strategies in `examples/`.
pub const EXAMPLES: &[&str] = &[
    "sma_crossover",
    "rsi_mean_reversion",
    "macd_trend_stop",
    "bollinger_breakout_long_short",
    "supertrend_adx_weekly",
    "willr_position_exits",
    "engulfing_cloud_sar",
    "keltner_kama_mfi_stop",
];

struct Rng(SplitMix64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.0.next_u64() % n as u64) as usize
        }
    }
    fn chance(&mut self, p: f64) -> bool {
        self.0.next_f64() < p
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            Some(&items[self.below(items.len())])
        }
    }
}

fn param_value(rng: &mut Rng, ty: ParamType, min: Option<f64>, max: Option<f64>) -> Value {
    match ty {
        ParamType::Int => {
            // `p` ranges over 1..=30: bind only params that accept all of it.
            let binds = min.is_none_or(|m| m <= 1.0) && max.is_none_or(|m| m >= 30.0);
            if binds && rng.chance(0.2) {
                json!({"$param": "p"})
            } else {
                let lo = min.unwrap_or(1.0).max(1.0) as usize;
                let hi = max.unwrap_or(f64::MAX);
                json!(((lo + rng.below(12)) as f64).min(hi))
            }
        }
        ParamType::Float => {
            let lo = min.unwrap_or(-50.0).max(-50.0);
            let hi = max.unwrap_or(50.0).min(50.0);
            if rng.chance(0.1) {
                json!({"$param": "q"})
            } else {
                json!(lo + (hi - lo) * rng.0.next_f64())
            }
        }
        ParamType::Enum { values } => json!(values[rng.below(values.len())]),
        ParamType::ParamName => json!(if rng.chance(0.5) { "p" } else { "q" }),
        ParamType::Size => {
            if rng.chance(0.5) {
                json!({"equity_fraction": 0.1 + 0.9 * rng.0.next_f64()})
            } else {
                json!({"units": 1 + rng.below(20)})
            }
        }
    }
}

fn params_of(rng: &mut Rng, spec: &NodeSpec) -> Value {
    let mut m = serde_json::Map::new();
    for p in &spec.params {
        // A parameter node has no usable default name: always set it.
        if p.ty == ParamType::ParamName || rng.chance(0.7) {
            m.insert(p.name.to_string(), param_value(rng, p.ty, p.min, p.max));
        }
    }
    Value::Object(m)
}

fn declarations() -> Value {
    json!([
        {"name": "p", "type": "int", "default": 5, "min": 1, "max": 30},
        {"name": "q", "type": "float", "default": 0.5, "min": 0.01, "max": 1.0}
    ])
}

/// A valid DAG: random indicators, math and logic over the sources, every node feeding an
/// OR chain that drives the long entry, plus random exits and stops. Also returns an edge that
/// closes a cycle through the OR chain, with the nodes on that cycle.
pub fn valid_graph(seed: u64) -> (Value, Option<(Value, Vec<String>)>) {
    let mut rng = Rng(SplitMix64::new(seed));
    let mut nodes: Vec<Value> = Vec::new();
    let mut edges: Vec<Value> = Vec::new();
    let mut pool: Vec<(String, &'static str, PortType)> = Vec::new();
    for kind in [
        "source.close",
        "source.open",
        "source.high",
        "source.low",
        "source.volume",
    ] {
        let id = kind.trim_start_matches("source.").to_string();
        nodes.push(json!({"id": id, "kind": kind}));
        pool.push((id, "out", PortType::Number));
    }
    let inner: Vec<&NodeSpec> = catalog()
        .iter()
        .filter(|s| {
            !s.is_sink()
                && !matches!(
                    s.kind,
                    "source.open" | "source.high" | "source.low" | "source.close" | "source.volume"
                )
        })
        .collect();
    let count = 2 + rng.below(14);
    let mut made: Vec<String> = Vec::new();
    for i in 0..count {
        let Some(spec) = rng.pick(&inner).copied() else {
            continue;
        };
        let id = format!("n{i}");
        let mut wires = Vec::new();
        let mut ok = true;
        for input in &spec.inputs {
            let choices: Vec<_> = pool
                .iter()
                .filter(|(_, _, t)| t.feeds(input.ty))
                .cloned()
                .collect();
            match rng.pick(&choices) {
                Some((from, port, _)) => wires.push(
                    json!({"from": from, "from_port": port, "to": id, "to_port": input.name}),
                ),
                None => ok = false,
            }
        }
        if !ok {
            continue;
        }
        nodes.push(json!({"id": id, "kind": spec.kind, "params": params_of(&mut rng, spec)}));
        edges.extend(wires);
        for out in &spec.outputs {
            pool.push((id.clone(), out.name, out.ty));
        }
        made.push(id);
    }
    // Turn every made node's first output into a boolean and OR them all into the entry.
    let mut bools: Vec<(String, String)> = Vec::new();
    for id in &made {
        let Some((_, port, ty)) = pool.iter().find(|(n, _, _)| n == id).cloned() else {
            continue;
        };
        if ty == PortType::Bool {
            bools.push((id.clone(), port.to_string()));
        } else {
            let cmp = format!("{id}_gt");
            nodes.push(json!({"id": cmp, "kind": "compare.gt"}));
            edges.push(json!({"from": id, "from_port": port, "to": cmp, "to_port": "a"}));
            edges.push(json!({"from": "close", "from_port": "out", "to": cmp, "to_port": "b"}));
            bools.push((cmp, "out".into()));
        }
    }
    if bools.is_empty() {
        nodes.push(json!({"id": "base_gt", "kind": "compare.gt"}));
        edges.push(json!({"from": "close", "from_port": "out", "to": "base_gt", "to_port": "a"}));
        edges.push(json!({"from": "open", "from_port": "out", "to": "base_gt", "to_port": "b"}));
        bools.push(("base_gt".into(), "out".into()));
    }
    let mut chain: Vec<String> = Vec::new();
    let mut signal = bools[0].clone();
    for (k, b) in bools.iter().enumerate().skip(1) {
        let or = format!("or{k}");
        nodes.push(json!({"id": or, "kind": "logic.or"}));
        edges.push(json!({"from": signal.0, "from_port": signal.1, "to": or, "to_port": "a"}));
        edges.push(json!({"from": b.0, "from_port": b.1, "to": or, "to_port": "b"}));
        chain.push(or.clone());
        signal = (or, "out".into());
    }
    let entry = if rng.chance(0.7) {
        "order.enter_long"
    } else {
        "order.enter_short"
    };
    nodes.push(json!({"id": "entry", "kind": entry, "params": {"size": param_value(&mut rng, ParamType::Size, None, None)}}));
    edges.push(json!({"from": signal.0, "from_port": signal.1, "to": "entry", "to_port": "when"}));
    let all_bools: Vec<_> = pool
        .iter()
        .filter(|(_, _, t)| *t == PortType::Bool)
        .cloned()
        .collect();
    for (k, sink) in [
        "order.exit_long",
        "order.enter_short",
        "order.exit_short",
        "order.enter_long",
    ]
    .iter()
    .enumerate()
    {
        if rng.chance(0.5) {
            if let Some((from, port, _)) = rng.pick(&all_bools).cloned() {
                let id = format!("sink{k}");
                let params = if sink.contains("enter") {
                    json!({"size": {"equity_fraction": 0.5}})
                } else {
                    json!({})
                };
                nodes.push(json!({"id": id, "kind": sink, "params": params}));
                edges.push(json!({"from": from, "from_port": port, "to": id, "to_port": "when"}));
            }
        }
    }
    for (k, risk) in ["risk.stop_loss", "risk.take_profit", "risk.trailing_stop"]
        .iter()
        .enumerate()
    {
        if rng.chance(0.3) {
            let side = ["both", "long", "short"][rng.below(3)];
            nodes.push(json!({"id": format!("risk{k}"), "kind": risk, "params": {"pct": 1.0 + 9.0 * rng.0.next_f64(), "side": side}}));
        }
    }
    // Sources nobody reads would be reported as unused: drop them.
    let used: std::collections::HashSet<String> = edges
        .iter()
        .filter_map(|e| e["from"].as_str().map(str::to_string))
        .collect();
    nodes.retain(|n| {
        let id = n["id"].as_str().unwrap_or_default();
        let is_source =
            n["kind"].as_str().is_some_and(|k| k.starts_with("source.")) && !id.starts_with('n');
        !is_source || used.contains(id)
    });
    let back = if chain.len() >= 2 {
        let last = chain[chain.len() - 1].clone();
        Some((
            json!({"from": last, "from_port": "out", "to": chain[0], "to_port": "a"}),
            chain.clone(),
        ))
    } else {
        None
    };
    let doc = json!({
        "schema": 1,
        "nodes": nodes,
        "edges": edges,
        "parameters": declarations(),
        "settings": {"initial_cash": 10000, "commission": 0.001, "slippage_bps": 2, "fractional": rng.chance(0.3)}
    });
    (doc, back)
}

/// A random, usually invalid graph: real and bogus kinds, ports, params and edges.
pub fn random_graph(seed: u64) -> Value {
    let mut rng = Rng(SplitMix64::new(seed));
    let specs = catalog();
    let n = 1 + rng.below(10);
    let mut nodes = Vec::new();
    let mut kinds: Vec<Option<&NodeSpec>> = Vec::new();
    for i in 0..n {
        let spec = if rng.chance(0.9) {
            rng.pick(specs)
        } else {
            None
        };
        let kind = spec.map_or("bogus.kind", |s| s.kind);
        let params = match spec {
            Some(s) if rng.chance(0.8) => params_of(&mut rng, s),
            _ => json!({"period": "x", "size": {"units": -1}, "pct": {"$param": "zz"}}),
        };
        let id = if rng.chance(0.05) {
            "dup".to_string()
        } else {
            format!("n{i}")
        };
        nodes.push(json!({"id": id, "kind": kind, "params": params}));
        kinds.push(spec);
    }
    let mut edges = Vec::new();
    for _ in 0..rng.below(3 * n + 1) {
        let (a, b) = (rng.below(n), rng.below(n));
        let out = kinds[a]
            .and_then(|s| rng.pick(&s.outputs))
            .map_or("out", |p| p.name);
        let inp = kinds[b]
            .and_then(|s| rng.pick(&s.inputs))
            .map_or("in", |p| p.name);
        let to = if rng.chance(0.05) {
            "ghost".to_string()
        } else {
            nodes[b]["id"].as_str().unwrap_or("").to_string()
        };
        edges.push(json!({"from": nodes[a]["id"], "from_port": out, "to": to, "to_port": inp}));
    }
    json!({"schema": 1, "nodes": nodes, "edges": edges, "parameters": declarations(), "settings": {}})
}
