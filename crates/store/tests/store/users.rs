//! The local profile and other users.

use chrono::Duration;
use serde_json::json;
use stratagraph_store::{NewUser, ProfileUpdate, Role, StoreError};
use uuid::Uuid;

use crate::common::env;

#[tokio::test]
async fn profile_is_created_once_with_a_free_plan_and_touched_on_each_call() {
    let env = env().await;
    let first = env.store.ensure_profile().await.unwrap();
    assert_eq!(first.roles, vec![Role::Trader]);
    assert_eq!(first.plan_tier, "free");
    assert_eq!(first.last_active_at, Some(first.created_at));
    let plan = env.store.current_plan(first.id).await.unwrap().unwrap();
    assert_eq!(plan.plan_code, "free");
    assert_eq!(
        plan.quota,
        json!({"templates_published": 3, "cohort_size": 30})
    );

    env.clock.advance(Duration::hours(3));
    let again = env.reopen().await.ensure_profile().await.unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!(
        again.last_active_at,
        Some(first.created_at + Duration::hours(3))
    );
    let touched = {
        env.clock.advance(Duration::minutes(1));
        env.store.touch_user(first.id).await.unwrap()
    };
    assert!(touched.last_active_at > again.last_active_at);
}

#[tokio::test]
async fn profile_updates_are_validated() {
    let env = env().await;
    let me = env.profile().await;
    let updated = env
        .store
        .update_profile(
            me.id,
            &ProfileUpdate {
                email: Some(" ada@example.com ".into()),
                display_name: Some("Ada".into()),
                roles: Some(vec![Role::Educator, Role::Trader, Role::Trader]),
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.email, "ada@example.com");
    assert_eq!(updated.display_name, "Ada");
    assert_eq!(updated.roles, vec![Role::Educator, Role::Trader]);

    let bad = |u: ProfileUpdate| {
        let store = env.store.clone();
        async move { store.update_profile(me.id, &u).await }
    };
    let e = bad(ProfileUpdate {
        email: Some("nope".into()),
        ..Default::default()
    })
    .await;
    assert!(
        matches!(e, Err(StoreError::Invalid { ref field, .. }) if field == "email"),
        "{e:?}"
    );
    let e = bad(ProfileUpdate {
        roles: Some(vec![]),
        ..Default::default()
    })
    .await;
    assert!(
        matches!(e, Err(StoreError::Invalid { ref field, .. }) if field == "roles"),
        "{e:?}"
    );
    let e = bad(ProfileUpdate {
        display_name: Some("  ".into()),
        ..Default::default()
    })
    .await;
    assert!(matches!(e, Err(StoreError::Invalid { .. })), "{e:?}");
    let e = env
        .store
        .update_profile(Uuid::now_v7(), &ProfileUpdate::default())
        .await;
    assert!(
        matches!(e, Err(StoreError::NotFound { entity: "user", .. })),
        "{e:?}"
    );
}

#[tokio::test]
async fn emails_are_unique() {
    let env = env().await;
    let new = NewUser {
        email: "eve@example.com".into(),
        display_name: "Eve".into(),
        roles: vec![Role::Educator],
    };
    let eve = env.store.create_user(&new).await.unwrap();
    assert_eq!(env.store.get_user(eve.id).await.unwrap(), eve);
    let dup = env.store.create_user(&new).await;
    assert!(matches!(dup, Err(StoreError::Conflict { .. })), "{dup:?}");
    assert_eq!(dup.unwrap_err().code(), "conflict");
    let missing = env.store.get_user(Uuid::now_v7()).await;
    assert!(matches!(missing, Err(StoreError::NotFound { .. })));
}
