//! The paper broker trades exactly like the batch backtest: over the same bars, with the state
//! saved and restored at a random bar, its fills rebuild the backtest's trade list and its
//! equity matches bit for bit; the replay feed delivers exactly the dataset's bars.

use std::collections::BTreeMap;

use proptest::prelude::*;
use stratagraph_engine::backtest::{backtest, Side};
use stratagraph_engine::compile::compile_json;
use stratagraph_engine::paper::{Feed, Fill, FillAction, PaperSession, ReplayClock, ReplayFeed};
use stratagraph_engine::stream::StreamState;
use stratagraph_engine::synth::{random_walk, SynthConfig};

use crate::gen::valid_graph;

/// Pairs entry and exit fills into (side, entry bar, exit bar, entry price, exit price, units).
fn round_trips(fills: &[Fill]) -> Vec<(Side, usize, usize, u64, u64, u64)> {
    let mut out = Vec::new();
    let mut open: Option<&Fill> = None;
    for f in fills {
        match f.action {
            FillAction::Entry => open = Some(f),
            FillAction::Exit => {
                let e = open.take().expect("an exit follows an entry");
                assert_eq!(e.side, f.side);
                assert_eq!(e.units.to_bits(), f.units.to_bits());
                out.push((
                    f.side,
                    e.bar,
                    f.bar,
                    e.price.to_bits(),
                    f.price.to_bits(),
                    f.units.to_bits(),
                ));
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn paper_fills_equal_backtest_trades(seed in any::<u64>(), kill in 0usize..300) {
        let (doc, _) = valid_graph(seed);
        let plan = compile_json(&doc, &BTreeMap::new()).unwrap();
        let bars = random_walk(&SynthConfig { seed, bars: 300, ..Default::default() }).unwrap();
        let batch = backtest(&plan, &bars);

        // The replay feed at a high speed delivers every bar, in pages.
        let clock = ReplayClock { wall_start: 0, sim_start: bars.time()[0], speed: 1e6 };
        let mut feed = ReplayFeed::new(bars.clone(), clock);
        let mut session = PaperSession::new(&plan);
        let (mut fills, mut equity, mut after) = (Vec::new(), Vec::new(), None);
        let mut now = 0;
        while equity.len() < bars.len() {
            now += 1_000;
            for bar in feed.closed_bars(after, now).unwrap() {
                if equity.len() == kill {
                    // A restart: only the serialised state survives.
                    let json = serde_json::to_string(session.state()).unwrap();
                    let state: StreamState = serde_json::from_str(&json).unwrap();
                    session = PaperSession::resume(&plan, state).unwrap();
                }
                let step = session.push(&bar).unwrap();
                fills.extend(step.fills);
                equity.push(step.out.equity.to_bits());
                after = Some(bar.time);
            }
        }
        let expected: Vec<_> = batch
            .trades
            .iter()
            .map(|t| (t.side, t.entry_bar, t.exit_bar, t.entry_price.to_bits(),
                      t.exit_price.to_bits(), t.size.to_bits()))
            .collect();
        let closed = round_trips(&fills);
        prop_assert_eq!(&closed, &expected);
        let batch_equity: Vec<u64> = batch.equity.iter().map(|e| e.to_bits()).collect();
        prop_assert_eq!(batch_equity, equity);
        // A position still open at the end is the backtest's open trade.
        let last_entry = fills.iter().rposition(|f| f.action == FillAction::Entry);
        let dangling = last_entry.filter(|&i| !fills[i + 1..].iter().any(|f| f.action == FillAction::Exit));
        prop_assert_eq!(dangling.is_some(), batch.open_trade.is_some());
    }
}
