//! The automatic checks of a template submission, computed on this device before anything is
//! sent: the same five rules the shared server applies when it opens the review
//! (`sg_template_checks` in `migrations/remote/0007_educators.sql`), so an educator sees
//! what will fail before publishing. The server's results stay the ones that count.

use serde::Serialize;
use serde_json::Value;

use crate::model::BacktestRun;

/// Trades a reference run needs (TradingView's rule for published strategies).
pub const MIN_TRADES: f64 = 100.0;

/// One automatic check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishCheck {
    /// `reference_run`, `costs_on`, `min_trades`, `no_performance_promises`, `reproducible`.
    pub check: String,
    /// Whether it passed.
    pub passed: bool,
    /// `error` (blocks approval) or `warning`.
    pub severity: String,
    /// What was found, in words.
    pub detail: String,
}

fn check(name: &str, passed: bool, detail: String) -> PublishCheck {
    PublishCheck {
        check: name.to_owned(),
        passed,
        severity: "error".to_owned(),
        detail,
    }
}

/// Phrases that promise performance, as the server lists them.
const PROMISES: &[&str] = &[
    "guaranteed",
    "guarantees",
    "guarantee",
    "risk-free",
    "risk free",
    "no-risk",
    "no risk",
    "can't lose",
    "cannot lose",
    "sure profit",
    "never loses",
    "never lose",
];
const PROMISE_ADJECTIVES: &[&str] = &["safe", "certain", "assured", "easy"];
const PROMISE_NOUNS: &[&str] = &["profit", "returns", "return", "money"];

/// The first phrase in `text` that promises performance ("guaranteed", "risk-free", "easy
/// money" …), lower-cased, or `None`.
pub fn promises_performance(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    let mut best: Option<(usize, String)> = None;
    let mut consider = |at: usize, phrase: String| {
        if best.as_ref().is_none_or(|(b, _)| at < *b) {
            best = Some((at, phrase));
        }
    };
    for p in PROMISES {
        if let Some(at) = lower.find(p) {
            consider(at, (*p).to_owned());
        }
    }
    for a in PROMISE_ADJECTIVES {
        for n in PROMISE_NOUNS {
            let p = format!("{a} {n}");
            if let Some(at) = lower.find(&p) {
                consider(at, p);
            }
        }
    }
    best.map(|(_, p)| p)
}

/// A return figure in a title ("12%", "3.5 %"), or `None`.
pub fn return_figure(title: &str) -> Option<String> {
    let chars: Vec<char> = title.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if *c != '%' {
            continue;
        }
        let mut end = i;
        while end > 0 && chars[end - 1].is_whitespace() {
            end -= 1;
        }
        let mut start = end;
        while start > 0
            && (chars[start - 1].is_ascii_digit() || matches!(chars[start - 1], '.' | ','))
        {
            start -= 1;
        }
        // The number starts with a digit.
        while start < end && !chars[start].is_ascii_digit() {
            start += 1;
        }
        if start < end {
            return Some(chars[start..=i].iter().collect());
        }
    }
    None
}

fn number(metrics: Option<&Value>, key: &str) -> Option<f64> {
    metrics?.get(key)?.as_f64()
}

/// The five checks for a version whose latest completed run here is `run`, with `title` and
/// `description`, in the order the server runs them.
pub fn publish_checks(
    run: Option<&BacktestRun>,
    title: &str,
    description: &str,
) -> Vec<PublishCheck> {
    let metrics = run.and_then(|r| r.metrics.as_ref());
    let trades = number(metrics, "trades");
    let costs = number(metrics, "commissions");
    let data_hash = run.and_then(|r| {
        let p = &r.parameters;
        p.get("dataHash")
            .or_else(|| p.get("data_hash"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let mut out = vec![check(
        "reference_run",
        run.is_some(),
        match run {
            Some(r) => format!("reference run {}", r.id),
            None => "no completed backtest of this version: run one".to_owned(),
        },
    )];
    let costs_on = costs.is_some_and(|c| c > 0.0);
    out.push(check(
        "costs_on",
        costs_on,
        if costs_on {
            format!("commissions paid: {:.2}", costs.unwrap_or_default())
        } else {
            "the reference run paid no commissions: switch costs on".to_owned()
        },
    ));
    out.push(check(
        "min_trades",
        trades.is_some_and(|t| t >= MIN_TRADES),
        format!(
            "{} trades; at least 100 are needed",
            trades.map_or_else(|| "no".to_owned(), |t| t.to_string())
        ),
    ));
    let promise = promises_performance(title)
        .or_else(|| promises_performance(description))
        .or_else(|| return_figure(title));
    out.push(check(
        "no_performance_promises",
        promise.is_none(),
        match &promise {
            None => "no promise found".to_owned(),
            Some(p) => format!("the text promises performance: \"{p}\""),
        },
    ));
    out.push(check(
        "reproducible",
        data_hash.is_some(),
        match &data_hash {
            Some(h) => format!("the run records its data hash {h}"),
            None => "the reference run does not record the hash of its data".to_owned(),
        },
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use serde_json::json;
    use uuid::Uuid;

    fn run(metrics: Value, parameters: Value) -> BacktestRun {
        BacktestRun {
            id: Uuid::nil(),
            strategy_version_id: Uuid::nil(),
            requested_by: None,
            parameters,
            status: crate::model::RunStatus::Completed,
            metrics: Some(metrics),
            started_at: None,
            completed_at: None,
            created_at: Utc::now(),
        }
    }

    fn failed(checks: &[PublishCheck]) -> Vec<&str> {
        checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.check.as_str())
            .collect()
    }

    #[test]
    fn a_good_submission_passes_all_five() {
        let r = run(
            json!({"trades": 183, "commissions": 41.5}),
            json!({"dataHash": "abc"}),
        );
        let checks = publish_checks(Some(&r), "SMA crossover", "Two moving averages.");
        assert_eq!(checks.len(), 5);
        assert_eq!(failed(&checks), Vec::<&str>::new());
    }

    #[test]
    fn no_run_fails_run_costs_trades_and_reproducibility() {
        let checks = publish_checks(None, "Lesson", "");
        assert_eq!(
            failed(&checks),
            ["reference_run", "costs_on", "min_trades", "reproducible"]
        );
    }

    #[test]
    fn few_trades_and_no_costs_fail() {
        let r = run(
            json!({"trades": 12, "commissions": 0}),
            json!({"dataHash": "abc"}),
        );
        let checks = publish_checks(Some(&r), "Lesson", "");
        assert_eq!(failed(&checks), ["costs_on", "min_trades"]);
        assert!(checks[2].detail.starts_with("12 trades"));
    }

    #[test]
    fn promises_are_found_in_title_and_description_and_figures_in_the_title() {
        assert_eq!(
            promises_performance("A GUARANTEED edge").as_deref(),
            Some("guaranteed")
        );
        assert_eq!(
            promises_performance("risk free and easy money").as_deref(),
            Some("risk free")
        );
        assert_eq!(
            promises_performance("Makes easy money").as_deref(),
            Some("easy money")
        );
        assert_eq!(promises_performance("Two averages"), None);
        assert_eq!(
            return_figure("Makes 12.5 % a year").as_deref(),
            Some("12.5 %")
        );
        assert_eq!(return_figure("30% of the time"), Some("30%".to_owned()));
        assert_eq!(return_figure("no figure %"), None);
        let r = run(
            json!({"trades": 200, "commissions": 3}),
            json!({"dataHash": "h"}),
        );
        let checks = publish_checks(Some(&r), "Doubles your money: 100%", "");
        assert_eq!(failed(&checks), ["no_performance_promises"]);
        let checks = publish_checks(Some(&r), "Lesson", "This cannot lose.");
        assert_eq!(failed(&checks), ["no_performance_promises"]);
        // A figure in the description is not a promise (the server looks at the title).
        let checks = publish_checks(Some(&r), "Lesson", "Returned 12% in 2020.");
        assert_eq!(failed(&checks), Vec::<&str>::new());
    }
}
