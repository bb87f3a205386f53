//! Streaming execution equals batch execution: same signals, trades and equity, bit for bit,
//! for every example and for random valid graphs, including across a save/restore of the state.
//! A batch run without its curve has the same metrics, trades and hash, and the daily returns
//! of the curve it did not keep.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::Value;
use std::sync::atomic::AtomicBool;

use stratagraph_engine::backtest::{backtest, run_without_curve, Trade};
use stratagraph_engine::compile::{compile_json, Plan};
use stratagraph_engine::robust::returns::{daily_returns, day_ends};
use stratagraph_engine::stream::{Bar, Stream, StreamState};
use stratagraph_engine::synth::{random_walk, SynthConfig};
use stratagraph_engine::Bars;

use crate::gen::valid_graph;

fn bar(b: &Bars, i: usize) -> Bar {
    Bar {
        time: b.time()[i],
        open: b.open()[i],
        high: b.high()[i],
        low: b.low()[i],
        close: b.close()[i],
        volume: b.volume()[i],
    }
}

/// Streams `bars` through `plan`, saving and restoring the state as JSON at `restore_at`.
fn stream(plan: &Plan, bars: &Bars, restore_at: usize) -> (Vec<u8>, Vec<Trade>, Vec<f64>) {
    let mut s = Stream::new(plan);
    let (mut signals, mut trades, mut equity) = (vec![], vec![], vec![]);
    for i in 0..bars.len() {
        if i == restore_at {
            let json = serde_json::to_string(s.state()).unwrap();
            let state: StreamState = serde_json::from_str(&json).unwrap();
            assert_eq!(&state, s.state());
            s = Stream::resume(plan, state).unwrap();
        }
        let out = s.push(&bar(bars, i)).unwrap();
        signals.push(out.signals);
        trades.extend(out.closed);
        equity.push(out.equity);
    }
    (signals, trades, equity)
}

fn assert_same(plan: &Plan, bars: &Bars, restore_at: usize) -> Result<(), TestCaseError> {
    let batch = backtest(plan, bars);
    let (signals, trades, equity) = stream(plan, bars, restore_at);
    prop_assert_eq!(&batch.signals, &signals);
    prop_assert_eq!(&batch.trades, &trades);
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    prop_assert_eq!(bits(&batch.equity), bits(&equity));
    let (lean, rets) = run_without_curve(plan, bars, &AtomicBool::new(false), &mut |_| {})
        .map_err(|_| TestCaseError::fail("cancelled"))?;
    prop_assert!(lean.equity.is_empty());
    prop_assert_eq!(&lean.signals, &batch.signals);
    prop_assert_eq!(&lean.trades, &batch.trades);
    prop_assert_eq!(&lean.open_trade, &batch.open_trade);
    prop_assert_eq!(&lean.hash, &batch.hash);
    // Metrics that are NaN compare by their JSON (null), the rest exactly.
    prop_assert_eq!(
        serde_json::to_string(&lean.metrics).unwrap(),
        serde_json::to_string(&batch.metrics).unwrap()
    );
    let want = daily_returns(&batch.equity, &day_ends(bars.time()));
    prop_assert_eq!(bits(&rets), bits(&want));
    Ok(())
}

fn example(name: &str) -> Value {
    let p = format!("{}/../../examples/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn examples_stream_exactly_like_batch() {
    let bars = random_walk(&SynthConfig {
        seed: 42,
        bars: 2520,
        ..Default::default()
    })
    .unwrap();
    for name in crate::gen::EXAMPLES {
        for params in [
            BTreeMap::new(),
            BTreeMap::from([("stop_pct".to_string(), 1.0)]),
        ] {
            let Ok(plan) = compile_json(&example(name), &params) else {
                continue;
            };
            assert_same(&plan, &bars, 1234).unwrap();
            let batch = backtest(&plan, &bars);
            assert!(!batch.trades.is_empty(), "{name} made no trades");
        }
    }
}

#[test]
fn a_bad_bar_is_refused_and_changes_nothing() {
    let plan = compile_json(&example("sma_crossover"), &BTreeMap::new()).unwrap();
    let bars = random_walk(&SynthConfig {
        seed: 1,
        bars: 50,
        ..Default::default()
    })
    .unwrap();
    let mut s = Stream::new(&plan);
    for i in 0..30 {
        s.push(&bar(&bars, i)).unwrap();
    }
    let before = s.state().clone();
    let mut stale = bar(&bars, 29);
    assert!(s.push(&stale).is_err(), "a repeated time must be refused");
    stale = bar(&bars, 30);
    stale.high = stale.low / 2.0;
    assert!(s.push(&stale).is_err());
    assert_eq!(&before, s.state());
    let other = compile_json(
        &example("sma_crossover"),
        &BTreeMap::from([("fast".to_string(), 5.0)]),
    )
    .unwrap();
    assert!(Stream::resume(&other, before).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 250, ..ProptestConfig::default() })]

    #[test]
    fn random_graphs_stream_exactly_like_batch(seed in any::<u64>(), restore in 0usize..400) {
        let (doc, _) = valid_graph(seed);
        let plan = compile_json(&doc, &BTreeMap::new()).unwrap();
        let bars = random_walk(&SynthConfig { seed, bars: 400, ..Default::default() }).unwrap();
        assert_same(&plan, &bars, restore)?;
    }
}
