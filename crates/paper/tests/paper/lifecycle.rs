//! The replay feed through a whole run: start, bars as they close, fills and notifications,
//! pause, resume with catch-up, stop; the flood limit; reconciliation identical to a backtest.

use stratagraph_engine::backtest::backtest;
use stratagraph_paper::{build_plan, reconcile, RunDriver};
use stratagraph_store::{NotificationType, PaperRunStatus, StatusChange, StoreError, FLOOD_LIMIT};

use crate::common::{config, drain, example, minute_bars, Env};

#[tokio::test]
async fn replay_lifecycle_start_fill_pause_resume_stop() {
    let env = Env::new(&example("sma_crossover")).await;
    let bars = minute_bars(7, 400);
    let mut req = env.replay(&bars, 60.0);
    req.parameters.insert("fast".into(), 5.0);
    let run = env.start(&req).await;
    assert_eq!(run.status, PaperRunStatus::Running);
    let cfg = config("test app");
    let mut d = RunDriver::open(&env.store, run.id, &cfg).await.unwrap();

    // Nothing has closed yet: a minute bar at 60x closes one wall second after the start.
    let r = d.step().await.unwrap();
    assert_eq!(r.processed, 0);
    // Bar by bar, one simulated minute per step.
    let mut processed = 0;
    for _ in 0..120 {
        env.advance_ms(1_000);
        for r in drain(&mut d).await {
            processed += r.processed;
        }
    }
    assert_eq!(processed, 120);
    let now = env.store.paper_run(run.id).await.unwrap();
    assert_eq!(now.bars_processed, 120);
    assert!(now.fills_count > 0, "the strategy traded in 120 bars");
    assert_eq!(now.feed_status.as_deref(), Some("ok"));
    let fills = env.store.paper_fills(run.id).await.unwrap();
    assert_eq!(fills.len() as i64, now.fills_count);
    assert!(fills.iter().all(|f| !f.late), "live bars are not late");
    let inbox = env.store.list_notifications(env.user, None).await.unwrap();
    assert!(inbox.iter().any(|n| n.kind == NotificationType::PaperFill));
    assert!(env.store.unread_count(env.user).await.unwrap() > 0);

    // Pause from another process: the driver notices at its next step and lets go.
    env.store
        .set_paper_run_status(run.id, &StatusChange::to(PaperRunStatus::Paused))
        .await
        .unwrap();
    let r = d.step().await.unwrap();
    assert_eq!(r.ended, Some(PaperRunStatus::Paused));
    d.release().await.unwrap();
    env.advance_ms(60_000);

    // Resume: the minute missed while paused is caught up, in order, by a new driver.
    env.store
        .set_paper_run_status(run.id, &StatusChange::to(PaperRunStatus::Running))
        .await
        .unwrap();
    let store = env.reopen().await;
    let mut d = RunDriver::open(&store, run.id, &cfg).await.unwrap();
    let caught: usize = drain(&mut d).await.iter().map(|r| r.processed).sum();
    assert_eq!(caught, 60);
    let late = store.paper_bars(run.id, 120, None).await.unwrap();
    assert!(
        late.iter().take(59).all(|b| b.late),
        "caught-up bars are marked late"
    );

    // The rest at once: 220 bars in one catch-up floods the inbox, which is limited.
    env.advance_ms(400_000);
    drain(&mut d).await;
    let run_now = store.paper_run(run.id).await.unwrap();
    assert_eq!(run_now.bars_processed, 400);
    let at = store.now();
    let inbox = store.list_notifications(env.user, None).await.unwrap();
    let burst: Vec<_> = inbox
        .iter()
        .filter(|n| n.created_at == at && n.payload["paper_run_id"] == run.id.to_string())
        .collect();
    let fills_in_burst = store
        .paper_fills(run.id)
        .await
        .unwrap()
        .iter()
        .filter(|f| f.bar_seq >= 180)
        .count();
    assert!(
        fills_in_burst > FLOOD_LIMIT as usize,
        "{fills_in_burst} fills"
    );
    assert_eq!(burst.len(), FLOOD_LIMIT as usize, "at most 15 in 3 minutes");
    assert!(burst.iter().any(|n| n.payload["event"] == "flood_limited"
        && n.payload["message"]
            .as_str()
            .unwrap()
            .contains("15 in 3 minutes")));
    assert!(run_now.notifications_held > 0);

    // Stop: the run is over, the lease is gone, and it cannot be resumed.
    let r = d.step().await.unwrap();
    assert_eq!(r.processed, 0);
    store
        .set_paper_run_status(run.id, &StatusChange::to(PaperRunStatus::Stopped))
        .await
        .unwrap();
    assert_eq!(d.step().await.unwrap().ended, Some(PaperRunStatus::Stopped));
    assert!(store.paper_lease(run.id).await.unwrap().is_none());
    let again = store
        .set_paper_run_status(run.id, &StatusChange::to(PaperRunStatus::Running))
        .await;
    assert!(
        matches!(again, Err(StoreError::Conflict { .. })),
        "{again:?}"
    );

    // Paper equals the backtest of the same bars: trade by trade, bar by bar.
    let rec = reconcile(&store, run.id, None).await.unwrap();
    assert!(rec.seen.identical, "{:?}", rec.seen.first_difference);
    assert!(rec.feed.is_none(), "the run saw every bar of the dataset");
    let version = store.get_version(env.version).await.unwrap();
    let plan = build_plan(&version.graph_json, &run_now).unwrap();
    let bt = backtest(&plan, &bars);
    assert_eq!(rec.seen.backtest_trades, bt.trades.len());
    assert_eq!(rec.seen.paper_trades, bt.trades.len());
    assert_eq!(
        run_now.performance_snapshot.unwrap()["equity"]
            .as_f64()
            .unwrap()
            .to_bits(),
        bt.equity[399].to_bits()
    );

    // Reconciling with another parameter value names it as the cause.
    let other = std::collections::BTreeMap::from([("fast".to_string(), 7.0)]);
    let rec = reconcile(&store, run.id, Some(&other)).await.unwrap();
    let d = rec
        .seen
        .first_difference
        .expect("fast = 7 trades differently");
    assert!(
        d.cause.contains("a changed parameter: fast = 7"),
        "{}",
        d.cause
    );
}

#[tokio::test]
async fn bad_requests_name_the_field() {
    let env = Env::new(&example("sma_crossover")).await;
    let bars = minute_bars(1, 50);
    let mut req = env.replay(&bars, 60.0);
    req.schedule_cron = Some("* 25 * * *".into());
    let e = stratagraph_paper::start(&env.store, &req)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("schedule_cron"), "{e}");
    let mut req = env.replay(&bars, 0.0);
    req.schedule_cron = None;
    let e = stratagraph_paper::start(&env.store, &req)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("speed"), "{e}");
    let mut req = env.replay(&bars, 60.0);
    req.commission = Some(-0.1);
    let e = stratagraph_paper::start(&env.store, &req)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("commission"), "{e}");
    let mut req = env.replay(&bars, 60.0);
    req.parameters.insert("nope".into(), 1.0);
    let e = stratagraph_paper::start(&env.store, &req)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("nope"), "{e}");
    assert!(env.store.list_all_paper_runs().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_trading_window_trades_only_matching_bars() {
    let env = Env::new(&example("sma_crossover")).await;
    let bars = minute_bars(3, 180);
    let mut req = env.replay(&bars, 6_000.0);
    // 2024-01-01 00:00 onwards: trade only minutes 00-29 of each hour.
    req.schedule_cron = Some("0-29 * * * *".into());
    let run = env.start(&req).await;
    let mut d = RunDriver::open(&env.store, run.id, &config("t"))
        .await
        .unwrap();
    env.advance_ms(10_000);
    drain(&mut d).await;
    let seen = env.store.paper_bars(run.id, 0, None).await.unwrap();
    assert_eq!(seen.len(), 90);
    assert!(
        seen.iter().all(|b| (b.time / 60_000) % 60 < 30),
        "only minutes 0-29"
    );
    let rec = reconcile(&env.store, run.id, None).await.unwrap();
    assert!(rec.seen.identical);
    // Against the whole dataset, the first difference is the first bar the window left out.
    let f = rec.feed.expect("the window left bars out").first_difference;
    if let Some(d) = f {
        assert!(d.cause.contains("a gap"), "{}", d.cause);
    }
}
