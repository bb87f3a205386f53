//! Educators, reviewers and administrators on the shared server: templates (publish through a
//! review, gallery, show, clone, withdraw), the review queue and decisions, cohorts, roles.
//! Every call goes to the server's functions, which check the user's roles and decide what
//! they may see (`stratagraph_store::remote` educators functions); nothing is filtered here.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::PgPool;
use stratagraph_store::publish_checks::{publish_checks, PublishCheck};
use stratagraph_store::remote::{
    self, Publish, ReviewRow, SyncError, SyncResult, Syncer, TemplateRow,
};
use stratagraph_store::{
    decimate_equity, ComplianceEvent, ComplianceStatus, NewComplianceEvent, RunFilter, RunStatus,
    Store, StoreError, PUBLISH_ENTITY,
};
use ts_rs::TS;
use uuid::Uuid;

use crate::error::{ApiResult, ErrorCode, IpcError};
use crate::sync::{connect, sync_error};
use crate::{parse_uuid, time_text, Ctx};

/// A template the server shows this user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TemplateItem {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// `public`, `organisation`, `cohort` (older: `students`, `private`).
    pub audience: String,
    /// The cohort's name, for a cohort template.
    pub cohort: Option<String>,
    /// The educator's user id.
    pub educator_id: Option<String>,
    /// The version the audience sees.
    pub version_id: String,
    /// Times cloned.
    pub clone_count: i32,
    /// `approved`, `awaiting_review` or `withdrawn`.
    pub state: String,
    /// Whether a review of it is open.
    pub under_review: bool,
}

/// One automatic check of a submission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CheckItem {
    /// `reference_run`, `costs_on`, `min_trades`, `no_performance_promises`, `reproducible`.
    pub check: String,
    /// Passed?
    pub passed: bool,
    /// `error` (blocks approval) or `warning`.
    pub severity: String,
    /// What was found.
    pub detail: String,
}

/// A review of a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReviewItem {
    /// Review id.
    pub id: String,
    /// Template id.
    pub template_id: String,
    /// Title submitted.
    pub title: String,
    /// The educator's user id.
    pub educator_id: Option<String>,
    /// The version submitted.
    pub version_id: Option<String>,
    /// SHA-256 of the submitted graph.
    pub content_hash: Option<String>,
    /// The version the audience sees now (to diff against).
    pub approved_version_id: Option<String>,
    /// `open`, `approved`, `rejected`.
    pub status: String,
    /// The reviewer's reason.
    pub reason: Option<String>,
    /// Automatic checks.
    pub checks: Vec<CheckItem>,
    /// The reference run's summary, as the educator's app shared it with reviewers.
    pub reference_run: Option<ReferenceRun>,
    /// Submitted at, ISO 8601.
    pub submitted_at: String,
}

/// A reference run as reviewers and the audience see it: its metrics, its equity curve
/// (decimated by the server to at most 301 points, or 200 as the educator's app shared it)
/// and its drawdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReferenceRun {
    /// The run's id (on the educator's device and the server).
    pub run_id: String,
    /// Summary metrics (`trades`, `total_return_pct`, `max_drawdown_pct`, `sharpe` …).
    #[ts(type = "Record<string, number | boolean | null>")]
    pub metrics: Value,
    /// Equity curve: `[time in ms UTC, equity]`.
    pub equity: Vec<(f64, f64)>,
    /// Drawdown: `[time in ms UTC, percent below the running peak]` (empty when the summary
    /// came from the educator's app).
    pub drawdown: Vec<(f64, f64)>,
}

/// Points of the reference run's equity curve shared with reviewers.
const REFERENCE_POINTS: usize = 200;

fn reference_item(v: &Value) -> Option<ReferenceRun> {
    let points = |key: &str| {
        v.get(key)
            .and_then(Value::as_array)
            .map(|pts| {
                pts.iter()
                    .filter_map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
                    .collect()
            })
            .unwrap_or_default()
    };
    Some(ReferenceRun {
        run_id: v.get("run_id")?.as_str()?.to_owned(),
        metrics: v.get("metrics").cloned().unwrap_or(Value::Null),
        equity: points("equity"),
        drawdown: points("drawdown"),
    })
}

/// `templateShow`: a template with its description, reviews and who cloned it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TemplateDetailItem {
    /// The template.
    pub template: TemplateItem,
    /// Description.
    pub description: String,
    /// Reviews, newest first.
    pub reviews: Vec<ReviewItem>,
    /// User ids of those who cloned it (its educator sees them).
    pub cloned_by: Vec<String>,
    /// The reference run of the version the caller sees, as the server answers it.
    pub reference_run: Option<ReferenceRun>,
}

/// `templatePublish` input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PublishInput {
    /// Strategy id.
    pub strategy_id: String,
    /// Version number.
    pub version: i32,
    /// Title (no performance promises).
    pub title: String,
    /// Description.
    pub description: String,
    /// `public`, `organisation` or `cohort`.
    pub audience: String,
    /// Cohort id or name, for `cohort`.
    pub cohort: Option<String>,
    /// An existing template of yours to submit a new version of.
    pub template_id: Option<String>,
}

/// `templatePublish` result: the template, its review and the automatic checks; or, when
/// the server could not be reached, the submission waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PublishResult {
    /// Template id (`null` while queued).
    pub template_id: Option<String>,
    /// Review id (`null` while queued).
    pub review_id: Option<String>,
    /// The server's automatic checks; while queued, the same checks computed here.
    pub checks: Vec<CheckItem>,
    /// The server could not be reached: the submission waits in the outbox and is sent
    /// after the next sync.
    pub queued: bool,
}

/// `templatePreflight` input: what the publish form holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PreflightInput {
    /// Strategy id.
    pub strategy_id: String,
    /// Version number.
    pub version: i32,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
}

/// A submission waiting in the outbox (the server could not be reached when it was made).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PendingPublish {
    /// The queued event's id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Audience.
    pub audience: String,
    /// The version submitted.
    pub version_id: String,
    /// Queued at, ISO 8601.
    pub queued_at: String,
}

/// A version's graph as the server shows it (a template's, or one under review).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TemplateVersion {
    /// The version's id.
    pub version_id: String,
    /// The graph document.
    #[ts(as = "crate::dto::GraphJson")]
    pub graph: Value,
    /// SHA-256 the server pins on approval.
    pub content_hash: String,
}

/// A cohort.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CohortItem {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// The educator's user id.
    pub educator_id: String,
    /// Members you may see.
    pub members: i64,
}

fn template_item(t: TemplateRow) -> TemplateItem {
    let state = if t.withdrawn_at.is_some() {
        "withdrawn"
    } else if t.approved_hash.is_some() {
        "approved"
    } else {
        "awaiting_review"
    };
    TemplateItem {
        id: t.id.to_string(),
        title: t.title,
        audience: t.audience,
        cohort: t.cohort,
        educator_id: t.educator_id.map(|u| u.to_string()),
        version_id: t.strategy_version_id.to_string(),
        clone_count: t.clone_count,
        state: state.to_owned(),
        under_review: t.under_review,
    }
}

fn local_check_item(c: PublishCheck) -> CheckItem {
    CheckItem {
        check: c.check,
        passed: c.passed,
        severity: c.severity,
        detail: c.detail,
    }
}

fn check_item(c: remote::Check) -> CheckItem {
    CheckItem {
        check: c.check,
        passed: c.passed,
        severity: c.severity,
        detail: c.detail,
    }
}

fn review_item(r: ReviewRow) -> ReviewItem {
    ReviewItem {
        id: r.id.to_string(),
        template_id: r.template_id.to_string(),
        title: r.title,
        educator_id: r.educator_id.map(|u| u.to_string()),
        version_id: r.strategy_version_id.map(|u| u.to_string()),
        content_hash: r.content_hash,
        approved_version_id: r.approved_version_id.map(|u| u.to_string()),
        status: r.status,
        reason: r.reason,
        checks: r.checks.into_iter().map(check_item).collect(),
        reference_run: r.reference_run.as_ref().and_then(reference_item),
        submitted_at: time_text(r.submitted_at),
    }
}

/// Connects, runs `job` on the server and closes the connection.
async fn on_server<T, F, Fut>(ctx: &Ctx, job: F) -> ApiResult<T>
where
    F: FnOnce(Syncer) -> Fut,
    Fut: std::future::Future<Output = (Syncer, SyncResult<T>)>,
{
    let syncer = connect(ctx).await?;
    let (syncer, out) = job(syncer).await;
    syncer.pool().close().await;
    out.map_err(sync_error)
}

/// `templatesList`: the templates the server shows you (`mine`: only yours). Submissions
/// waiting in the outbox are sent first.
///
/// # Errors
///
/// `not_configured`, `auth`, `unreachable`, `remote`.
pub async fn templates_list(ctx: &Ctx, mine: bool) -> ApiResult<Vec<TemplateItem>> {
    let waiting = !ctx
        .store
        .pending_publish_requests(ctx.user_id().await?)
        .await?
        .is_empty();
    let rows = on_server(ctx, |s| async move {
        // Submissions queued offline go first (after a push, so their versions are there).
        let sent = if waiting {
            match s.push(None).await {
                Ok(_) => send_pending(&ctx.store, s.pool()).await,
                Err(e) => Err(e),
            }
        } else {
            Ok(())
        };
        let r = match sent {
            Ok(()) => remote::list_templates(s.pool(), mine).await,
            Err(e) => Err(e),
        };
        (s, r)
    })
    .await?;
    Ok(rows.into_iter().map(template_item).collect())
}

/// `templateShow`.
///
/// # Errors
///
/// `invalid` for a bad id or a template you may not see; connection errors.
pub async fn template_show(ctx: &Ctx, id: &str) -> ApiResult<TemplateDetailItem> {
    let id = parse_uuid("template", id)?;
    let d = on_server(ctx, |s| async move {
        let r = remote::show_template(s.pool(), id).await;
        (s, r)
    })
    .await?;
    Ok(TemplateDetailItem {
        template: template_item(d.template),
        description: d.description,
        reviews: d.reviews.into_iter().map(review_item).collect(),
        cloned_by: d.cloned_by.iter().map(ToString::to_string).collect(),
        reference_run: d.reference_run.as_ref().and_then(reference_item),
    })
}

/// `templatePreflight`: the automatic checks computed here for the version's latest
/// completed run, before anything is sent (the server runs the same rules on publishing).
///
/// # Errors
///
/// `not_found` for an unknown strategy or version; `storage`.
pub async fn template_preflight(ctx: &Ctx, input: PreflightInput) -> ApiResult<Vec<CheckItem>> {
    let strategy = parse_uuid("strategy", &input.strategy_id)?;
    let version = ctx.store.load_version(strategy, input.version).await?;
    local_checks(ctx, version.id, &input.title, &input.description).await
}

async fn local_checks(
    ctx: &Ctx,
    version: Uuid,
    title: &str,
    description: &str,
) -> ApiResult<Vec<CheckItem>> {
    let runs = ctx
        .store
        .list_runs(&RunFilter {
            strategy_version_id: Some(version),
            status: Some(RunStatus::Completed),
            limit: Some(1),
            ..RunFilter::default()
        })
        .await?;
    Ok(publish_checks(runs.first(), title.trim(), description)
        .into_iter()
        .map(local_check_item)
        .collect())
}

/// `templatePublish`: pushes this device's changes (the version and its runs), then submits
/// the version for review; returns the automatic checks' results. When the server cannot be
/// reached the submission waits in the outbox (`queued`, with the checks computed here) and
/// is sent after the next sync.
///
/// # Errors
///
/// `forbidden` without the educator role; `quota_exceeded`; `invalid` for a bad title,
/// audience or cohort; `not_found` for an unknown strategy or version; `not_configured`
/// (publishing needs the server); `auth`, `remote`.
pub async fn template_publish(ctx: &Ctx, input: PublishInput) -> ApiResult<PublishResult> {
    let strategy = parse_uuid("strategy", &input.strategy_id)?;
    let template_id = input
        .template_id
        .as_deref()
        .map(|t| parse_uuid("template", t))
        .transpose()?;
    let version = ctx.store.load_version(strategy, input.version).await?;
    let title = input.title.trim().to_owned();
    if title.is_empty() {
        return Err(IpcError::invalid("A template needs a title"));
    }
    if !matches!(
        input.audience.as_str(),
        "public" | "organisation" | "cohort"
    ) {
        return Err(IpcError::invalid(format!(
            "Unknown audience \"{}\": use public, organisation or cohort",
            input.audience
        )));
    }
    let publish = Publish {
        template_id,
        strategy_version_id: version.id,
        title,
        description: input.description,
        audience: input.audience,
        cohort: input.cohort.filter(|c| !c.trim().is_empty()),
        reference_run: None,
    };
    // Before the push, so reviewers find the run's summary with the submission.
    share_reference_run(ctx, version.id).await?;
    let kept = publish.clone();
    let sent = on_server(ctx, |s| async move {
        let r = match s.push(None).await {
            Ok(_) => match send_pending(&ctx.store, s.pool()).await {
                Ok(()) => remote::publish_template(s.pool(), &publish).await,
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        (s, r)
    })
    .await;
    match sent {
        Ok(p) => Ok(PublishResult {
            template_id: Some(p.template_id.to_string()),
            review_id: Some(p.review_id.to_string()),
            checks: p.checks.into_iter().map(check_item).collect(),
            queued: false,
        }),
        Err(e) if e.code == ErrorCode::Unreachable => queue(ctx, &kept).await,
        Err(e) => Err(e),
    }
}

/// Shares the version's reference run (its latest completed run here) with reviewers: a
/// `reference_run` audit event about the version with the run's metrics, parameters and its
/// equity curve decimated to 200 points, which syncs like any audit event (reviewers may
/// read them; the run itself stays the educator's). Recorded once per run.
async fn share_reference_run(ctx: &Ctx, version: Uuid) -> ApiResult<()> {
    let runs = ctx
        .store
        .list_runs(&RunFilter {
            strategy_version_id: Some(version),
            status: Some(RunStatus::Completed),
            limit: Some(1),
            ..RunFilter::default()
        })
        .await?;
    let Some(run) = runs.first() else {
        return Ok(());
    };
    let shared = ctx
        .store
        .compliance_events_for(PUBLISH_ENTITY, version)
        .await?
        .iter()
        .any(|e| e.event_type == REFERENCE_RUN && e.payload["run_id"] == run.id.to_string());
    if shared {
        return Ok(());
    }
    let equity = match ctx.store.run_details_head(run.id).await {
        Ok(head) => decimate_equity(&head.equity, REFERENCE_POINTS),
        Err(StoreError::NotFound { .. }) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let payload = json!({
        "run_id": run.id.to_string(),
        "metrics": run.metrics,
        "parameters": run.parameters,
        "equity": equity.iter().map(|p| json!([p.t, p.v])).collect::<Vec<_>>(),
    });
    ctx.store
        .record_compliance_event(&NewComplianceEvent {
            entity_type: PUBLISH_ENTITY.to_owned(),
            entity_id: version,
            event_type: REFERENCE_RUN.to_owned(),
            payload,
            status: ComplianceStatus::Recorded,
            created_by: Some(ctx.user_id().await?),
        })
        .await?;
    Ok(())
}

/// The event type under which the educator's app shares a reference run with reviewers.
const REFERENCE_RUN: &str = "reference_run";

/// Puts a submission in the outbox; returns it as queued with the checks computed here.
async fn queue(ctx: &Ctx, p: &Publish) -> ApiResult<PublishResult> {
    // The template's id is chosen now: a submission sent twice (from a second device of the
    // same user before this one records it as sent) resubmits the same template.
    let submission = json!({
        "strategy_version_id": p.strategy_version_id,
        "template_id": p.template_id.unwrap_or_else(Uuid::now_v7),
        "title": p.title,
        "description": p.description,
        "audience": p.audience,
        "cohort": p.cohort,
    });
    let user = ctx.user_id().await?;
    ctx.store
        .queue_publish_request(p.strategy_version_id, Some(user), &submission)
        .await?;
    Ok(PublishResult {
        template_id: None,
        review_id: None,
        checks: local_checks(ctx, p.strategy_version_id, &p.title, &p.description).await?,
        queued: true,
    })
}

/// The submission a queued event holds.
fn queued_publish(e: &ComplianceEvent) -> Option<Publish> {
    let text = |k: &str| e.payload.get(k).and_then(Value::as_str).map(str::to_owned);
    let id = |k: &str| text(k).and_then(|t| Uuid::parse_str(&t).ok());
    Some(Publish {
        template_id: id("template_id"),
        strategy_version_id: id("strategy_version_id")?,
        title: text("title")?,
        description: text("description").unwrap_or_default(),
        audience: text("audience")?,
        cohort: text("cohort"),
        reference_run: None,
    })
}

/// Sends the submissions waiting in the outbox (after a push, so their versions and runs
/// are on the server), oldest first. Each is closed here as sent (with its template and
/// review) or as refused with the server's reason; a lost connection leaves the rest
/// waiting for the next sync.
///
/// # Errors
///
/// `Interrupted`/`Unreachable` when the connection drops; `Local` for the store.
pub(crate) async fn send_pending(store: &Store, pool: &PgPool) -> SyncResult<()> {
    let Some(me) = store.profile_id().await? else {
        return Ok(());
    };
    for event in store.pending_publish_requests(me).await? {
        let outcome = match queued_publish(&event) {
            None => Err(SyncError::Refused(
                "the queued submission cannot be read".into(),
            )),
            Some(p) => remote::publish_template(pool, &p).await,
        };
        let (sent, detail) = match outcome {
            Ok(p) => (
                true,
                json!({"template_id": p.template_id, "review_id": p.review_id}),
            ),
            Err(e) if e.is_transient() => return Err(e),
            Err(e) => (false, json!({"reason": sync_error(e).message})),
        };
        store
            .finish_publish_request(event.id, sent, &detail)
            .await?;
    }
    Ok(())
}

/// `templatesPending`: the submissions waiting in the outbox.
///
/// # Errors
///
/// `storage`.
pub async fn templates_pending(ctx: &Ctx) -> ApiResult<Vec<PendingPublish>> {
    Ok(ctx
        .store
        .pending_publish_requests(ctx.user_id().await?)
        .await?
        .iter()
        .filter_map(|e| {
            let p = queued_publish(e)?;
            Some(PendingPublish {
                id: e.id.to_string(),
                title: p.title,
                audience: p.cohort.map_or(p.audience, |c| format!("cohort {c}")),
                version_id: p.strategy_version_id.to_string(),
                queued_at: time_text(e.created_at),
            })
        })
        .collect())
}

/// `templateVersion`: a version's graph as the server shows it to you (a template's for
/// its audience, a submitted one for reviewers), for a read-only preview or a diff.
///
/// # Errors
///
/// `invalid` for a bad id or a version you may not see; connection errors.
pub async fn template_version(ctx: &Ctx, version_id: &str) -> ApiResult<TemplateVersion> {
    let id = parse_uuid("version", version_id)?;
    let (graph, content_hash) = on_server(ctx, |s| async move {
        let r = remote::version_graph(s.pool(), id).await;
        (s, r)
    })
    .await?;
    Ok(TemplateVersion {
        version_id: id.to_string(),
        graph,
        content_hash,
    })
}

/// `templateClone`: clones into your library on the server and pulls it here; returns the
/// new strategy's id.
///
/// # Errors
///
/// `invalid` when you may not see the template; connection errors.
pub async fn template_clone(ctx: &Ctx, id: &str) -> ApiResult<String> {
    let id = parse_uuid("template", id)?;
    let (strategy, _) = on_server(ctx, |s| async move {
        let r = match remote::clone_template(s.pool(), id).await {
            Ok(ids) => s.pull(None).await.map(|_| ids),
            Err(e) => Err(e),
        };
        (s, r)
    })
    .await?;
    Ok(strategy.to_string())
}

/// `templateWithdraw`.
///
/// # Errors
///
/// `invalid` when it is not yours; connection errors.
pub async fn template_withdraw(ctx: &Ctx, id: &str) -> ApiResult<()> {
    let id = parse_uuid("template", id)?;
    on_server(ctx, |s| async move {
        let r = remote::withdraw_template(s.pool(), id).await;
        (s, r)
    })
    .await
}

/// `reviewQueue`: open reviews with their checks (reviewers).
///
/// # Errors
///
/// `forbidden` without the reviewer role; connection errors.
pub async fn review_queue(ctx: &Ctx) -> ApiResult<Vec<ReviewItem>> {
    let rows = on_server(ctx, |s| async move {
        let r = remote::review_queue(s.pool()).await;
        (s, r)
    })
    .await?;
    Ok(rows.into_iter().map(review_item).collect())
}

/// `reviewDecide`: approve or reject with a reason (the educator is notified); pulls after.
///
/// # Errors
///
/// `forbidden` (not a reviewer, own template); `invalid` (empty reason, decided review,
/// approval of failed checks); connection errors.
pub async fn review_decide(ctx: &Ctx, id: &str, approve: bool, reason: &str) -> ApiResult<()> {
    let id = parse_uuid("review", id)?;
    let reason = reason.trim().to_owned();
    on_server(ctx, |s| async move {
        let r = match remote::decide_review(s.pool(), id, approve, &reason).await {
            Ok(_) => s.pull(None).await.map(|_| ()),
            Err(e) => Err(e),
        };
        (s, r)
    })
    .await
}

/// `cohortsList`.
///
/// # Errors
///
/// Connection errors.
pub async fn cohorts_list(ctx: &Ctx) -> ApiResult<Vec<CohortItem>> {
    let rows = on_server(ctx, |s| async move {
        let r = remote::list_cohorts(s.pool()).await;
        (s, r)
    })
    .await?;
    Ok(rows
        .into_iter()
        .map(|c| CohortItem {
            id: c.id.to_string(),
            name: c.name,
            educator_id: c.educator_id.to_string(),
            members: c.members,
        })
        .collect())
}

/// `cohortCreate`: returns the new cohort's id.
///
/// # Errors
///
/// `forbidden` without the educator role; `invalid` for a bad or duplicate name.
pub async fn cohort_create(ctx: &Ctx, name: &str) -> ApiResult<String> {
    let name = name.to_owned();
    let id = on_server(ctx, |s| async move {
        let r = remote::create_cohort(s.pool(), &name).await;
        (s, r)
    })
    .await?;
    Ok(id.to_string())
}

/// `cohortAdd`: adds members (user ids or e-mail addresses); returns their user ids.
///
/// # Errors
///
/// `invalid` for an unknown cohort or member; `quota_exceeded` when the cohort is full.
pub async fn cohort_add(ctx: &Ctx, cohort: &str, members: Vec<String>) -> ApiResult<Vec<String>> {
    let cohort = cohort.to_owned();
    let ids = on_server(ctx, |s| async move {
        let mut ids = Vec::new();
        for m in &members {
            match remote::add_to_cohort(s.pool(), &cohort, m).await {
                Ok(id) => ids.push(id.to_string()),
                Err(e) => return (s, Err(e)),
            }
        }
        (s, Ok(ids))
    })
    .await?;
    Ok(ids)
}

/// `adminGrant`: grants (or with `revoke` takes away) a role; returns the user's roles.
///
/// # Errors
///
/// `forbidden` for non-administrators; `invalid` for an unknown role or user.
pub async fn admin_grant(
    ctx: &Ctx,
    user: &str,
    role: &str,
    revoke: bool,
) -> ApiResult<Vec<String>> {
    let (user, role) = (user.to_owned(), role.to_owned());
    on_server(ctx, |s| async move {
        let r = remote::grant_role(s.pool(), &user, &role, !revoke).await;
        (s, r)
    })
    .await
}
