//! The node library beyond the core operators: indicators, candlestick patterns, time filters
//! and higher-timeframe bars, each a state machine fed one bar at a time.
//!
//! Batch evaluation runs the same states over the whole series ([`run`]) that streaming runs
//! bar by bar, so the two agree bit for bit by construction. States never hold a non-finite
//! number (missing values are `None`), so they round-trip through `serde_json`.
//!
//! Conventions follow `indicators.rs`: a missing input is NaN; indicators over a window give
//! NaN while any value in their window is missing; recursive ones (EMA-based, KAMA, CMO) skip
//! missing values. Nodes that read the bars directly (ADX, patterns, time filters...) always
//! see complete bars.

use serde::{Deserialize, Serialize};

use crate::bars::{Bar, Bars};
use crate::eval::In;

mod averages;
mod calendar;
mod channels;
mod oscillators;
mod patterns;
pub(crate) mod position;
mod stats;
mod trend;

pub use calendar::{Timeframe, Zone, DAYS, ZONES};
pub use patterns::Pattern;
pub use position::PositionField;

/// The values of one node at one bar, in catalog output order (unused entries are NaN).
pub type Out = [f64; 5];

/// No value on any output.
pub(crate) const NONE: Out = [f64::NAN; 5];

/// One value on the first output.
#[inline(always)]
pub(crate) fn one(x: f64) -> Out {
    [x, f64::NAN, f64::NAN, f64::NAN, f64::NAN]
}

/// A boolean as a series value.
#[inline(always)]
pub(crate) fn flag(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// `Some(x)` for a finite `x`.
#[inline(always)]
pub(crate) fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// TA-Lib's `TA_IS_ZERO`: `|x| < 1e-8`.
#[inline(always)]
pub(crate) fn ta_zero(x: f64) -> bool {
    -0.000_000_01 < x && x < 0.000_000_01
}

/// A node of the library with its parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum Kernel {
    /// ADX with +DI and -DI.
    Adx(usize),
    /// Aroon up, down and oscillator.
    Aroon(usize),
    /// Commodity channel index.
    Cci(usize),
    /// Chande momentum oscillator of the input.
    Cmo(usize),
    /// Money flow index.
    Mfi(usize),
    /// Williams %R.
    WillR(usize),
    /// Percentage price oscillator of the input: fast, slow, EMA (true) or SMA.
    Ppo(usize, usize, bool),
    /// TRIX of the input.
    Trix(usize),
    /// Ultimate oscillator.
    UltOsc(usize, usize, usize),
    /// Kaufman adaptive moving average of the input.
    Kama(usize),
    /// Double EMA of the input.
    Dema(usize),
    /// Triple EMA of the input.
    Tema(usize),
    /// Tillson T3 of the input with its volume factor.
    T3(usize, f64),
    /// Parabolic SAR: acceleration step and maximum.
    Sar(f64, f64),
    /// Keltner channels: EMA period, ATR period, multiplier.
    Keltner(usize, usize, f64),
    /// Donchian channels.
    Donchian(usize),
    /// Ichimoku: tenkan, kijun, senkou B periods, displacement.
    Ichimoku(usize, usize, usize, usize),
    /// SuperTrend: ATR period, multiplier.
    SuperTrend(usize, f64),
    /// Slope of the least-squares line of the input.
    LinRegSlope(usize),
    /// End point of the least-squares line of the input.
    LinReg(usize),
    /// z-score of the input.
    ZScore(usize),
    /// Pearson correlation of two inputs.
    Correl(usize),
    /// Momentum: the input minus its value n bars ago.
    Momentum(usize),
    /// The input n bars ago.
    Lag(usize),
    /// A candlestick pattern.
    Pattern(Pattern),
    /// Session filter: start and end in minutes after local midnight.
    Session(u32, u32, Zone),
    /// Day-of-week filter: from and to (1 = Monday .. 7 = Sunday).
    DayOfWeek(u32, u32, Zone),
    /// Date filter: from and to as YYYYMMDD, inclusive.
    DateRange(i64, i64, Zone),
    /// The bar's calendar fields.
    Calendar(Zone),
    /// True on the first bar of each period.
    PeriodStart(Timeframe, Zone),
    /// The last closed bar of a higher timeframe.
    Higher(Timeframe, Zone),
}

/// The per-bar memory of a [`Kernel`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum KernelState {
    /// See [`Kernel::Adx`].
    Adx(trend::AdxState),
    /// See [`Kernel::Aroon`].
    Aroon(trend::AroonState),
    /// See [`Kernel::Cci`].
    Cci(oscillators::CciState),
    /// See [`Kernel::Cmo`].
    Cmo(oscillators::CmoState),
    /// See [`Kernel::Mfi`].
    Mfi(oscillators::MfiState),
    /// See [`Kernel::WillR`].
    WillR(oscillators::WillRState),
    /// See [`Kernel::Ppo`].
    Ppo(oscillators::PpoState),
    /// See [`Kernel::Trix`].
    Trix(oscillators::TrixState),
    /// See [`Kernel::UltOsc`].
    UltOsc(oscillators::UltOscState),
    /// See [`Kernel::Kama`].
    Kama(averages::KamaState),
    /// See [`Kernel::Dema`], [`Kernel::Tema`], [`Kernel::T3`].
    Emas(averages::EmasState),
    /// See [`Kernel::Sar`].
    Sar(trend::SarState),
    /// See [`Kernel::Keltner`].
    Keltner(channels::KeltnerState),
    /// See [`Kernel::Donchian`].
    Donchian(channels::DonchianState),
    /// See [`Kernel::Ichimoku`].
    Ichimoku(channels::IchimokuState),
    /// See [`Kernel::SuperTrend`].
    SuperTrend(trend::SuperTrendState),
    /// See [`Kernel::LinRegSlope`], [`Kernel::LinReg`].
    LinReg(stats::LinRegState),
    /// See [`Kernel::ZScore`].
    ZScore(stats::ZScoreState),
    /// See [`Kernel::Correl`].
    Correl(stats::CorrelState),
    /// See [`Kernel::Momentum`], [`Kernel::Lag`].
    Lag(stats::LagState),
    /// See [`Kernel::Pattern`].
    Pattern(patterns::PatternState),
    /// See the time kernels.
    Calendar(calendar::CalendarState),
    /// See [`Kernel::Higher`].
    Higher(calendar::HigherState),
}

impl Kernel {
    /// How many outputs the node has.
    pub fn outputs(&self) -> usize {
        match self {
            Kernel::Higher(..) => 5,
            Kernel::Ichimoku(..) => 4,
            Kernel::Adx(_) | Kernel::Aroon(_) | Kernel::Keltner(..) | Kernel::Donchian(_) => 3,
            Kernel::SuperTrend(..) => 2,
            Kernel::Pattern(p) => p.outputs(),
            Kernel::DayOfWeek(..) => 2,
            Kernel::Calendar(_) => 5,
            _ => 1,
        }
    }

    /// A fresh state.
    pub fn state(&self) -> KernelState {
        use KernelState as S;
        match *self {
            Kernel::Adx(n) => S::Adx(trend::AdxState::new(n)),
            Kernel::Aroon(n) => S::Aroon(trend::AroonState::new(n)),
            Kernel::Cci(n) => S::Cci(oscillators::CciState::new(n)),
            Kernel::Cmo(n) => S::Cmo(oscillators::CmoState::new(n)),
            Kernel::Mfi(n) => S::Mfi(oscillators::MfiState::new(n)),
            Kernel::WillR(n) => S::WillR(oscillators::WillRState::new(n)),
            Kernel::Ppo(f, s, ema) => S::Ppo(oscillators::PpoState::new(f, s, ema)),
            Kernel::Trix(n) => S::Trix(oscillators::TrixState::new(n)),
            Kernel::UltOsc(a, b, c) => S::UltOsc(oscillators::UltOscState::new(a, b, c)),
            Kernel::Kama(n) => S::Kama(averages::KamaState::new(n)),
            Kernel::Dema(n) => S::Emas(averages::EmasState::dema(n)),
            Kernel::Tema(n) => S::Emas(averages::EmasState::tema(n)),
            Kernel::T3(n, v) => S::Emas(averages::EmasState::t3(n, v)),
            Kernel::Sar(a, m) => S::Sar(trend::SarState::new(a, m)),
            Kernel::Keltner(n, a, m) => S::Keltner(channels::KeltnerState::new(n, a, m)),
            Kernel::Donchian(n) => S::Donchian(channels::DonchianState::new(n)),
            Kernel::Ichimoku(t, k, s, d) => S::Ichimoku(channels::IchimokuState::new(t, k, s, d)),
            Kernel::SuperTrend(n, m) => S::SuperTrend(trend::SuperTrendState::new(n, m)),
            Kernel::LinRegSlope(n) => S::LinReg(stats::LinRegState::new(n, true)),
            Kernel::LinReg(n) => S::LinReg(stats::LinRegState::new(n, false)),
            Kernel::ZScore(n) => S::ZScore(stats::ZScoreState::new(n)),
            Kernel::Correl(n) => S::Correl(stats::CorrelState::new(n)),
            Kernel::Momentum(n) => S::Lag(stats::LagState::new(n, true)),
            Kernel::Lag(n) => S::Lag(stats::LagState::new(n, false)),
            Kernel::Pattern(p) => S::Pattern(patterns::PatternState::new(p)),
            Kernel::Session(..)
            | Kernel::DayOfWeek(..)
            | Kernel::DateRange(..)
            | Kernel::Calendar(_)
            | Kernel::PeriodStart(..) => S::Calendar(calendar::CalendarState::new(self)),
            Kernel::Higher(tf, z) => S::Higher(calendar::HigherState::new(tf, z)),
        }
    }
}

impl KernelState {
    /// Consumes one bar: `x` holds the node's input values at this bar (in catalog input
    /// order), `bar` the bar itself. Returns the node's outputs.
    #[inline]
    pub fn update(&mut self, x: &[f64], bar: &Bar) -> Out {
        let a = x.first().copied().unwrap_or(f64::NAN);
        let (h, l, c) = (bar.high, bar.low, bar.close);
        match self {
            KernelState::Adx(s) => s.update(h, l, c),
            KernelState::Aroon(s) => s.update(h, l),
            KernelState::Cci(s) => one(s.update(h, l, c)),
            KernelState::Cmo(s) => one(s.update(a)),
            KernelState::Mfi(s) => one(s.update(h, l, c, bar.volume)),
            KernelState::WillR(s) => one(s.update(h, l, c)),
            KernelState::Ppo(s) => one(s.update(a)),
            KernelState::Trix(s) => one(s.update(a)),
            KernelState::UltOsc(s) => one(s.update(h, l, c)),
            KernelState::Kama(s) => one(s.update(a)),
            KernelState::Emas(s) => one(s.update(a)),
            KernelState::Sar(s) => one(s.update(h, l)),
            KernelState::Keltner(s) => s.update(h, l, c),
            KernelState::Donchian(s) => s.update(h, l),
            KernelState::Ichimoku(s) => s.update(h, l),
            KernelState::SuperTrend(s) => s.update(h, l, c),
            KernelState::LinReg(s) => one(s.update(a)),
            KernelState::ZScore(s) => one(s.update(a)),
            KernelState::Correl(s) => one(s.update(a, x.get(1).copied().unwrap_or(f64::NAN))),
            KernelState::Lag(s) => one(s.update(a)),
            KernelState::Pattern(s) => s.update(bar),
            KernelState::Calendar(s) => s.update(bar.time),
            KernelState::Higher(s) => s.update(bar),
        }
    }
}

/// Runs `kernel` over every bar: one series per output.
pub(crate) fn run(kernel: &Kernel, inputs: &[In<'_>], bars: &Bars) -> Vec<Vec<f64>> {
    let n = bars.len();
    let k = kernel.outputs().min(5);
    let mut outs: Vec<Vec<f64>> = (0..k).map(|_| Vec::with_capacity(n)).collect();
    let mut state = kernel.state();
    let mut x = vec![f64::NAN; inputs.len()];
    for t in 0..n {
        for (v, i) in x.iter_mut().zip(inputs) {
            *v = i.at(t);
        }
        let o = state.update(&x, &bars.bar(t));
        for (s, v) in outs.iter_mut().zip(o) {
            s.push(v);
        }
    }
    outs
}

/// What a library kind compiles to.
pub(crate) enum LibraryOp {
    /// A bar-by-bar kernel over the node's inputs.
    Kernel(Kernel),
    /// A read of the account's position.
    Position(PositionField),
}

/// The operation of library kind `kind`, with its numeric params read through `num` and its
/// text params through `text`; `None` for a kind that is not in the library.
///
/// # Errors
/// A param that is missing, unreadable or out of range (from `num`).
pub(crate) fn library_op(
    kind: &str,
    num: &dyn Fn(&str) -> Result<f64, crate::compile::CompileError>,
    text: &dyn Fn(&str) -> String,
) -> Result<Option<LibraryOp>, crate::compile::CompileError> {
    use position::SideFilter;
    let int =
        |name: &str| -> Result<usize, crate::compile::CompileError> { Ok(num(name)? as usize) };
    let zone = || Zone::parse(&text("timezone")).unwrap_or(Zone::UTC);
    let tf = || Timeframe::parse(&text("timeframe")).unwrap_or(Timeframe::Day);
    let day = |name: &str| -> u32 {
        let d = text(name);
        DAYS.iter()
            .position(|x| *x == d)
            .map_or(1, |i| i as u32 + 1)
    };
    let k = match kind {
        "indicator.adx" => Kernel::Adx(int("period")?),
        "indicator.aroon" => Kernel::Aroon(int("period")?),
        "indicator.cci" => Kernel::Cci(int("period")?),
        "indicator.cmo" => Kernel::Cmo(int("period")?),
        "indicator.mfi" => Kernel::Mfi(int("period")?),
        "indicator.willr" => Kernel::WillR(int("period")?),
        "indicator.ppo" => Kernel::Ppo(int("fast")?, int("slow")?, text("ma") != "sma"),
        "indicator.trix" => Kernel::Trix(int("period")?),
        "indicator.ultosc" => Kernel::UltOsc(int("fast")?, int("mid")?, int("slow")?),
        "indicator.kama" => Kernel::Kama(int("period")?),
        "indicator.dema" => Kernel::Dema(int("period")?),
        "indicator.tema" => Kernel::Tema(int("period")?),
        "indicator.t3" => Kernel::T3(int("period")?, num("vfactor")?),
        "indicator.sar" => Kernel::Sar(num("step")?, num("max")?),
        "indicator.keltner" => Kernel::Keltner(int("period")?, int("atr_period")?, num("mult")?),
        "indicator.donchian" => Kernel::Donchian(int("period")?),
        "indicator.ichimoku" => Kernel::Ichimoku(
            int("tenkan")?,
            int("kijun")?,
            int("senkou")?,
            int("displacement")?,
        ),
        "indicator.supertrend" => Kernel::SuperTrend(int("period")?, num("mult")?),
        "indicator.linreg_slope" => Kernel::LinRegSlope(int("period")?),
        "indicator.linreg" => Kernel::LinReg(int("period")?),
        "indicator.zscore" => Kernel::ZScore(int("period")?),
        "indicator.correl" => Kernel::Correl(int("period")?),
        "indicator.momentum" => Kernel::Momentum(int("period")?),
        "math.lag" => Kernel::Lag(int("period")?),
        "timeframe.bar" => Kernel::Higher(tf(), zone()),
        "time.session" => Kernel::Session(
            (int("start_hour")? * 60 + int("start_minute")?) as u32,
            (int("end_hour")? * 60 + int("end_minute")?) as u32,
            zone(),
        ),
        "time.day_of_week" => Kernel::DayOfWeek(day("from"), day("to"), zone()),
        "time.date_range" => Kernel::DateRange(num("from")? as i64, num("to")? as i64, zone()),
        "time.calendar" => Kernel::Calendar(zone()),
        "time.period_start" => Kernel::PeriodStart(tf(), zone()),
        "position.in_position" => {
            let side = match text("side").as_str() {
                "long" => SideFilter::Long,
                "short" => SideFilter::Short,
                _ => SideFilter::Any,
            };
            return Ok(Some(LibraryOp::Position(PositionField::InPosition(side))));
        }
        "position.bars_in_trade" => {
            return Ok(Some(LibraryOp::Position(PositionField::BarsInTrade)))
        }
        "position.entry_price" => return Ok(Some(LibraryOp::Position(PositionField::EntryPrice))),
        "position.open_pnl" => return Ok(Some(LibraryOp::Position(PositionField::OpenPnl))),
        other => match Pattern::ALL.iter().find(|(_, name, _)| *name == other) {
            Some((p, _, _)) => Kernel::Pattern(*p),
            None => return Ok(None),
        },
    };
    Ok(Some(LibraryOp::Kernel(k)))
}

/// Runs `kernel` over `bars` with the given input series (in catalog input order): one series
/// per output. The same computation as a compiled plan's, for tests and tools.
pub fn run_kernel(kernel: &Kernel, inputs: &[&[f64]], bars: &Bars) -> Vec<Vec<f64>> {
    let ins: Vec<In<'_>> = inputs.iter().map(|s| In::S(s)).collect();
    run(kernel, &ins, bars)
}
