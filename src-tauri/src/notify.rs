//! Paper runs in the background of the app, and what they tell the window: a `paper-changed`
//! event for every processed bar or status change, and an OS notification for every new inbox
//! entry when the system allows notifications.

use std::sync::{Arc, Mutex};

use stratagraph_api::Ctx;
use tauri::{AppHandle, Emitter};
use tauri_plugin_notification::{NotificationExt, PermissionState};

/// Starts driving the database's running paper runs (they resume where they stopped).
pub async fn start_paper(ctx: Arc<Ctx>, app: AppHandle) {
    // Entries already in the inbox when the app starts are not shown again.
    let newest = stratagraph_api::paper::newest_notification_time(&ctx)
        .await
        .unwrap_or_default();
    let last_seen = Arc::new(Mutex::new(newest));
    let driver_ctx = Arc::clone(&ctx);
    stratagraph_api::paper::autostart(driver_ctx, move |run| {
        let _ = app.emit("paper-changed", run.to_string());
        let (app, ctx, last_seen) = (app.clone(), Arc::clone(&ctx), Arc::clone(&last_seen));
        tauri::async_runtime::spawn(async move {
            let after = match last_seen.lock() {
                Ok(g) => g.clone(),
                Err(p) => p.into_inner().clone(),
            };
            let Ok(items) = stratagraph_api::paper::since(&ctx, &after).await else {
                return;
            };
            let Some(newest) = items.last().map(|i| i.created_at.clone()) else {
                return;
            };
            if let Ok(mut g) = last_seen.lock() {
                *g = newest;
            }
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
        });
    })
    .await;
}
