//! Indicators against TA-Lib: `tests/golden/indicators.json`, written by
//! `scripts/golden/indicators.py`, holds an OHLCV input and TA-Lib's output for each
//! indicator; every value must match to 1e-9 (relative, absolute below 1) with NaN exactly
//! where the reference has none.
//!
//! Convention mappings (documented in `indicators.rs`):
//! - OBV: TA-Lib starts at `volume[0]`, the engine at 0, so the reference is shifted by
//!   `volume[0]`.
//! - Stochastic: TA-Lib writes raw %K = 0 on a zero range (highest high = lowest low), the
//!   engine NaN; so slow %K / %D are expected NaN wherever their windows contain such a bar.
//! - MACD line and stochastic %K come from a TA-Lib call with a signal / %D period of 1, since
//!   TA-Lib blanks them until its last output starts (the script checks both calls agree).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde::Deserialize;
use std::collections::BTreeMap;
use stratagraph_engine::indicators as ind;
use stratagraph_engine::kernels::{run_kernel, Kernel};
use stratagraph_engine::Bars;

const GOLDEN: &str = include_str!("../golden/indicators.json");
const TOL: f64 = 1e-9;

#[derive(Deserialize)]
struct Golden {
    input: Input,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Input {
    open: Vec<f64>,
    high: Vec<f64>,
    low: Vec<f64>,
    close: Vec<f64>,
    volume: Vec<f64>,
}

#[derive(Deserialize)]
struct Case {
    indicator: String,
    params: BTreeMap<String, f64>,
    outputs: BTreeMap<String, Vec<Option<f64>>>,
}

impl Case {
    fn p(&self, name: &str) -> usize {
        self.params[name] as usize
    }

    fn out(&self, name: &str) -> Vec<f64> {
        self.outputs[name]
            .iter()
            .map(|v| v.unwrap_or(f64::NAN))
            .collect()
    }
}

/// Panics with the first mismatch between `got` and `want`.
fn check(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        if w.is_nan() || g.is_nan() {
            assert!(
                w.is_nan() && g.is_nan(),
                "{what}[{i}]: got {g}, reference {w}"
            );
        } else {
            assert!(
                (g - w).abs() <= TOL * w.abs().max(1.0),
                "{what}[{i}]: got {g}, reference {w}, diff {}",
                g - w
            );
        }
    }
}

/// `mask[t]` = any of `flags[t+1−n..=t]`.
fn any_in_window(flags: &[bool], n: usize) -> Vec<bool> {
    (0..flags.len())
        .map(|t| flags[(t + 1).saturating_sub(n)..=t].iter().any(|&f| f))
        .collect()
}

#[test]
fn indicators_match_talib_golden_file() {
    let g: Golden = serde_json::from_str(GOLDEN).expect("golden file parses");
    let Input {
        open: o,
        high: h,
        low: l,
        close: c,
        volume: v,
    } = &g.input;
    assert_eq!(c.len(), 600);
    let day = 86_400_000i64;
    let bars = Bars::new(
        (0..c.len() as i64).map(|i| i * day).collect(),
        o.clone(),
        h.clone(),
        l.clone(),
        c.clone(),
        v.clone(),
    )
    .unwrap();
    let mut library = 0;
    let mut checked = BTreeMap::<String, usize>::new();
    let mut zero_range_bars = 0;
    for case in &g.cases {
        let name = format!("{}{:?}", case.indicator, case.params);
        match case.indicator.as_str() {
            "sma" => check(&name, &ind::sma(c, case.p("n")), &case.out("out")),
            "ema" => check(&name, &ind::ema(c, case.p("n")), &case.out("out")),
            "wma" => check(&name, &ind::wma(c, case.p("n")), &case.out("out")),
            "highest" => check(&name, &ind::highest(c, case.p("n")), &case.out("out")),
            "lowest" => check(&name, &ind::lowest(c, case.p("n")), &case.out("out")),
            "stddev" => check(&name, &ind::stddev(c, case.p("n")), &case.out("out")),
            "roc" => check(&name, &ind::roc(c, case.p("n")), &case.out("out")),
            "rsi" => check(&name, &ind::rsi(c, case.p("n")), &case.out("out")),
            "atr" => check(&name, &ind::atr(h, l, c, case.p("n")), &case.out("out")),
            "vwap" => check(&name, &ind::vwap(h, l, c, v, case.p("n")), &case.out("out")),
            "obv" => {
                let want: Vec<f64> = case.out("out").iter().map(|o| o - v[0]).collect();
                check(&name, &ind::obv(c, v), &want);
            }
            "bollinger" => {
                let b = ind::bollinger(c, case.p("n"), case.params["k"]);
                check(&format!("{name}.upper"), &b.upper, &case.out("upper"));
                check(&format!("{name}.middle"), &b.middle, &case.out("middle"));
                check(&format!("{name}.lower"), &b.lower, &case.out("lower"));
                // The middle band is the SMA, bit for bit.
                let s = ind::sma(c, case.p("n"));
                assert!(s
                    .iter()
                    .zip(&b.middle)
                    .all(|(a, b)| a.to_bits() == b.to_bits()));
            }
            "macd" => {
                let m = ind::macd(c, case.p("fast"), case.p("slow"), case.p("signal"));
                check(&format!("{name}.line"), &m.line, &case.out("line"));
                check(&format!("{name}.signal"), &m.signal, &case.out("signal"));
                check(&format!("{name}.hist"), &m.hist, &case.out("hist"));
            }
            "stochastic" => {
                let (kp, ks, dp) = (case.p("k_period"), case.p("k_smooth"), case.p("d_period"));
                let s = ind::stochastic(h, l, c, kp, ks, dp);
                // Bars whose raw %K window has a zero range: TA-Lib 0, the engine NaN.
                let zero: Vec<bool> = (0..c.len())
                    .map(|t| {
                        t + 1 >= kp && {
                            let w = t + 1 - kp..=t;
                            let hh = h[w.clone()].iter().copied().fold(f64::MIN, f64::max);
                            let ll = l[w].iter().copied().fold(f64::MAX, f64::min);
                            hh == ll
                        }
                    })
                    .collect();
                zero_range_bars += zero.iter().filter(|&&z| z).count();
                let k_nan = any_in_window(&zero, ks);
                let d_nan = any_in_window(&k_nan, dp);
                let mask = |want: Vec<f64>, nan: &[bool]| -> Vec<f64> {
                    want.iter()
                        .zip(nan)
                        .map(|(&w, &n)| if n { f64::NAN } else { w })
                        .collect()
                };
                check(&format!("{name}.k"), &s.k, &mask(case.out("k"), &k_nan));
                check(&format!("{name}.d"), &s.d, &mask(case.out("d"), &d_nan));
            }
            other => {
                let Some((kernel, inputs)) = library_kernel(other, case, c, v) else {
                    panic!("unknown indicator {other} in golden file");
                };
                let got = run_kernel(&kernel, &inputs, &bars);
                let names = library_outputs(other);
                assert_eq!(names.len(), got.len(), "{name}: outputs");
                for (port, series) in names.iter().zip(&got) {
                    check(&format!("{name}.{port}"), series, &case.out(port));
                }
                library += 1;
            }
        }
        *checked.entry(case.indicator.clone()).or_default() += 1;
    }
    // Every indicator is covered, and the zero-range mapping was exercised.
    assert_eq!(checked.len(), 14 + LIBRARY.len(), "{checked:?}");
    assert!(library >= 2 * LIBRARY.len());
    assert!(zero_range_bars > 0);
    // The flat, zero-volume stretch gives NaN VWAP windows and zero standard deviations.
    assert!(ind::vwap(h, l, c, v, 20)
        .iter()
        .skip(19)
        .any(|x| x.is_nan()));
    assert!(ind::stddev(c, 20).contains(&0.0));
}

/// The library indicators in the golden file, each with its outputs in catalog order.
const LIBRARY: &[(&str, &[&str])] = &[
    ("adx", &["adx", "plus_di", "minus_di"]),
    ("aroon", &["up", "down", "osc"]),
    ("cci", &["out"]),
    ("cmo", &["out"]),
    ("mfi", &["out"]),
    ("willr", &["out"]),
    ("kama", &["out"]),
    ("dema", &["out"]),
    ("tema", &["out"]),
    ("trix", &["out"]),
    ("linreg_slope", &["out"]),
    ("linreg", &["out"]),
    ("momentum", &["out"]),
    ("lag", &["out"]),
    ("zscore", &["out"]),
    ("correl", &["out"]),
    ("donchian", &["upper", "middle", "lower"]),
    ("ppo", &["out"]),
    ("t3", &["out"]),
    ("sar", &["out"]),
    ("ultosc", &["out"]),
    ("keltner", &["upper", "middle", "lower"]),
    ("ichimoku", &["tenkan", "kijun", "span_a", "span_b"]),
    ("supertrend", &["line", "up"]),
];

fn library_outputs(name: &str) -> &'static [&'static str] {
    LIBRARY
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(&[], |(_, o)| o)
}

/// The kernel a golden case names, with its input series.
fn library_kernel<'a>(
    name: &str,
    case: &Case,
    c: &'a [f64],
    v: &'a [f64],
) -> Option<(Kernel, Vec<&'a [f64]>)> {
    let n = || case.p("n");
    let f = |k: &str| case.params[k];
    let close = vec![c];
    Some(match name {
        "adx" => (Kernel::Adx(n()), vec![]),
        "aroon" => (Kernel::Aroon(n()), vec![]),
        "cci" => (Kernel::Cci(n()), vec![]),
        "cmo" => (Kernel::Cmo(n()), close),
        "mfi" => (Kernel::Mfi(n()), vec![]),
        "willr" => (Kernel::WillR(n()), vec![]),
        "kama" => (Kernel::Kama(n()), close),
        "dema" => (Kernel::Dema(n()), close),
        "tema" => (Kernel::Tema(n()), close),
        "trix" => (Kernel::Trix(n()), close),
        "linreg_slope" => (Kernel::LinRegSlope(n()), close),
        "linreg" => (Kernel::LinReg(n()), close),
        "momentum" => (Kernel::Momentum(n()), close),
        "lag" => (Kernel::Lag(n()), close),
        "zscore" => (Kernel::ZScore(n()), close),
        "correl" => (Kernel::Correl(n()), vec![c, v]),
        "donchian" => (Kernel::Donchian(n()), vec![]),
        "ppo" => (
            Kernel::Ppo(case.p("fast"), case.p("slow"), f("ema") == 1.0),
            close,
        ),
        "t3" => (Kernel::T3(n(), f("vfactor")), close),
        "sar" => (Kernel::Sar(f("step"), f("max")), vec![]),
        "ultosc" => (
            Kernel::UltOsc(case.p("fast"), case.p("mid"), case.p("slow")),
            vec![],
        ),
        "keltner" => (Kernel::Keltner(n(), case.p("atr_n"), f("mult")), vec![]),
        "ichimoku" => (
            Kernel::Ichimoku(
                case.p("tenkan"),
                case.p("kijun"),
                case.p("senkou"),
                case.p("displacement"),
            ),
            vec![],
        ),
        "supertrend" => (Kernel::SuperTrend(n(), f("mult")), vec![]),
        _ => return None,
    })
}

const PATTERNS: &str = include_str!("../golden/patterns.json");

#[derive(Deserialize)]
struct PatternGolden {
    input: Candles,
    patterns: BTreeMap<String, PatternCase>,
}

#[derive(Deserialize)]
struct Candles {
    open: Vec<f64>,
    high: Vec<f64>,
    low: Vec<f64>,
    close: Vec<f64>,
}

#[derive(Deserialize)]
struct PatternCase {
    function: String,
    lookback: usize,
    /// `[bar, TA-Lib value]` where TA-Lib's output is not 0.
    hits: Vec<(usize, i32)>,
}

/// Every candlestick pattern against TA-Lib's CDL function on 6,000 candles made to contain
/// each pattern several times: the same bars fire, on the same side, and nothing before the
/// lookback.
#[test]
fn candlestick_patterns_match_talib() {
    use stratagraph_engine::kernels::Pattern;
    let g: PatternGolden = serde_json::from_str(PATTERNS).expect("golden file parses");
    let n = g.input.close.len();
    let bars = Bars::new(
        (0..n as i64).map(|i| i * 60_000).collect(),
        g.input.open.clone(),
        g.input.high.clone(),
        g.input.low.clone(),
        g.input.close.clone(),
        vec![0.0; n],
    )
    .unwrap();
    assert_eq!(g.patterns.len(), Pattern::ALL.len());
    for &(p, kind, reference) in Pattern::ALL {
        let name = kind.trim_start_matches("pattern.");
        let case = &g.patterns[name];
        assert!(reference.contains(&case.function), "{kind}: {reference}");
        let mut want = vec![0i32; n];
        for &(i, v) in &case.hits {
            want[i] = v;
        }
        let got = run_kernel(&Kernel::Pattern(p), &[], &bars);
        for t in 0..n {
            if t < case.lookback {
                assert!(
                    got.iter().all(|s| s[t].is_nan()),
                    "{kind}[{t}]: before lookback"
                );
                continue;
            }
            let (bull, bear) = if p.two_sided() {
                (got[0][t] == 1.0, got[1][t] == 1.0)
            } else if want[t] >= 0 {
                (got[0][t] == 1.0, false)
            } else {
                (false, got[0][t] == 1.0)
            };
            assert!(
                got.iter().all(|s| s[t] == 0.0 || s[t] == 1.0),
                "{kind}[{t}]: not a boolean"
            );
            assert_eq!(
                (bull, bear),
                (want[t] > 0, want[t] < 0),
                "{kind}[{t}]: TA-Lib {} {}",
                case.function,
                want[t]
            );
        }
        assert!(case.hits.len() >= 3, "{kind}: too few occurrences");
    }
}
