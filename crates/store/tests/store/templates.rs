//! Templates: publish (opens a compliance event), list, clone with attribution.

use serde_json::json;
use stratagraph_store::{AudienceScope, ComplianceStatus, NewUser, Role, StoreError};
use uuid::Uuid;

use crate::common::{env, graph};

#[tokio::test]
async fn publish_list_and_clone() {
    let env = env().await;
    let me = env.profile().await;
    let teacher = env
        .store
        .create_user(&NewUser {
            email: "t@example.com".into(),
            display_name: "T".into(),
            roles: vec![Role::Educator],
        })
        .await
        .unwrap();
    let s = env
        .store
        .create_strategy(teacher.id, "Lesson 1")
        .await
        .unwrap();
    let v = env
        .store
        .save_version(s.id, &graph(7), None, Some(teacher.id))
        .await
        .unwrap();
    let t = env
        .store
        .publish_template(
            v.id,
            Some(teacher.id),
            AudienceScope::Students,
            &json!({"title": "SMA basics", "level": 1}),
        )
        .await
        .unwrap();
    assert_eq!(t.clone_count, 0);
    let events = env
        .store
        .compliance_events_for("template_share", t.id)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].status, ComplianceStatus::Open);
    assert_eq!(events[0].event_type, "template_published");

    assert_eq!(env.store.list_templates(None, None).await.unwrap().len(), 1);
    assert_eq!(
        env.store
            .list_templates(Some(AudienceScope::Public), None)
            .await
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        env.store
            .list_templates(Some(AudienceScope::Students), Some(teacher.id))
            .await
            .unwrap()
            .len(),
        1
    );

    let c = env.store.clone_template(t.id, me.id, None).await.unwrap();
    assert_eq!(c.strategy.title, "SMA basics");
    assert_eq!(c.strategy.owner_id, me.id);
    assert_eq!(c.version.version, 1);
    assert_eq!(c.version.graph_json, graph(7));
    assert!(c
        .version
        .notes
        .as_deref()
        .unwrap()
        .contains(&t.id.to_string()));
    assert_eq!(c.template.clone_count, 1);
    let audit = env
        .store
        .compliance_events_for("template_share", t.id)
        .await
        .unwrap();
    let cloned = audit
        .iter()
        .find(|e| e.event_type == "template_cloned")
        .unwrap();
    assert_eq!(cloned.status, ComplianceStatus::Recorded);
    assert_eq!(cloned.payload["strategy_id"], json!(c.strategy.id));
    assert_eq!(cloned.payload["source_version_id"], json!(v.id));

    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = env.store.clone();
            tokio::spawn(async move {
                store
                    .clone_template(t.id, me.id, Some(&format!("Copy {i}")))
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(env.store.get_template(t.id).await.unwrap().clone_count, 9);

    assert!(matches!(
        env.store.clone_template(Uuid::now_v7(), me.id, None).await,
        Err(StoreError::NotFound { .. })
    ));
    let e = env.store.clone_template(t.id, Uuid::now_v7(), None).await;
    assert!(
        matches!(e, Err(StoreError::NotFound { entity: "user", .. })),
        "{e:?}"
    );
    assert_eq!(
        env.store.get_template(t.id).await.unwrap().clone_count,
        9,
        "failed clone rolled back"
    );
    let e = env
        .store
        .publish_template(
            Uuid::now_v7(),
            Some(teacher.id),
            AudienceScope::Public,
            &json!({}),
        )
        .await;
    assert!(matches!(e, Err(StoreError::NotFound { .. })), "{e:?}");
    // Only educators publish: a trader, or nobody, is refused.
    for who in [Some(me.id), None] {
        let e = env
            .store
            .publish_template(v.id, who, AudienceScope::Public, &json!({}))
            .await;
        assert!(
            matches!(&e, Err(StoreError::Forbidden { reason }) if reason.contains("educator")),
            "{e:?}"
        );
    }
    let e = env
        .store
        .publish_template(v.id, None, AudienceScope::Public, &json!([]))
        .await;
    assert!(matches!(e, Err(StoreError::Invalid { .. })), "{e:?}");
    env.store.delete_template(t.id).await.unwrap();
    assert!(matches!(
        env.store.delete_template(t.id).await,
        Err(StoreError::NotFound { .. })
    ));
}
