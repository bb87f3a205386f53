//! Walk-forward: window arithmetic, parameters chosen in sample, out-of-sample trading only
//! inside each window, and no look-ahead across windows.

use std::sync::atomic::AtomicBool;

use stratagraph_engine::graph::Graph;
use stratagraph_engine::sweep::{self, parse_axis, sort_rows, SweepConfig, SweepSpec};
use stratagraph_engine::synth::{random_walk, SynthConfig};
use stratagraph_engine::walkforward::{run, windows, WalkForwardSpec};

fn graph() -> Graph {
    let p = format!(
        "{}/../../examples/sma_crossover.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn spec(anchored: bool) -> WalkForwardSpec {
    WalkForwardSpec {
        sweep: SweepSpec {
            axes: vec![
                parse_axis("fast=5:20:5").unwrap(),
                parse_axis("slow=30:90:30").unwrap(),
            ],
            ..Default::default()
        },
        train: 500,
        test: 250,
        anchored,
        metric: "total_return_pct".into(),
    }
}

#[test]
fn window_arithmetic() {
    assert_eq!(
        windows(1000, 500, 250, false).unwrap(),
        vec![(0, 500, 750), (250, 750, 1000)]
    );
    assert_eq!(
        windows(1100, 500, 250, true).unwrap(),
        vec![(0, 500, 750), (0, 750, 1000), (0, 1000, 1100)]
    );
    assert!(windows(700, 500, 250, false)
        .unwrap_err()
        .to_string()
        .contains("longer than the data"));
    assert!(windows(700, 0, 250, false).is_err());
}

#[test]
fn chooses_in_sample_and_trades_only_out_of_sample() {
    let g = graph();
    let bars = random_walk(&SynthConfig {
        seed: 9,
        bars: 2000,
        ..Default::default()
    })
    .unwrap();
    let never = AtomicBool::new(false);
    for anchored in [false, true] {
        let s = spec(anchored);
        let r = run(&g, &bars, &s, &SweepConfig::default(), &never, &|_, _| {}).unwrap();
        assert_eq!(r.windows.len(), 6);
        assert_eq!(r.start, 500);
        assert_eq!(r.equity.len(), 1500);
        for w in &r.windows {
            // The choice is the in-sample sweep's best row.
            let mut rows = sweep::run(
                &g,
                &bars.slice(w.train_start, w.train_end),
                &s.sweep,
                &SweepConfig::default(),
                &never,
                &|_| {},
            )
            .unwrap()
            .rows;
            sort_rows(&mut rows, &s.metric).unwrap();
            assert_eq!(rows[0].params, w.params);
            assert_eq!(Some(rows[0].metrics.total_return_pct), w.in_sample);
        }
        for t in &r.trades {
            let w = r
                .windows
                .iter()
                .find(|w| t.entry_bar >= w.train_end && t.entry_bar < w.test_end)
                .unwrap();
            // Closed inside the window, or at the next window's first open by the window's end.
            assert!(t.exit_bar <= w.test_end, "{t:?} {w:?}");
        }
        assert!(r.gap.is_some());
        assert!((r.metrics.final_equity - r.equity[r.equity.len() - 1]).abs() < 1e-9);
    }
}

#[test]
fn later_data_never_changes_earlier_windows() {
    let g = graph();
    let bars = random_walk(&SynthConfig {
        seed: 4,
        bars: 2000,
        ..Default::default()
    })
    .unwrap();
    let never = AtomicBool::new(false);
    let s = spec(false);
    let full = run(&g, &bars, &s, &SweepConfig::default(), &never, &|_, _| {}).unwrap();
    // Cut after the third window's first bar past its end (its closing fill).
    let cut = full.windows[2].test_end + 1;
    let part = run(
        &g,
        &bars.truncated(cut),
        &s,
        &SweepConfig::default(),
        &never,
        &|_, _| {},
    )
    .unwrap();
    assert_eq!(&full.windows[..3], &part.windows[..3]);
    assert_eq!(&full.equity[..750], &part.equity[..750]);
}
