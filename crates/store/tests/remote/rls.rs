//! Row-level security: user A, connected as A's role, cannot see or alter user B's private
//! rows by any direct SQL; shared templates are visible; a role-mapped device syncs.

use sqlx::PgPool;
use stratagraph_store::remote::SyncOptions;

use crate::common::{count, graph, port, psql, Device, TestDb};

async fn try_exec(pool: &PgPool, sql: &str) -> Result<u64, String> {
    sqlx::query(sql)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn a_cannot_see_or_alter_b_private_rows() {
    let db = TestDb::migrated().await;
    let (role_a, a) = db.provision(&["trader"]);
    let (_role_b, b) = db.provision(&["trader", "educator"]);
    let (role_c, _c) = db.provision(&["reviewer"]);
    let (s, v, r, n, u, ce) = (
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
    );
    let (s2, v2, tpl) = (
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
    );
    psql(&db.name, &format!(
        "INSERT INTO strategies (id, owner_id, title, slug, status, visibility) VALUES \
           ('{s}', '{b}', 'B private', 'b-private', 'draft', 'private'), \
           ('{s2}', '{b}', 'B shared', 'b-shared', 'active', 'public'); \
         INSERT INTO strategy_versions (id, strategy_id, version, graph_json) VALUES \
           ('{v}', '{s}', 1, '{{}}'), ('{v2}', '{s2}', 1, '{{}}'); \
         INSERT INTO backtest_runs (id, strategy_version_id, requested_by, parameters, status) \
           VALUES ('{r}', '{v}', '{b}', '{{}}', 'completed'); \
         INSERT INTO notifications (id, user_id, type, payload, channel) \
           VALUES ('{n}', '{b}', 'backtest_done', '{{}}', 'in_app'); \
         INSERT INTO plan_usage (id, user_id, metric, window_start, window_end, used, plan_limit) \
           VALUES ('{u}', '{b}', 'backtests_per_day', now(), now() + interval '1 day', 3, 20); \
         INSERT INTO template_shares (id, strategy_version_id, educator_id, audience_scope, metadata, approved_hash) \
           VALUES ('{tpl}', '{v2}', '{b}', 'public', '{{}}', 'approved'); \
         INSERT INTO compliance_events (id, entity_type, entity_id, event_type, payload, status, created_by) \
           VALUES ('{ce}', 'template_share', '{tpl}', 'publish', '{{}}', 'open', '{b}');"
    ));
    let pa = db.role_pool(&role_a).await;
    // Invisible: B's private strategy, its version and run, B's usage and notifications.
    for (table, id) in [
        ("strategies", s),
        ("strategy_versions", v),
        ("backtest_runs_visible", r),
        ("notifications", n),
        ("plan_usage", u),
        ("compliance_events", ce),
    ] {
        let seen: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table} WHERE id = $1"))
            .bind(id)
            .fetch_one(&pa)
            .await
            .unwrap();
        assert_eq!(seen, 0, "A sees B's {table}");
        assert_eq!(
            try_exec(
                &pa,
                &format!("UPDATE {table} SET id = id WHERE id = '{id}'")
            )
            .await,
            Ok(0),
            "A updates B's {table}"
        );
        assert_eq!(
            try_exec(&pa, &format!("DELETE FROM {table} WHERE id = '{id}'")).await,
            Ok(0),
            "A deletes B's {table}"
        );
    }
    // The runs table itself (and so its TimescaleDB chunks) is not granted to users at all.
    for sql in [
        "SELECT count(*) FROM backtest_runs".to_owned(),
        format!("DELETE FROM backtest_runs WHERE id = '{r}'"),
    ] {
        let err = try_exec(&pa, &sql)
            .await
            .expect_err("the runs table is not granted");
        assert!(err.contains("permission denied"), "{sql}: {err}");
    }
    assert_eq!(
        count(&pa, "users").await,
        2,
        "A sees itself and the public template's educator"
    );
    // Visible: the public template, its version and strategy (read only).
    assert_eq!(count(&pa, "template_shares").await, 1);
    assert_eq!(count(&pa, "strategy_versions").await, 1);
    assert_eq!(
        try_exec(
            &pa,
            &format!("DELETE FROM template_shares WHERE id = '{tpl}'")
        )
        .await,
        Ok(0)
    );
    assert_eq!(
        try_exec(
            &pa,
            &format!("UPDATE strategies SET title = 'x' WHERE id = '{s2}'")
        )
        .await,
        Ok(0)
    );
    // Writing rows that belong to B is refused.
    for sql in [
        format!("INSERT INTO strategies (id, owner_id, title, slug, status, visibility) VALUES ('{}', '{b}', 'x', 'x', 'draft', 'private')", uuid::Uuid::now_v7()),
        format!("INSERT INTO strategy_versions (id, strategy_id, version, graph_json) VALUES ('{}', '{s}', 2, '{{}}')", uuid::Uuid::now_v7()),
        format!("INSERT INTO notifications (id, user_id, type, payload, channel) VALUES ('{}', '{b}', 'paper_alert', '{{}}', 'in_app')", uuid::Uuid::now_v7()),
        format!("INSERT INTO plan_usage (id, user_id, metric, window_start, window_end, used, plan_limit) VALUES ('{}', '{a}', 'x_per_day', now(), now(), 0, 1000)", uuid::Uuid::now_v7()),
        format!("UPDATE users SET roles = ARRAY['admin'] WHERE id = '{a}'"),
        format!("UPDATE users SET plan_tier = 'pro' WHERE id = '{a}'"),
        "DELETE FROM sync_tombstones".to_owned(),
        format!("INSERT INTO sg_role_users (role_name, user_id) VALUES (current_user, '{b}')"),
    ] {
        assert!(try_exec(&pa, &sql).await.is_err(), "A may not: {sql}");
    }
    // A may edit its own display name.
    assert_eq!(
        try_exec(
            &pa,
            &format!("UPDATE users SET display_name = 'Ann' WHERE id = '{a}'")
        )
        .await,
        Ok(1)
    );
    // Reviewers read compliance events, and only those.
    let pc = db.role_pool(&role_c).await;
    assert_eq!(count(&pc, "compliance_events").await, 1);
    assert_eq!(count(&pc, "notifications").await, 0);

    // A device logged in as A syncs A's work, and only A's.
    let dev = Device::new().await;
    dev.store.ensure_profile().await.unwrap();
    let mut cfg =
        stratagraph_store::remote::RemoteConfig::new("127.0.0.1", port(), &db.name, &role_a);
    cfg.tls = stratagraph_store::remote::TlsMode::Disable;
    let secrets = stratagraph_store::remote::MemorySecretStore::new();
    use stratagraph_store::remote::SecretStore as _;
    secrets
        .set(&cfg.secret_key(), &format!("pw-{role_a}"))
        .unwrap();
    let syncer = stratagraph_store::remote::Syncer::connect(
        &dev.store,
        &cfg,
        &secrets,
        SyncOptions::default(),
    )
    .await
    .unwrap();
    syncer.sync(None).await.unwrap();
    let profile = dev.store.ensure_profile().await.unwrap();
    assert_eq!(profile.id, a, "the device adopted A's account");
    let st = dev.store.create_strategy(a, "Mine").await.unwrap();
    dev.store
        .save_version(st.id, &graph(1), None, Some(a))
        .await
        .unwrap();
    syncer.sync(None).await.unwrap();
    assert_eq!(
        count(&pa, "strategies").await,
        2,
        "A's own and B's shared one"
    );
    let snap = dev.snapshot().await;
    assert!(snap["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["id"] != serde_json::json!(s.to_string())));
    assert_eq!(snap["notifications"].as_array().unwrap().len(), 0);
    assert_eq!(snap["plan_usage"].as_array().unwrap().len(), 0);
    pa.close().await;
    pc.close().await;
}
