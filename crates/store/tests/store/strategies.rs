//! Strategies: slugs, rename, tags, status, visibility, search, delete.

use chrono::Duration;
use serde_json::json;
use stratagraph_store::{RunFilter, StoreError, StrategyFilter, StrategyStatus, Visibility};
use uuid::Uuid;

use crate::common::{env, graph};

#[tokio::test]
async fn slugs_are_unique_and_numbered_on_clash() {
    let env = env().await;
    let me = env.profile().await;
    let a = env
        .store
        .create_strategy(me.id, "My Strategy")
        .await
        .unwrap();
    let b = env
        .store
        .create_strategy(me.id, "my strategy!")
        .await
        .unwrap();
    let c = env
        .store
        .create_strategy(me.id, "  MY  STRATEGY ")
        .await
        .unwrap();
    assert_eq!(
        (a.slug.as_str(), b.slug.as_str(), c.slug.as_str()),
        ("my-strategy", "my-strategy-2", "my-strategy-3")
    );
    assert_eq!(a.status, StrategyStatus::Draft);
    assert_eq!(a.visibility, Visibility::Private);
    assert!(a.tags.is_empty());
    let other = env
        .store
        .create_strategy(me.id, "my-strategy-x")
        .await
        .unwrap();
    assert_eq!(other.slug, "my-strategy-x");
    env.store.delete_strategy(b.id).await.unwrap();
    let d = env
        .store
        .create_strategy(me.id, "My Strategy")
        .await
        .unwrap();
    assert_eq!(d.slug, "my-strategy-2", "a freed slug is reused");

    assert_eq!(
        env.store.find_strategy("my-strategy-3").await.unwrap().id,
        c.id
    );
    assert_eq!(
        env.store.find_strategy(&c.id.to_string()).await.unwrap().id,
        c.id
    );
    assert!(matches!(
        env.store.find_strategy("nope").await,
        Err(StoreError::NotFound { .. })
    ));
}

#[tokio::test]
async fn concurrent_creates_get_distinct_slugs() {
    let env = env().await;
    let me = env.profile().await;
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let store = env.store.clone();
            tokio::spawn(async move { store.create_strategy(me.id, "Same").await })
        })
        .collect();
    let mut slugs = Vec::new();
    for t in tasks {
        slugs.push(t.await.unwrap().unwrap().slug);
    }
    slugs.sort();
    slugs.dedup();
    assert_eq!(slugs.len(), 10);
}

#[tokio::test]
async fn invalid_titles_and_owners_are_rejected() {
    let env = env().await;
    let me = env.profile().await;
    let e = env.store.create_strategy(me.id, "   ").await;
    assert!(
        matches!(e, Err(StoreError::Invalid { ref field, .. }) if field == "title"),
        "{e:?}"
    );
    let e = env.store.create_strategy(me.id, &"x".repeat(201)).await;
    assert!(matches!(e, Err(StoreError::Invalid { .. })), "{e:?}");
    let e = env.store.create_strategy(Uuid::now_v7(), "Orphan").await;
    assert!(
        matches!(e, Err(StoreError::NotFound { entity: "user", .. })),
        "{e:?}"
    );
    let s = env.store.create_strategy(me.id, "日本語").await.unwrap();
    assert_eq!(s.slug, "strategy");
}

#[tokio::test]
async fn rename_tag_status_visibility_bump_updated_at() {
    let env = env().await;
    let me = env.profile().await;
    let s = env.store.create_strategy(me.id, "Alpha").await.unwrap();
    env.clock.advance(Duration::seconds(5));
    let r = env.store.rename_strategy(s.id, "Beta").await.unwrap();
    assert_eq!((r.title.as_str(), r.slug.as_str()), ("Beta", "alpha"));
    assert!(r.updated_at > s.updated_at);
    let t = env
        .store
        .set_tags(s.id, &[" momentum ".into(), "fx".into(), "momentum".into()])
        .await
        .unwrap();
    assert_eq!(t.tags, vec!["momentum", "fx"]);
    let e = env.store.set_tags(s.id, &["".into()]).await;
    assert!(matches!(e, Err(StoreError::Invalid { .. })));
    let st = env
        .store
        .set_strategy_status(s.id, StrategyStatus::Archived)
        .await
        .unwrap();
    assert_eq!(st.status, StrategyStatus::Archived);
    let v = env
        .store
        .set_visibility(s.id, Visibility::Public)
        .await
        .unwrap();
    assert_eq!(v.visibility, Visibility::Public);
    assert_eq!(env.store.get_strategy(s.id).await.unwrap(), v);
    let missing = Uuid::now_v7();
    assert!(matches!(
        env.store.rename_strategy(missing, "x").await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        env.store.set_visibility(missing, Visibility::Public).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        env.store.delete_strategy(missing).await,
        Err(StoreError::NotFound { .. })
    ));
}

#[tokio::test]
async fn list_searches_title_and_tags_newest_change_first() {
    let env = env().await;
    let me = env.profile().await;
    let a = env.store.create_strategy(me.id, "SMA cross").await.unwrap();
    env.clock.advance(Duration::seconds(1));
    let b = env
        .store
        .create_strategy(me.id, "RSI 100%_fade")
        .await
        .unwrap();
    env.clock.advance(Duration::seconds(1));
    let c = env.store.create_strategy(me.id, "Breakout").await.unwrap();
    env.store
        .set_tags(c.id, &["sma".into(), "trend".into()])
        .await
        .unwrap();
    env.clock.advance(Duration::seconds(1));
    env.store
        .save_version(a.id, &graph(1), None, Some(me.id))
        .await
        .unwrap();

    let all = env
        .store
        .list_strategies(&StrategyFilter::default())
        .await
        .unwrap();
    let ids: Vec<_> = all.iter().map(|s| s.id).collect();
    assert_eq!(ids, vec![a.id, c.id, b.id]);

    let sma = env
        .store
        .list_strategies(&StrategyFilter {
            search: Some("SMA".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        sma.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![a.id, c.id]
    );
    let tag = env
        .store
        .list_strategies(&StrategyFilter {
            tag: Some("trend".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(tag.len(), 1);
    let pct = env
        .store
        .list_strategies(&StrategyFilter {
            search: Some("100%_".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(pct.iter().map(|s| s.id).collect::<Vec<_>>(), vec![b.id]);
    let none = env
        .store
        .list_strategies(&StrategyFilter {
            search: Some("_x%".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(none.is_empty(), "% and _ are matched literally");
    let limited = env
        .store
        .list_strategies(&StrategyFilter {
            owner_id: Some(me.id),
            limit: Some(2),
            status: Some(StrategyStatus::Draft),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(limited.len(), 2);
}

#[tokio::test]
async fn delete_cascades_to_versions_runs_and_details() {
    let env = env().await;
    let me = env.profile().await;
    let s = env.store.create_strategy(me.id, "Doomed").await.unwrap();
    let v = env
        .store
        .save_version(s.id, &graph(1), None, None)
        .await
        .unwrap();
    let run = env
        .store
        .create_run(v.id, Some(me.id), &json!({"fast": 10}))
        .await
        .unwrap();
    env.store.start_run(run.id).await.unwrap();
    env.store
        .complete_run(
            run.id,
            &json!({"sharpe": 1.2}),
            Some(&stratagraph_store::RunDetails {
                result_hash: None,
                trades: json!([]),
                equity: vec![],
                equity_points_full: 0,
            }),
        )
        .await
        .unwrap();
    env.store.delete_strategy(s.id).await.unwrap();
    assert!(matches!(
        env.store.get_version(v.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        env.store.get_run(run.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        env.store.run_details(run.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(env
        .store
        .list_runs(&RunFilter::default())
        .await
        .unwrap()
        .is_empty());
}
