//! The paper-trading path: feeds of closed bars behind one trait, the replay feed with its
//! simulated clock, and the paper broker, which is the streaming engine's account (the batch
//! backtest's fill rules, shared code) reporting each fill as it happens.

use serde::{Deserialize, Serialize};

use crate::backtest::{ExitReason, Position, Side, Trade};
use crate::compile::Plan;
use crate::stream::{Bar, StepOutput, Stream, StreamError, StreamState};
use crate::Bars;

/// Entry or exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FillAction {
    /// Opened a position.
    Entry,
    /// Closed a position (signal, reversal or a stop).
    Exit,
}

/// One execution of the paper broker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fill {
    /// Index of the bar at which it filled (0 = the first bar the run processed).
    pub bar: usize,
    /// Time of that bar, ms UTC.
    pub time: i64,
    /// The position's side.
    pub side: Side,
    /// Entry or exit.
    pub action: FillAction,
    /// Fill price, slippage included.
    pub price: f64,
    /// Units (positive).
    pub units: f64,
    /// Commission charged on this fill.
    pub commission: f64,
    /// Why an exit happened (`None` for entries).
    pub reason: Option<ExitReason>,
}

/// What one bar did in a paper session.
#[derive(Debug, Clone, PartialEq)]
pub struct PaperStep {
    /// The streaming engine's output (signals, equity, closed trades).
    pub out: StepOutput,
    /// Fills at this bar, in the order they happened (an exit before the entry of a reversal).
    pub fills: Vec<Fill>,
    /// The position after the bar.
    pub position: Option<Position>,
    /// Cash after the bar.
    pub cash: f64,
    /// True when an order decided at this bar's close waits for the next open.
    pub order_pending: bool,
}

/// The paper broker: a [`Stream`] whose fills are reported one by one.
#[derive(Debug, Clone)]
pub struct PaperSession<'p> {
    stream: Stream<'p>,
}

impl<'p> PaperSession<'p> {
    /// A fresh session: flat account, no bars seen.
    pub fn new(plan: &'p Plan) -> Self {
        PaperSession {
            stream: Stream::new(plan),
        }
    }

    /// Continues from a saved state.
    ///
    /// # Errors
    /// [`StreamError::StateMismatch`] when the state belongs to another plan.
    pub fn resume(plan: &'p Plan, state: StreamState) -> Result<Self, StreamError> {
        Ok(PaperSession {
            stream: Stream::resume(plan, state)?,
        })
    }

    /// The state to save after each bar.
    pub fn state(&self) -> &StreamState {
        self.stream.state()
    }

    /// True when an order decided at the last close waits for the next bar's open.
    pub fn order_pending(&self) -> bool {
        self.stream.state().book.has_pending_order()
    }

    /// Drops the order waiting for the next open.
    pub fn cancel_pending_order(&mut self) {
        self.stream.cancel_pending_order();
    }

    /// Processes one closed bar and reports its fills.
    ///
    /// # Errors
    /// [`StreamError::BadBar`] for a bar that breaks the market-data rules; nothing changes.
    pub fn push(&mut self, bar: &Bar) -> Result<PaperStep, StreamError> {
        let rate = self.stream.state().book.commission_rate();
        let out = self.stream.push(bar)?;
        let book = &self.stream.state().book;
        let mut fills: Vec<Fill> = out.closed.iter().map(|t| exit_fill(t, rate)).collect();
        if let Some(p) = book.position.as_ref().filter(|p| p.entry_bar == out.bar) {
            fills.push(Fill {
                bar: out.bar,
                time: p.entry_time,
                side: p.side,
                action: FillAction::Entry,
                price: p.entry_price,
                units: p.units,
                commission: p.entry_commission,
                reason: None,
            });
        }
        Ok(PaperStep {
            position: book.position.clone(),
            cash: book.cash,
            order_pending: book.has_pending_order(),
            fills,
            out,
        })
    }
}

fn exit_fill(t: &Trade, rate: f64) -> Fill {
    Fill {
        bar: t.exit_bar,
        time: t.exit_time,
        side: t.side,
        action: FillAction::Exit,
        price: t.exit_price,
        units: t.size,
        commission: t.size * t.exit_price * rate,
        reason: Some(t.exit_reason),
    }
}

/// Why a feed could not deliver bars this time. Every kind is retried by the runner; the
/// message is what the run's status shows.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FeedError {
    /// The server asked us to slow down (HTTP 429 or 418, or the exchange's own rate-limit error).
    #[error("rate limited by {source_name}{}", retry_hint(*retry_after_ms))]
    RateLimited {
        /// Who said so.
        source_name: String,
        /// How long the server asked us to wait, if it said.
        retry_after_ms: Option<u64>,
    },
    /// The server failed (HTTP 5xx).
    #[error("{source_name} answered HTTP {status}")]
    Server {
        /// Who failed.
        source_name: String,
        /// The HTTP status.
        status: u16,
    },
    /// No answer in time.
    #[error("{source_name} did not answer within {timeout_ms} ms")]
    Timeout {
        /// Who did not answer.
        source_name: String,
        /// The time allowed.
        timeout_ms: u64,
    },
    /// The connection failed.
    #[error("cannot reach {source_name}: {detail}")]
    Network {
        /// Who could not be reached.
        source_name: String,
        /// What the network layer said.
        detail: String,
    },
    /// The answer is not in the documented format.
    #[error("{source_name} sent a malformed answer: {detail}")]
    Malformed {
        /// Who sent it.
        source_name: String,
        /// What is wrong, and where.
        detail: String,
    },
    /// The exchange refused the request (unknown symbol, bad interval…); retrying will not help
    /// until the run is changed.
    #[error("{source_name} refused the request: {detail}")]
    Refused {
        /// Who refused.
        source_name: String,
        /// The exchange's words.
        detail: String,
    },
}

fn retry_hint(ms: Option<u64>) -> String {
    ms.map_or(String::new(), |ms| format!(" (asked to wait {ms} ms)"))
}

impl FeedError {
    /// False when retrying cannot help (a refused request).
    pub fn is_retryable(&self) -> bool {
        !matches!(self, FeedError::Refused { .. })
    }
}

/// A source of closed bars for one market: a replay, or an exchange's public API.
pub trait Feed: Send {
    /// Closed bars whose open time is after `after` (all available when `None`), oldest
    /// first, as of the wall-clock time `now_ms` (ms UTC). A bar is closed once its whole
    /// interval has passed; the bar still forming is never returned. A feed may return only
    /// a page: call again with the last time to get the rest.
    ///
    /// # Errors
    /// A [`FeedError`] saying what went wrong; nothing is consumed.
    fn closed_bars(&mut self, after: Option<i64>, now_ms: i64) -> Result<Vec<Bar>, FeedError>;

    /// The bar length, ms.
    fn interval_ms(&self) -> i64;

    /// The wall-clock time (ms UTC) at which the bar opening at `bar_time` counts as closed:
    /// when to ask again.
    fn closes_at(&self, bar_time: i64) -> i64;
}

/// The simulated clock of a replay: simulated time runs `speed` times faster than the wall
/// clock from the anchor pair (`wall_start`, `sim_start`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReplayClock {
    /// Wall-clock time at the anchor, ms UTC.
    pub wall_start: i64,
    /// Simulated time at the anchor, ms UTC.
    pub sim_start: i64,
    /// Simulated ms per wall-clock ms (> 0).
    pub speed: f64,
}

impl ReplayClock {
    /// Simulated time at wall-clock `now_ms`.
    pub fn sim_now(&self, now_ms: i64) -> i64 {
        let elapsed = (now_ms - self.wall_start).max(0) as f64;
        self.sim_start.saturating_add((elapsed * self.speed) as i64)
    }

    /// The wall-clock time at which the simulated clock shows `sim`.
    pub fn wall_at(&self, sim: i64) -> i64 {
        let ahead = (sim - self.sim_start).max(0) as f64;
        self.wall_start
            .saturating_add((ahead / self.speed).ceil() as i64)
    }
}

/// Bars per page a replay returns (like an exchange's page limit).
pub const REPLAY_PAGE: usize = 1000;

/// Plays stored bars as a live feed under a [`ReplayClock`]: a bar is closed when the
/// simulated clock has passed its open time plus the interval.
#[derive(Debug, Clone)]
pub struct ReplayFeed {
    bars: Bars,
    interval: i64,
    clock: ReplayClock,
}

/// The bar length of `bars`: the smallest gap between two consecutive times (1 minute for
/// fewer than two bars).
pub fn infer_interval(bars: &Bars) -> i64 {
    bars.time()
        .windows(2)
        .map(|w| w[1] - w[0])
        .min()
        .unwrap_or(60_000)
        .max(1)
}

impl ReplayFeed {
    /// A replay of `bars` under `clock`, with the interval inferred from the bars.
    pub fn new(bars: Bars, clock: ReplayClock) -> Self {
        let interval = infer_interval(&bars);
        ReplayFeed {
            bars,
            interval,
            clock,
        }
    }

    /// The clock.
    pub fn clock(&self) -> ReplayClock {
        self.clock
    }
}

impl Feed for ReplayFeed {
    fn closed_bars(&mut self, after: Option<i64>, now_ms: i64) -> Result<Vec<Bar>, FeedError> {
        let sim = self.clock.sim_now(now_ms);
        let t = self.bars.time();
        let start = after.map_or(0, |a| t.partition_point(|&x| x <= a));
        let mut out = Vec::new();
        for (i, &time) in t.iter().enumerate().skip(start) {
            if time.saturating_add(self.interval) > sim || out.len() == REPLAY_PAGE {
                break;
            }
            out.push(Bar {
                time,
                open: self.bars.open()[i],
                high: self.bars.high()[i],
                low: self.bars.low()[i],
                close: self.bars.close()[i],
                volume: self.bars.volume()[i],
            });
        }
        Ok(out)
    }

    fn interval_ms(&self) -> i64 {
        self.interval
    }

    fn closes_at(&self, bar_time: i64) -> i64 {
        self.clock.wall_at(bar_time.saturating_add(self.interval))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars(n: usize) -> Bars {
        let time: Vec<i64> = (0..n as i64).map(|i| i * 60_000).collect();
        let c: Vec<f64> = (0..n).map(|i| 100.0 + i as f64).collect();
        Bars::new(time, c.clone(), c.clone(), c.clone(), c, vec![1.0; n]).unwrap()
    }

    #[test]
    fn replay_returns_only_bars_whose_interval_has_passed() {
        let clock = ReplayClock {
            wall_start: 1_000,
            sim_start: 0,
            speed: 60.0,
        };
        let mut f = ReplayFeed::new(bars(10), clock);
        assert_eq!(f.interval_ms(), 60_000);
        // 999 wall ms * 60 = 59,940 simulated ms: the first bar is still forming.
        assert!(f.closed_bars(None, 1_999).unwrap().is_empty());
        assert_eq!(f.closed_bars(None, 2_000).unwrap().len(), 1);
        let got = f.closed_bars(Some(0), 5_000).unwrap();
        assert_eq!(
            got.iter().map(|b| b.time).collect::<Vec<_>>(),
            [60_000, 120_000, 180_000]
        );
        assert_eq!(f.closes_at(60_000), 3_000);
        assert_eq!(f.closed_bars(None, i64::MAX / 2).unwrap().len(), 10);
    }
}
