//! The sync hook: outbox capture by triggers, suppression while applying, cursors.

use serde_json::json;
use sqlx::Executor;
use stratagraph_store::OutboxOp;

use crate::common::{env, graph};

#[tokio::test]
async fn outbox_captures_changes_and_cascades_but_not_remote_applies() {
    let env = env().await;
    let me = env.profile().await;
    let pending = env.store.pending_changes(100).await.unwrap();
    let tables: Vec<&str> = pending.iter().map(|e| e.table_name.as_str()).collect();
    assert_eq!(tables, vec!["users", "subscription_plans"]);
    assert_eq!(env.store.ack_changes(pending[1].seq).await.unwrap(), 2);

    let s = env.store.create_strategy(me.id, "Synced").await.unwrap();
    let v = env
        .store
        .save_version(s.id, &graph(1), None, None)
        .await
        .unwrap();
    let run = env.store.create_run(v.id, None, &json!({})).await.unwrap();
    env.store.delete_strategy(s.id).await.unwrap();
    let ops: Vec<(String, OutboxOp)> = env
        .store
        .pending_changes(100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.table_name, e.op))
        .collect();
    for expected in [
        ("strategies".to_owned(), OutboxOp::Insert),
        ("strategy_versions".to_owned(), OutboxOp::Insert),
        ("strategies".to_owned(), OutboxOp::Update),
        ("backtest_runs".to_owned(), OutboxOp::Insert),
        ("backtest_runs".to_owned(), OutboxOp::Delete),
        ("strategy_versions".to_owned(), OutboxOp::Delete),
        ("strategies".to_owned(), OutboxOp::Delete),
    ] {
        assert!(ops.contains(&expected), "{expected:?} missing from {ops:?}");
    }
    let last = env
        .store
        .pending_changes(100)
        .await
        .unwrap()
        .last()
        .unwrap()
        .seq;
    env.store.ack_changes(last).await.unwrap();
    let _ = run;

    let mut apply = env.store.begin_remote_apply().await.unwrap();
    apply
        .conn()
        .execute(sqlx::query("INSERT INTO users (id, email, display_name, roles, plan_tier, created_at) VALUES ('0190aaaa-0000-7000-8000-000000000001', 'r@example.com', 'R', '[\"trader\"]', 'free', '2025-01-01T00:00:00.000000Z')"))
        .await
        .unwrap();
    apply
        .set_cursor("users", "2025-01-01T00:00:00.000000Z")
        .await
        .unwrap();
    apply.commit().await.unwrap();
    assert!(
        env.store.pending_changes(100).await.unwrap().is_empty(),
        "pulled rows are not echoed"
    );
    assert_eq!(
        env.store.sync_cursor("users").await.unwrap().as_deref(),
        Some("2025-01-01T00:00:00.000000Z")
    );
    env.store.touch_user(me.id).await.unwrap();
    assert_eq!(
        env.store.pending_changes(100).await.unwrap().len(),
        1,
        "capture is back on"
    );
}
