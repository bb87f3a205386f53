//! Push and pull between devices through the server: idempotence, deletes, version clashes.

use serde_json::json;
use stratagraph_store::remote::SyncOptions;
use stratagraph_store::NotificationType;

use crate::common::{count, graph, Device, TestDb};

#[tokio::test]
async fn push_is_idempotent_and_pull_brings_everything_to_a_second_device() {
    let db = TestDb::migrated().await;
    let a = Device::new().await;
    let me = a.store.ensure_profile().await.unwrap();
    let s = a.store.create_strategy(me.id, "Trend").await.unwrap();
    let v = a
        .store
        .save_version(s.id, &graph(3), Some("first"), Some(me.id))
        .await
        .unwrap();
    a.store
        .create_run(v.id, Some(me.id), &json!({"fast": 3}))
        .await
        .unwrap();
    let sa = a.syncer(&db.config(), SyncOptions::default()).await;
    let report = sa.sync(None).await.unwrap();
    assert!(report.pushed >= 5, "{report:?}");
    let pool = db.owner_pool().await;
    assert_eq!(count(&pool, "strategy_versions").await, 1);
    let txids = crate::common::psql(
        &db.name,
        "SELECT string_agg(sync_txid::text, ',' ORDER BY id) FROM strategies",
    );

    // A retried batch changes nothing: re-queue everything and push again.
    let mut raw = a.raw().await;
    sqlx::query("INSERT INTO sync_outbox (table_name, row_id, op) SELECT 'strategies', id, 'update' FROM strategies")
        .execute(&mut raw)
        .await
        .unwrap();
    sa.push(None).await.unwrap();
    assert_eq!(
        crate::common::psql(
            &db.name,
            "SELECT string_agg(sync_txid::text, ',' ORDER BY id) FROM strategies"
        ),
        txids,
        "an identical retry writes nothing"
    );

    let mut cfg = db.config();
    cfg.account_id = Some(me.id);
    let b = Device::new().await;
    b.store.ensure_profile().await.unwrap();
    let sb = b.syncer(&cfg, SyncOptions::default()).await;
    sb.sync(None).await.unwrap();
    sa.sync(None).await.unwrap();
    assert_eq!(a.snapshot().await, b.snapshot().await);

    // Deletes travel as tombstones.
    b.store.delete_strategy(s.id).await.unwrap();
    let rb = sb.sync(None).await.unwrap();
    assert_eq!(count(&pool, "strategies").await, 0, "{rb:?}");
    let ra = sa.sync(None).await.unwrap();
    assert!(a.store.get_strategy(s.id).await.is_err(), "{ra:?}");
    assert_eq!(count(&pool, "backtest_runs").await, 0);
    assert_eq!(a.snapshot().await, b.snapshot().await);
    pool.close().await;
}

#[tokio::test]
async fn clashing_version_numbers_keep_both_and_notify() {
    let db = TestDb::migrated().await;
    let a = Device::new().await;
    let me = a.store.ensure_profile().await.unwrap();
    let s = a.store.create_strategy(me.id, "Clash").await.unwrap();
    let sa = a.syncer(&db.config(), SyncOptions::default()).await;
    sa.sync(None).await.unwrap();
    let mut cfg = db.config();
    cfg.account_id = Some(me.id);
    let b = Device::new().await;
    let sb = b.syncer(&cfg, SyncOptions::default()).await;
    sb.sync(None).await.unwrap();

    // Offline, both save version 1 of the same strategy.
    let va = a
        .store
        .save_version(s.id, &graph(1), Some("from A"), None)
        .await
        .unwrap();
    let vb = b
        .store
        .save_version(s.id, &graph(2), Some("from B"), None)
        .await
        .unwrap();
    assert_eq!((va.version, vb.version), (1, 1));
    sa.sync(None).await.unwrap();
    let report = sb.sync(None).await.unwrap();
    assert_eq!(report.renumbered.len(), 1, "{report:?}");
    sa.sync(None).await.unwrap();
    sb.sync(None).await.unwrap();
    let versions = a.store.list_versions(s.id).await.unwrap();
    let numbers: Vec<(i32, Option<String>)> = versions
        .iter()
        .map(|v| (v.version, v.notes.clone()))
        .collect();
    assert_eq!(numbers.len(), 2, "{numbers:?}");
    assert!(numbers.contains(&(1, Some("from A".into()))));
    assert!(numbers.contains(&(2, Some("from B".into()))));
    let notes = b.store.list_notifications(me.id, None).await.unwrap();
    let conflict = notes
        .iter()
        .find(|n| n.kind == NotificationType::SyncConflict)
        .unwrap_or_else(|| panic!("a sync conflict in the inbox: {notes:?}"));
    assert_eq!(
        conflict.payload["message"],
        "Version 1 you saved is now version 2: another device saved version 1 of this \
         strategy first"
    );
    assert_eq!(a.snapshot().await, b.snapshot().await);

    // The other way round: B pulls A's version 3 while holding an unpushed version 3.
    let va3 = a
        .store
        .save_version(s.id, &graph(3), Some("A3"), None)
        .await
        .unwrap();
    let vb3 = b
        .store
        .save_version(s.id, &graph(4), Some("B3"), None)
        .await
        .unwrap();
    assert_eq!((va3.version, vb3.version), (3, 3));
    sa.sync(None).await.unwrap();
    sb.pull(None).await.unwrap();
    assert_eq!(b.store.get_version(vb3.id).await.unwrap().version, 4);
    sb.sync(None).await.unwrap();
    sa.sync(None).await.unwrap();
    assert_eq!(a.snapshot().await, b.snapshot().await);
}
