//! No look-ahead: cutting the data after bar t never changes a signal, trade or equity value
//! at or before t.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::Value;
use stratagraph_engine::backtest::{backtest, BacktestResult};
use stratagraph_engine::compile::{compile_json, Plan};
use stratagraph_engine::synth::{random_walk, SynthConfig};
use stratagraph_engine::Bars;

use crate::gen::valid_graph;

fn examples() -> Vec<Value> {
    crate::gen::EXAMPLES
        .iter()
        .map(|name| {
            let p = format!("{}/../../examples/{name}.json", env!("CARGO_MANIFEST_DIR"));
            serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
        })
        .collect()
}

fn assert_prefix_equal(
    full: &BacktestResult,
    cut: &BacktestResult,
    t: usize,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        &full.signals[..=t],
        &cut.signals[..=t],
        "signals differ up to {}",
        t
    );
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    prop_assert_eq!(
        bits(&full.equity[..=t]),
        bits(&cut.equity[..=t]),
        "equity differs up to {}",
        t
    );
    let closed: Vec<_> = full.trades.iter().filter(|tr| tr.exit_bar <= t).collect();
    prop_assert_eq!(closed.len(), cut.trades.len(), "closed trades up to {}", t);
    for (a, b) in closed.iter().zip(&cut.trades) {
        prop_assert_eq!(*a, b);
    }
    Ok(())
}

fn check(plan: &Plan, bars: &Bars, t: usize) -> Result<(), TestCaseError> {
    let full = backtest(plan, bars);
    let cut = backtest(plan, &bars.truncated(t + 1));
    assert_prefix_equal(&full, &cut, t)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn examples_do_not_look_ahead(seed in 0u64..1000, which in 0usize..crate::gen::EXAMPLES.len(), cut in 0usize..600) {
        let bars = random_walk(&SynthConfig { seed, bars: 600, ..Default::default() }).unwrap();
        let plan = compile_json(&examples()[which], &BTreeMap::new()).unwrap();
        check(&plan, &bars, cut)?;
    }

    #[test]
    fn random_graphs_do_not_look_ahead(seed in any::<u64>(), cut in 0usize..300) {
        let (doc, _) = valid_graph(seed);
        let bars = random_walk(&SynthConfig { seed, bars: 300, ..Default::default() }).unwrap();
        let plan = compile_json(&doc, &BTreeMap::new()).unwrap();
        check(&plan, &bars, cut)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 120, ..ProptestConfig::default() })]

    /// Any kind of the catalog (higher timeframes, time filters and position state included),
    /// in any of its parameter variants, on any hourly data, cut after any bar.
    #[test]
    fn every_kind_does_not_look_ahead(pick in any::<usize>(), seed in 0u64..1000, cut in 0usize..500) {
        use stratagraph_engine::catalog::{catalog, ParamType};
        let kinds: Vec<_> = catalog()
            .iter()
            .filter(|s| !s.is_sink() && !s.params.iter().any(|p| p.ty == ParamType::ParamName))
            .collect();
        let spec = kinds[pick % kinds.len()];
        let variants = crate::every_kind::variants(spec);
        let params = &variants[(pick / kinds.len()) % variants.len()];
        let plan = compile_json(&crate::every_kind::graph_for(spec, params), &BTreeMap::new()).unwrap();
        let bars = crate::every_kind::hourly_bars(seed, 500);
        crate::every_kind::check_cuts_at(spec.kind, &plan, &bars, &[cut.min(498)]);
    }
}
