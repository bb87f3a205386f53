//! Market data as columns: UTC times and OHLCV prices, checked on construction.

use serde::{Deserialize, Serialize};

/// Formats a time in ms since the Unix epoch as ISO 8601 UTC: `2024-01-31T09:30:00Z`, with
/// milliseconds only when the time has them.
pub fn iso8601(ms: i64) -> String {
    use chrono::{DateTime, SecondsFormat};
    match DateTime::from_timestamp_millis(ms) {
        Some(t) if ms.rem_euclid(1000) == 0 => t.to_rfc3339_opts(SecondsFormat::Secs, true),
        Some(t) => t.to_rfc3339_opts(SecondsFormat::Millis, true),
        None => format!("{ms}ms"),
    }
}

/// One bar: what a stream is fed, and what the bar-by-bar nodes read.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bar {
    /// Time, ms UTC; strictly after the previous bar's.
    pub time: i64,
    /// Opening price.
    pub open: f64,
    /// Highest price.
    pub high: f64,
    /// Lowest price.
    pub low: f64,
    /// Closing price.
    pub close: f64,
    /// Volume.
    pub volume: f64,
}

/// One OHLCV column, used to name where a problem in market data lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Column {
    /// The bar's timestamp.
    Time,
    /// Opening price.
    Open,
    /// Highest price.
    High,
    /// Lowest price.
    Low,
    /// Closing price.
    Close,
    /// Traded volume.
    Volume,
}

impl Column {
    /// The column's lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Column::Time => "time",
            Column::Open => "open",
            Column::High => "high",
            Column::Low => "low",
            Column::Close => "close",
            Column::Volume => "volume",
        }
    }
}

/// A bar that breaks the market-data rules, found at `index` (0-based bar index).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("bar {index}, column {}: {reason}", column.name())]
pub struct BarError {
    /// 0-based index of the offending bar.
    pub index: usize,
    /// The column at fault.
    pub column: Column,
    /// What is wrong, in words.
    pub reason: String,
}

/// The highest price a bar may have. Units times price must stay exact to the cent next to
/// cash of up to 1e12 (see `validate::MAX_CASH`); no traded instrument comes near it.
pub const MAX_PRICE: f64 = 1e9;

/// Checks one bar against the previous bar's time; returns the column at fault and why.
///
/// Rules: finite positive prices up to [`MAX_PRICE`], `high >= low`, high and low bracket open and close,
/// finite non-negative volume, time strictly after `prev_time`.
pub fn check_bar(
    prev_time: Option<i64>,
    time: i64,
    [open, high, low, close, volume]: [f64; 5],
) -> Result<(), (Column, String)> {
    if let Some(prev) = prev_time {
        if time == prev {
            return Err((Column::Time, "duplicate timestamp".into()));
        }
        if time < prev {
            return Err((
                Column::Time,
                "timestamp earlier than the previous row".into(),
            ));
        }
    }
    for (col, v) in [
        (Column::Open, open),
        (Column::High, high),
        (Column::Low, low),
        (Column::Close, close),
    ] {
        if !v.is_finite() {
            return Err((col, format!("price is not a finite number ({v})")));
        }
        if v <= 0.0 {
            return Err((col, format!("price must be positive, got {v}")));
        }
        if v > MAX_PRICE {
            return Err((
                col,
                format!(
                    "price {} is above the limit {}",
                    crate::numfmt::human(v),
                    crate::numfmt::human(MAX_PRICE)
                ),
            ));
        }
    }
    if !volume.is_finite() || volume < 0.0 {
        return Err((
            Column::Volume,
            format!("volume must be a finite number >= 0, got {volume}"),
        ));
    }
    if high < low {
        return Err((Column::High, format!("high {high} is below low {low}")));
    }
    if high < open || high < close {
        return Err((
            Column::High,
            format!("high {high} is below open {open} or close {close}"),
        ));
    }
    if low > open || low > close {
        return Err((
            Column::Low,
            format!("low {low} is above open {open} or close {close}"),
        ));
    }
    Ok(())
}

/// Every bar of equal-length columns checked by [`check_bar`].
fn check_columns(time: &[i64], cols: [&[f64]; 5]) -> Result<(), BarError> {
    let n = time.len();
    let [open, high, low, close, volume] = cols;
    for (col, len) in [
        (Column::Open, open.len()),
        (Column::High, high.len()),
        (Column::Low, low.len()),
        (Column::Close, close.len()),
        (Column::Volume, volume.len()),
    ] {
        if len != n {
            return Err(BarError {
                index: len.min(n),
                column: col,
                reason: format!("column has {len} values but time has {n}"),
            });
        }
    }
    for i in 0..n {
        let prev = if i == 0 { None } else { Some(time[i - 1]) };
        check_bar(
            prev,
            time[i],
            [open[i], high[i], low[i], close[i], volume[i]],
        )
        .map_err(|(column, reason)| BarError {
            index: i,
            column,
            reason,
        })?;
    }
    Ok(())
}

/// Why canonical bytes did not make [`Bars`] (see [`Bars::from_canonical`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CanonicalError {
    /// The byte count does not match the bar count in the first 8 bytes.
    #[error("{bytes} bytes do not hold the {bars} bars they announce")]
    Length {
        /// Bytes given.
        bytes: usize,
        /// Bars announced.
        bars: u64,
    },
    /// The bytes' BLAKE3 is not the expected one: they were damaged.
    #[error("checksum mismatch")]
    Checksum,
    /// The bytes are intact but a bar breaks the rules.
    #[error(transparent)]
    Bar(#[from] BarError),
}

/// OHLCV bars in columns, times in milliseconds since the Unix epoch (UTC), strictly increasing.
///
/// Built only through [`Bars::new`] or [`Bars::from_canonical`], which check every bar, so a
/// `Bars` is always valid.
#[derive(Debug, Clone, PartialEq)]
pub struct Bars {
    time: Vec<i64>,
    open: Vec<f64>,
    high: Vec<f64>,
    low: Vec<f64>,
    close: Vec<f64>,
    volume: Vec<f64>,
    hash: [u8; 32],
}

impl Bars {
    /// Checks and wraps columns of equal length.
    ///
    /// # Errors
    /// A [`BarError`] naming the first bar and column that break the rules of [`check_bar`],
    /// or columns of different lengths (reported against the shortest column's end).
    pub fn new(
        time: Vec<i64>,
        open: Vec<f64>,
        high: Vec<f64>,
        low: Vec<f64>,
        close: Vec<f64>,
        volume: Vec<f64>,
    ) -> Result<Self, BarError> {
        check_columns(&time, [&open, &high, &low, &close, &volume])?;
        let hash = hash_columns(&time, [&open, &high, &low, &close, &volume]);
        Ok(Bars {
            time,
            open,
            high,
            low,
            close,
            volume,
            hash,
        })
    }

    /// Appends the bars' canonical bytes to `out`: the bar count (u64), then the times (i64),
    /// then open, high, low, close and volume (f64), each a column, all little-endian. Their
    /// BLAKE3 is [`Bars::hash`].
    pub fn write_canonical(&self, out: &mut Vec<u8>) {
        out.reserve(8 + 48 * self.len());
        let cols = [&self.open, &self.high, &self.low, &self.close, &self.volume];
        canonical_chunks(&self.time, cols.map(Vec::as_slice), |bytes| {
            out.extend_from_slice(bytes)
        });
    }

    /// Bars from canonical bytes (see [`Bars::write_canonical`]) whose BLAKE3 must be
    /// `checksum`, each bar checked as by [`Bars::new`]. The bytes are hashed once, on a second
    /// thread while the columns are decoded: the checksum is the bars' hash.
    ///
    /// # Errors
    /// [`CanonicalError::Length`] for a byte count that does not match, `Checksum` for damaged
    /// bytes (reported before any bar problem), `Bar` for the first bar that breaks the rules.
    pub fn from_canonical(bytes: &[u8], checksum: &[u8; 32]) -> Result<Self, CanonicalError> {
        let Some(head) = bytes.get(..8) else {
            return Err(CanonicalError::Length {
                bytes: bytes.len(),
                bars: 0,
            });
        };
        let mut n8 = [0u8; 8];
        n8.copy_from_slice(head);
        let bars = u64::from_le_bytes(n8);
        let n = usize::try_from(bars).ok().filter(|n| {
            n.checked_mul(48)
                .and_then(|b| b.checked_add(8))
                .is_some_and(|len| len == bytes.len())
        });
        let Some(n) = n else {
            return Err(CanonicalError::Length {
                bytes: bytes.len(),
                bars,
            });
        };
        let col = |k: usize| &bytes[8 + k * 8 * n..8 + (k + 1) * 8 * n];
        let decode = || {
            (
                le_i64_column(col(0)),
                [1, 2, 3, 4, 5].map(|k| le_f64_column(col(k))),
            )
        };
        // Hashing and decoding each take about as long: side by side on big data.
        let (hash, (time, cols)) = if bytes.len() >= 1 << 20 {
            std::thread::scope(|s| {
                let hasher = s.spawn(|| *blake3::hash(bytes).as_bytes());
                let columns = decode();
                let hash = hasher
                    .join()
                    .unwrap_or_else(|_| *blake3::hash(bytes).as_bytes());
                (hash, columns)
            })
        } else {
            (*blake3::hash(bytes).as_bytes(), decode())
        };
        if &hash != checksum {
            return Err(CanonicalError::Checksum);
        }
        let [open, high, low, close, volume] = cols;
        check_columns(&time, [&open, &high, &low, &close, &volume])?;
        Ok(Bars {
            time,
            open,
            high,
            low,
            close,
            volume,
            hash,
        })
    }

    /// Bar `i` (panics past the end, like slice indexing; callers loop over `0..len()`).
    #[inline]
    pub fn bar(&self, i: usize) -> Bar {
        Bar {
            time: self.time[i],
            open: self.open[i],
            high: self.high[i],
            low: self.low[i],
            close: self.close[i],
            volume: self.volume[i],
        }
    }

    /// Number of bars.
    pub fn len(&self) -> usize {
        self.time.len()
    }

    /// True when there are no bars.
    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }

    /// Bar times, milliseconds since the Unix epoch, UTC.
    pub fn time(&self) -> &[i64] {
        &self.time
    }
    /// Opening prices.
    pub fn open(&self) -> &[f64] {
        &self.open
    }
    /// Highest prices.
    pub fn high(&self) -> &[f64] {
        &self.high
    }
    /// Lowest prices.
    pub fn low(&self) -> &[f64] {
        &self.low
    }
    /// Closing prices.
    pub fn close(&self) -> &[f64] {
        &self.close
    }
    /// Volumes.
    pub fn volume(&self) -> &[f64] {
        &self.volume
    }

    /// The column named by `col` (times excluded: they are integers).
    pub fn column(&self, col: Column) -> Option<&[f64]> {
        match col {
            Column::Time => None,
            Column::Open => Some(&self.open),
            Column::High => Some(&self.high),
            Column::Low => Some(&self.low),
            Column::Close => Some(&self.close),
            Column::Volume => Some(&self.volume),
        }
    }

    /// BLAKE3 hash of every time and value, computed once on construction.
    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }

    /// The first `n` bars (all of them when `n >= len`).
    pub fn truncated(&self, n: usize) -> Bars {
        self.slice(0, n)
    }

    /// Bars `start..end` (clamped to the data).
    pub fn slice(&self, start: usize, end: usize) -> Bars {
        let end = end.min(self.len());
        let start = start.min(end);
        let time = self.time[start..end].to_vec();
        let cols = [&self.open, &self.high, &self.low, &self.close, &self.volume]
            .map(|c| c[start..end].to_vec());
        let [open, high, low, close, volume] = cols;
        let hash = hash_columns(&time, [&open, &high, &low, &close, &volume]);
        Bars {
            time,
            open,
            high,
            low,
            close,
            volume,
            hash,
        }
    }
}

/// Feeds the canonical bytes of bars to `sink` a few kilobytes at a time: the bar count (u64),
/// the times (i64), then each of `cols` (f64), all little-endian. The one definition of the
/// layout behind [`Bars::hash`], [`Bars::write_canonical`] and [`Bars::from_canonical`].
fn canonical_chunks(time: &[i64], cols: [&[f64]; 5], mut sink: impl FnMut(&[u8])) {
    sink(&(time.len() as u64).to_le_bytes());
    let mut buf = Vec::with_capacity(8 * 4096);
    for chunk in time.chunks(4096) {
        buf.clear();
        for t in chunk {
            buf.extend_from_slice(&t.to_le_bytes());
        }
        sink(&buf);
    }
    for col in cols {
        for chunk in col.chunks(4096) {
            buf.clear();
            for v in chunk {
                buf.extend_from_slice(&v.to_le_bytes());
            }
            sink(&buf);
        }
    }
}

fn hash_columns(time: &[i64], cols: [&[f64]; 5]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    canonical_chunks(time, cols, |bytes| {
        h.update(bytes);
    });
    *h.finalize().as_bytes()
}

/// Little-endian `i64`s packed in `bytes` (a trailing partial value is ignored): a column of
/// a dataset file. Here so it runs at the engine's optimisation level in dev builds too.
pub fn le_i64_column(bytes: &[u8]) -> Vec<i64> {
    bytes
        .chunks_exact(8)
        .map(|c| {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            i64::from_le_bytes(b)
        })
        .collect()
}

/// Little-endian `f64`s packed in `bytes` (a trailing partial value is ignored).
pub fn le_f64_column(bytes: &[u8]) -> Vec<f64> {
    bytes
        .chunks_exact(8)
        .map(|c| {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            f64::from_le_bytes(b)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(t: i64, o: f64, h: f64, l: f64, c: f64) -> Result<Bars, BarError> {
        Bars::new(vec![t], vec![o], vec![h], vec![l], vec![c], vec![1.0])
    }

    /// `n` valid bars, a gentle zig-zag.
    fn many(n: usize) -> Bars {
        let time = (0..n as i64)
            .map(|i| 1_600_000_000_000 + i * 60_000)
            .collect();
        let close: Vec<f64> = (0..n).map(|i| 100.0 + (i % 7) as f64).collect();
        let open = close.iter().map(|c| c - 0.5).collect();
        let high = close.iter().map(|c| c + 1.0).collect();
        let low = close.iter().map(|c| c - 1.0).collect();
        let volume = vec![10.0; n];
        Bars::new(time, open, high, low, close, volume).unwrap()
    }

    fn canonical(b: &Bars) -> Vec<u8> {
        let mut out = Vec::new();
        b.write_canonical(&mut out);
        out
    }

    #[test]
    fn canonical_bytes_round_trip_and_hash_to_the_bars_hash() {
        // Small data hashes inline; 30,000 bars (1.4 MB) hash on a second thread.
        for n in [0, 1, 1000, 30_000] {
            let b = many(n);
            let bytes = canonical(&b);
            assert_eq!(bytes.len(), 8 + 48 * n);
            assert_eq!(blake3::hash(&bytes).as_bytes(), &b.hash(), "{n} bars");
            assert_eq!(Bars::from_canonical(&bytes, &b.hash()), Ok(b), "{n} bars");
        }
    }

    #[test]
    fn damaged_canonical_bytes_are_a_checksum_error_before_any_bar_error() {
        for n in [10, 30_000] {
            let b = many(n);
            let mut bytes = canonical(&b);
            // Bar 3's close becomes negative: a bar error, but the checksum fails first.
            let at = 8 + 8 * n * 4 + 8 * 3;
            bytes[at..at + 8].copy_from_slice(&(-5.0f64).to_le_bytes());
            assert_eq!(
                Bars::from_canonical(&bytes, &b.hash()),
                Err(CanonicalError::Checksum)
            );
            // Intact bytes (their own checksum) with that bad bar: the bar is named.
            let sum = *blake3::hash(&bytes).as_bytes();
            match Bars::from_canonical(&bytes, &sum) {
                Err(CanonicalError::Bar(e)) => assert_eq!((e.index, e.column), (3, Column::Close)),
                other => panic!("{n} bars: {other:?}"),
            }
        }
    }

    #[test]
    fn canonical_bytes_of_the_wrong_length_are_refused() {
        let b = many(5);
        let bytes = canonical(&b);
        for cut in [0, 7, 8, bytes.len() - 1] {
            assert!(
                matches!(
                    Bars::from_canonical(&bytes[..cut], &b.hash()),
                    Err(CanonicalError::Length { .. })
                ),
                "cut at {cut}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            Bars::from_canonical(&longer, &b.hash()),
            Err(CanonicalError::Length { .. })
        ));
    }

    #[test]
    fn rejects_bad_bars_naming_the_column() {
        assert_eq!(
            one(0, 10.0, 9.0, 8.0, 9.5).map_err(|e| e.column),
            Err(Column::High)
        );
        assert_eq!(
            one(0, 10.0, 11.0, 10.5, 10.6).map_err(|e| e.column),
            Err(Column::Low)
        );
        assert_eq!(
            one(0, f64::NAN, 11.0, 9.0, 10.0).map_err(|e| e.column),
            Err(Column::Open)
        );
        assert_eq!(
            one(0, 10.0, 11.0, 0.0, 10.0).map_err(|e| e.column),
            Err(Column::Low)
        );
        let dup = Bars::new(
            vec![5, 5],
            vec![1.0; 2],
            vec![1.0; 2],
            vec![1.0; 2],
            vec![1.0; 2],
            vec![0.0; 2],
        );
        assert_eq!(dup.map_err(|e| (e.index, e.column)), Err((1, Column::Time)));
    }

    #[test]
    fn hash_changes_with_any_value_and_truncation_rehashes() {
        let a = Bars::new(
            vec![1, 2],
            vec![1.0, 2.0],
            vec![1.0, 2.0],
            vec![1.0, 2.0],
            vec![1.0, 2.0],
            vec![0.0; 2],
        );
        let b = Bars::new(
            vec![1, 2],
            vec![1.0, 2.0],
            vec![1.0, 2.0],
            vec![1.0, 2.0],
            vec![1.0, 2.0],
            vec![0.0, 1.0],
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_ne!(a.hash(), b.hash());
        assert_eq!(a.truncated(1).hash(), b.truncated(1).hash());
    }
}
