//! Shared fixtures: a temporary store on a manual clock, sample graphs, raw SQL access.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use serde_json::{json, Value};
use sqlx::{Connection, SqliteConnection};
use stratagraph_store::{ManualClock, Store, StoreOptions, User};
use tempfile::TempDir;

pub struct Env {
    pub dir: TempDir,
    pub store: Store,
    pub clock: Arc<ManualClock>,
}

impl Env {
    pub fn db_path(&self) -> std::path::PathBuf {
        self.dir.path().join("test.db")
    }

    /// Reopens the same file (as a restarted app would).
    pub async fn reopen(&self) -> Store {
        Store::open_with(StoreOptions::new(self.db_path()).with_clock(self.clock.clone()))
            .await
            .unwrap()
    }

    /// A raw connection for poking at the file behind the store's back.
    pub async fn raw(&self) -> SqliteConnection {
        SqliteConnection::connect(&format!("sqlite://{}", self.db_path().display()))
            .await
            .unwrap()
    }

    pub async fn profile(&self) -> User {
        self.store.ensure_profile().await.unwrap()
    }
}

pub async fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2025, 3, 14, 15, 9, 26).unwrap(),
    ));
    let store =
        Store::open_with(StoreOptions::new(dir.path().join("test.db")).with_clock(clock.clone()))
            .await
            .unwrap();
    Env { dir, store, clock }
}

pub fn graph(tag: i64) -> Value {
    json!({
        "schema": 1,
        "nodes": [
            {"id": "close", "kind": "source.close", "params": {}},
            {"id": "fast", "kind": "indicator.sma", "params": {"period": tag}},
            {"id": "buy", "kind": "order.enter_long", "params": {}}
        ],
        "edges": [{"from": "close", "from_port": "out", "to": "fast", "to_port": "in"}],
        "settings": {"initial_cash": 10000}
    })
}
