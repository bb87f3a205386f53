//! Drives one paper run while holding its lease: poll the feed, check for gaps and revised
//! bars, process each new closed bar inside the trading window, commit it, notify.

use std::time::Duration;

use serde_json::{json, Value};
use stratagraph_engine::backtest::{ExitReason, Side};
use stratagraph_engine::compile::Plan;
use stratagraph_engine::paper::{Feed, FeedError, Fill, FillAction, PaperSession, PaperStep};
use stratagraph_engine::stream::{Bar, StreamState};
use stratagraph_store::{
    BarCommit, CatchUpPolicy, LateDecision, NotificationType, PaperBarRow, PaperEvent,
    PaperEventKind, PaperFeed, PaperFillRow, PaperRunStatus, PaperTradeRun, StatusChange, Store,
};
use uuid::Uuid;

use crate::error::{PaperError, PaperResult};
use crate::spec::{build_feed, build_plan, AlertConfig, DriverConfig, Window};

/// What one [`RunDriver::step`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct StepReport {
    /// Bars processed and committed.
    pub processed: usize,
    /// Fills among them.
    pub fills: usize,
    /// Set when the run is no longer running (paused, stopped, error): the driver is done.
    pub ended: Option<PaperRunStatus>,
    /// How long to wait before the next step.
    pub wait: Duration,
}

/// One run being driven by this process.
pub struct RunDriver {
    store: Store,
    cfg: DriverConfig,
    run_id: Uuid,
    /// This installation's device id: the run is driven only while it names this device.
    here: Uuid,
    name: String,
    token: String,
    plan: Plan,
    state: StreamState,
    feed: Option<Box<dyn Feed>>,
    interval: i64,
    settle_ms: i64,
    window: Option<Window>,
    alerts: AlertConfig,
    policy: CatchUpPolicy,
    start_after: Option<i64>,
    seq: i64,
    fills_count: i64,
    last_bar: Option<PaperBarRow>,
    /// Time of the last bar the feed delivered (processed or outside the window).
    last_feed_time: Option<i64>,
    peak: f64,
    dd_alerted: bool,
    failures: u32,
    failing: Option<String>,
    gap_tries: u32,
    last_revision: Option<i64>,
    next_poll: i64,
}

/// Whether process `pid` on this machine is alive: `None` when the system cannot tell.
fn process_alive(pid: u32) -> Option<bool> {
    if !std::path::Path::new("/proc/self/stat").exists() {
        return None;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // A zombie (Z) or dead (X) process holds nothing.
        Ok(stat) => Some(
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.trim_start().chars().next())
                .is_some_and(|c| c != 'Z' && c != 'X'),
        ),
        Err(_) => Some(false),
    }
}

fn side_word(side: Side, action: FillAction) -> &'static str {
    match (side, action) {
        (Side::Long, FillAction::Entry) | (Side::Short, FillAction::Exit) => "bought",
        (Side::Long, FillAction::Exit) | (Side::Short, FillAction::Entry) => "sold",
    }
}

fn reason_text(r: Option<ExitReason>) -> Option<String> {
    r.and_then(|r| serde_json::to_value(r).ok())
        .and_then(|v| v.as_str().map(str::to_string))
}

fn is_stop(r: Option<ExitReason>) -> bool {
    matches!(
        r,
        Some(ExitReason::StopLoss | ExitReason::TakeProfit | ExitReason::TrailingStop)
    )
}

fn iso(ms: i64) -> String {
    stratagraph_engine::bars::iso8601(ms)
}

/// A run synced from another device, or resumed on another device since: that device
/// drives it.
fn driven_elsewhere(run_id: Uuid) -> String {
    format!("paper run {run_id} is driven by another device (where it was last started or resumed)")
}

impl RunDriver {
    /// Takes the run's lease (from a holder on this machine that is no longer alive, too) and
    /// prepares the plan, the saved state and the feed.
    ///
    /// # Errors
    /// `Conflict` naming the process that drives the run, or when the run is not running;
    /// `Engine` when the saved state does not fit the version (the run is put in error).
    pub async fn open(store: &Store, run_id: Uuid, cfg: &DriverConfig) -> PaperResult<Self> {
        let run = store.paper_run(run_id).await?;
        if run.status != PaperRunStatus::Running {
            return Err(PaperError::Conflict(format!(
                "paper run {run_id} is {}, not running",
                run.status
            )));
        }
        let here = store.device_id().await?;
        if run.driver_device != Some(here) {
            return Err(PaperError::Conflict(driven_elsewhere(run_id)));
        }
        let lease = match store
            .acquire_paper_lease(run_id, &cfg.holder, cfg.lease_ttl)
            .await
        {
            Ok(l) => l,
            Err(e) => {
                let held = store.paper_lease(run_id).await?;
                let dead = held.as_ref().filter(|l| {
                    l.holder.host == cfg.holder.host && process_alive(l.holder.pid) == Some(false)
                });
                match dead {
                    Some(l) => {
                        store.release_paper_lease(run_id, &l.token).await?;
                        store
                            .acquire_paper_lease(run_id, &cfg.holder, cfg.lease_ttl)
                            .await?
                    }
                    None => return Err(e.into()),
                }
            }
        };
        match Self::prepare(store, &run, cfg, lease.token.clone(), here).await {
            Ok(d) => Ok(d),
            Err(e) => {
                let reason = e.to_string();
                let change = StatusChange {
                    reason: Some(reason),
                    lease_token: Some(lease.token.clone()),
                    ..StatusChange::to(PaperRunStatus::Error)
                };
                store.set_paper_run_status(run_id, &change).await?;
                store.release_paper_lease(run_id, &lease.token).await?;
                Err(e)
            }
        }
    }

    async fn prepare(
        store: &Store,
        run: &PaperTradeRun,
        cfg: &DriverConfig,
        token: String,
        here: Uuid,
    ) -> PaperResult<Self> {
        let version = store.get_version(run.strategy_version_id).await?;
        let plan = build_plan(&version.graph_json, run)?;
        let state = match &run.state_snapshot {
            Some(text) => {
                let state: StreamState = serde_json::from_str(text).map_err(|e| {
                    PaperError::Engine(format!("the saved state is unreadable: {e}"))
                })?;
                PaperSession::resume(&plan, state)
                    .map_err(|e| PaperError::Engine(e.to_string()))?
                    .state()
                    .clone()
            }
            None => PaperSession::new(&plan).state().clone(),
        };
        let feed = build_feed(store, run, cfg.http_timeout).await?;
        let window = run
            .schedule_cron
            .as_deref()
            .map(Window::parse)
            .transpose()?;
        let last_bar = if run.bars_processed > 0 {
            store
                .paper_bars(run.id, run.bars_processed - 1, Some(1))
                .await?
                .pop()
        } else {
            None
        };
        let perf = run.performance_snapshot.clone().unwrap_or(Value::Null);
        Ok(RunDriver {
            store: store.clone(),
            cfg: cfg.clone(),
            run_id: run.id,
            here,
            name: run.name.clone(),
            token,
            interval: feed.interval_ms(),
            settle_ms: if run.feed == PaperFeed::Replay {
                0
            } else {
                i64::try_from(cfg.settle.as_millis()).unwrap_or(2_000)
            },
            feed: Some(feed),
            plan,
            state,
            window,
            alerts: AlertConfig::of(run),
            policy: run.catch_up_policy,
            start_after: run.start_after,
            seq: run.bars_processed,
            fills_count: run.fills_count,
            last_feed_time: run.last_bar_time,
            last_bar,
            peak: perf
                .get("peak_equity")
                .and_then(Value::as_f64)
                .unwrap_or(run.initial_cash),
            dd_alerted: perf
                .get("drawdown_alerted")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            failures: 0,
            failing: None,
            gap_tries: 0,
            last_revision: None,
            next_poll: 0,
        })
    }

    /// The run.
    pub fn run_id(&self) -> Uuid {
        self.run_id
    }

    /// Gives the lease back (the run stays as it is; another process may drive it).
    ///
    /// # Errors
    /// `Store` when the database fails.
    pub async fn release(self) -> PaperResult<()> {
        self.store
            .release_paper_lease(self.run_id, &self.token)
            .await?;
        Ok(())
    }

    fn ended(status: PaperRunStatus) -> StepReport {
        StepReport {
            processed: 0,
            fills: 0,
            ended: Some(status),
            wait: Duration::ZERO,
        }
    }

    /// Polls the feed when a bar is due and processes every new closed bar.
    ///
    /// # Errors
    /// `Conflict` when the lease was lost (another process drives the run now); `Store` when
    /// the database fails. Feed errors are not errors here: they are retried with backoff and
    /// shown in the run's `feed_status`.
    pub async fn step(&mut self) -> PaperResult<StepReport> {
        let mut run = self.store.paper_run(self.run_id).await?;
        if run.status != PaperRunStatus::Running {
            return Ok(Self::ended(run.status));
        }
        if run.driver_device != Some(self.here) {
            return Err(PaperError::Conflict(driven_elsewhere(self.run_id)));
        }
        let now = self.store.now().timestamp_millis();
        if now < self.next_poll {
            self.store
                .renew_paper_lease(self.run_id, &self.token, self.cfg.lease_ttl)
                .await?;
            let wait = u64::try_from(self.next_poll - now).unwrap_or(0);
            return Ok(StepReport {
                processed: 0,
                fills: 0,
                ended: None,
                wait: Duration::from_millis(wait.min(1_000)),
            });
        }
        self.store
            .renew_paper_lease(self.run_id, &self.token, self.cfg.lease_ttl)
            .await?;
        // Ask from the last processed bar on (inclusive), to see whether it was revised.
        let query_after = match self.last_feed_time {
            Some(t) => Some(t - 1),
            None => self.start_after,
        };
        let mut feed = self
            .feed
            .take()
            .ok_or_else(|| PaperError::Engine("the feed is gone".into()))?;
        let joined = tokio::task::spawn_blocking(move || {
            let r = feed.closed_bars(query_after, now);
            (feed, r)
        })
        .await;
        let (feed, result) =
            joined.map_err(|e| PaperError::Engine(format!("the feed task failed: {e}")))?;
        self.feed = Some(feed);
        let bars = match result {
            Ok(b) => b,
            Err(e) => return self.feed_failed(e, now).await,
        };
        if self.failing.take().is_some() {
            self.failures = 0;
            self.store
                .add_paper_event(
                    self.run_id,
                    &PaperEvent::new(PaperEventKind::FeedOk, "the feed answers again"),
                    Some("ok"),
                )
                .await?;
        } else {
            self.store.set_paper_feed_status(self.run_id, "ok").await?;
        }
        let full_page = bars.len() >= 720;
        let mut report = StepReport {
            processed: 0,
            fills: 0,
            ended: None,
            wait: Duration::ZERO,
        };
        for bar in bars {
            if self.last_feed_time.is_some_and(|t| bar.time < t) {
                continue;
            }
            if Some(bar.time) == self.last_feed_time {
                self.check_revision(&bar).await?;
                continue;
            }
            if let Some(prev) = self.last_feed_time {
                let missing = ((bar.time - prev) / self.interval - 1).max(0);
                if missing > 0 && self.gap_tries < self.cfg.gap_retries {
                    self.gap_tries += 1;
                    let msg = format!(
                        "gap: {missing} bar(s) between {} and {} missing from the feed; asking again (try {} of {})",
                        iso(prev),
                        iso(bar.time),
                        self.gap_tries,
                        self.cfg.gap_retries
                    );
                    let mut e = PaperEvent::new(PaperEventKind::Gap, &msg);
                    e.bar_time = Some(bar.time);
                    e.detail = json!({"missing": missing, "from": prev, "to": bar.time});
                    self.store
                        .add_paper_event(self.run_id, &e, Some(&msg))
                        .await?;
                    self.next_poll = now + self.backoff(self.gap_tries);
                    report.wait = Duration::from_millis(1_000.min(self.next_poll - now) as u64);
                    return Ok(report);
                }
                let gap_before = if missing > 0 {
                    let msg = format!(
                        "gap accepted: {missing} bar(s) between {} and {} never came; trading on",
                        iso(prev),
                        iso(bar.time)
                    );
                    let mut e = PaperEvent::new(PaperEventKind::Gap, &msg);
                    e.bar_time = Some(bar.time);
                    e.detail =
                        json!({"missing": missing, "from": prev, "to": bar.time, "accepted": true});
                    self.store
                        .add_paper_event(self.run_id, &e, Some(&msg))
                        .await?;
                    missing
                } else {
                    0
                };
                self.gap_tries = 0;
                match self.process(&mut run, &bar, gap_before, now).await? {
                    Some(n) => {
                        report.processed += usize::from(n.0);
                        report.fills += n.1;
                    }
                    None => {
                        report.ended = Some(PaperRunStatus::Paused);
                        return Ok(report);
                    }
                }
            } else {
                match self.process(&mut run, &bar, 0, now).await? {
                    Some(n) => {
                        report.processed += usize::from(n.0);
                        report.fills += n.1;
                    }
                    None => {
                        report.ended = Some(PaperRunStatus::Paused);
                        return Ok(report);
                    }
                }
            }
        }
        // The next bar is due when the one after the last delivered bar closes.
        let next_close = match self.last_feed_time {
            Some(t) => self.feed_closes_at(t + self.interval),
            None => now + 1_000,
        };
        self.next_poll = if full_page {
            now
        } else {
            next_close + self.settle_ms
        };
        report.wait = Duration::from_millis(
            u64::try_from((self.next_poll - now).clamp(0, 1_000)).unwrap_or(0),
        );
        Ok(report)
    }

    fn feed_closes_at(&self, bar_time: i64) -> i64 {
        self.feed
            .as_ref()
            .map_or(bar_time + self.interval, |f| f.closes_at(bar_time))
    }

    fn backoff(&self, attempt: u32) -> i64 {
        let base = i64::try_from(self.cfg.backoff_base.as_millis()).unwrap_or(1_000);
        let max = i64::try_from(self.cfg.backoff_max.as_millis()).unwrap_or(120_000);
        base.saturating_mul(1_i64 << attempt.saturating_sub(1).min(20))
            .min(max)
    }

    async fn feed_failed(&mut self, e: FeedError, now: i64) -> PaperResult<StepReport> {
        if !e.is_retryable() {
            let reason = format!("the feed refused the run: {e}");
            let mut change = StatusChange {
                reason: Some(reason.clone()),
                lease_token: Some(self.token.clone()),
                ..StatusChange::to(PaperRunStatus::Error)
            };
            if self.alerts.error {
                change.notification = Some((
                    NotificationType::PaperAlert,
                    json!({"event": "error", "message": format!("Paper run \"{}\" stopped with an error: {reason}", self.name)}),
                ));
            }
            self.store
                .set_paper_run_status(self.run_id, &change)
                .await?;
            return Ok(Self::ended(PaperRunStatus::Error));
        }
        self.failures += 1;
        let delay = match &e {
            FeedError::RateLimited {
                retry_after_ms: Some(ms),
                ..
            } => i64::try_from(*ms)
                .unwrap_or(i64::MAX)
                .max(self.backoff(self.failures)),
            _ => self.backoff(self.failures),
        };
        let status = format!(
            "{e}; retrying in {:.1} s (attempt {})",
            delay as f64 / 1000.0,
            self.failures
        );
        let kind = std::mem::discriminant(&e);
        let first = self.failing.is_none();
        self.failing = Some(format!("{kind:?}"));
        if first {
            self.store
                .add_paper_event(
                    self.run_id,
                    &PaperEvent::new(PaperEventKind::FeedError, &status),
                    Some(&status),
                )
                .await?;
        } else {
            self.store
                .set_paper_feed_status(self.run_id, &status)
                .await?;
        }
        self.next_poll = now + delay;
        Ok(StepReport {
            processed: 0,
            fills: 0,
            ended: None,
            wait: Duration::from_millis(u64::try_from(delay.min(1_000)).unwrap_or(0)),
        })
    }

    async fn check_revision(&mut self, bar: &Bar) -> PaperResult<()> {
        let Some(seen) = self.last_bar.as_ref().filter(|b| b.time == bar.time) else {
            return Ok(());
        };
        let same = [seen.open, seen.high, seen.low, seen.close, seen.volume]
            .iter()
            .zip([bar.open, bar.high, bar.low, bar.close, bar.volume])
            .all(|(a, b)| a.to_bits() == b.to_bits());
        if same || self.last_revision == Some(bar.time) {
            return Ok(());
        }
        self.last_revision = Some(bar.time);
        let msg = format!(
            "the feed revised the bar of {} after it closed (close {} → {}); the run keeps the bar it traded on",
            iso(bar.time),
            seen.close,
            bar.close
        );
        let mut e = PaperEvent::new(PaperEventKind::Revision, &msg);
        e.bar_time = Some(bar.time);
        e.detail = json!({
            "seen": {"open": seen.open, "high": seen.high, "low": seen.low, "close": seen.close, "volume": seen.volume},
            "revised": {"open": bar.open, "high": bar.high, "low": bar.low, "close": bar.close, "volume": bar.volume},
        });
        self.store.add_paper_event(self.run_id, &e, None).await?;
        Ok(())
    }

    /// Processes one delivered bar: `Some((processed?, fills))`, or `None` when the run paused
    /// to ask about a late order.
    async fn process(
        &mut self,
        run: &mut PaperTradeRun,
        bar: &Bar,
        gap_before: i64,
        now: i64,
    ) -> PaperResult<Option<(bool, usize)>> {
        let outside = self.start_after.is_some_and(|a| bar.time <= a)
            || self.window.as_ref().is_some_and(|w| !w.contains(bar.time));
        if outside {
            self.last_feed_time = Some(bar.time);
            return Ok(Some((false, 0)));
        }
        let mut session = PaperSession::resume(&self.plan, self.state.clone())
            .map_err(|e| PaperError::Engine(e.to_string()))?;
        // Late: the bar after this one had already closed when this one is processed.
        let late = now >= self.feed_closes_at(bar.time + self.interval);
        let mut events = Vec::new();
        let mut clear_decision = false;
        if late && session.order_pending() && self.policy == CatchUpPolicy::Pause {
            // A decision answers one late order.
            match run.late_decision.take() {
                None => {
                    let reason = format!(
                        "late order: an order decided before the downtime would fill at the open of {}; resume with fill or skip",
                        iso(bar.time)
                    );
                    let mut change = StatusChange {
                        reason: Some(reason.clone()),
                        lease_token: Some(self.token.clone()),
                        ..StatusChange::to(PaperRunStatus::Paused)
                    };
                    change.notification = Some((
                        NotificationType::PaperAlert,
                        json!({"event": "late_order", "bar_time": bar.time, "message": format!("Paper run \"{}\" paused: {reason}", self.name)}),
                    ));
                    self.store
                        .set_paper_run_status(self.run_id, &change)
                        .await?;
                    let mut e = PaperEvent::new(PaperEventKind::LateOrder, reason);
                    e.bar_time = Some(bar.time);
                    self.store.add_paper_event(self.run_id, &e, None).await?;
                    return Ok(None);
                }
                Some(LateDecision::Skip) => {
                    session.cancel_pending_order();
                    let mut e = PaperEvent::new(
                        PaperEventKind::OrderSkipped,
                        format!(
                            "late order at {} skipped at the user's request",
                            iso(bar.time)
                        ),
                    );
                    e.bar_time = Some(bar.time);
                    events.push(e);
                    clear_decision = true;
                }
                Some(LateDecision::Fill) => clear_decision = true,
            }
        }
        let step = match session.push(bar) {
            Ok(s) => s,
            Err(err) => {
                // A bar that breaks the market-data rules is not traded on.
                let msg = format!("the feed's bar of {} was refused: {err}", iso(bar.time));
                let mut e = PaperEvent::new(PaperEventKind::FeedError, &msg);
                e.bar_time = Some(bar.time);
                self.store.add_paper_event(self.run_id, &e, None).await?;
                self.last_feed_time = Some(bar.time);
                return Ok(Some((false, 0)));
            }
        };
        let new_state = session.state().clone();
        drop(session);
        let commit = self.commit_for(
            bar,
            &step,
            &new_state,
            late,
            gap_before,
            events,
            clear_decision,
        )?;
        let n_fills = commit.fills.len();
        self.store
            .commit_paper_bar(self.run_id, &self.token, self.cfg.lease_ttl, &commit)
            .await?;
        self.state = new_state;
        self.seq += 1;
        self.fills_count += n_fills as i64;
        self.last_feed_time = Some(bar.time);
        self.last_bar = Some(commit.bar);
        Ok(Some((true, n_fills)))
    }

    #[allow(clippy::too_many_arguments)]
    fn commit_for(
        &mut self,
        bar: &Bar,
        step: &PaperStep,
        state: &StreamState,
        late: bool,
        gap_before: i64,
        mut events: Vec<PaperEvent>,
        clear_decision: bool,
    ) -> PaperResult<BarCommit> {
        let equity = step.out.equity;
        let mut notifications = Vec::new();
        let fills: Vec<PaperFillRow> = step
            .fills
            .iter()
            .enumerate()
            .map(|(i, f)| self.fill_row(f, i, late))
            .collect();
        for f in &step.fills {
            let wanted = match (f.action, is_stop(f.reason)) {
                (FillAction::Entry, _) => self.alerts.entry,
                (FillAction::Exit, true) => self.alerts.stop,
                (FillAction::Exit, false) => self.alerts.exit,
            };
            let event = match (f.action, is_stop(f.reason)) {
                (FillAction::Entry, _) => "entry",
                (FillAction::Exit, true) => "stop",
                (FillAction::Exit, false) => "exit",
            };
            let late_note = if late {
                " (late: filled in a catch-up)"
            } else {
                ""
            };
            let message = format!(
                "{}: {} {} at {} on {}{late_note}",
                self.name,
                side_word(f.side, f.action),
                f.units,
                f.price,
                iso(f.time)
            );
            if late && self.policy != CatchUpPolicy::Pause {
                let mut e = PaperEvent::new(PaperEventKind::LateOrder, &message);
                e.bar_time = Some(bar.time);
                events.push(e);
            }
            let flag = late && self.policy == CatchUpPolicy::TradeAndFlag;
            if wanted || flag {
                notifications.push((
                    NotificationType::PaperFill,
                    json!({"event": event, "side": f.side, "action": f.action, "price": f.price,
                           "units": f.units, "time": f.time, "late": late,
                           "reason": reason_text(f.reason), "message": message}),
                ));
            }
        }
        self.peak = self.peak.max(equity);
        let dd = if self.peak > 0.0 {
            (self.peak - equity) / self.peak * 100.0
        } else {
            0.0
        };
        if let Some(limit) = self.alerts.drawdown_pct {
            if dd > limit && !self.dd_alerted {
                self.dd_alerted = true;
                notifications.push((
                    NotificationType::PaperAlert,
                    json!({"event": "drawdown", "drawdown_pct": dd, "limit_pct": limit,
                           "message": format!("{}: drawdown {dd:.2}% beyond {limit}%", self.name)}),
                ));
            } else if dd <= limit / 2.0 {
                self.dd_alerted = false;
            }
        }
        let position = step.position.as_ref().map(|p| {
            json!({"side": p.side, "units": p.units, "entry_price": p.entry_price,
                   "entry_time": p.entry_time})
        });
        let initial = self.plan.settings.initial_cash;
        let performance = json!({
            "equity": equity,
            "cash": step.cash,
            "position": position,
            "return_pct": (equity / initial - 1.0) * 100.0,
            "peak_equity": self.peak,
            "drawdown_pct": dd,
            "drawdown_alerted": self.dd_alerted,
            "last_close": bar.close,
            "last_bar_time": bar.time,
            "order_pending": step.order_pending,
            "fills": self.fills_count + fills.len() as i64,
        });
        let state_snapshot =
            serde_json::to_string(state).map_err(|e| PaperError::Engine(e.to_string()))?;
        let trades = step
            .out
            .closed
            .iter()
            .map(|t| {
                let v = serde_json::to_value(t).map_err(|e| PaperError::Engine(e.to_string()))?;
                Ok((v, t.pnl, t.exit_time))
            })
            .collect::<PaperResult<Vec<_>>>()?;
        Ok(BarCommit {
            bar: PaperBarRow {
                seq: self.seq,
                time: bar.time,
                open: bar.open,
                high: bar.high,
                low: bar.low,
                close: bar.close,
                volume: bar.volume,
                equity,
                late,
                gap_before,
            },
            state_snapshot,
            performance,
            fills,
            trades,
            events,
            notifications,
            clear_decision,
        })
    }

    fn fill_row(&self, f: &Fill, i: usize, late: bool) -> PaperFillRow {
        PaperFillRow {
            seq: self.fills_count + i as i64,
            bar_seq: self.seq,
            time: f.time,
            side: match f.side {
                Side::Long => "long".into(),
                Side::Short => "short".into(),
            },
            action: match f.action {
                FillAction::Entry => "entry".into(),
                FillAction::Exit => "exit".into(),
            },
            price: f.price,
            units: f.units,
            commission: f.commission,
            reason: reason_text(f.reason),
            late,
        }
    }
}
