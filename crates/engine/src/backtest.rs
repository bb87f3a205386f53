//! The batch backtest: fills at the next open, sizing, stops, equity and the trade list,
//! following the rules of `docs/backtest-semantics.md`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use crate::bars::Bars;
use crate::compile::{Plan, Size, Stops};
use crate::eval::{evaluate_for_orders, Cancelled, Evaluation};
use crate::metrics::{self, EquityPass, Metrics};

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
    run_with(
        plan,
        bars,
        cancel,
        progress,
        |flags, size_of| {
            let sim = simulate_core(plan, bars, &flags, size_of);
            finish(plan, bars, sim, flags)
        },
        |sim, flags| finish(plan, bars, sim, flags),
    )
}

/// [`run`] without the equity curve, which is never held whole: the result's `equity` is
/// empty, and the daily returns its metrics were computed from come with it (for the
/// robustness statistics). The metrics, trades and hash are [`run`]'s.
///
/// # Errors
/// [`Cancelled`] when `cancel` is set during the run.
pub fn run_without_curve(
    plan: &Plan,
    bars: &Bars,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(f64),
) -> Result<(BacktestResult, Vec<f64>), Cancelled> {
    let ends = crate::robust::returns::day_ends(bars.time());
    let result = |metrics, run: Run, signals| BacktestResult {
        metrics,
        trades: run.trades,
        open_trade: run.open_trade,
        equity: Vec::new(),
        signals,
        params: plan.params.clone(),
        hash: result_hash(plan, bars),
    };
    run_with(
        plan,
        bars,
        cancel,
        progress,
        |flags, size_of| {
            let (m, rets, run) =
                simulate_to_metrics(plan, bars, &flags, size_of, &ends, Vec::new());
            (result(m, run, flags), rets)
        },
        |sim, flags| {
            let rets = crate::robust::returns::daily_returns(&sim.equity, &ends);
            let mut r = finish(plan, bars, sim, flags);
            r.equity = Vec::new();
            (r, rets)
        },
    )
}

/// The run shared by [`run`] and [`run_without_curve`]: the plan evaluated for its orders,
/// then `signalled` with the order signals and entry sizes when they do not depend on the
/// position, else `fed_back` with the simulation that computed them bar by bar.
fn run_with<T>(
    plan: &Plan,
    bars: &Bars,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(f64),
    signalled: impl FnOnce(Vec<u8>, &dyn Fn(Side, usize) -> Option<Size>) -> T,
    fed_back: impl FnOnce(Simulation, Vec<u8>) -> T,
) -> Result<T, Cancelled> {
    let _spare = crate::eval::SpareBuffers::keep();
    // Crosses, moving averages and other steps that only make order signals are computed a
    // chunk at a time with the signals, never as whole columns.
    let deferred = crate::fused::deferrable(plan);
    let mut ev = evaluate_for_orders(plan, bars, &deferred, cancel, &mut |f| progress(f * 0.8))?;
    if cancel.load(Ordering::Relaxed) {
        return Err(Cancelled);
    }
    let out = if deferred.contains(&true) {
        let mut flags = Vec::new();
        let fused = crate::fused::deferred_signals(plan, bars, &mut ev, &deferred, &mut flags);
        let size_of = |side: Side, i: usize| crate::fused::entry_size(plan, &ev, fused, side, i);
        signalled(flags, &size_of)
    } else {
        let (sim, flags) = crate::feedback::simulate(plan, bars, &mut ev, None);
        fed_back(sim, flags)
    };
    progress(1.0);
    Ok(out)
}

/// The size of the first entry node on `side` that fired at bar `i`.
pub(crate) fn entry_size(plan: &Plan, ev: &Evaluation<'_>, side: Side, i: usize) -> Option<Size> {
    let entries = match side {
        Side::Long => &plan.enter_long,
        Side::Short => &plan.enter_short,
    };
    entries
        .iter()
        .find(|e| ev.at(e.when, i) == 1.0)
        .map(|e| e.size)
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

/// One bar's prices, as the account sees them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BarPrices {
    /// Bar time, ms UTC.
    pub time: i64,
    /// Opening price.
    pub open: f64,
    /// Highest price.
    pub high: f64,
    /// Lowest price.
    pub low: f64,
    /// Closing price.
    pub close: f64,
}

impl BarPrices {
    /// Bar `i` of `bars`.
    pub fn of(bars: &Bars, i: usize) -> Self {
        BarPrices {
            time: bars.time()[i],
            open: bars.open()[i],
            high: bars.high()[i],
            low: bars.low()[i],
            close: bars.close()[i],
        }
    }
}

/// An open position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Position {
    /// Long or short.
    pub side: Side,
    /// Units held (positive).
    pub units: f64,
    /// Entry fill price, slippage included.
    pub entry_price: f64,
    /// Bar index of the entry fill.
    pub entry_bar: usize,
    /// Time of the entry fill, ms UTC.
    pub entry_time: i64,
    /// Commission paid on entry.
    pub entry_commission: f64,
    /// Best price since entry: highest high (long) or lowest low (short), fill price included.
    /// Tracked while the position has stops to watch (only trailing stops read it).
    pub best: f64,
}

/// Pending order bits decided at a close, filled at the next open.
const P_EXIT: u8 = 1;
const P_LONG: u8 = 2;
const P_SHORT: u8 = 4;

/// The account: cash, the position, the order waiting for the next open, and the rules that
/// move them bar by bar. Batch and streaming runs share it, so they trade identically.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Book {
    /// Cash, after every fill and commission so far.
    pub cash: f64,
    /// The open position, if any.
    pub position: Option<Position>,
    commission: f64,
    slip: f64,
    fractional: bool,
    long_stops: Stops,
    short_stops: Stops,
    pending: u8,
    pending_size: Option<Size>,
    /// Commissions paid so far.
    pub commissions: f64,
    /// Bars that closed with a position open.
    pub bars_in_market: u64,
}

impl Book {
    /// A flat account with the plan's settings and stops.
    pub fn new(plan: &Plan) -> Self {
        let s = &plan.settings;
        Book {
            cash: s.initial_cash,
            position: None,
            commission: s.commission,
            slip: s.slippage_bps / 10_000.0,
            fractional: s.fractional,
            long_stops: plan.long_stops,
            short_stops: plan.short_stops,
            pending: 0,
            pending_size: None,
            commissions: 0.0,
            bars_in_market: 0,
        }
    }

    /// Fill price of a market order at `price`, moved against the trader by the slippage.
    fn fill(&self, price: f64, buying: bool) -> f64 {
        if buying {
            price * (1.0 + self.slip)
        } else {
            price * (1.0 - self.slip)
        }
    }

    fn open(&mut self, side: Side, size: Size, bar: usize, b: &BarPrices) {
        let price = self.fill(b.open, side == Side::Long);
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
        // As backtesting.py does: an order for a number of units whose cost (commission
        // included) is more than the cash is cancelled, never filled on credit; shorts need
        // the same cover. Fractions of equity are sized within the cash already.
        if matches!(size, Size::Units(_)) && units * price + commission > self.cash {
            return;
        }
        self.cash -= side.dir() * units * price + commission;
        self.commissions += commission;
        self.position = Some(Position {
            side,
            units,
            entry_price: price,
            entry_bar: bar,
            entry_time: b.time,
            entry_commission: commission,
            best: price,
        });
    }

    /// Closes the position at `price` (already slipped) on `bar`.
    fn close(&mut self, price: f64, bar: usize, time: i64, reason: ExitReason) -> Option<Trade> {
        let p = self.position.take()?;
        let commission = p.units * price * self.commission;
        self.cash += p.side.dir() * p.units * price - commission;
        self.commissions += commission;
        Some(trade(&p, price, bar, time, commission, reason))
    }

    /// At the open of bar `t`: fills the order decided at the previous close.
    pub fn on_open(&mut self, t: usize, b: &BarPrices) -> Option<Trade> {
        if self.pending == 0 {
            return None;
        }
        let mut closed = None;
        if self.pending & P_EXIT != 0 {
            if let Some(p) = &self.position {
                let reversing = self.pending & (P_LONG | P_SHORT) != 0;
                let reason = if reversing {
                    ExitReason::Reverse
                } else {
                    ExitReason::Signal
                };
                let px = self.fill(b.open, p.side == Side::Short);
                closed = self.close(px, t, b.time, reason);
            }
        }
        if self.position.is_none() {
            if let Some(size) = self.pending_size.take() {
                let side = if self.pending & P_LONG != 0 {
                    Side::Long
                } else {
                    Side::Short
                };
                self.open(side, size, t, b);
            }
        }
        self.pending = 0;
        self.pending_size = None;
        closed
    }

    /// True when the position has stops that must be checked bar by bar.
    fn watching(&self) -> bool {
        self.position.as_ref().is_some_and(|p| {
            let st = match p.side {
                Side::Long => &self.long_stops,
                Side::Short => &self.short_stops,
            };
            st.stop_loss.is_some() || st.take_profit.is_some() || st.trailing.is_some()
        })
    }

    /// During bar `t`: checks the stops of a position entered before `t` against the bar's
    /// range, then moves the position's best price. Nothing to do without stops to watch.
    pub fn on_range(&mut self, t: usize, b: &BarPrices) -> Option<Trade> {
        if !self.watching() {
            return None;
        }
        let p = self.position.as_ref()?;
        let closed = if p.entry_bar < t {
            let stops = match p.side {
                Side::Long => self.long_stops,
                Side::Short => self.short_stops,
            };
            self.check_stops(&stops, t, b)
        } else {
            None
        };
        if let Some(p) = &mut self.position {
            p.best = match p.side {
                Side::Long => p.best.max(b.high),
                Side::Short => p.best.min(b.low),
            };
        }
        closed
    }

    fn check_stops(&mut self, stops: &Stops, t: usize, b: &BarPrices) -> Option<Trade> {
        let p = self.position.as_ref()?;
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
        let (adverse, favourable) = if d > 0.0 {
            (b.low, b.high)
        } else {
            (b.high, b.low)
        };
        let tp = stops.take_profit.map(|f| p.entry_price * (1.0 + d * f));
        // Gaps first: a bar that opens through a level fills there at the open, whatever
        // the range does later. Only the range after the open is ordered stop-first.
        if let Some((level, reason)) = stop {
            // Long: triggered when the price trades at or below the level.
            if d * b.open <= d * level {
                let px = self.fill(b.open, buying_back);
                return self.close(px, t, b.time, reason);
            }
        }
        if let Some(level) = tp {
            if d * b.open >= d * level {
                let px = self.fill(b.open, buying_back);
                return self.close(px, t, b.time, ExitReason::TakeProfit);
            }
        }
        if let Some((level, reason)) = stop {
            if d * adverse <= d * level {
                let px = self.fill(level, buying_back);
                return self.close(px, t, b.time, reason);
            }
        }
        if let Some(level) = tp {
            if d * favourable >= d * level {
                let px = self.fill(level, buying_back);
                return self.close(px, t, b.time, ExitReason::TakeProfit);
            }
        }
        None
    }

    /// At the close of bar `t`: turns the signals that fired into the order for the next
    /// open. `size_of` gives the size of the entry node that fired on a side.
    pub fn on_close(&mut self, t: usize, flags: u8, size_of: &dyn Fn(Side, usize) -> Option<Size>) {
        if flags == 0 {
            return;
        }
        match self.position.as_ref().map(|p| p.side) {
            Some(Side::Long) => {
                if flags & (EXIT_LONG | ENTER_SHORT) != 0 {
                    self.pending = P_EXIT;
                }
                if flags & ENTER_SHORT != 0 {
                    self.pending |= P_SHORT;
                    self.pending_size = size_of(Side::Short, t);
                }
            }
            Some(Side::Short) => {
                if flags & (EXIT_SHORT | ENTER_LONG) != 0 {
                    self.pending = P_EXIT;
                }
                if flags & ENTER_LONG != 0 {
                    self.pending |= P_LONG;
                    self.pending_size = size_of(Side::Long, t);
                }
            }
            None => {
                if flags & ENTER_LONG != 0 {
                    self.pending = P_LONG;
                    self.pending_size = size_of(Side::Long, t);
                } else if flags & ENTER_SHORT != 0 {
                    self.pending = P_SHORT;
                    self.pending_size = size_of(Side::Short, t);
                }
            }
        }
    }

    /// True when an order decided at the last close waits for the next open.
    pub fn has_pending_order(&self) -> bool {
        self.pending != 0
    }

    /// Drops the order waiting for the next open (a paper run's "skip the late order").
    pub fn cancel_pending(&mut self) {
        self.pending = 0;
        self.pending_size = None;
    }

    /// The commission rate charged on traded value.
    pub fn commission_rate(&self) -> f64 {
        self.commission
    }

    /// Equity marked at `close`, counting the bar as in the market when a position is open.
    pub fn mark(&mut self, close: f64) -> f64 {
        match &self.position {
            Some(p) => {
                self.bars_in_market += 1;
                self.cash + p.side.dir() * p.units * close
            }
            None => self.cash,
        }
    }

    /// The open position as a trade marked at `b`'s close (bar `t`).
    pub fn open_trade(&self, t: usize, b: &BarPrices) -> Option<Trade> {
        let p = self.position.as_ref()?;
        Some(trade(p, b.close, t, b.time, 0.0, ExitReason::Open))
    }
}

fn trade(
    p: &Position,
    price: f64,
    bar: usize,
    time: i64,
    exit_commission: f64,
    reason: ExitReason,
) -> Trade {
    let commission = p.entry_commission + exit_commission;
    let pnl = p.side.dir() * p.units * (price - p.entry_price) - commission;
    Trade {
        side: p.side,
        entry_bar: p.entry_bar,
        exit_bar: bar,
        entry_time: p.entry_time,
        exit_time: time,
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

/// What [`simulate_core`] produces: everything but the curves' derived views.
pub(crate) struct Simulation {
    pub(crate) book: Book,
    pub(crate) trades: Vec<Trade>,
    pub(crate) open_trade: Option<Trade>,
    pub(crate) equity: Vec<f64>,
}

impl Simulation {
    /// The run's metrics over `bars`.
    pub(crate) fn metrics(&self, plan: &Plan, bars: &Bars) -> Metrics {
        metrics::compute(
            &metrics::Inputs {
                time: bars.time(),
                close: bars.close(),
                equity: &self.equity,
                initial: plan.settings.initial_cash,
                bars_in_market: self.book.bars_in_market,
                periods_per_year: plan.settings.periods_per_year,
            },
            &self.trades,
            self.open_trade.is_some(),
            self.book.commissions,
        )
    }
}

/// Where a simulation writes its close-marked equity: every bar once, in order.
pub(crate) trait EquitySink {
    /// The next bar's equity.
    fn push(&mut self, e: f64);
    /// A quiet stretch holding `units` in direction `d` over bars closing at `close`: the
    /// equity [`Book::mark`] gives for each.
    fn marked(&mut self, cash: f64, d: f64, units: f64, close: &[f64]);
    /// A quiet stretch of `bars` bars without a position.
    fn flat(&mut self, cash: f64, bars: usize);
}

impl EquitySink for Vec<f64> {
    #[inline]
    fn push(&mut self, e: f64) {
        Vec::push(self, e);
    }
    fn marked(&mut self, cash: f64, d: f64, units: f64, close: &[f64]) {
        self.extend(close.iter().map(|&c| cash + d * units * c));
    }
    fn flat(&mut self, cash: f64, bars: usize) {
        self.resize(self.len() + bars, cash);
    }
}

/// The account after a run over every bar, without the equity (which went to a sink).
pub(crate) struct Run {
    pub(crate) book: Book,
    pub(crate) trades: Vec<Trade>,
    pub(crate) open_trade: Option<Trade>,
}

/// Runs the account over every bar. A quiet stretch (no order pending, no signal, no stop to
/// watch) only marks equity to the close, with [`Book::mark`]'s arithmetic, so it is skipped
/// in one pass.
pub(crate) fn simulate_core(
    plan: &Plan,
    bars: &Bars,
    flags: &[u8],
    size_of: &dyn Fn(Side, usize) -> Option<Size>,
) -> Simulation {
    let mut equity = crate::eval::buffer(bars.len());
    let run = simulate_into(plan, bars, flags, size_of, &mut equity, Vec::new());
    Simulation {
        book: run.book,
        trades: run.trades,
        open_trade: run.open_trade,
        equity,
    }
}

/// The time and open of every bar after a signal (where orders fill), read in one pass before
/// the simulation: the reads, each likely a cache miss, then overlap instead of each stalling
/// a fill.
struct FillPrices {
    /// Bar index, time and open, by bar.
    bars: Vec<(usize, i64, f64)>,
    next: usize,
}

impl FillPrices {
    fn gather(bars: &Bars, flags: &[u8]) -> Self {
        let (time, open) = (bars.time(), bars.open());
        let end = time.len().min(open.len());
        let mut bars = Vec::new();
        let mut t = 0;
        while let Some(k) = crate::swar::first_nonzero(flags, t) {
            if k + 1 >= end {
                break;
            }
            bars.push((k + 1, time[k + 1], open[k + 1]));
            t = k + 1;
        }
        FillPrices { bars, next: 0 }
    }

    /// The time and open of bar `t` (asked for in increasing `t`).
    #[inline]
    fn at(&mut self, t: usize, time: &[i64], open: &[f64]) -> (i64, f64) {
        while self.bars.get(self.next).is_some_and(|b| b.0 < t) {
            self.next += 1;
        }
        match self.bars.get(self.next) {
            Some(&(at, tm, op)) if at == t => (tm, op),
            _ => (time[t], open[t]),
        }
    }
}

/// [`simulate_core`] with the equity of every bar written to `sink`, the trades appended to
/// `trades` (an empty vector whose memory is reused).
pub(crate) fn simulate_into<S: EquitySink>(
    plan: &Plan,
    bars: &Bars,
    flags: &[u8],
    size_of: &dyn Fn(Side, usize) -> Option<Size>,
    sink: &mut S,
    mut trades: Vec<Trade>,
) -> Run {
    let n = bars.len().min(flags.len());
    let close = bars.close();
    let mut book = Book::new(plan);
    trades.clear();
    let mut t = 0;
    let (time, open, high, low) = (bars.time(), bars.open(), bars.high(), bars.low());
    let mut fills = FillPrices::gather(bars, &flags[..n]);
    while t < n {
        // The other prices matter only to an order filling at this open (its time and open)
        // or to stops (the range): each is read only when needed, as each read is likely a
        // cache miss.
        if book.pending != 0 || book.watching() {
            let (time, open) = fills.at(t, time, open);
            let mut b = BarPrices {
                time,
                open,
                high: f64::NAN,
                low: f64::NAN,
                close: close[t],
            };
            trades.extend(book.on_open(t, &b));
            if book.watching() {
                (b.high, b.low) = (high[t], low[t]);
                trades.extend(book.on_range(t, &b));
            }
        }
        book.on_close(t, flags[t], size_of);
        sink.push(book.mark(close[t]));
        t += 1;
        if book.pending == 0 && !book.watching() && t < n {
            let end = crate::swar::first_nonzero(&flags[..n], t).unwrap_or(n);
            match &book.position {
                Some(p) => {
                    sink.marked(book.cash, p.side.dir(), p.units, &close[t..end]);
                    book.bars_in_market += (end - t) as u64;
                }
                None => sink.flat(book.cash, end - t),
            }
            t = end;
        }
    }
    // Bars past the signals (none in practice) keep the starting cash.
    sink.flat(plan.settings.initial_cash, bars.len() - n);
    let open_trade = if n > 0 {
        book.open_trade(n - 1, &BarPrices::of(bars, n - 1))
    } else {
        None
    };
    Run {
        book,
        trades,
        open_trade,
    }
}

/// Bars of equity held at once by a run that does not keep its curve (a sweep's combination,
/// a backtest without its curve): 32 KiB, which stays in the core's cache.
const EQUITY_CHUNK: usize = 4096;

/// Equity handed to the metrics' pass in chunks of [`EQUITY_CHUNK`] bars.
struct ChunkedEquity<'a> {
    buf: Vec<f64>,
    pass: EquityPass<'a>,
}

impl ChunkedEquity<'_> {
    fn flush(&mut self) {
        self.pass.feed(&self.buf);
        self.buf.clear();
    }

    /// Room left in the chunk, flushing a full one first.
    #[inline]
    fn room(&mut self) -> usize {
        if self.buf.len() == EQUITY_CHUNK {
            self.flush();
        }
        EQUITY_CHUNK - self.buf.len()
    }
}

impl EquitySink for ChunkedEquity<'_> {
    #[inline]
    fn push(&mut self, e: f64) {
        self.room();
        self.buf.push(e);
    }
    fn marked(&mut self, cash: f64, d: f64, units: f64, mut close: &[f64]) {
        while !close.is_empty() {
            let (now, rest) = close.split_at(self.room().min(close.len()));
            self.buf.extend(now.iter().map(|&c| cash + d * units * c));
            close = rest;
        }
    }
    fn flat(&mut self, cash: f64, bars: usize) {
        if bars > 0 {
            self.flush();
            self.pass.feed_flat(cash, bars);
        }
    }
}

/// [`simulate_into`] with the equity going through the metrics chunk by chunk, never held
/// whole: the metrics, the daily returns (the bars' day `ends`) and the run.
pub(crate) fn simulate_to_metrics(
    plan: &Plan,
    bars: &Bars,
    flags: &[u8],
    size_of: &dyn Fn(Side, usize) -> Option<Size>,
    ends: &[usize],
    trades: Vec<Trade>,
) -> (Metrics, Vec<f64>, Run) {
    let mut sink = ChunkedEquity {
        buf: Vec::with_capacity(EQUITY_CHUNK),
        pass: EquityPass::new(bars.time(), ends),
    };
    let run = simulate_into(plan, bars, flags, size_of, &mut sink, trades);
    sink.flush();
    let pass = sink.pass;
    let rets = metrics::returns_of_closes(pass.closes());
    let inputs = metrics::Inputs {
        time: bars.time(),
        close: bars.close(),
        equity: &[],
        initial: plan.settings.initial_cash,
        bars_in_market: run.book.bars_in_market,
        periods_per_year: plan.settings.periods_per_year,
    };
    let m = metrics::from_pass(
        &inputs,
        &pass,
        &rets,
        &run.trades,
        run.open_trade.is_some(),
        run.book.commissions,
    );
    (m, rets, run)
}

fn simulate(
    plan: &Plan,
    bars: &Bars,
    flags: Vec<u8>,
    size_of: &dyn Fn(Side, usize) -> Option<Size>,
) -> BacktestResult {
    let sim = simulate_core(plan, bars, &flags, size_of);
    finish(plan, bars, sim, flags)
}

/// The result of a finished simulation.
fn finish(plan: &Plan, bars: &Bars, sim: Simulation, flags: Vec<u8>) -> BacktestResult {
    let m = sim.metrics(plan, bars);
    BacktestResult {
        metrics: m,
        trades: sim.trades,
        open_trade: sim.open_trade,
        equity: sim.equity,
        signals: flags,
        params: plan.params.clone(),
        hash: result_hash(plan, bars),
    }
}

/// The trade list as stored with a run: a JSON array of the closed trades in time order,
/// then the open trade (if any). Lives here so that it runs at the engine's optimisation
/// level even in dev builds (a long run has tens of thousands of trades).
///
/// # Errors
///
/// Only if serialisation fails (it does not for finite and non-finite floats alike).
pub fn trades_json(trades: &[Trade], open: Option<&Trade>) -> serde_json::Result<String> {
    let all: Vec<&Trade> = trades.iter().chain(open).collect();
    serde_json::to_string(&all)
}

/// Reads a trade list written by [`trades_json`] (or any JSON array of trades).
///
/// # Errors
///
/// When the text is not a JSON array of trades.
pub fn trades_from_json(text: &str) -> serde_json::Result<Vec<Trade>> {
    serde_json::from_str(text)
}

/// Feeds what identifies a plan to `h`: its graph hash, parameter values and settings.
pub(crate) fn hash_plan(h: &mut blake3::Hasher, plan: &Plan) {
    h.update(&plan.graph_hash);
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
}

/// Hex BLAKE3 over the graph hash, the parameter values, the settings and the data hash.
pub fn result_hash(plan: &Plan, bars: &Bars) -> String {
    let mut h = blake3::Hasher::new();
    hash_plan(&mut h, plan);
    h.update(&bars.hash());
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
