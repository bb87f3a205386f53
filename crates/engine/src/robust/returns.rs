//! Daily returns of an equity curve, as the metrics compute them (the last equity of each UTC
//! day), found once per time axis so a sweep can take every combination's returns cheaply.

use super::stats::Moments;

const MS_PER_DAY: i64 = 86_400_000;

/// Indices of the bars that close a UTC day (the last bar of each day), in order: the bars
/// whose equity [`crate::metrics::daily_closes`] keeps.
pub fn day_ends(time: &[i64]) -> Vec<usize> {
    let n = time.len();
    let mut out = Vec::new();
    for i in 0..n {
        let last =
            i + 1 == n || time[i + 1].div_euclid(MS_PER_DAY) != time[i].div_euclid(MS_PER_DAY);
        if last {
            out.push(i);
        }
    }
    out
}

/// Day-over-day returns of `equity` at the day ends `ends` (non-finite returns dropped, as in
/// the metrics).
pub fn daily_returns(equity: &[f64], ends: &[usize]) -> Vec<f64> {
    let closes: Vec<f64> = ends
        .iter()
        .filter_map(|&i| equity.get(i).copied())
        .collect();
    closes
        .windows(2)
        .map(|w| w[1] / w[0] - 1.0)
        .filter(|r| r.is_finite())
        .collect()
}

/// The moments of `returns` in `blocks` consecutive blocks of equal length, dropping the
/// first `len % blocks` returns (as pypbo does) so every block has `len / blocks` of them.
/// Empty when there are fewer returns than blocks.
pub fn block_moments(returns: &[f64], blocks: usize) -> Vec<Moments> {
    if blocks == 0 || returns.len() < blocks {
        return Vec::new();
    }
    let size = returns.len() / blocks;
    let start = returns.len() % blocks;
    returns[start..]
        .chunks_exact(size)
        .map(Moments::of)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::daily_closes;

    #[test]
    fn day_ends_pick_what_the_metrics_pick() {
        let h = 3_600_000;
        let t = [
            0,
            h,
            MS_PER_DAY + h,
            3 * MS_PER_DAY,
            3 * MS_PER_DAY + h,
            4 * MS_PER_DAY,
        ];
        let eq = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let ends = day_ends(&t);
        let picked: Vec<f64> = ends.iter().map(|&i| eq[i]).collect();
        assert_eq!(picked, daily_closes(&t, &eq));
        assert_eq!(
            daily_returns(&eq, &ends),
            vec![3.0 / 2.0 - 1.0, 5.0 / 3.0 - 1.0, 6.0 / 5.0 - 1.0]
        );
    }

    #[test]
    fn blocks_drop_the_oldest_remainder() {
        let r: Vec<f64> = (0..10).map(f64::from).collect();
        let b = block_moments(&r, 4);
        assert_eq!(b.len(), 4);
        assert_eq!(b[0], Moments::of(&[2.0, 3.0]));
        assert_eq!(b[3], Moments::of(&[8.0, 9.0]));
        assert!(block_moments(&r[..3], 4).is_empty());
    }
}
