//! Warnings on a result, each with the reason a trader should read before trusting it.

use serde::{Deserialize, Serialize};

/// One warning: a stable code the UI can switch on, and a sentence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Warning {
    /// `few_trades`, `no_costs`, `high_sharpe`, `low_deflated_sharpe`, `one_trade_profit`,
    /// `walkforward_gap`.
    pub code: String,
    /// What was found and why it matters.
    pub message: String,
}

/// Fewer closed trades than this is too few to judge.
pub const MIN_TRADES: u64 = 30;
/// A Sharpe ratio above this is rare outside backtests.
pub const HIGH_SHARPE: f64 = 3.0;
/// A Deflated Sharpe Ratio below this is not significant at 95%.
pub const DSR_LEVEL: f64 = 0.95;
/// One trade making more than this share of the net profit.
pub const ONE_TRADE_SHARE: f64 = 0.5;
/// An out-of-sample metric this much below the in-sample one (as a share of it).
pub const GAP_SHARE: f64 = 0.5;

/// What the warnings look at; leave out what does not apply.
#[derive(Debug, Clone, Default)]
pub struct Inputs<'a> {
    /// Closed trades.
    pub trades: u64,
    /// Commission rate and slippage (bps); `None` when unknown.
    pub costs: Option<(f64, f64)>,
    /// Annualised Sharpe ratio.
    pub sharpe: Option<f64>,
    /// Deflated Sharpe Ratio and the trials behind it.
    pub deflated: Option<(f64, u64)>,
    /// Profits of the closed trades.
    pub trade_pnl: &'a [f64],
    /// Walk-forward: (metric name, mean in-sample, mean out-of-sample).
    pub walkforward: Option<(&'a str, f64, f64)>,
}

fn warn(code: &str, message: String) -> Warning {
    Warning {
        code: code.to_owned(),
        message,
    }
}

/// The warnings that apply to a result.
pub fn warnings(i: &Inputs<'_>) -> Vec<Warning> {
    let mut out = Vec::new();
    if i.trades < MIN_TRADES {
        out.push(warn(
            "few_trades",
            format!(
                "Only {} closed trade{}: fewer than {MIN_TRADES} cannot tell skill from luck.",
                i.trades,
                if i.trades == 1 { "" } else { "s" }
            ),
        ));
    }
    if let Some((commission, slippage)) = i.costs {
        if commission == 0.0 && slippage == 0.0 {
            out.push(warn(
                "no_costs",
                "Costs are switched off (no commission, no slippage): real fills cost money, \
                 and frequent trading loses the most."
                    .to_owned(),
            ));
        }
    }
    if let Some(s) = i.sharpe.filter(|s| *s > HIGH_SHARPE) {
        out.push(warn(
            "high_sharpe",
            format!(
                "A Sharpe ratio of {s:.2} (above {HIGH_SHARPE}) is rare in live trading: check \
                 for look-ahead, too few trades or a curve fitted to this data."
            ),
        ));
    }
    if let Some((d, n)) = i.deflated.filter(|(d, _)| *d < DSR_LEVEL) {
        out.push(warn(
            "low_deflated_sharpe",
            format!(
                "Deflated Sharpe ratio {d:.2} is below {DSR_LEVEL} after {n} trial{}: the Sharpe \
                 ratio is not significant once the search that found it is counted.",
                if n == 1 { "" } else { "s" }
            ),
        ));
    }
    let net: f64 = i.trade_pnl.iter().sum();
    if net > 0.0 {
        let best = i
            .trade_pnl
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        if best / net > ONE_TRADE_SHARE {
            out.push(warn(
                "one_trade_profit",
                format!(
                    "One trade made {:.0}% of the net profit: without it the result would look \
                     very different.",
                    best / net * 100.0
                ),
            ));
        }
    }
    if let Some((metric, is, oos)) = i.walkforward {
        if is > 0.0 && (is - oos) / is > GAP_SHARE {
            out.push(warn(
                "walkforward_gap",
                format!(
                    "Out of sample the mean {metric} is {oos:.2} against {is:.2} in sample \
                     ({:.0}% lower): the parameters fitted the past more than they predict.",
                    (is - oos) / is * 100.0
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(i: &Inputs<'_>) -> Vec<String> {
        warnings(i).into_iter().map(|w| w.code).collect()
    }

    #[test]
    fn each_rule_fires_on_its_own_condition_only() {
        let pnl = [100.0, -20.0, 30.0];
        let base = Inputs {
            trades: 40,
            costs: Some((0.001, 5.0)),
            sharpe: Some(1.0),
            deflated: Some((0.99, 10)),
            trade_pnl: &[10.0, 12.0, 9.0],
            walkforward: Some(("sharpe", 1.0, 0.8)),
        };
        assert!(codes(&base).is_empty());
        assert_eq!(
            codes(&Inputs {
                trades: 3,
                ..base.clone()
            }),
            ["few_trades"]
        );
        assert_eq!(
            codes(&Inputs {
                costs: Some((0.0, 0.0)),
                ..base.clone()
            }),
            ["no_costs"]
        );
        assert_eq!(
            codes(&Inputs {
                sharpe: Some(3.5),
                ..base.clone()
            }),
            ["high_sharpe"]
        );
        assert_eq!(
            codes(&Inputs {
                deflated: Some((0.5, 200)),
                ..base.clone()
            }),
            ["low_deflated_sharpe"]
        );
        assert_eq!(
            codes(&Inputs {
                trade_pnl: &pnl,
                ..base.clone()
            }),
            ["one_trade_profit"]
        );
        assert_eq!(
            codes(&Inputs {
                walkforward: Some(("sharpe", 1.0, 0.2)),
                ..base.clone()
            }),
            ["walkforward_gap"]
        );
    }
}
