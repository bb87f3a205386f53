//! Strategy versions: numbering, immutability, history, concurrency.

use sqlx::Executor;
use stratagraph_store::StoreError;
use uuid::Uuid;

use crate::common::{env, graph};

#[tokio::test]
async fn saves_number_versions_and_keep_history() {
    let env = env().await;
    let me = env.profile().await;
    let s = env.store.create_strategy(me.id, "Versions").await.unwrap();
    for i in 1..=3 {
        let v = env
            .store
            .save_version(s.id, &graph(i), Some(&format!("save {i}")), Some(me.id))
            .await
            .unwrap();
        assert_eq!(v.version, i as i32);
        assert_eq!(v.created_by, Some(me.id));
    }
    let v2 = env.store.load_version(s.id, 2).await.unwrap();
    assert_eq!(v2.graph_json, graph(2));
    assert_eq!(v2.notes.as_deref(), Some("save 2"));
    assert_eq!(env.store.get_version(v2.id).await.unwrap(), v2);
    assert_eq!(env.store.latest_version(s.id).await.unwrap().version, 3);
    let history = env.store.list_versions(s.id).await.unwrap();
    assert_eq!(
        history.iter().map(|h| h.version).collect::<Vec<_>>(),
        vec![3, 2, 1]
    );
    assert!(history[0].graph_bytes > 50);

    assert!(matches!(
        env.store.load_version(s.id, 9).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        env.store.list_versions(Uuid::now_v7()).await,
        Err(StoreError::NotFound { .. })
    ));
    let other = env.store.create_strategy(me.id, "Empty").await.unwrap();
    assert!(matches!(
        env.store.latest_version(other.id).await,
        Err(StoreError::NotFound { .. })
    ));
    let e = env
        .store
        .save_version(Uuid::now_v7(), &graph(1), None, None)
        .await;
    assert!(
        matches!(
            e,
            Err(StoreError::NotFound {
                entity: "strategy",
                ..
            })
        ),
        "{e:?}"
    );
    let e = env
        .store
        .save_version(s.id, &graph(1), None, Some(Uuid::now_v7()))
        .await;
    assert!(
        matches!(e, Err(StoreError::NotFound { entity: "user", .. })),
        "{e:?}"
    );
    assert_eq!(
        env.store.latest_version(s.id).await.unwrap().version,
        3,
        "failed saves left nothing"
    );
}

#[tokio::test]
async fn versions_are_immutable() {
    let env = env().await;
    let me = env.profile().await;
    let s = env.store.create_strategy(me.id, "Frozen").await.unwrap();
    env.store
        .save_version(s.id, &graph(1), None, None)
        .await
        .unwrap();
    let mut raw = env.raw().await;
    let e = raw
        .execute("UPDATE strategy_versions SET notes = 'edited'")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("immutable"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_saves_give_versions_one_to_twenty() {
    let env = env().await;
    let me = env.profile().await;
    let s = env.store.create_strategy(me.id, "Race").await.unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = env.store.clone();
            tokio::spawn(async move { store.save_version(s.id, &graph(i), None, None).await })
        })
        .collect();
    let mut got = Vec::new();
    for t in tasks {
        got.push(t.await.unwrap().unwrap().version);
    }
    got.sort_unstable();
    assert_eq!(got, (1..=20).collect::<Vec<_>>());
    let history = env.store.list_versions(s.id).await.unwrap();
    assert_eq!(history.len(), 20);
    let mut tags: Vec<i64> = Vec::new();
    for h in &history {
        let v = env.store.get_version(h.id).await.unwrap();
        tags.push(
            v.graph_json["nodes"][1]["params"]["period"]
                .as_i64()
                .unwrap(),
        );
    }
    tags.sort_unstable();
    assert_eq!(
        tags,
        (0..20).collect::<Vec<_>>(),
        "every save's graph is there"
    );
}
