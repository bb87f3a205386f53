//! Paper equals backtest on the same bars, over random graphs and random kill points: steps
//! are cut off at random moments (a dropped future rolls back its transaction, as a killed
//! process would), the driver is thrown away and a new one resumes from the database. Every
//! bar is processed exactly once and the fills equal the backtest's trades.

use std::time::Duration;

use proptest::prelude::*;
use stratagraph_engine::backtest::backtest;
use stratagraph_engine::synth::SplitMix64;
use stratagraph_paper::{build_plan, reconcile, RunDriver};

use crate::common::{config, minute_bars, Env};
use crate::gen::valid_graph;

async fn case(seed: u64) -> Result<(), TestCaseError> {
    let (doc, _) = valid_graph(seed);
    let env = Env::new(&doc).await;
    let bars = minute_bars(seed, 150);
    let run = env.start(&env.replay(&bars, 60.0)).await;
    let cfg = config("prop");
    let mut store = env.store.clone();
    let mut rng = SplitMix64::new(seed ^ 0x5eed);
    let mut driver = Some(RunDriver::open(&store, run.id, &cfg).await.unwrap());
    let mut kills = 0;
    for _ in 0..2_000 {
        let done = store.paper_run(run.id).await.unwrap().bars_processed;
        if done == 150 {
            break;
        }
        if rng.next_u64() % 3 == 0 {
            env.advance_ms(1_000 + (rng.next_u64() % 20_000) as i64);
        }
        let d = match driver.as_mut() {
            Some(d) => d,
            None => driver.insert(RunDriver::open(&store, run.id, &cfg).await.unwrap()),
        };
        if rng.next_u64() % 4 == 0 {
            // Cut the step off somewhere inside: feed poll, engine, or the bar's transaction.
            let limit = Duration::from_micros(rng.next_u64() % 4_000);
            if tokio::time::timeout(limit, d.step()).await.is_err() {
                // The process dies: its connections go (rolling back what was open).
                kills += 1;
                driver = None;
                store.close().await;
                store = env.reopen().await;
            }
        } else {
            d.step().await.unwrap();
        }
    }
    let env_store = store;
    let after = env_store.paper_run(run.id).await.unwrap();
    prop_assert_eq!(after.bars_processed, 150, "kills: {}", kills);
    let seen = env_store.paper_bars(run.id, 0, None).await.unwrap();
    prop_assert_eq!(seen.len(), 150);
    prop_assert!(seen
        .iter()
        .enumerate()
        .all(|(i, b)| b.seq == i as i64 && b.time == bars.time()[i]));
    let fills = env_store.paper_fills(run.id).await.unwrap();
    prop_assert!(
        fills.iter().enumerate().all(|(i, f)| f.seq == i as i64),
        "no fill lost or repeated"
    );
    let version = env_store.get_version(env.version).await.unwrap();
    let plan = build_plan(&version.graph_json, &after).unwrap();
    let bt = backtest(&plan, &bars);
    let entries = fills.iter().filter(|f| f.action == "entry").count();
    let exits = fills.iter().filter(|f| f.action == "exit").count();
    prop_assert_eq!(exits, bt.trades.len());
    prop_assert_eq!(
        entries,
        bt.trades.len() + usize::from(bt.open_trade.is_some())
    );
    let rec = reconcile(&env_store, run.id, None).await.unwrap();
    prop_assert!(rec.seen.identical, "{:?}", rec.seen.first_difference);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn paper_equals_backtest_across_random_kills(seed in any::<u64>()) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(case(seed))?;
    }
}
