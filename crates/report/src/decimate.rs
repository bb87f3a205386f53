//! Range selection and min/max decimation, so a million points draw as fast as a thousand.

use std::ops::Range;

/// Indices of the `times` (increasing) inside `[from, to]`; an empty range when none are.
pub(crate) fn visible(times: &[i64], from: Option<i64>, to: Option<i64>) -> Range<usize> {
    let lo = from.map_or(0, |f| times.partition_point(|&t| t < f));
    let hi = to.map_or(times.len(), |t| times.partition_point(|&x| x <= t));
    lo..hi.max(lo)
}

/// Reduces `(times[i], values[i])` to at most about `2 * buckets` points: the time span is cut
/// into `buckets` equal slices and each keeps its lowest and highest finite value, in time
/// order, so spikes and drawdowns survive. NaN and infinite values are dropped. Inputs with no
/// more than `2 * buckets` points come back whole (less the non-finite values).
pub fn decimate_min_max(times: &[i64], values: &[f64], buckets: usize) -> Vec<(i64, f64)> {
    let n = times.len().min(values.len());
    let (times, values) = (&times[..n], &values[..n]);
    let buckets = buckets.max(1);
    if n <= 2 * buckets {
        return times
            .iter()
            .zip(values)
            .filter(|(_, v)| v.is_finite())
            .map(|(&t, &v)| (t, v))
            .collect();
    }
    let (t0, t1) = (times[0], times[n - 1]);
    let span = (i128::from(t1) - i128::from(t0)).max(0) + 1;
    let bucket_of = |t: i64| -> i128 {
        ((i128::from(t) - i128::from(t0)) * buckets as i128 / span).clamp(0, buckets as i128 - 1)
    };
    let mut out = Vec::with_capacity(2 * buckets + 2);
    // (bucket, index of the minimum, index of the maximum) of the bucket being filled.
    let mut current: Option<(i128, usize, usize)> = None;
    let flush = |out: &mut Vec<(i64, f64)>, lo: usize, hi: usize| {
        let (a, b) = if lo <= hi { (lo, hi) } else { (hi, lo) };
        out.push((times[a], values[a]));
        if b != a {
            out.push((times[b], values[b]));
        }
    };
    for i in 0..n {
        let v = values[i];
        if !v.is_finite() {
            continue;
        }
        let b = bucket_of(times[i]);
        match current {
            Some((cb, lo, hi)) if cb == b => {
                let lo = if v < values[lo] { i } else { lo };
                let hi = if v > values[hi] { i } else { hi };
                current = Some((cb, lo, hi));
            }
            Some((_, lo, hi)) => {
                flush(&mut out, lo, hi);
                current = Some((b, i, i));
            }
            None => current = Some((b, i, i)),
        }
    }
    if let Some((_, lo, hi)) = current {
        flush(&mut out, lo, hi);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_selects_the_closed_range() {
        let t = [10, 20, 30, 40];
        assert_eq!(visible(&t, None, None), 0..4);
        assert_eq!(visible(&t, Some(20), Some(30)), 1..3);
        assert_eq!(visible(&t, Some(41), None), 4..4);
        assert_eq!(visible(&t, None, Some(5)), 0..0);
        assert!(visible(&t, Some(35), Some(15)).is_empty());
        assert!(visible(&[], Some(1), Some(2)).is_empty());
    }

    #[test]
    fn short_series_come_back_whole_without_nan() {
        let out = decimate_min_max(&[1, 2, 3], &[1.0, f64::NAN, 3.0], 10);
        assert_eq!(out, vec![(1, 1.0), (3, 3.0)]);
    }

    #[test]
    fn long_series_keep_extremes_and_stay_bounded() {
        let n = 100_000;
        let times: Vec<i64> = (0..n).collect();
        let mut values: Vec<f64> = (0..n).map(|i| (i as f64 * 0.01).sin()).collect();
        values[54_321] = 50.0;
        values[77_777] = -50.0;
        let out = decimate_min_max(&times, &values, 500);
        assert!(out.len() <= 1000, "{}", out.len());
        assert!(out.contains(&(54_321, 50.0)));
        assert!(out.contains(&(77_777, -50.0)));
        assert!(out.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        assert!(decimate_min_max(&[], &[], 0).is_empty());
        let nan = vec![f64::NAN; 10];
        assert!(decimate_min_max(&[0; 10], &nan, 1).is_empty());
        let same = decimate_min_max(&[5; 10], &[1.0; 10], 1);
        assert_eq!(same, vec![(5, 1.0)]);
    }
}
