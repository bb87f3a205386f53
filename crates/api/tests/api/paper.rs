//! Paper trading through the app's commands: start a replay of the sample data from the
//! example strategy, the background driver trades it, fills reach the inbox, the unread
//! count falls as entries are marked read, and pause, resume and stop move the run.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use stratagraph_api::paper::{self, PaperAlerts, PaperStartInput};
use stratagraph_api::{app, strategies, ErrorCode};

use crate::fresh;

fn input(version_id: String, dataset_id: Option<String>) -> PaperStartInput {
    PaperStartInput {
        version_id,
        name: None,
        parameters: BTreeMap::new(),
        feed: "replay".into(),
        dataset_id,
        speed: Some(86_400.0),
        symbol: None,
        interval: None,
        initial_cash: None,
        commission: None,
        slippage_bps: None,
        schedule_cron: None,
        catch_up: "trade".into(),
        alerts: PaperAlerts {
            entry: true,
            exit: true,
            stop: true,
            error: true,
            stopped: true,
            drawdown_pct: None,
        },
    }
}

#[tokio::test]
async fn a_replay_run_trades_in_the_background_and_fills_the_inbox() {
    let (dir, ctx, clock) = fresh().await;
    let info = app::app_info(&ctx);
    let strategy = info.example_strategy_id.clone().unwrap();
    let version = strategies::versions_list(&ctx, &strategy).await.unwrap()[0]
        .id
        .clone();
    let dataset = info.sample_dataset_id.clone();

    let mut bad = input(version.clone(), dataset.clone());
    bad.catch_up = "later".into();
    let e = paper::start_run(&ctx, bad).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Invalid);
    assert!(e.message.contains("catchUp"), "{}", e.message);
    let e = paper::start_run(&ctx, input(version.clone(), None))
        .await
        .unwrap_err();
    assert!(e.message.contains("datasetId"), "{}", e.message);

    let run = paper::start_run(&ctx, input(version, dataset))
        .await
        .unwrap();
    assert_eq!(run.status, "running");
    assert!(run.driven_here, "a run started here is driven here");
    let changes = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&changes);
    paper::autostart(Arc::clone(&ctx), move |_| {
        seen.fetch_add(1, Ordering::Relaxed);
    })
    .await;
    // 200 simulated days pass.
    clock.advance(chrono::Duration::seconds(200));
    let mut detail = paper::get(&ctx, &run.id).await.unwrap();
    for _ in 0..200 {
        if detail.run.bars_processed >= 199 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        detail = paper::get(&ctx, &run.id).await.unwrap();
    }
    assert!(
        detail.run.bars_processed >= 199,
        "{}",
        detail.run.bars_processed
    );
    assert!(!detail.fills.is_empty());
    assert_eq!(detail.equity.len() as i64, detail.run.bars_processed);
    assert!(changes.load(Ordering::Relaxed) > 0);

    let inbox = paper::inbox(&ctx, None).await.unwrap();
    assert!(inbox.unread > 0);
    let fill = inbox.items.iter().find(|i| i.kind == "paper_fill").unwrap();
    assert!(fill.message.contains("at"), "{}", fill.message);
    let after = paper::mark_read(&ctx, Some(&fill.id)).await.unwrap();
    assert_eq!(after.unread, inbox.unread - 1);
    assert_eq!(paper::mark_read(&ctx, None).await.unwrap().unread, 0);

    let rec = paper::reconcile_run(&ctx, &run.id).await.unwrap();
    assert_eq!(rec["seen"]["identical"], true, "{rec}");

    let paused = paper::set_status(&ctx, &run.id, "paused", None)
        .await
        .unwrap();
    assert_eq!(paused.status, "paused");
    paper::set_status(&ctx, &run.id, "running", None)
        .await
        .unwrap();
    // A run another device drove last (as a pull brings it) is shown as driven there.
    let mut db = <sqlx::SqliteConnection as sqlx::Connection>::connect_with(
        &sqlx::sqlite::SqliteConnectOptions::new().filename(dir.path().join("stratagraph.db")),
    )
    .await
    .unwrap();
    sqlx::query("UPDATE paper_trade_runs SET driver_device = ?1 WHERE id = ?2")
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(&run.id)
        .execute(&mut db)
        .await
        .unwrap();
    drop(db);
    assert!(!paper::get(&ctx, &run.id).await.unwrap().run.driven_here);
    assert!(paper::list(&ctx)
        .await
        .unwrap()
        .iter()
        .all(|r| !r.driven_here));
    let stopped = paper::set_status(&ctx, &run.id, "stopped", None)
        .await
        .unwrap();
    assert_eq!(stopped.status, "stopped");
    let e = paper::set_status(&ctx, &run.id, "running", None)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    paper::shutdown(&ctx).await;
}
