//! Performance metrics of a backtest, each defined once here with its formula.

use serde::{Deserialize, Serialize};

use crate::backtest::Trade;

const MS_PER_DAY: i64 = 86_400_000;

/// Headline statistics of one run. Percentages are in percent (12.5 means 12.5%).
/// A metric that is undefined for the run (no trades, no losing trade, one day of data…)
/// is `None` (JSON `null`), never a made-up number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Starting cash.
    pub initial_equity: f64,
    /// Equity at the last bar's close (an open position marked to market).
    pub final_equity: f64,
    /// `(final / initial - 1) * 100`.
    pub total_return_pct: f64,
    /// `((final / initial) ^ (365.25 / calendar days) - 1) * 100`, calendar days from the first
    /// to the last bar; `None` for less than one day.
    pub cagr_pct: Option<f64>,
    /// `(last close / first close - 1) * 100`.
    pub buy_hold_return_pct: f64,
    /// Largest fall of the close-marked equity from its running peak, as a negative percent
    /// `min_t (equity_t / max_{s<=t} equity_s - 1) * 100` (0 when it never falls).
    pub max_drawdown_pct: f64,
    /// Longest stretch, in bars, from a peak to the bar the equity regained it (or the end).
    pub max_drawdown_bars: u64,
    /// That stretch in calendar days.
    pub max_drawdown_days: f64,
    /// Sample standard deviation of daily returns times `sqrt(periods_per_year)`, in percent.
    /// Daily returns come from the equity resampled to the last value of each UTC day.
    pub volatility_ann_pct: Option<f64>,
    /// `mean(daily returns) / std(daily returns) * sqrt(periods_per_year)`, risk-free 0,
    /// sample standard deviation.
    pub sharpe: Option<f64>,
    /// `mean(daily returns) / downside deviation * sqrt(periods_per_year)`, where the downside
    /// deviation is `sqrt(mean(min(r, 0)^2))` over all daily returns.
    pub sortino: Option<f64>,
    /// `cagr_pct / |max_drawdown_pct|`.
    pub calmar: Option<f64>,
    /// Closed trades.
    pub trades: u64,
    /// Winning closed trades (pnl > 0) / closed trades * 100.
    pub win_rate_pct: Option<f64>,
    /// Sum of winning pnl / |sum of losing pnl|; `None` without a losing trade.
    pub profit_factor: Option<f64>,
    /// Mean pnl % of closed trades.
    pub avg_trade_pct: Option<f64>,
    /// Best closed trade's pnl %.
    pub best_trade_pct: Option<f64>,
    /// Worst closed trade's pnl %.
    pub worst_trade_pct: Option<f64>,
    /// Mean bars held by closed trades.
    pub avg_bars_held: Option<f64>,
    /// Mean time held by closed trades, in days.
    pub avg_holding_days: Option<f64>,
    /// Bars that closed with a position open / all bars * 100.
    pub exposure_pct: f64,
    /// Commissions paid, on closed trades and on the entry of an open one.
    pub commissions: f64,
    /// True when a position is still open at the end (marked to market, not in the trade stats).
    pub open_position: bool,
}

/// Everything [`compute`] needs besides the trades.
pub struct Inputs<'a> {
    /// Bar times (ms UTC).
    pub time: &'a [i64],
    /// Closing prices.
    pub close: &'a [f64],
    /// Close-marked equity per bar.
    pub equity: &'a [f64],
    /// Starting cash.
    pub initial: f64,
    /// Bars with a position open at the close.
    pub bars_in_market: u64,
    /// Annualisation factor for daily statistics.
    pub periods_per_year: f64,
}

/// Drawdown in percent of the running peak, per bar: `(equity / peak - 1) * 100`.
pub fn drawdown_pct(equity: &[f64]) -> Vec<f64> {
    let mut peak = f64::NEG_INFINITY;
    equity
        .iter()
        .map(|&e| {
            peak = peak.max(e);
            (e / peak - 1.0) * 100.0
        })
        .collect()
}

/// Equity at the last bar of each UTC day.
pub fn daily_closes(time: &[i64], equity: &[f64]) -> Vec<f64> {
    let mut out = Vec::new();
    let n = time.len().min(equity.len());
    // Start of the next UTC day after bar i's day; a bar at or past it ends bar i's day.
    let mut next_day = time
        .first()
        .map_or(0, |t| (t.div_euclid(MS_PER_DAY) + 1) * MS_PER_DAY);
    for i in 0..n {
        if i + 1 == n || time[i + 1] >= next_day {
            out.push(equity[i]);
            if i + 1 < n {
                next_day = (time[i + 1].div_euclid(MS_PER_DAY) + 1) * MS_PER_DAY;
            }
        }
    }
    out
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

fn sample_std(x: &[f64]) -> Option<f64> {
    if x.len() < 2 {
        return None;
    }
    let m = mean(x);
    Some((x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() - 1) as f64).sqrt())
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// The statistics of a close-marked equity curve that [`compute`] needs (drawdowns and the
/// equity at each day's end), gathered in one pass that may be fed in consecutive chunks, so a
/// sweep never holds a whole curve. Same arithmetic, in the same order, as [`drawdown_pct`] and
/// [`daily_closes`].
#[derive(Debug)]
pub(crate) struct EquityPass<'a> {
    time: &'a [i64],
    /// Indices of the last bar of each UTC day, ascending.
    ends: &'a [usize],
    next_end: usize,
    seen: usize,
    last: Option<f64>,
    max_dd: f64,
    peak: f64,
    longest: usize,
    longest_days: f64,
    start: usize,
    closes: Vec<f64>,
}

impl<'a> EquityPass<'a> {
    /// A pass over the equity of bars with times `time` whose days end at `ends`
    /// ([`crate::robust::returns::day_ends`]).
    pub(crate) fn new(time: &'a [i64], ends: &'a [usize]) -> Self {
        EquityPass {
            time,
            ends,
            next_end: 0,
            seen: 0,
            last: None,
            max_dd: 0.0,
            peak: f64::NEG_INFINITY,
            longest: 0,
            longest_days: 0.0,
            start: 0,
            closes: Vec::with_capacity(ends.len()),
        }
    }

    /// The next bars' equity, following the bars fed so far.
    pub(crate) fn feed(&mut self, equity: &[f64]) {
        let from = self.seen;
        let mut k = 0;
        while k < equity.len() {
            if self.peak > 0.0 && self.peak < f64::INFINITY {
                k += self.feed_below_peak(from + k, &equity[k..]);
            }
            if let Some(&e) = equity.get(k) {
                self.feed_bar(from + k, e);
                k += 1;
            }
        }
        let to = from + equity.len();
        while let Some(&i) = self.ends.get(self.next_end) {
            if i >= to {
                break;
            }
            if let Some(&e) = equity.get(i - from) {
                self.closes.push(e);
            }
            self.next_end += 1;
        }
        self.seen = to;
        if let Some(&e) = equity.last() {
            self.last = Some(e);
        }
    }

    /// Bar `i` of equity `e`: the drawdown's definition, `(e / peak - 1) * 100`, as it reads.
    fn feed_bar(&mut self, i: usize, e: f64) {
        self.peak = self.peak.max(e);
        let dd = (e / self.peak - 1.0) * 100.0;
        self.max_dd = self.max_dd.min(dd);
        if dd >= 0.0 {
            self.start = i;
        }
        self.extend_stretch(i);
    }

    /// The drawdown stretch that began at `start` goes on to bar `i`.
    fn extend_stretch(&mut self, i: usize) {
        if i > self.start && i - self.start > self.longest {
            self.longest = i - self.start;
            if let (Some(a), Some(b)) = (self.time.get(self.start), self.time.get(i)) {
                self.longest_days = (b - a) as f64 / MS_PER_DAY as f64;
            }
        }
    }

    /// Bars from `first` on, with a finite positive peak, up to one of `+inf` equity (left to
    /// [`EquityPass::feed_bar`]); returns how many it took. The same results as `feed_bar`
    /// for each without a division per bar: under a positive peak the drawdown grows with the
    /// equity (each rounding step is monotone), so the deepest one of a stretch under one peak
    /// is that of its lowest equity; a stretch's length moves at its last bar; a bar at or
    /// above the peak starts a new stretch. Blocks of bars all below the peak are taken with a
    /// minimum and a maximum in four lanes.
    fn feed_below_peak(&mut self, first: usize, equity: &[f64]) -> usize {
        const BLOCK: usize = 64;
        let mut peak = self.peak;
        let mut low = f64::INFINITY;
        let mut k = 0;
        let mut taken = equity.len();
        'bars: while k < equity.len() {
            if let Some(block) = equity.get(k..k + BLOCK) {
                let (mut lo, mut hi) = ([f64::INFINITY; 4], [f64::NEG_INFINITY; 4]);
                for q in block.chunks_exact(4) {
                    for j in 0..4 {
                        lo[j] = lo[j].min(q[j]);
                        hi[j] = hi[j].max(q[j]);
                    }
                }
                if hi.iter().all(|&h| h < peak) {
                    low = lo.iter().fold(low, |a, &b| a.min(b));
                    k += BLOCK;
                    continue;
                }
            }
            let end = (k + BLOCK).min(equity.len());
            for (j, &e) in equity[k..end].iter().enumerate() {
                if e == f64::INFINITY {
                    taken = k + j;
                    break 'bars;
                }
                if e >= peak {
                    // The stretch under `peak` ends at the bar before.
                    self.close_stretch(peak, low, first + k + j);
                    (peak, low) = (e, f64::INFINITY);
                    self.start = first + k + j;
                } else {
                    low = low.min(e);
                }
            }
            k = end;
        }
        self.close_stretch(peak, low, first + taken);
        self.peak = peak;
        taken
    }

    /// The stretch under `peak` whose lowest equity is `low` runs to the bar before `end`.
    fn close_stretch(&mut self, peak: f64, low: f64, end: usize) {
        if low < peak {
            self.max_dd = self.max_dd.min((low / peak - 1.0) * 100.0);
        }
        if let Some(last) = end.checked_sub(1) {
            self.extend_stretch(last);
        }
    }

    /// `bars` bars of equity `e` (a stretch without a position), following the bars fed so
    /// far: what [`EquityPass::feed`] gives for them, without a pass over each bar.
    pub(crate) fn feed_flat(&mut self, e: f64, bars: usize) {
        if bars == 0 {
            return;
        }
        let (first, last) = (self.seen, self.seen + bars - 1);
        // Equal bars move the peak, the deepest drawdown and the stretch as their last one does.
        self.feed_bar(last, e);
        while let Some(&i) = self.ends.get(self.next_end) {
            if i > last {
                break;
            }
            if i >= first {
                self.closes.push(e);
            }
            self.next_end += 1;
        }
        self.seen = last + 1;
        self.last = Some(e);
    }

    /// Equity at the last bar of each day fed.
    pub(crate) fn closes(&self) -> &[f64] {
        &self.closes
    }
}

/// Day-over-day returns of day-end equities, the non-finite ones dropped.
pub(crate) fn returns_of_closes(closes: &[f64]) -> Vec<f64> {
    let mut rets: Vec<f64> = closes.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
    rets.retain(|r| r.is_finite());
    rets
}

/// Computes every metric of a run.
pub fn compute(
    inp: &Inputs<'_>,
    trades: &[Trade],
    open_position: bool,
    commissions: f64,
) -> Metrics {
    let n = inp.time.len().min(inp.equity.len());
    let ends = crate::robust::returns::day_ends(&inp.time[..n]);
    let mut pass = EquityPass::new(inp.time, &ends);
    pass.feed(inp.equity);
    let rets = returns_of_closes(pass.closes());
    from_pass(inp, &pass, &rets, trades, open_position, commissions)
}

/// Every metric of a run whose equity went through `pass` (`inp.equity` is not read) and whose
/// daily returns are `rets` ([`returns_of_closes`] of the pass's closes).
pub(crate) fn from_pass(
    inp: &Inputs<'_>,
    pass: &EquityPass<'_>,
    rets: &[f64],
    trades: &[Trade],
    open_position: bool,
    commissions: f64,
) -> Metrics {
    let n = pass.seen;
    let final_equity = pass.last.unwrap_or(inp.initial);
    let total_return = final_equity / inp.initial - 1.0;
    let days = match (inp.time.first(), inp.time.last()) {
        (Some(a), Some(b)) => (b - a) as f64 / MS_PER_DAY as f64,
        _ => 0.0,
    };
    let cagr = if days >= 1.0 && final_equity > 0.0 {
        finite(((final_equity / inp.initial).powf(365.25 / days) - 1.0) * 100.0)
    } else {
        None
    };
    let buy_hold = match (inp.close.first(), inp.close.last()) {
        (Some(a), Some(b)) => (b / a - 1.0) * 100.0,
        _ => 0.0,
    };
    let (max_dd, longest, longest_days) = (pass.max_dd, pass.longest, pass.longest_days);

    let ann = inp.periods_per_year.sqrt();
    let std = sample_std(rets);
    let vol = std.map(|s| s * ann * 100.0).and_then(finite);
    let sharpe = std
        .filter(|&s| s > 0.0)
        .and_then(|s| finite(mean(rets) / s * ann));
    let downside = if rets.len() >= 2 {
        Some((rets.iter().map(|r| r.min(0.0).powi(2)).sum::<f64>() / rets.len() as f64).sqrt())
    } else {
        None
    };
    let sortino = downside
        .filter(|&d| d > 0.0)
        .and_then(|d| finite(mean(rets) / d * ann));
    let calmar = cagr
        .filter(|_| max_dd < 0.0)
        .and_then(|c| finite(c / max_dd.abs()));

    let k = trades.len();
    let pcts: Vec<f64> = trades.iter().map(|t| t.pnl_pct).collect();
    let wins = trades.iter().filter(|t| t.pnl > 0.0).count();
    let gross_win: f64 = trades.iter().filter(|t| t.pnl > 0.0).map(|t| t.pnl).sum();
    let gross_loss: f64 = trades.iter().filter(|t| t.pnl < 0.0).map(|t| t.pnl).sum();
    let some_if = |b: bool, v: f64| if b { finite(v) } else { None };
    Metrics {
        initial_equity: inp.initial,
        final_equity,
        total_return_pct: total_return * 100.0,
        cagr_pct: cagr,
        buy_hold_return_pct: buy_hold,
        max_drawdown_pct: max_dd,
        max_drawdown_bars: longest as u64,
        max_drawdown_days: longest_days,
        volatility_ann_pct: vol,
        sharpe,
        sortino,
        calmar,
        trades: k as u64,
        win_rate_pct: some_if(k > 0, wins as f64 / k as f64 * 100.0),
        profit_factor: some_if(gross_loss < 0.0, gross_win / gross_loss.abs()),
        avg_trade_pct: some_if(k > 0, mean(&pcts)),
        best_trade_pct: pcts.iter().copied().reduce(f64::max),
        worst_trade_pct: pcts.iter().copied().reduce(f64::min),
        avg_bars_held: some_if(
            k > 0,
            trades.iter().map(|t| t.bars_held as f64).sum::<f64>() / k as f64,
        ),
        avg_holding_days: some_if(
            k > 0,
            trades
                .iter()
                .map(|t| (t.exit_time - t.entry_time) as f64)
                .sum::<f64>()
                / k as f64
                / MS_PER_DAY as f64,
        ),
        exposure_pct: if n == 0 {
            0.0
        } else {
            inp.bars_in_market as f64 / n as f64 * 100.0
        },
        commissions,
        open_position,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawdown_and_daily_resampling() {
        let dd = drawdown_pct(&[100.0, 110.0, 99.0, 121.0]);
        assert_eq!(dd[0], 0.0);
        assert!((dd[2] - (99.0 / 110.0 - 1.0) * 100.0).abs() < 1e-12);
        assert_eq!(dd[3], 0.0);
        let h = 3_600_000;
        // Two bars on day 0, one on day 1, two on day 3.
        let t = [0, h, MS_PER_DAY + h, 3 * MS_PER_DAY, 3 * MS_PER_DAY + h];
        assert_eq!(
            daily_closes(&t, &[1.0, 2.0, 3.0, 4.0, 5.0]),
            vec![2.0, 3.0, 5.0]
        );
    }

    /// The pass fed in pieces of every size, flat stretches as runs, gives the metrics of one
    /// pass over the whole curve, bit for bit (a sweep feeds it so).
    #[test]
    fn equity_fed_in_chunks_and_flat_runs_gives_the_same_metrics() {
        for seed in 0..40 {
            fed_in_pieces(seed);
        }
    }

    fn fed_in_pieces(seed: u64) {
        let mut rng = crate::synth::SplitMix64::new(seed);
        let n = 3_000;
        let time: Vec<i64> = (0..n as i64).map(|i| i * 3_600_000).collect();
        let mut equity = Vec::with_capacity(n);
        let mut e = 1_000.0;
        while equity.len() < n {
            let run = 1 + (rng.next_u64() % 60) as usize;
            let flat = rng.next_u64() % 2 == 0;
            for _ in 0..run.min(n - equity.len()) {
                if !flat {
                    e *= 1.0 + (rng.next_f64() - 0.5) * 0.02;
                }
                equity.push(e);
            }
        }
        let inputs = Inputs {
            time: &time,
            close: &equity,
            equity: &equity,
            initial: 1_000.0,
            bars_in_market: 10,
            periods_per_year: 365.0,
        };
        let whole = compute(&inputs, &[], false, 0.0);
        let ends = crate::robust::returns::day_ends(&time);
        let mut pass = EquityPass::new(&time, &ends);
        // The same pieces, every one through `feed`: after each, the same state.
        let mut each = EquityPass::new(&time, &ends);
        let mut at = 0;
        while at < n {
            let k = (1 + (rng.next_u64() % 40) as usize).min(n - at);
            let piece = &equity[at..at + k];
            if piece.iter().all(|&v| v == piece[0]) {
                pass.feed_flat(piece[0], k);
            } else {
                pass.feed(piece);
            }
            each.feed(piece);
            assert_eq!(
                format!("{pass:?}"),
                format!("{each:?}"),
                "seed {seed} at {at}"
            );
            at += k;
        }
        let rets = returns_of_closes(pass.closes());
        let chunked = from_pass(&inputs, &pass, &rets, &[], false, 0.0);
        assert_eq!(format!("{whole:?}"), format!("{chunked:?}"), "seed {seed}");
        assert!(whole.max_drawdown_bars > 0 && whole.sharpe.is_some());
    }

    /// The drawdown statistics by their definition, a bar at a time: the deepest drawdown, the
    /// longest stretch below a peak in bars and in days.
    fn drawdowns_by_definition(time: &[i64], equity: &[f64]) -> (f64, usize, f64) {
        let (mut peak, mut max_dd, mut start) = (f64::NEG_INFINITY, 0.0f64, 0);
        let (mut longest, mut days) = (0, 0.0);
        for (i, &e) in equity.iter().enumerate() {
            peak = peak.max(e);
            let dd = (e / peak - 1.0) * 100.0;
            max_dd = max_dd.min(dd);
            if dd >= 0.0 {
                start = i;
            }
            if i - start > longest {
                longest = i - start;
                days = (time[i] - time[start]) as f64 / MS_PER_DAY as f64;
            }
        }
        (max_dd, longest, days)
    }

    #[test]
    fn drawdowns_fed_in_pieces_match_their_definition() {
        let specials = [f64::NAN, 0.0, -5.0, f64::INFINITY, f64::NEG_INFINITY];
        for seed in 0..200u64 {
            let mut rng = crate::synth::SplitMix64::new(seed);
            let n = 2_000;
            let time: Vec<i64> = (0..n as i64).map(|i| i * 600_000).collect();
            let mut equity = Vec::with_capacity(n);
            let mut e = 1_000.0;
            while equity.len() < n {
                // Rising stretches (a new peak at every bar), falling ones, flat ones, noise.
                let run = 1 + (rng.next_u64() % 150) as usize;
                let kind = rng.next_u64() % 4;
                for _ in 0..run.min(n - equity.len()) {
                    e = match kind {
                        0 => e * 1.001,
                        1 => e * 0.999,
                        2 => e,
                        _ => e * (1.0 + (rng.next_f64() - 0.5) * 0.02),
                    };
                    equity.push(e);
                }
            }
            // Some seeds carry values a broken run could produce.
            if seed % 4 == 0 {
                for _ in 0..3 {
                    let at = (rng.next_u64() % n as u64) as usize;
                    equity[at] = specials[(rng.next_u64() % specials.len() as u64) as usize];
                }
            }
            let ends = crate::robust::returns::day_ends(&time);
            let mut pass = EquityPass::new(&time, &ends);
            let mut at = 0;
            while at < n {
                let k = (1 + (rng.next_u64() % 300) as usize).min(n - at);
                pass.feed(&equity[at..at + k]);
                at += k;
                let want = drawdowns_by_definition(&time[..at], &equity[..at]);
                let got = (pass.max_dd, pass.longest, pass.longest_days);
                assert_eq!(
                    format!("{got:?}"),
                    format!("{want:?}"),
                    "seed {seed} at {at}"
                );
            }
        }
    }

    #[test]
    fn sharpe_of_known_returns() {
        // Equity doubles then halves daily: returns +100%, -50%: mean 0.25, std 1.0607.
        let t = [0, MS_PER_DAY, 2 * MS_PER_DAY];
        let eq = [100.0, 200.0, 100.0];
        let m = compute(
            &Inputs {
                time: &t,
                close: &eq,
                equity: &eq,
                initial: 100.0,
                bars_in_market: 3,
                periods_per_year: 252.0,
            },
            &[],
            false,
            0.0,
        );
        // Sample std with n - 1 = 1.
        let s = ((1.0f64 - 0.25).powi(2) + (-0.5f64 - 0.25).powi(2)).sqrt();
        assert!((m.sharpe.unwrap() - 0.25 / s * 252f64.sqrt()).abs() < 1e-12);
        assert_eq!(m.max_drawdown_pct, -50.0);
        assert_eq!(m.max_drawdown_bars, 1);
        assert_eq!(m.trades, 0);
        assert_eq!(m.win_rate_pct, None);
    }
}
