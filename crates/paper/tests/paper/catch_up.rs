//! Catch-up after a simulated 3-day downtime: the missed bars are processed in order, orders
//! that would have filled meanwhile are marked late, and the run's policy decides.

use stratagraph_engine::Bars;
use stratagraph_paper::{reconcile, RunDriver};
use stratagraph_store::{
    CatchUpPolicy, LateDecision, NotificationType, PaperEventKind, PaperRunStatus, PaperTradeRun,
    StatusChange,
};

use crate::common::{config, drain, example, minute_bars, Env};

const HOUR: i64 = 3_600_000;

/// Hourly bars (the random walk of `minute_bars`, one hour apart).
fn hourly(n: usize) -> Bars {
    let m = minute_bars(11, n);
    let t0 = m.time()[0];
    Bars::new(
        (0..n as i64).map(|i| t0 + i * HOUR).collect(),
        m.open().to_vec(),
        m.high().to_vec(),
        m.low().to_vec(),
        m.close().to_vec(),
        m.volume().to_vec(),
    )
    .unwrap()
}

/// Runs 24 hours live at real speed, stops the process for 3 days, then starts it again and
/// catches up (answering every late-order pause with `decision`). Returns the run.
async fn three_day_gap(
    policy: CatchUpPolicy,
    decision: LateDecision,
) -> (Env, PaperTradeRun, usize) {
    let env = Env::new(&example("sma_crossover")).await;
    let bars = hourly(24 + 72 + 10);
    let mut req = env.replay(&bars, 1.0);
    req.parameters.insert("fast".into(), 3.0);
    req.parameters.insert("slow".into(), 8.0);
    req.catch_up = policy;
    let run = env.start(&req).await;
    let cfg = config("the app");
    {
        let mut d = RunDriver::open(&env.store, run.id, &cfg).await.unwrap();
        for _ in 0..24 {
            env.advance_ms(HOUR);
            drain(&mut d).await;
        }
        // The app is closed without a goodbye: the lease is left behind.
    }
    assert_eq!(
        env.store.paper_run(run.id).await.unwrap().bars_processed,
        24
    );
    env.advance_ms(72 * HOUR);
    let store = env.reopen().await;
    let mut pauses = 0;
    for _ in 0..100 {
        let mut d = RunDriver::open(&store, run.id, &cfg).await.unwrap();
        let reports = drain(&mut d).await;
        if reports.last().and_then(|r| r.ended) != Some(PaperRunStatus::Paused) {
            break;
        }
        pauses += 1;
        let paused = store.paper_run(run.id).await.unwrap();
        assert!(
            paused
                .status_reason
                .as_deref()
                .unwrap()
                .starts_with("late order"),
            "{:?}",
            paused.status_reason
        );
        let mut resume = StatusChange::to(PaperRunStatus::Running);
        resume.decision = Some(decision);
        store.set_paper_run_status(run.id, &resume).await.unwrap();
    }
    let run = store.paper_run(run.id).await.unwrap();
    assert_eq!(run.status, PaperRunStatus::Running);
    assert_eq!(
        run.bars_processed,
        24 + 72,
        "every missed bar is processed, in order"
    );
    let seen = store.paper_bars(run.id, 0, None).await.unwrap();
    assert!(seen.windows(2).all(|w| w[1].time - w[0].time == HOUR));
    (env, run, pauses)
}

#[tokio::test]
async fn trade_policy_fills_late_orders_like_the_backtest() {
    let (env, run, pauses) = three_day_gap(CatchUpPolicy::Trade, LateDecision::Fill).await;
    assert_eq!(pauses, 0);
    let fills = env.store.paper_fills(run.id).await.unwrap();
    let late: Vec<_> = fills.iter().filter(|f| f.late).collect();
    assert!(!late.is_empty(), "orders filled during the downtime");
    assert!(late.iter().all(|f| f.bar_seq >= 24));
    let events = env.store.paper_events(run.id, None).await.unwrap();
    assert!(events.iter().any(|e| e.kind == PaperEventKind::LateOrder));
    let rec = reconcile(&env.store, run.id, None).await.unwrap();
    assert!(rec.seen.identical, "{:?}", rec.seen.first_difference);
}

#[tokio::test]
async fn trade_and_flag_policy_notifies_each_late_fill() {
    let (env, run, _) = three_day_gap(CatchUpPolicy::TradeAndFlag, LateDecision::Fill).await;
    let inbox = env.store.list_notifications(env.user, None).await.unwrap();
    let flagged = inbox
        .iter()
        .filter(|n| n.kind == NotificationType::PaperFill && n.payload["late"] == true)
        .count();
    assert!(flagged > 0);
    let rec = reconcile(&env.store, run.id, None).await.unwrap();
    assert!(rec.seen.identical);
}

#[tokio::test]
async fn pause_policy_asks_and_fill_keeps_paper_equal_to_backtest() {
    let (env, run, pauses) = three_day_gap(CatchUpPolicy::Pause, LateDecision::Fill).await;
    assert!(pauses > 0, "a late order paused the run");
    let inbox = env.store.list_notifications(env.user, None).await.unwrap();
    assert!(inbox
        .iter()
        .any(|n| n.kind == NotificationType::PaperAlert && n.payload["event"] == "late_order"));
    let rec = reconcile(&env.store, run.id, None).await.unwrap();
    assert!(rec.seen.identical, "{:?}", rec.seen.first_difference);
}

#[tokio::test]
async fn pause_policy_skip_drops_the_order_and_reconciliation_says_so() {
    let (env, run, pauses) = three_day_gap(CatchUpPolicy::Pause, LateDecision::Skip).await;
    assert!(pauses > 0);
    let events = env.store.paper_events(run.id, None).await.unwrap();
    let skipped: Vec<_> = events
        .iter()
        .filter(|e| e.kind == PaperEventKind::OrderSkipped)
        .collect();
    assert_eq!(skipped.len(), pauses);
    let rec = reconcile(&env.store, run.id, None).await.unwrap();
    let d = rec
        .seen
        .first_difference
        .expect("a skipped order changes the trades");
    assert!(d.cause.contains("skipped"), "{}", d.cause);
    assert_eq!(Some(d.bar_time), skipped.last().and_then(|e| e.bar_time));
}
