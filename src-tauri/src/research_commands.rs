//! The research commands (sweeps, walk-forward, Monte Carlo, robustness): one line each over
//! `stratagraph_api::research`, named as in `docs/ipc-contract.md`.

use stratagraph_api::cluster::{self, ClusterScript, ClusterScriptInput, ClusterSweepItem};
use stratagraph_api::dto::Progress;
use stratagraph_api::research::{
    self, Heatmap, HeatmapRequest, MonteCarloDetail, Robustness, RunBreakdown, SweepInput,
    SweepPlan, SweepRequest, SweepRowPage, SweepSummary, WalkForwardDetail, WalkForwardRequest,
};
use stratagraph_api::IpcError;
use tauri::ipc::Channel;
use tauri::State;

use crate::AppState;

type Res<T> = Result<T, IpcError>;

fn sender(ch: Channel<Progress>) -> impl Fn(Progress) + Send + Sync + 'static {
    move |p| {
        let _ = ch.send(p);
    }
}

/// `sweepPlan`.
#[tauri::command]
pub async fn sweep_plan(
    state: State<'_, AppState>,
    strategy_id: String,
    version: i32,
    spec: SweepInput,
) -> Res<SweepPlan> {
    research::plan(&*state.ctx().await?, &strategy_id, version, &spec).await
}

/// `sweepStart`.
#[tauri::command]
pub async fn sweep_start(
    state: State<'_, AppState>,
    strategy_id: String,
    version: i32,
    dataset_id: String,
    spec: SweepInput,
    on_progress: Channel<Progress>,
) -> Res<SweepSummary> {
    let req = SweepRequest {
        strategy_id,
        version,
        dataset_id,
        input: spec,
    };
    research::start(&*state.ctx().await?, req, sender(on_progress)).await
}

/// `sweepsList`.
#[tauri::command]
pub async fn sweeps_list(
    state: State<'_, AppState>,
    strategy_id: Option<String>,
) -> Res<Vec<SweepSummary>> {
    research::list(&*state.ctx().await?, strategy_id.as_deref()).await
}

/// `sweepGet`.
#[tauri::command]
pub async fn sweep_get(state: State<'_, AppState>, sweep_id: String) -> Res<SweepSummary> {
    research::get(&*state.ctx().await?, &sweep_id).await
}

/// `sweepRows`.
#[tauri::command]
pub async fn sweep_rows(
    state: State<'_, AppState>,
    sweep_id: String,
    sort: Option<String>,
    asc: Option<bool>,
    offset: Option<u64>,
    limit: Option<u64>,
) -> Res<SweepRowPage> {
    let ctx = state.ctx().await?;
    let (asc, offset) = (asc.unwrap_or(false), offset.unwrap_or(0));
    research::rows(&ctx, &sweep_id, sort.as_deref(), asc, offset, limit).await
}

/// `sweepHeatmap`.
#[tauri::command]
pub async fn sweep_heatmap(
    state: State<'_, AppState>,
    sweep_id: String,
    x: String,
    y: String,
    metric: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
) -> Res<Heatmap> {
    let req = HeatmapRequest {
        sweep_id,
        x,
        y,
        metric,
        width,
        height,
    };
    research::heatmap(&*state.ctx().await?, req).await
}

/// `sweepDelete`.
#[tauri::command]
pub async fn sweep_delete(state: State<'_, AppState>, sweep_id: String) -> Res<()> {
    research::delete(&*state.ctx().await?, &sweep_id).await
}

/// `walkForward`.
#[allow(clippy::too_many_arguments)]
#[tauri::command]
pub async fn walk_forward(
    state: State<'_, AppState>,
    strategy_id: String,
    version: i32,
    dataset_id: String,
    spec: SweepInput,
    train: u32,
    test: u32,
    anchored: bool,
    on_progress: Channel<Progress>,
) -> Res<WalkForwardDetail> {
    let req = WalkForwardRequest {
        strategy_id,
        version,
        dataset_id,
        input: spec,
        train,
        test,
        anchored,
    };
    research::walk_forward(&*state.ctx().await?, req, sender(on_progress)).await
}

/// `monteCarlo`.
#[tauri::command]
pub async fn monte_carlo(
    state: State<'_, AppState>,
    run_id: String,
    method: String,
    runs: Option<u32>,
    seed: Option<u64>,
) -> Res<MonteCarloDetail> {
    research::monte_carlo(&*state.ctx().await?, &run_id, &method, runs, seed).await
}

/// `runRobustness`.
#[tauri::command]
pub async fn run_robustness(state: State<'_, AppState>, run_id: String) -> Res<Robustness> {
    research::robustness(&*state.ctx().await?, &run_id).await
}

/// `runBreakdown`.
#[tauri::command]
pub async fn run_breakdown(state: State<'_, AppState>, run_id: String) -> Res<RunBreakdown> {
    research::breakdown(&*state.ctx().await?, &run_id).await
}

/// `clusterScript`.
#[tauri::command]
pub async fn cluster_script(
    state: State<'_, AppState>,
    input: ClusterScriptInput,
) -> Res<ClusterScript> {
    cluster::script(&*state.ctx().await?, input).await
}

/// `clusterSweeps`.
#[tauri::command]
pub async fn cluster_sweeps(state: State<'_, AppState>) -> Res<Vec<ClusterSweepItem>> {
    cluster::list(&*state.ctx().await?).await
}

/// `clusterSweepOpen`.
#[tauri::command]
pub async fn cluster_sweep_open(state: State<'_, AppState>, sweep_id: String) -> Res<SweepSummary> {
    cluster::open(&*state.ctx().await?, &sweep_id).await
}
