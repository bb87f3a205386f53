//! Sharded sweeps: for random grids (random draws and constraints included) and random N, the
//! shards are disjoint, cover the sweep, are balanced, and their rows joined are the whole
//! sweep's rows bit for bit (PBO moments included), whatever the thread count of each shard.

use std::collections::BTreeSet;
use std::sync::atomic::AtomicBool;

use proptest::prelude::*;
use stratagraph_engine::graph::Graph;
use stratagraph_engine::shard::{self, Shard};
use stratagraph_engine::sweep::{self, parse_axis, parse_constraint, Row, SweepConfig, SweepSpec};
use stratagraph_engine::synth::{random_walk, SynthConfig};
use stratagraph_engine::Bars;

fn example(name: &str) -> Graph {
    let p = format!("{}/../../examples/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn bars(n: usize) -> Bars {
    random_walk(&SynthConfig {
        seed: 7,
        bars: n,
        ..Default::default()
    })
    .unwrap()
}

fn config(threads: usize) -> SweepConfig {
    SweepConfig {
        threads,
        pbo_blocks: 4,
        ..Default::default()
    }
}

/// Bitwise equality of rows (f64 `==` would call -0.0 and 0.0 equal and NaN unequal).
fn bits(rows: &[Row]) -> Vec<String> {
    rows.iter()
        .map(|r| {
            let blocks: Vec<[u64; 3]> = r
                .blocks
                .iter()
                .map(|m| [m.n.to_bits(), m.sum.to_bits(), m.sum_sq.to_bits()])
                .collect();
            format!("{} {:?} {:?} {blocks:?}", r.index, r.params, r.metrics)
        })
        .collect()
}

fn whole_vs_shards(graph: &Graph, data: &Bars, spec: &SweepSpec, n: usize, threads: usize) {
    let never = AtomicBool::new(false);
    let whole = sweep::run(graph, data, spec, &config(2), &never, &|_| {}).unwrap();
    let plan = shard::plan(graph, spec, n).unwrap();
    assert_eq!(plan.total, whole.total);
    assert_eq!(plan.parts.len(), n);
    let mut joined = Vec::new();
    let mut seen = BTreeSet::new();
    // Shards finish in any order: run them backwards.
    for k in (0..n).rev() {
        let (p, r) = shard::run(
            graph,
            data,
            spec,
            Shard { k, n },
            &config(threads),
            &never,
            &|_| {},
        )
        .unwrap();
        assert_eq!(p, plan, "every shard computes the same split");
        assert_eq!(
            r.rows.iter().map(|r| r.index).collect::<Vec<_>>(),
            plan.parts[k]
        );
        for row in &r.rows {
            assert!(seen.insert(row.index), "row {} in two shards", row.index);
        }
        joined.extend(r.rows);
    }
    joined.sort_by_key(|r| r.index);
    assert_eq!(bits(&joined), bits(&whole.rows));
    let (a, b) = (sweep::pbo(&joined, 1), sweep::pbo(&whole.rows, 1));
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
}

#[test]
fn shards_of_a_grid_join_to_the_whole_sweep() {
    let g = example("sma_crossover.json");
    let spec = SweepSpec {
        axes: vec![
            parse_axis("fast=2:20:3").unwrap(),
            parse_axis("slow=10:60:10").unwrap(),
        ],
        random: None,
        constraints: vec![parse_constraint("fast<slow").unwrap()],
    };
    whole_vs_shards(&g, &bars(400), &spec, 4, 1);
}

#[test]
fn shards_are_balanced_and_keep_cache_groups_together() {
    let g = example("sma_crossover.json");
    let spec = SweepSpec {
        axes: vec![
            parse_axis("fast=2:41:1").unwrap(),
            parse_axis("slow=50:250:10").unwrap(),
        ],
        random: None,
        constraints: vec![],
    };
    let plan = shard::plan(&g, &spec, 4).unwrap();
    let (min, max) = (
        *plan.costs.iter().min().unwrap(),
        *plan.costs.iter().max().unwrap(),
    );
    assert!(max - min <= max / 20, "costs within 5%: {:?}", plan.costs);
    // The slow axis has the fewer values (21 < 40): its SMAs are shared, and each value of
    // the fast axis (the slowest-varying one) sits whole in one shard but for the cut points.
    let mut split = 0;
    for fast in 0..40 {
        let owners: BTreeSet<usize> = (0..4)
            .filter(|&k| plan.parts[k].iter().any(|&i| i / 21 == fast))
            .collect();
        if owners.len() > 1 {
            split += 1;
        }
    }
    assert!(split <= 3, "{split} groups split between shards");
}

#[test]
fn more_shards_than_combinations_leaves_some_empty() {
    let g = example("sma_crossover.json");
    let spec = SweepSpec {
        axes: vec![parse_axis("fast=5,10").unwrap()],
        random: None,
        constraints: vec![],
    };
    whole_vs_shards(&g, &bars(300), &spec, 5, 0);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn merge_of_random_shards_is_the_whole_sweep(
        which in 0usize..3,
        a in 2u32..30, a_len in 1u32..6, a_step in 1u32..7,
        b in 3u32..60, b_len in 1u32..6, b_step in 1u32..13,
        random in proptest::option::of((1usize..30, 0u64..1000)),
        constrain in any::<bool>(),
        n in 1usize..9,
        threads in 0usize..3,
    ) {
        let (graph, pa, pb) = match which {
            0 => ("sma_crossover.json", "fast", "slow"),
            1 => ("rsi_mean_reversion.json", "period", "upper"),
            _ => ("bollinger_breakout_long_short.json", "period", "k"),
        };
        let g = example(graph);
        let b_axis = if which == 0 {
            format!("{pb}={}:{}:{b_step}", b, b + b_step * (b_len - 1))
        } else if which == 1 {
            format!("{pb}={}:{}:{b_step}", 50 + b % 40, 50 + b % 40 + b_step * (b_len - 1))
        } else {
            format!("{pb}={}:{}:0.5", 0.5, 0.5 + 0.5 * f64::from(b_len - 1))
        };
        let a_axis = format!("{pa}={}:{}:{a_step}", a + 3, a + 3 + a_step * (a_len - 1));
        let spec = SweepSpec {
            axes: vec![parse_axis(&a_axis).unwrap(), parse_axis(&b_axis).unwrap()],
            random,
            constraints: if constrain && which == 0 {
                vec![parse_constraint("fast<slow").unwrap()]
            } else {
                vec![]
            },
        };
        // Constraints may leave nothing: then neither the sweep nor its shards start.
        if sweep::combinations(&g, &spec).is_err() {
            prop_assert!(shard::plan(&g, &spec, n).is_err());
            return Ok(());
        }
        whole_vs_shards(&g, &bars(260), &spec, n, threads);
    }
}
