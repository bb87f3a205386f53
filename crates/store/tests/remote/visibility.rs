//! What a device sees follows what the server lets its user see, in commit order: a share made
//! after a device's last pull still arrives, an unshare or a lost role takes rows away, and
//! deletes of runs stored across many TimescaleDB chunks reach every device. A randomised
//! run of shares, unshares, audience and role changes checks that every device, after each
//! sync, holds exactly what the server shows its user.

use std::collections::BTreeMap;

use serde_json::json;
use stratagraph_store::AudienceScope;
use uuid::Uuid;

use crate::common::{expect_timescaledb, graph, psql, visible_ids, Device, TestDb, SYNCED};

/// A device that has synced once as `role`, so its profile is that user.
async fn device_as(db: &TestDb, role: &str, user: Uuid) -> Device {
    let dev = Device::new().await;
    dev.store.ensure_profile().await.unwrap();
    let first = dev.role_syncer(db, role).await.sync(None).await.unwrap();
    assert_eq!(
        first.not_taken, 0,
        "nothing refused at the first sync: {first:?}"
    );
    assert_eq!(dev.store.ensure_profile().await.unwrap().id, user);
    // Work saved before the next sync is pushed whole: plans and usage, the server's to
    // write, are not even sent.
    let s = dev.store.create_strategy(user, "Warm-up").await.unwrap();
    dev.store
        .save_version(s.id, &graph(2), None, Some(user))
        .await
        .unwrap();
    let second = dev.role_syncer(db, role).await.sync(None).await.unwrap();
    assert_eq!(second.not_taken, 0, "{second:?}");
    dev
}

#[tokio::test]
async fn a_new_device_takes_its_account_while_pulls_are_held_back() {
    let db = TestDb::migrated().await;
    let (role, user) = db.provision(&["trader"]);
    // A transaction left open anywhere on the server holds pulls below the rows written
    // after it began. Holding one open here would hold back every test on the server, so
    // the account's row is stamped beyond any pull's bound instead (triggers off).
    psql(
        &db.name,
        &format!(
            "SET session_replication_role = replica; UPDATE users SET sync_txid = \
             (pg_current_xact_id()::text::bigint + 1000000)::text::xid8 WHERE id = '{user}'"
        ),
    );
    let dev = Device::new().await;
    let provisional = dev.store.ensure_profile().await.unwrap().id;
    let s = dev
        .store
        .create_strategy(provisional, "Before sign-in")
        .await
        .unwrap();
    let report = dev.role_syncer(&db, &role).await.sync(None).await.unwrap();
    assert_eq!(report.not_taken, 0, "{report:?}");
    assert_eq!(dev.store.ensure_profile().await.unwrap().id, user);
    let pool = db.role_pool(&role).await;
    assert!(visible_ids(&pool, "strategies")
        .await
        .contains(&s.id.to_string()));
    pool.close().await;
}

#[tokio::test]
async fn a_share_made_after_a_pull_arrives_and_an_unshare_takes_it_away() {
    let db = TestDb::migrated().await;
    let (alice_role, alice) = db.provision(&["trader", "educator"]);
    let (bob_role, bob) = db.provision(&["trader"]);
    let a = device_as(&db, &alice_role, alice).await;
    let b = device_as(&db, &bob_role, bob).await;
    let sa = a.role_syncer(&db, &alice_role).await;
    let sb = b.role_syncer(&db, &bob_role).await;

    let s = a.store.create_strategy(alice, "Alice SMA").await.unwrap();
    a.store
        .save_version(s.id, &graph(5), Some("first"), Some(alice))
        .await
        .unwrap();
    let v2 = a
        .store
        .save_version(s.id, &graph(8), Some("second"), Some(alice))
        .await
        .unwrap();
    sa.sync(None).await.unwrap();
    // bob pulls first: nothing of alice's yet.
    sb.sync(None).await.unwrap();
    assert!(!b.ids("strategies").await.contains(&s.id.to_string()));

    // Later, alice shares version 2; bob's next pull brings the template, its version, the
    // strategy and alice's user row, although they were all written before bob's cursor.
    let tpl = a
        .store
        .publish_template(
            v2.id,
            Some(alice),
            AudienceScope::Public,
            &json!({"title": "SMA"}),
        )
        .await
        .unwrap();
    sa.sync(None).await.unwrap();
    // Shared from a device, the template reaches its audience once approved (as a reviewer's
    // decision does; here the owner's SQL stands for it).
    psql(
        &db.name,
        &format!(
            "UPDATE template_shares t SET approved_hash = encode(sha256(convert_to( \
             v.graph_json::text, 'UTF8')), 'hex'), approved_at = now() \
             FROM strategy_versions v WHERE t.id = '{}' AND v.id = t.strategy_version_id",
            tpl.id
        ),
    );
    let report = sb.sync(None).await.unwrap();
    assert_eq!(report.waiting, 0);
    assert!(b.ids("strategies").await.contains(&s.id.to_string()));
    assert!(b.ids("template_shares").await.contains(&tpl.id.to_string()));
    assert!(b.ids("users").await.contains(&alice.to_string()));
    let latest = b.store.latest_version(s.id).await.unwrap();
    assert_eq!(latest.id, v2.id, "bob can open the shared version");
    // Alice paper trades the shared version: bob sees the version, never her run or its rows.
    let paper = crate::paper::run_with_fills(&a.store, v2.id).await;
    sa.sync(None).await.unwrap();
    sb.sync(None).await.unwrap();
    assert!(a.ids("paper_trade_runs").await.contains(&paper.to_string()));
    for t in [
        "paper_trade_runs",
        "paper_fills",
        "paper_trades",
        "paper_events",
    ] {
        assert!(b.ids(t).await.is_empty(), "bob's device holds alice's {t}");
    }
    let pb = db.role_pool(&bob_role).await;
    for t in SYNCED {
        assert_eq!(b.ids(t).await, visible_ids(&pb, t).await, "{t}");
    }

    // Alice withdraws the template: bob's device drops everything it showed.
    a.store.delete_template(tpl.id).await.unwrap();
    sa.sync(None).await.unwrap();
    let report = sb.sync(None).await.unwrap();
    assert!(report.withdrawn >= 3, "{report:?}");
    for t in SYNCED {
        assert_eq!(b.ids(t).await, visible_ids(&pb, t).await, "{t}");
    }
    assert!(!b.ids("users").await.contains(&alice.to_string()));
    pb.close().await;
}

#[tokio::test]
async fn deleted_runs_spread_over_many_chunks_leave_every_device() {
    let db = TestDb::migrated().await;
    let (role, me) = db.provision(&["trader"]);
    let one = device_as(&db, &role, me).await;
    let two = device_as(&db, &role, me).await;
    let s1 = one.role_syncer(&db, &role).await;
    let s2 = two.role_syncer(&db, &role).await;
    let s = one.store.create_strategy(me, "Runs").await.unwrap();
    let v = one
        .store
        .save_version(s.id, &graph(3), None, Some(me))
        .await
        .unwrap();
    let mut runs = Vec::new();
    for i in 0..24 {
        one.clock.advance(chrono::Duration::days(20));
        runs.push(
            one.store
                .create_run(v.id, Some(me), &json!({"i": i}))
                .await
                .unwrap()
                .id,
        );
    }
    s1.sync(None).await.unwrap();
    s2.sync(None).await.unwrap();
    assert_eq!(two.ids("backtest_runs").await.len(), 24);
    if expect_timescaledb() {
        let chunks: usize = psql(
            &db.name,
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'backtest_runs'::regclass",
        )
        .parse()
        .unwrap();
        assert!(chunks >= 20, "the runs span {chunks} chunks");
    }
    for id in &runs[..20] {
        one.store.delete_run(*id).await.unwrap();
    }
    s1.sync(None).await.unwrap();
    let report = s2.sync(None).await.unwrap();
    assert_eq!(report.pulled_deletes, 20);
    let left = two.ids("backtest_runs").await;
    assert_eq!(left.len(), 4);
    assert!(runs[20..].iter().all(|id| left.contains(&id.to_string())));
    assert_eq!(
        psql(
            &db.name,
            "SELECT count(*) FROM sync_tombstones WHERE table_name <> 'backtest_runs' \
             AND table_name LIKE '\\_hyper%'"
        ),
        "0"
    );
}

/// xorshift64*, seedable.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

/// Checks that `dev` holds exactly the rows the server shows `role`, by id, with the same
/// titles, audiences and roles.
async fn assert_converged(db: &TestDb, dev: &Device, role: &str, context: &str) {
    let pool = db.role_pool(role).await;
    for t in SYNCED {
        assert_eq!(
            dev.ids(t).await,
            visible_ids(&pool, t).await,
            "{context}: {t} differs"
        );
    }
    let mut conn = dev.raw().await;
    for (table, col) in [
        ("strategies", "title"),
        ("template_shares", "audience_scope"),
        ("users", "roles"),
    ] {
        let here: BTreeMap<String, String> =
            sqlx::query_as(&format!("SELECT id, {col} FROM {table}"))
                .fetch_all(&mut conn)
                .await
                .unwrap()
                .into_iter()
                .collect();
        let there: BTreeMap<String, String> = sqlx::query_as(&format!(
            "SELECT id::text, CASE WHEN pg_typeof({col}) = 'text[]'::regtype \
             THEN to_jsonb({col})::text ELSE {col}::text END FROM {table}"
        ))
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
        let here: BTreeMap<String, String> = here
            .into_iter()
            .map(|(k, v)| {
                let v = serde_json::from_str::<serde_json::Value>(&v)
                    .map(|j| j.to_string())
                    .unwrap_or(v);
                (k, v)
            })
            .collect();
        let there: BTreeMap<String, String> = there
            .into_iter()
            .map(|(k, v)| {
                let v = serde_json::from_str::<serde_json::Value>(&v)
                    .map(|j| j.to_string())
                    .unwrap_or(v);
                (k, v)
            })
            .collect();
        assert_eq!(here, there, "{context}: {table}.{col} differs");
    }
    pool.close().await;
}

#[tokio::test]
async fn devices_converge_to_what_the_server_shows_through_shares_unshares_and_role_changes() {
    let seed: u64 = std::env::var("STRATAGRAPH_SYNC_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| u64::from(Uuid::new_v4().as_u128() as u32) | 1);
    println!("visibility seed: {seed} (set STRATAGRAPH_SYNC_SEED to replay)");
    let mut rng = Rng(seed);
    let db = TestDb::migrated().await;
    let (alice_role, alice) = db.provision(&["trader", "educator"]);
    let (bob_role, bob) = db.provision(&["trader"]);
    let (carol_role, carol) = db.provision(&["reviewer"]);
    let a = device_as(&db, &alice_role, alice).await;
    let b1 = device_as(&db, &bob_role, bob).await;
    let b2 = device_as(&db, &bob_role, bob).await;
    let c = device_as(&db, &carol_role, carol).await;
    let devices = [
        (&a, alice_role.as_str(), "alice"),
        (&b1, bob_role.as_str(), "bob's first device"),
        (&b2, bob_role.as_str(), "bob's second device"),
        (&c, carol_role.as_str(), "carol (reviewer)"),
    ];
    let audiences = [
        AudienceScope::Public,
        AudienceScope::Students,
        AudienceScope::Private,
    ];
    let mut bob_is_trader = true;
    for step in 0..300 {
        let context = format!("seed {seed}, step {step}");
        for (dev, _, _) in &devices {
            dev.clock.advance(chrono::Duration::seconds(1));
        }
        match rng.below(10) {
            0 => {
                let s = a.store.create_strategy(alice, "Lesson").await.unwrap();
                a.store
                    .save_version(s.id, &graph(step), None, Some(alice))
                    .await
                    .unwrap();
            }
            1 => {
                let mine: Vec<String> =
                    sqlx::query_scalar("SELECT id FROM strategies WHERE owner_id = ? ORDER BY id")
                        .bind(alice.to_string())
                        .fetch_all(&mut a.raw().await)
                        .await
                        .unwrap();
                if !mine.is_empty() {
                    let s = &mine[rng.below(mine.len() as u64) as usize];
                    a.store
                        .save_version(s.parse().unwrap(), &graph(step), None, Some(alice))
                        .await
                        .unwrap();
                }
            }
            2 | 3 => {
                let versions: Vec<String> = sqlx::query_scalar(
                    "SELECT v.id FROM strategy_versions v JOIN strategies s \
                     ON s.id = v.strategy_id WHERE s.owner_id = ? ORDER BY v.id",
                )
                .bind(alice.to_string())
                .fetch_all(&mut a.raw().await)
                .await
                .unwrap();
                if !versions.is_empty() {
                    let v = &versions[rng.below(versions.len() as u64) as usize];
                    let audience = audiences[rng.below(3) as usize];
                    a.store
                        .publish_template(v.parse().unwrap(), Some(alice), audience, &json!({}))
                        .await
                        .unwrap();
                }
            }
            4 => {
                let templates: Vec<String> =
                    sqlx::query_scalar("SELECT id FROM template_shares WHERE educator_id = ?")
                        .bind(alice.to_string())
                        .fetch_all(&mut a.raw().await)
                        .await
                        .unwrap();
                if !templates.is_empty() {
                    let t = &templates[rng.below(templates.len() as u64) as usize];
                    a.store.delete_template(t.parse().unwrap()).await.unwrap();
                }
            }
            5 => {
                let audience = audiences[rng.below(3) as usize].as_str();
                sqlx::query(
                    "UPDATE template_shares SET audience_scope = ? WHERE id = \
                     (SELECT id FROM template_shares WHERE educator_id = ? ORDER BY random() \
                      LIMIT 1)",
                )
                .bind(audience)
                .bind(alice.to_string())
                .execute(&mut a.raw().await)
                .await
                .unwrap();
                // A reviewer approves one of the templates on the server.
                psql(
                    &db.name,
                    "UPDATE template_shares t SET approved_hash = encode(sha256(convert_to( \
                     v.graph_json::text, 'UTF8')), 'hex'), approved_at = now() \
                     FROM strategy_versions v WHERE v.id = t.strategy_version_id \
                     AND t.id = (SELECT id FROM template_shares ORDER BY random() LIMIT 1)",
                );
            }
            6 => {
                let dev = if rng.below(2) == 0 { &b1 } else { &b2 };
                let s = dev.store.create_strategy(bob, "Bob's").await.unwrap();
                dev.store
                    .save_version(s.id, &graph(step), None, Some(bob))
                    .await
                    .unwrap();
            }
            7 => {
                bob_is_trader = !bob_is_trader;
                let roles = if bob_is_trader { "trader" } else { "educator" };
                psql(
                    &db.name,
                    &format!("UPDATE users SET roles = ARRAY['{roles}'] WHERE id = '{bob}'"),
                );
            }
            _ => {
                let (dev, role, who) = devices[rng.below(devices.len() as u64) as usize];
                dev.role_syncer(&db, role)
                    .await
                    .sync(None)
                    .await
                    .unwrap_or_else(|e| panic!("{context}: {who} syncs: {e}"));
                assert_converged(&db, dev, role, &format!("{context}, {who}")).await;
            }
        }
    }
    for (dev, role, who) in &devices {
        dev.role_syncer(&db, role).await.sync(None).await.unwrap();
        assert_converged(&db, dev, role, &format!("seed {seed}, final, {who}")).await;
    }
}
