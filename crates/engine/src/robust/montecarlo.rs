//! Monte Carlo of a trade list: the same trades in another order (shuffle) or drawn with
//! replacement (bootstrap), many times, to see how final equity and drawdown could have
//! turned out. Equity moves by each trade's profit in money, from the starting cash;
//! drawdowns are measured on that trade-by-trade equity. Formulas in `docs/robustness.md`.

use serde::{Deserialize, Serialize};

use super::stats::quantile_sorted;
use crate::synth::SplitMix64;

/// How each simulated run picks its trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Every trade once, in a random order (Fisher–Yates): the final equity never changes,
    /// the path and its drawdowns do.
    Shuffle,
    /// As many trades as the run had, each drawn at random with replacement.
    Bootstrap,
}

/// The percentiles reported, in percent.
pub const PERCENTILES: [f64; 5] = [5.0, 25.0, 50.0, 75.0, 95.0];

/// Values at the 5th, 25th, 50th, 75th and 95th percentiles.
pub type Bands = [f64; 5];

/// Counts of values in equal bins from `min` to `max` (all in the middle bin when the values
/// are equal to rounding).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// Lower edge of the first bin.
    pub min: f64,
    /// Upper edge of the last bin.
    pub max: f64,
    /// Values per bin.
    pub counts: Vec<u64>,
}

/// The outcome of a Monte Carlo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonteCarlo {
    /// Shuffle or bootstrap.
    pub method: Method,
    /// Simulated runs.
    pub runs: usize,
    /// Trades in each run.
    pub trades: usize,
    /// Seed of the random draws (the same seed gives the same result).
    pub seed: u64,
    /// Starting cash.
    pub initial: f64,
    /// Final equity and max drawdown (%) of the trades in their real order.
    pub actual_final: f64,
    /// Max drawdown (%, ≤ 0) of the trades in their real order.
    pub actual_max_drawdown_pct: f64,
    /// Percentiles of the final equity.
    pub final_equity: Bands,
    /// Percentiles of the max drawdown (%, ≤ 0; the 5th percentile is the deepest).
    pub max_drawdown_pct: Bands,
    /// Share of runs ending below the starting cash.
    pub prob_loss: f64,
    /// Equity percentiles after `steps[k]` trades, one band per step.
    pub steps: Vec<usize>,
    /// The bands at each step.
    pub bands: Vec<Bands>,
    /// Histogram of the final equity.
    pub final_hist: Histogram,
    /// Histogram of the max drawdown.
    pub drawdown_hist: Histogram,
}

/// Why a Monte Carlo cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MonteCarloError {
    /// No closed trades.
    #[error("the run has no closed trades to resample")]
    NoTrades,
    /// Runs out of range.
    #[error("runs must be between 1 and 1,000,000, got {0}")]
    Runs(usize),
}

/// Bins of the histograms.
const BINS: usize = 30;
/// Most points of the band chart.
const MAX_STEPS: usize = 200;

/// Final equity and max drawdown (%) of `initial` plus the profits in `order`.
fn path_stats(initial: f64, pnl: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut e, mut peak, mut dd) = (initial, initial, 0.0f64);
    for p in pnl {
        e += p;
        peak = peak.max(e);
        if peak > 0.0 {
            dd = dd.min((e / peak - 1.0) * 100.0);
        }
    }
    (e, dd)
}

fn histogram(sorted: &[f64]) -> Histogram {
    let (min, max) = match (sorted.first(), sorted.last()) {
        (Some(&a), Some(&b)) => (a, b),
        _ => (0.0, 0.0),
    };
    let mut counts = vec![0u64; BINS];
    // A spread within rounding (a shuffle's final equity: the same sum in another order) is
    // one value: every run in the middle bin.
    let spread = max - min;
    let width = if spread > 1e-9 * min.abs().max(max.abs()).max(1.0) {
        spread / BINS as f64
    } else {
        0.0
    };
    for &v in sorted {
        let k = if width > 0.0 {
            (((v - min) / width) as usize).min(BINS - 1)
        } else {
            BINS / 2
        };
        counts[k] += 1;
    }
    Histogram { min, max, counts }
}

fn bands(sorted: &[f64]) -> Bands {
    PERCENTILES.map(|p| quantile_sorted(sorted, p / 100.0))
}

/// Runs `runs` simulations of the trades with profits `pnl` (in money, in time order)
/// starting from `initial`.
///
/// # Errors
/// [`MonteCarloError::NoTrades`] without trades, [`MonteCarloError::Runs`] for 0 or more
/// than 1,000,000 runs.
pub fn run(
    pnl: &[f64],
    initial: f64,
    method: Method,
    runs: usize,
    seed: u64,
) -> Result<MonteCarlo, MonteCarloError> {
    let n = pnl.len();
    if n == 0 {
        return Err(MonteCarloError::NoTrades);
    }
    if runs == 0 || runs > 1_000_000 {
        return Err(MonteCarloError::Runs(runs));
    }
    let k_steps = n.min(MAX_STEPS);
    let steps: Vec<usize> = (1..=k_steps).map(|k| k * n / k_steps).collect();
    let mut at_step = vec![Vec::with_capacity(runs); k_steps];
    let mut finals = Vec::with_capacity(runs);
    let mut dds = Vec::with_capacity(runs);
    let mut rng = SplitMix64::new(seed);
    let mut order: Vec<f64> = pnl.to_vec();
    for _ in 0..runs {
        match method {
            Method::Shuffle => {
                order.copy_from_slice(pnl);
                for i in (1..n).rev() {
                    let j = (rng.next_u64() % (i as u64 + 1)) as usize;
                    order.swap(i, j);
                }
            }
            Method::Bootstrap => {
                for o in order.iter_mut() {
                    *o = pnl[(rng.next_u64() % n as u64) as usize];
                }
            }
        }
        let (mut e, mut peak, mut dd) = (initial, initial, 0.0f64);
        let mut next = 0;
        for (i, p) in order.iter().enumerate() {
            e += p;
            peak = peak.max(e);
            if peak > 0.0 {
                dd = dd.min((e / peak - 1.0) * 100.0);
            }
            if steps.get(next) == Some(&(i + 1)) {
                at_step[next].push(e);
                next += 1;
            }
        }
        finals.push(e);
        dds.push(dd);
    }
    let (actual_final, actual_dd) = path_stats(initial, pnl.iter().copied());
    finals.sort_by(f64::total_cmp);
    dds.sort_by(f64::total_cmp);
    let bands_at: Vec<Bands> = at_step
        .iter_mut()
        .map(|v| {
            v.sort_by(f64::total_cmp);
            bands(v)
        })
        .collect();
    let losses = finals.iter().filter(|&&f| f < initial).count();
    Ok(MonteCarlo {
        method,
        runs,
        trades: n,
        seed,
        initial,
        actual_final,
        actual_max_drawdown_pct: actual_dd,
        final_equity: bands(&finals),
        max_drawdown_pct: bands(&dds),
        prob_loss: losses as f64 / runs as f64,
        steps,
        bands: bands_at,
        final_hist: histogram(&finals),
        drawdown_hist: histogram(&dds),
    })
}
