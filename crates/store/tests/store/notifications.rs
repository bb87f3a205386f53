//! The inbox: unread first, unread count via the partial index, read marks, delete.

use chrono::Duration;
use serde_json::json;
use sqlx::Row;
use stratagraph_store::{Channel, NotificationType, StoreError};
use uuid::Uuid;

use crate::common::env;

#[tokio::test]
async fn inbox_lists_unread_first_and_counts_unread() {
    let env = env().await;
    let me = env.profile().await;
    let mut ids = Vec::new();
    for (i, kind) in [
        NotificationType::BacktestDone,
        NotificationType::PaperFill,
        NotificationType::QuotaNearLimit,
    ]
    .into_iter()
    .enumerate()
    {
        env.clock.advance(Duration::seconds(1));
        let n = env
            .store
            .create_notification(me.id, kind, &json!({"i": i}), Channel::InApp)
            .await
            .unwrap();
        assert_eq!(n.kind, kind);
        assert!(n.read_at.is_none());
        ids.push(n.id);
    }
    assert_eq!(env.store.unread_count(me.id).await.unwrap(), 3);
    let read = env.store.mark_read(ids[2]).await.unwrap();
    assert!(read.read_at.is_some());
    env.clock.advance(Duration::seconds(1));
    assert_eq!(
        env.store.mark_read(ids[2]).await.unwrap().read_at,
        read.read_at,
        "first read time kept"
    );
    let list = env.store.list_notifications(me.id, None).await.unwrap();
    assert_eq!(
        list.iter().map(|n| n.id).collect::<Vec<_>>(),
        vec![ids[1], ids[0], ids[2]]
    );
    assert_eq!(
        env.store
            .list_notifications(me.id, Some(1))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(env.store.unread_count(me.id).await.unwrap(), 2);
    assert_eq!(env.store.mark_all_read(me.id).await.unwrap(), 2);
    assert_eq!(env.store.unread_count(me.id).await.unwrap(), 0);
    env.store.delete_notification(ids[0]).await.unwrap();
    assert_eq!(
        env.store
            .list_notifications(me.id, None)
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(matches!(
        env.store.delete_notification(ids[0]).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        env.store.mark_read(Uuid::now_v7()).await,
        Err(StoreError::NotFound { .. })
    ));
    let e = env
        .store
        .create_notification(
            Uuid::now_v7(),
            NotificationType::SyncConflict,
            &json!({}),
            Channel::Os,
        )
        .await;
    assert!(
        matches!(e, Err(StoreError::NotFound { entity: "user", .. })),
        "{e:?}"
    );
}

#[tokio::test]
async fn unread_count_uses_the_partial_index() {
    let env = env().await;
    let mut raw = env.raw().await;
    let plan = sqlx::query("EXPLAIN QUERY PLAN SELECT count(*) FROM notifications WHERE user_id = ? AND read_at IS NULL")
        .bind("00000000-0000-0000-0000-000000000000")
        .fetch_all(&mut raw)
        .await
        .unwrap();
    let detail: Vec<String> = plan.iter().map(|r| r.get::<String, _>("detail")).collect();
    assert!(
        detail
            .iter()
            .any(|d| d.contains("notifications_unread_idx")),
        "{detail:?}"
    );
}
