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
