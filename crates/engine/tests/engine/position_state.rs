//! Position-state nodes on hand-made bars, every expected number worked out by hand: they see
//! the account after the bar's open fill and stops, before the orders of its close; an exit
//! they decide fills at the next open.

use std::collections::BTreeMap;

use serde_json::json;
use stratagraph_engine::backtest::{backtest, ExitReason};
use stratagraph_engine::compile::compile_json;
use stratagraph_engine::feedback::evaluate_all;
use stratagraph_engine::Bars;

fn bars(rows: &[(f64, f64, f64, f64)]) -> Bars {
    let day = 86_400_000;
    Bars::new(
        (0..rows.len() as i64)
            .map(|i| 19_000 * day + i * day)
            .collect(),
        rows.iter().map(|r| r.0).collect(),
        rows.iter().map(|r| r.1).collect(),
        rows.iter().map(|r| r.2).collect(),
        rows.iter().map(|r| r.3).collect(),
        vec![1000.0; rows.len()],
    )
    .unwrap()
}

/// Buys when the close is above 100 and flat; sells after `max_bars` bars in the trade or at
/// a 5 % open profit; a 4 % stop-loss protects the position.
fn graph(max_bars: f64) -> serde_json::Value {
    json!({
        "schema": 1,
        "nodes": [
            {"id": "close", "kind": "source.close"},
            {"id": "hundred", "kind": "source.constant", "params": {"value": 100}},
            {"id": "above", "kind": "compare.gt"},
            {"id": "held", "kind": "position.in_position"},
            {"id": "flat", "kind": "logic.not"},
            {"id": "entry", "kind": "logic.and"},
            {"id": "bars", "kind": "position.bars_in_trade"},
            {"id": "max", "kind": "source.constant", "params": {"value": max_bars}},
            {"id": "old", "kind": "compare.ge"},
            {"id": "pnl", "kind": "position.open_pnl"},
            {"id": "five", "kind": "source.constant", "params": {"value": 5}},
            {"id": "rich", "kind": "compare.gt"},
            {"id": "px", "kind": "position.entry_price"},
            {"id": "exit", "kind": "logic.or"},
            {"id": "buy", "kind": "order.enter_long", "params": {"size": {"units": 10}}},
            {"id": "sell", "kind": "order.exit_long"},
            {"id": "stop", "kind": "risk.stop_loss", "params": {"pct": 4}}
        ],
        "edges": [
            {"from": "close", "from_port": "out", "to": "above", "to_port": "a"},
            {"from": "hundred", "from_port": "out", "to": "above", "to_port": "b"},
            {"from": "held", "from_port": "out", "to": "flat", "to_port": "in"},
            {"from": "above", "from_port": "out", "to": "entry", "to_port": "a"},
            {"from": "flat", "from_port": "out", "to": "entry", "to_port": "b"},
            {"from": "bars", "from_port": "out", "to": "old", "to_port": "a"},
            {"from": "max", "from_port": "out", "to": "old", "to_port": "b"},
            {"from": "pnl", "from_port": "pct", "to": "rich", "to_port": "a"},
            {"from": "five", "from_port": "out", "to": "rich", "to_port": "b"},
            {"from": "old", "from_port": "out", "to": "exit", "to_port": "a"},
            {"from": "rich", "from_port": "out", "to": "exit", "to_port": "b"},
            {"from": "entry", "from_port": "out", "to": "buy", "to_port": "when"},
            {"from": "exit", "from_port": "out", "to": "sell", "to_port": "when"},
            {"from": "px", "from_port": "out", "to": "rich_px", "to_port": "in"}
        ],
        "parameters": [],
        "settings": {"initial_cash": 10000, "commission": 0.001}
    })
}

#[test]
fn position_nodes_see_the_account_during_the_bar() {
    let mut doc = graph(3.0);
    // The entry price is read by an (unused by orders) abs node feeding the exit's OR: keep the
    // graph valid by wiring it into a comparison that is always false.
    doc["nodes"].as_array_mut().unwrap().extend([
        json!({"id": "rich_px", "kind": "math.abs"}),
        json!({"id": "never", "kind": "compare.lt"}),
        json!({"id": "zero", "kind": "source.constant", "params": {"value": 0}}),
        json!({"id": "exit2", "kind": "logic.or"}),
    ]);
    let edges = doc["edges"].as_array_mut().unwrap();
    edges.retain(|e| e["to"] != "sell");
    edges.extend([
        json!({"from": "rich_px", "from_port": "out", "to": "never", "to_port": "a"}),
        json!({"from": "zero", "from_port": "out", "to": "never", "to_port": "b"}),
        json!({"from": "exit", "from_port": "out", "to": "exit2", "to_port": "a"}),
        json!({"from": "never", "from_port": "out", "to": "exit2", "to_port": "b"}),
        json!({"from": "exit2", "from_port": "out", "to": "sell", "to_port": "when"}),
    ]);
    let b = bars(&[
        (99.0, 99.5, 98.5, 99.0),     // 0: flat, close <= 100
        (99.0, 101.5, 99.0, 101.0),   // 1: close > 100 and flat: buy at the next open
        (102.0, 103.0, 101.0, 102.5), // 2: filled at 102 (10 units); bars 0; pnl 5 - 1.02
        (102.0, 104.0, 101.5, 103.0), // 3: bars 1
        (103.0, 104.0, 102.0, 103.5), // 4: bars 2
        (103.5, 105.0, 103.0, 104.0), // 5: bars 3 >= 3: sell at the next open
        (104.5, 105.0, 104.0, 104.8), // 6: sold at 104.5; flat, close > 100: buy again
        (105.0, 105.5, 100.0, 101.0), // 7: filled at 105; stops start on the next bar
        (101.0, 102.0, 100.5, 101.5), // 8: low 100.5 < stop 100.8: stopped; flat: buy
        (101.5, 107.0, 101.5, 106.8), // 9: filled at 101.5; open profit 5.2 % > 5: sell
        (107.0, 107.5, 106.0, 107.0), // 10: sold at 107
    ]);
    let plan = compile_json(&doc, &BTreeMap::new()).unwrap();
    let r = backtest(&plan, &b);
    let t = &r.trades;
    assert_eq!(t.len(), 3, "{t:?}");
    assert_eq!((t[0].entry_bar, t[0].exit_bar), (2, 6));
    assert_eq!((t[0].entry_price, t[0].exit_price), (102.0, 104.5));
    assert_eq!(t[0].exit_reason, ExitReason::Signal);
    // Stopped out the bar after its fill, at the level 4 % under 105 = 100.8; the position
    // nodes already see it flat at that bar's close, so the next entry is decided there.
    assert_eq!((t[1].entry_bar, t[1].exit_bar), (7, 8));
    assert_eq!(t[1].exit_reason, ExitReason::StopLoss);
    assert!((t[1].exit_price - 100.8).abs() < 1e-9);
    assert_eq!((t[2].entry_bar, t[2].exit_bar), (9, 10));
    assert_eq!((t[2].entry_price, t[2].exit_price), (101.5, 107.0));

    let ev = evaluate_all(&plan, &b, &Default::default(), &mut |_| {}).unwrap();
    let series = |node: &str, port: &str| {
        ev.series(plan.outputs[&(node.to_string(), port.to_string())])
            .unwrap()
            .into_owned()
    };
    let nan = f64::NAN;
    let held = series("held", "out");
    assert_eq!(
        held,
        [0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0].map(f64::from)
    );
    let bars_in = series("bars", "out");
    let want = [nan, nan, 0.0, 1.0, 2.0, 3.0, nan, 0.0, nan, 0.0, nan];
    for (g, w) in bars_in.iter().zip(want) {
        assert!(g == &w || (g.is_nan() && w.is_nan()), "{bars_in:?}");
    }
    let px = series("px", "out");
    assert_eq!(px[2], 102.0);
    assert_eq!(px[9], 101.5);
    assert!(px[6].is_nan() && px[8].is_nan());
    // Open P&L at bar 2: 10 * (102.5 - 102) - 0.001 * 10 * 102 = 3.98; 3.98 / 1020 * 100 %.
    let pnl = series("pnl", "value");
    let pct = series("pnl", "pct");
    assert!((pnl[2] - 3.98).abs() < 1e-9, "{}", pnl[2]);
    assert!((pct[2] - 3.98 / 1020.0 * 100.0).abs() < 1e-9);
    // Bar 9: 10 * (106.8 - 101.5) - 1.015 = 51.985, i.e. 5.1217... % of 1015.
    assert!((pnl[9] - 51.985).abs() < 1e-9, "{}", pnl[9]);
    assert!(pct[9] > 5.0);
}
