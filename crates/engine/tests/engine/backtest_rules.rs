//! The backtest rules of `docs/backtest-semantics.md` on hand-made bars, with every expected number worked out by
//! hand in the test: fills, sizing, commission, slippage, stops, gaps, reversals, the last bar.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use stratagraph_engine::backtest::{backtest, BacktestResult, ExitReason, Side};
use stratagraph_engine::compile::compile_json;
use stratagraph_engine::Bars;

/// Signal codes carried in the volume column: 1 enter long, 2 exit long, 3 enter short,
/// 4 exit short, 0 nothing. The graph decodes them with `volume == code`.
pub(crate) fn graph(sinks: &[(&str, f64)], risk: &[(&str, f64)], settings: Value) -> Value {
    let mut nodes = vec![json!({"id": "vol", "kind": "source.volume"})];
    let mut edges = vec![];
    for (kind, code) in sinks {
        let k = kind.replace("order.", "");
        nodes.push(
            json!({"id": format!("c_{k}"), "kind": "source.constant", "params": {"value": code}}),
        );
        nodes.push(json!({"id": format!("ge_{k}"), "kind": "compare.ge"}));
        nodes.push(json!({"id": format!("le_{k}"), "kind": "compare.le"}));
        nodes.push(json!({"id": format!("eq_{k}"), "kind": "logic.and"}));
        let params = if kind.contains("enter") {
            json!({"size": {"equity_fraction": 1.0}})
        } else {
            json!({})
        };
        nodes.push(json!({"id": k, "kind": kind, "params": params}));
        for (cmp, port) in [("ge", "a"), ("le", "b")] {
            edges.push(json!({"from": "vol", "from_port": "out", "to": format!("{cmp}_{k}"), "to_port": "a"}));
            edges.push(json!({"from": format!("c_{k}"), "from_port": "out", "to": format!("{cmp}_{k}"), "to_port": "b"}));
            edges.push(json!({"from": format!("{cmp}_{k}"), "from_port": "out", "to": format!("eq_{k}"), "to_port": port}));
        }
        edges.push(
            json!({"from": format!("eq_{k}"), "from_port": "out", "to": k, "to_port": "when"}),
        );
    }
    for (kind, pct) in risk {
        nodes.push(json!({"id": kind.replace("risk.", ""), "kind": kind, "params": {"pct": pct}}));
    }
    json!({"schema": 1, "nodes": nodes, "edges": edges, "parameters": [], "settings": settings})
}

/// Bars from (open, high, low, close, signal code), one day apart.
pub(crate) fn bars(rows: &[(f64, f64, f64, f64, f64)]) -> Bars {
    let day = 86_400_000;
    Bars::new(
        (0..rows.len() as i64)
            .map(|i| 1_700_000_000_000 / day * day + i * day)
            .collect(),
        rows.iter().map(|r| r.0).collect(),
        rows.iter().map(|r| r.1).collect(),
        rows.iter().map(|r| r.2).collect(),
        rows.iter().map(|r| r.3).collect(),
        rows.iter().map(|r| r.4).collect(),
    )
    .unwrap()
}

pub(crate) fn run(doc: &Value, b: &Bars) -> BacktestResult {
    let plan = compile_json(doc, &BTreeMap::new()).unwrap();
    backtest(&plan, b)
}

const LONG: &[(&str, f64)] = &[("order.enter_long", 1.0), ("order.exit_long", 2.0)];

fn close_to(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn fills_at_next_open_with_commission_and_whole_units() {
    let doc = graph(
        LONG,
        &[],
        json!({"initial_cash": 10000, "commission": 0.01}),
    );
    let b = bars(&[
        (100.0, 101.0, 99.0, 101.0, 1.0),  // signal: buy
        (102.0, 103.0, 101.0, 102.5, 0.0), // fill at 102
        (101.0, 101.0, 93.5, 94.0, 2.0),   // signal: sell
        (93.0, 95.0, 92.0, 94.0, 0.0),     // fill at 93
        (94.0, 95.0, 93.0, 95.0, 0.0),
    ]);
    let r = run(&doc, &b);
    assert_eq!(r.trades.len(), 1);
    let t = &r.trades[0];
    // floor(10000 / (102 * 1.01)) = floor(97.07) = 97 units.
    assert_eq!(
        (t.side, t.entry_bar, t.exit_bar, t.size),
        (Side::Long, 1, 3, 97.0)
    );
    assert_eq!((t.entry_price, t.exit_price), (102.0, 93.0));
    // Commissions 98.94 + 90.21; pnl 97 * (93 - 102) - 189.15 = -1062.15.
    assert!(close_to(t.commission, 189.15));
    assert!(close_to(t.pnl, -1062.15), "{}", t.pnl);
    assert_eq!(t.exit_reason, ExitReason::Signal);
    assert_eq!(t.bars_held, 2);
    // Equity: cash before the fill, then cash + units * close.
    let cash_in = 10000.0 - 97.0 * 102.0 - 98.94;
    assert!(close_to(r.equity[0], 10000.0));
    assert!(close_to(r.equity[1], cash_in + 97.0 * 102.5));
    assert!(close_to(r.equity[2], cash_in + 97.0 * 94.0));
    assert!(close_to(r.equity[4], 10000.0 - 1062.15));
    assert!(close_to(r.metrics.final_equity, 8937.85));
    assert_eq!(r.metrics.trades, 1);
    assert_eq!(r.metrics.win_rate_pct, Some(0.0));
    assert!(close_to(r.metrics.exposure_pct, 40.0));
}

#[test]
fn slippage_moves_both_fills_against_the_trader() {
    let doc = graph(
        LONG,
        &[],
        json!({"initial_cash": 1000, "slippage_bps": 10, "fractional": true}),
    );
    let b = bars(&[
        (100.0, 100.0, 100.0, 100.0, 1.0),
        (100.0, 100.0, 100.0, 100.0, 2.0),
        (200.0, 200.0, 200.0, 200.0, 0.0),
    ]);
    let t = &run(&doc, &b).trades[0];
    assert!(close_to(t.entry_price, 100.1));
    assert!(close_to(t.exit_price, 199.8));
    assert!(close_to(t.size, 1000.0 / 100.1));
}

#[test]
fn an_order_on_the_last_bar_is_not_filled_and_open_positions_are_marked() {
    let doc = graph(LONG, &[], json!({"initial_cash": 1000}));
    let b = bars(&[
        (10.0, 10.0, 10.0, 10.0, 1.0),
        (10.0, 12.0, 10.0, 11.0, 0.0),
        (11.0, 12.0, 11.0, 12.0, 2.0),
    ]);
    let r = run(&doc, &b);
    assert!(r.trades.is_empty());
    let open = r.open_trade.as_ref().unwrap();
    assert_eq!(
        (
            open.size,
            open.entry_price,
            open.exit_price,
            open.exit_reason
        ),
        (100.0, 10.0, 12.0, ExitReason::Open)
    );
    assert!(close_to(r.metrics.final_equity, 1200.0));
    assert!(r.metrics.open_position);
    assert_eq!(r.metrics.trades, 0);
}

#[test]
fn stop_loss_gap_fills_at_the_open_and_is_not_checked_on_the_entry_bar() {
    let doc = graph(
        LONG,
        &[("risk.stop_loss", 5.0)],
        json!({"initial_cash": 1000}),
    );
    let b = bars(&[
        (100.0, 100.0, 100.0, 100.0, 1.0),
        (100.0, 101.0, 90.0, 100.0, 0.0), // entry bar: the low breaks 95 but stops start next bar
        (96.0, 97.0, 95.5, 96.0, 0.0),
        (91.0, 92.0, 90.0, 91.0, 0.0), // gap below 95: fill at the open
        (91.0, 92.0, 90.0, 91.0, 0.0),
    ]);
    let r = run(&doc, &b);
    let t = &r.trades[0];
    assert_eq!(
        (t.exit_bar, t.exit_price, t.exit_reason),
        (3, 91.0, ExitReason::StopLoss)
    );
}

#[test]
fn stop_loss_is_assumed_before_take_profit_in_the_same_bar() {
    let doc = graph(
        LONG,
        &[("risk.stop_loss", 5.0), ("risk.take_profit", 5.0)],
        json!({"initial_cash": 1000}),
    );
    let b = bars(&[
        (100.0, 100.0, 100.0, 100.0, 1.0),
        (100.0, 100.0, 100.0, 100.0, 0.0),
        (100.0, 106.0, 94.0, 100.0, 0.0),
        (100.0, 100.0, 100.0, 100.0, 0.0),
    ]);
    let t = &run(&doc, &b).trades[0];
    assert_eq!(
        (t.exit_bar, t.exit_price, t.exit_reason),
        (2, 95.0, ExitReason::StopLoss)
    );
}

#[test]
fn short_take_profit_and_trailing_stop_levels() {
    let short: &[(&str, f64)] = &[("order.enter_short", 3.0), ("order.exit_short", 4.0)];
    let doc = graph(
        short,
        &[("risk.take_profit", 10.0)],
        json!({"initial_cash": 1000}),
    );
    let b = bars(&[
        (100.0, 100.0, 100.0, 100.0, 3.0),
        (100.0, 100.0, 99.0, 99.0, 0.0),
        (98.0, 99.0, 89.0, 92.0, 0.0), // low 89 reaches the 90 target
        (92.0, 93.0, 91.0, 92.0, 0.0),
    ]);
    let r = run(&doc, &b);
    let t = &r.trades[0];
    assert_eq!(
        (t.side, t.exit_bar, t.exit_price, t.exit_reason),
        (Side::Short, 2, 90.0, ExitReason::TakeProfit)
    );
    assert!(close_to(t.pnl, 10.0 * 10.0));
    assert!(close_to(r.metrics.final_equity, 1100.0));

    let doc = graph(
        LONG,
        &[("risk.trailing_stop", 10.0)],
        json!({"initial_cash": 1000}),
    );
    let b = bars(&[
        (100.0, 100.0, 100.0, 100.0, 1.0),
        (100.0, 110.0, 100.0, 109.0, 0.0), // peak 110 (entry bar raises the peak)
        (109.0, 120.0, 109.0, 118.0, 0.0), // level for this bar 99; peak becomes 120
        (118.0, 119.0, 107.0, 108.0, 0.0), // level 108: hit
        (108.0, 108.0, 108.0, 108.0, 0.0),
    ]);
    let t = &run(&doc, &b).trades[0];
    assert_eq!(
        (t.exit_bar, t.exit_price, t.exit_reason),
        (3, 108.0, ExitReason::TrailingStop)
    );
}

#[test]
fn an_opposite_entry_reverses_at_one_open() {
    let both: &[(&str, f64)] = &[("order.enter_long", 1.0), ("order.enter_short", 3.0)];
    let doc = graph(both, &[], json!({"initial_cash": 1000}));
    let b = bars(&[
        (10.0, 10.0, 10.0, 10.0, 1.0),
        (10.0, 10.0, 10.0, 10.0, 1.0), // same-side entry while long: ignored
        (10.0, 20.0, 10.0, 20.0, 3.0),
        (20.0, 20.0, 20.0, 20.0, 0.0), // close long at 20 (cash 2000), short 100 units at 20
        (15.0, 15.0, 15.0, 15.0, 0.0),
    ]);
    let r = run(&doc, &b);
    assert_eq!(r.trades.len(), 1);
    assert_eq!(
        (r.trades[0].exit_bar, r.trades[0].exit_reason),
        (3, ExitReason::Reverse)
    );
    let open = r.open_trade.as_ref().unwrap();
    assert_eq!(
        (open.side, open.entry_bar, open.size, open.entry_price),
        (Side::Short, 3, 100.0, 20.0)
    );
    assert!(close_to(r.metrics.final_equity, 2000.0 + 100.0 * 5.0));
}

#[test]
fn warm_up_and_divide_by_zero_never_trigger() {
    // SMA(3) is missing on bars 0-1; close / (close - close) is missing everywhere.
    let doc = json!({
        "schema": 1,
        "nodes": [
            {"id": "c", "kind": "source.close"},
            {"id": "s", "kind": "indicator.sma", "params": {"period": 3}},
            {"id": "zero", "kind": "math.subtract"},
            {"id": "inf", "kind": "math.divide"},
            {"id": "lt", "kind": "compare.lt"},
            {"id": "gt", "kind": "compare.gt"},
            {"id": "buy", "kind": "order.enter_long"},
            {"id": "sell", "kind": "order.exit_long"}
        ],
        "edges": [
            {"from": "c", "from_port": "out", "to": "s", "to_port": "in"},
            {"from": "s", "from_port": "out", "to": "lt", "to_port": "a"},
            {"from": "c", "from_port": "out", "to": "lt", "to_port": "b"},
            {"from": "lt", "from_port": "out", "to": "buy", "to_port": "when"},
            {"from": "c", "from_port": "out", "to": "zero", "to_port": "a"},
            {"from": "c", "from_port": "out", "to": "zero", "to_port": "b"},
            {"from": "c", "from_port": "out", "to": "inf", "to_port": "a"},
            {"from": "zero", "from_port": "out", "to": "inf", "to_port": "b"},
            {"from": "inf", "from_port": "out", "to": "gt", "to_port": "a"},
            {"from": "c", "from_port": "out", "to": "gt", "to_port": "b"},
            {"from": "gt", "from_port": "out", "to": "sell", "to_port": "when"}
        ]
    });
    // Rising closes: sma < close from bar 2 on, never before.
    let b = bars(&[
        (1.0, 1.0, 1.0, 1.0, 0.0),
        (2.0, 2.0, 2.0, 2.0, 0.0),
        (3.0, 3.0, 3.0, 3.0, 0.0),
        (4.0, 4.0, 4.0, 4.0, 0.0),
        (5.0, 5.0, 5.0, 5.0, 0.0),
    ]);
    let r = run(&doc, &b);
    assert_eq!(r.signals, vec![0, 0, 1, 1, 1]);
    let open = r.open_trade.unwrap();
    assert_eq!((open.entry_bar, open.entry_price), (3, 4.0));
}

#[test]
fn units_the_cash_cannot_pay_for_are_refused() {
    // 100 units at 186 cost 18,600 with 10,000 cash: backtesting.py cancels such an order,
    // so there is no trade and the cash never goes negative.
    let mut doc = graph(LONG, &[], json!({"initial_cash": 10000}));
    let mut set_units = |units: f64| {
        for n in doc["nodes"].as_array_mut().unwrap() {
            if n["kind"] == "order.enter_long" {
                n["params"] = json!({"size": {"units": units}});
            }
        }
        doc.clone()
    };
    let b = bars(&[
        (186.0, 186.0, 186.0, 186.0, 1.0),
        (186.0, 186.0, 186.0, 186.0, 0.0),
        (190.0, 190.0, 190.0, 190.0, 2.0),
        (190.0, 190.0, 190.0, 190.0, 0.0),
    ]);
    let r = run(&set_units(100.0), &b);
    assert!(
        r.trades.is_empty() && r.open_trade.is_none(),
        "{:?}",
        r.trades
    );
    assert!(r.equity.iter().all(|&e| e == 10000.0), "{:?}", r.equity);
    // 53 units (9,858) fit and are bought: 53 * (190 - 186) = 212.
    let r = run(&set_units(53.0), &b);
    assert_eq!(r.trades.len(), 1);
    assert!(close_to(r.trades[0].pnl, 212.0));
    // A short of 100 units needs the same cover.
    let short: &[(&str, f64)] = &[("order.enter_short", 1.0), ("order.exit_short", 2.0)];
    let mut doc = graph(short, &[], json!({"initial_cash": 10000}));
    for n in doc["nodes"].as_array_mut().unwrap() {
        if n["kind"] == "order.enter_short" {
            n["params"] = json!({"size": {"units": 100}});
        }
    }
    assert!(run(&doc, &b).trades.is_empty());
}
