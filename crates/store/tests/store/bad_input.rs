//! Bad input: malformed graph JSON, huge graphs, unknown enum text and garbage in rows.

use serde_json::{json, Value};
use sqlx::Executor;
use stratagraph_store::{StoreError, StrategyFilter, MAX_GRAPH_BYTES};

use crate::common::{env, graph};

fn assert_invalid<T: std::fmt::Debug>(r: Result<T, StoreError>, want_field: &str) -> String {
    match r {
        Err(StoreError::Invalid { field, reason }) => {
            assert_eq!(field, want_field, "{reason}");
            reason
        }
        other => panic!("expected Invalid {{ field: {want_field} }}, got {other:?}"),
    }
}

#[tokio::test]
async fn malformed_and_oversized_graphs_are_rejected_clearly() {
    let env = env().await;
    let me = env.profile().await;
    let s = env.store.create_strategy(me.id, "Bad").await.unwrap();
    let reason = assert_invalid(
        env.store
            .save_version_text(s.id, "{\"nodes\": [", None, None)
            .await,
        "graph_json",
    );
    assert!(reason.contains("not valid JSON"), "{reason}");
    assert_invalid(
        env.store.save_version_text(s.id, "", None, None).await,
        "graph_json",
    );
    assert_invalid(
        env.store.save_version_text(s.id, "[1,2]", None, None).await,
        "graph_json",
    );
    assert_invalid(
        env.store
            .save_version(s.id, &json!("just a string"), None, None)
            .await,
        "graph_json",
    );
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert_invalid(
        env.store
            .save_version_text(s.id, &format!("{{\"a\": {deep}}}"), None, None)
            .await,
        "graph_json",
    );

    let big = json!({"schema": 1, "pad": "x".repeat(10 * 1024 * 1024)});
    let reason = assert_invalid(
        env.store.save_version(s.id, &big, None, None).await,
        "graph_json",
    );
    assert!(reason.contains(&MAX_GRAPH_BYTES.to_string()), "{reason}");
    let big_text = big.to_string();
    assert_invalid(
        env.store
            .save_version_text(s.id, &big_text, None, None)
            .await,
        "graph_json",
    );

    let ok = env
        .store
        .save_version_text(s.id, &graph(1).to_string(), None, None)
        .await
        .unwrap();
    assert_eq!(ok.version, 1, "nothing was half-saved before");
}

#[tokio::test]
async fn unknown_enum_text_and_garbage_in_rows_read_as_errors_not_panics() {
    let env = env().await;
    let me = env.profile().await;
    let s = env.store.create_strategy(me.id, "Future").await.unwrap();
    let v = env
        .store
        .save_version(s.id, &graph(1), None, None)
        .await
        .unwrap();
    let run = env.store.create_run(v.id, None, &json!({})).await.unwrap();
    let mut raw = env.raw().await;
    raw.execute("PRAGMA ignore_check_constraints = ON")
        .await
        .unwrap();
    raw.execute(
        sqlx::query("UPDATE strategies SET status = 'hibernating' WHERE id = ?")
            .bind(s.id.to_string()),
    )
    .await
    .unwrap();
    raw.execute(
        sqlx::query(
            "UPDATE backtest_runs SET status = 'teleported', parameters = 'nope' WHERE id = ?",
        )
        .bind(run.id.to_string()),
    )
    .await
    .unwrap();

    let e = env.store.get_strategy(s.id).await.unwrap_err();
    match &e {
        StoreError::Invalid { field, reason } => {
            assert_eq!(field, "status");
            assert!(
                reason.contains("hibernating") && reason.contains("StrategyStatus"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.code(), "invalid");
    assert!(env
        .store
        .list_strategies(&StrategyFilter::default())
        .await
        .is_err());
    assert!(matches!(
        env.store.get_run(run.id).await,
        Err(StoreError::Invalid { .. })
    ));

    raw.execute(
        sqlx::query(
            "UPDATE users SET roles = '[\"wizard\"]', created_at = 'yesterday' WHERE id = ?",
        )
        .bind(me.id.to_string()),
    )
    .await
    .unwrap();
    let e = env.store.get_user(me.id).await.unwrap_err();
    assert!(matches!(e, StoreError::Invalid { .. }), "{e:?}");

    let parsed: Result<stratagraph_store::RunStatus, _> = "teleported".parse();
    assert!(parsed.is_err());
    let _: Value = json!(null);
}
