//! Walk-forward analysis: optimise on each in-sample window, trade the chosen parameters on
//! the following out-of-sample window, and stitch the out-of-sample equity into one curve.
//!
//! Out-of-sample runs warm their indicators up on the in-sample bars before them (past data
//! only) and trade only inside their window. A position still open at a window's last bar
//! is closed by an exit order at that close, filled at the next window's first open, so each
//! window starts flat with the cash the previous one left; the last window's open position is
//! marked to market as in any backtest.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

use crate::backtest::{Trade, ENTER_LONG, ENTER_SHORT, EXIT_LONG, EXIT_SHORT};
use crate::bars::Bars;
use crate::compile::{compile_checked, CompileError};
use crate::eval::evaluate_for_orders;
use crate::graph::Graph;
use crate::metrics::{self, Metrics};
use crate::sweep::{self, metric, sort_rows, SweepConfig, SweepError, SweepSpec};
use crate::validate;

/// How to walk forward.
#[derive(Debug, Clone)]
pub struct WalkForwardSpec {
    /// The parameter space searched on every in-sample window.
    pub sweep: SweepSpec,
    /// Bars in each in-sample window (the first, when anchored).
    pub train: usize,
    /// Bars in each out-of-sample window.
    pub test: usize,
    /// Anchored: every in-sample window starts at the first bar; rolling otherwise.
    pub anchored: bool,
    /// Metric that picks the parameters (higher is better), e.g. `sharpe`.
    pub metric: String,
}

/// Why a walk-forward cannot start or did not finish.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WalkForwardError {
    /// Windows that do not fit the data, or zero-length windows.
    #[error("{0}")]
    Windows(String),
    /// A sweep problem (bad grid, unknown metric, …).
    #[error(transparent)]
    Sweep(#[from] SweepError),
    /// Cancelled by the caller.
    #[error("cancelled")]
    Cancelled,
}

/// One window's choice and outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Window {
    /// In-sample bars `train_start..train_end`.
    pub train_start: usize,
    /// End (exclusive) of the in-sample bars.
    pub train_end: usize,
    /// Out-of-sample bars `train_end..test_end`.
    pub test_end: usize,
    /// The parameters chosen on the in-sample window.
    pub params: BTreeMap<String, f64>,
    /// The chosen metric in sample.
    pub in_sample: Option<f64>,
    /// The chosen metric out of sample, on this window alone.
    pub out_of_sample: Option<f64>,
    /// Trades closed in this window.
    pub trades: usize,
}

/// The stitched out-of-sample result.
#[derive(Debug, Clone, Serialize)]
pub struct WalkForwardResult {
    /// Every window in time order.
    pub windows: Vec<Window>,
    /// Bar index where the stitched curve starts (the first out-of-sample bar).
    pub start: usize,
    /// Out-of-sample equity, one value per bar from `start`.
    pub equity: Vec<f64>,
    /// Out-of-sample trades, bar indices into the whole data.
    pub trades: Vec<Trade>,
    /// Metrics of the stitched curve.
    pub metrics: Metrics,
    /// Mean in-sample metric minus mean out-of-sample metric over windows where both exist.
    pub gap: Option<f64>,
}

/// The windows of a walk-forward over `n` bars: `(train_start, train_end, test_end)`.
///
/// # Errors
/// Zero-length windows, or train + test longer than the data.
pub fn windows(
    n: usize,
    train: usize,
    test: usize,
    anchored: bool,
) -> Result<Vec<(usize, usize, usize)>, WalkForwardError> {
    if train == 0 || test == 0 {
        return Err(WalkForwardError::Windows(
            "--train and --test must be at least 1 bar".into(),
        ));
    }
    if train.saturating_add(test) > n {
        return Err(WalkForwardError::Windows(format!(
            "--train {train} + --test {test} bars is longer than the data ({n} bars)"
        )));
    }
    let mut out = Vec::new();
    let mut test_start = train;
    while test_start < n {
        let train_start = if anchored { 0 } else { test_start - train };
        out.push((train_start, test_start, (test_start + test).min(n)));
        test_start += test;
    }
    Ok(out)
}

/// Runs a walk-forward analysis.
///
/// `progress` receives (windows done, windows in all).
///
/// # Errors
/// Window, sweep and compile errors before work starts; [`WalkForwardError::Cancelled`].
pub fn run(
    graph: &Graph,
    bars: &Bars,
    spec: &WalkForwardSpec,
    config: &SweepConfig,
    cancel: &AtomicBool,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<WalkForwardResult, WalkForwardError> {
    let n = bars.len();
    let wins = windows(n, spec.train, spec.test, spec.anchored)?;
    let problems = validate::check(graph);
    if !problems.is_empty() {
        return Err(SweepError::from(CompileError::Invalid(problems)).into());
    }
    sweep::combinations(graph, &spec.sweep)?;
    sweep::check_metric(&spec.metric)?;

    let mut cash = graph.settings.initial_cash;
    let (mut equity, mut trades, mut out) = (Vec::new(), Vec::new(), Vec::new());
    let mut in_market = 0u64;
    let mut commissions = 0.0;
    let mut open_position = false;
    for (k, &(train_start, train_end, test_end)) in wins.iter().enumerate() {
        if cancel.load(Ordering::Relaxed) {
            return Err(WalkForwardError::Cancelled);
        }
        let in_sample = bars.slice(train_start, train_end);
        let mut result = sweep::run(graph, &in_sample, &spec.sweep, config, cancel, &|_| {})?;
        if result.cancelled {
            return Err(WalkForwardError::Cancelled);
        }
        sort_rows(&mut result.rows, &spec.metric)?;
        let Some(best) = result.rows.first() else {
            return Err(SweepError::Empty.into());
        };
        let last = k + 1 == wins.len();
        // Warm up on the in-sample bars, trade in the window, and include the next bar so a
        // closing order can fill at its open.
        let end = if last { test_end } else { test_end + 1 };
        let slice = bars.slice(train_start, end);
        let mut g = graph.clone();
        g.settings.initial_cash = cash;
        let plan = compile_checked(&g, &best.params).map_err(SweepError::from)?;
        let mut ev = evaluate_for_orders(&plan, &slice, &[], cancel, &mut |_| {})
            .map_err(|_| WalkForwardError::Cancelled)?;
        let (from, to) = (train_end - train_start, test_end - train_start);
        // Trade only inside the window; the window's last bar closes any position.
        let mask = |t: usize, f: u8| {
            if t < from || (!last && t >= to) {
                0
            } else if !last && t == to - 1 {
                (f & !(ENTER_LONG | ENTER_SHORT)) | EXIT_LONG | EXIT_SHORT
            } else {
                f
            }
        };
        let (sim, _) = crate::feedback::simulate(&plan, &slice, &mut ev, Some(&mask));
        let window_equity = &sim.equity[from..to];
        let shift = |mut t: Trade| {
            t.entry_bar += train_start;
            t.exit_bar += train_start;
            t
        };
        let window_trades: Vec<Trade> = sim.trades.into_iter().map(shift).collect();
        let oos = metrics::compute(
            &metrics::Inputs {
                time: &bars.time()[train_end..test_end],
                close: &bars.close()[train_end..test_end],
                equity: window_equity,
                initial: cash,
                bars_in_market: 0,
                periods_per_year: g.settings.periods_per_year,
            },
            &window_trades,
            false,
            0.0,
        );
        out.push(Window {
            train_start,
            train_end,
            test_end,
            params: best.params.clone(),
            in_sample: metric(&best.metrics, &spec.metric)?,
            out_of_sample: metric(&oos, &spec.metric)?,
            trades: window_trades.len(),
        });
        equity.extend_from_slice(window_equity);
        trades.extend(window_trades);
        in_market += sim.book.bars_in_market;
        commissions += sim.book.commissions;
        cash = sim.book.cash;
        open_position = last && sim.open_trade.is_some();
        progress(k + 1, wins.len());
    }
    let start = wins.first().map_or(0, |w| w.1);
    let stitched = metrics::compute(
        &metrics::Inputs {
            time: &bars.time()[start..],
            close: &bars.close()[start..],
            equity: &equity,
            initial: graph.settings.initial_cash,
            bars_in_market: in_market,
            periods_per_year: graph.settings.periods_per_year,
        },
        &trades,
        open_position,
        commissions,
    );
    let pairs: Vec<(f64, f64)> = out
        .iter()
        .filter_map(|w| Some((w.in_sample?, w.out_of_sample?)))
        .collect();
    let gap = (!pairs.is_empty()).then(|| {
        let k = pairs.len() as f64;
        pairs.iter().map(|p| p.0).sum::<f64>() / k - pairs.iter().map(|p| p.1).sum::<f64>() / k
    });
    Ok(WalkForwardResult {
        windows: out,
        start,
        equity,
        trades,
        metrics: stitched,
        gap,
    })
}
