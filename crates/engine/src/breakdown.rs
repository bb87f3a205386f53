//! A closer look at one backtest, as a strategy tester shows it: the metrics of long and short
//! trades apart, the return of every calendar month, and each trade's run-up and drawdown (the
//! best and worst price it saw between entry and exit).

use chrono::{DateTime, Datelike};
use serde::Serialize;

use crate::backtest::{ExitReason, Side, Trade};
use crate::bars::Bars;

/// Statistics of a group of closed trades.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SideStats {
    /// Closed trades.
    pub trades: u64,
    /// Winning trades (pnl > 0).
    pub wins: u64,
    /// `wins / trades × 100`; `None` without trades.
    pub win_rate_pct: Option<f64>,
    /// Sum of pnl.
    pub net_pnl: f64,
    /// Sum of winning pnl.
    pub gross_profit: f64,
    /// Sum of losing pnl (≤ 0).
    pub gross_loss: f64,
    /// `gross_profit / |gross_loss|`; `None` without a losing trade.
    pub profit_factor: Option<f64>,
    /// Mean pnl %; `None` without trades.
    pub avg_trade_pct: Option<f64>,
}

/// The return of one calendar month (UTC).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthReturn {
    /// Year.
    pub year: i32,
    /// Month, 1 to 12.
    pub month: u32,
    /// `(equity at the month's last bar / equity at the previous month's last bar − 1) × 100`;
    /// the first month starts from the starting cash.
    pub return_pct: f64,
}

/// How far the price went for and against one trade while it was open.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Excursion {
    /// Best move in the trade's favour from the entry price (highs for a long, lows for a
    /// short) over the bars it was open (the entry bar up to the exit bar, whose exit price
    /// counts but not the rest of its range), in percent of the entry price (≥ 0).
    pub run_up_pct: f64,
    /// The same move in money: percent × size × entry price.
    pub run_up: f64,
    /// Worst move against the trade, in percent of the entry price (≤ 0).
    pub drawdown_pct: f64,
    /// The same move in money (≤ 0).
    pub drawdown: f64,
}

/// Everything [`breakdown`] works out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breakdown {
    /// All closed trades.
    pub all: SideStats,
    /// Long trades.
    pub long: SideStats,
    /// Short trades.
    pub short: SideStats,
    /// Every month of the data, in order.
    pub monthly: Vec<MonthReturn>,
    /// One per closed trade, in the trades' order.
    pub excursions: Vec<Excursion>,
}

fn side_stats<'a>(trades: impl Iterator<Item = &'a Trade>) -> SideStats {
    let mut s = SideStats::default();
    let mut pct_sum = 0.0;
    for t in trades {
        s.trades += 1;
        s.net_pnl += t.pnl;
        pct_sum += t.pnl_pct;
        if t.pnl > 0.0 {
            s.wins += 1;
            s.gross_profit += t.pnl;
        } else if t.pnl < 0.0 {
            s.gross_loss += t.pnl;
        }
    }
    if s.trades > 0 {
        s.win_rate_pct = Some(s.wins as f64 / s.trades as f64 * 100.0);
        s.avg_trade_pct = Some(pct_sum / s.trades as f64);
    }
    if s.gross_loss < 0.0 {
        s.profit_factor = Some(s.gross_profit / s.gross_loss.abs());
    }
    s
}

fn month_of(ms: i64) -> Option<(i32, u32)> {
    let d = DateTime::from_timestamp_millis(ms)?;
    Some((d.year(), d.month()))
}

/// The monthly returns of `equity` (one value per bar of `time`) from `initial`.
pub fn monthly_returns(time: &[i64], equity: &[f64], initial: f64) -> Vec<MonthReturn> {
    let n = time.len().min(equity.len());
    let mut out = Vec::new();
    let mut start = initial;
    for i in 0..n {
        let here = month_of(time[i]);
        let last = i + 1 == n || month_of(time[i + 1]) != here;
        if let (true, Some((year, month))) = (last, here) {
            out.push(MonthReturn {
                year,
                month,
                return_pct: (equity[i] / start - 1.0) * 100.0,
            });
            start = equity[i];
        }
    }
    out
}

/// The run-up and drawdown of `t` over `bars`: the full range of every bar from the entry bar
/// to the bar before the exit, and the exit price (what happened in the exit bar after the
/// exit fill is not the trade's). Bars outside the data count as none.
pub fn excursion(bars: &Bars, t: &Trade) -> Excursion {
    let (hi, lo) = (bars.high(), bars.low());
    let end = t.exit_bar.min(hi.len());
    let (mut best, mut worst) = (
        t.entry_price.max(t.exit_price),
        t.entry_price.min(t.exit_price),
    );
    for i in t.entry_bar..end {
        best = best.max(hi[i]);
        worst = worst.min(lo[i]);
    }
    let (fav, adv) = match t.side {
        Side::Long => (best - t.entry_price, worst - t.entry_price),
        Side::Short => (t.entry_price - worst, t.entry_price - best),
    };
    let pct = |d: f64| d / t.entry_price * 100.0;
    Excursion {
        run_up_pct: pct(fav),
        run_up: fav * t.size,
        drawdown_pct: pct(adv),
        drawdown: adv * t.size,
    }
}

/// The breakdown of a backtest over `bars` with close-marked `equity`, its `trades` (an open
/// one, if given, is left out) and its starting cash.
pub fn breakdown(bars: &Bars, equity: &[f64], trades: &[Trade], initial: f64) -> Breakdown {
    let closed: Vec<&Trade> = trades
        .iter()
        .filter(|t| t.exit_reason != ExitReason::Open)
        .collect();
    Breakdown {
        all: side_stats(closed.iter().copied()),
        long: side_stats(closed.iter().copied().filter(|t| t.side == Side::Long)),
        short: side_stats(closed.iter().copied().filter(|t| t.side == Side::Short)),
        monthly: monthly_returns(bars.time(), equity, initial),
        excursions: closed.iter().map(|t| excursion(bars, t)).collect(),
    }
}
