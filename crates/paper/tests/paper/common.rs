//! Shared fixtures: a store on a manual clock with a saved strategy, bars, and a driver loop.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use serde_json::Value;
use stratagraph_engine::synth::{random_walk, SynthConfig};
use stratagraph_engine::Bars;
use stratagraph_paper::{
    start, AlertConfig, DriverConfig, Market, RunDriver, StartRequest, StepReport,
};
use stratagraph_store::{CatchUpPolicy, ManualClock, PaperTradeRun, Store, StoreOptions};
use tempfile::TempDir;
use uuid::Uuid;

pub struct Env {
    pub dir: TempDir,
    pub store: Store,
    pub clock: Arc<ManualClock>,
    pub version: Uuid,
    pub user: Uuid,
}

/// The repository's example graph `name`.
pub fn example(name: &str) -> Value {
    let p = format!("{}/../../examples/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// Minute bars from a seeded random walk, starting 2024-01-01.
pub fn minute_bars(seed: u64, n: usize) -> Bars {
    let b = random_walk(&SynthConfig {
        seed,
        bars: n,
        ..Default::default()
    })
    .unwrap();
    let t0 = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .unwrap()
        .timestamp_millis();
    Bars::new(
        (0..n as i64).map(|i| t0 + i * 60_000).collect(),
        b.open().to_vec(),
        b.high().to_vec(),
        b.low().to_vec(),
        b.close().to_vec(),
        b.volume().to_vec(),
    )
    .unwrap()
}

impl Env {
    /// A fresh database with `graph` saved as version 1 of a strategy.
    pub async fn new(graph: &Value) -> Env {
        let dir = TempDir::new().unwrap();
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2025, 6, 2, 12, 0, 0).unwrap(),
        ));
        let store = Store::open_with(
            StoreOptions::new(dir.path().join("paper.db")).with_clock(clock.clone()),
        )
        .await
        .unwrap();
        let me = store.ensure_profile().await.unwrap();
        let s = store.create_strategy(me.id, "Paper test").await.unwrap();
        let v = store
            .save_version(s.id, graph, None, Some(me.id))
            .await
            .unwrap();
        Env {
            dir,
            store,
            clock,
            version: v.id,
            user: me.id,
        }
    }

    /// The same file opened again (a restarted process).
    pub async fn reopen(&self) -> Store {
        Store::open_with(
            StoreOptions::new(self.dir.path().join("paper.db")).with_clock(self.clock.clone()),
        )
        .await
        .unwrap()
    }

    pub fn advance_ms(&self, ms: i64) {
        self.clock.advance(chrono::Duration::milliseconds(ms));
    }

    /// A replay request of `bars` at `speed`.
    pub fn replay(&self, bars: &Bars, speed: f64) -> StartRequest {
        StartRequest {
            version_id: self.version,
            name: Some("test run".into()),
            parameters: BTreeMap::new(),
            market: Market::Replay {
                bars: bars.clone(),
                symbol: "TEST".into(),
                speed,
            },
            initial_cash: None,
            commission: None,
            slippage_bps: None,
            schedule_cron: None,
            catch_up: CatchUpPolicy::Trade,
            alerts: AlertConfig::default(),
            start_after: None,
        }
    }

    pub async fn start(&self, req: &StartRequest) -> PaperTradeRun {
        start(&self.store, req).await.unwrap()
    }
}

/// A driver configuration for tests: fast backoff, a named holder.
pub fn config(holder: &str) -> DriverConfig {
    let mut c = DriverConfig::new(holder);
    c.backoff_base = Duration::from_millis(100);
    c.backoff_max = Duration::from_secs(5);
    c.http_timeout = Duration::from_millis(300);
    c.settle = Duration::ZERO;
    c
}

/// Steps `driver` until a step processes nothing and asks to wait, or the run ends.
pub async fn drain(driver: &mut RunDriver) -> Vec<StepReport> {
    let mut out = Vec::new();
    for _ in 0..10_000 {
        let r = driver.step().await.unwrap();
        let idle = r.processed == 0 && !r.wait.is_zero();
        let ended = r.ended.is_some();
        out.push(r);
        if idle || ended {
            break;
        }
    }
    out
}
