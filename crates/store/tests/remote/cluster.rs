//! Cluster sweeps on the server (migrations/remote/0008): shards write their rows under the
//! user's own role, one transaction per batch; a shard written twice changes nothing; rows
//! that differ, another sweep under the same id, another user's sweep and an exceeded quota
//! are refused without a trace; progress counts finished shards and rows; another user sees
//! nothing.

use serde_json::json;
use stratagraph_store::remote::{
    cluster_sweep_rows, connect_url, get_cluster_sweep, list_cluster_sweeps, write_shard,
    ClusterRow, ShardKey,
};
use uuid::Uuid;

use crate::common::{port, psql, TestDb, HOST};

fn key(sweep: Uuid, shard: u32, combinations: u64) -> ShardKey {
    ShardKey {
        sweep_id: sweep,
        sweep_hash: "a".repeat(64),
        data_hash: "b".repeat(64),
        shards: 3,
        total: 2500,
        sort: "sharpe".into(),
        spec: json!({"grid": ["fast=1:2500:1"]}),
        shard,
        combinations,
    }
}

/// Rows `from..to` with metrics that round-trip exactly (awkward floats included).
fn rows(from: u64, to: u64) -> Vec<ClusterRow> {
    (from..to)
        .map(|i| ClusterRow {
            index: i,
            params: json!({"fast": i as f64}),
            metrics: json!({
                "sharpe": 0.1 + i as f64 * 1e-7,
                "total_return_pct": -1.0 / 3.0,
                "tiny": 5e-324,
                "trades": i,
                "win_rate_pct": null,
            }),
            blocks: json!([[21.0, 0.012_345_678_901_234_5, 1.5e-5]]),
        })
        .collect()
}

fn url(db: &TestDb, role: &str) -> String {
    format!("postgres://{role}:pw-{role}@{HOST}:{}/{}", port(), db.name)
}

#[tokio::test]
async fn shards_write_idempotently_under_the_users_role_and_the_rows_come_back_exactly() {
    let db = TestDb::migrated().await;
    let (alice_role, alice) = db.provision(&["trader"]);
    let (bob_role, _) = db.provision(&["trader"]);
    let pa = connect_url(&url(&db, &alice_role)).await.unwrap();
    let sweep = Uuid::now_v7();
    // Shard 0: 1,200 rows, two transactions.
    let r0 = rows(0, 1200);
    let w = write_shard(&pa, &key(sweep, 0, 1200), &r0, &|_| {})
        .await
        .unwrap();
    assert_eq!((w.inserted, w.stored, w.batches), (1200, 1200, 2));
    // Written again (a retried array task): nothing new.
    let w = write_shard(&pa, &key(sweep, 0, 1200), &r0, &|_| {})
        .await
        .unwrap();
    assert_eq!((w.inserted, w.stored), (0, 1200));
    // Shard 1 half way: progress shows one shard done.
    let r1 = rows(1200, 2400);
    write_shard(&pa, &key(sweep, 1, 1200), &r1[..600], &|_| {})
        .await
        .unwrap();
    let s = get_cluster_sweep(&pa, sweep).await.unwrap();
    assert_eq!((s.shards_done, s.rows_in, s.complete()), (1, 1800, false));
    // A changed row is refused and the batch leaves nothing behind.
    let mut forged = r1.clone();
    forged[0].metrics["sharpe"] = json!(9.0);
    forged[700].params["fast"] = json!(-1.0);
    let e = write_shard(&pa, &key(sweep, 1, 1200), &forged, &|_| {})
        .await
        .unwrap_err();
    assert!(e.to_string().contains("differ from the rows stored"), "{e}");
    assert_eq!(get_cluster_sweep(&pa, sweep).await.unwrap().rows_in, 1800);
    // Another sweep under the same id is refused.
    let mut other = key(sweep, 2, 100);
    other.sweep_hash = "c".repeat(64);
    let e = write_shard(&pa, &other, &rows(2400, 2500), &|_| {})
        .await
        .unwrap_err();
    assert!(e.to_string().contains("is another sweep"), "{e}");
    // Rows outside the sweep are refused.
    let e = write_shard(&pa, &key(sweep, 2, 100), &rows(2450, 2550), &|_| {})
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no index in 0..2499"), "{e}");
    // The rest; complete.
    write_shard(&pa, &key(sweep, 1, 1200), &r1, &|_| {})
        .await
        .unwrap();
    write_shard(&pa, &key(sweep, 2, 100), &rows(2400, 2500), &|_| {})
        .await
        .unwrap();
    let list = list_cluster_sweeps(&pa).await.unwrap();
    assert_eq!(list.len(), 1);
    assert!(list[0].complete(), "{:?}", list[0]);
    assert_eq!(list[0].spec, json!({"grid": ["fast=1:2500:1"]}));
    let back = cluster_sweep_rows(&pa, sweep).await.unwrap();
    let mut all = r0.clone();
    all.extend(r1);
    all.extend(rows(2400, 2500));
    assert_eq!(back, all, "every float comes back bit for bit");

    // Bob sees none of it and cannot write into alice's sweep.
    let pb = connect_url(&url(&db, &bob_role)).await.unwrap();
    assert!(list_cluster_sweeps(&pb).await.unwrap().is_empty());
    assert!(cluster_sweep_rows(&pb, sweep).await.unwrap().is_empty());
    let e = write_shard(&pb, &key(sweep, 2, 100), &rows(2400, 2500), &|_| {})
        .await
        .unwrap_err();
    assert_eq!(e.code(), "permission", "{e:?}");
    let n: i64 = sqlx::query_scalar("DELETE FROM cluster_sweeps RETURNING 1")
        .fetch_all(&pb)
        .await
        .map(|v: Vec<i32>| v.len() as i64)
        .unwrap();
    assert_eq!(n, 0);
    assert_eq!(
        psql(
            &db.name,
            &format!("SELECT count(*) FROM cluster_sweep_rows r JOIN cluster_sweeps s ON s.id = r.sweep_id WHERE s.owner_id = '{alice}'")
        ),
        "2500"
    );
    pb.close().await;
    // Alice deletes her sweep; its rows go with it.
    sqlx::query("DELETE FROM cluster_sweeps WHERE id = $1")
        .bind(sweep)
        .execute(&pa)
        .await
        .unwrap();
    assert_eq!(
        psql(&db.name, "SELECT count(*) FROM cluster_sweep_rows"),
        "0"
    );
    pa.close().await;
}

#[tokio::test]
async fn rows_on_the_server_count_against_the_plan() {
    let db = TestDb::migrated().await;
    let (role, user) = db.provision(&["trader"]);
    psql(
        &db.name,
        &format!(
            "INSERT INTO subscription_plans (id, user_id, plan_code, quota, status) VALUES \
             ('{}', '{user}', 'pro', '{{\"server_sweep_rows_per_month\": 1500}}', 'active')",
            Uuid::now_v7()
        ),
    );
    let pool = connect_url(&url(&db, &role)).await.unwrap();
    let sweep = Uuid::now_v7();
    write_shard(&pool, &key(sweep, 0, 1200), &rows(0, 1200), &|_| {})
        .await
        .unwrap();
    // Retried: free (nothing new).
    write_shard(&pool, &key(sweep, 0, 1200), &rows(0, 1200), &|_| {})
        .await
        .unwrap();
    let e = write_shard(&pool, &key(sweep, 1, 1200), &rows(1200, 2400), &|_| {})
        .await
        .unwrap_err();
    assert_eq!(e.code(), "quota_exceeded", "{e:?}");
    assert!(e.to_string().contains("1500"), "{e}");
    assert_eq!(
        psql(&db.name, "SELECT count(*) FROM cluster_sweep_rows"),
        "1200"
    );
    assert_eq!(
        psql(
            &db.name,
            &format!("SELECT used FROM plan_usage WHERE user_id = '{user}' AND metric = 'server_sweep_rows_per_month'")
        ),
        "1200"
    );
    pool.close().await;
}

#[tokio::test]
async fn a_bad_url_or_login_is_an_error_without_the_password() {
    let db = TestDb::migrated().await;
    let (role, _) = db.provision(&["trader"]);
    let e = connect_url("not a url").await.unwrap_err();
    assert!(e.to_string().contains("not a postgres://"), "{e}");
    let wrong = format!(
        "postgres://{role}:hunter2-wrong@{HOST}:{}/{}",
        port(),
        db.name
    );
    match connect_url(&wrong).await {
        // Trust authentication on the test server lets any password in.
        Ok(pool) => pool.close().await,
        Err(e) => assert!(!e.to_string().contains("hunter2"), "{e}"),
    }
}
