//! Compliance events: record, list, resolve with a reason.

use serde_json::json;
use stratagraph_store::{
    ComplianceDecision, ComplianceStatus, NewComplianceEvent, NotificationType, ProfileUpdate,
    Role, StoreError,
};
use uuid::Uuid;

use crate::common::env;

#[tokio::test]
async fn events_are_recorded_listed_and_resolved() {
    let env = env().await;
    let me = env.profile().await;
    let entity = Uuid::now_v7();
    let new = NewComplianceEvent {
        entity_type: "strategy".into(),
        entity_id: entity,
        event_type: "visibility_public".into(),
        payload: json!({"why": "review"}),
        status: ComplianceStatus::Open,
        created_by: Some(me.id),
    };
    let open = env.store.record_compliance_event(&new).await.unwrap();
    let audit = env
        .store
        .record_compliance_event(&NewComplianceEvent {
            status: ComplianceStatus::Recorded,
            ..new.clone()
        })
        .await
        .unwrap();
    assert_eq!(
        env.store
            .compliance_events_for("strategy", entity)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        env.store
            .compliance_events_by_status(ComplianceStatus::Open)
            .await
            .unwrap(),
        vec![open.clone()]
    );
    assert_eq!(
        env.store
            .compliance_events_by_status(ComplianceStatus::Recorded)
            .await
            .unwrap(),
        vec![audit]
    );

    let e = env
        .store
        .resolve_compliance_event(open.id, ComplianceDecision::Reject, "  ", None)
        .await;
    assert!(matches!(e, Err(StoreError::Invalid { .. })), "{e:?}");
    // Only reviewers (and administrators) decide: a trader, or nobody, is refused.
    for who in [Some(me.id), None] {
        let e = env
            .store
            .resolve_compliance_event(open.id, ComplianceDecision::Approve, "fine", who)
            .await;
        assert!(
            matches!(&e, Err(StoreError::Forbidden { reason }) if reason.contains("reviewer")),
            "{e:?}"
        );
    }
    env.store
        .update_profile(
            me.id,
            &ProfileUpdate {
                email: None,
                display_name: None,
                roles: Some(vec![Role::Trader, Role::Reviewer]),
            },
        )
        .await
        .unwrap();
    let done = env
        .store
        .resolve_compliance_event(
            open.id,
            ComplianceDecision::Reject,
            "misleading claims",
            Some(me.id),
        )
        .await
        .unwrap();
    assert_eq!(done.status, ComplianceStatus::Rejected);
    assert!(done.resolved_at.is_some());
    assert_eq!(done.payload["why"], "review");
    assert_eq!(done.payload["resolution"]["reason"], "misleading claims");
    assert_eq!(done.payload["resolution"]["decision"], "rejected");
    let inbox = env.store.list_notifications(me.id, None).await.unwrap();
    assert_eq!(inbox[0].kind, NotificationType::ComplianceDecision);
    let again = env
        .store
        .resolve_compliance_event(open.id, ComplianceDecision::Approve, "ok", Some(me.id))
        .await;
    assert!(
        matches!(again, Err(StoreError::Conflict { .. })),
        "{again:?}"
    );
    let missing = env
        .store
        .resolve_compliance_event(
            Uuid::now_v7(),
            ComplianceDecision::Approve,
            "ok",
            Some(me.id),
        )
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "{missing:?}"
    );
    let e = env
        .store
        .record_compliance_event(&NewComplianceEvent {
            status: ComplianceStatus::Approved,
            ..new.clone()
        })
        .await;
    assert!(matches!(e, Err(StoreError::Invalid { .. })), "{e:?}");
    let e = env
        .store
        .record_compliance_event(&NewComplianceEvent {
            entity_type: "".into(),
            ..new.clone()
        })
        .await;
    assert!(matches!(e, Err(StoreError::Invalid { .. })), "{e:?}");
}

#[tokio::test]
async fn offline_submissions_wait_per_user_and_close_once() {
    let env = env().await;
    let me = env.profile().await;
    let other = env
        .store
        .create_user(&stratagraph_store::NewUser {
            email: "other@example.com".into(),
            display_name: "Other".into(),
            roles: vec![Role::Educator],
        })
        .await
        .unwrap();
    let version = Uuid::now_v7();
    let submission = json!({"title": "Lesson", "audience": "public"});
    let mine = env
        .store
        .queue_publish_request(version, Some(me.id), &submission)
        .await
        .unwrap();
    env.store
        .queue_publish_request(version, Some(other.id), &submission)
        .await
        .unwrap();
    assert_eq!(mine.status, ComplianceStatus::Open);
    assert_eq!(mine.event_type, stratagraph_store::PUBLISH_REQUEST);
    // Each user's device sends only its user's submissions.
    let pending = env.store.pending_publish_requests(me.id).await.unwrap();
    assert_eq!(pending.iter().map(|e| e.id).collect::<Vec<_>>(), [mine.id]);
    // It waits in the sync outbox like any audit event.
    let mut conn = env.raw().await;
    let queued: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sync_outbox WHERE table_name = 'compliance_events' AND row_id = ?",
    )
    .bind(mine.id.to_string())
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(queued, 1);

    let sent = env
        .store
        .finish_publish_request(mine.id, true, &json!({"review_id": "r1"}))
        .await
        .unwrap();
    assert_eq!(sent.status, ComplianceStatus::Recorded);
    assert_eq!(sent.payload["review_id"], "r1");
    assert_eq!(sent.payload["title"], "Lesson");
    assert!(sent.resolved_at.is_some());
    assert!(env
        .store
        .pending_publish_requests(me.id)
        .await
        .unwrap()
        .is_empty());
    let again = env
        .store
        .finish_publish_request(mine.id, false, &json!({"reason": "late"}))
        .await
        .unwrap_err();
    assert!(matches!(again, StoreError::Conflict { .. }), "{again:?}");
    let missing = env
        .store
        .finish_publish_request(Uuid::now_v7(), true, &json!({}))
        .await
        .unwrap_err();
    assert!(
        matches!(missing, StoreError::NotFound { .. }),
        "{missing:?}"
    );
    let bad = env
        .store
        .finish_publish_request(mine.id, true, &json!([1]))
        .await
        .unwrap_err();
    assert!(matches!(bad, StoreError::Invalid { .. }), "{bad:?}");
}
