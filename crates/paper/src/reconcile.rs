//! Reconciliation: backtest the run's version on the bars the run saw and compare, trade by
//! trade and bar by bar; name the first bar where they differ and why. When the feed's data
//! is known to differ from what the run saw (a replay's dataset with bars the run never got,
//! or bars the exchange revised after close), a second comparison against that data names
//! the gap or the revision.

use std::collections::BTreeMap;

use serde::Serialize;
use stratagraph_engine::backtest::{backtest, BacktestResult, Trade};
use stratagraph_engine::stream::StreamState;
use stratagraph_engine::Bars;
use stratagraph_store::{PaperBarRow, PaperEventKind, PaperFeed, Store};
use uuid::Uuid;

use crate::error::{PaperError, PaperResult};
use crate::spec::plan_with;

/// Where paper and backtest first part.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// The bar's position among the compared bars.
    pub bar: usize,
    /// Its open time, ms UTC.
    pub bar_time: i64,
    /// What differs (equity, a trade's entry or exit).
    pub what: String,
    /// Why: a late fill, a skipped late order, a feed revision, a gap, a changed parameter.
    pub cause: String,
}

/// One comparison of the paper run with a backtest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Which bars the backtest ran on.
    pub data: String,
    /// Bars compared.
    pub bars: usize,
    /// Closed trades of the paper run.
    pub paper_trades: usize,
    /// Closed trades of the backtest.
    pub backtest_trades: usize,
    /// Equity of each at the last compared bar.
    pub paper_equity: f64,
    /// The backtest's.
    pub backtest_equity: f64,
    /// True when every trade and every bar's equity are equal, bit for bit.
    pub identical: bool,
    /// The first difference, if any.
    pub first_difference: Option<Difference>,
}

/// The result of [`reconcile`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reconciliation {
    /// The run.
    pub run_id: Uuid,
    /// Against the bars the run saw (with the run's parameters unless others were given).
    pub seen: Comparison,
    /// Against the feed's data where it differs from what the run saw.
    pub feed: Option<Comparison>,
}

fn bars_of(rows: &[PaperBarRow]) -> PaperResult<Bars> {
    Bars::new(
        rows.iter().map(|b| b.time).collect(),
        rows.iter().map(|b| b.open).collect(),
        rows.iter().map(|b| b.high).collect(),
        rows.iter().map(|b| b.low).collect(),
        rows.iter().map(|b| b.close).collect(),
        rows.iter().map(|b| b.volume).collect(),
    )
    .map_err(|e| PaperError::Engine(format!("the run's stored bars are invalid: {e}")))
}

fn trade_key(t: &Trade) -> (i64, i64, u64, u64, u64) {
    (
        t.entry_time,
        t.exit_time,
        t.entry_price.to_bits(),
        t.exit_price.to_bits(),
        t.size.to_bits(),
    )
}

/// The first difference between the paper run (trades, per-bar equity by time) and a backtest.
fn first_difference(
    times: &[i64],
    paper_equity: &BTreeMap<i64, f64>,
    paper_trades: &[Trade],
    bt: &BacktestResult,
) -> Option<(usize, String)> {
    let mut first: Option<(usize, String)> = None;
    for (i, t) in times.iter().enumerate() {
        match paper_equity.get(t) {
            Some(e) if e.to_bits() == bt.equity[i].to_bits() => {}
            Some(e) => {
                first = Some((
                    i,
                    format!("equity {e} on paper, {} in the backtest", bt.equity[i]),
                ));
                break;
            }
            None => {
                first = Some((i, "the run never processed this bar".into()));
                break;
            }
        }
    }
    let index_of = |time: i64| times.partition_point(|&x| x < time);
    for k in 0..paper_trades.len().max(bt.trades.len()) {
        let (p, b) = (paper_trades.get(k), bt.trades.get(k));
        if let (Some(p), Some(b)) = (p, b) {
            if trade_key(p) == trade_key(b) {
                continue;
            }
        }
        let at = match (p, b) {
            (Some(p), Some(b))
                if p.entry_time != b.entry_time || p.entry_price != b.entry_price =>
            {
                p.entry_time.min(b.entry_time)
            }
            (Some(p), Some(b)) => p.exit_time.min(b.exit_time),
            (Some(p), None) => p.entry_time,
            (None, Some(b)) => b.entry_time,
            (None, None) => continue,
        };
        let what = format!(
            "trade {}: paper {} vs backtest {}",
            k + 1,
            p.map_or("none".into(), describe),
            b.map_or("none".into(), describe)
        );
        let i = index_of(at);
        if first.as_ref().is_none_or(|(j, _)| i < *j) {
            first = Some((i, what));
        }
        break;
    }
    first
}

fn describe(t: &Trade) -> String {
    format!(
        "{:?} {} from {} at {} to {} at {}",
        t.side,
        t.size,
        stratagraph_engine::bars::iso8601(t.entry_time),
        t.entry_price,
        stratagraph_engine::bars::iso8601(t.exit_time),
        t.exit_price
    )
}

/// Backtests the run's version on the bars it saw and compares. `parameters` replaces the
/// run's parameter values (to see what a changed parameter would have done).
///
/// # Errors
/// `Store` for an unknown run; `Engine` when the version does not compile.
pub async fn reconcile(
    store: &Store,
    run_id: Uuid,
    parameters: Option<&BTreeMap<String, f64>>,
) -> PaperResult<Reconciliation> {
    let run = store.paper_run(run_id).await?;
    let version = store.get_version(run.strategy_version_id).await?;
    let run_params: BTreeMap<String, f64> = serde_json::from_value(run.parameters.clone())
        .map_err(|e| PaperError::invalid("parameters", e.to_string()))?;
    let params = parameters.cloned().unwrap_or_else(|| run_params.clone());
    let plan = plan_with(
        &version.graph_json,
        &params,
        run.initial_cash,
        run.commission,
        run.slippage_bps,
    )?;
    let rows = store.paper_bars(run_id, 0, None).await?;
    let paper_trades: Vec<Trade> = store
        .paper_trades(run_id)
        .await?
        .into_iter()
        .map(serde_json::from_value)
        .collect::<Result<_, _>>()
        .map_err(|e| PaperError::Engine(format!("a stored paper trade is unreadable: {e}")))?;
    let paper_equity: BTreeMap<i64, f64> = rows.iter().map(|b| (b.time, b.equity)).collect();
    let events = store.paper_events(run_id, None).await?;
    let fills = store.paper_fills(run_id).await?;
    let state: Option<StreamState> = run
        .state_snapshot
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok());
    let paper_final = rows.last().map_or(run.initial_cash, |b| b.equity);

    let changed: Vec<String> = params
        .iter()
        .filter(|(k, v)| run_params.get(*k).map(|x| x.to_bits()) != Some(v.to_bits()))
        .map(|(k, v)| {
            format!(
                "a changed parameter: {k} = {v} here, {} in the run",
                run_params
                    .get(k)
                    .map_or("its default".into(), |x| x.to_string())
            )
        })
        .collect();

    let seen_bars = bars_of(&rows)?;
    let bt = backtest(&plan, &seen_bars);
    let mut seen = compare(
        "the bars the run saw",
        &seen_bars,
        &paper_equity,
        &paper_trades,
        &bt,
        paper_final,
    );
    if let Some(d) = seen.first_difference.as_mut() {
        d.cause = if let Some(c) = changed.first() {
            c.clone()
        } else if events.iter().any(|e| {
            e.kind == PaperEventKind::OrderSkipped && e.bar_time.is_some_and(|t| t <= d.bar_time)
        }) {
            "a late order was skipped at the user's request".into()
        } else if fills.iter().any(|f| f.late && f.time <= d.bar_time) {
            "a late fill during catch-up".into()
        } else {
            "unexplained: the engine should trade identically on identical bars".into()
        };
    }
    let _ = state;

    // The feed's data where it is known to differ from what the run saw.
    let reference = match run.feed {
        PaperFeed::Replay => {
            let (bytes, sum) = store.paper_replay_data(run_id).await?;
            let all = Bars::from_canonical(&bytes, &sum)
                .map_err(|e| PaperError::Engine(e.to_string()))?;
            match (rows.first(), rows.last()) {
                (Some(a), Some(b)) => {
                    let t = all.time();
                    let lo = t.partition_point(|&x| x < a.time);
                    let hi = t.partition_point(|&x| x <= b.time);
                    let slice = all.slice(lo, hi);
                    (slice.hash() != seen_bars.hash()).then_some(slice)
                }
                _ => None,
            }
        }
        _ => {
            let mut revised = rows.clone();
            let mut any = false;
            for e in events.iter().filter(|e| e.kind == PaperEventKind::Revision) {
                let Some(t) = e.bar_time else { continue };
                let Some(r) = e.detail.get("revised") else {
                    continue;
                };
                if let Some(b) = revised.iter_mut().find(|b| b.time == t) {
                    let f =
                        |k: &str, d: f64| r.get(k).and_then(serde_json::Value::as_f64).unwrap_or(d);
                    (b.open, b.high, b.low, b.close, b.volume) = (
                        f("open", b.open),
                        f("high", b.high),
                        f("low", b.low),
                        f("close", b.close),
                        f("volume", b.volume),
                    );
                    any = true;
                }
            }
            if any {
                Some(bars_of(&revised)?)
            } else {
                None
            }
        }
    };
    let feed = match reference {
        Some(ref_bars) => {
            let bt2 = backtest(&plan, &ref_bars);
            let mut c = compare(
                "the feed's data",
                &ref_bars,
                &paper_equity,
                &paper_trades,
                &bt2,
                paper_final,
            );
            if let Some(d) = c.first_difference.as_mut() {
                // The last data difference at or before the first trading difference.
                let seen_by_time: BTreeMap<i64, &PaperBarRow> =
                    rows.iter().map(|b| (b.time, b)).collect();
                let mut cause = None;
                for i in 0..ref_bars.len() {
                    let t = ref_bars.time()[i];
                    if t > d.bar_time {
                        break;
                    }
                    match seen_by_time.get(&t) {
                        None => {
                            cause = Some(format!(
                                "a gap: the run never got the bar of {}",
                                stratagraph_engine::bars::iso8601(t)
                            ));
                        }
                        Some(b)
                            if b.close.to_bits() != ref_bars.close()[i].to_bits()
                                || b.open.to_bits() != ref_bars.open()[i].to_bits()
                                || b.high.to_bits() != ref_bars.high()[i].to_bits()
                                || b.low.to_bits() != ref_bars.low()[i].to_bits() =>
                        {
                            cause = Some(format!(
                                "a feed revision: the bar of {} changed after the run traded on it (close {} → {})",
                                stratagraph_engine::bars::iso8601(t),
                                b.close,
                                ref_bars.close()[i]
                            ));
                        }
                        Some(_) => {}
                    }
                }
                d.cause = cause.unwrap_or_else(|| {
                    seen.first_difference.as_ref().map_or(
                        "the feed's data differs from what the run saw".into(),
                        |s| s.cause.clone(),
                    )
                });
            }
            Some(c)
        }
        None => None,
    };
    Ok(Reconciliation { run_id, seen, feed })
}

fn compare(
    label: &str,
    bars: &Bars,
    paper_equity: &BTreeMap<i64, f64>,
    paper_trades: &[Trade],
    bt: &BacktestResult,
    paper_final: f64,
) -> Comparison {
    let first = first_difference(bars.time(), paper_equity, paper_trades, bt);
    Comparison {
        data: label.into(),
        bars: bars.len(),
        paper_trades: paper_trades.len(),
        backtest_trades: bt.trades.len(),
        paper_equity: paper_final,
        backtest_equity: bt.equity.last().copied().unwrap_or(paper_final),
        identical: first.is_none(),
        first_difference: first.map(|(i, what)| Difference {
            bar: i,
            bar_time: bars.time().get(i).copied().unwrap_or(0),
            what,
            cause: String::new(),
        }),
    }
}
