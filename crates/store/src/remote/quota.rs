//! Quotas on the server: the same atomic check-and-count as the embedded store.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::error::{classify, SyncError, SyncResult};
use crate::model::QuotaStatus;

/// Counts `n` uses of `metric` for `user_id` on the server if, and only if, the user's plan
/// allows them: one `INSERT ... ON CONFLICT DO UPDATE ... WHERE used + n <= limit` inside
/// `sg_consume`, so concurrent callers on any number of devices never exceed the limit.
///
/// # Errors
///
/// `QuotaExceeded` (nothing counted); `Permission` when counting for another user;
/// `Remote` for a per-request metric or `n == 0`; `Interrupted`.
pub async fn remote_consume(
    pool: &PgPool,
    user_id: Uuid,
    metric: &str,
    n: u32,
    now: DateTime<Utc>,
) -> SyncResult<QuotaStatus> {
    let n = i32::try_from(n).unwrap_or(i32::MAX);
    let row: Option<(Option<i32>, Option<i32>, DateTime<Utc>)> =
        sqlx::query_as("SELECT used, plan_limit, window_end FROM sg_consume($1, $2, $3, $4, $5)")
            .bind(Uuid::now_v7())
            .bind(user_id)
            .bind(metric)
            .bind(n)
            .bind(now)
            .fetch_optional(pool)
            .await
            .map_err(classify)?;
    let windowed = metric.ends_with("_per_day") || metric.ends_with("_per_month");
    match row {
        Some((used, limit, end)) => Ok(QuotaStatus {
            metric: metric.to_owned(),
            used: i64::from(used.unwrap_or(0)),
            limit: limit.map(i64::from),
            remaining: limit.map(|l| i64::from(l) - i64::from(used.unwrap_or(0))),
            resets_at: windowed.then_some(end),
        }),
        None => {
            let limit: Option<i32> = sqlx::query_scalar(
                "SELECT plan_limit FROM plan_usage WHERE user_id = $1 AND metric = $2 \
                 ORDER BY window_start DESC LIMIT 1",
            )
            .bind(user_id)
            .bind(metric)
            .fetch_optional(pool)
            .await
            .map_err(classify)?;
            Err(SyncError::QuotaExceeded {
                metric: metric.to_owned(),
                limit: i64::from(limit.unwrap_or(0)),
            })
        }
    }
}
