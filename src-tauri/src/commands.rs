//! The Tauri commands: one line each over `stratagraph_api`, named as in
//! `docs/ipc-contract.md` (snake_case here, camelCase in `ui/src/ipc/index.ts`).

use std::collections::BTreeMap;

use serde_json::Value;
use stratagraph_api::dto::*;
use stratagraph_api::{
    app, charts, datasets, educators, indicators, paper, runs, strategies, sync, IpcError,
};
use tauri::ipc::Channel;
use tauri::State;

use crate::AppState;

type Res<T> = Result<T, IpcError>;

fn sender(ch: Channel<Progress>) -> impl Fn(Progress) + Send + Sync + 'static {
    move |p| {
        let _ = ch.send(p);
    }
}

/// `appInfo`; the UI calls it once it is interactive, which the app records as "ready".
#[tauri::command]
pub async fn app_info(state: State<'_, AppState>) -> Res<AppInfo> {
    state.mark_ready();
    Ok(app::app_info(&*state.ctx().await?))
}

/// `catalog`.
#[tauri::command]
pub fn catalog() -> Res<Vec<NodeSpec>> {
    app::catalog()
}

/// `validateGraph`.
#[tauri::command]
pub fn validate_graph(graph: Value) -> Vec<Problem> {
    app::validate_graph(&graph)
}

/// `profileGet`.
#[tauri::command]
pub async fn profile_get(state: State<'_, AppState>) -> Res<Profile> {
    app::profile_get(&*state.ctx().await?).await
}

/// `profileUpdate`.
#[tauri::command]
pub async fn profile_update(
    state: State<'_, AppState>,
    display_name: String,
    email: String,
) -> Res<User> {
    app::profile_update(&*state.ctx().await?, &display_name, &email).await
}

/// `settingsGet`.
#[tauri::command]
pub async fn settings_get(state: State<'_, AppState>) -> Res<AppSettings> {
    Ok(app::settings_get(&*state.ctx().await?))
}

/// `settingsPut`.
#[tauri::command]
pub async fn settings_put(state: State<'_, AppState>, settings: AppSettings) -> Res<AppSettings> {
    app::settings_put(&*state.ctx().await?, settings)
}

/// `strategiesList`.
#[tauri::command]
pub async fn strategies_list(
    state: State<'_, AppState>,
    filter: Option<StrategyFilter>,
) -> Res<Vec<StrategySummary>> {
    strategies::list(&*state.ctx().await?, filter.unwrap_or_default()).await
}

/// `strategyCreate`.
#[tauri::command]
pub async fn strategy_create(
    state: State<'_, AppState>,
    title: String,
    example: Option<String>,
) -> Res<StrategyCreated> {
    strategies::create(&*state.ctx().await?, &title, example.as_deref()).await
}

/// `strategyDuplicate`.
#[tauri::command]
pub async fn strategy_duplicate(state: State<'_, AppState>, id: String) -> Res<Strategy> {
    strategies::duplicate(&*state.ctx().await?, &id).await
}

/// `strategyRename`.
#[tauri::command]
pub async fn strategy_rename(
    state: State<'_, AppState>,
    id: String,
    value: String,
) -> Res<Strategy> {
    strategies::rename(&*state.ctx().await?, &id, &value).await
}

/// `strategySetTags`.
#[tauri::command]
pub async fn strategy_set_tags(
    state: State<'_, AppState>,
    id: String,
    value: Vec<String>,
) -> Res<Strategy> {
    strategies::set_tags(&*state.ctx().await?, &id, &value).await
}

/// `strategySetStatus`.
#[tauri::command]
pub async fn strategy_set_status(
    state: State<'_, AppState>,
    id: String,
    value: StrategyStatus,
) -> Res<Strategy> {
    strategies::set_status(&*state.ctx().await?, &id, value).await
}

/// `strategySetVisibility`.
#[tauri::command]
pub async fn strategy_set_visibility(
    state: State<'_, AppState>,
    id: String,
    value: Visibility,
) -> Res<Strategy> {
    strategies::set_visibility(&*state.ctx().await?, &id, value).await
}

/// `strategyDelete`.
#[tauri::command]
pub async fn strategy_delete(state: State<'_, AppState>, id: String) -> Res<()> {
    strategies::delete(&*state.ctx().await?, &id).await
}

/// `strategyImport`.
#[tauri::command]
pub async fn strategy_import(state: State<'_, AppState>, path: String) -> Res<Strategy> {
    strategies::import(&*state.ctx().await?, &path).await
}

/// `strategyExport`.
#[tauri::command]
pub async fn strategy_export(state: State<'_, AppState>, id: String, path: String) -> Res<()> {
    strategies::export(&*state.ctx().await?, &id, &path).await
}

/// `versionsList`.
#[tauri::command]
pub async fn versions_list(
    state: State<'_, AppState>,
    strategy_id: String,
) -> Res<Vec<VersionSummary>> {
    strategies::versions_list(&*state.ctx().await?, &strategy_id).await
}

/// `versionGet`.
#[tauri::command]
pub async fn version_get(
    state: State<'_, AppState>,
    strategy_id: String,
    version: i32,
) -> Res<VersionDetail> {
    strategies::version_get(&*state.ctx().await?, &strategy_id, version).await
}

/// `versionSave`.
#[tauri::command]
pub async fn version_save(
    state: State<'_, AppState>,
    strategy_id: String,
    graph: Value,
    note: Option<String>,
) -> Res<VersionSummary> {
    strategies::version_save(&*state.ctx().await?, &strategy_id, &graph, note.as_deref()).await
}

/// `draftGet`.
#[tauri::command]
pub async fn draft_get(state: State<'_, AppState>, strategy_id: String) -> Res<Option<Value>> {
    strategies::draft_get(&*state.ctx().await?, &strategy_id)
}

/// `draftPut`.
#[tauri::command]
pub async fn draft_put(state: State<'_, AppState>, strategy_id: String, graph: Value) -> Res<()> {
    strategies::draft_put(&*state.ctx().await?, &strategy_id, &graph)
}

/// `draftClear`.
#[tauri::command]
pub async fn draft_clear(state: State<'_, AppState>, strategy_id: String) -> Res<()> {
    strategies::draft_clear(&*state.ctx().await?, &strategy_id)
}

/// `examplesList`.
#[tauri::command]
pub fn examples_list() -> Vec<ExampleInfo> {
    strategies::examples_list()
}

/// `datasetsList`.
#[tauri::command]
pub async fn datasets_list(state: State<'_, AppState>) -> Res<Vec<Dataset>> {
    datasets::list(&*state.ctx().await?)
}

/// `datasetPreview`.
#[tauri::command]
pub async fn dataset_preview(path: String) -> Res<DatasetPreview> {
    datasets::preview(&path)
}

/// `datasetImport`.
#[tauri::command]
pub async fn dataset_import(
    state: State<'_, AppState>,
    path: String,
    name: String,
    symbol: String,
    timeframe: String,
    on_progress: Channel<Progress>,
) -> Res<Dataset> {
    let req = datasets::ImportRequest {
        path,
        name,
        symbol,
        timeframe,
    };
    datasets::import(&*state.ctx().await?, req, sender(on_progress)).await
}

/// `datasetRename`.
#[tauri::command]
pub async fn dataset_rename(state: State<'_, AppState>, id: String, name: String) -> Res<Dataset> {
    datasets::rename(&*state.ctx().await?, &id, &name)
}

/// `datasetDelete`.
#[tauri::command]
pub async fn dataset_delete(state: State<'_, AppState>, id: String) -> Res<()> {
    datasets::delete(&*state.ctx().await?, &id)
}

/// `runBacktest`.
#[tauri::command]
pub async fn run_backtest(
    state: State<'_, AppState>,
    strategy_id: String,
    version: i32,
    dataset_id: String,
    params: Option<BTreeMap<String, f64>>,
    on_progress: Channel<Progress>,
) -> Res<RunDetail> {
    let req = runs::RunRequest {
        strategy_id,
        version,
        dataset_id,
        params: params.unwrap_or_default(),
    };
    runs::run_backtest(&*state.ctx().await?, req, sender(on_progress)).await
}

/// `jobCancel`.
#[tauri::command]
pub async fn job_cancel(state: State<'_, AppState>, job_id: String) -> Res<bool> {
    runs::job_cancel(&*state.ctx().await?, &job_id)
}

/// `runsList`.
#[tauri::command]
pub async fn runs_list(
    state: State<'_, AppState>,
    strategy_id: Option<String>,
) -> Res<Vec<RunSummary>> {
    runs::list(&*state.ctx().await?, strategy_id.as_deref()).await
}

/// `runGet`.
#[tauri::command]
pub async fn run_get(state: State<'_, AppState>, run_id: String) -> Res<RunDetail> {
    runs::get(&*state.ctx().await?, &run_id).await
}

/// `runTrades`.
#[tauri::command]
pub async fn run_trades(
    state: State<'_, AppState>,
    run_id: String,
    offset: u64,
    limit: Option<u64>,
    sort_key: Option<String>,
    desc: Option<bool>,
) -> Res<TradePage> {
    let req = runs::TradesRequest {
        run_id,
        offset,
        limit,
        sort_key,
        desc: desc.unwrap_or(false),
    };
    runs::trades(&*state.ctx().await?, req).await
}

/// `runDelete`.
#[tauri::command]
pub async fn run_delete(state: State<'_, AppState>, run_id: String) -> Res<()> {
    runs::delete(&*state.ctx().await?, &run_id).await
}

/// `runCompare`.
#[tauri::command]
pub async fn run_compare(
    state: State<'_, AppState>,
    run_id_a: String,
    run_id_b: String,
    width: Option<u32>,
    height: Option<u32>,
) -> Res<RunCompare> {
    runs::compare(&*state.ctx().await?, &run_id_a, &run_id_b, width, height).await
}

/// `nodeValues`.
#[tauri::command]
pub async fn node_values(state: State<'_, AppState>, run_id: String, bar: u32) -> Res<BarValues> {
    runs::node_values(&*state.ctx().await?, &run_id, bar).await
}

/// `runChart`.
#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub async fn run_chart(
    state: State<'_, AppState>,
    run_id: String,
    kind: String,
    from: Option<i64>,
    to: Option<i64>,
    width: Option<u32>,
    height: Option<u32>,
    indicators: Option<Vec<String>>,
    series: Option<String>,
) -> Res<ChartView> {
    let req = charts::ChartRequest {
        run_id,
        kind,
        from,
        to,
        width,
        height,
        indicators: indicators.unwrap_or_default(),
        series,
    };
    charts::run_chart(&*state.ctx().await?, req).await
}

/// `runIndicators`.
#[tauri::command]
pub async fn run_indicators(state: State<'_, AppState>, run_id: String) -> Res<Vec<IndicatorInfo>> {
    indicators::list(&*state.ctx().await?, &run_id).await
}

/// `runExportHtml`.
#[tauri::command]
pub async fn run_export_html(state: State<'_, AppState>, run_id: String, path: String) -> Res<()> {
    charts::run_export_html(&*state.ctx().await?, &run_id, &path).await
}

/// `chartExport`.
#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub async fn chart_export(
    state: State<'_, AppState>,
    run_id: String,
    kind: String,
    format: String,
    path: String,
    from: Option<i64>,
    to: Option<i64>,
    indicators: Option<Vec<String>>,
    series: Option<String>,
) -> Res<()> {
    let chart = charts::ChartRequest {
        run_id,
        kind,
        from,
        to,
        indicators: indicators.unwrap_or_default(),
        series,
        ..Default::default()
    };
    charts::chart_export(
        &*state.ctx().await?,
        charts::ExportRequest {
            chart,
            format,
            path,
        },
    )
    .await
}

/// `syncConfigure` (the password goes to the OS keyring only).
#[tauri::command]
pub async fn sync_configure(
    state: State<'_, AppState>,
    config: sync::SyncConfigInput,
) -> Res<sync::SyncStatus> {
    sync::configure(&*state.ctx().await?, config).await
}

/// `syncTest`.
#[tauri::command]
pub async fn sync_test(state: State<'_, AppState>) -> Res<sync::SyncTestResult> {
    sync::test(&*state.ctx().await?).await
}

/// `syncStatus`.
#[tauri::command]
pub async fn sync_status(state: State<'_, AppState>) -> Res<sync::SyncStatus> {
    sync::status(&*state.ctx().await?).await
}

/// `syncNow` (cancel with `jobCancel`).
#[tauri::command]
pub async fn sync_now(
    state: State<'_, AppState>,
    on_progress: Channel<Progress>,
) -> Res<sync::SyncSummary> {
    sync::sync_now(&*state.ctx().await?, sender(on_progress)).await
}

/// `syncSetAuto`.
#[tauri::command]
pub async fn sync_set_auto(
    state: State<'_, AppState>,
    enabled: bool,
    interval_secs: u32,
) -> Res<sync::SyncStatus> {
    sync::set_auto(&*state.ctx().await?, enabled, interval_secs).await
}

/// `syncConflictsRead`.
#[tauri::command]
pub async fn sync_conflicts_read(state: State<'_, AppState>) -> Res<sync::SyncStatus> {
    sync::conflicts_read(&*state.ctx().await?).await
}

/// `paperStart`.
#[tauri::command]
pub async fn paper_start(
    state: State<'_, AppState>,
    input: paper::PaperStartInput,
) -> Res<paper::PaperRunSummary> {
    paper::start_run(&*state.ctx().await?, input).await
}

/// `paperList`.
#[tauri::command]
pub async fn paper_list(state: State<'_, AppState>) -> Res<Vec<paper::PaperRunSummary>> {
    paper::list(&*state.ctx().await?).await
}

/// `paperGet`.
#[tauri::command]
pub async fn paper_get(state: State<'_, AppState>, id: String) -> Res<paper::PaperRunDetail> {
    paper::get(&*state.ctx().await?, &id).await
}

/// `paperSetStatus`: pause, resume (with a late-order decision) or stop.
#[tauri::command]
pub async fn paper_set_status(
    state: State<'_, AppState>,
    id: String,
    status: String,
    decision: Option<String>,
) -> Res<paper::PaperRunSummary> {
    paper::set_status(&*state.ctx().await?, &id, &status, decision.as_deref()).await
}

/// `paperReconcile`.
#[tauri::command]
pub async fn paper_reconcile(state: State<'_, AppState>, id: String) -> Res<Value> {
    paper::reconcile_run(&*state.ctx().await?, &id).await
}

/// `notificationsList`.
#[tauri::command]
pub async fn notifications_list(
    state: State<'_, AppState>,
    limit: Option<u32>,
) -> Res<paper::Inbox> {
    paper::inbox(&*state.ctx().await?, limit).await
}

/// `notificationsMarkRead`: one (`id`) or all.
#[tauri::command]
pub async fn notifications_mark_read(
    state: State<'_, AppState>,
    id: Option<String>,
) -> Res<paper::Inbox> {
    paper::mark_read(&*state.ctx().await?, id.as_deref()).await
}

/// `templatesList`.
#[tauri::command]
pub async fn templates_list(
    state: State<'_, AppState>,
    mine: bool,
) -> Res<Vec<educators::TemplateItem>> {
    educators::templates_list(&*state.ctx().await?, mine).await
}

/// `templateShow`.
#[tauri::command]
pub async fn template_show(
    state: State<'_, AppState>,
    id: String,
) -> Res<educators::TemplateDetailItem> {
    educators::template_show(&*state.ctx().await?, &id).await
}

/// `templatePublish`.
#[tauri::command]
pub async fn template_publish(
    state: State<'_, AppState>,
    input: educators::PublishInput,
) -> Res<educators::PublishResult> {
    educators::template_publish(&*state.ctx().await?, input).await
}

/// `templatePreflight`.
#[tauri::command]
pub async fn template_preflight(
    state: State<'_, AppState>,
    input: educators::PreflightInput,
) -> Res<Vec<educators::CheckItem>> {
    educators::template_preflight(&*state.ctx().await?, input).await
}

/// `templatesPending`.
#[tauri::command]
pub async fn templates_pending(state: State<'_, AppState>) -> Res<Vec<educators::PendingPublish>> {
    educators::templates_pending(&*state.ctx().await?).await
}

/// `templateVersion`.
#[tauri::command]
pub async fn template_version(
    state: State<'_, AppState>,
    version_id: String,
) -> Res<educators::TemplateVersion> {
    educators::template_version(&*state.ctx().await?, &version_id).await
}

/// `templateClone`.
#[tauri::command]
pub async fn template_clone(state: State<'_, AppState>, id: String) -> Res<String> {
    educators::template_clone(&*state.ctx().await?, &id).await
}

/// `templateWithdraw`.
#[tauri::command]
pub async fn template_withdraw(state: State<'_, AppState>, id: String) -> Res<()> {
    educators::template_withdraw(&*state.ctx().await?, &id).await
}

/// `reviewQueue`.
#[tauri::command]
pub async fn review_queue(state: State<'_, AppState>) -> Res<Vec<educators::ReviewItem>> {
    educators::review_queue(&*state.ctx().await?).await
}

/// `reviewDecide`.
#[tauri::command]
pub async fn review_decide(
    state: State<'_, AppState>,
    id: String,
    approve: bool,
    reason: String,
) -> Res<()> {
    educators::review_decide(&*state.ctx().await?, &id, approve, &reason).await
}

/// `cohortsList`.
#[tauri::command]
pub async fn cohorts_list(state: State<'_, AppState>) -> Res<Vec<educators::CohortItem>> {
    educators::cohorts_list(&*state.ctx().await?).await
}

/// `cohortCreate`.
#[tauri::command]
pub async fn cohort_create(state: State<'_, AppState>, name: String) -> Res<String> {
    educators::cohort_create(&*state.ctx().await?, &name).await
}

/// `cohortAdd`.
#[tauri::command]
pub async fn cohort_add(
    state: State<'_, AppState>,
    cohort: String,
    members: Vec<String>,
) -> Res<Vec<String>> {
    educators::cohort_add(&*state.ctx().await?, &cohort, members).await
}

/// `adminGrant`.
#[tauri::command]
pub async fn admin_grant(
    state: State<'_, AppState>,
    user: String,
    role: String,
    revoke: bool,
) -> Res<Vec<String>> {
    educators::admin_grant(&*state.ctx().await?, &user, &role, revoke).await
}
