//! Quotas on the server: 50 concurrent consumers, limit 10, exactly 10 succeed.

use chrono::Utc;
use stratagraph_store::remote::remote_consume;

use crate::common::{psql, TestDb};

#[tokio::test]
async fn fifty_concurrent_consumes_with_limit_ten_succeed_exactly_ten_times() {
    let db = TestDb::migrated().await;
    let (role, user) = db.provision(&["trader"]);
    psql(
        &db.name,
        &format!(
            "INSERT INTO subscription_plans (id, user_id, plan_code, quota, status) VALUES \
             ('{}', '{user}', 'pro', '{{\"backtests_per_day\": 10}}', 'active')",
            uuid::Uuid::now_v7()
        ),
    );
    let pool = db.role_pool(&role).await;
    let now = Utc::now();
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            remote_consume(&pool, user, "backtests_per_day", 1, now).await
        }));
    }
    let mut ok = 0;
    let mut exceeded = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => {
                assert_eq!(e.code(), "quota_exceeded", "{e:?}");
                exceeded += 1;
            }
        }
    }
    assert_eq!((ok, exceeded), (10, 40));
    assert_eq!(
        psql(
            &db.name,
            &format!("SELECT used FROM plan_usage WHERE user_id = '{user}'")
        ),
        "10"
    );
    // Nobody counts for (or against) someone else.
    let (_, other) = db.provision(&["trader"]);
    let err = remote_consume(&pool, other, "backtests_per_day", 1, now)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "permission", "{err:?}");
    pool.close().await;
}
