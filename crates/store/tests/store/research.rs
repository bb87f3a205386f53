//! Sweeps and the trial ledger: stored whole or not at all, paged and sorted by a metric,
//! trials summed per strategy and kept when runs and sweeps are deleted.

use serde_json::{json, Value};
use stratagraph_store::{NewSweep, StoreError, SweepRow, SweepStatus, TrialCounts};
use uuid::Uuid;

use crate::common::{env, graph};

fn rows(n: u64) -> Vec<SweepRow> {
    (0..n)
        .map(|i| SweepRow {
            index: i,
            params: json!({"fast": i, "slow": 100}),
            // Every seventh row has no Sharpe ratio.
            metrics: if i % 7 == 3 {
                json!({"sharpe": null, "trades": i})
            } else {
                json!({"sharpe": ((i * 37) % 101) as f64 / 10.0, "trades": i})
            },
        })
        .collect()
}

fn sweep(version: Uuid, n: u64) -> NewSweep {
    NewSweep {
        strategy_version_id: version,
        requested_by: None,
        dataset_id: "d1".into(),
        data_hash: "abc".into(),
        spec: json!({"axes": [{"name": "fast", "values": [1, 2]}], "metric": "sharpe"}),
        status: SweepStatus::Completed,
        total: n,
        summary: json!({"pbo": {"pbo": 0.25}}),
        rows: rows(n),
        trials: TrialCounts {
            trials: n,
            sharpe_count: 2,
            sharpe_sum: 0.3,
            sharpe_sum_sq: 0.05,
        },
    }
}

#[tokio::test]
async fn a_sweep_is_stored_whole_and_reopened_sorted() {
    let env = env().await;
    let me = env.profile().await;
    let s = env.store.create_strategy(me.id, "Sweeps").await.unwrap();
    let v = env
        .store
        .save_version(s.id, &graph(1), None, None)
        .await
        .unwrap();
    let saved = env.store.save_sweep(&sweep(v.id, 1200)).await.unwrap();
    assert_eq!((saved.rows, saved.total), (1200, 1200));
    assert_eq!(saved.data_hash, "abc");
    assert_eq!(saved.summary, json!({"pbo": {"pbo": 0.25}}));

    // Reopened from the file, as after a restart.
    let store = env.reopen().await;
    let back = store.get_sweep(saved.id).await.unwrap();
    assert_eq!(back, saved);
    let all = store.sweep_rows(saved.id).await.unwrap();
    assert_eq!(all, rows(1200));

    let page = store
        .sweep_rows_page(saved.id, Some("sharpe"), true, 0, 50)
        .await
        .unwrap();
    let sharpe = |r: &SweepRow| r.metrics.get("sharpe").and_then(Value::as_f64);
    assert_eq!(page.len(), 50);
    assert!(page.windows(2).all(|w| sharpe(&w[0]) >= sharpe(&w[1])));
    assert_eq!(sharpe(&page[0]), Some(10.0));
    // Rows without the metric come last, in sweep order.
    let tail = store
        .sweep_rows_page(saved.id, Some("sharpe"), true, 1200 - 5, 50)
        .await
        .unwrap();
    assert!(tail.iter().all(|r| sharpe(r).is_none()));
    assert!(tail.windows(2).all(|w| w[0].index < w[1].index));

    let listed = store.list_sweeps(Some(s.id), 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(store
        .list_sweeps(Some(Uuid::now_v7()), 10)
        .await
        .unwrap()
        .is_empty());
    let e = store
        .sweep_rows_page(saved.id, Some("sharpe; drop"), true, 0, 5)
        .await;
    assert!(matches!(e, Err(StoreError::Invalid { .. })), "{e:?}");
    let e = store
        .sweep_rows_page(Uuid::now_v7(), None, false, 0, 5)
        .await;
    assert!(matches!(e, Err(StoreError::NotFound { .. })), "{e:?}");
}

#[tokio::test]
async fn bad_rows_write_nothing() {
    let env = env().await;
    let me = env.profile().await;
    let s = env.store.create_strategy(me.id, "Bad").await.unwrap();
    let v = env
        .store
        .save_version(s.id, &graph(1), None, None)
        .await
        .unwrap();
    let mut bad = sweep(v.id, 10);
    bad.rows[9].metrics = json!([1, 2]);
    let e = env.store.save_sweep(&bad).await;
    assert!(matches!(e, Err(StoreError::Invalid { .. })), "{e:?}");
    let e = env.store.save_sweep(&sweep(Uuid::now_v7(), 3)).await;
    assert!(matches!(e, Err(StoreError::NotFound { .. })), "{e:?}");
    let mut no_trials = sweep(v.id, 3);
    no_trials.trials.trials = 0;
    assert!(env.store.save_sweep(&no_trials).await.is_err());
    assert!(env.store.list_sweeps(None, 10).await.unwrap().is_empty());
    assert_eq!(env.store.strategy_trials(s.id).await.unwrap().trials, 0);
}

#[tokio::test]
async fn trials_add_up_per_strategy_and_outlive_what_made_them() {
    let env = env().await;
    let me = env.profile().await;
    let s = env.store.create_strategy(me.id, "Ledger").await.unwrap();
    let other = env.store.create_strategy(me.id, "Other").await.unwrap();
    let v = env
        .store
        .save_version(s.id, &graph(1), None, None)
        .await
        .unwrap();
    let ov = env
        .store
        .save_version(other.id, &graph(2), None, None)
        .await
        .unwrap();
    let run = env
        .store
        .create_run(v.id, Some(me.id), &json!({}))
        .await
        .unwrap();
    let one = TrialCounts {
        trials: 1,
        sharpe_count: 1,
        sharpe_sum: 0.1,
        sharpe_sum_sq: 0.01,
    };
    env.store.record_run_trial(run.id, &one).await.unwrap();
    // Recording the same run twice counts it once.
    env.store.record_run_trial(run.id, &one).await.unwrap();
    let sw = env.store.save_sweep(&sweep(v.id, 100)).await.unwrap();
    env.store.save_sweep(&sweep(ov.id, 7)).await.unwrap();
    let t = env.store.strategy_trials(s.id).await.unwrap();
    assert_eq!((t.trials, t.sharpe_count), (101, 3));
    assert!((t.sharpe_sum - 0.4).abs() < 1e-12 && (t.sharpe_sum_sq - 0.06).abs() < 1e-12);

    env.store.delete_run(run.id).await.unwrap();
    env.store.delete_sweep(sw.id).await.unwrap();
    assert_eq!(env.store.strategy_trials(s.id).await.unwrap().trials, 101);
    assert!(matches!(
        env.store.delete_sweep(sw.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        env.store.record_run_trial(Uuid::now_v7(), &one).await,
        Err(StoreError::NotFound { .. })
    ));
    env.store.delete_strategy(s.id).await.unwrap();
    assert_eq!(env.store.strategy_trials(s.id).await.unwrap().trials, 0);
    assert_eq!(env.store.strategy_trials(other.id).await.unwrap().trials, 7);
}
