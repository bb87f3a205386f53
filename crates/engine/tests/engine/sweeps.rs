//! Sweeps: spec errors before work, rows equal to single backtests, shared nodes computed
//! once, determinism across thread counts, bounded cache, cancellation keeping finished rows.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use stratagraph_engine::backtest::backtest;
use stratagraph_engine::compile::compile;
use stratagraph_engine::graph::Graph;
use stratagraph_engine::sweep::{
    combinations, parse_axis, parse_constraint, run, sort_rows, SweepConfig, SweepError,
    SweepResult, SweepSpec,
};
use stratagraph_engine::synth::{random_walk, SynthConfig};
use stratagraph_engine::Bars;

fn sma_graph() -> Graph {
    let p = format!(
        "{}/../../examples/sma_crossover.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn spec(axes: &[&str], wheres: &[&str]) -> SweepSpec {
    SweepSpec {
        axes: axes.iter().map(|a| parse_axis(a).unwrap()).collect(),
        random: None,
        constraints: wheres
            .iter()
            .map(|w| parse_constraint(w).unwrap())
            .collect(),
    }
}

fn sweep(g: &Graph, bars: &Bars, s: &SweepSpec, threads: usize, cache_bytes: usize) -> SweepResult {
    let never = AtomicBool::new(false);
    run(
        g,
        bars,
        s,
        &SweepConfig {
            threads,
            cache_bytes,
            pbo_blocks: 0,
        },
        &never,
        &|_| {},
    )
    .unwrap()
}

#[test]
fn bad_specs_fail_before_any_work() {
    let g = sma_graph();
    let err = |axes: &[&str]| -> String {
        let axes: Result<Vec<_>, _> = axes.iter().map(|a| parse_axis(a)).collect();
        match axes {
            Err(e) => e.to_string(),
            Ok(axes) => combinations(
                &g,
                &SweepSpec {
                    axes,
                    ..Default::default()
                },
            )
            .unwrap_err()
            .to_string(),
        }
    };
    assert!(err(&["nope=1:5:1"]).contains("unknown parameter \"nope\""));
    assert!(err(&["fast=10:5:1"]).contains("reversed"));
    assert!(err(&["fast=5:10:0"]).contains("zero"));
    assert!(err(&["fast=5:x:1"]).contains("not a number"));
    assert!(err(&["fast=1:10:1"]).contains("outside"));
    assert!(err(&["fast=2.5,3"]).contains("whole number"));
    assert!(matches!(
        parse_constraint("fast"),
        Err(SweepError::BadConstraint { .. })
    ));
    let s = spec(&["fast=30:40:5", "slow=10:20:5"], &["fast<slow"]);
    assert_eq!(combinations(&g, &s), Err(SweepError::Empty));
    let bad_where = SweepSpec {
        constraints: vec![parse_constraint("fast<nope").unwrap()],
        ..spec(&["fast=5:6:1"], &[])
    };
    assert!(combinations(&g, &bad_where)
        .unwrap_err()
        .to_string()
        .contains("nope"));
}

#[test]
fn grid_order_constraints_and_random_draws() {
    let g = sma_graph();
    let c = combinations(&g, &spec(&["fast=5:15:5", "slow=10:30:10"], &["fast<slow"])).unwrap();
    let pairs: Vec<(f64, f64)> = c.iter().map(|p| (p["fast"], p["slow"])).collect();
    assert_eq!(
        pairs,
        vec![
            (5.0, 10.0),
            (5.0, 20.0),
            (5.0, 30.0),
            (10.0, 20.0),
            (10.0, 30.0),
            (15.0, 20.0),
            (15.0, 30.0)
        ]
    );
    let r = SweepSpec {
        random: Some((50, 7)),
        ..spec(&["fast=2:100:1", "slow=3:400:1"], &["fast<slow"])
    };
    let a = combinations(&g, &r).unwrap();
    assert_eq!(a.len(), 50);
    assert_eq!(a, combinations(&g, &r).unwrap(), "same seed, same draw");
    assert!(a.iter().all(|p| p["fast"] < p["slow"]));
}

#[test]
fn rows_equal_single_backtests_and_shared_nodes_run_once() {
    let g = sma_graph();
    let bars = random_walk(&SynthConfig {
        seed: 3,
        bars: 3000,
        ..Default::default()
    })
    .unwrap();
    let s = spec(&["fast=5:50:5", "slow=20:200:20"], &[]);
    let r = sweep(&g, &bars, &s, 2, 1 << 30);
    assert_eq!((r.rows.len(), r.total, r.cancelled), (100, 100, false));
    for row in &r.rows {
        let single = backtest(&compile(&g, &row.params).unwrap(), &bars);
        assert_eq!(
            serde_json::to_string(&row.metrics).unwrap(),
            serde_json::to_string(&single.metrics).unwrap()
        );
    }
    // SMA(5..50 by 5) and SMA(20..200 by 20): 20 averages on the axes, 18 distinct instances
    // (SMA(20) and SMA(40) are on both axes), each computed exactly once.
    assert_eq!(r.cache.shared_nodes, 18);
    assert_eq!(r.cache.shared_computations, r.cache.shared_nodes);
    assert_eq!(r.cache.recomputed, 0);
    // Crosses are per combination: two each.
    assert_eq!(r.cache.unshared_computations, 200);
}

#[test]
fn identical_rows_whatever_the_thread_count_or_cache_size() {
    let g = sma_graph();
    let bars = random_walk(&SynthConfig {
        seed: 11,
        bars: 2000,
        ..Default::default()
    })
    .unwrap();
    let s = SweepSpec {
        random: Some((60, 3)),
        ..spec(&["fast=2:60:1", "slow=10:300:1"], &["fast<slow"])
    };
    let text = |r: &SweepResult| serde_json::to_string(&r.rows).unwrap();
    let one = sweep(&g, &bars, &s, 1, 1 << 30);
    let tiny_cache = sweep(&g, &bars, &s, 2, 20_000);
    assert!(
        tiny_cache.cache.recomputed > 0,
        "a small budget forces recomputation"
    );
    assert_eq!(text(&one), text(&tiny_cache));
    assert_eq!(text(&one), text(&sweep(&g, &bars, &s, 4, 1 << 30)));
    let mut sorted = one.rows.clone();
    sort_rows(&mut sorted, "sharpe").unwrap();
    let sharpe: Vec<f64> = sorted.iter().filter_map(|r| r.metrics.sharpe).collect();
    assert!(sharpe.windows(2).all(|w| w[0] >= w[1]));
    assert!(sort_rows(&mut sorted, "nonsense").is_err());
}

#[test]
fn cancelling_keeps_finished_rows_and_returns_quickly() {
    let g = sma_graph();
    let bars = random_walk(&SynthConfig {
        seed: 5,
        bars: 200_000,
        step_ms: 60_000,
        ..Default::default()
    })
    .unwrap();
    let s = spec(&["fast=2:60:1", "slow=61:160:1"], &[]);
    let cancel = AtomicBool::new(false);
    let seen = AtomicUsize::new(0);
    let cancelled_at = std::sync::Mutex::new(None::<Instant>);
    let r = run(&g, &bars, &s, &SweepConfig::default(), &cancel, &|p| {
        if seen.fetch_add(1, Ordering::SeqCst) == 4 {
            *cancelled_at.lock().unwrap() = Some(Instant::now());
            cancel.store(true, Ordering::SeqCst);
        }
        assert!(p.done <= p.total);
    })
    .unwrap();
    let waited = cancelled_at.lock().unwrap().unwrap().elapsed();
    assert!(r.cancelled);
    assert!(
        r.rows.len() >= 5 && r.rows.len() < r.total,
        "{} of {}",
        r.rows.len(),
        r.total
    );
    // A loaded CI machine gets a generous bound; the benchmark reports the real latency.
    assert!(waited < Duration::from_secs(2), "{waited:?}");
    let full_params: BTreeMap<String, f64> = r.rows[0].params.clone();
    let single = backtest(&compile(&g, &full_params).unwrap(), &bars);
    assert_eq!(
        serde_json::to_string(&r.rows[0].metrics).unwrap(),
        serde_json::to_string(&single.metrics).unwrap()
    );
}

/// A strategy whose exits read the position: its position nodes differ between combinations,
/// so they are never shared, and every row still equals its single backtest.
#[test]
fn position_state_rows_equal_single_backtests() {
    let p = format!(
        "{}/../../examples/willr_position_exits.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let g: Graph = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
    let bars = random_walk(&SynthConfig {
        seed: 8,
        bars: 1500,
        ..Default::default()
    })
    .unwrap();
    let s = spec(&["max_bars=2:8:2", "target_pct=1:4:1"], &[]);
    let r = sweep(&g, &bars, &s, 2, 1 << 30);
    assert_eq!(r.rows.len(), 16);
    let mut distinct = std::collections::BTreeSet::new();
    for row in &r.rows {
        let single = backtest(&compile(&g, &row.params).unwrap(), &bars);
        let m = serde_json::to_string(&single.metrics).unwrap();
        assert_eq!(serde_json::to_string(&row.metrics).unwrap(), m);
        distinct.insert(m);
    }
    // The parameters change the trades.
    assert!(distinct.len() > 8, "{}", distinct.len());
}

/// Every example swept over three values of each of its parameters, on hourly bars whose
/// count is not a multiple of anything the engine cuts work into: each row equals the single
/// backtest of its parameters (the sweep computes a combination's own nodes chunk by chunk
/// with its signals, and its metrics without holding its equity; the single run does neither).
#[test]
fn every_example_swept_equals_its_single_backtests() {
    let bars = random_walk(&SynthConfig {
        seed: 21,
        bars: 7_777,
        step_ms: 3_600_000,
        ..Default::default()
    })
    .unwrap();
    for name in crate::gen::EXAMPLES {
        let p = format!("{}/../../examples/{name}.json", env!("CARGO_MANIFEST_DIR"));
        let g: Graph = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        let axes: Vec<String> = g
            .parameters
            .iter()
            .map(|d| {
                let (lo, hi) = (d.min.unwrap_or(f64::MIN), d.max.unwrap_or(f64::MAX));
                let int = d.ty == stratagraph_engine::graph::DeclType::Int;
                let vals: Vec<String> = [d.default, d.default * 1.5, d.default * 0.7]
                    .iter()
                    .map(|v| {
                        let v = v.clamp(lo, hi);
                        if int {
                            v.round()
                        } else {
                            v
                        }
                    })
                    .map(|v| v.to_string())
                    .collect();
                format!("{}={}", d.name, vals.join(","))
            })
            .collect();
        let axes: Vec<&str> = axes.iter().map(String::as_str).collect();
        let r = sweep(&g, &bars, &spec(&axes, &[]), 2, 1 << 30);
        assert!(r.rows.len() >= 3, "{name}");
        for row in &r.rows {
            let single = backtest(&compile(&g, &row.params).unwrap(), &bars);
            assert_eq!(
                serde_json::to_string(&row.metrics).unwrap(),
                serde_json::to_string(&single.metrics).unwrap(),
                "{name} {:?}",
                row.params
            );
        }
    }
}

#[test]
fn pbo_of_a_sweep_is_the_pbo_of_its_combinations_daily_returns() {
    use stratagraph_engine::robust::pbo::pbo_of_returns;
    use stratagraph_engine::robust::returns::{daily_returns, day_ends};
    let g = sma_graph();
    let bars = random_walk(&SynthConfig {
        seed: 5,
        bars: 1500,
        ..Default::default()
    })
    .unwrap();
    let s = spec(&["fast=5:30:5", "slow=40:100:20"], &[]);
    let never = AtomicBool::new(false);
    let config = |threads| SweepConfig {
        threads,
        pbo_blocks: 16,
        ..Default::default()
    };
    let r = run(&g, &bars, &s, &config(2), &never, &|_| {}).unwrap();
    let ends = day_ends(bars.time());
    let columns: Vec<Vec<f64>> = r
        .rows
        .iter()
        .map(|row| {
            daily_returns(
                &backtest(&compile(&g, &row.params).unwrap(), &bars).equity,
                &ends,
            )
        })
        .collect();
    let from_rows = stratagraph_engine::sweep::pbo(&r.rows, 2).unwrap();
    let from_returns = pbo_of_returns(&columns, 16, 1).unwrap();
    assert_eq!(from_rows, from_returns);
    assert_eq!(from_rows.configurations, 24);
    assert!((0.0..=1.0).contains(&from_rows.pbo));
    let one_thread = run(&g, &bars, &s, &config(1), &never, &|_| {}).unwrap();
    assert_eq!(
        stratagraph_engine::sweep::pbo(&one_thread.rows, 1).unwrap(),
        from_rows
    );
    // Without blocks there is nothing to compute PBO from.
    let plain = sweep(&g, &bars, &s, 2, 1 << 30);
    assert!(stratagraph_engine::sweep::pbo(&plain.rows, 1).is_err());
}
