//! Quotas: windows, limits, plan fallback, release, per-request limits, the race.

use chrono::{Duration, TimeZone, Utc};
use serde_json::json;
use stratagraph_store::{NewPlan, PlanStatus, StoreError};
use uuid::Uuid;

use crate::common::env;

#[tokio::test]
async fn daily_quota_counts_refuses_and_resets_at_midnight_utc() {
    let env = env().await;
    let me = env.profile().await;
    env.store
        .create_plan(&NewPlan {
            user_id: me.id,
            plan_code: "daily".into(),
            quota: json!({"clones_per_day": 20}),
            status: PlanStatus::Active,
            stripe_customer_id: None,
            renewal_at: None,
        })
        .await
        .unwrap();
    let st = env
        .store
        .consume(me.id, "clones_per_day", 15)
        .await
        .unwrap();
    assert_eq!((st.used, st.limit, st.remaining), (15, Some(20), Some(5)));
    let midnight = Utc.with_ymd_and_hms(2025, 3, 15, 0, 0, 0).unwrap();
    assert_eq!(st.resets_at, Some(midnight));
    let e = env
        .store
        .consume(me.id, "clones_per_day", 6)
        .await
        .unwrap_err();
    match e {
        StoreError::QuotaExceeded {
            metric,
            limit,
            resets_at,
        } => {
            assert_eq!(
                (metric.as_str(), limit, resets_at),
                ("clones_per_day", 20, Some(midnight))
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        env.store
            .consume(me.id, "clones_per_day", 5)
            .await
            .unwrap()
            .remaining,
        Some(0)
    );
    assert!(env.store.consume(me.id, "clones_per_day", 1).await.is_err());
    let e = env.store.consume(me.id, "clones_per_day", 21).await;
    assert!(matches!(e, Err(StoreError::QuotaExceeded { .. })));
    env.clock.set(midnight);
    let st = env.store.consume(me.id, "clones_per_day", 1).await.unwrap();
    assert_eq!((st.used, st.remaining), (1, Some(19)));
    assert_eq!(
        env.store
            .quota_status(me.id, "clones_per_day")
            .await
            .unwrap()
            .used,
        1
    );
}

#[tokio::test]
async fn monthly_standing_unlimited_and_per_request_metrics() {
    let env = env().await;
    let me = env.profile().await;
    env.store
        .create_plan(&NewPlan {
            user_id: me.id,
            plan_code: "pro".into(),
            quota: json!({"exports_per_month": 2, "active_paper_runs": 2, "cohort_size": 1000, "templates_published": null}),
            status: PlanStatus::Active,
            stripe_customer_id: Some("cus_1".into()),
            renewal_at: None,
        })
        .await
        .unwrap();
    assert_eq!(env.store.get_user(me.id).await.unwrap().plan_tier, "pro");
    let st = env
        .store
        .consume(me.id, "exports_per_month", 2)
        .await
        .unwrap();
    assert_eq!(
        st.resets_at,
        Some(Utc.with_ymd_and_hms(2025, 4, 1, 0, 0, 0).unwrap())
    );
    assert!(env
        .store
        .consume(me.id, "exports_per_month", 1)
        .await
        .is_err());
    env.clock.advance(Duration::days(20));
    assert!(
        env.store
            .consume(me.id, "exports_per_month", 1)
            .await
            .is_ok(),
        "April is a new window"
    );

    env.store
        .consume(me.id, "active_paper_runs", 2)
        .await
        .unwrap();
    let e = env
        .store
        .consume(me.id, "active_paper_runs", 1)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::QuotaExceeded {
                resets_at: None,
                limit: 2,
                ..
            }
        ),
        "{e:?}"
    );
    env.clock.advance(Duration::days(400));
    assert!(
        env.store
            .consume(me.id, "active_paper_runs", 1)
            .await
            .is_err(),
        "standing counts never reset"
    );
    let st = env
        .store
        .release(me.id, "active_paper_runs", 1)
        .await
        .unwrap();
    assert_eq!((st.used, st.remaining), (1, Some(1)));
    env.store
        .release(me.id, "active_paper_runs", 5)
        .await
        .unwrap();
    assert_eq!(
        env.store
            .quota_status(me.id, "active_paper_runs")
            .await
            .unwrap()
            .used,
        0
    );

    let unl = env
        .store
        .consume(me.id, "templates_published", 100)
        .await
        .unwrap();
    assert_eq!((unl.limit, unl.remaining), (None, None));
    assert_eq!(
        env.store
            .consume(me.id, "not_in_plan", 7)
            .await
            .unwrap()
            .limit,
        None
    );

    assert_eq!(
        env.store
            .check_limit(me.id, "cohort_size", 1000)
            .await
            .unwrap()
            .remaining,
        Some(0)
    );
    let e = env.store.check_limit(me.id, "cohort_size", 1001).await;
    assert!(
        matches!(
            e,
            Err(StoreError::QuotaExceeded {
                limit: 1000,
                resets_at: None,
                ..
            })
        ),
        "{e:?}"
    );
    let e = env.store.consume(me.id, "cohort_size", 1).await;
    assert!(matches!(e, Err(StoreError::Invalid { .. })), "{e:?}");
    let e = env.store.consume(me.id, "templates_published", 0).await;
    assert!(matches!(e, Err(StoreError::Invalid { .. })), "{e:?}");
    let e = env.store.consume(me.id, "Bad Metric", 1).await;
    assert!(matches!(e, Err(StoreError::Invalid { .. })), "{e:?}");
    let e = env
        .store
        .consume(Uuid::now_v7(), "templates_published", 1)
        .await;
    assert!(
        matches!(e, Err(StoreError::NotFound { entity: "user", .. })),
        "{e:?}"
    );
    let e = env
        .store
        .create_plan(&NewPlan {
            user_id: me.id,
            plan_code: "x".into(),
            quota: json!({"a": -1}),
            status: PlanStatus::Active,
            stripe_customer_id: None,
            renewal_at: None,
        })
        .await;
    assert!(matches!(e, Err(StoreError::Invalid { .. })), "{e:?}");
}

#[tokio::test]
async fn inactive_plans_fall_back_to_free_quotas() {
    let env = env().await;
    let me = env.profile().await;
    let plan = env
        .store
        .create_plan(&NewPlan {
            user_id: me.id,
            plan_code: "pro".into(),
            quota: json!({"templates_published": 500}),
            status: PlanStatus::Active,
            stripe_customer_id: None,
            renewal_at: None,
        })
        .await
        .unwrap();
    assert_eq!(
        env.store
            .consume(me.id, "templates_published", 30)
            .await
            .unwrap()
            .limit,
        Some(500)
    );
    env.store
        .set_plan_status(plan.id, PlanStatus::PastDue)
        .await
        .unwrap();
    let e = env
        .store
        .consume(me.id, "templates_published", 1)
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::QuotaExceeded { limit: 3, .. }),
        "{e:?}"
    );
    assert!(matches!(
        env.store
            .set_plan_status(Uuid::now_v7(), PlanStatus::Active)
            .await,
        Err(StoreError::NotFound { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_consumers_of_a_limit_of_ten_get_exactly_ten() {
    let env = env().await;
    let me = env.profile().await;
    env.store
        .create_plan(&NewPlan {
            user_id: me.id,
            plan_code: "race".into(),
            quota: json!({"templates_published": 10}),
            status: PlanStatus::Active,
            stripe_customer_id: None,
            renewal_at: None,
        })
        .await
        .unwrap();
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(50));
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let store = env.store.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                store.consume(me.id, "templates_published", 1).await
            })
        })
        .collect();
    let (mut ok, mut exceeded) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(StoreError::QuotaExceeded { limit: 10, .. }) => exceeded += 1,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!((ok, exceeded), (10, 40));
    assert_eq!(
        env.store
            .quota_status(me.id, "templates_published")
            .await
            .unwrap()
            .used,
        10
    );
}
