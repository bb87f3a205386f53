//! Paper runs in the background of the app, and what they tell the window: a `paper-changed`
//! event for every processed bar or status change, and, for every new inbox entry (a paper
//! run's, a finished backtest or sweep's, a sync conflict's), an `inbox-changed` event and an
//! OS notification when the system allows notifications.

use std::sync::Arc;
use std::time::Duration;

use stratagraph_api::Ctx;
use tauri::{AppHandle, Emitter};
use tauri_plugin_notification::{NotificationExt, PermissionState};

/// How often the inbox is checked for entries not written by a paper run.
const INBOX_POLL: Duration = Duration::from_secs(2);

/// Starts driving the database's running paper runs (they resume where they stopped) and
/// watching the inbox.
pub async fn start_paper(ctx: Arc<Ctx>, app: AppHandle) {
    // Entries already in the inbox when the app starts are not shown again.
    let newest = stratagraph_api::paper::newest_notification_time(&ctx)
        .await
        .unwrap_or_default();
    // Held for a whole check, so that two checks never show one entry twice.
    let last_seen = Arc::new(tokio::sync::Mutex::new(newest));
    {
        let (ctx, app, last_seen) = (Arc::clone(&ctx), app.clone(), Arc::clone(&last_seen));
        tauri::async_runtime::spawn(async move {
            loop {
                tokio::time::sleep(INBOX_POLL).await;
                show_new_entries(&ctx, &app, &last_seen).await;
            }
        });
    }
    let driver_ctx = Arc::clone(&ctx);
    stratagraph_api::paper::autostart(driver_ctx, move |run| {
        let _ = app.emit("paper-changed", run.to_string());
        let (app, ctx, last_seen) = (app.clone(), Arc::clone(&ctx), Arc::clone(&last_seen));
        tauri::async_runtime::spawn(async move {
            show_new_entries(&ctx, &app, &last_seen).await;
        });
    })
    .await;
}

/// Tells the window about inbox entries newer than `last_seen` and shows them as OS
/// notifications where allowed.
async fn show_new_entries(ctx: &Ctx, app: &AppHandle, last_seen: &tokio::sync::Mutex<String>) {
    let mut seen = last_seen.lock().await;
    let Ok(items) = stratagraph_api::paper::since(ctx, &seen).await else {
        return;
    };
    let Some(newest) = items.last().map(|i| i.created_at.clone()) else {
        return;
    };
    *seen = newest;
    let _ = app.emit("inbox-changed", items.len());
    let allowed = matches!(
        app.notification().permission_state(),
        Ok(PermissionState::Granted)
    );
    if allowed {
        for item in items {
            let _ = app
                .notification()
                .builder()
                .title("Stratagraph")
                .body(item.message)
                .show();
        }
    }
}
