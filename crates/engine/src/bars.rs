//! Market data as columns: UTC times and OHLCV prices, checked on construction.

use serde::{Deserialize, Serialize};

/// Formats a time in ms since the Unix epoch as ISO 8601 UTC: `2024-01-31T09:30:00Z`, with
/// milliseconds only when the time has them.
pub fn iso8601(ms: i64) -> String {
    let mut buf = [0u8; ISO8601_MAX];
    if let Some(text) = write_iso8601(&mut buf, ms) {
        return String::from_utf8_lossy(text).into_owned();
    }
    iso8601_chrono(ms)
}

/// Room [`write_iso8601`] needs: `2024-01-31T09:30:00.123Z`.
pub const ISO8601_MAX: usize = 24;

/// Writes what [`iso8601`] gives for a time in years 0000–9999 into `buf`, without
/// allocating, and returns it; `None` for other years.
#[inline]
pub fn write_iso8601(buf: &mut [u8; ISO8601_MAX], ms: i64) -> Option<&[u8]> {
    const MS_PER_DAY: i64 = 86_400_000;
    let (y, m, d) = civil_from_days(ms.div_euclid(MS_PER_DAY));
    if !(0..=9999).contains(&y) {
        return None;
    }
    let in_day = ms.rem_euclid(MS_PER_DAY);
    let mut put = |at: usize, v: i64, width: usize| {
        let mut v = v;
        for k in (at..at + width).rev() {
            buf[k] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, y, 4);
    put(5, i64::from(m), 2);
    put(8, i64::from(d), 2);
    put(11, in_day / 3_600_000, 2);
    put(14, in_day / 60_000 % 60, 2);
    put(17, in_day / 1000 % 60, 2);
    let millis = in_day % 1000;
    let len = if millis == 0 {
        20
    } else {
        put(20, millis, 3);
        buf[19] = b'.';
        24
    };
    buf[4] = b'-';
    buf[7] = b'-';
    buf[10] = b'T';
    buf[13] = b':';
    buf[16] = b':';
    buf[len - 1] = b'Z';
    Some(&buf[..len])
}

/// The date (year, month, day) `z` days after 1970-01-01 (H. Hinnant's algorithm).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// [`iso8601`] through chrono, for years outside 0000–9999.
#[cold]
fn iso8601_chrono(ms: i64) -> String {
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
    values: [f64; 5],
) -> Result<(), (Column, String)> {
    if let Some(prev) = prev_time {
        check_time_order(prev, time)?;
    }
    check_values(values)
}

/// The time half of [`check_bar`]: `time` strictly after `prev`.
pub(crate) fn check_time_order(prev: i64, time: i64) -> Result<(), (Column, String)> {
    if time == prev {
        return Err((Column::Time, "duplicate timestamp".into()));
    }
    if time < prev {
        return Err((
            Column::Time,
            "timestamp earlier than the previous row".into(),
        ));
    }
    Ok(())
}

/// The value half of [`check_bar`].
#[inline]
fn check_values([open, high, low, close, volume]: [f64; 5]) -> Result<(), (Column, String)> {
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

/// True when the values pass [`check_bar`]'s value checks, without branches: each test is
/// `check_bar`'s own, written so that a NaN fails it.
#[inline]
pub(crate) fn values_ok([open, high, low, close, volume]: [f64; 5]) -> bool {
    let price = |p: f64| p > 0.0 && p <= MAX_PRICE;
    let mut ok = price(open) & price(high) & price(low) & price(close);
    ok &= (0.0..=f64::MAX).contains(&volume);
    ok &= (high >= low) & (high >= open) & (high >= close);
    ok & (low <= open) & (low <= close)
}

/// True when every bar of the columns (as long as `time`) passes [`check_bar`], the first
/// after a bar at `prev`. Branch-free over blocks of bars, so the common case (all good) costs
/// a fraction of a call per bar; on `false` the caller finds the first bad bar with
/// `check_bar`. Each test is `check_bar`'s own, written so that a NaN fails it.
pub(crate) fn all_valid(prev: Option<i64>, time: &[i64], cols: [&[f64]; 5]) -> bool {
    const BLOCK: usize = 1024;
    let n = time.len();
    if cols.iter().any(|c| c.len() < n) {
        return false;
    }
    let mut last = prev;
    let mut from = 0;
    while from < n {
        let to = (from + BLOCK).min(n);
        let [o, h, l, c, v] = cols.map(|c| &c[from..to]);
        let t = &time[from..to];
        let mut ok = true;
        for i in 0..t.len() {
            ok &= values_ok([o[i], h[i], l[i], c[i], v[i]]);
        }
        for w in t.windows(2) {
            ok &= w[1] > w[0];
        }
        if let (Some(p), Some(&first)) = (last, t.first()) {
            ok &= first > p;
        }
        if !ok {
            return false;
        }
        last = t.last().copied();
        from = to;
    }
    true
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
    if all_valid(None, time, cols) {
        return Ok(());
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

    /// Wraps columns whose every bar the caller has already checked with [`check_bar`], in
    /// order (an importer checks each row as it reads it): only the hash is computed.
    pub(crate) fn from_checked(
        time: Vec<i64>,
        [open, high, low, close, volume]: [Vec<f64>; 5],
    ) -> Self {
        debug_assert!(check_columns(&time, [&open, &high, &low, &close, &volume]).is_ok());
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
        Bars::from_checked(time, cols)
    }
}

/// Feeds the canonical bytes of bars to `sink` a few kilobytes at a time: the bar count (u64),
/// the times (i64), then each of `cols` (f64), all little-endian. The one definition of the
/// layout behind [`Bars::hash`], [`Bars::write_canonical`] and [`Bars::from_canonical`].
fn canonical_chunks(time: &[i64], cols: [&[f64]; 5], sink: impl FnMut(&[u8])) {
    canonical_range(time, cols, 0, canonical_len(time.len()), sink);
}

/// Bytes of the canonical layout of `n` bars.
fn canonical_len(n: usize) -> usize {
    8 + 48 * n
}

/// Feeds bytes `from..to` of the canonical layout (see [`canonical_chunks`]) to `sink`; both
/// are multiples of 8, so every value is fed whole.
fn canonical_range(
    time: &[i64],
    cols: [&[f64]; 5],
    from: usize,
    to: usize,
    mut sink: impl FnMut(&[u8]),
) {
    let n = time.len();
    // In 8-byte words: the count, then six columns of n words.
    let (w0, w1) = (from / 8, to / 8);
    if w0 == 0 && w1 > 0 {
        sink(&(n as u64).to_le_bytes());
    }
    let mut buf = vec![0u8; 8 * 4096];
    for s in 0..6 {
        let start = 1 + s * n;
        let (lo, hi) = (w0.max(start), w1.min(start + n));
        if lo >= hi {
            continue;
        }
        let (lo, hi) = (lo - start, hi - start);
        if s == 0 {
            feed_le(&time[lo..hi], i64::to_le_bytes, &mut buf, &mut sink);
        } else {
            feed_le(&cols[s - 1][lo..hi], f64::to_le_bytes, &mut buf, &mut sink);
        }
    }
}

/// Feeds `values` to `sink` as little-endian bytes, `buf`'s length at a time.
fn feed_le<T: Copy>(
    values: &[T],
    le: fn(T) -> [u8; 8],
    buf: &mut [u8],
    sink: &mut impl FnMut(&[u8]),
) {
    for chunk in values.chunks(buf.len() / 8) {
        for (word, &v) in buf.chunks_exact_mut(8).zip(chunk) {
            word.copy_from_slice(&le(v));
        }
        sink(&buf[..8 * chunk.len()]);
    }
}

/// Canonical bytes from this size up are hashed on several threads.
const PARALLEL_HASH_FROM: usize = 8 << 20;

fn hash_columns(time: &[i64], cols: [&[f64]; 5]) -> [u8; 32] {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    hash_columns_with(time, cols, threads, PARALLEL_HASH_FROM)
}

/// The BLAKE3 of the canonical bytes: in one pass below `parallel_from` bytes or on one thread,
/// else as subtrees of equal power-of-two size hashed on `threads` threads and merged as
/// BLAKE3's tree has them (`blake3::hazmat`), which gives the same hash.
fn hash_columns_with(
    time: &[i64],
    cols: [&[f64]; 5],
    threads: usize,
    parallel_from: usize,
) -> [u8; 32] {
    use blake3::hazmat::{merge_subtrees_root, HasherExt, Mode};
    let len = canonical_len(time.len());
    // Four subtrees per thread, each a power of two of chunks, the last one shorter.
    let part = (len / (4 * threads.max(1)))
        .next_power_of_two()
        .max(blake3::CHUNK_LEN);
    let parts = len.div_ceil(part);
    if threads < 2 || parts < 2 || len < parallel_from {
        let mut h = blake3::Hasher::new();
        canonical_chunks(time, cols, |bytes| {
            h.update(bytes);
        });
        return *h.finalize().as_bytes();
    }
    let hash_part = |p: usize| {
        let (from, to) = (p * part, ((p + 1) * part).min(len));
        let mut h = blake3::Hasher::new();
        h.set_input_offset(from as u64);
        canonical_range(time, cols, from, to, |bytes| {
            h.update(bytes);
        });
        h.finalize_non_root()
    };
    let hash_parts = |ps: std::ops::Range<usize>| ps.map(hash_part).collect::<Vec<_>>();
    let cvs: Vec<_> = std::thread::scope(|scope| {
        let ranges: Vec<_> = (0..threads)
            .map(|t| t * parts / threads..(t + 1) * parts / threads)
            .collect();
        let handles: Vec<_> = ranges[1..]
            .iter()
            .map(|r| {
                let r = r.clone();
                let job = move || hash_parts(r);
                std::thread::Builder::new().spawn_scoped(scope, job)
            })
            .collect();
        let mut cvs = hash_parts(ranges[0].clone());
        for (r, handle) in ranges[1..].iter().zip(handles) {
            cvs.extend(match handle {
                Ok(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
                // No thread to be had: this one hashes those parts too.
                Err(_) => hash_parts(r.clone()),
            });
        }
        cvs
    });
    let (left, right) = cvs.split_at(left_parts(cvs.len()));
    *merge_subtrees_root(&merge_cvs(left), &merge_cvs(right), Mode::Hash).as_bytes()
}

/// How many of `n` equal subtrees (the last possibly shorter) make the left child of their
/// parent in BLAKE3's tree: the largest power of two below `n`.
fn left_parts(n: usize) -> usize {
    n.div_ceil(2).next_power_of_two()
}

/// The chaining value of the subtree whose children are `cvs` (at least one).
fn merge_cvs(cvs: &[blake3::hazmat::ChainingValue]) -> blake3::hazmat::ChainingValue {
    use blake3::hazmat::{merge_subtrees_non_root, Mode};
    if cvs.len() == 1 {
        return cvs[0];
    }
    let (left, right) = cvs.split_at(left_parts(cvs.len()));
    merge_subtrees_non_root(&merge_cvs(left), &merge_cvs(right), Mode::Hash)
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

    #[test]
    fn all_valid_agrees_with_check_bar_on_every_kind_of_bad_value() {
        let good = many(2_500);
        // Copies of the columns, to damage.
        let cols = |b: &Bars| {
            let c: [Vec<f64>; 5] =
                [b.open(), b.high(), b.low(), b.close(), b.volume()].map(<[f64]>::to_vec);
            (b.time().to_vec(), c)
        };
        let by_check_bar = |prev: Option<i64>, time: &[i64], c: &[Vec<f64>; 5]| {
            (0..time.len()).all(|i| {
                let p = if i == 0 { prev } else { Some(time[i - 1]) };
                check_bar(p, time[i], [c[0][i], c[1][i], c[2][i], c[3][i], c[4][i]]).is_ok()
            })
        };
        let (time, c) = cols(&good);
        fn view(c: &[Vec<f64>; 5]) -> [&[f64]; 5] {
            c.each_ref().map(Vec::as_slice)
        }
        assert!(all_valid(None, &time, view(&c)));
        assert!(all_valid(Some(time[0] - 1), &time, view(&c)));
        assert!(!all_valid(Some(time[0]), &time, view(&c)));
        let bad_values = [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.0,
            -1.0,
            MAX_PRICE * 2.0,
            50.0,
            500.0,
        ];
        for row in [0, 1, 1_023, 1_024, 1_025, 2_048, 2_499] {
            for k in 0..5 {
                for &bad in &bad_values {
                    let (time, mut c) = cols(&good);
                    c[k][row] = bad;
                    let want = by_check_bar(None, &time, &c);
                    assert_eq!(
                        all_valid(None, &time, view(&c)),
                        want,
                        "row {row} col {k} {bad}"
                    );
                }
            }
            for shift in [-60_000, 0, 1] {
                let (mut time, c) = cols(&good);
                if row > 0 {
                    time[row] = time[row - 1] + shift;
                    let want = by_check_bar(None, &time, &c);
                    assert_eq!(
                        all_valid(None, &time, view(&c)),
                        want,
                        "row {row} time {shift}"
                    );
                }
            }
        }
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
    fn hashing_on_threads_gives_the_one_pass_hash() {
        let b = many(70_000);
        let cols = [b.open(), b.high(), b.low(), b.close(), b.volume()];
        let one = *blake3::hash(&canonical(&b)).as_bytes();
        for n in [0, 1, 21, 22, 42, 43, 85, 86, 1000, 5461, 5462, 70_000] {
            let want = *blake3::hash(&canonical(&b.truncated(n))).as_bytes();
            let cut = cols.map(|c| &c[..n]);
            for threads in [2, 3, 4, 7] {
                let got = hash_columns_with(&b.time()[..n], cut, threads, 0);
                assert_eq!(got, want, "{n} bars on {threads} threads");
            }
        }
        assert_eq!(hash_columns_with(b.time(), cols, 2, 0), one);
        assert_eq!(b.hash(), one);
    }

    #[test]
    fn iso8601_without_chrono_writes_what_chrono_writes() {
        let mut ms: Vec<i64> = vec![0, -1, 1, 999, 1000, -86_400_000, 253_402_300_799_999];
        // Every few hours and odd milliseconds from year 0 to 9999, both signs of the epoch.
        let mut t = -62_167_219_200_000i64;
        while t < 253_402_300_800_000 {
            ms.extend([t, t + 1, t + 59_999, t + 86_399_123]);
            t += 7_777_777_777;
        }
        for t in ms {
            assert_eq!(iso8601(t), iso8601_chrono(t), "{t}");
        }
        // Outside years 0000-9999 chrono decides.
        let mut buf = [0u8; ISO8601_MAX];
        for t in [
            -62_167_219_200_001i64,
            253_402_300_800_000,
            i64::MIN,
            i64::MAX,
        ] {
            assert_eq!(write_iso8601(&mut buf, t), None, "{t}");
            assert_eq!(iso8601(t), iso8601_chrono(t));
        }
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
