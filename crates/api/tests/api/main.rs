//! Integration tests of the API layer: every command body against a temporary data directory,
//! as the desktop app calls them, without Tauri.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test binary: failing loudly is the point

mod charts;
mod datasets;
mod paper;
mod research;
mod runs;
mod strategies;
mod sync;

use std::sync::{Arc, Mutex};

use stratagraph_api::dto::Progress;
use stratagraph_api::Ctx;
use stratagraph_store::ManualClock;

/// A fresh data directory opened with a manual clock at 2026-03-02 10:00 UTC.
pub async fn fresh() -> (tempfile::TempDir, Arc<Ctx>, Arc<ManualClock>) {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(
        chrono::DateTime::parse_from_rfc3339("2026-03-02T10:00:00Z")
            .unwrap()
            .into(),
    ));
    let ctx = Ctx::open_with_clock(dir.path(), clock.clone())
        .await
        .unwrap();
    (dir, ctx, clock)
}

/// A progress sink that keeps every message.
pub fn recorder() -> (
    Arc<Mutex<Vec<Progress>>>,
    impl Fn(Progress) + Send + Sync + 'static,
) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    (seen, move |p| sink.lock().unwrap().push(p))
}
