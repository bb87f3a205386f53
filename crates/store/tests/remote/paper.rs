//! Paper trading through the sync: a run, its fills, trades, events and notifications made on
//! one device reach the user's other devices (never another user's), read state and deletes
//! travel, and only the device that drives a run processes its bars.

use std::time::Duration;

use serde_json::json;
use stratagraph_store::{
    BarCommit, CatchUpPolicy, LeaseHolder, NewPaperRun, NotificationType, PaperBarRow, PaperEvent,
    PaperEventKind, PaperFeed, PaperFillRow, PaperRunStatus, StatusChange, Store, StoreError,
};
use uuid::Uuid;

use crate::common::{count, graph, psql, visible_ids, Device, TestDb};

const PAPER: [&str; 4] = [
    "paper_trade_runs",
    "paper_fills",
    "paper_trades",
    "paper_events",
];

/// A device that has synced once as `role`, so its profile is that user.
async fn device_as(db: &TestDb, role: &str, user: Uuid) -> Device {
    let dev = Device::new().await;
    dev.store.ensure_profile().await.unwrap();
    let first = dev.role_syncer(db, role).await.sync(None).await.unwrap();
    assert_eq!(first.not_taken, 0, "{first:?}");
    assert_eq!(dev.store.ensure_profile().await.unwrap().id, user);
    dev
}

fn holder() -> LeaseHolder {
    LeaseHolder {
        holder: "the test".into(),
        pid: std::process::id(),
        host: "test-host".into(),
    }
}

fn bar(seq: i64, close: f64) -> PaperBarRow {
    PaperBarRow {
        seq,
        time: 1_700_000_000_000 + seq * 60_000,
        open: close - 0.5,
        high: close + 1.0,
        low: close - 1.0,
        close,
        volume: 12.5,
        equity: 10_000.0 + close / 3.0,
        late: false,
        gap_before: 0,
    }
}

fn fill(seq: i64, bar_seq: i64, action: &str, price: f64) -> PaperFillRow {
    PaperFillRow {
        seq,
        bar_seq,
        time: 1_700_000_000_000 + bar_seq * 60_000,
        side: "long".into(),
        action: action.into(),
        price,
        units: 10.0 / 3.0,
        commission: price * 0.001,
        reason: (action == "exit").then(|| "signal".to_owned()),
        late: false,
    }
}

/// A running Binance paper run of a new strategy of `user` with two bars committed (see
/// [`run_with_fills`]). Returns (strategy, run).
async fn paper_run(store: &Store, user: Uuid) -> (Uuid, Uuid) {
    let s = store.create_strategy(user, "Paper SMA").await.unwrap();
    let v = store
        .save_version(s.id, &graph(4), Some("paper"), Some(user))
        .await
        .unwrap();
    (s.id, run_with_fills(store, v.id).await)
}

/// A running Binance paper run of `version` with two bars committed: an entry at bar 0, an
/// exit and a closed trade at bar 1, an event and a fill notification for each.
pub async fn run_with_fills(store: &Store, version: Uuid) -> Uuid {
    let run = store
        .create_paper_run(&NewPaperRun {
            strategy_version_id: version,
            name: "BTC on paper".into(),
            parameters: json!({"fast": 4}),
            feed: PaperFeed::Binance,
            symbol: "BTCUSDT".into(),
            bar_interval: "1m".into(),
            feed_config: json!({}),
            initial_cash: 10_000.0,
            // Values whose shortest text needs 17 digits: they must arrive bit for bit.
            commission: 0.1 + 0.2 - 0.3 + 0.001,
            slippage_bps: 2.5,
            schedule_cron: Some("* 14-20 * * 1-5".into()),
            catch_up_policy: CatchUpPolicy::TradeAndFlag,
            alert_config: Some(json!({"entry": true, "exit": true})),
            start_after: None,
            replay: None,
        })
        .await
        .unwrap();
    store
        .set_paper_run_status(run.id, &StatusChange::to(PaperRunStatus::Running))
        .await
        .unwrap();
    let lease = store
        .acquire_paper_lease(run.id, &holder(), Duration::from_secs(30))
        .await
        .unwrap();
    let entry = 0.1 + 0.2 + 100.0;
    let exit = 1.0 / 3.0 + 110.0;
    for (seq, fills, trades) in [
        (0, vec![fill(0, 0, "entry", entry)], vec![]),
        (
            1,
            vec![fill(1, 1, "exit", exit)],
            vec![(
                json!({"side": "long", "entry_price": entry, "exit_price": exit, "pnl": 32.5}),
                (exit - entry) * 10.0 / 3.0,
                1_700_000_060_000,
            )],
        ),
    ] {
        let action = if seq == 0 { "entry" } else { "exit" };
        store
            .commit_paper_bar(
                run.id,
                &lease.token,
                Duration::from_secs(30),
                &BarCommit {
                    bar: bar(seq, 100.0 + seq as f64),
                    state_snapshot: json!({"bar": seq, "cash": 10_000.0 / 3.0}).to_string(),
                    performance: json!({"equity": 10_000.0 + seq as f64 / 7.0}),
                    fills,
                    trades,
                    events: vec![PaperEvent::new(
                        PaperEventKind::Gap,
                        format!("bar {seq}: one bar missing"),
                    )],
                    notifications: vec![(
                        NotificationType::PaperFill,
                        json!({"event": action, "message": format!("{action} at bar {seq}")}),
                    )],
                    clear_decision: false,
                },
            )
            .await
            .unwrap();
    }
    run.id
}

/// Both devices hold the same synced rows (compared table by table, so a failure names it).
async fn same(a: &Device, b: &Device) {
    let (sa, sb) = (a.snapshot().await, b.snapshot().await);
    for (t, rows) in sa.as_object().unwrap() {
        assert_eq!(rows, &sb[t], "{t} differs between the devices");
    }
}

/// Everything a device shows of a run: the run, its fills, trades and events.
async fn shown(store: &Store, run: Uuid) -> serde_json::Value {
    json!({
        "run": store.paper_run(run).await.unwrap(),
        "fills": store.paper_fills(run).await.unwrap(),
        "trades": store.paper_trades(run).await.unwrap(),
        "events": store.paper_events(run, None).await.unwrap(),
    })
}

#[tokio::test]
async fn a_paper_run_reaches_the_users_other_device_only_and_is_driven_where_it_was_started() {
    let db = TestDb::migrated().await;
    let (alice_role, alice) = db.provision(&["trader"]);
    let (bob_role, bob) = db.provision(&["trader"]);
    let a = device_as(&db, &alice_role, alice).await;
    let b = device_as(&db, &alice_role, alice).await;
    let c = device_as(&db, &bob_role, bob).await;
    let (sa, sb, sc) = (
        a.role_syncer(&db, &alice_role).await,
        b.role_syncer(&db, &alice_role).await,
        c.role_syncer(&db, &bob_role).await,
    );
    assert_ne!(
        a.store.device_id().await.unwrap(),
        b.store.device_id().await.unwrap()
    );

    let (strategy, run) = paper_run(&a.store, alice).await;
    // Every bar updates the run; its queued update replaces the one before.
    let mut raw = a.raw().await;
    let queued: Vec<String> = sqlx::query_scalar(
        "SELECT op FROM sync_outbox WHERE table_name = 'paper_trade_runs' AND row_id = ? \
         ORDER BY seq",
    )
    .bind(run.to_string())
    .fetch_all(&mut raw)
    .await
    .unwrap();
    assert_eq!(queued, ["insert", "update"]);
    drop(raw);
    let pushed = sa.sync(None).await.unwrap();
    assert_eq!(pushed.not_taken, 0, "nothing refused: {pushed:?}");
    sb.sync(None).await.unwrap();
    sc.sync(None).await.unwrap();

    // B shows the same run, fills (prices bit for bit), trade and events as A.
    let on_a = shown(&a.store, run).await;
    assert_eq!(on_a["fills"].as_array().unwrap().len(), 2);
    assert_eq!(on_a["trades"].as_array().unwrap().len(), 1);
    assert_eq!(on_a["run"]["status"], "running");
    assert_eq!(shown(&b.store, run).await, on_a);
    let fills_b = b.store.paper_fills(run).await.unwrap();
    assert_eq!(fills_b[0].price.to_bits(), (0.1f64 + 0.2 + 100.0).to_bits());
    let run_b = b.store.paper_run(run).await.unwrap();
    assert_eq!(
        run_b.commission.to_bits(),
        (0.1f64 + 0.2 - 0.3 + 0.001).to_bits()
    );
    let inbox_b = b.store.list_notifications(alice, None).await.unwrap();
    let fills_noted: Vec<_> = inbox_b
        .iter()
        .filter(|n| n.kind == NotificationType::PaperFill)
        .collect();
    assert_eq!(fills_noted.len(), 2, "{inbox_b:?}");
    assert_eq!(b.store.unread_count(alice).await.unwrap(), 2);
    same(&a, &b).await;

    // Bob: nothing, on his device or on the server.
    for t in PAPER {
        assert!(c.ids(t).await.is_empty(), "bob's device holds {t}");
    }
    assert!(c
        .store
        .list_notifications(alice, None)
        .await
        .unwrap()
        .is_empty());
    let pb = db.role_pool(&bob_role).await;
    for t in PAPER.iter().chain(&["notifications"]) {
        assert!(visible_ids(&pb, t).await.is_empty(), "bob sees {t}");
    }
    pb.close().await;

    // Only A drives the run: B shows it running and leaves it alone, even with a lease.
    assert_eq!(a.store.paper_run_ids_to_drive().await.unwrap(), vec![run]);
    assert!(b.store.paper_run_ids_to_drive().await.unwrap().is_empty());
    let lease_b = b
        .store
        .acquire_paper_lease(run, &holder(), Duration::from_secs(30))
        .await
        .unwrap();
    let refused = b
        .store
        .commit_paper_bar(
            run,
            &lease_b.token,
            Duration::from_secs(30),
            &BarCommit {
                bar: bar(2, 102.0),
                state_snapshot: "{}".into(),
                performance: json!({}),
                fills: vec![],
                trades: vec![],
                events: vec![],
                notifications: vec![],
                clear_decision: false,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(refused, StoreError::Conflict { .. })
            && refused.to_string().contains("another device"),
        "{refused}"
    );
    b.store
        .release_paper_lease(run, &lease_b.token)
        .await
        .unwrap();

    // Read on B, read on A.
    let first = fills_noted[0].id;
    b.store.mark_read(first).await.unwrap();
    sb.sync(None).await.unwrap();
    sa.sync(None).await.unwrap();
    let on_a: Vec<_> = a.store.list_notifications(alice, None).await.unwrap();
    let read = on_a.iter().find(|n| n.id == first).unwrap();
    assert!(read.read_at.is_some(), "{read:?}");
    assert_eq!(a.store.unread_count(alice).await.unwrap(), 1);

    // Paused on A, resumed on B: B drives it from then on, and A stops at its next bar.
    a.store
        .set_paper_run_status(run, &StatusChange::to(PaperRunStatus::Paused))
        .await
        .unwrap();
    sa.sync(None).await.unwrap();
    sb.sync(None).await.unwrap();
    b.store
        .set_paper_run_status(run, &StatusChange::to(PaperRunStatus::Running))
        .await
        .unwrap();
    sb.sync(None).await.unwrap();
    sa.sync(None).await.unwrap();
    assert_eq!(b.store.paper_run_ids_to_drive().await.unwrap(), vec![run]);
    assert!(a.store.paper_run_ids_to_drive().await.unwrap().is_empty());
    assert_eq!(
        a.store.paper_run(run).await.unwrap().driver_device,
        Some(b.store.device_id().await.unwrap())
    );
    same(&a, &b).await;

    // Deleting the strategy on A removes the run and its rows from the server and from B.
    a.store.delete_strategy(strategy).await.unwrap();
    sa.sync(None).await.unwrap();
    let owner = db.owner_pool().await;
    for t in PAPER {
        assert_eq!(count(&owner, t).await, 0, "{t} left on the server");
    }
    owner.close().await;
    let tombstones = psql(
        &db.name,
        "SELECT string_agg(DISTINCT table_name, ',' ORDER BY table_name) FROM sync_tombstones \
         WHERE table_name LIKE 'paper%'",
    );
    assert_eq!(
        tombstones,
        "paper_events,paper_fills,paper_trade_runs,paper_trades"
    );
    let report = sb.sync(None).await.unwrap();
    for t in PAPER {
        assert!(b.ids(t).await.is_empty(), "{t} left on B: {report:?}");
    }
    same(&a, &b).await;
}

#[tokio::test]
async fn runs_written_with_the_first_schemas_statuses_are_renamed_and_new_statuses_push() {
    let db = TestDb::migrated().await;
    // What remote 0006 finds on a server that took runs before it: old status names.
    let (role, user) = db.provision(&["trader"]);
    let (s, v, old) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    psql(
        &db.name,
        &format!(
            "ALTER TABLE paper_trade_runs DROP CONSTRAINT paper_trade_runs_status_check; \
             INSERT INTO strategies (id, owner_id, title, slug, status, visibility) VALUES \
               ('{s}', '{user}', 'Old', 'old', 'draft', 'private'); \
             INSERT INTO strategy_versions (id, strategy_id, version, graph_json) VALUES \
               ('{v}', '{s}', 1, '{{}}'); \
             INSERT INTO paper_trade_runs (id, strategy_version_id, schedule, status) VALUES \
               ('{old}', '{v}', '{{}}', 'scheduled'), ('{}', '{v}', '{{}}', 'failed');",
            Uuid::now_v7()
        ),
    );
    let owner = db.owner_pool().await;
    sqlx::raw_sql(include_str!(
        "../../../../migrations/remote/0006_paper_sync.sql"
    ))
    .execute(&owner)
    .await
    .unwrap();
    owner.close().await;
    assert_eq!(
        psql(
            &db.name,
            "SELECT string_agg(status, ',' ORDER BY status) FROM paper_trade_runs"
        ),
        "error,pending"
    );
    assert!(
        std::process::Command::new("psql")
            .args(["-h", "127.0.0.1", "-p", &crate::common::port().to_string()])
            .args([
                "-U",
                "postgres",
                "-d",
                &db.name,
                "-v",
                "ON_ERROR_STOP=1",
                "-qc"
            ])
            .arg(format!(
                "UPDATE paper_trade_runs SET status = 'scheduled' WHERE id = '{old}'"
            ))
            .output()
            .unwrap()
            .status
            .code()
            != Some(0),
        "the old statuses are refused"
    );

    // A device's pending, stopped and error runs are all taken.
    let dev = device_as(&db, &role, user).await;
    let sync = dev.role_syncer(&db, &role).await;
    let st = dev.store.create_strategy(user, "New").await.unwrap();
    let ver = dev
        .store
        .save_version(st.id, &graph(3), None, Some(user))
        .await
        .unwrap();
    let mut runs = Vec::new();
    for to in [
        None,
        Some(PaperRunStatus::Stopped),
        Some(PaperRunStatus::Error),
    ] {
        let r = dev
            .store
            .create_paper_run(&NewPaperRun {
                strategy_version_id: ver.id,
                name: String::new(),
                parameters: json!({}),
                feed: PaperFeed::Kraken,
                symbol: "XBTUSD".into(),
                bar_interval: "1h".into(),
                feed_config: json!({}),
                initial_cash: 500.0,
                commission: 0.0,
                slippage_bps: 0.0,
                schedule_cron: None,
                catch_up_policy: CatchUpPolicy::Pause,
                alert_config: None,
                start_after: None,
                replay: None,
            })
            .await
            .unwrap();
        if let Some(to) = to {
            let mut change = StatusChange::to(to);
            change.reason = Some("feed unreachable".into());
            dev.store.set_paper_run_status(r.id, &change).await.unwrap();
        }
        runs.push(r.id);
    }
    let report = sync.sync(None).await.unwrap();
    assert_eq!(report.not_taken, 0, "{report:?}");
    let pool = db.role_pool(&role).await;
    let mine = visible_ids(&pool, "paper_trade_runs").await;
    for r in &runs {
        assert!(mine.contains(&r.to_string()), "{r} on the server");
    }
    pool.close().await;
}
