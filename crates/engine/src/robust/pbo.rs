//! The Probability of Backtest Overfitting by combinatorially symmetric cross-validation
//! (CSCV; Bailey, Borwein, López de Prado & Zhu, "The Probability of Backtest Overfitting",
//! Journal of Computational Finance 20(4), 2017). Formulas in `docs/robustness.md`.
//!
//! The T × N matrix of returns (T periods, N configurations) is cut into S blocks of rows.
//! For each of the C(S, S/2) ways to pick half the blocks as in-sample (the rest is out of
//! sample), the configuration with the best in-sample Sharpe ratio is found and its
//! out-of-sample Sharpe ratio ranked among all N: ω = rank / (N + 1), λ = ln(ω / (1 - ω)).
//! PBO is the share of splits with λ ≤ 0: the in-sample winner did no better than the
//! median out of sample. Blocks are given as [`Moments`], so a sweep keeps S numbers per
//! configuration instead of its returns.

use serde::{Deserialize, Serialize};

use super::stats::Moments;

/// Why PBO cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PboError {
    /// S must be even and at least 2 (at most 24: C(24, 12) splits is the limit).
    #[error("the number of blocks must be even, from 2 to 24, got {0}")]
    Blocks(usize),
    /// Fewer than two configurations.
    #[error("PBO compares configurations: it needs at least 2, got {0}")]
    Configurations(usize),
    /// A configuration without the same number of blocks as the others.
    #[error("configuration {0} has {1} blocks instead of {2}")]
    Ragged(usize, usize, usize),
    /// Blocks too short for a Sharpe ratio.
    #[error("each block needs at least 2 returns, got {0}: the data is too short for {1} blocks")]
    Short(usize, usize),
}

/// The result of CSCV.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pbo {
    /// The probability of backtest overfitting: share of splits with λ ≤ 0.
    pub pbo: f64,
    /// Blocks S.
    pub blocks: usize,
    /// Splits C(S, S/2).
    pub splits: usize,
    /// Configurations N.
    pub configurations: usize,
    /// Returns per block.
    pub block_len: usize,
    /// Median of the logits λ.
    pub median_logit: f64,
    /// Share of splits whose in-sample winner has a negative out-of-sample Sharpe ratio.
    pub prob_oos_loss: f64,
    /// Slope of the least-squares line of out-of-sample on in-sample Sharpe ratio of the
    /// winners (performance degradation; negative is bad). `None` when undefined.
    pub degradation_slope: Option<f64>,
    /// The logits λ, one per split, in split order.
    pub logits: Vec<f64>,
}

/// Sharpe ratio used to rank: undefined ones rank below every defined one.
fn rank_value(m: &Moments) -> f64 {
    m.sharpe().unwrap_or(f64::NEG_INFINITY)
}

/// Every `half`-of-`s` subset of blocks as a bit mask, in lexicographic order of the chosen
/// block indices (as `itertools.combinations` lists them).
fn splits(s: usize, half: usize) -> Vec<u32> {
    let mut out = Vec::new();
    let mut idx: Vec<usize> = (0..half).collect();
    loop {
        out.push(idx.iter().fold(0u32, |m, &i| m | (1 << i)));
        let Some(pos) = (0..half).rev().find(|&p| idx[p] != p + s - half) else {
            break;
        };
        idx[pos] += 1;
        for q in pos + 1..half {
            idx[q] = idx[q - 1] + 1;
        }
    }
    out
}

/// PBO of `configs` (per configuration, its S blocks' moments, all with S blocks of
/// `block_len` returns), on `threads` threads (0 = all cores). The same input gives the same
/// result whatever the thread count.
///
/// # Errors
/// [`PboError`] for an odd or out-of-range S, fewer than 2 configurations, ragged input or
/// blocks shorter than 2 returns.
pub fn pbo(configs: &[Vec<Moments>], threads: usize) -> Result<Pbo, PboError> {
    let n = configs.len();
    if n < 2 {
        return Err(PboError::Configurations(n));
    }
    let s = configs[0].len();
    if s < 2 || s % 2 == 1 || s > 24 {
        return Err(PboError::Blocks(s));
    }
    if let Some((i, c)) = configs.iter().enumerate().find(|(_, c)| c.len() != s) {
        return Err(PboError::Ragged(i, c.len(), s));
    }
    let block_len = configs[0][0].n as usize;
    if block_len < 2 {
        return Err(PboError::Short(block_len, s));
    }
    let totals: Vec<Moments> = configs
        .iter()
        .map(|c| {
            c.iter().fold(Moments::default(), |mut t, b| {
                t.add(b);
                t
            })
        })
        .collect();
    let masks = splits(s, s / 2);
    let threads = match threads {
        0 => std::thread::available_parallelism().map_or(1, |t| t.get()),
        t => t,
    }
    .clamp(1, masks.len());
    // (logit, in-sample SR of the winner, its out-of-sample SR) per split.
    let per_split = |mask: u32| -> (f64, f64, f64) {
        let mut best = (f64::NEG_INFINITY, 0usize);
        let mut oos = Vec::with_capacity(n);
        for (k, c) in configs.iter().enumerate() {
            let mut is = Moments::default();
            for (b, m) in c.iter().enumerate() {
                if mask & (1 << b) != 0 {
                    is.add(m);
                }
            }
            let t = &totals[k];
            let out = Moments {
                n: t.n - is.n,
                sum: t.sum - is.sum,
                sum_sq: t.sum_sq - is.sum_sq,
            };
            let r = rank_value(&is);
            if r > best.0 || k == 0 {
                best = (r, k);
            }
            oos.push(rank_value(&out));
        }
        let v = oos[best.1];
        let less = oos.iter().filter(|&&x| x < v).count() as f64;
        let equal = oos.iter().filter(|&&x| x == v).count() as f64;
        // The average rank (1-based) of tied values, as scipy's rankdata gives.
        let rank = less + (equal + 1.0) / 2.0;
        let w = rank / (n as f64 + 1.0);
        ((w / (1.0 - w)).ln(), best.0, v)
    };
    let chunk = masks.len().div_ceil(threads);
    let results: Vec<(f64, f64, f64)> = std::thread::scope(|scope| {
        let handles: Vec<_> = masks
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|&m| per_split(m)).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let logits: Vec<f64> = results.iter().map(|r| r.0).collect();
    let overfit = logits.iter().filter(|&&l| l <= 0.0).count();
    let losses = results.iter().filter(|r| r.2 < 0.0).count();
    let mut sorted = logits.clone();
    sorted.sort_by(f64::total_cmp);
    let median_logit = super::stats::quantile_sorted(&sorted, 0.5);
    let pairs: Vec<(f64, f64)> = results
        .iter()
        .filter(|r| r.1.is_finite() && r.2.is_finite())
        .map(|r| (r.1, r.2))
        .collect();
    Ok(Pbo {
        pbo: overfit as f64 / logits.len() as f64,
        blocks: s,
        splits: logits.len(),
        configurations: n,
        block_len,
        median_logit,
        prob_oos_loss: losses as f64 / results.len() as f64,
        degradation_slope: slope(&pairs),
        logits,
    })
}

/// Least-squares slope of y on x; `None` without two distinct x.
fn slope(p: &[(f64, f64)]) -> Option<f64> {
    if p.len() < 2 {
        return None;
    }
    let k = p.len() as f64;
    let (mx, my) = (
        p.iter().map(|q| q.0).sum::<f64>() / k,
        p.iter().map(|q| q.1).sum::<f64>() / k,
    );
    let sxx: f64 = p.iter().map(|q| (q.0 - mx) * (q.0 - mx)).sum();
    let sxy: f64 = p.iter().map(|q| (q.0 - mx) * (q.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

/// PBO of a T × N matrix of returns (`columns[k]` holds configuration k's T returns) cut
/// into `blocks` blocks; the first `T % blocks` rows are dropped.
///
/// # Errors
/// As [`pbo`].
pub fn pbo_of_returns(
    columns: &[Vec<f64>],
    blocks: usize,
    threads: usize,
) -> Result<Pbo, PboError> {
    if blocks < 2 || blocks % 2 == 1 || blocks > 24 {
        return Err(PboError::Blocks(blocks));
    }
    let configs: Vec<Vec<Moments>> = columns
        .iter()
        .map(|c| super::returns::block_moments(c, blocks))
        .collect();
    if let Some(c) = configs.iter().find(|c| c.len() != blocks) {
        return Err(PboError::Short(
            c.first().map_or(0, |m| m.n as usize),
            blocks,
        ));
    }
    pbo(&configs, threads)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_are_every_half_subset_in_order() {
        let m = splits(4, 2);
        assert_eq!(m, vec![0b0011, 0b0101, 0b1001, 0b0110, 0b1010, 0b1100]);
        assert_eq!(splits(16, 8).len(), 12_870);
    }
}
