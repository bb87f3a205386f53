//! Educators on the shared server: roles, cohorts, templates published through a review,
//! the review queue and decisions, clones. Each call is one server function of
//! `migrations/remote/0007_educators.sql`, which checks the caller's roles and decides what the
//! caller may see; nothing here filters on the client.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use super::error::{classify, SyncError, SyncResult};

/// A server function's refusal as a [`SyncError`]: permission, quota, or the reason it gave.
fn refusal(e: sqlx::Error) -> SyncError {
    if let sqlx::Error::Database(db) = &e {
        let msg = db.message().to_owned();
        match db.code().as_deref() {
            Some("42501") => return SyncError::Permission(msg),
            Some("23514") if msg.starts_with("quota exceeded for ") => {
                let rest = &msg["quota exceeded for ".len()..];
                let (metric, limit) = rest.split_once(": limit ").unwrap_or((rest, "0"));
                return SyncError::QuotaExceeded {
                    metric: metric.to_owned(),
                    limit: limit.trim().parse().unwrap_or(0),
                };
            }
            Some("P0001" | "P0002" | "22023" | "55000" | "23505") => {
                return SyncError::Refused(msg)
            }
            _ => {}
        }
    }
    classify(e)
}

/// Grants (`grant`) or takes away `role` from the user named by id or e-mail address;
/// administrators only. Returns the user's roles after the change.
///
/// # Errors
///
/// `Permission` for a caller who is not an administrator; `Refused` for an unknown role or user.
pub async fn grant_role(
    pool: &PgPool,
    user: &str,
    role: &str,
    grant: bool,
) -> SyncResult<Vec<String>> {
    // The server refuses anyone else too; asking first gives the clearer message (a
    // non-administrator could not even look the user up).
    let admin: bool = sqlx::query_scalar("SELECT sg_is_admin()")
        .fetch_one(pool)
        .await
        .map_err(classify)?;
    if !admin {
        return Err(SyncError::Permission(
            "only an administrator grants roles".into(),
        ));
    }
    let user_id: Option<Uuid> = sqlx::query_scalar(
        "SELECT id FROM users WHERE id::text = lower($1) OR lower(email) = lower($1)",
    )
    .bind(user.trim())
    .fetch_optional(pool)
    .await
    .map_err(classify)?;
    let Some(user_id) = user_id else {
        return Err(SyncError::Refused(format!(
            "no user with the id or e-mail address \"{}\"",
            user.trim()
        )));
    };
    sqlx::query_scalar("SELECT sg_grant_role($1, $2, $3)")
        .bind(user_id)
        .bind(role)
        .bind(grant)
        .fetch_one(pool)
        .await
        .map_err(refusal)
}

/// One of the caller's cohorts (or one they are in).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CohortRow {
    /// Cohort id.
    pub id: Uuid,
    /// Its name, unique per educator.
    pub name: String,
    /// The educator who leads it.
    pub educator_id: Uuid,
    /// Members the caller may see (all of them for the educator, themself for a member).
    pub members: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// Creates a cohort led by the caller (an educator). Returns its id.
///
/// # Errors
///
/// `Permission` without the educator role; `Refused` for a bad or duplicate name.
pub async fn create_cohort(pool: &PgPool, name: &str) -> SyncResult<Uuid> {
    sqlx::query_scalar("SELECT sg_cohort_create($1, $2)")
        .bind(Uuid::now_v7())
        .bind(name)
        .fetch_one(pool)
        .await
        .map_err(refusal)
}

/// Resolves a cohort named by id or by the caller's name for it.
async fn cohort_id(pool: &PgPool, cohort: &str) -> SyncResult<Uuid> {
    let id: Option<Uuid> = sqlx::query_scalar(
        "SELECT id FROM cohorts WHERE id::text = lower($1) \
         OR (name = $1 AND educator_id = sg_current_user_id()) LIMIT 1",
    )
    .bind(cohort.trim())
    .fetch_optional(pool)
    .await
    .map_err(classify)?;
    id.ok_or_else(|| SyncError::Refused(format!("no cohort \"{}\" of yours", cohort.trim())))
}

/// Adds a member (user id or e-mail address) to one of the caller's cohorts (id or name),
/// within the plan's `cohort_size`. Returns the member's user id.
///
/// # Errors
///
/// `Refused` for an unknown cohort or user; `QuotaExceeded` when the cohort is full.
pub async fn add_to_cohort(pool: &PgPool, cohort: &str, member: &str) -> SyncResult<Uuid> {
    let id = cohort_id(pool, cohort).await?;
    sqlx::query_scalar("SELECT sg_cohort_add($1, $2)")
        .bind(id)
        .bind(member.trim())
        .fetch_one(pool)
        .await
        .map_err(refusal)
}

/// The cohorts the caller leads or is in, by name.
///
/// # Errors
///
/// `Interrupted`, `Remote`.
pub async fn list_cohorts(pool: &PgPool) -> SyncResult<Vec<CohortRow>> {
    let rows: Vec<(Uuid, String, Uuid, i64, DateTime<Utc>)> = sqlx::query_as(
        "SELECT c.id, c.name, c.educator_id, \
         (SELECT count(*) FROM cohort_members m WHERE m.cohort_id = c.id), c.created_at \
         FROM cohorts c ORDER BY c.name, c.id",
    )
    .fetch_all(pool)
    .await
    .map_err(classify)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, educator_id, members, created_at)| CohortRow {
            id,
            name,
            educator_id,
            members,
            created_at,
        })
        .collect())
}

/// What to publish.
#[derive(Debug, Clone)]
pub struct Publish {
    /// An existing template of the caller's to submit a new version of; `None` for a new one.
    pub template_id: Option<Uuid>,
    /// The strategy version (on the server: push it first).
    pub strategy_version_id: Uuid,
    /// Title shown to students.
    pub title: String,
    /// Description (the lesson's summary).
    pub description: String,
    /// `public`, `organisation` or `cohort`.
    pub audience: String,
    /// The cohort (id or name) when the audience is `cohort`.
    pub cohort: Option<String>,
    /// The reference run; `None` takes the version's latest completed run on the server.
    pub reference_run: Option<Uuid>,
}

/// One automatic check of a submission.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// `reference_run`, `costs_on`, `min_trades`, `no_performance_promises`, `reproducible`.
    pub check: String,
    /// Whether it passed.
    pub passed: bool,
    /// `error` (blocks approval) or `warning`.
    pub severity: String,
    /// What was found, in words.
    pub detail: String,
}

/// A submission: the template, its open review and the automatic checks' results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Published {
    /// Template id.
    pub template_id: Uuid,
    /// The review event a reviewer decides.
    pub review_id: Uuid,
    /// The automatic checks, in the order they ran.
    pub checks: Vec<Check>,
}

async fn checks_of(pool: &PgPool, review: Uuid) -> SyncResult<Vec<Check>> {
    let rows: Vec<(String, bool, String, String)> = sqlx::query_as(
        "SELECT payload->>'check', (payload->>'passed')::boolean, payload->>'severity', \
         payload->>'detail' FROM compliance_events WHERE event_type = 'automatic_check' \
         AND payload->>'review_id' = $1::text ORDER BY created_at, id",
    )
    .bind(review)
    .fetch_all(pool)
    .await
    .map_err(classify)?;
    Ok(rows
        .into_iter()
        .map(|(check, passed, severity, detail)| Check {
            check,
            passed,
            severity,
            detail,
        })
        .collect())
}

/// Publishes a version as a template (or submits a new version of one): the server runs the
/// automatic checks and opens a review; the audience sees nothing new until a reviewer
/// approves. A new template counts against the plan's `templates_published`.
///
/// # Errors
///
/// `Permission` without the educator role; `QuotaExceeded`; `Refused` for a bad title,
/// audience, cohort, or a version not on the server.
pub async fn publish_template(pool: &PgPool, p: &Publish) -> SyncResult<Published> {
    let cohort = match p.cohort.as_deref() {
        Some(c) => Some(cohort_id(pool, c).await?),
        None => None,
    };
    let template_id = p.template_id.unwrap_or_else(Uuid::now_v7);
    let review_id: Uuid =
        sqlx::query_scalar("SELECT sg_publish_template($1, $2, $3, $4, $5, $6, $7)")
            .bind(template_id)
            .bind(p.strategy_version_id)
            .bind(&p.title)
            .bind(&p.description)
            .bind(&p.audience)
            .bind(cohort)
            .bind(p.reference_run)
            .fetch_one(pool)
            .await
            .map_err(refusal)?;
    Ok(Published {
        template_id,
        review_id,
        checks: checks_of(pool, review_id).await?,
    })
}

/// A template the caller may see.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TemplateRow {
    /// Template id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// `public`, `organisation`, `cohort` (or the older `students`, `private`).
    pub audience: String,
    /// The cohort's name for a cohort template the caller may see it for.
    pub cohort: Option<String>,
    /// The educator.
    pub educator_id: Option<Uuid>,
    /// The version the audience sees.
    pub strategy_version_id: Uuid,
    /// How many times it was cloned.
    pub clone_count: i32,
    /// The content hash approved, if any.
    pub approved_hash: Option<String>,
    /// When it was withdrawn, if it was.
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// Whether a review of it is open.
    pub under_review: bool,
}

type TemplateTuple = (
    Uuid,
    Option<String>,
    String,
    Option<String>,
    Option<Uuid>,
    Uuid,
    i32,
    Option<String>,
    Option<DateTime<Utc>>,
    bool,
);

const TEMPLATE_SELECT: &str = "SELECT t.id, t.metadata->>'title', t.audience_scope, \
     (SELECT c.name FROM cohorts c WHERE c.id = t.cohort_id), t.educator_id, \
     t.strategy_version_id, t.clone_count, t.approved_hash, t.withdrawn_at, \
     EXISTS (SELECT 1 FROM compliance_events e WHERE e.entity_id = t.id \
             AND e.event_type = 'template_review' AND e.status = 'open') \
     FROM template_shares t";

fn template_row(t: TemplateTuple) -> TemplateRow {
    TemplateRow {
        id: t.0,
        title: t.1.unwrap_or_default(),
        audience: t.2,
        cohort: t.3,
        educator_id: t.4,
        strategy_version_id: t.5,
        clone_count: t.6,
        approved_hash: t.7,
        withdrawn_at: t.8,
        under_review: t.9,
    }
}

/// The templates the server shows the caller (their own, and those whose audience they are
/// in), newest first; `mine` keeps only the caller's own.
///
/// # Errors
///
/// `Interrupted`, `Remote`.
pub async fn list_templates(pool: &PgPool, mine: bool) -> SyncResult<Vec<TemplateRow>> {
    let rows: Vec<TemplateTuple> = sqlx::query_as(&format!(
        "{TEMPLATE_SELECT} WHERE NOT $1 OR t.educator_id = sg_current_user_id() \
         ORDER BY t.created_at DESC, t.id DESC"
    ))
    .bind(mine)
    .fetch_all(pool)
    .await
    .map_err(classify)?;
    Ok(rows.into_iter().map(template_row).collect())
}

/// A template with its description and its reviews (for its educator and reviewers).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TemplateDetail {
    /// The template.
    pub template: TemplateRow,
    /// Its description.
    pub description: String,
    /// Its reviews, newest first, with their automatic checks.
    pub reviews: Vec<ReviewRow>,
    /// Who cloned it (user ids; its educator sees them).
    pub cloned_by: Vec<Uuid>,
    /// The reference run of the version the caller sees, from the server (see
    /// [`template_reference_run`]).
    pub reference_run: Option<Value>,
}

/// A review of a template.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewRow {
    /// The review event's id.
    pub id: Uuid,
    /// The template.
    pub template_id: Uuid,
    /// The title submitted.
    pub title: String,
    /// The educator who submitted it.
    pub educator_id: Option<Uuid>,
    /// The version submitted and its content hash.
    pub strategy_version_id: Option<Uuid>,
    /// SHA-256 of the submitted version's graph.
    pub content_hash: Option<String>,
    /// The version the audience sees now (to diff against), if any was approved.
    pub approved_version_id: Option<Uuid>,
    /// `open`, `approved` or `rejected`.
    pub status: String,
    /// The reviewer's reason, once decided.
    pub reason: Option<String>,
    /// How many automatic checks failed with severity `error`.
    pub failed_checks: i64,
    /// The reference run as the educator's device shared it with reviewers (a
    /// `reference_run` audit event about the version: run id, metrics, parameters and a
    /// decimated equity curve), if it did.
    pub reference_run: Option<Value>,
    /// The automatic checks.
    pub checks: Vec<Check>,
    /// When it was submitted.
    pub submitted_at: DateTime<Utc>,
}

type ReviewTuple = (Uuid, Uuid, Value, String, Option<Uuid>, DateTime<Utc>);

async fn reviews(
    pool: &PgPool,
    template: Option<Uuid>,
    open_only: bool,
) -> SyncResult<Vec<ReviewRow>> {
    let rows: Vec<ReviewTuple> = sqlx::query_as(
        "SELECT id, entity_id, payload, status, created_by, created_at FROM compliance_events \
         WHERE event_type = 'template_review' AND ($1::uuid IS NULL OR entity_id = $1) \
         AND (NOT $2 OR status = 'open') ORDER BY created_at DESC, id DESC",
    )
    .bind(template)
    .bind(open_only)
    .fetch_all(pool)
    .await
    .map_err(classify)?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, template_id, payload, status, educator_id, submitted_at) in rows {
        let version: Option<Uuid> = payload
            .get("strategy_version_id")
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok());
        // The server's answer first; the educator's shared summary when the server has no
        // curve of the run (the educator's device does not sync run details) or no run.
        let reference_run = match (version, educator_id) {
            (Some(v), e) => {
                let served = template_reference_run(pool, template_id, Some(v)).await?;
                let has_curve = served
                    .as_ref()
                    .and_then(|r| r["equity"].as_array())
                    .is_some_and(|pts| !pts.is_empty());
                let shared = match (has_curve, e) {
                    (false, Some(e)) => reference_run(pool, v, e).await?,
                    _ => None,
                };
                shared.or(served)
            }
            _ => None,
        };
        let uuid = |k: &str| {
            payload
                .get(k)
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok())
        };
        let text = |k: &str| payload.get(k).and_then(Value::as_str).map(str::to_owned);
        out.push(ReviewRow {
            id,
            template_id,
            title: text("title").unwrap_or_default(),
            educator_id,
            strategy_version_id: uuid("strategy_version_id"),
            content_hash: text("content_hash"),
            approved_version_id: uuid("approved_version_id"),
            status,
            reason: text("reason"),
            failed_checks: payload
                .get("failed_checks")
                .and_then(Value::as_i64)
                .unwrap_or(0),
            reference_run,
            checks: checks_of(pool, id).await?,
            submitted_at,
        });
    }
    Ok(out)
}

/// The reference run of a template's version (`None`: the version the audience sees) as the
/// server answers it (`sg_template_reference_run`, migration 0009) to those who may see the
/// template: the run the automatic checks accept, in the shape of the `reference_run` audit
/// event (`run_id`, `metrics`, `parameters`, `equity` as `[ms, value]` pairs of at most 301
/// points) plus `drawdown` (`[ms, percent below the running peak]`) and
/// `equity_points_full`. `None` for anyone else or when the server holds no such run.
///
/// # Errors
///
/// As [`classify`].
pub async fn template_reference_run(
    pool: &PgPool,
    template: Uuid,
    version: Option<Uuid>,
) -> SyncResult<Option<Value>> {
    let row: Option<(Option<Value>, Option<Vec<u8>>)> = sqlx::query_as(
        "SELECT j, decode(j ->> 'equity', 'base64') \
         FROM (SELECT sg_template_reference_run($1, $2) AS j) AS x",
    )
    .bind(template)
    .bind(version)
    .fetch_optional(pool)
    .await
    .map_err(classify)?;
    let Some((Some(mut run), blob)) = row else {
        return Ok(None);
    };
    let blob = blob.unwrap_or_default();
    let mut equity = Vec::with_capacity(blob.len() / 16);
    let mut drawdown = Vec::with_capacity(blob.len() / 16);
    let mut peak = f64::NEG_INFINITY;
    for point in blob.chunks_exact(16) {
        let (t, v) = point.split_at(8);
        let (Ok(t), Ok(v)) = (<[u8; 8]>::try_from(t), <[u8; 8]>::try_from(v)) else {
            continue;
        };
        // Milliseconds fit an f64 exactly for any date a chart shows.
        #[allow(clippy::cast_precision_loss)]
        let t = i64::from_le_bytes(t) as f64;
        let v = f64::from_le_bytes(v);
        peak = peak.max(v);
        let dd = if peak > 0.0 {
            (v / peak - 1.0) * 100.0
        } else {
            0.0
        };
        equity.push(serde_json::json!([t, v]));
        drawdown.push(serde_json::json!([t, dd]));
    }
    if let Some(obj) = run.as_object_mut() {
        obj.insert("equity".into(), Value::Array(equity));
        obj.insert("drawdown".into(), Value::Array(drawdown));
    }
    Ok(Some(run))
}

/// The newest `reference_run` event the educator recorded about a version (what reviewers
/// read of the run; the run itself stays the educator's).
async fn reference_run(pool: &PgPool, version: Uuid, educator: Uuid) -> SyncResult<Option<Value>> {
    sqlx::query_scalar(
        "SELECT payload FROM compliance_events WHERE event_type = 'reference_run' \
         AND entity_id = $1 AND created_by = $2 ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(version)
    .bind(educator)
    .fetch_optional(pool)
    .await
    .map_err(classify)
}

/// One template the caller may see, with its reviews and who cloned it.
///
/// # Errors
///
/// `Refused` when there is no such template for the caller.
pub async fn show_template(pool: &PgPool, id: Uuid) -> SyncResult<TemplateDetail> {
    let row: Option<TemplateTuple> = sqlx::query_as(&format!("{TEMPLATE_SELECT} WHERE t.id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(classify)?;
    let Some(t) = row else {
        return Err(SyncError::Refused(format!("no template {id} for you")));
    };
    let description: Option<String> =
        sqlx::query_scalar("SELECT metadata->>'description' FROM template_shares WHERE id = $1")
            .bind(id)
            .fetch_one(pool)
            .await
            .map_err(classify)?;
    let cloned_by: Vec<Uuid> = sqlx::query_scalar(
        "SELECT user_id FROM template_clones WHERE template_id = $1 ORDER BY cloned_at",
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .map_err(classify)?;
    Ok(TemplateDetail {
        template: template_row(t),
        description: description.unwrap_or_default(),
        reviews: reviews(pool, Some(id), false).await?,
        cloned_by,
        reference_run: template_reference_run(pool, id, None).await?,
    })
}

/// The open reviews the caller (a reviewer) may decide, newest first.
///
/// # Errors
///
/// `Permission` without the reviewer role.
pub async fn review_queue(pool: &PgPool) -> SyncResult<Vec<ReviewRow>> {
    let allowed: bool = sqlx::query_scalar(
        "SELECT sg_user_has_role(sg_current_user_id(), 'reviewer') \
         OR sg_user_has_role(sg_current_user_id(), 'admin')",
    )
    .fetch_one(pool)
    .await
    .map_err(classify)?;
    if !allowed {
        return Err(SyncError::Permission(
            "the review queue needs the reviewer role".into(),
        ));
    }
    reviews(pool, None, true).await
}

/// Approves (`approve`) or rejects an open review with a reason; the educator is notified.
/// Returns the template's id.
///
/// # Errors
///
/// `Permission` without the reviewer role or for one's own template; `Refused` for an empty
/// reason, a decided review, or an approval of a submission that failed its checks.
pub async fn decide_review(
    pool: &PgPool,
    review: Uuid,
    approve: bool,
    reason: &str,
) -> SyncResult<Uuid> {
    sqlx::query_scalar("SELECT sg_review_decide($1, $2, $3)")
        .bind(review)
        .bind(approve)
        .bind(reason)
        .fetch_one(pool)
        .await
        .map_err(refusal)
}

/// Withdraws one of the caller's templates: its audience stops seeing it.
///
/// # Errors
///
/// `Refused` when it is not the caller's.
pub async fn withdraw_template(pool: &PgPool, id: Uuid) -> SyncResult<()> {
    sqlx::query("SELECT sg_withdraw_template($1)")
        .bind(id)
        .execute(pool)
        .await
        .map_err(refusal)?;
    Ok(())
}

/// Clones the version a template shows the caller into a new strategy of theirs on the server
/// (pull to bring it to the device). Returns the new strategy's and version's ids.
///
/// # Errors
///
/// `Refused` when the caller may not see the template.
pub async fn clone_template(pool: &PgPool, id: Uuid) -> SyncResult<(Uuid, Uuid)> {
    let (strategy, version) = (Uuid::now_v7(), Uuid::now_v7());
    sqlx::query("SELECT sg_clone_template($1, $2, $3)")
        .bind(id)
        .bind(strategy)
        .bind(version)
        .execute(pool)
        .await
        .map_err(refusal)?;
    Ok((strategy, version))
}

/// A strategy version's graph as the server shows it to the caller: the educator's own, a
/// template's version for its audience, a submitted version for reviewers (row-level
/// security decides). Returns the graph and its content hash.
///
/// # Errors
///
/// `Refused` when the caller may not see the version.
pub async fn version_graph(pool: &PgPool, version: Uuid) -> SyncResult<(Value, String)> {
    let row: Option<(Value, String)> = sqlx::query_as(
        "SELECT graph_json, sg_graph_hash(graph_json) FROM strategy_versions WHERE id = $1",
    )
    .bind(version)
    .fetch_optional(pool)
    .await
    .map_err(classify)?;
    row.ok_or_else(|| SyncError::Refused(format!("no version {version} for you")))
}
