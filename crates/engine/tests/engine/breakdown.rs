//! The breakdown of a backtest: long/short split, monthly returns and per-trade run-up and
//! drawdown, on hand-made bars and against the example's own metrics.

use stratagraph_engine::backtest::{backtest, ExitReason, Side, Trade};
use stratagraph_engine::breakdown::{breakdown, excursion, monthly_returns};
use stratagraph_engine::compile::compile;
use stratagraph_engine::graph::Graph;
use stratagraph_engine::synth::{random_walk, SynthConfig};
use stratagraph_engine::Bars;

const DAY: i64 = 86_400_000;

fn trade(side: Side, entry_bar: usize, exit_bar: usize, entry: f64, exit: f64, pnl: f64) -> Trade {
    Trade {
        side,
        entry_bar,
        exit_bar,
        entry_time: 0,
        exit_time: 0,
        entry_price: entry,
        exit_price: exit,
        size: 10.0,
        pnl,
        pnl_pct: pnl / (10.0 * entry) * 100.0,
        bars_held: exit_bar - entry_bar,
        commission: 0.0,
        exit_reason: ExitReason::Signal,
    }
}

#[test]
fn run_up_and_drawdown_come_from_the_bars_the_trade_was_open() {
    let bars = Bars::new(
        (0..5).map(|i| i * DAY).collect(),
        vec![100.0, 100.0, 104.0, 96.0, 101.0],
        vec![101.0, 110.0, 106.0, 99.0, 150.0],
        vec![99.0, 98.0, 103.0, 90.0, 100.0],
        vec![100.0, 105.0, 104.0, 97.0, 101.0],
        vec![1.0; 5],
    )
    .unwrap();
    // Long from bar 1 (at its open, 100) to bar 3's open (96): bars 1 and 2 reach 110 and 98,
    // the exit 96; bar 3's low of 90 comes after the exit.
    let long = excursion(&bars, &trade(Side::Long, 1, 3, 100.0, 96.0, -40.0));
    assert_eq!((long.run_up_pct, long.drawdown_pct), (10.0, -4.0));
    assert_eq!((long.run_up, long.drawdown), (100.0, -40.0));
    let short = excursion(&bars, &trade(Side::Short, 1, 2, 100.0, 104.0, -40.0));
    assert_eq!((short.run_up_pct, short.drawdown_pct), (2.0, -10.0));
}

#[test]
fn monthly_returns_chain_to_the_total_return() {
    // 31 January days at 100 → 110, then February ending at 99.
    let time: Vec<i64> = (0..40).map(|i| i * DAY).collect();
    let equity: Vec<f64> = (0..40).map(|i| if i < 31 { 110.0 } else { 99.0 }).collect();
    let m = monthly_returns(&time, &equity, 100.0);
    assert_eq!(m.len(), 2);
    assert_eq!((m[0].year, m[0].month), (1970, 1));
    assert!((m[0].return_pct - 10.0).abs() < 1e-12);
    assert!((m[1].return_pct + 10.0).abs() < 1e-12);
}

#[test]
fn the_split_adds_up_to_the_runs_metrics() {
    let path = format!(
        "{}/../../examples/sma_crossover.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let g: Graph = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let bars = random_walk(&SynthConfig {
        seed: 9,
        bars: 3000,
        ..Default::default()
    })
    .unwrap();
    let r = backtest(&compile(&g, &Default::default()).unwrap(), &bars);
    let mut all = r.trades.clone();
    all.extend(r.open_trade.clone());
    let b = breakdown(&bars, &r.equity, &all, r.metrics.initial_equity);
    assert_eq!(b.all.trades, r.metrics.trades);
    assert_eq!(b.long.trades + b.short.trades, b.all.trades);
    assert_eq!(b.all.win_rate_pct, r.metrics.win_rate_pct);
    assert_eq!(b.all.profit_factor, r.metrics.profit_factor);
    assert_eq!(b.excursions.len(), r.trades.len());
    assert!(b
        .excursions
        .iter()
        .all(|e| e.run_up_pct >= 0.0 && e.drawdown_pct <= 0.0));
    // Every trade's pnl % lies between its drawdown and its run-up (before costs: none here).
    for (t, e) in r.trades.iter().zip(&b.excursions) {
        assert!(t.pnl_pct <= e.run_up_pct + 1e-9 && t.pnl_pct >= e.drawdown_pct - 1e-9);
    }
    let chained = b
        .monthly
        .iter()
        .fold(1.0, |acc, m| acc * (1.0 + m.return_pct / 100.0));
    assert!(((chained - 1.0) * 100.0 - r.metrics.total_return_pct).abs() < 1e-9);
}
