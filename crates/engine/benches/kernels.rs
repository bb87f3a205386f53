//! Library nodes over 1,000,000 synthetic minute bars: each indicator, pattern, time and
//! higher-timeframe kind alone (best of 3, one core), then the four library example strategies
//! as whole backtests (the position-state one runs bar by bar with the account). Prints times;
//! run with `cargo bench -p stratagraph-engine --bench kernels`.

use std::collections::BTreeMap;
use std::time::Instant;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use stratagraph_engine::backtest::backtest;
use stratagraph_engine::catalog::PortType;
use stratagraph_engine::compile::{compile_json, Op};
use stratagraph_engine::kernels::run_kernel;
use stratagraph_engine::synth::{random_walk, SynthConfig};

fn main() {
    let n = 1_000_000usize;
    let bars = match random_walk(&SynthConfig {
        seed: 7,
        bars: n,
        step_ms: 60_000,
        ..Default::default()
    }) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let close = bars.close().to_vec();
    let volume = bars.volume().to_vec();
    let mut total = 0.0;
    for spec in stratagraph_engine::catalog::catalog() {
        let (Some(first), false) = (spec.outputs.first(), spec.is_sink()) else {
            continue;
        };
        let mut nodes = vec![
            serde_json::json!({"id": "x", "kind": spec.kind}),
            serde_json::json!({"id": "buy", "kind": "order.enter_long"}),
        ];
        if !spec.inputs.is_empty() {
            nodes.push(serde_json::json!({"id": "close", "kind": "source.close"}));
        }
        let mut edges: Vec<serde_json::Value> = spec
            .inputs
            .iter()
            .map(|i| serde_json::json!({"from": "close", "from_port": "out", "to": "x", "to_port": i.name}))
            .collect();
        if first.ty == PortType::Bool {
            edges.push(serde_json::json!({"from": "x", "from_port": first.name, "to": "buy", "to_port": "when"}));
        } else {
            nodes.push(serde_json::json!({"id": "up", "kind": "signal.rising"}));
            edges.push(serde_json::json!({"from": "x", "from_port": first.name, "to": "up", "to_port": "in"}));
            edges.push(serde_json::json!({"from": "up", "from_port": "out", "to": "buy", "to_port": "when"}));
        }
        let doc = serde_json::json!({"schema": 1, "nodes": nodes, "edges": edges, "parameters": [], "settings": {}});
        // The kernel the compiler makes of the kind with its default params.
        let Some(kernel) = compile_json(&doc, &BTreeMap::new()).ok().and_then(|plan| {
            plan.steps.into_iter().find_map(|s| match s.op {
                Op::Kernel(k, _) => Some(k),
                _ => None,
            })
        }) else {
            continue;
        };
        if spec.inputs.iter().any(|i| i.ty != PortType::Number) {
            continue;
        }
        let inputs: Vec<&[f64]> = match spec.inputs.len() {
            0 => vec![],
            1 => vec![&close],
            _ => vec![&close, &volume],
        };
        let mut best = f64::INFINITY;
        for _ in 0..3 {
            let t = Instant::now();
            let out = run_kernel(&kernel, &inputs, &bars);
            best = best.min(t.elapsed().as_secs_f64());
            std::hint::black_box(out);
        }
        total += best;
        println!("{:<28} {n} bars in {:>7.2} ms", spec.kind, best * 1e3);
    }
    println!("all library kernels: {:.0} ms", total * 1e3);
    for name in [
        "supertrend_adx_weekly",
        "willr_position_exits",
        "engulfing_cloud_sar",
        "keltner_kama_mfi_stop",
    ] {
        let path = format!("{}/../../examples/{name}.json", env!("CARGO_MANIFEST_DIR"));
        let doc = match std::fs::read_to_string(&path).map(|t| serde_json::from_str(&t)) {
            Ok(Ok(doc)) => doc,
            other => {
                eprintln!("cannot read {path}: {other:?}");
                std::process::exit(1);
            }
        };
        let plan = match compile_json(&doc, &BTreeMap::new()) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        };
        let mut best = f64::INFINITY;
        let mut trades = 0;
        for _ in 0..3 {
            let t = Instant::now();
            let r = backtest(&plan, &bars);
            best = best.min(t.elapsed().as_secs_f64());
            trades = r.trades.len();
        }
        println!(
            "backtest {name}: {n} bars in {:.0} ms (best of 3), {:.1} M bars/s, {trades} trades",
            best * 1e3,
            n as f64 / best / 1e6
        );
    }
}
