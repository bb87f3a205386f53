//! Build script: lets tauri-build generate the context and one permission per app command
//! (`allow-<command>`), so the capability in `capabilities/default.json` can grant exactly
//! the commands the UI uses.

/// Every command of `src/commands.rs` and `src/research_commands.rs`.
const COMMANDS: &[&str] = &[
    "app_info",
    "catalog",
    "validate_graph",
    "profile_get",
    "profile_update",
    "settings_get",
    "settings_put",
    "strategies_list",
    "strategy_create",
    "strategy_duplicate",
    "strategy_rename",
    "strategy_set_tags",
    "strategy_set_status",
    "strategy_set_visibility",
    "strategy_delete",
    "strategy_import",
    "strategy_export",
    "versions_list",
    "version_get",
    "version_save",
    "draft_get",
    "draft_put",
    "draft_clear",
    "examples_list",
    "datasets_list",
    "dataset_preview",
    "dataset_import",
    "dataset_rename",
    "dataset_delete",
    "run_backtest",
    "job_cancel",
    "runs_list",
    "run_get",
    "run_trades",
    "run_delete",
    "run_compare",
    "node_values",
    "run_chart",
    "run_indicators",
    "run_export_html",
    "chart_export",
    "sync_configure",
    "sync_test",
    "sync_status",
    "sync_now",
    "sync_set_auto",
    "sync_conflicts_read",
    "sweep_plan",
    "sweep_start",
    "sweeps_list",
    "sweep_get",
    "sweep_rows",
    "sweep_heatmap",
    "sweep_delete",
    "walk_forward",
    "monte_carlo",
    "run_robustness",
    "run_breakdown",
    "paper_start",
    "paper_list",
    "paper_get",
    "paper_set_status",
    "paper_reconcile",
    "notifications_list",
    "notifications_mark_read",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        eprintln!("tauri-build failed: {e:#}");
        std::process::exit(1);
    }
}
