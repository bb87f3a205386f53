//! Bulky run details travel only with `include_run_details`, and only to their owner.

use serde_json::json;
use stratagraph_store::remote::SyncOptions;
use stratagraph_store::{EquityPoint, RunDetails, StoreError};

use crate::common::{count, graph, Device, TestDb};

fn details(n: i64) -> RunDetails {
    RunDetails {
        result_hash: Some(format!("hash-{n}")),
        // Key order and number spelling must survive the trip exactly.
        trades: json!([
            {"side": "long", "entry": 101.25, "exit": 103.0, "qty": 1e-7, "z": 1, "a": 2},
            {"side": "short", "entry": 99.5, "exit": 98.75, "qty": 3, "pnl": -0.125}
        ]),
        equity: (0..50)
            .map(|i| EquityPoint {
                t: 1_700_000_000_000 + i * 86_400_000,
                v: 10_000.0 + (i * n) as f64 * 0.5,
            })
            .collect(),
        equity_points_full: 50,
    }
}

#[tokio::test]
async fn run_details_travel_with_the_flag_and_not_without_it() {
    let db = TestDb::migrated().await;
    let a = Device::new().await;
    let me = a.store.ensure_profile().await.unwrap().id;
    let s = a.store.create_strategy(me, "Detailed").await.unwrap();
    let v = a
        .store
        .save_version(s.id, &graph(5), None, Some(me))
        .await
        .unwrap();
    let mut runs = Vec::new();
    for n in 0..3 {
        let r = a
            .store
            .create_run(v.id, Some(me), &json!({"n": n}))
            .await
            .unwrap();
        a.store.start_run(r.id).await.unwrap();
        a.store
            .complete_run(r.id, &json!({"sharpe": n}), Some(&details(n)))
            .await
            .unwrap();
        runs.push(r.id);
    }
    let trades_text: String =
        sqlx::query_scalar("SELECT trades_json FROM backtest_run_details WHERE run_id = ?")
            .bind(runs[0].to_string())
            .fetch_one(&mut a.raw().await)
            .await
            .unwrap();

    // Without the flag: the runs go, their details stay home.
    let off = db.config();
    let report = a
        .syncer(&off, SyncOptions::default())
        .await
        .sync(None)
        .await
        .unwrap();
    assert_eq!(report.details_pushed, 0);
    let pool = db.owner_pool().await;
    assert_eq!(count(&pool, "backtest_runs").await, 3);
    assert_eq!(count(&pool, "backtest_run_details").await, 0);

    // With it: all three go, once.
    let mut on = db.config();
    on.include_run_details = true;
    let sa = a.syncer(&on, SyncOptions::default()).await;
    assert_eq!(sa.sync(None).await.unwrap().details_pushed, 3);
    assert_eq!(sa.sync(None).await.unwrap().details_pushed, 0, "idempotent");
    assert_eq!(count(&pool, "backtest_run_details").await, 3);

    // A second device without the flag gets the runs and no details ...
    let b = Device::new().await;
    let mut b_off = off.clone();
    b_off.account_id = Some(me);
    let report = b
        .syncer(&b_off, SyncOptions::default())
        .await
        .sync(None)
        .await
        .unwrap();
    assert_eq!(report.details_pulled, 0);
    assert_eq!(b.store.get_run(runs[0]).await.unwrap().id, runs[0]);
    assert!(matches!(
        b.store.run_details(runs[0]).await,
        Err(StoreError::NotFound { .. })
    ));
    // ... and all of them, exactly, once it turns the flag on.
    let mut b_on = on.clone();
    b_on.account_id = Some(me);
    let sb = b.syncer(&b_on, SyncOptions::default()).await;
    assert_eq!(sb.sync(None).await.unwrap().details_pulled, 3);
    assert_eq!(sb.sync(None).await.unwrap().details_pulled, 0);
    for (n, id) in runs.iter().enumerate() {
        assert_eq!(
            b.store.run_details(*id).await.unwrap(),
            a.store.run_details(*id).await.unwrap(),
            "run {n}"
        );
    }
    let pulled_text: String =
        sqlx::query_scalar("SELECT trades_json FROM backtest_run_details WHERE run_id = ?")
            .bind(runs[0].to_string())
            .fetch_one(&mut b.raw().await)
            .await
            .unwrap();
    assert_eq!(
        pulled_text, trades_text,
        "the trade list comes back byte for byte"
    );

    // Row-level security: another user sees none of them; deleting the run removes them.
    let (other, _) = db.provision(&["trader"]);
    let other_pool = db.role_pool(&other).await;
    assert_eq!(count(&other_pool, "backtest_run_details").await, 0);
    other_pool.close().await;
    a.store.delete_strategy(s.id).await.unwrap();
    sa.sync(None).await.unwrap();
    assert_eq!(count(&pool, "backtest_run_details").await, 0);
    pool.close().await;
}
