//! Plans and quotas: the plan in force, and atomic consumption of its limits.
//!
//! # What is metered
//!
//! Only what uses the shared server: templates published ([`METERED`]) and the size of a
//! cohort. Local computation (backtests, sweeps, walk-forward, charts) is never metered and
//! never refused: a plan's quota may still carry keys of earlier releases (such as
//! `backtests_per_day`); nothing counts or checks them, and Settings shows no meter for them.
//! On the server the check and the count are one statement (`sg_consume`); the embedded store
//! keeps the same atomic count, and mirrors the server's usage rows for display.
//!
//! # Metrics and windows
//!
//! A plan's `quota` is a JSON object of metric → limit. How a metric is counted follows from
//! its name ([`QuotaWindow::for_metric`]):
//!
//! | metric | window | use |
//! |---|---|---|
//! | `*_per_day` (e.g. `clones_per_day`) | UTC calendar day | [`Store::consume`] |
//! | `*_per_month` | UTC calendar month | [`Store::consume`] |
//! | `cohort_size`, `*_per_request` | none: a size limit per request | [`Store::check_limit`] |
//! | anything else (`templates_published`) | none: a standing count | [`Store::consume`] / [`Store::release`] |
//!
//! A metric missing from the plan's quota (or set to `null`) is unlimited: nothing is
//! counted and every request passes. A plan whose status is not `active` or `trialing` falls
//! back to [`free_quota`]. The user's plan is the most recently created one.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use serde_json::{json, Value};
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use crate::db::{fmt_time, id_text, RowExt};
use crate::error::{Result, StoreError};
use crate::model::{NewPlan, PlanStatus, QuotaStatus, SubscriptionPlan};
use crate::Store;

/// Plan code of the free plan every profile starts with.
pub const FREE_PLAN_CODE: &str = "free";

/// Templates an educator may have published at once (a standing count).
pub const TEMPLATES_PUBLISHED: &str = "templates_published";
/// Members a cohort may have (a size limit, checked when members are added).
pub const COHORT_SIZE: &str = "cohort_size";
/// The counted metrics that exist: the only ones Settings shows a meter for (a cohort's size
/// is a limit per cohort, not a count of the user's).
pub const METERED: &[&str] = &[TEMPLATES_PUBLISHED];

/// The free plan's limits (the server's `sg_consume` falls back to the same).
pub fn free_quota() -> Value {
    json!({
        TEMPLATES_PUBLISHED: 3,
        COHORT_SIZE: 30
    })
}

/// How a quota metric is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaWindow {
    /// Per UTC calendar day.
    Day,
    /// Per UTC calendar month.
    Month,
    /// A standing count without a window (released explicitly).
    Standing,
    /// A size limit per request, never counted.
    PerRequest,
}

/// Start of the windowless row's "window", far in the past.
const NO_WINDOW_START: &str = "1970-01-01T00:00:00.000000Z";
/// End of the windowless row's "window", far in the future.
const NO_WINDOW_END: &str = "9999-12-31T23:59:59.999999Z";

impl QuotaWindow {
    /// The window of `metric`, by its name (see the module docs).
    pub fn for_metric(metric: &str) -> Self {
        if metric.ends_with("_per_day") {
            Self::Day
        } else if metric.ends_with("_per_month") {
            Self::Month
        } else if metric == COHORT_SIZE || metric.ends_with("_per_request") {
            Self::PerRequest
        } else {
            Self::Standing
        }
    }

    /// The window containing `now`: start and end (`None` for windowless metrics).
    pub fn bounds(self, now: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let day = now.date_naive();
        let midnight = |d: NaiveDate| Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN));
        match self {
            Self::Day => Some((midnight(day), midnight(day) + Duration::days(1))),
            Self::Month => {
                let first = NaiveDate::from_ymd_opt(day.year(), day.month(), 1)?;
                let next = if day.month() == 12 {
                    NaiveDate::from_ymd_opt(day.year() + 1, 1, 1)?
                } else {
                    NaiveDate::from_ymd_opt(day.year(), day.month() + 1, 1)?
                };
                Some((midnight(first), midnight(next)))
            }
            Self::Standing | Self::PerRequest => None,
        }
    }
}

fn validate_metric(metric: &str) -> Result<()> {
    let ok = !metric.is_empty()
        && metric.len() <= 64
        && metric
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "metric",
            "must be 1 to 64 characters of a-z, 0-9 and _",
        ))
    }
}

fn validate_quota(quota: &Value) -> Result<()> {
    let Some(map) = quota.as_object() else {
        return Err(StoreError::invalid("quota", "must be a JSON object"));
    };
    for (metric, limit) in map {
        validate_metric(metric)?;
        if !(limit.is_null() || limit.as_u64().is_some_and(|n| n <= i32::MAX as u64)) {
            return Err(StoreError::invalid(
                "quota",
                format!("limit of {metric} must be a non-negative integer or null"),
            ));
        }
    }
    Ok(())
}

pub(crate) fn plan_from_row(row: &SqliteRow) -> Result<SubscriptionPlan> {
    Ok(SubscriptionPlan {
        id: row.id("id")?,
        user_id: row.id("user_id")?,
        stripe_customer_id: row.opt_text("stripe_customer_id")?,
        plan_code: row.text("plan_code")?,
        quota: row.json("quota")?,
        status: row.enum_value("status")?,
        renewal_at: row.opt_time("renewal_at")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
    })
}

impl Store {
    /// The user's current plan (the most recently created), if any.
    ///
    /// # Errors
    ///
    /// `Storage`; `Invalid` when the stored row cannot be read.
    pub async fn current_plan(&self, user_id: Uuid) -> Result<Option<SubscriptionPlan>> {
        let row = sqlx::query(
            "SELECT * FROM subscription_plans WHERE user_id = ? \
             ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(id_text(user_id))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(plan_from_row).transpose()
    }

    /// The quota in force: the current plan's if it is active or trialing, else the free one.
    ///
    /// # Errors
    ///
    /// As [`Store::current_plan`].
    pub async fn effective_quota(&self, user_id: Uuid) -> Result<Value> {
        Ok(match self.current_plan(user_id).await? {
            Some(plan) if matches!(plan.status, PlanStatus::Active | PlanStatus::Trialing) => {
                plan.quota
            }
            _ => free_quota(),
        })
    }

    /// Subscribes a user to a new plan (it becomes the current one) and sets the user's
    /// `plan_tier` to its code, in one transaction.
    ///
    /// # Errors
    ///
    /// `Invalid` for an empty code or a malformed quota; `NotFound` for an unknown user.
    pub async fn create_plan(&self, new: &NewPlan) -> Result<SubscriptionPlan> {
        let code = new.plan_code.trim();
        if code.is_empty() {
            return Err(StoreError::invalid("plan_code", "must not be empty"));
        }
        validate_quota(&new.quota)?;
        let now = self.now_text();
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "INSERT INTO subscription_plans (id, user_id, stripe_customer_id, plan_code, quota, \
             status, renewal_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
             RETURNING *",
        )
        .bind(id_text(Uuid::now_v7()))
        .bind(id_text(new.user_id))
        .bind(new.stripe_customer_id.as_deref())
        .bind(code)
        .bind(new.quota.to_string())
        .bind(new.status.as_str())
        .bind(new.renewal_at.map(fmt_time))
        .bind(&now)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| StoreError::from(e).fk_as_not_found("user", new.user_id))?;
        sqlx::query("UPDATE users SET plan_tier = ? WHERE id = ?")
            .bind(code)
            .bind(id_text(new.user_id))
            .execute(&mut *tx)
            .await?;
        let plan = plan_from_row(&row)?;
        tx.commit().await?;
        Ok(plan)
    }

    /// Changes a plan's status (e.g. to `past_due`, which drops the user to free quotas).
    ///
    /// # Errors
    ///
    /// `NotFound`.
    pub async fn set_plan_status(
        &self,
        plan_id: Uuid,
        status: PlanStatus,
    ) -> Result<SubscriptionPlan> {
        let row = sqlx::query(
            "UPDATE subscription_plans SET status = ?, updated_at = ? WHERE id = ? RETURNING *",
        )
        .bind(status.as_str())
        .bind(self.now_text())
        .bind(id_text(plan_id))
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("plan", plan_id))?;
        plan_from_row(&row)
    }

    /// The limit of `metric` in force for the user; `None` = unlimited.
    async fn limit_of(&self, user_id: Uuid, metric: &str) -> Result<Option<i64>> {
        let quota = self.effective_quota(user_id).await?;
        match quota.get(metric) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_i64().filter(|n| *n >= 0).map(Some).ok_or_else(|| {
                StoreError::invalid(
                    "quota",
                    format!("limit of {metric} is not a non-negative integer"),
                )
            }),
        }
    }

    /// Counts `n` uses of `metric` if, and only if, the plan's limit allows them: the check
    /// and the increment are one SQL statement (an upsert whose update applies only while
    /// `used + n <= plan_limit`), so concurrent callers can never exceed the limit.
    /// Returns the state after counting.
    ///
    /// # Errors
    ///
    /// `QuotaExceeded` (nothing counted) with the limit and when the window resets;
    /// `Invalid` for `n == 0`, a malformed metric name or a per-request metric (use
    /// [`Store::check_limit`]); `NotFound` for an unknown user.
    pub async fn consume(&self, user_id: Uuid, metric: &str, n: u32) -> Result<QuotaStatus> {
        validate_metric(metric)?;
        if n == 0 {
            return Err(StoreError::invalid("n", "must be at least 1"));
        }
        let window = QuotaWindow::for_metric(metric);
        if window == QuotaWindow::PerRequest {
            return Err(StoreError::invalid(
                "metric",
                format!("{metric} is a per-request limit: use check_limit"),
            ));
        }
        let now = self.now();
        let bounds = window.bounds(now);
        let resets_at = bounds.map(|(_, end)| end);
        let Some(limit) = self.limit_of(user_id, metric).await? else {
            crate::users::fetch_user(&self.pool, user_id).await?;
            return Ok(QuotaStatus {
                metric: metric.to_owned(),
                used: 0,
                limit: None,
                remaining: None,
                resets_at,
            });
        };
        let (start, end) = match bounds {
            Some((s, e)) => (fmt_time(s), fmt_time(e)),
            None => (NO_WINDOW_START.to_owned(), NO_WINDOW_END.to_owned()),
        };
        let row: Option<(i64, i64)> = sqlx::query_as(
            "INSERT INTO plan_usage (id, user_id, metric, window_start, window_end, used, \
             plan_limit, updated_at) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE ?6 <= ?7 \
             ON CONFLICT (user_id, metric, window_start) DO UPDATE SET \
               used = plan_usage.used + excluded.used, \
               plan_limit = excluded.plan_limit, \
               updated_at = excluded.updated_at \
             WHERE plan_usage.used + excluded.used <= excluded.plan_limit \
             RETURNING used, plan_limit",
        )
        .bind(id_text(Uuid::now_v7()))
        .bind(id_text(user_id))
        .bind(metric)
        .bind(start)
        .bind(end)
        .bind(i64::from(n))
        .bind(limit)
        .bind(fmt_time(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| StoreError::from(e).fk_as_not_found("user", user_id))?;
        match row {
            Some((used, limit)) => Ok(QuotaStatus {
                metric: metric.to_owned(),
                used,
                limit: Some(limit),
                remaining: Some(limit - used),
                resets_at,
            }),
            None => Err(StoreError::QuotaExceeded {
                metric: metric.to_owned(),
                limit,
                resets_at,
            }),
        }
    }

    /// Gives back `n` uses of a standing count (e.g. a paper run stopped); the count never
    /// goes below zero. Returns the state after.
    ///
    /// # Errors
    ///
    /// `Invalid` for a malformed metric or `n == 0`; `Storage`.
    pub async fn release(&self, user_id: Uuid, metric: &str, n: u32) -> Result<QuotaStatus> {
        validate_metric(metric)?;
        if n == 0 {
            return Err(StoreError::invalid("n", "must be at least 1"));
        }
        let now = self.now();
        let bounds = QuotaWindow::for_metric(metric).bounds(now);
        let start = bounds.map_or_else(|| NO_WINDOW_START.to_owned(), |(s, _)| fmt_time(s));
        sqlx::query(
            "UPDATE plan_usage SET used = MAX(used - ?, 0), updated_at = ? \
             WHERE user_id = ? AND metric = ? AND window_start = ?",
        )
        .bind(i64::from(n))
        .bind(fmt_time(now))
        .bind(id_text(user_id))
        .bind(metric)
        .bind(start)
        .execute(&self.pool)
        .await?;
        self.quota_status(user_id, metric).await
    }

    /// Checks a per-request size (e.g. `cohort_size`) against the plan; nothing is
    /// counted. Returns the limit state with `used = n`.
    ///
    /// # Errors
    ///
    /// `QuotaExceeded` (with `resets_at = None`) when `n` is over the limit; `Invalid` for a
    /// malformed metric.
    pub async fn check_limit(&self, user_id: Uuid, metric: &str, n: u64) -> Result<QuotaStatus> {
        validate_metric(metric)?;
        let used = i64::try_from(n).unwrap_or(i64::MAX);
        match self.limit_of(user_id, metric).await? {
            Some(limit) if used > limit => Err(StoreError::QuotaExceeded {
                metric: metric.to_owned(),
                limit,
                resets_at: None,
            }),
            limit => Ok(QuotaStatus {
                metric: metric.to_owned(),
                used,
                limit,
                remaining: limit.map(|l| l - used),
                resets_at: None,
            }),
        }
    }

    /// The use of `metric` in the current window, without counting.
    ///
    /// # Errors
    ///
    /// `Invalid` for a malformed metric; `Storage`.
    pub async fn quota_status(&self, user_id: Uuid, metric: &str) -> Result<QuotaStatus> {
        validate_metric(metric)?;
        let now = self.now();
        let bounds = QuotaWindow::for_metric(metric).bounds(now);
        let start = bounds.map_or_else(|| NO_WINDOW_START.to_owned(), |(s, _)| fmt_time(s));
        let used: Option<(i64,)> = sqlx::query_as(
            "SELECT used FROM plan_usage WHERE user_id = ? AND metric = ? AND window_start = ?",
        )
        .bind(id_text(user_id))
        .bind(metric)
        .bind(start)
        .fetch_optional(&self.pool)
        .await?;
        let used = used.map_or(0, |(u,)| u);
        let limit = self.limit_of(user_id, metric).await?;
        Ok(QuotaStatus {
            metric: metric.to_owned(),
            used,
            limit,
            remaining: limit.map(|l| (l - used).max(0)),
            resets_at: bounds.map(|(_, e)| e),
        })
    }
}
