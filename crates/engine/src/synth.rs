//! Deterministic synthetic market data: a seeded random walk of OHLCV bars.
//!
//! The output depends only on [`SynthConfig`]: the generator is a hand-written SplitMix64 and
//! the arithmetic uses only IEEE-754 operations that are exactly specified (`+ - * /`, `sqrt`,
//! `round`, `abs`, `min`, `max`; no `exp`, `ln` or `cos`, whose last bits differ between
//! platform maths libraries). The same config therefore gives the same bits on every machine
//! and every version of this crate, unless a change here is made on purpose (the committed
//! sample file and a pinned hash in the tests catch accidental ones).
//!
//! The model, per bar, with `σ = 1% × √(step / 1 day)` (capped at 5%) and drift
//! `μ = 0.03% × step / 1 day` (capped at ±1%):
//! - `z` is an approximately standard normal variate: the sum of four uniforms, centred and
//!   scaled to unit variance (bounded by ±√12, which keeps every factor below positive);
//! - open = previous close × (1 + 0.2 σ z₁) — a small gap;
//! - close = open × (1 + μ + σ z₂) — multiplicative returns, so prices are log-normal-ish;
//! - high = max(open, close) × (1 + 0.5 σ |z₃|), low = min(open, close) × (1 − 0.5 σ |z₄|);
//! - volume = round(1,000,000 × step / 1 day × (0.5 + u + 0.5 |z₂|)), busier on big moves;
//! - every price is rounded to cents and kept within [0.01, 1e8]; high and low are widened
//!   after rounding if needed so they still bracket open and close.

use crate::bars::{BarError, Bars};

/// 2015-01-02T00:00:00Z in milliseconds since the Unix epoch.
pub const DEFAULT_START_MS: i64 = 1_420_156_800_000;
/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

const DAILY_VOL: f64 = 0.01;
const DAILY_DRIFT: f64 = 0.0003;
const MAX_SIGMA: f64 = 0.05;
const MAX_DRIFT: f64 = 0.01;
const GAP: f64 = 0.2;
const WICK: f64 = 0.5;
const DAILY_VOLUME: f64 = 1_000_000.0;
const MIN_PRICE: f64 = 0.01;
/// A tenth of the bars' limit (`bars::MAX_PRICE`), so wicks above a capped close stay valid.
const MAX_PRICE: f64 = 1e8;
/// √3, written out so no maths library is involved.
const SQRT_3: f64 = 1.732_050_807_568_877_2;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SynthConfig {
    /// PRNG seed; the same seed gives the same bars everywhere.
    pub seed: u64,
    /// Number of bars.
    pub bars: usize,
    /// Time of the first bar, milliseconds since the Unix epoch, UTC.
    pub start_ms: i64,
    /// Milliseconds between bars (86,400,000 for daily bars, 60,000 for minute bars).
    pub step_ms: i64,
    /// Price before the first bar, rounded to cents (the first open gaps from it).
    pub start_price: f64,
}

impl Default for SynthConfig {
    /// Seed 42, 2520 daily bars (weekends included) from 2015-01-02 UTC, starting at 100.
    fn default() -> Self {
        SynthConfig {
            seed: 42,
            bars: 2520,
            start_ms: DEFAULT_START_MS,
            step_ms: DAY_MS,
            start_price: 100.0,
        }
    }
}

/// Why a config cannot be generated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SynthError {
    /// Times must strictly increase.
    #[error("step must be at least 1 ms, got {0}")]
    Step(i64),
    /// The start price is not a usable price.
    #[error("start price must be a finite number between 0.01 and 1e8, got {0}")]
    StartPrice(f64),
    /// The last bar's time does not fit in an `i64`.
    #[error("{bars} bars of {step_ms} ms from {start_ms} run past the largest representable time")]
    TimeOverflow {
        /// Bars asked for.
        bars: usize,
        /// First time.
        start_ms: i64,
        /// Step.
        step_ms: i64,
    },
    /// The generated bars broke a rule. The model is built so that this cannot happen; the
    /// variant exists so that no path panics.
    #[error("generated bars are invalid: {0}")]
    Bars(#[from] BarError),
}

/// SplitMix64 (Steele, Lea & Flood 2014; constants from Vigna's reference code): a 64-bit
/// state advanced by the golden-ratio increment and mixed by two xor-shift-multiplies. Tiny,
/// fast, passes BigCrush, and its stream is fixed by this code, not by a dependency's version.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform number in `[0, 1)` with 53 random bits (exact, no rounding).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// An approximately standard normal number: four uniforms summed, centred and scaled to
    /// unit variance (Irwin–Hall). Always within ±√12 ≈ ±3.46.
    pub fn next_normalish(&mut self) -> f64 {
        let s = self.next_f64() + self.next_f64() + self.next_f64() + self.next_f64();
        (s - 2.0) * SQRT_3
    }
}

/// Rounds to cents and keeps within [`MIN_PRICE`, `MAX_PRICE`]; NaN becomes `MIN_PRICE`.
fn cents(x: f64) -> f64 {
    let c = (x * 100.0).round() / 100.0;
    if c.is_nan() {
        MIN_PRICE
    } else {
        c.clamp(MIN_PRICE, MAX_PRICE)
    }
}

/// Generates `cfg.bars` bars of a seeded random walk (see the module docs for the model).
///
/// Every bar satisfies [`crate::bars::check_bar`] by construction: times step by at least 1 ms
/// without overflow (checked first), prices are finite and in [0.01, 1e8] (wicks may reach a little above), high is at least
/// max(open, close) and low at most min(open, close), volumes are finite and non-negative.
///
/// # Errors
/// [`SynthError::Step`] when `step_ms < 1`, [`SynthError::StartPrice`] for a start price
/// that is not finite or rounds outside [0.01, 1e8], [`SynthError::TimeOverflow`] when the
/// last time does not fit in an `i64`.
pub fn random_walk(cfg: &SynthConfig) -> Result<Bars, SynthError> {
    if cfg.step_ms < 1 {
        return Err(SynthError::Step(cfg.step_ms));
    }
    let start = (cfg.start_price * 100.0).round() / 100.0;
    if !start.is_finite() || !(MIN_PRICE..=MAX_PRICE).contains(&start) {
        return Err(SynthError::StartPrice(cfg.start_price));
    }
    let overflow = || SynthError::TimeOverflow {
        bars: cfg.bars,
        start_ms: cfg.start_ms,
        step_ms: cfg.step_ms,
    };
    if cfg.bars > 0 {
        i64::try_from(cfg.bars - 1)
            .ok()
            .and_then(|n| n.checked_mul(cfg.step_ms))
            .and_then(|span| span.checked_add(cfg.start_ms))
            .ok_or_else(overflow)?;
    }

    let days = cfg.step_ms as f64 / DAY_MS as f64;
    let sigma = (DAILY_VOL * days.sqrt()).min(MAX_SIGMA);
    let mu = (DAILY_DRIFT * days).min(MAX_DRIFT);
    let base_volume = DAILY_VOLUME * days;

    let n = cfg.bars;
    let mut time = Vec::with_capacity(n);
    let [mut open, mut high, mut low, mut close, mut volume] =
        std::array::from_fn(|_| Vec::<f64>::with_capacity(n));
    let mut rng = SplitMix64::new(cfg.seed);
    let mut prev_close = start;
    let mut t = cfg.start_ms;
    for i in 0..n {
        if i > 0 {
            t += cfg.step_ms;
        }
        let (z1, z2, z3, z4) = (
            rng.next_normalish(),
            rng.next_normalish(),
            rng.next_normalish(),
            rng.next_normalish(),
        );
        let u = rng.next_f64();
        let o = cents(prev_close * (1.0 + GAP * sigma * z1));
        let c = cents(o * (1.0 + mu + sigma * z2));
        let (top, bottom) = (o.max(c), o.min(c));
        let h = cents(top * (1.0 + WICK * sigma * z3.abs())).max(top);
        let l = cents(bottom * (1.0 - WICK * sigma * z4.abs())).min(bottom);
        let v = (base_volume * (0.5 + u + 0.5 * z2.abs())).round();
        time.push(t);
        open.push(o);
        high.push(h);
        low.push(l);
        close.push(c);
        volume.push(v);
        prev_close = c;
    }
    Ok(Bars::new(time, open, high, low, close, volume)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(h: [u8; 32]) -> String {
        h.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn splitmix64_matches_the_reference_stream() {
        // First outputs of Vigna's splitmix64.c seeded with 1234567.
        let mut r = SplitMix64::new(1_234_567);
        let got: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        assert_eq!(
            got,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423
            ]
        );
    }

    #[test]
    fn default_walk_is_pinned() {
        let bars = random_walk(&SynthConfig::default()).unwrap();
        assert_eq!(bars.len(), 2520);
        assert_eq!(bars.time()[0], DEFAULT_START_MS);
        assert_eq!(bars.time()[2519], DEFAULT_START_MS + 2519 * DAY_MS);
        // Changing the model or the generator changes this on purpose only.
        assert_eq!(
            hex(bars.hash()),
            "50e093af48b672c48e076c07497a78bc936f759730b8082f5de88552d8276dbc"
        );
    }

    #[test]
    fn same_seed_same_bars_other_seed_other_bars() {
        let a = random_walk(&SynthConfig {
            bars: 500,
            ..Default::default()
        })
        .unwrap();
        let b = random_walk(&SynthConfig {
            bars: 500,
            ..Default::default()
        })
        .unwrap();
        let c = random_walk(&SynthConfig {
            bars: 500,
            seed: 7,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(a, b);
        assert_ne!(a.hash(), c.hash());
        // A longer walk starts with the shorter one.
        let long = random_walk(&SynthConfig {
            bars: 800,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(long.truncated(500), a);
    }

    #[test]
    fn prices_are_cents_and_moves_look_daily() {
        let bars = random_walk(&SynthConfig {
            bars: 5000,
            ..Default::default()
        })
        .unwrap();
        for col in [bars.open(), bars.high(), bars.low(), bars.close()] {
            for &p in col {
                assert!(p >= 0.01);
                assert_eq!((p * 100.0).round() / 100.0, p);
            }
        }
        assert!(bars.volume().iter().all(|v| v.fract() == 0.0 && *v > 0.0));
        let c = bars.close();
        let rets: Vec<f64> = c.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
        let mean = rets.iter().sum::<f64>() / rets.len() as f64;
        let var = rets.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / rets.len() as f64;
        let vol = var.sqrt();
        assert!((0.008..0.013).contains(&vol), "daily vol {vol}");
    }

    #[test]
    fn minute_bars_and_extreme_configs_stay_valid() {
        let minute = SynthConfig {
            step_ms: 60_000,
            bars: 100_000,
            ..Default::default()
        };
        let bars = random_walk(&minute).unwrap();
        assert_eq!(bars.time()[1] - bars.time()[0], 60_000);
        let tiny = SynthConfig {
            start_price: 0.01,
            bars: 20_000,
            seed: 3,
            ..Default::default()
        };
        assert!(random_walk(&tiny).is_ok());
        let huge_step = SynthConfig {
            step_ms: 1000 * DAY_MS,
            bars: 1000,
            ..Default::default()
        };
        assert!(random_walk(&huge_step).is_ok());
        let high = SynthConfig {
            start_price: 1e8,
            bars: 1000,
            ..Default::default()
        };
        assert!(random_walk(&high).is_ok());
        assert!(random_walk(&SynthConfig {
            bars: 0,
            ..Default::default()
        })
        .unwrap()
        .is_empty());
    }

    #[test]
    fn bad_configs_are_errors() {
        let d = SynthConfig::default();
        assert_eq!(
            random_walk(&SynthConfig { step_ms: 0, ..d }),
            Err(SynthError::Step(0))
        );
        assert!(matches!(
            random_walk(&SynthConfig {
                start_price: f64::NAN,
                ..d
            }),
            Err(SynthError::StartPrice(_))
        ));
        assert!(matches!(
            random_walk(&SynthConfig {
                start_price: 0.001,
                ..d
            }),
            Err(SynthError::StartPrice(_))
        ));
        assert!(matches!(
            random_walk(&SynthConfig {
                start_ms: i64::MAX - 10,
                ..d
            }),
            Err(SynthError::TimeOverflow { .. })
        ));
    }
}
