//! Backtest runs: life cycle, interruption, details, listing, deletion.

use chrono::Duration;
use serde_json::json;
use stratagraph_store::{
    EquityPoint, RunDetails, RunFilter, RunStatus, StoreError, MAX_EQUITY_POINTS,
};
use uuid::Uuid;

use crate::common::{env, graph};

#[tokio::test]
async fn runs_move_through_their_states() {
    let env = env().await;
    let me = env.profile().await;
    let s = env.store.create_strategy(me.id, "Runs").await.unwrap();
    let v = env
        .store
        .save_version(s.id, &graph(1), None, None)
        .await
        .unwrap();
    let params = json!({"fast": 10, "data": {"dataset": "btc-1h", "hash": "abc"}});
    let run = env
        .store
        .create_run(v.id, Some(me.id), &params)
        .await
        .unwrap();
    assert_eq!(run.status, RunStatus::Queued);
    assert_eq!(run.parameters, params);
    env.clock.advance(Duration::seconds(1));
    let running = env.store.start_run(run.id).await.unwrap();
    assert_eq!(running.status, RunStatus::Running);
    assert!(running.started_at.is_some());
    let e = env.store.start_run(run.id).await;
    assert!(matches!(e, Err(StoreError::Conflict { .. })), "{e:?}");

    let equity: Vec<EquityPoint> = (0..10_000)
        .map(|i| EquityPoint {
            t: i * 60_000,
            v: 10_000.0 + (i as f64).sin(),
        })
        .collect();
    let details = RunDetails {
        result_hash: Some("blake3:00ff".into()),
        trades: json!([{"entry": 1, "exit": 2, "pnl": 3.5}]),
        equity: equity.clone(),
        equity_points_full: 10_000,
    };
    let done = env
        .store
        .complete_run(run.id, &json!({"sharpe": 1.5}), Some(&details))
        .await
        .unwrap();
    assert_eq!(done.status, RunStatus::Completed);
    assert_eq!(done.metrics, Some(json!({"sharpe": 1.5})));
    let back = env.store.run_details(run.id).await.unwrap();
    assert_eq!(back.trades, details.trades);
    assert_eq!(back.result_hash, details.result_hash);
    assert_eq!(back.equity_points_full, 10_000);
    assert!(back.equity.len() <= MAX_EQUITY_POINTS);
    assert_eq!(back.equity.first(), equity.first());
    assert_eq!(back.equity.last(), equity.last());

    for e in [
        env.store.cancel_run(run.id).await,
        env.store.fail_run(run.id, "x", None).await,
    ] {
        assert!(matches!(e, Err(StoreError::Conflict { .. })), "{e:?}");
    }
    let e = env.store.complete_run(run.id, &json!({}), None).await;
    assert!(matches!(e, Err(StoreError::Conflict { .. })), "{e:?}");

    let r2 = env.store.create_run(v.id, None, &json!({})).await.unwrap();
    let failed = env
        .store
        .fail_run(r2.id, "no data", Some(&json!({"bars": 0})))
        .await
        .unwrap();
    assert_eq!(failed.status, RunStatus::Failed);
    assert_eq!(failed.metrics, Some(json!({"bars": 0, "error": "no data"})));
    let r3 = env.store.create_run(v.id, None, &json!({})).await.unwrap();
    assert_eq!(
        env.store.cancel_run(r3.id).await.unwrap().status,
        RunStatus::Cancelled
    );

    let missing = Uuid::now_v7();
    assert!(matches!(
        env.store.start_run(missing).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        env.store.get_run(missing).await,
        Err(StoreError::NotFound { .. })
    ));
    let e = env.store.create_run(missing, None, &json!({})).await;
    assert!(matches!(e, Err(StoreError::NotFound { .. })), "{e:?}");
    let e = env.store.create_run(v.id, None, &json!([1])).await;
    assert!(matches!(e, Err(StoreError::Invalid { .. })), "{e:?}");
    assert!(matches!(
        env.store.run_details(r2.id).await,
        Err(StoreError::NotFound { .. })
    ));
}

#[tokio::test]
async fn running_runs_are_interrupted_when_the_app_starts() {
    let env = env().await;
    let me = env.profile().await;
    let s = env.store.create_strategy(me.id, "Crashy").await.unwrap();
    let v = env
        .store
        .save_version(s.id, &graph(1), None, None)
        .await
        .unwrap();
    let running = env.store.create_run(v.id, None, &json!({})).await.unwrap();
    env.store.start_run(running.id).await.unwrap();
    let queued = env.store.create_run(v.id, None, &json!({})).await.unwrap();
    env.store.close().await;
    let store = env.reopen().await;
    let r = store.get_run(running.id).await.unwrap();
    assert_eq!(r.status, RunStatus::Interrupted);
    assert!(r.completed_at.is_some());
    assert_eq!(
        store.get_run(queued.id).await.unwrap().status,
        RunStatus::Queued
    );
}

#[tokio::test]
async fn runs_list_by_strategy_and_version_and_delete() {
    let env = env().await;
    let me = env.profile().await;
    let a = env.store.create_strategy(me.id, "A").await.unwrap();
    let b = env.store.create_strategy(me.id, "B").await.unwrap();
    let a1 = env
        .store
        .save_version(a.id, &graph(1), None, None)
        .await
        .unwrap();
    let a2 = env
        .store
        .save_version(a.id, &graph(2), None, None)
        .await
        .unwrap();
    let b1 = env
        .store
        .save_version(b.id, &graph(3), None, None)
        .await
        .unwrap();
    let mut ids = Vec::new();
    for v in [&a1, &a2, &a2, &b1] {
        env.clock.advance(Duration::seconds(1));
        ids.push(
            env.store
                .create_run(v.id, None, &json!({}))
                .await
                .unwrap()
                .id,
        );
    }
    let all = env.store.list_runs(&RunFilter::default()).await.unwrap();
    assert_eq!(
        all.iter().map(|r| r.id).collect::<Vec<_>>(),
        ids.iter().rev().copied().collect::<Vec<_>>()
    );
    let of_a = env
        .store
        .list_runs(&RunFilter {
            strategy_id: Some(a.id),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(of_a.len(), 3);
    let of_a2 = env
        .store
        .list_runs(&RunFilter {
            strategy_version_id: Some(a2.id),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(of_a2.len(), 2);
    let queued = env
        .store
        .list_runs(&RunFilter {
            status: Some(RunStatus::Queued),
            limit: Some(1),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(queued.len(), 1);
    env.store.delete_run(ids[0]).await.unwrap();
    assert!(matches!(
        env.store.delete_run(ids[0]).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        env.store
            .list_runs(&RunFilter::default())
            .await
            .unwrap()
            .len(),
        3
    );
}
