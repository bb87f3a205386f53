//! The Stratagraph desktop shell: opens the data directory, registers the commands of
//! [`commands`] and the dialog and window-state plugins, and runs the window.
//!
//! The data directory opens on a background task while the window loads, so the first paint
//! never waits for the database; commands await it. The background sync starts once it is
//! open (when switched on) and stops when the app exits.

pub mod commands;
mod notify;
pub mod render;
pub mod research_commands;

use std::sync::Arc;
use std::time::Instant;

use stratagraph_api::{Ctx, IpcError};
use tauri::Manager;
use tokio::sync::OnceCell;

/// The app's state: the API context, opened once in the background.
pub struct AppState {
    ctx: Arc<OnceCell<Result<Arc<Ctx>, IpcError>>>,
    started: Instant,
    ready: std::sync::Once,
}

impl AppState {
    /// The API context, waiting for the data directory to open.
    ///
    /// # Errors
    ///
    /// The error the data directory failed to open with.
    pub async fn ctx(&self) -> Result<Arc<Ctx>, IpcError> {
        self.ctx.get_or_init(open_ctx).await.clone()
    }

    /// Records (once) that the UI made its first call: the cold-start time, printed when
    /// `STRATAGRAPH_STARTUP_LOG` is set.
    pub fn mark_ready(&self) {
        self.ready.call_once(|| {
            if std::env::var_os("STRATAGRAPH_STARTUP_LOG").is_some() {
                eprintln!(
                    "stratagraph: ui-ready {:.0} ms after process start",
                    self.started.elapsed().as_secs_f64() * 1000.0
                );
            }
        });
    }
}

/// Opens the data directory (`$STRATAGRAPH_DATA_DIR` or the platform's app-data folder).
async fn open_ctx() -> Result<Arc<Ctx>, IpcError> {
    Ctx::open(stratagraph_api::resolve_data_dir()?).await
}

/// Builds and runs the app.
pub fn run() {
    // Before any thread starts: the environment is shared with WebKit's processes.
    let direct_painting = render::configure();
    if direct_painting && std::env::var_os("STRATAGRAPH_STARTUP_LOG").is_some() {
        eprintln!("stratagraph: no GPU render node; WebKit paints without compositing");
    }
    let state = AppState {
        ctx: Arc::new(OnceCell::new()),
        started: Instant::now(),
        ready: std::sync::Once::new(),
    };
    let opening = Arc::clone(&state.ctx);
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .manage(state)
        .setup(move |app| {
            let handle = app.handle().clone();
            // Open the data directory (and do the first-start setup) while the UI loads.
            tauri::async_runtime::spawn(async move {
                if let Ok(ctx) = opening.get_or_init(open_ctx).await {
                    // The background sync, when switched on and a server is configured.
                    stratagraph_api::sync::autostart(ctx).await;
                    // Paper runs keep going while the app is open, whichever view is shown.
                    notify::start_paper(ctx.clone(), handle).await;
                }
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::catalog,
            commands::validate_graph,
            commands::profile_get,
            commands::profile_update,
            commands::settings_get,
            commands::settings_put,
            commands::strategies_list,
            commands::strategy_create,
            commands::strategy_duplicate,
            commands::strategy_rename,
            commands::strategy_set_tags,
            commands::strategy_set_status,
            commands::strategy_set_visibility,
            commands::strategy_delete,
            commands::strategy_import,
            commands::strategy_export,
            commands::versions_list,
            commands::version_get,
            commands::version_save,
            commands::draft_get,
            commands::draft_put,
            commands::draft_clear,
            commands::examples_list,
            commands::datasets_list,
            commands::dataset_preview,
            commands::dataset_import,
            commands::dataset_rename,
            commands::dataset_delete,
            commands::run_backtest,
            commands::job_cancel,
            commands::runs_list,
            commands::run_get,
            commands::run_trades,
            commands::run_delete,
            commands::run_compare,
            commands::node_values,
            commands::run_chart,
            commands::run_indicators,
            commands::run_export_html,
            commands::chart_export,
            commands::sync_configure,
            commands::sync_test,
            commands::sync_status,
            commands::sync_now,
            commands::sync_set_auto,
            commands::sync_conflicts_read,
            research_commands::sweep_plan,
            research_commands::sweep_start,
            research_commands::sweeps_list,
            research_commands::sweep_get,
            research_commands::sweep_rows,
            research_commands::sweep_heatmap,
            research_commands::sweep_delete,
            research_commands::walk_forward,
            research_commands::monte_carlo,
            research_commands::run_robustness,
            research_commands::run_breakdown,
            research_commands::cluster_script,
            research_commands::cluster_sweeps,
            research_commands::cluster_sweep_open,
            commands::templates_list,
            commands::template_show,
            commands::template_preflight,
            commands::templates_pending,
            commands::template_version,
            commands::template_publish,
            commands::template_clone,
            commands::template_withdraw,
            commands::review_queue,
            commands::review_decide,
            commands::cohorts_list,
            commands::cohort_create,
            commands::cohort_add,
            commands::admin_grant,
            commands::paper_start,
            commands::paper_list,
            commands::paper_get,
            commands::paper_set_status,
            commands::paper_reconcile,
            commands::notifications_list,
            commands::notifications_mark_read,
        ])
        .build(tauri::generate_context!());
    match result {
        Ok(app) => app.run(|handle, event| {
            if let tauri::RunEvent::Exit = event {
                // Stop the background sync cleanly (it finishes a sync in flight, up to 5 s).
                if let Some(Ok(ctx)) = handle.state::<AppState>().ctx.get() {
                    tauri::async_runtime::block_on(stratagraph_api::sync::shutdown(ctx));
                    tauri::async_runtime::block_on(stratagraph_api::paper::shutdown(ctx));
                }
            }
        }),
        Err(e) => {
            eprintln!("stratagraph: the app failed to start: {e}");
            std::process::exit(1);
        }
    }
}
