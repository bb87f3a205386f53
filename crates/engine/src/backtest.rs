//! The batch backtest: fills at the next open, sizing, stops, equity and the trade list,
//! following DESIGN.md's "Backtest semantics" exactly.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use crate::bars::Bars;
use crate::compile::{Entry, Plan, Size, Stops};
use crate::eval::{evaluate, Cancelled, Evaluation};
use crate::metrics::{self, Metrics};

/// Signal bit: an entry-long order fired at this bar's close.
pub const ENTER_LONG: u8 = 1;
/// Signal bit: an exit-long order fired.
pub const EXIT_LONG: u8 = 2;
/// Signal bit: an entry-short order fired.
pub const ENTER_SHORT: u8 = 4;
/// Signal bit: an exit-short order fired.
pub const EXIT_SHORT: u8 = 8;

/// Long or short.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Bought first, sold to exit.
    Long,
    /// Sold first, bought back to exit.
    Short,
}

impl Side {
    fn dir(self) -> f64 {
        match self {
            Side::Long => 1.0,
            Side::Short => -1.0,
        }
    }
}

/// Why a trade ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitReason {
    /// An exit order fired.
    Signal,
    /// An entry on the other side closed it.
    Reverse,
    /// The stop-loss was hit.
    StopLoss,
    /// The take-profit was hit.
    TakeProfit,
    /// The trailing stop was hit.
    TrailingStop,
    /// Still open at the end; exit fields hold the last close (marked to market).
    Open,
}

/// One round trip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trade {
    /// Long or short.
    pub side: Side,
    /// Bar index of the entry fill.
    pub entry_bar: usize,
    /// Bar index of the exit fill (the last bar for an open trade).
    pub exit_bar: usize,
    /// Entry fill time, ms UTC.
    pub entry_time: i64,
    /// Exit fill time, ms UTC.
    pub exit_time: i64,
    /// Entry fill price, slippage included.
    pub entry_price: f64,
    /// Exit fill price, slippage included (last close for an open trade).
    pub exit_price: f64,
    /// Units traded (always positive).
    pub size: f64,
    /// Profit after both commissions: `dir * size * (exit - entry) - commissions`.
    pub pnl: f64,
    /// `pnl / (size * entry_price) * 100`.
    pub pnl_pct: f64,
    /// `exit_bar - entry_bar`.
    pub bars_held: usize,
    /// Commission paid on entry and exit.
    pub commission: f64,
    /// Why it ended.
    pub exit_reason: ExitReason,
}

/// The complete outcome of one backtest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacktestResult {
    /// Headline metrics.
    pub metrics: Metrics,
    /// Closed trades in time order.
    pub trades: Vec<Trade>,
    /// The position still open at the end, marked to the last close.
    pub open_trade: Option<Trade>,
    /// Close-marked equity per bar.
    pub equity: Vec<f64>,
    /// Drawdown per bar, percent (<= 0).
    pub drawdown_pct: Vec<f64>,
    /// Order signals per bar (the `ENTER_LONG`… bits) as they fired at each close.
    #[serde(skip)]
    pub signals: Vec<u8>,
    /// Parameter values used.
    pub params: BTreeMap<String, f64>,
    /// Hex BLAKE3 over the graph, the data, the parameters and the settings.
    pub hash: String,
}

/// Runs `plan` over `bars` with no cancellation.
pub fn backtest(plan: &Plan, bars: &Bars) -> BacktestResult {
    let never = AtomicBool::new(false);
    match run(plan, bars, &never, &mut |_| {}) {
        Ok(r) => r,
        // Unreachable: nothing sets `never`.
        Err(Cancelled) => empty_result(plan, bars),
    }
}

fn empty_result(plan: &Plan, bars: &Bars) -> BacktestResult {
    simulate(plan, bars, Vec::new(), &|_, _| None)
}

/// Runs `plan` over `bars`, checking `cancel` between steps and reporting progress in [0, 1].
///
/// # Errors
/// [`Cancelled`] when `cancel` is set during the run.
pub fn run(
    plan: &Plan,
    bars: &Bars,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(f64),
) -> Result<BacktestResult, Cancelled> {
    let ev = evaluate(plan, bars, cancel, &mut |f| progress(f * 0.8))?;
    if cancel.load(Ordering::Relaxed) {
        return Err(Cancelled);
    }
    let flags = signal_flags(plan, &ev);
    let size_at = |entries: &[Entry], i: usize| {
        entries
            .iter()
            .find(|e| ev.at(e.when, i) == 1.0)
            .map(|e| e.size)
    };
    let sizer = |side: Side, i: usize| match side {
        Side::Long => size_at(&plan.enter_long, i),
        Side::Short => size_at(&plan.enter_short, i),
    };
    let result = simulate(plan, bars, flags, &sizer);
    progress(1.0);
    Ok(result)
}

/// Combines the plan's order sinks into one bit set per bar.
pub fn signal_flags(plan: &Plan, ev: &Evaluation<'_>) -> Vec<u8> {
    let mut flags = vec![0u8; ev.len()];
    let groups: [(u8, Vec<usize>); 4] = [
        (ENTER_LONG, plan.enter_long.iter().map(|e| e.when).collect()),
        (EXIT_LONG, plan.exit_long.clone()),
        (
            ENTER_SHORT,
            plan.enter_short.iter().map(|e| e.when).collect(),
        ),
        (EXIT_SHORT, plan.exit_short.clone()),
    ];
    for (bit, slots) in groups {
        for slot in slots {
            if let Some(s) = ev.series(slot) {
                for (f, &v) in flags.iter_mut().zip(s.iter()) {
                    *f |= if v == 1.0 { bit } else { 0 };
                }
            }
        }
    }
    flags
}

/// Floor of `x / y` computed exactly (as Python's `//` does), not of the rounded quotient.
fn floor_div(x: f64, y: f64) -> f64 {
    let m = x % y;
    let mut div = (x - m) / y;
    if m != 0.0 && ((y < 0.0) != (m < 0.0)) {
        div -= 1.0;
    }
    if div == 0.0 {
        return 0.0;
    }
    let f = div.floor();
    if div - f > 0.5 {
        f + 1.0
    } else {
        f
    }
}

struct Position {
    side: Side,
    units: f64,
    entry_price: f64,
    entry_bar: usize,
    entry_commission: f64,
    /// Best price since entry: highest high (long) or lowest low (short), fill price included.
    best: f64,
}

/// The account during a run.
struct Account<'a> {
    bars: &'a Bars,
    cash: f64,
    commission: f64,
    slip: f64,
    fractional: bool,
    pos: Option<Position>,
    trades: Vec<Trade>,
    commissions: f64,
}

impl Account<'_> {
    /// Fill price of a market order at `price`, moved against the trader by the slippage.
    fn fill(&self, price: f64, buying: bool) -> f64 {
        if buying {
            price * (1.0 + self.slip)
        } else {
            price * (1.0 - self.slip)
        }
    }

    fn open(&mut self, side: Side, size: Size, bar: usize) {
        let price = self.fill(self.bars.open()[bar], side == Side::Long);
        let units = match size {
            Size::Units(u) if self.fractional => u,
            Size::Units(u) => u.floor(),
            Size::EquityFraction(f) => {
                let budget = f * self.cash;
                let unit_cost = price * (1.0 + self.commission);
                if self.fractional {
                    budget / unit_cost
                } else {
                    floor_div(budget, unit_cost)
                }
            }
        };
        if !(units > 0.0 && units.is_finite()) {
            return;
        }
        let commission = units * price * self.commission;
        self.cash -= side.dir() * units * price + commission;
        self.commissions += commission;
        self.pos = Some(Position {
            side,
            units,
            entry_price: price,
            entry_bar: bar,
            entry_commission: commission,
            best: price,
        });
    }

    /// Closes the position at `price` (already slipped) on `bar`.
    fn close(&mut self, price: f64, bar: usize, reason: ExitReason) {
        let Some(p) = self.pos.take() else { return };
        let commission = p.units * price * self.commission;
        self.cash += p.side.dir() * p.units * price - commission;
        self.commissions += commission;
        self.trades
            .push(trade(self.bars, &p, price, bar, commission, reason));
    }

    /// Checks the stops of a position entered before `bar` against the bar's range.
    fn check_stops(&mut self, stops: &Stops, bar: usize) {
        let Some(p) = &self.pos else { return };
        let (o, h, l) = (
            self.bars.open()[bar],
            self.bars.high()[bar],
            self.bars.low()[bar],
        );
        let d = p.side.dir();
        // The protective level nearest the price: the higher of stop-loss and trailing for a
        // long, the lower for a short. A tie counts as the stop-loss.
        let sl = stops
            .stop_loss
            .map(|f| (p.entry_price * (1.0 - d * f), ExitReason::StopLoss));
        let tr = stops
            .trailing
            .map(|f| (p.best * (1.0 - d * f), ExitReason::TrailingStop));
        let stop = match (sl, tr) {
            (Some(a), Some(b)) => Some(if d * b.0 > d * a.0 { b } else { a }),
            (a, b) => a.or(b),
        };
        let buying_back = p.side == Side::Short;
        if let Some((level, reason)) = stop {
            // Long: triggered when the price trades at or below the level.
            if d * o <= d * level {
                let px = self.fill(o, buying_back);
                return self.close(px, bar, reason);
            }
            if d * (if d > 0.0 { l } else { h }) <= d * level {
                let px = self.fill(level, buying_back);
                return self.close(px, bar, reason);
            }
        }
        if let Some(f) = stops.take_profit {
            let level = p.entry_price * (1.0 + d * f);
            if d * o >= d * level {
                let px = self.fill(o, buying_back);
                return self.close(px, bar, ExitReason::TakeProfit);
            }
            if d * (if d > 0.0 { h } else { l }) >= d * level {
                let px = self.fill(level, buying_back);
                self.close(px, bar, ExitReason::TakeProfit);
            }
        }
    }
}

fn trade(
    bars: &Bars,
    p: &Position,
    price: f64,
    bar: usize,
    exit_commission: f64,
    reason: ExitReason,
) -> Trade {
    let commission = p.entry_commission + exit_commission;
    let pnl = p.side.dir() * p.units * (price - p.entry_price) - commission;
    Trade {
        side: p.side,
        entry_bar: p.entry_bar,
        exit_bar: bar,
        entry_time: bars.time()[p.entry_bar],
        exit_time: bars.time()[bar],
        entry_price: p.entry_price,
        exit_price: price,
        size: p.units,
        pnl,
        pnl_pct: pnl / (p.units * p.entry_price) * 100.0,
        bars_held: bar - p.entry_bar,
        commission,
        exit_reason: reason,
    }
}

/// Pending order bits decided at a close, filled at the next open.
const P_EXIT: u8 = 1;
const P_LONG: u8 = 2;
const P_SHORT: u8 = 4;

fn simulate(
    plan: &Plan,
    bars: &Bars,
    flags: Vec<u8>,
    sizer: &dyn Fn(Side, usize) -> Option<Size>,
) -> BacktestResult {
    let s = &plan.settings;
    let n = bars.len().min(flags.len());
    let mut acct = Account {
        bars,
        cash: s.initial_cash,
        commission: s.commission,
        slip: s.slippage_bps / 10_000.0,
        fractional: s.fractional,
        pos: None,
        trades: Vec::new(),
        commissions: 0.0,
    };
    let has_stops =
        |st: &Stops| st.stop_loss.is_some() || st.take_profit.is_some() || st.trailing.is_some();
    let (long_stops, short_stops) = (has_stops(&plan.long_stops), has_stops(&plan.short_stops));
    let close = bars.close();
    let mut equity = vec![s.initial_cash; bars.len()];
    let mut pending = 0u8;
    // Sizes are looked up at the signal bar, where the entry node fired.
    let mut pending_size: Option<Size> = None;
    let mut in_market = 0u64;
    let mut t = 0;
    while t < n {
        if pending != 0 {
            if pending & P_EXIT != 0 {
                if let Some(p) = &acct.pos {
                    let reason = if pending & (P_LONG | P_SHORT) != 0 {
                        ExitReason::Reverse
                    } else {
                        ExitReason::Signal
                    };
                    let px = acct.fill(bars.open()[t], p.side == Side::Short);
                    acct.close(px, t, reason);
                }
            }
            if acct.pos.is_none() {
                if let Some(size) = pending_size.take() {
                    let side = if pending & P_LONG != 0 {
                        Side::Long
                    } else {
                        Side::Short
                    };
                    acct.open(side, size, t);
                }
            }
            pending = 0;
            pending_size = None;
        }
        if let Some(p) = &acct.pos {
            let (side, entered) = (p.side, p.entry_bar);
            if entered < t {
                match side {
                    Side::Long if long_stops => acct.check_stops(&plan.long_stops, t),
                    Side::Short if short_stops => acct.check_stops(&plan.short_stops, t),
                    _ => {}
                }
            }
            if let Some(p) = &mut acct.pos {
                p.best = match p.side {
                    Side::Long => p.best.max(bars.high()[t]),
                    Side::Short => p.best.min(bars.low()[t]),
                };
            }
        }
        let f = flags[t];
        if f != 0 && t + 1 < n {
            match acct.pos.as_ref().map(|p| p.side) {
                Some(Side::Long) => {
                    if f & (EXIT_LONG | ENTER_SHORT) != 0 {
                        pending = P_EXIT;
                    }
                    if f & ENTER_SHORT != 0 {
                        pending |= P_SHORT;
                        pending_size = sizer(Side::Short, t);
                    }
                }
                Some(Side::Short) => {
                    if f & (EXIT_SHORT | ENTER_LONG) != 0 {
                        pending = P_EXIT;
                    }
                    if f & ENTER_LONG != 0 {
                        pending |= P_LONG;
                        pending_size = sizer(Side::Long, t);
                    }
                }
                None => {
                    if f & ENTER_LONG != 0 {
                        pending = P_LONG;
                        pending_size = sizer(Side::Long, t);
                    } else if f & ENTER_SHORT != 0 {
                        pending = P_SHORT;
                        pending_size = sizer(Side::Short, t);
                    }
                }
            }
        }
        equity[t] = match &acct.pos {
            Some(p) => {
                in_market += 1;
                acct.cash + p.side.dir() * p.units * close[t]
            }
            None => acct.cash,
        };
        t += 1;
        // A quiet stretch (no order pending, no signal, no stop to watch) only marks equity to
        // the close, with the same arithmetic as above; skip to the next signal.
        let watching = acct.pos.as_ref().is_some_and(|p| match p.side {
            Side::Long => long_stops,
            Side::Short => short_stops,
        });
        if pending == 0 && !watching && t < n {
            let end = flags[t..n]
                .iter()
                .position(|&f| f != 0)
                .map_or(n, |k| t + k);
            match &acct.pos {
                Some(p) => {
                    let (cash, d, units) = (acct.cash, p.side.dir(), p.units);
                    for (e, &c) in equity[t..end].iter_mut().zip(&close[t..end]) {
                        *e = cash + d * units * c;
                    }
                    in_market += (end - t) as u64;
                }
                None => equity[t..end].fill(acct.cash),
            }
            t = end;
        }
    }
    let open_trade = match (&acct.pos, n) {
        (Some(p), n) if n > 0 => Some(trade(bars, p, close[n - 1], n - 1, 0.0, ExitReason::Open)),
        _ => None,
    };
    let drawdown_pct = metrics::drawdown_pct(&equity);
    let m = metrics::compute(
        &metrics::Inputs {
            time: bars.time(),
            close,
            equity: &equity,
            drawdown_pct: &drawdown_pct,
            initial: s.initial_cash,
            bars_in_market: in_market,
            periods_per_year: s.periods_per_year,
        },
        &acct.trades,
        open_trade.is_some(),
        acct.commissions,
    );
    BacktestResult {
        metrics: m,
        trades: acct.trades,
        open_trade,
        equity,
        drawdown_pct,
        signals: flags,
        params: plan.params.clone(),
        hash: result_hash(plan, bars),
    }
}

/// Hex BLAKE3 over the graph hash, the data hash, the parameter values and the settings.
pub fn result_hash(plan: &Plan, bars: &Bars) -> String {
    let mut h = blake3::Hasher::new();
    h.update(&plan.graph_hash);
    h.update(&bars.hash());
    for (name, value) in &plan.params {
        h.update(&(name.len() as u64).to_le_bytes());
        h.update(name.as_bytes());
        h.update(&value.to_bits().to_le_bytes());
    }
    let s = &plan.settings;
    for v in [
        s.initial_cash,
        s.commission,
        s.slippage_bps,
        s.periods_per_year,
    ] {
        h.update(&v.to_bits().to_le_bytes());
    }
    h.update(&[u8::from(s.fractional)]);
    h.finalize().to_hex().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_div_is_exact() {
        assert_eq!(floor_div(10_000.0, 100.0), 100.0);
        assert_eq!(floor_div(10_000.0, 100.01), 99.0);
        // 0.3 / 0.1 rounds to 3.0000000000000004 but the exact quotient is just below 3.
        assert_eq!(floor_div(0.3, 0.1), 2.0);
        assert_eq!(floor_div(0.0, 5.0), 0.0);
    }
}
