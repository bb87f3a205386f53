//! Technical indicators: batch functions over whole series and streaming states that consume
//! one bar at a time and give bit-identical results.
//!
//! # Conventions
//!
//! - Series are `&[f64]`; a missing value is `f64::NAN`. Every non-finite input (NaN or ±inf,
//!   e.g. from a division by zero upstream) is treated as missing.
//! - Outputs have the length of the input (for several inputs: the length of `close`, or of the
//!   first argument; a shorter companion series counts as missing past its end). Warm-up bars
//!   are NaN.
//! - A period of 0 is treated as 1 (callers validate `>= 1`; nothing here panics).
//! - **Window indicators** (SMA, WMA, stddev, highest, lowest, Bollinger, ROC, stochastic,
//!   rolling VWAP) output NaN whenever any input in their window is missing. Leading NaNs
//!   (chained after another indicator) simply delay the first value.
//! - **Recursive indicators** (EMA, RSI, ATR, MACD, OBV) skip leading missing values: seeding
//!   starts at the first valid value and counts valid values only. A missing value (during or
//!   after seeding) gives NaN for that bar and leaves the state unchanged.
//! - Seeding follows TA-Lib (checked against the `TA-Lib` 0.8.2 Python wheel, default
//!   compatibility, no unstable period): EMA starts with the SMA of its first `n` values;
//!   RSI and ATR use Wilder smoothing seeded with the mean of the first `n` changes / true
//!   ranges; MACD aligns the fast EMA on the slow one. `tests/golden/indicators.json` holds
//!   TA-Lib's outputs and the engine's integration test checks them to 1e-9.
//! - Running sums are O(1) per bar and re-summed exactly from the window every `period` bars
//!   (every smallest multiple of `period` >= 64 bars for short periods), so they never drift; the streaming states do the same floating-point operations
//!   in the same order as the batch functions.
//! - The states never hold a non-finite number, so they round-trip through `serde_json`.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// `(x, true)` for a finite `x`, `(0.0, false)` for a missing one.
#[inline(always)]
fn clean(x: f64) -> (f64, bool) {
    if x.is_finite() {
        (x, true)
    } else {
        (0.0, false)
    }
}

/// Value `i` of a companion series, NaN past its end.
#[inline(always)]
fn at(x: &[f64], i: usize) -> f64 {
    x.get(i).copied().unwrap_or(f64::NAN)
}

/// One EMA step in the form used everywhere here: `k·x + (1 − k)·prev`.
#[inline(always)]
fn ema_step(prev: f64, x: f64, k: f64, c: f64) -> f64 {
    k * x + c * prev
}

/// Sum of `v` in order, starting from `0.0`.
#[inline]
fn plain_sum<'a>(v: impl Iterator<Item = &'a f64>) -> f64 {
    v.fold(0.0, |s, &x| s + x)
}

/// The exact re-sum of a window used by every running sum, missing values counted as 0:
/// four interleaved partial sums (element `i` into lane `i mod 4`), then
/// `(l0 + l1) + (l2 + l3)`. Four independent chains keep the re-sum cheap.
#[inline]
fn window_sum(s: &[f64]) -> f64 {
    let mut a = [0.0f64; 4];
    let mut chunks = s.chunks_exact(4);
    for c in &mut chunks {
        for (acc, &v) in a.iter_mut().zip(c) {
            *acc += clean(v).0;
        }
    }
    for (acc, &v) in a.iter_mut().zip(chunks.remainder()) {
        *acc += clean(v).0;
    }
    (a[0] + a[1]) + (a[2] + a[3])
}

// ---------------------------------------------------------------------------------------------
// Window core
// ---------------------------------------------------------------------------------------------

/// Running sums are re-summed exactly after every `resum_blocks(n)·n` bars: every `n` bars for
/// `n >= 64`, otherwise the smallest multiple of `n` that is at least 64 bars (re-summing a
/// tiny window every bar or two would cost more than the running sum it corrects).
const RESUM_MIN_BARS: usize = 64;

/// How many ring wraps (blocks of `n` bars) pass between two exact re-sums.
#[inline]
fn resum_blocks(n: usize) -> usize {
    RESUM_MIN_BARS.div_ceil(n.max(1))
}

/// The last `period` inputs (missing stored as 0.0) with their running sum, re-summed
/// exactly ([`window_sum`]) every [`resum_blocks`] wraps of the ring (when it lies in time
/// order), and the first bar whose window holds no missing value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Window {
    /// Ring of the last `period` cleaned inputs; slot `pos` holds the oldest.
    buf: Vec<f64>,
    pos: usize,
    /// Sum of the ring (missing counted as 0).
    sum: f64,
    /// Ring wraps since the last exact re-sum.
    wraps: usize,
    /// Index of the next bar.
    bar: u64,
    /// Window length minus one: how many earlier bars an output depends on.
    lookback: u64,
    /// First bar index with a full window free of missing values.
    valid_from: u64,
}

/// What [`Window::push`] learnt about one bar.
#[derive(Clone, Copy)]
struct Pushed {
    /// The cleaned input (0.0 when missing).
    z: f64,
    /// Whether the input was valid.
    ok: bool,
    /// The cleaned value that left the ring (0.0 during warm-up).
    old: f64,
    /// Whether the sum was re-summed exactly on this bar.
    resummed: bool,
    /// Whether the whole window is present.
    valid: bool,
}

impl Window {
    fn new(period: usize, lookback: usize) -> Self {
        let period = period.max(1);
        Self {
            buf: vec![0.0; period],
            pos: 0,
            sum: 0.0,
            wraps: 0,
            bar: 0,
            lookback: lookback as u64,
            valid_from: lookback as u64,
        }
    }

    fn nf(&self) -> f64 {
        self.buf.len().max(1) as f64
    }

    /// `1 / period`: means are `sum · (1/n)`, a multiplication rather than a division.
    fn inv(&self) -> f64 {
        1.0 / self.nf()
    }

    /// The ring from oldest to newest.
    fn chrono(&self) -> impl Iterator<Item = &f64> {
        let (a, b) = self.buf.split_at(self.pos.min(self.buf.len()));
        b.iter().chain(a.iter())
    }

    #[inline(always)]
    fn push(&mut self, x: f64) -> Pushed {
        let (z, ok) = clean(x);
        let n = self.buf.len();
        let old = match self.buf.get_mut(self.pos) {
            Some(slot) => std::mem::replace(slot, z),
            None => 0.0,
        };
        if !ok {
            self.valid_from = self.bar + self.lookback + 1;
        }
        self.sum += z - old;
        self.pos += 1;
        let mut resummed = false;
        if self.pos >= n {
            self.pos = 0;
            self.wraps += 1;
            if self.wraps >= resum_blocks(n) {
                self.wraps = 0;
                self.sum = window_sum(&self.buf);
                resummed = true;
            }
        }
        let valid = self.bar >= self.valid_from;
        self.bar += 1;
        Pushed {
            z,
            ok,
            old,
            resummed,
            valid,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// SMA
// ---------------------------------------------------------------------------------------------

/// Streaming simple moving average: `SMA[t] = (x[t−n+1] + … + x[t]) / n`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmaState {
    w: Window,
}

impl SmaState {
    /// A new SMA over `period` bars (0 is treated as 1).
    pub fn new(period: usize) -> Self {
        let n = period.max(1);
        Self {
            w: Window::new(n, n - 1),
        }
    }

    /// Consumes one value; returns the SMA, NaN in warm-up or when the window holds a NaN.
    #[inline]
    pub fn update(&mut self, x: f64) -> f64 {
        let inv = self.w.inv();
        let p = self.w.push(x);
        if p.valid {
            self.w.sum * inv
        } else {
            f64::NAN
        }
    }
}

/// Simple moving average over `n` bars: `SMA[t] = Σ_{i=t−n+1..t} x[i] / n`.
///
/// First value at index `n − 1`; NaN while any value in the window is missing. O(1) per bar
/// with an exact re-sum every `n` bars (every multiple of `n` >= 64 bars when `n < 64`);
/// computed as `sum · (1/n)`; bit-identical to [`SmaState`].
pub fn sma(x: &[f64], n: usize) -> Vec<f64> {
    let mut out = vec![0.0; x.len()];
    SmaRun::new(n).fill(x, &mut out);
    out
}

/// [`sma`] computed a stretch of bars at a time, in order: the same floating-point
/// operations as [`SmaState::update`], without the ring buffer (blocks of bars between exact
/// re-sums, the value leaving the window read from the input).
pub(crate) struct SmaRun {
    n: usize,
    inv: f64,
    /// Bars between exact re-sums, counted from the first bar.
    block: usize,
    sum: f64,
    valid_from: usize,
    /// The next bar to compute.
    next: usize,
}

impl SmaRun {
    /// The SMA over `n` bars (0 is treated as 1) from the first bar on.
    pub(crate) fn new(n: usize) -> Self {
        let n = n.max(1);
        SmaRun {
            n,
            inv: 1.0 / n as f64,
            block: resum_blocks(n) * n,
            sum: 0.0,
            valid_from: n - 1,
            next: 0,
        }
    }

    /// Writes the SMA of the input `x` (all of it, not only this stretch) at the next
    /// `out.len()` bars to `out`.
    pub(crate) fn fill(&mut self, x: &[f64], out: &mut [f64]) {
        let (n, inv, from) = (self.n, self.inv, self.next);
        let to = (from + out.len()).min(x.len());
        let (mut sum, mut valid_from) = (self.sum, self.valid_from);
        let mut start = from;
        while start < to {
            let block_end = (start / self.block + 1) * self.block;
            let end = block_end.min(to);
            // Bars before `n` have nothing leaving the window.
            let split = n.clamp(start, end);
            let o = &mut out[start - from..split - from];
            for (t, (o, &v)) in (start..).zip(o.iter_mut().zip(&x[start..split])) {
                let (z, ok) = clean(v);
                if !ok {
                    valid_from = t + n;
                }
                sum += z - 0.0;
                *o = if t >= valid_from { sum * inv } else { f64::NAN };
            }
            if split < end {
                let o = &mut out[split - from..end - from];
                let (cur, prev) = (&x[split..end], &x[split - n..end - n]);
                for (t, ((o, &v), &old)) in (split..).zip(o.iter_mut().zip(cur).zip(prev)) {
                    let (z, ok) = clean(v);
                    if !ok {
                        valid_from = t + n;
                    }
                    sum += z - clean(old).0;
                    *o = if t >= valid_from { sum * inv } else { f64::NAN };
                }
            }
            if end == block_end {
                // The block's last bar re-sums its window exactly, as the state does.
                sum = window_sum(&x[end - n..end]);
                if end > valid_from {
                    out[end - 1 - from] = sum * inv;
                }
            }
            start = end;
        }
        (self.sum, self.valid_from, self.next) = (sum, valid_from, to);
    }
}

// ---------------------------------------------------------------------------------------------
// EMA
// ---------------------------------------------------------------------------------------------

/// Streaming exponential moving average with `α = 2 / (n + 1)`:
/// `EMA = mean(first n values)`, then `EMA[t] = α·x[t] + (1 − α)·EMA[t−1]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmaState {
    period: usize,
    k: f64,
    c: f64,
    count: usize,
    /// Seed sum while `count < period`, then the EMA.
    value: f64,
}

impl EmaState {
    /// A new EMA over `period` bars (0 is treated as 1).
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        let k = 2.0 / (period as f64 + 1.0);
        Self {
            period,
            k,
            c: 1.0 - k,
            count: 0,
            value: 0.0,
        }
    }

    /// Consumes one value; returns the EMA, NaN before the `n`-th valid value and on a
    /// missing input (which leaves the state unchanged).
    #[inline]
    pub fn update(&mut self, x: f64) -> f64 {
        if !x.is_finite() {
            return f64::NAN;
        }
        if self.count < self.period {
            self.value += x;
            self.count += 1;
            if self.count < self.period {
                return f64::NAN;
            }
            self.value /= self.period as f64;
        } else {
            self.value = ema_step(self.value, x, self.k, self.c);
        }
        self.value
    }
}

/// Exponential moving average, `α = 2 / (n + 1)`, seeded TA-Lib style with the SMA of the first
/// `n` valid values: `EMA[s] = mean(x[..=s])`, then `EMA[t] = α·x[t] + (1 − α)·EMA[t−1]`.
///
/// First value at the `n`-th valid input (index `n − 1` without leading NaNs).
pub fn ema(x: &[f64], n: usize) -> Vec<f64> {
    let mut st = EmaState::new(n);
    x.iter().map(|&v| st.update(v)).collect()
}

// ---------------------------------------------------------------------------------------------
// WMA
// ---------------------------------------------------------------------------------------------

/// Streaming linearly weighted moving average:
/// `WMA[t] = Σ_{j=1..n} j·x[t−n+j] / (n(n+1)/2)` (newest weight `n`, oldest weight 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WmaState {
    w: Window,
    /// Running numerator `Σ j·x`.
    num: f64,
}

impl WmaState {
    /// A new WMA over `period` bars (0 is treated as 1).
    pub fn new(period: usize) -> Self {
        let n = period.max(1);
        Self {
            w: Window::new(n, n - 1),
            num: 0.0,
        }
    }

    /// Consumes one value; returns the WMA, NaN in warm-up or when the window holds a NaN.
    #[inline]
    pub fn update(&mut self, x: f64) -> f64 {
        let nf = self.w.nf();
        let prev_sum = self.w.sum;
        let p = self.w.push(x);
        // N[t] = N[t−1] + n·x[t] − S[t−1]
        self.num += nf * p.z - prev_sum;
        if p.resummed {
            self.num = self
                .w
                .chrono()
                .enumerate()
                .fold(0.0, |s, (i, &v)| s + (i as f64 + 1.0) * v);
        }
        if p.valid {
            self.num / (nf * (nf + 1.0) / 2.0)
        } else {
            f64::NAN
        }
    }
}

/// Linearly weighted moving average: `WMA[t] = Σ_{j=1..n} j·x[t−n+j] / (n(n+1)/2)`.
///
/// First value at index `n − 1`; NaN while any value in the window is missing.
pub fn wma(x: &[f64], n: usize) -> Vec<f64> {
    let mut st = WmaState::new(n);
    x.iter().map(|&v| st.update(v)).collect()
}

// ---------------------------------------------------------------------------------------------
// Standard deviation and Bollinger bands
// ---------------------------------------------------------------------------------------------

/// Rolling mean and population variance: a [`Window`] plus `M2 = Σ (x − mean)²` kept by
/// Welford's add/remove update, recomputed by two passes at each re-sum and whenever a
/// window becomes complete again. A window of `n` identical values has exactly zero spread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Dispersion {
    w: Window,
    m2: f64,
    m2_ok: bool,
    /// Length of the current run of identical valid values, and that value.
    run: u64,
    last: f64,
}

impl Dispersion {
    fn new(period: usize) -> Self {
        let n = period.max(1);
        Self {
            w: Window::new(n, n - 1),
            m2: 0.0,
            m2_ok: false,
            run: 0,
            last: 0.0,
        }
    }

    /// Consumes one value; returns `(mean, population std)` or NaNs.
    #[inline]
    fn push(&mut self, x: f64) -> (f64, f64) {
        let nf = self.w.nf();
        let inv = self.w.inv();
        let mean_old = self.w.sum * inv;
        let p = self.w.push(x);
        if p.ok && self.run > 0 && p.z == self.last {
            self.run += 1;
        } else {
            self.run = u64::from(p.ok);
        }
        self.last = p.z;
        if !p.valid {
            self.m2_ok = false;
            return (f64::NAN, f64::NAN);
        }
        let mean = self.w.sum * inv;
        if self.run >= self.w.buf.len() as u64 {
            self.m2 = 0.0;
            self.m2_ok = true;
        } else if self.m2_ok && !p.resummed {
            self.m2 += (p.z - p.old) * ((p.z - mean) + (p.old - mean_old));
            if self.m2 < 0.0 {
                self.m2 = 0.0;
            }
        } else {
            let m = plain_sum(self.w.chrono()) / nf;
            self.m2 = self.w.chrono().fold(0.0, |s, &v| s + (v - m) * (v - m));
            self.m2_ok = true;
        }
        (mean, (self.m2 / nf).sqrt())
    }
}

/// Streaming population standard deviation over `n` bars:
/// `σ[t] = sqrt(Σ (x[i] − mean)² / n)` over the window (ddof 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StdDevState {
    d: Dispersion,
}

impl StdDevState {
    /// A new standard deviation over `period` bars (0 is treated as 1).
    pub fn new(period: usize) -> Self {
        Self {
            d: Dispersion::new(period),
        }
    }

    /// Consumes one value; returns σ, NaN in warm-up or when the window holds a NaN.
    #[inline]
    pub fn update(&mut self, x: f64) -> f64 {
        self.d.push(x).1
    }
}

/// Population standard deviation over `n` bars (ddof 0):
/// `σ[t] = sqrt(Σ_{i=t−n+1..t} (x[i] − mean[t])² / n)`.
///
/// First value at index `n − 1`; exactly 0 on a window of identical values; NaN while any
/// value in the window is missing.
pub fn stddev(x: &[f64], n: usize) -> Vec<f64> {
    let mut st = StdDevState::new(n);
    x.iter().map(|&v| st.update(v)).collect()
}

/// Bollinger bands as series: `middle = SMA(n)`, `upper/lower = middle ± k·σ(n)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bands {
    /// `middle + k·σ`.
    pub upper: Vec<f64>,
    /// `SMA(n)`.
    pub middle: Vec<f64>,
    /// `middle − k·σ`.
    pub lower: Vec<f64>,
}

/// Bollinger bands at one bar (see [`Bands`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BandsValue {
    /// `middle + k·σ`.
    pub upper: f64,
    /// `SMA(n)`.
    pub middle: f64,
    /// `middle − k·σ`.
    pub lower: f64,
}

/// Streaming Bollinger bands: `middle = SMA(n)`, `upper/lower = middle ± k·σ` with σ the
/// population standard deviation of the same window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BollingerState {
    d: Dispersion,
    k: f64,
}

impl BollingerState {
    /// New bands over `period` bars (0 is treated as 1), `k` standard deviations wide.
    pub fn new(period: usize, k: f64) -> Self {
        Self {
            d: Dispersion::new(period),
            k,
        }
    }

    /// Consumes one value; returns the bands, NaN in warm-up or when the window holds a NaN.
    #[inline]
    pub fn update(&mut self, x: f64) -> BandsValue {
        let (middle, sd) = self.d.push(x);
        BandsValue {
            upper: middle + self.k * sd,
            middle,
            lower: middle - self.k * sd,
        }
    }
}

/// Bollinger bands: `middle = SMA(n)` (bit-identical to [`sma`]), `upper = middle + k·σ`,
/// `lower = middle − k·σ`, σ the population standard deviation (ddof 0) over the same `n` bars.
/// The usual parameters are `n = 20`, `k = 2`.
pub fn bollinger(x: &[f64], n: usize, k: f64) -> Bands {
    let mut st = BollingerState::new(n, k);
    let mut b = Bands {
        upper: Vec::with_capacity(x.len()),
        middle: Vec::with_capacity(x.len()),
        lower: Vec::with_capacity(x.len()),
    };
    for &v in x {
        let o = st.update(v);
        b.upper.push(o.upper);
        b.middle.push(o.middle);
        b.lower.push(o.lower);
    }
    b
}

// ---------------------------------------------------------------------------------------------
// Highest / lowest
// ---------------------------------------------------------------------------------------------

/// Monotonic deque of `(bar, value)` for a rolling maximum (`MAX = true`) or minimum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Extreme {
    period: u64,
    deque: VecDeque<(u64, f64)>,
    bar: u64,
    valid_from: u64,
}

impl Extreme {
    fn new(period: usize) -> Self {
        let n = period.max(1);
        Self {
            period: n as u64,
            deque: VecDeque::with_capacity(n),
            bar: 0,
            valid_from: n as u64 - 1,
        }
    }

    #[inline]
    fn push<const MAX: bool>(&mut self, x: f64) -> f64 {
        let t = self.bar;
        self.bar += 1;
        if x.is_finite() {
            while let Some(&(_, b)) = self.deque.back() {
                if (MAX && b <= x) || (!MAX && b >= x) {
                    self.deque.pop_back();
                } else {
                    break;
                }
            }
            self.deque.push_back((t, x));
        } else {
            self.valid_from = t + self.period;
        }
        while let Some(&(i, _)) = self.deque.front() {
            if i + self.period <= t {
                self.deque.pop_front();
            } else {
                break;
            }
        }
        if t >= self.valid_from {
            self.deque.front().map_or(f64::NAN, |e| e.1)
        } else {
            f64::NAN
        }
    }
}

/// Streaming rolling maximum over the last `n` bars, the current one included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HighestState {
    e: Extreme,
}

impl HighestState {
    /// A new rolling maximum over `period` bars (0 is treated as 1).
    pub fn new(period: usize) -> Self {
        Self {
            e: Extreme::new(period),
        }
    }

    /// Consumes one value; returns `max(x[t−n+1..=t])`, NaN in warm-up or on a NaN in the window.
    #[inline]
    pub fn update(&mut self, x: f64) -> f64 {
        self.e.push::<true>(x)
    }
}

/// Rolling maximum `max(x[t−n+1..=t])` (current bar included), monotonic deque, O(1)
/// amortised. First value at index `n − 1`; NaN while any value in the window is missing.
pub fn highest(x: &[f64], n: usize) -> Vec<f64> {
    let mut st = HighestState::new(n);
    x.iter().map(|&v| st.update(v)).collect()
}

/// Streaming rolling minimum over the last `n` bars, the current one included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LowestState {
    e: Extreme,
}

impl LowestState {
    /// A new rolling minimum over `period` bars (0 is treated as 1).
    pub fn new(period: usize) -> Self {
        Self {
            e: Extreme::new(period),
        }
    }

    /// Consumes one value; returns `min(x[t−n+1..=t])`, NaN in warm-up or on a NaN in the window.
    #[inline]
    pub fn update(&mut self, x: f64) -> f64 {
        self.e.push::<false>(x)
    }
}

/// Rolling minimum `min(x[t−n+1..=t])` (current bar included), monotonic deque, O(1)
/// amortised. First value at index `n − 1`; NaN while any value in the window is missing.
pub fn lowest(x: &[f64], n: usize) -> Vec<f64> {
    let mut st = LowestState::new(n);
    x.iter().map(|&v| st.update(v)).collect()
}

// ---------------------------------------------------------------------------------------------
// ROC
// ---------------------------------------------------------------------------------------------

/// Streaming rate of change in percent: `ROC[t] = 100·(x[t] / x[t−n] − 1)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RocState {
    w: Window,
}

impl RocState {
    /// A new rate of change over `period` bars (0 is treated as 1).
    pub fn new(period: usize) -> Self {
        let n = period.max(1);
        Self {
            w: Window::new(n, n),
        }
    }

    /// Consumes one value; returns the ROC, NaN in warm-up, when any of `x[t−n..=t]` is
    /// missing, or when `x[t−n] = 0`.
    #[inline]
    pub fn update(&mut self, x: f64) -> f64 {
        let p = self.w.push(x);
        if p.valid && p.old != 0.0 {
            100.0 * (p.z / p.old - 1.0)
        } else {
            f64::NAN
        }
    }
}

/// Rate of change in percent: `ROC[t] = 100·(x[t] / x[t−n] − 1)`.
///
/// First value at index `n`. Its window is the `n + 1` bars `x[t−n..=t]`: NaN while any of them
/// is missing, and NaN when `x[t−n] = 0` (TA-Lib gives 0 there).
pub fn roc(x: &[f64], n: usize) -> Vec<f64> {
    let mut st = RocState::new(n);
    x.iter().map(|&v| st.update(v)).collect()
}

// ---------------------------------------------------------------------------------------------
// RSI
// ---------------------------------------------------------------------------------------------

/// Streaming Wilder RSI: `RSI = 100·G / (G + L)` with `G`, `L` the Wilder-smoothed average
/// gain and loss (`α = 1/n`), seeded with the mean gain and loss of the first `n` changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RsiState {
    period: usize,
    prev: Option<f64>,
    changes: usize,
    gain: f64,
    loss: f64,
}

impl RsiState {
    /// A new RSI over `period` changes (0 is treated as 1).
    pub fn new(period: usize) -> Self {
        Self {
            period: period.max(1),
            prev: None,
            changes: 0,
            gain: 0.0,
            loss: 0.0,
        }
    }

    /// Consumes one value; returns the RSI, NaN in warm-up, on a missing value (state
    /// unchanged) and when `G + L = 0` (no movement at all).
    #[inline]
    pub fn update(&mut self, x: f64) -> f64 {
        if !x.is_finite() {
            return f64::NAN;
        }
        let Some(prev) = self.prev.replace(x) else {
            return f64::NAN;
        };
        let ch = x - prev;
        let (g, l) = if ch < 0.0 { (0.0, -ch) } else { (ch, 0.0) };
        let nf = self.period as f64;
        if self.changes < self.period {
            self.gain += g;
            self.loss += l;
            self.changes += 1;
            if self.changes < self.period {
                return f64::NAN;
            }
            self.gain /= nf;
            self.loss /= nf;
        } else {
            self.gain = (self.gain * (nf - 1.0) + g) / nf;
            self.loss = (self.loss * (nf - 1.0) + l) / nf;
        }
        let total = self.gain + self.loss;
        if total > 0.0 {
            100.0 * (self.gain / total)
        } else {
            f64::NAN
        }
    }
}

/// Wilder's relative strength index over `n` changes (TA-Lib's seeding):
/// `G₀ = mean(gains of the first n changes)`, `L₀` likewise for losses, then
/// `G[t] = (G[t−1]·(n−1) + gain[t]) / n` (same for `L`), `RSI = 100·G / (G + L)`.
///
/// First value at the `n`-th change (index `n` without leading NaNs). `G + L = 0` gives NaN
/// (TA-Lib gives 0).
pub fn rsi(x: &[f64], n: usize) -> Vec<f64> {
    let mut st = RsiState::new(n);
    x.iter().map(|&v| st.update(v)).collect()
}

// ---------------------------------------------------------------------------------------------
// ATR
// ---------------------------------------------------------------------------------------------

/// Streaming Wilder average true range over `n` bars, TA-Lib's convention.
///
/// True range `TR[t] = max(h − l, |h − c[t−1]|, |l − c[t−1]|)`; on the first bar, which has no
/// previous close, `TR = h − l`, but (as in TA-Lib) it is not part of the average:
/// `ATR = mean(TR of the first n bars that have a previous close)`, then
/// `ATR[t] = (ATR[t−1]·(n−1) + TR[t]) / n`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AtrState {
    period: usize,
    prev_close: Option<f64>,
    count: usize,
    /// Seed sum while `count < period`, then the ATR.
    atr: f64,
}

impl AtrState {
    /// A new ATR over `period` bars (0 is treated as 1).
    pub fn new(period: usize) -> Self {
        Self {
            period: period.max(1),
            prev_close: None,
            count: 0,
            atr: 0.0,
        }
    }

    /// Consumes one bar; returns the ATR, NaN in warm-up and on a bar with a missing value
    /// (state unchanged).
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> f64 {
        if !(high.is_finite() && low.is_finite() && close.is_finite()) {
            return f64::NAN;
        }
        let Some(pc) = self.prev_close.replace(close) else {
            return f64::NAN;
        };
        let tr = (high - low).max((pc - high).abs()).max((pc - low).abs());
        let nf = self.period as f64;
        if self.count < self.period {
            self.atr += tr;
            self.count += 1;
            if self.count < self.period {
                return f64::NAN;
            }
            self.atr /= nf;
        } else {
            self.atr = (self.atr * (nf - 1.0) + tr) / nf;
        }
        self.atr
    }
}

/// Average true range, Wilder smoothing (`α = 1/n`), TA-Lib's seeding (see [`AtrState`]):
/// `TR[t] = max(h − l, |h − c[t−1]|, |l − c[t−1]|)`, `ATR = mean(TR[1..=n])`, then
/// `ATR[t] = (ATR[t−1]·(n−1) + TR[t]) / n`.
///
/// First value at index `n` (like RSI). Output length is `close.len()`.
pub fn atr(high: &[f64], low: &[f64], close: &[f64], n: usize) -> Vec<f64> {
    let mut st = AtrState::new(n);
    close
        .iter()
        .enumerate()
        .map(|(i, &c)| st.update(at(high, i), at(low, i), c))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// MACD
// ---------------------------------------------------------------------------------------------

/// MACD as series: `line = EMA_fast − EMA_slow`, `signal = EMA_signal(line)`,
/// `hist = line − signal`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Macd {
    /// `EMA_fast(x) − EMA_slow(x)`.
    pub line: Vec<f64>,
    /// `EMA_signal(line)`.
    pub signal: Vec<f64>,
    /// `line − signal`.
    pub hist: Vec<f64>,
}

/// MACD at one bar (see [`Macd`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MacdValue {
    /// `EMA_fast(x) − EMA_slow(x)`.
    pub line: f64,
    /// `EMA_signal(line)`.
    pub signal: f64,
    /// `line − signal`.
    pub hist: f64,
}

/// Streaming MACD with TA-Lib's alignment: both EMAs start on the `m`-th valid value,
/// `m = max(fast, slow)`, each seeded with the SMA of its own period ending there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MacdState {
    fast: usize,
    slow: usize,
    k_fast: f64,
    c_fast: f64,
    k_slow: f64,
    c_slow: f64,
    /// Valid values collected until the EMAs are seeded, then empty.
    seed: Vec<f64>,
    seeded: bool,
    fast_ema: f64,
    slow_ema: f64,
    signal: EmaState,
}

impl MacdState {
    /// A new MACD (periods of 0 are treated as 1; the usual ones are 12, 26, 9).
    pub fn new(fast: usize, slow: usize, signal: usize) -> Self {
        let fast = fast.max(1);
        let slow = slow.max(1);
        let k_fast = 2.0 / (fast as f64 + 1.0);
        let k_slow = 2.0 / (slow as f64 + 1.0);
        Self {
            fast,
            slow,
            k_fast,
            c_fast: 1.0 - k_fast,
            k_slow,
            c_slow: 1.0 - k_slow,
            seed: Vec::with_capacity(fast.max(slow)),
            seeded: false,
            fast_ema: 0.0,
            slow_ema: 0.0,
            signal: EmaState::new(signal),
        }
    }

    /// Consumes one value; returns the MACD, NaN in warm-up and on a missing value (state
    /// unchanged).
    #[inline]
    pub fn update(&mut self, x: f64) -> MacdValue {
        const NONE: MacdValue = MacdValue {
            line: f64::NAN,
            signal: f64::NAN,
            hist: f64::NAN,
        };
        if !x.is_finite() {
            return NONE;
        }
        if self.seeded {
            self.fast_ema = ema_step(self.fast_ema, x, self.k_fast, self.c_fast);
            self.slow_ema = ema_step(self.slow_ema, x, self.k_slow, self.c_slow);
        } else {
            self.seed.push(x);
            let m = self.fast.max(self.slow);
            if self.seed.len() < m {
                return NONE;
            }
            let tail = |p: usize| {
                let s = self
                    .seed
                    .get(self.seed.len().saturating_sub(p)..)
                    .unwrap_or(&[]);
                plain_sum(s.iter()) / p as f64
            };
            self.fast_ema = tail(self.fast);
            self.slow_ema = tail(self.slow);
            self.seeded = true;
            self.seed = Vec::new();
        }
        let line = self.fast_ema - self.slow_ema;
        let signal = self.signal.update(line);
        MacdValue {
            line,
            signal,
            hist: line - signal,
        }
    }
}

/// Moving average convergence/divergence, TA-Lib's definition: `line = EMA_fast − EMA_slow`,
/// `signal = EMA_signal(line)`, `hist = line − signal`, every EMA with `α = 2/(p+1)`.
///
/// As in TA-Lib both price EMAs start on the same bar, the `m`-th valid value with
/// `m = max(fast, slow)`, each seeded with the SMA of its own period ending there (so the fast
/// EMA differs from a stand-alone [`ema`] for a while); the signal EMA is seeded with the SMA of
/// the first `signal` line values. The line is valid from index `m − 1`, signal and histogram
/// from `m + signal − 2` (TA-Lib also blanks the line until then). Usual periods: 12, 26, 9.
pub fn macd(x: &[f64], fast: usize, slow: usize, signal: usize) -> Macd {
    let mut st = MacdState::new(fast, slow, signal);
    let mut m = Macd {
        line: Vec::with_capacity(x.len()),
        signal: Vec::with_capacity(x.len()),
        hist: Vec::with_capacity(x.len()),
    };
    for &v in x {
        let o = st.update(v);
        m.line.push(o.line);
        m.signal.push(o.signal);
        m.hist.push(o.hist);
    }
    m
}

// ---------------------------------------------------------------------------------------------
// Stochastic
// ---------------------------------------------------------------------------------------------

/// Slow stochastic oscillator as series: `k` (slow %K) and `d` (%D).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stoch {
    /// Slow %K: `SMA(k_smooth)` of raw %K.
    pub k: Vec<f64>,
    /// %D: `SMA(d_period)` of slow %K.
    pub d: Vec<f64>,
}

/// The stochastic oscillator at one bar (see [`Stoch`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StochValue {
    /// Slow %K.
    pub k: f64,
    /// %D.
    pub d: f64,
}

/// Streaming slow stochastic: raw `%K = 100·(c − LL)/(HH − LL)` over `k_period` bars,
/// slow `%K = SMA(k_smooth)` of raw %K, `%D = SMA(d_period)` of slow %K.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StochState {
    hh: Extreme,
    ll: Extreme,
    k: SmaState,
    d: SmaState,
}

impl StochState {
    /// A new stochastic (periods of 0 are treated as 1; the usual ones are 14, 3, 3).
    pub fn new(k_period: usize, k_smooth: usize, d_period: usize) -> Self {
        Self {
            hh: Extreme::new(k_period),
            ll: Extreme::new(k_period),
            k: SmaState::new(k_smooth),
            d: SmaState::new(d_period),
        }
    }

    /// Consumes one bar; returns slow %K and %D, NaN in warm-up, when a window holds a
    /// missing value, or when a window holds a zero range `HH = LL`.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> StochValue {
        let hh = self.hh.push::<true>(high);
        let ll = self.ll.push::<false>(low);
        let range = hh - ll;
        let raw = if close.is_finite() && range > 0.0 {
            100.0 * (close - ll) / range
        } else {
            f64::NAN
        };
        let k = self.k.update(raw);
        let d = self.d.update(k);
        StochValue { k, d }
    }
}

/// Slow stochastic oscillator: raw `%K[t] = 100·(c[t] − LL)/(HH − LL)` with `HH`/`LL` the
/// highest high / lowest low of the last `k_period` bars, slow `%K = SMA(k_smooth)(raw %K)`,
/// `%D = SMA(d_period)(slow %K)`. Usual periods: 14, 3, 3.
///
/// A zero range (`HH = LL`, a flat market) makes raw %K NaN, and so every slow %K and %D whose
/// window contains it (TA-Lib writes 0 instead). %K is valid from index
/// `k_period + k_smooth − 2`, %D from `k_period + k_smooth + d_period − 3`. Output length is
/// `close.len()`.
pub fn stochastic(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    k_period: usize,
    k_smooth: usize,
    d_period: usize,
) -> Stoch {
    let mut st = StochState::new(k_period, k_smooth, d_period);
    let mut s = Stoch {
        k: Vec::with_capacity(close.len()),
        d: Vec::with_capacity(close.len()),
    };
    for (i, &c) in close.iter().enumerate() {
        let o = st.update(at(high, i), at(low, i), c);
        s.k.push(o.k);
        s.d.push(o.d);
    }
    s
}

// ---------------------------------------------------------------------------------------------
// OBV
// ---------------------------------------------------------------------------------------------

/// Streaming on-balance volume: 0 on the first valid bar, then `OBV[t] = OBV[t−1] + v[t]` if
/// `c[t] > c[t−1]`, `− v[t]` if `c[t] < c[t−1]`, unchanged if equal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObvState {
    prev_close: Option<f64>,
    obv: f64,
}

impl ObvState {
    /// A new on-balance volume.
    pub fn new() -> Self {
        Self {
            prev_close: None,
            obv: 0.0,
        }
    }

    /// Consumes one bar; returns the OBV, NaN before the first valid bar and on a bar with a
    /// missing close or volume (state unchanged).
    #[inline]
    pub fn update(&mut self, close: f64, volume: f64) -> f64 {
        if !(close.is_finite() && volume.is_finite()) {
            return f64::NAN;
        }
        if let Some(pc) = self.prev_close.replace(close) {
            if close > pc {
                self.obv += volume;
            } else if close < pc {
                self.obv -= volume;
            }
        }
        self.obv
    }
}

impl Default for ObvState {
    fn default() -> Self {
        Self::new()
    }
}

/// On-balance volume: `OBV = 0` on the first valid bar, then
/// `OBV[t] = OBV[t−1] + sign(c[t] − c[t−1])·v[t]` (unchanged on an equal close).
/// TA-Lib starts at `v[0]` instead of 0, i.e. TA-Lib's OBV = this + `v[0]`.
/// Output length is `close.len()`.
pub fn obv(close: &[f64], volume: &[f64]) -> Vec<f64> {
    let mut st = ObvState::new();
    close
        .iter()
        .enumerate()
        .map(|(i, &c)| st.update(c, at(volume, i)))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Rolling VWAP
// ---------------------------------------------------------------------------------------------

/// Streaming rolling volume-weighted average price over `n` bars:
/// `VWAP[t] = Σ tp·v / Σ v` with typical price `tp = (h + l + c)/3`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VwapState {
    pv: Window,
    vol: Window,
    /// How many volumes in the window are non-zero.
    nonzero: u64,
}

impl VwapState {
    /// A new rolling VWAP over `period` bars (0 is treated as 1).
    pub fn new(period: usize) -> Self {
        let n = period.max(1);
        Self {
            pv: Window::new(n, n - 1),
            vol: Window::new(n, n - 1),
            nonzero: 0,
        }
    }

    /// Consumes one bar; returns the VWAP, NaN in warm-up, when the window holds a missing
    /// value, or when every volume in the window is 0.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64, volume: f64) -> f64 {
        let ok = high.is_finite() && low.is_finite() && close.is_finite() && volume.is_finite();
        let (pv, v) = if ok {
            ((high + low + close) / 3.0 * volume, volume)
        } else {
            (f64::NAN, f64::NAN)
        };
        let a = self.pv.push(pv);
        let b = self.vol.push(v);
        self.nonzero += u64::from(b.z != 0.0);
        self.nonzero = self.nonzero.saturating_sub(u64::from(b.old != 0.0));
        if a.valid && b.valid && self.nonzero > 0 {
            self.pv.sum / self.vol.sum
        } else {
            f64::NAN
        }
    }
}

/// Rolling volume-weighted average price over `n` bars:
/// `VWAP[t] = Σ_{i=t−n+1..t} tp[i]·v[i] / Σ_{i=t−n+1..t} v[i]`, `tp = (h + l + c)/3`.
///
/// First value at index `n − 1`; NaN while any value in the window is missing and when
/// `Σ v = 0` (every volume in the window zero). Output length is `close.len()`.
pub fn vwap(high: &[f64], low: &[f64], close: &[f64], volume: &[f64], n: usize) -> Vec<f64> {
    let mut st = VwapState::new(n);
    close
        .iter()
        .enumerate()
        .map(|(i, &c)| st.update(at(high, i), at(low, i), c, at(volume, i)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAN: f64 = f64::NAN;

    /// A one-series indicator.
    type Single = fn(&[f64], usize) -> Vec<f64>;
    /// An indicator over `[high, low, close, volume]`.
    type Multi = dyn Fn(&[Vec<f64>]) -> Vec<f64>;

    /// Deterministic splitmix64 uniform numbers in [0, 1).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> f64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (z >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// A random walk of `len` bars around 100 as (high, low, close, volume).
    fn ohlcv(len: usize, seed: u64) -> [Vec<f64>; 4] {
        let mut r = Rng(seed);
        let (mut h, mut l, mut c, mut v) = (vec![], vec![], vec![], vec![]);
        let mut p = 100.0;
        for _ in 0..len {
            p *= 1.0 + (r.next() - 0.5) * 0.03;
            h.push(p * (1.0 + r.next() * 0.01));
            l.push(p * (1.0 - r.next() * 0.01));
            c.push(p);
            v.push((r.next() * 1000.0).floor());
        }
        [h, l, c, v]
    }

    /// Like [`ohlcv`] with leading NaNs and scattered NaNs / infinities in every series.
    fn ohlcv_with_gaps(len: usize, seed: u64) -> [Vec<f64>; 4] {
        let mut s = ohlcv(len, seed);
        let mut r = Rng(seed ^ 0xABCD);
        for (j, x) in s.iter_mut().enumerate() {
            for y in x.iter_mut().take(3 + j) {
                *y = NAN;
            }
            for y in x.iter_mut() {
                let u = r.next();
                if u < 0.02 {
                    *y = NAN;
                } else if u < 0.025 {
                    *y = f64::INFINITY;
                }
            }
        }
        s
    }

    fn same_bits(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
    }

    /// A backtest computes its moving averages a chunk at a time: cut anywhere, across the
    /// re-sum blocks and the gaps, they are the same bits as the SMA state's, bar by bar.
    #[test]
    fn sma_in_stretches_is_the_state_bar_by_bar() {
        let mut r = Rng(11);
        for (seed, n) in [(1, 1), (2, 3), (3, 20), (4, 64), (5, 100), (6, 700)] {
            let x = &ohlcv_with_gaps(5_000, seed)[2];
            let mut state = SmaState::new(n);
            let want: Vec<f64> = x.iter().map(|&v| state.update(v)).collect();
            let mut run = SmaRun::new(n);
            let mut got = Vec::new();
            while got.len() < x.len() {
                let mut out = vec![0.0; 1 + (r.next() * 900.0) as usize];
                run.fill(x, &mut out);
                out.truncate(x.len() - got.len());
                got.extend(out);
            }
            assert!(same_bits(&got, &want), "n = {n}");
            assert!(same_bits(&sma(x, n), &want), "n = {n}, whole");
        }
    }

    fn leading_nans(x: &[f64]) -> usize {
        x.iter().take_while(|v| v.is_nan()).count()
    }

    /// Leading NaN count, and all finite after it.
    fn warmup(x: &[f64]) -> usize {
        let k = leading_nans(x);
        assert!(x[k..].iter().all(|v| v.is_finite()), "NaN after warm-up");
        k
    }

    fn close_to(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn warm_up_lengths() {
        let [h, l, c, v] = ohlcv(300, 1);
        for n in [1, 2, 5, 20] {
            assert_eq!(warmup(&sma(&c, n)), n - 1);
            assert_eq!(warmup(&ema(&c, n)), n - 1);
            assert_eq!(warmup(&wma(&c, n)), n - 1);
            assert_eq!(warmup(&stddev(&c, n)), n - 1);
            assert_eq!(warmup(&highest(&c, n)), n - 1);
            assert_eq!(warmup(&lowest(&c, n)), n - 1);
            assert_eq!(warmup(&bollinger(&c, n, 2.0).upper), n - 1);
            assert_eq!(warmup(&vwap(&h, &l, &c, &v, n)), n - 1);
            assert_eq!(warmup(&roc(&c, n)), n);
            assert_eq!(warmup(&rsi(&c, n)), n);
            assert_eq!(warmup(&atr(&h, &l, &c, n)), n);
        }
        let m = macd(&c, 12, 26, 9);
        assert_eq!(warmup(&m.line), 25);
        assert_eq!(warmup(&m.signal), 33);
        assert_eq!(warmup(&m.hist), 33);
        let s = stochastic(&h, &l, &c, 14, 3, 3);
        assert_eq!(warmup(&s.k), 15);
        assert_eq!(warmup(&s.d), 17);
        let o = obv(&c, &v);
        assert_eq!(warmup(&o), 0);
        assert_eq!(o[0], 0.0);
    }

    #[test]
    fn empty_and_short_inputs() {
        assert!(sma(&[], 5).is_empty());
        assert!(macd(&[], 12, 26, 9).line.is_empty());
        assert!(stochastic(&[], &[], &[], 14, 3, 3).k.is_empty());
        assert!(sma(&[1.0, 2.0], 5).iter().all(|v| v.is_nan()));
        // Companion series shorter than close: missing past their end.
        let a = atr(&[2.0], &[1.0], &[1.5, 1.6, 1.7], 1);
        assert_eq!(a.len(), 3);
        assert!(a.iter().all(|v| v.is_nan()));
        let o = obv(&[1.0, 2.0, 3.0], &[5.0]);
        assert!(o[0] == 0.0 && o[1].is_nan() && o[2].is_nan());
    }

    #[test]
    fn window_indicators_propagate_nan_over_their_window() {
        let [h, l, c, v] = ohlcv(120, 2);
        let n = 5;
        let mut cn = c.clone();
        cn[30] = NAN;
        let mut hn = h.clone();
        hn[30] = NAN;
        let mut vn = v.clone();
        vn[30] = NAN;
        let single: [Single; 6] = [sma, wma, stddev, highest, lowest, roc];
        for (i, f) in single.iter().enumerate() {
            let (clean, gap) = (f(&c, n), f(&cn, n));
            let width = if i == 5 { n + 1 } else { n };
            for t in 0..c.len() {
                if (30..30 + width).contains(&t) {
                    assert!(gap[t].is_nan(), "indicator {i} bar {t}");
                } else if t >= width - 1 {
                    assert!(close_to(gap[t], clean[t], 1e-12), "indicator {i} bar {t}");
                }
            }
        }
        let b = bollinger(&cn, n, 2.0);
        assert!(b.upper[30..35].iter().all(|x| x.is_nan()) && b.lower[35].is_finite());
        let w = vwap(&h, &l, &c, &vn, n);
        assert!(w[30..35].iter().all(|x| x.is_nan()) && w[35].is_finite());
        let s = stochastic(&hn, &l, &c, n, 3, 3);
        // Raw %K NaN on 30..35, slow %K two more bars, %D two more.
        assert!(s.k[30..37].iter().all(|x| x.is_nan()) && s.k[37].is_finite());
        assert!(s.d[30..39].iter().all(|x| x.is_nan()) && s.d[39].is_finite());
        // Leading NaNs (a chained input) delay the first value.
        let mut lead = vec![NAN; 10];
        lead.extend_from_slice(&c);
        assert_eq!(warmup(&sma(&lead, n)), 10 + n - 1);
        assert_eq!(warmup(&highest(&lead, n)), 10 + n - 1);
        assert_eq!(warmup(&roc(&lead, n)), 10 + n);
        // Infinity counts as missing.
        let mut ci = c.clone();
        ci[50] = f64::INFINITY;
        assert!(sma(&ci, n)[50..55].iter().all(|x| x.is_nan()));
    }

    #[test]
    fn zero_ranges_and_zero_divisors_give_nan() {
        let flat = vec![10.0; 30];
        let s = stochastic(&flat, &flat, &flat, 5, 3, 3);
        assert!(s.k.iter().chain(&s.d).all(|x| x.is_nan()));
        assert!(rsi(&flat, 5).iter().all(|x| x.is_nan()));
        assert!(stddev(&flat, 5)[4..].iter().all(|&x| x == 0.0));
        let b = bollinger(&flat, 5, 2.0);
        assert!(b.upper[4..].iter().zip(&b.lower[4..]).all(|(u, l)| u == l));
        assert!(vwap(&flat, &flat, &flat, &[0.0; 30], 5)
            .iter()
            .all(|x| x.is_nan()));
        let mut z = vec![1.0; 10];
        z[2] = 0.0;
        let r = roc(&z, 2);
        assert!(r[4].is_nan() && r[5] == 0.0);
    }

    /// Removing a missing bar from the input removes it from the output: the state skipped it.
    fn check_skips(name: &str, f: &Multi, s: &[Vec<f64>], k: usize) {
        let full = f(s);
        let without: Vec<Vec<f64>> = s
            .iter()
            .map(|x| {
                x.iter()
                    .enumerate()
                    .filter(|&(i, _)| i != k)
                    .map(|(_, &v)| v)
                    .collect()
            })
            .collect();
        let short = f(&without);
        assert!(full[k].is_nan(), "{name}: NaN bar {k}");
        let mut expect = short.clone();
        expect.insert(k, full[k]);
        assert!(
            same_bits(&full, &expect),
            "{name}: state changed by NaN bar"
        );
    }

    #[test]
    fn recursive_indicators_skip_missing_values() {
        let [h, l, c, v] = ohlcv(200, 3);
        let with_nan = |x: &[f64], k: usize| {
            let mut y = x.to_vec();
            y[k] = NAN;
            y
        };
        let cases: Vec<(&str, Box<Multi>)> = vec![
            ("ema", Box::new(|s: &[Vec<f64>]| ema(&s[2], 10))),
            ("rsi", Box::new(|s: &[Vec<f64>]| rsi(&s[2], 14))),
            (
                "macd",
                Box::new(|s: &[Vec<f64>]| macd(&s[2], 12, 26, 9).hist),
            ),
            (
                "atr",
                Box::new(|s: &[Vec<f64>]| atr(&s[0], &s[1], &s[2], 14)),
            ),
            ("obv", Box::new(|s: &[Vec<f64>]| obv(&s[2], &s[3]))),
        ];
        for (name, f) in &cases {
            for k in [0, 5, 60, 150] {
                // Missing close (or high for ATR, volume for OBV): before and after seeding.
                let s = [h.clone(), l.clone(), with_nan(&c, k), v.clone()];
                check_skips(name, f.as_ref(), &s, k);
                let s = [with_nan(&h, k), l.clone(), c.clone(), with_nan(&v, k)];
                if *name == "atr" || *name == "obv" {
                    check_skips(name, f.as_ref(), &s, k);
                }
            }
        }
        // Leading NaNs: the output is the plain one, shifted.
        let mut lead = vec![NAN; 7];
        lead.extend_from_slice(&c);
        let mut expect = vec![NAN; 7];
        expect.extend(ema(&c, 10));
        assert!(same_bits(&ema(&lead, 10), &expect));
    }

    #[test]
    fn period_one_and_zero() {
        let [h, l, c, v] = ohlcv(100, 4);
        for n in [0, 1] {
            assert!(same_bits(&sma(&c, n), &c));
            assert!(same_bits(&ema(&c, n), &c));
            assert!(same_bits(&wma(&c, n), &c));
            assert!(same_bits(&highest(&c, n), &c));
            assert!(same_bits(&lowest(&c, n), &c));
            assert!(stddev(&c, n).iter().all(|&x| x == 0.0));
            let b = bollinger(&c, n, 2.0);
            assert!(same_bits(&b.upper, &c) && same_bits(&b.lower, &c));
            let r = roc(&c, n);
            assert!(r[0].is_nan() && close_to(r[1], 100.0 * (c[1] / c[0] - 1.0), 1e-15));
            let s = rsi(&c, n);
            assert!(s[1..]
                .iter()
                .zip(c.windows(2))
                .all(|(&r, w)| { r == if w[1] > w[0] { 100.0 } else { 0.0 } }));
            let a = atr(&h, &l, &c, n);
            let tr1 = (h[1] - l[1])
                .max((c[0] - h[1]).abs())
                .max((c[0] - l[1]).abs());
            assert!(a[0].is_nan() && a[1] == tr1);
            let w = vwap(&h, &l, &c, &v, n);
            assert!(close_to(w[3], (h[3] + l[3] + c[3]) / 3.0, 1e-15));
            let m = macd(&c, n, n, n);
            assert!(m.line.iter().all(|&x| x == 0.0));
            let st = stochastic(&h, &l, &c, n, n, n);
            assert!(close_to(
                st.k[3],
                100.0 * (c[3] - l[3]) / (h[3] - l[3]),
                1e-15
            ));
        }
    }

    #[test]
    fn batch_equals_streaming_bit_for_bit() {
        for seed in [5, 6] {
            let [h, l, c, v] = ohlcv_with_gaps(3000, seed);
            for n in [1, 2, 3, 14, 50] {
                let stream = |mut f: Box<dyn FnMut(usize) -> f64>| -> Vec<f64> {
                    (0..c.len()).map(&mut f).collect()
                };
                let mut st = SmaState::new(n);
                assert!(same_bits(
                    &sma(&c, n),
                    &stream(Box::new(|i| st.update(c[i])))
                ));
                let mut st = EmaState::new(n);
                assert!(same_bits(
                    &ema(&c, n),
                    &stream(Box::new(|i| st.update(c[i])))
                ));
                let mut st = WmaState::new(n);
                assert!(same_bits(
                    &wma(&c, n),
                    &stream(Box::new(|i| st.update(c[i])))
                ));
                let mut st = StdDevState::new(n);
                assert!(same_bits(
                    &stddev(&c, n),
                    &stream(Box::new(|i| st.update(c[i])))
                ));
                let mut st = HighestState::new(n);
                assert!(same_bits(
                    &highest(&c, n),
                    &stream(Box::new(|i| st.update(c[i])))
                ));
                let mut st = LowestState::new(n);
                assert!(same_bits(
                    &lowest(&c, n),
                    &stream(Box::new(|i| st.update(c[i])))
                ));
                let mut st = RocState::new(n);
                assert!(same_bits(
                    &roc(&c, n),
                    &stream(Box::new(|i| st.update(c[i])))
                ));
                let mut st = RsiState::new(n);
                assert!(same_bits(
                    &rsi(&c, n),
                    &stream(Box::new(|i| st.update(c[i])))
                ));
                let mut st = AtrState::new(n);
                let s = stream(Box::new(|i| st.update(h[i], l[i], c[i])));
                assert!(same_bits(&atr(&h, &l, &c, n), &s));
                let mut st = VwapState::new(n);
                let s = stream(Box::new(|i| st.update(h[i], l[i], c[i], v[i])));
                assert!(same_bits(&vwap(&h, &l, &c, &v, n), &s));

                let b = bollinger(&c, n, 2.0);
                let mut st = BollingerState::new(n, 2.0);
                let o: Vec<BandsValue> = c.iter().map(|&x| st.update(x)).collect();
                assert!(same_bits(
                    &b.upper,
                    &o.iter().map(|o| o.upper).collect::<Vec<_>>()
                ));
                assert!(same_bits(
                    &b.middle,
                    &o.iter().map(|o| o.middle).collect::<Vec<_>>()
                ));
                assert!(same_bits(
                    &b.lower,
                    &o.iter().map(|o| o.lower).collect::<Vec<_>>()
                ));
                assert!(same_bits(&b.middle, &sma(&c, n)));

                let m = macd(&c, n, 2 * n + 1, n);
                let mut st = MacdState::new(n, 2 * n + 1, n);
                let o: Vec<MacdValue> = c.iter().map(|&x| st.update(x)).collect();
                assert!(same_bits(
                    &m.line,
                    &o.iter().map(|o| o.line).collect::<Vec<_>>()
                ));
                assert!(same_bits(
                    &m.signal,
                    &o.iter().map(|o| o.signal).collect::<Vec<_>>()
                ));
                assert!(same_bits(
                    &m.hist,
                    &o.iter().map(|o| o.hist).collect::<Vec<_>>()
                ));

                let s = stochastic(&h, &l, &c, n, 3, n);
                let mut st = StochState::new(n, 3, n);
                let o: Vec<StochValue> =
                    (0..c.len()).map(|i| st.update(h[i], l[i], c[i])).collect();
                assert!(same_bits(&s.k, &o.iter().map(|o| o.k).collect::<Vec<_>>()));
                assert!(same_bits(&s.d, &o.iter().map(|o| o.d).collect::<Vec<_>>()));
            }
            let mut st = ObvState::default();
            let o: Vec<f64> = (0..c.len()).map(|i| st.update(c[i], v[i])).collect();
            assert!(same_bits(&obv(&c, &v), &o));
        }
    }

    #[test]
    fn states_round_trip_through_json_mid_stream() {
        fn check<S, F>(mut st: S, mut f: F, c: &[f64])
        where
            S: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug,
            F: FnMut(&mut S, f64) -> f64,
        {
            let (a, b) = c.split_at(c.len() / 2);
            for &x in a {
                f(&mut st, x);
            }
            let json = serde_json::to_string(&st).unwrap();
            let mut back: S = serde_json::from_str(&json).unwrap();
            assert_eq!(back, st);
            let rest: Vec<f64> = b.iter().map(|&x| f(&mut st, x)).collect();
            let again: Vec<f64> = b.iter().map(|&x| f(&mut back, x)).collect();
            assert!(same_bits(&rest, &again));
        }
        let [_, _, c, _] = ohlcv_with_gaps(400, 7);
        check(SmaState::new(20), |s, x| s.update(x), &c);
        check(EmaState::new(20), |s, x| s.update(x), &c);
        check(WmaState::new(20), |s, x| s.update(x), &c);
        check(StdDevState::new(20), |s, x| s.update(x), &c);
        check(BollingerState::new(20, 2.0), |s, x| s.update(x).upper, &c);
        check(HighestState::new(20), |s, x| s.update(x), &c);
        check(LowestState::new(20), |s, x| s.update(x), &c);
        check(RocState::new(20), |s, x| s.update(x), &c);
        check(RsiState::new(14), |s, x| s.update(x), &c);
        check(AtrState::new(14), |s, x| s.update(x + 1.0, x - 1.0, x), &c);
        check(MacdState::new(12, 26, 9), |s, x| s.update(x).hist, &c);
        check(
            StochState::new(14, 3, 3),
            |s, x| s.update(x + 1.0, x - 1.0, x).d,
            &c,
        );
        check(ObvState::new(), |s, x| s.update(x, 10.0), &c);
        check(
            VwapState::new(20),
            |s, x| s.update(x + 1.0, x - 1.0, x, 10.0),
            &c,
        );
        // Before any input too (the MACD seed buffer, the EMA seed sum).
        check(MacdState::new(12, 26, 9), |s, x| s.update(x).hist, &c[..40]);
    }

    #[test]
    fn running_sums_do_not_drift() {
        let [_, _, c, _] = ohlcv(2_000_000, 8);
        // Shift the walk far from zero to make cancellation worse.
        let x: Vec<f64> = c.iter().map(|v| v * 1000.0 + 1e6).collect();
        for n in [20, 200] {
            let w = &x[x.len() - n..];
            let mean = w.iter().sum::<f64>() / n as f64;
            let sd = (w.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64).sqrt();
            let num: f64 = w.iter().enumerate().map(|(i, v)| (i + 1) as f64 * v).sum();
            let wm = num / (n * (n + 1) / 2) as f64;
            assert!(close_to(*sma(&x, n).last().unwrap(), mean, 1e-9));
            assert!(close_to(*wma(&x, n).last().unwrap(), wm, 1e-9));
            let got = *stddev(&x, n).last().unwrap();
            assert!((got - sd).abs() <= 1e-9 * sd, "stddev {got} vs {sd}");
        }
    }

    /// Timing of `sma` and `ema` on 1,000,000 bars (no assertion). Run with
    /// `cargo test -p stratagraph-engine --release --lib indicators::tests::timing -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn timing() {
        let [_, _, c, _] = ohlcv(1_000_000, 9);
        for (name, f) in [("sma", sma as fn(&[f64], usize) -> Vec<f64>), ("ema", ema)] {
            let mut best = f64::INFINITY;
            for _ in 0..20 {
                let t = std::time::Instant::now();
                let out = f(std::hint::black_box(&c), 50);
                best = best.min(t.elapsed().as_secs_f64());
                std::hint::black_box(out);
            }
            println!("{name}(1_000_000 bars, n = 50): best {:.3} ms", best * 1e3);
        }
    }
}
