//! One stored result's robustness, assembled the same way for the app, the CLI and reports:
//! the Deflated Sharpe Ratio from the return statistics kept with its metrics and the
//! strategy's trials, a note when a figure is missing, and the warnings.

use serde_json::Value;

use super::sharpe::{deflated_sharpe, Deflated, Trials};
use super::stats::ReturnStats;
use super::warnings::{warnings, Inputs, Warning};

/// What [`assess`] finds.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// The DSR and PSR, when they can be computed.
    pub deflated: Option<Deflated>,
    /// The return statistics stored with the result.
    pub stats: Option<ReturnStats>,
    /// Why the DSR is missing, if it is.
    pub note: Option<String>,
    /// Warnings with their reasons.
    pub warnings: Vec<Warning>,
}

/// Assesses a result from its metrics JSON (with the [`super::stats::STATS_KEYS`] entries),
/// the strategy's `trials`, its costs (commission rate, slippage bps) and its closed trades'
/// profits.
pub fn assess(metrics: &Value, trials: &Trials, costs: (f64, f64), pnl: &[f64]) -> Assessment {
    let stats = ReturnStats::from_metrics(metrics);
    let deflated = stats.as_ref().and_then(|s| deflated_sharpe(s, trials));
    let note = match (&stats, &deflated) {
        (None, _) => Some(
            "No daily-return statistics: fewer than three days of returns, no dispersion, or a \
             run made before they were recorded (run it again)."
                .to_owned(),
        ),
        (Some(_), None) => Some(
            "The trials' Sharpe ratios cannot be compared: fewer than two of them have one."
                .to_owned(),
        ),
        _ => None,
    };
    let m = |k: &str| metrics.get(k).and_then(Value::as_f64);
    let warnings = warnings(&Inputs {
        trades: m("trades").unwrap_or(0.0) as u64,
        costs: Some(costs),
        sharpe: m("sharpe"),
        deflated: deflated.map(|d| (d.deflated_sharpe, d.trials)),
        trade_pnl: pnl,
        walkforward: None,
    });
    Assessment {
        deflated,
        stats,
        note,
        warnings,
    }
}
