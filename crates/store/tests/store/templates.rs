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

/// A database made by the release before local migration 0006 (migrations 1-5), holding a
/// `compliance` user and a template, opens with the role renamed, the template kept, its
/// outbox triggers working and the new audiences accepted.
#[tokio::test]
async fn a_database_from_before_0006_upgrades_roles_and_templates() {
    use sqlx::{Connection, SqliteConnection};

    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old-migrations");
    std::fs::create_dir(&old).unwrap();
    let all = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/local");
    for v in ["0001", "0002", "0003", "0004", "0005"] {
        let f = std::fs::read_dir(&all)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(v))
            .unwrap();
        std::fs::copy(&f, old.join(f.file_name().unwrap())).unwrap();
    }
    let path = dir.path().join("stratagraph.db");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let mut raw = SqliteConnection::connect(&url).await.unwrap();
    sqlx::migrate::Migrator::new(old.as_path())
        .await
        .unwrap()
        .run(&mut raw)
        .await
        .unwrap();
    let (user, strategy, version, template) = (
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
    );
    sqlx::raw_sql(&format!(
        "INSERT INTO users (id, email, display_name, roles, plan_tier, created_at) VALUES \
           ('{user}', 'r@example.com', 'R', '[\"trader\",\"compliance\"]', 'free', \
            '2026-01-01T00:00:00.000000Z'); \
         INSERT INTO strategies (id, owner_id, title, slug, status, visibility, tags, \
           created_at, updated_at) VALUES ('{strategy}', '{user}', 'S', 's', 'draft', \
           'private', '[]', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'); \
         INSERT INTO strategy_versions (id, strategy_id, version, graph_json, created_at) \
           VALUES ('{version}', '{strategy}', 1, '{{}}', '2026-01-01T00:00:00.000000Z'); \
         INSERT INTO template_shares (id, strategy_version_id, educator_id, audience_scope, \
           metadata, clone_count) VALUES ('{template}', '{version}', '{user}', 'students', \
           '{{\"title\": \"kept\"}}', 4); \
         DELETE FROM sync_outbox;"
    ))
    .execute(&mut raw)
    .await
    .unwrap();
    raw.close().await.unwrap();

    let store = stratagraph_store::Store::open(&path).await.unwrap();
    let stored: String = sqlx::query_scalar("SELECT roles FROM users WHERE id = ?")
        .bind(user.to_string())
        .fetch_one(&mut SqliteConnection::connect(&url).await.unwrap())
        .await
        .unwrap();
    assert_eq!(stored, r#"["trader","reviewer"]"#);
    assert_eq!(
        store.get_user(user).await.unwrap().roles,
        vec![Role::Trader, Role::Reviewer]
    );
    let t = store.get_template(template).await.unwrap();
    assert_eq!(
        (t.audience_scope, t.clone_count),
        (AudienceScope::Students, 4)
    );
    assert_eq!(
        store.sync_status().await.unwrap().pending,
        0,
        "the upgrade queues nothing"
    );
    sqlx::query("UPDATE template_shares SET audience_scope = 'cohort' WHERE id = ?")
        .bind(template.to_string())
        .execute(&mut SqliteConnection::connect(&url).await.unwrap())
        .await
        .unwrap();
    assert_eq!(
        store.get_template(template).await.unwrap().audience_scope,
        AudienceScope::Cohort
    );
    assert_eq!(
        store.sync_status().await.unwrap().pending,
        1,
        "changes are queued again"
    );
    store.close().await;
}
