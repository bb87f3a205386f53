//! Two devices make interleaved changes offline, sync in random orders, and converge.

use serde_json::json;
use sqlx::SqliteConnection;
use stratagraph_store::remote::{SyncOptions, Syncer};
use stratagraph_store::{Channel, NotificationType, Store};
use uuid::Uuid;

use crate::common::{count, graph, Device, TestDb};

/// xorshift64*: small, seedable, good enough to pick operations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

async fn pick(raw: &mut SqliteConnection, sql: &str, rng: &mut Rng) -> Option<Uuid> {
    let ids: Vec<String> = sqlx::query_scalar(sql).fetch_all(raw).await.unwrap();
    if ids.is_empty() {
        return None;
    }
    let i = rng.below(ids.len() as u64) as usize;
    Uuid::parse_str(&ids[i]).ok()
}

async fn random_op(dev: &Device, me: Uuid, rng: &mut Rng, step: usize) {
    let store: &Store = &dev.store;
    let mut raw = dev.raw().await;
    dev.clock
        .advance(chrono::Duration::milliseconds(1 + rng.below(500) as i64));
    let titles = ["Trend", "Mean reversion", "Breakout", "Carry"];
    match rng.below(10) {
        0 => {
            let t = titles[rng.below(titles.len() as u64) as usize];
            store.create_strategy(me, t).await.unwrap();
        }
        1 | 2 => {
            if let Some(s) = pick(&mut raw, "SELECT id FROM strategies ORDER BY id", rng).await {
                store
                    .save_version(
                        s,
                        &graph(step as i64),
                        Some(&format!("step {step}")),
                        Some(me),
                    )
                    .await
                    .unwrap();
            }
        }
        3 => {
            if let Some(s) = pick(&mut raw, "SELECT id FROM strategies ORDER BY id", rng).await {
                store
                    .rename_strategy(s, &format!("Renamed {step}"))
                    .await
                    .unwrap();
            }
        }
        4 => {
            if let Some(s) = pick(&mut raw, "SELECT id FROM strategies ORDER BY id", rng).await {
                store
                    .set_tags(s, &[format!("t{}", rng.below(5))])
                    .await
                    .unwrap();
            }
        }
        5 => {
            if let Some(v) = pick(
                &mut raw,
                "SELECT id FROM strategy_versions ORDER BY id",
                rng,
            )
            .await
            {
                store
                    .create_run(v, Some(me), &json!({"step": step}))
                    .await
                    .unwrap();
            }
        }
        6 => {
            if let Some(r) = pick(
                &mut raw,
                "SELECT id FROM backtest_runs WHERE status IN ('queued', 'running') ORDER BY id",
                rng,
            )
            .await
            {
                let _ = store.cancel_run(r).await;
            }
        }
        7 => {
            store
                .create_notification(
                    me,
                    NotificationType::BacktestDone,
                    &json!({"step": step}),
                    Channel::InApp,
                )
                .await
                .unwrap();
        }
        8 => {
            if let Some(n) = pick(
                &mut raw,
                "SELECT id FROM notifications WHERE read_at IS NULL ORDER BY id",
                rng,
            )
            .await
            {
                store.mark_read(n).await.unwrap();
            }
        }
        _ => {
            if rng.below(4) == 0 {
                if let Some(s) = pick(&mut raw, "SELECT id FROM strategies ORDER BY id", rng).await
                {
                    store.delete_strategy(s).await.unwrap();
                }
            } else if let Some(r) =
                pick(&mut raw, "SELECT id FROM backtest_runs ORDER BY id", rng).await
            {
                let _ = store.delete_run(r).await;
            }
        }
    }
}

#[tokio::test]
async fn two_devices_converge_after_random_offline_changes() {
    let seed: u64 = std::env::var("STRATAGRAPH_SYNC_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_2025);
    println!("convergence seed: {seed} (set STRATAGRAPH_SYNC_SEED to replay)");
    let mut rng = Rng(seed | 1);
    let db = TestDb::migrated().await;
    let a = Device::new().await;
    let me = a.store.ensure_profile().await.unwrap().id;
    let options = SyncOptions {
        batch_size: 37, // small batches: many transactions, parents and children split
        page_size: 29,
        auto_migrate: true,
    };
    let sa = a.syncer(&db.config(), options.clone()).await;
    sa.sync(None).await.unwrap();
    let mut cfg = db.config();
    cfg.account_id = Some(me);
    let b = Device::new().await;
    b.store.ensure_profile().await.unwrap();
    let sb = b.syncer(&cfg, options).await;
    sb.sync(None).await.unwrap();
    let devices: [(&Device, &Syncer); 2] = [(&a, &sa), (&b, &sb)];

    for step in 0..240 {
        let (dev, syncer) = devices[rng.below(2) as usize];
        if rng.below(8) == 0 {
            match rng.below(3) {
                0 => syncer.push(None).await,
                1 => syncer.pull(None).await,
                _ => syncer.sync(None).await,
            }
            .unwrap_or_else(|e| panic!("seed {seed} step {step}: {e:?}"));
        } else {
            random_op(dev, me, &mut rng, step).await;
        }
    }
    for _ in 0..2 {
        sa.sync(None).await.unwrap();
        sb.sync(None).await.unwrap();
    }
    let (sa_snap, sb_snap) = (a.snapshot().await, b.snapshot().await);
    if sa_snap != sb_snap {
        for t in crate::common::SYNCED {
            if sa_snap[t] != sb_snap[t] {
                eprintln!("{t} differs:\nA {}\nB {}", sa_snap[t], sb_snap[t]);
            }
        }
        panic!("devices diverged; seed {seed}");
    }
    let pool = db.owner_pool().await;
    for t in crate::common::SYNCED {
        let local = sa_snap[t].as_array().unwrap().len() as i64;
        assert_eq!(
            count(&pool, t).await,
            local,
            "seed {seed}: {t} on the server"
        );
    }
    assert!(
        sa_snap["strategy_versions"].as_array().unwrap().len() > 10,
        "the test did something"
    );
    pool.close().await;
}
