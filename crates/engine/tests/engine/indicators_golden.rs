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

const GOLDEN: &str = include_str!("../golden/indicators.json");
const TOL: f64 = 1e-9;

#[derive(Deserialize)]
struct Golden {
    input: Input,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Input {
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
        high: h,
        low: l,
        close: c,
        volume: v,
    } = &g.input;
    assert_eq!(c.len(), 600);
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
            other => panic!("unknown indicator {other} in golden file"),
        }
        *checked.entry(case.indicator.clone()).or_default() += 1;
    }
    // Every indicator is covered, and the zero-range mapping was exercised.
    assert_eq!(checked.len(), 14, "{checked:?}");
    assert!(zero_range_bars > 0);
    // The flat, zero-volume stretch gives NaN VWAP windows and zero standard deviations.
    assert!(ind::vwap(h, l, c, v, 20)
        .iter()
        .skip(19)
        .any(|x| x.is_nan()));
    assert!(ind::stddev(c, 20).contains(&0.0));
}
